# SPDX-License-Identifier: GPL-2.0
"""The "local" target: run the test binaries on this machine.

For an implementation installed on a real machine (a /dev/ioasid that is
already there): no QEMU, no initramfs.  Each binary runs with the same
per-binary timeout as in the guest (TERM, then KILL after a grace period),
its output (stdout and stderr together, as on the guest's console) goes
through the same KTAP parser, and the same reports come out.

Modules are only loaded when --module/--modules is given, and only as
root: insmod in order before the tests, rmmod in reverse order after them,
each a pseudo-test module.load.M / module.unload.M when it fails; if one
fails to load, no test runs.

The kernel log is read from /dev/kmsg (what dmesg reads) from the end of
what it held at the start, after every step, so a report is attributed to
the binary or module step during which it appeared.  Reading it needs
root; without it the kernel-log checks are off, and kernel.log is reported
as SKIP with the reason.  On a busy machine, a report from anything else
running at the same time is counted too.

Taint: only the bits that were set during the run count (a machine may
well be tainted already); O and E are allowed as in the guest.

The "harness" target is this one with another implementation under test:
the core compiled into a user-space library (harness/) that the binaries
load with LD_PRELOAD.  There is no kernel log and no taint to read: what
would be a kernel report (the shim's WARN, BUG and lock-checker reports,
AddressSanitizer and UBSan reports) is printed by the binary itself, so
the binaries' output is scanned as the kernel log is, and a report fails
the run as kernel.log.  Testcases listed as excluded (outside what a
user-space model can show) do not run and are reported as SKIP with the
reason from the list.
"""

import errno
import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, TextIO, Tuple

from .console import LineAssembler
from .inputs import ModuleSource, SetupError, expand_modules, module_name
from .kernel_log import (KernelLogScanner, describe_taint, disallowed_taint,
                         taint_letters)
from .ktap import KtapParser
from .report import Reporter
from .results import FAIL, SKIP, TestResult, pseudo_failure
from .runner import RunReport
from .selection import Selection, choose_tests
from .verdict import ModuleStep, kernel_log_failure, module_failures

KMSG = "/dev/kmsg"
TAINTED = "/proc/sys/kernel/tainted"
KILL_GRACE = 5.0           # as "timeout -k 5" in the guest
DRAIN_AFTER_EXIT = 2.0     # output a binary's children may still write
POLL_INTERVAL = 0.2


def is_root() -> bool:
    return os.geteuid() == 0


def shell_status(returncode: int) -> int:
    """Popen's returncode in the shell's convention (128 + signal)."""
    return 128 - returncode if returncode < 0 else returncode


