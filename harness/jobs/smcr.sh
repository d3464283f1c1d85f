# shellcheck shell=bash
# Guest job of the two-guest SMC-R test (harness/smcr.sh). Two guests, "a"
# and "b", each in its own QEMU, are joined NIC to NIC by QEMU socket
# netdevs over 127.0.0.1 (eth0 <-> eth0, eth1 <-> eth1); soft-RoCE
# (rdma_rxe) on each NIC makes them SMC-R peers. Guest a runs the series'
# kernel; guest b the series' kernel too, or Debian's stock kernel with its
# own smc.ko (an unpatched peer). Both run this script with their side
# (smcr.side=a|b), their own kind and the peer's (smcr.self, smcr.peer =
# patched|stock) on the kernel command line, and walk the same phases in
# the same order; a phase's server listens on a port of its own and the
# client retries until it does, which keeps the two in step.
#
# Every connection proves its mode on its own end through sock_diag
# (smc_peer -e smcr|loopback, -F DECLINE for a TCP fallback), data checked
# byte by byte. One RESULT line per check, named smcr:<side>:<check>.
. /guest-lib.sh

arg() { sed -n "s/.*smcr\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
side=$(arg side)
self=$(arg self)
peer=$(arg peer)
me=1 other=2
[ "$side" = b ] && me=2 other=1
both_patched=0
[ "$self" = patched ] && [ "$peer" = patched ] && both_patched=1
# bytes each way of an SMC-R transfer: 32 MiB between series kernels,
# 64 MiB against a stock one (smcr.bytes=256M by hand; soft-RoCE under
# TCG moves about 7 MB/s, 80 s for 256 MiB each way)
big=$(arg bytes)
if [ -z "$big" ]; then
	big=32M
	[ "$both_patched" -eq 1 ] || big=64M
fi
# seconds a client retries, a server waits to accept: the other guest may
# be a debug kernel (KASAN under TCG), several times slower to get there
W=$(arg wait)
W=${W:-900}

# Addresses: ip4 NET HOST. Net 1 is eth0 <-> eth0 (hosts 1 and 2); "1b"
# is eth1 <-> eth1 in the same IPv4 subnet (hosts 3 and 4), as SMC-Rv2
# wants of the devices of one link group (smc_ib_determine_gid() takes an
# alternate device only with an address in the link group's subnet).
ip4() {
	case $1 in
	1b) echo "10.198.1.$(($2 + 2))" ;;
	*) echo "10.198.$1.$2" ;;
	esac
}
ip6() {
	case $1 in
	1b) echo "fd00:198:2::$2" ;;
	*) echo "fd00:198:$1::$2" ;;
	esac
}

res() { result "smcr:$side:$1" "$2"; }

# check NAME CMD...: one RESULT from the exit status of CMD
check() {
	local name=$1 rc t0
	shift
	echo "## $side: $name: $*"
	t0=$(date +%s)
	"$@"
	rc=$?
	echo "## $side: $name took $(($(date +%s) - t0)) s"
	if [ $rc -eq 0 ]; then
		res "$name" PASS
	else
		echo "## $side: $name failed (exit $rc)"
		res "$name" FAIL
	fi
	return $rc
}

# serve NAME PORT NET FAMILY EXPECT...: this side accepts one connection
serve() {
	local name=$1 port=$2 net=$3 fam=$4 addr
	shift 4
	addr=$(ip4 "$net" "$me")
	[ "$fam" = 6 ] && addr=$(ip6 "$net" "$me")
	check "$name" smc_peer server "-$fam" -a "$addr" -p "$port" -w "$W" -G "$@"
}

# dial NAME PORT NET FAMILY HOST EXPECT...: connect to HOST (1 or 2)
dial() {
	local name=$1 port=$2 net=$3 fam=$4 host=$5 addr
	shift 5
	addr=$(ip4 "$net" "$host")
	[ "$fam" = 6 ] && addr=$(ip6 "$net" "$host")
	check "$name" smc_peer client "-$fam" -a "$addr" -p "$port" -w "$W" -G "$@"
}

# pair NAME PORT NET FAMILY SERVER_SIDE EXPECT...: one checked connection
# between the guests, served by SERVER_SIDE; both ends expect EXPECT
pair() {
	local name=$1 port=$2 net=$3 fam=$4 srv=$5
	shift 5
	if [ "$srv" = "$side" ]; then
		serve "$name-server" "$port" "$net" "$fam" "$@"
	else
		dial "$name-client" "$port" "$net" "$fam" "$other" "$@"
	fi
}

