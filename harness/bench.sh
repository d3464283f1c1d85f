#!/usr/bin/env bash
# `make bench`: build, boot, run smc_bench for TCP and SMC-D loopback in
# one guest and print the table of ratios against the targets of
# DESIGN.md section 5.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$HARNESS/build.sh" x86_64
"$HARNESS/selftests.sh" x86_64
B=$(build_dir x86_64)
logf=$B/guest-bench.log
GUEST_TIMEOUT=${GUEST_TIMEOUT:-1200} "$HARNESS/guest.sh" x86_64 "$HARNESS/jobs/bench.sh" "$logf"
grep '^BENCH ' "$logf" >"$B/bench.txt" || die "no benchmark results (see $logf)"
awk -f "$HARNESS/bench-table.awk" "$B/bench.txt"
