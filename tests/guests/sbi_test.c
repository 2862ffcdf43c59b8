/*
 * SBI conformance as a guest sees it: BASE probes, DBCN, timer (SBI and
 * Sstc), IPI, HSM, RFENCE, error codes, then SRST.  Runs with 2 harts; the
 * boot hart (hart 0 under rvhv) drives, the other one is started by HSM.
 */
#include "guest.h"

#define CSR_STIMECMP 0x14d
#define HSM_OPAQUE 0x1234

static volatile unsigned long timer_irqs, soft_irqs, timer_irq_time;
static volatile bool use_sstc;

/* Set by the secondary hart. */
static volatile unsigned long hsm_hartid, hsm_opaque, hsm_up;
static volatile unsigned long hsm_may_stop;
static volatile long hsm_stop_error;

static inline void stimecmp_write(unsigned long v)
{
	asm volatile("csrw 0x14d, %0" ::"r"(v) : "memory");
}

static bool on_interrupt(struct trap_frame *f)
{
	switch (f->scause & ~SCAUSE_IRQ) {
	case IRQ_S_TIMER:
		timer_irq_time = rdtime();
		timer_irqs++;
		if (use_sstc)
			stimecmp_write(~0UL);
		else
			sbi_set_timer(~0UL);
		return true;
	case IRQ_S_SOFT:
		soft_irqs++;
		csr_clear(sip, SIP_SSIP);
		return true;
	}
	return false;
}

static const struct {
	const char *name;
	unsigned long eid;
} exts[] = {
	{"BASE", SBI_EXT_BASE}, {"TIME", SBI_EXT_TIME}, {"IPI", SBI_EXT_IPI},
	{"RFENCE", SBI_EXT_RFENCE}, {"HSM", SBI_EXT_HSM}, {"SRST", SBI_EXT_SRST},
	{"DBCN", SBI_EXT_DBCN},
};

static void test_base(void)
{
	struct sbiret v = sbi_get_spec_version();
	struct sbiret id = sbi_get_impl_id();
	struct sbiret iv = sbi_get_impl_version();
	long major = (v.value >> 24) & 0x7f, minor = v.value & 0xffffff;
	printf("sbi: spec version %ld.%ld, impl id %ld version 0x%lx\n", major, minor, id.value,
	       iv.value);
	if (v.error || (major == 0 && minor < 3))
		fail("spec-version", "error %ld version %ld.%ld, want >= 0.3", v.error, major, minor);
	else
		ok("spec-version");

	check_begin();
	for (unsigned i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		long p = sbi_probe(exts[i].eid);
		printf("probe %s %ld\n", exts[i].name, p);
		/* DBCN is SBI 2.0: rvhv has it, OpenSBI 1.1 does not. */
		if (!p && exts[i].eid != SBI_EXT_DBCN)
			check_why("%s missing", exts[i].name);
	}
	check_end("probe-required");
}

static void test_dbcn(void)
{
	static const char msg[] = "dbcn: hello from the guest\n";
	if (!console_has_dbcn()) {
		printf("dbcn: absent, skipped\n");
		return;
	}
	struct sbiret r = sbi_dbcn_write(sizeof(msg) - 1, (unsigned long)msg);
	if (r.error || r.value != sizeof(msg) - 1)
		fail("dbcn-write", "error %ld value %ld, want 0 and %lu", r.error, r.value,
		     (unsigned long)sizeof(msg) - 1);
	else
		ok("dbcn-write");

	/* Guest-physical 0x1000 is no guest RAM: the SBI must refuse it. */
	r = sbi_dbcn_write(16, 0x1000);
	if (r.error != SBI_ERR_INVALID_PARAM)
		fail("dbcn-bad-address", "error %ld value %ld, want %d", r.error, r.value,
		     SBI_ERR_INVALID_PARAM);
	else
		ok("dbcn-bad-address");
}

/* Take three timer interrupts, each armed 10 ms ahead by arm(). */
static void timer_three(const char *name, void (*arm)(unsigned long))
{
	unsigned long delta = timebase / 100, start = rdtime();
	check_begin();
	for (unsigned long i = 1; i <= 3; i++) {
		unsigned long t0 = rdtime(), target = t0 + delta;
		arm(target);
		/* A lost interrupt hangs here; the harness timeout reports it. */
		while (timer_irqs < i && rdtime() < t0 + timebase)
			wfi();
		if (timer_irqs < i) {
			check_why("interrupt %lu did not arrive within 1 s", i);
			break;
		}
		if (timer_irq_time < target)
			check_why("interrupt %lu at time 0x%lx, before its deadline 0x%lx", i,
				  timer_irq_time, target);
	}
	unsigned long elapsed = rdtime() - start;
	if (elapsed < 3 * delta)
		check_why("time advanced only %lu ticks, want >= %lu", elapsed, 3 * delta);
	check_end(name);
}

static void arm_sbi(unsigned long t)
{
	sbi_set_timer(t);
}

static void test_timer_sbi(void)
{
	timer_irqs = 0;
	timer_three("timer-sbi", arm_sbi);
}

static void test_timer_sstc(void)
{
	/* Without Sstc (or with menvcfg/henvcfg.STCE clear) the write is an
	 * illegal instruction; ~0 never fires, so the probe is harmless. */
	fault_reset();
	fault_catch(true);
	stimecmp_write(~0UL);
	fault_catch(false);
	if (fault.count) {
		if (fault.scause == EXC_ILLEGAL_INSN)
			printf("sstc: absent\n");
		else
			fail("timer-sstc", "stimecmp probe raised scause 0x%lx", fault.scause);
		return;
	}
	printf("sstc: present\n");
	timer_irqs = 0;
	use_sstc = true;
	timer_three("timer-sstc", stimecmp_write);
	use_sstc = false;
}

