// SPDX-License-Identifier: GPL-2.0
/*
 * smc_stress: many concurrent SMC-D connections over loopback-ism, all
 * moving data in both directions at once.
 *
 * CONNS (default 1000) AF_SMC connections to 127.0.0.1 (or ::1) are
 * opened by a few worker threads and kept open together. sock_diag must
 * show both ends of every connection in mode SMCD on the loopback device
 * (peer GID == local GID, each end's peer token the other end's DMB) and
 * no DMB token used twice. Then every connection carries BYTES in each
 * direction at the same time: random write and read sizes (1 byte ..
 * MAX_CHUNK), non-blocking sockets driven by the workers' epoll loops,
 * every byte checked against a pattern stream seeded per connection and
 * direction, EOF after the last byte; a connection is closed when both
 * its directions are done. Every second connection asks for small socket
 * buffers (SO_SNDBUF/SO_RCVBUF, -B), so that its DMBs wrap around many
 * times; the others get the default buffers. At the end no socket may be
 * left in sock_diag and the loopback link groups must have no connection
 * more than before (nothing leaked a connection).
 *
 * A global alarm bounds the run: a hang fails instead of keeping the
 * machine busy; a worker that sees no progress on any of its sockets for
 * STALL seconds reports which connections are stuck and how.
 *
 * -X CONN spoils one byte of that connection's client->server stream:
 * the run must then fail with exactly one mismatch (tests the checker).
 *
 * TAP output; exit 0 pass, 1 fail, 4 skip (no AF_SMC, no smc_diag, no
 * loopback-ism device, or not allowed to open enough files).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <linux/smc_diag.h>

#include "kselftest.h"
#include "smc_lib.h"

#define MAX_THREADS	64
#define N_TESTS		4
#define SHOW_MAX	10	/* failing connections printed in detail */
#define MAX_LGRS	64
#define SETTLE_SECS	60	/* for the sockets to go after close */

static struct {
	int conns;
	__u64 bytes;
	size_t max_chunk;
	int threads;
	int timeout;
	int stall;
	int small_buf;
	int family;
	const char *addr;
	enum smc_sock_kind kind;
	__u64 seed;
	int corrupt_conn;
} opt = {
	.conns = 1000,
	.bytes = 256 * 1024,
	.max_chunk = 256 * 1024,
	.threads = 4,
	.timeout = 480,
	.stall = 60,
	.small_buf = 16 * 1024,
	.family = AF_INET,
	.addr = "127.0.0.1",
	.kind = SMC_KIND_SMC,
	.seed = 0x73747265,
	.corrupt_conn = -1,
};

/* one socket of a connection: what it sends and what it receives */
struct end {
	struct conn *conn;
	int fd;
	__u64 inode;
	bool closed;		/* out of the epoll set */
	__u32 events;		/* current epoll mask */
	struct smc_stream tx, rx;
	struct smc_diag_info diag;
	bool has_diag;
};

struct conn {
	int id;
	bool open;
	bool failed;
	struct end end[2];	/* [0] client, [1] server */
};

static struct conn *conns;

/* worker w owns the connections i with i % threads == w */
struct worker {
	pthread_t tid;
	int idx;
	int ep;
	int opened;		/* connections it opened */
	int failed;		/* connections that failed */
	int stalled;		/* 1 if it gave up on a stall */
};

static pthread_barrier_t barrier;
static bool transfer_go;	/* set by main between the barriers */

/* ---- the global time bound ----------------------------------------------- */

/* what the test is doing, for the alarm handler */
static const char *phase = "setup";

static void set_phase(const char *name)
{
	__atomic_store_n(&phase, name, __ATOMIC_RELEASE);
}

static void put(const char *s)
{
	ssize_t rc = write(STDOUT_FILENO, s, strlen(s));

	(void)rc;
}

