/*
 * blk_test: every virtio-blk device in QEMU virt's eight virtio-mmio slots,
 * driven through lib/virtio.c as a driver of its transport version would:
 * legacy (GuestPageSize, QueuePFN) or modern (FEATURES_OK, 64-bit ring
 * addresses, QueueReady, VERSION_1).  Writes patterns and reads them back
 * (single sectors, the last sector, 4 KiB in one descriptor, one request
 * scattered over several descriptors, an indirect table, four requests in
 * flight), checks that I/O past the end fails cleanly with IOERR, flushes,
 * counts the used-buffer interrupts that arrive through the PLIC, and, when
 * the device offers VIRTIO_BLK_F_MQ, reads num_queues and runs requests on
 * its last queue.
 *
 * Checks are named blk@<slot>-<legacy|modern>-<check>.  The disk that does
 * not call itself "rvhv-ramdisk" (GET_ID) is taken for the platform's disk
 * (rvhv's host backend, i.e. QEMU's -drive): its sector 0 is printed as
 * `blk: host disk sector 0: <hex>` and a marker is left in its sector 7,
 * so that a test can seed the image file and check it after power-off.
 */
#include "virtio.h"

#define QSIZE 128
#define RING_BYTES VIRTQ_ALIGN_UP(VIRTQ_RING_BYTES(QSIZE), 4096)
#define SECTOR VIRTIO_BLK_SECTOR
#define SEED 0x5a
#define SEED_OTHER 0xc3
#define MARKER_SECTOR 7
#define MARKER "rvhv-blk-test persisted"
#define RAMDISK_ID "rvhv-ramdisk"
#define BATCH 4

struct disk {
	struct virtio_dev d;
	const char *kind; /* "legacy" or "modern" */
	uint64_t cap;     /* sectors */
	bool host;        /* the platform's disk, not rvhv's RAM image */
};

static uint8_t rings[VIRTIO_NSLOTS][RING_BYTES] __attribute__((aligned(4096)));
static uint8_t last_ring[RING_BYTES] __attribute__((aligned(4096)));
static uint8_t wbuf[8 * SECTOR] __attribute__((aligned(16)));
static uint8_t rbuf[8 * SECTOR] __attribute__((aligned(16)));
static uint32_t slot_irq[VIRTIO_NSLOTS];
static char name_buf[64];

/* Byte i of sector s as written by this test (README: the host disk). */
static uint8_t pattern(uint64_t s, unsigned i, uint8_t seed)
{
	return (uint8_t)(s * 0x9d + i * 7 + (i >> 8) * 0x55 + seed);
}

static void fill(uint8_t *buf, uint64_t sector, unsigned nsect, uint8_t seed)
{
	for (unsigned s = 0; s < nsect; s++)
		for (unsigned i = 0; i < SECTOR; i++)
			buf[s * SECTOR + i] = pattern(sector + s, i, seed);
}

/* The first byte that differs from the pattern, or -1. */
static long verify(const uint8_t *buf, uint64_t sector, unsigned nsect, uint8_t seed)
{
	for (unsigned s = 0; s < nsect; s++)
		for (unsigned i = 0; i < SECTOR; i++)
			if (buf[s * SECTOR + i] != pattern(sector + s, i, seed))
				return (long)(s * SECTOR + i);
	return -1;
}

static const char *cname(const struct disk *k, const char *check)
{
	snprintf(name_buf, sizeof(name_buf), "blk@%lx-%s-%s", (unsigned long)k->d.base, k->kind,
		 check);
	return name_buf;
}

static struct virtio_buf buf(const void *p, uint32_t len, bool write)
{
	return (struct virtio_buf){(uintptr_t)p, len, write};
}

/* A request with one data buffer; the status byte, or a negative wait. */
static int rw1(struct disk *k, uint32_t type, uint64_t sector, void *p, uint32_t len,
	       uint32_t *used_len)
{
	struct virtio_buf b = buf(p, len, type != VIRTIO_BLK_T_OUT);
	return virtio_blk_request(&k->d, type, sector, &b, 1, false, used_len);
}

