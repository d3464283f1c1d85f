// SPDX-License-Identifier: GPL-2.0
/* Shared Memory Communications Direct over loopback (SMC-D loopback)
 *
 * A software SMC-D device for connections within this Linux instance. A
 * DMB is kernel memory. By default a connection's send buffer is its peer's
 * DMB (no-copy, attach_dmb()): the sender writes straight into the peer's
 * ring and move_data() carries only the CDC message. With nocopy=0 each end
 * has a send buffer of its own and move_data() copies the data as well.
 * Instead of an ISM interrupt, move_data() schedules the owner's receive
 * tasklet directly.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/hashtable.h>
#include <linux/log2.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/refcount.h>
#include <linux/sizes.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/smc.h>

#define SMC_LO_NAME		"loopback-ism"
#define SMC_LO_DMB_HASH_BITS	12	/* 4 DMBs a bucket at max_dmbs' default */
/* the core keeps one pointer per DMB index in a single allocation */
#define SMC_LO_MAX_DMBS_LIMIT	262144
#define SMC_LO_GID_TRIES	8
/* moves up to this size, a CDC message (32 bytes) included, are copied in
 * whole words, see smc_lo_copy()
 */
#define SMC_LO_WORD_COPY_MAX	64

/* SMC-D's smallest DMB: always granted while there are indexes left */
#define SMC_LO_DMB_MIN		SZ_16K
/* default share of RAM that DMBs larger than the smallest may take */
#define SMC_LO_MEM_SHIFT	3
/* freed DMBs kept for reuse: at most this much, for at least this long */
#define SMC_LO_POOL_MB		32
#define SMC_LO_POOL_AGE		HZ
/* a list each DMB size, 16 KiB .. 1 MiB */
#define SMC_LO_POOL_SIZES	7
/* a cgroup keeps a freed DMB while it has room for this many of it */
#define SMC_LO_POOL_ROOM	4

static unsigned int max_dmbs = 16384;
module_param(max_dmbs, uint, 0444);
MODULE_PARM_DESC(max_dmbs,
		 "Maximum number of live DMBs, two per connection (default 16384)");

static bool nocopy = true;
module_param(nocopy, bool, 0444);
MODULE_PARM_DESC(nocopy,
		 "Send buffer is the peer's DMB, no copy (default), or 0: copy");

static unsigned int buf_size = SZ_1M;
module_param(buf_size, uint, 0444);
MODULE_PARM_DESC(buf_size,
		 "Buffer size for sockets without SO_RCVBUF/SO_SNDBUF (default 1 MiB, 0: net.smc.rmem/wmem)");

static unsigned int max_mem_mb;
module_param(max_mem_mb, uint, 0444);
MODULE_PARM_DESC(max_mem_mb,
		 "MiB that DMBs above 16 KiB may take; beyond, connections get smaller ones (default 1/8 of RAM)");

static int pool_mb = -1;
module_param(pool_mb, int, 0444);
MODULE_PARM_DESC(pool_mb,
		 "MiB of freed DMBs kept 1-2 s for reuse (-1: 32 or a quarter of max_mem_mb if less; at most max_mem_mb; 0: none, also with init_on_free)");

struct smc_lo_dmb {
	struct hlist_node list;		/* in smc_lo_dev.dmb_ht, freed: .pool */
	u64 token;
	unsigned int len;
	unsigned int sba_idx;
	void *cpu_addr;
	refcount_t refs;		/* registration, attached writer */
	bool dying;			/* unregistered, writer still attached */
	bool claimed;			/* has had its one writer */
	bool attached;			/* ... and the writer still has it */
	bool serv;			/* a server end's, a client attaches */
	u64 writer_tok;			/* the writer's own DMB */
	struct mem_cgroup *memcg;	/* the memory is charged to, or NULL */
	bool poolable;			/* memcg tells where it is charged */
	unsigned long pooled;		/* jiffies it went to smc_lo_dev.pool */
};

