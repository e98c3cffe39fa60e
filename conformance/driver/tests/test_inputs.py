# SPDX-License-Identifier: GPL-2.0
"""Module files and directories (--module, --modules) and test binaries."""

import os
import shutil
import tempfile
import unittest

import tests.support  # noqa: F401

from ioasid_conform import cli
from ioasid_conform.inputs import (LOAD_ORDER, ModuleDir, SetupError,
                                   expand_modules, module_name,
                                   modules_in_dir)


class ModuleDirTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.dir = os.path.join(self.tmp, "mods")
        os.mkdir(self.dir)
        for name in ("zz_core.ko", "aa_user.ko", "mid-dle.ko"):
            self.touch(name)
        self.touch("README")
        os.mkdir(os.path.join(self.dir, "sub.ko"))      # not a file

    def touch(self, name, text="x"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as handle:
            handle.write(text)
        return path

    def names(self, paths):
        return [os.path.basename(path) for path in paths]

    def test_sorted_without_load_order(self):
        self.assertEqual(self.names(modules_in_dir(self.dir)),
                         ["aa_user.ko", "mid-dle.ko", "zz_core.ko"])

    def test_load_order_file(self):
        self.touch(LOAD_ORDER, "# core first\nzz_core\n\nmid-dle.ko\n"
                               "  aa_user.ko  \n")
        self.assertEqual(self.names(modules_in_dir(self.dir)),
                         ["zz_core.ko", "mid-dle.ko", "aa_user.ko"])

    def test_load_order_errors(self):
        order = os.path.join(self.dir, LOAD_ORDER)
        cases = [
            ("zz_core\nnope.ko\n", f"{order}:2: module nope.ko not found"),
            ("zz_core\nzz_core.ko\n", f"{order}:2: module zz_core.ko listed "
                                      f"twice"),
            ("zz_core\n", "does not list aa_user.ko, mid-dle.ko"),
            ("sub/x.ko\n", "not a path"),
        ]
        for text, message in cases:
            self.touch(LOAD_ORDER, text)
            with self.assertRaises(SetupError) as caught:
                modules_in_dir(self.dir)
            self.assertIn(message, str(caught.exception))

    def test_missing_or_empty_directory(self):
        with self.assertRaisesRegex(SetupError,
                                    "module directory not found: /nonexistent"):
            modules_in_dir("/nonexistent")
        empty = os.path.join(self.tmp, "empty")
        os.mkdir(empty)
        with self.assertRaisesRegex(SetupError, r"no \*\.ko files"):
            modules_in_dir(empty)

    def test_files_and_directories_in_command_line_order(self):
        single = os.path.join(self.tmp, "first.ko")
        with open(single, "w") as handle:
            handle.write("x")
        args = cli.build_parser().parse_args(
            ["run", "--kernel", "k", "--kernel-name", "n", "--tests", "t",
             "--module", single, "--modules", self.dir])
        self.assertEqual(args.modules, [single, ModuleDir(self.dir)])
        self.assertEqual(self.names(expand_modules(args.modules)),
                         ["first.ko", "aa_user.ko", "mid-dle.ko", "zz_core.ko"])

    def test_missing_module_file(self):
        with self.assertRaisesRegex(SetupError, "module not found: /no/x.ko"):
            expand_modules(["/no/x.ko"])

    def test_same_module_twice(self):
        other = os.path.join(self.tmp, "mid_dle.ko")
        with open(other, "w") as handle:
            handle.write("x")
        with self.assertRaisesRegex(SetupError, "two modules named mid_dle"):
            expand_modules([ModuleDir(self.dir), other])

    def test_module_name(self):
        self.assertEqual(module_name("/a/ioasid-fd.ko"), "ioasid_fd")


if __name__ == "__main__":
    unittest.main()
