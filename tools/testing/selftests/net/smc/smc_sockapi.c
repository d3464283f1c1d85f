// SPDX-License-Identifier: GPL-2.0
/*
 * The stream socket API over SMC-D loopback: what applications written for
 * TCP do with their sockets, on AF_SMC connections that sock_diag shows to
 * be SMC-D on both ends. A connection that fell back to TCP fails the case.
 *
 * Every case runs SMC_SOCKAPI_ITER times (default 50) on fresh connections
 * over 127.0.0.1 and ::1, most of them with 16 KiB rings so that data
 * wraps around the end of the ring. Every byte received is compared with
 * the pattern stream, and every wait has a timeout, so that a hang fails
 * the case instead of stopping the suite. Checked:
 * - splice_drain: splice() socket -> pipe, the pipe read empty after each
 *   call: every byte in order, then 0 at EOF;
 * - splice_nodrain: the same into a two-slot pipe that another thread
 *   reads at its own pace, blocking and with SPLICE_F_NONBLOCK: a splice
 *   that wraps the ring while the pipe has one free slot must account for
 *   exactly what went into the pipe;
 * - splice_kept: what splice() put into a pipe reads the same after its
 *   connection is gone and new connections filled their rings;
 * - splice_into: splice() pipe -> socket, sendfile() file -> socket;
 * - peek: MSG_PEEK shows what the next read returns, also across the end
 *   of the ring; MSG_PEEK | MSG_DONTWAIT on an empty socket is EAGAIN;
 * - oob, oob_at_mark: MSG_OOB urgent data out of line and SO_OOBINLINE;
 * - ioctls: SIOCINQ (FIONREAD), SIOCOUTQ, SIOCATMARK;
 * - waitall: MSG_WAITALL across many small writes, short only at EOF;
 * - rcvlowat: blocking reads honour SO_RCVLOWAT;
 * - halfclose: shutdown(SHUT_WR), either end first; the other direction
 *   goes on until it is shut down too;
 * - full_ring: a non-blocking writer on a full ring gets EAGAIN and no
 *   POLLOUT until the reader reads, then POLLOUT;
 * - epoll_et: edge-triggered epoll moving data both ways at once, no lost
 *   wake-up;
 * - trunc: MSG_TRUNC discards and counts, also across the end of the ring;
 * - sockopts: TCP_NODELAY and TCP_CORK at IPPROTO_TCP level;
 * - iov: writev() and readv() with 64 small iovecs, both directions.
 *
 * smc_loopback may run in either mode (nocopy=1 or 0), the mode is printed.
 * Without AF_SMC, smc_diag or smc_loopback the program skips, unless
 * SMC_TEST_REQUIRED=1 makes that a failure. SMC_TEST_SEED=<n> changes the
 * data.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <linux/sockios.h>

#include <linux/smc_diag.h>

#include "kselftest_harness.h"
#include "smc_lib.h"

#define MIB		(1024ULL * 1024)
#define SMALL_BUF	(16 * 1024)	/* SO_RCVBUF/SO_SNDBUF: the smallest ring */
#define CHUNK		(64 * 1024)	/* write() and splice() size */
/* per iteration: 8 MiB 50 times over is minutes in a TCG guest */
#define SPLICE_BYTES	(512 * 1024)	/* 32 wraps of a 16 KiB ring */
#define PIPE_BYTES	(256 * 1024)	/* splice_into: pipe -> socket */
#define FILE_BYTES	(256 * 1024)	/* splice_into: file -> socket */
#define KEPT_BYTES	(8 * 1024)	/* splice_kept: what the pipe keeps */
#define KEPT_NEXT	4		/* splice_kept: connections after it */
#define EPOLL_BYTES	(256 * 1024)	/* epoll_et: each way */
#define TIMEO_S		10		/* SO_RCVTIMEO, SO_SNDTIMEO, poll() */
#define TIMEO_MS	(TIMEO_S * 1000)
#define QUIET_MS	20		/* how long "nothing happens" is watched */
#define ITER_DEFAULT	50
#define WHY_LEN		256
#define LOWAT		5000
#define IOV_N		64
#define IOV_MAX_LEN	300
#define IOV_SLOT	512		/* each iovec in its own piece of memory */
#define IOV_CALLS	16		/* writev()s per direction and iteration */

static int iters = ITER_DEFAULT;

/* what the last failing helper of this thread found */
static __thread char why[WHY_LEN];

static void set_why(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
}

/* SMC_TEST_REQUIRED=1: a missing piece of SMC is a failure, not a skip */
static bool required(void)
{
	const char *s = getenv("SMC_TEST_REQUIRED");

	return s && !strcmp(s, "1");
}

/* smc_loopback's nocopy parameter: 'Y', 'N', or '?' if there is none */
static char nocopy_param(void)
{
	FILE *f = fopen("/sys/module/" SMC_LO_MODULE "/parameters/nocopy", "r");
	int c = '?';

	if (f) {
		c = fgetc(f);
		fclose(f);
	}
	return c == 'Y' || c == 'N' ? c : '?';
}

/* revents of one fd, 0 on timeout, -1 on errors */
static int poll_one(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	do {
		n = poll(&pfd, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : n ? pfd.revents : 0;
}

/* buf must hold bytes [off, off + len) of the stream; if not, why says where */
static bool check_data(__u64 seed, __u64 off, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	unsigned char exp[4096];
	size_t done, n, k;

	for (done = 0; done < len; done += n) {
		n = len - done < sizeof(exp) ? len - done : sizeof(exp);
		smc_pattern_fill(seed, off + done, exp, n);
		if (!memcmp(p + done, exp, n))
			continue;
		for (k = 0; p[done + k] == exp[k]; k++)
			;
		set_why("data mismatch at stream offset %llu: got 0x%02x, expected 0x%02x",
			(unsigned long long)(off + done + k), p[done + k], exp[k]);
		return false;
	}
	return true;
}

/* send bytes [off, off + len) of the stream, however many calls it takes */
static int send_pattern(int fd, __u64 seed, __u64 off, size_t len, int flags)
{
	char buf[CHUNK];
	size_t done = 0, n;
	ssize_t w;

	while (done < len) {
		n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		smc_pattern_fill(seed, off + done, buf, n);
		w = send(fd, buf, n, flags | MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			set_why("send at stream offset %llu: %s",
				(unsigned long long)(off + done),
				w < 0 ? strerror(errno) : "returned 0");
			return -1;
		}
		done += w;
	}
	return 0;
}

/* receive exactly bytes [off, off + len) of the stream */
static int recv_pattern(int fd, __u64 seed, __u64 off, size_t len)
{
	char buf[CHUNK];
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = recv(fd, buf, len - done < sizeof(buf) ? len - done :
							     sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			set_why("recv at stream offset %llu: %s%s",
				(unsigned long long)(off + done), strerror(errno),
				errno == EAGAIN ? " (nothing for 10 s)" : "");
			return -1;
		}
		if (n == 0) {
			set_why("EOF at stream offset %llu, %zu bytes early",
				(unsigned long long)(off + done), len - done);
			return -1;
		}
		if (!check_data(seed, off + done, buf, n))
			return -1;
		done += n;
	}
	return 0;
}

static int recv_eof(int fd)
{
	ssize_t n;
	char c;

	do {
		n = recv(fd, &c, 1, 0);
	} while (n < 0 && errno == EINTR);
	if (!n)
		return 0;
	if (n < 0)
		set_why("recv at the end of the stream: %s", strerror(errno));
	else
		set_why("data after the end of the stream");
	return -1;
}

/* wait until an int ioctl (SIOCINQ, SIOCOUTQ) reads want */
static int wait_ioctl(int fd, unsigned long req, const char *name, int want)
{
	double end = smc_now() + TIMEO_S;
	int v;

	for (;;) {
		if (ioctl(fd, req, &v)) {
			set_why("%s: %s", name, strerror(errno));
			return -1;
		}
		if (v == want)
			return 0;
		if (smc_now() > end)
			break;
		usleep(1000);
	}
	set_why("%s is %d after %d s, expected %d", name, v, TIMEO_S, want);
	return -1;
}

/*
 * Non-blocking writes of the stream until the ring is full: the bytes
 * taken, or -1.
 */
static long long fill(int fd, __u64 seed, __u64 *off)
{
	long long taken = 0;
	char buf[CHUNK];
	ssize_t n;

	while (taken < (long long)(64 * MIB)) {
		smc_pattern_fill(seed, *off, buf, sizeof(buf));
		n = send(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return taken;
		if (n <= 0) {
			set_why("send at stream offset %llu: %s",
				(unsigned long long)*off,
				n < 0 ? strerror(errno) : "returned 0");
			return -1;
		}
		*off += n;
		taken += n;
	}
	set_why("%lld bytes taken and no EAGAIN: the ring is never full", taken);
	return -1;
}

/* recvmsg() of at most one byte, with the msg_flags it returned */
static ssize_t recv_byte(int fd, char *c, int flags, int *msg_flags)
{
	struct iovec iov = { .iov_base = c, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	n = recvmsg(fd, &msg, flags);
	*msg_flags = msg.msg_flags;
	return n;
}

/* a thread writing the stream in fixed pieces */
struct writer {
	int fd;
	__u64 seed, off, bytes;
	size_t chunk;
	int gap_us;		/* sleep between writes */
	bool shut_wr;		/* shutdown(SHUT_WR) when done */
	pthread_t tid;
	__u64 done;
	bool failed;
	char why[WHY_LEN];
};

static void writer_init(struct writer *w, int fd, __u64 seed, __u64 off,
			__u64 bytes, size_t chunk)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->seed = seed;
	w->off = off;
	w->bytes = bytes;
	w->chunk = chunk;
	w->shut_wr = true;
}

static void *writer_run(void *arg)
{
	struct writer *w = arg;
	size_t n;

	while (w->done < w->bytes) {
		n = w->bytes - w->done < w->chunk ? w->bytes - w->done : w->chunk;
		if (send_pattern(w->fd, w->seed, w->off + w->done, n, 0))
			goto fail;
		w->done += n;
		if (w->gap_us)
			usleep(w->gap_us);
	}
	if (w->shut_wr && shutdown(w->fd, SHUT_WR)) {
		set_why("shutdown(SHUT_WR): %s", strerror(errno));
		goto fail;
	}
	return NULL;
fail:
	w->failed = true;
	snprintf(w->why, sizeof(w->why), "%s", why);
	return NULL;
}

static const char *writer_status(const struct writer *w)
{
	return w->failed ? w->why : "ok";
}

/* the listeners, and the pair of this iteration */
struct pairs {
	int family;
	const char *addr;
	int lfd, lfd_small;		/* default buffers, 16 KiB buffers */
	__u16 port, port_small;
	int cfd, sfd;
	struct smc_diag_info c, s;	/* what sock_diag says about them */
	int extra[4];			/* more fds of the iteration */
};

FIXTURE(sockapi)
{
	bool skip;
	char reason[256];
	struct pairs pair;
	int file;			/* splice_into: the unlinked file */
};

FIXTURE_VARIANT(sockapi)
{
	int family;
	const char *addr;
};

FIXTURE_VARIANT_ADD(sockapi, ipv4)
{
	.family = AF_INET, .addr = "127.0.0.1",
};

FIXTURE_VARIANT_ADD(sockapi, ipv6)
{
	.family = AF_INET6, .addr = "::1",
};

static void set_bufs(struct __test_metadata *_metadata, int fd, int size)
{
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size,
				sizeof(size))) TH_LOG("SO_SNDBUF: %s",
						      strerror(errno));
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
				sizeof(size))) TH_LOG("SO_RCVBUF: %s",
						      strerror(errno));
}

