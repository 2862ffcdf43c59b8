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

/* long guest_fetch_u16(u64 gva, u16 *out): an instruction halfword, read as
 * the guest's current privilege sees it (HLVX: execute permission, VS-stage
 * and G-stage translation, hstatus.SPVP). */
	.globl guest_fetch_u16
guest_fetch_u16:
1:	hlvx.hu	t0, (a0)
	sh	t0, 0(a1)
	li	a0, 0
	ret
2:	li	a0, -1
	ret
	FIXUP 1b, 2b

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
