// SPDX-License-Identifier: GPL-2.0
/* Shared Memory Communications Direct over ISM devices (SMC-D)
 *
 * Functions for ISM device.
 *
 * Copyright IBM Corp. 2018
 */

#include <linux/if_vlan.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/page.h>
#if IS_ENABLED(CONFIG_S390)
#include <asm/processor.h>
#endif

#include "smc.h"
#include "smc_core.h"
#include "smc_ism.h"
#include "smc_pnet.h"
#include "smc_netlink.h"

struct smcd_dev_list smcd_dev_list = {
	.list = LIST_HEAD_INIT(smcd_dev_list.list),
	.mutex = __MUTEX_INITIALIZER(smcd_dev_list.mutex)
};

DEFINE_SRCU(smcd_dev_srcu);

static bool smc_ism_v2_capable;
static u8 smc_ism_v2_system_eid[SMC_MAX_EID_LEN];

#define SMC_ISM_IDENT_MASK	0x00FFFF	/* serial tail of the CPU ident */

/* Test if an ISM communication is possible - same CPC */
int smc_ism_cantalk(u64 peer_gid, unsigned short vlan_id, struct smcd_dev *smcd)
{
	return smcd->ops->query_remote_gid(smcd, peer_gid, vlan_id ? 1 : 0,
					   vlan_id);
}

/* An SEID is the prefix, '0' up to the last 8 bytes, then 4 hex digits of
 * the CPU serial tail and 4 of the machine type: SMC_MAX_EID_LEN bytes.
 */
static void smc_ism_format_seid(u8 *seid, const char *prefix, u32 ident,
				u16 machine)
{
	size_t len = min_t(size_t, strlen(prefix), SMC_MAX_EID_LEN - 8);
	char tail[9];

	memset(seid, '0', SMC_MAX_EID_LEN);
	memcpy(seid, prefix, len);
	snprintf(tail, sizeof(tail), "%04X%04X",
		 (u16)(ident & SMC_ISM_IDENT_MASK), machine);
	memcpy(seid + SMC_MAX_EID_LEN - 8, tail, 8);
}

/* Resolve the system EID that SMC-Dv2 proposals carry. It depends on the
 * machine alone, not on the devices or the order they registered in, so all
 * SMC-D devices of this system present the same SEID to their peers.
 */
void smc_ism_resolve_system_eid(u8 *seid)
{
#if IS_ENABLED(CONFIG_S390)
	/* The string s390 peers have always seen from the ISM driver: the
	 * prefix, then the CPU serial tail and the machine type in hex.
	 */
	struct cpuid id;

	get_cpu_id(&id);
	smc_ism_format_seid(seid, SMC_ISM_SEID_PREFIX_S390, id.ident,
			    id.machine);
#else
	/* No machine identity to build on: one fixed default lets SMC-Dv2
	 * work within a system without any user EID configured.
	 */
	smc_ism_format_seid(seid, SMC_ISM_SEID_PREFIX_DEF, 0, 0);
#endif
}

void smc_ism_get_system_eid(u8 **eid)
{
	if (!READ_ONCE(smc_ism_v2_capable))
		*eid = NULL;
	else
		*eid = smc_ism_v2_system_eid;
}

u16 smc_ism_get_chid(struct smcd_dev *smcd)
{
	return smcd->ops->get_chid(smcd);
}

/* A machine reporting neither CPU serial nor machine type has no usable
 * SEID, so its ISM devices cannot do SMC-Dv2.
 */
static bool smc_ism_machine_seid_valid(void)
{
	const size_t serial = strlen(SMC_ISM_SEID_PREFIX_S390);

	if (!IS_ENABLED(CONFIG_S390))
		return true;
	return smc_ism_v2_system_eid[serial] != '0' ||
	       smc_ism_v2_system_eid[serial + 4] != '0';
}

/* Can this device carry SMC-Dv2 connections? A virtual device needs
 * neither hardware support nor a machine SEID: its peers share our SEID.
 */
bool smc_ism_dev_v2_capable(struct smcd_dev *smcd)
{
	if (smc_ism_is_virtual(smcd))
		return true;
	return smcd->supports_v2 && smc_ism_machine_seid_valid();
}

/* SMC-Dv2 is available while at least one v2 capable device is registered */
static void smc_ism_update_v2_capable(void)
{
	struct smcd_dev *smcd;
	bool v2 = false;

	lockdep_assert_held(&smcd_dev_list.mutex);
	list_for_each_entry(smcd, &smcd_dev_list.list, list) {
		if (smc_ism_dev_v2_capable(smcd)) {
			v2 = true;
			break;
		}
	}
	WRITE_ONCE(smc_ism_v2_capable, v2);
}

