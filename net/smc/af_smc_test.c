// SPDX-License-Identifier: GPL-2.0
/* KUnit tests of the SMC-D part of a client's CLC proposal: which devices
 * it offers (smc_find_proposal_devices(), smc_find_ism_v2_device_clnt())
 * and the message smc_clc_send_proposal() builds from that.
 *
 * Included at the end of af_smc.c: the tests see its static functions.
 */

#include <kunit/test.h>
#include <linux/net.h>
#include <linux/socket.h>

#include "smc_kunit.h"

#define SMC_PROP_ISM_CHID	0x0123
#define SMC_PROP_ISM_GID	0x1111222233334444ULL
#define SMC_PROP_LO_GID		0x5555666677778888ULL

/* "SMCR" in EBCDIC, first and last 4 bytes of every CLC message */
static const u8 smc_prop_eyecatcher[4] = { 0xe2, 0xd4, 0xc3, 0xd9 };

/* The CLC socket of the fake SMC socket is one end of a unix socketpair:
 * smc_clc_send_proposal() writes to it, the test reads the message at the
 * other end. Having no route, it has no SMC-Dv1 (PNET) device either; the
 * smc_pnet_ism_v1 suite tests that lookup.
 */
struct smc_prop_test {
	struct smc_sock *smc;
	struct socket *peer;
	struct smc_init_info *ini;
};

static struct smc_prop_test *smc_prop(struct kunit *test)
{
	struct smc_kunit_env *env = test->priv;

	return env ? env->priv : NULL;
}

static int smc_prop_init(struct kunit *test)
{
	struct socket *clcsock, *peer;
	struct smc_init_info *ini;
	struct smc_prop_test *t;
	int rc;

	rc = smc_kunit_env_init(test);
	if (rc)
		return rc;
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	((struct smc_kunit_env *)test->priv)->priv = t;

	t->smc = kunit_kzalloc(test, sizeof(*t->smc), GFP_KERNEL);
	t->ini = kunit_kzalloc(test, sizeof(*t->ini), GFP_KERNEL);
	if (!t->smc || !t->ini)
		return -ENOMEM;
	sock_net_set(&t->smc->sk, &init_net);

	rc = sock_create_kern(&init_net, AF_UNIX, SOCK_STREAM, 0, &clcsock);
	if (rc)
		return rc;
	t->smc->clcsock = clcsock;
	rc = sock_create_kern(&init_net, AF_UNIX, SOCK_STREAM, 0, &peer);
	if (rc)
		return rc;
	t->peer = peer;
	rc = clcsock->ops->socketpair(clcsock, peer);
	if (rc)
		return rc;

	/* what __smc_connect() starts from */
	ini = t->ini;
	ini->smcd_version = SMC_V1 | SMC_V2;
	ini->smcr_version = SMC_V1 | SMC_V2;
	ini->smc_type_v1 = SMC_TYPE_B;
	ini->smc_type_v2 = SMC_TYPE_B;
	return 0;
}

static void smc_prop_exit(struct kunit *test)
{
	struct smc_prop_test *t = smc_prop(test);

	if (t) {
		if (t->peer)
			sock_release(t->peer);
		if (t->smc && t->smc->clcsock)
			sock_release(t->smc->clcsock);
	}
	smc_kunit_env_exit(test);
}

/* Loopback and an ISM device: both offered for SMC-Dv2, loopback first
 * with its CHID; no SMC-Dv1 device, so no SMC-Dv1 offer.
 */
