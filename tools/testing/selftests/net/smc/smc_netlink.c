// SPDX-License-Identifier: GPL-2.0
/*
 * The loopback-ism device as seen through the SMC generic netlink
 * interfaces that smc-tools use (smcd device, smcd info, smcd seid,
 * smcd stats, smc_pnet).
 *
 * Run with the smc, smc_diag and smc_loopback modules loaded, as root
 * (the PNET-ID test needs CAP_NET_ADMIN).
 */
#define _GNU_SOURCE

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include <linux/smc_diag.h>

#include "kselftest_harness.h"
#include "smc_lib.h"

/* the SEID of s390 machines, and the fixed default everywhere else */
static const char *seid_prefix(void)
{
	struct utsname u;

	if (!uname(&u) && !strncmp(u.machine, "s390", 4))
		return "IBM-SYSZ-ISMSEID";
	return "IBM-DEF-ISMSEID";
}

/* a PNET-ID name no real configuration uses */
#define TEST_PNETID	"SMCLOSELFTEST"

static bool pnetid_empty(const char *s)
{
	for (; *s; s++)
		if (*s != ' ')
			return false;
	return true;
}

/* one open AF_SMC connection over 127.0.0.1, asserted to be SMC-D */
struct smcd_conn {
	int lfd, cfd, sfd;
	struct smc_diag_info c, s;
};

static void smcd_conn_open(struct __test_metadata *_metadata,
			   struct smcd_conn *conn)
{
	__u16 port;

	conn->lfd = smc_lib_listen(SMC_KIND_SMC, AF_INET, "127.0.0.1", 0,
				   &port);
	ASSERT_LE(0, conn->lfd) TH_LOG("%s", smc_lib_err);
	conn->cfd = smc_lib_connect(SMC_KIND_SMC, AF_INET, "127.0.0.1", port);
	ASSERT_LE(0, conn->cfd) TH_LOG("%s", smc_lib_err);
	conn->sfd = smc_lib_accept(conn->lfd, 10000);
	ASSERT_LE(0, conn->sfd) TH_LOG("%s", smc_lib_err);
	ASSERT_EQ(1, smc_diag_query_fd(conn->cfd, &conn->c))
		TH_LOG("%s", smc_lib_err);
	ASSERT_EQ(1, smc_diag_query_fd(conn->sfd, &conn->s))
		TH_LOG("%s", smc_lib_err);
	ASSERT_EQ(SMC_DIAG_MODE_SMCD, conn->c.mode)
		TH_LOG("client mode %s, fallback 0x%08x peer 0x%08x",
		       smc_mode_str(conn->c.mode), conn->c.fallback_rsn,
		       conn->c.peer_diagnosis);
	ASSERT_EQ(SMC_DIAG_MODE_SMCD, conn->s.mode)
		TH_LOG("server mode %s, fallback 0x%08x peer 0x%08x",
		       smc_mode_str(conn->s.mode), conn->s.fallback_rsn,
		       conn->s.peer_diagnosis);
	ASSERT_TRUE(conn->c.has_dmb);
}

static void smcd_conn_close(struct smcd_conn *conn)
{
	close(conn->sfd);
	close(conn->cfd);
	close(conn->lfd);
}

/* exactly one loopback device, every attribute smc-tools reads present */
TEST(device_attributes)
{
	struct smcd_dev_info devs[SMC_MAX_DEVS], *d = NULL;
	int i, n, nlo = 0;

	n = smc_nl_get_dev_smcd(devs, SMC_MAX_DEVS);
	ASSERT_LE(0, n) TH_LOG("SMC_NETLINK_GET_DEV_SMCD: %s", smc_lib_err);
	for (i = 0; i < n; i++) {
		TH_LOG("dev %d: pci_id '%s' chid 0x%x fid %u vendor 0x%x device 0x%x",
		       i, devs[i].pci_id, devs[i].pci_chid, devs[i].pci_fid,
		       devs[i].pci_vendor, devs[i].pci_device);
		TH_LOG("dev %d: use_cnt %u is_crit %u pnet_usr %u pnetid '%s'",
		       i, devs[i].use_cnt, devs[i].is_crit, devs[i].pnet_usr,
		       devs[i].pnetid);
		if (!strcmp(devs[i].pci_id, SMC_LO_DEV_NAME)) {
			nlo++;
			if (!d)
				d = &devs[i];
		}
	}
	ASSERT_EQ(1, nlo) TH_LOG("%d SMC-D devices named %s listed", nlo,
				 SMC_LO_DEV_NAME);

	EXPECT_TRUE(d->has_use_cnt);
	EXPECT_TRUE(d->has_is_crit);
	EXPECT_TRUE(d->has_fid);
	EXPECT_TRUE(d->has_chid);
	EXPECT_TRUE(d->has_vendor);
	EXPECT_TRUE(d->has_device);
	EXPECT_TRUE(d->has_pci_id);
	ASSERT_TRUE(d->has_port) TH_LOG("no SMC_NLA_DEV_PORT nest");
	EXPECT_TRUE(d->has_pnet_usr);
	EXPECT_TRUE(d->has_pnetid);

	EXPECT_EQ(0, d->pci_fid);
	EXPECT_EQ(SMC_LO_CHID, d->pci_chid);
	EXPECT_EQ(0, d->pci_vendor);
	EXPECT_EQ(0, d->pci_device);
	EXPECT_EQ(d->use_cnt > 0, d->is_crit);
}