/* At least one registered device supports ISM V2 and thus SEID is defined */
bool smc_ism_is_v2_capable(void)
{
	return READ_ONCE(smc_ism_v2_capable);
}

/* Set a connection using this DMBE. */
void smc_ism_set_conn(struct smc_connection *conn)
{
	unsigned long flags;

	spin_lock_irqsave(&conn->lgr->smcd->lock, flags);
	conn->lgr->smcd->conn[conn->rmb_desc->sba_idx] = conn;
	spin_unlock_irqrestore(&conn->lgr->smcd->lock, flags);
}

/* Unset a connection using this DMBE. */
void smc_ism_unset_conn(struct smc_connection *conn)
{
	unsigned long flags;

	if (!conn->rmb_desc)
		return;

	spin_lock_irqsave(&conn->lgr->smcd->lock, flags);
	conn->lgr->smcd->conn[conn->rmb_desc->sba_idx] = NULL;
	spin_unlock_irqrestore(&conn->lgr->smcd->lock, flags);
}

/* Register a VLAN identifier with the ISM device. Use a reference count
 * and add a VLAN identifier only when the first DMB using this VLAN is
 * registered.
 */
int smc_ism_get_vlan(struct smcd_dev *smcd, unsigned short vlanid)
{
	struct smc_ism_vlanid *new_vlan, *vlan;
	unsigned long flags;
	int rc = 0;

	if (!vlanid)			/* No valid vlan id */
		return -EINVAL;
	if (!smcd->ops->add_vlan_id)	/* No VLAN filter to program */
		return 0;

	/* create new vlan entry, in case we need it */
	new_vlan = kzalloc(sizeof(*new_vlan), GFP_KERNEL);
	if (!new_vlan)
		return -ENOMEM;
	new_vlan->vlanid = vlanid;
	refcount_set(&new_vlan->refcnt, 1);

	/* if there is an existing entry, increase count and return */
	spin_lock_irqsave(&smcd->lock, flags);
	list_for_each_entry(vlan, &smcd->vlan, list) {
		if (vlan->vlanid == vlanid) {
			refcount_inc(&vlan->refcnt);
			kfree(new_vlan);
			goto out;
		}
	}

	/* no existing entry found.
	 * add new entry to device; might fail, e.g., if HW limit reached
	 */
	if (smcd->ops->add_vlan_id(smcd, vlanid)) {
		kfree(new_vlan);
		rc = -EIO;
		goto out;
	}
	list_add_tail(&new_vlan->list, &smcd->vlan);
out:
	spin_unlock_irqrestore(&smcd->lock, flags);
	return rc;
}

/* Unregister a VLAN identifier with the ISM device. Use a reference count
 * and remove a VLAN identifier only when the last DMB using this VLAN is
 * unregistered.
 */
int smc_ism_put_vlan(struct smcd_dev *smcd, unsigned short vlanid)
{
	struct smc_ism_vlanid *vlan;
	unsigned long flags;
	bool found = false;
	int rc = 0;

	if (!vlanid)			/* No valid vlan id */
		return -EINVAL;
	if (!smcd->ops->del_vlan_id)	/* No VLAN filter to program */
		return 0;

	spin_lock_irqsave(&smcd->lock, flags);
	list_for_each_entry(vlan, &smcd->vlan, list) {
		if (vlan->vlanid == vlanid) {
			if (!refcount_dec_and_test(&vlan->refcnt))
				goto out;
			found = true;
			break;
		}
	}
	if (!found) {
		rc = -ENOENT;
		goto out;		/* VLAN id not in table */
	}

	/* Found and the last reference just gone */
	if (smcd->ops->del_vlan_id(smcd, vlanid))
		rc = -EIO;
	list_del(&vlan->list);
	kfree(vlan);
out:
	spin_unlock_irqrestore(&smcd->lock, flags);
	return rc;
}

