# starmm — build, tests, demo. Outputs go to build/ (build-asan/ for `make asan`).
#
#   make            build everything
#   make check      install missing Debian packages, build, run every test
#   make asan       the unit tests and a short difftest under ASan+UBSan
#   make demo       the design note's middle-unmap scenario through the model
#   make difftest OPS=N SEED=S   the differential test against the kernel
#   make bench      the benchmarks of scripts/ (not tests)

B ?= build
CC ?= gcc
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -I. -MMD -MP
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ifeq ($(SAN),1)
CFLAGS += $(SAN_FLAGS) -O1
LDFLAGS += $(SAN_FLAGS)
endif
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)
LIBS = -lbsd

# One static library per layer, bottom to top (link order is the reverse).
INJECT_SRC := fault/inject.c fault/points.c
# fault/ above the memory manager: what a fault means, crash reports (libunwind over ptrace).
CRASH_SRC := fault/crash.c fault/decide.c
VMO_SRC := $(wildcard vmo/*.c)
MM_SRC := $(wildcard mm/*.c)
TRACER_SRC := $(filter-out tracer/main.c,$(wildcard tracer/*.c))

INJECT_LIB := $(B)/libinject.a
VMO_LIB := $(B)/libvmo.a
MM_LIB := $(B)/libmm.a
TRACER_LIB := $(B)/libtracer.a
CRASH_LIB := $(B)/libcrash.a
UNWIND_LIBS := $(shell pkg-config --libs libunwind-ptrace 2>/dev/null || echo -lunwind-ptrace -lunwind-generic -lunwind)
LAYER_LIBS := $(MM_LIB) $(VMO_LIB) $(INJECT_LIB)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
DIFFTEST_SRC := $(wildcard tests/difftest/*.c)
DIFFTEST_BIN := $(B)/difftest
DEMO_BIN := $(B)/starmm-demo
DEMO_PROG := $(B)/demo/middle-exec
BENCH_SRC := $(wildcard scripts/bench/*.c)
BENCH_BIN := $(patsubst scripts/bench/%.c,$(B)/bench/%,$(BENCH_SRC))
TRACER_REMOTE_BIN := $(B)/tests/tracer_remote
RUN_BIN := $(B)/starmm-run
TRACER_PROG_SRC := $(wildcard tests/progs/*.c)
TRACER_PROG_BIN := $(patsubst tests/progs/%.c,$(B)/tests/progs/%,$(TRACER_PROG_SRC))
TRACER_FILTER_TEST := $(B)/tests/tracer/filter_test
TRACER_CRASH_TEST := $(B)/tests/tracer/crash_test
# The test programs are the workload, not starmm code: plain flags, never sanitizers (ASan
# would turn raise(SIGSEGV) into its own report and exit status).
TRACER_PROG_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -O2 -g

OPS ?= 2000
SEED ?= 1

.PHONY: all check test unit asan demo difftest bench clean format deps tracer-test \
	fault-sweep-test
# Keep object files that pattern rules would treat as intermediate.
.SECONDARY:
all: $(LAYER_LIBS) $(RUN_BIN) $(UNIT_BIN) $(DIFFTEST_BIN) $(DEMO_BIN) $(DEMO_PROG) $(BENCH_BIN) \
	$(TRACER_REMOTE_BIN) $(TRACER_PROG_BIN) $(TRACER_FILTER_TEST) $(TRACER_CRASH_TEST)

deps:
	@bash scripts/deps.sh

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory test

# Every test: unit tests, starmm-run's, the fault sweep's, then the differential test
# (several seeds, one unprivileged pass).
test: unit tracer-test fault-sweep-test
	@bash tests/run-difftest.sh $(B)/difftest

# starmm-run itself: the remote-call layer against a traced child, then real programs
# natively and under starmm-run.
tracer-test: $(RUN_BIN) $(TRACER_REMOTE_BIN) $(TRACER_PROG_BIN) $(TRACER_FILTER_TEST) \
	$(TRACER_CRASH_TEST)
	@bash tests/tracer/remote/run.sh $(TRACER_REMOTE_BIN)
	@$(TRACER_CRASH_TEST)
	@bash tests/tracer/run.sh $(B)

# scripts/fault-sweep: sweeps of test programs, and the multi-machine path on one machine.
fault-sweep-test: $(RUN_BIN) $(TRACER_PROG_BIN)
	@bash tests/fault-sweep/run.sh $(B)

unit: $(UNIT_BIN)
	@bash tests/run-unit.sh $(UNIT_BIN)

asan: deps
	@$(MAKE) --no-print-directory B=build-asan SAN=1 all
	@$(MAKE) --no-print-directory B=build-asan SAN=1 unit
	@build-asan/difftest --ops 3000 --seed 7

# The model alone (the design note's scenario, both split policies), then a real program
# doing the same under starmm-run.
demo: deps
	@$(MAKE) --no-print-directory $(DEMO_BIN) $(DEMO_PROG) $(RUN_BIN)
	@$(DEMO_BIN)
	@echo
	@echo "== the same in a real program: starmm-run --trace --verify=op --stats -- $(DEMO_PROG)"
	@$(RUN_BIN) --trace --verify=op --stats -- $(DEMO_PROG)

difftest: $(DIFFTEST_BIN)
	@$(DIFFTEST_BIN) --ops $(OPS) --seed $(SEED)

# The memory manager's own benchmarks, then starmm-run against native and strace (W1-W7).
bench: $(BENCH_BIN) $(RUN_BIN)
	@bash scripts/bench-mm.sh $(B)
	@bash scripts/bench.sh $(B)

$(INJECT_LIB): $(INJECT_SRC:%.c=$(B)/%.o)
$(VMO_LIB): $(VMO_SRC:%.c=$(B)/%.o)
$(MM_LIB): $(MM_SRC:%.c=$(B)/%.o)
$(TRACER_LIB): $(TRACER_SRC:%.c=$(B)/%.o)
$(CRASH_LIB): $(CRASH_SRC:%.c=$(B)/%.o)

$(B)/%.a:
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/tests/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

$(B)/tests/%: $(B)/tests/%.o $(B)/tests/unit/testutil.o $(CRASH_LIB) $(LAYER_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LIBS)

$(DIFFTEST_BIN): $(DIFFTEST_SRC:%.c=$(B)/%.o) $(LAYER_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(RUN_BIN): $(B)/tracer/main.o $(TRACER_LIB) $(CRASH_LIB) $(LAYER_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp $(UNWIND_LIBS) $(LIBS)

$(TRACER_CRASH_TEST): $(B)/tests/tracer/crash_test.o $(CRASH_LIB) $(LAYER_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(UNWIND_LIBS) $(LIBS)

$(TRACER_PROG_BIN): $(B)/tests/progs/%: tests/progs/%.c tests/progs/progs.h
	@mkdir -p $(@D)
	$(CC) $(TRACER_PROG_CFLAGS) $(if $(filter static_%,$*),-static) -o $@ $< -lpthread

$(TRACER_FILTER_TEST): $(B)/tests/tracer/filter_test.o $(B)/tracer/filter.o
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp

# The remote-call test drives a real traced child: trampoline, batches, the ptrace backend.
$(TRACER_REMOTE_BIN): $(B)/tests/tracer/remote/test_remote.o $(TRACER_LIB) $(LAYER_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp $(LIBS)

$(DEMO_PROG): mm/demo/middle-exec.c
	@mkdir -p $(@D)
	$(CC) $(TRACER_PROG_CFLAGS) -o $@ $<

$(DEMO_BIN): $(B)/mm/demo/starmm-demo.o $(LAYER_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The model benchmark links a stub VMO layer ahead of libvmo.a (only vmar.o is pulled from it).
$(B)/bench/mm_ops: $(B)/scripts/bench/mm_ops.o $(B)/scripts/bench/stub/vmo_stub.o $(LAYER_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/bench/%: $(B)/scripts/bench/%.o $(LAYER_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan

-include $(shell find $(B) -name '*.d' 2>/dev/null)
