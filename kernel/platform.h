/*
 * The host platform as the firmware's device tree describes it: one global,
 * read-only after boot (platform_parse fills it before anything else runs).
 */
#ifndef RVHV_PLATFORM_H
#define RVHV_PLATFORM_H

#include "kernel/types.h"

#define MAX_HARTS 8
#define MAX_VIRTIO_SLOTS 16
#define MAX_RESERVED 8

struct mem_range {
	u64 base, size;
};

struct platform {
	struct mem_range ram;                     /* first /memory node (QEMU virt: one) */
	struct mem_range reserved[MAX_RESERVED];  /* /reserved-memory children + memreserve */
	int nreserved;
	int nharts;                               /* enabled harts (status absent or "okay") */
	u64 hartid[MAX_HARTS];                    /* index -> hart ID, in DT order */
	char isa[256];                            /* riscv,isa of the first hart */
	char mmu_type[16];                        /* "riscv,sv39", ... of the first hart */
	u32 timebase;                             /* /cpus timebase-frequency */
	bool has_h, has_sstc;                     /* from the ISA string */
	u64 uart_base, uart_size;                 /* ns16550a (the stdout-path one if given) */
	u32 uart_irq, uart_clock;
	u64 plic_base, plic_size;
	u32 plic_ndev;                            /* riscv,ndev */
	s32 plic_s_context[MAX_HARTS];            /* hart index -> its S-mode PLIC context, -1 if none */
	u64 clint_base, clint_size;
	u64 test_base;                            /* sifive,test0 syscon, 0 if absent */
	struct mem_range virtio[MAX_VIRTIO_SLOTS]; /* virtio,mmio slots, in address order */
	u32 virtio_irq[MAX_VIRTIO_SLOTS];
	int nvirtio;
	u64 pcie_ecam_base, pcie_ecam_size;       /* 0 if absent */
	u64 initrd_start, initrd_end;             /* /chosen linux,initrd-*: the VM config blob */
	const char *bootargs;                     /* /chosen/bootargs or NULL */
};

extern struct platform platform;

/*
 * Parse the firmware's DTB into *p.  Returns 0, or a negative value with a
 * message in err: a DTB rvhv cannot run on (no memory, no harts, ...).
 */
int platform_parse(const void *fdt, struct platform *p, char *err, size_t errlen);

/* True when the ISA string (e.g. "rv64imafdch_zicsr_sstc") has extension `ext`
 * (a single letter "h" or a multi-letter name "sstc"). */
bool isa_has(const char *isa, const char *ext);

/* True when one '_'-separated extension s[0..n) of an ISA string names `ext`:
 * any case, with or without a version ("sstc", "Sstc1p0"). */
bool isa_token_is(const char *s, size_t n, const char *ext);

#endif
