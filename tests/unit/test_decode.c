/*
 * Host unit tests for kernel/decode.c.
 *
 * Most instructions are built from the format definitions by the enc_*
 * and c_* helpers below and swept over registers and immediates; a table of
 * literal encodings taken from riscv64-unknown-elf-as/objdump checks both
 * the helpers and the decoder against the real assembler.
 */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <string.h>

#include "kernel/decode.h"

#define OP_LOAD 0x03
#define OP_LOAD_FP 0x07
#define OP_STORE 0x23
#define OP_STORE_FP 0x27
#define OP_AMO 0x2f
#define OP_SYSTEM 0x73

/* ---------------------------------------------------------------- encoders */

static u32 enc_i(u32 op, u32 funct3, u32 rd, u32 rs1, s32 imm)
{
	return ((u32)imm & 0xfff) << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | op;
}

static u32 enc_s(u32 op, u32 funct3, u32 rs1, u32 rs2, s32 imm)
{
	u32 i = (u32)imm & 0xfff;

	return (i >> 5) << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | (i & 0x1f) << 7 | op;
}

static u32 enc_r(u32 op, u32 funct3, u32 funct7, u32 rd, u32 rs1, u32 rs2)
{
	return funct7 << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | op;
}

static u32 bit(u32 x, unsigned int n)
{
	return (x >> n) & 1;
}

/* CL/CS, word offset: uimm[5:3] in 12:10, uimm[2] in 6, uimm[6] in 5. */
static u32 enc_c_w(u32 funct3, u32 rs1, u32 r, u32 off)
{
	return funct3 << 13 | ((off >> 3) & 7) << 10 | (rs1 - 8) << 7 | bit(off, 2) << 6 |
	       bit(off, 6) << 5 | (r - 8) << 2;
}

/* CL/CS, doubleword offset: uimm[5:3] in 12:10, uimm[7:6] in 6:5. */
static u32 enc_c_d(u32 funct3, u32 rs1, u32 r, u32 off)
{
	return funct3 << 13 | ((off >> 3) & 7) << 10 | (rs1 - 8) << 7 | ((off >> 6) & 3) << 5 |
	       (r - 8) << 2;
}

static u32 c_lw(u32 rd, u32 rs1, u32 off)
{
	return enc_c_w(2, rs1, rd, off);
}

static u32 c_ld(u32 rd, u32 rs1, u32 off)
{
	return enc_c_d(3, rs1, rd, off);
}

static u32 c_sw(u32 rs2, u32 rs1, u32 off)
{
	return enc_c_w(6, rs1, rs2, off);
}

static u32 c_sd(u32 rs2, u32 rs1, u32 off)
{
	return enc_c_d(7, rs1, rs2, off);
}

/* CI: uimm[5] in 12, uimm[4:2|7:6] in 6:2. */
static u32 c_lwsp(u32 rd, u32 off)
{
	return 2 << 13 | bit(off, 5) << 12 | rd << 7 | ((off >> 2) & 7) << 4 |
	       ((off >> 6) & 3) << 2 | 2;
}

/* CI: uimm[5] in 12, uimm[4:3|8:6] in 6:2. */
static u32 c_ldsp(u32 rd, u32 off)
{
	return 3 << 13 | bit(off, 5) << 12 | rd << 7 | ((off >> 3) & 3) << 5 |
	       ((off >> 6) & 7) << 2 | 2;
}

/* CSS: uimm[5:2|7:6] in 12:7. */
static u32 c_swsp(u32 rs2, u32 off)
{
	return 6 << 13 | ((off >> 2) & 0xf) << 9 | ((off >> 6) & 3) << 7 | rs2 << 2 | 2;
}

/* CSS: uimm[5:3|8:6] in 12:7. */
static u32 c_sdsp(u32 rs2, u32 off)
{
	return 7 << 13 | ((off >> 3) & 7) << 10 | ((off >> 6) & 7) << 7 | rs2 << 2 | 2;
}

/* ---------------------------------------------------------------- checkers */

struct want {
	u8 width;
	u8 reg;
	u8 len;
	bool write;
	bool sign_ext;
};

static const s32 imms[] = { 0, 1, -1, 8, 0x123, 2047, -2048 };
static const u32 bases[] = { 0, 2, 10, 31 };

