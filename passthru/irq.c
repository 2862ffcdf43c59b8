/*
 * Forwarding real device interrupts to VMs (see irq.h).  rvhv drives the
 * host PLIC's S-mode contexts (PLIC spec 1.0.0, "Memory Map"): a forwarded
 * source gets priority 1 and is enabled on one hart only, the one running
 * its VM's vCPU 0; that hart's threshold is 0.
 *
 * Life of one interrupt:  device raises its line -> host PLIC -> SEI on the
 * hart (a guest exit or a wake from WFI) -> irq_handle_host claims it and
 * raises the vPLIC line -> the guest claims, serves the device, completes
 * -> irq_guest_complete lowers the vPLIC line and completes the host
 * source -> if the device still asserts, the host PLIC pends it again.
 */
#include "passthru/irq.h"
#include "kernel/hart.h"
#include "kernel/lib.h"
#include "kernel/spinlock.h"
#include "kernel/vm.h"
#include "vdev/plic.h"

#define MAX_FORWARDS 32
#define REG_PRIORITY(s) (4 * (u64)(s))
#define REG_ENABLE(c, s) (0x2000 + 0x80 * (u64)(c) + 4 * ((u64)(s) / 32))
#define REG_THRESHOLD(c) (0x200000 + 0x1000 * (u64)(c))
#define REG_CLAIM(c) (REG_THRESHOLD(c) + 4)

struct forward {
	u32 src; /* host PLIC source */
	struct vm *vm;
	u32 line;
	volatile bool in_service; /* claimed on the host, the guest has not completed */
	int context;		  /* the host context it is enabled on, -1 until a hart takes it */
};

static struct forward fwd[MAX_FORWARDS];
static int nfwd;	     /* set up before the harts run guests, read-only after */
static struct spinlock lock; /* enables: harts set up their own contexts concurrently */

static struct forward *find(u32 src)
{
	for (int i = 0; i < nfwd; i++)
		if (fwd[i].src == src)
			return &fwd[i];
	return NULL;
}

static volatile u32 *reg(u64 off)
{
	return (volatile u32 *)(uintptr_t)(platform.plic_base + off);
}

int irq_forward(struct vm *vm, u32 host_src, u32 line, char *err, size_t errlen)
{
	if (!platform.plic_base)
		return errorf(err, errlen, "the host has no PLIC to take interrupt %u from",
			      host_src);
	if (host_src == 0 || host_src > platform.plic_ndev)
		return errorf(err, errlen, "host interrupt %u is not a PLIC source (1..%u)",
			      host_src, platform.plic_ndev);
	if (host_src == platform.uart_irq)
		return errorf(err, errlen, "host interrupt %u is rvhv's console UART", host_src);
	if (!vm->plic || line == 0 || line > vm->plic->nsources)
		return errorf(err, errlen, "host interrupt %u: the VM has no vPLIC source %u",
			      host_src, line);
	struct forward *f = find(host_src);
	if (f && (f->vm != vm || f->line != line))
		return errorf(err, errlen,
			      "host interrupt %u is already forwarded to vm '%s' source %u",
			      host_src, f->vm->cfg->name, f->line);
	if (f)
		return 0;
	if (nfwd == MAX_FORWARDS)
		return errorf(err, errlen, "more than %d forwarded interrupts", MAX_FORWARDS);
	fwd[nfwd++] = (struct forward){.src = host_src, .vm = vm, .line = line, .context = -1};
	*reg(REG_PRIORITY(host_src)) = 1;
	return 0;
}

void irq_hart_init(void)
{
	struct hart *h = this_hart();
	int ctx = platform.plic_s_context[h->index];
	bool any = false;
	if (ctx < 0)
		return;
	spin_lock(&lock);
	for (int i = 0; i < nfwd; i++) {
		struct forward *f = &fwd[i];
		if (f->vm->vcpus[0].hart != h)
			continue;
		f->context = ctx;
		*reg(REG_ENABLE(ctx, f->src)) |= 1U << (f->src % 32);
		any = true;
	}
	spin_unlock(&lock);
	if (!any)
		return;
	*reg(REG_THRESHOLD(ctx)) = 0;
	hart_enable_external_irqs();
}

void irq_handle_host(void)
{
	int ctx = platform.plic_s_context[this_hart()->index];
	if (ctx < 0)
		return;
	u32 s;
	while ((s = *reg(REG_CLAIM(ctx))) != 0) {
		struct forward *f = find(s);
		if (!f) { /* not ours to take: say so once, and let it go */
			kprintf("rvhv: host interrupt %u is not forwarded to any VM\n", s);
			*reg(REG_ENABLE(ctx, s)) &= ~(1U << (s % 32));
			*reg(REG_CLAIM(ctx)) = s;
			continue;
		}
		struct vm *vm = f->vm;
		spin_lock(&vm->dev_lock);
		f->in_service = true;
		plic_set_level(vm->plic, f->line, true);
		spin_unlock(&vm->dev_lock);
	}
}

/* Complete the host source: the device may interrupt again. */
static void host_complete(struct forward *f)
{
	f->in_service = false;
	if (f->context >= 0)
		*reg(REG_CLAIM(f->context)) = f->src;
}

bool irq_vm_forwards(const struct vm *vm)
{
	for (int i = 0; i < nfwd; i++)
		if (fwd[i].vm == vm)
			return true;
	return false;
}

void irq_guest_complete(struct vm *vm, u32 line)
{
	for (int i = 0; i < nfwd; i++) {
		struct forward *f = &fwd[i];
		if (f->vm != vm || f->line != line || !f->in_service)
			continue;
		plic_set_level(vm->plic, line, false);
		host_complete(f);
	}
}

void irq_vm_reset(struct vm *vm)
{
	for (int i = 0; i < nfwd; i++)
		if (fwd[i].vm == vm && fwd[i].in_service)
			host_complete(&fwd[i]);
}
