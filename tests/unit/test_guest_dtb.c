/* guest_dtb_build(): build guest DTBs from dtc-compiled configs and read them back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#include <libfdt.h>

#include "kernel/guest_dtb.h"
#include "passthru/pci.h"

#include "tests/unit/dtc.h"

#define ISA "rv64imafdch_zicsr_zifencei_zihintpause_sstc"

static const struct platform host = {
	.isa = ISA,
	.mmu_type = "riscv,sv48",
	.timebase = 10000000,
	.has_h = true,
	.has_sstc = true,
};

/* The host bridge's windows, as QEMU virt's: guest_dtb.c copies them into the guest's bridge. */
struct pci_host pci_host = {
	.mmio_base = 0x40000000,
	.mmio_size = 0x40000000,
	.mmio64_base = 0x400000000,
	.mmio64_size = 0x400000000,
};

/* The demo-like VM: two vCPUs, a UART, a PLIC wired to the vCPUs' intcs, a nested bus. */
static const char vm_dts[] =
	"/dts-v1/;\n"
	"/ { compatible = \"rvhv,config\";\n"
	"  linux@0 { compatible = \"rvhv,vm\"; cpus = <2>;\n"
	"    memory = <0 0x80000000 0 0x8000000>; image = [00 01 02 03];\n"
	"    bootargs = \"console=ttyS0 root=/dev/vda\";\n"
	"    devices {\n"
	"      plic: plic@c000000 { compatible = \"sifive,plic-1.0.0\", \"riscv,plic0\";\n"
	"        reg = <0 0xc000000 0 0x600000>; riscv,ndev = <31>;\n"
	"        interrupts-extended = <0x8000 11 0x8000 9 0x8001 11 0x8001 9>;\n"
	"        interrupt-controller; #interrupt-cells = <1>; #address-cells = <0>; };\n"
	"      serial@10000000 { compatible = \"ns16550a\"; reg = <0 0x10000000 0 0x100>;\n"
	"        interrupts = <10>; interrupt-parent = <&plic>; clock-frequency = <3686400>; };\n"
	"      serial@10001000 { compatible = \"ns16550a\"; reg = <0 0x10001000 0 0x100>; };\n"
	"      bus@20000000 { compatible = \"simple-bus\"; #address-cells = <1>; #size-cells = <1>;\n"
	"        ranges = <0 0 0x20000000 0x100000>;\n"
	"        child@0 { reg = <0 0x1000>; label = \"deep\";\n"
	"          grandchild { flag; data = [de ad be ef]; }; };\n"
	"        child@1000 { reg = <0x1000 0x1000>; }; };\n"
	"    };\n"
	"  };\n"
	"};\n";

struct built {
	void *config;
	struct vm_config vm;
	char dtb[16384];
};

static void parse_config(struct built *b, const char *dts)
{
	char err[160] = "";

	b->config = dtc_compile(dts);
	if (config_parse(b->config, &b->vm, 1, err, sizeof(err)) != 1)
		fail_msg("config: %s", err);
}

static struct built *build(const char *dts, bool sstc, u64 initrd_gpa, u64 initrd_size)
{
	struct built *b = calloc(1, sizeof(*b));

	parse_config(b, dts);
	assert_int_equal(guest_dtb_build(b->dtb, sizeof(b->dtb), &b->vm, &host, sstc, initrd_gpa,
					 initrd_size),
			 0);
	assert_int_equal(fdt_check_header(b->dtb), 0);
	return b;
}

static void release(struct built *b)
{
	free(b->config);
	free(b);
}

static int node(const void *fdt, const char *path)
{
	int off = fdt_path_offset(fdt, path);

	if (off < 0)
		fail_msg("no node %s", path);
	return off;
}

static void assert_prop_str(const void *fdt, const char *path, const char *name, const char *val)
{
	int len;
	const char *p = fdt_getprop(fdt, node(fdt, path), name, &len);

	if (!p)
		fail_msg("%s: no property %s", path, name);
	assert_int_equal(len, strlen(val) + 1);
	assert_string_equal(p, val);
}

static void assert_prop_u32(const void *fdt, const char *path, const char *name, u32 val)
{
	int len;
	const fdt32_t *p = fdt_getprop(fdt, node(fdt, path), name, &len);

	if (!p)
		fail_msg("%s: no property %s", path, name);
	assert_int_equal(len, 4);
	assert_int_equal(fdt32_ld(p), val);
}

