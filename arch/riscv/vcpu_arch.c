/* The H-extension side of a vCPU (see vcpu_arch.h). */
#include "arch/riscv/vcpu_arch.h"
#include "arch/riscv/asm.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/vmm.h"
#include "kernel/console.h"
#include "kernel/decode.h"
#include "kernel/hart.h"
#include "kernel/lib.h"
#include "kernel/vdev.h"
#include "passthru/irq.h"
#include "vdev/plic.h"
#include "vdev/uart16550.h"

#include <stddef.h>

_Static_assert(offsetof(struct vcpu, sepc) == VCPU_SEPC, "vcpu layout");
_Static_assert(offsetof(struct vcpu, sstatus) == VCPU_SSTATUS, "vcpu layout");
_Static_assert(offsetof(struct vcpu, hstatus) == VCPU_HSTATUS, "vcpu layout");
_Static_assert(offsetof(struct vcpu, scause) == VCPU_SCAUSE, "vcpu layout");
_Static_assert(offsetof(struct vcpu, stval) == VCPU_STVAL, "vcpu layout");
_Static_assert(offsetof(struct vcpu, htval) == VCPU_HTVAL, "vcpu layout");
_Static_assert(offsetof(struct vcpu, htinst) == VCPU_HTINST, "vcpu layout");
_Static_assert(offsetof(struct vcpu, host_sp) == VCPU_HOST_SP, "vcpu layout");
_Static_assert(offsetof(struct hart, stack_top) == HART_STACK_TOP, "hart layout");
_Static_assert(offsetof(struct hart, hartid) == HART_HARTID, "hart layout");
_Static_assert(sizeof(struct hart) == HART_SIZE, "hart layout");
_Static_assert(MAX_HARTS == MAX_HARTS_ASM, "hart layout");
_Static_assert(offsetof(struct vcpu, fast_uart_word) == VCPU_FAST_UART_WORD, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_uart) == VCPU_FAST_UART, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_in) == VCPU_FAST_IN, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_fault) == VCPU_FAST_FAULT, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_load_tab) == VCPU_FAST_LOAD_TAB, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_store_tab) == VCPU_FAST_STORE_TAB, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_load_mask) == VCPU_FAST_LOAD_MASK, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_store_mask) == VCPU_FAST_STORE_MASK, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_tx_only) == VCPU_FAST_TX_ONLY, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_console) == VCPU_FAST_CONSOLE, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_sbi) == VCPU_FAST_SBI, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_uart_exits) == VCPU_FAST_UART_EXITS, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_sbi_base) == VCPU_FAST_SBI_BASE, "vcpu layout");
_Static_assert(offsetof(struct vcpu, exits) + 8 * EXC_ECALL_VS == VCPU_SBI_EXITS, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_plic_word) == VCPU_FAST_PLIC_WORD, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_plic) == VCPU_FAST_PLIC, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_plic_lock) == VCPU_FAST_PLIC_LOCK, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_plic_enable) == VCPU_FAST_PLIC_ENABLE, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_plic_ctx) == VCPU_FAST_PLIC_CTX, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_plic_end) == VCPU_FAST_PLIC_END, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_plic_load_tab) == VCPU_FAST_PLIC_LOAD_TAB, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_plic_store_tab) == VCPU_FAST_PLIC_STORE_TAB,
	       "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_plic_exits) == VCPU_FAST_PLIC_EXITS, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_disarmed) == VCPU_FAST_DISARMED, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_pc) == VCPU_FAST_PC, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_plic_others) == VCPU_FAST_PLIC_OTHERS, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_windows) == VCPU_FAST_WINDOWS, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_window_exits) == VCPU_FAST_WINDOW_EXITS, "vcpu layout");
_Static_assert(offsetof(struct vcpu, fast_window_slot) == VCPU_FAST_WINDOW_SLOT, "vcpu layout");
_Static_assert(MMIO_WINDOW_SIZE == WINDOW_SIZE && MMIO_WINDOW_SLOTS == WINDOW_SLOTS &&
		       offsetof(struct mmio_window, readable) == WINDOW_READABLE &&
		       sizeof(((struct mmio_window *)0)->readable[0]) == 64 &&
		       offsetof(struct mmio_window, count) == WINDOW_COUNT &&
		       sizeof(struct mmio_window_slot) == 16 &&
		       offsetof(struct mmio_window_slot, w) == 8,
	       "mmio_window layout");
