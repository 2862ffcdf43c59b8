/*
 * Host unit tests for passthru/vpci_cfg.c: the virtual ECAM driven through
 * vpci_access as a guest would, over fake functions whose config space is
 * a plain array, with their writes and rvhv's log lines recorded.
 */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <string.h>

#include "passthru/vpci_cfg.h"
#include "tests/unit/mmio.h"

#define ECAM(dev, fn, reg) ((u64)(dev) << 15 | (u64)(fn) << 12 | (reg))

struct fake {
	u8 cfg[4096];
	bool owned;
	int writes;
	u32 last_off, last_val;
	int last_width;
};

static struct vpci v;
static struct fake nic, gpu;
static int ctx_tag;
static int logged;
static char last_log[200];

static u32 fake_read(void *func, u32 off, int width)
{
	struct fake *f = func;
	u32 val = 0;
	assert_true(off + width <= sizeof(f->cfg));
	assert_int_equal(off % width, 0);
	for (int i = width - 1; i >= 0; i--)
		val = val << 8 | f->cfg[off + i];
	return val;
}

static void fake_write(void *func, u32 off, int width, u32 val)
{
	struct fake *f = func;
	assert_true(off + width <= sizeof(f->cfg));
	assert_int_equal(off % width, 0);
	for (int i = 0; i < width; i++)
		f->cfg[off + i] = val >> (8 * i);
	f->writes++;
	f->last_off = off;
	f->last_width = width;
	f->last_val = val;
}

static bool fake_owned(void *ctx, void *func)
{
	assert_ptr_equal(ctx, &ctx_tag);
	return ((struct fake *)func)->owned;
}

static void fake_log(void *ctx, const char *msg)
{
	assert_ptr_equal(ctx, &ctx_tag);
	snprintf(last_log, sizeof(last_log), "%s", msg);
	logged++;
}

static const struct vpci_backing backing = {fake_read, fake_write, fake_owned, fake_log};

static void put(struct fake *f, u32 off, int width, u32 val)
{
	for (int i = 0; i < width; i++)
		f->cfg[off + i] = val >> (8 * i);
}

/* nic: host 00:03.0, a 32-bit BAR0, an I/O BAR1, a 64-bit prefetchable
 * BAR2/3, an unassigned BAR4; gpu: host 01:05.0 (another bus, device 5). */
static const struct pci_bar nic_bars[PCI_NBARS] = {
	{.addr = 0x40000000, .size = 0x20000},
	{.addr = 0x1000, .size = 0x40, .io = true},
	{.addr = 0x400000000, .size = 0x100000000, .is64 = true, .prefetch = true},
	{0},
	{.addr = 0, .size = 0x1000},
};
static const struct pci_bar gpu_bars[PCI_NBARS] = {
	{.addr = 0x40100000, .size = 0x100},
};

static int setup(void **state)
{
	memset(&nic, 0, sizeof(nic));
	memset(&gpu, 0, sizeof(gpu));
	put(&nic, 0x00, 4, 0x100e8086);	 /* 8086:100e */
	put(&nic, 0x04, 4, 0x00100000);	 /* status: capability list */
	put(&nic, 0x08, 4, 0x02000003);	 /* ethernet, revision 3 */
	put(&nic, 0x0c, 4, 0x00800010);	 /* multi-function, cache line 0x10 */
	put(&nic, 0x2c, 4, 0x11001af4);	 /* subsystem */
	put(&nic, 0x34, 1, 0x40);	 /* capabilities at 0x40 */
	put(&nic, 0x3c, 4, 0x000001ff);	 /* pin INTA, host line 0xff */
	put(&nic, 0x40, 4, 0x00005001);	 /* PM capability */
	put(&nic, 0x100, 4, 0x00010001); /* extended capability */
	/* The host's own BAR values: the guest must never see these. */
	put(&nic, 0x10, 4, 0xdead0000);
	nic.owned = gpu.owned = true;
	put(&gpu, 0x00, 4, 0x11e81234);
	put(&gpu, 0x3c, 4, 0x00000200); /* pin INTB */
	vpci_init(&v, &backing, &ctx_tag);
	assert_int_equal(vpci_add(&v, 3, &nic, 0x0018, nic_bars), 0);
	assert_int_equal(vpci_add(&v, 5, &gpu, 0x0128, gpu_bars), 0);
	logged = 0;
	last_log[0] = '\0';
	return 0;
}

static int access(u64 off, u8 width, bool write, u64 *value)
{
	return mmio_call(vpci_access, &v, off, width, write, value);
}

static u32 rd(u64 off, u8 width)
{
	u64 val;
	assert_int_equal(access(off, width, false, &val), 0);
	return val;
}

