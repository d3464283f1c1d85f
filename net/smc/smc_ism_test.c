// SPDX-License-Identifier: GPL-2.0
/* KUnit tests of the system EID resolver and of the SMC-Dv2 capable state,
 * plus the fake SMC-D devices all SMC core suites use (smc_kunit.h).
 *
 * Included at the end of smc_ism.c: the tests see its static functions.
 */

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/limits.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "smc_kunit.h"

#define SMC_KUNIT_MAX_DMBS	16

/* the resolver's default SEID on an architecture without a machine SEID */
#define SMC_KUNIT_SEID_DEF	"IBM-DEF-ISMSEID00000000000000000"

/* Fake SMC-D devices */

struct smc_kunit_dev {
	u16 chid;
};

static atomic_t smc_kunit_dev_seq = ATOMIC_INIT(0);
/* the devices registered before a case started, under smcd_dev_list.mutex */
static LIST_HEAD(smc_kunit_hidden_devs);

static int smc_kunit_query_rgid(struct smcd_dev *smcd, u64 rgid,
				u32 vid_valid, u32 vid)
{
	return rgid == smcd->local_gid ? 0 : -ENETUNREACH;
}

/* no test moves data through a fake device */
static int smc_kunit_register_dmb(struct smcd_dev *smcd, struct smcd_dmb *dmb)
{
	return -ENOSPC;
}

static int smc_kunit_unregister_dmb(struct smcd_dev *smcd,
				    struct smcd_dmb *dmb)
{
	return -EINVAL;
}

static int smc_kunit_move_data(struct smcd_dev *smcd, u64 dmb_tok,
			       unsigned int idx, bool sf, unsigned int offset,
			       void *data, unsigned int size)
{
	return -EINVAL;
}

static u16 smc_kunit_get_chid(struct smcd_dev *smcd)
{
	struct smc_kunit_dev *fake = smcd->priv;

	return fake->chid;
}

/* no VLAN ops, no signal_event: the core must cope with NULL for them */
static const struct smcd_ops smc_kunit_ops = {
	.query_remote_gid	= smc_kunit_query_rgid,
	.register_dmb		= smc_kunit_register_dmb,
	.unregister_dmb		= smc_kunit_unregister_dmb,
	.move_data		= smc_kunit_move_data,
	.get_chid		= smc_kunit_get_chid,
};

static struct smcd_dev *smc_kunit_alloc_dev(struct kunit *test, u16 chid,
					    u64 gid, bool supports_v2,
					    const char *pnetid)
{
	struct smc_kunit_dev *fake;
	struct smcd_dev *smcd;
	char name[32];

	fake = kunit_kzalloc(test, sizeof(*fake), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fake);
	fake->chid = chid;

	/* unique: the device shows up in sysfs while registered */
	snprintf(name, sizeof(name), "kunit-smcd%d",
		 atomic_inc_return(&smc_kunit_dev_seq));
	smcd = smcd_alloc_dev(NULL, name, &smc_kunit_ops, SMC_KUNIT_MAX_DMBS);
	KUNIT_ASSERT_NOT_NULL(test, smcd);
	smcd->priv = fake;
	smcd->local_gid = gid;
	smcd->supports_v2 = supports_v2;
	memset(smcd->pnetid, 0, sizeof(smcd->pnetid));
	if (pnetid)
		memcpy(smcd->pnetid, pnetid,
		       strnlen(pnetid, SMC_MAX_PNETID_LEN));
	return smcd;
}

struct smcd_dev *smc_kunit_add_dev(struct kunit *test, u16 chid, u64 gid,
				   bool supports_v2, const char *pnetid)
{
	struct smc_kunit_env *env = test->priv;
	struct smcd_dev *smcd;
	int i, rc;

	for (i = 0; i < SMC_KUNIT_MAX_DEVS && env->smcd[i]; i++)
		;
	KUNIT_ASSERT_LT(test, i, SMC_KUNIT_MAX_DEVS);

	smcd = smc_kunit_alloc_dev(test, chid, gid, supports_v2, pnetid);
	rc = smcd_register_dev(smcd);
	if (rc)
		smcd_free_dev(smcd);
	KUNIT_ASSERT_EQ_MSG(test, rc, 0, "smcd_register_dev(chid 0x%04x)",
			    chid);
	env->smcd[i] = smcd;
	return smcd;
}

void smc_kunit_del_dev(struct kunit *test, struct smcd_dev *smcd)
{
	struct smc_kunit_env *env = test->priv;
	int i;

	for (i = 0; i < SMC_KUNIT_MAX_DEVS && env->smcd[i] != smcd; i++)
		;
	KUNIT_ASSERT_LT(test, i, SMC_KUNIT_MAX_DEVS);
	env->smcd[i] = NULL;
	smcd_unregister_dev(smcd);
	smcd_free_dev(smcd);
}

