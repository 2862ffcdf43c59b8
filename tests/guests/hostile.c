/*
 * hostile: a guest that abuses its VM in every way it can (see hostile.h
 * for the parts) while other VMs work next to it.  The boot hart runs the
 * checks; the other one (the VM has harts 0 and 1), started through SBI HSM
 * once the HSM abuse is done, is its accomplice: it sends the interrupts a
 * WFI waits for and a cross-hart IPI storm, and in the end stops the VM
 * while the boot hart is caught in a fault loop (stvec pointing at no
 * memory).
 *
 * SBI errors are those of the SBI 2.0 spec: NOT_SUPPORTED (-2) for unknown
 * extensions and functions, INVALID_PARAM (-3) for bad hart masks, hart
 * IDs, reserved types and DBCN buffers not in RAM, INVALID_ADDRESS (-5) for
 * an HSM start address with no memory, ALREADY_AVAILABLE (-6).
 */
#include "hostile.h"

#define HSM_OPAQUE 0x4057
#define STORM_MS 300
#define FAULT_STORM 2000
#define FLOOD_BYTES (64 * 1024)
#define SIE_SEIE (1UL << 9)
#define IRQ_S_EXT 9
#define PLIC_PRIO(irq) (PLIC + 4 * (irq))
#define PLIC_PENDING (PLIC + 0x1000)
#define PLIC_ENABLE0(ctx) (PLIC + 0x2000 + 0x80 * (ctx))
#define PLIC_THRESHOLD(ctx) (PLIC + 0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx) (PLIC_THRESHOLD(ctx) + 4)
#define UART_IER (UART + 1)
#define IER_ETBEI 0x02

unsigned long ram_base = 0x80000000, ram_end = 0x80000000 + (64UL << 20);
bool isa_has_h;
static bool have_dbcn;
static unsigned long boot, mate; /* the boot hart and its accomplice */
static unsigned long ctx;        /* the boot hart's S-mode PLIC context */

/* ---- the device tree: RAM and ISA */

static void dtb_prop(const char *node, const char *prop, const void *val, uint32_t len, void *arg)
{
	(void)arg;
	if (!memcmp(node, "memory", 6) && !strcmp(prop, "reg") && len >= 16) {
		const uint8_t *p = val;
		ram_base = (uint64_t)fdt_be32(p) << 32 | fdt_be32(p + 4);
		ram_end = ram_base + ((uint64_t)fdt_be32(p + 8) << 32 | fdt_be32(p + 12));
	}
	if (!strcmp(prop, "riscv,isa")) {
		/* the single-letter extensions: after "rv64", up to the first '_' */
		for (const char *s = (const char *)val + 4; *s && *s != '_'; s++)
			if (*s == 'h')
				isa_has_h = true;
	}
}

/* ---- the accomplice */

enum { CMD_NONE, CMD_IPI_AT, CMD_IPI_STORM, CMD_END_VM };
static volatile int cmd;
static volatile unsigned long cmd_time; /* CMD_IPI_AT: when */
static volatile bool cmd_cancel;        /* CMD_IPI_AT: no longer needed */
static volatile unsigned long mate_up, mate_hartid, mate_opaque, mate_ipis;

void secondary_main(unsigned long hartid, unsigned long opaque)
{
	mate_hartid = hartid;
	mate_opaque = opaque;
	__sync_synchronize();
	mate_up = 1;
	for (;;) {
		switch (cmd) {
		case CMD_IPI_AT:
			while (rdtime() < cmd_time && !cmd_cancel)
				;
			if (!cmd_cancel)
				sbi_send_ipi(1UL << boot, 0);
			break;
		case CMD_IPI_STORM: {
			/* IPIs at the boot hart as fast as SBI takes them, with PLIC reads
			 * between them: its device lock is contended too */
			unsigned long end = rdtime() + timebase / 1000 * STORM_MS, n = 0;
			while (rdtime() < end) {
				sbi_send_ipi(1UL << boot, 0);
				(void)*(volatile uint32_t *)PLIC_PRIO(UART_IRQ);
				n++;
			}
			mate_ipis = n;
			break;
		}
		case CMD_END_VM:
			sleep_ms(300);
			printf("hostile: hart %lu shuts the VM down\n", hartid);
			shutdown();
		default:
			sleep_ms(1);
			continue;
		}
		cmd = CMD_NONE;
	}
}

