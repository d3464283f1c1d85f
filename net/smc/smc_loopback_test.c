// SPDX-License-Identifier: GPL-2.0
/* KUnit tests of the SMC-D loopback ops.
 *
 * Included at the end of smc_loopback.c: the tests see its static functions
 * and build a device of their own, with a small DMB limit, that the SMC core
 * never sees. The device the module registered is checked as well.
 */

#include <kunit/test.h>
#include <linux/interrupt.h>
#include <linux/sizes.h>

#include "smc.h"

#define SMC_LO_TEST_MAX_DMBS	32
#define SMC_LO_TEST_MAX_MEM	SZ_4M

struct smc_lo_test_conn {
	struct smc_connection conn;
	int rx_runs;
};

static struct smc_lo_dev *smc_lo_test_dev(struct kunit *test)
{
	return test->priv;
}

/* what smc_lo_init() sets up, minus the registration with the core */
static int smc_lo_test_init(struct kunit *test)
{
	struct smc_lo_dev *ldev;

	ldev = kunit_kzalloc(test, sizeof(*ldev), GFP_KERNEL);
	if (!ldev)
		return -ENOMEM;
	rwlock_init(&ldev->dmb_lock);
	hash_init(ldev->dmb_ht);
	ldev->max_dmbs = SMC_LO_TEST_MAX_DMBS;
	ldev->max_mem = SMC_LO_TEST_MAX_MEM;
	ldev->sba_idx_mask = bitmap_zalloc(ldev->max_dmbs, GFP_KERNEL);
	if (!ldev->sba_idx_mask)
		return -ENOMEM;
	/* no pool, unless a case opens one */
	smc_lo_pool_init(ldev, 0);
	test->priv = ldev;
	ldev->smcd = smcd_alloc_dev(NULL, "kunit-lo", &smc_lo_ops,
				    ldev->max_dmbs);
	if (!ldev->smcd)
		return -ENOMEM;
	ldev->smcd->priv = ldev;
	ldev->smcd->local_gid = smc_lo_random_id();
	return 0;
}

static void smc_lo_test_exit(struct kunit *test)
{
	struct smc_lo_dev *ldev = smc_lo_test_dev(test);
	struct smc_lo_dmb *node;
	struct hlist_node *tmp;
	int bkt;

	if (!ldev)
		return;
	if (ldev->smcd)
		smcd_free_dev(ldev->smcd);
	/* the DMBs a case left registered */
	hash_for_each_safe(ldev->dmb_ht, bkt, tmp, node, list) {
		hash_del(&node->list);
		smc_lo_dmb_free(ldev, node);
	}
	smc_lo_pool_close(ldev);
	bitmap_free(ldev->sba_idx_mask);
}

static int smc_lo_test_reg_as(struct smc_lo_dev *ldev, struct smcd_dmb *dmb,
			      unsigned int len, bool serv)
{
	memset(dmb, 0, sizeof(*dmb));
	dmb->dmb_len = len;
	dmb->serv = serv;
	return smc_lo_ops.register_dmb(ldev->smcd, dmb);
}

/* a server's DMB, which a client may attach */
static int smc_lo_test_reg(struct smc_lo_dev *ldev, struct smcd_dmb *dmb,
			   unsigned int len)
{
	return smc_lo_test_reg_as(ldev, dmb, len, true);
}

static int smc_lo_test_move(struct smc_lo_dev *ldev, u64 token, bool sf,
			    unsigned int offset, void *data, unsigned int size)
{
	return smc_lo_ops.move_data(ldev->smcd, token, 0, sf, offset, data,
				    size);
}

/* Register and unregister a DMB of the smallest and the largest size */
static void smc_lo_test_dmb_sizes(struct kunit *test)
{
	static const unsigned int sizes[] = { SZ_16K, SZ_1M };
	struct smc_lo_dev *ldev = smc_lo_test_dev(test);
	struct smcd_dmb dmb;
	int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &dmb, sizes[i]), 0);
		KUNIT_EXPECT_NOT_NULL(test, dmb.cpu_addr);
		KUNIT_EXPECT_NE(test, dmb.dmb_tok, 0);
		KUNIT_EXPECT_LT(test, dmb.sba_idx, SMC_LO_TEST_MAX_DMBS);
		/* all of it is usable (KASAN would object otherwise) */
		((u8 *)dmb.cpu_addr)[sizes[i] - 1] = 0x5a;
		KUNIT_EXPECT_EQ(test, smc_lo_ops.unregister_dmb(ldev->smcd, &dmb),
				0);
		/* the token is gone with the DMB */
		KUNIT_EXPECT_EQ(test, smc_lo_ops.unregister_dmb(ldev->smcd, &dmb),
				-EINVAL);
		KUNIT_EXPECT_EQ(test, smc_lo_test_move(ldev, dmb.dmb_tok, false,
						       0, &dmb, 8),
				-EINVAL);
	}
}

