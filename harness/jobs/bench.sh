# `make bench`: TCP and SMC-D loopback side by side in one guest run, for
# no-copy (the default) and copy mode, each with default socket buffers
# and with net.smc.wmem/rmem = 1 MiB. Every measurement is repeated
# BENCH_REPS times, TCP and SMC-D interleaved; the host takes medians.
. /guest-lib.sh
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

# Programs nobody here wrote, each against its own server: plain TCP, and
# both ends under smc_run. An SMC run counts as SMC-D only if it made SMC-D
# connections and nothing fell back or failed its handshake meanwhile; a
# client that exits with handshakes in flight (wrk, a new connection per
# request) aborts them, at most one per connection (8) and end: those
# count apart (counters_while, /guest-lib.sh).
app() {		# app REP NAME KIND UNIT PARSER COMMAND...
	local rep=$1 name=$2 kind=$3 unit=$4 parse=$5 before during='' after v m=TCP pid
	local c0 s0 h0 g0 f0 e0 c1 s1 h1 g1 f1 e1
	shift 5
	before=$(smc_counters)
	if [ "$kind" = smc ]; then
		smc_run "$@" >/tmp/app.out 2>&1 &
	else
		"$@" >/tmp/app.out 2>&1 &
	fi
	pid=$!
	# only the client that makes a connection per request is watched
	# while it runs (the readings cost CPU time the others measure)
	[ "$kind$name" = smcnginx_close ] && during=$(counters_while "$pid")
	wait "$pid" || echo "BENCH-ERROR nocopy-default $rep $name $kind: $* exited $?"
	after=$(settled_counters)
	v=$($parse </tmp/app.out)
	if [ "$kind" = smc ]; then
		read -r c0 s0 h0 g0 f0 e0 <<<"$before"
		read -r c1 s1 h1 g1 f1 e1 <<<"$after"
		m=FALLBACK
		[ $((c1 - c0)) -gt 0 ] && [ $((s1 - s0)) -gt 0 ] &&
			[ "$f1$e1" = "$f0$e0" ] && m=SMCD
		if [ "$name" = nginx_close ]; then
			# no handshake error before wrk began to exit, at most one
			# per connection and end in its exit
			[ $((h1 - h0)) -le 8 ] && [ $((g1 - g0)) -le 8 ] || m=FALLBACK
			read -r _ _ h1 g1 _ <<<"${during:-x x x x}"
		fi
		[ "$h1$g1" = "$h0$g0" ] || m=FALLBACK
	fi
	if [ -z "$v" ]; then
		echo "BENCH-ERROR nocopy-default $rep $name $kind: no result from $*"
		sed 's/^/## /' /tmp/app.out | tail -n 5
		return
	fi
	echo "BENCH nocopy-default $rep $name $kind $v $unit mode=$m"
}

redis_rps() { tr '\r' '\n' | awk -F'"' '$2 == "SET" || $2 == "GET" { print $4 }'; }
wrk_rps() { awk '/^Requests\/sec:/ { print $2 }'; }
iperf_mbs() { awk '/receiver/ { print $(NF - 2) }'; }
sockperf_bw() { sed -n 's/.*BandWidth is \([0-9.]*\) MBps.*/\1/p'; }
sockperf_lat() { sed -n 's/.*Latency is \([0-9.]*\) usec.*/\1/p'; }

apps() {
	local rep kind port n=${BENCH_REDIS_N:-20000} np=${BENCH_REDIS_NP:-100000}
	echo "## programs: redis, nginx, iperf3, sockperf (no-copy, default buffers)"
	# port 63xx/80xx/52xx/113xx + 0: TCP, + 1: under smc_run
	redis-server --port 6380 --save '' --appendonly no --logfile /tmp/r0.log &
	smc_run redis-server --port 6381 --save '' --appendonly no --logfile /tmp/r1.log &
	nginx_start nginx-tcp 8080
	nginx_start nginx-smc 8081 smc_run
	iperf3 -s -p 5200 >/dev/null 2>&1 &
	smc_run iperf3 -s -p 5201 >/dev/null 2>&1 &
	sockperf sr --tcp -i 127.0.0.1 -p 11300 >/dev/null 2>&1 &
	smc_run sockperf sr --tcp -i 127.0.0.1 -p 11301 >/dev/null 2>&1 &
	sleep 2
	for rep in $(seq "$R"); do
		for kind in tcp smc; do
			port=0
			[ $kind = smc ] && port=1
			app "$rep" redis_set $kind req/s redis_rps \
				redis-benchmark -p 638$port -c 20 -n "$n" -t set -d 64 --csv
			app "$rep" redis_get $kind req/s redis_rps \
				redis-benchmark -p 638$port -c 20 -n "$n" -t get -d 64 --csv
			app "$rep" redis_getp16 $kind req/s redis_rps \
				redis-benchmark -p 638$port -c 20 -n "$np" -P 16 -t get -d 64 --csv
			app "$rep" nginx_1k $kind req/s wrk_rps \
				wrk -t 2 -c 8 -d "${T}s" http://127.0.0.1:808$port/1k.bin
			app "$rep" nginx_1m $kind req/s wrk_rps \
				wrk -t 2 -c 8 -d "${T}s" http://127.0.0.1:808$port/1m.bin
			app "$rep" nginx_close $kind req/s wrk_rps \
				wrk -t 2 -c 8 -d "${T}s" -H "Connection: close" \
				http://127.0.0.1:808$port/1k.bin
			app "$rep" iperf3 $kind MB/s iperf_mbs \
				iperf3 -c 127.0.0.1 -p 520$port -t "$T" -l 64K -f M
			app "$rep" sockperf_tp $kind MB/s sockperf_bw \
				sockperf tp --tcp -i 127.0.0.1 -p 1130$port -m 64000 -t "$T"
			app "$rep" sockperf_pp $kind us sockperf_lat \
				sockperf pp --tcp -i 127.0.0.1 -p 1130$port -m 14 -t "$T"
		done
	done
	# the servers go before smc_loopback is reloaded for copy mode
	kill $(jobs -p) 2>/dev/null
	wait
}

# Debian's own kernel (stock guest, our modules): what an operator gets
# with the distribution's configuration (init_on_alloc, preemption, HZ)
if [ -n "${BENCH_STOCK:-}" ]; then
	modprobe smc_loopback
	echo "## stock kernel $(uname -r), no-copy, default buffers"
	for rep in $(seq "$R"); do
		for kind in -T ""; do
			bench stock-default "$rep" bulk1 $kind bulk -t "$T" -l 65536
			bench stock-default "$rep" pp14 $kind pingpong -t "$T" -l 14
			bench stock-default "$rep" connrate $kind connrate -t "$T"
		done
	done
	echo "## done"
	exit 0
fi

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
	[ $mode = nocopy ] && apps
	if [ $mode = nocopy ]; then
		echo "## concurrent connections"
		bench nocopy-default 1 concurrent -T concurrent -n "${BENCH_CONNS:-5000}"
		bench nocopy-default 1 concurrent concurrent -n "${BENCH_CONNS:-5000}"
	fi
done
echo "## done"
