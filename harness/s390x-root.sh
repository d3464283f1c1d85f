#!/usr/bin/env bash
# The s390x guest's userland: Debian's busybox-static and bash for s390x,
# downloaded with apt-get download (never installed) and unpacked in the
# cache, plus the s390x C library of libc6-s390x-cross. Prints the folder.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

R=$CACHE/s390x-root
pkgs=(busybox-static bash libtinfo6)
if [ -x "$R/bin/busybox" ] && [ -x "$R/bin/bash" ]; then
	echo "$R"
	exit 0
fi
[ -d /usr/s390x-linux-gnu/lib ] || die "no s390x C library: make deps (libc6-dev-s390x-cross)"
if ! dpkg --print-foreign-architectures | grep -qx s390x; then
	[ "$(id -u)" -eq 0 ] || die "s390x packages need 'dpkg --add-architecture s390x' (root)"
	log "dpkg --add-architecture s390x"
	dpkg --add-architecture s390x
	apt_lists_fresh force
fi
D=$CACHE/s390x-debs
rm -rf "$D" "$R.new"
mkdir -p "$D" "$R.new"
if ! (cd "$D" && quiet "$CACHE/apt-s390x.log" apt-get download "${pkgs[@]/%/:s390x}"); then
	apt_lists_fresh force
	(cd "$D" && quiet "$CACHE/apt-s390x.log" apt-get download "${pkgs[@]/%/:s390x}") ||
		die "apt-get download of s390x packages failed (see $CACHE/apt-s390x.log)"
fi
for deb in "$D"/*.deb; do
	dpkg-deb -x "$deb" "$R.new"
done
# the dynamic loader and C library where bash looks for them
mkdir -p "$R.new/lib/s390x-linux-gnu"
cp -a /usr/s390x-linux-gnu/lib/ld64.so.1 "$R.new/lib/"
for l in libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 libresolv.so.2; do
	[ -e "/usr/s390x-linux-gnu/lib/$l" ] && cp -L "/usr/s390x-linux-gnu/lib/$l" "$R.new/lib/s390x-linux-gnu/"
done
[ -x "$R.new/bin/busybox" ] || die "busybox-static:s390x has no /bin/busybox"
rm -rf "$R"
mv "$R.new" "$R"
echo "$R"
