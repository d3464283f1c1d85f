#!/usr/bin/env bash
# `make run`: build the patched kernel, boot it, load the SMC modules and
# show SMC-D loopback at work next to plain TCP.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

resolve_base
log "base: $("$HARNESS/tree.sh" version)"
"$HARNESS/build.sh" x86_64
"$HARNESS/selftests.sh" x86_64
B=$(build_dir x86_64)
GUEST_SHOW_ALL=1 GUEST_TOOLS="iperf3" GUEST_TIMEOUT=600 \
	"$HARNESS/guest.sh" x86_64 "$HARNESS/jobs/run.sh" "$B/guest-run.log"
