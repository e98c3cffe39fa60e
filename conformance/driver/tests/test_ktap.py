# SPDX-License-Identifier: GPL-2.0
"""KTAP / TAP parsing of one test binary's output."""

import unittest

from tests.support import by_name, lines_of, parse_binary

from ioasid_conform.ktap import (KtapParser, describe_exit, requirement_ids,
                                 MAX_DIAGNOSTICS, TO_DO_DIRECTIVE as TO_DO)

HARNESS_OUTPUT = """
    TAP version 13
    1..4
    # Starting 4 tests from 2 test cases.
    #  RUN           global.open_close ...
    # REQ: REQ-OPEN-1 REQ-CLOSE-1
    #            OK  global.open_close
    ok 1 global.open_close
    #  RUN           ioas.alloc ...
    # REQ: REQ-ALLOC-2
    # ioas.c:42:alloc:Expected 0 (0) == rc (-22)
    # alloc: Test terminated by assertion
    #          FAIL  ioas.alloc
    not ok 2 ioas.alloc
    #  RUN           ioas.pasid ...
    #      SKIP      no PASID support
    #            OK  ioas.pasid
    ok 3 ioas.pasid # SKIP no PASID support
    #  RUN           ioas.free ...
    #            OK  ioas.free
    ok 4 ioas.free
    # FAILED: 3 / 4 tests passed.
    # Totals: pass:2 fail:1 xfail:0 xpass:0 skip:1 error:0
"""


class HarnessOutputTest(unittest.TestCase):
    def setUp(self):
        self.live, self.final = parse_binary(HARNESS_OUTPUT, rc=1,
                                             binary="api_test")
        self.results = by_name(self.live)

    def test_statuses(self):
        self.assertEqual(
            [(r.name, r.status) for r in self.live],
            [("api_test.global.open_close", "PASS"),
             ("api_test.ioas.alloc", "FAIL"),
             ("api_test.ioas.pasid", "SKIP"),
             ("api_test.ioas.free", "PASS")])

    def test_exit_status_one_with_failing_testcase_is_not_a_binary_failure(self):
        self.assertEqual(self.final, [])

    def test_requirements_belong_to_their_testcase(self):
        self.assertEqual(self.results["api_test.global.open_close"]
                         .requirements, ["REQ-OPEN-1", "REQ-CLOSE-1"])
        self.assertEqual(self.results["api_test.ioas.alloc"].requirements,
                         ["REQ-ALLOC-2"])
        self.assertEqual(self.results["api_test.ioas.free"].requirements, [])

    def test_failure_reason_is_the_assertion(self):
        alloc = self.results["api_test.ioas.alloc"]
        self.assertEqual(alloc.reason, "ioas.c:42:alloc:Expected 0 (0) == rc (-22)")
        self.assertIn("# alloc: Test terminated by assertion", alloc.diagnostics)

    def test_skip_reason(self):
        pasid = self.results["api_test.ioas.pasid"]
        self.assertEqual((pasid.directive, pasid.reason),
                         ("SKIP", "no PASID support"))

    def test_durations_run_from_the_run_line(self):
        # Lines arrive one second apart: RUN on line 4, result on line 7.
        self.assertEqual(self.results["api_test.global.open_close"].duration, 3.0)

    def test_results_are_returned_live(self):
        parser = KtapParser("b", 0.0)
        self.assertEqual(parser.feed("1..1", 1.0), [])
        self.assertEqual(parser.feed("#  RUN  a.b ...", 2.0), [])
        [result] = parser.feed("ok 1 a.b", 3.0)
        self.assertEqual((result.name, result.status), ("b.a.b", "PASS"))


