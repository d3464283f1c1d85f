// SPDX-License-Identifier: GPL-2.0
/*
 * SMC fallback to TCP when no SMC-D device is present.
 *
 * Run with the smc, smc_diag modules loaded and smc_loopback NOT loaded
 * (and no other SMC-D device): every AF_SMC connection must work as plain
 * TCP, with the data intact, and sock_diag must say so and why:
 *
 *  - AF_SMC client, AF_SMC server: the client finds no device and declines
 *    (reason in the 0x0303xxxx "no SMC device" class, e.g. NOSMCDEV
 *    0x03030000); the server sees the decline (PEERDECL 0x05000000 with the
 *    client's code as peer diagnosis).
 *  - AF_SMC client, plain TCP server: the server does not answer the SMC
 *    TCP option, the client falls back with PEERNOSMC 0x03010000.
 *  - plain TCP client, AF_SMC server: the SYN carries no SMC option, the
 *    server falls back with PEERNOSMC 0x03010000 (smc_listen_work()).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/smc_diag.h>

#include "kselftest_harness.h"
#include "smc_lib.h"

#define XFER_BYTES	(8ULL << 20)

/* SMC-D devices other than loopback-ism (s390 ISM), counted by main() */
static int smcd_devs;

FIXTURE(fallback)
{
	int lfd, cfd, sfd;
	__u16 port;
	bool skip;
	char reason[256];
};

FIXTURE_VARIANT(fallback)
{
	int family;
	const char *addr;
	enum smc_sock_kind client;
	enum smc_sock_kind server;
};

FIXTURE_VARIANT_ADD(fallback, smc_to_smc_ipv4)
{
	.family = AF_INET, .addr = "127.0.0.1",
	.client = SMC_KIND_SMC, .server = SMC_KIND_SMC,
};

FIXTURE_VARIANT_ADD(fallback, smc_to_smc_ipv6)
{
	.family = AF_INET6, .addr = "::1",
	.client = SMC_KIND_SMC, .server = SMC_KIND_SMC,
};

FIXTURE_VARIANT_ADD(fallback, smc_to_tcp_ipv4)
{
	.family = AF_INET, .addr = "127.0.0.1",
	.client = SMC_KIND_SMC, .server = SMC_KIND_TCP,
};

FIXTURE_VARIANT_ADD(fallback, smc_to_tcp_ipv6)
{
	.family = AF_INET6, .addr = "::1",
	.client = SMC_KIND_SMC, .server = SMC_KIND_TCP,
};

FIXTURE_VARIANT_ADD(fallback, tcp_to_smc_ipv4)
{
	.family = AF_INET, .addr = "127.0.0.1",
	.client = SMC_KIND_TCP, .server = SMC_KIND_SMC,
};

FIXTURE_VARIANT_ADD(fallback, tcp_to_smc_ipv6)
{
	.family = AF_INET6, .addr = "::1",
	.client = SMC_KIND_TCP, .server = SMC_KIND_SMC,
};

FIXTURE_SETUP(fallback)
{
	self->lfd = -1;
	self->cfd = -1;
	self->sfd = -1;

	if (smcd_devs && variant->client == SMC_KIND_SMC &&
	    variant->server == SMC_KIND_SMC) {
		self->skip = true;
		snprintf(self->reason, sizeof(self->reason),
			 "%d SMC-D device(s) present, SMC-D may be used",
			 smcd_devs);
		return;
	}
	self->lfd = smc_lib_listen(variant->server, variant->family,
				   variant->addr, 0, &self->port);
	if (self->lfd == -EADDRNOTAVAIL || self->lfd == -EAFNOSUPPORT) {
		self->skip = true;
		snprintf(self->reason, sizeof(self->reason),
			 "%s not usable: %.200s", variant->addr,
			 smc_lib_err);
		return;
	}
	ASSERT_LE(0, self->lfd) TH_LOG("listen: %s", smc_lib_err);

	self->cfd = smc_lib_connect(variant->client, variant->family,
				    variant->addr, self->port);
	ASSERT_LE(0, self->cfd) TH_LOG("connect: %s", smc_lib_err);

	self->sfd = smc_lib_accept(self->lfd, 10000);
	ASSERT_LE(0, self->sfd) TH_LOG("accept: %s", smc_lib_err);
}

FIXTURE_TEARDOWN(fallback)
{
	if (self->sfd >= 0)
		close(self->sfd);
	if (self->cfd >= 0)
		close(self->cfd);
	if (self->lfd >= 0)
		close(self->lfd);
}

/* diag of one AF_SMC end; asserts that it is listed and in fallback mode */
static void check_fallback_end(struct __test_metadata *_metadata,
			       const char *who, int fd, int lport, int rport,
			       struct smc_diag_info *di)
{
	char line[256];
	int rc;

	rc = smc_diag_query_fd(fd, di);
	ASSERT_EQ(1, rc) TH_LOG("%s: %s", who, smc_lib_err);
	smc_diag_format(di, line, sizeof(line));
	TH_LOG("%s: %s", who, line);

