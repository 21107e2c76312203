# Outpost: one non-recursive GNU Makefile.  Output goes to $(BUILD) (build/
# by default; `make check` uses build/san with sanitizers).
#
#   make            build every program into build/
#   make check      sanitizer build + the whole test suite ("N passed, N failed")
#   make demo       initialise a demo node and show what it holds
#   make lint       clang-format check, banned functions, cppcheck
#   make fmt        apply .clang-format
#   make fuzz       libFuzzer harnesses (clang) into build/fuzz
#   make bench      benchmarks (not part of check)
#   make deps       install the Debian packages (apt-get; sudo when not root)

BUILD   ?= build
CC      ?= cc
OPT     ?= -O2 -g
STD      = -std=c11
WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Wpointer-arith -Wundef -Wno-format-nonliteral
HARDEN   = -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
ifdef SANITIZE
SAN      = -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
ifdef CI
WERROR   = -Werror
endif

# --- Debian packages ---------------------------------------------------------
DEB_PKGS = build-essential pkg-config clang clang-format cppcheck \
           libsqlcipher-dev sqlcipher libsqlite3-dev sqlite3 libcbor-dev libssl-dev \
           libcurl4-openssl-dev libmicrohttpd-dev libusb-1.0-0-dev libxml2-dev \
           libncurses-dev tmux umockdev sox openssl zlib1g-dev
PKGS     = libcbor libcrypto sqlite3 libmicrohttpd libusb-1.0 libcurl zlib \
           libxml-2.0 ncursesw
TOOLS    = tmux umockdev-run sqlcipher

# Only -I from pkg-config (ncursesw's --cflags adds clashing macros).
PKG_I   := $(filter -I%,$(shell pkg-config --cflags $(PKGS) 2>/dev/null))
ALL_CFLAGS = $(STD) $(WARN) $(WERROR) $(OPT) $(HARDEN) $(SAN) \
             -include common/compat.h -I. -Icommon -Itests $(PKG_I) $(CFLAGS)
ALL_LDFLAGS = -pie $(SAN) $(LDFLAGS)

LIBS_COMMON  = -lcbor -lcrypto -lpthread -lm
LIBS_FORMS   = -lxml2
LIBS_DEVICES = -lusb-1.0
# -lz: sync bodies are deflated on the wire (docs/PROTOCOL.md §1).
LIBS_KIOSK   = -lsqlcipher -lncursesw -lcurl -lz $(LIBS_DEVICES) $(LIBS_FORMS) $(LIBS_COMMON)
LIBS_SERVER  = -lsqlite3 -lmicrohttpd -lz $(LIBS_COMMON)

