# SPDX-License-Identifier: GPL-2.0
"""JUnit XML output."""

import os
import shutil
import tempfile
import unittest
import xml.etree.ElementTree as ET

import tests.support  # noqa: F401

from ioasid_conform.junit import junit_tree, split_name, write_junit
from ioasid_conform.ktap import TO_DO_DIRECTIVE as TO_DO
from ioasid_conform.results import TestResult, pseudo_failure

RESULTS = [
    TestResult("api_test.dev.flags", "api_test", "PASS", 0.25,
               requirements=["REQ-ARG-FLAGS"],
               diagnostics=["# REQ: REQ-ARG-FLAGS", "#  OK  dev.flags"]),
    TestResult("api_test.dev.bad", "api_test", "FAIL", 1.0,
               reason="api_test.c:10:bad:Expected 0 (0) == ret (-22)",
               diagnostics=["# api_test.c:10:bad:Expected 0 (0) == ret (-22)",
                            "\x01control\x1b[0m"]),
    TestResult("api_test.global.pasid", "api_test", "SKIP", 0.0,
               reason="no PASID", directive="SKIP"),
    TestResult("api_test.dev.known", "api_test", "PASS", 0.0,
               reason="bug 7", directive=TO_DO),
    TestResult("crash_test", "crash_test", "FAIL", 2.0,
               reason="killed by signal SIGSEGV"),
    TestResult("k_test.suite.sub.case", "k_test", "PASS"),
    pseudo_failure("kernel.log", "1 kernel report; first: WARNING: x",
                   ["--- WARNING during api_test:", "WARNING: x"]),
]


class SplitNameTest(unittest.TestCase):
    def test_names(self):
        self.assertEqual([split_name(r) for r in RESULTS], [
            ("api_test.dev", "flags"), ("api_test.dev", "bad"),
            ("api_test.global", "pasid"), ("api_test.dev", "known"),
            ("crash_test", "crash_test"), ("k_test.suite.sub", "case"),
            ("run", "kernel.log")])

    def test_binary_without_fixture(self):
        self.assertEqual(split_name(TestResult("b.one", "b", "PASS")),
                         ("b", "one"))


class JunitTest(unittest.TestCase):
    def setUp(self):
        self.root = junit_tree([("6.12", RESULTS), ("debug", RESULTS[:1])])\
            .getroot()
        self.suite = self.root.find("testsuite")
        self.cases = self.suite.findall("testcase")

    def test_one_suite_per_kernel_with_counts(self):
        suites = self.root.findall("testsuite")
        self.assertEqual([s.get("name") for s in suites], ["6.12", "debug"])
        self.assertEqual({k: self.suite.get(k) for k in
                          ("tests", "failures", "skipped", "errors", "time")},
                         {"tests": "7", "failures": "3", "skipped": "1",
                          "errors": "0", "time": "3.250"})
        self.assertEqual((self.root.get("tests"), self.root.get("failures")),
                         ("8", "3"))
        prop = self.suite.find("properties/property")
        self.assertEqual((prop.get("name"), prop.get("value")),
                         ("kernel", "6.12"))

    def test_passed_case(self):
        case = self.cases[0]
        self.assertEqual((case.get("classname"), case.get("name"),
                          case.get("time")), ("api_test.dev", "flags", "0.250"))
        self.assertIsNone(case.find("failure"))
        self.assertEqual(case.find("system-out").text,
                         "# REQ: REQ-ARG-FLAGS\n#  OK  dev.flags")

    def test_failure_with_reason_and_output(self):
        case = self.cases[1]
        failure = case.find("failure")
        self.assertEqual(failure.get("message"),
                         "api_test.c:10:bad:Expected 0 (0) == ret (-22)")
        self.assertEqual(failure.text, failure.get("message"))
        out = case.find("system-out").text
        self.assertIn("Expected 0 (0) == ret (-22)", out)
        self.assertIn("\ufffdcontrol\ufffd[0m", out)

    def test_skip_and_expected_failure(self):
        skipped = self.cases[2].find("skipped")
        self.assertEqual(skipped.get("message"), "no PASID")
        known = self.cases[3]
        self.assertIsNone(known.find("failure"))
        self.assertEqual(known.find("system-out").text, f"# {TO_DO} bug 7")

    def test_run_checks(self):
        case = self.cases[6]
        self.assertEqual((case.get("classname"), case.get("name")),
                         ("run", "kernel.log"))
        self.assertIn("WARNING: x", case.find("system-out").text)

    def test_file_parses(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        path = os.path.join(tmp, "j.xml")
        write_junit(path, [("6.1", RESULTS)])
        with open(path, "rb") as handle:
            self.assertTrue(handle.read().startswith(b"<?xml version='1.0' "
                                                     b"encoding='utf-8'?>"))
        root = ET.parse(path).getroot()
        self.assertEqual(root.tag, "testsuites")
        self.assertEqual(len(root.findall("testsuite/testcase")), 7)


if __name__ == "__main__":
    unittest.main()
