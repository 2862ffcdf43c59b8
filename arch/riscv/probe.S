/*
 * Accesses that may fault in HS-mode, each with a fixup: the __fixup table
 * pairs a faulting instruction with where to resume (hs_trap in trap.c).
 * All return 0 on success and -1 if the access trapped.
 */
	.option arch, +h
	.text

	.macro FIXUP insn, fixup
	.pushsection __fixup, "a"
	.balign 8
	.dword \insn, \fixup
	.popsection
	.endm

/*
 * long guest_fetch_insn(u64 gva): the guest instruction at gva, read as the
 * guest's current privilege sees it (HLVX: execute permission, VS-stage and
 * G-stage translation, hstatus.SPVP).  An aligned word in one read (it
 * cannot cross a page), else a halfword and, for a 32-bit instruction, the
 * next one (which may sit on the next page).  Bits 31:16 of a compressed
 * instruction are the next one's, or 0.  -1 when a read faults; the trap to
 * rvhv then changed sstatus and hstatus, and they are put back: guest_exit
 * saves the guest's only on its slow path.
 */
	.globl guest_fetch_insn
guest_fetch_insn:
	csrr	t1, sstatus
	csrr	t2, hstatus
	andi	t0, a0, 3
	bnez	t0, 2f
1:	hlvx.wu	a0, (a0)
	ret
2:	hlvx.hu	t0, (a0)
	andi	t3, t0, 3
	li	t4, 3
	bne	t3, t4, 4f
	addi	a0, a0, 2
3:	hlvx.hu	t3, (a0)
	slli	t3, t3, 16
	or	t0, t0, t3
4:	mv	a0, t0
	ret
5:	csrw	sstatus, t1
	csrw	hstatus, t2
	li	a0, -1
	ret
	FIXUP 1b, 5b
	FIXUP 2b, 5b
	FIXUP 3b, 5b

/* long csr_try_read_henvcfg(u64 *out): henvcfg is absent on some H cores. */
	.globl csr_try_read_henvcfg
csr_try_read_henvcfg:
3:	csrr	t0, henvcfg
	sd	t0, 0(a0)
	li	a0, 0
	ret
4:	li	a0, -1
	ret
	FIXUP 3b, 4b

/* long csr_try_read_hstatus(u64 *out): traps without the H extension. */
	.globl csr_try_read_hstatus
csr_try_read_hstatus:
5:	csrr	t0, hstatus
	sd	t0, 0(a0)
	li	a0, 0
	ret
6:	li	a0, -1
	ret
	FIXUP 5b, 6b

/* long csr_try_read_stimecmp(u64 *out): traps without Sstc. */
	.globl csr_try_read_stimecmp
csr_try_read_stimecmp:
7:	csrr	t0, stimecmp
	sd	t0, 0(a0)
	li	a0, 0
	ret
8:	li	a0, -1
	ret
	FIXUP 7b, 8b
