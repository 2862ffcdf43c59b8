/*
 * The guest DTB of a supervisor-mode VM, written top to bottom with libfdt's
 * sequential-write API (which keeps the config's device order, unlike
 * fdt_add_subnode, which prepends).
 */
#include <libfdt.h>

#include "kernel/guest_dtb.h"
#include "kernel/lib.h"
#include "passthru/pci.h"

#define COPY_MAX_DEPTH 8 /* nesting under devices: bounds the recursion's stack */
#define PATH_MAX_LEN 256

/*
 * A DTB being written: every write after the first failure is skipped and
 * that failure is what guest_dtb_build returns, so the builders below read
 * as plain lists of nodes and properties.
 */
struct dtb {
	void *fdt;
	int err;
};

static void node_begin(struct dtb *d, const char *name)
{
	if (!d->err)
		d->err = fdt_begin_node(d->fdt, name);
}

static void node_end(struct dtb *d)
{
	if (!d->err)
		d->err = fdt_end_node(d->fdt);
}

static void prop(struct dtb *d, const char *name, const void *val, int len)
{
	if (!d->err)
		d->err = fdt_property(d->fdt, name, val, len);
}

static void prop_u32(struct dtb *d, const char *name, u32 val)
{
	if (!d->err)
		d->err = fdt_property_u32(d->fdt, name, val);
}

static void prop_u64(struct dtb *d, const char *name, u64 val)
{
	if (!d->err)
		d->err = fdt_property_u64(d->fdt, name, val);
}

static void prop_str(struct dtb *d, const char *name, const char *val)
{
	prop(d, name, val, (int)strlen(val) + 1);
}

/* An empty (boolean) property: pass a real pointer, libfdt memcpy()s from it. */
static void prop_empty(struct dtb *d, const char *name)
{
	prop(d, name, "", 0);
}

/* Skip a version suffix ("1p0") after a single-letter extension. */
static const char *skip_version(const char *s)
{
	while (*s >= '0' && *s <= '9')
		s++;
	if (*s == 'p' && s[1] >= '0' && s[1] <= '9')
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	return s;
}

/* Hypervisor extensions (Sh*) and Sstc when rvhv does not enable it for the guest. */
static bool drop_token(const char *tok, size_t n, bool sstc)
{
	if (n >= 2 && (tok[0] == 's' || tok[0] == 'S') && (tok[1] == 'h' || tok[1] == 'H'))
		return true;
	return !sstc && isa_token_is(tok, n, "sstc");
}

/*
 * The host ISA as the guest sees it: no H (rvhv offers no nested
 * virtualization) and Sstc only when henvcfg.STCE is set for this VM, because
 * Linux programs stimecmp whenever the DTB lists sstc.  out must be at least
 * as long as isa.
 */
static void guest_isa(char *out, const char *isa, bool sstc)
{
	const char *s = isa;
	size_t o = 0;

	/* "rv" and the XLEN digits stay as they are. */
	while (*s && (o < 2 || (*s >= '0' && *s <= '9')))
		out[o++] = *s++;
	while (*s && *s != '_') {
		if (*s == 'h' || *s == 'H')
			s = skip_version(s + 1);
		else
			out[o++] = *s++;
	}
	while (*s == '_') {
		size_t n = strcspn(s + 1, "_");
		if (!drop_token(s + 1, n, sstc)) {
			memcpy(out + o, s, n + 1);
			o += n + 1;
		}
		s += n + 1;
	}
	out[o] = '\0';
}

