/*
 * Attach the device models a VM's configuration lists, and wire each model's
 * callbacks into the VM: UART bytes to the console, interrupt lines to the
 * vPLIC, vPLIC and vCLINT outputs to the vCPUs' interrupt state.
 */
#include <libfdt.h>

#include "kernel/console.h"
#include "kernel/lib.h"
#include "kernel/mm.h"
#include "kernel/vdev.h"
#include "passthru/device.h"
#include "passthru/irq.h"
#include "passthru/vpci.h"
#include "vdev/clint.h"
#include "vdev/plic.h"
#include "vdev/uart16550.h"

u64 time_now(void);

struct vuart {
	struct uart16550 u;
	struct vm *vm;
	u64 base; /* its registers' GPA */
	u32 irq;  /* its vPLIC source, 0 = none */
	bool windowed;
	struct mmio_window window; /* its reads that change nothing (uart16550_publish) */
};

/* ---- 16550 UART: output to the console, input from it, IRQ to the vPLIC */

static void uart_tx(void *ctx, u8 c)
{
	struct vuart *vu = ctx;
	char ch = c;
	console_guest_write(vu->vm, &ch, 1);
}

static void uart_set_irq(void *ctx, bool level)
{
	struct vuart *vu = ctx;
	if (vu->irq && vu->vm->plic)
		plic_set_level(vu->vm->plic, vu->irq, level);
}

/*
 * After the model changed (a register write, an RBR or IIR read, received
 * bytes): re-raise a line that is still high, as QEMU's 16550 does on those
 * updates.  With the QEMU gateway (vdev/plic.h) that is what forwards the
 * next request, e.g. for a byte received while an unacknowledged THR-empty
 * interrupt holds the line high; with the spec's gateway it changes nothing.
 * Plain LSR reads do not count: xv6 polls LSR in its handler while THR-empty
 * stays pending, and a request per poll would never let it out.
 */
static void uart_updated(struct vuart *vu)
{
	if (vu->u.irq_level)
		uart_set_irq(vu, true);
}

/* Move queued console input into the receive FIFO; dev_lock held. */
static void uart_refill(struct vuart *vu)
{
	bool got = false;
	while (uart16550_rx_space(&vu->u) > 0) {
		int c = console_getc(vu->vm);
		if (c < 0)
			break;
		uart16550_receive(&vu->u, c);
		got = true;
	}
	if (got)
		uart_updated(vu);
}

static int uart_access(void *dev, u64 off, struct mmio_access *acc)
{
	struct vuart *vu = dev;
	int r = uart16550_access(&vu->u, off, acc);
	/* Input waiting (see console_getc) moves in: a read of RBR may have made room. */
	if (vu->vm->in_tail != vu->vm->in_head)
		uart_refill(vu);
	if (acc->write || off == 0 || off == 2) /* RBR/THR, IIR/FCR */
		uart_updated(vu);
	return r;
}

static void uart_reset(void *dev)
{
	struct vuart *vu = dev;
	uart16550_init(&vu->u, uart_tx, uart_set_irq, vu);
	if (vu->windowed)
		uart16550_publish(&vu->u, &vu->window);
}

static const struct mmio_ops uart_ops = {.access = uart_access, .reset = uart_reset};

void vm_feed_uart(struct vm *vm)
{
	if (!vm->uart)
		return;
	spin_lock(&vm->dev_lock);
	uart_refill(vm->uart);
	spin_unlock(&vm->dev_lock);
}

int vm_console_getc(struct vm *vm)
{
	if (!vm->uart)
		return console_getc(vm);
	spin_lock(&vm->dev_lock);
	uart_refill(vm->uart);
	int c = uart16550_take(&vm->uart->u);
	spin_unlock(&vm->dev_lock);
	return c;
}

struct uart16550 *vdev_console_uart(struct vm *vm, u64 *base)
{
	if (!vm->uart)
		return NULL;
	*base = vm->uart->base;
	return &vm->uart->u;
}

u32 vdev_node_irq(const void *fdt, int node)
{
	const fdt32_t *p = fdt_getprop(fdt, node, "interrupts", NULL);
	return p ? fdt32_to_cpu(*p) : 0;
}

static int uart_attach(struct vm *vm, const void *fdt, int node, u64 base, u64 size, char *err,
		       size_t errlen)
{
	struct vuart *vu = mm_alloc(sizeof(*vu), 8);
	if (!vu)
		return errorf(err, errlen, "uart: no memory");
	vu->vm = vm;
	vu->base = base;
	vu->irq = vdev_node_irq(fdt, node);
	uart16550_init(&vu->u, uart_tx, uart_set_irq, vu);
	if (mmio_register(&vm->bus, base, size, &uart_ops, vu, "uart16550"))
		return errorf(err, errlen, "uart at 0x%lx overlaps another device", base);
	/* a window publishes the zeros up to UART16550_SIZE: a smaller region
	 * must fault past its end, so it has none */
	if (size >= UART16550_SIZE && !mmio_attach_window(&vm->bus, base, &vu->window)) {
		vu->windowed = true;
		uart16550_publish(&vu->u, &vu->window);
	}
	if (!vm->uart)
		vm->uart = vu; /* the first one takes console input */
	return 0;
}

