/*
 * mboot's assembly: the M-mode entry every hart runs at 0x80000000, the
 * M-mode timer vector, and the S-mode trap vector.  mboot.c has the rest.
 *
 * All harts enter at once with a0 = mhartid (QEMU's `-bios none` reset
 * code; rvhv's virtual M-mode for a `boot = "machine"` VM).  Hart 0 clears
 * .bss; the others spin on bss_ready, which lives in .data, before they
 * touch their stacks (which are in .bss).
 */
#define NHARTS 3
#define STACK_SHIFT 13 /* 8 KiB per hart */

	.section .text.entry, "ax"
	.globl	_entry
_entry:
	csrw	mie, zero
	li	t0, NHARTS
	bgeu	a0, t0, park
	bnez	a0, 3f
	lla	t0, __bss_start
	lla	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	fence	w, w
	li	t0, 1
	lla	t1, bss_ready
	sw	t0, 0(t1)
3:	lla	t1, bss_ready
	lw	t0, 0(t1)
	beqz	t0, 3b
	fence	r, rw
	addi	t0, a0, 1
	slli	t0, t0, STACK_SHIFT
	lla	sp, stacks
	add	sp, sp, t0
	call	m_start		/* a0 = the hart id we were given; never returns */
park:
	wfi
	j	park

/*
 * M-mode timer interrupt, with paging off (the M-mode view).  mscratch
 * points at this hart's struct timer_scratch (mboot.c): three save slots,
 * then &mtimecmp and the interval.  Push mtimecmp one interval on (which
 * clears MTIP) and hand the tick to S-mode as a supervisor software
 * interrupt: mideleg delegates SSI, so the S trap vector takes it.
 */
	.text
	.globl	timervec
	.balign	4
timervec:
	csrrw	a0, mscratch, a0
	sd	t0, 0(a0)
	sd	t1, 8(a0)
	sd	t2, 16(a0)
	ld	t0, 24(a0)
	ld	t1, 32(a0)
	ld	t2, 0(t0)
	add	t2, t2, t1
	sd	t2, 0(t0)
	li	t0, 2
	csrw	sip, t0
	ld	t2, 16(a0)
	ld	t1, 8(a0)
	ld	t0, 0(a0)
	csrrw	a0, mscratch, a0
	mret

/*
 * S-mode traps, taken on the interrupted code's own stack (mboot's S code
 * never points sp anywhere odd).  Save the registers a C call may clobber,
 * call s_trap(), restore, sret.
 */
.macro caller_saved op
	\op	ra, 0(sp)
	\op	t0, 8(sp)
	\op	t1, 16(sp)
	\op	t2, 24(sp)
	\op	t3, 32(sp)
	\op	t4, 40(sp)
	\op	t5, 48(sp)
	\op	t6, 56(sp)
	\op	a0, 64(sp)
	\op	a1, 72(sp)
	\op	a2, 80(sp)
	\op	a3, 88(sp)
	\op	a4, 96(sp)
	\op	a5, 104(sp)
	\op	a6, 112(sp)
	\op	a7, 120(sp)
.endm

	.globl	s_trapvec
	.balign	4
s_trapvec:
	addi	sp, sp, -128
	caller_saved sd
	call	s_trap
	caller_saved ld
	addi	sp, sp, 128
	sret

	.data
	.balign	4
bss_ready:
	.word	0

	.bss
	.balign	16
stacks:
	.space	NHARTS << STACK_SHIFT
