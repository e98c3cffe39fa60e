# SPDX-License-Identifier: GPL-2.0
"""Command line of the conformance driver.

Each subcommand has an add_<name>_arguments(parser) function that declares
its options in argument groups and a cmd_<name>(args) function that runs
it; new options go into the matching group.  Options that several
subcommands share (module selection, test selection, result files) are
declared once by add_*_options helpers.

Subcommands:
  run     boot a kernel in QEMU with the modules and run the tests
  local   run the tests on this machine (no QEMU)
  harness run the tests against the core in user space (LD_PRELOAD)
  list    list the testcases and the requirements they check
  report  requirement report: spec x tests x results, --check
  coverage  the harness's coverage of the core (gcov), make harness-coverage
"""

import argparse
import json
import os
import sys
import traceback
from typing import List, Optional

from . import __version__
from .inputs import ModuleDir, SetupError, find_test_binaries
from .coverage import add_coverage_arguments, cmd_coverage
from .junit import write_junit
from .local import KMSG, LocalOptions, run_local
from .report import Reporter, write_counts, write_json
from .results import Counts, pseudo_failure
from .runner import RunOptions, RunReport, run
from .selection import ListError, Selection, list_binary, load_excluded
from .sources import expand_globs, scan_spec, scan_test_dir, scan_tests
from .traceability import (build, count_parts, load_results,
                           write_adoc_file, write_text)
from .traceability import write_json as write_report_json

# conformance/tests, next to the driver: where the test sources live.
DEFAULT_SOURCES = os.path.relpath(os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests")))


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


class _ModuleDirAction(argparse.Action):
    """--modules DIR: a ModuleDir in the same list as --module files, so
    that modules load in command line order."""

    def __call__(self, parser, namespace, values, option_string=None):
        modules = list(getattr(namespace, self.dest) or [])
        modules.append(ModuleDir(values))
        setattr(namespace, self.dest, modules)


def add_module_options(group) -> None:
    group.add_argument("--module", dest="modules", action="extend",
                       nargs="+", default=[], metavar="PATH.ko",
                       help="module(s) to insmod (repeatable; loaded in "
                            "order, unloaded in reverse)")
    group.add_argument("--modules", dest="modules", action=_ModuleDirAction,
                       metavar="DIR",
                       help="load every *.ko in DIR (repeatable): in sorted "
                            "order, or in the order of DIR/load-order (one "
                            "module file name per line, every *.ko listed)")


def add_selection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "test selection",
        "Without these options every testcase runs.  A testcase runs if it "
        "matches one --test pattern (when given) and names one --req ID "
        "(when given).  Testcases of a kselftest harness binary are "
        "selected with its -r option.")
    group.add_argument("--test", dest="patterns", action="append",
                       default=[], metavar="PATTERN",
                       help="shell pattern (fnmatch) on the full testcase "
                            "name binary.fixture.name, or on the binary's "
                            "name, e.g. 'api_test.dev.*' (repeatable)")
    group.add_argument("--req", dest="requirements", action="append",
                       default=[], metavar="ID",
                       help="only testcases whose source names requirement "
                            "ID, e.g. REQ-ARG-FLAGS (repeatable)")
    group.add_argument("--sources", default=DEFAULT_SOURCES, metavar="DIR",
                       help="C sources of the tests, scanned for REQ(...) "
                            f"by --req (default: {DEFAULT_SOURCES})")


def add_result_options(group) -> None:
    group.add_argument("--json", metavar="OUT.json",
                       help="write per-test results as JSON")
    group.add_argument("--junit", metavar="OUT.xml",
                       help="write per-test results as JUnit XML")
    group.add_argument("--counts", metavar="OUT.counts",
                       help='write "passed failed skipped" on one line')
    group.add_argument("-v", "--verbose", action="store_true",
                       help="echo the console (run) or the tests' output "
                            "(local)")


def _selection(args: argparse.Namespace) -> Selection:
    return Selection(patterns=list(args.patterns),
                     requirements=list(args.requirements))


# -- run ---------------------------------------------------------------------