FIXTURE_SETUP(sockapi)
{
	struct pairs *pr = &self->pair;
	int i;

	pr->family = variant->family;
	pr->addr = variant->addr;
	pr->lfd_small = -1;
	pr->cfd = -1;
	pr->sfd = -1;
	for (i = 0; i < (int)ARRAY_SIZE(pr->extra); i++)
		pr->extra[i] = -1;
	self->file = -1;

	pr->lfd = smc_lib_listen(SMC_KIND_SMC, pr->family, pr->addr, 0,
				 &pr->port);
	if (pr->lfd == -EADDRNOTAVAIL || pr->lfd == -EAFNOSUPPORT) {
		snprintf(self->reason, sizeof(self->reason),
			 "%s not usable: %.200s", variant->addr, smc_lib_err);
		ASSERT_FALSE(required())
			TH_LOG("%s, and SMC_TEST_REQUIRED=1", self->reason);
		/* the harness runs the test body after a SKIP in setup */
		self->skip = true;
		SKIP(return, "%s", self->reason);
	}
	ASSERT_LE(0, pr->lfd) TH_LOG("listen: %s", smc_lib_err);

	/* sockets accepted from it inherit its buffer sizes */
	pr->lfd_small = smc_lib_socket(SMC_KIND_SMC, pr->family);
	ASSERT_LE(0, pr->lfd_small) TH_LOG("%s", smc_lib_err);
	set_bufs(_metadata, pr->lfd_small, SMALL_BUF);
	ASSERT_EQ(0, smc_lib_bind_listen(pr->lfd_small, pr->family, pr->addr,
					 0, &pr->port_small))
		TH_LOG("listen: %s", smc_lib_err);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* close the pair of this iteration and what came with it */
static void unpair(struct pairs *pr)
{
	int i;

	close_fd(&pr->cfd);
	close_fd(&pr->sfd);
	for (i = 0; i < (int)ARRAY_SIZE(pr->extra); i++)
		close_fd(&pr->extra[i]);
}

FIXTURE_TEARDOWN(sockapi)
{
	unpair(&self->pair);
	close_fd(&self->file);
	close_fd(&self->pair.lfd_small);
	close_fd(&self->pair.lfd);
}

/* closed with the pair */
static int track(struct pairs *pr, int fd)
{
	int i;

	for (i = 0; i < (int)ARRAY_SIZE(pr->extra); i++) {
		if (pr->extra[i] < 0) {
			pr->extra[i] = fd;
			return fd;
		}
	}
	close(fd);
	return -1;
}

/*
 * A fresh connected pair in pr->cfd and pr->sfd, 16 KiB buffers on
 * both ends if small, 10 s send and receive timeouts; SMC-D on both ends
 * or the case fails.
 */
static void pair(struct __test_metadata *_metadata, struct pairs *pr,
		 bool small)
{
	struct timeval tv = { .tv_sec = TIMEO_S };
	int i, fds[2];

	pr->cfd = smc_lib_socket(SMC_KIND_SMC, pr->family);
	ASSERT_LE(0, pr->cfd) TH_LOG("%s", smc_lib_err);
	if (small)
		set_bufs(_metadata, pr->cfd, SMALL_BUF);
	ASSERT_EQ(0, smc_lib_connect_fd(pr->cfd, pr->family, pr->addr,
					small ? pr->port_small : pr->port))
		TH_LOG("connect: %s", smc_lib_err);
	pr->sfd = smc_lib_accept(small ? pr->lfd_small : pr->lfd, TIMEO_MS);
	ASSERT_LE(0, pr->sfd) TH_LOG("accept: %s", smc_lib_err);

	fds[0] = pr->cfd;
	fds[1] = pr->sfd;
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv,
					sizeof(tv)));
		ASSERT_EQ(0, setsockopt(fds[i], SOL_SOCKET, SO_SNDTIMEO, &tv,
					sizeof(tv)));
	}

	ASSERT_EQ(1, smc_diag_query_fd(pr->cfd, &pr->c))
		TH_LOG("client: %s", smc_lib_err);
	ASSERT_EQ(1, smc_diag_query_fd(pr->sfd, &pr->s))
		TH_LOG("server: %s", smc_lib_err);
	ASSERT_EQ(SMC_DIAG_MODE_SMCD, pr->c.mode)
		TH_LOG("client is %s, not SMCD: fallback reason 0x%08x, peer diagnosis 0x%08x",
		       smc_mode_str(pr->c.mode), pr->c.fallback_rsn,
		       pr->c.peer_diagnosis);
	ASSERT_EQ(SMC_DIAG_MODE_SMCD, pr->s.mode)
		TH_LOG("server is %s, not SMCD: fallback reason 0x%08x, peer diagnosis 0x%08x",
		       smc_mode_str(pr->s.mode), pr->s.fallback_rsn,
		       pr->s.peer_diagnosis);
	ASSERT_TRUE(pr->c.has_conn && pr->s.has_conn)
		TH_LOG("no SMC_DIAG_CONNINFO");
	if (small) {
		/* else nothing wraps around where the cases expect it */
		ASSERT_GE(SMALL_BUF, (int)pr->c.rmbe_size)
			TH_LOG("client ring %u bytes with SO_RCVBUF %d",
			       pr->c.rmbe_size, SMALL_BUF);
		ASSERT_GE(SMALL_BUF, (int)pr->s.rmbe_size)
			TH_LOG("server ring %u bytes with SO_RCVBUF %d",
			       pr->s.rmbe_size, SMALL_BUF);
	}
}

/* iteration i sends from the client if even, from the server if odd */
static void ends(struct pairs *pr, int i, int *tx, int *rx)
{
	*tx = i % 2 ? pr->sfd : pr->cfd;
	*rx = i % 2 ? pr->cfd : pr->sfd;
}

/* the ring of the receiving end, from sock_diag */
static int ring_of(struct pairs *pr, int rx)
{
	return rx == pr->cfd ? pr->c.rmbe_size : pr->s.rmbe_size;
}

/* unblock the threads of a failed iteration */
static void break_pair(struct pairs *pr)
{
	shutdown(pr->cfd, SHUT_RDWR);
	shutdown(pr->sfd, SHUT_RDWR);
}

/*
 * splice() the socket into the pipe, 64 KiB at most per call, and read
 * the pipe empty after each call.
 */
static int splice_drain_run(int fd, const int p[2], __u64 seed, __u64 bytes,
			    __u64 *total)
{
	char buf[CHUNK];
	ssize_t n, r;
	size_t got;
	int left;

	for (;;) {
		n = splice(fd, NULL, p[1], NULL, CHUNK, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			set_why("splice after %llu bytes: %s",
				(unsigned long long)*total, strerror(errno));
			return -1;
		}
		if (!n)
			return 0;
		if (n > CHUNK || *total + n > bytes) {
			set_why("splice returned %zd at offset %llu: more than asked for or sent",
				n, (unsigned long long)*total);
			return -1;
		}
		for (got = 0; got < (size_t)n; got += r) {
			if (poll_one(p[0], POLLIN, TIMEO_MS) <= 0) {
				set_why("splice said %zd bytes at %llu, the pipe has %zu",
					n, (unsigned long long)*total, got);
				return -1;
			}
			r = read(p[0], buf + got, n - got);
			if (r <= 0) {
				set_why("read from the pipe: %s",
					r ? strerror(errno) : "EOF");
				return -1;
			}
		}
		if (!check_data(seed, *total, buf, n))
			return -1;
		*total += n;
		if (ioctl(p[0], FIONREAD, &left) || left) {
			set_why("%d bytes more in the pipe than splice reported at offset %llu",
				left, (unsigned long long)*total);
			return -1;
		}
	}
}

TEST_F_TIMEOUT(sockapi, splice_drain, 600)
{
	__u64 seed0 = smc_seed_from_env(0x73706c64), spliced = 0;
	int i;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	for (i = 0; i < iters; i++) {
		char err[WHY_LEN] = "ok";
		__u64 seed = seed0 + i, got = 0;
		struct writer w;
		int tx, rx, p[2], rc;

		pair(_metadata, &self->pair, true);
		ends(&self->pair, i, &tx, &rx);
		ASSERT_EQ(0, pipe2(p, O_CLOEXEC))
			TH_LOG("pipe2: %s", strerror(errno));
		track(&self->pair, p[0]);
		track(&self->pair, p[1]);
		writer_init(&w, tx, seed, 0, SPLICE_BYTES, CHUNK);
		ASSERT_EQ(0, pthread_create(&w.tid, NULL, writer_run, &w));

		rc = splice_drain_run(rx, p, seed, SPLICE_BYTES, &got);
		if (rc) {
			snprintf(err, sizeof(err), "%s", why);
			break_pair(&self->pair);
		}
		pthread_join(w.tid, NULL);
		ASSERT_TRUE(!rc && !w.failed)
			TH_LOG("iteration %d: splice: %s; writer: %s", i, err,
			       writer_status(&w));
		ASSERT_EQ(SPLICE_BYTES, got)
			TH_LOG("iteration %d: EOF after %llu bytes", i,
			       (unsigned long long)got);
		spliced += got;
		unpair(&self->pair);
	}
	TH_LOG("%d pairs, %llu MiB spliced", iters,
	       (unsigned long long)(spliced / MIB));
}

/*
 * What splice() moved into a pipe is the pipe's, also after its
 * connection is gone: the ring's pages may be freed only when the pipe
 * lets go of them, and not be handed to the next connection before. The
 * next connections write a full ring each; the pipe still reads as
 * spliced.
 */