static void smc_prop_loopback_v2_only(struct kunit *test)
{
	struct smc_prop_test *t = smc_prop(test);
	struct smc_init_info *ini = t->ini;
	struct smcd_dev *ism, *lo;

	ism = smc_kunit_add_dev(test, SMC_PROP_ISM_CHID, SMC_PROP_ISM_GID,
				true, NULL);
	lo = smc_kunit_add_dev(test, SMCD_LOOPBACK_CHID, SMC_PROP_LO_GID,
			       false, NULL);

	KUNIT_EXPECT_EQ(test, smc_find_proposal_devices(t->smc, ini), 0);
	KUNIT_EXPECT_PTR_EQ(test, ini->ism_dev[0], NULL);
	KUNIT_EXPECT_EQ(test, ini->smcd_version, SMC_V2);
	KUNIT_EXPECT_EQ(test, ini->smc_type_v1, SMC_TYPE_N);
	KUNIT_EXPECT_EQ(test, ini->smc_type_v2, SMC_TYPE_D);
	KUNIT_EXPECT_EQ(test, ini->ism_offered_cnt, 2);
	KUNIT_EXPECT_PTR_EQ(test, ini->ism_dev[1], lo);
	KUNIT_EXPECT_EQ(test, ini->ism_chid[1], SMCD_LOOPBACK_CHID);
	KUNIT_EXPECT_PTR_EQ(test, ini->ism_dev[2], ism);
	KUNIT_EXPECT_EQ(test, ini->ism_chid[2], SMC_PROP_ISM_CHID);
}

/* With the ISM device taken as SMC-Dv1 device (slot 0, as the PNET lookup
 * would), loopback is still only in the v2 list and the ISM device, whose
 * CHID is taken, is not repeated there.
 */
static void smc_prop_v1_slot_kept(struct kunit *test)
{
	struct smc_prop_test *t = smc_prop(test);
	struct smc_init_info *ini = t->ini;
	struct smcd_dev *ism, *lo;

	ism = smc_kunit_add_dev(test, SMC_PROP_ISM_CHID, SMC_PROP_ISM_GID,
				true, NULL);
	lo = smc_kunit_add_dev(test, SMCD_LOOPBACK_CHID, SMC_PROP_LO_GID,
			       false, NULL);
	ini->ism_dev[0] = ism;
	ini->ism_chid[0] = SMC_PROP_ISM_CHID;
	ini->smc_type_v1 = SMC_TYPE_D;

	KUNIT_EXPECT_EQ(test, smc_find_ism_v2_device_clnt(t->smc, ini), 0);
	KUNIT_EXPECT_PTR_EQ(test, ini->ism_dev[0], ism);
	KUNIT_EXPECT_EQ(test, ini->ism_chid[0], SMC_PROP_ISM_CHID);
	KUNIT_EXPECT_EQ(test, ini->ism_offered_cnt, 1);
	KUNIT_EXPECT_PTR_EQ(test, ini->ism_dev[1], lo);
	KUNIT_EXPECT_EQ(test, ini->ism_chid[1], SMCD_LOOPBACK_CHID);
	KUNIT_EXPECT_PTR_EQ(test, ini->ism_dev[2], NULL);
}

/* The proposal carries at most SMC_MAX_ISM_DEVS (8) GID/CHID entries */
static void smc_prop_max_v2_devices(struct kunit *test)
{
	struct smc_prop_test *t = smc_prop(test);
	struct smc_init_info *ini = t->ini;
	struct smcd_dev *lo;
	int i, j;

	lo = smc_kunit_add_dev(test, SMCD_LOOPBACK_CHID, SMC_PROP_LO_GID,
			       false, NULL);
	for (i = 0; i < SMC_MAX_ISM_DEVS + 2; i++)
		smc_kunit_add_dev(test, 0x0100 + i, 0x100 + i, true, NULL);

	KUNIT_EXPECT_EQ(test, smc_find_proposal_devices(t->smc, ini), 0);
	KUNIT_EXPECT_EQ(test, ini->ism_offered_cnt, SMC_MAX_ISM_DEVS);
	KUNIT_EXPECT_PTR_EQ(test, ini->ism_dev[0], NULL);
	KUNIT_EXPECT_PTR_EQ(test, ini->ism_dev[1], lo);
	KUNIT_EXPECT_EQ(test, ini->ism_chid[1], SMCD_LOOPBACK_CHID);
	for (i = 1; i <= SMC_MAX_ISM_DEVS; i++) {
		KUNIT_EXPECT_PTR_NE_MSG(test, ini->ism_dev[i], NULL,
					"v2 slot %d", i);
		for (j = 1; j < i; j++)
			KUNIT_EXPECT_NE_MSG(test, ini->ism_chid[i],
					    ini->ism_chid[j],
					    "CHID in slots %d and %d", j, i);
	}
}

