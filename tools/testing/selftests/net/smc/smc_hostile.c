// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile peers: raw CLC messages against an AF_SMC listener.
 *
 * Run with the smc, smc_diag and smc_loopback modules loaded, as root.
 *
 * The server is an AF_SMC listener on 127.0.0.1 or ::1 that echoes what
 * it receives. The hostile client is a TCP socket that writes hand-built
 * CLC messages and reads what the server answers: a CLC decline, a CLC
 * accept, TCP data after a fallback, or the connection closing.
 *
 * The server only parses CLC on connections whose SYN carried the SMC TCP
 * option, which a plain TCP socket never sends. The client therefore
 * starts as an AF_SMC socket: a connect() that TCP refuses at once (wrong
 * address family) still marks the internal TCP socket for the option, an
 * option SMC does not support (TCP_FASTOPEN) then makes the socket fall
 * back, which turns the file into that TCP socket, and the real connect()
 * is a plain TCP connect whose SYN carries the option. From there on every
 * byte on the wire is written by this program.
 *
 * Each case asserts what the 6.1 server does with the message (see
 * net/smc/smc_clc.c: smc_clc_wait_msg(), smc_clc_msg_prop_valid() and
 * net/smc/af_smc.c: smc_listen_work(), smc_listen_v2_check(),
 * smc_find_ism_v2_device_serv()), and that the listener keeps serving real
 * SMC-D clients afterwards. Messages the server cannot parse close the
 * TCP connection without an answer, proposals it can parse but not serve
 * are declined with a reason code and the connection falls back to TCP.
 *
 * The forged cases build a well-formed SMC-Dv2 proposal for the host's own
 * loopback-ism GID with CHID 0xFFFF and the system EID, get a CLC accept,
 * and answer with a CLC confirm naming the DMB token of another live
 * connection (learnt through sock_diag). That connection streams pattern
 * data in both directions meanwhile and must not lose or gain a byte.
 *
 * The fake_server cases are the mirror: a forged listener (raw sockets
 * and TCP_REPAIR, see there) answers a real AF_SMC client's proposal with
 * malformed accepts or accepts naming DMBs that are not the client's to
 * write. The client must decline or fail its connect(), nothing else.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/smc_diag.h>

#include "kselftest_harness.h"
#include "smc_lib.h"

/* ---- CLC wire format, net/smc/smc_clc.h ------------------------------- */

#define CLC_PROPOSAL		0x01
#define CLC_ACCEPT		0x02
#define CLC_CONFIRM		0x03
#define CLC_DECLINE		0x04

#define SMC_TYPE_R		0
#define SMC_TYPE_D		1
#define SMC_TYPE_N		2
#define SMC_TYPE_B		3

#define CLC_FIRST_CONTACT	0x02	/* in typev2 of accept and confirm */

/* struct smc_clc_msg_hdr: eyecatcher, type, length, version:4 typev2:2 typev1:2 */
#define HDR_TYPE		4
#define HDR_LENGTH		5
#define HDR_VERSION		7
#define HDR_LEN			8
#define TRL_LEN			4

/* struct smc_clc_msg_proposal: hdr, smc_clc_msg_local, iparea_offset */
#define PROP_IPAREA_OFFSET	38
#define PROP_BASE_LEN		40
/* struct smc_clc_msg_smcd follows: ism gid/chid, v2_ext_offset, reserved */
#define SMCD_ISM_GID		40
#define SMCD_ISM_CHID		48
#define SMCD_V2_EXT_OFFSET	50
#define SMCD_V2_EXT_BASE	52	/* v2_ext_offset counts from here */
#define SMCD_LEN		40
/* struct smc_clc_msg_proposal_prefix and smc_clc_ipv6_prefix */
#define PRFX_SUBNET		0
#define PRFX_PREFIX_LEN		4
#define PRFX_V6_CNT		7
#define PRFX_LEN		8
#define V6_PRFX_LEN		17
/* struct smc_clc_v2_extension (without user EIDs) */
#define V2X_EID_CNT		0
#define V2X_GID_CNT		1
#define V2X_FLAG		3	/* release:4 rsvd:3 seid:1 */
#define V2X_SMCD_OFFSET		6
#define V2X_SMCD_BASE		8	/* smcd_v2_ext_offset counts from here */
#define V2X_LEN			40
#define EID_LEN			32
/* struct smc_clc_smcd_v2_extension (without gidchid entries) */
#define SMCDX_SEID		0
#define SMCDX_LEN		48
#define GIDCHID_LEN		10	/* be64 gid, be16 chid */

/*
 * The server receives a proposal into a struct smc_clc_msg_proposal_area
 * and bounds the extension offsets so that they stay inside it.
 */
#define PROP_AREA_LEN		652
#define MAX_V2_EXT_OFFSET	172
#define MAX_SMCD_V2_EXT_OFFSET	288
#define SMC_MAX_ISM_DEVS	8

/* struct smc_clc_msg_accept_confirm_v2, SMC-D part */
#define AC_GID			8	/* u64, sender's byte order */
#define AC_TOKEN		16	/* u64, sender's byte order */
#define AC_DMBE_IDX		24
#define AC_DMBE_SIZE		25	/* dmbe_size:4 reserved:4 */
#define AC_LINKID		28
#define AC_CHID			32
#define AC_EID			34
#define AC_D2_LEN		78	/* SMCD_CLC_ACCEPT_CONFIRM_LEN_V2 */
#define FCE_LEN			36	/* struct smc_clc_first_contact_ext */

/* struct smc_clc_msg_decline(_v2) */
#define DECL_DIAG		16
#define DECL_OS_TYPE		20
#define DECL_V1_LEN		28
#define DECL_V2_LEN		44

#define SMC_CLC_DECL_NOV2DEXT	0x03030005
#define SMC_CLC_DECL_NOUEID	0x03030008
#define SMC_CLC_DECL_VERSMISMAT	0x030c0000
#define SMC_CLC_DECL_MODEUNSUPP	0x03040000
#define SMC_CLC_DECL_SYNCERR	0x04000000	/* sent with first contact */
#define SMC_CLC_DECL_ERR_REGBUF	0x09990003

/* "SMCR" and "SMCD" in EBCDIC */
static const __u8 ec_smcr[4] = { 0xe2, 0xd4, 0xc3, 0xd9 };
static const __u8 ec_smcd[4] = { 0xe2, 0xd4, 0xc3, 0xc4 };

#define CLC_MAX			(70 * 1024)

struct clc_msg {
	__u8 b[CLC_MAX];
	size_t len;		/* bytes to send */
	size_t v2x;		/* offset of the v2 extension, 0: none */
	size_t smcdx;		/* offset of the SMC-Dv2 extension, 0: none */
};

static void put16(__u8 *p, __u16 v)
{
	v = htobe16(v);
	memcpy(p, &v, sizeof(v));
}

