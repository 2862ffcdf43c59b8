/*
 * passthru/pci.c on the host: the host bridge's node (ranges, interrupt-map)
 * from device trees compiled with dtc, and enumeration and BAR assignment
 * against a model of an ECAM in memory whose BARs answer the sizing
 * protocol as hardware does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/unit.h"

#include "kernel/lib.h"
#include "passthru/pci.h"

#include "tests/unit/dtc.h"

/* QEMU virt's host bridge (hw/riscv/virt.c), with windows and map filled in. */
static const char dts_fmt[] =
	"/dts-v1/;\n"
	"/ {\n"
	"  #address-cells = <2>; #size-cells = <2>;\n"
	"  soc { #address-cells = <2>; #size-cells = <2>; compatible = \"simple-bus\"; ranges;\n"
	"    plic: plic@c000000 { compatible = \"sifive,plic-1.0.0\", \"riscv,plic0\";\n"
	"      reg = <0 0xc000000 0 0x600000>; interrupt-controller; #interrupt-cells = <1>;\n"
	"      #address-cells = <0>; };\n"
	"    aplic: aplic@d000000 { compatible = \"riscv,aplic\"; interrupt-controller;\n"
	"      #interrupt-cells = <2>; };\n"
	"    pci@30000000 { compatible = \"pci-host-ecam-generic\"; device_type = \"pci\";\n"
	"      #address-cells = <3>; #size-cells = <2>; #interrupt-cells = <1>;\n"
	"      reg = <0 0x30000000 0 0x10000000>; bus-range = <0 0xff>;\n"
	"      ranges = <%s>;\n"
	"      interrupt-map-mask = <0x1800 0 0 7>;\n"
	"      interrupt-map = <%s>;\n"
	"    };\n"
	"  };\n"
	"};\n";

static const char qemu_ranges[] = "0x1000000 0 0 0 0x3000000 0 0x10000 "
				  "0x2000000 0 0x40000000 0 0x40000000 0 0x40000000 "
				  "0x3000000 4 0 4 0 4 0";

/* INTA..D of device d go to 32 + (d + pin - 1) % 4, as QEMU virt wires them. */
static char *qemu_map(const char *parent, int cells)
{
	static char buf[4096];
	size_t n = 0;

	for (int d = 0; d < 4; d++)
		for (int pin = 1; pin <= 4; pin++)
			n += snprintf(buf + n, sizeof(buf) - n, "%#x 0 0 %d &%s %d%s ", d << 11,
				      pin, parent, 32 + (d + pin - 1) % 4, cells == 2 ? " 4" : "");
	return buf;
}

static void *make_dtb(const char *ranges, const char *map)
{
	char dts[8192];

	snprintf(dts, sizeof(dts), dts_fmt, ranges, map);
	return dtc_compile(dts);
}

/* ---------------------------------------------------------------- an ECAM model */

#define ECAM_BUS0 (1 << 20)

struct fake_bar {
	u32 flags; /* the read-only low bits: I/O, 64-bit, prefetchable */
	u64 size;  /* 0: not implemented */
};

static u8 *ecam;
static struct fake_bar fake_bars[32][8][6];

static u8 *fn_cfg(int dev, int fn)
{
	return ecam + (dev << 15 | fn << 12);
}

static void put16(u8 *p, u16 v)
{
	memcpy(p, &v, 2);
}

static void put32(u8 *p, u32 v)
{
	memcpy(p, &v, 4);
}

static u32 get32(const u8 *p)
{
	u32 v;
	memcpy(&v, p, 4);
	return v;
}

static void add_func(int dev, int fn, u16 vendor, u16 device, u32 class_rev, u8 header, u8 pin)
{
	u8 *c = fn_cfg(dev, fn);
	put16(c + 0, vendor);
	put16(c + 2, device);
	put16(c + 4, 0x7); /* left on by a previous owner */
	put32(c + 8, class_rev);
	c[0x0e] = header;
	c[0x3d] = pin;
}

