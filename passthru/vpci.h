/*
 * A VM's virtual PCIe host bridge: a trap-and-emulate ECAM (bus 0) that
 * shows only the host functions assigned to the VM, each at the same device
 * number as on the host, function 0.  Config reads come from the real
 * function except what rvhv owns: BARs (the host-assigned addresses, with
 * the sizing protocol emulated), the header type's multi-function bit, and
 * the interrupt line.  The BARs are mapped GPA == HPA into the VM's
 * G-stage, so the guest's driver touches the device with no exit; INTx is
 * forwarded (passthru/irq.h); DMA goes through the IOMMU (passthru/iommu.h)
 * or, without one, only with the config's explicit rvhv,dma = "identity".
 *
 * VM config (docs/passthrough.md):
 *   pci@30000000 {
 *       compatible = "rvhv,pci";
 *       reg = <0x0 0x30000000 0x0 0x100000>;  the guest's ECAM, bus 0 (1 MiB)
 *       rvhv,functions = <0x0008 ...>;         host BDFs (bus << 8 | dev << 3 | fn)
 *       interrupt-parent = <&plic>;
 *       interrupts = <32 33 34 35>;            vPLIC sources of INTA..INTD, swizzled
 *                                              by device number as on QEMU virt
 *       rvhv,dma = "identity";                 optional: no IOMMU, guest RAM at GPA == HPA
 *   };
 * The guest DTB gets a "pci-host-ecam-generic" node in its place (guest_dtb.c).
 */
#ifndef RVHV_VPCI_H
#define RVHV_VPCI_H

#include "kernel/types.h"

struct vm;

int vpci_attach(struct vm *vm, const void *fdt, int node, u64 base, u64 size, char *err,
		size_t errlen);

#endif
