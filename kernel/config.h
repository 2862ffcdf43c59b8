/*
 * VM configuration: a device tree (configs/<name>.dts, compiled by dtc) handed to
 * rvhv by QEMU as its -initrd.  Layout (docs/config.md):
 *
 *   / { compatible = "rvhv,config";
 *       vm-name { compatible = "rvhv,vm";
 *           boot = "supervisor" | "machine";       default "supervisor"
 *           cpus = <n>;                            vCPUs, 1..MAX_VCPUS
 *           harts = <i j ...>;                     optional: physical hart index per vCPU
 *           memory = <base-hi base-lo size-hi size-lo>;  guest RAM (GPA), 2 MiB aligned
 *           image = /incbin/("file");              ELF (loaded at its paddrs) or raw binary
 *           image-addr = <hi lo>;                  raw binary load address, default base+2 MiB
 *           initrd = /incbin/("file");             optional, supervisor VMs
 *           bootargs = "...";                      optional, into the guest DTB /chosen
 *           devices { name@addr { compatible = ...; reg = <...>; ... }; ... };
 *       };
 *   };
 */
#ifndef RVHV_CONFIG_H
#define RVHV_CONFIG_H

#include "kernel/types.h"

#define MAX_VMS 8
#define MAX_VCPUS 8
/* Guest RAM's base and size: G-stage superpages; also where raw images go. */
#define GUEST_RAM_ALIGN (2 * MiB)

enum vm_boot {
	BOOT_SUPERVISOR, /* VS-mode at the entry, a0 = hartid, a1 = guest DTB, SBI */
	BOOT_MACHINE,    /* virtual M-mode at the entry on all vCPUs (xv6) */
};

struct vm_config {
	const char *name;       /* node name, without unit address */
	enum vm_boot boot;
	u32 ncpus;
	s32 harts[MAX_VCPUS];   /* physical hart index per vCPU, -1 = let rvhv choose */
	u64 mem_base, mem_size;
	const void *image;      /* points into the config blob */
	u64 image_size;
	u64 image_addr;         /* raw images: where they load (always set) */
	const void *initrd;     /* NULL if none */
	u64 initrd_size;
	const char *bootargs;   /* NULL if none */
	int devices;            /* fdt offset of the devices node, or -1 */
	const void *fdt;        /* the config blob */
};

/*
 * Parse every "rvhv,vm" node of the config blob into vms[0..max).  Returns
 * the number of VMs (>= 1) or a negative value with a message in err naming
 * the VM and the property at fault.
 */
int config_parse(const void *fdt, struct vm_config *vms, int max, char *err, size_t errlen);

#endif
