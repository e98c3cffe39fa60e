# SPDX-License-Identifier: GPL-2.0
"""One conformance run: build the initramfs, boot QEMU, follow the console."""

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from . import initramfs, qemu
from .console import LineAssembler
from .inputs import (ModuleSource, SetupError, expand_modules,
                     find_test_binaries, require_file)
from .report import Reporter
from .results import TestResult, pseudo_failure
from .selection import BinaryPlan, Selection, choose_tests
from .session import ConsoleSession
from .verdict import QemuOutcome

# Kept importable from here: older callers use runner.SetupError and
# runner.find_test_binaries.
__all__ = ["SetupError", "find_test_binaries", "RunOptions", "RunReport",
           "prepare", "run"]

# How long QEMU may take to exit after the guest's final marker.
EXIT_GRACE = 30.0
# How long to keep reading QEMU's pipes after killing it.
DRAIN_TIME = 3.0
POLL_INTERVAL = 0.5


@dataclass
class RunOptions:
    kernel: str
    kernel_name: str
    modules: List[ModuleSource]
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
    extra_initrds: List[str] = field(default_factory=list)
    selection: Selection = field(default_factory=Selection)
    sources: Optional[str] = None       # test sources, for --req


@dataclass
class RunReport:
    results: List[TestResult]
    info: dict


@dataclass
class Prepared:
    """What prepare() found and wrote."""
    argv: List[str]
    binaries: List[str]                 # names, in run order
    modules: List[str]                  # host paths, in load order
    test_args: Dict[str, List[str]]
    notes: List[str]
    plans: List[BinaryPlan]


def _resolve_qemu(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SetupError(f"QEMU not found: {name} "
                         f"(apt-get install qemu-system-x86)")
    return path


def prepare(options: RunOptions, workdir: str) -> Prepared:
    """Check inputs and write the initramfs."""
    require_file(options.kernel, "kernel image")
    require_file(options.busybox, "busybox")
    modules = expand_modules(options.modules)
    for extra_initrd in options.extra_initrds:
        require_file(extra_initrd, "extra initrd")
    planned = choose_tests(options.tests, options.selection, options.sources)
    tests = [plan.path for plan in planned.plans]
    test_args = {plan.name: plan.args for plan in planned.plans if plan.args}
    try:
        extras = [initramfs.ExtraFile.parse(spec)
                  for spec in options.extra_files]
        for extra in extras:
            if not os.path.exists(extra.source):
                raise SetupError(f"extra file not found: {extra.source}")
        archive = initramfs.build_archive(options.busybox, modules, tests,
                                          options.test_timeout, extras,
                                          test_args=test_args)
        image = initramfs.concatenate(
            initramfs.compress(archive),
            [(path, _read(path)) for path in options.extra_initrds])
    except ValueError as error:
        raise SetupError(str(error)) from error
    initrd = os.path.join(workdir, "initramfs.cpio.gz")
    with open(initrd, "wb") as handle:
        handle.write(image)
    config = qemu.QemuConfig(
        qemu=_resolve_qemu(options.qemu), kernel=options.kernel,
        initrd=initrd, memory=options.memory, smp=options.smp,
        append=options.append, extra_args=options.qemu_args,
        accel=options.accel)
    return Prepared(argv=qemu.command_line(config),
                    binaries=[os.path.basename(t) for t in tests],
                    modules=modules, test_args=test_args,
                    notes=planned.notes, plans=planned.plans)


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def run(options: RunOptions, reporter: Reporter) -> RunReport:
    """Do one run; results are reported live through reporter."""
    info = {"kernel_image": options.kernel, "kernel_name": options.kernel_name}
    workdir = options.workdir or tempfile.mkdtemp(prefix="ioasid-conform-")
    os.makedirs(workdir, exist_ok=True)
    try:
        try:
            prepared = prepare(options, workdir)
        except SetupError as error:
            failure = pseudo_failure("driver.setup", str(error))
            reporter.result(failure)
            return RunReport([failure], info)
        argv, binaries = prepared.argv, prepared.binaries
        info["qemu_command"] = argv
        if options.selection.active:
            info["selection"] = options.selection.info(prepared.plans)
        for note in prepared.notes:
            reporter.message(f"Note: {note}")
        extra = "".join(f" + {path}" for path in options.extra_initrds)
        reporter.message(f"Booting {options.kernel} [{options.kernel_name}]"
                         f"{extra}: {len(prepared.modules)} module(s), "
                         f"{len(binaries)} test binaries")
        session = ConsoleSession(binaries, options.test_timeout,
                                 on_result=reporter.result,
                                 on_binary=reporter.binary_done)
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
                    reporter.message(
                        f"Guest booted ({session.state.release}) in "
                        f"{info['boot_seconds']:.1f}s")

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
