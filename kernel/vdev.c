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
#include "vdev/clint.h"
#include "vdev/plic.h"
#include "vdev/uart16550.h"
#include "virtio/blk.h"
#include "virtio/net.h"
#include "virtio/rng.h"

u64 time_now(void);

struct vuart {
	struct uart16550 u;
	struct vm *vm;
	u32 irq; /* its vPLIC source, 0 = none */
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
	uart_refill(vu); /* a read of RBR may have made room */
	if (acc->write || off == 0 || off == 2) /* RBR/THR, IIR/FCR */
		uart_updated(vu);
	return r;
}

static const struct mmio_ops uart_ops = {.access = uart_access};

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

static u32 node_irq(const void *fdt, int node)
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
	vu->irq = node_irq(fdt, node);
	uart16550_init(&vu->u, uart_tx, uart_set_irq, vu);
	if (mmio_register(&vm->bus, base, size, &uart_ops, vu, "uart16550"))
		return errorf(err, errlen, "uart at 0x%lx overlaps another device", base);
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

static int plic_mmio(void *dev, u64 off, struct mmio_access *acc)
{
	return plic_access(dev, off, acc);
}

static const struct mmio_ops plic_ops = {.access = plic_mmio};

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

static int clint_mmio(void *dev, u64 off, struct mmio_access *acc)
{
	return clint_access(dev, off, acc);
}

static const struct mmio_ops clint_ops = {.access = clint_mmio};

static int clint_attach(struct vm *vm, const void *fdt, int node, u64 base, u64 size, char *err,
			size_t errlen)
{
	struct clint *c = mm_alloc(sizeof(*c), 8);
	if (!c)
		return errorf(err, errlen, "clint: no memory");
	clint_init(c, vm->cfg->ncpus, vm);
	c->now = clint_now;
	c->set_mtip = clint_set_mtip;
	c->set_msip = clint_set_msip;
	c->arm = clint_arm;
	if (vm->clint || mmio_register(&vm->bus, base, size, &clint_ops, c, "clint"))
		return errorf(err, errlen, "clint at 0x%lx: a second CLINT, or overlaps a device", base);
	vm->clint = c;
	return 0;
}

/* ---- sifive,test: the power-off/reboot register Linux, U-Boot and xv6 tests use */

#define TEST_FAIL 0x3333
#define TEST_PASS 0x5555
#define TEST_RESET 0x7777

