# SPDX-License-Identifier: GPL-2.0
"""Splitting the console by markers and following a whole guest run."""

import random
import unittest

from tests.support import by_name, lines_of

from ioasid_conform.console import ConsoleLine, LineAssembler
from ioasid_conform.session import ConsoleSession, is_timeout
from ioasid_conform.verdict import QemuOutcome

# A complete, healthy run as the host sees it (after CR stripping).
CLEAN_RUN = """
    SeaBIOS (version 1.16.2-debian-1.16.2-1)
    [    0.000000] Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org)
    [    4.900000] Run /init as init process
    @@IOASID-BOOT kernel=6.1.0-56-amd64@@
    @@IOASID-TAINT-BOOT value=0@@
    @@IOASID-INSMOD-BEGIN ioasid@@
    [    5.000000] ioasid: loading out-of-tree module taints kernel.
    @@IOASID-INSMOD-END ioasid rc=0@@
    @@IOASID-TEST-BEGIN api_test@@
    TAP version 13
    1..2
    # Starting 2 tests from 1 test cases.
    #  RUN           global.open ...
    [    5.100000] ioasid: /dev/ioasid opened by pid 80
    # REQ: REQ-OPEN-1
    #            OK  global.open
    ok 1 global.open
    #  RUN           global.pasid ...
    ok 2 global.pasid # SKIP no PASID
    # PASSED: 2 / 2 tests passed.
    @@IOASID-TEST-END api_test rc=0 elapsed=0.31@@
    @@IOASID-TEST-BEGIN plain_test@@
    plain output, no TAP
    @@IOASID-TEST-END plain_test rc=0 elapsed=0.01@@
    @@IOASID-RMMOD-BEGIN ioasid@@
    @@IOASID-RMMOD-END ioasid rc=0@@
    @@IOASID-TAINT value=12288@@
    @@IOASID-DONE verdict=0@@
    [    5.900000] reboot: Power down
"""

CLEAN_EXIT = QemuOutcome(returncode=1)


def run_session(text, outcome=CLEAN_EXIT, binaries=("api_test", "plain_test"),
                test_timeout=60):
    session = ConsoleSession(list(binaries), test_timeout)
    for number, line in enumerate(lines_of(text)):
        session.feed(ConsoleLine(line, float(number), line))
    return session, session.finish(outcome, 1000.0)


class CleanRunTest(unittest.TestCase):
    def test_results(self):
        _, result = run_session(CLEAN_RUN)
        self.assertEqual([(r.name, r.status) for r in result.results],
                         [("api_test.global.open", "PASS"),
                          ("api_test.global.pasid", "SKIP"),
                          ("plain_test", "PASS")])
        self.assertEqual(by_name(result.results)["api_test.global.open"]
                         .requirements, ["REQ-OPEN-1"])

    def test_guest_state(self):
        session, result = run_session(CLEAN_RUN)
        state = result.state
        self.assertTrue(session.done)
        self.assertEqual((state.booted, state.release, state.boot_taint,
                          state.taint, state.verdict, state.poweroff),
                         (True, "6.1.0-56-amd64", 0, 12288, 0, False))
        self.assertEqual([(s.name, s.action, s.rc) for s in state.module_steps],
                         [("ioasid", "load", 0), ("ioasid", "unload", 0)])

    def test_kernel_lines_do_not_reach_the_parser(self):
        _, result = run_session(CLEAN_RUN)
        opened = by_name(result.results)["api_test.global.open"]
        self.assertNotIn("ioasid: /dev/ioasid opened by pid 80",
                         " ".join(opened.diagnostics))

    def test_results_are_reported_live(self):
        seen = []
        session = ConsoleSession(["api_test", "plain_test"], 60,
                                 on_result=seen.append)
        for line in lines_of(CLEAN_RUN):
            session.feed(ConsoleLine(line, 0.0, line))
            if line.startswith("ok 1 global.open"):
                self.assertEqual([r.name for r in seen],
                                 ["api_test.global.open"])
        session.finish(CLEAN_EXIT, 0.0)
        self.assertEqual(len(seen), 3)

    def test_same_result_for_any_chunking(self):
        raw = "\r\n".join(lines_of(CLEAN_RUN)).encode() + b"\r\n"
        expected = [(r.name, r.status) for r in run_session(CLEAN_RUN)[1].results]
        rng = random.Random(4)
        for _ in range(20):
            assembler = LineAssembler()
            session = ConsoleSession(["api_test", "plain_test"], 60)
            offset = 0
            while offset < len(raw):
                size = rng.randint(1, 40)
                for line in assembler.feed(raw[offset:offset + size], 0.0):
                    session.feed(line)
                offset += size
            result = session.finish(CLEAN_EXIT, 0.0)
            self.assertEqual([(r.name, r.status) for r in result.results],
                             expected)

    def test_crlf_and_escape_codes(self):
        raw = ("\x1bc\x1b[?7l\x1b[2J" + "\r\n".join(lines_of(CLEAN_RUN))
               .replace("ok 1 global.open", "\x1b[32mok 1 global.open\x1b[0m")
               + "\r\n").encode()
        assembler = LineAssembler()
        session = ConsoleSession(["api_test", "plain_test"], 60)
        for line in assembler.feed(raw, 0.0):
            session.feed(line)
        result = session.finish(CLEAN_EXIT, 0.0)
        self.assertEqual([r.status for r in result.results],
                         ["PASS", "SKIP", "PASS"])


