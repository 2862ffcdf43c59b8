/*
 * The host's PCIe (see pci.h).  Under OpenSBI nothing has assigned BARs, so
 * rvhv does what firmware would: it reads the host bridge's node (DT binding
 * "PCI Bus Binding to IEEE 1275": ranges, interrupt-map), walks bus 0 of the
 * ECAM (PCIe base spec §7.2.2: bus << 20 | device << 15 | function << 12),
 * sizes each BAR (PCI local bus spec 3.0 §6.2.5.1) and places it in a window.
 */
#include <libfdt.h>

#include "kernel/lib.h"
#include "passthru/pci.h"

struct pci_host pci_host;

#define CFG_VENDOR 0x00
#define CFG_COMMAND 0x04
#define CFG_CLASS_REV 0x08
#define CFG_HEADER_TYPE 0x0e
#define CFG_BAR0 0x10
#define CFG_INT_PIN 0x3d

#define BAR_IO 0x1
#define BAR_MEM_TYPE 0x6 /* 0: 32-bit, 2 (value 4): 64-bit */
#define BAR_MEM_64 0x4
#define BAR_PREFETCH 0x8

#define CLASS_HOST_BRIDGE 0x0600
#define HEADER_BRIDGE 1
#define HEADER_MULTI 0x80

/* phys.hi of a PCI address (binding §2.2.1.1): npt000ss bbbbbbbb dddddfff rrrrrrrr */
#define SPACE(hi) (((hi) >> 24) & 3)
#define SPACE_IO 1
#define SPACE_MEM32 2
#define SPACE_MEM64 3
#define PREFETCHABLE (1U << 30)

/* ---------------------------------------------------------------- config space */

static u32 cfg_rd(volatile u8 *cfg, u32 off, int width)
{
	switch (width) {
	case 1: return cfg[off];
	case 2: return *(volatile u16 *)(cfg + off);
	default: return *(volatile u32 *)(cfg + off);
	}
}

static void cfg_wr(volatile u8 *cfg, u32 off, int width, u32 val)
{
	switch (width) {
	case 1: cfg[off] = (u8)val; break;
	case 2: *(volatile u16 *)(cfg + off) = (u16)val; break;
	default: *(volatile u32 *)(cfg + off) = val; break;
	}
	if (pci_host.cfg_written)
		pci_host.cfg_written(cfg, off, width);
}

static bool cfg_access_ok(u32 off, int width)
{
	return (width == 1 || width == 2 || width == 4) && off < 4096 && off % width == 0;
}

u32 pci_cfg_read(const struct pci_func *f, u32 off, int width)
{
	if (!cfg_access_ok(off, width))
		return ~0U;
	return cfg_rd(f->cfg, off, width);
}

void pci_cfg_write(struct pci_func *f, u32 off, int width, u32 val)
{
	if (cfg_access_ok(off, width))
		cfg_wr(f->cfg, off, width, val);
}

/*
 * QEMU's virtio PCI devices put their DMA through the IOMMU only when they
 * offer VIRTIO_F_ACCESS_PLATFORM (feature 33; virtio 1.2 §6.1): otherwise
 * they read and write physical memory directly, whatever the IOMMU says.
 * The feature bits are in the common configuration structure, found by its
 * vendor capability (§4.1.4.3: cfg_type 1, bar, offset).
 */
#define VIRTIO_VENDOR 0x1af4
#define CAP_VENDOR 0x09
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define F_ACCESS_PLATFORM_HI (1U << (33 - 32))

