# shellcheck shell=bash
# The user's path, tested: an unmodified program pair (Debian's iperf3)
# started under smc_run (harness/tools), over 127.0.0.1 and ::1. While the
# transfer runs, sock_diag (smc_info sockets) must show every connection
# of the pair in mode SMCD at both ends, on the loopback device (peer GID
# == own GID); afterwards the SMC-D statistics (SMC_NETLINK_GET_STATS)
# must have grown by exactly the connections iperf3 made (a control and a
# data connection: two client and two server v2 successes). Exit 0 pass,
# 1 fail. Run by jobs/selftests.sh with smc_loopback loaded.
PATH=/selftests:$PATH
fail=0

# "client v2 N, server v2 M" of the SMC-D statistics
v2_counts() {
	smc_info stats | sed -n 's/.*client v1 [0-9]* v2 \([0-9]*\), server v1 [0-9]* v2 \([0-9]*\)$/\1 \2/p'
}

one_pair() {		# one_pair ADDR PORT
	local addr=$1 port=$2 before after socks n_smcd n_all c0 s0 c1 s1
	echo "## smc_run iperf3 over $addr port $port"
	before=$(v2_counts)
	[ -n "$before" ] || { echo "## no SMC-D statistics"; fail=1; return; }
	smc_run iperf3 -s -1 -p "$port" >/tmp/iperf-s.log 2>&1 &
	local spid=$!
	for _ in $(seq 100); do
		smc_info sockets | grep -q "sport $port dport 0 " && break
		sleep 0.1
	done
	smc_run iperf3 -c "$addr" -p "$port" -t 4 -l 64K -f m >/tmp/iperf-c.log 2>&1 &
	local cpid=$!
	# the client may take seconds to start on a debug kernel (its first
	# run waits for the random pool): look until both connections show,
	# within the 4 s the data connection lasts
	for _ in $(seq 100); do
		socks=$(smc_info sockets | grep -E "(sport|dport) $port " | grep -v 'dport 0 ')
		[ "$(echo "$socks" | grep -c 'state 1 ')" -ge 4 ] && break
		kill -0 "$cpid" 2>/dev/null || break
		sleep 0.1
	done
	echo "$socks" | sed 's/^/##   /'
	wait "$cpid" || { echo "## iperf3 client failed:"; cat /tmp/iperf-c.log; fail=1; }
	# a one-off server exits after its client; one that never had one
	# must not hang the suite
	for _ in $(seq 50); do
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$spid" 2>/dev/null; then
		echo "## iperf3 server still running after its client: killed"
		kill "$spid"
		fail=1
	fi
	wait "$spid" || { echo "## iperf3 server failed:"; cat /tmp/iperf-s.log; fail=1; }
	grep -E 'sender|receiver' /tmp/iperf-c.log | sed 's/^/##   /'
	grep -q 'receiver' /tmp/iperf-c.log || { echo "## no transfer reported"; fail=1; }
	n_all=$(echo "$socks" | grep -c . || true)
	# SMC-D over loopback: mode SMCD, the peer's GID is our own
	n_smcd=$(echo "$socks" | awk '/ mode SMCD / {
		for (i = 1; i < NF; i++) { if ($i == "gid") g = $(i + 1); if ($i == "peer_gid") p = $(i + 1) }
		if (g != "" && g == p) n++ } END { print n + 0 }')
	if [ "$n_all" -ne 4 ] || [ "$n_smcd" -ne 4 ]; then
		echo "## expected 4 connected sockets (2 connections, both ends) in mode SMCD on loopback, saw $n_all, $n_smcd in SMCD"
		fail=1
	fi
	after=$(v2_counts)
	read -r c0 s0 <<<"$before"
	read -r c1 s1 <<<"$after"
	echo "## SMC-D v2 connections: client $c0 -> $c1, server $s0 -> $s1"
	if [ $((c1 - c0)) -ne 2 ] || [ $((s1 - s0)) -ne 2 ]; then
		echo "## the SMC-D counters did not grow by the 2 connections iperf3 made"
		fail=1
	fi
}

one_pair 127.0.0.1 5210
one_pair ::1 5211
exit $fail
