# SPDX-License-Identifier: GPL-2.0
#
# Line and branch coverage of the core, the mock framework and the mock
# IOMMU in user space (issue 14).  Included at the end of harness.mk, whose
# variables it uses.
#
#   make harness-coverage   run every conformance test program against a
#                           coverage build of the harness library, then the
#                           fuzzer's corpus if the fuzzer is there, and
#                           write the reports under $(HB)/coverage
#
# The coverage build compiles the same sources as the library of
# harness.mk, with the same flags but without the sanitizers, in its own
# directory $(HB)/cov: the core and the two mocks with --coverage (at -O0,
# so that every source line keeps its own code), the shim, xarray, rbtree
# and the interposer without.  -fprofile-update=atomic because the tests
# run several threads in the core at once.  The tangled sources carry
# #line directives, so gcov counts the lines of src/*.adoc.
#
# The test programs are those of $(HB)/tests, built with ASan, run by the
# driver's harness target as harness-check runs them (the exclusions of
# harness/EXCLUDED do not run): the sanitizer runtime is preloaded first,
# then the coverage library.  The kselftest harness runs each test in a child that
# leaves by _exit(), which does not write the counters;
# harness/coverage/gcov_exit.c, linked into the coverage library only
# (with --wrap=syscall), writes them when the interposer ends the
# process.
#
# Then, if harness/fuzz/fuzz.mk defines FUZZ_SRCS, the fuzzer's replay
# program is built with the same counters (harness/coverage/replay.sh)
# and run over the files of H_COV_CORPUS (the fuzzer's corpus and seeds;
# "make harness-coverage H_COV_CORPUS=DIR" replays another directory).
# gcov's JSON reports are taken after the suite and again after the
# corpus (harness/coverage/gcov-json.sh); the driver's coverage
# subcommand (conformance/driver/ioasid_conform/coverage.py) makes the
# reports.  H_COV_OBJS follows harness.mk's H_CORE, H_MOCK and H_SHIM; an
# object added to harness.mk's library outside those lists must be added
# here too.
#
# Reports (all in $(HB)/coverage):
#   summary.adoc    per-file table, suite and suite + corpus, for the
#                   reference document
#   unreached.txt   the lines of the core that the suite does not reach
# and one line on stdout.  The target fails if the suite reaches less than
# $(H_COV_MIN)% of the core's lines, or if a line of the core it does not
# reach has no entry in harness/coverage/UNREACHED; entries that match
# nothing are reported as stale.

HCOV := $(HB)/cov
HCOV_OUT := $(HB)/coverage
H_COV_MIN ?= 90
H_COV_BASE := $(filter-out $(H_SAN),$(H_CFLAGS))
H_COV_CFLAGS := $(filter-out -O1,$(H_COV_BASE)) -O0 --coverage \
	-fprofile-update=atomic
H_COV_MEASURED := $(H_CORE) $(H_MOCK)
H_COV_OBJS := $(patsubst %,$(HCOV)/obj/%.o,$(H_COV_MEASURED) $(H_SHIM) \
	xarray rbtree interpose gcov_exit)
H_COV_LIB := $(HCOV)/libioasid_harness_cov.so

# a new object's counters start from nothing
$(eval $(call h_objects,$(HCOV),$(CC),$(H_COV_CFLAGS),$(H_COV_BASE),rm -f $$(@:.o=.gcda)))

$(HCOV)/obj/interpose.o: harness/interpose/interpose.c $(H_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(H_COV_BASE) -c -o $@ $<

$(HCOV)/obj/gcov_exit.o: harness/coverage/gcov_exit.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(H_COV_BASE) -c -o $@ $<

$(H_COV_LIB): $(H_COV_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) -shared --coverage -Wl,--wrap=syscall -o $@ $(H_COV_OBJS) \
		-ldl -lpthread

# The fuzzer's replay program, if harness/fuzz/fuzz.mk defines FUZZ_SRCS
# (looked at when the recipe runs, so the order of the includes does not
# matter): its sources compiled with the coverage flags and linked with
# the coverage objects (not the interposer, as fuzz.mk's own replay), so
# that the corpus adds to the suite's counters.
H_COV_CORPUS := $(HB)/fuzz/corpus $(HB)/fuzz/seeds
H_COV_REPLAY_OBJS := $(filter-out $(HCOV)/obj/interpose.o $(HCOV)/obj/gcov_exit.o,$(H_COV_OBJS))


H_COV_COMMA := ,
H_COV_SPACE := $(subst ,, )
H_COV_GROUPS := --group core=$(subst $(H_COV_SPACE),$(H_COV_COMMA),$(H_CORE)) \
	--group mock=$(subst $(H_COV_SPACE),$(H_COV_COMMA),$(filter mock,$(H_MOCK))) \
	--group 'mock IOMMU=$(subst $(H_COV_SPACE),$(H_COV_COMMA),$(filter mock_iommu,$(H_MOCK)))'

.PHONY: harness-coverage
harness-coverage: $(H_COV_LIB) $(H_TEST_BINS)
	$(Q)start=$$(date +%s); rm -rf $(HCOV_OUT) $(HCOV)/runs $(HCOV)/json; \
	mkdir -p $(HCOV_OUT) $(HCOV)/json/suite $(HCOV)/json/all; \
	rm -rf $(HCOV)/obj/*.gcda $(HCOV)/fuzz; \
	mkdir -p $(HCOV)/runs; \
	$(DRIVER) harness --tests $(HB)/tests --kernel-name coverage \
		--preload $(shell $(CC) -print-file-name=libasan.so) \
		--preload $(abspath $(H_COV_LIB)) \
		$(foreach v,$(H_RUN_ENV),--env $(v)) \
		--excluded harness/EXCLUDED --log $(HCOV)/runs/tests.log \
		>$(HCOV)/runs/driver.out 2>&1 || \
		echo "  COV     $$(tail -1 $(HCOV)/runs/driver.out); harness-check is where they count (log: $(HCOV)/runs/tests.log)"; \
	harness/coverage/gcov-json.sh $(HCOV)/json/suite $(patsubst \
		%,$(HCOV)/obj/%.o,$(H_COV_MEASURED)) || exit 1; \
	corpus=--no-corpus; \
	if [ -n "$(strip $(FUZZ_SRCS))" ]; then \
		harness/coverage/replay.sh "$(CC)" "$(H_COV_CFLAGS)" $(HCOV)/fuzz \
			$(HCOV)/runs "$(H_COV_CORPUS)" "$(H_COV_REPLAY_OBJS)" \
			$(FUZZ_SRCS); rc=$$?; [ $$rc = 0 ] && corpus=; \
		[ $$rc = 0 ] || [ $$rc = 3 ] || exit 1; \
	else echo "  COV     no fuzzer (harness/fuzz/fuzz.mk, FUZZ_SRCS): suite only"; fi; \
	harness/coverage/gcov-json.sh $(HCOV)/json/all $(patsubst \
		%,$(HCOV)/obj/%.o,$(H_COV_MEASURED)) \
		$$(ls $(HCOV)/fuzz/obj/*.o 2>/dev/null) || exit 1; \
	$(DRIVER) coverage $(H_COV_GROUPS) $$corpus \
		--suite $(HCOV)/json/suite --all $(HCOV)/json/all \
		--sources 'src/*.adoc' --core core --min-lines $(H_COV_MIN) \
		--explanations harness/coverage/UNREACHED \
		--adoc $(HCOV_OUT)/summary.adoc \
		--unreached $(HCOV_OUT)/unreached.txt; status=$$?; \
	echo "  COV     $$(( $$(date +%s) - start )) s"; exit $$status