TEST_F_TIMEOUT(sockapi, splice_kept, 600)
{
	__u64 seed0 = smc_seed_from_env(0x6b657074);
	static char buf[KEPT_BYTES];
	int i, j;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	for (i = 0; i < iters; i++) {
		__u64 seed = seed0 + i;
		int tx, rx, p[2], ring;
		size_t got = 0;
		ssize_t n;

		pair(_metadata, &self->pair, true);
		ends(&self->pair, i, &tx, &rx);
		ASSERT_EQ(0, pipe2(p, O_CLOEXEC))
			TH_LOG("pipe2: %s", strerror(errno));
		ASSERT_EQ(0, send_pattern(tx, seed, 0, KEPT_BYTES, 0))
			TH_LOG("iteration %d: %s", i, why);
		while (got < KEPT_BYTES) {
			n = splice(rx, NULL, p[1], NULL, KEPT_BYTES - got, 0);
			ASSERT_LT(0, n)
				TH_LOG("iteration %d: splice after %zu bytes: %s",
				       i, got, n ? strerror(errno) : "EOF");
			got += n;
		}
		unpair(&self->pair);
		smc_lo_wait_idle();

		/* each fills both its rings, whichever got the memory */
		for (j = 0; j < 2 * KEPT_NEXT; j++) {
			if (!(j % 2))
				pair(_metadata, &self->pair, true);
			ends(&self->pair, j, &tx, &rx);
			ring = ring_of(&self->pair, rx);
			ASSERT_EQ(0, send_pattern(tx, ~seed, 0, ring, 0))
				TH_LOG("iteration %d, next %d: %s", i, j / 2, why);
			ASSERT_EQ(0, recv_pattern(rx, ~seed, 0, ring))
				TH_LOG("iteration %d, next %d: %s", i, j / 2, why);
			if (j % 2)
				unpair(&self->pair);
		}

		for (got = 0; got < KEPT_BYTES; got += n) {
			n = read(p[0], buf + got, KEPT_BYTES - got);
			ASSERT_LT(0, n)
				TH_LOG("iteration %d: pipe read after %zu bytes: %s",
				       i, got, n ? strerror(errno) : "EOF");
		}
		ASSERT_TRUE(check_data(seed, 0, buf, KEPT_BYTES))
			TH_LOG("iteration %d: the pipe after %d new connections: %s",
			       i, KEPT_NEXT, why);
		close(p[0]);
		close(p[1]);
	}
	TH_LOG("%d pairs, %d KiB spliced and kept each", iters,
	       KEPT_BYTES / 1024);
}

/* a thread reading the pipe at its own pace */
struct pipe_reader {
	int fd;			/* the read end, the reader closes it */
	__u64 seed, bytes, rng;
	pthread_t tid;
	__u64 done;
	bool failed;
	char why[WHY_LEN];
};

static void *pipe_reader_run(void *arg)
{
	struct pipe_reader *r = arg;
	char buf[SMALL_BUF];
	ssize_t n;

	for (;;) {
		size_t want = smc_rand_size(&r->rng, sizeof(buf));

		if (poll_one(r->fd, POLLIN, TIMEO_MS) <= 0) {
			set_why("nothing in the pipe for %d s after %llu bytes",
				TIMEO_S, (unsigned long long)r->done);
			goto fail;
		}
		n = read(r->fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			set_why("read after %llu bytes: %s",
				(unsigned long long)r->done, strerror(errno));
			goto fail;
		}
		if (!n)
			break;
		if (r->done + n > r->bytes) {
			set_why("%llu bytes through the pipe, %llu were sent",
				(unsigned long long)(r->done + n),
				(unsigned long long)r->bytes);
			goto fail;
		}
		if (!check_data(r->seed, r->done, buf, n))
			goto fail;
		r->done += n;
		/* now and then let the pipe fill up */
		if (smc_rand(&r->rng) % 4 == 0)
			usleep(smc_rand(&r->rng) % 300);
	}
	if (r->done != r->bytes) {
		set_why("EOF on the pipe after %llu of %llu bytes",
			(unsigned long long)r->done,
			(unsigned long long)r->bytes);
		goto fail;
	}
	close(r->fd);
	return NULL;
fail:
	r->failed = true;
	snprintf(r->why, sizeof(r->why), "%s", why);
	/* the splicer gets EPIPE rather than waiting for room forever */
	close(r->fd);
	return NULL;
}

static int splice_nodrain_run(int fd, int pw, bool nonblock, __u64 bytes,
			      __u64 *total, int *eagain)
{
	ssize_t n;

	for (;;) {
		/*
		 * What splice() took stays in the ring until the pipe buffer
		 * is released (smc_rx_pipe_buf_release()), and a splice()
		 * that waits for data waits with the pipe locked
		 * (splice_file_to_pipe()): with the ring's contents in the
		 * pipe, the reader cannot release them and the writer has no
		 * room, until SO_RCVTIMEO. TCP's spliced data leaves its
		 * receive queue at once. So wait for data here, not in
		 * splice().
		 */
		if (!nonblock && poll_one(fd, POLLIN, TIMEO_MS) <= 0) {
			set_why("no data on the socket for %d s after %llu bytes",
				TIMEO_S, (unsigned long long)*total);
			return -1;
		}
		n = splice(fd, NULL, pw, NULL, CHUNK,
			   nonblock ? SPLICE_F_NONBLOCK : 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && nonblock) {
			/* the pipe is full or the socket empty: wait for both */
			(*eagain)++;
			if (poll_one(pw, POLLOUT, TIMEO_MS) <= 0 ||
			    poll_one(fd, POLLIN, TIMEO_MS) <= 0) {
				set_why("no room in the pipe or no data for %d s after %llu bytes",
					TIMEO_S, (unsigned long long)*total);
				return -1;
			}
			continue;
		}
		if (n < 0) {
			set_why("splice after %llu bytes: %s",
				(unsigned long long)*total, strerror(errno));
			return -1;
		}
		if (!n)
			return 0;
		*total += n;
		if (*total > bytes) {
			set_why("%llu bytes spliced, %llu were sent",
				(unsigned long long)*total,
				(unsigned long long)bytes);
			return -1;
		}
	}
}

/*
 * Splice into a pipe of two slots that a thread reads at its own pace:
 * often one slot is free when a splice crosses the end of the ring, and
 * only the part up to the ring's end fits. The pipe must then hold exactly
 * what splice() returned, and the socket must give the rest next: no byte
 * lost, repeated or stale, and EOF at the end.
 */
TEST_F_TIMEOUT(sockapi, splice_nodrain, 600)
{
	__u64 seed0 = smc_seed_from_env(0x6e6f6472);
	long page = sysconf(_SC_PAGESIZE);
	int i, eagain = 0;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	for (i = 0; i < iters; i++) {
		bool nonblock = i % 2;
		char err[WHY_LEN] = "ok";
		struct pipe_reader r;
		__u64 total = 0;
		struct writer w;
		int tx, rx, p[2], rc;

		pair(_metadata, &self->pair, true);
		ends(&self->pair, i / 2, &tx, &rx);
		ASSERT_EQ(0, pipe2(p, O_CLOEXEC))
			TH_LOG("pipe2: %s", strerror(errno));
		self->pair.extra[0] = p[1];	/* closed below, or with the pair */
		ASSERT_EQ(2 * page, fcntl(p[1], F_SETPIPE_SZ, 2 * page))
			TH_LOG("F_SETPIPE_SZ: %s", strerror(errno));

		memset(&r, 0, sizeof(r));
		r.fd = p[0];
		r.seed = seed0 + i;
		r.bytes = SPLICE_BYTES;
		r.rng = r.seed | 1;
		ASSERT_EQ(0, pthread_create(&r.tid, NULL, pipe_reader_run, &r));
		writer_init(&w, tx, seed0 + i, 0, SPLICE_BYTES, CHUNK);
		ASSERT_EQ(0, pthread_create(&w.tid, NULL, writer_run, &w));

		rc = splice_nodrain_run(rx, p[1], nonblock, SPLICE_BYTES,
					&total, &eagain);
		if (rc) {
			snprintf(err, sizeof(err), "%s", why);
			break_pair(&self->pair);
		}
		close_fd(&self->pair.extra[0]);	/* p[1]: EOF for the reader */
		pthread_join(r.tid, NULL);
		pthread_join(w.tid, NULL);
		ASSERT_TRUE(!rc && !r.failed && !w.failed)
			TH_LOG("iteration %d, %s splice: pipe reader: %s; splice: %s; writer: %s",
			       i, nonblock ? "non-blocking" : "blocking",
			       r.failed ? r.why : "ok", err, writer_status(&w));
		ASSERT_EQ(SPLICE_BYTES, total)
			TH_LOG("iteration %d: EOF after %llu bytes", i,
			       (unsigned long long)total);
		unpair(&self->pair);
	}
	TH_LOG("%d pairs, half of them with SPLICE_F_NONBLOCK (%d EAGAIN)",
	       iters, eagain);
}

/* splice_into: a pipe into the socket first, then the file */
struct into_writer {
	int fd, file;
	__u64 seed, rng;
	pthread_t tid;
	bool failed;
	char why[WHY_LEN];
};

static int splice_from_pipe(int fd, __u64 seed, __u64 *rng)
{
	char buf[32 * 1024];
	__u64 off = 0;
	int p[2], rc = -1;
	size_t n, left;
	ssize_t s;

	if (pipe2(p, O_CLOEXEC)) {
		set_why("pipe2: %s", strerror(errno));
		return -1;
	}
	while (off < PIPE_BYTES) {
		n = smc_rand_size(rng, sizeof(buf));
		if (n > PIPE_BYTES - off)
			n = PIPE_BYTES - off;
		smc_pattern_fill(seed, off, buf, n);
		/* at most half the pipe: never blocks */
		if (write(p[1], buf, n) != (ssize_t)n) {
			set_why("write to the pipe: %s", strerror(errno));
			goto out;
		}
		for (left = n; left; left -= s) {
			unsigned int flags = SPLICE_F_MOVE;

			/* MSG_MORE: SMC holds the data back until the last */
			if (off + n < PIPE_BYTES && smc_rand(rng) % 2)
				flags |= SPLICE_F_MORE;
			s = splice(p[0], NULL, fd, NULL, left, flags);
			if (s < 0 && errno == EINTR) {
				s = 0;
				continue;
			}
			if (s <= 0) {
				set_why("splice pipe -> socket at stream offset %llu: %s",
					(unsigned long long)(off + n - left),
					s ? strerror(errno) : "returned 0");
				goto out;
			}
		}
		off += n;
	}
	rc = 0;
out:
	close(p[0]);
	close(p[1]);
	return rc;
}

