# SPDX-License-Identifier: GPL-2.0
"""The run command end to end, with a fake QEMU that replays a console.

The fake QEMU is a small script that ignores the real QEMU arguments
(saving them for inspection), writes a prepared console transcript in small
chunks and exits with a chosen status, or hangs.
"""

import contextlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time
import unittest
from unittest import mock

import xml.etree.ElementTree as ET
import zlib

from tests.support import fake_harness, lines_of

from ioasid_conform import cli, initramfs, qemu, runner

TRANSCRIPT = """
    [    0.000000] Linux version 6.1.0-56-amd64
    @@IOASID-BOOT kernel=6.1.0-56-amd64@@
    @@IOASID-TAINT-BOOT value=0@@
    @@IOASID-INSMOD-BEGIN ioasid@@
    @@IOASID-INSMOD-END ioasid rc=0@@
    @@IOASID-TEST-BEGIN api_test@@
    TAP version 13
    1..3
    #  RUN           ctx.open ...
    # REQ: REQ-OPEN-1
    ok 1 ctx.open
    #  RUN           ctx.pasid ...
    ok 2 ctx.pasid # SKIP no PASID
    #  RUN           ctx.xfail ...
    ok 3 ctx.xfail # XFAIL known
    @@IOASID-TEST-END api_test rc=0 elapsed=0.20@@
    @@IOASID-TEST-BEGIN plain_test@@
    @@IOASID-TEST-END plain_test rc=0 elapsed=0.01@@
    @@IOASID-RMMOD-BEGIN ioasid@@
    @@IOASID-RMMOD-END ioasid rc=0@@
    @@IOASID-TAINT value=12288@@
    @@IOASID-DONE verdict=0@@
"""

FAKE_QEMU = """#!{python}
import json, os, sys, time
with open({argv_file!r}, "w") as handle:
    json.dump(sys.argv, handle)
os.write(2, b"fake qemu on stderr\\n")
data = {data!r}
for offset in range(0, len(data), 7):
    os.write(1, data[offset:offset + 7])
    time.sleep(0.0005)
if {hang!r}:
    time.sleep(3600)
sys.exit({status!r})
"""


