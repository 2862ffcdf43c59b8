/*
 * Fuzz target: the VM configuration parser (kernel/config.c), the guest
 * DTB built from what it accepts (kernel/guest_dtb.c, which copies the
 * VM's device nodes), and the parts of libfdt they use.
 *
 * Input: the config blob, then one byte choosing the size of the error
 * buffer (last, so that the blob keeps the alignment libfdt wants).  As
 * kernel/main.c does, only a blob whose header checks and whose totalsize
 * fits the input reaches config_parse; it gets a copy of exactly totalsize
 * bytes, so a read past the blob is an ASan report.  Checked:
 * - a rejection leaves a message in the error buffer (NUL-terminated,
 *   never past its end);
 * - an acceptance yields 1..MAX_VMS VMs with distinct names, 1..MAX_VCPUS
 *   vCPUs, harts below MAX_HARTS, memory 2 MiB aligned, non-zero and not
 *   wrapping, and images, initrds and bootargs that lie inside the blob;
 * - the guest DTB of an accepted VM is built (or refused with a libfdt
 *   error) and then passes fdt_check_header within its buffer.
 */
#include "tests/fuzz/fuzz.h"

#include <libfdt.h>

#include "kernel/config.h"
#include "kernel/guest_dtb.h"
#include "kernel/platform.h"
#include "passthru/pci.h"

#define GUEST_DTB_SIZE (64 * 1024)

static const struct platform host = {
	.isa = "rv64imafdch_zicsr_zifencei_sstc",
	.mmu_type = "riscv,sv48",
	.timebase = 10000000,
	.has_h = true,
	.has_sstc = true,
};

/* The host bridge's windows a rvhv,pci node's guest bridge copies (QEMU virt's). */
struct pci_host pci_host = {
	.mmio_base = 0x40000000,
	.mmio_size = 0x40000000,
	.mmio64_base = 0x400000000,
	.mmio64_size = 0x400000000,
};

static void check_guest_dtb(const struct vm_config *vm)
{
	static u8 *dtb;
	int rc;

	if (!dtb)
		dtb = malloc(GUEST_DTB_SIZE);
	CHECK(dtb);
	rc = guest_dtb_build(dtb, GUEST_DTB_SIZE, vm, &host, true, vm->mem_base, vm->initrd_size);
	CHECK(rc <= 0);
	if (rc == 0)
		CHECK(fdt_check_header(dtb) == 0 && fdt_totalsize(dtb) <= GUEST_DTB_SIZE);
}

static bool in_blob(const u8 *blob, u64 bloblen, const void *p, u64 len)
{
	const u8 *b = p;

	return b >= blob && b <= blob + bloblen && len <= (u64)(blob + bloblen - b);
}

static void check_vm(const struct vm_config *vm, const u8 *blob, u64 bloblen)
{
	size_t namelen = strlen(vm->name);

	CHECK(namelen >= 1 && namelen < 32 && !strchr(vm->name, '@'));
	CHECK(vm->boot == BOOT_SUPERVISOR || vm->boot == BOOT_MACHINE);
	CHECK(vm->ncpus >= 1 && vm->ncpus <= MAX_VCPUS);
	for (u32 i = 0; i < MAX_VCPUS; i++)
		CHECK(i < vm->ncpus ? vm->harts[i] >= -1 && vm->harts[i] < MAX_HARTS
				    : vm->harts[i] == -1);
	CHECK(vm->mem_size != 0 && IS_ALIGNED(vm->mem_size, 2 * MiB));
	CHECK(IS_ALIGNED(vm->mem_base, 2 * MiB) && vm->mem_base + vm->mem_size - 1 >= vm->mem_base);
	CHECK(vm->image && vm->image_size > 0 && in_blob(blob, bloblen, vm->image, vm->image_size));
	CHECK(vm->image_addr >= vm->mem_base);
	if (vm->initrd)
		CHECK(vm->initrd_size > 0 && in_blob(blob, bloblen, vm->initrd, vm->initrd_size));
	else
		CHECK(vm->initrd_size == 0);
	if (vm->bootargs)
		CHECK(in_blob(blob, bloblen, vm->bootargs, strlen(vm->bootargs) + 1));
	CHECK(vm->fdt == blob);
	if (vm->devices != -1)
		CHECK(vm->devices > 0 && fdt_get_name(blob, vm->devices, NULL));
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct vm_config vms[MAX_VMS];
	size_t errlen;
	char *err;
	u8 *blob;
	u32 total;
	int n;

	if (size < sizeof(struct fdt_header) + 1 || fdt_check_header(data))
		return 0;
	total = fdt_totalsize(data);
	if (total > size - 1)
		return 0;
	errlen = data[size - 1] % 200;
	blob = malloc(total);
	err = malloc(errlen ? errlen : 1);
	CHECK(blob && err);
	memcpy(blob, data, total);
	memset(err, 0x7f, errlen ? errlen : 1);
	memset(vms, 0, sizeof(vms));

	n = config_parse(blob, vms, MAX_VMS, err, errlen);
	if (n < 0) {
		if (errlen > 0)
			CHECK(memchr(err, 0, errlen));
		if (errlen > 1)
			CHECK(strlen(err) > 0);
	} else {
		CHECK(n >= 1 && n <= MAX_VMS);
		for (int i = 0; i < n; i++) {
			check_vm(&vms[i], blob, total);
			check_guest_dtb(&vms[i]);
			for (int j = 0; j < i; j++)
				CHECK(strcmp(vms[i].name, vms[j].name));
		}
	}
	free(err);
	free(blob);
	return 0;
}
