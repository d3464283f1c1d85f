#!/usr/bin/env bash
# One stage of `make check` by hand (make kunit, make lint): its RESULT
# lines, the summary line, and a non-zero exit status when a case failed
# or the stage itself did.
# usage: step.sh lint|kunit|series
set -uo pipefail
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$(dirname "$0")/$1.sh" | tee "$out"
rc=${PIPESTATUS[0]}
pass=$(grep -c '^RESULT .* PASS$' "$out")
fail=$(grep -c '^RESULT .* FAIL$' "$out")
skip=$(grep -c '^RESULT .* SKIP$' "$out")
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
	echo "RESULT $1 FAIL"
	fail=1
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
