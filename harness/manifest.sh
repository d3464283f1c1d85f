#!/usr/bin/env bash
# The manifest of expected results (harness/expected-results): per stage of
# `make check`, every suite and its number of cases. A result's group is
# its name up to the second ':' (x86_64:smc_hostile, kunit:smc_loopback,
# x86_64+stock:smcr, lint:checkpatch); the stage a group belongs to is its
# first field (build:FLAVOUR belongs to FLAVOUR, a pair A+B to smcr:A+B).
#
#   manifest.sh check RESULTS STAGE...
#	compare the groups of the stages that ran with RESULTS: one
#	"RESULT manifest:GROUP:expected-N-got-M FAIL" per group with missing
#	or extra cases, one per group not in the manifest and per name
#	reported twice; or else "RESULT manifest PASS"
#   manifest.sh update RESULTS
#	rewrite the manifest's lines of the stages RESULTS has, from it
#	(after adding or removing a test on purpose; review the diff)
set -euo pipefail
M=$(cd "$(dirname "$0")" && pwd)/expected-results

groups() {		# RESULTS -> "stage group" per result line
	sed -n 's/^RESULT \([^ ]*\) [A-Z]*$/\1/p' "$1" | awk -F: '{
		g = (NF > 1) ? $1 ":" $2 : $1
		st = $1
		if (st == "build") st = $2
		else if (index(st, "+")) st = "smcr:" st
		print st, g
	}'
}

case ${1:-} in
check)
	R=$2; shift 2
	stages=" $* "
	bad=0
	dups=$(sed -n 's/^RESULT \([^ ]*\) [A-Z]*$/\1/p' "$R" | sort | uniq -d)
	for d in $dups; do
		echo "## manifest: result $d reported more than once" >&2
		echo "RESULT manifest:duplicate:$d FAIL"
		bad=1
	done
	# expected and actual counts, per group of a stage that ran
	exp=$(awk -v st="$stages" '!/^#/ && NF == 3 &&
		index(st, " " $1 " ") { print $2, $3 }' "$M")
	got=$(groups "$R" | awk -v st="$stages" 'index(st, " " $1 " ") {
		n[$2]++ } END { for (g in n) print g, n[g] }')
	while read -r g n; do
		[ -n "$g" ] || continue
		m=$(awk -v g="$g" '$1 == g { print $2 }' <<<"$got")
		if [ "${m:-0}" != "$n" ]; then
			echo "## manifest: $g: expected $n results, got ${m:-0}" >&2
			echo "RESULT manifest:$g:expected-$n-got-${m:-0} FAIL"
			bad=1
		fi
	done <<<"$exp"
	while read -r g m; do
		[ -n "$g" ] || continue
		if ! awk -v g="$g" '$1 == g { f = 1 } END { exit !f }' <<<"$exp"; then
			echo "## manifest: $g: $m results, not in the manifest" >&2
			echo "RESULT manifest:$g:$m-not-in-the-manifest FAIL"
			bad=1
		fi
	done <<<"$got"
	[ $bad -eq 1 ] || echo "RESULT manifest PASS"
	;;
update)
	R=$2
	new=$(groups "$R" | sort | uniq -c | awk '{ print $2, $3, $1 }')
	ran=$(awk '{ print $1 }' <<<"$new" | sort -u)
	{
		awk '/^#/' "$M"
		{
			awk -v ran=" $(echo $ran) " '!/^#/ && NF == 3 &&
				!index(ran, " " $1 " ")' "$M"
			echo "$new"
		} | sort -k1,1 -k2,2
	} >"$M.new"
	mv "$M.new" "$M"
	;;
*)
	echo "usage: manifest.sh check RESULTS STAGE... | update RESULTS" >&2
	exit 2
	;;
esac
