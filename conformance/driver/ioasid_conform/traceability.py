# SPDX-License-Identifier: GPL-2.0
"""The requirement report: which tests check each requirement, and how
they fared on each kernel.

Inputs: the requirements of the specification and the tests' static
requirement lists (sources.py), and any number of results files written by
"run --json" or "local --json", one per kernel.

The tests of a requirement are those whose source names it (REQ(...) or
FAIL_NTH_TEST's list), plus any test whose results name it at run time
("# REQ:" lines) without the source doing so.  A requirement's status on a
kernel is

    FAIL     one of its tests failed
    PASS     at least one passed and none failed
    SKIP     all its tests that ran were skipped
    NOT RUN  none of its tests has a result in that kernel's file
    N/A      it is marked untestable and has no test

Problems that --check reports (each with file:line): a requirement without
a test that is not marked untestable; a test naming an ID the
specification does not define; an ID defined twice (requirements or test
names); malformed definitions, untestable marks without a reason and
REQ() arguments that are not IDs.
"""

import json
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, TextIO

from .results import FAIL, PASS, SKIP, TestResult
from .sources import (UNKNOWN, UNTESTED, Problem, Requirement, SpecScan,
                      TestScan, TestSource)

NOT_RUN = "NOT RUN"
NOT_APPLICABLE = "N/A"
STATUSES = (PASS, FAIL, SKIP, NOT_RUN, NOT_APPLICABLE)


@dataclass
class RunResults:
    """The results of one run, as read from its JSON file."""
    kernel: str
    file: str
    results: List[TestResult]


