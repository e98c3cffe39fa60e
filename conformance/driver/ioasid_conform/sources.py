# SPDX-License-Identifier: GPL-2.0
"""Static scans: requirements in the specification, requirements named by
the test sources.

Requirements (AsciiDoc).  A requirement is defined by a line

    [[REQ-ARG-FLAGS]]REQ-ARG-FLAGS::

at the start of a line, outside delimited listing, literal, passthrough
and comment blocks.  A comment line directly below the definition,

    // untestable: REASON

marks it as untestable.  The chapter of a requirement is the first
level-1 section ("== Title") of its file, with the anchor ("[[id]]") on the
lines above the title if there is one; the requirement report groups the
requirements by chapter.

Tests (C, kselftest harness).  A test is a TEST(name), TEST_SIGNAL(name,
sig), TEST_F(fixture, name), TEST_F_SIGNAL(fixture, name, sig) or
TEST_F_TIMEOUT(fixture, name, t) definition, or a call of a macro defined
in the scanned sources or their directories' headers whose body expands to
one of these with the test name built from a parameter (FAIL_NTH_TEST:
TEST(fail_nth_##name)).  Its full name is binary.fixture[.variant].name as
the harness and the driver report it, where binary is the source file name
without ".c" and fixture is "global" for TEST; a TEST_F of a fixture with
FIXTURE_VARIANT_ADD variants gives one name per variant.  The requirements
of a test are the IDs in the REQ(...) calls of its body, and for a wrapper
macro the IDs in the string literal it passes to "REQ: %s".
"""

import glob
import os
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

REQ_ID = r"REQ-[A-Z0-9]+(?:-[A-Z0-9]+)*"
_REQ_ID = re.compile(rf"^{REQ_ID}$")

# -- problems ----------------------------------------------------------------

UNTESTED = "untested"
UNKNOWN = "unknown-requirement"
DUPLICATE = "duplicate"
MALFORMED = "malformed"


@dataclass
class Problem:
    """Something --check reports, with the place it is about."""
    file: str
    line: int
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"

    def to_json(self) -> dict:
        return {"file": self.file, "line": self.line, "kind": self.kind,
                "message": self.message}


def expand_globs(patterns: Sequence[str], what: str) -> List[str]:
    """Files matching the patterns, in order, each once.

    A pattern that matches nothing is an error (a typo would otherwise
    silently give an empty report).
    """
    files: List[str] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern))
        if not matches:
            raise FileNotFoundError(f"no {what} matches {pattern!r}")
        for path in matches:
            if os.path.isfile(path) and path not in files:
                files.append(path)
    return files


# -- requirements in the specification -------------------------------------

@dataclass
class Requirement:
    id: str
    file: str
    line: int
    untestable: Optional[str] = None       # the reason, if marked

    def to_json(self) -> dict:
        return {"id": self.id, "file": self.file, "line": self.line,
                "untestable": self.untestable}


@dataclass
class Chapter:
    """The level-1 section of a specification source: the chapter its
    requirements belong to."""
    file: str
    line: int
    title: str
    anchor: Optional[str] = None

    def to_json(self) -> dict:
        return {"file": self.file, "line": self.line, "title": self.title,
                "anchor": self.anchor}


_DEFINITION = re.compile(r"^\[\[(REQ-[^\]]*)\]\](.*)$")
_CHAPTER = re.compile(r"^==\s+(\S.*?)\s*$")
# Lines that may stand between a section's anchor and its title: block
# anchors ([[id]], [[id,text]], [#id]), attribute lists ([appendix]) and
# line comments.
_ANCHOR = re.compile(r"^\[\[([A-Za-z_][\w.:-]*)(?:,[^\]]*)?\]\]\s*$"
                     r"|^\[#([A-Za-z_][\w.:-]*)[^\]]*\]\s*$")
_BLOCK_LINE = re.compile(r"^(\[.*\]|//(?!/).*)\s*$")
_UNTESTABLE = re.compile(r"^//\s*untestable\s*:\s*(.*?)\s*$", re.IGNORECASE)
# Delimited blocks whose content is not parsed as AsciiDoc structure:
# listing ----, literal ...., passthrough ++++, comment ////.
_VERBATIM_DELIMITER = re.compile(r"^(-{4,}|\.{4,}|\+{4,}|/{4,})\s*$")


@dataclass
class SpecScan:
    requirements: List[Requirement] = field(default_factory=list)
    problems: List[Problem] = field(default_factory=list)
    chapters: Dict[str, Chapter] = field(default_factory=dict)  # by file
    files: List[str] = field(default_factory=list)    # in scan order

    def by_id(self) -> Dict[str, Requirement]:
        """First definition of each ID."""
        found: Dict[str, Requirement] = {}
        for requirement in self.requirements:
            found.setdefault(requirement.id, requirement)
        return found