/* Tokens and indexes of live DMBs differ */
static void smc_lo_test_dmb_unique(struct kunit *test)
{
	struct smc_lo_dev *ldev = smc_lo_test_dev(test);
	struct smcd_dmb *dmbs;
	int i, j;

	dmbs = kunit_kcalloc(test, SMC_LO_TEST_MAX_DMBS, sizeof(*dmbs),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dmbs);
	for (i = 0; i < SMC_LO_TEST_MAX_DMBS; i++)
		KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &dmbs[i], SZ_16K),
				0);
	for (i = 0; i < SMC_LO_TEST_MAX_DMBS; i++) {
		KUNIT_EXPECT_NE(test, dmbs[i].dmb_tok, 0);
		for (j = 0; j < i; j++) {
			KUNIT_EXPECT_NE_MSG(test, dmbs[i].dmb_tok,
					    dmbs[j].dmb_tok, "DMBs %d, %d",
					    j, i);
			KUNIT_EXPECT_NE_MSG(test, dmbs[i].sba_idx,
					    dmbs[j].sba_idx, "DMBs %d, %d",
					    j, i);
			KUNIT_EXPECT_PTR_NE(test, dmbs[i].cpu_addr,
					    dmbs[j].cpu_addr);
		}
	}
	for (i = 0; i < SMC_LO_TEST_MAX_DMBS; i++)
		KUNIT_EXPECT_EQ(test,
				smc_lo_ops.unregister_dmb(ldev->smcd, &dmbs[i]),
				0);
}

/* One DMB over the limit fails with -ENOSPC, one unregister makes room */
static void smc_lo_test_dmb_limit(struct kunit *test)
{
	struct smc_lo_dev *ldev = smc_lo_test_dev(test);
	struct smcd_dmb *dmbs, dmb;
	int i;

	dmbs = kunit_kcalloc(test, SMC_LO_TEST_MAX_DMBS, sizeof(*dmbs),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dmbs);
	for (i = 0; i < SMC_LO_TEST_MAX_DMBS; i++)
		KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &dmbs[i], SZ_16K),
				0);

	KUNIT_EXPECT_EQ(test, smc_lo_test_reg(ldev, &dmb, SZ_16K), -ENOSPC);
	KUNIT_EXPECT_EQ(test, smc_lo_test_reg(ldev, &dmb, SZ_16K), -ENOSPC);

	KUNIT_ASSERT_EQ(test, smc_lo_ops.unregister_dmb(ldev->smcd, &dmbs[3]),
			0);
	KUNIT_EXPECT_EQ(test, smc_lo_test_reg(ldev, &dmb, SZ_16K), 0);
	KUNIT_EXPECT_EQ(test, dmb.sba_idx, dmbs[3].sba_idx);
	KUNIT_EXPECT_EQ(test, smc_lo_test_reg(ldev, &dmbs[3], SZ_16K),
			-ENOSPC);
	/* the DMBs left are freed in exit */
}

/* DMBs above the smallest size only while they fit the memory budget; the
 * core then asks for smaller ones, down to 16 KiB, which always fit.
 */
static void smc_lo_test_dmb_mem_budget(struct kunit *test)
{
	struct smc_lo_dev *ldev = smc_lo_test_dev(test);
	struct smcd_dmb big[4], dmb, small;
	int i;

	for (i = 0; i < ARRAY_SIZE(big); i++)
		KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &big[i], SZ_1M), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ldev->mem), SMC_LO_TEST_MAX_MEM);
	KUNIT_EXPECT_EQ(test, smc_lo_test_reg(ldev, &dmb, SZ_1M), -ENOMEM);
	KUNIT_EXPECT_EQ(test, smc_lo_test_reg(ldev, &dmb, SZ_32K), -ENOMEM);
	KUNIT_EXPECT_EQ(test, smc_lo_test_reg(ldev, &small, SZ_16K), 0);
	/* a failed attempt leaves neither memory nor an index taken */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ldev->mem), SMC_LO_TEST_MAX_MEM);
	KUNIT_EXPECT_EQ(test, bitmap_weight(ldev->sba_idx_mask, ldev->max_dmbs),
			ARRAY_SIZE(big) + 1);

	KUNIT_ASSERT_EQ(test, smc_lo_ops.unregister_dmb(ldev->smcd, &big[0]),
			0);
	KUNIT_EXPECT_EQ(test, smc_lo_test_reg(ldev, &dmb, SZ_512K), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ldev->mem),
			SMC_LO_TEST_MAX_MEM - SZ_512K);
}