/* USE_CNT counts link groups, IS_CRIT says the device is in use */
TEST(device_in_use)
{
	struct smcd_lgr_info lgrs[64];
	char ueids[8][64];
	struct smc_seid_info seid;
	struct smcd_conn conn;
	struct smcd_dev_info d;
	int i, n, nueid, found = 0;

	smcd_conn_open(_metadata, &conn);

	ASSERT_EQ(1, smc_lo_find(&d)) TH_LOG("%s", smc_lib_err);
	TH_LOG("with a connection open: use_cnt %u is_crit %u", d.use_cnt,
	       d.is_crit);
	EXPECT_LE(1, d.use_cnt);
	EXPECT_EQ(1, d.is_crit);

	/* the link group of this connection, as smcd linkgroup shows it */
	ASSERT_EQ(0, smc_nl_dump_seid(&seid)) TH_LOG("%s", smc_lib_err);
	nueid = smc_nl_dump_ueid(ueids, 8);
	ASSERT_LE(0, nueid) TH_LOG("%s", smc_lib_err);
	n = smc_nl_get_lgr_smcd(lgrs, 64);
	ASSERT_LE(0, n) TH_LOG("%s", smc_lib_err);
	for (i = 0; i < n; i++) {
		struct smcd_lgr_info *l = &lgrs[i];

		if (!l->has_gid || l->gid != conn.c.my_gid)
			continue;
		TH_LOG("lgr %08x: gid 0x%016llx peer 0x%016llx chid 0x%x conns %u",
		       l->id, (unsigned long long)l->gid,
		       (unsigned long long)l->peer_gid, l->chid, l->conns_num);
		TH_LOG("lgr %08x: v2 %d ver %u neg_eid '%s'", l->id, l->has_v2,
		       l->v2_ver, l->neg_eid);
		found++;
		EXPECT_EQ(SMC_LO_CHID, l->chid);
		EXPECT_EQ(l->gid, l->peer_gid);
		EXPECT_TRUE(l->has_conns);
		/* loopback is only offered as an SMC-Dv2 device */
		ASSERT_TRUE(l->has_v2) TH_LOG("loopback link group is not SMC-Dv2");
		EXPECT_LE(2, l->v2_ver);
		EXPECT_EQ(SMC_EID_LEN, strlen(l->neg_eid));
		/* with no user EIDs the system EID is the only possible match */
		if (!nueid && seid.has_seid)
			EXPECT_STREQ(seid.seid, l->neg_eid);
	}
	EXPECT_LT(0, found) TH_LOG("no link group with GID 0x%016llx",
				   (unsigned long long)conn.c.my_gid);
	smcd_conn_close(&conn);
}

static void check_seid(struct __test_metadata *_metadata, const char *seid)
{
	size_t i, len = strlen(seid);

	EXPECT_EQ(SMC_EID_LEN, len) TH_LOG("SEID '%s' has %zu characters",
					   seid, len);
	EXPECT_EQ(0, strncmp(seid, seid_prefix(), strlen(seid_prefix())))
		TH_LOG("SEID '%s' does not start with %s", seid, seid_prefix());
	for (i = 0; i < len; i++)
		EXPECT_TRUE(isprint((unsigned char)seid[i]))
			TH_LOG("SEID character %zu is 0x%02x", i,
			       (unsigned char)seid[i]);
}

TEST(seid)
{
	struct smc_seid_info seid;

	ASSERT_EQ(0, smc_nl_dump_seid(&seid)) TH_LOG("%s", smc_lib_err);
	ASSERT_TRUE(seid.has_seid) TH_LOG("SMC_NETLINK_DUMP_SEID: no SEID");
	TH_LOG("SEID '%s' enabled %u", seid.seid, seid.enabled);
	check_seid(_metadata, seid.seid);
	ASSERT_TRUE(seid.has_enabled);
	EXPECT_GE(1, seid.enabled);
}

TEST(sys_info)
{
	struct smc_seid_info seid;
	struct smc_sys_info sys;

	ASSERT_EQ(0, smc_nl_get_sys_info(&sys)) TH_LOG("%s", smc_lib_err);
	ASSERT_EQ(0, smc_nl_dump_seid(&seid)) TH_LOG("%s", smc_lib_err);
	TH_LOG("ver %u rel %u ism_v2 %u seid '%s' host '%s'", sys.ver,
	       sys.rel, sys.is_ism_v2, sys.seid, sys.host);
	ASSERT_TRUE(sys.has_ism_v2);
	EXPECT_EQ(1, sys.is_ism_v2) TH_LOG("not SMC-Dv2 capable");
	EXPECT_TRUE(sys.has_ver);
	EXPECT_LE(2, sys.ver);
	ASSERT_TRUE(sys.has_seid) TH_LOG("SMC_NETLINK_GET_SYS_INFO: no SEID");
	check_seid(_metadata, sys.seid);
	EXPECT_STREQ(seid.seid, sys.seid);
}

