/*
 * The VMs' virtio-mmio devices (virtio/): the transport wired to the VM's
 * memory and vPLIC, the backends named by the configuration, the poller's
 * pass, network delivery, and rvhv's periodic work.
 */
#include <libfdt.h>

#include "kernel/console.h"
#include "kernel/lib.h"
#include "kernel/mm.h"
#include "kernel/vdev.h"
#include "passthru/iommu.h"
#include "vdev/plic.h"
#include "virtio/blk.h"
#include "virtio/net.h"
#include "virtio/rng.h"

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
	struct mmio_window window; /* the transport's register reads (virtio_mmio_publish) */
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
	if (vv->t.fail_reason != vv->logged) /* else it would change nothing */
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
			if (!q->ready || (q->no_notify && !vq_pending(q)))
				continue;
			spin_lock(&vm->dev_lock);
			if (virtio_mmio_queue_live(&vv->t, n)) {
				if (!q->no_notify)
					vq_set_notifications(q, false);
				if (vq_pending(q)) {
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

static void virtio_reset(void *dev)
{
	struct vvirtio *vv = dev;
	virtio_mmio_reset(&vv->t);
	vv->logged = NULL;
}

static const struct mmio_ops virtio_ops = {.access = virtio_access, .reset = virtio_reset};

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
	iommu_poll();
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
		/* The image in the configuration blob is the disk itself: like
		 * a real disk it keeps its data across a VM reset. */
		b->ram = (u8 *)fdt_getprop(fdt, node, "rvhv,image", &len);
		if (!b->ram || len < SECTOR_SIZE)
			return errorf(err, errlen, "virtio-blk: rvhv,image = /incbin/(...) missing");
		b->sectors = len / SECTOR_SIZE;
		/* Property data is only 4-byte aligned, and a misaligned image
		 * doubles what copying a request costs (kernel/string.c): such a
		 * one moves to memory of its own when there is room. */
		u8 *copy = (uintptr_t)b->ram % 8 ? mm_alloc_raw((u64)len, PAGE_SIZE) : NULL;
		if (copy) {
			memcpy(copy, b->ram, (u64)len);
			b->ram = copy;
		}
		return 0;
	}
	return errorf(err, errlen, "virtio-blk: rvhv,backend must be \"ram\" or \"host\"");
}

int virtio_attach(struct vm *vm, const void *fdt, int node, u64 base, u64 size, char *err,
			 size_t errlen)
{
	const char *device = fdt_getprop(fdt, node, "rvhv,device", NULL);
	if (!device) { /* an empty slot, as QEMU virt has them */
		if (mmio_register(&vm->bus, base, size, &empty_slot_ops, NULL, "virtio-empty"))
			return errorf(err, errlen, "virtio slot at 0x%lx overlaps another device", base);
		/* its reads are constants: a driver's probe takes them from the window */
		struct mmio_window *w = mm_alloc(sizeof(*w), 8);
		if (w && !mmio_attach_window(&vm->bus, base, w))
			for (u64 off = 0; off < size && off < MMIO_WINDOW_SIZE; off += 4)
				mmio_window_set(w, off, 4, off == 0 ? VIRTIO_MAGIC : off == 4 ? 2 : 0);
		return 0;
	}
	struct vvirtio *vv = mm_alloc(sizeof(*vv), 8);
	if (!vv)
		return errorf(err, errlen, "virtio: no memory");
	vv->vm = vm;
	vv->irq = vdev_node_irq(fdt, node);
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
	if (size >= VIRTIO_MMIO_CONFIG && !mmio_attach_window(&vm->bus, base, &vv->window))
		virtio_mmio_publish(&vv->t, &vv->window);
	vm->virtio[vm->nvirtio++] = vv;
	kprintf("rvhv: vm '%s': %s at 0x%lx (%s, %s)\n", vm->cfg->name, vv->name, base,
		legacy ? "legacy" : "modern", what);
	return 0;
}