static const char *status_str(int st)
{
	static char s[32];
	if (st < 0)
		return virtio_wait_str((enum virtio_wait) - st);
	snprintf(s, sizeof(s), "status %d", st);
	return s;
}

/* Write nsect patterned sectors, read them back into a poisoned buffer. */
static void write_read(struct disk *k, uint64_t sector, unsigned nsect)
{
	uint32_t len = nsect * SECTOR, used;
	fill(wbuf, sector, nsect, SEED);
	int st = rw1(k, VIRTIO_BLK_T_OUT, sector, wbuf, len, NULL);
	if (st != VIRTIO_BLK_S_OK) {
		check_why("write of sector %lu: %s", (unsigned long)sector, status_str(st));
		return;
	}
	memset(rbuf, 0xee, sizeof(rbuf));
	st = rw1(k, VIRTIO_BLK_T_IN, sector, rbuf, len, &used);
	if (st != VIRTIO_BLK_S_OK) {
		check_why("read of sector %lu: %s", (unsigned long)sector, status_str(st));
		return;
	}
	long bad = verify(rbuf, sector, nsect, SEED);
	if (bad >= 0)
		check_why("sector %lu byte %ld reads 0x%02x, wrote 0x%02x", (unsigned long)sector, bad,
			  rbuf[bad], wbuf[bad]);
	/* §2.7.8: len counts the bytes written, data and status */
	if (used != len + 1)
		check_why("used len %u for a read of %u bytes", used, len);
}