static void on_alarm(int sig)
{
	/* async-signal-safe: write() and kill() only */
	put("# smc_stress: global time bound exceeded during '");
	put(__atomic_load_n(&phase, __ATOMIC_ACQUIRE));
	put("': hung or far too slow\nBail out! timeout\n");
	/*
	 * Die of SIGKILL rather than exit(): with a fatal signal pending,
	 * close() does not wait for unsent data (up to 2 s a socket), so
	 * the connections go at once instead of pinning the device for
	 * the next test.
	 */
	kill(getpid(), SIGKILL);
}

/* ---- set-up ----------------------------------------------------------------- */

static void die_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-n CONNS] [-b BYTES[K|M]] [-m MAX_CHUNK[K|M]] [-j THREADS]\n"
		"          [-t SECONDS] [-S STALL_SECONDS] [-B SIZE] [-6] [-T] [-s SEED]\n"
		"          [-X CONN]\n"
		"  -n  concurrent connections (default %d)\n"
		"  -b  bytes per direction and connection (default %llu)\n"
		"  -m  largest write()/read() (default %zu)\n"
		"  -j  worker threads (default %d)\n"
		"  -t  global time bound (default %d s), -S stall limit (%d s)\n"
		"  -B  socket buffer size of every second connection (default\n"
		"      %d, 0: default buffers for all)\n"
		"  -T  plain TCP (for comparison), -6 IPv6 (::1)\n"
		"  -X  corrupt one byte of connection CONN (the run must fail)\n",
		prog, opt.conns, (unsigned long long)opt.bytes, opt.max_chunk,
		opt.threads, opt.timeout, opt.stall, opt.small_buf);
	exit(KSFT_FAIL);
}

static void parse_args(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "n:b:m:j:t:S:B:6Ts:X:h")) != -1) {
		switch (c) {
		case 'n':
			opt.conns = atoi(optarg);
			break;
		case 'b':
			opt.bytes = smc_parse_size(optarg);
			break;
		case 'm':
			opt.max_chunk = smc_parse_size(optarg);
			break;
		case 'j':
			opt.threads = atoi(optarg);
			break;
		case 't':
			opt.timeout = atoi(optarg);
			break;
		case 'S':
			opt.stall = atoi(optarg);
			break;
		case 'B':
			opt.small_buf = smc_parse_size(optarg);
			break;
		case '6':
			opt.family = AF_INET6;
			opt.addr = "::1";
			break;
		case 'T':
			opt.kind = SMC_KIND_TCP;
			break;
		case 's':
			opt.seed = strtoull(optarg, NULL, 0);
			break;
		case 'X':
			opt.corrupt_conn = atoi(optarg);
			break;
		default:
			die_usage(argv[0]);
		}
	}
	if (optind != argc || opt.conns < 1 || !opt.bytes ||
	    !opt.max_chunk || opt.threads < 1 || opt.threads > MAX_THREADS ||
	    opt.timeout < 1 || opt.stall < 1 || opt.small_buf < 0 ||
	    opt.corrupt_conn >= opt.conns)
		die_usage(argv[0]);
	if (opt.threads > opt.conns)
		opt.threads = opt.conns;
}

static void skip_if_unsupported(void)
{
	struct rlimit rl = {
		.rlim_cur = 2 * opt.conns + 256,
		.rlim_max = 2 * opt.conns + 256,
	};
	struct smcd_dev_info dev;
	int err = 0, n;

	if (setrlimit(RLIMIT_NOFILE, &rl))
		ksft_exit_skip("cannot raise RLIMIT_NOFILE to %llu: %s\n",
			       (unsigned long long)rl.rlim_cur,
			       strerror(errno));
	if (opt.kind == SMC_KIND_TCP)
		return;
	if (!smc_lib_af_smc_supported(opt.family, &err))
		ksft_exit_skip("AF_SMC sockets not supported (%s): load the smc module\n",
			       strerror(err));
	if (smc_diag_check())
		ksft_exit_skip("%s\n", smc_lib_err);
	n = smc_lo_find(&dev);
	if (n < 0)
		ksft_exit_skip("cannot list SMC-D devices: %s\n", smc_lib_err);
	if (n == 0 && !smc_lo_module_present())
		ksft_exit_skip("no %s device: modprobe %s\n", SMC_LO_DEV_NAME,
			       SMC_LO_MODULE);
}