static void expect_access(u32 insn, struct want w)
{
	struct mmio_access acc;
	int rc;

	memset(&acc, 0xa5, sizeof(acc));
	rc = decode_loadstore(insn, &acc);
	if (rc != DECODE_OK)
		fail_msg("insn %08x: status %d, want DECODE_OK", insn, rc);
	if (acc.width != w.width || acc.reg != w.reg || acc.insn_len != w.len ||
	    acc.write != w.write || acc.sign_ext != w.sign_ext)
		fail_msg("insn %08x: width %u reg %u len %u write %d sext %d, "
			 "want %u %u %u %d %d",
			 insn, acc.width, acc.reg, acc.insn_len, acc.write, acc.sign_ext,
			 w.width, w.reg, w.len, w.write, w.sign_ext);
	/* addr and value belong to the caller. */
	assert_int_equal(acc.addr, 0xa5a5a5a5a5a5a5a5ULL);
	assert_int_equal(acc.value, 0xa5a5a5a5a5a5a5a5ULL);
}

static void expect_status(u32 insn, int want)
{
	struct mmio_access acc;
	int rc;

	memset(&acc, 0, sizeof(acc));
	rc = decode_loadstore(insn, &acc);
	if (rc != want)
		fail_msg("insn %08x: status %d, want %d", insn, rc, want);
}

/* ---------------------------------------------------------------- RV64I */

struct ls_kind {
	u32 funct3;
	u8 width;
	bool sign_ext;
};

static const struct ls_kind loads[] = {
	{ 0, 1, true },	 /* lb */
	{ 1, 2, true },	 /* lh */
	{ 2, 4, true },	 /* lw */
	{ 3, 8, true },	 /* ld */
	{ 4, 1, false }, /* lbu */
	{ 5, 2, false }, /* lhu */
	{ 6, 4, false }, /* lwu */
};

static const struct ls_kind stores[] = {
	{ 0, 1, false }, /* sb */
	{ 1, 2, false }, /* sh */
	{ 2, 4, false }, /* sw */
	{ 3, 8, false }, /* sd */
};

static void test_rv64i_loads(void **state)
{
	for (size_t k = 0; k < ARRAY_SIZE(loads); k++)
		for (u32 rd = 0; rd < 32; rd++)
			for (size_t b = 0; b < ARRAY_SIZE(bases); b++)
				for (size_t i = 0; i < ARRAY_SIZE(imms); i++)
					expect_access(enc_i(OP_LOAD, loads[k].funct3, rd, bases[b],
							    imms[i]),
						      (struct want){ loads[k].width, rd, 4, false,
								     loads[k].sign_ext });
}

static void test_rv64i_stores(void **state)
{
	for (size_t k = 0; k < ARRAY_SIZE(stores); k++)
		for (u32 rs2 = 0; rs2 < 32; rs2++)
			for (size_t b = 0; b < ARRAY_SIZE(bases); b++)
				for (size_t i = 0; i < ARRAY_SIZE(imms); i++)
					expect_access(enc_s(OP_STORE, stores[k].funct3, bases[b],
							    rs2, imms[i]),
						      (struct want){ stores[k].width, rs2, 4, true,
								     false });
}

/* LOAD funct3 = 7 (RV128's ldu) and STORE funct3 >= 4 are reserved in RV64. */
static void test_rv64i_reserved(void **state)
{
	for (u32 r = 0; r < 32; r += 5)
		for (size_t i = 0; i < ARRAY_SIZE(imms); i++) {
			expect_status(enc_i(OP_LOAD, 7, r, 31 - r, imms[i]), DECODE_ILLEGAL);
			for (u32 f3 = 4; f3 < 8; f3++)
				expect_status(enc_s(OP_STORE, f3, 31 - r, r, imms[i]),
					      DECODE_ILLEGAL);
		}
}

/* ---------------------------------------------------------------- RV64C */

static void test_c_lw_ld(void **state)
{
	static const u32 woff[] = { 0, 4, 8, 64, 124 };
	static const u32 doff[] = { 0, 8, 16, 128, 248 };

	for (u32 rd = 8; rd < 16; rd++)
		for (u32 rs1 = 8; rs1 < 16; rs1++)
			for (size_t i = 0; i < ARRAY_SIZE(woff); i++) {
				expect_access(c_lw(rd, rs1, woff[i]),
					      (struct want){ 4, rd, 2, false, true });
				expect_access(c_ld(rd, rs1, doff[i]),
					      (struct want){ 8, rd, 2, false, true });
			}
}

static void test_c_sw_sd(void **state)
{
	static const u32 woff[] = { 0, 4, 8, 64, 124 };
	static const u32 doff[] = { 0, 8, 16, 128, 248 };

	for (u32 rs2 = 8; rs2 < 16; rs2++)
		for (u32 rs1 = 8; rs1 < 16; rs1++)
			for (size_t i = 0; i < ARRAY_SIZE(woff); i++) {
				expect_access(c_sw(rs2, rs1, woff[i]),
					      (struct want){ 4, rs2, 2, true, false });
				expect_access(c_sd(rs2, rs1, doff[i]),
					      (struct want){ 8, rs2, 2, true, false });
			}
}

