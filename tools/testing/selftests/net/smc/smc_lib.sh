#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by the SMC shell selftests (sourced, not run).
# shellcheck disable=SC2034 # variables used by the sourcing scripts

ksft_skip=4

SMC_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
SMC_PEER=${SMC_PEER:-$SMC_DIR/smc_peer}
SMC_LO_MODULE=smc_loopback
SMC_TMP=$(mktemp -d /tmp/smc-selftest.XXXXXX) || exit 1
SMC_MARK="smc-selftest-$(basename "$0")-$$"
ret=0

# A missing prerequisite skips (exit 4), unless the caller says that
# nothing may be missing (SMC_TEST_REQUIRED=1, as in the project's guests):
# then it is a failure.
smc_skip()
{
	if [ "${SMC_TEST_REQUIRED:-0}" = 1 ]; then
		echo "FAIL: $* (SMC_TEST_REQUIRED=1: nothing may be missing)"
		exit 1
	fi
	echo "SKIP: $*"
	exit $ksft_skip
}

# log_test RC DESCRIPTION: RC 0 is a pass, anything else a failure
log_test()
{
	local rc=$1
	shift

	if [ "$rc" -eq 0 ]; then
		printf "TEST: %-64s [ OK ]\n" "$*"
	else
		printf "TEST: %-64s [FAIL]\n" "$*"
		ret=1
	fi
}

smc_require_root()
{
	[ "$(id -u)" -eq 0 ] || smc_skip "needs root"
}

smc_require_cmds()
{
	local cmd

	for cmd in "$@"; do
		command -v "$cmd" >/dev/null 2>&1 ||
			smc_skip "'$cmd' not found"
	done
}

smc_require_peer()
{
	[ -x "$SMC_PEER" ] || smc_skip "$SMC_PEER not built"
}

# load smc, smc_diag and smc_loopback; skip if any is not available
smc_load_modules()
{
	local m

	for m in smc smc_diag $SMC_LO_MODULE; do
		if [ ! -d /sys/module/$m ] && ! modprobe -q $m; then
			smc_skip "module $m not available"
		fi
	done
}

smc_lo_loaded()
{
	[ -d /sys/module/$SMC_LO_MODULE ]
}

# a loadable module has an initstate file, built-in code does not
smc_lo_unloadable()
{
	[ -e /sys/module/$SMC_LO_MODULE/initstate ]
}

# smc_lo_unload SECONDS [once]: rmmod, retried while the module is busy
# until SECONDS pass (a single attempt with "once"). Returns rmmod's
# status, its last output is in $SMC_TMP/rmmod.out. Every attempt is
# bounded: an rmmod stuck in the kernel is reported (status 124) and not
# waited for.
smc_lo_unload()
{
	smc_unload_module $SMC_LO_MODULE "$@"
}

# smc_unload_module MODULE SECONDS [once]: smc_lo_unload for any module
smc_unload_module()
{
	local mod=$1 seconds=${2:-30} once=$3
	local end=$((SECONDS + seconds))
	local rc pid i

	while :; do
		rmmod "$mod" >"$SMC_TMP/rmmod.out" 2>&1 &
		pid=$!
		for ((i = 0; i < seconds * 10; i++)); do
			kill -0 $pid 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 $pid 2>/dev/null; then
			echo "rmmod $mod still running after ${seconds}s:"
			cat /proc/$pid/stack 2>/dev/null
			return 124
		fi
		wait $pid
		rc=$?
		[ $rc -eq 0 ] && return 0
		smc_lo_unload_was_busy || return $rc
		[ -n "$once" ] && return $rc
		[ $SECONDS -ge $end ] && return $rc
		sleep 1
	done
}

# rmmod failed only because the module is busy
smc_lo_unload_was_busy()
{
	grep -qiE "in use|busy|temporarily unavailable" "$SMC_TMP/rmmod.out"
}

smc_dmesg_mark()
{
	echo "$SMC_MARK: $*" > /dev/kmsg 2>/dev/null
}

# kernel complaints logged since the first smc_dmesg_mark of this script:
# prints them and returns 1; returns 2 if dmesg cannot be checked
smc_dmesg_check()
{
	local log found

	log=$(dmesg 2>/dev/null | sed -n "/$SMC_MARK/,\$p")
	if [ -z "$log" ]; then
		echo "note: cannot read the kernel log, dmesg not checked"
		return 2
	fi
	local bad="BUG:|WARNING:|Oops|KASAN:|UBSAN:|kmemleak:|refcount_t:"

	bad="$bad|circular locking|INFO: task .* blocked|general protection fault"
	found=$(echo "$log" | grep -E "$bad")
	if [ -n "$found" ]; then
		echo "$found" | sed 's/^/    /'
		return 1
	fi
	return 0
}

# run NS COMMAND...: in network namespace NS, or here when NS is empty
smc_in_ns()
{
	local ns=$1
	shift

	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$@"
	else
		"$@"
	fi
}

# smc_pair NAME SERVER_NS CLIENT_NS TIMEOUT "SERVER ARGS" "CLIENT ARGS"
# Runs smc_peer server and client (each bounded by TIMEOUT seconds) and
# sets SRV_RC and CLI_RC; output in $SMC_TMP/NAME.srv and NAME.cli.
smc_pair()
{
	local name=$1 sns=$2 cns=$3 tmo=$4 sargs=$5 cargs=$6
	local ready="$SMC_TMP/$name.ready" spid i

	rm -f "$ready"
	# shellcheck disable=SC2086
	smc_in_ns "$sns" timeout -k 5 "$tmo" "$SMC_PEER" server $sargs \
		-r "$ready" >"$SMC_TMP/$name.srv" 2>&1 &
	spid=$!
	for ((i = 0; i < 100; i++)); do
		[ -e "$ready" ] && break
		kill -0 $spid 2>/dev/null || break
		sleep 0.1
	done
	# shellcheck disable=SC2086
	smc_in_ns "$cns" timeout -k 5 "$tmo" "$SMC_PEER" client $cargs \
		>"$SMC_TMP/$name.cli" 2>&1
	CLI_RC=$?
	wait $spid
	SRV_RC=$?
}

# smc_count_mode FILE MODE: connections FILE reports in MODE
smc_count_mode()
{
	grep -cE "conn [0-9]+ port [0-9]+: mode $2 " "$1"
}

smc_show()
{
	local f

	for f in "$@"; do
		sed 's/^/    /' "$f"
	done
}