def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_argument_group("kernel and modules under test")
    target.add_argument("--kernel", required=True, metavar="VMLINUZ",
                        help="kernel image to boot")
    target.add_argument("--kernel-name", required=True, metavar="NAME",
                        help="short kernel name for reports, e.g. 6.12")
    add_module_options(target)
    target.add_argument("--extra-initrd", dest="extra_initrds",
                        action="append", default=[], metavar="FILE",
                        help="initramfs image (cpio, compressed or not) to "
                             "append after the driver's own, e.g. with "
                             "firmware or modules the loaded ones need "
                             "(repeatable; must not contain /init)")

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
    add_selection_options(parser)

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
    add_result_options(output)
    output.add_argument("--log", metavar="OUT.log",
                        help="save the raw console output")
    output.add_argument("--workdir", metavar="DIR",
                        help="keep the initramfs here (default: a temporary "
                             "directory, removed afterwards)")


def _finish(args: argparse.Namespace, reporter: Reporter,
            report: RunReport) -> int:
    """Write the result files, print the summary; the exit status."""
    if args.json:
        write_json(args.json, args.kernel_name, report.results, report.info)
    if args.junit:
        write_junit(args.junit, [(args.kernel_name, report.results)])
    counts = reporter.summary(report.results)
    if args.counts:
        write_counts(args.counts, counts)
    return 0 if counts.failed == 0 else 1


def _driver_error(reporter: Reporter) -> RunReport:
    failure = pseudo_failure(
        "driver.error", f"{sys.exc_info()[0].__name__}: {sys.exc_info()[1]}",
        traceback.format_exc().splitlines())
    reporter.result(failure)
    return RunReport([failure], {})


def cmd_run(args: argparse.Namespace) -> int:
    options = RunOptions(
        kernel=args.kernel, kernel_name=args.kernel_name,
        modules=args.modules, tests=args.tests, busybox=args.busybox,
        qemu=args.qemu, memory=args.memory, smp=args.smp, accel=args.accel,
        test_timeout=args.test_timeout, run_timeout=args.run_timeout,
        append=args.append, qemu_args=args.qemu_args,
        extra_files=args.extra_files, log=args.log, workdir=args.workdir,
        extra_initrds=args.extra_initrds, selection=_selection(args),
        sources=args.sources)
    return _run_and_finish(args, run, options)


# -- local -------------------------------------------------------------------

def add_local_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_argument_group("implementation under test")
    target.add_argument("--kernel-name", default=os.uname().release,
                        metavar="NAME",
                        help="name for reports (default: this kernel's "
                             "release, uname -r)")
    add_module_options(target)
    target.add_argument("--kmsg", default=KMSG, metavar="PATH",
                        help=f"kernel log to watch (default: {KMSG}; needs "
                             f"root, else the kernel-log checks are off)")

    tests = parser.add_argument_group("tests")
    tests.add_argument("--tests", required=True, metavar="DIR",
                       help="directory whose executable files are the test "
                            "binaries, run in sorted order")
    tests.add_argument("--test-timeout", type=_positive_float, default=60,
                       metavar="SECONDS",
                       help="timeout of one test binary (default: 60)")
    add_selection_options(parser)

    output = parser.add_argument_group("output")
    add_result_options(output)
    output.add_argument("--log", metavar="OUT.log",
                        help="save the tests' output and the kernel "
                             "messages")


def cmd_local(args: argparse.Namespace) -> int:
    options = LocalOptions(
        tests=args.tests, kernel_name=args.kernel_name, modules=args.modules,
        test_timeout=args.test_timeout, selection=_selection(args),
        sources=args.sources, log=args.log, kmsg=args.kmsg)
    return _run_and_finish(args, run_local, options)


# -- harness -----------------------------------------------------------------

