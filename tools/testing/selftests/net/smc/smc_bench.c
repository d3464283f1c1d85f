// SPDX-License-Identifier: GPL-2.0
/*
 * smc_bench: TCP vs SMC micro benchmarks over one host's loopback.
 *
 *   smc_bench [-T] [-6] bulk     [-t SECONDS] [-l MSGSIZE] [-p STREAMS]
 *   smc_bench [-T] [-6] pingpong [-t SECONDS] [-l MSGSIZE]
 *   smc_bench [-T] [-6] connrate [-t SECONDS]
 *   smc_bench [-T] [-6] concurrent [-n CONNS]
 *   smc_bench memcpy [-t SECONDS] [-l BLOCKSIZE]
 *
 * -T uses plain TCP sockets, the default is AF_SMC. Both ends run in this
 * process (server threads and the client). Each run prints one line
 * "RESULT <test> <smc|tcp> <value> <unit> mode=<mode> ..."; the mode is what
 * sock_diag reported for the measured connections (SMC runs that did not
 * use SMC-D say so instead of silently measuring TCP). pingpong reports the
 * median round trip and its 99th percentile; connrate and concurrent also
 * check the SMC-D statistics: every connection must be counted as an
 * SMC-Dv2 connection on both ends. memcpy measures the copy bandwidth of
 * the machine, the ceiling for any loopback transport. Exit status 1 on any
 * error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "smc_lib.h"

static enum smc_sock_kind kind = SMC_KIND_SMC;
static int family = AF_INET;
static const char *addr = "127.0.0.1";
static double duration = 5;
static size_t msgsize;
static int nconns = 5000;
static int nstreams = 1;

static void die(const char *what)
{
	fprintf(stderr, "smc_bench: %s: %s\n", what,
		smc_lib_err[0] ? smc_lib_err : strerror(errno));
	exit(1);
}

static const char *kind_str(void)
{
	return kind == SMC_KIND_SMC ? "smc" : "tcp";
}

static const char *mode_of(int fd)
{
	struct smc_diag_info info = {};

	if (kind == SMC_KIND_TCP)
		return "TCP";
	if (smc_diag_query_fd(fd, &info) <= 0)
		return "UNKNOWN";
	return smc_mode_str(info.mode);
}

static int listener(__u16 *port)
{
	int fd = smc_lib_listen(kind, family, addr, 0, port);

	if (fd < 0)
		die("listen");
	return fd;
}

static int xconnect(__u16 port)
{
	int fd = smc_lib_connect(kind, family, addr, port);

	if (fd < 0)
		die("connect");
	return fd;
}

static int xaccept(int lfd)
{
	int fd = smc_lib_accept(lfd, 30000);

	if (fd < 0)
		die("accept");
	return fd;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

static int read_all(int fd, char *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/* bulk: one stream, MSGSIZE writes, receiver counts bytes */

struct sink {
	int fd;
	unsigned long long bytes;
};

static void *sink_thread(void *arg)
{
	struct sink *s = arg;
	size_t len = 1 << 20;
	char *buf = malloc(len);
	ssize_t n;

	if (!buf)
		return NULL;
	while ((n = read(s->fd, buf, len)) > 0)
		s->bytes += n;
	free(buf);
	return NULL;
}

struct source {
	int fd;
	size_t len;
	double t0;
	pthread_t th;
	struct sink sink;
};

static void *source_thread(void *arg)
{
	struct source *s = arg;
	char *buf = calloc(1, s->len);

	if (!buf)
		die("calloc");
	do {
		if (write_all(s->fd, buf, s->len))
			die("write");
	} while (smc_now() - s->t0 < duration);
	shutdown(s->fd, SHUT_WR);
	free(buf);
	return NULL;
}

/* bulk: STREAMS connections at once, each a writer and a reader thread */
static void bench_bulk(void)
{
	size_t len = msgsize ? msgsize : 65536;
	unsigned long long bytes = 0;
	const char *mode = NULL;
	struct source *src;
	pthread_t *sinks;
	double t0, t;
	__u16 port;
	int lfd, i;

	src = calloc(nstreams, sizeof(*src));
	sinks = calloc(nstreams, sizeof(*sinks));
	if (!src || !sinks)
		die("calloc");
	lfd = listener(&port);
	for (i = 0; i < nstreams; i++) {
		src[i].fd = xconnect(port);
		src[i].sink.fd = xaccept(lfd);
		src[i].len = len;
		/* all streams must be SMC-D for the run to say so */
		if (!mode || strcmp(mode, mode_of(src[i].fd)))
			mode = i ? "MIXED" : mode_of(src[i].fd);
	}
	t0 = smc_now();
	for (i = 0; i < nstreams; i++) {
		src[i].t0 = t0;
		if (pthread_create(&sinks[i], NULL, sink_thread, &src[i].sink) ||
		    pthread_create(&src[i].th, NULL, source_thread, &src[i]))
			die("thread");
	}
	for (i = 0; i < nstreams; i++) {
		pthread_join(src[i].th, NULL);
		pthread_join(sinks[i], NULL);
		bytes += src[i].sink.bytes;
	}
	t = smc_now() - t0;
	printf("RESULT bulk %s %.1f MB/s mode=%s msgsize=%zu streams=%d bytes=%llu\n",
	       kind_str(), bytes / t / 1e6, mode, len, nstreams, bytes);
	for (i = 0; i < nstreams; i++) {
		close(src[i].fd);
		close(src[i].sink.fd);
	}
	close(lfd);
	free(src);
	free(sinks);
}

