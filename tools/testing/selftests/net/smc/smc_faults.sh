#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Faults around SMC-D over loopback-ism; every step is time-bounded and an
# application must either complete with intact data or get an error or EOF,
# never hang:
#
#  - shutdown(SHUT_WR) half-close: the other end reads EOF after all data,
#    then still sends its own stream back, intact (both roles)
#  - SIGKILL of one end in the middle of a transfer in both directions: the
#    other end gets an error or EOF promptly (both roles)
#  - reset: close() with SO_LINGER 0 in the middle of a transfer: the peer
#    gets ECONNRESET or EOF promptly, never corrupted data (both roles)
#  - smc_loopback unloaded and loaded CYCLES times (default 50), an SMC-D
#    connection with data checked in between; every load has a new GID.
#    The first unload also shows that the faults above left no connection
#    pinning the device.
#  - the smc module itself reloaded (rmmod smc_diag smc_loopback smc,
#    modprobe), SMC-D works afterwards
#  - no kernel warnings meanwhile
#
# Needs root and loadable smc, smc_diag and smc_loopback modules. Leaves
# all three loaded.

source "$(dirname "$(readlink -f "$0")")/smc_lib.sh"

PORT=5331
CYCLES=${SMC_FAULT_CYCLES:-50}
RELOADS=${SMC_FAULT_RELOADS:-3}
CONNS=4			# connections per fault case
NOTICE=20		# seconds the surviving end may take to notice
PIDS=()

cleanup()
{
	local pid

	for pid in "${PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	for m in smc smc_diag $SMC_LO_MODULE; do
		[ -d /sys/module/$m ] || modprobe -q $m
	done
	rm -rf "$SMC_TMP"
}
trap cleanup EXIT

now_ms()
{
	local t=${EPOCHREALTIME//[.,]/}

	echo $((t / 1000))
}

# start_peer NAME ROLE ARGS: smc_peer in the background, its pid in PEER
start_peer()
{
	local name=$1 role=$2 args=$3

	# shellcheck disable=SC2086
	"$SMC_PEER" "$role" $args >"$SMC_TMP/$name.$role" 2>&1 &
	PEER=$!
	PIDS+=("$PEER")
}

# wait_bounded PID SECONDS: the exit status of PID, or 124 (after SIGKILL)
# if it is still running after SECONDS
wait_bounded()
{
	local pid=$1 end=$(($(now_ms) + $2 * 1000))

	while kill -0 "$pid" 2>/dev/null; do
		if [ "$(now_ms)" -gt $end ]; then
			kill -9 "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			return 124
		fi
		sleep 0.05
	done
	wait "$pid"
}

# wait_modes NAME ROLE: until the peer has printed the modes of all its
# connections (it streams right after that)
wait_modes()
{
	local f="$SMC_TMP/$1.$2" i

	for ((i = 0; i < 300; i++)); do
		[ "$(grep -cE 'conn [0-9]+ port [0-9]+: mode ' "$f")" -ge $CONNS ] &&
			return 0
		sleep 0.1
	done
	return 1
}

# start_pair NAME "SERVER ARGS" "CLIENT ARGS": both ends streaming over
# SMC-D; SRV and CLI are their pids. Returns 1 if they do not get there.
start_pair()
{
	local name=$1 i

	rm -f "$SMC_TMP/$name.ready"
	start_peer "$name" server \
		"-4 -p $PORT -n $CONNS -e loopback -w 30 -r $SMC_TMP/$name.ready $2"
	SRV=$PEER
	for ((i = 0; i < 100; i++)); do
		[ -e "$SMC_TMP/$name.ready" ] && break
		sleep 0.1
	done
	start_peer "$name" client "-4 -p $PORT -n $CONNS -e loopback $3"
	CLI=$PEER
	wait_modes "$name" server && wait_modes "$name" client || return 1
	[ "$(smc_count_mode "$SMC_TMP/$name.server" SMCD)" -eq $CONNS ] &&
		[ "$(smc_count_mode "$SMC_TMP/$name.client" SMCD)" -eq $CONNS ]
}

# bytes a peer's output reports as received and verified
rx_bytes()
{
	sed -nE 's/.*received ([0-9]+) bytes verified.*/\1/p' "$1" |
		awk '{ s += $1 } END { print s + 0 }'
}

# what the surviving end saw, e.g. "ECONNRESET 3, EPIPE 1, early EOF 0"
seen_errors()
{
	local f=$1

	printf "ECONNRESET %d, EPIPE %d, early EOF %d, other errors %d" \
		"$(grep -o 'reset by peer' "$f" | wc -l)" \
		"$(grep -o 'Broken pipe' "$f" | wc -l)" \
		"$(grep -o 'EOF after' "$f" | wc -l)" \
		"$(grep -oE 'failed after [0-9]+ bytes: [A-Za-z ]+' "$f" |
		   grep -cvE 'reset by peer|Broken pipe')"
}

