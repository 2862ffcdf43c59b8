/*
 * memset, memcpy and memmove for rvhv, in place of picolibc's: Debian's
 * picolibc is built for size, and its versions are byte loops (4 and 6
 * instructions a byte), while rvhv clears guest RAM and copies images and
 * disk blocks with these.  Here the bulk goes 8 bytes a store, 8 stores a
 * loop; a source that is not aligned like the destination is read in aligned
 * words and shifted into place (RISC-V is little-endian), so that no access
 * is misaligned (a real hart may trap on those, to slow emulation in M-mode).
 *
 * Host unit tests build this file with the functions renamed (RVHV_HOST),
 * next to the C library's.  The Makefile builds everything with
 * -fno-tree-loop-distribute-patterns: GCC would otherwise turn the byte loops
 * below into calls to memset and memcpy themselves.
 */
#include "kernel/types.h"

#ifdef RVHV_HOST
#define memset rvhv_memset
#define memcpy rvhv_memcpy
#define memmove rvhv_memmove
#endif

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);

/* A u64 that may alias any other type, as the bytes of a buffer do. */
typedef u64 __attribute__((may_alias)) word;
typedef u32 __attribute__((may_alias)) word32;
typedef u16 __attribute__((may_alias)) word16;

#define WSIZE 8
#define UNROLL (8 * WSIZE)

void *memset(void *dst, int c, size_t n)
{
	u8 *d = dst;
	for (; n && (uintptr_t)d % WSIZE; n--)
		*d++ = (u8)c;
	word w = (u8)c * 0x0101010101010101UL;
	for (; n >= UNROLL; n -= UNROLL, d += UNROLL) {
		word *p = (word *)d;
		p[0] = w;
		p[1] = w;
		p[2] = w;
		p[3] = w;
		p[4] = w;
		p[5] = w;
		p[6] = w;
		p[7] = w;
	}
	for (; n >= WSIZE; n -= WSIZE, d += WSIZE)
		*(word *)d = w;
	while (n--)
		*d++ = (u8)c;
	return dst;
}

/* n >= WSIZE bytes from s to an aligned d, s misaligned by off (1..7):
 * each destination word is made of two aligned source words.  Returns how
 * many bytes were copied (a multiple of WSIZE). */
static size_t copy_shifted(u8 *d, const u8 *s, size_t n, unsigned int off)
{
	const word *ws = (const word *)(s - off); /* the aligned word holding s[0] */
	unsigned int lo = 8 * off, hi = 64 - lo;
	u64 prev = *ws++;
	size_t done = 0;
	/* The last word read holds the last source byte the loop needs:
	 * nothing past the source's last aligned word is touched. */
	for (; n - done >= 4 * WSIZE; done += 4 * WSIZE, ws += 4) {
		word *p = (word *)(d + done);
		u64 a = ws[0], b = ws[1], c = ws[2], e = ws[3];
		p[0] = prev >> lo | a << hi;
		p[1] = a >> lo | b << hi;
		p[2] = b >> lo | c << hi;
		p[3] = c >> lo | e << hi;
		prev = e;
	}
	for (; n - done >= WSIZE; done += WSIZE) {
		u64 next = *ws++;
		*(word *)(d + done) = prev >> lo | next << hi;
		prev = next;
	}
	return done;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;
	/* One naturally aligned value of 2, 4 or 8 bytes (a device register's,
	 * a descriptor field) is one load and one store, not a byte loop. */
	if (n == WSIZE && ((uintptr_t)d | (uintptr_t)s) % WSIZE == 0) {
		*(word *)d = *(const word *)s;
		return dst;
	}
	if (n == 4 && ((uintptr_t)d | (uintptr_t)s) % 4 == 0) {
		*(word32 *)d = *(const word32 *)s;
		return dst;
	}
	if (n == 2 && ((uintptr_t)d | (uintptr_t)s) % 2 == 0) {
		*(word16 *)d = *(const word16 *)s;
		return dst;
	}
	if (n >= 2 * WSIZE) {
		for (; (uintptr_t)d % WSIZE; n--)
			*d++ = *s++;
		unsigned int off = (uintptr_t)s % WSIZE;
		if (off) {
			size_t done = copy_shifted(d, s, n, off);
			d += done;
			s += done;
			n -= done;
		} else {
			for (; n >= UNROLL; n -= UNROLL, d += UNROLL, s += UNROLL) {
				const word *q = (const word *)s;
				word *p = (word *)d;
				u64 a = q[0], b = q[1], c = q[2], e = q[3];
				p[0] = a;
				p[1] = b;
				p[2] = c;
				p[3] = e;
				a = q[4], b = q[5], c = q[6], e = q[7];
				p[4] = a;
				p[5] = b;
				p[6] = c;
				p[7] = e;
			}
			for (; n >= WSIZE; n -= WSIZE, d += WSIZE, s += WSIZE)
				*(word *)d = *(const word *)s;
		}
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

/* memcpy (defined without restrict for this) copies front to back and
 * reads each source word before it stores over it, so it serves any overlap
 * but a destination above the source. */
void *memmove(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;
	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}
