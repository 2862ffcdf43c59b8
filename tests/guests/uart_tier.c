/*
 * uart_tier: what guest_exit's assembly tier answers (arch/riscv/switch.S)
 * must be what the device models and SBI would answer: the console UART's
 * LSR and SCR loads, SCR and THR stores, from and into every register it
 * can name, the loads its register window answers, and the SBI BASE and
 * TIME calls it takes; and whatever it passes on (error bits in LSR, DLAB,
 * loopback, other widths) still works.  Its own output goes through SBI;
 * the UART carries only the lines it sends through THR, and it counts its
 * UART accesses and window loads, which rvhv's exit statistics must match.
 */
#include "guest.h"

#define UART 0x10000000UL
#define RBR 0
#define THR 0
#define DLL 0
#define DLM 1
#define IER 1
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7
#define LSR_IDLE 0x60 /* THRE | TEMT */
#define LSR_DR 0x01
#define LSR_OE 0x02

static unsigned long accesses; /* UART accesses that completed */
static unsigned long window_loads; /* those its register window must answer */

static unsigned char rd(unsigned long reg)
{
	unsigned char v = *(volatile unsigned char *)(UART + reg);
	accesses++;
	return v;
}

/* A read of a register the model publishes (uart16550_publish) */
static unsigned char rdw(unsigned long reg)
{
	window_loads++;
	return rd(reg);
}

static void wr(unsigned long reg, unsigned char v)
{
	*(volatile unsigned char *)(UART + reg) = v;
	accesses++;
}

/*
 * SCR written from register R and read back into R (sb R / lbu R, then
 * lb R), in one asm block so that R holds nothing of the compiler's.  The
 * tier's tables name every register; these are all a guest can give it
 * without losing its stack (sp) or runtime (gp, tp: checked apart).
 */
#define SCR_ROUND(R, val, lbu_out, lb_out)                                                  \
	asm volatile("mv " R ", %2\n\t"                                                   \
		     "sb " R ", 7(%3)\n\t"                                                \
		     "li " R ", -1\n\t"                                                   \
		     "lbu " R ", 7(%3)\n\t"                                               \
		     "mv %0, " R "\n\t"                                                   \
		     "li " R ", 0\n\t"                                                    \
		     "lb " R ", 7(%3)\n\t"                                                \
		     "mv %1, " R                                                          \
		     : "=&r"(lbu_out), "=&r"(lb_out)                                      \
		     : "r"(val), "r"(UART)                                                \
		     : R, "memory")

/*
 * The same through tp or gp, which the compiler cannot be told are
 * clobbered: saved in t0 and put back in the same asm block.  The value is
 * an immediate (li) and comes back as read by lbu.
 */
#define SCR_THROUGH_RESERVED(R)                                                         \
	static unsigned long scr_through_reserved_##R(unsigned long val)                \
	{                                                                               \
		unsigned long got;                                                      \
		asm volatile("mv t0, " #R "\n\tmv " #R ", %1\n\tsb " #R ", 7(%2)\n\t"  \
			     "li " #R ", 0\n\tlbu " #R ", 7(%2)\n\tmv %0, " #R "\n\t"   \
			     "mv " #R ", t0"                                             \
			     : "=&r"(got)                                               \
			     : "r"(val), "r"(UART)                                      \
			     : "t0", "memory");                                         \
		accesses += 2;                                                          \
		return got;                                                             \
	}
SCR_THROUGH_RESERVED(tp)
SCR_THROUGH_RESERVED(gp)

static void check_one(const char *name, unsigned long val, unsigned long lbu, unsigned long lb)
{
	unsigned long want = val & 0xff;
	unsigned long want_lb = want >= 0x80 ? want | ~0xffUL : want;
	if (lbu != want || lb != want_lb)
		check_why("%s: wrote 0x%lx, lbu read 0x%lx (want 0x%lx), lb 0x%lx (want 0x%lx)", name,
			  val, lbu, want, lb, want_lb);
	accesses += 3;
}

#define ROUND(R, v)                                    \
	do {                                           \
		unsigned long lbu_, lb_;               \
		SCR_ROUND(R, (v), lbu_, lb_);          \
		check_one(R, (v), lbu_, lb_);          \
	} while (0)

