/*
 * Platform devices passed through to a VM (DESIGN §7): a device node in the
 * VM config's devices with rvhv,passthrough is a real device, not a model.
 *
 *   virtio_mmio@10001000 {
 *       compatible = "virtio,mmio";
 *       reg = <0x0 0x10001000 0x0 0x1000>;    where the guest sees it
 *       interrupts = <1>;                      its vPLIC source
 *       rvhv,passthrough = <0x0 0x10001000>;   the host device's MMIO base
 *       rvhv,host-interrupt = <1>;             optional: its host PLIC source
 *                                              (default: the slot's, else =
 * interrupts) rvhv,dma = "identity";                 it DMAs and no IOMMU
 * covers it: guest RAM goes at GPA == HPA rvhv,no-dma; or: it never DMAs
 *   };
 *
 * The MMIO range is mapped in the VM's G-stage (no exits), the interrupt
 * forwarded (irq.h), and the node copied into the guest DTB without the
 * rvhv,* properties.
 */
#ifndef RVHV_DEVICE_H
#define RVHV_DEVICE_H

#include "kernel/types.h"

struct vm;

int passthru_device_attach(struct vm *vm, const void *fdt, int node, u64 base, u64 size, char *err,
			   size_t errlen);
/* The VM resets: quiesce its passed-through devices (no DMA into the RAM
 * that is being reloaded). */
void passthru_vm_reset(struct vm *vm);

#endif