int smc_kunit_env_init(struct kunit *test)
{
	struct smc_kunit_env *env;

	env = kunit_kzalloc(test, sizeof(*env), GFP_KERNEL);
	if (!env)
		return -ENOMEM;
	test->priv = env;

	/* Real devices (the loopback module, ISM) stay registered, only out
	 * of sight: their connections are unaffected, new ones would not
	 * find them while a case runs.
	 */
	mutex_lock(&smcd_dev_list.mutex);
	list_splice_init(&smcd_dev_list.list, &smc_kunit_hidden_devs);
	smc_ism_update_v2_capable();
	mutex_unlock(&smcd_dev_list.mutex);
	return 0;
}

void smc_kunit_env_exit(struct kunit *test)
{
	struct smc_kunit_env *env = test->priv;
	int i;

	if (!env)	/* init failed before hiding anything */
		return;
	for (i = 0; i < SMC_KUNIT_MAX_DEVS; i++) {
		if (env->smcd[i])
			smc_kunit_del_dev(test, env->smcd[i]);
	}

	mutex_lock(&smcd_dev_list.mutex);
	list_splice_init(&smc_kunit_hidden_devs, &smcd_dev_list.list);
	smc_ism_update_v2_capable();
	mutex_unlock(&smcd_dev_list.mutex);
}

/* the SEID as a string, for KUNIT_EXPECT_STREQ() */
static void smc_kunit_seid_str(char *str, const u8 *seid)
{
	memcpy(str, seid, SMC_MAX_EID_LEN);
	str[SMC_MAX_EID_LEN] = '\0';
}

/* smc_ism_get_system_eid() as a string, "" if there is none */
static void smc_kunit_system_eid_str(char *str)
{
	u8 *eid = NULL;

	smc_ism_get_system_eid(&eid);
	if (eid)
		smc_kunit_seid_str(str, eid);
	else
		str[0] = '\0';
}

static void smc_kunit_resolved_eid_str(char *str)
{
	u8 seid[SMC_MAX_EID_LEN];

	smc_ism_resolve_system_eid(seid);
	smc_kunit_seid_str(str, seid);
}

/* Suite smc_seid: the SEID formats */

/* s390: the machine SEID (its digits are checked against /proc in the
 * s390x guest); elsewhere the fixed default
 */
static void smc_seid_resolved_format(struct kunit *test)
{
	const char *prefix = SMC_ISM_SEID_PREFIX_DEF;
	u8 seid[SMC_MAX_EID_LEN + 1];
	char str[SMC_MAX_EID_LEN + 1];

	if (IS_ENABLED(CONFIG_S390))
		prefix = SMC_ISM_SEID_PREFIX_S390;
	memset(seid, 0xa5, sizeof(seid));
	smc_ism_resolve_system_eid(seid);
	KUNIT_EXPECT_EQ_MSG(test, seid[SMC_MAX_EID_LEN], 0xa5,
			    "resolver wrote past SMC_MAX_EID_LEN bytes");
	/* 32 printable bytes without NUL: the peer compares all of them */
	KUNIT_EXPECT_EQ(test, strnlen((char *)seid, SMC_MAX_EID_LEN),
			SMC_MAX_EID_LEN);
	smc_kunit_seid_str(str, seid);
	KUNIT_EXPECT_EQ_MSG(test, strncmp(str, prefix, strlen(prefix)), 0,
			    "SEID %s does not begin with %s", str, prefix);
	if (!IS_ENABLED(CONFIG_S390))
		KUNIT_EXPECT_STREQ(test, str, SMC_KUNIT_SEID_DEF);
}

/* the string the 6.1 ISM driver produced from the CPU id */
static void smc_seid_s390_format(struct kunit *test)
{
	u8 seid[SMC_MAX_EID_LEN + 1];
	char str[SMC_MAX_EID_LEN + 1];

	memset(seid, 0xa5, sizeof(seid));
	/* only the serial tail of the ident, upper case hex */
	smc_ism_format_seid(seid, SMC_ISM_SEID_PREFIX_S390, 0x12abcd, 0x3931);
	KUNIT_EXPECT_EQ_MSG(test, seid[SMC_MAX_EID_LEN], 0xa5,
			    "formatter wrote past SMC_MAX_EID_LEN bytes");
	smc_kunit_seid_str(str, seid);
	KUNIT_EXPECT_STREQ(test, str, "IBM-SYSZ-ISMSEID00000000ABCD3931");

	/* zero padded to 4 digits each */
	smc_ism_format_seid(seid, SMC_ISM_SEID_PREFIX_S390, 0x5, 0xa);
	smc_kunit_seid_str(str, seid);
	KUNIT_EXPECT_STREQ(test, str, "IBM-SYSZ-ISMSEID000000000005000A");

	smc_ism_format_seid(seid, SMC_ISM_SEID_PREFIX_S390, 0xffffff, 0xffff);
	smc_kunit_seid_str(str, seid);
	KUNIT_EXPECT_STREQ(test, str, "IBM-SYSZ-ISMSEID00000000FFFFFFFF");
}