	EXPECT_EQ(SMC_DIAG_MODE_FALLBACK_TCP, di->mode)
		TH_LOG("%s: mode %s, expected FALLBACK_TCP", who,
		       smc_mode_str(di->mode));
	ASSERT_TRUE(di->has_fallback)
		TH_LOG("%s: no SMC_DIAG_FALLBACK attribute", who);
	EXPECT_NE(0, di->fallback_rsn)
		TH_LOG("%s: fallback without a reason code", who);
	/* make sure the entry is the socket we think it is */
	EXPECT_EQ(lport, di->sport);
	EXPECT_EQ(rport, di->dport);
	/* a fallback connection has no SMC-D state */
	EXPECT_FALSE(di->has_dmb);
}

TEST_F(fallback, mode_and_reason)
{
	struct smc_diag_info c, s;
	int cport, sport;

	if (self->skip)
		SKIP(return, "%s", self->reason);

	cport = smc_lib_local_port(self->cfd);
	sport = self->port;
	ASSERT_LT(0, cport);

	if (variant->client == SMC_KIND_SMC)
		check_fallback_end(_metadata, "client", self->cfd, cport, sport,
				   &c);
	if (variant->server == SMC_KIND_SMC)
		check_fallback_end(_metadata, "server", self->sfd, sport, cport,
				   &s);

	if (variant->client == SMC_KIND_SMC &&
	    variant->server == SMC_KIND_SMC) {
		/* client: no SMC device to propose */
		EXPECT_EQ(SMC_CLC_DECL_NOSMCDEV,
			  SMC_CLC_DECL_CLASS(c.fallback_rsn))
			TH_LOG("client reason 0x%08x, expected 0x0303xxxx (no SMC device)",
			       c.fallback_rsn);
		/* server: got the client's decline, or found nothing itself */
		if (s.fallback_rsn == SMC_CLC_DECL_PEERDECL) {
			EXPECT_EQ(SMC_CLC_DECL_NOSMCDEV,
				  SMC_CLC_DECL_CLASS(s.peer_diagnosis))
				TH_LOG("server peer diagnosis 0x%08x, expected 0x0303xxxx",
				       s.peer_diagnosis);
		} else {
			EXPECT_EQ(SMC_CLC_DECL_NOSMCDEV,
				  SMC_CLC_DECL_CLASS(s.fallback_rsn))
				TH_LOG("server reason 0x%08x, expected PEERDECL or 0x0303xxxx",
				       s.fallback_rsn);
		}
	} else if (variant->client == SMC_KIND_SMC) {
		EXPECT_EQ(SMC_CLC_DECL_PEERNOSMC, c.fallback_rsn)
			TH_LOG("client reason 0x%08x, expected PEERNOSMC",
			       c.fallback_rsn);
		EXPECT_EQ(0, c.peer_diagnosis);
	} else {
		EXPECT_EQ(SMC_CLC_DECL_PEERNOSMC, s.fallback_rsn)
			TH_LOG("server reason 0x%08x, expected PEERNOSMC",
			       s.fallback_rsn);
		EXPECT_EQ(0, s.peer_diagnosis);
	}
}

TEST_F_TIMEOUT(fallback, data_both_directions, 300)
{
	struct smc_stream st[4];
	struct smc_diag_info di;
	__u64 seed = smc_seed_from_env(0x534d4346);
	int rc;

	if (self->skip)
		SKIP(return, "%s", self->reason);

	rc = smc_exchange(self->cfd, self->sfd, XFER_BYTES, XFER_BYTES, seed,
			  0, st);
	ASSERT_EQ(0, rc) TH_LOG("seed 0x%llx: %s", (unsigned long long)seed,
				smc_exchange_error(st));
	EXPECT_EQ(XFER_BYTES, st[1].done);
	EXPECT_EQ(XFER_BYTES, st[3].done);

	/* still a TCP connection after the transfer */
	if (variant->client == SMC_KIND_SMC) {
		ASSERT_EQ(1, smc_diag_query_fd(self->cfd, &di));
		EXPECT_EQ(SMC_DIAG_MODE_FALLBACK_TCP, di.mode);
	}
	if (variant->server == SMC_KIND_SMC) {
		ASSERT_EQ(1, smc_diag_query_fd(self->sfd, &di));
		EXPECT_EQ(SMC_DIAG_MODE_FALLBACK_TCP, di.mode);
	}
}

/* without any SMC-D device the system is not SMC-Dv2 capable */
TEST(no_smcd_device_no_v2)
{
	struct smcd_dev_info devs[SMC_MAX_DEVS];
	struct smc_sys_info sys;
	int n;

	n = smc_nl_get_dev_smcd(devs, SMC_MAX_DEVS);
	ASSERT_LE(0, n) TH_LOG("%s", smc_lib_err);
	if (n > 0)
		SKIP(return, "%d other SMC-D device(s) present", n);
	ASSERT_EQ(0, smc_nl_get_sys_info(&sys)) TH_LOG("%s", smc_lib_err);
	ASSERT_TRUE(sys.has_ism_v2);
	EXPECT_EQ(0, sys.is_ism_v2)
		TH_LOG("SMC-Dv2 capable with no SMC-D device registered");
}

int main(int argc, char **argv)
{
	struct smcd_dev_info devs[SMC_MAX_DEVS];
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
	smcd_devs = smc_nl_get_dev_smcd(devs, SMC_MAX_DEVS);
	if (n > 0) {
		ksft_print_header();
		ksft_exit_skip("the %s device is present; these tests need it absent (rmmod %s)\n",
			       SMC_LO_DEV_NAME, SMC_LO_MODULE);
	}
	return test_harness_run(argc, argv);
}
