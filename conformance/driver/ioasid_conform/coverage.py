# SPDX-License-Identifier: GPL-2.0
"""Coverage of the core in user space: the coverage subcommand.

The harness (harness/coverage/coverage.mk) runs the conformance tests, and
the fuzzer's corpus if there is one, against a coverage build of the core
and the mocks, and hands gcov's JSON reports here (gcov --json-format
--branch-probabilities --stdout, one file NAME.json per object NAME.o):
one directory for the suite alone, one for suite and corpus.  Because
the tangled sources carry #line directives, gcov's lines are lines of the
literate sources, src/*.adoc.

From those this module writes
  * an AsciiDoc table, per part (core, mock framework, mock IOMMU) and
    per source file, of the lines and branches reached, suite and suite
    plus corpus, for the reference document;
  * the lines of the core (the --core part) that the suite does not
    reach, with their text;
  * one summary line on stdout;
and checks the unreached lines against a file of explanations (see
parse_explanations): every unreached line of the core must have one, an
explanation that matches no line is reported as stale, and the core's
line coverage by the suite must reach --min-lines percent.

Each part is a set of objects (--group NAME=OBJ,OBJ...).  A report of an
object that no part names (the fuzzer's own code, say) adds its counts
to the part whose objects own the same source files.
"""

import argparse
import fnmatch
import json
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Set, Tuple

SUITE, ALL = "suite", "suite + corpus"
# One explanation header: "function FILE NAME" or "line FILE NAME: TEXT".
HEADER = re.compile(r"^(function|line)\s+(\S+)\s+(.*)$")


class CoverageError(Exception):
    """A problem with the inputs: missing or malformed reports or
    explanations."""


@dataclass
class Line:
    """One source line, all objects of a part merged."""
    count: int = 0
    functions: Set[str] = field(default_factory=set)
    branches: Dict[int, int] = field(default_factory=dict)


# (file, line number) -> Line, per part
Lines = Dict[Tuple[str, int], Line]


@dataclass
class Stats:
    lines: int = 0
    lines_hit: int = 0
    branches: int = 0
    branches_taken: int = 0

    def add(self, other: "Stats") -> None:
        self.lines += other.lines
        self.lines_hit += other.lines_hit
        self.branches += other.branches
        self.branches_taken += other.branches_taken

    @property
    def line_pct(self) -> Optional[float]:
        return 100.0 * self.lines_hit / self.lines if self.lines else None

    @property
    def branch_pct(self) -> Optional[float]:
        return (100.0 * self.branches_taken / self.branches
                if self.branches else None)


@dataclass
class Explanation:
    kind: str                   # "function" or "line"
    file: str
    function: str               # "*" for any function (kind "line")
    text: Optional[str]         # the line's text, stripped (kind "line")
    reason: str
    where: int                  # its line in the explanations file
    matched: int = 0

    def matches(self, file: str, functions: Set[str], text: str) -> bool:
        if file != self.file:
            return False
        if self.function != "*" and self.function not in functions:
            return False
        return self.kind == "function" or text.strip() == self.text

    def describe(self) -> str:
        if self.kind == "function":
            return f"function {self.file} {self.function}"
        return f"line {self.file} {self.function}: {self.text}"


