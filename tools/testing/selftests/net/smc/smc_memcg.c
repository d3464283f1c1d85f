// SPDX-License-Identifier: GPL-2.0
/*
 * smc_memcg: SMC-D loopback buffers belong to the memory cgroup of the
 * sockets they serve.
 *
 * A pair of AF_SMC sockets opened outside any limit shows the size of an
 * unconstrained DMB. Then this process moves into a new cgroup v2 with
 * memory.max = MAX (default 64M), listens there and opens CONNS (default
 * 1000) connections to itself, keeping them all open. Required:
 *
 *  - each connection is SMC-D at both ends (with whatever DMB size fitted)
 *    or TCP at both ends after a decline for memory (SMC_CLC_DECL_MEM,
 *    0x01010000, at one end, the other seeing the peer's decline): no
 *    other outcome, no failed connect;
 *  - memory.current covers at least the DMBs the SMC-D connections hold
 *    (the server ends' too, which a kernel worker allocates) and the
 *    group never went past memory.max (memory.events max/oom: no OOM);
 *  - the machine's memory outside the cgroup grew by at most OUTSIDE MiB
 *    (default 16) meanwhile (MemFree against memory.current);
 *  - back outside the cgroup, while the constrained connections are still
 *    open, a new pair gets the same DMB size as the first;
 *  - after everything is closed, memory.current drops back to within
 *    4 MiB of where it started (freed DMBs the device keeps for reuse
 *    stay charged to their cgroup for up to 2 s);
 *  - in two new cgroups: a pair closed in the first leaves its DMBs for
 *    the next pair there, which adds two DMBs less to memory.current, and
 *    not for a pair in the second, which adds its two DMBs there (skipped
 *    if smc_loopback keeps no freed DMBs, pool_mb=0).
 *
 * Needs root (cgroup2, mounted on /sys/fs/cgroup if it is not yet), the
 * memory controller, smc, smc_diag and smc_loopback. TAP output; exit 0
 * pass, 1 fail, 4 skip (with SMC_TEST_REQUIRED=1 a missing piece fails).
 *
 *   smc_memcg [-n CONNS] [-m MAX_MIB] [-o OUTSIDE_MIB] [-6]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <linux/smc_diag.h>

#include "smc_lib.h"
#include "kselftest.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define DECL_MEM	0x01010000
#define N_TESTS		7
#define MIB		(1024 * 1024)

static struct {
	int conns;
	long max_mib;
	long outside_mib;
	int family;
	const char *addr;
} opt = {
	.conns = 1000,
	.max_mib = 64,
	.outside_mib = 16,
	.family = AF_INET,
	.addr = "127.0.0.1",
};

static char cg[128], cg_a[136], cg_b[136];

static bool required(void)
{
	const char *s = getenv("SMC_TEST_REQUIRED");

	return s && !strcmp(s, "1");
}

static void skip_or_fail(const char *why)
{
	if (required()) {
		ksft_print_msg("%s (required here)\n", why);
		ksft_exit_fail();
	}
	ksft_exit_skip("%s\n", why);
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* a number from a file, or from the line "KEY value" in it; -1 if none */
static long long read_num(const char *path, const char *key)
{
	char line[256], k[64];
	long long v = -1, n;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			v = strtoll(line, NULL, 10);
			break;
		}
		if (sscanf(line, "%63s %lld", k, &n) == 2 && !strcmp(k, key)) {
			v = n;
			break;
		}
	}
	fclose(f);
	return v;
}

static long long cg_num(const char *file, const char *key)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	return read_num(path, key);
}

/* MemFree in bytes */
static long long mem_free(void)
{
	long long kb = read_num("/proc/meminfo", "MemFree:");

	return kb < 0 ? -1 : kb * 1024;
}

static int move_to(const char *dir)
{
	char path[192], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	return write_file(path, pid);
}

static void setup_cgroup(void)
{
	char val[64], path[192];
	int rc;

	if (access(CG_ROOT "/cgroup.controllers", F_OK) &&
	    mount("none", CG_ROOT, "cgroup2", 0, NULL))
		skip_or_fail("cannot mount cgroup2 on " CG_ROOT);
	if (read_num(CG_ROOT "/cgroup.controllers", NULL) < 0)
		skip_or_fail("no cgroup2 on " CG_ROOT);
	rc = write_file(CG_ROOT "/cgroup.subtree_control", "+memory");
	if (rc)
		skip_or_fail("cannot enable the memory controller");
	snprintf(cg, sizeof(cg), CG_ROOT "/smc_memcg.%d", getpid());
	if (mkdir(cg, 0755))
		skip_or_fail("cannot create a cgroup");
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	snprintf(val, sizeof(val), "%ld\n", opt.max_mib * MIB);
	if (write_file(path, val))
		skip_or_fail("cannot set memory.max");
}

