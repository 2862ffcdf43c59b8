/*
 * The world switch.  vcpu_enter(v) saves the hypervisor's callee-saved
 * registers on its stack, loads the guest's registers from struct vcpu and
 * srets into it (hstatus.SPV = 1).  Any trap from the guest lands on
 * guest_exit, which stores the guest's registers and the trap CSRs back into
 * the vCPU (found in sscratch) and, unless the exit is one of the few that
 * vcpu_exit_fast handles on the spot, returns from vcpu_enter as if it were
 * an ordinary call, so the exit is handled by plain C in kernel/vcpu.c.
 */
#include "arch/riscv/asm.h"
#include "kernel/sbi.h"

	.option arch, +h
	.text
	.globl vcpu_enter
	.balign 4
vcpu_enter:
	addi	sp, sp, -128
	sd	ra, 0(sp)
	sd	s0, 8(sp)
	sd	s1, 16(sp)
	sd	s2, 24(sp)
	sd	s3, 32(sp)
	sd	s4, 40(sp)
	sd	s5, 48(sp)
	sd	s6, 56(sp)
	sd	s7, 64(sp)
	sd	s8, 72(sp)
	sd	s9, 80(sp)
	sd	s10, 88(sp)
	sd	s11, 96(sp)
	sd	tp, 104(sp)
	sd	gp, 112(sp)
	sd	sp, VCPU_HOST_SP(a0)
	csrw	sscratch, a0

	ld	t0, VCPU_SEPC(a0)
	csrw	sepc, t0
	ld	t0, VCPU_SSTATUS(a0)
	csrw	sstatus, t0
	ld	t0, VCPU_HSTATUS(a0)
	csrw	hstatus, t0
	la	t0, guest_exit
	csrw	stvec, t0

	ld	x1, VCPU_REG(1)(a0)
	ld	x2, VCPU_REG(2)(a0)
	ld	x3, VCPU_REG(3)(a0)
	ld	x4, VCPU_REG(4)(a0)
	ld	x5, VCPU_REG(5)(a0)
	ld	x6, VCPU_REG(6)(a0)
	ld	x7, VCPU_REG(7)(a0)
	ld	x8, VCPU_REG(8)(a0)
	ld	x9, VCPU_REG(9)(a0)
	ld	x11, VCPU_REG(11)(a0)
	ld	x12, VCPU_REG(12)(a0)
	ld	x13, VCPU_REG(13)(a0)
	ld	x14, VCPU_REG(14)(a0)
	ld	x15, VCPU_REG(15)(a0)
	ld	x16, VCPU_REG(16)(a0)
	ld	x17, VCPU_REG(17)(a0)
	ld	x18, VCPU_REG(18)(a0)
	ld	x19, VCPU_REG(19)(a0)
	ld	x20, VCPU_REG(20)(a0)
	ld	x21, VCPU_REG(21)(a0)
	ld	x22, VCPU_REG(22)(a0)
	ld	x23, VCPU_REG(23)(a0)
	ld	x24, VCPU_REG(24)(a0)
	ld	x25, VCPU_REG(25)(a0)
	ld	x26, VCPU_REG(26)(a0)
	ld	x27, VCPU_REG(27)(a0)
	ld	x28, VCPU_REG(28)(a0)
	ld	x29, VCPU_REG(29)(a0)
	ld	x30, VCPU_REG(30)(a0)
	ld	x31, VCPU_REG(31)(a0)
	ld	x10, VCPU_REG(10)(a0)
	sret

	/*
	 * An exit.  Two tiers answer the hottest exits without a world switch.
	 *
	 * The assembly tier, below, saves t0-t2 only: an SBI BASE query, SBI
	 * set_timer with Sstc, and the console UART's side-effect-free
	 * registers (LSR and SCR loads, SCR and THR stores) while its model is
	 * in a plain state; and, saving a1-a7 as well, the vPLIC's claim and
	 * completion in the vCPU's own S-mode context.  Anything it is unsure
	 * of goes on to the C tier with nothing changed.
	 *
	 * The C tier saves what C code may clobber (the caller-saved
	 * registers, sp and tp; rvhv never uses gp), with sepc and scause, and
	 * vcpu_exit_fast gets a go at it: SBI calls and device accesses
	 * (kernel/vcpu.c) are handled there and the guest re-entered at once,
	 * its callee-saved registers never leaving the hart.  vcpu_exit_fast
	 * saves stval, htval and htinst itself, when the exit needs them.
	 * Otherwise the rest is saved and vcpu_enter returns to the run loop.
	 * stvec requires 4-byte alignment.
	 */
	.balign 4
guest_exit:
	csrrw	a0, sscratch, a0
	sd	t0, VCPU_REG(5)(a0)
	csrr	t0, scause
	addi	t0, t0, -EXC_STORE_GPF
	beqz	t0, fast_store
	addi	t0, t0, EXC_STORE_GPF - EXC_LOAD_GPF
	beqz	t0, fast_load
	addi	t0, t0, EXC_LOAD_GPF - EXC_ECALL_FROM_VS
	beqz	t0, fast_ecall

	/* The C tier: a0 = the vCPU, the guest's a0 in sscratch, t0 saved. */
