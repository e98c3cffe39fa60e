# SPDX-License-Identifier: GPL-2.0
#
# The core in user space (issue 14): the tangled core, mock framework and
# mock IOMMU compiled unmodified, with their #line directives, against the
# shim in harness/shim, with the kernel's own lib/xarray.c and
# tools/lib/rbtree.c from the unpacked Debian source, under ASan and
# UBSan; an LD_PRELOAD interposer (harness/interpose) makes the
# conformance tests, built dynamically, talk to it.
#
#   make harness-check    build, run every conformance test in user space,
#                         print "N passed, N failed, N skipped"
#   make harness-shim-check   the shim's own tests (harness/tests)
#
# The kernel source is the one the debug kernel build unpacks under
# $(BUILD)/kernels/debug/src.  lib/xarray.c is built with the shim's own
# headers (not tools/testing/radix-tree's), so its xa_lock goes through
# the lock checker and its node allocations through failure injection;
# the shim provides RCU itself (readers share a lock that a grace period
# at the end of each system call takes exclusively, so that sleeping in
# an RCU read section is reported too), so liburcu is not needed.
# Everything is built under $(BUILD)/harness.  Tests listed in
# harness/EXCLUDED are run but not counted; each has its reason there.

HB := $(BUILD)/harness
H_KSRC := $(BUILD)/kernels/debug/src
H_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer
H_CFLAGS := -std=gnu11 -g -O1 -fPIC -Wall -Wno-unused-function $(H_SAN) \
	-D_GNU_SOURCE -Iharness/shim/include -I$(TREE)/include \
	-I$(TREE)/drivers/iommu/ioasid -I$(H_KSRC)
