/*
 * MMIO emulation through rvhv's test device ("rvhv,testdev", 4 KiB at
 * guest-physical 0x10010000): every RV64 load/store width, uncompressed
 * and compressed, sign extension, the device's own record of each access
 * (LAST, COUNT), and access faults for misaligned, read-only, reserved and
 * unmapped addresses.  Without the device (plain QEMU) every access
 * faults; the fault catcher stays armed so the guest always finishes.
 */
#include "guest.h"

#define DEV 0x10010000UL
#define DEV_LAST 0x10  /* width | write << 8 | offset << 16 */
#define DEV_COUNT 0x18 /* accesses to the scratch bytes 0x00..0x0f */
#define NEG 0x8182838485868788UL
#define POS 0x7172737475767778UL
#define SVAL 0x1122334455667788UL
#define POISON 0x5a5a5a5a5a5a5a5aUL

/*
 * Each access is one instruction labelled 1:, and pc gets its address so a
 * fault's sepc can be checked.  norvc forces the 4-byte encodings; the c.*
 * forms name the compressed ones explicitly (the assembler rejects
 * operands they cannot encode: x8..x15, scaled immediates).
 */
#define LOAD(insn, base, imm, val, pc)                                               \
	asm volatile(".option push\n\t.option norvc\n\tlla %1, 1f\n1:\t" insn " %0, %3(%2)\n\t" \
		     ".option pop"                                                   \
		     : "+r"(val), "=&r"(pc)                                          \
		     : "r"(base), "i"(imm)                                           \
		     : "memory")
#define STORE(insn, base, imm, val, pc)                                              \
	asm volatile(".option push\n\t.option norvc\n\tlla %0, 1f\n1:\t" insn " %1, %3(%2)\n\t" \
		     ".option pop"                                                   \
		     : "=&r"(pc)                                                     \
		     : "r"(val), "r"(base), "i"(imm)                                 \
		     : "memory")
/* c.lw/c.ld/c.sw/c.sd: data in a1, base in a0 (both in x8..x15). */
#define CLOAD(insn, base, imm, val, pc)                                              \
	do {                                                                         \
		register unsigned long b_ asm("a0") = (base);                        \
		register unsigned long v_ asm("a1") = (val);                         \
		asm volatile("lla %1, 1f\n1:\t" insn " %0, %3(%2)"                   \
			     : "+r"(v_), "=&r"(pc)                                   \
			     : "r"(b_), "i"(imm)                                     \
			     : "memory");                                            \
		(val) = v_;                                                          \
	} while (0)
#define CSTORE(insn, base, imm, val, pc)                                             \
	do {                                                                         \
		register unsigned long b_ asm("a0") = (base);                        \
		register unsigned long v_ asm("a1") = (val);                         \
		asm volatile("lla %0, 1f\n1:\t" insn " %1, %3(%2)"                   \
			     : "=&r"(pc)                                             \
			     : "r"(v_), "r"(b_), "i"(imm)                            \
			     : "memory");                                            \
	} while (0)
/* c.lwsp/c.ldsp/c.swsp/c.sdsp: sp points at the device for one
 * instruction; traps run on the trap stack (sscratch), so even a fault
 * there is safe.  t0 holds the real sp meanwhile. */
#define SPLOAD(insn, base, imm, val, pc)                                             \
	asm volatile("lla %1, 1f\n\tmv t0, sp\n\tmv sp, %2\n1:\t" insn " %0, %3(sp)\n\t" \
		     "mv sp, t0"                                                     \
		     : "+r"(val), "=&r"(pc)                                          \
		     : "r"(base), "i"(imm)                                           \
		     : "t0", "memory")
#define SPSTORE(insn, base, imm, val, pc)                                            \
	asm volatile("lla %0, 1f\n\tmv t0, sp\n\tmv sp, %2\n1:\t" insn " %1, %3(sp)\n\t" \
		     "mv sp, t0"                                                     \
		     : "=&r"(pc)                                                     \
		     : "r"(val), "r"(base), "i"(imm)                                 \
		     : "t0", "memory")

static unsigned long accesses; /* scratch accesses that completed */

/* After a scratch access (what: its role): did it complete?  Counts it. */
static bool completed(const char *what)
{
	if (fault.count) {
		check_why("%s: access fault scause %lu stval 0x%lx sepc 0x%lx", what,
			  fault.scause, fault.stval, fault.sepc);
		fault_reset();
		return false;
	}
	accesses++;
	return true;
}

/* Device registers outside the scratch area: not counted. */
static unsigned long reg_read(unsigned long off)
{
	unsigned long v = POISON, pc;
	LOAD("ld", DEV + off, 0, v, pc);
	if (fault.count) {
		check_why("reading register 0x%lx: scause %lu", off, fault.scause);
		fault_reset();
	}
	return v;
}

