/*
 * mboot: a machine-mode guest that boots the way xv6-riscv does (start.c
 * with the CLINT timer of the 2021-2024 vintages), for rvhv's virtual
 * M-mode (`boot = "machine"`).  No SBI anywhere: it owns the machine.
 *
 *   M-mode, all harts at once: delegate traps and interrupts to S, open
 *   PMP, arm the CLINT timer whose M-mode vector (timervec) turns every
 *   tick into a supervisor software interrupt, mret into S-mode.
 *   S-mode: hart 0 builds an Sv39 table (A/D bits left clear), every hart
 *   turns paging on and counts 20 ticks, hart 0 reports and powers off
 *   through the sifive,test device.
 *
 * The console is the 16550 at 0x10000000, polled, one whole line at a time
 * under a spinlock.  Runs natively on `qemu-system-riscv64 -machine virt
 * -bios none -smp 3 -m 128M -kernel mboot.elf`.
 */
#include "guest.h"

#define NHARTS 3 /* mboot_entry.S parks harts >= NHARTS */
#define TICKS_WANTED 20

#define UART0 0x10000000UL
#define UART_THR 0
#define UART_LSR 5
#define LSR_THRE (1 << 5)
#define CLINT 0x02000000UL
#define CLINT_SIZE 0x10000UL
#define CLINT_MTIMECMP(hart) (CLINT + 0x4000 + 8 * (hart))
#define CLINT_MTIME (CLINT + 0xbff8)
#define TEST_DEV 0x100000UL
#define TEST_POWEROFF 0x5555
#define RAM_BASE 0x80000000UL
#define RAM_SIZE (128UL << 20)

#define TIMEBASE 10000000UL /* QEMU virt's CLINT runs at 10 MHz */
#define TICK_INTERVAL (TIMEBASE / 100)
#define WAIT_LIMIT (10 * TIMEBASE) /* how long hart 0 waits for the others */

#define MSTATUS_MPIE (1UL << 7)
#define MSTATUS_MPP (3UL << 11)
#define MSTATUS_MPP_S (1UL << 11)
#define MIE_MTIE (1UL << 7)
#define SIE_SEIE (1UL << 9)
#define MISA_S (1UL << ('S' - 'A'))
#define MISA_U (1UL << ('U' - 'A'))

/* Sv39 (privileged spec 4.4): 4 KiB pages, three levels of 512 PTEs. */
#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define SATP_SV39 (8UL << 60)
#define PAGE_SIZE 4096UL
#define LEVEL_SIZE(level) (PAGE_SIZE << (9 * (level))) /* 4 KiB, 2 MiB, 1 GiB */
#define PT_POOL 10
/* An extra VA for one page of RAM: reading through it proves satp is live. */
#define ALIAS_VA 0x40000000UL
#define ALIAS_MAGIC 0x6d626f6f74000000UL /* "mboot" */

typedef uint64_t pte_t;

/* What timervec needs, per hart, through mscratch (offsets fixed there). */
struct timer_scratch {
	unsigned long save[3];
	unsigned long mtimecmp; /* address of this hart's CLINT mtimecmp */
	unsigned long interval;
};

extern char timervec[], s_trapvec[];
void m_start(unsigned long a0);
__attribute__((noreturn)) void s_main(void);
void s_trap(void);

static struct timer_scratch scratch[NHARTS];
static pte_t pt_pool[PT_POOL][512] __attribute__((aligned(PAGE_SIZE)));
static unsigned pt_used;
static volatile uint64_t alias_page[PAGE_SIZE / 8] __attribute__((aligned(PAGE_SIZE)));
static volatile unsigned long root_satp; /* set by hart 0 when the table is ready */
static volatile unsigned long seen_satp[NHARTS], seen_alias[NHARTS];
static volatile unsigned long ticks[NHARTS];
static volatile bool ticks_done[NHARTS];
static unsigned passed, failed; /* hart 0 only */

/* ---- console: the 16550, polled; whole lines under a lock */

static volatile uint32_t print_lock;

static void uart_putc(char c)
{
	volatile uint8_t *uart = (volatile uint8_t *)UART0;
	while (!(uart[UART_LSR] & LSR_THRE))
		;
	uart[UART_THR] = c;
}

struct line {
	char buf[120];
	unsigned n;
};

static void put(struct line *l, char c)
{
	if (l->n < sizeof(l->buf))
		l->buf[l->n++] = c;
}

static void put_num(struct line *l, unsigned long v, unsigned base)
{
	char digits[20];
	int n = 0;
	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		put(l, digits[--n]);
}

