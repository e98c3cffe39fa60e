# SPDX-License-Identifier: GPL-2.0
"""Host-side driver of the /dev/ioasid conformance suite.

The driver boots a kernel in QEMU with a generated initramfs, loads the
modules under test, runs the static test binaries, and turns what the guest
prints on its serial console into per-testcase results.

Modules:
  console     bytes from QEMU -> clean, timestamped lines
  markers     the marker lines /init prints and their parser
  ktap        incremental KTAP/TAP parser for one test binary
  kernel_log  kernel report detection and taint decoding
  initramfs   newc archive writer and the generated /init
  qemu        QEMU command line and non-blocking process handling
  session     splits the console by markers, collects all results
  verdict     end-of-run judgement (pseudo-tests such as kernel.log)
  report      live result lines, summary, JSON and counts files
  cli         argument parsing and the "run" command
"""

__version__ = "1.0"