static void test_c_lwsp_ldsp(void **state)
{
	static const u32 woff[] = { 0, 4, 32, 128, 252 };
	static const u32 doff[] = { 0, 8, 32, 256, 504 };

	for (u32 rd = 1; rd < 32; rd++)
		for (size_t i = 0; i < ARRAY_SIZE(woff); i++) {
			expect_access(c_lwsp(rd, woff[i]), (struct want){ 4, rd, 2, false, true });
			expect_access(c_ldsp(rd, doff[i]), (struct want){ 8, rd, 2, false, true });
		}
}

static void test_c_swsp_sdsp(void **state)
{
	static const u32 woff[] = { 0, 4, 32, 128, 252 };
	static const u32 doff[] = { 0, 8, 32, 256, 504 };

	for (u32 rs2 = 0; rs2 < 32; rs2++)
		for (size_t i = 0; i < ARRAY_SIZE(woff); i++) {
			expect_access(c_swsp(rs2, woff[i]),
				      (struct want){ 4, rs2, 2, true, false });
			expect_access(c_sdsp(rs2, doff[i]),
				      (struct want){ 8, rs2, 2, true, false });
		}
}

/* A two-halfword fetch may bring the next instruction into bits 31:16. */
static void test_c_upper_half_ignored(void **state)
{
	static const u32 junk[] = { 0xffff, 0x1234, 0x0001, 0x8000 };

	for (size_t j = 0; j < ARRAY_SIZE(junk); j++) {
		u32 hi = junk[j] << 16;

		expect_access(hi | c_lw(9, 10, 4), (struct want){ 4, 9, 2, false, true });
		expect_access(hi | c_sd(15, 8, 8), (struct want){ 8, 15, 2, true, false });
		expect_access(hi | c_ldsp(31, 8), (struct want){ 8, 31, 2, false, true });
		expect_access(hi | c_swsp(7, 4), (struct want){ 4, 7, 2, true, false });
		expect_status(hi, DECODE_ILLEGAL);
		expect_status(hi | c_lwsp(0, 4), DECODE_ILLEGAL);
	}
}

static void test_c_reserved(void **state)
{
	/* The all-zero halfword is defined illegal. */
	expect_status(0x0000, DECODE_ILLEGAL);
	/* c.addi4spn with nzuimm = 0, any rd'. */
	for (u32 rd = 0; rd < 8; rd++)
		expect_status(rd << 2, DECODE_ILLEGAL);
	/* Quadrant 0, funct3 = 100: reserved in C. */
	expect_status(0x8000, DECODE_ILLEGAL);
	expect_status(0x9ffc, DECODE_ILLEGAL);
	expect_status(0x8000 | (c_lw(10, 11, 4) & 0x1fff), DECODE_ILLEGAL);
	/* c.lwsp and c.ldsp with rd = x0, whatever the offset. */
	for (u32 off = 0; off < 256; off += 4)
		expect_status(c_lwsp(0, off), DECODE_ILLEGAL);
	for (u32 off = 0; off < 512; off += 8)
		expect_status(c_ldsp(0, off), DECODE_ILLEGAL);
	/* ...but x0 is a fine store source. */
	expect_access(c_swsp(0, 0), (struct want){ 4, 0, 2, true, false });
	expect_access(c_sdsp(0, 8), (struct want){ 8, 0, 2, true, false });
}

/* ---------------------------------------------------------------- others */

static void test_not_loadstore(void **state)
{
	static const u32 literal[] = {
		0x00150513, /* addi a0,a0,1 */
		0x00000013, /* nop */
		0x123452b7, /* lui t0,0x12345 */
		0x0000006f, /* j . */
		0x00b6252f, /* amoadd.w a0,a1,(a2) */
		0x0e63b2af, /* amoswap.d.aqrl t0,t1,(t2) */
		0x1005b52f, /* lr.d a0,(a1) */
		0x18c5a52f, /* sc.w a0,a2,(a1) */
		0x00452507, /* flw fa0,4(a0) */
		0x00813587, /* fld fa1,8(sp) */
		0x00a52227, /* fsw fa0,4(a0) */
		0xfe843c27, /* fsd fs0,-8(s0) */
		0x30059573, /* csrrw a0,mstatus,a1 */
		0x00000073, /* ecall */
		0x2508,	    /* c.fld fa0,8(a0) */
		0xa98c,	    /* c.fsd fa1,16(a1) */
		0x2462,	    /* c.fldsp fs0,24(sp) */
		0xb026,	    /* c.fsdsp fs1,32(sp) */
		0x0505,	    /* c.addi a0,1 */
		0x852e,	    /* c.mv a0,a1 */
		0x0808,	    /* c.addi4spn a0,sp,16 */
		0x0000001f, /* a 48-bit instruction's first parcel */
	};

	for (size_t i = 0; i < ARRAY_SIZE(literal); i++)
		expect_status(literal[i], DECODE_NOT_LOADSTORE);
	/* Every FP width and every AMO/LR/SC funct5, all widths. */
	for (u32 f3 = 1; f3 < 5; f3++) {
		expect_status(enc_i(OP_LOAD_FP, f3, 10, 11, -4), DECODE_NOT_LOADSTORE);
		expect_status(enc_s(OP_STORE_FP, f3, 11, 10, 4), DECODE_NOT_LOADSTORE);
	}
	for (u32 funct5 = 0; funct5 < 32; funct5++)
		for (u32 f3 = 2; f3 < 4; f3++)
			expect_status(enc_r(OP_AMO, f3, funct5 << 2, 10, 11, 12),
				      DECODE_NOT_LOADSTORE);
}

