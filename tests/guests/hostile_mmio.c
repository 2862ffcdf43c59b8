/*
 * Every width (1, 2, 4, 8 bytes) and misalignment on every device the VM
 * has, and accesses and instruction fetches at and beyond the end of RAM.
 *
 * Where a device defines a width, the access must do what the register
 * says (WARL fields read back a legal value); where it does not, or the
 * access is misaligned, it must raise an access fault in the guest (load 5,
 * store/AMO 7, stval = the address, sepc = the access, a load's register
 * untouched) and change nothing.  The widths each device takes:
 *   16550 UART      bytes (PC16550D: 8-bit registers)
 *   PLIC            32-bit words (PLIC spec, "Memory Map")
 *   CLINT           MSIP 32-bit, MTIMECMP and MTIME 32 or 64-bit (ACLINT spec)
 *   sifive,test     16 and 32-bit (as QEMU's: other sizes are bus errors);
 *                   reads give 0, only a write to offset 0 acts
 *   virtio-mmio     control registers 32-bit (virtio 1.2 §4.2.2); device
 *                   config any width up to 8 (modern) or 4 (legacy)
 * No device takes an AMO or LR.
 */
#include "hostile.h"

#define PLIC_PRIO(irq) (PLIC + 4 * (irq))
#define PLIC_PENDING (PLIC + 0x1000)
#define PLIC_ENABLE(ctx, word) (PLIC + 0x2000 + 0x80 * (ctx) + 4 * (word))
#define PLIC_THRESHOLD(ctx) (PLIC + 0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx) (PLIC_THRESHOLD(ctx) + 4)
#define PLIC_S_CTX (2 * hart_id() + 1) /* this hart's S-mode context */
#define CLINT_MSIP0 CLINT
#define CLINT_MTIMECMP0 (CLINT + 0x4000)
#define CLINT_MTIME (CLINT + 0xbff8)
#define UART_LSR (UART + 5)
#define UART_SCR (UART + 7)
#define VIRTIO_STATUS 0x070
#define VIRTIO_MAGIC 0x74726976

/* ---- single accesses */

bool try_load(unsigned long addr, int width, unsigned long *val, unsigned long *pc)
{
	unsigned long v = POISON, p;
	fault_reset();
	switch (width) {
	case 1:
		asm volatile("lla %1, 1f\n1:\tlbu %0, 0(%2)" : "+r"(v), "=&r"(p) : "r"(addr) : "memory");
		break;
	case 2:
		asm volatile("lla %1, 1f\n1:\tlhu %0, 0(%2)" : "+r"(v), "=&r"(p) : "r"(addr) : "memory");
		break;
	case 4:
		asm volatile("lla %1, 1f\n1:\tlwu %0, 0(%2)" : "+r"(v), "=&r"(p) : "r"(addr) : "memory");
		break;
	default:
		asm volatile("lla %1, 1f\n1:\tld %0, 0(%2)" : "+r"(v), "=&r"(p) : "r"(addr) : "memory");
		break;
	}
	*val = v;
	if (pc)
		*pc = p;
	return fault.count != 0;
}

bool try_store(unsigned long addr, int width, unsigned long val, unsigned long *pc)
{
	unsigned long p;
	fault_reset();
	switch (width) {
	case 1:
		asm volatile("lla %0, 1f\n1:\tsb %1, 0(%2)" : "=&r"(p) : "r"(val), "r"(addr) : "memory");
		break;
	case 2:
		asm volatile("lla %0, 1f\n1:\tsh %1, 0(%2)" : "=&r"(p) : "r"(val), "r"(addr) : "memory");
		break;
	case 4:
		asm volatile("lla %0, 1f\n1:\tsw %1, 0(%2)" : "=&r"(p) : "r"(val), "r"(addr) : "memory");
		break;
	default:
		asm volatile("lla %0, 1f\n1:\tsd %1, 0(%2)" : "=&r"(p) : "r"(val), "r"(addr) : "memory");
		break;
	}
	if (pc)
		*pc = p;
	return fault.count != 0;
}

void expect_trap(const char *what, unsigned long cause, unsigned long tval, unsigned long pc)
{
	if (fault.count != 1 || fault.scause != cause || fault.stval != tval || fault.sepc != pc)
		check_why("%s: %lu trap(s), scause %lu stval 0x%lx sepc 0x%lx; want scause %lu "
			  "stval 0x%lx sepc 0x%lx",
			  what, fault.count, fault.scause, fault.stval, fault.sepc, cause, tval,
			  pc);
	fault_reset();
}

