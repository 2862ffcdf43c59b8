/*
 * loader_plan() on ELF images built here with the host's <elf.h> (an
 * independent check of loader.c's own struct layouts), and on raw binaries.
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "tests/unit/unit.h"

#include "kernel/loader.h"

#define RAM_BASE 0x80000000ULL
#define RAM_SIZE (128ULL << 20)
#define RAW_ADDR (RAM_BASE + (2 << 20))

struct seg_spec {
	u32 type;
	u64 paddr, filesz, memsz;
};

static u8 image[64 * 1024];

/* An ELF64 RISC-V executable: headers, then each segment's bytes (all = index + 1). */
static size_t elf_build(const struct seg_spec *segs, int n, u64 entry)
{
	Elf64_Ehdr eh = {0};
	u64 off = sizeof(Elf64_Ehdr) + n * sizeof(Elf64_Phdr);

	memset(image, 0, sizeof(image));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_RISCV;
	eh.e_version = EV_CURRENT;
	eh.e_entry = entry;
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = n;
	memcpy(image, &eh, sizeof(eh));
	for (int i = 0; i < n; i++) {
		Elf64_Phdr ph = {.p_type = segs[i].type,
				 .p_flags = PF_R,
				 .p_offset = off,
				 .p_vaddr = segs[i].paddr + 0xffffffff00000000ULL,
				 .p_paddr = segs[i].paddr,
				 .p_filesz = segs[i].filesz,
				 .p_memsz = segs[i].memsz,
				 .p_align = 0x1000};
		memcpy(image + sizeof(eh) + i * sizeof(ph), &ph, sizeof(ph));
		assert_true(off + segs[i].filesz <= sizeof(image));
		memset(image + off, i + 1, segs[i].filesz);
		off += segs[i].filesz;
	}
	return off;
}

static Elf64_Ehdr *ehdr(void)
{
	return (Elf64_Ehdr *)image;
}

static Elf64_Phdr *phdr(int i)
{
	return (Elf64_Phdr *)(image + sizeof(Elf64_Ehdr)) + i;
}

static const struct seg_spec xv6[] = {
	{PT_RISCV_ATTRIBUTES, 0, 0x30, 0},
	{PT_LOAD, 0x80000000, 0x1200, 0x1200},
	{PT_NOTE, 0x80002000, 0x10, 0x10},
	{PT_LOAD, 0x80002000, 0x40, 0x3000},
	{PT_LOAD, 0x80009000, 0, 0},
};

static void test_elf_plan(void **state)
{
	struct load_plan plan;
	char err[160] = "";
	size_t size = elf_build(xv6, 5, 0x80000000);
	u64 data1 = sizeof(Elf64_Ehdr) + 5 * sizeof(Elf64_Phdr) + 0x30;

	assert_int_equal(loader_plan(image, size, RAW_ADDR, RAM_BASE, RAM_SIZE, &plan, err,
				     sizeof(err)),
			 0);
	assert_true(plan.is_elf);
	assert_int_equal(plan.entry, 0x80000000);
	/* PT_RISCV_ATTRIBUTES, PT_NOTE and the empty PT_LOAD load nothing. */
	assert_int_equal(plan.nsegs, 2);
	assert_int_equal(plan.segs[0].gpa, 0x80000000);
	assert_ptr_equal(plan.segs[0].data, image + data1);
	assert_int_equal(plan.segs[0].filesz, 0x1200);
	assert_int_equal(plan.segs[0].memsz, 0x1200);
	assert_int_equal(((const u8 *)plan.segs[0].data)[0], 2);
	assert_int_equal(plan.segs[1].gpa, 0x80002000);
	assert_ptr_equal(plan.segs[1].data, image + data1 + 0x1200 + 0x10);
	assert_int_equal(((const u8 *)plan.segs[1].data)[0x3f], 4);
	assert_int_equal(plan.segs[1].filesz, 0x40);
	/* .bss: memsz - filesz bytes the caller zeroes. */
	assert_int_equal(plan.segs[1].memsz - plan.segs[1].filesz, 0x3000 - 0x40);
}