class InterleavingTest(unittest.TestCase):
    def test_kernel_fragment_before_a_result_line_marker(self):
        text = CLEAN_RUN.replace(
            "    @@IOASID-TEST-END api_test",
            "    [    5.2] not a timestamp@@IOASID-TEST-END api_test")
        _, result = run_session(text)
        self.assertEqual(len(result.results), 3)

    def test_kernel_message_splitting_a_test_line(self):
        # printk cut into "# REQ: REQ-OPEN-1"; the rest arrives after it.
        text = CLEAN_RUN.replace(
            "    # REQ: REQ-OPEN-1\n",
            "    # REQ: REQ-OP[    5.150000] random: crng init done\n"
            "    [    5.150001] second kernel line\n"
            "    EN-1\n")
        _, result = run_session(text)
        self.assertEqual(by_name(result.results)["api_test.global.open"]
                         .requirements, ["REQ-OPEN-1"])
        self.assertEqual([r.status for r in result.results],
                         ["PASS", "SKIP", "PASS"])

    def test_kernel_message_splitting_a_result_line(self):
        text = CLEAN_RUN.replace(
            "    ok 1 global.open\n",
            "    ok 1 glo[    5.150000] ioasid: something\n    bal.open\n")
        _, result = run_session(text)
        self.assertEqual([(r.name, r.status) for r in result.results][0],
                         ("api_test.global.open", "PASS"))

    def test_kernel_message_splitting_a_marker(self):
        text = CLEAN_RUN.replace(
            "    @@IOASID-TEST-END api_test rc=0 elapsed=0.31@@",
            "    @@IOASID-TEST-E[    5.150000] ioasid: something\n"
            "    ND api_test rc=0 elapsed=0.31@@")
        _, result = run_session(text)
        self.assertEqual([r.status for r in result.results],
                         ["PASS", "SKIP", "PASS"])

    def test_output_without_final_newline_before_the_end_marker(self):
        text = CLEAN_RUN.replace(
            "    plain output, no TAP\n    @@IOASID-TEST-END plain_test",
            "    plain output, no TAP@@IOASID-TEST-END plain_test")
        _, result = run_session(text)
        plain = by_name(result.results)["plain_test"]
        self.assertEqual(plain.diagnostics, ["plain output, no TAP"])

    def test_warning_inside_a_test_is_attributed_to_it(self):
        text = CLEAN_RUN.replace(
            "    ok 1 global.open\n",
            "    [    5.200000] WARNING: CPU: 0 PID: 80 at ioasid.c:10 f+0x1/0x2\n"
            "    [    5.200001] Call Trace:\n"
            "    ok 1 global.open\n")
        text = text.replace("value=12288", "value=12800")
        _, result = run_session(text)
        names = by_name(result.results)
        self.assertEqual(names["api_test.global.open"].status, "PASS")
        log = names["kernel.log"]
        self.assertEqual(log.status, "FAIL")
        self.assertIn("during api_test", log.reason)
        self.assertIn("WARNING: CPU: 0 PID: 80 at ioasid.c:10 f+0x1/0x2",
                      log.diagnostics)
        self.assertIn("W (bit 9, 512)", names["kernel.taint"].diagnostics[0])

    def test_kernel_report_without_timestamp_outside_tests(self):
        text = CLEAN_RUN.replace("    @@IOASID-RMMOD-BEGIN",
                                 "    BUG: unable to handle page fault\n"
                                 "    @@IOASID-RMMOD-BEGIN")
        _, result = run_session(text)
        self.assertEqual(by_name(result.results)["kernel.log"].reason,
                         "1 kernel report; first: BUG: unable to handle page "
                         "fault (during after plain_test)")

    def test_kmemleak_report_fails_the_run(self):
        text = CLEAN_RUN.replace(
            "    @@IOASID-TAINT value",
            "    @@IOASID-KMEMLEAK-BEGIN@@\n"
            "    unreferenced object 0xffff888004f2a000 (size 64):\n"
            "      comm \"insmod\", pid 70, jiffies 4294893296 (age 8.1s)\n"
            "    @@IOASID-KMEMLEAK-END@@\n"
            "    @@IOASID-TAINT value")
        _, result = run_session(text)
        self.assertIn("during kmemleak scan",
                      by_name(result.results)["kernel.log"].reason)


