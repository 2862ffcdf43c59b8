/* The virtual M-mode (see vmm.h). */
#include "arch/riscv/vmm.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/vcpu_arch.h"
#include "kernel/decode.h"
#include "kernel/hart.h"
#include "kernel/lib.h"

/* mstatus fields (privileged spec, "Machine Status Register") */
#define MSTATUS_SIE (1UL << 1)
#define MSTATUS_MIE (1UL << 3)
#define MSTATUS_SPIE (1UL << 5)
#define MSTATUS_MPIE (1UL << 7)
#define MSTATUS_SPP (1UL << 8)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP (3UL << MSTATUS_MPP_SHIFT)
#define MSTATUS_FS (3UL << 13)
#define MSTATUS_XS (3UL << 15)
#define MSTATUS_MPRV (1UL << 17)
#define MSTATUS_SUM (1UL << 18)
#define MSTATUS_MXR (1UL << 19)
#define MSTATUS_TVM (1UL << 20)
#define MSTATUS_TW (1UL << 21)
#define MSTATUS_TSR (1UL << 22)
#define MSTATUS_UXL (3UL << 32)
#define MSTATUS_SXL (3UL << 34)
#define MSTATUS_SD (1UL << 63)
/* what lives in the guest's vsstatus */
#define MSTATUS_S_FIELDS                                                                   \
	(MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_XS | MSTATUS_SUM | \
	 MSTATUS_MXR | MSTATUS_UXL | MSTATUS_SD)
/* what only the virtual M-mode keeps */
#define MSTATUS_M_FIELDS                                                                    \
	(MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_TVM | MSTATUS_TW | \
	 MSTATUS_TSR)

#define MIP_MSIP MIP(3)
#define MIP_MTIP MIP(7)
#define MIP_MEIP MIP(11)
#define MIP_M_BITS (MIP_MSIP | MIP_MTIP | MIP_MEIP)
#define MIP_S_BITS (MIP(1) | MIP(5) | MIP(9))

/* Exceptions an M-mode may delegate to S (medeleg is WARL: not 9, 10, 11, 14...) */
#define MEDELEG_WRITABLE 0xb3ffUL
/* Those of them rvhv may pass to VS directly (hedeleg) */
#define HEDELEG_WRITABLE                                                                   \
	((1UL << EXC_INSN_MISALIGNED) | (1UL << EXC_ILLEGAL_INSN) | (1UL << EXC_BREAKPOINT) | \
	 (1UL << EXC_LOAD_MISALIGNED) | (1UL << EXC_STORE_MISALIGNED) | (1UL << EXC_ECALL_U) | \
	 (1UL << EXC_INSN_PAGE_FAULT) | (1UL << EXC_LOAD_PAGE_FAULT) |                       \
	 (1UL << EXC_STORE_PAGE_FAULT))

enum { STAT_CSR, STAT_MRET, STAT_IRQ, STAT_EXC };

/* CSR numbers */
#define CSR_SATP 0x180
#define CSR_MSTATUS 0x300
#define CSR_MISA 0x301
#define CSR_MEDELEG 0x302
#define CSR_MIDELEG 0x303
#define CSR_MIE 0x304
#define CSR_MTVEC 0x305
#define CSR_MCOUNTEREN 0x306
#define CSR_MENVCFG 0x30a
#define CSR_MSCRATCH 0x340
#define CSR_MEPC 0x341
#define CSR_MCAUSE 0x342
#define CSR_MTVAL 0x343
#define CSR_MIP 0x344
#define CSR_PMPCFG0 0x3a0
#define CSR_PMPADDR0 0x3b0
#define CSR_MCYCLE 0xb00
#define CSR_MINSTRET 0xb02
#define CSR_MHARTID 0xf14

/* Enter virtual M from S/U: the M code runs with paging off and with the
 * guest's S interrupts held back, and its satp accesses trap (VTVM). */
static void enter_m(struct vcpu *v)
{
	struct vmm *m = &v->vmm;
	if (m->mode == PRV_M)
		return;
	m->satp = csr_read(vsatp);
	csr_write(vsatp, 0);
	u64 vsstatus = csr_read(vsstatus);
	m->sie = vsstatus & SSTATUS_SIE;
	csr_write(vsstatus, vsstatus & ~SSTATUS_SIE);
	v->hstatus |= HSTATUS_VTVM;
	csr_write(hedeleg, 0);
	csr_write(hcounteren, COUNTEREN_CY | COUNTEREN_TM | COUNTEREN_IR);
	hfence_vvma_all();
	m->mode = PRV_M;
}