_Static_assert(offsetof(struct vcpu, vseip) == VCPU_VSEIP && sizeof(bool) == 1, "vcpu layout");
_Static_assert(offsetof(struct vcpu, hvip_seip) == VCPU_HVIP_SEIP, "vcpu layout");
_Static_assert(VCPU_SBI_EXITS < 2048 && VCPU_HVIP_SEIP < 2048,
	       "vcpu: the tier's offsets are 12-bit immediates");
_Static_assert(offsetof(struct plic, nsources) == PLIC_S_NSOURCES &&
		       offsetof(struct plic, ncontexts) == PLIC_S_NCONTEXTS &&
		       offsetof(struct plic, priority) == PLIC_S_PRIORITY &&
		       offsetof(struct plic, pending) == PLIC_S_PENDING &&
		       offsetof(struct plic, level) == PLIC_S_LEVEL &&
		       offsetof(struct plic, claimed) == PLIC_S_CLAIMED &&
		       offsetof(struct plic, enable) == PLIC_S_ENABLE &&
		       sizeof(((struct plic *)0)->enable[0]) == 16 &&
		       offsetof(struct plic, threshold) == PLIC_S_THRESHOLD &&
		       offsetof(struct plic, eip) == PLIC_S_EIP &&
		       offsetof(struct plic, qemu_gateway) == PLIC_S_QEMU_GATEWAY &&
		       offsetof(struct plic, enabling) == PLIC_S_ENABLING,
	       "plic layout");
_Static_assert(EXC_ECALL_FROM_VS == EXC_ECALL_VS && EXC_LOAD_GPF == EXC_LOAD_GUEST_PAGE_FAULT &&
		       EXC_STORE_GPF == EXC_STORE_GUEST_PAGE_FAULT,
	       "scause values");
_Static_assert(offsetof(struct uart16550, lsr) == UART16550_LSR, "uart layout");
_Static_assert(offsetof(struct uart16550, scr) == UART16550_SCR, "uart layout");
_Static_assert(offsetof(struct uart16550, rx_count) == UART16550_RX_COUNT, "uart layout");
_Static_assert(offsetof(struct console_line, lock) == CONSOLE_LOCK, "console layout");
_Static_assert(offsetof(struct console_line, last_writer) == CONSOLE_LAST_WRITER, "console layout");
_Static_assert(offsetof(struct console_line, last_char) == CONSOLE_LAST_CHAR, "console layout");
_Static_assert(offsetof(struct console_line, uart) == CONSOLE_UART, "console layout");
_Static_assert(offsetof(struct vm, in_tail) == offsetof(struct vm, in_head) + 4, "vm layout");

/* Labels of arch/riscv/switch.S that the assembly tier finds in struct vcpu. */
extern const char fast_fetch_fault[], write_rd_table[], write_rd_table_end[], read_rs2_table[],
	read_rs2_table_end[], write_rd_plic[], write_rd_plic_end[], read_rs2_plic[],
	read_rs2_plic_end[];

/*
 * The vPLIC part of the tier: the claim/complete register of the vCPU's
 * S-mode context (2 * id + 1), in a VM whose completions concern the model
 * alone (no forwarded interrupt waits for one: passthru/irq.c) and whose
 * device lock the tier can take with its address's low word (spinlock.h:
 * any nonzero word holds it).
 */
static void fast_plic_init(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct plic *p = vm->plic;
	u64 c = 2 * (u64)v->id + 1;
	v->fast_plic_word = 1UL << 62; /* none */
	/* the register windows' loads (win_load) end through this table too */
	v->fast_plic_load_tab = (u64)write_rd_plic;
	v->fast_plic_store_tab = (u64)read_rs2_plic;
	if (!p || c >= p->ncontexts || irq_vm_forwards(vm) || (u32)(uintptr_t)&vm->dev_lock == 0)
		return;
	for (int i = 0; i < vm->bus.n; i++)
		if (vm->bus.regions[i].dev == p)
			v->fast_plic_word = (vm->bus.regions[i].base + PLIC_CONTEXT +
					     PLIC_CONTEXT_STRIDE * c + 4) >> 2;
	v->fast_plic = p;
	v->fast_plic_lock = &vm->dev_lock;
	v->fast_plic_enable = p->enable[c];
	v->fast_plic_ctx = c;
	v->fast_plic_others = ~(1U << c);
	v->fast_plic_end = &p->enable_end[c];
}

