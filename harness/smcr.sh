#!/usr/bin/env bash
# SMC-R between two guests over soft-RoCE: guest a (FLAVOUR_A, a series
# kernel) and guest b (FLAVOUR_B: a series kernel, or "stock", Debian's
# own kernel with its own smc.ko), each in its own QEMU, NIC to NIC through
# QEMU socket netdevs on 127.0.0.1 and nowhere else. Both run
# harness/jobs/smcr.sh; their RESULT lines are printed with the pair's
# label, "FLAVOUR_A+FLAVOUR_B:".
#
# usage: smcr.sh FLAVOUR_A FLAVOUR_B     (the flavours built beforehand)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

fa=$1 fb=$2
label=$fa+$fb
kind_a=patched kind_b=patched
[ "$fa" = stock ] && kind_a=stock
[ "$fb" = stock ] && kind_b=stock
W=$CACHE/smcr/$label
mkdir -p "$W"
tmo=${SMCR_TIMEOUT:-1800}

# Two free TCP ports on 127.0.0.1 for guest a's QEMU to listen on.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}
p0=$(free_port)
p1=$(free_port)
while [ "$p1" = "$p0" ]; do p1=$(free_port); done

nics() {		# nics listen|connect SIDE_NUMBER
	echo "-netdev socket,id=n0,$1=127.0.0.1:$p0" \
	     "-device virtio-net-pci,netdev=n0,mac=52:54:00:98:01:0$2" \
	     "-netdev socket,id=n1,$1=127.0.0.1:$p1" \
	     "-device virtio-net-pci,netdev=n1,mac=52:54:00:98:02:0$2"
}

# The debug kernel (KASAN, kmemleak, lockdep under TCG) runs ACPI's _PRT
# method, the PCI interrupt routing, past ACPICA's 30 s loop timeout for
# each NIC (AE_AML_LOOP_TIMEOUT, an RCU stall meanwhile): the NICs get no
# interrupt and the guests never reach each other. acpi=noirq routes PCI
# interrupts by the BIOS's table instead; ACPI stays on for the rest.
quirk() { [ "$1" = debug ] && echo acpi=noirq; true; }

log "SMC-R pair $label: guest a ($fa) listens on 127.0.0.1:$p0,$p1; guest b ($fb, $kind_b) connects"
rc_a=0 rc_b=0
export GUEST_TOOLS=rdma
GUEST_NAME=smcr-a GUEST_TIMEOUT=$tmo GUEST_QEMU_ARGS="$(nics listen 1)" \
	GUEST_APPEND="smcr.side=a smcr.self=$kind_a smcr.peer=$kind_b $(quirk "$fa") ${SMCR_APPEND:-}" \
	"$HARNESS/guest.sh" "$fa" "${SMCR_JOB:-$HARNESS/jobs/smcr.sh}" "$W/a.log" \
	> >(sed -u 's/^/  a /') 2>&1 &
pid_a=$!
# b's QEMU connects at start-up: wait until a's QEMU listens on both
for _ in $(seq 600); do
	ss -Hltn "sport = :$p1" | grep -q . && break
	kill -0 "$pid_a" 2>/dev/null || break
	sleep 0.1
done
set +e
GUEST_NAME=smcr-b GUEST_TIMEOUT=$tmo GUEST_QEMU_ARGS="$(nics connect 2)" \
	GUEST_APPEND="smcr.side=b smcr.self=$kind_b smcr.peer=$kind_a $(quirk "$fb") ${SMCR_APPEND:-}" \
	"$HARNESS/guest.sh" "$fb" "${SMCR_JOB:-$HARNESS/jobs/smcr.sh}" "$W/b.log" \
	2>&1 | sed -u 's/^/  b /'
rc_b=${PIPESTATUS[0]}
wait "$pid_a"
rc_a=$?
set -e

for s in a b; do
	sed -n 's/^RESULT \([^ ]*\) \(PASS\|FAIL\|SKIP\)$/RESULT \1 \2/p' "$W/$s.log" |
		sed "s/^RESULT console/RESULT $s:console/; s/^RESULT /RESULT $label:/"
done
[ "$rc_a" -eq 0 ] || echo "RESULT $label:guest-a FAIL"
[ "$rc_b" -eq 0 ] || echo "RESULT $label:guest-b FAIL"
[ "$rc_a" -eq 0 ] && [ "$rc_b" -eq 0 ]