struct end_info {
	int mode;
	__u32 rmbe;
	__u32 rsn;
	__u32 peer_diag;
};

static int query(int fd, struct end_info *e)
{
	struct smc_diag_info di;

	if (smc_diag_query_fd(fd, &di) != 1)
		return -1;
	e->mode = di.mode;
	e->rmbe = di.has_conn ? di.rmbe_size : 0;
	e->rsn = di.fallback_rsn;
	e->peer_diag = di.peer_diagnosis;
	return 0;
}

/* one pair to lfd's port; both fds, or -1 */
static int open_pair(int lfd, __u16 port, int *cfd, int *sfd)
{
	*cfd = smc_lib_connect(SMC_KIND_SMC, opt.family, opt.addr, port);
	if (*cfd < 0)
		return -1;
	*sfd = smc_lib_accept(lfd, 30000);
	if (*sfd < 0) {
		close(*cfd);
		return -1;
	}
	return 0;
}

/* the DMB size a pair outside the cgroup gets: its ends' RMB + header */
static __u32 outside_pair(const char *when)
{
	struct end_info c, s;
	int lfd, cfd, sfd;
	__u16 port;
	__u32 size = 0;

	lfd = smc_lib_listen(SMC_KIND_SMC, opt.family, opt.addr, 0, &port);
	if (lfd < 0) {
		ksft_print_msg("listener outside: %s\n", smc_lib_err);
		return 0;
	}
	if (open_pair(lfd, port, &cfd, &sfd)) {
		ksft_print_msg("pair outside: %s\n", smc_lib_err);
		close(lfd);
		return 0;
	}
	if (!query(cfd, &c) && !query(sfd, &s) &&
	    c.mode == SMC_DIAG_MODE_SMCD && s.mode == SMC_DIAG_MODE_SMCD &&
	    c.rmbe == s.rmbe)
		size = c.rmbe;
	ksft_print_msg("outside the cgroup %s: client %s rmbe %u, server %s rmbe %u\n",
		       when, smc_mode_str(c.mode), c.rmbe, smc_mode_str(s.mode),
		       s.rmbe);
	close(cfd);
	close(sfd);
	close(lfd);
	return size;
}

/* Open a pair in DIR's cgroup: by how much its memory.current grew
 * (*grew), and the client's RMB size, or -1 if the pair did not come up
 * as SMC-D at both ends. The pair is closed and gone on return.
 */
static int pair_charge(const char *dir, long long *grew)
{
	struct end_info c = {}, s = {};
	int lfd, cfd, sfd, rc = -1;
	char path[192];
	long long cur;
	__u16 port;

	snprintf(path, sizeof(path), "%s/memory.current", dir);
	if (move_to(dir))
		return -1;
	lfd = smc_lib_listen(SMC_KIND_SMC, opt.family, opt.addr, 0, &port);
	if (lfd < 0)
		return -1;
	cur = read_num(path, NULL);
	if (!open_pair(lfd, port, &cfd, &sfd)) {
		*grew = read_num(path, NULL) - cur;
		if (!query(cfd, &c) && !query(sfd, &s) &&
		    c.mode == SMC_DIAG_MODE_SMCD && s.mode == SMC_DIAG_MODE_SMCD)
			rc = c.rmbe;
		close(cfd);
		close(sfd);
	}
	close(lfd);
	smc_lo_wait_idle();
	return rc;
}

/* a DMB's size: the RMB the peer sees plus the CDC header, a power of 2 */
static long long dmb_bytes(__u32 rmbe)
{
	long long b = 16384;

	while (b < rmbe)
		b <<= 1;
	return b;
}

static bool decl_mem(const struct end_info *e)
{
	return e->rsn == DECL_MEM || e->peer_diag == DECL_MEM;
}