struct smc_lo_dev {
	struct smcd_dev *smcd;
	rwlock_t dmb_lock;		/* protects dmb_ht and the DMBs' state */
	DECLARE_HASHTABLE(dmb_ht, SMC_LO_DMB_HASH_BITS);
	unsigned int max_dmbs;		/* live DMBs at most */
	unsigned long *sba_idx_mask;	/* DMB indexes in use, < max_dmbs */
	atomic_long_t mem;		/* bytes in DMBs above SMC_LO_DMB_MIN */
	unsigned long max_mem;
	spinlock_t pool_lock;		/* protects the pool fields */
	struct hlist_head pool[SMC_LO_POOL_SIZES];	/* freed DMBs a size */
	unsigned long pool_mem;		/* bytes in the pool */
	unsigned long pool_max;		/* ... at most; 0: no pool */
	unsigned long pool_age;		/* jiffies a DMB stays at least */
	struct delayed_work pool_work;	/* frees what nobody took */
};

static struct smc_lo_dev smc_lo;

/* GIDs and tokens: random, so a stale one from an earlier load or a closed
 * connection is unlikely to hit a live one, and never 0.
 */
static u64 smc_lo_random_id(void)
{
	u64 id;

	do {
		id = get_random_u64();
	} while (!id);
	return id;
}

/* DMB table: token -> DMB, looked up on every move_data() */

static struct smc_lo_dmb *smc_lo_dmb_find(struct smc_lo_dev *ldev, u64 token)
{
	struct smc_lo_dmb *dmb;

	lockdep_assert_held(&ldev->dmb_lock);
	hash_for_each_possible(ldev->dmb_ht, dmb, list, token) {
		if (dmb->token == token)
			return dmb;
	}
	return NULL;
}

static void smc_lo_dmb_insert(struct smc_lo_dev *ldev, struct smc_lo_dmb *dmb)
{
	write_lock_bh(&ldev->dmb_lock);
	do {
		dmb->token = smc_lo_random_id();
	} while (smc_lo_dmb_find(ldev, dmb->token));
	hash_add(ldev->dmb_ht, &dmb->list, dmb->token);
	write_unlock_bh(&ldev->dmb_lock);
}

/* the core indexes its connection table, smcd->conn[], by sba_idx */
static int smc_lo_get_sba_idx(struct smc_lo_dev *ldev)
{
	unsigned long idx;

	do {
		idx = find_first_zero_bit(ldev->sba_idx_mask, ldev->max_dmbs);
		if (idx >= ldev->max_dmbs)
			return -ENOSPC;
	} while (test_and_set_bit(idx, ldev->sba_idx_mask));
	return idx;
}

/* Larger DMBs only while they fit the budget: the core then asks for the
 * next smaller size, so thousands of connections still fit in memory.
 */
static bool smc_lo_mem_get(struct smc_lo_dev *ldev, unsigned int len)
{
	if (len <= SMC_LO_DMB_MIN)
		return true;
	if (atomic_long_add_return(len, &ldev->mem) <= ldev->max_mem)
		return true;
	atomic_long_sub(len, &ldev->mem);
	return false;
}

static void smc_lo_mem_put(struct smc_lo_dev *ldev, unsigned int len)
{
	if (len > SMC_LO_DMB_MIN)
		atomic_long_sub(len, &ldev->mem);
}

/* The memory cgroup a DMB allocated now is charged to: the one the core
 * made active for a socket's buffers, see __smc_buf_create().
 */
static struct mem_cgroup *smc_lo_active_memcg(bool account)
{
#ifdef CONFIG_MEMCG
	if (account && in_task())
		return current->active_memcg;
#endif
	return NULL;
}

static void smc_lo_dmb_release(struct smc_lo_dmb *dmb)
{
	kfree(dmb->cpu_addr);
	mem_cgroup_put(dmb->memcg);
	kfree(dmb);
}

