# SPDX-License-Identifier: GPL-2.0
"""The local target: test binaries run on this machine.

The test binaries here are small shell scripts printing TAP; the kernel
log is a regular file in /dev/kmsg's record format that the scripts
append to; the taint file is a regular file too; insmod and rmmod are
scripts that record their arguments.
"""

import contextlib
import io
import json
import os
import shutil
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET
from unittest import mock

from tests.support import by_name, fake_harness

from ioasid_conform import cli, local
from ioasid_conform.inputs import ModuleDir
from ioasid_conform.local import (KernelLog, LocalOptions, run_binary,
                                  run_local, taint_results)
from ioasid_conform.report import Reporter
from ioasid_conform.selection import Selection

PASS_TEST = """\
echo "TAP version 13"
echo "1..2"
echo "#  RUN           dev.one ..."
echo "# REQ: REQ-ONE"
echo "ok 1 dev.one"
echo "#  RUN           dev.two ..."
echo "ok 2 dev.two # SKIP not here"
"""

FAIL_TEST = """\
echo "TAP version 13"
echo "1..2"
echo "#  RUN           f.good ..."
echo "ok 1 f.good"
echo "#  RUN           f.bad ..."
echo "# f.c:3:bad:Expected 1 (1) == 2 (2)" >&2
echo "not ok 2 f.bad"
exit 1
"""

CRASH_TEST = """\
echo "TAP version 13"
echo "1..1"
echo "#  RUN           c.segv ..."
kill -SEGV $$
"""

HANG_TEST = """\
echo "TAP version 13"
echo "1..1"
echo "#  RUN           h.sleep ..."
sleep 30
"""

WARN_TEST = """\
echo "TAP version 13"
echo "1..1"
echo "4,101,2000,-;WARNING: CPU: 0 PID: 9 at drivers/x.c:1 f+0x1/0x2" >> "$KMSG"
echo " SUBSYSTEM=none" >> "$KMSG"
echo "4,102,2001,-;Call Trace:" >> "$KMSG"
echo "ok 1 w.warns"
"""

TAINT_TEST = """\
echo "1..1"
echo 4608 > "$TAINTED"
echo "ok 1 t.taints"
"""


class LocalTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.tests = os.path.join(self.tmp, "tests")
        os.mkdir(self.tests)
        self.kmsg = os.path.join(self.tmp, "kmsg")
        with open(self.kmsg, "w") as handle:
            handle.write("4,1,10,-;WARNING: from before the run\n")
        self.tainted = os.path.join(self.tmp, "tainted")
        with open(self.tainted, "w") as handle:
            handle.write("4096\n")
        self.calls = os.path.join(self.tmp, "calls")
        env = {"KMSG": self.kmsg, "TAINTED": self.tainted}
        patcher = mock.patch.dict(os.environ, env)
        patcher.start()
        self.addCleanup(patcher.stop)

    def script(self, name, body, directory=None, mode=0o755):
        path = os.path.join(directory or self.tests, name)
        with open(path, "w") as handle:
            handle.write("#!/bin/sh\n" + body)
        os.chmod(path, mode)
        return path

    def tool(self, name, fail_on=""):
        """A fake insmod or rmmod: records its argument, fails for
        arguments containing fail_on."""
        return self.script(name, f"""\
echo "{name} $1" >> {self.calls}
case "$1" in
*{fail_on or "@never@"}*) echo "{name}: ERROR: could not insert" >&2; exit 1 ;;
esac
""", directory=self.tmp)

    def run_local(self, modules=(), root=True, timeout=5.0, selection=None,
                  sources=None, **kwargs):
        options = LocalOptions(
            tests=self.tests, kernel_name="host", modules=list(modules),
            test_timeout=timeout, kmsg=self.kmsg, tainted=self.tainted,
            selection=selection or Selection(), sources=sources,
            kill_grace=1.0, **kwargs)
        out = io.StringIO()
        reporter = Reporter("host", out)
        with mock.patch.object(local, "is_root", return_value=root):
            report = run_local(options, reporter)
        counts = reporter.summary(report.results)
        return report, counts, out.getvalue().splitlines()