static void add_bar(int dev, int fn, int i, u32 flags, u64 size)
{
	fake_bars[dev][fn][i] = (struct fake_bar){flags, size};
	put32(fn_cfg(dev, fn) + 0x10 + 4 * i, flags);
	if ((flags & 0x7) == 0x4)
		fake_bars[dev][fn][i + 1] = (struct fake_bar){0, size}; /* the upper half */
}

/* After a write to a BAR: keep the bits the size lets the function decode. */
static void ecam_written(volatile u8 *cfg, u32 off, int width)
{
	size_t at = (size_t)((u8 *)cfg - ecam);
	int dev = (int)(at >> 15), fn = (int)(at >> 12) & 7;

	if (off < 0x10 || off >= 0x28)
		return;
	assert_int_equal(width, 4);
	int i = (int)(off - 0x10) / 4;
	struct fake_bar *b = &fake_bars[dev][fn][i];
	u8 *reg = (u8 *)cfg + off;
	bool upper = i > 0 && (fake_bars[dev][fn][i - 1].flags & 0x7) == 0x4;
	u64 mask = ~(b->size - 1);
	if (!b->size)
		put32(reg, 0);
	else if (upper)
		put32(reg, get32(reg) & (u32)(mask >> 32));
	else if (b->flags & 1)
		put32(reg, (get32(reg) & (u32)mask & 0xffff) | b->flags);
	else
		put32(reg, (get32(reg) & (u32)mask & ~0xfU) | b->flags);
}

static int setup(void **state)
{
	ecam = calloc(1, ECAM_BUS0);
	memset(ecam, 0xff, ECAM_BUS0); /* no function answers: vendor 0xffff */
	memset(fake_bars, 0, sizeof(fake_bars));
	for (int d = 0; d < 32; d++)
		for (int f = 0; f < 8; f++)
			memset(fn_cfg(d, f) + 0x10, 0, 24);
	memset(&pci_host, 0, sizeof(pci_host));
	pci_host.ecam = ecam;
	pci_host.cfg_written = ecam_written;
	return 0;
}

static int teardown(void **state)
{
	free(ecam);
	return 0;
}

/* QEMU virt with -device edu -device e1000, a multi-function device and a bridge. */
static void add_devices(void)
{
	add_func(0, 0, 0x1b36, 0x0008, 0x06000000, 0, 0); /* the host bridge */
	add_func(1, 0, 0x1234, 0x11e8, 0x00ff0010, 0, 1); /* edu */
	add_bar(1, 0, 0, 0x0, MiB);
	add_func(2, 0, 0x8086, 0x100e, 0x02000003, 0, 1); /* e1000 */
	add_bar(2, 0, 0, 0x0, 128 * KiB);
	add_bar(2, 0, 1, 0x1, 64);
	add_func(3, 0, 0x1af4, 0x1041, 0x02000001, 0x80, 2); /* multi-function */
	add_bar(3, 0, 1, 0x0, 4 * KiB);
	add_bar(3, 0, 4, 0xc, 16 * KiB); /* 64-bit prefetchable */
	add_func(3, 2, 0x1af4, 0x1042, 0x01000001, 0, 3);
	add_bar(3, 2, 0, 0x0, 256);
	add_func(4, 0, 0x1b36, 0x000c, 0x06040000, 0x1, 1); /* a PCI-PCI bridge */
}

/* ---------------------------------------------------------------- tests */

static void test_no_bridge(void **state)
{
	char err[128] = "";
	void *dtb = dtc_compile("/dts-v1/; / { #address-cells = <2>; #size-cells = <2>; };");

	assert_int_equal(pci_host_init(dtb, err, sizeof(err)), 0);
	assert_int_equal(pci_host.nfuncs, 0);
	assert_null(pci_find(PCI_BDF(0, 1, 0)));
	free(dtb);
}

