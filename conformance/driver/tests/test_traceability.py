# SPDX-License-Identifier: GPL-2.0
"""The requirement report: merging, --check problems, writers, and the
report command."""

import contextlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import tests.support  # noqa: F401

from ioasid_conform import cli
from ioasid_conform.results import TestResult
from ioasid_conform.sources import (DUPLICATE, UNKNOWN, UNTESTED, SpecScan,
                                    TestScan, scan_spec_text,
                                    scan_test_text)
from ioasid_conform.traceability import (NOT_APPLICABLE, NOT_RUN, RunResults,
                                         adoc_code, build, combine,
                                         load_results, report_json,
                                         write_adoc, write_text)

ASCIIDOCTOR = shutil.which("asciidoctor")

SPEC = """\
= Spec

[[REQ-OPEN]]REQ-OPEN::
Opening works.

[[REQ-FLAGS]]REQ-FLAGS::
Flags are checked.

[[REQ-EXHAUST]]REQ-EXHAUST::
// untestable: takes 2^31 allocations | too many
Running out fails with ENOSPC.

[[REQ-LONELY]]REQ-LONELY::
Nobody tests this.

[[REQ-RUNTIME]]REQ-RUNTIME::
Only a run names this.
"""

SPEC2 = """\
[[REQ-OPEN]]REQ-OPEN::
Defined again.
"""

SOURCE = """\
TEST(open)
{
	REQ(REQ-OPEN);
}

TEST_F(dev, flags)
{
	REQ(REQ-FLAGS, REQ-OPEN);
}

TEST_F(dev, skipped)
{
	REQ(REQ-FLAGS);
}

TEST_F(dev, typo)
{
	REQ(REQ-FLAG);
}
"""


def make_scans(spec2=True):
    spec = SpecScan()
    scan_spec_text(SPEC, "src/a.adoc", spec)
    if spec2:
        scan_spec_text(SPEC2, "src/b.adoc", spec)
        # scan_spec() finds duplicates across files; do the same here.
        first = spec.requirements[0]
        again = spec.requirements[-1]
        from ioasid_conform.sources import Problem
        spec.problems.append(Problem(again.file, again.line, DUPLICATE,
                                     f"requirement {again.id} is defined "
                                     f"twice (first at {first.file}:"
                                     f"{first.line})"))
    tests = TestScan()
    scan_test_text(SOURCE, "conformance/tests/x_test.c", [], tests)
    return spec, tests


def results(kernel, statuses, extra=()):
    return RunResults(kernel=kernel, file=f"{kernel}.json", results=[
        TestResult(name=name, binary="x_test", status=status)
        for name, status in statuses.items()] + list(extra))


class CombineTest(unittest.TestCase):
    def test_rules(self):
        self.assertEqual(combine(["PASS", "FAIL", "SKIP"]), "FAIL")
        self.assertEqual(combine(["PASS", "SKIP"]), "PASS")
        self.assertEqual(combine(["SKIP", "SKIP"]), "SKIP")
        self.assertEqual(combine([]), NOT_RUN)


