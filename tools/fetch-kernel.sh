#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-kernel.sh - fetch a stock Debian kernel and its build headers
# and lay them out for out-of-tree module builds and QEMU boots.
#
# Usage: tools/fetch-kernel.sh [--refresh] SERIES OUTDIR
#
#   SERIES  6.1   the bookworm kernel (the ABI linux-image-amd64 depends on)
#           6.12  the newest linux-image-6.12.*+deb12-amd64 (bookworm-security)
#
# Result (all paths below OUTDIR):
#   vmlinuz   symlink to the kernel image
#   release   the kernel release string (uname -r), e.g. 6.1.0-56-amd64
#   versions  the exact Debian packages and versions used
#   modules/  the unpacked image package; modules/lib/modules/RELEASE is
#             depmod'ed
#   kdir      symlink to the unpacked headers tree, usable as
#             make -C OUTDIR/kdir M=/abs/path/to/module modules
#   debs/     the downloaded .deb files
#   .done     stamp: while it and the files above are present, a rerun
#             exits at once without calling apt
#
# --refresh resolves the package versions again; nothing is downloaded
# or unpacked when they have not changed. When apt finds no candidate
# (package lists missing or stale), "apt-get update" is run once (as
# root) and the lookup is retried.
set -eu

prog=${0##*/}

die() {
	echo "$prog: error: $*" >&2
	exit 1
}

usage() {
	echo "usage: $prog [--refresh] SERIES OUTDIR   (SERIES: 6.1 or 6.12)" >&2
	exit 2
}

refresh=no
args=()
for arg in "$@"; do
	case $arg in
	--refresh) refresh=yes ;;
	-h|--help) usage ;;
	-*) echo "$prog: unknown option: $arg" >&2; usage ;;
	*) args+=("$arg") ;;
	esac
done
[ "${#args[@]}" -eq 2 ] || usage
series=${args[0]}
out=${args[1]}
case $series in
6.1|6.12) ;;
*) die "unsupported SERIES '$series' (expected 6.1 or 6.12)" ;;
esac

stamp=$out/.done

# The layout is complete when the stamp and everything it promises exist.
layout_ok() {
	local rel
	[ -f "$stamp" ] && [ -f "$out/release" ] || return 1
	read -r rel <"$out/release" || return 1
	[ -n "$rel" ] &&
		[ -f "$out/vmlinuz" ] &&
		[ -f "$out/kdir/Makefile" ] &&
		[ -d "$out/kdir/scripts/" ] &&
		[ -f "$out/modules/lib/modules/$rel/modules.dep" ]
}

if [ "$refresh" = no ] && layout_ok; then
	exit 0
fi

for tool in apt-cache apt-get dpkg-deb depmod; do
	command -v "$tool" >/dev/null 2>&1 || {
		case $tool in
		depmod) die "depmod not found: install kmod (tools/deps.sh --install)" ;;
		*) die "$tool not found: this script needs a Debian system with apt" ;;
		esac
	}
done

# --- apt helpers -------------------------------------------------------

# apt_retry: wait for another apt or dpkg run to release its lock.
. "$(dirname "$0")/apt-retry.sh"

# Candidate version of package $1, or nothing.
candidate() {
	apt-cache policy "$1" 2>/dev/null |
		awk '/^  Candidate:/ && $2 != "(none)" { print $2; exit }'
}

# Does package $1 exist in version $2?
have_version() {
	apt-cache show "$1=$2" >/dev/null 2>&1
}

# Depends: line of package $1 at version $2, one relation per line,
# without version constraints.
depends_of() {
	apt-cache show "$1=$2" 2>/dev/null |
		awk '/^Depends:/ { sub(/^Depends: */, ""); print; exit }' |
		tr ',|' '\n' | sed -e 's/(.*)//' -e 's/[[:space:]]//g' -e '/^$/d'
}

# Print the newest image package name for the series, or nothing.
resolve_image() {
	local pkg
	if [ "$series" = 6.1 ]; then
		# The metapackage's candidate depends on the current 6.1 ABI.
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: *//p' |
			grep -E '^linux-image-6\.1\.0-[0-9]+-amd64$' | head -n 1) || true
		if [ -n "$pkg" ] && [ -n "$(candidate "$pkg")" ]; then
			echo "$pkg"
			return 0
		fi
		re='^linux-image-6\.1\.0-[0-9]+-amd64$'
	else
		re='^linux-image-6\.12\.[0-9]+\+deb12-amd64$'
	fi
	for pkg in $(apt-cache pkgnames "linux-image-$series" 2>/dev/null |
		grep -E "$re" | sort -rV); do
		if [ -n "$(candidate "$pkg")" ]; then
			echo "$pkg"
			return 0
		fi
	done
	return 0
}

