# SPDX-License-Identifier: GPL-2.0
"""Console stream handling: chunks, line ends, escape codes, kernel lines."""

import unittest

import tests.support  # noqa: F401  (puts the driver on sys.path)

from ioasid_conform.console import (MAX_LINE, LineAssembler, clean_line,
                                    split_kernel_text)


class CleanLineTest(unittest.TestCase):
    def test_carriage_returns(self):
        self.assertEqual(clean_line("ok 1 a\r"), "ok 1 a")
        self.assertEqual(clean_line("\rok 1 a\r\r"), "ok 1 a")

    def test_colour_codes(self):
        self.assertEqual(clean_line("\x1b[1;31mFAIL\x1b[0m x"), "FAIL x")

    def test_screen_reset_and_modes(self):
        # What firmware prints before the kernel starts.
        self.assertEqual(clean_line("\x1bc\x1b[?7l\x1b[2JSeaBIOS"), "SeaBIOS")

    def test_osc_title(self):
        self.assertEqual(clean_line("\x1b]0;title\x07text"), "text")

    def test_other_controls_go_but_tabs_and_indent_stay(self):
        self.assertEqual(clean_line("    ok\t1\x00\x08\x7f"), "    ok\t1")


class LineAssemblerTest(unittest.TestCase):
    def feed_all(self, chunks):
        assembler = LineAssembler()
        lines = []
        for number, chunk in enumerate(chunks):
            lines += [line.text for line in assembler.feed(chunk, number)]
        return lines + [line.text for line in assembler.flush(99)]

    def test_lines_split_across_chunks(self):
        self.assertEqual(self.feed_all([b"TAP ver", b"sion 13\r", b"\n1..", b"1\r\n"]),
                         ["TAP version 13", "1..1"])

    def test_byte_by_byte(self):
        data = b"\x1b[0mok 1 a\r\nnot ok 2 b\r\n"
        self.assertEqual(self.feed_all([bytes([b]) for b in data]),
                         ["ok 1 a", "not ok 2 b"])

    def test_utf8_sequence_split(self):
        data = "# caf\u00e9\n".encode()
        self.assertEqual(self.feed_all([data[:5], data[5:]]), ["# caf\u00e9"])

    def test_invalid_utf8_is_replaced(self):
        self.assertEqual(self.feed_all([b"a\xffb\n"]), ["a\ufffdb"])

    def test_unterminated_last_line_is_flushed(self):
        self.assertEqual(self.feed_all([b"one\ntwo"]), ["one", "two"])

    def test_endless_line_is_cut(self):
        assembler = LineAssembler()
        lines = assembler.feed(b"x" * (MAX_LINE * 2 + 10), 0.0)
        self.assertEqual([len(line.text) for line in lines], [MAX_LINE] * 2)
        self.assertEqual(len(assembler.flush(0.0)[0].text), 10)

    def test_line_time_is_arrival_of_its_end(self):
        assembler = LineAssembler()
        assembler.feed(b"ok 1", 1.0)
        [line] = assembler.feed(b" a\n", 2.5)
        self.assertEqual((line.text, line.time, line.raw), ("ok 1 a", 2.5, "ok 1 a"))


class SplitKernelTextTest(unittest.TestCase):
    def test_kernel_line(self):
        self.assertEqual(split_kernel_text("[    1.234567] dummy: loaded"),
                         ("", "dummy: loaded"))

    def test_user_line(self):
        self.assertEqual(split_kernel_text("ok 1 [1.5] a"), ("ok 1 [1.5] a", None))

    def test_kernel_message_interrupting_user_output(self):
        self.assertEqual(
            split_kernel_text("# halfway[   12.000001] WARNING: CPU: 0 PID: 1"),
            ("# halfway", "WARNING: CPU: 0 PID: 1"))

    def test_large_timestamp(self):
        self.assertEqual(split_kernel_text("[12345.678901] x"), ("", "x"))


if __name__ == "__main__":
    unittest.main()
