/*
 * Virtual machines: memory, G-stage, devices and images from the VM's
 * configuration; power off and reset.
 */
#include <libfdt.h>

#include "arch/riscv/firmware.h"
#include "arch/riscv/vcpu_arch.h"
#include "kernel/console.h"
#include "kernel/guest_dtb.h"
#include "kernel/hart.h"
#include "kernel/lib.h"
#include "kernel/loader.h"
#include "kernel/mm.h"
#include "kernel/vdev.h"
#include "passthru/device.h"
#include "passthru/irq.h"

struct vm vms[MAX_VMS];
int nvms;

#define GUEST_DTB_SIZE (64 * KiB)
/* At most this many incident lines per VM in each window of this many seconds. */
#define VM_LOG_LIMIT 100
#define VM_LOG_WINDOW 10

void vm_log(struct vm *vm, const char *fmt, ...)
{
	u64 now = time_now();
	spin_lock(&vm->lock);
	if (now - vm->log_window >= VM_LOG_WINDOW * platform.timebase) {
		if (vm->incidents > VM_LOG_LIMIT)
			kprintf("rvhv: vm '%s': %u more incidents were not logged\n", vm->cfg->name,
				vm->incidents - VM_LOG_LIMIT);
		vm->log_window = now;
		vm->incidents = 0;
	}
	u32 n = vm->incidents++;
	spin_unlock(&vm->lock);
	if (n > VM_LOG_LIMIT)
		return;
	if (n == VM_LOG_LIMIT) {
		kprintf("rvhv: vm '%s': more incidents, not logged for up to %d s\n", vm->cfg->name,
			VM_LOG_WINDOW);
		return;
	}
	char buf[200];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kprintf("rvhv: vm '%s': %s\n", vm->cfg->name, buf);
}

#define RAM_CHUNK GUEST_RAM_ALIGN

static bool chunk_ready(struct vm *vm, u64 c)
{
	return (__atomic_load_n(&vm->ram_ready[c / 64], __ATOMIC_ACQUIRE) >> (c % 64)) & 1;
}

/* Clear and map chunk c, unless another hart has just done it. */
static void __attribute__((noinline)) chunk_prepare(struct vm *vm, u64 c)
{
	u64 at = c * RAM_CHUNK;
	spin_lock(&vm->ram_lock);
	if (!chunk_ready(vm, c)) {
		memset((void *)(uintptr_t)(vm->ram_hpa + at), 0, RAM_CHUNK);
		gstage_set_valid(&vm->gs, vm->cfg->mem_base + at, RAM_CHUNK, true);
		__atomic_or_fetch(&vm->ram_ready[c / 64], 1UL << c % 64, __ATOMIC_RELEASE);
	}
	spin_unlock(&vm->ram_lock);
}

/* Clear and map the chunks of guest RAM [off, off+len) not used yet. */
static void ram_prepare(struct vm *vm, u64 off, u64 len)
{
	if (len == 0)
		return;
	for (u64 c = off / RAM_CHUNK; c <= (off + len - 1) / RAM_CHUNK; c++)
		if (!chunk_ready(vm, c))
			chunk_prepare(vm, c);
}

bool vm_ram_fault(struct vm *vm, u64 gpa)
{
	u64 base = vm->cfg->mem_base;
	if (gpa < base || gpa - base >= vm->cfg->mem_size)
		return false;
	ram_prepare(vm, gpa - base, 1);
	return true;
}

/* vm_gpa_to_ptr's other case, out of line so that the usual one needs no
 * stack frame. */
static void *__attribute__((noinline)) gpa_to_ptr_prepare(struct vm *vm, u64 off, u64 len)
{
	ram_prepare(vm, off, len);
	return (void *)(uintptr_t)(vm->ram_hpa + off);
}

void *vm_gpa_to_ptr(struct vm *vm, u64 gpa, u64 len)
{
	u64 base = vm->cfg->mem_base, size = vm->cfg->mem_size;
	u64 off = gpa - base;
	if (gpa < base || off > size || len > size - off)
		return NULL;
	/* On the way of every virtio buffer: one check for the usual range
	 * inside one chunk that is in use already. */
	u64 c = off / RAM_CHUNK;
	if (len && (c != (off + len - 1) / RAM_CHUNK || !chunk_ready(vm, c)))
		return gpa_to_ptr_prepare(vm, off, len);
	return (void *)(uintptr_t)(vm->ram_hpa + off);
}

