# SPDX-License-Identifier: GPL-2.0
"""Result records shared by the parser, the session and the reporters."""

from dataclasses import dataclass, field
from typing import List, Optional

PASS = "PASS"
FAIL = "FAIL"
SKIP = "SKIP"


@dataclass
class TestResult:
    """Outcome of one testcase, one test binary or one pseudo-test.

    name         full dotted name, e.g. "api_test.check_extension.unknown"
    binary       test binary the result came from (None for pseudo-tests
                 such as "kernel.log")
    status       PASS, FAIL or SKIP; an expected failure is a PASS whose
                 directive is XFAIL or the to-do directive
    duration     seconds, measured on the host from console arrival times
                 (for a whole binary: measured by the guest)
    reason       one-line explanation for FAIL and SKIP
    directive    TAP directive on the result line (SKIP, XFAIL, ...)
    requirements requirement IDs from "# REQ:" lines of the testcase
    diagnostics  output lines that belong to the testcase
    """

    name: str
    binary: Optional[str]
    status: str
    duration: float = 0.0
    reason: str = ""
    directive: Optional[str] = None
    requirements: List[str] = field(default_factory=list)
    diagnostics: List[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status == FAIL

    @classmethod
    def from_json(cls, record: dict) -> "TestResult":
        """A result as write_json stored it (the kernel is dropped)."""
        return cls(name=record["name"], binary=record.get("binary"),
                   status=record["status"],
                   duration=float(record.get("duration") or 0.0),
                   reason=record.get("reason") or "",
                   directive=record.get("directive"),
                   requirements=list(record.get("requirements") or []),
                   diagnostics=list(record.get("diagnostics") or []))

    def to_json(self, kernel: str) -> dict:
        return {
            "name": self.name,
            "binary": self.binary,
            "kernel": kernel,
            "status": self.status,
            "duration": round(self.duration, 3),
            "reason": self.reason,
            "directive": self.directive,
            "requirements": list(self.requirements),
            "diagnostics": list(self.diagnostics),
        }


def pseudo_failure(name: str, reason: str, diagnostics=()) -> TestResult:
    """A failed pseudo-test: a check of the run rather than of a testcase."""
    return TestResult(name=name, binary=None, status=FAIL, reason=reason,
                      diagnostics=list(diagnostics))


@dataclass
class Counts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    @classmethod
    def of(cls, results) -> "Counts":
        counts = cls()
        for result in results:
            if result.status == PASS:
                counts.passed += 1
            elif result.status == SKIP:
                counts.skipped += 1
            else:
                counts.failed += 1
        return counts

    def summary_line(self) -> str:
        return (f"{self.passed} passed, {self.failed} failed, "
                f"{self.skipped} skipped")
