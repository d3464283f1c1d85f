# `make run`: what the series offers, on the patched kernel.
set -e
echo "## modprobe smc smc_diag smc_loopback"
modprobe smc
modprobe smc_diag
modprobe smc_loopback
lsmod | grep smc
dmesg | grep -i smc || true
echo
echo "## SMC-D devices, SEID and v2 state (what 'smcd info' / 'smcd device' show)"
smc_info info
smc_info device
echo
echo "## iperf3 (unmodified) under smc_run over 127.0.0.1: SMC-D loopback"
smc_run iperf3 -s -1 -p 5201 >/tmp/iperf-s.log 2>&1 &
sleep 1
smc_run iperf3 -c 127.0.0.1 -p 5201 -t 5 -l 64K -f m | grep -E 'sender|receiver'
wait
echo
echo "## a connection proves its mode through sock_diag (smc_peer, pattern-checked)"
smc_peer server -4 -a 127.0.0.1 -p 5300 -b 64M -e loopback &
sleep 1
smc_peer client -4 -a 127.0.0.1 -p 5300 -b 64M -e loopback
wait
echo
echo "## the same pair over plain TCP"
smc_peer server -T -4 -a 127.0.0.1 -p 5301 -b 64M -e tcp &
sleep 1
smc_peer client -T -4 -a 127.0.0.1 -p 5301 -b 64M -e tcp
wait
echo
echo "## iperf3 over plain TCP, for comparison"
iperf3 -s -1 -p 5202 >/tmp/iperf-s.log 2>&1 &
sleep 1
iperf3 -c 127.0.0.1 -p 5202 -t 5 -l 64K -f m | grep -E 'sender|receiver'
wait
echo
echo "## link groups and statistics after the runs"
smc_info linkgroup
smc_info stats