/*
 * What guest_exit's assembly tier needs, per vCPU.  The UART part only for
 * the VM's console UART at an 8-byte aligned address (its registers are
 * then the 8 bytes from fast_uart_word * 4); SBI calls only in
 * supervisor-mode VMs (a machine-mode VM's ecalls go to its virtual M-mode).
 */
void vcpu_fast_init(struct vcpu *v)
{
	if (write_rd_table_end - write_rd_table != 32 * 8 ||
	    read_rs2_table_end - read_rs2_table != 32 * 8 ||
	    write_rd_plic_end - write_rd_plic != 32 * 8 || read_rs2_plic_end - read_rs2_plic != 32 * 8)
		panic("switch.S: a register table is not 32 entries of 8 bytes");
	if ((u32)(uintptr_t)&console_line == 0) /* the tier locks it with that word */
		panic("switch.S: console_line's address has a zero low word");
	u64 base;
	struct uart16550 *u = vdev_console_uart(v->vm, &base);
	/* none: a word no GPA >> 2 comes near (the tier tests htval - word < 2) */
	v->fast_uart_word = u && IS_ALIGNED(base, 8) ? base >> 2 : 1UL << 62;
	v->fast_uart = u;
	v->fast_in = &v->vm->in_head;
	v->fast_fault = (u64)fast_fetch_fault;
	v->fast_load_tab = (u64)write_rd_table;
	v->fast_store_tab = (u64)read_rs2_table;
	v->fast_load_mask = 0x307f;  /* opcode LOAD (0x03), funct3 0 (lb) or 4 (lbu) */
	v->fast_store_mask = 0x707f; /* opcode STORE (0x23), funct3 0 (sb) */
	/* THR bytes skip the model only when the console prints them as they
	 * come, for its one VM, id 0 (the tier tests console_line.last_writer
	 * against 0). */
	static const bool never;
	v->fast_tx_only = u && console_line.direct && v->vm->id == 0 ? &u->tx_only : &never;
	v->fast_console = &console_line;
	v->fast_sbi = (v->machine ? 0 : 1) | (hart_features.sstc ? 2 : 0);
	sbi_base_fixed(v->fast_sbi_base);
	fast_plic_init(v);
	v->fast_windows = v->vm->bus.slots;
	v->fast_disarmed = 0;
}


/*
 * Exceptions a supervisor guest handles itself, as on a real hart with its
 * own M-mode firmware: misaligned accesses, breakpoints, user ecalls, page
 * faults and illegal instructions (an M-level CSR access in VS-mode is an
 * illegal instruction, which is exactly what a guest expects to see).
 */
#define HEDELEG_SUPERVISOR                                                                        \
	((1UL << EXC_INSN_MISALIGNED) | (1UL << EXC_ILLEGAL_INSN) | (1UL << EXC_BREAKPOINT) |    \
	 (1UL << EXC_LOAD_MISALIGNED) | (1UL << EXC_STORE_MISALIGNED) | (1UL << EXC_ECALL_U) |   \
	 (1UL << EXC_INSN_PAGE_FAULT) | (1UL << EXC_LOAD_PAGE_FAULT) | (1UL << EXC_STORE_PAGE_FAULT))

void vcpu_arch_reset(struct vcpu *v)
{
	memset(v->regs, 0, sizeof(v->regs));
	v->regs[10] = v->id;
	v->regs[11] = v->start_arg;
	v->sepc = v->start_addr;
	v->sstatus = SSTATUS_SPP | SSTATUS_FS_INITIAL;
	/* VTW: a guest's WFI traps, see vcpu_arch_wfi. */
	v->hstatus = (csr_read(hstatus) & ~(HSTATUS_VTSR | HSTATUS_VTVM | HSTATUS_HU | HSTATUS_GVA)) |
		     HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_VTW;
	v->timer_deadline = ~0UL;
	v->pending_irqs = 0;
	v->hvip_seip = false;

	/* vsstatus keeps only its read-only UXL; the rest starts at zero. */
	csr_write(vsstatus, csr_read(vsstatus) & (3UL << 32));
	csr_write(vsie, 0);
	csr_write(vstvec, 0);
	csr_write(vsscratch, 0);
	csr_write(vsepc, 0);
	csr_write(vscause, 0);
	csr_write(vstval, 0);
	csr_write(vsatp, 0);
	csr_write(hvip, 0);
	csr_write(htimedelta, 0);
	if (hart_features.sstc)
		csr_write(vstimecmp, ~0UL);
	csr_write(hedeleg, HEDELEG_SUPERVISOR);
	csr_write(hgatp, gstage_hgatp(&v->vm->gs, v->vm->vmid));
	hfence_gvma_vmid(v->vm->vmid);
	hfence_vvma_all();
	if (vcpu_is_machine(v))
		vmm_reset(v);
}

