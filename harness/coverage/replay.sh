#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# replay.sh CC CFLAGS DIR LOGDIR "CORPUSDIR..." "OBJECT..." SOURCE...
#
# Builds the fuzzer's replay program from its SOURCEs (with
# -DFUZZ_REPLAY_MAIN and CFLAGS, which hold --coverage; objects in
# DIR/obj, program DIR/replay), linked with the coverage build's OBJECTs
# (the core and the mocks with their counters, the shim, without the
# interposer: the fuzz target calls the shim itself), and runs it over the
# files of the corpus directories that exist, 256 files a process, so that
# an input that ends its process early costs only its batch's counters.
# Exits 3 if there is nothing to replay.
set -eu
cc=$1 cflags=$2 dir=$3 logs=$4 corpora=$5 objects=$6
shift 6
mkdir -p "$dir/obj" "$logs"
rm -f "$dir"/obj/* "$dir/replay"
objs=
for src; do
	obj=$dir/obj/$(basename "${src%.c}").o
	echo "  CC      $obj"
	# shellcheck disable=SC2086 # CFLAGS is a list of options
	$cc $cflags -DFUZZ_REPLAY_MAIN -c -o "$obj" "$src"
	objs="$objs $obj"
done
echo "  LD      $dir/replay"
# shellcheck disable=SC2086 # lists of objects
$cc --coverage -o "$dir/replay" $objs $objects -ldl -lpthread
list=$dir/corpus.list
: >"$list"
for c in $corpora; do
	if [ -d "$c" ]; then find "$c" -type f | sort >>"$list"; fi
done
n=$(wc -l <"$list")
if [ "$n" -eq 0 ]; then
	echo "  COV     corpus: no files in $corpora"
	exit 3
fi
t0=$(date +%s)
rc=0
tr '\n' '\0' <"$list" | xargs -0 -n 256 "$dir/replay" \
	>"$logs/replay.log" 2>&1 || rc=$?
echo "  COV     corpus: $n files, $(( $(date +%s) - t0 )) s, rc=$rc (log $logs/replay.log)"
