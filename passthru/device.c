/* Platform devices passed through to VMs (see device.h). */
#include <libfdt.h>

#include "kernel/lib.h"
#include "kernel/platform.h"
#include "kernel/vdev.h"
#include "kernel/vm.h"
#include "passthru/device.h"
#include "passthru/irq.h"
#include "virtio/host.h"

#define MAX_DEVICES 16
#define VIRTIO_MMIO_STATUS 0x70

static struct assigned {
	struct vm *vm;
	u64 hpa;
	bool virtio; /* a platform virtio-mmio slot: reset by writing status 0 */
} assigned[MAX_DEVICES];
static int nassigned;

static bool overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
	return blen && a < b + blen && b < a + alen;
}

/* What rvhv itself uses, which no VM may have. */
static const char *host_owned(u64 hpa, u64 size)
{
	if (overlaps(hpa, size, platform.ram.base, platform.ram.size))
		return "host RAM";
	if (overlaps(hpa, size, platform.uart_base, platform.uart_size))
		return "rvhv's console UART";
	if (overlaps(hpa, size, platform.plic_base, platform.plic_size))
		return "the host PLIC";
	if (overlaps(hpa, size, platform.clint_base, platform.clint_size))
		return "the host CLINT";
	if (overlaps(hpa, size, platform.test_base, platform.test_base ? PAGE_SIZE : 0))
		return "the power-off device";
	if (overlaps(hpa, size, platform.pcie_ecam_base, platform.pcie_ecam_size))
		return "the PCIe ECAM (give PCI functions with an rvhv,pci node)";
	return NULL;
}

static int slot_irq(u64 hpa)
{
	for (int i = 0; i < platform.nvirtio; i++)
		if (platform.virtio[i].base == hpa)
			return (int)platform.virtio_irq[i];
	return -1;
}

int passthru_device_attach(struct vm *vm, const void *fdt, int node, u64 gpa, u64 size, char *err,
			   size_t errlen)
{
	const char *name = fdt_get_name(fdt, node, NULL);
	int len;
	const fdt32_t *p = fdt_getprop(fdt, node, "rvhv,passthrough", &len);
	if (!p || len != 8)
		return errorf(err, errlen, "device '%s': rvhv,passthrough must be <hi lo>", name);
	u64 hpa = (u64)fdt32_to_cpu(p[0]) << 32 | fdt32_to_cpu(p[1]);
	size = ALIGN_UP(size, PAGE_SIZE);
	if (hpa % PAGE_SIZE || gpa % PAGE_SIZE)
		return errorf(err, errlen,
			      "device '%s': host 0x%lx and guest 0x%lx must be 4 KiB aligned", name,
			      hpa, gpa);
	const char *owner = host_owned(hpa, size);
	if (owner)
		return errorf(err, errlen, "device '%s': host 0x%lx is %s", name, hpa, owner);
	for (int i = 0; i < nassigned; i++)
		if (assigned[i].hpa == hpa)
			return errorf(
				err, errlen,
				"device '%s': host 0x%lx is passed through to vm '%s' already",
				name, hpa, assigned[i].vm->cfg->name);
	int irq = slot_irq(hpa);
	bool virtio = irq >= 0;
	if (virtio && host_virtio_reserve(hpa, err, errlen))
		return -1;

	/* DMA: the platform's IOMMU (if any) covers PCIe only, so a DMA-capable
   * platform device reaches all of memory; that is accepted only as
   * identity mapping, which the configuration must ask for. */
	bool no_dma = fdt_getprop(fdt, node, "rvhv,no-dma", NULL) != NULL;
	bool identity = fdt_getprop(fdt, node, "rvhv,dma", NULL) != NULL;
	if (!no_dma && !identity)
		return errorf(err, errlen,
			      "device '%s': host 0x%lx can DMA and no IOMMU covers "
			      "platform devices, so it "
			      "could reach any memory: add rvhv,dma = \"identity\" to "
			      "accept that (guest RAM "
			      "at GPA == HPA), or rvhv,no-dma if it never DMAs",
			      name, hpa);
	if (identity && vm->ram_hpa != vm->cfg->mem_base)
		return errorf(err, errlen,
			      "device '%s': identity DMA, but the RAM is not at GPA == HPA", name);

	if (gstage_map(&vm->gs, gpa, hpa, size, GSTAGE_R | GSTAGE_W))
		return errorf(err, errlen,
			      "device '%s': cannot map guest 0x%lx (overlaps RAM or a device?)",
			      name, gpa);
	u32 line = vdev_node_irq(fdt, node);
	const fdt32_t *hi = fdt_getprop(fdt, node, "rvhv,host-interrupt", &len);
	u32 host_irq = hi && len == 4 ? fdt32_to_cpu(*hi) : virtio ? (u32)irq : line;
	if (line && irq_forward(vm, host_irq, line, err, errlen))
		return -1;
	if (nassigned == MAX_DEVICES)
		return errorf(err, errlen, "device '%s': more than %d devices passed through", name,
			      MAX_DEVICES);
	assigned[nassigned++] = (struct assigned){.vm = vm, .hpa = hpa, .virtio = virtio};
	kprintf("rvhv: vm '%s': host device 0x%lx (interrupt %u) passed through at "
		"0x%lx (source "
		"%u)%s\n",
		vm->cfg->name, hpa, host_irq, gpa, line, identity ? ", DMA identity-mapped" : "");
	return 0;
}

void passthru_vm_reset(struct vm *vm)
{
	for (int i = 0; i < nassigned; i++)
		if (assigned[i].vm == vm && assigned[i].virtio)
			*(volatile u32 *)(uintptr_t)(assigned[i].hpa + VIRTIO_MMIO_STATUS) = 0;
}
