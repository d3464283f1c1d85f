/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the SMC selftests: AF_SMC sockets, sock_diag for
 * AF_SMC, the SMC_GEN_NETLINK and SMC_PNETID generic netlink families,
 * and a verifiable data stream.
 *
 * Only glibc and the kernel uapi headers are used (no libmnl), so the
 * programs link statically.
 */
#ifndef __SMC_LIB_H
#define __SMC_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <sys/socket.h>

#ifndef AF_SMC
#define AF_SMC			43
#endif
/* protocol numbers for socket(AF_SMC, ...), from include/net/smc.h */
#define SMCPROTO_SMC		0	/* SMC over IPv4 */
#define SMCPROTO_SMC6		1	/* SMC over IPv6 */

#define SMC_LO_DEV_NAME		"loopback-ism"
#define SMC_LO_CHID		0xFFFF
#define SMC_LO_MODULE		"smc_loopback"

/* CLC decline / fallback reason codes (net/smc/smc_clc.h) */
#define SMC_CLC_DECL_PEERNOSMC	0x03010000
#define SMC_CLC_DECL_NOSMCDEV	0x03030000
#define SMC_CLC_DECL_NOSMCDDEV	0x03030001
#define SMC_CLC_DECL_NOSEID	0x03030006
#define SMC_CLC_DECL_NOSMCD2DEV	0x03030007
#define SMC_CLC_DECL_MAX_DMB	0x030d0000
#define SMC_CLC_DECL_PEERDECL	0x05000000
/* the "no SMC device" class: NOSMCDEV, NOSMCDDEV, NOSMCRDEV, NOSEID ... */
#define SMC_CLC_DECL_CLASS(rc)	((rc) & 0xffff0000)

#define SMC_EID_LEN		32
#define SMC_PNETID_LEN		16

/* last error text of a failing smc_lib call, for the test log */
extern char smc_lib_err[256];

/* ---- sockets ---------------------------------------------------------- */

enum smc_sock_kind {
	SMC_KIND_SMC,	/* socket(AF_SMC, SOCK_STREAM, SMCPROTO_SMC[6]) */
	SMC_KIND_TCP,	/* socket(AF_INET[6], SOCK_STREAM, 0) */
};

/* returns fd or -errno */
int smc_lib_socket(enum smc_sock_kind kind, int family);
/* true if AF_SMC sockets of this address family can be created */
bool smc_lib_af_smc_supported(int family, int *err);
/* bind + listen on addr:port (port 0: ephemeral); returns fd or -errno */
int smc_lib_listen(enum smc_sock_kind kind, int family, const char *addr,
		   __u16 port, __u16 *bound_port);
/* bind + listen an existing socket; returns 0 or -errno */
int smc_lib_bind_listen(int fd, int family, const char *addr, __u16 port,
			__u16 *bound_port);
/* connect an existing socket; returns 0 or -errno */
int smc_lib_connect_fd(int fd, int family, const char *addr, __u16 port);
/* socket + connect; returns fd or -errno */
int smc_lib_connect(enum smc_sock_kind kind, int family, const char *addr,
		    __u16 port);
/* accept with a timeout in ms; returns fd or -errno (-ETIMEDOUT) */
int smc_lib_accept(int lfd, int timeout_ms);
int smc_lib_local_port(int fd);
int smc_lib_peer_port(int fd);
__u64 smc_lib_inode(int fd);

/* ---- sock_diag for AF_SMC ----------------------------------------------- */

struct smc_diag_info {
	__u64 inode;
	__u8 state;
	__u8 mode;		/* SMC_DIAG_MODE_SMCR/FALLBACK_TCP/SMCD */
	__u16 sport;		/* host order, from the internal TCP socket */
	__u16 dport;
	bool has_shutdown;
	__u8 shutdown;
	bool has_fallback;
	__u32 fallback_rsn;
	__u32 peer_diagnosis;
	bool has_conn;		/* SMC_DIAG_CONNINFO */
	__u32 conn_token;
	__u32 sndbuf_size;
	__u32 rmbe_size;
	__u32 peer_rmbe_size;
	bool has_dmb;		/* SMC_DIAG_DMBINFO */
	__u32 linkid;
	__u64 my_gid;
	__u64 peer_gid;
	__u64 token;
	__u64 peer_token;
	bool has_lgr;		/* SMC_DIAG_LGRINFO (SMC-R) */
	__u8 role;		/* 0 client, 1 server */
	__u8 link_id;
	__u8 ibport;
	char ibname[64];
	char ib_gid[48];
	char ib_peer_gid[48];
};

/* 0 if AF_SMC sock_diag answers a dump, -errno otherwise */
int smc_diag_check(void);
/*
 * Look up the AF_SMC socket with this inode.
 * Returns 1 when found, 0 when not found, -errno on netlink errors.
 */
int smc_diag_query_inode(__u64 inode, struct smc_diag_info *info);
int smc_diag_query_fd(int fd, struct smc_diag_info *info);
/*
 * One dump for many sockets: cb is called for every AF_SMC socket (IPv4
 * and IPv6) until it returns non-zero. Returns the number of sockets seen
 * or -errno.
 */
