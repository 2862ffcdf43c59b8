/*
 * bench: rvhv's micro-benchmarks, a supervisor guest that runs the same way
 * under rvhv (VS-mode, 1 vCPU) and natively on QEMU + OpenSBI, so that each
 * figure has its native reference from the same binary.
 *
 * Run under QEMU's -icount shift=0,sleep=off: instret then counts the
 * instructions the hart executes in every mode (rvhv's and OpenSBI's too),
 * and the time CSR is the same virtual clock at timebase resolution.  Every
 * result is one line:
 *
 *   bench <name> <iterations> <instructions per op> <virtual ns per op>
 *
 * with two decimals.  For loops (loops.S) the figure is the loop with the
 * operation minus the loop without it, the minimum of REPS runs of each (a
 * hypervisor tick landing in one run then does not count).  For interrupts
 * it is the median over the samples of the instructions from the one that
 * raises the interrupt to the handler's first.  For virtio-blk it is the
 * mean request (driver, exits, device, the wait) at queue depth 1, polled.
 * `benchinfo ...` lines carry context (which disk, notifications per
 * request, the fastest request, ...).
 *
 * The guest DTB's /chosen bootargs may say `bench=<groups>` (comma
 * separated: sbi uart mmio plic timer irq blk) and `blk-requests=<n>`;
 * without a DTB (natively) everything runs.  See bench/README.md.
 */
#include "virtio.h"

#define REPS 3
#define N_LOOP 2000  /* iterations of an exiting loop */
#define N_THR 400    /* THR writes: each prints a byte */
#define N_IRQ 25     /* interrupt samples */
#define N_BLK 1024   /* virtio-blk requests per pattern */
#define N_BLK_MAX 4096
#define BLK_SPAN 1024 /* 4 KiB blocks the requests range over (4 MiB) */

#define UART0 0x10000000UL
#define UART_THR 0
#define UART_IER 1
#define UART_IIR 2
#define UART_LSR 5
#define UART_SCR 7
#define IER_ETBEI 0x02
#define UART_IRQ 10

#define PLIC 0x0c000000UL
#define PLIC_PRIORITY(irq) (PLIC + 4 * (irq))
#define PLIC_ENABLE(ctx) (PLIC + 0x2000 + 0x80 * (ctx))
#define PLIC_THRESHOLD(ctx) (PLIC + 0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx) (PLIC_THRESHOLD(ctx) + 4)
#define PLIC_CTX 1 /* hart 0's S-mode context, natively and in rvhv's VM */

#define TESTDEV 0x10010000UL /* rvhv,testdev in bench/configs/bench.dts */

#define SIE_SEIE (1UL << 9)
#define IRQ_S_EXT 9

/* loops.S: out[0] = time CSR delta, out[1] = what the operation summed */
typedef unsigned long (*loop_fn)(unsigned long n, unsigned long addr, unsigned long val,
				 unsigned long out[2]);
unsigned long loop_empty(unsigned long, unsigned long, unsigned long, unsigned long *);
unsigned long loop_claim_base(unsigned long, unsigned long, unsigned long, unsigned long *);
unsigned long loop_lbu(unsigned long, unsigned long, unsigned long, unsigned long *);
unsigned long loop_lw(unsigned long, unsigned long, unsigned long, unsigned long *);
unsigned long loop_ld(unsigned long, unsigned long, unsigned long, unsigned long *);
unsigned long loop_sb(unsigned long, unsigned long, unsigned long, unsigned long *);
unsigned long loop_sd(unsigned long, unsigned long, unsigned long, unsigned long *);
unsigned long loop_claim(unsigned long, unsigned long, unsigned long, unsigned long *);
unsigned long loop_ecall(unsigned long n, unsigned long eid, unsigned long fid,
			 unsigned long *dtime, unsigned long arg0);
unsigned long loop_ecall_base(unsigned long n, unsigned long eid, unsigned long fid,
			      unsigned long *dtime, unsigned long arg0);
