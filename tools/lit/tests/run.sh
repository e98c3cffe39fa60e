#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Test runner for lit.
#   run.sh LIT UNIT COUNTS WORKDIR
# LIT is the tool, UNIT the unit-test program, COUNTS the file that gets
# "PASSED FAILED SKIPPED", WORKDIR a scratch directory (wiped first).
# Prints "ok N name", "ok N name # SKIP why" or "not ok N name" (followed by
# the test's output, prefixed with "#") per test, then a summary line.
# LIT_GOLDEN_UPDATE=1 rewrites the expected golden outputs instead of
# comparing them (review the result with git diff).
# LIT_TEST_CC names the compiler of the #line test (default gcc).

set -u

abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s/%s\n' "$PWD" "$1" ;;
	esac
}

if [ $# -ne 4 ]; then
	echo "usage: $0 LIT UNIT COUNTS WORKDIR" >&2
	exit 2
fi
LIT=$(abspath "$1")
UNIT=$(abspath "$2")
COUNTS=$(abspath "$3")
WORK=$(abspath "$4")
TESTS=$(cd "$(dirname "$0")" && pwd)
TEST_CC=${LIT_TEST_CC:-gcc}

rm -rf "$WORK"
mkdir -p "$WORK" || exit 2

n=0
passed=0
failed=0
skipped=0

# report STATUS NAME [LOG]
report() {
	n=$((n + 1))
	case $1 in
	pass)
		passed=$((passed + 1))
		echo "ok $n $2"
		;;
	skip)
		skipped=$((skipped + 1))
		echo "ok $n $2 # SKIP $(tail -n 1 "$3")"
		;;
	*)
		failed=$((failed + 1))
		echo "not ok $n $2"
		if [ -n "${3:-}" ] && [ -s "$3" ]; then
			sed 's/^/#   /' "$3"
		fi
		;;
	esac
}

# run NAME FUNCTION [ARGS...]: run a test in a subshell with "set -e".
# Exit status 0 passes, 77 skips (last output line says why), else fails.
# A test may append to its name by writing $WORK/name-suffix.
run() {
	name=$1
	shift
	log=$WORK/log.$((n + 1))
	rm -f "$WORK/name-suffix"
	tdir=$WORK/t$((n + 1))
	mkdir -p "$tdir"
	(set -e; cd "$tdir"; "$@") >"$log" 2>&1
	rc=$?
	if [ -f "$WORK/name-suffix" ]; then
		name="$name $(cat "$WORK/name-suffix")"
	fi
	case $rc in
	0) report pass "$name" ;;
	77) report skip "$name" "$log" ;;
	*) report fail "$name" "$log" ;;
	esac
}

fail() {
	echo "$*"
	exit 1
}

skip() {
	echo "$*"
	exit 77
}

have() {
	command -v "$1" >/dev/null 2>&1
}

# expect_tree EXPECTED GOT: the trees must match (diff printed otherwise).
expect_tree() {
	if [ "${LIT_GOLDEN_UPDATE:-}" = 1 ]; then
		rm -rf "$1"
		cp -R "$2" "$1"
		return 0
	fi
	[ -d "$1" ] || fail "missing expected tree $1"
	diff -r -u "$1" "$2" || fail "output differs from $1"
}

# expect_data EXPECTED GOT: the files must match, except that EXPECTED starts
# with "# " comment lines (its license header) that are not compared.
expect_data() {
	if [ "${LIT_GOLDEN_UPDATE:-}" = 1 ]; then
		{
			echo "# SPDX-License-Identifier: GPL-2.0"
			cat "$2"
		} >"$1"
		return 0
	fi
	awk 'body || !/^# / { body = 1; print }' "$1" >"$2.want"
	diff -u "$2.want" "$2" || fail "output differs from $1"
}

# expect_status WANT CMD...: run CMD, require exit status WANT.
expect_status() {
	want=$1
	shift
	set +e
	"$@"
	got=$?
	set -e
	[ "$got" -eq "$want" ] || fail "exit status $got, want $want: $*"
}

# ---- unit tests ----------------------------------------------------------

