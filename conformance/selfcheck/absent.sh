#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Self-check: run the suite with the core module only, without the
# conformance test interface.  Every test that needs the interface must
# report SKIP with the reason, none may PASS, and the rest must pass.
# Writes "1 0 0" or "0 1 0" to COUNTS.
#
# usage: absent.sh DRIVER-COMMAND KERNEL CORE-MODULE TESTDIR WORKDIR COUNTS
set -u

driver=$1 kernel=$2 module=$3 tests=$4 work=$5 counts=$6

mkdir -p "$work"
out=$work/output.txt
# shellcheck disable=SC2086 # word splitting of $driver wanted
$driver run --kernel "$kernel" --kernel-name testif-absent --module "$module" \
	--tests "$tests" --workdir "$work" --log "$work/console.log" >"$out" 2>&1
rc=$?

problems=
[ $rc -eq 0 ] || problems="the run failed (exit $rc)"
grep -Eq '^SKIP .*device_test\..*test interface /dev/ioasid-test absent' "$out" ||
	problems="$problems; no device test was skipped for the missing interface"
if grep -Eq '^PASS .*device_test\.' "$out"; then
	problems="$problems; a test that needs the interface passed without it"
fi
grep -Eq '^PASS .*lifecycle_test\.' "$out" ||
	problems="$problems; the tests that need no interface did not pass"

mkdir -p "$(dirname "$counts")"
if [ -z "$problems" ]; then
	echo "PASS  selfcheck.testif-absent: $(grep -c '^SKIP .*test interface' "$out") tests skipped for the missing test interface, none passed"
	echo "1 0 0" >"$counts"
	exit 0
fi
echo "FAIL  selfcheck.testif-absent: $problems"
echo "---- driver output ----"
cat "$out"
echo "0 1 0" >"$counts"
exit 1
