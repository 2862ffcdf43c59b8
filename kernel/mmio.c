/* The per-VM MMIO bus (see mmio.h). */
#include "kernel/mmio.h"

int mmio_register(struct mmio_bus *bus, u64 base, u64 size, const struct mmio_ops *ops, void *dev,
		  const char *name)
{
	if (bus->n == MMIO_MAX_REGIONS || size == 0 || base + size < base)
		return -1;
	for (int i = 0; i < bus->n; i++) {
		struct mmio_region *r = &bus->regions[i];
		if (base < r->base + r->size && r->base < base + size)
			return -1;
	}
	bus->regions[bus->n++] = (struct mmio_region){base, size, ops, dev, name, 0};
	return 0;
}

struct mmio_region *mmio_find(struct mmio_bus *bus, u64 addr)
{
	for (int i = 0; i < bus->n; i++) {
		struct mmio_region *r = &bus->regions[i];
		if (addr - r->base < r->size)
			return r;
	}
	return NULL;
}