static void check_registers(void)
{
	check_begin();
	ROUND("ra", 0x101);
	ROUND("t0", 0x1f2);
	ROUND("t1", 0x83);
	ROUND("t2", 0x7e);
	ROUND("s0", 0xc5);
	ROUND("s1", 0x16);
	ROUND("a0", 0xa0);
	ROUND("a1", 0x8a1);
	ROUND("a2", 0x32);
	ROUND("a3", 0xf3);
	ROUND("a4", 0x44);
	ROUND("a5", 0x95);
	ROUND("a6", 0x26);
	ROUND("a7", 0xb7);
	ROUND("s2", 0x52);
	ROUND("s3", 0xe3);
	ROUND("s4", 0x54);
	ROUND("s5", 0x85);
	ROUND("s6", 0x56);
	ROUND("s7", 0xd7);
	ROUND("s8", 0x58);
	ROUND("s9", 0x99);
	ROUND("s10", 0x5a);
	ROUND("s11", 0xfb);
	ROUND("t3", 0x3c);
	ROUND("t4", 0x8d);
	ROUND("t5", 0x3e);
	ROUND("t6", 0xff);
	check_end("scr-every-register");

	/* x0: a store of zero, and a load that changes nothing */
	check_begin();
	unsigned long got;
	wr(SCR, 0x77);
	asm volatile("sb zero, 7(%0)\n\tlbu zero, 7(%0)" ::"r"(UART) : "memory");
	accesses += 2;
	if ((got = rd(SCR)) != 0)
		check_why("SCR 0x%lx after sb zero, want 0", got);
	/* tp and gp, put back at once (the runtime keeps the hart id in tp) */
	if ((got = scr_through_reserved_tp(0x6d)) != 0x6d)
		check_why("through tp: 0x%lx, want 0x6d", got);
	if ((got = scr_through_reserved_gp(0x4b)) != 0x4b)
		check_why("through gp: 0x%lx, want 0x4b", got);
	check_end("scr-x0-tp-gp");
}

/* LSR: idle; DR while a byte waits (loopback puts one there); an overrun
 * (FIFOs off, two bytes) sets OE, which one read returns and clears. */
static void check_lsr(void)
{
	unsigned v;
	check_begin();
	if ((v = rd(LSR)) != LSR_IDLE)
		check_why("idle LSR 0x%x, want 0x%x", v, LSR_IDLE);
	wr(MCR, 0x10); /* loopback */
	wr(THR, 'x');
	if ((v = rd(LSR)) != (LSR_IDLE | LSR_DR))
		check_why("LSR 0x%x with a byte waiting, want 0x%x", v, LSR_IDLE | LSR_DR);
	if ((v = rd(RBR)) != 'x')
		check_why("looped back 0x%x, want 'x'", v);
	if ((v = rd(LSR)) != LSR_IDLE)
		check_why("LSR 0x%x after RBR, want 0x%x", v, LSR_IDLE);
	wr(FCR, 0x00); /* FIFOs off: a one-byte holding register */
	wr(THR, 'y');
	wr(THR, 'z'); /* lost: overrun */
	if ((v = rd(LSR)) != (LSR_IDLE | LSR_DR | LSR_OE))
		check_why("LSR 0x%x after an overrun, want 0x%x", v, LSR_IDLE | LSR_DR | LSR_OE);
	if ((v = rd(LSR)) != (LSR_IDLE | LSR_DR))
		check_why("LSR 0x%x read again, want OE cleared: 0x%x", v, LSR_IDLE | LSR_DR);
	if ((v = rd(RBR)) != 'y')
		check_why("kept 0x%x, want 'y'", v);
	wr(MCR, 0x00);
	check_end("lsr");
}

/* With DLAB set the THR offset is the divisor latch: nothing is sent. */
static void check_dlab(void)
{
	unsigned v;
	check_begin();
	wr(LCR, 0x83);
	wr(DLL, 0x2a);
	if ((v = rdw(DLL)) != 0x2a)
		check_why("DLL 0x%x, want 0x2a", v);
	wr(LCR, 0x03);
	if ((v = rdw(LCR)) != 0x03)
		check_why("LCR 0x%x, want 0x03", v);
	check_end("dlab");
}

#define EXPECT(what, got, want)                                                            \
	do {                                                                                \
		long g_ = (got), w_ = (want);                                               \
		if (g_ != w_)                                                               \
			check_why("%s: 0x%lx, want 0x%lx", what, g_, w_);                   \
	} while (0)

/*
 * The registers whose reads change nothing come from the UART's register
 * window (switch.S: uart_window), which must follow the model: IER, MCR,
 * LCR, DLL/DLM by DLAB, MSR once its delta bits are read, the zeros past
 * the registers; lb sign-extends.  MSR with deltas is the model's.
 */
