/* Boot-hart set-up run by crt0.S before main. */
#include "guest.h"

void runtime_init(const void *dtb)
{
	console_init();
	timer_init(dtb);
}

/* Guests that start no secondary harts need no secondary_main. */
__attribute__((weak)) void secondary_main(unsigned long hartid, unsigned long opaque)
{
	(void)hartid;
	(void)opaque;
}
