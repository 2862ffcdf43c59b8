/*
 * "rvhv,testdev": a register file for testing the MMIO path itself.
 *   0x00-0x0f  two 64-bit scratch registers, any naturally aligned width
 *   0x10       LAST (read-only): the last scratch access: width | write << 8 | offset << 16
 *   0x18       COUNT (read-only): scratch accesses so far
 * Anything else is rejected, so the guest sees an access fault.
 */
#include "kernel/lib.h"
#include "kernel/mm.h"
#include "kernel/vdev.h"

struct testdev {
	u8 scratch[16];
	u64 info[2]; /* LAST, COUNT */
};

static int testdev_access(void *dev, u64 off, struct mmio_access *acc)
{
	struct testdev *t = dev;
	if (off + acc->width <= sizeof(t->scratch)) {
		if (acc->write)
			memcpy(&t->scratch[off], &acc->value, acc->width);
		else
			memcpy(&acc->value, &t->scratch[off], acc->width);
		t->info[0] = acc->width | (u64)acc->write << 8 | off << 16;
		t->info[1]++;
		return 0;
	}
	off -= sizeof(t->scratch);
	if (acc->write || off + acc->width > sizeof(t->info))
		return -1;
	acc->value = 0;
	memcpy(&acc->value, (u8 *)t->info + off, acc->width);
	return 0;
}

static const struct mmio_ops testdev_ops = {.access = testdev_access};

int testdev_attach(struct vm *vm, const void *fdt, int node, u64 base, u64 size, char *err,
		   size_t errlen)
{
	struct testdev *t = mm_alloc(sizeof(*t), 8);
	if (!t || mmio_register(&vm->bus, base, size, &testdev_ops, t, "testdev")) {
		ksnprintf(err, errlen, "testdev at 0x%lx: %s", base, t ? "overlaps another device" : "no memory");
		return -1;
	}
	return 0;
}
