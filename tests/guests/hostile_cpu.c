/*
 * Instructions a guest kernel may not execute.  From S-mode: the
 * H-extension instructions and CSRs (the guest DTB's ISA string has no
 * 'h', so to the guest they do not exist), and the M-mode ones.  From
 * U-mode: those again, and the supervisor ones (sret, sfence.vma, WFI, S
 * CSRs).  Each must raise an illegal-instruction exception in the guest,
 * with sepc at the instruction and stval holding its bits (privileged
 * spec: "Supervisor Trap Value Register"; QEMU writes the bits).  Under
 * rvhv most of these come back as virtual-instruction exceptions that it
 * must turn into illegal instructions for the guest.
 *
 * Each instruction is copied into a code slot and run there, followed by
 * ret (S-mode) or ecall (U-mode: the way back to S).  In S-mode a WFI that
 * returns at once (SSIP is pending) comes first: a hypervisor that took
 * the trapped instruction from a stale stval would see that WFI again.
 */
#include "hostile.h"

#define INSN_RET 0x00008067 /* jalr x0, 0(ra) */
#define INSN_ECALL 0x00000073
#define INSN_WFI 0x10500073

/* Instruction lists, assembled below into tables of their encodings (a0
 * and a1 are the operands: a1 points at scratch words). */
#define H_FENCES(X) X("hfence.vvma zero, zero") X("hfence.gvma zero, zero") X("hfence.vvma a1, a0")
#define H_LOADS(X)                                                                         \
	X("hlv.b a0, (a1)") X("hlv.bu a0, (a1)") X("hlv.h a0, (a1)") X("hlv.hu a0, (a1)") \
	X("hlv.w a0, (a1)") X("hlv.wu a0, (a1)") X("hlv.d a0, (a1)") X("hlvx.hu a0, (a1)") \
	X("hlvx.wu a0, (a1)")
#define H_STORES(X) X("hsv.b a0, (a1)") X("hsv.h a0, (a1)") X("hsv.w a0, (a1)") X("hsv.d a0, (a1)")
/* Every hypervisor and VS CSR, read; the ones that steer the G-stage or
 * the guest's own state, written too. */
#define H_CSRS(X)                                                                           \
	X("csrr a0, hstatus") X("csrr a0, hedeleg") X("csrr a0, hideleg") X("csrr a0, hie")   \
	X("csrr a0, htimedelta") X("csrr a0, hcounteren") X("csrr a0, hgeie")                \
	X("csrr a0, henvcfg") X("csrr a0, htval") X("csrr a0, hip") X("csrr a0, hvip")        \
	X("csrr a0, htinst") X("csrr a0, hgatp") X("csrr a0, hgeip") X("csrr a0, vsstatus")   \
	X("csrr a0, vsie") X("csrr a0, vstvec") X("csrr a0, vsscratch") X("csrr a0, vsepc")   \
	X("csrr a0, vscause") X("csrr a0, vstval") X("csrr a0, vsip") X("csrr a0, vsatp")     \
	X("csrw hgatp, zero") X("csrw hstatus, zero") X("csrw htimedelta, a0")               \
	X("csrw hvip, a0") X("csrw hedeleg, zero") X("csrw vsatp, zero") X("csrw vstvec, zero")
#define M_INSNS(X)                                                                          \
	X("mret") X("csrr a0, mstatus") X("csrr a0, misa") X("csrr a0, mhartid")             \
	X("csrr a0, mtvec") X("csrr a0, mip") X("csrr a0, mcycle") X("csrr a0, pmpcfg0")      \
	X("csrr a0, pmpaddr0") X("csrw mie, zero") X("csrw mstatus, zero")                    \
	X("csrw medeleg, zero") X("csrw mtvec, a1") X("csrw mscratch, a0")                    \
	X("csrw pmpcfg0, zero") X("csrw pmpaddr0, a0") X("csrw mepc, a1")
/* What U-mode may not do, besides the lists above. */
#define S_INSNS(X)                                                                          \
	X("wfi") X("sret") X("sfence.vma") X("csrr a0, sstatus") X("csrr a0, satp")           \
	X("csrr a0, stvec") X("csrr a0, sip") X("csrw sie, a0") X("csrw sscratch, a0")        \
	X("csrw satp, zero") X("csrw stvec, a1")

