#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# extract-ksrc.sh - extract the few kernel source files the project
# uses (kselftest harness, checkpatch, kernel-doc) from Debian's
# linux-source-SERIES package.
#
# Usage: tools/extract-ksrc.sh SERIES OUTDIR
#
# Reads /usr/src/linux-source-SERIES.tar.xz (package linux-source-SERIES;
# KSRC_TARBALL overrides the path) and writes, below OUTDIR, with the
# paths they have in the kernel tree:
#   tools/testing/selftests/kselftest_harness.h
#   tools/testing/selftests/kselftest.h
#   scripts/checkpatch.pl, scripts/spelling.txt,
#   scripts/const_structs.checkpatch    (checkpatch.pl --no-tree)
#   Documentation/dev-tools/checkpatch.rst  (checkpatch.pl --verbose)
#   scripts/kernel-doc
# The tarball is read once (xz, about 9 s). OUTDIR/.done records the
# tarball's path, mtime and size; while it matches, a rerun does nothing.
set -eu

prog=${0##*/}

FILES="
tools/testing/selftests/kselftest_harness.h
tools/testing/selftests/kselftest.h
scripts/checkpatch.pl
scripts/spelling.txt
scripts/const_structs.checkpatch
scripts/kernel-doc
Documentation/dev-tools/checkpatch.rst
"

die() {
	echo "$prog: error: $*" >&2
	exit 1
}

[ "$#" -eq 2 ] || {
	echo "usage: $prog SERIES OUTDIR   (e.g. $prog 6.12 build/ksrc)" >&2
	exit 2
}
series=$1
out=$2
case $series in
[0-9]*.[0-9]*) ;;
*) die "bad SERIES '$series' (expected e.g. 6.1 or 6.12)" ;;
esac

tarball=${KSRC_TARBALL:-/usr/src/linux-source-$series.tar.xz}
[ -f "$tarball" ] ||
	die "$tarball not found: install the package linux-source-$series (tools/deps.sh --install)"

stamp=$out/.done
want="tarball=$tarball mtime=$(stat -c %Y "$tarball") size=$(stat -c %s "$tarball")"

complete() {
	local f
	for f in $FILES; do
		[ -f "$out/$f" ] || return 1
	done
}

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && complete; then
	exit 0
fi

command -v xz >/dev/null 2>&1 || die "xz not found: install xz-utils"

echo "$prog: extracting from $tarball" >&2
mkdir -p "$out"
rm -f "$stamp"
tmp=$out/.extract.tmp
rm -rf "$tmp"
mkdir "$tmp"
trap 'rm -rf "$tmp"' EXIT

# Debian's tarball holds one top directory, linux-source-SERIES/.
# --occurrence lets tar stop reading once every member has been found.
top=linux-source-$series
members=
for f in $FILES; do
	members="$members $top/$f"
done
# shellcheck disable=SC2086 # the member list is split on purpose
tar -xJf "$tarball" -C "$tmp" --occurrence=1 $members ||
	die "extracting from $tarball failed (see tar's message above)"

for f in $FILES; do
	[ -f "$tmp/$top/$f" ] || die "$f is missing from $tarball"
	mkdir -p "$out/${f%/*}"
	mv -f "$tmp/$top/$f" "$out/$f"
done
echo "$want" >"$stamp"
echo "$prog: $series: extracted into $out" >&2
