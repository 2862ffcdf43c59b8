/*
 * Isolation, the VM under attack: fill 1 MiB of its own RAM with a
 * pattern, then check it on every 100 ms heartbeat for 4 s while
 * attacker.elf runs in another VM.  Any change means rvhv let one VM's
 * accesses reach another VM's memory.
 */
#include "guest.h"

#define PATTERN_BASE 0x80400000UL
#define PATTERN_SIZE (1UL << 20)
#define HEARTBEATS 40

/* A different value in every word, so a moved or repeated block shows. */
static unsigned long pattern(unsigned long addr)
{
	return (addr * 0x9e3779b97f4a7c15UL) ^ 0x5a5aa5a5c3c33c3cUL;
}

static void fill(void)
{
	for (unsigned long a = PATTERN_BASE; a < PATTERN_BASE + PATTERN_SIZE; a += 8)
		*(volatile unsigned long *)a = pattern(a);
}

/* Number of changed words; the first one is reported through *first. */
static unsigned long verify(unsigned long *first)
{
	unsigned long bad = 0;
	for (unsigned long a = PATTERN_BASE; a < PATTERN_BASE + PATTERN_SIZE; a += 8) {
		if (*(volatile unsigned long *)a != pattern(a) && !bad++)
			*first = a;
	}
	return bad;
}

int main(unsigned long hartid, const void *dtb)
{
	(void)dtb;
	printf("victim: hart %lu, pattern at 0x%lx..0x%lx\n", hartid, PATTERN_BASE,
	       PATTERN_BASE + PATTERN_SIZE);
	fill();
	unsigned long start = rdtime(), changed = 0, first = 0;
	for (unsigned long n = 1; n <= HEARTBEATS; n++) {
		sleep_until(start + n * (timebase / 10));
		unsigned long bad = verify(&first);
		printf("victim: heartbeat %lu\n", n);
		if (bad && !changed)
			fail("victim-pattern", "heartbeat %lu: %lu words changed, first at 0x%lx = 0x%lx",
			     n, bad, first, *(volatile unsigned long *)first);
		if (bad > changed)
			changed = bad;
	}
	if (changed)
		fail("victim-intact", "up to %lu of %lu words changed", changed, PATTERN_SIZE / 8);
	else
		ok("victim-intact");
	finish("victim");
}
