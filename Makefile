# Fechatter appliance: one non-recursive Makefile.
#   make            build/fechatter (fully static)
#   make run        install what is missing, build, serve with embedded defaults
#   make test       install what is missing, build, unit + end-to-end tests
#   SANITIZE=address,undefined make test   the same under sanitizers (dynamic link)
#   make bench      benchmarks (numbers and ratios, never pass/fail on time)

CC      ?= cc
BUILD   := build
DEPS    := $(BUILD)/deps/prefix
SANITIZE ?=
AR      ?= ar

# 64-bit off_t and time_t on 32-bit targets as well (stat and readdir on big
# files and file systems, dates after 2038); nothing changes on 64-bit ones.
# Debian 12's armhf libraries keep a 32-bit time_t: no SQLite, libsodium or
# mbedTLS call made here or in libwebsockets passes a time_t or an off_t.
LFS     := -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64

# Cross builds: `make ARCH=arm64` / `make ARCH=armhf` build a static
# build/ARCH/fechatter with Debian's cross compiler against build/deps/prefix-ARCH
# (packaging/deps.sh makes it); `make test ARCH=...` runs the unit and
# end-to-end tests through qemu-user-static (FECHATTER_LAUNCHER).
ARCH    ?=
ifneq ($(filter-out x86_64 amd64,$(ARCH)),)
TRIPLET := $(if $(filter arm64,$(ARCH)),aarch64-linux-gnu,$(if $(filter armhf,$(ARCH)),arm-linux-gnueabihf))
ifeq ($(TRIPLET),)
$(error ARCH=$(ARCH): one of arm64, armhf (or x86_64, the default))
endif
ifneq ($(SANITIZE),)
$(error SANITIZE is for the native build only)
endif
CC      := $(TRIPLET)-gcc
AR      := $(TRIPLET)-ar
BUILD   := build/$(ARCH)
DEPS    := build/deps/prefix-$(ARCH)
export FECHATTER_LAUNCHER := $(if $(filter arm64,$(ARCH)),qemu-aarch64-static,qemu-arm-static)
endif

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -pthread $(WARN) -Iappliance -I$(BUILD)/gen -isystem $(DEPS)/include -D_GNU_SOURCE $(LFS)
LIBS    := $(DEPS)/lib/libwebsockets.a $(DEPS)/lib/libcjson.a -l:libmbedtls.a -l:libmbedx509.a -l:libmbedcrypto.a -lsqlite3 -lsodium -lm -lpthread
LDFLAGS += -Wl,--wrap=mbedtls_ssl_list_ciphersuites -Wl,--undefined=__wrap_mbedtls_ssl_list_ciphersuites
# http/wsguard: the WebSocket frame checks lws leaves out
LDFLAGS += -Wl,--wrap=lws_ssl_capable_read -Wl,--undefined=__wrap_lws_ssl_capable_read
# every request head is scanned strictly before lws parses it (http/headguard.c)
LDFLAGS += -Wl,--wrap=lws_parse -Wl,--undefined=__wrap_lws_parse
LDSTATIC := -static

ifneq ($(SANITIZE),)
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -O1
LDFLAGS += -fsanitize=$(SANITIZE)
LDSTATIC :=
BUILD   := build/san
# a small quarantine: the memory-bound tests measure the server's RSS, and
# ASan's default quarantine (256 MiB of freed blocks) would be counted
export ASAN_OPTIONS ?= quarantine_size_mb=8
endif

SRCS    := $(filter-out appliance/main.c,$(shell find appliance -name '*.c' | sort))
OBJS    := $(SRCS:%.c=$(BUILD)/obj/%.o)
GEN_OBJ := $(BUILD)/obj/gen/embedded.o
LIB     := $(BUILD)/libfechatter.a
BIN     := $(BUILD)/fechatter
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
EMBED   := $(sort $(wildcard schema/*.sql) $(shell find web -type f ! -name '.*' | sort))

.PHONY: all deps run test unit e2e browser bench bench-search clean format
all: $(BIN)

deps: $(DEPS)/lib/libwebsockets.a
$(DEPS)/lib/libwebsockets.a $(DEPS)/lib/libcjson.a:
	ARCH=$(ARCH) bash packaging/deps.sh

$(BUILD)/obj/%.o: %.c | $(DEPS)/lib/libwebsockets.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# web/ and schema/ are turned into a C table at build time
$(BUILD)/gen/embedded.c: packaging/embed.sh $(EMBED)
	@mkdir -p $(dir $@)
	bash packaging/embed.sh $@ $(EMBED)
$(GEN_OBJ): $(BUILD)/gen/embedded.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -Werror,$(CFLAGS)) -c $< -o $@

$(LIB): $(OBJS) $(GEN_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(BUILD)/obj/appliance/main.o $(LIB)
	$(CC) $(LDFLAGS) $(LDSTATIC) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/testutil.h $(LIB) tests/unit/testapp.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(LIB) $(LIBS) -lcmocka

run:
	bash packaging/deps.sh
	$(MAKE) $(BIN)
	./$(BIN) serve

unit: $(UNIT_BINS)
	@bash tests/run-unit.sh $(UNIT_BINS)

e2e: $(BIN)
	@FECHATTER_BIN=$(abspath $(BIN)) bash tests/run-e2e.sh

test:
	ARCH=$(ARCH) bash packaging/deps.sh
	$(MAKE) $(BIN) $(UNIT_BINS)
	@rm -rf $(BUILD)/test-results; mkdir -p $(BUILD)/test-results
	@RESULTS=$(abspath $(BUILD))/test-results bash tests/run-unit.sh $(UNIT_BINS) || true
	@RESULTS=$(abspath $(BUILD))/test-results FECHATTER_BIN=$(abspath $(BIN)) bash tests/run-e2e.sh || true
	@$(if $(FECHATTER_LAUNCHER),echo "browser: x86-64 only (skipped for ARCH=$(ARCH))",RESULTS=$(abspath $(BUILD))/test-results FECHATTER_BIN=$(abspath $(BIN)) bash tests/run-browser.sh || true)
	@bash tests/summary.sh $(BUILD)/test-results

bench: $(BIN)
	bash tests/bench/run.sh $(abspath $(BIN))

# search latency over 1,000,000 messages (minutes: generates the data)
bench-search: $(BIN)
	bash tests/bench/search.sh $(abspath $(BIN))

# crash trials: kill -9 under HTTP and WebSocket send load, restart, every
# acknowledged message present, integrity_check ok (TRIALS=20, SEED=n replays)
.PHONY: soak
soak:
	bash packaging/deps.sh
	$(MAKE) $(BIN)
	cd tests && FECHATTER_BIN=$(abspath $(BIN)) TRIALS=$(or $(TRIALS),20) node soak/crash.mjs

browser: $(BIN)
	@FECHATTER_BIN=$(abspath $(BIN)) bash tests/run-browser.sh

format:
	clang-format -i $$(find appliance tests/unit -name '*.[ch]')

clean:
	rm -rf build/obj build/san build/gen build/tests build/*.a build/fechatter build/arm64 build/armhf

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
