/*
 * plic_tier: the vPLIC claims and completions of this hart's S-mode context,
 * which guest_exit's assembly tier answers (arch/riscv/switch.S), must be
 * what vdev/plic.c answers.
 *
 * A testdev's LINES register drives 32 vPLIC sources, SRC0..SRC0+31 (across
 * two words of pending bits).  A seeded random walk moves those lines, sets
 * priorities, the enables and thresholds of our context and of context 0
 * (whose notifications the tier leaves to the C tier), and claims and
 * completes, with lw and sw (the tier) or lwu and c.sw (the C tier), from
 * and into every register the tier's tables name but sp, gp and tp.  A model
 * of the PLIC kept here checks every claim, and after every step whether an
 * external interrupt is taken against the model's notification of our
 * context.  The model also says
 * which accesses the tier must answer itself: it counts them, and rvhv's
 * statistics must agree.  bootargs "gateway=qemu" or "gateway=spec" name
 * the VM's PLIC gateway (vdev/plic.h).
 */
#include "guest.h"

#define PLIC 0x0c000000UL
#define PRIORITY(s) (PLIC + 4 * (s))
#define ENABLE(c, w) (PLIC + 0x2000 + 0x80 * (c) + 4 * (w))
#define THRESHOLD(c) (PLIC + 0x200000 + 0x1000 * (c))
#define CLAIM(c) (THRESHOLD(c) + 4)
#define TESTDEV_LINES 0x10010040UL
#define SRC0 20 /* the testdev's `interrupts` */
#define NSRC 32
#define OURS 1 /* hart 0's S-mode context */
#define STEPS 6000
#define IRQ_S_EXT 9
#define SIE_SEIE (1UL << IRQ_S_EXT)

/* The PLIC as far as these sources go (bit i: source SRC0 + i). */
static struct {
	bool qemu_gateway;
	uint32_t prio[NSRC];
	uint32_t enable[2], threshold[2];
	uint32_t level, pending, claimed;
} m;

static unsigned long tier, accesses, claims_found, tier_quiet;

/* Every other stretch of QUIET steps, context 0 enables nothing: the tier
 * then updates our context's notification alone (plic.h: enabling), and
 * otherwise looks at context 0's too. */
#define QUIET 500
static bool ctx0_quiet(unsigned long n)
{
	return n / QUIET % 2 == 1;
}

static uint64_t rnd(void)
{
	static uint64_t s = 0x9e3779b97f4a7c15ull;
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return s;
}

/* A register write; PLIC ones are counted. */
static void w32(unsigned long a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
	accesses += a >= PLIC && a < PLIC + 0x600000;
}

/* plic.c's plic_best over the model: 0 or the source. */
static uint32_t best(int c, uint32_t floor)
{
	uint32_t cand = m.pending & ~m.claimed & m.enable[c], b = 0, bp = floor;
	for (int i = 0; i < NSRC; i++)
		if ((cand >> i & 1) && m.prio[i] > bp) {
			b = SRC0 + i;
			bp = m.prio[i];
		}
	return b;
}

static bool eip(int c)
{
	return best(c, m.threshold[c]) != 0;
}

static void set_lines(uint32_t lines)
{
	uint32_t changed = m.level ^ lines;
	m.level = lines;
	for (int i = 0; i < NSRC; i++)
		if ((changed >> i & 1) && (!(m.claimed >> i & 1) || m.qemu_gateway))
			m.pending = (m.pending & ~(1u << i)) | (lines & (1u << i));
	w32(TESTDEV_LINES, lines);
}

/* The model's claim in context c; *bail: context 0 was notified for it. */
static uint32_t model_claim(int c, bool *bail)
{
	uint32_t id = best(c, 0);
	*bail = id && eip(0) && (m.enable[0] >> (id - SRC0) & 1);
	if (id) {
		m.pending &= ~(1u << (id - SRC0));
		m.claimed |= 1u << (id - SRC0);
	}
	return id;
}

