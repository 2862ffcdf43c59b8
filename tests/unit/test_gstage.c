/* The G-stage mapper, walked back with gstage_translate and by hand. */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/unit.h"

#include "arch/riscv/gstage.h"

#define MAX_PAGES 64
static void *pages[MAX_PAGES];
static int npages, fail_after = -1;

static void *test_alloc(void)
{
	if (npages == MAX_PAGES || fail_after == 0)
		return NULL;
	if (fail_after > 0)
		fail_after--;
	void *p = aligned_alloc(4096, 4096);
	memset(p, 0, 4096);
	pages[npages++] = p;
	return p;
}

static struct gstage gs;

static int setup(void **state)
{
	npages = 0;
	fail_after = -1;
	memset(&gs, 0, sizeof(gs));
	gs.root = aligned_alloc(GSTAGE_ROOT_SIZE, GSTAGE_ROOT_SIZE);
	memset(gs.root, 0, GSTAGE_ROOT_SIZE);
	gs.alloc = test_alloc;
	return 0;
}

static int teardown(void **state)
{
	for (int i = 0; i < npages; i++)
		free(pages[i]);
	free(gs.root);
	return 0;
}

static void test_ram_uses_2m_leaves(void **state)
{
	assert_int_equal(gstage_map(&gs, 0x80000000, 0x90000000, 64 << 20, GSTAGE_RWX), 0);
	assert_int_equal(gs.leaves_2m, 32);
	assert_int_equal(gs.leaves_4k, 0);
	assert_int_equal(npages, 1); /* one level-1 table covers 1 GiB */
	u32 perm = 0;
	assert_int_equal(gstage_translate(&gs, 0x80000000, &perm), 0x90000000);
	assert_int_equal(perm, GSTAGE_RWX);
	assert_int_equal(gstage_translate(&gs, 0x83ffffff, NULL), 0x93ffffff);
	assert_int_equal(gstage_translate(&gs, 0x80123456, NULL), 0x90123456);
	assert_int_equal(gstage_translate(&gs, 0x84000000, NULL), ~0ULL);
	assert_int_equal(gstage_translate(&gs, 0x7ffff000, NULL), ~0ULL);
}

static void test_unaligned_uses_4k_leaves(void **state)
{
	/* hpa is only 4 KiB aligned: no 2 MiB leaf may be used */
	assert_int_equal(gstage_map(&gs, 0x80000000, 0x90001000, 4 << 20, GSTAGE_RWX), 0);
	assert_int_equal(gs.leaves_2m, 0);
	assert_int_equal(gs.leaves_4k, 1024);
	assert_int_equal(gstage_translate(&gs, 0x80000000, NULL), 0x90001000);
	assert_int_equal(gstage_translate(&gs, 0x803ff004, NULL), 0x903ff004 + 0x1000);
}

static void test_mixed_head_and_tail(void **state)
{
	/* 4K head up to the 2 MiB boundary, 2M leaves, 4K tail */
	u64 gpa = 0x801ff000, size = 0x1000 + (4 << 20) + 0x3000;
	assert_int_equal(gstage_map(&gs, gpa, 0xa01ff000, size, GSTAGE_R | GSTAGE_W), 0);
	assert_int_equal(gs.leaves_4k, 4);
	assert_int_equal(gs.leaves_2m, 2);
	u32 perm;
	for (u64 off = 0; off < size; off += 0x1000) {
		assert_int_equal(gstage_translate(&gs, gpa + off, &perm), 0xa01ff000 + off);
		assert_int_equal(perm, GSTAGE_R | GSTAGE_W);
	}
	assert_int_equal(gstage_translate(&gs, gpa + size, NULL), ~0ULL);
	assert_int_equal(gstage_translate(&gs, gpa - 0x1000, NULL), ~0ULL);
}

static void test_pte_bits(void **state)
{
	assert_int_equal(gstage_map(&gs, 0x1000, 0x5000, 0x1000, GSTAGE_R), 0);
	/* walk by hand: root index 0, level 1 index 0, level 0 index 1 */
	u64 root_pte = gs.root[0];
	assert_true(root_pte & 1);
	assert_int_equal(root_pte & 0xe, 0); /* pointer, not leaf */
	u64 *l1 = (u64 *)((root_pte >> 10) << 12);
	u64 *l0 = (u64 *)((l1[0] >> 10) << 12);
	u64 leaf = l0[1];
	/* V R U A D set (U is mandatory for G-stage leaves), W X clear */
	assert_int_equal(leaf & 0xff, 0x1 | 0x2 | 0x10 | 0x40 | 0x80);
	assert_int_equal(leaf >> 10, 0x5);
}

static void test_root_index_uses_41_bits(void **state)
{
	/* GPA bit 40 selects the upper half of the 2048-entry root */
	u64 gpa = 1ULL << 40;
	assert_int_equal(gstage_map(&gs, gpa, 0x80000000, 2 << 20, GSTAGE_RWX), 0);
	assert_true(gs.root[1024] & 1);
	assert_int_equal(gstage_translate(&gs, gpa + 0x1234, NULL), 0x80001234);
	assert_int_equal(gstage_translate(&gs, 0x1234, NULL), ~0ULL);
}