static void *into_writer_run(void *arg)
{
	struct into_writer *w = arg;
	off_t off = 0;
	ssize_t n;

	if (splice_from_pipe(w->fd, w->seed, &w->rng))
		goto fail;
	/* the file holds the stream from PIPE_BYTES on */
	while (off < (off_t)FILE_BYTES) {
		n = sendfile(w->fd, w->file, &off, FILE_BYTES - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			set_why("sendfile at file offset %lld: %s",
				(long long)off, n ? strerror(errno) : "returned 0");
			goto fail;
		}
	}
	if (shutdown(w->fd, SHUT_WR)) {
		set_why("shutdown(SHUT_WR): %s", strerror(errno));
		goto fail;
	}
	return NULL;
fail:
	w->failed = true;
	snprintf(w->why, sizeof(w->why), "%s", why);
	return NULL;
}

/* splice() pipe -> socket, then sendfile() file -> socket; one stream */
TEST_F_TIMEOUT(sockapi, splice_into, 600)
{
	__u64 seed = smc_seed_from_env(0x696e746f);
	char path[] = "/tmp/smc_sockapi.XXXXXX";
	static char buf[CHUNK];
	__u64 off;
	int i;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	self->file = mkostemp(path, O_CLOEXEC);
	ASSERT_LE(0, self->file) TH_LOG("mkostemp: %s", strerror(errno));
	unlink(path);
	for (off = 0; off < FILE_BYTES; off += sizeof(buf)) {
		smc_pattern_fill(seed, PIPE_BYTES + off, buf, sizeof(buf));
		ASSERT_EQ((ssize_t)sizeof(buf), write(self->file, buf,
						      sizeof(buf)))
			TH_LOG("writing %s: %s", path, strerror(errno));
	}

	for (i = 0; i < iters; i++) {
		struct into_writer w = { .seed = seed, .file = self->file };
		struct smc_stream st;
		int tx, rx;

		pair(_metadata, &self->pair, true);
		ends(&self->pair, i, &tx, &rx);
		w.fd = tx;
		w.rng = (seed ^ i) | 1;
		ASSERT_EQ(0, pthread_create(&w.tid, NULL, into_writer_run, &w));

		smc_stream_init(&st, rx, seed, PIPE_BYTES + FILE_BYTES);
		st.max_chunk = CHUNK;
		st.size_seed = (seed + i) | 1;
		smc_stream_recv(&st);
		if (!smc_stream_ok(&st))
			break_pair(&self->pair);
		pthread_join(w.tid, NULL);
		ASSERT_TRUE(smc_stream_ok(&st) && !w.failed)
			TH_LOG("iteration %d: reader: %s; writer: %s", i,
			       smc_stream_ok(&st) ? "ok" : st.msg,
			       w.failed ? w.why : "ok");
		unpair(&self->pair);
	}
}

/*
 * MSG_PEEK shows what the next read returns, across the end of the ring
 * too, and takes nothing; MSG_PEEK | MSG_DONTWAIT on an empty socket is
 * EAGAIN.
 */
TEST_F_TIMEOUT(sockapi, peek, 300)
{
	__u64 seed0 = smc_seed_from_env(0x7065656b);
	char buf[8192], again[8192];
	int i;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	for (i = 0; i < iters; i++) {
		__u64 seed = seed0 + i;
		int tx, rx, ring, adv, v;
		ssize_t n;

		pair(_metadata, &self->pair, true);
		ends(&self->pair, i, &tx, &rx);
		ring = ring_of(&self->pair, rx);

		n = recv(rx, buf, 1, MSG_PEEK | MSG_DONTWAIT);
		ASSERT_EQ(-1, n) TH_LOG("iteration %d: peek on an empty socket returned %zd",
					i, n);
		ASSERT_EQ(EAGAIN, errno);

		/* to 1..4000 bytes before the end of the ring */
		adv = ring - 1 - (i * 397) % 4000;
		ASSERT_EQ(0, send_pattern(tx, seed, 0, adv, 0))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, recv_pattern(rx, seed, 0, adv))
			TH_LOG("iteration %d: %s", i, why);

		/* 4 KiB across the end of the ring */
		ASSERT_EQ(0, send_pattern(tx, seed, adv, 4096, 0))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, wait_ioctl(rx, SIOCINQ, "SIOCINQ", 4096))
			TH_LOG("iteration %d: %s", i, why);
		n = recv(rx, buf, sizeof(buf), MSG_PEEK);
		ASSERT_EQ(4096, n) TH_LOG("iteration %d: peek: %s", i,
					  n < 0 ? strerror(errno) : "short");
		ASSERT_TRUE(check_data(seed, adv, buf, 4096))
			TH_LOG("iteration %d: peek at ring offset %d: %s", i,
			       adv, why);
		n = recv(rx, again, sizeof(again), MSG_PEEK);
		ASSERT_EQ(4096, n) TH_LOG("iteration %d: second peek", i);
		ASSERT_EQ(0, memcmp(buf, again, 4096))
			TH_LOG("iteration %d: two peeks differ", i);
		n = recv(rx, buf, 100, MSG_PEEK);
		ASSERT_EQ(100, n) TH_LOG("iteration %d: peek of 100", i);
		ASSERT_TRUE(check_data(seed, adv, buf, 100))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, ioctl(rx, SIOCINQ, &v));
		ASSERT_EQ(4096, v) TH_LOG("iteration %d: peeking took data", i);

		/* the reads return what the peeks showed */
		ASSERT_EQ(0, recv_pattern(rx, seed, adv, 1000))
			TH_LOG("iteration %d: %s", i, why);
		n = recv(rx, buf, sizeof(buf), MSG_PEEK);
		ASSERT_EQ(3096, n) TH_LOG("iteration %d: peek of the rest", i);
		ASSERT_TRUE(check_data(seed, adv + 1000, buf, 3096))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, recv_pattern(rx, seed, adv + 1000, 3096))
			TH_LOG("iteration %d: %s", i, why);

		n = recv(rx, buf, 1, MSG_PEEK | MSG_DONTWAIT);
		ASSERT_EQ(-1, n) TH_LOG("iteration %d: peek after reading everything returned %zd",
					i, n);
		ASSERT_EQ(EAGAIN, errno);
		unpair(&self->pair);
	}
}

/*
 * Urgent data: stream bytes 0..2 normal, byte 3 with MSG_OOB, 4..6 normal.
 * The sender sends 4..6 only after the receiver took the urgent byte: SMC
 * has one urgent byte in flight, and further writes wait until the peer
 * consumed it (urg_tx_pend in smc_tx_sendmsg()).
 */
static void oob_out_of_line(struct __test_metadata *_metadata, int i,
			    int tx, int rx, const char *s, __u64 seed)
{
	int v, fl, r;
	ssize_t n;
	char c;

	ASSERT_EQ(3, send(tx, s, 3, MSG_NOSIGNAL));
	ASSERT_EQ(1, send(tx, s + 3, 1, MSG_OOB | MSG_NOSIGNAL))
		TH_LOG("send(MSG_OOB): %s", strerror(errno));
	r = poll_one(rx, POLLPRI, TIMEO_MS);
	ASSERT_TRUE(r > 0 && (r & POLLPRI))
		TH_LOG("iteration %d: no POLLPRI for the urgent byte", i);

	ASSERT_EQ(0, ioctl(rx, SIOCATMARK, &v));
	ASSERT_EQ(0, v) TH_LOG("iteration %d: at the mark with 3 bytes before it",
			       i);
	/*
	 * The 3 bytes in front of the mark: TCP counts up to the mark
	 * (tcp_inq()), SMC leaves the urgent byte out of the bytes to read
	 * (smc_cdc_handle_urg_data_arrival()).
	 */
	ASSERT_EQ(0, ioctl(rx, SIOCINQ, &v));
	ASSERT_EQ(3, v) TH_LOG("iteration %d: SIOCINQ with the urgent byte out of line",
			       i);

	n = recv_byte(rx, &c, MSG_OOB | MSG_PEEK, &fl);
	ASSERT_EQ(1, n) TH_LOG("iteration %d: MSG_OOB | MSG_PEEK: %s", i,
			       n < 0 ? strerror(errno) : "no byte");
	ASSERT_EQ(s[3], c) TH_LOG("iteration %d: peeked urgent byte", i);
	n = recv_byte(rx, &c, MSG_OOB, &fl);
	ASSERT_EQ(1, n) TH_LOG("iteration %d: MSG_OOB: %s", i,
			       n < 0 ? strerror(errno) : "no byte");
	ASSERT_EQ(s[3], c) TH_LOG("iteration %d: wrong urgent byte", i);
	ASSERT_TRUE(fl & MSG_OOB) TH_LOG("iteration %d: no MSG_OOB in msg_flags",
					 i);
	n = recv(rx, &c, 1, MSG_OOB);
	ASSERT_EQ(-1, n) TH_LOG("iteration %d: the urgent byte read twice", i);
	ASSERT_EQ(EINVAL, errno);
	r = poll_one(rx, POLLPRI, 0);
	ASSERT_FALSE(r > 0 && (r & POLLPRI))
		TH_LOG("iteration %d: POLLPRI after reading the urgent byte", i);

	/* the normal stream, without the urgent byte */
	ASSERT_EQ(0, recv_pattern(rx, seed, 0, 3))
		TH_LOG("iteration %d: %s", i, why);
	ASSERT_EQ(0, send_pattern(tx, seed, 4, 3, 0))
		TH_LOG("iteration %d: %s", i, why);
	ASSERT_EQ(0, recv_pattern(rx, seed, 4, 3))
		TH_LOG("iteration %d: %s", i, why);
	n = recv(rx, &c, 1, MSG_DONTWAIT);
	ASSERT_EQ(-1, n) TH_LOG("iteration %d: a stray byte in the stream", i);
	ASSERT_EQ(EAGAIN, errno);
}

