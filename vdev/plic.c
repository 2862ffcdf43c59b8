/*
 * The PLIC model: see plic.h for the register map.  Section names below
 * are those of the RISC-V PLIC specification 1.0.0.
 *
 * Every source is level-triggered.  Its gateway ("Interrupt Gateways")
 * forwards one request at a time: the pending bit is set while the line is
 * asserted, and not again until the claimed request is completed; at
 * completion a line that is still asserted pends again.  Unlike the spec's
 * gateway, which cannot retract a request, a line that drops before the
 * request is claimed clears the pending bit: QEMU does the same, and a
 * device that no longer asks for service should not cost the guest a claim
 * that returns its ID for nothing.
 */
#include "vdev/plic.h"

static bool bit_get(const u32 *words, u32 id)
{
	return (words[id / 32] >> (id % 32)) & 1;
}

static void bit_put(u32 *words, u32 id, bool v)
{
	u32 m = 1u << (id % 32);

	if (v)
		words[id / 32] |= m;
	else
		words[id / 32] &= ~m;
}

/* The bits of word w that name existing sources: 1..nsources (bit 0 of
 * word 0, source 0, is hardwired to zero). */
static u32 source_mask(const struct plic *p, u32 w)
{
	u32 first = w * 32, last = first + 31;
	u32 m = ~0u;

	if (first > p->nsources)
		return 0;
	if (last > p->nsources)
		m = (1u << (p->nsources - first + 1)) - 1;
	return w == 0 ? m & ~1u : m;
}

/*
 * The index of the lowest set bit of bits (not 0): multiplying the bit
 * alone by a de Bruijn sequence puts a distinct pattern in the top 5 bits.
 * RV64IMAC has no ctz instruction, and libgcc's __builtin_ctz is a loop.
 */
static u32 lowest_bit(u32 bits)
{
	static const u8 index[32] = {0,	 1,  28, 2,  29, 14, 24, 3, 30, 22, 20, 15, 25, 17, 4,	8,
				     31, 27, 13, 23, 21, 19, 16, 7, 26, 12, 18, 6,  11, 5,  10, 9};

	return index[(u32)((bits & -bits) * 0x077cb531u) >> 27];
}

/*
 * The highest-priority source pending and enabled for context c whose
 * priority exceeds floor; ties go to the lowest ID ("Interrupt Identifiers").
 * 0 when there is none.  With `any`, the first source found above floor:
 * enough to know whether there is one.
 */
static inline __attribute__((always_inline)) u32 plic_best(const struct plic *p, u32 c, u32 floor,
							  bool any)
{
	u32 best = 0, best_prio = floor;

	for (u32 w = 0; w < p->enable_end[c] / 4; w++) {
		/* A request made while its source is in service (QEMU's gateway)
		 * waits for the completion. */
		u32 bits = p->pending[w] & ~p->claimed[w] & p->enable[c][w];

		for (; bits; bits &= bits - 1) {
			u32 id = w * 32 + lowest_bit(bits);

			if (p->priority[id] > best_prio) {
				if (any)
					return id;
				best = id;
				best_prio = p->priority[id];
			}
		}
	}
	return best;
}

/* "Interrupt Notifications": EIP of context c is set when a pending, enabled
 * source has a priority above c's threshold.  Tell the hypervisor of changes
 * only, so that it touches hvip (or another hart) no more than needed. */
static void plic_update(struct plic *p)
{
	for (u32 c = 0; c < p->ncontexts; c++) {
		bool eip = plic_best(p, c, p->threshold[c], true) != 0;

		if (eip != p->eip[c]) {
			p->eip[c] = eip;
			p->set_eip(p->ctx, (int)c, eip);
		}
	}
}

void plic_init(struct plic *p, u32 nsources, u32 ncontexts, void (*set_eip)(void *, int, bool),
	       void *ctx)
{
	*p = (struct plic){
		.nsources = nsources < PLIC_MAX_SOURCES ? nsources : PLIC_MAX_SOURCES,
		.ncontexts = ncontexts < PLIC_MAX_CONTEXTS ? ncontexts : PLIC_MAX_CONTEXTS,
		.set_eip = set_eip,
		.ctx = ctx,
	};
}