int smc_diag_dump_all(int (*cb)(const struct smc_diag_info *info, void *arg),
		      void *arg);
const char *smc_mode_str(int mode);
/*
 * one line summary: "mode SMCD fallback_rsn 0x... peer_diag 0x... gid ..."
 * (SMC-D) or "... link N ibdev DEV port P" (SMC-R)
 */
void smc_diag_format(const struct smc_diag_info *info, char *buf, size_t len);

/* ---- generic netlink ------------------------------------------------------ */

/* returns the family id (> 0) or -errno (-ENOENT: family not registered) */
int genl_resolve_family(const char *name);

#define SMC_MAX_DEVS	16

struct smcd_dev_info {
	bool has_use_cnt, has_is_crit, has_fid, has_chid, has_vendor;
	bool has_device, has_pci_id, has_port;
	bool has_pnet_usr, has_pnetid;
	__u32 use_cnt;
	__u8 is_crit;
	__u32 pci_fid;
	__u16 pci_chid;
	__u16 pci_vendor;
	__u16 pci_device;
	char pci_id[64];
	__u8 pnet_usr;
	char pnetid[64];
};

struct smcd_lgr_info {
	bool has_gid, has_peer_gid, has_chid, has_conns, has_v2;
	__u32 id;
	__u64 gid;
	__u64 peer_gid;
	__u8 vlan_id;
	__u32 conns_num;
	__u32 chid;
	char pnetid[64];
	__u8 v2_ver;
	char neg_eid[64];
	char peer_host[64];
};

struct smc_seid_info {
	bool has_seid;
	char seid[64];
	bool has_enabled;
	__u8 enabled;
};

struct smc_sys_info {
	bool has_ver, has_rel, has_ism_v2, has_seid, has_host;
	__u8 ver;
	__u8 rel;
	__u8 is_ism_v2;
	char seid[64];
	char host[64];
};

struct smcd_stats {
	bool has_smcd;
	__u64 clnt_v1_succ, clnt_v2_succ, srv_v1_succ, srv_v2_succ;
	__u64 rx_bytes, tx_bytes, rx_cnt, tx_cnt;
	/* all of SMC in the namespace, not just SMC-D */
	__u64 clnt_hs_err, srv_hs_err;
	__u64 clnt_fback, srv_fback;
};

/* SMC-R link group (SMC_NETLINK_GET_LGR_SMCR) */
struct smcr_lgr_info {
	__u32 id;
	__u8 role;		/* 0 client, 1 server */
	__u8 type;		/* enum smc_lgr_type, see smcr_lgr_type_str() */
	__u8 vlan_id;
	bool has_buf_type;
	__u8 buf_type;
	__u32 conns_num;
	__u64 net_cookie;
	char pnetid[32];
	bool has_v2;		/* SMC_NLA_LGR_R_V2_COMMON */
	__u8 v2_ver;
	__u8 v2_rel;
	char neg_eid[64];
	char peer_host[64];
	bool has_direct;	/* SMC_NLA_LGR_R_V2 */
	__u8 direct;
};

/*
 * SMC-R link (SMC_NETLINK_GET_LINK_SMCR). The kernel sends each link
 * group (GET_LGR_SMCR message) followed by its usable links; lgr_id is
 * the id of that link group (has_lgr false if none preceded the link).
 */
struct smcr_link_info {
	bool has_lgr;
	__u32 lgr_id;
	__u8 link_id;
	char ib_dev[64];
	__u8 ib_port;
	__u32 state;		/* enum smc_link_state, smcr_link_state_str() */
	__u32 conn_cnt;
	__u32 net_dev;		/* ifindex */
	__u32 link_uid;
	__u32 peer_link_uid;
	char gid[48];
	char peer_gid[48];
};

#define SMC_MAX_LINKS	64

/* each returns the number of entries (>= 0) or -errno */
int smc_nl_get_dev_smcd(struct smcd_dev_info *devs, int max);
int smc_nl_get_lgr_smcd(struct smcd_lgr_info *lgrs, int max);
int smc_nl_get_lgr_smcr(struct smcr_lgr_info *lgrs, int max);
int smc_nl_get_links_smcr(struct smcr_link_info *links, int max);
/* "ACTIVE", "SYMMETRIC", "SERV", ...; "UNKNOWN" for other values */
const char *smcr_link_state_str(__u32 state);
const char *smcr_lgr_type_str(__u8 type);
const char *smc_lgr_role_str(__u8 role);
int smc_nl_dump_ueid(char ueids[][64], int max);
/* SMC_NETLINK_ADD_UEID: 0 or the -errno of the kernel's ack */
int smc_nl_add_ueid(const char *ueid);
/* each returns 0 or -errno */
int smc_nl_dump_seid(struct smc_seid_info *seid);
int smc_nl_get_sys_info(struct smc_sys_info *sys);
int smc_nl_get_stats(struct smcd_stats *stats);

/*
 * Find the loopback-ism device in the SMC-D device list.
 * Returns the number of loopback devices found (normally 0 or 1) or -errno;
 * *dev receives the first one.
 */