static void test_ipi(unsigned long me)
{
	soft_irqs = 0;
	csr_set(sie, SIE_SSIE);
	struct sbiret r = sbi_send_ipi(1UL << me, 0);
	unsigned long deadline = rdtime() + timebase;
	while (!soft_irqs && rdtime() < deadline)
		;
	csr_clear(sie, SIE_SSIE);
	if (r.error)
		fail("ipi-self", "send_ipi error %ld", r.error);
	else if (soft_irqs != 1)
		fail("ipi-self", "%lu software interrupts within 1 s, want 1", soft_irqs);
	else
		ok("ipi-self");
}

void secondary_main(unsigned long hartid, unsigned long opaque)
{
	printf("hsm: hart %lu up opaque=0x%lx\n", hartid, opaque);
	hsm_hartid = hartid;
	hsm_opaque = opaque;
	__sync_synchronize();
	hsm_up = 1;
	while (!hsm_may_stop)
		;
	hsm_stop_error = sbi_hart_stop().error; /* returns only on failure */
}

/* Poll get_status until it reads want or 2 s pass; the last status read. */
static long hsm_wait_status(unsigned long hart, long want)
{
	unsigned long deadline = rdtime() + 2 * timebase;
	struct sbiret r;
	do
		r = sbi_hart_get_status(hart);
	while (!r.error && r.value != want && rdtime() < deadline);
	return r.error ? r.error : r.value;
}

static void test_hsm(unsigned long me)
{
	unsigned long other = me ? 0 : 1;
	check_begin();
	struct sbiret r = sbi_hart_get_status(other);
	if (r.error || r.value != SBI_HSM_STOPPED)
		check_why("hart %lu initial status error %ld value %ld, want STOPPED", other,
			  r.error, r.value);
	r = sbi_hart_start(other, (unsigned long)_secondary_start, HSM_OPAQUE);
	if (r.error) {
		check_why("hart_start(%lu) error %ld", other, r.error);
		check_end("hsm");
		return;
	}
	unsigned long deadline = rdtime() + 2 * timebase;
	while (!hsm_up && rdtime() < deadline)
		;
	if (!hsm_up) {
		check_why("hart %lu did not come up within 2 s", other);
		check_end("hsm");
		return;
	}
	__sync_synchronize();
	if (hsm_hartid != other || hsm_opaque != HSM_OPAQUE)
		check_why("secondary saw a0 %lu a1 0x%lx, want %lu and 0x%x", hsm_hartid,
			  hsm_opaque, other, HSM_OPAQUE);
	long st = hsm_wait_status(other, SBI_HSM_STARTED);
	if (st != SBI_HSM_STARTED)
		check_why("status %ld while running, want STARTED", st);
	hsm_may_stop = 1;
	st = hsm_wait_status(other, SBI_HSM_STOPPED);
	if (st != SBI_HSM_STOPPED)
		check_why("status %ld after hart_stop, want STOPPED (stop error %ld)", st,
			  hsm_stop_error);
	check_end("hsm");

	r = sbi_hart_start(7, (unsigned long)_secondary_start, 0);
	if (r.error != SBI_ERR_INVALID_PARAM)
		fail("hsm-invalid", "hart_start(7) error %ld, want %d", r.error,
		     SBI_ERR_INVALID_PARAM);
	else
		ok("hsm-invalid");
}

static void test_errors_and_fences(unsigned long me)
{
	struct sbiret r = sbi_ecall(0x0BADBEEF, 0, 0, 0, 0, 0);
	long p = sbi_probe(0x0BADBEEF);
	if (r.error != SBI_ERR_NOT_SUPPORTED || p)
		fail("unknown-ext", "error %ld (want %d), probe %ld (want 0)", r.error,
		     SBI_ERR_NOT_SUPPORTED, p);
	else
		ok("unknown-ext");

	r = sbi_remote_sfence_vma(1UL << me, 0, 0, ~0UL);
	if (r.error)
		fail("rfence", "remote_sfence_vma error %ld", r.error);
	else
		ok("rfence");
	r = sbi_remote_fence_i(1UL << me, 0);
	if (r.error)
		fail("rfence-i", "remote_fence_i error %ld", r.error);
	else
		ok("rfence-i");

	/* Reset types 3..0xefffffff are reserved (spec 10.1): refuse, don't reset. */
	r = sbi_system_reset(0x1234, 0);
	if (r.error != SBI_ERR_INVALID_PARAM)
		fail("srst-invalid", "reset type 0x1234 error %ld, want %d", r.error,
		     SBI_ERR_INVALID_PARAM);
	else
		ok("srst-invalid");
}

int main(unsigned long hartid, const void *dtb)
{
	(void)dtb;
	printf("sbi_test: boot hart %lu, timebase %lu Hz\n", hartid, timebase);
	test_base();
	test_dbcn();

	trap_on_interrupt(on_interrupt);
	sbi_set_timer(~0UL); /* no stale STIP when STIE goes on */
	csr_set(sie, SIE_STIE);
	csr_set(sstatus, SSTATUS_SIE);
	test_timer_sbi();
	test_timer_sstc();
	test_ipi(hartid);
	csr_clear(sstatus, SSTATUS_SIE);
	csr_clear(sie, SIE_STIE);

	test_hsm(hartid);
	test_errors_and_fences(hartid);
	summary("sbi_test");
	printf("sbi: shutting down\n");
	shutdown();
}