static void oob_inline(struct __test_metadata *_metadata, int i, int tx,
		       int rx, const char *s, __u64 seed)
{
	char buf[100], c;
	int v, r;
	ssize_t n;

	ASSERT_EQ(3, send(tx, s, 3, MSG_NOSIGNAL));
	ASSERT_EQ(1, send(tx, s + 3, 1, MSG_OOB | MSG_NOSIGNAL))
		TH_LOG("send(MSG_OOB): %s", strerror(errno));
	r = poll_one(rx, POLLPRI, TIMEO_MS);
	ASSERT_TRUE(r > 0 && (r & POLLPRI))
		TH_LOG("iteration %d: no POLLPRI for the inline urgent byte", i);
	n = recv(rx, &c, 1, MSG_OOB);
	ASSERT_EQ(-1, n) TH_LOG("iteration %d: MSG_OOB with SO_OOBINLINE", i);
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, wait_ioctl(rx, SIOCINQ, "SIOCINQ", 4))
		TH_LOG("iteration %d: %s", i, why);
	ASSERT_EQ(0, ioctl(rx, SIOCATMARK, &v));
	ASSERT_EQ(0, v) TH_LOG("iteration %d: at the mark with 3 bytes before it",
			       i);

	/* a read stops in front of the urgent byte */
	n = recv(rx, buf, sizeof(buf), 0);
	ASSERT_EQ(3, n) TH_LOG("iteration %d: read up to the mark", i);
	ASSERT_TRUE(check_data(seed, 0, buf, 3)) TH_LOG("iteration %d: %s", i,
							why);
	ASSERT_EQ(0, ioctl(rx, SIOCATMARK, &v));
	ASSERT_EQ(1, v) TH_LOG("iteration %d: not at the mark in front of the urgent byte",
			       i);
	n = recv(rx, buf, sizeof(buf), 0);
	ASSERT_EQ(1, n) TH_LOG("iteration %d: read of the urgent byte", i);
	ASSERT_EQ(s[3], buf[0]) TH_LOG("iteration %d: wrong urgent byte", i);
	ASSERT_EQ(0, ioctl(rx, SIOCATMARK, &v));
	ASSERT_EQ(0, v) TH_LOG("iteration %d: still at the mark", i);
	r = poll_one(rx, POLLPRI, 0);
	ASSERT_FALSE(r > 0 && (r & POLLPRI))
		TH_LOG("iteration %d: POLLPRI after reading the urgent byte", i);

	ASSERT_EQ(0, send_pattern(tx, seed, 4, 3, 0))
		TH_LOG("iteration %d: %s", i, why);
	ASSERT_EQ(0, recv_pattern(rx, seed, 4, 3))
		TH_LOG("iteration %d: %s", i, why);
}

/* out of line on even, SO_OOBINLINE on odd iterations, both directions */
TEST_F_TIMEOUT(sockapi, oob, 300)
{
	__u64 seed0 = smc_seed_from_env(0x6f6f62);
	int i, one = 1;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	for (i = 0; i < iters; i++) {
		__u64 seed = seed0 + i;
		int tx, rx;
		char s[7];

		pair(_metadata, &self->pair, false);
		ends(&self->pair, i / 2, &tx, &rx);
		smc_pattern_fill(seed, 0, s, sizeof(s));
		if (i % 2) {
			ASSERT_EQ(0, setsockopt(rx, SOL_SOCKET, SO_OOBINLINE,
						&one, sizeof(one)));
			oob_inline(_metadata, i, tx, rx, s, seed);
		} else {
			oob_out_of_line(_metadata, i, tx, rx, s, seed);
		}
		unpair(&self->pair);
	}
}

/*
 * The urgent byte arrives when everything in front of it has been read,
 * and is taken with MSG_OOB before any normal read: as with TCP, the
 * stream goes on after it. In SMC, smc_rx_recv_urg() marks it read before
 * smc_rx_update_consumer() would step over it, so by the 6.1 code the
 * consumer cursor stays in front of it, the sender's next write waits for
 * it to be consumed and times out.
 */
TEST_F_TIMEOUT(sockapi, oob_at_mark, 300)
{
	__u64 seed0 = smc_seed_from_env(0x6d61726b);
	int i;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	for (i = 0; i < iters; i++) {
		__u64 seed = seed0 + i;
		int tx, rx, v, fl, r;
		char s[7], c;
		ssize_t n;

		pair(_metadata, &self->pair, false);
		ends(&self->pair, i, &tx, &rx);
		smc_pattern_fill(seed, 0, s, sizeof(s));

		ASSERT_EQ(0, send_pattern(tx, seed, 0, 3, 0))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, recv_pattern(rx, seed, 0, 3))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(1, send(tx, s + 3, 1, MSG_OOB | MSG_NOSIGNAL))
			TH_LOG("send(MSG_OOB): %s", strerror(errno));
		r = poll_one(rx, POLLPRI, TIMEO_MS);
		ASSERT_TRUE(r > 0 && (r & POLLPRI))
			TH_LOG("iteration %d: no POLLPRI for the urgent byte", i);
		ASSERT_EQ(0, ioctl(rx, SIOCATMARK, &v));
		ASSERT_EQ(1, v) TH_LOG("iteration %d: not at the mark", i);
		n = recv_byte(rx, &c, MSG_OOB, &fl);
		ASSERT_EQ(1, n) TH_LOG("iteration %d: MSG_OOB: %s", i,
				       n < 0 ? strerror(errno) : "no byte");
		ASSERT_EQ(s[3], c) TH_LOG("iteration %d: wrong urgent byte", i);

		/* times out if the receiver did not consume the urgent byte */
		ASSERT_EQ(0, send_pattern(tx, seed, 4, 3, 0))
			TH_LOG("iteration %d: after the urgent byte: %s", i,
			       why);
		ASSERT_EQ(0, recv_pattern(rx, seed, 4, 3))
			TH_LOG("iteration %d: after the urgent byte: %s", i, why);
		unpair(&self->pair);
	}
}

/*
 * SIOCINQ (FIONREAD): the bytes sent and not read, exactly. SIOCOUTQ: in
 * SMC the bytes of the send buffer the peer has not confirmed consumed
 * (smc_ioctl()): above 0 on a full ring, 0 once the peer read it all and
 * sent its cursor update. SIOCATMARK, with SO_OOBINLINE: only in front
 * of the urgent byte.
 */
TEST_F_TIMEOUT(sockapi, ioctls, 300)
{
	__u64 seed0 = smc_seed_from_env(0x696f6374);
	int i, one = 1;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	for (i = 0; i < iters; i++) {
		int tx, rx, v, r, n1, n2, k, sndbuf;
		__u64 seed = seed0 + i, off = 0;
		long long filled;
		char buf[100];
		ssize_t n;

		pair(_metadata, &self->pair, true);
		ends(&self->pair, i, &tx, &rx);
		sndbuf = tx == self->pair.cfd ? self->pair.c.sndbuf_size :
					   self->pair.s.sndbuf_size;
		ASSERT_EQ(0, setsockopt(rx, SOL_SOCKET, SO_OOBINLINE, &one,
					sizeof(one)));
		ASSERT_EQ(0, ioctl(rx, SIOCINQ, &v));
		ASSERT_EQ(0, v) TH_LOG("iteration %d: SIOCINQ of a new socket",
				       i);
		ASSERT_EQ(0, ioctl(tx, SIOCOUTQ, &v));
		ASSERT_EQ(0, v) TH_LOG("iteration %d: SIOCOUTQ of a new socket",
				       i);
		ASSERT_EQ(0, ioctl(rx, SIOCATMARK, &v));
		ASSERT_EQ(0, v) TH_LOG("iteration %d: at the mark without urgent data",
				       i);

		/* SIOCINQ */
		n1 = 1000 + (i * 37) % 3000;
		n2 = 500 + (i * 53) % 2000;
		k = n1 / 3;
		ASSERT_EQ(0, send_pattern(tx, seed, off, n1, 0))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, wait_ioctl(rx, FIONREAD, "FIONREAD", n1))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, recv_pattern(rx, seed, off, k))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, ioctl(rx, SIOCINQ, &v));
		ASSERT_EQ(n1 - k, v) TH_LOG("iteration %d: SIOCINQ after reading %d of %d",
					    i, k, n1);
		ASSERT_EQ(0, send_pattern(tx, seed, off + n1, n2, 0))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, wait_ioctl(rx, SIOCINQ, "SIOCINQ", n1 - k + n2))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, recv_pattern(rx, seed, off + k, n1 - k + n2))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, ioctl(rx, SIOCINQ, &v));
		ASSERT_EQ(0, v) TH_LOG("iteration %d: SIOCINQ after reading everything",
				       i);
		off += n1 + n2;

		/* SIOCOUTQ: the ring full, then read empty */
		filled = fill(tx, seed, &off);
		ASSERT_LT(0, filled) TH_LOG("iteration %d: %s", i,
					    filled ? why : "nothing written");
		ASSERT_EQ(0, ioctl(tx, SIOCOUTQ, &v));
		ASSERT_TRUE(v > 0 && v <= sndbuf)
			TH_LOG("iteration %d: SIOCOUTQ %d with the ring full, send buffer %d",
			       i, v, sndbuf);
		ASSERT_EQ(0, recv_pattern(rx, seed, off - filled, filled))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, wait_ioctl(tx, SIOCOUTQ, "SIOCOUTQ", 0))
			TH_LOG("iteration %d: after the peer read everything: %s",
			       i, why);

		/* SIOCATMARK: 10 bytes, then an urgent one */
		ASSERT_EQ(0, send_pattern(tx, seed, off, 10, 0))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, send_pattern(tx, seed, off + 10, 1, MSG_OOB))
			TH_LOG("iteration %d: %s", i, why);
		r = poll_one(rx, POLLPRI, TIMEO_MS);
		ASSERT_TRUE(r > 0 && (r & POLLPRI))
			TH_LOG("iteration %d: no POLLPRI for the urgent byte", i);
		ASSERT_EQ(0, wait_ioctl(rx, SIOCINQ, "SIOCINQ", 11))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, ioctl(rx, SIOCATMARK, &v));
		ASSERT_EQ(0, v) TH_LOG("iteration %d: at the mark 10 bytes early",
				       i);
		n = recv(rx, buf, sizeof(buf), 0);
		ASSERT_EQ(10, n) TH_LOG("iteration %d: read up to the mark", i);
		ASSERT_TRUE(check_data(seed, off, buf, 10))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, ioctl(rx, SIOCATMARK, &v));
		ASSERT_EQ(1, v) TH_LOG("iteration %d: not at the mark", i);
		ASSERT_EQ(0, recv_pattern(rx, seed, off + 10, 1))
			TH_LOG("iteration %d: the urgent byte: %s", i, why);
		ASSERT_EQ(0, ioctl(rx, SIOCATMARK, &v));
		ASSERT_EQ(0, v) TH_LOG("iteration %d: at the mark after it", i);
		unpair(&self->pair);
	}
}

