/*
 * The demo guest `make qemu` boots: greets, takes three 10 Hz timer
 * interrupts through SBI set_timer, then echoes the keyboard until 'q'
 * ('r' reboots, 'h' hangs, 'f' traps for ever: for the console's tests).
 */
#include "guest.h"

static volatile unsigned ticks;

static bool on_interrupt(struct trap_frame *f)
{
	if (f->scause != (SCAUSE_IRQ | IRQ_S_TIMER))
		return false;
	/* Re-arming (or disarming) the timer is what clears STIP. */
	if (++ticks < 3)
		sbi_set_timer(rdtime() + timebase / 10);
	else
		sbi_set_timer(~0UL);
	return true;
}

static void echo_until_q(void)
{
	for (;;) {
		int c = console_getc();
		if (c < 0) {
			sleep_ms(10); /* nothing typed: don't spin on SBI calls */
			continue;
		}
		if (c == 'q')
			return;
		if (c == 'r') {
			printf("\nhello: rebooting\n");
			sbi_system_reset(SBI_SRST_COLD_REBOOT, 0);
		}
		if (c == 'h') { /* for the console's stop and restart: a hung kernel */
			printf("\nhello: hanging with interrupts off\n");
			csr_clear(sstatus, SSTATUS_SIE);
			for (;;)
				;
		}
		if (c == 'f') { /* the same, trapping for ever: stvec at no memory */
			printf("\nhello: faulting in a loop\n");
			csr_write(stvec, 0x1000);
			asm volatile("ebreak");
		}
		if (c == '\r')
			printf("\r\n");
		else
			printf("%c", c);
	}
}

/* What the device tree the VM booted with says: its memory, CPUs, ISA. */
static void show_prop(const char *node, const char *prop, const void *val, uint32_t len, void *arg)
{
	unsigned *cpus = arg;
	if (!memcmp(node, "memory@", 7) && !strcmp(prop, "reg") && len == 16) {
		const uint8_t *p = val;
		unsigned long base = (unsigned long)fdt_be32(p) << 32 | fdt_be32(p + 4);
		unsigned long size = (unsigned long)fdt_be32(p + 8) << 32 | fdt_be32(p + 12);
		printf("hello: dtb %s base 0x%lx size 0x%lx\n", node, base, size);
	} else if (!memcmp(node, "cpu@", 4) && !strcmp(prop, "riscv,isa")) {
		if ((*cpus)++ == 0)
			printf("hello: dtb isa %s\n", (const char *)val);
	}
}

int main(unsigned long hartid, const void *dtb)
{
	unsigned cpus = 0;
	printf("hello: rvhv demo guest on hart %lu\n", hartid);
	if (fdt_walk(dtb, show_prop, &cpus))
		printf("hello: dtb %u cpus\n", cpus);
	printf("hello: timebase %lu Hz, console %s\n", timebase,
	       console_has_dbcn() ? "SBI DBCN" : "legacy SBI");

	trap_on_interrupt(on_interrupt);
	sbi_set_timer(rdtime() + timebase / 10);
	csr_set(sie, SIE_STIE);
	csr_set(sstatus, SSTATUS_SIE);
	for (unsigned n = 1; n <= 3; n++) {
		while (ticks < n)
			wfi();
		printf("tick %u\n", n);
	}
	csr_clear(sstatus, SSTATUS_SIE);
	csr_clear(sie, SIE_STIE);

	printf("hello: type something, 'q' quits, 'r' reboots\n");
	echo_until_q();
	printf("\nbye\n");
	shutdown();
}
