/* config_parse() on VM configs compiled with dtc at test time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#include <libfdt.h>

#include "kernel/config.h"

#include "tests/unit/dtc.h"

/* A config blob whose root node holds `body`. */
static void *config_blob(const char *body)
{
	char dts[4096];

	assert_true((size_t)snprintf(dts, sizeof(dts),
				     "/dts-v1/;\n/ { compatible = \"rvhv,config\";\n%s\n};\n",
				     body) < sizeof(dts));
	return dtc_compile(dts);
}

#define MEM128 "memory = <0 0x80000000 0 0x8000000>;"
#define ELF_BYTES "image = [7f 45 4c 46 02 01 01 00];"

static const char two_vms[] =
	"linux@0 { compatible = \"rvhv,vm\"; boot = \"supervisor\"; cpus = <2>; harts = <1 0>;\n"
	"  " MEM128 " " ELF_BYTES " image-addr = <0 0x80400000>;\n"
	"  initrd = [01 02 03]; bootargs = \"console=ttyS0 earlycon\";\n"
	"  devices { serial@10000000 { compatible = \"ns16550a\"; reg = <0 0x10000000 0 0x100>; };\n"
	"    low@7ffff000 { reg = <0 0x7ffff000 0 0x1000>; };\n"
	"    high@88000000 { reg = <0 0x88000000 0 0x1000>; };\n"
	"    bus { nested@1 { reg = <1>; }; }; };\n"
	"};\n"
	"notes { text = \"not a VM\"; };\n"
	"xv6 { compatible = \"rvhv,vm\"; boot = \"machine\"; cpus = <3>;\n"
	"  memory = <0 0x80000000 0 0x200000>; image = \"xv6\"; };\n";

