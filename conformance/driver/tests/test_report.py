# SPDX-License-Identifier: GPL-2.0
"""Live result lines, the summary, and the JSON and counts files."""

import io
import json
import os
import tempfile
import unittest

import tests.support  # noqa: F401

from ioasid_conform.ktap import TO_DO_DIRECTIVE as TO_DO
from ioasid_conform.report import (MAX_DETAIL_LINES, Reporter, result_line,
                                   write_counts, write_json)
from ioasid_conform.results import Counts, TestResult, pseudo_failure

RESULTS = [
    TestResult("a.ok", "a", "PASS", 0.5, requirements=["REQ-1"]),
    TestResult("a.bad", "a", "FAIL", 1.0, reason="boom",
               diagnostics=["# a.c:1:bad:Expected 1 == 2"]),
    TestResult("a.skip", "a", "SKIP", 0.0, reason="no hw", directive="SKIP"),
    TestResult("a.xfail", "a", "PASS", 0.0, directive="XFAIL"),
    pseudo_failure("kernel.log", "1 kernel report", ["WARNING: x"]),
]


class ResultLineTest(unittest.TestCase):
    def test_formats(self):
        cases = [
            (TestResult("a.b", "a", "PASS", 0.123), "PASS  [6.12] a.b  (0.12s)"),
            (TestResult("a.c", "a", "FAIL", 1.0, reason="boom"),
             "FAIL  [6.12] a.c  (1.00s)  boom"),
            (TestResult("a.d", "a", "SKIP", 0.0, reason="no hw",
                        directive="SKIP"),
             "SKIP  [6.12] a.d  (0.00s)  no hw"),
            (TestResult("a.e", "a", "PASS", 0.0, reason="bug 1",
                        directive=TO_DO),
             f"PASS  [6.12] a.e  (0.00s)  # {TO_DO} bug 1"),
        ]
        for result, line in cases:
            self.assertEqual(result_line(result, "6.12"), line)


class ReporterTest(unittest.TestCase):
    def setUp(self):
        self.out = io.StringIO()
        self.reporter = Reporter("6.12", self.out)

    def lines(self):
        return self.out.getvalue().splitlines()

    def test_failures_show_their_diagnostics(self):
        for result in RESULTS:
            self.reporter.result(result)
        self.assertEqual(self.lines(), [
            "PASS  [6.12] a.ok  (0.50s)",
            "FAIL  [6.12] a.bad  (1.00s)  boom",
            "      # a.c:1:bad:Expected 1 == 2",
            "SKIP  [6.12] a.skip  (0.00s)  no hw",
            "PASS  [6.12] a.xfail  (0.00s)  # XFAIL",
            "FAIL  [6.12] kernel.log  (0.00s)  1 kernel report",
            "      WARNING: x"])

    def test_summary_is_the_last_line(self):
        counts = self.reporter.summary(RESULTS)
        self.assertEqual(self.lines(), ["Failed (2):", "  a.bad", "  kernel.log",
                                        "2 passed, 2 failed, 1 skipped"])
        self.assertEqual((counts.passed, counts.failed, counts.skipped),
                         (2, 2, 1))

    def test_all_passed_summary(self):
        self.reporter.summary(RESULTS[:1])
        self.assertEqual(self.lines(), ["1 passed, 0 failed, 0 skipped"])

    def test_long_test_output_keeps_its_tail(self):
        lines = [f"line {i}" for i in range(100)]
        self.reporter.result(TestResult("a.b", "a", "FAIL", diagnostics=lines))
        shown = self.lines()[1:]
        self.assertEqual(len(shown), MAX_DETAIL_LINES + 1)
        self.assertEqual(shown[0].strip(), "... (40 earlier lines)")
        self.assertEqual(shown[-1].strip(), "line 99")

    def test_long_run_report_keeps_its_head(self):
        lines = [f"line {i}" for i in range(100)]
        self.reporter.result(pseudo_failure("kernel.log", "x", lines))
        shown = self.lines()[1:]
        self.assertEqual(shown[0].strip(), "line 0")
        self.assertEqual(shown[-1].strip(), "... (40 more lines)")

    def test_console_only_when_verbose(self):
        self.reporter.console("quiet")
        Reporter("6.12", self.out, verbose=True).console("loud")
        self.assertEqual(self.lines(), ["  | loud"])


class FilesTest(unittest.TestCase):
    def setUp(self):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.tmp = directory.name

    def test_counts(self):
        path = os.path.join(self.tmp, "c")
        write_counts(path, Counts.of(RESULTS))
        with open(path) as handle:
            self.assertEqual(handle.read(), "2 2 1\n")

    def test_json(self):
        path = os.path.join(self.tmp, "j")
        write_json(path, "6.12", RESULTS, {"qemu_exit_status": 3})
        with open(path) as handle:
            document = json.load(handle)
        self.assertEqual(document["kernel"], "6.12")
        self.assertEqual(document["summary"],
                         {"passed": 2, "failed": 2, "skipped": 1})
        self.assertEqual(document["run"], {"qemu_exit_status": 3})
        self.assertEqual(document["tests"][0], {
            "name": "a.ok", "binary": "a", "kernel": "6.12", "status": "PASS",
            "duration": 0.5, "reason": "", "directive": None,
            "requirements": ["REQ-1"], "diagnostics": []})
        self.assertIsNone(document["tests"][4]["binary"])


if __name__ == "__main__":
    unittest.main()