static void wr(u64 off, u8 width, u32 val)
{
	u64 v64 = val;
	assert_int_equal(access(off, width, true, &v64), 0);
}

static void test_add(void **state)
{
	assert_int_equal(vpci_add(&v, 3, &gpu, 0x0118, gpu_bars), -1);
	assert_int_equal(vpci_add(&v, 32, &gpu, 0x0118, gpu_bars), -1);
	assert_int_equal(vpci_add(&v, 31, &gpu, 0x00f8, gpu_bars), 0);
}

/* Empty slots, other functions and other buses: all-ones, writes go nowhere. */
static void test_unassigned(void **state)
{
	static const u64 where[] = {ECAM(0, 0, 0),
				    ECAM(4, 0, 0),
				    ECAM(31, 0, 0x10),
				    ECAM(3, 1, 0),
				    ECAM(3, 7, 0x3c),
				    ECAM(3, 0, 0) | 1 << 20,
				    ECAM(5, 0, 0) | 255UL << 20};
	for (size_t i = 0; i < ARRAY_SIZE(where); i++) {
		assert_int_equal(rd(where[i], 4), 0xffffffff);
		assert_int_equal(rd(where[i], 2), 0xffff);
		assert_int_equal(rd(where[i] + 1, 1), 0xff);
		wr(where[i] + 4, 2, 0x7);
		wr(where[i] + 0x40, 4, 0x12345678);
	}
	assert_int_equal(nic.writes + gpu.writes, 0);
	assert_int_equal(logged, 0);
}

static void test_ids_passthrough(void **state)
{
	assert_int_equal(rd(ECAM(3, 0, 0), 4), 0x100e8086);
	assert_int_equal(rd(ECAM(3, 0, 0), 2), 0x8086);
	assert_int_equal(rd(ECAM(3, 0, 2), 2), 0x100e);
	assert_int_equal(rd(ECAM(3, 0, 1), 1), 0x80);
	assert_int_equal(rd(ECAM(3, 0, 8), 4), 0x02000003);
	assert_int_equal(rd(ECAM(3, 0, 0xb), 1), 0x02);
	assert_int_equal(rd(ECAM(3, 0, 0x2c), 4), 0x11001af4);
	assert_int_equal(rd(ECAM(3, 0, 0x34), 1), 0x40);
	assert_int_equal(rd(ECAM(3, 0, 6), 2), 0x0010);
	assert_int_equal(rd(ECAM(5, 0, 0), 4), 0x11e81234);
	/* Writes to read-only or rvhv-owned header fields change nothing. */
	wr(ECAM(3, 0, 0), 4, 0);
	wr(ECAM(3, 0, 8), 4, 0);
	wr(ECAM(3, 0, 0xc), 1, 0x40); /* cache line size */
	wr(ECAM(3, 0, 0x34), 1, 0);
	wr(ECAM(3, 0, 0x3d), 1, 3); /* interrupt pin */
	assert_int_equal(nic.writes, 0);
	assert_int_equal(rd(ECAM(3, 0, 0), 4), 0x100e8086);
	assert_int_equal(rd(ECAM(3, 0, 0x3d), 1), 1);
}

static void test_header_type(void **state)
{
	assert_int_equal(rd(ECAM(3, 0, 0xe), 1), 0x00);
	assert_int_equal(rd(ECAM(3, 0, 0xc), 4), 0x00000010);
	assert_int_equal(rd(ECAM(3, 0, 0xe), 2), 0x0000);
	assert_int_equal(rd(ECAM(3, 0, 0xc), 1), 0x10);
}

static void test_bar32(void **state)
{
	assert_int_equal(rd(ECAM(3, 0, 0x10), 4), 0x40000000);
	wr(ECAM(3, 0, 0x10), 4, 0xffffffff);
	assert_int_equal(rd(ECAM(3, 0, 0x10), 4), 0xfffe0000);
	assert_int_equal(rd(ECAM(3, 0, 0x10), 4), 0xfffe0000); /* until restored */
	wr(ECAM(3, 0, 0x10), 4, 0x40000000);
	assert_int_equal(rd(ECAM(3, 0, 0x10), 4), 0x40000000);
	/* The address back with the (read-only) flag bits also ends sizing. */
	wr(ECAM(5, 0, 0x10), 4, 0xffffffff);
	assert_int_equal(rd(ECAM(5, 0, 0x10), 4), 0xffffff00);
	wr(ECAM(5, 0, 0x10), 4, 0x40100000 | 0x8);
	assert_int_equal(rd(ECAM(5, 0, 0x10), 4), 0x40100000);
	assert_int_equal(rd(ECAM(5, 0, 0x12), 2), 0x4010);
	assert_int_equal(nic.writes + gpu.writes + logged, 0);
}

