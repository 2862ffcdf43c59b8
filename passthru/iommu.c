/*
 * IOMMU policy (see iommu.h), the same for every IOMMU driver: one domain
 * per VM that maps its RAM GPA -> HPA and nothing else, a guard below it,
 * and fault reports on the console with the device, its VM and the address.
 */
#include "kernel/hart.h"
#include "kernel/lib.h"
#include "kernel/platform.h"
#include "kernel/vm.h"
#include "passthru/iommu.h"
#include "passthru/pci.h"

struct iommu *host_iommu;

/* What the page below a VM's RAM holds; any other value there is a write
 * that no mapping allowed. */
#define POISON 0xdeadc0dedeadc0deUL

/* At most FAULT_LINES fault lines per FAULT_WINDOW seconds. */
#define FAULT_LINES 10
#define FAULT_WINDOW 1

static struct vm_domain {
	struct vm *vm; /* NULL until the VM's first device is assigned */
	u32 id;
} domains[MAX_VMS];

static struct {
	u64 start; /* time_now() when the window began */
	u32 printed, left_out;
	bool checked; /* the integrity check ran in this window */
} window;

extern const char __image_start[], __rodata_end[]; /* linker.ld, both 8-byte aligned */
static u64 image_sum;

/* FNV-1a over rvhv's text and read-only data, a word at a time. */
static u64 image_checksum(void)
{
	u64 h = 0xcbf29ce484222325UL;

	for (const volatile u64 *p = (const u64 *)__image_start; p < (const u64 *)__rodata_end; p++)
		h = (h ^ *p) * 0x100000001b3UL;
	return h;
}

static u64 *guard_page(const struct vm *vm)
{
	return (u64 *)(uintptr_t)(vm->ram_hpa - PAGE_SIZE);
}

static void poison(struct vm *vm)
{
	u64 *g = guard_page(vm);

	for (u64 i = 0; i < PAGE_SIZE / 8; i++)
		g[i] = POISON;
}

void iommu_probe(void)
{
	char err[160];

	host_iommu = viommu_probe(err, sizeof(err));
	if (!host_iommu) {
		if (err[0])
			kprintf("rvhv: iommu: %s: NOT USED, so DMA of PCI functions is not "
				"isolated (and may bypass it): no VM gets DMA through it\n",
				err);
		return;
	}
	image_sum = image_checksum();
}

/*
 * The order of the requests matters on QEMU 7.2.  Its virtio-iommu looks an
 * access at IOVA a up as the interval [a, a+1] in the domain's tree of
 * mappings, so the byte just below a mapping overlaps the mapping too and is
 * translated to the physical byte below the mapping's target: a DMA to
 * mem_base - 1 would reach ram_hpa - 1, a byte the VM was never given.  So:
 * - a guard mapping with no permission covers [mem_base - 4 KiB, mem_base)
 *   and is made before the RAM's: the tree (a GLib AVL tree) is searched
 *   from its root, and of two mappings the first one inserted stays the
 *   root, so the lookup of mem_base - 1, which overlaps both, finds the
 *   guard and faults (reported) instead of reaching the RAM mapping;
 * - the guard maps to the page just below the VM's RAM, which vm_create
 *   keeps for it: even a lookup that hit the RAM mapping would land in a
 *   page of rvhv, poisoned here and checked after every burst of faults.
 * Seen on QEMU 7.2 with edu: a 1-byte DMA write to mem_base - 1 in a domain
 * that mapped the RAM first changed the byte at ram_hpa - 1; with the guard
 * mapped first it was blocked and reported, and the byte kept its poison.
 * The domain exists on the device only from its first ATTACH (a MAP on an
 * unknown domain gets NOENT), so ATTACH comes first; the function is off
 * then (command 0), and an attached endpoint without mappings faults.
 */
static int make_domain(struct iommu *io, struct vm *vm, u32 endpoint)
{
	struct vm_domain *d = &domains[vm->id];
	u64 base = vm->cfg->mem_base, size = vm->cfg->mem_size;

	poison(vm);
	if (io->ops->domain_alloc(io->priv, &d->id) || io->ops->attach(io->priv, d->id, endpoint) ||
	    io->ops->map(io->priv, d->id, base - PAGE_SIZE, vm->ram_hpa - PAGE_SIZE, PAGE_SIZE,
			 0) ||
	    io->ops->map(io->priv, d->id, base, vm->ram_hpa, size, IOMMU_READ | IOMMU_WRITE))
		return -1;
	d->vm = vm;
	return 0;
}

int iommu_assign(struct vm *vm, u32 endpoint, char *err, size_t errlen)
{
	struct iommu *io = host_iommu;

	if (!io)
		return errorf(err, errlen, "this platform has no IOMMU to isolate its DMA");
	if (vm->cfg->mem_base < PAGE_SIZE || vm->ram_hpa < PAGE_SIZE)
		return errorf(err, errlen, "no room for a guard page below RAM at 0x%lx",
			      vm->cfg->mem_base);
	if (domains[vm->id].vm ? io->ops->attach(io->priv, domains[vm->id].id, endpoint)
			       : make_domain(io, vm, endpoint))
		return errorf(err, errlen, "%s: %s", io->name, io->error);
	return 0;
}

