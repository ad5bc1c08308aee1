# Fechatter appliance: one non-recursive Makefile.
#   make            build/fechatter (fully static)
#   make run        install what is missing, build, serve with embedded defaults
#   make test       install what is missing, build, unit + end-to-end tests
#   SANITIZE=address,undefined make test   the same under sanitizers (dynamic link)
#   make fuzz       libFuzzer harnesses (tests/fuzz), FUZZ_SECONDS each
#   make bench      benchmarks (numbers and ratios, never pass/fail on time)
#   make lint       clang-format --dry-run and cppcheck over the C sources (also in make test)
#   make format     clang-format -i over the same files

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
LIBS    := $(DEPS)/lib/libwebsockets.a $(DEPS)/lib/libcjson.a -l:libmbedtls.a -l:libmbedx509.a -l:libmbedcrypto.a -lsqlite3 -lsodium -l:libminizip.a -lz -lm -lpthread
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
# ASan's default quarantine (256 MiB of freed blocks) would be counted; and
# a fake stack, so that a pointer into a returned frame is caught (such as a
# Content-Type read from a handler's stack after it returned)
export ASAN_OPTIONS ?= quarantine_size_mb=8:detect_stack_use_after_return=1
endif

# fechatter-cluster (issue 15, `make cluster` = `make CLUSTER=1`): the same
# program plus the PostgreSQL store and the NATS bus (appliance/adapters/pg_*.c,
# nats_*.c, built with -DFE_CLUSTER), linked dynamically against Debian's libpq5
# and libnats3.4: neither ships a static library that links on its own (libpq.a
# wants Kerberos and LDAP, libnats-dev has no .a), and a cluster host runs
# PostgreSQL and NATS from Debian anyway. The single-box binary stays static
# and has neither.
CLUSTER ?=
CLUSTER_ONLY := appliance/adapters/pg_% appliance/adapters/nats_%
ifneq ($(CLUSTER),)
ifneq ($(ARCH)$(SANITIZE),)
$(error CLUSTER=1 is for the native, unsanitised build only)
endif
BUILD   := build/cluster
CFLAGS  += -DFE_CLUSTER -isystem $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
LIBS    += -lpq -lnats
LDSTATIC :=
CLUSTER_ONLY :=
endif