static void test_bar64(void **state)
{
	assert_int_equal(rd(ECAM(3, 0, 0x18), 4), 0x0000000c); /* 64-bit, prefetchable */
	assert_int_equal(rd(ECAM(3, 0, 0x1c), 4), 0x00000004);
	wr(ECAM(3, 0, 0x18), 4, 0xffffffff);
	wr(ECAM(3, 0, 0x1c), 4, 0xffffffff);
	assert_int_equal(rd(ECAM(3, 0, 0x18), 4), 0x0000000c);
	assert_int_equal(rd(ECAM(3, 0, 0x1c), 4), 0xffffffff);
	wr(ECAM(3, 0, 0x18), 4, 0x0000000c);
	assert_int_equal(rd(ECAM(3, 0, 0x1c), 4), 0xffffffff); /* halves restore separately */
	wr(ECAM(3, 0, 0x1c), 4, 0x00000004);
	assert_int_equal(rd(ECAM(3, 0, 0x18), 4), 0x0000000c);
	assert_int_equal(rd(ECAM(3, 0, 0x1c), 4), 0x00000004);
	assert_int_equal(logged, 0);
}

/* BARs stay where the host put them: any other value is refused with a log line. */
static void test_bar_fixed(void **state)
{
	wr(ECAM(3, 0, 0x10), 4, 0x50000000);
	assert_int_equal(logged, 1);
	assert_non_null(strstr(last_log, "pci 00:03.0"));
	assert_non_null(strstr(last_log, "BAR0"));
	assert_int_equal(rd(ECAM(3, 0, 0x10), 4), 0x40000000);
	wr(ECAM(3, 0, 0x1c), 4, 0x5);
	assert_int_equal(rd(ECAM(3, 0, 0x1c), 4), 0x4);
	wr(ECAM(3, 0, 0x10), 2, 0xffff); /* sizing is 32-bit writes only */
	assert_int_equal(rd(ECAM(3, 0, 0x10), 4), 0x40000000);
	assert_int_equal(logged, 3);
	wr(ECAM(5, 0, 0x10), 4, 0);
	assert_non_null(strstr(last_log, "pci 01:05.0"));
	assert_int_equal(nic.writes + gpu.writes, 0);
}

/* I/O BARs, unassigned BARs, absent BARs and the expansion ROM read 0, sizing too. */
static void test_hidden_bars(void **state)
{
	static const u32 regs[] = {0x14, 0x20, 0x24, 0x30};
	for (size_t i = 0; i < ARRAY_SIZE(regs); i++) {
		assert_int_equal(rd(ECAM(3, 0, regs[i]), 4), 0);
		wr(ECAM(3, 0, regs[i]), 4, 0xffffffff);
		assert_int_equal(rd(ECAM(3, 0, regs[i]), 4), 0);
		wr(ECAM(3, 0, regs[i]), 4, 0x2000);
		assert_int_equal(rd(ECAM(3, 0, regs[i]), 4), 0);
	}
	wr(ECAM(5, 0, 0x14), 4, 0xffffffff);
	assert_int_equal(rd(ECAM(5, 0, 0x14), 4), 0);
	assert_int_equal(nic.writes + gpu.writes + logged, 0);
}

static void test_command(void **state)
{
	put(&nic, 0x04, 2, 0x0080); /* a bit the guest does not own (stepping) */
	wr(ECAM(3, 0, 4), 2, 0xffff);
	assert_int_equal(nic.writes, 1);
	assert_int_equal(nic.last_off, 4);
	assert_int_equal(nic.last_width, 2);
	assert_int_equal(fake_read(&nic, 4, 2), 0x0080 | VPCI_CMD_GUEST);
	assert_int_equal(rd(ECAM(3, 0, 4), 2), 0x0080 | VPCI_CMD_GUEST);
	/* A dword write: command changes, status (RW1C on the device) does not. */
	wr(ECAM(3, 0, 4), 4, 0xffff0002);
	assert_int_equal(fake_read(&nic, 4, 4), 0x00100082);
	/* Byte writes keep the other byte. */
	wr(ECAM(3, 0, 5), 1, 0x04); /* INTx disable */
	assert_int_equal(fake_read(&nic, 4, 2), 0x0482);
	wr(ECAM(3, 0, 4), 1, 0x07);
	assert_int_equal(fake_read(&nic, 4, 2), 0x0487);
	int writes = nic.writes;
	wr(ECAM(3, 0, 6), 2, 0xffff);
	assert_int_equal(nic.writes, writes);
	/* A function that is not the VM's any more is left alone. */
	nic.owned = false;
	wr(ECAM(3, 0, 4), 2, 0);
	assert_int_equal(nic.writes, writes);
	assert_int_equal(fake_read(&nic, 4, 2), 0x0487);
	assert_int_equal(logged, 1);
	assert_non_null(strstr(last_log, "command"));
}