static void dev_write64(unsigned long off, unsigned long v)
{
	unsigned long pc;
	STORE("sd", DEV + off, 0, v, pc);
	completed("set-up sd");
}

static unsigned long dev_read64(unsigned long off)
{
	unsigned long v = POISON, pc;
	LOAD("ld", DEV + off, 0, v, pc);
	completed("read-back ld");
	return v;
}

static void expect_last(unsigned width, bool write, unsigned off)
{
	unsigned long want = width | (unsigned long)write << 8 | (unsigned long)off << 16;
	unsigned long got = reg_read(DEV_LAST);
	if (got != want)
		check_why("LAST 0x%lx after %s of %u bytes at 0x%x, want 0x%lx", got,
			  write ? "write" : "read", width, off, want);
}

/* The value a load of width bytes at off returns from the scratch word. */
static unsigned long field(unsigned long word, unsigned off, unsigned width, bool sign)
{
	unsigned bits = width * 8;
	unsigned long v = word >> (off % 8 * 8);
	if (bits == 64)
		return v;
	v &= (1UL << bits) - 1;
	if (sign && (v >> (bits - 1)))
		v |= ~0UL << bits;
	return v;
}

static void verify_load(unsigned long got, unsigned long word, unsigned off, unsigned width,
			bool sign)
{
	if (!completed("the load"))
		return;
	unsigned long want = field(word, off, width, sign);
	if (got != want)
		check_why("%u bytes at 0x%x read 0x%lx, want 0x%lx", width, off, got, want);
	expect_last(width, false, off);
}

/* Scratch word 0 holds NEG, word 1 holds POS. */
static void load_setup(void)
{
	check_begin();
	fault_reset();
	dev_write64(0, NEG);
	dev_write64(8, POS);
}

static void test_loads(void)
{
	unsigned long v, pc;

#define LOAD_CHECK(name, width, sign, MACRO, nbase, nimm, noff, pbase, pimm, poff) \
	load_setup();                                                              \
	v = POISON;                                                                \
	MACRO(name, nbase, nimm, v, pc);                                           \
	verify_load(v, NEG, noff, width, sign);                                    \
	v = POISON;                                                                \
	MACRO(name, pbase, pimm, v, pc);                                           \
	verify_load(v, POS, poff, width, sign);                                    \
	check_end(name);

	/* Immediates vary in sign and size so the decoder's imm handling is
	 * covered too; noff/poff are the offsets the accesses land on. */
	LOAD_CHECK("lb", 1, true, LOAD, DEV, 0, 0, DEV + 0x20, -0x13, 13);
	LOAD_CHECK("lbu", 1, false, LOAD, DEV, 7, 7, DEV, 9, 9);
	LOAD_CHECK("lh", 2, true, LOAD, DEV, 0, 0, DEV, 14, 14);
	LOAD_CHECK("lhu", 2, false, LOAD, DEV + 0x40, -0x3e, 2, DEV, 10, 10);
	LOAD_CHECK("lw", 4, true, LOAD, DEV, 0, 0, DEV, 12, 12);
	LOAD_CHECK("lwu", 4, false, LOAD, DEV, 4, 4, DEV + 8, 0, 8);
	LOAD_CHECK("ld", 8, true, LOAD, DEV, 0, 0, DEV + 0x800, -0x7f8, 8);
	LOAD_CHECK("c.lw", 4, true, CLOAD, DEV - 0x40, 0x40, 0, DEV, 12, 12);
	LOAD_CHECK("c.ld", 8, true, CLOAD, DEV - 0x80, 0x80, 0, DEV, 8, 8);
	LOAD_CHECK("c.lwsp", 4, true, SPLOAD, DEV - 0xc0, 0xc4, 4, DEV, 8, 8);
	LOAD_CHECK("c.ldsp", 8, true, SPLOAD, DEV - 0x1c0, 0x1c0, 0, DEV, 8, 8);
#undef LOAD_CHECK
}

/* After storing the low width bytes of SVAL at off into zeroed scratch. */
static void verify_store(unsigned off, unsigned width)
{
	if (!completed("the store"))
		return;
	expect_last(width, true, off);
	unsigned long want[2] = {0, 0};
	for (unsigned i = 0; i < width; i++)
		want[(off + i) / 8] |= (SVAL >> (8 * i) & 0xff) << ((off + i) % 8 * 8);
	for (unsigned w = 0; w < 2; w++) {
		unsigned long got = dev_read64(8 * w);
		if (got != want[w])
			check_why("after a %u-byte store at 0x%x, word %u is 0x%lx, want 0x%lx",
				  width, off, w, got, want[w]);
	}
}

