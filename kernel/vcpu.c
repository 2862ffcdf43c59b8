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

/* The guest registers guest_exit has stored when it calls vcpu_exit_fast:
 * the caller-saved ones and sp, tp (and x0, which reads as 0). */
#define FAST_SAVED_REGS 0xf003fcf7U

/* The region at gpa: most accesses go where the previous one went. */
static inline struct mmio_region *mmio_lookup(struct vcpu *v, u64 gpa)
{
	struct mmio_region *r = v->mmio_last;
	if (r && gpa - r->base < r->size)
		return r;
	r = mmio_find(&v->vm->bus, gpa);
	if (r)
		v->mmio_last = r;
	return r;
}

/* decode_loadstore, but the last few instructions are not decoded again:
 * drivers trap on the same ones over and over (a PLIC claim, then its
 * completion).  They are replaced in turn. */
static inline int decode_cached(struct vcpu *v, u32 insn, struct mmio_access *acc)
{
	for (int k = 0; k < VCPU_DECODED; k++) {
		if (insn == v->mmio_insn[k]) {
			acc->how = v->mmio_how[k];
			return DECODE_OK;
		}
	}
	int rc = decode_loadstore(insn, acc);
	if (rc == DECODE_OK) {
		u32 k = v->mmio_next++ % VCPU_DECODED;
		v->mmio_insn[k] = insn;
		v->mmio_how[k] = acc->how;
	}
	return rc;
}

/*
 * Decide what a guest load/store that reached no memory is: 0 and *rp, acc
 * filled in for a device access to perform.  Otherwise -1: the guest has
 * been answered (a fault injected, or its code page is gone), or, for the
 * fast path (`fast`), nothing was done and the run loop must take the exit,
 * as also when the access names a register not in FAST_SAVED_REGS.
 * Inlined, so that each caller gets its own copy without the other's tests.
 */
static inline __attribute__((always_inline)) int
mmio_prepare(struct vcpu *v, bool write, bool fast, struct mmio_region **rp, struct mmio_access *acc)
{
	u64 gpa = vcpu_fault_gpa(v);
	struct mmio_region *r = mmio_lookup(v, gpa);
	u32 insn;
	u8 len;
	const char *why = NULL;
	if (!r)
		why = "unmapped";
	else if (vcpu_arch_fetch_insn(v, &insn, &len))
		return -1; /* the code page went away: let the guest fault on it itself */
	else if (decode_cached(v, insn, acc) != DECODE_OK || acc->write != write)
		why = "unsupported instruction for device";
	else if (!IS_ALIGNED(gpa, acc->width) || gpa + acc->width > r->base + r->size)
		why = "misaligned access to device";
	else if (fast && !(FAST_SAVED_REGS >> acc->reg & 1))
		return -1;
	if (why) {
		if (!fast)
			access_fault(v, write, gpa, why);
		return -1;
	}
	acc->insn_len = len;
	acc->addr = gpa;
	*rp = r;
	return 0;
}

static inline __attribute__((always_inline)) void mmio_perform(struct vcpu *v, struct mmio_region *r,
							       struct mmio_access *acc)
{
	bool write = acc->write;
	acc->value = write ? v->regs[acc->reg] & width_mask(acc->width) : 0;
	spin_lock(&v->vm->dev_lock);
	int err = r->ops->access(r->dev, acc->addr - r->base, acc);
	spin_unlock(&v->vm->dev_lock);
	if (err) {
		access_fault(v, write, acc->addr, r->name);
		return;
	}
	if (!write && acc->reg != 0)
		v->regs[acc->reg] = decode_load_result(acc, acc->value);
	r->count++;
	v->sepc += acc->insn_len;
}

static void handle_mmio(struct vcpu *v, bool write)
{
	struct mmio_region *r;
	struct mmio_access acc;
	if (mmio_prepare(v, write, false, &r, &acc) == 0)
		mmio_perform(v, r, &acc);
}

/* Guest RAM not used yet (vm.h), or a device access, or nothing there. */
static void handle_guest_page_fault(struct vcpu *v, u64 cause)
{
	u64 gpa = vcpu_fault_gpa(v);
	if (vm_ram_fault(v->vm, gpa)) {
		hfence_gvma_vmid(v->vm->vmid); /* and the guest tries again */
	} else if (cause != EXC_INSN_GUEST_PAGE_FAULT) {
		handle_mmio(v, cause == EXC_STORE_GUEST_PAGE_FAULT);
	} else {
		vm_log(v->vm, "vcpu %d: fetch from gpa 0x%lx (no memory): access fault injected",
		       v->id, gpa);
		vcpu_inject_exception(v, EXC_INSN_ACCESS, v->stval);
	}
}

#define INSN_WFI 0x10500073

/*
 * The instruction behind a virtual-instruction exit, fetched from the
 * guest: stval may be 0 (the spec allows it), and QEMU 7.2 leaves a stale
 * one for HLV/HSV (the last opcode it saved, e.g. an earlier WFI's).  0 if
 * the code page went away.
 */
static u32 trapped_insn(struct vcpu *v)
{
	u32 insn;
	u8 len;
	return vcpu_arch_fetch_insn(v, &insn, &len) ? 0 : insn;
}

