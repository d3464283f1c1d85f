// SPDX-License-Identifier: GPL-2.0
/*
 * smc_churn: SMC-D connections over loopback-ism come and go, and run out
 * of DMBs, while AF_SMC sock_diag dumps run.
 *
 * smc_diag dumps the AF_SMC sockets under the hash read lock only, without
 * the socket lock, and reads each connection's DMB and send buffer
 * descriptors (conn->rmb_desc, conn->sndbuf_desc) for SMC_DIAG_CONNINFO
 * and SMC_DIAG_DMBINFO. With loopback-ism the DMBs go when a connection is
 * freed, which can happen while its socket is still listed: a handshake
 * aborted for want of a DMB (SMC_CLC_DECL_MAX_DMB), a passive close, an
 * abort. For DURATION seconds (-t, default 60) at once:
 *
 *  - 2 threads dump all AF_SMC sockets with CONNINFO and DMBINFO, again
 *    and again;
 *  - 2 threads open connections to a shared AF_SMC listener, on 127.0.0.1
 *    and ::1 in turn (an acceptor thread per listener hands each accepted
 *    socket to its client by port), move a few KiB each way, checked
 *    against a pattern stream, and close both ends in varying ways: client
 *    first, server first, one end with unread data (its close aborts the
 *    connection), after shutdown(SHUT_WR) on both, or both at once;
 *  - 1 thread opens and holds up to HOLD connections (-n, default 48),
 *    then closes them all, again and again: with a small max_dmbs of
 *    smc_loopback the DMBs run out and connections fall back to TCP.
 *
 * Before its close, both ends of every connection are looked up in
 * sock_diag: both must be SMC-D, or both fallen back to TCP because the
 * DMBs ran out (SMC_CLC_DECL_MAX_DMB as the reason or as the peer's
 * diagnosis). Anything else, bad data, an error where none is due, or a
 * thread without progress for STALL seconds (-S, default 20) fails. Every
 * socket has send and receive timeouts, so no call waits for ever.
 *
 * The last message before the results sums up:
 *   summary: dumps D connections C smcd S fallback-max-dmb F dmbinfo I
 * (I: sockets the dumps listed with SMC_DIAG_DMBINFO).
 *
 * TAP output; exit 0 pass, 1 fail, 4 skip (no AF_SMC, no smc_diag, no
 * loopback-ism device).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/smc_diag.h>

#include "kselftest.h"
#include "smc_lib.h"

#ifndef fallthrough
#define fallthrough	__attribute__((__fallthrough__))
#endif

#define N_TESTS		3
#define N_DUMPERS	2
#define N_CHURNERS	2
#define MAX_WORKERS	(2 + N_DUMPERS + N_CHURNERS + 1)	/* 2 acceptors */
#define MAX_HOLD	1024
#define SHOW_MAX	10	/* failures printed */
#define IO_SECS		5	/* SO_RCVTIMEO, SO_SNDTIMEO */
#define ACCEPT_SECS	10	/* for the acceptor to hand a socket over */
#define MAX_XFER	6144	/* bytes each way on a churned connection */
#define HOLD_XFER	2048	/* ... on a held one */
#define HOLD_MS		100	/* longest pause with all held ones open */
#define REPORT_SECS	10	/* interval of the progress messages */
#define DRAIN_SECS	120	/* time bound slack for the end of the run */

static struct {
	int duration;
	int hold;
	int stall;
	__u64 seed;
} opt = {
	.duration = 60,
	.hold = 48,
	.stall = 20,
};

struct listener {
	int family;
	const char *addr;
	int fd;
	__u16 port;
};

static struct listener lsn[2] = {
	{ .family = AF_INET, .addr = "127.0.0.1", .fd = -1 },
	{ .family = AF_INET6, .addr = "::1", .fd = -1 },
};

static int n_lsn;

enum close_how {
	CLOSE_CLIENT_FIRST,	/* the other end reads EOF, then closes */
	CLOSE_SERVER_FIRST,
	CLOSE_UNREAD_CLIENT,	/* the client closes with unread data */
	CLOSE_UNREAD_SERVER,
	CLOSE_SHUTDOWN,		/* SHUT_WR both ways, EOF both ways, close */
	CLOSE_AT_ONCE,		/* both right away, in random order */
	CLOSE_NR,
};