/*
 * Where a VM's RAM must sit in host memory, from its devices: one that DMAs
 * without an IOMMU (rvhv,dma = "identity", passthru/) needs GPA == HPA; PCI
 * functions behind the IOMMU need the host page below the RAM to be the
 * VM's own guard page (passthru/iommu.c says why).
 */
static int ram_needs(const struct vm_config *cfg, bool *identity, bool *guard)
{
	int node;
	*identity = *guard = false;
	if (cfg->devices < 0)
		return 0;
	fdt_for_each_subnode(node, cfg->fdt, cfg->devices)
	{
		const char *dma = fdt_getprop(cfg->fdt, node, "rvhv,dma", NULL);
		if (dma && strcmp(dma, "identity") != 0) {
			kprintf("rvhv: vm '%s': device '%s': rvhv,dma must be \"identity\"\n", cfg->name,
				fdt_get_name(cfg->fdt, node, NULL));
			return -1;
		}
		*identity |= dma != NULL;
		*guard |= fdt_node_check_compatible(cfg->fdt, node, "rvhv,pci") == 0;
	}
	return 0;
}

int vm_place_identity(const struct vm_config *cfgs, int n)
{
	for (int i = 0; i < n; i++) {
		bool identity, guard;
		if (ram_needs(&cfgs[i], &identity, &guard))
			return -1;
		if (!identity)
			continue;
		u64 lo = cfgs[i].mem_base - (guard ? PAGE_SIZE : 0);
		u64 hi = cfgs[i].mem_base + cfgs[i].mem_size;
		if (!mm_range_free(lo, hi - lo)) {
			kprintf("rvhv: vm '%s': a device DMAs with identity mapping, so its RAM must be at "
				"host 0x%lx-0x%lx, and that is not free host RAM (rvhv, firmware, the "
				"configuration, or outside RAM 0x%lx-0x%lx)\n",
				cfgs[i].name, lo, hi, platform.ram.base, platform.ram.base + platform.ram.size);
			return -1;
		}
		mm_reserve(lo, hi - lo);
		kprintf("rvhv: vm '%s': RAM at host 0x%lx-0x%lx, the same as its guest-physical "
			"addresses (identity DMA)\n",
			cfgs[i].name, cfgs[i].mem_base, hi);
	}
	return 0;
}

/* Host memory for the VM's RAM (see ram_needs; vm_place_identity ran
 * first), not cleared yet: vm_load does.  Devices that DMA into it behind
 * rvhv's back need it cleared whole at load, not as the guest first
 * touches it (vm.h, ram_eager). */
static void *alloc_ram(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	bool identity, guard;
	ram_needs(cfg, &identity, &guard);
	vm->ram_eager = identity || guard;
	if (identity)
		return (void *)(uintptr_t)cfg->mem_base;
	if (!guard)
		return mm_alloc_raw(cfg->mem_size, 2 * MiB);
	u8 *ram = mm_alloc_raw(cfg->mem_size + 2 * MiB, 2 * MiB);
	return ram ? ram + 2 * MiB : NULL;
}

int vm_create(struct vm *vm, int id, const struct vm_config *cfg)
{
	char err[160];
	struct load_plan plan;
	vm->id = id;
	vm->cfg = cfg;
	vm->vmid = id + 1;
	if (loader_plan(cfg->image, cfg->image_size, cfg->image_addr, cfg->mem_base, cfg->mem_size,
			&plan, err, sizeof(err))) {
		kprintf("rvhv: vm '%s': image: %s\n", cfg->name, err);
		return -1;
	}
	vm->entry = plan.entry;
	void *ram = alloc_ram(vm);
	vm->gs.root = mm_alloc(GSTAGE_ROOT_SIZE, GSTAGE_ROOT_SIZE);
	vm->gs.alloc = mm_alloc_page;
	vm->ram_ready = mm_alloc(ALIGN_UP(cfg->mem_size / RAM_CHUNK, 64) / 8, 8);
	if (!ram || !vm->gs.root || !vm->ram_ready) {
		kprintf("rvhv: vm '%s': not enough host memory for %lu MiB of guest RAM (%lu MiB free)\n",
			cfg->name, cfg->mem_size / MiB, mm_free_bytes() / MiB);
		return -1;
	}
	vm->ram_hpa = (u64)(uintptr_t)ram;
	if (gstage_map(&vm->gs, cfg->mem_base, vm->ram_hpa, cfg->mem_size, GSTAGE_RWX)) {
		kprintf("rvhv: vm '%s': cannot map guest RAM at 0x%lx\n", cfg->name, cfg->mem_base);
		return -1;
	}
	mmio_bus_init(&vm->bus);
	if (vdev_attach_all(vm, err, sizeof(err))) {
		kprintf("rvhv: vm '%s': %s\n", cfg->name, err);
		return -1;
	}
	vm->nvcpus = cfg->ncpus;
	for (int i = 0; i < vm->nvcpus; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].id = i;
		vm->vcpus[i].machine = cfg->boot == BOOT_MACHINE;
		vm->vcpus[i].state = VCPU_STOPPED;
		for (int k = 0; k < VCPU_DECODED; k++)
			vm->vcpus[i].mmio_insn[k] = VCPU_NO_INSN;
		vcpu_fast_init(&vm->vcpus[i]);
	}
	return 0;
}