void vcpu_arch_dump_csrs(struct vcpu *v)
{
	kprintf("  vsstatus %lx vsie %lx vsip %lx hvip %lx vstvec %lx\n", csr_read(vsstatus),
		csr_read(vsie), csr_read(vsip), csr_read(hvip), csr_read(vstvec));
	kprintf("  vsepc %lx vscause %lx vstval %lx vsatp %lx hgatp %lx\n", csr_read(vsepc),
		csr_read(vscause), csr_read(vstval), csr_read(vsatp), csr_read(hgatp));
	if (vcpu_is_machine(v))
		kprintf("  virtual M: mode %d mstatus %lx mie %lx lines %lx mtvec %lx mepc %lx "
			"mcause %lx\n",
			v->vmm.mode, v->vmm.mstatus, v->vmm.mie, v->vmm.lines, v->vmm.mtvec,
			v->vmm.mepc, v->vmm.mcause);
}

void vcpu_arch_clear_irq(struct vcpu *v, int irq)
{
	csr_clear(hvip, MIP(irq));
}

void vcpu_arch_set_timer(struct vcpu *v, u64 when)
{
	if (hart_features.sstc) {
		/* htimedelta is 0, so the guest's time is the host's. */
		csr_write(vstimecmp, when);
		return;
	}
	v->timer_deadline = when;
	csr_clear(hvip, MIP(IRQ_VS_TIMER));
	timer_program(v->hart);
}

void vcpu_inject_exception(struct vcpu *v, u64 cause, u64 tval)
{
	/* A machine-mode VM's own M-mode takes what it did not delegate. */
	if (vcpu_is_machine(v) &&
	    (v->vmm.mode == PRV_M || !(v->vmm.medeleg & (1UL << cause)))) {
		vmm_trap(v, cause, tval);
		return;
	}
	u64 vsstatus = csr_read(vsstatus);
	vsstatus &= ~(SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE);
	if (v->sstatus & SSTATUS_SPP) /* the guest was in VS-mode */
		vsstatus |= SSTATUS_SPP;
	if (csr_read(vsstatus) & SSTATUS_SIE)
		vsstatus |= SSTATUS_SPIE;
	csr_write(vsstatus, vsstatus);
	csr_write(vsepc, v->sepc);
	csr_write(vscause, cause);
	csr_write(vstval, tval);
	/* Exceptions always go to the vstvec base, vectored mode or not. */
	v->sepc = csr_read(vstvec) & ~3UL;
	v->sstatus |= SSTATUS_SPP;
}

#define VS_IRQS (MIP(IRQ_VS_SOFT) | MIP(IRQ_VS_TIMER) | MIP(IRQ_VS_EXT))

/*
 * The guest's WFI (trapped through hstatus.VTW).  Letting the guest wait in
 * hardware is not enough on QEMU 7.2: a hart in WFI is not woken by the VS
 * timer interrupt that vstimecmp raises, so an idle vCPU whose only wake-up
 * is its own timer would sleep until something else happened to it.  So
 * rvhv waits instead: unless something is already pending for the guest, it
 * arms the hart's own timer for the guest's deadline as well and waits in
 * HS-mode, where STIP and kicks from other harts wake it.  WFI may return
 * early, so any wake-up just resumes the guest after its WFI.
 */
void vcpu_arch_wfi(struct vcpu *v)
{
	struct hart *h = v->hart;
	v->sepc += 4;
	if (v->pending_irqs || v->requests || v->vseip != v->hvip_seip ||
	    (csr_read(hvip) & VS_IRQS) || (csr_read(hip) & csr_read(hie) & VS_IRQS))
		return;
	u64 deadline = hart_features.sstc ? csr_read(vstimecmp) : v->timer_deadline;
	if (deadline <= time_now())
		return;
	timer_program_until(h, deadline);
	wfi();
	hart_poll_interrupts(h);
	timer_program(h);
}

