# SPDX-License-Identifier: GPL-2.0
#
# kernels.mk - stock Debian kernels, their build headers and a few
# kernel source files, fetched into $(BUILD). Include it from the
# top-level Makefile after setting BUILD (default: build).
#
# Targets:
#   kernels                  fetch and unpack every series in KSERIES, and
#                            extract the kernel source files
#   deps                     tools/deps.sh --install as root, else --check
#   $(BUILD)/kernels/S/.done stamp of series S (tools/fetch-kernel.sh)
#   $(BUILD)/ksrc/.done      stamp of the source files (tools/extract-ksrc.sh)
#
# Variables, for S in $(KSERIES):
#   KDIR_S      headers tree for make -C $(KDIR_S) M=$(abspath dir) modules
#               (an absolute path)
#   VMLINUZ_S   kernel image for qemu -kernel
#   MODROOT_S   root of the stock modules (MODROOT_S/lib/modules/RELEASE)
#   KRELEASE_S  kernel release string, read once the stamp exists
#   KSTAMP_S    the stamp, for rules that need the kernel fetched
#   KSFT_INC, CHECKPATCH, KERNEL_DOC, KSRC_STAMP

BUILD ?= build

KERNELS_MK_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

KSERIES := 6.1 6.12
KSRC_SERIES := 6.12

KSTAMPS := $(foreach s,$(KSERIES),$(BUILD)/kernels/$(s)/.done)

define kernels_mk_series
KSTAMP_$(1) := $(BUILD)/kernels/$(1)/.done
KDIR_$(1) := $(abspath $(BUILD)/kernels/$(1)/kdir)
VMLINUZ_$(1) := $(BUILD)/kernels/$(1)/vmlinuz
MODROOT_$(1) := $(BUILD)/kernels/$(1)/modules
KRELEASE_$(1) = $$(shell cat $(BUILD)/kernels/$(1)/release 2>/dev/null)
endef
$(foreach s,$(KSERIES),$(eval $(call kernels_mk_series,$(s))))

# A stamp has no prerequisites: once a kernel is in place it stays as it
# is until the stamp is removed or tools/fetch-kernel.sh --refresh runs.
$(KSTAMPS): $(BUILD)/kernels/%/.done:
	$(KERNELS_MK_DIR)/fetch-kernel.sh $* $(@D)

KSRC_STAMP := $(BUILD)/ksrc/.done
KSFT_INC := $(BUILD)/ksrc/tools/testing/selftests
CHECKPATCH := $(BUILD)/ksrc/scripts/checkpatch.pl
KERNEL_DOC := $(BUILD)/ksrc/scripts/kernel-doc

# The script compares the tarball's mtime and size with the stamp and
# returns at once when they match, leaving the stamp's own mtime alone;
# running it every time picks up an upgraded linux-source package.
$(KSRC_STAMP): kernels-mk-force
	@$(KERNELS_MK_DIR)/extract-ksrc.sh $(KSRC_SERIES) $(@D)

.PHONY: kernels deps kernels-mk-force
kernels-mk-force:

kernels: $(KSTAMPS) $(KSRC_STAMP)

deps:
	@if [ "$$(id -u)" -eq 0 ]; then \
		$(KERNELS_MK_DIR)/deps.sh --install; \
	else \
		$(KERNELS_MK_DIR)/deps.sh --check; \
	fi