# Jumbo frames: soft-RoCE's path MTU follows the NIC's (4096 at 9000
# against 1024 at 1500), and under TCG its cost is per packet.
nic_up() {		# nic_up IFACE NET
	ip link set "$1" mtu 9000 &&
	ip link set "$1" up &&
	ip addr add "$(ip4 "$2" "$me")/24" dev "$1" &&
	ip -6 addr add "$(ip6 "$2" "$me")/64" dev "$1" nodad
}

# eth1 shares eth0's subnet, without a route of its own but a host route
# to the peer's eth1 address: the subnet is reached by eth0, that one
# address by eth1, and each soft-RoCE device reaches its peer's over its
# own NIC (soft-RoCE sends where the route says).
nic_up_eth1() {
	local a peer
	a=$(ip4 1b "$me")
	peer=$(ip4 1b "$other")
	ip link set eth1 mtu 9000 &&
	ip link set eth1 up &&
	ip addr add "$a/24" dev eth1 noprefixroute &&
	ip -6 addr add "$(ip6 1b "$me")/64" dev eth1 nodad &&
	ip route add "$peer" dev eth1 src "$a"
}

load_smc() {
	modprobe virtio_pci 2>/dev/null
	modprobe virtio_net 2>/dev/null
	modprobe crc32_generic 2>/dev/null	# built in on the series kernels
	modprobe rdma_rxe || return 1
	if [ "$self" = stock ]; then
		# the stock kernel's own SMC, not the series' in updates/
		local k=/lib/modules/$(uname -r)/kernel/net/smc
		modprobe ib_core && insmod "$k/smc.ko" && insmod "$k/smc_diag.ko"
	else
		modprobe smc && modprobe smc_diag
	fi
}

rxe_delete_all() {	# every soft-RoCE device of this guest
	local d
	for d in rxe0 rxe1; do
		if [ -e "/sys/class/infiniband/$d" ]; then
			rdma link delete "$d" || return 1
		fi
	done
}

links_of_lgrs() {	# the number of links of every SMC-R link group, sorted
	smc_info links | awk '$1 == "lgr" { n[$2]++ } END { for (g in n) print n[g] }' | sort -n |
		tr '\n' ' '
}

# rxe_add NAME NETDEV: a soft-RoCE device, back once its port is ACTIVE
rxe_add() {
	local i
	rdma link add "$1" type rxe netdev "$2" || return 1
	for i in $(seq 50); do
		grep -q ACTIVE "/sys/class/infiniband/$1/ports/1/state" 2>/dev/null && return 0
		sleep 0.2
	done
	echo "## $side: $1 port not ACTIVE: $(cat "/sys/class/infiniband/$1/ports/1/state")"
	return 1
}

# Every SMC-R link group is SMC-Rv2 ("v2 2" in the link group dump: the
# SMC version), and
# there is one at least.
lgrs_v2() {
	smc_info linkgroup | awk '$1 == "lgr" && $3 == "role" {
		n++; v = ""
		for (i = 4; i < NF; i++) if ($i == "v2") v = $(i + 1)
		if (v != 2) bad++
	} END { exit !(n > 0 && !bad) }' && return 0
	smc_info linkgroup
	return 1
}

gid4() {		# gid4 HOST: the RoCE v2 GID of 10.198.1.HOST
	printf '0000:0000:0000:0000:0000:ffff:0ac6:01%02x' "$1"
}

# A SYMMETRIC SMC-R link group with two ACTIVE links, rxe0 between the
# eth0 addresses and rxe1 between the eth1 ones: each device talks to its
# peer over its own NIC. Polled for 30 s, as the second link comes after
# the first connection.
two_link_lgr() {
	local i g
	for i in $(seq 30); do
		for g in $(smc_info linkgroup |
			   awk '$1 == "lgr" && $3 == "role" && $6 == "SYMMETRIC" { print $2 }'); do
			smc_info links | awk -v g="$g" \
				-v g0="$(gid4 "$me")" -v p0="$(gid4 "$other")" \
				-v g1="$(gid4 $((me + 2)))" -v p1="$(gid4 $((other + 2)))" '
				$1 == "lgr" && $2 == g && $10 == "ACTIVE" {
					n++
					if ($6 == "rxe0" && $16 == g0 && $18 == p0) l0++
					if ($6 == "rxe1" && $16 == g1 && $18 == p1) l1++
				}
				END { exit !(n == 2 && l0 == 1 && l1 == 1) }' &&
				{ echo "## $side: link group $g: two links, rxe0 and rxe1"; return 0; }
		done
		sleep 1
	done
	smc_info linkgroup
	smc_info links
	return 1
}