/* Literal encodings from riscv64-unknown-elf-as + objdump -d -M no-aliases. */
struct asm_case {
	const char *text;
	u32 hex;
	u32 built;
	struct want w;
};

static void test_assembler_crosscheck(void **state)
{
	const struct asm_case cases[] = {
		{ "lb a0,-1(a1)", 0xfff58503, enc_i(OP_LOAD, 0, 10, 11, -1),
		  { 1, 10, 4, false, true } },
		{ "lh t0,2047(sp)", 0x7ff11283, enc_i(OP_LOAD, 1, 5, 2, 2047),
		  { 2, 5, 4, false, true } },
		{ "lw s1,-2048(zero)", 0x80002483, enc_i(OP_LOAD, 2, 9, 0, -2048),
		  { 4, 9, 4, false, true } },
		{ "ld ra,8(s0)", 0x00843083, enc_i(OP_LOAD, 3, 1, 8, 8), { 8, 1, 4, false, true } },
		{ "lbu t6,0(t5)", 0x000f4f83, enc_i(OP_LOAD, 4, 31, 30, 0),
		  { 1, 31, 4, false, false } },
		{ "lhu a5,100(gp)", 0x0641d783, enc_i(OP_LOAD, 5, 15, 3, 100),
		  { 2, 15, 4, false, false } },
		{ "lwu t6,4(t6)", 0x004fef83, enc_i(OP_LOAD, 6, 31, 31, 4),
		  { 4, 31, 4, false, false } },
		{ "lw zero,0(a0)", 0x00052003, enc_i(OP_LOAD, 2, 0, 10, 0),
		  { 4, 0, 4, false, true } },
		{ "sb a0,-1(a1)", 0xfea58fa3, enc_s(OP_STORE, 0, 11, 10, -1),
		  { 1, 10, 4, true, false } },
		{ "sh zero,2047(t0)", 0x7e029fa3, enc_s(OP_STORE, 1, 5, 0, 2047),
		  { 2, 0, 4, true, false } },
		{ "sw s11,-2048(sp)", 0x81b12023, enc_s(OP_STORE, 2, 2, 27, -2048),
		  { 4, 27, 4, true, false } },
		{ "sd ra,8(s0)", 0x00143423, enc_s(OP_STORE, 3, 8, 1, 8),
		  { 8, 1, 4, true, false } },
		{ "c.lw a0,4(a1)", 0x41c8, c_lw(10, 11, 4), { 4, 10, 2, false, true } },
		{ "c.lw s0,124(a5)", 0x5fe0, c_lw(8, 15, 124), { 4, 8, 2, false, true } },
		{ "c.ld a5,248(s0)", 0x7c7c, c_ld(15, 8, 248), { 8, 15, 2, false, true } },
		{ "c.ld s1,0(a0)", 0x6104, c_ld(9, 10, 0), { 8, 9, 2, false, true } },
		{ "c.sw a2,64(a3)", 0xc2b0, c_sw(12, 13, 64), { 4, 12, 2, true, false } },
		{ "c.sd a4,8(a5)", 0xe798, c_sd(14, 15, 8), { 8, 14, 2, true, false } },
		{ "c.lwsp ra,252(sp)", 0x50fe, c_lwsp(1, 252), { 4, 1, 2, false, true } },
		{ "c.lwsp t6,0(sp)", 0x4f82, c_lwsp(31, 0), { 4, 31, 2, false, true } },
		{ "c.ldsp a0,504(sp)", 0x757e, c_ldsp(10, 504), { 8, 10, 2, false, true } },
		{ "c.ldsp s11,8(sp)", 0x6da2, c_ldsp(27, 8), { 8, 27, 2, false, true } },
		{ "c.swsp zero,252(sp)", 0xdf82, c_swsp(0, 252), { 4, 0, 2, true, false } },
		{ "c.swsp a0,4(sp)", 0xc22a, c_swsp(10, 4), { 4, 10, 2, true, false } },
		{ "c.sdsp ra,504(sp)", 0xff86, c_sdsp(1, 504), { 8, 1, 2, true, false } },
		{ "c.sdsp t6,16(sp)", 0xe87e, c_sdsp(31, 16), { 8, 31, 2, true, false } },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (cases[i].built != cases[i].hex)
			fail_msg("%s: helper gives %08x, assembler %08x", cases[i].text,
				 cases[i].built, cases[i].hex);
		expect_access(cases[i].hex, cases[i].w);
	}
}

