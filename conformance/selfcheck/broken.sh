#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Self-check of the requirement report: build the reference modules with
# one requirement deliberately broken, run the suite, and check that the
# requirement report names the broken requirement as failed: for noseek,
# exactly that one; for iotlb, whose failing tests name further
# requirements too, at least that one.  The break is an edit of a copy of
# the tangled tree, used only here.  Variants:
#
#   noseek  the file becomes seekable, as if the driver had copied a
#           template with noop_llseek and without nonseekable_open(), so
#           lseek() on /dev/ioasid no longer fails (REQ-DEV-NOSEEK).
#   iotlb   the mock IOMMU no longer flushes its IOTLB on unmap, so a
#           device keeps reaching unmapped memory through translations it
#           cached (REQ-UNMAP-BLOCKS).  This also shows that the IOTLB
#           really caches: without the cache, the missing flush would go
#           unnoticed.
#   replace the mock IOMMU no longer flushes a route's IOTLB when the
#           route's table is replaced, so a default route that leaves a
#           child keeps reaching what the child's translations cached
#           (REQ-NEST-ATTACH-RID).
#   stale   the mock IOMMU ignores IOASID_INVALIDATE_CACHE entries that
#           select a PASID, so a device keeps using the translation a user
#           changed in its stage-1 table after the user invalidated it
#           (REQ-NEST-INV).
#
# Writes "1 0 0" or "0 1 0" to COUNTS.
#
# usage: broken.sh DRIVER-COMMAND REPORT-COMMAND KERNEL KDIR TREE TESTDIR \
#                  WORKDIR COUNTS VARIANT
set -u

driver=$1 report=$2 kernel=$3 kdir=$4 tree=$5 tests=$6 work=$7 counts=$8
variant=$9

problems=
fail() {
	problems="$problems; $1"
}

rm -rf "$work"
mkdir -p "$work/tree"
cp -r "$tree/include" "$tree/drivers" "$work/tree/"
dir=$work/tree/drivers/iommu/ioasid
case $variant in
noseek)
	broken=REQ-DEV-NOSEEK exact=1
	sed -i -e 's/return nonseekable_open(inode, filp);/return 0;/' \
		-e 's/^\t\.open = ioasid_fops_open,$/&\n\t.llseek = noop_llseek,/' \
		"$dir/main.c"
	{ grep -q 'nonseekable_open' "$dir/main.c" ||
		! grep -q 'noop_llseek' "$dir/main.c"; } &&
		fail "the break no longer applies to main.c"
	;;
iotlb)
	# the tests that see the stale translation name other requirements
	# too, so those fail as well: the report must name this one
	broken=REQ-UNMAP-BLOCKS exact=0
	sed -i '/^static void mock_unmap(/,/^}/s/^\tmock_flush_routes(pt, first, first + npages - 1);$/\tif (0)\n&/' \
		"$dir/mock_iommu.c"
	grep -q '^	if (0)$' "$dir/mock_iommu.c" ||
		fail "the break no longer applies to mock_iommu.c"
	;;
replace)
	broken=REQ-NEST-ATTACH-RID exact=0
	sed -i '/^static void mock_replace(/,/^}/s/^\tmock_route_moved(ep, pasid);$/\tif (0)\n&/' \
		"$dir/mock_iommu.c"
	grep -q '^	if (0)$' "$dir/mock_iommu.c" ||
		fail "the break no longer applies to mock_iommu.c"
	;;
stale)
	broken=REQ-NEST-INV exact=0
	sed -i '/^static void mock_cache_invalidate(/,/^}/s/^\tspin_lock(&pt->lock);$/\tif (inv->flags \& IOASID_INV_PASID)\n\t\treturn;\n&/' \
		"$dir/mock_iommu.c"
	grep -q '^	if (inv->flags & IOASID_INV_PASID)$' "$dir/mock_iommu.c" ||
		fail "the break no longer applies to mock_iommu.c"
	;;
*)
	echo "broken.sh: unknown variant $variant" >&2
	exit 2
	;;
esac
name=broken-$variant

make -s -C "$kdir" M="$(cd "$dir" && pwd)" \
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
	if [ "$exact" = 1 ]; then
		[ "$failed" = "$broken" ] ||
			fail "the report names '$(echo $failed)' as failed, not exactly $broken"
	else
		case " $failed " in
		*" $broken "*) ;;
		*) fail "the report does not name $broken as failed (it names '$(echo $failed)')" ;;
		esac
	fi
fi

mkdir -p "$(dirname "$counts")"
if [ -z "$problems" ]; then
	if [ "$exact" = 1 ]; then
		echo "PASS  selfcheck.$name: with $broken broken, the requirement report names it, and only it, as failed"
	else
		echo "PASS  selfcheck.$name: with $broken broken, the requirement report names it as failed ($(echo "$failed" | wc -w) requirements in all)"
	fi
	echo "1 0 0" >"$counts"
	exit 0
fi
echo "FAIL  selfcheck.$name:${problems#;}"
for f in kbuild.log output.txt requirements.txt; do
	[ -s "$work/$f" ] && { echo "---- $f ----"; cat "$work/$f"; }
done
echo "0 1 0" >"$counts"
exit 1
