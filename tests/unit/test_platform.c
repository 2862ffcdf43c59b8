/*
 * platform_parse() and isa_has() on device trees compiled with dtc at test
 * time (modelled on QEMU virt + OpenSBI), and on QEMU's own DTB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#include <libfdt.h>

#include "kernel/platform.h"

#include "tests/unit/dtc.h"

/* A QEMU virt-like tree; %s are the cpus and the chosen nodes' contents. */
static const char virt_fmt[] =
	"/dts-v1/;\n"
	"/memreserve/ 0x8f000000 0x1000;\n"
	"/ {\n"
	"  #address-cells = <2>; #size-cells = <2>; compatible = \"riscv-virtio\";\n"
	"  chosen { %s };\n"
	"  aliases { serial0 = &uart0; serial1 = &uart1; };\n"
	"  reserved-memory { #address-cells = <2>; #size-cells = <2>; ranges;\n"
	"    mmode_resv0@80000000 { reg = <0 0x80000000 0 0x40000>; no-map; };\n"
	"    off@81000000 { reg = <0 0x81000000 0 0x1000>; status = \"disabled\"; };\n"
	"    dyn { size = <0 0x100000>; };\n"
	"  };\n"
	"  memory@80000000 { device_type = \"memory\"; reg = <0 0x80000000 0 0x10000000>; };\n"
	"  cpus { #address-cells = <1>; #size-cells = <0>; timebase-frequency = <10000000>;\n"
	"    %s\n"
	"    cpu-map { cluster0 { core0 { cpu = <&cpu0>; }; }; };\n"
	"  };\n"
	"  soc { #address-cells = <2>; #size-cells = <2>; compatible = \"simple-bus\"; ranges;\n"
	"    test@100000 { compatible = \"sifive,test1\", \"sifive,test0\", \"syscon\";\n"
	"      reg = <0 0x100000 0 0x1000>; };\n"
	"    uart0: serial@10000000 { compatible = \"ns16550a\"; reg = <0 0x10000000 0 0x100>;\n"
	"      interrupts = <10>; clock-frequency = <3686400>; };\n"
	"    uart1: serial@10010000 { compatible = \"ns16550a\"; reg = <0 0x10010000 0 0x100>;\n"
	"      interrupts = <12>; clock-frequency = <1843200>; };\n"
	"    pci@30000000 { compatible = \"pci-host-ecam-generic\"; device_type = \"pci\";\n"
	"      #address-cells = <3>; #size-cells = <2>; reg = <0 0x30000000 0 0x10000000>; };\n"
	"    virtio_mmio@10008000 { compatible = \"virtio,mmio\"; reg = <0 0x10008000 0 0x1000>; interrupts = <8>; };\n"
	"    virtio_mmio@10007000 { compatible = \"virtio,mmio\"; reg = <0 0x10007000 0 0x1000>; interrupts = <7>; };\n"
	"    virtio_mmio@10006000 { compatible = \"virtio,mmio\"; reg = <0 0x10006000 0 0x1000>; interrupts = <6>; };\n"
	"    virtio_mmio@10005000 { compatible = \"virtio,mmio\"; reg = <0 0x10005000 0 0x1000>; interrupts = <5>; };\n"
	"    virtio_mmio@10004000 { compatible = \"virtio,mmio\"; reg = <0 0x10004000 0 0x1000>; interrupts = <4>; };\n"
	"    virtio_mmio@10003000 { compatible = \"virtio,mmio\"; reg = <0 0x10003000 0 0x1000>; interrupts = <3>; };\n"
	"    virtio_mmio@10002000 { compatible = \"virtio,mmio\"; reg = <0 0x10002000 0 0x1000>; interrupts = <2>; };\n"
	"    virtio_mmio@10001000 { compatible = \"virtio,mmio\"; reg = <0 0x10001000 0 0x1000>; interrupts = <1>; };\n"
	"    virtio_mmio@10009000 { compatible = \"virtio,mmio\"; reg = <0 0x10009000 0 0x1000>; interrupts = <9>;\n"
	"      status = \"disabled\"; };\n"
	"    plic@c000000 { compatible = \"sifive,plic-1.0.0\", \"riscv,plic0\"; riscv,ndev = <0x60>;\n"
	"      reg = <0 0xc000000 0 0x600000>; interrupt-controller; #interrupt-cells = <1>; };\n"
	"    clint@2000000 { compatible = \"sifive,clint0\", \"riscv,clint0\";\n"
	"      reg = <0 0x2000000 0 0x10000>; };\n"
	"  };\n"
	"};\n";

