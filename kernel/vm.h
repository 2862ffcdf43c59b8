/*
 * Virtual machines and virtual CPUs.  No per-VM state is global: a struct vm
 * owns its memory, G-stage, MMIO bus and vCPUs; a struct vcpu is what a hart
 * runs.  vCPUs are pinned to harts, one per hart.
 */
#ifndef RVHV_VM_H
#define RVHV_VM_H

#include "arch/riscv/csr.h"
#include "arch/riscv/gstage.h"
#include "kernel/config.h"
#include "kernel/mmio.h"
#include "kernel/sbi.h"
#include "kernel/spinlock.h"

/* HSM states (SBI spec, Hart State Management) double as vCPU run states. */
enum vcpu_state {
	VCPU_STARTED = 0,
	VCPU_STOPPED = 1,
	VCPU_START_PENDING = 2,
};

enum vm_state {
	VM_RUNNING,
	VM_STOPPED,   /* powered off by the guest or by the console */
	VM_RESETTING, /* reboot requested: vCPUs are stopping, then it reloads */
};

/* Requests other harts post to a vCPU; handled before it re-enters the guest. */
#define VCPU_REQ_FENCE_VVMA (1U << 0) /* hfence.vvma: SBI remote sfence.vma */
#define VCPU_REQ_TIMER (1U << 3)      /* a virtual CLINT deadline changed: reprogram */

/* Privilege levels, as in mstatus.MPP. */
#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

/*
 * The virtual M-mode of a vCPU in a machine-mode VM (arch/riscv/vmm.c): the
 * guest's M-level CSRs, and what its S-mode had in the VS CSRs that the M
 * code must not see changed (it runs in VS-mode too, with paging off).
 */
struct vmm {
	int mode;            /* PRV_M, or where mret last sent it (S/U then change in hardware) */
	u64 mstatus;         /* the M-only fields: MIE MPIE MPP MPRV TVM TW TSR */
	u64 mie;             /* MSIE MTIE MEIE */
	volatile u64 lines;  /* MSIP MTIP MEIP as the virtual CLINT and PLIC drive them */
	u64 mtvec, mscratch, mepc, mcause, mtval;
	u64 medeleg, mideleg, mcounteren, menvcfg;
	u64 pmpcfg[8], pmpaddr[64];
	u64 satp;            /* the guest's satp while it runs in virtual M */
	bool sie;            /* the guest's sstatus.SIE while it runs in virtual M */
	u64 timer_deadline;  /* the virtual CLINT's mtimecmp for this vCPU */
	u64 emulated[4];     /* statistics: CSR accesses, mret, interrupts, exceptions */
};

struct vm;
struct hart;
struct plic;
struct clint;
struct vuart;
struct uart16550;
struct console_line;
struct vvirtio;

#define VM_MAX_VIRTIO 8
#define VCPU_NO_INSN 0xfffffffeU
#define VCPU_DECODED 2
#define VCPU_EXIT_LOG 8

struct vcpu {
	/* Saved by the world switch (arch/riscv/switch.S): keep first, in order. */
	u64 regs[32]; /* x0..x31; regs[0] stays 0 (a store of x0 reads it) */
	u64 sepc;     /* guest pc: restored on entry, saved on exit */
	u64 sstatus;  /* sstatus on entry (SPP = guest privilege), saved on exit */
	u64 hstatus;
	u64 scause, stval, htval, htinst; /* exit information */
	u64 host_sp;
	/*
	 * Read by the assembly tier of guest_exit (switch.S), which answers the
	 * hottest exits with only t0-t2 saved; set by vcpu_fast_init.  The
	 * console UART is `fast_uart`, its registers at GPA fast_uart_word * 4
	 * (1 << 62: no fast UART).  Constants sit here so that each is one load.
	 */
	u64 fast_uart_word;
	struct uart16550 *fast_uart;
	volatile u32 *fast_in;   /* &vm->in_head; in_tail follows: console input waits */
	u64 fast_fault;          /* stvec while the tier reads the guest's instruction */
	u64 fast_load_tab;       /* write_rd_table: rd = the loaded value */
	u64 fast_store_tab;      /* read_rs2_table: the stored value */
	u64 fast_load_mask;      /* opcode and funct3 bits that make lb/lbu */
	u64 fast_store_mask;     /* ... and sb */
	const bool *fast_tx_only; /* the UART's tx_only, or false: THR bytes go through C */
	struct console_line *fast_console;
	u64 fast_sbi;            /* bit 0: SBI calls may be answered there; bit 1: Sstc */
	u64 fast_uart_exits[2];  /* device loads and stores answered there */
	u64 fast_sbi_base[SBI_BASE_FIDS]; /* sbi_base_fixed's answers */
	/* The vPLIC's claim/complete register of this vCPU's S-mode context
	 * (vdev/plic.h) at GPA fast_plic_word * 4 (1 << 62: none). */
	u64 fast_plic_word;
	struct plic *fast_plic;
	struct spinlock *fast_plic_lock; /* &vm->dev_lock */
	u32 *fast_plic_enable;   /* the context's enable words */
	u32 fast_plic_ctx;       /* the context: 2 * id + 1 */
	u32 fast_plic_others;    /* every context's bit but its own (plic.h: enabling) */
	const u32 *fast_plic_end; /* the context's enable_end (plic.h) */
	u64 fast_plic_load_tab;  /* write_rd_plic: rd = the claimed ID */
	u64 fast_plic_store_tab; /* read_rs2_plic: the completed ID */
	u64 fast_plic_exits[2];  /* claims and completions answered there */
	u64 fast_disarmed;       /* the tier stood down (switch.S: fast_fetch_fault) */
	u64 fast_pc;             /* the PLIC part's instruction, while sepc is past it */
	/* Register windows (kernel/mmio.h): the VM's bus.slots, the loads
	 * answered from them, and the slot of the one being answered. */
	struct mmio_window_slot *fast_windows;
	u64 fast_window_exits;
	struct mmio_window_slot *fast_window_slot;