class BrokenRunTest(unittest.TestCase):
    def test_guest_crash_mid_test(self):
        text = CLEAN_RUN.split("    ok 2 global.pasid")[0] + \
            "    [    5.300000] BUG: kernel NULL pointer dereference, address: 8\n" \
            "    [    5.300001] Kernel panic - not syncing: Fatal exception\n"
        _, result = run_session(text, QemuOutcome(returncode=0))
        names = by_name(result.results)
        self.assertEqual(names["api_test.global.pasid"].reason,
                         "no result line (the test crashed, hung or was killed)")
        self.assertIn("the guest stopped while it ran", names["api_test"].reason)
        self.assertEqual(names["plain_test"].reason,
                         "did not run: the guest stopped before it")
        self.assertIn("guest.finish", names)
        self.assertEqual(len(names["kernel.log"].diagnostics), 4)

    def test_run_timeout(self):
        text = CLEAN_RUN.split("    @@IOASID-TEST-END api_test")[0]
        _, result = run_session(text, QemuOutcome(returncode=-15,
                                                  timed_out=True,
                                                  run_timeout=600))
        names = by_name(result.results)
        self.assertIn("run timeout expired", names["api_test"].reason)
        self.assertIn("qemu.timeout", names)
        self.assertNotIn("guest.finish", names)
        self.assertEqual(names["qemu.timeout"].diagnostics[-1],
                         "# PASSED: 2 / 2 tests passed.")

    def test_module_load_failure(self):
        text = CLEAN_RUN.replace(
            "    @@IOASID-INSMOD-END ioasid rc=0@@",
            "    insmod: can't insert '/modules/ioasid.ko': Invalid module format\n"
            "    @@IOASID-INSMOD-END ioasid rc=1@@")
        body = text.split("    @@IOASID-TEST-BEGIN api_test@@")[0]
        tail = "    @@IOASID-TAINT value=0@@\n    @@IOASID-DONE verdict=1@@\n"
        _, result = run_session(body + tail, QemuOutcome(returncode=3))
        names = by_name(result.results)
        load = names["module.load.ioasid"]
        self.assertEqual(load.reason, "insmod ioasid failed with status 1")
        self.assertEqual(load.diagnostics, [
            "insmod: can't insert '/modules/ioasid.ko': Invalid module format"])
        self.assertEqual(names["api_test"].reason,
                         "did not run: module ioasid failed to load")
        self.assertNotIn("qemu.exit", names)
        self.assertNotIn("guest.verdict", names)

    def test_binary_end_is_announced(self):
        ended = []
        session = ConsoleSession(["api_test", "plain_test"], 60,
                                 on_binary=lambda name, elapsed:
                                 ended.append((name, elapsed)))
        text = CLEAN_RUN.split("    @@IOASID-TEST-END plain_test")[0]
        for number, line in enumerate(lines_of(text)):
            session.feed(ConsoleLine(line, float(number), line))
        session.finish(QemuOutcome(returncode=0), 100.0)
        self.assertEqual([name for name, _ in ended],
                         ["api_test", "plain_test"])
        self.assertEqual(ended[0][1], 0.31)

    def test_end_marker_of_another_binary(self):
        text = CLEAN_RUN.replace("@@IOASID-TEST-END api_test",
                                 "@@IOASID-TEST-END other")
        _, result = run_session(text)
        self.assertIn("end marker names another binary",
                      by_name(result.results)["api_test"].reason)

    def test_test_timeout_detection(self):
        text = CLEAN_RUN.replace("@@IOASID-TEST-END plain_test rc=0 elapsed=0.01@@",
                                 "@@IOASID-TEST-END plain_test rc=143 elapsed=9.8@@")
        _, result = run_session(text, test_timeout=10)
        self.assertEqual(by_name(result.results)["plain_test"].reason,
                         "timed out after 9.8s")

    def test_is_timeout(self):
        self.assertTrue(is_timeout(143, 60.0, 60))
        self.assertTrue(is_timeout(137, 65.0, 60))
        self.assertTrue(is_timeout(124, 59.6, 60))
        self.assertFalse(is_timeout(143, 2.0, 60))      # killed by someone else
        self.assertFalse(is_timeout(1, 60.0, 60))
        self.assertFalse(is_timeout(None, 60.0, 60))


if __name__ == "__main__":
    unittest.main()
