# Bare-metal test guests, included by the top Makefile.  Each S-mode guest
# (VS-mode under rvhv) is one tests/guests/<name>.c linked with the small
# runtime in tests/guests/lib at 0x80200000.  mboot is the exception: a
# machine-mode guest at 0x80000000 with its own entry and no SBI.

GUEST_NAMES   := hello sbi_test mmio_test victim attacker uart_irq blk_test virtio_hostile \
                 worker hostile edu uart_tier plic_tier window_test
GUEST_SRC     := tests/guests
GUEST_OUT     := $(B)/guests
GUEST_CC      := $(or $(CROSS),riscv64-unknown-elf-)gcc
GUEST_ARCH    := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany
# -fno-tree-loop-distribute-patterns: lib/string.c's loops must not become
# calls to themselves.
GUEST_CFLAGS  := $(GUEST_ARCH) -std=gnu11 -O2 -g -Wall -Wextra -Werror \
                 -ffreestanding -nostdlib -nostdinc -fno-common -fno-stack-protector \
                 -fno-pie -fno-tree-loop-distribute-patterns \
                 -isystem $(shell $(GUEST_CC) -print-file-name=include) \
                 -I$(GUEST_SRC)/lib -I. -MMD -MP
GUEST_LDBASE  := $(GUEST_ARCH) -nostdlib -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments
GUEST_LDFLAGS := $(GUEST_LDBASE) -T $(GUEST_SRC)/guest.ld
GUEST_LIB_SRCS := $(wildcard $(GUEST_SRC)/lib/*.c $(GUEST_SRC)/lib/*.S)
GUEST_LIB_OBJS := $(patsubst $(GUEST_SRC)/%,$(GUEST_OUT)/obj/%.o,$(basename $(GUEST_LIB_SRCS)))
MBOOT_OBJS    := $(GUEST_OUT)/obj/mboot.o $(GUEST_OUT)/obj/mboot_entry.o $(GUEST_OUT)/obj/lib/string.o
# hostile is made of four files: hostile.c and these parts.
HOSTILE_OBJS  := $(GUEST_OUT)/obj/hostile_cpu.o $(GUEST_OUT)/obj/hostile_mmio.o \
                 $(GUEST_OUT)/obj/hostile_virtio.o
GUEST_OBJS    := $(GUEST_LIB_OBJS) $(GUEST_NAMES:%=$(GUEST_OUT)/obj/%.o) $(MBOOT_OBJS) $(HOSTILE_OBJS)

GUESTS += $(GUEST_NAMES:%=$(GUEST_OUT)/%.elf) $(GUEST_OUT)/mboot.elf

# A blank 4 MiB disk image for the RAM-backed virtio-blk of configs/test-blk*.dts
# (rvhv,image = /incbin/(...)); in GUESTS so that every config is built after it.
GUESTS += $(GUEST_OUT)/disk-4m.img
$(GUEST_OUT)/disk-4m.img:
	@mkdir -p $(dir $@)
	rm -f $@ && truncate -s 4M $@

$(GUEST_OUT)/obj/%.o: $(GUEST_SRC)/%.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OUT)/obj/%.o: $(GUEST_SRC)/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_ARCH) -I$(GUEST_SRC)/lib -MMD -MP -c $< -o $@

$(GUEST_OUT)/%.elf: $(GUEST_OUT)/obj/%.o $(GUEST_LIB_OBJS) $(GUEST_SRC)/guest.ld
	$(GUEST_CC) $(GUEST_LDFLAGS) $(filter %.o,$^) -lgcc -o $@

$(GUEST_OUT)/hostile.elf: $(HOSTILE_OBJS)

# edu runs with its RAM at guest-physical 0xc0000000 (tests/guests/edu.c says why).
$(GUEST_OUT)/edu.elf: GUEST_LDFLAGS += -Wl,--defsym=guest_base=0xc0200000

# mboot: its own entry and linker script; of lib/ only string.c (no SBI).
$(GUEST_OUT)/mboot.elf: $(MBOOT_OBJS) $(GUEST_SRC)/mboot.ld
	$(GUEST_CC) $(GUEST_LDBASE) -T $(GUEST_SRC)/mboot.ld $(filter %.o,$^) -lgcc -o $@

-include $(GUEST_OBJS:.o=.d)
# Keep the per-guest objects make would otherwise delete as intermediates.
.SECONDARY: $(GUEST_OBJS)