static void test_two_vms(void **state)
{
	static const unsigned char elf[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
	struct vm_config vms[MAX_VMS];
	char err[160] = "";
	void *fdt = config_blob(two_vms);
	int n = config_parse(fdt, vms, MAX_VMS, err, sizeof(err));

	if (n < 0)
		fail_msg("unexpected error: %s", err);
	assert_int_equal(n, 2);

	assert_string_equal(vms[0].name, "linux");
	assert_int_equal(vms[0].boot, BOOT_SUPERVISOR);
	assert_int_equal(vms[0].ncpus, 2);
	assert_int_equal(vms[0].harts[0], 1);
	assert_int_equal(vms[0].harts[1], 0);
	assert_int_equal(vms[0].harts[2], -1);
	assert_int_equal(vms[0].mem_base, 0x80000000);
	assert_int_equal(vms[0].mem_size, 128 << 20);
	assert_int_equal(vms[0].image_size, sizeof(elf));
	assert_memory_equal(vms[0].image, elf, sizeof(elf));
	assert_int_equal(vms[0].image_addr, 0x80400000);
	assert_int_equal(vms[0].initrd_size, 3);
	assert_memory_equal(vms[0].initrd, "\x01\x02\x03", 3);
	assert_string_equal(vms[0].bootargs, "console=ttyS0 earlycon");
	assert_ptr_equal(vms[0].fdt, fdt);
	assert_true(vms[0].devices > 0);
	assert_string_equal(fdt_get_name(fdt, vms[0].devices, NULL), "devices");

	assert_string_equal(vms[1].name, "xv6");
	assert_int_equal(vms[1].boot, BOOT_MACHINE);
	assert_int_equal(vms[1].ncpus, 3);
	for (int i = 0; i < MAX_VCPUS; i++)
		assert_int_equal(vms[1].harts[i], -1);
	assert_int_equal(vms[1].mem_size, 2 << 20);
	assert_int_equal(vms[1].image_size, 4);
	assert_string_equal(vms[1].image, "xv6");
	assert_null(vms[1].initrd);
	assert_int_equal(vms[1].initrd_size, 0);
	assert_null(vms[1].bootargs);
	assert_int_equal(vms[1].devices, -1);
	free(fdt);
}

static void test_defaults(void **state)
{
	struct vm_config vm;
	char err[160] = "";
	void *fdt = config_blob("solo { compatible = \"rvhv,vm\"; memory = <0x1 0x0 0 0x4000000>;"
				" image = [00 01]; };");

	assert_int_equal(config_parse(fdt, &vm, 1, err, sizeof(err)), 1);
	assert_string_equal(vm.name, "solo");
	assert_int_equal(vm.boot, BOOT_SUPERVISOR);
	assert_int_equal(vm.ncpus, 1);
	for (int i = 0; i < MAX_VCPUS; i++)
		assert_int_equal(vm.harts[i], -1);
	assert_int_equal(vm.mem_base, 0x100000000ULL);
	assert_int_equal(vm.mem_size, 64 << 20);
	assert_int_equal(vm.image_addr, 0x100200000ULL);
	assert_int_equal(vm.image_size, 2);
	assert_null(vm.initrd);
	assert_null(vm.bootargs);
	assert_int_equal(vm.devices, -1);
	free(fdt);
}

/* The last byte of memory is a valid image-addr; a one-cell image-addr is accepted. */
static void test_image_addr_edges(void **state)
{
	char err[160] = "";
	void *fdt = config_blob("v { compatible = \"rvhv,vm\"; " MEM128 ELF_BYTES
				" image-addr = <0 0x87ffffff>; };"
				"w { compatible = \"rvhv,vm\"; " MEM128 ELF_BYTES
				" image-addr = <0x80000000>; };");
	struct vm_config vms[2];

	assert_int_equal(config_parse(fdt, vms, 2, err, sizeof(err)), 2);
	assert_int_equal(vms[0].image_addr, 0x87ffffff);
	assert_int_equal(vms[1].image_addr, 0x80000000);
	free(fdt);
}

/* config_parse(body) must fail with every one of want[] in the message. */
static void expect_error(const char *body, int max, const char *want1, const char *want2)
{
	struct vm_config vms[MAX_VMS];
	char err[200] = "";
	void *fdt = config_blob(body);
	int rc = config_parse(fdt, vms, max, err, sizeof(err));

	free(fdt);
	if (rc >= 0)
		fail_msg("accepted (%d VMs), expected an error about %s", rc, want1);
	if (!strstr(err, want1) || (want2 && !strstr(err, want2)))
		fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", err, want1, want2 ? want2 : "");
}

#define VM(name, props) name " { compatible = \"rvhv,vm\"; " props " };\n"

static void test_memory_errors(void **state)
{
	struct vm_config vm;
	char err[200] = "";
	void *fdt = config_blob(VM("foo@1", "memory = <0 0x80100000 0 0x800000>;" ELF_BYTES));

	/* The whole message, once. */
	assert_int_equal(config_parse(fdt, &vm, 1, err, sizeof(err)), -1);
	assert_string_equal(err, "vm 'foo': memory: base 0x80100000 not 2 MiB aligned");
	free(fdt);

	expect_error(VM("foo", "memory = <0 0x80000000 0 0x100000>;" ELF_BYTES), 8, "vm 'foo': ",
		     "memory: size 0x100000");
	expect_error(VM("foo", "memory = <0 0x80000000 0 0>;" ELF_BYTES), 8, "vm 'foo': ",
		     "memory: size 0x0");
	expect_error(VM("foo", ELF_BYTES), 8, "vm 'foo': ", "memory: missing");
	expect_error(VM("foo", "memory = <0x80000000 0x8000000>;" ELF_BYTES), 8, "vm 'foo': ",
		     "memory: expected");
	expect_error(VM("foo", "memory = <0xffffffff 0xffe00000 0 0x400000>;" ELF_BYTES), 8,
		     "vm 'foo': ", "memory: base 0xffffffffffe00000 + size 0x400000 overflows");
}

static void test_image_errors(void **state)
{
	expect_error(VM("img", MEM128), 8, "vm 'img': ", "image: missing");
	expect_error(VM("img", MEM128 "image = [];"), 8, "vm 'img': ", "image: empty");
	expect_error(VM("img", MEM128 ELF_BYTES "image-addr = <0 0x88000000>;"), 8, "vm 'img': ",
		     "image-addr: 0x88000000 outside memory 0x80000000..0x87ffffff");
	expect_error(VM("img", MEM128 ELF_BYTES "image-addr = <0 0x7fe00000>;"), 8, "vm 'img': ",
		     "image-addr: 0x7fe00000 outside");
	expect_error(VM("img", MEM128 ELF_BYTES "image-addr = <0 0 0x80200000>;"), 8, "vm 'img': ",
		     "image-addr: expected");
	expect_error(VM("img", MEM128 ELF_BYTES "initrd = [];"), 8, "vm 'img': ", "initrd: empty");
	expect_error(VM("img", MEM128 ELF_BYTES "bootargs = <1>;"), 8, "vm 'img': ",
		     "bootargs: not a single string");
}

static void test_cpu_errors(void **state)
{
	expect_error(VM("c", MEM128 ELF_BYTES "cpus = <0>;"), 8, "vm 'c': ", "cpus: 0, must be 1..8");
	expect_error(VM("c", MEM128 ELF_BYTES "cpus = <9>;"), 8, "vm 'c': ", "cpus: 9, must be 1..8");
	expect_error(VM("c", MEM128 ELF_BYTES "cpus = <1 2>;"), 8, "vm 'c': ", "cpus: expected one cell");
	expect_error(VM("c", MEM128 ELF_BYTES "cpus = <2>; harts = <0>;"), 8, "vm 'c': ",
		     "harts: 4 bytes for 2 cpus");
	expect_error(VM("c", MEM128 ELF_BYTES "cpus = <1>; harts = <0 1>;"), 8, "vm 'c': ",
		     "harts: 8 bytes for 1 cpus");
	expect_error(VM("c", MEM128 ELF_BYTES "cpus = <2>; harts = <0 8>;"), 8, "vm 'c': ",
		     "harts: entry 1 is hart 8");
	expect_error(VM("c", MEM128 ELF_BYTES "boot = \"hyper\";"), 8, "vm 'c': ",
		     "boot: unknown value \"hyper\"");
	expect_error(VM("c", MEM128 ELF_BYTES "boot = \"machine\", \"supervisor\";"), 8, "vm 'c': ",
		     "boot: not a single string");
}

static void test_device_errors(void **state)
{
	expect_error(VM("d", MEM128 ELF_BYTES
			"devices { ram@87fff000 { reg = <0 0x10000000 0 0x1000 0 0x87fff000 0 0x2000>; }; };"),
		     8, "vm 'd': ",
		     "devices/ram@87fff000: reg 0x87fff000..0x88000fff overlaps memory "
		     "0x80000000..0x87ffffff");
	expect_error(VM("d", MEM128 ELF_BYTES "devices { b@87ffffff { reg = <0 0x87ffffff 0 1>; }; };"),
		     8, "vm 'd': ", "devices/b@87ffffff: reg 0x87ffffff..0x87ffffff overlaps");
	/* A device covering all of RAM and more. */
	expect_error(VM("d", MEM128 ELF_BYTES "devices { big@0 { reg = <0 0 1 0>; }; };"), 8,
		     "vm 'd': ", "devices/big@0: reg 0x0..0xffffffff overlaps");
	expect_error(VM("d", MEM128 ELF_BYTES "devices { odd@0 { reg = <0x10000000 0x100>; }; };"), 8,
		     "vm 'd': ", "devices/odd@0: reg: expected");
	expect_error(VM("d", MEM128 ELF_BYTES
			"devices { #address-cells = <1>; uart@0 { reg = <0 0 0 0>; }; };"),
		     8, "vm 'd': ", "devices: #address-cells must be 2");
	expect_error(VM("d", MEM128 ELF_BYTES
			"devices { wrap@0 { reg = <0xffffffff 0xfffff000 0 0x2000>; }; };"),
		     8, "vm 'd': ", "devices/wrap@0: reg 0xfffffffffffff000 + 0x2000 overflows");
}

static void test_config_errors(void **state)
{
	char err[200] = "";
	struct vm_config vms[2];
	void *fdt;

	expect_error(VM("a@0", MEM128 ELF_BYTES) VM("a@1", MEM128 ELF_BYTES), 8, "vm 'a': ",
		     "name used by two VMs");
	expect_error(VM("a", MEM128 ELF_BYTES) VM("b", MEM128 ELF_BYTES), 1, "config: more than 1 VMs",
		     NULL);
	expect_error("other { compatible = \"something\"; };", 8, "config: no VM", NULL);
	expect_error(VM("abcdefghijklmnopqrstuvwxyz0123456789@0", MEM128 ELF_BYTES), 8,
		     "vm node 'abcdefghijklmnopqrstuvwxyz0123456789@0'", "1..31 characters");
	/* A later VM's error names that VM. */
	expect_error(VM("good", MEM128 ELF_BYTES) VM("bad", MEM128), 8, "vm 'bad': image: missing",
		     NULL);

	fdt = dtc_compile("/dts-v1/;\n/ { compatible = \"rvhv,other\";\n" VM("v", MEM128 ELF_BYTES)
				  "};\n");
	assert_true(config_parse(fdt, vms, 2, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "root compatible is not \"rvhv,config\""));
	free(fdt);

	assert_true(config_parse("garbage, not a DTB at all", vms, 2, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "config: not a device tree blob"));
}

/* A structure block off its 4-byte alignment (found by fuzz_config): libfdt
 * would read its tags misaligned, so the blob is refused up front. */
static void test_misaligned_struct(void **state)
{
	char err[200] = "";
	struct vm_config vm;
	u8 *fdt = config_blob(VM("v", MEM128 ELF_BYTES));
	u32 total = fdt_totalsize(fdt), off = fdt_off_dt_struct(fdt);
	u8 *moved = calloc(1, total + 1);

	assert_true(fdt_off_dt_strings(fdt) > off);
	memcpy(moved, fdt, off);
	memcpy(moved + off + 1, fdt + off, total - off);
	fdt_set_off_dt_struct(moved, off + 1);
	fdt_set_off_dt_strings(moved, fdt_off_dt_strings(fdt) + 1);
	fdt_set_totalsize(moved, total + 1);
	assert_int_equal(fdt_check_header(moved), 0);
	assert_true(config_parse(moved, &vm, 1, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "structure block at 0x39 not 4-byte aligned"));
	free(moved);
	free(fdt);
}

/* A property length field of 2^32 - 3 (found by fuzz_config): libfdt's
 * bounds check wraps and fdt_getprop returns length -3.  Refused wherever
 * the property is, as the guest DTB and device models read the blob too. */
static void test_negative_prop_length(void **state)
{
	static const char *const where[] = {"image", "compatible"};
	char err[200] = "";
	struct vm_config vm;

	for (size_t i = 0; i < ARRAY_SIZE(where); i++) {
		u8 *fdt = config_blob(VM("v", MEM128 ELF_BYTES "devices { uart@10000000 { "
						"compatible = \"ns16550a\"; }; };"));
		int node = fdt_path_offset(fdt, i == 0 ? "/v" : "/v/devices/uart@10000000");
		int len;
		u8 *val = (u8 *)fdt_getprop(fdt, node, where[i], &len);

		assert_non_null(val);
		fdt32_st(val - 8, 0xfffffffd); /* struct fdt_property: tag, len, nameoff, data */
		assert_non_null(fdt_getprop(fdt, node, where[i], &len));
		assert_int_equal(len, -3);
		assert_true(config_parse(fdt, &vm, 1, err, sizeof(err)) < 0);
		assert_non_null(strstr(err, "config: malformed property in the node at 0x"));
		free(fdt);
	}
}

/* A tiny error buffer still gets a terminated (cut) message. */
static void test_small_err_buffer(void **state)
{
	char err[8];
	struct vm_config vm;
	void *fdt = config_blob(VM("longname", MEM128));

	memset(err, 'x', sizeof(err));
	assert_true(config_parse(fdt, &vm, 1, err, sizeof(err)) < 0);
	assert_string_equal(err, "vm 'lon");
	free(fdt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_vms),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_image_addr_edges),
		cmocka_unit_test(test_memory_errors),
		cmocka_unit_test(test_image_errors),
		cmocka_unit_test(test_cpu_errors),
		cmocka_unit_test(test_device_errors),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_misaligned_struct),
		cmocka_unit_test(test_negative_prop_length),
		cmocka_unit_test(test_small_err_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