static void assert_prop_u64(const void *fdt, const char *path, const char *name, u64 val)
{
	int len;
	const fdt64_t *p = fdt_getprop(fdt, node(fdt, path), name, &len);

	if (!p)
		fail_msg("%s: no property %s", path, name);
	assert_int_equal(len, 8);
	assert_int_equal(fdt64_ld(p), val);
}

static void assert_no_prop(const void *fdt, const char *path, const char *name)
{
	assert_null(fdt_getprop(fdt, node(fdt, path), name, NULL));
}

static int count_subnodes(const void *fdt, int parent)
{
	int n = 0, child;

	fdt_for_each_subnode(child, fdt, parent)
		n++;
	return n;
}

static void test_root_chosen_memory(void **state)
{
	struct built *b = build(vm_dts, true, 0, 0);
	const void *fdt = b->dtb;
	const fdt64_t *reg;
	int len;

	assert_prop_u32(fdt, "/", "#address-cells", 2);
	assert_prop_u32(fdt, "/", "#size-cells", 2);
	assert_prop_str(fdt, "/", "compatible", "rvhv,virt");
	assert_prop_str(fdt, "/", "model", "rvhv virtual machine");
	assert_prop_str(fdt, "/chosen", "bootargs", "console=ttyS0 root=/dev/vda");
	assert_prop_str(fdt, "/chosen", "stdout-path", "/soc/serial@10000000");
	assert_no_prop(fdt, "/chosen", "linux,initrd-start");
	assert_no_prop(fdt, "/chosen", "linux,initrd-end");
	assert_prop_str(fdt, "/memory@80000000", "device_type", "memory");
	reg = fdt_getprop(fdt, node(fdt, "/memory@80000000"), "reg", &len);
	assert_non_null(reg);
	assert_int_equal(len, 16);
	assert_int_equal(fdt64_ld(&reg[0]), 0x80000000);
	assert_int_equal(fdt64_ld(&reg[1]), 128 << 20);
	/* The stdout-path must name a node that exists in the guest tree. */
	assert_prop_str(fdt, "/soc/serial@10000000", "compatible", "ns16550a");
	assert_int_equal(fdt_totalsize(fdt) <= sizeof(b->dtb), 1);
	release(b);
}

static void test_cpus(void **state)
{
	struct built *b = build(vm_dts, true, 0, 0);
	const void *fdt = b->dtb;
	char path[64];

	assert_prop_u32(fdt, "/cpus", "#address-cells", 1);
	assert_prop_u32(fdt, "/cpus", "#size-cells", 0);
	assert_prop_u32(fdt, "/cpus", "timebase-frequency", 10000000);
	assert_int_equal(count_subnodes(fdt, node(fdt, "/cpus")), 2);
	for (u32 n = 0; n < 2; n++) {
		snprintf(path, sizeof(path), "/cpus/cpu@%u", n);
		assert_prop_str(fdt, path, "device_type", "cpu");
		assert_prop_u32(fdt, path, "reg", n);
		assert_prop_str(fdt, path, "status", "okay");
		assert_prop_str(fdt, path, "compatible", "riscv");
		assert_prop_str(fdt, path, "riscv,isa", "rv64imafdc_zicsr_zifencei_zihintpause_sstc");
		assert_prop_str(fdt, path, "mmu-type", "riscv,sv48");
		strcat(path, "/interrupt-controller");
		assert_prop_u32(fdt, path, "#interrupt-cells", 1);
		assert_prop_str(fdt, path, "compatible", "riscv,cpu-intc");
		assert_prop_u32(fdt, path, "phandle", GUEST_INTC_PHANDLE + n);
		assert_non_null(fdt_getprop(fdt, node(fdt, path), "interrupt-controller", NULL));
		assert_int_equal(fdt_node_offset_by_phandle(fdt, GUEST_INTC_PHANDLE + n),
				 node(fdt, path));
	}
	release(b);
}

/* guest_isa() through the DTB: h out of the letters, Sh* always out, sstc on request. */
static void check_isa(const char *host_isa, bool sstc, const char *want)
{
	struct platform h = host;
	struct built *b = calloc(1, sizeof(*b));

	snprintf(h.isa, sizeof(h.isa), "%s", host_isa);
	parse_config(b, vm_dts);
	assert_int_equal(guest_dtb_build(b->dtb, sizeof(b->dtb), &b->vm, &h, sstc, 0, 0), 0);
	assert_prop_str(b->dtb, "/cpus/cpu@1", "riscv,isa", want);
	release(b);
}

