/* SPDX-License-Identifier: GPL-2.0 */
/*
 *  Shared Memory Communications over RDMA (SMC-R) and RoCE
 *
 *  Definitions for the SMC module (socket related)
 *
 *  Copyright IBM Corp. 2016
 *
 *  Author(s):  Ursula Braun <ubraun@linux.vnet.ibm.com>
 */
#ifndef _SMC_H
#define _SMC_H

#include <linux/device.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

struct sock;

#define SMC_MAX_PNETID_LEN	16	/* Max. length of PNET id */

struct smc_hashinfo {
	rwlock_t lock;
	struct hlist_head ht;
};

int smc_hash_sk(struct sock *sk);
void smc_unhash_sk(struct sock *sk);

/* SMCD/ISM device driver interface */
struct smcd_dmb {
	u64 dmb_tok;
	u64 rgid;
	u32 dmb_len;
	u32 sba_idx;
	u32 vlan_valid;
	u32 vlan_id;
	void *cpu_addr;
	dma_addr_t dma_addr;
	bool serv;	/* the server end's DMB, see attach_dmb() */
	u8 account : 1;	/* charge it to the active memcg (memcg_charge) */
};

#define ISM_EVENT_DMB	0
#define ISM_EVENT_GID	1
#define ISM_EVENT_SWR	2

#define ISM_RESERVED_VLANID	0x1FFF

#define ISM_ERROR	0xFFFF

/* SMCv2.1 reserves CHIDs 0xFF00-0xFFFF for virtual ISM devices: software
 * devices that reach peers only within the same system. They have no PCI
 * function behind them, no PNET-ID and no place in SMC-Dv1, which carries
 * a single GID and no CHID.
 */
#define SMCD_VIRT_CHID_MIN	0xFF00
#define SMCD_LOOPBACK_CHID	0xFFFF

struct smcd_event {
	u32 type;
	u32 code;
	u64 tok;
	u64 time;
	u64 info;
};

struct smcd_dev;

/* The vlan ops and signal_event are optional: a virtual device has no VLAN
 * filter to program and no peer outside this system to signal. add_vlan_id
 * and del_vlan_id come as a pair.
 */
struct smcd_ops {
	/* If set, the module is pinned while connections use the device */
	struct module *owner;
	int (*query_remote_gid)(struct smcd_dev *dev, u64 rgid, u32 vid_valid,
				u32 vid);
	int (*register_dmb)(struct smcd_dev *dev, struct smcd_dmb *dmb);
	int (*unregister_dmb)(struct smcd_dev *dev, struct smcd_dmb *dmb);
	int (*add_vlan_id)(struct smcd_dev *dev, u64 vlan_id);
	int (*del_vlan_id)(struct smcd_dev *dev, u64 vlan_id);
	int (*set_vlan_required)(struct smcd_dev *dev);
	int (*reset_vlan_required)(struct smcd_dev *dev);
	int (*signal_event)(struct smcd_dev *dev, u64 rgid, u32 trigger_irq,
			    u32 event_code, u64 info);
	int (*move_data)(struct smcd_dev *dev, u64 dmb_tok, unsigned int idx,
			 bool sf, unsigned int offset, void *data,
			 unsigned int size);
	u16 (*get_chid)(struct smcd_dev *dev);
	/* Optional. A connection attaches its peer's DMB once the CLC
	 * handshake named it, and detaches when it ends: a DMB has one
	 * writer, ever. attach_dmb() looks up dmb->dmb_tok and fills in
	 * cpu_addr and dmb_len; the memory stays valid until detach_dmb(),
	 * also when its owner unregisters it meanwhile. A DMB being
	 * unregistered cannot be attached (-ENOENT), nor can one that has had
	 * a writer (-EBUSY). own_tok is the attaching connection's own DMB.
	 * The client attaches first, and only a DMB a server registered
	 * (smcd_dmb.serv); the server answers (@answer) and attaches only
	 * the client DMB whose owner attached own_tok. Anything else is
	 * -EPERM: a CLC message naming somebody else's DMB gets nowhere.
	 * Errors are negative errnos. With smcd_dev.nocopy the attached DMB
	 * is the connection's send buffer (no-copy).
	 */
	int (*attach_dmb)(struct smcd_dev *dev, struct smcd_dmb *dmb,
			  u64 own_tok, bool answer);
	int (*detach_dmb)(struct smcd_dev *dev, u64 token);
};

struct smcd_dev {
	const struct smcd_ops *ops;
	struct device dev;
	void *priv;
	u64 local_gid;
	struct list_head list;
	spinlock_t lock;
	struct smc_connection **conn;
	struct list_head vlan;
	struct workqueue_struct *event_wq;
	u8 pnetid[SMC_MAX_PNETID_LEN];
	bool pnetid_by_user;
	struct list_head lgr_list;
	spinlock_t lgr_lock;
	atomic_t lgr_cnt;
	wait_queue_head_t lgrs_deleted;
	u8 going_away : 1;
	u8 supports_v2 : 1;	/* HW can do SMC-Dv2; set before register */
	/* virtual CHID (SMCD_VIRT_CHID_MIN on): set by smcd_register_dev() */
	u8 is_virtual : 1;
	u8 nocopy : 1;		/* send buffers attach to the peer's DMB */
	/* Buffers are charged to the socket's memory cgroup: the DMBs by
	 * register_dmb() (struct smcd_dmb account), send buffers by the core
	 */
	u8 memcg_charge : 1;
	/* DMB and send buffer size for sockets whose SO_RCVBUF / SO_SNDBUF
	 * the user did not set, if larger than the sysctl's; 0: none
	 */
	unsigned int buf_size_default;
};

struct smcd_dev *smcd_alloc_dev(struct device *parent, const char *name,
				const struct smcd_ops *ops, int max_dmbs);
int smcd_register_dev(struct smcd_dev *smcd);
void smcd_unregister_dev(struct smcd_dev *smcd);
void smcd_free_dev(struct smcd_dev *smcd);
void smcd_handle_event(struct smcd_dev *dev, struct smcd_event *event);
void smcd_handle_irq(struct smcd_dev *dev, unsigned int bit, u16 dmbemask);
struct mem_cgroup;
bool smcd_memcg_room(struct mem_cgroup *memcg, int bufsize);
#endif	/* _SMC_H */
