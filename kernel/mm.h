/* Physical memory: free ranges of host RAM, carved by alignment. Memory is
 * handed out for the life of rvhv (VM memory and page tables are reused on a
 * VM reset, never returned). */
#ifndef RVHV_MM_H
#define RVHV_MM_H

#include "kernel/types.h"

void mm_add(u64 base, u64 size);
void mm_reserve(u64 base, u64 size);
/* Zeroed memory of `size` bytes aligned to `align` (a power of two), or NULL. */
void *mm_alloc(u64 size, u64 align);
/* The same, not cleared: for guest RAM, which vm_load clears on every boot. */
void *mm_alloc_raw(u64 size, u64 align);
void *mm_alloc_page(void);
/* True when all of [base, base+size) is free (not handed out, not reserved). */
bool mm_range_free(u64 base, u64 size);
u64 mm_free_bytes(void);

#endif