static void dump_hex(const char *what, const uint8_t *p, unsigned n)
{
	char hex[2 * 16 + 1];
	for (unsigned i = 0; i < n && i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", p[i]);
	printf("blk: %s: %s\n", what, hex);
}

/* capacity as two 32-bit halves, as eight bytes, and (modern) one ld. */
static void check_capacity(struct disk *k)
{
	check_begin();
	k->cap = virtio_blk_capacity(&k->d);
	uint64_t bytes = 0;
	for (int i = 7; i >= 0; i--)
		bytes = bytes << 8 | *(volatile uint8_t *)(k->d.base + VIRTIO_CONFIG + i);
	if (bytes != k->cap)
		check_why("byte reads give %lu, 32-bit reads %lu", (unsigned long)bytes,
			  (unsigned long)k->cap);
	if (k->d.version == 2) {
		uint64_t wide = *(volatile uint64_t *)(k->d.base + VIRTIO_CONFIG);
		if (wide != k->cap)
			check_why("a 64-bit read gives %lu", (unsigned long)wide);
	}
	if (k->cap < 128)
		check_why("capacity %lu sectors: this test needs 128", (unsigned long)k->cap);
	printf("blk: 0x%lx: capacity %lu sectors (%lu KiB)\n", (unsigned long)k->d.base,
	       (unsigned long)k->cap, (unsigned long)(k->cap / 2));
	check_end(cname(k, "capacity"));
}

/* GET_ID (§5.2.6): rvhv's RAM image answers "rvhv-ramdisk". */
static void check_id(struct disk *k)
{
	char id[VIRTIO_BLK_ID_BYTES + 1];
	memset(id, 0, sizeof(id));
	check_begin();
	int st = rw1(k, VIRTIO_BLK_T_GET_ID, 0, id, VIRTIO_BLK_ID_BYTES, NULL);
	if (st != VIRTIO_BLK_S_OK)
		check_why("GET_ID: %s", status_str(st));
	k->host = strcmp(id, RAMDISK_ID) != 0;
	printf("blk: 0x%lx: id \"%s\": %s\n", (unsigned long)k->d.base, id,
	       k->host ? "the platform's disk" : "rvhv's RAM image");
	check_end(cname(k, "get-id"));
}

/* Sector 0 before anything is written: a fresh RAM image is zeros; the
 * platform's disk holds what the test harness put in the image file. */
static void check_sector0(struct disk *k)
{
	check_begin();
	memset(rbuf, 0xee, SECTOR);
	int st = rw1(k, VIRTIO_BLK_T_IN, 0, rbuf, SECTOR, NULL);
	if (st != VIRTIO_BLK_S_OK) {
		check_why("read: %s", status_str(st));
	} else if (k->host) {
		dump_hex("host disk sector 0", rbuf, 16);
	} else {
		for (unsigned i = 0; i < SECTOR; i++)
			if (rbuf[i]) {
				check_why("byte %u of a fresh image reads 0x%02x", i, rbuf[i]);
				break;
			}
	}
	check_end(cname(k, "sector0"));
}

static void check_pattern(struct disk *k)
{
	static const uint64_t sectors[] = {1, 2, 3, 100};
	check_begin();
	for (unsigned i = 0; i < sizeof(sectors) / sizeof(sectors[0]); i++)
		write_read(k, sectors[i], 1);
	/* read them again: the later writes left the earlier sectors alone */
	for (unsigned i = 0; i < sizeof(sectors) / sizeof(sectors[0]); i++) {
		int st = rw1(k, VIRTIO_BLK_T_IN, sectors[i], rbuf, SECTOR, NULL);
		if (st != VIRTIO_BLK_S_OK || verify(rbuf, sectors[i], 1, SEED) >= 0)
			check_why("sector %lu changed (%s)", (unsigned long)sectors[i],
				  status_str(st));
	}
	check_end(cname(k, "pattern"));
}

static void check_last(struct disk *k)
{
	check_begin();
	write_read(k, k->cap - 1, 1);
	check_end(cname(k, "last-sector"));
}

static void check_multi(struct disk *k)
{
	check_begin();
	write_read(k, 16, 8); /* 4 KiB in one descriptor */
	check_end(cname(k, "multi-4k"));
}

/* One 2 KiB request split over four descriptors, read back over three of
 * other sizes: the device must walk segment boundaries both ways. */
static void check_scatter(struct disk *k)
{
	const uint64_t sector = 40;
	struct virtio_buf w[4] = {buf(wbuf, 100, false), buf(wbuf + 100, 412, false),
				  buf(wbuf + 512, 1024, false), buf(wbuf + 1536, 512, false)};
	struct virtio_buf r[3] = {buf(rbuf, 1000, true), buf(rbuf + 1000, 48, true),
				  buf(rbuf + 1048, 1000, true)};
	uint32_t used;
	check_begin();
	fill(wbuf, sector, 4, SEED);
	int st = virtio_blk_request(&k->d, VIRTIO_BLK_T_OUT, sector, w, 4, false, NULL);
	if (st != VIRTIO_BLK_S_OK)
		check_why("write: %s", status_str(st));
	memset(rbuf, 0xee, sizeof(rbuf));
	st = virtio_blk_request(&k->d, VIRTIO_BLK_T_IN, sector, r, 3, false, &used);
	if (st != VIRTIO_BLK_S_OK)
		check_why("read: %s", status_str(st));
	long bad = verify(rbuf, sector, 4, SEED);
	if (bad >= 0)
		check_why("byte %ld reads 0x%02x, wrote 0x%02x", bad, rbuf[bad], wbuf[bad]);
	if (used != 4 * SECTOR + 1)
		check_why("used len %u", used);
	/* and sector 41 alone: the data landed where it belongs */
	memset(rbuf, 0xee, SECTOR);
	st = rw1(k, VIRTIO_BLK_T_IN, sector + 1, rbuf, SECTOR, NULL);
	if (st != VIRTIO_BLK_S_OK || verify(rbuf, sector + 1, 1, SEED) >= 0)
		check_why("sector %lu alone: %s, pattern %s", (unsigned long)sector + 1,
			  status_str(st), verify(rbuf, sector + 1, 1, SEED) >= 0 ? "wrong" : "right");
	check_end(cname(k, "scatter"));
}

/* The whole request in one indirect table (§2.7.5.3), two data entries. */
static void check_indirect(struct disk *k)
{
	const uint64_t sector = 48;
	struct virtio_buf w[2] = {buf(wbuf, SECTOR, false), buf(wbuf + SECTOR, SECTOR, false)};
	struct virtio_buf r[2] = {buf(rbuf, SECTOR, true), buf(rbuf + SECTOR, SECTOR, true)};
	uint32_t used;
	if (!(k->d.features & VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC))) {
		printf("blk: 0x%lx: INDIRECT_DESC not offered\n", (unsigned long)k->d.base);
		return;
	}
	check_begin();
	fill(wbuf, sector, 2, SEED);
	int st = virtio_blk_request(&k->d, VIRTIO_BLK_T_OUT, sector, w, 2, true, NULL);
	if (st != VIRTIO_BLK_S_OK)
		check_why("write: %s", status_str(st));
	memset(rbuf, 0xee, sizeof(rbuf));
	st = virtio_blk_request(&k->d, VIRTIO_BLK_T_IN, sector, r, 2, true, &used);
	if (st != VIRTIO_BLK_S_OK)
		check_why("read: %s", status_str(st));
	long bad = verify(rbuf, sector, 2, SEED);
	if (bad >= 0)
		check_why("byte %ld reads 0x%02x, wrote 0x%02x", bad, rbuf[bad], wbuf[bad]);
	if (used != 2 * SECTOR + 1)
		check_why("used len %u", used);
	check_end(cname(k, "indirect"));
}