static int test_access(void *dev, u64 off, struct mmio_access *acc)
{
	struct vm *vm = dev;
	if (!acc->write) {
		acc->value = 0;
		return 0;
	}
	if (off != 0 || acc->width != 4)
		return -1;
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

/* ---- an empty virtio-mmio slot, as QEMU virt has eight of: device ID 0 */

#define VIRTIO_MAGIC 0x74726976 /* "virt" */

static int empty_slot_access(void *dev, u64 off, struct mmio_access *acc)
{
	if (acc->width != 4)
		return -1;
	if (!acc->write)
		acc->value = off == 0x0 ? VIRTIO_MAGIC : off == 0x4 ? 2 : 0; /* version 2, ID 0 */
	return 0;
}

static const struct mmio_ops empty_slot_ops = {.access = empty_slot_access};

/* ---- virtio-mmio devices (virtio/): rvhv,device names the device type */

/* A virtio device of a VM: the transport is the first member of each model. */
struct vvirtio {
	union {
		struct virtio_mmio t;
		struct virtio_blk blk;
		struct virtio_rng rng;
		struct virtio_net net;
	};
	struct vm *vm;
	u32 irq;
	const char *name;
	const char *logged; /* the failure last reported */
};

static void *virtio_map(void *ctx, u64 gpa, u64 len)
{
	return vm_gpa_to_ptr(ctx, gpa, len);
}

static void virtio_set_irq(void *ctx, bool level)
{
	struct vvirtio *vv = ctx;
	if (vv->irq && vv->vm->plic)
		plic_set_level(vv->vm->plic, vv->irq, level);
}

/* One log line per device failure (the transport keeps the first reason). */
static void virtio_log_failure(struct vvirtio *vv)
{
	const char *why = vv->t.fail_reason;
	if (!why)
		vv->logged = NULL; /* the driver reset the device: report the next failure */
	if (why && why != vv->logged) {
		vv->logged = why;
		vm_log(vv->vm, "%s: %s: device error, DEVICE_NEEDS_RESET set", vv->name, why);
	}
}

static int virtio_access(void *dev, u64 off, struct mmio_access *acc)
{
	struct vvirtio *vv = dev;
	int r = virtio_mmio_access(&vv->t, off, acc);
	virtio_log_failure(vv);
	return r;
}

bool vm_virtio_poll(struct vm *vm)
{
	bool worked = false;
	for (int i = 0; i < vm->nvirtio; i++) {
		struct vvirtio *vv = vm->virtio[i];
		for (int n = 0; n < vv->t.num_queues; n++) {
			struct virtq *q = &vv->t.vq[n];
			/* Unlocked peek; everything is checked again under the lock. */
			if (!q->ready || (q->no_notify && !vq_pending(q, &vv->t.mem)))
				continue;
			spin_lock(&vm->dev_lock);
			if (virtio_mmio_queue_live(&vv->t, n)) {
				if (!q->no_notify)
					vq_set_notifications(q, &vv->t.mem, false);
				if (vq_pending(q, &vv->t.mem)) {
					vv->t.ops->notify(vv, n);
					worked = true;
				}
				virtio_log_failure(vv);
			}
			spin_unlock(&vm->dev_lock);
		}
	}
	return worked;
}

static const struct mmio_ops virtio_ops = {.access = virtio_access};

/* The platform's device named by rvhv,host-reg, claimed for this VM. */
static int host_backend(struct host_virtio **out, u32 device_id, const void *fdt, int node,
			char *err, size_t errlen)
{
	int len;
	const fdt32_t *reg = fdt_getprop(fdt, node, "rvhv,host-reg", &len);
	if (!reg || len != 8)
		return errorf(err, errlen, "virtio: rvhv,host-reg = <hi lo> missing");
	u64 base = (u64)fdt32_to_cpu(reg[0]) << 32 | fdt32_to_cpu(reg[1]);
	*out = host_virtio_claim(base, device_id, 0, 1, err, errlen);
	return *out ? 0 : -1;
}

/* Frames arrived for this VM's NIC: have one of its vCPUs deliver them. */
static void net_kick(void *ctx)
{
	struct vm *vm = ctx;
	__atomic_store_n(&vm->net_pending, true, __ATOMIC_RELEASE);
	vcpu_kick(&vm->vcpus[0]);
}

void vm_tick(void)
{
	console_tick();
	console_poll_input();
	net_uplink_poll();
}

void vm_poll_all(void)
{
	for (int i = 0; i < nvms; i++) {
		if (vms[i].state != VM_RUNNING)
			continue;
		vm_virtio_poll(&vms[i]);
		if (vms[i].net_pending)
			vm_net_deliver(&vms[i]);
	}
	net_uplink_poll();
}

void vm_net_deliver(struct vm *vm)
{
	__atomic_store_n(&vm->net_pending, false, __ATOMIC_RELEASE);
	for (int i = 0; i < vm->nvirtio; i++) {
		struct vvirtio *vv = vm->virtio[i];
		if (vv->t.ops != &virtio_net_ops || !net_has_inbound(&vv->net))
			continue;
		spin_lock(&vm->dev_lock);
		net_deliver(&vv->net);
		virtio_log_failure(vv);
		spin_unlock(&vm->dev_lock);
	}
}

static int net_setup(struct vvirtio *vv, const void *fdt, int node, u64 base, char *err,
		     size_t errlen)
{
	struct virtio_net *n = &vv->net;
	int len;
	const u8 *mac = fdt_getprop(fdt, node, "rvhv,mac", &len);
	if (mac && len == 6) {
		memcpy(n->mac, mac, 6);
	} else {
		/* locally administered, unique per VM and slot */
		const u8 def[6] = {0x52, 0x56, 0x48, 0x56, vv->vm->id, (base >> 12) & 0xff};
		memcpy(n->mac, def, 6);
	}
	n->kick = net_kick;
	n->kick_ctx = vv->vm;
	if (net_attach(n))
		return errorf(err, errlen, "virtio-net: the switch is full (%d ports)", NET_MAX_PORTS);
	return 0;
}

static int blk_backend(struct vvirtio *vv, const void *fdt, int node, char *err, size_t errlen)
{
	struct virtio_blk *b = &vv->blk;
	const char *backend = fdt_getprop(fdt, node, "rvhv,backend", NULL);
	int len;
	if (backend && !strcmp(backend, "host")) {
		if (host_backend(&b->host, VIRTIO_ID_BLOCK, fdt, node, err, errlen))
			return -1;
		b->sectors = host_virtio_config(b->host, 0, 8);
		return 0;
	}
	if (backend && !strcmp(backend, "ram")) {
		/* The image stays in the configuration blob and is the disk
		 * itself: like a real disk it keeps its data across a VM reset. */
		b->ram = (u8 *)fdt_getprop(fdt, node, "rvhv,image", &len);
		if (!b->ram || len < SECTOR_SIZE)
			return errorf(err, errlen, "virtio-blk: rvhv,image = /incbin/(...) missing");
		b->sectors = len / SECTOR_SIZE;
		return 0;
	}
	return errorf(err, errlen, "virtio-blk: rvhv,backend must be \"ram\" or \"host\"");
}

static int virtio_attach(struct vm *vm, const void *fdt, int node, u64 base, u64 size, char *err,
			 size_t errlen)
{
	const char *device = fdt_getprop(fdt, node, "rvhv,device", NULL);
	if (!device) { /* an empty slot, as QEMU virt has them */
		if (mmio_register(&vm->bus, base, size, &empty_slot_ops, NULL, "virtio-empty"))
			return errorf(err, errlen, "virtio slot at 0x%lx overlaps another device", base);
		return 0;
	}
	struct vvirtio *vv = mm_alloc(sizeof(*vv), 8);
	if (!vv)
		return errorf(err, errlen, "virtio: no memory");
	vv->vm = vm;
	vv->irq = node_irq(fdt, node);
	const struct virtio_device_ops *ops;
	char what[64];
	if (!strcmp(device, "blk")) {
		if (blk_backend(vv, fdt, node, err, errlen))
			return -1;
		ops = &virtio_blk_ops;
		vv->name = "virtio-blk";
		ksnprintf(what, sizeof(what), "%lu KiB on %s", vv->blk.sectors / 2,
			  vv->blk.host ? "the platform's virtio-blk" : "a RAM image");
	} else if (!strcmp(device, "net")) {
		if (net_setup(vv, fdt, node, base, err, errlen))
			return -1;
		ops = &virtio_net_ops;
		vv->name = "virtio-net";
		ksnprintf(what, sizeof(what), "mac %02x:%02x:%02x:%02x:%02x:%02x on rvhv's switch",
			  vv->net.mac[0], vv->net.mac[1], vv->net.mac[2], vv->net.mac[3],
			  vv->net.mac[4], vv->net.mac[5]);
	} else if (!strcmp(device, "rng")) {
		if (host_backend(&vv->rng.host, VIRTIO_ID_RNG, fdt, node, err, errlen))
			return -1;
		ops = &virtio_rng_ops;
		vv->name = "virtio-rng";
		ksnprintf(what, sizeof(what), "the platform's virtio-rng");
	} else {
		return errorf(err, errlen, "virtio at 0x%lx: no device model '%s'", base, device);
	}
	const char *transport = fdt_getprop(fdt, node, "rvhv,transport", NULL);
	bool legacy = transport && !strcmp(transport, "legacy");
	virtio_mmio_init(&vv->t, legacy, ops, vv, (struct vq_mem){virtio_map, vm}, virtio_set_irq, vv);
	if (vm->nvirtio == VM_MAX_VIRTIO || mmio_register(&vm->bus, base, size, &virtio_ops, vv, vv->name))
		return errorf(err, errlen, "%s at 0x%lx: too many devices, or overlaps one", vv->name, base);
	vm->virtio[vm->nvirtio++] = vv;
	kprintf("rvhv: vm '%s': %s at 0x%lx (%s, %s)\n", vm->cfg->name, vv->name, base,
		legacy ? "legacy" : "modern", what);
	return 0;
}

/* ---- the table: the first compatible that matches wins */

static const struct vdev_type types[] = {
	{"rvhv,testdev", testdev_attach}, {"ns16550a", uart_attach},
	{"riscv,plic0", plic_attach},	  {"sifive,plic-1.0.0", plic_attach},
	{"riscv,clint0", clint_attach},	  {"sifive,clint0", clint_attach},
	{"sifive,test0", test_attach},	  {"virtio,mmio", virtio_attach},
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

int vdev_attach_all(struct vm *vm, char *err, size_t errlen)
{
	const void *fdt = vm->cfg->fdt;
	int parent = vm->cfg->devices;
	if (parent < 0)
		return 0;
	int node;
	fdt_for_each_subnode(node, fdt, parent)
	{
		const char *name = fdt_get_name(fdt, node, NULL);
		int len;
		const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
		if (!reg)
			continue; /* no registers: a description only (e.g. syscon-poweroff) */
		/* config_parse checked: 2 address and 2 size cells, as under the guest's /soc */
		if (len < 16)
			return errorf(err, errlen, "device '%s': malformed reg", name);
		const struct vdev_type *t = find_type(fdt, node);
		if (!t) {
			const char *compat = fdt_getprop(fdt, node, "compatible", NULL);
			return errorf(err, errlen, "device '%s': no device model for compatible '%s'", name,
				      compat ? compat : "(none)");
		}
		if (t->attach(vm, fdt, node, read_cells(reg, 2), read_cells(reg + 2, 2), err, errlen))
			return -1;
	}
	return 0;
}
