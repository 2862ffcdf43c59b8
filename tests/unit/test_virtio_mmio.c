/*
 * Host unit tests for virtio/mmio.c: the virtio-mmio register file, driven
 * through virtio_mmio_access as a guest driver would (xv6's modern and
 * legacy initialisation orders, DESIGN.md §5), with the device callbacks
 * and the interrupt line recorded, over a fake guest RAM.
 */
#include "tests/unit/unit.h"

#include <stdlib.h>
#include <string.h>

#include "virtio/mmio.h"

#define RAM_BASE 0x80000000ULL
#define RAM_SIZE (64 * 1024)
#define DESC (RAM_BASE + 0x1000) /* modern: three separate pages, as xv6 */
#define AVAIL (RAM_BASE + 0x2000)
#define USED (RAM_BASE + 0x3000)
#define PAGES (RAM_BASE + 0x4000) /* legacy: two contiguous pages */
#define BUF (RAM_BASE + 0x8000)
#define NUM 8 /* xv6's queue size */

#define BIT(n) (1ULL << (n))
#define BLK_F_SIZE_MAX 1
#define BLK_F_RO 5
#define BLK_F_BLK_SIZE 6
#define BLK_F_SCSI 7
#define BLK_F_FLUSH 9
#define BLK_F_CONFIG_WCE 11
#define BLK_F_MQ 12
#define F_ANY_LAYOUT 27
#define F_NOTIFY_ON_EMPTY 24
#define F_ACCESS_PLATFORM 33
#define F_RESERVED 45
#define DEV_HIGH_BIT 50 /* a device-type bit above 32 */

static u8 *ram;
static struct virtio_mmio t;

/* What the device and the interrupt line were told. */
static struct {
	int notify[VIRTIO_MMIO_MAX_QUEUES];
	int notifies, resets, driver_oks;
	u32 cfg_off;
	u8 cfg_width;
	u64 cfg_val;
	int cfg_writes;
	bool irq;
	int irq_changes;
} rec;

static u8 config[16];

static void *fake_map(void *ctx, u64 gpa, u64 len)
{
	assert_ptr_equal(ctx, &ram);
	assert_true(gpa + len >= gpa);
	if (gpa >= RAM_BASE && gpa + len <= RAM_BASE + RAM_SIZE)
		return ram + (gpa - RAM_BASE);
	return NULL;
}

static void *g(u64 gpa)
{
	assert_true(gpa >= RAM_BASE && gpa < RAM_BASE + RAM_SIZE);
	return ram + (gpa - RAM_BASE);
}

static u16 *g16(u64 gpa)
{
	return g(gpa);
}

static int cfg_read(void *dev, u32 off, u8 width, u64 *val)
{
	assert_ptr_equal(dev, &rec);
	if (off + width > sizeof(config))
		return -1;
	*val = ~0ULL; /* garbage above `width` bytes: the transport drops it */
	memcpy(val, config + off, width);
	return 0;
}

static int cfg_write(void *dev, u32 off, u8 width, u64 val)
{
	assert_ptr_equal(dev, &rec);
	rec.cfg_off = off;
	rec.cfg_width = width;
	rec.cfg_val = val;
	rec.cfg_writes++;
	if (off + width > sizeof(config))
		return -1;
	memcpy(config + off, &val, width);
	return 0;
}

static void dev_notify(void *dev, int queue)
{
	assert_ptr_equal(dev, &rec);
	assert_in_range(queue, 0, VIRTIO_MMIO_MAX_QUEUES - 1);
	rec.notify[queue]++;
	rec.notifies++;
}

static void dev_reset(void *dev)
{
	assert_ptr_equal(dev, &rec);
	/* the transport has stopped the queues before telling the device */
	assert_false(t.vq[0].ready);
	rec.resets++;
}

static void dev_driver_ok(void *dev)
{
	assert_ptr_equal(dev, &rec);
	rec.driver_oks++;
}

static void set_irq(void *ctx, bool level)
{
	assert_ptr_equal(ctx, &rec);
	assert_true(level != rec.irq); /* changes only */
	rec.irq = level;
	rec.irq_changes++;
}

static const struct virtio_device_ops blk_ops = {
	.device_id = 2,
	.features = BIT(BLK_F_SIZE_MAX) | BIT(BLK_F_BLK_SIZE) | BIT(BLK_F_FLUSH) |
		    BIT(VIRTIO_F_INDIRECT_DESC) | BIT(VIRTIO_F_EVENT_IDX) | BIT(F_NOTIFY_ON_EMPTY) |
		    BIT(F_ACCESS_PLATFORM) | BIT(F_RESERVED) | BIT(DEV_HIGH_BIT),
	.num_queues = 2,
	.queue_max = 16,
	.config_read = cfg_read,
	.config_write = cfg_write,
	.notify = dev_notify,
	.reset = dev_reset,
	.driver_ok = dev_driver_ok,
};

