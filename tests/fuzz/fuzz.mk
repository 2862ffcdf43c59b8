# libFuzzer targets (tests/fuzz/README.md), built with clang, ASan and UBSan.
#   make fuzz-build                 build/fuzz/fuzz_*
#   make fuzz [FUZZ_SECONDS=90]     run each target in turn; summary in build/fuzz/summary.md
#   make fuzz-merge                 minimise what `make fuzz` found into tests/fuzz/corpus
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 90
FUZZ_TARGETS := fuzz_decode fuzz_virtqueue fuzz_uart16550 fuzz_plic fuzz_clint \
                fuzz_virtio_mmio fuzz_config fuzz_vpci
fuzz_decode_SRCS      := kernel/decode.c
fuzz_virtqueue_SRCS   := virtio/virtqueue.c
fuzz_uart16550_SRCS   := vdev/uart16550.c
fuzz_plic_SRCS        := vdev/plic.c
fuzz_clint_SRCS       := vdev/clint.c
fuzz_virtio_mmio_SRCS := virtio/mmio.c virtio/virtqueue.c virtio/blk.c virtio/rng.c
fuzz_config_SRCS      := kernel/config.c kernel/guest_dtb.c kernel/platform.c kernel/printf.c
fuzz_vpci_SRCS        := passthru/vpci_cfg.c kernel/printf.c
fuzz_config_LIBFDT    := $(patsubst %.c,$(B)/fuzz/libfdt/%.o,$(LIBFDT_SRCS))

FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# Coverage (cov:, ft:, what the corpus keeps) counts the code under test, not the harnesses.
FUZZ_CFLAGS := -std=gnu11 -O1 -g $(WARN) -I. -I$(LIBFDT) -DRVHV_HOST $(FUZZ_SAN) \
               -fsanitize-coverage-ignorelist=tests/fuzz/coverage-ignore.txt

$(B)/fuzz/libfdt/%.o: $(LIBFDT)/%.c | $(LIBFDT)/fdt.c
	@mkdir -p $(dir $@)
	@$(FUZZ_CC) -std=gnu11 -O1 -g -I$(LIBFDT) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

define fuzz_rule
$(B)/fuzz/$(1): tests/fuzz/$(1).c $$($(1)_SRCS) $$($(1)_LIBFDT) $(wildcard tests/fuzz/*.h) \
                tests/fuzz/coverage-ignore.txt | $(LIBFDT)/fdt.c
	@mkdir -p $$(dir $$@)
	@echo "  FUZZ    $$@"
	@$$(FUZZ_CC) $$(FUZZ_CFLAGS) -fsanitize=fuzzer $$(filter %.c %.o,$$^) -o $$@
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))

FUZZ_RUN := $(PYTHON) tests/fuzz/run.py --build $(B)/fuzz
fuzz-build: $(FUZZ_TARGETS:%=$(B)/fuzz/%)
fuzz: fuzz-build
	$(FUZZ_RUN) --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)
fuzz-merge: fuzz-build
	$(FUZZ_RUN) --merge $(FUZZ_TARGETS)
fuzz-list:
	@echo $(FUZZ_TARGETS)