/* memcpy: the copy bandwidth between two buffers larger than the caches
 * of most guests, in BLOCKSIZE pieces
 */
static void bench_memcpy(void)
{
	size_t len = msgsize ? msgsize : 65536, total = 64 << 20, off = 0;
	unsigned long long bytes = 0;
	char *src = malloc(total), *dst = malloc(total);
	double t0, t;

	if (!src || !dst || len > total)
		die("memcpy buffers");
	memset(src, 0x5a, total);
	memset(dst, 0, total);
	t0 = smc_now();
	do {
		memcpy(dst + off, src + off, len);
		bytes += len;
		off += len;
		if (off + len > total)
			off = 0;
	} while ((t = smc_now()) - t0 < duration);
	printf("RESULT memcpy local %.1f MB/s mode=memcpy blocksize=%zu check=%d\n",
	       bytes / (t - t0) / 1e6, len, dst[len - 1]);
	free(src);
	free(dst);
}

/* pingpong: MSGSIZE request, MSGSIZE reply, one at a time */

static void *echo_thread(void *arg)
{
	int fd = *(int *)arg;
	char buf[65536];
	size_t len = msgsize ? msgsize : 14;

	while (!read_all(fd, buf, len))
		if (write_all(fd, buf, len))
			break;
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void bench_pingpong(void)
{
	size_t len = msgsize ? msgsize : 14;
	unsigned long rounds = 0, max = 1 << 16;
	char buf[65536] = "smc pingpong!";
	double t0, t, r0, *rtt;
	pthread_t th;
	__u16 port;
	int lfd, fd, sfd;
	const char *mode;

	if (len > sizeof(buf))
		die("message size too large");
	lfd = listener(&port);
	fd = xconnect(port);
	sfd = xaccept(lfd);
	mode = mode_of(fd);
	rtt = malloc(max * sizeof(*rtt));
	if (!rtt || pthread_create(&th, NULL, echo_thread, &sfd))
		die("thread");
	t0 = smc_now();
	t = t0;
	do {
		r0 = t;
		if (write_all(fd, buf, len) || read_all(fd, buf, len))
			die("pingpong");
		t = smc_now();
		if (rounds == max) {
			max *= 2;
			rtt = realloc(rtt, max * sizeof(*rtt));
			if (!rtt)
				die("realloc");
		}
		rtt[rounds++] = t - r0;
	} while (t - t0 < duration);
	shutdown(fd, SHUT_WR);
	pthread_join(th, NULL);
	qsort(rtt, rounds, sizeof(*rtt), cmp_double);
	printf("RESULT pingpong %s %.2f us mode=%s msgsize=%zu rounds=%lu p99=%.2f mean=%.2f\n",
	       kind_str(), rtt[rounds / 2] * 1e6, mode, len, rounds,
	       rtt[rounds * 99 / 100] * 1e6, (t - t0) / rounds * 1e6);
	free(rtt);
	close(fd);
	close(sfd);
	close(lfd);
}

/* connrate: connect, one byte each way, close; as many as fit */

struct acceptor {
	int lfd;
	unsigned long n;
};

static void *acceptor_thread(void *arg)
{
	struct acceptor *a = arg;
	char c;
	int fd;

	for (;;) {
		fd = smc_lib_accept(a->lfd, 5000);
		if (fd < 0)
			break;
		if (read_all(fd, &c, 1) || write_all(fd, &c, 1)) {
			close(fd);
			break;
		}
		/* wait for the client's close, then close: full teardown */
		read(fd, &c, 1);
		close(fd);
		a->n++;
	}
	return NULL;
}

static void bench_connrate(void)
{
	struct smcd_stats before = {}, after = {};
	struct acceptor a = {};
	unsigned long n = 0;
	double t_conn = 0, t_xchg = 0, t_close = 0, t1, t2;
	const char *mode = NULL;
	double t0, t;
	pthread_t th;
	__u16 port;
	char c = 'x';
	int fd;

	if (kind == SMC_KIND_SMC && smc_nl_get_stats(&before))
		die("SMC statistics");
	a.lfd = listener(&port);
	if (pthread_create(&th, NULL, acceptor_thread, &a))
		die("thread");
	t0 = smc_now();
	t = t0;
	do {
		/* where the time goes: connect, first exchange, close */
		fd = xconnect(port);
		t1 = smc_now();
		if (write_all(fd, &c, 1) || read_all(fd, &c, 1))
			die("connrate exchange");
		t2 = smc_now();
		if (!mode)
			mode = mode_of(fd);
		close(fd);
		n++;
		t_conn += t1 - t;
		t_xchg += t2 - t1;
		t = smc_now();
		t_close += t - t2;
	} while (t - t0 < duration);
	shutdown(a.lfd, SHUT_RDWR);
	pthread_join(th, NULL);
	if (kind == SMC_KIND_SMC && smc_nl_get_stats(&after))
		die("SMC statistics");
	/* every connection, not just the first, must have been SMC-D */
	if (kind == SMC_KIND_SMC &&
	    (after.clnt_v2_succ - before.clnt_v2_succ != n ||
	     after.srv_v2_succ - before.srv_v2_succ != n))
		mode = "MIXED";
	printf("RESULT connrate %s %.1f conn/s mode=%s conns=%lu",
	       kind_str(), n / (t - t0), mode, n);
	printf(" smcd_clients=%llu smcd_servers=%llu",
	       after.clnt_v2_succ - before.clnt_v2_succ,
	       after.srv_v2_succ - before.srv_v2_succ);
	printf(" connect_us=%.1f exchange_us=%.1f close_us=%.1f\n",
	       t_conn / n * 1e6, t_xchg / n * 1e6, t_close / n * 1e6);
	close(a.lfd);
}

/* concurrent: NCONNS connections open at once, each one used */

static void bench_concurrent(void)
{
	struct smcd_stats before = {}, after = {};
	struct rlimit rl = { 4 * nconns + 64, 4 * nconns + 64 };
	int *cfd, *sfd, lfd, i, smcd = 0, sampled = 0;
	unsigned long long clients, servers;
	const char *mode;
	double t0;
	__u16 port;
	char c;

	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit RLIMIT_NOFILE");
	cfd = calloc(nconns, sizeof(int));
	sfd = calloc(nconns, sizeof(int));
	if (!cfd || !sfd)
		die("calloc");
	if (kind == SMC_KIND_SMC && smc_nl_get_stats(&before))
		die("SMC statistics");
	lfd = smc_lib_listen(kind, family, addr, 0, &port);
	if (lfd < 0)
		die("listen");
	t0 = smc_now();
	for (i = 0; i < nconns; i++) {
		/* the backlog is small: accept right away */
		cfd[i] = xconnect(port);
		sfd[i] = xaccept(lfd);
		c = (char)i;
		if (write_all(cfd[i], &c, 1) || read_all(sfd[i], &c, 1) ||
		    c != (char)i)
			die("concurrent exchange");
	}
	/* all open now: every one still works */
	for (i = 0; i < nconns; i++) {
		c = (char)~i;
		if (write_all(sfd[i], &c, 1) || read_all(cfd[i], &c, 1) ||
		    c != (char)~i)
			die("concurrent exchange back");
		if (kind == SMC_KIND_SMC && i % (nconns / 50 + 1) == 0) {
			sampled++;
			smcd += !strcmp(mode_of(cfd[i]), "SMCD");
		}
	}
	if (kind == SMC_KIND_SMC && smc_nl_get_stats(&after))
		die("SMC statistics");
	clients = after.clnt_v2_succ - before.clnt_v2_succ;
	servers = after.srv_v2_succ - before.srv_v2_succ;
	mode = "TCP";
	if (kind == SMC_KIND_SMC)
		mode = clients == nconns && servers == nconns &&
		       smcd == sampled ? "SMCD" : "MIXED";
	printf("RESULT concurrent %s %d conns mode=%s open=%.1fs",
	       kind_str(), nconns, mode, smc_now() - t0);
	printf(" smcd_clients=%llu smcd_servers=%llu sampled_smcd=%d/%d\n",
	       clients, servers, smcd, sampled);
	for (i = 0; i < nconns; i++) {
		close(cfd[i]);
		close(sfd[i]);
	}
	close(lfd);
}

int main(int argc, char **argv)
{
	const char *test;
	int c;

	while ((c = getopt(argc, argv, "T6t:l:n:p:")) != -1) {
		switch (c) {
		case 'T':
			kind = SMC_KIND_TCP;
			break;
		case '6':
			family = AF_INET6;
			addr = "::1";
			break;
		case 't':
			duration = atof(optarg);
			break;
		case 'l':
			msgsize = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			nconns = atoi(optarg);
			break;
		case 'p':
			nstreams = atoi(optarg);
			if (nstreams < 1)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	test = argv[optind];
	if (!strcmp(test, "bulk"))
		bench_bulk();
	else if (!strcmp(test, "pingpong"))
		bench_pingpong();
	else if (!strcmp(test, "connrate"))
		bench_connrate();
	else if (!strcmp(test, "concurrent"))
		bench_concurrent();
	else if (!strcmp(test, "memcpy"))
		bench_memcpy();
	else
		goto usage;
	return 0;
usage:
	fprintf(stderr, "usage: %s [-T] [-6] bulk|pingpong|connrate|concurrent|memcpy\n"
		"       [-t SECONDS] [-l MSGSIZE] [-n CONNS] [-p STREAMS]\n",
		argv[0]);
	return 2;
}