static void store_setup(void)
{
	check_begin();
	fault_reset();
	dev_write64(0, 0);
	dev_write64(8, 0);
}

static void test_stores(void)
{
	unsigned long pc;

#define STORE_CHECK(name, width, MACRO, base, imm, off) \
	store_setup();                                  \
	MACRO(name, base, imm, SVAL, pc);               \
	verify_store(off, width);                       \
	check_end(name);

	STORE_CHECK("sb", 1, STORE, DEV + 0x20, -0x1d, 3);
	STORE_CHECK("sh", 2, STORE, DEV, 6, 6);
	STORE_CHECK("sw", 4, STORE, DEV, 12, 12);
	STORE_CHECK("sd", 8, STORE, DEV + 0x100, -0xf8, 8);
	STORE_CHECK("c.sw", 4, CSTORE, DEV - 0x40, 0x44, 4);
	STORE_CHECK("c.sd", 8, CSTORE, DEV - 0x80, 0x88, 8);
	STORE_CHECK("c.swsp", 4, SPSTORE, DEV - 0xc0, 0xcc, 12);
	STORE_CHECK("c.sdsp", 8, SPSTORE, DEV - 0x1c0, 0x1c0, 0);
#undef STORE_CHECK
}

/* The access at pc must have trapped with cause at addr, leaving a load's
 * destination register (val) untouched. */
static void expect_fault(const char *name, unsigned long cause, unsigned long addr,
			 unsigned long pc, unsigned long val)
{
	if (!fault.count)
		fail(name, "no fault at 0x%lx", addr);
	else if (fault.count != 1 || fault.scause != cause || fault.stval != addr ||
		 fault.sepc != pc)
		fail(name, "%lu fault(s), last scause %lu stval 0x%lx sepc 0x%lx; want %lu 0x%lx 0x%lx",
		     fault.count, fault.scause, fault.stval, fault.sepc, cause, addr, pc);
	else if (val != POISON)
		fail(name, "the faulting load wrote 0x%lx to its register", val);
	else
		ok(name);
	fault_reset();
}

static void test_faults(void)
{
	unsigned long v, pc;

	fault_reset();
	v = POISON;
	LOAD("lw", DEV, 1, v, pc);
	expect_fault("misaligned-load-fault", EXC_LOAD_ACCESS, DEV + 1, pc, v);
	STORE("sw", DEV, 2, SVAL, pc);
	expect_fault("misaligned-store-fault", EXC_STORE_ACCESS, DEV + 2, pc, POISON);
	v = POISON;
	LOAD("ld", DEV, 4, v, pc);
	expect_fault("misaligned-ld-fault", EXC_LOAD_ACCESS, DEV + 4, pc, v);
	v = POISON;
	CLOAD("c.lw", DEV + 2, 0, v, pc);
	expect_fault("misaligned-clw-fault", EXC_LOAD_ACCESS, DEV + 2, pc, v);
	v = POISON;
	LOAD("ld", 0x10020000UL, 0, v, pc);
	expect_fault("unmapped-fault", EXC_LOAD_ACCESS, 0x10020000UL, pc, v);
	STORE("sd", 0x10020000UL, 0, SVAL, pc);
	expect_fault("unmapped-store-fault", EXC_STORE_ACCESS, 0x10020000UL, pc, POISON);
	v = POISON;
	LOAD("ld", DEV, 0x20, v, pc);
	expect_fault("reserved-offset-fault", EXC_LOAD_ACCESS, DEV + 0x20, pc, v);
	STORE("sd", DEV, DEV_LAST, SVAL, pc);
	expect_fault("readonly-store-fault", EXC_STORE_ACCESS, DEV + DEV_LAST, pc, POISON);
	STORE("sd", DEV, DEV_COUNT, SVAL, pc);
	expect_fault("readonly-count-fault", EXC_STORE_ACCESS, DEV + DEV_COUNT, pc, POISON);
}

int main(unsigned long hartid, const void *dtb)
{
	(void)dtb;
	printf("mmio_test: hart %lu, testdev at 0x%lx\n", hartid, DEV);
	fault_catch(true);
	fault_reset();

	check_begin();
	unsigned long count0 = reg_read(DEV_COUNT);
	bool count_readable = check_end("count-read");

	test_stores();
	test_loads();
	test_faults();

	/* Faulting accesses must neither count nor reach the device. */
	check_begin();
	unsigned long count = reg_read(DEV_COUNT);
	if (count_readable && count - count0 != accesses)
		check_why("COUNT went 0x%lx -> 0x%lx (+%lu), want +%lu", count0, count,
			  count - count0, accesses);
	check_end("count");
	finish("mmio_test");
}
