# rvhv: build, run, test, bench. Every QEMU command line lives here.
#   make deps       install packages (Debian) and prepare libfdt
#   make            build/rvhv.elf and build/rvhv.bin
#   make qemu       boot rvhv with the demo VM (or GUEST=... see README)
#   make test       host unit tests + QEMU integration tests
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (tests/fuzz/README.md)
#   make bench      benchmarks against native QEMU (bench/README.md)
#   make gdb        attach gdb-multiarch to a `make qemu-gdb`

CROSS    ?= riscv64-unknown-elf-
CC        = $(CROSS)gcc
OBJCOPY   = $(CROSS)objcopy
OBJDUMP   = $(CROSS)objdump
HOSTCC   ?= gcc
PYTHON   ?= /usr/bin/python3
QEMU     ?= qemu-system-riscv64
DTC      ?= dtc
B        ?= build
RVHV_CACHE ?= $(HOME)/.cache/rvhv
LIBFDT   := $(RVHV_CACHE)/libfdt
PICOLIBC := /usr/lib/picolibc/riscv64-unknown-elf
export RVHV_CACHE

WARN     := -Wall -Wextra -Werror -Wno-unused-parameter
TARGET_ARCH := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany
CFLAGS   := $(TARGET_ARCH) $(WARN) -std=gnu11 -O2 -g -ffreestanding -fno-common \
            -fno-tree-loop-distribute-patterns \
            -fno-stack-protector -fno-pie -nostdinc -isystem $(PICOLIBC)/include \
            -isystem $(shell $(CC) -print-file-name=include) \
            -isystem $(shell $(CC) -print-file-name=include-fixed) -I. -I$(LIBFDT) -MMD -MP
ASFLAGS  := $(TARGET_ARCH) -g -I. -MMD -MP
LDFLAGS  := -nostdlib -static -no-pie -T linker.ld -Wl,--gc-sections -Wl,--no-warn-rwx-segments -Wl,-Map,$(B)/rvhv.map
LDLIBS   := $(PICOLIBC)/lib/rv64imac/lp64/libc.a $(shell $(CC) -march=rv64imac -mabi=lp64 -print-libgcc-file-name)