/* A DMB pool: a connection registers two DMBs and frees them again when it
 * closes, and a page allocation of up to 1 MiB is costly, more so where
 * init_on_alloc (Debian's default) zeroes every one: that alone made a
 * connection take several times as long to set up as a TCP one. Freed DMBs
 * are kept for one to two pool ages and reused, not zeroed, for a DMB of
 * the same size charged to the same memory cgroup. A connection reads
 * only what its peer wrote into its DMB, and the core zeroes the CDC
 * header, see smcd_new_buf_create(). Where freed memory is to be wiped
 * (init_on_free), nothing is kept. Only process context takes pool_lock.
 */
static int smc_lo_pool_idx(unsigned int len)
{
	if (!is_power_of_2(len) || len < SMC_LO_DMB_MIN || len > SZ_1M)
		return -1;
	return ilog2(len) - ilog2(SMC_LO_DMB_MIN);
}

static void smc_lo_pool_work(struct work_struct *work)
{
	struct smc_lo_dev *ldev = container_of(to_delayed_work(work),
					       struct smc_lo_dev, pool_work);
	struct smc_lo_dmb *node;
	struct hlist_node *tmp;
	bool more = false;
	HLIST_HEAD(old);
	int i;

	spin_lock(&ldev->pool_lock);
	for (i = 0; i < SMC_LO_POOL_SIZES; i++) {
		hlist_for_each_entry_safe(node, tmp, &ldev->pool[i], list) {
			if (time_before(jiffies, node->pooled + ldev->pool_age)) {
				more = true;
				continue;
			}
			hlist_del(&node->list);
			ldev->pool_mem -= node->len;
			hlist_add_head(&node->list, &old);
		}
	}
	spin_unlock(&ldev->pool_lock);

	hlist_for_each_entry_safe(node, tmp, &old, list)
		smc_lo_dmb_release(node);
	if (more)
		schedule_delayed_work(&ldev->pool_work, ldev->pool_age);
}

static void smc_lo_pool_init(struct smc_lo_dev *ldev, unsigned long max)
{
	int i;

	BUILD_BUG_ON(SMC_LO_DMB_MIN << (SMC_LO_POOL_SIZES - 1) != SZ_1M);
	spin_lock_init(&ldev->pool_lock);
	for (i = 0; i < SMC_LO_POOL_SIZES; i++)
		INIT_HLIST_HEAD(&ldev->pool[i]);
	INIT_DELAYED_WORK(&ldev->pool_work, smc_lo_pool_work);
	ldev->pool_max = max;
	ldev->pool_age = SMC_LO_POOL_AGE;
}

/* everything in the pool goes now */
static void smc_lo_pool_flush(struct smc_lo_dev *ldev)
{
	struct smc_lo_dmb *node;
	struct hlist_node *tmp;
	HLIST_HEAD(old);
	int i;

	spin_lock(&ldev->pool_lock);
	for (i = 0; i < SMC_LO_POOL_SIZES; i++) {
		hlist_for_each_entry_safe(node, tmp, &ldev->pool[i], list) {
			hlist_del(&node->list);
			hlist_add_head(&node->list, &old);
		}
	}
	ldev->pool_mem = 0;
	spin_unlock(&ldev->pool_lock);
	hlist_for_each_entry_safe(node, tmp, &old, list)
		smc_lo_dmb_release(node);
}

/* no more pooling, and what is there goes */
static void smc_lo_pool_close(struct smc_lo_dev *ldev)
{
	spin_lock(&ldev->pool_lock);
	ldev->pool_max = 0;
	spin_unlock(&ldev->pool_lock);
	cancel_delayed_work_sync(&ldev->pool_work);
	smc_lo_pool_flush(ldev);
}