H_CORE := main ioasid io_pagetable pages device attach nesting pasid
H_MOCK := mock mock_iommu
H_SHIM := kernel mm vfs xarray_glue
H_OBJS := $(patsubst %,$(HB)/obj/%.o,$(H_CORE) $(H_MOCK) $(H_SHIM) xarray rbtree interpose)
H_LIB := $(HB)/libioasid_harness.so
H_HDRS := $(wildcard harness/shim/include/*/*.h harness/shim/include/linux/sched/*.h)
H_SRC_DEPS := $(H_HDRS) $(TREE)/.stamp $(H_KSRC)/lib/xarray.c

# h_objects DIR,CC,FLAGS,OTHER-FLAGS[,FIRST]: the rules that compile the
# core and the mocks with FLAGS, and the shim, xarray and rbtree with
# OTHER-FLAGS, by CC into DIR/obj; FIRST, if given, is a command each
# recipe runs before the compiler.  The plain, fuzzing and coverage builds
# (harness/fuzz/fuzz.mk, harness/coverage/coverage.mk) all use it.
define h_objects
$(patsubst %,$(1)/obj/%.o,$(H_CORE)): $(1)/obj/%.o: $(TREE)/.stamp $(H_HDRS)
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$@"
	$(if $(5),$(Q)$(5))
	$(Q)$(2) $(3) -DKBUILD_MODNAME='"ioasid_fd"' -DSHIM_MODULE=ioasid_fd \
		-c -o $$@ $(TREE)/drivers/iommu/ioasid/$$*.c

$(patsubst %,$(1)/obj/%.o,$(H_MOCK)): $(1)/obj/%.o: $(TREE)/.stamp $(H_HDRS)
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$@"
	$(if $(5),$(Q)$(5))
	$(Q)$(2) $(3) -DKBUILD_MODNAME='"ioasid_mock"' -DSHIM_MODULE=ioasid_mock \
		-c -o $$@ $(TREE)/drivers/iommu/ioasid/$$*.c

$(patsubst %,$(1)/obj/%.o,$(H_SHIM)): $(1)/obj/%.o: harness/shim/%.c $(H_SRC_DEPS)
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$@"
	$(Q)$(2) $(4) -DKBUILD_MODNAME='"shim"' -c -o $$@ $$<

$(1)/obj/xarray.o: $(H_KSRC)/lib/xarray.c $(H_HDRS)
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$@"
	$(Q)$(2) $(4) -DKBUILD_MODNAME='"xarray"' -c -o $$@ $$<

$(1)/obj/rbtree.o: $(H_KSRC)/tools/lib/rbtree.c $(H_HDRS)
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$@"
	$(Q)$(2) $(4) -DKBUILD_MODNAME='"rbtree"' -c -o $$@ $$<
endef

$(eval $(call h_objects,$(HB),$(CC),$(H_CFLAGS),$(H_CFLAGS)))

# The source is unpacked by the debug kernel's build (tools/debugkernel.mk).
$(H_KSRC)/lib/xarray.c $(H_KSRC)/tools/lib/rbtree.c: | $(KSTAMP_debug) ;

$(HB)/obj/interpose.o: harness/interpose/interpose.c $(H_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(H_CFLAGS) -c -o $@ $<

$(H_LIB): $(H_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) -shared $(H_SAN) -o $@ $(H_OBJS) -ldl -lpthread

# The conformance tests again, dynamically linked, for the interposer.
H_TEST_BINS := $(patsubst conformance/tests/%.c,$(HB)/tests/%,$(TEST_SRCS))
H_TEST_CFLAGS := $(filter-out -static,$(TEST_CFLAGS)) $(H_SAN)

$(HB)/tests/%: conformance/tests/%.c $(TEST_HDRS) $(TREE)/.stamp $(BUILD)/ksrc/.done
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(H_TEST_CFLAGS) -o $@ $<

# The shim's own tests: its reimplementations against the kernel's
# documented behaviour, and its checkers against planted mistakes.
H_SHIM_TESTS := $(patsubst harness/tests/%.c,$(HB)/shimtests/%,$(wildcard harness/tests/*.c))

$(HB)/shimtests/%: harness/tests/%.c $(H_LIB) $(H_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(H_CFLAGS) -o $@ $< $(H_LIB) -Wl,-rpath,$(abspath $(HB))

H_PRELOAD = $(shell $(CC) -print-file-name=libasan.so) $(abspath $(H_LIB))
H_RUN_ENV := ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# The list of exclusions as a table of the reference document
# (spec/harness.adoc).
$(HB)/excluded.adoc: harness/EXCLUDED
	@mkdir -p $(dir $@)
	$(Q)awk 'BEGIN { print "[cols=\"2,3\",options=\"header\"]"; \
		print "|==="; print "| Test | Why it does not run in user space" } \
		/^#/ || NF == 0 { next } \
		{ name = $$1; $$1 = ""; sub(/^ +/, ""); gsub(/\|/, "\\|"); \
		  print ""; print "| `" name "`"; print "| " $$0 } \
		END { print "|===" }' $< >$@

# The planted bugs the harness must catch (harness/selfcheck/plant.sh).
H_PLANT_BUGS := unpin uaf lock sleep
H_OTHER_OBJS := $(patsubst %,$(HB)/obj/%.o,$(H_SHIM) xarray rbtree interpose)

.PHONY: harness harness-check harness-shim-check harness-selfcheck
harness: $(H_LIB) $(H_TEST_BINS) $(H_SHIM_TESTS)

harness-shim-check: $(H_SHIM_TESTS)
	$(Q)status=0; for t in $(H_SHIM_TESTS); do \
		ASAN_OPTIONS=detect_leaks=0 $$t || status=1; done; exit $$status

harness-check: harness
	@mkdir -p $(BUILD)/results
	$(Q)$(MAKE) --no-print-directory harness-shim-check
	$(Q)$(DRIVER) harness --tests $(HB)/tests \
		$(foreach l,$(H_PRELOAD),--preload $(l)) \
		$(foreach v,$(H_RUN_ENV),--env $(v)) \
		--excluded harness/EXCLUDED --log $(HB)/harness.log \
		--json $(BUILD)/results/conformance-user-space.json \
		--junit $(BUILD)/results/conformance-user-space.xml \
		--counts $(BUILD)/results/harness.counts

harness-selfcheck: harness
	@mkdir -p $(BUILD)/results
	$(Q)status=0; for bug in $(H_PLANT_BUGS); do \
		H_CORE="$(H_CORE)" H_MOCK="$(H_MOCK)" \
		harness/selfcheck/plant.sh $$bug $(TREE) $(HB)/plant-$$bug \
			"$(DRIVER)" $(HB)/tests \
			$(BUILD)/results/harness-selfcheck.plant-$$bug.counts \
			"$(CC)" "$(H_CFLAGS)" \
			$(firstword $(H_PRELOAD)) $(H_OTHER_OBJS) || status=1; \
	done; exit $$status
include harness/coverage/coverage.mk
include harness/fuzz/fuzz.mk