static void put32(__u8 *p, __u32 v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

static void put64(__u8 *p, __u64 v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

static __u16 get16(const __u8 *p)
{
	__u16 v;

	memcpy(&v, p, sizeof(v));
	return be16toh(v);
}

static __u32 get32(const __u8 *p)
{
	__u32 v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static __u64 get64(const __u8 *p)
{
	__u64 v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

static __u8 hdr_vt(int version, int typev2, int typev1)
{
	return version << 4 | typev2 << 2 | typev1;
}

/* header and trailer of a message of @len bytes */
static void clc_frame(struct clc_msg *m, __u8 type, size_t len, int version,
		      int typev2, int typev1)
{
	memcpy(m->b, ec_smcr, 4);
	m->b[HDR_TYPE] = type;
	put16(m->b + HDR_LENGTH, len);
	m->b[HDR_VERSION] = hdr_vt(version, typev2, typev1);
	memcpy(m->b + len - TRL_LEN, ec_smcr, 4);
	m->len = len;
}

/* what a proposal needs to name the loopback device */
struct lo_facts {
	__u64 gid;		/* loopback-ism GID, from sock_diag */
	char seid[EID_LEN];	/* system EID, from SMC_NETLINK_DUMP_SEID */
};

/*
 * An SMC-Dv2 only proposal as a 6.1 client without SMC-R and SMC-Dv1
 * devices sends it (typev1 N, typev2 D), with @n GID/CHID entries. Entry
 * @lo_slot is the loopback device (-1: none), the others name devices
 * that do not exist here.
 */
static void build_proposal(struct clc_msg *m, const struct lo_facts *lo,
			   int n, int lo_slot)
{
	size_t len, gc;
	int i;

	memset(m, 0, sizeof(*m));
	m->v2x = PROP_BASE_LEN + SMCD_LEN;
	m->smcdx = m->v2x + V2X_LEN;
	gc = m->smcdx + SMCDX_LEN;
	len = gc + n * GIDCHID_LEN + TRL_LEN;
	clc_frame(m, CLC_PROPOSAL, len, 2, SMC_TYPE_D, SMC_TYPE_N);

	put16(m->b + SMCD_V2_EXT_OFFSET, m->v2x - SMCD_V2_EXT_BASE);
	m->b[m->v2x + V2X_GID_CNT] = n;
	m->b[m->v2x + V2X_FLAG] = 0x01;		/* seid */
	put16(m->b + m->v2x + V2X_SMCD_OFFSET,
	      m->smcdx - (m->v2x + V2X_SMCD_BASE));
	memcpy(m->b + m->smcdx + SMCDX_SEID, lo->seid, EID_LEN);
	for (i = 0; i < n; i++) {
		__u8 *e = m->b + gc + i * GIDCHID_LEN;

		if (i == lo_slot) {
			put64(e, lo->gid);
			put16(e + 8, SMC_LO_CHID);
		} else {
			put64(e, 0x5a5a000000000000ULL + i);
			put16(e + 8, 0x0100 + i);
		}
	}
}

/*
 * An SMC-Dv1 proposal (version 1, typev1 D) with the loopback GID as the
 * ISM GID and the IP prefix of the loopback interface.
 */
static void build_proposal_v1(struct clc_msg *m, const struct lo_facts *lo,
			      int family)
{
	size_t p = PROP_BASE_LEN + SMCD_LEN, len;
	int v6 = family == AF_INET6;

	memset(m, 0, sizeof(*m));
	len = p + PRFX_LEN + v6 * V6_PRFX_LEN + TRL_LEN;
	clc_frame(m, CLC_PROPOSAL, len, 1, 0, SMC_TYPE_D);
	put16(m->b + PROP_IPAREA_OFFSET, SMCD_LEN);
	put64(m->b + SMCD_ISM_GID, lo->gid);
	if (v6) {
		/* ::1/128 */
		m->b[p + PRFX_V6_CNT] = 1;
		m->b[p + PRFX_LEN + 15] = 1;
		m->b[p + PRFX_LEN + 16] = 128;
	} else {
		/* 127.0.0.0/8 */
		put32(m->b + p + PRFX_SUBNET, 0x7f000000);
		m->b[p + PRFX_PREFIX_LEN] = 8;
	}
}

static void build_decline(struct clc_msg *m, int version, __u32 diag)
{
	memset(m, 0, sizeof(*m));
	clc_frame(m, CLC_DECLINE, version == 1 ? DECL_V1_LEN : DECL_V2_LEN,
		  version, 0, 0);
	put32(m->b + DECL_DIAG, diag);
	if (version > 1)
		m->b[DECL_OS_TYPE] = 2 << 4;	/* Linux */
}

/* a received CLC accept, SMC-D v2 */
struct clc_accept {
	int version, typev1, typev2;
	__u64 gid, token;
	__u8 dmbe_idx, dmbe_size;
	__u32 linkid;
	__u16 chid;
	__u8 eid[EID_LEN];
	size_t len;
};

/*
 * SMC-D v2 confirm in answer to @acc, naming @token as the client's DMB of
 * compressed size @dmbe_size. Byte order of gid and token as the kernel
 * sends them: its own.
 */
static void build_confirm(struct clc_msg *m, const struct clc_accept *acc,
			  __u64 gid, __u64 token, __u8 dmbe_size)
{
	memset(m, 0, sizeof(*m));
	clc_frame(m, CLC_CONFIRM, AC_D2_LEN, 2, 0, SMC_TYPE_D);
	memcpy(m->b, ec_smcd, 4);
	memcpy(m->b + AC_D2_LEN - TRL_LEN, ec_smcd, 4);
	memcpy(m->b + AC_GID, &gid, 8);
	memcpy(m->b + AC_TOKEN, &token, 8);
	m->b[AC_DMBE_IDX] = 0;
	m->b[AC_DMBE_SIZE] = dmbe_size << 4;
	put32(m->b + AC_LINKID, acc->linkid);
	put16(m->b + AC_CHID, SMC_LO_CHID);
	memcpy(m->b + AC_EID, acc->eid, EID_LEN);
}

/* smc_compress_bufsize() of a DMB whose data area is @rmbe_size bytes */
static __u8 dmbe_size_comp(__u32 rmbe_size)
{
	__u32 units = (rmbe_size + 32) >> 14;	/* + struct smcd_cdc_msg */
	__u8 c = 0;

	while (units > 1) {
		units >>= 1;
		c++;
	}
	return c;
}

/* ---- sockets ---------------------------------------------------------- */

static int fill_addr(int family, const char *addr, __u16 port,
		     struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return inet_pton(AF_INET, addr, &sin->sin_addr) == 1 ? 0 : -1;
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	*len = sizeof(*sin6);
	return inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1 ? 0 : -1;
}

static char raw_err[256];

/*
 * A TCP connection to @addr:@port whose SYN carries the SMC option, see
 * the top of this file. Returns the fd or -errno, raw_err says why.
 */
static int clc_raw_connect(int family, const char *addr, __u16 port)
{
	struct sockaddr_storage ss, wrong;
	socklen_t len, wlen;
	int fd, one = 1, rc;

	fd = socket(AF_SMC, SOCK_STREAM | SOCK_CLOEXEC,
		    family == AF_INET6 ? SMCPROTO_SMC6 : SMCPROTO_SMC);
	if (fd < 0) {
		rc = -errno;
		snprintf(raw_err, sizeof(raw_err), "socket(AF_SMC): %s",
			 strerror(-rc));
		return rc;
	}
	if (fill_addr(family, addr, port, &ss, &len) ||
	    fill_addr(family == AF_INET ? AF_INET6 : AF_INET,
		      family == AF_INET ? "::1" : "127.0.0.1", port, &wrong,
		      &wlen)) {
		snprintf(raw_err, sizeof(raw_err), "bad address %s", addr);
		close(fd);
		return -EINVAL;
	}
	/* smc_connect() sets syn_smc, then TCP rejects the family at once */
	rc = connect(fd, (struct sockaddr *)&wrong, wlen);
	if (!rc || (errno != EAFNOSUPPORT && errno != EINVAL)) {
		snprintf(raw_err, sizeof(raw_err),
			 "connect with the other address family: %s",
			 rc ? strerror(errno) : "succeeded");
		close(fd);
		return -EPROTO;
	}
	/* SMC falls back: from now on the fd is the internal TCP socket */
	if (setsockopt(fd, SOL_TCP, TCP_FASTOPEN, &one, sizeof(one))) {
		rc = -errno;
		snprintf(raw_err, sizeof(raw_err), "TCP_FASTOPEN: %s",
			 strerror(-rc));
		close(fd);
		return rc;
	}
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		rc = -errno;
		snprintf(raw_err, sizeof(raw_err), "connect %s port %u: %s",
			 addr, port, strerror(-rc));
		close(fd);
		return rc;
	}
	return fd;
}

static int ms_left(double deadline)
{
	double left = deadline - smc_now();

	return left > 0 ? (int)(left * 1000) + 1 : 0;
}

/* send all of @buf unless the peer goes away; returns bytes sent */
static size_t send_all(int fd, const void *buf, size_t len, int timeout_ms)
{
	double deadline = smc_now() + timeout_ms / 1000.0;
	size_t off = 0;

	while (off < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		ssize_t n;

		n = send(fd, (const char *)buf + off, len - off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			off += n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			break;
		if (!ms_left(deadline) || poll(&pfd, 1, ms_left(deadline)) < 0)
			break;
	}
	return off;
}

enum rx_end { RX_FULL, RX_EOF, RX_RESET, RX_TIMEOUT, RX_ERROR };

/* receive exactly @len bytes unless EOF, an error or the deadline come first */
static size_t recv_full(int fd, void *buf, size_t len, double deadline,
			enum rx_end *end, int *err)
{
	size_t got = 0;

	*end = RX_FULL;
	*err = 0;
	while (got < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int rc;

		rc = poll(&pfd, 1, ms_left(deadline));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			*end = RX_TIMEOUT;
			break;
		}
		n = recv(fd, (char *)buf + got, len - got, MSG_DONTWAIT);
		if (n > 0) {
			got += n;
			continue;
		}
		if (n == 0) {
			*end = RX_EOF;
			break;
		}
		if (errno == EAGAIN || errno == EINTR)
			continue;
		*err = errno;
		*end = errno == ECONNRESET ? RX_RESET : RX_ERROR;
		break;
	}
	return got;
}

/* ---- what the server answered --------------------------------------- */

enum ans_kind {
	ANS_CLOSED,	/* EOF or reset before any byte */
	ANS_TIMEOUT,	/* nothing within the time */
	ANS_CLC,	/* one complete CLC message */
	ANS_DATA,	/* bytes that are no CLC message */
	ANS_ERROR,
};

struct answer {
	enum ans_kind kind;
	enum rx_end end;
	int err;
	__u8 b[1024];
	size_t len;
	/* ANS_CLC */
	__u8 type, version, typev2, typev1;
	bool trl_ok;
	char text[300];
};

static const char *clc_type_str(int type)
{
	switch (type) {
	case CLC_PROPOSAL:
		return "proposal";
	case CLC_ACCEPT:
		return "accept";
	case CLC_CONFIRM:
		return "confirm";
	case CLC_DECLINE:
		return "decline";
	}
	return "unknown type";
}

static bool is_eyecatcher(const __u8 *p)
{
	return !memcmp(p, ec_smcr, 4) || !memcmp(p, ec_smcd, 4);
}

static void read_answer(int fd, int timeout_ms, struct answer *a)
{
	double deadline = smc_now() + timeout_ms / 1000.0;
	size_t n, clen;

	memset(a, 0, sizeof(*a));
	n = recv_full(fd, a->b, HDR_LEN, deadline, &a->end, &a->err);
	a->len = n;
	if (!n) {
		if (a->end == RX_EOF || a->end == RX_RESET) {
			a->kind = ANS_CLOSED;
			snprintf(a->text, sizeof(a->text), "connection closed (%s)",
				 a->end == RX_EOF ? "EOF" : "reset");
		} else if (a->end == RX_TIMEOUT) {
			a->kind = ANS_TIMEOUT;
			snprintf(a->text, sizeof(a->text),
				 "no answer within %d ms", timeout_ms);
		} else {
			a->kind = ANS_ERROR;
			snprintf(a->text, sizeof(a->text), "recv: %s",
				 strerror(a->err));
		}
		return;
	}
	clen = get16(a->b + HDR_LENGTH);
	if (n < HDR_LEN || !is_eyecatcher(a->b) || clen < HDR_LEN + TRL_LEN ||
	    clen > sizeof(a->b)) {
		a->kind = ANS_DATA;
		snprintf(a->text, sizeof(a->text),
			 "%zu bytes of data %02x %02x %02x %02x %02x %02x %02x %02x",
			 n, a->b[0], a->b[1], a->b[2], a->b[3], a->b[4],
			 a->b[5], a->b[6], a->b[7]);
		return;
	}
	n += recv_full(fd, a->b + HDR_LEN, clen - HDR_LEN, deadline, &a->end,
		       &a->err);
	a->len = n;
	if (n < clen) {
		a->kind = ANS_DATA;
		snprintf(a->text, sizeof(a->text),
			 "truncated CLC message: %zu of %zu bytes", n, clen);
		return;
	}
	a->kind = ANS_CLC;
	a->type = a->b[HDR_TYPE];
	a->version = a->b[HDR_VERSION] >> 4;
	a->typev2 = (a->b[HDR_VERSION] >> 2) & 3;
	a->typev1 = a->b[HDR_VERSION] & 3;
	a->trl_ok = is_eyecatcher(a->b + clen - TRL_LEN);
	if (a->type == CLC_DECLINE && clen >= DECL_V1_LEN)
		snprintf(a->text, sizeof(a->text),
			 "CLC decline v%u, peer diagnosis 0x%08x", a->version,
			 get32(a->b + DECL_DIAG));
	else if (a->type == CLC_PROPOSAL)
		/* what we sent, echoed: no SMC option in our SYN? */
		snprintf(a->text, sizeof(a->text),
			 "our CLC proposal came back: the server took the connection for plain TCP");
	else
		snprintf(a->text, sizeof(a->text),
			 "CLC %s v%u, %zu bytes, typev1 %u typev2 %u",
			 clc_type_str(a->type), a->version, clen, a->typev1,
			 a->typev2);
}

static void parse_accept(const struct answer *a, struct clc_accept *acc)
{
	memset(acc, 0, sizeof(*acc));
	acc->version = a->version;
	acc->typev1 = a->typev1;
	acc->typev2 = a->typev2;
	acc->len = a->len;
	if (a->len < AC_D2_LEN)
		return;
	memcpy(&acc->gid, a->b + AC_GID, 8);
	memcpy(&acc->token, a->b + AC_TOKEN, 8);
	acc->dmbe_idx = a->b[AC_DMBE_IDX];
	acc->dmbe_size = a->b[AC_DMBE_SIZE] >> 4;
	acc->linkid = get32(a->b + AC_LINKID);
	acc->chid = get16(a->b + AC_CHID);
	memcpy(acc->eid, a->b + AC_EID, EID_LEN);
}

/* ---- the server: an AF_SMC listener that echoes ---------------------- */

#define SRV_MAX_CONNS	64
#define GREET_SEED	0x6772656574ULL

struct srv_conn {
	struct srv *srv;
	int fd;
	int port;		/* the client's port */
	int diag_rc;		/* smc_diag_query_fd() at accept */
	struct smc_diag_info di;
	pthread_t tid;
	bool started;
	int stop;		/* __atomic */
};

struct srv {
	int family;
	const char *addr;
	int lfd;
	__u16 port;
	size_t greet_len;	/* bytes the server writes first */
	pthread_t tid;
	bool started;
	int stop;		/* __atomic */
	pthread_mutex_t lock;
	int nconns;
	struct srv_conn conns[SRV_MAX_CONNS];
};

static void *srv_conn_fn(void *arg)
{
	struct srv_conn *c = arg;
	size_t len = c->srv->greet_len > 16384 ? c->srv->greet_len : 16384;
	struct timeval tv = { .tv_sec = 5 };
	char *p = malloc(len);

	if (!p)
		goto out;
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (c->srv->greet_len) {
		smc_pattern_fill(GREET_SEED, 0, p, c->srv->greet_len);
		send(c->fd, p, c->srv->greet_len, MSG_NOSIGNAL);
	}
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = recv(c->fd, p, 16384, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			if (!n)
				shutdown(c->fd, SHUT_WR);
			break;
		}
		if (send(c->fd, p, n, MSG_NOSIGNAL) != n)
			break;
	}
out:
	free(p);
	close(c->fd);
	return NULL;
}

static void *srv_accept_fn(void *arg)
{
	struct srv *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd pfd = { .fd = s->lfd, .events = POLLIN };
		struct srv_conn *c;
		int fd;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		/* non-blocking listener: a handshake that failed leaves nothing */
		fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&s->lock);
		if (s->nconns == SRV_MAX_CONNS) {
			pthread_mutex_unlock(&s->lock);
			close(fd);
			continue;
		}
		c = &s->conns[s->nconns];
		memset(c, 0, sizeof(*c));
		c->srv = s;
		c->fd = fd;
		c->port = smc_lib_peer_port(fd);
		c->diag_rc = smc_diag_query_fd(fd, &c->di);
		c->started = !pthread_create(&c->tid, NULL, srv_conn_fn, c);
		if (!c->started)
			close(fd);
		s->nconns++;
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

static struct srv *srv_start(int family, const char *addr, size_t greet_len,
			     int *err)
{
	struct srv *s = calloc(1, sizeof(*s));
	int fl;

	*err = -ENOMEM;
	if (!s)
		return NULL;
	s->family = family;
	s->addr = addr;
	s->greet_len = greet_len;
	pthread_mutex_init(&s->lock, NULL);
	s->lfd = smc_lib_listen(SMC_KIND_SMC, family, addr, 0, &s->port);
	if (s->lfd < 0) {
		*err = s->lfd;
		free(s);
		return NULL;
	}
	fl = fcntl(s->lfd, F_GETFL);
	fcntl(s->lfd, F_SETFL, fl | O_NONBLOCK);
	if (pthread_create(&s->tid, NULL, srv_accept_fn, s)) {
		close(s->lfd);
		free(s);
		*err = -EAGAIN;
		return NULL;
	}
	s->started = true;
	*err = 0;
	return s;
}

static void srv_conn_stop(struct srv_conn *c)
{
	if (!c->started)
		return;
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
	pthread_join(c->tid, NULL);
	c->started = false;
}

static void srv_stop(struct srv *s)
{
	int i;

	if (!s)
		return;
	if (s->started) {
		__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
		pthread_join(s->tid, NULL);
	}
	for (i = 0; i < s->nconns; i++)
		srv_conn_stop(&s->conns[i]);
	close(s->lfd);
	free(s);
}

/* forget the connections served so far: room for more */
static void srv_reap(struct srv *s)
{
	int i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nconns; i++)
		srv_conn_stop(&s->conns[i]);
	s->nconns = 0;
	pthread_mutex_unlock(&s->lock);
}

/*
 * The server's connection from the client port @port: waits up to
 * @timeout_ms for it to be accepted. Returns NULL if it was not.
 */
static struct srv_conn *srv_find(struct srv *s, int port, int timeout_ms)
{
	double deadline = smc_now() + timeout_ms / 1000.0;
	struct srv_conn *found = NULL;
	int i;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		for (i = 0; i < s->nconns; i++)
			if (s->conns[i].port == port)
				found = &s->conns[i];
		pthread_mutex_unlock(&s->lock);
		if (found || !ms_left(deadline))
			return found;
		usleep(20000);
	}
}

/* ---- checks ------------------------------------------------------------ */

#define ANSWER_MS	10000	/* the server waits CLC_WAIT_TIME (6 s) at most */

/*
 * Echo through @fd: the server's greeting first if it sends one, then
 * @bytes of pattern data in rounds, each verified.
 */
