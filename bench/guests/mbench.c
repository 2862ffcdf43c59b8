/*
 * mbench: the machine-mode benchmarks, for rvhv's virtual M-mode
 * (`boot = "machine"`, as xv6 runs) and natively under QEMU's -bios none.
 * One hart; the console is the 16550, polled; same output lines as bench.c:
 *
 *   bench <name> <iterations> <instructions per op> <virtual ns per op>
 *
 *   vm-timer-irq    a store to the CLINT's mtimecmp that makes the timer due
 *                   to the first instruction of the M-mode handler (MTI)
 *   vm-csr-read     csrr mscratch (an M-level CSR: emulated under rvhv)
 *   vm-mtime-read   ld of the CLINT's mtime (rvhv's CLINT model)
 */
#include "guest.h"

#define REPS 3
#define N_LOOP 2000
#define N_IRQ 25

#define UART0 0x10000000UL
#define UART_LSR 5
#define LSR_THRE 0x20
#define CLINT_MTIMECMP0 0x02004000UL
#define CLINT_MTIME 0x0200bff8UL
#define TEST_DEV 0x100000UL
#define TEST_POWEROFF 0x5555
#define TIMEBASE 10000000L /* QEMU virt's CLINT */
#define MIE_MTIE (1UL << 7)
#define MCAUSE_MTI ((1UL << 63) | 7)

typedef unsigned long (*loop_fn)(unsigned long n, unsigned long addr, unsigned long val,
				 unsigned long out[2]);
unsigned long loop_empty(unsigned long, unsigned long, unsigned long, unsigned long *);
unsigned long loop_ld(unsigned long, unsigned long, unsigned long, unsigned long *);
unsigned long loop_mscratch(unsigned long, unsigned long, unsigned long, unsigned long *);
unsigned long irq_store_dword(unsigned long addr, unsigned long val);
void m_main(void);

static void uart_putc(char c)
{
	volatile uint8_t *uart = (volatile uint8_t *)UART0;
	while (!(uart[UART_LSR] & LSR_THRE))
		;
	uart[0] = c;
}

static void print(const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (const char *p = buf; *p; p++)
		uart_putc(*p);
}

/* dinstr instructions and ns100 hundredths of a virtual ns for n operations */
static void report(const char *name, unsigned long n, long dinstr, long ns100)
{
	long i = dinstr * 100 / (long)n, t = ns100 / (long)n;
	print("bench %s %lu %s%ld.%02ld %s%ld.%02ld\n", name, n, i < 0 ? "-" : "",
	      (i < 0 ? -i : i) / 100, (i < 0 ? -i : i) % 100, t < 0 ? "-" : "",
	      (t < 0 ? -t : t) / 100, (t < 0 ? -t : t) % 100);
}

static void bench_loop(const char *name, loop_fn fn, unsigned long addr, unsigned long n)
{
	unsigned long best = ~0UL, best_t = ~0UL, base = ~0UL, base_t = ~0UL, out[2];
	for (int r = 0; r < REPS; r++) {
		unsigned long d = fn(n, addr, 0, out);
		if (d < best)
			best = d, best_t = out[0];
		d = loop_empty(n, addr, 0, out);
		if (d < base)
			base = d, base_t = out[0];
	}
	report(name, n, (long)(best - base),
	       ((long)best_t - (long)base_t) * 100 * (1000000000L / TIMEBASE));
}

static void bench_timer_irq(void)
{
	unsigned long v[N_IRQ];
	int got = 0;
	volatile uint64_t *mtimecmp = (volatile uint64_t *)CLINT_MTIMECMP0;

	*mtimecmp = ~0UL;
	csr_set(mie, MIE_MTIE);
	for (int i = 0; i < N_IRQ; i++) {
		unsigned long d = irq_store_dword(CLINT_MTIMECMP0, 0);
		unsigned long mcause = csr_read(mcause);
		*mtimecmp = ~0UL; /* clears MTIP */
		if (mcause == MCAUSE_MTI)
			v[got++] = d;
	}
	csr_clear(mie, MIE_MTIE);
	if (!got) {
		print("benchinfo vm-timer-irq failed: no MTI taken\n");
		return;
	}
	for (int i = 1; i < got; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			unsigned long t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	/* one event: virtual ns = instructions under -icount shift=0 (the
	 * time CSR's 100 ns are too coarse) */
	report("vm-timer-irq", 1, (long)v[got / 2], (long)v[got / 2] * 100);
	print("benchinfo vm-timer-irq samples %d min %lu median %lu max %lu\n", got, v[0],
	      v[got / 2], v[got - 1]);
}

void m_main(void)
{
	unsigned long entry_time = csr_read(time);
	print("mbench: machine mode, hart 0\n");
	print("benchinfo entry-time %lu ticks\n", entry_time);
	bench_loop("vm-csr-read", loop_mscratch, 0, N_LOOP);
	bench_loop("vm-mtime-read", loop_ld, CLINT_MTIME, N_LOOP);
	bench_timer_irq();
	print("bench: done\n");
	*(volatile uint32_t *)TEST_DEV = TEST_POWEROFF;
	for (;;)
		wfi();
}