/* Enough of printf for mboot: %s, %u, %x, %lu, %lx. */
static void format(struct line *l, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(l, *fmt);
			continue;
		}
		bool is_long = fmt[1] == 'l';
		fmt += is_long ? 2 : 1;
		if (*fmt == 's') {
			for (const char *s = va_arg(ap, const char *); *s; s++)
				put(l, *s);
		} else {
			unsigned long v = is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			put_num(l, v, *fmt == 'x' ? 16 : 10);
		}
	}
}

static void put_str(struct line *l, const char *s)
{
	while (*s)
		put(l, *s++);
}

/* Write a line.  The fatal-trap path goes without the lock: that trap may
 * have come while this hart held it. */
static void emit(const struct line *l, bool locked)
{
	if (locked)
		while (__sync_lock_test_and_set(&print_lock, 1))
			;
	for (unsigned i = 0; i < l->n; i++)
		uart_putc(l->buf[i]);
	uart_putc('\n');
	if (locked)
		__sync_lock_release(&print_lock);
}

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	struct line l = {.n = 0};
	va_list ap;
	va_start(ap, fmt);
	format(&l, fmt, ap);
	va_end(ap);
	emit(&l, true);
}

/* One check: "ok <name>" or "FAIL <name>: <why>". */
__attribute__((format(printf, 3, 4))) static void result(const char *name, bool good,
							   const char *why, ...)
{
	struct line l = {.n = 0};
	put_str(&l, good ? "ok " : "FAIL ");
	put_str(&l, name);
	if (good) {
		passed++;
	} else {
		va_list ap;
		va_start(ap, why);
		put_str(&l, ": ");
		format(&l, why, ap);
		va_end(ap);
		failed++;
	}
	emit(&l, true);
}

__attribute__((noreturn)) static void power_off(void)
{
	*(volatile uint32_t *)TEST_DEV = TEST_POWEROFF;
	for (;;)
		wfi();
}

static uint64_t mtime(void)
{
	return *(volatile uint64_t *)CLINT_MTIME;
}

/* ---- M-mode: start.c's job */

/* A CLINT tick every TICK_INTERVAL, handled by timervec in M-mode. */
static void clint_timer_init(unsigned long hart)
{
	struct timer_scratch *s = &scratch[hart];
	s->mtimecmp = CLINT_MTIMECMP(hart);
	s->interval = TICK_INTERVAL;
	*(volatile uint64_t *)CLINT_MTIMECMP(hart) = mtime() + TICK_INTERVAL;
	csr_write(mscratch, (unsigned long)s);
	csr_write(mtvec, (unsigned long)timervec);
	/*
	 * M interrupts on through MPIE, so that mret turns them on as it leaves
	 * M-mode.  xv6 sets MIE here instead: then a timer interrupt that is
	 * already due (a loaded host, every M CSR access an exit) is taken
	 * before start's own mret, overwrites mepc and MPP, and that mret goes
	 * to U-mode at the wrong place -- on real hardware just as under rvhv.
	 */
	csr_set(mstatus, MSTATUS_MPIE);
	csr_set(mie, MIE_MTIE);
}

void m_start(unsigned long a0)
{
	unsigned long hart = csr_read(mhartid);
	if (hart == 0) {
		unsigned long misa = csr_read(misa);
		result("mhartid", hart == a0, "mhartid %lu, a0 %lu", hart, a0);
		result("misa", misa >> 62 == 2 && (misa & MISA_S) && (misa & MISA_U), "misa 0x%lx",
		       misa);
	}
	csr_write(mstatus, (csr_read(mstatus) & ~MSTATUS_MPP) | MSTATUS_MPP_S);
	csr_write(mepc, (unsigned long)s_main);
	csr_write(satp, 0);
	csr_write(medeleg, 0xffff);
	csr_write(mideleg, 0xffff);
	csr_set(sie, SIE_SEIE | SIE_STIE | SIE_SSIE);
	/* One TOR entry, 0 .. 2^56: all of physical memory for S and U. */
	csr_write(pmpaddr0, 0x3fffffffffffffUL);
	csr_write(pmpcfg0, 0xf);
	clint_timer_init(hart);
	asm volatile("mv tp, %0" ::"r"(hart));
	asm volatile("mret");
	__builtin_unreachable();
}

/* ---- S-mode: an Sv39 table, paging on, ticks */

static pte_t *pt_alloc(void)
{
	if (pt_used == PT_POOL) {
		say("FAIL paging: page-table pool exhausted");
		power_off();
	}
	return pt_pool[pt_used++];
}

/* Map [va, va + size) to pa with leaves at level (0: 4 KiB, 1: 2 MiB,
 * 2: 1 GiB).  Leaves get V and perm only: A and D stay clear, as in xv6,
 * so the walker (or the hypervisor under us) must set them. */