static void test_rejects_bad_arguments(void **state)
{
	assert_int_equal(gstage_map(&gs, 0x80000800, 0x90000000, 0x1000, GSTAGE_RWX), -1);
	assert_int_equal(gstage_map(&gs, 0x80000000, 0x90000800, 0x1000, GSTAGE_RWX), -1);
	assert_int_equal(gstage_map(&gs, 0x80000000, 0x90000000, 0x800, GSTAGE_RWX), -1);
	assert_int_equal(gstage_map(&gs, 0x80000000, 0x90000000, 0, GSTAGE_RWX), -1);
	assert_int_equal(gstage_map(&gs, 0x80000000, 0x90000000, 0x1000, 0), -1);
	assert_int_equal(gstage_map(&gs, (1ULL << 41) - 0x1000, 0x90000000, 0x2000, GSTAGE_RWX), -1);
	assert_int_equal(gstage_map(&gs, ~0xfffULL, 0, 0x2000, GSTAGE_RWX), -1);
	assert_int_equal(gstage_translate(&gs, 1ULL << 41, NULL), ~0ULL);
	assert_int_equal(npages, 0);
}

static void test_rejects_remap(void **state)
{
	assert_int_equal(gstage_map(&gs, 0x80000000, 0x90000000, 2 << 20, GSTAGE_RWX), 0);
	/* the same 2 MiB again, and a 4K page inside the 2M leaf */
	assert_int_equal(gstage_map(&gs, 0x80000000, 0xa0000000, 2 << 20, GSTAGE_RWX), -1);
	assert_int_equal(gstage_map(&gs, 0x80001000, 0xa0000000, 0x1000, GSTAGE_RWX), -1);
	assert_int_equal(gstage_map(&gs, 0x80200000, 0xa0000000, 0x1000, GSTAGE_RWX), 0);
	assert_int_equal(gstage_map(&gs, 0x80200000, 0xa0000000, 0x1000, GSTAGE_RWX), -1);
	assert_int_equal(gstage_translate(&gs, 0x80001000, NULL), 0x90001000);
}

static void test_set_valid(void **state)
{
	/* 2 MiB + 8 KiB: one 2M leaf and two 4K leaves */
	assert_int_equal(gstage_map(&gs, 0x80000000, 0x90000000, 0x202000, GSTAGE_RWX), 0);
	assert_int_equal(gstage_set_valid(&gs, 0x80000000, 0x202000, false), 0);
	assert_int_equal(gstage_translate(&gs, 0x80001000, NULL), ~0ULL);
	assert_int_equal(gstage_translate(&gs, 0x80201000, NULL), ~0ULL);
	/* an invalid leaf is still taken: no remapping over it */
	assert_int_equal(gstage_map(&gs, 0x80000000, 0xa0000000, 2 << 20, GSTAGE_RWX), -1);
	assert_int_equal(gstage_map(&gs, 0x80201000, 0xa0000000, 0x1000, GSTAGE_RWX), -1);
	/* back one leaf at a time, with its address and permissions */
	assert_int_equal(gstage_set_valid(&gs, 0x80201000, 0x1000, true), 0);
	u32 perm = 0;
	assert_int_equal(gstage_translate(&gs, 0x80201008, &perm), 0x90201008);
	assert_int_equal(perm, GSTAGE_RWX);
	assert_int_equal(gstage_translate(&gs, 0x80200000, NULL), ~0ULL);
	assert_int_equal(gstage_set_valid(&gs, 0x80000000, 2 << 20, true), 0);
	assert_int_equal(gstage_translate(&gs, 0x801ff000, NULL), 0x901ff000);
	/* part of a 2M leaf, nothing mapped, misaligned */
	assert_int_equal(gstage_set_valid(&gs, 0x80000000, 0x1000, false), -1);
	assert_int_equal(gstage_set_valid(&gs, 0x80400000, 0x1000, false), -1);
	assert_int_equal(gstage_set_valid(&gs, 0x80000800, 0x1000, false), -1);
}

static void test_allocation_failure(void **state)
{
	fail_after = 1; /* the level-1 table, then nothing */
	assert_int_equal(gstage_map(&gs, 0x80000000, 0x90001000, 0x2000, GSTAGE_RWX), -2);
}

static void test_hgatp(void **state)
{
	u64 h = gstage_hgatp(&gs, 5);
	assert_int_equal(h >> 60, 8); /* Sv39x4 */
	assert_int_equal((h >> 44) & 0x3fff, 5);
	assert_int_equal((h & ((1ULL << 44) - 1)) << 12, (u64)(uintptr_t)gs.root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ram_uses_2m_leaves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unaligned_uses_4k_leaves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mixed_head_and_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pte_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_index_uses_41_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_remap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allocation_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hgatp, setup, teardown),
	};
	return cmocka_run_group_tests_name("gstage", tests, NULL, NULL);
}