/* A load that must complete: its value (the first problem noted). */
static unsigned long rd(unsigned long addr, int width)
{
	unsigned long v, pc;
	if (try_load(addr, width, &v, &pc))
		check_why("%d-byte load at 0x%lx faulted (scause %lu)", width, addr, fault.scause);
	fault_reset();
	return v;
}

static void wr(unsigned long addr, int width, unsigned long val)
{
	unsigned long pc;
	if (try_store(addr, width, val, &pc))
		check_why("%d-byte store at 0x%lx faulted (scause %lu)", width, addr, fault.scause);
	fault_reset();
}

static void expect_rd(unsigned long addr, int width, unsigned long want)
{
	unsigned long got = rd(addr, width);
	if (got != want)
		check_why("%d-byte load at 0x%lx read 0x%lx, want 0x%lx", width, addr, got, want);
}

/* Loads and stores of width at addr must each raise an access fault. */
static void expect_load_fault(unsigned long addr, int width)
{
	char what[48];
	unsigned long v, pc;
	try_load(addr, width, &v, &pc);
	snprintf(what, sizeof(what), "%d-byte load at 0x%lx", width, addr);
	expect_trap(what, EXC_LOAD_ACCESS, addr, pc);
	if (v != POISON)
		check_why("%s wrote 0x%lx to its register", what, v);
}

static void expect_store_fault(unsigned long addr, int width, unsigned long val)
{
	char what[48];
	unsigned long pc;
	try_store(addr, width, val, &pc);
	snprintf(what, sizeof(what), "%d-byte store at 0x%lx", width, addr);
	expect_trap(what, EXC_STORE_ACCESS, addr, pc);
}

static void expect_faults(unsigned long addr, int width, unsigned long val)
{
	expect_load_fault(addr, width);
	expect_store_fault(addr, width, val);
}

/* ---- 16550: byte registers only */

static void test_uart(void)
{
	check_begin();
	wr(UART_SCR, 1, 0xa5);
	expect_rd(UART_SCR, 1, 0xa5);
	wr(UART_SCR, 1, 0x5a);
	expect_rd(UART_SCR, 1, 0x5a);
	if ((rd(UART_LSR, 1) & 0x60) != 0x60)
		check_why("LSR says the transmitter is busy");
	check_end("uart-bytes");

	check_begin();
	/* aligned and not: every width but 1 faults, and the scratch byte
	 * (inside each access) keeps its value */
	expect_faults(UART + 6, 2, 0x1111);
	expect_faults(UART + 4, 4, 0x22222222);
	expect_faults(UART, 8, 0x3333333333333333UL);
	expect_faults(UART + 7, 2, 0x4444);
	expect_faults(UART + 5, 4, 0x55555555);
	expect_faults(UART + 3, 8, 0x6666666666666666UL);
	expect_rd(UART_SCR, 1, 0x5a);
	check_end("uart-wide");
}

/* ---- PLIC: 32-bit registers */