#define INSN_TABLE(name, LIST)                                                          \
	asm(".pushsection .rodata\n.balign 4\n.option push\n.option norvc\n"              \
	    ".option arch, +h\n" #name ":\n" LIST(ASM_LINE) ".option pop\n.popsection"); \
	extern const uint32_t name[];                                                   \
	static const char *const name##_text[] = {LIST(TEXT)};
#define ASM_LINE(text) text "\n"
#define TEXT(text) text,

INSN_TABLE(h_fences, H_FENCES)
INSN_TABLE(h_loads, H_LOADS)
INSN_TABLE(h_stores, H_STORES)
INSN_TABLE(h_csrs, H_CSRS)
INSN_TABLE(m_insns, M_INSNS)
INSN_TABLE(s_insns, S_INSNS)

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static uint32_t slot[3] __attribute__((aligned(8)));
static unsigned long scratch[2];

/* U-mode round trip (asm below): run_user(pc, arg) srets to U-mode at pc
 * with a0 = 0 and a1 = arg; the trap that follows comes back through
 * user_resume.  SPIE = 0 so that the way back leaves sstatus.SIE clear. */
void run_user(unsigned long pc, unsigned long arg);
extern char user_resume[];
asm(".text\n.balign 4\n.globl run_user\nrun_user:\n"
    "\taddi sp, sp, -16\n\tsd ra, 0(sp)\n"
    "\tcsrw sepc, a0\n\tli t0, 0x120\n\tcsrc sstatus, t0\n" /* SPP = U, SPIE = 0 */
    "\tli a0, 0\n\tsret\n"
    ".globl user_resume\nuser_resume:\n"
    "\tld ra, 0(sp)\n\taddi sp, sp, 16\n\tret\n");

/* The S-mode trap of an instruction run in U-mode: record it (not the
 * ecall that only brings us back), then return to S at user_resume. */
static bool user_trap(struct trap_frame *f)
{
	if (f->sstatus & SSTATUS_SPP)
		return false;
	if (f->scause != EXC_ECALL_U || f->sepc != (unsigned long)&slot[2]) {
		fault.scause = f->scause;
		fault.stval = f->stval;
		fault.sepc = f->sepc;
		fault.count++;
	}
	csr_set(sstatus, SSTATUS_SPP);
	f->sepc = (unsigned long)user_resume;
	return true;
}

/* The instruction under test goes to slot[1]. */
static void load_slot(uint32_t before, uint32_t insn, uint32_t then)
{
	slot[0] = before;
	slot[1] = insn;
	slot[2] = then;
	asm volatile("fence.i" ::: "memory");
}

static void run_supervisor(uint32_t insn)
{
	load_slot(INSN_WFI, insn, INSN_RET);
	csr_write(sie, SIE_SSIE);
	csr_set(sip, SIP_SSIP);
	fault_catch(true);
	register unsigned long a0 asm("a0") = 0;
	register unsigned long a1 asm("a1") = (unsigned long)scratch;
	asm volatile("jalr %2" : "+r"(a0), "+r"(a1) : "r"(slot) : "ra", "memory");
	fault_catch(false);
	csr_clear(sip, SIP_SSIP);
	csr_write(sie, 0);
}

static void run_unprivileged(uint32_t insn)
{
	load_slot(INSN_RET, insn, INSN_ECALL); /* U-mode starts at slot[1] */
	trap_on_exception(user_trap);
	run_user((unsigned long)&slot[1], (unsigned long)scratch);
	trap_on_exception(NULL);
}

/* Every instruction of a list must raise an illegal-instruction exception
 * at the slot, with its bits in stval, and change nothing we can see. */
static void expect_illegal(const char *name, const uint32_t *insns, const char *const *text,
			   unsigned n, bool user)
{
	check_begin();
	for (unsigned i = 0; i < n; i++) {
		scratch[0] = scratch[1] = POISON;
		fault_reset();
		if (user)
			run_unprivileged(insns[i]);
		else
			run_supervisor(insns[i]);
		expect_trap(text[i], EXC_ILLEGAL_INSN, insns[i], (unsigned long)&slot[1]);
		if (scratch[0] != POISON || scratch[1] != POISON)
			check_why("%s wrote its operand", text[i]);
	}
	check_end(name);
}

void test_cpu(void)
{
	if (isa_has_h) {
		/* Plain QEMU: the hart has H and we run in HS-mode, where these are legal. */
		printf("hostile: the ISA string lists h: H-extension checks skipped\n");
	} else {
		expect_illegal("s-h-fences", h_fences, h_fences_text, LEN(h_fences_text), false);
		expect_illegal("s-h-loads", h_loads, h_loads_text, LEN(h_loads_text), false);
		expect_illegal("s-h-stores", h_stores, h_stores_text, LEN(h_stores_text), false);
		expect_illegal("s-h-csrs", h_csrs, h_csrs_text, LEN(h_csrs_text), false);
	}
	expect_illegal("s-m-insns", m_insns, m_insns_text, LEN(m_insns_text), false);

	expect_illegal("u-s-insns", s_insns, s_insns_text, LEN(s_insns_text), true);
	expect_illegal("u-m-insns", m_insns, m_insns_text, LEN(m_insns_text), true);
	expect_illegal("u-h-fences", h_fences, h_fences_text, LEN(h_fences_text), true);
	expect_illegal("u-h-loads", h_loads, h_loads_text, LEN(h_loads_text), true);
	expect_illegal("u-h-stores", h_stores, h_stores_text, LEN(h_stores_text), true);
	expect_illegal("u-h-csrs", h_csrs, h_csrs_text, LEN(h_csrs_text), true);
}
