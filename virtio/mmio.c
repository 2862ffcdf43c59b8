/*
 * The virtio-mmio transport: see mmio.h for the register map.  Sections
 * cited are those of the virtio 1.2 specification: §4.2.2 "MMIO Device
 * Register Layout", §4.2.4 "Legacy interface", §2.1 "Device Status Field".
 *
 * Guest contracts this must keep (docs DESIGN.md §5):
 * - xv6 with the legacy transport sets DRIVER_OK before it sets up its
 *   queue, and never writes QueueAlign: a legacy queue goes live when its
 *   QueuePFN is written, whatever the status, with a 4096-byte QueueAlign
 *   by default.
 * - xv6 with the modern transport never writes DriverFeaturesSel = 1, so
 *   it never accepts VERSION_1; FEATURES_OK is granted anyway, as QEMU does.
 */
#include "virtio/mmio.h"

#define BIT64(n) (1ULL << (n))

/* §2.2: bits 24-40 extend the queues and feature negotiation (§6 "Reserved
 * Feature Bits"), 41-49 are reserved.  Of those we implement INDIRECT_DESC
 * and EVENT_IDX (and VERSION_1); a device's other bits there are dropped. */
#define TRANSPORT_FEATURES (BIT64(50) - BIT64(24))
#define RING_FEATURES (BIT64(VIRTIO_F_INDIRECT_DESC) | BIT64(VIRTIO_F_EVENT_IDX))

static u64 offered_features(const struct virtio_mmio *t)
{
	u64 f = t->ops->features & (~TRANSPORT_FEATURES | RING_FEATURES);

	return t->legacy ? f : f | BIT64(VIRTIO_F_VERSION_1);
}

/* "asserted when at least one of the bits described in the description of
 * InterruptStatus is set" (§4.2.3.4); tell set_irq of changes only. */
static void update_irq(struct virtio_mmio *t)
{
	bool level = t->interrupt_status != 0;

	if (level != t->irq_level) {
		t->irq_level = level;
		t->set_irq(t->irq_ctx, level);
	}
}

/* The selected queue, or NULL when QueueSel names none. */
static struct virtq *sel_queue(struct virtio_mmio *t)
{
	return t->queue_sel < t->num_queues ? &t->vq[t->queue_sel] : NULL;
}

static u32 reg_read(struct virtio_mmio *t, u64 off);

/* The register window (virtio_mmio_publish): one register's read, and
 * those that follow the state (the rest are constants). */
static void publish(struct virtio_mmio *t, u32 off)
{
	if (t->window)
		mmio_window_set(t->window, off, 4, reg_read(t, off));
}

static void publish_state(struct virtio_mmio *t)
{
	static const u16 regs[] = {
		VIRTIO_MMIO_DEVICE_FEATURES,	VIRTIO_MMIO_QUEUE_NUM_MAX, VIRTIO_MMIO_QUEUE_PFN,
		VIRTIO_MMIO_QUEUE_READY,	VIRTIO_MMIO_INTERRUPT_STATUS, VIRTIO_MMIO_STATUS,
		VIRTIO_MMIO_CONFIG_GENERATION,
	};
	for (unsigned int i = 0; t->window && i < ARRAY_SIZE(regs); i++)
		publish(t, regs[i]);
}

/*
 * The driver MUST NOT change a queue's size or addresses while it is in
 * use (§4.2.2: QueueReady not zero; §4.2.4: QueuePFN not zero).  Ignoring
 * such writes keeps the ring we checked the ring we walk.
 */
static struct virtq *sel_queue_idle(struct virtio_mmio *t)
{
	struct virtq *q = sel_queue(t);

	if (!q || (t->legacy ? t->legacy_pfn[t->queue_sel] != 0 : q->ready))
		return NULL;
	return q;
}

/* A queue left set-up: fresh indices (the driver zeroed the rings), the
 * negotiated ring features, then the checks of vq_check. */