#define CPU(n, status, isa)                                                              \
	"cpu" #n ": cpu@" #n " { device_type = \"cpu\"; reg = <" #n ">; status = \"" status \
	"\"; compatible = \"riscv\"; riscv,isa = \"" isa "\"; mmu-type = \"riscv,sv48\";"  \
	" intc" #n ": interrupt-controller { #interrupt-cells = <1>; interrupt-controller;" \
	" compatible = \"riscv,cpu-intc\"; }; };\n"

#define ISA_H "rv64imafdch_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc"
#define TWO_CPUS CPU(0, "okay", ISA_H) CPU(1, "okay", ISA_H)
#define TEN_CPUS                                                                      \
	TWO_CPUS CPU(2, "okay", ISA_H) CPU(3, "okay", ISA_H) CPU(4, "okay", ISA_H)     \
	CPU(5, "okay", ISA_H) CPU(6, "okay", ISA_H) CPU(7, "okay", ISA_H)              \
	CPU(8, "okay", ISA_H) CPU(9, "okay", ISA_H)
#define CHOSEN "stdout-path = \"/soc/serial@10000000\"; bootargs = \"console=hvc0\";"

static void *virt_dtb(const char *chosen, const char *cpus)
{
	char dts[8192];

	assert_true((size_t)snprintf(dts, sizeof(dts), virt_fmt, chosen, cpus) < sizeof(dts));
	return dtc_compile(dts);
}

/* Parse a virt-like tree that must be accepted; returns the blob (p points into it). */
static void *parse_ok(const char *chosen, const char *cpus, struct platform *p)
{
	char err[128] = "";
	void *fdt = virt_dtb(chosen, cpus);
	int rc = platform_parse(fdt, p, err, sizeof(err));

	if (rc)
		fail_msg("unexpected error: %s", err);
	return fdt;
}

static void test_virt(void **state)
{
	struct platform p;
	void *fdt;

	fdt = parse_ok(CHOSEN, TWO_CPUS, &p);
	assert_int_equal(p.ram.base, 0x80000000);
	assert_int_equal(p.ram.size, 256 << 20);
	assert_int_equal(p.nharts, 2);
	assert_int_equal(p.hartid[0], 0);
	assert_int_equal(p.hartid[1], 1);
	assert_string_equal(p.isa, ISA_H);
	assert_string_equal(p.mmu_type, "riscv,sv48");
	assert_true(p.has_h);
	assert_true(p.has_sstc);
	assert_int_equal(p.timebase, 10000000);
	assert_string_equal(p.bootargs, "console=hvc0");
	assert_int_equal(p.initrd_start, 0);
	assert_int_equal(p.initrd_end, 0);
	free(fdt);
}

static void test_virt_devices(void **state)
{
	struct platform p;
	void *fdt;

	fdt = parse_ok(CHOSEN, TWO_CPUS, &p);
	assert_int_equal(p.uart_base, 0x10000000);
	assert_int_equal(p.uart_size, 0x100);
	assert_int_equal(p.uart_irq, 10);
	assert_int_equal(p.uart_clock, 3686400);
	assert_int_equal(p.plic_base, 0xc000000);
	assert_int_equal(p.plic_size, 0x600000);
	assert_int_equal(p.plic_ndev, 0x60);
	assert_int_equal(p.clint_base, 0x2000000);
	assert_int_equal(p.clint_size, 0x10000);
	assert_int_equal(p.test_base, 0x100000);
	assert_int_equal(p.pcie_ecam_base, 0x30000000);
	assert_int_equal(p.pcie_ecam_size, 0x10000000);
	free(fdt);
}

/* Slots come sorted by address; the disabled one at 0x10009000 is left out. */
static void test_virt_virtio_sorted(void **state)
{
	struct platform p;
	void *fdt;

	fdt = parse_ok(CHOSEN, TWO_CPUS, &p);
	assert_int_equal(p.nvirtio, 8);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(p.virtio[i].base, 0x10001000 + 0x1000 * i);
		assert_int_equal(p.virtio[i].size, 0x1000);
		assert_int_equal(p.virtio_irq[i], i + 1);
	}
	free(fdt);
}

