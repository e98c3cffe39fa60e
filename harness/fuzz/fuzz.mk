# SPDX-License-Identifier: GPL-2.0
#
# A command-aware libFuzzer fuzzer of the core in user space (issue 14,
# deliverable 3): the objects of harness.mk built again with clang under
# ASan, UBSan and libFuzzer's coverage, and a target (harness/fuzz/fuzz.c)
# that decodes its input into commands on /dev/ioasid descriptors, the
# mock framework's devices and the test interface, with the address space
# changing under them; after each input every descriptor is closed and
# nothing may be left pinned, charged, allocated, open or locked.
#
#   make fuzz          fuzz for FUZZ_TIME seconds (default 600) from the
#                      seeds and the corpus, in FUZZ_WORKERS processes
#                      (default 1), at most FUZZ_RUNS executions if set;
#                      one summary line at the end
#   make fuzz-check    replay the seeds and the corpus, then fuzz 60 s;
#                      fails on any finding
#   make fuzz-seeds    record the conformance tests' ioctl sequences as
#                      seeds (build/harness/fuzz/seeds)
#
# Seeds: the conformance tests run with an extra LD_PRELOAD library,
# harness/fuzz/trace.c, between the sanitizer runtime and the harness
# library (so the interposer itself is unchanged); with
# IOASID_HARNESS_TRACE=dir it writes the opens, closes, dups, memory
# changes and ioctls of each process in the fuzzer's input format into
# dir, one file per stretch from nothing open to nothing open (at most 64
# per process, 4096 bytes each).  harness/fuzz/seedgen.c writes a few
# hand-made seeds besides.  Nothing generated is committed.
#
# LeakSanitizer is off: the shim's own accounting (shim_live_allocations)
# checks the core's allocations after every input, and LSan's end-of-run
# check crashed in its symbolizer in this process.
#
# Replay without libFuzzer (for a gcc --coverage build): compile
# $(FUZZ_SRCS) with -DFUZZ_REPLAY_MAIN and the same -I/-D flags as the
# harness objects, link with those objects (not the interposer: the
# target calls the shim itself), and run it on files or directories:
#
#   gcc $(H_CFLAGS minus the sanitizers) --coverage -DFUZZ_REPLAY_MAIN \
#       -o replay $(FUZZ_SRCS) <core, mock, shim, xarray, rbtree objects> \
#       -ldl -lpthread
#   ./replay build/harness/fuzz/corpus build/harness/fuzz/seeds
#
# make harness-coverage (harness/coverage/coverage.mk) does exactly this
# with FUZZ_SRCS; make fuzz-replay builds such a program ($(FZ)/replay)
# from the gcc objects of harness.mk, without coverage.  The target
# prints each call with IOASID_FUZZ_DEBUG=1 in the environment.

FZ := $(HB)/fuzz
FZ_CC := clang-14
FUZZ_SRCS := harness/fuzz/fuzz.c
FUZZ_TIME ?= 600
FUZZ_RSS_MB ?= 2048
FUZZ_TIMEOUT ?= 10
# Inputs of at most this many bytes: a few dozen commands.  Longer ones
# run slower than they find (every command is a few real system calls of
# the shim), and a seed's beginning is where its setup is.
FUZZ_MAX_LEN ?= 1024
FZ_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
FZ_BASE_CFLAGS := -std=gnu11 -g -O1 -Wall -Wno-unused-function \
	-D_GNU_SOURCE -Iharness/shim/include -I$(TREE)/include \
	-I$(TREE)/drivers/iommu/ioasid -I$(H_KSRC)