/* ---- SBI */

static void expect_sbi(struct sbiret r, long want, const char *what)
{
	if (r.error != want)
		check_why("%s: error %ld, want %ld", what, r.error, want);
}

static void test_sbi_ids(void)
{
	static const unsigned long bad_ext[] = {
		0x09, 0x0f,                          /* reserved, after the legacy range */
		0x08000000, 0x09000000, 0x0a000000, /* experimental, vendor, firmware */
		0x0badbeef, ~0UL,
		(1UL << 32) | SBI_EXT_BASE,         /* an ID is 32 bits: no alias of BASE */
		(1UL << 32) | SBI_EXT_TIME,
	};
	check_begin();
	for (unsigned i = 0; i < sizeof(bad_ext) / sizeof(bad_ext[0]); i++) {
		struct sbiret r = sbi_ecall(bad_ext[i], 0, 0, 0, 0, 0);
		if (r.error != SBI_ERR_NOT_SUPPORTED || sbi_probe(bad_ext[i]))
			check_why("extension 0x%lx: error %ld, probe %ld", bad_ext[i], r.error,
				  sbi_probe(bad_ext[i]));
	}
	check_end("sbi-bad-extension");

	static const struct {
		unsigned long ext, fid;
	} bad_fid[] = {
		{SBI_EXT_BASE, 7},   {SBI_EXT_BASE, ~0UL}, {SBI_EXT_TIME, 1},  {SBI_EXT_IPI, 1},
		{SBI_EXT_RFENCE, 7}, {SBI_EXT_HSM, 4},     {SBI_EXT_SRST, 1},  {SBI_EXT_DBCN, 3},
		/* the remote HFENCEs: the harts have no H extension (not with plain QEMU) */
		{SBI_EXT_RFENCE, 3}, {SBI_EXT_RFENCE, 4},  {SBI_EXT_RFENCE, 5}, {SBI_EXT_RFENCE, 6},
	};
	check_begin();
	for (unsigned i = 0; i < sizeof(bad_fid) / sizeof(bad_fid[0]); i++) {
		if ((bad_fid[i].ext == SBI_EXT_DBCN && !have_dbcn) ||
		    (bad_fid[i].ext == SBI_EXT_RFENCE && bad_fid[i].fid < 7 && isa_has_h))
			continue;
		struct sbiret r = sbi_ecall(bad_fid[i].ext, bad_fid[i].fid, 0, 0, 0, 0);
		if (r.error != SBI_ERR_NOT_SUPPORTED)
			check_why("extension 0x%lx function 0x%lx: error %ld", bad_fid[i].ext,
				  bad_fid[i].fid, r.error);
	}
	check_end("sbi-bad-function");
}

/* hart_mask / hart_mask_base pairs naming a hart the VM does not have
 * (it has harts 0 and 1) */
static const struct {
	unsigned long mask, base;
} bad_masks[] = {
	{1, 2}, {1, 64}, {1, 1UL << 63}, {~0UL, 0}, {4, 0}, {1UL << 63, 1}, {2, 1}, {~0UL, 1},
};

