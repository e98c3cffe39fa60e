#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Launcher of the /dev/ioasid conformance driver (package ioasid_conform).

Run the conformance tests against one kernel in QEMU, or on this machine:

    python3 conformance/driver/run.py run --kernel VMLINUZ --kernel-name 6.12 \\
        --module PATH.ko [--modules DIR] --tests DIR \\
        [--test PATTERN] [--req ID] [--json OUT.json] [--junit OUT.xml]
    python3 conformance/driver/run.py local --tests DIR [--module PATH.ko]

List the testcases, and report on the requirements:

    python3 conformance/driver/run.py list --tests DIR
    python3 conformance/driver/run.py report --spec-sources 'src/*.adoc' \\
        --test-sources 'conformance/tests/*.c' --results OUT.json --check

    python3 conformance/driver/run.py COMMAND --help     # all options

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
