#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Run the conformance driver's own tests (unittest, standard library only).

    python3 conformance/driver/selftest.py [--counts OUT.counts] [-k PATTERN]

prints one line per test,

    PASS  tests.test_ktap.DirectiveTest.test_skip  (0.00s)

with the traceback under each failure, and as its last line

    driver-selftest: N passed, N failed, N skipped

--counts writes "P F S" to a file.  The exit status is 0 only if no test
failed (and at least one ran).  Set IOASID_TEST_KERNEL=/path/to/vmlinuz to
include the tests that boot a real kernel in QEMU.
"""

import argparse
import os
import sys
import time
import unittest

sys.dont_write_bytecode = True      # keep the source tree clean
DRIVER_DIR = os.path.dirname(os.path.abspath(__file__))
TESTS_DIR = os.path.join(DRIVER_DIR, "tests")

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"


class LineResult(unittest.TestResult):
    """Prints one line per test when it finishes and counts outcomes."""

    def __init__(self, stream):
        super().__init__()
        self.out = stream
        self.counts = {PASS: 0, FAIL: 0, SKIP: 0}
        self._started = {}
        self._outcome = {}

    def startTest(self, test):
        super().startTest(test)
        self._started[test.id()] = time.monotonic()
        self._outcome[test.id()] = (PASS, "", "")

    def stopTest(self, test):
        super().stopTest(test)
        test_id = test.id()
        duration = time.monotonic() - self._started.pop(test_id)
        self._report(test_id, *self._outcome.pop(test_id), duration)

    def _set(self, test, status, reason="", details=""):
        test_id = test.id()
        if test_id not in self._outcome:
            # A class or module level problem: there is no startTest/stopTest.
            self._report(test_id, status, reason, details, 0.0)
        elif self._outcome[test_id][0] != FAIL:
            self._outcome[test_id] = (status, reason, details)

    def _report(self, test_id, status, reason, details, duration):
        self.counts[status] += 1
        line = f"{status:<4}  {test_id}  ({duration:.2f}s)"
        if reason:
            line += f"  {reason}"
        self.out.write(line + "\n")
        for detail in details.rstrip().splitlines():
            self.out.write(f"      {detail}\n")
        self.out.flush()

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._set(test, FAIL, details=self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._set(test, FAIL, details=self._exc_info_to_string(err, test))

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._set(test, FAIL, reason=subtest._subDescription(),
                      details=self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._set(test, SKIP, reason=reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._set(test, FAIL, reason="unexpected success")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Run the conformance driver's own tests.")
    parser.add_argument("--counts", metavar="OUT.counts",
                        help='write "passed failed skipped" on one line')
    parser.add_argument("-k", dest="patterns", action="append",
                        metavar="PATTERN",
                        help="only tests whose name matches (unittest -k)")
    args = parser.parse_args(argv)

    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = [p if "*" in p else f"*{p}*"
                                   for p in args.patterns]
    suite = loader.discover(TESTS_DIR, top_level_dir=DRIVER_DIR)
    result = LineResult(sys.stdout)
    suite.run(result)

    counts = result.counts
    if args.counts:
        with open(args.counts, "w", encoding="utf-8") as handle:
            handle.write(f"{counts[PASS]} {counts[FAIL]} {counts[SKIP]}\n")
    print(f"driver-selftest: {counts[PASS]} passed, {counts[FAIL]} failed, "
          f"{counts[SKIP]} skipped", flush=True)
    ran = counts[PASS] + counts[FAIL]
    return 0 if counts[FAIL] == 0 and ran > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
