/*
 * C side of the trap vector: hand the trap to the guest's callback, or
 * report it and shut down, so a stray trap never hangs a test run (the
 * missing summary line marks the run as failed).
 */
#include "guest.h"

static trap_fn on_exception, on_interrupt;
volatile struct fault_record fault;

void trap_on_exception(trap_fn fn)
{
	on_exception = fn;
}

void trap_on_interrupt(trap_fn fn)
{
	on_interrupt = fn;
}

/* Step over the trapping instruction: 4 bytes unless it is compressed
 * (low two bits != 3).  A halfword load, as sepc may be only 2-aligned. */
void trap_skip_insn(struct trap_frame *f)
{
	uint16_t low = *(volatile uint16_t *)f->sepc;
	f->sepc += (low & 3) == 3 ? 4 : 2;
}

void trap_handle(struct trap_frame *f)
{
	bool irq = f->scause & SCAUSE_IRQ;
	trap_fn fn = irq ? on_interrupt : on_exception;
	if (fn && fn(f))
		return;
	fail(irq ? "unexpected-interrupt" : "unexpected-exception",
	     "scause 0x%lx sepc 0x%lx stval 0x%lx on hart %lu", f->scause, f->sepc, f->stval,
	     hart_id());
	shutdown();
}

static bool record_fault(struct trap_frame *f)
{
	fault.scause = f->scause;
	fault.stval = f->stval;
	fault.sepc = f->sepc;
	fault.count++;
	trap_skip_insn(f);
	return true;
}

void fault_catch(bool on)
{
	trap_on_exception(on ? record_fault : NULL);
}

void fault_reset(void)
{
	fault.count = fault.scause = fault.stval = fault.sepc = 0;
}
