// SPDX-License-Identifier: GPL-2.0
/*
 * smc_peer: one end of AF_SMC test connections, for the shell selftests.
 *
 * The server accepts N connections, the client opens N; every connection
 * then carries a verifiable pattern stream in both directions at once.
 * Each end prints, per connection, the mode sock_diag reports for its
 * socket and the result of the transfer, and checks the mode against -e
 * (SMC-D, SMC-D over loopback-ism, SMC-R, TCP fallback) or -F (a TCP
 * fallback with this decline reason, e.g. 0x03030000 SMC_CLC_DECL_NOSMCDEV,
 * as the local fallback reason or as the peer's diagnosis).
 * Both ends can run on different hosts: -a is the server's bind address
 * (0.0.0.0 or :: for any) and the address the client connects to.
 * For fault tests an end can instead receive until EOF before it sends
 * (-H, the peer half-closes first) or close every connection abortively
 * (SO_LINGER 0) in the middle of the transfer (-R).
 *
 * Exit status: 0 all connections as expected, 1 wrong mode, corrupted data
 * or other test failure, 2 usage, 3 a connection failed or was aborted
 * (error from send/recv/connect, or EOF before the expected bytes), 4 skip
 * (AF_SMC or AF_SMC sock_diag not available).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/smc_diag.h>

#include "smc_lib.h"

#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2
#define EXIT_CONN	3
#define EXIT_SKIP	4

#define MAX_CONNS	256

enum expect {
	EXPECT_ANY, EXPECT_SMCD, EXPECT_LOOPBACK, EXPECT_SMCR, EXPECT_TCP,
};

static struct {
	bool server;
	int family;
	const char *addr;
	int port;
	enum smc_sock_kind kind;
	int conns;
	__u64 bytes;
	int duration;
	enum expect expect;
	bool fallback_set;	/* -F */
	__u32 fallback_code;
	bool family_set;	/* -4 or -6 given */
	const char *ready_file;
	int wait;
	__u64 seed;
	bool half;		/* receive until EOF, then send */
	bool graceful;		/* -G: end on the peer's EOF */
	double abort_after;	/* close with SO_LINGER 0 after this (s) */
	__u64 corrupt_at;	/* spoil the sent byte at this offset - 1 */
} opt = {
	.family = AF_INET,
	.kind = SMC_KIND_SMC,
	.conns = 1,
	.bytes = 1 << 20,
	.wait = 30,
	.seed = 0x70656572,
};

struct conn {
	int fd;
	int id;
	int client_port;	/* identifies the connection on both ends */
	int result;
	struct smc_stream tx, rx;
	pthread_t ttx, trx;
};

static const char *role(void)
{
	return opt.server ? "server" : "client";
}

static void die_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s server|client [-4|-6] [-a ADDR] -p PORT [-T] [-n CONNS]\n"
		"          [-b BYTES[K|M|G] | -d SECONDS]\n"
		"          [-e any|smcd|loopback|smcr|tcp] [-F CODE]\n"
		"          [-r READY_FILE] [-w SECONDS] [-s SEED] [-H] [-R SECONDS]\n"
		"          [-X OFFSET] [-G]\n"
		"  -a  server: address to bind (0.0.0.0 or :: for any), client:\n"
		"      address to connect to (default 127.0.0.1 or ::1; an\n"
		"      IPv6 address implies -6, fe80::1%%eth0 for link-local)\n"
		"  -T  plain TCP socket instead of AF_SMC\n"
		"  -b  bytes per direction and connection (default 1M)\n"
		"  -d  stream for SECONDS instead, receiver verifies until EOF\n"
		"  -e  mode every connection must have (loopback: SMCD with\n"
		"      peer GID == local GID)\n"
		"  -F  every connection must be a TCP fallback (implies -e tcp)\n"
		"      with fallback reason CODE (hex or decimal) on this end,\n"
		"      or with peer diagnosis CODE\n"
		"  -r  server: create READY_FILE once listening\n"
		"  -w  client: retry refused connects, server: accept timeout\n"
		"  -H  receive until EOF before sending (the peer half-closes)\n"
		"  -R  after SECONDS close every connection with SO_LINGER 0\n"
		"      (reset) in the middle of the transfer\n"
		"  -X  spoil the byte at OFFSET of every stream sent (the peer\n"
		"      must report a mismatch)\n"
		"  -G  both ways done: shutdown(SHUT_WR), then wait up to -w\n"
		"      seconds for the peer's EOF before closing (both ends: a\n"
		"      peer exiting right after cannot lose data in flight)\n"
		"exit: 0 ok, 1 failure, 2 usage, 3 connection error, 4 skip\n",
		prog);
	exit(EXIT_USAGE);
}