	struct vm *vm;
	int id; /* the guest's hart ID */
	bool machine; /* its VM boots in (virtual) M-mode */
	struct hart *hart;
	volatile int state;        /* enum vcpu_state */
	volatile bool running;     /* inside vcpu_run: may be in the guest */
	volatile u32 requests;     /* VCPU_REQ_* */
	volatile u64 pending_irqs; /* MIP(IRQ_VS_*) to raise in hvip */
	u64 start_addr, start_arg; /* HSM hart_start arguments */
	u64 timer_deadline;        /* SBI set_timer, used without Sstc */
	volatile bool vseip;       /* the vPLIC's S-mode context line for this vCPU */
	bool hvip_seip;            /* what hvip.VSEIP was last set to */
	struct vmm vmm;
	u64 exits[NR_EXC + 16];    /* exit counts: exceptions, then 32 + irq */
	/* The last exits, for state dumps: exit_log[(exit_seq - 1) % VCPU_EXIT_LOG] is the newest.
	 * For an SBI call, tval and htval hold a7 and a6 (extension and function). */
	struct exit_record {
		u64 cause, pc, tval, htval;
	} exit_log[VCPU_EXIT_LOG];
	/* The last device access's region, and the last device accesses'
	 * instructions decoded (kernel/vcpu.c).  VCPU_NO_INSN marks an
	 * empty entry: no fetch yields it (a compressed instruction comes with
	 * bits 31:16 clear). */
	struct mmio_region *mmio_last;
	u32 mmio_insn[VCPU_DECODED], mmio_next;
	u64 mmio_how[VCPU_DECODED]; /* mmio_access.how */
	u32 exit_seq;
	bool exit_handled; /* vcpu_exit_fast took the exit, the run loop has more to do */
};

#define VM_NAME_MAX 32

struct vm {
	int id;
	const struct vm_config *cfg;
	volatile int state; /* enum vm_state */
	u64 ram_hpa;        /* host-physical base of guest RAM (contiguous) */
	/*
	 * Guest RAM is cleared as it is first used, a GUEST_RAM_ALIGN (2 MiB)
	 * chunk at a time, rather than all of it at every boot: a chunk's G-stage
	 * leaf stays invalid until the guest touches it (vm_ram_fault) or rvhv
	 * itself reaches into it (vm_gpa_to_ptr), and then it is zeroed.  A VM
	 * whose devices write its RAM behind rvhv's back (DMA through an IOMMU)
	 * must set ram_eager: its RAM is cleared whole at load instead.
	 */
	volatile u64 *ram_ready; /* one bit per chunk: cleared and mapped */
	struct spinlock ram_lock;
	bool ram_eager;
	u64 dtb_gpa;
	u64 entry;
	u64 vmid;
	struct gstage gs;
	/* The exit path's fields come before the bus, so that their offsets
	 * stay within a load's 12-bit immediate. */
	struct spinlock dev_lock; /* serialises this VM's device models */
	struct plic *plic;        /* the emulated devices the VM has, or NULL */
	struct clint *clint;
	struct vuart *uart;
	struct vvirtio *virtio[VM_MAX_VIRTIO]; /* its virtio devices, for a poller */
	int nvirtio;
	volatile bool net_pending; /* frames wait in its NICs' inbound queues */
	struct mmio_bus bus;
	struct vcpu vcpus[MAX_VCPUS];
	int nvcpus;
	struct spinlock lock;
	u32 incidents;  /* guest faults logged in this window (vm_log's rate limit) */
	u64 log_window; /* when the window started (time CSR) */
	/* console output not printed yet: a partial line, with several VMs */
	char out_line[160];
	u32 out_n;
	bool out_aged; /* the partial line has waited a tick: print it */
	/* console input for this VM (SBI getchar, DBCN read) */
	char in_buf[64];
	volatile u32 in_head, in_tail;
};