static bool smc_lo_pool_put(struct smc_lo_dev *ldev, struct smc_lo_dmb *dmb)
{
	int i = smc_lo_pool_idx(dmb->len);
	bool pooled = false;
	struct folio *folio;

	if (!READ_ONCE(ldev->pool_max) || !dmb->poolable || i < 0)
		return false;
	/* Only memory nobody else holds: a pipe that splice() filled from
	 * the DMB keeps its pages past the connection (smc_rx_splice()),
	 * and must not see them rewritten by the next one.
	 */
	folio = virt_to_folio(dmb->cpu_addr);
	if (folio_test_slab(folio) || folio_ref_count(folio) != 1)
		return false;
	/* Charged memory is idle here, and no reclaim gets it back: kept
	 * only while the cgroup could take several such buffers anew.
	 */
	if (dmb->memcg &&
	    !smcd_memcg_room(dmb->memcg, SMC_LO_POOL_ROOM * dmb->len))
		return false;
	spin_lock(&ldev->pool_lock);
	if (ldev->pool_mem + dmb->len <= ldev->pool_max) {
		dmb->pooled = jiffies;
		hlist_add_head(&dmb->list, &ldev->pool[i]);
		ldev->pool_mem += dmb->len;
		pooled = true;
		/* queued only while pool_max is set, which is checked under
		 * pool_lock: smc_lo_pool_close() then cancels it
		 */
		schedule_delayed_work(&ldev->pool_work, ldev->pool_age);
	}
	spin_unlock(&ldev->pool_lock);
	return pooled;
}

/* a pooled DMB of this size and memory cgroup, its memory as it was */
static struct smc_lo_dmb *smc_lo_pool_get(struct smc_lo_dev *ldev,
					  unsigned int len,
					  struct mem_cgroup *memcg)
{
	int i = smc_lo_pool_idx(len);
	struct smc_lo_dmb *node;

	if (i < 0)
		return NULL;
	spin_lock(&ldev->pool_lock);
	hlist_for_each_entry(node, &ldev->pool[i], list) {
		if (node->memcg == memcg) {
			hlist_del(&node->list);
			ldev->pool_mem -= len;
			spin_unlock(&ldev->pool_lock);
			return node;
		}
	}
	spin_unlock(&ldev->pool_lock);
	return NULL;
}

/* After the last reference: the memory goes to the pool or is freed. The
 * index went with the owner.
 */
static void smc_lo_dmb_free(struct smc_lo_dev *ldev, struct smc_lo_dmb *dmb)
{
	smc_lo_mem_put(ldev, dmb->len);
	if (!smc_lo_pool_put(ldev, dmb))
		smc_lo_dmb_release(dmb);
}

/* The receiver reads the CDC cursors in its DMB as 8-byte atomic units,
 * also while the next CDC message is being written: copy small aligned
 * moves word by word so that no cursor is ever seen half written. Bulk
 * data is read only after a cursor announced it, memcpy() is fine there.
 */
static void smc_lo_copy(void *dst, const void *src, unsigned int size)
{
	const u64 *s = src;
	u64 *d = dst;

	if (size > SMC_LO_WORD_COPY_MAX ||
	    !IS_ALIGNED((unsigned long)dst | (unsigned long)src | size,
			sizeof(u64))) {
		memcpy(dst, src, size);
		return;
	}
	for (; size; size -= sizeof(u64))
		WRITE_ONCE(*d++, *s++);
}

/* smcd_ops */

static int smc_lo_query_rgid(struct smcd_dev *smcd, u64 rgid, u32 vid_valid,
			     u32 vid)
{
	/* loopback reaches only itself */
	return rgid == smcd->local_gid ? 0 : -ENETUNREACH;
}

/* The core retries with a smaller DMB on -ENOMEM, so don't dig deep. Not
 * zeroed: 1 MiB of memset per DMB would halve the connection rate, and the
 * core zeroes what it reads before the peer wrote it, see
 * smcd_new_buf_create(). Charged, if the core asks, to the memory cgroup
 * it made active, the socket's; a full cgroup then fails it like a full
 * machine.
 */
static void *smc_lo_dmb_alloc(struct smcd_dmb *dmb)
{
	return kmalloc(dmb->dmb_len, GFP_KERNEL | __GFP_NOWARN |
		       __GFP_NORETRY | __GFP_NOMEMALLOC |
		       (dmb->account ? __GFP_ACCOUNT : 0));
}

