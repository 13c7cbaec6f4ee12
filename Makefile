# sentibt - one non-recursive Makefile.
#   make                 build ./sentibt (release, build/release/)
#   make SANITIZE=address,undefined test   sanitizer build in build/address,undefined/
#   make demo            install deps if missing, generate the sample, run a backtest + sweep
#   make test            install deps if missing, build with -Werror, run every test
#   make bench           the sweep benchmark (scripts/bench-sweep)
#   make bench-signal    signal build time per window (scripts/bench-signal)
#   V=1                  show full command lines
.DEFAULT_GOAL := all
CC      ?= cc
WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
           -Wformat=2 -Wpointer-arith -Wcast-align -Wwrite-strings -Wundef
OPT     ?= -O2 -g
override CFLAGS   += -std=c11 $(OPT) $(WARN) -fopenmp -ffp-contract=off -MMD -MP
override CPPFLAGS += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I/usr/include/cjson
LIBS     = -lcurl -lz -lmsgpackc -lcjson -lcrypto -lm
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


ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC  := $(wildcard core/*.c engine/*.c loaders/*.c strategies/*.c run/*.c report/*.c cli/cli_*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/cli/sentibt.o
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

# The commit and flags go into manifests; buildinfo.o is rebuilt every time (cheap).
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell \
	git diff --quiet HEAD 2>/dev/null || echo +dirty)
$(BUILD)/engine/buildinfo.o: override CPPFLAGS += -DSB_GIT_COMMIT='"$(GIT_COMMIT)"' \
	-DSB_CFLAGS='"$(strip $(CFLAGS))"'
$(BUILD)/engine/buildinfo.o: FORCE
FORCE:

# Keep test objects (make would delete them as intermediates and rebuild next time).
.SECONDARY:

.PHONY: all deps test FORCE unit-tests cli-tests demo bench bench-signal golden clean check
all: sentibt

# ./sentibt always points at the release build; sanitizer builds stay in build/<sanitizer>/.
ifdef SANITIZE
sentibt: $(BUILD)/sentibt
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

deps:
	@scripts/install-deps

# Unit tests: one cmocka program per module.  CLI tests: shell scripts that run ./sentibt.
unit-tests: $(TEST_BIN)
	@scripts/run-tests unit $(TEST_BIN)

# With SANITIZE=..., the CLI tests run the sanitizer build of the binary.
cli-tests: sentibt
	@SENTIBT_BIN=$(BUILD)/sentibt scripts/run-tests cli tests/cli/*.sh

test: deps
	@$(MAKE) --no-print-directory WERROR=1 unit-tests cli-tests

check: test

demo: deps
	@$(MAKE) --no-print-directory sentibt
	@scripts/demo

bench: deps
	@$(MAKE) --no-print-directory sentibt
	@scripts/bench-sweep

bench-signal: deps
	@$(MAKE) --no-print-directory sentibt
	@scripts/bench-signal

golden: sentibt
	@scripts/make-golden

clean:
	rm -rf build sentibt

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(TEST_BIN:=.d)