/* ---------------------------------------------------------------- load results */

struct ext_case {
	u8 width;
	bool sign_ext;
	u64 raw;
	u64 want;
};

static void test_load_result(void **state)
{
	static const struct ext_case cases[] = {
		{ 1, true, 0x80, 0xffffffffffffff80 },
		{ 1, false, 0x80, 0x80 },
		{ 1, true, 0xff, 0xffffffffffffffff },
		{ 1, false, 0xff, 0xff },
		{ 1, true, 0x7f, 0x7f },
		{ 1, true, 0x00, 0x00 },
		{ 1, true, 0x123456789abcde7f, 0x7f },	/* bytes above width dropped */
		{ 1, false, 0xffffffffffffff80, 0x80 },
		{ 2, true, 0x8000, 0xffffffffffff8000 },
		{ 2, false, 0x8000, 0x8000 },
		{ 2, true, 0x7fff, 0x7fff },
		{ 2, true, 0xdead8001, 0xffffffffffff8001 },
		{ 2, false, 0xffffffffffff1234, 0x1234 },
		{ 2, true, 0x0080, 0x0080 },		/* bit 7 is not a halfword's sign */
		{ 4, true, 0x80000000, 0xffffffff80000000 },
		{ 4, false, 0x80000000, 0x80000000 },
		{ 4, true, 0x7fffffff, 0x7fffffff },
		{ 4, true, 0x00008000, 0x00008000 },
		{ 4, true, 0xffffffff12345678, 0x12345678 },
		{ 4, false, 0xffffffff87654321, 0x87654321 },
		{ 8, true, 0x8000000000000000, 0x8000000000000000 },
		{ 8, false, 0x8000000000000000, 0x8000000000000000 },
		{ 8, true, 0x0123456789abcdef, 0x0123456789abcdef },
	};
	struct mmio_access acc;

	memset(&acc, 0, sizeof(acc));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		acc.width = cases[i].width;
		acc.sign_ext = cases[i].sign_ext;
		if (decode_load_result(&acc, cases[i].raw) != cases[i].want)
			fail_msg("width %u sext %d raw %016llx: got %016llx, want %016llx",
				 cases[i].width, cases[i].sign_ext,
				 (unsigned long long)cases[i].raw,
				 (unsigned long long)decode_load_result(&acc, cases[i].raw),
				 (unsigned long long)cases[i].want);
	}
}

/* Decode a real load, then extend 0x8080...80 the way that load would. */
static void test_load_result_per_insn(void **state)
{
	static const struct {
		u32 insn;
		u64 want;
	} cases[] = {
		{ 0xfff58503, 0xffffffffffffff80 }, /* lb */
		{ 0x000f4f83, 0x0000000000000080 }, /* lbu */
		{ 0x7ff11283, 0xffffffffffff8080 }, /* lh */
		{ 0x0641d783, 0x0000000000008080 }, /* lhu */
		{ 0x80002483, 0xffffffff80808080 }, /* lw */
		{ 0x004fef83, 0x0000000080808080 }, /* lwu */
		{ 0x00843083, 0x8080808080808080 }, /* ld */
		{ 0x41c8, 0xffffffff80808080 },	    /* c.lw */
		{ 0x50fe, 0xffffffff80808080 },	    /* c.lwsp */
		{ 0x7c7c, 0x8080808080808080 },	    /* c.ld */
		{ 0x757e, 0x8080808080808080 },	    /* c.ldsp */
	};
	const u64 raw = 0x8080808080808080;
	struct mmio_access acc;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(decode_loadstore(cases[i].insn, &acc), DECODE_OK);
		if (decode_load_result(&acc, raw) != cases[i].want)
			fail_msg("insn %08x: got %016llx, want %016llx", cases[i].insn,
				 (unsigned long long)decode_load_result(&acc, raw),
				 (unsigned long long)cases[i].want);
		/* A positive value comes through unchanged at every width. */
		assert_int_equal(decode_load_result(&acc, 0x05), 0x05);
	}
}

