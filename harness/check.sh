#!/usr/bin/env bash
# `make check`: install what is missing, build, lint, KUnit, and the
# selftests in a guest; one RESULT line per case, then the summary line
# "N passed, N failed, N skipped". Exit status 1 if anything failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Guest flavours: our kernels, and "stock" (Debian's kernel image with the
# series' out-of-tree modules); s390x (make check-s390) is not in the
# default list, for time. CHECK_STEPS: the stages run before them.
# After each flavour, a two-guest SMC-R pair (harness/smcr.sh; CHECK_SMCR=
# leaves them out).
flavours=${CHECK_FLAVOURS:-x86_64 debug stock}
steps=${CHECK_STEPS-lint series kunit}
R=$CACHE/results.txt
: >"$R"
t0=$(date +%s)

record() {			# record NAME STATUS
	echo "RESULT $1 $2" | tee -a "$R"
}
step() {			# step NAME CMD...: collect RESULT lines of CMD
	local name=$1; shift
	local out=$CACHE/step-$name.out rc=0
	"$@" >"$out" || rc=$?
	grep '^RESULT ' "$out" | tee -a "$R" || true
	if [ $rc -ne 0 ] && ! grep -q '^RESULT .* FAIL$' "$out"; then
		record "$name" FAIL
	fi
	return 0
}

"$HARNESS/deps.sh"
# The base and stock kernel packages are chosen from today's archive:
# say which, once. Without a base nothing can be built: one clear line.
if ! (resolve_base) || ! "$HARNESS/tree.sh"; then
	record base FAIL
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
resolve_base
log "base: $("$HARNESS/tree.sh" version)"
if [[ " $flavours " == *" stock "* ]] && (resolve_stock); then
	resolve_stock
	log "stock: linux-image-$STOCK_REL $STOCK_VERSION, linux-kbuild-6.1 $STOCK_KBUILD_VERSION"
fi

ran=$steps			# the stages whose results the manifest checks
for s in $steps; do
	step "$s" "$HARNESS/$s.sh"
done

for fl in $flavours; do
	tf=$(date +%s)
	ran="$ran $fl"
	prep=("$HARNESS/build.sh" "$fl") job=$HARNESS/jobs/selftests.sh
	if [ "$fl" = stock ]; then
		prep=("$HARNESS/stock.sh") job=$HARNESS/stock-job.sh
	elif [ "$fl" = s390x ]; then
		job=$HARNESS/jobs/s390x.sh
	fi
	if ! "${prep[@]}"; then
		record "build:$fl" FAIL
		continue
	fi
	record "build:$fl" PASS
	built="${built:-} $fl"
	if ! "$HARNESS/selftests.sh" "$fl"; then
		record "selftests-build:$fl" FAIL
		continue
	fi
	log "running the selftests in the $fl guest"
	gl=$(build_dir "$fl")/guest-selftests.log
	rc=0
	# the whole suite on the KASAN kernel takes a while under TCG
	GUEST_TIMEOUT=${GUEST_TIMEOUT:-3000} GUEST_TOOLS="$APP_TOOLS" \
		"$HARNESS/guest.sh" "$fl" "$job" "$gl" || rc=$?
	sed -n 's/^RESULT \([^ ]*\) \(PASS\|FAIL\|SKIP\)$/RESULT \1 \2/p' "$gl" |
		sed "s/^RESULT /RESULT $fl:/" | tee -a "$R"
	if [ $rc -ne 0 ]; then
		record "$fl:guest" FAIL
	fi
	# Two kernels: series kernels with each other (the debug kernel with
	# x86_64: SMC-R's two links under KASAN), and against Debian's own
	# kernel (harness/smcr.sh): without RDMA, then SMC-R over soft-RoCE
	# with one link and (series kernels) two.
	if [ -n "${CHECK_SMCR-1}" ]; then
		case $fl in
		x86_64) pair=(x86_64 x86_64) ;;
		debug) pair=(debug x86_64) ;;
		stock) pair=(x86_64 stock) ;;
		*) pair=() ;;
		esac
		# both guests of a pair run kernels built in this run, or no pair
		# (make check-debug alone builds no x86_64 kernel)
		for k in "${pair[@]}"; do
			if [[ " ${built:-} " != *" $k "* ]]; then
				log "no SMC-R pair ${pair[0]}+${pair[1]}: $k was not built in this run"
				pair=()
				break
			fi
		done
		if [ ${#pair[@]} -eq 2 ]; then
			log "SMC-R between two guests: ${pair[0]} and ${pair[1]}"
			ran="$ran smcr:${pair[0]}+${pair[1]}"
			step "smcr-${pair[0]}+${pair[1]}" "$HARNESS/smcr.sh" "${pair[@]}"
		fi
	fi
	log "$fl stage took $(( $(date +%s) - tf ))s"
done

# Every suite of the stages that ran, with its number of cases
# (harness/expected-results): nothing went missing, nothing was added.
"$HARNESS/manifest.sh" check "$R" $ran >"$CACHE/manifest.out"
tee -a "$R" <"$CACHE/manifest.out"

pass=$(grep -c ' PASS$' "$R" || true)
fail=$(grep -c ' FAIL$' "$R" || true)
skip=$(grep -c ' SKIP$' "$R" || true)
log "make check took $(( $(date +%s) - t0 ))s"
# why FLAVOUR:SUITE[:CASE]: what the failed suite printed of its failure
# in the guest's log (CI keeps only the end of the output). awk reads the
# log itself and may stop early: nothing here can fail the summary.
why() {
	local fl=${1%%:*} rest=${1#*:} gl side
	gl=$(build_dir "$fl")/guest-selftests.log
	case $rest in
	smcr:[ab]:*)	# a two-guest pair: that side's log, that check
		side=${rest#smcr:}
		side=${side%%:*}
		[ -f "$CACHE/smcr/$fl/$side.log" ] || return 0
		awk -v n="## $side: ${rest##*:}" '{ sub(/\r$/, "") }
			index($0, n ": ") == 1 { on = 1 }
			on { print "      " substr($0, 1, 200); if (++k == 12) exit }
			on && index($0, n " took") == 1 { exit }' \
			"$CACHE/smcr/$fl/$side.log" || true
		return 0 ;;
	esac
	[ -f "$gl" ] || return 0
	awk -v n="${rest%%:*}" '{ sub(/\r$/, "") }
		$0 == "## selftest " n || index($0, "## selftest " n " ") == 1 { on = 1; next }
		on && (index($0, "RESULT " n " ") == 1 || index($0, "RESULT " n ":") == 1) { exit }
		on && /FAIL|not ok|[Ee]xpected|BUG|WARNING|KASAN|Call Trace/ {
			print "      " substr($0, 1, 200); if (++k == 12) exit }' "$gl" || true
}
if [ "$fail" -gt 0 ]; then
	echo "failed:"
	grep ' FAIL$' "$R" | sed 's/^RESULT //; s/ FAIL$//' | while read -r f; do
		echo "  $f FAIL"
		why "$f" || true
	done || true
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