/* Leave virtual M for S or U: the guest's satp, SIE and delegations return. */
static void leave_m(struct vcpu *v, int mode)
{
	struct vmm *m = &v->vmm;
	m->mode = mode;
	csr_write(vsatp, m->satp);
	if (m->sie)
		csr_set(vsstatus, SSTATUS_SIE);
	v->hstatus &= ~HSTATUS_VTVM;
	csr_write(hedeleg, m->medeleg & HEDELEG_WRITABLE);
	csr_write(hcounteren, m->mcounteren & (COUNTEREN_CY | COUNTEREN_TM | COUNTEREN_IR));
	hfence_vvma_all();
	if (mode == PRV_S)
		v->sstatus |= SSTATUS_SPP;
	else
		v->sstatus &= ~SSTATUS_SPP;
}

void vmm_reset(struct vcpu *v)
{
	struct vmm *m = &v->vmm;
	memset(m, 0, sizeof(*m));
	m->mode = PRV_U; /* so enter_m below does the whole switch */
	m->timer_deadline = ~0UL;
	enter_m(v);
	if (hart_features.henvcfg)
		csr_write(henvcfg, 0); /* menvcfg.STCE starts clear */
}

/*
 * The guest's privilege now.  Outside virtual M it moves between S and U in
 * hardware (traps from VU into VS, sret) without exits, so it is read from
 * the exit: sstatus.SPP says whether the trap came from VS or VU.
 */
static int guest_priv(const struct vcpu *v)
{
	if (v->vmm.mode == PRV_M)
		return PRV_M;
	return (v->sstatus & SSTATUS_SPP) ? PRV_S : PRV_U;
}

void vmm_trap(struct vcpu *v, u64 cause, u64 tval)
{
	struct vmm *m = &v->vmm;
	u64 mpp = guest_priv(v);
	m->mepc = v->sepc;
	m->mcause = cause;
	m->mtval = tval;
	m->mstatus &= ~(MSTATUS_MPP | MSTATUS_MPIE);
	m->mstatus |= mpp << MSTATUS_MPP_SHIFT;
	if (m->mstatus & MSTATUS_MIE)
		m->mstatus |= MSTATUS_MPIE;
	m->mstatus &= ~MSTATUS_MIE;
	enter_m(v);
	v->sstatus |= SSTATUS_SPP;
	u64 base = m->mtvec & ~3UL;
	bool vectored = (m->mtvec & 3) == 1 && (cause & CAUSE_IRQ);
	v->sepc = vectored ? base + 4 * (cause & 0x3f) : base;
	m->emulated[(cause & CAUSE_IRQ) ? STAT_IRQ : STAT_EXC]++;
}

void vmm_check_irqs(struct vcpu *v)
{
	struct vmm *m = &v->vmm;
	u64 pending = m->lines & m->mie & MIP_M_BITS;
	if (!pending || (m->mode == PRV_M && !(m->mstatus & MSTATUS_MIE)))
		return;
	/* priority order: MEI, MSI, MTI (privileged spec, "Machine Interrupt Registers") */
	int irq = (pending & MIP_MEIP) ? 11 : (pending & MIP_MSIP) ? 3 : 7;
	vmm_trap(v, CAUSE_IRQ | irq, 0);
}

static u64 isa_bits(void)
{
	u64 misa = 2UL << 62; /* MXL = 64 */
	const char *s = platform.isa + 4; /* past "rv64" */
	for (; *s && *s != '_'; s++)
		if (*s >= 'a' && *s <= 'z' && *s != 'h')
			misa |= 1UL << (*s - 'a');
	if (misa & (1UL << ('g' - 'a')))
		misa |= (1UL << ('i' - 'a')) | (1UL << ('m' - 'a')) | (1UL << ('a' - 'a')) |
			(1UL << ('f' - 'a')) | (1UL << ('d' - 'a'));
	misa &= ~(1UL << ('g' - 'a'));
	return misa | (1UL << ('s' - 'a')) | (1UL << ('u' - 'a'));
}

static u64 read_mstatus(struct vcpu *v)
{
	u64 s = csr_read(vsstatus) & MSTATUS_S_FIELDS;
	s &= ~MSTATUS_SIE;
	if (v->vmm.mode == PRV_M ? v->vmm.sie : (csr_read(vsstatus) & SSTATUS_SIE))
		s |= MSTATUS_SIE;
	return s | (v->vmm.mstatus & MSTATUS_M_FIELDS) | (2UL << 34);
}