/* MSG_WAITALL of len while the writer sends len + 500 bytes, then EOF */
static int waitall_run(int fd, __u64 seed, char *buf, size_t len)
{
	ssize_t n;

	n = recv(fd, buf, len, MSG_WAITALL);
	if (n != (ssize_t)len) {
		set_why("MSG_WAITALL of %zu returned %zd%s%s", len, n,
			n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
		return -1;
	}
	if (!check_data(seed, 0, buf, len))
		return -1;
	/* short only because EOF came first */
	n = recv(fd, buf, 1000, MSG_WAITALL);
	if (n != 500) {
		set_why("MSG_WAITALL of 1000 with 500 bytes before EOF returned %zd%s%s",
			n, n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
		return -1;
	}
	if (!check_data(seed, len, buf, n))
		return -1;
	n = recv(fd, buf, 1000, MSG_WAITALL);
	if (n) {
		set_why("MSG_WAITALL at EOF returned %zd", n);
		return -1;
	}
	return 0;
}

/* MSG_WAITALL: the whole length across 100 writes, short only at EOF */
TEST_F_TIMEOUT(sockapi, waitall, 300)
{
	__u64 seed0 = smc_seed_from_env(0x77616c6c);
	static char buf[100000];
	int i;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	for (i = 0; i < iters; i++) {
		char err[WHY_LEN] = "ok";
		__u64 seed = seed0 + i;
		struct writer w;
		int tx, rx, rc;

		pair(_metadata, &self->pair, true);
		ends(&self->pair, i, &tx, &rx);
		/* 1000 bytes at a time, 100 us apart, 500 more, then EOF */
		writer_init(&w, tx, seed, 0, sizeof(buf) + 500, 1000);
		w.gap_us = 100;
		ASSERT_EQ(0, pthread_create(&w.tid, NULL, writer_run, &w));
		rc = waitall_run(rx, seed, buf, sizeof(buf));
		if (rc) {
			snprintf(err, sizeof(err), "%s", why);
			break_pair(&self->pair);
		}
		pthread_join(w.tid, NULL);
		ASSERT_TRUE(!rc && !w.failed)
			TH_LOG("iteration %d: reader: %s; writer: %s", i, err,
			       writer_status(&w));
		unpair(&self->pair);
	}
}

/* blocking reads of a stream that comes in 1000 bytes at a time */
static int lowat_run(int fd, __u64 seed, __u64 off, __u64 bytes, int *least)
{
	char buf[16000];
	__u64 done = 0;
	ssize_t n;

	while (done < bytes) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			set_why("recv at stream offset %llu: %s",
				(unsigned long long)(off + done),
				n ? strerror(errno) : "EOF");
			return -1;
		}
		if (bytes - done >= LOWAT && n < LOWAT) {
			set_why("recv returned %zd bytes with SO_RCVLOWAT %d and %llu more to come",
				n, LOWAT, (unsigned long long)(bytes - done));
			return -1;
		}
		if (done + n > bytes) {
			set_why("%llu bytes received, %llu were sent",
				(unsigned long long)(done + n),
				(unsigned long long)bytes);
			return -1;
		}
		if (!check_data(seed, off + done, buf, n))
			return -1;
		if (bytes - done >= LOWAT && n < *least)
			*least = n;
		done += n;
	}
	return recv_eof(fd);
}

/*
 * SO_RCVLOWAT 5000: a blocking read returns 5000 bytes or more (less
 * only at EOF). poll() is only watched: smc_poll() reports POLLIN for any
 * byte to read, where tcp_poll() waits for SO_RCVLOWAT.
 */
TEST_F_TIMEOUT(sockapi, rcvlowat, 300)
{
	__u64 seed0 = smc_seed_from_env(0x6c6f7761);
	int i, below = 0, least = 1 << 30;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	for (i = 0; i < iters; i++) {
		int tx, rx, v = LOWAT, r, rc;
		char err[WHY_LEN] = "ok";
		socklen_t len = sizeof(v);
		__u64 seed = seed0 + i;
		char buf[16000];
		struct writer w;
		ssize_t n;

		pair(_metadata, &self->pair, false);
		ends(&self->pair, i, &tx, &rx);
		ASSERT_EQ(0, setsockopt(rx, SOL_SOCKET, SO_RCVLOWAT, &v,
					sizeof(v)));
		v = 0;
		ASSERT_EQ(0, getsockopt(rx, SOL_SOCKET, SO_RCVLOWAT, &v, &len));
		ASSERT_EQ(LOWAT, v);

		ASSERT_EQ(0, send_pattern(tx, seed, 0, 4000, 0))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, wait_ioctl(rx, SIOCINQ, "SIOCINQ", 4000))
			TH_LOG("iteration %d: %s", i, why);
		r = poll_one(rx, POLLIN, QUIET_MS);
		ASSERT_LE(0, r) TH_LOG("poll: %s", strerror(errno));
		if (r & POLLIN)
			below++;
		ASSERT_EQ(0, send_pattern(tx, seed, 4000, 2000, 0))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, wait_ioctl(rx, SIOCINQ, "SIOCINQ", 6000))
			TH_LOG("iteration %d: %s", i, why);
		r = poll_one(rx, POLLIN, 0);
		ASSERT_TRUE(r > 0 && (r & POLLIN))
			TH_LOG("iteration %d: no POLLIN with 6000 bytes to read",
			       i);
		n = recv(rx, buf, sizeof(buf), 0);
		ASSERT_LE(LOWAT, n) TH_LOG("iteration %d: recv returned %zd with 6000 queued",
					   i, n);
		ASSERT_TRUE(check_data(seed, 0, buf, n))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, recv_pattern(rx, seed, n, 6000 - n))
			TH_LOG("iteration %d: %s", i, why);

		/* 20000 more, 1000 bytes every millisecond, then EOF */
		writer_init(&w, tx, seed, 6000, 20000, 1000);
		w.gap_us = 1000;
		ASSERT_EQ(0, pthread_create(&w.tid, NULL, writer_run, &w));
		rc = lowat_run(rx, seed, 6000, 20000, &least);
		if (rc) {
			snprintf(err, sizeof(err), "%s", why);
			break_pair(&self->pair);
		}
		pthread_join(w.tid, NULL);
		ASSERT_TRUE(!rc && !w.failed)
			TH_LOG("iteration %d: reader: %s; writer: %s", i, err,
			       writer_status(&w));
		unpair(&self->pair);
	}
	TH_LOG("smallest read %d bytes; POLLIN below SO_RCVLOWAT in %d of %d iterations",
	       least, below, iters);
}

/* a sends and shuts down, b reads to EOF; 0 or -1 */
static int halfclose_run(int a, int b, __u64 seed, __u64 bytes,
			 struct writer *w)
{
	int rc, r;

	writer_init(w, a, seed, 0, bytes, 4096);
	if (pthread_create(&w->tid, NULL, writer_run, w)) {
		set_why("pthread_create failed");
		return -1;
	}
	rc = recv_pattern(b, seed, 0, bytes);
	/* EOF, and again EOF */
	if (!rc)
		rc = recv_eof(b);
	if (!rc)
		rc = recv_eof(b);
	if (!rc) {
		r = poll_one(b, POLLIN | POLLRDHUP, 0);
		if (r <= 0 || !(r & POLLRDHUP)) {
			set_why("no POLLRDHUP at EOF (revents 0x%x)", r);
			rc = -1;
		}
	}
	if (rc) {
		shutdown(a, SHUT_RDWR);
		shutdown(b, SHUT_RDWR);
	}
	pthread_join(w->tid, NULL);
	return rc;
}

/*
 * shutdown(SHUT_WR) of one end: the other reads everything, then EOF,
 * and still sends; the first end reads that until the second shuts down
 * too. The client shuts down first on even, the server on odd iterations.
 */
TEST_F_TIMEOUT(sockapi, halfclose, 300)
{
	__u64 seed0 = smc_seed_from_env(0x68616c66);
	int i;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	for (i = 0; i < iters; i++) {
		const char *first = i % 2 ? "server" : "client";
		__u64 seed = seed0 + i;
		struct writer w;
		int a, b, rc, e;
		ssize_t n;

		pair(_metadata, &self->pair, true);
		ends(&self->pair, i, &a, &b);

		rc = halfclose_run(a, b, seed, 40000 + i, &w);
		ASSERT_TRUE(!rc && !w.failed)
			TH_LOG("iteration %d, %s shuts down first: reader: %s; writer: %s",
			       i, first, rc ? why : "ok", writer_status(&w));
		n = send(a, "x", 1, MSG_NOSIGNAL);
		e = errno;
		ASSERT_EQ(-1, n) TH_LOG("iteration %d: %s sent after SHUT_WR",
					i, first);
		ASSERT_EQ(EPIPE, e) TH_LOG("iteration %d: %s", i, strerror(e));

		/* the other direction is still open */
		rc = halfclose_run(b, a, ~seed, 30000 + i, &w);
		ASSERT_TRUE(!rc && !w.failed)
			TH_LOG("iteration %d, then the other end: reader: %s; writer: %s",
			       i, rc ? why : "ok", writer_status(&w));
		unpair(&self->pair);
	}
}

/*
 * A non-blocking writer on a full 16 KiB ring: EAGAIN, no POLLOUT while
 * the reader does not read; POLLOUT again once it read a quarter of the
 * ring or more, within the timeout. Four rounds per pair.
 */
TEST_F_TIMEOUT(sockapi, full_ring, 300)
{
	__u64 seed0 = smc_seed_from_env(0x66756c6c);
	int i;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	for (i = 0; i < iters; i++) {
		__u64 seed = seed0 + i, rng = seed | 1, woff = 0, roff = 0;
		int tx, rx, ring, sndbuf, fl, round, r;
		long long filled;
		ssize_t n;
		char c;

		pair(_metadata, &self->pair, true);
		ends(&self->pair, i, &tx, &rx);
		ring = ring_of(&self->pair, rx);
		sndbuf = tx == self->pair.cfd ? self->pair.c.sndbuf_size :
					   self->pair.s.sndbuf_size;
		fl = fcntl(tx, F_GETFL);
		ASSERT_EQ(0, fcntl(tx, F_SETFL, fl | O_NONBLOCK));

		for (round = 0; round < 4; round++) {
			__u64 rd;

			filled = fill(tx, seed, &woff);
			ASSERT_LT(0, filled)
				TH_LOG("iteration %d round %d: %s", i, round,
				       filled ? why : "nothing written");
			/* the ring, and a send buffer of its own in copy mode */
			ASSERT_TRUE(round || (filled >= ring &&
					      filled <= ring + sndbuf))
				TH_LOG("iteration %d: %lld bytes fit, ring %d, send buffer %d",
				       i, filled, ring, sndbuf);
			smc_pattern_fill(seed, woff, &c, 1);
			n = send(tx, &c, 1, MSG_NOSIGNAL);
			ASSERT_EQ(-1, n)
				TH_LOG("iteration %d round %d: a byte more on a full ring",
				       i, round);
			ASSERT_EQ(EAGAIN, errno);
			/* watched for a while once, later only looked at */
			r = poll_one(tx, POLLOUT, round ? 0 : QUIET_MS);
			ASSERT_EQ(0, r)
				TH_LOG("iteration %d round %d: revents 0x%x with the ring full",
				       i, round, r);

			rd = ring / 4 + smc_rand(&rng) % (ring / 2);
			ASSERT_EQ(0, recv_pattern(rx, seed, roff, rd))
				TH_LOG("iteration %d round %d: %s", i, round,
				       why);
			roff += rd;
			r = poll_one(tx, POLLOUT, TIMEO_MS);
			ASSERT_TRUE(r > 0 && (r & POLLOUT))
				TH_LOG("iteration %d round %d: no POLLOUT, read %llu (0x%x)",
				       i, round, (unsigned long long)rd, r);
		}
		ASSERT_EQ(0, recv_pattern(rx, seed, roff, woff - roff))
			TH_LOG("iteration %d: %s", i, why);
		unpair(&self->pair);
	}
}

