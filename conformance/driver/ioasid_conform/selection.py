# SPDX-License-Identifier: GPL-2.0
"""Choosing which testcases run: --test PATTERN and --req ID.

A testcase is selected when it matches one of the --test patterns (if any
are given) and its static requirement list contains one of the --req IDs
(if any are given).  A pattern is matched with fnmatch against the full
name, binary.fixture[.variant].name, and against the binary's name; a
pattern that matches the binary's name selects all of its testcases.

Testcases inside a binary are selected with the filter options of the
kselftest harness (tools/testing/selftests/kselftest_harness.h, Linux 6.12):

    -l                      list the tests (on stderr) and exit with 4
    -r fixture[.variant].name   run this test (repeatable)
    -t name / -T name       include / exclude a test by name
    -f name / -F name       include / exclude a fixture
    -v name / -V name       include / exclude a variant

The driver lists every binary with -l on the host (the binaries are
static, listing needs no kernel and touches no device) and passes one -r
per selected testcase; a binary whose testcases are all selected runs
without options.  A binary is only asked to list its tests if it contains
the harness's usage text, so that a program that is not a harness binary
is never started with arguments it does not understand.
"""

import fnmatch
import os
import subprocess
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .inputs import SetupError, find_test_binaries
from .ktap import KSFT_SKIP
from .sources import scan_test_dir

# Part of the harness's usage text; a binary without it is not listed.
HARNESS_SIGNATURE = b"-l       list all tests"
LIST_TIMEOUT = 30.0
FIXTURE_WIDTH = 20          # "%-20s %-25s %s\n" in test_harness_list_tests
VARIANT_WIDTH = 25


class ListError(Exception):
    """A binary that should list its tests did not."""


def is_harness_binary(path: str) -> bool:
    """Does the file contain the kselftest harness (with its -l option)?"""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return False
    return HARNESS_SIGNATURE in data


def _field(line: str, start: int, width: int):
    """printf("%-<width>s ") field at start: (value, start of next field)."""
    if start >= len(line) or line[start] == " ":
        return "", start + width + 1
    end = line.find(" ", start)
    end = len(line) if end < 0 else end
    value = line[start:end]
    return value, start + max(width, len(value)) + 1


def parse_harness_list(text: str) -> List[str]:
    """Harness test names (fixture[.variant].name) from the output of -l.

    The harness prints, per fixture, its variants and its tests side by
    side in two columns; every test runs once per variant.
    """
    names: List[str] = []
    blocks: List[tuple] = []

    for line in text.splitlines():
        if not line.strip() or line.startswith("# FIXTURE") or \
                set(line.strip()) == {"-"}:
            continue
        fixture, position = _field(line, 0, FIXTURE_WIDTH)
        variant, position = _field(line, position, VARIANT_WIDTH)
        test = line[position:].strip() if position < len(line) else ""
        if fixture:
            blocks.append((fixture, [], []))
        if not blocks:
            continue
        if variant:
            blocks[-1][1].append(variant)
        if test:
            blocks[-1][2].append(test)
    for fixture, variants, tests in blocks:
        for variant in variants or [None]:
            for test in tests:
                names.append(f"{fixture}.{variant}.{test}" if variant
                             else f"{fixture}.{test}")
    return names


def list_binary(path: str,
                timeout: float = LIST_TIMEOUT) -> Optional[List[str]]:
    """Harness test names of a binary, or None if it is not a harness
    binary.  Raises ListError when a harness binary fails to list."""
    if not is_harness_binary(path):
        return None
    try:
        done = subprocess.run([os.path.abspath(path), "-l"],
                              stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, cwd=os.path.dirname(
                                  os.path.abspath(path)))
    except subprocess.TimeoutExpired as error:
        raise ListError(f"{path} -l did not finish in {timeout:g}s") \
            from error
    except OSError as error:
        raise ListError(f"cannot run {path} -l: {error}") from error
    output = (done.stderr + done.stdout).decode("utf-8", errors="replace")
    if done.returncode != KSFT_SKIP or "# FIXTURE" not in output:
        raise ListError(f"{path} -l exited with status {done.returncode} "
                        f"without a test list: {output.strip()[:200]}")
    return parse_harness_list(output)