static void write_mstatus(struct vcpu *v, u64 val)
{
	struct vmm *m = &v->vmm;
	u64 mpp = (val & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
	if (mpp == 2) /* reserved: WARL keeps the old value */
		val = (val & ~MSTATUS_MPP) | (m->mstatus & MSTATUS_MPP);
	m->mstatus = val & MSTATUS_M_FIELDS;
	u64 writable = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR;
	u64 vs = csr_read(vsstatus);
	if (m->mode == PRV_M) {
		m->sie = val & MSTATUS_SIE;
		writable &= ~MSTATUS_SIE; /* held clear while in virtual M */
	}
	csr_write(vsstatus, (vs & ~writable) | (val & writable));
}

/* The value of an M-level CSR; false if the CSR does not exist. */
static bool csr_get(struct vcpu *v, u16 csr, u64 *out)
{
	struct vmm *m = &v->vmm;
	switch (csr) {
	case CSR_MSTATUS: *out = read_mstatus(v); return true;
	case CSR_MISA: *out = isa_bits(); return true;
	case CSR_MEDELEG: *out = m->medeleg; return true;
	case CSR_MIDELEG: *out = m->mideleg; return true;
	case CSR_MIE: *out = m->mie | (csr_read(vsie) & MIP_S_BITS); return true;
	case CSR_MTVEC: *out = m->mtvec; return true;
	case CSR_MCOUNTEREN: *out = m->mcounteren; return true;
	case CSR_MENVCFG: *out = m->menvcfg; return true;
	case CSR_MSCRATCH: *out = m->mscratch; return true;
	case CSR_MEPC: *out = m->mepc; return true;
	case CSR_MCAUSE: *out = m->mcause; return true;
	case CSR_MTVAL: *out = m->mtval; return true;
	case CSR_MIP: *out = (m->lines & MIP_M_BITS) | (csr_read(vsip) & MIP_S_BITS); return true;
	case CSR_MCYCLE: *out = csr_read(cycle); return true;
	case CSR_MINSTRET: *out = csr_read(instret); return true;
	case CSR_MHARTID: *out = v->id; return true;
	case CSR_SATP: *out = m->satp; return true;
	case 0xf11 ... 0xf13: /* mvendorid, marchid, mimpid */
	case 0xf15:           /* mconfigptr */
	case 0x320:           /* mcountinhibit */
	case 0x323 ... 0x33f: /* mhpmevent3..31 */
	case 0x34a ... 0x34b: /* mtinst, mtval2 */
	case 0x747:           /* mseccfg */
	case 0x7a0 ... 0x7a3: /* trigger CSRs: no triggers */
	case 0xb03 ... 0xb1f: /* mhpmcounter3..31 */
		*out = 0;
		return true;
	case CSR_PMPCFG0 ... CSR_PMPCFG0 + 15:
		if (csr & 1) /* RV64 has only the even pmpcfg registers */
			return false;
		*out = m->pmpcfg[(csr - CSR_PMPCFG0) / 2];
		return true;
	case CSR_PMPADDR0 ... CSR_PMPADDR0 + 63:
		*out = m->pmpaddr[csr - CSR_PMPADDR0];
		return true;
	}
	return false;
}

/* Write an M-level CSR; false for a read-only one. */
static bool csr_set_value(struct vcpu *v, u16 csr, u64 val)
{
	struct vmm *m = &v->vmm;
	switch (csr) {
	case CSR_MSTATUS: write_mstatus(v, val); return true;
	case CSR_MEDELEG: m->medeleg = val & MEDELEG_WRITABLE; return true;
	case CSR_MIDELEG: m->mideleg = val & MIP_S_BITS; return true;
	case CSR_MIE:
		m->mie = val & MIP_M_BITS;
		csr_write(vsie, val & MIP_S_BITS);
		return true;
	case CSR_MTVEC: m->mtvec = val & ~2UL; return true;
	case CSR_MCOUNTEREN: m->mcounteren = val & 7; return true;
	case CSR_MENVCFG:
		/* STCE (Sstc) is the one field with an effect: the guest's
		 * S-mode then programs vstimecmp itself. */
		m->menvcfg = hart_features.sstc ? val & ENVCFG_STCE : 0;
		if (hart_features.henvcfg)
			csr_write(henvcfg, m->menvcfg);
		return true;
	case CSR_MSCRATCH: m->mscratch = val; return true;
	case CSR_MEPC: m->mepc = val & ~1UL; return true;
	case CSR_MCAUSE: m->mcause = val; return true;
	case CSR_MTVAL: m->mtval = val; return true;
	case CSR_MIP:
		/* M-mode may raise or clear the S software interrupt */
		if (val & MIP(1))
			csr_set(hvip, MIP(IRQ_VS_SOFT));
		else
			csr_clear(hvip, MIP(IRQ_VS_SOFT));
		return true;
	case CSR_SATP: m->satp = val; return true;
	case CSR_MISA: /* WARL: the extensions cannot be turned off */
	case 0x320: case 0x323 ... 0x33f: case 0x34a ... 0x34b: case 0x747:
	case 0x7a0 ... 0x7a3: case 0xb00: case 0xb02: case 0xb03 ... 0xb1f:
		return true;
	case CSR_PMPCFG0 ... CSR_PMPCFG0 + 15:
		if (csr & 1)
			return false;
		m->pmpcfg[(csr - CSR_PMPCFG0) / 2] = val; /* accepted; G-stage confines the VM */
		return true;
	case CSR_PMPADDR0 ... CSR_PMPADDR0 + 63:
		m->pmpaddr[csr - CSR_PMPADDR0] = val & ((1UL << 54) - 1);
		return true;
	}
	return false;
}

static bool emulate_csr(struct vcpu *v, const struct sys_insn *si)
{
	u64 src = si->imm ? si->rs1 : v->regs[si->rs1];
	bool writes = si->op == SYS_CSRRW || si->rs1 != 0;
	u64 old = 0;
	if (!csr_get(v, si->csr, &old))
		return false;
	if (writes) {
		u64 val = si->op == SYS_CSRRW ? src : si->op == SYS_CSRRS ? old | src : old & ~src;
		if ((si->csr >> 10) == 3 || !csr_set_value(v, si->csr, val))
			return false; /* CSRs 0xc00-0xfff are read-only */
	}
	if (si->rd)
		v->regs[si->rd] = old;
	v->vmm.emulated[STAT_CSR]++;
	return true;
}

static void emulate_mret(struct vcpu *v)
{
	struct vmm *m = &v->vmm;
	int mpp = (m->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
	m->mstatus &= ~(MSTATUS_MIE | MSTATUS_MPP);
	if (m->mstatus & MSTATUS_MPIE)
		m->mstatus |= MSTATUS_MIE;
	m->mstatus |= MSTATUS_MPIE;
	v->sepc = m->mepc;
	m->emulated[STAT_MRET]++;
	if (mpp != PRV_M)
		leave_m(v, mpp);
}

static int fetch_system(struct vcpu *v, struct sys_insn *si)
{
	u32 insn = v->stval;
	u8 len = 4;
	if ((insn & 3) != 3 && vcpu_arch_fetch_insn(v, &insn, &len))
		return -1;
	if (len != 4)
		return -1;
	return decode_system(insn, si);
}

void vmm_illegal_insn(struct vcpu *v)
{
	struct sys_insn si;
	u64 insn_bits = v->stval;
	if (v->vmm.mode == PRV_M && fetch_system(v, &si) == DECODE_OK) {
		switch (si.op) {
		case SYS_CSRRW:
		case SYS_CSRRS:
		case SYS_CSRRC:
			if (!emulate_csr(v, &si))
				break;
			v->sepc += 4;
			return;
		case SYS_MRET:
			emulate_mret(v);
			return;
		default:
			break;
		}
	}
	/* What a real hart would do: the guest's own illegal-instruction trap. */
	vcpu_inject_exception(v, EXC_ILLEGAL_INSN, insn_bits);
}

void vmm_virtual_insn(struct vcpu *v, u32 insn)
{
	struct sys_insn si;
	if (v->vmm.mode == PRV_M && (insn & 3) == 3 && decode_system(insn, &si) == DECODE_OK) {
		if (si.op == SYS_SFENCE_VMA) {
			hfence_vvma_all();
			v->sepc += 4;
			return;
		}
		if (si.op <= SYS_CSRRC && si.csr == CSR_SATP && emulate_csr(v, &si)) {
			v->sepc += 4;
			return;
		}
	}
	vcpu_inject_exception(v, EXC_ILLEGAL_INSN, insn);
}

void vmm_ecall(struct vcpu *v)
{
	/* mepc is the ecall itself, as on a real hart */
	vmm_trap(v, v->vmm.mode == PRV_M ? EXC_ECALL_M : EXC_ECALL_S, 0);
}