# libFuzzer's coverage feedback comes from the core, the mocks and the
# target; the shim, xarray and rbtree are built with the sanitizers only,
# so that their branches neither slow every input down nor count as new
# behaviour of the code under test.
FZ_CFLAGS := $(FZ_BASE_CFLAGS) $(FZ_SAN) -fsanitize=fuzzer-no-link
FZ_OTHER_CFLAGS := $(FZ_BASE_CFLAGS) $(FZ_SAN)
FZ_OBJS := $(patsubst %,$(FZ)/obj/%.o,$(H_CORE) $(H_MOCK) $(H_SHIM) xarray rbtree)
FZ_BIN := $(FZ)/ioasid_fuzz
FZ_REPLAY := $(FZ)/replay
FZ_TRACE_LIB := $(FZ)/libioasid_trace.so
FZ_SEEDS := $(FZ)/seeds
FZ_CORPUS := $(FZ)/corpus
FZ_ART := $(FZ)/artifacts
FZ_TRACE_SRCS := harness/fuzz/trace.c
FZ_HDRS := harness/fuzz/fuzz_format.h

$(eval $(call h_objects,$(FZ),$(FZ_CC),$(FZ_CFLAGS),$(FZ_OTHER_CFLAGS)))

$(FZ)/obj/fuzz.o: $(FUZZ_SRCS) $(FZ_HDRS) $(H_HDRS) $(TREE)/.stamp
	@mkdir -p $(dir $@)
	@echo "  CLANG   $@"
	$(Q)$(FZ_CC) $(FZ_CFLAGS) -c -o $@ harness/fuzz/fuzz.c

# Linked aside and renamed, so that a fuzzer still running keeps its
# binary intact.
$(FZ_BIN): $(FZ)/obj/fuzz.o $(FZ_OBJS)
	@echo "  LD      $@"
	$(Q)$(FZ_CC) -fsanitize=fuzzer,address,undefined -o $@.tmp $^ -ldl -lpthread
	$(Q)mv -f $@.tmp $@

# The replay program, gcc, without libFuzzer, from harness.mk's objects.
$(FZ_REPLAY): $(FUZZ_SRCS) $(FZ_HDRS) $(filter-out $(HB)/obj/interpose.o,$(H_OBJS))
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(H_CFLAGS) -DFUZZ_REPLAY_MAIN -o $@.tmp $(FUZZ_SRCS) \
		$(filter-out $(HB)/obj/interpose.o,$(H_OBJS)) -ldl -lpthread
	$(Q)mv -f $@.tmp $@

# The tracer: no sanitizer of its own; it runs between libasan and the
# harness library.
$(FZ_TRACE_LIB): $(FZ_TRACE_SRCS) $(FZ_HDRS) $(TREE)/.stamp
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) -std=gnu11 -g -O1 -Wall -fPIC -shared -D_GNU_SOURCE \
		-I$(TREE)/include/uapi -I$(TREE)/drivers/iommu/ioasid \
		-o $@ $(FZ_TRACE_SRCS) -ldl

$(FZ)/seedgen: harness/fuzz/seedgen.c $(FZ_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) -std=gnu11 -g -O1 -Wall -o $@ $<

# One seed file per process of each conformance test; a test that runs
# too long is cut off, what it traced so far stays.
$(FZ_SEEDS)/.done: $(FZ_TRACE_LIB) $(FZ)/seedgen $(H_LIB) $(H_TEST_BINS)
	$(Q)rm -rf $(FZ_SEEDS) && mkdir -p $(FZ_SEEDS)
	@echo "  SEEDS   $(FZ_SEEDS)"
	$(Q)for t in $(H_TEST_BINS); do \
		IOASID_HARNESS_TRACE=$(abspath $(FZ_SEEDS)) \
		LD_PRELOAD="$(shell $(CC) -print-file-name=libasan.so) $(abspath $(FZ_TRACE_LIB)) $(abspath $(H_LIB))" \
		$(H_RUN_ENV) timeout -s KILL 120 $$t >/dev/null 2>&1 || true; \
	done
	$(Q)$(FZ)/seedgen $(FZ_SEEDS)
	$(Q)find $(FZ_SEEDS) -type f -empty -delete
	@echo "  SEEDS   $$(ls $(FZ_SEEDS) | wc -l) files"
	$(Q)touch $@

