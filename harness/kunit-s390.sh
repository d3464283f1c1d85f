#!/usr/bin/env bash
# The series' KUnit suites on s390x (kunit.py --arch=s390, big-endian,
# qemu-system-s390x under TCG): all of net/smc/.kunitconfig, the loopback
# device's own suite included, which the s390x guest flavour cannot run
# (there smc_loopback is a module, and the suite needs the device built
# in). Part of make check-s390.
KUNIT_ARCH=s390 exec "$(dirname "$0")/kunit.sh" "$@"