/* connections registered on loopback link groups, or -errno */
static int lo_lgr_conns(void)
{
	struct smcd_lgr_info lgrs[MAX_LGRS];
	int i, n, sum = 0;

	n = smc_nl_get_lgr_smcd(lgrs, MAX_LGRS);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++)
		if (lgrs[i].chid == SMC_LO_CHID)
			sum += lgrs[i].conns_num;
	return sum;
}

/* ---- opening: each worker its share, on its own listeners ---------------- */

/* client->server and server->client patterns of connection i */
static void init_streams(struct conn *c)
{
	__u64 up = opt.seed ^ ((__u64)c->id << 1);
	struct end *cl = &c->end[0], *sv = &c->end[1];
	int k;

	smc_stream_init(&cl->tx, cl->fd, up, opt.bytes);
	smc_stream_init(&sv->rx, sv->fd, up, opt.bytes);
	smc_stream_init(&sv->tx, sv->fd, up ^ 1, opt.bytes);
	smc_stream_init(&cl->rx, cl->fd, up ^ 1, opt.bytes);
	for (k = 0; k < 2; k++) {
		c->end[k].tx.max_chunk = opt.max_chunk;
		c->end[k].rx.max_chunk = opt.max_chunk;
		/* receivers pick other sizes than their senders */
		c->end[k].rx.size_seed ^= 0xa5a5a5a5ULL;
	}
	if (c->id == opt.corrupt_conn)
		cl->tx.corrupt_at = opt.bytes / 2 + 1;
}