/* memreserve first, then enabled /reserved-memory children with a reg. */
static void test_virt_reserved(void **state)
{
	struct platform p;
	void *fdt;

	fdt = parse_ok(CHOSEN, TWO_CPUS, &p);
	assert_int_equal(p.nreserved, 2);
	assert_int_equal(p.reserved[0].base, 0x8f000000);
	assert_int_equal(p.reserved[0].size, 0x1000);
	assert_int_equal(p.reserved[1].base, 0x80000000);
	assert_int_equal(p.reserved[1].size, 0x40000);
	free(fdt);
}

static void test_stdout_path_preferred(void **state)
{
	struct platform p;
	void *fdt;

	fdt = parse_ok("stdout-path = \"/soc/serial@10010000:115200n8\";", TWO_CPUS, &p);
	assert_int_equal(p.uart_base, 0x10010000);
	assert_int_equal(p.uart_irq, 12);
	assert_int_equal(p.uart_clock, 1843200);
	assert_null(p.bootargs);

	free(fdt);
	fdt = parse_ok("stdout-path = \"serial1\";", TWO_CPUS, &p);
	assert_int_equal(p.uart_base, 0x10010000);

	/* No stdout-path: the first ns16550a in DT order. */
	free(fdt);
	fdt = parse_ok("", TWO_CPUS, &p);
	assert_int_equal(p.uart_base, 0x10000000);
	assert_int_equal(p.uart_irq, 10);
	free(fdt);
}

static void test_disabled_hart(void **state)
{
	struct platform p;
	void *fdt;

	fdt = parse_ok(CHOSEN,
		 CPU(0, "disabled", "rv64imac") CPU(1, "okay", ISA_H) CPU(2, "okay", "rv64imac"), &p);
	assert_int_equal(p.nharts, 2);
	assert_int_equal(p.hartid[0], 1);
	assert_int_equal(p.hartid[1], 2);
	/* The ISA is the first enabled hart's, not the disabled cpu@0's. */
	assert_true(p.has_h);
	assert_string_equal(p.isa, ISA_H);
	free(fdt);
}

static void test_too_many_harts(void **state)
{
	struct platform p;
	void *fdt;

	fdt = parse_ok(CHOSEN, TEN_CPUS, &p);
	assert_int_equal(p.nharts, MAX_HARTS);
	assert_int_equal(p.hartid[MAX_HARTS - 1], MAX_HARTS - 1);
	free(fdt);
}

static void test_no_sstc_no_h(void **state)
{
	struct platform p;
	void *fdt;

	fdt = parse_ok(CHOSEN, CPU(0, "okay", "rv64imafdc_zicsr"), &p);
	assert_false(p.has_h);
	assert_false(p.has_sstc);
	assert_int_equal(p.nharts, 1);
	free(fdt);
}

static void test_initrd_cells(void **state)
{
	struct platform p;
	void *fdt;

	fdt = parse_ok("linux,initrd-start = <0x88000000>; linux,initrd-end = <0x88001234>;", TWO_CPUS,
		 &p);
	assert_int_equal(p.initrd_start, 0x88000000);
	assert_int_equal(p.initrd_end, 0x88001234);

	free(fdt);
	fdt = parse_ok("linux,initrd-start = /bits/ 64 <0x100000000>;"
		 "linux,initrd-end = /bits/ 64 <0x100204000>;",
		 TWO_CPUS, &p);
	assert_int_equal(p.initrd_start, 0x100000000ULL);
	assert_int_equal(p.initrd_end, 0x100204000ULL);
	free(fdt);
}

/* The long ISA strings of newer QEMUs: cut at an '_', has_* from the whole string. */
static void test_long_isa(void **state)
{
	struct platform p;
	void *fdt;
	char cpus[1024];
	char isa[400] = "rv64imafdch";

	while (strlen(isa) < 300)
		strcat(isa, "_zicbom_zicboz");
	strcat(isa, "_sstc");
	snprintf(cpus, sizeof(cpus),
		 "cpu0: cpu@0 { device_type = \"cpu\"; reg = <0>; riscv,isa = \"%s\"; };", isa);
	fdt = parse_ok(CHOSEN, cpus, &p);
	assert_true(p.has_sstc);
	assert_true(strlen(p.isa) < sizeof(p.isa));
	assert_true(strlen(p.isa) > sizeof(p.isa) - 16);
	assert_memory_equal(p.isa, isa, strlen(p.isa));
	assert_int_equal(isa[strlen(p.isa)], '_');
	assert_string_equal(p.mmu_type, "");
	free(fdt);
}

