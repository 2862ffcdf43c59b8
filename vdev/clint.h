/*
 * A CLINT / ACLINT model as on QEMU virt: msip at 0x0 + 4*hart (MSWI),
 * mtimecmp at 0x4000 + 8*hart and mtime at 0xbff8 (MTIMER).  Used by the
 * virtual M-mode: set_mtip/set_msip raise the guest's virtual MTI/MSI, and
 * arm asks the hypervisor for a callback (clint_update) at a deadline.
 * Pure C.
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
	void (*arm)(void *ctx, int hart, u64 deadline); /* call clint_update at deadline */
	void *ctx;
};

void clint_init(struct clint *c, u32 nharts, void *ctx);
/* An mmio_ops access function: 32- and 64-bit accesses (mtime writes are ignored). */
int clint_access(void *dev, u64 off, struct mmio_access *acc);
/* Re-evaluate hart's MTIP against mtime (on the armed deadline). */
void clint_update(struct clint *c, int hart);

#endif