/*
 * BATCH requests made available before one notification; the device may
 * complete them in any order, so match used ids to heads.  type OUT writes
 * sector 56 + i from wbuf, IN reads it into rbuf.
 */
static void batch(struct disk *k, uint32_t type)
{
	static struct virtio_blk_hdr hdr[BATCH];
	static volatile uint8_t status[BATCH];
	bool done[BATCH] = {false};
	uint32_t id, len;

	for (int i = 0; i < BATCH; i++) {
		hdr[i] = (struct virtio_blk_hdr){.type = type, .sector = 56 + i};
		status[i] = 0xff;
		struct virtio_buf b[3] = {buf(&hdr[i], sizeof(hdr[i]), false),
					  buf((type == VIRTIO_BLK_T_OUT ? wbuf : rbuf) + i * SECTOR,
					      SECTOR, type == VIRTIO_BLK_T_IN),
					  buf((const void *)&status[i], 1, true)};
		virtq_chain(&k->d, 3 * i, b, 3);
		virtq_submit(&k->d, 3 * i);
	}
	virtq_kick(&k->d);
	enum virtio_wait w = virtq_wait(&k->d, BATCH, 2000);
	if (w != VIRTIO_DONE) {
		check_why("%s waiting for %d completions", virtio_wait_str(w), BATCH);
		while (virtq_pop_used(&k->d, &id, &len))
			;
		return;
	}
	while (virtq_pop_used(&k->d, &id, &len)) {
		if (id % 3 || id / 3 >= BATCH || done[id / 3]) {
			check_why("used id %u is no head of ours, or twice", id);
			continue;
		}
		done[id / 3] = true;
		if (status[id / 3] != VIRTIO_BLK_S_OK)
			check_why("request %u: status %u", id / 3, status[id / 3]);
	}
	for (int i = 0; i < BATCH; i++)
		if (!done[i])
			check_why("request %d never completed", i);
}

static void check_batch(struct disk *k)
{
	check_begin();
	fill(wbuf, 56, BATCH, SEED);
	batch(k, VIRTIO_BLK_T_OUT);
	memset(rbuf, 0xee, sizeof(rbuf));
	batch(k, VIRTIO_BLK_T_IN);
	long bad = verify(rbuf, 56, BATCH, SEED);
	if (bad >= 0)
		check_why("byte %ld reads 0x%02x, wrote 0x%02x", bad, rbuf[bad], wbuf[bad]);
	check_end(cname(k, "batch"));
}

