# The s390x guest (big-endian, qemu-system-s390x): the KUnit suites of the
# SMC core (smc is built in: they ran at boot), the machine SEID against
# /proc, and the fallback, loopback, no-copy, netlink and hostile suites.
. /guest-lib.sh

modprobe smc_diag || result modprobe-smc_diag FAIL
# Without the loopback device: SMC falls back to TCP, data intact.
run_kselftest smc_fallback /selftests/smc_fallback
modprobe smc_loopback || result modprobe-smc_loopback FAIL
# KTAP of the suites, read back from the kernel log: "ok N case" lines
# indented one level (4 spaces) under "# Subtest: suite".
dmesg | sed -E 's/^\[ *[0-9]+\.[0-9]+\] //' | awk '
/^    # Subtest: / { suite=$3; next }
/^        (not )?ok [0-9]+ / { next }	# parameterised cases: their parent counts
/^    (not )?ok [0-9]+ / {
	st="PASS"; if ($1 == "not") { st="FAIL"; $1=""; $0=$0 }
	sub(/^ *ok [0-9]+ /, ""); name=$1
	if ($0 ~ /# SKIP/) st="SKIP"
	print "RESULT kunit:" suite ":" name " " st
}' >/tmp/kunit.res
cat /tmp/kunit.res
[ -s /tmp/kunit.res ] || result kunit FAIL

# The SEID from the CPU identification, computed here: the last 4 hex
# digits of the identification and the machine type, as /proc/cpuinfo
# prints them; /proc/sysinfo must name the same machine type.
ident=$(sed -n 's/.*identification = \([0-9A-Fa-f]*\).*/\1/p' /proc/cpuinfo | head -n 1)
machine=$(sed -n 's/.*machine = \([0-9A-Fa-f]*\).*/\1/p' /proc/cpuinfo | head -n 1)
systype=$(sed -n 's/^Type: *\([0-9A-Fa-f]*\).*/\1/p' /proc/sysinfo)
tail4=$(printf '%s' "$ident" | tr a-f A-F | sed -E 's/.*(....)$/\1/')
want=$(printf 'IBM-SYSZ-ISMSEID00000000%s%04X' "$tail4" "0x$machine")
echo "## cpuinfo identification=$ident machine=$machine, sysinfo Type=$systype: SEID $want"
got=$(/selftests/smc_info info | sed -n 's/^System EID  *//p')
echo "## smc_info info: System EID $got"
if [ -n "$ident" ] && [ "$machine" = "$systype" ] && [ "$got" = "$want" ]; then
	result seid-machine PASS
else
	result seid-machine FAIL
fi

run_kselftest smc_loopback /selftests/smc_loopback
run_kselftest smc_nocopy /selftests/smc_nocopy
run_kselftest smc_netlink /selftests/smc_netlink
SMC_RACE_ROUNDS=5 run_kselftest smc_hostile /selftests/smc_hostile
check_dmesg
