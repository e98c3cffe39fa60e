# SPDX-License-Identifier: GPL-2.0
"""The coverage subcommand: gcov's JSON reports to tables and checks.

The reports here are small hand-written ones in the shape gcov 12 writes
with --json-format --branch-probabilities --stdout; the sources are a
literate file and a header in a temporary directory.
"""

import contextlib
import io
import json
import os
import shutil
import tempfile
import unittest

import tests.support  # noqa: F401

from ioasid_conform import cli
from ioasid_conform.coverage import (CoverageError, Sources, file_stats,
                                     merge, parse_explanations, total)

CORE_ADOC = """\
// SPDX-License-Identifier: GPL-2.0
[[core]]
== The core

----
int f(int a)
{
	if (a)
		return -ENOMEM;
	return 0;
}

int g(void)
{
	return -EINTR;
}
----
"""

MOCK_ADOC = """\
[[mock]]
== The mock

----
void m(void)
{
	x();
}
----
"""


def line(number, count, function, branches=()):
    return {"line_number": number, "count": count,
            "unexecuted_block": count == 0, "function_name": function,
            "branches": [{"count": c, "fallthrough": i == 0, "throw": False}
                         for i, c in enumerate(branches)]}


def report(files, cwd="/somewhere"):
    return {"format_version": "1", "gcc_version": "12.2.0",
            "current_working_directory": cwd, "data_file": "x.gcda",
            "files": [{"file": name, "lines": lines, "functions": []}
                      for name, lines in files.items()]}


# main.o: f() partly reached, g() not; a shim header that must not count.
MAIN = report({
    "src/core.adoc": [line(6, 3, "f"), line(8, 3, "f", (3, 0)),
                      line(9, 0, "f"), line(10, 3, "f"),
                      line(13, 0, "g"), line(15, 0, "g")],
    "harness/shim/include/shim/base.h": [line(1, 0, "h")],
})
# pages.o: the same inline f() (a header), its other branch taken here.
PAGES = report({"src/core.adoc": [line(6, 1, "f"), line(8, 1, "f", (0, 1)),
                                  line(9, 1, "f"), line(10, 0, "f")]})
MOCK = report({"src/mock.adoc": [line(5, 2, "m"), line(7, 0, "m")]})


class ExplanationsTest(unittest.TestCase):
    def test_entries_share_the_reason_that_follows(self):
        entries = parse_explanations(
            "# comment\n\n"
            "function src/core.adoc g\n"
            "line src/core.adoc f: return -ENOMEM;\n"
            "\tOnly when memory runs out\n"
            "  twice.\n"
            "line src/core.adoc *: return 0;\n"
            "\tNever.\n")
        self.assertEqual([(e.kind, e.file, e.function, e.text, e.reason)
                          for e in entries], [
            ("function", "src/core.adoc", "g", None,
             "Only when memory runs out twice."),
            ("line", "src/core.adoc", "f", "return -ENOMEM;",
             "Only when memory runs out twice."),
            ("line", "src/core.adoc", "*", "return 0;", "Never.")])

    def test_matching(self):
        func, text, anywhere = parse_explanations(
            "function a.adoc g\n\tx\n"
            "line a.adoc f:   return 0;  \n\tx\n"
            "line a.adoc *: break;\n\tx\n")
        self.assertTrue(func.matches("a.adoc", {"g"}, "anything"))
        self.assertFalse(func.matches("b.adoc", {"g"}, "anything"))
        self.assertFalse(func.matches("a.adoc", {"f"}, "anything"))
        self.assertTrue(text.matches("a.adoc", {"f"}, "\t\treturn 0; "))
        self.assertFalse(text.matches("a.adoc", {"f"}, "return 1;"))
        self.assertFalse(text.matches("a.adoc", {"g"}, "return 0;"))
        self.assertTrue(anywhere.matches("a.adoc", set(), "\tbreak;"))

    def test_errors_name_the_line(self):
        for text, where in (("function a.adoc g\n", ":2:"),
                            ("\treason first\n", ":1:"),
                            ("lines a.adoc f: x\n\tr\n", ":1:"),
                            ("line a.adoc f x\n\tr\n", ":1:"),
                            ("line a.adoc f:\n\tr\n", ":1:"),
                            ("function a.adoc not-a-name\n\tr\n", ":1:"),
                            ("function a.adoc g\nfunction a.adoc h\n"
                             "\tr\nline a.adoc f: x\n", ":5:")):
            with self.subTest(text=text):
                with self.assertRaises(CoverageError) as caught:
                    parse_explanations(text, "U")
                self.assertIn("U" + where, str(caught.exception))