def add_harness_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_argument_group("implementation under test")
    target.add_argument("--kernel-name", default="user-space",
                        metavar="NAME",
                        help="name for reports (default: user-space)")
    target.add_argument("--preload", dest="preloads", action="append",
                        default=[], required=True, metavar="LIB",
                        help="shared library the binaries load first "
                             "(LD_PRELOAD, in the order given; repeatable)")
    target.add_argument("--env", dest="environment", action="append",
                        default=[], metavar="NAME=VALUE",
                        help="variable for the binaries' environment "
                             "(repeatable)")

    tests = parser.add_argument_group("tests")
    tests.add_argument("--tests", required=True, metavar="DIR",
                       help="directory whose executable files are the test "
                            "binaries (built to load shared libraries), run "
                            "in sorted order")
    tests.add_argument("--test-timeout", type=_positive_float, default=60,
                       metavar="SECONDS",
                       help="timeout of one test binary (default: 60)")
    tests.add_argument("--excluded", metavar="FILE",
                       help='testcases that do not run, one a line: '
                            '"binary.fixture.name  reason"; each is '
                            'reported as SKIP with its reason, and one '
                            'that no binary has is an error')
    add_selection_options(parser)

    output = parser.add_argument_group("output")
    add_result_options(output)
    output.add_argument("--log", metavar="OUT.log",
                        help="save the tests' output")


def cmd_harness(args: argparse.Namespace) -> int:
    environment = {"LD_PRELOAD": " ".join(os.path.abspath(path)
                                          for path in args.preloads)}
    for item in args.environment:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"run.py harness: --env {item}: not NAME=VALUE")
        environment[name] = value
    selection = _selection(args)
    reporter = Reporter(args.kernel_name, verbose=args.verbose)
    try:
        if args.excluded:
            selection.excluded = load_excluded(args.excluded)
    except SetupError as error:
        failure = pseudo_failure("driver.setup", str(error))
        reporter.result(failure)
        return _finish(args, reporter, RunReport([failure], {}))
    options = LocalOptions(
        tests=args.tests, kernel_name=args.kernel_name,
        test_timeout=args.test_timeout, selection=selection,
        sources=args.sources, log=args.log, environment=environment,
        reports_in_output=True, target="harness")
    return _run_and_finish(args, run_local, options, reporter)


def _run_and_finish(args: argparse.Namespace, runner, options,
                    reporter: Optional[Reporter] = None) -> int:
    """Run the tests with a live reporter; a summary is printed whatever
    happens, even when the driver itself fails."""
    if reporter is None:
        reporter = Reporter(args.kernel_name, verbose=args.verbose)
    try:
        report = runner(options, reporter)
    except Exception:  # noqa: BLE001 - still print a summary
        report = _driver_error(reporter)
    return _finish(args, reporter, report)


# -- list --------------------------------------------------------------------

def add_list_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tests", metavar="DIR",
                        help="test binaries to list with their -l option "
                             "(default: list from the sources only)")
    add_selection_options(parser)
    parser.add_argument("--json", metavar="OUT.json",
                        help="also write the list as JSON")


def cmd_list(args: argparse.Namespace) -> int:
    selection = _selection(args)
    requirements_of = {}
    if os.path.isdir(args.sources):
        requirements_of = scan_test_dir(args.sources).requirements_of()
    elif args.tests is None or selection.requirements:
        print(f"run.py list: error: test sources not found: {args.sources}",
              file=sys.stderr)
        return 2

    listed = []     # (full name, binary); a binary that cannot list its
                    # testcases appears once as (binary, binary)
    notes = []
    if args.tests is None:
        listed = [(name, name.split(".")[0]) for name in requirements_of]
    else:
        try:
            binaries = find_test_binaries(args.tests)
        except SetupError as error:
            print(f"run.py list: error: {error}", file=sys.stderr)
            return 2
        for path in binaries:
            binary = os.path.basename(path)
            try:
                names = list_binary(path)
            except ListError as error:
                print(f"run.py list: error: {error}", file=sys.stderr)
                return 1
            if names is None:
                notes.append(f"{binary}: not a kselftest harness binary "
                             f"(runs as a whole)")
                if not selection.active or selection.binary_matches(binary):
                    listed.append((binary, binary))
                continue
            full = [f"{binary}.{name}" for name in names]
            listed += [(name, binary) for name in full]
            in_sources = [name for name in requirements_of
                          if name.startswith(binary + ".")]
            for name in in_sources:
                if name not in full:
                    notes.append(f"{name} is in the sources but not in "
                                 f"{path} (rebuild it?)")

    records = []
    for name, binary in listed:
        reqs = requirements_of.get(name, [])
        if name != binary and not selection.selects(binary, name, reqs):
            continue
        records.append({"name": name, "binary": binary,
                        "requirements": reqs})
    width = max([len(r["name"]) for r in records] + [0])
    for record in records:
        reqs = ", ".join(record["requirements"]) or "-"
        print(f"{record['name'].ljust(width)}  {reqs}")
    for note in notes:
        print(f"note: {note}")
    count = len({record["binary"] for record in records})
    print(f"{len(records)} testcases in {count} binaries")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"tests": records, "notes": notes}, handle, indent=2)
            handle.write("\n")
    return 0


