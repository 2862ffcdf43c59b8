/*
 * rvhv's boot path, top to bottom: OpenSBI enters boot.S on one hart with
 * the DTB; here we learn the platform, check for the H extension, set up
 * memory, read the VM configuration, build the VMs, start the other harts
 * and run the boot hart's vCPU.
 */
#include <libfdt.h>

#include "arch/riscv/firmware.h"
#include "kernel/config.h"
#include "kernel/console.h"
#include "kernel/hart.h"
#include "kernel/lib.h"
#include "kernel/mm.h"
#include "passthru/iommu.h"
#include "passthru/pci.h"
#include "virtio/net.h"

extern char __image_start[], __image_end[];
long csr_try_read_hstatus(u64 *out);

static struct vm_config configs[MAX_VMS];

/* Before the UART is known: the firmware's legacy console. */
static void early_puts(const char *s)
{
	for (; *s; s++)
		fw_ecall(SBI_EXT_LEGACY_PUTCHAR, 0, *s, 0, 0);
}

static void __attribute__((noreturn)) power_off(void)
{
	fw_system_reset(SBI_SRST_SHUTDOWN);
	for (;;)
		wfi();
}

static void check_h_extension(void)
{
	u64 hstatus;
	if (platform.has_h && csr_try_read_hstatus(&hstatus) == 0)
		return;
	kprintf("rvhv: this CPU has no H extension (riscv,isa \"%s\"): rvhv needs it to run guests.\n"
		"rvhv: on QEMU use -cpu rv64 (h=true is the default); halting.\n",
		platform.isa);
	power_off();
}

static void setup_memory(const void *dtb)
{
	mm_add(platform.ram.base, platform.ram.size);
	/* The firmware below us and rvhv itself. */
	mm_reserve(platform.ram.base, (u64)(uintptr_t)__image_end - platform.ram.base);
	for (int i = 0; i < platform.nreserved; i++)
		mm_reserve(platform.reserved[i].base, platform.reserved[i].size);
	mm_reserve((u64)(uintptr_t)dtb, fdt_totalsize(dtb));
	if (platform.initrd_end > platform.initrd_start)
		mm_reserve(platform.initrd_start, platform.initrd_end - platform.initrd_start);
}

static int read_config(void)
{
	char err[160];
	const void *blob = (const void *)(uintptr_t)platform.initrd_start;
	if (platform.initrd_end <= platform.initrd_start) {
		kprintf("rvhv: no VM configuration: give rvhv a compiled configs/*.dts as QEMU's "
			"-initrd (make qemu does)\n");
		return -1;
	}
	if (fdt_check_header(blob) || fdt_totalsize(blob) > platform.initrd_end - platform.initrd_start) {
		kprintf("rvhv: the -initrd at 0x%lx is not a VM configuration (a DTB from configs/*.dts)\n",
			platform.initrd_start);
		return -1;
	}
	int n = config_parse(blob, configs, MAX_VMS, err, sizeof(err));
	if (n < 0) {
		kprintf("rvhv: configuration: %s\n", err);
		return -1;
	}
	return n;
}

/* The host's PCIe: functions found, BARs placed, all of them left off. A
 * host bridge rvhv cannot use costs PCI passthrough only, not the boot. */
static void setup_pci(const void *dtb)
{
	char err[160], line[200];
	int n = pci_host_init(dtb, err, sizeof(err));
	if (n < 0) {
		kprintf("rvhv: pci: %s; no PCI functions for VMs\n", err);
		return;
	}
	if (!pci_host.ecam_base)
		return;
	kprintf("rvhv: pci: ECAM 0x%lx buses %u-%u, windows mem 0x%lx+0x%lx mem64 0x%lx+0x%lx "
		"io 0x%lx+0x%lx, %d function%s\n",
		pci_host.ecam_base, pci_host.bus_start, pci_host.bus_end, pci_host.mmio_base,
		pci_host.mmio_size, pci_host.mmio64_base, pci_host.mmio64_size, pci_host.io_cpu,
		pci_host.io_size, n, n == 1 ? "" : "s");
	for (int i = 0; i < n; i++) {
		pci_describe(&pci_host.funcs[i], line, sizeof(line));
		kprintf("rvhv: pci %s\n", line);
	}
}

/* Harts the configuration gives to the virtqueue poller (root property
 * rvhv,poller-harts = <index ...>): they run no vCPU. */
static int reserve_pollers(void)
{
	const void *blob = (const void *)(uintptr_t)platform.initrd_start;
	int len;
	const fdt32_t *p = fdt_getprop(blob, 0, "rvhv,poller-harts", &len);
	for (int i = 0; p && i < len / 4; i++) {
		u32 index = fdt32_to_cpu(p[i]);
		if (index >= (u32)platform.nharts) {
			kprintf("rvhv: rvhv,poller-harts: no hart %u (this machine has %d)\n", index,
				platform.nharts);
			return -1;
		}
		harts[index].poller = true;
		kprintf("rvhv: hart %lu polls the virtqueues\n", harts[index].hartid);
	}
	return 0;
}

/* The switch's uplink to the platform's virtio-net (root property
 * rvhv,net-uplink = <hi lo>: the platform's virtio-mmio slot), if any. */
