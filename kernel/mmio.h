/*
 * The per-VM MMIO bus: emulated device regions.  A guest access to a region
 * traps (its G-stage page is left unmapped), is decoded once into a struct
 * mmio_access and handed to the region's device model.
 */
#ifndef RVHV_MMIO_H
#define RVHV_MMIO_H

#include "kernel/decode.h"

#define MMIO_MAX_REGIONS 32

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
};

struct mmio_bus {
	struct mmio_region regions[MMIO_MAX_REGIONS];
	int n;
};

/* Add a region; fails (-1) when it overlaps another or the bus is full. */
int mmio_register(struct mmio_bus *bus, u64 base, u64 size, const struct mmio_ops *ops, void *dev,
		  const char *name);
struct mmio_region *mmio_find(struct mmio_bus *bus, u64 addr);

#endif
