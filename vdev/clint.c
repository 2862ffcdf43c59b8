/*
 * The CLINT model: see clint.h for the register map and the choices made.
 * Section names below are those of the RISC-V ACLINT specification 1.0.
 */
#include "vdev/clint.h"

void clint_init(struct clint *c, u32 nharts, void *ctx)
{
	*c = (struct clint){
		.nharts = nharts < CLINT_MAX_HARTS ? nharts : CLINT_MAX_HARTS,
		.ctx = ctx,
	};
	for (u32 h = 0; h < CLINT_MAX_HARTS; h++)
		c->mtimecmp[h] = ~0ull;
}

/* "MTIMECMP Registers": MTIP is pending whenever mtime >= mtimecmp and
 * cleared whenever mtime < mtimecmp; in the second case the hypervisor must
 * call back when mtime gets there. */
static void clint_eval(struct clint *c, u32 h)
{
	u64 cmp = c->mtimecmp[h];

	if (c->now(c->ctx) >= cmp) {
		c->set_mtip(c->ctx, (int)h, true);
	} else {
		c->set_mtip(c->ctx, (int)h, false);
		c->arm(c->ctx, (int)h, cmp);
	}
}

void clint_update(struct clint *c, int hart)
{
	if (hart >= 0 && (u32)hart < c->nharts)
		clint_eval(c, (u32)hart);
}

/* A load from a 64-bit register: all of it, or the 32-bit half at byte
 * offset `off` (0 or 4; the registers are little-endian). */
static u64 reg64_read(u64 reg, u64 off, u8 width)
{
	return width == 8 ? reg : (u32)(reg >> (off * 8));
}

static u64 reg64_write(u64 reg, u64 off, const struct mmio_access *acc)
{
	u64 mask = 0xffffffffull << (off * 8);

	if (acc->width == 8)
		return acc->value;
	return (reg & ~mask) | ((acc->value << (off * 8)) & mask);
}

/* "MSIP Registers": bit 0 is the hart's MSIP, bits 31:1 are wired to zero. */
static void clint_msip(struct clint *c, u64 h, struct mmio_access *acc)
{
	u32 bit = acc->value & 1;

	if (h >= c->nharts)
		return;
	if (!acc->write) {
		acc->value = c->msip[h];
	} else if (bit != c->msip[h]) {
		c->msip[h] = bit;
		c->set_msip(c->ctx, (int)h, bit);
	}
}

static void clint_mtimecmp(struct clint *c, u64 h, u64 off, struct mmio_access *acc)
{
	if (h >= c->nharts)
		return;
	if (!acc->write) {
		acc->value = reg64_read(c->mtimecmp[h], off, acc->width);
		return;
	}
	c->mtimecmp[h] = reg64_write(c->mtimecmp[h], off, acc);
	clint_eval(c, (u32)h);
}

int clint_access(void *dev, u64 off, struct mmio_access *acc)
{
	struct clint *c = dev;

	if ((acc->width != 4 && acc->width != 8) || off % acc->width)
		return -1;
	/* "MSWI Register Map": the MSIP registers are 4 bytes wide. */
	if (off < CLINT_MTIMECMP && acc->width != 4)
		return -1;
	if (!acc->write)
		acc->value = 0;
	if (off < CLINT_MTIMECMP)
		clint_msip(c, off / 4, acc);
	else if (off < CLINT_MTIME)
		clint_mtimecmp(c, (off - CLINT_MTIMECMP) / 8, off % 8, acc);
	else if (off < CLINT_MTIME + 8 && !acc->write)
		acc->value = reg64_read(c->now(c->ctx), off % 8, acc->width);
	return 0;
}
