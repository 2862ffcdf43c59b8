/* A range allocator over host RAM (see mm.h). */
#include "kernel/mm.h"
#include "kernel/lib.h"
#include "kernel/spinlock.h"

#define MAX_RANGES 32

struct range {
	u64 base, end;
};

static struct range ranges[MAX_RANGES];
static int nranges;
static struct spinlock lock;

static void insert(u64 base, u64 end)
{
	if (base >= end || nranges == MAX_RANGES)
		return;
	ranges[nranges++] = (struct range){base, end};
}

void mm_add(u64 base, u64 size)
{
	insert(ALIGN_UP(base, PAGE_SIZE), ALIGN_DOWN(base + size, PAGE_SIZE));
}

/* Remove [base, base+size) from every free range, splitting where needed. */
void mm_reserve(u64 base, u64 size)
{
	u64 lo = ALIGN_DOWN(base, PAGE_SIZE), hi = ALIGN_UP(base + size, PAGE_SIZE);
	for (int i = 0; i < nranges; i++) {
		struct range r = ranges[i];
		if (hi <= r.base || lo >= r.end)
			continue;
		ranges[i] = ranges[--nranges];
		i--;
		insert(r.base, lo < r.base ? r.base : lo);
		insert(hi > r.end ? r.end : hi, r.end);
	}
}

void *mm_alloc_raw(u64 size, u64 align)
{
	size = ALIGN_UP(size, PAGE_SIZE);
	spin_lock(&lock);
	for (int i = 0; i < nranges; i++) {
		u64 base = ALIGN_UP(ranges[i].base, align);
		if (base < ranges[i].base || base + size > ranges[i].end || base + size < base)
			continue;
		u64 end = ranges[i].end, start = ranges[i].base;
		ranges[i] = ranges[--nranges];
		insert(start, base);
		insert(base + size, end);
		spin_unlock(&lock);
		return (void *)(uintptr_t)base;
	}
	spin_unlock(&lock);
	return NULL;
}

void *mm_alloc(u64 size, u64 align)
{
	void *p = mm_alloc_raw(size, align);
	if (p)
		memset(p, 0, ALIGN_UP(size, PAGE_SIZE));
	return p;
}

void *mm_alloc_page(void)
{
	return mm_alloc(PAGE_SIZE, PAGE_SIZE);
}

bool mm_range_free(u64 base, u64 size)
{
	bool free = false;
	spin_lock(&lock);
	for (int i = 0; i < nranges; i++)
		if (base >= ranges[i].base && base + size <= ranges[i].end && base + size > base)
			free = true;
	spin_unlock(&lock);
	return free;
}

u64 mm_free_bytes(void)
{
	u64 n = 0;
	for (int i = 0; i < nranges; i++)
		n += ranges[i].end - ranges[i].base;
	return n;
}
