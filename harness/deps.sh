#!/usr/bin/env bash
# Install the Debian packages the harness needs (as root, once).
# usage: deps.sh [modules]   (modules: only what `make modules` needs)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pkgs=(
	"$BASE_PKG=$BASE_PKG_VERSION"
	build-essential flex bison bc libelf-dev libssl-dev dwarves kmod cpio
	python3 qemu-system-x86 qemu-utils busybox-static iproute2 sparse
	gcc-s390x-linux-gnu perl iperf3
	gcc-12	# Debian's 6.1 kernel headers build with it (stock stage)
)
if [ "${1:-}" = modules ]; then
	pkgs=("$BASE_PKG=$BASE_PKG_VERSION" build-essential kmod)
fi
missing=()
for p in "${pkgs[@]}"; do
	name=${p%%=*}
	want=${p#*=}
	have=$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null || true)
	case "$have" in
	"install ok installed $want"|"install ok installed "*)
		if [ "$name" = "$BASE_PKG" ] && [ "$have" != "install ok installed $want" ]; then
			missing+=("$p")
		fi ;;
	*) missing+=("$p") ;;
	esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]}; run as root or install them with apt-get"
log "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
quiet "$CACHE/apt.log" apt-get update || die "apt-get update failed (see $CACHE/apt.log)"
quiet "$CACHE/apt.log" apt-get install -y --no-install-recommends "${missing[@]}" ||
	die "apt-get install failed (see $CACHE/apt.log); is $BASE_PKG=$BASE_PKG_VERSION still in the archive? Update harness/base.version"