/* ---------------------------------------------------------------- htinst */

/* Decode htinst the way the trap path will, or fail the test. */
static void expect_htinst(u64 htinst, u32 want_insn, struct want w)
{
	struct mmio_access acc;
	u32 insn = 0;
	u8 len = 0;

	if (!decode_htinst(htinst, &insn, &len))
		fail_msg("htinst %016llx rejected", (unsigned long long)htinst);
	assert_int_equal(insn, want_insn);
	assert_int_equal(len, w.len);
	assert_int_equal(decode_loadstore(insn, &acc), DECODE_OK);
	acc.insn_len = len;
	assert_int_equal(acc.width, w.width);
	assert_int_equal(acc.reg, w.reg);
	assert_int_equal(acc.insn_len, w.len);
	assert_int_equal(acc.write, w.write);
	assert_int_equal(acc.sign_ext, w.sign_ext);
}

static void test_htinst_32bit(void **state)
{
	/* rs1 holds the misalignment offset, the immediate is zero. */
	for (u32 off = 0; off < 8; off++) {
		for (size_t k = 0; k < ARRAY_SIZE(loads); k++) {
			u32 t = enc_i(OP_LOAD, loads[k].funct3, 10, off, 0);

			expect_htinst(t, t,
				      (struct want){ loads[k].width, 10, 4, false,
						     loads[k].sign_ext });
		}
		for (size_t k = 0; k < ARRAY_SIZE(stores); k++) {
			u32 t = enc_s(OP_STORE, stores[k].funct3, off, 31, 0);

			expect_htinst(t, t, (struct want){ stores[k].width, 31, 4, true, false });
		}
	}
	/* lw s1,-2048(zero) transformed: immediate gone. */
	expect_htinst(0x00002483, 0x00002483, (struct want){ 4, 9, 4, false, true });
}

/* A compressed original: the transformed 32-bit equivalent with bit 1 = 0. */
static void test_htinst_compressed(void **state)
{
	/* c.lw a0,4(a1) -> lw a0,0(zero) = 0x00002503 (assembler) */
	expect_htinst(0x00002501, 0x00002503, (struct want){ 4, 10, 2, false, true });
	/* c.ld s1,0(a0) -> ld s1,0(x0), rd is the full x9 */
	expect_htinst(enc_i(OP_LOAD, 3, 9, 0, 0) & ~2u, enc_i(OP_LOAD, 3, 9, 0, 0),
		      (struct want){ 8, 9, 2, false, true });
	/* c.lwsp t6 and c.ldsp ra */
	expect_htinst(enc_i(OP_LOAD, 2, 31, 0, 0) & ~2u, enc_i(OP_LOAD, 2, 31, 0, 0),
		      (struct want){ 4, 31, 2, false, true });
	expect_htinst(enc_i(OP_LOAD, 3, 1, 0, 0) & ~2u, enc_i(OP_LOAD, 3, 1, 0, 0),
		      (struct want){ 8, 1, 2, false, true });
	/* c.sw a2, c.sd a4, c.swsp zero, c.sdsp t6; a misalignment offset of 2 */
	expect_htinst(enc_s(OP_STORE, 2, 2, 12, 0) & ~2u, enc_s(OP_STORE, 2, 2, 12, 0),
		      (struct want){ 4, 12, 2, true, false });
	expect_htinst(enc_s(OP_STORE, 3, 0, 14, 0) & ~2u, enc_s(OP_STORE, 3, 0, 14, 0),
		      (struct want){ 8, 14, 2, true, false });
	expect_htinst(enc_s(OP_STORE, 2, 0, 0, 0) & ~2u, enc_s(OP_STORE, 2, 0, 0, 0),
		      (struct want){ 4, 0, 2, true, false });
	expect_htinst(enc_s(OP_STORE, 3, 0, 31, 0) & ~2u, enc_s(OP_STORE, 3, 0, 31, 0),
		      (struct want){ 8, 31, 2, true, false });
}

static void test_htinst_rejected(void **state)
{
	static const u64 bad[] = {
		0x00002000, /* pseudo: 32-bit read, VS-stage walk */
		0x00003000, /* pseudo: 64-bit read */
		0x00002020, /* pseudo: 32-bit write */
		0x00003020, /* pseudo: 64-bit write */
		0x00052502, /* lw with bits 1:0 = 10: excluded by the spec */
		0x00052500, /* bits 1:0 = 00 */
		0x0000000100052503ULL, /* a lw in bits 31:0, but bits 63:32 not zero */
		0x8000000000002023ULL,
		0x00150513, /* addi: no transformation is defined */
		0x6805c573, /* hlv.w: not from a guest */
		0x00000073, /* ecall */
		0x0005250b, /* custom-0 */
		0x0005257b, /* custom-3 */
	};
	u32 insn;
	u8 len;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (decode_htinst(bad[i], &insn, &len))
			fail_msg("htinst %016llx accepted", (unsigned long long)bad[i]);
}

