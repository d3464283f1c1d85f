#!/usr/bin/env bash
# Prepare the "stock" guest flavour: Debian 12's own kernel image with the
# series' out-of-tree smc.ko, smc_diag.ko and smc_loopback.ko, installed the
# way `make install-modules` installs them on a Debian host.
#
# - fetch the newest linux-image / linux-headers packages of the base's
#   upstream version (harness/stock.version, harness/archive.sh) with
#   apt-get download and unpack them in the
#   cache: the unpacked tree stands for the operator's /lib/modules and
#   /usr/src (nothing is installed on this host);
# - harness/modules.sh builds the modules against those headers and
#   installs them into the unpacked tree's updates/ (depmod, dependency
#   check against every stock module);
# - the guest tree in build/stock: the stock vmlinuz, the stock modules the
#   tests need (with their dependencies, as modprobe resolves them, plus the
#   stock smc.ko/smc_diag.ko that ours must override), and the uapi headers
#   harness/selftests.sh compiles the selftests against.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

resolve_stock
REL=$STOCK_REL
SD=$CACHE/stock/$REL-$STOCK_VERSION
ROOT=$SD/root
KDIR=$ROOT/usr/src/linux-headers-$REL
B=$(build_dir stock)
PKGS=("linux-image-$REL=$STOCK_VERSION"
      "linux-headers-$REL=$STOCK_VERSION"
      "linux-headers-$STOCK_ABI-common=$STOCK_VERSION"
      "linux-kbuild-6.1=$STOCK_KBUILD_VERSION")
# Stock modules the tests load or the kernel auto-loads (veth for netns,
# the inet/tcp sock_diag handlers), besides smc's own dependencies.
# rdma_rxe and virtio-net for the two-guest SMC-R test (harness/smcr.sh).
GUEST_MODS=(smc smc_diag smc_loopback veth inet_diag tcp_diag udp_diag
	    rdma_rxe crc32_generic virtio_net virtio_pci)

fetch() {
	[ -f "$SD/.extracted" ] && return 0
	local deb
	rm -rf "$SD"
	mkdir -p "$SD/debs"
	log "fetching Debian's $REL kernel: ${PKGS[*]}"
	archive_download "$SD/debs" "${PKGS[@]}" ||
		die "cannot download ${PKGS[*]} (see $SD/debs/apt.log); run 'apt-get update' as root and retry"
	for deb in "$SD"/debs/*.deb; do
		dpkg-deb -x "$deb" "$ROOT"
	done
	rm -rf "$SD/debs"
	# The flavour's Makefile includes the common headers by absolute path.
	sed -i "s|^include /usr/src/|include $ROOT/usr/src/|" "$KDIR/Makefile"
	[ -f "$ROOT/boot/vmlinuz-$REL" ] && [ -d "$ROOT/lib/modules/$REL/kernel" ] ||
		die "unexpected package contents in $ROOT"
	depmod -b "$ROOT" "$REL"
	touch "$SD/.extracted"
}

# The guest's module tree: GUEST_MODS with their dependencies as modprobe
# resolves them in the unpacked tree (ours from updates/), plus the stock
# smc.ko and smc_diag.ko, so that the override itself is under test.
guest_modroot() {
	local m p mr=$B/modroot
	rm -rf "$mr"
	mkdir -p "$mr/lib/modules/$REL"
	cp "$ROOT/lib/modules/$REL"/modules.{builtin,builtin.modinfo,order} "$mr/lib/modules/$REL/"
	{
		for m in "${GUEST_MODS[@]}"; do
			modprobe -d "$ROOT" -S "$REL" --show-depends "$m" |
				awk '$1 == "insmod" { print $2 }'
		done
		echo "$ROOT/lib/modules/$REL/kernel/net/smc/smc.ko"
		echo "$ROOT/lib/modules/$REL/kernel/net/smc/smc_diag.ko"
	} | sort -u | while read -r p; do
		m=${p#"$ROOT"}
		mkdir -p "$mr$(dirname "$m")"
		cp "$p" "$mr$m"
	done
	depmod -b "$mr" "$REL"
	grep -q "^updates/smc-loopback/smc.ko:" "$mr/lib/modules/$REL/modules.dep" ||
		die "depmod does not pick the series' smc.ko over the stock one in $mr"
}

# The stock guest's soft-RoCE driver, for the SMC-R test (harness/smcr.sh):
# the base's rdma_rxe (the stock kernel's upstream version) with the
# test-only patches of harness/test-patches (harness/tree.sh laid them
# over the build tree), built out of tree against the stock headers and
# installed in the unpacked tree's updates/test-rxe, where it overrides
# the stock rdma_rxe.ko. The SMC code under test is not touched: the stock
# job loads the stock smc.ko, the other stock jobs the series' one.
test_rxe() {
	local out=$CACHE/modules/$REL/rxe f
	mkdir -p "$out"
	for f in "$SRC"/drivers/infiniband/sw/rxe/*; do
		cmp -s "$f" "$out/${f##*/}" || cp "$f" "$out/"
	done
	log "building the test rdma_rxe.ko for $REL (log: $out/build.log)"
	quiet "$out/build.log" make -C "$KDIR" M="$out" CONFIG_RDMA_RXE=m -j"$JOBS" modules ||
		die "out-of-tree build of rdma_rxe failed (see $out/build.log)"
	install -D -m 644 "$out/rdma_rxe.ko" "$ROOT/lib/modules/$REL/updates/test-rxe/rdma_rxe.ko"
	depmod -b "$ROOT" "$REL"
	grep -q "^updates/test-rxe/rdma_rxe.ko:" "$ROOT/lib/modules/$REL/modules.dep" ||
		die "depmod does not pick the test rdma_rxe.ko over the stock one in $ROOT"
}

fetch
"$HARNESS/tree.sh"
mkdir -p "$B"
KDIR=$KDIR INSTALL_ROOT=$ROOT "$HARNESS/modules.sh" install
test_rxe
guest_modroot
cp "$ROOT/boot/vmlinuz-$REL" "$B/vmlinuz"
# uapi headers for harness/selftests.sh: the base's, which the stock kernel
# was built from (the series changes no uapi header).
quiet "$B/hdr.log" make -C "$SRC" O="$B/hdr-obj" ARCH=x86_64 \
	INSTALL_HDR_PATH="$B/hdr" headers_install
log "stock guest ready: linux-image-$REL $STOCK_VERSION (linux-kbuild-6.1 $STOCK_KBUILD_VERSION), $(find "$B/modroot" -name '*.ko' | wc -l) modules"