static int smc_lo_test_attach_as(struct smc_lo_dev *ldev, u64 token,
				 u64 own_tok, bool answer,
				 struct smcd_dmb *dmb)
{
	memset(dmb, 0, sizeof(*dmb));
	dmb->dmb_tok = token;
	return smc_lo_ops.attach_dmb(ldev->smcd, dmb, own_tok, answer);
}

/* as a client attaches: before its confirm, with no DMB of its own here */
static int smc_lo_test_attach(struct smc_lo_dev *ldev, u64 token,
			      struct smcd_dmb *dmb)
{
	return smc_lo_test_attach_as(ldev, token, 0, false, dmb);
}

static struct smc_lo_dmb *smc_lo_test_node(struct smc_lo_dev *ldev,
					   u64 token)
{
	struct smc_lo_dmb *node;

	read_lock_bh(&ldev->dmb_lock);
	node = smc_lo_dmb_find(ldev, token);
	read_unlock_bh(&ldev->dmb_lock);
	return node;
}

/* The writer gets the owner's memory and holds a reference; detaching
 * drops it. A DMB has one writer, ever: a second attach is refused, also
 * after the first writer detached.
 */
static void smc_lo_test_attach_detach(struct kunit *test)
{
	struct smc_lo_dev *ldev = smc_lo_test_dev(test);
	struct smcd_dmb dmb, att;
	struct smc_lo_dmb *node;

	KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &dmb, SZ_64K), 0);
	node = smc_lo_test_node(ldev, dmb.dmb_tok);
	KUNIT_ASSERT_NOT_NULL(test, node);
	KUNIT_EXPECT_EQ(test, refcount_read(&node->refs), 1);

	KUNIT_ASSERT_EQ(test, smc_lo_test_attach(ldev, dmb.dmb_tok, &att), 0);
	KUNIT_EXPECT_PTR_EQ(test, att.cpu_addr, dmb.cpu_addr);
	KUNIT_EXPECT_EQ(test, att.dmb_len, SZ_64K);
	KUNIT_EXPECT_EQ(test, refcount_read(&node->refs), 2);

	/* a second writer, while the first is attached and after it left */
	KUNIT_EXPECT_EQ(test, smc_lo_test_attach(ldev, dmb.dmb_tok, &att),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, refcount_read(&node->refs), 2);
	KUNIT_EXPECT_EQ(test, smc_lo_ops.detach_dmb(ldev->smcd, dmb.dmb_tok),
			0);
	KUNIT_EXPECT_EQ(test, refcount_read(&node->refs), 1);
	KUNIT_EXPECT_EQ(test, smc_lo_ops.detach_dmb(ldev->smcd, dmb.dmb_tok),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, smc_lo_test_attach(ldev, dmb.dmb_tok, &att),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, refcount_read(&node->refs), 1);

	/* unknown tokens */
	KUNIT_EXPECT_EQ(test, smc_lo_test_attach(ldev, ~dmb.dmb_tok, &att),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, smc_lo_ops.detach_dmb(ldev->smcd, ~dmb.dmb_tok),
			-EINVAL);

	KUNIT_EXPECT_EQ(test, smc_lo_ops.unregister_dmb(ldev->smcd, &dmb), 0);
	KUNIT_EXPECT_NULL(test, smc_lo_test_node(ldev, dmb.dmb_tok));
}

/* A client attaches only a server's DMB; a server attaches only the DMB of
 * the client that attached the server's own DMB: not one whose token a
 * forged confirm carries, not even while nobody writes it, and not its own.
 */
