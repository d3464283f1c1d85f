#!/usr/bin/env bash
# Install the Debian packages the harness needs (as root, once).
# usage: deps.sh [modules|s390x]   (modules: only what `make modules`
# needs; s390x: what make check-s390 needs beyond the rest)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The base (linux-source-6.1) is not installed: harness/tree.sh downloads
# and extracts it in the cache (harness/archive.sh), so that a host with a
# newer or older linux-source-6.1 installed is left alone.
pkgs=(
	build-essential flex bison bc libelf-dev libssl-dev dwarves kmod cpio
	python3 qemu-system-x86 qemu-utils busybox-static iproute2 sparse
	gcc-s390x-linux-gnu perl iperf3 rsync xz-utils git patch
	linux-perf	# make profile PROFILE=apps: perf in the guest
	# programs nobody here wrote, run in the guest under smc_run
	redis-server redis-tools nginx-light wrk sockperf
	gcc-12	# Debian's 6.1 kernel headers build with it (stock stage)
)
if [ "${1:-}" = modules ]; then
	pkgs=(build-essential kmod)
elif [ "${1:-}" = s390x ]; then
	pkgs=(qemu-system-misc gcc-s390x-linux-gnu libc6-dev-s390x-cross)
fi
missing=()
for p in "${pkgs[@]}"; do
	have=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$have" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]}; run as root or install them with apt-get"
log "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# redis-server and nginx are for the guest: their packages must not start
# the services on this host (no policy of the host's own: deny for now)
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt_lists_fresh force
quiet "$CACHE/apt.log" apt-get install -y --no-install-recommends "${missing[@]}" ||
	die "apt-get install failed (see $CACHE/apt.log)"
