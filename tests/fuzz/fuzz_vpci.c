/*
 * Fuzz target: the virtual ECAM's config-space model (passthru/vpci_cfg.c),
 * what a guest with passed-through PCI functions reaches by its loads and
 * stores.
 *
 * Input: up to four functions (device number, BAR kinds), then 12-byte
 * operations: config accesses anywhere in a 2 MiB window (two buses), any
 * width and alignment; the function changing owner; a VM reset.  Checked:
 * - bad widths and misaligned accesses fail; everything else succeeds;
 * - what reaches the real function is a command register write that
 *   changes VPCI_CMD_GUEST bits only, while the VM owns it, or a write at
 *   0x40 and above: never a BAR, ROM, ID or other header field;
 * - empty slots, functions 1-7 and bus 1 read all-ones;
 * - a visible BAR reads its host address or, after all-ones, its size mask;
 *   hidden (I/O, unassigned) BARs and the ROM read 0.
 */
#include "tests/fuzz/fuzz.h"

#include "passthru/vpci_cfg.h"

#define NFUNCS 4

struct fake {
	u8 cfg[4096];
	bool owned;
	u32 last_cmd_write; /* (0 = none since the access began) */
};

static struct fake funcs[NFUNCS];

static u32 fake_read(void *func, u32 off, int width)
{
	struct fake *f = func;
	u32 v = 0;
	CHECK((width == 1 || width == 2 || width == 4) && off % width == 0 && off + width <= 4096);
	memcpy(&v, &f->cfg[off], width);
	return v;
}

static void fake_write(void *func, u32 off, int width, u32 val)
{
	struct fake *f = func;
	CHECK((width == 1 || width == 2 || width == 4) && off % width == 0 && off + width <= 4096);
	if (off < 0x40) { /* the header: the command register only, guest bits only, if owned */
		u16 cur;
		memcpy(&cur, &f->cfg[4], 2);
		CHECK(off == 4 && width == 2 && f->owned);
		CHECK(((val ^ cur) & ~VPCI_CMD_GUEST) == 0);
	}
	memcpy(&f->cfg[off], &val, width);
}

static bool fake_owned(void *ctx, void *func)
{
	return ((struct fake *)func)->owned;
}

static void fake_log(void *ctx, const char *msg)
{
	CHECK(strlen(msg) < 160);
}

static const struct vpci_backing backing = {fake_read, fake_write, fake_owned, fake_log};

static void check_read(struct vpci *v, u64 off, const struct mmio_access *acc)
{
	u32 mask = acc->width == 4 ? ~0U : (1U << (8 * acc->width)) - 1;
	u32 devno = (off >> 15) & 31, reg = off & 0xfff;
	const struct vpci_slot *s = &v->slot[devno];

	if ((off >> 20) || ((off >> 12) & 7) || !s->func) {
		CHECK(acc->value == mask);
		return;
	}
	CHECK((acc->value & ~(u64)mask) == 0);
	if (reg == 0x30 && acc->width == 4)
		CHECK(acc->value == 0);
	if (reg < 0x10 || reg >= 0x28 || acc->width != 4)
		return;
	int i = (reg - 0x10) / 4;
	const struct pci_bar *b = s->upper[i] ? &s->bar[i - 1] : &s->bar[i];
	if (!vpci_bar_visible(b)) {
		CHECK(acc->value == 0);
		return;
	}
	u64 addr = b->addr, size_mask = ~(b->size - 1);
	if (s->upper[i])
		CHECK(acc->value == addr >> 32 || acc->value == size_mask >> 32);
	else
		CHECK((acc->value & ~0xfU) == ((u32)addr & ~0xfU) ||
		      (acc->value & ~0xfU) == ((u32)size_mask & ~0xfU));
}

/* BAR i of a function from two input bits and a size exponent. */
static struct pci_bar make_bar(u8 kind, int i, u64 *next)
{
	struct pci_bar b = {0};
	u64 size = 1ULL << (12 + (kind >> 4) % 12);

	switch (kind & 3) {
	case 0: /* not implemented */
		break;
	case 1: /* I/O */
		b = (struct pci_bar){.addr = 0x3001000 + 0x1000 * i, .size = 32, .io = true};
		break;
	default: /* memory, 64-bit when kind & 2 and not the last BAR */
		*next = (*next + size - 1) & ~(size - 1);
		b = (struct pci_bar){.addr = *next, .size = size, .is64 = (kind & 1) && i < 5,
				     .prefetch = kind & 4};
		*next += size;
		break;
	}
	return b;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct input in = {data, size};
	static struct vpci v;
	u8 nfuncs = in_u8(&in) % (NFUNCS + 1);
	u64 next = 0x40000000;

	vpci_init(&v, &backing, NULL);
	for (int n = 0; n < nfuncs; n++) {
		struct fake *f = &funcs[n];
		struct pci_bar bars[PCI_NBARS];
		u8 dev = in_u8(&in) % VPCI_NDEVS;

		for (int i = 0; i < 4096; i++)
			f->cfg[i] = (u8)(i * 31 + n);
		f->owned = true;
		for (int i = 0; i < PCI_NBARS; i++) {
			bars[i] = make_bar(in_u8(&in), i, &next);
			if (bars[i].is64) { /* the upper register belongs to it */
				bars[++i] = (struct pci_bar){0};
			}
		}
		vpci_add(&v, dev, f, (u16)(dev << 3), bars);
	}
	while (!in_empty(&in)) {
		u8 op = in_u8(&in), kind = in_u8(&in);
		u16 where = in_u16(&in);
		u64 val = in_u64(&in);

		switch (op & 7) {
		case 6: /* a function given away or back */
			funcs[kind % NFUNCS].owned = !funcs[kind % NFUNCS].owned;
			break;
		case 7:
			vpci_reset(&v);
			break;
		default: {
			u64 off = ((u64)(kind & 0x3f) << 15 | where) % (2 * VPCI_BUS_SIZE);
			struct mmio_access acc = {.width = 1u << (op >> 3 & 3), .write = op & 1,
						  .value = val};
			if ((op >> 5) & 1)
				acc.width = 3;
			int rc = vpci_access(&v, off, &acc);
			if ((acc.width != 1 && acc.width != 2 && acc.width != 4) || off % acc.width) {
				CHECK(rc == -1);
				break;
			}
			CHECK(rc == 0);
			if (!acc.write)
				check_read(&v, off, &acc);
		}
		}
	}
	return 0;
}
