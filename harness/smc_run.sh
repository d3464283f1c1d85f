#!/usr/bin/env bash
# Build the smc_run LD_PRELOAD wrapper into a build dir's selftests folder
# (it lands in the guest with them), with the wrk script that checks
# responses (jobs/smc_apps-test.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
B=$1
mkdir -p "$B/selftests"
gcc -Wall -O2 -shared -fPIC -o "$B/selftests/smc_run.so" "$HARNESS/tools/smc_run.c" -ldl
install -m 755 "$HARNESS/tools/smc_run" "$B/selftests/smc_run"
install -m 644 "$HARNESS/tools/wrk-check.lua" "$B/selftests/wrk-check.lua"