# --- sources: each folder is globbed, so adding a file needs no edit here ----
COMMON_SRC  := $(wildcard common/*.c)
FORMS_SRC   := $(wildcard forms/*.c)
DEVICES_SRC := $(wildcard devices/*.c)
KIOSK_SRC   := $(filter-out kiosk/main.c,$(wildcard kiosk/*.c))
SERVER_SRC  := $(filter-out sync-server/main.c,$(wildcard sync-server/*.c))

# Objects go under $(BUILD)/obj so they never clash with program names.
obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_COMMON  = $(BUILD)/libcommon.a
LIB_FORMS   = $(BUILD)/libforms.a
LIB_DEVICES = $(BUILD)/libdevices.a
LIB_KIOSK   = $(BUILD)/libkiosk.a
LIB_SERVER  = $(BUILD)/libserver.a

PROGS = $(BUILD)/kiosk $(BUILD)/sync-server

# Tests: tests/<group>/test_*.c, one program each, linked by group.
UNIT_TESTS    := $(patsubst %.c,$(BUILD)/%,$(wildcard tests/unit/test_*.c))
KIOSK_TESTS   := $(patsubst %.c,$(BUILD)/%,$(wildcard tests/kiosk/test_*.c))
DEVICE_TESTS  := $(patsubst %.c,$(BUILD)/%,$(wildcard tests/devices/test_*.c))
SERVER_TESTS  := $(patsubst %.c,$(BUILD)/%,$(wildcard tests/server/test_*.c))
TOOLS_PROGS   := $(patsubst %.c,$(BUILD)/%,$(wildcard tests/tools/*.c))
# Fuzz harnesses: tests/fuzz/<name>_fuzzer.c; check replays their corpora
# with a plain main (tests/fuzz/replay.c), `make fuzz` builds libFuzzer ones.
FUZZ_SRC      := $(wildcard tests/fuzz/*_fuzzer.c)
FUZZ_REPLAYS  := $(patsubst tests/fuzz/%_fuzzer.c,$(BUILD)/fuzz/%_replay,$(FUZZ_SRC))
BENCH_PROGS   := $(patsubst %.c,$(BUILD)/%,$(filter-out bench/store.c,$(wildcard bench/*.c))) \
                 $(BUILD)/bench/store_sqlcipher $(BUILD)/bench/store_plain

.PHONY: all check check-faults test-progs demo lint fmt fuzz bench deps deps-check clean

all: $(PROGS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB_COMMON): $(call obj,$(COMMON_SRC))
$(LIB_FORMS): $(call obj,$(FORMS_SRC))
$(LIB_DEVICES): $(call obj,$(DEVICES_SRC))
$(LIB_KIOSK): $(call obj,$(KIOSK_SRC))
$(LIB_SERVER): $(call obj,$(SERVER_SRC))
$(BUILD)/lib%.a:
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

KIOSK_DEPS  = $(LIB_KIOSK) $(LIB_DEVICES) $(LIB_FORMS) $(LIB_COMMON)
SERVER_DEPS = $(LIB_SERVER) $(LIB_COMMON)

$(BUILD)/kiosk: $(BUILD)/obj/kiosk/main.o $(KIOSK_DEPS)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_KIOSK)

$(BUILD)/sync-server: $(BUILD)/obj/sync-server/main.o $(SERVER_DEPS)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_SERVER)

$(UNIT_TESTS): $(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(LIB_FORMS) $(LIB_COMMON)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_FORMS) $(LIBS_COMMON)

$(KIOSK_TESTS): $(BUILD)/tests/kiosk/%: $(BUILD)/obj/tests/kiosk/%.o $(KIOSK_DEPS)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_KIOSK)

$(DEVICE_TESTS): $(BUILD)/tests/devices/%: $(BUILD)/obj/tests/devices/%.o $(LIB_DEVICES) $(LIB_COMMON)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_DEVICES) $(LIBS_COMMON)

$(SERVER_TESTS): $(BUILD)/tests/server/%: $(BUILD)/obj/tests/server/%.o $(SERVER_DEPS)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_SERVER)

$(TOOLS_PROGS): $(BUILD)/tests/tools/%: $(BUILD)/obj/tests/tools/%.o $(LIB_COMMON)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_COMMON)

FUZZ_LINK = $(LIB_SERVER) $(LIB_DEVICES) $(LIB_FORMS) $(LIB_COMMON)
FUZZ_LIBS = -lsqlite3 -lmicrohttpd $(LIBS_DEVICES) $(LIBS_FORMS) $(LIBS_COMMON)
$(BUILD)/fuzz/%_replay: $(BUILD)/obj/tests/fuzz/%_fuzzer.o $(BUILD)/obj/tests/fuzz/replay.o $(FUZZ_LINK)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FUZZ_LIBS)

# bench/store: the same store sources against SQLCipher and plain SQLite.
STORE_SRC := $(wildcard kiosk/store*.c) kiosk/keyring.c
$(BUILD)/obj-plain/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DSTORE_PLAIN_SQLITE -MMD -MP -c -o $@ $<
$(BUILD)/bench/store_sqlcipher: $(call obj,bench/store.c $(STORE_SRC)) $(LIB_COMMON)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lsqlcipher $(LIBS_COMMON)
$(BUILD)/bench/store_plain: $(patsubst %.c,$(BUILD)/obj-plain/%.o,bench/store.c $(STORE_SRC)) $(LIB_COMMON)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lsqlite3 $(LIBS_COMMON)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(KIOSK_DEPS)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_KIOSK)

test-progs: $(PROGS) $(UNIT_TESTS) $(KIOSK_TESTS) $(DEVICE_TESTS) \
            $(SERVER_TESTS) $(TOOLS_PROGS) $(FUZZ_REPLAYS)

# --- the commands README.md promises ------------------------------------------
deps-check:
	@missing=""; \
	for p in $(PKGS) sqlcipher; do pkg-config --exists $$p || missing="$$missing $$p"; done; \
	for t in $(TOOLS); do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then echo "missing:$$missing -- running make deps"; \
	  $(MAKE) --no-print-directory deps; fi

deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(DEB_PKGS)

check: deps-check
	@$(MAKE) --no-print-directory BUILD=build/san SANITIZE=address,undefined OPT="-O1 -g" test-progs
	@OUTPOST_BUILD=build/san tests/run.sh

# The long sync fault sweeps (issue 5): >= 100 connection cuts, kiosk
# kills and server kills, each converging exactly once.  CI runs it too.
check-faults: deps-check
	@$(MAKE) --no-print-directory BUILD=build/san SANITIZE=address,undefined OPT="-O1 -g" test-progs
	@for t in lost_answer cut kill_kiosk kill_server; do \
	  OUTPOST_BUILD=build/san OUTPOST_FAULT_N=$${OUTPOST_FAULT_N:-120} sh tests/sync/$$t.sh || exit 1; \
	done

demo: deps-check
	@$(MAKE) --no-print-directory all
	@tests/tools/demo.sh

lint:
	@tests/tools/lint.sh

fmt:
	clang-format -i $$(git ls-files '*.c' '*.h')

fuzz:
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang SANITIZE=fuzzer-no-link,address,undefined $(call obj,$(COMMON_SRC)) >/dev/null
	@tests/fuzz/build.sh

bench: all $(BENCH_PROGS)
	@bench/run.sh

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
