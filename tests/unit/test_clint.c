/*
 * Host unit tests for vdev/clint.c: mtime from a fake clock, mtimecmp
 * against it (MTIP and the armed deadline), msip, access widths and the
 * harts that do not exist.
 */
#include "tests/unit/unit.h"

#include <string.h>

#include "vdev/clint.h"

#define NHARTS 3
#define MTIMECMP(h) (CLINT_MTIMECMP + 8 * (h))
#define MSIP(h) (CLINT_MSIP + 4 * (h))
#define NEVER (~0ull)

static struct clint c;

/* The fake clock and what the callbacks were told, per hart. */
static struct {
	u64 now;
	bool mtip[CLINT_MAX_HARTS], msip[CLINT_MAX_HARTS];
	u64 deadline[CLINT_MAX_HARTS];
	int mtip_calls, msip_calls, arm_calls;
} rec;

static u64 fake_now(void *ctx)
{
	assert_ptr_equal(ctx, &rec);
	return rec.now;
}

static void fake_set_mtip(void *ctx, int hart, bool level)
{
	assert_ptr_equal(ctx, &rec);
	assert_in_range(hart, 0, NHARTS - 1);
	rec.mtip[hart] = level;
	rec.mtip_calls++;
}

static void fake_set_msip(void *ctx, int hart, bool level)
{
	assert_ptr_equal(ctx, &rec);
	assert_in_range(hart, 0, NHARTS - 1);
	rec.msip[hart] = level;
	rec.msip_calls++;
}

static void fake_arm(void *ctx, int hart, u64 deadline)
{
	assert_ptr_equal(ctx, &rec);
	assert_in_range(hart, 0, NHARTS - 1);
	rec.deadline[hart] = deadline;
	rec.arm_calls++;
}

static int setup(void **state)
{
	memset(&rec, 0, sizeof(rec));
	clint_init(&c, NHARTS, &rec);
	c.now = fake_now;
	c.set_mtip = fake_set_mtip;
	c.set_msip = fake_set_msip;
	c.arm = fake_arm;
	return 0;
}

static int access(u64 off, u8 width, bool write, u64 *value)
{
	/* A load starts from garbage so that "reads 0" is really written. */
	struct mmio_access a = {
		.width = width, .write = write, .value = write ? *value : 0xdeadbeefdeadbeefull};
	int ret = clint_access(&c, off, &a);

	*value = a.value;
	return ret;
}

static u64 rd(u64 off, u8 width)
{
	u64 v;

	assert_int_equal(access(off, width, false, &v), 0);
	return v;
}

static void wr(u64 off, u8 width, u64 val)
{
	assert_int_equal(access(off, width, true, &val), 0);
}

static void test_reset_state(void **state)
{
	struct clint big;

	assert_int_equal(c.nharts, NHARTS);
	for (int h = 0; h < NHARTS; h++) {
		assert_int_equal(rd(MTIMECMP(h), 8), NEVER);
		assert_int_equal(rd(MSIP(h), 4), 0);
	}
	assert_int_equal(rec.mtip_calls + rec.msip_calls + rec.arm_calls, 0);

	clint_init(&big, 100, &rec);
	assert_int_equal(big.nharts, CLINT_MAX_HARTS);
	assert_null(big.now);
}

static void test_mtime_read(void **state)
{
	rec.now = 0x1122334455667788ull;
	/* xv6: ld from 0x0200bff8. */
	assert_int_equal(rd(CLINT_MTIME, 8), 0x1122334455667788ull);
	assert_int_equal(rd(CLINT_MTIME, 4), 0x55667788);
	assert_int_equal(rd(CLINT_MTIME + 4, 4), 0x11223344);
	rec.now = 0xffffffff00000001ull;
	assert_int_equal(rd(CLINT_MTIME, 4), 1);
	assert_int_equal(rd(CLINT_MTIME + 4, 4), 0xffffffff);
}

static void test_mtime_write_ignored(void **state)
{
	rec.now = 1000;
	wr(CLINT_MTIME, 8, 5);
	wr(CLINT_MTIME, 4, 5);
	wr(CLINT_MTIME + 4, 4, 5);
	assert_int_equal(rd(CLINT_MTIME, 8), 1000);
	assert_int_equal(rec.mtip_calls + rec.arm_calls, 0);
}