def _chapter_anchor(lines: List[str], index: int) -> Optional[str]:
    """The anchor among the block lines directly above lines[index]."""
    while index > 0 and _BLOCK_LINE.match(lines[index - 1]):
        index -= 1
        anchor = _ANCHOR.match(lines[index])
        if anchor:
            return anchor.group(1) or anchor.group(2)
    return None


def scan_spec_text(text: str, path: str, scan: SpecScan) -> None:
    lines = text.splitlines()
    block: Optional[str] = None
    if path not in scan.files:
        scan.files.append(path)
    for index, line in enumerate(lines):
        number = index + 1
        delimiter = _VERBATIM_DELIMITER.match(line)
        if delimiter:
            if block is None:
                block = delimiter.group(1)
            elif delimiter.group(1) == block:
                block = None
            continue
        if block is not None:
            continue
        chapter = _CHAPTER.match(line)
        if chapter and path not in scan.chapters:
            scan.chapters[path] = Chapter(path, number, chapter.group(1),
                                          _chapter_anchor(lines, index))
            continue
        match = _DEFINITION.match(line)
        if not match:
            continue
        anchor, rest = match.group(1), match.group(2)
        if not _REQ_ID.match(anchor):
            scan.problems.append(Problem(
                path, number, MALFORMED,
                f"requirement anchor {anchor!r} is not a valid ID "
                f"(REQ-WORD-WORD..., capitals and digits)"))
            continue
        if rest.rstrip() != f"{anchor}::" and not rest.startswith(
                f"{anchor}:: "):
            scan.problems.append(Problem(
                path, number, MALFORMED,
                f"requirement {anchor}: the anchor must be followed by "
                f"'{anchor}::', found {rest!r}"))
            continue
        requirement = Requirement(anchor, path, number)
        following = lines[index + 1] if index + 1 < len(lines) else ""
        untestable = _UNTESTABLE.match(following)
        if untestable:
            requirement.untestable = untestable.group(1)
            if not requirement.untestable:
                scan.problems.append(Problem(
                    path, number + 1, MALFORMED,
                    f"requirement {anchor} is marked untestable without "
                    f"a reason"))
        scan.requirements.append(requirement)


def scan_spec(paths: Iterable[str]) -> SpecScan:
    scan = SpecScan()
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            scan_spec_text(handle.read(), path, scan)
    seen: Dict[str, Requirement] = {}
    for requirement in scan.requirements:
        first = seen.setdefault(requirement.id, requirement)
        if first is not requirement:
            scan.problems.append(Problem(
                requirement.file, requirement.line, DUPLICATE,
                f"requirement {requirement.id} is defined twice (first at "
                f"{first.file}:{first.line})"))
    return scan


# -- the C test sources -------------------------------------------------------

@dataclass
class TestSource:
    """One testcase as the static scan sees it."""
    name: str                      # binary.fixture[.variant].test
    binary: str
    harness_name: str              # fixture[.variant].test, for -r
    file: str
    line: int
    requirements: List[Tuple[str, int]] = field(default_factory=list)

    @property
    def requirement_ids(self) -> List[str]:
        ids: List[str] = []
        for req, _ in self.requirements:
            if req not in ids:
                ids.append(req)
        return ids

    def to_json(self) -> dict:
        return {"name": self.name, "binary": self.binary, "file": self.file,
                "line": self.line, "requirements": self.requirement_ids}


@dataclass
class TestScan:
    tests: List[TestSource] = field(default_factory=list)
    problems: List[Problem] = field(default_factory=list)

    def by_name(self) -> Dict[str, TestSource]:
        return {test.name: test for test in self.tests}

    def requirements_of(self) -> Dict[str, List[str]]:
        """Full test name -> its requirement IDs."""
        return {test.name: test.requirement_ids for test in self.tests}


def mask_c(text: str, literals: bool = True) -> str:
    """text with comments blanked and, if literals, string and character
    literals emptied (their quotes kept); same length and same line
    breaks, so that offsets and line numbers stay valid."""
    out = list(text)
    i, n = 0, len(text)

    def blank(start: int, end: int) -> None:
        for k in range(start, end):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            blank(i, end)
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            if literals:
                blank(i + 1, min(j, n))
            i = j + 1
        else:
            i += 1
    return "".join(out)


