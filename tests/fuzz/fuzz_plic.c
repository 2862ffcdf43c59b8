/*
 * Fuzz target: the PLIC model (vdev/plic.c).
 *
 * Input: the number of sources and contexts, the gateway flavour, then
 * 8-byte operations: register accesses (aimed at the priority, pending,
 * enable and context blocks, or anywhere in the window) and device lines
 * changing level.  Checked after each:
 * - each context's notification is what a reference computation over the
 *   registers says (a pending, enabled, unclaimed source above the
 *   threshold), set_eip heard of changes only and never for a context that
 *   does not exist;
 * - sources and contexts that do not exist hold no state and read 0;
 * - a claim returns 0 or an enabled source with a non-zero priority, which
 *   is then in service; accesses other than aligned words fail.
 */
#include "tests/fuzz/fuzz.h"

#include "vdev/plic.h"

static bool eip[PLIC_MAX_CONTEXTS];

static void rec_set_eip(void *ctx, int c, bool level)
{
	struct plic *p = ctx;

	CHECK(c >= 0 && (u32)c < p->ncontexts);
	CHECK(level != eip[c]); /* changes only */
	eip[c] = level;
}

static bool bit(const u32 *w, u32 id)
{
	return (w[id / 32] >> (id % 32)) & 1;
}

/* "Interrupt Notifications", written out plainly. */
static bool ref_eip(const struct plic *p, u32 c)
{
	for (u32 id = 1; id <= p->nsources; id++)
		if (bit(p->pending, id) && !bit(p->claimed, id) && bit(p->enable[c], id) &&
		    p->priority[id] > p->threshold[c])
			return true;
	return false;
}

/* The bits of word w that name sources 1..nsources. */
static u32 existing(const struct plic *p, u32 w)
{
	u32 m = 0;

	for (u32 b = 0; b < 32; b++)
		if (w * 32 + b >= 1 && w * 32 + b <= p->nsources)
			m |= 1u << b;
	return m;
}

static void check_state(const struct plic *p)
{
	CHECK(p->nsources <= PLIC_MAX_SOURCES && p->ncontexts <= PLIC_MAX_CONTEXTS);
	for (u32 c = 0; c < PLIC_MAX_CONTEXTS; c++) {
		CHECK(eip[c] == (c < p->ncontexts && ref_eip(p, c)));
		CHECK(p->threshold[c] <= PLIC_MAX_PRIORITY);
	}
	for (u32 id = 0; id <= PLIC_MAX_SOURCES; id++)
		CHECK(p->priority[id] <= PLIC_MAX_PRIORITY &&
		      (p->priority[id] == 0 || (id >= 1 && id <= p->nsources)));
	for (u32 w = 0; w < PLIC_WORDS; w++) {
		u32 none = ~existing(p, w);

		CHECK(!((p->pending[w] | p->claimed[w] | p->level[w]) & none));
		for (u32 c = 0; c < PLIC_MAX_CONTEXTS; c++)
			CHECK(!(p->enable[c][w] & none));
	}
	/* Each context's scans stop right after its last enable bit. */
	for (u32 c = 0; c < PLIC_MAX_CONTEXTS; c++) {
		u32 end = p->enable_end[c];

		CHECK(end % 4 == 0 && end <= 4 * PLIC_WORDS);
		CHECK(end == 0 || p->enable[c][end / 4 - 1] != 0);
		for (u32 w = end / 4; w < PLIC_WORDS; w++)
			CHECK(p->enable[c][w] == 0);
		/* and the contexts that enable anything are those with an end */
		CHECK((p->enabling >> c & 1) == (end != 0));
	}
}