static void parse_args(int argc, char **argv)
{
	int c;

	if (argc < 2)
		die_usage(argv[0]);
	if (!strcmp(argv[1], "server"))
		opt.server = true;
	else if (strcmp(argv[1], "client"))
		die_usage(argv[0]);
	optind = 2;
	while ((c = getopt(argc, argv, "46a:p:Tn:b:d:e:F:r:w:s:HR:X:G")) != -1) {
		switch (c) {
		case '4':
			opt.family = AF_INET;
			opt.family_set = true;
			break;
		case '6':
			opt.family = AF_INET6;
			opt.family_set = true;
			break;
		case 'a':
			opt.addr = optarg;
			break;
		case 'p':
			opt.port = atoi(optarg);
			break;
		case 'T':
			opt.kind = SMC_KIND_TCP;
			break;
		case 'n':
			opt.conns = atoi(optarg);
			break;
		case 'b':
			opt.bytes = smc_parse_size(optarg);
			break;
		case 'd':
			opt.duration = atoi(optarg);
			break;
		case 'e':
			if (!strcmp(optarg, "any"))
				opt.expect = EXPECT_ANY;
			else if (!strcmp(optarg, "smcd"))
				opt.expect = EXPECT_SMCD;
			else if (!strcmp(optarg, "loopback"))
				opt.expect = EXPECT_LOOPBACK;
			else if (!strcmp(optarg, "smcr"))
				opt.expect = EXPECT_SMCR;
			else if (!strcmp(optarg, "tcp"))
				opt.expect = EXPECT_TCP;
			else
				die_usage(argv[0]);
			break;
		case 'F': {
			unsigned long long v;
			char *end;

			errno = 0;
			v = strtoull(optarg, &end, 0);
			if (!*optarg || *end || errno || v > 0xffffffffULL)
				die_usage(argv[0]);
			opt.fallback_set = true;
			opt.fallback_code = v;
			break;
		}
		case 'r':
			opt.ready_file = optarg;
			break;
		case 'w':
			opt.wait = atoi(optarg);
			break;
		case 's':
			opt.seed = strtoull(optarg, NULL, 0);
			break;
		case 'H':
			opt.half = true;
			break;
		case 'G':
			opt.graceful = true;
			break;
		case 'R':
			opt.abort_after = atof(optarg);
			break;
		case 'X':
			opt.corrupt_at = smc_parse_size(optarg) + 1;
			break;
		default:
			die_usage(argv[0]);
		}
	}
	if (optind != argc || opt.port <= 0 || opt.port > 65535 ||
	    opt.conns < 1 || opt.conns > MAX_CONNS || opt.abort_after < 0 ||
	    (opt.abort_after && (opt.half || opt.duration)) ||
	    (opt.fallback_set && (opt.kind == SMC_KIND_TCP ||
				  (opt.expect != EXPECT_ANY &&
				   opt.expect != EXPECT_TCP))))
		die_usage(argv[0]);
	/* -a 2001:db8::1 without -6 */
	if (opt.addr && !opt.family_set && strchr(opt.addr, ':'))
		opt.family = AF_INET6;
	if (!opt.addr)
		opt.addr = opt.family == AF_INET6 ? "::1" : "127.0.0.1";
}

