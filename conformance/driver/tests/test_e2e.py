# SPDX-License-Identifier: GPL-2.0
"""End-to-end runs that boot a real kernel in QEMU.

Skipped unless IOASID_TEST_KERNEL names a kernel image (vmlinuz).  Tiny
static C test binaries are compiled on the fly with gcc -static.  If the
kernel comes from an unpacked Debian package (boot/vmlinuz-VERSION next to
lib/modules/VERSION), its dummy.ko serves as a real module to insmod and
rmmod.  Each test is one boot, about 6 s under TCG.
"""

import contextlib
import glob
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from tests.support import by_name

from ioasid_conform import cli, initramfs, qemu

KERNEL = os.environ.get("IOASID_TEST_KERNEL", "")
# The kselftest harness headers (make extracts them into build/ksrc).
KSFT_INC = os.environ.get("IOASID_KSFT_INC", os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))),
    "build", "ksrc", "tools", "testing", "selftests"))
QEMU = shutil.which("qemu-system-x86_64")
BUSYBOX = "/bin/busybox"

SOURCES = {
    "pass_test": r"""
#include <stdio.h>
int main(void)
{
	printf("TAP version 13\n1..3\n# Starting 3 tests from 1 test cases.\n");
	printf("#  RUN           basic.one ...\n# REQ: REQ-E2E-1 REQ-E2E-2\n");
	printf("#            OK  basic.one\nok 1 basic.one\n");
	printf("#  RUN           basic.two ...\nok 2 basic.two # SKIP no hardware\n");
	printf("#  RUN           basic.three ...\nok 3 basic.three # XFAIL known\n");
	printf("# PASSED: 3 / 3 tests passed.\n");
	return 0;
}
""",
    "fail_test": r"""
#include <stdio.h>
int main(void)
{
	printf("TAP version 13\n1..2\n");
	printf("#  RUN           f.a ...\nok 1 f.a\n");
	printf("#  RUN           f.b ...\n# f.c:10:b:Expected 1 (1) == 2 (2)\n");
	printf("not ok 2 f.b\n");
	return 1;
}
""",
    "hang_test": r"""
#include <stdio.h>
#include <unistd.h>
int main(void)
{
	printf("TAP version 13\n1..1\n#  RUN           h.sleep ...\n");
	fflush(stdout);
	for (;;)
		pause();
}
""",
    "crash_test": r"""
#include <signal.h>
#include <stdio.h>
int main(void)
{
	printf("TAP version 13\n1..1\n#  RUN           c.segv ...\n");
	fflush(stdout);
	raise(SIGSEGV);
	return 0;
}
""",
    "panic_test": r"""
#include <stdio.h>
#include <termios.h>
int main(void)
{
	FILE *trigger = fopen("/proc/sysrq-trigger", "w");

	printf("TAP version 13\n1..1\n#  RUN           p.crash ...\n");
	fflush(stdout);
	/* the console must have sent the line before the kernel dies */
	tcdrain(fileno(stdout));
	if (trigger) {
		fputc('c', trigger);
		fclose(trigger);
	}
	return 1;
}
""",
}

# Built against the real kselftest harness when its headers are there.
HARNESS_SOURCE = r"""
#include "kselftest_harness.h"
TEST(a) { ASSERT_EQ(1, 1); }
TEST(b) { ASSERT_EQ(2, 2); }
TEST(c) { ASSERT_EQ(0, 1) TH_LOG("must not run: not selected"); }
TEST_HARNESS_MAIN
"""

EXTRA_SOURCE = r"""
#include <stdio.h>
#include <string.h>
static int has(const char *path, const char *want)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	fgets(buf, sizeof(buf), f);
	fclose(f);
	return strcmp(buf, want) == 0;
}
int main(void)
{
	printf("TAP version 13\n1..2\n");
	printf("%s 1 extra.plain\n", has("/extra/plain.txt", "plain") ? "ok" : "not ok");
	printf("%s 2 extra.gzip\n", has("/extra/gz.txt", "gzip") ? "ok" : "not ok");
	return 0;
}
"""

# Drops the isa-debug-exit device, so /init has to fall back to poweroff.
NO_DEBUG_EXIT_QEMU = """#!{python}
import os, sys
args = sys.argv[1:]
device = args.index("{device}")
del args[device - 1:device + 1]
os.execv("{qemu}", ["{qemu}"] + args)
"""


def kernel_module(name):
    """A module of the kernel's own package, if it is an unpacked .deb."""
    version = os.path.basename(KERNEL).replace("vmlinuz-", "", 1)
    root = os.path.dirname(os.path.dirname(os.path.abspath(KERNEL)))
    found = glob.glob(os.path.join(root, "lib", "modules", version, "kernel",
                                   "**", f"{name}.ko"), recursive=True)
    return found[0] if found else None


