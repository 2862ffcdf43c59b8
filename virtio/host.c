/* rvhv's driver for the platform's virtio-mmio devices (see host.h);
 * virtio 1.2 §4.2.3 (driver side of the MMIO transport), §2.7 (split rings). */
#include "virtio/host.h"
#include "kernel/lib.h"
#include "kernel/mm.h"
#include "kernel/platform.h"

#define REG_MAGIC 0x000
#define REG_VERSION 0x004
#define REG_DEVICE_ID 0x008
#define REG_DEVICE_FEATURES 0x010
#define REG_DEVICE_FEATURES_SEL 0x014
#define REG_DRIVER_FEATURES 0x020
#define REG_DRIVER_FEATURES_SEL 0x024
#define REG_QUEUE_SEL 0x030
#define REG_QUEUE_NUM_MAX 0x034
#define REG_QUEUE_NUM 0x038
#define REG_QUEUE_READY 0x044
#define REG_QUEUE_NOTIFY 0x050
#define REG_INTERRUPT_STATUS 0x060
#define REG_INTERRUPT_ACK 0x064
#define REG_STATUS 0x070
#define REG_QUEUE_DESC 0x080
#define REG_QUEUE_DRIVER 0x090
#define REG_QUEUE_DEVICE 0x0a0
#define REG_CONFIG 0x100

#define MAGIC 0x74726976
#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER 2
#define STATUS_DRIVER_OK 4
#define STATUS_FEATURES_OK 8
#define STATUS_NEEDS_RESET 64
#define STATUS_FAILED 128
#define F_VERSION_1 (1UL << 32)
#define DESC_F_NEXT 1
#define DESC_F_WRITE 2

struct vring_desc {
	u64 addr;
	u32 len;
	u16 flags, next;
};
struct vring_avail {
	u16 flags, idx, ring[HOST_QUEUE_SIZE];
};
struct vring_used_elem {
	u32 id, len;
};
struct vring_used {
	u16 flags, idx;
	struct vring_used_elem ring[HOST_QUEUE_SIZE];
};

static u32 rd(volatile u32 *regs, u32 off)
{
	return regs[off / 4];
}

static void wr(volatile u32 *regs, u32 off, u32 val)
{
	regs[off / 4] = val;
}

static void wr64(volatile u32 *regs, u32 off, u64 val)
{
	wr(regs, off, (u32)val);
	wr(regs, off + 4, val >> 32);
}

int host_virtio_probe(u64 base)
{
	volatile u32 *regs = (volatile u32 *)(uintptr_t)base;
	if (rd(regs, REG_MAGIC) != MAGIC)
		return -1;
	return rd(regs, REG_DEVICE_ID);
}

/* Set up queue n with rings of up to HOST_QUEUE_SIZE entries. */
static int setup_queue(struct host_virtio *d, int n, char *err, size_t errlen)
{
	volatile u32 *regs = d->regs;
	struct host_queue *q = &d->q[n];
	wr(regs, REG_QUEUE_SEL, n);
	u32 max = rd(regs, REG_QUEUE_NUM_MAX);
	if (max == 0)
		return errorf(err, errlen, "virtio device at 0x%lx has no queue %d", d->base, n);
	q->size = max < HOST_QUEUE_SIZE ? max : HOST_QUEUE_SIZE;
	q->desc = mm_alloc(sizeof(struct vring_desc) * HOST_QUEUE_SIZE, PAGE_SIZE);
	q->avail = mm_alloc(sizeof(struct vring_avail), PAGE_SIZE);
	q->used = mm_alloc(sizeof(struct vring_used), PAGE_SIZE);
	if (!q->desc || !q->avail || !q->used)
		return errorf(err, errlen, "no memory for the rings of 0x%lx", d->base);
	wr(regs, REG_QUEUE_NUM, q->size);
	wr64(regs, REG_QUEUE_DESC, (u64)(uintptr_t)q->desc);
	wr64(regs, REG_QUEUE_DRIVER, (u64)(uintptr_t)q->avail);
	wr64(regs, REG_QUEUE_DEVICE, (u64)(uintptr_t)q->used);
	wr(regs, REG_QUEUE_READY, 1);
	/* Completions are polled: no interrupt wanted. */
	q->avail->flags = 1; /* VIRTQ_AVAIL_F_NO_INTERRUPT */
	return 0;
}

