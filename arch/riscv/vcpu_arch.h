/* The H-extension side of a vCPU: everything that touches VS/H CSRs. */
#ifndef RVHV_VCPU_ARCH_H
#define RVHV_VCPU_ARCH_H

#include "kernel/vm.h"

/* The world switch (switch.S): run the guest until it traps. */
void vcpu_enter(struct vcpu *v);
/* Fill in what the assembly tier of guest_exit reads (struct vcpu's fast_*),
 * once the VM's devices are attached. */
void vcpu_fast_init(struct vcpu *v);
/* Load the vCPU's boot state into this hart: registers, VS CSRs, hgatp. */
void vcpu_arch_reset(struct vcpu *v);
/* Move interrupts posted by other harts (or by a device model on this one)
 * into hvip. */
static inline void vcpu_arch_sync_irqs(struct vcpu *v)
{
	bool seip = __atomic_load_n(&v->vseip, __ATOMIC_ACQUIRE);
	if (seip != v->hvip_seip) {
		if (seip)
			csr_set(hvip, MIP(IRQ_VS_EXT));
		else
			csr_clear(hvip, MIP(IRQ_VS_EXT));
		v->hvip_seip = seip;
	}
	if (v->pending_irqs)
		csr_set(hvip, __atomic_exchange_n(&v->pending_irqs, 0, __ATOMIC_ACQ_REL));
}
/* Drop a VS interrupt this hart has raised in hvip (the vCPU is on this hart). */
void vcpu_arch_clear_irq(struct vcpu *v, int irq);
/* Emulate the guest's WFI (hstatus.VTW): wait for its next interrupt. */
void vcpu_arch_wfi(struct vcpu *v);
/* SBI set_timer: arm the guest's supervisor timer. */
void vcpu_arch_set_timer(struct vcpu *v, u64 when);
long guest_fetch_insn(u64 gva); /* arch/riscv/probe.S: the bits, or -1 */

/* The instruction at the guest's pc (htinst, else HLVX); 0 or -1.  Inline:
 * every emulated device access fetches its instruction. */
static inline int vcpu_arch_fetch_insn(struct vcpu *v, u32 *insn, u8 *len)
{
	if (v->htinst) {
		u32 i; /* apart, so that insn and len may stay in registers */
		u8 l;
		if (decode_htinst(v->htinst, &i, &l)) {
			*insn = i;
			*len = l;
			return 0;
		}
	}
	long bits = guest_fetch_insn(v->sepc);
	if (bits < 0)
		return -1;
	if ((bits & 3) == 3) {
		*insn = (u32)bits;
		*len = 4;
	} else {
		*insn = bits & 0xffff; /* not the next instruction's half */
		*len = 2;
	}
	return 0;
}
/* Print the VS CSRs and hvip of the vCPU on this hart (state dumps). */
void vcpu_arch_dump_csrs(struct vcpu *v);
/* stval, htval and htinst of the exit into the vCPU: guest_exit leaves them
 * to vcpu_exit_fast, which skips them for SBI calls (none of them apply). */
static inline void vcpu_arch_save_exit_info(struct vcpu *v)
{
	v->stval = csr_read(stval);
	v->htval = csr_read(htval);
	v->htinst = csr_read(htinst);
}

/* Guest-physical address of the faulting access of a guest page fault. */
static inline u64 vcpu_fault_gpa(const struct vcpu *v)
{
	return (v->htval << 2) | (v->stval & 3);
}

#endif