/* print the mode of a connection and check it against -e */
static int check_mode(struct conn *c)
{
	struct smc_diag_info di;
	char line[256];
	bool ok = true;
	int rc;

	if (opt.kind == SMC_KIND_TCP) {
		printf("smc_peer: %s conn %d port %d: mode TCP (plain socket)\n",
		       role(), c->id, c->client_port);
		return EXIT_OK;
	}
	rc = smc_diag_query_fd(c->fd, &di);
	if (rc != 1) {
		printf("smc_peer: %s conn %d port %d: no sock_diag entry: %s\n",
		       role(), c->id, c->client_port, smc_lib_err);
		return opt.expect == EXPECT_ANY && !opt.fallback_set ?
		       EXIT_OK : EXIT_FAIL;
	}
	smc_diag_format(&di, line, sizeof(line));
	printf("smc_peer: %s conn %d port %d: %s\n", role(), c->id,
	       c->client_port, line);

	switch (opt.expect) {
	case EXPECT_ANY:
		break;
	case EXPECT_SMCD:
		ok = di.mode == SMC_DIAG_MODE_SMCD;
		break;
	case EXPECT_LOOPBACK:
		ok = di.mode == SMC_DIAG_MODE_SMCD && di.has_dmb &&
		     di.my_gid && di.my_gid == di.peer_gid;
		break;
	case EXPECT_SMCR:
		ok = di.mode == SMC_DIAG_MODE_SMCR;
		break;
	case EXPECT_TCP:
		ok = di.mode == SMC_DIAG_MODE_FALLBACK_TCP;
		break;
	}
	if (!ok) {
		printf("smc_peer: %s conn %d: FAIL: unexpected mode\n", role(),
		       c->id);
		return EXIT_FAIL;
	}
	if (opt.fallback_set &&
	    (di.mode != SMC_DIAG_MODE_FALLBACK_TCP || !di.has_fallback ||
	     (di.fallback_rsn != opt.fallback_code &&
	      di.peer_diagnosis != opt.fallback_code))) {
		printf("smc_peer: %s conn %d: FAIL: no TCP fallback with reason 0x%08x\n",
		       role(), c->id, opt.fallback_code);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int open_client(struct conn *c)
{
	double deadline = smc_now() + opt.wait;
	int fd, rc;

	for (;;) {
		fd = smc_lib_socket(opt.kind, opt.family);
		if (fd < 0) {
			printf("smc_peer: client conn %d: %s\n", c->id,
			       smc_lib_err);
			return EXIT_FAIL;
		}
		rc = smc_lib_connect_fd(fd, opt.family, opt.addr, opt.port);
		if (!rc)
			break;
		close(fd);
		if ((rc != -ECONNREFUSED && rc != -EHOSTUNREACH &&
		     rc != -ENETUNREACH) || smc_now() > deadline) {
			printf("smc_peer: client conn %d: %s\n", c->id,
			       smc_lib_err);
			return EXIT_CONN;
		}
		usleep(100 * 1000);
	}
	c->fd = fd;
	c->client_port = smc_lib_local_port(fd);
	return EXIT_OK;
}

static int open_server(int lfd, struct conn *c)
{
	c->fd = smc_lib_accept(lfd, opt.wait * 1000);
	if (c->fd < 0) {
		printf("smc_peer: server conn %d: %s\n", c->id, smc_lib_err);
		return EXIT_CONN;
	}
	c->client_port = smc_lib_peer_port(c->fd);
	return EXIT_OK;
}

static int worse(int a, int b)
{
	/* a test failure outranks a connection error */
	if (a == EXIT_FAIL || b == EXIT_FAIL)
		return EXIT_FAIL;
	return a ? a : b;
}

static void init_streams(struct conn *c, double deadline)
{
	/* client->server and server->client patterns of this connection */
	__u64 up = opt.seed ^ ((__u64)c->client_port << 1);
	__u64 down = up ^ 1;

	smc_stream_init(&c->tx, c->fd, opt.server ? down : up, opt.bytes);
	smc_stream_init(&c->rx, c->fd, opt.server ? up : down, opt.bytes);
	c->tx.corrupt_at = opt.corrupt_at;
	if (opt.graceful) {
		/* no EOF until both ways are done, see await_peer_eof() */
		c->tx.shut_wr = false;
		c->rx.expect_eof = false;
	}
	if (opt.duration) {
		c->tx.deadline = deadline;
		c->rx.until_eof = true;
	}
	if (opt.conns > 4 || opt.abort_after) {
		c->tx.max_chunk = 256 * 1024;
		c->rx.max_chunk = 256 * 1024;
	}
}

/* -H: the whole stream in, then ours out */
static void *recv_then_send(void *arg)
{
	struct conn *c = arg;

	smc_stream_recv(&c->rx);
	if (smc_stream_ok(&c->rx))
		smc_stream_send(&c->tx);
	return NULL;
}

static void start_streams(struct conn *c, double deadline)
{
	int rc;

	init_streams(c, deadline);
	if (opt.half)
		rc = pthread_create(&c->trx, NULL, recv_then_send, c);
	else
		rc = pthread_create(&c->ttx, NULL, smc_stream_send, &c->tx) ||
		     pthread_create(&c->trx, NULL, smc_stream_recv, &c->rx);
	if (rc) {
		fprintf(stderr, "smc_peer: pthread_create failed\n");
		exit(EXIT_FAIL);
	}
}

/*
 * -R: stream in both directions from one poll() loop (no thread is ever
 * blocked on a socket), then close every connection with SO_LINGER 0.
 */
static int abort_streams(struct conn *conns, int n)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	double end = smc_now() + opt.abort_after;
	char *buf = malloc(256 * 1024), *exp = malloc(256 * 1024);
	struct pollfd *pfd = calloc(n, sizeof(*pfd));
	int i, rc = EXIT_OK;

	if (!buf || !exp || !pfd) {
		fprintf(stderr, "smc_peer: out of memory\n");
		exit(EXIT_FAIL);
	}
	for (i = 0; i < n; i++) {
		init_streams(&conns[i], 0);
		conns[i].rx.until_eof = true;
		/* receive sizes other than the peer's send sizes */
		conns[i].rx.size_seed ^= 0xa5a5a5a5ULL;
	}
	while (smc_now() < end && rc == EXIT_OK) {
		for (i = 0; i < n; i++) {
			pfd[i].fd = conns[i].fd;
			pfd[i].events = POLLIN | POLLOUT;
		}
		if (poll(pfd, n, 100) < 0 && errno != EINTR)
			break;
		for (i = 0; i < n && rc == EXIT_OK; i++) {
			struct conn *c = &conns[i];

			if ((pfd[i].revents & (POLLOUT | POLLERR)) &&
			    c->tx.done < c->tx.bytes &&
			    smc_stream_send_step(&c->tx, buf) < 0)
				rc = EXIT_CONN;
			if ((pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) &&
			    !c->rx.eof &&
			    smc_stream_recv_step(&c->rx, buf, exp) < 0)
				rc = c->rx.corrupt ? EXIT_FAIL : EXIT_CONN;
		}
	}
	for (i = 0; i < n; i++) {
		struct conn *c = &conns[i];
		const char *how = "reset";

		if (c->tx.done >= c->tx.bytes || c->rx.eof) {
			/* nothing left to interrupt: not what was asked for */
			how = "FAIL: the transfer ended before the reset";
			rc = worse(rc, EXIT_FAIL);
		}
		if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg))) {
			how = "FAIL: SO_LINGER";
			rc = worse(rc, EXIT_FAIL);
		}
		close(c->fd);
		printf("smc_peer: %s conn %d port %d: ", role(), c->id,
		       c->client_port);
		printf("sent %llu bytes, received %llu bytes verified, ",
		       (unsigned long long)c->tx.done,
		       (unsigned long long)c->rx.done);
		printf("then %s%s%s%s%s\n", how,
		       c->tx.msg[0] ? ", tx: " : "", c->tx.msg,
		       c->rx.msg[0] ? ", rx: " : "", c->rx.msg);
	}
	free(buf);
	free(exp);
	free(pfd);
	return rc;
}