echo "## $side ($self, peer $peer): $(uname -r)"
check setup load_smc || exit 0
if [ "$self" = stock ]; then
	case "$(cat /sys/module/smc/taint 2>/dev/null)" in
	*O*) res stock-own-smc FAIL ;;	# the series' out-of-tree smc.ko
	*) res stock-own-smc PASS ;;
	esac
fi
# eth0 is the NIC with MAC 52:54:00:98:01:0N, eth1 the one with
# 52:54:00:98:02:0N (harness/smcr.sh), whatever order they probed in:
# the names must match the wiring on both ends.
name_nics() {
	local d mac i=0
	for d in /sys/class/net/eth*; do
		ip link set "${d##*/}" name "nic$i" || return 1
		i=$((i + 1))
	done
	for d in /sys/class/net/nic*; do
		mac=$(cat "$d/address")
		case $mac in
		52:54:00:98:01:*) ip link set "${d##*/}" name eth0 ;;
		52:54:00:98:02:*) ip link set "${d##*/}" name eth1 ;;
		*) echo "## $side: unexpected NIC ${d##*/} $mac"; return 1 ;;
		esac || return 1
	done
	[ -e /sys/class/net/eth0 ] && [ -e /sys/class/net/eth1 ]
}
nics() { name_nics && nic_up eth0 1 && nic_up_eth1; }
check nics nics || exit 0
sleep 2		# IPv6 addresses and the links settle

# --- Two kernels, no RDMA device: what an unpatched peer and a second
# series kernel see of a proposal that lists loopback (CHID 0xFFFF). Within
# one kernel loopback is used; between the two it never is, although both
# resolve the same default SEID: the server's query_remote_gid() refuses a
# foreign GID and it declines (NOSMCD2DEV), a stock server ignores the
# loopback entry and has no SMC-Dv2 device for the proposal (NOISM2SUPP),
# a client without any device proposes nothing (NOSMCDEV). Every connection falls back with that code, data checked.
if [ "$self" = patched ]; then
	check loopback-load modprobe smc_loopback
	check loopback-local sh -c "smc_peer server -4 -a $(ip4 1 "$me") -p 6101 -w $W -b 4M -e loopback &
		smc_peer client -4 -a $(ip4 1 "$me") -p 6101 -w $W -b 4M -e loopback; c=\$?; wait \$!; s=\$?
		[ \$c -eq 0 ] && [ \$s -eq 0 ]"
fi
# decline code of a connection from CLIENT_KIND to SERVER_KIND
code() {
	if [ "$1" = stock ]; then
		echo 0x03030000		# a stock client has no SMC device
	elif [ "$2" = stock ]; then
		echo 0x03030003		# a stock server: no ISMv2 for the proposal
	else
		echo 0x03030007		# loopback cannot reach the other kernel
	fi
}
ka=$self kb=$peer
[ "$side" = b ] && ka=$peer kb=$self
pair lo-between-guests-v4 6102 1 4 a -b 16M -e tcp -F "$(code "$kb" "$ka")"
pair lo-between-guests-v6 6103 1 6 a -b 16M -e tcp -F "$(code "$kb" "$ka")"
pair lo-between-guests-reverse 6104 1 4 b -b 16M -e tcp -F "$(code "$ka" "$kb")"
if [ "$self" = patched ]; then
	check loopback-unload rmmod smc_loopback
fi
# neither end has any SMC device now: the client does not propose SMC
pair no-device-between-guests 6105 1 4 a -b 16M -e tcp -F 0x03030000
pair no-device-between-guests-reverse 6106 1 4 b -b 16M -e tcp -F 0x03030000