# ---- half-close ---------------------------------------------------------------

# half_close FIRST: FIRST (client|server) sends 4M, shuts down its write
# side and then receives the other end's 4M, sent only after its EOF
half_close()
{
	local first=$1 sargs="-4 -p $PORT -b 4M -e loopback" cargs rc=0

	cargs=$sargs
	if [ "$first" = client ]; then sargs="$sargs -H"; else cargs="$cargs -H"; fi
	smc_pair "half_$first" "" "" 60 "$sargs" "$cargs"
	if [ "$SRV_RC" -ne 0 ] || [ "$CLI_RC" -ne 0 ]; then
		rc=1
		echo "server rc $SRV_RC, client rc $CLI_RC"
		smc_show "$SMC_TMP/half_$first.srv" "$SMC_TMP/half_$first.cli"
	fi
	log_test $rc "half-close by the $first: EOF, then 4 MiB back, both intact"
}

# ---- SIGKILL and reset ----------------------------------------------------------

# kill_end VICTIM: SIGKILL VICTIM (client|server) while both ends stream
kill_end()
{
	local victim=$1 name=kill_$1 vpid spid survivor rc=0 vrc t0 ms

	if ! start_pair "$name" "-d 120" "-d 120"; then
		smc_show "$SMC_TMP/$name".*
		log_test 1 "SIGKILL of the $victim: connections over SMC-D"
		return
	fi
	sleep 2		# well into the transfer
	if [ "$victim" = client ]; then
		vpid=$CLI spid=$SRV survivor=server
	else
		vpid=$SRV spid=$CLI survivor=client
	fi
	t0=$(now_ms)
	# (without bash's "Killed" job notice)
	{ kill -9 "$vpid"; wait_bounded "$vpid" $NOTICE; } 2>/dev/null
	vrc=$?
	wait_bounded "$spid" $NOTICE
	rc=$?
	ms=$(($(now_ms) - t0))
	echo -n "SIGKILL of the $victim: the $survivor exited with $rc after ${ms} ms, "
	echo -n "$(rx_bytes "$SMC_TMP/$name.$survivor") bytes received and verified, "
	echo "saw: $(seen_errors "$SMC_TMP/$name.$survivor")"
	case $rc in
	0|3) rc=0 ;;	# complete, or a connection error/EOF
	124) echo "the $survivor hung after the $victim was killed"; rc=1 ;;
	*) rc=1 ;;
	esac
	if [ "$vrc" -ne 137 ]; then
		echo "the killed $victim exited with $vrc, not 137 (SIGKILL)"
		rc=1
	fi
	[ $rc -ne 0 ] && smc_show "$SMC_TMP/$name".*
	log_test $rc "SIGKILL of the $victim mid-transfer: the $survivor gets an error or EOF"
}

# reset_end ABORTER: ABORTER closes all connections with SO_LINGER 0
reset_end()
{
	local aborter=$1 name=reset_$1 apid ppid peer rc=0 arc sargs cargs ms
	local t0

	sargs="-b 1G" cargs="-b 1G"
	if [ "$aborter" = client ]; then
		cargs="$cargs -R 3" peer=server
	else
		sargs="$sargs -R 3" peer=client
	fi
	if ! start_pair "$name" "$sargs" "$cargs"; then
		smc_show "$SMC_TMP/$name".*
		log_test 1 "reset by the $aborter: connections over SMC-D"
		return
	fi
	if [ "$aborter" = client ]; then
		apid=$CLI ppid=$SRV
	else
		apid=$SRV ppid=$CLI
	fi
	wait_bounded "$apid" $((NOTICE + 3))
	arc=$?
	t0=$(now_ms)
	wait_bounded "$ppid" $NOTICE
	rc=$?
	ms=$(($(now_ms) - t0))
	echo -n "reset by the $aborter after $(rx_bytes "$SMC_TMP/$name.$aborter") bytes received: "
	echo -n "the $peer exited with $rc ${ms} ms later, "
	echo -n "$(rx_bytes "$SMC_TMP/$name.$peer") bytes received and verified, "
	echo "saw: $(seen_errors "$SMC_TMP/$name.$peer")"
	# the peer cannot have completed 1G: a connection error (3) is due
	case $rc in
	3) rc=0 ;;
	124) echo "the $peer hung after the reset"; rc=1 ;;
	*) rc=1 ;;
	esac
	if [ "$arc" -ne 0 ]; then
		echo "the $aborter exited with $arc"
		rc=1
	fi
	[ $rc -ne 0 ] && smc_show "$SMC_TMP/$name".*
	log_test $rc \
		"SO_LINGER 0 close by the $aborter mid-transfer: the $peer gets an error or EOF"
}