@dataclass
class Selection:
    patterns: List[str] = field(default_factory=list)
    requirements: List[str] = field(default_factory=list)
    # full testcase name -> why it does not run (--excluded FILE)
    excluded: Dict[str, str] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return bool(self.patterns or self.requirements or self.excluded)

    def binary_matches(self, binary: str) -> bool:
        return any(fnmatch.fnmatchcase(binary, p) for p in self.patterns)

    def selects(self, binary: str, full_name: str,
                requirements: Sequence[str]) -> bool:
        if full_name in self.excluded:
            return False
        if self.patterns and not self.binary_matches(binary) and not any(
                fnmatch.fnmatchcase(full_name, p) for p in self.patterns):
            return False
        if self.requirements and not set(self.requirements) & \
                set(requirements):
            return False
        return True

    def describe(self) -> str:
        parts = [f"--test {p}" for p in self.patterns]
        parts += [f"--req {r}" for r in self.requirements]
        if self.excluded:
            parts.append(f"({len(self.excluded)} excluded)")
        return " ".join(parts)

    def info(self, plans: Sequence["BinaryPlan"]) -> dict:
        """The selection as the JSON results record it."""
        return {"patterns": list(self.patterns),
                "requirements": list(self.requirements),
                "excluded": dict(self.excluded),
                "arguments": {plan.name: plan.args for plan in plans
                              if plan.args}}


@dataclass
class BinaryPlan:
    """A test binary to run and the harness options that select its tests."""
    path: str
    args: List[str] = field(default_factory=list)
    testcases: Optional[List[str]] = None     # selected full names, None: all

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


@dataclass
class PlanResult:
    plans: List[BinaryPlan]
    notes: List[str] = field(default_factory=list)
    # excluded testcases the binaries have: (full name, reason)
    excluded: List[Tuple[str, str]] = field(default_factory=list)


Lister = Callable[[str], Optional[List[str]]]


def plan_binaries(binaries: Sequence[str], selection: Selection,
                  requirements_of: Dict[str, List[str]],
                  lister: Lister = list_binary) -> PlanResult:
    """Which binaries run, with which -r options.

    requirements_of maps full testcase names to their static requirement
    IDs.  Raises ListError if a binary cannot list its tests.
    """
    result = PlanResult(plans=[])
    if not selection.active:
        result.plans = [BinaryPlan(path) for path in binaries]
        return result
    for path in binaries:
        binary = os.path.basename(path)
        whole = selection.binary_matches(binary)
        if whole and not selection.requirements and not selection.excluded:
            result.plans.append(BinaryPlan(path))
            continue
        names = lister(path)
        if names is None:
            result.notes.append(
                f"{binary}: not a kselftest harness binary, its testcases "
                f"cannot be selected; select it by its name to run it")
            continue
        result.excluded += [
            (f"{binary}.{name}", selection.excluded[f"{binary}.{name}"])
            for name in names if f"{binary}.{name}" in selection.excluded]
        chosen = [name for name in names
                  if selection.selects(binary, f"{binary}.{name}",
                                       requirements_of.get(
                                           f"{binary}.{name}", []))]
        if not chosen:
            continue
        full = [f"{binary}.{name}" for name in chosen]
        if len(chosen) == len(names):
            result.plans.append(BinaryPlan(path, testcases=full))
            continue
        args: List[str] = []
        for name in chosen:
            args += ["-r", name]
        result.plans.append(BinaryPlan(path, args=args, testcases=full))
    return result


def load_excluded(path: str) -> Dict[str, str]:
    """The testcases a file excludes, one a line: "FULL-NAME  reason".

    FULL-NAME is binary.fixture[.variant].name; the reason, the rest of
    the line, is required.  Blank lines and lines starting with # are
    comments.  Raises SetupError for a line without a reason, a name given
    twice, or a file that cannot be read.
    """
    excluded: Dict[str, str] = {}
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError as error:
        raise SetupError(f"cannot read {path}: {error.strerror}") from error
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition(" ")
        reason = reason.strip()
        if not reason:
            raise SetupError(f"{path}:{number}: {name}: no reason given")
        if name in excluded:
            raise SetupError(f"{path}:{number}: {name} is excluded twice")
        excluded[name] = reason
    return excluded


def choose_tests(directory: str, selection: Selection,
                 sources_dir: Optional[str],
                 lister: Lister = list_binary) -> PlanResult:
    """The test binaries of directory to run, and their options.

    Raises inputs.SetupError when there is nothing to run or a binary
    cannot list its testcases.
    """
    binaries = find_test_binaries(directory)
    requirements_of: Dict[str, List[str]] = {}
    if selection.requirements:
        if not sources_dir or not os.path.isdir(sources_dir):
            raise SetupError(f"--req needs the test sources: directory "
                             f"not found: {sources_dir} (see --sources)")
        requirements_of = scan_test_dir(sources_dir).requirements_of()
    try:
        planned = plan_binaries(binaries, selection, requirements_of, lister)
    except ListError as error:
        raise SetupError(str(error)) from error
    unknown = sorted(set(selection.excluded) -
                     {name for name, _ in planned.excluded})
    if unknown:
        raise SetupError(f"excluded testcases that no binary in "
                         f"{directory} has: {', '.join(unknown)}")
    if not planned.plans:
        notes = "".join(f"; {note}" for note in planned.notes)
        raise SetupError(f"no testcase in {directory} matches "
                         f"{selection.describe()}{notes}")
    return planned
