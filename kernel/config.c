/*
 * VM configuration: the config blob (a DTB that QEMU loads as -initrd) into
 * struct vm_config.  Every check happens here, once, so the rest of rvhv can
 * trust a vm_config; each message names the VM and the property at fault.
 */
#include <libfdt.h>

#include "kernel/config.h"
#include "kernel/lib.h"
#include "kernel/platform.h"

/* DT node names are 1..31 characters (DT spec 2.2.1); the VM name is the part before '@'. */
#define VM_NAME_MAX 32

/* vm_config.name points here: the blob's node name is not NUL-terminated at '@'. */
static char vm_names[MAX_VMS][VM_NAME_MAX];

struct ctx {
	const void *fdt;
	int node;
	struct vm_config *vm;
	char *err;
	size_t errlen;
};

static int vm_fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "vm 'name': " + the message. */
static int vm_fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	size_t n = (size_t)ksnprintf(c->err, c->errlen, "vm '%s': ", c->vm->name);

	if (n < c->errlen) {
		va_start(ap, fmt);
		kvsnprintf(c->err + n, c->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static u64 cells64(const fdt32_t *cell)
{
	return (u64)fdt32_ld(&cell[0]) << 32 | fdt32_ld(&cell[1]);
}

/*
 * The property getters return 1 when the property is there and well formed,
 * 0 when it is absent, and -1 (message in err) when it is malformed.
 */
static int get_u32(struct ctx *c, const char *name, u32 *v)
{
	int len;
	const fdt32_t *cell = fdt_getprop(c->fdt, c->node, name, &len);

	if (!cell)
		return 0;
	if (len != 4)
		return vm_fail(c, "%s: expected one cell, got %d bytes", name, len);
	*v = fdt32_ld(cell);
	return 1;
}

/* A 64-bit value: <hi lo>, or <v> for small ones. */
static int get_u64(struct ctx *c, const char *name, u64 *v)
{
	int len;
	const fdt32_t *cell = fdt_getprop(c->fdt, c->node, name, &len);

	if (!cell)
		return 0;
	if (len != 4 && len != 8)
		return vm_fail(c, "%s: expected <hi lo>, got %d bytes", name, len);
	*v = len == 8 ? cells64(cell) : fdt32_ld(cell);
	return 1;
}

static int get_str(struct ctx *c, const char *name, const char **s)
{
	int len;
	const char *str = fdt_getprop(c->fdt, c->node, name, &len);

	if (!str)
		return 0;
	if (len < 1 || strnlen(str, (size_t)len) != (size_t)len - 1)
		return vm_fail(c, "%s: not a single string", name);
	*s = str;
	return 1;
}

static int parse_name(struct ctx *c, char *buf)
{
	const char *full = fdt_get_name(c->fdt, c->node, NULL);
	size_t n = strcspn(full, "@");

	if (n == 0 || n >= VM_NAME_MAX)
		return errorf(c->err, c->errlen, "vm node '%s': name must have 1..%d characters before '@'",
			    full, VM_NAME_MAX - 1);
	memcpy(buf, full, n);
	buf[n] = '\0';
	c->vm->name = buf;
	return 0;
}

static int parse_boot(struct ctx *c)
{
	const char *boot;
	int rc = get_str(c, "boot", &boot);

	if (rc <= 0)
		return rc;
	if (!strcmp(boot, "supervisor"))
		c->vm->boot = BOOT_SUPERVISOR;
	else if (!strcmp(boot, "machine"))
		c->vm->boot = BOOT_MACHINE;
	else
		return vm_fail(c, "boot: unknown value \"%s\" (\"supervisor\" or \"machine\")", boot);
	return 0;
}

/* cpus defaults to 1; harts defaults to "rvhv chooses" (-1) for every vCPU. */
static int parse_cpus(struct ctx *c)
{
	struct vm_config *vm = c->vm;
	const fdt32_t *cell;
	int len;

	vm->ncpus = 1;
	if (get_u32(c, "cpus", &vm->ncpus) < 0)
		return -1;
	if (vm->ncpus < 1 || vm->ncpus > MAX_VCPUS)
		return vm_fail(c, "cpus: %u, must be 1..%d", vm->ncpus, MAX_VCPUS);
	for (int i = 0; i < MAX_VCPUS; i++)
		vm->harts[i] = -1;

	cell = fdt_getprop(c->fdt, c->node, "harts", &len);
	if (!cell)
		return 0;
	if (len % 4 || (u32)len / 4 != vm->ncpus)
		return vm_fail(c, "harts: %d bytes for %u cpus, need one cell per cpu", len, vm->ncpus);
	for (u32 i = 0; i < vm->ncpus; i++) {
		u32 hart = fdt32_ld(&cell[i]);
		if (hart >= MAX_HARTS)
			return vm_fail(c, "harts: entry %u is hart %u, must be below %d", i, hart,
				       MAX_HARTS);
		vm->harts[i] = (s32)hart;
	}
	return 0;
}

static int parse_memory(struct ctx *c)
{
	struct vm_config *vm = c->vm;
	int len;
	const fdt32_t *cell = fdt_getprop(c->fdt, c->node, "memory", &len);

	if (!cell)
		return vm_fail(c, "memory: missing (memory = <base-hi base-lo size-hi size-lo>)");
	if (len != 16)
		return vm_fail(c, "memory: expected <base-hi base-lo size-hi size-lo>, got %d bytes",
			       len);
	vm->mem_base = cells64(cell);
	vm->mem_size = cells64(cell + 2);
	if (!IS_ALIGNED(vm->mem_base, GUEST_RAM_ALIGN))
		return vm_fail(c, "memory: base 0x%lx not 2 MiB aligned", vm->mem_base);
	if (vm->mem_size == 0 || !IS_ALIGNED(vm->mem_size, GUEST_RAM_ALIGN))
		return vm_fail(c, "memory: size 0x%lx not a non-zero multiple of 2 MiB",
			       vm->mem_size);
	if (vm->mem_size > UINT64_MAX - vm->mem_base)
		return vm_fail(c, "memory: base 0x%lx + size 0x%lx overflows", vm->mem_base,
			       vm->mem_size);
	return 0;
}

static int parse_images(struct ctx *c)
{
	struct vm_config *vm = c->vm;
	int len;
	int rc;

	vm->image = fdt_getprop(c->fdt, c->node, "image", &len);
	if (!vm->image)
		return vm_fail(c, "image: missing (image = /incbin/(\"file\");)");
	if (len == 0)
		return vm_fail(c, "image: empty");
	vm->image_size = (u64)len;

	/* Only raw images use image-addr; the loader checks that they fit. */
	vm->image_addr = vm->mem_base + GUEST_RAM_ALIGN;
	rc = get_u64(c, "image-addr", &vm->image_addr);
	if (rc < 0)
		return rc;
	if (rc && (vm->image_addr < vm->mem_base || vm->image_addr - vm->mem_base >= vm->mem_size))
		return vm_fail(c, "image-addr: 0x%lx outside memory 0x%lx..0x%lx", vm->image_addr,
			       vm->mem_base, vm->mem_base + vm->mem_size - 1);

	vm->initrd = fdt_getprop(c->fdt, c->node, "initrd", &len);
	if (vm->initrd && len == 0)
		return vm_fail(c, "initrd: empty");
	vm->initrd_size = vm->initrd ? (u64)len : 0;
	return get_str(c, "bootargs", &vm->bootargs) < 0 ? -1 : 0;
}

/* Devices sit under the guest DTB's /soc, whose #address-cells and #size-cells are 2. */
static int check_device_cells(struct ctx *c, int devices)
{
	static const char *const names[] = {"#address-cells", "#size-cells"};
	int len;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const fdt32_t *cell = fdt_getprop(c->fdt, devices, names[i], &len);
		if (cell && (len != 4 || fdt32_ld(cell) != 2))
			return vm_fail(c, "devices: %s must be 2 (as under the guest's /soc)",
				       names[i]);
	}
	return 0;
}

/* A device's MMIO range over guest RAM would shadow memory: refuse it. */
static int check_device(struct ctx *c, int dev)
{
	const char *name = fdt_get_name(c->fdt, dev, NULL);
	u64 ram_end = c->vm->mem_base + c->vm->mem_size;
	int len;
	const fdt32_t *reg = fdt_getprop(c->fdt, dev, "reg", &len);

	if (!reg)
		return 0;
	if (len % 16)
		return vm_fail(c, "devices/%s: reg: expected <addr-hi addr-lo size-hi size-lo> entries",
			       name);
	for (int i = 0; i < len / 16; i++, reg += 4) {
		u64 base = cells64(reg), size = cells64(reg + 2);
		if (size > UINT64_MAX - base)
			return vm_fail(c, "devices/%s: reg 0x%lx + 0x%lx overflows", name, base, size);
		if (size && base < ram_end && c->vm->mem_base < base + size)
			return vm_fail(c, "devices/%s: reg 0x%lx..0x%lx overlaps memory 0x%lx..0x%lx",
				       name, base, base + size - 1, c->vm->mem_base, ram_end - 1);
	}
	return 0;
}

static int parse_devices(struct ctx *c)
{
	int devices = fdt_subnode_offset(c->fdt, c->node, "devices");
	int dev;

	c->vm->devices = devices >= 0 ? devices : -1;
	if (devices < 0)
		return 0;
	if (check_device_cells(c, devices))
		return -1;
	fdt_for_each_subnode(dev, c->fdt, devices)
		if (check_device(c, dev))
			return -1;
	return 0;
}

static int parse_vm(struct ctx *c, char *name_buf)
{
	memset(c->vm, 0, sizeof(*c->vm));
	c->vm->fdt = c->fdt;
	c->vm->devices = -1;
	if (parse_name(c, name_buf) || parse_boot(c) || parse_cpus(c) || parse_memory(c) ||
	    parse_images(c) || parse_devices(c))
		return -1;
	return 0;
}

static bool name_taken(const struct vm_config *vms, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(vms[i].name, name))
			return true;
	return false;
}