static int smc_lo_register_dmb(struct smcd_dev *smcd, struct smcd_dmb *dmb)
{
	struct smc_lo_dev *ldev = smcd->priv;
	struct mem_cgroup *memcg;
	struct smc_lo_dmb *node;
	void *cpu_addr;
	bool poolable;
	int idx, rc;

	/* take the index first: an exhausted table must not cost a 1 MiB
	 * allocation per attempt
	 */
	idx = smc_lo_get_sba_idx(ldev);
	if (idx < 0)
		return idx;

	rc = -ENOMEM;
	if (!smc_lo_mem_get(ldev, dmb->dmb_len))
		goto err_idx;
	memcg = smc_lo_active_memcg(dmb->account);
	/* charged where the pool could not tell (no active memcg): neither
	 * taken from the pool nor given to it
	 */
	poolable = !dmb->account || memcg;
	node = poolable ? smc_lo_pool_get(ldev, dmb->dmb_len, memcg) : NULL;
	if (node) {
		cpu_addr = node->cpu_addr;
		memset(node, 0, sizeof(*node));
		goto init;
	}
	node = kzalloc(sizeof(*node), GFP_KERNEL);
	if (!node)
		goto err_mem;
	cpu_addr = smc_lo_dmb_alloc(dmb);
	/* short of memory, or the cgroup of its limit: what the pool keeps
	 * idle goes first
	 */
	if (!cpu_addr && READ_ONCE(ldev->pool_mem)) {
		smc_lo_pool_flush(ldev);
		cpu_addr = smc_lo_dmb_alloc(dmb);
	}
	if (!cpu_addr)
		goto err_node;
#ifdef CONFIG_MEMCG
	/* the pool tells cgroups apart by this pointer: it must stay */
	if (memcg)
		css_get(&memcg->css);
#endif
init:
	node->cpu_addr = cpu_addr;
	node->memcg = memcg;
	node->poolable = poolable;
	node->len = dmb->dmb_len;
	node->sba_idx = idx;
	node->serv = dmb->serv;
	refcount_set(&node->refs, 1);
	smc_lo_dmb_insert(ldev, node);

	dmb->sba_idx = node->sba_idx;
	dmb->dmb_tok = node->token;
	dmb->cpu_addr = node->cpu_addr;
	return 0;

err_node:
	kfree(node);
err_mem:
	smc_lo_mem_put(ldev, dmb->dmb_len);
err_idx:
	clear_bit(idx, ldev->sba_idx_mask);
	return rc;
}

/* Drop a reference under dmb_lock; the last one takes the DMB out of the
 * table, and the caller frees it outside the lock.
 */
static bool smc_lo_dmb_put(struct smc_lo_dev *ldev, struct smc_lo_dmb *node)
{
	lockdep_assert_held_write(&ldev->dmb_lock);
	if (!refcount_dec_and_test(&node->refs))
		return false;
	hash_del(&node->list);
	return true;
}

static int smc_lo_unregister_dmb(struct smcd_dev *smcd, struct smcd_dmb *dmb)
{
	struct smc_lo_dev *ldev = smcd->priv;
	struct smc_lo_dmb *node;

	bool last;

	write_lock_bh(&ldev->dmb_lock);
	node = smc_lo_dmb_find(ldev, dmb->dmb_tok);
	if (!node || node->dying) {
		write_unlock_bh(&ldev->dmb_lock);
		return -EINVAL;
	}
	/* No move_data() into it from now on, and no new writer; an attached
	 * one keeps the memory (and the token) until it detaches.
	 */
	node->dying = true;
	clear_bit(node->sba_idx, ldev->sba_idx_mask);
	last = smc_lo_dmb_put(ldev, node);
	write_unlock_bh(&ldev->dmb_lock);

	if (last)
		smc_lo_dmb_free(ldev, node);
	return 0;
}