static void smc_lo_test_attach_pairing(struct kunit *test)
{
	struct smc_lo_dev *ldev = smc_lo_test_dev(test);
	struct smcd_dmb cli, cli2, srv, forged_srv, att;

	KUNIT_ASSERT_EQ(test, smc_lo_test_reg_as(ldev, &cli, SZ_16K, false), 0);
	KUNIT_ASSERT_EQ(test, smc_lo_test_reg_as(ldev, &cli2, SZ_16K, false),
			0);
	KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &srv, SZ_16K), 0);
	KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &forged_srv, SZ_16K), 0);

	/* a client whose accept names another client's DMB */
	KUNIT_EXPECT_EQ(test, smc_lo_test_attach_as(ldev, cli.dmb_tok,
						    cli2.dmb_tok, false, &att),
			-EPERM);

	/* nobody attached the forger's server DMB yet */
	KUNIT_EXPECT_EQ(test, smc_lo_test_attach_as(ldev, cli.dmb_tok,
						    forged_srv.dmb_tok, true,
						    &att), -EPERM);
	KUNIT_EXPECT_EQ(test, smc_lo_test_attach_as(ldev, cli.dmb_tok,
						    srv.dmb_tok, true, &att),
			-EPERM);
	/* the client attaches its server's DMB, then sends its confirm */
	KUNIT_ASSERT_EQ(test, smc_lo_test_attach_as(ldev, srv.dmb_tok,
						    cli.dmb_tok, false, &att),
			0);
	/* a forged confirm naming that client, raced against the real one */
	KUNIT_EXPECT_EQ(test, smc_lo_test_attach_as(ldev, cli.dmb_tok,
						    forged_srv.dmb_tok, true,
						    &att), -EPERM);
	/* the server's own DMB, which its client writes */
	KUNIT_EXPECT_EQ(test, smc_lo_test_attach_as(ldev, srv.dmb_tok,
						    srv.dmb_tok, true, &att),
			-EBUSY);
	/* the real server's answer, once */
	KUNIT_EXPECT_EQ(test, smc_lo_test_attach_as(ldev, cli.dmb_tok,
						    srv.dmb_tok, true, &att),
			0);
	KUNIT_EXPECT_PTR_EQ(test, att.cpu_addr, cli.cpu_addr);
	KUNIT_EXPECT_EQ(test, smc_lo_test_attach_as(ldev, cli.dmb_tok,
						    srv.dmb_tok, true, &att),
			-EBUSY);
	/* a server's answer naming a server's DMB */
	KUNIT_EXPECT_EQ(test, smc_lo_test_attach_as(ldev, forged_srv.dmb_tok,
						    cli2.dmb_tok, true, &att),
			-EPERM);

	KUNIT_EXPECT_EQ(test, smc_lo_ops.detach_dmb(ldev->smcd, cli.dmb_tok),
			0);
	KUNIT_EXPECT_EQ(test, smc_lo_ops.detach_dmb(ldev->smcd, srv.dmb_tok),
			0);
}

/* The owner unregisters while the writer is attached: the memory stays
 * (KASAN would see the write below otherwise) until the writer detaches;
 * meanwhile nobody can attach or move data into it, and its index is free.
 */
static void smc_lo_test_unregister_attached(struct kunit *test)
{
	struct smc_lo_dev *ldev = smc_lo_test_dev(test);
	struct smcd_dmb dmb, att, again;
	u8 data[32] = {};
	u8 *mem;

	KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &dmb, SZ_32K), 0);
	KUNIT_ASSERT_EQ(test, smc_lo_test_attach(ldev, dmb.dmb_tok, &att), 0);
	KUNIT_ASSERT_EQ(test, smc_lo_ops.unregister_dmb(ldev->smcd, &dmb), 0);

	mem = att.cpu_addr;
	mem[SZ_32K - 1] = 0x5a;	/* the writer's last byte, still its own */
	KUNIT_EXPECT_NOT_NULL(test, smc_lo_test_node(ldev, dmb.dmb_tok));
	KUNIT_EXPECT_EQ(test, smc_lo_ops.unregister_dmb(ldev->smcd, &dmb),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, smc_lo_test_attach(ldev, dmb.dmb_tok, &again),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, smc_lo_test_move(ldev, dmb.dmb_tok, false, 0,
					       data, sizeof(data)), -EINVAL);
	KUNIT_EXPECT_FALSE(test, test_bit(dmb.sba_idx, ldev->sba_idx_mask));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ldev->mem), SZ_32K);

	KUNIT_EXPECT_EQ(test, smc_lo_ops.detach_dmb(ldev->smcd, dmb.dmb_tok),
			0);
	KUNIT_EXPECT_NULL(test, smc_lo_test_node(ldev, dmb.dmb_tok));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ldev->mem), 0);
}

#ifdef CONFIG_MEMCG
/* a client's DMB, charged to MEMCG as the core charges a socket's */
static int smc_lo_test_reg_memcg(struct smc_lo_dev *ldev,
				 struct smcd_dmb *dmb, unsigned int len,
				 struct mem_cgroup *memcg)
{
	struct mem_cgroup *old = set_active_memcg(memcg);
	int rc;

	memset(dmb, 0, sizeof(*dmb));
	dmb->dmb_len = len;
	dmb->account = 1;
	rc = smc_lo_ops.register_dmb(ldev->smcd, dmb);
	set_active_memcg(old);
	return rc;
}
#endif

/* A freed DMB's memory serves the next DMB of its size and memory cgroup,
 * with a token and an index of its own, while the pool has room; an
 * attached DMB's only once its writer let go, and memory somebody else
 * still holds (a pipe after splice()) never. What nobody takes goes after
 * a pool age.
 */