/*
 * The blob as a whole, once, for everything that reads it later (this
 * parser, the guest DTB, the device models).  libfdt relies on two things
 * fdt_check_header does not check: a 4-byte aligned structure block (DT
 * spec 5.1; libfdt reads its tags as aligned words), and property lengths
 * below 2^32 - 12 (the bounds check of a larger one wraps, and fdt_getprop
 * returns it as a negative length).  Walking every property catches those
 * and a malformed structure block.
 */
static int check_blob(const void *fdt, char *err, size_t errlen)
{
	int rc = fdt_check_header(fdt);
	int node, prop, len;
	const char *name;

	if (rc)
		return errorf(err, errlen, "config: not a device tree blob (%s)", fdt_strerror(rc));
	if (!IS_ALIGNED(fdt_off_dt_struct(fdt), 4))
		return errorf(err, errlen, "config: structure block at 0x%x not 4-byte aligned",
			      fdt_off_dt_struct(fdt));
	for (node = 0; node >= 0; node = fdt_next_node(fdt, node, NULL)) {
		fdt_for_each_property_offset(prop, fdt, node)
			if (!fdt_getprop_by_offset(fdt, prop, &name, &len) || len < 0)
				break;
		if (prop != -FDT_ERR_NOTFOUND)
			return errorf(err, errlen, "config: malformed property in the node at 0x%x",
				      node);
	}
	if (node != -FDT_ERR_NOTFOUND)
		return errorf(err, errlen, "config: malformed structure block (%s)",
			      fdt_strerror(node));
	return 0;
}

int config_parse(const void *fdt, struct vm_config *vms, int max, char *err, size_t errlen)
{
	struct ctx c = {.fdt = fdt, .err = err, .errlen = errlen};
	int n = 0;

	if (check_blob(fdt, err, errlen))
		return -1;
	if (fdt_node_check_compatible(fdt, 0, "rvhv,config"))
		return errorf(err, errlen, "config: root compatible is not \"rvhv,config\"");
	if (max > MAX_VMS)
		max = MAX_VMS;
	fdt_for_each_subnode(c.node, fdt, 0) {
		if (fdt_node_check_compatible(fdt, c.node, "rvhv,vm"))
			continue;
		if (n >= max)
			return errorf(err, errlen, "config: more than %d VMs", max);
		c.vm = &vms[n];
		if (parse_vm(&c, vm_names[n]))
			return -1;
		if (name_taken(vms, n, vms[n].name))
			return errorf(err, errlen, "vm '%s': name used by two VMs", vms[n].name);
		n++;
	}
	if (n == 0)
		return errorf(err, errlen, "config: no VM (no node with compatible \"rvhv,vm\")");
	return n;
}
