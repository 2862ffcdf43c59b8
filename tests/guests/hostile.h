/*
 * The hostile guest (tests/guests/hostile*.c): one VM with two harts that
 * breaks every rule a guest can break and checks that each abuse gets what
 * the spec or a real machine gives it.  Shared by its parts:
 *   hostile.c       main, SBI abuse, interrupt and exit storms, WFI, the
 *                   final fault loop (hart 1 ends the VM)
 *   hostile_cpu.c   H-extension and M-mode instructions and CSRs from S and U
 *   hostile_mmio.c  every width and alignment on every emulated device, and
 *                   accesses and fetches beyond the end of RAM
 *   hostile_virtio.c  malformed virtqueues on virtio-net (both transports,
 *                   both queues) and virtio-rng
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include "guest.h"

#define POISON 0x5a5a5a5a5a5a5a5aUL
#define OUTSIDE 0x200000000UL /* far from RAM and every device */
#define EXC_INSN_ACCESS 1
#define EXC_ECALL_U 8
#define SSTATUS_SPP (1UL << 8)

/* The devices of QEMU virt, at its addresses (configs/test-hostile.dts). */
#define UART 0x10000000UL
#define PLIC 0x0c000000UL
#define CLINT 0x02000000UL
#define TESTDEV 0x00100000UL /* sifive,test */
#define UART_IRQ 10

/* From the guest DTB (hostile.c): its RAM, and whether the ISA string
 * says the harts have the H extension (plain QEMU: they do). */
extern unsigned long ram_base, ram_end;
extern bool isa_has_h;

/*
 * One load or store of width 1, 2, 4 or 8 bytes at addr, with the fault
 * catcher armed (hostile_mmio.c).  A load starts from POISON so that a
 * faulting one can be seen to leave its register alone; *pc gets the
 * address of the access for the fault's sepc.  Returns true if it faulted.
 */
bool try_load(unsigned long addr, int width, unsigned long *val, unsigned long *pc);
bool try_store(unsigned long addr, int width, unsigned long val, unsigned long *pc);

/* Check that exactly one trap with cause, stval = tval and sepc = pc was
 * recorded (check_why on the first difference); clears the record. */
void expect_trap(const char *what, unsigned long cause, unsigned long tval, unsigned long pc);

void test_cpu(void);
void test_mmio(void);
void test_virtio_rings(void);

#endif
