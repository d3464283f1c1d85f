// SPDX-License-Identifier: GPL-2.0
/*
 * No-copy SMC-D over loopback-ism: each end's send buffer is its peer's DMB.
 *
 * Run with smc, smc_diag and smc_loopback (nocopy=1, its default) loaded;
 * with nocopy=0 the cases skip. Checked through sock_diag and the socket
 * calls only:
 * - the send buffer is the peer's ring: the same size, which is not a
 *   power of two as a buffer of its own would be, and by default the
 *   1 MiB rings smc_loopback asks for sockets without SO_RCVBUF;
 * - a full ring stops the writer at exactly the ring's free space, and
 *   reading reopens it: window-full again and again, every byte checked;
 * - data crossing the end of a small ring at ever other offsets arrives
 *   intact, both directions at once;
 * - a writer blocked on a full ring learns promptly that the reader went
 *   away, and nothing breaks when the ring's owner goes first.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include <linux/smc_diag.h>

#include "kselftest_harness.h"
#include "smc_lib.h"

#define MIB		(1024ULL * 1024)
#define SMALL_BUF	(16 * 1024)	/* SO_RCVBUF: the smallest DMB */
#define CDC_LEN		32		/* the CDC message heads each DMB */

/* "Y" unless smc_loopback runs in copy mode */
static bool nocopy_enabled(void)
{
	FILE *f = fopen("/sys/module/smc_loopback/parameters/nocopy", "r");
	int c = 0;

	if (f) {
		c = fgetc(f);
		fclose(f);
	}
	return c == 'Y';
}

FIXTURE(nocopy)
{
	bool skip;
	char reason[64];
	int lfd, cfd, sfd;
	struct smc_diag_info c, s;
};

FIXTURE_VARIANT(nocopy)
{
	int family;
	const char *addr;
	int bufsize;		/* SO_RCVBUF/SO_SNDBUF of both ends, 0: none */
};

FIXTURE_VARIANT_ADD(nocopy, default_ipv4)
{
	.family = AF_INET, .addr = "127.0.0.1",
};

FIXTURE_VARIANT_ADD(nocopy, default_ipv6)
{
	.family = AF_INET6, .addr = "::1",
};

FIXTURE_VARIANT_ADD(nocopy, small_ipv4)
{
	.family = AF_INET, .addr = "127.0.0.1", .bufsize = SMALL_BUF,
};

static void set_bufs(struct __test_metadata *_metadata, int fd, int size)
{
	if (!size)
		return;
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size,
				sizeof(size)));
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
				sizeof(size)));
}

FIXTURE_SETUP(nocopy)
{
	char line[256];
	__u16 port;

	self->lfd = -1;
	self->cfd = -1;
	self->sfd = -1;
	/* the harness runs the test body after a SKIP in setup */
	self->skip = true;
	snprintf(self->reason, sizeof(self->reason), "smc_loopback %s",
		 smc_lo_module_present() ? "in copy mode (nocopy=0)" :
					   "not loaded");
	if (!smc_lo_module_present() || !nocopy_enabled())
		SKIP(return, "%s", self->reason);

	/* buffer sizes before listen()/connect(): accepted sockets inherit */
	self->lfd = smc_lib_socket(SMC_KIND_SMC, variant->family);
	ASSERT_LE(0, self->lfd) TH_LOG("%s", smc_lib_err);
	set_bufs(_metadata, self->lfd, variant->bufsize);
	if (smc_lib_bind_listen(self->lfd, variant->family, variant->addr, 0,
				&port)) {
		snprintf(self->reason, sizeof(self->reason), "%s not usable",
			 variant->addr);
		SKIP(return, "%s: %.200s", self->reason, smc_lib_err);
	}
	self->cfd = smc_lib_socket(SMC_KIND_SMC, variant->family);
	ASSERT_LE(0, self->cfd) TH_LOG("%s", smc_lib_err);
	set_bufs(_metadata, self->cfd, variant->bufsize);
	ASSERT_EQ(0, smc_lib_connect_fd(self->cfd, variant->family,
					variant->addr, port))
		TH_LOG("%s", smc_lib_err);
	self->sfd = smc_lib_accept(self->lfd, 10000);
	ASSERT_LE(0, self->sfd) TH_LOG("%s", smc_lib_err);

	ASSERT_EQ(1, smc_diag_query_fd(self->cfd, &self->c));
	ASSERT_EQ(1, smc_diag_query_fd(self->sfd, &self->s));
	smc_diag_format(&self->c, line, sizeof(line));
	TH_LOG("client: %s", line);
	ASSERT_EQ(SMC_DIAG_MODE_SMCD, self->c.mode);
	ASSERT_EQ(SMC_DIAG_MODE_SMCD, self->s.mode);
	ASSERT_TRUE(self->c.has_conn && self->s.has_conn);
	TH_LOG("client sndbuf %u rmbe %u peer_rmbe %u, server sndbuf %u rmbe %u peer_rmbe %u",
	       self->c.sndbuf_size, self->c.rmbe_size, self->c.peer_rmbe_size,
	       self->s.sndbuf_size, self->s.rmbe_size, self->s.peer_rmbe_size);
	self->skip = false;
}