/* A segment that ends exactly at the end of RAM fits; an entry on its last byte too. */
static void test_elf_at_ram_end(void **state)
{
	static const struct seg_spec top[] = {{PT_LOAD, RAM_BASE + RAM_SIZE - 0x2000, 0x100, 0x2000}};
	struct load_plan plan;
	char err[160] = "";
	size_t size = elf_build(top, 1, RAM_BASE + RAM_SIZE - 1);

	assert_int_equal(loader_plan(image, size, RAW_ADDR, RAM_BASE, RAM_SIZE, &plan, err,
				     sizeof(err)),
			 0);
	assert_int_equal(plan.segs[0].gpa + plan.segs[0].memsz, RAM_BASE + RAM_SIZE);
	assert_int_equal(plan.entry, RAM_BASE + RAM_SIZE - 1);
}

/* loader_plan(image[0..size)) must fail with `want` in the message. */
static void expect_error(size_t size, u64 ram_base, u64 ram_size, const char *want)
{
	struct load_plan plan;
	char err[160] = "";

	assert_true(loader_plan(image, size, RAW_ADDR, ram_base, ram_size, &plan, err, sizeof(err)) <
		    0);
	if (!strstr(err, want))
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void test_elf_header_errors(void **state)
{
	size_t size = elf_build(xv6, 5, 0x80000000);

	expect_error(63, RAM_BASE, RAM_SIZE, "ELF: truncated header (63 bytes)");
	expect_error(sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr), RAM_BASE, RAM_SIZE,
		     "ELF: truncated program headers");

	ehdr()->e_machine = EM_X86_64;
	expect_error(size, RAM_BASE, RAM_SIZE, "ELF: machine 62, not RISC-V (243)");

	elf_build(xv6, 5, 0x80000000);
	ehdr()->e_ident[EI_CLASS] = ELFCLASS32;
	expect_error(size, RAM_BASE, RAM_SIZE, "ELF: class 1, only 64-bit");
	/* Even when the file is shorter than an ELF64 header. */
	expect_error(52, RAM_BASE, RAM_SIZE, "ELF: class 1");

	elf_build(xv6, 5, 0x80000000);
	ehdr()->e_ident[EI_DATA] = ELFDATA2MSB;
	expect_error(size, RAM_BASE, RAM_SIZE, "ELF: not little-endian");

	elf_build(xv6, 5, 0x80000000);
	ehdr()->e_type = ET_DYN;
	expect_error(size, RAM_BASE, RAM_SIZE, "ELF: type 3, not an executable");

	elf_build(xv6, 5, 0x80000000);
	ehdr()->e_phentsize = 32;
	expect_error(size, RAM_BASE, RAM_SIZE, "ELF: program header size 32, expected 56");

	elf_build(xv6, 5, 0x80000000);
	ehdr()->e_phoff = 0xfffffffffffffff0ULL;
	expect_error(size, RAM_BASE, RAM_SIZE, "ELF: truncated program headers");

	elf_build(xv6, 5, 0x7fffffff);
	expect_error(size, RAM_BASE, RAM_SIZE, "ELF: entry 0x7fffffff outside guest RAM");

	size = elf_build(xv6, 1, 0x80000000);
	expect_error(size, RAM_BASE, RAM_SIZE, "ELF: no loadable segment");
}

static void test_elf_segment_errors(void **state)
{
	size_t size = elf_build(xv6, 5, 0x80000000);

	/* The file ends one byte before the last segment's data. */
	expect_error(size - 1, RAM_BASE, RAM_SIZE, "ELF: segment 3: bytes");

	phdr(1)->p_offset = 0xffffffffffffff00ULL; /* offset + filesz wraps to a small number */
	expect_error(size, RAM_BASE, RAM_SIZE, "ELF: segment 1: bytes 0xffffffffffffff00 + 0x1200 beyond");

	elf_build(xv6, 5, 0x80000000);
	phdr(3)->p_filesz = 0x3001;
	expect_error(size, RAM_BASE, RAM_SIZE, "ELF: segment 3: filesz 0x3001 > memsz 0x3000");

	elf_build(xv6, 5, 0x80000000);
	phdr(1)->p_paddr = RAM_BASE - 0x1000;
	expect_error(size, RAM_BASE, RAM_SIZE, "ELF: segment 1: 0x7ffff000 + 0x1200 outside guest RAM");

	elf_build(xv6, 5, 0x80000000);
	phdr(3)->p_paddr = RAM_BASE + RAM_SIZE - 0x2000; /* memsz 0x3000: one page too far */
	expect_error(size, RAM_BASE, RAM_SIZE, "ELF: segment 3: 0x87ffe000 + 0x3000 outside");

	/* RAM at the very top: paddr + memsz wraps past 2^64, a naive end check would pass. */
	elf_build(xv6, 5, 0xffffffffffe00000ULL);
	phdr(1)->p_paddr = 0xffffffffffeff000ULL;
	phdr(1)->p_memsz = 0x200000;
	phdr(1)->p_filesz = 0x1200;
	phdr(3)->p_paddr = 0xffffffffffe00000ULL;
	expect_error(size, 0xffffffffffe00000ULL, 0x200000, "ELF: segment 1: 0xffffffffffeff000");
}