run_unit_tests() {
	out=$WORK/unit.out
	"$UNIT" >"$out" 2>&1
	unit_rc=$?
	detail=$WORK/unit.detail
	: >"$detail"
	saw=0
	while IFS= read -r line; do
		case $line in
		"PASS "*)
			report pass "${line#PASS }"
			: >"$detail"
			saw=$((saw + 1))
			;;
		"FAIL "*)
			report fail "${line#FAIL }" "$detail"
			: >"$detail"
			saw=$((saw + 1))
			;;
		*)
			printf '%s\n' "$line" >>"$detail"
			;;
		esac
	done <"$out"
	if [ "$saw" -eq 0 ] || { [ "$unit_rc" -ne 0 ] && [ "$unit_rc" -ne 1 ]; }; then
		printf 'unit program exit status %s\n' "$unit_rc" >>"$detail"
		report fail "unit: program ran to completion" "$detail"
	else
		report pass "unit: program ran to completion"
	fi
}

# ---- command line --------------------------------------------------------

t_help() {
	"$LIT" --help >help.out
	grep -q '^usage: lit tangle' help.out || fail "no usage line"
	grep -q 'lit weave --doc=spec|reference' help.out || fail "no weave usage"
	"$LIT" tangle --help >help2.out
	cmp help.out help2.out
}

t_usage_errors() {
	printf '// SPDX-License-Identifier: GPL-2.0\n' >u.adoc
	expect_status 2 "$LIT"
	expect_status 2 "$LIT" frobnicate u.adoc
	expect_status 2 "$LIT" tangle u.adoc
	expect_status 2 "$LIT" tangle -o
	expect_status 2 "$LIT" tangle --bogus -o out u.adoc
	expect_status 2 "$LIT" weave -o out u.adoc
	expect_status 2 "$LIT" weave --doc=draft -o out u.adoc
	expect_status 2 "$LIT" weave --doc=spec --index-level=9 -o out u.adoc
	expect_status 2 "$LIT" tangle --doc=spec -o out u.adoc
	expect_status 2 "$LIT" check
	expect_status 2 "$LIT" check u.adoc u.adoc
	[ ! -e out ] || fail "usage error wrote output"
}

t_unreadable() {
	expect_status 1 "$LIT" check no-such-file.adoc 2>err
	grep -q '^lit: cannot read no-such-file.adoc: ' err || fail "message: $(cat err)"
}

t_empty_input() {
	: >empty.adoc
	"$LIT" check empty.adoc
	"$LIT" tangle -o out empty.adoc
	[ ! -e out ] || fail "tangle of no roots created $(ls out)"
	"$LIT" weave --doc=spec -o wout empty.adoc
	[ -f wout/empty.adoc ] && [ ! -s wout/empty.adoc ] || fail "empty weave"
	grep -q '^== Index of chunks$' wout/chunk-index.adoc
	[ -z "$("$LIT" roots empty.adoc)" ] || fail "roots of empty input"
}

t_line_root() {
	cp "$TESTS/compile/planted.adoc" .
	"$LIT" tangle --line-root ../doc -o out planted.adoc
	grep -q '^#line 10 "../doc/planted.adoc"$' out/planted/planted.c ||
		fail "no #line with prefix"
	"$LIT" tangle --line-root ../doc/ -o out2 planted.adoc
	cmp out/planted/planted.c out2/planted/planted.c
}

t_weave_guards() {
	mkdir -p a b
	cp "$TESTS/golden/basic/in/core.adoc" a/x.adoc
	cp "$TESTS/golden/basic/in/uapi.adoc" b/x.adoc
	expect_status 1 "$LIT" weave --doc=spec -o out a/x.adoc b/x.adoc 2>err
	grep -q 'would both be woven to x.adoc' err || fail "$(cat err)"
	[ ! -e out ] || fail "wrote output"
	cp a/x.adoc a/keep.adoc
	expect_status 1 "$LIT" weave --doc=spec -o a a/x.adoc 2>err
	grep -q 'would overwrite it' err || fail "$(cat err)"
	cmp a/x.adoc a/keep.adoc
}