exit_c:
	sd	x1, VCPU_REG(1)(a0)
	sd	x2, VCPU_REG(2)(a0)
	sd	x4, VCPU_REG(4)(a0)
	sd	x6, VCPU_REG(6)(a0)
	sd	x7, VCPU_REG(7)(a0)
	sd	x11, VCPU_REG(11)(a0)
	sd	x12, VCPU_REG(12)(a0)
	sd	x13, VCPU_REG(13)(a0)
	sd	x14, VCPU_REG(14)(a0)
	sd	x15, VCPU_REG(15)(a0)
	sd	x16, VCPU_REG(16)(a0)
	sd	x17, VCPU_REG(17)(a0)
	sd	x28, VCPU_REG(28)(a0)
	sd	x29, VCPU_REG(29)(a0)
	sd	x30, VCPU_REG(30)(a0)
	sd	x31, VCPU_REG(31)(a0)
	csrrw	t0, sscratch, a0
	sd	t0, VCPU_REG(10)(a0)
	csrr	t0, sepc
	sd	t0, VCPU_SEPC(a0)
	csrr	t0, scause
	sd	t0, VCPU_SCAUSE(a0)
	la	t0, hs_trap_vector
	csrw	stvec, t0
	ld	sp, VCPU_HOST_SP(a0)
	ld	tp, 104(sp)
	call	vcpu_exit_fast
	beqz	a0, exit_slow

	/* Handled: back into the guest with what vcpu_exit_fast left. */
	csrr	a0, sscratch
	la	t0, guest_exit
	csrw	stvec, t0
	ld	t0, VCPU_SEPC(a0)
	csrw	sepc, t0
	ld	x1, VCPU_REG(1)(a0)
	ld	x2, VCPU_REG(2)(a0)
	ld	x4, VCPU_REG(4)(a0)
	ld	x5, VCPU_REG(5)(a0)
	ld	x6, VCPU_REG(6)(a0)
	ld	x7, VCPU_REG(7)(a0)
	ld	x11, VCPU_REG(11)(a0)
	ld	x12, VCPU_REG(12)(a0)
	ld	x13, VCPU_REG(13)(a0)
	ld	x14, VCPU_REG(14)(a0)
	ld	x15, VCPU_REG(15)(a0)
	ld	x16, VCPU_REG(16)(a0)
	ld	x17, VCPU_REG(17)(a0)
	ld	x28, VCPU_REG(28)(a0)
	ld	x29, VCPU_REG(29)(a0)
	ld	x30, VCPU_REG(30)(a0)
	ld	x31, VCPU_REG(31)(a0)
	ld	x10, VCPU_REG(10)(a0)
	sret

	/* The run loop's turn: the guest's callee-saved registers are
	 * still in place (C preserved them); store them too, and sstatus
	 * and hstatus (no trap to rvhv has changed them: the one thing
	 * vcpu_exit_fast does that may trap, guest_fetch_insn, puts them
	 * back), and return from vcpu_enter. */
exit_slow:
	csrr	a0, sscratch
	csrr	t0, sstatus
	sd	t0, VCPU_SSTATUS(a0)
	csrr	t0, hstatus
	sd	t0, VCPU_HSTATUS(a0)
	sd	x3, VCPU_REG(3)(a0)
	sd	x8, VCPU_REG(8)(a0)
	sd	x9, VCPU_REG(9)(a0)
	sd	x18, VCPU_REG(18)(a0)
	sd	x19, VCPU_REG(19)(a0)
	sd	x20, VCPU_REG(20)(a0)
	sd	x21, VCPU_REG(21)(a0)
	sd	x22, VCPU_REG(22)(a0)
	sd	x23, VCPU_REG(23)(a0)
	sd	x24, VCPU_REG(24)(a0)
	sd	x25, VCPU_REG(25)(a0)
	sd	x26, VCPU_REG(26)(a0)
	sd	x27, VCPU_REG(27)(a0)
	ld	sp, VCPU_HOST_SP(a0)
	ld	ra, 0(sp)
	ld	s0, 8(sp)
	ld	s1, 16(sp)
	ld	s2, 24(sp)
	ld	s3, 32(sp)
	ld	s4, 40(sp)
	ld	s5, 48(sp)
	ld	s6, 56(sp)
	ld	s7, 64(sp)
	ld	s8, 72(sp)
	ld	s9, 80(sp)
	ld	s10, 88(sp)
	ld	s11, 96(sp)
	ld	tp, 104(sp)
	ld	gp, 112(sp)
	addi	sp, sp, 128
	ret

/*
 * The assembly tier of guest_exit.  On entry a0 = the vCPU, the guest's a0
 * is in sscratch and its t0 in its slot; the device paths save t1 and t2
 * too, and put the three back before re-entering the guest.
 */

/* SBI: a BASE query with a fixed answer, or TIME set_timer under Sstc. */
fast_ecall:
	ld	t0, VCPU_FAST_SBI(a0)
	andi	t0, t0, 1
	beqz	t0, exit_c
	li	t0, SBI_EXT_BASE
	bne	a7, t0, 1f
	sltiu	t0, a6, SBI_BASE_FIDS
	beqz	t0, exit_c
	slli	t0, a6, 3
	add	t0, t0, a0
	ld	t0, VCPU_FAST_SBI_BASE(t0)
	bltz	t0, exit_c			/* probe_extension: the C tier */
	mv	a1, t0
sbi_done:					/* a1 set; a0 = 0: success */
	csrr	t0, sepc
	addi	t0, t0, 4
	csrw	sepc, t0
	ld	t0, VCPU_SBI_EXITS(a0)
	addi	t0, t0, 1
	sd	t0, VCPU_SBI_EXITS(a0)
	ld	t0, VCPU_REG(5)(a0)
	csrw	sscratch, a0
	li	a0, 0
	sret
1:	li	t0, SBI_EXT_TIME
	bne	a7, t0, exit_c
	bnez	a6, exit_c
	ld	t0, VCPU_FAST_SBI(a0)
	andi	t0, t0, 2
	beqz	t0, exit_c			/* no Sstc: rvhv's own timer, in C */
	csrr	t0, sscratch			/* stime_value */
	csrw	0x24d, t0			/* vstimecmp */
	li	a1, 0
	j	sbi_done

