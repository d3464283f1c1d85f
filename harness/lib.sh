# shellcheck shell=bash
# Common settings for the harness scripts. Source it; do not run it.

HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HARNESS/.." && pwd)
# shellcheck source=harness/base.version
. "$HARNESS/base.version"
# shellcheck source=harness/stock.version
. "$HARNESS/stock.version"

CACHE=${SMC_LO_CACHE:-$HOME/.cache/smc-lo}
SRC=$CACHE/src			# base + overlay, rebuilt incrementally
mkdir -p "$CACHE"
JOBS=${JOBS:-$(($(nproc) + 1))}

# Paths of the repository that belong to the kernel overlay.
OVERLAY_PATHS=(net include drivers Documentation tools MAINTAINERS)
# Debian programs copied into the guest, with their libraries (guest.sh)
APP_TOOLS="iperf3 redis-server redis-cli redis-benchmark nginx wrk sockperf"

log()  { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

# shellcheck source=harness/archive.sh
. "$HARNESS/archive.sh"

# Build directory of a kernel flavour (x86_64, debug, kunit, s390).
build_dir() { echo "$CACHE/build/$1"; }

# List the overlay files (relative paths), sorted.
overlay_files() {
	(cd "$REPO" && for p in "${OVERLAY_PATHS[@]}"; do
		if [ -e "$p" ]; then
			find "$p" -type f ! -name '*.orig' ! -name '*.rej' ! -name '*~'
		fi
	done) | LC_ALL=C sort
}

# Run a long command quietly, keep its output in a log file, show the tail
# on failure.
quiet() {
	local logf=$1; shift
	if ! "$@" >"$logf" 2>&1; then
		tail -n 40 "$logf" >&2
		echo "(full log: $logf)" >&2
		return 1
	fi
}
