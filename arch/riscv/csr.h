/*
 * CSR access and bit definitions (RISC-V privileged spec 1.12, chapters
 * "Supervisor-Level ISA" and "Hypervisor Extension").
 */
#ifndef RVHV_CSR_H
#define RVHV_CSR_H

#include "kernel/types.h"

#define csr_read(csr)                                            \
	({                                                       \
		u64 __v;                                         \
		asm volatile("csrr %0, " #csr : "=r"(__v)::"memory"); \
		__v;                                             \
	})
#define csr_write(csr, val) asm volatile("csrw " #csr ", %0" ::"rK"((u64)(val)) : "memory")
#define csr_set(csr, val) asm volatile("csrs " #csr ", %0" ::"rK"((u64)(val)) : "memory")
#define csr_clear(csr, val) asm volatile("csrc " #csr ", %0" ::"rK"((u64)(val)) : "memory")

/* sstatus */
#define SSTATUS_SIE (1UL << 1)
#define SSTATUS_SPIE (1UL << 5)
#define SSTATUS_SPP (1UL << 8)
#define SSTATUS_FS_INITIAL (1UL << 13)
#define SSTATUS_FS (3UL << 13)
#define SSTATUS_SUM (1UL << 18)

/* hstatus */
#define HSTATUS_GVA (1UL << 6)
#define HSTATUS_SPV (1UL << 7)
#define HSTATUS_SPVP (1UL << 8)
#define HSTATUS_HU (1UL << 9)
#define HSTATUS_VTVM (1UL << 20)
#define HSTATUS_VTW (1UL << 21)
#define HSTATUS_VTSR (1UL << 22)

/* Interrupt numbers: bit positions in sip/sie/hip/hie/hvip and scause codes */
#define IRQ_S_SOFT 1
#define IRQ_VS_SOFT 2
#define IRQ_S_TIMER 5
#define IRQ_VS_TIMER 6
#define IRQ_S_EXT 9
#define IRQ_VS_EXT 10
#define IRQ_SG_EXT 12
#define MIP(irq) (1UL << (irq))

/* Exception causes */
#define EXC_INSN_MISALIGNED 0
#define EXC_INSN_ACCESS 1
#define EXC_ILLEGAL_INSN 2
#define EXC_BREAKPOINT 3
#define EXC_LOAD_MISALIGNED 4
#define EXC_LOAD_ACCESS 5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS 7
#define EXC_ECALL_U 8 /* from U or VU */
#define EXC_ECALL_S 9
#define EXC_ECALL_VS 10
#define EXC_ECALL_M 11
#define EXC_INSN_PAGE_FAULT 12
#define EXC_LOAD_PAGE_FAULT 13
#define EXC_STORE_PAGE_FAULT 15
#define EXC_INSN_GUEST_PAGE_FAULT 20
#define EXC_LOAD_GUEST_PAGE_FAULT 21
#define EXC_VIRTUAL_INSN 22
#define EXC_STORE_GUEST_PAGE_FAULT 23
#define NR_EXC 24
#define CAUSE_IRQ (1UL << 63)

/* hgatp */
#define HGATP_MODE_SV39X4 8UL
#define HGATP_MODE_SHIFT 60
#define HGATP_VMID_SHIFT 44
#define HGATP_VMID_MASK 0x3fffUL

/* henvcfg: Sstc's enable for vstimecmp */
#define ENVCFG_STCE (1UL << 63)

/* hcounteren / scounteren */
#define COUNTEREN_CY (1UL << 0)
#define COUNTEREN_TM (1UL << 1)
#define COUNTEREN_IR (1UL << 2)

static inline void wfi(void)
{
	asm volatile("wfi" ::: "memory");
}

static inline void hfence_gvma_vmid(u64 vmid)
{
	asm volatile(".option push\n.option arch, +h\nhfence.gvma zero, %0\n.option pop" ::"r"(vmid)
		     : "memory");
}

static inline void hfence_vvma_all(void)
{
	asm volatile(".option push\n.option arch, +h\nhfence.vvma zero, zero\n.option pop" ::: "memory");
}

#endif