/* Copy the image and its DTB into guest RAM and set every vCPU to its boot
 * state; vCPU 0 (all of them for a machine-mode VM) starts at the entry. */
void vm_load(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct load_plan plan;
	char err[160];

	/* A reset: wait until the other vCPUs have left the guest. */
	for (int i = 0; i < vm->nvcpus; i++)
		if (&vm->vcpus[i] != this_hart()->vcpu)
			while (vm->vcpus[i].running)
				;
	/* Devices back to their power-on state, and with them the interrupt
	 * lines they drive (a first boot finds them so already). */
	spin_lock(&vm->dev_lock);
	for (int i = 0; i < vm->bus.n; i++)
		if (vm->bus.regions[i].ops->reset)
			vm->bus.regions[i].ops->reset(vm->bus.regions[i].dev);
	for (int i = 0; i < vm->nvcpus; i++) {
		vm->vcpus[i].vseip = false;
		vm->vcpus[i].vmm.lines = 0;
		vm->vcpus[i].vmm.timer_deadline = ~0UL;
	}
	irq_vm_reset(vm);
	spin_unlock(&vm->dev_lock);
	passthru_vm_reset(vm);
	/* Guest RAM as new: cleared as it is used (vm.h), or now if ram_eager.
	 * The vCPUs fence their G-stage TLBs when they start. */
	spin_lock(&vm->ram_lock);
	memset((void *)vm->ram_ready, 0, ALIGN_UP(cfg->mem_size / RAM_CHUNK, 64) / 8);
	gstage_set_valid(&vm->gs, cfg->mem_base, cfg->mem_size, false);
	spin_unlock(&vm->ram_lock);
	if (vm->ram_eager)
		ram_prepare(vm, 0, cfg->mem_size);
	loader_plan(cfg->image, cfg->image_size, cfg->image_addr, cfg->mem_base, cfg->mem_size, &plan,
		    err, sizeof(err));
	for (int i = 0; i < plan.nsegs; i++)
		memcpy(vm_gpa_to_ptr(vm, plan.segs[i].gpa, plan.segs[i].memsz), plan.segs[i].data,
		       plan.segs[i].filesz);

	u64 top = cfg->mem_base + cfg->mem_size;
	vm->dtb_gpa = top - GUEST_DTB_SIZE;
	u64 initrd_gpa = 0;
	if (cfg->initrd) {
		initrd_gpa = ALIGN_DOWN(vm->dtb_gpa - cfg->initrd_size, PAGE_SIZE);
		memcpy(vm_gpa_to_ptr(vm, initrd_gpa, cfg->initrd_size), cfg->initrd, cfg->initrd_size);
	}
	/* Supervisor guests read it; machine-mode ones get it in a1, as QEMU gives it. */
	int e = guest_dtb_build(vm_gpa_to_ptr(vm, vm->dtb_gpa, GUEST_DTB_SIZE), GUEST_DTB_SIZE, cfg,
				&platform, hart_features.sstc, initrd_gpa, cfg->initrd_size);
	if (e)
		kprintf("rvhv: vm '%s': guest DTB: %s\n", cfg->name, fdt_strerror(e));
	for (int i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		v->requests = 0;
		v->start_addr = vm->entry;
		v->start_arg = vm->dtb_gpa;
		v->state = (i == 0 || cfg->boot == BOOT_MACHINE) ? VCPU_START_PENDING : VCPU_STOPPED;
	}
	vm->incidents = 0;
	vm->log_window = time_now();
	__atomic_store_n(&vm->state, VM_RUNNING, __ATOMIC_RELEASE);
	for (int i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].hart && vm->vcpus[i].hart->online)
			vcpu_kick(&vm->vcpus[i]);
}