/* The model's completion; *bail: it would notify context 0. */
static void model_complete(int c, uint32_t id, bool *bail)
{
	*bail = false;
	if (id < SRC0 || id >= SRC0 + NSRC)
		return; /* 0, beyond riscv,ndev, or not ours: none is enabled */
	uint32_t bit = 1u << (id - SRC0);
	if (!(m.enable[c] & bit) || !(m.claimed & bit))
		return;
	bool eip0 = eip(0);
	m.claimed &= ~bit;
	if ((m.level & bit) && !m.qemu_gateway)
		m.pending |= bit;
	*bail = (m.pending & bit) && !eip0 && (m.enable[0] & bit) &&
		m.prio[id - SRC0] > m.threshold[0];
}

/*
 * Claims and completions through register R: lw R / sw R, which the tier
 * takes (as c.lw / c.sw where the assembler compresses them), lwu, which it
 * leaves to the C tier, and c.sw of a5 (the compressed forms name x8-x15
 * only).
 */
#define CLAIM_FN(name, R)                                                                 \
	static uint32_t claim_##name(unsigned long a)                                     \
	{                                                                                 \
		unsigned long v;                                                          \
		asm volatile("li " R ", -1\n\tlw " R ", 0(%1)\n\tmv %0, " R                \
			     : "=r"(v)                                                    \
			     : "r"(a)                                                     \
			     : R, "memory");                                              \
		return (uint32_t)v;                                                       \
	}                                                                                 \
	static void complete_##name(unsigned long a, uint32_t id)                          \
	{                                                                                 \
		asm volatile("mv " R ", %0\n\tsw " R ", 0(%1)" ::"r"((unsigned long)id),     \
			     "r"(a)                                                       \
			     : R, "memory");                                              \
	}

#define REGS(X)                                                                             \
	X(ra, "ra") X(t0, "t0") X(t1, "t1") X(t2, "t2") X(s1, "s1") X(a0, "a0") X(a1, "a1")   \
	X(a2, "a2") X(a3, "a3") X(a4, "a4") X(a5, "a5") X(a6, "a6") X(a7, "a7") X(s2, "s2")   \
	X(s3, "s3") X(s4, "s4") X(s5, "s5") X(s6, "s6") X(s7, "s7") X(s8, "s8") X(s9, "s9")   \
	X(s10, "s10") X(s11, "s11") X(t3, "t3") X(t4, "t4") X(t5, "t5") X(t6, "t6")

REGS(CLAIM_FN)

#define ENTRY(name, R) {claim_##name, complete_##name, R},
static const struct {
	uint32_t (*claim)(unsigned long);
	void (*complete)(unsigned long, uint32_t);
	const char *reg;
} via[] = {REGS(ENTRY)};
#define NVIA (sizeof(via) / sizeof(via[0]))

static uint32_t claim_c_tier(unsigned long a)
{
	unsigned long v;
	asm volatile("lwu %0, 0(%1)" : "=r"(v) : "r"(a) : "memory");
	return (uint32_t)v;
}

static void complete_compressed(unsigned long a, uint32_t id)
{
	register unsigned long reg_a4 asm("a4") = a;
	register unsigned long reg_a5 asm("a5") = id;
	asm volatile(".option push\n\t.option rvc\n\tc.sw a5, 0(a4)\n\t.option pop"
		     ::"r"(reg_a4), "r"(reg_a5)
		     : "memory");
}

static volatile unsigned long ext_taken;

static bool on_external(struct trap_frame *f)
{
	if (f->scause != (SCAUSE_IRQ | IRQ_S_EXT))
		return false;
	ext_taken++;
	csr_clear(sie, SIE_SEIE); /* once: the source stays pending */
	return true;
}

/* Whether our context notifies the hart (VSEIP): interrupts open for an
 * instant.  (QEMU 7.2's sip does not show VSEIP to VS-mode.) */
static bool seip_taken(void)
{
	ext_taken = 0;
	csr_set(sie, SIE_SEIE);
	csr_set(sstatus, SSTATUS_SIE);
	asm volatile("nop\n\tnop");
	csr_clear(sstatus, SSTATUS_SIE);
	csr_clear(sie, SIE_SEIE);
	return ext_taken != 0;
}