/*
 * A load from a device: lb/lbu of the console UART's LSR or SCR.  Reading
 * LSR clears its error bits, so LSR is answered here only when it has
 * none; console input waiting to move into the receive FIFO sends the load
 * to the model too.  Its other registers are its register window's
 * (uart_window: IER, LCR and the like, as uart16550_publish has them).
 * The instruction is read with HLVX (stvec meanwhile fast_fetch_fault):
 * its low half holds opcode, rd and funct3.  The register is the low bits
 * of stval (the guest's address and the GPA share the page offset).
 */
	/* t0 = the low half of a load's instruction (opcode, rd, funct3),
	 * read with HLVX under fast_fetch_fault; t2 is clobbered */
	.macro	fetch_load
	ld	t2, VCPU_FAST_FAULT(a0)
	csrrw	t2, stvec, t2
	csrr	t0, sepc
	hlvx.hu	t0, (t0)
	csrw	stvec, t2
	.endm

fast_load:
	sd	t1, VCPU_REG(6)(a0)
	csrr	t1, htval			/* GPA >> 2 */
	ld	t0, VCPU_FAST_UART_WORD(a0)
	sub	t1, t1, t0
	sltiu	t1, t1, 2
	beqz	t1, plic_load
	sd	t2, VCPU_REG(7)(a0)
	ld	t0, VCPU_FAST_IN(a0)
	lw	t1, 0(t0)
	lw	t0, 4(t0)
	bne	t0, t1, fast_bail
	fetch_load
	ld	t1, VCPU_FAST_LOAD_MASK(a0)
	and	t1, t0, t1
	addi	t1, t1, -0x03			/* lb or lbu */
	bnez	t1, fast_bail
	csrr	t1, stval
	andi	t1, t1, 7
	ld	t2, VCPU_FAST_UART(a0)
	addi	t1, t1, -5
	bnez	t1, 1f
	lbu	t1, UART16550_RX_COUNT(t2)	/* LSR: DR follows the FIFO */
	snez	t1, t1
	lbu	t2, UART16550_LSR(t2)
	or	t1, t1, t2
	andi	t2, t1, 0x9e			/* OE PE FE BI, FIFO error */
	bnez	t2, fast_bail
write_rd:					/* x[rd] = t1; t0 = the instruction */
	srli	t0, t0, 7 - 3			/* rd * 8: bits 11:7, as 8:3 */
	andi	t0, t0, 31 << 3
	ld	t2, VCPU_FAST_LOAD_TAB(a0)
	add	t0, t0, t2
	jr	t0
fast_load_done:
	csrr	t0, sepc
	addi	t0, t0, 4
	csrw	sepc, t0
	ld	t0, VCPU_FAST_UART_EXITS(a0)
	addi	t0, t0, 1
	sd	t0, VCPU_FAST_UART_EXITS(a0)
fast_return:
	ld	t0, VCPU_REG(5)(a0)
	ld	t1, VCPU_REG(6)(a0)
	ld	t2, VCPU_REG(7)(a0)
	csrrw	a0, sscratch, a0
	sret
1:	addi	t1, t1, 5 - 7
	bnez	t1, uart_window
	lbu	t1, UART16550_SCR(t2)		/* SCR */
	slli	t2, t0, 63 - 14			/* funct3 bit 2: lbu */
	bltz	t2, write_rd
	slli	t1, t1, 56			/* lb sign-extends */
	srai	t1, t1, 56
	j	write_rd

/* Another of the UART's registers: its window's (win_load), if published. */
uart_window:
	csrr	t1, htval
	j	win_load

/* Not for this tier: the C tier takes the exit, t1 and t2 as the guest had them. */
fast_bail:
	ld	t2, VCPU_REG(7)(a0)
fast_bail_t1:
	ld	t1, VCPU_REG(6)(a0)
	j	exit_c

/*
 * A store's instruction, read with HLVX under fast_fetch_fault: t0 = its
 * low half (opcode, funct3), t1 = its high half (rs2); t2 saved first.
 * `hi` labels the second read, which fast_fetch_fault must know.
 */
	.macro	fetch_store hi
	sd	t2, VCPU_REG(7)(a0)
	ld	t2, VCPU_FAST_FAULT(a0)
	csrrw	t2, stvec, t2
	csrr	t0, sepc
	addi	t1, t0, 2
	hlvx.hu	t0, (t0)
\hi:
	hlvx.hu	t1, (t1)
	csrw	stvec, t2
	.endm

/*
 * A store to a device: sb to the console UART's SCR, or to its THR while
 * the model says a THR write would only transmit (tx_only).  Such a byte
 * goes straight to the physical UART: this tier does it only when the
 * VM is the console's one VM (fast_tx_only points at a false otherwise),
 * under the console's lock (taken, not waited for), on a line that is
 * its own or new.  rs2 is in the instruction's upper half.
 */
fast_store:
	sd	t1, VCPU_REG(6)(a0)
	csrr	t1, htval
	ld	t0, VCPU_FAST_UART_WORD(a0)
	sub	t1, t1, t0
	sltiu	t1, t1, 2
	beqz	t1, plic_store
	fetch_store fast_store_fetch_hi
	ld	t2, VCPU_FAST_STORE_MASK(a0)
	and	t2, t0, t2
	addi	t2, t2, -0x23			/* sb */
	bnez	t2, fast_bail
	srli	t1, t1, 4 - 3			/* rs2 * 8: bits 24:20, 8:4 of the half */
	andi	t1, t1, 31 << 3
	ld	t2, VCPU_FAST_STORE_TAB(a0)
	add	t1, t1, t2
	jr	t1
fast_store_value:				/* t0 = x[rs2] */
	csrr	t1, stval
	andi	t1, t1, 7
	bnez	t1, 1f
	ld	t1, VCPU_FAST_TX_ONLY(a0)	/* THR */
	lbu	t1, 0(t1)
	beqz	t1, fast_bail
	ld	t2, VCPU_FAST_CONSOLE(a0)
	/* CONSOLE_LOCK: any nonzero word holds it (spinlock.h), and the low
	 * word of the lock's own address is one */
	amoswap.w.aq t1, t2, (t2)
	bnez	t1, fast_bail
	lw	t1, CONSOLE_LAST_WRITER(t2)
	bnez	t1, 4f				/* not VM 0's line */