static void queue_enable(struct virtio_mmio *t, struct virtq *q)
{
	int err;

	if (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return;
	q->last_avail = q->used_idx = 0;
	q->indirect = t->driver_features & BIT64(VIRTIO_F_INDIRECT_DESC);
	q->event_idx = t->driver_features & BIT64(VIRTIO_F_EVENT_IDX);
	err = vq_check(q, &t->mem);
	if (err) {
		virtio_mmio_fail(t, vq_strerror(err));
		return;
	}
	q->ready = true;
	/* A polling device's choice outlives resets: apply it to the new ring. */
	if (q->no_notify)
		vq_set_notifications(q, false);
}

/*
 * §4.2.4: the legacy virtqueue is one block at QueuePFN * GuestPageSize:
 * the descriptor table, the available ring right after it, and the used
 * ring at the next QueueAlign boundary (§2.7 "Legacy Interfaces: A Note on
 * Virtqueue Layout").  Writing 0 stops the queue.
 */
static void write_queue_pfn(struct virtio_mmio *t, u32 pfn)
{
	struct virtq *q = sel_queue(t);
	u32 align;

	if (!q)
		return;
	q->ready = false;
	t->legacy_pfn[t->queue_sel] = pfn;
	if (pfn == 0)
		return;
	align = t->legacy_align[t->queue_sel];
	if (align == 0 || (align & (align - 1))) {
		virtio_mmio_fail(t, "QueueAlign is not a power of two");
		return;
	}
	q->desc = (u64)pfn * t->guest_page_size;
	q->avail = q->desc + VQ_DESC_SIZE(q->num);
	q->used = ALIGN_UP(q->avail + VQ_AVAIL_SIZE(q->num), align);
	queue_enable(t, q);
}

static void write_queue_ready(struct virtio_mmio *t, u32 val)
{
	struct virtq *q = sel_queue(t);

	if (!q)
		return;
	if (!(val & 1))
		q->ready = false;
	else if (!q->ready)
		queue_enable(t, q);
}

/* QueueNum above QueueNumMax or not a power of two: a driver error.  Size
 * 0 keeps the queue from going live (vq_check then fails the device). */
static void write_queue_num(struct virtio_mmio *t, u32 val)
{
	struct virtq *q = sel_queue_idle(t);

	if (!q)
		return;
	if (val == 0 || val > t->queue_max || (val & (val - 1)))
		val = 0;
	q->num = (u16)val;
}

static void set_low(u64 *a, u32 v)
{
	*a = (*a & ~0xffffffffULL) | v;
}

static void set_high(u64 *a, u32 v)
{
	*a = (*a & 0xffffffffULL) | (u64)v << 32;
}

/* §4.2.2 QueueDesc/Driver/Device Low/High: the three ring addresses. */
static void write_queue_addr(struct virtio_mmio *t, u64 off, u32 val)
{
	struct virtq *q = sel_queue_idle(t);

	if (!q)
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		set_low(&q->desc, val);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_high(&q->desc, val);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
		set_low(&q->avail, val);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		set_high(&q->avail, val);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
		set_low(&q->used, val);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		set_high(&q->used, val);
		break;
	}
}

/* §2.2: the driver MUST NOT accept a feature the device did not offer (we
 * drop any it does) nor new ones after FEATURES_OK (we ignore them). */
static void write_driver_features(struct virtio_mmio *t, u32 val)
{
	u64 offer = offered_features(t);

	if (t->status & VIRTIO_STATUS_FEATURES_OK)
		return;
	if (t->drv_features_sel == 0)
		set_low(&t->driver_features, val & (u32)offer);
	else if (t->drv_features_sel == 1)
		set_high(&t->driver_features, val & (u32)(offer >> 32));
}

/*
 * Status 0: reset (§4.2.2: clear InterruptStatus and every queue's ready
 * bit; §4.2.4: every QueuePFN).  Everything the driver set goes back to its
 * initial value; each queue keeps only the device's notification choice.
 */