/* Not offered for v2: an ISM device without v2 support, one with a CHID
 * already offered, one whose PNET-ID no net device of the namespace has.
 */
static void smc_prop_v2_skipped(struct kunit *test)
{
	struct smc_prop_test *t = smc_prop(test);
	struct smc_init_info *ini = t->ini;
	struct smcd_dev *lo;

	lo = smc_kunit_add_dev(test, SMCD_LOOPBACK_CHID, SMC_PROP_LO_GID,
			       false, NULL);
	smc_kunit_add_dev(test, SMC_PROP_ISM_CHID, SMC_PROP_ISM_GID, true,
			  NULL);
	smc_kunit_add_dev(test, SMC_PROP_ISM_CHID, SMC_PROP_ISM_GID + 1, true,
			  NULL);
	smc_kunit_add_dev(test, 0x0200, 0x200, false, NULL);
	smc_kunit_add_dev(test, 0x0300, 0x300, true, "KUNITNONE");

	KUNIT_EXPECT_EQ(test, smc_find_proposal_devices(t->smc, ini), 0);
	/* the list holds the devices without PNET-ID newest first, so
	 * either of the two with SMC_PROP_ISM_CHID may be offered
	 */
	KUNIT_EXPECT_EQ(test, ini->ism_offered_cnt, 2);
	KUNIT_EXPECT_PTR_EQ(test, ini->ism_dev[1], lo);
	KUNIT_EXPECT_EQ(test, ini->ism_chid[2], SMC_PROP_ISM_CHID);
	KUNIT_EXPECT_PTR_EQ(test, ini->ism_dev[3], NULL);
}

/* no SMC-D device at all and no RoCE device: no proposal, TCP fallback */
static void smc_prop_no_device(struct kunit *test)
{
	struct smc_prop_test *t = smc_prop(test);
	struct smc_init_info *ini = t->ini;

	KUNIT_EXPECT_EQ(test, smc_find_proposal_devices(t->smc, ini),
			SMC_CLC_DECL_NOSMCDEV);
	KUNIT_EXPECT_EQ(test, ini->smcd_version, 0);
	KUNIT_EXPECT_EQ(test, ini->ism_offered_cnt, 0);
}

/* The proposal message itself, read back as the server parses it: no
 * SMC-Dv1 GID, the resolved SEID, loopback's GID/CHID first.
 */