static void smc_lo_test_dmb_pool(struct kunit *test)
{
	struct smc_lo_dev *ldev = smc_lo_test_dev(test);
	struct smcd_dmb dmb, next, att, more[3];
	struct smc_lo_dmb *node;
	void *addr;
	int i;

	if (want_init_on_free())
		kunit_skip(test, "init_on_free: nothing is pooled");
	/* below that, DMBs are slab objects, which are never pooled */
	if (SZ_16K <= KMALLOC_MAX_CACHE_SIZE)
		kunit_skip(test, "16 KiB DMBs come from a slab cache");
	ldev->pool_max = 2 * SZ_1M;
	ldev->pool_age = 1000 * HZ;	/* no ageing until the end */
	KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &dmb, SZ_1M), 0);
	addr = dmb.cpu_addr;
	((u8 *)addr)[SZ_1M - 1] = 0x5a;
	KUNIT_ASSERT_EQ(test, smc_lo_ops.unregister_dmb(ldev->smcd, &dmb), 0);
	KUNIT_EXPECT_EQ(test, ldev->pool_mem, SZ_1M);
	KUNIT_EXPECT_TRUE(test, delayed_work_pending(&ldev->pool_work));
	/* the budget is back: pooled memory is nobody's DMB */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ldev->mem), 0);
	/* the old token is dead */
	KUNIT_EXPECT_EQ(test, smc_lo_test_move(ldev, dmb.dmb_tok, false, 0,
					       &att, 8), -EINVAL);

	/* another size does not take it */
	KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &next, SZ_16K), 0);
	KUNIT_EXPECT_PTR_NE(test, next.cpu_addr, addr);
	KUNIT_ASSERT_EQ(test, smc_lo_ops.unregister_dmb(ldev->smcd, &next), 0);
	KUNIT_EXPECT_EQ(test, ldev->pool_mem, SZ_1M + SZ_16K);

	/* the same size does, with state of its own (a client's DMB now) */
	KUNIT_ASSERT_EQ(test, smc_lo_test_reg_as(ldev, &next, SZ_1M, false), 0);
	KUNIT_EXPECT_PTR_EQ(test, next.cpu_addr, addr);
	KUNIT_EXPECT_EQ(test, ((u8 *)next.cpu_addr)[SZ_1M - 1], 0x5a);
	KUNIT_EXPECT_NE(test, next.dmb_tok, dmb.dmb_tok);
	KUNIT_EXPECT_EQ(test, ldev->pool_mem, SZ_16K);
	node = smc_lo_test_node(ldev, next.dmb_tok);
	KUNIT_ASSERT_NOT_NULL(test, node);
	KUNIT_EXPECT_FALSE(test, node->claimed || node->attached ||
			   node->dying || node->serv);
	KUNIT_EXPECT_EQ(test, refcount_read(&node->refs), 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ldev->mem), SZ_1M);
	KUNIT_ASSERT_EQ(test, smc_lo_ops.unregister_dmb(ldev->smcd, &next), 0);
	KUNIT_EXPECT_EQ(test, ldev->pool_mem, SZ_1M + SZ_16K);

	/* unregistered while attached: pooled when the writer detaches */
	KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &next, SZ_1M), 0);
	KUNIT_EXPECT_PTR_EQ(test, next.cpu_addr, addr);
	KUNIT_ASSERT_EQ(test, smc_lo_test_attach(ldev, next.dmb_tok, &att), 0);
	KUNIT_ASSERT_EQ(test, smc_lo_ops.unregister_dmb(ldev->smcd, &next), 0);
	KUNIT_EXPECT_EQ(test, ldev->pool_mem, SZ_16K);
	KUNIT_ASSERT_EQ(test, smc_lo_ops.detach_dmb(ldev->smcd, next.dmb_tok),
			0);
	KUNIT_EXPECT_EQ(test, ldev->pool_mem, SZ_1M + SZ_16K);

	/* a page still held elsewhere, as by a pipe: freed, not pooled */
	KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &next, SZ_1M), 0);
	KUNIT_EXPECT_PTR_EQ(test, next.cpu_addr, addr);
	get_page(virt_to_page(next.cpu_addr + SZ_64K));
	KUNIT_ASSERT_EQ(test, smc_lo_ops.unregister_dmb(ldev->smcd, &next), 0);
	KUNIT_EXPECT_EQ(test, ldev->pool_mem, SZ_16K);
	put_page(virt_to_page(addr + SZ_64K));	/* the last one: freed */

	/* no more than pool_max */
	for (i = 0; i < ARRAY_SIZE(more); i++)
		KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &more[i], SZ_1M),
				0);
	for (i = 0; i < ARRAY_SIZE(more); i++)
		KUNIT_ASSERT_EQ(test, smc_lo_ops.unregister_dmb(ldev->smcd,
								&more[i]),
				0);
	KUNIT_EXPECT_EQ(test, ldev->pool_mem, SZ_1M + SZ_16K);

	/* aged ones go, fresh ones stay */
	KUNIT_EXPECT_TRUE(test, cancel_delayed_work_sync(&ldev->pool_work));
	for (i = 0; i < SMC_LO_POOL_SIZES; i++) {
		hlist_for_each_entry(node, &ldev->pool[i], list) {
			if (node->len == SZ_16K)
				node->pooled = jiffies - ldev->pool_age;
		}
	}
	smc_lo_pool_work(&ldev->pool_work.work);
	KUNIT_EXPECT_EQ(test, ldev->pool_mem, SZ_1M);
	KUNIT_EXPECT_TRUE(test, delayed_work_pending(&ldev->pool_work));