/* Past the end: IOERR (§5.2.6.1 lets the device fail the request), no
 * partial write, and no device error. */
static void check_out_of_range(struct disk *k)
{
	check_begin();
	int st = rw1(k, VIRTIO_BLK_T_IN, k->cap, rbuf, SECTOR, NULL);
	if (st != VIRTIO_BLK_S_IOERR)
		check_why("read of sector %lu (= capacity): %s, want IOERR", (unsigned long)k->cap,
			  status_str(st));
	st = rw1(k, VIRTIO_BLK_T_IN, ~0UL, rbuf, SECTOR, NULL);
	if (st != VIRTIO_BLK_S_IOERR)
		check_why("read of sector 2^64-1: %s, want IOERR", status_str(st));
	fill(wbuf, k->cap - 1, 2, SEED_OTHER);
	st = rw1(k, VIRTIO_BLK_T_OUT, k->cap - 1, wbuf, 2 * SECTOR, NULL);
	if (st != VIRTIO_BLK_S_IOERR)
		check_why("write of the last sector and one past it: %s, want IOERR",
			  status_str(st));
	st = rw1(k, VIRTIO_BLK_T_IN, k->cap - 1, rbuf, SECTOR, NULL);
	if (st != VIRTIO_BLK_S_OK || verify(rbuf, k->cap - 1, 1, SEED) >= 0)
		check_why("the last sector changed after the failed write (%s)", status_str(st));
	if (virtio_status(&k->d) & VIRTIO_S_NEEDS_RESET)
		check_why("DEVICE_NEEDS_RESET after a clean I/O error");
	check_end(cname(k, "out-of-range"));
}

static void check_flush(struct disk *k)
{
	if (!(k->d.features & VIRTIO_FEATURE(VIRTIO_BLK_F_FLUSH))) {
		printf("blk: 0x%lx: FLUSH not offered\n", (unsigned long)k->d.base);
		return;
	}
	check_begin();
	int st = virtio_blk_request(&k->d, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false, NULL);
	if (st != VIRTIO_BLK_S_OK)
		check_why("FLUSH: %s", status_str(st));
	check_end(cname(k, "flush"));
}

/* The marker a test finds in the image file after power-off. */
static void check_marker(struct disk *k)
{
	check_begin();
	memset(wbuf, 0, SECTOR);
	memcpy(wbuf, MARKER, sizeof(MARKER) - 1);
	int st = rw1(k, VIRTIO_BLK_T_OUT, MARKER_SECTOR, wbuf, SECTOR, NULL);
	if (st != VIRTIO_BLK_S_OK)
		check_why("write: %s", status_str(st));
	if (k->d.features & VIRTIO_FEATURE(VIRTIO_BLK_F_FLUSH)) {
		st = virtio_blk_request(&k->d, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false, NULL);
		if (st != VIRTIO_BLK_S_OK)
			check_why("FLUSH: %s", status_str(st));
	}
	memset(rbuf, 0xee, SECTOR);
	st = rw1(k, VIRTIO_BLK_T_IN, MARKER_SECTOR, rbuf, SECTOR, NULL);
	if (st != VIRTIO_BLK_S_OK || memcmp(rbuf, wbuf, SECTOR))
		check_why("read back: %s, %s", status_str(st),
			  memcmp(rbuf, wbuf, SECTOR) ? "differs" : "same");
	check_end(cname(k, "marker"));
}

/* Interrupt suppression (§2.7.7, §2.7.10): with used_event (EVENT_IDX) or
 * VIRTQ_AVAIL_F_NO_INTERRUPT asking for none, none comes; then one does. */
