// SPDX-License-Identifier: GPL-2.0
/*
 * SMC-D over the loopback-ism device.
 *
 * Run with the smc, smc_diag and smc_loopback modules loaded. AF_SMC
 * connections over 127.0.0.1 and ::1 must use SMC-D (checked through
 * sock_diag on both ends, not just inferred from working data), talk to
 * themselves (peer GID == local GID == the GID of the loopback link group
 * with CHID 0xFFFF), and move data without losing, duplicating or
 * reordering a byte: random write sizes from 1 byte to 4 MiB, partial
 * reads, both directions at once, blocking and poll() driven.
 * Connections to plain TCP peers still fall back to TCP.
 *
 * SMC_TEST_SEED=<n> replays a run, SMC_TEST_BULK_MIB=<n> changes the
 * volume of the bulk test (MiB per direction, default 128).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/smc_diag.h>

#include "kselftest_harness.h"
#include "smc_lib.h"

#define MIB		(1024ULL * 1024)

static __u64 bulk_bytes(void)
{
	const char *s = getenv("SMC_TEST_BULK_MIB");
	__u64 mib = 128;

	if (s && *s && strtoull(s, NULL, 0) > 0)
		mib = strtoull(s, NULL, 0);
	return mib * MIB;
}

/* diag of both ends of a loopback connection; asserts SMC-D to itself */
static void check_smcd_pair(struct __test_metadata *_metadata, int cfd,
			    int sfd, struct smc_diag_info *c,
			    struct smc_diag_info *s)
{
	char line[256];

	ASSERT_EQ(1, smc_diag_query_fd(cfd, c)) TH_LOG("client: %s",
						       smc_lib_err);
	ASSERT_EQ(1, smc_diag_query_fd(sfd, s)) TH_LOG("server: %s",
						       smc_lib_err);
	smc_diag_format(c, line, sizeof(line));
	TH_LOG("client: %s", line);
	smc_diag_format(s, line, sizeof(line));
	TH_LOG("server: %s", line);

	ASSERT_EQ(SMC_DIAG_MODE_SMCD, c->mode)
		TH_LOG("client mode %s (fallback 0x%08x, peer 0x%08x), expected SMCD",
		       smc_mode_str(c->mode), c->fallback_rsn,
		       c->peer_diagnosis);
	ASSERT_EQ(SMC_DIAG_MODE_SMCD, s->mode)
		TH_LOG("server mode %s (fallback 0x%08x, peer 0x%08x), expected SMCD",
		       smc_mode_str(s->mode), s->fallback_rsn,
		       s->peer_diagnosis);
	EXPECT_EQ(0, c->fallback_rsn);
	EXPECT_EQ(0, s->fallback_rsn);

	ASSERT_TRUE(c->has_dmb) TH_LOG("client: no SMC_DIAG_DMBINFO");
	ASSERT_TRUE(s->has_dmb) TH_LOG("server: no SMC_DIAG_DMBINFO");
	/* loopback talks to itself: one GID on both ends, both directions */
	EXPECT_NE(0, c->my_gid);
	EXPECT_EQ(c->my_gid, c->peer_gid);
	EXPECT_EQ(s->my_gid, s->peer_gid);
	EXPECT_EQ(c->my_gid, s->my_gid);
	/* each end writes into the DMB the other end registered */
	EXPECT_NE(0, c->token);
	EXPECT_NE(0, s->token);
	EXPECT_NE(c->token, s->token);
	EXPECT_EQ(c->token, s->peer_token);
	EXPECT_EQ(s->token, c->peer_token);
}

static void setup_pair(struct __test_metadata *_metadata, int family,
		       const char *addr, int *lfd, int *cfd, int *sfd,
		       bool *skip, char *reason, size_t rlen)
{
	__u16 port;

	*lfd = smc_lib_listen(SMC_KIND_SMC, family, addr, 0, &port);
	if (*lfd == -EADDRNOTAVAIL || *lfd == -EAFNOSUPPORT) {
		*skip = true;
		snprintf(reason, rlen, "%s not usable: %.200s", addr,
			 smc_lib_err);
		return;
	}
	ASSERT_LE(0, *lfd) TH_LOG("listen: %s", smc_lib_err);
	*cfd = smc_lib_connect(SMC_KIND_SMC, family, addr, port);
	ASSERT_LE(0, *cfd) TH_LOG("connect: %s", smc_lib_err);
	*sfd = smc_lib_accept(*lfd, 10000);
	ASSERT_LE(0, *sfd) TH_LOG("accept: %s", smc_lib_err);
}