t_runner_detects_mismatch() {
	mkdir -p want got
	printf 'one\n' >want/f
	printf 'two\n' >got/f
	if (LIT_GOLDEN_UPDATE= expect_tree want got) >mismatch.out 2>&1; then
		fail "expect_tree accepted different trees"
	fi
	grep -q '^-one$' mismatch.out || fail "no diff shown: $(cat mismatch.out)"
	grep -q '^+two$' mismatch.out || fail "no diff shown: $(cat mismatch.out)"
}

# ---- golden tests --------------------------------------------------------

# Extra weave arguments of the current case (weave-args, "#" lines skipped).
weave_args() {
	[ ! -f weave-args ] || grep -v '^#' weave-args
}

# Inputs of golden case $1, relative to its directory, in glob order.
case_inputs() {
	(cd "$TESTS/golden/$1" && printf '%s\n' in/*.adoc)
}

t_golden_tangle() {
	dir=$TESTS/golden/$1
	cd "$dir"
	"$LIT" tangle -o "$WORK/$1.tangle" $(case_inputs "$1")
	expect_tree "$dir/tangle" "$WORK/$1.tangle"
}

t_golden_tangle_noline() {
	dir=$TESTS/golden/$1
	cd "$dir"
	"$LIT" tangle --no-line -o "$WORK/$1.noline" $(case_inputs "$1")
	if grep -r '^#line' "$WORK/$1.noline"; then
		fail "--no-line output has #line"
	fi
	expect_tree "$dir/tangle-noline" "$WORK/$1.noline"
}

t_golden_roots() {
	dir=$TESTS/golden/$1
	cd "$dir"
	"$LIT" roots $(case_inputs "$1") >"$WORK/$1.roots"
	expect_data "$dir/roots" "$WORK/$1.roots"
}

t_golden_check() {
	dir=$TESTS/golden/$1
	cd "$dir"
	before=$(ls -R)
	"$LIT" check $(case_inputs "$1") >"$WORK/$1.check" 2>&1
	[ ! -s "$WORK/$1.check" ] || fail "check printed: $(cat "$WORK/$1.check")"
	[ "$before" = "$(ls -R)" ] || fail "check wrote files"
}

t_golden_weave() {
	dir=$TESTS/golden/$1
	cd "$dir"
	args=
	args=$(weave_args)
	"$LIT" weave --doc="$2" $args -o "$WORK/$1.weave-$2" $(case_inputs "$1")
	expect_tree "$dir/weave-$2" "$WORK/$1.weave-$2"
}

# Render the woven files (produced by t_golden_weave) as one document.
t_golden_asciidoctor() {
	have asciidoctor || skip "asciidoctor not installed"
	out=$WORK/$1.render-$2
	mkdir -p "$out"
	cd "$TESTS/golden/$1"
	"$LIT" weave --doc="$2" $(weave_args) \
		-o "$out" $(case_inputs "$1")
	{
		echo "= Woven $1 ($2)"
		for f in $(case_inputs "$1"); do
			echo
			echo "include::${f#in/}[]"
		done
		# the specification has no chunk names, so no index of them
		if [ "$2" = reference ]; then
			echo
			echo "include::chunk-index.adoc[]"
		fi
	} >"$out/main.adoc"
	cd "$out"
	asciidoctor --failure-level=WARN -v -o main.html main.adoc 2>render.err ||
		fail "asciidoctor failed: $(cat render.err)"
	[ ! -s render.err ] || fail "asciidoctor said: $(cat render.err)"
	# every link target exists
	grep -o 'href="#[^"]*"' main.html | sed 's/^href="#//; s/"$//' |
		sort -u >targets
	grep -o 'id="[^"]*"' main.html | sed 's/^id="//; s/"$//' | sort -u >ids
	missing=$(comm -23 targets ids)
	[ -z "$missing" ] || fail "dangling links: $missing"
}

# ---- error tests ---------------------------------------------------------

t_error() {
	name=$1
	dir=$TESTS/errors/$name
	cd "$dir"
	files=$(printf '%s\n' *.adoc)
	for cmd in check roots tangle weave; do
		case $cmd in
		tangle) set -- tangle -o "$WORK/err-$name.out" ;;
		weave) set -- weave --doc=reference -o "$WORK/err-$name.out" ;;
		*) set -- "$cmd" ;;
		esac
		expect_status 1 "$LIT" "$@" $files >"$WORK/err.stdout" 2>"$WORK/err.stderr"
		expect_data "$dir/expected.err" "$WORK/err.stderr"
		[ ! -s "$WORK/err.stdout" ] || fail "$cmd printed: $(cat "$WORK/err.stdout")"
		[ ! -e "$WORK/err-$name.out" ] || fail "$cmd wrote output after an error"
		[ "${LIT_GOLDEN_UPDATE:-}" != 1 ] || break
	done
}

# ---- incremental writing -------------------------------------------------

# Set every file below $1 to an old time; create a reference file.
age_tree() {
	find "$1" -type f -exec touch -t 200001010000 {} +
	touch "$WORK/stamp"
}

newer_files() {
	(cd "$1" && find . -type f -newer "$WORK/stamp" | sed 's|^\./||' | sort)
}

t_incremental_tangle() {
	mkdir -p src
	cp "$TESTS/golden/basic/in/"*.adoc src/
	"$LIT" tangle -o out src/core.adoc src/uapi.adoc
	age_tree out
	"$LIT" tangle -o out src/core.adoc src/uapi.adoc
	[ -z "$(newer_files out)" ] || fail "rewritten unchanged: $(newer_files out)"
	tab=$(printf '\t')
	sed "s/IOASID_BASE${tab}100/IOASID_BASE${tab}200/" src/uapi.adoc >src/new
	mv src/new src/uapi.adoc
	grep -q 'IOASID_BASE	200' src/uapi.adoc || fail "edit did not apply"
	"$LIT" tangle -o out src/core.adoc src/uapi.adoc
	[ "$(newer_files out)" = include/uapi/linux/ioasid.h ] ||
		fail "rewritten: $(newer_files out)"
	grep -q 'IOASID_BASE	200' out/include/uapi/linux/ioasid.h
	[ -z "$(find out -name '*.lit-tmp*')" ] || fail "temporary files left"
}

t_incremental_weave() {
	mkdir -p src
	cp "$TESTS/golden/basic/in/"*.adoc src/
	"$LIT" weave --doc=spec -o out src/core.adoc src/uapi.adoc
	age_tree out
	"$LIT" weave --doc=spec -o out src/core.adoc src/uapi.adoc
	[ -z "$(newer_files out)" ] || fail "rewritten unchanged: $(newer_files out)"
	sed 's/^The ioctl numbers:$/The ioctl numbers, again:/' src/uapi.adoc >src/new
	mv src/new src/uapi.adoc
	"$LIT" weave --doc=spec -o out src/core.adoc src/uapi.adoc
	[ "$(newer_files out)" = uapi.adoc ] || fail "rewritten: $(newer_files out)"
}

# ---- #line and a real compiler -------------------------------------------

t_compile_line() {
	have "$TEST_CC" || skip "$TEST_CC not installed"
	cp "$TESTS/compile/planted.adoc" .
	"$LIT" tangle -o out planted.adoc
	# a good build first: the #line directives themselves must be valid
	sed 's/undeclared_[a-z]*/0/' planted.adoc >good.adoc
	"$LIT" tangle -o good good.adoc
	"$TEST_CC" -std=c11 -Wall -Werror -c -o good.o good/planted/planted.c ||
		fail "clean tangled file does not compile"
	expect_status 1 "$TEST_CC" -std=c11 -fsyntax-only out/planted/planted.c 2>cc.err
	for sym in undeclared_inner undeclared_outer undeclared_deep; do
		line=$(grep -n "$sym" planted.adoc | cut -d: -f1)
		grep -q "^planted.adoc:$line:[0-9]*: error: .*$sym" cc.err ||
			fail "$sym not reported at planted.adoc:$line; compiler said:
$(cat cc.err)"
	done
	if grep -q 'planted\.c:' cc.err; then
		fail "errors attributed to the tangled file: $(cat cc.err)"
	fi
	# and the SPDX line stays the first line of the file
	head -n 1 out/planted/planted.c | grep -q '^// SPDX-License-Identifier:'
}

# ---- cross-check against noweb -------------------------------------------

t_noweb() {
	have notangle || skip "notangle (noweb) not installed"
	dir=$TESTS/golden/$1
	cd "$dir"
	inputs=$(case_inputs "$1")
	awk -f "$TESTS/to-noweb.awk" $inputs >"$WORK/$1.nw"
	"$LIT" tangle --no-line -o "$WORK/$1.nwlit" $inputs
	"$LIT" roots $inputs >"$WORK/$1.nwroots"
	[ -s "$WORK/$1.nwroots" ] || fail "no roots"
	while IFS= read -r root; do
		notangle -t8 -R"$root" "$WORK/$1.nw" >"$WORK/$1.nwout"
		cmp "$WORK/$1.nwout" "$WORK/$1.nwlit/$root" || {
			diff -u "$WORK/$1.nwout" "$WORK/$1.nwlit/$root"
			fail "lit and notangle differ on $root"
		}
		echo "same: $root"
	done <"$WORK/$1.nwroots"
}

# ---- speed ---------------------------------------------------------------

now_ms() {
	t=$(date +%s%N 2>/dev/null)
	case $t in
	*N* | "") echo $(($(date +%s) * 1000)) ;;
	*) echo $((t / 1000000)) ;;
	esac
}

