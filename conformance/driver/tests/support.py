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