FZ_RUN_ENV := ASAN_SYMBOLIZER_PATH=$(firstword $(wildcard /usr/lib/llvm-14/bin/llvm-symbolizer /usr/bin/llvm-symbolizer)) \
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1:handle_abort=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
FZ_FLAGS := -detect_leaks=0 -rss_limit_mb=$(FUZZ_RSS_MB) -timeout=$(FUZZ_TIMEOUT) -max_len=$(FUZZ_MAX_LEN) \
	-print_final_stats=1 -artifact_prefix=$(abspath $(FZ_ART))/

# fuzz_summary LOG: the one line, from libFuzzer's final statistics; a
# finding is an artifact written (crash-, leak-, timeout-, oom-), or a
# failed exit without one
define fuzz_summary
	awk -v t0="$$t0" -v t1="$$(date +%s)" -v status="$$status" ' \
		/stat::number_of_executed_units:/ { n += $$2 } \
		/Test unit written to/ { a++ } \
		END { s = t1 - t0; if (s < 1) s = 1; if (!a && status) a = 1; \
		      printf "fuzz: %d executions in %d s, %d exec/s, %d findings\n", \
			n, s, n / s, a }' $(1)
endef

.PHONY: fuzz fuzz-check fuzz-seeds fuzz-bin fuzz-replay
fuzz-bin: $(FZ_BIN)
fuzz-seeds: $(FZ_SEEDS)/.done
fuzz-replay: $(FZ_REPLAY)

# FUZZ_WORKERS processes fuzz at once, sharing the corpus directory (each
# takes up what the others add to it), each with its own log
# $(FZ)/fuzz-K.log; each stops after FUZZ_TIME seconds or, if FUZZ_RUNS is
# set, after its share of FUZZ_RUNS executions.  The summary adds them up.
FUZZ_WORKERS ?= 1
FUZZ_RUNS ?=
fuzz: $(FZ_BIN) $(FZ_SEEDS)/.done
	$(Q)mkdir -p $(FZ_CORPUS) $(FZ_ART)
	$(Q)rm -f $(FZ)/fuzz-*.log
	$(Q)t0=$$(date +%s); status=0; pids=; \
	for k in $$(seq 1 $(FUZZ_WORKERS)); do \
		$(FZ_RUN_ENV) $(FZ_BIN) $(FZ_FLAGS) -max_total_time=$(FUZZ_TIME) \
			$(if $(FUZZ_RUNS),-runs=$$(( $(FUZZ_RUNS) / $(FUZZ_WORKERS) ))) \
			$(FZ_CORPUS) $(FZ_SEEDS) > $(FZ)/fuzz-$$k.log 2>&1 & \
		pids="$$pids $$!"; \
	done; \
	for p in $$pids; do wait $$p || status=$$?; done; \
	$(call fuzz_summary,$(FZ)/fuzz-*.log); \
	if [ $$status != 0 ]; then grep -m1 -A30 'ERROR\|invariant\|runtime error\|deadly' $(FZ)/fuzz-*.log; fi; \
	exit $$status

fuzz-check: $(FZ_BIN) $(FZ_SEEDS)/.done
	$(Q)mkdir -p $(FZ_CORPUS) $(FZ_ART)
	$(Q)t0=$$(date +%s); status=0; \
	$(FZ_RUN_ENV) $(FZ_BIN) $(FZ_FLAGS) -runs=0 \
		$(FZ_CORPUS) $(FZ_SEEDS) > $(FZ)/fuzz-check.log 2>&1 || status=$$?; \
	if [ $$status = 0 ]; then \
		$(FZ_RUN_ENV) $(FZ_BIN) $(FZ_FLAGS) -max_total_time=60 \
			$(FZ_CORPUS) $(FZ_SEEDS) >> $(FZ)/fuzz-check.log 2>&1 || status=$$?; \
	fi; \
	$(call fuzz_summary,$(FZ)/fuzz-check.log); \
	if [ $$status != 0 ]; then grep -m1 -A30 'ERROR\|invariant\|runtime error\|deadly' $(FZ)/fuzz-check.log; fi; \
	exit $$status
