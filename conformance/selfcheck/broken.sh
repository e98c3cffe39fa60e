#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Self-check of the requirement report: build the reference modules with
# one requirement deliberately broken, run the suite, and check that the
# requirement report names exactly that requirement as failed.  The break
# is an edit of a copy of the tangled tree, used only here: the file
# becomes seekable, as if the driver had copied a template with
# noop_llseek and without nonseekable_open(), so lseek() on /dev/ioasid
# no longer fails (REQ-DEV-NOSEEK).  Writes "1 0 0" or "0 1 0" to COUNTS.
#
# usage: broken.sh DRIVER-COMMAND REPORT-COMMAND KERNEL KDIR TREE TESTDIR \
#                  WORKDIR COUNTS
set -u

driver=$1 report=$2 kernel=$3 kdir=$4 tree=$5 tests=$6 work=$7 counts=$8
broken=REQ-DEV-NOSEEK
name=broken-${broken#REQ-}

problems=
fail() {
	problems="$problems; $1"
}

rm -rf "$work"
mkdir -p "$work/tree"
cp -r "$tree/include" "$tree/drivers" "$work/tree/"
main=$work/tree/drivers/iommu/ioasid/main.c
sed -i -e 's/return nonseekable_open(inode, filp);/return 0;/' \
	-e 's/^\t\.open = ioasid_fops_open,$/&\n\t.llseek = noop_llseek,/' "$main"
{ grep -q 'nonseekable_open' "$main" || ! grep -q 'noop_llseek' "$main"; } &&
	fail "the break no longer applies to main.c"

make -s -C "$kdir" M="$(cd "$work/tree/drivers/iommu/ioasid" && pwd)" \
	CONFIG_IOASID_FD=m CONFIG_IOASID_FD_MOCK=m \
	KCFLAGS="-I$(cd "$work/tree/include" && pwd)" modules \
	>"$work/kbuild.log" 2>&1 || fail "the broken modules do not build"

if [ -z "$problems" ]; then
	# shellcheck disable=SC2086 # word splitting of $driver wanted
	$driver run --kernel "$kernel" --kernel-name "$name" \
		--module "$work/tree/drivers/iommu/ioasid/ioasid_fd.ko" \
		"$work/tree/drivers/iommu/ioasid/ioasid_mock.ko" \
		--tests "$tests" --workdir "$work/run" --log "$work/console.log" \
		--json "$work/results.json" >"$work/output.txt" 2>&1
	[ $? -ne 0 ] || fail "the run with a broken requirement passed"
	# the report command carries quoted globs for the shell
	eval "$report" --results "$work/results.json" --json "$work/requirements.json" \
		--text >"$work/requirements.txt" 2>&1 || fail "the report failed"
	failed=$(python3 -c 'import json, sys
report = json.load(open(sys.argv[1]))
print(" ".join(sorted(r["id"] for r in report["requirements"]
                      if r["status"].get(sys.argv[2]) == "FAIL")))' \
		"$work/requirements.json" "$name")
	[ "$failed" = "$broken" ] ||
		fail "the report names '$(echo $failed)' as failed, not exactly $broken"
fi

mkdir -p "$(dirname "$counts")"
if [ -z "$problems" ]; then
	echo "PASS  selfcheck.$name: with $broken broken, the requirement report names it, and only it, as failed"
	echo "1 0 0" >"$counts"
	exit 0
fi
echo "FAIL  selfcheck.$name:${problems#;}"
for f in kbuild.log output.txt requirements.txt; do
	[ -s "$work/$f" ] && { echo "---- $f ----"; cat "$work/$f"; }
done
echo "0 1 0" >"$counts"
exit 1