static void check_window(void)
{
	long s;
	check_begin();
	wr(IER, 0x05);
	EXPECT("IER", rdw(IER), 0x05);
	wr(IER, 0x00);
	EXPECT("IER cleared", rdw(IER), 0x00);
	wr(MCR, 0x10); /* loopback: the modem inputs drop, with deltas */
	EXPECT("MSR with deltas", rd(MSR), 0x0b);
	EXPECT("MSR in loopback", rdw(MSR), 0x00);
	EXPECT("MCR", rdw(MCR), 0x10);
	wr(MCR, 0x00);
	EXPECT("MSR with deltas again", rd(MSR), 0xbb);
	EXPECT("MSR", rdw(MSR), 0xb0);
	EXPECT("MCR cleared", rdw(MCR), 0x00);
	wr(LCR, 0x83);
	wr(DLL, 0xaa);
	wr(DLM, 0x12);
	asm volatile("lb %0, 0(%1)" : "=r"(s) : "r"(UART) : "memory");
	accesses++;
	window_loads++;
	EXPECT("lb DLL", s, -0x56);
	EXPECT("lbu DLL", rdw(DLL), 0xaa);
	EXPECT("DLM", rdw(DLM), 0x12);
	EXPECT("LCR with DLAB", rdw(LCR), 0x83);
	wr(LCR, 0x03);
	EXPECT("IER after DLAB", rdw(IER), 0x00);
	EXPECT("past the registers", rdw(0x10), 0);
	EXPECT("the window's end", rdw(0xff), 0);
	check_end("window");
}

static void send(const char *s)
{
	for (; *s; s++) {
		while (!(rd(LSR) & 0x20))
			;
		wr(THR, *s);
	}
}

/* Other widths are not the 16550's: an access fault, as before the tier. */
static void check_widths(void)
{
	check_begin();
	fault_reset();
	fault_catch(true);
	unsigned long v = 0;
	asm volatile("lh %0, 4(%1)" : "=r"(v) : "r"(UART) : "memory");
	if (fault.count != 1 || fault.scause != EXC_LOAD_ACCESS)
		check_why("lh: %lu faults, scause %lu", fault.count, fault.scause);
	fault_reset();
	asm volatile("sh %0, 6(%1)" ::"r"(v), "r"(UART) : "memory");
	if (fault.count != 1 || fault.scause != EXC_STORE_ACCESS)
		check_why("sh: %lu faults, scause %lu", fault.count, fault.scause);
	fault_catch(false);
	fault_reset();
	check_end("other-widths-fault");
}

static volatile int ticks;

static bool on_timer(struct trap_frame *f)
{
	if (f->scause != (SCAUSE_IRQ | IRQ_S_TIMER))
		return false;
	ticks++;
	sbi_ecall(SBI_EXT_TIME, 0, ~0UL, 0, 0, 0);
	return true;
}

static void check_sbi(void)
{
	check_begin();
	struct sbiret r = sbi_get_spec_version();
	if (r.error || r.value != (long)RVHV_SBI_SPEC_VERSION)
		check_why("spec version %ld/0x%lx", r.error, r.value);
	r = sbi_get_impl_id();
	if (r.error || r.value != RVHV_SBI_IMPL_ID)
		check_why("impl id %ld/0x%lx", r.error, r.value);
	r = sbi_get_impl_version();
	if (r.error || r.value != RVHV_SBI_IMPL_VERSION)
		check_why("impl version %ld/0x%lx", r.error, r.value);
	for (unsigned long fid = 4; fid <= 6; fid++) {
		r = sbi_ecall(SBI_EXT_BASE, fid, 0, 0, 0, 0);
		if (r.error || r.value != 0)
			check_why("BASE %lu: %ld/0x%lx, want 0/0", fid, r.error, r.value);
	}
	if (sbi_probe(SBI_EXT_TIME) == 0 || sbi_probe(0x12345678) != 0)
		check_why("probe_extension: TIME %ld, 0x12345678 %ld", sbi_probe(SBI_EXT_TIME),
			  sbi_probe(0x12345678));
	r = sbi_ecall(SBI_EXT_BASE, 7, 0, 0, 0, 0);
	if (r.error != SBI_ERR_NOT_SUPPORTED)
		check_why("BASE 7: %ld, want NOT_SUPPORTED", r.error);
	/* set_timer: a deadline due now interrupts; the handler's far one stops it */
	trap_on_interrupt(on_timer);
	csr_set(sie, SIE_STIE);
	r = sbi_ecall(SBI_EXT_TIME, 0, 0, 0, 0, 0);
	csr_set(sstatus, SSTATUS_SIE);
	for (int i = 0; i < 100000 && ticks < 2; i++)
		;
	csr_clear(sstatus, SSTATUS_SIE);
	csr_clear(sie, SIE_STIE);
	trap_on_interrupt(NULL);
	if (r.error || ticks != 1)
		check_why("set_timer(0): %ld, %d timer interrupts, want 1", r.error, ticks);
	check_end("sbi");
}

int main(unsigned long hartid, const void *dtb)
{
	(void)dtb;
	console_init();
	printf("uart_tier: hart %lu\n", hartid);
	check_registers();
	check_lsr();
	check_dlab();
	check_window();
	check_widths();
	send("uart_tier: sent through THR\n");
	wr(IER, 0x02); /* ETBEI: THR writes re-arm THRE, the model takes them */
	send("uart_tier: sent with ETBEI\n");
	wr(IER, 0x00);
	check_sbi();
	printf("uart_tier: %lu accesses, %lu from the register window\n", accesses, window_loads);
	finish("uart_tier");
}
