/*
 * Traps taken in HS-mode itself.  Expected ones are faults of the accessors
 * in probe.S, resumed at their fixup; anything else is an rvhv bug and ends
 * in a panic with a full register dump.
 */
#include "arch/riscv/asm.h"
#include "arch/riscv/csr.h"
#include "kernel/hart.h"
#include "kernel/lib.h"

struct trap_frame {
	u64 regs[32];
	u64 sepc, scause, stval, pad;
};

struct fixup {
	u64 insn, resume;
};
extern const struct fixup __fixup_start[], __fixup_end[];

static const char *const reg_names[32] = {
	"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
	"a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
	"s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};

void dump_regs(const u64 *regs)
{
	for (int i = 1; i < 32; i++)
		kprintf("%4s=%016lx%s", reg_names[i], regs[i], i % 4 == 3 ? "\n" : " ");
	kprintf("\n");
}

void hart_dump_csrs(void)
{
	kprintf("rvhv: scause %lx stval %lx sepc %lx sstatus %lx sip %lx\n", csr_read(scause),
		csr_read(stval), csr_read(sepc), csr_read(sstatus), csr_read(sip));
	kprintf("rvhv: hstatus %lx hgatp %lx htval %lx htinst %lx hvip %lx\n", csr_read(hstatus),
		csr_read(hgatp), csr_read(htval), csr_read(htinst), csr_read(hvip));
}

void hs_trap(struct trap_frame *f)
{
	_Static_assert(sizeof(struct trap_frame) == TRAP_FRAME_SIZE, "trap frame layout");
	if (!(f->scause & CAUSE_IRQ)) {
		for (const struct fixup *x = __fixup_start; x < __fixup_end; x++) {
			if (x->insn == f->sepc) {
				f->sepc = x->resume;
				return;
			}
		}
	}
	kprintf("\nrvhv: unexpected trap in the hypervisor: scause %lx stval %lx sepc %lx\n", f->scause,
		f->stval, f->sepc);
	dump_regs(f->regs);
	panic("trap in HS-mode");
}
