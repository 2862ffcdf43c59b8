/* Offsets of struct vcpu and struct hart used by the assembly (checked by
 * _Static_assert in arch/riscv/vcpu_arch.c and kernel/hart.c). */
#ifndef RVHV_ASM_H
#define RVHV_ASM_H

#define VCPU_REG(n) ((n)*8)
#define VCPU_SEPC 256
#define VCPU_SSTATUS 264
#define VCPU_HSTATUS 272
#define VCPU_SCAUSE 280
#define VCPU_STVAL 288
#define VCPU_HTVAL 296
#define VCPU_HTINST 304
#define VCPU_HOST_SP 312

#define HART_STACK_TOP 0
#define HART_HARTID 8
#define HART_SIZE 48
#define MAX_HARTS_ASM 8

#define TRAP_FRAME_SIZE (36 * 8) /* x0..x31, sepc, scause, stval, pad */

#endif
