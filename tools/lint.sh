#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Lint the exported kernel tree: checkpatch.pl --strict on every file, and
# kernel-doc on every header and source with warnings as errors.  Prints one line
# per check, the total, and writes "PASSED FAILED SKIPPED" to --counts.
set -eu

usage() {
	echo "usage: $0 --checkpatch PATH --kernel-doc PATH --tree DIR --counts FILE" >&2
	exit 2
}

checkpatch= kerneldoc= tree= counts=
while [ $# -gt 0 ]; do
	case $1 in
	--checkpatch) checkpatch=$2; shift 2 ;;
	--kernel-doc) kerneldoc=$2; shift 2 ;;
	--tree) tree=$2; shift 2 ;;
	--counts) counts=$2; shift 2 ;;
	*) usage ;;
	esac
done
[ -n "$checkpatch" ] && [ -n "$kerneldoc" ] && [ -n "$tree" ] && [ -n "$counts" ] || usage
checkpatch=$(realpath "$checkpatch")

passed=0 failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

report() {	# report NAME STATUS
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
		echo "PASS  lint.$1"
	else
		failed=$((failed + 1))
		echo "FAIL  lint.$1"
		sed 's/^/    /' "$out"
	fi
}

for f in $(cd "$tree" && find . -type f | sed 's|^\./||' | sort); do
	st=0
	# from the tree's top, so that checkpatch sees kernel paths
	# (include/uapi/... gets the rules of user API headers)
	(cd "$tree" && perl "$checkpatch" --strict --no-tree --no-summary \
		--quiet --show-types -f "$f") >"$out" 2>&1 || st=$?
	# checkpatch exits 0 on CHECK-level findings too; --strict findings
	# count as failures here.
	[ -s "$out" ] && st=1
	report "checkpatch.$f" "$st"
done

# headers, and the sources whose exported functions carry kernel-doc
for h in $(cd "$tree" && find . -name '*.h' -o -name '*.c' | sed 's|^\./||' | sort); do
	st=0
	perl "$kerneldoc" -none -Wall -Werror "$tree/$h" >"$out" 2>&1 || st=$?
	[ -s "$out" ] && st=1
	report "kernel-doc.$h" "$st"
done

mkdir -p "$(dirname "$counts")"
echo "$passed $failed 0" >"$counts"
echo "lint: $passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