bool pci_virtio_bypasses_iommu(struct pci_func *f)
{
	if (f->vendor != VIRTIO_VENDOR || f->device < 0x1000 || f->device > 0x107f)
		return false;
	if (!(pci_cfg_read(f, 0x06, 2) & 0x10)) /* no capability list: legacy only */
		return true;
	for (u32 cap = pci_cfg_read(f, 0x34, 1) & ~3U, n = 0; cap && n < 48; n++) {
		if (pci_cfg_read(f, cap, 1) == CAP_VENDOR &&
		    pci_cfg_read(f, cap + 3, 1) == VIRTIO_PCI_CAP_COMMON_CFG) {
			u32 bar = pci_cfg_read(f, cap + 4, 1), off = pci_cfg_read(f, cap + 8, 4);
			if (bar >= PCI_NBARS || !f->bar[bar].addr || f->bar[bar].io ||
			    off + 8 > f->bar[bar].size)
				return true;
			volatile u32 *common = (volatile u32 *)(uintptr_t)(f->bar[bar].addr + off);
			u32 cmd = pci_cfg_read(f, 0x04, 2);
			pci_cfg_write(f, 0x04, 2, cmd | 0x2); /* memory decoding, briefly */
			common[0] = 1;                        /* device_feature_select: bits 32..63 */
			u32 hi = common[1];
			pci_cfg_write(f, 0x04, 2, cmd);
			return !(hi & F_ACCESS_PLATFORM_HI);
		}
		cap = pci_cfg_read(f, cap + 1, 1) & ~3U;
	}
	return true;
}

struct pci_func *pci_find(u16 bdf)
{
	for (int i = 0; i < pci_host.nfuncs; i++)
		if (pci_host.funcs[i].bdf == bdf)
			return &pci_host.funcs[i];
	return NULL;
}

/* ---------------------------------------------------------------- the host bridge's node */

static u64 cells(const fdt32_t *c, int n)
{
	u64 v = 0;

	for (int i = 0; i < n; i++)
		v = v << 32 | fdt32_ld(&c[i]);
	return v;
}

/* A cell-count property (#address-cells, #interrupt-cells); `dflt` if absent. */
static int ncells(const void *fdt, int node, const char *name, int dflt)
{
	int len;
	const fdt32_t *p = fdt_getprop(fdt, node, name, &len);

	return p && len == 4 ? (int)fdt32_ld(p) : dflt;
}

static bool enabled(const void *fdt, int node)
{
	int len;
	const char *s = fdt_getprop(fdt, node, "status", &len);

	return !s || !strcmp(s, "okay") || !strcmp(s, "ok");
}

static int parse_reg(const void *fdt, int node, struct pci_host *h, char *err, size_t errlen)
{
	int parent = fdt_parent_offset(fdt, node);
	int ac = fdt_address_cells(fdt, parent), sc = fdt_size_cells(fdt, parent);
	int len;
	const fdt32_t *p = fdt_getprop(fdt, node, "reg", &len);

	if (ac < 1 || ac > 2 || sc < 1 || sc > 2 || !p || len < (ac + sc) * 4)
		return errorf(err, errlen, "host bridge %s: no usable reg",
			      fdt_get_name(fdt, node, NULL));
	h->ecam_base = cells(p, ac);
	h->ecam_size = cells(p + ac, sc);
	p = fdt_getprop(fdt, node, "bus-range", &len);
	if (p && len == 8) {
		h->bus_start = fdt32_ld(&p[0]);
		h->bus_end = fdt32_ld(&p[1]);
	} else {
		h->bus_start = 0;
		h->bus_end = h->ecam_size >= 256 * MiB ? 255 : (u32)(h->ecam_size >> 20) - 1;
	}
	if (h->ecam_size < MiB || h->bus_end < h->bus_start || h->bus_end > 255)
		return errorf(err, errlen, "host bridge: ECAM 0x%lx+0x%lx does not hold bus %u",
			      h->ecam_base, h->ecam_size, h->bus_start);
	return 0;
}

