/*
 * The host's PCIe (QEMU virt: "pci-host-ecam-generic"): rvhv enumerates the
 * ECAM at boot, sizes every function's BARs and assigns them from the host
 * bridge's memory windows (there is no firmware to do it under OpenSBI), and
 * finds each function's INTx source on the host PLIC (interrupt-map).
 * Functions stay disabled (command = 0) until a VM that owns one enables it.
 */
#ifndef RVHV_PCI_H
#define RVHV_PCI_H

#include "kernel/types.h"

#define PCI_MAX_FUNCS 32
#define PCI_NBARS 6
#define PCI_MAX_INTX 64

/* Requester ID / endpoint ID: bus << 8 | device << 3 | function. */
#define PCI_BDF(b, d, f) ((u16)((b) << 8 | (d) << 3 | (f)))

struct pci_bar {
	u64 addr; /* host-physical, as assigned; 0 = not implemented or not assigned */
	u64 size;
	bool io, is64, prefetch;
};

struct pci_func {
	u16 bdf;
	u16 vendor, device;
	u32 class_rev;         /* config 0x08: class code << 8 | revision */
	u8 header_type;        /* 0 (endpoint) or 1 (bridge); bit 7 stripped */
	u8 pin;                /* INTx pin, 1..4 (INTA..INTD), 0 = none */
	u32 host_irq;          /* the host PLIC source its pin is wired to, 0 = none */
	struct pci_bar bar[PCI_NBARS]; /* bar[i+1] unused (size 0) after a 64-bit bar[i] */
	int owner;             /* VM id, or -1 */
	volatile u8 *cfg;      /* its 4 KiB of host ECAM */
};

/* One interrupt-map entry: child unit address (phys.hi; phys.mid and
 * phys.lo are 0 for config-space addresses) and pin, after the mask. */
struct pci_intx_route {
	u32 addr_hi, pin;
	u32 irq; /* the parent's first interrupt cell; 0 if the parent is no PLIC */
};

struct pci_host {
	u64 ecam_base, ecam_size;
	u32 bus_start, bus_end;
	u64 mmio_base, mmio_size;     /* 32-bit non-prefetchable window (CPU = PCI address) */
	u64 mmio64_base, mmio64_size; /* 64-bit window, 0 if none */
	bool mmio64_prefetch;         /* ... which takes prefetchable BARs only */
	u64 io_cpu, io_size;          /* I/O window as the CPU sees it, 0 if none */
	u64 io_pci;                   /* the I/O window's first port (PCI I/O address) */
	u32 intx_mask_hi, intx_mask_pin; /* interrupt-map-mask */
	struct pci_intx_route intx[PCI_MAX_INTX];
	int nintx;
	struct pci_func funcs[PCI_MAX_FUNCS];
	int nfuncs;
	bool bridges;                 /* a PCI-PCI bridge was found: its buses are not enumerated */
	/* Where config accesses go: NULL means at ecam_base (set by
	 * pci_host_init); host unit tests point it at a model in memory and
	 * set cfg_written, called after each config write, so the model can
	 * answer like hardware (BAR sizing). */
	volatile u8 *ecam;
	void (*cfg_written)(volatile u8 *cfg, u32 off, int width);
};

extern struct pci_host pci_host;

/*
 * Find the host bridge in the firmware DTB, enumerate it and assign BARs.
 * Returns the number of functions found (0 without a PCIe bridge), or -1
 * with a message in err.  Boot prints one line per function.
 */
int pci_host_init(const void *fdt, char *err, size_t errlen);
/* A virtio device whose DMA would not go through the IOMMU (QEMU's, without
 * VIRTIO_F_ACCESS_PLATFORM: legacy, or iommu_platform off). */
bool pci_virtio_bypasses_iommu(struct pci_func *f);
/* The function at host BDF bdf, or NULL. */
struct pci_func *pci_find(u16 bdf);

/* The host PLIC source INTx pin `pin` (1..4) of host function bdf is wired
 * to, per the interrupt-map; 0 if none. */
u32 pci_intx_irq(u16 bdf, u8 pin);

/* f's boot line after "rvhv: pci ": "00:01.0 1234:11e8 class 00ff00 BAR0
 * mem 0x40000000+1 MiB INTA->33".  Returns the length, as ksnprintf. */
int pci_describe(const struct pci_func *f, char *buf, size_t len);

/* Host config space of f (widths 1, 2, 4; off < 4096). */
u32 pci_cfg_read(const struct pci_func *f, u32 off, int width);
void pci_cfg_write(struct pci_func *f, u32 off, int width, u32 val);

#endif
