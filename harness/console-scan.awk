# Kernel reports anywhere on a guest's serial console (all log levels:
# the guest boots with ignore_loglevel): warnings, BUG, KASAN, lockdep,
# RCU stalls, hung tasks, kmemleak. Each one is named with the test that
# was running ("## selftest NAME" or the last "## " progress line). The
# job may print the kernel log again (check_dmesg): a line seen before is
# not counted twice. Prints "RESULT console-clean PASS|FAIL" and, for
# every test during which a report appeared, "RESULT console:TEST FAIL".
# usage: awk -f console-scan.awk CONSOLE_LOG
BEGIN {
	test = "boot"
	pat = "BUG:|WARNING:|Oops|KASAN|UBSAN|possible circular|" \
	      "possible recursive|inconsistent lock|suspicious RCU|" \
	      "rcu: INFO|self-detected stall|detected stalls|" \
	      "blocked for more than|soft lockup|hard LOCKUP|Kernel panic|" \
	      "general protection|suspected memory leak|Call Trace"
	bad = 0
}
/^## selftest / { test = $3; next }
/^## / { if (test == "boot") test = substr($0, 4); next }
/^\[ *[0-9]+\.[0-9]+\] / {
	if ($0 in seen)
		next
	seen[$0] = 1
	if ($0 ~ pat) {
		if (!(test in hit)) {
			hit[test] = 1
			order[++n] = test
			print "## kernel report during " test ": " $0 > "/dev/stderr"
		}
		bad++
	}
}
END {
	for (i = 1; i <= n; i++) {
		t = order[i]
		gsub(/[^A-Za-z0-9_.:-]/, "_", t)
		print "RESULT console:" t " FAIL"
	}
	print "RESULT console-clean " (bad ? "FAIL" : "PASS")
}
