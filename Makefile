# Rampart build. `make` builds the root; `make demo` boots the default
# stack; `make check` runs every test. See README.md.

CC      ?= gcc
# `make V=1` shows each command.
Q       := $(if $(V),,@)
CLANG   ?= clang
B       := build
GCCINC  := $(shell $(CC) -print-file-name=include)
CLANGINC := $(shell $(CLANG) -print-file-name=include 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wno-unused-parameter -Wmissing-prototypes \
	   -Wstrict-prototypes -Wwrite-strings -Wundef -Wshadow -Wpointer-arith \
	   -Wold-style-definition -Wmissing-declarations -Wvla
COMMON  := -std=gnu11 -O2 -g $(WARN) -Isrc -Iinclude -MMD -MP
# Freestanding code sees only the compiler's own headers (stdint.h, ...).
FREE    := -ffreestanding -nostdinc
# gcc turns copy loops into memcpy calls, which a layer does not have.
GCCFREE := -fno-tree-loop-distribute-patterns
ROOTDEF := -D_GNU_SOURCE

FREE_SRC := $(wildcard src/lib/*.c src/virtio/*.c src/boot/*.c src/fw/*.c) src/ids/blob.c src/ids/flow.c src/ids/walk.c src/ids/thr.c src/ids/http.c src/ids/stream.c src/ids/seg.c src/ids/app.c src/ids/hdronly.c
ROOT_SRC := $(filter-out src/root/main.c,$(wildcard src/root/*.c))
LIBS     := -ljansson -lseccomp -lpthread

# ---- the root ---------------------------------------------------------------
FREE_OBJ := $(FREE_SRC:%.c=$(B)/obj/%.o)
ROOT_OBJ := $(ROOT_SRC:%.c=$(B)/obj/%.o)

all: $(B)/rampart $(B)/rampart-policy $(B)/timeline $(B)/ids-hsbench $(B)/layer.elf $(B)/layer-gcc.elf $(B)/layer-clang.elf $(B)/tapio $(B)/idstool \
     $(B)/rampart-test $(B)/test/rampart-policy $(B)/test/layer.elf $(B)/test/layer-gcc.elf $(B)/test/layer-clang.elf

$(B)/obj/src/root/%.o: src/root/%.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	$(Q)$(CC) $(COMMON) $(ROOTDEF) -c $< -o $@

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	$(Q)$(CC) $(COMMON) $(FREE) $(GCCFREE) -isystem $(GCCINC) -c $< -o $@

$(B)/librampart.a: $(FREE_OBJ) $(ROOT_OBJ)
	@rm -f $@
	@echo "  AR $@"
	$(Q)ar rcs $@ $^

$(B)/rampart: $(B)/obj/src/root/main.o $(B)/librampart.a
	@echo "  LD $@"
	$(Q)$(CC) -o $@ $^ $(LIBS)

# The test build of the root (include/rampart/kinds.h, invariant 1): the
# same objects as build/rampart but for the files that RP_TEST_BUILD
# changes (the test kinds accepted, the root's test device, --echo):
# build/test/rampart (named rampart, so that its processes and threads are
# named as the production root's), with the test images beside it;
# build/rampart-test links to it. Its jail, seals and checks are
# build/rampart's own objects (tests/layers/images.sh compares them).
ROOT_TEST_SRC := src/root/config.c src/root/ln_dev.c src/root/main.c
# The HTTP parser (src/ids/http.c, which calls zlib's inflate) is no
# part of it: the root parses no HTTP, and links no zlib.
ROOT_TEST_OBJ := $(ROOT_TEST_SRC:%.c=$(B)/test/obj/%.o) \
		 $(filter-out $(ROOT_TEST_SRC:%.c=$(B)/obj/%.o),$(ROOT_OBJ)) \
		 $(filter-out $(B)/obj/src/ids/http.o,$(FREE_OBJ))

$(B)/test/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	$(Q)$(CC) $(COMMON) $(ROOTDEF) -DRP_TEST_BUILD -c $< -o $@

$(B)/test/rampart: $(ROOT_TEST_OBJ)
	@echo "  LD $@"
	$(Q)$(CC) -o $@ $^ $(LIBS)

$(B)/rampart-test: $(B)/test/rampart
	@echo "  LN $@"
	$(Q)ln -sf test/rampart $@

# The policy compiler it runs, found beside it as beside build/rampart.
$(B)/test/rampart-policy: $(B)/rampart-policy
	@mkdir -p $(dir $@)
	@echo "  LN $@"
	$(Q)ln -sf ../rampart-policy $@

# The policy program (host C): the nftables subset compiler and the
# firewall's offline mode, which runs the engine of src/fw built for the host.
# The root never links it: `rampart firewall` executes it.
POLICY_SRC := $(wildcard tools/policy/*.c)
POLICY_LIB := $(filter-out tools/policy/main.c,$(POLICY_SRC))
FW_SRC   := $(wildcard src/fw/*.c) src/lib/rt.c src/lib/sha256.c src/ids/blob.c src/ids/flow.c src/ids/walk.c src/ids/thr.c src/ids/http.c src/ids/stream.c src/ids/seg.c src/ids/app.c src/ids/hdronly.c

$(B)/obj/tools/%.o: tools/%.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	$(Q)$(CC) $(COMMON) $(ROOTDEF) -Itools/policy -c $< -o $@

# The ids engine (tools/policy/ids_*.c) links Hyperscan, PCRE2 and zlib.
IDS_LIBS := -lhs -lpcre2-8 -lz

$(B)/rampart-policy: $(POLICY_SRC:%.c=$(B)/obj/%.o) $(FW_SRC:%.c=$(B)/obj/%.o) $(B)/obj/src/root/sigsys.o
	@echo "  LD $@"
	$(Q)$(CC) -o $@ $^ $(IDS_LIBS) -ljansson -lseccomp

# A small tool of the benchmarks (it is copied into the test host too).
$(B)/timeline: bench/timeline.c
	@echo "  LD $@"
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

# bench/ids.sh's reference: plain hs_scan over an ids blob's database.
$(B)/ids-hsbench: bench/ids-hsbench.c src/ids/blob.h src/ids/probe.h
	@echo "  LD $@"
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -Iinclude -Isrc -o $@ $< $(HSRT_LIB) -lstdc++ -lm

# bench/layers.sh's A/B build: the root without its checks (see
# RP_BENCH_UNCHECKED in src/root/ln.h), only to measure what they cost.
$(B)/unchecked/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	$(Q)$(CC) $(COMMON) $(ROOTDEF) -DRP_BENCH_UNCHECKED -DRP_TEST_BUILD -c $< -o $@

# A test build (its stacks are spin's), in build/test/ beside the test images.
$(B)/test/rampart-unchecked: $(B)/unchecked/src/root/main.o $(ROOT_SRC:%.c=$(B)/unchecked/%.o) $(FREE_OBJ)
	@echo "  LD $@"
	$(Q)$(CC) -o $@ $^ $(LIBS)

# The host side of the layers' network test (tests/layers/run.sh).
$(B)/tapio: tests/layers/tapio.c
	@echo "  LD $@"
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

# The ids suite's pcap writer and blob forger (tests/layers/ids.sh), and the
# replay suite's both ends (tests/layers/replay.sh): with the offline mode's
# pcap reader.
$(B)/idstool: tests/layers/idstool.c tools/policy/pcap.c tools/policy/pcap.h src/ids/blob.h src/layer/replay.h
	@echo "  LD $@"
	@mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -Iinclude -Isrc -Itools/policy -o $@ tests/layers/idstool.c tools/policy/pcap.c

$(B)/cpuwork: bench/cpuwork.c $(B)/obj/src/lib/work.o
	@echo "  LD $@"
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -Isrc -o $@ $^

# ---- unit tests, under AddressSanitizer and UBSan ---------------------------
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
AFREE_OBJ := $(FREE_SRC:%.c=$(B)/asan/%.o)
AROOT_OBJ := $(ROOT_SRC:%.c=$(B)/asan/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)

$(B)/asan/src/root/%.o: src/root/%.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	$(Q)$(CC) $(COMMON) $(SAN) $(ROOTDEF) -DRP_TEST_BUILD -c $< -o $@

$(B)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	$(Q)$(CC) $(COMMON) $(SAN) $(FREE) $(GCCFREE) -isystem $(GCCINC) -c $< -o $@

$(B)/librampart-asan.a: $(AFREE_OBJ) $(AROOT_OBJ)
	@rm -f $@
	@echo "  AR $@"
	$(Q)ar rcs $@ $^

$(B)/asan/tools/%.o: tools/%.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	$(Q)$(CC) $(COMMON) $(SAN) $(ROOTDEF) -Itools/policy -c $< -o $@

$(B)/libpolicy-asan.a: $(POLICY_LIB:%.c=$(B)/asan/%.o)
	@rm -f $@
	@echo "  AR $@"
	$(Q)ar rcs $@ $^

# The ids layer's PCRE2 glue, built for the host (with libc's headers and
# allocator) so that a unit test decodes and matches a blob's pcres with it.
$(B)/asan/host/src/ids/pcrert.o: src/ids/pcrert.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	$(Q)$(CC) $(COMMON) $(SAN) -c $< -o $@

$(B)/unit/%: tests/unit/%.c tests/unit/unit.h $(B)/librampart-asan.a $(B)/libpolicy-asan.a $(B)/asan/host/src/ids/pcrert.o
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	$(Q)$(CC) $(COMMON) $(SAN) $(ROOTDEF) -Itests/unit -Itools/policy -o $@ $< $(B)/libpolicy-asan.a $(B)/librampart-asan.a $(B)/asan/host/src/ids/pcrert.o -lcmocka $(LIBS) $(IDS_LIBS)

# The root's tree, seal and hypercall code on a fake KVM: tests/unit/test_ln_*.c
# link tests/unit/fake_kvm.c in place of src/root/kvm_ioctl.c (the one
# wrapper of KVM's ioctls), the rest of the root unchanged.
LN_FAKE := tests/unit/fake_kvm.c tests/unit/ln_fixture.c
LN_FAKE_H := tests/unit/fake_kvm.h tests/unit/ln_fixture.h

$(B)/librampart-fakekvm-asan.a: $(AFREE_OBJ) $(filter-out %/kvm_ioctl.o,$(AROOT_OBJ))
	@rm -f $@
	@echo "  AR $@"
	$(Q)ar rcs $@ $^

$(B)/unit/test_ln_%: tests/unit/test_ln_%.c tests/unit/unit.h $(LN_FAKE) $(LN_FAKE_H) $(B)/librampart-fakekvm-asan.a $(B)/libpolicy-asan.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	$(Q)$(CC) $(COMMON) $(SAN) $(ROOTDEF) -Itests/unit -Itools/policy -o $@ $< $(LN_FAKE) $(B)/libpolicy-asan.a $(B)/librampart-fakekvm-asan.a -lcmocka $(LIBS) $(IDS_LIBS)

# The loader's tests also parse and load the real guest kernel when it is built.
unit: $(UNIT_BIN)
	@mkdir -p $(B)/results; rm -f $(B)/results/unit.n
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; \
	  RAMPART_TEST_KERNEL=$${RAMPART_TEST_KERNEL:-$(B)/images/vmlinuz} $$t 2>&1 | tee $(B)/results/unit.out; \
	  [ "$$(grep -c '^\[  PASSED  \]' $(B)/results/unit.out)" = 1 ]; \
	  if grep -q '^\[  FAILED  \]' $(B)/results/unit.out; then echo "unit: $$t failed"; exit 1; fi; \
	  sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' $(B)/results/unit.out >>$(B)/results/unit.n; done; \
	  n=$$(awk '{ s += $$1 } END { print s + 0 }' $(B)/results/unit.n); rm -f $(B)/results/unit.n $(B)/results/unit.out; \
	  echo "unit: $$n passed, 0 failed, 0 skipped" | tee $(B)/results/unit.count

# ---- fuzzing (clang, libFuzzer) ---------------------------------------------
FSAN     := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
FFREE_OBJ := $(FREE_SRC:%.c=$(B)/fuzzobj/%.o)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(B)/fuzz/%)
FUZZ_SECONDS ?= 60

$(B)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	$(Q)$(CLANG) $(COMMON) $(FSAN) $(FREE) -isystem $(CLANGINC) -c $< -o $@

# The rule compiler (host C) for fuzz/fuzz_fw_rules.c.
$(B)/fuzzobj/tools/%.o: tools/%.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	$(Q)$(CLANG) $(COMMON) $(FSAN) $(ROOTDEF) -Itools/policy -c $< -o $@

# With the SIGSYS report the policy program's sandbox shares with the root.
FPOLICY_OBJ := $(POLICY_LIB:%.c=$(B)/fuzzobj/%.o) $(B)/fuzzobj/src/root/sigsys.o

$(B)/fuzz/%: fuzz/%.c $(FFREE_OBJ) $(FPOLICY_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	$(Q)$(CLANG) $(COMMON) -fsanitize=fuzzer,address,undefined -Itools/policy -o $@ $< $(FFREE_OBJ) $(FPOLICY_OBJ) $(IDS_LIBS) -ljansson -lseccomp

# The hypercall fuzzer: the root's code (but src/root/kvm_ioctl.c) on the
# fake KVM of the unit tests. clang reads libseccomp's SCMP_A* macros
# (jail.c) as missing field initializers, which gcc does not.
FROOT_OBJ := $(filter-out %/kvm_ioctl.o %/sigsys.o,$(ROOT_SRC:%.c=$(B)/fuzzobj/%.o))

$(B)/fuzzobj/src/root/%.o: src/root/%.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	$(Q)$(CLANG) $(COMMON) $(FSAN) $(ROOTDEF) -DRP_TEST_BUILD -Wno-missing-field-initializers -c $< -o $@

# The fake and the checks: sanitized, but not coverage the fuzzer steers by.
$(B)/fuzzobj/tests/unit/%.o: tests/unit/%.c $(LN_FAKE_H)
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	$(Q)$(CLANG) $(COMMON) -fsanitize=address,undefined -fno-omit-frame-pointer $(ROOTDEF) -Itests/unit -c $< -o $@

$(B)/libroot-fuzz.a: $(FROOT_OBJ)
	@rm -f $@
	@echo "  AR $@"
	$(Q)ar rcs $@ $^

$(B)/fuzz/fuzz_ln_hc: fuzz/fuzz_ln_hc.c $(LN_FAKE:%.c=$(B)/fuzzobj/%.o) $(B)/libroot-fuzz.a $(FFREE_OBJ) $(FPOLICY_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	$(Q)$(CLANG) $(COMMON) -fsanitize=fuzzer,address,undefined $(ROOTDEF) -Itests/unit -o $@ $< $(LN_FAKE:%.c=$(B)/fuzzobj/%.o) $(B)/libroot-fuzz.a $(FFREE_OBJ) $(FPOLICY_OBJ) $(LIBS) $(IDS_LIBS)

fuzz-build: $(FUZZ_BIN)

# Long runs: make fuzz FUZZ_SECONDS=600
fuzz: $(FUZZ_BIN) $(B)/layer-gcc.elf $(B)/layer-clang.elf
	@scripts/fuzz-seeds.sh
	@set -e; for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p $(B)/corpus/$$n; \
	  echo "== $$n ($(FUZZ_SECONDS) s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $(FUZZ_FLAGS) $(B)/corpus/$$n \
	    $$(ls -d fuzz/seeds/$$n $(B)/seeds/$$n 2>/dev/null) >$(B)/fuzz-$$n.log 2>&1 || \
	    { tail -n 60 $(B)/fuzz-$$n.log; echo "fuzz: $$n failed (log: $(B)/fuzz-$$n.log)"; exit 1; }; \
	  grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' $(B)/fuzz-$$n.log; done

# In make check: short, and with a fixed seed so that CI is repeatable.
fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$${FUZZ_SMOKE_SECONDS:-20} FUZZ_FLAGS=-seed=1

# ---- guest images, system tests, demo, benchmarks ---------------------------
deps:
	@scripts/deps.sh

images: deps
	@scripts/images.sh

# Every suite that needs KVM runs where KVM is real (scripts/hostkind.sh):
# directly on /dev/kvm where it can, otherwise inside the test host, all in
# one boot (tests/run.sh).
system: all images
	@tests/run.sh system

# What needs no KVM: bad operator input (each case also with /dev/kvm
# hidden), the layer images as built (diversity, W^X), and the firewall
# engine against nftables (tests/fw/diff.sh, network namespaces), the ids
# engine against suricata-verify's expected alerts (tests/ids/verify.sh).
cli: all images
	@tests/host.sh cli tests/cli/errors.sh
	@tests/host.sh images tests/layers/images.sh
	@tests/host.sh fw-frag tests/fw/frag.sh
	@tests/host.sh fw-diff tests/fw/diff.sh
	@tests/host.sh policy-sandbox tests/fw/sandbox.sh
	@tests/host.sh ids-verify tests/ids/verify.sh

# All 30 suricata-verify tests, the failing ones too (docs/ids.md lists them).
ids-verify-all: $(B)/rampart-policy
	@RAMPART_IDS_ALL=1 tests/host.sh ids-verify-all tests/ids/verify.sh

# The ids engine against Suricata itself (the oracle runs in the test) with
# all of ET Open over the suricata-verify pcaps: a few minutes, most of it
# Suricata loading the rules, so not in cli (docs/ids.md).
ids-diff: $(B)/rampart-policy
	@tests/host.sh ids-diff tests/ids/diff-suricata.sh

# Chains of ring-3 layers and the CLI's stacks: on PVM or hardware KVM, or in the test host.
layers: all images
	@tests/run.sh cli-kvm layers io fw wrap ids replay jail

KVM_SUITES := cli-kvm layers io fw wrap ids replay jail limits system

check: deps
	@rm -rf $(B)/results
	@$(MAKE) --no-print-directory all images
	@$(MAKE) --no-print-directory unit cli ids-diff fuzz-smoke
	@tests/run.sh $(KVM_SUITES)
	@scripts/check-summary.sh unit cli images fw-diff ids-verify ids-diff $(KVM_SUITES)

demo: deps
	@$(MAKE) --no-print-directory all images
	@scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all images $(B)/cpuwork $(B)/test/rampart-unchecked
	@bench/layers.sh
	@bench/run.sh
	@bench/iperf.sh
	@bench/fw.sh

# The ids engine: scan speed against Suricata, hs_scan on the host against
# the scan in the ids layer, rules loaded and compile cost per set
# (docs/benchmarks-ids.md).
bench-ids: deps
	@$(MAKE) --no-print-directory all images $(B)/ids-hsbench
	@bench/ids.sh

# The firewall engine: frames/s offline and cycles per frame in the layer
# by policy size, single-port rules against a set (docs/benchmarks-fw.md).
bench-fw: deps
	@$(MAKE) --no-print-directory all images
	@bench/fw.sh

# The guest's network through layers alone (iperf3, ping, exits per frame).
# A guest's CPU-bound work on 4 vCPUs behind 5 layers against depth 1 (docs/benchmarks-smp.md).
bench-smp: deps
	@$(MAKE) --no-print-directory all images
	@bench/smp.sh

bench-net: deps
	@$(MAKE) --no-print-directory all images
	@bench/iperf.sh

# The root's jail: an exit's cost and the guest's network with and without
# it, and the root's lines of code (docs/benchmarks-jail.md).
bench-jail: deps
	@$(MAKE) --no-print-directory all images
	@bench/jail.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B)

.PHONY: all unit cli ids-verify-all ids-diff layers fuzz fuzz-build fuzz-smoke deps images system check demo bench bench-fw bench-ids bench-net bench-smp bench-jail format clean
-include $(shell find $(B)/obj $(B)/test/obj $(B)/unchecked $(B)/asan $(B)/fuzzobj $(B)/unit -type f -name '*.d' 2>/dev/null)

# ---- layers (ring-3 images) -------------------------------------------------
# The layer kernel: freestanding, CPL 3, linked at RP_IMAGE_BASE with one
# PT_LOAD per protection (src/layer/layer.ld); include/rampart/abi.h says
# how it starts. Its objects are built apart: no sanitizers, no PIC. A fault
# switches to the ring-0 stack (TSS RSP0), so the red zone is never hit.
#
# Diversity: two variants from the same source, build/layer-gcc.elf and
# build/layer-clang.elf, so that one exploit does not carry from layer to
# layer. Each is built with -ffunction-sections and linked with its functions
# in an order shuffled by the build's seed, with random padding between them
# (scripts/layer-order.py), and with a stack protector whose guard is the
# per-boot canary of the boot info (layer.ld, src/layer/guard.c). The seed is
# drawn once and kept in build/layer-seed, so a rebuild gives the same images
# (and an approved manifest stays valid); `make LAYER_SEED=WORD` sets it (1..64
# letters and digits), `make clean` forgets it. build/layer.elf is a copy of
# the gcc variant, for tools that take one image.
LAYER_VARIANTS := gcc clang
GCC      ?= gcc
LAYER_SRC := $(wildcard src/layer/*.c src/layer/*.S src/lib/*.c src/boot/*.c src/virtio/*.c src/fw/*.c src/ids/*.c)
# The ids layer's scanner: Hyperscan's runtime as Debian ships it (no
# compiler in it), linked unchanged; src/ids/shim.c gives it its libc.
# Only src/ids sees Hyperscan's headers (and our one-line stdlib.h for them).
HSRT_LIB := $(shell $(GCC) -print-file-name=libhs_runtime.a)
HSRT_INC := -isystem src/ids/libc -isystem /usr/include/hs
# Its pcre confirmation: PCRE2's interpreter as Debian ships it, linked
# unchanged (no JIT: src/ids/shim.c stubs its entry points out).
PCRE2_LIB := $(shell $(GCC) -print-file-name=libpcre2-8.a)
# Its HTTP response bodies' inflate (src/ids/http.c): zlib as Debian ships
# it, linked unchanged; inflate allocates from the parser's scratch alone.
ZLIB_LIB := $(shell $(GCC) -print-file-name=libz.a)
LAYERFLAGS := $(COMMON) $(FREE) -fno-pic -fno-pie -mno-red-zone -mcmodel=small \
	      -ffunction-sections -fstack-protector-strong -mstack-protector-guard=global
LAYER_CC_gcc := $(GCC)
LAYER_CC_clang := $(CLANG)
LAYERFLAGS_gcc := $(GCCFREE) -isystem $(shell $(GCC) -print-file-name=include)
LAYERFLAGS_clang := -isystem $(CLANGINC)

$(B)/layer-seed: FORCE
	@mkdir -p $(B)
	@new='$(LAYER_SEED)'; \
	if [ -z "$$new" ] && [ -s $@ ]; then exit 0; fi; \
	[ -n "$$new" ] || new=$$(od -An -N8 -tx8 /dev/urandom | tr -d ' \n'); \
	case $$new in *[!A-Za-z0-9]*) echo "LAYER_SEED=$$new: use letters and digits" >&2; exit 1;; esac; \
	if [ "$$(cat $@ 2>/dev/null)" != "$$new" ]; then echo "$$new" >$@; echo "  SEED $$new"; fi

# The test images (build/test/layer-gcc.elf, layer-clang.elf, layer.elf):
# every source, the test personalities (RP_TEST_BUILD: include/rampart/kinds.h)
# too, for build/rampart-test; the production images above have none of
# them (tests/layers/images.sh checks their symbols).
LAYER_TEST_SRC := $(addprefix src/layer/,abuse.c badring.c churn.c flood.c hog.c iotest.c \
		  mapinfo.c sealfill.c spin.c testkinds.c vmmhide.c)
LAYER_PROD_SRC := $(filter-out $(LAYER_TEST_SRC),$(LAYER_SRC))

# $(1) variant, $(2) its objects' folder under build/, $(3) the image, $(4) sources, $(5) flags
define layer_variant
LAYER_OBJ_$(2) := $$(patsubst %,$(B)/$(2)/%.o,$$(basename $(4)))

$(B)/$(2)/%.o: %.c
	@mkdir -p $$(dir $$@)
	@echo "  CC $$@"
	$$(Q)$$(LAYER_CC_$(1)) $$(LAYERFLAGS) $$(LAYERFLAGS_$(1)) $(5) $$(if $$(filter src/ids/%,$$<),$(HSRT_INC)) -c $$< -o $$@

$(B)/$(2)/%.o: %.S
	@mkdir -p $$(dir $$@)
	@echo "  AS $$@"
	$$(Q)$$(LAYER_CC_$(1)) $$(LAYERFLAGS) $$(LAYERFLAGS_$(1)) $(5) -c $$< -o $$@

$(B)/$(2)/layer-order.ld: $$(LAYER_OBJ_$(2)) $(B)/layer-seed scripts/layer-order.py
	@echo "  GEN $$@"
	$$(Q)scripts/layer-order.py "$$$$(cat $(B)/layer-seed)" $(1) $$@ $$(LAYER_OBJ_$(2))

$(3): $$(LAYER_OBJ_$(2)) src/layer/layer.ld $(B)/$(2)/layer-order.ld
	@echo "  LD $$@"
	$$(Q)$$(GCC) -nostdlib -static -no-pie -Wl,--build-id=none -Wl,--fatal-warnings \
		-L $(B)/$(2) -T src/layer/layer.ld -o $$@ $$(LAYER_OBJ_$(2)) $(HSRT_LIB) $(PCRE2_LIB) $(ZLIB_LIB)
endef
$(foreach v,$(LAYER_VARIANTS),$(eval $(call layer_variant,$(v),layerobj-$(v),$(B)/layer-$(v).elf,$(LAYER_PROD_SRC),)))
$(foreach v,$(LAYER_VARIANTS),$(eval $(call layer_variant,$(v),test/layerobj-$(v),$(B)/test/layer-$(v).elf,$(LAYER_SRC),-DRP_TEST_BUILD)))

$(B)/layer.elf: $(B)/layer-gcc.elf
	@echo "  CP $@"
	$(Q)cp $< $@

$(B)/test/layer.elf: $(B)/test/layer-gcc.elf
	@echo "  CP $@"
	$(Q)cp $< $@

FORCE:
.PHONY: FORCE

-include $(shell find $(LAYER_VARIANTS:%=$(B)/layerobj-%) $(LAYER_VARIANTS:%=$(B)/test/layerobj-%) -type f -name '*.d' 2>/dev/null)
