#!/usr/bin/env bash
# Prepare the build tree: extract the pinned base once, then lay the overlay
# over a hard-linked copy of it. Only files whose content changed are
# replaced, so kernel builds stay incremental.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SUMS=$HARNESS/base.sha256

extract_base() {
	resolve_base
	extract_base_version "$BASE_VERSION"
}

# Refuse to build on a base whose replaced file is not the one the overlay
# was written against: the overlay would silently drop upstream changes.
check_base_sums() {
	local f want have new=0
	touch "$SUMS"
	while read -r f; do
		[ -f "$BASE_SRC/$f" ] || continue
		have=$(sha256sum "$BASE_SRC/$f" | cut -d' ' -f1)
		want=$(awk -v f="$f" '$2 == f { print $1 }' "$SUMS")
		if [ -z "$want" ]; then
			log "recording base checksum of newly replaced $f"
			echo "$have  $f" >>"$SUMS"
			new=1
		elif [ "$want" != "$have" ]; then
			die "base file $f differs from the one the overlay replaces
  recorded: $want
  base:     $have ($BASE_PKG $BASE_VERSION; recorded against $BASE_RECORDED)
This revision of Linux $BASE_UPSTREAM changes a file the overlay replaces.
Run 'make rebase-base' (three-way merge onto it), or merge by hand and run 'make record-base'."
		fi
	done < <(overlay_files)
	if [ $new -eq 1 ]; then
		LC_ALL=C sort -k2 -o "$SUMS" "$SUMS"
	fi
}

sync_overlay() {
	local stamp=$SRC/.base-version manifest=$SRC/.overlay-manifest f
	if [ "$(cat "$stamp" 2>/dev/null)" != "$BASE_VERSION" ]; then
		log "creating build tree $SRC ($BASE_PKG $BASE_VERSION + overlay)"
		rm -rf "$SRC"
		cp -al "$BASE_SRC" "$SRC"
		echo "$BASE_VERSION" >"$stamp"
		: >"$manifest"
	fi
	overlay_files >"$manifest.new"
	# Files the overlay no longer carries go back to the base version.
	# A copy, not a link: the base file's old mtime would leave kbuild's
	# objects of the overlay's version in place.
	comm -23 "$manifest" "$manifest.new" | while read -r f; do
		rm -f "$SRC/$f"
		if [ -f "$BASE_SRC/$f" ]; then
			cp "$BASE_SRC/$f" "$SRC/$f"
		fi
	done
	while read -r f; do
		if cmp -s "$REPO/$f" "$SRC/$f" &&
		   [ "$(stat -c %a "$REPO/$f")" = "$(stat -c %a "$SRC/$f")" ]; then
			continue
		fi
		mkdir -p "$(dirname "$SRC/$f")"
		rm -f "$SRC/$f"
		cp "$REPO/$f" "$SRC/$f"
	done <"$manifest.new"
	mv "$manifest.new" "$manifest"
}

# Test-only patches (harness/test-patches/*.patch): what the guests' test
# devices need and the series is not (soft-RoCE fixes, see the patches).
# They go over the base's files in the build tree, never over a
# file the overlay carries, and never into the series or its diff. A file
# no patch touches any more goes back to the base's; an unchanged result is
# not rewritten, so kernel builds stay incremental.
sync_test_patches() {
	local manifest=$SRC/.test-patch-manifest tmp f p clash
	tmp=$(mktemp -d)
	: >"$tmp/files"
	for p in "$HARNESS"/test-patches/*.patch; do
		[ -e "$p" ] || continue
		sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$p" >>"$tmp/files"
	done
	LC_ALL=C sort -u -o "$tmp/files" "$tmp/files"
	clash=$(LC_ALL=C comm -12 "$SRC/.overlay-manifest" "$tmp/files")
	[ -z "$clash" ] || die "test patches touch files the overlay carries: $clash"
	while read -r f; do
		[ -f "$BASE_SRC/$f" ] || die "test patch target $f is not in the base"
		mkdir -p "$tmp/t/$(dirname "$f")"
		cp "$BASE_SRC/$f" "$tmp/t/$f"
	done <"$tmp/files"
	for p in "$HARNESS"/test-patches/*.patch; do
		[ -e "$p" ] || continue
		patch -p1 --fuzz=0 -d "$tmp/t" --no-backup-if-mismatch -r - <"$p" >"$tmp/patch.log" 2>&1 || {
			cat "$tmp/patch.log" >&2
			die "test patch ${p##*/} does not apply to $BASE_PKG $BASE_VERSION"
		}
	done
	# Files no patch touches any more: the base's again (a copy, for
	# kbuild's mtimes), unless the overlay carries them now.
	touch "$manifest"
	LC_ALL=C comm -23 "$manifest" "$tmp/files" | while read -r f; do
		grep -qxF "$f" "$SRC/.overlay-manifest" && continue
		rm -f "$SRC/$f"
		cp "$BASE_SRC/$f" "$SRC/$f"
	done
	while read -r f; do
		cmp -s "$tmp/t/$f" "$SRC/$f" && continue
		rm -f "$SRC/$f"
		cp "$tmp/t/$f" "$SRC/$f"
	done <"$tmp/files"
	cp "$tmp/files" "$manifest"
	rm -rf "$tmp"
}

case "${1:-sync}" in
record)
	extract_base
	: >"$SUMS.new"
	overlay_files | while read -r f; do
		if [ -f "$BASE_SRC/$f" ]; then
			(cd "$BASE_SRC" && sha256sum "$f") >>"$SUMS.new"
		fi
	done
	LC_ALL=C sort -k2 -o "$SUMS" "$SUMS.new"
	rm -f "$SUMS.new"
	sed -i "s/^BASE_RECORDED=.*/BASE_RECORDED=$BASE_VERSION/" "$HARNESS/base.version"
	log "recorded $(wc -l <"$SUMS") base checksums of $BASE_PKG $BASE_VERSION in $SUMS"
	;;
sync)
	extract_base
	check_base_sums
	sync_overlay
	sync_test_patches
	;;
version)
	# What the build uses, for make run / make check to print.
	resolve_base
	echo "$BASE_PKG $BASE_VERSION (Linux $BASE_UPSTREAM; checksums recorded against $BASE_RECORDED)"
	;;
*) die "usage: $0 [sync|record|version]" ;;
esac