t_timing() {
	sh "$TESTS/gen-large.sh" large 50 200
	set -- large/*.adoc
	[ $# -eq 50 ] || fail "generated $# files"
	t0=$(now_ms)
	"$LIT" tangle -o large.out "$@"
	t1=$(now_ms)
	"$LIT" weave --doc=reference -o large.weave "$@"
	t2=$(now_ms)
	lines=$(cat "$@" | wc -l)
	[ "$(ls large.out/gen | wc -l)" -eq 50 ] || fail "missing outputs"
	tangle_ms=$((t1 - t0))
	weave_ms=$((t2 - t1))
	echo "($((lines)) lines: tangle ${tangle_ms} ms, weave ${weave_ms} ms)" \
		>"$WORK/name-suffix"
	cat "$WORK/name-suffix"
	[ "$tangle_ms" -lt 1000 ] || fail "tangle took ${tangle_ms} ms"
}

# ---- main ----------------------------------------------------------------

run_unit_tests
run "cli: --help" t_help
run "cli: usage errors exit with status 2" t_usage_errors
run "cli: unreadable input" t_unreadable
run "cli: empty input" t_empty_input
run "cli: --line-root" t_line_root
run "cli: weave refuses clashing or overwriting outputs" t_weave_guards
run "runner: a golden mismatch fails and shows a diff" t_runner_detects_mismatch

for d in "$TESTS"/golden/*/; do
	c=$(basename "$d")
	run "golden $c: check" t_golden_check "$c"
	run "golden $c: roots" t_golden_roots "$c"
	run "golden $c: tangle" t_golden_tangle "$c"
	run "golden $c: tangle --no-line" t_golden_tangle_noline "$c"
	for doc in spec reference; do
		run "golden $c: weave --doc=$doc" t_golden_weave "$c" "$doc"
		run "golden $c: asciidoctor renders the $doc cleanly" \
			t_golden_asciidoctor "$c" "$doc"
	done
	run "golden $c: noweb's notangle agrees" t_noweb "$c"
done

for d in "$TESTS"/errors/*/; do
	c=$(basename "$d")
	run "error: $c" t_error "$c"
done

run "incremental: tangle rewrites only changed files" t_incremental_tangle
run "incremental: weave rewrites only changed files" t_incremental_weave
run "compile: $TEST_CC reports errors at .adoc lines" t_compile_line
run "timing: 50 files x 200 chunks" t_timing

echo "lit: $passed passed, $failed failed, $skipped skipped"
mkdir -p "$(dirname "$COUNTS")"
echo "$passed $failed $skipped" >"$COUNTS"
[ "$failed" -eq 0 ]