static struct kunit_case smc_seid_cases[] = {
	KUNIT_CASE(smc_seid_resolved_format),
	KUNIT_CASE(smc_seid_s390_format),
	{}
};

static struct kunit_suite smc_seid_suite = {
	.name = "smc_seid",
	.test_cases = smc_seid_cases,
};

/* Suite smc_ism_v2: the SMC-Dv2 capable state and SEID follow the list of
 * registered devices. Each case starts with an empty list.
 */

#define SMC_KUNIT_ISM_CHID	0x0123
#define SMC_KUNIT_ISM_GID	0x1111222233334444ULL
#define SMC_KUNIT_LO_GID	0x5555666677778888ULL

static void smc_ism_v2_none_registered(struct kunit *test)
{
	char str[SMC_MAX_EID_LEN + 1];

	KUNIT_EXPECT_FALSE(test, smc_ism_is_v2_capable());
	smc_kunit_system_eid_str(str);
	KUNIT_EXPECT_STREQ(test, str, "");
}

static void smc_ism_v2_ism_registered(struct kunit *test)
{
	char want[SMC_MAX_EID_LEN + 1], str[SMC_MAX_EID_LEN + 1];
	struct smcd_dev *ism;

	ism = smc_kunit_add_dev(test, SMC_KUNIT_ISM_CHID, SMC_KUNIT_ISM_GID,
				true, NULL);
	KUNIT_EXPECT_TRUE(test, smc_ism_dev_v2_capable(ism));
	KUNIT_EXPECT_TRUE(test, smc_ism_is_v2_capable());
	smc_kunit_resolved_eid_str(want);
	smc_kunit_system_eid_str(str);
	KUNIT_EXPECT_STREQ(test, str, want);
}

static void smc_ism_v2_last_removed(struct kunit *test)
{
	char str[SMC_MAX_EID_LEN + 1];
	struct smcd_dev *ism, *lo;

	ism = smc_kunit_add_dev(test, SMC_KUNIT_ISM_CHID, SMC_KUNIT_ISM_GID,
				true, NULL);
	lo = smc_kunit_add_dev(test, SMCD_LOOPBACK_CHID, SMC_KUNIT_LO_GID,
			       false, NULL);
	smc_kunit_del_dev(test, ism);
	KUNIT_EXPECT_TRUE_MSG(test, smc_ism_is_v2_capable(),
			      "loopback still registered");
	smc_kunit_del_dev(test, lo);
	KUNIT_EXPECT_FALSE_MSG(test, smc_ism_is_v2_capable(),
			       "no device left");
	smc_kunit_system_eid_str(str);
	KUNIT_EXPECT_STREQ(test, str, "");
}

static void smc_ism_v2_non_v2_ism_alone(struct kunit *test)
{
	char str[SMC_MAX_EID_LEN + 1];
	struct smcd_dev *ism;

	ism = smc_kunit_add_dev(test, SMC_KUNIT_ISM_CHID, SMC_KUNIT_ISM_GID,
				false, NULL);
	KUNIT_EXPECT_FALSE(test, smc_ism_dev_v2_capable(ism));
	KUNIT_EXPECT_FALSE(test, smc_ism_is_v2_capable());
	smc_kunit_system_eid_str(str);
	KUNIT_EXPECT_STREQ(test, str, "");
}

/* A virtual device is v2 capable without hardware support; a non-v2 ISM
 * device registered first must not keep SMC-Dv2 off (in 6.1 the first
 * device decided) nor keep it on once loopback is gone.
 */
