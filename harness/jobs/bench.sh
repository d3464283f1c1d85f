# `make bench`: TCP vs SMC-D loopback, side by side, in one guest run.
modprobe smc
modprobe smc_diag
modprobe smc_loopback
T=${BENCH_SECONDS:-5}
ulimit -n 65536

run() {		# run LABEL smc_bench-args...
	local label=$1; shift
	echo "## smc_bench $label $*"
	smc_bench "$@" | sed "s/^RESULT /BENCH $label /"
}

for kind in -T ""; do
	label=default
	run $label $kind bulk -t "$T" -l 65536
	run $label $kind pingpong -t "$T" -l 14
	run $label $kind connrate -t "$T"
done
run default concurrent -n "${BENCH_CONNS:-5000}"

echo "## net.smc.wmem = net.smc.rmem = 1 MiB"
echo 1048576 >/proc/sys/net/smc/wmem
echo 1048576 >/proc/sys/net/smc/rmem
run 1MiB bulk -t "$T" -l 65536
run 1MiB pingpong -t "$T" -l 14
run 1MiB connrate -t "$T"
echo "## done"
