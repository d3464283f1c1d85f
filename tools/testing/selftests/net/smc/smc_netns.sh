#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SMC-D over loopback-ism between two network namespaces of one kernel,
# joined by a veth pair (the container case): the server runs in one
# namespace, the client in the other, and both ends must report mode SMCD
# with peer GID == local GID through their own namespace's sock_diag, with
# the data intact. Plain TCP peers across the namespaces still fall back.
#
# Needs root, ip(8), veth and netns support; loads smc, smc_diag and
# smc_loopback.

source "$(dirname "$(readlink -f "$0")")/smc_lib.sh"

NS1="smc-ns1-$$"
NS2="smc-ns2-$$"
ADDR1=10.199.1.1
ADDR2=10.199.1.2
ADDR6_1=fd00:199:1::1
ADDR6_2=fd00:199:1::2
PORT=5301
TMO=120

cleanup()
{
	ip netns del "$NS1" 2>/dev/null
	ip netns del "$NS2" 2>/dev/null
	rm -rf "$SMC_TMP"
}
trap cleanup EXIT

setup()
{
	ip netns add "$NS1" 2>/dev/null || smc_skip "cannot create a network namespace"
	ip netns add "$NS2" || smc_skip "cannot create a network namespace"
	ip -n "$NS1" link set lo up
	ip -n "$NS2" link set lo up
	ip link add veth-smc1 netns "$NS1" type veth peer name veth-smc2 \
		netns "$NS2" 2>/dev/null || smc_skip "cannot create a veth pair"
	ip -n "$NS1" addr add $ADDR1/24 dev veth-smc1
	ip -n "$NS2" addr add $ADDR2/24 dev veth-smc2
	HAVE_V6=1
	ip -n "$NS1" addr add $ADDR6_1/64 dev veth-smc1 nodad 2>/dev/null &&
		ip -n "$NS2" addr add $ADDR6_2/64 dev veth-smc2 nodad \
			2>/dev/null || HAVE_V6=0
	ip -n "$NS1" link set veth-smc1 up
	ip -n "$NS2" link set veth-smc2 up
}

# check_smcd NAME CONNS DESCRIPTION: both ends ran clean, all conns SMCD
check_smcd()
{
	local name=$1 conns=$2 desc=$3 rc=0 s c

	s=$(smc_count_mode "$SMC_TMP/$name.srv" SMCD)
	c=$(smc_count_mode "$SMC_TMP/$name.cli" SMCD)
	if [ "$SRV_RC" -ne 0 ] || [ "$CLI_RC" -ne 0 ] ||
	   [ "$s" -ne "$conns" ] || [ "$c" -ne "$conns" ]; then
		rc=1
		echo "server rc $SRV_RC, $s/$conns SMCD; client rc $CLI_RC, $c/$conns SMCD"
		smc_show "$SMC_TMP/$name.srv" "$SMC_TMP/$name.cli"
	fi
	log_test $rc "$desc"
}

# check_fallback NAME SIDE DESCRIPTION: both ran clean, SIDE fell back
check_fallback()
{
	local name=$1 side=$2 desc=$3 rc=0 n

	n=$(smc_count_mode "$SMC_TMP/$name.$side" FALLBACK_TCP)
	if [ "$SRV_RC" -ne 0 ] || [ "$CLI_RC" -ne 0 ] || [ "$n" -ne 1 ]; then
		rc=1
		echo "server rc $SRV_RC, client rc $CLI_RC," \
			"$n fallback connection(s) on the $side side"
		smc_show "$SMC_TMP/$name.srv" "$SMC_TMP/$name.cli"
	fi
	log_test $rc "$desc"
}

smc_require_root
smc_require_cmds ip timeout modprobe
smc_require_peer
smc_load_modules
setup
smc_dmesg_mark "start"

# -e loopback: mode SMCD and peer GID == local GID, checked by smc_peer
smc_pair v4 "$NS1" "$NS2" $TMO "-4 -a $ADDR1 -p $PORT -n 3 -b 16M -e loopback" \
	"-4 -a $ADDR1 -p $PORT -n 3 -b 16M -e loopback"
check_smcd v4 3 "IPv4 across namespaces: SMC-D on both ends, data intact"

# the other direction: server in the second namespace
smc_pair v4r "$NS2" "$NS1" $TMO "-4 -a $ADDR2 -p $PORT -b 4M -e loopback" \
	"-4 -a $ADDR2 -p $PORT -b 4M -e loopback"
check_smcd v4r 1 "IPv4 across namespaces, reversed roles"

if [ $HAVE_V6 -eq 1 ]; then
	smc_pair v6 "$NS1" "$NS2" $TMO \
		"-6 -a $ADDR6_1 -p $PORT -n 2 -b 16M -e loopback" \
		"-6 -a $ADDR6_1 -p $PORT -n 2 -b 16M -e loopback"
	check_smcd v6 2 "IPv6 across namespaces: SMC-D on both ends, data intact"
else
	echo "SKIP: IPv6 across namespaces (no IPv6 on veth)"
fi

smc_pair tcpcli "$NS1" "$NS2" $TMO "-4 -a $ADDR1 -p $PORT -b 4M -e tcp" \
	"-4 -a $ADDR1 -p $PORT -b 4M -T"
check_fallback tcpcli srv "TCP client to AF_SMC server across namespaces falls back"

smc_pair tcpsrv "$NS1" "$NS2" $TMO "-4 -a $ADDR1 -p $PORT -b 4M -T" \
	"-4 -a $ADDR1 -p $PORT -b 4M -e tcp"
check_fallback tcpsrv cli "AF_SMC client to TCP server across namespaces falls back"

smc_dmesg_check
[ $? -eq 1 ] && rc=1 || rc=0
log_test $rc "no kernel warnings"

exit $ret
