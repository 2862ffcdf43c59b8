/*
 * Entry from OpenSBI (fw_dynamic) in HS-mode: a0 = hart ID, a1 = DTB,
 * translation off, interrupts off.  Only the boot hart comes here; the
 * others stay stopped in the firmware until boot_main starts them with
 * SBI HSM at secondary_entry.
 */
#include "arch/riscv/asm.h"

	.section .text.boot, "ax"
	.globl _start
_start:
	la	sp, boot_stack_top
	/* Zero .bss (8-byte aligned by linker.ld); a0/a1 are kept for boot_main. */
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	la	t0, hs_trap_vector
	csrw	stvec, t0
	mv	tp, zero
	call	boot_main
3:	wfi
	j	3b

/* HSM start: a0 = hart ID, a1 = opaque = its struct hart (tp from now on). */
	.globl secondary_entry
secondary_entry:
	mv	tp, a1
	ld	sp, HART_STACK_TOP(tp)
	la	t0, hs_trap_vector
	csrw	stvec, t0
	call	hart_secondary_main
4:	wfi
	j	4b

	.section .bss
	.balign 16
boot_stack:
	.space 16384
boot_stack_top:
