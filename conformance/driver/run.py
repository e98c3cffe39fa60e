#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Launcher of the /dev/ioasid conformance driver (package ioasid_conform).

Run the conformance tests against one kernel:

    python3 conformance/driver/run.py run --kernel VMLINUZ --kernel-name 6.12 \\
        --module PATH.ko [--module PATH.ko ...] --tests DIR \\
        [--json OUT.json] [--counts OUT.counts] [--log OUT.log] [-v]

    python3 conformance/driver/run.py run --help     # all options

Test the driver itself, from the repository root:

    python3 conformance/driver/selftest.py [--counts OUT.counts]
    python3 -m unittest discover -s conformance/driver/tests -t conformance/driver

The end-to-end tests boot a real kernel only when IOASID_TEST_KERNEL names
a vmlinuz; they are skipped otherwise.
"""

import os
import sys

sys.dont_write_bytecode = True      # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ioasid_conform.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