static void smc_ism_v2_loopback_after_non_v2(struct kunit *test)
{
	char want[SMC_MAX_EID_LEN + 1], str[SMC_MAX_EID_LEN + 1];
	struct smcd_dev *lo;

	smc_kunit_add_dev(test, SMC_KUNIT_ISM_CHID, SMC_KUNIT_ISM_GID, false,
			  NULL);
	lo = smc_kunit_add_dev(test, SMCD_LOOPBACK_CHID, SMC_KUNIT_LO_GID,
			       false, NULL);
	KUNIT_EXPECT_TRUE(test, smc_ism_is_virtual(lo));
	KUNIT_EXPECT_TRUE(test, smc_ism_dev_v2_capable(lo));
	KUNIT_EXPECT_TRUE(test, smc_ism_is_v2_capable());
	smc_kunit_resolved_eid_str(want);
	smc_kunit_system_eid_str(str);
	KUNIT_EXPECT_STREQ(test, str, want);

	smc_kunit_del_dev(test, lo);
	KUNIT_EXPECT_FALSE(test, smc_ism_is_v2_capable());
}

/* register ISM and loopback in the given order, return the SEID seen */
static void smc_ism_v2_seid_after(struct kunit *test, bool ism_first,
				  char *str)
{
	struct smcd_dev *ism = NULL, *lo;

	if (ism_first)
		ism = smc_kunit_add_dev(test, SMC_KUNIT_ISM_CHID,
					SMC_KUNIT_ISM_GID, true, NULL);
	lo = smc_kunit_add_dev(test, SMCD_LOOPBACK_CHID, SMC_KUNIT_LO_GID,
			       false, NULL);
	if (!ism_first)
		ism = smc_kunit_add_dev(test, SMC_KUNIT_ISM_CHID,
					SMC_KUNIT_ISM_GID, true, NULL);
	smc_kunit_system_eid_str(str);
	smc_kunit_del_dev(test, lo);
	smc_kunit_del_dev(test, ism);
}

static void smc_ism_v2_seid_order(struct kunit *test)
{
	char ism_first[SMC_MAX_EID_LEN + 1], lo_first[SMC_MAX_EID_LEN + 1];
	char want[SMC_MAX_EID_LEN + 1];

	smc_ism_v2_seid_after(test, true, ism_first);
	smc_ism_v2_seid_after(test, false, lo_first);
	smc_kunit_resolved_eid_str(want);
	KUNIT_EXPECT_STREQ(test, ism_first, want);
	KUNIT_EXPECT_STREQ(test, lo_first, want);
}

/* Clients propose SMC-Dv2 devices in list order: virtual ones first, then
 * ISM devices without PNET-ID, then those with one.
 */
static void smc_ism_v2_list_order(struct kunit *test)
{
	struct smcd_dev *want[3], *smcd;
	unsigned int i = 0;

	want[2] = smc_kunit_add_dev(test, 0x0200, 0x200, true, "KUNITNET");
	want[1] = smc_kunit_add_dev(test, 0x0100, 0x100, true, NULL);
	want[0] = smc_kunit_add_dev(test, SMCD_LOOPBACK_CHID, SMC_KUNIT_LO_GID,
				    false, NULL);

	mutex_lock(&smcd_dev_list.mutex);
	list_for_each_entry(smcd, &smcd_dev_list.list, list) {
		if (i < ARRAY_SIZE(want))
			KUNIT_EXPECT_EQ_MSG(test, smc_ism_get_chid(smcd),
					    smc_ism_get_chid(want[i]),
					    "list position %u", i);
		i++;
	}
	mutex_unlock(&smcd_dev_list.mutex);
	KUNIT_EXPECT_EQ(test, i, ARRAY_SIZE(want));
}

/* A virtual device must not answer to the GID of another device */
static void smc_ism_v2_virtual_gid_in_use(struct kunit *test)
{
	struct smcd_dev *lo;
	int rc;

	smc_kunit_add_dev(test, SMC_KUNIT_ISM_CHID, SMC_KUNIT_ISM_GID, true,
			  NULL);
	lo = smc_kunit_alloc_dev(test, SMCD_LOOPBACK_CHID, SMC_KUNIT_ISM_GID,
				 false, NULL);
	rc = smcd_register_dev(lo);
	KUNIT_EXPECT_EQ(test, rc, -EEXIST);
	if (rc) {
		smcd_free_dev(lo);
	} else {
		smcd_unregister_dev(lo);
		smcd_free_dev(lo);
	}
}

/* A PNET-ID table entry for the name of a virtual device not yet there
 * is applied when the device is allocated (smcd_alloc_dev()), before the
 * device knows it is virtual: registering drops it, as a PNET-ID for the
 * registered device is refused.
 */