2:	sb	t0, CONSOLE_LAST_CHAR(t2)
	ld	t1, CONSOLE_UART(t2)
3:	lbu	t2, 5(t1)			/* its LSR: wait for THRE */
	andi	t2, t2, 0x20
	beqz	t2, 3b
	sb	t0, 0(t1)
	ld	t2, VCPU_FAST_CONSOLE(a0)
	amoswap.w.rl zero, zero, (t2)
fast_store_done:
	csrr	t0, sepc
	addi	t0, t0, 4
	csrw	sepc, t0
	ld	t0, VCPU_FAST_UART_EXITS + 8(a0)
	addi	t0, t0, 1
	sd	t0, VCPU_FAST_UART_EXITS + 8(a0)
	ld	t0, VCPU_REG(5)(a0)		/* fast_return's, inline */
	ld	t1, VCPU_REG(6)(a0)
	ld	t2, VCPU_REG(7)(a0)
	csrrw	a0, sscratch, a0
	sret
1:	addi	t1, t1, -7
	bnez	t1, fast_bail			/* neither THR nor SCR */
	ld	t2, VCPU_FAST_UART(a0)
	sb	t0, UART16550_SCR(t2)		/* SCR */
	j	fast_store_done
4:	lbu	t1, CONSOLE_LAST_CHAR(t2)	/* someone else's: ended? */
	addi	t1, t1, -'\n'
	bnez	t1, fast_unlock_bail		/* no: C breaks the line */
	sw	zero, CONSOLE_LAST_WRITER(t2)
	j	2b
fast_unlock_bail:
	amoswap.w.rl zero, zero, (t2)
	j	fast_bail

/*
 * The vPLIC's claim (lw) and completion (sw) in this vCPU's own S-mode
 * context, at GPA fast_plic_word * 4: vdev/plic.c's plic_claim and
 * plic_complete, with the same state, under the VM's device lock (taken,
 * not waited for).  A change of this context's notification (EIP) is this
 * vCPU's hvip.VSEIP, set here as plic_set_eip and the C tier's sync would;
 * a change of another context's goes to the C tier, the model as it was.
 * They save a1-a7 as well (plic_save).  In the claim: a1 = the model,
 * a2 = our enable words, a3 = 4 * the word scanned, a4/a5 = the best
 * source and its priority, a6 = the best priority among the others.
 */

	/* the guest's x\regs into their slots: the claim saves a1-a7
	 * (11-17); the completion a1-a4 and a7, and a5-a6 only when it looks
	 * at the other contexts (plic_complete_others, which puts them back
	 * unless it bails) */
	.macro	plic_save regs:vararg
	.irp	r, \regs
	sd	x\r, VCPU_REG(\r)(a0)
	.endr
	.endm

	/* the lock's release, and x\regs as the guest had them */
	.macro	plic_unlock_restore regs:vararg
	ld	t2, VCPU_FAST_PLIC_LOCK(a0)
	amoswap.w.rl zero, zero, (t2)
	.irp	r, \regs
	ld	x\r, VCPU_REG(\r)(a0)
	.endr
	.endm

	/* sepc past the instruction (\len = its length), the old one kept in
	 * fast_pc for a bail (plic_bail_pc) */
	.macro	plic_advance len
	csrr	t2, sepc
	sd	t2, VCPU_FAST_PC(a0)
	add	t2, t2, \len
	csrw	sepc, t2
	.endm

	/* t0 = the instruction's low half: compressed, on to \compressed;
	 * else a bail unless its opcode is \opcode with funct3 2 (a word).
	 * \tmp and \cmp are clobbered (\cmp may be t0). */
	.macro	plic_insn tmp, cmp, opcode, compressed
	andi	\tmp, t0, 3
	addi	\tmp, \tmp, -3
	bnez	\tmp, \compressed
	ld	\tmp, VCPU_FAST_STORE_MASK(a0)	/* 0x707f: opcode and funct3 */
	and	\tmp, t0, \tmp
	lui	\cmp, 2
	addi	\cmp, \cmp, \opcode
	bne	\tmp, \cmp, fast_bail
	.endm

	/*
	 * t0 = a compressed instruction of quadrant 0: a bail unless its funct3
	 * and quadrant bits, (t0 & 0xe003), are \match << 12; else
	 * \reg = (8 + its rd' or rs2') * 8, \len = 2, and on to \go.
	 */
	.macro	plic_compressed match, reg, len, go
	li	t1, 0xe003
	and	t1, t0, t1
	lui	t2, \match
	bne	t1, t2, fast_bail
	slli	\reg, t0, 1
	andi	\reg, \reg, 7 << 3
	addi	\reg, \reg, 8 << 3
	li	\len, 2
	j	\go
	.endm

	/* count it in fast_plic_exits[i] */
	.macro	plic_count i
	ld	t2, VCPU_FAST_PLIC_EXITS + 8 * \i(a0)
	addi	t2, t2, 1
	sd	t2, VCPU_FAST_PLIC_EXITS + 8 * \i(a0)
	.endm

	/* this context's EIP (t1 = 0 or 1, t2 = its byte in the model) is
	 * this vCPU's VSEIP */
	.macro	plic_tell_vseip
	sb	t1, 0(t2)
	sb	t1, VCPU_VSEIP(a0)
	sb	t1, VCPU_HVIP_SEIP(a0)
	slli	t1, t1, 10
	li	t2, 1 << 10			/* hvip.VSEIP */
	csrc	hvip, t2
	csrs	hvip, t1
	.endm

plic_load:
	csrr	t1, htval
	sd	t2, VCPU_REG(7)(a0)
	ld	t0, VCPU_FAST_PLIC_WORD(a0)
	bne	t1, t0, win_load
	fetch_load
	plic_insn t1, t2, 0x03, plic_load_c	/* lw, or c.lw */
	srli	t0, t0, 7 - 3			/* rd * 8 */
	andi	t0, t0, 31 << 3
	li	t1, 4
plic_load_go:					/* t0 = rd * 8, t1 = the length */
	plic_advance t1
	ld	t2, VCPU_FAST_PLIC_LOCK(a0)
	amoswap.w.aq t1, t2, (t2)
	bnez	t1, plic_bail_pc
	plic_save 11, 12, 13, 14, 15, 16, 17
	ld	a1, VCPU_FAST_PLIC(a0)
	ld	a2, VCPU_FAST_PLIC_ENABLE(a0)
	li	a3, 0
	li	a4, 0
	li	a5, 0
	li	a6, 0
1:	add	t1, a1, a3			/* plic_best(p, c, 0, false) */
	lwu	t2, PLIC_S_CLAIMED(t1)
	lwu	t1, PLIC_S_PENDING(t1)
	not	t2, t2
	and	t1, t1, t2
	add	t2, a2, a3
	lwu	t2, 0(t2)
	and	t1, t1, t2			/* claimable sources of the word */
	bnez	t1, 3f
2:	addi	a3, a3, 4
	ld	t2, VCPU_FAST_PLIC_END(a0)
	lwu	t2, 0(t2)			/* the context's enable_end */
	bltu	a3, t2, 1b
	j	plic_claim
3:	neg	t2, t1
	and	t2, t2, t1			/* the lowest one ... */
	xor	t1, t1, t2			/* ... taken out */
	li	a7, 0x077cb531			/* its index (plic.c: lowest_bit) */
	mulw	t2, t2, a7
	srliw	t2, t2, 27
	la	a7, plic_bit_index
	add	t2, t2, a7
	lbu	t2, 0(t2)
	slli	a7, a3, 3
	add	t2, t2, a7			/* the source */
	slli	a7, t2, 2
	add	a7, a7, a1
	lwu	a7, PLIC_S_PRIORITY(a7)
	bgtu	a7, a5, 4f			/* ties: the lowest ID */
	bleu	a7, a6, 5f
	mv	a6, a7
	j	5f
4:	mv	a6, a5
	mv	a5, a7
	mv	a4, t2
5:	bnez	t1, 3b
	j	2b

plic_claim:					/* a4 = the source, or none */
	beqz	a4, plic_load_done
	srli	t1, a4, 5
	slli	t1, t1, 2
	add	a3, a1, t1			/* p + 4 * its word */
	li	a7, 1
	sllw	a7, a7, a4			/* its bit */
	lw	t1, PLIC_S_PENDING(a3)
	xor	t1, t1, a7
	sw	t1, PLIC_S_PENDING(a3)
	lw	t1, PLIC_S_CLAIMED(a3)
	or	t1, t1, a7
	sw	t1, PLIC_S_CLAIMED(a3)
	/* plic_update: only contexts notified that enable the source can
	 * change (to not notified); ours alone, unless another context
	 * enables anything (plic_claim_others) */
	lwu	a2, VCPU_FAST_PLIC_CTX(a0)
	lwu	t1, PLIC_S_ENABLING(a1)
	lwu	t2, VCPU_FAST_PLIC_OTHERS(a0)
	and	t1, t1, t2
	bnez	t1, plic_claim_others
plic_claim_ours:
	slli	t1, a2, 2			/* ours: is another above the threshold? */
	add	t1, t1, a1
	lwu	t1, PLIC_S_THRESHOLD(t1)
	sltu	t1, t1, a6
	add	t2, a1, a2
	addi	t2, t2, PLIC_S_EIP
	lbu	a5, 0(t2)
	beq	a5, t1, plic_load_done
	plic_tell_vseip
plic_load_done:					/* x[rd] = a4 */
	mv	t1, a4
	plic_unlock_restore 11, 12, 13, 14, 15, 16, 17
	plic_count 0
	ld	t2, VCPU_FAST_PLIC_LOAD_TAB(a0)
	add	t0, t0, t2
	jr	t0				/* write_rd_plic, then fast_return */

plic_claim_others:				/* the other contexts */
	lwu	a5, PLIC_S_NCONTEXTS(a1)
	li	t2, 0
6:	beq	t2, a2, 7f
	add	t1, a1, t2
	lbu	t1, PLIC_S_EIP(t1)
	beqz	t1, 7f
	slli	t1, t2, 4
	add	t1, t1, a3
	lw	t1, PLIC_S_ENABLE(t1)
	and	t1, t1, a7
	bnez	t1, plic_claim_undo		/* another vCPU's: the C tier */
7:	addi	t2, t2, 1
	bltu	t2, a5, 6b
	j	plic_claim_ours

plic_claim_undo:				/* a3 = p + 4 * word, a7 = the bit */
	lw	t1, PLIC_S_PENDING(a3)
	or	t1, t1, a7
	sw	t1, PLIC_S_PENDING(a3)
	lw	t1, PLIC_S_CLAIMED(a3)
	xor	t1, t1, a7
	sw	t1, PLIC_S_CLAIMED(a3)
plic_bail:
	plic_unlock_restore 11, 12, 13, 14, 15, 16, 17
plic_bail_pc:					/* sepc back at the instruction */
	ld	t2, VCPU_FAST_PC(a0)
	csrw	sepc, t2
	j	fast_bail

plic_load_c:					/* c.lw (quadrant 0, funct3 2): rd' */
	plic_compressed 4, t0, t1, plic_load_go

