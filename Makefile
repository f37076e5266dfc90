# Causeway — the one entry point.
#
#   make            build the libraries and the binaries (release, $(CC), -O2)
#   make deps       install missing Debian packages (root) — every target runs it first
#   make test       unit + conformance tests (clang, ASan+UBSan), a release build with
#                   gcc, the ICS-23 oracle (tests/oracle, cargo), integration tests, a
#                   short run of every fuzz target
#   make oracle     the differential tests alone: ICS-23 (our verifier vs the Rust ics23
#                   crate) and 07-tendermint (ours vs tendermint-rs's light-client verifier)
#   make demo       the main job (see README); ARGS=--hub: three chains, one relayer for four
#                   paths; ARGS=--keep leaves it running
#   make bench      benchmarks (release build), among them bench/bench_hub.py: one relayer
#                   serving two paths at once vs one path
#   make fuzz       every libFuzzer target for FUZZ_SECONDS each (default 60)
#   make coverage   clang source-based coverage (build/cov/, not part of `make test`): the
#                   unit tests, the ICS-23 oracle (when cargo is there) and every fuzz
#                   corpus replayed; line and branch coverage per file, and the uncovered
#                   lines of lightclient/ and channels/ibc_*.c (scripts/coverage.sh;
#                   report in build/cov/report/)
#   make image      the container image $(IMAGE) (docker/; needs a Docker engine, no registry)
#                   and $(PROM_IMAGE), Prometheus for compose's `monitoring` profile; the
#                   same image runs docker/compose.yaml (two chains) and compose.hub.yaml
#   make clean
#
# V=1 shows the commands. CC selects the release compiler (gcc by default);
# tests and fuzzers always build with clang so both compilers see the code.

V ?= 0
ifeq ($(V),0)
Q := @
else
Q :=
endif

CC        ?= gcc
ifeq ($(origin CC),default)
CC        := gcc
endif
TEST_CC   ?= clang
BUILD     ?= build
SHARED    ?= $(abspath ../shared)
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 5

PKGS      := libwebsockets libsecp256k1 msgpack libcrypto libprotobuf-c lmdb jansson
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) cmocka 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
TEST_LIBS  := $(shell pkg-config --libs cmocka 2>/dev/null)   # unit tests only

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wformat=2 -Wvla -Wno-unused-parameter
BASEFLAGS := -std=c11 -D_GNU_SOURCE -Iinclude -I$(BUILD)/gen -MMD -MP $(WARN) $(PKG_CFLAGS)
CFLAGS_REL  := $(BASEFLAGS) -O2 -g
CFLAGS_SAN  := $(BASEFLAGS) -O1 -g -fno-omit-frame-pointer \
               -fsanitize=address,undefined -fno-sanitize-recover=all
CFLAGS_FUZZ := $(BASEFLAGS) -O1 -g -fno-omit-frame-pointer \
               -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
               -DCW_FUZZING=1
# Source-based coverage (make coverage): no sanitizers, so a run counts lines, not faults
# (the san and fuzz flavours find those); -O1 keeps the replay quick and the counters exact.
CFLAGS_COV  := $(BASEFLAGS) -O1 -g -fprofile-instr-generate -fcoverage-mapping