static void test_isa_rewrite(void **state)
{
	check_isa("rv64imafdch_zicsr_sstc", false, "rv64imafdc_zicsr");
	check_isa("rv64imafdch_zicsr_sstc", true, "rv64imafdc_zicsr_sstc");
	check_isa("rv64imafdch_zicsr_zifencei_sstc_svinval", false, "rv64imafdc_zicsr_zifencei_svinval");
	check_isa("rv64imafdch", true, "rv64imafdc");
	check_isa("rv64imac", false, "rv64imac");
	check_isa("rv64hgc_sstc1p0_zba", false, "rv64gc_zba");
	check_isa("rv64i2p1m2p0h1p0c2p0_sstc_shcounterenw_shvstvala", true, "rv64i2p1m2p0c2p0_sstc");
	check_isa("RV64IMAFDCH_SSTC", false, "RV64IMAFDC");
	/* "sstcx" is another extension, not Sstc. */
	check_isa("rv64imafdch_sstcx", false, "rv64imafdc_sstcx");
}

/* src (config) and dst (guest) subtrees are equal: names, properties in order, subnodes. */
static void assert_same_tree(const void *src_fdt, int src, const void *dst_fdt, int dst)
{
	int sp, dp, sc, dc;

	assert_string_equal(fdt_get_name(src_fdt, src, NULL), fdt_get_name(dst_fdt, dst, NULL));
	dp = fdt_first_property_offset(dst_fdt, dst);
	fdt_for_each_property_offset(sp, src_fdt, src) {
		const char *sname, *dname;
		int slen, dlen;
		const void *sval = fdt_getprop_by_offset(src_fdt, sp, &sname, &slen);
		assert_true(dp >= 0);
		const void *dval = fdt_getprop_by_offset(dst_fdt, dp, &dname, &dlen);
		assert_string_equal(sname, dname);
		assert_int_equal(slen, dlen);
		assert_memory_equal(sval, dval, slen);
		dp = fdt_next_property_offset(dst_fdt, dp);
	}
	assert_int_equal(dp, -FDT_ERR_NOTFOUND);
	dc = fdt_first_subnode(dst_fdt, dst);
	fdt_for_each_subnode(sc, src_fdt, src) {
		assert_true(dc >= 0);
		assert_same_tree(src_fdt, sc, dst_fdt, dc);
		dc = fdt_next_subnode(dst_fdt, dc);
	}
	assert_int_equal(dc, -FDT_ERR_NOTFOUND);
}

static void test_soc_deep_copy(void **state)
{
	struct built *b = build(vm_dts, false, 0, 0);
	const void *fdt = b->dtb;
	int soc = node(fdt, "/soc"), dev, copy;
	const fdt32_t *ie;
	int len;

	assert_prop_u32(fdt, "/soc", "#address-cells", 2);
	assert_prop_u32(fdt, "/soc", "#size-cells", 2);
	assert_prop_str(fdt, "/soc", "compatible", "simple-bus");
	assert_non_null(fdt_getprop(fdt, soc, "ranges", &len));
	assert_int_equal(len, 0);
	assert_int_equal(count_subnodes(fdt, soc), 4);

	copy = fdt_first_subnode(fdt, soc);
	fdt_for_each_subnode(dev, b->config, b->vm.devices) {
		assert_same_tree(b->config, dev, fdt, copy);
		copy = fdt_next_subnode(fdt, copy);
	}
	assert_int_equal(copy, -FDT_ERR_NOTFOUND);

	/* Spot checks, by path, of what the walk compared. */
	assert_prop_str(fdt, "/soc/bus@20000000/child@0", "label", "deep");
	assert_prop_u32(fdt, "/soc/bus@20000000", "#address-cells", 1);
	ie = fdt_getprop(fdt, node(fdt, "/soc/bus@20000000/child@1000"), "reg", &len);
	assert_int_equal(len, 8);
	assert_int_equal(fdt32_ld(&ie[0]), 0x1000);
	assert_non_null(fdt_getprop(fdt, node(fdt, "/soc/bus@20000000/child@0/grandchild"), "flag",
				    NULL));
	ie = fdt_getprop(fdt, node(fdt, "/soc/plic@c000000"), "interrupts-extended", &len);
	assert_int_equal(len, 32);
	assert_int_equal(fdt32_ld(&ie[4]), GUEST_INTC_PHANDLE + 1);
	/* The UART's interrupt-parent still resolves to the copied PLIC. */
	ie = fdt_getprop(fdt, node(fdt, "/soc/serial@10000000"), "interrupt-parent", &len);
	assert_int_equal(len, 4);
	assert_int_equal(fdt_node_offset_by_phandle(fdt, fdt32_ld(ie)),
			 node(fdt, "/soc/plic@c000000"));
	release(b);
}