#ifdef CONFIG_MEMCG
	/* Pool entries are kept apart by memory cgroup: one allocated for
	 * a cgroup (the root's here, which is charged nothing) neither takes
	 * an uncharged DMB's memory nor leaves its own to one.
	 */
	if (!mem_cgroup_disabled()) {
		struct mem_cgroup *memcg = get_mem_cgroup_from_mm(NULL);
		void *charged;

		ldev->pool_max = 4 * SZ_1M;
		addr = more[0].cpu_addr;	/* the one pooled above */
		KUNIT_ASSERT_EQ(test,
				smc_lo_test_reg_memcg(ldev, &next, SZ_1M, memcg),
				0);
		charged = next.cpu_addr;
		KUNIT_EXPECT_PTR_NE(test, charged, addr);
		KUNIT_EXPECT_EQ(test, ldev->pool_mem, SZ_1M);
		KUNIT_ASSERT_EQ(test, smc_lo_ops.unregister_dmb(ldev->smcd,
								&next), 0);
		KUNIT_EXPECT_EQ(test, ldev->pool_mem, 2 * SZ_1M);

		KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &next, SZ_1M), 0);
		KUNIT_EXPECT_PTR_EQ(test, next.cpu_addr, addr);
		KUNIT_ASSERT_EQ(test, smc_lo_ops.unregister_dmb(ldev->smcd,
								&next), 0);

		KUNIT_ASSERT_EQ(test,
				smc_lo_test_reg_memcg(ldev, &next, SZ_1M, memcg),
				0);
		KUNIT_EXPECT_PTR_EQ(test, next.cpu_addr, charged);
		KUNIT_ASSERT_EQ(test, smc_lo_ops.unregister_dmb(ldev->smcd,
								&next), 0);
		KUNIT_EXPECT_EQ(test, ldev->pool_mem, 2 * SZ_1M);
		mem_cgroup_put(memcg);
	}
#endif
}

/* move_data() accepts exactly offset + size <= DMB length */
static void smc_lo_test_move_bounds(struct kunit *test)
{
	struct smc_lo_dev *ldev = smc_lo_test_dev(test);
	struct smcd_dmb dmb;
	u8 *buf, *mem;

	buf = kunit_kzalloc(test, SZ_16K + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(buf, 0x5a, SZ_16K + 1);
	KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &dmb, SZ_16K), 0);
	mem = dmb.cpu_addr;

	/* up to the last byte, and all of it */
	KUNIT_EXPECT_EQ(test, smc_lo_test_move(ldev, dmb.dmb_tok, false,
					       SZ_16K - 100, buf, 100), 0);
	KUNIT_EXPECT_EQ(test, mem[SZ_16K - 1], 0x5a);
	KUNIT_EXPECT_EQ(test, smc_lo_test_move(ldev, dmb.dmb_tok, false, 0,
					       buf, SZ_16K), 0);
	KUNIT_EXPECT_EQ(test, smc_lo_test_move(ldev, dmb.dmb_tok, false,
					       SZ_16K, buf, 0), 0);
	memset(mem, 0, SZ_16K);

	/* one byte too many, at either end */
	KUNIT_EXPECT_EQ(test, smc_lo_test_move(ldev, dmb.dmb_tok, false,
					       SZ_16K - 100, buf, 101),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, smc_lo_test_move(ldev, dmb.dmb_tok, false, 0,
					       buf, SZ_16K + 1), -EINVAL);
	/* offset past the end */
	KUNIT_EXPECT_EQ(test, smc_lo_test_move(ldev, dmb.dmb_tok, false,
					       SZ_16K + 1, buf, 0), -EINVAL);
	/* a rejected move writes nothing */
	KUNIT_EXPECT_PTR_EQ(test, memchr_inv(mem, 0, SZ_16K), NULL);
}

/* offset + size wraps around to a number within the DMB length. Without
 * the check the first move writes 4 GiB past the DMB: a crash or a hang in
 * this case, not a failed expectation, means exactly that.
 */
