/*
 * The host platform from the firmware's device tree (OpenSBI fw_dynamic hands
 * it over in a1).  Only what rvhv itself needs is kept; nodes marked
 * status = "disabled" do not exist as far as rvhv is concerned.
 */
#include <libfdt.h>

#include "kernel/lib.h"
#include "kernel/platform.h"

struct platform platform;

/* A property holding a NUL-terminated string (the first one of a list), or NULL. */
static const char *prop_str(const void *fdt, int node, const char *name)
{
	int len;
	const char *s = fdt_getprop(fdt, node, name, &len);

	if (!s || len < 1 || s[len - 1] != '\0')
		return NULL;
	return s;
}

static bool node_enabled(const void *fdt, int node)
{
	const char *status = prop_str(fdt, node, "status");

	return !status || !strcmp(status, "okay") || !strcmp(status, "ok");
}

/* Big-endian cells as one number; callers never pass more than two. */
static u64 cells_to_u64(const fdt32_t *cell, int n)
{
	u64 v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 32) | fdt32_ld(&cell[i]);
	return v;
}

/* The first cell of a property (e.g. the IRQ of "interrupts"), 0 if absent. */
static u32 first_cell(const void *fdt, int node, const char *name)
{
	int len;
	const fdt32_t *cell = fdt_getprop(fdt, node, name, &len);

	return cell && len >= 4 ? fdt32_ld(cell) : 0;
}

/* A number property of one or two cells: linux,initrd-* come in both sizes. */
static bool read_num(const void *fdt, int node, const char *name, u64 *v)
{
	int len;
	const fdt32_t *cell = fdt_getprop(fdt, node, name, &len);

	if (!cell || (len != 4 && len != 8))
		return false;
	*v = cells_to_u64(cell, len / 4);
	return true;
}

/* Entry `idx` of a node's reg, sized by its parent's #address-cells/#size-cells. */
/*
 * Every node's parent and compatible list, from one walk of the tree at the
 * start of platform_parse: libfdt's fdt_parent_offset walks from the root on
 * each call, and so does each fdt_node_offset_by_compatible search (its
 * tags a byte at a time); over QEMU virt's tree those walks cost more than
 * the rest of rvhv's boot together.  A tree deeper than MAX_DEPTH or with
 * more than MAX_INDEXED nodes is left to libfdt.
 */
#define MAX_INDEXED 256
#define MAX_DEPTH 16

static struct {
	int n;
	bool complete;
	int node[MAX_INDEXED], parent[MAX_INDEXED]; /* in tree order: node[] ascending */
	const char *compat[MAX_INDEXED];
	int compat_len[MAX_INDEXED];
} tree;

static void index_tree(const void *fdt)
{
	int up[MAX_DEPTH];
	int node = 0, depth = 0;
	tree.n = 0;
	for (; node >= 0 && depth >= 0; node = fdt_next_node(fdt, node, &depth)) {
		if (depth >= MAX_DEPTH || tree.n == MAX_INDEXED)
			break;
		up[depth] = node;
		tree.node[tree.n] = node;
		tree.parent[tree.n] = depth ? up[depth - 1] : -FDT_ERR_NOTFOUND;
		tree.compat[tree.n] = fdt_getprop(fdt, node, "compatible", &tree.compat_len[tree.n]);
		tree.n++;
	}
	tree.complete = node < 0 || depth < 0;
}

