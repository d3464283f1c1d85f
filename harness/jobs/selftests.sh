# The kselftest suite in the guest, in the order the module state needs.
. /guest-lib.sh

if ! modprobe smc || ! modprobe smc_diag; then
	result modprobe-smc FAIL
	exit 0
fi
# Without the loopback device: SMC falls back to TCP, data intact.
run_kselftest smc_fallback /selftests/smc_fallback

if ! modprobe smc_loopback; then
	result modprobe-smc_loopback FAIL
	check_dmesg
	exit 0
fi
run_kselftest smc_loopback /selftests/smc_loopback
run_kselftest smc_netlink /selftests/smc_netlink
run_shtest smc_netns /selftests/smc_netns.sh
run_shtest smc_dmb_limit /selftests/smc_dmb_limit.sh
run_shtest smc_unload /selftests/smc_unload.sh
check_dmesg
