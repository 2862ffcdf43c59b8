/*
 * Decoding of the guest instruction behind an MMIO exit.
 *
 * A guest load or store to an unmapped device page traps with the faulting
 * address but not the data or register involved; those come from the
 * instruction itself, taken from htinst (transformed, see the privileged spec,
 * "Transformed Instruction or Pseudoinstruction for mtinst or htinst") or
 * fetched from guest memory with HLVX.  It is decoded once into a struct
 * mmio_access that every device model receives.  Pure C: unit-tested on the host.
 */
#ifndef RVHV_DECODE_H
#define RVHV_DECODE_H

#include "kernel/types.h"

struct mmio_access {
	u64 addr;  /* guest-physical address of the access */
	u64 value; /* store: data to write; load: raw data read (width bytes) */
	union {
		struct {
			u8 width;      /* 1, 2, 4 or 8 bytes */
			u8 reg;        /* x0..x31: load destination or store source */
			u8 insn_len;   /* 2 or 4: how far the guest pc advances */
			bool write;    /* store */
			bool sign_ext; /* load whose result is sign-extended to 64 bits */
		};
		u64 how; /* the decoded fields as one word, as kernel/vcpu.c caches them */
	};
};

enum decode_status {
	DECODE_OK = 0,
	DECODE_NOT_LOADSTORE = -1, /* a valid instruction, but no integer load/store (AMO, FP, ...) */
	DECODE_ILLEGAL = -2,       /* reserved or malformed encoding */
	/* decode_system: another opcode, or a SYSTEM one it does not emulate (HLV...) */
	DECODE_OTHER = DECODE_NOT_LOADSTORE,
};

/*
 * Decode a RV64 or RV64C integer load/store. `insn` holds the instruction
 * bits: a 32-bit instruction when (insn & 3) == 3, otherwise a 16-bit
 * compressed one in the low half.  Fills width, reg, insn_len, write and
 * sign_ext (not addr or value).
 */
int decode_loadstore(u32 insn, struct mmio_access *acc);

/*
 * Turn a non-zero htinst value into instruction bits for decode_loadstore.
 * A transformed instruction with bit 1 clear stands for a compressed
 * original: its 32-bit equivalent is returned with *len = 2.  Returns false
 * for a pseudoinstruction or anything that is not a transformed load/store.
 * decode_loadstore() sees a 32-bit instruction either way, so the caller
 * must copy *len into acc->insn_len afterwards.  Transformed FP loads/stores
 * and AMOs are accepted (decode_loadstore then says DECODE_NOT_LOADSTORE);
 * on false, fetch the instruction from the guest instead.
 */
bool decode_htinst(u64 htinst, u32 *insn, u8 *len);

/* The 64-bit register value a load of `width` bytes yields for raw data
 * `raw`: its low width bytes, moved to the top and back, arithmetically
 * for a sign-extending load.  Inline: every emulated load ends here. */
static inline u64 decode_load_result(const struct mmio_access *acc, u64 raw)
{
	unsigned int shift = 64 - 8 * acc->width;
	u64 top = raw << shift;
	return acc->sign_ext ? (u64)((s64)top >> shift) : top >> shift;
}

/*
 * SYSTEM-opcode instructions a virtual M-mode emulates: M-level CSR
 * accesses, xRET, WFI, SFENCE.VMA, ECALL, EBREAK (unprivileged spec,
 * "Zicsr"; privileged spec, "Machine-Mode Privileged Instructions").
 */
enum sys_op {
	SYS_CSRRW,
	SYS_CSRRS,
	SYS_CSRRC,
	SYS_MRET,
	SYS_SRET,
	SYS_WFI,
	SYS_SFENCE_VMA,
	SYS_ECALL,
	SYS_EBREAK,
};

struct sys_insn {
	enum sys_op op;
	u16 csr;  /* CSR?: the CSR number */
	u8 rd;    /* CSR?: destination register */
	u8 rs1;   /* CSR?: source register, or the 5-bit zimm when imm; SFENCE.VMA: vaddr */
	u8 rs2;   /* SFENCE.VMA: asid register */
	bool imm; /* CSRR?I */
};

/*
 * Decode a 32-bit SYSTEM instruction.  Fields an op does not use are zero.
 * Returns DECODE_OK, DECODE_OTHER for any other opcode or a valid SYSTEM
 * instruction not listed in enum sys_op, DECODE_ILLEGAL for a reserved one.
 */
int decode_system(u32 insn, struct sys_insn *out);

#endif
