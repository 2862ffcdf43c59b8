/* Attach the device models a VM's configuration lists (see vdev.h). */
#include <libfdt.h>

#include "kernel/lib.h"
#include "kernel/vdev.h"

static const struct vdev_type types[] = {
	{"rvhv,testdev", testdev_attach},
};

static const struct vdev_type *find_type(const void *fdt, int node)
{
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (fdt_node_check_compatible(fdt, node, types[i].compatible) == 0)
			return &types[i];
	return NULL;
}

static u64 read_cells(const fdt32_t *p, int n)
{
	u64 v = 0;
	while (n--)
		v = (v << 32) | fdt32_to_cpu(*p++);
	return v;
}

int vdev_attach_all(struct vm *vm, char *err, size_t errlen)
{
	const void *fdt = vm->cfg->fdt;
	int parent = vm->cfg->devices;
	if (parent < 0)
		return 0;
	int ac = fdt_address_cells(fdt, parent), sc = fdt_size_cells(fdt, parent);
	int node;
	fdt_for_each_subnode(node, fdt, parent)
	{
		const char *name = fdt_get_name(fdt, node, NULL);
		int len;
		const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
		if (!reg || ac < 1 || sc < 1 || ac > 2 || sc > 2 || len < (ac + sc) * 4) {
			ksnprintf(err, errlen, "device '%s': missing or short reg", name);
			return -1;
		}
		const struct vdev_type *t = find_type(fdt, node);
		if (!t) {
			const char *compat = fdt_getprop(fdt, node, "compatible", NULL);
			ksnprintf(err, errlen, "device '%s': no device model for compatible '%s'", name,
				  compat ? compat : "(none)");
			return -1;
		}
		if (t->attach(vm, fdt, node, read_cells(reg, ac), read_cells(reg + ac, sc), err, errlen))
			return -1;
	}
	return 0;
}
