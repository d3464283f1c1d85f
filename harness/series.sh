#!/usr/bin/env bash
# `make series [SERIES_OUT=DIR]`: the overlay as a patch series for
# upstream, cut as harness/series.txt says (harness/series.py), written by
# git format-patch from a git tree of the base, then checked, one RESULT
# line each:
#  series:generate            the spec takes every change exactly once
#  series:git-am              the patches apply with git am onto the base
#  series:identical           ... and give the overlay, byte for byte
#  series:checkpatch:NN       checkpatch --strict, per patch
#  series:build:NN            after each patch that changes net/, include/
#                             or drivers/: net/smc builds (x86_64 config
#                             with KUnit, W=1), with no diagnostic
#  series:get-maintainer      get_maintainer.pl names a maintainer for
#                             every file the series touches
# SERIES_BUILD=0 leaves the builds out.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$HARNESS/tree.sh"
resolve_base
S=$CACHE/series
OUT=${SERIES_OUT:-$S/out}
SPEC=$HARNESS/series.txt
mapfile -t files < <(overlay_files)
rm -rf "$S/steps" "$S/git" "$S/am" "$OUT"
mkdir -p "$S" "$OUT"

if ! python3 "$HARNESS/series.py" write "$SPEC" "$BASE_SRC" "$REPO" "$S/steps" \
	"${files[@]}" >"$S/generate.log" 2>&1; then
	cat "$S/generate.log" >&2
	echo "RESULT series:generate FAIL"
	exit 0
fi
echo "RESULT series:generate PASS"
n=$(cat "$S/steps/count")

# A git tree of the base: the base's own version of every file the series
# touches (the patches touch nothing else, so they apply to a full tree
# at the same version alike).
base_git() {			# base_git DIR
	local d=$1 f
	mkdir -p "$d"
	git -C "$d" init -q
	git -C "$d" config user.name "$SERIES_NAME"
	git -C "$d" config user.email "$SERIES_EMAIL"
	for f in "${files[@]}"; do
		if [ -f "$BASE_SRC/$f" ]; then
			mkdir -p "$d/$(dirname "$f")"
			cp -p "$BASE_SRC/$f" "$d/$f"
		fi
	done
	git -C "$d" add -A
	GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z" \
		git -C "$d" commit -q -m "Linux $BASE_UPSTREAM (Debian $BASE_PKG $BASE_VERSION)"
	git -C "$d" tag base
}
SERIES_NAME=$(git -C "$REPO" log -1 --format=%an 2>/dev/null || echo "SMC-D loopback")
SERIES_EMAIL=$(git -C "$REPO" log -1 --format=%ae 2>/dev/null || echo "smc-lo@localhost")

# sync_step STEP DIR: the series' files in DIR as they are after patch
# STEP. A file that changes is replaced, never written through: in the
# build tree the others are hard links to the base, and the new file's
# mtime makes kbuild rebuild what depends on it.
sync_step() {
	local f
	for f in "${files[@]}"; do
		if [ ! -f "$1/$f" ]; then
			rm -f "$2/$f"
		elif ! cmp -s "$1/$f" "$2/$f" ||
		     [ "$(stat -c %a "$1/$f")" != "$(stat -c %a "$2/$f")" ]; then
			rm -f "$2/$f"
			mkdir -p "$(dirname "$2/$f")"
			cp "$1/$f" "$2/$f"	# a new mtime: not -p
			chmod "$(stat -c %a "$1/$f")" "$2/$f"
		fi
	done
}

G=$S/git
base_git "$G"
for i in $(seq -w 1 "$n"); do
	sync_step "$S/steps/$i" "$G"
	git -C "$G" add -A
	{ cat "$S/steps/$i.msg"; echo; echo "Signed-off-by: $SERIES_NAME <$SERIES_EMAIL>"; } >"$S/msg"
	GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z" git -C "$G" commit -q --allow-empty -F "$S/msg"