class LocalRunTest(LocalTestCase):
    def test_clean_run(self):
        self.script("pass_test", PASS_TEST)
        report, counts, lines = self.run_local()
        results = by_name(report.results)
        self.assertEqual({n: r.status for n, r in results.items()},
                         {"pass_test.dev.one": "PASS",
                          "pass_test.dev.two": "SKIP"}, lines)
        self.assertEqual(results["pass_test.dev.one"].requirements, ["REQ-ONE"])
        self.assertEqual(lines[-1], "1 passed, 0 failed, 1 skipped")
        self.assertEqual(report.info["kernel_log"], "on")
        self.assertEqual((report.info["target"], report.info["taint_before"],
                          report.info["taint_after"]), ("local", 4096, 4096))
        self.assertTrue(any(line.startswith("      pass_test: 1 passed, 0 "
                                            "failed, 1 skipped in ")
                            for line in lines), lines)

    def test_failures_crash_and_timeout(self):
        self.script("a_fail_test", FAIL_TEST)
        self.script("b_crash_test", CRASH_TEST)
        self.script("c_hang_test", HANG_TEST)
        started = time.monotonic()
        report, counts, lines = self.run_local(timeout=1.0)
        self.assertLess(time.monotonic() - started, 15)
        results = by_name(report.results)
        self.assertEqual(results["a_fail_test.f.bad"].reason,
                         "f.c:3:bad:Expected 1 (1) == 2 (2)")
        self.assertNotIn("a_fail_test", results)   # exit 1 with a failure
        self.assertEqual(results["b_crash_test"].reason,
                         "killed by signal SIGSEGV")
        self.assertIn("no result line", results["b_crash_test.c.segv"].reason)
        self.assertTrue(results["c_hang_test"].reason.startswith(
            "timed out after 1."), results["c_hang_test"].reason)
        self.assertEqual(results["c_hang_test.h.sleep"].status, "FAIL")
        self.assertEqual((counts.passed, counts.failed, counts.skipped),
                         (1, 5, 0))

    def test_kernel_log_reports_during_a_binary(self):
        self.script("warn_test", WARN_TEST)
        report, counts, lines = self.run_local()
        results = by_name(report.results)
        failure = results["kernel.log"]
        self.assertEqual(failure.reason, "1 kernel report; first: WARNING: "
                         "CPU: 0 PID: 9 at drivers/x.c:1 f+0x1/0x2 (during "
                         "warn_test)")
        self.assertIn("Call Trace:", failure.diagnostics)
        self.assertNotIn("from before the run", "\n".join(failure.diagnostics))
        self.assertEqual(counts.failed, 1)

    def test_kernel_log_unreadable_is_a_skip_with_the_reason(self):
        self.script("pass_test", PASS_TEST)
        self.kmsg = os.path.join(self.tmp, "no-such-kmsg")
        report, counts, lines = self.run_local(root=False)
        skipped = by_name(report.results)["kernel.log"]
        self.assertEqual(skipped.status, "SKIP")
        self.assertEqual(skipped.reason,
                         f"kernel-log checks are off: cannot read {self.kmsg}: "
                         f"No such file or directory; reading it needs root")
        self.assertIn(skipped.reason, lines)
        self.assertEqual((counts.passed, counts.failed, counts.skipped),
                         (1, 0, 2))
        self.assertEqual(report.info["kernel_log"], skipped.reason)

    def test_only_taint_bits_set_during_the_run_count(self):
        self.script("taint_test", TAINT_TEST)
        report, _, _ = self.run_local()
        failure = by_name(report.results)["kernel.taint"]
        self.assertEqual(failure.reason, "the kernel was tainted during the "
                         "run: 4096 -> 4608, new W; only O and E may appear")
        self.assertEqual(failure.diagnostics,
                         ["W (bit 9, 512): kernel issued warning"])
        # Already tainted W before the run: nothing new, nothing reported.
        with open(self.tainted, "w") as handle:
            handle.write("4608\n")
        report, counts, _ = self.run_local()
        self.assertNotIn("kernel.taint", by_name(report.results))
        self.assertEqual(counts.failed, 0)

    def test_taint_results(self):
        self.assertEqual(taint_results(0, 4096 | 8192), [])
        [skip] = taint_results(None, 0, "/x")
        self.assertEqual((skip.status, skip.reason),
                         ("SKIP", "taint check is off: cannot read /x"))


