/*
 * The demo guest `make qemu` boots: greets, takes three 10 Hz timer
 * interrupts through SBI set_timer, then echoes the keyboard until 'q'.
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
		if (c == '\r')
			printf("\r\n");
		else
			printf("%c", c);
	}
}

int main(unsigned long hartid, const void *dtb)
{
	(void)dtb;
	printf("hello: rvhv demo guest on hart %lu\n", hartid);
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

	printf("hello: type something, 'q' quits\n");
	echo_until_q();
	printf("\nbye\n");
	shutdown();
}