/* Transformed FP loads/stores and AMOs pass, and then decode as not ours. */
static void test_htinst_fp_amo(void **state)
{
	static const struct {
		u64 htinst;
		u8 len;
	} cases[] = {
		{ 0x00002507, 4 }, /* flw fa0 */
		{ 0x00003027, 4 }, /* fsd, rs2 = f0 */
		{ 0x00003505, 2 }, /* c.fld fa0: fld fa0,0(zero) is 0x00003507 */
		{ 0x00803025, 2 }, /* c.fsdsp fs0: fsd fs0,0(zero) is 0x00803027 */
		{ 0x00b0252f, 4 }, /* amoadd.w a0,a1 */
		{ 0x1000352f, 4 }, /* lr.d a0 */
	};
	u32 insn;
	u8 len;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (!decode_htinst(cases[i].htinst, &insn, &len))
			fail_msg("htinst %016llx rejected", (unsigned long long)cases[i].htinst);
		assert_int_equal(insn, (u32)cases[i].htinst | 2);
		assert_int_equal(len, cases[i].len);
		expect_status(insn, DECODE_NOT_LOADSTORE);
	}
}

/* ---------------------------------------------------------------- SYSTEM */

static void expect_sys(u32 insn, struct sys_insn w)
{
	struct sys_insn s;
	int rc;

	memset(&s, 0xa5, sizeof(s));
	rc = decode_system(insn, &s);
	if (rc != DECODE_OK)
		fail_msg("insn %08x: status %d, want DECODE_OK", insn, rc);
	if (s.op != w.op || s.csr != w.csr || s.rd != w.rd || s.rs1 != w.rs1 ||
	    s.rs2 != w.rs2 || s.imm != w.imm)
		fail_msg("insn %08x: op %d csr %#x rd %u rs1 %u rs2 %u imm %d, "
			 "want %d %#x %u %u %u %d",
			 insn, s.op, s.csr, s.rd, s.rs1, s.rs2, s.imm, w.op, w.csr, w.rd, w.rs1,
			 w.rs2, w.imm);
}

static void expect_sys_status(u32 insn, int want)
{
	struct sys_insn s;
	int rc = decode_system(insn, &s);

	if (rc != want)
		fail_msg("insn %08x: status %d, want %d", insn, rc, want);
}

static void test_sys_csr(void **state)
{
	static const struct {
		u32 funct3;
		enum sys_op op;
		bool imm;
	} kinds[] = {
		{ 1, SYS_CSRRW, false }, { 2, SYS_CSRRS, false }, { 3, SYS_CSRRC, false },
		{ 5, SYS_CSRRW, true },	 { 6, SYS_CSRRS, true },  { 7, SYS_CSRRC, true },
	};
	static const u32 csrs[] = { 0x000, 0x144, 0x180, 0x300, 0x304, 0x341, 0x3a0, 0xf14, 0xfff };
	static const u32 regs[] = { 0, 1, 5, 10, 31 };

	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++)
		for (size_t c = 0; c < ARRAY_SIZE(csrs); c++)
			for (size_t d = 0; d < ARRAY_SIZE(regs); d++)
				for (size_t s = 0; s < ARRAY_SIZE(regs); s++)
					expect_sys(enc_i(OP_SYSTEM, kinds[k].funct3, regs[d],
							 regs[s], (s32)csrs[c]),
						   (struct sys_insn){ kinds[k].op, csrs[c], regs[d],
								      regs[s], 0, kinds[k].imm });
}

static void test_sys_priv(void **state)
{
	expect_sys(0x30200073, (struct sys_insn){ .op = SYS_MRET });
	expect_sys(0x10200073, (struct sys_insn){ .op = SYS_SRET });
	expect_sys(0x10500073, (struct sys_insn){ .op = SYS_WFI });
	expect_sys(0x00000073, (struct sys_insn){ .op = SYS_ECALL });
	expect_sys(0x00100073, (struct sys_insn){ .op = SYS_EBREAK });
	for (u32 rs1 = 0; rs1 < 32; rs1++)
		for (u32 rs2 = 0; rs2 < 32; rs2++)
			expect_sys(enc_r(OP_SYSTEM, 0, 0x09, 0, rs1, rs2),
				   (struct sys_insn){ .op = SYS_SFENCE_VMA, .rs1 = rs1,
						      .rs2 = rs2 });
}