static void handle_exception(struct vcpu *v, u64 cause)
{
	u32 insn;
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
	case EXC_STORE_GUEST_PAGE_FAULT:
	case EXC_INSN_GUEST_PAGE_FAULT:
		handle_guest_page_fault(v, cause);
		break;
	case EXC_VIRTUAL_INSN:
		insn = trapped_insn(v);
		/* A WFI from the guest's kernel (from VU-mode it is simply
		 * illegal, as on a real hart with S-mode). */
		if (insn == INSN_WFI && (v->sstatus & SSTATUS_SPP)) {
			vcpu_arch_wfi(v);
			break;
		}
		if (vcpu_is_machine(v) && v->vmm.mode == PRV_M) {
			vmm_virtual_insn(v, insn); /* satp, sfence.vma in virtual M */
			break;
		}
		/* An H-extension or hypervisor-only instruction: on a real hart
		 * without H it is simply illegal. */
		vm_log(v->vm,
		       "vcpu %d: hypervisor instruction 0x%x at pc 0x%lx: illegal instruction",
		       v->id, insn, v->sepc);
		vcpu_inject_exception(v, EXC_ILLEGAL_INSN, insn);
		break;
	default:
		/* Not delegated and not ours to emulate (access faults, ...): the
		 * guest sees the exception as a bare hart would report it. */
		vm_log(v->vm, "vcpu %d: exception %lu (tval 0x%lx) at pc 0x%lx: injected", v->id, cause,
		       v->stval, v->sepc);
		vcpu_inject_exception(v, cause, v->stval);
	}
}

static inline void count_exit(struct vcpu *v, u64 cause, u64 tval, u64 htval)
{
	struct exit_record *e = &v->exit_log[v->exit_seq++ % VCPU_EXIT_LOG];
	*e = (struct exit_record){cause, v->sepc, tval, htval};
	if (cause & CAUSE_IRQ)
		v->exits[NR_EXC + (cause & 0xf)]++;
	else
		v->exits[cause < NR_EXC ? cause : NR_EXC - 1]++;
}

/* The end of a fast exit: counted, logged, and whether the guest can be
 * re-entered at once (true) or the run loop has something to do first.
 * Interrupt lines the exit changed (a PLIC claim or completion, an IPI)
 * go into hvip here, as the run loop would put them. */
static inline bool fast_done(struct vcpu *v, u64 cause, u64 tval, u64 htval)
{
	count_exit(v, cause, tval, htval);
	vcpu_arch_sync_irqs(v);
	struct vm *vm = v->vm;
	if (v->requests || vm->net_pending || v->state != VCPU_STARTED || vm->state != VM_RUNNING ||
	    (v->machine && vmm_irq_pending(v))) {
		v->exit_handled = true;
		return false;
	}
	return true;
}

/* A load (write false) or store to a device; inlined twice, for the two
 * constant causes. */
static inline __attribute__((always_inline)) bool mmio_fast(struct vcpu *v, bool write)
{
	struct mmio_region *r;
	struct mmio_access acc;
	if (mmio_prepare(v, write, true, &r, &acc))
		return false;
	mmio_perform(v, r, &acc);
	return fast_done(v, write ? EXC_STORE_GUEST_PAGE_FAULT : EXC_LOAD_GUEST_PAGE_FAULT,
			 v->stval, v->htval);
}

static bool __attribute__((noinline)) sbi_fast(struct vcpu *v)
{
	u64 ext = v->regs[17], fid = v->regs[16];
	sbi_handle(v);
	return fast_done(v, EXC_ECALL_VS, ext, fid);
}

static bool __attribute__((noinline)) mmio_load_fast(struct vcpu *v)
{
	return mmio_fast(v, false);
}

static bool __attribute__((noinline)) mmio_store_fast(struct vcpu *v)
{
	/* The assembly tier stood down after a store it could not read
	 * (switch.S: fast_fetch_fault); this one is the C tier's. */
	if (__builtin_expect(v->fast_disarmed != 0, 0))
		vcpu_fast_init(v);
	return mmio_fast(v, true);
}

/*
 * The fast path (called by guest_exit in arch/riscv/switch.S): an SBI call
 * or a device access is handled right here and the guest re-entered
 * without the rest of a world switch.  Only the registers in
 * FAST_SAVED_REGS are in v->regs.  Returns false for the run loop to take
 * the exit, or (exit_handled set) to do what became pending meanwhile.
 */
bool vcpu_exit_fast(struct vcpu *v)
{
	u64 cause = v->scause;
	if (cause == EXC_ECALL_VS && !v->machine)
		return sbi_fast(v);
	vcpu_arch_save_exit_info(v); /* before anything here can trap */
	if (cause == EXC_LOAD_GUEST_PAGE_FAULT)
		return mmio_load_fast(v);
	if (cause == EXC_STORE_GUEST_PAGE_FAULT)
		return mmio_store_fast(v);
	return false;
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
		if (v->exit_handled) { /* by vcpu_exit_fast */
			v->exit_handled = false;
			continue;
		}
		u64 cause = v->scause;
		if (cause == EXC_ECALL_VS)
			count_exit(v, cause, v->regs[17], v->regs[16]);
		else
			count_exit(v, cause, v->stval, v->htval);
		if (cause & CAUSE_IRQ) {
			hart_poll_interrupts(v->hart);
			continue;
		}
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
