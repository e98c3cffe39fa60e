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

The requirements fall into two parts that are counted apart: those of the
user API, and those of the annex that specifies the optional conformance
test interface (the files given as annex).  Rows are in the order of the
specification sources, chapter by chapter, with the annex's chapters last.

Problems that --check reports (each with file:line): a requirement without
a test that is not marked untestable; a test naming an ID the
specification does not define; an ID defined twice (requirements or test
names); malformed definitions, untestable marks without a reason and
REQ() arguments that are not IDs.
"""

import json
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, TextIO

from .results import FAIL, PASS, SKIP, TestResult
from .sources import (UNKNOWN, UNTESTED, Chapter, Problem, Requirement,
                      SpecScan, TestScan, TestSource)

NOT_RUN = "NOT RUN"
NOT_APPLICABLE = "N/A"
STATUSES = (PASS, FAIL, SKIP, NOT_RUN, NOT_APPLICABLE)

# The two parts of the specification, counted apart.
UAPI = "uapi"
ANNEX = "annex"
PARTS = (UAPI, ANNEX)
PART_NAMES = {UAPI: "user API", ANNEX: "test interface annex"}


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
    part: str = UAPI

    def to_json(self) -> dict:
        document = self.requirement.to_json()
        document.update(part=self.part, tests=list(self.tests),
                        status=dict(self.status),
                        results={k: dict(v) for k, v in self.results.items()})
        return document


@dataclass
class Group:
    """The requirements of one chapter (one specification source)."""
    file: str
    chapter: Optional[Chapter]
    part: str
    rows: List[Row] = field(default_factory=list)

    @property
    def title(self) -> str:
        title = self.chapter.title if self.chapter else self.file
        return f"{title} (annex)" if self.part == ANNEX else title

    @property
    def anchor(self) -> Optional[str]:
        return self.chapter.anchor if self.chapter else None

    def to_json(self) -> dict:
        return {"file": self.file, "title": self.title,
                "anchor": self.anchor, "part": self.part,
                "requirements": [row.requirement.id for row in self.rows]}


def _counts(rows: Sequence[Row]) -> dict:
    tested = sum(1 for row in rows if row.tests)
    untestable = sum(1 for row in rows
                     if row.requirement.untestable is not None
                     and not row.tests)
    return {"requirements": len(rows), "tested": tested,
            "untestable": untestable,
            "untested": len(rows) - tested - untestable}


@dataclass
class Traceability:
    rows: List[Row]
    kernels: List[str]
    tests: List[TestSource]
    problems: List[Problem]
    results_files: Dict[str, str] = field(default_factory=dict)
    groups: List[Group] = field(default_factory=list)

    def rows_of(self, part: str) -> List[Row]:
        return [row for row in self.rows if row.part == part]

    @property
    def has_annex(self) -> bool:
        return any(row.part == ANNEX for row in self.rows)

    def summary(self) -> dict:
        per_kernel = {}
        for kernel in self.kernels:
            counts = {status: 0 for status in STATUSES}
            for row in self.rows:
                counts[row.status[kernel]] += 1
            per_kernel[kernel] = counts
        parts = {}
        for part in PARTS:
            rows = self.rows_of(part)
            counts = _counts(rows)
            counts["kernels"] = {
                kernel: {status: sum(1 for row in rows
                                     if row.status[kernel] == status)
                         for status in STATUSES}
                for kernel in self.kernels}
            parts[part] = counts
        summary = _counts(self.rows)
        summary.update(tests=len(self.tests), problems=len(self.problems),
                       kernels=per_kernel, parts=parts)
        return summary


def build(spec: SpecScan, tests: TestScan,
          runs: Sequence[RunResults] = (),
          annex: Sequence[str] = ()) -> Traceability:
    """The report.  annex: the specification sources whose requirements
    belong to the optional test interface annex; they are counted apart
    and come last."""
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
        row.part = ANNEX if requirement.file in annex else UAPI
        rows.append(row)
    problems.sort(key=lambda problem: (problem.file, problem.line))

    # Chapter by chapter, in the order of the sources, the annex last.
    files = list(spec.files)
    for row in rows:
        if row.requirement.file not in files:
            files.append(row.requirement.file)
    files.sort(key=lambda path: path in annex)
    groups = []
    for path in files:
        members = [row for row in rows if row.requirement.file == path]
        if members:
            groups.append(Group(path, spec.chapters.get(path),
                                ANNEX if path in annex else UAPI, members))
    rows = [row for group in groups for row in group.rows]
    return Traceability(rows=rows, kernels=kernels, tests=list(tests.tests),
                        problems=problems,
                        results_files={run.kernel: run.file for run in runs},
                        groups=groups)


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
    out.write(f"{_count_line(summary)}; {summary['tests']} tests\n")
    for part in PARTS:
        counts = summary["parts"][part]
        if counts["requirements"] or part == UAPI:
            out.write(f"  {PART_NAMES[part]}: {_count_line(counts)}\n")
    for kernel in trace.kernels:
        listed = _status_line(summary["kernels"][kernel])
        if trace.has_annex:
            listed = "; ".join(
                f"{PART_NAMES[part]}: "
                f"{_status_line(summary['parts'][part]['kernels'][kernel])}"
                for part in PARTS)
        out.write(f"{kernel}: {listed}\n")


def _count_line(counts: dict) -> str:
    return (f"{_plural(counts['requirements'], 'requirement')}: "
            f"{counts['tested']} "
            f"tested, {counts['untestable']} untestable, "
            f"{counts['untested']} without a test")


def _status_line(counts: Dict[str, int]) -> str:
    return ", ".join(f"{counts[status]} {status}"
                     for status in STATUSES if counts[status]) or "none"


def count_parts(trace: Traceability) -> str:
    """'N requirements: U of the user API, A of the test interface annex'
    for the line that --check prints."""
    summary = trace.summary()
    text = f"{summary['requirements']} requirements"
    if trace.has_annex:
        parts = summary["parts"]
        text += (f": {parts[UAPI]['requirements']} of the "
                 f"{PART_NAMES[UAPI]}, {parts[ANNEX]['requirements']} of the "
                 f"{PART_NAMES[ANNEX]}")
    return text


def report_json(trace: Traceability) -> dict:
    return {
        "kernels": list(trace.kernels),
        "results_files": dict(trace.results_files),
        "summary": trace.summary(),
        "chapters": [group.to_json() for group in trace.groups],
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


def _adoc_counts(counts: dict) -> str:
    text = f"{counts['tested']} with tests"
    if counts["untestable"]:
        text += f", {counts['untestable']} untestable"
    if counts["untested"]:
        text += f", {counts['untested']} without a test"
    return text


def _plural(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


def _section_anchor(group: Group, used: set) -> str:
    base = group.anchor or os.path.splitext(os.path.basename(group.file))[0]
    base = re.sub(r"[^\w-]+", "-", base).strip("-") or "chapter"
    anchor, number = f"{ANCHOR}-{base}", 2
    while anchor in used:
        anchor, number = f"{ANCHOR}-{base}-{number}", number + 1
    used.add(anchor)
    return anchor


def write_adoc(trace: Traceability, out: TextIO,
               with_results: Optional[bool] = None) -> None:
    """The AsciiDoc fragment: a level-1 section with the matrix, one
    level-2 section per chapter in the order of the specification sources,
    the annex last.

    With with_results (the default when results were given), one column
    per kernel with the requirement's status; without, only requirement ->
    tests, as the specification shows it.  It links each requirement with
    <<ID>> and each chapter with its anchor, so the document that includes
    it must define those anchors.
    """
    if with_results is None:
        with_results = bool(trace.kernels)
    kernels = trace.kernels if with_results else []
    summary = trace.summary()
    out.write(f"[[{ANCHOR}]]\n== {TITLE}\n\n")
    source = "the results of the runs" if kernels else "the test sources"
    out.write("// Generated by conformance/driver/run.py report from the "
              f"specification\n// and {source}; edits are overwritten.\n\n")
    out.write("Each requirement of this specification and the conformance "
              "tests that check it, chapter by chapter.  ")
    parts = summary["parts"]
    if trace.has_annex:
        out.write(f"The {PART_NAMES[UAPI]} has "
                  f"{_plural(parts[UAPI]['requirements'], 'requirement')} "
                  f"({_adoc_counts(parts[UAPI])}).  The optional "
                  f"{PART_NAMES[ANNEX]} has "
                  f"{_plural(parts[ANNEX]['requirements'], 'requirement')} "
                  f"({_adoc_counts(parts[ANNEX])}), counted apart and "
                  f"listed last.\n")
    else:
        out.write(f"There are "
                  f"{_plural(summary['requirements'], 'requirement')} "
                  f"({_adoc_counts(summary)}).\n")
    if kernels:
        out.write("For each kernel, the result of the requirement's tests: "
                  "FAIL if one of them failed, PASS if at least one passed "
                  "and none failed, SKIP if all were skipped, NOT RUN if "
                  "none ran.\n")
    used: set = set()
    for group in trace.groups:
        out.write(f"\n[[{_section_anchor(group, used)}]]\n"
                  f"=== {group.title}\n\n")
        counts = _counts(group.rows)
        where = f" of <<{group.anchor}>>" if group.anchor else ""
        out.write(f"{_plural(counts['requirements'], 'requirement')}{where}"
                  f", {_adoc_counts(counts)}.\n\n")
        _write_adoc_table(group.rows, kernels, out)


def _write_adoc_table(rows: Sequence[Row], kernels: Sequence[str],
                      out: TextIO) -> None:
    columns = ["2", "5"] + ["1"] * len(kernels)
    out.write(f'[cols="{",".join(columns)}",options="header"]\n|===\n')
    out.write("| Requirement | Tests")
    for kernel in kernels:
        out.write(f" | {_cell(kernel)}")
    out.write("\n")
    for row in rows:
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


def write_adoc_file(trace: Traceability, path: str,
                    with_results: Optional[bool] = None) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        write_adoc(trace, handle, with_results)
