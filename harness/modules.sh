#!/usr/bin/env bash
# `make modules` / `make install-modules`: the series' net/smc -- patched
# smc.ko, smc_diag.ko and the new smc_loopback.ko -- built out of tree
# against the headers of a stock Debian 12 kernel, and installed under
# /lib/modules/RELEASE/updates/smc-loopback, where they override the
# kernel's own smc.ko and smc_diag.ko.
#
# usage: modules.sh build|install
# env:   KDIR          kernel headers/build tree (default: the running
#                      kernel's, /lib/modules/$(uname -r)/build; Debian's
#                      linux-headers-$(uname -r) is installed when missing)
#        INSTALL_ROOT  install below this root instead of / (no live checks)
#        MOK_KEY, MOK_CERT  sign the modules with this key before installing
#        SMC_LO_ANY_61=1    build for a 6.1.y other than the base's (risky)
#
# Supported kernels: Linux 6.1 at the base's upstream version (6.1.192 for
# linux-source-6.1 6.1.192-N, harness/base.version), i.e. Debian 12's
# 6.1.0-N-* kernels built from the same source, with CONFIG_SMC=m,
# CONFIG_INFINIBAND=m or y and no CONFIG_ISM. The series' net/smc is the
# base's net/smc plus the series: on another 6.1.y it would replace that
# kernel's SMC code with the base's and drop or add stable fixes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=${1:-build}
BASE_KVER=$BASE_UPSTREAM
MODS=(smc smc_diag smc_loopback)
SUBDIR=updates/smc-loopback

# The kernel tree to build against: KDIR, or the running kernel's headers
# (installed with apt-get when missing, on Debian's 6.1 kernels only).
resolve_kdir() {
	local r
	if [ -n "${KDIR:-}" ]; then
		[ -f "$KDIR/Makefile" ] || die "KDIR=$KDIR is not a kernel build tree (no Makefile)"
		return
	fi
	r=$(uname -r)
	KDIR=/lib/modules/$r/build
	[ -f "$KDIR/Makefile" ] && return
	case "$r" in
	6.1.0-[0-9]*-*) ;;
	*) die "the running kernel is $r, not one of Debian 12's Linux 6.1 kernels (6.1.0-N-amd64),
and it has no headers at $KDIR.
These modules are for Debian 12's kernel at Linux $BASE_KVER. Build them for such a kernel
by passing its headers: apt-get install linux-headers-6.1.0-N-amd64, then
  make modules KDIR=/usr/src/linux-headers-6.1.0-N-amd64" ;;
	esac
	[ "$(id -u)" -eq 0 ] ||
		die "no headers for the running kernel at $KDIR: apt-get install linux-headers-$r (as root), or pass KDIR=..."
	log "installing linux-headers-$r (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	quiet "$CACHE/apt.log" apt-get update || die "apt-get update failed (see $CACHE/apt.log)"
	quiet "$CACHE/apt.log" apt-get install -y --no-install-recommends "linux-headers-$r" ||
		die "cannot install linux-headers-$r (see $CACHE/apt.log): is the running kernel still in the archive? Upgrade it (apt-get full-upgrade, reboot) or pass KDIR=..."
	[ -f "$KDIR/Makefile" ] || die "linux-headers-$r installed but $KDIR is missing"
}