/* The model beside the PLIC's pending words, after a mismatch. */
static void dump(void)
{
	volatile uint32_t *pending = (volatile uint32_t *)(PLIC + 0x1000);
	printf("plic_tier: model: level %08x pending %08x claimed %08x enable %08x/%08x "
	       "threshold %u/%u\n",
	       m.level, m.pending, m.claimed, m.enable[0], m.enable[1], m.threshold[0],
	       m.threshold[1]);
	printf("plic_tier: PLIC pending words %08x %08x (sources from bit %d), enable %08x %08x / "
	       "%08x %08x, threshold %u/%u\n",
	       pending[0], pending[1], SRC0, *(volatile uint32_t *)ENABLE(0, 0),
	       *(volatile uint32_t *)ENABLE(0, 1), *(volatile uint32_t *)ENABLE(1, 0),
	       *(volatile uint32_t *)ENABLE(1, 1), *(volatile uint32_t *)THRESHOLD(0),
	       *(volatile uint32_t *)THRESHOLD(1));
	for (int i = 0; i < NSRC; i++)
		if (*(volatile uint32_t *)PRIORITY(SRC0 + i) != m.prio[i])
			printf("plic_tier: priority of %d: %u, the model's %u\n", SRC0 + i,
			       *(volatile uint32_t *)PRIORITY(SRC0 + i), m.prio[i]);
	for (int i = 0; i < NSRC; i++)
		if (m.prio[i])
			printf("plic_tier: priority of %d: %u\n", SRC0 + i, m.prio[i]);
}

/* One step of the walk; false after a mismatch (reported). */
static bool step(unsigned long n)
{
	uint64_t r = rnd();
	unsigned op = r % 16, i = (r >> 8) % NSRC;
	int c = (r >> 16) % 4 == 0 && !ctx0_quiet(n) ? 0 : OURS;
	bool by_tier = (r >> 20) & 1, bail;
	const char *reg = via[n % NVIA].reg;

	if (op < 3) {
		set_lines(m.level ^ (1u << i) ^ ((r >> 24) % 3 == 0 ? 1u << ((r >> 32) % NSRC) : 0));
	} else if (op < 5) {
		m.prio[i] = (r >> 24) % 8;
		w32(PRIORITY(SRC0 + i), m.prio[i]);
	} else if (op < 7) {
		m.enable[c] ^= 1u << i;
		/* sources 20-31 are bits 20-31 of word 0, 32-51 bits 0-19 of word 1 */
		w32(ENABLE(c, 0), m.enable[c] << SRC0);
		w32(ENABLE(c, 1), m.enable[c] >> (32 - SRC0));
	} else if (op < 8) {
		m.threshold[c] = (r >> 24) % 4;
		w32(THRESHOLD(c), m.threshold[c]);
	} else if (op < 12) {
		uint32_t want = model_claim(c, &bail), got;
		bool ours = c == OURS && by_tier;
		got = ours ? via[n % NVIA].claim(CLAIM(c)) : claim_c_tier(CLAIM(c));
		accesses++;
		tier += ours && !bail;
		tier_quiet += ours && !bail && ctx0_quiet(n);
		claims_found += want != 0;
		if (got != want) {
			check_why("step %lu: claim in context %d (%s) gave %u, want %u", n, c,
				  ours ? reg : "lwu", got, want);
			return false;
		}
	} else {
		/* mostly a source in service; else any ID, even 0 or beyond ndev */
		uint32_t claimed = m.claimed & m.enable[c], id;
		if (claimed && (r >> 24) % 4)
			for (id = SRC0 + (r >> 32) % NSRC; !(claimed >> (id - SRC0) & 1);)
				id = id == SRC0 + NSRC - 1 ? SRC0 : id + 1;
		else
			id = (r >> 32) % 100;
		model_complete(c, id, &bail);
		if (by_tier)
			via[n % NVIA].complete(CLAIM(c), id);
		else
			complete_compressed(CLAIM(c), id);
		accesses++;
		tier += c == OURS && !bail;
		tier_quiet += c == OURS && !bail && ctx0_quiet(n);
	}
	bool seip = seip_taken();
	if (seip != eip(OURS)) {
		check_why("step %lu (op %u, context %d): external interrupt %d, the model's %d", n, op, c, seip,
			  eip(OURS));
		dump();
		return false;
	}
	return true;
}

/*
 * A c.sw completion in the last two bytes of RAM.  The tier reads a store's
 * upper half before it looks at the lower, and here that read faults past
 * the end of RAM: it stands down for the store, which the C tier completes,
 * and takes the claims after it again (switch.S: fast_fetch_fault); the
 * counts at the end show both.  The hart then runs off the end of RAM, and
 * the fetch fault (an instruction access fault) brings it back.
 */
