#!/usr/bin/env bash
# Print the overlay as one unified diff against the pinned base (what
# would be sent upstream, squashed).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$HARNESS/tree.sh" >&2
resolve_base
cd "$CACHE"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
overlay_files | while read -r f; do
	a=/dev/null
	[ -f "$BASE_SRC/$f" ] && a=$BASE_SRC/$f
	diff -u --label "a/$f" --label "b/$f" "$a" "$REPO/$f" || true
done