# ---------------------------------------------------------------- hypervisor
HV_SRCS  := $(wildcard arch/riscv/*.c arch/riscv/*.S kernel/*.c vdev/*.c virtio/*.c passthru/*.c)
LIBFDT_SRCS := fdt.c fdt_ro.c fdt_rw.c fdt_sw.c fdt_wip.c fdt_empty_tree.c fdt_strerror.c fdt_addresses.c
HV_OBJS  := $(patsubst %,$(B)/obj/%.o,$(basename $(HV_SRCS))) \
            $(patsubst %.c,$(B)/obj/libfdt/%.o,$(LIBFDT_SRCS))

all: $(B)/rvhv.elf $(B)/rvhv.bin guests configs

$(LIBFDT)/fdt.c:
	./tools/libfdt.sh

$(B)/obj/%.o: %.c | $(LIBFDT)/fdt.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(B)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(ASFLAGS) -c $< -o $@

$(B)/obj/libfdt/%.o: $(LIBFDT)/%.c | $(LIBFDT)/fdt.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -Wextra -Werror -MMD -MP,$(CFLAGS)) -Wno-sign-compare -c $< -o $@

$(B)/rvhv.elf: $(HV_OBJS) linker.ld
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) $(HV_OBJS) $(LDLIBS) -o $@
	@$(CROSS)size $@ | tail -1 | awk '{printf "rvhv: text+data %d bytes, bss %d bytes\n", $$1+$$2, $$3}'

$(B)/rvhv.bin: $(B)/rvhv.elf
	$(OBJCOPY) -O binary $< $@

-include $(patsubst %.o,%.d,$(HV_OBJS))

# ---------------------------------------------------------------- host unit tests
# Each fragment tests/unit/*.mk adds a test: UNIT_TESTS += test_x; test_x_SRCS = ...
HOST_CFLAGS := -std=gnu11 -O1 -g $(WARN) -I. -I$(LIBFDT) -DRVHV_HOST -fno-tree-loop-distribute-patterns \
               -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
HOST_LIBS   := -lcmocka
UNIT_TESTS  :=
include $(wildcard tests/unit/*.mk)
HOST_LIBFDT := $(patsubst %.c,$(B)/host/libfdt/%.o,$(LIBFDT_SRCS))

$(B)/host/libfdt/%.o: $(LIBFDT)/%.c | $(LIBFDT)/fdt.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O1 -g -I$(LIBFDT) -fsanitize=address,undefined -c $< -o $@

define unit_rule
$(B)/host/$(1): $(1:%=tests/unit/%.c) $$($(1)_SRCS) $(HOST_LIBFDT) $(wildcard tests/unit/*.h) | $(LIBFDT)/fdt.c
	@mkdir -p $$(dir $$@)
	$$(HOSTCC) $$(HOST_CFLAGS) $$(filter %.c,$$^) $(HOST_LIBFDT) $$(HOST_LIBS) -o $$@
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

unit: $(UNIT_TESTS:%=$(B)/host/%)
	@fail=0; for t in $^; do $$t || fail=1; done; exit $$fail

# ---------------------------------------------------------------- fuzzing (libFuzzer, clang)
include tests/fuzz/fuzz.mk

# ---------------------------------------------------------------- guests and configs
GUESTS :=
include $(wildcard tests/guests/guests.mk)
guests: $(GUESTS)

CONFIGS := $(patsubst configs/%.dts,$(B)/configs/%.dtb,$(wildcard configs/*.dts))
configs: $(CONFIGS)
$(B)/configs/%.dtb: configs/%.dts $(GUESTS)
	@mkdir -p $(dir $@)
	$(DTC) -q -i . -I dts -O dtb -o $@ $<

# ---------------------------------------------------------------- running
# make qemu [CONFIG=name] | [GUEST=elf|bin DISK=img CPUS=n MEM=size BOOT=machine|supervisor]
CONFIG    ?= demo
CPUS      ?= 1
MEM       ?= 128M
HOSTMEM   ?= 1G
QEMUFLAGS ?=
POLLER    ?= 0
ifneq ($(GUEST),)
VMCONFIG  := $(B)/configs/user.dtb
HARTS     ?= $(shell echo $$(($(CPUS) + ($(POLLER) != 0))))
else
VMCONFIG  := $(B)/configs/$(CONFIG).dtb
HARTS     ?= 2
endif
QEMU_CPU  ?= rv64
VIRTIO    ?= modern
# DISK: the user's image as the platform's virtio-blk on the first slot
# (0x10001000); rvhv drives it and gives it to the VM as its virtio-blk.
comma     := ,
QEMU_DISK  = $(if $(DISK),-drive file=$(DISK)$(comma)if=none$(comma)format=raw$(comma)id=disk0 \
             -device virtio-blk-device$(comma)drive=disk0$(comma)bus=virtio-mmio-bus.0)
QEMU_CMD   = $(QEMU) -machine virt -cpu $(QEMU_CPU) -smp $(HARTS) -m $(HOSTMEM) -nographic \
             -bios default -kernel $(B)/rvhv.elf -initrd $(VMCONFIG) \
             -global virtio-mmio.force-legacy=false $(QEMU_DISK) $(QEMUFLAGS)

$(B)/configs/user.dtb: FORCE $(B)/rvhv.elf
	@mkdir -p $(dir $@)
	$(PYTHON) tools/mkconfig.py --guest "$(GUEST)" --cpus $(CPUS) --mem $(MEM) --boot "$(BOOT)" \
	    $(if $(DISK),--disk "$(DISK)") --virtio $(VIRTIO) \
	    $(if $(filter-out 0,$(POLLER)),--poller-hart $(CPUS)) -o $(B)/configs/user.dts
	$(DTC) -q -I dts -O dtb -o $@ $(B)/configs/user.dts

qemu: all $(VMCONFIG)
	@echo "rvhv: Ctrl-] ? for the console's keys; Ctrl-A x leaves QEMU"
	$(QEMU_CMD)

qemu-gdb: all $(VMCONFIG)
	@echo "*** now run 'make gdb' in another window"
	$(QEMU_CMD) -S -gdb tcp::$(GDBPORT)

GDBPORT ?= 26000
gdb: $(B)/rvhv.elf
	gdb-multiarch -q $(B)/rvhv.elf -ex 'set architecture riscv:rv64' \
	    -ex 'target remote localhost:$(GDBPORT)'

# Print the QEMU command line (the integration tests take theirs from here).
qemu-cmd: $(VMCONFIG)
	@echo '$(QEMU_CMD)'

# ---------------------------------------------------------------- tests
deps:
	./tools/setup.sh

# The Linux 6.1 guest, built from Debian's linux-source-6.1 into the cache (once).
LINUX_IMAGE := $(RVHV_CACHE)/linux/Image
linux:
	./tools/build-linux.sh

test: all unit-build fuzz-build linux
	RVHV_LINUX_IMAGE=$(LINUX_IMAGE) $(PYTHON) -m pytest -q tests

unit-build: $(UNIT_TESTS:%=$(B)/host/%)

# ---------------------------------------------------------------- benchmarks (bench/README.md)
include bench/bench.mk
bench: all linux
	$(MAKE) --no-print-directory bench-build bench-linux-build
	$(PYTHON) bench/run.py $(if $(XV6_DIR),--xv6 "$(XV6_DIR)") $(BENCHFLAGS)

clean:
	rm -rf $(B)

.PHONY: all unit unit-build guests configs qemu qemu-gdb gdb qemu-cmd deps test clean linux FORCE
.PHONY: fuzz fuzz-build fuzz-merge fuzz-list
FORCE:

unit-list:
	@echo $(UNIT_TESTS)
.PHONY: unit-list