/* What the transport offers for blk_ops: bits 24, 33 and 45 dropped,
 * VERSION_1 added when modern. */
#define OFFER_LOW                                                                            \
	(u32)(BIT(BLK_F_SIZE_MAX) | BIT(BLK_F_BLK_SIZE) | BIT(BLK_F_FLUSH) |                 \
	      BIT(VIRTIO_F_INDIRECT_DESC) | BIT(VIRTIO_F_EVENT_IDX))
#define OFFER_HIGH_LEGACY (u32)(BIT(DEV_HIGH_BIT) >> 32)
#define OFFER_HIGH_MODERN (u32)((BIT(DEV_HIGH_BIT) | BIT(VIRTIO_F_VERSION_1)) >> 32)

/* Every test runs with the registers published in a window, as rvhv's
 * VMs do; check_window holds it to what reads return. */
static struct mmio_window win;

static void init(bool legacy, const struct virtio_device_ops *ops)
{
	struct vq_mem mem = {.map = fake_map, .ctx = &ram};

	virtio_mmio_init(&t, legacy, ops, &rec, mem, set_irq, &rec);
	rec.irq = false; /* a new transport's line starts low */
	win = (struct mmio_window){0};
	virtio_mmio_publish(&t, &win);
}

/*
 * The window answers every register's 4-byte read, as the transport
 * would (reads change nothing), and nothing else: no other width, no
 * misaligned offset, no config space.
 */
static void check_window(void)
{
	for (u64 off = 0; off < MMIO_WINDOW_SIZE; off++) {
		for (u8 width = 1; width <= 8; width *= 2) {
			u64 from_window, read = 0xdeadbeef;
			bool published = mmio_window_load(&win, off, width, &from_window);
			if (!published)
				continue;
			assert_true(width == 4 && off % 4 == 0 && off < VIRTIO_MMIO_CONFIG);
			struct mmio_access a = {.width = 4, .value = 0xdeadbeef};
			assert_int_equal(virtio_mmio_access(&t, off, &a), 0);
			read = a.value;
			if (from_window != read)
				fail_msg("window at 0x%lx: 0x%lx, the register reads 0x%lx",
					 (unsigned long)off, (unsigned long)from_window,
					 (unsigned long)read);
		}
		if (off % 4 == 0 && off < VIRTIO_MMIO_CONFIG) {
			u64 v;
			assert_true(mmio_window_load(&win, off, 4, &v)); /* all of them */
		}
	}
}

static int setup(void **state)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	assert_non_null(ram);
	memset(ram, 0, RAM_SIZE);
	memset(&rec, 0, sizeof(rec));
	for (unsigned i = 0; i < sizeof(config); i++)
		config[i] = (u8)(0xc0 + i);
	init(false, &blk_ops);
	return 0;
}

static int teardown(void **state)
{
	check_window();
	free(ram);
	return 0;
}

static int access(u64 off, u8 width, bool write, u64 *value)
{
	/* A load starts from garbage so that "reads 0" is really written. */
	struct mmio_access a = {.width = width, .write = write, .value = write ? *value : 0xdeadbeef};
	int ret = virtio_mmio_access(&t, off, &a);

	*value = a.value;
	return ret;
}

static u32 rd(u64 off)
{
	u64 v;

	assert_int_equal(access(off, 4, false, &v), 0);
	assert_true(v <= 0xffffffff);
	return (u32)v;
}

static void wr(u64 off, u32 val)
{
	u64 v = val;

	assert_int_equal(access(off, 4, true, &v), 0);
	check_window();
}

static void wr64(u64 lo_off, u64 val)
{
	wr(lo_off, (u32)val);
	wr(lo_off + 4, (u32)(val >> 32));
}

/* The feature bits xv6 clears before accepting the rest of word 0. */
static u32 xv6_features(u32 offered)
{
	return offered & ~(u32)(BIT(BLK_F_RO) | BIT(BLK_F_SCSI) | BIT(BLK_F_CONFIG_WCE) |
				BIT(BLK_F_MQ) | BIT(F_ANY_LAYOUT) | BIT(VIRTIO_F_EVENT_IDX) |
				BIT(VIRTIO_F_INDIRECT_DESC));
}

static void xv6_probe(u32 version)
{
	assert_int_equal(rd(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(rd(VIRTIO_MMIO_VERSION), version);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_ID), 2);
	assert_int_equal(rd(VIRTIO_MMIO_VENDOR_ID), 0x554d4551);
}