/*
 * -G: this end has all it expects and has sent all; its EOF tells the peer
 * so. The peer's EOF then says that the peer has all of ours: only then
 * may this process (or its machine) go.
 */
static int await_peer_eof(struct conn *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	char byte;
	ssize_t r;

	if (shutdown(c->fd, SHUT_WR)) {
		snprintf(c->rx.msg, sizeof(c->rx.msg), "shutdown: %s",
			 strerror(errno));
		return EXIT_CONN;
	}
	if (poll(&pfd, 1, opt.wait * 1000) != 1) {
		snprintf(c->rx.msg, sizeof(c->rx.msg),
			 "no EOF from the peer within %d s", opt.wait);
		return EXIT_CONN;
	}
	r = recv(c->fd, &byte, 1, 0);
	if (r) {
		snprintf(c->rx.msg, sizeof(c->rx.msg), "%s instead of EOF",
			 r > 0 ? "data" : strerror(errno));
		return r > 0 ? EXIT_FAIL : EXIT_CONN;
	}
	return EXIT_OK;
}

static int finish_streams(struct conn *c)
{
	int rc = EXIT_OK;

	if (!opt.half)
		pthread_join(c->ttx, NULL);
	pthread_join(c->trx, NULL);
	if (c->rx.corrupt || c->rx.excess)
		rc = EXIT_FAIL;
	else if (!smc_stream_ok(&c->tx) || !smc_stream_ok(&c->rx))
		rc = EXIT_CONN;
	else if (opt.graceful)
		rc = await_peer_eof(c);
	printf("smc_peer: %s conn %d port %d: sent %llu bytes, received %llu bytes verified: %s",
	       role(), c->id, c->client_port,
	       (unsigned long long)c->tx.done,
	       (unsigned long long)c->rx.done,
	       rc == EXIT_OK ? "OK" : rc == EXIT_FAIL ? "FAIL" : "ERROR");
	printf("%s%s%s%s\n", c->tx.msg[0] ? ", tx: " : "", c->tx.msg,
	       c->rx.msg[0] ? ", rx: " : "", c->rx.msg);
	close(c->fd);
	return rc;
}

