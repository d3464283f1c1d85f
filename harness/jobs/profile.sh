# `make profile`: ftrace's function profiler over smc_bench runs, TCP and
# SMC-D, to show where the kernel spends a benchmark's time. Wall time per
# call, sleeping included: a handshake waiting for its peer shows as such.
modprobe smc
modprobe smc_diag
modprobe smc_loopback
T=/sys/kernel/tracing
mount -t tracefs nodev $T 2>/dev/null
# functions to profile: the SMC module, and the TCP and socket calls that
# a TCP benchmark makes instead
FUNCS=":mod:smc :mod:smc_loopback tcp_v4_connect tcp_v6_connect
__inet_stream_connect inet_accept tcp_sendmsg tcp_recvmsg tcp_close
__sys_connect __sys_accept4 __sys_sendto __sys_recvfrom __x64_sys_close
__x64_sys_read __x64_sys_write sock_def_readable tcp_v4_rcv kmalloc_large
__alloc_pages clear_page_erms"

profile() {	# profile LABEL smc_bench-args...
	local label=$1 f
	shift
	echo 0 >$T/function_profile_enabled
	: >$T/set_ftrace_filter
	for f in $FUNCS; do
		echo "$f" >>$T/set_ftrace_filter 2>/dev/null
	done
	echo 1 >$T/options/sleep-time
	echo 1 >$T/options/graph-time
	echo 1 >$T/function_profile_enabled
	smc_bench "$@" | sed "s/^RESULT /PROFILE-RESULT $label /"
	echo 0 >$T/function_profile_enabled
	# per-CPU tables: Function Hit Time Avg s^2
	cat $T/trace_stat/function* | awk -v l="$label" '
		$2 ~ /^[0-9]+$/ && $3 ~ /^[0-9.]+$/ {
			hit[$1] += $2; t[$1] += $3
		}
		END { for (f in hit) printf "PROFILE %s %s %d %.1f\n", l, f, hit[f], t[f] }'
}

D=${PROFILE_SECONDS:-3}
profile smc-connrate connrate -t "$D"
profile tcp-connrate -T connrate -t "$D"
profile smc-bulk bulk -t "$D" -l 65536
profile tcp-bulk -T bulk -t "$D" -l 65536
profile smc-pingpong pingpong -t "$D" -l 14
profile tcp-pingpong -T pingpong -t "$D" -l 14
echo "## done"