static void smc_ism_v2_virtual_drops_table_pnetid(struct kunit *test)
{
	struct smcd_dev *lo;
	int rc;

	lo = smc_kunit_alloc_dev(test, SMCD_LOOPBACK_CHID, SMC_KUNIT_LO_GID,
				 false, "KUNITPNET");
	lo->pnetid_by_user = true;
	rc = smcd_register_dev(lo);
	if (rc)
		smcd_free_dev(lo);
	KUNIT_ASSERT_EQ(test, rc, 0);
	KUNIT_EXPECT_EQ(test, lo->pnetid[0], 0);
	KUNIT_EXPECT_FALSE(test, lo->pnetid_by_user);
	smcd_unregister_dev(lo);
	smcd_free_dev(lo);
}

/* DMB indexes past 16 bits: loopback hands out up to 262144 */
#define SMC_KUNIT_WIDE_IDX	(U16_MAX + 2)

static u64 smc_kunit_wide_dmb[2];

static int smc_kunit_register_dmb_wide(struct smcd_dev *smcd,
				       struct smcd_dmb *dmb)
{
	dmb->sba_idx = SMC_KUNIT_WIDE_IDX;
	dmb->dmb_tok = SMC_KUNIT_WIDE_IDX;
	dmb->cpu_addr = smc_kunit_wide_dmb;
	return 0;
}

static const struct smcd_ops smc_kunit_wide_ops = {
	.query_remote_gid	= smc_kunit_query_rgid,
	.register_dmb		= smc_kunit_register_dmb_wide,
	.unregister_dmb		= smc_kunit_unregister_dmb,
	.move_data		= smc_kunit_move_data,
	.get_chid		= smc_kunit_get_chid,
};

/* The index a device gives a DMB reaches the connection table unchanged,
 * so that a signal finds the connection owning the DMB and no other.
 */
static void smc_ism_dmb_wide_index(struct kunit *test)
{
	struct smc_connection *conn;
	struct smc_link_group *lgr;
	struct smc_buf_desc *desc;
	struct smcd_dev *smcd;

	lgr = kunit_kzalloc(test, sizeof(*lgr), GFP_KERNEL);
	conn = kunit_kzalloc(test, sizeof(*conn), GFP_KERNEL);
	desc = kunit_kzalloc(test, sizeof(*desc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, lgr);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	KUNIT_ASSERT_NOT_NULL(test, desc);
	smcd = smcd_alloc_dev(NULL, "kunit-smcd-wide", &smc_kunit_wide_ops,
			      SMC_KUNIT_WIDE_IDX + 1);
	KUNIT_ASSERT_NOT_NULL(test, smcd);
	lgr->is_smcd = true;
	lgr->smcd = smcd;
	conn->lgr = lgr;
	conn->rmb_desc = desc;

	KUNIT_ASSERT_EQ(test, smc_ism_register_dmb(lgr, SZ_16K, false, false, desc),
			0);
	KUNIT_EXPECT_EQ(test, desc->sba_idx, SMC_KUNIT_WIDE_IDX);
	smc_ism_set_conn(conn);
	KUNIT_EXPECT_PTR_EQ(test, smcd->conn[SMC_KUNIT_WIDE_IDX], conn);
	KUNIT_EXPECT_PTR_EQ(test, smcd->conn[SMC_KUNIT_WIDE_IDX & U16_MAX],
			    NULL);
	smc_ism_unset_conn(conn);
	KUNIT_EXPECT_PTR_EQ(test, smcd->conn[SMC_KUNIT_WIDE_IDX], NULL);
	smcd_free_dev(smcd);
}

static struct kunit_case smc_ism_dmb_cases[] = {
	KUNIT_CASE(smc_ism_dmb_wide_index),
	{}
};

static struct kunit_suite smc_ism_dmb_suite = {
	.name = "smc_ism_dmb",
	.test_cases = smc_ism_dmb_cases,
};

static struct kunit_case smc_ism_v2_cases[] = {
	KUNIT_CASE(smc_ism_v2_none_registered),
	KUNIT_CASE(smc_ism_v2_ism_registered),
	KUNIT_CASE(smc_ism_v2_last_removed),
	KUNIT_CASE(smc_ism_v2_non_v2_ism_alone),
	KUNIT_CASE(smc_ism_v2_loopback_after_non_v2),
	KUNIT_CASE(smc_ism_v2_seid_order),
	KUNIT_CASE(smc_ism_v2_list_order),
	KUNIT_CASE(smc_ism_v2_virtual_gid_in_use),
	KUNIT_CASE(smc_ism_v2_virtual_drops_table_pnetid),
	{}
};

static struct kunit_suite smc_ism_v2_suite = {
	.name = "smc_ism_v2",
	.init = smc_kunit_env_init,
	.exit = smc_kunit_env_exit,
	.test_cases = smc_ism_v2_cases,
};

kunit_test_suites(&smc_seid_suite, &smc_ism_v2_suite, &smc_ism_dmb_suite);