int smc_ism_unregister_dmb(struct smcd_dev *smcd, struct smc_buf_desc *dmb_desc)
{
	struct smcd_dmb dmb;
	int rc = 0;

	/* a software device has no DMA address, but every DMB a CPU one */
	if (!dmb_desc->cpu_addr)
		return rc;

	memset(&dmb, 0, sizeof(dmb));
	dmb.dmb_tok = dmb_desc->token;
	dmb.sba_idx = dmb_desc->sba_idx;
	dmb.cpu_addr = dmb_desc->cpu_addr;
	dmb.dma_addr = dmb_desc->dma_addr;
	dmb.dmb_len = dmb_desc->len;
	rc = smcd->ops->unregister_dmb(smcd, &dmb);
	if (!rc || rc == ISM_ERROR) {
		dmb_desc->cpu_addr = NULL;
		dmb_desc->dma_addr = 0;
	}

	return rc;
}

int smc_ism_register_dmb(struct smc_link_group *lgr, int dmb_len, bool serv,
			 bool account, struct smc_buf_desc *dmb_desc)
{
	struct smcd_dmb dmb;
	int rc;

	memset(&dmb, 0, sizeof(dmb));
	dmb.dmb_len = dmb_len;
	dmb.serv = serv;
	dmb.account = account;
	dmb.sba_idx = dmb_desc->sba_idx;
	dmb.vlan_id = lgr->vlan_id;
	dmb.rgid = lgr->peer_gid;
	rc = lgr->smcd->ops->register_dmb(lgr->smcd, &dmb);
	if (!rc) {
		dmb_desc->sba_idx = dmb.sba_idx;
		dmb_desc->token = dmb.dmb_tok;
		dmb_desc->cpu_addr = dmb.cpu_addr;
		dmb_desc->dma_addr = dmb.dma_addr;
		dmb_desc->len = dmb.dmb_len;
	}
	return rc;
}

/* Attach the peer's DMB @token as this connection's one writer, our own
 * DMB being @own_tok (@answer: the server end, after the client's confirm),
 * and describe it in @buf_desc. The device's module stays pinned while the
 * DMB is attached: a killed connection detaches only when its socket goes,
 * after its link group.
 */
int smc_ism_attach_dmb(struct smcd_dev *smcd, u64 token, u64 own_tok,
		       bool answer, struct smc_buf_desc *buf_desc)
{
	struct smcd_dmb dmb;
	int rc;

	if (!try_module_get(smcd->ops->owner))
		return -ENODEV;
	memset(&dmb, 0, sizeof(dmb));
	dmb.dmb_tok = token;
	rc = smcd->ops->attach_dmb(smcd, &dmb, own_tok, answer);
	if (rc) {
		module_put(smcd->ops->owner);
		return rc < 0 ? rc : -EIO;
	}
	buf_desc->token = token;
	buf_desc->cpu_addr = dmb.cpu_addr;
	buf_desc->len = dmb.dmb_len;
	return 0;
}

void smc_ism_detach_dmb(struct smcd_dev *smcd, struct smc_buf_desc *buf_desc)
{
	WARN_ON_ONCE(smcd->ops->detach_dmb(smcd, buf_desc->token));
	module_put(smcd->ops->owner);
}

static int smc_nl_handle_smcd_dev(struct smcd_dev *smcd,
				  struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	char smc_pnet[SMC_MAX_PNETID_LEN + 1];
	struct smc_pci_dev smc_pci_dev;
	struct nlattr *port_attrs;
	struct nlattr *attrs;
	int use_cnt = 0;
	void *nlh;

	nlh = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &smc_gen_nl_family, NLM_F_MULTI,
			  SMC_NETLINK_GET_DEV_SMCD);
	if (!nlh)
		goto errmsg;
	attrs = nla_nest_start(skb, SMC_GEN_DEV_SMCD);
	if (!attrs)
		goto errout;
	use_cnt = atomic_read(&smcd->lgr_cnt);
	if (nla_put_u32(skb, SMC_NLA_DEV_USE_CNT, use_cnt))
		goto errattr;
	if (nla_put_u8(skb, SMC_NLA_DEV_IS_CRIT, use_cnt > 0))
		goto errattr;
	memset(&smc_pci_dev, 0, sizeof(smc_pci_dev));
	if (smcd->dev.parent && dev_is_pci(smcd->dev.parent)) {
		smc_set_pci_values(to_pci_dev(smcd->dev.parent), &smc_pci_dev);
	} else {
		/* No PCI function: the fields that do not apply stay 0, tools
		 * still find the CHID and the device name where they look.
		 */
		smc_pci_dev.pci_pchid = smc_ism_get_chid(smcd);
		snprintf(smc_pci_dev.pci_id, sizeof(smc_pci_dev.pci_id), "%s",
			 dev_name(&smcd->dev));
	}
	if (nla_put_u32(skb, SMC_NLA_DEV_PCI_FID, smc_pci_dev.pci_fid))
		goto errattr;
	if (nla_put_u16(skb, SMC_NLA_DEV_PCI_CHID, smc_pci_dev.pci_pchid))
		goto errattr;
	if (nla_put_u16(skb, SMC_NLA_DEV_PCI_VENDOR, smc_pci_dev.pci_vendor))
		goto errattr;
	if (nla_put_u16(skb, SMC_NLA_DEV_PCI_DEVICE, smc_pci_dev.pci_device))
		goto errattr;
	if (nla_put_string(skb, SMC_NLA_DEV_PCI_ID, smc_pci_dev.pci_id))
		goto errattr;

	port_attrs = nla_nest_start(skb, SMC_NLA_DEV_PORT);
	if (!port_attrs)
		goto errattr;
	if (nla_put_u8(skb, SMC_NLA_DEV_PORT_PNET_USR, smcd->pnetid_by_user))
		goto errportattr;
	memcpy(smc_pnet, smcd->pnetid, SMC_MAX_PNETID_LEN);
	smc_pnet[SMC_MAX_PNETID_LEN] = 0;
	if (nla_put_string(skb, SMC_NLA_DEV_PORT_PNETID, smc_pnet))
		goto errportattr;

	nla_nest_end(skb, port_attrs);
	nla_nest_end(skb, attrs);
	genlmsg_end(skb, nlh);
	return 0;