# Fill the globals img_pkg/img_ver, hdr_pkg/hdr_ver, common_pkg/
# common_ver, kbuild_pkg/kbuild_ver and release. Returns 1 (with a
# reason in $why) when apt does not know the packages.
resolve() {
	local dep
	img_pkg=$(resolve_image)
	if [ -z "$img_pkg" ]; then
		why="no linux-image package for the $series series has an install candidate"
		return 1
	fi
	img_ver=$(candidate "$img_pkg")
	release=${img_pkg#linux-image-}
	hdr_pkg=linux-headers-$release
	hdr_ver=$(candidate "$hdr_pkg")
	if [ -z "$hdr_ver" ]; then
		why="$hdr_pkg has no install candidate"
		return 1
	fi
	common_pkg=''
	kbuild_pkg=''
	for dep in $(depends_of "$hdr_pkg" "$hdr_ver"); do
		case $dep in
		linux-headers-*-common) common_pkg=$dep ;;
		linux-kbuild-*) kbuild_pkg=$dep ;;
		esac
	done
	if [ -z "$common_pkg" ] || [ -z "$kbuild_pkg" ]; then
		why="cannot find the -common and linux-kbuild dependencies of $hdr_pkg $hdr_ver"
		return 1
	fi
	# The headers, -common and kbuild packages come from one source
	# package: take the same version where it exists.
	common_ver=$hdr_ver
	have_version "$common_pkg" "$common_ver" || common_ver=$(candidate "$common_pkg")
	kbuild_ver=$hdr_ver
	have_version "$kbuild_pkg" "$kbuild_ver" || kbuild_ver=$(candidate "$kbuild_pkg")
	if [ -z "$common_ver" ] || [ -z "$kbuild_ver" ]; then
		why="no install candidate for $common_pkg or $kbuild_pkg"
		return 1
	fi
	return 0
}

updated=no
apt_update() {
	[ "$updated" = no ] || return 1
	if [ "$(id -u)" -ne 0 ]; then
		echo "$prog: the apt package lists look missing or stale, and only root" \
			"can run 'apt-get update'" >&2
		return 1
	fi
	echo "$prog: running apt-get update" >&2
	updated=yes
	apt_retry apt-get -q update >&2 || die "apt-get update failed"
}

why=
if ! resolve; then
	echo "$prog: $why" >&2
	apt_update || die "cannot resolve the $series kernel packages: $why"
	resolve || die "cannot resolve the $series kernel packages: $why"
fi

versions="$img_pkg=$img_ver
$hdr_pkg=$hdr_ver
$common_pkg=$common_ver
$kbuild_pkg=$kbuild_ver"

if [ "$refresh" = yes ] && layout_ok &&
	[ "$(cat "$out/versions" 2>/dev/null)" = "$versions" ]; then
	echo "$prog: $series: $release is up to date" >&2
	exit 0
fi

echo "$prog: $series: ${versions//$'\n'/ }" >&2

# --- download ----------------------------------------------------------

mkdir -p "$out/debs"
out=$(cd "$out" && pwd)
stamp=$out/.done
rm -f "$stamp"

# File name of the downloaded .deb for package $1 version $2, or nothing.
deb_of() {
	local f
	for f in "$out/debs/$1"_*.deb; do
		[ -f "$f" ] || continue
		if [ "$(dpkg-deb -f "$f" Package Version | tr '\n' ' ')" = "Package: $1 Version: $2 " ]; then
			echo "$f"
			return 0
		fi
	done
	return 0
}

