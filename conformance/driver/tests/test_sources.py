# SPDX-License-Identifier: GPL-2.0
"""Static scans of the specification and of the C test sources."""

import os
import shutil
import tempfile
import textwrap
import unittest

import tests.support  # noqa: F401

from ioasid_conform import sources
from ioasid_conform.sources import (DUPLICATE, MALFORMED, SpecScan, TestScan,
                                    expand_globs, find_wrapper_macros, mask_c,
                                    scan_spec, scan_spec_text, scan_test_text,
                                    scan_tests)

SPEC = """\
= Chapter

Some prose mentioning <<REQ-ARG-FLAGS>> and REQ-NOT-A-DEFINITION.

[[REQ-ARG-FLAGS]]REQ-ARG-FLAGS::
Unknown flags fail with EOPNOTSUPP.

[[REQ-ARG-FAULT]]REQ-ARG-FAULT::
// untestable: needs a machine without memory
Bad pointers fail with EFAULT.

----
[[REQ-IN-LISTING]]REQ-IN-LISTING::
----

////
[[REQ-IN-COMMENT]]REQ-IN-COMMENT::
////

 [[REQ-INDENTED]]REQ-INDENTED::
[[REQ-X2]]REQ-X2:: inline text after the term
"""


class SpecScanTest(unittest.TestCase):
    def scan(self, text, path="src/a.adoc"):
        scan = SpecScan()
        scan_spec_text(textwrap.dedent(text), path, scan)
        return scan

    def test_definitions_with_lines(self):
        scan = self.scan(SPEC)
        self.assertEqual([(r.id, r.file, r.line) for r in scan.requirements],
                         [("REQ-ARG-FLAGS", "src/a.adoc", 5),
                          ("REQ-ARG-FAULT", "src/a.adoc", 8),
                          ("REQ-X2", "src/a.adoc", 21)])
        self.assertEqual(scan.problems, [])

    def test_untestable_mark_directly_below(self):
        scan = self.scan(SPEC)
        marks = {r.id: r.untestable for r in scan.requirements}
        self.assertEqual(marks["REQ-ARG-FAULT"], "needs a machine without memory")
        self.assertIsNone(marks["REQ-ARG-FLAGS"])

    def test_untestable_mark_further_down_does_not_count(self):
        scan = self.scan("[[REQ-A]]REQ-A::\nText.\n// untestable: too late\n")
        self.assertIsNone(scan.requirements[0].untestable)

    def test_untestable_without_reason(self):
        scan = self.scan("[[REQ-A]]REQ-A::\n// untestable:\n")
        [problem] = scan.problems
        self.assertEqual((problem.kind, problem.line), (MALFORMED, 2))
        self.assertIn("without a reason", str(problem))

    def test_malformed_definitions(self):
        scan = self.scan("[[REQ-a]]REQ-a::\n[[REQ-B]]REQ-C::\n")
        self.assertEqual(scan.requirements, [])
        self.assertEqual([(p.line, p.kind) for p in scan.problems],
                         [(1, MALFORMED), (2, MALFORMED)])
        self.assertIn("must be followed by 'REQ-B::'", str(scan.problems[1]))

    def test_duplicates_across_files(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        first, second = os.path.join(tmp, "a.adoc"), os.path.join(tmp, "b.adoc")
        for path, body in ((first, "\n[[REQ-A]]REQ-A::\n"),
                           (second, "[[REQ-B]]REQ-B::\n\n\n[[REQ-A]]REQ-A::\n")):
            with open(path, "w") as handle:
                handle.write(body)
        scan = scan_spec([first, second])
        [problem] = scan.problems
        self.assertEqual((problem.file, problem.line, problem.kind),
                         (second, 4, DUPLICATE))
        self.assertIn(f"first at {first}:2", problem.message)
        self.assertEqual(scan.by_id()["REQ-A"].file, first)

    def test_expand_globs(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        for name in ("b.adoc", "a.adoc", "c.txt"):
            open(os.path.join(tmp, name), "w").close()
        pattern = os.path.join(tmp, "*.adoc")
        self.assertEqual(expand_globs([pattern, os.path.join(tmp, "a.adoc")],
                                      "source"),
                         [os.path.join(tmp, "a.adoc"),
                          os.path.join(tmp, "b.adoc")])
        with self.assertRaisesRegex(FileNotFoundError, "no source matches"):
            expand_globs([os.path.join(tmp, "*.nothing")], "source")


HEADER = r"""
#define REQ(...) ksft_print_msg("REQ: %s\n", #__VA_ARGS__)
/* A wrapper like FAIL_NTH_TEST. */
#define SWEEP_TEST(name, reqs)					\
	static int sweep_##name(void);				\
	TEST(sweep_##name)					\
	{							\
		ksft_print_msg("REQ: %s\n", reqs);		\
		run_sweep(_metadata, sweep_##name);		\
	}							\
	static int sweep_##name(void)
#define DEV_TEST(name) TEST_F(dev, name)
"""

SOURCE = r"""
// SPDX-License-Identifier: GPL-2.0
#include "h.h"

FIXTURE(dev) { int fd; };
FIXTURE(multi) { int x; };
FIXTURE_VARIANT(multi) { int y; };
FIXTURE_VARIANT_ADD(multi, small) { .y = 1 };
FIXTURE_VARIANT_ADD(multi, large) { .y = 2 };

/* TEST(commented_out) { REQ(REQ-NOPE); } */
TEST(plain)
{
	const char *s = "REQ(REQ-IN-STRING) { }";

	REQ(REQ-A, REQ-B);
	if (s[0] == '{')
		REQ(REQ-C);
}

TEST_F(dev, fixture_test)
{
	REQ(REQ-A);
	/* REQ(REQ-IN-COMMENT); */
}

TEST_F(multi, per_variant)
{
	REQ(REQ-V);
}

TEST_F_TIMEOUT(dev, slow, 120)
{
	REQ(REQ-SLOW, bad-id);
}

SWEEP_TEST(open_close, "REQ-A, REQ-SWEEP")
{
	return 0;
}

DEV_TEST(through_wrapper)
{
	REQ(REQ-W);
}

TEST(no_requirements)
{
}

TEST_HARNESS_MAIN
"""


class TestScanTest(unittest.TestCase):
    def scan(self):
        macros = find_wrapper_macros(mask_c(HEADER, literals=False))
        scan = TestScan()
        scan_test_text(SOURCE, "t/thing_test.c", macros, scan)
        return scan

    def test_names_and_requirements(self):
        found = {t.name: t.requirement_ids for t in self.scan().tests}
        self.assertEqual(found, {
            "thing_test.global.plain": ["REQ-A", "REQ-B", "REQ-C"],
            "thing_test.dev.fixture_test": ["REQ-A"],
            "thing_test.multi.small.per_variant": ["REQ-V"],
            "thing_test.multi.large.per_variant": ["REQ-V"],
            "thing_test.dev.slow": ["REQ-SLOW"],
            "thing_test.global.sweep_open_close": ["REQ-A", "REQ-SWEEP"],
            "thing_test.dev.through_wrapper": ["REQ-W"],
            "thing_test.global.no_requirements": [],
        })

    def test_lines(self):
        scan = self.scan()
        tests = {t.name: t for t in scan.tests}
        plain = tests["thing_test.global.plain"]
        self.assertEqual((plain.file, plain.line), ("t/thing_test.c", 12))
        self.assertEqual(plain.requirements,
                         [("REQ-A", 16), ("REQ-B", 16), ("REQ-C", 18)])
        self.assertEqual(tests["thing_test.global.sweep_open_close"]
                         .requirements, [("REQ-A", 37), ("REQ-SWEEP", 37)])
        self.assertEqual(plain.harness_name, "global.plain")

    def test_bad_ids_are_problems(self):
        [problem] = self.scan().problems
        self.assertEqual((problem.file, problem.line, problem.kind),
                         ("t/thing_test.c", 34, MALFORMED))
        self.assertIn("'bad-id' is not a requirement ID", str(problem))

    def test_wrapper_macros(self):
        macros = {m.name: m for m in
                  find_wrapper_macros(mask_c(HEADER, literals=False))}
        self.assertEqual(sorted(macros), ["DEV_TEST", "SWEEP_TEST"])
        sweep = macros["SWEEP_TEST"]
        self.assertEqual((sweep.fixture, sweep.prefix, sweep.name_param,
                          sweep.reqs_param), (None, "sweep_", 0, 1))
        self.assertEqual(macros["DEV_TEST"].fixture, "dev")

    def test_mask_keeps_offsets(self):
        text = 'a /* x\ny */ "s{" \'}\' // c\nb'
        masked = mask_c(text)
        self.assertEqual(len(masked), len(text))
        self.assertEqual(masked.count("\n"), 2)
        self.assertNotIn("{", masked)
        self.assertNotIn("}", masked)
        self.assertIn('"s{"', mask_c(text, literals=False))

    def test_files_and_headers_from_disk(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        with open(os.path.join(tmp, "h.h"), "w") as handle:
            handle.write(HEADER)
        for name in ("thing_test.c", "copy_test.c"):
            with open(os.path.join(tmp, name), "w") as handle:
                handle.write(SOURCE)
        scan = sources.scan_test_dir(tmp)
        self.assertEqual(len(scan.tests), 16)
        self.assertIn("copy_test.global.sweep_open_close", scan.by_name())
        self.assertEqual(scan.requirements_of()["copy_test.dev.through_wrapper"],
                         ["REQ-W"])

    def test_test_defined_twice(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        path = os.path.join(tmp, "d_test.c")
        with open(path, "w") as handle:
            handle.write("TEST(a)\n{\n}\n\nTEST(a)\n{\n}\n")
        [problem] = scan_tests([path]).problems
        self.assertEqual((problem.line, problem.kind), (5, DUPLICATE))

    def test_the_real_test_sources(self):
        directory = os.path.join(os.path.dirname(tests.support.DRIVER_DIR),
                                 "tests")
        if not os.path.isdir(directory):
            self.skipTest("conformance/tests not found")
        scan = sources.scan_test_dir(directory)
        self.assertTrue(scan.tests)
        names = scan.by_name()
        nth = [t for t in scan.tests if t.binary == "fail_nth_test"]
        for test in nth:
            self.assertTrue(test.name.startswith("fail_nth_test.global.fail_nth_"))
            self.assertIn("REQ-ERR-RESOURCE", test.requirement_ids)
        self.assertIn("api_test.global.open_gives_independent_descriptors",
                      names)


if __name__ == "__main__":
    unittest.main()
