#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh - check for, or install, the Debian packages this project needs.
#
# Usage: tools/deps.sh [--check|--install] [PKG...]
#
#   --check    (default) print the missing packages, one per line, on
#              stdout; exit 1 if any is missing, 0 otherwise.
#   --install  install the missing packages with apt-get (root only).
#              "apt-get update" runs only when it is needed: when a
#              missing package has no install candidate, or when the
#              download fails because the package lists are stale.
#              As non-root, print the command to run and exit 1.
#
# Without PKG arguments the project's default package list is used.
# A held apt/dpkg lock (another apt run in progress) is waited for, up
# to APT_LOCK_WAIT seconds (default 900).
set -eu

prog=${0##*/}

DEFAULT_PKGS="
	qemu-system-x86 busybox-static cpio kmod
	asciidoctor ruby-asciidoctor-pdf ruby-rouge graphviz
	sparse linux-source-6.1 linux-source-6.12 noweb
	dwarves libelf-dev lz4 flex bison bc xz-utils perl
	gcc make python3 libc6-dev
	libasan8 libubsan1 clang-14 libclang-rt-14-dev
"

die() {
	echo "$prog: error: $*" >&2
	exit 1
}

usage() {
	echo "usage: $prog [--check|--install] [PKG...]" >&2
	exit 2
}

# Print the packages among "$@" that are not installed, one per line.
# dpkg-query reports unknown packages on stderr and exits 1; those are
# simply missing. The second letter of db:Status-Abbrev is the
# current state ('i' = installed).
missing_pkgs() {
	local installed pkg
	installed=" "$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' \
		"$@" 2>/dev/null | awk 'substr($1, 2, 1) == "i" { printf "%s ", $2 }') || true
	for pkg in "$@"; do
		# dpkg-query prints names without an architecture qualifier.
		case $installed in
		*" ${pkg%%:*} "*) ;;
		*) echo "$pkg" ;;
		esac
	done
}

# apt_retry: wait for another apt or dpkg run to release its lock.
. "$(dirname "$0")/apt-retry.sh"

# Print the packages among "$@" that apt has no install candidate for.
no_candidate() {
	local have pkg
	have=" "$(apt-cache policy "$@" 2>/dev/null | awk '
		/^[^ ]/ { name = $1; sub(/:$/, "", name) }
		/^  Candidate:/ && $2 != "(none)" { printf "%s ", name }')
	for pkg in "$@"; do
		case $have in
		*" $pkg "*) ;;
		*) echo "$pkg" ;;
		esac
	done
}

mode=check
pkgs=
for arg in "$@"; do
	case $arg in
	--check) mode=check ;;
	--install) mode=install ;;
	-h|--help) usage ;;
	-*) echo "$prog: unknown option: $arg" >&2; usage ;;
	*) pkgs="$pkgs $arg" ;;
	esac
done
[ -n "$pkgs" ] || pkgs=$DEFAULT_PKGS

command -v dpkg-query >/dev/null 2>&1 ||
	die "dpkg-query not found: this script needs a Debian system"

# shellcheck disable=SC2086 # word splitting of the package list is wanted
missing=$(missing_pkgs $pkgs)

if [ "$mode" = check ]; then
	[ -z "$missing" ] && exit 0
	echo "$missing"
	exit 1
fi

[ -z "$missing" ] && exit 0
missing=${missing//$'\n'/ }

if [ "$(id -u)" -ne 0 ]; then
	{
		echo "$prog: missing packages: $missing"
		echo "$prog: run as root:"
		echo "apt-get install -y --no-install-recommends $missing"
	} >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
lock_opt="-o DPkg::Lock::Timeout=${APT_LOCK_WAIT:-900}"
updated=no

# shellcheck disable=SC2086
nocand=$(no_candidate $missing)
if [ -n "$nocand" ]; then
	echo "$prog: no install candidate for: ${nocand//$'\n'/ }; running apt-get update" >&2
	apt_retry apt-get -q update || die "apt-get update failed"
	updated=yes
	# shellcheck disable=SC2086
	nocand=$(no_candidate $missing)
	[ -z "$nocand" ] ||
		die "no install candidate for: ${nocand//$'\n'/ } (not in the configured apt sources)"
fi

echo "$prog: installing: $missing" >&2
# shellcheck disable=SC2086
if ! apt_retry apt-get -q -y --no-install-recommends $lock_opt install $missing; then
	[ "$updated" = no ] || die "apt-get install failed"
	# The usual cause is a stale package list (404 on download).
	echo "$prog: apt-get install failed; updating the package lists and retrying" >&2
	apt_retry apt-get -q update || die "apt-get update failed"
	# shellcheck disable=SC2086
	apt_retry apt-get -q -y --no-install-recommends $lock_opt install $missing ||
		die "apt-get install failed"
fi

# shellcheck disable=SC2086
still=$(missing_pkgs $missing)
[ -z "$still" ] || die "still not installed after apt-get install: ${still//$'\n'/ }"
exit 0