errportattr:
	nla_nest_cancel(skb, port_attrs);
errattr:
	nla_nest_cancel(skb, attrs);
errout:
	nlmsg_cancel(skb, nlh);
errmsg:
	return -EMSGSIZE;
}

static void smc_nl_prep_smcd_dev(struct smcd_dev_list *dev_list,
				 struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct smc_nl_dmp_ctx *cb_ctx = smc_nl_dmp_ctx(cb);
	int snum = cb_ctx->pos[0];
	struct smcd_dev *smcd;
	int num = 0;

	mutex_lock(&dev_list->mutex);
	list_for_each_entry(smcd, &dev_list->list, list) {
		if (num < snum)
			goto next;
		if (smc_nl_handle_smcd_dev(smcd, skb, cb))
			goto errout;
next:
		num++;
	}
errout:
	mutex_unlock(&dev_list->mutex);
	cb_ctx->pos[0] = num;
}

int smcd_nl_get_device(struct sk_buff *skb, struct netlink_callback *cb)
{
	smc_nl_prep_smcd_dev(&smcd_dev_list, skb, cb);
	return skb->len;
}

struct smc_ism_event_work {
	struct work_struct work;
	struct smcd_dev *smcd;
	struct smcd_event event;
};

#define ISM_EVENT_REQUEST		0x0001
#define ISM_EVENT_RESPONSE		0x0002
#define ISM_EVENT_REQUEST_IR		0x00000001
#define ISM_EVENT_CODE_SHUTDOWN		0x80
#define ISM_EVENT_CODE_TESTLINK		0x83

union smcd_sw_event_info {
	u64	info;
	struct {
		u8		uid[SMC_LGR_ID_SIZE];
		unsigned short	vlan_id;
		u16		code;
	};
};

static void smcd_handle_sw_event(struct smc_ism_event_work *wrk)
{
	union smcd_sw_event_info ev_info;

	ev_info.info = wrk->event.info;
	switch (wrk->event.code) {
	case ISM_EVENT_CODE_SHUTDOWN:	/* Peer shut down DMBs */
		smc_smcd_terminate(wrk->smcd, wrk->event.tok, ev_info.vlan_id);
		break;
	case ISM_EVENT_CODE_TESTLINK:	/* Activity timer */
		if (ev_info.code == ISM_EVENT_REQUEST &&
		    wrk->smcd->ops->signal_event) {
			ev_info.code = ISM_EVENT_RESPONSE;
			wrk->smcd->ops->signal_event(wrk->smcd,
						     wrk->event.tok,
						     ISM_EVENT_REQUEST_IR,
						     ISM_EVENT_CODE_TESTLINK,
						     ev_info.info);
			}
		break;
	}
}

