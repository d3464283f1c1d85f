#!/usr/bin/env bash
# Boot a built kernel flavour in QEMU (TCG, 2 vCPUs) with a busybox
# initramfs holding its modules, the selftests and the given job script;
# print the job's progress lines ("## ..."), keep the full console log,
# and return the job's exit status. A guest that does not finish in time
# is killed and counted as a failure.
#
# usage: guest.sh FLAVOUR JOB_SCRIPT [LOG]
# env:   GUEST_TIMEOUT, GUEST_MEM; GUEST_NAME (a second guest of the same
#        flavour at once: its own initramfs), GUEST_QEMU_ARGS (extra QEMU
#        options, e.g. the NICs of a two-guest test)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=$1 job=$2
B=$(build_dir "$flavour")
logf=${3:-$B/guest.log}
timeout_s=${GUEST_TIMEOUT:-900}
mem=${GUEST_MEM:-4G}
# The flavour's own build, or a distribution kernel image (stock flavour).
kimg=$B/arch/x86/boot/bzImage
[ -f "$B/vmlinuz" ] && kimg=$B/vmlinuz
[ "$flavour" = s390x ] && kimg=$B/arch/s390/boot/bzImage
[ -f "$kimg" ] || die "no $flavour kernel built: run 'make build' (stock: harness/stock.sh)"
krel=$(ls "$B/modroot/lib/modules")

stage=$B/initramfs${GUEST_NAME:+-$GUEST_NAME}
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,etc,lib,lib64,usr/bin,usr/sbin,selftests}
if [ "$flavour" = s390x ]; then
	# Debian's s390x busybox and bash (harness/s390x-root.sh); the x86
	# tools below do not run there
	cp -a "$("$HARNESS/s390x-root.sh")/." "$stage/"
else
	cp /bin/busybox "$stage/bin/busybox"
fi
mknod -m 600 "$stage/dev/console" c 5 1
mknod -m 666 "$stage/dev/null" c 1 3
cp -a "$B/modroot/lib/modules" "$stage/lib/"
[ -d "$B/selftests" ] && cp -a "$B/selftests/." "$stage/selftests/"
install -m 755 "$HARNESS/guest-init" "$stage/init"
install -m 755 "$job" "$stage/job.sh"
mkdir -p "$stage/jobs"
install -m 755 "$HARNESS"/jobs/*.sh "$stage/jobs/"
install -m 644 "$HARNESS/guest-lib.sh" "$stage/guest-lib.sh"

# Debian tools the tests use, with their shared libraries.
# They keep their host path: busybox's shell prefers its own applets over
# anything on PATH, so job scripts run under bash.
host_tools="bash ip ${GUEST_TOOLS:-}"
[ "$flavour" = s390x ] && host_tools=
for tool in $host_tools; do
	path=$(command -v "$tool") || die "$tool not installed (make deps)"
	mkdir -p "$stage$(dirname "$path")"
	cp -L "$path" "$stage$path"
	[ -e "$stage/bin/$tool" ] || ln -s "$path" "$stage/bin/$tool"
	ldd "$path" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' |
	while read -r lib; do
		mkdir -p "$stage$(dirname "$lib")"
		cp -Ln "$lib" "$stage$lib"
	done
done

(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$stage.cpio.gz"

# shellcheck disable=SC2206 # GUEST_QEMU_ARGS: options split on blanks
qemu=(qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m "$mem"
	-kernel "$kimg" -initrd "$stage.cpio.gz" ${GUEST_QEMU_ARGS:-}
	-append "console=ttyS0 panic=-1 ignore_loglevel ${GUEST_APPEND:-}"
	-display none -no-reboot)
console=(-serial stdio)
if [ "$flavour" = s390x ]; then
	# the console is a virtio console on the CCW bus, its chardev stdio
	qemu=(qemu-system-s390x -accel tcg -machine s390-ccw-virtio -cpu qemu
		-smp 2 -m "$mem" -nodefaults -kernel "$kimg"
		-initrd "$stage.cpio.gz" ${GUEST_QEMU_ARGS:-}
		-device virtio-serial-ccw -device virtconsole,chardev=con
		-append "console=hvc0 panic=-1 ignore_loglevel ${GUEST_APPEND:-}"
		-display none -no-reboot)
	console=(-chardev stdio,id=con)
fi
if [ -n "${GUEST_INTERACTIVE:-}" ]; then
	log "booting $flavour guest interactively (Ctrl-a x quits)"
	exec "${qemu[@]}" -serial mon:stdio
fi

# Progress lines only; everything but kernel messages with GUEST_SHOW_ALL.
show=(-E '^(##|ok |not ok )')
[ -n "${GUEST_SHOW_ALL:-}" ] && show=(-v -E '^\[ *[0-9]+\.[0-9]+\] |^@@GUEST')
log "booting $flavour guest ($krel, TCG, 2 vCPUs, $mem; log: $logf)"
set +e
timeout --foreground -k 10 "$timeout_s" \
	"${qemu[@]}" "${console[@]}" -monitor none </dev/null 2>&1 |
	sed -u 's/\r$//' | tee "$logf" | grep --line-buffered "${show[@]}" | sed -u 's/^/  guest: /'
qrc=${PIPESTATUS[0]}
set -e
# Every kernel report on the console fails the guest's run, whenever it
# came; the callers count the RESULT lines of the log.
awk -f "$HARNESS/console-scan.awk" "$logf" >"$logf.scan"
cat "$logf.scan" >>"$logf"
rc=$(sed -n 's/^@@GUEST-EXIT@@ \([0-9]*\)$/\1/p' "$logf" | tail -n 1)
if [ -z "$rc" ]; then
	[ "$qrc" -eq 124 ] && echo "guest timed out after ${timeout_s}s" >&2
	echo "guest did not finish its job (qemu exit $qrc); last console lines:" >&2
	tail -n 60 "$logf" >&2
	exit 125
fi
exit "$rc"