static void check_suppress(struct disk *k)
{
	if (!k->d.irq)
		return;
	check_begin();
	unsigned long before = k->d.used_irqs;
	k->d.quiet = true;
	for (int i = 0; i < 2; i++) {
		int st = rw1(k, VIRTIO_BLK_T_IN, 1, rbuf, SECTOR, NULL);
		if (st != VIRTIO_BLK_S_OK)
			check_why("quiet read: %s", status_str(st));
	}
	virtio_irq_poll();
	if (k->d.used_irqs != before)
		check_why("%lu interrupts while asking for none", k->d.used_irqs - before);
	k->d.quiet = false;
	int st = rw1(k, VIRTIO_BLK_T_IN, 1, rbuf, SECTOR, NULL);
	if (st != VIRTIO_BLK_S_OK)
		check_why("read: %s", status_str(st));
	if (k->d.used_irqs == before)
		check_why("no interrupt after asking for one again");
	check_end(cname(k, k->d.features & VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX) ? "suppress-event-idx"
									   : "suppress-flag"));
}

/*
 * VIRTIO_BLK_F_MQ (§5.2.3, §5.2.4): num_queues in the configuration, and a
 * request on the last queue beside one on queue 0, both queues set up before
 * DRIVER_OK as Linux does.  The last queue asks for no interrupts (as a
 * Linux poll queue does) and is polled.  A device without MQ (QEMU's own,
 * natively) is left alone.
 */
static void check_mq(struct disk *k, unsigned slot)
{
	if (!(k->d.offered & VIRTIO_FEATURE(VIRTIO_BLK_F_MQ)))
		return;
	check_begin();
	const char *why = "";
	struct disk last = *k;
	uint64_t want = k->d.features | VIRTIO_FEATURE(VIRTIO_BLK_F_MQ);
	if (virtio_negotiate(&k->d, want, &why) ||
	    virtio_queue_setup(&k->d, QSIZE, rings[slot], &why)) {
		check_why("set-up with MQ: %s", why);
		check_end(cname(k, "mq"));
		return;
	}
	uint16_t n = *(volatile uint16_t *)(k->d.base + VIRTIO_CONFIG + VIRTIO_BLK_CFG_NUM_QUEUES);
	printf("blk: 0x%lx: num_queues %u\n", (unsigned long)k->d.base, n);
	last.d = k->d;
	last.d.irq = 0;
	last.d.quiet = true;
	last.d.queue = n ? n - 1 : 0;
	if (n < 2)
		check_why("MQ offered with num_queues %u", n);
	else if (virtio_queue_setup(&last.d, QSIZE, last_ring, &why))
		check_why("queue %u: %s", n - 1, why);
	else {
		virtio_driver_ok(&k->d);
		write_read(&last, 16, 2);
		write_read(k, 18, 1);
		write_read(&last, 19, 1);
		if (last.d.used_idx != 4 || k->d.used_idx != 2)
			check_why("%u and %u requests completed on the last queue and queue 0, want 4 "
				  "and 2", last.d.used_idx, k->d.used_idx);
	}
	check_end(cname(k, "mq"));
}

/* Used-buffer interrupts arrived through the PLIC, and the device is well. */
static void check_end_state(struct disk *k)
{
	if (k->d.irq) {
		check_begin();
		printf("blk: 0x%lx: %lu used-buffer and %lu config interrupts on irq %u\n",
		       (unsigned long)k->d.base, k->d.used_irqs, k->d.config_irqs, k->d.irq);
		if (k->d.used_irqs == 0)
			check_why("no used-buffer interrupt on irq %u", k->d.irq);
		check_end(cname(k, "irq"));
	}
	check_begin();
	uint32_t s = virtio_status(&k->d);
	if (s & (VIRTIO_S_NEEDS_RESET | VIRTIO_S_FAILED) || !(s & VIRTIO_S_DRIVER_OK))
		check_why("status 0x%x", s);
	check_end(cname(k, "healthy"));
}