#define RAM_END 0x82000000UL /* configs/test-plic-tier.dts: 32 MiB */
#define EXC_INSN_ACCESS 1
#define C_SW_A5_0_A4 0xc31c

static bool on_fetch_fault(struct trap_frame *f)
{
	if (f->scause != EXC_INSN_ACCESS || f->stval != RAM_END)
		return false;
	f->sepc = f->regs[1]; /* back after the jalr */
	return true;
}

static void check_store_at_ram_end(void)
{
	bool bail;
	check_begin();
	set_lines(0);
	for (int i = 0; i < NSRC; i++) /* a clean slate: only SRC0, in our context */
		if (m.claimed >> i & 1) {
			m.enable[OURS] |= 1u << i;
			w32(ENABLE(OURS, 0), m.enable[OURS] << SRC0);
			w32(ENABLE(OURS, 1), m.enable[OURS] >> (32 - SRC0));
			model_complete(OURS, SRC0 + i, &bail);
			complete_compressed(CLAIM(OURS), SRC0 + i);
			accesses++;
			tier += !bail;
		}
	m.enable[0] = 0;
	w32(ENABLE(0, 0), 0);
	w32(ENABLE(0, 1), 0);
	m.enable[OURS] = 1;
	w32(ENABLE(OURS, 0), 1u << SRC0);
	w32(ENABLE(OURS, 1), 0);
	m.prio[0] = 1;
	w32(PRIORITY(SRC0), 1);
	set_lines(1);
	uint32_t want = model_claim(OURS, &bail), got = via[0].claim(CLAIM(OURS));
	accesses++;
	tier++;
	if (got != SRC0 || want != SRC0)
		check_why("claim gave %u, want %u", got, SRC0);
	*(volatile uint16_t *)(RAM_END - 2) = C_SW_A5_0_A4;
	asm volatile("fence.i" ::: "memory");
	trap_on_exception(on_fetch_fault);
	register unsigned long reg_a4 asm("a4") = CLAIM(OURS);
	register unsigned long reg_a5 asm("a5") = SRC0;
	asm volatile("jalr ra, 0(%2)" ::"r"(reg_a4), "r"(reg_a5), "r"(RAM_END - 2) : "ra", "memory");
	trap_on_exception(NULL);
	model_complete(OURS, SRC0, &bail);
	accesses++; /* the C tier's */
	/* completed: the spec's gateway pends the line again, QEMU's does not */
	want = model_claim(OURS, &bail);
	got = via[1].claim(CLAIM(OURS));
	accesses++;
	tier++;
	if (got != want)
		check_why("claim after the completion gave %u, want %u", got, want);
	check_end("plic-store-at-ram-end");
}

static void bootargs(const char *node, const char *prop, const void *val, uint32_t len, void *arg)
{
	static const char want[] = "gateway=qemu";
	const char *s = val;
	(void)node;
	(void)arg;
	if (strcmp(prop, "bootargs"))
		return;
	for (uint32_t i = 0; i + sizeof(want) - 1 <= len; i++)
		if (!memcmp(s + i, want, sizeof(want) - 1))
			m.qemu_gateway = true;
}

int main(unsigned long hartid, const void *dtb)
{
	console_init();
	fdt_walk(dtb, bootargs, NULL);
	printf("plic_tier: hart %lu, %s gateway\n", hartid, m.qemu_gateway ? "QEMU's" : "the spec's");
	trap_on_interrupt(on_external);
	check_begin();
	for (unsigned long n = 0; n < STEPS; n++) {
		if (n % QUIET == 0 && ctx0_quiet(n)) {
			m.enable[0] = 0;
			w32(ENABLE(0, 0), 0);
			w32(ENABLE(0, 1), 0);
		}
		if (!step(n))
			break;
	}
	check_end("plic-walk");
	check_store_at_ram_end();
	printf("plic_tier: %lu claims found a source; %lu PLIC accesses, %lu for the tier\n",
	       claims_found, accesses, tier);
	printf("plic_tier: %lu of those while context 0 enabled nothing\n", tier_quiet);
	finish("plic_tier");
}
