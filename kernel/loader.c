/*
 * Guest image loading plan.  An image that starts with the ELF magic must be a
 * valid ELF64 little-endian RISC-V executable (a broken ELF is an error, not a
 * raw binary); anything else is a raw binary.  Every offset and address from
 * the image is checked with overflow-safe arithmetic: config images are input.
 */
#include "kernel/lib.h"
#include "kernel/loader.h"

/* The few ELF64 definitions needed (System V gABI, "ELF header", "Program header"). */
#define EI_NIDENT 16
#define EI_CLASS 4
#define EI_DATA 5
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define EM_RISCV 243
#define PT_LOAD 1

struct elf64_ehdr {
	u8 e_ident[EI_NIDENT];
	u16 e_type;
	u16 e_machine;
	u32 e_version;
	u64 e_entry;
	u64 e_phoff;
	u64 e_shoff;
	u32 e_flags;
	u16 e_ehsize;
	u16 e_phentsize;
	u16 e_phnum;
	u16 e_shentsize;
	u16 e_shnum;
	u16 e_shstrndx;
};

struct elf64_phdr {
	u32 p_type;
	u32 p_flags;
	u64 p_offset;
	u64 p_vaddr;
	u64 p_paddr;
	u64 p_filesz;
	u64 p_memsz;
	u64 p_align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header layout");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header layout");

/* [addr, addr+len) inside [base, base+size)?  Written so that nothing can wrap. */
static bool inside(u64 addr, u64 len, u64 base, u64 size)
{
	return addr >= base && addr - base <= size && len <= size - (addr - base);
}

static int check_ehdr(const struct elf64_ehdr *eh, u64 size, char *err, size_t errlen)
{
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return errorf(err, errlen, "ELF: not little-endian");
	if (eh->e_machine != EM_RISCV)
		return errorf(err, errlen, "ELF: machine %u, not RISC-V (%d)", eh->e_machine, EM_RISCV);
	if (eh->e_type != ET_EXEC)
		return errorf(err, errlen, "ELF: type %u, not an executable (ET_EXEC)", eh->e_type);
	if (eh->e_phentsize != sizeof(struct elf64_phdr))
		return errorf(err, errlen, "ELF: program header size %u, expected %zu",
			    eh->e_phentsize, sizeof(struct elf64_phdr));
	if (!inside(eh->e_phoff, (u64)eh->e_phnum * sizeof(struct elf64_phdr), 0, size))
		return errorf(err, errlen, "ELF: truncated program headers (%u at 0x%lx, image %lu bytes)",
			    eh->e_phnum, eh->e_phoff, size);
	return 0;
}

static int check_phdr(const struct elf64_phdr *ph, int i, u64 size, u64 ram_base, u64 ram_size,
		      char *err, size_t errlen)
{
	if (ph->p_filesz > ph->p_memsz)
		return errorf(err, errlen, "ELF: segment %d: filesz 0x%lx > memsz 0x%lx", i,
			    ph->p_filesz, ph->p_memsz);
	if (!inside(ph->p_offset, ph->p_filesz, 0, size))
		return errorf(err, errlen,
			    "ELF: segment %d: bytes 0x%lx + 0x%lx beyond the image (%lu bytes)", i,
			    ph->p_offset, ph->p_filesz, size);
	if (!inside(ph->p_paddr, ph->p_memsz, ram_base, ram_size))
		return errorf(err, errlen,
			    "ELF: segment %d: 0x%lx + 0x%lx outside guest RAM 0x%lx + 0x%lx", i,
			    ph->p_paddr, ph->p_memsz, ram_base, ram_size);
	return 0;
}

static int plan_elf(const u8 *image, u64 size, u64 ram_base, u64 ram_size, struct load_plan *plan,
		    char *err, size_t errlen)
{
	struct elf64_ehdr eh;
	int rc;

	/* The class first: a small ELF32 file is 32-bit rather than truncated. */
	if (size > EI_CLASS && image[EI_CLASS] != ELFCLASS64)
		return errorf(err, errlen, "ELF: class %u, only 64-bit ELF is loaded", image[EI_CLASS]);
	if (size < sizeof(eh))
		return errorf(err, errlen, "ELF: truncated header (%lu bytes)", size);
	/* memcpy: the blob gives the image no particular alignment. */
	memcpy(&eh, image, sizeof(eh));
	rc = check_ehdr(&eh, size, err, errlen);
	if (rc)
		return rc;
	for (int i = 0; i < eh.e_phnum; i++) {
		struct elf64_phdr ph;
		memcpy(&ph, image + eh.e_phoff + (u64)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		rc = check_phdr(&ph, i, size, ram_base, ram_size, err, errlen);
		if (rc)
			return rc;
		if (plan->nsegs == LOADER_MAX_SEGS)
			return errorf(err, errlen, "ELF: more than %d loadable segments", LOADER_MAX_SEGS);
		struct load_seg *seg = &plan->segs[plan->nsegs++];
		seg->gpa = ph.p_paddr;
		seg->data = image + ph.p_offset;
		seg->filesz = ph.p_filesz;
		seg->memsz = ph.p_memsz;
	}
	if (plan->nsegs == 0)
		return errorf(err, errlen, "ELF: no loadable segment");
	if (!inside(eh.e_entry, 1, ram_base, ram_size))
		return errorf(err, errlen, "ELF: entry 0x%lx outside guest RAM", eh.e_entry);
	plan->entry = eh.e_entry;
	plan->is_elf = true;
	return 0;
}

static int plan_raw(const u8 *image, u64 size, u64 addr, u64 ram_base, u64 ram_size,
		    struct load_plan *plan, char *err, size_t errlen)
{
	if (size == 0)
		return errorf(err, errlen, "image: empty");
	if (!inside(addr, size, ram_base, ram_size))
		return errorf(err, errlen,
			    "raw image: 0x%lx bytes at 0x%lx do not fit guest RAM 0x%lx + 0x%lx", size,
			    addr, ram_base, ram_size);
	plan->entry = addr;
	plan->nsegs = 1;
	plan->segs[0].gpa = addr;
	plan->segs[0].data = image;
	plan->segs[0].filesz = size;
	plan->segs[0].memsz = size;
	return 0;
}

int loader_plan(const void *image, u64 size, u64 raw_addr, u64 ram_base, u64 ram_size,
		struct load_plan *plan, char *err, size_t errlen)
{
	static const u8 magic[4] = {0x7f, 'E', 'L', 'F'};

	memset(plan, 0, sizeof(*plan));
	if (size >= sizeof(magic) && !memcmp(image, magic, sizeof(magic)))
		return plan_elf(image, size, ram_base, ram_size, plan, err, errlen);
	return plan_raw(image, size, raw_addr, ram_base, ram_size, plan, err, errlen);
}