class LocalModulesTest(LocalTestCase):
    def setUp(self):
        super().setUp()
        self.script("pass_test", PASS_TEST)
        self.mods = os.path.join(self.tmp, "mods")
        os.mkdir(self.mods)
        for name in ("core.ko", "user-x.ko"):
            with open(os.path.join(self.mods, name), "w") as handle:
                handle.write("x")
        with open(os.path.join(self.mods, "load-order"), "w") as handle:
            handle.write("user-x\ncore\n")

    def calls_made(self):
        with open(self.calls) as handle:
            return [line.split()[0] + " " + os.path.basename(line.split()[1])
                    for line in handle.read().splitlines()]

    def test_load_in_order_unload_in_reverse(self):
        report, counts, lines = self.run_local(
            [ModuleDir(self.mods)], insmod=[self.tool("insmod")],
            rmmod=[self.tool("rmmod")])
        self.assertEqual(self.calls_made(), ["insmod user-x.ko", "insmod core.ko",
                                             "rmmod core", "rmmod user_x"])
        self.assertEqual(counts.failed, 0, lines)
        self.assertEqual(report.info["modules"][0],
                         {"name": "user_x", "action": "load", "rc": 0})

    def test_module_that_fails_to_load(self):
        report, counts, lines = self.run_local(
            [ModuleDir(self.mods)], insmod=[self.tool("insmod", "core")],
            rmmod=[self.tool("rmmod")])
        results = by_name(report.results)
        self.assertEqual(results["module.load.core"].reason,
                         "insmod core failed with status 1")
        self.assertEqual(results["module.load.core"].diagnostics,
                         ["insmod: ERROR: could not insert"])
        self.assertEqual(results["pass_test"].reason,
                         "did not run: module core failed to load")
        self.assertEqual(self.calls_made(), ["insmod user-x.ko",
                                             "insmod core.ko", "rmmod user_x"])

    def test_module_that_fails_to_unload(self):
        report, _, _ = self.run_local(
            [ModuleDir(self.mods)], insmod=[self.tool("insmod")],
            rmmod=[self.tool("rmmod", "core")])
        self.assertEqual(by_name(report.results)["module.unload.core"].reason,
                         "rmmod core failed with status 1")

    def test_modules_need_root(self):
        report, counts, lines = self.run_local([ModuleDir(self.mods)],
                                               root=False)
        self.assertEqual(lines[0], "FAIL  [host] driver.setup  (0.00s)  "
                                   "loading modules (--module, --modules) "
                                   "needs root")
        self.assertFalse(os.path.exists(self.calls))

    def test_missing_module_directory(self):
        report, _, lines = self.run_local([ModuleDir("/nonexistent/mods")])
        self.assertIn("module directory not found: /nonexistent/mods",
                      lines[0])


class LocalSelectionTest(LocalTestCase):
    def setUp(self):
        super().setUp()
        fake_harness(os.path.join(self.tests, "x_test"),
                     [("dev.a", "pass", ["REQ-A"]), ("dev.b", "fail", []),
                      ("global.c", "pass", ["REQ-C"])])
        self.sources = os.path.join(self.tmp, "src")
        os.mkdir(self.sources)
        with open(os.path.join(self.sources, "x_test.c"), "w") as handle:
            handle.write("TEST_F(dev, a)\n{\n\tREQ(REQ-A);\n}\n"
                         "TEST_F(dev, b)\n{\n}\n"
                         "TEST(c)\n{\n\tREQ(REQ-C);\n}\n")

    def names(self, report):
        return [r.name for r in report.results if r.binary]

    def test_pattern(self):
        report, counts, _ = self.run_local(
            selection=Selection(patterns=["x_test.dev.a", "*.global.*"]))
        self.assertEqual(self.names(report), ["x_test.dev.a",
                                              "x_test.global.c"])
        self.assertEqual(report.info["selection"]["arguments"],
                         {"x_test": ["-r", "dev.a", "-r", "global.c"]})
        self.assertEqual(counts.failed, 0)

    def test_requirement(self):
        report, _, _ = self.run_local(
            selection=Selection(requirements=["REQ-C"]), sources=self.sources)
        self.assertEqual(self.names(report), ["x_test.global.c"])

    def test_nothing_selected(self):
        report, _, lines = self.run_local(
            selection=Selection(patterns=["nothing"]))
        self.assertIn("driver.setup", lines[0])
        self.assertIn("no testcase in", lines[0])