FIXTURE_TEARDOWN(nocopy)
{
	if (self->sfd >= 0)
		close(self->sfd);
	if (self->cfd >= 0)
		close(self->cfd);
	if (self->lfd >= 0)
		close(self->lfd);
}

/* Each end's send buffer is exactly the other end's ring */
TEST_F(nocopy, send_buffer_is_peer_ring)
{
	__u32 ring = variant->bufsize ? SMALL_BUF - CDC_LEN : MIB - CDC_LEN;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	EXPECT_EQ(self->c.peer_rmbe_size, self->s.rmbe_size);
	EXPECT_EQ(self->s.peer_rmbe_size, self->c.rmbe_size);
	EXPECT_EQ(self->c.sndbuf_size, self->s.rmbe_size)
		TH_LOG("client send buffer is not the server's ring");
	EXPECT_EQ(self->s.sndbuf_size, self->c.rmbe_size)
		TH_LOG("server send buffer is not the client's ring");
	/* SO_RCVBUF honoured; without it, the 1 MiB loopback default */
	EXPECT_EQ(ring, self->c.rmbe_size);
	EXPECT_EQ(ring, self->s.rmbe_size);
}

/* write without blocking until the ring is full; returns the bytes taken */
static __u64 fill(int fd, __u64 seed, __u64 *off)
{
	static char buf[64 * 1024];
	__u64 taken = 0;
	ssize_t n;

	for (;;) {
		smc_pattern_fill(seed, *off, buf, sizeof(buf));
		n = send(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			break;
		*off += n;
		taken += n;
	}
	return n < 0 && errno == EAGAIN ? taken : ~0ULL;
}

/* read exactly len bytes and compare them with the pattern */
static int drain(int fd, __u64 seed, __u64 *off, __u64 len)
{
	static char buf[64 * 1024], exp[64 * 1024];
	ssize_t n;

	while (len) {
		n = recv(fd, buf, len < sizeof(buf) ? len : sizeof(buf), 0);
		if (n <= 0)
			return -1;
		smc_pattern_fill(seed, *off, exp, n);
		if (memcmp(buf, exp, n))
			return -2;
		*off += n;
		len -= n;
	}
	return 0;
}

/*
 * Window full: the writer gets exactly the free space of the peer's ring
 * (nothing is buffered on its side), SIOCOUTQ shows it unconsumed, and
 * reading makes room again. Repeated with reads of varying sizes, so that
 * the writer's windows start at ever other ring offsets.
 */
TEST_F_TIMEOUT(nocopy, window_full, 300)
{
	__u64 seed = smc_seed_from_env(0x77696e64), rng = seed | 1;
	__u64 woff = 0, roff = 0, taken, ring = self->c.rmbe_size;
	struct pollfd pfd = { .fd = self->sfd, .events = POLLOUT };
	int round, outq, rounds = variant->bufsize ? 200 : 20;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	for (round = 0; round < rounds; round++) {
		taken = fill(self->sfd, seed, &woff);
		ASSERT_NE(~0ULL, taken) TH_LOG("send: %s", strerror(errno));
		/* Never more than the ring is in flight: the writer has no
		 * buffer of its own. Less only by what the reader consumed
		 * but did not announce yet (up to a tenth of the ring, see
		 * smc_tx_consumer_update()); at first exactly the ring.
		 */
		ASSERT_LE(woff - roff, ring)
			TH_LOG("round %d: %llu bytes in flight, ring %llu",
			       round, (unsigned long long)(woff - roff),
			       (unsigned long long)ring);
		ASSERT_GE(woff - roff, round ? ring - ring / 10 - 4096 : ring)
			TH_LOG("round %d: %llu bytes in flight, ring %llu",
			       round, (unsigned long long)(woff - roff),
			       (unsigned long long)ring);
		/* unconsumed as far as the writer knows: all of it */
		ASSERT_EQ(0, ioctl(self->sfd, SIOCOUTQ, &outq));
		EXPECT_EQ(ring, outq);
		ASSERT_EQ(0, poll(&pfd, 1, 100)) TH_LOG("writable when full");

		/* read a random part, at least what reopens the window */
		ASSERT_EQ(0, drain(self->cfd, seed, &roff,
				   ring / 4 + smc_rand(&rng) % (ring * 3 / 4)))
			TH_LOG("round %d: bad data at %llu", round,
			       (unsigned long long)roff);
		ASSERT_EQ(1, poll(&pfd, 1, 5000))
			TH_LOG("round %d: not writable after reading", round);
	}
	ASSERT_EQ(0, drain(self->cfd, seed, &roff, woff - roff));
	TH_LOG("%d rounds, %llu bytes verified", rounds,
	       (unsigned long long)roff);
}

/* Both directions at once, random sizes up to a bit more than the ring:
 * writes and reads cross the ring's end at all kinds of offsets.
 */
TEST_F_TIMEOUT(nocopy, wraparound_integrity, 600)
{
	__u64 seed = smc_seed_from_env(0x77726170);
	__u64 bytes = variant->bufsize ? 16 * MIB : 64 * MIB;
	struct smc_stream st[4];

	if (self->skip)
		SKIP(return, "%s", self->reason);
	ASSERT_EQ(0, smc_exchange(self->cfd, self->sfd, bytes, bytes, seed,
				  self->c.rmbe_size + 4096, st))
		TH_LOG("seed 0x%llx: %s", (unsigned long long)seed,
		       smc_exchange_error(st));
	EXPECT_EQ(bytes, st[1].done);
	EXPECT_EQ(bytes, st[3].done);
}

struct blocked_writer {
	int fd;
	ssize_t ret;
	int err;
};

static void *write_blocked(void *arg)
{
	struct blocked_writer *w = arg;
	static char buf[4 * 1024 * 1024];

	/* far more than the ring: blocks once it is full */
	w->ret = send(w->fd, buf, sizeof(buf), MSG_NOSIGNAL);
	w->err = w->ret < 0 ? errno : 0;
	return NULL;
}

/*
 * The reader closes while the writer sits on a full ring attached to the
 * reader's DMB: the writer returns promptly, with what it wrote or an
 * error, never hangs; the DMB goes once the writer has let go (a debug
 * kernel's KASAN and kmemleak watch that).
 */
TEST_F_TIMEOUT(nocopy, reader_closes_under_writer, 60)
{
	struct blocked_writer w = { .fd = self->sfd };
	double t0;
	pthread_t tid;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	ASSERT_EQ(0, pthread_create(&tid, NULL, write_blocked, &w));
	usleep(300 * 1000);	/* the ring is full by now */
	t0 = smc_now();
	close(self->cfd);
	self->cfd = -1;
	ASSERT_EQ(0, pthread_join(tid, NULL));
	TH_LOG("writer returned %zd (%s) %.2f s after the reader closed",
	       w.ret, w.ret < 0 ? strerror(w.err) : "bytes", smc_now() - t0);
	EXPECT_LT(smc_now() - t0, 10.0);
	if (w.ret < 0) {
		EXPECT_TRUE(w.err == ECONNRESET || w.err == EPIPE)
			TH_LOG("unexpected error %s", strerror(w.err));
	} else {
		EXPECT_GE((__u64)w.ret, (__u64)self->s.sndbuf_size);
	}
	/* and the writer's socket keeps failing cleanly */
	EXPECT_EQ(-1, send(self->sfd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT));
}

TEST_HARNESS_MAIN