static void check_echo(struct __test_metadata *_metadata, int fd,
		       size_t greet_len, size_t bytes, __u64 seed)
{
	static char out[16384], in[16384];
	double deadline = smc_now() + 20;
	size_t off, got;
	enum rx_end end;
	int err;

	if (greet_len) {
		char *g = malloc(greet_len), *exp = malloc(greet_len);

		ASSERT_NE(NULL, g);
		ASSERT_NE(NULL, exp);
		got = recv_full(fd, g, greet_len, deadline, &end, &err);
		smc_pattern_fill(GREET_SEED, 0, exp, greet_len);
		EXPECT_EQ(greet_len, got) TH_LOG("greeting: %zu of %zu bytes (end %d, %s)",
						 got, greet_len, end,
						 strerror(err));
		EXPECT_EQ(0, memcmp(g, exp, got)) TH_LOG("greeting corrupted");
		free(g);
		free(exp);
		ASSERT_EQ(greet_len, got);
	}
	for (off = 0; off < bytes; off += sizeof(out)) {
		size_t n = bytes - off < sizeof(out) ? bytes - off : sizeof(out);

		smc_pattern_fill(seed, off, out, n);
		ASSERT_EQ(n, send_all(fd, out, n, 10000))
			TH_LOG("echo: send at %zu: %s", off, strerror(errno));
		got = recv_full(fd, in, n, deadline, &end, &err);
		ASSERT_EQ(n, got) TH_LOG("echo: %zu of %zu bytes back at %zu (end %d, %s)",
					 got, n, off, end, strerror(err));
		ASSERT_EQ(0, memcmp(in, out, n))
			TH_LOG("echo: data corrupted at %zu", off);
	}
}

/*
 * A real AF_SMC client: SMC-D on both ends, data intact through the echo.
 * Returns the client's sock_diag view in @c.
 */
static void check_serving(struct __test_metadata *_metadata, struct srv *s,
			  struct smc_diag_info *c)
{
	struct smc_diag_info di;
	struct srv_conn *sc;
	char line[256];
	int fd, port;

	fd = smc_lib_connect(SMC_KIND_SMC, s->family, s->addr, s->port);
	ASSERT_LE(0, fd) TH_LOG("real client: %s", smc_lib_err);
	port = smc_lib_local_port(fd);
	ASSERT_EQ(1, smc_diag_query_fd(fd, &di)) TH_LOG("%s", smc_lib_err);
	smc_diag_format(&di, line, sizeof(line));
	ASSERT_EQ(SMC_DIAG_MODE_SMCD, di.mode)
		TH_LOG("the listener no longer serves SMC-D: client %s", line);
	sc = srv_find(s, port, 5000);
	ASSERT_NE(NULL, sc) TH_LOG("real client not accepted");
	ASSERT_EQ(1, sc->diag_rc);
	ASSERT_EQ(SMC_DIAG_MODE_SMCD, sc->di.mode)
		TH_LOG("server end in mode %s, fallback 0x%08x",
		       smc_mode_str(sc->di.mode), sc->di.fallback_rsn);
	check_echo(_metadata, fd, s->greet_len, 256 * 1024, port);
	close(fd);
	if (c)
		*c = di;
}

/* the facts a forged proposal needs, through the user interfaces */
static void learn_facts(struct __test_metadata *_metadata, struct srv *s,
			struct lo_facts *lo)
{
	struct smc_seid_info seid;
	struct smc_diag_info c;

	check_serving(_metadata, s, &c);
	ASSERT_TRUE(c.has_dmb);
	ASSERT_NE(0, c.my_gid);
	ASSERT_EQ(c.my_gid, c.peer_gid);
	lo->gid = c.my_gid;
	ASSERT_EQ(0, smc_nl_dump_seid(&seid)) TH_LOG("%s", smc_lib_err);
	ASSERT_TRUE(seid.has_seid);
	ASSERT_EQ(EID_LEN, strlen(seid.seid));
	memcpy(lo->seid, seid.seid, EID_LEN);
}

static int raw_open(struct __test_metadata *_metadata, struct srv *s)
{
	int fd = clc_raw_connect(s->family, s->addr, s->port);

	if (fd < 0)
		TH_LOG("raw CLC client: %s", raw_err);
	return fd;
}

static void send_msg(struct __test_metadata *_metadata, int fd,
		     const struct clc_msg *m, size_t len)
{
	ASSERT_EQ(len, send_all(fd, m->b, len, 5000))
		TH_LOG("sending %zu bytes: %s", len, strerror(errno));
}

/*
 * The server closed the connection without a word: no CLC decline, no
 * fallback, nothing to accept().
 */
static void expect_closed(struct __test_metadata *_metadata, struct srv *s,
			  int fd)
{
	int port = smc_lib_local_port(fd);
	struct answer a;

	read_answer(fd, ANSWER_MS, &a);
	TH_LOG("server: %s", a.text);
	ASSERT_EQ(ANS_CLOSED, a.kind)
		TH_LOG("expected the server to close the connection");
	EXPECT_EQ(NULL, srv_find(s, port, 200))
		TH_LOG("the failed handshake reached accept()");
}

/*
 * A CLC decline with reason @code in a version @version message, then
 * TCP: the server's end fell back with that reason and echoes.
 */
static void expect_decline(struct __test_metadata *_metadata, struct srv *s,
			   int fd, int version, __u32 code)
{
	int port = smc_lib_local_port(fd);
	struct srv_conn *sc;
	struct answer a;

	read_answer(fd, ANSWER_MS, &a);
	TH_LOG("server: %s", a.text);
	ASSERT_EQ(ANS_CLC, a.kind);
	ASSERT_EQ(CLC_DECLINE, a.type);
	EXPECT_EQ(version == 1 ? DECL_V1_LEN : DECL_V2_LEN, a.len);
	EXPECT_EQ(version, a.version);
	ASSERT_EQ(code, get32(a.b + DECL_DIAG))
		TH_LOG("decline reason 0x%08x, expected 0x%08x",
		       get32(a.b + DECL_DIAG), code);
	/* receivers do not check a decline's trailer, but it must be right */
	EXPECT_TRUE(a.trl_ok);

	sc = srv_find(s, port, 5000);
	ASSERT_NE(NULL, sc) TH_LOG("declined connection not accepted as TCP");
	ASSERT_EQ(1, sc->diag_rc);
	EXPECT_EQ(SMC_DIAG_MODE_FALLBACK_TCP, sc->di.mode);
	EXPECT_EQ(code, sc->di.fallback_rsn);
	check_echo(_metadata, fd, s->greet_len, 64 * 1024, port);
}

/* a CLC accept for the loopback device, SMC-D v2 */
static void expect_accept(struct __test_metadata *_metadata, int fd,
			  const struct lo_facts *lo, struct clc_accept *acc)
{
	struct answer a;

	read_answer(fd, ANSWER_MS, &a);
	TH_LOG("server: %s", a.text);
	ASSERT_EQ(ANS_CLC, a.kind);
	ASSERT_EQ(CLC_ACCEPT, a.type)
		TH_LOG("expected a CLC accept, got a %s", clc_type_str(a.type));
	parse_accept(&a, acc);
	EXPECT_EQ(0, memcmp(a.b, ec_smcd, 4));
	EXPECT_TRUE(a.trl_ok);
	EXPECT_EQ(2, acc->version);
	EXPECT_EQ(SMC_TYPE_D, acc->typev1);
	/* the first contact extension is there if and only if flagged */
	EXPECT_EQ(acc->typev2 & CLC_FIRST_CONTACT ? AC_D2_LEN + FCE_LEN :
						      AC_D2_LEN, acc->len);
	EXPECT_EQ(lo->gid, acc->gid);
	EXPECT_EQ(SMC_LO_CHID, acc->chid);
	EXPECT_EQ(0, memcmp(acc->eid, lo->seid, EID_LEN))
		TH_LOG("negotiated EID is not the system EID");
	EXPECT_NE(0, acc->token);
}

/* ---- hostile proposals ---------------------------------------------- */

FIXTURE(hostile)
{
	bool skip;
	struct srv *srv;
	struct lo_facts lo;
	struct clc_msg m;
	int fd;
};

FIXTURE_VARIANT(hostile)
{
	int family;
	const char *addr;
};

FIXTURE_VARIANT_ADD(hostile, ipv4)
{
	.family = AF_INET, .addr = "127.0.0.1",
};

FIXTURE_VARIANT_ADD(hostile, ipv6)
{
	.family = AF_INET6, .addr = "::1",
};

