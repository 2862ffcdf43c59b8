/*
 * Entry from OpenSBI (fw_dynamic) in HS-mode: a0 = hart ID, a1 = DTB,
 * translation off, interrupts off.  One boot hart comes here; the others
 * stay stopped in the firmware until boot_main starts them with SBI HSM at
 * secondary_entry.  The firmware has been seen to send a second hart here
 * too: the first to arrive claims the boot, any later one must not clear
 * .bss under it, and joins as a secondary once the hart table is published.
 */
#include "arch/riscv/asm.h"

	.section .text.boot, "ax"
	.globl _start
_start:
	la	t0, boot_claimed
	li	t1, 1
	amoswap.w.aq t1, t1, (t0)
	bnez	t1, late_entry
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

late_entry:
	la	t0, harts_published
1:	lw	t1, 0(t0)
	beqz	t1, 1b
	fence	r, rw
	la	a1, harts
	li	t2, MAX_HARTS_ASM
2:	ld	t1, HART_HARTID(a1)
	beq	t1, a0, secondary_entry
	addi	a1, a1, HART_SIZE
	addi	t2, t2, -1
	bnez	t2, 2b
3:	wfi			/* a hart rvhv does not know: park it */
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

	.section .data
	.balign 4
boot_claimed:
	.word	0

	.section .bss
	.balign 16
boot_stack:
	.space 16384
boot_stack_top:
