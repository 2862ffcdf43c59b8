/*
 * mbench's assembly: the M-mode entry (hart 0 runs; any other parks) and
 * the M-mode twin of loops.S's interrupt probe.
 */
	.section .text.entry, "ax"
	.globl	_entry
_entry:
	csrw	mie, zero
	bnez	a0, park
	lla	t0, __bss_start
	lla	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	lla	sp, stack_top
	call	m_main		/* never returns */
park:
	wfi
	j	park

/*
 * unsigned long irq_store_dword(unsigned long addr, unsigned long val):
 * instret from just before `sd val, 0(addr)` (a CLINT mtimecmp: the timer
 * interrupt it raises) to the first instruction of the M-mode handler,
 * which goes back to the caller with a plain ret; mstatus.MIE is left clear
 * by the trap.  The caller has set mie.MTIE.
 */
	.text
	.globl	irq_store_dword
	.balign	4
irq_store_dword:
	lla	t0, 2f
	csrrw	t1, mtvec, t0
	csrsi	mstatus, 8
	rdinstret t2
	sd	a1, 0(a0)
1:	j	1b
	.balign	4
2:	rdinstret a0
	csrw	mtvec, t1
	sub	a0, a0, t2
	ret

	.bss
	.balign	16
	.space	8192
stack_top:
