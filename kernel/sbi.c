/*
 * SBI for supervisor-mode guests (SBI spec 2.0): rvhv plays the guest's
 * M-mode firmware.  One table entry per extension; unknown extensions and
 * functions return SBI_ERR_NOT_SUPPORTED.
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/vcpu_arch.h"
#include "kernel/console.h"
#include "kernel/hart.h"
#include "kernel/lib.h"
#include "kernel/sbi.h"

struct sbi_result {
	long error, value;
};

typedef struct sbi_result (*sbi_fn)(struct vcpu *v, u64 fid, const u64 *a);

static struct sbi_result ok(long value)
{
	return (struct sbi_result){SBI_SUCCESS, value};
}

static struct sbi_result err(long error)
{
	return (struct sbi_result){error, 0};
}

static bool sbi_has_ext(u64 ext);

/* Inlined into sbi_handle too, for the calls guests make most. */
static inline __attribute__((always_inline)) struct sbi_result sbi_base(struct vcpu *v, u64 fid,
									const u64 *a)
{
	switch (fid) {
	case 0:
		return ok(RVHV_SBI_SPEC_VERSION);
	case 1:
		return ok(RVHV_SBI_IMPL_ID);
	case 2:
		return ok(RVHV_SBI_IMPL_VERSION);
	case 3:
		return ok(sbi_has_ext(a[0]));
	case 4: /* mvendorid, marchid, mimpid: a virtual hart has none */
	case 5:
	case 6:
		return ok(0);
	}
	return err(SBI_ERR_NOT_SUPPORTED);
}

static struct sbi_result sbi_time(struct vcpu *v, u64 fid, const u64 *a)
{
	if (fid != 0)
		return err(SBI_ERR_NOT_SUPPORTED);
	vcpu_arch_set_timer(v, a[0]);
	return ok(0);
}

/*
 * The harts a (hart_mask, hart_mask_base) pair names, as a bitmap of the
 * VM's vCPUs; base == -1 means all of them.  -1 when a named hart does not
 * exist.
 */
static long hart_mask(struct vm *vm, u64 mask, u64 base, u64 *out)
{
	u64 all = (1UL << vm->nvcpus) - 1;
	if (base == ~0UL) {
		*out = all;
		return 0;
	}
	if (base >= (u64)vm->nvcpus || (mask << base) >> base != mask || ((mask << base) & ~all))
		return -1;
	*out = mask << base;
	return 0;
}

static struct sbi_result sbi_ipi(struct vcpu *v, u64 fid, const u64 *a)
{
	u64 targets;
	if (fid != 0)
		return err(SBI_ERR_NOT_SUPPORTED);
	if (hart_mask(v->vm, a[0], a[1], &targets))
		return err(SBI_ERR_INVALID_PARAM);
	for (int i = 0; i < v->vm->nvcpus; i++)
		if (targets & (1UL << i))
			vcpu_raise_irq(&v->vm->vcpus[i], IRQ_VS_SOFT);
	return ok(0);
}

/* Post a TLB fence to every target and wait until each has done it (or is
 * not running, in which case its TLB is flushed when it starts). */
static void remote_fence(struct vcpu *v, u64 targets, u32 req)
{
	struct vm *vm = v->vm;
	for (int i = 0; i < vm->nvcpus; i++) {
		struct vcpu *t = &vm->vcpus[i];
		if (!(targets & (1UL << i)))
			continue;
		if (t == v) {
			hfence_vvma_all();
			continue;
		}
		__atomic_or_fetch(&t->requests, req, __ATOMIC_ACQ_REL);
		vcpu_kick(t);
	}
	for (int i = 0; i < vm->nvcpus; i++) {
		struct vcpu *t = &vm->vcpus[i];
		if (t == v || !(targets & (1UL << i)))
			continue;
		while ((__atomic_load_n(&t->requests, __ATOMIC_ACQUIRE) & req) &&
		       t->state == VCPU_STARTED && vm->state == VM_RUNNING)
			;
	}
}