class BuildTest(unittest.TestCase):
    def setUp(self):
        spec, tests = make_scans()
        runtime = TestResult(name="other_test.thing", binary="other_test",
                             status="PASS", requirements=["REQ-RUNTIME",
                                                          "REQ-NOWHERE"])
        self.trace = build(spec, tests, [
            results("6.1", {"x_test.global.open": "PASS",
                            "x_test.dev.flags": "FAIL",
                            "x_test.dev.skipped": "SKIP"}),
            results("6.12", {"x_test.dev.skipped": "SKIP"}, [runtime]),
        ])
        self.rows = {row.requirement.id: row for row in self.trace.rows}

    def test_tests_per_requirement(self):
        self.assertEqual(self.rows["REQ-OPEN"].tests,
                         ["x_test.global.open", "x_test.dev.flags"])
        self.assertEqual(self.rows["REQ-FLAGS"].tests,
                         ["x_test.dev.flags", "x_test.dev.skipped"])
        self.assertEqual(self.rows["REQ-RUNTIME"].tests, ["other_test.thing"])

    def test_statuses(self):
        status = {rid: row.status for rid, row in self.rows.items()}
        self.assertEqual(status["REQ-OPEN"], {"6.1": "FAIL", "6.12": NOT_RUN})
        self.assertEqual(status["REQ-FLAGS"], {"6.1": "FAIL", "6.12": "SKIP"})
        self.assertEqual(status["REQ-EXHAUST"],
                         {"6.1": NOT_APPLICABLE, "6.12": NOT_APPLICABLE})
        self.assertEqual(status["REQ-LONELY"], {"6.1": NOT_RUN, "6.12": NOT_RUN})
        self.assertEqual(status["REQ-RUNTIME"], {"6.1": NOT_RUN, "6.12": "PASS"})
        self.assertEqual(self.rows["REQ-FLAGS"].results["6.1"],
                         {"x_test.dev.flags": "FAIL",
                          "x_test.dev.skipped": "SKIP"})

    def test_one_row_per_id_in_spec_order(self):
        self.assertEqual([row.requirement.id for row in self.trace.rows],
                         ["REQ-OPEN", "REQ-FLAGS", "REQ-EXHAUST",
                          "REQ-LONELY", "REQ-RUNTIME"])

    def test_each_kind_of_problem_with_file_and_line(self):
        self.assertEqual([str(p) for p in self.trace.problems], [
            "conformance/tests/x_test.c:18: test x_test.dev.typo names "
            "REQ-FLAG, which the specification does not define",
            "src/a.adoc:13: requirement REQ-LONELY has no test and is not "
            "marked untestable (// untestable: REASON below it)",
            "src/b.adoc:1: requirement REQ-OPEN is defined twice (first at "
            "src/a.adoc:3)",
        ])
        self.assertEqual([p.kind for p in self.trace.problems],
                         [UNKNOWN, UNTESTED, DUPLICATE])

    def test_summary(self):
        summary = self.trace.summary()
        self.assertEqual((summary["requirements"], summary["tested"],
                          summary["untestable"], summary["untested"],
                          summary["problems"]), (5, 3, 1, 1, 3))
        self.assertEqual(summary["kernels"]["6.1"]["FAIL"], 2)

    def test_same_kernel_twice_is_an_error(self):
        spec, tests = make_scans()
        with self.assertRaisesRegex(ValueError, "two results files for kernel"):
            build(spec, tests, [results("6.1", {}), results("6.1", {})])

    def test_json_report(self):
        document = json.loads(json.dumps(report_json(self.trace)))
        self.assertEqual(document["kernels"], ["6.1", "6.12"])
        first = document["requirements"][0]
        self.assertEqual((first["id"], first["file"], first["line"],
                          first["status"]["6.1"]),
                         ("REQ-OPEN", "src/a.adoc", 3, "FAIL"))
        self.assertEqual(document["requirements"][2]["untestable"],
                         "takes 2^31 allocations | too many")
        self.assertEqual(len(document["problems"]), 3)
        self.assertEqual(document["tests"][0],
                         {"name": "x_test.global.open", "binary": "x_test",
                          "file": "conformance/tests/x_test.c", "line": 1,
                          "requirements": ["REQ-OPEN"]})

    def test_text_table(self):
        out = io.StringIO()
        write_text(self.trace, out)
        lines = out.getvalue().splitlines()
        self.assertEqual(lines[0].split(), ["Requirement", "Tests", "6.1", "6.12"])
        self.assertEqual(lines[1].split(), ["REQ-OPEN", "2", "FAIL", "NOT", "RUN"])
        self.assertIn("untestable: takes 2^31", lines[3])
        self.assertEqual(lines[-4], "5 requirements: 3 tested, 1 untestable, "
                                    "1 without a test; 4 tests")
        self.assertEqual(lines[-3], "  user API: 5 requirements: 3 tested, "
                                    "1 untestable, 1 without a test")
        self.assertEqual(lines[-2], "6.1: 2 FAIL, 2 NOT RUN, 1 N/A")


