// SPDX-License-Identifier: GPL-2.0
/* KUnit tests of the SMC core's connection state: the no-copy send buffer,
 * smc_conn_sndbuf_attached(), and the handshake's own DMBs.
 *
 * Only an SMC-D connection whose send buffer is the peer's DMB has an
 * attached send buffer. No SMC-R state may read as one: an SMC-R send
 * buffer mapped on a second link once did (a flag in the SMC-D half of the
 * descriptor's union shared its byte with sgt[1].nents), so its space was
 * credited twice and it never went back to the pool.
 *
 * Included at the end of smc_core.c: the tests see its static functions.
 */

#include <kunit/test.h>
#include <linux/interrupt.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include "smc_tx.h"

#define SMC_CORE_TEST_TOKEN	0x5a5a5a5a00000001ULL
#define SMC_CORE_TEST_OWN_TOKEN	0x5a5a5a5a00000002ULL
#define SMC_CORE_TEST_DMB_LEN	SMC_BUF_MIN_SIZE

struct smc_core_test {
	struct smcd_dev *smcd;
	void *peer_dmb;		/* what the fake device lets us attach */
	int attached;
	int detached;
	u64 own_tok;		/* what the last attach said of us */
	bool answer;
};

static int smc_core_test_attach_dmb(struct smcd_dev *smcd,
				    struct smcd_dmb *dmb, u64 own_tok,
				    bool answer)
{
	struct smc_core_test *t = smcd->priv;

	if (dmb->dmb_tok != SMC_CORE_TEST_TOKEN)
		return -ENOENT;
	t->attached++;
	t->own_tok = own_tok;
	t->answer = answer;
	dmb->cpu_addr = t->peer_dmb;
	dmb->dmb_len = SMC_CORE_TEST_DMB_LEN;
	return 0;
}

static int smc_core_test_detach_dmb(struct smcd_dev *smcd, u64 token)
{
	struct smc_core_test *t = smcd->priv;

	if (token != SMC_CORE_TEST_TOKEN)
		return -EINVAL;
	t->detached++;
	return 0;
}

/* smcd_buf_attach() needs no more of a device */
static const struct smcd_ops smc_core_test_ops = {
	.attach_dmb	= smc_core_test_attach_dmb,
	.detach_dmb	= smc_core_test_detach_dmb,
};

static int smc_core_test_init(struct kunit *test)
{
	struct smc_core_test *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->peer_dmb = kunit_kzalloc(test, SMC_CORE_TEST_DMB_LEN, GFP_KERNEL);
	if (!t->peer_dmb)
		return -ENOMEM;
	/* the peer's data: an attached send buffer must keep it */
	memset(t->peer_dmb, 0xa5, SMC_CORE_TEST_DMB_LEN);
	/* never registered: the SMC core does not see it */
	t->smcd = smcd_alloc_dev(NULL, "kunit-core-smcd", &smc_core_test_ops,
				 1);
	if (!t->smcd)
		return -ENOMEM;
	t->smcd->priv = t;
	test->priv = t;
	return 0;
}

static void smc_core_test_exit(struct kunit *test)
{
	struct smc_core_test *t = test->priv;

	if (t && t->smcd)
		smcd_free_dev(t->smcd);
}

static struct smc_sock *smc_core_test_sock(struct kunit *test, bool is_smcd)
{
	struct smc_link_group *lgr;
	struct smc_sock *smc;