/* ranges: <phys.hi phys.mid phys.lo> <parent address> <size> per window. */
static int parse_ranges(const void *fdt, int node, struct pci_host *h, char *err, size_t errlen)
{
	int pac = fdt_address_cells(fdt, fdt_parent_offset(fdt, node));
	int sc = fdt_size_cells(fdt, node);
	int len;
	const fdt32_t *p = fdt_getprop(fdt, node, "ranges", &len);

	if (fdt_address_cells(fdt, node) != 3 || pac < 1 || pac > 2 || sc < 1 || sc > 2)
		return errorf(err, errlen,
			      "host bridge: #address-cells is not 3 or bad parent cells");
	int n = 3 + pac + sc;
	if (!p || len % (n * 4))
		return errorf(err, errlen, "host bridge: no usable ranges");
	for (; len > 0; p += n, len -= n * 4) {
		u32 hi = fdt32_ld(&p[0]);
		u64 child = cells(p + 1, 2), cpu = cells(p + 3, pac), size = cells(p + 3 + pac, sc);
		if (size == 0)
			continue;
		if (SPACE(hi) == SPACE_IO && !h->io_size) {
			h->io_cpu = cpu;
			h->io_pci = child;
			h->io_size = size;
			continue;
		}
		if (SPACE(hi) != SPACE_MEM32 && SPACE(hi) != SPACE_MEM64)
			continue;
		/* BARs hold PCI addresses and VMs get them at GPA == HPA: only
		 * an untranslated window lets both be the same number. */
		if (child != cpu)
			return errorf(
				err, errlen,
				"host bridge: memory window PCI 0x%lx at CPU 0x%lx is translated "
				"(rvhv needs PCI = CPU addresses)",
				child, cpu);
		/* A 32-bit prefetchable window goes unused: non-prefetchable
		 * BARs may not go there and the plain window takes the others. */
		if (SPACE(hi) == SPACE_MEM32 && !(hi & PREFETCHABLE) && !h->mmio_size) {
			h->mmio_base = cpu;
			h->mmio_size = size;
		} else if (SPACE(hi) == SPACE_MEM64 && !h->mmio64_size) {
			h->mmio64_base = cpu;
			h->mmio64_size = size;
			h->mmio64_prefetch = hi & PREFETCHABLE;
		}
	}
	return 0;
}

static bool is_plic(const void *fdt, int node)
{
	return !fdt_node_check_compatible(fdt, node, "riscv,plic0") ||
	       !fdt_node_check_compatible(fdt, node, "sifive,plic-1.0.0");
}

/*
 * interrupt-map: <child unit address (3)> <child interrupt (1)> <parent
 * phandle> <parent unit address (its #address-cells, 0 if absent)> <parent
 * interrupt (its #interrupt-cells)> per entry; the child part is compared
 * after masking with interrupt-map-mask (binding §7, Linux of_irq_parse_raw).
 */
static int parse_intx(const void *fdt, int node, struct pci_host *h, char *err, size_t errlen)
{
	int len, mlen;
	const fdt32_t *p = fdt_getprop(fdt, node, "interrupt-map", &len);
	const fdt32_t *m = fdt_getprop(fdt, node, "interrupt-map-mask", &mlen);

	if (!p)
		return 0; /* no INTx wiring: functions get no host_irq */
	if (ncells(fdt, node, "#interrupt-cells", 1) != 1 || !m || mlen != 16)
		return errorf(err, errlen, "host bridge: interrupt-map without a 4-cell mask");
	h->intx_mask_hi = fdt32_ld(&m[0]);
	h->intx_mask_pin = fdt32_ld(&m[3]);
	u32 mask_mid = fdt32_ld(&m[1]), mask_lo = fdt32_ld(&m[2]);
	int left = len / 4;
	/* The entries' parent, looked up again only when the phandle changes:
	 * libfdt walks the whole tree for a phandle, and QEMU virt's 16
	 * entries, all naming its PLIC, took 7 ms of boot that way. */
	u32 phandle = 0;
	int parent = -1, pac = 0, pic = 0;
	bool plic = false;
	while (left > 0) {
		if (left < 6)
			return errorf(err, errlen, "host bridge: interrupt-map entry cut short");
		if (parent < 0 || fdt32_ld(&p[4]) != phandle) {
			phandle = fdt32_ld(&p[4]);
			parent = fdt_node_offset_by_phandle(fdt, phandle);
			if (parent < 0)
				return errorf(err, errlen,
					      "host bridge: interrupt-map names no node (phandle %u)",
					      phandle);
			pac = ncells(fdt, parent, "#address-cells", 0);
			pic = ncells(fdt, parent, "#interrupt-cells", -1);
			plic = is_plic(fdt, parent);
		}
		int n = 5 + pac + pic;
		if (pic < 1 || pac < 0 || pac > 3 || left < n)
			return errorf(err, errlen,
				      "host bridge: interrupt-map entry does not fit its parent");
		/* phys.mid and phys.lo of a config-space address are 0: entries
		 * that need them otherwise never match a function. */
		if ((fdt32_ld(&p[1]) & mask_mid) == 0 && (fdt32_ld(&p[2]) & mask_lo) == 0) {
			if (h->nintx == PCI_MAX_INTX)
				return errorf(err, errlen,
					      "host bridge: more than %d interrupt-map entries",
					      PCI_MAX_INTX);
			struct pci_intx_route *r = &h->intx[h->nintx++];
			r->addr_hi = fdt32_ld(&p[0]) & h->intx_mask_hi;
			r->pin = fdt32_ld(&p[3]) & h->intx_mask_pin;
			r->irq = plic ? fdt32_ld(&p[5 + pac]) : 0;
		}
		p += n;
		left -= n;
	}
	return 0;
}

