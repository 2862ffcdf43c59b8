/*
 * kernel/string.c against byte-at-a-time references: every length up to a
 * few unrolled loops, every alignment of source and destination, and the
 * overlaps memmove must get right.  Bytes around the destination must stay
 * untouched.
 */
#include <string.h>

#include "tests/unit/unit.h"

#include "kernel/types.h"

void *rvhv_memset(void *dst, int c, size_t n);
void *rvhv_memcpy(void *dst, const void *src, size_t n);
void *rvhv_memmove(void *dst, const void *src, size_t n);

#define BUF 512
#define MAXLEN 200
#define GUARD 0xa5

/* The source pattern: no two neighbouring bytes equal, so shifts show. */
static u8 pattern(size_t i)
{
	return (u8)(i * 7 + 1);
}

static void fill(u8 *buf)
{
	for (size_t i = 0; i < BUF; i++)
		buf[i] = pattern(i);
}

static void test_memset(void **state)
{
	static u8 buf[BUF], want[BUF];
	for (size_t off = 0; off < 16; off++) {
		for (size_t n = 0; n <= MAXLEN; n++) {
			memset(buf, GUARD, BUF);
			memset(want, GUARD, BUF);
			for (size_t i = 0; i < n; i++)
				want[64 + off + i] = 0x3c;
			/* only the low byte of the value counts */
			void *r = rvhv_memset(buf + 64 + off, 0x13c, n);
			assert_ptr_equal(r, buf + 64 + off);
			assert_memory_equal(buf, want, BUF);
		}
	}
}

static void test_memcpy(void **state)
{
	static u8 src[BUF], dst[BUF], want[BUF];
	fill(src);
	for (size_t soff = 0; soff < 16; soff++) {
		for (size_t doff = 0; doff < 16; doff++) {
			for (size_t n = 0; n <= MAXLEN; n++) {
				memset(dst, GUARD, BUF);
				memset(want, GUARD, BUF);
				for (size_t i = 0; i < n; i++)
					want[64 + doff + i] = src[64 + soff + i];
				void *r = rvhv_memcpy(dst + 64 + doff, src + 64 + soff, n);
				assert_ptr_equal(r, dst + 64 + doff);
				assert_memory_equal(dst, want, BUF);
			}
		}
	}
}

static void test_memmove_overlaps(void **state)
{
	static u8 buf[BUF], want[BUF];
	for (int shift = -20; shift <= 20; shift++) {
		for (size_t off = 0; off < 8; off++) {
			for (size_t n = 0; n <= MAXLEN; n += 3) {
				size_t s = 128 + off, d = s + shift;
				fill(buf);
				fill(want);
				for (size_t i = 0; i < n; i++)
					want[d + i] = pattern(s + i);
				void *r = rvhv_memmove(buf + d, buf + s, n);
				assert_ptr_equal(r, buf + d);
				assert_memory_equal(buf, want, BUF);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memset),
		cmocka_unit_test(test_memcpy),
		cmocka_unit_test(test_memmove_overlaps),
	};
	return cmocka_run_group_tests_name("string", tests, NULL, NULL);
}
