# SPDX-License-Identifier: GPL-2.0
"""Command line of the conformance driver.

Each subcommand has an add_<name>_arguments(parser) function that declares
its options in argument groups and a cmd_<name>(args) function that runs
it; new options go into the matching group.
"""

import argparse
import sys
import traceback
from typing import List, Optional

from . import __version__
from .report import Reporter, write_counts, write_json
from .results import pseudo_failure
from .runner import RunOptions, RunReport, run


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text}")
    return value


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_argument_group("kernel and modules under test")
    target.add_argument("--kernel", required=True, metavar="VMLINUZ",
                        help="kernel image to boot")
    target.add_argument("--kernel-name", required=True, metavar="NAME",
                        help="short kernel name for reports, e.g. 6.12")
    target.add_argument("--module", dest="modules", action="extend",
                        nargs="+", default=[], metavar="PATH.ko",
                        help="module(s) to insmod (repeatable; loaded in "
                             "order, unloaded in reverse)")

    tests = parser.add_argument_group("tests")
    tests.add_argument("--tests", required=True, metavar="DIR",
                       help="directory whose executable files are the static "
                            "test binaries, run in sorted order")
    tests.add_argument("--test-timeout", type=_positive_float, default=60,
                       metavar="SECONDS",
                       help="timeout of one test binary (default: 60)")
    tests.add_argument("--extra-file", dest="extra_files", action="append",
                       default=[], metavar="SRC:DEST",
                       help="copy SRC (file or directory) to DEST in the "
                            "initramfs (repeatable)")
    tests.add_argument("--busybox", default="/bin/busybox", metavar="PATH",
                       help="static busybox for the guest "
                            "(default: /bin/busybox)")

    machine = parser.add_argument_group("virtual machine")
    machine.add_argument("--qemu", default="qemu-system-x86_64",
                         metavar="BINARY", help="QEMU system emulator")
    machine.add_argument("--memory", type=_positive_int, default=512,
                         metavar="MIB", help="guest memory (default: 512)")
    machine.add_argument("--smp", type=_positive_int, default=2,
                         metavar="N", help="guest CPUs (default: 2)")
    machine.add_argument("--accel", choices=("tcg", "kvm"), default="tcg",
                         help="QEMU accelerator (default: tcg)")
    machine.add_argument("--run-timeout", type=_positive_float, default=600,
                         metavar="SECONDS",
                         help="timeout of the whole QEMU run (default: 600)")
    machine.add_argument("--append", default="", metavar="ARGS",
                         help="extra kernel command line arguments")
    machine.add_argument("--qemu-arg", dest="qemu_args", action="append",
                         default=[], metavar="ARG",
                         help="extra raw QEMU argument (repeatable), e.g. "
                              "--qemu-arg -device --qemu-arg intel-iommu")

    output = parser.add_argument_group("output")
    output.add_argument("--json", metavar="OUT.json",
                        help="write per-test results as JSON")
    output.add_argument("--counts", metavar="OUT.counts",
                        help='write "passed failed skipped" on one line')
    output.add_argument("--log", metavar="OUT.log",
                        help="save the raw console output")
    output.add_argument("--workdir", metavar="DIR",
                        help="keep the initramfs here (default: a temporary "
                             "directory, removed afterwards)")
    output.add_argument("-v", "--verbose", action="store_true",
                        help="echo the guest console")


def cmd_run(args: argparse.Namespace) -> int:
    options = RunOptions(
        kernel=args.kernel, kernel_name=args.kernel_name,
        modules=args.modules, tests=args.tests, busybox=args.busybox,
        qemu=args.qemu, memory=args.memory, smp=args.smp, accel=args.accel,
        test_timeout=args.test_timeout, run_timeout=args.run_timeout,
        append=args.append, qemu_args=args.qemu_args,
        extra_files=args.extra_files, log=args.log, workdir=args.workdir)
    reporter = Reporter(args.kernel_name, verbose=args.verbose)
    try:
        report = run(options, reporter)
    except Exception as error:  # noqa: BLE001 - still print a summary
        failure = pseudo_failure(
            "driver.error", f"{type(error).__name__}: {error}",
            traceback.format_exc().splitlines())
        reporter.result(failure)
        report = RunReport([failure], {})
    if args.json:
        write_json(args.json, args.kernel_name, report.results, report.info)
    counts = reporter.summary(report.results)
    if args.counts:
        write_counts(args.counts, counts)
    return 0 if counts.failed == 0 else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run.py",
        description="Conformance driver for the /dev/ioasid uAPI: boots a "
                    "kernel in QEMU, loads the modules under test and runs "
                    "the test binaries.")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True,
                                     metavar="COMMAND")
    run_parser = commands.add_parser(
        "run", help="boot a kernel and run the conformance tests",
        description="Boot a kernel in QEMU, load the modules, run every test "
                    "binary and report per-testcase results.  Exit status 0 "
                    "only if nothing failed.")
    add_run_arguments(run_parser)
    run_parser.set_defaults(handler=cmd_run)
    return parser


# Options whose value may itself start with a dash ("--qemu-arg -machine").
DASH_VALUE_OPTIONS = ("--qemu-arg", "--append")


def join_dash_values(argv: List[str]) -> List[str]:
    """Rewrite "--qemu-arg -x" as "--qemu-arg=-x" so argparse accepts it."""
    joined = []
    args = iter(argv)
    for arg in args:
        value = next(args, None) if arg in DASH_VALUE_OPTIONS else None
        joined.append(arg if value is None else f"{arg}={value}")
    return joined


def main(argv: Optional[List[str]] = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    args = build_parser().parse_args(join_dash_values(argv))
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