static void test_plic(void)
{
	unsigned long prio = PLIC_PRIO(UART_IRQ);
	check_begin();
	wr(prio, 4, 3);
	expect_rd(prio, 4, 3);
	wr(prio, 4, 0xffffffff);
	if (rd(prio, 4) > 7) /* WARL: a legal priority, QEMU virt has 7 */
		check_why("priority 0x%lx after writing ~0", rd(prio, 4));
	wr(prio, 4, 3);
	wr(PLIC_PRIO(0), 4, 5);
	expect_rd(PLIC_PRIO(0), 4, 0); /* source 0 does not exist */
	wr(PLIC_PRIO(96), 4, 5);
	expect_rd(PLIC_PRIO(96), 4, 0); /* nor do sources past riscv,ndev = 95 */
	wr(PLIC_PENDING, 4, 0xffffffff);
	expect_rd(PLIC_PENDING, 4, 0); /* read-only, and nothing is pending */
	wr(PLIC_ENABLE(PLIC_S_CTX, 2), 4, 0xffffffff);
	expect_rd(PLIC_ENABLE(PLIC_S_CTX, 2), 4, 0xffffffff); /* sources 64..95 */
	wr(PLIC_ENABLE(PLIC_S_CTX, 2), 4, 0);
	expect_rd(PLIC_ENABLE(PLIC_S_CTX, 2), 4, 0);
	wr(PLIC_ENABLE(PLIC_S_CTX, 3), 4, 0xffffffff);
	expect_rd(PLIC_ENABLE(PLIC_S_CTX, 3), 4, 0); /* 96..127: none */
	wr(PLIC_THRESHOLD(PLIC_S_CTX), 4, 0xffffffff);
	if (rd(PLIC_THRESHOLD(PLIC_S_CTX), 4) > 7)
		check_why("threshold 0x%lx after writing ~0", rd(PLIC_THRESHOLD(PLIC_S_CTX), 4));
	wr(PLIC_THRESHOLD(PLIC_S_CTX), 4, 0);
	expect_rd(PLIC_CLAIM(PLIC_S_CTX), 4, 0); /* nothing to claim */
	wr(PLIC_CLAIM(PLIC_S_CTX), 4, UART_IRQ); /* completing what was never claimed */
	wr(PLIC_CLAIM(PLIC_S_CTX), 4, 1000);
	expect_rd(PLIC_CLAIM(PLIC_S_CTX), 4, 0);
	check_end("plic-words");

	check_begin();
	expect_faults(prio, 1, 7);
	expect_faults(prio, 2, 7);
	expect_faults(prio, 8, 7);
	expect_faults(prio + 1, 4, 7);
	expect_faults(prio + 2, 4, 7);
	expect_faults(PLIC_CLAIM(PLIC_S_CTX) + 2, 2, UART_IRQ);
	expect_faults(PLIC_THRESHOLD(PLIC_S_CTX), 8, 7);
	expect_rd(prio, 4, 3);
	expect_rd(PLIC_THRESHOLD(PLIC_S_CTX), 4, 0);
	check_end("plic-wide");

	/* AMOs and LR: no device takes them (store/AMO and load access faults) */
	check_begin();
	unsigned long v = POISON, pc;
	fault_reset();
	asm volatile("lla %1, 1f\n1:\tamoadd.w %0, %3, (%2)"
		     : "+r"(v), "=&r"(pc)
		     : "r"(prio), "r"(4UL)
		     : "memory");
	expect_trap("amoadd.w", EXC_STORE_ACCESS, prio, pc);
	asm volatile("lla %1, 1f\n1:\tlr.w %0, (%2)" : "+r"(v), "=&r"(pc) : "r"(prio) : "memory");
	expect_trap("lr.w", EXC_LOAD_ACCESS, prio, pc);
	if (v != POISON)
		check_why("a faulting AMO or LR wrote 0x%lx to its register", v);
	expect_rd(prio, 4, 3);
	check_end("plic-amo");
}

/* ---- CLINT (ACLINT MSWI and MTIMER) */

static void test_clint(void)
{
	check_begin();
	wr(CLINT_MSIP0, 4, 0xfffffffe);
	expect_rd(CLINT_MSIP0, 4, 0); /* bits 31:1 are zero */
	wr(CLINT_MTIMECMP0, 8, 0x1122334455667788UL);
	expect_rd(CLINT_MTIMECMP0, 8, 0x1122334455667788UL);
	wr(CLINT_MTIMECMP0 + 4, 4, 0xffffffff);
	expect_rd(CLINT_MTIMECMP0, 8, 0xffffffff55667788UL);
	wr(CLINT_MTIMECMP0, 4, 0xffffffff);
	expect_rd(CLINT_MTIMECMP0 + 4, 4, 0xffffffff);
	unsigned long t0 = rdtime(), mtime = rd(CLINT_MTIME, 8), t1 = rdtime();
	if (mtime < t0 || mtime > t1)
		check_why("mtime 0x%lx outside the time CSR's 0x%lx..0x%lx", mtime, t0, t1);
	check_end("clint-regs");

	/* The time is the machine's: a VM's write must not move it. */
	check_begin();
	t0 = rdtime();
	wr(CLINT_MTIME, 8, 0);
	wr(CLINT_MTIME + 4, 4, 0);
	mtime = rd(CLINT_MTIME, 8);
	if (mtime < t0 || rdtime() < t0)
		check_why("mtime went from 0x%lx to 0x%lx (time CSR 0x%lx)", t0, mtime, rdtime());
	check_end("clint-mtime-shared");

	check_begin();
	expect_faults(CLINT_MSIP0, 1, 1);
	expect_faults(CLINT_MSIP0, 2, 1);
	expect_faults(CLINT_MSIP0, 8, 1);
	expect_faults(CLINT_MSIP0 + 2, 4, 1);
	expect_faults(CLINT_MTIMECMP0, 1, 0);
	expect_faults(CLINT_MTIMECMP0 + 2, 2, 0);
	expect_faults(CLINT_MTIMECMP0 + 4, 8, 0);
	expect_faults(CLINT_MTIMECMP0 + 2, 4, 0);
	expect_load_fault(CLINT_MTIME + 1, 8);
	expect_rd(CLINT_MSIP0, 4, 0);
	expect_rd(CLINT_MTIMECMP0, 8, ~0UL);
	check_end("clint-wide");
}

