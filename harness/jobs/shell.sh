# Interactive guest: modules loaded, a shell on the console.
modprobe smc; modprobe smc_diag; modprobe smc_loopback
echo "## SMC modules loaded; selftests are in /selftests. 'reboot -f' leaves."
setsid cttyhack sh