/* xv6 2022-08 and later: Version 2, three separate zeroed pages. */
static void xv6_modern_init(void)
{
	u32 status = 0;

	xv6_probe(2);
	wr(VIRTIO_MMIO_STATUS, status);
	status |= VIRTIO_STATUS_ACKNOWLEDGE;
	wr(VIRTIO_MMIO_STATUS, status);
	status |= VIRTIO_STATUS_DRIVER;
	wr(VIRTIO_MMIO_STATUS, status);
	/* DeviceFeaturesSel and DriverFeaturesSel are never written */
	wr(VIRTIO_MMIO_DRIVER_FEATURES, xv6_features(rd(VIRTIO_MMIO_DEVICE_FEATURES)));
	status |= VIRTIO_STATUS_FEATURES_OK;
	wr(VIRTIO_MMIO_STATUS, status);
	assert_true(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	assert_true(rd(VIRTIO_MMIO_QUEUE_NUM_MAX) >= NUM);
	wr(VIRTIO_MMIO_QUEUE_NUM, NUM);
	wr64(VIRTIO_MMIO_QUEUE_DESC_LOW, DESC);
	wr64(VIRTIO_MMIO_QUEUE_DRIVER_LOW, AVAIL);
	wr64(VIRTIO_MMIO_QUEUE_DEVICE_LOW, USED);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	status |= VIRTIO_STATUS_DRIVER_OK;
	wr(VIRTIO_MMIO_STATUS, status);
}

/* xv6 2021-09 .. 2022-08: Version 1, DRIVER_OK before the queue exists,
 * QueueAlign never written. */
static void xv6_legacy_init(void)
{
	u32 status = 0;

	xv6_probe(1);
	status |= VIRTIO_STATUS_ACKNOWLEDGE;
	wr(VIRTIO_MMIO_STATUS, status);
	status |= VIRTIO_STATUS_DRIVER;
	wr(VIRTIO_MMIO_STATUS, status);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, xv6_features(rd(VIRTIO_MMIO_DEVICE_FEATURES)));
	status |= VIRTIO_STATUS_FEATURES_OK;
	wr(VIRTIO_MMIO_STATUS, status);
	status |= VIRTIO_STATUS_DRIVER_OK;
	wr(VIRTIO_MMIO_STATUS, status);
	wr(VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_true(rd(VIRTIO_MMIO_QUEUE_NUM_MAX) >= NUM);
	wr(VIRTIO_MMIO_QUEUE_NUM, NUM);
	wr(VIRTIO_MMIO_QUEUE_PFN, (u32)(PAGES >> 12));
}

/*
 * The driver side of one blk request on a ring at desc/avail/used: a chain
 * 0 -> 1 -> 2 made available, QueueNotify, then the device takes it through
 * t.vq[0], completes it and interrupts; the driver sees the used entry and
 * acknowledges, as xv6's virtio_disk_intr does.
 */
static void blk_round_trip(u64 desc, u64 avail, u64 used)
{
	static const struct {
		u64 addr;
		u32 len;
		u16 flags, next;
	} chain[3] = {
		{BUF, 16, VIRTQ_DESC_F_NEXT, 1},
		{BUF + 0x100, 1024, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2},
		{BUF + 0x600, 1, VIRTQ_DESC_F_WRITE, 0},
	};
	struct vq_req req;
	u16 old;

	memcpy(g(desc), chain, sizeof(chain));
	*g16(avail + 4) = 0;
	*g16(avail + 2) = 1;
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(rec.notify[0], 1);

	assert_int_equal(vq_pop(&t.vq[0], &t.mem, &req), VQ_OK);
	assert_int_equal(req.nsegs, 3);
	assert_int_equal(req.out_len, 16);
	assert_int_equal(req.in_len, 1025);
	old = t.vq[0].used_idx;
	vq_push(&t.vq[0], req.head, 1025);
	assert_true(vq_need_interrupt(&t.vq[0], old));
	virtio_mmio_notify_used(&t);
	assert_true(rec.irq);

	assert_int_equal(*g16(used + 2), 1);
	assert_int_equal(*(u32 *)g(used + 4), 0);
	assert_int_equal(*(u32 *)g(used + 8), 1025);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, rd(VIRTIO_MMIO_INTERRUPT_STATUS) & 3);
	assert_false(rec.irq);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}

/* ------------------------------------------------------------ identity, features */

static void test_identity(void **state)
{
	xv6_probe(2);
	init(true, &blk_ops);
	xv6_probe(1);
}

static void test_device_features(void **state)
{
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_FEATURES), OFFER_LOW);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_FEATURES), OFFER_HIGH_MODERN);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_FEATURES), 0);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_FEATURES), OFFER_LOW);

	init(true, &blk_ops); /* legacy: no VERSION_1 */
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_FEATURES), OFFER_LOW);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_FEATURES), OFFER_HIGH_LEGACY);
}

static void test_driver_features(void **state)
{
	/* whatever the driver writes, only offered bits are accepted */
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
	assert_int_equal(t.driver_features, OFFER_LOW);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
	assert_int_equal(t.driver_features, OFFER_LOW | (u64)OFFER_HIGH_MODERN << 32);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, BIT(VIRTIO_F_VERSION_1 - 32));
	assert_int_equal(t.driver_features, OFFER_LOW | BIT(VIRTIO_F_VERSION_1));
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 2);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 0);
	assert_int_equal(t.driver_features, OFFER_LOW | BIT(VIRTIO_F_VERSION_1));
	/* frozen once FEATURES_OK is set */
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				       VIRTIO_STATUS_FEATURES_OK);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 0);
	assert_int_equal(t.driver_features, OFFER_LOW | BIT(VIRTIO_F_VERSION_1));
}