def parse_explanations(text: str, name: str = "UNREACHED") \
        -> List[Explanation]:
    """The explanations of unreached lines.  Blank lines and lines that
    start with '#' are ignored.  An entry is one or more header lines

        function FILE NAME         every line of function NAME in FILE
        line FILE NAME: TEXT       the lines of function NAME (or of any
                                   function, if NAME is *) in FILE whose
                                   text, without the white space around
                                   it, is TEXT

    followed by its reason, on lines indented by white space; consecutive
    headers share the reason that follows them.  Neither names a line
    number, so that entries survive edits elsewhere in the sources."""
    entries: List[Explanation] = []
    pending: List[Explanation] = []
    reason: List[str] = []

    def close(where: int) -> None:
        if pending and not reason:
            raise CoverageError(f"{name}:{where}: entry without a reason: "
                                f"{pending[-1].describe()}")
        for entry in pending:
            entry.reason = " ".join(reason)
        entries.extend(pending)
        pending.clear()
        reason.clear()

    number = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if raw[0] in " \t":
            if not pending:
                raise CoverageError(f"{name}:{number}: reason without an "
                                    f"entry before it")
            reason.append(raw.strip())
            continue
        if reason:
            close(number)
        match = HEADER.match(raw.rstrip())
        if not match:
            raise CoverageError(f"{name}:{number}: expected 'function FILE "
                                f"NAME' or 'line FILE NAME: TEXT', got "
                                f"{raw.strip()!r}")
        kind, file, rest = match.groups()
        if kind == "function":
            if not re.fullmatch(r"[A-Za-z_]\w*", rest.strip()):
                raise CoverageError(f"{name}:{number}: not a function "
                                    f"name: {rest.strip()!r}")
            pending.append(Explanation(kind, file, rest.strip(), None, "",
                                       number))
        else:
            function, colon, line_text = rest.partition(":")
            function = function.strip()
            if not colon or not line_text.strip() or not (
                    function == "*" or
                    re.fullmatch(r"[A-Za-z_]\w*", function)):
                raise CoverageError(f"{name}:{number}: expected 'line FILE "
                                    f"NAME: TEXT' (NAME a function or *), "
                                    f"got {raw.strip()!r}")
            pending.append(Explanation(kind, file, function,
                                       line_text.strip(), "", number))
    close(number + 1)
    return entries


def load_reports(directory: str) -> Dict[str, dict]:
    """The gcov JSON reports of a directory, by object name."""
    try:
        names = sorted(n for n in os.listdir(directory)
                       if n.endswith(".json"))
    except OSError as error:
        raise CoverageError(f"cannot read {directory}: {error}") from None
    reports = {}
    for name in names:
        path = os.path.join(directory, name)
        try:
            with open(path, encoding="utf-8") as handle:
                reports[name[:-len(".json")]] = json.load(handle)
        except (OSError, ValueError) as error:
            raise CoverageError(f"{path}: {error}") from None
    return reports


def _source_name(report: dict, entry: dict) -> str:
    """The source file of a report's entry, relative to the directory
    gcov ran in when it is given as an absolute path inside it."""
    name = entry.get("file", "")
    cwd = report.get("current_working_directory")
    if os.path.isabs(name) and cwd and \
            os.path.commonpath([name, cwd]) == cwd:
        name = os.path.relpath(name, cwd)
    return os.path.normpath(name)


