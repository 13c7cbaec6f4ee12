# sentibt - one non-recursive Makefile.
#   make                 build ./sentibt (release, build/release/)
#   make SANITIZE=address,undefined test   sanitizer build in build/address,undefined/
#   make demo            install deps if missing, generate the sample, run a backtest + sweep
#   make test            install deps if missing, build with -Werror, run every test
#   make bench           the sweep benchmark (scripts/bench-sweep)
#   make bench-signal    signal build time per window (scripts/bench-signal)
#   make bench-kernel    the AVX-512 sweep kernel alone against a baseline (scripts/bench-kernel)
#   make bench-load      Tardis days to candles against zcat/igzip/libdeflate (scripts/bench-load)
#   make install         PREFIX=/usr/local DESTDIR=: the binary, the gnuplot scripts, a man
#                        page per command and the bash completion (both generated from --help)
#   make fuzz            fuzz every parser FUZZ_TIME s (clang, libFuzzer, ASan+UBSan; build/fuzz/)
#   make MPI=1           build/mpi/sentibt (and ./sentibt-mpi) with Open MPI: mpirun -np N
#                        sentibt-mpi sweep ... (docs/scale-out.md); `make test` builds it too
#                        when mpicc is installed, and tests/cli/mpi.sh runs it
#   V=1                  show full command lines
.DEFAULT_GOAL := all
CC      ?= cc
WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
           -Wformat=2 -Wpointer-arith -Wcast-align -Wwrite-strings -Wundef
OPT     ?= -O2 -g
override CFLAGS   += -std=c11 $(OPT) $(WARN) -fopenmp -ffp-contract=off -MMD -MP
override CPPFLAGS += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I/usr/include/cjson
LIBS     = -lsqlite3 -lcurl -lisal -lz -lpthread -lmsgpackc -lcjson -lcrypto -lm
override LDFLAGS  += -fopenmp

ifdef SANITIZE
override CFLAGS  += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
override LDFLAGS += -fsanitize=$(SANITIZE)
endif
ifdef WERROR
override CFLAGS  += -Werror
endif

comma := ,
BUILD := build/$(if $(SANITIZE),$(subst $(comma),-,$(SANITIZE)),release)