# ---- sources -------------------------------------------------------------------------
# The layers (docs/DESIGN.md §2), each its own archive; a binary links only the layers it may
# use, so a call across the rule is an undefined symbol at link time:
#   libcwcore.a   common/ (codec, wire contract, RPC), lightclient/, client/ (chain client)
#   libcwhost.a   channels/: the IBC host and the apps (bank, collateral, lending, echo)
#   libcwchain.a  chain/ but main.c: node, SMT store, genesis, RPC methods
#   libcwrelayer.a, libcwcli.a  relayer/, cli/ but main.c
# causeway-chain = chain + host + core; causeway-relayer = relayer + core; causeway = cli + core.
# Tests, fuzzers and benches link every layer.
CORE_DIRS := common lightclient client
HOST_DIRS := channels
PROTOS    := $(wildcard lightclient/*.proto)
GEN_SRC   := $(patsubst lightclient/%.proto,$(BUILD)/gen/%.pb-c.c,$(PROTOS))
GEN_HDR   := $(GEN_SRC:.c=.h)
CORE_SRC  := $(foreach d,$(CORE_DIRS),$(wildcard $(d)/*.c)) $(GEN_SRC)
HOST_SRC  := $(foreach d,$(HOST_DIRS),$(wildcard $(d)/*.c))
CHAIN_SRC := $(filter-out chain/main.c,$(wildcard chain/*.c))
RLY_SRC   := $(filter-out relayer/main.c,$(wildcard relayer/*.c))
CLI_SRC   := $(filter-out cli/main.c,$(wildcard cli/*.c))
UNIT_SRC  := $(wildcard tests/unit/test_*.c) $(wildcard tests/conformance/test_*.c)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRC := $(wildcard bench/bench_*.c)
ORACLE_SRC := $(wildcard tests/oracle/*.c)

# objects for one flavour: $(call objs,flavour,sources)
objs = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(patsubst $(BUILD)/gen/%,gen/%,$(2)))

BINS      := $(if $(wildcard chain/main.c),causeway-chain) \
             $(if $(wildcard relayer/main.c),causeway-relayer) \
             $(if $(wildcard cli/main.c),causeway)

define flavour
# $(1) = flavour name, $(2) = compiler, $(3) = flags
$(1)_CORE  := $(BUILD)/$(1)/libcwcore.a
$(1)_HOST  := $(BUILD)/$(1)/libcwhost.a
$(1)_CHAIN := $(BUILD)/$(1)/libcwchain.a
$(1)_RLY   := $(BUILD)/$(1)/libcwrelayer.a
$(1)_CLI   := $(BUILD)/$(1)/libcwcli.a
$(1)_ALLLIBS := $$($(1)_CLI) $$($(1)_RLY) $$($(1)_CHAIN) $$($(1)_HOST) $$($(1)_CORE)
# what each binary may link (the layering rule)
$(1)_LIBS_causeway-chain   := $$($(1)_CHAIN) $$($(1)_HOST) $$($(1)_CORE)
$(1)_LIBS_causeway-relayer := $$($(1)_RLY) $$($(1)_CORE)
$(1)_LIBS_causeway         := $$($(1)_CLI) $$($(1)_CORE)

$(BUILD)/$(1)/gen/%.o: $(BUILD)/gen/%.c | $(GEN_HDR)
	@mkdir -p $$(@D)
	@echo "  CC($(1)) $$<"
	$(Q)$(2) $(3) -Wno-missing-prototypes -c $$< -o $$@

$(BUILD)/$(1)/%.o: %.c | $(GEN_HDR)
	@mkdir -p $$(@D)
	@echo "  CC($(1)) $$<"
	$(Q)$(2) $(3) -c $$< -o $$@

$$($(1)_CORE): $(call objs,$(1),$(CORE_SRC))
	$(Q)rm -f $$@ && ar rcs $$@ $$^
$$($(1)_HOST): $(call objs,$(1),$(HOST_SRC))
	$(Q)rm -f $$@ && ar rcs $$@ $$^
$$($(1)_CHAIN): $(call objs,$(1),$(CHAIN_SRC))
	$(Q)rm -f $$@ && ar rcs $$@ $$^
$$($(1)_RLY): $(call objs,$(1),$(RLY_SRC))
	$(Q)rm -f $$@ && ar rcs $$@ $$^
$$($(1)_CLI): $(call objs,$(1),$(CLI_SRC))
	$(Q)rm -f $$@ && ar rcs $$@ $$^

-include $(patsubst %.o,%.d,$(call objs,$(1),$(CORE_SRC) $(HOST_SRC) $(CHAIN_SRC) $(RLY_SRC) $(CLI_SRC) $(UNIT_SRC) $(FUZZ_SRC) $(BENCH_SRC) $(ORACLE_SRC) chain/main.c relayer/main.c cli/main.c))
endef

$(eval $(call flavour,rel,$(CC),$(CFLAGS_REL)))
$(eval $(call flavour,san,$(TEST_CC),$(CFLAGS_SAN)))
$(eval $(call flavour,fuzz,$(TEST_CC),$(CFLAGS_FUZZ)))
$(eval $(call flavour,cov,$(TEST_CC),$(CFLAGS_COV)))

# Keep the objects of test, fuzz and bench programs (pattern-rule intermediates) so that
# rebuilding is incremental.
.SECONDARY:

.PHONY: all deps test unit oracle fuzz fuzz-smoke bench soak demo integration clean image coverage
.DEFAULT_GOAL := all

all: deps
	$(Q)$(MAKE) --no-print-directory build-rel

.PHONY: build-rel build-san build-fuzz build-bench build-cov
build-rel: $(addprefix $(BUILD)/rel/bin/,$(BINS))

# ---- binaries ------------------------------------------------------------------------
# Each binary links only its own layers ($(flavour)_LIBS_<binary>): the relayer and the CLI
# never link channels/ or chain/, so a call into the IBC host or an app from them fails here.
dirof = $(patsubst causeway-chain,chain,$(patsubst causeway-relayer,relayer,$(patsubst causeway,cli,$(1))))
define binary
$(BUILD)/rel/bin/$(1): $(BUILD)/rel/$(call dirof,$(1))/main.o $$(rel_LIBS_$(1))
	@mkdir -p $$(@D)
	$(Q)$(CC) -o $$@ $$< $$(rel_LIBS_$(1)) $(PKG_LIBS)
$(BUILD)/san/bin/$(1): $(BUILD)/san/$(call dirof,$(1))/main.o $$(san_LIBS_$(1))
	@mkdir -p $$(@D)
	$(Q)$(TEST_CC) $(CFLAGS_SAN) -o $$@ $$< $$(san_LIBS_$(1)) $(PKG_LIBS)
endef
$(foreach b,$(BINS),$(eval $(call binary,$(b))))

# ---- protobuf ------------------------------------------------------------------------
$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: lightclient/%.proto
	@mkdir -p $(BUILD)/gen
	@echo "  PROTOC $<"
	$(Q)protoc-c --proto_path=lightclient --c_out=$(BUILD)/gen $<

# ---- tests ---------------------------------------------------------------------------
UNIT_BINS  := $(patsubst tests/%.c,$(BUILD)/san/tests/%,$(UNIT_SRC))
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/rel/bench/%,$(BENCH_SRC))
SAN_BINS   := $(addprefix $(BUILD)/san/bin/,$(BINS))

$(BUILD)/san/tests/%: $(BUILD)/san/tests/%.o $(san_ALLLIBS)
	@mkdir -p $(@D)
	$(Q)$(TEST_CC) $(CFLAGS_SAN) -o $@ $< $(san_ALLLIBS) $(PKG_LIBS) $(TEST_LIBS)

$(BUILD)/fuzz/%: $(BUILD)/fuzz/tests/fuzz/%.o $(fuzz_ALLLIBS)
	@mkdir -p $(@D)
	$(Q)$(TEST_CC) $(CFLAGS_FUZZ) -fsanitize=fuzzer -o $@ $< $(fuzz_ALLLIBS) $(PKG_LIBS) $(FUZZ_LDFLAGS)
# fuzz_lc_struct memoises libsecp256k1's verdicts (see the harness): its calls to the
# verifier go through __wrap_secp256k1_schnorrsig_verify
$(BUILD)/fuzz/fuzz_lc_struct $(BUILD)/cov/fuzz/fuzz_lc_struct: \
    FUZZ_LDFLAGS := -Wl,--wrap=secp256k1_schnorrsig_verify

$(BUILD)/rel/bench/%: $(BUILD)/rel/bench/%.o $(rel_ALLLIBS)
	@mkdir -p $(@D)
	$(Q)$(CC) -o $@ $< $(rel_ALLLIBS) $(PKG_LIBS)

build-san: $(UNIT_BINS) $(SAN_BINS)
build-fuzz: $(FUZZ_BINS)

# The coverage flavour: the unit tests and the fuzz harnesses, instrumented
# (-fprofile-instr-generate -fcoverage-mapping). A harness links libFuzzer's main only to
# replay its corpus (-runs=0); nothing is fuzzed here.
COV_UNIT_BINS := $(patsubst tests/%.c,$(BUILD)/cov/tests/%,$(UNIT_SRC))
COV_FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/cov/fuzz/%,$(FUZZ_SRC))
$(BUILD)/cov/tests/%: $(BUILD)/cov/tests/%.o $(cov_ALLLIBS)
	@mkdir -p $(@D)
	$(Q)$(TEST_CC) $(CFLAGS_COV) -o $@ $< $(cov_ALLLIBS) $(PKG_LIBS) $(TEST_LIBS)
$(BUILD)/cov/fuzz/%: $(BUILD)/cov/tests/fuzz/%.o $(cov_ALLLIBS)
	@mkdir -p $(@D)
	$(Q)$(TEST_CC) $(CFLAGS_COV) -fsanitize=fuzzer -o $@ $< $(cov_ALLLIBS) $(PKG_LIBS) $(FUZZ_LDFLAGS)
# and the ICS-23 oracle's differential driver (it runs when the Rust oracle is built)
COV_ORACLE_DIFF := $(BUILD)/cov/tests/oracle/ics23_diff
build-cov: $(COV_UNIT_BINS) $(COV_FUZZ_BINS) $(COV_ORACLE_DIFF)
build-bench: $(BENCH_BINS) $(addprefix $(BUILD)/rel/bin/,$(BINS))

# The soak's byte counter (bench/iocount.c): an LD_PRELOAD shim, test tooling only
IOCOUNT_SO := $(BUILD)/rel/bench/libiocount.so
$(IOCOUNT_SO): bench/iocount.c
	@mkdir -p $(@D)
	@echo "  CC(rel) $<"
	$(Q)$(CC) $(CFLAGS_REL) -fPIC -shared -o $@ $< -ldl

# ---- ICS-23 oracle (docs/DESIGN.md §12) ----------------------------------------------
# The reference Rust implementation (crate ics23, pinned by the committed Cargo.lock) as a
# test-only oracle, built by cargo into $(BUILD)/oracle (incremental: a no-op when nothing
# changed), and the differential driver (ASan+UBSan, links every layer like the tests).
# Never linked into a Causeway binary.
ORACLE_DIR  := tests/oracle/ics23-oracle
ORACLE_BIN  := $(BUILD)/oracle/release/ics23-oracle
ORACLE_DIFF := $(BUILD)/san/tests/oracle/ics23_diff
.PHONY: build-oracle oracle
# cargo: from PATH, else rustup's default place. Not installed by `make deps`: Debian 12's
# cargo (Rust 1.63) is too old for the crate's dependencies (prost 0.13 wants 1.70+), and
# the machines this project runs on (developers', CI's) bring a current toolchain.
CARGO ?= $(or $(shell command -v cargo 2>/dev/null),$(wildcard $(HOME)/.cargo/bin/cargo))
$(ORACLE_BIN): $(ORACLE_DIR)/Cargo.toml $(ORACLE_DIR)/Cargo.lock $(wildcard $(ORACLE_DIR)/src/*.rs)
	@echo "  CARGO $(ORACLE_DIR)"
	$(Q)if [ -z "$(CARGO)" ]; then echo "cargo not found: the ICS-23 oracle (tests/oracle) needs Rust 1.70+ with cargo" >&2; exit 1; fi
	$(Q)$(CARGO) build --quiet --release --locked --manifest-path $(ORACLE_DIR)/Cargo.toml \
	    --target-dir $(abspath $(BUILD))/oracle
	$(Q)touch $@
# The 07-tendermint oracle (tendermint-rs's verifier, test-only) and its case generator
# (tests/oracle/tm_diff.c): the same cases judged by both, compared by tm_compare.py.
TM_ORACLE_DIR := tests/oracle/tendermint-oracle
TM_ORACLE_BIN := $(BUILD)/oracle/release/tendermint-oracle
TM_DIFF       := $(BUILD)/san/tests/oracle/tm_diff
$(TM_ORACLE_BIN): $(TM_ORACLE_DIR)/Cargo.toml $(TM_ORACLE_DIR)/Cargo.lock $(wildcard $(TM_ORACLE_DIR)/src/*.rs)
	@echo "  CARGO $(TM_ORACLE_DIR)"
	$(Q)if [ -z "$(CARGO)" ]; then echo "cargo not found: the 07-tendermint oracle (tests/oracle) needs Rust 1.70+ with cargo" >&2; exit 1; fi
	$(Q)$(CARGO) build --quiet --release --locked --manifest-path $(TM_ORACLE_DIR)/Cargo.toml \
	    --target-dir $(abspath $(BUILD))/oracle
	$(Q)touch $@
build-oracle: $(ORACLE_BIN) $(ORACLE_DIFF) $(TM_ORACLE_BIN) $(TM_DIFF)

# The runner prints each suite's cmocka summary and one closing line "N passed, N failed".
test: deps
	$(Q)$(MAKE) --no-print-directory build-rel build-san build-fuzz build-oracle
	$(Q)BUILD=$(BUILD) SHARED=$(SHARED) FUZZ_SMOKE_SECONDS=$(FUZZ_SMOKE_SECONDS) \
	    scripts/run-tests.sh

unit: deps
	$(Q)$(MAKE) --no-print-directory build-san
	$(Q)BUILD=$(BUILD) SHARED=$(SHARED) CW_ONLY=unit scripts/run-tests.sh

oracle: deps
	$(Q)$(MAKE) --no-print-directory build-oracle
	$(Q)BUILD=$(BUILD) SHARED=$(SHARED) CW_ONLY=oracle scripts/run-tests.sh

fuzz: deps
	$(Q)$(MAKE) --no-print-directory build-fuzz
	$(Q)BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/run-fuzz.sh $(FUZZ_BINS)

# Not part of `make test`: a report to read, not a pass/fail gate (docs/DESIGN.md §12).
coverage: deps
	$(Q)scripts/deps.sh coverage
	$(Q)$(MAKE) --no-print-directory build-cov $(if $(CARGO),$(ORACLE_BIN))
	$(Q)BUILD=$(BUILD) SHARED=$(SHARED) CC=$(TEST_CC) scripts/coverage.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory build-bench $(if $(CARGO),$(ORACLE_BIN))
	$(Q)BUILD=$(BUILD) SHARED=$(SHARED) scripts/run-bench.sh $(BENCH_BINS)

# The soak (not part of `make bench`: 10^6 packets take several minutes): cost per packet
# per window as the state grows. CW_SOAK_PACKETS, CW_SOAK_RATE, CW_SOAK_WINDOW,
# CW_SOAK_STATE_VERSIONS (the nodes' state_versions: a small one makes pruning part of it).
soak: deps
	$(Q)$(MAKE) --no-print-directory build-rel $(IOCOUNT_SO)
	$(Q)CW_BUILD=$(abspath $(BUILD)) CW_SHARED=$(SHARED) CW_IOCOUNT_SO=$(abspath $(IOCOUNT_SO)) \
	    python3 bench/soak_relayer.py

demo: deps
	$(Q)$(MAKE) --no-print-directory build-rel
	$(Q)BUILD=$(BUILD) scripts/demo.sh $(ARGS)

deps:
	$(Q)scripts/deps.sh

# The image's base is made from Debian packages when the engine lacks it (docker/make-base.sh),
# so no registry is needed; BASE=debian:bookworm-slim uses a pulled base instead.
IMAGE ?= causeway:latest
# Prometheus for compose's `monitoring` profile, from Debian's package (docker/prometheus/)
PROM_IMAGE ?= causeway-prometheus:latest
image: deps
	$(Q)$(MAKE) --no-print-directory build-rel
	$(Q)scripts/deps.sh image
	$(Q)BUILD=$(BUILD) IMAGE=$(IMAGE) docker/build-image.sh
	$(Q)PROM_IMAGE=$(PROM_IMAGE) docker/build-prometheus-image.sh

clean:
	rm -rf $(BUILD)