static void test_mtimecmp_past(void **state)
{
	rec.now = 5000;
	rec.deadline[1] = 42;
	wr(MTIMECMP(1), 8, 4999);
	assert_true(rec.mtip[1]);
	assert_int_equal(rec.arm_calls, 0);
	assert_int_equal(rec.deadline[1], 42);
	assert_int_equal(rd(MTIMECMP(1), 8), 4999);

	/* mtime == mtimecmp is already pending ("greater than or equal"). */
	rec.mtip[1] = false;
	wr(MTIMECMP(1), 8, 5000);
	assert_true(rec.mtip[1]);
	assert_int_equal(rec.arm_calls, 0);
}

static void test_mtimecmp_future(void **state)
{
	rec.now = 5000;
	wr(MTIMECMP(0), 8, 4000);
	assert_true(rec.mtip[0]);

	/* xv6's timervec: load mtimecmp, add the interval, store it back. */
	wr(MTIMECMP(0), 8, rd(MTIMECMP(0), 8) + 1000000);
	assert_false(rec.mtip[0]);
	assert_int_equal(rec.arm_calls, 1);
	assert_int_equal(rec.deadline[0], 1004000);
	assert_int_equal(rd(MTIMECMP(0), 8), 1004000);
	/* Only hart 0 moved. */
	assert_int_equal(rd(MTIMECMP(1), 8), NEVER);
	assert_int_equal(rd(MTIMECMP(2), 8), NEVER);
}

static void test_mtimecmp_halves(void **state)
{
	rec.now = 0x100000000ull;
	/* The RV32 sequence: low half all ones first, then high, then low. */
	wr(MTIMECMP(2), 4, 0xffffffff);
	assert_int_equal(rd(MTIMECMP(2), 8), NEVER);
	wr(MTIMECMP(2) + 4, 4, 0x2);
	assert_int_equal(rd(MTIMECMP(2), 8), 0x2ffffffffull);
	/* Bits above a 4-byte store's width do not leak into the other half. */
	wr(MTIMECMP(2), 4, 0xaaaaaaaa00000010ull);
	assert_int_equal(rd(MTIMECMP(2), 8), 0x200000010ull);
	assert_false(rec.mtip[2]);
	assert_int_equal(rec.deadline[2], 0x200000010ull);

	assert_int_equal(rd(MTIMECMP(2), 4), 0x10);
	assert_int_equal(rd(MTIMECMP(2) + 4, 4), 0x2);

	/* A high half in the past raises MTIP. */
	wr(MTIMECMP(2) + 4, 4, 0);
	assert_int_equal(rd(MTIMECMP(2), 8), 0x10);
	assert_true(rec.mtip[2]);
}

static void test_update_after_time_advances(void **state)
{
	rec.now = 100;
	wr(MTIMECMP(1), 8, 1000);
	assert_false(rec.mtip[1]);
	assert_int_equal(rec.arm_calls, 1);

	/* An early callback re-arms and keeps MTIP clear. */
	rec.now = 999;
	rec.deadline[1] = 0;
	clint_update(&c, 1);
	assert_false(rec.mtip[1]);
	assert_int_equal(rec.deadline[1], 1000);
	assert_int_equal(rec.arm_calls, 2);

	rec.now = 1000;
	clint_update(&c, 1);
	assert_true(rec.mtip[1]);
	assert_int_equal(rec.arm_calls, 2);

	/* The handler writes a new deadline: MTIP drops. */
	wr(MTIMECMP(1), 8, 2000);
	assert_false(rec.mtip[1]);
	assert_int_equal(rec.deadline[1], 2000);
}

static void test_msip(void **state)
{
	wr(MSIP(1), 4, 1);
	assert_true(rec.msip[1]);
	assert_int_equal(rec.msip_calls, 1);
	assert_int_equal(rd(MSIP(1), 4), 1);
	assert_int_equal(rd(MSIP(0), 4), 0);

	/* Bits 31:1 are wired to zero; a repeat of the same bit is no change. */
	wr(MSIP(1), 4, 0xffffffff);
	assert_int_equal(rd(MSIP(1), 4), 1);
	assert_int_equal(rec.msip_calls, 1);

	wr(MSIP(1), 4, 2);
	assert_false(rec.msip[1]);
	assert_int_equal(rd(MSIP(1), 4), 0);
	assert_int_equal(rec.msip_calls, 2);

	wr(MSIP(2), 4, 1);
	assert_true(rec.msip[2]);
	assert_false(rec.msip[1]);
	assert_int_equal(rec.mtip_calls + rec.arm_calls, 0);
}

