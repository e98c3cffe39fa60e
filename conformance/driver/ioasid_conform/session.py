# SPDX-License-Identifier: GPL-2.0
"""Following one guest run on its console.

ConsoleSession receives the cleaned console lines in order.  Marker lines
move it from phase to phase (module loading, test binaries, unloading,
shutdown); the output between TEST-BEGIN and TEST-END goes to a KtapParser
for that binary; every kernel message goes to the KernelLogScanner, tagged
with the phase it appeared in.  When QEMU is gone, finish() settles what
is still open and asks verdict.judge() for the checks of the run itself.
"""

import signal
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, List, Optional

from . import markers
from .console import ConsoleLine, split_kernel_text
from .kernel_log import KernelLogScanner
from .ktap import KtapParser
from .results import FAIL, TestResult
from .verdict import GuestState, ModuleStep, QemuOutcome, judge

TAIL_LINES = 30

# Exit statuses of a test that busybox timeout stopped: GNU-style 124, or
# the status of a process killed by the TERM signal or, after the grace
# period, by KILL.
TIMEOUT_EXIT_CODES = (124, 128 + signal.SIGTERM, 128 + signal.SIGKILL)
# /proc/uptime has centisecond resolution; allow for rounding.
TIMEOUT_SLACK = 0.5


def is_timeout(rc: Optional[int], elapsed: float, test_timeout: float) -> bool:
    """Did busybox timeout stop the binary (rather than it dying alone)?"""
    return rc in TIMEOUT_EXIT_CODES and elapsed >= test_timeout - TIMEOUT_SLACK


@dataclass
class _RunningTest:
    name: str
    parser: KtapParser
    started: float


@dataclass
class SessionResult:
    results: List[TestResult]
    state: GuestState
    tail: List[str] = field(default_factory=list)


