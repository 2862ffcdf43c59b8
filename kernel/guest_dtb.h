/*
 * The device tree a supervisor-mode VM boots with: its own memory, vCPUs and
 * devices only, generated with libfdt's write API.
 */
#ifndef RVHV_GUEST_DTB_H
#define RVHV_GUEST_DTB_H

#include "kernel/config.h"
#include "kernel/platform.h"

/*
 * The cpu-intc node of guest vCPU n has phandle GUEST_INTC_PHANDLE + n, fixed
 * so that device nodes in a VM config can name it, e.g. a PLIC's
 *   interrupts-extended = <0x8000 11 0x8000 9 0x8001 11 0x8001 9>;
 * (11: M-mode external interrupt, 9: S-mode external).  dtc numbers the
 * config's own phandles from 1, far below.
 */
#define GUEST_INTC_PHANDLE 0x8000

/*
 * Build the guest DTB for VM `cfg` into buf[0..len).  From the host it takes
 * the timebase, the ISA string (with "h" removed; "sstc" kept only if
 * `sstc` is true) and mmu-type.  /chosen gets bootargs, stdout-path (the
 * first ns16550a among the VM's devices) and linux,initrd-start/end when
 * initrd_size != 0.  Every node under the config's devices node is copied
 * under /soc, properties and subnodes included, except a "rvhv,pci" node:
 * that becomes a "pci-host-ecam-generic" bridge with the host's memory
 * windows (pci_host, passthru/pci.h), and /chosen gets
 * linux,pci-probe-only.  Returns 0 or a negative libfdt error.
 */
int guest_dtb_build(void *buf, size_t len, const struct vm_config *cfg, const struct platform *host,
		    bool sstc, u64 initrd_gpa, u64 initrd_size);

#endif