static int attach_uplink(void)
{
	char err[160];
	const void *blob = (const void *)(uintptr_t)platform.initrd_start;
	int len;
	const fdt32_t *p = fdt_getprop(blob, 0, "rvhv,net-uplink", &len);
	if (!p)
		return 0;
	u64 base = len == 8 ? (u64)fdt32_to_cpu(p[0]) << 32 | fdt32_to_cpu(p[1]) : 0;
	if (net_uplink_attach(base, err, sizeof(err))) {
		kprintf("rvhv: rvhv,net-uplink: %s\n", err);
		return -1;
	}
	kprintf("rvhv: the VMs' network switch has an uplink: the platform's virtio-net at 0x%lx\n",
		base);
	return 0;
}

/* Pin each vCPU to a hart: the one its configuration names, else the next free. */
static int assign_harts(void)
{
	int next = 0;
	for (int i = 0; i < nvms; i++) {
		for (int j = 0; j < vms[i].nvcpus; j++) {
			int want = vms[i].cfg->harts[j];
			if (want < 0) {
				while (next < platform.nharts && (harts[next].vcpu || harts[next].poller))
					next++;
				want = next;
			}
			if (want >= platform.nharts || harts[want].vcpu || harts[want].poller) {
				kprintf("rvhv: vm '%s' vcpu %d: no free hart (this machine has %d; "
					"run QEMU with more -smp)\n",
					vms[i].cfg->name, j, platform.nharts);
				return -1;
			}
			harts[want].vcpu = &vms[i].vcpus[j];
			vms[i].vcpus[j].hart = &harts[want];
		}
	}
	return 0;
}

void boot_main(u64 hartid, const void *dtb)
{
	static char err[160];
	if (platform_parse(dtb, &platform, err, sizeof(err))) {
		early_puts("rvhv: cannot use the firmware's device tree: ");
		early_puts(err);
		early_puts("\n");
		power_off();
	}
	console_init(platform.uart_base);
	kprintf("\nrvhv: RISC-V hypervisor on hart %lu (%d harts), RAM 0x%lx-0x%lx\n", hartid,
		platform.nharts, platform.ram.base, platform.ram.base + platform.ram.size);

	struct hart *self = NULL;
	for (int i = 0; i < platform.nharts; i++) {
		harts[i].hartid = platform.hartid[i];
		harts[i].index = i;
		if (harts[i].hartid == hartid)
			self = &harts[i];
	}
	if (!self) {
		kprintf("rvhv: boot hart %lu is not in the device tree\n", hartid);
		power_off();
	}
	asm volatile("mv tp, %0" ::"r"(self));

	check_h_extension();
	hart_probe_features();
	kprintf("rvhv: H extension, Sstc %s, henvcfg %s, %lu VMID bits\n",
		hart_features.sstc ? "yes" : "no", hart_features.henvcfg ? "yes" : "no",
		hart_features.vmid_bits);
	setup_memory(dtb);
	setup_pci(dtb);
	iommu_probe();

	nvms = read_config();
	console_line.direct = nvms == 1;
	if (nvms <= 0 || vm_place_identity(configs, nvms))
		power_off();
	for (int i = 0; i < nvms; i++) {
		if (vm_create(&vms[i], i, &configs[i]))
			power_off();
	}
	console_debug_keys = fdt_getprop((const void *)(uintptr_t)platform.initrd_start, 0,
					 "rvhv,debug-keys", NULL) != NULL;
	if (reserve_pollers() || assign_harts() || attach_uplink())
		power_off();
	for (int i = 0; i < nvms; i++) {
		struct vm *vm = &vms[i];
		kprintf("rvhv: vm '%s': %s mode, %d vcpu%s, %lu MiB at gpa 0x%lx (hpa 0x%lx), entry 0x%lx\n",
			vm->cfg->name, vm->cfg->boot == BOOT_MACHINE ? "machine" : "supervisor",
			vm->nvcpus, vm->nvcpus > 1 ? "s" : "", vm->cfg->mem_size / MiB, vm->cfg->mem_base,
			vm->ram_hpa, vm->entry);
		vm_load(vm);
	}
	hart_start_secondaries();
	hart_init_csrs(self);
	hart_loop(self);
}

void hart_secondary_main(void)
{
	struct hart *h = this_hart();
	hart_init_csrs(h);
	hart_loop(h);
}

void panic(const char *fmt, ...)
{
	static u32 panicked;
	if (__atomic_exchange_n(&panicked, 1, __ATOMIC_ACQ_REL))
		for (;;) /* another hart is reporting its own: let it finish */
			wfi();
	console_panic();
	char buf[200];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	struct hart *h = this_hart();
	kprintf("\nrvhv: panic on hart %lu: %s\n", h ? h->hartid : ~0UL, buf);
	hart_dump_csrs();
	if (h && h->vcpu)
		kprintf("rvhv: this hart runs vm '%s' vcpu %d\n", h->vcpu->vm->cfg->name, h->vcpu->id);
	vm_dump_state();
	kprintf("rvhv: halted after the panic on hart %lu\n", h ? h->hartid : ~0UL);
	power_off();
}
