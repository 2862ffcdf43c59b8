/*
 * Result lines the integration tests assert on: one "ok <name>" or
 * "FAIL <name>: <why>" per check, then "<guest>: N passed, M failed".
 * check_begin/check_why/check_end let a check with several steps report
 * only its first problem.
 */
#include "guest.h"

static unsigned passed, failed;
static char why[160];

void ok(const char *name)
{
	passed++;
	printf("ok %s\n", name);
}

void fail(const char *name, const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	failed++;
	printf("FAIL %s: %s\n", name, buf);
}

void check_begin(void)
{
	why[0] = '\0';
}

void check_why(const char *fmt, ...)
{
	if (why[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
}

bool check_end(const char *name)
{
	if (why[0]) {
		fail(name, "%s", why);
		return false;
	}
	ok(name);
	return true;
}

void summary(const char *guest)
{
	printf("%s: %u passed, %u failed\n", guest, passed, failed);
}

void finish(const char *guest)
{
	summary(guest);
	shutdown();
}

void shutdown(void)
{
	struct sbiret r = sbi_system_reset(SBI_SRST_SHUTDOWN, 0);
	printf("FAIL srst returned: error %ld\n", r.error);
	sbi_legacy_shutdown();
	for (;;)
		wfi();
}