/* The VM a faulting device belongs to (passthru/pci.c keeps the owner). */
static struct vm *owner(u32 endpoint)
{
	const struct pci_func *f = pci_find(endpoint);
	return f && f->owner >= 0 ? &vms[f->owner] : NULL;
}

static const char *why(const struct iommu_fault *f, const struct vm *vm)
{
	if (f->no_domain)
		return "not attached";
	if (vm && f->addr_valid) {
		u64 base = vm->cfg->mem_base;
		if (f->addr >= base - PAGE_SIZE && f->addr < base)
			return "guard page below its RAM";
		if (f->addr - base < vm->cfg->mem_size)
			return "no permission";
	}
	return "no mapping";
}

/* Faults at ascending nearby addresses from one device for one reason are
 * one DMA (QEMU reports every 4-byte chunk): they make one line. */
static struct {
	struct iommu_fault first;
	u64 last;
	u32 count;
} run;

static bool continues_run(const struct iommu_fault *f)
{
	const struct iommu_fault *r = &run.first;
	return run.count && f->endpoint == r->endpoint && f->read == r->read &&
	       f->write == r->write && f->no_domain == r->no_domain && f->addr_valid &&
	       r->addr_valid && f->addr > run.last && f->addr - run.last <= 64 &&
	       why(f, owner(f->endpoint)) == why(r, owner(r->endpoint));
}

static void flush_run(void)
{
	const struct iommu_fault *f = &run.first;
	struct vm *vm = owner(f->endpoint);
	char who[VM_NAME_MAX + 8] = "no VM", at[64] = "";

	if (!run.count)
		return;
	if (window.printed == FAULT_LINES) {
		window.left_out++;
		run.count = 0;
		return;
	}
	window.printed++;
	if (vm)
		ksnprintf(who, sizeof(who), "vm '%s'", vm->cfg->name);
	if (f->addr_valid && run.count > 1)
		ksnprintf(at, sizeof(at), " at 0x%lx..0x%lx (%u reports)", f->addr, run.last, run.count);
	else if (f->addr_valid)
		ksnprintf(at, sizeof(at), " at 0x%lx", f->addr);
	kprintf("rvhv: iommu: blocked DMA%s by %02x:%02x.%u (%s)%s: %s\n",
		f->write ? " write" : f->read ? " read" : "", f->endpoint >> 8 & 0xff,
		f->endpoint >> 3 & 31, f->endpoint & 7, who, at, why(f, vm));
	run.count = 0;
}

static void log_fault(const struct iommu_fault *f)
{
	if (!continues_run(f)) {
		flush_run();
		run.first = *f;
	}
	run.last = f->addr;
	run.count++;
}

/* After faults: did anything get past the IOMMU?  The pages below the VMs'
 * RAM and rvhv's own code and read-only data are checked. */
static void check_integrity(void)
{
	bool ok = true;

	for (int i = 0; i < MAX_VMS; i++) {
		struct vm *vm = domains[i].vm;
		if (!vm)
			continue;
		u64 *g = guard_page(vm);
		for (u64 j = 0; j < PAGE_SIZE / 8; j++)
			if (g[j] != POISON) {
				kprintf("rvhv: iommu: *** the page below vm '%s' RAM was written "
					"at "
					"0x%lx (0x%lx): a device reached memory outside its VM "
					"***\n",
					vm->cfg->name, (u64)(uintptr_t)&g[j], g[j]);
				poison(vm);
				ok = false;
				break;
			}
	}
	u64 sum = image_checksum();
	if (sum != image_sum) {
		kprintf("rvhv: iommu: *** rvhv's own code or read-only data CHANGED (checksum "
			"0x%lx, was 0x%lx) ***\n",
			sum, image_sum);
		image_sum = sum;
		ok = false;
	}
	if (ok && !window.checked)
		kprintf("rvhv: iommu: guard pages intact, hypervisor image intact\n");
	window.checked = true;
}

/* Start a new rate-limit window if the last one is over, with the count
 * of the lines it left out. */
static void window_roll(void)
{
	u64 now = time_now();

	if (now - window.start < FAULT_WINDOW * (u64)platform.timebase)
		return;
	if (window.left_out)
		kprintf("rvhv: iommu: %u more blocked DMAs were not logged\n", window.left_out);
	window.start = now;
	window.printed = window.left_out = 0;
	window.checked = false;
}

void iommu_poll(void)
{
	struct iommu *io = host_iommu;
	struct iommu_fault f[8];
	int n, total = 0;

	if (!io)
		return;
	if (window.left_out)
		window_roll();
	/* A device can fault thousands of times a second: take a bounded
	 * number per tick; the device drops what finds no buffer. */
	while (total < 64 && (n = io->ops->faults(io->priv, f, ARRAY_SIZE(f))) > 0) {
		window_roll();
		for (int i = 0; i < n; i++)
			log_fault(&f[i]);
		total += n;
	}
	flush_run();
	if (total)
		check_integrity();
}
