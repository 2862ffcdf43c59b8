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
	bus->regions[bus->n++] = (struct mmio_region){base, size, ops, dev, name, 0, NULL};
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

void mmio_bus_init(struct mmio_bus *bus)
{
	for (int i = 0; i < MMIO_WINDOW_SLOTS; i++)
		bus->slots[i] = (struct mmio_window_slot){1UL << 62, NULL};
}

int mmio_attach_window(struct mmio_bus *bus, u64 base, struct mmio_window *w)
{
	struct mmio_region *r = mmio_find(bus, base);
	if (!r || r->base != base)
		return -1;
	*w = (struct mmio_window){0};
	r->window = w;
	struct mmio_window_slot *s = &bus->slots[(base >> PAGE_SHIFT) % MMIO_WINDOW_SLOTS];
	if (IS_ALIGNED(base, 4) && !s->w)
		*s = (struct mmio_window_slot){base >> 2, w};
	return 0;
}