def load_results(path: str) -> RunResults:
    """Read a results file; ValueError with the file name if it is not
    one."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        kernel = str(document["kernel"])
        results = [TestResult.from_json(record)
                   for record in document["tests"]]
    except OSError as error:
        raise ValueError(f"cannot read results {path}: "
                         f"{error.strerror}") from error
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path} is not a results file of run.py --json "
                         f"({type(error).__name__}: {error})") from error
    return RunResults(kernel=kernel, file=path, results=results)


def combine(statuses: Sequence[str]) -> str:
    """A requirement's status from the statuses of its tests' results."""
    if FAIL in statuses:
        return FAIL
    if PASS in statuses:
        return PASS
    if SKIP in statuses:
        return SKIP
    return NOT_RUN


@dataclass
class Row:
    requirement: Requirement
    tests: List[str] = field(default_factory=list)
    status: Dict[str, str] = field(default_factory=dict)
    results: Dict[str, Dict[str, str]] = field(default_factory=dict)

    def to_json(self) -> dict:
        document = self.requirement.to_json()
        document.update(tests=list(self.tests), status=dict(self.status),
                        results={k: dict(v) for k, v in self.results.items()})
        return document


@dataclass
class Traceability:
    rows: List[Row]
    kernels: List[str]
    tests: List[TestSource]
    problems: List[Problem]
    results_files: Dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict:
        tested = sum(1 for row in self.rows if row.tests)
        untestable = sum(1 for row in self.rows
                         if row.requirement.untestable is not None
                         and not row.tests)
        per_kernel = {}
        for kernel in self.kernels:
            counts = {status: 0 for status in STATUSES}
            for row in self.rows:
                counts[row.status[kernel]] += 1
            per_kernel[kernel] = counts
        return {"requirements": len(self.rows), "tested": tested,
                "untestable": untestable,
                "untested": len(self.rows) - tested - untestable,
                "tests": len(self.tests), "problems": len(self.problems),
                "kernels": per_kernel}


def build(spec: SpecScan, tests: TestScan,
          runs: Sequence[RunResults] = ()) -> Traceability:
    kernels = [run.kernel for run in runs]
    for kernel in kernels:
        if kernels.count(kernel) > 1:
            files = [run.file for run in runs if run.kernel == kernel]
            raise ValueError(f"two results files for kernel {kernel}: "
                             f"{', '.join(files)}")
    defined = spec.by_id()
    problems = list(spec.problems) + list(tests.problems)

    tests_of: Dict[str, List[str]] = {}
    for test in tests.tests:
        for req, line in test.requirements:
            if req not in defined:
                problems.append(Problem(
                    test.file, line, UNKNOWN,
                    f"test {test.name} names {req}, which the "
                    f"specification does not define"))
                continue
            names = tests_of.setdefault(req, [])
            if test.name not in names:
                names.append(test.name)
    for run in runs:
        for result in run.results:
            for req in result.requirements:
                names = tests_of.setdefault(req, [])
                if req in defined and result.name not in names:
                    names.append(result.name)

    rows: List[Row] = []
    seen = set()
    for requirement in spec.requirements:
        if requirement.id in seen:
            continue
        seen.add(requirement.id)
        row = Row(requirement, tests=list(tests_of.get(requirement.id, [])))
        if not row.tests and requirement.untestable is None:
            problems.append(Problem(
                requirement.file, requirement.line, UNTESTED,
                f"requirement {requirement.id} has no test and is not "
                f"marked untestable (// untestable: REASON below it)"))
        for run in runs:
            by_name = {result.name: result.status for result in run.results}
            found = {name: by_name[name] for name in row.tests
                     if name in by_name}
            row.results[run.kernel] = found
            if not row.tests and requirement.untestable is not None:
                row.status[run.kernel] = NOT_APPLICABLE
            else:
                row.status[run.kernel] = combine(list(found.values()))
        rows.append(row)
    problems.sort(key=lambda problem: (problem.file, problem.line))
    return Traceability(rows=rows, kernels=kernels, tests=list(tests.tests),
                        problems=problems,
                        results_files={run.kernel: run.file for run in runs})


# -- writers -----------------------------------------------------------------

def write_text(trace: Traceability, out: TextIO) -> None:
    """A plain-text table, one requirement per line, and a summary."""
    header = ["Requirement", "Tests"] + trace.kernels
    rows = []
    for row in trace.rows:
        cells = [row.requirement.id, str(len(row.tests))]
        cells += [row.status[kernel] for kernel in trace.kernels]
        if not row.tests and row.requirement.untestable is not None:
            cells.append(f"untestable: {row.requirement.untestable}")
        rows.append(cells)
    widths = [max([len(header[i])] + [len(cells[i]) for cells in rows])
              for i in range(len(header))]
    for cells in [header] + rows:
        padded = [cell.ljust(widths[i]) if i < len(widths) else cell
                  for i, cell in enumerate(cells)]
        out.write("  ".join(padded).rstrip() + "\n")
    summary = trace.summary()
    out.write(f"{summary['requirements']} requirements: "
              f"{summary['tested']} tested, {summary['untestable']} "
              f"untestable, {summary['untested']} without a test; "
              f"{summary['tests']} tests\n")
    for kernel in trace.kernels:
        counts = summary["kernels"][kernel]
        listed = ", ".join(f"{counts[status]} {status}"
                           for status in STATUSES if counts[status])
        out.write(f"{kernel}: {listed}\n")


def report_json(trace: Traceability) -> dict:
    return {
        "kernels": list(trace.kernels),
        "results_files": dict(trace.results_files),
        "summary": trace.summary(),
        "requirements": [row.to_json() for row in trace.rows],
        "tests": [test.to_json() for test in trace.tests],
        "problems": [problem.to_json() for problem in trace.problems],
    }


def write_json(trace: Traceability, path: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(report_json(trace), handle, indent=2)
        handle.write("\n")


# -- AsciiDoc ----------------------------------------------------------------

ANCHOR = "traceability"
TITLE = "Traceability matrix"


def _cell(text: str) -> str:
    """Text safe inside a table cell: "|" would end the cell."""
    return text.replace("|", "\\|")


def adoc_code(text: str) -> str:
    """Monospace text, shown literally."""
    if "+" in text:
        return _cell(f"`pass:c[{text.replace(']', chr(92) + ']')}]`")
    return _cell(f"`+{text}+`")


def adoc_status(status: str) -> str:
    return f"*{status}*" if status == FAIL else status


# A table cell of the PDF cannot span pages: a requirement that many tests
# check lists this many of them, and the count of the others.
ADOC_MAX_TESTS = 12


def write_adoc(trace: Traceability, out: TextIO,
               with_results: Optional[bool] = None) -> None:
    """The AsciiDoc fragment: a level-1 section with the matrix.

    It links each requirement with <<ID>>, so the document that includes it
    must define the requirements' anchors.
    """
    if with_results is None:
        with_results = bool(trace.kernels)
    kernels = trace.kernels if with_results else []
    summary = trace.summary()
    out.write(f"[[{ANCHOR}]]\n== {TITLE}\n\n")
    out.write("// Generated by conformance/driver/run.py report from the "
              "specification,\n// the test sources and the results of the "
              "runs; edits are overwritten.\n\n")
    out.write(f"Each requirement of this specification and the conformance "
              f"tests that check it ({summary['requirements']} requirements, "
              f"{summary['tested']} with tests, {summary['untestable']} "
              f"untestable).\n")
    if kernels:
        out.write("For each kernel, the result of the requirement's tests: "
                  "FAIL if one of them failed, PASS if at least one passed "
                  "and none failed, SKIP if all were skipped, NOT RUN if "
                  "none ran.\n")
    out.write("\n")
    columns = ["2", "5"] + ["1"] * len(kernels)
    out.write(f'[cols="{",".join(columns)}",options="header"]\n|===\n')
    out.write("| Requirement | Tests")
    for kernel in kernels:
        out.write(f" | {_cell(kernel)}")
    out.write("\n")
    for row in trace.rows:
        requirement = row.requirement
        out.write(f"\n| <<{requirement.id}>>\n")
        if row.tests:
            shown = [adoc_code(test) for test in row.tests[:ADOC_MAX_TESTS]]
            hidden = len(row.tests) - len(shown)
            if hidden:
                shown.append(f"_and {hidden} more, listed in the "
                             f"requirement report_")
            out.write("| " + " +\n".join(shown) + "\n")
        elif requirement.untestable is not None:
            out.write(f"| _untestable:_ {_cell(requirement.untestable)}\n")
        else:
            out.write("| _no test_\n")
        for kernel in kernels:
            out.write(f"| {adoc_status(row.status[kernel])}\n")
    out.write("|===\n")


def write_adoc_file(trace: Traceability, path: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        write_adoc(trace, handle)
