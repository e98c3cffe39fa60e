# SPDX-License-Identifier: GPL-2.0
"""Judging a run as a whole.

Besides the testcases, a run fails when the machinery around them shows a
problem.  Each such problem becomes a failed pseudo-test:

    qemu.start       QEMU could not be started
    qemu.timeout     the host's run timeout expired; QEMU was killed
    guest.boot       /init never ran (kernel did not boot, bad initramfs)
    guest.finish     /init never printed its final marker (hang, panic)
    module.load.M    insmod of module M failed (or never completed)
    module.unload.M  rmmod of module M failed (or never completed)
    kernel.log       the kernel printed a report (WARNING, BUG, Oops, ...)
    kernel.taint     a taint bit other than O and E is set
    qemu.exit        QEMU's exit status does not match the guest's verdict
    guest.verdict    the guest reported failure but the host found none
"""

from dataclasses import dataclass, field
from typing import List, Optional

from .kernel_log import (KernelReport, describe_taint, disallowed_taint,
                         taint_letters)
from .qemu import debug_exit_status
from .results import TestResult, pseudo_failure


@dataclass
class ModuleStep:
    """One insmod or rmmod in the guest."""
    name: str
    action: str                  # "load" or "unload"
    rc: Optional[int] = None     # None: no end marker seen
    output: List[str] = field(default_factory=list)

    @property
    def command(self) -> str:
        """The guest command, e.g. "insmod ioasid"."""
        return f"{'insmod' if self.action == 'load' else 'rmmod'} {self.name}"


@dataclass
class GuestState:
    """What the guest reported through its markers."""
    booted: bool = False
    release: Optional[str] = None
    boot_taint: Optional[int] = None
    taint: Optional[int] = None
    verdict: Optional[int] = None    # from the final marker
    poweroff: bool = False           # isa-debug-exit did not stop QEMU
    module_steps: List[ModuleStep] = field(default_factory=list)


@dataclass
class QemuOutcome:
    """How QEMU ended."""
    returncode: Optional[int] = None
    timed_out: bool = False          # killed at the run timeout
    run_timeout: float = 0.0
    lingered: bool = False           # killed: did not exit after the guest
    start_error: Optional[str] = None
    stderr: str = ""


def judge(state: GuestState, outcome: QemuOutcome,
          reports: List[KernelReport], host_failed: bool,
          tail: List[str]) -> List[TestResult]:
    """Failed pseudo-tests for the run (empty when all is well).

    host_failed says whether a testcase or binary already failed; tail is
    the last console lines, shown when the guest did not finish.
    """
    failures: List[TestResult] = []
    stderr = [f"qemu: {line}" for line in outcome.stderr.splitlines()]

    if outcome.start_error is not None:
        return [pseudo_failure("qemu.start", outcome.start_error)]
    if outcome.timed_out:
        failures.append(pseudo_failure(
            "qemu.timeout",
            f"run timeout of {outcome.run_timeout:g}s expired, QEMU killed; "
            f"last {len(tail)} console lines follow", tail + stderr))
    elif not state.booted:
        failures.append(pseudo_failure(
            "guest.boot", f"/init never ran (QEMU exit status "
            f"{outcome.returncode}); last console lines follow",
            tail + stderr))
    elif state.verdict is None:
        failures.append(pseudo_failure(
            "guest.finish", "the guest did not reach the final marker "
            "(hang, crash or panic); last console lines follow",
            tail + stderr))

    failures += module_failures(state.module_steps)
    if reports:
        failures.append(kernel_log_failure(reports))
    failures += _taint_failure(state)
    failures += _exit_status_failure(state, outcome)

    if state.verdict and not host_failed and not failures:
        failures.append(pseudo_failure(
            "guest.verdict", f"the guest reported failure (verdict "
            f"{state.verdict}) but no failing test was found"))
    return failures


def module_failures(steps: List[ModuleStep]) -> List[TestResult]:
    """module.load.M / module.unload.M for the steps that failed."""
    failures = []
    for step in steps:
        if step.rc == 0:
            continue
        if step.rc is None:
            reason = f"{step.command} did not complete"
        else:
            reason = f"{step.command} failed with status {step.rc}"
        failures.append(pseudo_failure(f"module.{step.action}.{step.name}",
                                       reason, step.output))
    return failures


def kernel_log_failure(reports: List[KernelReport]) -> TestResult:
    """kernel.log: every report, the first one in the reason."""
    diagnostics = []
    for report in reports:
        diagnostics.append(f"--- {report.kind} during {report.context}:")
        diagnostics.extend(report.lines)
    first = reports[0]
    count = f"{len(reports)} kernel report{'s' if len(reports) > 1 else ''}"
    return pseudo_failure(
        "kernel.log",
        f"{count}; first: {first.headline} (during {first.context})",
        diagnostics)


def _taint_failure(state: GuestState) -> List[TestResult]:
    if state.taint is None:
        return []
    bad = disallowed_taint(state.taint)
    if not bad:
        return []
    return [pseudo_failure(
        "kernel.taint",
        f"kernel tainted {state.taint} ({taint_letters(state.taint)}); "
        f"only O and E are allowed",
        describe_taint(bad))]


def _exit_status_failure(state: GuestState,
                         outcome: QemuOutcome) -> List[TestResult]:
    if outcome.timed_out or state.verdict is None:
        return []
    if outcome.lingered:
        return [pseudo_failure(
            "qemu.exit", "QEMU did not exit after the guest finished; killed")]
    if state.poweroff:
        expected, how = 0, "poweroff"
    else:
        expected, how = debug_exit_status(state.verdict), "isa-debug-exit"
    if outcome.returncode == expected:
        return []
    return [pseudo_failure(
        "qemu.exit",
        f"QEMU exited with status {outcome.returncode}, expected {expected} "
        f"({how} with guest verdict {state.verdict})")]