static void smc_lo_test_move_overflow(struct kunit *test)
{
	struct smc_lo_dev *ldev = smc_lo_test_dev(test);
	struct smcd_dmb dmb;
	u8 *buf;

	buf = kunit_kzalloc(test, SZ_16K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &dmb, SZ_16K), 0);

	KUNIT_EXPECT_EQ(test, smc_lo_test_move(ldev, dmb.dmb_tok, false,
					       UINT_MAX, buf, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, smc_lo_test_move(ldev, dmb.dmb_tok, false, 16,
					       buf, UINT_MAX - 15), -EINVAL);
}

static void smc_lo_test_move_unknown_token(struct kunit *test)
{
	struct smc_lo_dev *ldev = smc_lo_test_dev(test);
	struct smcd_dmb dmb;
	u8 data[8] = {};

	KUNIT_EXPECT_EQ(test, smc_lo_test_move(ldev, 0, false, 0, data, 8),
			-EINVAL);
	KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &dmb, SZ_16K), 0);
	KUNIT_EXPECT_EQ(test, smc_lo_test_move(ldev, ~dmb.dmb_tok, false, 0,
					       data, 8), -EINVAL);
	KUNIT_EXPECT_EQ(test, smc_lo_test_move(ldev, dmb.dmb_tok, false, 0,
					       data, 8), 0);
}

/* The data lands at the offset, nothing around it changes: a bulk copy,
 * a CDC message sized aligned one and an odd sized unaligned one.
 */
static void smc_lo_test_move_copies(struct kunit *test)
{
	static const struct {
		unsigned int offset, size;
	} moves[] = { { 1000, 3000 }, { 64, 32 }, { 5003, 13 } };
	struct smc_lo_dev *ldev = smc_lo_test_dev(test);
	unsigned int off, size;
	struct smcd_dmb dmb;
	u8 *mem, *data;
	int i;

	/* kmalloc()ed: aligned, so that small moves take the word path */
	data = kunit_kmalloc(test, 3000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, data);
	for (i = 0; i < 3000; i++)
		data[i] = i % 251 + 1;
	KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &dmb, SZ_16K), 0);
	mem = dmb.cpu_addr;

	for (i = 0; i < ARRAY_SIZE(moves); i++) {
		off = moves[i].offset;
		size = moves[i].size;
		memset(mem, 0, SZ_16K);
		KUNIT_ASSERT_EQ(test, smc_lo_test_move(ldev, dmb.dmb_tok, false,
						       off, data, size), 0);
		KUNIT_EXPECT_EQ_MSG(test, memcmp(mem + off, data, size), 0,
				    "move %u@%u", size, off);
		KUNIT_EXPECT_EQ_MSG(test, mem[off - 1], 0, "move %u@%u",
				    size, off);
		KUNIT_EXPECT_EQ_MSG(test, mem[off + size], 0, "move %u@%u",
				    size, off);
		KUNIT_EXPECT_PTR_EQ(test, memchr_inv(mem, 0, off), NULL);
		KUNIT_EXPECT_PTR_EQ(test, memchr_inv(mem + off + size, 0,
						     SZ_16K - off - size),
				    NULL);
	}
}

static void smc_lo_test_rx_tasklet(struct tasklet_struct *t)
{
	struct smc_connection *conn = from_tasklet(conn, t, rx_tsklet);

	container_of(conn, struct smc_lo_test_conn, conn)->rx_runs++;
}

/* With the signal flag, move_data() schedules the receive tasklet of the
 * connection owning the DMB, as an ISM interrupt would; without, it does not.
 */
