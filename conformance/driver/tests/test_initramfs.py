# SPDX-License-Identifier: GPL-2.0
"""The newc writer and the generated initramfs."""

import gzip
import os
import shutil
import stat
import subprocess
import tempfile
import unittest

import tests.support  # noqa: F401

from ioasid_conform import markers
from ioasid_conform.initramfs import (ExtraFile, GuestModule, NewcWriter,
                                      archive_paths, build_archive,
                                      check_name, compress, concatenate,
                                      init_script, read_newc)

CPIO = shutil.which("cpio")
BUSYBOX = shutil.which("busybox")


def sample_archive(with_devices=True):
    writer = NewcWriter()
    writer.add_directory("bin")
    writer.add_file("/bin/tool", b"\x7fELF binary", 0o755)
    writer.add_symlink("bin/sh", "tool")
    writer.add_file("etc/deep/dir/config", b"key=value\n")      # parents implied
    writer.add_file("empty", b"")
    writer.add_file("odd", b"abcde")                             # needs padding
    if with_devices:
        writer.add_char_device("dev/console", 5, 1)
    return writer.getvalue()


class NewcWriterTest(unittest.TestCase):
    def test_round_trip(self):
        entries = {e.name: e for e in read_newc(sample_archive())}
        self.assertEqual(list(entries), [
            "bin", "bin/tool", "bin/sh", "etc", "etc/deep", "etc/deep/dir",
            "etc/deep/dir/config", "empty", "odd", "dev", "dev/console"])
        self.assertEqual(entries["bin/tool"].data, b"\x7fELF binary")
        self.assertEqual(stat.S_IMODE(entries["bin/tool"].mode), 0o755)
        self.assertTrue(stat.S_ISDIR(entries["etc/deep"].mode))
        self.assertTrue(stat.S_ISLNK(entries["bin/sh"].mode))
        self.assertEqual(entries["bin/sh"].data, b"tool")
        self.assertTrue(stat.S_ISCHR(entries["dev/console"].mode))
        self.assertEqual(entries["dev/console"].rdev, (5, 1))
        self.assertEqual(entries["odd"].data, b"abcde")

    def test_headers_are_aligned_and_archive_ends_with_trailer(self):
        archive = sample_archive()
        self.assertEqual(len(archive) % 4, 0)
        offset = 0
        names = []
        while True:
            self.assertEqual(offset % 4, 0)
            self.assertEqual(archive[offset:offset + 6], b"070701")
            namesize = int(archive[offset + 94:offset + 102], 16)
            size = int(archive[offset + 54:offset + 62], 16)
            name = archive[offset + 110:offset + 110 + namesize - 1].decode()
            names.append(name)
            offset += 110 + namesize
            offset += -offset % 4
            offset += size + (-size % 4)
            if name == "TRAILER!!!":
                break
        self.assertEqual(offset, len(archive))
        self.assertEqual(names[-1], "TRAILER!!!")

    def test_deterministic(self):
        self.assertEqual(sample_archive(), sample_archive())
        self.assertEqual(compress(sample_archive()), compress(sample_archive()))

    def test_gzip_round_trip(self):
        archive = sample_archive()
        self.assertEqual(gzip.decompress(compress(archive)), archive)

    def test_duplicates_and_bad_paths_are_rejected(self):
        writer = NewcWriter()
        writer.add_file("a", b"")
        with self.assertRaises(ValueError):
            writer.add_file("/a", b"")
        for bad in ("", "/", "../x", "a/../../x"):
            with self.assertRaises(ValueError, msg=bad):
                writer.add_file(bad, b"")

    def test_directory_added_twice_is_one_entry(self):
        writer = NewcWriter()
        writer.add_directory("d")
        writer.add_file("d/f", b"")
        writer.add_directory("d/")
        self.assertEqual([e.name for e in read_newc(writer.getvalue())],
                         ["d", "d/f"])

    def test_no_entries_after_the_trailer(self):
        writer = NewcWriter()
        writer.getvalue()
        with self.assertRaises(ValueError):
            writer.add_file("late", b"")


