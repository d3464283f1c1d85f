# shellcheck shell=bash
# Helpers for job scripts in the guest (bash, busybox tools). Every test case ends in
# one "RESULT <name> PASS|FAIL|SKIP" line, which the host counts.

result() {
	echo "RESULT $1 $2"
}

# Run a kselftest_harness binary; one RESULT per TAP test line. A binary
# that dies before reporting counts as one failure.
run_kselftest() {
	name=$1; shift
	out=/tmp/$name.tap
	echo "## selftest $name $*"
	timeout "${KSFT_TIMEOUT:-600}" "$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	seen=$(grep -cE '^(not )?ok [0-9]+ ' "$out")
	grep -E '^(not )?ok [0-9]+ ' "$out" | while read -r line; do
		case=$(echo "$line" | sed -E 's/^(not )?ok [0-9]+ //; s/ # .*//; s/ /_/g')
		case "$line" in
		"not ok "*) result "$name:$case" FAIL ;;
		*"# SKIP"*) result "$name:$case" SKIP ;;
		*) result "$name:$case" PASS ;;
		esac
	done
	if [ "$seen" -eq 0 ]; then
		if [ $rc -eq 4 ]; then
			result "$name" SKIP
		else
			result "$name" FAIL
		fi
	elif [ $rc -ne 0 ] && [ $rc -ne 4 ] && ! grep -q '^not ok' "$out"; then
		# All cases passed but the binary still failed (crash, timeout).
		result "$name:exit-status-$rc" FAIL
	fi
}

# Run a shell selftest: exit 0 pass, 4 skip, anything else fail.
run_shtest() {
	name=$1; shift
	echo "## selftest $name"
	timeout "${KSFT_TIMEOUT:-600}" "$@"
	case $? in
	0) result "$name" PASS ;;
	4) result "$name" SKIP ;;
	*) result "$name" FAIL ;;
	esac
}

# The kernel must not have complained while the tests ran.
check_dmesg() {
	name=${1:-dmesg-clean}
	# On a kmemleak kernel: let freed objects age past kmemleak's minimum,
	# then scan; leaks show up in dmesg as "unreferenced object".
	if [ -w /sys/kernel/debug/kmemleak ]; then
		echo "## kmemleak scan"
		sleep 6
		echo scan >/sys/kernel/debug/kmemleak
		sleep 6
		echo scan >/sys/kernel/debug/kmemleak
		cat /sys/kernel/debug/kmemleak
	fi
	if dmesg | grep -E 'BUG:|WARNING:|Oops|KASAN|UBSAN|possible circular|possible recursive|inconsistent lock|suspicious RCU|unreferenced object|suspected memory leak|Call Trace' >/tmp/dmesg.bad; then
		echo "## kernel reported problems:"
		dmesg | tail -n 200
		result "$name" FAIL
	else
		result "$name" PASS
	fi
}
