#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-debug-kernel.sh - build a small debug kernel (KASAN, lockdep,
# kmemleak, fault injection, UBSAN) from Debian's linux-source-6.12 and
# lay it out like the stock kernels of tools/fetch-kernel.sh.
#
# Usage: tools/build-debug-kernel.sh OUTDIR
#
# Inputs:
#   /usr/src/linux-source-6.12.tar.xz   package linux-source-6.12
#                                       (KSRC_TARBALL overrides the path)
#   tools/debug-kernel.config           the Kconfig fragment
#                                       (DEBUG_KCONFIG overrides the path)
#   JOBS                                parallel jobs (default: nproc)
#
# Result (all paths below OUTDIR):
#   vmlinuz   symlink to the bzImage
#   release   the kernel release string (uname -r)
#   kdir      symlink to the build directory, usable as
#             make -C OUTDIR/kdir M=/abs/path/to/module modules
#   modules/  modules_install root: modules/lib/modules/RELEASE is
#             depmod'ed (nearly empty: what the fragment asks for is
#             built in)
#   config    symlink to the resolved .config
#   build.log output of the last configuration and build
#   src/      the pristine source tree; src.id names the tarball it
#             came from (SHA-256).  Nothing is ever built inside it.
#   obj/      the build directory (make O=obj)
#   tarball.id  the tarball's identity (device:inode, mtime, size) and
#             its SHA-256, a cache that spares hashing it on every run
#   .done     stamp: the SHA-256 of the fragment and of the tarball.
#             While both match and the files above are present, a rerun
#             exits at once (in a few milliseconds) and leaves the
#             stamp's mtime alone.
#
# The configuration is "make allnoconfig" with the fragment as
# KCONFIG_ALLCONFIG: everything not asked for is off.  Every option of
# the fragment is then looked up in .config, and the build stops with the
# list of the options that did not resolve as written (typically an
# unmet dependency, which Kconfig drops without a word).
#
# Another run for the same OUTDIR waits for this one (flock).
set -eu

prog=${0##*/}
start=$SECONDS

die() {
	echo "$prog: error: $*" >&2
	exit 1
}

usage() {
	echo "usage: $prog OUTDIR" >&2
	exit 2
}

[ "$#" -eq 1 ] || usage
case $1 in
-h|--help) usage ;;
-*) echo "$prog: unknown option: $1" >&2; usage ;;
esac
out=$1

here=$(cd "$(dirname "$0")" && pwd)
tarball=${KSRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
fragment=${DEBUG_KCONFIG:-$here/debug-kernel.config}
jobs=${JOBS:-$(nproc)}

case $jobs in
'' | *[!0-9]* | 0) die "JOBS must be a positive number, not '$jobs'" ;;
esac
[ -f "$tarball" ] ||
	die "$tarball not found: install the package linux-source-6.12 (tools/deps.sh --install)"