static void test_windows_and_map(void **state)
{
	char err[128] = "";
	void *dtb = make_dtb(qemu_ranges, qemu_map("plic", 1));

	assert_int_equal(pci_host_init(dtb, err, sizeof(err)), 0);
	assert_int_equal(pci_host.ecam_base, 0x30000000);
	assert_int_equal(pci_host.ecam_size, 0x10000000);
	assert_int_equal(pci_host.bus_start, 0);
	assert_int_equal(pci_host.bus_end, 255);
	assert_int_equal(pci_host.io_cpu, 0x3000000);
	assert_int_equal(pci_host.io_pci, 0);
	assert_int_equal(pci_host.io_size, 0x10000);
	assert_int_equal(pci_host.mmio_base, 0x40000000);
	assert_int_equal(pci_host.mmio_size, 0x40000000);
	assert_int_equal(pci_host.mmio64_base, 0x400000000);
	assert_int_equal(pci_host.mmio64_size, 0x400000000);
	assert_false(pci_host.mmio64_prefetch);
	assert_int_equal(pci_host.nintx, 16);
	/* The mask keeps device bits 11..12 only: device 5 is wired as device 1. */
	for (int d = 0; d < 8; d++)
		for (int pin = 1; pin <= 4; pin++)
			assert_int_equal(pci_intx_irq(PCI_BDF(0, d, 0), pin),
					 32 + (d + pin - 1) % 4);
	assert_int_equal(pci_intx_irq(PCI_BDF(0, 1, 0), 0), 0);
	assert_int_equal(pci_intx_irq(PCI_BDF(0, 1, 0), 5), 0);
	free(dtb);
}

static void test_map_to_other_controller(void **state)
{
	char err[128] = "";
	void *dtb = make_dtb(qemu_ranges, qemu_map("aplic", 2));

	/* Two parent interrupt cells are skipped correctly; no PLIC, no host_irq. */
	assert_int_equal(pci_host_init(dtb, err, sizeof(err)), 0);
	assert_int_equal(pci_host.nintx, 16);
	assert_int_equal(pci_intx_irq(PCI_BDF(0, 1, 0), 1), 0);
	free(dtb);
}