fetch() {
	local want=() pv
	for pv in $versions; do
		[ -n "$(deb_of "${pv%%=*}" "${pv#*=}")" ] || want+=("$pv")
	done
	[ "${#want[@]}" -gt 0 ] || return 0
	# The _apt sandbox user cannot write into a root-owned build tree;
	# download as the calling user instead.
	(cd "$out/debs" && apt_retry apt-get -q -o APT::Sandbox::User="$(id -un)" \
		download "${want[@]}" >&2)
}

if ! fetch; then
	# A 404 here means that the lists name a version the mirror has
	# already replaced.
	apt_update || die "downloading the $series kernel packages failed"
	resolve || die "cannot resolve the $series kernel packages: $why"
	versions="$img_pkg=$img_ver
$hdr_pkg=$hdr_ver
$common_pkg=$common_ver
$kbuild_pkg=$kbuild_ver"
	fetch || die "downloading the $series kernel packages failed"
fi

# Drop the .deb files of other versions.
for f in "$out"/debs/*.deb; do
	[ -f "$f" ] || continue
	keep=no
	for pv in $versions; do
		[ "$f" = "$(deb_of "${pv%%=*}" "${pv#*=}")" ] && keep=yes
	done
	[ "$keep" = yes ] || rm -f "$f"
done

# --- unpack ------------------------------------------------------------

rm -rf "$out/modules.new" "$out/headers.new"
mkdir "$out/modules.new" "$out/headers.new"
dpkg-deb -x "$(deb_of "$img_pkg" "$img_ver")" "$out/modules.new"
for pv in "$hdr_pkg=$hdr_ver" "$common_pkg=$common_ver" "$kbuild_pkg=$kbuild_ver"; do
	dpkg-deb -x "$(deb_of "${pv%%=*}" "${pv#*=}")" "$out/headers.new"
done

[ -f "$out/modules.new/boot/vmlinuz-$release" ] ||
	die "$img_pkg has no boot/vmlinuz-$release"
[ -d "$out/modules.new/lib/modules/$release" ] ||
	die "$img_pkg has no lib/modules/$release"

hdir=$out/headers.new/usr/src/linux-headers-$release
cdir=$out/headers.new/usr/src/${common_pkg}
[ -f "$hdir/Makefile" ] || die "$hdr_pkg has no usr/src/linux-headers-$release/Makefile"
[ -f "$cdir/Makefile" ] || die "$common_pkg has no usr/src/$common_pkg/Makefile"

# The arch headers' Makefile includes the -common tree by absolute path
# (/usr/src/...). Point it at the unpacked sibling directory instead,
# relative to the Makefile itself, so the tree can be moved.
# shellcheck disable=SC2016 # $(...) is make syntax, written literally
sed -i -e '0,/^include \/usr\/src\/[^/]*\/Makefile$/s||include $(realpath $(dir $(lastword $(MAKEFILE_LIST))))/../'"$common_pkg"'/Makefile|' \
	"$hdir/Makefile"
grep -q "^include .*/\.\./$common_pkg/Makefile\$" "$hdir/Makefile" ||
	die "unexpected Makefile in $hdr_pkg: $(head -n 1 "$hdir/Makefile")"

# scripts/ and tools/ point into /usr/lib/linux-kbuild-X. Debian ships
# these links relative (../../lib/...), which already resolves inside
# the unpacked tree; an absolute link is rewritten to a relative one.
for link in "$hdir/scripts" "$hdir/tools" "$cdir/scripts" "$cdir/tools"; do
	[ -L "$link" ] || continue
	target=$(readlink "$link")
	case $target in
	/*) ln -sfn "../../..$target" "$link" ;;
	esac
	[ -d "$link/" ] || die "$link points to $(readlink "$link"), which is not in $kbuild_pkg"
done

# The headers package adds lib/modules/RELEASE/{build,source}, which
# point to /usr/src. Move them next to the modules, pointing to the
# unpacked headers.
mdir=$out/modules.new/lib/modules/$release
for link in build source; do
	[ -L "$out/headers.new/lib/modules/$release/$link" ] || continue
	target=$(readlink "$out/headers.new/lib/modules/$release/$link")
	case $target in
	/usr/src/*) ln -sfn "../../../../headers$target" "$mdir/$link" ;;
	esac
done
rm -rf "$out/headers.new/lib"

depmod -b "$out/modules.new" "$release" ||
	die "depmod -b $out/modules.new $release failed"

# --- publish -----------------------------------------------------------

rm -rf "$out/modules" "$out/headers"
mv "$out/modules.new" "$out/modules"
mv "$out/headers.new" "$out/headers"
ln -sfn "headers/usr/src/linux-headers-$release" "$out/kdir"
ln -sfn "modules/boot/vmlinuz-$release" "$out/vmlinuz"
echo "$release" >"$out/release"
echo "$versions" >"$out/versions"
echo "$versions" >"$stamp"

layout_ok || die "internal error: the layout in $out is incomplete"
echo "$prog: $series: $release ready in $out" >&2
