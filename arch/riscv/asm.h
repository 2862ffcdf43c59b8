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
#define VCPU_FAST_UART_WORD 320
#define VCPU_FAST_UART 328
#define VCPU_FAST_IN 336
#define VCPU_FAST_FAULT 344
#define VCPU_FAST_LOAD_TAB 352
#define VCPU_FAST_STORE_TAB 360
#define VCPU_FAST_LOAD_MASK 368
#define VCPU_FAST_STORE_MASK 376
#define VCPU_FAST_TX_ONLY 384
#define VCPU_FAST_CONSOLE 392
#define VCPU_FAST_SBI 400
#define VCPU_FAST_UART_EXITS 408
#define VCPU_FAST_SBI_BASE 424
#define VCPU_FAST_PLIC_WORD 480
#define VCPU_FAST_PLIC 488
#define VCPU_FAST_PLIC_LOCK 496
#define VCPU_FAST_PLIC_ENABLE 504
#define VCPU_FAST_PLIC_CTX 512 /* u32 */
#define VCPU_FAST_PLIC_OTHERS 516 /* u32 */
#define VCPU_FAST_PLIC_END 520
#define VCPU_FAST_PLIC_LOAD_TAB 528
#define VCPU_FAST_PLIC_STORE_TAB 536
#define VCPU_FAST_PLIC_EXITS 544
#define VCPU_FAST_DISARMED 560
#define VCPU_FAST_PC 568
#define VCPU_FAST_WINDOWS 576
#define VCPU_FAST_WINDOW_EXITS 584
#define VCPU_FAST_WINDOW_SLOT 592
#define VCPU_SBI_EXITS 1496 /* exits[EXC_ECALL_VS] */
#define VCPU_VSEIP 672
#define VCPU_HVIP_SEIP 673

/* scause values (csr.h's EXC_*, which is C only) */
#define EXC_ECALL_FROM_VS 10
#define EXC_LOAD_GPF 21
#define EXC_STORE_GPF 23

/* struct uart16550 (vdev/uart16550.h) */
#define UART16550_LSR 3
#define UART16550_SCR 5
#define UART16550_RX_COUNT 26

/* struct plic (vdev/plic.h) */
#define PLIC_S_NSOURCES 0
#define PLIC_S_NCONTEXTS 4
#define PLIC_S_PRIORITY 8
#define PLIC_S_PENDING 520
#define PLIC_S_LEVEL 536
#define PLIC_S_CLAIMED 552
#define PLIC_S_ENABLE 568 /* 16 bytes a context */
#define PLIC_S_THRESHOLD 824
#define PLIC_S_EIP 888
#define PLIC_S_QEMU_GATEWAY 904
#define PLIC_S_ENABLING 1000

/* struct mmio_window and the bus's slots (kernel/mmio.h) */
#define WINDOW_SIZE 512
#define WINDOW_READABLE 512 /* 64 bytes a width */
#define WINDOW_COUNT 768
#define WINDOW_SLOTS 16 /* 16 bytes each: word, window */

/* struct console_line (kernel/console.h) */
#define CONSOLE_LOCK 0
#define CONSOLE_LAST_WRITER 4
#define CONSOLE_LAST_CHAR 8
#define CONSOLE_UART 16

#define HART_STACK_TOP 0
#define HART_HARTID 8
#define HART_SIZE 48
#define MAX_HARTS_ASM 8

#define TRAP_FRAME_SIZE (36 * 8) /* x0..x31, sepc, scause, stval, pad */

#endif
