/*
 * Attaching a VM's virtual PCIe host bridge (vpci.h): the host functions its
 * config names become the VM's, their BARs are mapped GPA == HPA, their INTx
 * forwarded and their DMA confined, and the ECAM window goes on the VM's
 * MMIO bus with the config-space model of vpci_cfg.c over the real functions.
 */
#include <libfdt.h>

#include "kernel/lib.h"
#include "kernel/mm.h"
#include "kernel/vdev.h"
#include "passthru/iommu.h"
#include "passthru/irq.h"
#include "passthru/vpci.h"
#include "passthru/vpci_cfg.h"

#define BDF_FMT "%02x:%02x.%x"
#define BDF_ARGS(bdf) (bdf) >> 8, ((bdf) >> 3) & 0x1f, (bdf) % 8
#define PCI_DEV(bdf) (((bdf) >> 3) & 0x1f)

static u32 host_read(void *func, u32 off, int width)
{
	return pci_cfg_read(func, off, width);
}

static void host_write(void *func, u32 off, int width, u32 val)
{
	pci_cfg_write(func, off, width, val);
}

static bool host_owned(void *ctx, void *func)
{
	const struct vm *vm = ctx;
	const struct pci_func *f = func;
	return f->owner == vm->id;
}

static void host_log(void *ctx, const char *msg)
{
	vm_log(ctx, "%s", msg);
}

static const struct vpci_backing host_backing = {
	.read = host_read,
	.write = host_write,
	.owned = host_owned,
	.log = host_log,
};

static int ecam_access(void *dev, u64 off, struct mmio_access *acc)
{
	return vpci_access(dev, off, acc);
}

static void ecam_reset(void *dev)
{
	vpci_reset(dev);
}

static const struct mmio_ops ecam_ops = {.access = ecam_access, .reset = ecam_reset};

static bool overlap(u64 a, u64 asize, u64 b, u64 bsize)
{
	return a < b + bsize && b < a + asize;
}

/* The pages a BAR of f maps into the guest must hold nothing else: no
 * emulated device of the VM, no other function's registers. */
static int check_bar(struct vm *vm, const struct pci_func *f, int i, u64 ecam, u64 ecam_size,
		     char *err, size_t errlen)
{
	const struct pci_bar *b = &f->bar[i];
	u64 len = ALIGN_UP(b->size, PAGE_SIZE);
	if (!IS_ALIGNED(b->addr, PAGE_SIZE))
		return errorf(err, errlen, "pci " BDF_FMT ": BAR%d at 0x%lx is not page-aligned",
			      BDF_ARGS(f->bdf), i, b->addr);
	if (overlap(b->addr, len, ecam, ecam_size))
		return errorf(err, errlen,
			      "pci " BDF_FMT ": BAR%d at 0x%lx overlaps the guest's ECAM",
			      BDF_ARGS(f->bdf), i, b->addr);
	for (int r = 0; r < vm->bus.n; r++)
		if (overlap(b->addr, len, vm->bus.regions[r].base, vm->bus.regions[r].size))
			return errorf(err, errlen,
				      "pci " BDF_FMT ": BAR%d at 0x%lx overlaps the guest's %s",
				      BDF_ARGS(f->bdf), i, b->addr, vm->bus.regions[r].name);
	for (int n = 0; n < pci_host.nfuncs; n++) {
		const struct pci_func *g = &pci_host.funcs[n];
		for (int j = 0; j < PCI_NBARS; j++)
			if ((g != f || j != i) && g->bar[j].addr && g->bar[j].size &&
			    overlap(b->addr, len, g->bar[j].addr, g->bar[j].size))
				return errorf(err, errlen,
					      "pci " BDF_FMT
					      ": BAR%d shares its page with BAR%d of "
					      "pci " BDF_FMT,
					      BDF_ARGS(f->bdf), i, j, BDF_ARGS(g->bdf));
	}
	return 0;
}

/* Whether host function `bdf` can be this VM's: everything checked before
 * anything is changed, so a refused config leaves the host as it was. */
static struct pci_func *check_func(struct vm *vm, u32 bdf, u32 used, bool identity, u64 ecam,
				   u64 ecam_size, char *err, size_t errlen)
{
	if (bdf > 0xffff) {
		errorf(err, errlen, "rvhv,functions: 0x%x is not a BDF (bus << 8 | dev << 3 | fn)",
		       bdf);
		return NULL;
	}
	struct pci_func *f = pci_find(bdf);
	if (!f) {
		errorf(err, errlen, "pci " BDF_FMT ": no such function on the host", BDF_ARGS(bdf));
		return NULL;
	}
	if (f->owner >= 0) {
		errorf(err, errlen, "pci " BDF_FMT ": already assigned to vm '%s'", BDF_ARGS(bdf),
		       vms[f->owner].cfg->name);
		return NULL;
	}
	if (f->header_type != 0) {
		errorf(err, errlen, "pci " BDF_FMT ": a bridge; only endpoints can be assigned",
		       BDF_ARGS(bdf));
		return NULL;
	}
	if (used & (1U << PCI_DEV(bdf))) {
		errorf(err, errlen,
		       "pci " BDF_FMT ": another of the VM's functions has device number %u too "
		       "(the guest sees each at its host device number)",
		       BDF_ARGS(bdf), PCI_DEV(bdf));
		return NULL;
	}
	if (!host_iommu && !identity) {
		errorf(err, errlen,
		       "pci " BDF_FMT ": a DMA-capable device without an IOMMU: add rvhv,dma = "
		       "\"identity\" to accept that it can reach all of memory",
		       BDF_ARGS(bdf));
		return NULL;
	}
	if (host_iommu && !identity && pci_virtio_bypasses_iommu(f)) {
		errorf(err, errlen,
		       "pci " BDF_FMT ": a virtio device without VIRTIO_F_ACCESS_PLATFORM: QEMU lets "
		       "its DMA bypass the IOMMU, so it could reach all of memory (give QEMU "
		       "-device ...,disable-legacy=on,iommu_platform=on)",
		       BDF_ARGS(bdf));
		return NULL;
	}
	if (!host_iommu && vm->ram_hpa != vm->cfg->mem_base) {
		errorf(err, errlen,
		       "pci " BDF_FMT ": rvhv,dma = \"identity\" needs the VM's RAM at GPA == HPA, "
		       "but gpa 0x%lx is at hpa 0x%lx",
		       BDF_ARGS(bdf), vm->cfg->mem_base, vm->ram_hpa);
		return NULL;
	}
	for (int i = 0; i < PCI_NBARS; i++)
		if (vpci_bar_visible(&f->bar[i]) &&
		    check_bar(vm, f, i, ecam, ecam_size, err, errlen))
			return NULL;
	return f;
}

/* Make f the VM's: DMA, BAR mappings, INTx (lines: the node's 4 sources). */
static int assign_func(struct vm *vm, struct vpci *v, struct pci_func *f, const fdt32_t *lines,
		       char *err, size_t errlen)
{
	u32 dev = PCI_DEV(f->bdf), line = 0;
	if (host_iommu && iommu_assign(vm, f->bdf, err, errlen))
		return -1;
	for (int i = 0; i < PCI_NBARS; i++) {
		const struct pci_bar *b = &f->bar[i];
		if (vpci_bar_visible(b) &&
		    gstage_map(&vm->gs, b->addr, b->addr, ALIGN_UP(b->size, PAGE_SIZE),
			       GSTAGE_R | GSTAGE_W))
			return errorf(err, errlen,
				      "pci " BDF_FMT ": cannot map BAR%d at 0x%lx (0x%lx bytes) "
				      "into the guest: it overlaps its RAM or is out of reach",
				      BDF_ARGS(f->bdf), i, b->addr, b->size);
	}
	if (f->pin >= 1 && f->pin <= 4 && f->host_irq) {
		/* The guest DTB's interrupt-map swizzles pins by device number. */
		line = fdt32_to_cpu(lines[(dev + f->pin - 1) % 4]);
		if (irq_forward(vm, f->host_irq, line, err, errlen))
			return -1;
	}
	f->owner = vm->id;
	vpci_add(v, dev, f, f->bdf, f->bar);
	char intx[40] = "no INTx";
	if (line)
		ksnprintf(intx, sizeof(intx), "INT%c -> vPLIC %u", 'A' + f->pin - 1, line);
	kprintf("rvhv: vm '%s': pci " BDF_FMT " [%04x:%04x] as 00:%02x.0, %s, DMA %s\n",
		vm->cfg->name, BDF_ARGS(f->bdf), f->vendor, f->device, dev, intx,
		host_iommu ? host_iommu->name : "identity (no IOMMU)");
	return 0;
}

