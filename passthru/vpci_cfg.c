/*
 * Config space emulation of the virtual ECAM (vpci_cfg.h).  The guest sees
 * the real function's config space except (type 0 header, PCI Local Bus
 * spec 3.0, 6.1):
 *   0x0e  header type: multi-function bit clear (only function 0 shows)
 *   0x10-0x24  BARs: the host-assigned addresses, fixed; writing all-ones
 *         makes the next read return the size mask (spec 6.2.5.1), writing
 *         the address back ends that; I/O and unassigned BARs read 0
 *   0x30  expansion ROM: not implemented (reads 0)
 *   0x3c  interrupt line: the guest's own byte (only software uses it)
 * Writes: the command register's VPCI_CMD_GUEST bits reach the function,
 * the rest of the header is read-only to the guest, capabilities and
 * extended config space (0x40-0xfff) pass through.
 */
#include "kernel/lib.h"
#include "passthru/vpci_cfg.h"

#define CFG_COMMAND 0x04
#define CFG_HEADER_DW 0x0c /* cache line, latency, header type, BIST */
#define CFG_BAR0 0x10
#define CFG_BAR_END 0x28
#define CFG_ROM 0x30
#define CFG_INTR 0x3c /* interrupt line; pin at 0x3d */
#define CFG_HEADER_END 0x40

#define HEADER_MULTIFN (0x80U << 16) /* bit 7 of the header type, in its dword */

#define BAR_MEM_64 0x4 /* memory BAR type 10b: 64-bit */
#define BAR_MEM_PREFETCH 0x8
#define BAR_FLAGS 0xf

static u32 mask_of(int width)
{
	return width == 4 ? ~0U : (1U << (8 * width)) - 1;
}

void vpci_init(struct vpci *v, const struct vpci_backing *backing, void *ctx)
{
	memset(v, 0, sizeof(*v));
	v->backing = backing;
	v->ctx = ctx;
}

bool vpci_bar_visible(const struct pci_bar *b)
{
	return !b->io && b->addr && b->size;
}

int vpci_add(struct vpci *v, u32 dev, void *func, u16 host_bdf, const struct pci_bar *bar)
{
	if (dev >= VPCI_NDEVS || v->slot[dev].func)
		return -1;
	struct vpci_slot *s = &v->slot[dev];
	memset(s, 0, sizeof(*s));
	s->func = func;
	s->host_bdf = host_bdf;
	for (int i = 0; i < PCI_NBARS; i++) {
		s->bar[i] = bar[i];
		if (i > 0 && bar[i - 1].is64 && !s->upper[i - 1])
			s->upper[i] = true;
	}
	return 0;
}