static void close_fds(int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

FIXTURE(smcd)
{
	int lfd, cfd, sfd;
	bool skip;
	char reason[256];
};

FIXTURE_VARIANT(smcd)
{
	int family;
	const char *addr;
};

FIXTURE_VARIANT_ADD(smcd, ipv4)
{
	.family = AF_INET, .addr = "127.0.0.1",
};

FIXTURE_VARIANT_ADD(smcd, ipv6)
{
	.family = AF_INET6, .addr = "::1",
};

FIXTURE_SETUP(smcd)
{
	self->lfd = -1;
	self->cfd = -1;
	self->sfd = -1;
	setup_pair(_metadata, variant->family, variant->addr, &self->lfd,
		   &self->cfd, &self->sfd, &self->skip, self->reason,
		   sizeof(self->reason));
}

FIXTURE_TEARDOWN(smcd)
{
	int fds[] = { self->sfd, self->cfd, self->lfd };

	close_fds(fds, 3);
}

TEST_F(smcd, mode_gid_token)
{
	struct smc_diag_info c, s;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	check_smcd_pair(_metadata, self->cfd, self->sfd, &c, &s);
}

/* the GID seen by sock_diag is the one of the loopback link group */
TEST_F(smcd, gid_matches_device)
{
	struct smcd_lgr_info lgrs[64];
	struct smcd_dev_info dev;
	struct smc_diag_info c, s;
	int i, n, found = 0;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	check_smcd_pair(_metadata, self->cfd, self->sfd, &c, &s);

	ASSERT_EQ(1, smc_lo_find(&dev)) TH_LOG("%s", smc_lib_err);
	EXPECT_EQ(SMC_LO_CHID, dev.pci_chid);

	n = smc_nl_get_lgr_smcd(lgrs, 64);
	ASSERT_LE(0, n) TH_LOG("SMC_NETLINK_GET_LGR_SMCD: %s", smc_lib_err);
	for (i = 0; i < n; i++) {
		if (lgrs[i].gid != c.my_gid)
			continue;
		TH_LOG("lgr %08x: gid 0x%016llx peer_gid 0x%016llx chid 0x%x conns %u",
		       lgrs[i].id, (unsigned long long)lgrs[i].gid,
		       (unsigned long long)lgrs[i].peer_gid, lgrs[i].chid,
		       lgrs[i].conns_num);
		found++;
		EXPECT_TRUE(lgrs[i].has_chid);
		EXPECT_EQ(SMC_LO_CHID, lgrs[i].chid);
		EXPECT_EQ(c.my_gid, lgrs[i].peer_gid);
	}
	EXPECT_LT(0, found)
		TH_LOG("no SMC-D link group with GID 0x%016llx listed",
		       (unsigned long long)c.my_gid);
}

/* many small request/response round trips (the latency path) */
TEST_F(smcd, pingpong)
{
	struct smc_diag_info c, s;
	char req[14], rsp[14], buf[14];
	int i;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	check_smcd_pair(_metadata, self->cfd, self->sfd, &c, &s);

	for (i = 0; i < 500; i++) {
		ssize_t n;
		size_t got;

		smc_pattern_fill(1, i * sizeof(req), req, sizeof(req));
		smc_pattern_fill(2, i * sizeof(rsp), rsp, sizeof(rsp));

		ASSERT_EQ(sizeof(req), send(self->cfd, req, sizeof(req), 0));
		for (got = 0; got < sizeof(buf); got += n) {
			n = recv(self->sfd, buf + got, sizeof(buf) - got, 0);
			ASSERT_LT(0, n) TH_LOG("round %d: server recv %zd: %s",
					       i, n, strerror(errno));
		}
		ASSERT_EQ(0, memcmp(buf, req, sizeof(req)))
			TH_LOG("round %d: request corrupted", i);

		ASSERT_EQ(sizeof(rsp), send(self->sfd, rsp, sizeof(rsp), 0));
		for (got = 0; got < sizeof(buf); got += n) {
			n = recv(self->cfd, buf + got, sizeof(buf) - got, 0);
			ASSERT_LT(0, n) TH_LOG("round %d: client recv %zd: %s",
					       i, n, strerror(errno));
		}
		ASSERT_EQ(0, memcmp(buf, rsp, sizeof(rsp)))
			TH_LOG("round %d: response corrupted", i);
	}
}

/* tiny writes and reads: cursor arithmetic on every byte boundary */
TEST_F_TIMEOUT(smcd, small_writes, 300)
{
	struct smc_stream st[4];
	struct smc_diag_info c, s;
	__u64 seed = smc_seed_from_env(0x736d616c);

	if (self->skip)
		SKIP(return, "%s", self->reason);
	check_smcd_pair(_metadata, self->cfd, self->sfd, &c, &s);

	ASSERT_EQ(0, smc_exchange(self->cfd, self->sfd, 256 * 1024,
				  256 * 1024, seed, 97, st))
		TH_LOG("seed 0x%llx: %s", (unsigned long long)seed,
		       smc_exchange_error(st));
	TH_LOG("%llu + %llu writes, %llu + %llu reads",
	       (unsigned long long)st[0].calls,
	       (unsigned long long)st[2].calls,
	       (unsigned long long)st[1].calls,
	       (unsigned long long)st[3].calls);
}

/* the bulk test: >= 256 MiB in total, both directions at once */
TEST_F_TIMEOUT(smcd, bulk_both_directions, 900)
{
	__u64 seed = smc_seed_from_env(0x62756c6b);
	__u64 bytes = bulk_bytes();
	struct smc_stream st[4];
	struct smc_diag_info c, s;
	double t0, t;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	check_smcd_pair(_metadata, self->cfd, self->sfd, &c, &s);

	t0 = smc_now();
	ASSERT_EQ(0, smc_exchange(self->cfd, self->sfd, bytes, bytes, seed, 0,
				  st))
		TH_LOG("seed 0x%llx: %s", (unsigned long long)seed,
		       smc_exchange_error(st));
	t = smc_now() - t0;
	EXPECT_EQ(bytes, st[1].done);
	EXPECT_EQ(bytes, st[3].done);
	TH_LOG("%llu MiB each way in %.1f s (%.1f MiB/s total), %llu/%llu writes, %llu/%llu reads",
	       (unsigned long long)(bytes / MIB), t,
	       t > 0 ? 2.0 * bytes / MIB / t : 0.0,
	       (unsigned long long)st[0].calls,
	       (unsigned long long)st[2].calls,
	       (unsigned long long)st[1].calls,
	       (unsigned long long)st[3].calls);

	/* still SMC-D after all that */
	check_smcd_pair(_metadata, self->cfd, self->sfd, &c, &s);
}

/* non-blocking sockets and poll(): no lost wake-ups, no stalls */
TEST_F_TIMEOUT(smcd, nonblocking_poll, 600)
{
	__u64 seed = smc_seed_from_env(0x706f6c6c);
	struct smc_diag_info c, s;
	char msg[256];

	if (self->skip)
		SKIP(return, "%s", self->reason);
	check_smcd_pair(_metadata, self->cfd, self->sfd, &c, &s);

	ASSERT_EQ(0, smc_exchange_poll(self->cfd, self->sfd, 32 * MIB, seed,
				       1 * MIB, 20000, msg, sizeof(msg)))
		TH_LOG("seed 0x%llx: %s", (unsigned long long)seed, msg);
}

/* data written just before close() is delivered, then EOF */
TEST_F(smcd, close_after_write)
{
	__u64 seed = 0x636c6f73, bytes = 3 * MIB;
	struct smc_diag_info c, s;
	struct smc_stream rx;
	size_t off = 0;
	pthread_t tid;
	char *buf;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	check_smcd_pair(_metadata, self->cfd, self->sfd, &c, &s);

	buf = malloc(bytes);
	ASSERT_NE(NULL, buf);
	smc_pattern_fill(seed, 0, buf, bytes);
	smc_stream_init(&rx, self->sfd, seed, bytes);
	ASSERT_EQ(0, pthread_create(&tid, NULL, smc_stream_recv, &rx));

	/* more than the DMB holds; close() right after the last write */
	while (off < bytes) {
		ssize_t n = send(self->cfd, buf + off, bytes - off,
				 MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += n;
	}
	EXPECT_EQ(bytes, off) TH_LOG("send: %s", strerror(errno));
	EXPECT_EQ(0, close(self->cfd));
	self->cfd = -1;
	pthread_join(tid, NULL);
	free(buf);
	ASSERT_TRUE(smc_stream_ok(&rx)) TH_LOG("%s", rx.msg);
}

/* explicitly small socket buffers: many wrap-arounds of the DMB */
FIXTURE(smcd_small_buf)
{
	int lfd, cfd, sfd;
};

FIXTURE_SETUP(smcd_small_buf)
{
	int size = 16 * 1024;
	__u16 port;

	self->lfd = -1;
	self->cfd = -1;
	self->sfd = -1;
	/* set before listen() and connect() so that buffers are sized by it */
	self->lfd = smc_lib_socket(SMC_KIND_SMC, AF_INET);
	ASSERT_LE(0, self->lfd) TH_LOG("%s", smc_lib_err);
	ASSERT_EQ(0, setsockopt(self->lfd, SOL_SOCKET, SO_SNDBUF, &size,
				sizeof(size)));
	ASSERT_EQ(0, setsockopt(self->lfd, SOL_SOCKET, SO_RCVBUF, &size,
				sizeof(size)));
	ASSERT_EQ(0, smc_lib_bind_listen(self->lfd, AF_INET, "127.0.0.1", 0,
					 &port)) TH_LOG("%s", smc_lib_err);

	self->cfd = smc_lib_socket(SMC_KIND_SMC, AF_INET);
	ASSERT_LE(0, self->cfd) TH_LOG("%s", smc_lib_err);
	ASSERT_EQ(0, setsockopt(self->cfd, SOL_SOCKET, SO_SNDBUF, &size,
				sizeof(size)));
	ASSERT_EQ(0, setsockopt(self->cfd, SOL_SOCKET, SO_RCVBUF, &size,
				sizeof(size)));
	ASSERT_EQ(0, smc_lib_connect_fd(self->cfd, AF_INET, "127.0.0.1",
					port)) TH_LOG("%s", smc_lib_err);
	self->sfd = smc_lib_accept(self->lfd, 10000);
	ASSERT_LE(0, self->sfd) TH_LOG("%s", smc_lib_err);
}

FIXTURE_TEARDOWN(smcd_small_buf)
{
	int fds[] = { self->sfd, self->cfd, self->lfd };

	close_fds(fds, 3);
}

TEST_F_TIMEOUT(smcd_small_buf, data_both_directions, 300)
{
	__u64 seed = smc_seed_from_env(0x736d6275);
	struct smc_stream st[4];
	struct smc_diag_info c, s;

	check_smcd_pair(_metadata, self->cfd, self->sfd, &c, &s);
	if (c.has_conn && s.has_conn)
		TH_LOG("client sndbuf %u rmbe %u, server sndbuf %u rmbe %u",
		       c.sndbuf_size, c.rmbe_size, s.sndbuf_size,
		       s.rmbe_size);
	ASSERT_EQ(0, smc_exchange(self->cfd, self->sfd, 16 * MIB, 16 * MIB,
				  seed, 1 * MIB, st))
		TH_LOG("seed 0x%llx: %s", (unsigned long long)seed,
		       smc_exchange_error(st));
}

/* many connections at once: all SMC-D, distinct DMBs, no cross talk */
#define NCONN	16

TEST_F_TIMEOUT(smcd, concurrent_connections, 600)
{
	__u64 seed = smc_seed_from_env(0x636f6e63);
	struct smc_stream (*st)[4];
	int cfd[NCONN], sfd[NCONN];
	__u64 tokens[2 * NCONN];
	pthread_t tid[NCONN][4];
	int i, j, k;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	st = calloc(NCONN, sizeof(*st));
	ASSERT_NE(NULL, st);

	/* the fixture's pair stays open: 17 live connections in total */
	for (i = 0; i < NCONN; i++) {
		int lport;
		__u16 port;

		lport = smc_lib_local_port(self->lfd);
		ASSERT_LT(0, lport);
		port = lport;
		cfd[i] = smc_lib_connect(SMC_KIND_SMC, variant->family,
					 variant->addr, port);
		ASSERT_LE(0, cfd[i]) TH_LOG("conn %d: %s", i, smc_lib_err);
		sfd[i] = smc_lib_accept(self->lfd, 10000);
		ASSERT_LE(0, sfd[i]) TH_LOG("conn %d: %s", i, smc_lib_err);
	}
	for (i = 0; i < NCONN; i++) {
		struct smc_diag_info c, s;

		check_smcd_pair(_metadata, cfd[i], sfd[i], &c, &s);
		tokens[2 * i] = c.token;
		tokens[2 * i + 1] = s.token;
	}
	for (i = 0; i < 2 * NCONN - 1; i++)
		for (j = i + 1; j < 2 * NCONN; j++)
			EXPECT_NE(tokens[i], tokens[j])
				TH_LOG("DMB token 0x%llx used twice",
				       (unsigned long long)tokens[i]);

	/* all streams at once, each with its own pattern */
	for (i = 0; i < NCONN; i++) {
		smc_stream_init(&st[i][0], cfd[i], seed + 2 * i, 2 * MIB);
		smc_stream_init(&st[i][1], sfd[i], seed + 2 * i, 2 * MIB);
		smc_stream_init(&st[i][2], sfd[i], seed + 2 * i + 1, 2 * MIB);
		smc_stream_init(&st[i][3], cfd[i], seed + 2 * i + 1, 2 * MIB);
		for (k = 0; k < 4; k++) {
			st[i][k].max_chunk = 256 * 1024;
			ASSERT_EQ(0, pthread_create(&tid[i][k], NULL,
						    k % 2 ? smc_stream_recv :
							    smc_stream_send,
						    &st[i][k]));
		}
	}
	for (i = 0; i < NCONN; i++)
		for (k = 0; k < 4; k++)
			pthread_join(tid[i][k], NULL);
	for (i = 0; i < NCONN; i++) {
		bool ok = true;

		for (k = 0; k < 4; k++)
			ok = ok && smc_stream_ok(&st[i][k]);
		EXPECT_TRUE(ok)
			TH_LOG("conn %d: %s", i, smc_exchange_error(st[i]));
		close(cfd[i]);
		close(sfd[i]);
	}
	free(st);
}

/* open, use and close connections in a row: link group and DMB reuse */
TEST_F_TIMEOUT(smcd, connect_close_cycles, 600)
{
	int i, lport;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	lport = smc_lib_local_port(self->lfd);
	ASSERT_LT(0, lport);

	for (i = 0; i < 50; i++) {
		struct smc_stream st[4];
		struct smc_diag_info c, s;
		int cfd, sfd;

		cfd = smc_lib_connect(SMC_KIND_SMC, variant->family,
				      variant->addr, lport);
		ASSERT_LE(0, cfd) TH_LOG("round %d: %s", i, smc_lib_err);
		sfd = smc_lib_accept(self->lfd, 10000);
		ASSERT_LE(0, sfd) TH_LOG("round %d: %s", i, smc_lib_err);
		check_smcd_pair(_metadata, cfd, sfd, &c, &s);
		ASSERT_EQ(0, smc_exchange(cfd, sfd, 64 * 1024 + i,
					  64 * 1024 - i, i, 16 * 1024, st))
			TH_LOG("round %d: %s", i, smc_exchange_error(st));
		/* alternate which end closes first */
		if (i % 2) {
			close(cfd);
			close(sfd);
		} else {
			close(sfd);
			close(cfd);
		}
	}
}

/* loopback is loaded, but a plain TCP peer still means TCP */
FIXTURE(lo_fallback)
{
	int lfd, cfd, sfd;
	bool skip;
	char reason[256];
};

FIXTURE_VARIANT(lo_fallback)
{
	int family;
	const char *addr;
	enum smc_sock_kind client;
	enum smc_sock_kind server;
};

FIXTURE_VARIANT_ADD(lo_fallback, smc_to_tcp_ipv4)
{
	.family = AF_INET, .addr = "127.0.0.1",
	.client = SMC_KIND_SMC, .server = SMC_KIND_TCP,
};

FIXTURE_VARIANT_ADD(lo_fallback, smc_to_tcp_ipv6)
{
	.family = AF_INET6, .addr = "::1",
	.client = SMC_KIND_SMC, .server = SMC_KIND_TCP,
};

FIXTURE_VARIANT_ADD(lo_fallback, tcp_to_smc_ipv4)
{
	.family = AF_INET, .addr = "127.0.0.1",
	.client = SMC_KIND_TCP, .server = SMC_KIND_SMC,
};

FIXTURE_VARIANT_ADD(lo_fallback, tcp_to_smc_ipv6)
{
	.family = AF_INET6, .addr = "::1",
	.client = SMC_KIND_TCP, .server = SMC_KIND_SMC,
};

FIXTURE_SETUP(lo_fallback)
{
	__u16 port;

	self->lfd = -1;
	self->cfd = -1;
	self->sfd = -1;
	self->lfd = smc_lib_listen(variant->server, variant->family,
				   variant->addr, 0, &port);
	if (self->lfd == -EADDRNOTAVAIL || self->lfd == -EAFNOSUPPORT) {
		self->skip = true;
		snprintf(self->reason, sizeof(self->reason),
			 "%s not usable: %.200s", variant->addr,
			 smc_lib_err);
		return;
	}
	ASSERT_LE(0, self->lfd) TH_LOG("listen: %s", smc_lib_err);
	self->cfd = smc_lib_connect(variant->client, variant->family,
				    variant->addr, port);
	ASSERT_LE(0, self->cfd) TH_LOG("connect: %s", smc_lib_err);
	self->sfd = smc_lib_accept(self->lfd, 10000);
	ASSERT_LE(0, self->sfd) TH_LOG("accept: %s", smc_lib_err);
}

FIXTURE_TEARDOWN(lo_fallback)
{
	int fds[] = { self->sfd, self->cfd, self->lfd };

	close_fds(fds, 3);
}

TEST_F_TIMEOUT(lo_fallback, peernosmc_and_data, 300)
{
	__u64 seed = smc_seed_from_env(0x746370);
	struct smc_stream st[4];
	struct smc_diag_info di;
	char line[256];
	int fd;

	if (self->skip)
		SKIP(return, "%s", self->reason);

	fd = variant->client == SMC_KIND_SMC ? self->cfd : self->sfd;
	ASSERT_EQ(1, smc_diag_query_fd(fd, &di)) TH_LOG("%s", smc_lib_err);
	smc_diag_format(&di, line, sizeof(line));
	TH_LOG("%s: %s", variant->client == SMC_KIND_SMC ? "client" : "server",
	       line);
	EXPECT_EQ(SMC_DIAG_MODE_FALLBACK_TCP, di.mode);
	EXPECT_EQ(SMC_CLC_DECL_PEERNOSMC, di.fallback_rsn)
		TH_LOG("reason 0x%08x, expected PEERNOSMC 0x%08x",
		       di.fallback_rsn, SMC_CLC_DECL_PEERNOSMC);
	EXPECT_FALSE(di.has_dmb);

	ASSERT_EQ(0, smc_exchange(self->cfd, self->sfd, 8 * MIB, 8 * MIB, seed,
				  0, st))
		TH_LOG("seed 0x%llx: %s", (unsigned long long)seed,
		       smc_exchange_error(st));
}

int main(int argc, char **argv)
{
	struct smcd_dev_info dev;
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
	n = smc_lo_find(&dev);
	if (n < 0) {
		ksft_print_header();
		ksft_exit_skip("cannot list SMC-D devices: %s\n", smc_lib_err);
	}
	/*
	 * Without the module there is nothing to test; with the module but
	 * without the device the tests run and fail.
	 */
	if (n == 0 && !smc_lo_module_present()) {
		ksft_print_header();
		ksft_exit_skip("no %s device: modprobe %s\n", SMC_LO_DEV_NAME,
			       SMC_LO_MODULE);
	}
	if (n == 0)
		fprintf(stderr, "# %s is loaded but no %s device is listed\n",
			SMC_LO_MODULE, SMC_LO_DEV_NAME);
	return test_harness_run(argc, argv);
}