static const char small_fmt[] = "/dts-v1/;\n"
				"/ { #address-cells = <2>; #size-cells = <2>;\n"
				"  %s\n"
				"};\n";

/* platform_parse must fail, with `what` in the message. */
static void parse_fails(const char *body, const char *what)
{
	char dts[2048], err[128] = "";
	struct platform p;
	void *fdt;

	snprintf(dts, sizeof(dts), small_fmt, body);
	fdt = dtc_compile(dts);
	assert_true(platform_parse(fdt, &p, err, sizeof(err)) < 0);
	free(fdt);
	if (!strstr(err, what))
		fail_msg("error \"%s\" does not mention \"%s\"", err, what);
}

#define MEM "memory@80000000 { device_type = \"memory\"; reg = <0 0x80000000 0 0x8000000>; };"
#define CPUS_OPEN "cpus { #address-cells = <1>; #size-cells = <0>; timebase-frequency = <10000000>;"

static void test_errors(void **state)
{
	char err[128] = "";
	struct platform p;
	static const char junk[64] = "not a device tree";

	parse_fails(CPUS_OPEN CPU(0, "okay", ISA_H) "};", "memory");
	parse_fails(MEM, "/cpus");
	parse_fails(MEM CPUS_OPEN CPU(0, "disabled", ISA_H) "};", "no enabled hart");
	parse_fails(MEM CPUS_OPEN "cpu@0 { device_type = \"cpu\"; reg = <0>; }; };", "riscv,isa");
	parse_fails(MEM "cpus { #address-cells = <1>; #size-cells = <0>; " CPU(0, "okay", ISA_H) "};",
		    "timebase");
	parse_fails("memory@0 { device_type = \"memory\"; };", "reg");
	assert_true(platform_parse(junk, &p, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "bad header"));
}

/* Minimal tree: 32-bit cells at the root, a timebase in the cpu node, no devices at all. */
static void test_minimal_one_cell(void **state)
{
	char dts[2048], err[128] = "";
	struct platform p;
	void *fdt;

	snprintf(dts, sizeof(dts),
		 "/dts-v1/;\n/ { #address-cells = <1>; #size-cells = <1>;\n"
		 "  memory@40000000 { device_type = \"memory\"; reg = <0x40000000 0x20000000>; };\n"
		 "  cpus { #address-cells = <1>; #size-cells = <0>;\n"
		 "    cpu@3 { device_type = \"cpu\"; reg = <3>; riscv,isa = \"rv64gch\";\n"
		 "      timebase-frequency = <4000000>; }; };\n"
		 "};\n");
	fdt = dtc_compile(dts);
	assert_int_equal(platform_parse(fdt, &p, err, sizeof(err)), 0);
	free(fdt);
	assert_int_equal(p.ram.base, 0x40000000);
	assert_int_equal(p.ram.size, 0x20000000);
	assert_int_equal(p.nharts, 1);
	assert_int_equal(p.hartid[0], 3);
	assert_int_equal(p.timebase, 4000000);
	assert_true(p.has_h);
	assert_int_equal(p.uart_base, 0);
	assert_int_equal(p.plic_base, 0);
	assert_int_equal(p.nvirtio, 0);
	assert_int_equal(p.pcie_ecam_base, 0);
	assert_int_equal(p.nreserved, 0);
}