static void test_interrupt_line(void **state)
{
	assert_int_equal(rd(ECAM(3, 0, 0x3c), 1), 0);
	assert_int_equal(rd(ECAM(3, 0, 0x3d), 1), 1);
	wr(ECAM(3, 0, 0x3c), 1, 0x21);
	assert_int_equal(rd(ECAM(3, 0, 0x3c), 1), 0x21);
	assert_int_equal(rd(ECAM(3, 0, 0x3c), 4), 0x00000121);
	assert_int_equal(rd(ECAM(5, 0, 0x3c), 2), 0x0200); /* per function */
	wr(ECAM(5, 0, 0x3c), 4, 0xffffff22);
	assert_int_equal(rd(ECAM(5, 0, 0x3c), 4), 0x00000222);
	assert_int_equal(fake_read(&nic, 0x3c, 1), 0xff); /* the host's stays */
	assert_int_equal(nic.writes + gpu.writes, 0);
}

static void test_capability_space(void **state)
{
	assert_int_equal(rd(ECAM(3, 0, 0x40), 4), 0x00005001);
	assert_int_equal(rd(ECAM(3, 0, 0x41), 1), 0x50);
	assert_int_equal(rd(ECAM(3, 0, 0x100), 2), 0x0001);
	wr(ECAM(3, 0, 0x44), 2, 0x8103);
	assert_int_equal(nic.last_off, 0x44);
	assert_int_equal(nic.last_width, 2);
	assert_int_equal(nic.last_val, 0x8103);
	assert_int_equal(rd(ECAM(3, 0, 0x44), 4), 0x8103);
	wr(ECAM(3, 0, 0xffc), 4, 0xcafef00d);
	assert_int_equal(rd(ECAM(3, 0, 0xffc), 4), 0xcafef00d);
	wr(ECAM(3, 0, 0xfff), 1, 0x11);
	assert_int_equal(rd(ECAM(3, 0, 0xffe), 2), 0x11fe);
	assert_int_equal(nic.writes, 3);
}

static void test_bad_widths(void **state)
{
	static const struct {
		u64 off;
		u8 width;
	} bad[] = {{0, 8}, {0, 3}, {0, 0}, {1, 2}, {2, 4}, {0x3d, 2}, {0x42, 4}, {0x13, 2}};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		u64 val = 0;
		assert_int_equal(access(ECAM(3, 0, bad[i].off), bad[i].width, false, &val), -1);
		assert_int_equal(access(ECAM(3, 0, bad[i].off), bad[i].width, true, &val), -1);
		/* The same on an empty slot: the bus rejects it before any slot. */
		assert_int_equal(access(ECAM(9, 0, bad[i].off), bad[i].width, false, &val), -1);
	}
	assert_int_equal(nic.writes, 0);
}

static void test_reset(void **state)
{
	wr(ECAM(3, 0, 0x10), 4, 0xffffffff);
	wr(ECAM(3, 0, 0x3c), 1, 0x21);
	wr(ECAM(3, 0, 4), 2, 0x0006);
	put(&nic, 0x04, 2, 0x0086);
	gpu.owned = false;
	put(&gpu, 0x04, 2, 0x0002);
	vpci_reset(&v);
	assert_int_equal(rd(ECAM(3, 0, 0x10), 4), 0x40000000);
	assert_int_equal(rd(ECAM(3, 0, 0x3c), 1), 0);
	assert_int_equal(fake_read(&nic, 4, 2), 0x0080);
	assert_int_equal(fake_read(&gpu, 4, 2), 0x0002); /* not the VM's: untouched */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_add, setup),
		cmocka_unit_test_setup(test_unassigned, setup),
		cmocka_unit_test_setup(test_ids_passthrough, setup),
		cmocka_unit_test_setup(test_header_type, setup),
		cmocka_unit_test_setup(test_bar32, setup),
		cmocka_unit_test_setup(test_bar64, setup),
		cmocka_unit_test_setup(test_bar_fixed, setup),
		cmocka_unit_test_setup(test_hidden_bars, setup),
		cmocka_unit_test_setup(test_command, setup),
		cmocka_unit_test_setup(test_interrupt_line, setup),
		cmocka_unit_test_setup(test_capability_space, setup),
		cmocka_unit_test_setup(test_bad_widths, setup),
		cmocka_unit_test_setup(test_reset, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
