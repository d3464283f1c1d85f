# shellcheck shell=bash
# Which Debian packages the harness uses: the base (linux-source-6.1) and
# the stock kernel, chosen from what the archive carries today. Source it
# after lib.sh.
#
# The pin is the upstream version (BASE_UPSTREAM in harness/base.version);
# any Debian revision of it will do, because harness/base.sha256 proves that
# the files the overlay replaces are the ones it was written against. Old
# revisions leave the archive without notice, so none is ever required.

# apt's package lists, fetched once a day (or when a look-up finds nothing).
apt_lists_fresh() {
	local stamp=$CACHE/apt-lists.stamp
	if [ "${1:-}" != force ] && [ -n "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || return 0	# apt-get update needs root
	log "apt-get update"
	quiet "$CACHE/apt.log" apt-get update || die "apt-get update failed (see $CACHE/apt.log)"
	touch "$stamp"
}

# All versions of PKG the archive has, newest first.
pkg_versions() {
	apt-cache madison "$1" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' |
		sort -u | sort -rV
}

# The newest version of PKG whose upstream part is UPSTREAM (6.1.192-3 for
# 6.1.192), or nothing.
pkg_newest_of() {
	local v
	for v in $(pkg_versions "$1"); do
		[ "${v%-*}" = "$2" ] && { echo "$v"; return 0; }
	done
	return 0
}

# Look up with fresh lists; retry once after an apt-get update.
archive_newest_of() {
	local v
	apt_lists_fresh
	v=$(pkg_newest_of "$1" "$2")
	if [ -z "$v" ]; then
		apt_lists_fresh force
		v=$(pkg_newest_of "$1" "$2")
	fi
	echo "$v"
}

# The newest upstream version of PKG in the archive (6.1.193 once Debian
# moves on).
archive_newest_upstream() {
	apt_lists_fresh
	pkg_versions "$1" | head -n1 | sed 's/-[^-]*$//'
}

# A cached, completely extracted base of upstream version $1, newest
# revision first: BASE_DIR/BASE_VERSION of an earlier run.
cached_base_of() {
	local d
	for d in $(ls -d "$CACHE"/base/"$1"-* 2>/dev/null | sort -rV); do
		[ -f "$d/.extracted" ] && { basename "$d"; return 0; }
	done
	return 0
}

# Decide which linux-source-6.1 revision is the base: the newest revision
# of BASE_UPSTREAM the archive has (extracted once into the cache), or,
# when the archive has none any more, one already extracted in the cache.
# Sets BASE_VERSION, BASE_DIR, BASE_SRC. Dies with one line naming the fix
# when neither exists.
resolve_base() {
	local newest
	[ -n "${BASE_VERSION:-}" ] && return 0
	if [ -n "${SMC_LO_BASE_VERSION:-}" ]; then
		BASE_VERSION=$SMC_LO_BASE_VERSION
	else
		BASE_VERSION=$(archive_newest_of "$BASE_PKG" "$BASE_UPSTREAM")
	fi
	if [ -z "$BASE_VERSION" ]; then
		BASE_VERSION=$(cached_base_of "$BASE_UPSTREAM")
		newest=$(archive_newest_upstream "$BASE_PKG")
		[ -n "$BASE_VERSION" ] ||
			die "the archive has no $BASE_PKG $BASE_UPSTREAM any more (newest: ${newest:-none}); run 'make rebase-base' to move the series onto it"
		log "warning: the archive has moved past $BASE_PKG $BASE_UPSTREAM (newest: ${newest:-none}); building on the cached $BASE_VERSION. Run 'make rebase-base'."
	fi
	BASE_DIR=$CACHE/base/$BASE_VERSION
	BASE_SRC=$BASE_DIR/linux-source-6.1
	export BASE_VERSION BASE_DIR BASE_SRC
}

# Download PKG=VERSION's .deb into DIR (apt-get download needs no root;
# a first failure refreshes the lists once).
archive_download() {
	local dir=$1; shift
	mkdir -p "$dir"
	(cd "$dir" && quiet "$dir/apt.log" apt-get download "$@") && return 0
	apt_lists_fresh force
	(cd "$dir" && quiet "$dir/apt.log" apt-get download "$@")
}

# Extract linux-source-6.1 at VERSION into $CACHE/base/VERSION: from the
# installed package when it is that version, else from its downloaded .deb
# (never installed, so no downgrade of what the host has).
extract_base_version() {
	local ver=$1 dir=$CACHE/base/$1 tarball=/usr/src/$BASE_PKG.tar.xz inst deb
	[ -f "$dir/.extracted" ] && return 0
	rm -rf "$dir"
	mkdir -p "$dir"
	inst=$(dpkg-query -W -f='${Status} ${Version}' "$BASE_PKG" 2>/dev/null || true)
	if [ "$inst" = "install ok installed $ver" ] && [ -f "$tarball" ]; then
		log "extracting the installed $BASE_PKG $ver (once)"
		tar -C "$dir" -xf "$tarball"
	else
		log "fetching $BASE_PKG $ver (apt-get download) and extracting it (once)"
		archive_download "$dir/deb" "$BASE_PKG=$ver" ||
			die "cannot download $BASE_PKG=$ver (see $dir/deb/apt.log)"
		deb=$(ls "$dir"/deb/*.deb)
		dpkg-deb --fsys-tarfile "$deb" |
			tar -xO "./usr/src/$BASE_PKG.tar.xz" | tar -C "$dir" -xJ
		rm -rf "$dir/deb"
	fi
	[ -f "$dir/linux-source-6.1/Makefile" ] || die "unexpected contents of $BASE_PKG $ver in $dir"
	touch "$dir/.extracted"
}

# The stock kernel: the newest linux-image-6.1.0-N-amd64 whose package
# version is of BASE_UPSTREAM, with its headers and a linux-kbuild-6.1 of
# the same upstream version. Sets STOCK_REL, STOCK_ABI, STOCK_VERSION,
# STOCK_KBUILD_VERSION. With nothing in the archive, a cached unpacked one.
resolve_stock() {
	local n best_n=-1 v best_v= d
	[ -n "${STOCK_REL:-}" ] && return 0
	apt_lists_fresh
	for n in $(apt-cache pkgnames "linux-image-6.1.0-" 2>/dev/null |
		   sed -n "s/^linux-image-6\.1\.0-\([0-9]*\)-$STOCK_FLAVOUR\$/\1/p"); do
		v=$(pkg_newest_of "linux-image-6.1.0-$n-$STOCK_FLAVOUR" "$BASE_UPSTREAM")
		[ -n "$v" ] || continue
		[ -n "$(pkg_newest_of "linux-headers-6.1.0-$n-$STOCK_FLAVOUR" "$BASE_UPSTREAM")" ] || continue
		if [ "$n" -gt "$best_n" ]; then
			best_n=$n best_v=$v
		fi
	done
	if [ "$best_n" -ge 0 ]; then
		STOCK_ABI=6.1.0-$best_n
		STOCK_VERSION=$best_v
		STOCK_KBUILD_VERSION=$(pkg_newest_of linux-kbuild-6.1 "$BASE_UPSTREAM")
		[ -n "$STOCK_KBUILD_VERSION" ] ||
			die "the archive has linux-image-$STOCK_ABI-$STOCK_FLAVOUR $best_v but no linux-kbuild-6.1 of $BASE_UPSTREAM"
	else
		# Nothing of this upstream version in the archive: a cached one?
		d=$(ls -d "$CACHE"/stock/6.1.0-*-"$STOCK_FLAVOUR"-"$BASE_UPSTREAM"-* 2>/dev/null |
			sort -rV | head -n1)
		[ -n "$d" ] && [ -f "$d/.extracted" ] ||
			die "the archive has no Debian 6.1 kernel ($STOCK_FLAVOUR) of Linux $BASE_UPSTREAM any more (it moved to $(archive_newest_upstream linux-kbuild-6.1)); run 'make rebase-base'"
		d=${d##*/}
		STOCK_VERSION=${d##*-"$STOCK_FLAVOUR"-}
		STOCK_ABI=${d%-"$STOCK_FLAVOUR"-*}
		STOCK_KBUILD_VERSION=cached
		log "warning: the archive has moved past Linux $BASE_UPSTREAM; using the cached stock kernel $STOCK_ABI-$STOCK_FLAVOUR $STOCK_VERSION. Run 'make rebase-base'."
	fi
	STOCK_REL=$STOCK_ABI-$STOCK_FLAVOUR
	export STOCK_REL STOCK_ABI STOCK_VERSION STOCK_KBUILD_VERSION
}