# --- SMC-R over soft-RoCE (smcr.rdma=0 leaves it out). The test kernels'
# rdma_rxe carries two fixes of its own (harness/test-patches): without
# them no SMC-R link comes up over 6.1's soft-RoCE, on any kernel.
if [ "$(arg rdma)" != 0 ]; then
	# --- One link: rxe0 on eth0, PNET-ID SMCRA on both; smc_loopback not loaded.
	# Soft-RoCE has RoCE v2 GIDs only: no SMC-Rv1 (RoCE v1), so SMC-Rv2, which
	# Linux 6.1 speaks over IPv4 only and with a user EID on both ends.
	check rxe0 rxe_add rxe0 eth0
	check pnet-eth0 smc_info pnet add SMCRA eth eth0
	check pnet-rxe0 smc_info pnet add SMCRA ib rxe0 1
	check ueid smc_info ueid add SMC-LO-SMCR-TEST
	pair one-link-v4 6001 1 4 a -b "$big" -e smcr
	# IPv6: no SMC-R device for it, the client does not propose SMC
	# (SMC_CLC_DECL_NOSMCDEV on both ends: its reason, the server's peer_diag)
	pair one-link-v6 6002 1 6 a -b 16M -e tcp -F 0x03030000
	pair one-link-reverse 6003 1 4 b -b "$big" -e smcr
	lk=$(links_of_lgrs)
	echo "## $side: links per SMC-R link group: $lk"
	ok=FAIL
	[ -n "$lk" ] && ok=PASS
	for n in $lk; do
		[ "$n" = 1 ] || ok=FAIL
	done
	res one-link-lgr $ok
	check one-link-smcr-v2 lgrs_v2

	# --- Two links: rxe1 on eth1 in the same PNET-ID and IPv4 subnet. The
	# link groups of one link go with rxe0 (rxe0 comes back, its PNET-ID
	# from the table); the next connection's link group starts with both
	# devices, and its server adds a second link over eth1/rxe1.
	if [ "$both_patched" -eq 1 ]; then
		check rxe-renew rxe_delete_all
		check rxe0-again rxe_add rxe0 eth0
		check rxe1 rxe_add rxe1 eth1
		check pnet-eth1 smc_info pnet add SMCRA eth eth1
		check pnet-rxe1 smc_info pnet add SMCRA ib rxe1 1
		sleep 1
		pair two-links 6011 1 4 a -b "$big" -e smcr
		check two-links-lgr two_link_lgr
		# a second connection between the same ends: SMC puts it in the
		# same link group, whose buffers are mapped on both links
		pair two-links-again 6013 1 4 a -b "$big" -e smcr
		pair two-links-reverse 6012 1 4 b -b "$big" -e smcr
	fi

	# --- SMC-D loopback beside SMC-R (series kernels): a connection within
	# one kernel takes loopback, one between the guests SMC-R, although both
	# have loopback with the same default SEID; without loopback again, the
	# connections between the guests keep SMC-R.
	if [ "$self" = patched ]; then
		check lo-beside-smcr-load modprobe smc_loopback
		check lo-beside-smcr-local sh -c "smc_peer server -4 -a $(ip4 1 "$me") -p 6021 -w $W -b 16M -e loopback &
			smc_peer client -4 -a $(ip4 1 "$me") -p 6021 -w $W -b 16M -e loopback; c=\$?; wait \$!; s=\$?
			[ \$c -eq 0 ] && [ \$s -eq 0 ]"
	fi
	pair lo-loaded-between-guests 6022 1 4 a -b 16M -e smcr
	pair lo-loaded-between-guests-reverse 6023 1 4 b -b 16M -e smcr
	if [ "$self" = patched ]; then
		check lo-beside-smcr-unload rmmod smc_loopback
	fi
	pair lo-unloaded-between-guests 6024 1 4 a -b 16M -e smcr

	# --- No RDMA device: on the server's side only, a's and then b's
	# (each kernel declines the other's SMC-R proposal), then on both. A
	# client without any device does not propose SMC at all.
	[ "$side" = a ] && check rxe-deleted rxe_delete_all
	# a has no device any more: b (client) proposes SMC-R, a declines
	# (SMC_CLC_DECL_NOSMCRDEV)
	pair no-rdma-server 6031 1 4 a -b 1M -e tcp -F 0x03030002
	# the other way round: a's rxe0 back (its PNET-ID from the table), b's
	# devices gone; b's server declines a's proposal
	if [ "$side" = a ]; then
		check rxe0-back rxe_add rxe0 eth0
	else
		check rxe-deleted rxe_delete_all
	fi
	pair no-rdma-server-reverse 6034 1 4 b -b 1M -e tcp -F 0x03030002
	[ "$side" = a ] && check rxe-deleted-again rxe_delete_all
	pair no-rdma-both 6032 1 4 a -b 1M -e tcp -F 0x03030000
	pair no-rdma-both-reverse 6033 1 4 b -b 1M -e tcp -F 0x03030000

fi

check_dmesg "smcr:$side:dmesg-clean"
