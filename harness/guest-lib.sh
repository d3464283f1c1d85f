# shellcheck shell=bash
# Helpers for job scripts in the guest (bash, busybox tools). Every test case ends in
# one "RESULT <name> PASS|FAIL|SKIP" line, which the host counts.

result() {
	echo "RESULT $1 $2"
}

# In the guest every prerequisite is there (the job loaded the modules, the
# kernel has IPv6): a test that skips found something broken. The tests see
# SMC_TEST_REQUIRED too and fail instead of skipping where they can; what
# still reports a skip is counted as a failure here. By hand, on a kernel
# that truly lacks something, a skip stays a skip (exit 4).
export SMC_TEST_REQUIRED=1

result_skip() {
	if [ "$SMC_TEST_REQUIRED" = 1 ]; then
		echo "## $1: skipped although nothing is missing in the guest"
		result "$1" FAIL
	else
		result "$1" SKIP
	fi
}

# Run a kselftest_harness binary; one RESULT per TAP test line. A binary
# that dies before reporting counts as one failure.
run_kselftest() {
	name=$1; shift
	out=/tmp/$name.tap
	echo "## selftest $name $*"
	t0=$(date +%s)
	timeout "${KSFT_TIMEOUT:-600}" "$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	echo "## $name took $(($(date +%s) - t0)) s"
	seen=$(grep -cE '^(not )?ok [0-9]+( |$)' "$out")
	grep -E '^(not )?ok [0-9]+( |$)' "$out" | while read -r line; do
		case=$(echo "$line" | sed -E 's/^(not )?ok [0-9]+ *//; s/ *# .*//; s/^#.*//; s/ /_/g')
		if [ -z "$case" ]; then
			# a result nobody can tell from the next: the count is
			# kept (harness/expected-results) and it fails. 6.1's
			# kselftest_harness names no test it skips.
			num=$(echo "$line" | sed -E 's/^(not )?ok ([0-9]+).*/\2/')
			case "$line" in
			*"# SKIP"*)
				echo "## $name: test $num skipped:${line#*# SKIP}"
				result_skip "$name:tap-line-$num-skipped"
				;;
			*)
				result "$name:tap-line-$num-without-description" FAIL
				;;
			esac
			continue
		fi
		case "$line" in
		"not ok "*) result "$name:$case" FAIL ;;
		*"# SKIP"*) result_skip "$name:$case" ;;
		*) result "$name:$case" PASS ;;
		esac
	done
	if [ "$seen" -eq 0 ]; then
		if [ $rc -eq 4 ]; then
			result_skip "$name"
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
	t0=$(date +%s)
	timeout "${KSFT_TIMEOUT:-600}" "$@"
	rc=$?
	echo "## $name took $(($(date +%s) - t0)) s"
	case $rc in
	0) result "$name" PASS ;;
	4) result_skip "$name" ;;
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
	if ! dmesg >/tmp/dmesg.all 2>&1 || ! [ -s /tmp/dmesg.all ]; then
		echo "## cannot read the kernel log"
		result "$name" FAIL
	elif grep -E 'BUG:|WARNING:|Oops|KASAN|UBSAN|possible circular|possible recursive|inconsistent lock|suspicious RCU|unreferenced object|suspected memory leak|Call Trace' /tmp/dmesg.all >/tmp/dmesg.bad; then
		echo "## kernel reported problems:"
		dmesg | tail -n 200
		result "$name" FAIL
	else
		result "$name" PASS
	fi
}