static int parent_of(const void *fdt, int node)
{
	int lo = 0, hi = tree.n;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (tree.node[mid] == node)
			return tree.parent[mid];
		if (tree.node[mid] < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	return fdt_parent_offset(fdt, node);
}

/* fdt_node_offset_by_compatible, from the index. */
static int next_compatible(const void *fdt, int after, const char *compat)
{
	if (!tree.complete)
		return fdt_node_offset_by_compatible(fdt, after, compat);
	for (int i = 0; i < tree.n; i++)
		if (tree.node[i] > after && tree.compat[i] &&
		    fdt_stringlist_contains(tree.compat[i], tree.compat_len[i], compat))
			return tree.node[i];
	return -FDT_ERR_NOTFOUND;
}

static int read_reg(const void *fdt, int node, int idx, struct mem_range *r)
{
	int parent = parent_of(fdt, node);
	if (parent < 0)
		return parent;
	int ac = fdt_address_cells(fdt, parent);
	int sc = fdt_size_cells(fdt, parent);
	if (ac < 1 || ac > 2 || sc < 0 || sc > 2)
		return -FDT_ERR_BADNCELLS;

	int len;
	const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
	if (!reg)
		return len;
	if (len < (idx + 1) * (ac + sc) * 4)
		return -FDT_ERR_NOTFOUND;
	reg += idx * (ac + sc);
	r->base = cells_to_u64(reg, ac);
	r->size = cells_to_u64(reg + ac, sc);
	return 0;
}

/* The first enabled node, in DT order, compatible with any of `compats`. */
static int find_compatible(const void *fdt, const char *const *compats)
{
	int best = -FDT_ERR_NOTFOUND;

	for (; *compats; compats++) {
		int node = next_compatible(fdt, -1, *compats);
		while (node >= 0 && !node_enabled(fdt, node))
			node = next_compatible(fdt, node, *compats);
		if (node >= 0 && (best < 0 || node < best))
			best = node;
	}
	return best;
}

/* Base and size of the first node compatible with `compats`; false if none. */
static bool find_reg(const void *fdt, const char *const *compats, u64 *base, u64 *size)
{
	struct mem_range r;
	int node = find_compatible(fdt, compats);

	if (node < 0 || read_reg(fdt, node, 0, &r))
		return false;
	*base = r.base;
	if (size)
		*size = r.size;
	return true;
}

static int parse_memory(const void *fdt, struct platform *p, char *err, size_t errlen)
{
	int node = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", sizeof("memory"));

	while (node >= 0 && !node_enabled(fdt, node))
		node = fdt_node_offset_by_prop_value(fdt, node, "device_type", "memory", sizeof("memory"));
	if (node < 0)
		return errorf(err, errlen, "host DTB: no memory node (device_type \"memory\")");
	if (read_reg(fdt, node, 0, &p->ram) || p->ram.size == 0)
		return errorf(err, errlen, "host DTB: %s: no usable reg", fdt_get_name(fdt, node, NULL));
	return 0;
}

/* Dropping a reserved region would let rvhv hand firmware memory to a guest: refuse. */
static int add_reserved(struct platform *p, u64 base, u64 size, char *err, size_t errlen)
{
	if (size == 0)
		return 0;
	if (p->nreserved == MAX_RESERVED)
		return errorf(err, errlen, "host DTB: more than %d reserved memory regions", MAX_RESERVED);
	p->reserved[p->nreserved].base = base;
	p->reserved[p->nreserved].size = size;
	p->nreserved++;
	return 0;
}

static int parse_reserved(const void *fdt, struct platform *p, char *err, size_t errlen)
{
	int rc;

	for (int i = 0; i < fdt_num_mem_rsv(fdt); i++) {
		uint64_t base, size;
		if (fdt_get_mem_rsv(fdt, i, &base, &size) == 0 &&
		    (rc = add_reserved(p, base, size, err, errlen)))
			return rc;
	}

	int parent = fdt_path_offset(fdt, "/reserved-memory");
	int node;
	if (parent < 0)
		return 0;
	fdt_for_each_subnode(node, fdt, parent) {
		struct mem_range r;
		if (!node_enabled(fdt, node))
			continue;
		/* Children without reg ask for a dynamic allocation: nothing fixed to avoid. */
		for (int i = 0; read_reg(fdt, node, i, &r) == 0; i++)
			if ((rc = add_reserved(p, r.base, r.size, err, errlen)))
				return rc;
	}
	return 0;
}

/* Copy an ISA string; a too-long one loses whole trailing extensions, never half a name. */
static void copy_isa(char *dst, size_t len, const char *isa)
{
	size_t n = strlen(isa);

	if (n >= len) {
		n = len - 1;
		while (n > 0 && isa[n] != '_')
			n--;
	}
	memcpy(dst, isa, n);
	dst[n] = '\0';
}

static int parse_isa(const void *fdt, int cpu, struct platform *p, char *err, size_t errlen)
{
	const char *isa = prop_str(fdt, cpu, "riscv,isa");
	const char *mmu = prop_str(fdt, cpu, "mmu-type");

	if (!isa)
		return errorf(err, errlen, "host DTB: %s: no riscv,isa", fdt_get_name(fdt, cpu, NULL));
	p->has_h = isa_has(isa, "h");
	p->has_sstc = isa_has(isa, "sstc");
	copy_isa(p->isa, sizeof(p->isa), isa);
	if (mmu && strlen(mmu) < sizeof(p->mmu_type))
		strcpy(p->mmu_type, mmu);
	return 0;
}

static bool is_cpu(const void *fdt, int node)
{
	const char *type = prop_str(fdt, node, "device_type");

	return type && !strcmp(type, "cpu") && node_enabled(fdt, node);
}

/* Harts beyond MAX_HARTS are left to the firmware: rvhv never starts them. */
static int parse_cpus(const void *fdt, struct platform *p, char *err, size_t errlen)
{
	int cpus = fdt_path_offset(fdt, "/cpus");
	int node, first = -1;
	u64 tb = 0;

	if (cpus < 0)
		return errorf(err, errlen, "host DTB: no /cpus node");
	fdt_for_each_subnode(node, fdt, cpus) {
		struct mem_range r;
		if (!is_cpu(fdt, node))
			continue;
		if (read_reg(fdt, node, 0, &r))
			return errorf(err, errlen, "host DTB: %s: no reg (hart ID)",
				    fdt_get_name(fdt, node, NULL));
		if (first < 0)
			first = node;
		if (p->nharts < MAX_HARTS)
			p->hartid[p->nharts++] = r.base;
	}
	if (first < 0)
		return errorf(err, errlen, "host DTB: no enabled hart under /cpus");
	/* The binding allows the timebase in each cpu node as well as in /cpus. */
	if (!read_num(fdt, cpus, "timebase-frequency", &tb))
		read_num(fdt, first, "timebase-frequency", &tb);
	if (tb == 0 || tb > UINT32_MAX)
		return errorf(err, errlen, "host DTB: no usable timebase-frequency");
	p->timebase = (u32)tb;
	return parse_isa(fdt, first, p, err, errlen);
}

/* The node /chosen/stdout-path names ("path" or "alias", maybe with ":options"). */
static int stdout_node(const void *fdt)
{
	int chosen = fdt_path_offset(fdt, "/chosen");
	const char *path = chosen >= 0 ? prop_str(fdt, chosen, "stdout-path") : NULL;

	if (!path)
		return -FDT_ERR_NOTFOUND;
	return fdt_path_offset_namelen(fdt, path, (int)strcspn(path, ":"));
}

static void parse_uart(const void *fdt, struct platform *p)
{
	static const char *const compats[] = {"ns16550a", NULL};
	int node = stdout_node(fdt);
	struct mem_range r;
	u64 clock;

	if (node < 0 || fdt_node_check_compatible(fdt, node, "ns16550a") || !node_enabled(fdt, node))
		node = find_compatible(fdt, compats);
	if (node < 0 || read_reg(fdt, node, 0, &r))
		return;
	p->uart_base = r.base;
	p->uart_size = r.size;
	p->uart_irq = first_cell(fdt, node, "interrupts");
	if (read_num(fdt, node, "clock-frequency", &clock))
		p->uart_clock = (u32)clock;
}

static void parse_simple_devices(const void *fdt, struct platform *p)
{
	static const char *const plic[] = {"riscv,plic0", "sifive,plic-1.0.0", NULL};
	static const char *const clint[] = {"riscv,clint0", "sifive,clint0", NULL};
	static const char *const test[] = {"sifive,test0", NULL};
	static const char *const ecam[] = {"pci-host-ecam-generic", NULL};

	if (find_reg(fdt, plic, &p->plic_base, &p->plic_size))
		p->plic_ndev = first_cell(fdt, find_compatible(fdt, plic), "riscv,ndev");
	find_reg(fdt, clint, &p->clint_base, &p->clint_size);
	find_reg(fdt, test, &p->test_base, NULL);
	find_reg(fdt, ecam, &p->pcie_ecam_base, &p->pcie_ecam_size);
}

/*
 * The PLIC's S-mode context of each hart: its interrupts-extended lists the
 * contexts in order as (interrupt controller phandle, cause) pairs; cause 9
 * is a hart's supervisor external interrupt, and the controller's parent is
 * the cpu node whose reg is the hart ID (QEMU virt: context 2h+1).
 */
static void parse_plic_contexts(const void *fdt, struct platform *p)
{
	static const char *const plic[] = {"riscv,plic0", "sifive,plic-1.0.0", NULL};
	for (int i = 0; i < MAX_HARTS; i++)
		p->plic_s_context[i] = -1;
	int node = find_compatible(fdt, plic), len;
	const fdt32_t *ie = node < 0 ? NULL : fdt_getprop(fdt, node, "interrupts-extended", &len);
	for (int ctx = 0; ie && ctx < len / 8; ctx++) {
		if (fdt32_to_cpu(ie[2 * ctx + 1]) != 9)
			continue;
		int intc = fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(ie[2 * ctx]));
		struct mem_range r;
		if (intc < 0 || read_reg(fdt, fdt_parent_offset(fdt, intc), 0, &r))
			continue;
		for (int h = 0; h < p->nharts; h++)
			if (p->hartid[h] == r.base)
				p->plic_s_context[h] = ctx;
	}
}