SRCS    := $(filter-out appliance/main.c $(CLUSTER_ONLY),$(shell find appliance -name '*.c' | sort))
OBJS    := $(SRCS:%.c=$(BUILD)/obj/%.o)
GEN_OBJ := $(BUILD)/obj/gen/embedded.o
LIB     := $(BUILD)/libfechatter.a
BIN     := $(BUILD)/fechatter
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
EMBED   := $(sort $(wildcard schema/*.sql schema/postgres/*.sql) $(shell find web -type f ! -name '.*' | sort))

.PHONY: all deps run test unit e2e browser bench bench-search clean format lint
all: $(BIN)

deps: $(DEPS)/lib/libwebsockets.a
$(DEPS)/lib/libwebsockets.a $(DEPS)/lib/libcjson.a:
	ARCH=$(ARCH) bash packaging/deps.sh

$(BUILD)/obj/%.o: %.c | $(DEPS)/lib/libwebsockets.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# web/ and schema/ are turned into a C table at build time; the list of
# files is a prerequisite too (rewritten only when it changes), so that a
# deleted migration or asset leaves the binary as well
EMBED_LIST := $(BUILD)/gen/embedded.list
$(shell mkdir -p $(BUILD)/gen; echo '$(EMBED)' | cmp -s - $(EMBED_LIST) || echo '$(EMBED)' >$(EMBED_LIST))
$(BUILD)/gen/embedded.c: packaging/embed.sh $(EMBED) $(EMBED_LIST)
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

.PHONY: cluster
cluster:
	@bash packaging/deps.sh --cluster
	$(MAKE) --no-print-directory CLUSTER=1 build/cluster/fechatter
	cp build/cluster/fechatter build/fechatter-cluster

# make test-cluster: make cluster, then the cluster suites (tests/cluster:
# PostgreSQL + nats-server + appliances on loopback, each suite bounded) and
# make test-pg when it exists; ends "N passed, N failed" like make test
.PHONY: test-cluster
test-cluster: cluster all
	@rm -rf build/cluster/test-results; mkdir -p build/cluster/test-results
	@RESULTS=$(abspath build/cluster)/test-results FECHATTER_CLUSTER_BIN=$(abspath build/fechatter-cluster) \
	  FECHATTER_STATIC_BIN=$(abspath $(BIN)) bash tests/run-cluster.sh || true
	@bash tests/summary.sh build/cluster/test-results

# make test-pg: the end-to-end suites that make sense on PostgreSQL, against
# build/fechatter-cluster --store postgres (tests/run-pg.mjs starts a private
# PostgreSQL 15 and lists the suites it skips and why; E2E_SUITES="a b" runs
# those), then the circuit-breaker test (tests/cluster/breaker.test.mjs).
.PHONY: test-pg
test-pg: cluster
	@cd tests && s=0; FECHATTER_BIN=$(abspath build/fechatter-cluster) RESULTS=$(abspath build/test-results) \
	  node run-pg.mjs || s=1; \
	  FECHATTER_BIN=$(abspath build/fechatter-cluster) node --test cluster/breaker.test.mjs >$(abspath build/test-results)/breaker.log 2>&1 \
	  && echo "breaker: ok" || { s=1; echo "breaker: FAILED (build/test-results/breaker.log)"; }; exit $$s

$(BUILD)/tests/%: tests/unit/%.c tests/unit/testutil.h $(LIB) tests/unit/testapp.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(LIB) $(LIBS) -lcmocka

# ---- fuzzing (tests/fuzz) ----
# One harness per target: tests/fuzz/fuzz_<target>.c (LLVMFuzzerTestOneInput)
# with its corpus in tests/fuzz/corpus/<target>/. Adding a harness is adding
# its name here.
FUZZ_TARGETS := utf8 sniff range router config jwt search search_terms json_body wsop reqhead
#   make fuzz      clang-15 + libFuzzer (installed by deps.sh --fuzz): builds
#                  the library into build/fuzz with ASan+UBSan, runs each
#                  target FUZZ_SECONDS on its corpus, adds what is new to it
#                  (minimised), prints executions per target
#   make test      replays every corpus (gcc, no libFuzzer; under SANITIZE too)
FUZZ_SECONDS ?= 180
FUZZ_JOBS    ?= 1
FUZZ_CC      ?= clang-15
FUZZ_BUILD   := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -O1 -g -std=gnu11 -pthread $(WARN) -Iappliance -I$(BUILD)/gen -Itests/unit -Itests/fuzz -isystem $(DEPS)/include -D_GNU_SOURCE $(FUZZ_SAN)
FUZZ_OBJS    := $(SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
REPLAY_BINS  := $(FUZZ_TARGETS:%=$(BUILD)/tests/replay/fuzz_%)

$(FUZZ_BUILD)/obj/%.o: %.c | $(DEPS)/lib/libwebsockets.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
$(FUZZ_BUILD)/libfechatter.a: $(FUZZ_OBJS) $(GEN_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/unit/testapp.h $(FUZZ_BUILD)/libfechatter.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(filter-out -fsanitize=%,$(LDFLAGS)) -o $@ $< $(FUZZ_BUILD)/libfechatter.a $(LIBS) -lcmocka
# the same harness with a plain main that replays a corpus (make test)
$(BUILD)/tests/replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/fuzz/replay.c tests/unit/testapp.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -Itests/fuzz $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(LIB) $(LIBS) -lcmocka

.PHONY: fuzz fuzz-build fuzz-replay fuzz-minimise
fuzz-build:
	bash packaging/deps.sh --fuzz
	$(MAKE) $(FUZZ_BINS)
fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TARGETS)
# shrinks the committed corpora to the seeds plus what adds coverage
fuzz-minimise: fuzz-build
	@bash tests/fuzz/minimise.sh $(FUZZ_BUILD) $(FUZZ_TARGETS)
fuzz-replay: $(REPLAY_BINS)
	@bash tests/fuzz/replay.sh $(REPLAY_BINS)
-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
# ---- end of fuzzing ----

run:
	bash packaging/deps.sh --run
	$(MAKE) $(BIN)
	./$(BIN) serve

unit: $(UNIT_BINS)
	@bash tests/run-unit.sh $(UNIT_BINS)

e2e: $(BIN)
	@FECHATTER_BIN=$(abspath $(BIN)) bash tests/run-e2e.sh

test:
	ARCH=$(ARCH) bash packaging/deps.sh
	$(MAKE) $(BIN) $(UNIT_BINS) $(REPLAY_BINS)
	@rm -rf $(BUILD)/test-results; mkdir -p $(BUILD)/test-results
	@RESULTS=$(abspath $(BUILD))/test-results bash tests/lint.sh $(LINT_SRCS) || true
	@RESULTS=$(abspath $(BUILD))/test-results bash tests/run-unit.sh $(UNIT_BINS) || true
	@RESULTS=$(abspath $(BUILD))/test-results bash tests/fuzz/replay.sh $(REPLAY_BINS) || true
	@RESULTS=$(abspath $(BUILD))/test-results FECHATTER_BIN=$(abspath $(BIN)) bash tests/run-e2e.sh || true
	@$(if $(FECHATTER_LAUNCHER),echo "browser: x86-64 only (skipped for ARCH=$(ARCH))",RESULTS=$(abspath $(BUILD))/test-results FECHATTER_BIN=$(abspath $(BIN)) bash tests/run-browser.sh || true)
	@bash tests/summary.sh $(BUILD)/test-results

# every hot path against a same-run reference (../shared/baselines), one
# table + build/bench/bench.{txt,json,png}; about 8 minutes
bench: $(BIN)
	bash packaging/deps.sh --bench
	bash tests/bench/run.sh $(abspath $(BIN))

# N simulated people doing a day's mix, rising N (tests/bench/README-capacity.md)
.PHONY: bench-capacity
bench-capacity: $(BIN)
	bash packaging/deps.sh --bench
	bash tests/bench/capacity.sh $(abspath $(BIN))

# search latency over 1,000,000 messages (minutes: generates the data)
bench-search: $(BIN)
	bash tests/bench/search.sh $(abspath $(BIN))

# export -> import -> export of EXPORT_MESSAGES (100,000) messages: cmp, time, peak RSS
.PHONY: bench-export
bench-export: $(BIN)
	bash tests/bench/export.sh $(abspath $(BIN))

# Slack import of a synthetic SLACK_MESSAGES (100,000) message export: time, peak RSS, re-run
.PHONY: bench-import
bench-import: $(BIN)
	bash tests/bench/slack-import.sh $(abspath $(BIN))

# fechatter-cluster's durable ingest on PostgreSQL + NATS (one appliance, two on
# one database) against PostgreSQL's own insert ceiling in the same run
.PHONY: bench-cluster
bench-cluster: cluster
	bash tests/bench/cluster.sh $(abspath build/fechatter-cluster)

# crash trials: kill -9 under HTTP and WebSocket send load, restart, every
# acknowledged message present, integrity_check ok (TRIALS=20, SEED=n replays)
.PHONY: soak
soak:
	bash packaging/deps.sh
	$(MAKE) $(BIN)
	cd tests && FECHATTER_BIN=$(abspath $(BIN)) TRIALS=$(or $(TRIALS),20) node soak/crash.mjs

browser: $(BIN)
	@FECHATTER_BIN=$(abspath $(BIN)) bash tests/run-browser.sh

# the C sources make lint checks and make format rewrites (one list for both)
LINT_SRCS := $(shell find appliance tests/unit tests/fuzz -name '*.[ch]' | sort)
lint:
	@bash tests/lint.sh $(LINT_SRCS)
format:
	clang-format -i $(LINT_SRCS)

clean:
	rm -rf build/obj build/san build/gen build/tests build/fuzz build/*.a build/fechatter build/arm64 build/armhf

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---- release: version, archives, Debian packages (issue 10) ----
#   make dist        dist/fechatter-VERSION-linux-{x86_64,arm64,armhf}.tar.gz
#                    and dist/SHA256SUMS (stripped static binaries, built in
#                    build/dist/ARCH with fixed flags; reproducible)
#   make dist-check  builds dist twice in two clones of HEAD at different
#                    paths and compares the archives byte for byte
#   make deb         dist/fechatter_DEBVERSION_{amd64,arm64,armhf}.deb (DEB_ARCHES)
#   make test-deb    as root: install, run as the service user, upgrade, purge
# VERSION is `git describe` (packaging/version.sh); `make dist VERSION=1.2.3`
# overrides it. It reaches the binary as build/.../gen/version.h
# (FECHATTER_VERSION: `fechatter version`, /health), rewritten only when it
# changes.
ifeq ($(origin VERSION),undefined)
VERSION := $(shell sh packaging/version.sh)
endif
# no build path in the objects (debug info, __FILE__): two checkouts of one
# commit at different paths give the same binary
CFLAGS  += -ffile-prefix-map=$(CURDIR)=.

.PHONY: FORCE print-version dist dist-check deb test-deb
FORCE:
print-version:
	@echo $(VERSION)
$(BUILD)/gen/version.h: FORCE
	@mkdir -p $(dir $@)
	@sh packaging/version.sh --deb '$(VERSION)' >/dev/null
	@printf '#define FECHATTER_VERSION "%s"\n' '$(VERSION)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
$(BUILD)/obj/appliance/main.o $(BUILD)/obj/appliance/http/h_ops.o $(BUILD)/obj/appliance/adapters/backup.o: $(BUILD)/gen/version.h
$(FUZZ_BUILD)/obj/appliance/http/h_ops.o $(FUZZ_BUILD)/obj/appliance/adapters/backup.o: $(BUILD)/gen/version.h
$(FUZZ_BUILD)/obj/appliance/http/h_ops.o: FUZZ_CFLAGS += -I$(BUILD)/gen

DIST_DIR    ?= dist
DIST_ARCHES ?= x86_64 arm64 armhf
DEB_ARCHES  ?= amd64 arm64 armhf
deb_arch     = $(if $(filter amd64,$(1)),x86_64,$(1))
# one release binary per architecture, in a build folder of its own with
# fixed flags (not the caller's CFLAGS, SANITIZE or build/fechatter)
# (missing deps are made one architecture at a time: parallel apt-get runs
# would collide)
dist-bin-%:
	@[ -f build/deps/prefix$(if $(filter x86_64,$*),,-$*)/lib/libwebsockets.a ] || \
	  { mkdir -p build && flock build/.deps.lock env ARCH=$* bash packaging/deps.sh; }
	CFLAGS='-O2 -g' LDFLAGS= $(MAKE) --no-print-directory -s ARCH=$* BUILD=build/dist/$* DEPS=build/deps/prefix$(if $(filter x86_64,$*),,-$*) \
	  VERSION='$(VERSION)' SANITIZE= build/dist/$*/fechatter
dist: $(DIST_ARCHES:%=dist-bin-%)
	DIST_DIR=$(DIST_DIR) bash packaging/dist.sh '$(VERSION)' $(DIST_ARCHES)
# after dist when both are asked for (both rewrite SHA256SUMS)
deb: $(foreach a,$(DEB_ARCHES),dist-bin-$(call deb_arch,$(a))) $(filter dist,$(MAKECMDGOALS))
	@for a in $(DEB_ARCHES); do \
	  b=$$a; [ $$a = amd64 ] && b=x86_64; \
	  DIST_DIR=$(DIST_DIR) bash packaging/deb/build.sh '$(VERSION)' $$a build/dist/$$b/fechatter || exit; done
	DIST_DIR=$(DIST_DIR) bash packaging/dist.sh --sums '$(VERSION)'
dist-check:
	bash packaging/repro-check.sh
test-deb:
	bash packaging/deb/test.sh
