# SPDX-License-Identifier: GPL-2.0
#
# debugkernel.mk - the debug kernel (KASAN, lockdep, kmemleak, fault
# injection, UBSAN), built from Debian's linux-source-6.12 with
# tools/debug-kernel.config.  Include it from the top-level Makefile
# after setting BUILD (default: build).  The names mirror those of
# tools/kernels.mk for a stock series, with "debug" as the series, so
# that rules written for $(KDIR_S), $(VMLINUZ_S) and
# $(BUILD)/kernels/S/.done work for S = debug.  Do not add "debug" to
# KSERIES itself: tools/kernels.mk has a fetch rule for every stamp in
# KSERIES, which would compete with the rule below.
#
# Targets:
#   debug-kernel                 build the debug kernel (first build from
#                                clean: 8 minutes or more on 2 cores)
#   $(BUILD)/kernels/debug/.done stamp (tools/build-debug-kernel.sh)
#
# Variables:
#   KDIR_debug      build tree for make -C $(KDIR_debug) M=$(abspath dir)
#                   modules (an absolute path)
#   VMLINUZ_debug   kernel image for qemu -kernel
#   MODROOT_debug   modules_install root (MODROOT_debug/lib/modules/RELEASE)
#   KRELEASE_debug  kernel release string, read once the stamp exists
#   KSTAMP_debug    the stamp, for rules that need the kernel built

BUILD ?= build

DEBUGKERNEL_MK_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
DEBUG_KCONFIG := $(DEBUGKERNEL_MK_DIR)/debug-kernel.config
DEBUG_KSRC_TARBALL ?= /usr/src/linux-source-6.12.tar.xz

KSTAMP_debug := $(BUILD)/kernels/debug/.done
KDIR_debug := $(abspath $(BUILD)/kernels/debug/kdir)
VMLINUZ_debug := $(BUILD)/kernels/debug/vmlinuz
MODROOT_debug := $(BUILD)/kernels/debug/modules
KRELEASE_debug = $(shell cat $(BUILD)/kernels/debug/release 2>/dev/null)

# The script keeps its own stamp (hashes of the fragment and of the
# tarball), returns at once when they match and then leaves the stamp's
# mtime alone, so rules that depend on the stamp are not run again.  It
# runs every time because a newer linux-source-6.12 package may bring a
# tarball whose mtime is older than the stamp.
$(KSTAMP_debug): $(DEBUG_KCONFIG) $(DEBUGKERNEL_MK_DIR)/build-debug-kernel.sh \
		debugkernel-mk-force
	@KSRC_TARBALL=$(DEBUG_KSRC_TARBALL) DEBUG_KCONFIG=$(DEBUG_KCONFIG) \
		$(DEBUGKERNEL_MK_DIR)/build-debug-kernel.sh $(@D)

.PHONY: debug-kernel debugkernel-mk-force
debugkernel-mk-force:

debug-kernel: $(KSTAMP_debug)
