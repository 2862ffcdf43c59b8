/* Time keeping from the time CSR; sleeping on the SBI timer with wfi. */
#include "guest.h"

unsigned long timebase = 10000000;

void timer_init(const void *dtb)
{
	uint32_t hz;
	if (fdt_find_u32(dtb, "timebase-frequency", &hz) && hz)
		timebase = hz;
}

/*
 * Wait for the timer with interrupts masked in sstatus: wfi still wakes
 * when STIP is pending and enabled in sie, and no handler is needed.
 */
void sleep_until(unsigned long t)
{
	unsigned long sstatus = csr_read(sstatus);
	unsigned long sie = csr_read(sie);
	csr_clear(sstatus, SSTATUS_SIE);
	csr_set(sie, SIE_STIE);
	sbi_set_timer(t);
	while (rdtime() < t)
		wfi();
	sbi_set_timer(~0UL);
	csr_write(sie, sie);
	csr_write(sstatus, sstatus);
}

void sleep_ms(unsigned long ms)
{
	sleep_until(rdtime() + timebase / 1000 * ms);
}
