# SPDX-License-Identifier: GPL-2.0
"""Judging the run: exit status, guest verdict, taint, modules."""

import unittest

import tests.support  # noqa: F401

from ioasid_conform.kernel_log import KernelReport
from ioasid_conform.qemu import debug_exit_status
from ioasid_conform.verdict import GuestState, ModuleStep, QemuOutcome, judge


def finished(verdict=0, taint=12288, poweroff=False, steps=()):
    return GuestState(booted=True, release="6.1", boot_taint=0, taint=taint,
                      verdict=verdict, poweroff=poweroff,
                      module_steps=list(steps))


def names(failures):
    return [failure.name for failure in failures]


class ExitStatusTest(unittest.TestCase):
    def test_debug_exit_status(self):
        self.assertEqual(debug_exit_status(0), 1)
        self.assertEqual(debug_exit_status(1), 3)

    def test_clean_pass(self):
        self.assertEqual(judge(finished(0), QemuOutcome(returncode=1), [],
                               False, []), [])

    def test_clean_fail_matches(self):
        self.assertEqual(judge(finished(1), QemuOutcome(returncode=3), [],
                               True, []), [])

    def test_mismatch(self):
        [failure] = judge(finished(0), QemuOutcome(returncode=3), [], False, [])
        self.assertEqual(failure.name, "qemu.exit")
        self.assertEqual(failure.reason, "QEMU exited with status 3, expected 1 "
                                         "(isa-debug-exit with guest verdict 0)")

    def test_poweroff_fallback_expects_zero(self):
        state = finished(0, poweroff=True)
        self.assertEqual(judge(state, QemuOutcome(returncode=0), [], False, []),
                         [])
        self.assertEqual(names(judge(state, QemuOutcome(returncode=1), [],
                                     False, [])), ["qemu.exit"])

    def test_qemu_lingering_after_the_guest_finished(self):
        failures = judge(finished(0), QemuOutcome(returncode=-15, lingered=True),
                         [], False, [])
        self.assertEqual(names(failures), ["qemu.exit"])


class GuestProgressTest(unittest.TestCase):
    def test_start_error_is_the_only_failure(self):
        failures = judge(GuestState(), QemuOutcome(start_error="no qemu"), [],
                         False, [])
        self.assertEqual([(f.name, f.reason) for f in failures],
                         [("qemu.start", "no qemu")])

    def test_never_booted(self):
        failures = judge(GuestState(), QemuOutcome(returncode=1,
                                                   stderr="bad -kernel\n"),
                         [], False, ["last line"])
        self.assertEqual(names(failures), ["guest.boot"])
        self.assertEqual(failures[0].diagnostics,
                         ["last line", "qemu: bad -kernel"])

    def test_no_final_marker(self):
        state = GuestState(booted=True)
        failures = judge(state, QemuOutcome(returncode=0), [], False, ["x"])
        self.assertEqual(names(failures), ["guest.finish"])

    def test_run_timeout_replaces_guest_finish(self):
        state = GuestState(booted=True)
        failures = judge(state, QemuOutcome(returncode=-15, timed_out=True,
                                            run_timeout=600), [], False,
                         ["l"] * 30)
        self.assertEqual(names(failures), ["qemu.timeout"])
        self.assertIn("run timeout of 600s expired", failures[0].reason)
        self.assertEqual(len(failures[0].diagnostics), 30)

    def test_guest_verdict_without_host_failure(self):
        failures = judge(finished(1), QemuOutcome(returncode=3), [], False, [])
        self.assertEqual(names(failures), ["guest.verdict"])

    def test_guest_verdict_explained_by_a_host_failure(self):
        self.assertEqual(judge(finished(1), QemuOutcome(returncode=3), [], True,
                               []), [])


class ModuleTaintLogTest(unittest.TestCase):
    def test_module_steps(self):
        steps = [ModuleStep("a", "load", 0), ModuleStep("b", "load", 1, ["err"]),
                 ModuleStep("a", "unload", 0), ModuleStep("c", "unload", None)]
        failures = judge(finished(1, steps=steps), QemuOutcome(returncode=3),
                         [], False, [])
        self.assertEqual([(f.name, f.reason, f.diagnostics) for f in failures], [
            ("module.load.b", "insmod b failed with status 1", ["err"]),
            ("module.unload.c", "rmmod c did not complete", [])])

    def test_taint(self):
        for taint, expected in ((0, []), (4096, []), (12288, []),
                                (512 | 4096, ["kernel.taint"]),
                                (1, ["kernel.taint"])):
            failures = judge(finished(0, taint=taint), QemuOutcome(returncode=1),
                             [], False, [])
            self.assertEqual(names(failures), expected, taint)

    def test_taint_reason(self):
        [failure] = judge(finished(0, taint=512 | 4096 | 8192),
                          QemuOutcome(returncode=1), [], False, [])
        self.assertEqual(failure.reason, "kernel tainted 12800 (WOE); only O "
                                         "and E are allowed")

    def test_kernel_reports(self):
        reports = [KernelReport("WARNING", "api_test", ["WARNING: at x", "trace"]),
                   KernelReport("BUG", "rmmod ioasid", ["BUG: y"])]
        [failure] = judge(finished(0), QemuOutcome(returncode=1), reports,
                          False, [])
        self.assertEqual(failure.name, "kernel.log")
        self.assertEqual(failure.reason, "2 kernel reports; first: WARNING: at x "
                                         "(during api_test)")
        self.assertEqual(failure.diagnostics, [
            "--- WARNING during api_test:", "WARNING: at x", "trace",
            "--- BUG during rmmod ioasid:", "BUG: y"])


if __name__ == "__main__":
    unittest.main()