void plic_set_level(struct plic *p, u32 source, bool level)
{
	if (source == 0 || source > p->nsources)
		return;
	bit_put(p->level, source, level);
	/* A claimed request is in service: the spec's gateway holds the line's
	 * state until the completion ("Interrupt Gateways").  QEMU's takes the
	 * new request at once; it is claimable after the completion. */
	if (!bit_get(p->claimed, source) || p->qemu_gateway)
		bit_put(p->pending, source, level);
	plic_update(p);
}

/*
 * "Interrupt Claim Process": the claim "is not affected by the setting of
 * the priority threshold register", so a context that masks notifications
 * with its threshold can still poll.  Priority 0 means "never interrupt"
 * and is never claimed.
 */
static u32 plic_claim(struct plic *p, u32 c)
{
	u32 id = plic_best(p, c, 0, false);

	if (id) {
		bit_put(p->pending, id, false);
		bit_put(p->claimed, id, true);
		plic_update(p);
	}
	return id;
}

/*
 * "Interrupt Completion": an ID that is not enabled for the context is
 * silently ignored, and so is one that was not claimed (there is no request
 * in service to complete).  A level line still asserted pends again.
 */
static void plic_complete(struct plic *p, u32 c, u32 id)
{
	if (id == 0 || id > p->nsources || !bit_get(p->enable[c], id) || !bit_get(p->claimed, id))
		return;
	bit_put(p->claimed, id, false);
	if (p->completed)
		p->completed(p->ctx, id);
	if (bit_get(p->level, id) && !p->qemu_gateway)
		bit_put(p->pending, id, true);
	plic_update(p); /* a request that waited during the service is due now */
}

/* 0x000000-0x000fff: one priority register per source. */
static void plic_priority(struct plic *p, u32 id, struct mmio_access *acc)
{
	if (id == 0 || id > p->nsources)
		return;
	if (acc->write) {
		p->priority[id] = acc->value & PLIC_MAX_PRIORITY;
		plic_update(p);
	} else {
		acc->value = p->priority[id];
	}
}

/* 0x002000 + 0x80*c: context c's enable words. */
static void plic_enable(struct plic *p, u64 c, u64 w, struct mmio_access *acc)
{
	if (c >= p->ncontexts || w >= PLIC_WORDS)
		return;
	if (acc->write) {
		p->enable[c][w] = acc->value & source_mask(p, w);
		u32 end = PLIC_WORDS;
		while (end > 0 && p->enable[c][end - 1] == 0)
			end--;
		p->enable_end[c] = 4 * end;
		if (end)
			p->enabling |= 1u << c;
		else
			p->enabling &= ~(1u << c);
		plic_update(p);
	} else {
		acc->value = p->enable[c][w];
	}
}

/* 0x200000 + 0x1000*c: context c's threshold (+0) and claim/complete (+4). */
static void plic_context(struct plic *p, u64 c, u64 reg, struct mmio_access *acc)
{
	if (c >= p->ncontexts || reg > 4)
		return;
	if (reg == 0 && acc->write) {
		p->threshold[c] = acc->value & PLIC_MAX_PRIORITY;
		plic_update(p);
	} else if (reg == 0) {
		acc->value = p->threshold[c];
	} else if (acc->write) {
		plic_complete(p, c, (u32)acc->value);
	} else {
		acc->value = plic_claim(p, c);
	}
}

int plic_access(void *dev, u64 off, struct mmio_access *acc)
{
	struct plic *p = dev;

	/* "Memory Map": every register is 32 bits wide. */
	if (acc->width != 4 || off % 4)
		return -1;
	if (!acc->write)
		acc->value = 0;
	if (off < PLIC_PENDING) {
		plic_priority(p, off / 4, acc);
	} else if (off < PLIC_ENABLE) {
		u32 w = (off - PLIC_PENDING) / 4;

		/* Read-only: the claim is the way to clear a pending bit. */
		if (!acc->write && w < PLIC_WORDS)
			acc->value = p->pending[w];
	} else if (off < PLIC_CONTEXT) {
		off -= PLIC_ENABLE;
		plic_enable(p, off / PLIC_ENABLE_STRIDE, off % PLIC_ENABLE_STRIDE / 4, acc);
	} else {
		off -= PLIC_CONTEXT;
		plic_context(p, off / PLIC_CONTEXT_STRIDE, off % PLIC_CONTEXT_STRIDE, acc);
	}
	return 0;
}