class MergeTest(unittest.TestCase):
    GROUPS = {"core": ["main", "pages"], "mock": ["mock"]}

    def test_objects_of_a_part_merge_by_line(self):
        parts, owners = merge({"main": MAIN, "pages": PAGES, "mock": MOCK},
                              self.GROUPS, ["src/*.adoc"])
        core = parts["core"]
        self.assertEqual(sorted(core), [("src/core.adoc", n)
                                        for n in (6, 8, 9, 10, 13, 15)])
        self.assertEqual(core[("src/core.adoc", 9)].count, 1)
        self.assertEqual(core[("src/core.adoc", 8)].branches, {0: 3, 1: 1})
        stats = file_stats(core)["src/core.adoc"]
        self.assertEqual((stats.lines, stats.lines_hit, stats.branches,
                          stats.branches_taken), (6, 4, 2, 2))
        self.assertEqual(owners, {"src/core.adoc": "core",
                                  "src/mock.adoc": "mock"})
        self.assertEqual(total(file_stats(parts["mock"]).values()).lines, 2)

    def test_an_object_of_no_part_counts_for_the_owner_of_its_files(self):
        extra = report({"src/mock.adoc": [line(7, 5, "m")],
                        "harness/fuzz/fuzz.c": [line(1, 1, "main")]})
        parts, _ = merge({"main": MAIN, "pages": PAGES, "mock": MOCK,
                          "fuzz": extra}, self.GROUPS, ["src/*.adoc"])
        self.assertEqual(parts["mock"][("src/mock.adoc", 7)].count, 5)
        self.assertNotIn("harness/fuzz/fuzz.c",
                         {name for name, _ in parts["core"]})

    def test_absolute_names_inside_the_working_directory(self):
        absolute = report({"/somewhere/src/mock.adoc": [line(5, 1, "m")]})
        parts, _ = merge({"main": MAIN, "pages": PAGES, "mock": absolute},
                         self.GROUPS, ["src/*.adoc"])
        self.assertIn(("src/mock.adoc", 5), parts["mock"])

    def test_a_missing_report_is_an_error(self):
        with self.assertRaises(CoverageError):
            merge({"main": MAIN}, self.GROUPS, ["src/*.adoc"])


class CommandTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        os.makedirs(os.path.join(self.dir, "src"))
        for name, text in (("core.adoc", CORE_ADOC),
                           ("mock.adoc", MOCK_ADOC)):
            with open(os.path.join(self.dir, "src", name), "w") as f:
                f.write(text)
        self.suite = self.reports("suite", main=MAIN, pages=PAGES, mock=MOCK)
        # the corpus reaches g()'s return
        corpus_main = json.loads(json.dumps(MAIN))
        corpus_main["files"][0]["lines"][5]["count"] = 1
        self.all = self.reports("all", main=corpus_main, pages=PAGES,
                                mock=MOCK)

    def reports(self, name, **objects):
        path = os.path.join(self.dir, name)
        os.makedirs(path)
        for obj, data in objects.items():
            with open(os.path.join(path, obj + ".json"), "w") as f:
                json.dump(data, f)
        return path

    def run_command(self, explanations, *extra):
        path = os.path.join(self.dir, "UNREACHED")
        with open(path, "w") as f:
            f.write(explanations)
        argv = ["coverage", "--group", "core=main,pages",
                "--group", "mock=mock", "--suite", self.suite,
                "--all", self.all, "--root", self.dir,
                "--explanations", path,
                "--adoc", os.path.join(self.dir, "summary.adoc"),
                "--unreached", os.path.join(self.dir, "unreached.txt"),
                *extra]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = cli.main(argv)
        return status, out.getvalue()

    def read(self, name):
        with open(os.path.join(self.dir, name)) as f:
            return f.read()

    def test_all_explained(self):
        status, out = self.run_command(
            "function src/core.adoc g\n\tNo test calls g.\n",
            "--min-lines", "60")
        self.assertEqual(status, 0, out)
        self.assertEqual(out.splitlines()[0],
                         "coverage: core 66.7% lines, 100.0% branches "
                         "(suite), 83.3%, 100.0% (suite+corpus); "
                         "mock 50.0% lines, n/a branches (suite), 50.0%, "
                         "n/a (suite+corpus)")
        self.assertEqual(len(out.splitlines()), 1)
        unreached = [l for l in self.read("unreached.txt").splitlines()
                     if not l.startswith("#")]
        self.assertEqual(unreached, [
            "src/core.adoc:13\tg\t-\tint g(void)",
            "src/core.adoc:15\tg\tcorpus\treturn -EINTR;"])
        adoc = self.read("summary.adoc")
        self.assertTrue(adoc.startswith("[[harness-coverage]]\n=== "
                                        "Coverage\n"))
        self.assertIn("| core | <<core,`src/core.adoc`>> | 66.7% (4/6) "
                      "| 100.0% (2/2) | 83.3% (5/6) | 100.0% (2/2)\n", adoc)
        self.assertIn("| *mock* | *all* | 50.0% (1/2) | n/a (0/0)", adoc)
        self.assertIn("| `g()`: 2 lines\n| No test calls g.\n", adoc)

    def test_unexplained_stale_and_too_little(self):
        status, out = self.run_command(
            "line src/core.adoc g: return -EINTR;\n\tKilled only.\n"
            "line src/core.adoc f: return 1;\n\tStale.\n",
            "--min-lines", "90")
        self.assertEqual(status, 1)
        lines = out.splitlines()
        self.assertIn("coverage: unexplained: src/core.adoc:13 [g] "
                      "int g(void)", lines)
        self.assertTrue(any(l.startswith("coverage: stale (") and
                            l.endswith(":3): line src/core.adoc f: "
                                       "return 1;") for l in lines), out)
        self.assertIn("coverage: the suite reaches 66.7% of the core's "
                      "lines, less than 90%", lines)
        self.assertIn("src/core.adoc:13\tg\tunexplained\tint g(void)",
                      self.read("unreached.txt"))
        self.assertIn("None yet: a gap of the suite.",
                      self.read("summary.adoc"))

    def test_without_corpus(self):
        status, out = self.run_command(
            "function src/core.adoc g\n\tx\n", "--no-corpus",
            "--adoc-level", "1")
        self.assertEqual(status, 0, out)
        self.assertNotIn("corpus", out)
        adoc = self.read("summary.adoc")
        self.assertIn("\n== Coverage\n", adoc)
        self.assertNotIn("suite + corpus |", adoc)
        self.assertNotIn("corpus", self.read("unreached.txt"))

    def test_bad_explanations_are_a_usage_error(self):
        with contextlib.redirect_stderr(io.StringIO()) as err:
            status, _ = self.run_command("function src/core.adoc g\n")
        self.assertEqual(status, 2)
        self.assertIn("entry without a reason", err.getvalue())


class SourcesTest(unittest.TestCase):
    def test_text_and_anchor(self):
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory)
        with open(os.path.join(directory, "c.adoc"), "w") as f:
            f.write(CORE_ADOC)
        sources = Sources(directory)
        self.assertEqual(sources.text("c.adoc", 9), "\t\treturn -ENOMEM;")
        self.assertEqual(sources.text("c.adoc", 99), "")
        self.assertEqual(sources.anchor("c.adoc"), "core")
        self.assertIsNone(sources.anchor("missing.adoc"))


if __name__ == "__main__":
    unittest.main()
