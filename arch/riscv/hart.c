/*
 * Physical harts: feature probing, the H-extension CSR set-up each hart
 * needs before running guests, bring-up through SBI HSM, interrupts and
 * the hypervisor timer.
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/firmware.h"
#include "arch/riscv/vcpu_arch.h"
#include "kernel/hart.h"
#include "kernel/lib.h"
#include "passthru/irq.h"

struct hart harts[MAX_HARTS];
struct hart_features hart_features;
static u8 stacks[MAX_HARTS][HART_STACK_SIZE] __attribute__((aligned(16)));

long csr_try_read_henvcfg(u64 *out);
long csr_try_read_stimecmp(u64 *out);
void secondary_entry(void);

/* The console is polled on hart 0 at this rate (Hz). */
#define TICK_HZ 100

u64 time_now(void)
{
	return csr_read(time);
}

void hart_probe_features(void)
{
	u64 v;
	hart_features.henvcfg = csr_try_read_henvcfg(&v) == 0;
	/* vstimecmp needs both the extension and henvcfg.STCE to enable it. */
	hart_features.sstc = platform.has_sstc && hart_features.henvcfg && csr_try_read_stimecmp(&v) == 0;
	/* VMIDLEN: write ones to hgatp.VMID and see which stick (spec: hgatp). */
	csr_write(hgatp, HGATP_VMID_MASK << HGATP_VMID_SHIFT);
	u64 vmid = (csr_read(hgatp) >> HGATP_VMID_SHIFT) & HGATP_VMID_MASK;
	csr_write(hgatp, 0);
	hart_features.vmid_bits = 0;
	while (vmid & (1UL << hart_features.vmid_bits))
		hart_features.vmid_bits++;
}

void hart_init_csrs(struct hart *h)
{
	/* VS-level interrupts go straight to the guest (hideleg); HS keeps the
	 * IPI (kicks from other harts) and its timer. */
	csr_write(hideleg, MIP(IRQ_VS_SOFT) | MIP(IRQ_VS_TIMER) | MIP(IRQ_VS_EXT));
	csr_write(hcounteren, COUNTEREN_CY | COUNTEREN_TM | COUNTEREN_IR);
	if (hart_features.henvcfg)
		csr_write(henvcfg, hart_features.sstc ? ENVCFG_STCE : 0);
	csr_write(hvip, 0);
	if (hart_features.sstc)
		csr_write(stimecmp, ~0UL);
	csr_write(sie, MIP(IRQ_S_SOFT) | MIP(IRQ_S_TIMER));
	csr_clear(sstatus, SSTATUS_SIE);
	h->online = true;
}

/* Read by boot.S: a hart that entered at _start late may now join. */
volatile u32 harts_published;

void hart_start_secondaries(void)
{
	struct hart *self = this_hart();
	for (int i = 0; i < platform.nharts; i++)
		harts[i].stack_top = (u64)(uintptr_t)&stacks[i][HART_STACK_SIZE];
	__atomic_store_n(&harts_published, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < platform.nharts; i++) {
		struct hart *h = &harts[i];
		if (h == self)
			continue;
		long err = fw_hart_start(h->hartid, (u64)(uintptr_t)secondary_entry, (u64)(uintptr_t)h);
		/* ALREADY_AVAILABLE: it is running already (it came in at _start) */
		if (err && err != SBI_ERR_ALREADY_AVAILABLE)
			kprintf("rvhv: hart %lu did not start (SBI error %ld)\n", h->hartid, err);
	}
}

void hart_kick(struct hart *h)
{
	if (h != this_hart())
		fw_send_ipi(h->hartid);
}

void timer_program(struct hart *h)
{
	timer_program_until(h, ~0UL);
}

void timer_program_until(struct hart *h, u64 until)
{
	u64 when = h->tick_deadline ? h->tick_deadline : ~0UL;
	if (until < when)
		when = until;
	struct vcpu *v = h->vcpu;
	if (!hart_features.sstc && v && v->timer_deadline < when)
		when = v->timer_deadline;
	if (v && v->vmm.timer_deadline < when)
		when = v->vmm.timer_deadline;
	if (hart_features.sstc)
		csr_write(stimecmp, when);
	else
		fw_set_timer(when);
}

void hart_enable_external_irqs(void)
{
	csr_set(sie, MIP(IRQ_S_EXT));
}

void hart_poll_interrupts(struct hart *h)
{
	u64 sip = csr_read(sip);
	if (sip & MIP(IRQ_S_SOFT))
		csr_clear(sip, MIP(IRQ_S_SOFT)); /* a kick: the caller re-checks its vCPU */
	if (sip & MIP(IRQ_S_EXT))
		irq_handle_host();
	if (!(sip & MIP(IRQ_S_TIMER)))
		return;
	u64 now = time_now();
	if (h->tick_deadline && now >= h->tick_deadline) {
		vm_tick();
		h->tick_deadline = now + platform.timebase / TICK_HZ;
	}
	struct vcpu *v = h->vcpu;
	if (!hart_features.sstc && v && now >= v->timer_deadline) {
		v->timer_deadline = ~0UL;
		csr_set(hvip, MIP(IRQ_VS_TIMER));
	}
	if (v && now >= v->vmm.timer_deadline) {
		v->vmm.timer_deadline = ~0UL;
		vm_clint_update(v);
	}
	timer_program(h);
}

/* A poller hart: serve every VM's virtqueues, so guests need no exits to
 * submit I/O (DESIGN §6). */
static void __attribute__((noreturn)) poller_loop(struct hart *h)
{
	for (;;) {
		vm_poll_all();
		if (csr_read(sip) & (MIP(IRQ_S_SOFT) | MIP(IRQ_S_TIMER) | MIP(IRQ_S_EXT)))
			hart_poll_interrupts(h);
	}
}

/* rvhv's own tick (vm_tick: console lines and input, the uplink, IOMMU
 * faults) runs on one hart: the first poller hart if there is one, so that
 * vCPUs take no exits for it, else hart 0. */
static bool ticks(const struct hart *h)
{
	for (int i = 0; i < platform.nharts; i++)
		if (harts[i].poller)
			return h == &harts[i];
	return h->index == 0;
}

void hart_loop(struct hart *h)
{
	irq_hart_init();
	if (ticks(h)) {
		h->tick_deadline = time_now() + platform.timebase / TICK_HZ;
		timer_program(h);
	}
	if (h->poller)
		poller_loop(h);
	for (;;) {
		struct vcpu *v = h->vcpu;
		if (v && v->state == VCPU_START_PENDING && v->vm->state == VM_RUNNING) {
			vcpu_arch_reset(v);
			v->state = VCPU_STARTED;
		}
		if (v && v->state == VCPU_STARTED && v->vm->state == VM_RUNNING) {
			vcpu_run(v);
			continue;
		}
		if (v && v->id == 0 && v->vm->state == VM_RESETTING) {
			vm_load(v->vm);
			continue;
		}
		wfi();
		hart_poll_interrupts(h);
	}
}