u32 pci_intx_irq(u16 bdf, u8 pin)
{
	u32 hi = ((u32)bdf << 8) & pci_host.intx_mask_hi;

	if (pin < 1 || pin > 4)
		return 0;
	for (int i = 0; i < pci_host.nintx; i++)
		if (pci_host.intx[i].addr_hi == hi &&
		    pci_host.intx[i].pin == (pin & pci_host.intx_mask_pin))
			return pci_host.intx[i].irq;
	return 0;
}

/* ---------------------------------------------------------------- BARs */

/* Write all-ones, read back what sticks, restore (the function decodes
 * nothing meanwhile: its command register is 0). */
static u32 probe_bar(volatile u8 *cfg, u32 off)
{
	u32 orig = cfg_rd(cfg, off, 4);
	cfg_wr(cfg, off, 4, ~0U);
	u32 v = cfg_rd(cfg, off, 4);
	cfg_wr(cfg, off, 4, orig);
	return v;
}

static void size_bars(struct pci_func *f)
{
	int nbars = f->header_type == 0 ? 6 : f->header_type == HEADER_BRIDGE ? 2 : 0;

	for (int i = 0; i < nbars; i++) {
		struct pci_bar *b = &f->bar[i];
		u32 off = CFG_BAR0 + 4 * i;
		u32 flags = cfg_rd(f->cfg, off, 4);
		u32 lo = probe_bar(f->cfg, off);
		if (flags & BAR_IO) {
			u32 mask = lo & ~3U;
			b->io = true;
			if (mask && !(mask & 0xffff0000))
				mask |= 0xffff0000; /* a 16-bit I/O decoder */
			b->size = mask ? (u32)(~mask + 1) : 0;
			continue;
		}
		u64 mask = lo & ~0xfU;
		b->prefetch = flags & BAR_PREFETCH;
		if ((flags & BAR_MEM_TYPE) == BAR_MEM_64 && i + 1 < nbars) {
			b->is64 = true;
			mask |= (u64)probe_bar(f->cfg, off + 4) << 32;
			i++;
		} else if (mask) {
			mask |= 0xffffffff00000000UL;
		}
		b->size = mask ? ~mask + 1 : 0;
		if (b->size & (b->size - 1))
			b->size = 0; /* not a power of two: no BAR we can place */
	}
}

struct window {
	u64 base, size, next; /* next: the first free offset */
};

/* `size` bytes aligned to `size` (a power of two), or 0 if it does not fit. */
static u64 window_take(struct window *w, u64 size)
{
	u64 at = ALIGN_UP(w->base + w->next, size);

	if (!w->size || at < w->base || at - w->base > w->size || size > w->size - (at - w->base))
		return 0;
	w->next = at + size - w->base;
	return at;
}

