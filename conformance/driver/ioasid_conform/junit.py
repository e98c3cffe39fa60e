# SPDX-License-Identifier: GPL-2.0
"""JUnit XML, for CI systems that show test reports.

One <testsuite> per kernel inside <testsuites>.  A testcase's classname is
binary.fixture (binary.fixture.variant with variants, binary for a result
about a whole binary, "run" for the checks of the run such as kernel.log)
and its name the last part of the full name.  A failure carries its reason
as the message of a <failure>, a skip as the message of <skipped>; the
testcase's output lines go to <system-out>.  An expected failure (XFAIL,
the to-do directive) is a passed testcase whose <system-out> starts with
the directive.
"""

import re
import xml.etree.ElementTree as ET
from typing import Iterable, List, Sequence, Tuple

from .results import FAIL, SKIP, Counts, TestResult

RUN_CLASSNAME = "run"

# Characters XML 1.0 cannot carry, even escaped.
_INVALID_XML = re.compile(
    "[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def split_name(result: TestResult) -> Tuple[str, str]:
    """(classname, name) of a result."""
    if result.binary is None:
        return RUN_CLASSNAME, result.name
    if result.name == result.binary:
        return result.binary, result.name
    rest = result.name
    if rest.startswith(result.binary + "."):
        rest = rest[len(result.binary) + 1:]
    group, _, leaf = rest.rpartition(".")
    classname = f"{result.binary}.{group}" if group else result.binary
    return classname, leaf


def _testcase(parent: ET.Element, result: TestResult) -> None:
    classname, name = split_name(result)
    case = ET.SubElement(parent, "testcase", classname=xml_text(classname),
                         name=xml_text(name), time=f"{result.duration:.3f}")
    if result.status == FAIL:
        failure = ET.SubElement(case, "failure",
                                message=xml_text(result.reason or "failed"),
                                type="FAIL")
        failure.text = xml_text(result.reason or "failed")
    elif result.status == SKIP:
        ET.SubElement(case, "skipped",
                      message=xml_text(result.reason or "skipped"))
    out: List[str] = []
    if result.directive and result.status != SKIP:
        out.append(f"# {result.directive} {result.reason}".rstrip())
    if result.requirements:
        out.append(f"# REQ: {', '.join(result.requirements)}")
    out += [line for line in result.diagnostics
            if not line.lstrip("# ").startswith("REQ:")]
    if out:
        ET.SubElement(case, "system-out").text = xml_text("\n".join(out))


def junit_tree(suites: Sequence[Tuple[str, Iterable[TestResult]]],
               name: str = "ioasid-conformance") -> ET.ElementTree:
    """The document for (kernel, results) pairs."""
    root = ET.Element("testsuites", name=name)
    totals = Counts()
    total_time = 0.0
    for kernel, results in suites:
        results = list(results)
        counts = Counts.of(results)
        seconds = sum(result.duration for result in results)
        suite = ET.SubElement(
            root, "testsuite", name=xml_text(kernel),
            tests=str(len(results)), failures=str(counts.failed),
            errors="0", skipped=str(counts.skipped), time=f"{seconds:.3f}")
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="kernel",
                      value=xml_text(kernel))
        for result in results:
            _testcase(suite, result)
        totals.passed += counts.passed
        totals.failed += counts.failed
        totals.skipped += counts.skipped
        total_time += seconds
    root.set("tests", str(totals.passed + totals.failed + totals.skipped))
    root.set("failures", str(totals.failed))
    root.set("errors", "0")
    root.set("skipped", str(totals.skipped))
    root.set("time", f"{total_time:.3f}")
    tree = ET.ElementTree(root)
    ET.indent(tree)
    return tree


def write_junit(path: str,
                suites: Sequence[Tuple[str, Iterable[TestResult]]]) -> None:
    junit_tree(suites).write(path, encoding="utf-8", xml_declaration=True)
