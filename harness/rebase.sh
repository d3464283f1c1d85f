#!/usr/bin/env bash
# `make rebase-base [TO=VERSION]`: move the series onto another
# linux-source-6.1 (default: the newest the archive has).
#
# For each base file the overlay replaces, three-way merge the base's own
# change (old base -> new base) into the overlay's file with
# `git merge-file`. The old base of a file is the one whose checksum
# harness/base.sha256 records; it is taken from a cached extracted base,
# from this repository's history (the file's unmodified import), or from
# the archive, whichever has it. Nothing in the repository changes unless
# every file merges cleanly; then the merged files, harness/base.version
# and harness/base.sha256 are updated, for you to review, build
# (make check) and commit. Conflicts are listed hunk by hunk (diff3 style:
# ours, the old base, the new base); KEEP_CONFLICTS=1 writes them into the
# repository with their markers, for resolving by hand.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SUMS=$HARNESS/base.sha256
to=${TO:-}
if [ -z "$to" ]; then
	apt_lists_fresh force
	to=$(pkg_versions "$BASE_PKG" | head -n1)
	[ -n "$to" ] || die "the archive has no $BASE_PKG at all (apt-get update?)"
fi
to_up=${to%-*}
log "rebasing the overlay from Linux $BASE_UPSTREAM ($BASE_PKG $BASE_RECORDED) onto $BASE_PKG $to"
extract_base_version "$to"
NEW=$CACHE/base/$to/linux-source-6.1
W=$CACHE/rebase/$to
rm -rf "$W"
mkdir -p "$W/old" "$W/merged"

# The old base of FILE (its recorded checksum SUM) into OUT.
old_base() {
	local f=$1 sum=$2 out=$3 d c
	for d in "$CACHE"/base/*/linux-source-6.1; do
		if [ -f "$d/$f" ] && [ "$(sha256sum <"$d/$f" | cut -d' ' -f1)" = "$sum" ]; then
			cp "$d/$f" "$out"
			return 0
		fi
	done
	for c in $(git -C "$REPO" rev-list --all -- "$f" 2>/dev/null); do
		if git -C "$REPO" show "$c:$f" >"$out" 2>/dev/null &&
		   [ "$(sha256sum <"$out" | cut -d' ' -f1)" = "$sum" ]; then
			return 0
		fi
	done
	if [ -z "${old_fetched:-}" ]; then
		old_fetched=1
		log "no copy of the old base of $f here: fetching $BASE_PKG $BASE_RECORDED"
		(extract_base_version "$BASE_RECORDED") || true
		d=$CACHE/base/$BASE_RECORDED/linux-source-6.1
		if [ -f "$d/$f" ] && [ "$(sha256sum <"$d/$f" | cut -d' ' -f1)" = "$sum" ]; then
			cp "$d/$f" "$out"
			return 0
		fi
	fi
	return 1
}

changed=0 same=0 conflicts=() problems=()
while read -r -u 3 sum f; do
	[ -f "$REPO/$f" ] || continue		# the overlay no longer replaces it
	if [ ! -f "$NEW/$f" ]; then
		problems+=("$f: gone from $BASE_PKG $to (the overlay still carries it)")
		continue
	fi
	if [ "$(sha256sum <"$NEW/$f" | cut -d' ' -f1)" = "$sum" ]; then
		same=$((same + 1))
		continue
	fi
	mkdir -p "$W/old/$(dirname "$f")" "$W/merged/$(dirname "$f")"
	if ! old_base "$f" "$sum" "$W/old/$f"; then
		problems+=("$f: no copy of its old base (checksum $sum) in the cache, the history or the archive")
		continue
	fi
	cp "$REPO/$f" "$W/merged/$f"
	rc=0
	git merge-file --diff3 -L "overlay (ours)" -L "base $BASE_RECORDED" -L "base $to" \
		"$W/merged/$f" "$W/old/$f" "$NEW/$f" || rc=$?
	if [ $rc -eq 0 ]; then
		changed=$((changed + 1))
		log "merged $f ($(diff "$W/old/$f" "$NEW/$f" | grep -c '^[<>]') lines of base change)"
	else
		conflicts+=("$f")
	fi
done 3<"$SUMS"

# Files the overlay adds that the new base now has too.
while read -r f; do
	grep -q "  $f\$" "$SUMS" && continue
	if [ -f "$NEW/$f" ]; then
		problems+=("$f: the overlay adds it, but $BASE_PKG $to has it too")
	fi
done < <(overlay_files)

if [ ${#conflicts[@]} -gt 0 ] || [ ${#problems[@]} -gt 0 ]; then
	for f in "${conflicts[@]}"; do
		echo "conflict in $f (merge result with markers: $W/merged/$f):"
		awk '/^<<<<<<< /{p=1; print "  line " NR ":"} p{print "    " $0} /^>>>>>>> /{p=0}' \
			"$W/merged/$f"
	done
	for p in "${problems[@]}"; do
		echo "problem: $p"
	done
	if [ ${#problems[@]} -gt 0 ] || [ -z "${KEEP_CONFLICTS:-}" ]; then
		echo "To resolve by hand: make rebase-base TO=$to KEEP_CONFLICTS=1 writes the merged files,"
		echo "conflict markers included, into the repository and moves the pin; then edit the"
		echo "markers away, make check, and commit."
		die "rebase onto $BASE_PKG $to stopped: ${#conflicts[@]} conflicting file(s), ${#problems[@]} problem(s); the repository is unchanged"
	fi
fi

# Clean: take the merged files, the new pin and the new checksums.
(cd "$W/merged" && find . -type f) | while read -r f; do
	cp "$W/merged/$f" "$REPO/${f#./}"
done
sed -i -e "s/^BASE_UPSTREAM=.*/BASE_UPSTREAM=$to_up/" \
	-e "s/^BASE_RECORDED=.*/BASE_RECORDED=$to/" "$HARNESS/base.version"
while read -r sum f; do
	if [ -f "$NEW/$f" ]; then
		(cd "$NEW" && sha256sum "$f")
	fi
done <"$SUMS" >"$SUMS.new"
LC_ALL=C sort -k2 -o "$SUMS" "$SUMS.new"
rm -f "$SUMS.new"
log "rebased onto $BASE_PKG $to: $changed file(s) merged, $same unchanged by the base"
if [ ${#conflicts[@]} -gt 0 ]; then
	die "conflict markers left to resolve in: ${conflicts[*]}"
fi
log "now: make check, then commit the merged files with harness/base.version and harness/base.sha256"
log "(and commit the new base's unmodified copies too if you want later rebases to find them without the archive: they are in $NEW)"