/* The guest's path ("/soc/...") of the first ns16550a under devices, or "" if none. */
static int stdout_path(const struct vm_config *cfg, char *path, size_t len)
{
	char devs[PATH_MAX_LEN];
	int depth = 0, node, rc;

	path[0] = '\0';
	if (cfg->devices < 0)
		return 0;
	rc = fdt_get_path(cfg->fdt, cfg->devices, devs, sizeof(devs));
	if (rc)
		return rc;
	for (node = fdt_next_node(cfg->fdt, cfg->devices, &depth); node >= 0 && depth > 0;
	     node = fdt_next_node(cfg->fdt, node, &depth)) {
		if (fdt_node_check_compatible(cfg->fdt, node, "ns16550a"))
			continue;
		/* Same path with the devices node's own path replaced by "/soc". */
		rc = fdt_get_path(cfg->fdt, node, path, (int)len);
		if (rc)
			return rc;
		size_t skip = strlen(devs) - 4;
		memmove(path, path + skip, strlen(path + skip) + 1);
		memcpy(path, "/soc", 4);
		return 0;
	}
	return 0;
}

/* A device node rvhv replaces by the guest's PCIe host bridge (write_pci). */
static bool is_vpci(const void *fdt, int node)
{
	return fdt_node_check_compatible(fdt, node, "rvhv,pci") == 0;
}

static bool has_vpci(const struct vm_config *cfg)
{
	int dev;

	if (cfg->devices >= 0)
		fdt_for_each_subnode(dev, cfg->fdt, cfg->devices)
			if (is_vpci(cfg->fdt, dev))
				return true;
	return false;
}

static void write_chosen(struct dtb *d, const struct vm_config *cfg, const char *console,
			 u64 initrd_gpa, u64 initrd_size)
{
	node_begin(d, "chosen");
	/* The BARs are fixed where the host put them (passthru/vpci.h): Linux
	 * keeps them instead of assigning its own (drivers/pci/of.c). */
	if (has_vpci(cfg))
		prop_u32(d, "linux,pci-probe-only", 1);
	if (cfg->bootargs)
		prop_str(d, "bootargs", cfg->bootargs);
	if (console[0])
		prop_str(d, "stdout-path", console);
	if (initrd_size) {
		prop_u64(d, "linux,initrd-start", initrd_gpa);
		prop_u64(d, "linux,initrd-end", initrd_gpa + initrd_size);
	}
	node_end(d);
}

static void write_memory(struct dtb *d, const struct vm_config *cfg)
{
	char name[32];
	fdt64_t reg[2] = {cpu_to_fdt64(cfg->mem_base), cpu_to_fdt64(cfg->mem_size)};

	ksnprintf(name, sizeof(name), "memory@%lx", cfg->mem_base);
	node_begin(d, name);
	prop_str(d, "device_type", "memory");
	prop(d, "reg", reg, sizeof(reg));
	node_end(d);
}

static void write_cpu(struct dtb *d, u32 n, const char *isa, const char *mmu_type)
{
	char name[16];

	ksnprintf(name, sizeof(name), "cpu@%u", n);
	node_begin(d, name);
	prop_str(d, "device_type", "cpu");
	prop_u32(d, "reg", n);
	prop_str(d, "status", "okay");
	prop_str(d, "compatible", "riscv");
	prop_str(d, "riscv,isa", isa);
	if (mmu_type[0])
		prop_str(d, "mmu-type", mmu_type);
	node_begin(d, "interrupt-controller");
	prop_u32(d, "#interrupt-cells", 1);
	prop_empty(d, "interrupt-controller");
	prop_str(d, "compatible", "riscv,cpu-intc");
	prop_u32(d, "phandle", GUEST_INTC_PHANDLE + n);
	node_end(d);
	node_end(d);
}

static void write_cpus(struct dtb *d, const struct vm_config *cfg, const struct platform *host,
		       bool sstc)
{
	char isa[sizeof(host->isa)];

	guest_isa(isa, host->isa, sstc);
	node_begin(d, "cpus");
	prop_u32(d, "#address-cells", 1);
	prop_u32(d, "#size-cells", 0);
	prop_u32(d, "timebase-frequency", host->timebase);
	for (u32 n = 0; n < cfg->ncpus; n++)
		write_cpu(d, n, isa, host->mmu_type);
	node_end(d);
}

/* A phandle equal to a cpu-intc's would make the guest's references ambiguous. */
static bool phandle_clash(const char *name, const void *val, int len)
{
	u32 ph;

	if (strcmp(name, "phandle") || len != 4)
		return false;
	ph = fdt32_ld(val);
	return ph >= GUEST_INTC_PHANDLE && ph < GUEST_INTC_PHANDLE + MAX_VCPUS;
}