static void reset_state(struct virtio_mmio *t)
{
	for (int i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++) {
		t->vq[i] = (struct virtq){.num = t->queue_max, .no_notify = t->vq[i].no_notify};
		t->legacy_align[i] = PAGE_SIZE;
		t->legacy_pfn[i] = 0;
	}
	t->status = 0;
	t->dev_features_sel = t->drv_features_sel = t->queue_sel = 0;
	t->driver_features = 0;
	t->guest_page_size = PAGE_SIZE;
	t->interrupt_status = 0;
	t->fail_reason = NULL;
	update_irq(t);
	publish_state(t);
}

void virtio_mmio_reset(struct virtio_mmio *t)
{
	reset_state(t);
	if (t->ops->reset)
		t->ops->reset(t->dev);
}

/* Non-zero values set status flags; DEVICE_NEEDS_RESET is the device's
 * and stays until the reset. */
static void write_status(struct virtio_mmio *t, u32 val)
{
	u32 old = t->status;

	if (val == 0) {
		virtio_mmio_reset(t);
		return;
	}
	t->status = (val & 0xff & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET) |
		    (old & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	if (!(old & VIRTIO_STATUS_DRIVER_OK) && (t->status & VIRTIO_STATUS_DRIVER_OK) &&
	    t->ops->driver_ok)
		t->ops->driver_ok(t->dev);
}

static void write_queue_notify(struct virtio_mmio *t, u32 val)
{
	/* Without VIRTIO_F_NOTIFICATION_DATA the value is the queue index
	 * (§4.2.3.3); a notification for a queue not live is ignored. */
	if (val < t->num_queues && virtio_mmio_queue_live(t, (int)val))
		t->ops->notify(t->dev, (int)val);
}

/* Out of line: register reads, the frequent accesses, then need no stack. */
static __attribute__((noinline)) void reg_write(struct virtio_mmio *t, u64 off, u32 val)
{
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		t->dev_features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		write_driver_features(t, val);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		t->drv_features_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		t->queue_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		write_queue_num(t, val);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* what the device changes, it publishes (notify_used, fail) */
		write_queue_notify(t, val);
		return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		t->interrupt_status &= ~val;
		update_irq(t);
		publish(t, VIRTIO_MMIO_INTERRUPT_STATUS);
		return;
	case VIRTIO_MMIO_STATUS:
		write_status(t, val);
		break;
	case VIRTIO_MMIO_GUEST_PAGE_SIZE:
		if (t->legacy)
			t->guest_page_size = val;
		break;
	case VIRTIO_MMIO_QUEUE_ALIGN:
		if (t->legacy && sel_queue_idle(t))
			t->legacy_align[t->queue_sel] = val;
		break;
	case VIRTIO_MMIO_QUEUE_PFN:
		if (t->legacy)
			write_queue_pfn(t, val);
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (!t->legacy)
			write_queue_ready(t, val);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW ... VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		if (!t->legacy)
			write_queue_addr(t, off, val);
		break;
	}
	publish_state(t);
}

static u32 reg_read(struct virtio_mmio *t, u64 off)
{
	struct virtq *q = sel_queue(t);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return t->legacy ? 1 : 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return t->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (t->dev_features_sel > 1)
			return 0;
		return (u32)(offered_features(t) >> (32 * t->dev_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? t->queue_max : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return t->interrupt_status;
	case VIRTIO_MMIO_STATUS:
		return t->status;
	}
	if (t->legacy)
		return off == VIRTIO_MMIO_QUEUE_PFN && q ? t->legacy_pfn[t->queue_sel] : 0;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_READY:
		return q && q->ready;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return t->config_generation;
	/* §4.2.2: a nonexistent shared memory region has length and base -1 */
	case VIRTIO_MMIO_SHM_LEN_LOW ... VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffff;
	}
	return 0;
}

/*
 * §4.2.2: config space "is accessed with byte alignment"; the driver uses
 * aligned accesses of the field's width (32-bit halves for 64-bit fields).
 * A modern transport also takes 8-byte ones; legacy drivers read bytes.
 */
static __attribute__((noinline)) int config_access(struct virtio_mmio *t, u32 off,
						   struct mmio_access *acc)
{
	u8 w = acc->width;
	u64 val = 0;
	int err = 0;