done
git -C "$G" checkout -q -b smc-loopback
# the cover letter's line counts, from the patches themselves
read -r total kern kunit selft docs < <(git -C "$G" log --numstat --format= base..HEAD |
	awk 'NF == 3 { f = $3; n = $1
		if (f ~ /^tools\//) st += n
		else if (f ~ /_test\.c$|smc_kunit\.h$|\.kunitconfig$/) ku += n
		else if (f ~ /^Documentation\/|^MAINTAINERS$/) doc += n
		else k += n }
	END { printf "%d %d %d %d %d\n", k + ku + st + doc, k, ku, st, doc }')
sed -e "s/@TOTAL@/$total/g" -e "s/@KERNEL@/$kern/g" -e "s/@KUNIT@/$kunit/g" \
	-e "s/@SELFTESTS@/$selft/g" -e "s/@DOCS@/$docs/g" "$S/steps/cover" >"$S/cover"
git -C "$G" config branch.smc-loopback.description "$(cat "$S/cover")"
git -C "$G" format-patch -q --cover-letter --cover-from-description=subject \
	--base=base -o "$OUT" base..HEAD
log "series: $n patches in $OUT"

# git am onto a fresh base tree, and compare with the overlay
A=$S/am
base_git "$A"
patches=()
for p in "$OUT"/*.patch; do
	[ "$p" = "$OUT/0000-cover-letter.patch" ] || patches+=("$p")
done
if git -C "$A" am -q "${patches[@]}" >"$S/am.log" 2>&1; then
	echo "RESULT series:git-am PASS"
	diffs=0
	for f in "${files[@]}"; do
		if ! cmp -s "$A/$f" "$REPO/$f" ||
		   [ "$(stat -c %a "$A/$f")" != "$(stat -c %a "$REPO/$f")" ]; then
			echo "series: $f differs from the overlay after git am" >&2
			diffs=1
		fi
	done
	if [ $diffs -eq 0 ]; then
		echo "RESULT series:identical PASS"
	else
		echo "RESULT series:identical FAIL"
	fi
else
	tail -n 20 "$S/am.log" >&2
	echo "RESULT series:git-am FAIL"
	echo "RESULT series:identical FAIL"
fi

# checkpatch, per patch, as a maintainer runs it
for p in "${patches[@]}"; do
	i=$(basename "$p" | cut -c3-4)
	if (cd "$SRC" && perl scripts/checkpatch.pl --strict --no-tree -q \
		--ignore FILE_PATH_CHANGES "$p") >"$S/checkpatch-$i.log" 2>&1; then
		echo "RESULT series:checkpatch:$i PASS"
	else
		head -n 30 "$S/checkpatch-$i.log" >&2
		echo "RESULT series:checkpatch:$i FAIL"
	fi
done

# get_maintainer.pl on the final tree: a maintainer (not only a list) for
# every file (but MAINTAINERS itself, which has none upstream either)
gm=0
for f in "${files[@]}"; do
	[ "$f" != MAINTAINERS ] || continue
	m=$(cd "$SRC" && perl scripts/get_maintainer.pl --no-git --no-git-fallback \
		--nol --norolestats -f "$f" 2>/dev/null | grep -c @ || true)
	if [ "$m" -eq 0 ]; then
		echo "series: get_maintainer.pl names nobody for $f" >&2
		gm=1
	fi
done
if [ $gm -eq 0 ]; then
	echo "RESULT series:get-maintainer PASS"
else
	echo "RESULT series:get-maintainer FAIL"
fi

[ "${SERIES_BUILD:-1}" = 1 ] || exit 0

# Builds after each patch that touches kernel code: a hard-linked copy of
# the base, each step's files laid over it (sync_step).
T=$S/src
B=$(build_dir series)
if [ "$(cat "$T/.base-version" 2>/dev/null)" != "$BASE_VERSION" ]; then
	rm -rf "$T"
	cp -al "$BASE_SRC" "$T"
	echo "$BASE_VERSION" >"$T/.base-version"
fi
BX=$(build_dir x86_64)
[ -f "$BX/.config" ] || "$HARNESS/build.sh" x86_64
mkdir -p "$B"
# the series' options as they appear: each step merges them again
printf 'CONFIG_KUNIT=y\nCONFIG_SMC=y\nCONFIG_SMC_LO=y\nCONFIG_SMC_KUNIT_TEST=y\n' >"$S/series.config"
git -C "$G" rev-list --reverse base..HEAD >"$S/commits"
for i in $(seq -w 1 "$n"); do
	sync_step "$S/steps/$i" "$T"
	# only patches that change kernel code are built
	c=$(sed -n "$((10#$i))p" "$S/commits")
	if git -C "$G" diff --quiet "$c^" "$c" -- net include drivers; then
		continue
	fi
	[ -f "$B/.config" ] || cp "$BX/.config" "$B/.config"
	quiet "$B/config.log" "$T/scripts/kconfig/merge_config.sh" -m -O "$B" \
		"$B/.config" "$S/series.config"
	quiet "$B/config.log" make -C "$T" O="$B" olddefconfig
	cfg=1
	for o in $(sed 's/=.*//' "$S/series.config"); do
		if grep -q "^config ${o#CONFIG_}\$" "$T/net/smc/Kconfig" &&
		   ! grep -q "^$o=" "$B/.config"; then
			echo "series: step $i: $o did not take (see $B/config.log)" >&2
			cfg=0
		fi
	done
	logf=$S/build-$i.log
	if [ $cfg = 1 ] && make -C "$T" O="$B" -j"$JOBS" W=1 net/smc/ >"$logf" 2>&1 &&
	   ! grep -E '(warning|error):' "$logf" >"$logf.diag"; then
		echo "RESULT series:build:$i PASS"
	else
		{ grep -E '(warning|error):' "$logf" || tail -n 20 "$logf"; } | head -n 20 >&2
		echo "RESULT series:build:$i FAIL"
	fi
done
