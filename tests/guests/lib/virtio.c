/*
 * The test guests' virtio-mmio driver (see virtio.h).  Section numbers are
 * those of the virtio 1.2 specification.
 */
#include "virtio.h"

#define PLIC 0x0c000000UL
#define PLIC_PRIORITY(irq) (PLIC + 4 * (irq))
#define PLIC_ENABLE(ctx, irq) (PLIC + 0x2000 + 0x80 * (ctx) + 4 * ((irq) / 32))
#define PLIC_THRESHOLD(ctx) (PLIC + 0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx) (PLIC_THRESHOLD(ctx) + 4)
#define SIE_SEIE (1UL << 9)
#define IRQ_S_EXT 9
#define POLL_TICK_MS 10 /* a wait sleeping on interrupts still polls this often */

/* Ring field offsets in u16 units (§2.7.6, §2.7.8). */
#define AVAIL_IDX 1
#define AVAIL_RING(i) (2 + (i))
#define USED_IDX 1
#define USED_ELEM(d, i) ((volatile struct virtq_used_elem *)((d)->used + 2) + (i))
#define USED_AVAIL_EVENT(d) ((d)->used[2 + 4 * (d)->qsize])

static void mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void reg32_write(unsigned long addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

static uint32_t reg32_read(unsigned long addr)
{
	return *(volatile uint32_t *)addr;
}

bool virtio_probe(uintptr_t base, uint32_t *version, uint32_t *device_id)
{
	struct virtio_dev d = {.base = base};
	if (virtio_read(&d, VIRTIO_MAGIC_VALUE) != VIRTIO_MAGIC)
		return false;
	*version = virtio_read(&d, VIRTIO_VERSION);
	*device_id = virtio_read(&d, VIRTIO_DEVICE_ID);
	return true;
}

void virtio_bind(struct virtio_dev *d, uintptr_t base)
{
	uint32_t irq = d->base == base ? d->irq : 0;
	unsigned long used_irqs = d->used_irqs, config_irqs = d->config_irqs;
	*d = (struct virtio_dev){.base = base, .irq = irq};
	if (irq) {
		d->used_irqs = used_irqs;
		d->config_irqs = config_irqs;
	}
	d->version = virtio_read(d, VIRTIO_VERSION);
	d->device_id = virtio_read(d, VIRTIO_DEVICE_ID);
}

bool virtio_reset(struct virtio_dev *d)
{
	virtio_write(d, VIRTIO_STATUS, 0);
	return virtio_status(d) == 0;
}

int virtio_negotiate(struct virtio_dev *d, uint64_t want, const char **why)
{
	bool modern = d->version == 2;
	if (!virtio_reset(d)) {
		*why = "status did not read 0 after reset";
		return -1;
	}
	virtio_write(d, VIRTIO_STATUS, VIRTIO_S_ACKNOWLEDGE);
	virtio_write(d, VIRTIO_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	virtio_write(d, VIRTIO_DEVICE_FEATURES_SEL, 0);
	d->offered = virtio_read(d, VIRTIO_DEVICE_FEATURES);
	virtio_write(d, VIRTIO_DEVICE_FEATURES_SEL, 1);
	d->offered |= (uint64_t)virtio_read(d, VIRTIO_DEVICE_FEATURES) << 32;
	if (modern) {
		/* §6.1: a modern driver MUST accept VERSION_1 */
		if (!(d->offered & VIRTIO_FEATURE(VIRTIO_F_VERSION_1))) {
			*why = "modern device does not offer VERSION_1";
			return -1;
		}
		want |= VIRTIO_FEATURE(VIRTIO_F_VERSION_1);
	} else {
		want &= 0xffffffffULL; /* legacy: 32 feature bits */
	}
	d->features = want & d->offered;
	virtio_write(d, VIRTIO_DRIVER_FEATURES_SEL, 0);
	virtio_write(d, VIRTIO_DRIVER_FEATURES, (uint32_t)d->features);
	virtio_write(d, VIRTIO_DRIVER_FEATURES_SEL, 1);
	virtio_write(d, VIRTIO_DRIVER_FEATURES, (uint32_t)(d->features >> 32));
	if (!modern)
		return 0; /* legacy has no FEATURES_OK (§3.1.2) */
	virtio_write(d, VIRTIO_STATUS,
		     VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
	if (!(virtio_status(d) & VIRTIO_S_FEATURES_OK)) {
		*why = "device refused FEATURES_OK";
		return -1;
	}
	return 0;
}

/* Our view of a fresh queue: indices at 0, ring pointers set. */
static void queue_attach(struct virtio_dev *d, uint16_t qsize, uint64_t desc, uint64_t avail,
			 uint64_t used)
{
	d->qsize = qsize;
	d->desc = (volatile struct virtq_desc *)(uintptr_t)desc;
	d->avail = (volatile uint16_t *)(uintptr_t)avail;
	d->used = (volatile uint16_t *)(uintptr_t)used;
	d->avail_idx = d->kicked_idx = d->used_idx = 0;
}

int virtio_queue_setup(struct virtio_dev *d, uint16_t qsize, void *ring_mem, const char **why)
{
	uint64_t desc = (uintptr_t)ring_mem;
	uint64_t avail = desc + VIRTQ_DESC_BYTES(qsize);
	uint64_t used = VIRTQ_ALIGN_UP(avail + VIRTQ_AVAIL_BYTES(qsize), 4096);

	virtio_write(d, VIRTIO_QUEUE_SEL, d->queue);
	uint32_t max = virtio_read(d, VIRTIO_QUEUE_NUM_MAX);
	if (max == 0) {
		*why = "QueueNumMax is 0";
		return -1;
	}
	if (qsize > max) {
		*why = "QueueNumMax below the queue size wanted";
		return -1;
	}
	memset(ring_mem, 0, VIRTQ_RING_BYTES(qsize));
	mb();
	queue_attach(d, qsize, desc, avail, used);
	if (d->version == 1) {
		if (virtio_read(d, VIRTIO_QUEUE_PFN) != 0) {
			*why = "QueuePFN not 0 after reset";
			return -1;
		}
		virtio_write(d, VIRTIO_GUEST_PAGE_SIZE, 4096);
		virtio_write(d, VIRTIO_QUEUE_NUM, qsize);
		virtio_write(d, VIRTIO_QUEUE_PFN, (uint32_t)(desc >> 12));
		return 0;
	}
	if (virtio_read(d, VIRTIO_QUEUE_READY) != 0) {
		*why = "QueueReady not 0 after reset";
		return -1;
	}
	virtio_queue_setup_raw(d, qsize, desc, avail, used);
	if (virtio_read(d, VIRTIO_QUEUE_READY) != 1) {
		*why = "QueueReady did not read back 1";
		return -1;
	}
	return 0;
}

void virtio_queue_setup_raw(struct virtio_dev *d, uint16_t qsize, uint64_t desc, uint64_t avail,
			    uint64_t used)
{
	queue_attach(d, qsize, desc, avail, used);
	virtio_write(d, VIRTIO_QUEUE_SEL, d->queue);
	virtio_write(d, VIRTIO_QUEUE_NUM, qsize);
	virtio_write(d, VIRTIO_QUEUE_DESC_LOW, (uint32_t)desc);
	virtio_write(d, VIRTIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	virtio_write(d, VIRTIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
	virtio_write(d, VIRTIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	virtio_write(d, VIRTIO_QUEUE_DEVICE_LOW, (uint32_t)used);
	virtio_write(d, VIRTIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
	mb();
	virtio_write(d, VIRTIO_QUEUE_READY, 1);
}

void virtio_driver_ok(struct virtio_dev *d)
{
	virtio_write(d, VIRTIO_STATUS, virtio_status(d) | VIRTIO_S_DRIVER_OK);
}

int virtio_init(struct virtio_dev *d, uint64_t want, uint16_t qsize, void *ring_mem,
		const char **why)
{
	if (virtio_negotiate(d, want, why) || virtio_queue_setup(d, qsize, ring_mem, why))
		return -1;
	virtio_driver_ok(d);
	if (virtio_status(d) & (VIRTIO_S_NEEDS_RESET | VIRTIO_S_FAILED)) {
		*why = "device error after DRIVER_OK";
		return -1;
	}
	return 0;
}

/* ---- interrupts */

static struct virtio_dev *irq_devs[VIRTIO_NSLOTS];

static unsigned long plic_context(void)
{
	return 2 * hart_id() + 1;
}

/* §4.2.3.4: claim at the PLIC, read InterruptStatus and write what was
 * seen to InterruptACK, complete. */
static void plic_serve(void)
{
	unsigned long ctx = plic_context();
	uint32_t irq;
	while ((irq = reg32_read(PLIC_CLAIM(ctx))) != 0) {
		for (int i = 0; i < VIRTIO_NSLOTS && irq_devs[i]; i++) {
			struct virtio_dev *d = irq_devs[i];
			if (d->irq != irq)
				continue;
			uint32_t is = virtio_read(d, VIRTIO_INTERRUPT_STATUS);
			virtio_write(d, VIRTIO_INTERRUPT_ACK, is);
			d->used_irqs += !!(is & VIRTIO_INT_USED);
			d->config_irqs += !!(is & VIRTIO_INT_CONFIG);
		}
		reg32_write(PLIC_CLAIM(ctx), irq);
	}
}

static bool on_interrupt(struct trap_frame *f)
{
	if (f->scause == (SCAUSE_IRQ | IRQ_S_EXT)) {
		plic_serve();
		return true;
	}
	if (f->scause == (SCAUSE_IRQ | IRQ_S_TIMER)) {
		sbi_set_timer(~0UL); /* a wait's deadline: clears STIP */
		return true;
	}
	return false;
}

void virtio_irq_enable(struct virtio_dev *d, uint32_t irq)
{
	unsigned long ctx = plic_context();
	d->irq = irq;
	trap_on_interrupt(on_interrupt);
	for (int i = 0; i < VIRTIO_NSLOTS; i++) {
		if (irq_devs[i] == d)
			break;
		if (!irq_devs[i]) {
			irq_devs[i] = d;
			break;
		}
	}
	reg32_write(PLIC_PRIORITY(irq), 1);
	reg32_write(PLIC_ENABLE(ctx, irq), reg32_read(PLIC_ENABLE(ctx, irq)) | 1U << (irq % 32));
	reg32_write(PLIC_THRESHOLD(ctx), 0);
}

/*
 * Interrupts are taken only in these windows, with sstatus.SIE set for an
 * instant: an interrupt counts once it reached the hart, not just the PLIC.
 * (sip cannot tell: QEMU 7.2 reads sip.SEIP as 0 in VS-mode even with
 * VSEIP pending.)
 */
void virtio_irq_poll(void)
{
	unsigned long sie = csr_read(sie);
	csr_set(sie, SIE_SEIE);
	csr_set(sstatus, SSTATUS_SIE);
	csr_clear(sstatus, SSTATUS_SIE);
	csr_write(sie, sie);
}

/* Sleep until an interrupt or `until`, then take what is pending: wfi
 * wakes on any interrupt enabled in sie even with sstatus.SIE clear. */
static void irq_sleep(unsigned long until)
{
	unsigned long sie = csr_read(sie);
	csr_clear(sstatus, SSTATUS_SIE);
	csr_set(sie, SIE_SEIE | SIE_STIE);
	sbi_set_timer(until);
	wfi();
	csr_set(sstatus, SSTATUS_SIE);
	csr_clear(sstatus, SSTATUS_SIE);
	sbi_set_timer(~0UL);
	csr_write(sie, sie);
}

/* ---- the virtqueue */

void virtq_chain(struct virtio_dev *d, uint16_t first, const struct virtio_buf *b, int n)
{
	for (int i = 0; i < n; i++) {
		volatile struct virtq_desc *p = &d->desc[first + i];
		p->addr = b[i].addr;
		p->len = b[i].len;
		p->flags = (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) | (b[i].write ? VIRTQ_DESC_F_WRITE : 0);
		p->next = i + 1 < n ? first + i + 1 : 0;
	}
}

/* §2.7.13: the ring entry, a barrier, then the index. */
void virtq_submit(struct virtio_dev *d, uint16_t head)
{
	d->avail[AVAIL_RING(d->avail_idx % d->qsize)] = head;
	mb();
	d->avail_idx++;
	d->avail[AVAIL_IDX] = d->avail_idx;
}

bool virtq_kick(struct virtio_dev *d)
{
	bool notify;
	uint16_t old = d->kicked_idx, now = d->avail_idx;

	d->kicked_idx = now;
	if (d->features & VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX)) {
		/* used_event (§2.7.10): the entry whose use interrupts us */
		d->avail[AVAIL_RING(d->qsize)] = d->quiet ? d->used_idx - 1 : d->used_idx;
		mb(); /* the index before avail_event (§2.7.13.4) */
		uint16_t event = USED_AVAIL_EVENT(d);
		notify = (uint16_t)(now - event - 1) < (uint16_t)(now - old);
	} else {
		d->avail[0] = d->quiet ? VIRTQ_AVAIL_F_NO_INTERRUPT : 0;
		mb();
		notify = !(d->used[0] & VIRTQ_USED_F_NO_NOTIFY);
	}
	if (notify)
		virtio_write(d, VIRTIO_QUEUE_NOTIFY, d->queue);
	return notify;
}

enum virtio_wait virtq_wait(struct virtio_dev *d, uint16_t n, unsigned long ms)
{
	unsigned long deadline = rdtime() + timebase / 1000 * ms;
	for (;;) {
		if ((uint16_t)(d->used[USED_IDX] - d->used_idx) >= n) {
			mb(); /* the elements after the index (§2.7.14) */
			if (d->irq)
				virtio_irq_poll(); /* the interrupt that came with them */
			return VIRTIO_DONE;
		}
		if (virtio_status(d) & VIRTIO_S_NEEDS_RESET)
			return VIRTIO_NEEDS_RESET;
		unsigned long now = rdtime();
		if (now >= deadline)
			return VIRTIO_TIMEOUT;
		if (d->irq) {
			unsigned long tick = now + timebase / 1000 * POLL_TICK_MS;
			irq_sleep(tick < deadline ? tick : deadline);
		}
	}
}

bool virtq_pop_used(struct virtio_dev *d, uint32_t *id, uint32_t *len)
{
	if (d->used[USED_IDX] == d->used_idx)
		return false;
	mb();
	volatile struct virtq_used_elem *e = USED_ELEM(d, d->used_idx % d->qsize);
	*id = e->id;
	*len = e->len;
	d->used_idx++;
	return true;
}

const char *virtio_wait_str(enum virtio_wait w)
{
	switch (w) {
	case VIRTIO_DONE:
		return "done";
	case VIRTIO_NEEDS_RESET:
		return "DEVICE_NEEDS_RESET";
	case VIRTIO_TIMEOUT:
		return "timeout";
	case VIRTIO_BAD:
		return "bad request or used entry";
	}
	return "?";
}

/* ---- virtio-blk */

#define REQ_TIMEOUT_MS 2000

static struct virtio_blk_hdr req_hdr;
static volatile uint8_t req_status;
static struct virtq_desc req_table[VIRTIO_BLK_MAX_BUFS + 2] __attribute__((aligned(16)));

uint64_t virtio_blk_capacity(struct virtio_dev *d)
{
	bool modern = d->version == 2;
	uint32_t gen = 0, lo, hi;
	do {
		if (modern)
			gen = virtio_read(d, VIRTIO_CONFIG_GENERATION);
		lo = virtio_read(d, VIRTIO_CONFIG + 0);
		hi = virtio_read(d, VIRTIO_CONFIG + 4);
	} while (modern && gen != virtio_read(d, VIRTIO_CONFIG_GENERATION));
	return (uint64_t)hi << 32 | lo;
}

int virtio_blk_request(struct virtio_dev *d, uint32_t type, uint64_t sector,
		       const struct virtio_buf *data, int n, bool indirect, uint32_t *used_len)
{
	struct virtio_buf b[VIRTIO_BLK_MAX_BUFS + 2];
	uint32_t id, len;

	if (n > VIRTIO_BLK_MAX_BUFS)
		return -VIRTIO_BAD;
	req_hdr = (struct virtio_blk_hdr){.type = type, .sector = sector};
	req_status = 0xff;
	b[0] = (struct virtio_buf){(uintptr_t)&req_hdr, sizeof(req_hdr), false};
	for (int i = 0; i < n; i++)
		b[i + 1] = data[i];
	b[n + 1] = (struct virtio_buf){(uintptr_t)&req_status, 1, true};
	if (indirect) {
		struct virtio_dev table = {.desc = req_table};
		virtq_chain(&table, 0, b, n + 2);
		d->desc[0] = (struct virtq_desc){(uintptr_t)req_table, 16 * (n + 2),
						 VIRTQ_DESC_F_INDIRECT, 0};
	} else {
		virtq_chain(d, 0, b, n + 2);
	}
	virtq_submit(d, 0);
	virtq_kick(d);
	enum virtio_wait w = virtq_wait(d, 1, REQ_TIMEOUT_MS);
	if (w != VIRTIO_DONE)
		return -(int)w;
	if (!virtq_pop_used(d, &id, &len) || id != 0)
		return -VIRTIO_BAD;
	if (used_len)
		*used_len = len;
	return req_status;
}
