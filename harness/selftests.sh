#!/usr/bin/env bash
# Build the series' kselftests (tools/testing/selftests/net/smc) as static
# binaries against the flavour's uapi headers, for the guest (s390x: with
# the s390x cross compiler, libc6-dev-s390x-cross).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:-x86_64}
B=$(build_dir "$flavour")
T=$SRC/tools/testing/selftests/net/smc
cross=()
[ "$flavour" = s390x ] && cross=(CROSS_COMPILE=s390x-linux-gnu-)
[ -d "$B/hdr/include" ] || die "no headers in $B/hdr: run 'make build' first"
[ -d "$T" ] || die "no selftests in the overlay ($T)"
"$HARNESS/tree.sh"
rm -rf "$B/selftests"
mkdir -p "$B/selftests"
log "building selftests for $flavour"
quiet "$B/selftests.log" make -C "$T" "${cross[@]}" OUTPUT="$B/selftests" \
	KHDR_INCLUDES="-isystem $B/hdr/include" LDFLAGS=-static all
# Shell tests and helpers the Makefile lists (TEST_PROGS/TEST_FILES).
quiet "$B/selftests.log" make -C "$T" "${cross[@]}" OUTPUT="$B/selftests" \
	KHDR_INCLUDES="-isystem $B/hdr/include" LDFLAGS=-static \
	INSTALL_PATH="$B/selftests" install
# smc_run (smc-tools' preload) runs Debian's x86_64 programs: not on s390x
[ "$flavour" = s390x ] || "$HARNESS/smc_run.sh" "$B"