/* A BAR's footprint in a window: a whole number of 4 KiB pages at least,
 * so that no two BARs share a page (VMs get BARs mapped by page). */
static u64 footprint(const struct pci_bar *b)
{
	return b->size < PAGE_SIZE ? PAGE_SIZE : b->size;
}

static void write_bar(struct pci_func *f, int i, u64 bus_addr)
{
	cfg_wr(f->cfg, CFG_BAR0 + 4 * i, 4, (u32)bus_addr);
	if (f->bar[i].is64)
		cfg_wr(f->cfg, CFG_BAR0 + 4 * i + 4, 4, (u32)(bus_addr >> 32));
}

/*
 * Place every BAR, largest first: with power-of-two footprints taken in
 * decreasing order, each one starts where the previous ended, so a window
 * is used without holes.  BARs that fit nowhere keep address 0.
 */
static void assign_bars(struct pci_host *h)
{
	struct window mem = {h->mmio_base, h->mmio_size, 0};
	struct window mem64 = {h->mmio64_base, h->mmio64_size, 0};
	/* Port 0 reads as "not assigned" to some drivers: I/O starts a page in. */
	struct window io = {h->io_cpu, h->io_size,
			    h->io_pci < PAGE_SIZE ? PAGE_SIZE - h->io_pci : 0};
	struct {
		u8 func, bar;
	} order[PCI_MAX_FUNCS * PCI_NBARS];
	int n = 0;

	for (int i = 0; i < h->nfuncs; i++)
		for (int j = 0; j < PCI_NBARS; j++)
			if (h->funcs[i].bar[j].size) {
				order[n].func = (u8)i;
				order[n].bar = (u8)j;
				n++;
			}
	for (int i = 1; i < n; i++) /* insertion sort, largest first, stable */
		for (int j = i; j > 0; j--) {
			u64 a = footprint(&h->funcs[order[j - 1].func].bar[order[j - 1].bar]);
			u64 b = footprint(&h->funcs[order[j].func].bar[order[j].bar]);
			if (a >= b)
				break;
			typeof(order[0]) t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		struct pci_func *f = &h->funcs[order[i].func];
		struct pci_bar *b = &f->bar[order[i].bar];
		u64 at = 0;
		if (b->io) {
			at = window_take(&io, footprint(b));
			if (at)
				write_bar(f, order[i].bar, at - h->io_cpu + h->io_pci);
			b->addr = at;
			continue;
		}
		if (b->is64 && (!h->mmio64_prefetch || b->prefetch))
			at = window_take(&mem64, footprint(b));
		if (!at)
			at = window_take(&mem, footprint(b));
		if (at)
			write_bar(f, order[i].bar, at);
		b->addr = at;
	}
}

/* ---------------------------------------------------------------- enumeration */

static volatile u8 *func_cfg(struct pci_host *h, u32 dev, u32 fn)
{
	return h->ecam + (dev << 15 | fn << 12);
}

/* Function dev.fn of the root bus, if present: true when it is a
 * multi-function device's function 0. */
static bool probe_func(struct pci_host *h, u32 dev, u32 fn)
{
	volatile u8 *cfg = func_cfg(h, dev, fn);
	u16 vendor = (u16)cfg_rd(cfg, CFG_VENDOR, 2);

	if (vendor == 0xffff || vendor == 0)
		return false;
	u8 header = (u8)cfg_rd(cfg, CFG_HEADER_TYPE, 1);
	u32 class_rev = cfg_rd(cfg, CFG_CLASS_REV, 4);
	if (class_rev >> 16 == CLASS_HOST_BRIDGE || h->nfuncs == PCI_MAX_FUNCS)
		return header & HEADER_MULTI;
	/* Off until a VM that owns it turns it on: no decoding, no DMA. */
	cfg_wr(cfg, CFG_COMMAND, 2, 0);
	struct pci_func *f = &h->funcs[h->nfuncs++];
	memset(f, 0, sizeof(*f));
	f->bdf = PCI_BDF(h->bus_start, dev, fn);
	f->vendor = vendor;
	f->device = (u16)cfg_rd(cfg, CFG_VENDOR + 2, 2);
	f->class_rev = class_rev;
	f->header_type = header & ~HEADER_MULTI;
	f->pin = (u8)cfg_rd(cfg, CFG_INT_PIN, 1);
	if (f->pin > 4)
		f->pin = 0;
	f->host_irq = pci_intx_irq(f->bdf, f->pin);
	f->owner = -1;
	f->cfg = cfg;
	if (f->header_type == HEADER_BRIDGE)
		h->bridges = true;
	size_bars(f);
	return header & HEADER_MULTI;
}