int vpci_attach(struct vm *vm, const void *fdt, int node, u64 base, u64 size, char *err,
		size_t errlen)
{
	int nlen, ilen;
	const fdt32_t *fns = fdt_getprop(fdt, node, "rvhv,functions", &nlen);
	const fdt32_t *lines = fdt_getprop(fdt, node, "interrupts", &ilen);
	const char *dma = fdt_getprop(fdt, node, "rvhv,dma", NULL);
	bool identity = dma && !strcmp(dma, "identity");
	struct pci_func *f[VPCI_NDEVS];
	u32 used = 0;

	if (!IS_ALIGNED(base, VPCI_BUS_SIZE) || size < VPCI_BUS_SIZE)
		return errorf(err, errlen,
			      "pci at 0x%lx: reg must be a 1 MiB aligned ECAM window "
			      "of at least 1 MiB (bus 0)",
			      base);
	if (!fns || nlen <= 0 || nlen % 4 || nlen / 4 > VPCI_NDEVS)
		return errorf(err, errlen,
			      "pci at 0x%lx: rvhv,functions must list 1 to %d host BDFs", base,
			      VPCI_NDEVS);
	if (!lines || ilen != 16 || !fdt_getprop(fdt, node, "interrupt-parent", NULL))
		return errorf(err, errlen,
			      "pci at 0x%lx: needs interrupt-parent and interrupts = "
			      "<INTA INTB INTC INTD> (4 vPLIC sources)",
			      base);
	if (dma && !identity)
		return errorf(err, errlen,
			      "pci at 0x%lx: rvhv,dma = \"%s\": only \"identity\" is known", base,
			      dma);
	for (int r = 0; r < vm->bus.n; r++) {
		if (vm->bus.regions[r].ops == &ecam_ops)
			return errorf(err, errlen, "pci at 0x%lx: a VM has one PCIe host bridge",
				      base);
		if (overlap(base, size, vm->bus.regions[r].base, vm->bus.regions[r].size))
			return errorf(err, errlen, "pci at 0x%lx: the ECAM window overlaps the %s",
				      base, vm->bus.regions[r].name);
	}

	int n = nlen / 4;
	for (int i = 0; i < n; i++) {
		f[i] = check_func(vm, fdt32_to_cpu(fns[i]), used, identity, base, size, err,
				  errlen);
		if (!f[i])
			return -1;
		used |= 1U << PCI_DEV(f[i]->bdf);
	}
	struct vpci *v = mm_alloc(sizeof(*v), 8);
	if (!v)
		return errorf(err, errlen, "pci at 0x%lx: no memory", base);
	vpci_init(v, &host_backing, vm);
	for (int i = 0; i < n; i++)
		if (assign_func(vm, v, f[i], lines, err, errlen))
			return -1;
	if (mmio_register(&vm->bus, base, size, &ecam_ops, v, "pci-ecam"))
		return errorf(err, errlen, "pci at 0x%lx: the ECAM window overlaps another device",
			      base);
	return 0;
}
