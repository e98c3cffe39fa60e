#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Self-check of the debug-kernel run: boot the debug kernel with the
# planted-bug module built for one BUG, run its fail-nth sweep, and check
# that the run fails with the report that bug must produce (or, for the
# control build "none", that the same run passes).  Writes "1 0 0" or
# "0 1 0" to COUNTS.
#
# usage: plant.sh DRIVER-COMMAND KERNEL MODULE TESTDIR WORKDIR BUG COUNTS
set -u

driver=$1 kernel=$2 module=$3 tests=$4 work=$5 bug=$6 counts=$7

case $bug in
none)		report= ;;
uaf)		report='KASAN: [a-z-]*use-after-free' ;;
leak)		report='unreferenced object 0x' ;;
lockorder)	report='possible circular locking dependency' ;;
*)		echo "plant.sh: unknown bug '$bug'" >&2; exit 2 ;;
esac

mkdir -p "$work"
out=$work/output.txt
# shellcheck disable=SC2086 # word splitting of $driver wanted
$driver run --kernel "$kernel" --kernel-name "plant-$bug" --module "$module" \
	--tests "$tests" --workdir "$work" --log "$work/console.log" \
	--memory 1024 --test-timeout 300 >"$out" 2>&1
rc=$?

problems=
if [ -z "$report" ]; then
	[ $rc -eq 0 ] || problems="the control run without a bug failed (exit $rc)"
	grep -Eq '^PASS .*plant_run' "$out" || problems="$problems; the sweep did not pass"
else
	[ $rc -ne 0 ] || problems="the driver exited 0"
	grep -Eq '^FAIL .*kernel\.log' "$out" || problems="$problems; no kernel.log failure"
	grep -Eq "$report" "$work/console.log" ||
		problems="$problems; the console has no line matching '$report'"
fi

mkdir -p "$(dirname "$counts")"
if [ -z "$problems" ]; then
	if [ -z "$report" ]; then
		echo "PASS  selfcheck.plant-none: the same sweep without a planted bug passes"
	else
		echo "PASS  selfcheck.plant-$bug: the debug run fails and reports '$report'"
	fi
	echo "1 0 0" >"$counts"
	exit 0
fi
echo "FAIL  selfcheck.plant-$bug: $problems"
echo "---- driver output ----"
cat "$out"
echo "0 1 0" >"$counts"
exit 1
