/*
 * Console output through SBI, and a small printf.  printf formats a whole
 * call before writing it, so lines from two harts interleave by call, not
 * by character; a lock keyed by hart id serialises them yet lets a trap
 * handler on the same hart print without deadlocking.
 */
#include "guest.h"

static bool have_dbcn;
static volatile unsigned long lock_owner; /* hart id + 1, 0 = free */

void console_init(void)
{
	have_dbcn = sbi_probe(SBI_EXT_DBCN) != 0;
}

bool console_has_dbcn(void)
{
	return have_dbcn;
}

static bool console_lock(void)
{
	unsigned long me = hart_id() + 1;
	if (lock_owner == me)
		return false;
	while (__sync_val_compare_and_swap(&lock_owner, 0, me) != 0)
		;
	return true;
}

static void console_unlock(bool taken)
{
	if (taken)
		__sync_lock_release(&lock_owner);
}

static void write_locked(const char *s, size_t n)
{
	while (have_dbcn && n) {
		struct sbiret r = sbi_dbcn_write(n, (unsigned long)s);
		if (r.error || r.value <= 0 || (size_t)r.value > n)
			break; /* fall back to the legacy call for the rest */
		s += r.value;
		n -= r.value;
	}
	while (n--)
		sbi_legacy_putchar(*s++);
}

void console_write(const char *s, size_t n)
{
	bool taken = console_lock();
	write_locked(s, n);
	console_unlock(taken);
}

int console_getc(void)
{
	if (have_dbcn) {
		char c;
		struct sbiret r = sbi_dbcn_read(1, (unsigned long)&c);
		return !r.error && r.value == 1 ? (unsigned char)c : -1;
	}
	return sbi_legacy_getchar();
}

struct sink {
	char *buf;
	size_t len, pos;
};

static void put(struct sink *o, char c)
{
	if (o->pos + 1 < o->len)
		o->buf[o->pos] = c;
	o->pos++;
}

struct spec {
	int width;
	char pad;  /* ' ' or '0' */
	bool left; /* '-': pad on the right */
};

static void put_padded(struct sink *o, const char *s, int n, const char *sign, struct spec sp)
{
	int fill = sp.width - n - (*sign != '\0');
	if (sp.pad == '0' && !sp.left)
		while (*sign)
			put(o, *sign++);
	for (; !sp.left && fill > 0; fill--)
		put(o, sp.pad);
	while (*sign)
		put(o, *sign++);
	while (n--)
		put(o, *s++);
	for (; fill > 0; fill--)
		put(o, ' ');
}

static void put_uint(struct sink *o, uint64_t v, unsigned base, bool neg, struct spec sp)
{
	char digits[20];
	int n = sizeof(digits);
	do {
		digits[--n] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	put_padded(o, digits + n, sizeof(digits) - n, neg ? "-" : "", sp);
}

/* %d %i %u %x %p %s %c %%, flags '0' and '-', a width, l/ll/z sizes. */
int vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
{
	struct sink o = {buf, len, 0};
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		struct spec sp = {0, ' ', false};
		for (fmt++; *fmt == '0' || *fmt == '-'; fmt++) {
			if (*fmt == '0')
				sp.pad = '0';
			else
				sp.left = true;
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			sp.width = sp.width * 10 + (*fmt - '0');
		bool is_long = false;
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			is_long = true;
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = is_long ? va_arg(ap, long) : va_arg(ap, int);
			put_uint(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0, sp);
			break;
		}
		case 'u':
		case 'x': {
			uint64_t v = is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
			put_uint(&o, v, *fmt == 'u' ? 10 : 16, false, sp);
			break;
		}
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_uint(&o, (uintptr_t)va_arg(ap, void *), 16, false, sp);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			sp.pad = ' ';
			put_padded(&o, s, strlen(s), "", sp);
			break;
		}
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case '%':
			put(&o, '%');
			break;
		default: /* unknown conversion: show it rather than guess */
			put(&o, '%');
			if (!*fmt)
				fmt--;
			else
				put(&o, *fmt);
		}
	}
	if (len)
		buf[o.pos < len ? o.pos : len - 1] = '\0';
	return (int)o.pos;
}

int snprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

int printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}
