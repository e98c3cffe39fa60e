# SPDX-License-Identifier: GPL-2.0
"""One conformance run: build the initramfs, boot QEMU, follow the console."""

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from typing import List, Optional

from . import initramfs, qemu
from .console import LineAssembler
from .report import Reporter
from .results import TestResult, pseudo_failure
from .session import ConsoleSession
from .verdict import QemuOutcome

# How long QEMU may take to exit after the guest's final marker.
EXIT_GRACE = 30.0
# How long to keep reading QEMU's pipes after killing it.
DRAIN_TIME = 3.0
POLL_INTERVAL = 0.5


class SetupError(Exception):
    """The run could not be prepared (missing file, bad argument)."""


@dataclass
class RunOptions:
    kernel: str
    kernel_name: str
    modules: List[str]
    tests: str
    busybox: str = "/bin/busybox"
    qemu: str = "qemu-system-x86_64"
    memory: int = 512
    smp: int = 2
    accel: str = "tcg"
    test_timeout: float = 60
    run_timeout: float = 600
    append: str = ""
    qemu_args: List[str] = field(default_factory=list)
    extra_files: List[str] = field(default_factory=list)
    log: Optional[str] = None
    workdir: Optional[str] = None


@dataclass
class RunReport:
    results: List[TestResult]
    info: dict


def find_test_binaries(directory: str) -> List[str]:
    """Every executable regular file directly in directory, sorted by name."""
    if not os.path.isdir(directory):
        raise SetupError(f"test directory not found: {directory}")
    binaries = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            binaries.append(path)
    if not binaries:
        raise SetupError(f"no executable test binaries in {directory}")
    return binaries


def _require_file(path: str, what: str) -> None:
    if not os.path.isfile(path):
        raise SetupError(f"{what} not found: {path}")


def _resolve_qemu(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SetupError(f"QEMU not found: {name} "
                         f"(apt-get install qemu-system-x86)")
    return path


def prepare(options: RunOptions, workdir: str):
    """Check inputs and write the initramfs; return (argv, binary names)."""
    _require_file(options.kernel, "kernel image")
    _require_file(options.busybox, "busybox")
    for module in options.modules:
        _require_file(module, "module")
    tests = find_test_binaries(options.tests)
    try:
        extras = [initramfs.ExtraFile.parse(spec)
                  for spec in options.extra_files]
        for extra in extras:
            if not os.path.exists(extra.source):
                raise SetupError(f"extra file not found: {extra.source}")
        archive = initramfs.build_archive(options.busybox, options.modules,
                                          tests, options.test_timeout, extras)
    except ValueError as error:
        raise SetupError(str(error)) from error
    initrd = os.path.join(workdir, "initramfs.cpio.gz")
    with open(initrd, "wb") as handle:
        handle.write(initramfs.compress(archive))
    config = qemu.QemuConfig(
        qemu=_resolve_qemu(options.qemu), kernel=options.kernel,
        initrd=initrd, memory=options.memory, smp=options.smp,
        append=options.append, extra_args=options.qemu_args,
        accel=options.accel)
    return qemu.command_line(config), [os.path.basename(t) for t in tests]


def run(options: RunOptions, reporter: Reporter) -> RunReport:
    """Do one run; results are reported live through reporter."""
    info = {"kernel_image": options.kernel, "kernel_name": options.kernel_name}
    workdir = options.workdir or tempfile.mkdtemp(prefix="ioasid-conform-")
    os.makedirs(workdir, exist_ok=True)
    try:
        try:
            argv, binaries = prepare(options, workdir)
        except SetupError as error:
            failure = pseudo_failure("driver.setup", str(error))
            reporter.result(failure)
            return RunReport([failure], info)
        info["qemu_command"] = argv
        reporter.message(f"Booting {options.kernel} [{options.kernel_name}]: "
                         f"{len(options.modules)} module(s), "
                         f"{len(binaries)} test binaries")
        session = ConsoleSession(binaries, options.test_timeout,
                                 on_result=reporter.result)
        outcome = _drive(argv, session, reporter, options, info)
        result = session.finish(outcome, time.monotonic())
        state = result.state
        info.update(guest_release=state.release, guest_verdict=state.verdict,
                    taint=state.taint, boot_taint=state.boot_taint,
                    qemu_exit_status=outcome.returncode,
                    run_timed_out=outcome.timed_out,
                    exit_method="poweroff" if state.poweroff
                    else "isa-debug-exit",
                    modules=[{"name": step.name, "action": step.action,
                              "rc": step.rc} for step in state.module_steps])
        return RunReport(result.results, info)
    finally:
        if options.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


def _drive(argv: List[str], session: ConsoleSession, reporter: Reporter,
           options: RunOptions, info: dict) -> QemuOutcome:
    """Run QEMU to the end, feeding its console to session."""
    outcome = QemuOutcome(run_timeout=options.run_timeout)
    process = qemu.QemuProcess(argv)
    try:
        process.start()
    except OSError as error:
        outcome.start_error = f"cannot start {argv[0]}: {error}"
        return outcome

    log = open(options.log, "wb") if options.log else None
    assembler = LineAssembler()
    stderr = bytearray()
    started = time.monotonic()
    deadline = started + options.run_timeout
    exit_deadline_set = False

    def consume(chunks):
        for stream, data in chunks:
            now = time.monotonic()
            if stream == qemu.STDERR:
                stderr.extend(data)
                continue
            if log is not None:
                log.write(data)
                log.flush()
            for line in assembler.feed(data, now):
                reporter.console(line.text)
                session.feed(line)
                if session.state.booted and "boot_seconds" not in info:
                    info["boot_seconds"] = round(now - started, 2)

    try:
        while not process.eof:
            now = time.monotonic()
            if now >= deadline:
                if session.done:
                    outcome.lingered = True
                else:
                    outcome.timed_out = True
                process.kill()
                drain_until = time.monotonic() + DRAIN_TIME
                while not process.eof and time.monotonic() < drain_until:
                    consume(process.read(POLL_INTERVAL))
                break
            consume(process.read(min(POLL_INTERVAL, deadline - now)))
            if session.done and not exit_deadline_set:
                deadline = min(deadline, time.monotonic() + EXIT_GRACE)
                exit_deadline_set = True
        for line in assembler.flush(time.monotonic()):
            reporter.console(line.text)
            session.feed(line)
        outcome.returncode = process.wait(timeout=EXIT_GRACE)
        if outcome.returncode is None:
            process.kill()
            outcome.returncode = process.wait()
    finally:
        process.kill()
        process.close()
        if log is not None:
            log.close()
    info["run_seconds"] = round(time.monotonic() - started, 2)
    outcome.stderr = stderr.decode("utf-8", errors="replace")
    return outcome