static void test_sbi_masks(unsigned long me)
{
	char what[64];
	check_begin();
	for (unsigned i = 0; i < sizeof(bad_masks) / sizeof(bad_masks[0]); i++) {
		unsigned long m = bad_masks[i].mask, b = bad_masks[i].base;
		snprintf(what, sizeof(what), "mask 0x%lx base 0x%lx", m, b);
		expect_sbi(sbi_send_ipi(m, b), SBI_ERR_INVALID_PARAM, what);
		expect_sbi(sbi_remote_fence_i(m, b), SBI_ERR_INVALID_PARAM, what);
		expect_sbi(sbi_remote_sfence_vma(m, b, 0, ~0UL), SBI_ERR_INVALID_PARAM, what);
		expect_sbi(sbi_ecall(SBI_EXT_RFENCE, 2, m, b, 0, ~0UL), SBI_ERR_INVALID_PARAM,
			   what);
	}
	/* and the good ones: no hart, this one, every hart (base -1) */
	expect_sbi(sbi_send_ipi(0, 0), SBI_SUCCESS, "empty mask");
	expect_sbi(sbi_send_ipi(1UL << me, 0), SBI_SUCCESS, "this hart");
	expect_sbi(sbi_send_ipi(0x1234, ~0UL), SBI_SUCCESS, "base -1");
	expect_sbi(sbi_remote_sfence_vma(3, 0, 0, ~0UL), SBI_SUCCESS, "both harts");
	csr_clear(sip, SIP_SSIP); /* the IPIs this hart just sent itself */
	check_end("sbi-bad-hart-mask");
}

static void test_sbi_dbcn(void)
{
	char buf[16];
	if (!have_dbcn) {
		printf("hostile: no DBCN, its checks skipped\n");
		return;
	}
	check_begin();
	expect_sbi(sbi_dbcn_write(16, ram_end - 8), SBI_ERR_INVALID_PARAM, "write across the end");
	expect_sbi(sbi_dbcn_write(1, ram_end), SBI_ERR_INVALID_PARAM, "write past the end");
	expect_sbi(sbi_dbcn_write(~0UL, ram_base), SBI_ERR_INVALID_PARAM, "write of 2^64-1 bytes");
	expect_sbi(sbi_dbcn_write(16, UART), SBI_ERR_INVALID_PARAM, "write from a device");
	expect_sbi(sbi_ecall(SBI_EXT_DBCN, 0, sizeof(buf), (unsigned long)buf, 1, 0),
		   SBI_ERR_INVALID_PARAM, "write with base_addr_hi 1");
	expect_sbi(sbi_dbcn_read(16, ram_end - 8), SBI_ERR_INVALID_PARAM, "read across the end");
	expect_sbi(sbi_dbcn_read(8, UART), SBI_ERR_INVALID_PARAM, "read into a device");
	expect_sbi(sbi_ecall(SBI_EXT_DBCN, 1, sizeof(buf), (unsigned long)buf, 1, 0),
		   SBI_ERR_INVALID_PARAM, "read with base_addr_hi 1");
	check_end("sbi-dbcn-bad-buffer");
}