static void test_initrd(void **state)
{
	struct built *b = build(vm_dts, false, 0x87000000, 0x1234);

	assert_prop_u64(b->dtb, "/chosen", "linux,initrd-start", 0x87000000);
	assert_prop_u64(b->dtb, "/chosen", "linux,initrd-end", 0x87001234);
	release(b);
}

/* No devices, no bootargs, no mmu-type: those properties are left out, /soc stays. */
static void test_minimal(void **state)
{
	static const char dts[] = "/dts-v1/;\n/ { compatible = \"rvhv,config\";\n"
				  "  tiny { compatible = \"rvhv,vm\";\n"
				  "    memory = <0x1 0x0 0 0x200000>; image = [00]; };\n};\n";
	struct platform h = host;
	struct built *b = calloc(1, sizeof(*b));

	h.mmu_type[0] = '\0';
	parse_config(b, dts);
	assert_int_equal(guest_dtb_build(b->dtb, sizeof(b->dtb), &b->vm, &h, false, 0, 0), 0);
	assert_no_prop(b->dtb, "/chosen", "bootargs");
	assert_no_prop(b->dtb, "/chosen", "stdout-path");
	assert_no_prop(b->dtb, "/cpus/cpu@0", "mmu-type");
	assert_int_equal(count_subnodes(b->dtb, node(b->dtb, "/soc")), 0);
	assert_int_equal(count_subnodes(b->dtb, node(b->dtb, "/cpus")), 1);
	assert_prop_str(b->dtb, "/memory@100000000", "device_type", "memory");
	release(b);
}

static void test_stdout_nested(void **state)
{
	static const char dts[] =
		"/dts-v1/;\n/ { compatible = \"rvhv,config\";\n"
		"  v { compatible = \"rvhv,vm\"; memory = <0 0x80000000 0 0x200000>; image = [00];\n"
		"    devices { rtc@101000 { compatible = \"google,goldfish-rtc\"; };\n"
		"      bus@1 { port { uart@0 { compatible = \"vendor,uart\", \"ns16550a\"; }; }; };\n"
		"      serial@10000000 { compatible = \"ns16550a\"; }; }; };\n"
		"};\n";
	struct built *b = build(dts, false, 0, 0);

	assert_prop_str(b->dtb, "/chosen", "stdout-path", "/soc/bus@1/port/uart@0");
	node(b->dtb, "/soc/bus@1/port/uart@0");
	release(b);
}

/* Every buffer shorter than the tree fails with a libfdt error and stays inside it. */
static void test_buffer_too_small(void **state)
{
	struct built *b = build(vm_dts, true, 0x87000000, 0x1000);
	size_t need = fdt_totalsize(b->dtb);

	assert_true(need > 1000);
	for (size_t len = 0; len < need; len++) {
		void *buf = malloc(len ? len : 1);
		int rc = guest_dtb_build(buf, len, &b->vm, &host, true, 0x87000000, 0x1000);
		if (rc >= 0)
			fail_msg("len %zu of %zu: rc %d", len, need, rc);
		free(buf);
	}
	void *exact = malloc(need);
	assert_int_equal(guest_dtb_build(exact, need, &b->vm, &host, true, 0x87000000, 0x1000), 0);
	assert_memory_equal(exact, b->dtb, need);
	free(exact);
	assert_int_equal(guest_dtb_build(b->dtb, 512, &b->vm, &host, true, 0, 0), -FDT_ERR_NOSPACE);
	release(b);
}

/* A VM whose devices node holds `devices`: its guest DTB is refused with `want`. */
static void assert_build_fails(const char *devices, int want)
{
	char dts[1024];
	struct built *b = calloc(1, sizeof(*b));

	snprintf(dts, sizeof(dts),
		 "/dts-v1/;\n/ { compatible = \"rvhv,config\";\n"
		 "  v { compatible = \"rvhv,vm\"; memory = <0 0x80000000 0 0x200000>; image = [00];\n"
		 "    devices { %s }; };\n};\n",
		 devices);
	parse_config(b, dts);
	assert_int_equal(guest_dtb_build(b->dtb, sizeof(b->dtb), &b->vm, &host, false, 0, 0), want);
	release(b);
}