static const char *const close_names[CLOSE_NR] = {
	"client first", "server first", "unread at client",
	"unread at server", "after shutdown", "at once",
};

/* all updated with atomics: the watchdog prints them while threads run */
static struct {
	__u64 dumps;
	__u64 dump_socks;
	__u64 dump_dmb;		/* sockets listed with SMC_DIAG_DMBINFO */
	__u64 conns;
	__u64 smcd;
	__u64 max_dmb;		/* fallbacks for want of a DMB */
	__u64 closes[CLOSE_NR];
	__u64 resets;		/* an abort seen as ECONNRESET */
} stats;

#define STAT_INC(field)	__atomic_fetch_add(&stats.field, 1, __ATOMIC_RELAXED)
#define STAT_ADD(field, n) \
	__atomic_fetch_add(&stats.field, (n), __ATOMIC_RELAXED)
#define STAT(field)	__atomic_load_n(&stats.field, __ATOMIC_RELAXED)

static int failures;
static bool stop;		/* no new work: time is up or a failure */
static bool accept_stop;	/* no more clients: acceptors may go */

struct worker {
	pthread_t tid;
	char name[16];
	int idx;
	bool watched;		/* must make progress */
	bool started;
	__u64 rnd;		/* random state */
	__u64 last_ms;		/* last progress */
	const char *doing;	/* current step, for the watchdog */
	bool done;
	char buf[MAX_XFER];
	char exp[MAX_XFER];
};

static struct worker workers[MAX_WORKERS];
static int n_workers;

/* accepted sockets on their way from an acceptor to their client */
struct handover {
	struct handover *next;
	int family;
	__u16 port;		/* the client's port */
	int fd;
};

static pthread_mutex_t ho_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ho_cond;	/* CLOCK_MONOTONIC */
static struct handover *ho_list;

/* one connection: both ends in this process */
struct pair {
	int cfd, sfd;
	const struct listener *l;
	__u64 seed;
	bool smcd;		/* both ends SMC-D, else a MAX_DMB fallback */
};

/* ---- reporting and the watchdog ------------------------------------------ */

static __u64 now_ms(void)
{
	return (__u64)(smc_now() * 1000);
}

static bool stopping(void)
{
	return __atomic_load_n(&stop, __ATOMIC_ACQUIRE);
}

static void step(struct worker *w, const char *what)
{
	__atomic_store_n(&w->doing, what, __ATOMIC_RELEASE);
}

static void progress(struct worker *w)
{
	__atomic_store_n(&w->last_ms, now_ms(), __ATOMIC_RELEASE);
}

static void worker_done(struct worker *w)
{
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
}

/* one printf() per message: lines of different threads do not mix */
static void say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("# %s\n", buf);
}