/* HSM abuse first, while the other hart is stopped; then start it for real. */
static bool test_sbi_hsm(unsigned long me)
{
	unsigned long entry = (unsigned long)_secondary_start;
	check_begin();
	struct sbiret r = sbi_hart_get_status(mate);
	if (r.error || r.value != SBI_HSM_STOPPED)
		check_why("hart %lu status error %ld value %ld, want STOPPED", mate, r.error,
			  r.value);
	expect_sbi(sbi_hart_start(2, entry, 0), SBI_ERR_INVALID_PARAM, "start of hart 2");
	expect_sbi(sbi_hart_start(~0UL, entry, 0), SBI_ERR_INVALID_PARAM, "start of hart -1");
	expect_sbi(sbi_hart_start(mate, ram_end, 0), SBI_ERR_INVALID_ADDRESS, "start past RAM");
	expect_sbi(sbi_hart_start(mate, OUTSIDE, 0), SBI_ERR_INVALID_ADDRESS, "start far away");
	expect_sbi(sbi_hart_start(mate, 0, 0), SBI_ERR_INVALID_ADDRESS, "start at 0");
	expect_sbi(sbi_hart_start(mate, UART, 0), SBI_ERR_INVALID_ADDRESS, "start in a device");
	expect_sbi(sbi_hart_start(me, entry, 0), SBI_ERR_ALREADY_AVAILABLE, "start of itself");
	expect_sbi(sbi_hart_get_status(2), SBI_ERR_INVALID_PARAM, "status of hart 2");
	expect_sbi(sbi_hart_get_status(~0UL), SBI_ERR_INVALID_PARAM, "status of hart -1");
	/* suspend types 0x1-0x0fffffff and 0x80000001-0x8fffffff are reserved */
	expect_sbi(sbi_ecall(SBI_EXT_HSM, 3, 1, 0, 0, 0), SBI_ERR_INVALID_PARAM, "suspend type 1");
	expect_sbi(sbi_ecall(SBI_EXT_HSM, 3, 0x0fffffff, 0, 0, 0), SBI_ERR_INVALID_PARAM,
		   "suspend type 0x0fffffff");
	expect_sbi(sbi_ecall(SBI_EXT_HSM, 3, 0x80000001, entry, 0, 0), SBI_ERR_INVALID_PARAM,
		   "suspend type 0x80000001");
	expect_sbi(sbi_ecall(SBI_EXT_HSM, 3, 0x8fffffff, entry, 0, 0), SBI_ERR_INVALID_PARAM,
		   "suspend type 0x8fffffff");
	r = sbi_hart_get_status(mate);
	if (r.error || r.value != SBI_HSM_STOPPED)
		check_why("after all that, hart %lu status error %ld value %ld", mate, r.error,
			  r.value);
	check_end("sbi-hsm-abuse");

	check_begin();
	r = sbi_hart_start(mate, entry, HSM_OPAQUE);
	unsigned long deadline = rdtime() + 2 * timebase;
	while (!r.error && !mate_up && rdtime() < deadline)
		;
	if (r.error || !mate_up)
		check_why("hart_start(%lu) error %ld, up %lu", mate, r.error, mate_up);
	else if (mate_hartid != mate || mate_opaque != HSM_OPAQUE)
		check_why("hart %lu got a0 %lu a1 0x%lx", mate, mate_hartid, mate_opaque);
	return check_end("sbi-hsm-start");
}

static volatile unsigned long timer_irqs, soft_irqs, ext_irqs;
/* Storms: until then, each handler raises its interrupt again (which is
 * taken again at once: the interrupted code makes no progress meanwhile). */
static volatile unsigned long storm_end;

static bool storming(void)
{
	return rdtime() < storm_end;
}

static bool on_irq(struct trap_frame *f)
{
	switch (f->scause & ~SCAUSE_IRQ) {
	case IRQ_S_TIMER:
		timer_irqs++;
		sbi_set_timer(storming() ? 0 : ~0UL);
		return true;
	case IRQ_S_SOFT:
		soft_irqs++;
		csr_clear(sip, SIP_SSIP);
		if (storming())
			sbi_send_ipi(1UL << hart_id(), 0);
		return true;
	case IRQ_S_EXT: {
		uint32_t id = *(volatile uint32_t *)PLIC_CLAIM(ctx);
		if (id == UART_IRQ) {
			ext_irqs++;
			/* THR stays empty: turning ETBEI off and on raises the
			 * THRE interrupt again (16550 behaviour Linux relies on) */
			*(volatile uint8_t *)UART_IER = 0;
			if (storming())
				*(volatile uint8_t *)UART_IER = IER_ETBEI;
		}
		if (id)
			*(volatile uint32_t *)PLIC_CLAIM(ctx) = id;
		return true;
	}
	}
	return false;
}

/* Interrupts on (sstatus.SIE) for ms milliseconds, spinning. */
static void window(unsigned long ms)
{
	unsigned long end = rdtime() + timebase / 1000 * ms;
	csr_set(sstatus, SSTATUS_SIE);
	while (rdtime() < end)
		;
	csr_clear(sstatus, SSTATUS_SIE);
}

