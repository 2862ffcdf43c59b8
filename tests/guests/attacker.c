/*
 * Isolation, the attacking VM (64 MiB of RAM at guest-physical
 * 0x80000000): after giving victim.elf time to fill its pattern, load from
 * and store to addresses outside its own RAM, and hand the SBI console
 * buffers outside it.  Under rvhv each must fail: an access fault (load 5,
 * store 7, stval = the address) or an SBI error.
 */
#include "guest.h"

#define RAM_BASE 0x80000000UL
#define RAM_SIZE (64UL << 20)
#define MARKER 0xdeadbeefcafef00dUL
#define POISON 0x5a5a5a5a5a5a5a5aUL

static const unsigned long targets[] = {
	RAM_BASE + RAM_SIZE, /* just past its RAM */
	0x88000000UL, 0x90000000UL, 0xa0000000UL, 0xc0000000UL, 0x100000000UL,
	0x0UL,               /* nothing there */
	RAM_BASE - 8,        /* just below its RAM */
};

static void expect_fault(const char *kind, unsigned long addr, unsigned long cause,
			 unsigned long pc, unsigned long val)
{
	char name[48];
	snprintf(name, sizeof(name), "fault-%s-0x%lx", kind, addr);
	if (!fault.count)
		fail(name, "no fault%s", cause == EXC_LOAD_ACCESS ? ", the load succeeded" : "");
	else if (fault.scause != cause || fault.stval != addr || fault.sepc != pc)
		fail(name, "scause %lu stval 0x%lx sepc 0x%lx, want %lu 0x%lx 0x%lx", fault.scause,
		     fault.stval, fault.sepc, cause, addr, pc);
	else if (val != POISON)
		fail(name, "the faulting load wrote 0x%lx to its register", val);
	else
		ok(name);
	fault_reset();
}

static void attack_memory(unsigned long addr)
{
	unsigned long v = POISON, pc;
	/* pc = address of the access, to check the fault's sepc. */
	asm volatile("lla %1, 1f\n1:\tld %0, 0(%2)" : "+r"(v), "=&r"(pc) : "r"(addr) : "memory");
	expect_fault("load", addr, EXC_LOAD_ACCESS, pc, v);
	asm volatile("lla %0, 1f\n1:\tsd %1, 0(%2)"
		     : "=&r"(pc)
		     : "r"(MARKER), "r"(addr)
		     : "memory");
	expect_fault("store", addr, EXC_STORE_ACCESS, pc, POISON);
}

/* The SBI must not read or write memory outside the caller's RAM for it
 * (DBCN: SBI_ERR_INVALID_PARAM, spec 12). */
static void attack_sbi(void)
{
	if (!console_has_dbcn()) {
		printf("attacker: no DBCN, SBI buffer checks skipped\n");
		return;
	}
	struct sbiret r = sbi_dbcn_read(16, 0x88000000UL);
	if (r.error != SBI_ERR_INVALID_PARAM)
		fail("dbcn-read-outside", "error %ld value %ld, want %d", r.error, r.value,
		     SBI_ERR_INVALID_PARAM);
	else
		ok("dbcn-read-outside");
	r = sbi_dbcn_write(16, 0x88000000UL);
	if (r.error != SBI_ERR_INVALID_PARAM)
		fail("dbcn-write-outside", "error %ld value %ld, want %d", r.error, r.value,
		     SBI_ERR_INVALID_PARAM);
	else
		ok("dbcn-write-outside");
}

int main(unsigned long hartid, const void *dtb)
{
	(void)dtb;
	printf("attacker: hart %lu\n", hartid);
	sleep_until(rdtime() + timebase / 2);

	/* Its own RAM must work, or the faults below would prove nothing. */
	volatile unsigned long *own = (volatile unsigned long *)(RAM_BASE + (48UL << 20));
	*own = MARKER;
	if (*own == MARKER)
		ok("own-ram");
	else
		fail("own-ram", "read back 0x%lx", *own);

	fault_catch(true);
	fault_reset();
	for (unsigned i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		attack_memory(targets[i]);
	fault_catch(false);
	attack_sbi();
	printf("attacker: done\n");
	finish("attacker");
}