/* A device phandle equal to a cpu-intc's would make references ambiguous. */
static void test_phandle_clash(void **state)
{
	assert_build_fails("x@0 { phandle = <0x8003>; };", -FDT_ERR_BADPHANDLE);
}

/* rvhv,* properties configure rvhv (a disk image, a backend): none reaches the guest. */
static void test_rvhv_properties_not_copied(void **state)
{
	static const char dts[] =
		"/dts-v1/;\n"
		"/ { compatible = \"rvhv,config\";\n"
		"  vm { compatible = \"rvhv,vm\"; memory = <0 0x80000000 0 0x4000000>; image = [00];\n"
		"    devices { virtio_mmio@10001000 { compatible = \"virtio,mmio\";\n"
		"      reg = <0 0x10001000 0 0x1000>; interrupts = <1>; rvhv,device = \"blk\";\n"
		"      rvhv,backend = \"ram\"; rvhv,image = [00 01 02 03 04 05 06 07]; }; };\n"
		"  };\n"
		"};\n";
	struct built *b = build(dts, true, 0, 0);
	int off = node(b->dtb, "/soc/virtio_mmio@10001000");
	assert_prop_str(b->dtb, "/soc/virtio_mmio@10001000", "compatible", "virtio,mmio");
	assert_prop_u32(b->dtb, "/soc/virtio_mmio@10001000", "interrupts", 1);
	assert_null(fdt_getprop(b->dtb, off, "rvhv,device", NULL));
	assert_null(fdt_getprop(b->dtb, off, "rvhv,backend", NULL));
	assert_null(fdt_getprop(b->dtb, off, "rvhv,image", NULL));
	release(b);
}

/* A VM with a rvhv,pci bridge: two host functions, INTA..INTD on vPLIC 32..35. */
static const char pci_dts[] =
	"/dts-v1/;\n"
	"/ { compatible = \"rvhv,config\";\n"
	"  vm { compatible = \"rvhv,vm\"; memory = <0 0x80000000 0 0x4000000>; image = [00];\n"
	"    devices {\n"
	"      plic: plic@c000000 { compatible = \"riscv,plic0\"; reg = <0 0xc000000 0 0x600000>;\n"
	"        riscv,ndev = <40>; interrupt-controller; #interrupt-cells = <1>;\n"
	"        #address-cells = <0>; };\n"
	"      pci@30000000 { compatible = \"rvhv,pci\"; reg = <0 0x30000000 0 0x100000>;\n"
	"        rvhv,functions = <0x0008 0x0010>; rvhv,dma = \"identity\";\n"
	"        interrupt-parent = <&plic>; interrupts = <32 33 34 35>; };\n"
	"    };\n"
	"  };\n"
	"};\n";

static void assert_cells(const void *fdt, const char *path, const char *name, const u32 *want,
			 int n)
{
	int len;
	const fdt32_t *p = fdt_getprop(fdt, node(fdt, path), name, &len);

	if (!p)
		fail_msg("%s: no property %s", path, name);
	assert_int_equal(len, 4 * n);
	for (int i = 0; i < n; i++)
		if (fdt32_ld(&p[i]) != want[i])
			fail_msg("%s %s[%d]: 0x%x, want 0x%x", path, name, i, fdt32_ld(&p[i]),
				 want[i]);
}

