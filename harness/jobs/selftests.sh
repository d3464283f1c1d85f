# The kselftest suite in the guest, in the order the module state needs.
. /guest-lib.sh

if ! modprobe smc || ! modprobe smc_diag; then
	result modprobe-smc FAIL
	exit 0
fi
# Without the loopback device: SMC falls back to TCP, data intact.
run_kselftest smc_fallback /selftests/smc_fallback

if ! modprobe smc_loopback; then
	result modprobe-smc_loopback FAIL
	check_dmesg
	exit 0
fi
run_kselftest smc_loopback /selftests/smc_loopback
run_kselftest smc_nocopy /selftests/smc_nocopy
# The socket calls applications make (splice, sendfile, MSG_PEEK, OOB,
# ioctls, epoll ...), again in copy mode below: 50 fresh pairs a case,
# 8 on the debug kernel (with kmemleak) and 10 in copy mode, for time;
# smc_hostile's confirm_race 30 rounds, 8 on debug, 10 in copy mode;
# smc_churn (below) 20 s, on debug too.
# smc_faults reloads smc_loopback 50 times, 8 on debug.
# The hostile peers and the socket API run again in copy mode except on
# debug (for time: KASAN watches them there in no-copy mode, the default,
# and the copy mode's data path in smc_loopback_copy).
iter=50 rounds=30 churn=20 cycles=50 copy_all=1 memcg_conns=1000 stress_conns=1000
if [ -e /sys/kernel/debug/kmemleak ]; then
	# smc_memcg with 300 connections as in copy mode: 600 DMBs of up to
	# 1 MiB still overrun the cgroup's 64M many times; smc_stress 300
	iter=8 rounds=8 churn=20 cycles=8 copy_all=0 memcg_conns=300 stress_conns=300
elif [ "${SMC_SUITE_PROFILE:-}" = stock ]; then
	# Debian's kernel with the out-of-tree modules (harness/stock-job.sh):
	# every suite once, the races and reloads fewer times, no copy-mode
	# reruns of the hostile peers and the socket API. The series' code
	# is the same as on x86_64, where they run in full.
	iter=15 rounds=10 churn=20 cycles=10 copy_all=0
fi
SMC_SOCKAPI_ITER=$iter run_kselftest smc_sockapi /selftests/smc_sockapi
run_kselftest smc_netlink /selftests/smc_netlink
# The user's path: unmodified iperf3 under smc_run, proven SMC-D at both
# ends and counted once each by the SMC-D statistics.
run_shtest smc_run bash /jobs/smc_run-test.sh
# Debian's redis-server and nginx with their own clients under smc_run:
# answers checked, SMC-D at both ends, no fallback, every connection counted.
run_shtest smc_redis bash /jobs/smc_apps-test.sh redis
run_shtest smc_nginx bash /jobs/smc_apps-test.sh nginx
SMC_RACE_ROUNDS=$rounds run_kselftest smc_hostile /selftests/smc_hostile
run_shtest smc_netns /selftests/smc_netns.sh
# 1000 connections (300 on debug); the buffers they leave cached in the
# idle link groups are freed by the reload of smc_loopback in
# smc_dmb_limit right after.
run_kselftest smc_stress /selftests/smc_stress -n "$stress_conns"
# the stress test's data checker catches one spoilt byte (smc_stress -X)
run_shtest smc_stress_check bash /jobs/smc_stress-check.sh
# 1000 connections (300 on debug) in a cgroup with memory.max 64M:
# charged there, smaller DMBs or TCP, nothing outside; the copy mode's
# send buffers further down
run_kselftest smc_memcg /selftests/smc_memcg -n "$memcg_conns"
run_shtest smc_dmb_limit /selftests/smc_dmb_limit.sh
# sock_diag dumps while connections come, go and are declined (max_dmbs=64)
SMC_CHURN_SECS=$churn run_shtest smc_churn /selftests/smc_churn.sh
run_shtest smc_unload /selftests/smc_unload.sh
# Kill, reset, half-close, 50 smc_loopback and 3 smc reloads; leaves smc,
# smc_diag and smc_loopback loaded with default parameters.
SMC_FAULT_CYCLES=$cycles run_shtest smc_faults /selftests/smc_faults.sh
# The copy mode (nocopy=0) stays supported: the data path, and the hostile
# peers (one writer per DMB holds there too) and the socket API once more
# (not on debug).
if rmmod smc_loopback 2>/dev/null || ! [ -d /sys/module/smc_loopback ]; then
	if modprobe smc_loopback nocopy=0; then
		run_kselftest smc_loopback_copy /selftests/smc_loopback
		if [ "$copy_all" = 1 ]; then
			SMC_RACE_ROUNDS=10 run_kselftest smc_hostile_copy /selftests/smc_hostile
			SMC_SOCKAPI_ITER=10 run_kselftest smc_sockapi_copy /selftests/smc_sockapi
		fi
		run_kselftest smc_memcg_copy /selftests/smc_memcg -n 300
		rmmod smc_loopback
	else
		result modprobe-smc_loopback-nocopy=0 FAIL
	fi
	modprobe smc_loopback || result modprobe-smc_loopback FAIL
else
	result rmmod-smc_loopback-for-copy-mode FAIL
fi
check_dmesg
