/*
 * Fuzz target: the virtio-mmio transport (virtio/mmio.c) with a device
 * behind it: virtio-blk on a RAM disk, virtio-blk on a (fake) platform
 * disk, or virtio-rng on a (fake) platform rng (virtio/blk.c, rng.c), over
 * a fake guest RAM between poisoned guards (fuzz.h).
 *
 * Input: the flavour (legacy or modern transport, which device, whether
 * the platform device fails), a count of 8-byte operations and the
 * operations, then the initial content of guest RAM.  Operations are
 * register and config-space accesses of any width, the driver writing
 * guest RAM, and the hypervisor's calls (notify_used, config_changed,
 * fail).  Checked after each:
 * - the interrupt line is InterruptStatus != 0, set_irq heard of changes;
 * - a ready queue passed vq_check; after a device error no queue is ready;
 *   the device is notified only for live queues;
 * - the driver's features are a subset of the offer; the identification
 *   registers read their constants; control registers take words only;
 * - what reaches the platform device lies in guest RAM.
 */
#include "tests/fuzz/fuzz.h"

#include "virtio/blk.h"
#include "virtio/rng.h"

#define RAM_BASE 0x10000ULL
#define RAM_SIZE 16384
#define DISK_SECTORS 8
#define MAX_OPS 64

static struct fake_ram ram;
static u8 *disk;
static struct host_virtio fake_host;
static bool host_fails;
static struct virtio_blk blk;
static struct virtio_rng rng;
static struct virtio_mmio *t; /* the transport of the device in use */
static const struct virtio_device_ops *dev_ops;

static struct {
	bool irq;
	int notifies;
} rec;

/* The platform's virtio device (virtio/host.c): here it checks what it is
 * given and fills the writable buffers. */
int host_virtio_request(struct host_virtio *d, const struct host_seg *segs, int n, u32 *written)
{
	u32 w = 0;

	CHECK(d == &fake_host && n >= 0 && n <= VQ_MAX_SEGS);
	for (int i = 0; i < n; i++) {
		u8 *p = (u8 *)(uintptr_t)segs[i].addr;

		CHECK(segs[i].len > 0 && ram_holds(&ram, p, segs[i].len));
		if (segs[i].write) {
			memset(p, 0xd5, segs[i].len);
			w += segs[i].len;
		}
	}
	*written = host_fails ? 0 : w;
	return host_fails ? -1 : 0;
}

static void rec_set_irq(void *ctx, bool level)
{
	CHECK(ctx == &rec);
	CHECK(level != rec.irq); /* changes only */
	rec.irq = level;
}

static void checked_notify(void *dev, int q)
{
	CHECK(virtio_mmio_queue_live(t, q));
	rec.notifies++;
	dev_ops->notify(dev, q);
}

static u64 offered(void)
{
	u64 f = dev_ops->features & ~((1ULL << 50) - (1ULL << 24));

	f |= dev_ops->features & ((1ULL << VIRTIO_F_INDIRECT_DESC) | (1ULL << VIRTIO_F_EVENT_IDX));
	return t->legacy ? f : f | (1ULL << VIRTIO_F_VERSION_1);
}

/* The transport's register window (kernel/mmio.h), as a VM has it. */
static struct mmio_window win;

/* It answers every register's 4-byte read as the transport does, and
 * publishes nothing else. */
static void check_window(void)
{
	for (u64 off = 0; off < VIRTIO_MMIO_CONFIG; off += 4) {
		struct mmio_access acc = {.width = 4};
		u64 v;
		CHECK(mmio_window_load(&win, off, 4, &v));
		CHECK(virtio_mmio_access(t, off, &acc) == 0 && acc.value == v);
	}
	for (int k = 0; k < 4; k++)
		for (int i = 0; i < MMIO_WINDOW_SIZE / 64; i++)
			CHECK(win.readable[k][i] == (k == 2 && i < 4 ? 0x1111111111111111ULL : 0));
}

static void check_state(void)
{
	bool failed = t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET;

	check_window();
	CHECK(rec.irq == t->irq_level && rec.irq == (t->interrupt_status != 0));
	CHECK((t->interrupt_status & ~3u) == 0);
	CHECK((t->driver_features & ~offered()) == 0);
	CHECK(failed == (t->fail_reason != NULL));
	CHECK(t->status <= 0xff);
	for (int i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++) {
		const struct virtq *q = &t->vq[i];

		if (!q->ready)
			continue;
		CHECK(!failed && i < t->num_queues);
		CHECK(q->num >= 1 && q->num <= t->queue_max);
		/* Still a valid queue, whose kept ring pointers are the ones a
		 * fresh check maps. */
		struct virtq fresh = *q;
		CHECK(vq_check(&fresh, &t->mem) == VQ_OK);
		CHECK(fresh.desc_p == q->desc_p && fresh.avail_p == q->avail_p &&
		      fresh.used_p == q->used_p);
		/* The ring features are those negotiated when the queue went live. */
		if (q->indirect)
			CHECK(offered() & (1ULL << VIRTIO_F_INDIRECT_DESC));
		if (q->event_idx)
			CHECK(offered() & (1ULL << VIRTIO_F_EVENT_IDX));
	}
	CHECK(blk.errors <= blk.requests);
}

/* A register of the 0x000-0x0ff block (misaligned for 0x40..0x7f), or config space. */
static u64 pick_offset(u8 sel)
{
	if (sel < 0x80)
		return 4 * (u64)(sel & 0x3f) + ((sel & 0x40) ? 2 : 0);
	return VIRTIO_MMIO_CONFIG + (sel & 0x7f) * 3 % 0x100;
}

