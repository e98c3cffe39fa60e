# SPDX-License-Identifier: GPL-2.0
"""Test selection: harness listing, --test patterns, --req IDs, and the
harness filter options passed to the binaries; the list command."""

import contextlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from tests.support import fake_harness, harness_listing

from ioasid_conform import cli, initramfs
from ioasid_conform.inputs import SetupError
from ioasid_conform.selection import (ListError, Selection, choose_tests,
                                      is_harness_binary, list_binary,
                                      parse_harness_list, plan_binaries)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))
BUILT_TESTS = os.path.join(REPO, "build", "tests")
SOURCES = os.path.join(REPO, "conformance", "tests")
BUSYBOX = shutil.which("busybox")


class ParseListTest(unittest.TestCase):
    def test_round_trip(self):
        # Variant by variant, as the harness runs them.
        names = ["global.open", "dev.one", "dev.two", "multi.small.v",
                 "multi.small.w", "multi.large.v", "multi.large.w"]
        self.assertEqual(parse_harness_list(harness_listing(names)), names)

    def test_real_format(self):
        text = ("# FIXTURE            VARIANT                   TEST\n"
                "global                                         open_close\n"
                "                                               again\n"
                "----------------------------------------------------------\n"
                "dev                  v1                        a\n"
                "                     v2                        b\n"
                "                     v3\n"
                "----------------------------------------------------------\n"
                "empty_fixture\n")
        self.assertEqual(parse_harness_list(text), [
            "global.open_close", "global.again",
            "dev.v1.a", "dev.v1.b", "dev.v2.a", "dev.v2.b", "dev.v3.a",
            "dev.v3.b"])

    def test_names_longer_than_their_column(self):
        fixture = "a_fixture_name_longer_than_twenty"
        variant = "a_variant_name_longer_than_twenty_five"
        text = (f"{'# FIXTURE':<20} {'VARIANT':<25} TEST\n"
                f"{fixture:<20} {variant:<25} t1\n"
                f"{'':<20} {'':<25} t2\n")
        self.assertEqual(parse_harness_list(text),
                         [f"{fixture}.{variant}.t1", f"{fixture}.{variant}.t2"])


class ListBinaryTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)

    def script(self, name, body):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as handle:
            handle.write("#!/bin/sh\n" + body)
        os.chmod(path, 0o755)
        return path

    def test_harness_binary(self):
        path = fake_harness(os.path.join(self.tmp, "h_test"),
                            [("dev.a", "pass", []), ("dev.b", "pass", [])])
        self.assertTrue(is_harness_binary(path))
        self.assertEqual(list_binary(path), ["dev.a", "dev.b"])

    def test_other_programs_are_not_started(self):
        marker = os.path.join(self.tmp, "ran")
        path = self.script("plain_test", f"touch {marker}\necho ok\n")
        self.assertFalse(is_harness_binary(path))
        self.assertIsNone(list_binary(path))
        self.assertFalse(os.path.exists(marker))

    def test_harness_binary_that_does_not_list(self):
        path = self.script("broken_test",
                           "# -l       list all tests\necho nope\nexit 1\n")
        with self.assertRaisesRegex(ListError, "exited with status 1"):
            list_binary(path)

    @unittest.skipUnless(os.path.isfile(os.path.join(BUILT_TESTS, "api_test")),
                         "build/tests/api_test not built")
    def test_real_binary_matches_its_source(self):
        from ioasid_conform.sources import scan_test_dir
        names = list_binary(os.path.join(BUILT_TESTS, "api_test"))
        static = [t.harness_name for t in scan_test_dir(SOURCES).tests
                  if t.binary == "api_test"]
        self.assertEqual(sorted(names), sorted(static))


class SelectionTest(unittest.TestCase):
    def test_matching(self):
        sel = Selection(patterns=["api_test.dev.*", "ctx_test"])
        self.assertTrue(sel.selects("api_test", "api_test.dev.flags", []))
        self.assertFalse(sel.selects("api_test", "api_test.global.open", []))
        self.assertTrue(sel.selects("ctx_test", "ctx_test.global.any", []))
        self.assertFalse(sel.selects("api_test", "api_test.Dev.flags", []))

    def test_requirements_and_patterns_both_apply(self):
        sel = Selection(patterns=["*.dev.*"], requirements=["REQ-A", "REQ-B"])
        self.assertTrue(sel.selects("t", "t.dev.x", ["REQ-B"]))
        self.assertFalse(sel.selects("t", "t.dev.x", ["REQ-C"]))
        self.assertFalse(sel.selects("t", "t.global.x", ["REQ-A"]))

    def test_describe(self):
        self.assertEqual(Selection(["a*"], ["REQ-X"]).describe(),
                         "--test a* --req REQ-X")
        self.assertFalse(Selection().active)