static void test_sbi_timer(void)
{
	timer_irqs = 0;
	storm_end = 0;
	csr_set(sie, SIE_STIE);
	check_begin();
	expect_sbi(sbi_ecall(SBI_EXT_TIME, 0, ~0UL - 1, 0, 0, 0), SBI_SUCCESS, "set_timer(2^64-2)");
	window(20);
	expect_sbi(sbi_ecall(SBI_EXT_TIME, 0, 1UL << 63, 0, 0, 0), SBI_SUCCESS, "set_timer(2^63)");
	window(20);
	if (timer_irqs)
		check_why("%lu timer interrupts for deadlines centuries away", timer_irqs);
	/* a deadline in the past is due at once (the handler disarms it) */
	expect_sbi(sbi_ecall(SBI_EXT_TIME, 0, 0, 0, 0, 0), SBI_SUCCESS, "set_timer(0)");
	window(20);
	if (timer_irqs != 1)
		check_why("%lu timer interrupts for a deadline in the past, want 1", timer_irqs);
	/* set_timer clears a pending timer interrupt (SBI spec 6.1) */
	sbi_set_timer(0);
	sbi_set_timer(~0UL);
	window(20);
	if (timer_irqs != 1)
		check_why("a pending timer interrupt survived set_timer(-1)");
	check_end("sbi-set-timer");
	csr_clear(sie, SIE_STIE);
}

/* Reserved reset types and reasons: refused, the VM goes on (spec 10.1). */
static void test_sbi_srst(void)
{
	check_begin();
	expect_sbi(sbi_system_reset(3, 0), SBI_ERR_INVALID_PARAM, "reset type 3");
	expect_sbi(sbi_system_reset(0xf0000000, 0), SBI_ERR_INVALID_PARAM, "vendor reset type");
	expect_sbi(sbi_system_reset(1UL << 32, 0), SBI_ERR_INVALID_PARAM, "reset type 2^32");
	expect_sbi(sbi_system_reset(SBI_SRST_SHUTDOWN, 2), SBI_ERR_INVALID_PARAM,
		   "shutdown with reason 2");
	expect_sbi(sbi_system_reset(SBI_SRST_SHUTDOWN, 0xf0000000), SBI_ERR_INVALID_PARAM,
		   "shutdown with a vendor reason");
	expect_sbi(sbi_system_reset(SBI_SRST_COLD_REBOOT, 1UL << 32), SBI_ERR_INVALID_PARAM,
		   "cold reboot with reason 2^32");
	expect_sbi(sbi_system_reset(SBI_SRST_WARM_REBOOT, 0x12345), SBI_ERR_INVALID_PARAM,
		   "warm reboot with reason 0x12345");
	check_end("sbi-srst-reserved");
}

/* ---- WFI: it must return when an interrupt enabled in sie is pending,
 * even with sstatus.SIE = 0.  Hart 1 stands by with an IPI at +1 s, so a
 * WFI that would not wake on its own does not hang the test. */

static void watchdog(unsigned long at)
{
	cmd_time = at;
	cmd_cancel = false;
	cmd = CMD_IPI_AT;
}

static void watchdog_off(void)
{
	cmd_cancel = true;
	while (cmd != CMD_NONE)
		;
	csr_clear(sip, SIP_SSIP);
}

static void test_wfi(void)
{
	unsigned long t0, deadline, woke;

	/* the timer, masked by SIE = 0 but enabled in sie */
	check_begin();
	csr_write(sie, SIE_STIE | SIE_SSIE);
	t0 = rdtime();
	deadline = t0 + timebase / 100;
	watchdog(t0 + timebase);
	sbi_set_timer(deadline);
	while (rdtime() < deadline && !(csr_read(sip) & SIP_SSIP))
		wfi();
	woke = rdtime();
	sbi_set_timer(~0UL);
	if (csr_read(sip) & SIP_SSIP)
		check_why("the timer did not end the WFI, the watchdog IPI did after %lu ms",
			  (woke - t0) * 1000 / timebase);
	watchdog_off();
	check_end("wfi-timer");

	/* a timer interrupt already pending: WFI returns at once */
	check_begin();
	sbi_set_timer(0);
	t0 = rdtime();
	while (rdtime() < t0 + timebase / 1000)
		;
	watchdog(t0 + timebase);
	wfi();
	woke = rdtime();
	sbi_set_timer(~0UL);
	if (csr_read(sip) & SIP_SSIP)
		check_why("WFI with a timer interrupt pending waited for the watchdog (%lu ms)",
			  (woke - t0) * 1000 / timebase);
	watchdog_off();
	check_end("wfi-pending");

	/* an IPI from the other hart (the wake-up an idle kernel waits for),
	 * with the timer at +2 s in case it never comes */
	check_begin();
	t0 = rdtime();
	sbi_set_timer(t0 + 2 * timebase);
	watchdog(t0 + timebase / 50);
	while (!(csr_read(sip) & SIP_SSIP) && rdtime() < t0 + 2 * timebase)
		wfi();
	woke = rdtime();
	sbi_set_timer(~0UL);
	if (!(csr_read(sip) & SIP_SSIP) || woke - t0 > timebase)
		check_why("the IPI sent after 20 ms ended the WFI after %lu ms",
			  (woke - t0) * 1000 / timebase);
	watchdog_off();
	check_end("wfi-ipi");
	csr_write(sie, 0);
}