@unittest.skipIf(CPIO is None, "cpio not installed")
class CpioToolTest(unittest.TestCase):
    """The archive as GNU cpio sees it."""

    def test_listing_matches(self):
        listing = subprocess.run([CPIO, "-i", "-t", "--quiet"],
                                 input=sample_archive(), capture_output=True,
                                 check=True).stdout.decode().split()
        self.assertEqual(listing, [e.name for e in read_newc(sample_archive())])

    def test_verbose_listing_shows_types(self):
        listing = subprocess.run([CPIO, "-i", "-t", "-v", "--quiet"],
                                 input=sample_archive(), capture_output=True,
                                 check=True).stdout.decode().splitlines()
        kinds = {line.split()[-1] if "->" not in line else line.split()[-3]:
                 line[0] for line in listing}
        self.assertEqual((kinds["bin"], kinds["bin/tool"], kinds["bin/sh"],
                          kinds["dev/console"]), ("d", "-", "l", "c"))

    def test_extracted_tree_matches(self):
        with tempfile.TemporaryDirectory() as root:
            subprocess.run([CPIO, "-i", "-d", "-m", "--quiet",
                            "--no-absolute-filenames"],
                           input=sample_archive(with_devices=False), cwd=root,
                           capture_output=True, check=True)
            with open(os.path.join(root, "bin/tool"), "rb") as handle:
                self.assertEqual(handle.read(), b"\x7fELF binary")
            self.assertEqual(os.readlink(os.path.join(root, "bin/sh")), "tool")
            self.assertEqual(stat.S_IMODE(os.stat(
                os.path.join(root, "bin/tool")).st_mode), 0o755)
            with open(os.path.join(root, "etc/deep/dir/config")) as handle:
                self.assertEqual(handle.read(), "key=value\n")
            self.assertEqual(os.path.getsize(os.path.join(root, "empty")), 0)


class BuildArchiveTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)

    def make(self, name, data=b"data", mode=0o755):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
        os.chmod(path, mode)
        return path

    def test_contents(self):
        busybox = self.make("busybox", b"BB")
        mods = [self.make("ioasid.ko", b"M1", 0o644),
                self.make("ioasid-test.ko", b"M2", 0o644)]
        tests = [self.make("t/api_test", b"T1"), self.make("t/ctx_test", b"T2")]
        extra_dir = self.make("extra/data/blob.bin", b"B", 0o600)
        archive = build_archive(
            busybox, mods, tests, 30,
            [ExtraFile.parse(f"{os.path.dirname(extra_dir)}:/opt/data"),
             ExtraFile.parse(f"{mods[0]}:/lib/copy.ko")])
        entries = {e.name: e for e in read_newc(archive)}
        self.assertEqual(entries["bin/busybox"].data, b"BB")
        self.assertEqual(entries["bin/sh"].data, b"busybox")
        self.assertEqual(entries["dev/console"].rdev, (5, 1))
        self.assertEqual(entries["modules/ioasid-test.ko"].data, b"M2")
        self.assertEqual(entries["tests/api_test"].data, b"T1")
        self.assertEqual(stat.S_IMODE(entries["tests/ctx_test"].mode), 0o755)
        self.assertEqual(entries["opt/data/blob.bin"].data, b"B")
        self.assertEqual(stat.S_IMODE(entries["opt/data/blob.bin"].mode), 0o600)
        self.assertEqual(entries["lib/copy.ko"].data, b"M1")
        init = entries["init"]
        self.assertEqual(stat.S_IMODE(init.mode), 0o755)
        script = init.data.decode()
        self.assertTrue(script.startswith("#!/bin/busybox sh\n"))
        self.assertIn("load_module ioasid_test ioasid-test.ko", script)
        self.assertIn("timeout -s TERM -k 5 30 ", script)

    def test_same_name_twice_is_rejected(self):
        busybox = self.make("busybox")
        first, second = self.make("a/t"), self.make("b/t")
        with self.assertRaises(ValueError):
            build_archive(busybox, [], [first, second], 10)

    def test_extra_file_spec(self):
        self.assertEqual(ExtraFile.parse("a:b:c"), ExtraFile("a", "b:c"))
        for bad in ("nodest", ":x", "x:"):
            with self.assertRaises(ValueError):
                ExtraFile.parse(bad)