class KernelLog:
    """New kernel messages since open(), from /dev/kmsg.

    Each record of /dev/kmsg is "PRIORITY,SEQUENCE,MICROSECONDS,FLAGS;TEXT"
    followed by continuation lines that start with a space.
    """

    def __init__(self, path: str = KMSG):
        self.path = path
        self.fd: Optional[int] = None
        self.off_reason: Optional[str] = None

    def open(self) -> bool:
        """Start reading at the end of the log; False (and off_reason) if
        the log cannot be read."""
        try:
            self.fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
            os.lseek(self.fd, 0, os.SEEK_END)
        except OSError as error:
            self.close()
            need = "" if is_root() else "; reading it needs root"
            self.off_reason = (f"kernel-log checks are off: cannot read "
                               f"{self.path}: {error.strerror}{need}")
            return False
        return True

    def read(self) -> List[str]:
        """The messages logged since the last call."""
        if self.fd is None:
            return []
        data = bytearray()
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            except OSError as error:
                if error.errno == errno.EPIPE:
                    continue        # records were overwritten; go on
                raise
            if not chunk:
                break
            data.extend(chunk)
        messages = []
        for line in data.decode("utf-8", errors="replace").split("\n"):
            if not line or line.startswith(" "):
                continue
            prefix, sep, text = line.partition(";")
            messages.append(text if sep else prefix)
        return messages

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def read_taint(path: str = TAINTED) -> Optional[int]:
    try:
        with open(path, encoding="ascii") as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def _has_exited(pid: int) -> bool:
    """Has our child pid exited?  It is left unreaped: a zombie keeps its
    pid, and so its process group's id, from being reused."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG
                         | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def run_binary(argv: Sequence[str], cwd: str, timeout: float,
               on_line: Callable[[str, float], None],
               kill_grace: float = KILL_GRACE,
               env: Optional[Dict[str, str]] = None
               ) -> Tuple[int, float, bool]:
    """Run one test binary; feed its output lines to on_line as they come.

    Returns (exit status as the shell reports it, seconds, timed out).
    The binary runs in a process group of its own; on timeout, and when
    it has ended, what is left of that group (and only that) is killed.
    """
    started = time.monotonic()
    process = subprocess.Popen(
        list(argv), cwd=cwd, stdin=subprocess.DEVNULL, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)
    pipe = process.stdout
    os.set_blocking(pipe.fileno(), False)
    selector = selectors.DefaultSelector()
    selector.register(pipe, selectors.EVENT_READ)
    assembler = LineAssembler()
    deadline = started + timeout
    kill_at: Optional[float] = None
    timed_out = False
    exited_at: Optional[float] = None

    def signal_group(signum: int) -> None:
        # Only while process.pid is unreaped: the group id is then ours.
        try:
            os.killpg(process.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    eof = False
    try:
        while True:
            now = time.monotonic()
            if exited_at is None and _has_exited(process.pid):
                exited_at = now
            if exited_at is not None and (
                    eof or now >= exited_at + DRAIN_AFTER_EXIT):
                break
            if exited_at is None and not timed_out and now >= deadline:
                timed_out = True
                signal_group(signal.SIGTERM)
                kill_at = now + kill_grace
            elif exited_at is None and kill_at is not None and \
                    now >= kill_at:
                signal_group(signal.SIGKILL)
                kill_at = None
            if eof:
                time.sleep(POLL_INTERVAL)
                continue
            for _key, _ in selector.select(POLL_INTERVAL):
                try:
                    data = os.read(pipe.fileno(), 65536)
                except BlockingIOError:
                    continue
                if not data:
                    eof = True
                    selector.unregister(pipe)
                    break
                for line in assembler.feed(data, time.monotonic()):
                    on_line(line.text, line.time)
        for line in assembler.flush(time.monotonic()):
            on_line(line.text, line.time)
    finally:
        if not _has_exited(process.pid):
            signal_group(signal.SIGKILL)
            os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
        signal_group(signal.SIGKILL)     # what the binary left behind
        process.wait()
        selector.close()
        pipe.close()
    if exited_at is None:
        exited_at = time.monotonic()
    return shell_status(process.returncode), exited_at - started, timed_out


@dataclass
class LocalOptions:
    tests: str
    kernel_name: str
    modules: List[ModuleSource] = field(default_factory=list)
    test_timeout: float = 60
    selection: Selection = field(default_factory=Selection)
    sources: Optional[str] = None
    log: Optional[str] = None
    kmsg: str = KMSG
    tainted: str = TAINTED
    insmod: Sequence[str] = ("insmod",)
    rmmod: Sequence[str] = ("rmmod",)
    kill_grace: float = KILL_GRACE
    # the harness target: variables added to the binaries' environment,
    # and their output scanned for reports instead of the kernel log
    environment: Dict[str, str] = field(default_factory=dict)
    reports_in_output: bool = False
    target: str = "local"


class LocalRun:
    """One run of the tests on this machine."""

    def __init__(self, options: LocalOptions, reporter: Reporter):
        self.options = options
        self.reporter = reporter
        self.results: List[TestResult] = []
        self.scanner = KernelLogScanner()
        self.kernel_log = KernelLog(options.kmsg)
        self.steps: List[ModuleStep] = []
        self.log: Optional[TextIO] = None
        self.info: dict = {"target": options.target,
                           "kernel_name": options.kernel_name,
                           "kernel_release": os.uname().release}

    def emit(self, result: TestResult) -> None:
        self.results.append(result)
        self.reporter.result(result)

    def _write_log(self, text: str) -> None:
        if self.log is not None:
            self.log.write(text + "\n")
            self.log.flush()

    def _kernel_messages(self, context: str) -> None:
        for text in self.kernel_log.read():
            self._write_log(f"[kernel] {text}")
            self.reporter.console(f"[kernel] {text}")
            self.scanner.feed(text, context)

    def run(self) -> RunReport:
        options = self.options
        try:
            modules = expand_modules(options.modules)
            if modules and not is_root():
                raise SetupError("loading modules (--module, --modules) "
                                 "needs root")
            planned = choose_tests(options.tests, options.selection,
                                   options.sources)
        except SetupError as error:
            self.emit(pseudo_failure("driver.setup", str(error)))
            return RunReport(self.results, self.info)
        for note in planned.notes:
            self.reporter.message(f"Note: {note}")
        for name, reason in planned.excluded:
            self.emit(TestResult(name=name, binary=name.split(".")[0],
                                 status=SKIP,
                                 reason=f"excluded: {reason}"))
        if options.selection.active:
            self.info["selection"] = options.selection.info(planned.plans)
        if options.log:
            self.log = open(options.log, "w", encoding="utf-8")
        try:
            return self._run(modules, planned.plans)
        finally:
            self.kernel_log.close()
            if self.log is not None:
                self.log.close()

    def _run(self, modules: List[str], plans) -> RunReport:
        options = self.options
        if options.reports_in_output:
            log_on = True
            self.info["kernel_log"] = "the tests' output"
        else:
            log_on = self.kernel_log.open()
            if not log_on:
                self.reporter.message(self.kernel_log.off_reason)
            self.info["kernel_log"] = "on" if log_on \
                else self.kernel_log.off_reason
        taint_before = read_taint(options.tainted) \
            if not options.reports_in_output else None
        self.reporter.message(
            f"Running {len(plans)} test binaries on this machine "
            f"[{options.kernel_name}, {self.info['kernel_release']}]: "
            f"{len(modules)} module(s)")

        loaded: List[str] = []
        failed_load = None
        for path in modules:
            step = self._module_step(path, "load")
            if step.rc != 0:
                failed_load = step.name
                break
            loaded.append(path)
        for plan in plans:
            if failed_load is not None:
                self.emit(TestResult(
                    name=plan.name, binary=plan.name, status=FAIL,
                    reason=f"did not run: module {failed_load} failed to "
                           f"load"))
                continue
            self._run_binary(plan)
        for path in reversed(loaded):
            self._module_step(path, "unload")
        self._kernel_messages("end of the run")

        taint_after = read_taint(options.tainted) \
            if not options.reports_in_output else None
        self.info.update(taint_before=taint_before, taint_after=taint_after,
                         modules=[{"name": s.name, "action": s.action,
                                   "rc": s.rc} for s in self.steps])
        for failure in module_failures(self.steps):
            self.emit(failure)
        if not log_on:
            self.emit(TestResult(name="kernel.log", binary=None, status=SKIP,
                                 reason=self.kernel_log.off_reason))
        elif self.scanner.reports:
            self.emit(kernel_log_failure(self.scanner.reports))
        if not options.reports_in_output:
            for result in taint_results(taint_before, taint_after,
                                        options.tainted):
                self.emit(result)
        return RunReport(self.results, self.info)

    def _module_step(self, path: str, action: str) -> ModuleStep:
        step = ModuleStep(name=module_name(path), action=action)
        self.steps.append(step)
        command = list(self.options.insmod) + [os.path.abspath(path)] \
            if action == "load" else list(self.options.rmmod) + [step.name]
        self._write_log(f"== {' '.join(command)}")
        try:
            done = subprocess.run(command, stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=120)
            step.rc = done.returncode
            output = (done.stdout + done.stderr).decode(errors="replace")
            step.output = [line for line in output.splitlines() if line]
        except (OSError, subprocess.TimeoutExpired) as error:
            step.rc = None
            step.output = [f"{command[0]}: {error}"]
        for line in step.output:
            self._write_log(line)
        self._kernel_messages(step.command)
        return step

    def _run_binary(self, plan) -> None:
        options = self.options
        parser = KtapParser(plan.name, time.monotonic())
        argv = [os.path.abspath(plan.path)] + list(plan.args)
        self._write_log(f"== {' '.join([plan.name] + list(plan.args))}")

        def on_line(text: str, now: float) -> None:
            self._write_log(text)
            self.reporter.console(text)
            if options.reports_in_output:
                self.scanner.feed(text, plan.name)
            for result in parser.feed(text, now):
                self.emit(result)

        env = None
        if options.environment:
            env = dict(os.environ)
            env.update(options.environment)
        try:
            rc, elapsed, timed_out = run_binary(
                argv, os.path.dirname(argv[0]), options.test_timeout,
                on_line, options.kill_grace, env)
        except OSError as error:
            rc, elapsed, timed_out = None, 0.0, False
            on_line(f"cannot run {plan.path}: {error}", time.monotonic())
        for result in parser.finish(rc, elapsed, timed_out,
                                    "could not be started"):
            self.emit(result)
        self._kernel_messages(plan.name)
        self.reporter.binary_done(plan.name, elapsed)


def taint_results(before: Optional[int], after: Optional[int],
                  path: str = TAINTED) -> List[TestResult]:
    """kernel.taint for the bits set during the run."""
    if before is None or after is None:
        return [TestResult(name="kernel.taint", binary=None, status=SKIP,
                           reason=f"taint check is off: cannot read {path}")]
    new = after & ~before
    bad = disallowed_taint(new)
    if not bad:
        return []
    return [pseudo_failure(
        "kernel.taint",
        f"the kernel was tainted during the run: {before} -> {after}, new "
        f"{taint_letters(new)}; only O and E may appear",
        describe_taint(bad))]


def run_local(options: LocalOptions, reporter: Reporter) -> RunReport:
    return LocalRun(options, reporter).run()