/*
 * Both ends non-blocking in one edge-triggered epoll set, 1 MiB each way:
 * on every event both directions of that socket run until EAGAIN, and
 * the next event must come within the timeout.
 */
static int epoll_run(int a, int b, __u64 seed, __u64 bytes, int *events)
{
	struct epoll_event ev[2];
	struct smc_stream st[4];
	int fds[2] = { a, b };
	char *buf, *exp;
	int ep = -1, k, n, rc = -1;

	/* st[0]: a sends, st[1]: b receives; st[2]: b sends, st[3]: a receives */
	smc_stream_init(&st[0], a, seed, bytes);
	smc_stream_init(&st[1], b, seed, bytes);
	smc_stream_init(&st[2], b, ~seed, bytes);
	smc_stream_init(&st[3], a, ~seed, bytes);
	for (k = 0; k < 4; k++) {
		st[k].max_chunk = CHUNK;
		st[k].size_seed = (seed + k) | 1;
	}
	buf = malloc(CHUNK);
	exp = malloc(CHUNK);
	if (!buf || !exp) {
		set_why("out of memory");
		goto out;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		set_why("epoll_create1: %s", strerror(errno));
		goto out;
	}
	for (k = 0; k < 2; k++) {
		struct epoll_event e = {
			.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
			.data.u32 = k,
		};
		int fl = fcntl(fds[k], F_GETFL);

		if (fl < 0 || fcntl(fds[k], F_SETFL, fl | O_NONBLOCK) ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, fds[k], &e)) {
			set_why("setting up epoll: %s", strerror(errno));
			goto out;
		}
	}
	while (!st[1].eof || !st[3].eof) {
		n = epoll_wait(ep, ev, 2, TIMEO_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			set_why("epoll_wait: %s", strerror(errno));
			goto out;
		}
		if (!n) {
			set_why("no event for %d s: sent/received a->b %llu/%llu, b->a %llu/%llu",
				TIMEO_S, (unsigned long long)st[0].done,
				(unsigned long long)st[1].done,
				(unsigned long long)st[2].done,
				(unsigned long long)st[3].done);
			goto out;
		}
		for (k = 0; k < n; k++) {
			int end = ev[k].data.u32, r;
			struct smc_stream *tx = &st[end ? 2 : 0];
			struct smc_stream *rx = &st[end ? 1 : 3];

			(*events)++;
			if (ev[k].events & EPOLLERR) {
				set_why("EPOLLERR on %c", end ? 'b' : 'a');
				goto out;
			}
			while ((r = smc_stream_send_step(tx, buf)) > 0)
				;
			if (r < 0) {
				set_why("%c: %s", end ? 'b' : 'a', tx->msg);
				goto out;
			}
			while ((r = smc_stream_recv_step(rx, buf, exp)) > 0)
				;
			if (r < 0) {
				set_why("%c: %s", end ? 'b' : 'a', rx->msg);
				goto out;
			}
		}
	}
	if (st[1].done != bytes || st[3].done != bytes) {
		set_why("EOF after %llu and %llu of %llu bytes",
			(unsigned long long)st[1].done,
			(unsigned long long)st[3].done,
			(unsigned long long)bytes);
		goto out;
	}
	rc = 0;
out:
	if (ep >= 0)
		close(ep);
	free(buf);
	free(exp);
	return rc;
}

TEST_F_TIMEOUT(sockapi, epoll_et, 600)
{
	__u64 seed0 = smc_seed_from_env(0x65706f6c);
	int i, events = 0;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	for (i = 0; i < iters; i++) {
		pair(_metadata, &self->pair, true);
		ASSERT_EQ(0, epoll_run(self->pair.cfd, self->pair.sfd, seed0 + i, EPOLL_BYTES,
				       &events))
			TH_LOG("iteration %d: %s", i, why);
		unpair(&self->pair);
	}
	TH_LOG("%d pairs, %d epoll events", iters, events);
}

/*
 * MSG_TRUNC: the bytes are discarded and counted, the buffer is not
 * touched, the next read goes on after them. As in TCP (smc_rx_recvmsg()
 * only skips the copy). The first discard crosses the end of the ring.
 */
TEST_F_TIMEOUT(sockapi, trunc, 300)
{
	__u64 seed0 = smc_seed_from_env(0x7472756e);
	char buf[1000];
	int i, k;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	for (i = 0; i < iters; i++) {
		__u64 seed = seed0 + i;
		int tx, rx, adv, v;
		ssize_t n;

		pair(_metadata, &self->pair, true);
		ends(&self->pair, i, &tx, &rx);
		/* 500..899 bytes before the end of the ring */
		adv = ring_of(&self->pair, rx) - 500 - (i * 31) % 400;
		ASSERT_EQ(0, send_pattern(tx, seed, 0, adv, 0))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, recv_pattern(rx, seed, 0, adv))
			TH_LOG("iteration %d: %s", i, why);

		ASSERT_EQ(0, send_pattern(tx, seed, adv, 3000, 0))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, wait_ioctl(rx, SIOCINQ, "SIOCINQ", 3000))
			TH_LOG("iteration %d: %s", i, why);
		memset(buf, 0x5a, sizeof(buf));
		n = recv(rx, buf, sizeof(buf), MSG_TRUNC);
		ASSERT_EQ((ssize_t)sizeof(buf), n)
			TH_LOG("iteration %d: MSG_TRUNC: %s", i,
			       n < 0 ? strerror(errno) : "short");
		for (k = 0; k < (int)sizeof(buf) && buf[k] == 0x5a; k++)
			;
		ASSERT_EQ((int)sizeof(buf), k)
			TH_LOG("iteration %d: MSG_TRUNC wrote into the buffer at %d",
			       i, k);
		ASSERT_EQ(0, ioctl(rx, SIOCINQ, &v));
		ASSERT_EQ(2000, v) TH_LOG("iteration %d: SIOCINQ after discarding 1000",
					  i);
		ASSERT_EQ(0, recv_pattern(rx, seed, adv + 1000, 2000))
			TH_LOG("iteration %d: after MSG_TRUNC: %s", i, why);

		/* without a buffer at all */
		ASSERT_EQ(0, send_pattern(tx, seed, adv + 3000, 1500, 0))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, wait_ioctl(rx, SIOCINQ, "SIOCINQ", 1500))
			TH_LOG("iteration %d: %s", i, why);
		n = recv(rx, NULL, 500, MSG_TRUNC);
		ASSERT_EQ(500, n) TH_LOG("iteration %d: MSG_TRUNC without a buffer: %s",
					 i, n < 0 ? strerror(errno) : "short");
		ASSERT_EQ(0, recv_pattern(rx, seed, adv + 3500, 1000))
			TH_LOG("iteration %d: %s", i, why);

		/* more than there is: what there is */
		ASSERT_EQ(0, send_pattern(tx, seed, adv + 4500, 200, 0))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, wait_ioctl(rx, SIOCINQ, "SIOCINQ", 200))
			TH_LOG("iteration %d: %s", i, why);
		n = recv(rx, NULL, 1000, MSG_TRUNC | MSG_DONTWAIT);
		ASSERT_EQ(200, n) TH_LOG("iteration %d: MSG_TRUNC of 1000 with 200 queued",
					 i);
		n = recv(rx, buf, 1, MSG_DONTWAIT);
		ASSERT_EQ(-1, n) TH_LOG("iteration %d: data after the discarded bytes",
					i);
		ASSERT_EQ(EAGAIN, errno);
		unpair(&self->pair);
	}
}

static int get_tcp_opt(int fd, int opt)
{
	socklen_t len = sizeof(int);
	int v = -1;

	if (getsockopt(fd, IPPROTO_TCP, opt, &v, &len))
		return -1;
	return v;
}

/*
 * TCP_NODELAY and TCP_CORK at IPPROTO_TCP level: set, read back. While
 * corked, SMC holds small writes in the send buffer until the cork goes
 * or the buffer fills (smc_tx_should_cork()), where TCP pushes them after
 * 200 ms at the latest; on uncork they all arrive. MSG_MORE is a cork for
 * one call. Over SMC-D a cork holds back no more than half the ring, at
 * most net.smc.autocorking_size where that is not 0, as TCP holds back
 * only a partial segment: a corked writer of more feeds its reader
 * meanwhile, also within one call.
 */
