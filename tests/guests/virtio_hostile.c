/*
 * virtio_hostile: a driver that breaks the rules of the split virtqueue
 * (virtio 1.2 §2.7) against a virtio-blk device, one broken request or
 * ring per case, each on a freshly reset device.  The device may answer
 * with DEVICE_NEEDS_RESET (§2.1.2; with DRIVER_OK set it must also raise a
 * configuration change interrupt) or, where a request is merely malformed,
 * complete it with IOERR; it must never hang, crash the hypervisor, or
 * write the disk.  After each case the device is reset and must serve a
 * good request again.
 *
 * The cases run against the first modern (Version 2) virtio-blk; a few
 * more, named legacy-*, against the first legacy one if there is one (its
 * QueuePFN layout can be broken in other ways).
 *
 * Per case: `hostile: <case>: <what the device did>`, `ok hostile-<case>`
 * (the device reported an error, or for the cases a device must simply
 * ignore, stayed well), `ok recover-<case>`.  Per device,
 * `ok hostile-disk-intact` (`hostile-legacy-disk-intact`): the sector every
 * broken write aimed at still holds what a good write put there first.
 */
#include "virtio.h"

#define QSIZE 128
#define RING_BYTES VIRTQ_ALIGN_UP(VIRTQ_RING_BYTES(QSIZE), 4096)
#define SECTOR VIRTIO_BLK_SECTOR
#define TARGET_SECTOR 10  /* what every broken request writes */
#define RECOVER_SECTOR 20 /* the good request after each reset */
#define WAIT_MS 500
#define OUTSIDE 0x200000000UL /* far from any guest RAM */
#define STATUS_UNTOUCHED 0xff

enum expect {
	EXPECT_ERROR, /* DEVICE_NEEDS_RESET, or completion with IOERR/UNSUPP */
	EXPECT_ANY,   /* a request the spec leaves open: anything but a hang */
	EXPECT_NONE,  /* ignored by the device: no error, still working */
};

struct outcome {
	bool setup_error;     /* DEVICE_NEEDS_RESET while setting up the queue */
	bool queue_ready;     /* the queue is live: QueueReady (modern), no error (legacy) */
	enum virtio_wait w;   /* the request's fate */
	bool config_irq;      /* a configuration change interrupt came with it */
	int status;           /* the status byte, when completed */
	uint32_t len;         /* the used entry's len, when completed */
	const char *problem;  /* for EXPECT_NONE cases and broken set-ups */
	char note[48];        /* anything else worth printing */
};

struct hcase {
	const char *name;
	enum expect expect;
	void (*run)(struct outcome *o);
};

static struct virtio_dev dev;
static uint8_t ring[RING_BYTES] __attribute__((aligned(4096)));
static struct virtq_desc table[8] __attribute__((aligned(16)));
static struct virtq_desc table2[4] __attribute__((aligned(16)));
static struct virtio_blk_hdr hdr;
static volatile uint8_t status;
static uint8_t junk[SECTOR] __attribute__((aligned(16)));
static uint8_t wbuf[SECTOR], rbuf[SECTOR];
static uint64_t ram_base = 0x80000000, ram_size = 64UL << 20;
static uint32_t irq;
static const void *guest_dtb;
static char name_buf[64];

static uint8_t pattern(uint64_t sector, unsigned i, uint8_t seed)
{
	return (uint8_t)(sector * 0x9d + i * 7 + (i >> 8) * 0x55 + seed);
}

static const char *cname(const char *prefix, const char *c)
{
	snprintf(name_buf, sizeof(name_buf), "%s-%s", prefix, c);
	return name_buf;
}

static void desc(int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	dev.desc[i] = (struct virtq_desc){addr, len, flags, next};
}

