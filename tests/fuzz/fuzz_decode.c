/*
 * Fuzz target: the MMIO instruction decoder (kernel/decode.c).
 *
 * The input is a sequence of 8-byte words.  Each is given to decode_htinst
 * as an htinst value, its low 32 bits to decode_loadstore and
 * decode_system.  Every load/store result is compared with a small
 * reference decoder written from the spec's tables (unprivileged spec,
 * "Load and Store Instructions" and "RVC Instruction Set Listings"), and
 * the other results are checked for range and consistency.
 */
#include "tests/fuzz/fuzz.h"

#include "kernel/decode.h"

#define OPCODE(i) ((i) & 0x7f)
#define FUNCT3(i) (((i) >> 12) & 7)
#define RD(i) (((i) >> 7) & 31)
#define RS1(i) (((i) >> 15) & 31)
#define RS2(i) (((i) >> 20) & 31)

/* The reference: DECODE_OK with *want filled in, or what the decoder must say. */
static int ref_32(u32 i, struct mmio_access *want)
{
	u32 f3 = FUNCT3(i);

	if (OPCODE(i) == 0x03) { /* lb lh lw ld lbu lhu lwu; funct3 7 is RV128's ldu */
		if (f3 == 7)
			return DECODE_ILLEGAL;
		*want = (struct mmio_access){.width = 1 << (f3 & 3), .reg = RD(i), .sign_ext = f3 < 4};
	} else if (OPCODE(i) == 0x23) { /* sb sh sw sd */
		if (f3 > 3)
			return DECODE_ILLEGAL;
		*want = (struct mmio_access){.width = 1 << f3, .reg = RS2(i), .write = true};
	} else {
		return DECODE_NOT_LOADSTORE;
	}
	want->insn_len = 4;
	return DECODE_OK;
}

static int ref_16(u32 i, struct mmio_access *want)
{
	u32 q = i & 3, f3 = (i >> 13) & 7;
	u32 creg = 8 + ((i >> 2) & 7), rd = RD(i), rs2 = (i >> 2) & 31;

	if (q == 0 && f3 == 0 && ((i >> 5) & 0xff) == 0)
		return DECODE_ILLEGAL; /* c.addi4spn with nzuimm = 0, the all-zero halfword too */
	if (q == 0 && f3 == 4)
		return DECODE_ILLEGAL; /* reserved */
	if (q == 0 && (f3 == 2 || f3 == 3)) /* c.lw c.ld */
		*want = (struct mmio_access){.width = f3 == 2 ? 4 : 8, .reg = creg, .sign_ext = true};
	else if (q == 0 && (f3 == 6 || f3 == 7)) /* c.sw c.sd */
		*want = (struct mmio_access){.width = f3 == 6 ? 4 : 8, .reg = creg, .write = true};
	else if (q == 2 && (f3 == 2 || f3 == 3) && rd == 0)
		return DECODE_ILLEGAL; /* c.lwsp c.ldsp with rd = x0 */
	else if (q == 2 && (f3 == 2 || f3 == 3)) /* c.lwsp c.ldsp */
		*want = (struct mmio_access){.width = f3 == 2 ? 4 : 8, .reg = rd, .sign_ext = true};
	else if (q == 2 && (f3 == 6 || f3 == 7)) /* c.swsp c.sdsp */
		*want = (struct mmio_access){.width = f3 == 6 ? 4 : 8, .reg = rs2, .write = true};
	else
		return DECODE_NOT_LOADSTORE;
	want->insn_len = 2;
	return DECODE_OK;
}

static void check_loadstore(u32 insn)
{
	struct mmio_access acc, want;
	int rc, ref;

	memset(&acc, 0xa5, sizeof(acc));
	rc = decode_loadstore(insn, &acc);
	ref = (insn & 3) == 3 ? ref_32(insn, &want) : ref_16(insn, &want);
	CHECK(rc == ref);
	if (rc != DECODE_OK)
		return;
	CHECK(acc.width == 1 || acc.width == 2 || acc.width == 4 || acc.width == 8);
	CHECK(acc.reg < 32);
	CHECK(acc.insn_len == ((insn & 3) == 3 ? 4 : 2));
	CHECK(!(acc.write && acc.sign_ext));
	CHECK(acc.width == want.width && acc.reg == want.reg && acc.insn_len == want.insn_len &&
	      acc.write == want.write && acc.sign_ext == want.sign_ext);

	/* A compressed instruction is its low halfword: the next one may follow. */
	if ((insn & 3) != 3) {
		struct mmio_access low;

		CHECK(decode_loadstore(insn & 0xffff, &low) == DECODE_OK);
		CHECK(low.width == acc.width && low.reg == acc.reg && low.write == acc.write);
	}

	/* The register value of a load: raw data cut to width, then extended. */
	if (!acc.write) {
		u64 raw = (u64)insn * 0x9e3779b97f4a7c15ULL;
		u64 v = decode_load_result(&acc, raw);
		unsigned int bits = 8 * acc.width;

		if (bits == 64) {
			CHECK(v == raw);
		} else {
			u64 low = raw & ((1ULL << bits) - 1);
			bool neg = (raw >> (bits - 1)) & 1;

			CHECK(v == (acc.sign_ext && neg ? low | ~((1ULL << bits) - 1) : low));
		}
	}
}