/* ---- storms: interrupts re-raised by their own handler, exits as fast as
 * the guest can make them; each stops when asked and leaves nothing behind */

static void test_storms(void)
{
	unsigned long n = 0, end, bad = 0;

	/* exits: an emulated register and an SBI call, back to back */
	check_begin();
	*(volatile uint32_t *)PLIC_PRIO(UART_IRQ) = 3;
	end = rdtime() + timebase / 1000 * STORM_MS;
	while (rdtime() < end) {
		bad += *(volatile uint32_t *)PLIC_PRIO(UART_IRQ) != 3;
		bad += sbi_probe(SBI_EXT_BASE) != 1;
		n++;
	}
	printf("hostile: exit storm: %lu rounds of an MMIO read and an SBI call\n", n);
	if (bad)
		check_why("%lu wrong answers", bad);
	check_end("storm-exits");

	/* the timer: set_timer(0) from its own handler */
	check_begin();
	timer_irqs = 0;
	storm_end = rdtime() + timebase / 1000 * STORM_MS;
	csr_write(sie, SIE_STIE);
	sbi_set_timer(0);
	window(STORM_MS + 1);
	n = timer_irqs;
	window(20);
	printf("hostile: timer storm: %lu interrupts\n", n);
	if (n < 20 || timer_irqs != n)
		check_why("%lu interrupts, %lu more after the storm", n, timer_irqs - n);
	check_end("storm-timer");

	/* IPIs to itself from the handler */
	check_begin();
	soft_irqs = 0;
	storm_end = rdtime() + timebase / 1000 * STORM_MS;
	csr_write(sie, SIE_SSIE);
	sbi_send_ipi(1UL << hart_id(), 0);
	window(STORM_MS + 1);
	n = soft_irqs;
	window(20);
	printf("hostile: IPI storm: %lu interrupts\n", n);
	if (n < 20 || soft_irqs != n)
		check_why("%lu interrupts, %lu more after the storm", n, soft_irqs - n);
	check_end("storm-ipi-self");

	/* the UART's THR-empty interrupt through the PLIC, never served */
	check_begin();
	ext_irqs = 0;
	storm_end = rdtime() + timebase / 1000 * STORM_MS;
	*(volatile uint32_t *)PLIC_PRIO(UART_IRQ) = 1;
	*(volatile uint32_t *)PLIC_ENABLE0(ctx) = 1U << UART_IRQ;
	*(volatile uint32_t *)PLIC_THRESHOLD(ctx) = 0;
	csr_write(sie, SIE_SEIE);
	*(volatile uint8_t *)UART_IER = IER_ETBEI;
	window(STORM_MS + 1);
	n = ext_irqs;
	window(20);
	printf("hostile: UART interrupt storm: %lu interrupts\n", n);
	if (n < 20 || ext_irqs != n)
		check_why("%lu interrupts, %lu more after the storm", n, ext_irqs - n);
	if (*(volatile uint32_t *)PLIC_PENDING & (1U << UART_IRQ))
		check_why("the UART's IRQ still pending");
	*(volatile uint32_t *)PLIC_ENABLE0(ctx) = 0;
	check_end("storm-uart-irq");
	csr_write(sie, 0);

	/* faults: every one an exit and an incident for rvhv's log */
	check_begin();
	fault_catch(true);
	for (unsigned long i = 0; i < FAULT_STORM; i++) {
		unsigned long v, pc;
		try_load(i & 1 ? ram_end : 0, 8, &v, &pc);
		expect_trap("storm load", EXC_LOAD_ACCESS, i & 1 ? ram_end : 0, pc);
	}
	fault_catch(false);
	check_end("storm-faults");
}

