/* Physical harts as rvhv sees them: one struct per hart, in tp while rvhv runs. */
#ifndef RVHV_HART_H
#define RVHV_HART_H

#include "kernel/platform.h"
#include "kernel/vm.h"

#define HART_STACK_SIZE (16 * KiB)

struct hart {
	u64 stack_top; /* keep first: boot.S loads it (HART_STACK_TOP) */
	u64 hartid;
	int index;
	struct vcpu *vcpu;    /* the vCPU pinned here, or NULL */
	bool online;
	bool poller;          /* serves virtqueues instead of running a vCPU */
	u64 tick_deadline;    /* next hypervisor tick (console input), 0 = none */
};

extern struct hart harts[MAX_HARTS];

static inline struct hart *this_hart(void)
{
	struct hart *h;
	asm("mv %0, tp" : "=r"(h));
	return h;
}

/* Features of the harts, probed once by the boot hart. */
struct hart_features {
	bool sstc;       /* stimecmp/vstimecmp */
	bool henvcfg;    /* the CSR exists */
	u64 vmid_bits;
};
extern struct hart_features hart_features;

void hart_probe_features(void);
void hart_init_csrs(struct hart *h);
void hart_start_secondaries(void);
/* Let the host PLIC's interrupts (forwarded to guests) wake this hart. */
void hart_enable_external_irqs(void);
/* Handle pending HS interrupts (IPIs, timer, external) without taking a trap. */
void hart_poll_interrupts(struct hart *h);
/* Loop of a hart: run its vCPU while it is started, otherwise sleep. */
void __attribute__((noreturn)) hart_loop(struct hart *h);
void hart_kick(struct hart *h);
void timer_program(struct hart *h);
/* The same, and no later than `until` (a guest's timer a WFI waits for). */
void timer_program_until(struct hart *h, u64 until);
u64 time_now(void);
/* This hart's trap and hypervisor CSRs, for a panic's dump. */
void hart_dump_csrs(void);

#endif