/* a failure ends the run; the first SHOW_MAX are printed */
static void fail(struct worker *w, const char *fmt, ...)
{
	char buf[768];
	va_list ap;
	int n;

	n = __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	if (n > SHOW_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	say("%s: %s", w->name, buf);
}

static void print_summary(void)
{
	ksft_print_msg("closes: %s %llu, %s %llu, %s %llu, %s %llu, %s %llu, %s %llu;",
		       close_names[0], (unsigned long long)STAT(closes[0]),
		       close_names[1], (unsigned long long)STAT(closes[1]),
		       close_names[2], (unsigned long long)STAT(closes[2]),
		       close_names[3], (unsigned long long)STAT(closes[3]),
		       close_names[4], (unsigned long long)STAT(closes[4]),
		       close_names[5], (unsigned long long)STAT(closes[5]));
	printf(" %llu aborts seen as a reset\n",
	       (unsigned long long)STAT(resets));
	/* one line, which smc_churn.sh reads */
	ksft_print_msg("summary: dumps %llu connections %llu smcd %llu",
		       (unsigned long long)STAT(dumps),
		       (unsigned long long)STAT(conns),
		       (unsigned long long)STAT(smcd));
	printf(" fallback-max-dmb %llu dmbinfo %llu\n",
	       (unsigned long long)STAT(max_dmb),
	       (unsigned long long)STAT(dump_dmb));
}

static void put(const char *s)
{
	ssize_t rc = write(STDOUT_FILENO, s, strlen(s));

	(void)rc;
}

static void on_alarm(int sig)
{
	/* async-signal-safe: write() and _exit() only */
	(void)sig;
	put("# smc_churn: global time bound exceeded\nBail out! timeout\n");
	_exit(KSFT_FAIL);
}

/* the threads that stopped making progress; exits if there are any */
static void check_stalls(void)
{
	__u64 now = now_ms(), limit = (__u64)opt.stall * 1000, last;
	int i, stuck = 0;

	for (i = 0; i < n_workers; i++) {
		struct worker *w = &workers[i];

		if (!w->watched || !w->started ||
		    __atomic_load_n(&w->done, __ATOMIC_ACQUIRE))
			continue;
		last = __atomic_load_n(&w->last_ms, __ATOMIC_ACQUIRE);
		if (last >= now || now - last <= limit)
			continue;
		say("%s: no progress for %llu s, stuck in '%s'", w->name,
		    (unsigned long long)(now - last) / 1000,
		    __atomic_load_n(&w->doing, __ATOMIC_ACQUIRE));
		stuck++;
	}
	if (!stuck)
		return;
	print_summary();
	printf("Bail out! %d thread(s) stuck\n", stuck);
	fflush(stdout);
	/* the stuck ones cannot be joined */
	_exit(KSFT_FAIL);
}

/* ---- sockets ----------------------------------------------------------------- */

/*
 * Set before connect() or listen(): AF_SMC copies them to its internal
 * TCP socket there, which serves the calls after a fallback, and accepted
 * sockets inherit them from the listener.
 */
static int set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_SECS };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

static int open_listener(struct listener *l)
{
	int fd, rc;

	fd = smc_lib_socket(SMC_KIND_SMC, l->family);
	if (fd < 0)
		return fd;
	rc = set_timeouts(fd);
	if (!rc)
		rc = smc_lib_bind_listen(fd, l->family, l->addr, 0, &l->port);
	if (rc) {
		close(fd);
		return rc;
	}
	l->fd = fd;
	return 0;
}

static const char *err_str(int err)
{
	return err == EAGAIN ? "timed out" : strerror(err);
}

static int send_all(int fd, const char *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = send(fd, buf + done, len - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += n;
	}
	return 0;
}

/* bytes received before EOF (len if no EOF), or -errno */
static ssize_t recv_all(int fd, char *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = recv(fd, buf + done, len - done, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

static int wait_readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int rc;

	do {
		rc = poll(&pfd, 1, IO_SECS * 1000);
	} while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return -errno;
	return rc ? 0 : -ETIMEDOUT;
}

/* ---- the acceptors: one a listener --------------------------------------- */

/*
 * accept() within ms: fd, -ETIMEDOUT or -errno. Not smc_lib_accept(): it
 * writes the error text of every timeout to smc_lib_err, which all the
 * threads share.
 */
static int accept_fd(int lfd, int ms)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int rc;

	rc = poll(&pfd, 1, ms);
	if (rc < 0)
		return -errno;
	if (!rc)
		return -ETIMEDOUT;
	rc = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	return rc < 0 ? -errno : rc;
}

static void *acceptor_run(void *arg)
{
	struct worker *w = arg;
	struct listener *l = &lsn[w->idx];
	struct handover *h;
	int fd, port;

	while (!__atomic_load_n(&accept_stop, __ATOMIC_ACQUIRE)) {
		step(w, "accept");
		fd = accept_fd(l->fd, 200);
		if (fd == -ETIMEDOUT || fd == -EINTR || fd == -EAGAIN ||
		    fd == -ECONNABORTED)
			continue;
		if (fd < 0) {
			fail(w, "accept on %s: %s", l->addr, strerror(-fd));
			break;
		}
		/* the internal TCP socket has them from the listener */
		set_timeouts(fd);
		port = smc_lib_peer_port(fd);
		h = calloc(1, sizeof(*h));
		if (port < 0 || !h) {
			if (!stopping())
				fail(w, "accepted socket on %s: %s", l->addr,
				     h ? strerror(-port) : "out of memory");
			free(h);
			close(fd);
			break;
		}
		h->family = l->family;
		h->port = port;
		h->fd = fd;
		pthread_mutex_lock(&ho_lock);
		h->next = ho_list;
		ho_list = h;
		pthread_cond_broadcast(&ho_cond);
		pthread_mutex_unlock(&ho_lock);
	}
	worker_done(w);
	return NULL;
}

