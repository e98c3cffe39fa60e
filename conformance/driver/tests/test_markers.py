# SPDX-License-Identifier: GPL-2.0
"""Marker lines printed by /init."""

import unittest

import tests.support  # noqa: F401

from ioasid_conform import markers


class MarkerTest(unittest.TestCase):
    def test_test_end(self):
        marker = markers.parse("@@IOASID-TEST-END api_test rc=0 elapsed=1.25@@")
        self.assertEqual((marker.kind, marker.name), ("TEST-END", "api_test"))
        self.assertEqual(marker.int_field("rc"), 0)
        self.assertEqual(marker.float_field("elapsed"), 1.25)

    def test_no_name(self):
        marker = markers.parse("@@IOASID-DONE verdict=1@@")
        self.assertEqual((marker.kind, marker.name, marker.int_field("verdict")),
                         ("DONE", None, 1))

    def test_marker_after_kernel_fragment(self):
        marker = markers.parse("[    3.100000] usb 1-1: new@@IOASID-TEST-BEGIN t@@")
        self.assertEqual((marker.kind, marker.name), ("TEST-BEGIN", "t"))

    def test_unknown_kind_and_near_misses_are_ignored(self):
        for line in ("@@IOASID-FROBNICATE x@@", "@@IOASID-TEST-END t rc=0",
                     "IOASID-DONE verdict=0@@", "@@ioasid-done verdict=0@@",
                     'echo "@@IOASID-$*@@"'):
            self.assertIsNone(markers.parse(line), line)

    def test_missing_or_bad_fields(self):
        marker = markers.parse("@@IOASID-TEST-END t rc=x@@")
        self.assertIsNone(marker.int_field("rc"))
        self.assertIsNone(marker.float_field("elapsed"))

    def test_split_keeps_text_before_the_marker(self):
        before, marker = markers.split("ok 3 last@@IOASID-TEST-END t rc=0@@")
        self.assertEqual((before, marker.kind), ("ok 3 last", "TEST-END"))
        self.assertEqual(markers.split("ok 1 a"), ("ok 1 a", None))

    def test_render_round_trip(self):
        text = markers.render(markers.INSMOD_END, "ioasid", "rc=1")
        self.assertEqual(text, "@@IOASID-INSMOD-END ioasid rc=1@@")
        marker = markers.parse(text)
        self.assertEqual((marker.name, marker.fields), ("ioasid", {"rc": "1"}))


if __name__ == "__main__":
    unittest.main()