class KernelLogTest(unittest.TestCase):
    def test_records_and_continuations(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as handle:
            handle.write("6,1,1,-;old\n")
        self.addCleanup(os.remove, handle.name)
        log = KernelLog(handle.name)
        self.assertTrue(log.open())
        self.addCleanup(log.close)
        with open(handle.name, "a") as more:
            more.write("4,2,5,-;new; with semicolon\n DEVICE=+x\n"
                       "3,3,6,c;second\n")
        self.assertEqual(log.read(), ["new; with semicolon", "second"])
        self.assertEqual(log.read(), [])

    @unittest.skipUnless(os.geteuid() == 0 and os.path.exists("/dev/kmsg"),
                         "needs root and /dev/kmsg")
    def test_real_kmsg_starts_at_the_end(self):
        log = KernelLog()
        self.assertTrue(log.open())
        self.addCleanup(log.close)
        self.assertIsInstance(log.read(), list)


class RunBinaryTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)

    def script(self, body):
        path = os.path.join(self.tmp, "t")
        with open(path, "w") as handle:
            handle.write("#!/bin/sh\n" + body)
        os.chmod(path, 0o755)
        return path

    def test_output_lines_and_status(self):
        lines = []
        rc, elapsed, timed_out = run_binary(
            [self.script("echo one\nprintf 'two'\nexit 3\n")], self.tmp, 5,
            lambda text, now: lines.append(text))
        self.assertEqual((rc, timed_out, lines), (3, False, ["one", "two"]))
        self.assertLess(elapsed, 5)

    def test_term_ignored_then_kill(self):
        started = time.monotonic()
        rc, elapsed, timed_out = run_binary(
            [self.script("trap '' TERM\nwhile :; do sleep 0.1; done\n")],
            self.tmp, 0.5, lambda text, now: None, kill_grace=0.5)
        self.assertEqual((rc, timed_out), (137, True))
        self.assertLess(time.monotonic() - started, 10)

    def test_background_child_holding_the_output(self):
        started = time.monotonic()
        rc, _, timed_out = run_binary(
            [self.script("sleep 30 &\necho done\n")], self.tmp, 20,
            lambda text, now: None)
        self.assertEqual((rc, timed_out), (0, False))
        self.assertLess(time.monotonic() - started, 10)


class LocalCommandTest(LocalTestCase):
    def test_exit_status_and_files(self):
        self.script("pass_test", PASS_TEST)
        json_path = os.path.join(self.tmp, "r.json")
        junit = os.path.join(self.tmp, "r.xml")
        log = os.path.join(self.tmp, "r.log")
        counts = os.path.join(self.tmp, "r.counts")
        argv = ["local", "--tests", self.tests, "--kernel-name", "mine",
                "--kmsg", self.kmsg, "--json", json_path, "--junit", junit,
                "--log", log, "--counts", counts]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = cli.main(argv)
        self.assertEqual(status, 0, out.getvalue())
        with open(json_path) as handle:
            document = json.load(handle)
        self.assertEqual((document["kernel"], document["run"]["target"]),
                         ("mine", "local"))
        self.assertEqual(ET.parse(junit).getroot().find("testsuite")
                         .get("name"), "mine")
        with open(log) as handle:
            self.assertIn("ok 1 dev.one", handle.read())
        with open(counts) as handle:
            self.assertEqual(handle.read(), "1 0 1\n")

        self.script("fail_test", FAIL_TEST)
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertEqual(cli.main(argv), 1)

    def test_defaults(self):
        args = cli.build_parser().parse_args(["local", "--tests", "d"])
        self.assertEqual((args.kernel_name, args.kmsg, args.test_timeout,
                          args.modules), (os.uname().release, "/dev/kmsg",
                                          60, []))


if __name__ == "__main__":
    unittest.main()