static int find_host_node(const void *fdt)
{
	int node = fdt_node_offset_by_compatible(fdt, -1, "pci-host-ecam-generic");

	while (node >= 0 && !enabled(fdt, node))
		node = fdt_node_offset_by_compatible(fdt, node, "pci-host-ecam-generic");
	return node;
}

int pci_host_init(const void *fdt, char *err, size_t errlen)
{
	volatile u8 *ecam = pci_host.ecam;
	void (*written)(volatile u8 *, u32, int) = pci_host.cfg_written;
	int node = find_host_node(fdt);
	int rc;

	memset(&pci_host, 0, sizeof(pci_host));
	pci_host.cfg_written = written;
	if (node < 0)
		return 0;
	if ((rc = parse_reg(fdt, node, &pci_host, err, errlen)) ||
	    (rc = parse_ranges(fdt, node, &pci_host, err, errlen)) ||
	    (rc = parse_intx(fdt, node, &pci_host, err, errlen)))
		return rc;
	pci_host.ecam = ecam ? ecam : (volatile u8 *)(uintptr_t)pci_host.ecam_base;
	for (u32 dev = 0; dev < 32; dev++)
		if (probe_func(&pci_host, dev, 0))
			for (u32 fn = 1; fn < 8; fn++)
				probe_func(&pci_host, dev, fn);
	assign_bars(&pci_host);
	return pci_host.nfuncs;
}

/* ---------------------------------------------------------------- boot lines */

static int fmt_size(char *buf, size_t len, u64 size)
{
	if (size >= GiB && size % GiB == 0)
		return ksnprintf(buf, len, "%lu GiB", size / GiB);
	if (size >= MiB && size % MiB == 0)
		return ksnprintf(buf, len, "%lu MiB", size / MiB);
	if (size >= KiB && size % KiB == 0)
		return ksnprintf(buf, len, "%lu KiB", size / KiB);
	return ksnprintf(buf, len, "%lu bytes", size);
}

int pci_describe(const struct pci_func *f, char *buf, size_t len)
{
	size_t n = 0;

#define OUT(...) (n += ksnprintf(buf + (n < len ? n : len), n < len ? len - n : 0, __VA_ARGS__))
	OUT("%02x:%02x.%u %04x:%04x class %06x", f->bdf >> 8, (f->bdf >> 3) & 31, f->bdf & 7,
	    f->vendor, f->device, f->class_rev >> 8);
	for (int i = 0; i < PCI_NBARS; i++) {
		const struct pci_bar *b = &f->bar[i];
		char size[24];
		if (!b->size)
			continue;
		fmt_size(size, sizeof(size), b->size);
		OUT(" BAR%d %s%s", i,
		    b->io     ? "io"
		    : b->is64 ? "mem64"
			      : "mem",
		    b->prefetch ? " pf" : "");
		if (b->addr)
			OUT(" 0x%lx+%s", b->addr, size);
		else
			OUT(" %s unassigned (no room in the windows)", size);
	}
	if (f->pin && f->host_irq)
		OUT(" INT%c->%u", 'A' + f->pin - 1, f->host_irq);
	else if (f->pin)
		OUT(" INT%c->none", 'A' + f->pin - 1);
	if (f->header_type == HEADER_BRIDGE)
		OUT(" PCI bridge: the buses behind it are not enumerated");
#undef OUT
	return (int)n;
}
