# SMC-D loopback for Linux 6.1: project harness.
# The kernel series itself lives at its kernel paths (net/, include/, ...).

H := harness

.PHONY: help deps build build-debug run bench check check-debug check-stock check-fresh \
	check-s390 kunit lint series selftests shell diff record-base rebase-base modules install-modules \
	profile clean

help:
	@echo "SMC-D loopback for Linux 6.1 -- targets:"
	@echo "  make run          build, boot the patched kernel in QEMU, show SMC-D loopback at work"
	@echo "  make check        lint + builds + KUnit + selftests in the guest; ends 'N passed, N failed'"
	@echo "  make check-debug  the selftests on the debug kernel (KASAN, lockdep, kmemleak)"
	@echo "  make check-stock  the selftests on Debian's stock 6.1 kernel with the out-of-tree modules"
	@echo "  make check-s390   the s390x kernel (big-endian) in qemu-system-s390x: KUnit (kunit.py"
	@echo "                   --arch=s390, all suites, and in the guest flavour), the machine"
	@echo "                   SEID against /proc, loopback, no-copy, netlink, hostile and fallback suites"
	@echo "  make check-fresh  the README's commands in a debootstrapped Debian 12 minbase root (root;"
	@echo "                   downloads and builds from nothing, about 55 minutes; not part of check)"
	@echo "  make modules [KDIR=...]  smc.ko, smc_diag.ko, smc_loopback.ko for a stock Debian 12 kernel"
	@echo "                   (default: the running kernel's headers; KDIR: another kernel's headers)"
	@echo "  make install-modules [KDIR=...]  install them in /lib/modules/RELEASE/updates (root), depmod"
	@echo "  make bench        TCP vs SMC-D loopback benchmark table (one guest run)"
	@echo "  make profile      where bench's kernel time goes (ftrace function profiler)"
	@echo "  make profile PROFILE=apps   perf samples of nginx+wrk and iperf3, TCP vs SMC-D"
	@echo "  make shell        interactive guest with the SMC modules loaded"
	@echo "  make diff         the series as one unified diff against the base"
	@echo "  make series [SERIES_OUT=DIR]  the series as patches (git format-patch, cover letter),"
	@echo "                   cut as harness/series.txt says; checks git am, each patch's build"
	@echo "                   and checkpatch (part of check; default DIR: the cache's series/out)"
	@echo "  make build        build the x86_64 kernel (build-debug: the debug one)"
	@echo "  make kunit | lint   single stages of 'check': their results, a summary, exit 1 on a failure"
	@echo "  make selftests    the x86_64 kernel's selftests in the guest, as 'check' runs them"
	@echo "  make record-base  re-record the checksums of the base files the overlay replaces"
	@echo "  make rebase-base [TO=VERSION]  three-way merge the overlay onto another linux-source-6.1"
	@echo "                   (default: the newest in the archive), re-record checksums and the pin"
	@echo "  make deps         install the Debian packages needed (root)"
	@echo "  make clean        drop build outputs (the extracted base stays cached)"
	@echo "Cache: \$$SMC_LO_CACHE (default ~/.cache/smc-lo)."

deps:
	@$(H)/deps.sh

build: deps
	@$(H)/build.sh x86_64

build-debug: deps
	@$(H)/build.sh debug

run: deps
	@$(H)/run.sh

bench: deps
	@$(H)/bench.sh

profile: deps
	@$(H)/profile.sh

check:
	@$(H)/check.sh

check-debug:
	@CHECK_FLAVOURS=debug $(H)/check.sh

check-stock:
	@CHECK_STEPS= CHECK_FLAVOURS=stock $(H)/check.sh

check-s390:
	@$(H)/deps.sh s390x
	@CHECK_STEPS=kunit-s390 CHECK_FLAVOURS=s390x $(H)/check.sh

check-fresh:
	@$(H)/check-fresh.sh

modules:
	@KDIR="$(KDIR)" $(H)/modules.sh build

install-modules:
	@KDIR="$(KDIR)" $(H)/modules.sh install

kunit: deps
	@$(H)/step.sh kunit

lint: deps
	@$(H)/step.sh lint

series: deps
	@$(H)/step.sh series

selftests:
	@CHECK_STEPS= CHECK_FLAVOURS=x86_64 CHECK_SMCR= $(H)/check.sh

shell: build
	@$(H)/selftests.sh x86_64
	@GUEST_INTERACTIVE=1 $(H)/guest.sh x86_64 $(H)/jobs/shell.sh

diff:
	@$(H)/diff.sh

record-base:
	@$(H)/tree.sh record

rebase-base:
	@TO="$(TO)" KEEP_CONFLICTS="$(KEEP_CONFLICTS)" $(H)/rebase.sh

clean:
	rm -rf "$${SMC_LO_CACHE:-$$HOME/.cache/smc-lo}/build" \
	       "$${SMC_LO_CACHE:-$$HOME/.cache/smc-lo}/src" \
	       "$${SMC_LO_CACHE:-$$HOME/.cache/smc-lo}/lint" \
	       "$${SMC_LO_CACHE:-$$HOME/.cache/smc-lo}/modules"