	lgr = kunit_kzalloc(test, sizeof(*lgr), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, lgr);
	smc = kunit_kzalloc(test, sizeof(*smc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, smc);
	lgr->is_smcd = is_smcd;
	smc->conn.lgr = lgr;
	return smc;
}

/* A send buffer of an SMC-R link group with a second link, as
 * smcr_buf_map_lgr() leaves it: physically contiguous, DMA mapped on both
 * links, so sgt[1].nents is 1.
 */
static struct smc_buf_desc *
smc_core_test_smcr_sndbuf(struct kunit *test, struct smc_connection *conn)
{
	struct smc_link_group *lgr = conn->lgr;
	struct smc_buf_desc *buf;
	int i;

	lgr->type = SMC_LGR_SYMMETRIC;
	for (i = 0; i < 2; i++) {
		lgr->lnk[i].link_idx = i;
		lgr->lnk[i].state = SMC_LNK_ACTIVE;
	}
	conn->lnk = &lgr->lnk[1];

	buf = kunit_kzalloc(test, sizeof(*buf), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	buf->cpu_addr = kunit_kzalloc(test, SMC_BUF_MIN_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf->cpu_addr);
	buf->pages = virt_to_page(buf->cpu_addr);
	buf->len = SMC_BUF_MIN_SIZE;
	buf->used = 1;
	buf->order = get_order(SMC_BUF_MIN_SIZE);
	for (i = 0; i < 2; i++) {
		buf->sgt[i].nents = 1;
		buf->sgt[i].orig_nents = 1;
		buf->is_map_ib[i] = 1;
	}
	conn->sndbuf_desc = buf;
	return buf;
}

/* The case that corrupted memory: an SMC-R send buffer on two links */
static void smc_core_test_smcr_second_link(struct kunit *test)
{
	struct smc_sock *smc = smc_core_test_sock(test, false);
	struct smc_connection *conn = &smc->conn;
	struct smc_buf_desc *buf = smc_core_test_smcr_sndbuf(test, conn);

	KUNIT_EXPECT_FALSE_MSG(test, smc_conn_sndbuf_attached(conn),
			       "SMC-R sndbuf on two links taken for the peer's DMB");

	memset(buf->cpu_addr, 0xa5, buf->len);
	smc_buf_unuse(conn, conn->lgr);
	KUNIT_EXPECT_EQ_MSG(test, buf->used, 0,
			    "SMC-R sndbuf did not go back to the pool");
	KUNIT_EXPECT_PTR_EQ_MSG(test, memchr_inv(buf->cpu_addr, 0, buf->len),
				NULL,
				"SMC-R sndbuf went back to the pool uncleared");
}

/* No SMC-R state at all reads as an attached send buffer, whatever its
 * bytes hold
 */
static void smc_core_test_smcr_never_attached(struct kunit *test)
{
	struct smc_sock *smc = smc_core_test_sock(test, false);
	struct smc_connection *conn = &smc->conn;
	struct smc_buf_desc *buf = smc_core_test_smcr_sndbuf(test, conn);
	size_t smcr_start = offsetof(struct smc_buf_desc, sgt);
	size_t smcr_end = offsetofend(struct smc_buf_desc, is_vm);

	memset((u8 *)buf + smcr_start, 0xff, smcr_end - smcr_start);
	KUNIT_EXPECT_FALSE_MSG(test, smc_conn_sndbuf_attached(conn),
			       "SMC-R state [%zu, %zu) reads as an attached send buffer",
			       smcr_start, smcr_end);

	/* even pointing at the same descriptor, SMC-R has no peer DMB */
	conn->peer_dmb_desc = buf;
	KUNIT_EXPECT_FALSE_MSG(test, smc_conn_sndbuf_attached(conn),
			       "an SMC-R connection counts as attached");
	conn->peer_dmb_desc = NULL;

	conn->lgr = NULL;
	KUNIT_EXPECT_FALSE_MSG(test, smc_conn_sndbuf_attached(conn),
			       "no link group, yet an attached sndbuf");
}

static struct smc_sock *smc_core_test_smcd_sock(struct kunit *test,
						bool nocopy)
{
	struct smc_core_test *t = test->priv;
	struct smc_sock *smc = smc_core_test_sock(test, true);
	struct smc_connection *conn = &smc->conn;
	struct smc_buf_desc *rmb;

	t->smcd->nocopy = nocopy;
	conn->lgr->smcd = t->smcd;
	/* our own DMB, whose CDC header and ring the peer writes */
	rmb = kunit_kzalloc(test, sizeof(*rmb), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rmb);
	rmb->used = 1;
	rmb->token = SMC_CORE_TEST_OWN_TOKEN;
	conn->rmb_desc = rmb;
	/* what the peer's CLC message announced */
	conn->peer_token = SMC_CORE_TEST_TOKEN;
	conn->tx_off = 0;
	conn->peer_rmbe_size = SMC_CORE_TEST_DMB_LEN -
			       sizeof(struct smcd_cdc_msg);
	atomic_set(&conn->peer_rmbe_space, conn->peer_rmbe_size);
	return smc;
}

static void smc_core_test_rx(struct tasklet_struct *t)
{
}

/* No-copy: smcd_buf_attach() makes the peer's DMB the send buffer */
static void smc_core_test_smcd_attached(struct kunit *test)
{
	struct smc_core_test *t = test->priv;
	struct smc_sock *smc = smc_core_test_smcd_sock(test, true);
	struct smc_connection *conn = &smc->conn;
	struct smc_buf_desc *buf;

	tasklet_setup(&conn->rx_tsklet, smc_core_test_rx);
	KUNIT_ASSERT_EQ(test, smcd_buf_attach(smc, false), 0);
	tasklet_kill(&conn->rx_tsklet);
	smc_ism_unset_conn(conn);
	KUNIT_EXPECT_EQ(test, t->attached, 1);
	/* the device learns who writes: our own DMB, as a client */
	KUNIT_EXPECT_EQ(test, t->own_tok, SMC_CORE_TEST_OWN_TOKEN);
	KUNIT_EXPECT_FALSE(test, t->answer);

	buf = conn->sndbuf_desc;
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_PTR_EQ(test, buf, conn->peer_dmb_desc);
	KUNIT_EXPECT_TRUE_MSG(test, smc_conn_sndbuf_attached(conn),
			      "the peer's DMB as send buffer is not attached");

	/* the peer's ring is not ours to clear or to pool */
	conn->rmb_desc = NULL;	/* a DMB of its own is no concern here */
	smc_buf_unuse(conn, conn->lgr);
	KUNIT_EXPECT_EQ_MSG(test, buf->used, 1,
			    "the attached send buffer went to the pool");
	KUNIT_EXPECT_PTR_EQ_MSG(test, memchr_inv(buf->cpu_addr, 0xa5, buf->len),
				NULL, "the peer's ring was cleared");

	smcd_buf_detach(conn);
	KUNIT_EXPECT_EQ(test, t->detached, 1);
	KUNIT_EXPECT_PTR_EQ(test, conn->sndbuf_desc, NULL);
	KUNIT_EXPECT_FALSE(test, smc_conn_sndbuf_attached(conn));
}

/* A peer that is this device itself naming our own DMB: refused, nothing
 * attached (the connection would write into its own ring)
 */
static void smc_core_test_smcd_self_attach(struct kunit *test)
{
	struct smc_core_test *t = test->priv;
	struct smc_sock *smc = smc_core_test_smcd_sock(test, true);
	struct smc_connection *conn = &smc->conn;

	conn->rmb_desc->token = SMC_CORE_TEST_TOKEN;
	conn->lgr->peer_gid = t->smcd->local_gid;
	KUNIT_EXPECT_EQ_MSG(test, smcd_buf_attach(smc, false), -EINVAL,
			    "a connection attached its own DMB");
	KUNIT_EXPECT_EQ(test, t->attached, 0);
	KUNIT_EXPECT_PTR_EQ(test, conn->peer_dmb_desc, NULL);
	KUNIT_EXPECT_PTR_EQ(test, conn->sndbuf_desc, NULL);
}

/* Nothing is written for a connection without the buffers its handshake
 * gives it: no send buffer (no-copy, before the attach), or no attached
 * peer DMB (copy mode); a killed one's abort message included
 */
static void smc_core_test_smcd_write_unattached(struct kunit *test)
{
	struct smc_sock *smc = smc_core_test_smcd_sock(test, true);
	struct smc_connection *conn = &smc->conn;
	struct smc_buf_desc *sndbuf;
	char msg[8] = {};

	KUNIT_EXPECT_EQ_MSG(test, smcd_tx_ism_write(conn, msg, sizeof(msg), 0, 1),
			    -EPIPE, "written without a send buffer");

	sndbuf = kunit_kzalloc(test, sizeof(*sndbuf), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sndbuf);
	conn->sndbuf_desc = sndbuf;
	KUNIT_EXPECT_EQ_MSG(test, smcd_tx_ism_write(conn, msg, sizeof(msg), 0, 1),
			    -EPIPE, "written into a DMB the handshake did not attach");
}

/* Copy mode: the peer's DMB is attached as its one writer, but the send
 * buffer is our own and move_data() copies from it
 */
static void smc_core_test_smcd_copy(struct kunit *test)
{
	struct smc_core_test *t = test->priv;
	struct smc_sock *smc = smc_core_test_smcd_sock(test, false);
	struct smc_connection *conn = &smc->conn;
	struct smc_buf_desc *sndbuf;

	sndbuf = kunit_kzalloc(test, sizeof(*sndbuf), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sndbuf);
	sndbuf->used = 1;
	conn->sndbuf_desc = sndbuf;

	KUNIT_ASSERT_EQ(test, smcd_buf_attach(smc, false), 0);
	KUNIT_EXPECT_EQ(test, t->attached, 1);
	KUNIT_ASSERT_NOT_NULL(test, conn->peer_dmb_desc);
	KUNIT_EXPECT_PTR_EQ(test, conn->sndbuf_desc, sndbuf);
	KUNIT_EXPECT_FALSE_MSG(test, smc_conn_sndbuf_attached(conn),
			       "own sndbuf in copy mode counts as attached");

	smcd_buf_detach(conn);
	KUNIT_EXPECT_EQ(test, t->detached, 1);
	KUNIT_EXPECT_PTR_EQ(test, conn->sndbuf_desc, sndbuf);
}

static struct kunit_case smc_core_test_cases[] = {
	KUNIT_CASE(smc_core_test_smcr_second_link),
	KUNIT_CASE(smc_core_test_smcr_never_attached),
	KUNIT_CASE(smc_core_test_smcd_attached),
	KUNIT_CASE(smc_core_test_smcd_copy),
	KUNIT_CASE(smc_core_test_smcd_self_attach),
	KUNIT_CASE(smc_core_test_smcd_write_unattached),
	{}
};

static struct kunit_suite smc_core_test_suite = {
	.name = "smc_core",
	.init = smc_core_test_init,
	.exit = smc_core_test_exit,
	.test_cases = smc_core_test_cases,
};

kunit_test_suite(smc_core_test_suite);
