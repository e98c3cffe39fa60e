# SPDX-License-Identifier: GPL-2.0
"""Kernel report detection and taint decoding.

KernelLogScanner looks at kernel messages one by one and records every
report that means the kernel under test misbehaved: WARN, BUG, Oops,
KASAN/UBSAN, lockdep splats, sleeping in atomic context, kmemleak leaks,
RCU stalls, hung tasks, and stack traces on their own.

A stack trace ("Call Trace:") right after a report header belongs to that
report and is not counted twice.  A stack trace after a known-benign header
(BENIGN_HEADERS, e.g. fault injection deliberately failing an allocation)
is not a report at all.
"""

import re
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

# (label, pattern) of the first line of a kernel report.
REPORT_PATTERNS: List[Tuple[str, re.Pattern]] = [
    (label, re.compile(pattern)) for label, pattern in [
        # Specific kinds first: their headers also contain WARNING: or BUG:.
        ("KASAN", r"\bKASAN:"),
        ("UBSAN", r"\bUBSAN:"),
        # The same checks in user space (the harness target's output).
        ("AddressSanitizer", r"\bERROR: (?:Address|Leak)Sanitizer\b"),
        ("UBSan", r":\d+:\d+: runtime error: "),
        ("lockdep", r"possible circular locking|possible recursive locking"
                    r"|inconsistent lock state"),
        ("sleeping in atomic context",
         r"sleeping function called from invalid context"),
        ("kmemleak", r"unreferenced object 0x|\bkmemleak: \d+ new suspected"),
        ("RCU stall", r"\b(?:self-)?detected stalls? on\b"),
        ("hung task", r"\bINFO: task .* blocked for more than"),
        ("general protection fault", r"general protection fault"),
        ("kernel BUG", r"\bkernel BUG\b"),
        ("WARNING", r"\bWARNING:"),
        ("BUG", r"\bBUG:"),
        ("Oops", r"\bOops\b"),
        ("kernel panic", r"Kernel panic - not syncing"),
        ("Call Trace", r"\bCall Trace:"),
    ]
]

# Messages that are followed by a stack trace on purpose: fault injection
# failing an allocation or a copy as the test asked for, the allocator's
# report of that failed allocation, and SysRq requests.
BENIGN_HEADERS = [
    re.compile(pattern) for pattern in [
        r"FAULT_INJECTION: forcing a failure",
        r"page allocation failure: order:",
        r"\bsysrq: ",
    ]
]

_END_OF_TRACE = re.compile(r"---\[ end trace")

# Kinds that, right after another report, are part of that report.
FOLLOW_UP_KINDS = ("Oops", "Call Trace")

# Lines after a header that still belong to the same report.
REPORT_WINDOW = 60
CONTEXT_LINES = 40


@dataclass
class KernelReport:
    """One kernel report: its kind, where it happened, and its lines."""
    kind: str
    context: Optional[str]          # test binary or phase when it happened
    lines: List[str] = field(default_factory=list)

    @property
    def headline(self) -> str:
        return self.lines[0] if self.lines else self.kind


class KernelLogScanner:
    """Feeds on kernel messages; collects KernelReport objects."""

    def __init__(self):
        self.reports: List[KernelReport] = []
        self._open: Optional[KernelReport] = None   # collecting context lines
        self._window = 0       # lines left in which a Call Trace is expected

    def feed(self, text: str, context: Optional[str] = None) -> None:
        """Scan one kernel message (printk timestamp already removed)."""
        kind = classify(text)
        if kind == "Call Trace" and self._window > 0:
            kind = None                      # part of the current report
        if kind in FOLLOW_UP_KINDS and self._open is not None:
            kind = None                      # e.g. the Oops line after a BUG:
        if kind is None and any(p.search(text) for p in BENIGN_HEADERS):
            self._open = None
            self._window = REPORT_WINDOW
            return
        if kind is not None:
            self._open = KernelReport(kind=kind, context=context,
                                      lines=[text])
            self.reports.append(self._open)
            self._window = REPORT_WINDOW
            return
        if self._window > 0:
            self._window -= 1
        if self._open is not None:
            self._open.lines.append(text)
            if len(self._open.lines) >= CONTEXT_LINES or \
                    _END_OF_TRACE.search(text):
                self._open = None


def classify(text: str) -> Optional[str]:
    """Kind of kernel report whose header text is, or None."""
    for label, pattern in REPORT_PATTERNS:
        if pattern.search(text):
            return label
    return None


# -- taint -------------------------------------------------------------------

# Bit, letter and meaning, as in Documentation/admin-guide/tainted-kernels.rst.
TAINT_FLAGS = [
    (0, "P", "proprietary module was loaded"),
    (1, "F", "module was force loaded"),
    (2, "S", "kernel running on an out of specification system"),
    (3, "R", "module was force unloaded"),
    (4, "M", "processor reported a Machine Check Exception"),
    (5, "B", "bad page referenced or unexpected page flags"),
    (6, "U", "taint requested by userspace application"),
    (7, "D", "kernel died recently (OOPS or BUG)"),
    (8, "A", "ACPI table overridden by user"),
    (9, "W", "kernel issued warning"),
    (10, "C", "staging driver was loaded"),
    (11, "I", "workaround for bug in platform firmware applied"),
    (12, "O", "externally-built (out-of-tree) module was loaded"),
    (13, "E", "unsigned module was loaded"),
    (14, "L", "soft lockup occurred"),
    (15, "K", "kernel has been live patched"),
    (16, "X", "auxiliary taint, defined for and used by distros"),
    (17, "T", "kernel was built with the struct randomization plugin"),
    (18, "N", "an in-kernel test has been run"),
    (19, "J", "userspace used a mutating debug operation in fwctl"),
]

TAINT_OUT_OF_TREE = 1 << 12
TAINT_UNSIGNED_MODULE = 1 << 13
# Loading the out-of-tree, unsigned modules under test sets these; any
# other bit (W in particular: a WARN happened) fails the run.
ALLOWED_TAINT = TAINT_OUT_OF_TREE | TAINT_UNSIGNED_MODULE


def taint_letters(value: int) -> str:
    """Letters of the set taint bits, e.g. 4608 -> "WO"."""
    letters = [letter for bit, letter, _ in TAINT_FLAGS if value & (1 << bit)]
    known = sum(1 << bit for bit, _, _ in TAINT_FLAGS)
    if value & ~known:
        letters.append(f"+{value & ~known:#x}")
    return "".join(letters)


def describe_taint(value: int) -> List[str]:
    """One "letter (bit N): meaning" line per set bit."""
    lines = []
    for bit, letter, meaning in TAINT_FLAGS:
        if value & (1 << bit):
            lines.append(f"{letter} (bit {bit}, {1 << bit}): {meaning}")
    known = sum(1 << bit for bit, _, _ in TAINT_FLAGS)
    if value & ~known:
        lines.append(f"unknown bits {value & ~known:#x}")
    return lines


def disallowed_taint(value: int, allowed: int = ALLOWED_TAINT) -> int:
    """The taint bits of value that fail the run."""
    return value & ~allowed