class InitScriptTest(unittest.TestCase):
    MODULES = [GuestModule("ioasid", "ioasid.ko"),
               GuestModule("ioasid_test", "ioasid-test.ko")]

    def script(self):
        return init_script(self.MODULES, ["a_test", "b_test"], 60)

    def test_module_order(self):
        lines = self.script().splitlines()
        load = [i for i, l in enumerate(lines) if "&& load_module" in l]
        unload = [l for l in lines if l.startswith("unload_module ")]
        self.assertEqual([lines[i].split()[-2] for i in load],
                         ["ioasid", "ioasid_test"])
        self.assertEqual(unload, ["unload_module ioasid_test",
                                  "unload_module ioasid"])

    def test_tests_run_in_given_order_only_if_modules_loaded(self):
        script = self.script()
        block = script[script.index("if [ $modules_ok = 1 ]; then\n\trun_test"):]
        self.assertLess(block.index("run_test a_test"),
                        block.index("run_test b_test"))

    def test_markers_use_the_shared_prefix(self):
        self.assertIn(f'echo "{markers.PREFIX}$*{markers.SUFFIX}"', self.script())
        for kind in (markers.BOOT, markers.TEST_END, markers.DONE,
                     markers.POWEROFF, markers.TAINT):
            self.assertIn(f"marker {kind}", self.script())

    def test_debug_exit_port(self):
        self.assertIn("seek=244 count=1", self.script())
        self.assertIn('printf "\\\\00$verdict"', self.script())

    def test_no_modules_no_tests(self):
        script = init_script([], [], 5)
        self.assertNotIn("load_module ", script.split("unload_module()")[1]
                         .split("run_test()")[0].replace("load_module()", ""))

    @unittest.skipIf(BUSYBOX is None, "busybox not installed")
    def test_shell_syntax(self):
        for script in (self.script(), init_script([], [], 5)):
            result = subprocess.run([BUSYBOX, "sh", "-n", "-c", script],
                                    capture_output=True, text=True)
            self.assertEqual(result.returncode, 0, result.stderr)

    def test_names(self):
        self.assertEqual(GuestModule.from_path("/x/ioasid-test.ko"),
                         GuestModule("ioasid_test", "ioasid-test.ko"))
        self.assertEqual(check_name("api_test.v2", "test"), "api_test.v2")
        for bad in ("a b", "-x", "x;y", "", "a$b"):
            with self.assertRaises(ValueError, msg=bad):
                check_name(bad, "test")


class ExtraInitrdTest(unittest.TestCase):
    def extra(self, *paths):
        writer = NewcWriter()
        for path in paths:
            writer.add_file(path, b"data")
        return writer.getvalue()

    def test_paths_of_plain_gzip_and_concatenated_images(self):
        plain = self.extra("lib/firmware/x.bin")
        self.assertEqual(archive_paths(plain), ["lib", "lib/firmware",
                                                "lib/firmware/x.bin"])
        both = compress(self.extra("a")) + b"\0\0\0" + self.extra("b/c")
        self.assertEqual(archive_paths(both), ["a", "b", "b/c"])
        self.assertIsNone(archive_paths(b"\xfd7zXZ\0 an xz image"))

    def test_concatenation_is_aligned(self):
        ours = b"12345"                       # any length
        extra = self.extra("x")
        image = concatenate(ours, [("e1", extra), ("e2", compress(extra))])
        self.assertTrue(image.startswith(ours + b"\0\0\0"))
        self.assertEqual(image[8:8 + len(extra)], extra)
        second = 8 + len(extra) + (-(8 + len(extra)) % 4)
        self.assertEqual(image[second:second + 2], b"\x1f\x8b")

    def test_init_may_not_be_replaced(self):
        with self.assertRaisesRegex(ValueError, "e.cpio contains /init"):
            concatenate(b"", [("e.cpio", self.extra("./init"))])
        with self.assertRaisesRegex(ValueError, "bad.cpio: not a valid "
                                                "initramfs image"):
            concatenate(b"", [("bad.cpio", b"070701" + b"0" * 20)])

    @unittest.skipIf(CPIO is None, "cpio not installed")
    def test_real_cpio_archives(self):
        with tempfile.TemporaryDirectory() as root:
            os.makedirs(os.path.join(root, "lib/firmware"))
            with open(os.path.join(root, "lib/firmware/fw.bin"), "wb") as h:
                h.write(b"FW")
            made = subprocess.run([CPIO, "-o", "-H", "newc", "--quiet"],
                                  input=b"lib\nlib/firmware\n"
                                        b"lib/firmware/fw.bin\n",
                                  cwd=root, capture_output=True, check=True)
        self.assertEqual(archive_paths(made.stdout),
                         ["lib", "lib/firmware", "lib/firmware/fw.bin"])
        self.assertEqual(archive_paths(gzip.compress(made.stdout)),
                         ["lib", "lib/firmware", "lib/firmware/fw.bin"])


if __name__ == "__main__":
    unittest.main()