/* the accepted end of the connection from this client port, or -ETIMEDOUT */
static int take_accepted(int family, __u16 port)
{
	struct handover **pp, *h;
	struct timespec ts;
	int fd = -ETIMEDOUT, rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ACCEPT_SECS;
	pthread_mutex_lock(&ho_lock);
	for (;;) {
		for (pp = &ho_list; *pp; pp = &(*pp)->next)
			if ((*pp)->family == family && (*pp)->port == port)
				break;
		if (*pp) {
			h = *pp;
			*pp = h->next;
			fd = h->fd;
			free(h);
			break;
		}
		if (rc == ETIMEDOUT)
			break;
		rc = pthread_cond_timedwait(&ho_cond, &ho_lock, &ts);
	}
	pthread_mutex_unlock(&ho_lock);
	return fd;
}

/* ---- one connection -------------------------------------------------------- */

static const char *pair_mode(const struct pair *p)
{
	return p->smcd ? "SMC-D" : "fallback";
}

static void pair_abandon(struct pair *p)
{
	if (p->cfd >= 0)
		close(p->cfd);
	if (p->sfd >= 0)
		close(p->sfd);
	p->cfd = -1;
	p->sfd = -1;
}

/* connect, and get the accepted end; 0 or -1 (failed) */
static int pair_open(struct worker *w, struct pair *p,
		     const struct listener *l)
{
	int rc, port;

	p->l = l;
	p->sfd = -1;
	p->seed = smc_rand(&w->rnd);
	p->smcd = false;
	step(w, "socket");
	p->cfd = smc_lib_socket(SMC_KIND_SMC, l->family);
	if (p->cfd < 0) {
		fail(w, "socket for %s: %s", l->addr, strerror(-p->cfd));
		return -1;
	}
	rc = set_timeouts(p->cfd);
	if (rc) {
		fail(w, "SO_RCVTIMEO/SO_SNDTIMEO: %s", strerror(-rc));
		goto err;
	}
	step(w, "connect");
	rc = smc_lib_connect_fd(p->cfd, l->family, l->addr, l->port);
	if (rc) {
		fail(w, "connect to %s port %u: %s", l->addr, l->port,
		     err_str(-rc));
		goto err;
	}
	port = smc_lib_local_port(p->cfd);
	if (port < 0) {
		fail(w, "getsockname: %s", strerror(-port));
		goto err;
	}
	step(w, "wait for the accepted socket");
	p->sfd = take_accepted(l->family, port);
	if (p->sfd < 0) {
		fail(w, "connection from port %d to %s not accepted within %d s",
		     port, l->addr, ACCEPT_SECS);
		goto err;
	}
	return 0;
err:
	pair_abandon(p);
	return -1;
}

enum { END_SMCD, END_MAX_DMB, END_OTHER };

static int end_kind(const struct smc_diag_info *d)
{
	if (d->mode == SMC_DIAG_MODE_SMCD)
		return END_SMCD;
	if (d->mode == SMC_DIAG_MODE_FALLBACK_TCP &&
	    (d->fallback_rsn == SMC_CLC_DECL_MAX_DMB ||
	     d->peer_diagnosis == SMC_CLC_DECL_MAX_DMB))
		return END_MAX_DMB;
	return END_OTHER;
}