/* IPIs from the other hart as fast as it can send them */
static void test_ipi_cross(void)
{
	check_begin();
	csr_write(sie, SIE_SSIE);
	soft_irqs = 0;
	mate_ipis = 0;
	cmd = CMD_IPI_STORM;
	csr_set(sstatus, SSTATUS_SIE);
	while (cmd != CMD_NONE)
		;
	window(20);
	csr_clear(sstatus, SSTATUS_SIE);
	printf("hostile: hart %lu sent %lu IPIs, %lu interrupts taken\n", mate, mate_ipis,
	       soft_irqs);
	if (!soft_irqs || soft_irqs > mate_ipis)
		check_why("%lu interrupts for %lu IPIs", soft_irqs, mate_ipis);
	check_end("storm-ipi-cross");
	csr_write(sie, 0);
}

/* A DBCN write may take only part of its buffer (SBI spec 12.1): a huge one
 * must not hold the shared console for long. */
static void test_dbcn_flood(void)
{
	static char flood[FLOOD_BYTES];
	if (!have_dbcn)
		return;
	for (unsigned i = 0; i < FLOOD_BYTES; i++)
		flood[i] = i % 64 == 63 ? '\n' : '.';
	check_begin();
	unsigned long t0 = rdtime();
	struct sbiret r = sbi_dbcn_write(FLOOD_BYTES, (unsigned long)flood);
	unsigned long ms = (rdtime() - t0) * 1000 / timebase;
	printf("%shostile: DBCN took %ld of %u bytes in %lu ms\n", r.value % 64 ? "\n" : "",
	       r.value, FLOOD_BYTES, ms);
	if (r.error || r.value < 0 || r.value > FLOOD_BYTES)
		check_why("error %ld value %ld", r.error, r.value);
	check_end("sbi-dbcn-flood");
}

int main(unsigned long hartid, const void *dtb)
{
	boot = hartid;
	mate = hartid ? 0 : 1;
	ctx = 2 * hartid + 1;
	fdt_walk(dtb, dtb_prop, NULL);
	have_dbcn = console_has_dbcn();
	trap_on_interrupt(on_irq);
	printf("hostile: hart %lu, RAM 0x%lx-0x%lx%s\n", hartid, ram_base, ram_end,
	       isa_has_h ? ", H extension listed" : "");
	sleep_ms(300); /* the worker fills its memory first */
	printf("hostile: attack begins\n");

	test_mmio();
	test_virtio_rings();
	test_sbi_ids();
	test_sbi_masks(hartid);
	test_sbi_dbcn();
	test_sbi_timer();
	test_cpu();
	bool accomplice = test_sbi_hsm(hartid);
	if (accomplice)
		test_wfi();
	test_storms();
	if (accomplice)
		test_ipi_cross();
	test_dbcn_flood();
	test_sbi_srst();
	if (!accomplice)
		finish("hostile");

	/* The end: a fault loop (every exception goes to stvec = 0, where
	 * there is no memory) that only the other hart can end, with SRST. */
	summary("hostile");
	printf("hostile: fault loop on hart %lu until hart %lu stops the VM\n", boot, mate);
	cmd = CMD_END_VM;
	csr_write(stvec, 0);
	asm volatile(".word 0" ::: "memory"); /* an illegal instruction */
	for (;;)
		;
}
