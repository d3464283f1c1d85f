/* SPDX-License-Identifier: GPL-2.0 */
/* Shared Memory Communications Direct over ISM devices (SMC-D)
 *
 * SMC-D ISM device structure definitions.
 *
 * Copyright IBM Corp. 2018
 */

#ifndef SMCD_ISM_H
#define SMCD_ISM_H

#include <linux/uio.h>
#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/srcu.h>

#include "smc.h"

struct smcd_dev_list {	/* List of SMCD devices */
	struct list_head list;
	struct mutex mutex;	/* Protects list of devices */
};

extern struct smcd_dev_list	smcd_dev_list;	/* list of smcd devices */
extern struct srcu_struct	smcd_dev_srcu;

/* The system EID (SEID) is SMC_MAX_EID_LEN printable bytes, no NUL: on s390
 * the machine SEID, elsewhere a fixed default beginning with this prefix.
 */
#define SMC_ISM_SEID_PREFIX_S390	"IBM-SYSZ-ISMSEID00000000"
#define SMC_ISM_SEID_PREFIX_DEF		"IBM-DEF-ISMSEID"

struct smc_ism_vlanid {			/* VLAN id set on ISM device */
	struct list_head list;
	unsigned short vlanid;		/* Vlan id */
	refcount_t refcnt;		/* Reference count */
};

struct smcd_dev;

int smc_ism_cantalk(u64 peer_gid, unsigned short vlan_id, struct smcd_dev *dev);
void smc_ism_set_conn(struct smc_connection *conn);
void smc_ism_unset_conn(struct smc_connection *conn);
int smc_ism_get_vlan(struct smcd_dev *dev, unsigned short vlan_id);
int smc_ism_put_vlan(struct smcd_dev *dev, unsigned short vlan_id);
int smc_ism_register_dmb(struct smc_link_group *lgr, int buf_size, bool serv,
			 bool account, struct smc_buf_desc *dmb_desc);
int smc_ism_unregister_dmb(struct smcd_dev *dev, struct smc_buf_desc *dmb_desc);
int smc_ism_attach_dmb(struct smcd_dev *smcd, u64 token, u64 own_tok,
		       bool answer, struct smc_buf_desc *buf_desc);
void smc_ism_detach_dmb(struct smcd_dev *smcd, struct smc_buf_desc *buf_desc);
int smc_ism_signal_shutdown(struct smc_link_group *lgr);
void smc_ism_resolve_system_eid(u8 *seid);
void smc_ism_get_system_eid(u8 **eid);
u16 smc_ism_get_chid(struct smcd_dev *dev);
bool smc_ism_dev_v2_capable(struct smcd_dev *dev);
bool smc_ism_is_v2_capable(void);
void smc_ism_init(void);
int smcd_nl_get_device(struct sk_buff *skb, struct netlink_callback *cb);

/* A CLC handshake uses the SMC-D devices it picked from smcd_dev_list
 * without the list mutex until its connection is on a link group of the
 * device (smc_conn_create()): the client from building its proposal to the
 * end of the handshake, the server while it finds the device and creates
 * or joins the link group (smc_listen_find_device()). smcd_unregister_dev()
 * waits for these readers before it terminates the device's link groups.
 */
static inline int smc_ism_handshake_begin(void)
{
	return srcu_read_lock(&smcd_dev_srcu);
}

static inline void smc_ism_handshake_end(int idx)
{
	srcu_read_unlock(&smcd_dev_srcu, idx);
}

/* A virtual device (loopback) talks only to peers in this system */
static inline bool smc_ism_is_virtual(struct smcd_dev *smcd)
{
	return smcd->is_virtual;
}

static inline int smc_ism_write(struct smcd_dev *smcd, u64 dmb_tok,
				unsigned int idx, bool sf, unsigned int offset,
				void *data, size_t len)
{
	int rc;

	rc = smcd->ops->move_data(smcd, dmb_tok, idx, sf, offset, data, len);
	return rc < 0 ? rc : 0;
}

#endif