static struct sbi_result sbi_rfence(struct vcpu *v, u64 fid, const u64 *a)
{
	u64 targets;
	if (fid > 2) /* the hypervisor fences: the guest has no H extension */
		return err(SBI_ERR_NOT_SUPPORTED);
	if (hart_mask(v->vm, a[0], a[1], &targets))
		return err(SBI_ERR_INVALID_PARAM);
	if (fid == 0) {
		/* Harts share a coherent instruction view here; order our own. */
		asm volatile("fence.i" ::: "memory");
		return ok(0);
	}
	remote_fence(v, targets, VCPU_REQ_FENCE_VVMA);
	return ok(0);
}

/*
 * hart_suspend types (SBI spec 9.4): only the default retentive one (0),
 * which may resume at once.  The default non-retentive one (0x80000000) and
 * the platform-specific ranges are not implemented; the rest is reserved.
 */
static struct sbi_result hsm_suspend(u64 type)
{
	if (type == 0)
		return ok(0);
	if (type == 0x80000000UL || (type >= 0x10000000UL && type <= 0x7fffffffUL) ||
	    (type >= 0x90000000UL && type <= 0xffffffffUL))
		return err(SBI_ERR_NOT_SUPPORTED);
	return err(SBI_ERR_INVALID_PARAM);
}

static struct sbi_result sbi_hsm(struct vcpu *v, u64 fid, const u64 *a)
{
	struct vm *vm = v->vm;
	struct vcpu *t;
	switch (fid) {
	case 0: /* hart_start(hartid, start_addr, opaque) */
		if (a[0] >= (u64)vm->nvcpus)
			return err(SBI_ERR_INVALID_PARAM);
		if (!vm_gpa_to_ptr(vm, a[1], 4))
			return err(SBI_ERR_INVALID_ADDRESS);
		t = &vm->vcpus[a[0]];
		spin_lock(&vm->lock);
		if (t->state != VCPU_STOPPED) {
			spin_unlock(&vm->lock);
			return err(SBI_ERR_ALREADY_AVAILABLE);
		}
		t->start_addr = a[1];
		t->start_arg = a[2];
		__atomic_store_n(&t->state, VCPU_START_PENDING, __ATOMIC_RELEASE);
		spin_unlock(&vm->lock);
		vcpu_kick(t);
		return ok(0);
	case 1: /* hart_stop(): the run loop sees the state and gives up the hart */
		v->state = VCPU_STOPPED;
		return ok(0);
	case 2:
		if (a[0] >= (u64)vm->nvcpus)
			return err(SBI_ERR_INVALID_PARAM);
		return ok(vm->vcpus[a[0]].state);
	case 3: /* hart_suspend(type, resume_addr, opaque) */
		return hsm_suspend(a[0]);
	}
	return err(SBI_ERR_NOT_SUPPORTED);
}

static struct sbi_result sbi_srst(struct vcpu *v, u64 fid, const u64 *a)
{
	if (fid != 0)
		return err(SBI_ERR_NOT_SUPPORTED);
	/* reset_reason (spec 10.1): 0 none, 1 system failure; the rest are
	 * reserved or vendor-specific, and refused like a reserved type */
	if (a[1] > SBI_SRST_REASON_SYSFAIL)
		return err(SBI_ERR_INVALID_PARAM);
	if (a[0] == SBI_SRST_SHUTDOWN) {
		vm_shutdown(v->vm, "the guest asked for shutdown (SBI SRST)");
		return ok(0);
	}
	if (a[0] == SBI_SRST_COLD_REBOOT || a[0] == SBI_SRST_WARM_REBOOT) {
		vm_reset(v->vm, "the guest asked for a reboot (SBI SRST)");
		return ok(0);
	}
	return err(SBI_ERR_INVALID_PARAM);
}

/* The most a DBCN write prints per call: the console is shared by every VM,
 * and one call must not hold it for long. */
#define DBCN_WRITE_MAX 256