[ -f "$fragment" ] || die "$fragment not found"
fragment=$(cd "$(dirname "$fragment")" && pwd)/${fragment##*/}

# The kernel build must not inherit anything from a calling make
# (command-line variables such as W=1 or C=1 travel in MAKEFLAGS) or
# from the environment (LOCALVERSION changes the release string).
unset MAKEFLAGS MFLAGS MAKELEVEL KBUILD_OUTPUT KBUILD_EXTMOD LOCALVERSION \
	KCFLAGS KCPPFLAGS KAFLAGS KRUSTFLAGS KBUILD_EXTRA_SYMBOLS \
	ARCH CROSS_COMPILE LLVM INSTALL_MOD_PATH INSTALL_MOD_STRIP

mkdir -p "$out"
out=$(cd "$out" && pwd)
stamp=$out/.done
src=$out/src
obj=$out/obj
log=$out/build.log

command -v flock >/dev/null 2>&1 || die "flock not found: install util-linux"
exec 9>"$out/.lock"
flock 9

sha() {
	sha256sum "$1" | awk '{ print $1 }'
}

# The layout is complete when the stamp and everything it promises exist.
layout_ok() {
	local rel
	[ -f "$stamp" ] && [ -f "$out/release" ] || return 1
	read -r rel <"$out/release" || return 1
	[ -n "$rel" ] &&
		[ -f "$out/vmlinuz" ] &&
		[ -f "$out/kdir/Makefile" ] &&
		[ -f "$out/kdir/Module.symvers" ] &&
		[ -f "$out/kdir/include/config/kernel.release" ] &&
		[ "$(cat "$out/kdir/include/config/kernel.release")" = "$rel" ] &&
		[ -f "$out/modules/lib/modules/$rel/modules.dep" ]
}

# Hashing the tarball takes most of a second; the hash is kept in
# tarball.id together with the tarball's device:inode, mtime and size,
# and reused while they match.
tar_key="$(stat -L -c '%d:%i %Y %s' "$tarball")"
tar_sha=
if read -r k1 k2 k3 k4 2>/dev/null <"$out/tarball.id" && [ "$k1 $k2 $k3" = "$tar_key" ]; then
	tar_sha=$k4
fi
if [ -z "$tar_sha" ]; then
	tar_sha=$(sha "$tarball")
	echo "$tar_key $tar_sha" >"$out/tarball.id"
fi
want="fragment $(sha "$fragment")
tarball $tar_sha"

if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && layout_ok; then
	exit 0
fi

# --- tools -------------------------------------------------------------

missing=
need() {
	command -v "$1" >/dev/null 2>&1 || missing="$missing $2"
}
need make make
need gcc gcc
need flex flex
need bison bison
need bc bc
need perl perl
need xz xz-utils
need lz4 lz4
need depmod kmod
# objtool (UNWINDER_ORC) links against libelf.
[ -f /usr/include/gelf.h ] || missing="$missing libelf-dev"
[ -z "$missing" ] || die "missing packages:$missing (apt-get install$missing)"

rm -f "$stamp"

# --- source ------------------------------------------------------------

# The tree is extracted again only when the tarball's content changes.
# A new tree invalidates every object: tar restores the files' old
# mtimes, which make would take for up to date.
if [ "$(cat "$out/src.id" 2>/dev/null)" != "$tar_sha" ] || [ ! -f "$src/Makefile" ]; then
	echo "$prog: extracting $tarball" >&2
	rm -rf "$src.new"
	mkdir "$src.new"
	# Debian's tarball holds one top directory, linux-source-6.12/.
	tar -xJf "$tarball" -C "$src.new" --strip-components=1 ||
		die "extracting $tarball failed (see tar's message above)"
	if [ ! -f "$src.new/Makefile" ] || [ ! -f "$src.new/arch/x86/Kconfig" ]; then
		rm -rf "$src.new"
		die "$tarball does not hold a kernel source tree"
	fi
	rm -rf "$src" "$obj" "$out/src.id"
	mv "$src.new" "$src"
	echo "$tar_sha" >"$out/src.id"
fi
if [ -e "$src/.config" ] || [ -d "$src/include/config" ]; then
	die "$src is not pristine (.config or include/config): remove $src and run again"
fi

kmake() {
	make -C "$src" O="$obj" ARCH=x86 "$@"
}

# --- configuration -------------------------------------------------------

mkdir -p "$obj"
: >"$log"
echo "$prog: configuring (allnoconfig + ${fragment#"$PWD/"})" >&2
kmake KCONFIG_ALLCONFIG="$fragment" allnoconfig >>"$log" 2>&1 || {
	tail -n 30 "$log" >&2
	die "configuration failed; full log in $log"
}

# Compare every option of the fragment with the resolved .config.
# "CONFIG_X=v" must be in .config as written; "# CONFIG_X is not set"
# means X must not be enabled (absent or "is not set" are both fine).
bad=
seen=" "
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
	lineno=$((lineno + 1))
	case $line in
	CONFIG_*=* | "# CONFIG_"*" is not set")
		opt=${line#"# "}
		opt=${opt%%[= ]*}
		case $seen in
		*" $opt "*) die "${fragment}:$lineno: $opt is set twice" ;;
		esac
		seen="$seen$opt "
		;;
	esac
	case $line in
	CONFIG_*=*)
		grep -qxF -- "$line" "$obj/.config" && continue
		got=$(grep -E "^$opt=|^# $opt is not set\$" "$obj/.config" || true)
		bad="$bad
  $line   (got: ${got:-nothing: unmet dependencies or no such option})"
		;;
	"# CONFIG_"*" is not set")
		got=$(grep -E "^$opt=" "$obj/.config" || true)
		[ -z "$got" ] && continue
		bad="$bad
  $line   (got: $got)"
		;;
	"" | "#"*) ;;
	*) die "${fragment}:$lineno: not an option line: $line" ;;
	esac
done <"$fragment"
[ -z "$bad" ] ||
	die "these options of $fragment did not resolve as requested:$bad"

# --- build -------------------------------------------------------------

echo "$prog: building bzImage and modules with $jobs jobs; log in $log" >&2
kmake -j"$jobs" bzImage modules >>"$log" 2>&1 || {
	tail -n 40 "$log" >&2
	die "the kernel build failed; full log in $log"
}

release=$(cat "$obj/include/config/kernel.release")
[ -n "$release" ] || die "empty kernel release in $obj/include/config/kernel.release"
[ -f "$obj/arch/x86/boot/bzImage" ] || die "the build left no arch/x86/boot/bzImage"
[ -f "$obj/Module.symvers" ] || die "the build left no Module.symvers"

rm -rf "$out/modules"
kmake INSTALL_MOD_PATH="$out/modules" modules_install >>"$log" 2>&1 || {
	tail -n 20 "$log" >&2
	die "modules_install failed; full log in $log"
}

# --- publish -----------------------------------------------------------

ln -sfn obj "$out/kdir"
ln -sfn obj/arch/x86/boot/bzImage "$out/vmlinuz"
ln -sfn obj/.config "$out/config"
echo "$release" >"$out/release"
echo "$want" >"$stamp"

layout_ok || die "internal error: the layout in $out is incomplete"
elapsed=$((SECONDS - start))
printf '%s: %s ready in %s (%dm%02ds)\n' "$prog" "$release" "$out" \
	$((elapsed / 60)) $((elapsed % 60)) >&2