/* Negotiated INDIRECT_DESC and EVENT_IDX reach the virtqueue. */
static void test_ring_features(void **state)
{
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, BIT(VIRTIO_F_INDIRECT_DESC) | BIT(VIRTIO_F_EVENT_IDX));
	wr(VIRTIO_MMIO_QUEUE_NUM, NUM);
	wr64(VIRTIO_MMIO_QUEUE_DESC_LOW, DESC);
	wr64(VIRTIO_MMIO_QUEUE_DRIVER_LOW, AVAIL);
	wr64(VIRTIO_MMIO_QUEUE_DEVICE_LOW, USED);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	assert_true(t.vq[0].indirect);
	assert_true(t.vq[0].event_idx);
	/* queue 1, after the driver drops EVENT_IDX */
	wr(VIRTIO_MMIO_DRIVER_FEATURES, BIT(VIRTIO_F_INDIRECT_DESC));
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(VIRTIO_MMIO_QUEUE_NUM, NUM);
	wr64(VIRTIO_MMIO_QUEUE_DESC_LOW, DESC + 0x800);
	wr64(VIRTIO_MMIO_QUEUE_DRIVER_LOW, AVAIL + 0x800);
	wr64(VIRTIO_MMIO_QUEUE_DEVICE_LOW, USED + 0x800);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	assert_true(t.vq[1].indirect);
	assert_false(t.vq[1].event_idx);
}

/* ------------------------------------------------------------ xv6 */

static void test_xv6_modern(void **state)
{
	xv6_modern_init();
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), 0xf);
	/* VERSION_1 never accepted, and still FEATURES_OK */
	assert_false(t.driver_features & BIT(VIRTIO_F_VERSION_1));
	assert_int_equal(t.driver_features, BIT(BLK_F_SIZE_MAX) | BIT(BLK_F_BLK_SIZE) | BIT(BLK_F_FLUSH));
	assert_int_equal(rec.driver_oks, 1);
	assert_int_equal(rec.resets, 1); /* the first status write of 0 */
	assert_true(virtio_mmio_queue_live(&t, 0));
	assert_false(virtio_mmio_queue_live(&t, 1));
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	assert_int_equal(t.vq[0].num, NUM);
	assert_int_equal(t.vq[0].desc, DESC);
	assert_int_equal(t.vq[0].avail, AVAIL);
	assert_int_equal(t.vq[0].used, USED);
	assert_false(t.vq[0].indirect);
	assert_false(t.vq[0].event_idx);
	blk_round_trip(DESC, AVAIL, USED);
	assert_int_equal(rec.notifies, 1);
}

static void test_xv6_legacy(void **state)
{
	init(true, &blk_ops);
	xv6_legacy_init();
	assert_int_equal(rec.driver_oks, 1);
	assert_true(virtio_mmio_queue_live(&t, 0));
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_PFN), PAGES >> 12);
	/* descriptors, then the avail ring, then the used ring a page later */
	assert_int_equal(t.vq[0].desc, PAGES);
	assert_int_equal(t.vq[0].avail, PAGES + 16 * NUM);
	assert_int_equal(t.vq[0].used, PAGES + 0x1000);
	blk_round_trip(PAGES, PAGES + 16 * NUM, PAGES + 0x1000);
}

/* A legacy driver may use a queue before DRIVER_OK (§3.1.2). */
static void test_legacy_live_before_driver_ok(void **state)
{
	init(true, &blk_ops);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(VIRTIO_MMIO_QUEUE_NUM, NUM);
	wr(VIRTIO_MMIO_QUEUE_PFN, (u32)(PAGES >> 12));
	assert_true(virtio_mmio_queue_live(&t, 0));
	blk_round_trip(PAGES, PAGES + 16 * NUM, PAGES + 0x1000);
	assert_int_equal(rec.driver_oks, 0);
}

static void test_legacy_queue_align(void **state)
{
	init(true, &blk_ops);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_GUEST_PAGE_SIZE, 0x1000);
	wr(VIRTIO_MMIO_QUEUE_NUM, NUM);
	wr(VIRTIO_MMIO_QUEUE_ALIGN, 0x80);
	wr(VIRTIO_MMIO_QUEUE_PFN, (u32)(PAGES >> 12));
	/* avail spans 0x80 .. 0x96: the used ring goes to the next 128 bytes */
	assert_int_equal(t.vq[0].avail, PAGES + 0x80);
	assert_int_equal(t.vq[0].used, PAGES + 0x100);
	assert_true(virtio_mmio_queue_live(&t, 0));
	/* a 64 KiB guest page size scales the PFN */
	wr(VIRTIO_MMIO_QUEUE_PFN, 0);
	assert_false(virtio_mmio_queue_live(&t, 0));
	wr(VIRTIO_MMIO_GUEST_PAGE_SIZE, 0x10000);
	wr(VIRTIO_MMIO_QUEUE_PFN, (u32)(RAM_BASE >> 16));
	assert_int_equal(t.vq[0].desc, RAM_BASE);
	assert_true(virtio_mmio_queue_live(&t, 0));
}

