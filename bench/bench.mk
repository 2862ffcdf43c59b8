# Benchmarks (`make bench`, bench/README.md), included by the top Makefile
# after tests/guests/guests.mk, whose compiler settings and runtime objects
# (tests/guests/lib) the bench guests reuse.
#   build/bench/bench.elf       supervisor guest (bench/guests/bench.c)
#   build/bench/mbench.elf      machine-mode guest (bench/guests/mbench.c)
#   build/bench/linux/initrd.cpio  an initramfs whose /init (bench/linux/init.c)
#                               replaces the Linux guest's own for the bench
#   build/bench/configs/*.dtb   VM configurations (bench/configs/*.dts)
# bench/run.py runs them and writes build/bench/results.{md,svg}.

BENCH_OUT     := $(B)/bench
BENCH_GUESTS  := $(BENCH_OUT)/bench.elf $(BENCH_OUT)/mbench.elf
BENCH_CONFIGS := $(patsubst bench/configs/%.dts,$(BENCH_OUT)/configs/%.dtb,\
                   $(filter-out bench/configs/linux%,$(wildcard bench/configs/*.dts)))
BENCH_LINUX_CONFIGS := $(patsubst bench/configs/%.dts,$(BENCH_OUT)/configs/%.dtb,\
                   $(wildcard bench/configs/linux*.dts))
BENCH_INITRD  := $(BENCH_OUT)/linux/initrd.cpio
BENCH_OBJS    := $(patsubst bench/guests/%,$(BENCH_OUT)/obj/%.o,\
                   $(basename $(wildcard bench/guests/*.c bench/guests/*.S)))
LINUX_CC      ?= riscv64-linux-gnu-gcc

$(BENCH_OUT)/obj/%.o: bench/guests/%.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(BENCH_OUT)/obj/%.o: bench/guests/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_ARCH) -MMD -MP -c $< -o $@

$(BENCH_OUT)/bench.elf: $(BENCH_OUT)/obj/bench.o $(BENCH_OUT)/obj/loops.o $(GUEST_LIB_OBJS) \
                        $(GUEST_SRC)/guest.ld
	$(GUEST_CC) $(GUEST_LDFLAGS) $(filter %.o,$^) -lgcc -o $@

# Of tests/guests/lib only the formatting in console.c (and what it links).
$(BENCH_OUT)/mbench.elf: $(BENCH_OUT)/obj/mbench.o $(BENCH_OUT)/obj/mbench_entry.o \
                         $(BENCH_OUT)/obj/loops.o $(GUEST_OUT)/obj/lib/console.o \
                         $(GUEST_OUT)/obj/lib/sbi.o $(GUEST_OUT)/obj/lib/string.o \
                         bench/guests/mbench.ld
	$(GUEST_CC) $(GUEST_LDBASE) -T bench/guests/mbench.ld $(filter %.o,$^) -lgcc -o $@

$(BENCH_OUT)/configs/%.dtb: bench/configs/%.dts bench/configs/bench-devices.dtsi $(BENCH_GUESTS) \
                            $(GUEST_OUT)/disk-4m.img
	@mkdir -p $(dir $@)
	$(DTC) -q -i . -i $(RVHV_CACHE)/linux -I dts -O dtb -o $@ $<

# The Linux bench: its /init, static, in an initramfs QEMU (-initrd) or rvhv
# (the VM's initrd) hands to the cached Image; the kernel unpacks it over
# its built-in one, so this /init replaces tools/linux/init.c's.
$(BENCH_OUT)/linux/init: bench/linux/init.c tools/linux/uring.h
	@mkdir -p $(dir $@)
	$(LINUX_CC) -static -O2 -Wall -Wextra -Werror -I tools/linux -o $@ $<

$(BENCH_INITRD): $(BENCH_OUT)/linux/init bench/linux/initramfs.list
	cd $(BENCH_OUT)/linux && $(RVHV_CACHE)/linux/build/usr/gen_init_cpio \
	    $(CURDIR)/bench/linux/initramfs.list > initrd.cpio.tmp && mv initrd.cpio.tmp initrd.cpio

$(BENCH_LINUX_CONFIGS): $(BENCH_INITRD) $(RVHV_CACHE)/linux/Image

bench-build: $(BENCH_GUESTS) $(BENCH_CONFIGS)
bench-linux-build: $(BENCH_INITRD) $(BENCH_LINUX_CONFIGS)

-include $(BENCH_OBJS:.o=.d)
.SECONDARY: $(BENCH_OBJS)
.PHONY: bench bench-build bench-linux-build
