// SPDX-License-Identifier: GPL-2.0
/* KUnit tests of the SMC-Dv1 device lookup: a client offers as SMC-Dv1
 * device the ISM device whose PNET-ID its net device has. SMC-Dv1 carries
 * one GID and no CHID, so a virtual device (loopback) must never be it.
 *
 * Included at the end of smc_pnet.c: the tests see its static functions.
 */

#include <kunit/test.h>

#include "smc_kunit.h"

#define SMC_PNET_TEST_ETH	"lo"
#define SMC_PNET_TEST_ID	"KUNITPNET"

struct smc_pnet_test {
	char pnet_name[SMC_MAX_PNETID_LEN + 1];
	struct smc_init_info *ini;
};

static struct smc_pnet_test *smc_pnet_test(struct kunit *test)
{
	struct smc_kunit_env *env = test->priv;

	return env ? env->priv : NULL;
}

/* give loopback the PNET-ID behind the back of smc_pnet_apply_smcd(), so
 * that only the lookup's own check can keep it out of SMC-Dv1
 */
static void smc_pnet_test_force_pnetid(struct smcd_dev *smcd,
				       const char *pnet_name)
{
	mutex_lock(&smcd_dev_list.mutex);
	memcpy(smcd->pnetid, pnet_name, SMC_MAX_PNETID_LEN);
	mutex_unlock(&smcd_dev_list.mutex);
}

/* The pnet table of init_net maps "lo" to SMC_PNET_TEST_ID */
static int smc_pnet_test_init(struct kunit *test)
{
	char eth_name[IFNAMSIZ] = SMC_PNET_TEST_ETH;
	struct smc_pnet_test *t;
	struct smc_net *sn;
	int rc;

	rc = smc_kunit_env_init(test);
	if (rc)
		return rc;
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->ini = kunit_kzalloc(test, sizeof(*t->ini), GFP_KERNEL);
	if (!t->ini)
		return -ENOMEM;
	strscpy(t->pnet_name, SMC_PNET_TEST_ID, sizeof(t->pnet_name));

	sn = net_generic(&init_net, smc_net_id);
	rc = smc_pnet_add_eth(&sn->pnettable, &init_net, eth_name,
			      t->pnet_name);
	if (rc)
		return rc;
	((struct smc_kunit_env *)test->priv)->priv = t;
	return 0;
}

static void smc_pnet_test_exit(struct kunit *test)
{
	struct smc_pnet_test *t = smc_pnet_test(test);

	if (t)
		smc_pnet_remove_by_pnetid(&init_net, t->pnet_name);
	smc_kunit_env_exit(test);
}

/* loopback comes first in the device list, the ISM device is picked */
static void smc_pnet_v1_ism_not_loopback(struct kunit *test)
{
	struct smc_pnet_test *t = smc_pnet_test(test);
	struct smcd_dev *ism, *lo;

	ism = smc_kunit_add_dev(test, 0x0123, 0x1111, true, t->pnet_name);
	lo = smc_kunit_add_dev(test, SMCD_LOOPBACK_CHID, 0x2222, false, NULL);
	smc_pnet_test_force_pnetid(lo, t->pnet_name);

	smc_pnet_find_ism_by_pnetid(init_net.loopback_dev, t->ini);
	KUNIT_EXPECT_PTR_EQ(test, t->ini->ism_dev[0], ism);
}

static void smc_pnet_v1_loopback_alone(struct kunit *test)
{
	struct smc_pnet_test *t = smc_pnet_test(test);
	struct smcd_dev *lo;

	lo = smc_kunit_add_dev(test, SMCD_LOOPBACK_CHID, 0x2222, false, NULL);
	smc_pnet_test_force_pnetid(lo, t->pnet_name);

	smc_pnet_find_ism_by_pnetid(init_net.loopback_dev, t->ini);
	KUNIT_EXPECT_PTR_EQ(test, t->ini->ism_dev[0], NULL);
}

/* A PNET-ID for loopback (smc_pnet add by device name) is refused */
static void smc_pnet_loopback_refuses_pnetid(struct kunit *test)
{
	struct smc_pnet_test *t = smc_pnet_test(test);
	char name[IB_DEVICE_NAME_MAX];
	struct smcd_dev *lo;
	struct smc_net *sn;

	lo = smc_kunit_add_dev(test, SMCD_LOOPBACK_CHID, 0x2222, false, NULL);
	strscpy(name, dev_name(&lo->dev), sizeof(name));
	sn = net_generic(&init_net, smc_net_id);

	KUNIT_EXPECT_EQ(test, smc_pnet_add_ib(&sn->pnettable, name, 1,
					      t->pnet_name, NULL),
			-EOPNOTSUPP);
	KUNIT_EXPECT_FALSE(test, smc_pnet_apply_smcd(lo, t->pnet_name));
	KUNIT_EXPECT_EQ(test, lo->pnetid[0], 0);
	KUNIT_EXPECT_FALSE(test, lo->pnetid_by_user);
}

static struct kunit_case smc_pnet_cases[] = {
	KUNIT_CASE(smc_pnet_v1_ism_not_loopback),
	KUNIT_CASE(smc_pnet_v1_loopback_alone),
	KUNIT_CASE(smc_pnet_loopback_refuses_pnetid),
	{}
};

static struct kunit_suite smc_pnet_suite = {
	.name = "smc_pnet_ism_v1",
	.init = smc_pnet_test_init,
	.exit = smc_pnet_test_exit,
	.test_cases = smc_pnet_cases,
};

kunit_test_suite(smc_pnet_suite);