static void check_htinst(u64 htinst)
{
	u32 insn = 0x13;
	u8 len = 0;
	struct mmio_access acc;
	int rc;

	if (!decode_htinst(htinst, &insn, &len)) {
		CHECK(insn == 0x13 && len == 0); /* untouched */
		return;
	}
	/* Only transformed instructions: bits 63:32 zero, bit 0 set. */
	CHECK((htinst >> 32) == 0 && (htinst & 1));
	CHECK(len == ((htinst & 2) ? 4 : 2));
	CHECK((insn & 3) == 3 && (insn | 2) == ((u32)htinst | 2));
	rc = decode_loadstore(insn, &acc);
	/* funct3 = 7 loads and 4..7 stores are accepted by decode_htinst but no
	 * hart would transform them; every opcode it takes is a load/store one. */
	CHECK(rc == DECODE_OK || rc == DECODE_NOT_LOADSTORE || rc == DECODE_ILLEGAL);
	if (rc == DECODE_OK)
		CHECK(acc.insn_len == 4);
	if (rc == DECODE_NOT_LOADSTORE) /* FP loads/stores and AMOs */
		CHECK(OPCODE(insn) == 0x07 || OPCODE(insn) == 0x27 || OPCODE(insn) == 0x2f);
}

static void check_system(u32 insn)
{
	struct sys_insn s;
	int rc;

	memset(&s, 0xa5, sizeof(s));
	rc = decode_system(insn, &s);
	CHECK(rc == DECODE_OK || rc == DECODE_OTHER || rc == DECODE_ILLEGAL);
	if (OPCODE(insn) != 0x73)
		CHECK(rc == DECODE_OTHER);
	if (rc != DECODE_OK)
		return;
	CHECK(s.rd < 32 && s.rs1 < 32 && s.rs2 < 32 && s.csr < 4096);
	switch (s.op) {
	case SYS_CSRRW:
	case SYS_CSRRS:
	case SYS_CSRRC:
		CHECK(FUNCT3(insn) != 0 && FUNCT3(insn) != 4);
		CHECK(s.csr == insn >> 20 && s.rd == RD(insn) && s.rs1 == RS1(insn));
		CHECK(s.imm == !!(FUNCT3(insn) & 4) && s.rs2 == 0);
		CHECK((int)s.op - SYS_CSRRW == (int)(FUNCT3(insn) & 3) - 1);
		break;
	case SYS_SFENCE_VMA:
		CHECK(insn >> 25 == 0x09 && FUNCT3(insn) == 0 && RD(insn) == 0);
		CHECK(s.rs1 == RS1(insn) && s.rs2 == RS2(insn) && s.csr == 0 && s.rd == 0);
		break;
	case SYS_ECALL:
	case SYS_EBREAK:
	case SYS_MRET:
	case SYS_SRET:
	case SYS_WFI:
		/* The exact encodings: funct12, rs1 = rd = 0, funct3 = 0. */
		CHECK((insn & 0xfffff) == 0x73);
		CHECK(s.csr == 0 && s.rd == 0 && s.rs1 == 0 && s.rs2 == 0 && !s.imm);
		break;
	default:
		CHECK(!"unknown sys_op");
	}
	if (s.op == SYS_ECALL)
		CHECK(insn == 0x00000073);
	if (s.op == SYS_EBREAK)
		CHECK(insn == 0x00100073);
	if (s.op == SYS_SRET)
		CHECK(insn == 0x10200073);
	if (s.op == SYS_MRET)
		CHECK(insn == 0x30200073);
	if (s.op == SYS_WFI)
		CHECK(insn == 0x10500073);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct input in = {data, size};

	while (!in_empty(&in)) {
		u64 w = in_u64(&in);

		check_htinst(w);
		check_loadstore((u32)w);
		check_system((u32)w);
	}
	return 0;
}