/* both ends SMC-D, or both fallen back for want of a DMB; 0 or -1 */
static int pair_classify(struct worker *w, struct pair *p)
{
	static const char *const end_name[2] = { "client", "server" };
	char line[2][256];
	struct smc_diag_info d[2];
	int fd[2] = { p->cfd, p->sfd }, kind[2], k, rc;

	step(w, "sock_diag query");
	for (k = 0; k < 2; k++) {
		rc = smc_diag_query_fd(fd[k], &d[k]);
		if (rc < 0) {
			fail(w, "sock_diag query: %s", strerror(-rc));
			return -1;
		}
		if (!rc) {
			fail(w, "%s end of a connection to %s not in the sock_diag dump",
			     end_name[k], p->l->addr);
			return -1;
		}
		kind[k] = end_kind(&d[k]);
	}
	if (kind[0] != END_OTHER && kind[0] == kind[1]) {
		p->smcd = kind[0] == END_SMCD;
		STAT_INC(conns);
		if (p->smcd)
			STAT_INC(smcd);
		else
			STAT_INC(max_dmb);
		return 0;
	}
	for (k = 0; k < 2; k++)
		smc_diag_format(&d[k], line[k], sizeof(line[k]));
	fail(w, "%s: not SMC-D nor 0x%08x fallback on both ends; client %s; server %s",
	     p->l->addr, SMC_CLC_DECL_MAX_DMB, line[0], line[1]);
	return -1;
}

/* len bytes of the pattern up (client to server) or down, checked */
static int pair_xfer(struct worker *w, struct pair *p, bool up, size_t len)
{
	int from = up ? p->cfd : p->sfd, to = up ? p->sfd : p->cfd;
	const char *dir = up ? "client->server" : "server->client";
	__u64 seed = p->seed + up;
	ssize_t n;
	size_t i;
	int rc;

	smc_pattern_fill(seed, 0, w->exp, len);
	step(w, "send");
	rc = send_all(from, w->exp, len);
	if (rc) {
		fail(w, "%s %s %zu bytes to %s: send: %s", pair_mode(p), dir,
		     len, p->l->addr, err_str(-rc));
		return -1;
	}
	step(w, "recv");
	n = recv_all(to, w->buf, len);
	if (n < 0) {
		fail(w, "%s %s %zu bytes to %s: recv: %s", pair_mode(p), dir,
		     len, p->l->addr, err_str(-n));
		return -1;
	}
	if ((size_t)n < len) {
		fail(w, "%s %s to %s: EOF after %zd of %zu bytes", pair_mode(p),
		     dir, p->l->addr, n, len);
		return -1;
	}
	if (memcmp(w->buf, w->exp, len)) {
		for (i = 0; w->buf[i] == w->exp[i]; i++)
			;
		fail(w, "%s %s to %s: data mismatch at offset %zu of %zu: 0x%02x, expected 0x%02x",
		     pair_mode(p), dir, p->l->addr, i, len,
		     (__u8)w->buf[i], (__u8)w->exp[i]);
		return -1;
	}
	return 0;
}

/*
 * The peer closed or shut down: recv() must return EOF, or with abort an
 * error of an aborted connection. 0 or -1.
 */
static int expect_eof(struct worker *w, struct pair *p, int fd, bool abort,
		      const char *what)
{
	ssize_t n;
	char c;

	step(w, what);
	do {
		n = recv(fd, &c, 1, 0);
	} while (n < 0 && errno == EINTR);
	if (!n)
		return 0;
	if (n < 0 && abort && (errno == ECONNRESET || errno == ECONNABORTED ||
			       errno == EPIPE)) {
		STAT_INC(resets);
		return 0;
	}
	fail(w, "%s to %s: %s: %s instead of EOF", pair_mode(p), p->l->addr,
	     what, n > 0 ? "data" : err_str(errno));
	return -1;
}