class PlanTest(unittest.TestCase):
    LISTS = {"/t/api_test": ["global.open", "dev.flags", "dev.size"],
             "/t/ctx_test": ["ctx.alloc"],
             "/t/plain_test": None}
    REQS = {"api_test.global.open": ["REQ-OPEN"],
            "api_test.dev.flags": ["REQ-FLAGS", "REQ-NOCHANGE"],
            "api_test.dev.size": ["REQ-SIZE", "REQ-NOCHANGE"],
            "ctx_test.ctx.alloc": ["REQ-ALLOC"]}

    def plan(self, patterns=(), reqs=()):
        listed = []

        def lister(path):
            listed.append(os.path.basename(path))
            return self.LISTS[path]
        result = plan_binaries(list(self.LISTS), Selection(list(patterns),
                                                           list(reqs)),
                               self.REQS, lister)
        return ({p.name: p.args for p in result.plans}, result.notes, listed)

    def test_no_selection_runs_everything_without_listing(self):
        plans, notes, listed = self.plan()
        self.assertEqual(plans, {"api_test": [], "ctx_test": [],
                                 "plain_test": []})
        self.assertEqual((notes, listed), ([], []))

    def test_binary_name_selects_it_whole(self):
        plans, _, listed = self.plan(["plain_test", "ctx_*"])
        self.assertEqual(plans, {"ctx_test": [], "plain_test": []})
        self.assertEqual(listed, ["api_test"])

    def test_testcase_patterns_become_r_options(self):
        plans, notes, _ = self.plan(["api_test.dev.*"])
        self.assertEqual(plans, {"api_test": ["-r", "dev.flags",
                                              "-r", "dev.size"]})
        self.assertEqual(len(notes), 1)
        self.assertIn("plain_test: not a kselftest harness binary", notes[0])

    def test_every_testcase_selected_needs_no_options(self):
        plans, _, _ = self.plan(["api_test.*"])
        self.assertEqual(plans, {"api_test": []})

    def test_requirement(self):
        plans, _, _ = self.plan(reqs=["REQ-NOCHANGE", "REQ-ALLOC"])
        self.assertEqual(plans, {"api_test": ["-r", "dev.flags",
                                              "-r", "dev.size"],
                                 "ctx_test": []})

    def test_requirement_within_a_named_binary(self):
        plans, _, listed = self.plan(["api_test"], ["REQ-FLAGS"])
        self.assertEqual(plans, {"api_test": ["-r", "dev.flags"]})
        self.assertIn("api_test", listed)

    def test_nothing_matches(self):
        plans, _, _ = self.plan(["nothing*"])
        self.assertEqual(plans, {})


class ChooseTestsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.tests = os.path.join(self.tmp, "bin")
        os.mkdir(self.tests)
        fake_harness(os.path.join(self.tests, "x_test"),
                     [("dev.a", "pass", []), ("dev.b", "pass", [])])
        self.sources = os.path.join(self.tmp, "src")
        os.mkdir(self.sources)
        with open(os.path.join(self.sources, "x_test.c"), "w") as handle:
            handle.write("TEST_F(dev, a)\n{\n\tREQ(REQ-A);\n}\n"
                         "TEST_F(dev, b)\n{\n\tREQ(REQ-B);\n}\n")

    def test_requirement_from_the_sources(self):
        planned = choose_tests(self.tests, Selection(requirements=["REQ-B"]),
                               self.sources)
        [plan] = planned.plans
        self.assertEqual((plan.name, plan.args, plan.testcases),
                         ("x_test", ["-r", "dev.b"], ["x_test.dev.b"]))

    def test_errors(self):
        with self.assertRaisesRegex(SetupError, "no testcase in .* matches "
                                                "--req REQ-NONE"):
            choose_tests(self.tests, Selection(requirements=["REQ-NONE"]),
                         self.sources)
        with self.assertRaisesRegex(SetupError, "--req needs the test sources"):
            choose_tests(self.tests, Selection(requirements=["REQ-A"]),
                         os.path.join(self.tmp, "nowhere"))


