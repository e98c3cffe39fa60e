#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Self-check of the whole conformance pipeline: boot a kernel with the real
# module plus a module that WARNs, and run a real test program plus one
# whose assertion fails.  The run must fail, and must say why: the failing
# assertion and the kernel warning each appear as a failure, and the
# correct tests still pass.  Writes "1 0 0" or "0 1 0" to COUNTS.
#
# usage: run.sh DRIVER-COMMAND KERNEL MODULE... -- TESTDIR WORKDIR COUNTS
set -u

driver=$1 kernel=$2
shift 2
modules=
while [ "$1" != -- ]; do
	modules="$modules --module $1"
	shift
done
shift
tests=$1 work=$2 counts=$3

mkdir -p "$work"
out=$work/output.txt
# shellcheck disable=SC2086 # word splitting of $driver and $modules wanted
$driver run --kernel "$kernel" --kernel-name selfcheck $modules \
	--tests "$tests" --workdir "$work" --log "$work/console.log" \
	>"$out" 2>&1
rc=$?

problems=
expect() {	# expect DESCRIPTION PATTERN
	grep -Eq "$2" "$out" || problems="$problems
  - $1 (no line matching: $2)"
}
[ $rc -ne 0 ] || problems="$problems
  - the driver exited 0 for a run that must fail"
expect "the failing assertion is reported" '^FAIL .*fails_on_purpose'
expect "the passing test of that program passes" '^PASS .*fail_test.*passes'
expect "the planted WARN is reported" '^FAIL .*kernel'
expect "the real conformance tests still pass" '^PASS .*api_test'

mkdir -p "$(dirname "$counts")"
if [ -z "$problems" ]; then
	echo "PASS  selfcheck: a failing assertion and a kernel WARN each fail the run (driver exit $rc)"
	echo "1 0 0" >"$counts"
	exit 0
fi
echo "FAIL  selfcheck:$problems"
echo "---- driver output ----"
cat "$out"
echo "0 1 0" >"$counts"
exit 1
