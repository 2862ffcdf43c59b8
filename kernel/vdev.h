/*
 * Device models a VM's configuration can name: each attaches itself to the
 * VM's MMIO bus for the reg range of its config node.
 */
#ifndef RVHV_VDEV_H
#define RVHV_VDEV_H

#include "kernel/vm.h"

struct vdev_type {
	const char *compatible;
	/* 0, or negative with a message in err */
	int (*attach)(struct vm *vm, const void *fdt, int node, u64 base, u64 size, char *err,
		      size_t errlen);
};

int vdev_attach_all(struct vm *vm, char *err, size_t errlen);

/* The VM's console UART (the first 16550, which takes console input) and its
 * registers' GPA in *base, or NULL. */
struct uart16550 *vdev_console_uart(struct vm *vm, u64 *base);
/* The PLIC source in a device node's "interrupts" (0 if none). */
u32 vdev_node_irq(const void *fdt, int node);
/* virtio,mmio slots: an empty one, or a device named by rvhv,device (vvirtio.c). */
int virtio_attach(struct vm *vm, const void *fdt, int node, u64 base, u64 size, char *err,
		  size_t errlen);

int testdev_attach(struct vm *vm, const void *fdt, int node, u64 base, u64 size, char *err,
		   size_t errlen);

#endif
