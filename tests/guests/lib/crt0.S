/*
 * Entry of every test guest, linked at 0x80200000 where OpenSBI's
 * fw_dynamic (and rvhv, for a supervisor VM) starts an S-mode kernel.
 *   _start:           boot hart, a0 = hartid, a1 = DTB
 *   _secondary_start: harts started by SBI HSM hart_start, a1 = opaque
 * Each hart gets a stack and a separate trap stack (kept in sscratch), so a
 * trap is handled safely even while a test has pointed sp at a device.
 */
#define MAX_HARTS 8 /* GUEST_MAX_HARTS */
#define STACK_SHIFT 13 /* 8 KiB per hart */
#define TRAP_STACK_SHIFT 12 /* 4 KiB per hart */

/* tp = hartid, sp and sscratch = tops of this hart's stacks, stvec set. */
.macro hart_setup
	mv	tp, a0
	addi	t0, a0, 1
	slli	t1, t0, STACK_SHIFT
	lla	sp, stacks
	add	sp, sp, t1
	slli	t1, t0, TRAP_STACK_SHIFT
	lla	t2, trap_stacks
	add	t2, t2, t1
	csrw	sscratch, t2
	lla	t0, trap_vector
	csrw	stvec, t0
.endm

	.section .text.entry, "ax"
	.globl	_start
_start:
	csrw	sie, zero
	li	t0, MAX_HARTS
	bgeu	a0, t0, park
	/* Only the boot hart comes here, and only once: clear .bss. */
	lla	t0, __bss_start
	lla	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	hart_setup
	mv	s0, a0
	mv	s1, a1
	mv	a0, a1
	call	runtime_init
	mv	a0, s0
	mv	a1, s1
	call	main
	call	shutdown

	.text
	.globl	_secondary_start
	.balign	4
_secondary_start:
	csrw	sie, zero
	li	t0, MAX_HARTS
	bgeu	a0, t0, park
	hart_setup
	call	secondary_main
	call	sbi_hart_stop
park:
	wfi
	j	park

	.bss
	.balign	16
stacks:
	.space	MAX_HARTS << STACK_SHIFT
trap_stacks:
	.space	MAX_HARTS << TRAP_STACK_SHIFT