/* ---- PLIC: context 2h+1 drives vCPU h's VSEIP, context 2h its virtual MEIP */

static void plic_set_eip(void *ctx, int context, bool level)
{
	struct vm *vm = ctx;
	struct vcpu *v = &vm->vcpus[context / 2];
	if (context & 1)
		__atomic_store_n(&v->vseip, level, __ATOMIC_RELEASE);
	else if (level)
		__atomic_or_fetch(&v->vmm.lines, MIP(11), __ATOMIC_ACQ_REL);
	else
		__atomic_and_fetch(&v->vmm.lines, ~MIP(11), __ATOMIC_ACQ_REL);
	vcpu_kick(v);
}

/* The guest completed a source: a forwarded real interrupt is done too. */
static void plic_completed(void *ctx, u32 source)
{
	irq_guest_complete(ctx, source);
}

static int plic_mmio(void *dev, u64 off, struct mmio_access *acc)
{
	return plic_access(dev, off, acc);
}

/* The vCPU lines it drove are cleared by vm_load. */
static void plic_reset(void *dev)
{
	struct plic *p = dev;
	bool qemu_gateway = p->qemu_gateway;
	plic_init(p, p->nsources, p->ncontexts, p->set_eip, p->ctx);
	p->qemu_gateway = qemu_gateway;
	p->completed = plic_completed;
}

static const struct mmio_ops plic_ops = {.access = plic_mmio, .reset = plic_reset};

static int plic_attach(struct vm *vm, const void *fdt, int node, u64 base, u64 size, char *err,
		       size_t errlen)
{
	const fdt32_t *ndev = fdt_getprop(fdt, node, "riscv,ndev", NULL);
	struct plic *p = mm_alloc(sizeof(*p), 8);
	if (!p)
		return errorf(err, errlen, "plic: no memory");
	plic_init(p, ndev ? fdt32_to_cpu(*ndev) : PLIC_MAX_SOURCES, 2 * vm->cfg->ncpus, plic_set_eip, vm);
	const char *gateway = fdt_getprop(fdt, node, "rvhv,gateway", NULL);
	p->qemu_gateway = !gateway || strcmp(gateway, "spec") != 0;
	p->completed = plic_completed;
	if (vm->plic || mmio_register(&vm->bus, base, size, &plic_ops, p, "plic"))
		return errorf(err, errlen, "plic at 0x%lx: a second PLIC, or overlaps a device", base);
	vm->plic = p;
	return 0;
}

/* ---- CLINT: virtual MTIP/MSIP of the vCPUs, deadlines on rvhv's timer */

static u64 clint_now(void *ctx)
{
	return time_now();
}

static void set_line(struct vm *vm, int hart, int irq, bool level)
{
	struct vcpu *v = &vm->vcpus[hart];
	if (level)
		__atomic_or_fetch(&v->vmm.lines, MIP(irq), __ATOMIC_ACQ_REL);
	else
		__atomic_and_fetch(&v->vmm.lines, ~MIP(irq), __ATOMIC_ACQ_REL);
	vcpu_kick(v);
}

static void clint_set_mtip(void *ctx, int hart, bool level)
{
	set_line(ctx, hart, 7, level);
}

static void clint_set_msip(void *ctx, int hart, bool level)
{
	set_line(ctx, hart, 3, level);
}

static void clint_arm(void *ctx, int hart, u64 deadline)
{
	struct vm *vm = ctx;
	struct vcpu *v = &vm->vcpus[hart];
	v->vmm.timer_deadline = deadline;
	__atomic_or_fetch(&v->requests, VCPU_REQ_TIMER, __ATOMIC_ACQ_REL);
	vcpu_kick(v);
}

void vm_clint_update(struct vcpu *v)
{
	struct vm *vm = v->vm;
	if (!vm->clint)
		return;
	spin_lock(&vm->dev_lock);
	clint_update(vm->clint, v->id);
	spin_unlock(&vm->dev_lock);
}

static void clint_reset(void *dev)
{
	struct clint *c = dev;
	struct vm *vm = c->ctx;
	clint_init(c, vm->cfg->ncpus, vm);
	c->now = clint_now;
	c->set_mtip = clint_set_mtip;
	c->set_msip = clint_set_msip;
	c->arm = clint_arm;
}

static int clint_mmio(void *dev, u64 off, struct mmio_access *acc)
{
	return clint_access(dev, off, acc);
}

static const struct mmio_ops clint_ops = {.access = clint_mmio, .reset = clint_reset};