class AdocTest(unittest.TestCase):
    def fragment(self, runs=True):
        spec, tests = make_scans(spec2=False)
        trace = build(spec, tests, [
            results("6.1", {"x_test.global.open": "PASS",
                            "x_test.dev.flags": "FAIL"}),
            results("debug|x", {})] if runs else [])
        out = io.StringIO()
        write_adoc(trace, out)
        return out.getvalue()

    def test_section_and_rows(self):
        text = self.fragment()
        self.assertTrue(text.startswith("[[traceability]]\n"
                                        "== Traceability matrix\n"))
        self.assertIn('[cols="2,5,1,1",options="header"]', text)
        self.assertIn("| Requirement | Tests | 6.1 | debug\\|x\n", text)
        self.assertIn("| <<REQ-OPEN>>\n| `+x_test.global.open+` +\n"
                      "`+x_test.dev.flags+`\n| *FAIL*\n| NOT RUN\n", text)
        self.assertIn("| <<REQ-EXHAUST>>\n| _untestable:_ takes 2^31 "
                      "allocations \\| too many\n| N/A\n", text)
        self.assertIn("| <<REQ-LONELY>>\n| _no test_\n", text)

    def test_long_test_lists_are_cut(self):
        # a PDF table cell cannot span pages: past the limit, a count
        from ioasid_conform import traceability
        spec, tests = make_scans(spec2=False)
        trace = build(spec, tests, [])
        saved = traceability.ADOC_MAX_TESTS
        traceability.ADOC_MAX_TESTS = 1
        try:
            out = io.StringIO()
            write_adoc(trace, out)
        finally:
            traceability.ADOC_MAX_TESTS = saved
        self.assertIn("| <<REQ-OPEN>>\n| `+x_test.global.open+` +\n"
                      "_and 1 more, listed in the requirement report_\n",
                      out.getvalue())

    def test_without_results_only_the_mapping(self):
        text = self.fragment(runs=False)
        self.assertIn('[cols="2,5",options="header"]', text)
        self.assertIn("| Requirement | Tests\n", text)
        self.assertNotIn("NOT RUN", text)

    def test_code_escapes(self):
        self.assertEqual(adoc_code("a.b_c"), "`+a.b_c+`")
        self.assertEqual(adoc_code("a|b"), "`+a\\|b+`")
        self.assertEqual(adoc_code("a+b]"), "`pass:c[a+b\\]]`")

    @unittest.skipIf(ASCIIDOCTOR is None, "asciidoctor not installed")
    def test_renders_without_warnings(self):
        """asciidoctor --failure-level=WARN -v accepts a master that
        defines the anchors and includes the fragment, with and without
        results, odd test names included."""
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        spec, tests = make_scans(spec2=False)
        odd = TestResult(name="x_test.odd+name]|<b>", binary="x_test",
                         status="PASS", requirements=["REQ-LONELY"])
        trace = build(spec, tests, [results("6.1", {"x_test.dev.flags":
                                                    "FAIL"}, [odd])])
        anchors = "".join(f"[[{row.requirement.id}]]{row.requirement.id}::\n"
                          f"Text.\n\n" for row in trace.rows)
        for runs in (True, False):
            with open(os.path.join(tmp, "t.adoc"), "w") as handle:
                write_adoc(trace, handle, with_results=runs)
            master = os.path.join(tmp, "m.adoc")
            with open(master, "w") as handle:
                handle.write(f"= M\n\n== R\n\n{anchors}include::t.adoc[]\n")
            done = subprocess.run([ASCIIDOCTOR, "--failure-level=WARN", "-v",
                                   "-o", "-", master], capture_output=True,
                                  text=True)
            self.assertEqual((done.returncode, done.stderr), (0, ""))
            html = done.stdout
            self.assertIn('id="traceability"', html)
            self.assertIn('<a href="#REQ-OPEN">REQ-OPEN</a>', html)
            self.assertIn("<code>x_test.odd+name]|&lt;b&gt;</code>", html)
            self.assertIn("allocations | too many", html)
            self.assertEqual("<strong>FAIL</strong>" in html, runs)


# Three chapters in three files: two of the user API, and the annex of the
# test interface, whose file sorts first by name.
CH_UAPI = """\
// SPDX-License-Identifier: GPL-2.0
[[conv]]
== Conventions

[[REQ-OPEN]]REQ-OPEN::
Opening works.

[[REQ-FLAGS]]REQ-FLAGS::
Flags are checked.
"""