/* Modern: a ready queue is not live, nor notified, before DRIVER_OK. */
static void test_modern_needs_driver_ok(void **state)
{
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				       VIRTIO_STATUS_FEATURES_OK);
	wr(VIRTIO_MMIO_QUEUE_NUM, NUM);
	wr64(VIRTIO_MMIO_QUEUE_DESC_LOW, DESC);
	wr64(VIRTIO_MMIO_QUEUE_DRIVER_LOW, AVAIL);
	wr64(VIRTIO_MMIO_QUEUE_DEVICE_LOW, USED);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	assert_false(virtio_mmio_queue_live(&t, 0));
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(rec.notifies, 0);
	virtio_mmio_notify_used(&t); /* no used buffer notification either */
	assert_false(rec.irq);
	wr(VIRTIO_MMIO_STATUS, 0xf);
	assert_true(virtio_mmio_queue_live(&t, 0));
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(rec.notify[0], 1);
}

/* ------------------------------------------------------------ queues */

static void test_nonexistent_queue(void **state)
{
	xv6_modern_init();
	for (u32 sel = 2; sel <= VIRTIO_MMIO_MAX_QUEUES; sel++) {
		wr(VIRTIO_MMIO_QUEUE_SEL, sel);
		assert_int_equal(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
		wr(VIRTIO_MMIO_QUEUE_NUM, NUM);
		wr64(VIRTIO_MMIO_QUEUE_DESC_LOW, DESC);
		wr64(VIRTIO_MMIO_QUEUE_DRIVER_LOW, AVAIL);
		wr64(VIRTIO_MMIO_QUEUE_DEVICE_LOW, USED);
		wr(VIRTIO_MMIO_QUEUE_READY, 1);
		assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
		wr(VIRTIO_MMIO_QUEUE_NOTIFY, sel);
		assert_false(virtio_mmio_queue_live(&t, (int)sel));
	}
	assert_int_equal(rec.notifies, 0);
	for (int q = 2; q < VIRTIO_MMIO_MAX_QUEUES; q++) {
		assert_false(t.vq[q].ready);
		assert_int_equal(t.vq[q].desc, 0);
	}
	assert_false(virtio_mmio_queue_live(&t, -1));
	assert_int_equal(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET, 0);
	/* queue 1 exists but was not set up */
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 16);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	assert_int_equal(rec.notifies, 0);

	init(true, &blk_ops);
	xv6_legacy_init();
	wr(VIRTIO_MMIO_QUEUE_SEL, 5);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	wr(VIRTIO_MMIO_QUEUE_PFN, (u32)(PAGES >> 12));
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_PFN), 0);
	assert_false(t.vq[5].ready);
}

/* The ring the device checked is the ring it walks: size and addresses
 * are frozen while the queue is in use. */
static void test_queue_regs_frozen_while_ready(void **state)
{
	xv6_modern_init();
	wr(VIRTIO_MMIO_QUEUE_NUM, 4);
	wr64(VIRTIO_MMIO_QUEUE_DESC_LOW, DESC + 0x100);
	wr64(VIRTIO_MMIO_QUEUE_DEVICE_LOW, 0x12345678abcdULL);
	assert_int_equal(t.vq[0].num, NUM);
	assert_int_equal(t.vq[0].desc, DESC);
	assert_int_equal(t.vq[0].used, USED);
	/* re-writing QueueReady = 1 does not restart the ring */
	t.vq[0].last_avail = 3;
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(t.vq[0].last_avail, 3);
	/* stopped, it can be changed and restarts from index 0 */
	wr(VIRTIO_MMIO_QUEUE_READY, 0);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	assert_false(virtio_mmio_queue_live(&t, 0));
	wr(VIRTIO_MMIO_QUEUE_NUM, 4);
	wr64(VIRTIO_MMIO_QUEUE_DESC_LOW, DESC + 0x100);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(t.vq[0].num, 4);
	assert_int_equal(t.vq[0].desc, DESC + 0x100);
	assert_int_equal(t.vq[0].last_avail, 0);
	assert_true(virtio_mmio_queue_live(&t, 0));

	init(true, &blk_ops);
	xv6_legacy_init();
	wr(VIRTIO_MMIO_QUEUE_NUM, 4);
	wr(VIRTIO_MMIO_QUEUE_ALIGN, 0x100);
	assert_int_equal(t.vq[0].num, NUM);
	assert_int_equal(t.legacy_align[0], 4096);
	wr(VIRTIO_MMIO_QUEUE_PFN, 0); /* §4.2.4: 0 stops the queue */
	assert_false(virtio_mmio_queue_live(&t, 0));
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_PFN), 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, 4);
	assert_int_equal(t.vq[0].num, 4);
}

