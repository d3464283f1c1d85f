#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DMB exhaustion on loopback-ism: smc_loopback is reloaded with a tiny
# max_dmbs and more connections are held open at once than it has DMBs
# for (each SMC-D connection over loopback needs two, one per end).
# Connections that do not get a DMB must fall back to TCP with the decline
# code SMC_CLC_DECL_MAX_DMB (0x030d0000, as reason or peer diagnosis) on
# both ends and still carry their data intact; the others use SMC-D. Once
# they are all closed, a new connection gets SMC-D again.
#
# Two rounds: an even max_dmbs runs out on the server (it registers its
# DMB first and declines), an odd one leaves the last DMB to a server, so
# that the client is the one that runs out and declines.
#
# Needs root and a loadable smc_loopback with the max_dmbs parameter.
# Restores smc_loopback with default parameters if it was loaded before.

source "$(dirname "$(readlink -f "$0")")/smc_lib.sh"

PORT=5321
WAS_LOADED=0
DMBS=0

cleanup()
{
	if [ -d /sys/module/$SMC_LO_MODULE ] &&
	   [ "$(cat /sys/module/$SMC_LO_MODULE/parameters/max_dmbs 2>/dev/null)" = "$DMBS" ]; then
		smc_lo_unload 60 >/dev/null
	fi
	if [ $WAS_LOADED -eq 1 ] && ! smc_lo_loaded; then
		modprobe $SMC_LO_MODULE
	fi
	rm -rf "$SMC_TMP"
}
trap cleanup EXIT

smc_require_root
smc_require_cmds timeout modprobe rmmod
smc_require_peer
smc_lo_loaded && WAS_LOADED=1
smc_load_modules
smc_lo_unloadable || smc_skip "$SMC_LO_MODULE is built in, cannot reload it"
smc_dmesg_mark "start"

# exhaust LIMIT: one round with max_dmbs=LIMIT
exhaust()
{
	local limit=$1 rc fit conns smcd fb maxdmb side own f
	local ssmcd sfb smaxdmb cport mismatch=0 cown sown

	if smc_lo_loaded; then
		smc_lo_unload 60
		rc=$?
		[ $rc -ne 0 ] && cat "$SMC_TMP/rmmod.out"
		log_test $rc "unload $SMC_LO_MODULE to set max_dmbs=$limit"
		[ $rc -eq 0 ] || exit $ret
	fi
	if ! modprobe $SMC_LO_MODULE max_dmbs="$limit"; then
		modprobe $SMC_LO_MODULE
		smc_skip "$SMC_LO_MODULE does not take max_dmbs=$limit"
	fi
	DMBS=$(cat /sys/module/$SMC_LO_MODULE/parameters/max_dmbs 2>/dev/null)
	DMBS=${DMBS:-$limit}
	if [ "$DMBS" -gt 64 ]; then
		smc_skip "max_dmbs is $DMBS after asking for $limit, too many to exhaust"
	fi

	# every connection needs two DMBs: open three more than fit
	fit=$((DMBS / 2))
	conns=$((fit + 3))
	echo "max_dmbs $DMBS: $conns connections held open, $fit with SMC-D"

	smc_pair "limit$limit" "" "" 120 "-4 -p $PORT -n $conns -b 1M -e any" \
		"-4 -p $PORT -n $conns -b 1M -e any"
	rc=0
	[ "$SRV_RC" -ne 0 ] || [ "$CLI_RC" -ne 0 ] && rc=1
	log_test $rc \
		"all $conns connections work, data intact (server rc $SRV_RC, client rc $CLI_RC)"

	for side in cli srv; do
		f="$SMC_TMP/limit$limit.$side"
		smcd=$(smc_count_mode "$f" SMCD)
		fb=$(smc_count_mode "$f" FALLBACK_TCP)
		maxdmb=$(grep -E "conn [0-9]+ port [0-9]+: mode FALLBACK_TCP " "$f" |
			 grep -c "0x030d0000")
		own=$(grep -cE \
			"conn [0-9]+ port [0-9]+: mode FALLBACK_TCP fallback_rsn 0x030d0000" "$f")
		echo -n "$side side: $smcd SMC-D, $fb fallback, $maxdmb of them with MAX_DMB, "
		echo "$own declined here"
		if [ $side = cli ]; then
			cown=$own
		else
			ssmcd=$smcd sfb=$fb smaxdmb=$maxdmb sown=$own
		fi
	done

	rc=0
	[ "$smcd" -eq $fit ] && [ "$ssmcd" -eq $fit ] &&
		[ "$fb" -eq $((conns - fit)) ] && [ "$sfb" -eq $((conns - fit)) ] ||
		rc=1
	log_test $rc "$fit connections use SMC-D on both ends, the other $((conns - fit)) fall back"

	rc=0
	[ "$maxdmb" -eq "$fb" ] && [ "$smaxdmb" -eq "$sfb" ] || rc=1
	log_test $rc "every fallback on both ends is due to DMB exhaustion (0x030d0000)"

	# the two ends of each connection (same client port) agree on the mode
	for cport in $(sed -nE 's/.*client conn [0-9]+ port ([0-9]+): mode .*/\1/p' \
		       "$SMC_TMP/limit$limit.cli"); do
		[ "$(grep -E "conn [0-9]+ port $cport: mode " "$SMC_TMP/limit$limit.cli" |
		     awk '{ print $8 }')" = \
		  "$(grep -E "conn [0-9]+ port $cport: mode " "$SMC_TMP/limit$limit.srv" |
		     awk '{ print $8 }')" ] || mismatch=$((mismatch + 1))
	done
	rc=0
	[ $mismatch -eq 0 ] || rc=1
	log_test $rc "client and server agree on each connection's mode ($mismatch differ)"

	# even: a server runs out first and declines; odd: the last DMB goes
	# to a server, its client runs out and declines
	rc=0
	if [ $((DMBS % 2)) -eq 1 ]; then
		[ "$cown" -ge 1 ] || rc=1
		log_test $rc "clients run out of DMBs and decline ($cown, servers $sown)"
	else
		[ "$sown" -ge 1 ] || rc=1
		log_test $rc "servers run out of DMBs and decline ($sown, clients $cown)"
	fi
	[ $ret -ne 0 ] && smc_show "$SMC_TMP/limit$limit.srv" "$SMC_TMP/limit$limit.cli"

	# the DMBs of the closed connections are available again
	smc_pair "again$limit" "" "" 60 "-4 -p $PORT -b 1M -e loopback" \
		"-4 -p $PORT -b 1M -e loopback"
	rc=0
	[ "$SRV_RC" -ne 0 ] || [ "$CLI_RC" -ne 0 ] && rc=1
	[ $rc -ne 0 ] && smc_show "$SMC_TMP/again$limit.srv" "$SMC_TMP/again$limit.cli"
	log_test $rc "SMC-D again after the connections are closed"
}

exhaust 4
exhaust 5

smc_dmesg_check
[ $? -eq 1 ] && rc=1 || rc=0
log_test $rc "no kernel warnings"

exit $ret
