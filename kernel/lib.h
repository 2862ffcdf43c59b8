/* Small library: formatted output, panics, spinlocks. */
#ifndef RVHV_LIB_H
#define RVHV_LIB_H

#include <stdarg.h>
#include <string.h>
#include "kernel/types.h"

/* Format into buf (always NUL-terminated when len > 0); returns the length
 * the whole output would have.  Supports %d %i %u %x %lx %llx %ld %lu %lld
 * %llu %zu %p %s %c %%, with flags '0' '-' and a width. */
int kvsnprintf(char *buf, size_t len, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Format an error message into err and return -1: `return errorf(err, len, "...", ...)`. */
int errorf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#ifndef RVHV_HOST
/* Console output of the hypervisor itself, prefixed by nothing. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "rvhv: panic: ..." with a state dump of this hart and halt it. */
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* x1..x31, four to a line, with their ABI names. */
void dump_regs(const u64 *regs);
#endif

#define BUG_ON(c)                                                         \
	do {                                                              \
		if (c)                                                    \
			panic("%s:%d: BUG_ON(%s)", __FILE__, __LINE__, #c); \
	} while (0)

#endif
