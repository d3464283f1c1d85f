// SPDX-License-Identifier: GPL-2.0
/*
 * smc_bench: TCP vs SMC micro benchmarks over one host's loopback.
 *
 *   smc_bench [-T] [-6] bulk     [-t SECONDS] [-l MSGSIZE]
 *   smc_bench [-T] [-6] pingpong [-t SECONDS] [-l MSGSIZE]
 *   smc_bench [-T] [-6] connrate [-t SECONDS]
 *   smc_bench [-T] [-6] concurrent [-n CONNS]
 *
 * -T uses plain TCP sockets, the default is AF_SMC. Both ends run in this
 * process (a server thread and the client). Each run prints one line
 * "RESULT <test> <smc|tcp> <value> <unit> mode=<mode>"; the mode is what
 * sock_diag reported for the measured connection (SMC runs that did not
 * use SMC-D say so instead of silently measuring TCP). concurrent also
 * checks the SMC-D statistics: every connection must be counted as an
 * SMC-Dv2 connection on both ends. Exit status 1 on any error.
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

static void bench_bulk(void)
{
	size_t len = msgsize ? msgsize : 65536;
	struct sink s = {};
	pthread_t th;
	double t0, t;
	__u16 port;
	char *buf;
	int lfd, fd;
	const char *mode;

	lfd = listener(&port);
	fd = xconnect(port);
	s.fd = xaccept(lfd);
	mode = mode_of(fd);
	buf = calloc(1, len);
	if (!buf || pthread_create(&th, NULL, sink_thread, &s))
		die("setup");
	t0 = smc_now();
	do {
		if (write_all(fd, buf, len))
			die("write");
	} while ((t = smc_now()) - t0 < duration);
	shutdown(fd, SHUT_WR);
	pthread_join(th, NULL);
	t = smc_now() - t0;
	printf("RESULT bulk %s %.1f MB/s mode=%s msgsize=%zu bytes=%llu\n",
	       kind_str(), s.bytes / t / 1e6, mode, len, s.bytes);
	free(buf);
	close(fd);
	close(s.fd);
	close(lfd);
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

static void bench_pingpong(void)
{
	size_t len = msgsize ? msgsize : 14;
	unsigned long rounds = 0;
	char buf[65536] = "smc pingpong!";
	double t0, t;
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
	if (pthread_create(&th, NULL, echo_thread, &sfd))
		die("thread");
	t0 = smc_now();
	do {
		if (write_all(fd, buf, len) || read_all(fd, buf, len))
			die("pingpong");
		rounds++;
	} while ((t = smc_now()) - t0 < duration);
	shutdown(fd, SHUT_WR);
	pthread_join(th, NULL);
	printf("RESULT pingpong %s %.2f us mode=%s msgsize=%zu rounds=%lu\n",
	       kind_str(), (t - t0) / rounds * 1e6, mode, len, rounds);
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
	struct acceptor a = {};
	unsigned long n = 0;
	const char *mode = NULL;
	double t0, t;
	pthread_t th;
	__u16 port;
	char c = 'x';
	int fd;

	a.lfd = listener(&port);
	if (pthread_create(&th, NULL, acceptor_thread, &a))
		die("thread");
	t0 = smc_now();
	do {
		fd = xconnect(port);
		if (write_all(fd, &c, 1) || read_all(fd, &c, 1))
			die("connrate exchange");
		if (!mode)
			mode = mode_of(fd);
		close(fd);
		n++;
	} while ((t = smc_now()) - t0 < duration);
	shutdown(a.lfd, SHUT_RDWR);
	pthread_join(th, NULL);
	printf("RESULT connrate %s %.1f conn/s mode=%s conns=%lu\n",
	       kind_str(), n / (t - t0), mode, n);
	close(a.lfd);
}

/* concurrent: NCONNS connections open at once, each one used */

static void bench_concurrent(void)
{
	struct smcd_stats before = {}, after = {};
	struct rlimit rl = { 4 * nconns + 64, 4 * nconns + 64 };
	int *cfd, *sfd, lfd, i, smcd = 0, sampled = 0;
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
	printf("RESULT concurrent %s %d conns open=%.1fs", kind_str(), nconns,
	       smc_now() - t0);
	printf(" smcd_clients=%llu smcd_servers=%llu sampled_smcd=%d/%d\n",
	       after.clnt_v2_succ - before.clnt_v2_succ,
	       after.srv_v2_succ - before.srv_v2_succ, smcd, sampled);
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

	while ((c = getopt(argc, argv, "T6t:l:n:")) != -1) {
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
	else
		goto usage;
	return 0;
usage:
	fprintf(stderr, "usage: %s [-T] [-6] bulk|pingpong|connrate|concurrent\n"
		"       [-t SECONDS] [-l MSGSIZE] [-n CONNS]\n", argv[0]);
	return 2;
}
