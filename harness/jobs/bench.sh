# `make bench`: TCP and SMC-D loopback side by side in one guest run, for
# no-copy (the default) and copy mode, each with default socket buffers
# and with net.smc.wmem/rmem = 1 MiB. Every measurement is repeated
# BENCH_REPS times, TCP and SMC-D interleaved; the host takes medians.
modprobe smc
modprobe smc_diag
T=${BENCH_SECONDS:-3}
R=${BENCH_REPS:-3}
ulimit -n 65536
echo "## bench: $T s a run, $R runs each, $(nproc) CPUs"

bench() {	# bench SECTION REP NAME smc_bench-args...
	local sec=$1 rep=$2 name=$3 rc
	shift 3
	smc_bench "$@" >/tmp/bench.out 2>&1
	rc=$?
	sed "s/^RESULT [a-z]* /BENCH $sec $rep $name /" /tmp/bench.out
	# a run that failed: the host's table marks its row MISSED and
	# make bench fails
	[ $rc -eq 0 ] || echo "BENCH-ERROR $sec $rep $name: smc_bench $* exited $rc"
}

suite() {	# suite SECTION
	local rep kind
	for rep in $(seq "$R"); do
		for kind in -T ""; do
			bench "$1" "$rep" bulk1 $kind bulk -t "$T" -l 65536
			bench "$1" "$rep" bulk4 $kind bulk -t "$T" -l 65536 -p 4
			bench "$1" "$rep" pp14 $kind pingpong -t "$T" -l 14
			bench "$1" "$rep" pp1k $kind pingpong -t "$T" -l 1024
			bench "$1" "$rep" connrate $kind connrate -t "$T"
		done
	done
}

bufs() {	# bufs default|1MiB
	local v
	if [ "$1" = 1MiB ]; then v=1048576; else v=$(cat /tmp/wmem.default); fi
	echo "$v" >/proc/sys/net/smc/wmem
	if [ "$1" = 1MiB ]; then v=1048576; else v=$(cat /tmp/rmem.default); fi
	echo "$v" >/proc/sys/net/smc/rmem
}

cat /proc/sys/net/smc/wmem >/tmp/wmem.default
cat /proc/sys/net/smc/rmem >/tmp/rmem.default
bench memcpy 1 memcpy memcpy -t "$T" -l 65536

for mode in nocopy copy; do
	if [ $mode = copy ]; then
		rmmod smc_loopback || { echo "BENCH-ERROR rmmod"; exit 1; }
		modprobe smc_loopback nocopy=0
	else
		modprobe smc_loopback
	fi
	echo "## smc_loopback nocopy=$(cat /sys/module/smc_loopback/parameters/nocopy)"
	for b in default 1MiB; do
		echo "## $mode, $b buffers"
		bufs $b
		suite "$mode-$b"
	done
	bufs default
	if [ $mode = nocopy ]; then
		echo "## concurrent connections"
		bench nocopy-default 1 concurrent -T concurrent -n "${BENCH_CONNS:-5000}"
		bench nocopy-default 1 concurrent concurrent -n "${BENCH_CONNS:-5000}"
	fi
done
echo "## done"