/* Insert in address order; past MAX_VIRTIO_SLOTS the highest addresses are dropped. */
static void add_virtio(struct platform *p, struct mem_range r, u32 irq)
{
	int i = p->nvirtio;

	if (i == MAX_VIRTIO_SLOTS) {
		if (r.base > p->virtio[i - 1].base)
			return;
		i--;
	} else {
		p->nvirtio++;
	}
	for (; i > 0 && p->virtio[i - 1].base > r.base; i--) {
		p->virtio[i] = p->virtio[i - 1];
		p->virtio_irq[i] = p->virtio_irq[i - 1];
	}
	p->virtio[i] = r;
	p->virtio_irq[i] = irq;
}

/* QEMU lists its virtio-mmio slots from the highest address down: sort them. */
static void parse_virtio(const void *fdt, struct platform *p)
{
	int node = -1;
	struct mem_range r;

	while ((node = next_compatible(fdt, node, "virtio,mmio")) >= 0)
		if (node_enabled(fdt, node) && read_reg(fdt, node, 0, &r) == 0)
			add_virtio(p, r, first_cell(fdt, node, "interrupts"));
}

static void parse_chosen(const void *fdt, struct platform *p)
{
	int chosen = fdt_path_offset(fdt, "/chosen");

	if (chosen < 0)
		return;
	read_num(fdt, chosen, "linux,initrd-start", &p->initrd_start);
	read_num(fdt, chosen, "linux,initrd-end", &p->initrd_end);
	p->bootargs = prop_str(fdt, chosen, "bootargs");
}