int main(int argc, char **argv)
{
	long long cur0, cur1, cur2, free0, free1, dmbs = 0, outside, oom;
	long long grew[3] = {}, pool_mb;
	int rmbe[3];
	int i, c, lfd, n_smcd = 0, n_tcp = 0, n_bad = 0, n_open = 0;
	int sizes[8] = {}, *fds;
	__u32 ref, after;
	struct rlimit rl;
	__u16 port;

	while ((c = getopt(argc, argv, "n:m:o:6")) != -1) {
		switch (c) {
		case 'n':
			opt.conns = atoi(optarg);
			break;
		case 'm':
			opt.max_mib = atol(optarg);
			break;
		case 'o':
			opt.outside_mib = atol(optarg);
			break;
		case '6':
			opt.family = AF_INET6;
			opt.addr = "::1";
			break;
		default:
			fprintf(stderr, "usage: %s [-n CONNS] [-m MAX_MIB] [-o OUTSIDE_MIB] [-6]\n",
				argv[0]);
			return 2;
		}
	}
	ksft_print_header();
	if (opt.conns < 1 || opt.max_mib < 8)
		ksft_exit_fail_msg("bad arguments\n");
	rl.rlim_cur = 2 * opt.conns + 256;
	rl.rlim_max = rl.rlim_cur;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		skip_or_fail("cannot raise RLIMIT_NOFILE");
	if (!smc_lib_af_smc_supported(opt.family, NULL))
		skip_or_fail("no AF_SMC sockets (load smc)");
	if (smc_diag_check())
		skip_or_fail("no AF_SMC sock_diag (load smc_diag)");
	fds = calloc(2 * opt.conns, sizeof(*fds));
	if (!fds)
		ksft_exit_fail_msg("calloc\n");

	/* 1: the reference, outside any limit */
	ref = outside_pair("before");
	if (!ref)
		skip_or_fail("no SMC-D pair outside the cgroup (load smc_loopback)");
	setup_cgroup();
	ksft_set_plan(N_TESTS);
	ksft_test_result_pass("outside the cgroup: SMC-D with %u-byte RMBs\n", ref);

	/* 2: CONNS connections from inside the cgroup, all kept open */
	if (move_to(cg))
		ksft_exit_fail_msg("cannot move into %s\n", cg);
	cur0 = cg_num("memory.current", NULL);
	free0 = mem_free();
	lfd = smc_lib_listen(SMC_KIND_SMC, opt.family, opt.addr, 0, &port);
	if (lfd < 0)
		ksft_exit_fail_msg("listener in the cgroup: %s\n", smc_lib_err);
	for (i = 0; i < opt.conns; i++) {
		struct end_info ce, se;
		int *p = &fds[2 * i];

		if (open_pair(lfd, port, &p[0], &p[1])) {
			ksft_print_msg("connection %d: %s\n", i, smc_lib_err);
			n_bad++;
			p[0] = -1;
			p[1] = -1;
			break;
		}
		n_open++;
		if (query(p[0], &ce) || query(p[1], &se)) {
			ksft_print_msg("connection %d: not in sock_diag\n", i);
			n_bad++;
			continue;
		}
		if (ce.mode == SMC_DIAG_MODE_SMCD &&
		    se.mode == SMC_DIAG_MODE_SMCD) {
			int k = 0;

			n_smcd++;
			dmbs += dmb_bytes(ce.rmbe) + dmb_bytes(se.rmbe);
			while (k < 7 && (16384LL << k) < dmb_bytes(ce.rmbe))
				k++;
			sizes[k]++;
		} else if (ce.mode == SMC_DIAG_MODE_FALLBACK_TCP &&
			   se.mode == SMC_DIAG_MODE_FALLBACK_TCP &&
			   (decl_mem(&ce) || decl_mem(&se))) {
			n_tcp++;
		} else {
			if (n_bad++ < 10)
				ksft_print_msg("conn %d: client %s %#x/%#x, server %s %#x/%#x\n",
					       i, smc_mode_str(ce.mode), ce.rsn,
					       ce.peer_diag, smc_mode_str(se.mode),
					       se.rsn, se.peer_diag);
		}
	}
	cur1 = cg_num("memory.current", NULL);
	free1 = mem_free();
	ksft_print_msg("%d connections, memory.max %ld MiB: %d SMC-D, %d TCP, %d other\n",
		       n_open, opt.max_mib, n_smcd, n_tcp, n_bad);
	for (i = 0; i < 7; i++)
		if (sizes[i])
			ksft_print_msg("  %d SMC-D connections with %lld KiB client DMBs\n",
				       sizes[i], (16384LL << i) / 1024);
	ksft_test_result(n_open == opt.conns && !n_bad && n_smcd > 0,
			 "%d connections: SMC-D with smaller DMBs or TCP after a memory decline\n",
			 opt.conns);

	/* 3: the cgroup was charged for the DMBs, and stayed in its limit */
	oom = cg_num("memory.events", "oom");
	ksft_print_msg("memory.current %lld -> %lld KiB; SMC-D DMBs %lld KiB\n",
		       cur0 / 1024, cur1 / 1024, dmbs / 1024);
	ksft_print_msg("memory.events: max %lld oom %lld oom_kill %lld\n",
		       cg_num("memory.events", "max"), oom,
		       cg_num("memory.events", "oom_kill"));
	ksft_test_result(cur1 - cur0 >= dmbs && cur1 <= opt.max_mib * MIB &&
			 oom == 0,
			 "memory.current covers the DMBs, within memory.max, no OOM\n");

	/* 4: and the rest of the machine did not pay for them */
	outside = (free0 - free1) - (cur1 - cur0);
	ksft_print_msg("MemFree fell by %lld KiB, of which %lld KiB outside the cgroup\n",
		       (free0 - free1) / 1024, outside / 1024);
	ksft_test_result(outside <= opt.outside_mib * MIB,
			 "memory outside the cgroup grew by at most %ld MiB\n",
			 opt.outside_mib);

	/* 5: outside, the default buffers are still there */
	if (move_to(CG_ROOT))
		ksft_exit_fail_msg("cannot move back to " CG_ROOT "\n");
	after = outside_pair("meanwhile");
	ksft_test_result(after == ref,
			 "outside the cgroup meanwhile: %u-byte RMBs as before\n",
			 after);

	/* 6: closing gives the memory back */
	for (i = 0; i < 2 * n_open; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	close(lfd);
	for (i = 0; i < 200; i++) {
		cur2 = cg_num("memory.current", NULL);
		if (cur2 - cur0 <= 4 * MIB)
			break;
		usleep(100000);
	}
	ksft_print_msg("after closing: memory.current %lld KiB\n", cur2 / 1024);
	ksft_test_result(cur2 - cur0 <= 4 * MIB,
			 "closed: memory.current back within 4 MiB of the start\n");

	/* 7: freed DMBs serve their own cgroup only: two new cgroups, which
	 * nothing else charged yet
	 */
	pool_mb = read_num("/sys/module/smc_loopback/parameters/pool_mb", NULL);
	snprintf(cg_a, sizeof(cg_a), "%s.a", cg);
	snprintf(cg_b, sizeof(cg_b), "%s.b", cg);
	/* what tests 5 and 6 left in the pool ages out first */
	sleep(3);
	if (pool_mb <= 0 || pool_mb * (long long)MIB < 4 * dmb_bytes(ref) ||
	    dmb_bytes(ref) < 512 * 1024) {
		ksft_test_result_skip("DMB reuse: pool_mb %lld, %lld-byte DMBs\n",
				      pool_mb, dmb_bytes(ref));
	} else if (mkdir(cg_a, 0755) || mkdir(cg_b, 0755)) {
		ksft_exit_fail_msg("cannot create %s, %s\n", cg_a, cg_b);
	} else {
		rmbe[0] = pair_charge(cg_a, &grew[0]);	/* pools its DMBs */
		rmbe[1] = pair_charge(cg_a, &grew[1]);	/* ... takes them */
		rmbe[2] = pair_charge(cg_b, &grew[2]);	/* has none to take */
		ksft_print_msg("pairs in a cgroup: rmbe %d, %d, memory.current +%lld, +%lld KiB\n",
			       rmbe[0], rmbe[1], grew[0] / 1024, grew[1] / 1024);
		ksft_print_msg("a pair in another cgroup: rmbe %d, memory.current +%lld KiB\n",
			       rmbe[2], grew[2] / 1024);
		/* the second pair is spared its DMBs (not, in copy mode, its
		 * send buffers); slack for the per-CPU charge batches
		 */
		ksft_test_result(rmbe[0] == (int)ref && rmbe[1] == rmbe[0] &&
				 rmbe[2] == rmbe[0] &&
				 grew[0] >= 3 * dmb_bytes(ref) / 2 &&
				 grew[2] >= 3 * dmb_bytes(ref) / 2 &&
				 grew[2] - grew[1] >= 3 * dmb_bytes(ref) / 2,
				 "a closed pair's DMBs serve the next pair of its cgroup, not another cgroup's\n");
	}
	if (move_to(CG_ROOT))
		ksft_exit_fail_msg("cannot move back to " CG_ROOT "\n");
	if (rmdir(cg))
		ksft_print_msg("rmdir %s: %s (left behind)\n", cg, strerror(errno));
	if (rmdir(cg_a) && errno != ENOENT)
		ksft_print_msg("rmdir %s: %s (left behind)\n", cg_a, strerror(errno));
	if (rmdir(cg_b) && errno != ENOENT)
		ksft_print_msg("rmdir %s: %s (left behind)\n", cg_b, strerror(errno));
	free(fds);
	ksft_finished();
	return 0;
}
