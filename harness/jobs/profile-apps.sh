# `make profile PROFILE=apps`: perf's software clock sampling, all CPUs,
# over real programs (nginx + wrk, iperf3), TCP and SMC-D side by side:
# the symbols that take the time, per program. TCG has no PMU, so the
# event is cpu-clock.
. /guest-lib.sh
modprobe smc
modprobe smc_diag
modprobe smc_loopback
echo 0 >/proc/sys/kernel/kptr_restrict
echo -1 >/proc/sys/kernel/perf_event_paranoid
D=${PROFILE_SECONDS:-5}
nginx_start nginx-tcp 8080
nginx_start nginx-smc 8081 smc_run
iperf3 -s -p 5200 >/dev/null 2>&1 &
smc_run iperf3 -s -p 5201 >/dev/null 2>&1 &
sleep 2

profile() {	# profile LABEL command...: PROFILE-RESULT, then PERF lines
	local label=$1
	shift
	perf record -q -e cpu-clock -F 999 -a -o /tmp/perf.data -- "$@" >/tmp/out 2>&1
	echo "PROFILE-RESULT $label $(grep -E '^Requests/sec|receiver' /tmp/out | tr -s ' ')"
	perf report -q -i /tmp/perf.data --no-children --sort comm,sym --stdio \
		--percent-limit 0.5 2>/dev/null |
		awk -v l="$label" 'NF >= 4 { p = $1; sub("%", "", p); print "PERF", l, p, $2, $NF }'
}

for kind in tcp smc; do
	port=0 run=
	[ $kind = smc ] && port=1 run=smc_run
	profile $kind-nginx-1m $run wrk -t 2 -c 8 -d "${D}s" http://127.0.0.1:808$port/1m.bin
	profile $kind-nginx-1k $run wrk -t 2 -c 8 -d "${D}s" http://127.0.0.1:808$port/1k.bin
	profile $kind-iperf3 $run iperf3 -c 127.0.0.1 -p 520$port -t "$D" -l 64K -f M
done
kill $(jobs -p) 2>/dev/null
wait
echo "## done"
