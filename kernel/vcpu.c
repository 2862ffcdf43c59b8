/*
 * The vCPU run loop and exit dispatch: enter the guest, and on each exit
 * decide by scause what happened (SBI call, MMIO access, interrupt, ...).
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/vcpu_arch.h"
#include "arch/riscv/vmm.h"
#include "kernel/decode.h"
#include "kernel/hart.h"
#include "kernel/lib.h"

static void handle_requests(struct vcpu *v)
{
	u32 req = __atomic_exchange_n(&v->requests, 0, __ATOMIC_ACQ_REL);
	if (req & VCPU_REQ_FENCE_VVMA)
		hfence_vvma_all();
	if (req & VCPU_REQ_TIMER)
		timer_program(v->hart);
}

/* The guest's access to gpa reached no memory and no device: a real bus
 * would answer with an access fault, so the guest gets one. */
static void access_fault(struct vcpu *v, bool write, u64 gpa, const char *why)
{
	vm_log(v->vm, "vcpu %d: %s %s gpa 0x%lx at pc 0x%lx: access fault injected", v->id,
	       write ? "store to" : "load from", why, gpa, v->sepc);
	vcpu_inject_exception(v, write ? EXC_STORE_ACCESS : EXC_LOAD_ACCESS, v->stval);
}

static u64 width_mask(u8 width)
{
	return width == 8 ? ~0UL : (1UL << (8 * width)) - 1;
}

static void handle_mmio(struct vcpu *v, bool write)
{
	u64 gpa = vcpu_fault_gpa(v);
	struct mmio_region *r = mmio_find(&v->vm->bus, gpa);
	if (!r) {
		access_fault(v, write, gpa, "unmapped");
		return;
	}
	u32 insn;
	u8 len;
	struct mmio_access acc;
	if (vcpu_arch_fetch_insn(v, &insn, &len))
		return; /* the code page went away: let the guest fault on it itself */
	if (decode_loadstore(insn, &acc) != DECODE_OK || acc.write != write) {
		access_fault(v, write, gpa, "unsupported instruction for device");
		return;
	}
	acc.insn_len = len;
	acc.addr = gpa;
	if (!IS_ALIGNED(gpa, acc.width) || gpa + acc.width > r->base + r->size) {
		access_fault(v, write, gpa, "misaligned access to device");
		return;
	}
	acc.value = write ? v->regs[acc.reg] & width_mask(acc.width) : 0;
	spin_lock(&v->vm->dev_lock);
	int err = r->ops->access(r->dev, gpa - r->base, &acc);
	spin_unlock(&v->vm->dev_lock);
	if (err) {
		access_fault(v, write, gpa, r->name);
		return;
	}
	if (!write && acc.reg != 0)
		v->regs[acc.reg] = decode_load_result(&acc, acc.value);
	r->count++;
	v->sepc += acc.insn_len;
}

#define INSN_WFI 0x10500073

/* A WFI from the guest's kernel (from VU-mode it is simply illegal, as on a
 * real hart with S-mode). */
static bool is_wfi(struct vcpu *v)
{
	u32 insn = v->stval;
	u8 len;
	if (!(v->sstatus & SSTATUS_SPP))
		return false;
	if (insn != INSN_WFI && (insn != 0 || vcpu_arch_fetch_insn(v, &insn, &len)))
		return false;
	return insn == INSN_WFI;
}

static void handle_exception(struct vcpu *v, u64 cause)
{
	switch (cause) {
	case EXC_ECALL_VS:
		if (vcpu_is_machine(v))
			vmm_ecall(v);
		else
			sbi_handle(v);
		break;
	case EXC_ILLEGAL_INSN: /* only machine-mode VMs keep these undelegated */
		vmm_illegal_insn(v);
		break;
	case EXC_LOAD_GUEST_PAGE_FAULT:
		handle_mmio(v, false);
		break;
	case EXC_STORE_GUEST_PAGE_FAULT:
		handle_mmio(v, true);
		break;
	case EXC_INSN_GUEST_PAGE_FAULT:
		vm_log(v->vm, "vcpu %d: fetch from gpa 0x%lx (no memory): access fault injected", v->id,
		       vcpu_fault_gpa(v));
		vcpu_inject_exception(v, EXC_INSN_ACCESS, v->stval);
		break;
	case EXC_VIRTUAL_INSN:
		if (is_wfi(v)) {
			vcpu_arch_wfi(v);
			break;
		}
		if (vcpu_is_machine(v) && v->vmm.mode == PRV_M) {
			vmm_virtual_insn(v); /* satp, sfence.vma in virtual M */
			break;
		}
		/* An H-extension or hypervisor-only instruction: on a real hart
		 * without H it is simply illegal. */
		vm_log(v->vm, "vcpu %d: hypervisor instruction 0x%lx at pc 0x%lx: illegal instruction",
		       v->id, v->stval, v->sepc);
		vcpu_inject_exception(v, EXC_ILLEGAL_INSN, v->stval);
		break;
	default:
		/* Not delegated and not ours to emulate (access faults, ...): the
		 * guest sees the exception as a bare hart would report it. */
		vm_log(v->vm, "vcpu %d: exception %lu (tval 0x%lx) at pc 0x%lx: injected", v->id, cause,
		       v->stval, v->sepc);
		vcpu_inject_exception(v, cause, v->stval);
	}
}

void vcpu_run(struct vcpu *v)
{
	__atomic_store_n(&v->running, true, __ATOMIC_RELEASE);
	while (v->state == VCPU_STARTED && v->vm->state == VM_RUNNING) {
		if (v->requests)
			handle_requests(v);
		if (v->vm->net_pending)
			vm_net_deliver(v->vm);
		vcpu_arch_sync_irqs(v);
		if (vcpu_is_machine(v))
			vmm_check_irqs(v);
		vcpu_enter(v);
		u64 cause = v->scause;
		struct exit_record *e = &v->exit_log[v->exit_seq++ % VCPU_EXIT_LOG];
		*e = (struct exit_record){cause, v->sepc, v->stval, v->htval};
		if (cause & CAUSE_IRQ) {
			v->exits[NR_EXC + (cause & 0xf)]++;
			hart_poll_interrupts(v->hart);
			continue;
		}
		v->exits[cause < NR_EXC ? cause : NR_EXC - 1]++;
		handle_exception(v, cause);
	}
	__atomic_store_n(&v->running, false, __ATOMIC_RELEASE);
}

void vcpu_kick(struct vcpu *v)
{
	hart_kick(v->hart);
}

void vcpu_raise_irq(struct vcpu *v, int irq)
{
	__atomic_or_fetch(&v->pending_irqs, MIP(irq), __ATOMIC_ACQ_REL);
	vcpu_kick(v);
}

void vcpu_clear_irq(struct vcpu *v, int irq)
{
	__atomic_and_fetch(&v->pending_irqs, ~MIP(irq), __ATOMIC_ACQ_REL);
	if (v->hart == this_hart())
		vcpu_arch_clear_irq(v, irq);
}