TEST_F_TIMEOUT(sockapi, sockopts, 300)
{
	__u64 seed0 = smc_seed_from_env(0x6f707473);
	int i, k, one = 1, zero = 0;
	socklen_t sl = sizeof(int);
	size_t autocork, hold, big;
	FILE *f;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	f = fopen("/proc/sys/net/smc/autocorking_size", "r");
	ASSERT_NE(NULL, f) TH_LOG("net.smc.autocorking_size: %s",
				  strerror(errno));
	ASSERT_EQ(1, fscanf(f, "%zu", &autocork));
	fclose(f);
	for (i = 0; i < iters; i++) {
		__u64 seed = seed0 + i;
		int tx, rx, v;

		pair(_metadata, &self->pair, false);
		ends(&self->pair, i, &tx, &rx);
		ASSERT_EQ(0, setsockopt(tx, IPPROTO_TCP, TCP_NODELAY, &one,
					sizeof(one)))
			TH_LOG("TCP_NODELAY: %s", strerror(errno));
		ASSERT_EQ(0, setsockopt(rx, IPPROTO_TCP, TCP_NODELAY, &one,
					sizeof(one)))
			TH_LOG("TCP_NODELAY: %s", strerror(errno));
		ASSERT_EQ(1, get_tcp_opt(tx, TCP_NODELAY));
		ASSERT_EQ(1, get_tcp_opt(rx, TCP_NODELAY));

		ASSERT_EQ(0, setsockopt(tx, IPPROTO_TCP, TCP_CORK, &one,
					sizeof(one)))
			TH_LOG("TCP_CORK: %s", strerror(errno));
		ASSERT_EQ(1, get_tcp_opt(tx, TCP_CORK));
		for (k = 0; k < 10; k++)
			ASSERT_EQ(0, send_pattern(tx, seed, k * 100, 100, 0))
				TH_LOG("iteration %d: %s", i, why);
		usleep(QUIET_MS * 1000);
		ASSERT_EQ(0, ioctl(rx, SIOCINQ, &v));
		ASSERT_EQ(0, v) TH_LOG("iteration %d: %d bytes arrived while corked",
				       i, v);
		ASSERT_EQ(0, setsockopt(tx, IPPROTO_TCP, TCP_CORK, &zero,
					sizeof(zero)))
			TH_LOG("TCP_CORK off: %s", strerror(errno));
		ASSERT_EQ(0, get_tcp_opt(tx, TCP_CORK));
		ASSERT_EQ(0, recv_pattern(rx, seed, 0, 1000))
			TH_LOG("iteration %d: after uncork: %s", i, why);

		ASSERT_EQ(0, send_pattern(tx, seed, 1000, 100, MSG_MORE))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, send_pattern(tx, seed, 1100, 100, 0))
			TH_LOG("iteration %d: %s", i, why);
		ASSERT_EQ(0, recv_pattern(rx, seed, 1000, 200))
			TH_LOG("iteration %d: after MSG_MORE: %s", i, why);

		ASSERT_EQ(0, getsockopt(tx, SOL_SOCKET, SO_SNDBUF, &v, &sl));
		/* half the ring (SO_SNDBUF reports twice the ring), at most
		 * net.smc.autocorking_size, which turns off autocorking at 0
		 * but not the cork's limit
		 */
		hold = v / 4;
		if (autocork && autocork < hold)
			hold = autocork;
		big = hold + hold / 2;
		ASSERT_EQ(0, setsockopt(tx, IPPROTO_TCP, TCP_CORK, &one,
					sizeof(one)));
		ASSERT_EQ(0, send_pattern(tx, seed, 1200, big, 0))
			TH_LOG("iteration %d: %s", i, why);
		for (k = 0; k < 200; k++) {
			ASSERT_EQ(0, ioctl(rx, SIOCINQ, &v));
			if ((size_t)v >= hold)
				break;
			usleep(10000);
		}
		ASSERT_LE(hold, (size_t)v)
			TH_LOG("iteration %d: %d of %zu corked bytes in 2 s, hold %zu",
			       i, v, big, hold);
		ASSERT_EQ(0, setsockopt(tx, IPPROTO_TCP, TCP_CORK, &zero,
					sizeof(zero)));
		ASSERT_EQ(0, recv_pattern(rx, seed, 1200, big))
			TH_LOG("iteration %d: after a big cork: %s", i, why);

		ASSERT_EQ(0, setsockopt(tx, IPPROTO_TCP, TCP_NODELAY, &zero,
					sizeof(zero)));
		ASSERT_EQ(0, get_tcp_opt(tx, TCP_NODELAY));
		unpair(&self->pair);
	}
}

/* writev() of IOV_CALLS x 64 iovecs of 1..300 bytes, then SHUT_WR */
struct iov_writer {
	int fd;
	__u64 seed, rng;
	pthread_t tid;
	__u64 done;
	int short_writes;
	bool failed;
	char why[WHY_LEN];
};

static void *iov_writer_run(void *arg)
{
	struct iov_writer *w = arg;
	struct iovec iov[IOV_N], *v;
	char *slots = malloc(IOV_N * IOV_SLOT);
	int k, call, cnt;
	size_t pos;
	ssize_t n;

	if (!slots) {
		set_why("out of memory");
		goto fail;
	}
	for (call = 0; call < IOV_CALLS; call++) {
		for (k = 0, pos = 0; k < IOV_N; k++) {
			iov[k].iov_base = slots + k * IOV_SLOT +
					  smc_rand(&w->rng) % (IOV_SLOT - IOV_MAX_LEN);
			iov[k].iov_len = 1 + smc_rand(&w->rng) % IOV_MAX_LEN;
			smc_pattern_fill(w->seed, w->done + pos, iov[k].iov_base,
					 iov[k].iov_len);
			pos += iov[k].iov_len;
		}
		/* SMC returns short writes once its buffer is full */
		for (v = iov, cnt = IOV_N; cnt; ) {
			n = writev(w->fd, v, cnt);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				set_why("writev at stream offset %llu: %s",
					(unsigned long long)w->done,
					n ? strerror(errno) : "returned 0");
				goto fail;
			}
			w->done += n;
			while (cnt && (size_t)n >= v->iov_len) {
				n -= v->iov_len;
				v++;
				cnt--;
			}
			if (cnt) {
				w->short_writes++;
				v->iov_base = (char *)v->iov_base + n;
				v->iov_len -= n;
			}
		}
	}
	if (shutdown(w->fd, SHUT_WR)) {
		set_why("shutdown(SHUT_WR): %s", strerror(errno));
		goto fail;
	}
	free(slots);
	return NULL;
fail:
	w->failed = true;
	snprintf(w->why, sizeof(w->why), "%s", why);
	free(slots);
	return NULL;
}

struct iov_reader {
	int fd;
	__u64 seed, rng, done;
	bool eof;
};

/* one readv() into 64 iovecs of 1..300 bytes */
static int iov_read(struct iov_reader *r, char *slots)
{
	struct iovec iov[IOV_N];
	size_t pos, len;
	ssize_t n;
	int k;

	for (k = 0; k < IOV_N; k++) {
		iov[k].iov_base = slots + k * IOV_SLOT +
				  smc_rand(&r->rng) % (IOV_SLOT - IOV_MAX_LEN);
		iov[k].iov_len = 1 + smc_rand(&r->rng) % IOV_MAX_LEN;
	}
	n = readv(r->fd, iov, IOV_N);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0) {
		set_why("readv at stream offset %llu: %s",
			(unsigned long long)r->done, strerror(errno));
		return -1;
	}
	if (!n) {
		r->eof = true;
		return 0;
	}
	for (k = 0, pos = 0; pos < (size_t)n; pos += len, k++) {
		len = iov[k].iov_len < n - pos ? iov[k].iov_len : n - pos;
		if (!check_data(r->seed, r->done + pos, iov[k].iov_base, len))
			return -1;
	}
	r->done += n;
	return 0;
}

/* read both ends with readv() until both have EOF */
static int iov_read_both(struct iov_reader r[2])
{
	char *slots = malloc(IOV_N * IOV_SLOT);
	int k, n, rc = -1;

	if (!slots) {
		set_why("out of memory");
		return -1;
	}
	while (!r[0].eof || !r[1].eof) {
		struct pollfd pfd[2];

		for (k = 0; k < 2; k++) {
			pfd[k].fd = r[k].eof ? -1 : r[k].fd;
			pfd[k].events = POLLIN;
			pfd[k].revents = 0;
		}
		n = poll(pfd, 2, TIMEO_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			set_why("%s after %llu and %llu bytes",
				n ? strerror(errno) : "nothing to read for 10 s",
				(unsigned long long)r[0].done,
				(unsigned long long)r[1].done);
			goto out;
		}
		for (k = 0; k < 2; k++)
			if (pfd[k].revents && iov_read(&r[k], slots))
				goto out;
	}
	rc = 0;
out:
	free(slots);
	return rc;
}

/* writev() and readv() with 64 small iovecs each, both directions at once */
TEST_F_TIMEOUT(sockapi, iov, 300)
{
	__u64 seed0 = smc_seed_from_env(0x696f76), bytes = 0;
	int i, k, short_writes = 0;

	if (self->skip)
		SKIP(return, "%s", self->reason);
	for (i = 0; i < iters; i++) {
		struct iov_writer w[2];
		struct iov_reader r[2];
		char err[WHY_LEN] = "ok";
		int rc;

		pair(_metadata, &self->pair, true);
		memset(w, 0, sizeof(w));
		memset(r, 0, sizeof(r));
		/* w[0]: client -> server, read by r[0]; w[1] the other way */
		w[0].fd = self->pair.cfd;
		r[0].fd = self->pair.sfd;
		w[1].fd = self->pair.sfd;
		r[1].fd = self->pair.cfd;
		for (k = 0; k < 2; k++) {
			w[k].seed = seed0 + 2 * i + k;
			r[k].seed = w[k].seed;
			w[k].rng = (w[k].seed * 3) | 1;
			r[k].rng = (w[k].seed * 5) | 1;
			ASSERT_EQ(0, pthread_create(&w[k].tid, NULL,
						    iov_writer_run, &w[k]));
		}
		rc = iov_read_both(r);
		if (rc) {
			snprintf(err, sizeof(err), "%s", why);
			break_pair(&self->pair);
		}
		for (k = 0; k < 2; k++)
			pthread_join(w[k].tid, NULL);
		ASSERT_TRUE(!rc && !w[0].failed && !w[1].failed)
			TH_LOG("iteration %d: readv: %s; client writev: %s; server writev: %s",
			       i, err, w[0].failed ? w[0].why : "ok",
			       w[1].failed ? w[1].why : "ok");
		for (k = 0; k < 2; k++) {
			ASSERT_EQ(w[k].done, r[k].done)
				TH_LOG("iteration %d: %llu bytes written, %llu read",
				       i, (unsigned long long)w[k].done,
				       (unsigned long long)r[k].done);
			bytes += r[k].done;
			short_writes += w[k].short_writes;
		}
		unpair(&self->pair);
	}
	TH_LOG("%llu bytes, %d short writev()s", (unsigned long long)bytes,
	       short_writes);
}

/* a skip, or with SMC_TEST_REQUIRED=1 a failure */
static int missing(const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ksft_print_header();
	if (required())
		return ksft_exit_fail_msg("%s (SMC_TEST_REQUIRED=1)\n", msg);
	return ksft_exit_skip("%s\n", msg);
}

int main(int argc, char **argv)
{
	const char *s = getenv("SMC_SOCKAPI_ITER");
	struct smcd_dev_info dev;
	int err = 0, n;
	char nocopy;

	signal(SIGPIPE, SIG_IGN);
	if (s && *s && strtol(s, NULL, 0) > 0)
		iters = strtol(s, NULL, 0);
	if (!smc_lib_af_smc_supported(AF_INET, &err))
		return missing("AF_SMC sockets not supported (%s): load the smc module",
			       strerror(err));
	if (smc_diag_check())
		return missing("%s", smc_lib_err);
	n = smc_lo_find(&dev);
	if (n < 0)
		return missing("cannot list SMC-D devices: %s", smc_lib_err);
	/* with the module but without the device the cases run and fail */
	if (n == 0 && !smc_lo_module_present())
		return missing("no %s device: modprobe %s", SMC_LO_DEV_NAME,
			       SMC_LO_MODULE);
	if (n == 0)
		ksft_print_msg("%s is loaded but no %s device is listed\n",
			       SMC_LO_MODULE, SMC_LO_DEV_NAME);
	nocopy = nocopy_param();
	ksft_print_msg("smc_loopback nocopy=%c (%s), %d iterations per case\n",
		       nocopy, nocopy == 'Y' ? "no-copy" :
		       nocopy == 'N' ? "copy mode" : "mode not known", iters);
	return test_harness_run(argc, argv);
}