/* ---- sifive,test: as QEMU's finisher, which powers off on 0x5555 at offset 0 */

static void test_finisher(void)
{
	check_begin();
	expect_rd(TESTDEV, 2, 0);
	expect_rd(TESTDEV, 4, 0);
	expect_rd(TESTDEV + 0x800, 4, 0);
	wr(TESTDEV, 4, 0x1234);     /* not a command */
	wr(TESTDEV, 2, 0x4321);
	wr(TESTDEV + 4, 4, 0x5555); /* a command, but not at offset 0 */
	wr(TESTDEV + 2, 2, 0x5555);
	check_end("finisher-regs");

	/* Sizes the device does not take, and misaligned ones, must not act
	 * (the VM is still here to say so) */
	check_begin();
	expect_faults(TESTDEV, 1, 0x55);
	expect_faults(TESTDEV, 8, 0x5555);
	expect_faults(TESTDEV + 2, 4, 0x5555);
	expect_faults(TESTDEV + 1, 2, 0x5555);
	check_end("finisher-wide");
}

/* ---- virtio-mmio: the slots this VM has */

static void test_virtio_slot(unsigned long base)
{
	char name[48];
	check_begin();
	unsigned long version = rd(base + 4, 4), id = rd(base + 8, 4);
	printf("hostile: virtio-mmio at 0x%lx: version %lu, device %lu\n", base, version, id);
	expect_rd(base, 4, VIRTIO_MAGIC);
	if (version != 1 && version != 2)
		check_why("version %lu", version);
	wr(base + VIRTIO_STATUS, 4, 0);
	expect_rd(base + VIRTIO_STATUS, 4, 0);
	expect_faults(base, 1, 0);
	expect_faults(base, 2, 0);
	expect_faults(base, 8, 0);
	expect_faults(base + 2, 4, 0);
	expect_faults(base + VIRTIO_STATUS, 1, 1);
	expect_faults(base + VIRTIO_STATUS + 2, 2, 1);
	expect_faults(base + VIRTIO_STATUS, 8, 1);
	expect_faults(base + VIRTIO_STATUS + 1, 4, 1);
	expect_rd(base + VIRTIO_STATUS, 4, 0);
	snprintf(name, sizeof(name), "virtio@%lx-regs", base);
	check_end(name);

	if (id != 1)
		return;
	/* virtio-net's config space starts with its MAC: every width agrees */
	check_begin();
	unsigned long cfg = base + 0x100, bytes = 0;
	for (int i = 0; i < 8; i++)
		bytes |= rd(cfg + i, 1) << (8 * i);
	for (int w = 2; w <= 8; w *= 2)
		for (int off = 0; off < 8; off += w) {
			unsigned long want = bytes >> (8 * off);
			if (w < 8)
				want &= (1UL << (8 * w)) - 1;
			if (w == 8 && version == 1)
				expect_load_fault(cfg, 8); /* legacy config: up to 4 bytes */
			else
				expect_rd(cfg + off, w, want);
		}
	if ((bytes & 0xffffffffffffUL) == 0)
		check_why("MAC address 0");
	snprintf(name, sizeof(name), "virtio@%lx-config", base);
	check_end(name);
}