plic_store:
	csrr	t1, htval
	ld	t0, VCPU_FAST_PLIC_WORD(a0)
	bne	t1, t0, fast_bail_t1
	fetch_store plic_store_fetch_hi
	plic_insn t2, t0, 0x23, plic_store_c	/* sw, or c.sw */
	srli	t1, t1, 4 - 3			/* rs2 * 8 */
	andi	t1, t1, 31 << 3
	li	t0, 4
plic_store_go:					/* t1 = rs2 * 8, t0 = the length */
	plic_advance t0
	ld	t2, VCPU_FAST_PLIC_STORE_TAB(a0)
	add	t1, t1, t2
	jr	t1				/* read_rs2_plic */
plic_store_value:				/* t0 = x[rs2] */
	ld	t2, VCPU_FAST_PLIC_LOCK(a0)
	amoswap.w.aq t1, t2, (t2)
	bnez	t1, plic_bail_pc
	plic_save 11, 12, 13, 14, 17
	ld	a1, VCPU_FAST_PLIC(a0)
	slli	t0, t0, 32
	srli	t0, t0, 32			/* the source: sw stores 32 bits */
	beqz	t0, plic_store_done		/* plic_complete's checks */
	lwu	t1, PLIC_S_NSOURCES(a1)
	bgtu	t0, t1, plic_store_done
	srli	t1, t0, 5
	slli	a2, t1, 2			/* 4 * its word */
	add	a3, a1, a2			/* p + 4 * its word */
	li	a7, 1
	sllw	a7, a7, t0			/* its bit */
	ld	t1, VCPU_FAST_PLIC_ENABLE(a0)
	add	t1, t1, a2
	lw	t1, 0(t1)
	and	t1, t1, a7
	beqz	t1, plic_store_done		/* not enabled for us */
	lw	t1, PLIC_S_CLAIMED(a3)
	and	t2, t1, a7
	beqz	t2, plic_store_done		/* not claimed */
	xor	t1, t1, a7
	sw	t1, PLIC_S_CLAIMED(a3)
	lw	a4, PLIC_S_PENDING(a3)		/* as it was, for an undo */
	lbu	t1, PLIC_S_QEMU_GATEWAY(a1)
	bnez	t1, 1f
	lw	t1, PLIC_S_LEVEL(a3)		/* the spec's gateway: */
	and	t1, t1, a7
	or	t1, t1, a4			/* a line still high pends again */
	sw	t1, PLIC_S_PENDING(a3)
1:	lw	t1, PLIC_S_PENDING(a3)
	and	t1, t1, a7
	beqz	t1, plic_store_done		/* nothing to notify */
	/* plic_update: contexts not notified that enable the source below
	 * its priority are now.  Ours enables it; the others are looked at
	 * when any of them enables anything (plic_complete_others). */
	slli	t1, t0, 2
	add	t1, t1, a1
	lwu	t0, PLIC_S_PRIORITY(t1)
	lwu	a2, VCPU_FAST_PLIC_CTX(a0)
	lwu	t1, PLIC_S_ENABLING(a1)
	lwu	t2, VCPU_FAST_PLIC_OTHERS(a0)
	and	t1, t1, t2
	bnez	t1, plic_complete_others
	add	t2, a1, a2
	lbu	t1, PLIC_S_EIP(t2)
	bnez	t1, plic_store_done		/* notified already */
	slli	t1, a2, 2
	add	t1, t1, a1
	lwu	t1, PLIC_S_THRESHOLD(t1)
	bleu	t0, t1, plic_store_done
plic_complete_tell:				/* t2 = p + our context */
	addi	t2, t2, PLIC_S_EIP
	li	t1, 1
	plic_tell_vseip
plic_store_done:
	plic_unlock_restore 11, 12, 13, 14, 17
	plic_count 1
	j	fast_return

plic_complete_others:				/* a5, a6 saved only here */
	sd	a5, VCPU_REG(15)(a0)
	sd	a6, VCPU_REG(16)(a0)
	lwu	a5, PLIC_S_NCONTEXTS(a1)
	li	a6, 0				/* ours is */
	li	t2, 0
6:	add	t1, a1, t2
	lbu	t1, PLIC_S_EIP(t1)
	bnez	t1, 7f
	slli	t1, t2, 4
	add	t1, t1, a3
	lw	t1, PLIC_S_ENABLE(t1)
	and	t1, t1, a7
	beqz	t1, 7f
	slli	t1, t2, 2
	add	t1, t1, a1
	lwu	t1, PLIC_S_THRESHOLD(t1)
	bleu	t0, t1, 7f
	bne	t2, a2, plic_complete_undo	/* another vCPU's: the C tier */
	li	a6, 1
7:	addi	t2, t2, 1
	bltu	t2, a5, 6b
	add	t2, a1, a2
	mv	t1, a6
	ld	a5, VCPU_REG(15)(a0)
	ld	a6, VCPU_REG(16)(a0)
	bnez	t1, plic_complete_tell
	j	plic_store_done

plic_store_c:					/* c.sw (quadrant 0, funct3 6): rs2' */
	plic_compressed 0xc, t1, t0, plic_store_go

plic_complete_undo:				/* a4 = the pending word as it was */
	sw	a4, PLIC_S_PENDING(a3)
	lw	t1, PLIC_S_CLAIMED(a3)
	or	t1, t1, a7
	sw	t1, PLIC_S_CLAIMED(a3)
	j	plic_bail

/*
 * A load from a register window (kernel/mmio.h): a register its model
 * published, the value read from the window without the model, as the
 * model would answer it (a published load changes nothing).  The window is
 * the one of the slot of the GPA's page, if the GPA is within its first
 * WINDOW_SIZE bytes; the load is any of lb/lh/lw/ld/lbu/lhu/lwu, c.lw or
 * c.ld, answered when the window's readable bit for its width and offset
 * is set (never for a misaligned one).  It saves a1-a3 as well.  Entered
 * from plic_load: t1 = htval (the GPA >> 2), t1 and t2 saved.
 */
