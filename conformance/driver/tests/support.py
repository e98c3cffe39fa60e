# SPDX-License-Identifier: GPL-2.0
"""Helpers shared by the driver's tests."""

import os
import sys
import textwrap

DRIVER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if DRIVER_DIR not in sys.path:
    sys.path.insert(0, DRIVER_DIR)

from ioasid_conform.ktap import KtapParser  # noqa: E402


def lines_of(text: str):
    """Lines of a dedented triple-quoted transcript."""
    return textwrap.dedent(text).strip("\n").split("\n")


def parse_binary(text: str, rc=0, elapsed=1.0, timed_out=False,
                 unfinished_reason=None, binary="bin"):
    """Feed a whole transcript to a KtapParser; return (live, final).

    Every line arrives one second after the previous one, so durations are
    predictable.
    """
    parser = KtapParser(binary, started=0.0)
    live = []
    for number, line in enumerate(lines_of(text), start=1):
        live.extend(parser.feed(line, float(number)))
    final = parser.finish(rc, elapsed, timed_out, unfinished_reason)
    return live, final


def by_name(results):
    return {result.name: result for result in results}


def harness_listing(tests):
    """What "binary -l" of the kselftest harness prints for tests, a list
    of harness names fixture[.variant].name (test_harness_list_tests)."""
    blocks = {}
    for name in tests:
        parts = name.split(".")
        fixture, variant, test = (parts[0], parts[1], parts[2]) \
            if len(parts) == 3 else (parts[0], "", parts[1])
        variants, names = blocks.setdefault(fixture, ([], []))
        if variant and variant not in variants:
            variants.append(variant)
        if test not in names:
            names.append(test)
    lines = [f"{'# FIXTURE':<20} {'VARIANT':<25} TEST"]
    for number, (fixture, (variants, names)) in enumerate(blocks.items()):
        if number:
            lines.append("-" * 80)
        for row in range(max(len(variants), len(names))):
            lines.append(f"{fixture if row == 0 else '':<20} "
                         f"{variants[row] if row < len(variants) else '':<25} "
                         f"{names[row] if row < len(names) else ''}")
    return "\n".join(lines) + "\n"


FAKE_HARNESS = """#!/bin/sh
# A look-alike of a kselftest harness binary for the driver's tests.  Its
# usage text: -l       list all tests
if [ "$1" = "-l" ]; then
	cat >&2 <<'LISTING'
{listing}LISTING
	exit 4
fi
selected=" "
while [ $# -gt 0 ]; do
	case $1 in
	-r) selected="$selected$2 "; shift 2 ;;
	*) echo "unknown option $1"; exit 1 ;;
	esac
done
want() {{
	[ "$selected" = " " ] && return 0
	case "$selected" in *" $1 "*) return 0 ;; esac
	return 1
}}
count=0
for t in {names}; do want $t && count=$((count + 1)); done
echo "TAP version 13"
echo "1..$count"
n=0
rc=0
{bodies}
exit $rc
"""

OUTCOMES = {
    "pass": 'echo "ok $n {name}"',
    "fail": 'echo "# {name}.c:1:x:Expected 0 (0) == 1 (1)"; '
            'echo "not ok $n {name}"; rc=1',
    "skip": 'echo "ok $n {name} # SKIP not here"',
}


def fake_harness(path, tests):
    """Write an executable shell script at path that behaves like a
    kselftest harness binary: lists its tests with -l, runs those named
    with -r (or all).  tests: [(harness name, "pass"|"fail"|"skip",
    [requirement IDs])]."""
    names = [name for name, _, _ in tests]
    bodies = []
    for name, outcome, reqs in tests:
        req = f'echo "# REQ: {", ".join(reqs)}"; ' if reqs else ""
        bodies.append(
            f'if want {name}; then n=$((n + 1)); '
            f'echo "#  RUN           {name} ..."; {req}'
            + OUTCOMES[outcome].format(name=name) + "; fi")
    with open(path, "w") as handle:
        handle.write(FAKE_HARNESS.format(listing=harness_listing(names),
                                         names=" ".join(names),
                                         bodies="\n".join(bodies)))
    os.chmod(path, 0o755)
    return path
