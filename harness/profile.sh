#!/usr/bin/env bash
# `make profile`: build a kernel with ftrace's function profiler, run
# smc_bench (connect rate, bulk, ping-pong; TCP and SMC-D) under it in one
# guest and print, per run, the kernel functions by wall time per call.
# The benchmark figures are slower than make bench's: tracing costs.
# PROFILE=apps instead samples, with perf, real programs (nginx + wrk,
# iperf3) and prints per program the symbols that take the time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$HARNESS/build.sh" profile
"$HARNESS/selftests.sh" profile
B=$(build_dir profile)
if [ "${PROFILE:-}" = apps ]; then
	logf=$B/guest-profile-apps.log
	GUEST_TOOLS="$APP_TOOLS perf" GUEST_TIMEOUT=${GUEST_TIMEOUT:-1200} \
		"$HARNESS/guest.sh" profile "$HARNESS/jobs/profile-apps.sh" "$logf"
	grep -q '^PERF ' "$logf" || die "no profile (see $logf)"
	for run in $(awk '$1 == "PROFILE-RESULT" { print $2 }' "$logf"); do
		echo
		awk -v r="$run" '$1 == "PROFILE-RESULT" && $2 == r' "$logf" | cut -d' ' -f2-
		printf '  %6s  %-12s %s\n' % program symbol
		awk -v r="$run" '$1 == "PERF" && $2 == r { printf "  %6s  %-12s %s\n", $3, $4, $5 }' "$logf"
	done | tee "$B/profile-apps.txt"
	log "profile: $B/profile-apps.txt"
	exit 0
fi
logf=$B/guest-profile.log
GUEST_TIMEOUT=${GUEST_TIMEOUT:-1200} "$HARNESS/guest.sh" profile "$HARNESS/jobs/profile.sh" "$logf"
grep -q '^PROFILE ' "$logf" || die "no profile (see $logf)"
for run in $(awk '$1 == "PROFILE-RESULT" { print $2 }' "$logf"); do
	echo
	awk -v r="$run" '$1 == "PROFILE-RESULT" && $2 == r' "$logf" | cut -d' ' -f2-
	printf '  %-34s %10s %12s %12s\n' function calls "total us" "us/call"
	awk -v r="$run" '$1 == "PROFILE" && $2 == r { printf "  %-34s %10d %12.1f %12.2f\n", $3, $4, $5, $5 / $4 }' "$logf" |
		sort -k3 -n -r | awk -v n="${PROFILE_TOP:-25}" 'NR <= n'
done | tee "$B/profile.txt"
log "profile: $B/profile.txt"