/* a socket with small buffers if size, set before listen() or connect() */
static int new_socket(int size, char *err, size_t len)
{
	int fd = smc_lib_socket(opt.kind, opt.family);

	if (fd < 0) {
		snprintf(err, len, "%s", smc_lib_err);
		return -1;
	}
	if (!size)
		return fd;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size))) {
		snprintf(err, len, "SO_SNDBUF/SO_RCVBUF %d: %s", size,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* connect + accept one connection; 0 or -1 with err set */
static int open_conn(struct conn *c, int lfd, __u16 port, int size,
		     char *err, size_t len)
{
	int cfd, sfd;

	cfd = new_socket(size, err, len);
	if (cfd < 0)
		return -1;
	if (smc_lib_connect_fd(cfd, opt.family, opt.addr, port)) {
		snprintf(err, len, "%s", smc_lib_err);
		close(cfd);
		return -1;
	}
	/* the backlog is short: accept each right away */
	sfd = smc_lib_accept(lfd, 30000);
	if (sfd < 0) {
		snprintf(err, len, "%s", smc_lib_err);
		close(cfd);
		return -1;
	}
	c->end[0].fd = cfd;
	c->end[1].fd = sfd;
	c->end[0].inode = smc_lib_inode(cfd);
	c->end[1].inode = smc_lib_inode(sfd);
	c->open = true;
	if (smc_lib_local_port(cfd) != smc_lib_peer_port(sfd)) {
		snprintf(err, len, "accepted another connection (ports %d, %d)",
			 smc_lib_local_port(cfd), smc_lib_peer_port(sfd));
		return -1;
	}
	init_streams(c);
	return 0;
}

/* [0] default buffers, [1] small ones (accepted sockets inherit them) */
static int open_share(struct worker *w)
{
	int lfd[2] = { -1, -1 }, i, k, n = 0;
	char err[256] = "";
	__u16 port[2];

	for (k = 0; k < 2; k++) {
		lfd[k] = new_socket(k ? opt.small_buf : 0, err, sizeof(err));
		if (lfd[k] < 0)
			goto out;
		if (smc_lib_bind_listen(lfd[k], opt.family, opt.addr, 0,
					&port[k])) {
			snprintf(err, sizeof(err), "%s", smc_lib_err);
			goto out;
		}
	}
	for (i = w->idx; i < opt.conns; i += opt.threads) {
		int small = opt.small_buf && i % 2;

		if (open_conn(&conns[i], lfd[small], port[small],
			      small ? opt.small_buf : 0, err, sizeof(err))) {
			ksft_print_msg("conn %d: %s\n", i, err);
			err[0] = 0;
			break;
		}
		n++;
	}
out:
	if (err[0])
		ksft_print_msg("worker %d: %s\n", w->idx, err);
	for (k = 0; k < 2; k++)
		if (lfd[k] >= 0)
			close(lfd[k]);
	return n;
}

/* ---- modes: one sock_diag dump for all sockets --------------------------- */

struct ino_ref {
	__u64 inode;
	struct end *end;
};

struct ino_map {
	struct ino_ref *refs;
	int n;
	int matched;
};

static int cmp_ino(const void *a, const void *b)
{
	const struct ino_ref *x = a, *y = b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

static int cmp_u64(const void *a, const void *b)
{
	const __u64 *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/* every end of the connections, sorted by inode */
static int ino_map_init(struct ino_map *map)
{
	int i, k;

	map->n = 0;
	map->refs = calloc(2 * opt.conns, sizeof(*map->refs));
	if (!map->refs)
		return -ENOMEM;
	for (i = 0; i < opt.conns; i++) {
		if (!conns[i].open)
			continue;
		for (k = 0; k < 2; k++) {
			map->refs[map->n].inode = conns[i].end[k].inode;
			map->refs[map->n].end = &conns[i].end[k];
			map->n++;
		}
	}
	qsort(map->refs, map->n, sizeof(*map->refs), cmp_ino);
	return 0;
}

static int diag_collect(const struct smc_diag_info *info, void *arg)
{
	struct ino_map *map = arg;
	struct ino_ref key = { .inode = info->inode }, *ref;

	ref = bsearch(&key, map->refs, map->n, sizeof(key), cmp_ino);
	if (ref && !ref->end->has_diag) {
		ref->end->diag = *info;
		ref->end->has_diag = true;
		map->matched++;
	}
	return 0;
}

/* why one connection is not SMC-D over loopback, NULL if it is */
static const char *conn_mode_error(struct conn *c)
{
	struct smc_diag_info *cd = &c->end[0].diag, *sd = &c->end[1].diag;

	if (!c->end[0].has_diag || !c->end[1].has_diag)
		return "not in the sock_diag dump";
	if (cd->mode != SMC_DIAG_MODE_SMCD || sd->mode != SMC_DIAG_MODE_SMCD)
		return "not SMC-D";
	if (!cd->has_dmb || !sd->has_dmb)
		return "no SMC_DIAG_DMBINFO";
	if (!cd->my_gid || cd->my_gid != cd->peer_gid ||
	    sd->my_gid != cd->my_gid || sd->peer_gid != cd->my_gid)
		return "GIDs are not the one loopback GID";
	if (!cd->token || !sd->token || cd->token == sd->token ||
	    cd->peer_token != sd->token || sd->peer_token != cd->token)
		return "DMB tokens of the two ends do not match";
	return NULL;
}

/* smallest and largest buffers of a class of connections */
struct buf_range {
	__u32 rmb_min, rmb_max, snd_min, snd_max;
};

static void buf_range_add(struct buf_range *r, const struct smc_diag_info *d)
{
	if (!d->has_conn)
		return;
	if (!r->rmb_max) {
		r->rmb_min = d->rmbe_size;
		r->snd_min = d->sndbuf_size;
	}
	r->rmb_min = d->rmbe_size < r->rmb_min ? d->rmbe_size : r->rmb_min;
	r->rmb_max = d->rmbe_size > r->rmb_max ? d->rmbe_size : r->rmb_max;
	r->snd_min = d->sndbuf_size < r->snd_min ? d->sndbuf_size :
						   r->snd_min;
	r->snd_max = d->sndbuf_size > r->snd_max ? d->sndbuf_size :
						   r->snd_max;
}

static bool check_modes(void)
{
	int i, k, bad = 0, fallback = 0, dup = 0, seen, ntok = 0;
	struct buf_range range[2] = {};
	struct ino_map map;
	__u64 *tokens;

	tokens = calloc(2 * opt.conns, sizeof(*tokens));
	if (!tokens || ino_map_init(&map))
		ksft_exit_fail_msg("out of memory\n");
	seen = smc_diag_dump_all(diag_collect, &map);
	if (seen < 0) {
		ksft_test_result_fail("sock_diag dump: %s\n", smc_lib_err);
		goto out;
	}

	for (i = 0; i < opt.conns; i++) {
		struct conn *c = &conns[i];
		const char *why = conn_mode_error(c);
		char line[256];

		if (!c->open)
			continue;
		for (k = 0; k < 2; k++) {
			struct smc_diag_info *d = &c->end[k].diag;

			fallback += c->end[k].has_diag &&
				    d->mode == SMC_DIAG_MODE_FALLBACK_TCP;
			buf_range_add(&range[opt.small_buf && i % 2], d);
			if (c->end[k].has_diag && d->token)
				tokens[ntok++] = d->token;
		}
		if (!why)
			continue;
		if (bad++ >= SHOW_MAX)
			continue;
		for (k = 0; k < 2; k++) {
			smc_diag_format(&c->end[k].diag, line, sizeof(line));
			ksft_print_msg("conn %d %s: %s: %s\n", i,
				       k ? "server" : "client", why,
				       c->end[k].has_diag ? line : "-");
		}
	}
	qsort(tokens, ntok, sizeof(*tokens), cmp_u64);
	for (i = 1; i < ntok; i++) {
		if (tokens[i] == tokens[i - 1] && dup++ < SHOW_MAX)
			ksft_print_msg("DMB token 0x%llx used twice\n",
				       (unsigned long long)tokens[i]);
	}
	ksft_print_msg("sock_diag: %d AF_SMC sockets, %d of our %d, %d fallback\n",
		       seen, map.matched, map.n, fallback);
	for (k = 0; k < 2; k++) {
		if (range[k].rmb_max)
			ksft_print_msg("%s buffers: DMB %u..%u bytes, send buffer %u..%u bytes\n",
				       k ? "small" : "default",
				       range[k].rmb_min, range[k].rmb_max,
				       range[k].snd_min, range[k].snd_max);
	}
	ksft_test_result(!bad && !dup,
			 "%d connections SMC-D over loopback on both ends, %d not, %d duplicate DMB tokens\n",
			 map.n / 2 - bad, bad, dup);
out:
	free(map.refs);
	free(tokens);
	return !bad && !dup;
}

/* ---- the transfer ------------------------------------------------------------- */

static bool end_done(const struct end *e)
{
	return e->tx.done >= e->tx.bytes && e->rx.eof;
}

/* stop watching an end; returns 1 if it was still watched */
static int end_unwatch(struct worker *w, struct end *e)
{
	if (e->closed)
		return 0;
	epoll_ctl(w->ep, EPOLL_CTL_DEL, e->fd, NULL);
	e->closed = true;
	return 1;
}

static void conn_close(struct conn *c)
{
	int k;

	for (k = 0; k < 2; k++) {
		if (c->end[k].fd >= 0)
			close(c->end[k].fd);
		c->end[k].fd = -1;
	}
}

/* a failed connection: unblock and drop both ends */
static int conn_fail(struct worker *w, struct conn *c)
{
	c->failed = true;
	w->failed++;
	shutdown(c->end[0].fd, SHUT_RDWR);
	shutdown(c->end[1].fd, SHUT_RDWR);
	return end_unwatch(w, &c->end[0]) + end_unwatch(w, &c->end[1]);
}

/* service one ready socket; returns the number of ends finished */
static int end_service(struct worker *w, struct end *e, __u32 ev,
		       char *buf, char *exp, bool *progress)
{
	struct conn *c = e->conn;
	__u32 want;
	int i, rc;

	if (e->closed)
		return 0;
	/* a few calls each, so that no socket starves the others */
	for (i = 0; i < 4 && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) &&
	     e->tx.done < e->tx.bytes; i++) {
		rc = smc_stream_send_step(&e->tx, buf);
		if (rc < 0)
			return conn_fail(w, c);
		if (!rc)
			break;
		*progress = true;
	}
	for (i = 0; i < 4 && (ev & (EPOLLIN | EPOLLERR | EPOLLHUP |
				   EPOLLRDHUP)) && !e->rx.eof; i++) {
		rc = smc_stream_recv_step(&e->rx, buf, exp);
		if (rc < 0)
			return conn_fail(w, c);
		if (!rc)
			break;
		*progress = true;
	}
	if (end_done(e)) {
		rc = end_unwatch(w, e);
		/* both directions complete: the application closes */
		if (c->end[0].closed && c->end[1].closed && !c->failed)
			conn_close(c);
		return rc;
	}
	want = (e->rx.eof ? 0 : EPOLLIN) |
	       (e->tx.done < e->tx.bytes ? EPOLLOUT : 0);
	if (want != e->events) {
		struct epoll_event nev = { .events = want, .data.ptr = e };

		epoll_ctl(w->ep, EPOLL_CTL_MOD, e->fd, &nev);
		e->events = want;
	}
	return 0;
}

static void report_stall(struct worker *w)
{
	int i, k, shown = 0;

	ksft_print_msg("worker %d: no progress for %d s, stuck connections:\n",
		       w->idx, opt.stall);
	for (i = w->idx; i < opt.conns && shown < SHOW_MAX;
	     i += opt.threads) {
		struct conn *c = &conns[i];
		char line[256];

		if (c->end[0].closed && c->end[1].closed)
			continue;
		shown++;
		for (k = 0; k < 2; k++) {
			struct end *e = &c->end[k];
			struct smc_diag_info d = {};

			line[0] = 0;
			if (opt.kind == SMC_KIND_SMC &&
			    smc_diag_query_fd(e->fd, &d) == 1)
				smc_diag_format(&d, line, sizeof(line));
			ksft_print_msg("  conn %d %s: tx %llu/%llu, rx %llu/%llu%s, state %u %s\n",
				       i, k ? "server" : "client",
				       (unsigned long long)e->tx.done,
				       (unsigned long long)e->tx.bytes,
				       (unsigned long long)e->rx.done,
				       (unsigned long long)e->rx.bytes,
				       e->rx.eof ? " + EOF" : "", d.state,
				       line);
		}
	}
}

static void transfer_share(struct worker *w)
{
	struct epoll_event evs[128];
	char *buf = malloc(opt.max_chunk), *exp = malloc(opt.max_chunk);
	double last = smc_now();
	int i, k, n, active = 0;

	if (!buf || !exp) {
		w->stalled = 1;
		ksft_print_msg("worker %d: out of memory\n", w->idx);
		goto out;
	}
	for (i = w->idx; i < opt.conns; i += opt.threads) {
		for (k = 0; k < 2; k++) {
			struct end *e = &conns[i].end[k];
			struct epoll_event ev = {
				.events = EPOLLIN | EPOLLOUT,
				.data.ptr = e,
			};

			if (epoll_ctl(w->ep, EPOLL_CTL_ADD, e->fd, &ev)) {
				ksft_print_msg("epoll_ctl: %s\n",
					       strerror(errno));
				w->stalled = 1;
				goto out;
			}
			e->events = ev.events;
			active++;
		}
	}
	while (active > 0) {
		bool progress = false;

		n = epoll_wait(w->ep, evs, 128, 1000);
		if (n < 0 && errno != EINTR) {
			ksft_print_msg("epoll_wait: %s\n", strerror(errno));
			w->stalled = 1;
			break;
		}
		for (i = 0; i < n; i++)
			active -= end_service(w, evs[i].data.ptr,
					      evs[i].events, buf, exp,
					      &progress);
		if (progress) {
			last = smc_now();
		} else if (smc_now() - last > opt.stall) {
			report_stall(w);
			w->stalled = 1;
			break;
		}
	}
out:
	free(buf);
	free(exp);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	int i;

	w->opened = open_share(w);
	pthread_barrier_wait(&barrier);		/* all open */
	pthread_barrier_wait(&barrier);		/* main checked them */
	if (__atomic_load_n(&transfer_go, __ATOMIC_ACQUIRE))
		transfer_share(w);
	for (i = w->idx; i < opt.conns; i += opt.threads)
		conn_close(&conns[i]);
	return NULL;
}

static bool transfer_result(struct worker *w, double dt)
{
	__u64 up = 0, down = 0, calls = 0;
	int i, t, failed = 0, corrupt = 0, stalled = 0, shown = 0;

	for (t = 0; t < opt.threads; t++)
		stalled += w[t].stalled;
	for (i = 0; i < opt.conns; i++) {
		struct conn *c = &conns[i];
		bool bad = c->failed;
		int k;

		up += c->end[1].rx.done;
		down += c->end[0].rx.done;
		for (k = 0; k < 2; k++) {
			calls += c->end[k].tx.calls + c->end[k].rx.calls;
			corrupt += c->end[k].rx.corrupt;
			if (!smc_stream_ok(&c->end[k].tx) ||
			    !smc_stream_ok(&c->end[k].rx) ||
			    !end_done(&c->end[k]))
				bad = true;
		}
		if (!bad)
			continue;
		failed++;
		if (shown++ >= SHOW_MAX)
			continue;
		for (k = 0; k < 2; k++) {
			struct end *e = &c->end[k];

			ksft_print_msg("conn %d %s: sent %llu, received %llu%s%s%s%s%s\n",
				       i, k ? "server" : "client",
				       (unsigned long long)e->tx.done,
				       (unsigned long long)e->rx.done,
				       e->rx.eof ? " + EOF" : "",
				       e->tx.msg[0] ? ", tx: " : "", e->tx.msg,
				       e->rx.msg[0] ? ", rx: " : "", e->rx.msg);
		}
	}
	ksft_print_msg("%d connections: %llu bytes client->server, %llu bytes server->client\n",
		       opt.conns, (unsigned long long)up,
		       (unsigned long long)down);
	ksft_print_msg("%llu send/recv calls, %.1f s with the closes (%.1f MiB/s)\n",
		       (unsigned long long)calls, dt,
		       dt > 0 ? (up + down) / dt / (1 << 20) : 0.0);
	ksft_print_msg("mismatches %d, failed connections %d, stalled workers %d\n",
		       corrupt, failed, stalled);
	ksft_test_result(!failed && !stalled &&
			 up == (__u64)opt.conns * opt.bytes &&
			 down == (__u64)opt.conns * opt.bytes,
			 "%d connections x %llu bytes both ways at once, data intact\n",
			 opt.conns, (unsigned long long)opt.bytes);
	return !failed && !stalled;
}

/* ---- after close: every socket and connection goes away --------------------- */

static int count_ours(const struct smc_diag_info *info, void *arg)
{
	struct ino_map *map = arg;
	struct ino_ref key = { .inode = info->inode };

	if (bsearch(&key, map->refs, map->n, sizeof(key), cmp_ino))
		map->matched++;
	return 0;
}

static void check_released(int lgr_conns_before)
{
	double t0 = smc_now();
	int rc, lgr_conns = 0;
	struct ino_map map;

	if (opt.kind == SMC_KIND_TCP) {
		ksft_test_result_skip("sockets released (plain TCP)\n");
		return;
	}
	if (ino_map_init(&map))
		ksft_exit_fail_msg("out of memory\n");
	/* orphaned sockets finish their close handshake on their own */
	for (;;) {
		map.matched = 0;
		rc = smc_diag_dump_all(count_ours, &map);
		if (rc >= 0) {
			lgr_conns = lo_lgr_conns();
			rc = lgr_conns;
		}
		if (rc < 0 || (!map.matched && lgr_conns <= lgr_conns_before))
			break;
		if (smc_now() - t0 > SETTLE_SECS)
			break;
		usleep(200 * 1000);
	}
	if (rc < 0) {
		ksft_test_result_fail("sock_diag / SMC_NETLINK_GET_LGR_SMCD: %s\n",
				      smc_lib_err);
	} else {
		ksft_print_msg("after close: %d sockets listed, %d connections on the link groups",
			       map.matched, lgr_conns);
		printf(" (%d before), %.1f s\n", lgr_conns_before,
		       smc_now() - t0);
		ksft_test_result(!map.matched &&
				 lgr_conns <= lgr_conns_before,
				 "all %d sockets released, no connection left on the link groups\n",
				 map.n);
	}
	free(map.refs);
}

int main(int argc, char **argv)
{
	struct worker w[MAX_THREADS] = {};
	int i, t, n = 0, lgr_conns = 0;
	bool ok;
	double t0;

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	ksft_print_header();
	skip_if_unsupported();
	ksft_set_plan(N_TESTS);

	signal(SIGALRM, on_alarm);
	alarm(opt.timeout);
	ksft_print_msg("%d connections, %llu bytes each way, writes and reads of 1..%zu bytes\n",
		       opt.conns, (unsigned long long)opt.bytes, opt.max_chunk);
	ksft_print_msg("%d threads, seed 0x%llx, small buffers %d, time bound %d s\n",
		       opt.threads, (unsigned long long)opt.seed,
		       opt.small_buf, opt.timeout);

	if (opt.kind == SMC_KIND_SMC) {
		lgr_conns = lo_lgr_conns();
		if (lgr_conns < 0)
			ksft_exit_fail_msg("SMC_NETLINK_GET_LGR_SMCD: %s\n",
					   smc_lib_err);
	}
	conns = calloc(opt.conns, sizeof(*conns));
	if (!conns || pthread_barrier_init(&barrier, NULL, opt.threads + 1))
		ksft_exit_fail_msg("out of memory\n");
	for (i = 0; i < opt.conns; i++) {
		conns[i].id = i;
		conns[i].end[0].conn = &conns[i];
		conns[i].end[1].conn = &conns[i];
		conns[i].end[0].fd = -1;
		conns[i].end[1].fd = -1;
	}

	set_phase("connect");
	t0 = smc_now();
	for (t = 0; t < opt.threads; t++) {
		w[t].idx = t;
		w[t].ep = epoll_create1(EPOLL_CLOEXEC);
		if (w[t].ep < 0 ||
		    pthread_create(&w[t].tid, NULL, worker_run, &w[t]))
			ksft_exit_fail_msg("worker %d: %s\n", t,
					   strerror(errno));
	}
	pthread_barrier_wait(&barrier);
	for (t = 0; t < opt.threads; t++)
		n += w[t].opened;
	ksft_print_msg("%d connections opened in %.1f s\n", n,
		       smc_now() - t0);
	ksft_test_result(n == opt.conns, "%d of %d connections open at once\n",
			 n, opt.conns);

	set_phase("sock_diag");
	if (opt.kind == SMC_KIND_SMC) {
		ok = check_modes();
	} else {
		ksft_test_result_skip("modes (plain TCP)\n");
		ok = true;
	}

	/* no data over connections that are not what they should be */
	__atomic_store_n(&transfer_go, n == opt.conns && ok, __ATOMIC_RELEASE);
	set_phase("transfer");
	t0 = smc_now();
	pthread_barrier_wait(&barrier);
	for (t = 0; t < opt.threads; t++) {
		pthread_join(w[t].tid, NULL);
		close(w[t].ep);
	}
	if (transfer_go)
		transfer_result(w, smc_now() - t0);
	else
		ksft_test_result_fail("transfer not started\n");

	set_phase("close");
	check_released(lgr_conns);
	alarm(0);
	free(conns);
	ksft_finished();
	return 0;
}
