/*
 * Decoding of guest loads/stores behind an MMIO exit, and of the SYSTEM
 * instructions a virtual M-mode emulates.  See decode.h.
 *
 * Section names below are from the RISC-V unprivileged spec ("RV32I/RV64I
 * Load and Store Instructions", "C" chapter: "RVC Instruction Set Listings")
 * and the privileged spec (H extension: "Transformed Instruction or
 * Pseudoinstruction for mtinst or htinst").
 */
#include "kernel/decode.h"

/* Major opcodes, bits 6:0 of a 32-bit instruction. */
#define OP_LOAD 0x03
#define OP_LOAD_FP 0x07
#define OP_STORE 0x23
#define OP_STORE_FP 0x27
#define OP_AMO 0x2f
#define OP_SYSTEM 0x73

static inline u32 field(u32 insn, unsigned int lo, unsigned int nbits)
{
	return (insn >> lo) & ((1u << nbits) - 1);
}

static inline u8 rd_of(u32 insn)
{
	return field(insn, 7, 5);
}

static inline u8 rs1_of(u32 insn)
{
	return field(insn, 15, 5);
}

static inline u8 rs2_of(u32 insn)
{
	return field(insn, 20, 5);
}

static inline u32 funct3_of(u32 insn)
{
	return field(insn, 12, 3);
}

/* RVC's 3-bit register fields (rd', rs1', rs2') name x8..x15. */
static inline u8 creg(u32 insn, unsigned int lo)
{
	return 8 + field(insn, lo, 3);
}

static int set_access(struct mmio_access *acc, u8 width, u8 reg, u8 len, bool write,
		      bool sign_ext)
{
	acc->width = width;
	acc->reg = reg;
	acc->insn_len = len;
	acc->write = write;
	acc->sign_ext = sign_ext;
	return DECODE_OK;
}

/*
 * LOAD funct3: bits 1:0 are log2(width), bit 2 set means zero-extend
 * (lbu, lhu, lwu).  ld counts as sign-extending: at 8 bytes it makes no
 * difference.  funct3 7 would be ldu, which exists only in RV128.
 * STORE funct3 is log2(width); 4..7 are reserved in RV64.
 */
static int decode_32(u32 insn, struct mmio_access *acc)
{
	u32 funct3 = funct3_of(insn);

	switch (insn & 0x7f) {
	case OP_LOAD:
		if (funct3 == 7)
			return DECODE_ILLEGAL;
		return set_access(acc, 1u << (funct3 & 3), rd_of(insn), 4, false,
				  !(funct3 & 4));
	case OP_STORE:
		if (funct3 >= 4)
			return DECODE_ILLEGAL;
		return set_access(acc, 1u << funct3, rs2_of(insn), 4, true, false);
	default:
		return DECODE_NOT_LOADSTORE;
	}
}

/* Quadrant 0: c.addi4spn, c.fld, c.lw, c.ld, (reserved), c.fsd, c.sw, c.sd. */
static int decode_c0(u32 insn, struct mmio_access *acc)
{
	switch (field(insn, 13, 3)) {
	case 0:
		/* c.addi4spn with nzuimm = 0 is reserved; this includes the
		 * all-zero halfword, which the spec defines as illegal. */
		if (field(insn, 5, 8) == 0)
			return DECODE_ILLEGAL;
		return DECODE_NOT_LOADSTORE;
	case 2:
		return set_access(acc, 4, creg(insn, 2), 2, false, true);
	case 3:
		return set_access(acc, 8, creg(insn, 2), 2, false, true);
	case 4:
		/* Reserved in C (Zcb would put c.lbu/c.lh/c.sb... here). */
		return DECODE_ILLEGAL;
	case 6:
		return set_access(acc, 4, creg(insn, 2), 2, true, false);
	case 7:
		return set_access(acc, 8, creg(insn, 2), 2, true, false);
	default: /* c.fld, c.fsd */
		return DECODE_NOT_LOADSTORE;
	}
}

/* Quadrant 2: the sp-relative forms; c.lwsp/c.ldsp with rd = x0 are reserved. */
static int decode_c2(u32 insn, struct mmio_access *acc)
{
	u8 rd = rd_of(insn);

	switch (field(insn, 13, 3)) {
	case 2:
		if (rd == 0)
			return DECODE_ILLEGAL;
		return set_access(acc, 4, rd, 2, false, true);
	case 3:
		if (rd == 0)
			return DECODE_ILLEGAL;
		return set_access(acc, 8, rd, 2, false, true);
	case 6:
		return set_access(acc, 4, field(insn, 2, 5), 2, true, false);
	case 7:
		return set_access(acc, 8, field(insn, 2, 5), 2, true, false);
	default: /* c.slli, c.fldsp, c.jr/c.mv/c.add/..., c.fsdsp */
		return DECODE_NOT_LOADSTORE;
	}
}

