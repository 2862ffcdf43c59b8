/*
 * Fuzz target: the CLINT model (vdev/clint.c).
 *
 * Input: the number of harts, then 12-byte operations: register accesses
 * (msip, mtimecmp, mtime or anywhere in the window, any width and
 * alignment), time moving on, and the hypervisor's clint_update for any
 * hart number.  Checked after each:
 * - the callbacks name existing harts only; set_msip hears of changes
 *   only, with msip's value;
 * - after mtimecmp changes or an update, MTIP is (mtime >= mtimecmp), and
 *   when it is not, a callback is armed for mtimecmp;
 * - reads return the registers (or their 32-bit halves) and mtime; holes
 *   and missing harts read 0; bad widths and misaligned accesses fail.
 */
#include "tests/fuzz/fuzz.h"

#include "vdev/clint.h"

static struct {
	u64 now;
	bool mtip[CLINT_MAX_HARTS], msip[CLINT_MAX_HARTS];
	bool mtip_told[CLINT_MAX_HARTS]; /* set_mtip called since the last check */
	u64 armed[CLINT_MAX_HARTS];
	u32 nharts;
} rec;

static u64 rec_now(void *ctx)
{
	CHECK(ctx == &rec);
	return rec.now;
}

static void rec_set_mtip(void *ctx, int hart, bool level)
{
	CHECK(ctx == &rec && hart >= 0 && (u32)hart < rec.nharts);
	rec.mtip[hart] = level;
	rec.mtip_told[hart] = true;
}

static void rec_set_msip(void *ctx, int hart, bool level)
{
	CHECK(ctx == &rec && hart >= 0 && (u32)hart < rec.nharts);
	CHECK(level != rec.msip[hart]);
	rec.msip[hart] = level;
}

static void rec_arm(void *ctx, int hart, u64 deadline)
{
	CHECK(ctx == &rec && hart >= 0 && (u32)hart < rec.nharts);
	rec.armed[hart] = deadline;
}

/* MTIP as the hypervisor last heard it, against the registers. */
static void check_mtip(const struct clint *c, u32 h)
{
	if (!rec.mtip_told[h])
		return;
	CHECK(rec.mtip[h] == (rec.now >= c->mtimecmp[h]));
	if (!rec.mtip[h])
		CHECK(rec.armed[h] == c->mtimecmp[h]);
	rec.mtip_told[h] = false;
}

static void guest_access(struct clint *c, u8 kind, u16 idx, u64 val)
{
	static const u64 base[4] = {CLINT_MSIP, CLINT_MTIMECMP, CLINT_MTIME, 0};
	struct mmio_access acc = {.width = 1u << ((kind >> 2) & 3), .write = kind & 16, .value = val};
	u64 off = base[kind & 3] + ((kind & 3) == 3 ? idx : idx % 96);
	u64 reg_off = off % 8;
	u32 msip[CLINT_MAX_HARTS];
	u64 mtimecmp[CLINT_MAX_HARTS];
	int rc;

	if (!acc.write && (kind & 32))
		acc.value = 0x5a5a5a5a5a5a5a5aULL; /* the model must set it */
	off %= CLINT_SIZE;
	memcpy(msip, c->msip, sizeof(msip));
	memcpy(mtimecmp, c->mtimecmp, sizeof(mtimecmp));
	rc = clint_access(c, off, &acc);
	if ((acc.width != 4 && acc.width != 8) || off % acc.width ||
	    (off < CLINT_MTIMECMP && acc.width != 4)) {
		CHECK(rc == -1);
		CHECK(!memcmp(msip, c->msip, sizeof(msip)) &&
		      !memcmp(mtimecmp, c->mtimecmp, sizeof(mtimecmp)));
		return;
	}
	CHECK(rc == 0);
	for (u32 h = 0; h < CLINT_MAX_HARTS; h++) {
		CHECK(c->msip[h] <= 1 && (h < c->nharts || c->msip[h] == 0));
		CHECK(h < c->nharts || c->mtimecmp[h] == ~0ULL);
		CHECK(c->msip[h] == rec.msip[h]);
	}
	if (acc.write)
		return;
	if (off < CLINT_MTIMECMP) {
		u64 h = off / 4;

		CHECK(acc.value == (h < c->nharts ? c->msip[h] : 0));
	} else if (off < CLINT_MTIME) {
		u64 h = (off - CLINT_MTIMECMP) / 8, v = h < c->nharts ? c->mtimecmp[h] : 0;

		CHECK(acc.value == (acc.width == 8 ? v : (u32)(v >> (8 * reg_off))));
	} else if (off < CLINT_MTIME + 8) {
		CHECK(acc.value == (acc.width == 8 ? rec.now : (u32)(rec.now >> (8 * reg_off))));
	} else {
		CHECK(acc.value == 0);
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct input in = {data, size};
	static struct clint c;
	u8 nharts = in_u8(&in);

	memset(&rec, 0, sizeof(rec));
	clint_init(&c, nharts, &rec);
	c.now = rec_now;
	c.set_mtip = rec_set_mtip;
	c.set_msip = rec_set_msip;
	c.arm = rec_arm;
	rec.nharts = c.nharts;
	CHECK(c.nharts == (nharts < CLINT_MAX_HARTS ? nharts : CLINT_MAX_HARTS));
	while (!in_empty(&in)) {
		u8 kind = in_u8(&in), op = in_u8(&in);
		u16 idx = in_u16(&in);
		u64 val = in_u64(&in);

		switch (op & 3) {
		case 0:
		case 1:
			guest_access(&c, kind, idx, val);
			break;
		case 2: /* time passes (mtime is monotonic) */
			rec.now += (op & 4) ? val : val & 0xffff;
			break;
		default:
			clint_update(&c, (int)(s16)idx);
			break;
		}
		for (u32 h = 0; h < CLINT_MAX_HARTS; h++)
			check_mtip(&c, h);
	}
	return 0;
}