int smc_lo_find(struct smcd_dev_info *dev);
/* true if the smc_loopback module (or built-in code) is present */
bool smc_lo_module_present(void);
/* until no loopback link group has a connection left (5 s at most), then
 * 20 ms more: a connection's DMBs are freed when it leaves its link group
 */
void smc_lo_wait_idle(void);

/*
 * SMC_PNETID family; each returns 0 or the -errno of the kernel's ack.
 * smc_pnetid_add: an RDMA device port (ib_port <= 0: the kernel's
 * default, port 1); smc_pnetid_add_eth: a net device.
 */
int smc_pnetid_add(const char *pnet_name, const char *ib_name, int ib_port);
int smc_pnetid_add_eth(const char *pnet_name, const char *eth_name);
int smc_pnetid_del(const char *pnet_name);
/* number of pnet table entries with this pnet name (>= 0) or -errno */
int smc_pnetid_count(const char *pnet_name);

/* one pnet table entry: a net device (eth_name) or an RDMA device port */
struct smc_pnet_entry {
	char name[SMC_PNETID_LEN + 8];
	char eth_name[32];	/* "" for an RDMA device entry */
	char ib_name[64];	/* "" for a net device entry */
	__u8 ib_port;
};

/* the pnet table of this namespace: number of entries (>= 0) or -errno */
int smc_pnetid_list(struct smc_pnet_entry *entries, int max);

/* ---- verifiable data streams ------------------------------------------- */

/* bytes [off, off + len) of the pattern stream with this seed */
void smc_pattern_fill(__u64 seed, __u64 off, void *buf, size_t len);
__u64 smc_rand(__u64 *state);
/* random size in [1, max], log-uniform so small and large sizes both occur */
size_t smc_rand_size(__u64 *state, size_t max);
__u64 smc_seed_from_env(__u64 dflt);
__u64 smc_parse_size(const char *s);
double smc_now(void);

struct smc_stream {
	/* parameters */
	int fd;
	__u64 seed;		/* pattern seed of this direction */
	__u64 size_seed;	/* seed for the write/read sizes */
	__u64 bytes;		/* send: bytes to send; recv: bytes expected */
	bool until_eof;		/* recv: read until EOF, total not known */
	double deadline;	/* send: stop at this smc_now() (0: none) */
	size_t max_chunk;	/* largest write()/read() (default 4 MiB) */
	bool shut_wr;		/* send: shutdown(SHUT_WR) when done */
	bool expect_eof;	/* recv: EOF must follow the expected bytes */
	/* send: flip the byte at stream offset corrupt_at - 1 (0: never),
	 * to show that the receiver notices
	 */
	__u64 corrupt_at;
	/* results */
	__u64 done;		/* bytes sent / received and verified */
	__u64 calls;		/* number of write()/read() calls */
	int err;		/* errno of a failed call, 0 if none */
	bool corrupt;		/* received data differs from the pattern */
	bool short_data;	/* EOF before the expected bytes */
	bool excess;		/* more bytes than expected */
	__u64 bad_off;	/* first differing offset */
	__u8 bad_got, bad_exp;
	bool eof;		/* recv: EOF seen */
	char msg[200];		/* description of the failure */
};

void smc_stream_init(struct smc_stream *st, int fd, __u64 seed,
		     __u64 bytes);
/* blocking sender / receiver; usable as pthread start routines */
void *smc_stream_send(void *arg);
void *smc_stream_recv(void *arg);
bool smc_stream_ok(const struct smc_stream *st);
/*
 * Non-blocking steps for poll/epoll loops (the socket need not be
 * O_NONBLOCK): one send() or recv() of a random size. size_seed is their
 * random state, give the two ends different ones. Return 1 after
 * progress, 0 if the call would block, -1 on an error or bad data
 * (described in st->msg). A sender is done when done == bytes (SHUT_WR
 * is sent with the last byte), a receiver when eof is set. buf and exp
 * hold max_chunk bytes.
 */
int smc_stream_send_step(struct smc_stream *st, char *buf);
int smc_stream_recv_step(struct smc_stream *st, char *buf, char *exp);

/*
 * Full duplex exchange over a connected pair a <-> b: a sends bytes_ab to
 * b and b sends bytes_ba to a at the same time (four threads), random write
 * and read sizes up to max_chunk, every byte verified, EOF checked.
 * st[0]: a send, st[1]: b recv, st[2]: b send, st[3]: a recv.
 * Returns 0 if every stream is ok.
 */
int smc_exchange(int a, int b, __u64 bytes_ab, __u64 bytes_ba,
		 __u64 seed, size_t max_chunk, struct smc_stream st[4]);
/* the same with non-blocking sockets driven by one poll() loop */
int smc_exchange_poll(int a, int b, __u64 bytes_each, __u64 seed,
		      size_t max_chunk, int timeout_ms, char *msg, size_t len);
/* describe the first failing stream of smc_exchange() */
const char *smc_exchange_error(struct smc_stream st[4]);

#endif /* __SMC_LIB_H */