class FakeQemuCase(unittest.TestCase):
    """A tests directory, a kernel, a module and busybox (all dummies), and
    a fake QEMU."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.tests_dir = os.path.join(self.tmp, "tests")
        os.mkdir(self.tests_dir)
        for name in ("api_test", "plain_test"):
            self.touch(os.path.join(self.tests_dir, name), 0o755)
        self.touch(os.path.join(self.tests_dir, "README"), 0o644)  # not a test
        self.kernel = self.touch(os.path.join(self.tmp, "vmlinuz"))
        self.module = self.touch(os.path.join(self.tmp, "ioasid.ko"))
        self.busybox = self.touch(os.path.join(self.tmp, "busybox"), 0o755)
        self.argv_file = os.path.join(self.tmp, "qemu-argv.json")

    def touch(self, path, mode=0o644, data=b"x"):
        with open(path, "wb") as handle:
            handle.write(data)
        os.chmod(path, mode)
        return path

    def fake_qemu(self, transcript=TRANSCRIPT, status=1, hang=False):
        raw = ("\r\n".join(lines_of(transcript)) + "\r\n").encode()
        path = os.path.join(self.tmp, "fake-qemu")
        with open(path, "w") as handle:
            handle.write(FAKE_QEMU.format(python=sys.executable,
                                          argv_file=self.argv_file, data=raw,
                                          hang=hang, status=status))
        os.chmod(path, 0o755)
        return path

    def run_cli(self, *extra, qemu=None):
        argv = ["run", "--kernel", self.kernel, "--kernel-name", "6.1",
                "--module", self.module, "--tests", self.tests_dir,
                "--busybox", self.busybox, "--qemu", qemu or self.fake_qemu()]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = cli.main(argv + list(extra))
        return status, out.getvalue().splitlines()


class RunCommandTest(FakeQemuCase):
    def test_clean_run(self):
        json_path = os.path.join(self.tmp, "out.json")
        counts_path = os.path.join(self.tmp, "out.counts")
        log_path = os.path.join(self.tmp, "out.log")
        status, lines = self.run_cli("--json", json_path, "--counts",
                                     counts_path, "--log", log_path,
                                     "--qemu-arg", "-machine",
                                     "--qemu-arg", "q35",
                                     "--append", "ioasid.debug=1")
        self.assertEqual(status, 0, lines)
        self.assertEqual(lines[-1], "3 passed, 0 failed, 1 skipped")
        # the durations are measured, not controlled: compare without them
        timeless = [re.sub(r"\(\d+\.\d\ds\)", "(T)", line) for line in lines]
        self.assertIn("PASS  [6.1] api_test.ctx.open  (T)", timeless)
        self.assertIn("SKIP  [6.1] api_test.ctx.pasid  (T)  no PASID", timeless)
        self.assertIn("PASS  [6.1] api_test.ctx.xfail  (T)  # XFAIL known",
                      timeless)
        with open(counts_path) as handle:
            self.assertEqual(handle.read(), "3 0 1\n")
        with open(json_path) as handle:
            document = json.load(handle)
        self.assertEqual(document["summary"],
                         {"passed": 3, "failed": 0, "skipped": 1})
        first = document["tests"][0]
        self.assertEqual((first["name"], first["binary"], first["kernel"],
                          first["status"], first["requirements"]),
                         ("api_test.ctx.open", "api_test", "6.1", "PASS",
                          ["REQ-OPEN-1"]))
        self.assertEqual(document["run"]["guest_verdict"], 0)
        with open(log_path, "rb") as handle:
            self.assertIn(b"@@IOASID-DONE verdict=0@@\r\n", handle.read())

        with open(self.argv_file) as handle:
            qemu_argv = json.load(handle)
        self.assertEqual(qemu_argv[-2:], ["-machine", "q35"])
        append = qemu_argv[qemu_argv.index("-append") + 1]
        self.assertEqual(append, "console=ttyS0 panic=-1 loglevel=7 "
                                 "printk.time=1 ioasid.debug=1")
        self.assertIn("isa-debug-exit,iobase=0xf4,iosize=0x04", qemu_argv)
        self.assertEqual(qemu_argv[qemu_argv.index("-kernel") + 1], self.kernel)

    def test_initramfs_kept_in_workdir(self):
        workdir = os.path.join(self.tmp, "work")
        self.run_cli("--workdir", workdir)
        self.assertTrue(os.path.isfile(os.path.join(workdir,
                                                    "initramfs.cpio.gz")))

    def test_verbose_echoes_the_console(self):
        _, lines = self.run_cli("-v")
        self.assertIn("  | @@IOASID-BOOT kernel=6.1.0-56-amd64@@", lines)

    def test_exit_status_mismatch_fails(self):
        status, lines = self.run_cli(qemu=self.fake_qemu(status=0))
        self.assertEqual(status, 1)
        self.assertTrue(any(line.startswith("FAIL  [6.1] qemu.exit")
                            for line in lines), lines)
        self.assertEqual(lines[-1], "3 passed, 1 failed, 1 skipped")

    def test_hang_hits_the_run_timeout(self):
        transcript = TRANSCRIPT.split("    ok 3")[0]
        started = time.monotonic()
        status, lines = self.run_cli(
            "--run-timeout", "2", qemu=self.fake_qemu(transcript, hang=True))
        self.assertLess(time.monotonic() - started, 15)
        self.assertEqual(status, 1)
        timeout_line = lines.index(
            "FAIL  [6.1] qemu.timeout  (0.00s)  run timeout of 2s expired, "
            "QEMU killed; last 14 console lines follow")
        self.assertEqual(lines[timeout_line + 1].strip(),
                         "[    0.000000] Linux version 6.1.0-56-amd64")
        self.assertIn("      qemu: fake qemu on stderr", lines)
        self.assertIn("FAIL  [6.1] api_test.ctx.xfail  (0.00s)  no result line "
                      "(the test crashed, hung or was killed)", lines)
        self.assertEqual(lines[-1], "1 passed, 4 failed, 1 skipped")

    def test_qemu_that_does_not_exit_after_the_guest_finished(self):
        with mock.patch.object(runner, "EXIT_GRACE", 1.0):
            status, lines = self.run_cli(qemu=self.fake_qemu(hang=True))
        self.assertEqual(status, 1)
        self.assertTrue(any("QEMU did not exit after the guest finished" in line
                            for line in lines), lines)

    def test_setup_errors(self):
        os.remove(self.kernel)
        status, lines = self.run_cli()
        self.assertEqual(status, 1)
        self.assertEqual(lines, [
            f"FAIL  [6.1] driver.setup  (0.00s)  kernel image not found: "
            f"{self.kernel}", "Failed (1):", "  driver.setup",
            "0 passed, 1 failed, 0 skipped"])

    def test_no_test_binaries(self):
        for name in ("api_test", "plain_test"):
            os.chmod(os.path.join(self.tests_dir, name), 0o644)
        status, lines = self.run_cli()
        self.assertEqual(status, 1)
        self.assertIn("no executable test binaries", lines[0])

    def test_missing_qemu(self):
        status, lines = self.run_cli(qemu="/nonexistent/qemu")
        self.assertEqual(status, 1)
        self.assertIn("QEMU not found", lines[0])

    def test_driver_error_still_ends_with_the_summary(self):
        with mock.patch.object(cli, "run", side_effect=RuntimeError("bug")):
            status, lines = self.run_cli()
        self.assertEqual(status, 1)
        self.assertEqual(lines[0], "FAIL  [6.1] driver.error  (0.00s)  "
                                   "RuntimeError: bug")
        self.assertEqual(lines[-1], "0 passed, 1 failed, 0 skipped")

    def test_test_binaries_are_sorted_executables(self):
        self.assertEqual([os.path.basename(p) for p in
                          runner.find_test_binaries(self.tests_dir)],
                         ["api_test", "plain_test"])


class RunInputsTest(FakeQemuCase):
    """What the run command puts into the initramfs for the new options."""

    def workdir_run(self, *extra, tests_dir=None):
        workdir = os.path.join(self.tmp, "work")
        argv = ["run", "--kernel", self.kernel, "--kernel-name", "6.1",
                "--tests", tests_dir or self.tests_dir, "--busybox",
                self.busybox, "--qemu", self.fake_qemu(), "--workdir",
                workdir]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = cli.main(argv + list(extra))
        image = os.path.join(workdir, "initramfs.cpio.gz")
        data = b""
        if os.path.exists(image):
            with open(image, "rb") as handle:
                data = handle.read()
        return status, out.getvalue().splitlines(), data

    @staticmethod
    def init_of(image):
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        entries = initramfs.read_newc(inflater.decompress(image))
        return {e.name: e for e in entries}["init"].data.decode()

    def test_module_directory_with_load_order(self):
        mods = os.path.join(self.tmp, "mods")
        os.mkdir(mods)
        for name in ("b_core.ko", "a_user.ko"):
            self.touch(os.path.join(mods, name))
        with open(os.path.join(mods, "load-order"), "w") as handle:
            handle.write("b_core\na_user\n")
        status, lines, image = self.workdir_run("--modules", mods,
                                                "--module", self.module)
        self.assertEqual(status, 0, lines)
        loads = [line.split()[-2] for line in self.init_of(image).splitlines()
                 if "&& load_module" in line]
        self.assertEqual(loads, ["b_core", "a_user", "ioasid"])
        self.assertIn("3 module(s)", "\n".join(lines))

    def test_missing_module_directory(self):
        status, lines, _ = self.workdir_run("--modules", "/nonexistent/dir")
        self.assertEqual(status, 1)
        self.assertEqual(lines[0], "FAIL  [6.1] driver.setup  (0.00s)  "
                                   "module directory not found: "
                                   "/nonexistent/dir")

    def test_extra_initrd_is_appended(self):
        writer = initramfs.NewcWriter()
        writer.add_file("lib/firmware/fw.bin", b"FW")
        extra = os.path.join(self.tmp, "fw.cpio")
        with open(extra, "wb") as handle:
            handle.write(writer.getvalue())
        status, lines, image = self.workdir_run("--extra-initrd", extra)
        self.assertEqual(status, 0, lines)
        paths = initramfs.archive_paths(image)
        self.assertIn("init", paths)
        self.assertEqual(paths[-1], "lib/firmware/fw.bin")
        self.assertTrue(image.endswith(writer.getvalue()))
        self.assertEqual((len(image) - len(writer.getvalue())) % 4, 0)
        self.assertIn(f"+ {extra}:", "\n".join(lines))

    def test_extra_initrd_errors(self):
        status, lines, _ = self.workdir_run("--extra-initrd", "/no/such.cpio")
        self.assertEqual(lines[0], "FAIL  [6.1] driver.setup  (0.00s)  extra "
                                   "initrd not found: /no/such.cpio")
        writer = initramfs.NewcWriter()
        writer.add_file("init", b"#!/bin/sh\n")
        bad = os.path.join(self.tmp, "bad.cpio")
        with open(bad, "wb") as handle:
            handle.write(writer.getvalue())
        status, lines, _ = self.workdir_run("--extra-initrd", bad)
        self.assertEqual(status, 1)
        self.assertIn("contains /init", lines[0])

    def test_selection_passes_harness_options(self):
        harness = os.path.join(self.tmp, "harness")
        os.mkdir(harness)
        fake_harness(os.path.join(harness, "api_test"),
                     [("ctx.open", "pass", []), ("ctx.pasid", "pass", []),
                      ("ctx.xfail", "pass", [])])
        json_path = os.path.join(self.tmp, "sel.json")
        status, lines, image = self.workdir_run(
            "--test", "api_test.ctx.open", "--test", "*.xfail",
            "--json", json_path, tests_dir=harness)
        init = self.init_of(image)
        self.assertIn("\trun_test api_test -r ctx.open -r ctx.xfail\n", init)
        with open(json_path) as handle:
            selection = json.load(handle)["run"]["selection"]
        self.assertEqual(selection["patterns"], ["api_test.ctx.open",
                                                 "*.xfail"])

    def test_junit_and_progress(self):
        junit = os.path.join(self.tmp, "r.xml")
        status, lines = self.run_cli("--junit", junit)
        self.assertEqual(status, 0)
        suite = ET.parse(junit).getroot().find("testsuite")
        self.assertEqual((suite.get("name"), suite.get("tests")), ("6.1", "4"))
        self.assertIn("Guest booted (6.1.0-56-amd64) in ", "\n".join(lines))
        done = [line for line in lines if line.startswith("      api_test: ")]
        self.assertEqual(len(done), 1, lines)
        self.assertTrue(done[0].startswith(
            "      api_test: 2 passed, 0 failed, 1 skipped in 0.20s  [at "))


class ArgumentTest(unittest.TestCase):
    def test_dash_values(self):
        self.assertEqual(cli.join_dash_values(
            ["--qemu-arg", "-device", "--qemu-arg", "intel-iommu",
             "--append", "-x", "--qemu-arg"]),
            ["--qemu-arg=-device", "--qemu-arg=intel-iommu", "--append=-x",
             "--qemu-arg"])

    def test_defaults(self):
        args = cli.build_parser().parse_args(
            ["run", "--kernel", "k", "--kernel-name", "n", "--tests", "d"])
        self.assertEqual((args.busybox, args.qemu, args.memory, args.smp,
                          args.test_timeout, args.run_timeout, args.modules,
                          args.accel),
                         ("/bin/busybox", "qemu-system-x86_64", 512, 2, 60, 600,
                          [], "tcg"))

    def test_modules_in_order(self):
        args = cli.build_parser().parse_args(
            ["run", "--kernel", "k", "--kernel-name", "n", "--module", "a.ko",
             "b.ko", "--tests", "d", "--module", "c.ko"])
        self.assertEqual(args.modules, ["a.ko", "b.ko", "c.ko"])

    def test_accelerator(self):
        config = qemu.QemuConfig(qemu="q", kernel="k", initrd="i")
        self.assertEqual(qemu.command_line(config)[-2:],
                         ["-accel", "tcg,thread=single"])
        config.accel = "kvm"
        self.assertEqual(qemu.command_line(config)[-4:],
                         ["-accel", "kvm", "-cpu", "host"])

    def test_bad_values_are_usage_errors(self):
        with contextlib.redirect_stderr(io.StringIO()):
            for bad in (["--memory", "0"], ["--test-timeout", "-1"]):
                with self.assertRaises(SystemExit) as caught:
                    cli.main(["run", "--kernel", "k", "--kernel-name", "n",
                              "--tests", "d"] + bad)
                self.assertEqual(caught.exception.code, 2)


if __name__ == "__main__":
    unittest.main()
