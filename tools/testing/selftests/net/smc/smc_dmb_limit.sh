#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DMB exhaustion on loopback-ism: smc_loopback is reloaded with a tiny
# max_dmbs and more connections are held open at once than it has DMBs
# for (each SMC-D connection over loopback needs two, one per end).
# Connections that do not get a DMB must fall back to TCP with the decline
# code SMC_CLC_DECL_MAX_DMB (0x030d0000, as reason or peer diagnosis) and
# still carry their data intact; the others use SMC-D. Once they are all
# closed, a new connection gets SMC-D again.
#
# Needs root and a loadable smc_loopback with the max_dmbs parameter.
# Restores smc_loopback with default parameters if it was loaded before.

source "$(dirname "$(readlink -f "$0")")/smc_lib.sh"

PORT=5321
LIMIT=4
WAS_LOADED=0

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

smc_lo_unload 60
rc=$?
[ $rc -ne 0 ] && cat "$SMC_TMP/rmmod.out"
log_test $rc "unload $SMC_LO_MODULE to change max_dmbs"
[ $rc -eq 0 ] || exit $ret

if ! modprobe $SMC_LO_MODULE max_dmbs=$LIMIT; then
	modprobe $SMC_LO_MODULE
	smc_skip "$SMC_LO_MODULE does not take max_dmbs=$LIMIT"
fi
DMBS=$(cat /sys/module/$SMC_LO_MODULE/parameters/max_dmbs 2>/dev/null)
DMBS=${DMBS:-$LIMIT}
if [ "$DMBS" -gt 64 ]; then
	smc_skip "max_dmbs is $DMBS after asking for $LIMIT, too many to exhaust"
fi

# every connection needs two DMBs: open two more than fit
FIT=$((DMBS / 2))
CONNS=$((FIT + 2))
echo "max_dmbs $DMBS: $CONNS connections held open, at most $FIT with SMC-D"

smc_pair limit "" "" 120 "-4 -p $PORT -n $CONNS -b 1M -e any" \
	"-4 -p $PORT -n $CONNS -b 1M -e any"
rc=0
[ "$SRV_RC" -ne 0 ] || [ "$CLI_RC" -ne 0 ] && rc=1
log_test $rc "all $CONNS connections work, data intact (server rc $SRV_RC, client rc $CLI_RC)"

smcd=$(smc_count_mode "$SMC_TMP/limit.cli" SMCD)
fb=$(smc_count_mode "$SMC_TMP/limit.cli" FALLBACK_TCP)
maxdmb=$(grep -E "conn [0-9]+ port [0-9]+: mode FALLBACK_TCP " \
	"$SMC_TMP/limit.cli" | grep -c "0x030d0000")
echo "client side: $smcd SMC-D, $fb fallback, $maxdmb of them with MAX_DMB"

rc=0
[ $((smcd + fb)) -eq $CONNS ] && [ "$smcd" -ge 1 ] && [ "$smcd" -le $FIT ] || rc=1
log_test $rc "between 1 and $FIT connections use SMC-D, the rest fall back"

rc=0
[ "$fb" -ge 1 ] && [ "$maxdmb" -eq "$fb" ] || rc=1
log_test $rc "every fallback is due to DMB exhaustion (0x030d0000)"
[ $ret -ne 0 ] && smc_show "$SMC_TMP/limit.srv" "$SMC_TMP/limit.cli"

# the DMBs of the closed connections are available again
smc_pair again "" "" 60 "-4 -p $PORT -b 1M -e loopback" \
	"-4 -p $PORT -b 1M -e loopback"
rc=0
[ "$SRV_RC" -ne 0 ] || [ "$CLI_RC" -ne 0 ] && rc=1
[ $rc -ne 0 ] && smc_show "$SMC_TMP/again.srv" "$SMC_TMP/again.cli"
log_test $rc "SMC-D again after the connections are closed"

smc_dmesg_check
[ $? -eq 1 ] && rc=1 || rc=0
log_test $rc "no kernel warnings"

exit $ret