extern struct vm vms[MAX_VMS];
extern int nvms;

/* Before any VM is built: take the host RAM of VMs whose RAM must sit at
 * its guest-physical address (a device DMAs without an IOMMU). */
int vm_place_identity(const struct vm_config *cfgs, int n);
/* Build VM `id` from its configuration: memory, G-stage, devices, images. */
int vm_create(struct vm *vm, int id, const struct vm_config *cfg);
/* Reload images and reset every vCPU to its boot state (VM reset and first boot). */
void vm_load(struct vm *vm);
/* Host pointer to guest-physical [gpa, gpa+len) inside guest RAM, or NULL;
 * the RAM there is cleared first if the VM has not used it yet. */
void *vm_gpa_to_ptr(struct vm *vm, u64 gpa, u64 len);
/* A guest-page fault at gpa: true if gpa is guest RAM, now cleared and
 * mapped, and the faulting access must be retried after a G-stage fence
 * (another hart may have mapped it first: this hart's TLB can still hold
 * the invalid entry). */
bool vm_ram_fault(struct vm *vm, u64 gpa);
/* Stop (power off) or reset a VM; safe from any of its vCPUs or the console. */
void vm_shutdown(struct vm *vm, const char *why);
void vm_reset(struct vm *vm, const char *why);
/* The console's restart: reset a running VM, boot a stopped one again. */
void vm_restart(struct vm *vm, const char *why);
/* A one-line log about something a guest did, rate-limited per VM: 100
 * lines in any 10 s, then one line saying so; the count of the ones left
 * out comes with the next incident after the window. */
void vm_log(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Exit statistics of one VM, and the list of VMs, on the console. */
void vm_print_stats(struct vm *vm);
void vm_print_list(void);
/* Every vCPU's state as last saved (registers, exit CSRs, last exits), and
 * the VS CSRs of the calling hart's own vCPU: for panics and Ctrl-] d. */
void vm_dump_state(void);

/* The vCPU loop a hart runs; returns only when the vCPU stops. */
void vcpu_run(struct vcpu *v);
/* The exits handled without leaving guest_exit (arch/riscv/switch.S). */
bool vcpu_exit_fast(struct vcpu *v);
/* Deliver an exception to the guest as a real hart would (trap to its vstvec). */
void vcpu_inject_exception(struct vcpu *v, u64 cause, u64 tval);
/* Make the vCPU's hart look at it again (pending interrupts, requests, state). */
void vcpu_kick(struct vcpu *v);
void vcpu_raise_irq(struct vcpu *v, int irq);
void vcpu_clear_irq(struct vcpu *v, int irq);

/* The VM's next console input byte for SBI getchar and DBCN read (-1 if none):
 * from its UART's receive FIFO when it has one, as firmware would read it. */
int vm_console_getc(struct vm *vm);
/* Console input arrived for this VM: move it into its UART, if it has one. */
void vm_feed_uart(struct vm *vm);
/* A poller's pass over the VM's virtqueues: serve what the guest made
 * available, with its notifications off.  True if there was work. */
bool vm_virtio_poll(struct vm *vm);
/* rvhv's periodic work (hart 0, TICK_HZ): console input, the network uplink. */
void vm_tick(void);
/* A poller hart's pass over every running VM's virtqueues and network. */
void vm_poll_all(void);
/* Move frames the switch queued for the VM into its receive queues. */
void vm_net_deliver(struct vm *vm);
/* The virtual CLINT deadline of vCPU v passed. */
void vm_clint_update(struct vcpu *v);

/* SBI service (kernel/sbi.c): handle the ecall the vCPU just made. */
void sbi_handle(struct vcpu *v);
/* BASE's answers that depend on nothing but rvhv, by function ID, for
 * guest_exit's assembly tier; -1 (~0) for probe_extension, which does. */
void sbi_base_fixed(u64 out[SBI_BASE_FIDS]);

#endif