class DirectiveTest(unittest.TestCase):
    def status_of(self, line):
        [result] = parse_binary(f"1..1\n{line}")[0]
        return result.status, result.directive, result.reason

    def test_skip(self):
        self.assertEqual(self.status_of("ok 1 t # SKIP why"),
                         ("SKIP", "SKIP", "why"))

    def test_skip_is_case_insensitive_and_not_ok_skip_is_a_skip(self):
        self.assertEqual(self.status_of("not ok 1 t # skip why"),
                         ("SKIP", "SKIP", "why"))

    def test_skip_without_name(self):
        [result] = parse_binary("1..1\nok 1 # SKIP nothing to do")[0]
        self.assertEqual((result.name, result.status), ("bin.test1", "SKIP"))

    def test_xfail(self):
        self.assertEqual(self.status_of("ok 1 t # XFAIL known bug"),
                         ("PASS", "XFAIL", "known bug"))

    def test_not_ok_xfail_is_a_failure(self):
        self.assertEqual(self.status_of("not ok 1 t # XFAIL")[0], "FAIL")

    def test_to_do_failure_is_expected(self):
        self.assertEqual(self.status_of(f"not ok 1 t # {TO_DO} not done"),
                         ("PASS", TO_DO, "not done"))

    def test_to_do_pass(self):
        self.assertEqual(self.status_of(f"ok 1 t # {TO_DO}"), ("PASS", TO_DO, ""))

    def test_hash_in_description_is_not_a_directive(self):
        [result] = parse_binary("1..1\nok 1 - case #3 works")[0]
        self.assertEqual((result.name, result.directive),
                         ("bin.case #3 works", None))

    def test_tap13_dash_and_missing_number(self):
        live, final = parse_binary("1..2\nok - first\nnot ok - second", rc=1)
        self.assertEqual([(r.name, r.status) for r in live],
                         [("bin.first", "PASS"), ("bin.second", "FAIL")])
        self.assertEqual(final, [])

    def test_xpass(self):
        self.assertEqual(self.status_of("ok 1 t # XPASS unknown"),
                         ("PASS", "XPASS", "unknown"))

    def test_kselftest_reason_without_directive(self):
        # ksft_test_result_code() prints "#  " before a message when there
        # is no directive.
        [result] = parse_binary("1..1\nnot ok 1 dev.bad #  setup failed",
                                rc=1)[0]
        self.assertEqual((result.name, result.status, result.reason),
                         ("bin.dev.bad", "FAIL", "setup failed"))

    def test_okay_is_not_a_result(self):
        live, final = parse_binary("1..1\nokay then\nok 1 t")
        self.assertEqual(len(live), 1)
        self.assertEqual(live[0].diagnostics, ["okay then"])