static void guest_access(u8 kind, u8 sel, u32 val)
{
	struct mmio_access acc = {.width = (kind & 0x18) ? 1u << ((kind >> 3) & 3) : 4,
				  .write = kind & 0x20,
				  .value = (kind & 0x40) ? (u64)val << 32 | val : val};
	u64 off = pick_offset(sel);
	int rc;

	if (acc.write && acc.width < 8)
		acc.value &= (1ULL << (8 * acc.width)) - 1;
	rc = virtio_mmio_access(t, off, &acc);
	if (off < VIRTIO_MMIO_CONFIG && (acc.width != 4 || off % 4)) {
		CHECK(rc == -1);
		return;
	}
	if (off < VIRTIO_MMIO_CONFIG)
		CHECK(rc == 0);
	if (acc.write || rc)
		return;
	if (acc.width < 8)
		CHECK(acc.value >> (8 * acc.width) == 0);
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		CHECK(acc.value == VIRTIO_MMIO_MAGIC);
		break;
	case VIRTIO_MMIO_VERSION:
		CHECK(acc.value == (t->legacy ? 1 : 2));
		break;
	case VIRTIO_MMIO_DEVICE_ID:
		CHECK(acc.value == dev_ops->device_id);
		break;
	case VIRTIO_MMIO_VENDOR_ID:
		CHECK(acc.value == VIRTIO_MMIO_VENDOR);
		break;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		CHECK(acc.value == (t->queue_sel < t->num_queues ? t->queue_max : 0));
		break;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		CHECK(acc.value == t->interrupt_status);
		break;
	case VIRTIO_MMIO_STATUS:
		CHECK(acc.value == t->status);
		break;
	}
}

/* The driver writes guest RAM: descriptors, ring entries, indices. */
static void driver_poke(u16 off, u32 val)
{
	u64 o = off % (RAM_SIZE - 3);

	memcpy(ram.mem + o, &val, 4);
}

/* The polling hart (kernel/vvirtio.c): notifications off, then the work. */
static void poll_queue(void *dev, int n)
{
	struct virtq *q = &t->vq[n];

	if (!virtio_mmio_queue_live(t, n))
		return;
	if (!q->no_notify)
		vq_set_notifications(q, false);
	if (vq_pending(q))
		checked_notify(dev, n);
}

static void hypervisor_call(u8 what)
{
	switch (what % 3) {
	case 0:
		virtio_mmio_notify_used(t);
		break;
	case 1:
		virtio_mmio_config_changed(t);
		break;
	case 2:
		virtio_mmio_fail(t, "fuzz: device error");
		CHECK(t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
		break;
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct virtio_device_ops ops;
	struct input in = {data, size};
	u8 mode = in_u8(&in), nops = in_u8(&in) % MAX_OPS;
	u8 ops_bytes[MAX_OPS * 8];
	struct input opin = {ops_bytes, (size_t)nops * 8};
	void *dev;

	if (!ram.alloc) {
		ram_init(&ram, RAM_BASE, RAM_SIZE);
		disk = malloc(DISK_SECTORS * SECTOR_SIZE);
		CHECK(disk);
	}
	memset(ops_bytes, 0, sizeof(ops_bytes));
	for (size_t i = 0; i < (size_t)nops * 8; i++)
		ops_bytes[i] = in_u8(&in);
	memset(ram.mem, 0, RAM_SIZE);
	memcpy(ram.mem, in.p, in.n < RAM_SIZE ? in.n : RAM_SIZE);
	memset(disk, 0x11, DISK_SECTORS * SECTOR_SIZE);
	memset(&rec, 0, sizeof(rec));
	host_fails = mode & 8;

	memset(&blk, 0, sizeof(blk));
	memset(&rng, 0, sizeof(rng));
	switch ((mode >> 1) & 3) {
	case 0: /* virtio-blk on a RAM disk */
		blk.ram = disk;
		blk.sectors = DISK_SECTORS;
		break;
	case 1: /* virtio-blk on the platform's disk */
		blk.host = &fake_host;
		blk.sectors = DISK_SECTORS;
		break;
	case 2: /* virtio-blk without a backend: every request is unsupported */
		break;
	default:
		rng.host = &fake_host;
		break;
	}
	if (((mode >> 1) & 3) == 3) {
		dev_ops = &virtio_rng_ops;
		t = &rng.t;
		dev = &rng;
	} else {
		dev_ops = &virtio_blk_ops;
		t = &blk.t;
		dev = &blk;
	}
	ops = *dev_ops;
	ops.notify = checked_notify;
	virtio_mmio_init(t, mode & 1, &ops, dev, (struct vq_mem){ram_map, &ram}, rec_set_irq,
			 &rec);
	win = (struct mmio_window){0};
	virtio_mmio_publish(t, &win);
	check_state();
	while (!in_empty(&opin)) {
		u8 kind = in_u8(&opin), sel = in_u8(&opin);
		u16 off = in_u16(&opin);
		u32 val = in_u32(&opin);

		switch (kind & 7) {
		case 0:
		case 1:
		case 2:
		case 3:
			/* The low half of a ring address is often what matters. */
			if (kind & 0x80)
				val = (u32)RAM_BASE + off;
			guest_access(kind, sel, val);
			break;
		case 4:
		case 5:
			driver_poke(off, val);
			break;
		case 6:
			hypervisor_call(sel);
			break;
		default:
			poll_queue(dev, sel % t->num_queues);
			break;
		}
		check_state();
	}
	return 0;
}