static void smc_prop_message(struct kunit *test)
{
	struct smc_prop_test *t = smc_prop(test);
	struct smc_clc_smcd_v2_extension *smcd_v2_ext;
	struct smc_init_info *ini = t->ini;
	struct smc_clc_msg_proposal *pclc;
	struct smc_clc_v2_extension *v2_ext;
	struct smc_clc_msg_smcd *pclc_smcd;
	char want[SMC_MAX_EID_LEN + 1];
	char seid[SMC_MAX_EID_LEN + 1];
	u8 resolved[SMC_MAX_EID_LEN];
	struct msghdr msg = {};
	struct kvec vec;
	size_t buflen;
	int len;
	u8 *buf;

	smc_kunit_add_dev(test, SMC_PROP_ISM_CHID, SMC_PROP_ISM_GID, true,
			  NULL);
	smc_kunit_add_dev(test, SMCD_LOOPBACK_CHID, SMC_PROP_LO_GID, false,
			  NULL);
	KUNIT_ASSERT_EQ(test, smc_find_proposal_devices(t->smc, ini), 0);
	KUNIT_ASSERT_EQ(test, smc_clc_send_proposal(t->smc, ini), 0);

	buflen = sizeof(struct smc_clc_msg_proposal_area);
	buf = kunit_kzalloc(test, buflen, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	vec.iov_base = buf;
	vec.iov_len = buflen;
	len = kernel_recvmsg(t->peer, &msg, &vec, 1, buflen, MSG_DONTWAIT);
	KUNIT_ASSERT_GT(test, len, (int)sizeof(*pclc));

	pclc = (struct smc_clc_msg_proposal *)buf;
	KUNIT_EXPECT_EQ(test, ntohs(pclc->hdr.length), len);
	KUNIT_EXPECT_EQ(test, pclc->hdr.type, SMC_CLC_PROPOSAL);
	KUNIT_EXPECT_EQ(test, (u8)pclc->hdr.typev1, SMC_TYPE_N);
	KUNIT_EXPECT_EQ(test, (u8)pclc->hdr.typev2, SMC_TYPE_D);
	KUNIT_EXPECT_EQ(test, memcmp(pclc->hdr.eyecatcher, smc_prop_eyecatcher,
				     sizeof(smc_prop_eyecatcher)), 0);
	KUNIT_EXPECT_EQ(test, memcmp(buf + len - sizeof(smc_prop_eyecatcher),
				     smc_prop_eyecatcher,
				     sizeof(smc_prop_eyecatcher)), 0);

	pclc_smcd = smc_get_clc_msg_smcd(pclc);
	KUNIT_ASSERT_NOT_NULL(test, pclc_smcd);
	KUNIT_EXPECT_EQ(test, ntohll(pclc_smcd->ism.gid), 0);
	KUNIT_EXPECT_EQ(test, ntohs(pclc_smcd->ism.chid), 0);

	v2_ext = smc_get_clc_v2_ext(pclc);
	KUNIT_ASSERT_NOT_NULL(test, v2_ext);
	KUNIT_EXPECT_EQ(test, (u8)v2_ext->hdr.flag.seid, 1);
	KUNIT_EXPECT_EQ(test, v2_ext->hdr.ism_gid_cnt, 2);
	smcd_v2_ext = smc_get_clc_smcd_v2_ext(v2_ext);
	KUNIT_ASSERT_NOT_NULL(test, smcd_v2_ext);
	smc_ism_resolve_system_eid(resolved);
	memcpy(want, resolved, SMC_MAX_EID_LEN);
	want[SMC_MAX_EID_LEN] = '\0';
	memcpy(seid, smcd_v2_ext->system_eid, SMC_MAX_EID_LEN);
	seid[SMC_MAX_EID_LEN] = '\0';
	KUNIT_EXPECT_STREQ(test, seid, want);

	KUNIT_EXPECT_EQ(test, ntohll(smcd_v2_ext->gidchid[0].gid),
			SMC_PROP_LO_GID);
	KUNIT_EXPECT_EQ(test, ntohs(smcd_v2_ext->gidchid[0].chid),
			SMCD_LOOPBACK_CHID);
	KUNIT_EXPECT_EQ(test, ntohll(smcd_v2_ext->gidchid[1].gid),
			SMC_PROP_ISM_GID);
	KUNIT_EXPECT_EQ(test, ntohs(smcd_v2_ext->gidchid[1].chid),
			SMC_PROP_ISM_CHID);
}

static struct kunit_case smc_prop_cases[] = {
	KUNIT_CASE(smc_prop_loopback_v2_only),
	KUNIT_CASE(smc_prop_v1_slot_kept),
	KUNIT_CASE(smc_prop_max_v2_devices),
	KUNIT_CASE(smc_prop_v2_skipped),
	KUNIT_CASE(smc_prop_no_device),
	KUNIT_CASE(smc_prop_message),
	{}
};

static struct kunit_suite smc_prop_suite = {
	.name = "smc_proposal",
	.init = smc_prop_init,
	.exit = smc_prop_exit,
	.test_cases = smc_prop_cases,
};

kunit_test_suite(smc_prop_suite);
