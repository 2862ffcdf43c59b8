/*
 * A CLINT / ACLINT model as on QEMU virt: msip at 0x0 + 4*hart (MSWI),
 * mtimecmp at 0x4000 + 8*hart and mtime at 0xbff8 (MTIMER).  Used by the
 * virtual M-mode: set_mtip/set_msip raise the guest's virtual MTI/MSI, and
 * arm asks the hypervisor for a callback (clint_update) at a deadline.
 * Pure C.
 *
 * Accesses (ACLINT spec 1.0, "Register Map" tables): msip is 32 bits wide
 * (4-byte accesses only); mtimecmp and mtime are 64 bits wide and take
 * 8-byte accesses or 4-byte accesses to either half (low half at +0, as
 * RV32 software and QEMU use them).  Other widths and misaligned offsets are
 * rejected (-1).  Harts >= nharts and the holes of the window read 0 and
 * ignore writes.
 *
 * mtime is the hypervisor's now(): writes to it are ignored.  All harts of a
 * VM share one mtime, and moving it would mean changing every vCPU's view
 * of the `time` CSR (htimedelta) behind their backs; xv6, the guest this
 * device is for, only reads it.
 */
#ifndef RVHV_CLINT_H
#define RVHV_CLINT_H

#include "kernel/decode.h"

#define CLINT_MAX_HARTS 8
#define CLINT_SIZE 0x10000
#define CLINT_MSIP 0x0
#define CLINT_MTIMECMP 0x4000
#define CLINT_MTIME 0xbff8

struct clint {
	u32 nharts;
	u32 msip[CLINT_MAX_HARTS];
	u64 mtimecmp[CLINT_MAX_HARTS];
	u64 (*now)(void *ctx);                          /* mtime */
	void (*set_mtip)(void *ctx, int hart, bool level);
	void (*set_msip)(void *ctx, int hart, bool level);
	/* Call clint_update(hart) once mtime >= deadline.  A new deadline for a
	 * hart replaces the previous one; ~0 means never.  An early or extra
	 * call is harmless: clint_update re-arms. */
	void (*arm)(void *ctx, int hart, u64 deadline);
	void *ctx;
};

/*
 * Reset state: msip 0, mtimecmp ~0 (the spec leaves it unknown; QEMU
 * resets it to 0, which makes MTIP pending at once in a guest that enables
 * mie.MTIE before it programs mtimecmp).  nharts is clamped to
 * CLINT_MAX_HARTS.  clint_init clears the callbacks: assign now, set_mtip,
 * set_msip and arm (all required) before the first access.
 */
void clint_init(struct clint *c, u32 nharts, void *ctx);
/* An mmio_ops access function: 32- and 64-bit accesses (mtime writes are ignored). */
int clint_access(void *dev, u64 off, struct mmio_access *acc);
/* Re-evaluate hart's MTIP against mtime (on the armed deadline). */
void clint_update(struct clint *c, int hart);

#endif
