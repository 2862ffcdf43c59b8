/*
 * SBI calls for the test guests (RISC-V SBI spec v2.0).  An ecall from
 * S-mode (VS-mode under rvhv) with a7 = extension ID, a6 = function ID,
 * a0..a5 = arguments; the answer comes back as a0 = error, a1 = value.
 */
#ifndef GUEST_SBI_H
#define GUEST_SBI_H

#include <stdint.h>

struct sbiret {
	long error;
	long value;
};

/* Extension IDs, error codes, reset types: the numbers rvhv serves. */
#include "kernel/sbi.h"

/* HSM hart states (spec 9). */
#define SBI_HSM_STARTED 0
#define SBI_HSM_STOPPED 1
#define SBI_HSM_START_PENDING 2
#define SBI_HSM_STOP_PENDING 3


static inline struct sbiret sbi_ecall(unsigned long eid, unsigned long fid, unsigned long arg0,
				      unsigned long arg1, unsigned long arg2, unsigned long arg3)
{
	register unsigned long a0 asm("a0") = arg0;
	register unsigned long a1 asm("a1") = arg1;
	register unsigned long a2 asm("a2") = arg2;
	register unsigned long a3 asm("a3") = arg3;
	register unsigned long a6 asm("a6") = fid;
	register unsigned long a7 asm("a7") = eid;
	asm volatile("ecall"
		     : "+r"(a0), "+r"(a1)
		     : "r"(a2), "r"(a3), "r"(a6), "r"(a7)
		     : "memory");
	return (struct sbiret){(long)a0, (long)a1};
}

/* BASE: a probe answers 0 for an absent extension, non-zero otherwise. */
long sbi_probe(unsigned long eid);
struct sbiret sbi_get_spec_version(void);
struct sbiret sbi_get_impl_id(void);
struct sbiret sbi_get_impl_version(void);

/* TIME when probed, else the legacy call; ~0UL disarms. */
void sbi_set_timer(uint64_t stime);
struct sbiret sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base);
struct sbiret sbi_remote_fence_i(unsigned long hart_mask, unsigned long hart_mask_base);
struct sbiret sbi_remote_sfence_vma(unsigned long hart_mask, unsigned long hart_mask_base,
				    unsigned long start, unsigned long size);

struct sbiret sbi_hart_start(unsigned long hartid, unsigned long start_addr, unsigned long opaque);
struct sbiret sbi_hart_stop(void);
struct sbiret sbi_hart_get_status(unsigned long hartid);

/* DBCN takes physical addresses; the guests run with satp = 0, so VA = PA. */
struct sbiret sbi_dbcn_write(unsigned long num_bytes, unsigned long base);
struct sbiret sbi_dbcn_read(unsigned long num_bytes, unsigned long base);

struct sbiret sbi_system_reset(unsigned long type, unsigned long reason);
void sbi_legacy_putchar(int c);
int sbi_legacy_getchar(void);
void sbi_legacy_shutdown(void);

#endif