# MPI=1: Open MPI's compiler wrapper, its own build folder; run/mpi.c is the only file
# that calls MPI (without SB_MPI it compiles to a one-process stub).
ifdef MPI
CC    := mpicc
BUILD := build/mpi
override CPPFLAGS += -DSB_MPI
endif
MPICC := $(shell command -v mpicc 2>/dev/null)


ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC  := $(wildcard core/*.c engine/*.c loaders/*.c score/*.c strategies/*.c run/*.c report/*.c cli/cli_*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/cli/sentibt.o
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

# Fuzz harnesses (tests/fuzz/fuzz_<target>.c).  The normal build links each with
# tests/fuzz/replay.c, and unit-tests replays the checked-in corpus and crash inputs
# through it; `make fuzz` links them with libFuzzer instead (see below).
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY  := $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/replay_%)

# The commit and flags go into manifests; buildinfo.o is rebuilt every time (cheap).
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell \
	git diff --quiet HEAD 2>/dev/null || echo +dirty)
$(BUILD)/engine/buildinfo.o: override CPPFLAGS += -DSB_GIT_COMMIT='"$(GIT_COMMIT)"' \
	-DSB_CFLAGS='"$(strip $(CFLAGS))"'
$(BUILD)/engine/buildinfo.o: FORCE
FORCE:

# Keep test objects (make would delete them as intermediates and rebuild next time).
.SECONDARY:

.PHONY: all deps test test-programs test-mpi bench-mpi install doc FORCE unit-tests cli-tests demo bench bench-signal bench-kernel bench-load golden clean check \
	fuzz fuzz-build fuzz-merge fuzz-replay
all: sentibt

# ./sentibt always points at the release build; sanitizer builds stay in build/<sanitizer>/;
# the MPI build is ./sentibt-mpi.
ifdef SANITIZE
sentibt: $(BUILD)/sentibt
else ifdef MPI
sentibt: $(BUILD)/sentibt
	$(Q)ln -sf $< sentibt-mpi
else
sentibt: $(BUILD)/sentibt
	$(Q)ln -sf $< $@
endif

# Objects linked directly (not via the archive) so every cli_*.o command is present.
$(BUILD)/sentibt: $(MAIN_OBJ) $(LIB_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/libsentibt.a: $(LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# tests/testutil.c: temporary folders and files that several test programs share.
$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/tests/testutil.o $(BUILD)/libsentibt.a
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(FUZZ_REPLAY): $(BUILD)/tests/fuzz/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o \
		$(BUILD)/tests/fuzz/replay.o $(BUILD)/tests/fuzz/util.o $(BUILD)/libsentibt.a
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

deps:
	@scripts/install-deps

# Man pages and bash completion, generated from the binary's --help text (one source of
# truth: a command or option added to a table and its help appears in both).
# SENTIBT_INSTALL_BIN installs another build of the binary (the CLI test installs the one
# it tests).  The binary finds the gnuplot scripts in PREFIX/share/sentibt/report/ from
# its own path, so the tree can move as a whole (DESTDIR included).
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
DATADIR  = $(PREFIX)/share/sentibt
MANDIR   = $(PREFIX)/share/man/man1
COMPDIR  = $(PREFIX)/share/bash-completion/completions
SENTIBT_INSTALL_BIN ?= $(BUILD)/sentibt
DOC_DIR := $(BUILD)/doc

doc: $(DOC_DIR)/stamp
$(DOC_DIR)/stamp: $(SENTIBT_INSTALL_BIN) scripts/gen-man scripts/gen-completion
	@echo "  GEN     $(DOC_DIR)/man, $(DOC_DIR)/sentibt.bash"
	$(Q)rm -rf $(DOC_DIR) && mkdir -p $(DOC_DIR)/man
	$(Q)scripts/gen-man $(SENTIBT_INSTALL_BIN) $(DOC_DIR)/man >/dev/null
	$(Q)scripts/gen-completion $(SENTIBT_INSTALL_BIN) $(DOC_DIR)/sentibt.bash
	$(Q)touch $@

install: $(SENTIBT_INSTALL_BIN) $(DOC_DIR)/stamp
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/report $(DESTDIR)$(MANDIR) \
		$(DESTDIR)$(COMPDIR)
	install -m 755 $(SENTIBT_INSTALL_BIN) $(DESTDIR)$(BINDIR)/sentibt
	install -m 644 scripts/report/*.gp $(DESTDIR)$(DATADIR)/report/
	install -m 644 data/llm-prices.json $(DESTDIR)$(DATADIR)/
	install -m 644 $(DOC_DIR)/man/*.1 $(DESTDIR)$(MANDIR)/
	install -m 644 $(DOC_DIR)/sentibt.bash $(DESTDIR)$(COMPDIR)/sentibt

# Unit tests: one cmocka program per module, then the fuzz corpora and crash inputs
# replayed through each harness.  CLI tests: shell scripts that run ./sentibt.
unit-tests: $(TEST_BIN) $(FUZZ_REPLAY)
	@scripts/run-tests unit $(TEST_BIN)
	@scripts/run-tests fuzz $(FUZZ_REPLAY)

fuzz-replay: $(FUZZ_REPLAY)
	@scripts/run-tests fuzz $(FUZZ_REPLAY)

# With SANITIZE=..., the CLI tests run the sanitizer build of the binary.  The MPI
# tests (tests/cli/mpi*.sh) run build/mpi/sentibt, built by `make test` when mpicc is
# installed; they skip with a message when it or mpirun is missing.
cli-tests: sentibt
	@SENTIBT_BIN=$(BUILD)/sentibt $(if $(SANITIZE),SENTIBT_SANITIZED=1) \
		$(if $(SANITIZE),,SENTIBT_MPI_BIN=build/mpi/sentibt) \
		scripts/run-tests cli tests/cli/*.sh

# The programs the tests run, built on both cores first; the tests then run one by one.
test-programs: sentibt $(TEST_BIN) $(FUZZ_REPLAY)

test: deps
	$(if $(MPICC),@$(MAKE) -j2 --no-print-directory WERROR=1 MPI=1 sentibt)
	@$(MAKE) -j2 --no-print-directory WERROR=1 test-programs
	@$(MAKE) --no-print-directory WERROR=1 unit-tests cli-tests

# Only the MPI and batch tests, with the MPI build.
test-mpi: deps
	@$(MAKE) --no-print-directory WERROR=1 MPI=1 sentibt
	@$(MAKE) --no-print-directory WERROR=1 sentibt
	@SENTIBT_BIN=build/release/sentibt SENTIBT_MPI_BIN=build/mpi/sentibt \
		scripts/run-tests cli tests/cli/mpi*.sh tests/cli/batch*.sh

check: test

demo: deps
	@$(MAKE) --no-print-directory sentibt
	@scripts/demo

bench: deps
	@$(MAKE) --no-print-directory sentibt
	@scripts/bench-sweep

bench-mpi: deps
	@$(MAKE) --no-print-directory MPI=1 sentibt
	@scripts/bench-mpi

bench-signal: deps
	@$(MAKE) --no-print-directory sentibt
	@scripts/bench-signal

bench-kernel: deps
	@scripts/bench-kernel

bench-load:
	@scripts/install-deps bench
	@$(MAKE) --no-print-directory sentibt
	@scripts/bench-load

golden: sentibt
	@scripts/make-golden

# Fuzzing: every source compiled again with clang and ASan+UBSan (plus libFuzzer's
# coverage hooks) in build/fuzz/, each harness linked with libFuzzer, then run for
# FUZZ_TIME seconds on tests/fuzz/corpus/<target>/ (scripts/fuzz-run).  New inputs
# go to build/fuzz/corpus/<target>/ (`make fuzz-merge` adds those that bring new
# coverage to the checked-in corpus); crash inputs to tests/fuzz/crashes/<target>/.
FUZZ_CC    ?= clang-14
FUZZ_TIME  ?= 30
FUZZ_BUILD := build/fuzz
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -O1 -g $(WARN) -fopenmp -ffp-contract=off -MMD -MP $(FUZZ_SAN) \
	      -fsanitize=fuzzer-no-link
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_BIN     := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/libsentibt.a: $(FUZZ_LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_BIN): $(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o \
		$(FUZZ_BUILD)/tests/fuzz/util.o $(FUZZ_BUILD)/libsentibt.a
	@echo "  LD      $@"
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -fopenmp -o $@ $^ $(LIBS)

fuzz-build: $(FUZZ_BIN)

fuzz:
	@scripts/install-deps fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@scripts/fuzz-run run $(FUZZ_TIME) $(FUZZ_TARGETS)

fuzz-merge: fuzz-build
	@scripts/fuzz-run merge 0 $(FUZZ_TARGETS)

clean:
	rm -rf build sentibt sentibt-mpi

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(TEST_BIN:=.d) $(wildcard $(BUILD)/tests/fuzz/*.d) \
	$(wildcard $(FUZZ_BUILD)/*/*.d $(FUZZ_BUILD)/tests/fuzz/*.d)