static void kick_all(struct vm *vm)
{
	for (int i = 0; i < vm->nvcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
}

/* VMs stopped and reported; the one that makes it nvms powers the machine off. */
static u32 stopped;

void vm_shutdown(struct vm *vm, const char *why)
{
	int was = __atomic_exchange_n(&vm->state, VM_STOPPED, __ATOMIC_ACQ_REL);
	if (was == VM_STOPPED)
		return; /* another of its vCPUs was first */
	console_flush(vm); /* its last words first */
	kprintf("rvhv: vm '%s' stopped: %s\n", vm->cfg->name, why);
	vm_print_stats(vm);
	kick_all(vm);
	/* Counted after its report, so no other VM's last words are cut off. */
	if (__atomic_add_fetch(&stopped, 1, __ATOMIC_ACQ_REL) != (u32)nvms)
		return;
	kprintf("rvhv: every VM has stopped; powering off\n");
	fw_system_reset(SBI_SRST_SHUTDOWN);
}

void vm_reset(struct vm *vm, const char *why)
{
	console_flush(vm);
	kprintf("rvhv: vm '%s' resetting: %s\n", vm->cfg->name, why);
	__atomic_store_n(&vm->state, VM_RESETTING, __ATOMIC_RELEASE);
	for (int i = 0; i < vm->nvcpus; i++)
		vm->vcpus[i].state = VCPU_STOPPED;
	kick_all(vm);
}

void vm_restart(struct vm *vm, const char *why)
{
	int was = VM_STOPPED;
	if (__atomic_compare_exchange_n(&vm->state, &was, VM_RESETTING, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		__atomic_sub_fetch(&stopped, 1, __ATOMIC_ACQ_REL);
		kprintf("rvhv: vm '%s' starting again: %s\n", vm->cfg->name, why);
		for (int i = 0; i < vm->nvcpus; i++)
			vm->vcpus[i].state = VCPU_STOPPED;
		kick_all(vm); /* vCPU 0's hart reloads it (hart_loop) */
	} else if (was == VM_RUNNING) {
		vm_reset(vm, why);
	}
}

static const char *const exit_names[NR_EXC] = {
	[EXC_ILLEGAL_INSN] = "illegal-insn",	    [EXC_LOAD_ACCESS] = "load-access",
	[EXC_STORE_ACCESS] = "store-access",	    [EXC_ECALL_VS] = "sbi",
	[EXC_INSN_GUEST_PAGE_FAULT] = "fetch-gpf", [EXC_LOAD_GUEST_PAGE_FAULT] = "load-gpf",
	[EXC_VIRTUAL_INSN] = "virtual-insn",	    [EXC_STORE_GUEST_PAGE_FAULT] = "store-gpf",
};
static const char *const irq_names[16] = {[1] = "irq-ipi", [5] = "irq-timer", [9] = "irq-ext"};

/* Exits of one cause, with the device accesses guest_exit's assembly tier
 * answered (it counts them apart, in one word each). */
static u64 vcpu_exits(const struct vcpu *v, int cause)
{
	u64 n = v->exits[cause];
	if (cause == EXC_LOAD_GUEST_PAGE_FAULT)
		n += v->fast_uart_exits[0] + v->fast_plic_exits[0] + v->fast_window_exits;
	else if (cause == EXC_STORE_GUEST_PAGE_FAULT)
		n += v->fast_uart_exits[1] + v->fast_plic_exits[1];
	return n;
}

void vm_print_stats(struct vm *vm)
{
	char line[256];
	int n = ksnprintf(line, sizeof(line), "rvhv: vm '%s' exits:", vm->cfg->name);
	u64 total = 0;
	for (int c = 0; c < NR_EXC + 16; c++) {
		u64 count = 0;
		for (int i = 0; i < vm->nvcpus; i++)
			count += vcpu_exits(&vm->vcpus[i], c);
		if (!count)
			continue;
		total += count;
		const char *name = c < NR_EXC ? exit_names[c] : irq_names[c - NR_EXC];
		if (n < (int)sizeof(line)) {
			if (name)
				n += ksnprintf(line + n, sizeof(line) - n, " %s %lu", name, count);
			else
				n += ksnprintf(line + n, sizeof(line) - n, " cause%d %lu", c, count);
		}
	}
	kprintf("%s (total %lu)\n", line, total);
	u64 tier[3] = {0};
	for (int i = 0; i < vm->nvcpus; i++) {
		const struct vcpu *v = &vm->vcpus[i];
		tier[0] += v->fast_uart_exits[0] + v->fast_uart_exits[1];
		tier[1] += v->fast_plic_exits[0] + v->fast_plic_exits[1];
		tier[2] += v->fast_window_exits;
	}
	if (tier[0] || tier[1] || tier[2])
		kprintf("rvhv: vm '%s' of those, the assembly tier answered %lu UART and %lu PLIC "
			"accesses, and %lu loads from register windows\n",
			vm->cfg->name, tier[0], tier[1], tier[2]);
	if (vm->cfg->boot == BOOT_MACHINE) {
		u64 e[4] = {0};
		for (int i = 0; i < vm->nvcpus; i++)
			for (int k = 0; k < 4; k++)
				e[k] += vm->vcpus[i].vmm.emulated[k];
		kprintf("rvhv: vm '%s' virtual M-mode: %lu CSR accesses, %lu mret, %lu interrupts, "
			"%lu exceptions\n",
			vm->cfg->name, e[0], e[1], e[2], e[3]);
	}
	for (int i = 0; i < vm->bus.n; i++) {
		const struct mmio_region *r = &vm->bus.regions[i];
		u64 count = r->count + (r->window ? r->window->count : 0);
		for (int k = 0; k < vm->nvcpus; k++) {
			const struct vcpu *v = &vm->vcpus[k];
			if (r->dev == vm->uart)
				count += v->fast_uart_exits[0] + v->fast_uart_exits[1];
			if (r->dev == vm->plic)
				count += v->fast_plic_exits[0] + v->fast_plic_exits[1];
		}
		kprintf("rvhv: vm '%s' device %s@0x%lx: %lu accesses\n", vm->cfg->name, r->name,
			r->base, count);
	}
}

static const char *const vm_states[] = {"running", "stopped", "resetting"};

static u64 total_exits(const struct vcpu *v)
{
	u64 n = 0;
	for (int c = 0; c < NR_EXC + 16; c++)
		n += vcpu_exits(v, c);
	return n;
}

void vm_print_list(void)
{
	for (int i = 0; i < nvms; i++) {
		struct vm *vm = &vms[i];
		u64 exits = 0;
		for (int k = 0; k < vm->nvcpus; k++)
			exits += total_exits(&vm->vcpus[k]);
		kprintf("rvhv: vm %d '%s': %s, %d vcpus, %lu MiB at 0x%lx, %lu exits, %u incidents\n", i,
			vm->cfg->name, vm_states[vm->state], vm->nvcpus, vm->cfg->mem_size / MiB,
			vm->cfg->mem_base, exits, vm->incidents);
	}
}

static const char *const vcpu_states[] = {"started", "stopped", "start-pending"};

static void vcpu_dump(struct vcpu *v)
{
	kprintf("rvhv: vm '%s' vcpu %d (hart %ld): %s, %s, %lu exits; as saved at its last exit:\n",
		v->vm->cfg->name, v->id, v->hart ? (long)v->hart->hartid : -1L,
		vcpu_states[v->state & 3], v->running ? "in vcpu_run" : "idle", total_exits(v));
	kprintf("  pc %016lx sstatus %016lx hstatus %016lx\n", v->sepc, v->sstatus, v->hstatus);
	kprintf("  scause %lx stval %lx htval %lx htinst %lx\n", v->scause, v->stval, v->htval,
		v->htinst);
	dump_regs(v->regs);
	u32 n = v->exit_seq < VCPU_EXIT_LOG ? v->exit_seq : VCPU_EXIT_LOG;
	for (u32 k = 0; k < n; k++) {
		const struct exit_record *e = &v->exit_log[(v->exit_seq - 1 - k) % VCPU_EXIT_LOG];
		bool sbi = e->cause == EXC_ECALL_VS;
		kprintf("  exit -%u: cause %lx pc %lx %s %lx %s %lx\n", k, e->cause, e->pc,
			sbi ? "a7" : "tval", e->tval, sbi ? "a6" : "htval", e->htval);
	}
	if (v->hart == this_hart())
		vcpu_arch_dump_csrs(v);
}

void vm_dump_state(void)
{
	for (int i = 0; i < nvms; i++) {
		struct vm *vm = &vms[i];
		kprintf("rvhv: vm %d '%s': %s, VMID %lu, RAM hpa 0x%lx, %u incidents\n", i,
			vm->cfg->name, vm_states[vm->state], vm->vmid, vm->ram_hpa, vm->incidents);
		for (int k = 0; k < vm->nvcpus; k++)
			vcpu_dump(&vm->vcpus[k]);
	}
}
