#!/usr/bin/env bash
# `make bench`: build, boot, run smc_bench for TCP and SMC-D loopback in
# one guest (no-copy and copy mode, default and 1 MiB buffers, medians of
# BENCH_REPS runs) and print the table of ratios against the targets of
# DESIGN.md section 5; the same as JSON next to it.
# env: BENCH_SECONDS (a run, default 3), BENCH_REPS (3), BENCH_CONNS (5000)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$HARNESS/build.sh" x86_64
"$HARNESS/selftests.sh" x86_64
B=$(build_dir x86_64)
logf=$B/guest-bench.log
job=$B/bench-job.sh
{
	echo "BENCH_SECONDS=${BENCH_SECONDS:-3} BENCH_REPS=${BENCH_REPS:-3}"
	echo "BENCH_CONNS=${BENCH_CONNS:-5000}"
	cat "$HARNESS/jobs/bench.sh"
} >"$job"
GUEST_TIMEOUT=${GUEST_TIMEOUT:-2400} "$HARNESS/guest.sh" x86_64 "$job" "$logf"
grep '^BENCH ' "$logf" >"$B/bench.txt" || die "no benchmark results (see $logf)"
awk -v json="$B/bench.json" -f "$HARNESS/bench-table.awk" "$B/bench.txt" | tee "$B/bench-table.txt"
log "table: $B/bench-table.txt, JSON: $B/bench.json, raw: $B/bench.txt"