unsigned long irq_csr_stimecmp(unsigned long when);
unsigned long irq_sbi_timer(unsigned long when);
unsigned long irq_store_byte(unsigned long addr, unsigned long val);

static char groups[128] = "all";
static unsigned long blk_requests = N_BLK;
static bool under_rvhv;
static bool mid_line; /* the THR benchmark printed bytes without a newline */

/* ---- output */

/* v / 100 with two decimals (v may be negative: a difference). */
static void print_fixed(long v)
{
	if (v < 0) {
		printf("-");
		v = -v;
	}
	printf("%ld.%02ld", v / 100, v % 100);
}

/* ticks of the time CSR -> ns, times 100 */
static long ticks_to_ns100(long ticks)
{
	return ticks * 100 * (1000000000L / (long)timebase);
}

static void report_ns100(const char *name, unsigned long n, long dinstr, long ns100)
{
	printf("%sbench %s %lu ", mid_line ? "\n" : "", name, n);
	mid_line = false;
	print_fixed(dinstr * 100 / (long)n);
	printf(" ");
	print_fixed(ns100 / (long)n);
	printf("\n");
}

static void report(const char *name, unsigned long n, long dinstr, long dticks)
{
	report_ns100(name, n, dinstr, ticks_to_ns100(dticks));
}

static bool want(const char *group)
{
	if (!strcmp(groups, "all"))
		return true;
	size_t len = strlen(group);
	for (const char *p = groups; *p;) {
		if (!memcmp(p, group, len) && (p[len] == ',' || p[len] == 0))
			return true;
		while (*p && *p != ',')
			p++;
		if (*p == ',')
			p++;
	}
	return false;
}

/* ---- loops: the operation minus the empty loop */

/* Returns what the operation summed (out[1]) in the last run. */
static unsigned long bench_loop_vs(const char *name, loop_fn fn, loop_fn empty,
				   unsigned long addr, unsigned long val, unsigned long n)
{
	unsigned long best = ~0UL, best_t = ~0UL, base = ~0UL, base_t = ~0UL, out[2], sum = 0;
	for (int r = 0; r < REPS; r++) {
		unsigned long d = fn(n, addr, val, out);
		sum = out[1];
		if (d < best)
			best = d, best_t = out[0];
		d = empty(n, addr, val, out);
		if (d < base)
			base = d, base_t = out[0];
	}
	report(name, n, (long)(best - base), (long)best_t - (long)base_t);
	return sum;
}

static void bench_loop(const char *name, loop_fn fn, unsigned long addr, unsigned long val,
		       unsigned long n)
{
	bench_loop_vs(name, fn, loop_empty, addr, val, n);
}

static void bench_ecall(const char *name, unsigned long eid, unsigned long fid,
			unsigned long arg0, unsigned long n)
{
	unsigned long best = ~0UL, best_t = ~0UL, base = ~0UL, base_t = ~0UL, dt[2];
	for (int r = 0; r < REPS; r++) {
		unsigned long d = loop_ecall(n, eid, fid, dt, arg0);
		if (d < best)
			best = d, best_t = dt[0];
		d = loop_ecall_base(n, eid, fid, dt, arg0);
		if (d < base)
			base = d, base_t = dt[0];
	}
	report(name, n, (long)(best - base), (long)best_t - (long)base_t);
}

/* ---- interrupt latency: the median of N_IRQ samples */

