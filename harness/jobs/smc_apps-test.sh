# shellcheck shell=bash
# Programs nobody here wrote, under smc_run: Debian's redis-server with
# redis-cli and redis-benchmark, and nginx (sendfile on) with wrk, both
# keep-alive and with a new connection per request. Every run must
#  - answer correctly: redis values read back; every HTTP response 200
#    with exactly the file's bytes (harness/tools/wrk-check.lua);
#  - be SMC-D: while it runs, sock_diag shows its established connections
#    in mode SMCD on the loopback device at both ends, none fell back;
#  - leave the SMC statistics with no new fallback and no handshake error,
#    and SMC-D v2 connections grown equally at both ends, by exactly the
#    number redis counted itself, by at least the connections wrk made;
#    with a new connection per request, the handshakes wrk's exit aborts
#    (at most one per connection) are counted apart from the run's.
# usage: smc_apps-test.sh [redis|nginx] (default both). Exit 0 pass, 1 fail.
# Run by jobs/selftests.sh with smc_loopback loaded.
PATH=/selftests:$PATH
. /guest-lib.sh
fail=0
SECS=${SMC_APPS_SECS:-2}

bad() {
	echo "## FAIL: $*"
	fail=1
}

# check_counters WHAT BEFORE AFTER MIN [EXACT [any]]: the SMC-D v2
# connections grew by the same number N >= MIN at both ends (N == EXACT if
# given; "any": by N >= MIN each, handshakes may be in flight at AFTER),
# and no fallback or handshake error happened meanwhile.
check_counters() {
	local what=$1 c0 s0 h0 g0 f0 e0 c1 s1 h1 g1 f1 e1
	read -r c0 s0 h0 g0 f0 e0 <<<"$2"
	read -r c1 s1 h1 g1 f1 e1 <<<"$3"
	echo "## $what: SMC-D v2 connections client +$((c1 - c0)) server +$((s1 - s0));" \
		"handshake errors +$((h1 - h0))/+$((g1 - g0)); fallbacks +$((f1 - f0))/+$((e1 - e0))"
	[ -n "$e1" ] || { bad "$what: no SMC statistics"; return; }
	if [ "${6:-}" = any ]; then
		[ $((s1 - s0)) -ge "$4" ] || bad "$what: fewer than $4 SMC-D connections on the server"
	else
		[ $((c1 - c0)) -eq $((s1 - s0)) ] || bad "$what: client and server counts differ"
	fi
	[ $((c1 - c0)) -ge "$4" ] || bad "$what: fewer than $4 SMC-D connections on the client"
	[ -z "${5:-}" ] || [ $((s1 - s0)) -eq "$5" ] ||
		bad "$what: the program counted $5 connections"
	[ "$f1" -eq "$f0" ] && [ "$e1" -eq "$e0" ] || bad "$what: connections fell back to TCP"
	[ "$h1" -eq "$h0" ] && [ "$g1" -eq "$g0" ] || bad "$what: SMC handshakes failed"
}

