/*
 * Guest images: an ELF64 RISC-V executable is loaded at its physical
 * addresses (as QEMU's -bios none would), anything else is a raw binary.
 * Pure: the caller copies segments into guest RAM.
 */
#ifndef RVHV_LOADER_H
#define RVHV_LOADER_H

#include "kernel/types.h"

#define LOADER_MAX_SEGS 16

struct load_seg {
	u64 gpa;          /* where it goes in the guest */
	const void *data; /* file bytes */
	u64 filesz;       /* bytes copied from data */
	u64 memsz;        /* bytes at gpa; memsz - filesz are zeroed */
};

struct load_plan {
	u64 entry;
	int nsegs;
	struct load_seg segs[LOADER_MAX_SEGS];
	bool is_elf;
};

/*
 * Plan the load of image[0..size) into guest RAM [ram_base, ram_base+ram_size).
 * Raw binaries go to raw_addr, entry raw_addr.  Returns 0, or negative with a
 * message in err (truncated ELF, wrong machine, segment outside RAM, ...).
 */
int loader_plan(const void *image, u64 size, u64 raw_addr, u64 ram_base, u64 ram_size,
		struct load_plan *plan, char *err, size_t errlen);

#endif