static void test_elf_segment_count(void **state)
{
	struct seg_spec segs[LOADER_MAX_SEGS + 1];
	struct load_plan plan;
	char err[160] = "";
	size_t size;

	for (int i = 0; i <= LOADER_MAX_SEGS; i++)
		segs[i] = (struct seg_spec){PT_LOAD, RAM_BASE + i * 0x1000, 0x10, 0x1000};
	size = elf_build(segs, LOADER_MAX_SEGS, RAM_BASE);
	assert_int_equal(loader_plan(image, size, RAW_ADDR, RAM_BASE, RAM_SIZE, &plan, err,
				     sizeof(err)),
			 0);
	assert_int_equal(plan.nsegs, LOADER_MAX_SEGS);
	assert_int_equal(plan.segs[LOADER_MAX_SEGS - 1].gpa, RAM_BASE + 0xf000);

	size = elf_build(segs, LOADER_MAX_SEGS + 1, RAM_BASE);
	expect_error(size, RAM_BASE, RAM_SIZE, "ELF: more than 16 loadable segments");
}

static void test_raw(void **state)
{
	struct load_plan plan;
	char err[160] = "";

	memset(image, 0x13, 4096); /* "addi x0,x0,0" words: no ELF magic */
	assert_int_equal(loader_plan(image, 4096, RAW_ADDR, RAM_BASE, RAM_SIZE, &plan, err,
				     sizeof(err)),
			 0);
	assert_false(plan.is_elf);
	assert_int_equal(plan.entry, RAW_ADDR);
	assert_int_equal(plan.nsegs, 1);
	assert_int_equal(plan.segs[0].gpa, RAW_ADDR);
	assert_ptr_equal(plan.segs[0].data, image);
	assert_int_equal(plan.segs[0].filesz, 4096);
	assert_int_equal(plan.segs[0].memsz, 4096);

	/* Exactly up to the end of RAM. */
	assert_int_equal(loader_plan(image, 4096, RAM_BASE + RAM_SIZE - 4096, RAM_BASE, RAM_SIZE,
				     &plan, err, sizeof(err)),
			 0);
	/* Something that only starts like an ELF is raw. */
	memcpy(image, "\x7f" "EL!", 4);
	assert_int_equal(loader_plan(image, 3, RAW_ADDR, RAM_BASE, RAM_SIZE, &plan, err, sizeof(err)),
			 0);
	assert_false(plan.is_elf);
	assert_int_equal(plan.segs[0].filesz, 3);
}

static void test_raw_errors(void **state)
{
	struct load_plan plan;
	char err[160] = "";

	memset(image, 0x13, 8192);
	assert_true(loader_plan(image, 4097, RAM_BASE + RAM_SIZE - 4096, RAM_BASE, RAM_SIZE, &plan,
				err, sizeof(err)) < 0);
	assert_string_equal(err, "raw image: 0x1001 bytes at 0x87fff000 do not fit guest RAM "
				 "0x80000000 + 0x8000000");
	assert_true(loader_plan(image, 16, RAM_BASE - 8, RAM_BASE, RAM_SIZE, &plan, err, sizeof(err)) <
		    0);
	assert_non_null(strstr(err, "do not fit"));
	assert_true(loader_plan(image, 0x10, 0xfffffffffffffff8ULL, RAM_BASE, RAM_SIZE, &plan, err,
				sizeof(err)) < 0);
	assert_non_null(strstr(err, "do not fit"));
	assert_true(loader_plan(image, 0, RAW_ADDR, RAM_BASE, RAM_SIZE, &plan, err, sizeof(err)) < 0);
	assert_string_equal(err, "image: empty");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_plan),
		cmocka_unit_test(test_elf_at_ram_end),
		cmocka_unit_test(test_elf_header_errors),
		cmocka_unit_test(test_elf_segment_errors),
		cmocka_unit_test(test_elf_segment_count),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_raw_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
