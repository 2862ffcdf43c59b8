/*
 * The timed parts of the bench guests, in assembly so that the instruction
 * count of every loop is fixed by this file and not by the compiler.
 *
 * Under QEMU's -icount shift=0 the instret counter reads the virtual clock
 * in ns, which advances one per instruction executed by the hart in any
 * mode: a loop's instret delta includes what the hypervisor (or the
 * firmware) ran on the guest's behalf.  Each loop exists twice, with the
 * operation and without it (loop_empty); the difference divided by the
 * iteration count is the cost of one operation as the guest sees it.
 *
 * Loops: unsigned long loop_<name>(unsigned long n, unsigned long addr,
 *                                  unsigned long val, unsigned long out[2])
 * return the instret delta and store the time CSR delta in out[0] and what
 * the operation accumulated in t1 (from 0) in out[1].  Registers the
 * operation may use: a1 (address), a2 (value), t0, t1.
 */

/* rdinstret/rdtime around n iterations of the macro `body`, which must
 * not touch a0, a3, t3-t6. */
.macro timed_loop name, body
	.text
	.globl	loop_\name
	.balign	4
loop_\name:
	li	t1, 0
	rdtime	t5
	rdinstret t4
1:	\body
	addi	a0, a0, -1
	bnez	a0, 1b
	rdinstret t3
	rdtime	t6
	sub	a0, t3, t4
	sub	t6, t6, t5
	sd	t6, 0(a3)
	sd	t1, 8(a3)
	ret
.endm

.macro op_none
.endm
.macro op_lbu
	lbu	t0, 0(a1)
.endm
.macro op_lw
	lw	t0, 0(a1)
.endm
.macro op_ld
	ld	t0, 0(a1)
.endm
.macro op_sb
	sb	a2, 0(a1)
.endm
.macro op_sd
	sd	a2, 0(a1)
.endm
/* PLIC claim, then complete of what was claimed (two MMIO accesses); the
 * claimed IDs are summed in t1.  op_claim_base is its loop without them. */
.macro op_claim
	lw	t0, 0(a1)
	sw	t0, 0(a1)
	add	t1, t1, t0
.endm
.macro op_claim_base
	add	t1, t1, t0
.endm
/* A virtual M-mode CSR read (traps under rvhv; one instruction natively). */
.macro op_mscratch
	csrr	t0, mscratch
.endm

timed_loop empty, op_none
timed_loop lbu, op_lbu
timed_loop lw, op_lw
timed_loop ld, op_ld
timed_loop sb, op_sb
timed_loop sd, op_sd
timed_loop claim, op_claim
timed_loop claim_base, op_claim_base
timed_loop mscratch, op_mscratch

/* An SBI call with extension a1, function a2 and argument a4; SBI keeps
 * every register but a0 and a1, so the count lives in t2.  loop_ecall_base
 * is the same loop without the ecall. */
	.text
	.globl	loop_ecall
	.balign	4
/* unsigned long loop_ecall(n, eid, fid, *dtime, arg0) */
loop_ecall:
	mv	t2, a0
	mv	a7, a1
	mv	a6, a2
	rdtime	t5
	rdinstret t4
1:	mv	a0, a4
	ecall
	addi	t2, t2, -1
	bnez	t2, 1b
	rdinstret t3
	rdtime	t6
	sub	a0, t3, t4
	sub	t6, t6, t5
	sd	t6, 0(a3)
	ret

	.globl	loop_ecall_base
	.balign	4
loop_ecall_base:
	mv	t2, a0
	mv	a7, a1
	mv	a6, a2
	rdtime	t5
	rdinstret t4
1:	mv	a0, a4
	addi	t2, t2, -1
	bnez	t2, 1b
	rdinstret t3
	rdtime	t6
	sub	a0, t3, t4
	sub	t6, t6, t5
	sd	t6, 0(a3)
	ret

/*
 * Interrupt latency: the instret delta from just before the instruction
 * that raises an interrupt to the first instruction of its handler.  The
 * caller has enabled the interrupt in sie and sets sstatus.SIE here; the
 * handler is a local label installed in stvec for the duration, which goes
 * back to the caller with a plain ret (sstatus.SIE is left clear by the
 * trap; sepc, scause are left for the caller to check).
 *   unsigned long irq_csr_stimecmp(unsigned long when)   csrw stimecmp, when
 *   unsigned long irq_sbi_timer(unsigned long when)      SBI TIME set_timer(when)
 *   unsigned long irq_store_byte(unsigned long addr, unsigned long val)  sb val, 0(addr)
 * If the interrupt never comes the call spins forever: the harness's
 * deadline catches that.
 */
.macro irq_probe name, setup, trigger
	.text
	.globl	irq_\name
	.balign	4
irq_\name:
	lla	t0, 2f
	csrrw	t1, stvec, t0
	\setup
	csrsi	sstatus, 2
	rdinstret t2
	\trigger
1:	j	1b
	.balign	4
2:	rdinstret a0
	csrw	stvec, t1
	sub	a0, a0, t2
	ret
.endm

.macro set_stimecmp
	csrw	0x14d, a0
.endm
.macro sbi_time_args
	li	a7, 0x54494d45
	li	a6, 0
.endm
.macro do_ecall
	ecall
.endm
.macro store_byte
	sb	a1, 0(a0)
.endm

irq_probe csr_stimecmp, op_none, set_stimecmp
irq_probe sbi_timer, sbi_time_args, do_ecall
irq_probe store_byte, op_none, store_byte
