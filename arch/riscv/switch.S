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
	 * An exit.  First only what C code may clobber is saved (the
	 * caller-saved registers, sp and tp; rvhv never uses gp), with sepc and
	 * scause, and vcpu_exit_fast gets a go at it: the hottest exits
	 * (kernel/vcpu.c) are handled there and the guest re-entered at once,
	 * its callee-saved registers never leaving the hart.  vcpu_exit_fast
	 * saves stval, htval and htinst itself, when the exit needs them.
	 * Otherwise the rest is saved and vcpu_enter returns to the run loop.
	 * stvec requires 4-byte alignment.
	 */
	.balign 4
guest_exit:
	csrrw	a0, sscratch, a0
	sd	x1, VCPU_REG(1)(a0)
	sd	x2, VCPU_REG(2)(a0)
	sd	x4, VCPU_REG(4)(a0)
	sd	x5, VCPU_REG(5)(a0)
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