int platform_parse(const void *fdt, struct platform *p, char *err, size_t errlen)
{
	int rc = fdt_check_header(fdt);

	memset(p, 0, sizeof(*p));
	if (rc)
		return errorf(err, errlen, "host DTB: bad header (%s)", fdt_strerror(rc));
	index_tree(fdt);
	if ((rc = parse_memory(fdt, p, err, errlen)) || (rc = parse_reserved(fdt, p, err, errlen)) ||
	    (rc = parse_cpus(fdt, p, err, errlen)))
		return rc;
	parse_uart(fdt, p);
	parse_simple_devices(fdt, p);
	parse_plic_contexts(fdt, p);
	parse_virtio(fdt, p);
	parse_chosen(fdt, p);
	return 0;
}

/* ---------------------------------------------------------------- ISA strings */

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* An optional version suffix: "", "2" or "2p1". */
static bool is_version(const char *s, size_t n)
{
	size_t i = 0, minor;

	while (i < n && is_digit(s[i]))
		i++;
	if (i == 0 || i == n)
		return i == n;
	if (lower(s[i]) != 'p')
		return false;
	minor = ++i;
	while (i < n && is_digit(s[i]))
		i++;
	return i == n && i > minor;
}

/* Does the extension token s[0..n) name `ext` (any case, optionally versioned)? */
bool isa_token_is(const char *s, size_t n, const char *ext)
{
	size_t i;

	for (i = 0; ext[i]; i++)
		if (i >= n || lower(s[i]) != lower(ext[i]))
			return false;
	return is_version(s + i, n - i);
}

/*
 * The single-letter part ("imafdch", or versioned "i2p1m2p0..."): the 'p' of a
 * version sits between digits and is no extension.  'g' stands for imafd.
 */
static bool has_letter(const char *s, size_t n, char want)
{
	for (size_t i = 0; i < n; i++) {
		char c = lower(s[i]);
		if (is_digit(c))
			continue;
		if (c == 'p' && i > 0 && is_digit(s[i - 1]) && i + 1 < n && is_digit(s[i + 1]))
			continue;
		if (c == want || (c == 'g' && strchr("imafd", want)))
			return true;
	}
	return false;
}

bool isa_has(const char *isa, const char *ext)
{
	const char *s, *tok;
	size_t base_len;

	if (!isa || !ext || !ext[0] || lower(isa[0]) != 'r' || lower(isa[1]) != 'v')
		return false;
	for (s = isa + 2; is_digit(*s); s++)
		;
	base_len = strcspn(s, "_");
	if (!ext[1])
		return has_letter(s, base_len, lower(ext[0]));
	/* G also implies Zicsr and Zifencei (unprivileged spec, "G" extension). */
	if (has_letter(s, base_len, 'g') &&
	    (isa_token_is(ext, strlen(ext), "zicsr") || isa_token_is(ext, strlen(ext), "zifencei")))
		return true;
	for (tok = s + base_len; *tok == '_';) {
		size_t n = strcspn(++tok, "_");
		if (n && isa_token_is(tok, n, ext))
			return true;
		tok += n;
	}
	return false;
}