static void sort(unsigned long *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			unsigned long t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

static void report_samples(const char *name, unsigned long *v, int n)
{
	sort(v, n);
	unsigned long med = v[n / 2];
	/* the time CSR is too coarse (100 ns) for one event: its column is the
	 * count again, virtual ns = instructions under -icount shift=0 */
	report_ns100(name, 1, (long)med, (long)med * 100);
	printf("benchinfo %s samples %d min %lu median %lu max %lu\n", name, n, v[0], med,
	       v[n - 1]);
}

static bool stimecmp_writable(void)
{
	fault_reset();
	fault_catch(true);
	asm volatile("csrw 0x14d, %0" ::"r"(~0UL));
	fault_catch(false);
	return fault.count == 0;
}

static void bench_timer(void)
{
	unsigned long v[N_IRQ];
	unsigned long sie = csr_read(sie);

	csr_write(sie, SIE_STIE);
	if (stimecmp_writable()) {
		for (int i = 0; i < N_IRQ; i++) {
			v[i] = irq_csr_stimecmp(0);
			asm volatile("csrw 0x14d, %0" ::"r"(~0UL));
		}
		report_samples("timer-irq-stimecmp", v, N_IRQ);
	} else {
		printf("benchinfo timer-irq-stimecmp absent: stimecmp not writable\n");
	}
	for (int i = 0; i < N_IRQ; i++) {
		v[i] = irq_sbi_timer(0);
		sbi_set_timer(~0UL);
	}
	report_samples("timer-irq-sbi", v, N_IRQ);
	csr_write(sie, sie);
	/* the SBI call alone, with a deadline far away (no interrupt) */
	bench_ecall("sbi-set-timer", SBI_EXT_TIME, 0, ~0UL, N_LOOP);
}

/* ---- the UART's THRE interrupt through the PLIC */

static void reg8_write(unsigned long a, uint8_t v)
{
	*(volatile uint8_t *)a = v;
}

static uint8_t reg8_read(unsigned long a)
{
	return *(volatile uint8_t *)a;
}

static void reg32_write(unsigned long a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

static uint32_t reg32_read(unsigned long a)
{
	return *(volatile uint32_t *)a;
}

/* Only the UART's source enabled in our context, THRE interrupt off. */
static void plic_uart_setup(void)
{
	reg8_write(UART0 + UART_IER, 0);
	reg32_write(PLIC_PRIORITY(UART_IRQ), 1);
	for (int w = 0; w < 4; w++)
		reg32_write(PLIC_ENABLE(PLIC_CTX) + 4 * w, 0);
	reg32_write(PLIC_ENABLE(PLIC_CTX), 1U << UART_IRQ);
	reg32_write(PLIC_THRESHOLD(PLIC_CTX), 0);
	uint32_t irq;
	while ((irq = reg32_read(PLIC_CLAIM(PLIC_CTX))) != 0) /* anything stale */
		reg32_write(PLIC_CLAIM(PLIC_CTX), irq);
}

static void plic_uart_teardown(void)
{
	reg8_write(UART0 + UART_IER, 0);
	uint32_t irq;
	while ((irq = reg32_read(PLIC_CLAIM(PLIC_CTX))) != 0)
		reg32_write(PLIC_CLAIM(PLIC_CTX), irq);
	reg32_write(PLIC_ENABLE(PLIC_CTX), 0);
}

/* Claim/complete with the THRE interrupt pending throughout: a level source
 * still asserted re-pends on completion, so every claim returns it. */
static void bench_plic(void)
{
	plic_uart_setup();
	reg8_write(UART0 + UART_IER, IER_ETBEI);
	uint32_t first = reg32_read(PLIC_CLAIM(PLIC_CTX));
	reg32_write(PLIC_CLAIM(PLIC_CTX), first);
	if (first != UART_IRQ) {
		printf("benchinfo plic-claim-complete skipped: claim gave %u, want %u\n", first,
		       UART_IRQ);
		plic_uart_teardown();
		return;
	}
	unsigned long sum = bench_loop_vs("plic-claim-complete", loop_claim, loop_claim_base,
					  PLIC_CLAIM(PLIC_CTX), 0, N_LOOP);
	/* A PLIC whose gateway re-pends a still-asserted line on completion
	 * (the spec's) answers every claim with the source; QEMU's takes a new
	 * edge of the line, so most claims there find nothing (0). */
	printf("benchinfo plic-claim-complete claims %lu of %d found the source\n",
	       sum / UART_IRQ, N_LOOP);
	plic_uart_teardown();
}

/* From the store to IER that raises the THRE interrupt to the handler. */
static void bench_uart_irq(void)
{
	unsigned long v[N_IRQ];
	unsigned long sie = csr_read(sie);
	int got = 0;

	plic_uart_setup();
	csr_write(sie, SIE_SEIE);
	for (int i = 0; i < N_IRQ; i++) {
		unsigned long d = irq_store_byte(UART0 + UART_IER, IER_ETBEI);
		unsigned long scause = csr_read(scause);
		uint32_t irq = reg32_read(PLIC_CLAIM(PLIC_CTX));
		(void)reg8_read(UART0 + UART_IIR); /* acknowledges THRE */
		reg8_write(UART0 + UART_IER, 0);
		if (irq)
			reg32_write(PLIC_CLAIM(PLIC_CTX), irq);
		if (scause == (SCAUSE_IRQ | IRQ_S_EXT) && irq == UART_IRQ)
			v[got++] = d;
	}
	csr_write(sie, sie);
	plic_uart_teardown();
	if (got)
		report_samples("uart-thre-irq", v, got);
	if (got < N_IRQ)
		printf("benchinfo uart-thre-irq warning: %d of %d samples were the UART's\n", got,
		       N_IRQ);
}

/* ---- virtio-blk: 4 KiB requests at queue depth 1, polled */

#define QSIZE 16
static uint8_t rings[VIRTIO_NSLOTS][VIRTQ_ALIGN_UP(VIRTQ_RING_BYTES(QSIZE), 4096)]
	__attribute__((aligned(4096)));
static uint8_t blkbuf[4096] __attribute__((aligned(4096)));
static struct virtio_blk_hdr hdr;
static volatile uint8_t blk_status;

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One request: header, 4 KiB, status; wait on the used ring only (no
 * register reads while waiting, so nothing but the notification exits). */
static bool blk_one(struct virtio_dev *d, uint32_t type, uint64_t block, unsigned long *notifies)
{
	hdr = (struct virtio_blk_hdr){.type = type, .sector = block * 8};
	blk_status = 0xff;
	struct virtio_buf b[3] = {{(uintptr_t)&hdr, sizeof(hdr), false},
				  {(uintptr_t)blkbuf, sizeof(blkbuf), type == VIRTIO_BLK_T_IN},
				  {(uintptr_t)&blk_status, 1, true}};
	virtq_chain(d, 0, b, 3);
	virtq_submit(d, 0);
	*notifies += virtq_kick(d);
	unsigned long deadline = rdtime() + timebase; /* a virtual second */
	while (d->used[1] == d->used_idx)
		if (rdtime() > deadline)
			return false;
	uint32_t id, len;
	return virtq_pop_used(d, &id, &len) && id == 0 && blk_status == VIRTIO_BLK_S_OK;
}

static unsigned long blk_lat[N_BLK_MAX];

/*
 * n requests of one pattern.  The bench line gives the mean request, whose
 * inverse is the throughput; the benchinfo line the notifications and the
 * fastest, median and slowest request.  The disk behind QEMU's virtio-blk
 * answers in host time, which reaches virtual time only through how far the
 * hart got meanwhile, so those vary run to run; the fastest request is the
 * code path alone (bench/README.md).
 */
static void blk_pattern(struct virtio_dev *d, const char *disk, const char *pattern,
			uint32_t type, bool random, unsigned long span)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	unsigned long notifies = 0, errors = 0;
	char name[48];
	unsigned long n = blk_requests < N_BLK_MAX ? blk_requests : N_BLK_MAX;

	if (!n)
		return;
	snprintf(name, sizeof(name), "blk-%s-%s", disk, pattern);
	unsigned long t0 = rdtime(), i0 = csr_read(instret);
	for (unsigned long i = 0; i < n; i++) {
		uint64_t block = random ? xorshift(&seed) % span : i % span;
		unsigned long start = csr_read(instret);
		if (!blk_one(d, type, block, &notifies))
			errors++;
		blk_lat[i] = csr_read(instret) - start;
	}
	unsigned long instr = csr_read(instret) - i0, ticks = rdtime() - t0;
	report(name, n, (long)instr, (long)ticks);
	sort(blk_lat, (int)n);
	printf("benchinfo %s requests %lu notifies %lu errors %lu min %lu median %lu max %lu\n",
	       name, n, notifies, errors, blk_lat[0], blk_lat[n / 2], blk_lat[n - 1]);
}

static void bench_disk(uintptr_t base, unsigned slot)
{
	static struct virtio_dev dev;
	struct virtio_dev *d = &dev;
	const char *why = "";
	char id[VIRTIO_BLK_ID_BYTES + 1] = {0};

	virtio_bind(d, base);
	if (virtio_init(d, 0, QSIZE, rings[slot], &why)) {
		printf("benchinfo blk@%lx init failed: %s\n", (unsigned long)base, why);
		return;
	}
	d->quiet = true; /* no used-buffer interrupts: the wait polls */
	struct virtio_buf b = {(uintptr_t)id, VIRTIO_BLK_ID_BYTES, true};
	virtio_blk_request(d, VIRTIO_BLK_T_GET_ID, 0, &b, 1, false, NULL);
	uint64_t cap = virtio_blk_capacity(d);
	/* rvhv's RAM image calls itself so; the platform's disk (QEMU's, which
	 * rvhv's host backend drives) does not. */
	const char *disk = !under_rvhv ? "qemu" : !strcmp(id, "rvhv-ramdisk") ? "ram" : "host";
	unsigned long span = cap / 8 < BLK_SPAN ? cap / 8 : BLK_SPAN;
	printf("benchinfo blk-%s at 0x%lx %s, %lu sectors, id \"%s\", used flags 0x%x\n", disk,
	       (unsigned long)base, d->version == 1 ? "legacy" : "modern", (unsigned long)cap, id,
	       d->used[0]);
	if (span == 0)
		return;
	for (unsigned i = 0; i < sizeof(blkbuf); i++)
		blkbuf[i] = (uint8_t)(i * 7 + 3);
	blk_pattern(d, disk, "seq-write", VIRTIO_BLK_T_OUT, false, span);
	blk_pattern(d, disk, "seq-read", VIRTIO_BLK_T_IN, false, span);
	blk_pattern(d, disk, "rand-write", VIRTIO_BLK_T_OUT, true, span);
	blk_pattern(d, disk, "rand-read", VIRTIO_BLK_T_IN, true, span);
	virtio_reset(d);
}

/* Every virtio-blk in QEMU virt's slots, as blk_test finds them. */
static void bench_blk(void)
{
	for (unsigned s = 0; s < VIRTIO_NSLOTS; s++) {
		uintptr_t base = VIRTIO_SLOT0 + s * VIRTIO_SLOT_SIZE;
		uint32_t version, id;
		if (virtio_probe(base, &version, &id) && id == VIRTIO_ID_BLOCK &&
		    (version == 1 || version == 2))
			bench_disk(base, s);
	}
}

/* The first virtio-mmio slot that answers: a register read on the general
 * MMIO path (rvhv's transport model; natively QEMU's). */
static uintptr_t virtio_slot(void)
{
	for (unsigned s = 0; s < VIRTIO_NSLOTS; s++) {
		uintptr_t base = VIRTIO_SLOT0 + s * VIRTIO_SLOT_SIZE;
		uint32_t version, id;
		if (virtio_probe(base, &version, &id) && id != 0)
			return base;
	}
	return 0;
}

static bool testdev_present(void)
{
	fault_reset();
	fault_catch(true);
	(void)*(volatile uint64_t *)TESTDEV;
	fault_catch(false);
	return fault.count == 0;
}

/* ---- /chosen bootargs: bench=<groups> blk-requests=<n> */

static void copy_arg(const char *args, const char *key, char *out, size_t len)
{
	size_t k = strlen(key);
	for (const char *p = args; *p;) {
		while (*p == ' ')
			p++;
		if (!memcmp(p, key, k) && p[k] == '=') {
			size_t i = 0;
			for (p += k + 1; *p && *p != ' ' && i + 1 < len; p++)
				out[i++] = *p;
			out[i] = 0;
			return;
		}
		while (*p && *p != ' ')
			p++;
	}
}

static void on_prop(const char *node, const char *prop, const void *val, uint32_t len, void *arg)
{
	(void)arg;
	if (strcmp(node, "chosen") || strcmp(prop, "bootargs") || len == 0)
		return;
	char args[256], n[16] = "";
	size_t l = len < sizeof(args) ? len : sizeof(args) - 1;
	memcpy(args, val, l);
	args[l] = 0;
	copy_arg(args, "bench", groups, sizeof(groups));
	copy_arg(args, "blk-requests", n, sizeof(n));
	if (n[0]) {
		blk_requests = 0;
		for (const char *p = n; *p >= '0' && *p <= '9'; p++)
			blk_requests = blk_requests * 10 + (unsigned long)(*p - '0');
	}
}

int main(unsigned long hartid, const void *dtb)
{
	unsigned long entry_time = rdtime();
	struct sbiret impl = sbi_get_impl_id();
	under_rvhv = !impl.error && impl.value == RVHV_SBI_IMPL_ID;
	fdt_walk(dtb, on_prop, NULL);
	printf("bench: hart %lu, %s, timebase %lu Hz, groups %s\n", hartid,
	       under_rvhv ? "rvhv" : "native", timebase, groups);
	printf("benchinfo host %s\n", under_rvhv ? "rvhv" : "native");
	/* virtual time from QEMU's reset to here: the firmware's boot (and
	 * rvhv's, and the VM's creation) */
	printf("benchinfo entry-time %lu ticks\n", entry_time);
	unsigned long out[2];
	printf("benchinfo empty-loop %lu instructions for %d iterations\n",
	       loop_empty(N_LOOP, 0, 0, out), N_LOOP);

	if (want("sbi")) {
		/* BASE get_spec_version: no arguments, no side effects */
		bench_ecall("sbi-null", SBI_EXT_BASE, 0, 0, N_LOOP);
		/* BASE probe_extension: rvhv's C tier (the assembly one answers
		 * only the fixed BASE queries and set_timer) */
		bench_ecall("sbi-probe", SBI_EXT_BASE, 3, SBI_EXT_TIME, N_LOOP);
	}
	if (want("uart")) {
		bench_loop("uart-lsr-read", loop_lbu, UART0 + UART_LSR, 0, N_LOOP);
		bench_loop("uart-scr-write", loop_sb, UART0 + UART_SCR, 0x5a, N_LOOP);
		/* IER: a UART register the assembly tier leaves to the model */
		bench_loop("uart-ier-read", loop_lbu, UART0 + UART_IER, 0, N_LOOP);
		mid_line = true;
		bench_loop("uart-thr-write", loop_sb, UART0 + UART_THR, '.', N_THR);
	}
	if (want("mmio")) {
		uintptr_t slot = virtio_slot();
		if (slot)
			bench_loop("mmio-virtio-read", loop_lw, slot + VIRTIO_MAGIC_VALUE, 0, N_LOOP);
		if (testdev_present()) {
			bench_loop("mmio-testdev-read", loop_ld, TESTDEV, 0, N_LOOP);
			bench_loop("mmio-testdev-write", loop_sd, TESTDEV, 0x1234, N_LOOP);
		}
	}
	if (want("plic"))
		bench_plic();
	if (want("irq"))
		bench_uart_irq();
	if (want("timer"))
		bench_timer();
	if (want("blk"))
		bench_blk();
	printf("bench: done\n");
	shutdown();
}