/* One writer per DMB, ever: the peer connection the CLC handshake named.
 * Anybody else naming the token, later or at the same time, is refused.
 * A client attaches only a server's DMB, and the server's answer only the
 * DMB of the client that attached the server's own: a CLC message carrying
 * a token learnt elsewhere, even of a DMB nobody writes yet, is refused.
 */
static int smc_lo_attach_dmb(struct smcd_dev *smcd, struct smcd_dmb *dmb,
			     u64 own_tok, bool answer)
{
	struct smc_lo_dev *ldev = smcd->priv;
	struct smc_lo_dmb *node, *own;
	int rc = 0;

	write_lock_bh(&ldev->dmb_lock);
	node = smc_lo_dmb_find(ldev, dmb->dmb_tok);
	own = answer ? smc_lo_dmb_find(ldev, own_tok) : NULL;
	if (!node || node->dying) {
		rc = -ENOENT;
	} else if (node->claimed) {
		rc = -EBUSY;
	} else if (node->serv == answer ||
		   (answer && (!own || !own->claimed ||
			       own->writer_tok != node->token))) {
		rc = -EPERM;
	} else {
		node->claimed = true;
		node->attached = true;
		node->writer_tok = own_tok;
		refcount_inc(&node->refs);
		dmb->cpu_addr = node->cpu_addr;
		dmb->dmb_len = node->len;
	}
	write_unlock_bh(&ldev->dmb_lock);
	return rc;
}

static int smc_lo_detach_dmb(struct smcd_dev *smcd, u64 token)
{
	struct smc_lo_dev *ldev = smcd->priv;
	struct smc_lo_dmb *node;
	bool last;

	write_lock_bh(&ldev->dmb_lock);
	node = smc_lo_dmb_find(ldev, token);
	if (!node || !node->attached) {
		write_unlock_bh(&ldev->dmb_lock);
		return -EINVAL;
	}
	/* the claim stays: a detached DMB gets no second writer */
	node->attached = false;
	last = smc_lo_dmb_put(ldev, node);
	write_unlock_bh(&ldev->dmb_lock);

	if (last)
		smc_lo_dmb_free(ldev, node);
	return 0;
}

static int smc_lo_move_data(struct smcd_dev *smcd, u64 dmb_tok,
			    unsigned int idx, bool sf, unsigned int offset,
			    void *data, unsigned int size)
{
	struct smc_lo_dev *ldev = smcd->priv;
	struct smc_lo_dmb *node;
	unsigned int sba_idx;

	/* called from process context and from the receive tasklet */
	read_lock_bh(&ldev->dmb_lock);
	node = smc_lo_dmb_find(ldev, dmb_tok);
	if (!node || node->dying || offset > node->len ||
	    size > node->len - offset) {
		read_unlock_bh(&ldev->dmb_lock);
		return -EINVAL;
	}
	smc_lo_copy(node->cpu_addr + offset, data, size);
	sba_idx = node->sba_idx;
	read_unlock_bh(&ldev->dmb_lock);

	/* Raise the "interrupt" outside our lock: smcd_handle_irq() only
	 * schedules the owner's tasklet under smcd->lock, so none of the
	 * sender's locks are taken again. Should the DMB have gone meanwhile,
	 * the index has no or a new owner, which just rechecks its cursors.
	 */
	if (sf)
		smcd_handle_irq(smcd, sba_idx, 0);
	return 0;
}

static u16 smc_lo_get_chid(struct smcd_dev *smcd)
{
	return SMCD_LOOPBACK_CHID;
}

/* No VLAN ops and no signal_event: there is no VLAN filter to program and
 * no peer outside this system to signal.
 */
static const struct smcd_ops smc_lo_ops = {
	.owner			= THIS_MODULE,
	.query_remote_gid	= smc_lo_query_rgid,
	.register_dmb		= smc_lo_register_dmb,
	.unregister_dmb		= smc_lo_unregister_dmb,
	.move_data		= smc_lo_move_data,
	.get_chid		= smc_lo_get_chid,
	.attach_dmb		= smc_lo_attach_dmb,
	.detach_dmb		= smc_lo_detach_dmb,
};