static void test_widths_rejected(void **state)
{
	static const u64 regs[] = {MSIP(0), MTIMECMP(0), MTIMECMP(0) + 4, CLINT_MTIME};
	u64 v = 0x5;

	rec.now = 10;
	for (size_t i = 0; i < ARRAY_SIZE(regs); i++) {
		for (u8 w = 1; w <= 2; w++) {
			assert_int_equal(access(regs[i], w, false, &v), -1);
			assert_int_equal(access(regs[i], w, true, &v), -1);
		}
	}
	/* MSIP is 4 bytes wide: an 8-byte access would span two harts. */
	assert_int_equal(access(MSIP(0), 8, true, &v), -1);
	assert_int_equal(access(MSIP(0), 8, false, &v), -1);
	/* Misaligned. */
	assert_int_equal(access(MTIMECMP(0) + 4, 8, true, &v), -1);
	assert_int_equal(access(MTIMECMP(0) + 2, 4, true, &v), -1);
	assert_int_equal(access(CLINT_MTIME + 4, 8, false, &v), -1);
	assert_int_equal(access(MSIP(0) + 1, 4, true, &v), -1);

	assert_int_equal(rd(MSIP(0), 4), 0);
	assert_int_equal(rd(MTIMECMP(0), 8), NEVER);
	assert_int_equal(rec.mtip_calls + rec.msip_calls + rec.arm_calls, 0);
}

static void test_harts_out_of_range(void **state)
{
	rec.now = 10;
	wr(MSIP(NHARTS), 4, 1);
	wr(MSIP(CLINT_MAX_HARTS), 4, 1);
	wr(MTIMECMP(NHARTS), 8, 0);
	wr(MTIMECMP(NHARTS) + 4, 4, 0);
	wr(MTIMECMP(CLINT_MAX_HARTS), 8, 0);
	assert_int_equal(rd(MSIP(NHARTS), 4), 0);
	assert_int_equal(rd(MTIMECMP(NHARTS), 8), 0);
	assert_int_equal(rd(MTIMECMP(NHARTS) + 4, 4), 0);
	assert_int_equal(rd(MTIMECMP(4094), 8), 0);
	clint_update(&c, NHARTS);
	clint_update(&c, CLINT_MAX_HARTS);
	clint_update(&c, -1);
	assert_int_equal(rec.mtip_calls + rec.msip_calls + rec.arm_calls, 0);
	/* The state of the harts that exist is untouched. */
	for (int h = 0; h < NHARTS; h++)
		assert_int_equal(rd(MTIMECMP(h), 8), NEVER);
}

static void test_holes_read_zero(void **state)
{
	static const u64 holes[] = {0x3ffc, 0xc000, CLINT_SIZE - 8};

	rec.now = 0x123456789ull;
	for (size_t i = 0; i < ARRAY_SIZE(holes); i++) {
		wr(holes[i], 4, 1);
		assert_int_equal(rd(holes[i], 4), 0);
	}
	assert_int_equal(rd(0xc000, 8), 0);
	assert_int_equal(rec.mtip_calls + rec.msip_calls + rec.arm_calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reset_state, setup),
		cmocka_unit_test_setup(test_mtime_read, setup),
		cmocka_unit_test_setup(test_mtime_write_ignored, setup),
		cmocka_unit_test_setup(test_mtimecmp_past, setup),
		cmocka_unit_test_setup(test_mtimecmp_future, setup),
		cmocka_unit_test_setup(test_mtimecmp_halves, setup),
		cmocka_unit_test_setup(test_update_after_time_advances, setup),
		cmocka_unit_test_setup(test_msip, setup),
		cmocka_unit_test_setup(test_widths_rejected, setup),
		cmocka_unit_test_setup(test_harts_out_of_range, setup),
		cmocka_unit_test_setup(test_holes_read_zero, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