static void test_pci_bridge(void **state)
{
	struct built *b = build(pci_dts, false, 0, 0);
	const void *fdt = b->dtb;
	const char *pci = "/soc/pci@30000000";
	const u32 reg[] = {0, 0x30000000, 0, 0x100000};
	const u32 bus_range[] = {0, 0};
	const u32 ranges[] = {0x02000000, 0, 0x40000000, 0, 0x40000000, 0, 0x40000000,
			      0x03000000, 4, 0,		 4, 0,		4, 0};
	const u32 mask[] = {0x1800, 0, 0, 7};
	u32 map[16 * 6];
	u32 plic = fdt_get_phandle(fdt, node(fdt, "/soc/plic@c000000"));
	int n = 0;

	assert_true(plic != 0);
	assert_prop_str(fdt, pci, "compatible", "pci-host-ecam-generic");
	assert_prop_str(fdt, pci, "device_type", "pci");
	assert_prop_u32(fdt, pci, "#address-cells", 3);
	assert_prop_u32(fdt, pci, "#size-cells", 2);
	assert_prop_u32(fdt, pci, "#interrupt-cells", 1);
	assert_prop_u32(fdt, pci, "linux,pci-domain", 0);
	assert_non_null(fdt_getprop(fdt, node(fdt, pci), "dma-coherent", NULL));
	assert_cells(fdt, pci, "reg", reg, 4);
	assert_cells(fdt, pci, "bus-range", bus_range, 2);
	assert_cells(fdt, pci, "ranges", ranges, 14);
	assert_cells(fdt, pci, "interrupt-map-mask", mask, 4);
	/* QEMU virt's swizzle: device d's pin p is source base + (d + p - 1) % 4. */
	for (u32 dev = 0; dev < 4; dev++)
		for (u32 pin = 1; pin <= 4; pin++) {
			const u32 entry[6] = {dev << 11, 0, 0, pin, plic, 32 + (dev + pin - 1) % 4};
			memcpy(&map[n], entry, sizeof(entry));
			n += 6;
		}
	assert_cells(fdt, pci, "interrupt-map", map, n);
	/* Nothing of the config node itself reaches the guest. */
	assert_no_prop(fdt, pci, "interrupts");
	assert_no_prop(fdt, pci, "interrupt-parent");
	assert_no_prop(fdt, pci, "rvhv,functions");
	assert_prop_u32(fdt, "/chosen", "linux,pci-probe-only", 1);
	assert_int_equal(count_subnodes(fdt, node(fdt, "/soc")), 2);
	release(b);

	/* Without a PCI bridge, Linux assigns BARs as usual. */
	b = build(vm_dts, false, 0, 0);
	assert_no_prop(b->dtb, "/chosen", "linux,pci-probe-only");
	release(b);
}

/* The windows the host has, no more: no 64-bit window, no 64-bit range. */
static void test_pci_no_mmio64(void **state)
{
	struct pci_host saved = pci_host;
	const u32 ranges[] = {0x02000000, 0, 0x40000000, 0, 0x40000000, 0, 0x40000000};

	pci_host.mmio64_base = pci_host.mmio64_size = 0;
	struct built *b = build(pci_dts, false, 0, 0);
	assert_cells(b->dtb, "/soc/pci@30000000", "ranges", ranges, 7);
	release(b);
	pci_host = saved;
}

/* A parent with address cells gets them (as zeros) in each interrupt-map entry. */
static void test_pci_parent_address_cells(void **state)
{
	char dts[sizeof(pci_dts)];
	struct built *b;
	int len;
	const fdt32_t *map;

	snprintf(dts, sizeof(dts), "%s", pci_dts);
	strchr(strstr(dts, "#address-cells = <0>"), '0')[0] = '2';
	b = build(dts, false, 0, 0);
	map = fdt_getprop(b->dtb, node(b->dtb, "/soc/pci@30000000"), "interrupt-map", &len);
	assert_int_equal(len, 16 * 8 * 4);
	assert_int_equal(fdt32_ld(&map[5]), 0);
	assert_int_equal(fdt32_ld(&map[6]), 0);
	assert_int_equal(fdt32_ld(&map[7]), 32);
	assert_int_equal(fdt32_ld(&map[8 + 7]), 33);
	release(b);
}

/* A bridge with no usable interrupts is refused, not written half. */
static void test_pci_malformed(void **state)
{
	assert_build_fails(
		"pci@30000000 { compatible = \"rvhv,pci\"; reg = <0 0x30000000 0 0x100000>;"
		" interrupts = <32 33>; };",
		-FDT_ERR_BADVALUE);
	/* interrupt-parent names no node */
	assert_build_fails(
		"pci@30000000 { compatible = \"rvhv,pci\"; reg = <0 0x30000000 0 0x100000>;"
		" interrupt-parent = <0x77>; interrupts = <32 33 34 35>; };",
		-FDT_ERR_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_chosen_memory),
		cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_isa_rewrite),
		cmocka_unit_test(test_soc_deep_copy),
		cmocka_unit_test(test_initrd),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_stdout_nested),
		cmocka_unit_test(test_buffer_too_small),
		cmocka_unit_test(test_phandle_clash),
		cmocka_unit_test(test_rvhv_properties_not_copied),
		cmocka_unit_test(test_pci_bridge),
		cmocka_unit_test(test_pci_no_mmio64),
		cmocka_unit_test(test_pci_parent_address_cells),
		cmocka_unit_test(test_pci_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