int smc_ism_signal_shutdown(struct smc_link_group *lgr)
{
	int rc;
	union smcd_sw_event_info ev_info;

	if (lgr->peer_shutdown)
		return 0;
	/* a device without events has no peer outside this system */
	if (!lgr->smcd->ops->signal_event)
		return 0;

	memcpy(ev_info.uid, lgr->id, SMC_LGR_ID_SIZE);
	ev_info.vlan_id = lgr->vlan_id;
	ev_info.code = ISM_EVENT_REQUEST;
	rc = lgr->smcd->ops->signal_event(lgr->smcd, lgr->peer_gid,
					  ISM_EVENT_REQUEST_IR,
					  ISM_EVENT_CODE_SHUTDOWN,
					  ev_info.info);
	return rc;
}

/* worker for SMC-D events */
static void smc_ism_event_work(struct work_struct *work)
{
	struct smc_ism_event_work *wrk =
		container_of(work, struct smc_ism_event_work, work);

	switch (wrk->event.type) {
	case ISM_EVENT_GID:	/* GID event, token is peer GID */
		smc_smcd_terminate(wrk->smcd, wrk->event.tok, VLAN_VID_MASK);
		break;
	case ISM_EVENT_DMB:
		break;
	case ISM_EVENT_SWR:	/* Software defined event */
		smcd_handle_sw_event(wrk);
		break;
	}
	kfree(wrk);
}

static void smcd_release(struct device *dev)
{
	struct smcd_dev *smcd = container_of(dev, struct smcd_dev, dev);

	/* still there if the device was never registered */
	if (smcd->event_wq)
		destroy_workqueue(smcd->event_wq);
	kfree(smcd->conn);
	kfree(smcd);
}

struct smcd_dev *smcd_alloc_dev(struct device *parent, const char *name,
				const struct smcd_ops *ops, int max_dmbs)
{
	struct smcd_dev *smcd;

	smcd = kzalloc(sizeof(*smcd), GFP_KERNEL);
	if (!smcd)
		return NULL;
	smcd->conn = kcalloc(max_dmbs, sizeof(struct smc_connection *),
			     GFP_KERNEL);
	if (!smcd->conn) {
		kfree(smcd);
		return NULL;
	}

	smcd->event_wq = alloc_ordered_workqueue("ism_evt_wq-%s)",
						 WQ_MEM_RECLAIM, name);
	if (!smcd->event_wq) {
		kfree(smcd->conn);
		kfree(smcd);
		return NULL;
	}

	smcd->dev.parent = parent;
	smcd->dev.release = smcd_release;
	device_initialize(&smcd->dev);
	dev_set_name(&smcd->dev, name);
	smcd->ops = ops;
	if (smc_pnetid_by_dev_port(parent, 0, smcd->pnetid))
		smc_pnetid_by_table_smcd(smcd);

	spin_lock_init(&smcd->lock);
	spin_lock_init(&smcd->lgr_lock);
	INIT_LIST_HEAD(&smcd->vlan);
	INIT_LIST_HEAD(&smcd->lgr_list);
	init_waitqueue_head(&smcd->lgrs_deleted);
	return smcd;
}
EXPORT_SYMBOL_GPL(smcd_alloc_dev);

/* A virtual device picks its own GID; it must not pick one that another
 * registered device answers to, or query_remote_gid() becomes ambiguous.
 */
static bool smcd_gid_in_use(u64 gid)
{
	struct smcd_dev *smcd;

	list_for_each_entry(smcd, &smcd_dev_list.list, list) {
		if (smcd->local_gid == gid)
			return true;
	}
	return false;
}

/* sort list: virtual devices first, then devices without pnetid, then
 * devices with pnetid. Clients propose SMC-Dv2 devices in list order, so a
 * virtual device, which needs no hardware, is preferred when it can serve.
 */
static void smcd_dev_list_add(struct smcd_dev *smcd)
{
	struct list_head *pos = &smcd_dev_list.list;
	struct smcd_dev *tmp;

	if (smcd->pnetid[0]) {
		list_add_tail(&smcd->list, &smcd_dev_list.list);
		return;
	}
	if (!smc_ism_is_virtual(smcd)) {
		list_for_each_entry(tmp, &smcd_dev_list.list, list) {
			if (!smc_ism_is_virtual(tmp))
				break;
			pos = &tmp->list;
		}
	}
	list_add(&smcd->list, pos);
}

