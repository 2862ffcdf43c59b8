/*
 * The config space behind a VM's virtual ECAM (passthru/vpci.h): bus 0 only,
 * one function (function 0) at each device number the VM was given.  Reads
 * come from the real function through `backing`, except the fields rvhv
 * owns; see vpci_cfg.c for the field-by-field rules.
 *
 * ECAM layout (PCI Express Base spec, "Enhanced Configuration Access
 * Mechanism"): offset = bus << 20 | device << 15 | function << 12 | register.
 *
 * Pure C over an abstract backing (the host function, or a unit test's
 * fake); the hypervisor serialises calls (the VM's dev_lock).
 */
#ifndef RVHV_VPCI_CFG_H
#define RVHV_VPCI_CFG_H

#include "kernel/decode.h"
#include "passthru/pci.h"

#define VPCI_NDEVS 32
#define VPCI_BUS_SIZE (1UL << 20) /* one bus: 32 devices x 8 functions x 4 KiB */

/* Command register bits a guest may change (PCI Local Bus spec 3.0, 6.2.2):
 * I/O and memory decode, bus master, parity and SERR# response, INTx disable. */
#define VPCI_CMD_GUEST 0x0547

struct vpci_backing {
	/* Config space of `func` (widths 1, 2, 4 at natural alignment). */
	u32 (*read)(void *func, u32 off, int width);
	void (*write)(void *func, u32 off, int width, u32 val);
	/* Whether `func` still belongs to the VM (ctx): command writes need it. */
	bool (*owned)(void *ctx, void *func);
	/* A line about something the guest did that rvhv refused. */
	void (*log)(void *ctx, const char *msg);
};

struct vpci_slot {
	void *func;		       /* the backing function, NULL for an empty slot */
	u16 host_bdf;		       /* for messages */
	struct pci_bar bar[PCI_NBARS]; /* as the host assigned them */
	bool upper[PCI_NBARS];	       /* register i holds bits 63:32 of bar[i-1] */
	bool sizing[PCI_NBARS];	       /* all-ones written: the next read is the size mask */
	u8 irq_line;		       /* 0x3c: scratch for the guest's software */
};

struct vpci {
	struct vpci_slot slot[VPCI_NDEVS];
	const struct vpci_backing *backing;
	void *ctx;
};

void vpci_init(struct vpci *v, const struct vpci_backing *backing, void *ctx);
/* Put `func` at device number dev with these BARs: 0, or -1 if the slot is taken. */
int vpci_add(struct vpci *v, u32 dev, void *func, u16 host_bdf, const struct pci_bar *bar);
/* A guest-visible BAR: an assigned memory BAR (I/O BARs are hidden). */
bool vpci_bar_visible(const struct pci_bar *b);
/* The VM resets: guest state back to power-on, the owned functions' decoding
 * and bus mastering off. */
void vpci_reset(struct vpci *v);
/* An mmio_ops access function at ECAM offset `off`: widths 1, 2, 4 at
 * natural alignment (anything else is rejected). */
int vpci_access(void *dev, u64 off, struct mmio_access *acc);

#endif
