#!/usr/bin/env bash
# Build the series' kselftests (tools/testing/selftests/net/smc) as static
# binaries against the flavour's uapi headers, for the guest.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:-x86_64}
B=$(build_dir "$flavour")
T=$SRC/tools/testing/selftests/net/smc
[ -d "$B/hdr/include" ] || die "no headers in $B/hdr: run 'make build' first"
[ -d "$T" ] || die "no selftests in the overlay ($T)"
"$HARNESS/tree.sh"
rm -rf "$B/selftests"
mkdir -p "$B/selftests"
log "building selftests for $flavour"
quiet "$B/selftests.log" make -C "$T" OUTPUT="$B/selftests" \
	KHDR_INCLUDES="-isystem $B/hdr/include" LDFLAGS=-static all
# Shell tests and helpers the Makefile lists (TEST_PROGS/TEST_FILES).
quiet "$B/selftests.log" make -C "$T" OUTPUT="$B/selftests" \
	KHDR_INCLUDES="-isystem $B/hdr/include" LDFLAGS=-static \
	INSTALL_PATH="$B/selftests" install
"$HARNESS/smc_run.sh" "$B"