/* close both ends, how; 0 or -1 (failed, both are closed all the same) */
static int pair_close(struct worker *w, struct pair *p, enum close_how how)
{
	bool server = how == CLOSE_SERVER_FIRST || how == CLOSE_UNREAD_SERVER;
	int first = server ? p->sfd : p->cfd;
	int other = server ? p->cfd : p->sfd;
	int rc = 0;
	size_t len;

	switch (how) {
	case CLOSE_CLIENT_FIRST:
	case CLOSE_SERVER_FIRST:
		step(w, "close");
		close(first);
		rc = expect_eof(w, p, other, false, "EOF after the peer's close");
		close(other);
		break;
	case CLOSE_UNREAD_CLIENT:
	case CLOSE_UNREAD_SERVER:
		/* data for the first end that it never reads */
		len = smc_rand_size(&w->rnd, MAX_XFER);
		smc_pattern_fill(p->seed + 2, 0, w->buf, len);
		step(w, "send unread data");
		rc = send_all(other, w->buf, len);
		if (rc) {
			fail(w, "%s to %s: send %zu bytes: %s", pair_mode(p),
			     p->l->addr, len, err_str(-rc));
		} else {
			step(w, "poll for the unread data");
			rc = wait_readable(first);
			if (rc)
				fail(w, "%s to %s: %zu bytes sent, not readable: %s",
				     pair_mode(p), p->l->addr, len,
				     err_str(-rc));
		}
		step(w, "close with unread data");
		close(first);
		if (!rc)
			rc = expect_eof(w, p, other, true,
					"EOF or reset after the peer's abort");
		close(other);
		break;
	case CLOSE_SHUTDOWN:
		step(w, "shutdown");
		if (shutdown(p->cfd, SHUT_WR)) {
			fail(w, "%s to %s: client shutdown: %s", pair_mode(p),
			     p->l->addr, strerror(errno));
			rc = -1;
		}
		if (!rc)
			rc = expect_eof(w, p, p->sfd, false,
					"EOF after the client's shutdown");
		if (!rc && shutdown(p->sfd, SHUT_WR)) {
			fail(w, "%s to %s: server shutdown: %s", pair_mode(p),
			     p->l->addr, strerror(errno));
			rc = -1;
		}
		if (!rc)
			rc = expect_eof(w, p, p->cfd, false,
					"EOF after the server's shutdown");
		fallthrough;
	case CLOSE_AT_ONCE:
		step(w, "close");
		if (smc_rand(&w->rnd) & 1) {
			close(p->cfd);
			close(p->sfd);
		} else {
			close(p->sfd);
			close(p->cfd);
		}
		break;
	case CLOSE_NR:
		break;
	}
	p->cfd = -1;
	p->sfd = -1;
	if (rc)
		return -1;
	STAT_INC(closes[how]);
	return 0;
}

/* ---- the threads ------------------------------------------------------------- */

struct dump_count {
	__u64 socks;
	__u64 dmb;
};

static int dump_one(const struct smc_diag_info *info, void *arg)
{
	struct dump_count *c = arg;

	c->socks++;
	if (info->has_dmb)
		c->dmb++;
	return 0;
}

/* smc_diag_dump_all() asks for CONNINFO, LGRINFO and DMBINFO */
static void *dumper_run(void *arg)
{
	struct worker *w = arg;
	int rc;

	while (!stopping()) {
		struct dump_count c = {};

		step(w, "sock_diag dump");
		rc = smc_diag_dump_all(dump_one, &c);
		if (rc < 0) {
			fail(w, "sock_diag dump: %s", strerror(-rc));
			break;
		}
		STAT_INC(dumps);
		STAT_ADD(dump_socks, c.socks);
		STAT_ADD(dump_dmb, c.dmb);
		progress(w);
	}
	worker_done(w);
	return NULL;
}

static void *churner_run(void *arg)
{
	struct worker *w = arg;
	struct pair p;
	__u64 i;

	for (i = 0; !stopping(); i++) {
		if (pair_open(w, &p, &lsn[i % n_lsn]))
			break;
		if (pair_classify(w, &p) ||
		    pair_xfer(w, &p, true, smc_rand_size(&w->rnd, MAX_XFER)) ||
		    pair_xfer(w, &p, false, smc_rand_size(&w->rnd, MAX_XFER))) {
			pair_abandon(&p);
			break;
		}
		if (pair_close(w, &p, smc_rand(&w->rnd) % CLOSE_NR))
			break;
		progress(w);
	}
	worker_done(w);
	return NULL;
}

