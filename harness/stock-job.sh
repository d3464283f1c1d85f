# shellcheck shell=bash
# Guest job of the "stock" flavour (Debian's own kernel, the series' modules
# installed out of tree in updates/): check that modprobe loads the series'
# smc.ko and smc_diag.ko rather than the stock ones, then run the selftest
# suite of the patched kernel unchanged.
. /guest-lib.sh

echo "## stock kernel: $(cat /proc/version)"
# Module auto-loading as on a Debian host (veth for netns, the inet
# sock_diag handlers); the kernel calls /sbin/modprobe, busybox has /bin's.
echo /bin/modprobe >/proc/sys/kernel/modprobe
if modprobe smc && modprobe smc_diag; then
	# The stock modules are in-tree: only the series' ones taint 'O'
	# (out of tree). Unsigned, they also taint 'E' where the kernel checks
	# signatures (Debian's does); not required here.
	for m in smc smc_diag; do
		taint=$(cat "/sys/module/$m/taint")
		echo "## $m loaded, module taint '$taint'"
		case $taint in
		*O*) result "$m-from-updates" PASS ;;
		*) result "$m-from-updates" FAIL ;;
		esac
	done
	echo "## kernel taint $(cat /proc/sys/kernel/tainted); taint messages:"
	dmesg | grep -i taint | sed "s/^/## /"
fi
SMC_SUITE_PROFILE=stock bash /jobs/selftests.sh