# ---- module cycles ----------------------------------------------------------------

lo_cycles()
{
	local i rc=0 gids=() bytes=0 t0=$SECONDS ndiff

	for ((i = 1; i <= CYCLES; i++)); do
		smc_lo_unload 30
		rc=$?
		if [ $rc -ne 0 ]; then
			echo -n "cycle $i: rmmod $SMC_LO_MODULE failed ($rc): "
			cat "$SMC_TMP/rmmod.out"
			break
		fi
		if smc_lo_loaded; then
			echo "cycle $i: $SMC_LO_MODULE still loaded after rmmod"
			rc=1
			break
		fi
		if ! modprobe $SMC_LO_MODULE; then
			echo "cycle $i: modprobe $SMC_LO_MODULE failed"
			rc=1
			break
		fi
		smc_pair cycle "" "" 60 "-4 -p $PORT -b 256K -e loopback" \
			"-4 -p $PORT -b 256K -e loopback"
		if [ "$SRV_RC" -ne 0 ] || [ "$CLI_RC" -ne 0 ]; then
			echo "cycle $i: server rc $SRV_RC, client rc $CLI_RC"
			smc_show "$SMC_TMP/cycle.srv" "$SMC_TMP/cycle.cli"
			rc=1
			break
		fi
		bytes=$((bytes + $(rx_bytes "$SMC_TMP/cycle.srv") + \
			 $(rx_bytes "$SMC_TMP/cycle.cli")))
		gids+=("$(sed -nE 's/.* gid (0x[0-9a-f]+) .*/\1/p' \
			"$SMC_TMP/cycle.cli" | head -n 1)")
	done
	ndiff=$(printf "%s\n" "${gids[@]}" | sort -u | grep -c .)
	echo -n "$((i - 1)) of $CYCLES unload/load cycles in $((SECONDS - t0)) s, "
	echo "$bytes bytes verified over SMC-D, $ndiff distinct GIDs"
	log_test $rc "$CYCLES x rmmod + modprobe $SMC_LO_MODULE, SMC-D with data in between"
	[ $rc -ne 0 ] && return
	rc=0
	[ "$ndiff" -eq $CYCLES ] || rc=1
	log_test $rc "a new GID on every load ($ndiff distinct of $CYCLES)"
}

smc_reload()
{
	local i m rc=0 mods="smc_diag $SMC_LO_MODULE smc"

	for ((i = 1; i <= RELOADS && rc == 0; i++)); do
		for m in $mods; do
			smc_unload_module $m 60
			rc=$?
			if [ $rc -ne 0 ] || [ -d /sys/module/$m ]; then
				echo "reload $i: rmmod $m failed ($rc): $(cat "$SMC_TMP/rmmod.out")"
				rc=1
				break
			fi
		done
		[ $rc -ne 0 ] && break
		for m in smc smc_diag $SMC_LO_MODULE; do
			if ! modprobe $m; then
				echo "reload $i: modprobe $m failed"
				rc=1
				break
			fi
		done
		[ $rc -ne 0 ] && break
		smc_pair reload "" "" 60 "-4 -p $PORT -b 1M -e loopback" \
			"-4 -p $PORT -b 1M -e loopback"
		if [ "$SRV_RC" -ne 0 ] || [ "$CLI_RC" -ne 0 ]; then
			echo "reload $i: server rc $SRV_RC, client rc $CLI_RC"
			smc_show "$SMC_TMP/reload.srv" "$SMC_TMP/reload.cli"
			rc=1
		fi
	done
	log_test $rc "$RELOADS x rmmod smc_diag $SMC_LO_MODULE smc + modprobe, then SMC-D works"
}

smc_require_root
smc_require_cmds timeout modprobe rmmod sed awk sort
smc_require_peer
[ -n "$EPOCHREALTIME" ] || smc_skip "bash without EPOCHREALTIME"
smc_load_modules
smc_lo_unloadable || smc_skip "$SMC_LO_MODULE is built in, cannot reload it"
smc_dmesg_mark "start"

half_close client
half_close server
kill_end client
kill_end server
reset_end client
reset_end server
PIDS=()

lo_cycles
if [ -e /sys/module/smc/initstate ] && [ -e /sys/module/smc_diag/initstate ]; then
	smc_reload
else
	echo "smc or smc_diag is built in: no reload"
fi

smc_dmesg_check
[ $? -eq 1 ] && rc=1 || rc=0
log_test $rc "no kernel warnings"

exit $ret