def _wanted(name: str, patterns: List[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def merge(reports: Dict[str, dict], groups: Dict[str, List[str]],
          patterns: List[str], owners: Optional[Dict[str, str]] = None) \
        -> Tuple[Dict[str, Lines], Dict[str, str]]:
    """Lines of each part, from the reports of its objects, only for the
    source files that match patterns; a line counts as reached when any
    object reached it, a branch (by its place on the line) as taken when
    any object took it.  Returns the lines and which part owns each file
    (the owners given, completed from this run)."""
    by_object = {obj: part for part, objects in groups.items()
                 for obj in objects}
    missing = sorted(set(by_object) - set(reports))
    if missing:
        raise CoverageError(f"no gcov report for {', '.join(missing)}")
    owners = dict(owners or {})
    parts: Dict[str, Lines] = {part: {} for part in groups}

    def files(report):
        for entry in report.get("files", []):
            name = _source_name(report, entry)
            if _wanted(name, patterns):
                yield name, entry

    for obj, report in reports.items():
        if obj in by_object:
            for name, _ in files(report):
                owners.setdefault(name, by_object[obj])
    for obj, report in sorted(reports.items()):
        for name, entry in files(report):
            part = by_object.get(obj) or owners.get(name)
            if part is None:
                continue
            lines = parts[part]
            for item in entry.get("lines", []):
                key = (name, int(item["line_number"]))
                line = lines.setdefault(key, Line())
                line.count += int(item.get("count", 0))
                if item.get("function_name"):
                    line.functions.add(item["function_name"])
                for index, branch in enumerate(item.get("branches", [])):
                    line.branches[index] = line.branches.get(index, 0) + \
                        int(branch.get("count", 0))
    return parts, owners


def file_stats(lines: Lines) -> Dict[str, Stats]:
    stats: Dict[str, Stats] = {}
    for (name, _), line in lines.items():
        s = stats.setdefault(name, Stats())
        s.lines += 1
        s.lines_hit += line.count > 0
        s.branches += len(line.branches)
        s.branches_taken += sum(1 for c in line.branches.values() if c > 0)
    return stats


def total(stats: Iterable[Stats]) -> Stats:
    result = Stats()
    for s in stats:
        result.add(s)
    return result


class Sources:
    """The text of the source files, read once."""

    def __init__(self, root: str = "."):
        self.root = root
        self._lines: Dict[str, List[str]] = {}

    def lines(self, name: str) -> List[str]:
        if name not in self._lines:
            try:
                with open(os.path.join(self.root, name),
                          encoding="utf-8", errors="replace") as handle:
                    self._lines[name] = handle.read().splitlines()
            except OSError:
                self._lines[name] = []
        return self._lines[name]

    def text(self, name: str, number: int) -> str:
        lines = self.lines(name)
        return lines[number - 1] if 0 < number <= len(lines) else ""

    def anchor(self, name: str) -> Optional[str]:
        """The id of the file's first level-1 section, [[id]] just before
        its '== ' title, for a cross reference."""
        previous = ""
        for line in self.lines(name):
            if line.startswith("== "):
                match = re.fullmatch(r"\[\[([\w-]+)(?:,[^\]]*)?\]\]",
                                     previous.strip())
                return match.group(1) if match else None
            if line.strip():
                previous = line
        return None


@dataclass
class Unreached:
    file: str
    number: int
    functions: Set[str]
    text: str
    by_corpus: bool
    explanation: Optional[Explanation] = None


def unreached_lines(suite: Lines, everything: Lines, sources: Sources,
                    explanations: List[Explanation]) -> List[Unreached]:
    result = []
    for (name, number), line in sorted(suite.items()):
        if line.count:
            continue
        other = everything.get((name, number))
        item = Unreached(name, number, set(line.functions),
                         sources.text(name, number),
                         bool(other and other.count))
        for entry in explanations:
            if entry.matches(name, item.functions, item.text):
                entry.matched += 1
                item.explanation = item.explanation or entry
        result.append(item)
    return result


def _pct(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _cell(hit: int, of: int) -> str:
    return f"{_pct(100.0 * hit / of if of else None)} ({hit}/{of})"


def _adoc_text(text: str) -> str:
    """Text for a table cell: its own vertical bars escaped."""
    return text.replace("|", "\\|")


def write_adoc(out, groups: List[str], suite: Dict[str, Dict[str, Stats]],
               everything: Optional[Dict[str, Dict[str, Stats]]],
               sources: Sources, core: str, items: List[Unreached],
               explanations: List[Explanation], level: int = 2) -> None:
    """The AsciiDoc fragment: a section (of the given level, 2 being
    '===') with the per-file table and, for the lines of the core that
    the suite does not reach, their reasons."""
    unexplained = [i for i in items if i.explanation is None]
    heading = "=" * (level + 1)
    out.write(f"[[harness-coverage]]\n{heading} Coverage\n\n")
    out.write("// Generated by conformance/driver/run.py coverage (make "
              "harness-coverage);\n// edits are overwritten.\n\n")
    out.write("`make harness-coverage` runs the conformance suite in user "
              "space against the core, the mock framework and the mock "
              "IOMMU compiled with gcov's coverage.  For each literate "
              "source file, the table gives the share of its lines of code "
              "that ran and of its branches that were taken at least once")
    if everything is None:
        out.write(", by the suite alone (no fuzzing corpus was replayed).  ")
    else:
        out.write(", by the suite alone and by the suite together with the "
                  "fuzzer's corpus.  ")
    out.write("A line is one of the source file's lines that holds code; "
              "the core's inline helpers count once however many objects "
              "use them.\n\n")
    cols = '2,3,2,2' + (',2,2' if everything is not None else '')
    out.write(f'[cols="{cols}",options="header"]\n|===\n')
    out.write("| Part | Source | Lines, suite | Branches, suite")
    if everything is not None:
        out.write(" | Lines, suite + corpus | Branches, suite + corpus")
    out.write("\n")
    for part in groups:
        for name in sorted(suite.get(part, {})) + [None]:
            if name is None:
                s = total(suite[part].values())
                e = (total(everything.get(part, {}).values())
                     if everything is not None else None)
                label, where = f"*{part}*", "*all*"
            else:
                s = suite[part][name]
                e = (everything.get(part, {}).get(name, Stats())
                     if everything is not None else None)
                anchor = sources.anchor(name)
                label = part
                where = (f"<<{anchor},`{name}`>>" if anchor
                         else f"`{name}`")
            out.write(f"\n| {label} | {where} "
                      f"| {_cell(s.lines_hit, s.lines)} "
                      f"| {_cell(s.branches_taken, s.branches)}")
            if e is not None:
                out.write(f" | {_cell(e.lines_hit, e.lines)} "
                          f"| {_cell(e.branches_taken, e.branches)}")
            out.write("\n")
    out.write("|===\n")
    if not items:
        out.write(f"\nThe suite reaches every line of the {core}.\n")
        return
    out.write(f"\nThe suite does not reach {_plural(len(items), 'line')} "
              f"of the {core}.  Each has its reason in "
              f"`harness/coverage/UNREACHED`")
    if unexplained:
        out.write(f", except {_plural(len(unexplained), 'line')} that a "
                  f"test could reach but none does yet")
    out.write(":\n\n")
    out.write('[cols="2,3,5",options="header"]\n|===\n'
              "| Source | Unreached | Why\n")
    reasons: Dict[str, List[Unreached]] = {}
    for item in items:
        key = item.explanation.reason if item.explanation else ""
        reasons.setdefault(key, []).append(item)
    order = sorted(reasons, key=lambda r: (r == "", reasons[r][0].file,
                                           reasons[r][0].number))
    for reason in order:
        lines = reasons[reason]
        files = sorted({i.file for i in lines})
        functions = sorted({f for i in lines for f in i.functions})
        where = " +\n".join(f"`{f}`" for f in files)
        what = ", ".join(f"`{f}()`" for f in functions) or "-"
        what += f": {_plural(len(lines), 'line')}"
        why = _adoc_text(reason) if reason else \
            "None yet: a gap of the suite."
        out.write(f"\n| {where}\n| {what}\n| {why}\n")
    out.write("|===\n")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def write_unreached(out, items: List[Unreached], have_corpus: bool) -> None:
    out.write("# Lines of the core that the suite does not reach, one a "
              "line, tab-separated:\n#   FILE:LINE  FUNCTION  MARKS  TEXT\n"
              "# MARKS: 'unexplained' if harness/coverage/UNREACHED has no "
              "entry for the line")
    if have_corpus:
        out.write(", 'corpus' if the fuzzer's corpus reaches it")
    out.write("; '-' for none.\n")
    for item in items:
        marks = []
        if item.by_corpus:
            marks.append("corpus")
        if item.explanation is None:
            marks.append("unexplained")
        function = ",".join(sorted(item.functions)) or "-"
        out.write(f"{item.file}:{item.number}\t{function}\t"
                  f"{','.join(marks) or '-'}\t{item.text.strip()}\n")


def _group(text: str) -> Tuple[str, List[str]]:
    name, equals, objects = text.partition("=")
    if not equals or not name.strip() or not objects.strip():
        raise argparse.ArgumentTypeError(
            f"expected NAME=OBJECT[,OBJECT...], got {text!r}")
    return name.strip(), [o.strip() for o in objects.split(",") if o.strip()]


def add_coverage_arguments(parser: argparse.ArgumentParser) -> None:
    inputs = parser.add_argument_group("inputs")
    inputs.add_argument("--suite", required=True, metavar="DIR",
                        help="gcov JSON reports (NAME.json per object "
                             "NAME.o) after the suite alone")
    inputs.add_argument("--all", metavar="DIR",
                        help="the same after the suite and the fuzzer's "
                             "corpus")
    inputs.add_argument("--no-corpus", action="store_true",
                        help="no corpus was replayed: ignore --all")
    inputs.add_argument("--group", dest="groups", action="append",
                        type=_group, required=True,
                        metavar="NAME=OBJ[,OBJ...]",
                        help="a part and its objects, in the order of the "
                             "table (repeatable)")
    inputs.add_argument("--sources", dest="patterns", action="append",
                        default=[], metavar="PATTERN",
                        help="only source files matching PATTERN, relative "
                             "to the directory gcov ran in (repeatable; "
                             "default: src/*.adoc)")
    inputs.add_argument("--root", default=".", metavar="DIR",
                        help="where the source files are read, for the "
                             "text of unreached lines (default: .)")
    checks = parser.add_argument_group("checks")
    checks.add_argument("--core", default="core", metavar="NAME",
                        help="the part whose unreached lines must be "
                             "explained (default: core)")
    checks.add_argument("--explanations", metavar="FILE",
                        help="reasons for the unreached lines of the core; "
                             "without it, none is explained")
    checks.add_argument("--min-lines", type=float, default=0.0,
                        metavar="PERCENT",
                        help="fail if the suite reaches fewer of the core's "
                             "lines (default: 0)")
    outputs = parser.add_argument_group("outputs")
    outputs.add_argument("--adoc", metavar="OUT.adoc",
                         help="the per-file table as an AsciiDoc fragment")
    outputs.add_argument("--adoc-level", type=int, default=2,
                         choices=(1, 2, 3), metavar="N",
                         help="its section level: 1 for '==', 2 for '===' "
                              "(default), 3 for '===='")
    outputs.add_argument("--unreached", metavar="OUT.txt",
                         help="the core's lines the suite does not reach")


def cmd_coverage(args: argparse.Namespace) -> int:
    groups = dict(args.groups)
    order = [name for name, _ in args.groups]
    patterns = args.patterns or ["src/*.adoc"]
    if args.core not in groups:
        print(f"run.py coverage: error: --core {args.core} is not a "
              f"--group", file=sys.stderr)
        return 2
    have_corpus = bool(args.all) and not args.no_corpus
    sources = Sources(args.root)
    try:
        explanations = []
        if args.explanations:
            with open(args.explanations, encoding="utf-8") as handle:
                explanations = parse_explanations(handle.read(),
                                                  args.explanations)
        suite, owners = merge(load_reports(args.suite), groups, patterns)
        everything = suite
        if have_corpus:
            everything, _ = merge(load_reports(args.all), groups, patterns,
                                  owners)
    except (OSError, CoverageError) as error:
        print(f"run.py coverage: error: {error}", file=sys.stderr)
        return 2
    suite_stats = {part: file_stats(lines) for part, lines in suite.items()}
    all_stats = ({part: file_stats(lines)
                  for part, lines in everything.items()}
                 if have_corpus else None)
    items = unreached_lines(suite[args.core], everything[args.core],
                            sources, explanations)
    unexplained = [i for i in items if i.explanation is None]
    if args.adoc:
        with open(args.adoc, "w", encoding="utf-8") as out:
            write_adoc(out, order, suite_stats, all_stats, sources,
                       args.core, items, explanations, args.adoc_level)
    if args.unreached:
        with open(args.unreached, "w", encoding="utf-8") as out:
            write_unreached(out, items, have_corpus)

    parts = []
    for part in order:
        s = total(suite_stats[part].values())
        text = (f"{part} {_pct(s.line_pct)} lines, {_pct(s.branch_pct)} "
                f"branches (suite)")
        if all_stats is not None:
            e = total(all_stats[part].values())
            text += f", {_pct(e.line_pct)}, {_pct(e.branch_pct)} " \
                    f"(suite+corpus)"
        parts.append(text)
    print("coverage: " + "; ".join(parts))

    status = 0
    for item in unexplained:
        print(f"coverage: unexplained: {item.file}:{item.number} "
              f"[{','.join(sorted(item.functions)) or '-'}] "
              f"{item.text.strip()}")
    for entry in explanations:
        if not entry.matched:
            print(f"coverage: stale ({args.explanations}:{entry.where}): "
                  f"{entry.describe()}")
    if unexplained:
        print(f"coverage: {len(unexplained)} unreached line"
              f"{'s' if len(unexplained) != 1 else ''} of the {args.core} "
              f"without an entry in {args.explanations or '--explanations'}")
        status = 1
    core = total(suite_stats[args.core].values())
    if core.line_pct is None or core.line_pct < args.min_lines:
        print(f"coverage: the suite reaches {_pct(core.line_pct)} of the "
              f"{args.core}'s lines, less than {args.min_lines:g}%")
        status = 1
    return status