/* Literal encodings from riscv64-unknown-elf-as + objdump -d -M no-aliases. */
static void test_sys_assembler_crosscheck(void **state)
{
	static const struct {
		u32 hex;
		struct sys_insn w;
	} cases[] = {
		/* csrrw a0,mstatus,a1 */
		{ 0x30059573, { SYS_CSRRW, 0x300, 10, 11, 0, false } },
		/* csrrs zero,mie,t0 */
		{ 0x3042a073, { SYS_CSRRS, 0x304, 0, 5, 0, false } },
		/* csrrc ra,mepc,zero */
		{ 0x341030f3, { SYS_CSRRC, 0x341, 1, 0, 0, false } },
		/* csrr a0,mhartid */
		{ 0xf1402573, { SYS_CSRRS, 0xf14, 10, 0, 0, false } },
		/* csrrwi a0,mtvec,31 */
		{ 0x305fd573, { SYS_CSRRW, 0x305, 10, 31, 0, true } },
		/* csrrsi zero,mstatus,8 */
		{ 0x30046073, { SYS_CSRRS, 0x300, 0, 8, 0, true } },
		/* csrrci t3,sip,2 */
		{ 0x14417e73, { SYS_CSRRC, 0x144, 28, 2, 0, true } },
		/* sfence.vma */
		{ 0x12000073, { SYS_SFENCE_VMA, 0, 0, 0, 0, false } },
		/* sfence.vma a0 */
		{ 0x12050073, { SYS_SFENCE_VMA, 0, 0, 10, 0, false } },
		/* sfence.vma a0,a1 */
		{ 0x12b50073, { SYS_SFENCE_VMA, 0, 0, 10, 11, false } },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		expect_sys(cases[i].hex, cases[i].w);
	assert_int_equal(enc_i(OP_SYSTEM, 1, 10, 11, 0x300), 0x30059573);
	assert_int_equal(enc_r(OP_SYSTEM, 0, 0x09, 0, 10, 11), 0x12b50073);
}

static void test_sys_other(void **state)
{
	static const u32 other[] = {
		0x00150513, /* addi */
		0x00052503, /* lw */
		0x0000006f, /* j . */
		0x0000100f, /* fence.i */
		0x6805c573, /* hlv.w a0,(a1) */
		0x62000073, /* hfence.gvma */
		0x22000073, /* hfence.vvma */
		0x16b50073, /* sinval.vma a0,a1 */
		0x18000073, /* sfence.w.inval */
		0x18100073, /* sfence.inval.ir */
	};

	for (size_t i = 0; i < ARRAY_SIZE(other); i++)
		expect_sys_status(other[i], DECODE_OTHER);
}

static void test_sys_illegal(void **state)
{
	static const u32 bad[] = {
		0x302000f3, /* mret with rd = ra */
		0x30208073, /* mret with rs1 = ra */
		0x10500573, /* wfi with rd = a0 */
		0x10528073, /* wfi with rs1 = t0 */
		0x00008073, /* ecall with rs1 = ra */
		0x00000473, /* ecall with rd = s0 */
		0x00100573, /* ebreak with rd = a0 */
		0x12000573, /* sfence.vma with rd = a0 */
		0x00200073, /* uret: gone with the N extension */
		0x7b200073, /* dret: debug mode only */
		0x10300073, /* funct12 0x103: unassigned */
		0x30300073, /* funct12 0x303: unassigned */
		0xfff00073, /* funct12 0xfff */
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		expect_sys_status(bad[i], DECODE_ILLEGAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rv64i_loads),
		cmocka_unit_test(test_rv64i_stores),
		cmocka_unit_test(test_rv64i_reserved),
		cmocka_unit_test(test_c_lw_ld),
		cmocka_unit_test(test_c_sw_sd),
		cmocka_unit_test(test_c_lwsp_ldsp),
		cmocka_unit_test(test_c_swsp_sdsp),
		cmocka_unit_test(test_c_upper_half_ignored),
		cmocka_unit_test(test_c_reserved),
		cmocka_unit_test(test_not_loadstore),
		cmocka_unit_test(test_assembler_crosscheck),
		cmocka_unit_test(test_load_result),
		cmocka_unit_test(test_load_result_per_insn),
		cmocka_unit_test(test_htinst_32bit),
		cmocka_unit_test(test_htinst_compressed),
		cmocka_unit_test(test_htinst_rejected),
		cmocka_unit_test(test_htinst_fp_amo),
		cmocka_unit_test(test_sys_csr),
		cmocka_unit_test(test_sys_priv),
		cmocka_unit_test(test_sys_assembler_crosscheck),
		cmocka_unit_test(test_sys_other),
		cmocka_unit_test(test_sys_illegal),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
