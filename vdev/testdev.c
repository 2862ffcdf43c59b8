/*
 * "rvhv,testdev": a register file for testing the MMIO path itself.
 *   0x00-0x0f  two 64-bit scratch registers, any naturally aligned width
 *   0x10       LAST (read-only): the last scratch access: width | write << 8 | offset << 16
 *   0x18       COUNT (read-only): scratch accesses so far
 *   0x40       LINES (32 bits): bit i drives vPLIC source interrupts + i (the
 *              node's `interrupts`; without it, or a vPLIC, the bits only latch)
 * Anything else is rejected, so the guest sees an access fault.
 */
#include "kernel/lib.h"
#include "kernel/mm.h"
#include "kernel/vdev.h"
#include "kernel/vm.h"
#include "vdev/plic.h"

#define TESTDEV_LINES 0x40

struct testdev {
	u8 scratch[16];
	u64 info[2]; /* LAST, COUNT */
	u32 lines;
	u32 irq; /* the vPLIC source of bit 0, or 0 */
	struct vm *vm;
};

/* Each bit that changed moves its source's line. */
static void testdev_lines(struct testdev *t, u32 lines)
{
	u32 changed = t->lines ^ lines;
	t->lines = lines;
	for (u32 i = 0; i < 32; i++)
		if ((changed >> i & 1) && t->irq && t->vm->plic)
			plic_set_level(t->vm->plic, t->irq + i, lines >> i & 1);
}

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
	if (off == TESTDEV_LINES && acc->width == 4) {
		if (acc->write)
			testdev_lines(t, (u32)acc->value);
		else
			acc->value = t->lines;
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
	if (t) {
		t->vm = vm;
		t->irq = vdev_node_irq(fdt, node);
	}
	if (!t || mmio_register(&vm->bus, base, size, &testdev_ops, t, "testdev")) {
		ksnprintf(err, errlen, "testdev at 0x%lx: %s", base, t ? "overlaps another device" : "no memory");
		return -1;
	}
	return 0;
}