static int clint_attach(struct vm *vm, const void *fdt, int node, u64 base, u64 size, char *err,
			size_t errlen)
{
	struct clint *c = mm_alloc(sizeof(*c), 8);
	if (!c)
		return errorf(err, errlen, "clint: no memory");
	c->ctx = vm;
	clint_reset(c);
	if (vm->clint || mmio_register(&vm->bus, base, size, &clint_ops, c, "clint"))
		return errorf(err, errlen, "clint at 0x%lx: a second CLINT, or overlaps a device", base);
	vm->clint = c;
	return 0;
}

/*
 * ---- sifive,test: the power-off/reboot register Linux, U-Boot and xv6 tests
 * use.  As QEMU's: 16 and 32-bit accesses (other sizes are bus errors), reads
 * as 0, and only a write to offset 0 acts, on its low 16 bits.
 */

#define TEST_FAIL 0x3333
#define TEST_PASS 0x5555
#define TEST_RESET 0x7777

static int test_access(void *dev, u64 off, struct mmio_access *acc)
{
	struct vm *vm = dev;
	if (acc->width != 2 && acc->width != 4)
		return -1;
	if (!acc->write) {
		acc->value = 0;
		return 0;
	}
	if (off != 0)
		return 0;
	u32 code = acc->value & 0xffff;
	if (code == TEST_PASS)
		vm_shutdown(vm, "the guest powered off (sifive,test)");
	else if (code == TEST_RESET)
		vm_reset(vm, "the guest asked for a reset (sifive,test)");
	else if (code == TEST_FAIL)
		vm_shutdown(vm, "the guest reported failure (sifive,test)");
	return 0;
}

static const struct mmio_ops test_ops = {.access = test_access};

static int test_attach(struct vm *vm, const void *fdt, int node, u64 base, u64 size, char *err,
		       size_t errlen)
{
	if (mmio_register(&vm->bus, base, size, &test_ops, vm, "sifive-test"))
		return errorf(err, errlen, "test device at 0x%lx overlaps another device", base);
	return 0;
}

/* ---- the table: the first compatible that matches wins */

static const struct vdev_type types[] = {
	{"rvhv,testdev", testdev_attach}, {"ns16550a", uart_attach},
	{"riscv,plic0", plic_attach},	  {"sifive,plic-1.0.0", plic_attach},
	{"riscv,clint0", clint_attach},	  {"sifive,clint0", clint_attach},
	{"sifive,test0", test_attach},	  {"virtio,mmio", virtio_attach},
	{"rvhv,pci", vpci_attach},
};

static const struct vdev_type *find_type(const void *fdt, int node)
{
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (fdt_node_check_compatible(fdt, node, types[i].compatible) == 0)
			return &types[i];
	return NULL;
}

static u64 read_cells(const fdt32_t *p, int n)
{
	u64 v = 0;
	while (n--)
		v = (v << 32) | fdt32_to_cpu(*p++);
	return v;
}

/* Passed-through devices and PCI functions attach after the models: they
 * need the VM's vPLIC for their interrupts. */
static bool attaches_late(const void *fdt, int node)
{
	return fdt_getprop(fdt, node, "rvhv,passthrough", NULL) ||
	       fdt_node_check_compatible(fdt, node, "rvhv,pci") == 0;
}

static int attach_one(struct vm *vm, const void *fdt, int node, char *err, size_t errlen)
{
	const char *name = fdt_get_name(fdt, node, NULL);
	int len;
	const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
	if (!reg)
		return 0; /* no registers: a description only (e.g. syscon-poweroff) */
	/* config_parse checked: 2 address and 2 size cells, as under the guest's /soc */
	if (len < 16)
		return errorf(err, errlen, "device '%s': malformed reg", name);
	u64 base = read_cells(reg, 2), size = read_cells(reg + 2, 2);
	if (fdt_getprop(fdt, node, "rvhv,passthrough", NULL))
		return passthru_device_attach(vm, fdt, node, base, size, err, errlen);
	const struct vdev_type *t = find_type(fdt, node);
	if (!t) {
		const char *compat = fdt_getprop(fdt, node, "compatible", NULL);
		return errorf(err, errlen, "device '%s': no device model for compatible '%s'", name,
			      compat ? compat : "(none)");
	}
	return t->attach(vm, fdt, node, base, size, err, errlen);
}

int vdev_attach_all(struct vm *vm, char *err, size_t errlen)
{
	const void *fdt = vm->cfg->fdt;
	int parent = vm->cfg->devices;
	if (parent < 0)
		return 0;
	int node;
	for (int late = 0; late < 2; late++)
		fdt_for_each_subnode(node, fdt, parent)
		{
			if (attaches_late(fdt, node) == late && attach_one(vm, fdt, node, err, errlen))
				return -1;
		}
	return 0;
}