/* Node `src` of the config blob with all its properties and subnodes. */
static void copy_node(struct dtb *d, const void *cfg, int src, int depth)
{
	int off, child;

	if (depth > COPY_MAX_DEPTH) {
		if (!d->err)
			d->err = -FDT_ERR_BADSTRUCTURE;
		return;
	}
	node_begin(d, fdt_get_name(cfg, src, NULL));
	fdt_for_each_property_offset(off, cfg, src) {
		const char *name;
		int len;
		const void *val = fdt_getprop_by_offset(cfg, off, &name, &len);
		if (!val && !d->err)
			d->err = len;
		if (val && phandle_clash(name, val, len) && !d->err)
			d->err = -FDT_ERR_BADPHANDLE;
		/* rvhv,* properties configure rvhv (backends, disk images): not
		 * the guest's business, and a disk image would not fit anyway. */
		if (val && !strncmp(name, "rvhv,", 5))
			continue;
		prop(d, name, val, len);
	}
	fdt_for_each_subnode(child, cfg, src) {
		if (d->err)
			return;
		copy_node(d, cfg, child, depth + 1);
	}
	node_end(d);
}

/* PCI address space codes (IEEE 1275 PCI bus binding, "phys.hi" cell). */
#define PCI_SPACE_MEM32 0x02000000
#define PCI_SPACE_MEM64 0x03000000
#define PCI_PIN_CELLS 4 /* unit address (3) and pin (1) of an interrupt-map entry */
#define PCI_PARENT_ADDR_MAX 3

/* One `ranges` entry mapping PCI memory at `base` to the same CPU address. */
static int pci_range(fdt32_t *out, u32 space, u64 base, u64 size)
{
	const u32 cells[7] = {space, base >> 32, base, base >> 32, base, size >> 32, size};

	for (int i = 0; i < 7; i++)
		out[i] = cpu_to_fdt32(cells[i]);
	return 7;
}

/*
 * The interrupt-map of QEMU virt's bridge: INTx of device dev goes to the
 * parent's source lines[(dev + pin - 1) % 4], the standard swizzle, which
 * the mask 0x1800 (device number bits 1:0) and 16 entries express for all
 * 32 devices.  vpci_attach forwards the host INTx to the same lines.
 */
static int pci_interrupt_map(fdt32_t *out, const fdt32_t *lines, u32 parent, u32 parent_addr_cells)
{
	int n = 0;

	for (u32 dev = 0; dev < 4; dev++)
		for (u32 pin = 1; pin <= 4; pin++) {
			out[n++] = cpu_to_fdt32(dev << 11);
			out[n++] = 0;
			out[n++] = 0;
			out[n++] = cpu_to_fdt32(pin);
			out[n++] = cpu_to_fdt32(parent);
			for (u32 i = 0; i < parent_addr_cells; i++)
				out[n++] = 0;
			out[n++] = lines[(dev + pin - 1) % 4];
		}
	return n;
}

/*
 * The guest's PCIe host bridge in place of a "rvhv,pci" config node: what
 * Linux's pci-host-ecam-generic driver takes (bindings/pci/host-generic-pci.yaml),
 * laid out as QEMU virt's.  Memory windows are the host's, identity-mapped
 * (BARs are at GPA == HPA); the guest window carries no I/O space.
 */
