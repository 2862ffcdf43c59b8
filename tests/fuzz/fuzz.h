/*
 * Shared pieces of the libFuzzer targets (tests/fuzz/README.md): reading
 * the input as a stream of little-endian numbers, a check that stops the
 * run on a broken invariant, and a fake guest RAM between poisoned guard
 * regions.
 */
#ifndef RVHV_FUZZ_H
#define RVHV_FUZZ_H

#include <sanitizer/asan_interface.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/types.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

/* An invariant of the code under test: a violation is a crash for libFuzzer. */
#define CHECK(c)                                                                   \
	do {                                                                       \
		if (!(c)) {                                                        \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, \
				__LINE__, #c);                                     \
			abort();                                                   \
		}                                                                  \
	} while (0)

/* The fuzzer's input, consumed front to back; reads past its end give zeros. */
struct input {
	const u8 *p;
	size_t n;
};

static inline bool in_empty(const struct input *in)
{
	return in->n == 0;
}

static inline u64 in_bytes(struct input *in, unsigned int nbytes)
{
	u64 v = 0;

	for (unsigned int i = 0; i < nbytes && in->n; i++, in->p++, in->n--)
		v |= (u64)*in->p << (8 * i);
	return v;
}

static inline u8 in_u8(struct input *in)
{
	return (u8)in_bytes(in, 1);
}

static inline u16 in_u16(struct input *in)
{
	return (u16)in_bytes(in, 2);
}

static inline u32 in_u32(struct input *in)
{
	return (u32)in_bytes(in, 4);
}

static inline u64 in_u64(struct input *in)
{
	return in_bytes(in, 8);
}

/*
 * A fake guest RAM of `size` bytes at guest-physical `base`, with GUARD
 * bytes on each side poisoned for ASan: any read or write of the code under
 * test that strays out of guest RAM through a pointer map() gave it stops
 * the run.  map() itself refuses ranges that are not entirely inside, and
 * insists the caller checked gpa + len for wraparound.
 */
#define GUARD 4096

struct fake_ram {
	u64 base, size;
	u8 *alloc; /* GUARD + size + GUARD */
	u8 *mem;   /* guest RAM proper */
};

static inline void ram_init(struct fake_ram *r, u64 base, u64 size)
{
	r->base = base;
	r->size = size;
	r->alloc = malloc(size + 2 * GUARD);
	CHECK(r->alloc);
	r->mem = r->alloc + GUARD;
	memset(r->mem, 0, size);
	ASAN_POISON_MEMORY_REGION(r->alloc, GUARD);
	ASAN_POISON_MEMORY_REGION(r->mem + size, GUARD);
}

static inline void *ram_map(void *ctx, u64 gpa, u64 len)
{
	struct fake_ram *r = ctx;

	CHECK(gpa + len >= gpa); /* the caller checks for wraparound, not map() */
	if (gpa < r->base || gpa - r->base > r->size || len > r->size - (gpa - r->base))
		return NULL;
	return r->mem + (gpa - r->base);
}

/* Whether [p, p + len) lies in guest RAM. */
static inline bool ram_holds(const struct fake_ram *r, const void *p, u64 len)
{
	const u8 *b = p;

	return b >= r->mem && b <= r->mem + r->size && len <= (u64)(r->mem + r->size - b);
}

#endif
