#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unloading smc_loopback while SMC-D connections stream data through it.
#
# rmmod must either succeed or refuse with "in use"/EBUSY within a bounded
# time, the kernel must not complain (BUG/WARNING/Oops/KASAN/lockdep...),
# the applications must complete or get an error, never hang and never
# receive corrupted data. Idle link groups must not keep the module busy
# once the traffic has stopped. With the module gone, a new AF_SMC
# connection falls back to TCP; after modprobe it uses SMC-D again.
#
# While the module is gone, a PNET-ID table entry for the device's name is
# accepted (there is no device to refuse it), but the device that comes
# back does not take it: a virtual device has no PNET-ID.
#
# Needs root and a loadable smc_loopback (CONFIG_SMC_LO=m). Leaves the
# module loaded if it was loaded before.

source "$(dirname "$(readlink -f "$0")")/smc_lib.sh"

PORT4=5311
PORT6=5312
DURATION=20		# seconds of streaming per connection
RMMOD_LIMIT=30		# seconds rmmod may take under load
IDLE_LIMIT=60		# seconds until an idle device must be unloadable
PIDS=()
WAS_LOADED=0
SMC_INFO=${SMC_INFO:-$SMC_DIR/smc_info}
TEST_PNETID=SMCUNLOADTEST
SMC_LO_DEV=loopback-ism

cleanup()
{
	local pid

	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	"$SMC_INFO" pnet del $TEST_PNETID >/dev/null 2>&1
	if [ $WAS_LOADED -eq 1 ] && ! smc_lo_loaded; then
		modprobe $SMC_LO_MODULE
	fi
	rm -rf "$SMC_TMP"
}
trap cleanup EXIT

# start_pair NAME FAMILY PORT CONNS: streaming server + client in background
start_pair()
{
	local name=$1 fam=$2 port=$3 conns=$4
	local tmo=$((DURATION + 60)) ready="$SMC_TMP/$name.ready" i

	timeout -k 5 $tmo "$SMC_PEER" server "$fam" -p "$port" -n "$conns" \
		-d $DURATION -e loopback -r "$ready" >"$SMC_TMP/$name.srv" 2>&1 &
	SPID[$name]=$!
	PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		[ -e "$ready" ] && break
		sleep 0.1
	done
	timeout -k 5 $tmo "$SMC_PEER" client "$fam" -p "$port" -n "$conns" \
		-d $DURATION -e loopback >"$SMC_TMP/$name.cli" 2>&1 &
	CPID[$name]=$!
	PIDS+=($!)
}