/* An offset in one of the register blocks, or anywhere. */
static u64 pick_offset(u8 kind, u16 idx)
{
	switch (kind & 7) {
	case 0:
		return PLIC_PRIORITY + 4 * (u64)(idx % 160);
	case 1:
		return PLIC_PENDING + 4 * (u64)(idx % 8);
	case 2:
		return PLIC_ENABLE + PLIC_ENABLE_STRIDE * (u64)(idx / 8 % 20) + 4 * (u64)(idx % 8);
	case 3:
	case 4:
		return PLIC_CONTEXT + PLIC_CONTEXT_STRIDE * (u64)(idx / 4 % 20) + 4 * (u64)(idx % 4);
	case 5:
		return ((u64)idx << 7) % PLIC_SIZE; /* anywhere */
	default:
		return PLIC_CONTEXT + PLIC_CONTEXT_STRIDE * (u64)(idx / 4 % 20) + 4;
	}
}

static void claim_check(const struct plic *before, const struct plic *p, u64 off, u32 id)
{
	u64 c = (off - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE;

	if (c >= p->ncontexts || id == 0)
		return;
	CHECK(id <= p->nsources);
	CHECK(bit(before->pending, id) && !bit(before->claimed, id));
	CHECK(bit(p->enable[c], id) && p->priority[id] > 0);
	CHECK(bit(p->claimed, id) && !bit(p->pending, id));
	/* The best one: no other claimable source has a higher priority. */
	for (u32 o = 1; o <= p->nsources; o++)
		if (bit(before->pending, o) && !bit(before->claimed, o) && bit(p->enable[c], o))
			CHECK(p->priority[o] < p->priority[id] ||
			      (p->priority[o] == p->priority[id] && o >= id));
}

static void guest_access(struct plic *p, struct input *in)
{
	static struct plic before;
	u8 kind = in_u8(in);
	u16 idx = in_u16(in);
	u32 val = in_u32(in);
	struct mmio_access acc = {.width = (kind & 0x30) ? 1u << ((kind >> 4) & 3) : 4,
				  .write = kind & 8,
				  .value = (kind & 0x40) ? val : val & 0xff};
	u64 off = pick_offset(kind, idx) + ((kind & 0x80) ? 2 : 0);
	int rc;

	before = *p;
	rc = plic_access(p, off, &acc);
	if (acc.width != 4 || off % 4) {
		CHECK(rc == -1);
		CHECK(!memcmp(&before, p, sizeof(before)));
		return;
	}
	CHECK(rc == 0);
	if (acc.write)
		return;
	CHECK(acc.value <= 0xffffffffULL);
	if (off >= PLIC_CONTEXT && off % PLIC_CONTEXT_STRIDE == 4)
		claim_check(&before, p, off, (u32)acc.value);
	else
		CHECK(!memcmp(&before, p, sizeof(before))); /* only claims change state */
	if (off >= PLIC_CONTEXT + PLIC_CONTEXT_STRIDE * (u64)p->ncontexts ||
	    (off >= PLIC_ENABLE + PLIC_ENABLE_STRIDE * (u64)p->ncontexts && off < PLIC_CONTEXT) ||
	    (off >= PLIC_PENDING + 4 * PLIC_WORDS && off < PLIC_ENABLE) ||
	    off == 0 || (off > 4 * (u64)p->nsources && off < PLIC_PENDING))
		CHECK(acc.value == 0);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct input in = {data, size};
	static struct plic p;
	u8 nsources = in_u8(&in), ncontexts = in_u8(&in), flags = in_u8(&in);

	memset(eip, 0, sizeof(eip));
	plic_init(&p, nsources, ncontexts % 24, rec_set_eip, &p);
	p.qemu_gateway = flags & 1;
	check_state(&p);
	while (!in_empty(&in)) {
		u8 op = in_u8(&in);

		if (op & 0x80) {
			u8 src = in_u8(&in);

			plic_set_level(&p, src, op & 1);
			if (src >= 1 && src <= p.nsources)
				CHECK(bit(p.level, src) == (op & 1));
		} else {
			guest_access(&p, &in);
		}
		check_state(&p);
	}
	return 0;
}