int decode_loadstore(u32 insn, struct mmio_access *acc)
{
	switch (insn & 3) {
	case 3:
		return decode_32(insn, acc);
	/* The compressed decoders read only bits 15:0: a fetch of two
	 * halfwords may have brought the next instruction into bits 31:16. */
	case 0:
		return decode_c0(insn, acc);
	case 2:
		return decode_c2(insn, acc);
	default: /* quadrant 1: arithmetic and branches only */
		return DECODE_NOT_LOADSTORE;
	}
}

/*
 * A transformed instruction keeps opcode, funct3 and rd/rs2 of the original
 * (a compressed one expanded to 32 bits first, so its registers are full
 * 5-bit numbers), puts the misalignment offset in rs1 and zeroes the
 * immediate; bits 1:0 are 01 for a compressed original, 11 otherwise.
 * The spec asks software to check all of bits 63:32 are zero and to treat
 * any value it does not recognise as zero.  Pseudoinstructions (0x2000,
 * 0x3000, 0x2020, 0x3020) have bits 1:0 = 00: guest-page faults of the
 * VS-stage walk, never a guest load/store.
 */
bool decode_htinst(u64 htinst, u32 *insn, u8 *len)
{
	u32 full = (u32)htinst | 2;

	if ((htinst >> 32) != 0 || !(htinst & 1))
		return false;
	switch (full & 0x7f) {
	case OP_LOAD:
	case OP_STORE:
	case OP_LOAD_FP:
	case OP_STORE_FP:
	case OP_AMO:
		break;
	default: /* HLV/HSV (never from a guest), custom values */
		return false;
	}
	*insn = full;
	*len = (htinst & 2) ? 4 : 2;
	return true;
}

static int set_sys(struct sys_insn *out, enum sys_op op, u16 csr, u8 rd, u8 rs1, u8 rs2,
		   bool imm)
{
	out->op = op;
	out->csr = csr;
	out->rd = rd;
	out->rs1 = rs1;
	out->rs2 = rs2;
	out->imm = imm;
	return DECODE_OK;
}

/*
 * funct3 = 0: instructions told apart by funct12 (ECALL, EBREAK, xRET, WFI)
 * or by funct7 (the fences, which take rs1/rs2).  All have rd = 0; the
 * funct12 ones also rs1 = 0.  Other values are reserved (uret and the
 * N extension are gone; dret is legal only in debug mode).
 */
static int decode_priv(u32 insn, struct sys_insn *out)
{
	if (rd_of(insn) != 0)
		return DECODE_ILLEGAL;
	switch (insn >> 25) {
	case 0x09: /* sfence.vma */
		return set_sys(out, SYS_SFENCE_VMA, 0, 0, rs1_of(insn), rs2_of(insn), false);
	case 0x0b: /* sinval.vma (Svinval) */
	case 0x11: /* hfence.vvma */
	case 0x13: /* hinval.vvma */
	case 0x31: /* hfence.gvma */
	case 0x33: /* hinval.gvma */
		return DECODE_OTHER;
	}
	if (rs1_of(insn) != 0)
		return DECODE_ILLEGAL;
	switch (insn >> 20) {
	case 0x000:
		return set_sys(out, SYS_ECALL, 0, 0, 0, 0, false);
	case 0x001:
		return set_sys(out, SYS_EBREAK, 0, 0, 0, 0, false);
	case 0x102:
		return set_sys(out, SYS_SRET, 0, 0, 0, 0, false);
	case 0x302:
		return set_sys(out, SYS_MRET, 0, 0, 0, 0, false);
	case 0x105:
		return set_sys(out, SYS_WFI, 0, 0, 0, 0, false);
	case 0x180: /* sfence.w.inval (Svinval) */
	case 0x181: /* sfence.inval.ir */
		return DECODE_OTHER;
	default:
		return DECODE_ILLEGAL;
	}
}

/*
 * Zicsr: funct3 bits 1:0 pick write/set/clear, bit 2 the immediate form
 * (rs1 field is then the zero-extended 5-bit zimm).  funct3 = 4 holds the
 * H extension's HLV/HLVX/HSV, which a virtual M-mode does not provide.
 */
int decode_system(u32 insn, struct sys_insn *out)
{
	u32 funct3 = funct3_of(insn);
	enum sys_op op;

	if ((insn & 0x7f) != OP_SYSTEM)
		return DECODE_OTHER;
	switch (funct3 & 3) {
	case 0:
		return funct3 == 0 ? decode_priv(insn, out) : DECODE_OTHER;
	case 1:
		op = SYS_CSRRW;
		break;
	case 2:
		op = SYS_CSRRS;
		break;
	default:
		op = SYS_CSRRC;
		break;
	}
	return set_sys(out, op, insn >> 20, rd_of(insn), rs1_of(insn), 0, funct3 & 4);
}