	if (!(w == 1 || w == 2 || w == 4 || (w == 8 && !t->legacy)) || off % w)
		return -1;
	if (acc->write)
		return t->ops->config_write ? t->ops->config_write(t->dev, off, w, acc->value) : 0;
	if (t->ops->config_read)
		err = t->ops->config_read(t->dev, off, w, &val);
	acc->value = w == 8 ? val : val & ((1ULL << (8 * w)) - 1);
	return err;
}

int virtio_mmio_access(void *opaque, u64 off, struct mmio_access *acc)
{
	struct virtio_mmio *t = opaque;

	if (off >= VIRTIO_MMIO_CONFIG)
		return config_access(t, (u32)(off - VIRTIO_MMIO_CONFIG), acc);
	/* "The driver MUST only use 32 bit wide and aligned reads and writes
	 * to access the control registers" (§4.2.2) */
	if (acc->width != 4 || off % 4)
		return -1;
	if (acc->write)
		reg_write(t, off, (u32)acc->value);
	else
		acc->value = reg_read(t, off);
	return 0;
}

void virtio_mmio_init(struct virtio_mmio *t, bool legacy, const struct virtio_device_ops *ops,
		      void *dev, struct vq_mem mem, void (*set_irq)(void *, bool), void *irq_ctx)
{
	*t = (struct virtio_mmio){
		.legacy = legacy,
		.ops = ops,
		.dev = dev,
		.mem = mem,
		.set_irq = set_irq,
		.irq_ctx = irq_ctx,
		.num_queues = ops->num_queues < VIRTIO_MMIO_MAX_QUEUES ? ops->num_queues
								   : VIRTIO_MMIO_MAX_QUEUES,
		.queue_max = ops->queue_max < VQ_MAX_SIZE ? ops->queue_max : VQ_MAX_SIZE,
	};
	reset_state(t);
}

/* §2.1.2: "The device MUST NOT ... send any used buffer notifications to
 * the driver before DRIVER_OK" (a legacy driver may run queues earlier). */
void virtio_mmio_notify_used(struct virtio_mmio *t)
{
	if (t->status == 0 || (!t->legacy && !(t->status & VIRTIO_STATUS_DRIVER_OK)))
		return;
	t->interrupt_status |= VIRTIO_MMIO_INT_VRING;
	update_irq(t);
	publish(t, VIRTIO_MMIO_INTERRUPT_STATUS);
}

/* §2.5: a new generation whenever the driver could see a torn config. */
void virtio_mmio_config_changed(struct virtio_mmio *t)
{
	t->config_generation++;
	publish(t, VIRTIO_MMIO_CONFIG_GENERATION);
	if (!(t->status & VIRTIO_STATUS_DRIVER_OK))
		return;
	t->interrupt_status |= VIRTIO_MMIO_INT_CONFIG;
	update_irq(t);
	publish(t, VIRTIO_MMIO_INTERRUPT_STATUS);
}

void virtio_mmio_fail(struct virtio_mmio *t, const char *why)
{
	if (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return;
	t->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	t->fail_reason = why;
	for (int i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		t->vq[i].ready = false;
	/* §2.1.2: "If DRIVER_OK is set, after it sets DEVICE_NEEDS_RESET, the
	 * device MUST send a device configuration change notification" */
	if (t->status & VIRTIO_STATUS_DRIVER_OK) {
		t->interrupt_status |= VIRTIO_MMIO_INT_CONFIG;
		update_irq(t);
	}
	publish_state(t);
}

bool virtio_mmio_queue_live(const struct virtio_mmio *t, int q)
{
	if (q < 0 || q >= t->num_queues || !t->vq[q].ready ||
	    (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
		return false;
	return t->legacy || (t->status & VIRTIO_STATUS_DRIVER_OK);
}

void virtio_mmio_publish(struct virtio_mmio *t, struct mmio_window *w)
{
	t->window = w;
	for (u32 off = 0; off < VIRTIO_MMIO_CONFIG; off += 4)
		publish(t, off);
}