static void test_virtio(void)
{
	for (unsigned long base = 0x10001000; base <= 0x10008000; base += 0x1000) {
		unsigned long v, pc;
		/* an empty address: no device, just an access fault */
		if (try_load(base, 4, &v, &pc)) {
			fault_reset();
			continue;
		}
		test_virtio_slot(base);
	}
}

/* ---- the end of RAM: nothing lies beyond it */

static bool fetch_fault(struct trap_frame *f)
{
	fault.scause = f->scause;
	fault.stval = f->stval;
	fault.sepc = f->sepc;
	fault.count++;
	f->sepc = f->regs[1]; /* back to the caller of the jump (ra) */
	return true;
}

static void try_fetch(unsigned long addr)
{
	fault_reset();
	trap_on_exception(fetch_fault);
	asm volatile("jalr %0" ::"r"(addr) : "ra", "memory");
	fault_catch(true);
}

/* A fault at addr that may be reported at the start of the access or at
 * the part of it that lies beyond RAM (privileged spec: stval for a
 * misaligned or straddling access), or as misaligned (cause alt). */
static void expect_straddle(const char *what, unsigned long cause, unsigned long alt,
			    unsigned long addr, unsigned long pc)
{
	if (fault.count != 1 || (fault.scause != cause && fault.scause != alt) ||
	    fault.stval < addr || fault.stval > ram_end || fault.sepc != pc)
		check_why("%s: %lu trap(s), scause %lu stval 0x%lx sepc 0x%lx", what, fault.count,
			  fault.scause, fault.stval, fault.sepc);
	fault_reset();
}

static void test_ram_end(void)
{
	unsigned long v, pc, last = ram_end - 4;
	check_begin();
	unsigned long word = rd(last, 4);
	try_load(last, 8, &v, &pc);
	expect_straddle("ld across the end", EXC_LOAD_ACCESS, 4, last, pc);
	if (v != POISON)
		check_why("the straddling ld wrote 0x%lx to its register", v);
	/* the half inside RAM gets what it holds, whatever a partial store does */
	try_store(last, 8, word | 0xdead000000000000UL, &pc);
	expect_straddle("sd across the end", EXC_STORE_ACCESS, 6, last, pc);
	expect_rd(last, 4, word);
	expect_faults(ram_end, 1, 0xff);
	expect_faults(ram_end, 8, ~0UL);
	v = POISON;
	asm volatile("lla %1, 1f\n1:\tamoswap.d %0, %3, (%2)"
		     : "+r"(v), "=&r"(pc)
		     : "r"(ram_end), "r"(~0UL)
		     : "memory");
	expect_trap("amoswap.d", EXC_STORE_ACCESS, ram_end, pc);
	asm volatile("lla %1, 1f\n1:\tlr.d %0, (%2)"
		     : "+r"(v), "=&r"(pc)
		     : "r"(ram_end)
		     : "memory");
	expect_trap("lr.d", EXC_LOAD_ACCESS, ram_end, pc);
	if (v != POISON)
		check_why("a faulting AMO or LR wrote 0x%lx to its register", v);
	check_end("ram-end-access");

	/* Instruction fetches: beyond RAM, far away, from a device, and a
	 * 4-byte instruction whose second half lies beyond RAM */
	check_begin();
	try_fetch(ram_end);
	expect_trap("fetch at the end", EXC_INSN_ACCESS, ram_end, ram_end);
	try_fetch(OUTSIDE);
	expect_trap("fetch far away", EXC_INSN_ACCESS, OUTSIDE, OUTSIDE);
	try_fetch(UART);
	expect_trap("fetch from the UART", EXC_INSN_ACCESS, UART, UART);
	if (isa_has_h) {
		/* a bare hart: QEMU 7.2 aborts on this fetch (translator_access) */
		printf("hostile: fetch across the end of RAM skipped on a bare hart\n");
	} else {
		*(volatile uint16_t *)(ram_end - 2) = 0x0013; /* the first half of nop */
		asm volatile("fence.i" ::: "memory");
		try_fetch(ram_end - 2);
		expect_straddle("fetch across the end", EXC_INSN_ACCESS, EXC_INSN_ACCESS,
				ram_end - 2, ram_end - 2);
	}
	check_end("ram-end-fetch");
}

void test_mmio(void)
{
	fault_catch(true);
	test_ram_end();
	test_uart();
	test_plic();
	test_clint();
	test_finisher();
	test_virtio();
	fault_catch(false);
}
