#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Self-check of the user-space harness: a bug is planted in a copy of the
# tangled tree, the harness library is built again from that copy, and
# the conformance tests that reach the bug run against it through the
# driver.  The run must fail, and the tests' output must hold the report
# of the checker that is meant to see the bug.  Bugs:
#
#   unpin   the release of a pinned range forgets to unpin its pages:
#           nothing fails at the call, but the exit check of the process
#           finds the pages still pinned
#   uaf     the mock IOMMU's detach frees the route before it is done
#           with it: AddressSanitizer reports the use after free
#   lock    an error path of MAP_DMA returns with the IOASID's mutex
#           held: the lock checker reports it on the way back to user
#           space
#   sleep   the mock IOMMU allocates with GFP_KERNEL under the
#           endpoint's spinlock: the lock checker reports sleeping in
#           atomic context
#
# Writes "1 0 0" (the bug was caught) or "0 1 0" to COUNTS.
#
# usage: plant.sh BUG TREE WORK DRIVER-COMMAND TESTS COUNTS CC CFLAGS \
#                 PRELOAD-FIRST OBJECT...
# OBJECTS are the harness's objects that do not come from the tree (the
# shim, xarray, rbtree, the interposer); PRELOAD-FIRST is the sanitizer
# runtime that must come first in LD_PRELOAD.  The environment names the
# files of the tree the harness builds, as harness.mk lists them: H_CORE
# (the core's, module ioasid_fd) and H_MOCK (ioasid_mock's), without .c.
set -u

bug=$1 tree=$2 work=$3 driver=$4 tests=$5 counts=$6 cc=$7 cflags=$8
asan=$9
shift 9

problems=
fail() {
	problems="$problems; $1"
}

rm -rf "$work"
mkdir -p "$work/obj"
cp -r "$tree/include" "$tree/drivers" "$work/"
dir=$work/drivers/iommu/ioasid

# plant FILE SED-SCRIPT CHECK-PATTERN: edit FILE, then CHECK-PATTERN must
# be found in it exactly once (the plant applied, and only there)
plant() {
	sed -i "$2" "$dir/$1"
	[ "$(grep -c -- "$3" "$dir/$1")" = 1 ] ||
		fail "the plant no longer applies to $1"
}

case $bug in
unpin)
	plant pages.c \
		's/^\t\t\tunpin_user_page_range_dirty_lock(pfn_to_page(run->pfn),$/\t\t\tif (0)\n&/' \
		'^			if (0)$'
	select=memory_test.mem.register_pins_and_charges_unregister_undoes
	expect='leak at exit: [0-9]* pages still pinned'
	;;
uaf)
	plant mock_iommu.c \
		'/^static void mock_detach(/,/^}/{s/^\tkfree(route);$//;s/^\tspin_lock(&route->pt->lock);$/\tkfree(route);\n&/}' \
		'^	kfree(route);$'
	select=attach_test.att.attach_and_detach_the_default_route
	expect='ERROR: AddressSanitizer: heap-use-after-free'
	;;
lock)
	plant io_pagetable.c \
		'/ioasid_dma_it_iter_first(&data->dmas, arg->iova, last))$/{n;s/^\t\tgoto out_unlock;$/\t\t{ ioasid_data_put(data); return ret; }/}' \
		'{ ioasid_data_put(data); return ret; }'
	select='dma_test.*'
	expect='lock held when returning to user space'
	;;
sleep)
	plant mock_iommu.c \
		'/^static void mock_flush_routes(/,/^}/s/^\t\tmock_iotlb_flush(route->ep, route->pasid, first, last);$/\t\tkfree(kmalloc(8, GFP_KERNEL));\n&/' \
		'kfree(kmalloc(8, GFP_KERNEL));'
	select='dma_test.*'
	expect='sleeping function called from invalid context'
	;;
*)
	echo "plant.sh: unknown bug $bug" >&2
	exit 2
	;;
esac

if [ -z "$problems" ]; then
	for f in $H_CORE $H_MOCK; do
		case " $H_MOCK " in
		*" $f "*) mod=ioasid_mock ;;
		*) mod=ioasid_fd ;;
		esac
		# shellcheck disable=SC2086 # CFLAGS are words
		$cc $cflags -I"$work/include" -I"$dir" \
			-DKBUILD_MODNAME="\"$mod\"" -DSHIM_MODULE=$mod \
			-c -o "$work/obj/$f.o" "$dir/$f.c" ||
			fail "$f.c does not build with the plant"
	done
fi
if [ -z "$problems" ]; then
	$cc -shared -fsanitize=address,undefined -o "$work/libioasid_harness.so" \
		"$work"/obj/*.o "$@" -ldl -lpthread ||
		fail "the planted library does not link"
fi
if [ -z "$problems" ]; then
	# shellcheck disable=SC2086 # the driver command is words
	$driver harness --tests "$tests" --test "$select" \
		--preload "$asan" --preload "$work/libioasid_harness.so" \
		--env ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1 \
		--env UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		--log "$work/run.log" --counts "$work/run.counts" \
		>"$work/driver.out" 2>&1
	status=$?
	[ $status -eq 0 ] && fail "the run with the $bug plant passed"
	grep -q -- "$expect" "$work/run.log" ||
		fail "no report \"$expect\" in $work/run.log"
	grep -q 'kernel.log' "$work/driver.out" ||
		fail "the driver did not fail kernel.log for the report"
fi

if [ -n "$problems" ]; then
	echo "FAIL  harness plant $bug:${problems#;}"
	echo "0 1 0" >"$counts"
	exit 1
fi
echo "PASS  harness plant $bug: caught ($expect)"
echo "1 0 0" >"$counts"
