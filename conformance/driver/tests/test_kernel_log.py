# SPDX-License-Identifier: GPL-2.0
"""Kernel report detection and taint decoding."""

import unittest

import tests.support  # noqa: F401

from ioasid_conform.kernel_log import (ALLOWED_TAINT, KernelLogScanner,
                                       classify, describe_taint,
                                       disallowed_taint, taint_letters)

# Lines a healthy boot and module load print; none is a report.
HEALTHY = """\
Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org)
Command line: console=ttyS0 panic=-1 loglevel=7 printk.time=1
x86/PAT: Configuration [0-7]: WB  WC  UC- UC  WB  WP  UC- WT
rcu: Hierarchical RCU implementation.
rcu: \tRCU restricting CPUs from NR_CPUS=8192 to nr_cpu_ids=2.
rcu: RCU calculated value of scheduler-enlistment delay is 25 jiffies.
Spectre V2 : Mitigation: Retpolines
workingset: timestamp_bits=36 max_order=17 bucket_order=0
Freeing unused kernel image (initmem) memory: 2904K
Run /init as init process
ioasid: loading out-of-tree module taints kernel.
ioasid: module verification failed: signature and/or required key missing\
 - tainting kernel
reboot: Power down
"""


class ClassifyTest(unittest.TestCase):
    def test_report_headers(self):
        cases = [
            ("WARNING", "WARNING: CPU: 1 PID: 77 at drivers/iommu/ioasid.c:120 "
                        "ioasid_put+0x4/0x8 [ioasid]"),
            ("BUG", "BUG: kernel NULL pointer dereference, address: 8"),
            ("Oops", "Oops: 0002 [#1] PREEMPT SMP NOPTI"),
            ("general protection fault",
             "general protection fault, probably for non-canonical address"),
            ("KASAN", "BUG: KASAN: slab-use-after-free in ioasid_free+0x1c"),
            ("UBSAN", "UBSAN: array-index-out-of-bounds in drivers/ioasid.c"),
            ("kernel BUG", "kernel BUG at mm/slub.c:379!"),
            ("lockdep", "WARNING: possible circular locking dependency "
                        "detected"),
            ("lockdep", "WARNING: possible recursive locking detected"),
            ("lockdep", "WARNING: inconsistent lock state"),
            ("sleeping in atomic context", "BUG: sleeping function called "
                                           "from invalid context at x.c:7"),
            ("kmemleak", "unreferenced object 0xffff888003a5c000 (size 64):"),
            ("kmemleak", "kmemleak: 2 new suspected memory leaks"),
            ("RCU stall", "rcu: INFO: rcu_preempt self-detected stall on CPU"),
            ("RCU stall", "rcu: INFO: rcu_sched detected stalls on CPUs/tasks:"),
            ("hung task", "INFO: task api_test:81 blocked for more than 120 "
                          "seconds."),
            ("kernel panic", "Kernel panic - not syncing: Fatal exception"),
            ("Call Trace", "Call Trace:"),
            ("Call Trace", " Call Trace:"),
        ]
        for kind, line in cases:
            self.assertEqual(classify(line), kind, line)

    def test_healthy_boot_has_no_reports(self):
        for line in HEALTHY.splitlines():
            self.assertIsNone(classify(line), line)


