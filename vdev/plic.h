/*
 * A PLIC model (RISC-V PLIC spec 1.0.0, as on QEMU virt): source
 * priorities, pending bits, per-context enables, thresholds and
 * claim/complete; context 2h is hart h's M-mode, 2h+1 its S-mode.
 * Pure C: the hypervisor serialises calls and maps set_eip to VSEIP (or the
 * virtual M-mode's MEIP).
 *
 * Register map (spec, "Memory Map"), 32-bit accesses only:
 *   0x000000 + 4*i        priority of source i (3 bits; source 0 reads 0)
 *   0x001000 + 4*w        pending bits, sources 32w..32w+31 (read-only)
 *   0x002000 + 0x80*c     enable bits of context c
 *   0x200000 + 0x1000*c   priority threshold of context c
 *   0x200004 + 0x1000*c   claim (read) / complete (write) of context c
 * Anything else in the window, and the registers of sources or contexts
 * that do not exist, reads 0 and ignores writes, as a real PLIC does.
 */
#ifndef RVHV_PLIC_H
#define RVHV_PLIC_H

#include "kernel/decode.h"

#define PLIC_MAX_SOURCES 127 /* source IDs 1..127; 0 means none */
#define PLIC_MAX_CONTEXTS 16
#define PLIC_MAX_PRIORITY 7  /* 3 priority bits, as QEMU virt */
#define PLIC_SIZE 0x600000   /* QEMU virt's window; the spec's map spans 0x4000000 */
#define PLIC_WORDS ((PLIC_MAX_SOURCES + 1 + 31) / 32)

#define PLIC_PRIORITY 0x000000
#define PLIC_PENDING 0x001000
#define PLIC_ENABLE 0x002000
#define PLIC_ENABLE_STRIDE 0x80
#define PLIC_CONTEXT 0x200000 /* threshold at +0, claim/complete at +4 */
#define PLIC_CONTEXT_STRIDE 0x1000

struct plic {
	u32 nsources;  /* valid IDs are 1..nsources */
	u32 ncontexts;
	u32 priority[PLIC_MAX_SOURCES + 1];
	u32 pending[PLIC_WORDS];
	u32 level[PLIC_WORDS];   /* input line asserted (level-triggered sources) */
	u32 claimed[PLIC_WORDS]; /* claimed, completion not yet written */
	u32 enable[PLIC_MAX_CONTEXTS][PLIC_WORDS];
	u32 threshold[PLIC_MAX_CONTEXTS];
	bool eip[PLIC_MAX_CONTEXTS]; /* what was last told to set_eip */
	/*
	 * The gateway of QEMU virt's PLIC instead of the spec's: a level source
	 * is forwarded when its device raises the line (QEMU's devices do on
	 * every register access), not again at completion while still high.
	 * Unmodified xv6 before 2024 relies on it: it never reads the 16550's
	 * IIR, so the THR-empty interrupt stays asserted, and with the spec's
	 * re-pend a single hart would take that interrupt forever.  A device
	 * raising its line while the source is claimed makes a request that is
	 * taken after the completion, as in QEMU.
	 */
	bool qemu_gateway;
	void (*set_eip)(void *ctx, int context, bool level);
	/* Optional: a context completed `source` (passthrough completes the
	 * real device's interrupt then). */
	void (*completed)(void *ctx, u32 source);
	void *ctx;
	/* 4 * (the last of context c's enable words with a bit set, + 1):
	 * where the scans of its sources stop (none for a context that
	 * enables nothing, as the M-mode ones of S-mode guests) */
	u32 enable_end[PLIC_MAX_CONTEXTS];
	/* bit c: context c enables a source (enable_end[c] != 0).  A claim or
	 * completion can change the notification of those contexts only. */
	u32 enabling;
};

/*
 * Reset state: everything zero (no priorities, nothing enabled).  nsources
 * and ncontexts are clamped to PLIC_MAX_SOURCES / PLIC_MAX_CONTEXTS.
 * set_eip (required) is called only when a context's notification changes.
 */
void plic_init(struct plic *p, u32 nsources, u32 ncontexts,
	       void (*set_eip)(void *, int, bool), void *ctx);
/* An mmio_ops access function: 32-bit accesses only. */
int plic_access(void *dev, u64 off, struct mmio_access *acc);
/* A device's (level-triggered) interrupt line changes. */
void plic_set_level(struct plic *p, u32 source, bool level);

#endif