class NestedTest(unittest.TestCase):
    def test_ktap_v1_subtests(self):
        live, final = parse_binary("""
            KTAP version 1
            1..2
                KTAP version 1
                # Subtest: suite_a
                1..2
                ok 1 case_one
                not ok 2 case_two
            not ok 1 suite_a
                KTAP version 1
                # Subtest: suite_b
                1..1
                ok 1 case_three # SKIP not here
            ok 2 suite_b
            """, rc=1)
        self.assertEqual([(r.name, r.status) for r in live],
                         [("bin.suite_a.case_one", "PASS"),
                          ("bin.suite_a.case_two", "FAIL"),
                          ("bin.suite_b.case_three", "SKIP")])
        self.assertEqual(final, [])

    def test_old_kunit_subtest_header_inside_block(self):
        live, _ = parse_binary("""
            TAP version 14
            1..1
                # Subtest: example
                1..1
                ok 1 example_simple_test
            ok 1 - example
            """)
        self.assertEqual([r.name for r in live],
                         ["bin.example.example_simple_test"])

    def test_tap13_subtest_header_before_block(self):
        live, final = parse_binary("""
            TAP version 13
            1..2
            # Subtest: group
                1..2
                ok 1 - a
                ok 2 - b
            ok 1 - group
            ok 2 - flat
            """)
        self.assertEqual([r.name for r in live],
                         ["bin.group.a", "bin.group.b", "bin.flat"])
        self.assertEqual(final, [])

    def test_unnamed_subtest_takes_the_name_of_its_result_line(self):
        parser = KtapParser("bin", 0.0)
        emitted = []
        for number, line in enumerate(lines_of("""
                1..1
                    1..1
                    ok 1 inner
                ok 1 outer
                """)):
            emitted.append((line.strip(), [r.name for r in
                                           parser.feed(line, number)]))
        # The inner result waits until the subtest has a name.
        self.assertEqual(emitted[2], ("ok 1 inner", []))
        self.assertEqual(emitted[3], ("ok 1 outer", ["bin.outer.inner"]))
        self.assertEqual(parser.finish(0, 1.0, False), [])

    def test_two_levels_of_nesting(self):
        live, final = parse_binary("""
            KTAP version 1
            1..1
                KTAP version 1
                # Subtest: outer
                1..1
                    KTAP version 1
                    # Subtest: inner
                    1..2
                    ok 1 leaf_one
                    ok 2 leaf_two
                ok 1 inner
            ok 1 outer
            """)
        self.assertEqual([r.name for r in live],
                         ["bin.outer.inner.leaf_one",
                          "bin.outer.inner.leaf_two"])
        self.assertEqual(final, [])

    def test_failed_subtest_without_failed_testcases_is_reported(self):
        live, _ = parse_binary("""
            1..1
                # Subtest: suite
                1..1
                ok 1 fine
            not ok 1 suite
            """, rc=1)
        self.assertEqual([(r.name, r.status) for r in live],
                         [("bin.suite.fine", "PASS"), ("bin.suite", "FAIL")])
        self.assertIn("none of its testcases", live[1].reason)

    def test_subtest_without_testcases_is_a_leaf(self):
        live, _ = parse_binary("""
            1..1
                # Subtest: empty
                1..0
            ok 1 empty # SKIP nothing to run
            """)
        self.assertEqual([(r.name, r.status) for r in live],
                         [("bin.empty", "SKIP")])

    def test_skip_directive_inside_a_subtest(self):
        live, final = parse_binary(f"""
            KTAP version 1
            1..1
                KTAP version 1
                # Subtest: suite
                1..3
                ok 1 a # SKIP no device
                not ok 2 b # XFAIL known
                not ok 3 c # {TO_DO} not written
            ok 1 suite
            """)
        self.assertEqual([(r.name, r.status, r.directive) for r in live],
                         [("bin.suite.a", "SKIP", "SKIP"),
                          ("bin.suite.b", "FAIL", "XFAIL"),
                          ("bin.suite.c", "PASS", TO_DO)])
        self.assertEqual(final, [])

    def test_nested_plan_mismatch(self):
        _, final = parse_binary("""
            1..1
                # Subtest: suite
                1..3
                ok 1 a
            ok 1 suite
            """)
        [binary] = final
        self.assertEqual(binary.name, "bin")
        self.assertIn("subtest bin.suite: planned 3 testcases but 1 reported",
                      binary.reason)