CH_MORE = """\
ifdef::reference[]
endif::reference[]
[source,asciidoc]
----
== Not a chapter: inside a listing
----
[appendix]
// an attribute list and a comment between the anchor and the title
[[more]]
[appendix]
== More commands

=== A section

[[REQ-EXHAUST]]REQ-EXHAUST::
// untestable: takes 2^31 allocations
Running out fails with ENOSPC.
"""

CH_ANNEX = """\
[#annex]
== The test interface

[[REQ-TESTIF-DEV]]REQ-TESTIF-DEV::
Test devices exist.
"""

ANNEX_SOURCE = """\
TEST(open)
{
	REQ(REQ-OPEN, REQ-FLAGS);
}

TEST(dev)
{
	REQ(REQ-TESTIF-DEV);
}
"""


def chapter_scans():
    spec = SpecScan()
    # the order of the sources is the order of the documents
    scan_spec_text(CH_UAPI, "src/uapi.adoc", spec)
    scan_spec_text(CH_ANNEX, "src/annex.adoc", spec)
    scan_spec_text(CH_MORE, "src/more.adoc", spec)
    tests = TestScan()
    scan_test_text(ANNEX_SOURCE, "conformance/tests/y_test.c", [], tests)
    return spec, tests


class ChapterTest(unittest.TestCase):
    def setUp(self):
        spec, tests = chapter_scans()
        self.spec = spec
        self.trace = build(spec, tests, [
            results("6.1", {"y_test.global.open": "PASS",
                            "y_test.global.dev": "SKIP"})],
            annex=["src/annex.adoc"])

    def test_chapters_are_scanned_with_their_anchors(self):
        chapters = self.spec.chapters
        self.assertEqual([(c.file, c.title, c.anchor, c.line)
                          for c in chapters.values()], [
            ("src/uapi.adoc", "Conventions", "conv", 3),
            ("src/annex.adoc", "The test interface", "annex", 2),
            ("src/more.adoc", "More commands", "more", 11),
        ])

    def test_rows_by_chapter_in_source_order_annex_last(self):
        self.assertEqual([row.requirement.id for row in self.trace.rows],
                         ["REQ-OPEN", "REQ-FLAGS", "REQ-EXHAUST",
                          "REQ-TESTIF-DEV"])
        self.assertEqual([(g.title, g.part) for g in self.trace.groups], [
            ("Conventions", "uapi"), ("More commands", "uapi"),
            ("The test interface (annex)", "annex")])
        self.assertEqual([row.part for row in self.trace.rows],
                         ["uapi", "uapi", "uapi", "annex"])

    def test_parts_are_counted_apart(self):
        summary = self.trace.summary()
        self.assertEqual(summary["requirements"], 4)
        uapi, annex = summary["parts"]["uapi"], summary["parts"]["annex"]
        self.assertEqual((uapi["requirements"], uapi["tested"],
                          uapi["untestable"], uapi["untested"]), (3, 2, 1, 0))
        self.assertEqual((annex["requirements"], annex["tested"]), (1, 1))
        self.assertEqual(uapi["kernels"]["6.1"]["PASS"], 2)
        self.assertEqual(annex["kernels"]["6.1"]["SKIP"], 1)
        document = report_json(self.trace)
        self.assertEqual(document["requirements"][-1]["part"], "annex")
        self.assertEqual([c["anchor"] for c in document["chapters"]],
                         ["conv", "more", "annex"])

    def test_text_counts_each_part(self):
        out = io.StringIO()
        write_text(self.trace, out)
        lines = out.getvalue().splitlines()
        self.assertEqual(lines[-4:], [
            "4 requirements: 3 tested, 1 untestable, 0 without a test; "
            "2 tests",
            "  user API: 3 requirements: 2 tested, 1 untestable, 0 without "
            "a test",
            "  test interface annex: 1 requirement: 1 tested, 0 "
            "untestable, 0 without a test",
            "6.1: user API: 2 PASS, 1 N/A; test interface annex: 1 SKIP"])

    def test_adoc_has_a_section_per_chapter(self):
        out = io.StringIO()
        write_adoc(self.trace, out)
        text = out.getvalue()
        sections = [line for line in text.splitlines()
                    if line.startswith("=")]
        self.assertEqual(sections, [
            "== Traceability matrix", "=== Conventions",
            "=== More commands", "=== The test interface (annex)"])
        self.assertIn("[[traceability-conv]]\n=== Conventions\n\n"
                      "2 requirements of <<conv>>, 2 with tests.\n", text)
        self.assertIn("1 requirement of <<more>>, 0 with tests, "
                      "1 untestable.\n", text)
        self.assertIn("The user API has 3 requirements (2 with tests, 1 "
                      "untestable).  The optional test interface annex has "
                      "1 requirement (1 with tests), counted apart", text)
        self.assertLess(text.index("<<REQ-EXHAUST>>"),
                        text.index("<<REQ-TESTIF-DEV>>"))
        self.assertIn('[cols="2,5,1",options="header"]', text)
        self.assertIn("| SKIP\n", text)

    def test_adoc_for_the_specification_has_no_results(self):
        out = io.StringIO()
        write_adoc(self.trace, out, with_results=False)
        text = out.getvalue()
        self.assertNotIn("6.1", text)
        self.assertNotIn("PASS", text)
        self.assertNotIn("SKIP", text)
        self.assertNotIn("kernel", text)
        self.assertIn('[cols="2,5",options="header"]', text)
        self.assertIn("| Requirement | Tests\n", text)
        self.assertIn("=== The test interface (annex)", text)

    def test_a_file_without_chapter_is_named_by_its_path(self):
        spec, tests = make_scans(spec2=False)
        trace = build(spec, tests, [])
        out = io.StringIO()
        write_adoc(trace, out)
        self.assertIn("[[traceability-a]]\n=== src/a.adoc\n\n"
                      "5 requirements, 2 with tests, 1 untestable, 2 "
                      "without a test.\n", out.getvalue())

    @unittest.skipIf(ASCIIDOCTOR is None, "asciidoctor not installed")
    def test_renders_in_a_book_with_appendices(self):
        """The fragment with chapter sections, with and without results,
        renders without warnings in a master that includes the chapters
        and itself as an appendix."""
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        for name, text in (("uapi", CH_UAPI), ("more", CH_MORE),
                           ("annex", CH_ANNEX)):
            with open(os.path.join(tmp, f"{name}.adoc"), "w") as handle:
                handle.write(text)
        for runs in (True, False):
            with open(os.path.join(tmp, "t.adoc"), "w") as handle:
                write_adoc(self.trace, handle, with_results=runs)
            master = os.path.join(tmp, "m.adoc")
            with open(master, "w") as handle:
                handle.write(":doctype: book\n= M\n\ninclude::uapi.adoc[]\n\n"
                             "include::more.adoc[]\n\n[appendix]\n"
                             "include::annex.adoc[]\n\n[appendix]\n"
                             "include::t.adoc[]\n")
            done = subprocess.run([ASCIIDOCTOR, "--failure-level=INFO", "-v",
                                   "-o", "-", master], capture_output=True,
                                  text=True)
            self.assertEqual((done.returncode, done.stderr), (0, ""))
            self.assertIn('id="traceability-annex"', done.stdout)
            self.assertEqual("<th" in done.stdout and ">6.1<" in done.stdout,
                             runs)


class LoadResultsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as handle:
            handle.write(text)
        return path

    def test_round_trip_of_run_json(self):
        from ioasid_conform.report import write_json
        path = os.path.join(self.tmp, "r.json")
        write_json(path, "6.12", [TestResult("a.b", "a", "SKIP", 1.5,
                                             reason="no", directive="SKIP",
                                             requirements=["REQ-A"],
                                             diagnostics=["x"])], {})
        loaded = load_results(path)
        self.assertEqual(loaded.kernel, "6.12")
        self.assertEqual(loaded.results, [TestResult(
            "a.b", "a", "SKIP", 1.5, reason="no", directive="SKIP",
            requirements=["REQ-A"], diagnostics=["x"])])

    def test_errors_name_the_file(self):
        for text in ("not json", '{"tests": []}', '{"kernel": "k"}'):
            path = self.write("bad.json", text)
            with self.assertRaisesRegex(ValueError, "bad.json"):
                load_results(path)
        with self.assertRaisesRegex(ValueError, "cannot read results"):
            load_results(os.path.join(self.tmp, "missing.json"))


class ReportCommandTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        os.makedirs(os.path.join(self.tmp, "src"))
        os.makedirs(os.path.join(self.tmp, "tests"))
        self.write("src/a.adoc", SPEC)
        self.write("tests/x_test.c", SOURCE)
        from ioasid_conform.report import write_json
        self.results = os.path.join(self.tmp, "6.1.json")
        write_json(self.results, "6.1", [
            TestResult("x_test.global.open", "x_test", "PASS"),
            TestResult("x_test.dev.flags", "x_test", "FAIL", reason="boom")],
            {})

    def write(self, name, text):
        with open(os.path.join(self.tmp, name), "w") as handle:
            handle.write(text)

    def report(self, *extra):
        argv = ["report", "--spec-sources", os.path.join(self.tmp, "src/*.adoc"),
                "--test-sources", os.path.join(self.tmp, "tests/*.c")]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main(argv + list(extra))
        return status, out.getvalue().splitlines(), err.getvalue()

    def test_text_is_the_default(self):
        status, lines, _ = self.report()
        self.assertEqual(status, 0)
        self.assertEqual(lines[0].split(), ["Requirement", "Tests"])

    def test_check_fails_naming_each_problem(self):
        counts = os.path.join(self.tmp, "t.counts")
        status, lines, _ = self.report("--check", "--counts", counts)
        self.assertEqual(status, 1)
        tests_c = os.path.join(self.tmp, "tests/x_test.c")
        spec = os.path.join(self.tmp, "src/a.adoc")
        self.assertEqual(lines, [
            f"{spec}:13: requirement REQ-LONELY has no test and is not marked "
            f"untestable (// untestable: REASON below it)",
            f"{spec}:16: requirement REQ-RUNTIME has no test and is not "
            f"marked untestable (// untestable: REASON below it)",
            f"{tests_c}:18: test x_test.dev.typo names REQ-FLAG, which the "
            f"specification does not define",
            "traceability: 3 problems"])
        with open(counts) as handle:
            self.assertEqual(handle.read(), "0 3 0\n")

    def test_check_passes_on_a_clean_tree(self):
        self.write("src/a.adoc", "[[REQ-OPEN]]REQ-OPEN::\n"
                                 "[[REQ-FLAGS]]REQ-FLAGS::\n"
                                 "[[REQ-FLAG]]REQ-FLAG::\n"
                                 "[[REQ-X]]REQ-X::\n// untestable: why\n")
        counts = os.path.join(self.tmp, "t.counts")
        status, lines, _ = self.report("--check", "--counts", counts)
        self.assertEqual(status, 0, lines)
        self.assertEqual(lines, ["traceability: no problems (4 requirements; "
                                 "4 tests)"])
        with open(counts) as handle:
            self.assertEqual(handle.read(), "1 0 0\n")

    def test_outputs(self):
        adoc = os.path.join(self.tmp, "out.adoc")
        report = os.path.join(self.tmp, "out.json")
        junit = os.path.join(self.tmp, "out.xml")
        status, lines, _ = self.report("--results", self.results,
                                       "--adoc", adoc, "--json", report,
                                       "--junit", junit)
        self.assertEqual((status, lines), (0, []))
        with open(adoc) as handle:
            self.assertIn("| <<REQ-OPEN>>\n", handle.read())
        with open(report) as handle:
            document = json.load(handle)
        self.assertEqual(document["requirements"][0]["status"], {"6.1": "FAIL"})
        with open(junit) as handle:
            self.assertIn('<testsuite name="6.1"', handle.read())

    def test_annex_and_the_fragment_without_results(self):
        self.write("src/a.adoc", "== Conventions\n\n"
                                 "[[REQ-OPEN]]REQ-OPEN::\n"
                                 "[[REQ-FLAGS]]REQ-FLAGS::\n"
                                 "[[REQ-FLAG]]REQ-FLAG::\n")
        self.write("src/t.adoc", "[[testif]]\n== Test interface\n\n"
                                 "[[REQ-X]]REQ-X::\n// untestable: why\n")
        spec = os.path.join(self.tmp, "src/a.adoc")
        annex = os.path.join(self.tmp, "src/t.adoc")
        adoc = os.path.join(self.tmp, "ref.adoc")
        plain = os.path.join(self.tmp, "spec.adoc")
        argv = ["report", "--spec-sources", annex, spec,
                "--test-sources", os.path.join(self.tmp, "tests/*.c"),
                "--annex", annex]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = cli.main(argv + ["--check"])
        self.assertEqual(status, 0, out.getvalue())
        self.assertEqual(out.getvalue().splitlines(), [
            "traceability: no problems (4 requirements: 3 of the user API, "
            "1 of the test interface annex; 4 tests)"])
        with contextlib.redirect_stdout(io.StringIO()):
            status = cli.main(argv + ["--results", self.results,
                                      "--adoc", adoc,
                                      "--adoc-no-results", plain])
        self.assertEqual(status, 0)
        with open(adoc) as handle:
            with_results = handle.read()
        with open(plain) as handle:
            without = handle.read()
        self.assertIn("| Requirement | Tests | 6.1\n", with_results)
        self.assertIn("| Requirement | Tests\n", without)
        self.assertNotIn("6.1", without)
        # the annex comes last although its file was given first
        for text in (with_results, without):
            self.assertLess(text.index("=== Conventions"),
                            text.index("=== Test interface (annex)"))

    def test_an_annex_outside_the_sources_is_an_error(self):
        self.write("other.adoc", "== Other\n")
        status, _, err = self.report("--annex",
                                     os.path.join(self.tmp, "other.adoc"))
        self.assertEqual(status, 2)
        self.assertIn("is not one of the specification sources", err)
        status, _, err = self.report("--annex",
                                     os.path.join(self.tmp, "none*.adoc"))
        self.assertEqual(status, 2)
        self.assertIn("no annex source matches", err)

    def test_input_errors_exit_2(self):
        for extra in (["--results", os.path.join(self.tmp, "none.json")],
                      ["--results", self.results, self.results]):
            status, _, err = self.report(*extra)
            self.assertEqual(status, 2, err)
            self.assertTrue(err.startswith("run.py report: error: "), err)
        argv = ["report", "--spec-sources", os.path.join(self.tmp, "x/*.adoc"),
                "--test-sources", os.path.join(self.tmp, "tests/*.c")]
        with contextlib.redirect_stderr(io.StringIO()) as err:
            self.assertEqual(cli.main(argv), 2)
        self.assertIn("no specification source matches", err.getvalue())

    def test_the_real_tree_can_be_reported(self):
        root = os.path.dirname(os.path.dirname(tests.support.DRIVER_DIR))
        if not os.path.isdir(os.path.join(root, "src")):
            self.skipTest("not in the project tree")
        argv = ["report", "--spec-sources", os.path.join(root, "src/*.adoc"),
                os.path.join(root, "spec/*.adoc"), "--test-sources",
                os.path.join(root, "conformance/tests/*.c"), "--json",
                os.path.join(self.tmp, "real.json")]
        self.assertEqual(cli.main(argv), 0)
        with open(os.path.join(self.tmp, "real.json")) as handle:
            document = json.load(handle)
        self.assertTrue(document["requirements"])
        self.assertTrue(document["tests"])

    def test_the_real_annex_holds_the_test_interface_requirements(self):
        """With the test interface chapter as the annex, exactly the
        REQ-TESTIF-* requirements are counted apart, and they come last."""
        root = os.path.dirname(os.path.dirname(tests.support.DRIVER_DIR))
        testif = os.path.join(root, "src/testif.adoc")
        if not os.path.isfile(testif):
            self.skipTest("not in the project tree")
        report = os.path.join(self.tmp, "real.json")
        argv = ["report", "--spec-sources", os.path.join(root, "src/*.adoc"),
                os.path.join(root, "spec/*.adoc"), "--annex", testif,
                "--test-sources", os.path.join(root, "conformance/tests/*.c"),
                "--json", report]
        self.assertEqual(cli.main(argv), 0)
        with open(report) as handle:
            document = json.load(handle)
        parts = [(r["id"].startswith("REQ-TESTIF-"), r["part"])
                 for r in document["requirements"]]
        self.assertTrue(all(part == ("annex" if testif_id else "uapi")
                            for testif_id, part in parts), parts)
        self.assertEqual(parts, sorted(parts, key=lambda p: p[1] == "annex"))
        self.assertTrue(document["summary"]["parts"]["annex"]["requirements"])


if __name__ == "__main__":
    unittest.main()
