/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the KUnit suites of the SMC core (CONFIG_SMC_KUNIT_TEST):
 * fake SMC-D devices and a device list of their own. They live in
 * smc_ism_test.c.
 */

#ifndef _SMC_KUNIT_H
#define _SMC_KUNIT_H

#include <kunit/test.h>
#include <net/smc.h>

#define SMC_KUNIT_MAX_DEVS	16

/* test->priv of a suite that uses smc_kunit_env_init() */
struct smc_kunit_env {
	struct smcd_dev *smcd[SMC_KUNIT_MAX_DEVS];	/* registered fakes */
	void *priv;					/* of the suite */
};

/* Set the registered SMC-D devices aside, so that a case sees only its own
 * fake devices, and give them back when the case is done.
 */
int smc_kunit_env_init(struct kunit *test);
void smc_kunit_env_exit(struct kunit *test);

/* Register a fake SMC-D device. A chid of SMCD_VIRT_CHID_MIN or above makes
 * it a virtual device like loopback; pnetid may be NULL.
 */
struct smcd_dev *smc_kunit_add_dev(struct kunit *test, u16 chid, u64 gid,
				   bool supports_v2, const char *pnetid);
void smc_kunit_del_dev(struct kunit *test, struct smcd_dev *smcd);

#endif