int smcd_register_dev(struct smcd_dev *smcd)
{
	int rc;

	if (smcd->nocopy && (!smcd->ops->attach_dmb || !smcd->ops->detach_dmb))
		return -EINVAL;
	/* the CHID a device has for life tells whether it is virtual */
	smcd->is_virtual = smc_ism_get_chid(smcd) >= SMCD_VIRT_CHID_MIN;
	if (smcd->is_virtual) {
		/* a PNET-ID table entry for its name may have been applied
		 * by smcd_alloc_dev(), before the device was known as virtual
		 */
		memset(smcd->pnetid, 0, sizeof(smcd->pnetid));
		smcd->pnetid_by_user = false;
	}

	mutex_lock(&smcd_dev_list.mutex);
	if (smc_ism_is_virtual(smcd) && smcd_gid_in_use(smcd->local_gid)) {
		mutex_unlock(&smcd_dev_list.mutex);
		return -EEXIST;
	}
	smcd_dev_list_add(smcd);
	smc_ism_update_v2_capable();
	mutex_unlock(&smcd_dev_list.mutex);

	pr_warn_ratelimited("smc: adding smcd device %s with pnetid %.16s%s\n",
			    dev_name(&smcd->dev), smcd->pnetid,
			    smcd->pnetid_by_user ? " (user defined)" : "");

	rc = device_add(&smcd->dev);
	if (rc) {
		mutex_lock(&smcd_dev_list.mutex);
		list_del(&smcd->list);
		smc_ism_update_v2_capable();
		mutex_unlock(&smcd_dev_list.mutex);
	}

	return rc;
}
EXPORT_SYMBOL_GPL(smcd_register_dev);

void smcd_unregister_dev(struct smcd_dev *smcd)
{
	pr_warn_ratelimited("smc: removing smcd device %s\n",
			    dev_name(&smcd->dev));
	mutex_lock(&smcd_dev_list.mutex);
	list_del_init(&smcd->list);
	smc_ism_update_v2_capable();
	mutex_unlock(&smcd_dev_list.mutex);
	smcd->going_away = 1;
	/* Handshakes that picked the device before it left the list are done
	 * after this, their link groups are on lgr_list: none is created
	 * behind smc_smcd_terminate_all()'s back or after the device is gone.
	 */
	synchronize_srcu(&smcd_dev_srcu);
	smc_smcd_terminate_all(smcd);
	destroy_workqueue(smcd->event_wq);
	smcd->event_wq = NULL;

	device_del(&smcd->dev);
}
EXPORT_SYMBOL_GPL(smcd_unregister_dev);

void smcd_free_dev(struct smcd_dev *smcd)
{
	put_device(&smcd->dev);
}
EXPORT_SYMBOL_GPL(smcd_free_dev);

/* SMCD Device event handler. Called from ISM device interrupt handler.
 * Parameters are smcd device pointer,
 * - event->type (0 --> DMB, 1 --> GID),
 * - event->code (event code),
 * - event->tok (either DMB token when event type 0, or GID when event type 1)
 * - event->time (time of day)
 * - event->info (debug info).
 *
 * Context:
 * - Function called in IRQ context from ISM device driver event handler.
 */
void smcd_handle_event(struct smcd_dev *smcd, struct smcd_event *event)
{
	struct smc_ism_event_work *wrk;

	if (smcd->going_away)
		return;
	/* copy event to event work queue, and let it be handled there */
	wrk = kmalloc(sizeof(*wrk), GFP_ATOMIC);
	if (!wrk)
		return;
	INIT_WORK(&wrk->work, smc_ism_event_work);
	wrk->smcd = smcd;
	wrk->event = *event;
	queue_work(smcd->event_wq, &wrk->work);
}
EXPORT_SYMBOL_GPL(smcd_handle_event);

/* SMCD Device interrupt handler. Called from ISM device interrupt handler.
 * Parameters are smcd device pointer, DMB number, and the DMBE bitmask.
 * Find the connection and schedule the tasklet for this connection.
 *
 * Context:
 * - Function called in IRQ context from ISM device driver IRQ handler.
 */
void smcd_handle_irq(struct smcd_dev *smcd, unsigned int dmbno, u16 dmbemask)
{
	struct smc_connection *conn = NULL;
	unsigned long flags;

	spin_lock_irqsave(&smcd->lock, flags);
	conn = smcd->conn[dmbno];
	if (conn && !conn->killed)
		tasklet_schedule(&conn->rx_tsklet);
	spin_unlock_irqrestore(&smcd->lock, flags);
}
EXPORT_SYMBOL_GPL(smcd_handle_irq);

void __init smc_ism_init(void)
{
	smc_ism_v2_capable = false;
	smc_ism_resolve_system_eid(smc_ism_v2_system_eid);
}

#if IS_ENABLED(CONFIG_SMC_KUNIT_TEST)
#include "smc_ism_test.c"
#endif
