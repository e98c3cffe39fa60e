# SPDX-License-Identifier: GPL-2.0
"""What the driver prints and writes.

Live output is one line per result as soon as it is known,

    PASS  [6.12] api_test.check_extension.unknown_flag  (0.12s)
    SKIP  [6.12] api_test.pasid.alloc  (0.01s)  no PASID support
    FAIL  [6.12] api_test.pasid.free  (0.30s)  api_test.c:80:free:Expected ...

followed, for failures, by the lines that explain them.  When a test
binary ends, a line sums it up with the time it took and the time since
the start of the run:

          api_test: 12 passed, 1 failed, 1 skipped in 3.20s  [at 41.7s]

The very last line is the summary "N passed, N failed, N skipped".
"""

import json
import sys
import time
from typing import Dict, List, Optional, TextIO

from .results import FAIL, PASS, Counts, TestResult

MAX_DETAIL_LINES = 60


def result_line(result: TestResult, kernel: str) -> str:
    line = f"{result.status:<4}  [{kernel}] {result.name}  " \
           f"({result.duration:.2f}s)"
    if result.status == PASS and result.directive:
        line += f"  # {result.directive}"
        if result.reason:
            line += f" {result.reason}"
    elif result.reason:
        line += f"  {result.reason}"
    return line


class Reporter:
    """Prints results live and the summary at the end."""

    def __init__(self, kernel: str, stream: Optional[TextIO] = None,
                 verbose: bool = False,
                 clock=time.monotonic):
        self.kernel = kernel
        self.stream = stream or sys.stdout
        self.verbose = verbose
        self._clock = clock
        self._started = clock()
        self._per_binary: Dict[str, List[TestResult]] = {}

    def _print(self, text: str = "") -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        self._print(text)

    def console(self, text: str) -> None:
        """A console line; shown only with -v."""
        if self.verbose:
            self._print(f"  | {text}")

    def result(self, result: TestResult) -> None:
        if result.binary is not None:
            self._per_binary.setdefault(result.binary, []).append(result)
        self._print(result_line(result, self.kernel))
        if result.status == FAIL:
            for detail in _shorten(result.diagnostics,
                                   keep_head=result.binary is None):
                self._print(f"      {detail}")

    def binary_done(self, binary: str, elapsed: float) -> None:
        """A test binary ended: its counts, its time, the run's time."""
        counts = Counts.of(self._per_binary.get(binary, []))
        since = self._clock() - self._started
        self._print(f"      {binary}: {counts.summary_line()} in "
                    f"{elapsed:.2f}s  [at {since:.1f}s]")

    def summary(self, results: List[TestResult]) -> Counts:
        """Recap the failures, then print the summary as the last line."""
        counts = Counts.of(results)
        failed = [result.name for result in results if result.status == FAIL]
        if failed:
            self._print(f"Failed ({len(failed)}):")
            for name in failed:
                self._print(f"  {name}")
        self._print(counts.summary_line())
        return counts


def _shorten(lines: List[str], keep_head: bool) -> List[str]:
    """At most MAX_DETAIL_LINES lines: the head of a report of the run
    (where a kernel report starts), the tail of a test's output (where it
    failed)."""
    if len(lines) <= MAX_DETAIL_LINES:
        return lines
    dropped = len(lines) - MAX_DETAIL_LINES
    if keep_head:
        return lines[:MAX_DETAIL_LINES] + [f"... ({dropped} more lines)"]
    return [f"... ({dropped} earlier lines)"] + lines[-MAX_DETAIL_LINES:]


def write_counts(path: str, counts: Counts) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f"{counts.passed} {counts.failed} {counts.skipped}\n")


def write_json(path: str, kernel: str, results: List[TestResult],
               run_info: dict) -> None:
    counts = Counts.of(results)
    document = {
        "kernel": kernel,
        "summary": {"passed": counts.passed, "failed": counts.failed,
                    "skipped": counts.skipped},
        "run": run_info,
        "tests": [result.to_json(kernel) for result in results],
    }
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")