# Refuse a kernel the series does not support; sets REL (its release).
check_kdir() {
	local vh=$KDIR/include/generated/uapi/linux/version.h
	local cfg=$KDIR/include/config/auto.conf maj pl sl v
	[ -f "$cfg" ] && [ -f "$vh" ] && [ -f "$KDIR/include/generated/utsrelease.h" ] ||
		die "$KDIR is not a prepared kernel tree (no include/config/auto.conf or generated headers): use the kernel's linux-headers package or run 'make modules_prepare' there"
	REL=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$KDIR/include/generated/utsrelease.h")
	maj=$(awk '$2 == "LINUX_VERSION_MAJOR" { print $3 }' "$vh")
	pl=$(awk '$2 == "LINUX_VERSION_PATCHLEVEL" { print $3 }' "$vh")
	sl=$(awk '$2 == "LINUX_VERSION_SUBLEVEL" { print $3 }' "$vh")
	v=$maj.$pl.$sl
	[ "$maj.$pl" = 6.1 ] ||
		die "kernel $REL in $KDIR is Linux $v: the series is for Linux 6.1 (Debian 12) only"
	if [ "$v" != "$BASE_KVER" ]; then
		if [ -n "${SMC_LO_ANY_61:-}" ]; then
			log "warning: kernel $REL is Linux $v, the series' net/smc is $BASE_KVER's (SMC_LO_ANY_61 set)"
		else
			die "kernel $REL in $KDIR is Linux $v, but the series' net/smc is Linux $BASE_KVER's
(harness/base.version: $BASE_PKG $BASE_UPSTREAM). Installing it would replace that kernel's
SMC code with $BASE_KVER's and drop or add stable fixes. Upgrade to Debian's $BASE_KVER kernel
(apt-get full-upgrade), or move the base to $v (make rebase-base); SMC_LO_ANY_61=1 builds anyway, at your risk."
		fi
	fi
	local bad=() val
	val=$(sed -n 's/^CONFIG_MODULES=//p' "$cfg")
	[ "$val" = y ] || bad+=("CONFIG_MODULES=y (have: ${val:-unset})")
	val=$(sed -n 's/^CONFIG_SMC=//p' "$cfg")
	[ "$val" = m ] || bad+=("CONFIG_SMC=m (have: ${val:-unset}; built in or absent, it cannot be replaced by a module)")
	val=$(sed -n 's/^CONFIG_INFINIBAND=//p' "$cfg")
	case "$val" in m|y) ;; *) bad+=("CONFIG_INFINIBAND=m or y (have: ${val:-unset}; smc.ko needs ib_core)") ;; esac
	val=$(sed -n 's/^CONFIG_ISM=//p' "$cfg")
	[ -z "$val" ] || bad+=("no CONFIG_ISM (have: $val; the stock ISM driver uses the old SMC-D device interface: build the whole series' kernel instead)")
	[ ${#bad[@]} -eq 0 ] || die "kernel $REL ($KDIR) cannot take the out-of-tree SMC modules; it needs:$(printf '\n  %s' "${bad[@]}")"
}

# Lay the series' net/smc and include/net/smc.h into the build dir; copy
# only what changed so that kbuild rebuilds incrementally.
sync_build_dir() {
	local f
	mkdir -p "$OUT/net/smc" "$OUT/include/net"
	for f in "$SRC"/net/smc/*; do
		cmp -s "$f" "$OUT/net/smc/${f##*/}" || cp "$f" "$OUT/net/smc/"
	done
	for f in "$OUT"/net/smc/*.[ch] "$OUT"/net/smc/Makefile "$OUT"/net/smc/Kconfig; do
		[ -e "$f" ] && [ ! -e "$SRC/net/smc/${f##*/}" ] && rm -f "$f"
	done
	cmp -s "$SRC/include/net/smc.h" "$OUT/include/net/smc.h" ||
		cp "$SRC/include/net/smc.h" "$OUT/include/net/smc.h"
	# kbuild reads Kbuild before Makefile. The series' headers must win over
	# the kernel's: c_flags is "$(NOSTDINC_FLAGS) $(LINUXINCLUDE) ...
	# $(ccflags-y)", so an -I in ccflags-y comes too late; NOSTDINC_FLAGS
	# comes first. The kernel's .config does not know SMC_LO: set it here
	# (no C code tests CONFIG_SMC_LO; CONFIG_SMC_KUNIT_TEST stays off).
	cat >"$OUT/net/smc/Kbuild.new" <<EOF
# Generated by harness/modules.sh: the series' net/smc out of tree.
NOSTDINC_FLAGS += -I$OUT/include
CONFIG_SMC_LO := m
include \$(src)/Makefile
EOF
	if cmp -s "$OUT/net/smc/Kbuild.new" "$OUT/net/smc/Kbuild"; then
		rm "$OUT/net/smc/Kbuild.new"
	else
		mv "$OUT/net/smc/Kbuild.new" "$OUT/net/smc/Kbuild"
	fi
}

build() {
	local m f bad
	# Only what the build needs (not the harness's QEMU/cross tool set).
	"$HARNESS/deps.sh" modules
	"$HARNESS/tree.sh"
	OUT=$CACHE/modules/$REL
	sync_build_dir
	log "building ${MODS[*]} for $REL against $KDIR (log: $OUT/build.log)"
	quiet "$OUT/build.log" make -C "$KDIR" M="$OUT/net/smc" -j"$JOBS" modules ||
		die "out-of-tree build failed (see $OUT/build.log)"
	for m in "${MODS[@]}"; do
		[ -f "$OUT/net/smc/$m.ko" ] || die "$m.ko not built (see $OUT/build.log)"
	done
	# Every object must have used the series' include/net/smc.h.
	bad=$(cat "$OUT"/net/smc/.*.o.cmd | grep -o '[^ ]*/include/net/smc\.h' |
		grep -vFx "$OUT/include/net/smc.h" | sort -u || true)
	[ -z "$bad" ] || die "the build used the kernel's include/net/smc.h instead of the series' one: $bad"
	abi_report
	for m in "${MODS[@]}"; do
		f=$OUT/net/smc/$m.ko
		log "built $f ($(modinfo -F vermagic "$f" | cut -d' ' -f1))"
	done
	build_tools
}

