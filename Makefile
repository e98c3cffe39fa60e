# SPDX-License-Identifier: GPL-2.0
#
# The entry point for every task.  `make` builds everything (documents,
# kernel tree, modules for every kernel, tests); `make check` runs every
# test.  `make help` lists the other targets.

BUILD ?= build
PYTHON ?= /usr/bin/python3
CC ?= gcc
Q ?= @

SRCS := src/uapi.adoc src/core.adoc src/backend.adoc src/memory.adoc src/ioasid.adoc src/devices.adoc src/attach.adoc src/dma.adoc src/nesting.adoc src/pasid.adoc \
	src/testif.adoc src/iommu.adoc src/kbuild.adoc
DIAGRAMS := $(wildcard diagrams/*.dot)

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:

include tools/Makefile.lit
include tools/kernels.mk
include tools/debugkernel.mk

# Every kernel the modules are built for and the suite runs on: Debian's
# stock kernels, and the debug kernel (KASAN, lockdep, kmemleak, fault
# injection) built from Debian's linux-source.
KERNELS ?= $(KSERIES) debug

DRIVER := $(PYTHON) conformance/driver/run.py
# The chapters in the order of the documents: SRCS first, the test
# interface annex last (--annex), whose requirements are counted apart.
TESTIF_ANNEX := src/testif.adoc
REPORT := $(DRIVER) report --spec-sources $(SRCS) 'src/*.adoc' 'spec/*.adoc' \
	--annex $(TESTIF_ANNEX) --test-sources 'conformance/tests/*.c'
RESULTS_JSON = $(wildcard $(foreach k,$(KERNELS) user-space,$(BUILD)/results/conformance-$(k).json))
TRACE := $(BUILD)/traceability

.PHONY: all help deps tangle modules tests spec lint kernel-tree check \
	check-steps clean distclean

all: deps
	$(Q)$(MAKE) --no-print-directory tangle modules tests harness fuzz-bin spec

help:
	@echo 'make             build everything (installs missing Debian packages when root)'
	@echo 'make check       run every test: tool tests, driver tests, lint, conformance on each kernel'
	@echo 'make spec        render the specification and the reference (HTML, PDF) into $(BUILD)/doc'
	@echo 'make modules     tangle and build the modules against every kernel in KERNELS ($(KERNELS))'
	@echo 'make tests       build the conformance test binaries'
	@echo 'make lint        checkpatch --strict on the exported tree, kernel-doc on every header and source'
	@echo 'make report      requirement report: requirement -> tests -> result per kernel'
	@echo 'make traceability  check that every requirement has a test and every test names real ones'
	@echo 'make kernel-tree KTREE=DIR   export the kernel tree without #line directives'
	@echo 'make harness-check   the conformance tests against the core in user space (ASan, UBSan, lock checker)'
	@echo 'make harness-selfcheck   bugs planted in the core that the user-space harness must catch'
	@echo 'make fuzz [FUZZ_TIME=s]  fuzz the core in user space (make fuzz-check: corpus replay and 60 s, as make check does)'
	@echo 'make harness-coverage    line and branch coverage of the core in user space, mapped to src/*.adoc'
	@echo 'make bench       time IOASID_MAP_DMA/UNMAP_DMA against VFIO type1 in one 6.12 guest (not part of check)'

# ---------------------------------------------------------------------------
# Tangling.  The tree in $(BUILD)/tree carries #line directives, so that the
# compiler and sparse report .adoc lines; it is what the test programs
# include.  Every kernel gets its own copy to build in, because kbuild keeps
# its objects beside the sources.

TREE := $(BUILD)/tree

tangle: $(TREE)/.stamp

$(TREE)/.stamp: $(SRCS) $(LIT)
	$(Q)$(LIT) tangle -o $(TREE) $(SRCS)
	$(Q)touch $@

kernel-tree: $(LIT)
	@test -n "$(KTREE)" || { echo 'usage: make kernel-tree KTREE=DIR' >&2; exit 1; }
	$(Q)$(LIT) tangle --no-line -o $(KTREE) $(SRCS)
	@echo "kernel tree written to $(KTREE)"

# ---------------------------------------------------------------------------
# Modules, built out of tree against each kernel's headers, with W=1 and
# sparse (C=1).  Any warning fails the build: kbuild does not turn sparse
# or W=1 warnings into errors by itself, so the log is searched.

MODDIR = $(BUILD)/obj/$(1)
MODSRC = $(call MODDIR,$(1))/drivers/iommu/ioasid
MODULES_OF = $(call MODSRC,$(1))/ioasid_fd.ko $(call MODSRC,$(1))/ioasid_mock.ko

define module_rules
$(call MODULES_OF,$(1)) &: $(SRCS) $(LIT) $(BUILD)/kernels/$(1)/.done
	$(Q)$(LIT) tangle -o $(call MODDIR,$(1)) $(SRCS)
	@echo "  KBUILD  ioasid_fd.ko ioasid_mock.ko for $(1)"
	$(Q)$(MAKE) -s -C $(KDIR_$(1)) M=$(abspath $(call MODSRC,$(1))) \
		CONFIG_IOASID_FD=m CONFIG_IOASID_FD_MOCK=m W=1 C=1 \
		KCFLAGS=-I$(abspath $(call MODDIR,$(1))/include) modules \
		> $(call MODDIR,$(1))/kbuild.log 2>&1 \
		|| { cat $(call MODDIR,$(1))/kbuild.log; exit 1; }
	$(Q)if grep -E 'warning|error' $(call MODDIR,$(1))/kbuild.log; then \
		echo "modules for $(1): warnings are errors" >&2; \
		rm -f $(call MODULES_OF,$(1)); exit 1; fi
	$(Q)touch $(call MODULES_OF,$(1))
endef
$(foreach k,$(KERNELS),$(eval $(call module_rules,$(k))))

modules: $(foreach k,$(KERNELS),$(call MODULES_OF,$(k)))

# ---------------------------------------------------------------------------
# Conformance test programs: static binaries, so that the initramfs needs
# no C library.

TEST_SRCS := $(wildcard conformance/tests/*_test.c)
TEST_HDRS := $(wildcard conformance/tests/*.h)
TEST_BINS := $(patsubst conformance/tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
TEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -static -pthread \
	-isystem $(KSFT_INC) -I$(TREE)/include/uapi \
	-I$(TREE)/drivers/iommu/ioasid -Iconformance/tests

tests: $(TEST_BINS)

$(BUILD)/tests/%: conformance/tests/%.c $(TEST_HDRS) \
		$(TREE)/.stamp $(BUILD)/ksrc/.done
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(TEST_CFLAGS) -o $@ $<

# ---------------------------------------------------------------------------
# Documents: both are woven from the same sources; asciidoctor warnings are
# errors.

DOC := $(BUILD)/doc
SVGS := $(patsubst diagrams/%.dot,$(BUILD)/diagrams/%.svg,$(DIAGRAMS))
SPEC_PROSE := $(wildcard spec/*.adoc)
# The headers the specification lists whole: tangled without #line.
DOC_TREE := $(BUILD)/doc-tree
ADOC_FLAGS := --failure-level=INFO -v -a imagesdir=$(abspath $(BUILD)/diagrams) \
	-a uapiheader=$(abspath $(DOC_TREE)/include/uapi/linux/ioasid.h) \
	-a testifheader=$(abspath $(DOC_TREE)/drivers/iommu/ioasid/ioasid_testif.h)

$(DOC_TREE)/.stamp: $(SRCS) $(LIT)
	$(Q)$(LIT) tangle --no-line -o $(DOC_TREE) $(SRCS)
	$(Q)touch $@

spec: $(DOC)/ioasid-spec.html $(DOC)/ioasid-spec.pdf \
	$(DOC)/ioasid-reference.html $(DOC)/ioasid-reference.pdf

# graphviz warnings are errors too
$(BUILD)/diagrams/%.svg: diagrams/%.dot
	@mkdir -p $(dir $@)
	$(Q)dot -Tsvg -o $@ $< 2>$@.log; st=$$?; \
		if [ $$st -ne 0 ] || [ -s $@.log ]; then \
			cat $@.log >&2; rm -f $@; exit 1; fi

$(BUILD)/weave/%/.stamp: $(SRCS) $(LIT)
	$(Q)$(LIT) weave --doc=$* -o $(dir $@) $(SRCS)
	$(Q)touch $@

# $(1): document name, $(2): weave mode.  Each document includes its own
# traceability matrix: the specification's without results, the
# reference's with the results of the runs.
define doc_rules
$(DOC)/$(1).html: spec/$(1).adoc $(SPEC_PROSE) $(BUILD)/weave/$(2)/.stamp $(SVGS) \
		$(TRACE)/requirements-$(2).adoc $(DOC_TREE)/.stamp $(DOC_GEN_$(2))
	@mkdir -p $(DOC)
	@echo "  HTML    $$@"
	$(Q)asciidoctor $(ADOC_FLAGS) -a data-uri $(DOC_ATTRS_$(2)) \
		-a traceability=$(abspath $(TRACE)/requirements-$(2).adoc) \
		-a wovendir=$(abspath $(BUILD)/weave/$(2)) -o $$@ $$<
$(DOC)/$(1).pdf: spec/$(1).adoc $(SPEC_PROSE) $(BUILD)/weave/$(2)/.stamp $(SVGS) \
		$(TRACE)/requirements-$(2).adoc $(DOC_TREE)/.stamp $(DOC_GEN_$(2))
	@mkdir -p $(DOC)
	@echo "  PDF     $$@"
	$(Q)asciidoctor-pdf $(ADOC_FLAGS) $(DOC_ATTRS_$(2)) \
		-a traceability=$(abspath $(TRACE)/requirements-$(2).adoc) \
		-a wovendir=$(abspath $(BUILD)/weave/$(2)) -o $$@ $$<
endef
# What only the reference includes: the harness chapter's generated tables.
DOC_GEN_reference = $(BUILD)/harness/excluded.adoc
DOC_ATTRS_reference = -a harnessexcluded=$(abspath $(BUILD)/harness/excluded.adoc)
# The harness's coverage table, once make harness-coverage has made it (make
# check does, before it renders the documents again).
HARNESS_COVERAGE := $(wildcard $(BUILD)/harness/coverage/summary.adoc)
DOC_GEN_reference += $(HARNESS_COVERAGE)
DOC_ATTRS_reference += $(if $(HARNESS_COVERAGE),-a harnesscoverage=$(abspath $(HARNESS_COVERAGE)))
$(eval $(call doc_rules,ioasid-spec,spec))
$(eval $(call doc_rules,ioasid-reference,reference))

# ---------------------------------------------------------------------------
# Lint: checkpatch --strict on the tree as it would be submitted, and
# kernel-doc on the uAPI header, warnings being errors.

LINT_TREE := $(BUILD)/lint-tree

lint: $(LIT) $(BUILD)/ksrc/.done
	$(Q)rm -rf $(LINT_TREE)
	$(Q)$(LIT) tangle --no-line -o $(LINT_TREE) $(SRCS)
	$(Q)tools/lint.sh --checkpatch $(CHECKPATCH) \
		--kernel-doc $(KERNEL_DOC) --tree $(LINT_TREE) \
		--counts $(BUILD)/results/lint.counts

# ---------------------------------------------------------------------------
# Tests.  Each step writes its counts to $(BUILD)/results; tools/check.sh
# runs every step even after a failure and prints the total last.

RUN_TIMEOUT ?= 600

check: all
	$(Q)$(MAKE) --no-print-directory -s check-steps

check-steps:
	$(Q)BUILD=$(BUILD) KERNELS="$(KERNELS)" MAKE="$(MAKE)" \
		tools/check.sh

# One conformance run on kernel $(1).  The debug kernel needs more memory
# (KASAN's shadow) and more time per test.
RUN_ARGS_debug := --memory 1024 --test-timeout 300

define conformance_rules
.PHONY: conformance-$(1)
conformance-$(1): $(call MODULES_OF,$(1)) $(TEST_BINS)
	@mkdir -p $(BUILD)/results $(BUILD)/runs/$(1)
	$(Q)$(DRIVER) run --kernel $(VMLINUZ_$(1)) --kernel-name $(1) \
		--module $(call MODULES_OF,$(1)) --tests $(BUILD)/tests \
		--run-timeout $(RUN_TIMEOUT) --workdir $(BUILD)/runs/$(1) \
		--json $(BUILD)/results/conformance-$(1).json \
		--counts $(BUILD)/results/conformance-$(1).counts \
		--junit $(BUILD)/results/conformance-$(1).xml \
		--log $(BUILD)/runs/$(1)/console.log $(RUN_ARGS_$(1))
endef
$(foreach k,$(KERNELS),$(eval $(call conformance_rules,$(k))))

# The self-checks show that runs fail when they must.  On the newest stock
# kernel: a planted kernel WARN and a failing assertion each fail a run,
# without the conformance test interface the tests that need it are
# skipped with the reason, never passed, and modules built with one
# requirement deliberately broken make the requirement report name that
# requirement, and only it, as failed.
# On the debug kernel: a use-after-free, a leak on an error path and an
# inverted lock order, each planted in a module driven by a fail-nth
# sweep, each fail a run with the report of its checker, while the same
# module without a bug passes.
SELFCHECK_K := $(lastword $(KSERIES))
SELFCHECK := $(BUILD)/selfcheck
PLANT_BUGS := none uaf leak lockorder
BROKEN_VARIANTS := noseek iotlb replace stale
SELFCHECK_SRCS := $(wildcard conformance/selfcheck/*.c) conformance/selfcheck/Kbuild

# $(1): directory, $(2): kernel, $(3): extra make arguments
define selfcheck_module
	@mkdir -p $(1)
	$(Q)cp $(SELFCHECK_SRCS) $(1)/
	$(Q)$(MAKE) -s -C $(KDIR_$(2)) M=$(abspath $(1)) $(3) modules \
		> $(1)/kbuild.log 2>&1 || { cat $(1)/kbuild.log; exit 1; }
endef

$(SELFCHECK)/mod/plant_warn.ko: $(SELFCHECK_SRCS) $(KSTAMP_$(SELFCHECK_K))
	$(call selfcheck_module,$(dir $@),$(SELFCHECK_K))

$(SELFCHECK)/plant-%/plant_bug.ko: $(SELFCHECK_SRCS) $(KSTAMP_debug)
	$(call selfcheck_module,$(dir $@),debug,PLANT_BUG=$(filter-out none,$*))

$(SELFCHECK)/tests/fail_test: conformance/selfcheck/fail_test.c $(BUILD)/ksrc/.done
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(TEST_CFLAGS) -o $@ $<

$(SELFCHECK)/plant-tests/plant_test: conformance/selfcheck/plant_test.c \
		$(TEST_HDRS) $(TREE)/.stamp $(BUILD)/ksrc/.done
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(TEST_CFLAGS) -o $@ $<

.PHONY: selfcheck selfcheck-stock selfcheck-debug
selfcheck: selfcheck-stock selfcheck-debug

selfcheck-stock: $(SELFCHECK)/mod/plant_warn.ko $(SELFCHECK)/tests/fail_test \
		$(call MODULES_OF,$(SELFCHECK_K)) $(TEST_BINS)
	$(Q)cp $(BUILD)/tests/api_test $(SELFCHECK)/tests/
	$(Q)status=0; \
	conformance/selfcheck/run.sh "$(DRIVER)" $(VMLINUZ_$(SELFCHECK_K)) \
		$(call MODULES_OF,$(SELFCHECK_K)) $(SELFCHECK)/mod/plant_warn.ko \
		-- $(SELFCHECK)/tests $(SELFCHECK)/run \
		$(BUILD)/results/selfcheck-stock.warn.counts || status=1; \
	conformance/selfcheck/absent.sh "$(DRIVER)" $(VMLINUZ_$(SELFCHECK_K)) \
		$(firstword $(call MODULES_OF,$(SELFCHECK_K))) $(BUILD)/tests \
		$(SELFCHECK)/run-absent \
		$(BUILD)/results/selfcheck-stock.testif-absent.counts || status=1; \
	for variant in $(BROKEN_VARIANTS); do \
		conformance/selfcheck/broken.sh "$(DRIVER)" "$(REPORT)" \
			$(VMLINUZ_$(SELFCHECK_K)) $(KDIR_$(SELFCHECK_K)) \
			$(call MODDIR,$(SELFCHECK_K)) $(BUILD)/tests \
			$(SELFCHECK)/broken-$$variant \
			$(BUILD)/results/selfcheck-stock.broken-$$variant.counts \
			$$variant || status=1; \
	done; \
	exit $$status

selfcheck-debug: $(foreach b,$(PLANT_BUGS),$(SELFCHECK)/plant-$(b)/plant_bug.ko) \
		$(SELFCHECK)/plant-tests/plant_test
	$(Q)status=0; for bug in $(PLANT_BUGS); do \
		conformance/selfcheck/plant.sh "$(DRIVER)" $(VMLINUZ_debug) \
			$(SELFCHECK)/plant-$$bug/plant_bug.ko $(SELFCHECK)/plant-tests \
			$(SELFCHECK)/run-$$bug $$bug \
			$(BUILD)/results/selfcheck-debug.plant-$$bug.counts || status=1; \
	done; exit $$status

# Requirements: every requirement of the spec has a test (or a reason why
# it cannot), every test names existing requirements; the report maps
# requirements to tests and their results on each kernel.  Both documents
# include it as their traceability matrix, ordered by chapter with the
# annex last; only the reference's shows results.

.PHONY: traceability report
traceability:
	@mkdir -p $(BUILD)/results
	$(Q)$(REPORT) --check --counts $(BUILD)/results/traceability.counts

REPORT_DEPS := $(SRCS) $(SPEC_PROSE) $(TEST_SRCS) $(TEST_HDRS) \
	$(wildcard conformance/driver/ioasid_conform/*.py)

# The specification's matrix: requirement -> tests, no results, so it
# does not change with the runs.
$(TRACE)/requirements-spec.adoc: $(REPORT_DEPS)
	@mkdir -p $(TRACE)
	$(Q)$(REPORT) --adoc-no-results $@

# The reference's matrix: the same, with the result on each kernel.
$(TRACE)/requirements-reference.adoc: $(REPORT_DEPS) $(RESULTS_JSON)
	@mkdir -p $(TRACE)
	$(Q)$(REPORT) $(if $(RESULTS_JSON),--results $(RESULTS_JSON)) \
		--adoc $@ --json $(TRACE)/requirements.json

report: $(TRACE)/requirements-reference.adoc
	$(Q)$(REPORT) $(if $(RESULTS_JSON),--results $(RESULTS_JSON)) \
		--junit $(BUILD)/results/conformance.junit.xml --text

.PHONY: driver-check
driver-check: $(KSTAMP_6.1)
	@mkdir -p $(BUILD)/results
	$(Q)IOASID_TEST_KERNEL=$$(readlink -f $(VMLINUZ_6.1)) \
		$(PYTHON) conformance/driver/selftest.py \
		--counts $(BUILD)/results/driver.counts

# ---------------------------------------------------------------------------
# Benchmark, not a test and not part of check: one boot of the stock 6.12
# kernel under QEMU (q35, emulated intel-iommu, edu device) that times
# IOASID_MAP_DMA/UNMAP_DMA of 1 GiB on a mock test device against VFIO
# type1's VFIO_IOMMU_MAP_DMA/UNMAP_DMA of the same memory.  BENCH_ARGS
# passes options to tools/bench.py (e.g. --mib 256 --reps 5).

BENCH_K := 6.12
BENCH_BIN := $(BUILD)/bench/ioasid_bench

$(BENCH_BIN): bench/ioasid_bench.c $(TREE)/.stamp
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -static \
		-I$(TREE)/include/uapi -I$(TREE)/drivers/iommu/ioasid -o $@ $<

.PHONY: bench
bench: $(BENCH_BIN) $(call MODULES_OF,$(BENCH_K)) bench/init.sh tools/bench.py
	$(Q)$(PYTHON) tools/bench.py --kernel $(VMLINUZ_$(BENCH_K)) \
		--modroot $(MODROOT_$(BENCH_K)) --release $(KRELEASE_$(BENCH_K)) \
		$(foreach m,$(call MODULES_OF,$(BENCH_K)),--module $(m)) \
		--bench $(BENCH_BIN) --init bench/init.sh \
		--workdir $(BUILD)/bench $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)/tree $(BUILD)/obj $(BUILD)/tests $(BUILD)/doc \
		$(BUILD)/weave $(BUILD)/diagrams $(BUILD)/results $(BUILD)/runs \
		$(BUILD)/lint-tree $(BUILD)/tools $(BUILD)/selfcheck $(TRACE) \
		$(DOC_TREE)

# Also drops the fetched kernels and extracted kernel sources.
distclean:
	rm -rf $(BUILD)

# The core in user space under ASan/UBSan (issue 14): make harness-check
include harness/harness.mk
