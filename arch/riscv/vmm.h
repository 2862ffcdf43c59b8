/*
 * The virtual M-mode (DESIGN §4): a machine-mode VM (xv6, booted as QEMU's
 * -bios none would) runs its M-mode code in VS-mode with paging off.  Its
 * M-level CSR accesses and mret trap as illegal instructions and are
 * emulated here against struct vmm; its virtual M interrupts (the vCLINT's
 * MTIP/MSIP, the vPLIC's M context) enter its mtvec.
 */
#ifndef RVHV_VMM_H
#define RVHV_VMM_H

#include "kernel/vm.h"

static inline bool vcpu_is_machine(const struct vcpu *v)
{
	return v->machine;
}

/* Boot state: virtual M-mode at the entry (called on the vCPU's hart). */
void vmm_reset(struct vcpu *v);
/* An illegal-instruction exit: M-CSR access or mret, else the guest's own fault. */
void vmm_illegal_insn(struct vcpu *v);
/* A virtual-instruction exit (insn: the instruction, fetched from the guest):
 * satp and sfence.vma while in virtual M. */
void vmm_virtual_insn(struct vcpu *v, u32 insn);
/* ecall from the guest's S- or M-mode: its own M-mode handles it. */
void vmm_ecall(struct vcpu *v);
/* Enter the guest's mtvec with this cause (exception or interrupt). */
void vmm_trap(struct vcpu *v, u64 cause, u64 tval);
/* A virtual M interrupt is pending and enabled in mie (mstatus.MIE aside). */
static inline bool vmm_irq_pending(const struct vcpu *v)
{
	return v->vmm.lines & v->vmm.mie;
}
/* Before entering the guest: take a pending, enabled virtual M interrupt. */
void vmm_check_irqs(struct vcpu *v);

#endif