/* The DTB QEMU 7.2 itself generates for virt with 2 harts and 256 MiB. */
static void test_qemu_dtb(void **state)
{
	char path[] = "/tmp/rvhv-qemu-XXXXXX", cmd[256], err[128] = "";
	struct platform p;
	static char blob[1 << 20];
	int fd = mkstemp(path);
	FILE *f;
	size_t n;

	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "qemu-system-riscv64 -machine virt -smp 2 -m 256M -machine dumpdtb=%s "
		 ">/dev/null 2>&1",
		 path);
	if (system(cmd) != 0) {
		unlink(path);
		skip();
	}
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(blob, 1, sizeof(blob), f);
	fclose(f);
	unlink(path);
	assert_true(n > 0);
	assert_int_equal(platform_parse(blob, &p, err, sizeof(err)), 0);
	assert_int_equal(p.ram.base, 0x80000000);
	assert_int_equal(p.ram.size, 256 << 20);
	assert_int_equal(p.nharts, 2);
	assert_true(p.has_h);
	assert_true(p.has_sstc);
	assert_int_equal(p.timebase, 10000000);
	assert_int_equal(p.uart_base, 0x10000000);
	assert_int_equal(p.uart_irq, 10);
	assert_int_equal(p.uart_clock, 3686400);
	assert_int_equal(p.plic_base, 0xc000000);
	assert_int_equal(p.clint_base, 0x2000000);
	assert_int_equal(p.test_base, 0x100000);
	assert_int_equal(p.nvirtio, 8);
	assert_int_equal(p.virtio[0].base, 0x10001000);
	assert_int_equal(p.virtio_irq[0], 1);
	assert_int_equal(p.virtio[7].base, 0x10008000);
	assert_int_equal(p.virtio_irq[7], 8);
	assert_int_equal(p.pcie_ecam_base, 0x30000000);
}

static void test_isa_has(void **state)
{
	const char *isa = "rv64imafdch_zicsr_sstc";

	assert_true(isa_has(isa, "h"));
	assert_true(isa_has(isa, "c"));
	assert_true(isa_has(isa, "i"));
	assert_true(isa_has(isa, "sstc"));
	assert_true(isa_has(isa, "zicsr"));
	assert_false(isa_has(isa, "ss"));
	assert_false(isa_has(isa, "zics"));
	assert_false(isa_has(isa, "zicsrx"));
	assert_false(isa_has(isa, "v"));
	/* "s" is a letter of "sstc", but that is past the single-letter part. */
	assert_false(isa_has(isa, "s"));
	/* "r" and "v" of the "rv" prefix and the digits are no extensions. */
	assert_false(isa_has("rv64imac", "r"));
	assert_false(isa_has("rv64imac", "h"));
	assert_false(isa_has("rv64imac", ""));
	assert_false(isa_has("", "i"));
	assert_false(isa_has("x86_64", "sstc"));
}

static void test_isa_has_forms(void **state)
{
	/* G = IMAFD + Zicsr + Zifencei. */
	assert_true(isa_has("rv64gc", "f"));
	assert_true(isa_has("rv64gc", "d"));
	assert_true(isa_has("rv64gc", "zicsr"));
	assert_true(isa_has("rv64gc", "zifencei"));
	assert_false(isa_has("rv64gc", "h"));
	assert_false(isa_has("rv64gc", "zba"));
	/* Versions: the 'p' of "2p0" is not the P extension. */
	assert_true(isa_has("rv64i2p1m2p0_zicsr2p0", "m"));
	assert_false(isa_has("rv64i2p1m2p0_zicsr2p0", "p"));
	assert_true(isa_has("rv64i2p1m2p0_zicsr2p0", "zicsr"));
	assert_false(isa_has("rv64i2p1m2p0_zicsr2q0", "zicsr"));
	/* Upper case and a lone underscore. */
	assert_true(isa_has("RV64IMAFDCH_SSTC", "h"));
	assert_true(isa_has("RV64IMAFDCH_SSTC", "sstc"));
	assert_true(isa_has("rv64imac__sstc", "sstc"));
	assert_true(isa_token_is("Sstc1p0", 7, "sstc"));
	assert_false(isa_token_is("sstc", 3, "sstc"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virt),
		cmocka_unit_test(test_virt_devices),
		cmocka_unit_test(test_virt_virtio_sorted),
		cmocka_unit_test(test_virt_reserved),
		cmocka_unit_test(test_stdout_path_preferred),
		cmocka_unit_test(test_disabled_hart),
		cmocka_unit_test(test_too_many_harts),
		cmocka_unit_test(test_no_sstc_no_h),
		cmocka_unit_test(test_initrd_cells),
		cmocka_unit_test(test_long_isa),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_minimal_one_cell),
		cmocka_unit_test(test_qemu_dtb),
		cmocka_unit_test(test_isa_has),
		cmocka_unit_test(test_isa_has_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