static void *holder_run(void *arg)
{
	struct worker *w = arg;
	struct pair *p;
	int i, n = 0, round;

	p = calloc(opt.hold, sizeof(*p));
	if (!p) {
		fail(w, "out of memory");
		goto out;
	}
	for (round = 0; !stopping(); round++) {
		for (n = 0; n < opt.hold && !stopping();) {
			struct pair *q = &p[n++];

			if (pair_open(w, q, &lsn[(round + n) % n_lsn]) ||
			    pair_classify(w, q) ||
			    pair_xfer(w, q, true,
				      smc_rand_size(&w->rnd, HOLD_XFER)) ||
			    pair_xfer(w, q, false,
				      smc_rand_size(&w->rnd, HOLD_XFER)))
				goto out;
			progress(w);
		}
		step(w, "hold");
		usleep(smc_rand(&w->rnd) % (HOLD_MS + 1) * 1000);
		/* in the order of opening, or the other way round */
		for (i = 0; i < n; i++) {
			struct pair *q = &p[round % 2 ? n - 1 - i : i];

			if (pair_close(w, q, smc_rand(&w->rnd) % CLOSE_NR))
				goto out;
			progress(w);
		}
		n = 0;
	}
out:
	for (i = 0; i < n; i++)
		pair_abandon(&p[i]);
	free(p);
	worker_done(w);
	return NULL;
}

/* ---- set-up ----------------------------------------------------------------- */

static void die_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-t SECONDS] [-n HOLD] [-S STALL_SECONDS] [-s SEED]\n"
		"  -t  duration of the churn (default %d s)\n"
		"  -n  connections one thread holds open at once (default %d)\n"
		"  -S  a thread without progress for this long fails (default %d s)\n"
		"  -s  random seed (default SMC_TEST_SEED or a fixed one)\n",
		prog, opt.duration, opt.hold, opt.stall);
	exit(KSFT_FAIL);
}

static void parse_args(int argc, char **argv)
{
	int c;

	opt.seed = smc_seed_from_env(0x6368726e);
	while ((c = getopt(argc, argv, "t:n:S:s:h")) != -1) {
		switch (c) {
		case 't':
			opt.duration = atoi(optarg);
			break;
		case 'n':
			opt.hold = atoi(optarg);
			break;
		case 'S':
			opt.stall = atoi(optarg);
			break;
		case 's':
			opt.seed = strtoull(optarg, NULL, 0);
			break;
		default:
			die_usage(argv[0]);
		}
	}
	if (optind != argc || opt.duration < 1 || opt.hold < 1 ||
	    opt.hold > MAX_HOLD || opt.stall < 1)
		die_usage(argv[0]);
}

static void skip_if_unsupported(void)
{
	rlim_t need = 2 * opt.hold + 256;
	struct smcd_dev_info dev;
	struct rlimit rl;
	int err = 0, n;

	if (!smc_lib_af_smc_supported(AF_INET, &err))
		ksft_exit_skip("AF_SMC sockets not supported (%s): load the smc module\n",
			       strerror(err));
	if (smc_diag_check())
		ksft_exit_skip("%s\n", smc_lib_err);
	n = smc_lo_find(&dev);
	if (n < 0)
		ksft_exit_skip("cannot list SMC-D devices: %s\n", smc_lib_err);
	if (n == 0)
		ksft_exit_skip("no %s device: modprobe %s\n", SMC_LO_DEV_NAME,
			       SMC_LO_MODULE);
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < need) {
		rl.rlim_cur = need;
		if (rl.rlim_max < need)
			rl.rlim_max = need;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			ksft_exit_skip("cannot raise RLIMIT_NOFILE to %llu: %s\n",
				       (unsigned long long)need,
				       strerror(errno));
	}
}

static void start(void *(*fn)(void *), const char *name, int idx,
		  bool watched)
{
	struct worker *w = &workers[n_workers++];

	snprintf(w->name, sizeof(w->name), "%s %d", name, idx);
	w->idx = idx;
	w->watched = watched;
	w->rnd = opt.seed ^ ((__u64)n_workers << 32);
	w->doing = "start";
	w->last_ms = now_ms();
	errno = pthread_create(&w->tid, NULL, fn, w);
	if (errno)
		ksft_exit_fail_msg("pthread_create: %s\n", strerror(errno));
	w->started = true;
}