static void test_bad_nodes(void **state)
{
	char err[128] = "";
	void *dtb =
		make_dtb("0x2000000 0 0x40000000 0 0x80000000 0 0x1000000", qemu_map("plic", 1));

	assert_int_equal(pci_host_init(dtb, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "translated"));
	free(dtb);
	dtb = make_dtb(qemu_ranges, "0 0 0 1 &plic");
	assert_int_equal(pci_host_init(dtb, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "interrupt-map"));
	free(dtb);
	dtb = make_dtb("0x2000000 0 0x40000000 0 0x40000000 0", qemu_map("plic", 1));
	assert_int_equal(pci_host_init(dtb, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ranges"));
	free(dtb);
}

static void test_enumerate(void **state)
{
	char err[128] = "";
	void *dtb = make_dtb(qemu_ranges, qemu_map("plic", 1));

	add_devices();
	assert_int_equal(pci_host_init(dtb, err, sizeof(err)), 5);
	assert_ptr_equal(pci_host.ecam, ecam);
	assert_null(pci_find(PCI_BDF(0, 0, 0))); /* host bridges are not assignable */

	struct pci_func *edu = pci_find(PCI_BDF(0, 1, 0));
	assert_non_null(edu);
	assert_int_equal(edu->vendor, 0x1234);
	assert_int_equal(edu->device, 0x11e8);
	assert_int_equal(edu->class_rev, 0x00ff0010);
	assert_int_equal(edu->header_type, 0);
	assert_int_equal(edu->pin, 1);
	assert_int_equal(edu->host_irq, 33);
	assert_int_equal(edu->owner, -1);
	assert_ptr_equal(edu->cfg, fn_cfg(1, 0));

	struct pci_func *mf0 = pci_find(PCI_BDF(0, 3, 0)), *mf2 = pci_find(PCI_BDF(0, 3, 2));
	assert_non_null(mf0);
	assert_non_null(mf2);
	assert_null(pci_find(PCI_BDF(0, 3, 1)));
	assert_int_equal(mf0->header_type, 0); /* the multi-function bit is stripped */
	assert_int_equal(mf0->host_irq, 32 + (3 + 2 - 1) % 4);
	assert_int_equal(mf2->host_irq, 32 + (3 + 3 - 1) % 4);

	struct pci_func *bridge = pci_find(PCI_BDF(0, 4, 0));
	assert_non_null(bridge);
	assert_int_equal(bridge->header_type, 1);
	assert_true(pci_host.bridges);

	/* Every function is left off: no decoding, no bus mastering. */
	for (int i = 0; i < pci_host.nfuncs; i++)
		assert_int_equal(pci_cfg_read(&pci_host.funcs[i], 4, 2), 0);
	free(dtb);
}

static void test_bar_assignment(void **state)
{
	char err[128] = "";
	void *dtb = make_dtb(qemu_ranges, qemu_map("plic", 1));

	add_devices();
	assert_int_equal(pci_host_init(dtb, err, sizeof(err)), 5);
	struct pci_func *edu = pci_find(PCI_BDF(0, 1, 0)), *e1000 = pci_find(PCI_BDF(0, 2, 0));
	struct pci_func *mf0 = pci_find(PCI_BDF(0, 3, 0)), *mf2 = pci_find(PCI_BDF(0, 3, 2));

	/* Sizes, kinds, then addresses: largest first from each window's base. */
	assert_int_equal(edu->bar[0].size, MiB);
	assert_int_equal(edu->bar[0].addr, 0x40000000);
	assert_int_equal(get32(fn_cfg(1, 0) + 0x10), 0x40000000);
	assert_int_equal(e1000->bar[0].size, 128 * KiB);
	assert_int_equal(e1000->bar[0].addr, 0x40100000);
	assert_true(e1000->bar[1].io);
	assert_int_equal(e1000->bar[1].size, 64);
	/* I/O: its own page, from the second page of the window; the BAR holds
	 * the port, the CPU reaches it at io_cpu + port. */
	assert_int_equal(e1000->bar[1].addr, 0x3001000);
	assert_int_equal(get32(fn_cfg(2, 0) + 0x14), 0x1001);
	assert_true(mf0->bar[4].is64);
	assert_true(mf0->bar[4].prefetch);
	assert_int_equal(mf0->bar[4].size, 16 * KiB);
	assert_int_equal(mf0->bar[5].size, 0);
	assert_int_equal(mf0->bar[4].addr, 0x400000000);
	assert_int_equal(get32(fn_cfg(3, 0) + 0x20), 0x0000000c);
	assert_int_equal(get32(fn_cfg(3, 0) + 0x24), 0x4);
	/* A BAR smaller than a page still gets a page of its own. */
	assert_int_equal(mf0->bar[1].addr, 0x40120000);
	assert_int_equal(mf2->bar[0].size, 256);
	assert_int_equal(mf2->bar[0].addr, 0x40121000);

	/* No two BARs share a 4 KiB page, each is naturally aligned. */
	for (int i = 0; i < pci_host.nfuncs; i++)
		for (int j = 0; j < PCI_NBARS; j++) {
			struct pci_bar *a = &pci_host.funcs[i].bar[j];
			if (!a->size)
				continue;
			assert_int_equal(a->addr % (a->size < 4096 ? 4096 : a->size), 0);
			for (int k = 0; k < pci_host.nfuncs; k++)
				for (int l = 0; l < PCI_NBARS; l++) {
					struct pci_bar *b = &pci_host.funcs[k].bar[l];
					if (!b->size || a == b)
						continue;
					u64 a_end = ALIGN_UP(a->addr + a->size, 4096);
					u64 b_end = ALIGN_UP(b->addr + b->size, 4096);
					assert_true(a_end <= b->addr || b_end <= a->addr);
				}
		}
	free(dtb);
}

/* Full windows leave BARs unassigned; 64-bit BARs fall back to the 32-bit window. */
static void test_small_windows(void **state)
{
	char err[128] = "", line[256];
	void *dtb = make_dtb("0x2000000 0 0x40000000 0 0x40000000 0 0x110000", qemu_map("plic", 1));

	add_devices();
	assert_int_equal(pci_host_init(dtb, err, sizeof(err)), 5);
	struct pci_func *e1000 = pci_find(PCI_BDF(0, 2, 0)), *mf0 = pci_find(PCI_BDF(0, 3, 0));
	assert_int_equal(pci_find(PCI_BDF(0, 1, 0))->bar[0].addr, 0x40000000);
	assert_int_equal(e1000->bar[0].addr, 0); /* 128 KiB: only 64 KiB left */
	assert_int_equal(e1000->bar[1].addr, 0); /* no I/O window */
	assert_int_equal(mf0->bar[4].addr, 0x40100000);
	assert_int_equal(get32(fn_cfg(3, 0) + 0x24), 0);
	pci_describe(e1000, line, sizeof(line));
	assert_string_equal(line,
			    "00:02.0 8086:100e class 020000 BAR0 mem 128 KiB unassigned (no "
			    "room in the windows) BAR1 io 64 bytes unassigned (no room in the "
			    "windows) INTA->34");
	free(dtb);
}

static void test_describe(void **state)
{
	char err[128] = "", line[256];
	void *dtb = make_dtb(qemu_ranges, qemu_map("plic", 1));

	add_devices();
	assert_int_equal(pci_host_init(dtb, err, sizeof(err)), 5);
	pci_describe(pci_find(PCI_BDF(0, 1, 0)), line, sizeof(line));
	assert_string_equal(line,
			    "00:01.0 1234:11e8 class 00ff00 BAR0 mem 0x40000000+1 MiB INTA->33");
	pci_describe(pci_find(PCI_BDF(0, 3, 0)), line, sizeof(line));
	assert_string_equal(line, "00:03.0 1af4:1041 class 020000 BAR1 mem 0x40120000+4 KiB BAR4 "
				  "mem64 pf 0x400000000+16 KiB INTB->32");
	pci_describe(pci_find(PCI_BDF(0, 4, 0)), line, sizeof(line));
	assert_string_equal(line, "00:04.0 1b36:000c class 060400 INTA->32 PCI bridge: the buses "
				  "behind it are not enumerated");
	/* A short buffer is cut, and the length says how long it would be. */
	int n = pci_describe(pci_find(PCI_BDF(0, 1, 0)), line, 10);
	assert_int_equal(n, 65);
	assert_string_equal(line, "00:01.0 1");
	free(dtb);
}

static void test_cfg_access(void **state)
{
	char err[128] = "";
	void *dtb = make_dtb(qemu_ranges, qemu_map("plic", 1));

	add_devices();
	assert_int_equal(pci_host_init(dtb, err, sizeof(err)), 5);
	struct pci_func *edu = pci_find(PCI_BDF(0, 1, 0));
	assert_int_equal(pci_cfg_read(edu, 0, 4), 0x11e81234);
	assert_int_equal(pci_cfg_read(edu, 2, 2), 0x11e8);
	assert_int_equal(pci_cfg_read(edu, 1, 1), 0x12);
	assert_int_equal(pci_cfg_read(edu, 1, 2), 0xffffffff); /* misaligned */
	assert_int_equal(pci_cfg_read(edu, 0, 8), 0xffffffff);
	assert_int_equal(pci_cfg_read(edu, 4096, 1), 0xffffffff);
	pci_cfg_write(edu, 4, 2, 0x6);
	assert_int_equal(pci_cfg_read(edu, 4, 2), 0x6);
	pci_cfg_write(edu, 0x40, 1, 0xab);
	pci_cfg_write(edu, 0x41, 1, 0xcd);
	assert_int_equal(pci_cfg_read(edu, 0x40, 2), 0xcdab);
	pci_cfg_write(edu, 4095, 2, 0x1234); /* refused: crosses the end */
	assert_int_equal(fn_cfg(1, 0)[4095], 0xff);
	/* BAR sizing by the caller works on the model as on hardware. */
	pci_cfg_write(edu, 0x10, 4, ~0U);
	assert_int_equal(pci_cfg_read(edu, 0x10, 4), 0xfff00000);
	free(dtb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_bridge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_windows_and_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_to_other_controller, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_nodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enumerate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_assignment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_windows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_describe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cfg_access, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