# The user-space side for this host (smc-tools is not packaged for Debian
# 12): smc_run (LD_PRELOAD wrapper), smc_info (smcd info|device|linkgroup|
# stats) and smc_peer (a pattern-checked pair that prints its mode).
build_tools() {
	local t=$OUT/tools
	mkdir -p "$t"
	gcc -Wall -O2 -shared -fPIC -o "$t/smc_run.so" "$HARNESS/tools/smc_run.c" -ldl
	install -m 755 "$HARNESS/tools/smc_run" "$t/smc_run"
	quiet "$OUT/tools.log" make -C "$SRC/tools/testing/selftests/net/smc" \
		OUTPUT="$t" KHDR_INCLUDES= "$t/smc_info" "$t/smc_peer" ||
		die "building smc_info/smc_peer failed (see $OUT/tools.log)"
	log "tools for this host: $t/{smc_run,smc_info,smc_peer}"
}

# Which of smc.ko's exports changed their ABI (modversions CRC) against the
# stock smc.ko: a stock module using one of them would no longer load.
abi_report() {
	local stock=$KDIR/Module.symvers ours=$OUT/net/smc/Module.symvers
	[ -f "$stock" ] || return 0
	awk -F'\t' -v ours="$OUT/net/smc/smc" '
		FNR == NR { if ($3 == "net/smc/smc") s[$2] = $1; next }
		$3 == ours { o[$2] = $1 }
		END {
			for (k in o) if (!(k in s)) add = add " " k
				     else if (s[k] != o[k]) chg = chg " " k
			for (k in s) if (!(k in o)) gone = gone " " k
			printf "smc.ko exports: changed ABI:%s; new:%s; dropped:%s\n",
				chg ? chg : " none", add ? add : " none", gone ? gone : " none"
		}' "$stock" "$ours" >"$OUT/abi.txt"
	log "$(cat "$OUT/abi.txt")"
}

# Modules of the target tree that depend on the stock smc.ko other than
# smc_diag (which we replace): they would meet a changed ABI.
check_dependents() {
	local dep=$1/modules.dep users
	[ -f "$dep" ] || return 0
	users=$(awk -F': ' -v sub_="$SUBDIR/" '
		index($1, sub_) == 1 { next }
		$1 ~ /\/smc_diag\.ko$/ { next }
		$2 ~ /(^| )[^ ]*\/smc\.ko( |$)/ { print $1 }' "$dep")
	[ -z "$users" ] || die "modules of $1 depend on the stock smc.ko, whose ABI the series changes:
$users
Installing the series' smc.ko would break them; not installing."
}

install_mods() {
	local root=${INSTALL_ROOT:-} moddir m f signer
	moddir=$root/lib/modules/$REL
	[ -d "$moddir" ] || die "no $moddir: is kernel $REL installed?"
	[ -w "$moddir" ] || die "cannot write $moddir: run 'make install-modules' as root"
	check_dependents "$moddir"
	mkdir -p "$moddir/$SUBDIR"
	for m in "${MODS[@]}"; do
		f=$OUT/net/smc/$m.ko
		if [ -n "${MOK_KEY:-}${MOK_CERT:-}" ]; then
			[ -f "${MOK_KEY:-}" ] && [ -f "${MOK_CERT:-}" ] ||
				die "MOK_KEY and MOK_CERT must both name files (the MOK private key and its DER certificate)"
			signer=$KDIR/scripts/sign-file
			[ -x "$signer" ] || die "no $signer to sign with"
			cp "$f" "$OUT/$m.signed.ko"
			"$signer" sha256 "$MOK_KEY" "$MOK_CERT" "$OUT/$m.signed.ko"
			f=$OUT/$m.signed.ko
		fi
		install -m 644 "$f" "$moddir/$SUBDIR/$m.ko"
	done
	if [ -n "$root" ]; then
		depmod -b "$root" "$REL"
	else
		depmod "$REL"
	fi
	log "installed ${MODS[*]} in $moddir/$SUBDIR${MOK_KEY:+ (signed with $MOK_CERT)}; depmod done"
	[ -n "$root" ] && return 0
	if [ -z "${MOK_KEY:-}" ] && grep -qE '\[(integrity|confidentiality)\]' /sys/kernel/security/lockdown 2>/dev/null; then
		log "warning: the kernel is locked down (Secure Boot): it refuses these unsigned modules."
		log "  Sign them with an enrolled MOK: make install-modules MOK_KEY=... MOK_CERT=... (README)"
	fi
	if [ -d /sys/module/smc ] && [ "$REL" = "$(uname -r)" ]; then
		log "the stock smc module is loaded: 'modprobe -r smc_diag smc' (closes SMC sockets) or reboot"
	fi
	cat >&2 <<EOF
Next: modprobe smc_loopback   (loads the series' smc.ko with it)
      $OUT/tools/smc_run PROGRAM   runs a TCP program over SMC;
      $OUT/tools/smc_info stats    counts its SMC-D connections
To go back to the stock modules:
  rm -r $moddir/$SUBDIR && depmod $REL
  modprobe -r smc_loopback smc_diag smc    # or reboot
EOF
}

resolve_kdir
check_kdir
OUT=$CACHE/modules/$REL
case "$mode" in
build) build ;;
install) build; install_mods ;;
*) die "usage: $0 build|install" ;;
esac
