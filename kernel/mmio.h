/*
 * The per-VM MMIO bus: emulated device regions.  A guest access to a region
 * traps (its G-stage page is left unmapped), is decoded once into a struct
 * mmio_access and handed to the region's device model.
 */
#ifndef RVHV_MMIO_H
#define RVHV_MMIO_H

#include "kernel/decode.h"

#define MMIO_MAX_REGIONS 32

/*
 * A register window: the values that loads of a region's side-effect-free
 * registers return, published by its model so that guest_exit's assembly
 * tier (arch/riscv/switch.S: win_load) answers those loads without calling
 * it.  It covers the region's first MMIO_WINDOW_SIZE bytes.  readable[k]
 * has bit `off` set when a load of 1 << k bytes at offset off is answered
 * from bytes[off...] (little-endian, as the guest would read the register);
 * any other load (another width, a misaligned one, a register with side
 * effects) goes to the model.  The model keeps the window true under the
 * VM's device lock: a published load must return what its access function
 * would, and change nothing.  Stores always go to the model.
 */
#define MMIO_WINDOW_SIZE 512
#define MMIO_WINDOW_SLOTS 16 /* windows one VM's tier can find: one per GPA page % 16 */

struct mmio_window {
	u8 bytes[MMIO_WINDOW_SIZE] __attribute__((aligned(8)));
	u64 readable[4][MMIO_WINDOW_SIZE / 64];
	u64 count; /* loads the tier answered from here (atomic: every vCPU adds) */
};

/* Publish a register: an aligned load of `width` bytes at off returns value. */
static inline void mmio_window_set(struct mmio_window *w, u32 off, u8 width, u64 value)
{
	int k = width == 1 ? 0 : width == 2 ? 1 : width == 4 ? 2 : 3;
	void *at = &w->bytes[off];
	if (width == 1)
		*(volatile u8 *)at = (u8)value;
	else if (width == 2)
		*(volatile u16 *)at = (u16)value;
	else if (width == 4)
		*(volatile u32 *)at = (u32)value;
	else
		*(volatile u64 *)at = value;
	u64 *word = &w->readable[k][off / 64], bit = 1ULL << (off % 64);
	if (!(__atomic_load_n(word, __ATOMIC_RELAXED) & bit)) /* mostly published already */
		__atomic_or_fetch(word, bit, __ATOMIC_RELEASE);
}

/* Withdraw it: such loads go to the model again. */
static inline void mmio_window_clear(struct mmio_window *w, u32 off, u8 width)
{
	int k = width == 1 ? 0 : width == 2 ? 1 : width == 4 ? 2 : 3;
	__atomic_and_fetch(&w->readable[k][off / 64], ~(1ULL << (off % 64)), __ATOMIC_RELEASE);
}

/* What the tier answers for a load at off of width bytes: true and *raw
 * (zero-extended), or false for the model.  The reference for tests. */
static inline bool mmio_window_load(const struct mmio_window *w, u64 off, u8 width, u64 *raw)
{
	int k = width == 1 ? 0 : width == 2 ? 1 : width == 4 ? 2 : width == 8 ? 3 : -1;
	if (k < 0 || off >= MMIO_WINDOW_SIZE || !(w->readable[k][off / 64] >> (off % 64) & 1))
		return false;
	u64 v = 0;
	for (int i = width - 1; i >= 0; i--)
		v = v << 8 | w->bytes[off + i];
	*raw = v;
	return true;
}

struct mmio_ops {
	/* Perform acc at byte offset `off` of the region: a store writes
	 * acc->value (already truncated to acc->width); a load sets acc->value.
	 * Returns 0, or nonzero for an access the device rejects (the guest
	 * receives an access fault, as from a real bus error). */
	int (*access)(void *dev, u64 off, struct mmio_access *acc);
	/* Back to the state after power-on, when the VM resets (optional). */
	void (*reset)(void *dev);
};

struct mmio_region {
	u64 base, size;
	const struct mmio_ops *ops;
	void *dev;
	const char *name;
	u64 count; /* accesses, for exit statistics */
	struct mmio_window *window; /* or NULL */
};

struct mmio_bus {
	struct mmio_region regions[MMIO_MAX_REGIONS];
	int n;
	/* The windows by GPA page % MMIO_WINDOW_SLOTS, as switch.S looks them
	 * up: word = the region's base >> 2 (1 << 62: none), a base in
	 * that page. */
	struct mmio_window_slot {
		u64 word;
		struct mmio_window *w;
	} slots[MMIO_WINDOW_SLOTS];
};

void mmio_bus_init(struct mmio_bus *bus);

/* Add a region; fails (-1) when it overlaps another or the bus is full. */
int mmio_register(struct mmio_bus *bus, u64 base, u64 size, const struct mmio_ops *ops, void *dev,
		  const char *name);
struct mmio_region *mmio_find(struct mmio_bus *bus, u64 addr);
/* Give the region at base a window (zeroed: nothing published yet).  The
 * tier finds it when the region's base is 4-byte aligned and no other
 * window took its slot; else every load goes to the model, which is never
 * wrong, only slower.  -1: no region at base. */
int mmio_attach_window(struct mmio_bus *bus, u64 base, struct mmio_window *w);

#endif