static void slot_log(struct vpci *v, struct vpci_slot *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void slot_log(struct vpci *v, struct vpci_slot *s, const char *fmt, ...)
{
	char msg[160];
	int n = ksnprintf(msg, sizeof(msg), "pci %02x:%02x.%x: ", s->host_bdf >> 8,
			  (s->host_bdf >> 3) & 0x1f, s->host_bdf & 7);
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	v->backing->log(v->ctx, msg);
}

/* The bar[] entry behind BAR register i (the lower half for an upper register). */
static const struct pci_bar *bar_of(const struct vpci_slot *s, int i)
{
	return s->upper[i] ? &s->bar[i - 1] : &s->bar[i];
}

static u32 bar_read(const struct vpci_slot *s, int i)
{
	const struct pci_bar *b = bar_of(s, i);
	if (!vpci_bar_visible(b))
		return 0;
	u64 val = s->sizing[i] ? ~(b->size - 1) : b->addr;
	if (s->upper[i])
		return val >> 32;
	u32 flags = (b->is64 ? BAR_MEM_64 : 0) | (b->prefetch ? BAR_MEM_PREFETCH : 0);
	return ((u32)val & ~BAR_FLAGS) | flags;
}

/*
 * The BARs stay where the host put them (the guest DTB sets Linux's
 * linux,pci-probe-only): only the sizing protocol's writes are accepted.
 */
static void bar_write(struct vpci *v, struct vpci_slot *s, int i, u32 off, int width, u32 val)
{
	const struct pci_bar *b = bar_of(s, i);
	if (!vpci_bar_visible(b))
		return; /* reads 0 whatever is written, as an unimplemented BAR */
	if (width == 4 && val == ~0U) {
		s->sizing[i] = true;
		return;
	}
	u32 assigned = s->upper[i] ? b->addr >> 32 : (u32)b->addr;
	if (width == 4 && (val & ~(s->upper[i] ? 0 : BAR_FLAGS)) == assigned) {
		s->sizing[i] = false;
		return;
	}
	slot_log(v, s, "write of 0x%x (%d bytes) to BAR%d at 0x%x ignored: BARs stay at 0x%lx", val,
		 width, i, off, b->addr);
}

static void command_write(struct vpci *v, struct vpci_slot *s, u32 off, int width, u32 val)
{
	u32 shift = 8 * (off - CFG_COMMAND);
	u32 written = (mask_of(width) << shift) & 0xffff; /* status (0x06) is read-only here */
	if (!written)
		return;
	if (!v->backing->owned(v->ctx, s->func)) {
		slot_log(v, s, "command write ignored: the function is not this VM's");
		return;
	}
	u32 cur = v->backing->read(s->func, CFG_COMMAND, 2);
	u32 want = (cur & ~written) | ((val << shift) & written);
	v->backing->write(s->func, CFG_COMMAND, 2,
			  (cur & ~VPCI_CMD_GUEST) | (want & VPCI_CMD_GUEST));
}

static u32 header_read_dword(struct vpci *v, struct vpci_slot *s, u32 reg)
{
	if (reg >= CFG_BAR0 && reg < CFG_BAR_END)
		return bar_read(s, (reg - CFG_BAR0) / 4);
	if (reg == CFG_ROM)
		return 0;
	u32 val = v->backing->read(s->func, reg, 4);
	if (reg == CFG_HEADER_DW)
		val &= ~HEADER_MULTIFN;
	else if (reg == CFG_INTR)
		val = (val & ~0xffU) | s->irq_line;
	return val;
}

static void header_write(struct vpci *v, struct vpci_slot *s, u32 off, int width, u32 val)
{
	u32 reg = off & ~3U;
	if (reg >= CFG_BAR0 && reg < CFG_BAR_END)
		bar_write(v, s, (reg - CFG_BAR0) / 4, off, width, val);
	else if (reg == CFG_COMMAND)
		command_write(v, s, off, width, val);
	else if (off == CFG_INTR)
		s->irq_line = val;
}

int vpci_access(void *dev, u64 off, struct mmio_access *acc)
{
	struct vpci *v = dev;
	int width = acc->width;
	if ((width != 1 && width != 2 && width != 4) || !IS_ALIGNED(off, width))
		return -1;
	u32 bus = off >> 20, devno = (off >> 15) & 0x1f, fn = (off >> 12) & 7;
	u32 reg = off & 0xfff;
	struct vpci_slot *s = &v->slot[devno];
	if (bus != 0 || fn != 0 || !s->func) {
		/* No function answers: a read completes as all-ones ("master abort"). */
		if (!acc->write)
			acc->value = mask_of(width);
		return 0;
	}
	if (acc->write) {
		if (reg < CFG_HEADER_END)
			header_write(v, s, reg, width, acc->value);
		else
			v->backing->write(s->func, reg, width, acc->value);
	} else if (reg < CFG_HEADER_END) {
		u32 dw = header_read_dword(v, s, reg & ~3U);
		acc->value = (dw >> (8 * (reg & 3))) & mask_of(width);
	} else {
		acc->value = v->backing->read(s->func, reg, width) & mask_of(width);
	}
	return 0;
}

void vpci_reset(struct vpci *v)
{
	for (int d = 0; d < VPCI_NDEVS; d++) {
		struct vpci_slot *s = &v->slot[d];
		if (!s->func)
			continue;
		memset(s->sizing, 0, sizeof(s->sizing));
		s->irq_line = 0;
		if (v->backing->owned(v->ctx, s->func)) {
			u32 cmd = v->backing->read(s->func, CFG_COMMAND, 2);
			v->backing->write(s->func, CFG_COMMAND, 2, cmd & ~VPCI_CMD_GUEST);
		}
	}
}
