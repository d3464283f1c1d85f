#!/usr/bin/env bash
# Run the series' KUnit suites with the kernel's own runner (QEMU x86_64,
# TCG) on the overlaid tree; print one RESULT line per test case.
# KUNIT_ARCH=s390 (harness/kunit-s390.sh): the same on a big-endian s390x
# kernel built with Debian's gcc-s390x-linux-gnu, under qemu-system-s390x;
# the results are then named kunit-s390:SUITE:CASE.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${KUNIT_ARCH:-x86_64}
name=kunit cross=()
case $arch in
x86_64) ;;
s390)	# INFINIBAND needs HAS_IOMEM, which s390 has with PCI only
	name=kunit-s390 cross=(--cross_compile=s390x-linux-gnu- --kconfig_add CONFIG_PCI=y) ;;
*)	die "KUNIT_ARCH=$arch: x86_64 or s390" ;;
esac
B=$(build_dir "$name")
mkdir -p "$B"
"$HARNESS/tree.sh"
[ -f "$SRC/net/smc/.kunitconfig" ] || die "net/smc/.kunitconfig missing in the overlay"
log "running KUnit (net/smc/.kunitconfig, $arch QEMU TCG; log: $B/kunit.log)"
cd "$SRC"
set +e
python3 tools/testing/kunit/kunit.py run --arch="$arch" "${cross[@]}" \
	--kunitconfig=net/smc --build_dir="$B" --jobs="$JOBS" --timeout=900 \
	>"$B/kunit.log" 2>&1
rc=$?
set -e
sed -E 's/\x1b\[[0-9;]*m//g' "$B/kunit.log" >"$B/kunit.txt"
# kunit.py prints "===== suite (N subtests) =====" and then "[PASSED] case",
# "[FAILED] case", "[SKIPPED] case"; the suite's own "===== [PASSED] suite
# =====" line is not counted. Names: kunit:SUITE:CASE.
awk '/^\[[0-9:]+\] =+ [a-z0-9_]+ \([0-9]+ subtests?\) =+$/ { suite=$3; next }
/^\[[0-9:]+\] \[(PASSED|FAILED|SKIPPED|CRASHED)\] / {
	st=$2; gsub(/[][]/, "", st); name=$3
	if (st == "PASSED") st="PASS"; else if (st == "SKIPPED") st="SKIP"; else st="FAIL"
	print "RESULT " n ":" (suite == "" ? "nosuite" : suite) ":" name " " st
}' n="$name" "$B/kunit.txt"
grep -E 'Testing complete|Elapsed time' "$B/kunit.txt" >&2 || true
if [ $rc -ne 0 ]; then
	tail -n 40 "$B/kunit.txt" >&2
	echo "RESULT $name:runner FAIL"
fi