# wait until NAME's client reports CONNS connections (all modes)
wait_connected()
{
	local name=$1 conns=$2 i

	for ((i = 0; i < 300; i++)); do
		[ "$(grep -cE 'conn [0-9]+ port [0-9]+: mode ' \
			"$SMC_TMP/$name.cli")" -ge "$conns" ] && return 0
		kill -0 "${CPID[$name]}" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# check_single NAME EXPECT DESCRIPTION: a short connection with mode EXPECT
check_single()
{
	local name=$1 expect=$2 desc=$3 rc=0

	smc_pair "$name" "" "" 60 "-4 -p $PORT4 -b 2M -e $expect" \
		"-4 -p $PORT4 -b 2M -e $expect"
	if [ "$SRV_RC" -ne 0 ] || [ "$CLI_RC" -ne 0 ]; then
		rc=1
		echo "server rc $SRV_RC, client rc $CLI_RC"
		smc_show "$SMC_TMP/$name.srv" "$SMC_TMP/$name.cli"
	fi
	log_test $rc "$desc"
	return $rc
}

smc_require_root
smc_require_cmds timeout modprobe rmmod
smc_require_peer
smc_lo_loaded && WAS_LOADED=1
smc_load_modules
smc_lo_unloadable || smc_skip "$SMC_LO_MODULE is built in, cannot unload"
smc_dmesg_mark "start"

check_single base loopback "SMC-D before the unload" || exit $ret

declare -A SPID CPID
HAVE_V6=0
grep -qE "^0{31}1 " /proc/net/if_inet6 2>/dev/null && HAVE_V6=1

start_pair v4 -4 $PORT4 3
[ $HAVE_V6 -eq 1 ] && start_pair v6 -6 $PORT6 2

rc=0
wait_connected v4 3 || rc=1
[ "$(smc_count_mode "$SMC_TMP/v4.cli" SMCD)" -eq 3 ] || rc=1
if [ $HAVE_V6 -eq 1 ]; then
	wait_connected v6 2 || rc=1
	[ "$(smc_count_mode "$SMC_TMP/v6.cli" SMCD)" -eq 2 ] || rc=1
fi
if [ $rc -ne 0 ]; then
	smc_show "$SMC_TMP"/v4.* "$SMC_TMP"/v6.* 2>/dev/null
	log_test 1 "streaming connections established over SMC-D"
	exit $ret
fi
log_test 0 "streaming connections established over SMC-D"
sleep 3	# let the streams run

# the unload under load
t0=$SECONDS
smc_lo_unload $RMMOD_LIMIT once
urc=$?
elapsed=$((SECONDS - t0))
if [ $urc -eq 0 ]; then
	echo "rmmod under load: unloaded after ${elapsed}s"
	UNLOADED=1
elif [ $urc -ne 124 ] && smc_lo_unload_was_busy; then
	echo "rmmod under load: refused as busy: $(cat "$SMC_TMP/rmmod.out")"
	UNLOADED=0
else
	cat "$SMC_TMP/rmmod.out"
	log_test 1 "rmmod under load succeeds or is refused within ${RMMOD_LIMIT}s"
	exit $ret	# do not touch a module stuck in unload
fi
log_test 0 "rmmod under load succeeds or is refused within ${RMMOD_LIMIT}s"

# the applications: complete or fail, never hang, never see bad data
for name in v4 v6; do
	[ -n "${CPID[$name]}" ] || continue
	for side in srv cli; do
		if [ $side = srv ]; then pid=${SPID[$name]}; else pid=${CPID[$name]}; fi
		wait "$pid"
		prc=$?
		desc="$name $side application"
		case $prc in
		0)	rc=0 ;;
		3)	# connection error: fine if the device went away
			rc=$((1 - UNLOADED)) ;;
		124|137) echo "$desc hung (killed by timeout)"; rc=1 ;;
		*)	rc=1 ;;
		esac
		[ $rc -ne 0 ] && smc_show "$SMC_TMP/$name.$side"
		if [ $UNLOADED -eq 1 ]; then
			log_test $rc "$desc completes or gets an error (rc $prc)"
		else
			log_test $rc "$desc completes while the module is busy (rc $prc)"
		fi
	done
done
PIDS=()

# no traffic any more: idle link groups must not keep the module busy
if [ $UNLOADED -eq 0 ]; then
	t0=$SECONDS
	smc_lo_unload $IDLE_LIMIT
	urc=$?
	[ $urc -ne 0 ] && cat "$SMC_TMP/rmmod.out"
	log_test $urc "rmmod of the idle device within ${IDLE_LIMIT}s (took $((SECONDS - t0))s)"
	[ $urc -eq 124 ] && exit $ret
fi

rc=0
smc_lo_loaded && rc=1
log_test $rc "$SMC_LO_MODULE is gone"

check_single after_unload tcp "new AF_SMC connection without the device falls back to TCP"

"$SMC_INFO" pnet add $TEST_PNETID ib $SMC_LO_DEV 1 >"$SMC_TMP/pnet.out" 2>&1
rc=$?
[ $rc -ne 0 ] && cat "$SMC_TMP/pnet.out"
log_test $rc "PNET-ID table entry for the absent $SMC_LO_DEV accepted"

modprobe $SMC_LO_MODULE
log_test $? "modprobe $SMC_LO_MODULE again"
"$SMC_INFO" device >"$SMC_TMP/dev.out" 2>&1
rc=1
awk -v d="$SMC_LO_DEV" '$1 == d && $NF == "-" { ok = 1 } END { exit !ok }' \
	"$SMC_TMP/dev.out" && rc=0
[ $rc -ne 0 ] && cat "$SMC_TMP/dev.out"
log_test $rc "the reloaded $SMC_LO_DEV took no PNET-ID from the table"
check_single reloaded loopback "new AF_SMC connection after reload uses SMC-D"
"$SMC_INFO" pnet del $TEST_PNETID >/dev/null 2>&1

smc_dmesg_check
[ $? -eq 1 ] && rc=1 || rc=0
log_test $rc "no kernel warnings"

exit $ret
