/* Calls from rvhv (HS-mode) down to the M-mode firmware (OpenSBI). */
#ifndef RVHV_FIRMWARE_H
#define RVHV_FIRMWARE_H

#include "kernel/sbi.h"
#include "kernel/types.h"

struct sbiret {
	long error;
	long value;
};

static inline struct sbiret fw_ecall(u64 ext, u64 fid, u64 a0, u64 a1, u64 a2)
{
	register u64 r0 asm("a0") = a0;
	register u64 r1 asm("a1") = a1;
	register u64 r2 asm("a2") = a2;
	register u64 r6 asm("a6") = fid;
	register u64 r7 asm("a7") = ext;
	asm volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
	return (struct sbiret){(long)r0, (long)r1};
}

static inline long fw_hart_start(u64 hartid, u64 addr, u64 opaque)
{
	return fw_ecall(SBI_EXT_HSM, 0, hartid, addr, opaque).error;
}

static inline void fw_send_ipi(u64 hartid)
{
	fw_ecall(SBI_EXT_IPI, 0, 1, hartid, 0);
}

static inline void fw_set_timer(u64 when)
{
	fw_ecall(SBI_EXT_TIME, 0, when, 0, 0);
}

static inline void fw_system_reset(u64 type)
{
	fw_ecall(SBI_EXT_SRST, 0, type, 0, 0);
}

#endif