static void smc_lo_test_move_signal(struct kunit *test)
{
	struct smc_lo_dev *ldev = smc_lo_test_dev(test);
	struct smc_lo_test_conn *tc;
	struct smcd_dmb dmb;
	u8 data[32] = {};

	tc = kunit_kzalloc(test, sizeof(*tc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tc);
	tasklet_setup(&tc->conn.rx_tsklet, smc_lo_test_rx_tasklet);
	KUNIT_ASSERT_EQ(test, smc_lo_test_reg(ldev, &dmb, SZ_16K), 0);
	/* what smc_ism_set_conn() does for a connection's DMB */
	spin_lock_bh(&ldev->smcd->lock);
	ldev->smcd->conn[dmb.sba_idx] = &tc->conn;
	spin_unlock_bh(&ldev->smcd->lock);

	KUNIT_EXPECT_EQ(test, smc_lo_test_move(ldev, dmb.dmb_tok, false, 0,
					       data, sizeof(data)), 0);
	tasklet_kill(&tc->conn.rx_tsklet);	/* runs a scheduled one */
	KUNIT_EXPECT_EQ(test, tc->rx_runs, 0);

	KUNIT_EXPECT_EQ(test, smc_lo_test_move(ldev, dmb.dmb_tok, true, 0,
					       data, sizeof(data)), 0);
	tasklet_kill(&tc->conn.rx_tsklet);
	KUNIT_EXPECT_EQ(test, tc->rx_runs, 1);

	/* a rejected move signals nobody */
	KUNIT_EXPECT_EQ(test, smc_lo_test_move(ldev, dmb.dmb_tok, true,
					       SZ_16K, data, 1), -EINVAL);
	tasklet_kill(&tc->conn.rx_tsklet);
	KUNIT_EXPECT_EQ(test, tc->rx_runs, 1);

	spin_lock_bh(&ldev->smcd->lock);
	ldev->smcd->conn[dmb.sba_idx] = NULL;
	spin_unlock_bh(&ldev->smcd->lock);
}

/* Loopback reaches only itself */
static void smc_lo_test_query_rgid(struct kunit *test)
{
	struct smc_lo_dev *ldev = smc_lo_test_dev(test);
	struct smcd_dev *smcd = ldev->smcd;
	u64 gid = smcd->local_gid;

	KUNIT_EXPECT_EQ(test, smc_lo_ops.query_remote_gid(smcd, gid, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, smc_lo_ops.query_remote_gid(smcd, gid, 1, 100),
			0);
	KUNIT_EXPECT_NE(test, smc_lo_ops.query_remote_gid(smcd, gid + 1, 0, 0),
			0);
	KUNIT_EXPECT_NE(test, smc_lo_ops.query_remote_gid(smcd, ~gid, 0, 0),
			0);
	KUNIT_EXPECT_NE(test, smc_lo_ops.query_remote_gid(smcd, 0, 0, 0), 0);
}

/* The device the module registered: CHID 0xFFFF, a GID, in the core's
 * device list, no ops that mean nothing without hardware.
 */
static void smc_lo_test_module_dev(struct kunit *test)
{
	struct smcd_dev *smcd = smc_lo.smcd;

	KUNIT_ASSERT_NOT_NULL(test, smcd);
	KUNIT_EXPECT_EQ(test, smcd->ops->get_chid(smcd), SMCD_LOOPBACK_CHID);
	KUNIT_EXPECT_EQ(test, SMCD_LOOPBACK_CHID, 0xFFFF);
	KUNIT_EXPECT_NE(test, smcd->local_gid, 0);
	KUNIT_EXPECT_EQ(test, smcd->ops->query_remote_gid(smcd,
							  smcd->local_gid,
							  0, 0), 0);
	KUNIT_EXPECT_EQ(test, smc_lo.max_dmbs, max_dmbs);
	KUNIT_EXPECT_GE(test, smc_lo.max_dmbs, 1);
	KUNIT_EXPECT_PTR_EQ(test, smcd->ops->signal_event, NULL);
	KUNIT_EXPECT_PTR_EQ(test, smcd->ops->add_vlan_id, NULL);
	KUNIT_EXPECT_PTR_EQ(test, smcd->ops->del_vlan_id, NULL);
	KUNIT_EXPECT_STREQ(test, dev_name(&smcd->dev), SMC_LO_NAME);
}

static struct kunit_case smc_lo_test_cases[] = {
	KUNIT_CASE(smc_lo_test_dmb_sizes),
	KUNIT_CASE(smc_lo_test_dmb_unique),
	KUNIT_CASE(smc_lo_test_dmb_limit),
	KUNIT_CASE(smc_lo_test_dmb_mem_budget),
	KUNIT_CASE(smc_lo_test_dmb_pool),
	KUNIT_CASE(smc_lo_test_attach_detach),
	KUNIT_CASE(smc_lo_test_attach_pairing),
	KUNIT_CASE(smc_lo_test_unregister_attached),
	KUNIT_CASE(smc_lo_test_move_bounds),
	KUNIT_CASE(smc_lo_test_move_unknown_token),
	KUNIT_CASE(smc_lo_test_move_copies),
	KUNIT_CASE(smc_lo_test_move_signal),
	KUNIT_CASE(smc_lo_test_query_rgid),
	KUNIT_CASE(smc_lo_test_module_dev),
	/* last: without the check it crashes the kernel */
	KUNIT_CASE(smc_lo_test_move_overflow),
	{}
};

static struct kunit_suite smc_lo_test_suite = {
	.name = "smc_loopback",
	.init = smc_lo_test_init,
	.exit = smc_lo_test_exit,
	.test_cases = smc_lo_test_cases,
};

kunit_test_suite(smc_lo_test_suite);