/* A new random GID on every load; the core refuses one that another
 * registered SMC-D device already has.
 */
static int smc_lo_register(struct smc_lo_dev *ldev)
{
	int tries = SMC_LO_GID_TRIES;
	int rc;

	do {
		ldev->smcd->local_gid = smc_lo_random_id();
		rc = smcd_register_dev(ldev->smcd);
	} while (rc == -EEXIST && --tries);
	return rc;
}

/* Whatever the core did not unregister would leak with the module */
static void smc_lo_free_dmbs(struct smc_lo_dev *ldev)
{
	struct smc_lo_dmb *node;
	struct hlist_node *tmp;
	int bkt;

	WARN_ON_ONCE(!hash_empty(ldev->dmb_ht));
	hash_for_each_safe(ldev->dmb_ht, bkt, tmp, node, list) {
		hash_del(&node->list);
		if (!node->dying)
			clear_bit(node->sba_idx, ldev->sba_idx_mask);
		smc_lo_dmb_free(ldev, node);
	}
}

static int __init smc_lo_init(void)
{
	struct smc_lo_dev *ldev = &smc_lo;
	int rc;

	if (!max_dmbs || max_dmbs > SMC_LO_MAX_DMBS_LIMIT) {
		pr_err("max_dmbs must be 1..%u\n", SMC_LO_MAX_DMBS_LIMIT);
		return -EINVAL;
	}

	rwlock_init(&ldev->dmb_lock);
	hash_init(ldev->dmb_ht);
	ldev->max_dmbs = max_dmbs;
	if (max_mem_mb)
		ldev->max_mem = (unsigned long)max_mem_mb << 20;
	else
		ldev->max_mem = (totalram_pages() << PAGE_SHIFT) >>
				SMC_LO_MEM_SHIFT;
	ldev->sba_idx_mask = bitmap_zalloc(max_dmbs, GFP_KERNEL);
	if (!ldev->sba_idx_mask)
		return -ENOMEM;
	if (pool_mb < 0)
		pool_mb = min_t(unsigned long, SMC_LO_POOL_MB,
				(ldev->max_mem >> 20) / 4);
	pool_mb = min_t(unsigned long, pool_mb, ldev->max_mem >> 20);
	if (want_init_on_free())
		pool_mb = 0;
	smc_lo_pool_init(ldev, (unsigned long)pool_mb << 20);

	/* no parent: there is no hardware behind this device */
	ldev->smcd = smcd_alloc_dev(NULL, SMC_LO_NAME, &smc_lo_ops, max_dmbs);
	if (!ldev->smcd) {
		rc = -ENOMEM;
		goto err_mask;
	}
	ldev->smcd->priv = ldev;
	ldev->smcd->nocopy = nocopy;
	ldev->smcd->buf_size_default = buf_size;
	ldev->smcd->memcg_charge = 1;

	rc = smc_lo_register(ldev);
	if (rc)
		goto err_dev;
	return 0;

err_dev:
	smcd_free_dev(ldev->smcd);
err_mask:
	bitmap_free(ldev->sba_idx_mask);
	return rc;
}

static void __exit smc_lo_exit(void)
{
	struct smc_lo_dev *ldev = &smc_lo;

	/* No connection uses the device (each pins the module), so this
	 * terminates idle link groups only, which unregisters their DMBs.
	 */
	smcd_unregister_dev(ldev->smcd);
	smcd_free_dev(ldev->smcd);
	smc_lo_pool_close(ldev);
	smc_lo_free_dmbs(ldev);
	bitmap_free(ldev->sba_idx_mask);
}

module_init(smc_lo_init);
module_exit(smc_lo_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("SMC-D loopback device");

/* KUnit runs a module's suites before its init function; the suite checks
 * the device smc_lo_init() registered, so it needs the device built in.
 */
#if IS_ENABLED(CONFIG_SMC_KUNIT_TEST) && IS_BUILTIN(CONFIG_SMC_LO)
#include "smc_loopback_test.c"
#endif
