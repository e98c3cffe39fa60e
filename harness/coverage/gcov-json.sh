#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# gcov-json.sh OUTDIR OBJECT.o...
#
# gcov's JSON report (with branches) of each object, from its .gcno and
# whatever .gcda the runs left beside it, as OUTDIR/NAME.json.  An object
# whose code never ran has no .gcda: gcov then reports every line with a
# count of zero, which is what it is.
set -eu
out=$1
shift
mkdir -p "$out"
for obj; do
	name=${obj##*/}
	name=${name%.o}
	gcov --branch-probabilities --json-format --stdout \
		--object-directory "${obj%/*}" "${obj%.o}.gcda" \
		>"$out/$name.json" 2>"$out/$name.err" || {
		cat "$out/$name.err" >&2
		exit 1
	}
done