static struct sbi_result sbi_dbcn(struct vcpu *v, u64 fid, const u64 *a)
{
	if (fid == 2) { /* write_byte */
		char c = a[0];
		console_guest_write(v->vm, &c, 1);
		return ok(0);
	}
	if (fid > 1)
		return err(SBI_ERR_NOT_SUPPORTED);
	/* write/read(num_bytes, base_lo, base_hi): a guest-physical buffer */
	if (a[2] != 0)
		return err(SBI_ERR_INVALID_PARAM);
	char *buf = vm_gpa_to_ptr(v->vm, a[1], a[0]);
	if (!buf)
		return err(SBI_ERR_INVALID_PARAM);
	if (fid == 0) {
		/* "may do partial writes" (spec 12.1): a bounded share of the
		 * console per call, however big the buffer */
		u64 n = a[0] < DBCN_WRITE_MAX ? a[0] : DBCN_WRITE_MAX;
		console_guest_write(v->vm, buf, n);
		return ok(n);
	}
	u64 n = 0;
	for (int c; n < a[0] && (c = vm_console_getc(v->vm)) >= 0; n++)
		buf[n] = c;
	return ok(n);
}

/* SBI v0.1 calls: a single return value in a0. */
static long sbi_legacy(struct vcpu *v, u64 ext, const u64 *a)
{
	char c;
	switch (ext) {
	case SBI_EXT_LEGACY_SET_TIMER:
		vcpu_arch_set_timer(v, a[0]);
		return 0;
	case SBI_EXT_LEGACY_PUTCHAR:
		c = a[0];
		console_guest_write(v->vm, &c, 1);
		return 0;
	case SBI_EXT_LEGACY_GETCHAR:
		return vm_console_getc(v->vm);
	case SBI_EXT_LEGACY_CLEAR_IPI:
		vcpu_clear_irq(v, IRQ_VS_SOFT);
		return 0;
	case SBI_EXT_LEGACY_SHUTDOWN:
		vm_shutdown(v->vm, "the guest asked for shutdown (legacy SBI)");
		return 0;
	}
	/* The legacy IPI and fence calls take guest-virtual mask pointers;
	 * guests that use SBI 0.2+ never need them. */
	return SBI_ERR_NOT_SUPPORTED;
}

static const struct {
	u64 ext;
	sbi_fn fn;
} extensions[] = {
	{SBI_EXT_BASE, sbi_base},     {SBI_EXT_TIME, sbi_time}, {SBI_EXT_IPI, sbi_ipi},
	{SBI_EXT_RFENCE, sbi_rfence}, {SBI_EXT_HSM, sbi_hsm},   {SBI_EXT_SRST, sbi_srst},
	{SBI_EXT_DBCN, sbi_dbcn},
};

static bool is_legacy(u64 ext)
{
	return ext <= SBI_EXT_LEGACY_SHUTDOWN && ext != SBI_EXT_LEGACY_SEND_IPI &&
	       ext != SBI_EXT_LEGACY_FENCE_I && ext != SBI_EXT_LEGACY_SFENCE_VMA &&
	       ext != SBI_EXT_LEGACY_SFENCE_VMA_ASID;
}

static bool sbi_has_ext(u64 ext)
{
	for (size_t i = 0; i < ARRAY_SIZE(extensions); i++)
		if (extensions[i].ext == ext)
			return true;
	return is_legacy(ext);
}

void sbi_base_fixed(u64 out[SBI_BASE_FIDS])
{
	for (u64 fid = 0; fid < SBI_BASE_FIDS; fid++)
		out[fid] = fid == 3 /* probe_extension */ ? ~0UL : (u64)sbi_base(NULL, fid, NULL).value;
}

void sbi_handle(struct vcpu *v)
{
	u64 ext = v->regs[17], fid = v->regs[16];
	const u64 *args = &v->regs[10];
	v->sepc += 4; /* ecall has no compressed form */
	if (ext <= SBI_EXT_LEGACY_SHUTDOWN) {
		v->regs[10] = sbi_legacy(v, ext, args);
		return;
	}
	struct sbi_result r = err(SBI_ERR_NOT_SUPPORTED);
	if (ext == SBI_EXT_BASE) { /* the most frequent first: no table walk */
		r = sbi_base(v, fid, args);
	} else if (ext == SBI_EXT_TIME) {
		r = sbi_time(v, fid, args);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(extensions); i++) {
			if (extensions[i].ext == ext) {
				r = extensions[i].fn(v, fid, args);
				break;
			}
		}
	}
	v->regs[10] = r.error;
	v->regs[11] = r.value;
}