class EndOfBinaryTest(unittest.TestCase):
    def test_crash_mid_test(self):
        live, final = parse_binary("""
            TAP version 13
            1..3
            #  RUN           f.one ...
            ok 1 f.one
            #  RUN           f.two ...
            # about to poke the device
            """, rc=139, elapsed=0.5)
        self.assertEqual(len(live), 1)
        testcase, binary = final
        self.assertEqual((testcase.name, testcase.status), ("bin.f.two", "FAIL"))
        self.assertIn("no result line", testcase.reason)
        self.assertEqual(testcase.diagnostics, ["# about to poke the device"])
        self.assertEqual((binary.name, binary.status), ("bin", "FAIL"))
        self.assertEqual(binary.reason, "killed by signal SIGSEGV")
        self.assertEqual(binary.duration, 0.5)

    def test_truncated_output_guest_died(self):
        _, final = parse_binary("""
            1..2
            #  RUN           f.one ...
            # REQ: REQ-X-1
            """, rc=None, unfinished_reason="the guest stopped while it ran")
        testcase, binary = final
        self.assertEqual(testcase.requirements, ["REQ-X-1"])
        self.assertEqual(binary.reason, "the guest stopped while it ran")

    def test_truncated_nested_output(self):
        live, final = parse_binary("""
            KTAP version 1
            1..1
                KTAP version 1
                # Subtest: suite
                1..2
                ok 1 a
            """, rc=None, unfinished_reason="gone")
        self.assertEqual([r.name for r in live], ["bin.suite.a"])
        self.assertEqual([(r.name, r.reason) for r in final], [("bin", "gone")])

    def test_crash_mid_nested_subtest(self):
        live, final = parse_binary("""
            KTAP version 1
            1..2
                KTAP version 1
                # Subtest: suite
                1..2
                ok 1 a
                # RUN b ...
                # about to crash
            """, rc=139)
        self.assertEqual([r.name for r in live], ["bin.suite.a"])
        self.assertEqual([(r.name, r.status) for r in final],
                         [("bin.suite.b", "FAIL"), ("bin", "FAIL")])
        self.assertIn("no result line", final[0].reason)
        self.assertEqual(final[0].diagnostics, ["# about to crash"])
        self.assertEqual(final[1].reason, "killed by signal SIGSEGV")

    def test_timeout(self):
        _, final = parse_binary("1..1\n#  RUN  t.hang ...", rc=143,
                                elapsed=60.02, timed_out=True)
        self.assertEqual([r.name for r in final], ["bin.t.hang", "bin"])
        self.assertEqual(final[1].reason, "timed out after 60.0s")

    def test_nonzero_exit_without_failing_testcase(self):
        _, final = parse_binary("1..1\nok 1 a", rc=2)
        [binary] = final
        self.assertEqual(binary.reason,
                         "exited with status 2 but no testcase failed")

    def test_plan_mismatch(self):
        _, final = parse_binary("1..3\nok 1 a\nok 2 b")
        self.assertEqual(final[0].reason, "planned 3 tests but 2 reported")

    def test_plan_at_the_end(self):
        live, final = parse_binary("ok 1 a\nok 2 b\n1..2")
        self.assertEqual((len(live), final), (2, []))

    def test_missing_plan(self):
        _, final = parse_binary("ok 1 a")
        self.assertEqual(final[0].reason, "no TAP plan line (1 results)")

    def test_bail_out(self):
        _, final = parse_binary("1..2\nok 1 a\nBail out! no /dev/ioasid", rc=1)
        self.assertEqual(final[0].reason, "Bail out! no /dev/ioasid")

    def test_skip_plan_skips_the_binary(self):
        live, final = parse_binary("TAP version 13\n1..0 # SKIP no IOMMU",
                                   rc=4)
        self.assertEqual(live, [])
        self.assertEqual([(r.name, r.status, r.reason) for r in final],
                         [("bin", "SKIP", "no IOMMU")])

    def test_no_tap_output_passes_on_exit_zero(self):
        _, final = parse_binary("hello\n# REQ: REQ-PLAIN-1", rc=0)
        [binary] = final
        self.assertEqual((binary.status, binary.requirements),
                         ("PASS", ["REQ-PLAIN-1"]))

    def test_no_tap_output_ksft_skip(self):
        _, final = parse_binary("nothing to test", rc=4)
        self.assertEqual(final[0].status, "SKIP")

    def test_no_tap_output_fails_on_nonzero_exit(self):
        _, final = parse_binary("oops", rc=1)
        self.assertEqual((final[0].name, final[0].status), ("bin", "FAIL"))

    def test_not_found(self):
        _, final = parse_binary("sh: ./t: not found", rc=127)
        self.assertIn("is it static?", final[0].reason)

    def test_interleaved_noise_does_not_break_parsing(self):
        live, final = parse_binary("""
            TAP version 13
            1..2
            #  RUN  a.one ...
            random debug output from the test
            ok 1 a.one
              stray indented text
            ok 2 a.two
            """)
        self.assertEqual([r.status for r in live], ["PASS", "PASS"])
        self.assertEqual(final, [])


class HelpersTest(unittest.TestCase):
    def test_requirement_ids(self):
        self.assertEqual(requirement_ids(["# REQ: A-1 B-2", "x", "REQ: A-1, C-3",
                                          "# not a REQ: line"]),
                         ["A-1", "B-2", "C-3"])

    def test_describe_exit(self):
        self.assertEqual(describe_exit(137), "killed by signal SIGKILL")
        self.assertEqual(describe_exit(3), "exited with status 3")

    def test_diagnostics_are_bounded(self):
        text = "1..1\n" + "\n".join(f"# line {i}" for i in range(500)) + "\nok 1 a"
        [result] = parse_binary(text)[0]
        self.assertEqual(len(result.diagnostics), MAX_DIAGNOSTICS)
        self.assertEqual(result.diagnostics[-1], "# line 499")


if __name__ == "__main__":
    unittest.main()