win_load:
	srli	t0, t1, 10 - 4			/* the GPA's page % 16, times 16 */
	andi	t0, t0, (WINDOW_SLOTS - 1) << 4
	ld	t2, VCPU_FAST_WINDOWS(a0)
	add	t0, t0, t2
	ld	t2, 0(t0)			/* its window's region's base >> 2 */
	sub	t1, t1, t2			/* the offset / 4 */
	sltiu	t2, t1, WINDOW_SIZE / 4
	beqz	t2, fast_bail
	sd	t0, VCPU_FAST_WINDOW_SLOT(a0)	/* the slot, while the fetch takes t0 */
	fetch_load
	sd	a1, VCPU_REG(11)(a0)
	sd	a2, VCPU_REG(12)(a0)
	sd	a3, VCPU_REG(13)(a0)
	andi	t2, t0, 0x7f
	addi	t2, t2, -0x03
	bnez	t2, win_load_c			/* not a 32-bit LOAD */
	srli	a2, t0, 12
	andi	a2, a2, 7			/* funct3: the width and sign */
	srli	t0, t0, 7 - 3
	andi	t0, t0, 31 << 3			/* rd * 8 */
	li	a1, 4
win_load_go:					/* t0 = rd * 8, a1 = the length, a2 = funct3 */
	plic_advance a1
	slli	t1, t1, 2
	csrr	t2, stval			/* the GPA's low bits are the address's */
	andi	t2, t2, 3
	or	t1, t1, t2			/* the offset */
	ld	a1, VCPU_FAST_WINDOW_SLOT(a0)
	ld	a1, 8(a1)			/* the window */
	andi	a3, a2, 3			/* readable[log2 width][offset / 64] */
	slli	a3, a3, 6
	srli	t2, t1, 6
	slli	t2, t2, 3
	add	a3, a3, t2
	add	a3, a3, a1
	ld	a3, WINDOW_READABLE(a3)
	srl	a3, a3, t1			/* bit offset % 64 */
	andi	a3, a3, 1
	beqz	a3, win_bail
	add	t2, a1, t1
	slli	a2, a2, 3
	la	a3, win_loads
	add	a2, a2, a3
	jr	a2
win_loaded:					/* t1 = the value */
	li	t2, 1
	addi	a1, a1, WINDOW_COUNT
	amoadd.d zero, t2, (a1)
	ld	t2, VCPU_FAST_WINDOW_EXITS(a0)
	addi	t2, t2, 1
	sd	t2, VCPU_FAST_WINDOW_EXITS(a0)
	ld	a1, VCPU_REG(11)(a0)
	ld	a2, VCPU_REG(12)(a0)
	ld	a3, VCPU_REG(13)(a0)
	ld	t2, VCPU_FAST_PLIC_LOAD_TAB(a0)
	add	t0, t0, t2
	jr	t0				/* write_rd_plic, then fast_return */

win_bail:					/* sepc back, then the C tier */
	ld	a1, VCPU_REG(11)(a0)
	ld	a2, VCPU_REG(12)(a0)
	ld	a3, VCPU_REG(13)(a0)
	j	plic_bail_pc

win_load_c:					/* c.lw or c.ld (quadrant 0, funct3 2 or 3): rd' */
	andi	t2, t0, 3
	bnez	t2, win_bail_regs
	srli	a2, t0, 13			/* funct3, as lw's and ld's */
	addi	t2, a2, -2
	sltiu	t2, t2, 2
	beqz	t2, win_bail_regs
	slli	t0, t0, 1
	andi	t0, t0, 7 << 3
	addi	t0, t0, 8 << 3
	li	a1, 2
	j	win_load_go
win_bail_regs:					/* sepc not moved yet */
	ld	a1, VCPU_REG(11)(a0)
	ld	a2, VCPU_REG(12)(a0)
	ld	a3, VCPU_REG(13)(a0)
	j	fast_bail

	/* t1 = the value at t2, by funct3: two 4-byte instructions each */
	.option push
	.option norvc
win_loads:
	lb	t1, 0(t2)
	j	win_loaded
	lh	t1, 0(t2)
	j	win_loaded
	lw	t1, 0(t2)
	j	win_loaded
	ld	t1, 0(t2)
	j	win_loaded
	lbu	t1, 0(t2)
	j	win_loaded
	lhu	t1, 0(t2)
	j	win_loaded
	lwu	t1, 0(t2)
	j	win_loaded
	j	win_bail			/* funct3 7: no such load */
	nop
	.option pop

	.section .rodata
plic_bit_index:					/* plic.c's lowest_bit table */
	.byte	0, 1, 28, 2, 29, 14, 24, 3, 30, 22, 20, 15, 25, 17, 4, 8
	.byte	31, 27, 13, 23, 21, 19, 16, 7, 26, 12, 18, 6, 11, 5, 10, 9
	.text

/*
 * stvec while the tier reads the guest's instruction with HLVX: the read
 * faulted (another vCPU of the guest unmapped the code page meanwhile).
 * The guest is put back as it trapped and re-executes the instruction,
 * meeting whatever its mapping now says: its pc is the address that
 * faulted (stval), or 2 before it for the upper half of a store; the nested
 * trap changed hstatus.SPV and sstatus.SPP, and hstatus.SPVP still says
 * which mode the guest was in.
 */
	.balign 4
	.globl fast_fetch_fault
fast_fetch_fault:
	csrw	stvec, t2
	csrr	t0, stval
	csrr	t1, sepc
	la	t2, fast_store_fetch_hi
	beq	t1, t2, 2f
	la	t2, plic_store_fetch_hi
	bne	t1, t2, 1f
