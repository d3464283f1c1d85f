#!/usr/bin/env bash
# `make bench`: build, boot, run smc_bench for TCP and SMC-D loopback in
# one guest (no-copy and copy mode, default and 1 MiB buffers, medians of
# BENCH_REPS runs), then Debian's redis, nginx, iperf3 and sockperf over
# TCP and under smc_run (no-copy, default buffers); then bulk, ping-pong
# and connection rate again on Debian's own kernel with our modules (the
# stock guest); and print the table of ratios against the targets of
# DESIGN.md section 5; the same as JSON.
# env: BENCH_SECONDS (a run, default 3), BENCH_REPS (3), BENCH_CONNS (5000),
#      BENCH_REDIS_N (requests a redis run, 20000), BENCH_REDIS_NP (100000),
#      BENCH_NO_STOCK=1 (no stock guest)
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
	echo "BENCH_REDIS_N=${BENCH_REDIS_N:-20000} BENCH_REDIS_NP=${BENCH_REDIS_NP:-100000}"
	cat "$HARNESS/jobs/bench.sh"
} >"$job"
# The table is printed whatever happened; the exit status is non-zero
# when the benchmark itself failed (the guest, a run that crashed or did
# not report), not when a target is missed.
rc=0
GUEST_TIMEOUT=${GUEST_TIMEOUT:-2400} GUEST_TOOLS="$APP_TOOLS" \
	"$HARNESS/guest.sh" x86_64 "$job" "$logf" || rc=$?
grep '^BENCH ' "$logf" >"$B/bench.txt" || true
# the same kernel-side rows on Debian's own kernel with our modules
if [ -z "${BENCH_NO_STOCK:-}" ]; then
	"$HARNESS/stock.sh"
	"$HARNESS/selftests.sh" stock
	SB=$(build_dir stock)
	{ echo "BENCH_STOCK=1"; cat "$job"; } >"$SB/bench-job.sh"
	GUEST_TIMEOUT=${GUEST_TIMEOUT:-2400} \
		"$HARNESS/guest.sh" stock "$SB/bench-job.sh" "$SB/guest-bench.log" || rc=$?
	grep '^BENCH ' "$SB/guest-bench.log" >>"$B/bench.txt" || true
	grep '^BENCH-ERROR' "$SB/guest-bench.log" >>"$logf" || true
fi
trc=0
awk -v json="$B/bench.json" -v reps="${BENCH_REPS:-3}" -f "$HARNESS/bench-table.awk" \
	"$B/bench.txt" >"$B/bench-table.txt" || trc=$?
cat "$B/bench-table.txt"
log "table: $B/bench-table.txt, JSON: $B/bench.json, raw: $B/bench.txt"
if grep -q '^BENCH-ERROR' "$logf"; then
	grep '^BENCH-ERROR' "$logf" >&2
	rc=1
fi
[ "$rc" -eq 0 ] || die "the benchmark guest failed (exit $rc; see $logf)"
[ "$trc" -eq 0 ] || die "the benchmark is incomplete (runs missing; see $logf)"