static void map(pte_t *root, unsigned long va, unsigned long pa, unsigned long size, int level,
		unsigned long perm)
{
	for (unsigned long off = 0; off < size; off += LEVEL_SIZE(level)) {
		unsigned long v = va + off;
		pte_t *table = root;
		for (int l = 2; l > level; l--) {
			pte_t *e = &table[(v >> (12 + 9 * l)) & 511];
			if (!(*e & PTE_V))
				*e = ((unsigned long)pt_alloc() >> 12) << 10 | PTE_V;
			table = (pte_t *)((*e >> 10) << 12);
		}
		table[(v >> (12 + 9 * level)) & 511] = ((pa + off) >> 12) << 10 | perm | PTE_V;
	}
}

static unsigned long build_page_table(void)
{
	pte_t *root = pt_alloc();
	map(root, RAM_BASE, RAM_BASE, RAM_SIZE, 1, PTE_R | PTE_W | PTE_X);
	map(root, UART0, UART0, PAGE_SIZE, 0, PTE_R | PTE_W);
	map(root, CLINT, CLINT, CLINT_SIZE, 0, PTE_R | PTE_W);
	map(root, TEST_DEV, TEST_DEV, PAGE_SIZE, 0, PTE_R | PTE_W);
	map(root, ALIAS_VA, (unsigned long)alias_page, PAGE_SIZE, 0, PTE_R | PTE_W);
	return SATP_SV39 | (unsigned long)root >> 12;
}

static void paging_on(unsigned long hart, unsigned long satp)
{
	asm volatile("sfence.vma zero, zero" ::: "memory");
	csr_write(satp, satp);
	asm volatile("sfence.vma zero, zero" ::: "memory");
	seen_satp[hart] = csr_read(satp);
	/* Write through the alias, read back through the identity map. */
	((volatile uint64_t *)ALIAS_VA)[hart] = ALIAS_MAGIC | hart;
	seen_alias[hart] = alias_page[hart];
	say("mboot: hart %lu paging on", hart);
}

/* Every S-mode trap lands here (through s_trapvec); only ticks are expected. */
void s_trap(void)
{
	unsigned long scause = csr_read(scause);
	if (scause == (SCAUSE_IRQ | IRQ_S_SOFT)) {
		csr_clear(sip, SIP_SSIP);
		ticks[hart_id()]++;
		return;
	}
	struct line l = {.n = 0};
	put_str(&l, scause & SCAUSE_IRQ ? "FAIL unexpected-interrupt: " : "FAIL unexpected-exception: ");
	put_str(&l, "scause 0x");
	put_num(&l, scause, 16);
	put_str(&l, " sepc 0x");
	put_num(&l, csr_read(sepc), 16);
	put_str(&l, " stval 0x");
	put_num(&l, csr_read(stval), 16);
	put_str(&l, " on hart ");
	put_num(&l, hart_id(), 10);
	emit(&l, false);
	power_off();
}

static bool all_done(void)
{
	for (int h = 0; h < NHARTS; h++)
		if (!ticks_done[h])
			return false;
	return true;
}

/* Hart 0, once every hart has its ticks (or time is up). */
__attribute__((noreturn)) static void report(void)
{
	static const char *const names[NHARTS] = {"ticks-hart0", "ticks-hart1", "ticks-hart2"};
	uint64_t deadline = mtime() + WAIT_LIMIT;
	while (!all_done() && mtime() < deadline)
		wfi();
	for (int h = 0; h < NHARTS; h++)
		result(names[h], ticks_done[h] && ticks[h] >= TICKS_WANTED, "%lu ticks in %lu s",
		       ticks[h], WAIT_LIMIT / TIMEBASE);
	unsigned h = 0;
	while (h < NHARTS && seen_satp[h] == root_satp && seen_alias[h] == (ALIAS_MAGIC | h))
		h++;
	result("paging", h == NHARTS, "hart %u: satp 0x%lx (want 0x%lx), alias read 0x%lx", h,
	       seen_satp[h % NHARTS], root_satp, seen_alias[h % NHARTS]);
	say("mboot: %u passed, %u failed", passed, failed);
	power_off();
}

void s_main(void)
{
	unsigned long hart = hart_id();
	if (hart == 0) {
		unsigned long satp = build_page_table();
		__sync_synchronize();
		root_satp = satp;
	}
	while (!root_satp)
		;
	__sync_synchronize();
	paging_on(hart, root_satp);
	csr_write(stvec, (unsigned long)s_trapvec);
	csr_set(sstatus, SSTATUS_SIE);
	while (ticks[hart] < TICKS_WANTED)
		wfi();
	say("mboot: hart %lu %u ticks", hart, TICKS_WANTED);
	ticks_done[hart] = true;
	if (hart == 0)
		report();
	for (;;)
		wfi();
}