def _mask_preprocessor(masked: str) -> str:
    """Blank preprocessor directives (with their continuation lines)."""
    lines = masked.split("\n")
    in_directive = False
    for index, line in enumerate(lines):
        if in_directive or line.lstrip().startswith("#"):
            in_directive = line.rstrip().endswith("\\")
            lines[index] = " " * len(line)
    return "\n".join(lines)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _matching_paren(text: str, open_at: int) -> int:
    """Offset of the parenthesis closing the one at open_at, or -1."""
    depth = 0
    for k in range(open_at, len(text)):
        if text[k] == "(":
            depth += 1
        elif text[k] == ")":
            depth -= 1
            if depth == 0:
                return k
    return -1


def _arg_spans(text: str, start: int, end: int) -> List[Tuple[int, int]]:
    """Spans of the comma-separated arguments in text[start:end] (text
    masked, so that commas in literals do not count)."""
    spans, depth, begin = [], 0, start
    for k in range(start, end):
        c = text[k]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            spans.append((begin, k))
            begin = k + 1
    spans.append((begin, end))
    return spans


def _split_args(text: str) -> List[str]:
    return [text[a:b].strip() for a, b in _arg_spans(text, 0, len(text))]


# Harness macros that define a test: (fixture argument, name argument);
# fixture None means the global fixture.
HARNESS_TESTS = {
    "TEST": (None, 0),
    "TEST_SIGNAL": (None, 0),
    "TEST_F": (0, 1),
    "TEST_F_SIGNAL": (0, 1),
    "TEST_F_TIMEOUT": (0, 1),
}
GLOBAL_FIXTURE = "global"


@dataclass
class WrapperMacro:
    """A macro whose expansion defines a harness test."""
    name: str
    params: List[str]
    fixture: Optional[str]         # literal fixture name, None: global
    name_param: int                # parameter that becomes the test name
    prefix: str                    # pasted before it (a##b)
    suffix: str                    # pasted after it
    reqs_param: Optional[int]      # parameter printed as "REQ: %s"


_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(\w+)\(([^)]*)\)(.*)$",
                     re.MULTILINE)
_NAME_EXPR = re.compile(r"^(?:(\w+)\s*##\s*)?(\w+)(?:\s*##\s*(\w+))?$")
_REQ_PRINT = re.compile(r'"REQ:\s*%s[^"]*"\s*,\s*(\w+)\s*\)')


def _define_bodies(text: str) -> Iterable[Tuple[str, List[str], str]]:
    """(name, parameters, body) of every function-like macro in text."""
    for match in _DEFINE.finditer(text):
        body = [match.group(3)]
        end = match.end()
        while body[-1].rstrip().endswith("\\"):
            body[-1] = body[-1].rstrip()[:-1]
            next_end = text.find("\n", end + 1)
            next_end = len(text) if next_end < 0 else next_end
            body.append(text[end + 1:next_end])
            end = next_end
        params = [p.strip() for p in match.group(2).split(",") if p.strip()]
        yield match.group(1), params, "\n".join(body)


def find_wrapper_macros(text: str) -> List[WrapperMacro]:
    macros = []
    for name, params, body in _define_bodies(text):
        if name in HARNESS_TESTS:
            continue
        for macro, (fixture_arg, name_arg) in HARNESS_TESTS.items():
            call = re.search(rf"\b{macro}\s*\(", body)
            if not call:
                continue
            close = _matching_paren(body, call.end() - 1)
            args = _split_args(body[call.end():close])
            if len(args) <= name_arg:
                continue
            expr = _NAME_EXPR.match(args[name_arg])
            if not expr or expr.group(2) not in params:
                continue
            fixture = None if fixture_arg is None else args[fixture_arg]
            if fixture is not None and fixture in params:
                continue          # fixture from a parameter: not supported
            reqs = _REQ_PRINT.search(body)
            reqs_param = params.index(reqs.group(1)) \
                if reqs and reqs.group(1) in params else None
            macros.append(WrapperMacro(
                name=name, params=params, fixture=fixture,
                name_param=params.index(expr.group(2)),
                prefix=expr.group(1) or "", suffix=expr.group(3) or "",
                reqs_param=reqs_param))
            break
    return macros


_VARIANT = re.compile(r"\bFIXTURE_VARIANT_ADD\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)")
_REQ_CALL = re.compile(r"\bREQ\s*\(")
_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def _parse_ids(text: str, path: str, line: int,
               problems: List[Problem]) -> List[Tuple[str, int]]:
    ids = []
    for word in re.split(r"[\s,]+", text.strip()):
        if not word:
            continue
        if _REQ_ID.match(word):
            ids.append((word, line))
        else:
            problems.append(Problem(path, line, MALFORMED,
                                    f"{word!r} is not a requirement ID"))
    return ids


