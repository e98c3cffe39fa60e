#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run every test step of `make check`, even after one fails, then print the
# total over all steps as the last line: "N passed, N failed, N skipped".
# Each step writes "PASSED FAILED SKIPPED" to $BUILD/results/STEP.counts,
# or to several files STEP.PART.counts; a step that fails without writing
# any counts is counted as one failure.
set -u

: "${BUILD:=build}" "${MAKE:=make}" "${KERNELS:=6.1 6.12 debug}"
results=$BUILD/results
rm -rf "$results"
mkdir -p "$results"
status=0

step() {	# step NAME MAKE-TARGET
	name=$1 target=$2
	start=$(date +%s)
	echo "== $name"
	if $MAKE --no-print-directory -s "$target"; then
		st=0
	else
		st=1
		status=1
	fi
	set -- "$results/$name".counts "$results/$name".*.counts
	written=$(cat "$@" 2>/dev/null)
	if [ -z "$written" ]; then
		if [ $st -eq 0 ]; then
			echo "1 0 0" >"$results/$name.counts"
		else
			echo "0 1 0" >"$results/$name.counts"
		fi
	elif [ $st -ne 0 ] && [ "$(echo "$written" | awk '{ f += $2 } END { print f }')" = 0 ]; then
		# the step failed in a way its own counts do not show
		echo "0 1 0" >"$results/$name.error.counts"
	fi
	echo "== $name: done in $(( $(date +%s) - start )) s"
}

# Two lanes run at the same time, one QEMU guest each (QEMU runs every
# guest on one host thread): the stock kernels with the tool and driver
# tests, and the debug kernel with its planted bugs.  The first lane
# reports as it goes; the second lane's report follows when it is done.
lane_debug() {
	for k in $KERNELS; do
		[ "$k" = debug ] && step "conformance-$k" "conformance-$k"
	done
	case " $KERNELS " in
	*" debug "*) step selfcheck-debug selfcheck-debug ;;
	esac
	exit $status
}
lane_log=$results/lane-debug.log
( lane_debug ) >"$lane_log" 2>&1 &
lane_pid=$!

step lit lit-check
step driver driver-check
step traceability traceability
step lint lint
step harness harness-check
step harness-selfcheck harness-selfcheck
step fuzz fuzz-check
step harness-coverage harness-coverage
for k in $KERNELS; do
	[ "$k" = debug ] || step "conformance-$k" "conformance-$k"
done
step selfcheck-stock selfcheck-stock

wait $lane_pid || status=1
cat "$lane_log"

# The requirement report with every kernel's results, and the documents
# again, so that their traceability matrix shows these results.
echo "== requirements"
if $MAKE --no-print-directory -s report >"$results/requirements.txt" 2>&1 &&
	$MAKE --no-print-directory -s spec >"$results/spec.log" 2>&1; then
	echo "requirement report: $results/requirements.txt"
else
	cat "$results/requirements.txt" "$results/spec.log" 2>/dev/null
	echo "0 1 0" >"$results/report.counts"
	status=1
fi

cat "$results"/*.counts | awk '
	{ p += $1; f += $2; s += $3 }
	END { printf "%d passed, %d failed, %d skipped\n", p, f, s }'
exit $status