@unittest.skipUnless(os.path.isfile(KERNEL),
                     "set IOASID_TEST_KERNEL to a vmlinuz to boot a kernel")
class RealKernelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool, what in ((QEMU, "qemu-system-x86_64"),
                           (shutil.which("gcc"), "gcc")):
            if tool is None:
                raise unittest.SkipTest(f"{what} not installed")
        if not os.path.isfile(BUSYBOX):
            raise unittest.SkipTest("busybox-static not installed")
        cls.tmp = tempfile.mkdtemp(prefix="ioasid-e2e-")
        cls.binaries = {}
        for name, source in SOURCES.items():
            src = os.path.join(cls.tmp, f"{name}.c")
            with open(src, "w") as handle:
                handle.write(source)
            out = os.path.join(cls.tmp, "bin", name)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            compiled = subprocess.run(["gcc", "-static", "-O1", "-o", out, src],
                                      capture_output=True, text=True)
            if compiled.returncode != 0:
                raise unittest.SkipTest(f"gcc -static failed: {compiled.stderr}")
            cls.binaries[name] = out

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_driver(self, label, tests, modules=(), extra=()):
        tests_dir = os.path.join(self.tmp, label)
        os.makedirs(tests_dir)
        for name in tests:
            shutil.copy(self.binaries[name], tests_dir)
        json_path = os.path.join(self.tmp, f"{label}.json")
        counts_path = os.path.join(self.tmp, f"{label}.counts")
        argv = ["run", "--kernel", KERNEL, "--kernel-name", "e2e",
                "--tests", tests_dir, "--test-timeout", "3",
                "--run-timeout", "180", "--json", json_path,
                "--counts", counts_path,
                "--log", os.path.join(self.tmp, f"{label}.log")]
        for module in modules:
            argv += ["--module", module]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = cli.main(argv + list(extra))
        lines = out.getvalue().splitlines()
        with open(json_path) as handle:
            document = json.load(handle)
        with open(counts_path) as handle:
            counts = handle.read().split()
        return status, lines, document, counts

    def test_pass_fail_timeout_and_crash(self):
        dummy = kernel_module("dummy")
        status, lines, document, counts = self.run_driver(
            "mixed", ["pass_test", "fail_test", "hang_test", "crash_test"],
            modules=[dummy] if dummy else [])
        results = by_name([_Result(t) for t in document["tests"]])
        expected = {
            "pass_test.basic.one": "PASS", "pass_test.basic.two": "SKIP",
            "pass_test.basic.three": "PASS", "fail_test.f.a": "PASS",
            "fail_test.f.b": "FAIL", "hang_test.h.sleep": "FAIL",
            "hang_test": "FAIL", "crash_test.c.segv": "FAIL",
            "crash_test": "FAIL",
        }
        self.assertEqual({name: r.status for name, r in results.items()},
                         expected, "\n".join(lines))
        self.assertEqual(status, 1)
        self.assertEqual(counts, ["3", "5", "1"])
        self.assertEqual(lines[-1], "3 passed, 5 failed, 1 skipped")
        self.assertEqual(results["pass_test.basic.one"].requirements,
                         ["REQ-E2E-1", "REQ-E2E-2"])
        # the time the guest measured: at least the 3 s limit, and a
        # loaded host may add a little
        reason = results["hang_test"].reason
        self.assertRegex(reason, r"^timed out after \d+\.\ds$")
        self.assertGreaterEqual(float(reason.split()[-1][:-1]), 3.0)
        self.assertLess(float(reason.split()[-1][:-1]), 10.0)
        self.assertEqual(results["crash_test"].reason,
                         "killed by signal SIGSEGV")
        self.assertEqual(results["fail_test.f.b"].reason,
                         "f.c:10:b:Expected 1 (1) == 2 (2)")
        run = document["run"]
        self.assertEqual((run["guest_verdict"], run["qemu_exit_status"],
                          run["exit_method"], run["taint"]),
                         (1, 3, "isa-debug-exit", 0))
        if dummy:
            self.assertEqual(run["modules"], [
                {"name": "dummy", "action": "load", "rc": 0},
                {"name": "dummy", "action": "unload", "rc": 0}])
        self.assertTrue(any(line.startswith("PASS  [e2e] pass_test.basic.one  (")
                            for line in lines))

    def test_all_pass_with_poweroff_fallback(self):
        wrapper = os.path.join(self.tmp, "qemu-without-debug-exit")
        with open(wrapper, "w") as handle:
            handle.write(NO_DEBUG_EXIT_QEMU.format(
                python=sys.executable, qemu=QEMU,
                device=qemu.DEBUG_EXIT_DEVICE))
        os.chmod(wrapper, 0o755)
        status, lines, document, counts = self.run_driver(
            "poweroff", ["pass_test"], extra=["--qemu", wrapper])
        self.assertEqual(status, 0, "\n".join(lines))
        self.assertEqual(lines[-1], "2 passed, 0 failed, 1 skipped")
        self.assertEqual(counts, ["2", "0", "1"])
        self.assertEqual((document["run"]["exit_method"],
                          document["run"]["qemu_exit_status"]),
                         ("poweroff", 0))

    def test_module_that_fails_to_load(self):
        bogus = os.path.join(self.tmp, "bogus.ko")
        with open(bogus, "wb") as handle:
            handle.write(b"this is not an ELF module")
        status, lines, document, _ = self.run_driver(
            "bogus", ["pass_test"], modules=[bogus])
        results = by_name([_Result(t) for t in document["tests"]])
        self.assertEqual(status, 1)
        self.assertEqual(results["module.load.bogus"].status, "FAIL")
        self.assertEqual(results["pass_test"].reason,
                         "did not run: module bogus failed to load")
        self.assertNotIn("qemu.exit", results, "\n".join(lines))
        self.assertNotIn("guest.finish", results)

    def test_selection_extra_initrd_and_module_directory(self):
        """One boot: -r selection with the real harness, two appended
        initramfs images (plain and gzip), --modules with load-order."""
        if not os.path.isfile(os.path.join(KSFT_INC, "kselftest_harness.h")):
            self.skipTest(f"kselftest_harness.h not found in {KSFT_INC}")
        for name, source, flags in (("sel_test", HARNESS_SOURCE,
                                     ["-I", KSFT_INC, "-pthread"]),
                                    ("extra_test", EXTRA_SOURCE, [])):
            src = os.path.join(self.tmp, f"{name}.c")
            with open(src, "w") as handle:
                handle.write(source)
            out = os.path.join(self.tmp, "bin", name)
            compiled = subprocess.run(["gcc", "-static", "-O1"] + flags
                                      + ["-o", out, src],
                                      capture_output=True, text=True)
            self.assertEqual(compiled.returncode, 0, compiled.stderr)
            self.binaries[name] = out
        images = []
        for name, path, text, pack in (
                ("plain.cpio", "extra/plain.txt", b"plain", bytes),
                ("gz.cpio.gz", "extra/gz.txt", b"gzip", initramfs.compress)):
            writer = initramfs.NewcWriter()
            writer.add_file(path, text)
            images += ["--extra-initrd", os.path.join(self.tmp, name)]
            with open(images[-1], "wb") as handle:
                handle.write(pack(writer.getvalue()))
        extra = images + ["--test", "sel_test.global.[ab]",
                          "--test", "extra_test"]
        dummy = kernel_module("dummy")
        if dummy:
            mods = os.path.join(self.tmp, "mods")
            os.makedirs(mods)
            shutil.copy(dummy, mods)
            with open(os.path.join(mods, "load-order"), "w") as handle:
                handle.write("dummy.ko\n")
            extra += ["--modules", mods]
        status, lines, document, _ = self.run_driver(
            "select", ["sel_test", "extra_test", "pass_test"], extra=extra)
        results = {t["name"]: t["status"] for t in document["tests"]}
        self.assertEqual(results, {
            "sel_test.global.a": "PASS", "sel_test.global.b": "PASS",
            "extra_test.extra.plain": "PASS",
            "extra_test.extra.gzip": "PASS"}, "\n".join(lines))
        self.assertEqual(status, 0)
        self.assertEqual(document["run"]["selection"]["arguments"],
                         {"sel_test": ["-r", "global.a", "-r", "global.b"]})
        if dummy:
            self.assertEqual(document["run"]["modules"][0],
                             {"name": "dummy", "action": "load", "rc": 0})

    def test_kernel_crash_during_a_test(self):
        status, lines, document, _ = self.run_driver("panic", ["panic_test"])
        results = by_name([_Result(t) for t in document["tests"]])
        self.assertEqual(status, 1)
        self.assertEqual(results["panic_test.p.crash"].status, "FAIL")
        self.assertIn("the guest stopped while it ran",
                      results["panic_test"].reason)
        self.assertIn("guest.finish", results)
        self.assertIn("(during panic_test)", results["kernel.log"].reason,
                      "\n".join(lines))


class _Result:
    """A JSON test record with attribute access, for by_name()."""

    def __init__(self, record):
        self.__dict__.update(record)


if __name__ == "__main__":
    unittest.main()