class ScannerTest(unittest.TestCase):
    def scan(self, text, context="api_test"):
        scanner = KernelLogScanner()
        for line in text.splitlines():
            scanner.feed(line, context)
        return scanner.reports

    def test_warning_with_its_stack_trace_is_one_report(self):
        reports = self.scan("""\
WARNING: CPU: 0 PID: 80 at drivers/ioasid.c:12 ioasid_put+0x10/0x20 [ioasid]
Modules linked in: ioasid(OE)
CPU: 0 PID: 80 Comm: api_test Tainted: G           OE      6.1.0 #1
RIP: 0010:ioasid_put+0x10/0x20 [ioasid]
Call Trace:
 <TASK>
 ioasid_fops_release+0x22/0x40 [ioasid]
 </TASK>
---[ end trace 0000000000000000 ]---
ioasid: unrelated message afterwards""")
        [report] = reports
        self.assertEqual((report.kind, report.context), ("WARNING", "api_test"))
        self.assertEqual(report.lines[-1], "---[ end trace 0000000000000000 ]---")
        self.assertIn(" ioasid_fops_release+0x22/0x40 [ioasid]", report.lines)

    def test_oops_after_bug_is_the_same_report(self):
        reports = self.scan("""\
BUG: kernel NULL pointer dereference, address: 0000000000000008
#PF: supervisor write access in kernel mode
Oops: 0002 [#1] PREEMPT SMP NOPTI
Call Trace:
 <TASK>""")
        self.assertEqual([r.kind for r in reports], ["BUG"])

    def test_two_separate_reports(self):
        reports = self.scan("WARNING: CPU: 0 PID: 1 at a.c:1 f\n"
                            "---[ end trace 0000000000000000 ]---\n"
                            "BUG: sleeping function called from invalid context at x")
        self.assertEqual([r.kind for r in reports],
                         ["WARNING", "sleeping in atomic context"])

    def test_bare_stack_trace_is_a_report(self):
        reports = self.scan("CPU: 1 PID: 3 Comm: kworker\nCall Trace:\n <TASK>")
        self.assertEqual([r.kind for r in reports], ["Call Trace"])

    def test_fault_injection_stack_trace_is_benign(self):
        self.assertEqual(self.scan("""\
FAULT_INJECTION: forcing a failure.
name failslab, interval 1, probability 0, space 0, times 1
CPU: 0 PID: 90 Comm: api_test Tainted: G           OE      6.1.0 #1
Call Trace:
 <TASK>
 dump_stack_lvl+0x44/0x5c
 should_fail_ex+0x1a0/0x1d0
 </TASK>"""), [])

    def test_injected_page_allocation_failure_is_benign(self):
        self.assertEqual(self.scan("""\
FAULT_INJECTION: forcing a failure.
name fail_page_alloc, interval 1, probability 0, space 0, times 1
Call Trace:
 should_fail_alloc_page+0x4d/0x60
api_test: page allocation failure: order:0, mode:0xcc0(GFP_KERNEL), nodemask=(null)
CPU: 0 PID: 90 Comm: api_test Tainted: G           OE      6.1.0 #1
Call Trace:
 warn_alloc+0x138/0x160"""), [])

    def test_warning_after_benign_header_still_counts(self):
        reports = self.scan("FAULT_INJECTION: forcing a failure.\n"
                            "WARNING: CPU: 0 PID: 1 at ioasid.c:99 f")
        self.assertEqual([r.kind for r in reports], ["WARNING"])

    def test_stack_trace_long_after_a_report_counts_again(self):
        text = "WARNING: x\n" + "filler\n" * 100 + "Call Trace:"
        self.assertEqual([r.kind for r in self.scan(text)],
                         ["WARNING", "Call Trace"])

    def test_report_context_is_bounded(self):
        reports = self.scan("WARNING: x\n" + "more\n" * 500)
        self.assertLessEqual(len(reports[0].lines), 40)

    def test_healthy_log(self):
        self.assertEqual(self.scan(HEALTHY), [])


class TaintTest(unittest.TestCase):
    def test_letters(self):
        self.assertEqual(taint_letters(0), "")
        self.assertEqual(taint_letters(4096 | 8192), "OE")
        self.assertEqual(taint_letters(512 | 4096), "WO")
        self.assertEqual(taint_letters(1 << 30), "+0x40000000")

    def test_out_of_tree_and_unsigned_are_allowed(self):
        self.assertEqual(ALLOWED_TAINT, 4096 | 8192)
        self.assertEqual(disallowed_taint(4096 | 8192), 0)

    def test_warning_taint_fails(self):
        self.assertEqual(disallowed_taint(512 | 4096 | 8192), 512)

    def test_died_and_lockup(self):
        self.assertEqual(disallowed_taint(128 | 16384 | 4096), 128 | 16384)

    def test_describe(self):
        self.assertEqual(describe_taint(512),
                         ["W (bit 9, 512): kernel issued warning"])


if __name__ == "__main__":
    unittest.main()