class InitArgumentsTest(unittest.TestCase):
    def test_run_lines_carry_quoted_options(self):
        script = initramfs.init_script(
            [], ["a_test", "b_test"], 10,
            test_args={"a_test": ["-r", "dev.one", "-r", "odd name'"]})
        self.assertIn("\trun_test a_test -r dev.one -r 'odd name'\"'\"''\n",
                      script)
        self.assertIn("\trun_test b_test\n", script)
        self.assertIn('"./$name" "$@") < /dev/null', script)

    @unittest.skipIf(BUSYBOX is None, "busybox not installed")
    def test_run_test_passes_its_options(self):
        """The run_test function of /init, run by busybox sh with a fake
        /tests replaced by a directory of ours."""
        script = initramfs.init_script([], ["echo_test"], 10)
        function = script[script.index("run_test() {"):]
        function = function[:function.index("\n}\n") + 3]
        # In the guest, run_test kills every process left over; on the
        # host that would kill every process of the machine.  Leave it out,
        # and refuse to run at all if any kill remains.
        function = function.replace("kill -KILL -1 2>/dev/null", ":")
        if "kill" in function:
            self.fail("run_test() kills processes; not run on the host")
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        with open(os.path.join(tmp, "echo_test"), "w") as handle:
            handle.write('#!/bin/sh\nfor a in "$@"; do echo "arg=$a"; done\n')
        os.chmod(os.path.join(tmp, "echo_test"), 0o755)
        program = ("marker() { echo \"M $*\"; }\nnow() { echo 1.00; }\n"
                   + function.replace("cd /tests", f"cd {tmp}")
                   + "run_test echo_test -r 'dev.a b' -r x\n")
        done = subprocess.run([BUSYBOX, "sh", "-c", program],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(done.stdout.splitlines(), [
            "M TEST-BEGIN echo_test", "arg=-r", "arg=dev.a b", "arg=-r",
            "arg=x", "M TEST-END echo_test rc=0 elapsed=0.00"], done.stderr)


class ListCommandTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.tests = os.path.join(self.tmp, "bin")
        os.mkdir(self.tests)
        fake_harness(os.path.join(self.tests, "x_test"),
                     [("dev.a", "pass", []), ("dev.b", "pass", []),
                      ("global.c", "pass", [])])
        plain = os.path.join(self.tests, "plain_test")
        with open(plain, "w") as handle:
            handle.write("#!/bin/sh\necho ok\n")
        os.chmod(plain, 0o755)
        self.sources = os.path.join(self.tmp, "src")
        os.mkdir(self.sources)
        with open(os.path.join(self.sources, "x_test.c"), "w") as handle:
            handle.write("TEST_F(dev, a)\n{\n\tREQ(REQ-A, REQ-B);\n}\n"
                         "TEST(c)\n{\n}\nTEST(gone)\n{\n\tREQ(REQ-G);\n}\n")

    def list(self, *extra):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = cli.main(["list", "--sources", self.sources] + list(extra))
        return status, out.getvalue().splitlines()

    def test_binaries_with_requirements(self):
        json_path = os.path.join(self.tmp, "l.json")
        status, lines = self.list("--tests", self.tests, "--json", json_path)
        self.assertEqual(status, 0)
        self.assertEqual(lines, [
            "plain_test       -",
            "x_test.dev.a     REQ-A, REQ-B",
            "x_test.dev.b     -",
            "x_test.global.c  -",
            "note: plain_test: not a kselftest harness binary (runs as a whole)",
            f"note: x_test.global.gone is in the sources but not in "
            f"{self.tests}/x_test (rebuild it?)",
            "4 testcases in 2 binaries"])
        with open(json_path) as handle:
            document = json.load(handle)
        self.assertEqual(document["tests"][1], {
            "name": "x_test.dev.a", "binary": "x_test",
            "requirements": ["REQ-A", "REQ-B"]})

    def test_selection(self):
        _, lines = self.list("--tests", self.tests, "--req", "REQ-B")
        self.assertEqual(lines[0], "x_test.dev.a  REQ-A, REQ-B")
        self.assertEqual(lines[-1], "1 testcases in 1 binaries")
        _, lines = self.list("--tests", self.tests, "--test", "*.global.*")
        self.assertEqual(lines[0], "x_test.global.c  -")

    def test_from_the_sources_only(self):
        status, lines = self.list()
        self.assertEqual(status, 0)
        self.assertEqual(lines, ["x_test.dev.a        REQ-A, REQ-B",
                                 "x_test.global.c     -",
                                 "x_test.global.gone  REQ-G",
                                 "3 testcases in 1 binaries"])

    def test_missing_directories(self):
        with contextlib.redirect_stderr(io.StringIO()) as err:
            status, _ = self.list("--tests", os.path.join(self.tmp, "none"))
        self.assertEqual(status, 2)
        self.assertIn("test directory not found", err.getvalue())


if __name__ == "__main__":
    unittest.main()