/* QueueNum above QueueNumMax or not a power of two: the queue never goes
 * live and the device reports an error. */
static void test_bad_queue_num(void **state)
{
	static const u32 bad[] = {0, 12, 32, 0x10008};

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		init(false, &blk_ops);
		wr(VIRTIO_MMIO_STATUS, 0xf);
		wr(VIRTIO_MMIO_QUEUE_NUM, bad[i]);
		wr64(VIRTIO_MMIO_QUEUE_DESC_LOW, DESC);
		wr64(VIRTIO_MMIO_QUEUE_DRIVER_LOW, AVAIL);
		wr64(VIRTIO_MMIO_QUEUE_DEVICE_LOW, USED);
		wr(VIRTIO_MMIO_QUEUE_READY, 1);
		assert_false(virtio_mmio_queue_live(&t, 0));
		assert_true(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
		assert_string_equal(t.fail_reason, vq_strerror(VQ_ERR_NUM));
	}
	/* the largest is fine, and so is the default (QueueNum never written) */
	init(false, &blk_ops);
	wr(VIRTIO_MMIO_STATUS, 0xf);
	wr(VIRTIO_MMIO_QUEUE_NUM, 16);
	wr64(VIRTIO_MMIO_QUEUE_DESC_LOW, DESC);
	wr64(VIRTIO_MMIO_QUEUE_DRIVER_LOW, AVAIL);
	wr64(VIRTIO_MMIO_QUEUE_DEVICE_LOW, USED);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	assert_true(virtio_mmio_queue_live(&t, 0));
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	wr64(VIRTIO_MMIO_QUEUE_DESC_LOW, DESC + 0x800);
	wr64(VIRTIO_MMIO_QUEUE_DRIVER_LOW, AVAIL + 0x800);
	wr64(VIRTIO_MMIO_QUEUE_DEVICE_LOW, USED + 0x800);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(t.vq[1].num, 16);
	assert_true(virtio_mmio_queue_live(&t, 1));
}

static void modern_queue(u64 desc, u64 avail, u64 used)
{
	init(false, &blk_ops);
	wr(VIRTIO_MMIO_STATUS, 0xf);
	wr(VIRTIO_MMIO_QUEUE_NUM, NUM);
	wr64(VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
	wr64(VIRTIO_MMIO_QUEUE_DRIVER_LOW, avail);
	wr64(VIRTIO_MMIO_QUEUE_DEVICE_LOW, used);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

/* A malformed ring fails the device when the queue goes live. */
static void test_bad_ring(void **state)
{
	modern_queue(DESC + 8, AVAIL, USED);
	assert_string_equal(t.fail_reason, vq_strerror(VQ_ERR_ALIGN));
	assert_false(virtio_mmio_queue_live(&t, 0));
	assert_true(rec.irq); /* DRIVER_OK was set: config change interrupt */
	modern_queue(DESC, AVAIL, 0x1000);
	assert_string_equal(t.fail_reason, vq_strerror(VQ_ERR_ADDR));
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	modern_queue(DESC, AVAIL, RAM_BASE + RAM_SIZE - 64); /* straddles the end */
	assert_string_equal(t.fail_reason, vq_strerror(VQ_ERR_ADDR));
	modern_queue(DESC, AVAIL, USED);
	assert_null(t.fail_reason);
	assert_true(virtio_mmio_queue_live(&t, 0));

	init(true, &blk_ops);
	wr(VIRTIO_MMIO_STATUS, 0xf);
	wr(VIRTIO_MMIO_QUEUE_NUM, NUM);
	wr(VIRTIO_MMIO_QUEUE_PFN, (u32)((RAM_BASE + RAM_SIZE - 0x1000) >> 12));
	assert_string_equal(t.fail_reason, vq_strerror(VQ_ERR_ADDR));
	init(true, &blk_ops);
	wr(VIRTIO_MMIO_STATUS, 0xf);
	wr(VIRTIO_MMIO_QUEUE_NUM, NUM);
	wr(VIRTIO_MMIO_QUEUE_ALIGN, 3);
	wr(VIRTIO_MMIO_QUEUE_PFN, (u32)(PAGES >> 12));
	assert_non_null(t.fail_reason);
	assert_false(virtio_mmio_queue_live(&t, 0));
}

/* A polling device's choice not to be notified is applied to each new ring. */
static void test_no_notify_survives(void **state)
{
	vq_set_notifications(&t.vq[0], false);
	xv6_modern_init();
	assert_int_equal(*g16(USED), VIRTQ_USED_F_NO_NOTIFY);
	*g16(USED) = 0;
	wr(VIRTIO_MMIO_STATUS, 0);
	xv6_modern_init();
	assert_int_equal(*g16(USED), VIRTQ_USED_F_NO_NOTIFY);
}

/* ------------------------------------------------------------ interrupts, status */

static void test_interrupts(void **state)
{
	u32 gen;

	xv6_modern_init();
	gen = rd(VIRTIO_MMIO_CONFIG_GENERATION);

	assert_false(rec.irq);
	virtio_mmio_notify_used(&t);
	assert_true(rec.irq);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	virtio_mmio_config_changed(&t);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 3);
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG_GENERATION), gen + 1);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, 0);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 3);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	assert_true(rec.irq); /* still a reason to interrupt */
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	assert_false(rec.irq);
	assert_int_equal(rec.irq_changes, 2);
	/* a second event while pending does not toggle the line */
	virtio_mmio_notify_used(&t);
	virtio_mmio_notify_used(&t);
	assert_int_equal(rec.irq_changes, 3);
}

