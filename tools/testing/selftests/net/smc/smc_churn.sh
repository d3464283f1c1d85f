#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Connection churn on loopback-ism with its DMBs running out, while AF_SMC
# sock_diag dumps run all the time (smc_churn). smc_diag reads the DMB and
# send buffer descriptors of the listed sockets without their lock, and a
# DMB goes when its connection is freed, also while the socket is listed.
# smc_loopback is reloaded with max_dmbs=64 (32 SMC-D connections over
# loopback, each needs two), smc_churn holds 48 connections open at a time
# besides the ones it opens and closes in varying ways.
#
#  - smc_churn passes: data intact, both ends of every connection SMC-D or
#    fallen back for want of DMBs, no error where none is due, no thread
#    without progress
#  - the churn did what it is for: connections used SMC-D, connections fell
#    back with SMC_CLC_DECL_MAX_DMB (0x030d0000), dumps ran and listed
#    sockets with SMC_DIAG_DMBINFO; any of them 0 is a failure
#  - all 64 DMBs are free again: 32 SMC-D connections at once
#  - smc_loopback unloads and loads with default parameters, and a new
#    connection uses SMC-D
#  - no BUG, WARNING, KASAN, lockdep or general protection fault report
#
# Needs root and a loadable smc_loopback with the max_dmbs parameter.
# SMC_CHURN_SECS: duration of the churn (default 60). A missing
# prerequisite skips, with SMC_TEST_REQUIRED=1 it fails instead (smc_skip).

source "$(dirname "$(readlink -f "$0")")/smc_lib.sh"

SMC_CHURN=${SMC_CHURN:-$SMC_DIR/smc_churn}
SECS=${SMC_CHURN_SECS:-60}
HOLD=48
LIMIT=64
PORT=5341
WAS_LOADED=0
LIMITED=0

cleanup()
{
	if [ $LIMITED -eq 1 ] && smc_lo_loaded; then
		smc_lo_unload 60 >/dev/null
	fi
	if [ $WAS_LOADED -eq 1 ] && ! smc_lo_loaded; then
		modprobe $SMC_LO_MODULE
	fi
	rm -rf "$SMC_TMP"
}
trap cleanup EXIT

# churn_count KEY: the number after KEY in smc_churn's summary, 0 if none
churn_count()
{
	local n

	n=$(sed -nE "s/^# summary:.* $1 ([0-9]+).*/\1/p" "$SMC_TMP/churn.out" |
	    tail -n 1)
	echo "${n:-0}"
}

smc_require_root
smc_require_cmds timeout modprobe rmmod dmesg
[ -x "$SMC_CHURN" ] || smc_skip "$SMC_CHURN not built"
smc_require_peer
smc_lo_loaded && WAS_LOADED=1
smc_load_modules
smc_lo_unloadable || smc_skip "$SMC_LO_MODULE is built in, cannot reload it"
smc_dmesg_mark "start"

if smc_lo_loaded; then
	smc_lo_unload 60
	rc=$?
	[ $rc -ne 0 ] && cat "$SMC_TMP/rmmod.out"
	log_test $rc "unload $SMC_LO_MODULE to set max_dmbs=$LIMIT"
	[ $rc -eq 0 ] || exit $ret
fi
if ! modprobe $SMC_LO_MODULE max_dmbs=$LIMIT; then
	modprobe $SMC_LO_MODULE
	smc_skip "$SMC_LO_MODULE does not take max_dmbs=$LIMIT"
fi
LIMITED=1
DMBS=$(cat /sys/module/$SMC_LO_MODULE/parameters/max_dmbs 2>/dev/null)
rc=0
[ "$DMBS" = $LIMIT ] || rc=1
log_test $rc "$SMC_LO_MODULE loaded with max_dmbs=$LIMIT (reads ${DMBS:-nothing})"
[ $rc -eq 0 ] || exit $ret

echo "smc_churn for ${SECS}s: $HOLD connections held at a time, $((LIMIT / 2)) fit SMC-D"
timeout -k 10 $((SECS + 240)) "$SMC_CHURN" -t "$SECS" -n $HOLD \
	>"$SMC_TMP/churn.out" 2>&1
crc=$?
smc_show "$SMC_TMP/churn.out"
if [ $crc -eq $ksft_skip ]; then
	smc_skip "smc_churn: $(sed -n 's/.*# SKIP //p' "$SMC_TMP/churn.out")"
fi
case $crc in
124|137) echo "smc_churn hung (killed by timeout)" ;;
esac
log_test $crc "smc_churn: data intact, no unexpected error or fallback, no stuck thread (rc $crc)"

dumps=$(churn_count dumps)
conns=$(churn_count connections)
smcd=$(churn_count smcd)
maxdmb=$(churn_count fallback-max-dmb)
dmbinfo=$(churn_count dmbinfo)

rc=0
[ "$smcd" -gt 0 ] || rc=1
log_test $rc "connections used SMC-D ($smcd of $conns)"
rc=0
[ "$maxdmb" -gt 0 ] || rc=1
log_test $rc "connections fell back for want of DMBs, 0x030d0000 ($maxdmb of $conns)"
rc=0
[ "$dumps" -gt 0 ] && [ "$dmbinfo" -gt 0 ] || rc=1
log_test $rc "sock_diag dumps ran meanwhile ($dumps, $dmbinfo sockets listed with DMBINFO)"

# the closed connections gave every DMB back (closes may still be finishing)
fit=$((LIMIT / 2))
for ((i = 0; i < 5; i++)); do
	smc_pair back "" "" 60 "-4 -p $PORT -n $fit -b 64k -e loopback" \
		"-4 -p $PORT -n $fit -b 64k -e loopback"
	[ "$SRV_RC" -eq 0 ] && [ "$CLI_RC" -eq 0 ] && break
	sleep 2
done
rc=0
[ "$SRV_RC" -ne 0 ] || [ "$CLI_RC" -ne 0 ] && rc=1
[ $rc -ne 0 ] && smc_show "$SMC_TMP/back.srv" "$SMC_TMP/back.cli"
log_test $rc "all $LIMIT DMBs free again: $fit SMC-D connections at once after the churn"

smc_lo_unload 60
rc=$?
[ $rc -ne 0 ] && cat "$SMC_TMP/rmmod.out"
if [ $rc -eq 0 ]; then
	LIMITED=0
	modprobe $SMC_LO_MODULE
	rc=$?
fi
DMBS=$(cat /sys/module/$SMC_LO_MODULE/parameters/max_dmbs 2>/dev/null)
log_test $rc "reload $SMC_LO_MODULE with default parameters (max_dmbs ${DMBS:-?})"
[ $rc -eq 0 ] || exit $ret

smc_pair after "" "" 60 "-4 -p $PORT -b 1M -e loopback" \
	"-4 -p $PORT -b 1M -e loopback"
rc=0
[ "$SRV_RC" -ne 0 ] || [ "$CLI_RC" -ne 0 ] && rc=1
[ $rc -ne 0 ] && smc_show "$SMC_TMP/after.srv" "$SMC_TMP/after.cli"
log_test $rc "a new connection uses SMC-D after the reload (server rc $SRV_RC, client rc $CLI_RC)"

smc_dmesg_check
rc=$?
if [ $rc -eq 2 ]; then
	# dmesg not readable: not checked, which SMC_TEST_REQUIRED forbids
	[ "${SMC_TEST_REQUIRED:-0}" = 1 ] && rc=1 || rc=0
fi
log_test $rc "no kernel report (BUG, WARNING, KASAN, lockdep, GPF) since the start"

exit $ret
