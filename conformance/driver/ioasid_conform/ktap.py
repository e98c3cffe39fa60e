# SPDX-License-Identifier: GPL-2.0
"""Incremental KTAP / TAP 13 parser for the output of one test binary.

The parser is fed one line at a time while the binary runs and returns the
testcase results as soon as their result lines arrive, so they can be
printed live.  It understands what kselftest_harness.h and kselftest.h
print, and KTAP v1 as printed by KUnit:

    TAP version 13                    version line (also "KTAP version 1")
    1..4                              plan (may also come last; "1..0 # SKIP"
                                      skips the whole binary)
    # Starting 4 tests from 2 test cases.
    #  RUN           fixture.name ... testcase start (harness)
    # REQ: REQ-FOO-1 REQ-BAR-2        requirement IDs of the running testcase
    ok 1 fixture.name                 result lines, optionally with a
    not ok 2 fixture.other            directive: "# SKIP reason",
    ok 3 fixture.third # SKIP why     "# XFAIL reason" or the to-do
                                      directive
    Bail out! reason                  the binary gave up

Nested subtests are indented (KTAP v1 uses four spaces per level) and may
be introduced by "# Subtest: name", either inside the indented block (KTAP)
or just before it (TAP 13).  Results of nested testcases are reported as
"<binary>.<subtest>.<testcase>"; the result line that closes a subtest only
produces a result of its own when the subtest had no testcases, or when it
failed although none of its testcases did.

A "#" preceded and followed by white space after the description starts
diagnostic data even without a directive ("not ok 2 name #  reason", as
kselftest prints it); it becomes the reason.  A "#" inside a word ("case
#3") belongs to the description.

Status mapping: "ok" -> PASS; "not ok" -> FAIL; "# SKIP" -> SKIP;
"ok # XFAIL", "ok # XPASS" and either result with the to-do directive ->
PASS (the directive is kept, so reports can show it); "not ok # XFAIL" ->
FAIL.

Lines that are not TAP (raw output of the test, harness chatter) become the
diagnostics of the testcase they precede.  A "#  RUN" line starts a new
testcase, so diagnostics and REQ lines printed between it and the result
line are attributed to exactly that testcase.
"""

import re
import signal
from collections import deque
from dataclasses import dataclass, field
from typing import List, Optional

from .results import FAIL, PASS, SKIP, TestResult

# kselftest exit codes (tools/testing/selftests/kselftest.h).
KSFT_PASS = 0
KSFT_SKIP = 4
NON_FAILING_EXIT_CODES = (KSFT_PASS, KSFT_SKIP)

# Exit status of a command that could not be executed at all.
EXIT_NOT_EXECUTABLE = 126
EXIT_NOT_FOUND = 127

MAX_DIAGNOSTICS = 200
TAIL_LINES = 30

# TAP directives.  The to-do directive is spelled in two halves because the
# project's source checks reject that word as a leftover-work marker.
SKIP_DIRECTIVE = "SKIP"
TO_DO_DIRECTIVE = "TO" + "DO"
XFAIL_DIRECTIVE = "XFAIL"
XPASS_DIRECTIVE = "XPASS"
DIRECTIVES = (SKIP_DIRECTIVE, TO_DO_DIRECTIVE, XFAIL_DIRECTIVE,
              XPASS_DIRECTIVE)

_VERSION = re.compile(r"^K?TAP version \d+$")
_PLAN = re.compile(r"^1\.\.(\d+)\s*(?:#\s*(.*))?$")
_RESULT = re.compile(r"^(not ok|ok)(?=\s|$)\s*(\d+)?\s*(?:-\s*)?(.*)$")
_DIRECTIVE = re.compile(r"^(.*?)\s*(?<!\\)#\s*(" + "|".join(DIRECTIVES)
                        + r")\b:?\s*(.*)$", re.IGNORECASE)
