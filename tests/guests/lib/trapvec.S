/*
 * stvec target (direct mode).  Swap to this hart's trap stack through
 * sscratch, save every GPR and the trap CSRs in a struct trap_frame, call
 * trap_handle(frame), then return to the (possibly updated) sepc.
 */
#define FRAME_SIZE (36 * 8) /* regs[32], sepc, scause, stval, sstatus */
#define F_SEPC (32 * 8)
#define F_SCAUSE (33 * 8)
#define F_STVAL (34 * 8)
#define F_SSTATUS (35 * 8)

.macro for_gprs op
	\op	x1, 1 * 8(sp)
	\op	x3, 3 * 8(sp)
	\op	x4, 4 * 8(sp)
	\op	x5, 5 * 8(sp)
	\op	x6, 6 * 8(sp)
	\op	x7, 7 * 8(sp)
	\op	x8, 8 * 8(sp)
	\op	x9, 9 * 8(sp)
	\op	x10, 10 * 8(sp)
	\op	x11, 11 * 8(sp)
	\op	x12, 12 * 8(sp)
	\op	x13, 13 * 8(sp)
	\op	x14, 14 * 8(sp)
	\op	x15, 15 * 8(sp)
	\op	x16, 16 * 8(sp)
	\op	x17, 17 * 8(sp)
	\op	x18, 18 * 8(sp)
	\op	x19, 19 * 8(sp)
	\op	x20, 20 * 8(sp)
	\op	x21, 21 * 8(sp)
	\op	x22, 22 * 8(sp)
	\op	x23, 23 * 8(sp)
	\op	x24, 24 * 8(sp)
	\op	x25, 25 * 8(sp)
	\op	x26, 26 * 8(sp)
	\op	x27, 27 * 8(sp)
	\op	x28, 28 * 8(sp)
	\op	x29, 29 * 8(sp)
	\op	x30, 30 * 8(sp)
	\op	x31, 31 * 8(sp)
.endm

	.text
	.globl	trap_vector
	.balign	4
trap_vector:
	csrrw	sp, sscratch, sp	/* sp = trap stack top, sscratch = old sp */
	addi	sp, sp, -FRAME_SIZE
	for_gprs sd
	csrr	t0, sscratch
	sd	t0, 2 * 8(sp)
	addi	t0, sp, FRAME_SIZE	/* re-arm sscratch for the next trap */
	csrw	sscratch, t0
	csrr	t0, sepc
	sd	t0, F_SEPC(sp)
	csrr	t0, scause
	sd	t0, F_SCAUSE(sp)
	csrr	t0, stval
	sd	t0, F_STVAL(sp)
	csrr	t0, sstatus
	sd	t0, F_SSTATUS(sp)
	mv	a0, sp
	call	trap_handle
	ld	t0, F_SEPC(sp)
	csrw	sepc, t0
	for_gprs ld
	ld	sp, 2 * 8(sp)
	sret