2:	addi	t0, t0, -2
	/* The upper half of what may be a compressed store at the end of
	 * a page: the store, re-executed, would only fault here again.  The
	 * tier stands down until the C tier, which fetches it right, has
	 * taken a store (kernel/vcpu.c: mmio_store_fast calls
	 * vcpu_fast_init again). */
	li	t1, 1
	sd	t1, VCPU_FAST_DISARMED(a0)
	slli	t1, t1, 62
	sd	t1, VCPU_FAST_UART_WORD(a0)
	sd	t1, VCPU_FAST_PLIC_WORD(a0)
1:	csrw	sepc, t0
	csrr	t0, hstatus
	ori	t0, t0, 0x80			/* SPV */
	csrw	hstatus, t0
	andi	t0, t0, 0x100			/* SPVP, at sstatus.SPP's place */
	li	t1, 0x100
	csrc	sstatus, t1
	csrs	sstatus, t0
	j	fast_return

/*
 * x[rd] = t1 for the loads, and t0 = x[rs2] for the stores: 32 entries of
 * two 4-byte instructions, indexed by register number.  t0-t2 and a0 are
 * in their slots or sscratch.
 */
	.macro	rd_entry r, next
	.if \r == 5 || \r == 6 || \r == 7
	sd	t1, VCPU_REG(\r)(a0)
	.elseif \r == 10
	csrw	sscratch, t1
	.else
	mv	x\r, t1
	.endif
	j	\next
	.endm

	.macro	rs2_entry r, next
	.if \r == 5 || \r == 6 || \r == 7
	ld	t0, VCPU_REG(\r)(a0)
	.elseif \r == 10
	csrr	t0, sscratch
	.else
	mv	t0, x\r
	.endif
	j	\next
	.endm

	/* write_rd_<name>: x[rd] = t1, then to next */
	.macro	rd_table name, next
	.globl	write_rd_\name, write_rd_\name\()_end
write_rd_\name:
	j	\next			/* x0 */
	nop
	.irp r, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	rd_entry \r, \next
	.endr
write_rd_\name\()_end:
	.endm

	/* read_rs2_<name>: t0 = x[rs2], then to next */
	.macro	rs2_table name, next
	.globl	read_rs2_\name, read_rs2_\name\()_end
read_rs2_\name:
	li	t0, 0			/* x0 */
	j	\next
	.irp r, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	rs2_entry \r, \next
	.endr
read_rs2_\name\()_end:
	.endm

	.option push
	.option norvc
	.option norelax
	rd_table table, fast_load_done
	rs2_table table, fast_store_value
	rd_table plic, fast_return
	rs2_table plic, plic_store_value
	.option pop

/*
 * Traps taken while the hypervisor itself runs (V = 0): faults of the
 * guest-memory accessors below (recovered through the __fixup table) and
 * bugs (a panic with a register dump).  Interrupts stay disabled in HS-mode.
 */
	.globl hs_trap_vector
	.balign 4
hs_trap_vector:
	addi	sp, sp, -TRAP_FRAME_SIZE
	sd	x1, 1*8(sp)
	sd	x3, 3*8(sp)
	sd	x4, 4*8(sp)
	sd	x5, 5*8(sp)
	sd	x6, 6*8(sp)
	sd	x7, 7*8(sp)
	sd	x8, 8*8(sp)
	sd	x9, 9*8(sp)
	sd	x10, 10*8(sp)
	sd	x11, 11*8(sp)
	sd	x12, 12*8(sp)
	sd	x13, 13*8(sp)
	sd	x14, 14*8(sp)
	sd	x15, 15*8(sp)
	sd	x16, 16*8(sp)
	sd	x17, 17*8(sp)
	sd	x18, 18*8(sp)
	sd	x19, 19*8(sp)
	sd	x20, 20*8(sp)
	sd	x21, 21*8(sp)
	sd	x22, 22*8(sp)
	sd	x23, 23*8(sp)
	sd	x24, 24*8(sp)
	sd	x25, 25*8(sp)
	sd	x26, 26*8(sp)
	sd	x27, 27*8(sp)
	sd	x28, 28*8(sp)
	sd	x29, 29*8(sp)
	sd	x30, 30*8(sp)
	sd	x31, 31*8(sp)
	addi	t0, sp, TRAP_FRAME_SIZE
	sd	t0, 2*8(sp)
	csrr	t0, sepc
	sd	t0, 32*8(sp)
	csrr	t0, scause
	sd	t0, 33*8(sp)
	csrr	t0, stval
	sd	t0, 34*8(sp)
	mv	a0, sp
	call	hs_trap
	ld	t0, 32*8(sp)
	csrw	sepc, t0
	ld	x1, 1*8(sp)
	ld	x3, 3*8(sp)
	ld	x4, 4*8(sp)
	ld	x5, 5*8(sp)
	ld	x6, 6*8(sp)
	ld	x7, 7*8(sp)
	ld	x8, 8*8(sp)
	ld	x9, 9*8(sp)
	ld	x10, 10*8(sp)
	ld	x11, 11*8(sp)
	ld	x12, 12*8(sp)
	ld	x13, 13*8(sp)
	ld	x14, 14*8(sp)
	ld	x15, 15*8(sp)
	ld	x16, 16*8(sp)
	ld	x17, 17*8(sp)
	ld	x18, 18*8(sp)
	ld	x19, 19*8(sp)
	ld	x20, 20*8(sp)
	ld	x21, 21*8(sp)
	ld	x22, 22*8(sp)
	ld	x23, 23*8(sp)
	ld	x24, 24*8(sp)
	ld	x25, 25*8(sp)
	ld	x26, 26*8(sp)
	ld	x27, 27*8(sp)
	ld	x28, 28*8(sp)
	ld	x29, 29*8(sp)
	ld	x30, 30*8(sp)
	ld	x31, 31*8(sp)
	addi	sp, sp, TRAP_FRAME_SIZE
	sret