int main(int argc, char **argv)
{
	struct conn *conns;
	int i, lfd = -1, rc = EXIT_OK, err = 0, opened = 0;
	double deadline;

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (opt.kind == SMC_KIND_SMC) {
		if (!smc_lib_af_smc_supported(opt.family, &err)) {
			printf("smc_peer: AF_SMC not supported: %s\n",
			       strerror(err));
			return EXIT_SKIP;
		}
		if ((opt.expect != EXPECT_ANY || opt.fallback_set) &&
		    smc_diag_check()) {
			printf("smc_peer: %s\n", smc_lib_err);
			return EXIT_SKIP;
		}
	}
	conns = calloc(opt.conns, sizeof(*conns));
	if (!conns)
		return EXIT_FAIL;

	if (opt.server) {
		__u16 port;

		lfd = smc_lib_listen(opt.kind, opt.family, opt.addr, opt.port,
				     &port);
		if (lfd < 0) {
			printf("smc_peer: server: %s\n", smc_lib_err);
			return EXIT_FAIL;
		}
		printf("smc_peer: server listening on %s port %u\n", opt.addr,
		       port);
		if (opt.ready_file) {
			FILE *f = fopen(opt.ready_file, "w");

			if (f)
				fclose(f);
		}
	}

	/* all connections first, so that they are open at the same time */
	for (i = 0; i < opt.conns; i++) {
		conns[i].id = i;
		conns[i].fd = -1;
		conns[i].result = opt.server ? open_server(lfd, &conns[i]) :
					       open_client(&conns[i]);
		if (conns[i].result) {
			rc = worse(rc, conns[i].result);
			break;
		}
		opened++;
		printf("smc_peer: %s conn %d connected\n", role(), i);
	}
	for (i = 0; i < opened; i++)
		rc = worse(rc, check_mode(&conns[i]));

	deadline = smc_now() + opt.duration;
	if (opt.abort_after) {
		rc = worse(rc, abort_streams(conns, opened));
	} else {
		for (i = 0; i < opened; i++)
			start_streams(&conns[i], deadline);
		for (i = 0; i < opened; i++)
			rc = worse(rc, finish_streams(&conns[i]));
	}

	if (lfd >= 0)
		close(lfd);
	free(conns);
	printf("smc_peer: %s done: %s\n", role(),
	       rc == EXIT_OK ? "OK" : rc == EXIT_FAIL ? "FAIL" :
	       rc == EXIT_CONN ? "CONNECTION ERROR" : "ERROR");
	return rc;
}