/* Before DRIVER_OK: a config change bumps the generation, without interrupt. */
static void test_config_change_before_driver_ok(void **state)
{
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_mmio_config_changed(&t);
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG_GENERATION), 1);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_false(rec.irq);
}

static void test_reset(void **state)
{
	xv6_modern_init();
	blk_round_trip(DESC, AVAIL, USED);
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	virtio_mmio_notify_used(&t);
	assert_true(rec.irq);
	wr(VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(rec.resets, 2);
	assert_false(rec.irq);
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_int_equal(t.driver_features, 0);
	assert_int_equal(t.queue_sel, 0);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_FEATURES), OFFER_LOW);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	assert_false(virtio_mmio_queue_live(&t, 0));
	assert_int_equal(t.vq[0].num, 16);
	assert_int_equal(t.vq[0].desc, 0);
	/* a late completion on the old ring does not touch guest memory */
	vq_push(&t.vq[0], 0, 1);
	assert_int_equal(*g16(USED + 2), 1);
	assert_int_equal(*g16(USED + 4 + 8), 0);
	/* and the driver can start over */
	xv6_modern_init();
	assert_true(virtio_mmio_queue_live(&t, 0));

	init(true, &blk_ops);
	xv6_legacy_init();
	wr(VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_PFN), 0); /* §4.2.4 */
	assert_false(virtio_mmio_queue_live(&t, 0));
	virtio_mmio_notify_used(&t); /* nothing to notify on a reset device */
	assert_false(rec.irq);
}

static void test_fail(void **state)
{
	static const u64 buf_desc[2] = {BUF, 16};

	xv6_modern_init();
	memcpy(g(DESC), buf_desc, sizeof(buf_desc));
	*g16(AVAIL + 2) = 1; /* a buffer is waiting */
	virtio_mmio_fail(&t, "backend error");
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), 0xf | VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_true(rec.irq);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	assert_false(virtio_mmio_queue_live(&t, 0));
	assert_string_equal(t.fail_reason, "backend error");
	/* the queues stop */
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(rec.notifies, 0);
	assert_int_equal(vq_pop(&t.vq[0], &t.mem, &(struct vq_req){0}), VQ_EMPTY);
	/* the first reason stays; the driver cannot clear the bit nor revive a queue */
	virtio_mmio_fail(&t, "second");
	assert_string_equal(t.fail_reason, "backend error");
	wr(VIRTIO_MMIO_STATUS, 0xf);
	assert_true(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	assert_false(virtio_mmio_queue_live(&t, 0));
	assert_int_equal(vq_pop(&t.vq[0], &t.mem, &(struct vq_req){0}), VQ_EMPTY);
	/* only a reset does */
	wr(VIRTIO_MMIO_STATUS, 0);
	assert_null(t.fail_reason);
	xv6_modern_init();
	assert_true(virtio_mmio_queue_live(&t, 0));
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), 0xf);
}

/* §2.1.2: the config change notification is due only once DRIVER_OK is set. */
static void test_fail_before_driver_ok(void **state)
{
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_mmio_fail(&t, "early");
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE |
							 VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_false(rec.irq);
}

static void test_status_bits(void **state)
{
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_FAILED);
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_FAILED);
	/* driver_ok is called on the transition only */
	wr(VIRTIO_MMIO_STATUS, 0xf);
	wr(VIRTIO_MMIO_STATUS, 0xf);
	assert_int_equal(rec.driver_oks, 1);
}

/* ------------------------------------------------------------ accesses */

static void test_register_widths(void **state)
{
	static const u8 widths[] = {1, 2, 8};
	u64 v;

	for (unsigned i = 0; i < ARRAY_SIZE(widths); i++) {
		v = 0;
		assert_int_equal(access(VIRTIO_MMIO_MAGIC_VALUE, widths[i], false, &v), -1);
		v = VIRTIO_STATUS_ACKNOWLEDGE;
		assert_int_equal(access(VIRTIO_MMIO_STATUS, widths[i], true, &v), -1);
	}
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), 0);
	/* misaligned 32-bit */
	assert_int_equal(access(VIRTIO_MMIO_MAGIC_VALUE + 2, 4, false, &v), -1);
	init(true, &blk_ops);
	assert_int_equal(access(VIRTIO_MMIO_VERSION, 2, false, &v), -1);
}