FIXTURE_SETUP(hostile)
{
	int err;

	self->fd = -1;
	self->srv = srv_start(variant->family, variant->addr, 0, &err);
	if (!self->srv && (err == -EADDRNOTAVAIL || err == -EAFNOSUPPORT)) {
		self->skip = true;
		SKIP(return, "%s not usable: %s", variant->addr, smc_lib_err);
	}
	ASSERT_NE(NULL, self->srv) TH_LOG("listener: %s", smc_lib_err);
	learn_facts(_metadata, self->srv, &self->lo);
	self->fd = raw_open(_metadata, self->srv);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(hostile)
{
	if (self->fd >= 0)
		close(self->fd);
	srv_stop(self->srv);
}

/* after every case: the listener still serves a real client over SMC-D */
static void hostile_done(struct __test_metadata *_metadata,
			 struct _test_data_hostile *self)
{
	close(self->fd);
	self->fd = -1;
	check_serving(_metadata, self->srv, NULL);
}

/* a well-formed proposal: accept; a decline then: TCP fallback */
TEST_F_TIMEOUT(hostile, proposal_accept_then_decline, 60)
{
	struct clc_accept acc;
	struct srv_conn *sc;
	int port = smc_lib_local_port(self->fd);

	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_accept(_metadata, self->fd, &self->lo, &acc);
	TH_LOG("accept: token 0x%016llx dmbe_size %u linkid 0x%08x first contact %d",
	       (unsigned long long)acc.token, acc.dmbe_size, acc.linkid,
	       !!(acc.typev2 & CLC_FIRST_CONTACT));

	build_decline(&self->m, 2, SMC_CLC_DECL_NOSMCDEV);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	sc = srv_find(self->srv, port, 5000);
	ASSERT_NE(NULL, sc) TH_LOG("declined connection not accepted as TCP");
	EXPECT_EQ(SMC_DIAG_MODE_FALLBACK_TCP, sc->di.mode);
	EXPECT_EQ(SMC_CLC_DECL_PEERDECL, sc->di.fallback_rsn);
	EXPECT_EQ(SMC_CLC_DECL_NOSMCDEV, sc->di.peer_diagnosis);
	EXPECT_FALSE(sc->di.has_dmb);
	check_echo(_metadata, self->fd, 0, 64 * 1024, 1);
	hostile_done(_metadata, self);
}

/* the client goes away after the accept: the server drops the connection */
TEST_F_TIMEOUT(hostile, accept_then_eof, 60)
{
	struct clc_accept acc;

	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_accept(_metadata, self->fd, &self->lo, &acc);
	ASSERT_EQ(0, shutdown(self->fd, SHUT_WR));
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* no confirm after the accept: CLC_WAIT_TIME (6 s), then the server closes */
TEST_F_TIMEOUT(hostile, accept_then_silence, 60)
{
	struct clc_accept acc;
	double t0;

	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_accept(_metadata, self->fd, &self->lo, &acc);
	t0 = smc_now();
	expect_closed(_metadata, self->srv, self->fd);
	TH_LOG("closed after %.1f s", smc_now() - t0);
	EXPECT_LE(4.0, smc_now() - t0);
	hostile_done(_metadata, self);
}

/* a confirm with a bad trailer after the accept: closed */
TEST_F_TIMEOUT(hostile, accept_then_bad_confirm, 60)
{
	struct clc_accept acc;

	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_accept(_metadata, self->fd, &self->lo, &acc);
	build_confirm(&self->m, &acc, self->lo.gid, acc.token, acc.dmbe_size);
	memcpy(self->m.b + AC_D2_LEN - TRL_LEN, "SMCD", 4);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* header says L bytes, L - 10 come, then EOF */
TEST_F_TIMEOUT(hostile, truncated_body, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	send_msg(_metadata, self->fd, &self->m, self->m.len - 10);
	ASSERT_EQ(0, shutdown(self->fd, SHUT_WR));
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* 5 bytes of the header, then EOF */
TEST_F_TIMEOUT(hostile, truncated_header, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	send_msg(_metadata, self->fd, &self->m, 5);
	ASSERT_EQ(0, shutdown(self->fd, SHUT_WR));
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* nothing at all, then EOF */
TEST_F_TIMEOUT(hostile, eof_before_proposal, 60)
{
	if (self->skip)
		return;

	ASSERT_EQ(0, shutdown(self->fd, SHUT_WR));
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* header says L bytes, L - 10 come, then nothing: closed after 6 s */
TEST_F_TIMEOUT(hostile, truncated_stall, 60)
{
	double t0;

	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	send_msg(_metadata, self->fd, &self->m, self->m.len - 10);
	t0 = smc_now();
	expect_closed(_metadata, self->srv, self->fd);
	TH_LOG("closed after %.1f s", smc_now() - t0);
	EXPECT_LE(4.0, smc_now() - t0);
	hostile_done(_metadata, self);
}

/* length field 4 less than the message */
TEST_F_TIMEOUT(hostile, length_too_small, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	put16(self->m.b + HDR_LENGTH, self->m.len - 4);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* length field smaller than the header itself */
TEST_F_TIMEOUT(hostile, length_below_header, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	put16(self->m.b + HDR_LENGTH, 4);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* length field 100 more than sent, then EOF */
TEST_F_TIMEOUT(hostile, length_too_big, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	put16(self->m.b + HDR_LENGTH, self->m.len + 100);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	ASSERT_EQ(0, shutdown(self->fd, SHUT_WR));
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* length field 0xffff, more than the server's receive area: all sent */
TEST_F_TIMEOUT(hostile, length_max, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	put16(self->m.b + HDR_LENGTH, 0xffff);
	memcpy(self->m.b + 0xffff - TRL_LEN, ec_smcr, 4);
	send_msg(_metadata, self->fd, &self->m, 0xffff);
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* one user EID announced, none sent: lengths disagree */
TEST_F_TIMEOUT(hostile, eid_count_mismatch, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	self->m.b[self->m.v2x + V2X_EID_CNT] = 1;
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* two GID/CHID entries announced, one sent */
TEST_F_TIMEOUT(hostile, gid_count_mismatch, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	self->m.b[self->m.v2x + V2X_GID_CNT] = 2;
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* ASCII "SMCR" instead of EBCDIC in the header */
TEST_F_TIMEOUT(hostile, bad_header_eyecatcher, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	memcpy(self->m.b, "SMCR", 4);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* bad trailer eyecatcher */
TEST_F_TIMEOUT(hostile, bad_trailer_eyecatcher, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	self->m.b[self->m.len - 1] ^= 0x01;
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* the server takes "SMCD" as well as "SMCR" as the header eyecatcher */
TEST_F_TIMEOUT(hostile, smcd_header_eyecatcher, 60)
{
	struct clc_accept acc;

	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	memcpy(self->m.b, ec_smcd, 4);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_accept(_metadata, self->fd, &self->lo, &acc);
	hostile_done(_metadata, self);
}

/* version 0 is refused before the message is read */
TEST_F_TIMEOUT(hostile, version_0, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	self->m.b[HDR_VERSION] = hdr_vt(0, SMC_TYPE_D, SMC_TYPE_N);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/*
 * Versions above 2 are parsed as version 2 and answered with version 2:
 * accept; the client's decline then makes it TCP.
 */
static void version_above_2(struct __test_metadata *_metadata,
			    struct _test_data_hostile *self, int version)
{
	int port = smc_lib_local_port(self->fd);
	struct clc_accept acc;
	struct srv_conn *sc;

	build_proposal(&self->m, &self->lo, 1, 0);
	self->m.b[HDR_VERSION] = hdr_vt(version, SMC_TYPE_D, SMC_TYPE_N);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_accept(_metadata, self->fd, &self->lo, &acc);
	build_decline(&self->m, 2, SMC_CLC_DECL_VERSMISMAT);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	sc = srv_find(self->srv, port, 5000);
	ASSERT_NE(NULL, sc);
	EXPECT_EQ(SMC_DIAG_MODE_FALLBACK_TCP, sc->di.mode);
	EXPECT_EQ(SMC_CLC_DECL_PEERDECL, sc->di.fallback_rsn);
	EXPECT_EQ(SMC_CLC_DECL_VERSMISMAT, sc->di.peer_diagnosis);
	check_echo(_metadata, self->fd, 0, 16384, 3);
}

TEST_F_TIMEOUT(hostile, version_3, 60)
{
	if (self->skip)
		return;

	version_above_2(_metadata, self, 3);
	hostile_done(_metadata, self);
}

TEST_F_TIMEOUT(hostile, version_15, 60)
{
	if (self->skip)
		return;

	version_above_2(_metadata, self, 15);
	hostile_done(_metadata, self);
}

/*
 * SMC-Dv1 naming the loopback GID: loopback is no SMC-Dv1 device, so no
 * device, in a version 1 decline.
 */
TEST_F_TIMEOUT(hostile, v1_proposal_loopback_gid, 60)
{
	if (self->skip)
		return;

	build_proposal_v1(&self->m, &self->lo, variant->family);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_decline(_metadata, self->srv, self->fd, 1,
		       SMC_CLC_DECL_NOSMCDDEV);
	hostile_done(_metadata, self);
}

/* a version 1 proposal offering neither SMC-R nor SMC-D is invalid */
TEST_F_TIMEOUT(hostile, v1_proposal_type_n, 60)
{
	if (self->skip)
		return;

	build_proposal_v1(&self->m, &self->lo, variant->family);
	self->m.b[HDR_VERSION] = hdr_vt(1, 0, SMC_TYPE_N);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* more than SMC_CLC_MAX_V6_PREFIX (8) IPv6 prefixes */
TEST_F_TIMEOUT(hostile, v1_ipv6_prefix_count_9, 60)
{
	size_t p = PROP_BASE_LEN + SMCD_LEN, len;

	if (self->skip)
		return;

	build_proposal_v1(&self->m, &self->lo, AF_INET6);
	len = p + PRFX_LEN + 9 * V6_PRFX_LEN + TRL_LEN;
	clc_frame(&self->m, CLC_PROPOSAL, len, 1, 0, SMC_TYPE_D);
	self->m.b[p + PRFX_V6_CNT] = 9;
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* the most GID/CHID entries allowed, loopback the last: accept */
TEST_F_TIMEOUT(hostile, ism_entries_8, 60)
{
	struct clc_accept acc;

	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, SMC_MAX_ISM_DEVS,
		       SMC_MAX_ISM_DEVS - 1);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_accept(_metadata, self->fd, &self->lo, &acc);
	hostile_done(_metadata, self);
}

/* more than SMC_MAX_ISM_DEVS entries, length consistent: invalid */
TEST_F_TIMEOUT(hostile, ism_entries_9, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 9, 8);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* 255 entries: more than the server's receive area holds */
TEST_F_TIMEOUT(hostile, ism_entries_255, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 255, 254);
	ASSERT_LT(PROP_AREA_LEN, self->m.len);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* no v2 extension although SMC-Dv2 is offered: invalid */
TEST_F_TIMEOUT(hostile, v2_ext_offset_zero, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	put16(self->m.b + SMCD_V2_EXT_OFFSET, 0);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* v2 extension offset past the receive area: invalid */
TEST_F_TIMEOUT(hostile, v2_ext_offset_past_max, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	put16(self->m.b + SMCD_V2_EXT_OFFSET, MAX_V2_EXT_OFFSET + 1);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/*
 * v2 extension offset at the limit: the server reads the extension from
 * the zeroed part of its receive area beyond the message (no EIDs, no
 * GIDs, no SMC-Dv2 extension). With the length the zero counts give, the
 * message is valid and declined: no SMC-Dv2 extension.
 */
TEST_F_TIMEOUT(hostile, v2_ext_offset_outside_message, 60)
{
	size_t len = PROP_BASE_LEN + SMCD_LEN + V2X_LEN + SMCDX_LEN + TRL_LEN;

	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	clc_frame(&self->m, CLC_PROPOSAL, len, 2, SMC_TYPE_D, SMC_TYPE_N);
	put16(self->m.b + SMCD_V2_EXT_OFFSET, MAX_V2_EXT_OFFSET);
	ASSERT_LT(len, SMCD_V2_EXT_BASE + MAX_V2_EXT_OFFSET);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_decline(_metadata, self->srv, self->fd, 2,
		       SMC_CLC_DECL_NOV2DEXT);
	hostile_done(_metadata, self);
}

/*
 * SMC-Dv2 extension offset at the limit: beyond the message, inside the
 * receive area: no SEID and a zero GID/CHID entry are read there, which
 * match no device.
 */
TEST_F_TIMEOUT(hostile, smcd_ext_offset_outside_message, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	put16(self->m.b + self->m.v2x + V2X_SMCD_OFFSET,
	      MAX_SMCD_V2_EXT_OFFSET);
	ASSERT_LT(self->m.len,
		  self->m.v2x + V2X_SMCD_BASE + MAX_SMCD_V2_EXT_OFFSET);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_decline(_metadata, self->srv, self->fd, 2,
		       SMC_CLC_DECL_NOSMCD2DEV);
	hostile_done(_metadata, self);
}

/* SMC-Dv2 extension offset past the receive area: no SMC-Dv2 extension */
TEST_F_TIMEOUT(hostile, smcd_ext_offset_past_max, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	put16(self->m.b + self->m.v2x + V2X_SMCD_OFFSET,
	      MAX_SMCD_V2_EXT_OFFSET + 1);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_decline(_metadata, self->srv, self->fd, 2,
		       SMC_CLC_DECL_NOV2DEXT);
	hostile_done(_metadata, self);
}

TEST_F_TIMEOUT(hostile, smcd_ext_offset_0xffff, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	put16(self->m.b + self->m.v2x + V2X_SMCD_OFFSET, 0xffff);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_decline(_metadata, self->srv, self->fd, 2,
		       SMC_CLC_DECL_NOV2DEXT);
	hostile_done(_metadata, self);
}

/* 64 KiB of garbage */
TEST_F_TIMEOUT(hostile, garbage_64k, 60)
{
	if (self->skip)
		return;

	smc_pattern_fill(0x67617262, 0, self->m.b, 65536);
	/* not by chance a header the server reads further */
	self->m.b[0] = 0;
	send_all(self->fd, self->m.b, 65536, 5000);
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* a valid proposal header claiming 0xffff bytes, then garbage */
TEST_F_TIMEOUT(hostile, garbage_64k_behind_header, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	smc_pattern_fill(0x67617263, 0, self->m.b + HDR_LEN, 0xffff - HDR_LEN);
	put16(self->m.b + HDR_LENGTH, 0xffff);
	send_all(self->fd, self->m.b, 0xffff, 5000);
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/* a confirm where the proposal belongs */
TEST_F_TIMEOUT(hostile, confirm_first, 60)
{
	struct clc_accept acc = { 0 };

	if (self->skip)
		return;

	build_confirm(&self->m, &acc, self->lo.gid, 1, 0);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_closed(_metadata, self->srv, self->fd);
	hostile_done(_metadata, self);
}

/*
 * A decline where the proposal belongs: the server falls back without an
 * answer and keeps the peer's reason.
 */
TEST_F_TIMEOUT(hostile, decline_first, 60)
{
	int port = smc_lib_local_port(self->fd);
	struct srv_conn *sc;

	if (self->skip)
		return;

	build_decline(&self->m, 2, SMC_CLC_DECL_NOSMCDDEV);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	sc = srv_find(self->srv, port, 5000);
	ASSERT_NE(NULL, sc);
	EXPECT_EQ(SMC_DIAG_MODE_FALLBACK_TCP, sc->di.mode);
	EXPECT_EQ(SMC_CLC_DECL_PEERDECL, sc->di.fallback_rsn);
	EXPECT_EQ(SMC_CLC_DECL_NOSMCDDEV, sc->di.peer_diagnosis);
	/* no CLC answer: the first bytes back are the echo */
	check_echo(_metadata, self->fd, 0, 16384, 4);
	hostile_done(_metadata, self);
}

/* the right GID, another system EID: no SMC-D device for it */
TEST_F_TIMEOUT(hostile, wrong_seid, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	self->m.b[self->m.smcdx + SMCDX_SEID + EID_LEN - 1] ^= 0x01;
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_decline(_metadata, self->srv, self->fd, 2,
		       SMC_CLC_DECL_NOSMCDDEV);
	hostile_done(_metadata, self);
}

/* CHID 0xFFFF with a GID that is not this system's loopback GID */
TEST_F_TIMEOUT(hostile, foreign_loopback_gid, 60)
{
	struct lo_facts other = self->lo;

	if (self->skip)
		return;

	other.gid = ~self->lo.gid;
	build_proposal(&self->m, &other, 1, 0);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_decline(_metadata, self->srv, self->fd, 2,
		       SMC_CLC_DECL_NOSMCD2DEV);
	hostile_done(_metadata, self);
}

/* neither the SEID flag nor a user EID */
TEST_F_TIMEOUT(hostile, no_eid, 60)
{
	if (self->skip)
		return;

	build_proposal(&self->m, &self->lo, 1, 0);
	self->m.b[self->m.v2x + V2X_FLAG] = 0;
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_decline(_metadata, self->srv, self->fd, 2, SMC_CLC_DECL_NOUEID);
	hostile_done(_metadata, self);
}

/* version 2, nothing offered in either version */
TEST_F_TIMEOUT(hostile, offers_nothing, 60)
{
	size_t len = PROP_BASE_LEN + SMCD_LEN + TRL_LEN;

	if (self->skip)
		return;

	memset(&self->m, 0, sizeof(self->m));
	clc_frame(&self->m, CLC_PROPOSAL, len, 2, SMC_TYPE_N, SMC_TYPE_N);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_decline(_metadata, self->srv, self->fd, 2,
		       SMC_CLC_DECL_PEERNOSMC);
	hostile_done(_metadata, self);
}

/* ---- forged confirms: another connection's DMB -------------------------- */

/* a real AF_SMC pair streaming pattern data both ways until stopped */
struct victim {
	int lfd, cfd, sfd;
	struct smc_diag_info c, s;
	struct vtx {
		int fd;
		__u64 seed, sent;
		int err;
		int stop;	/* __atomic */
	} tx[2];
	struct smc_stream rx[2];
	pthread_t tid[4];
	bool started[4];
};

static void *victim_tx_fn(void *arg)
{
	struct vtx *t = arg;
	__u64 rng = t->seed | 1;
	char *buf = malloc(65536);

	if (!buf) {
		t->err = ENOMEM;
		goto out;
	}
	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
		size_t n = smc_rand_size(&rng, 65536), off = 0;

		smc_pattern_fill(t->seed, t->sent, buf, n);
		while (off < n) {
			ssize_t w = send(t->fd, buf + off, n - off, MSG_NOSIGNAL);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				t->err = w < 0 ? errno : EIO;
				goto out;
			}
			off += w;
			t->sent += w;
		}
	}
out:
	free(buf);
	shutdown(t->fd, SHUT_WR);
	return NULL;
}

static void victim_start(struct __test_metadata *_metadata, struct victim *v,
			 int family, const char *addr)
{
	struct timeval tv = { .tv_sec = 10 };
	__u16 port;
	int i;

	v->lfd = smc_lib_listen(SMC_KIND_SMC, family, addr, 0, &port);
	ASSERT_LE(0, v->lfd) TH_LOG("victim listener: %s", smc_lib_err);
	v->cfd = smc_lib_connect(SMC_KIND_SMC, family, addr, port);
	ASSERT_LE(0, v->cfd) TH_LOG("victim client: %s", smc_lib_err);
	v->sfd = smc_lib_accept(v->lfd, 10000);
	ASSERT_LE(0, v->sfd) TH_LOG("victim server: %s", smc_lib_err);
	ASSERT_EQ(1, smc_diag_query_fd(v->cfd, &v->c));
	ASSERT_EQ(1, smc_diag_query_fd(v->sfd, &v->s));
	ASSERT_EQ(SMC_DIAG_MODE_SMCD, v->c.mode);
	ASSERT_EQ(SMC_DIAG_MODE_SMCD, v->s.mode);
	ASSERT_TRUE(v->c.has_dmb && v->s.has_dmb);
	TH_LOG("victim: client DMB 0x%016llx (%u bytes), server DMB 0x%016llx (%u bytes)",
	       (unsigned long long)v->c.token, v->c.rmbe_size,
	       (unsigned long long)v->s.token, v->s.rmbe_size);

	/* a stalled victim errs out instead of hanging the test */
	for (i = 0; i < 2; i++) {
		int fd = i ? v->sfd : v->cfd;

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	/* tx[0]/rx[0]: client to server, tx[1]/rx[1]: server to client */
	for (i = 0; i < 2; i++) {
		v->tx[i].fd = i ? v->sfd : v->cfd;
		v->tx[i].seed = 0x76696374ULL + i;
		smc_stream_init(&v->rx[i], i ? v->cfd : v->sfd, v->tx[i].seed,
				0);
		v->rx[i].until_eof = true;
		v->rx[i].max_chunk = 65536;
		v->started[2 * i] = !pthread_create(&v->tid[2 * i], NULL,
						    victim_tx_fn, &v->tx[i]);
		v->started[2 * i + 1] = !pthread_create(&v->tid[2 * i + 1], NULL,
							smc_stream_recv,
							&v->rx[i]);
		ASSERT_TRUE(v->started[2 * i] && v->started[2 * i + 1]);
	}
}

static void victim_stop(struct victim *v)
{
	int i;

	for (i = 0; i < 2; i++)
		__atomic_store_n(&v->tx[i].stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 4; i++)
		if (v->started[i])
			pthread_join(v->tid[i], NULL);
	memset(v->started, 0, sizeof(v->started));
}

/* every byte arrived, unchanged and once, and the pair is still SMC-D */
static void victim_check(struct __test_metadata *_metadata, struct victim *v)
{
	struct smc_diag_info c, s;
	int i;

	victim_stop(v);
	for (i = 0; i < 2; i++) {
		const char *dir = i ? "server->client" : "client->server";

		TH_LOG("victim %s: %llu bytes sent, %llu received and verified",
		       dir, (unsigned long long)v->tx[i].sent,
		       (unsigned long long)v->rx[i].done);
		EXPECT_EQ(0, v->tx[i].err)
			TH_LOG("victim %s send: %s", dir, strerror(v->tx[i].err));
		EXPECT_TRUE(smc_stream_ok(&v->rx[i]))
			TH_LOG("victim %s: %s", dir, v->rx[i].msg);
		EXPECT_EQ(v->tx[i].sent, v->rx[i].done);
		EXPECT_LT(0, v->rx[i].done);
	}
	ASSERT_EQ(1, smc_diag_query_fd(v->cfd, &c));
	ASSERT_EQ(1, smc_diag_query_fd(v->sfd, &s));
	EXPECT_EQ(SMC_DIAG_MODE_SMCD, c.mode);
	EXPECT_EQ(SMC_DIAG_MODE_SMCD, s.mode);
}

static void victim_close(struct victim *v)
{
	victim_stop(v);
	if (v->sfd >= 0)
		close(v->sfd);
	if (v->cfd >= 0)
		close(v->cfd);
	if (v->lfd >= 0)
		close(v->lfd);
	v->lfd = -1;
	v->cfd = -1;
	v->sfd = -1;
}

#define FORGE_GREET_LEN	4096

FIXTURE(forged)
{
	bool skip;
	struct srv *srv;
	struct lo_facts lo;
	struct clc_msg m;
	struct victim v;
	int fd;
};

FIXTURE_VARIANT(forged)
{
	int family;
	const char *addr;
};

FIXTURE_VARIANT_ADD(forged, ipv4)
{
	.family = AF_INET, .addr = "127.0.0.1",
};

FIXTURE_VARIANT_ADD(forged, ipv6)
{
	.family = AF_INET6, .addr = "::1",
};

FIXTURE_SETUP(forged)
{
	FILE *f = fopen("/sys/module/" SMC_LO_MODULE "/parameters/nocopy", "r");
	int err;

	if (f) {
		char mode[8] = "";

		if (fgets(mode, sizeof(mode), f))
			TH_LOG("%s nocopy=%c", SMC_LO_MODULE, mode[0]);
		fclose(f);
	}
	self->fd = -1;
	self->v.lfd = -1;
	self->v.cfd = -1;
	self->v.sfd = -1;
	/* a server that speaks first: its writes are what could go astray */
	self->srv = srv_start(variant->family, variant->addr, FORGE_GREET_LEN,
			      &err);
	if (!self->srv && (err == -EADDRNOTAVAIL || err == -EAFNOSUPPORT)) {
		self->skip = true;
		SKIP(return, "%s not usable: %s", variant->addr, smc_lib_err);
	}
	ASSERT_NE(NULL, self->srv) TH_LOG("listener: %s", smc_lib_err);
	learn_facts(_metadata, self->srv, &self->lo);
}

FIXTURE_TEARDOWN(forged)
{
	if (self->fd >= 0)
		close(self->fd);
	victim_close(&self->v);
	srv_stop(self->srv);
}

/* forge() names the server's own DMB, from its accept */
#define FORGE_OWN_DMB	0

/*
 * Forge a handshake whose confirm names @token as the client's DMB while
 * the victim streams (FORGE_OWN_DMB: the server's own DMB, from its
 * accept). The forged connection must be declined, die or fall back;
 * whatever the server writes must not reach the victim.
 */
static void forge(struct __test_metadata *_metadata,
		  struct _test_data_forged *self, __u64 token, __u32 rmbe_size,
		  const char *what)
{
	bool own = token == FORGE_OWN_DMB;
	struct clc_accept acc;
	struct srv_conn *sc;
	struct answer a;
	int port;

	self->fd = raw_open(_metadata, self->srv);
	ASSERT_LE(0, self->fd);
	port = smc_lib_local_port(self->fd);
	build_proposal(&self->m, &self->lo, 1, 0);
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	expect_accept(_metadata, self->fd, &self->lo, &acc);
	if (own) {
		token = acc.token;
		rmbe_size = (16384 << acc.dmbe_size) - 32;
	}
	TH_LOG("accept: server DMB 0x%016llx; confirm names %s 0x%016llx",
	       (unsigned long long)acc.token, what, (unsigned long long)token);

	build_confirm(&self->m, &acc, self->lo.gid, token,
		      dmbe_size_comp(rmbe_size));
	send_msg(_metadata, self->fd, &self->m, self->m.len);
	read_answer(self->fd, 3000, &a);
	TH_LOG("after the confirm: %s", a.text);
	/* reset: nothing may be accepted, as in expect_closed() */
	sc = srv_find(self->srv, port, a.kind == ANS_CLOSED ? 200 : 3000);
	if (sc) {
		char line[256];

		smc_diag_format(&sc->di, line, sizeof(line));
		TH_LOG("server end of the forged connection: %s", line);
	}
	switch (a.kind) {
	case ANS_CLC:
		/* declined: the connection must be TCP now */
		EXPECT_EQ(CLC_DECLINE, a.type);
		ASSERT_NE(NULL, sc) TH_LOG("declined, but not accepted as TCP");
		EXPECT_EQ(SMC_DIAG_MODE_FALLBACK_TCP, sc->di.mode);
		EXPECT_EQ(get32(a.b + DECL_DIAG), sc->di.fallback_rsn);
		check_echo(_metadata, self->fd, self->srv->greet_len, 16384, 5);
		break;
	case ANS_CLOSED:
		EXPECT_EQ(NULL, sc);
		break;
	case ANS_DATA:
		/* TCP fallback without a decline: the greeting arrives */
		ASSERT_NE(NULL, sc);
		EXPECT_EQ(SMC_DIAG_MODE_FALLBACK_TCP, sc->di.mode);
		break;
	default:
		/* no answer at all: the server kept the connection */
		ASSERT_NE(NULL, sc) TH_LOG("no answer, and nothing accepted");
		break;
	}
	/* a confirm naming the server's own DMB must not leave an SMC-D
	 * connection wired to itself
	 */
	if (own && sc)
		EXPECT_NE(SMC_DIAG_MODE_SMCD, sc->di.mode)
			TH_LOG("the server's connection writes into its own DMB");
	/* time for the greeting and for anything else the server sends */
	usleep(500000);
	if (sc)
		srv_conn_stop(sc);	/* the server closes: more CDC messages */
	usleep(300000);
	victim_check(_metadata, &self->v);
	if (sc)
		EXPECT_NE(SMC_DIAG_MODE_SMCD, sc->di.mode)
			TH_LOG("the server writes to DMB 0x%016llx as the forged confirm said",
			       (unsigned long long)sc->di.peer_token);
	close(self->fd);
	self->fd = -1;
}

/* the victim client's DMB, which the victim server writes */
TEST_F_TIMEOUT(forged, confirm_victim_client_dmb, 120)
{
	if (self->skip)
		return;
	victim_start(_metadata, &self->v, variant->family, variant->addr);
	usleep(200000);
	forge(_metadata, self, self->v.c.token, self->v.c.rmbe_size,
	      "the victim client's DMB");
	victim_close(&self->v);
	check_serving(_metadata, self->srv, NULL);
}

/* the victim server's DMB, which the victim client writes */
TEST_F_TIMEOUT(forged, confirm_victim_server_dmb, 120)
{
	if (self->skip)
		return;
	victim_start(_metadata, &self->v, variant->family, variant->addr);
	usleep(200000);
	forge(_metadata, self, self->v.s.token, self->v.s.rmbe_size,
	      "the victim server's DMB");
	victim_close(&self->v);
	check_serving(_metadata, self->srv, NULL);
}

/* a token no DMB has: nothing to write to */
TEST_F_TIMEOUT(forged, confirm_unknown_token, 120)
{
	__u64 token;

	if (self->skip)
		return;
	victim_start(_metadata, &self->v, variant->family, variant->addr);
	token = self->v.c.token ^ 0x5a5a5a5a00000000ULL;
	ASSERT_NE(token, self->v.s.token);
	usleep(200000);
	forge(_metadata, self, token, self->v.c.rmbe_size, "an unknown DMB");
	victim_close(&self->v);
	check_serving(_metadata, self->srv, NULL);
}

/* the server's own DMB: its connection would be wired to itself */
TEST_F_TIMEOUT(forged, confirm_own_server_dmb, 120)
{
	if (self->skip)
		return;
	victim_start(_metadata, &self->v, variant->family, variant->addr);
	usleep(200000);
	forge(_metadata, self, FORGE_OWN_DMB, 0, "the server's own DMB");
	victim_close(&self->v);
	check_serving(_metadata, self->srv, NULL);
}

/*
 * Two forged clients, each with an accept in hand, confirm with each
 * other's server DMB: tokens nobody writes yet. Were either confirm taken,
 * the two server connections would be wired to each other, one listener's
 * output read as input by the other. Neither may end up over SMC-D, and
 * after its confirm neither may fall back: it was reset.
 */
TEST_F_TIMEOUT(forged, cross_wire, 120)
{
	struct clc_accept acc[2];
	struct srv_conn *sc[2];
	struct answer a[2];
	int fd[2], port[2];
	int i;

	if (self->skip)
		return;
	for (i = 0; i < 2; i++) {
		fd[i] = raw_open(_metadata, self->srv);
		ASSERT_LE(0, fd[i]);
		port[i] = smc_lib_local_port(fd[i]);
		build_proposal(&self->m, &self->lo, 1, 0);
		send_msg(_metadata, fd[i], &self->m, self->m.len);
		expect_accept(_metadata, fd[i], &self->lo, &acc[i]);
	}
	TH_LOG("server DMBs 0x%016llx and 0x%016llx, each confirm names the other",
	       (unsigned long long)acc[0].token,
	       (unsigned long long)acc[1].token);
	for (i = 0; i < 2; i++) {
		const struct clc_accept *other = &acc[!i];
		__u32 rmbe_size = (16384 << other->dmbe_size) - 32;

		build_confirm(&self->m, &acc[i], self->lo.gid, other->token,
			      dmbe_size_comp(rmbe_size));
		send_msg(_metadata, fd[i], &self->m, self->m.len);
	}
	for (i = 0; i < 2; i++) {
		read_answer(fd[i], 3000, &a[i]);
		TH_LOG("forged client %d after its confirm: %s", i, a[i].text);
		sc[i] = srv_find(self->srv, port[i], 1000);
		if (sc[i]) {
			char line[256];

			smc_diag_format(&sc[i]->di, line, sizeof(line));
			TH_LOG("server end %d: %s", i, line);
			EXPECT_NE(SMC_DIAG_MODE_SMCD, sc[i]->di.mode)
				TH_LOG("server end %d writes the other's DMB 0x%016llx",
				       i,
				       (unsigned long long)sc[i]->di.peer_token);
			EXPECT_NE(SMC_DIAG_MODE_FALLBACK_TCP, sc[i]->di.mode)
				TH_LOG("server connection %d fell back after the confirm",
				       i);
		}
		EXPECT_EQ(NULL, sc[i]);
		EXPECT_EQ(ANS_CLOSED, a[i].kind);
	}
	for (i = 0; i < 2; i++)
		close(fd[i]);
	srv_reap(self->srv);
	check_serving(_metadata, self->srv, NULL);
}

/* rounds of confirm_race; SMC_RACE_ROUNDS overrides */
#define RACE_ROUNDS	30

static int race_rounds(void)
{
	const char *s = getenv("SMC_RACE_ROUNDS");
	int n = s ? atoi(s) : 0;

	return n > 0 ? n : RACE_ROUNDS;
}

struct race_conn {
	int fd;
	int family;
	const char *addr;
	__u16 port;
	int rc;
	int done;	/* __atomic */
};

static void *race_connect_fn(void *arg)
{
	struct race_conn *r = arg;

	r->rc = smc_lib_connect_fd(r->fd, r->family, r->addr, r->port);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A forger with an accept in hand watches a fresh victim client through
 * sock_diag and confirms with the victim's DMB token the moment it shows,
 * racing the victim's own confirm to its server. Whoever wins, the victim
 * pair is SMC-D on both ends and carries its data intact, and the forged
 * connection never writes the victim's DMB.
 */
TEST_F_TIMEOUT(forged, confirm_race, 600)
{
	struct timeval tv = { .tv_sec = 10 };
	int round, rounds = race_rounds(), early = 0, fired = 0;
	struct smc_diag_info ci, si;
	struct race_conn r;
	__u16 vport;
	int vlfd;

	if (self->skip)
		return;
	vlfd = smc_lib_listen(SMC_KIND_SMC, variant->family, variant->addr, 0,
			      &vport);
	ASSERT_LE(0, vlfd) TH_LOG("victim listener: %s", smc_lib_err);
	for (round = 0; round < rounds; round++) {
		struct smc_stream st[4];
		struct clc_accept acc;
		struct srv_conn *sc;
		struct answer a;
		pthread_t tid;
		bool sent = false;
		int fport, sfd;
		__u64 ino;

		self->fd = raw_open(_metadata, self->srv);
		ASSERT_LE(0, self->fd);
		fport = smc_lib_local_port(self->fd);
		build_proposal(&self->m, &self->lo, 1, 0);
		send_msg(_metadata, self->fd, &self->m, self->m.len);
		expect_accept(_metadata, self->fd, &self->lo, &acc);

		memset(&r, 0, sizeof(r));
		r.fd = smc_lib_socket(SMC_KIND_SMC, variant->family);
		ASSERT_LE(0, r.fd) TH_LOG("victim client: %s", smc_lib_err);
		r.family = variant->family;
		r.addr = variant->addr;
		r.port = vport;
		ino = smc_lib_inode(r.fd);
		ASSERT_EQ(0, pthread_create(&tid, NULL, race_connect_fn, &r));
		/* the victim's DMB token, as soon as sock_diag shows it */
		while (!sent) {
			bool done = __atomic_load_n(&r.done, __ATOMIC_ACQUIRE);

			if (smc_diag_query_inode(ino, &ci) == 1 && ci.has_dmb &&
			    ci.token) {
				build_confirm(&self->m, &acc, self->lo.gid,
					      ci.token,
					      dmbe_size_comp(ci.rmbe_size));
				send_msg(_metadata, self->fd, &self->m,
					 self->m.len);
				sent = true;
				fired++;
				if (!done)
					early++;
			} else if (done) {
				break;
			}
		}
		pthread_join(tid, NULL);
		ASSERT_EQ(0, r.rc) TH_LOG("round %d: victim connect: %s", round,
					  strerror(-r.rc));
		sfd = smc_lib_accept(vlfd, 10000);
		ASSERT_LE(0, sfd) TH_LOG("round %d: victim accept: %s", round,
					 smc_lib_err);
		setsockopt(r.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(sfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		ASSERT_EQ(1, smc_diag_query_fd(r.fd, &ci));
		ASSERT_EQ(1, smc_diag_query_fd(sfd, &si));
		EXPECT_EQ(SMC_DIAG_MODE_SMCD, ci.mode)
			TH_LOG("round %d: victim client not SMC-D (fallback 0x%08x)",
			       round, ci.fallback_rsn);
		EXPECT_EQ(SMC_DIAG_MODE_SMCD, si.mode)
			TH_LOG("round %d: victim server not SMC-D (fallback 0x%08x)",
			       round, si.fallback_rsn);
		EXPECT_EQ(0, smc_exchange(r.fd, sfd, 65536, 65536,
					  0x72616365ULL + round, 16384, st))
			TH_LOG("round %d: victim data: %s", round,
			       smc_exchange_error(st));

		if (sent) {
			read_answer(self->fd, 3000, &a);
			sc = srv_find(self->srv, fport,
				      a.kind == ANS_CLOSED ? 100 : 500);
			if (sc)
				EXPECT_NE(SMC_DIAG_MODE_SMCD, sc->di.mode)
					TH_LOG("round %d: forged end writes DMB 0x%016llx",
					       round,
					       (unsigned long long)sc->di.peer_token);
			EXPECT_EQ(ANS_CLOSED, a.kind)
				TH_LOG("round %d: forged confirm answered: %s",
				       round, a.text);
		}
		close(sfd);
		close(r.fd);
		close(self->fd);
		self->fd = -1;
		srv_reap(self->srv);
		if (!_metadata->passed)
			break;
	}
	TH_LOG("%d forged confirms, %d of them while the victim was still connecting",
	       fired, early);
	EXPECT_LT(0, fired);
	close(vlfd);
	check_serving(_metadata, self->srv, NULL);
}

/*
 * Take the accept, then decline with the first contact bit, as a client
 * that did not find the link group would (SMC_CLC_DECL_SYNCERR). On
 * loopback that link group is everybody's: the victim streams on, 100
 * times over, and stays SMC-D.
 */
TEST_F_TIMEOUT(forged, decline_first_contact, 300)
{
	struct clc_accept acc;
	struct answer a;
	int i;

	if (self->skip)
		return;
	victim_start(_metadata, &self->v, variant->family, variant->addr);
	usleep(200000);
	for (i = 0; i < 100; i++) {
		self->fd = raw_open(_metadata, self->srv);
		ASSERT_LE(0, self->fd);
		build_proposal(&self->m, &self->lo, 1, 0);
		send_msg(_metadata, self->fd, &self->m, self->m.len);
		expect_accept(_metadata, self->fd, &self->lo, &acc);
		build_decline(&self->m, 2, SMC_CLC_DECL_SYNCERR);
		self->m.b[HDR_VERSION] = hdr_vt(2, CLC_FIRST_CONTACT, 0);
		send_msg(_metadata, self->fd, &self->m, self->m.len);
		/* the server fell back to TCP: its greeting comes */
		read_answer(self->fd, ANSWER_MS, &a);
		ASSERT_EQ(ANS_DATA, a.kind)
			TH_LOG("attack %d: expected the greeting, got: %s", i,
			       a.text);
		close(self->fd);
		self->fd = -1;
		srv_reap(self->srv);
	}
	victim_check(_metadata, &self->v);
	victim_close(&self->v);
	check_serving(_metadata, self->srv, NULL);
}

/* ---- hostile servers: a forged listener answers a real AF_SMC client ---- */

/*
 * A real client only speaks CLC to a server whose SYN-ACK carried the SMC
 * TCP option, which no plain TCP listener sends. So the forged listener
 * is built by hand (root only): a TCP listener on the port whose accept
 * queue is kept full keeps the kernel silent (the client's SYN is
 * dropped, not answered); a raw socket sees the SYN, and sends the SYN-ACK
 * with the SMC option; a TCP_REPAIR socket with the sequence numbers of
 * that exchange takes the connection over. From there on, what the client
 * reads as its server's CLC messages is written by this program.
 *
 * The real client must decline (and fall back to TCP) or fail its
 * connect() cleanly, in the time the CLC handshake allows; a victim pair
 * streams checked data meanwhile and the real listener keeps serving.
 *
 * A client registers its own DMB only when the accept has arrived, with a
 * fresh random token: a server cannot name it (the KUnit case
 * smcd_self_attach covers a peer naming our own DMB). The pending DMB of
 * a handshake that the forger holds open with the real listener is the
 * one DMB a forged accept can name successfully: its size and index
 * fields are checked against it.
 */

#define TCPOPT_SMC_KIND		254
#define TCPOPT_SMC_MAGIC	0xe2d4c3d9
#define FAKE_ISS		0x10203040U
#define FAKE_MSS		1400
#define CLC_WAIT_S		6	/* CLC_WAIT_TIME */
#define DMBE_1M			6	/* 16 KiB << 6 */
#define SMCD_AC_V1_LEN		48	/* SMCD_CLC_ACCEPT_CONFIRM_LEN */
#define SMCR_AC_V2_LEN		108	/* SMCR_CLC_ACCEPT_CONFIRM_LEN_V2 */

struct fake_srv {
	int family;
	const char *addr;
	int lfd, filler, raw, fd;
	__u16 port, cport;
	__u32 cisn;
	__u16 cwin;
	bool smc_opt;
	__u8 caddr[16];
};

/* the real AF_SMC client, in a thread: connect() may block in the handshake */
struct real_client {
	int family;
	const char *addr;
	__u16 port;
	int fd, rc, diag_rc;
	double t_end;		/* connect() returned */
	struct smc_diag_info di;
	pthread_t tid;
	bool started;
};

static void *real_client_fn(void *arg)
{
	struct real_client *c = arg;

	c->rc = smc_lib_connect_fd(c->fd, c->family, c->addr, c->port);
	c->t_end = smc_now();
	if (!c->rc)
		c->diag_rc = smc_diag_query_fd(c->fd, &c->di);
	return NULL;
}

static __u32 csum_add(__u32 sum, const __u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

/* TCP checksum of @seg (@len bytes) from @src to @dst */
static __u16 tcp_csum(int family, const __u8 *src, const __u8 *dst,
		      const __u8 *seg, size_t len)
{
	size_t alen = family == AF_INET ? 4 : 16;
	__u32 sum = 0;
	__u8 tail[4];

	sum = csum_add(sum, src, alen);
	sum = csum_add(sum, dst, alen);
	put32(tail, len);
	sum = csum_add(sum, tail, 4);
	sum += 6;			/* IPPROTO_TCP */
	sum = csum_add(sum, seg, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static int fake_addr(struct fake_srv *f, __u16 port, struct sockaddr_storage *ss,
		     socklen_t *len)
{
	return fill_addr(f->family, f->addr, port, ss, len);
}

static int reuse(int fd)
{
	int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		return -errno;
	return 0;
}

/* the port, its full listener and the raw socket; 0 or -errno, raw_err */
static int fake_listen(struct fake_srv *f)
{
	struct sockaddr_storage ss;
	socklen_t len;

	struct pollfd pfd;

	if (fake_addr(f, 0, &ss, &len)) {
		snprintf(raw_err, sizeof(raw_err), "bad address %s", f->addr);
		return -EINVAL;
	}
	f->lfd = socket(f->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->lfd < 0 || reuse(f->lfd) ||
	    bind(f->lfd, (struct sockaddr *)&ss, len) || listen(f->lfd, 0)) {
		snprintf(raw_err, sizeof(raw_err), "listener: %s",
			 strerror(errno));
		return -errno;
	}
	f->port = smc_lib_local_port(f->lfd);
	/*
	 * One connection never accepted: with it in the accept queue, SYNs
	 * are dropped (tcp_conn_request()). Until it is there, a SYN could
	 * still get a syncookie SYN-ACK: wait for the queue to show it.
	 */
	f->filler = smc_lib_connect(SMC_KIND_TCP, f->family, f->addr, f->port);
	if (f->filler < 0) {
		snprintf(raw_err, sizeof(raw_err), "filler: %.200s",
			 smc_lib_err);
		return f->filler;
	}
	pfd.fd = f->lfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) != 1) {
		snprintf(raw_err, sizeof(raw_err),
			 "the filler connection never reached the accept queue");
		return -ETIMEDOUT;
	}
	f->raw = socket(f->family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
	if (f->raw < 0) {
		snprintf(raw_err, sizeof(raw_err), "raw socket: %s",
			 strerror(errno));
		return -errno;
	}
	return 0;
}

/* the client's SYN to our port, seen by the raw socket */
static int fake_catch_syn(struct fake_srv *f, int timeout_ms)
{
	double deadline = smc_now() + timeout_ms / 1000.0;
	struct sockaddr_storage from;
	__u8 buf[2048];

	for (;;) {
		struct pollfd pfd = { .fd = f->raw, .events = POLLIN };
		socklen_t flen = sizeof(from);
		size_t doff, i;
		ssize_t n;
		__u8 *p = buf;

		if (poll(&pfd, 1, ms_left(deadline)) <= 0) {
			snprintf(raw_err, sizeof(raw_err),
				 "no SYN to port %u within %d ms", f->port,
				 timeout_ms);
			return -ETIMEDOUT;
		}
		n = recvfrom(f->raw, buf, sizeof(buf), 0,
			     (struct sockaddr *)&from, &flen);
		if (n <= 0)
			continue;
		if (f->family == AF_INET) {	/* IPv4 raw: with the IP header */
			size_t ihl = (buf[0] & 0xf) * 4;

			if ((size_t)n < ihl + 20)
				continue;
			memcpy(f->caddr, buf + 12, 4);
			p += ihl;
			n -= ihl;
		} else {
			if (n < 20)
				continue;
			memcpy(f->caddr,
			       &((struct sockaddr_in6 *)&from)->sin6_addr, 16);
		}
		/* SYN without ACK to our port */
		if (get16(p + 2) != f->port || (p[13] & 0x12) != 0x02)
			continue;
		f->cport = get16(p);
		f->cisn = get32(p + 4);
		f->cwin = get16(p + 14);
		doff = (p[12] >> 4) * 4;
		for (i = 20; i < doff && i < (size_t)n;) {
			if (p[i] == 0)
				break;
			if (p[i] == 1) {
				i++;
				continue;
			}
			if (i + 1 >= doff || p[i + 1] < 2)
				break;
			if (p[i] == TCPOPT_SMC_KIND && p[i + 1] >= 6 &&
			    get32(p + i + 2) == TCPOPT_SMC_MAGIC)
				f->smc_opt = true;
			i += p[i + 1];
		}
		return 0;
	}
}

/* a TCP_REPAIR socket in the state the SYN-ACK will create */
static int fake_take_over(struct fake_srv *f)
{
	/* what the SYN-ACK announces: this MSS, no window scaling */
	struct tcp_repair_opt opt[] = {
		{ .opt_code = TCPOPT_MAXSEG, .opt_val = FAKE_MSS },
		{ .opt_code = TCPOPT_WINDOW, .opt_val = 0 },
	};
	struct tcp_repair_window w = {
		.snd_wl1 = f->cisn + 1, .snd_wnd = f->cwin,
		.max_window = f->cwin, .rcv_wnd = 65535,
		.rcv_wup = f->cisn + 1,
	};
	int on = TCP_REPAIR_ON, off = TCP_REPAIR_OFF_NO_WP, q;
	struct sockaddr_storage ss;
	socklen_t len;
	__u32 seq;

	f->fd = socket(f->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->fd < 0 || reuse(f->fd) ||
	    setsockopt(f->fd, SOL_TCP, TCP_REPAIR, &on, sizeof(on)))
		goto err;
	if (fake_addr(f, f->port, &ss, &len) ||
	    bind(f->fd, (struct sockaddr *)&ss, len))
		goto err;
	q = TCP_SEND_QUEUE;
	seq = FAKE_ISS + 1;
	if (setsockopt(f->fd, SOL_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q)) ||
	    setsockopt(f->fd, SOL_TCP, TCP_QUEUE_SEQ, &seq, sizeof(seq)))
		goto err;
	q = TCP_RECV_QUEUE;
	seq = f->cisn + 1;
	if (setsockopt(f->fd, SOL_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q)) ||
	    setsockopt(f->fd, SOL_TCP, TCP_QUEUE_SEQ, &seq, sizeof(seq)))
		goto err;
	if (fake_addr(f, f->cport, &ss, &len) ||
	    connect(f->fd, (struct sockaddr *)&ss, len) ||
	    setsockopt(f->fd, SOL_TCP, TCP_REPAIR_OPTIONS, opt, sizeof(opt)) ||
	    setsockopt(f->fd, SOL_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w)) ||
	    setsockopt(f->fd, SOL_TCP, TCP_REPAIR, &off, sizeof(off)))
		goto err;
	return 0;
err:
	snprintf(raw_err, sizeof(raw_err), "TCP_REPAIR take-over: %s",
		 strerror(errno));
	return -errno;
}

/* SYN-ACK with MSS and the SMC option, from our port to the client */
static int fake_send_synack(struct fake_srv *f)
{
	struct sockaddr_storage to;
	__u8 seg[32] = { 0 }, me[16];
	socklen_t len;

	put16(seg, f->port);
	put16(seg + 2, f->cport);
	put32(seg + 4, FAKE_ISS);
	put32(seg + 8, f->cisn + 1);
	seg[12] = (sizeof(seg) / 4) << 4;
	seg[13] = 0x12;				/* SYN, ACK */
	put16(seg + 14, 65535);
	seg[20] = 2;				/* MSS */
	seg[21] = 4;
	put16(seg + 22, FAKE_MSS);
	seg[24] = TCPOPT_SMC_KIND;
	seg[25] = 6;
	put32(seg + 26, TCPOPT_SMC_MAGIC);
	seg[30] = 1;				/* NOP, NOP */
	seg[31] = 1;
	/* we are the client's destination, on the same host */
	if (inet_pton(f->family, f->addr, me) != 1 ||
	    fake_addr(f, 0, &to, &len)) {
		snprintf(raw_err, sizeof(raw_err), "bad address %s", f->addr);
		return -EINVAL;
	}
	put16(seg + 16, tcp_csum(f->family, me, f->caddr, seg, sizeof(seg)));
	if (f->family == AF_INET)
		memcpy(&((struct sockaddr_in *)&to)->sin_addr, f->caddr, 4);
	else
		memcpy(&((struct sockaddr_in6 *)&to)->sin6_addr, f->caddr, 16);
	if (sendto(f->raw, seg, sizeof(seg), 0, (struct sockaddr *)&to,
		   len) != sizeof(seg)) {
		snprintf(raw_err, sizeof(raw_err), "raw SYN-ACK: %s",
			 strerror(errno));
		return -errno;
	}
	/* done with it: it sees a copy of every TCP segment of the host */
	close(f->raw);
	f->raw = -1;
	return 0;
}

static void fake_close(struct fake_srv *f)
{
	int *fds[] = { &f->fd, &f->raw, &f->filler, &f->lfd };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* what the real client proposed: the loopback entry and the SEID */
struct proposed {
	__u64 gid;
	__u8 seid[EID_LEN];
	bool lo;
};

static void parse_proposal(const struct answer *a, struct proposed *p)
{
	size_t v2x, smcdx, gc, i, n;

	memset(p, 0, sizeof(*p));
	if (a->len < PROP_BASE_LEN + SMCD_LEN)
		return;
	v2x = SMCD_V2_EXT_BASE + get16(a->b + SMCD_V2_EXT_OFFSET);
	if (v2x + V2X_LEN > a->len)
		return;
	n = a->b[v2x + V2X_GID_CNT];
	smcdx = v2x + V2X_SMCD_BASE + get16(a->b + v2x + V2X_SMCD_OFFSET);
	gc = smcdx + SMCDX_LEN;
	if (gc + n * GIDCHID_LEN > a->len)
		return;
	memcpy(p->seid, a->b + smcdx + SMCDX_SEID, EID_LEN);
	for (i = 0; i < n; i++) {
		const __u8 *e = a->b + gc + i * GIDCHID_LEN;

		if (get16(e + 8) == SMC_LO_CHID) {
			p->gid = get64(e);
			p->lo = true;
		}
	}
}

/* an SMC-Dv2 accept without first contact (the loopback link group exists) */
static void build_accept(struct clc_msg *m, const struct proposed *p,
			 __u64 gid, __u64 token, __u8 dmbe_idx, __u8 dmbe_size)
{
	memset(m, 0, sizeof(*m));
	clc_frame(m, CLC_ACCEPT, AC_D2_LEN, 2, 0, SMC_TYPE_D);
	memcpy(m->b, ec_smcd, 4);
	memcpy(m->b + AC_D2_LEN - TRL_LEN, ec_smcd, 4);
	memcpy(m->b + AC_GID, &gid, 8);
	memcpy(m->b + AC_TOKEN, &token, 8);
	m->b[AC_DMBE_IDX] = dmbe_idx;
	m->b[AC_DMBE_SIZE] = dmbe_size << 4;
	put32(m->b + AC_LINKID, 0);
	put16(m->b + AC_CHID, SMC_LO_CHID);
	memcpy(m->b + AC_EID, p->seid, EID_LEN);
}

FIXTURE(fake_server)
{
	bool skip;
	struct srv *srv;
	struct lo_facts lo;
	struct victim v;
	struct fake_srv f;
	struct real_client c;
	struct proposed prop;
	struct clc_msg m;
	double t_sent;		/* when the forged message went out */
	int pending;		/* raw client holding a real handshake open */
	struct clc_accept pacc;	/* ... and the accept it got */
};

FIXTURE_VARIANT(fake_server)
{
	int family;
	const char *addr;
};

FIXTURE_VARIANT_ADD(fake_server, ipv4)
{
	.family = AF_INET, .addr = "127.0.0.1",
};

FIXTURE_VARIANT_ADD(fake_server, ipv6)
{
	.family = AF_INET6, .addr = "::1",
};

FIXTURE_SETUP(fake_server)
{
	int err;

	self->f.lfd = -1;
	self->f.filler = -1;
	self->f.raw = -1;
	self->f.fd = -1;
	self->c.fd = -1;
	self->pending = -1;
	self->v.lfd = -1;
	self->v.cfd = -1;
	self->v.sfd = -1;
	self->f.family = variant->family;
	self->f.addr = variant->addr;
	self->c.family = variant->family;
	self->c.addr = variant->addr;
	self->srv = srv_start(variant->family, variant->addr, 0, &err);
	if (!self->srv && (err == -EADDRNOTAVAIL || err == -EAFNOSUPPORT)) {
		self->skip = true;
		SKIP(return, "%s not usable: %s", variant->addr, smc_lib_err);
	}
	ASSERT_NE(NULL, self->srv) TH_LOG("listener: %s", smc_lib_err);
	learn_facts(_metadata, self->srv, &self->lo);
	/* the loopback link group every local connection shares */
	victim_start(_metadata, &self->v, variant->family, variant->addr);
}

static void real_client_join(struct real_client *c)
{
	if (c->started)
		pthread_join(c->tid, NULL);
	c->started = false;
}

FIXTURE_TEARDOWN(fake_server)
{
	fake_close(&self->f);		/* a client still waiting gets EOF */
	real_client_join(&self->c);
	if (self->c.fd >= 0)
		close(self->c.fd);
	if (self->pending >= 0)
		close(self->pending);
	victim_close(&self->v);
	srv_stop(self->srv);
}

/* a server DMB nobody attached yet: a real handshake held open */
static void hold_pending_dmb(struct __test_metadata *_metadata,
			     struct _test_data_fake_server *self)
{
	self->pending = raw_open(_metadata, self->srv);
	ASSERT_LE(0, self->pending);
	build_proposal(&self->m, &self->lo, 1, 0);
	send_msg(_metadata, self->pending, &self->m, self->m.len);
	expect_accept(_metadata, self->pending, &self->lo, &self->pacc);
	TH_LOG("pending server DMB 0x%016llx, dmbe_size %u",
	       (unsigned long long)self->pacc.token, self->pacc.dmbe_size);
}

/*
 * The forged listener takes a real client's connection and reads its
 * proposal, which must offer loopback-ism (CHID 0xFFFF) with the system
 * EID; with @pending, a pending server DMB is held first.
 */
static void fake_start(struct __test_metadata *_metadata,
		       struct _test_data_fake_server *self, bool pending)
{
	struct answer a;

	if (pending)
		hold_pending_dmb(_metadata, self);
	ASSERT_EQ(0, fake_listen(&self->f)) TH_LOG("%s", raw_err);
	self->c.port = self->f.port;
	self->c.fd = smc_lib_socket(SMC_KIND_SMC, self->c.family);
	ASSERT_LE(0, self->c.fd);
	self->c.started = !pthread_create(&self->c.tid, NULL, real_client_fn,
					  &self->c);
	ASSERT_TRUE(self->c.started);
	ASSERT_EQ(0, fake_catch_syn(&self->f, 5000)) TH_LOG("%s", raw_err);
	ASSERT_TRUE(self->f.smc_opt)
		TH_LOG("the real client's SYN carries no SMC option");
	ASSERT_EQ(0, fake_take_over(&self->f)) TH_LOG("%s", raw_err);
	ASSERT_EQ(0, fake_send_synack(&self->f)) TH_LOG("%s", raw_err);

	read_answer(self->f.fd, ANSWER_MS, &a);
	ASSERT_EQ(ANS_CLC, a.kind) TH_LOG("real client: %s", a.text);
	ASSERT_EQ(CLC_PROPOSAL, a.type)
		TH_LOG("expected the client's proposal, got a %s",
		       clc_type_str(a.type));
	/* SMC-Dv2 only: what the SMC-R and SMC-Dv1 cases below rely on */
	ASSERT_EQ(SMC_TYPE_N, a.typev1);
	ASSERT_EQ(SMC_TYPE_D, a.typev2);
	parse_proposal(&a, &self->prop);
	ASSERT_TRUE(self->prop.lo)
		TH_LOG("the proposal does not list loopback-ism (CHID 0xFFFF)");
	ASSERT_EQ(self->lo.gid, self->prop.gid);
	ASSERT_EQ(0, memcmp(self->prop.seid, self->lo.seid, EID_LEN));
}

static void fake_send(struct __test_metadata *_metadata,
		      struct _test_data_fake_server *self, size_t len)
{
	self->t_sent = smc_now();
	send_msg(_metadata, self->f.fd, &self->m, len);
}

/* the victim pair still moves data both ways, after the attack */
static void victim_moving(struct __test_metadata *_metadata,
			  struct victim *v)
{
	double deadline = smc_now() + 10;
	__u64 at[2];
	int i;

	for (i = 0; i < 2; i++)
		at[i] = __atomic_load_n(&v->rx[i].done, __ATOMIC_RELAXED);
	while (smc_now() < deadline &&
	       (__atomic_load_n(&v->rx[0].done, __ATOMIC_RELAXED) == at[0] ||
		__atomic_load_n(&v->rx[1].done, __ATOMIC_RELAXED) == at[1]))
		usleep(10000);
	for (i = 0; i < 2; i++)
		EXPECT_LT(at[i], __atomic_load_n(&v->rx[i].done,
						 __ATOMIC_RELAXED))
			TH_LOG("victim %s stalled after the attack",
			       i ? "server->client" : "client->server");
}

/* the client's answer came within the handshake's time; nobody else hurt */
static void fake_done(struct __test_metadata *_metadata,
		      struct _test_data_fake_server *self)
{
	double secs = self->c.t_end - self->t_sent;

	TH_LOG("client connect(): %s, %.2f s after the forged message",
	       strerror(-self->c.rc), secs);
	EXPECT_GT(CLC_WAIT_S + 2, secs);
	victim_moving(_metadata, &self->v);
	victim_check(_metadata, &self->v);
	check_serving(_metadata, self->srv, NULL);
}

/*
 * After the forged message: the client declines with @code and is a TCP
 * socket with that fallback reason (SMC_CLC_DECL_PEERDECL: it was
 * declined itself and says nothing).
 */
static void expect_decline_fallback(struct __test_metadata *_metadata,
				    struct _test_data_fake_server *self,
				    __u32 code)
{
	struct answer a;

	if (code == SMC_CLC_DECL_PEERDECL) {
		real_client_join(&self->c);
		read_answer(self->f.fd, 500, &a);
		TH_LOG("real client: %s", a.text);
		EXPECT_EQ(ANS_TIMEOUT, a.kind);
	} else {
		read_answer(self->f.fd, ANSWER_MS, &a);
		TH_LOG("real client answered: %s", a.text);
		ASSERT_EQ(ANS_CLC, a.kind);
		ASSERT_EQ(CLC_DECLINE, a.type);
		ASSERT_EQ(code, get32(a.b + DECL_DIAG))
			TH_LOG("decline reason 0x%08x, expected 0x%08x",
			       get32(a.b + DECL_DIAG), code);
		real_client_join(&self->c);
	}
	ASSERT_EQ(0, self->c.rc) TH_LOG("connect: %s", strerror(-self->c.rc));
	ASSERT_EQ(1, self->c.diag_rc);
	EXPECT_EQ(SMC_DIAG_MODE_FALLBACK_TCP, self->c.di.mode)
		TH_LOG("client in mode %s", smc_mode_str(self->c.di.mode));
	EXPECT_EQ(code, self->c.di.fallback_rsn)
		TH_LOG("fallback reason 0x%08x", self->c.di.fallback_rsn);
	fake_done(_metadata, self);
}

/* the client fails its connect() with -@err, silent until it is closed */
static void expect_connect_error(struct __test_metadata *_metadata,
				 struct _test_data_fake_server *self, int err)
{
	struct answer a;

	real_client_join(&self->c);
	EXPECT_EQ(-err, self->c.rc)
		TH_LOG("connect: %s, expected %s", strerror(-self->c.rc),
		       strerror(err));
	close(self->c.fd);
	self->c.fd = -1;
	read_answer(self->f.fd, ANSWER_MS, &a);
	TH_LOG("then: %s", a.text);
	EXPECT_EQ(ANS_CLOSED, a.kind);
	fake_done(_metadata, self);
}

static void fake_accept(struct __test_metadata *_metadata,
			struct _test_data_fake_server *self, __u64 gid,
			__u64 token, __u8 dmbe_idx, __u8 dmbe_size)
{
	TH_LOG("forged accept: gid 0x%016llx token 0x%016llx idx %u size %u",
	       (unsigned long long)gid, (unsigned long long)token, dmbe_idx,
	       dmbe_size);
	build_accept(&self->m, &self->prop, gid, token, dmbe_idx, dmbe_size);
	fake_send(_metadata, self, self->m.len);
}

/* the forged listener declines: the client falls back, says nothing */
TEST_F_TIMEOUT(fake_server, decline, 120)
{
	if (self->skip)
		return;
	fake_start(_metadata, self, false);
	build_decline(&self->m, 2, SMC_CLC_DECL_NOSMCD2DEV);
	fake_send(_metadata, self, self->m.len);
	expect_decline_fallback(_metadata, self, SMC_CLC_DECL_PEERDECL);
}

/* a token no DMB has */
TEST_F_TIMEOUT(fake_server, unknown_token, 120)
{
	if (self->skip)
		return;
	fake_start(_metadata, self, false);
	fake_accept(_metadata, self, self->lo.gid, 0x0123456789abcdefULL, 0,
		    DMBE_1M);
	expect_decline_fallback(_metadata, self, SMC_CLC_DECL_ERR_REGBUF);
}

/* the victim server's DMB, which the victim client writes: claimed */
TEST_F_TIMEOUT(fake_server, victim_server_dmb, 120)
{
	if (self->skip)
		return;
	fake_start(_metadata, self, false);
	fake_accept(_metadata, self, self->lo.gid, self->v.s.token, 0,
		    dmbe_size_comp(self->v.s.rmbe_size));
	expect_decline_fallback(_metadata, self, SMC_CLC_DECL_ERR_REGBUF);
}

/* the victim client's DMB: a client attaches only a server's DMB */
TEST_F_TIMEOUT(fake_server, victim_client_dmb, 120)
{
	if (self->skip)
		return;
	fake_start(_metadata, self, false);
	fake_accept(_metadata, self, self->lo.gid, self->v.c.token, 0,
		    dmbe_size_comp(self->v.c.rmbe_size));
	expect_decline_fallback(_metadata, self, SMC_CLC_DECL_ERR_REGBUF);
}

/* an attachable DMB announced 512 MiB large */
TEST_F_TIMEOUT(fake_server, pending_dmb_oversized, 120)
{
	if (self->skip)
		return;
	fake_start(_metadata, self, true);
	fake_accept(_metadata, self, self->lo.gid, self->pacc.token, 0, 15);
	expect_decline_fallback(_metadata, self, SMC_CLC_DECL_ERR_REGBUF);
}

/* an attachable DMB with the ring at index 0xFF, far past its end */
TEST_F_TIMEOUT(fake_server, pending_dmb_index_ff, 120)
{
	if (self->skip)
		return;
	fake_start(_metadata, self, true);
	fake_accept(_metadata, self, self->lo.gid, self->pacc.token, 0xff,
		    self->pacc.dmbe_size);
	expect_decline_fallback(_metadata, self, SMC_CLC_DECL_ERR_REGBUF);
}

/*
 * A forged accept names the real server's pending DMB with its own size:
 * the real client attaches it, confirms and is an SMC-D connection that
 * writes into it. The real server's handshake waits for a confirm, which
 * the forger holds (self->pending).
 */
static void client_confirms_pending(struct __test_metadata *_metadata,
				    struct _test_data_fake_server *self)
{
	struct answer a;

	fake_start(_metadata, self, true);
	fake_accept(_metadata, self, self->lo.gid, self->pacc.token, 0,
		    self->pacc.dmbe_size);
	read_answer(self->f.fd, ANSWER_MS, &a);
	TH_LOG("real client answered: %s", a.text);
	ASSERT_EQ(ANS_CLC, a.kind);
	ASSERT_EQ(CLC_CONFIRM, a.type);
	real_client_join(&self->c);
	ASSERT_EQ(0, self->c.rc);
	ASSERT_EQ(1, self->c.diag_rc);
	EXPECT_EQ(SMC_DIAG_MODE_SMCD, self->c.di.mode);
	ASSERT_TRUE(self->c.di.has_dmb);
	EXPECT_EQ(self->pacc.token, self->c.di.peer_token);
}

/*
 * The control for the two cases above: the same DMB with its own size is
 * attached and the client confirms. The forger then confirms the real
 * server's handshake with the client's DMB, and the two real ends it
 * holds are an SMC-D connection of its own, data intact: a client writes
 * only into the DMB of a handshake whose server end the forger holds.
 * (Left pending instead, the client's close would wait for a peer that
 * never comes, and pin smc_loopback.)
 */
TEST_F_TIMEOUT(fake_server, pending_dmb_as_announced, 120)
{
	struct srv_conn *sc;

	if (self->skip)
		return;
	client_confirms_pending(_metadata, self);

	build_confirm(&self->m, &self->pacc, self->lo.gid, self->c.di.token,
		      dmbe_size_comp(self->c.di.rmbe_size));
	send_msg(_metadata, self->pending, &self->m, self->m.len);
	sc = srv_find(self->srv, smc_lib_local_port(self->pending), 5000);
	ASSERT_NE(NULL, sc) TH_LOG("the real server did not accept");
	ASSERT_EQ(1, sc->diag_rc);
	EXPECT_EQ(SMC_DIAG_MODE_SMCD, sc->di.mode);
	EXPECT_EQ(self->c.di.token, sc->di.peer_token);
	/* the server echoes what the client writes */
	check_echo(_metadata, self->c.fd, 0, 64 * 1024, 0x7061697265ULL);
	fake_done(_metadata, self);
}

/*
 * The server end of a handshake the client confirmed ends without a word:
 * the forger drops the real server's handshake instead of confirming it,
 * and the server unregisters the DMB the client writes into. The client is
 * aborted on its next write instead of writing into nothing for ever, and
 * its close completes: before, it waited for the peer's close for good,
 * and pinned smc_loopback.
 */
TEST_F_TIMEOUT(fake_server, pending_dmb_owner_gone, 120)
{
	double deadline;
	char byte = 0x55;
	int rc = 0, err = 0;
	__u64 ino;

	if (self->skip)
		return;
	client_confirms_pending(_metadata, self);
	ino = smc_lib_inode(self->c.fd);

	/* EOF instead of a CONFIRM: the real server's handshake fails */
	close(self->pending);
	self->pending = -1;
	deadline = smc_now() + CLC_WAIT_S + 3;
	while (smc_now() < deadline) {
		rc = send(self->c.fd, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (rc < 0 && errno != EAGAIN) {
			err = errno;
			break;
		}
		usleep(20000);
	}
	ASSERT_GT(0, rc)
		TH_LOG("the client still writes to a server end that is gone");
	TH_LOG("client's write after the server end went: %s", strerror(err));
	EXPECT_TRUE(err == ECONNABORTED || err == ECONNRESET || err == EPIPE);

	close(self->c.fd);
	self->c.fd = -1;
	deadline = smc_now() + 3;
	while (smc_diag_query_inode(ino, &self->c.di) == 1 &&
	       smc_now() < deadline)
		usleep(20000);
	EXPECT_EQ(0, smc_diag_query_inode(ino, &self->c.di))
		TH_LOG("the closed client socket is still there, state %u",
		       self->c.di.state);
	victim_moving(_metadata, &self->v);
	victim_check(_metadata, &self->v);
	check_serving(_metadata, self->srv, NULL);
}

/* another GID than the proposal's: no link group to join */
TEST_F_TIMEOUT(fake_server, foreign_gid, 120)
{
	if (self->skip)
		return;
	fake_start(_metadata, self, false);
	fake_accept(_metadata, self, self->lo.gid ^ 0x5a5a, self->v.s.token,
		    0, DMBE_1M);
	expect_decline_fallback(_metadata, self, SMC_CLC_DECL_SYNCERR);
}

/* a CHID the client did not propose */
TEST_F_TIMEOUT(fake_server, unproposed_chid, 120)
{
	if (self->skip)
		return;
	fake_start(_metadata, self, false);
	build_accept(&self->m, &self->prop, self->lo.gid, self->v.s.token, 0,
		     DMBE_1M);
	put16(self->m.b + AC_CHID, 0x1234);
	fake_send(_metadata, self, self->m.len);
	expect_connect_error(_metadata, self, EPROTO);
}

/* an SMC-R accept to an SMC-D only proposal */
TEST_F_TIMEOUT(fake_server, smcr_accept, 120)
{
	if (self->skip)
		return;
	fake_start(_metadata, self, false);
	memset(&self->m, 0, sizeof(self->m));
	clc_frame(&self->m, CLC_ACCEPT, SMCR_AC_V2_LEN, 2, 0, SMC_TYPE_R);
	fake_send(_metadata, self, self->m.len);
	expect_decline_fallback(_metadata, self, SMC_CLC_DECL_MODEUNSUPP);
}

/* an SMC-Dv1 accept: the client proposed SMC-D only in v2 */
TEST_F_TIMEOUT(fake_server, v1_accept, 120)
{
	if (self->skip)
		return;
	fake_start(_metadata, self, false);
	build_accept(&self->m, &self->prop, self->lo.gid, self->v.s.token, 0,
		     DMBE_1M);
	clc_frame(&self->m, CLC_ACCEPT, SMCD_AC_V1_LEN, 1, 0, SMC_TYPE_D);
	memcpy(self->m.b, ec_smcd, 4);
	memcpy(self->m.b + SMCD_AC_V1_LEN - TRL_LEN, ec_smcd, 4);
	fake_send(_metadata, self, self->m.len);
	expect_decline_fallback(_metadata, self, SMC_CLC_DECL_MODEUNSUPP);
}

/* not a CLC message: the header's eyecatcher is wrong */
TEST_F_TIMEOUT(fake_server, bad_eyecatcher, 120)
{
	if (self->skip)
		return;
	fake_start(_metadata, self, false);
	build_accept(&self->m, &self->prop, self->lo.gid, self->v.s.token, 0,
		     DMBE_1M);
	memset(self->m.b, 0x41, 4);
	fake_send(_metadata, self, self->m.len);
	expect_connect_error(_metadata, self, EPROTO);
}

/* half an accept, then silence: the client gives up after CLC_WAIT_TIME */
TEST_F_TIMEOUT(fake_server, truncated_accept, 120)
{
	if (self->skip)
		return;
	fake_start(_metadata, self, false);
	build_accept(&self->m, &self->prop, self->lo.gid, self->v.s.token, 0,
		     DMBE_1M);
	fake_send(_metadata, self, AC_D2_LEN / 2);
	expect_connect_error(_metadata, self, EPROTO);
}

int main(int argc, char **argv)
{
	struct smcd_dev_info dev;
	int err = 0, n;

	signal(SIGPIPE, SIG_IGN);
	if (!smc_lib_af_smc_supported(AF_INET, &err)) {
		ksft_print_header();
		ksft_exit_skip("AF_SMC sockets not supported (%s): load the smc module\n",
			       strerror(err));
	}
	if (smc_diag_check()) {
		ksft_print_header();
		ksft_exit_skip("%s\n", smc_lib_err);
	}
	n = smc_lo_find(&dev);
	if (n < 0) {
		ksft_print_header();
		ksft_exit_skip("cannot list SMC-D devices: %s\n", smc_lib_err);
	}
	if (n == 0) {
		ksft_print_header();
		ksft_exit_skip("no %s device: modprobe %s\n", SMC_LO_DEV_NAME,
			       SMC_LO_MODULE);
	}
	return test_harness_run(argc, argv);
}