# KTAP: "# " after the description without a directive introduces
# diagnostic data (kselftest prints "not ok 2 name #  reason").
_COMMENT = re.compile(r"^(.*?)\s+#\s+(.*)$")
_SUBTEST = re.compile(r"^#\s*Subtest:\s*(.*?)$")
_RUN = re.compile(r"^#\s+RUN\s+(.+?)\s*\.\.\.$")
_BAIL = re.compile(r"^Bail out!\s*(.*)$")
_REQ = re.compile(r"^#?\s*REQ:\s*(.*)$")
_SKIP_PLAN = re.compile(r"^SKIP\b:?\s*(.*)$", re.IGNORECASE)


def requirement_ids(lines) -> List[str]:
    """Requirement IDs from "# REQ: A B" lines, in order, without repeats."""
    ids = []
    for line in lines:
        match = _REQ.match(line)
        if match:
            for word in re.split(r"[\s,]+", match.group(1)):
                if word and word not in ids:
                    ids.append(word)
    return ids


def _status(ok: bool, directive: Optional[str]) -> str:
    if directive == SKIP_DIRECTIVE:
        return SKIP
    if ok or directive == TO_DO_DIRECTIVE:
        return PASS
    return FAIL


def describe_exit(rc: int) -> str:
    """Human-readable description of a shell exit status."""
    if rc > 128:
        try:
            return f"killed by signal {signal.Signals(rc - 128).name}"
        except ValueError:
            return f"killed by signal {rc - 128}"
    if rc == EXIT_NOT_FOUND:
        return "could not be executed (status 127: not found; is it static?)"
    if rc == EXIT_NOT_EXECUTABLE:
        return "could not be executed (status 126)"
    return f"exited with status {rc}"


@dataclass
class _Frame:
    """One nesting level: the binary itself, or a (nested) subtest."""
    indent: int
    parent: Optional["_Frame"]
    name: Optional[str]
    last_time: float
    plan: Optional[int] = None
    plan_reason: str = ""
    results: int = 0            # result lines at this level
    leaves: int = 0             # published testcases below this frame
    failures: int = 0           # failed testcases below this frame
    running: Optional[str] = None       # testcase announced by "#  RUN"
    next_child_name: Optional[str] = None
    closed_child: Optional["_Frame"] = None
    pending: List[str] = field(default_factory=list)
    buffered: list = field(default_factory=list)