# -- report ------------------------------------------------------------------

def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    inputs = parser.add_argument_group("inputs")
    inputs.add_argument("--spec-sources", nargs="+", required=True,
                        metavar="GLOB",
                        help="AsciiDoc files defining the requirements "
                             "(quoted glob patterns), e.g. 'src/*.adoc' "
                             "'spec/*.adoc'")
    inputs.add_argument("--test-sources", nargs="+", required=True,
                        metavar="GLOB",
                        help="C test sources, e.g. 'conformance/tests/*.c' "
                             "(headers next to them are read for test "
                             "macros)")
    inputs.add_argument("--results", nargs="+", default=[],
                        metavar="RESULTS.json",
                        help="results of run/local --json, one per kernel, "
                             "in column order")
    inputs.add_argument("--annex", nargs="+", default=[], metavar="GLOB",
                        help="specification sources (among --spec-sources) "
                             "of the optional test interface annex: their "
                             "requirements are counted apart and listed "
                             "last, e.g. src/testif.adoc")
    output = parser.add_argument_group("outputs")
    output.add_argument("--adoc", metavar="OUT.adoc",
                        help="AsciiDoc fragment with the section "
                             "'== Traceability matrix' (anchor "
                             "[[traceability]]), one subsection per "
                             "chapter, with a column per --results file")
    output.add_argument("--adoc-no-results", metavar="OUT.adoc",
                        help="the same fragment without results "
                             "(requirement -> tests only), for the "
                             "specification")
    output.add_argument("--json", metavar="OUT.json",
                        help="requirement report as JSON")
    output.add_argument("--junit", metavar="OUT.xml",
                        help="the results as JUnit XML, one testsuite per "
                             "kernel")
    output.add_argument("--text", action="store_true",
                        help="print a plain-text table (the default when no "
                             "other output is chosen)")
    output.add_argument("--check", action="store_true",
                        help="list the problems (untested requirements, "
                             "unknown or duplicate IDs) with file:line and "
                             "exit 1 if there are any")
    output.add_argument("--counts", metavar="OUT.counts",
                        help='with --check: write "1 0 0" when there is no '
                             'problem, else "0 N 0" for N problems')


def _annex_files(patterns: List[str], spec_files: List[str]) -> List[str]:
    """The specification sources that the --annex patterns name, spelt as
    in spec_files; ValueError for one that is not a specification source."""
    known = {os.path.realpath(path): path for path in spec_files}
    files = []
    for path in expand_globs(patterns, "annex source"):
        if os.path.realpath(path) not in known:
            raise ValueError(f"annex {path} is not one of the specification "
                             f"sources")
        files.append(known[os.path.realpath(path)])
    return files


def cmd_report(args: argparse.Namespace) -> int:
    try:
        spec_files = expand_globs(args.spec_sources, "specification source")
        annex = _annex_files(args.annex, spec_files)
        spec = scan_spec(spec_files)
        tests = scan_tests(expand_globs(args.test_sources, "test source"))
        runs = [load_results(path) for path in args.results]
        trace = build(spec, tests, runs, annex=annex)
    except (OSError, ValueError) as error:
        print(f"run.py report: error: {error}", file=sys.stderr)
        return 2
    if args.adoc:
        write_adoc_file(trace, args.adoc)
    if args.adoc_no_results:
        write_adoc_file(trace, args.adoc_no_results, with_results=False)
    if args.json:
        write_report_json(trace, args.json)
    if args.junit:
        write_junit(args.junit, [(run.kernel, run.results) for run in runs])
    if args.text or not (args.adoc or args.adoc_no_results or args.json
                         or args.junit or args.check):
        write_text(trace, sys.stdout)
    if not args.check:
        return 0
    for problem in trace.problems:
        print(problem)
    problems = len(trace.problems)
    if args.counts:
        write_counts(args.counts, Counts(passed=0 if problems else 1,
                                         failed=problems))
    if problems:
        print(f"traceability: {problems} problem"
              f"{'s' if problems != 1 else ''}")
        return 1
    print(f"traceability: no problems ({count_parts(trace)}; "
          f"{len(trace.tests)} tests)")
    return 0