static void test_config_space(void **state)
{
	u64 v;

	assert_int_equal(access(VIRTIO_MMIO_CONFIG, 1, false, &v), 0);
	assert_int_equal(v, 0xc0);
	assert_int_equal(access(VIRTIO_MMIO_CONFIG + 2, 2, false, &v), 0);
	assert_int_equal(v, 0xc3c2);
	assert_int_equal(access(VIRTIO_MMIO_CONFIG + 4, 4, false, &v), 0);
	assert_int_equal(v, 0xc7c6c5c4);
	assert_int_equal(access(VIRTIO_MMIO_CONFIG + 8, 8, false, &v), 0);
	assert_int_equal(v, 0xcfcecdcccbcac9c8ULL);
	/* misaligned */
	assert_int_equal(access(VIRTIO_MMIO_CONFIG + 1, 2, false, &v), -1);
	assert_int_equal(access(VIRTIO_MMIO_CONFIG + 4, 8, false, &v), -1);
	/* the device's own refusal reaches the guest */
	assert_int_equal(access(VIRTIO_MMIO_CONFIG + 16, 4, false, &v), -1);

	v = 0xab;
	assert_int_equal(access(VIRTIO_MMIO_CONFIG + 5, 1, true, &v), 0);
	assert_int_equal(rec.cfg_off, 5);
	assert_int_equal(rec.cfg_width, 1);
	assert_int_equal(rec.cfg_val, 0xab);
	assert_int_equal(config[5], 0xab);
	v = 0x1234;
	assert_int_equal(access(VIRTIO_MMIO_CONFIG + 0xf0, 2, true, &v), -1);
	assert_int_equal(rec.cfg_off, 0xf0);
	assert_int_equal(rec.cfg_writes, 2);

	/* legacy: no 8-byte accesses */
	init(true, &blk_ops);
	assert_int_equal(access(VIRTIO_MMIO_CONFIG + 8, 8, false, &v), -1);
	assert_int_equal(access(VIRTIO_MMIO_CONFIG + 8, 4, false, &v), 0);
	assert_int_equal(v, 0xcbcac9c8);
}

/* A device without config space: reads 0, ignores writes. */
static void test_no_config_ops(void **state)
{
	static struct virtio_device_ops ops; /* the transport keeps it past the test */
	u64 v = 7;

	ops = blk_ops;
	ops.config_read = NULL;
	ops.config_write = NULL;
	init(false, &ops);
	assert_int_equal(access(VIRTIO_MMIO_CONFIG + 4, 4, false, &v), 0);
	assert_int_equal(v, 0);
	v = 5;
	assert_int_equal(access(VIRTIO_MMIO_CONFIG, 1, true, &v), 0);
	assert_int_equal(rec.cfg_writes, 0);
}

/* Registers of the other version and undefined offsets read 0 and ignore
 * writes; shared memory regions do not exist (length and base -1). */
static void test_other_registers(void **state)
{
	wr(VIRTIO_MMIO_GUEST_PAGE_SIZE, 0x10000);
	assert_int_equal(t.guest_page_size, 4096);
	wr(VIRTIO_MMIO_QUEUE_ALIGN, 0x100);
	assert_int_equal(t.legacy_align[0], 4096);
	wr(VIRTIO_MMIO_QUEUE_PFN, (u32)(PAGES >> 12));
	assert_false(t.vq[0].ready);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_PFN), 0);
	assert_int_equal(rd(0x0f0), 0);
	assert_int_equal(rd(VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
	assert_int_equal(rd(VIRTIO_MMIO_SHM_BASE_HIGH), 0xffffffff);

	init(true, &blk_ops);
	xv6_legacy_init();
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	wr64(VIRTIO_MMIO_QUEUE_DESC_LOW, DESC);
	assert_int_equal(t.vq[0].desc, PAGES);
	wr(VIRTIO_MMIO_QUEUE_READY, 0);
	assert_true(virtio_mmio_queue_live(&t, 0));
	virtio_mmio_config_changed(&t);
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG_GENERATION), 0);
	assert_int_equal(rd(VIRTIO_MMIO_SHM_LEN_LOW), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity),
		T(test_device_features),
		T(test_driver_features),
		T(test_ring_features),
		T(test_xv6_modern),
		T(test_xv6_legacy),
		T(test_legacy_live_before_driver_ok),
		T(test_legacy_queue_align),
		T(test_modern_needs_driver_ok),
		T(test_nonexistent_queue),
		T(test_queue_regs_frozen_while_ready),
		T(test_bad_queue_num),
		T(test_bad_ring),
		T(test_no_notify_survives),
		T(test_interrupts),
		T(test_config_change_before_driver_ok),
		T(test_reset),
		T(test_fail),
		T(test_fail_before_driver_ok),
		T(test_status_bits),
		T(test_register_widths),
		T(test_config_space),
		T(test_no_config_ops),
		T(test_other_registers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