static void write_pci(struct dtb *d, const void *cfg, int src)
{
	int reg_len, lines_len, parent_len, pnode;
	const void *reg = fdt_getprop(cfg, src, "reg", &reg_len);
	const fdt32_t *lines = fdt_getprop(cfg, src, "interrupts", &lines_len);
	const fdt32_t *parent = fdt_getprop(cfg, src, "interrupt-parent", &parent_len);
	const fdt32_t *cells;
	u32 paddr = 0;
	fdt32_t ranges[14], map[16 * (PCI_PIN_CELLS + 2 + PCI_PARENT_ADDR_MAX)];
	const fdt32_t map_mask[PCI_PIN_CELLS] = {cpu_to_fdt32(0x1800), 0, 0, cpu_to_fdt32(7)};
	const fdt32_t bus_range[2] = {0, 0};
	int nranges = 0, nmap;

	if (d->err)
		return;
	if (!reg || !lines || lines_len != 16 || !parent || parent_len != 4) {
		d->err = -FDT_ERR_BADVALUE;
		return;
	}
	pnode = fdt_node_offset_by_phandle(cfg, fdt32_ld(parent));
	if (pnode < 0) {
		d->err = pnode;
		return;
	}
	cells = fdt_getprop(cfg, pnode, "#address-cells", NULL);
	if (cells)
		paddr = fdt32_ld(cells);
	cells = fdt_getprop(cfg, pnode, "#interrupt-cells", NULL);
	if (paddr > PCI_PARENT_ADDR_MAX || !cells || fdt32_ld(cells) != 1) {
		d->err = -FDT_ERR_BADNCELLS;
		return;
	}
	if (pci_host.mmio_size)
		nranges += pci_range(ranges + nranges, PCI_SPACE_MEM32, pci_host.mmio_base,
				     pci_host.mmio_size);
	if (pci_host.mmio64_size)
		nranges += pci_range(ranges + nranges, PCI_SPACE_MEM64, pci_host.mmio64_base,
				     pci_host.mmio64_size);
	nmap = pci_interrupt_map(map, lines, fdt32_ld(parent), paddr);

	node_begin(d, fdt_get_name(cfg, src, NULL));
	prop_str(d, "compatible", "pci-host-ecam-generic");
	prop_str(d, "device_type", "pci");
	prop_u32(d, "#address-cells", 3);
	prop_u32(d, "#size-cells", 2);
	prop_u32(d, "#interrupt-cells", 1);
	prop(d, "bus-range", bus_range, sizeof(bus_range));
	prop(d, "reg", reg, reg_len);
	prop_u32(d, "linux,pci-domain", 0);
	prop_empty(d, "dma-coherent");
	prop(d, "ranges", ranges, nranges * 4);
	prop(d, "interrupt-map-mask", map_mask, sizeof(map_mask));
	prop(d, "interrupt-map", map, nmap * 4);
	node_end(d);
}

static void write_soc(struct dtb *d, const struct vm_config *cfg)
{
	int dev;

	node_begin(d, "soc");
	prop_u32(d, "#address-cells", 2);
	prop_u32(d, "#size-cells", 2);
	prop_str(d, "compatible", "simple-bus");
	prop_empty(d, "ranges");
	if (cfg->devices >= 0)
		fdt_for_each_subnode (dev, cfg->fdt, cfg->devices) {
			if (is_vpci(cfg->fdt, dev))
				write_pci(d, cfg->fdt, dev);
			else
				copy_node(d, cfg->fdt, dev, 1);
		}
	node_end(d);
}

int guest_dtb_build(void *buf, size_t len, const struct vm_config *cfg, const struct platform *host,
		    bool sstc, u64 initrd_gpa, u64 initrd_size)
{
	char console[PATH_MAX_LEN];
	struct dtb d = {.fdt = buf};

	d.err = stdout_path(cfg, console, sizeof(console));
	if (!d.err)
		d.err = fdt_create(buf, len > INT32_MAX ? INT32_MAX : (int)len);
	if (!d.err)
		d.err = fdt_finish_reservemap(buf);
	node_begin(&d, "");
	prop_u32(&d, "#address-cells", 2);
	prop_u32(&d, "#size-cells", 2);
	prop_str(&d, "compatible", "rvhv,virt");
	prop_str(&d, "model", "rvhv virtual machine");
	write_chosen(&d, cfg, console, initrd_gpa, initrd_size);
	write_memory(&d, cfg);
	write_cpus(&d, cfg, host, sstc);
	write_soc(&d, cfg);
	node_end(&d);
	if (!d.err)
		d.err = fdt_finish(buf);
	return d.err;
}