int host_virtio_init(struct host_virtio *d, u64 base, u64 features, int nqueues, char *err,
		     size_t errlen)
{
	volatile u32 *regs = (volatile u32 *)(uintptr_t)base;
	d->regs = regs;
	d->base = base;
	if (rd(regs, REG_MAGIC) != MAGIC)
		return errorf(err, errlen, "no virtio-mmio device at 0x%lx", base);
	if (rd(regs, REG_VERSION) != 2)
		return errorf(err, errlen,
			      "virtio device at 0x%lx is legacy (version 1): run QEMU with "
			      "-global virtio-mmio.force-legacy=false (make qemu does)",
			      base);
	d->device_id = rd(regs, REG_DEVICE_ID);
	wr(regs, REG_STATUS, 0);
	wr(regs, REG_STATUS, STATUS_ACKNOWLEDGE);
	wr(regs, REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
	wr(regs, REG_DEVICE_FEATURES_SEL, 0);
	u64 offered = rd(regs, REG_DEVICE_FEATURES);
	wr(regs, REG_DEVICE_FEATURES_SEL, 1);
	offered |= (u64)rd(regs, REG_DEVICE_FEATURES) << 32;
	u64 want = (features | F_VERSION_1) & offered;
	d->features = want;
	wr(regs, REG_DRIVER_FEATURES_SEL, 0);
	wr(regs, REG_DRIVER_FEATURES, (u32)want);
	wr(regs, REG_DRIVER_FEATURES_SEL, 1);
	wr(regs, REG_DRIVER_FEATURES, want >> 32);
	wr(regs, REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
	if (!(rd(regs, REG_STATUS) & STATUS_FEATURES_OK))
		return errorf(err, errlen, "virtio device at 0x%lx refused features 0x%lx", base, want);

	for (int n = 0; n < nqueues && n < HOST_MAX_QUEUES; n++)
		if (setup_queue(d, n, err, errlen))
			return -1;
	wr(regs, REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
	return 0;
}

static void publish(struct host_virtio *d, int n, u16 head)
{
	struct host_queue *q = &d->q[n];
	q->avail->ring[q->avail_idx % q->size] = head;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* descriptors before the index */
	q->avail_idx++;
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* index before the notification */
	wr(d->regs, REG_QUEUE_NOTIFY, n);
}

int host_virtio_request_on(struct host_virtio *d, int n, const struct host_seg *segs, int nsegs,
			   u32 *written)
{
	struct host_queue *q = &d->q[n];
	if (nsegs <= 0 || nsegs > q->size)
		return -1;
	spin_lock(&d->lock);
	/* One request at a time: descriptors 0..n-1 are free whenever we get here. */
	for (int i = 0; i < nsegs; i++) {
		q->desc[i].addr = segs[i].addr;
		q->desc[i].len = segs[i].len;
		q->desc[i].flags = (i + 1 < nsegs ? DESC_F_NEXT : 0) | (segs[i].write ? DESC_F_WRITE : 0);
		q->desc[i].next = i + 1 < nsegs ? i + 1 : 0;
	}
	publish(d, n, 0);
	u16 want = q->used_seen + 1;
	while (__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != want) {
		if (rd(d->regs, REG_STATUS) & (STATUS_NEEDS_RESET | STATUS_FAILED)) {
			spin_unlock(&d->lock);
			return -1;
		}
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*written = q->used->ring[q->used_seen % q->size].len;
	q->used_seen = want;
	d->requests++;
	spin_unlock(&d->lock);
	return 0;
}

int host_virtio_request(struct host_virtio *d, const struct host_seg *segs, int n, u32 *written)
{
	return host_virtio_request_on(d, 0, segs, n, written);
}

void host_virtio_post(struct host_virtio *d, int n, u16 id, u64 addr, u32 len)
{
	struct host_queue *q = &d->q[n];
	q->desc[id] = (struct vring_desc){addr, len, DESC_F_WRITE, 0};
	publish(d, n, id);
}

bool host_virtio_take(struct host_virtio *d, int n, u16 *id, u32 *len)
{
	struct host_queue *q = &d->q[n];
	if (__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) == q->used_seen)
		return false;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	struct vring_used_elem e = q->used->ring[q->used_seen % q->size];
	q->used_seen++;
	*id = e.id;
	*len = e.len;
	return true;
}

static int slot_of(u64 base)
{
	for (int i = 0; i < platform.nvirtio; i++)
		if (platform.virtio[i].base == base)
			return i;
	return -1;
}

int host_virtio_reserve(u64 base, char *err, size_t errlen)
{
	static struct spinlock claim_lock;
	static bool claimed[MAX_VIRTIO_SLOTS];
	int slot = slot_of(base);
	if (slot < 0)
		return errorf(err, errlen, "0x%lx is not one of the platform's virtio-mmio slots", base);
	spin_lock(&claim_lock);
	bool taken = claimed[slot];
	claimed[slot] = true;
	spin_unlock(&claim_lock);
	if (taken)
		return errorf(err, errlen, "the platform's virtio slot 0x%lx is already in use", base);
	return 0;
}

struct host_virtio *host_virtio_claim(u64 base, u32 device_id, u64 features, int nqueues,
				      char *err, size_t errlen)
{
	if (slot_of(base) < 0) {
		errorf(err, errlen, "0x%lx is not one of the platform's virtio-mmio slots", base);
		return NULL;
	}
	int id = host_virtio_probe(base);
	if (id != (int)device_id) {
		errorf(err, errlen, "the platform's virtio slot 0x%lx holds device type %d, not %u%s",
		       base, id, device_id, id == 0 ? " (empty: add a QEMU -device)" : "");
		return NULL;
	}
	if (host_virtio_reserve(base, err, errlen))
		return NULL;
	struct host_virtio *d = mm_alloc(sizeof(*d), 8);
	if (!d) {
		errorf(err, errlen, "no memory");
		return NULL;
	}
	if (host_virtio_init(d, base, features, nqueues, err, errlen))
		return NULL;
	return d;
}

u64 host_virtio_config(struct host_virtio *d, u32 off, int width)
{
	volatile u8 *cfg = (volatile u8 *)(uintptr_t)(d->base + REG_CONFIG + off);
	switch (width) {
	case 1: return *cfg;
	case 2: return *(volatile u16 *)cfg;
	case 4: return *(volatile u32 *)cfg;
	default: return *(volatile u32 *)cfg | (u64) * (volatile u32 *)(cfg + 4) << 32;
	}
}

void host_virtio_config_write(struct host_virtio *d, u32 off, int width, u32 val)
{
	volatile u8 *cfg = (volatile u8 *)(uintptr_t)(d->base + REG_CONFIG + off);
	switch (width) {
	case 1: *cfg = (u8)val; break;
	case 2: *(volatile u16 *)cfg = (u16)val; break;
	default: *(volatile u32 *)cfg = val; break;
	}
}