# -- the parser --------------------------------------------------------------

EPILOG = """\
examples:
  run.py run --kernel vmlinuz --kernel-name 6.12 --module ioasid_fd.ko \\
      --tests build/tests --json out.json --junit out.xml
  run.py run --kernel THEIR-vmlinuz --kernel-name theirs --modules DIR \\
      --extra-initrd firmware.cpio.gz --tests build/tests
  run.py local --tests build/tests --req REQ-ARG-FLAGS
  run.py list --tests build/tests
  run.py report --spec-sources 'src/*.adoc' 'spec/*.adoc' \\
      --test-sources 'conformance/tests/*.c' --annex src/testif.adoc \\
      --results out.json --check

Exit status of run and local: 0 only if nothing failed."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run.py",
        description="Conformance driver for the /dev/ioasid uAPI: runs the "
                    "test binaries against a kernel in QEMU or on this "
                    "machine, and reports per testcase and per requirement.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True,
                                     metavar="COMMAND")
    run_parser = commands.add_parser(
        "run", help="boot a kernel in QEMU and run the conformance tests",
        description="Boot a kernel in QEMU with a generated initramfs, load "
                    "the modules, run the test binaries and report "
                    "per-testcase results.  Exit status 0 only if nothing "
                    "failed.")
    add_run_arguments(run_parser)
    run_parser.set_defaults(handler=cmd_run)

    local_parser = commands.add_parser(
        "local", help="run the conformance tests on this machine",
        description="Run the test binaries directly on this machine, for an "
                    "implementation installed here (/dev/ioasid present): "
                    "same timeouts, parsing and reports as run, no QEMU.  "
                    "Modules are loaded only if given (needs root).  The "
                    "kernel log is checked when it can be read (root); "
                    "otherwise kernel.log is reported as SKIP.  Only taint "
                    "bits set during the run count.  Exit status 0 only if "
                    "nothing failed.")
    add_local_arguments(local_parser)
    local_parser.set_defaults(handler=cmd_local)

    harness_parser = commands.add_parser(
        "harness", help="run the conformance tests against the core in "
                        "user space",
        description="Run the test binaries on this machine against an "
                    "implementation in a shared library they preload (the "
                    "core compiled in user space, harness/): same "
                    "timeouts, parsing and reports as local.  The tests' "
                    "output is scanned for reports (the shim's WARN, BUG "
                    "and lock-checker reports, sanitizer reports), which "
                    "fail the run as kernel.log.  Exit status 0 only if "
                    "nothing failed.")
    add_harness_arguments(harness_parser)
    harness_parser.set_defaults(handler=cmd_harness)

    list_parser = commands.add_parser(
        "list", help="list the testcases and their requirements",
        description="List the testcases of the test binaries (their -l "
                    "option, run on this machine; no kernel needed) with "
                    "the requirement IDs their sources name.  Without "
                    "--tests, list from the sources.")
    add_list_arguments(list_parser)
    list_parser.set_defaults(handler=cmd_list)

    report_parser = commands.add_parser(
        "report", help="requirement report and traceability check",
        description="Relate the requirements of the specification, the "
                    "tests that name them and the results of runs: a text "
                    "table, a JSON report, an AsciiDoc traceability matrix "
                    "for the specification, JUnit XML; --check fails on "
                    "untested requirements and unknown or duplicate IDs.")
    add_report_arguments(report_parser)
    report_parser.set_defaults(handler=cmd_report)

    coverage_parser = commands.add_parser(
        "coverage", help="coverage of the core in user space from gcov",
        description="Summarise gcov's JSON reports of the harness's "
                    "coverage build: a per-file table (AsciiDoc), the "
                    "core's unreached lines, checked against their "
                    "explanations.  Exit status 0 only if every unreached "
                    "line of the core is explained and the core's line "
                    "coverage reaches --min-lines.")
    add_coverage_arguments(coverage_parser)
    coverage_parser.set_defaults(handler=cmd_coverage)
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
