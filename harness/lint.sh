#!/usr/bin/env bash
# Quality gates of the series, one RESULT line each:
#  checkpatch --strict on the overlay diff, sparse (C=2) + W=1 on net/smc
#  (x86_64), and an s390 cross build of net/smc and the ISM driver with
#  sparse + W=1.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$HARNESS/tree.sh"
L=$CACHE/lint
mkdir -p "$L"

# checkpatch on the squashed series.
# checkpatch wants a commit message: the squashed series gets a stand-in.
{
	printf 'From: lint <lint@localhost>\nSubject: [PATCH] net/smc: SMC-D loopback series\n\n'
	printf 'The whole overlay as one patch, for checkpatch.\n\n---\n'
	"$HARNESS/diff.sh"
} >"$L/series.diff"
if ! grep -q "^+++ " "$L/series.diff"; then
	echo "RESULT lint:checkpatch SKIP"
else
	(cd "$SRC" && perl scripts/checkpatch.pl --strict --no-signoff --no-tree \
		--ignore FILE_PATH_CHANGES --max-line-length=100 "$L/series.diff") >"$L/checkpatch.log" 2>&1 || true
	if grep -q '^total: 0 errors, 0 warnings, 0 checks' "$L/checkpatch.log"; then
		echo "RESULT lint:checkpatch PASS"
	else
		grep -E '^(ERROR|WARNING|CHECK|#)|^total' "$L/checkpatch.log" | head -n 60 >&2
		echo "RESULT lint:checkpatch FAIL"
	fi
fi

# Compile a directory with sparse and W=1; any diagnostic in the series'
# files is a failure.
sparse_w1() {
	local name=$1 B=$2 arch=$3 cross=$4; shift 4
	local logf=$L/$name.log t j
	: >"$logf"
	# One target a make, a single object with -j1: kbuild builds it both
	# as a single target and in its directory, at once with -j (fixdep
	# race on its .d file).
	for t in "$@"; do
		j=$JOBS
		[ "${t%.o}" = "$t" ] || j=1
		if ! make -C "$SRC" O="$B" ARCH="$arch" ${cross:+CROSS_COMPILE=$cross} \
			-j"$j" C=2 W=1 "$t" >>"$logf" 2>&1; then
			tail -n 30 "$logf" >&2
			echo "RESULT lint:$name FAIL"
			return
		fi
	done
	if grep -E '(warning|error):' "$logf" >"$logf.diag"; then
		head -n 40 "$logf.diag" >&2
		echo "RESULT lint:$name FAIL"
	else
		echo "RESULT lint:$name PASS"
	fi
}

log "sparse + W=1: net/smc (x86_64)"
BX=$(build_dir x86_64)
[ -f "$BX/.config" ] || "$HARNESS/build.sh" x86_64
sparse_w1 sparse-w1-x86_64 "$BX" x86_64 "" net/smc/

# s390: our own small config, enough for net/smc and the ISM driver.
BS=$(build_dir s390)
mkdir -p "$BS"
stamp=$(sha256sum "$HARNESS/configs/s390.config" | cut -d' ' -f1)
if [ ! -f "$BS/.config" ] || [ "$(cat "$BS/.fragments" 2>/dev/null)" != "$stamp" ]; then
	log "configuring s390 cross build"
	s390make() { make -C "$SRC" O="$BS" ARCH=s390 CROSS_COMPILE=s390x-linux-gnu- "$@"; }
	quiet "$BS/config.log" s390make tinyconfig
	quiet "$BS/config.log" "$SRC/scripts/kconfig/merge_config.sh" -m -O "$BS" "$BS/.config" "$HARNESS/configs/s390.config"
	quiet "$BS/config.log" s390make olddefconfig
	for opt in CONFIG_SMC=m CONFIG_ISM=m CONFIG_SMC_LO=m; do
		grep -qx "$opt" "$BS/.config" || die "s390 config lacks $opt (see $BS/config.log)"
	done
	echo "$stamp" >"$BS/.fragments"
fi
log "s390 cross build + sparse + W=1: net/smc, drivers/s390/net/ism_drv.o"
sparse_w1 s390-sparse-w1 "$BS" s390 s390x-linux-gnu- net/smc/ drivers/s390/net/ism_drv.o