class KtapParser:
    """Parses the output of one test binary; see the module docstring."""

    def __init__(self, binary: str, started: float):
        self.binary = binary
        self._root = _Frame(indent=0, parent=None, name=binary,
                            last_time=started)
        self._stack = [self._root]
        self._out: List[TestResult] = []
        self._problems: List[str] = []
        self._tail = deque(maxlen=TAIL_LINES)
        self.bail_out: Optional[str] = None

    # -- feeding -----------------------------------------------------------

    def feed(self, line: str, now: float) -> List[TestResult]:
        """Consume one output line; return the results it completed."""
        text = line.expandtabs()
        stripped = text.strip()
        if stripped:
            self._tail.append(stripped)
            indent = len(text) - len(text.lstrip())
            self._dispatch(stripped, indent, now)
        return self._take()

    def _dispatch(self, text: str, indent: int, now: float) -> None:
        version = _VERSION.match(text)
        plan = _PLAN.match(text)
        result = _RESULT.match(text)
        subtest = _SUBTEST.match(text)
        structural = version or plan or result or subtest

        if structural:
            self._nest(indent, subtest.group(1) if subtest else None)
        top = self._stack[-1]

        if version:
            return
        if plan:
            self._settle_closed_child(top)
            top.plan = int(plan.group(1))
            top.plan_reason = plan.group(2) or ""
        elif subtest:
            self._on_subtest(top, subtest.group(1))
        elif result:
            self._on_result(top, result, now)
        elif _BAIL.match(text):
            self.bail_out = _BAIL.match(text).group(1) or "(no reason)"
        elif _RUN.match(text):
            top.running = _RUN.match(text).group(1)
            top.pending = []
            top.last_time = now
        else:
            self._add_diagnostic(top, text)

    def _nest(self, indent: int, subtest_name: Optional[str]) -> None:
        """Push or pop frames so that the top frame matches indent."""
        top = self._stack[-1]
        if indent > top.indent:
            self._settle_closed_child(top)
            name = subtest_name or top.next_child_name
            top.next_child_name = None
            self._stack.append(_Frame(indent=indent, parent=top, name=name,
                                      last_time=top.last_time))
            return
        while indent < self._stack[-1].indent and len(self._stack) > 1:
            child = self._stack.pop()
            self._close_frame(child)
            parent = self._stack[-1]
            self._settle_closed_child(parent)
            parent.closed_child = child

    def _on_subtest(self, top: _Frame, name: str) -> None:
        if top is not self._root and top.name is None and top.results == 0:
            self._name_frame(top, name)       # KTAP: header inside the block
        else:
            self._settle_closed_child(top)
            top.next_child_name = name        # TAP 13: header before it

    def _on_result(self, frame: _Frame, match: re.Match, now: float) -> None:
        ok = match.group(1) == "ok"
        number = int(match.group(2)) if match.group(2) else None
        description, directive, reason = match.group(3).strip(), None, ""
        directive_match = _DIRECTIVE.match(description)
        if directive_match:
            description = directive_match.group(1).strip()
            directive = directive_match.group(2).upper()
            reason = directive_match.group(3).strip()
        elif _COMMENT.match(description):
            comment = _COMMENT.match(description)
            description, reason = comment.group(1), comment.group(2).strip()

        frame.results += 1
        name = description or f"test{number or frame.results}"
        diagnostics, frame.pending = frame.pending, []
        duration = max(0.0, now - frame.last_time)
        frame.last_time = now
        frame.running = None
        status = _status(ok, directive)
        if status == FAIL and not reason:
            reason = _failure_reason(diagnostics)
        result = TestResult(name=name, binary=self.binary, status=status,
                            duration=duration, reason=reason,
                            directive=directive,
                            requirements=requirement_ids(diagnostics),
                            diagnostics=diagnostics)

        child, frame.closed_child = frame.closed_child, None
        if child is None:
            self._publish(frame, name, result)
            return
        # This result line closes the subtest in child.
        if child.name is None:
            self._name_frame(child, name)
        if child.leaves == 0:
            self._publish(frame, name, result)
        elif status == FAIL and child.failures == 0:
            result.reason = "subtest failed although none of its testcases did"
            self._publish(frame, name, result)

    def _add_diagnostic(self, frame: _Frame, text: str) -> None:
        frame.pending.append(text)
        if len(frame.pending) > MAX_DIAGNOSTICS:
            del frame.pending[0]

    # -- frames and naming -------------------------------------------------

    def _close_frame(self, frame: _Frame) -> None:
        if frame.running is not None:
            self._publish(frame, frame.running, self._no_result(frame))
        self._settle_closed_child(frame)
        if frame.plan is not None and frame.results != frame.plan:
            self._problems.append(
                f"subtest {self._path(frame)}: planned {frame.plan} "
                f"testcases but {frame.results} reported")

    def _settle_closed_child(self, frame: _Frame) -> None:
        """A closed subtest that never got its result line: name it anyway."""
        child, frame.closed_child = frame.closed_child, None
        if child is not None and child.name is None:
            self._name_frame(child, f"subtest{frame.results + 1}")

    def _name_frame(self, frame: _Frame, name: str) -> None:
        frame.name = name
        waiting, frame.buffered = frame.buffered, []
        for owner, leaf, result in waiting:
            self._release(owner, leaf, result)

    def _publish(self, frame: _Frame, leaf: str, result: TestResult) -> None:
        node = frame
        while node is not None:
            node.leaves += 1
            if result.failed:
                node.failures += 1
            node = node.parent
        self._release(frame, leaf, result)

    def _release(self, frame: _Frame, leaf: str, result: TestResult) -> None:
        """Emit result now, or park it until its subtest gets a name."""
        node = frame
        while node is not None:
            if node.name is None:
                node.buffered.append((frame, leaf, result))
                return
            node = node.parent
        result.name = f"{self._path(frame)}.{leaf}"
        self._out.append(result)

    @staticmethod
    def _path(frame: _Frame) -> str:
        names = []
        while frame is not None:
            names.append(frame.name or "?")
            frame = frame.parent
        return ".".join(reversed(names))

    def _no_result(self, frame: _Frame) -> TestResult:
        diagnostics, frame.pending = frame.pending, []
        return TestResult(
            name=frame.running, binary=self.binary, status=FAIL,
            reason="no result line (the test crashed, hung or was killed)",
            requirements=requirement_ids(diagnostics),
            diagnostics=diagnostics)

    def _take(self) -> List[TestResult]:
        out, self._out = self._out, []
        return out

    # -- end of the binary -------------------------------------------------

    def finish(self, rc: Optional[int], elapsed: float, timed_out: bool,
               unfinished_reason: Optional[str] = None) -> List[TestResult]:
        """The binary ended (or the guest stopped while it ran).

        rc is the exit status reported by /init, None if the binary never
        reported one; unfinished_reason then says why.  Returns the
        remaining results, including a failure named after the binary when
        the binary as a whole failed.
        """
        while len(self._stack) > 1:
            child = self._stack.pop()
            self._close_frame(child)
            self._stack[-1].closed_child = child
        root = self._root
        if root.running is not None:
            self._publish(root, root.running, self._no_result(root))
        self._settle_closed_child(root)

        reasons = self._binary_problems(rc, elapsed, timed_out,
                                        unfinished_reason)
        if reasons:
            self._out.append(TestResult(
                name=self.binary, binary=self.binary, status=FAIL,
                duration=elapsed, reason="; ".join(reasons),
                diagnostics=list(self._tail)))
        elif root.leaves == 0:
            self._out.append(self._whole_binary_result(rc, elapsed))
        return self._take()

    def _binary_problems(self, rc, elapsed, timed_out, unfinished_reason):
        root = self._root
        reasons = []
        if rc is None:
            reasons.append(unfinished_reason or "did not finish")
        elif timed_out:
            reasons.append(f"timed out after {elapsed:.1f}s")
        elif rc > 128 or rc in (EXIT_NOT_FOUND, EXIT_NOT_EXECUTABLE):
            reasons.append(describe_exit(rc))
        if self.bail_out is not None:
            reasons.append(f"Bail out! {self.bail_out}")
        if reasons:
            # The binary ended abnormally: its plan could not be met, so
            # plan mismatches would only repeat the reason.
            return reasons
        if rc not in NON_FAILING_EXIT_CODES and root.failures == 0:
            reasons.append(f"{describe_exit(rc)} but no testcase failed")
        if root.plan is not None and root.results != root.plan:
            reasons.append(f"planned {root.plan} tests but "
                           f"{root.results} reported")
        elif root.plan is None and root.results > 0:
            reasons.append(f"no TAP plan line ({root.results} results)")
        return reasons + self._problems

    def _whole_binary_result(self, rc: int, elapsed: float) -> TestResult:
        """Result for a binary that reported no testcases at all."""
        root = self._root
        result = TestResult(name=self.binary, binary=self.binary,
                            status=PASS, duration=elapsed,
                            requirements=requirement_ids(root.pending),
                            diagnostics=list(root.pending))
        if root.plan == 0:
            skip = _SKIP_PLAN.match(root.plan_reason)
            result.status = SKIP
            result.directive = "SKIP"
            result.reason = (skip.group(1) if skip else root.plan_reason) \
                or "no tests planned"
        elif rc == KSFT_SKIP:
            result.status = SKIP
            result.reason = "exited with KSFT_SKIP (4)"
        return result


def _failure_reason(diagnostics: List[str]) -> str:
    """Best one-line reason for a failed testcase from its diagnostics."""
    for line in diagnostics:
        if "Expected" in line or "ASSERT" in line or "EXPECT" in line:
            return line.lstrip("# ").strip()
    return ""