/* SMC-D statistics count loopback connections and bytes */
TEST(stats)
{
	struct smcd_stats before, after;
	struct smc_stream st[4];
	struct smcd_conn conn;

	ASSERT_EQ(0, smc_nl_get_stats(&before)) TH_LOG("%s", smc_lib_err);
	ASSERT_TRUE(before.has_smcd);
	smcd_conn_open(_metadata, &conn);
	ASSERT_EQ(0, smc_exchange(conn.cfd, conn.sfd, 1 << 20, 1 << 20, 3, 0,
				  st)) TH_LOG("%s", smc_exchange_error(st));
	ASSERT_EQ(0, smc_nl_get_stats(&after)) TH_LOG("%s", smc_lib_err);
	smcd_conn_close(&conn);

	TH_LOG("clnt_v2_succ %llu -> %llu, srv_v2_succ %llu -> %llu",
	       (unsigned long long)before.clnt_v2_succ,
	       (unsigned long long)after.clnt_v2_succ,
	       (unsigned long long)before.srv_v2_succ,
	       (unsigned long long)after.srv_v2_succ);
	TH_LOG("tx_bytes %llu -> %llu, rx_bytes %llu -> %llu",
	       (unsigned long long)before.tx_bytes,
	       (unsigned long long)after.tx_bytes,
	       (unsigned long long)before.rx_bytes,
	       (unsigned long long)after.rx_bytes);
	EXPECT_LE(before.clnt_v2_succ + 1, after.clnt_v2_succ);
	EXPECT_LE(before.srv_v2_succ + 1, after.srv_v2_succ);
	EXPECT_LE(before.tx_bytes + (2 << 20), after.tx_bytes);
	EXPECT_LE(before.rx_bytes + (2 << 20), after.rx_bytes);
}

/* a PNET-ID cannot be set on loopback, and a refused try leaves no trace */
TEST(pnetid_refused)
{
	struct smcd_dev_info d;
	int rc;

	ASSERT_EQ(1, smc_lo_find(&d)) TH_LOG("%s", smc_lib_err);
	ASSERT_TRUE(d.has_pnetid);
	ASSERT_TRUE(pnetid_empty(d.pnetid))
		TH_LOG("loopback already has PNET-ID '%s'", d.pnetid);
	EXPECT_EQ(0, d.pnet_usr);

	/* a leftover of an earlier run would hide the result */
	smc_pnetid_del(TEST_PNETID);

	rc = smc_pnetid_add(TEST_PNETID, SMC_LO_DEV_NAME, 1);
	if (rc == -EPERM)
		SKIP(return, "SMC_PNETID_ADD needs CAP_NET_ADMIN");
	TH_LOG("SMC_PNETID_ADD %s ibname %s port 1: %d (%s)", TEST_PNETID,
	       SMC_LO_DEV_NAME, rc, rc ? strerror(-rc) : "accepted");
	EXPECT_NE(0, rc) TH_LOG("PNET-ID accepted for %s", SMC_LO_DEV_NAME);

	ASSERT_EQ(1, smc_lo_find(&d)) TH_LOG("%s", smc_lib_err);
	EXPECT_TRUE(pnetid_empty(d.pnetid))
		TH_LOG("loopback PNET-ID is now '%s'", d.pnetid);
	EXPECT_EQ(0, d.pnet_usr);
	EXPECT_EQ(0, smc_pnetid_count(TEST_PNETID))
		TH_LOG("pnet table has an entry %s after the refusal",
		       TEST_PNETID);

	/* without the port attribute: same answer */
	rc = smc_pnetid_add(TEST_PNETID, SMC_LO_DEV_NAME, 0);
	EXPECT_NE(0, rc) TH_LOG("PNET-ID accepted for %s (no port)",
				SMC_LO_DEV_NAME);
	ASSERT_EQ(1, smc_lo_find(&d)) TH_LOG("%s", smc_lib_err);
	EXPECT_TRUE(pnetid_empty(d.pnetid));

	smc_pnetid_del(TEST_PNETID);
}

int main(int argc, char **argv)
{
	int err = 0, n;

	signal(SIGPIPE, SIG_IGN);
	if (!smc_lib_af_smc_supported(AF_INET, &err)) {
		ksft_print_header();
		ksft_exit_skip("AF_SMC sockets not supported (%s): load the smc module\n",
			       strerror(err));
	}
	if (smc_diag_check()) {
		ksft_print_header();
		ksft_exit_skip("%s\n", smc_lib_err);
	}
	n = smc_lo_find(NULL);
	if (n < 0) {
		ksft_print_header();
		ksft_exit_skip("cannot list SMC-D devices: %s\n", smc_lib_err);
	}
	if (n == 0 && !smc_lo_module_present()) {
		ksft_print_header();
		ksft_exit_skip("no %s device: modprobe %s\n", SMC_LO_DEV_NAME,
			       SMC_LO_MODULE);
	}
	return test_harness_run(argc, argv);
}
