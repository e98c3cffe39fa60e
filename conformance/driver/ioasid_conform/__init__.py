# SPDX-License-Identifier: GPL-2.0
"""Host-side driver of the /dev/ioasid conformance suite.

The driver boots a kernel in QEMU with a generated initramfs, loads the
modules under test, runs the static test binaries, and turns what the guest
prints on its serial console into per-testcase results; or runs the same
binaries on this machine.  It also relates the specification's
requirements to the tests and their results.

Modules:
  console       bytes from QEMU -> clean, timestamped lines
  markers       the marker lines /init prints and their parser
  ktap          incremental KTAP/TAP parser for one test binary
  kernel_log    kernel report detection and taint decoding
  initramfs     newc archive writer, the generated /init, extra initrds
  qemu          QEMU command line and non-blocking process handling
  session       splits the console by markers, collects all results
  verdict       end-of-run judgement (pseudo-tests such as kernel.log)
  inputs        test binaries and modules (--module, --modules DIR)
  selection     --test / --req, harness listing and -r options
  runner        the QEMU run
  local         the run on this machine
  sources       static scans of the spec and the test sources
  traceability  the requirement report and its --check
  report        live result lines, summary, JSON and counts files
  junit         JUnit XML
  cli           argument parsing and the subcommands
"""

__version__ = "1.1"
