#!/usr/bin/env bash
# Build a kernel flavour (x86_64, debug, profile, s390x) from base +
# overlay: tinyconfig plus the flavour's fragments, the kernel image,
# modules, and the uapi headers the selftests compile against. Builds are
# incremental in the cache. s390x is cross-built with Debian's
# gcc-s390x-linux-gnu.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:-x86_64}
arch=(ARCH=x86_64) image=bzImage
case "$flavour" in
x86_64) frags=("$HARNESS/configs/x86_64.config") ;;
debug)  frags=("$HARNESS/configs/x86_64.config" "$HARNESS/configs/debug.config") ;;
profile) frags=("$HARNESS/configs/x86_64.config" "$HARNESS/configs/profile.config") ;;
s390x)	frags=("$HARNESS/configs/s390x.config")
	arch=(ARCH=s390 CROSS_COMPILE=s390x-linux-gnu-) ;;
*) die "unknown flavour '$flavour' (x86_64, debug, profile, s390x)" ;;
esac
B=$(build_dir "$flavour")
mkdir -p "$B"
"$HARNESS/tree.sh"

kmake() { make -C "$SRC" O="$B" "${arch[@]}" -j"$JOBS" "$@"; }

stamp=$(cat "${frags[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$B/.config" ] || [ "$(cat "$B/.fragments" 2>/dev/null)" != "$stamp" ]; then
	log "configuring $flavour kernel (tinyconfig + ${frags[*]##*/})"
	quiet "$B/config.log" kmake tinyconfig
	quiet "$B/config.log" "$SRC/scripts/kconfig/merge_config.sh" -m -O "$B" "$B/.config" "${frags[@]}"
	quiet "$B/config.log" kmake olddefconfig
	# A requested option that Kconfig dropped means a missing dependency:
	# fail now rather than boot a kernel without it.
	bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=n) opt=${line%%=*}
			grep -q "^$opt=" "$B/.config" && { echo "  $opt: wanted n, got $(grep "^$opt=" "$B/.config")" >&2; bad=1; } ;;
		CONFIG_*=*) grep -qx "$line" "$B/.config" || { echo "  $line: got '$(grep "^${line%%=*}=" "$B/.config" || echo unset)'" >&2; bad=1; } ;;
		esac
	done < <(cat "${frags[@]}")
	[ $bad -eq 0 ] || die "config fragment options not honoured (missing dependency?); see above"
	echo "$stamp" >"$B/.fragments"
fi

log "building $flavour kernel in $B (log: $B/build.log)"
quiet "$B/build.log" kmake "$image" modules
rm -rf "$B/modroot"
quiet "$B/build.log" kmake INSTALL_MOD_PATH="$B/modroot" INSTALL_MOD_STRIP=1 modules_install
quiet "$B/build.log" kmake INSTALL_HDR_PATH="$B/hdr" headers_install
log "built $(cat "$B/include/config/kernel.release") ($flavour)"
