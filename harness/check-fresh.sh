#!/usr/bin/env bash
# `make check-fresh`: the README's two commands on a Debian 12 that has
# nothing yet. debootstrap --variant=minbase builds a root in the cache
# (from the archive apt uses), a clean clone of this repository's HEAD goes
# into it, and inside (chroot, /proc, /sys and /dev bound) the README is
# followed: `apt-get install make`, then `make check` (first, so that it
# starts from an empty cache, as CI's does) and `make run`, each timed.
# The peak memory in use on the host and the disk the root takes are
# measured too. Not part of `make check`: it downloads and builds from
# nothing (about 55 minutes here). Needs root.
#
# env: FRESH_DIR (default $CACHE/fresh), FRESH_MIRROR (default: the first
#      URI of the host's apt sources), FRESH_KEEP=1 (keep the root after a
#      passing run; a failing run always keeps it)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "check-fresh needs root (debootstrap, chroot, mounts)"
F=${FRESH_DIR:-$CACHE/fresh}
ROOT=$F/root
mirror=${FRESH_MIRROR:-$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' \
	/etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)}
mirror=${mirror:-http://deb.debian.org/debian}
[ -z "$(git -C "$REPO" status --porcelain)" ] ||
	log "warning: uncommitted changes are not in the clean clone (HEAD only)"

mounts=(proc sys dev)
unmount_all() {
	local m
	for m in "${mounts[@]}"; do
		if mountpoint -q "$ROOT/$m"; then
			umount -R "$ROOT/$m" || umount -lR "$ROOT/$m" || true
		fi
	done
}
sampler=
cleanup() {
	[ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true
	unmount_all
}
trap cleanup EXIT

if ! command -v debootstrap >/dev/null; then
	log "installing debootstrap"
	apt_lists_fresh
	quiet "$CACHE/apt.log" apt-get install -y --no-install-recommends debootstrap
fi

# A root from nothing, every time.
mkdir -p "$F"
unmount_all
if findmnt -rn -o TARGET | grep -q "^$ROOT/"; then
	die "something is still mounted under $ROOT"
fi
rm -rf "$ROOT"
t0=$(date +%s)
log "debootstrap --variant=minbase bookworm from $mirror (log: $F/debootstrap.log)"
quiet "$F/debootstrap.log" debootstrap --variant=minbase bookworm "$ROOT" "$mirror"
# The sources a Debian 12 installation has (bookworm, -updates, -security)
if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
	cp /etc/apt/sources.list.d/*.sources "$ROOT/etc/apt/sources.list.d/"
	: >"$ROOT/etc/apt/sources.list"
fi
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
git clone -q "$REPO" "$ROOT/root/smc-lo"
log "root ready in $(( $(date +%s) - t0 )) s: $(du -sh "$ROOT" | cut -f1), HEAD $(git -C "$ROOT/root/smc-lo" log --oneline -1)"

mount -t proc proc "$ROOT/proc"
mount --rbind /sys "$ROOT/sys"
mount --make-rslave "$ROOT/sys"
mount --rbind /dev "$ROOT/dev"
mount --make-rslave "$ROOT/dev"

# Peak memory in use on the host (MemTotal - MemAvailable), every 5 s.
peakf=$F/mem-peak
echo 0 >"$peakf"
(
	peak=0
	while :; do
		used=$(awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 }
			END { print t - a }' /proc/meminfo)
		if [ "$used" -gt "$peak" ]; then
			peak=$used
			echo "$peak" >"$peakf"
		fi
		sleep 5
	done
) &
sampler=$!
base_used=$(awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } END { print t - a }' /proc/meminfo)

inside() {		# inside NAME COMMAND: run it in the root, timed, logged
	local name=$1 cmd=$2 t rc=0
	log "fresh root: $cmd (log: $F/$name.log)"
	t=$(date +%s)
	chroot "$ROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		bash -c "cd /root/smc-lo && $cmd" >"$F/$name.log" 2>&1 || rc=$?
	t=$(( $(date +%s) - t ))
	echo "$name $t $rc" >>"$F/times"
	log "fresh root: '$cmd' took ${t} s, exit $rc"
	return $rc
}

: >"$F/times"
rc=0
inside setup "apt-get update && apt-get install -y make" || rc=1
if [ $rc -eq 0 ]; then
	inside check "make check" || rc=1
	tail -n 30 "$F/check.log"
	inside run "make run" || rc=1
	tail -n 25 "$F/run.log"
fi
kill "$sampler" 2>/dev/null || true
sampler=
unmount_all

peak=$(cat "$peakf")
echo
echo "check-fresh (HEAD $(git -C "$ROOT/root/smc-lo" log --oneline -1 | cut -c1-60)):"
while read -r name t r; do
	printf '  %-6s %5d s (%d min %02d s), exit %s\n' "$name" "$t" $((t / 60)) $((t % 60)) "$r"
done <"$F/times"
echo "  peak memory in use on the host: $(( peak / 1024 )) MiB ($(( (peak - base_used) / 1024 )) MiB above the $(( base_used / 1024 )) MiB in use before)"
echo "  disk: the root with its cache takes $(du -sh "$ROOT" | cut -f1)" \
	"(cache $(du -sh "$ROOT/root/.cache" 2>/dev/null | cut -f1))"
grep -E '^[0-9]+ passed, [0-9]+ failed' "$F/check.log" | tail -n 1 | sed 's/^/  make check: /' || true
if [ $rc -eq 0 ]; then
	[ -n "${FRESH_KEEP:-}" ] || rm -rf "$ROOT"
	echo "check-fresh: PASS"
else
	echo "check-fresh: FAIL (the root stays in $ROOT; logs in $F)"
fi
exit $rc