def _body_span(masked: str, start: int) -> Tuple[int, int]:
    """Span of the brace block that starts at or after start, (-1, -1)
    if another statement comes first."""
    k = start
    while k < len(masked) and masked[k] in " \t\n\r":
        k += 1
    if k >= len(masked) or masked[k] != "{":
        return -1, -1
    depth = 0
    for end in range(k, len(masked)):
        if masked[end] == "{":
            depth += 1
        elif masked[end] == "}":
            depth -= 1
            if depth == 0:
                return k, end + 1
    return k, len(masked)


def scan_test_text(text: str, path: str, macros: Sequence[WrapperMacro],
                   scan: TestScan) -> None:
    """Add the tests defined in one C source file to scan."""
    binary = os.path.splitext(os.path.basename(path))[0]
    masked = _mask_preprocessor(mask_c(text))
    variants: Dict[str, List[str]] = {}
    for match in _VARIANT.finditer(masked):
        variants.setdefault(match.group(1), []).append(match.group(2))

    kinds = dict(HARNESS_TESTS)
    wrappers = {macro.name: macro for macro in macros}
    names = "|".join(sorted(list(kinds) + list(wrappers), key=len,
                            reverse=True))
    definition = re.compile(rf"\b({names})\s*\(")
    for match in definition.finditer(masked):
        close = _matching_paren(masked, match.end() - 1)
        if close < 0:
            continue
        line = _line_of(masked, match.start())
        masked_args = _split_args(masked[match.end():close])
        reqs: List[Tuple[str, int]] = []
        macro = match.group(1)
        if macro in wrappers:
            wrapper = wrappers[macro]
            if len(masked_args) != len(wrapper.params):
                continue
            fixture = wrapper.fixture or GLOBAL_FIXTURE
            test = wrapper.prefix + masked_args[wrapper.name_param] \
                + wrapper.suffix
            if wrapper.reqs_param is not None:
                first, last = _arg_spans(masked, match.end(),
                                         close)[wrapper.reqs_param]
                literal = _STRING.search(text, first, last)
                if literal:
                    reqs += _parse_ids(literal.group(1), path, line,
                                       scan.problems)
        else:
            fixture_arg, name_arg = kinds[macro]
            if len(masked_args) <= name_arg:
                continue
            fixture = GLOBAL_FIXTURE if fixture_arg is None \
                else masked_args[fixture_arg]
            test = masked_args[name_arg]
        if not re.match(r"^\w+$", test) or not re.match(r"^\w+$", fixture):
            continue
        start, end = _body_span(masked, close + 1)
        if start >= 0:
            for call in _REQ_CALL.finditer(masked, start, end):
                call_close = _matching_paren(masked, call.end() - 1)
                reqs += _parse_ids(masked[call.end():call_close], path,
                                   _line_of(masked, call.start()),
                                   scan.problems)
        harness_names = [f"{fixture}.{variant}.{test}"
                         for variant in variants.get(fixture, [])] \
            if macro not in ("TEST", "TEST_SIGNAL") and \
            fixture in variants else [f"{fixture}.{test}"]
        for harness_name in harness_names:
            scan.tests.append(TestSource(
                name=f"{binary}.{harness_name}", binary=binary,
                harness_name=harness_name, file=path, line=line,
                requirements=list(reqs)))


def scan_tests(paths: Sequence[str]) -> TestScan:
    """Scan C test sources; wrapper macros come from the sources and from
    the headers (*.h) in their directories."""
    texts: Dict[str, str] = {}
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as handle:
            texts[path] = handle.read()
    macro_texts = dict(texts)
    for directory in sorted({os.path.dirname(path) or "." for path in paths}):
        for header in sorted(glob.glob(os.path.join(directory, "*.h"))):
            if header not in macro_texts:
                with open(header, encoding="utf-8", errors="replace") as h:
                    macro_texts[header] = h.read()
    macros: List[WrapperMacro] = []
    for text in macro_texts.values():
        macros.extend(find_wrapper_macros(mask_c(text, literals=False)))
    scan = TestScan()
    for path in paths:
        scan_test_text(texts[path], path, macros, scan)
    seen: Dict[str, TestSource] = {}
    for test in scan.tests:
        first = seen.setdefault(test.name, test)
        if first is not test:
            scan.problems.append(Problem(
                test.file, test.line, DUPLICATE,
                f"test {test.name} is defined twice (first at "
                f"{first.file}:{first.line})"))
    return scan


def scan_test_dir(directory: str) -> TestScan:
    """Scan every *.c in directory (the default --sources)."""
    return scan_tests(sorted(glob.glob(os.path.join(directory, "*.c"))))