/* A well-formed write of junk to TARGET_SECTOR, descriptors 0-2. */
static void good_write_chain(void)
{
	hdr = (struct virtio_blk_hdr){.type = VIRTIO_BLK_T_OUT, .sector = TARGET_SECTOR};
	status = STATUS_UNTOUCHED;
	desc(0, (uintptr_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1);
	desc(1, (uintptr_t)junk, SECTOR, VIRTQ_DESC_F_NEXT, 2);
	desc(2, (uintptr_t)&status, 1, VIRTQ_DESC_F_WRITE, 0);
}

/* A well-formed read of sector 0 into rbuf, descriptors 0-2. */
static void good_read_chain(void)
{
	hdr = (struct virtio_blk_hdr){.type = VIRTIO_BLK_T_IN, .sector = 0};
	status = STATUS_UNTOUCHED;
	desc(0, (uintptr_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1);
	desc(1, (uintptr_t)rbuf, SECTOR, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	desc(2, (uintptr_t)&status, 1, VIRTQ_DESC_F_WRITE, 0);
}

static bool start(uint64_t features, uint16_t qsize, struct outcome *o)
{
	const char *why;
	virtio_bind(&dev, dev.base);
	if (virtio_init(&dev, features, qsize, ring, &why)) {
		o->problem = why;
		return false;
	}
	hdr = (struct virtio_blk_hdr){.type = VIRTIO_BLK_T_OUT, .sector = TARGET_SECTOR};
	status = STATUS_UNTOUCHED;
	return true;
}

/* Notify, wait, and record what the device did. */
static void finish_request(struct outcome *o)
{
	unsigned long config_before = dev.config_irqs;
	uint32_t id;
	virtq_kick(&dev);
	o->w = virtq_wait(&dev, 1, WAIT_MS);
	if (o->w == VIRTIO_NEEDS_RESET) {
		virtio_irq_poll();
		o->config_irq = dev.config_irqs > config_before;
	} else if (o->w == VIRTIO_DONE) {
		virtq_pop_used(&dev, &id, &o->len);
		o->status = status;
	}
}

static void go(uint16_t head, struct outcome *o)
{
	virtq_submit(&dev, head);
	finish_request(o);
}

/* Set up queue 0 by hand (modern), then see whether the device objected. */
static void setup_raw(struct outcome *o, uint16_t qsize, uint64_t d, uint64_t a, uint64_t u)
{
	const char *why;
	if (virtio_negotiate(&dev, 0, &why)) {
		o->problem = why;
		return;
	}
	virtio_queue_setup_raw(&dev, qsize, d, a, u);
	o->queue_ready = virtio_read(&dev, VIRTIO_QUEUE_READY);
	o->setup_error = virtio_status(&dev) & VIRTIO_S_NEEDS_RESET;
	virtio_driver_ok(&dev);
	if (o->setup_error || !o->queue_ready)
		return;
	/* accepted: then a request must fail (or at least not hang), if we
	 * can write the descriptors where the device now looks for them */
	if (d < ram_base || d + VIRTQ_DESC_BYTES(qsize) > ram_base + ram_size) {
		o->problem = "the device took a descriptor table outside guest RAM";
		return;
	}
	good_write_chain();
	go(0, o);
}

/* Legacy (§4.2.4): GuestPageSize, QueueAlign (0: left alone), QueuePFN. */
static void setup_legacy_raw(struct outcome *o, uint32_t page_size, uint32_t align, uint32_t pfn)
{
	const char *why;
	if (virtio_negotiate(&dev, 0, &why)) {
		o->problem = why;
		return;
	}
	virtio_write(&dev, VIRTIO_GUEST_PAGE_SIZE, page_size);
	virtio_write(&dev, VIRTIO_QUEUE_SEL, 0);
	virtio_write(&dev, VIRTIO_QUEUE_NUM, QSIZE);
	if (align)
		virtio_write(&dev, VIRTIO_QUEUE_ALIGN, align);
	virtio_write(&dev, VIRTIO_QUEUE_PFN, pfn);
	o->setup_error = virtio_status(&dev) & VIRTIO_S_NEEDS_RESET;
	o->queue_ready = !o->setup_error;
	if (!o->setup_error)
		o->problem = "the device took the queue";
}

/* ---- the cases */

/* (a) d0 -> d1 -> d0: the walk must stop (queue of 8: a loop, not a long chain). */
static void case_loop(struct outcome *o)
{
	if (!start(0, 8, o))
		return;
	desc(0, (uintptr_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1);
	desc(1, (uintptr_t)junk, SECTOR, VIRTQ_DESC_F_NEXT, 0);
	go(0, o);
}

/* d0 -> d0 in a queue of 128: more segments than a request may have. */
static void case_loop_self(struct outcome *o)
{
	if (!start(0, QSIZE, o))
		return;
	desc(0, (uintptr_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 0);
	go(0, o);
}

static void bad_buffer(struct outcome *o, uint64_t addr, uint32_t len)
{
	if (!start(0, QSIZE, o))
		return;
	good_write_chain();
	desc(1, addr, len, VIRTQ_DESC_F_NEXT, 2);
	go(0, o);
}

/* (b) a data buffer far outside guest RAM */
static void case_outside_ram(struct outcome *o)
{
	bad_buffer(o, OUTSIDE, SECTOR);
}

static void case_straddles_ram_end(struct outcome *o)
{
	bad_buffer(o, ram_base + ram_size - SECTOR / 2, SECTOR);
}

static void case_below_ram(struct outcome *o)
{
	bad_buffer(o, ram_base - SECTOR / 2, SECTOR);
}

/* addr + len wraps around 2^64 into low memory */
static void case_wraps(struct outcome *o)
{
	bad_buffer(o, ~0UL - SECTOR / 2 + 1, 2 * SECTOR);
}

/* (c) a zero-length data buffer in a read: the spec does not forbid it for
 * the device; completing it or failing it are both fine. */
static void zero_length(struct outcome *o, uint64_t addr)
{
	if (!start(0, QSIZE, o))
		return;
	hdr = (struct virtio_blk_hdr){.type = VIRTIO_BLK_T_IN, .sector = 0};
	desc(0, (uintptr_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1);
	desc(1, addr, 0, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	desc(2, (uintptr_t)&status, 1, VIRTQ_DESC_F_WRITE, 0);
	go(0, o);
}

static void case_zero_length(struct outcome *o)
{
	zero_length(o, (uintptr_t)rbuf);
}

static void case_zero_length_outside(struct outcome *o)
{
	zero_length(o, OUTSIDE);
}

/* (d) 100 descriptors in one chain: over the device's 64-segment limit */
static void case_long_chain(struct outcome *o)
{
	if (!start(0, QSIZE, o))
		return;
	desc(0, (uintptr_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1);
	for (int i = 1; i < 99; i++)
		desc(i, (uintptr_t)junk, SECTOR, VIRTQ_DESC_F_NEXT, i + 1);
	desc(99, (uintptr_t)&status, 1, VIRTQ_DESC_F_WRITE, 0);
	go(0, o);
}

/* 2^32 bytes in one chain: every descriptor covers all of guest RAM. */
static void case_chain_over_4g(struct outcome *o)
{
	uint64_t n = (1ULL << 32) / ram_size + ((1ULL << 32) % ram_size != 0);
	if (n > 64) {
		o->problem = "guest RAM too small to make 4 GiB from 64 descriptors";
		return;
	}
	if (!start(0, QSIZE, o))
		return;
	for (uint64_t i = 0; i < n; i++)
		desc(i, ram_base, (uint32_t)ram_size, i + 1 < n ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	go(0, o);
}

/* (e) the descriptor table 8 bytes off its 16-byte alignment */
static void case_misaligned_ring(struct outcome *o)
{
	uint64_t d = (uintptr_t)ring + 8;
	uint64_t a = (uintptr_t)ring + 4096 - VIRTQ_AVAIL_BYTES(QSIZE) - 2;
	memset(ring, 0, sizeof(ring));
	setup_raw(o, QSIZE, d, a, (uintptr_t)ring + 4096);
}

/* the used ring 2 bytes off its 4-byte alignment */
static void case_misaligned_used(struct outcome *o)
{
	uint64_t d = (uintptr_t)ring;
	memset(ring, 0, sizeof(ring));
	setup_raw(o, QSIZE, d, d + VIRTQ_DESC_BYTES(QSIZE), (uintptr_t)ring + 4096 + 2);
}

static void case_ring_outside_ram(struct outcome *o)
{
	uint64_t d = (uintptr_t)ring;
	memset(ring, 0, sizeof(ring));
	setup_raw(o, QSIZE, OUTSIDE, d + VIRTQ_DESC_BYTES(QSIZE), d + 4096);
}

/* QueueNum 100: not a power of two (§2.7) */
static void case_bad_queue_size(struct outcome *o)
{
	uint64_t d = (uintptr_t)ring;
	memset(ring, 0, sizeof(ring));
	setup_raw(o, 100, d, d + VIRTQ_DESC_BYTES(QSIZE), d + 4096);
}

/* (f) avail->idx 1000 entries ahead of the device, in a ring of 128 */
static void case_avail_idx_jump(struct outcome *o)
{
	if (!start(0, QSIZE, o))
		return;
	good_write_chain();
	dev.avail[2] = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	dev.avail_idx += 1000;
	dev.avail[1] = dev.avail_idx;
	finish_request(o);
}

/* an available ring entry naming descriptor 200 of 128 */
static void case_head_out_of_range(struct outcome *o)
{
	if (!start(0, QSIZE, o))
		return;
	good_write_chain();
	go(200, o);
}

static void case_next_out_of_range(struct outcome *o)
{
	if (!start(0, QSIZE, o))
		return;
	good_write_chain();
	desc(1, (uintptr_t)junk, SECTOR, VIRTQ_DESC_F_NEXT, 300);
	go(0, o);
}

/* (g) header readable, status writable, then readable data again */
static void case_readable_after_writable(struct outcome *o)
{
	if (!start(0, QSIZE, o))
		return;
	desc(0, (uintptr_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1);
	desc(1, (uintptr_t)&status, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	desc(2, (uintptr_t)junk, SECTOR, 0, 0);
	go(0, o);
}

/* The good write as a 3-entry indirect table in `table`. */
static void good_write_table(void)
{
	table[0] = (struct virtq_desc){(uintptr_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1};
	table[1] = (struct virtq_desc){(uintptr_t)junk, SECTOR, VIRTQ_DESC_F_NEXT, 2};
	table[2] = (struct virtq_desc){(uintptr_t)&status, 1, VIRTQ_DESC_F_WRITE, 0};
}

/* §2.7.5.3.1: INDIRECT and NEXT together */
static void case_indirect_with_next(struct outcome *o)
{
	if (!start(VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC), QSIZE, o))
		return;
	good_write_table();
	desc(0, (uintptr_t)table, 3 * 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	desc(1, (uintptr_t)&status, 1, VIRTQ_DESC_F_WRITE, 0);
	go(0, o);
}

/* an indirect descriptor inside an indirect table */
static void case_indirect_nested(struct outcome *o)
{
	if (!start(VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC), QSIZE, o))
		return;
	good_write_table();
	table2[0] = (struct virtq_desc){(uintptr_t)table, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0};
	desc(0, (uintptr_t)table2, 16, VIRTQ_DESC_F_INDIRECT, 0);
	go(0, o);
}

/* a table length that is no multiple of 16 */
static void case_indirect_bad_len(struct outcome *o)
{
	if (!start(VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC), QSIZE, o))
		return;
	good_write_table();
	desc(0, (uintptr_t)table, 40, VIRTQ_DESC_F_INDIRECT, 0);
	go(0, o);
}

/* a loop inside the table */
static void case_indirect_loop(struct outcome *o)
{
	if (!start(VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC), QSIZE, o))
		return;
	good_write_table();
	table[1].next = 0;
	desc(0, (uintptr_t)table, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	go(0, o);
}

static void case_indirect_outside_ram(struct outcome *o)
{
	if (!start(VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC), QSIZE, o))
		return;
	desc(0, OUTSIDE, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	go(0, o);
}

/* INDIRECT used without VIRTIO_F_INDIRECT_DESC negotiated */
static void case_indirect_unnegotiated(struct outcome *o)
{
	if (!start(0, QSIZE, o))
		return;
	good_write_table();
	desc(0, (uintptr_t)table, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	go(0, o);
}

/* an 8-byte header: malformed, but a clean IOERR is enough */
static void case_short_header(struct outcome *o)
{
	if (!start(0, QSIZE, o))
		return;
	desc(0, (uintptr_t)&hdr, 8, VIRTQ_DESC_F_NEXT, 1);
	desc(1, (uintptr_t)&status, 1, VIRTQ_DESC_F_WRITE, 0);
	go(0, o);
}

/* no device-writable descriptor: nowhere to put a status */
static void case_no_status(struct outcome *o)
{
	if (!start(0, QSIZE, o))
		return;
	desc(0, (uintptr_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1);
	desc(1, (uintptr_t)junk, SECTOR, 0, 0);
	go(0, o);
}

/* QueueNotify for queues that do not exist: ignored (§4.2.2). */
static void case_notify_bad_queue(struct outcome *o)
{
	if (!start(0, QSIZE, o))
		return;
	virtio_write(&dev, VIRTIO_QUEUE_NOTIFY, 1);
	virtio_write(&dev, VIRTIO_QUEUE_NOTIFY, 7);
	virtio_write(&dev, VIRTIO_QUEUE_NOTIFY, 0xffffffff);
	if (virtio_status(&dev) & VIRTIO_S_NEEDS_RESET)
		o->problem = "DEVICE_NEEDS_RESET after notifying absent queues";
	good_read_chain();
	go(0, o);
}

/* A queue that does not exist: QueueNumMax 0, its set-up ignored. */
static void case_queue_sel_absent(struct outcome *o)
{
	if (!start(0, QSIZE, o))
		return;
	virtio_write(&dev, VIRTIO_QUEUE_SEL, 5);
	if (virtio_read(&dev, VIRTIO_QUEUE_NUM_MAX) != 0)
		o->problem = "QueueNumMax of queue 5 is not 0";
	virtio_write(&dev, VIRTIO_QUEUE_NUM, 8);
	virtio_write(&dev, VIRTIO_QUEUE_DESC_LOW, 0x1234);
	virtio_write(&dev, VIRTIO_QUEUE_READY, 1);
	if (virtio_read(&dev, VIRTIO_QUEUE_READY) != 0)
		o->problem = "queue 5 reads ready";
	virtio_write(&dev, VIRTIO_QUEUE_SEL, 0);
	if (virtio_read(&dev, VIRTIO_QUEUE_READY) != 1)
		o->problem = "queue 0 no longer ready";
	if (virtio_status(&dev) & VIRTIO_S_NEEDS_RESET)
		o->problem = "DEVICE_NEEDS_RESET";
	/* queue 0 still serves a request */
	good_read_chain();
	go(0, o);
}

/* A read whose data lands on the rings themselves: the descriptor table
 * and the available ring are zeroed under the device's feet. */
static void case_read_into_ring(struct outcome *o)
{
	if (!start(0, QSIZE, o))
		return;
	hdr = (struct virtio_blk_hdr){.type = VIRTIO_BLK_T_IN, .sector = 0};
	desc(0, (uintptr_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1);
	desc(1, (uintptr_t)ring, 8 * SECTOR, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	desc(2, (uintptr_t)&status, 1, VIRTQ_DESC_F_WRITE, 0);
	go(0, o);
}

/* §4.2.2: registers are 32 bits wide and aligned; other accesses must not
 * change the device (rvhv faults them). */
static void case_register_width(struct outcome *o)
{
	volatile uint8_t *r = (volatile uint8_t *)dev.base;
	if (!start(0, QSIZE, o))
		return;
	uint32_t before = virtio_status(&dev);
	fault_reset();
	fault_catch(true);
	(void)*(volatile uint16_t *)(r + VIRTIO_STATUS);
	(void)*(volatile uint8_t *)(r + VIRTIO_MAGIC_VALUE);
	*(volatile uint8_t *)(r + VIRTIO_STATUS) = 0;
	*(volatile uint16_t *)(r + VIRTIO_QUEUE_READY) = 0;
	*(volatile uint64_t *)(r + VIRTIO_QUEUE_DESC_LOW) = 0;
	(void)*(volatile uint32_t *)(r + VIRTIO_STATUS + 2);
	fault_catch(false);
	snprintf(o->note, sizeof(o->note), ", %lu of 6 accesses faulted", fault.count);
	if (virtio_status(&dev) != before)
		o->problem = "odd-width accesses changed Status";
	good_read_chain();
	go(0, o);
}

/* §3.1.1: a modern device uses no buffer before DRIVER_OK. */
static void case_before_driver_ok(struct outcome *o)
{
	const char *why;
	virtio_bind(&dev, dev.base);
	if (virtio_negotiate(&dev, 0, &why) || virtio_queue_setup(&dev, QSIZE, ring, &why)) {
		o->problem = why;
		return;
	}
	good_read_chain();
	virtq_submit(&dev, 0);
	virtq_kick(&dev);
	if (virtq_wait(&dev, 1, 100) != VIRTIO_TIMEOUT)
		o->problem = "the device used a buffer before DRIVER_OK";
	virtio_driver_ok(&dev);
	finish_request(o);
}

/* Legacy: QueueAlign 3, no power of two (§2.7.2 legacy layout) */
static void case_legacy_queue_align(struct outcome *o)
{
	setup_legacy_raw(o, 4096, 3, (uint32_t)((uintptr_t)ring >> 12));
}

/* Legacy: GuestPageSize 0 puts the queue at guest-physical 0 */
static void case_legacy_page_size_0(struct outcome *o)
{
	setup_legacy_raw(o, 0, 0, (uint32_t)((uintptr_t)ring >> 12));
}

static void case_legacy_pfn_outside_ram(struct outcome *o)
{
	setup_legacy_raw(o, 4096, 0, (uint32_t)(OUTSIDE >> 12));
}

/* Legacy: 2 GiB pages and the last PFN put the queue near 2^63 */
static void case_legacy_queue_high(struct outcome *o)
{
	setup_legacy_raw(o, 0x80000000, 0x80000000, 0xffffffff);
}

static const struct hcase legacy_cases[] = {
	{"legacy-queue-align", EXPECT_ERROR, case_legacy_queue_align},
	{"legacy-page-size-0", EXPECT_ERROR, case_legacy_page_size_0},
	{"legacy-pfn-outside-ram", EXPECT_ERROR, case_legacy_pfn_outside_ram},
	{"legacy-queue-high", EXPECT_ERROR, case_legacy_queue_high},
	{"legacy-loop", EXPECT_ERROR, case_loop},
	{"legacy-buffer-outside-ram", EXPECT_ERROR, case_outside_ram},
	{"legacy-avail-idx-jump", EXPECT_ERROR, case_avail_idx_jump},
};

static const struct hcase cases[] = {
	{"loop", EXPECT_ERROR, case_loop},
	{"loop-self", EXPECT_ERROR, case_loop_self},
	{"buffer-outside-ram", EXPECT_ERROR, case_outside_ram},
	{"buffer-straddles-ram-end", EXPECT_ERROR, case_straddles_ram_end},
	{"buffer-below-ram", EXPECT_ERROR, case_below_ram},
	{"buffer-wraps", EXPECT_ERROR, case_wraps},
	{"zero-length", EXPECT_ANY, case_zero_length},
	{"zero-length-outside", EXPECT_ANY, case_zero_length_outside},
	{"long-chain", EXPECT_ERROR, case_long_chain},
	{"chain-over-4g", EXPECT_ERROR, case_chain_over_4g},
	{"misaligned-ring", EXPECT_ERROR, case_misaligned_ring},
	{"misaligned-used", EXPECT_ERROR, case_misaligned_used},
	{"ring-outside-ram", EXPECT_ERROR, case_ring_outside_ram},
	{"bad-queue-size", EXPECT_ERROR, case_bad_queue_size},
	{"avail-idx-jump", EXPECT_ERROR, case_avail_idx_jump},
	{"head-out-of-range", EXPECT_ERROR, case_head_out_of_range},
	{"next-out-of-range", EXPECT_ERROR, case_next_out_of_range},
	{"readable-after-writable", EXPECT_ERROR, case_readable_after_writable},
	{"indirect-with-next", EXPECT_ERROR, case_indirect_with_next},
	{"indirect-nested", EXPECT_ERROR, case_indirect_nested},
	{"indirect-bad-len", EXPECT_ERROR, case_indirect_bad_len},
	{"indirect-loop", EXPECT_ERROR, case_indirect_loop},
	{"indirect-outside-ram", EXPECT_ERROR, case_indirect_outside_ram},
	{"indirect-unnegotiated", EXPECT_ERROR, case_indirect_unnegotiated},
	{"short-header", EXPECT_ERROR, case_short_header},
	{"no-status", EXPECT_ANY, case_no_status},
	{"notify-bad-queue", EXPECT_NONE, case_notify_bad_queue},
	{"queue-sel-absent", EXPECT_NONE, case_queue_sel_absent},
	{"before-driver-ok", EXPECT_NONE, case_before_driver_ok},
	{"read-into-ring", EXPECT_ANY, case_read_into_ring},
	{"register-width", EXPECT_NONE, case_register_width},
};

/* What happened, in words; whether it meets the case's expectation. */
static bool judge(const struct hcase *c, const struct outcome *o, char *what, size_t n)
{
	if (o->problem) {
		snprintf(what, n, "%s", o->problem);
		return false;
	}
	/* a queue refused at set-up: before DRIVER_OK, so no interrupt is due */
	if (o->setup_error) {
		snprintf(what, n, "DEVICE_NEEDS_RESET at queue set-up%s",
			 dev.version == 1 ? "" : o->queue_ready ? ", QueueReady 1" : ", QueueReady 0");
		return c->expect == EXPECT_ERROR && !o->queue_ready;
	}
	if (!o->queue_ready) {
		snprintf(what, n, "queue refused (QueueReady 0) without DEVICE_NEEDS_RESET");
		return c->expect == EXPECT_ERROR;
	}
	switch (o->w) {
	case VIRTIO_NEEDS_RESET:
		snprintf(what, n, "DEVICE_NEEDS_RESET, %s", o->config_irq ? "config interrupt"
									: "no config interrupt");
		/* §2.1.2: with DRIVER_OK set, the device MUST notify */
		return c->expect != EXPECT_NONE && o->config_irq;
	case VIRTIO_DONE:
		snprintf(what, n, "completed, status %d, len %u%s", o->status, o->len, o->note);
		if (c->expect == EXPECT_ERROR)
			return o->status == VIRTIO_BLK_S_IOERR || o->status == VIRTIO_BLK_S_UNSUPP;
		if (c->expect == EXPECT_NONE)
			return o->status == VIRTIO_BLK_S_OK;
		return true;
	default:
		snprintf(what, n, "%s", virtio_wait_str(o->w));
		return false;
	}
}

/* A fresh device and one good write + read of RECOVER_SECTOR. */
static bool good_request(uint8_t seed, char *why, size_t n)
{
	struct outcome o = {0};
	struct virtio_buf b;
	if (!start(VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC), QSIZE, &o)) {
		snprintf(why, n, "re-init: %s (status 0x%x)", o.problem, virtio_status(&dev));
		return false;
	}
	for (unsigned i = 0; i < SECTOR; i++)
		wbuf[i] = pattern(RECOVER_SECTOR, i, seed);
	b = (struct virtio_buf){(uintptr_t)wbuf, SECTOR, false};
	int st = virtio_blk_request(&dev, VIRTIO_BLK_T_OUT, RECOVER_SECTOR, &b, 1, false, NULL);
	memset(rbuf, 0xee, SECTOR);
	b = (struct virtio_buf){(uintptr_t)rbuf, SECTOR, true};
	int st2 = virtio_blk_request(&dev, VIRTIO_BLK_T_IN, RECOVER_SECTOR, &b, 1, false, NULL);
	if (st != VIRTIO_BLK_S_OK || st2 != VIRTIO_BLK_S_OK) {
		snprintf(why, n, "write %d, read %d (status 0x%x)", st, st2, virtio_status(&dev));
		return false;
	}
	if (memcmp(wbuf, rbuf, SECTOR)) {
		snprintf(why, n, "read back differs");
		return false;
	}
	return true;
}

static bool target_sector(bool write, char *why, size_t n)
{
	struct outcome o = {0};
	uint8_t *p = write ? wbuf : rbuf;
	if (!start(0, QSIZE, &o)) {
		snprintf(why, n, "init: %s", o.problem);
		return false;
	}
	if (write)
		for (unsigned i = 0; i < SECTOR; i++)
			wbuf[i] = pattern(TARGET_SECTOR, i, 0x5a);
	else
		memset(rbuf, 0xee, SECTOR);
	struct virtio_buf b = {(uintptr_t)p, SECTOR, !write};
	int st = virtio_blk_request(&dev, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, TARGET_SECTOR,
				    &b, 1, false, NULL);
	if (st != VIRTIO_BLK_S_OK) {
		snprintf(why, n, "%s: status %d", write ? "write" : "read", st);
		return false;
	}
	for (unsigned i = 0; !write && i < SECTOR; i++)
		if (rbuf[i] != pattern(TARGET_SECTOR, i, 0x5a)) {
			snprintf(why, n, "byte %u is 0x%02x", i, rbuf[i]);
			return false;
		}
	return true;
}

static void dtb_prop(const char *node, const char *prop, const void *val, uint32_t len, void *arg)
{
	(void)arg;
	if (!strcmp(prop, "reg") && len == 16 && !memcmp(node, "memory@", 7)) {
		ram_base = (uint64_t)fdt_be32(val) << 32 | fdt_be32((const uint8_t *)val + 4);
		ram_size = (uint64_t)fdt_be32((const uint8_t *)val + 8) << 32 |
			   fdt_be32((const uint8_t *)val + 12);
	}
	if (!strcmp(prop, "interrupts") && len == 4 && !memcmp(node, "virtio_mmio@", 12)) {
		char want[32];
		snprintf(want, sizeof(want), "virtio_mmio@%lx", (unsigned long)dev.base);
		if (!strcmp(node, want))
			irq = fdt_be32(val);
	}
}

/* Each case on a fresh device, then a good request on a fresh one. */
static void run_cases(const struct hcase *list, unsigned n, unsigned seed)
{
	char what[96], why[96];
	for (unsigned i = 0; i < n; i++) {
		const struct hcase *c = &list[i];
		struct outcome o = {.queue_ready = true};
		c->run(&o);
		bool good = judge(c, &o, what, sizeof(what));
		printf("hostile: %s: %s\n", c->name, what);
		if (good)
			ok(cname("hostile", c->name));
		else
			fail(cname("hostile", c->name), "%s", what);
		if (good_request((uint8_t)(seed + i), why, sizeof(why)))
			ok(cname("recover", c->name));
		else
			fail(cname("recover", c->name), "%s", why);
	}
}

/* The first virtio-blk of this Version, and its interrupt. */
static bool use_device(unsigned version)
{
	uintptr_t base = 0;
	for (unsigned s = 0; s < VIRTIO_NSLOTS && !base; s++) {
		uint32_t v, id;
		uintptr_t b = VIRTIO_SLOT0 + s * VIRTIO_SLOT_SIZE;
		if (virtio_probe(b, &v, &id) && id == VIRTIO_ID_BLOCK && v == version)
			base = b;
	}
	if (!base)
		return false;
	virtio_bind(&dev, base);
	irq = (base - VIRTIO_SLOT0) / VIRTIO_SLOT_SIZE + 1; /* QEMU virt's wiring ... */
	fdt_walk(guest_dtb, dtb_prop, NULL);               /* ... unless the DTB says */
	printf("hostile: %s virtio-blk at 0x%lx, irq %u, RAM 0x%lx..0x%lx\n",
	       version == 1 ? "legacy" : "modern", (unsigned long)base, irq,
	       (unsigned long)ram_base, (unsigned long)(ram_base + ram_size));
	virtio_irq_enable(&dev, irq);
	return true;
}

int main(unsigned long hartid, const void *dtb)
{
	char why[96];

	printf("virtio_hostile: hart %lu\n", hartid);
	guest_dtb = dtb;
	for (unsigned i = 0; i < SECTOR; i++)
		junk[i] = 0xdd;
	if (!use_device(2)) {
		fail("hostile-device", "no modern virtio-blk in any slot");
		finish("virtio_hostile");
	}
	if (target_sector(true, why, sizeof(why)) && good_request(0, why, sizeof(why)))
		ok("hostile-baseline");
	else
		fail("hostile-baseline", "%s", why);
	run_cases(cases, sizeof(cases) / sizeof(cases[0]), 1);
	if (target_sector(false, why, sizeof(why)))
		ok("hostile-disk-intact");
	else
		fail("hostile-disk-intact", "sector %d: %s", TARGET_SECTOR, why);
	virtio_reset(&dev);

	if (use_device(1)) {
		if (target_sector(true, why, sizeof(why)))
			ok("hostile-legacy-baseline");
		else
			fail("hostile-legacy-baseline", "%s", why);
		run_cases(legacy_cases, sizeof(legacy_cases) / sizeof(legacy_cases[0]), 101);
		if (target_sector(false, why, sizeof(why)))
			ok("hostile-legacy-disk-intact");
		else
			fail("hostile-legacy-disk-intact", "sector %d: %s", TARGET_SECTOR, why);
		virtio_reset(&dev);
	} else {
		printf("hostile: no legacy virtio-blk: legacy cases skipped\n");
	}
	finish("virtio_hostile");
}