class ConsoleSession:
    """State machine over the console lines of one guest run."""

    def __init__(self, binaries: List[str], test_timeout: float,
                 on_result: Optional[Callable[[TestResult], None]] = None,
                 on_binary: Optional[Callable[[str, float], None]] = None):
        """on_result(result) is called for every result as it is known,
        on_binary(name, elapsed) when a test binary has ended."""
        self.binaries = list(binaries)
        self.test_timeout = test_timeout
        self.state = GuestState()
        self.scanner = KernelLogScanner()
        self.results: List[TestResult] = []
        self.tail = deque(maxlen=TAIL_LINES)
        self._on_result = on_result
        self._on_binary = on_binary
        self._test: Optional[_RunningTest] = None
        self._step: Optional[ModuleStep] = None
        self._phase = "boot"
        self._started = set()
        self._fragment = ""

    @property
    def done(self) -> bool:
        """The guest printed its final marker."""
        return self.state.verdict is not None

    def feed(self, line: ConsoleLine) -> None:
        self.tail.append(line.text)
        user_part, kernel_text = split_kernel_text(line.text)
        if kernel_text is not None:
            self.scanner.feed(kernel_text, self._context())
            # A kernel message cut into a line of user output; the rest of
            # that line comes with the next line that is not a kernel one.
            self._fragment += user_part
            return
        text, self._fragment = self._fragment + line.text, ""
        before, marker = markers.split(text)
        if before:
            self._user_line(before, line.time)
        if marker is not None:
            self._on_marker(marker, line.time)

    def _user_line(self, text: str, now: float) -> None:
        if self._test is not None:
            self._emit(self._test.parser.feed(text, now))
        elif self._step is not None:
            self._step.output.append(text)
        else:
            # /init's own output, or kernel messages printed without a
            # timestamp (printk.time=0 on the command line).
            self.scanner.feed(text, self._context())

    def _context(self) -> str:
        return self._test.name if self._test is not None else self._phase

    def _emit(self, results: List[TestResult]) -> None:
        for result in results:
            self.results.append(result)
            if self._on_result is not None:
                self._on_result(result)

    # -- markers -----------------------------------------------------------

    def _on_marker(self, marker: markers.Marker, now: float) -> None:
        kind, state = marker.kind, self.state
        if kind == markers.BOOT:
            state.booted = True
            state.release = marker.fields.get("kernel")
        elif kind == markers.TAINT_BOOT:
            state.boot_taint = marker.int_field("value")
        elif kind in (markers.INSMOD_BEGIN, markers.RMMOD_BEGIN):
            action = "load" if kind == markers.INSMOD_BEGIN else "unload"
            self._step = ModuleStep(name=marker.name or "?", action=action)
            state.module_steps.append(self._step)
            self._phase = self._step.command
        elif kind in (markers.INSMOD_END, markers.RMMOD_END):
            if self._step is not None:
                self._step.rc = marker.int_field("rc")
                self._phase = f"after {self._step.command}"
            self._step = None
        elif kind == markers.TEST_BEGIN:
            self._abandon_test("the next test binary started without an "
                               "end marker for it", now)
            name = marker.name or "?"
            self._started.add(name)
            self._test = _RunningTest(name, KtapParser(name, now), now)
        elif kind == markers.TEST_END:
            self._end_test(marker, now)
        elif kind in (markers.KMEMLEAK_BEGIN, markers.KMEMLEAK_END):
            self._phase = "kmemleak scan"
        elif kind == markers.TAINT:
            state.taint = marker.int_field("value")
            self._phase = "shutdown"
        elif kind == markers.DONE:
            self._abandon_test("no end marker before the final marker", now)
            self._step = None
            state.verdict = marker.int_field("verdict")
            if state.verdict is None:
                state.verdict = 1
            self._phase = "shutdown"
        elif kind == markers.POWEROFF:
            state.poweroff = True

    def _end_test(self, marker: markers.Marker, now: float) -> None:
        test = self._test
        if test is None:
            return
        if test.name != marker.name:
            self._abandon_test("end marker names another binary", now)
            return
        self._test = None
        rc = marker.int_field("rc")
        elapsed = marker.float_field("elapsed")
        if elapsed is None:
            elapsed = now - test.started
        timed_out = is_timeout(rc, elapsed, self.test_timeout)
        self._emit(test.parser.finish(rc, elapsed, timed_out,
                                      "no exit status reported"))
        self._binary_done(test.name, elapsed)
        self._phase = f"after {test.name}"

    def _abandon_test(self, reason: str, now: float) -> None:
        test, self._test = self._test, None
        if test is not None:
            self._emit(test.parser.finish(None, now - test.started, False,
                                          reason))
            self._binary_done(test.name, now - test.started)

    def _binary_done(self, name: str, elapsed: float) -> None:
        if self._on_binary is not None:
            self._on_binary(name, elapsed)

    # -- end of the run ----------------------------------------------------

    def finish(self, outcome: QemuOutcome, now: float) -> SessionResult:
        """QEMU is gone: settle open work and judge the run."""
        if self._fragment:
            self._user_line(self._fragment, now)
            self._fragment = ""
        if outcome.timed_out:
            why = "the run timeout expired while it ran"
        else:
            why = "the guest stopped while it ran (crash, panic or reboot)"
        self._abandon_test(why, now)
        self._emit(self._not_run(outcome))
        host_failed = any(result.status == FAIL for result in self.results)
        self._emit(judge(self.state, outcome, self.scanner.reports,
                         host_failed, list(self.tail)))
        return SessionResult(self.results, self.state, list(self.tail))

    def _not_run(self, outcome: QemuOutcome) -> List[TestResult]:
        failed_loads = [step.name for step in self.state.module_steps
                        if step.action == "load" and step.rc != 0]
        if failed_loads:
            why = f"module {failed_loads[0]} failed to load"
        elif outcome.timed_out:
            why = "the run timeout expired before it"
        elif self.state.verdict is None:
            why = "the guest stopped before it"
        else:
            why = "/init did not start it"
        return [TestResult(name=name, binary=name, status=FAIL,
                           reason=f"did not run: {why}")
                for name in self.binaries if name not in self._started]