static void test_disk(struct disk *k, unsigned slot)
{
	const char *why = "";
	/* EVENT_IDX on the modern disk only: both notification schemes run. */
	uint64_t want = VIRTIO_FEATURE(VIRTIO_BLK_F_FLUSH) | VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC) |
			(k->d.version == 2 ? VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX) : 0);
	if (virtio_init(&k->d, want, QSIZE, rings[slot], &why)) {
		fail(cname(k, "init"), "%s (status 0x%x)", why, virtio_status(&k->d));
		return;
	}
	printf("blk: 0x%lx: %s, features offered 0x%lx, accepted 0x%lx, irq %u\n",
	       (unsigned long)k->d.base, k->kind, (unsigned long)k->d.offered,
	       (unsigned long)k->d.features, slot_irq[slot]);
	ok(cname(k, "init"));
	if (slot_irq[slot])
		virtio_irq_enable(&k->d, slot_irq[slot]);
	check_capacity(k);
	if (k->cap < 128)
		return;
	check_id(k);
	check_sector0(k);
	check_pattern(k);
	check_last(k);
	check_multi(k);
	check_scatter(k);
	check_indirect(k);
	check_batch(k);
	check_out_of_range(k);
	check_flush(k);
	if (k->host)
		check_marker(k);
	check_suppress(k);
	check_mq(k, slot);
	check_end_state(k);
}

/* interrupts = <n> of node virtio_mmio@<addr>, from the guest DTB. */
static void dtb_irq(const char *node, const char *prop, const void *val, uint32_t len, void *arg)
{
	(void)arg;
	const char *at = node;
	while (*at && *at != '@')
		at++;
	if (!*at || len != 4 || strcmp(prop, "interrupts"))
		return;
	unsigned long addr = 0;
	for (at++; (*at >= '0' && *at <= '9') || (*at >= 'a' && *at <= 'f'); at++)
		addr = addr * 16 + (*at <= '9' ? *at - '0' : *at - 'a' + 10);
	if (addr >= VIRTIO_SLOT0 && addr < VIRTIO_SLOT0 + VIRTIO_NSLOTS * VIRTIO_SLOT_SIZE &&
	    !((addr - VIRTIO_SLOT0) % VIRTIO_SLOT_SIZE))
		slot_irq[(addr - VIRTIO_SLOT0) / VIRTIO_SLOT_SIZE] = fdt_be32(val);
}

int main(unsigned long hartid, const void *dtb)
{
	static struct disk disks[VIRTIO_NSLOTS];
	unsigned found = 0;

	printf("blk_test: hart %lu\n", hartid);
	if (!fdt_walk(dtb, dtb_irq, NULL)) {
		printf("blk: no device tree: IRQs as on QEMU virt (slot n: irq n + 1)\n");
		for (unsigned s = 0; s < VIRTIO_NSLOTS; s++)
			slot_irq[s] = s + 1;
	}
	for (unsigned s = 0; s < VIRTIO_NSLOTS; s++) {
		uintptr_t base = VIRTIO_SLOT0 + s * VIRTIO_SLOT_SIZE;
		uint32_t version, id;
		if (!virtio_probe(base, &version, &id) || id != VIRTIO_ID_BLOCK)
			continue;
		if (version != 1 && version != 2) {
			printf("blk: 0x%lx: virtio-blk with Version %u, skipped\n", (unsigned long)base,
			       version);
			continue;
		}
		struct disk *k = &disks[s];
		virtio_bind(&k->d, base);
		k->kind = version == 1 ? "legacy" : "modern";
		printf("blk: found virtio-blk at 0x%lx (%s)\n", (unsigned long)base, k->kind);
		found++;
		test_disk(k, s);
	}
	printf("blk: %u disks\n", found);
	if (!found)
		fail("blk-found", "no virtio-blk in slots 0x%lx..0x%lx", VIRTIO_SLOT0,
		     VIRTIO_SLOT0 + (VIRTIO_NSLOTS - 1) * VIRTIO_SLOT_SIZE);
	finish("blk_test");
}