static bool all_watched_done(void)
{
	int i;

	for (i = 0; i < n_workers; i++)
		if (workers[i].watched &&
		    !__atomic_load_n(&workers[i].done, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

int main(int argc, char **argv)
{
	double t0, t_end, t_report;
	struct handover *h;
	pthread_condattr_t ca;
	int i, err = 0;

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	ksft_print_header();
	skip_if_unsupported();

	err = open_listener(&lsn[0]);
	if (err)
		ksft_exit_fail_msg("AF_SMC listener on %s: %s\n", lsn[0].addr,
				   smc_lib_err);
	n_lsn = 1;
	if (smc_lib_af_smc_supported(AF_INET6, &err))
		err = open_listener(&lsn[1]);
	else
		err = -err;
	if (err)
		ksft_print_msg("no AF_SMC listener on %s (%s): IPv4 only\n",
			       lsn[1].addr, strerror(-err));
	else
		n_lsn = 2;

	ksft_set_plan(N_TESTS);
	signal(SIGALRM, on_alarm);
	alarm(opt.duration + opt.stall + DRAIN_SECS);
	ksft_print_msg("%d s: %d dump threads, %d churn threads, 1 thread holding %d connections\n",
		       opt.duration, N_DUMPERS, N_CHURNERS, opt.hold);
	for (i = 0; i < n_lsn; i++)
		ksft_print_msg("AF_SMC listener on %s port %u\n", lsn[i].addr,
			       lsn[i].port);
	ksft_print_msg("seed 0x%llx, I/O timeouts %d s, stall limit %d s\n",
		       (unsigned long long)opt.seed, IO_SECS, opt.stall);

	if (pthread_condattr_init(&ca) ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&ho_cond, &ca))
		ksft_exit_fail_msg("pthread_cond_init failed\n");

	for (i = 0; i < n_lsn; i++)
		start(acceptor_run, "acceptor", i, false);
	for (i = 0; i < N_DUMPERS; i++)
		start(dumper_run, "dump", i, true);
	for (i = 0; i < N_CHURNERS; i++)
		start(churner_run, "churn", i, true);
	start(holder_run, "hold", 0, true);

	/* the watchdog, also while the threads finish */
	t0 = smc_now();
	t_end = t0 + opt.duration;
	t_report = t0 + REPORT_SECS;
	while (!all_watched_done()) {
		usleep(200 * 1000);
		if (smc_now() >= t_end)
			__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
		if (smc_now() >= t_report && !stopping()) {
			ksft_print_msg("%.0f s: dumps %llu, conns %llu, smcd %llu, max-dmb %llu\n",
				       smc_now() - t0,
				       (unsigned long long)STAT(dumps),
				       (unsigned long long)STAT(conns),
				       (unsigned long long)STAT(smcd),
				       (unsigned long long)STAT(max_dmb));
			t_report += REPORT_SECS;
		}
		check_stalls();
	}
	__atomic_store_n(&accept_stop, true, __ATOMIC_RELEASE);
	for (i = 0; i < n_workers; i++)
		pthread_join(workers[i].tid, NULL);
	alarm(0);

	/* accepted sockets no client took: only after a failure */
	while ((h = ho_list)) {
		ho_list = h->next;
		close(h->fd);
		free(h);
	}
	for (i = 0; i < n_lsn; i++)
		close(lsn[i].fd);

	ksft_print_msg("%.1f s, %llu sockets in the dumps, %d failures\n",
		       smc_now() - t0, (unsigned long long)STAT(dump_socks),
		       failures);
	print_summary();
	ksft_test_result(!failures,
			 "%d s of churn: data intact, no unexpected error or fallback, no thread stuck\n",
			 opt.duration);
	ksft_test_result(STAT(dumps) > 0 && STAT(dump_dmb) > 0,
			 "%llu sock_diag dumps with CONNINFO and DMBINFO, %llu sockets listed with DMBINFO\n",
			 (unsigned long long)STAT(dumps),
			 (unsigned long long)STAT(dump_dmb));
	ksft_test_result(STAT(conns) > 0 && STAT(smcd) > 0,
			 "%llu connections, %llu SMC-D, %llu fell back for want of DMBs\n",
			 (unsigned long long)STAT(conns),
			 (unsigned long long)STAT(smcd),
			 (unsigned long long)STAT(max_dmb));
	ksft_finished();
	return 0;
}