# watch_port PORT PID WANT: while PID runs, look at sock_diag until WANT
# established sockets on PORT (both ends count) show; all of them must be
# SMCD on loopback (peer GID == own GID), none a fallback.
watch_port() {
	local port=$1 pid=$2 want=$3 socks n_est n_lo n_fb
	for _ in $(seq 200); do
		socks=$(smc_info sockets | grep -E "(sport|dport) $port " | grep -v 'dport 0 ')
		n_est=$(echo "$socks" | grep -c 'state 1 ')
		[ "$n_est" -ge "$want" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	n_lo=$(echo "$socks" | awk '/state 1 / && / mode SMCD / {
		for (i = 1; i < NF; i++) { if ($i == "gid") g = $(i + 1); if ($i == "peer_gid") p = $(i + 1) }
		if (g != "" && g == p) n++ } END { print n + 0 }')
	n_fb=$(echo "$socks" | grep -c 'mode FALLBACK')
	echo "## port $port: $n_est established sockets, $n_lo SMCD on loopback, $n_fb fallbacks"
	[ "$n_est" -ge "$want" ] || bad "port $port: fewer than $want established sockets seen"
	[ "$n_lo" -eq "$n_est" ] || bad "port $port: established sockets not SMCD on loopback"
	[ "$n_fb" -eq 0 ] || bad "port $port: fallback sockets"
}

wait_listen() {		# wait_listen PORT
	for _ in $(seq 100); do
		smc_info sockets | grep -q "sport $1 dport 0 " && return 0
		sleep 0.1
	done
	bad "nothing listens on port $1"
	return 1
}

redis_total() {		# connections redis-server accepted, this one included
	smc_run redis-cli -h 127.0.0.1 -p "$1" info stats |
		sed -n 's/^total_connections_received:\([0-9]*\).*/\1/p'
}

test_redis() {
	local port=6390 spid bpid t0 t1 before after v got
	echo "## redis-server, redis-cli and redis-benchmark under smc_run"
	smc_run redis-server --port "$port" --bind 127.0.0.1 ::1 --save '' \
		--appendonly no --protected-mode no --daemonize no \
		--logfile /tmp/redis.log &
	spid=$!
	wait_listen "$port" || { kill "$spid"; return; }
	before=$(smc_counters)
	t0=$(redis_total "$port")
	v=$(head -c 3000 /dev/urandom | od -An -tx1 | tr -d ' \n')
	for addr in 127.0.0.1 ::1; do
		smc_run redis-cli -h "$addr" -p "$port" set "key-$addr" "$v" >/dev/null
		got=$(smc_run redis-cli -h "$addr" -p "$port" get "key-$addr")
		[ "$got" = "$v" ] || bad "redis over $addr: GET did not return the 6000-character value SET"
	done
	smc_run redis-benchmark -h 127.0.0.1 -p "$port" -c 20 -n 4000 -t set,get \
		-d 64 -q >/tmp/redis-bench.log 2>&1 &
	bpid=$!
	watch_port "$port" "$bpid" 40
	wait "$bpid" || bad "redis-benchmark exited $?"
	sed 's/.*\r//; s/^/##   /' /tmp/redis-bench.log
	# (no /dev/fd in the guest for <(...))
	tr '\r' '\n' </tmp/redis-bench.log >/tmp/redis-bench.lines
	grep -q '^SET: [0-9.]* requests per second' /tmp/redis-bench.lines &&
		grep -q '^GET: [0-9.]* requests per second' /tmp/redis-bench.lines ||
		bad "redis-benchmark reported no SET and GET rates"
	got=$(smc_run redis-cli -h ::1 -p "$port" get "key-127.0.0.1")
	[ "$got" = "$v" ] || bad "redis: the value changed after the benchmark"
	t1=$(redis_total "$port")
	after=$(smc_counters)
	echo "## redis-server accepted $((t1 - t0 + 1)) connections"
	check_counters redis "$before" "$after" 45 $((t1 - t0 + 1))
	kill "$spid"
	wait "$spid" 2>/dev/null
}

# check_teardown WHAT BEFORE DURING AFTER: wrk exits with a handshake in
# flight on some of its 8 connections, and the kernel aborts those: at
# most one handshake error per connection and end, each success one end
# counted and the other did not (BEFORE to AFTER) matched by an error,
# and no fallback.
check_teardown() {
	local what=$1 c0 s0 h0 g0 f0 e0 c1 s1 h1 g1 f1 e1 d
	read -r c0 s0 _ <<<"$2"
	read -r c1 s1 _ <<<"$4"
	d=$(((c1 - c0) - (s1 - s0)))
	read -r c0 s0 h0 g0 f0 e0 <<<"$3"
	read -r c1 s1 h1 g1 f1 e1 <<<"$4"
	echo "## $what, wrk's exit: SMC-D v2 connections client +$((c1 - c0))" \
		"server +$((s1 - s0)); handshakes aborted +$((h1 - h0))/+$((g1 - g0));" \
		"fallbacks +$((f1 - f0))/+$((e1 - e0))"
	[ -n "$e1" ] || { bad "$what: no SMC statistics"; return; }
	[ $((h1 - h0)) -le 8 ] && [ $((g1 - g0)) -le 8 ] ||
		bad "$what: more handshakes failed at wrk's exit than it had connections"
	[ "${d#-}" -le $((h1 - h0 + g1 - g0)) ] ||
		bad "$what: client and server counts differ by more than the aborted handshakes"
	[ "$f1" -eq "$f0" ] && [ "$e1" -eq "$e0" ] || bad "$what: connections fell back to TCP"
}

# wrk_run WHAT URL FILE MIN_CONNS [wrk options]: responses checked;
# MIN_CONNS 8: keep-alive (wrk's 8 connections, watched in sock_diag), 0:
# a new connection per request (at least one per good response)
wrk_run() {
	local what=$1 url=$2 file=$3 min=$4 before during after wpid good nbad c0 s0 c1 s1
	shift 4
	before=$(smc_counters)
	WRK_EXPECT=$file smc_run wrk -t 2 -c 8 -d "${SECS}s" -s /selftests/wrk-check.lua \
		"$@" "$url" >/tmp/wrk.log 2>&1 &
	wpid=$!
	# keep-alive: the 8 connections, both ends, established and SMCD
	[ "$min" -eq 8 ] && watch_port 8080 "$wpid" 16
	during=$(counters_while "$wpid")
	wait "$wpid" || bad "$what: wrk exited $?"
	after=$(settled_counters)
	sed 's/^/##   /' /tmp/wrk.log
	read -r good nbad <<<"$(sed -n 's/^WRK-CHECK good \([0-9]*\) bad \([0-9]*\)$/\1 \2/p' /tmp/wrk.log)"
	[ -n "$good" ] || { bad "$what: wrk reported no checked responses"; return; }
	[ "$good" -gt 0 ] && [ "$nbad" -eq 0 ] ||
		bad "$what: $nbad of $((good + nbad)) responses wrong"
	if [ "$min" -eq 8 ]; then
		# keep-alive: wrk's exit closes established connections only
		check_counters "$what" "$before" "$after" 8
		return
	fi
	# A new connection per request: at least one per good response, the
	# run itself without a failed handshake (counted until wrk began to
	# exit), then what its exit aborted.
	[ -n "$during" ] || { bad "$what: wrk ended before the statistics were read"; return; }
	check_counters "$what, while wrk ran" "$before" "$during" 1 "" any
	check_teardown "$what" "$before" "$during" "$after"
	read -r c0 s0 _ <<<"$before"
	read -r c1 s1 _ <<<"$after"
	[ $((c1 - c0)) -ge "$good" ] && [ $((s1 - s0)) -ge "$good" ] ||
		bad "$what: fewer SMC-D connections than the $good responses"
}

test_nginx() {
	local npid
	echo "## nginx (sendfile on) and wrk under smc_run"
	nginx_start nginx 8080 smc_run
	npid=$!
	wait_listen 8080 || { cat /tmp/nginx/error.log; kill "$npid"; return; }
	wrk_run "nginx 1 KiB, keep-alive" http://127.0.0.1:8080/1k.bin /tmp/www/1k.bin 8
	wrk_run "nginx 1 MiB, keep-alive" "http://[::1]:8080/1m.bin" /tmp/www/1m.bin 8
	wrk_run "nginx 1 KiB, Connection: close" http://127.0.0.1:8080/1k.bin /tmp/www/1k.bin 0 \
		-H "Connection: close"
	kill "$npid"
	wait "$npid" 2>/dev/null
	if grep -E '\[(emerg|alert|crit|error)\]' /tmp/nginx/error.log; then
		bad "nginx logged errors"
	fi
}

case ${1:-all} in
redis) test_redis ;;
nginx) test_nginx ;;
*) test_redis; test_nginx ;;
esac
exit $fail
