# shellcheck shell=bash
# smc_stress -X CONN spoils one byte of one connection's stream: the data
# checker every integrity test relies on must then fail the run with
# exactly one mismatch, on that connection, and pass the others. Over
# SMC-D loopback and over TCP. Exit 0 pass, 1 fail.
PATH=/selftests:$PATH
fail=0
for kind in "" -T; do
	out=/tmp/stress-x$kind.log
	smc_stress $kind -n 16 -b 1M -X 5 >"$out" 2>&1
	rc=$?
	grep -E 'mismatch|^not ok|^ok' "$out" | sed 's/^/##   /'
	if [ $rc -ne 1 ]; then
		echo "## smc_stress $kind -X 5: exit status $rc, expected 1 (a failed run)"
		fail=1
	fi
	if ! grep -q 'mismatches 1, failed connections 1,' "$out" ||
	   ! grep -q '^# conn 5 server: .*rx: data mismatch at stream offset 524288' "$out" ||
	   [ "$(grep -c 'data mismatch' "$out")" -ne 1 ]; then
		echo "## smc_stress $kind -X 5: not exactly one mismatch, on connection 5 at offset 524288"
		fail=1
	fi
done
exit $fail
