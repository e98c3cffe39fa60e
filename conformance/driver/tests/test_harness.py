# SPDX-License-Identifier: GPL-2.0
"""The harness target: the tests against the core in user space.

The binaries are fake kselftest harness binaries and small scripts; the
"preloaded library" is a name the scripts print from LD_PRELOAD, so the
tests see what the binaries were given.  Reports (the shim's, the
sanitizers') are lines of the binaries' own output.
"""

import contextlib
import io
import json
import os
import shutil
import tempfile
import unittest

from tests.support import by_name, fake_harness

from ioasid_conform import cli
from ioasid_conform.inputs import SetupError
from ioasid_conform.kernel_log import classify
from ioasid_conform.selection import load_excluded

REPORTING_TEST = """\
#!/bin/sh
echo "TAP version 13"
echo "1..1"
echo "#  RUN           r.reports ..."
echo "# preload: $LD_PRELOAD; $ASAN_OPTIONS" >&2
echo "{report}" >&2
echo "ok 1 r.reports"
"""


class HarnessTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.tests = os.path.join(self.tmp, "tests")
        os.mkdir(self.tests)

    def write(self, name, text, mode=0o644, directory=None):
        path = os.path.join(directory or self.tmp, name)
        with open(path, "w") as handle:
            handle.write(text)
        os.chmod(path, mode)
        return path

    def harness(self, *extra):
        json_path = os.path.join(self.tmp, "r.json")
        log = os.path.join(self.tmp, "r.log")
        argv = ["harness", "--tests", self.tests, "--preload", "/lib/a.so",
                "--preload", "b.so", "--env", "ASAN_OPTIONS=x=1",
                "--json", json_path, "--log", log] + list(extra)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = cli.main(argv)
        with open(json_path) as handle:
            document = json.load(handle)
        return status, document, out.getvalue().splitlines(), log

    def results(self, document):
        return {r["name"]: r for r in document["tests"]}

    def test_clean_run_with_exclusions(self):
        fake_harness(os.path.join(self.tests, "x_test"),
                     [("f.a", "pass", []), ("f.forks", "fail", []),
                      ("f.c", "pass", [])])
        excluded = self.write("EXCLUDED", "# comment\n\n"
                              "x_test.f.forks  needs a shared core\n")
        status, document, lines, _ = self.harness("--excluded", excluded)
        self.assertEqual(status, 0, lines)
        results = self.results(document)
        self.assertEqual(results["x_test.f.forks"]["status"], "SKIP")
        self.assertEqual(results["x_test.f.forks"]["reason"],
                         "excluded: needs a shared core")
        self.assertEqual((results["x_test.f.a"]["status"],
                          results["x_test.f.c"]["status"]), ("PASS", "PASS"))
        self.assertEqual(document["kernel"], "user-space")
        self.assertEqual(document["run"]["target"], "harness")
        self.assertEqual(document["run"]["kernel_log"], "the tests' output")
        self.assertNotIn("kernel.log", results)
        self.assertNotIn("kernel.taint", results)
        self.assertEqual(lines[-1], "2 passed, 0 failed, 1 skipped")

    def test_environment_reaches_the_binaries(self):
        self.write("r_test", REPORTING_TEST.format(report="fine"), 0o755,
                   self.tests)
        status, _, _, log = self.harness()
        self.assertEqual(status, 0)
        with open(log) as handle:
            self.assertIn(f"# preload: /lib/a.so {os.path.abspath('b.so')}; "
                          f"x=1", handle.read())

    def test_a_report_in_the_output_fails_the_run(self):
        for report in ["ioasid-shim: WARNING: possible locking bug: lock "
                       "held when returning to user space at vfs.c:1",
                       "ioasid-shim: BUG: leak at exit: 3 pages still pinned",
                       "==1==ERROR: AddressSanitizer: heap-use-after-free",
                       "src/dma.adoc:12:3: runtime error: shift exponent"]:
            with self.subTest(report=report):
                self.write("r_test", REPORTING_TEST.format(report=report),
                           0o755, self.tests)
                status, document, _, _ = self.harness()
                self.assertEqual(status, 1)
                failure = self.results(document)["kernel.log"]
                self.assertEqual(failure["status"], "FAIL")
                self.assertIn(report, failure["reason"])
                self.assertIn("(during r_test)", failure["reason"])

    def test_an_exclusion_of_no_test_is_an_error(self):
        fake_harness(os.path.join(self.tests, "x_test"), [("f.a", "pass", [])])
        excluded = self.write("EXCLUDED", "x_test.f.gone  was removed\n")
        status, document, lines, _ = self.harness("--excluded", excluded)
        self.assertEqual(status, 1)
        failure = self.results(document)["driver.setup"]
        self.assertIn("excluded testcases that no binary", failure["reason"])
        self.assertIn("x_test.f.gone", failure["reason"])

    def test_exclusions_and_a_pattern(self):
        fake_harness(os.path.join(self.tests, "x_test"),
                     [("f.a", "pass", []), ("f.b", "fail", [])])
        fake_harness(os.path.join(self.tests, "y_test"), [("g.a", "pass", [])])
        excluded = self.write("EXCLUDED", "x_test.f.b  reason\n")
        status, document, lines, _ = self.harness(
            "--excluded", excluded, "--test", "x_test")
        self.assertEqual(status, 0, lines)
        self.assertEqual(sorted(self.results(document)),
                         ["x_test.f.a", "x_test.f.b"])


class LoadExcludedTest(unittest.TestCase):
    def load(self, text):
        with tempfile.NamedTemporaryFile("w", delete=False) as handle:
            handle.write(text)
        self.addCleanup(os.remove, handle.name)
        return load_excluded(handle.name)

    def test_names_and_reasons(self):
        self.assertEqual(self.load("# c\na.b.c  why  not\n\n  d.e  x\n"),
                         {"a.b.c": "why  not", "d.e": "x"})

    def test_a_reason_is_required(self):
        with self.assertRaisesRegex(SetupError, r":2: a.b: no reason"):
            self.load("# c\na.b\n")

    def test_twice(self):
        with self.assertRaisesRegex(SetupError, "excluded twice"):
            self.load("a.b x\na.b y\n")

    def test_unreadable(self):
        with self.assertRaisesRegex(SetupError, "cannot read"):
            load_excluded("/nonexistent/EXCLUDED")


class UserSpaceReportsTest(unittest.TestCase):
    def test_sanitizer_reports_are_reports(self):
        self.assertEqual(classify("==12==ERROR: AddressSanitizer: "
                                  "heap-buffer-overflow on address"),
                         "AddressSanitizer")
        self.assertEqual(classify("==12==ERROR: LeakSanitizer: detected"),
                         "AddressSanitizer")
        self.assertEqual(classify("src/dma.adoc:40:9: runtime error: "
                                  "signed integer overflow"), "UBSan")
        self.assertIsNone(classify("# a runtime error: in a test's words"))


if __name__ == "__main__":
    unittest.main()
