/*
 * A small virtio-mmio driver for the test guests: the driver side of the
 * transport (virtio 1.2 §4.2.3; legacy Version 1 per §4.2.4), one split
 * virtqueue (§2.7) and block requests (§5.2.6).  Guests run with paging
 * off, so a buffer's address is its guest-physical address.
 *
 * Completions are found by polling the used ring with a deadline.  With
 * virtio_irq_enable the wait also sleeps until an interrupt, and the
 * device's interrupts are taken through the PLIC (the hart's S-mode
 * context), acknowledged in InterruptACK and counted, so a guest can check
 * that they arrive.
 *
 * Every call that touches the rings works on descriptors the caller
 * chooses: a test may build any chain it likes, well-formed or not.
 */
#ifndef GUEST_VIRTIO_H
#define GUEST_VIRTIO_H

#include "guest.h"

/* QEMU virt's eight virtio-mmio slots; slot n (from 0) raises PLIC IRQ n + 1. */
#define VIRTIO_SLOT0 0x10001000UL
#define VIRTIO_SLOT_SIZE 0x1000UL
#define VIRTIO_NSLOTS 8

/* Registers (§4.2.2; legacy-only ones from §4.2.4) */
#define VIRTIO_MAGIC_VALUE 0x000
#define VIRTIO_VERSION 0x004
#define VIRTIO_DEVICE_ID 0x008
#define VIRTIO_VENDOR_ID 0x00c
#define VIRTIO_DEVICE_FEATURES 0x010
#define VIRTIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_DRIVER_FEATURES 0x020
#define VIRTIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_GUEST_PAGE_SIZE 0x028 /* legacy */
#define VIRTIO_QUEUE_SEL 0x030
#define VIRTIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_QUEUE_NUM 0x038
#define VIRTIO_QUEUE_ALIGN 0x03c /* legacy */
#define VIRTIO_QUEUE_PFN 0x040   /* legacy */
#define VIRTIO_QUEUE_READY 0x044
#define VIRTIO_QUEUE_NOTIFY 0x050
#define VIRTIO_INTERRUPT_STATUS 0x060
#define VIRTIO_INTERRUPT_ACK 0x064
#define VIRTIO_STATUS 0x070
#define VIRTIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_CONFIG 0x100

#define VIRTIO_MAGIC 0x74726976 /* "virt" */

/* Device status (§2.1) */
#define VIRTIO_S_ACKNOWLEDGE 1
#define VIRTIO_S_DRIVER 2
#define VIRTIO_S_DRIVER_OK 4
#define VIRTIO_S_FEATURES_OK 8
#define VIRTIO_S_NEEDS_RESET 64
#define VIRTIO_S_FAILED 128

/* InterruptStatus (§4.2.2) */
#define VIRTIO_INT_USED 1
#define VIRTIO_INT_CONFIG 2

/* Feature bits (§6, §5.2.3) */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_CFG_NUM_QUEUES 34 /* le16 in the configuration, with MQ */
#define VIRTIO_FEATURE(bit) (1ULL << (bit))

/* Descriptor and ring flags (§2.7.5, §2.7.6, §2.7.8) */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

/* Ring sizes with the event fields (§2.7).  A legacy queue is one block:
 * descriptors, the available ring, then the used ring at the next 4096
 * boundary (§2.7.2 legacy layout), which VIRTQ_RING_BYTES allows for. */
#define VIRTQ_DESC_BYTES(n) (16UL * (n))
#define VIRTQ_AVAIL_BYTES(n) (6UL + 2UL * (n))
#define VIRTQ_USED_BYTES(n) (6UL + 8UL * (n))
#define VIRTQ_ALIGN_UP(x, a) (((x) + (a)-1) & ~((unsigned long)(a)-1))
#define VIRTQ_RING_BYTES(n) \
	(VIRTQ_ALIGN_UP(VIRTQ_DESC_BYTES(n) + VIRTQ_AVAIL_BYTES(n), 4096) + VIRTQ_USED_BYTES(n))

struct virtio_dev {
	uintptr_t base;
	uint32_t version;   /* 1 legacy, 2 modern */
	uint32_t device_id;
	uint32_t irq;       /* PLIC source, 0 while virtio_irq_enable was not called */
	uint64_t offered;   /* DeviceFeatures */
	uint64_t features;  /* what the driver accepted */
	uint16_t queue;     /* the virtqueue driven: 0 unless set after virtio_bind */
	uint16_t qsize;
	volatile struct virtq_desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[qsize], used_event */
	volatile uint16_t *used;  /* flags, idx, then elements; avail_event at the end */
	uint16_t avail_idx;       /* next free avail ring entry (our copy of avail->idx) */
	uint16_t kicked_idx;      /* avail_idx at the last notification decision */
	uint16_t used_idx;        /* next used ring entry to consume */
	unsigned long used_irqs, config_irqs; /* interrupts taken, by InterruptStatus bit */
	bool quiet; /* ask for no used-buffer interrupts (virtq_kick) */
};

static inline uint32_t virtio_read(const struct virtio_dev *d, uint32_t off)
{
	return *(volatile uint32_t *)(d->base + off);
}

static inline void virtio_write(const struct virtio_dev *d, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(d->base + off) = v;
}

static inline uint32_t virtio_status(const struct virtio_dev *d)
{
	return virtio_read(d, VIRTIO_STATUS);
}

/* Magic, Version and DeviceID at base; false unless the magic matches. */
bool virtio_probe(uintptr_t base, uint32_t *version, uint32_t *device_id);

/* Bind d to the device at base (reads Version and DeviceID; keeps the
 * interrupt set-up of an earlier bind). */
void virtio_bind(struct virtio_dev *d, uintptr_t base);

/* Write Status 0 and check it reads back 0 (§4.2.3.1); false if not. */
bool virtio_reset(struct virtio_dev *d);

/*
 * §3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, accept want & offered (and
 * VERSION_1 on a modern device), then FEATURES_OK, read back (modern).
 * Returns 0, or -1 with the reason in why.
 */
int virtio_negotiate(struct virtio_dev *d, uint64_t want, const char **why);

/*
 * Queue d->queue with qsize entries in ring_mem (4096-aligned, VIRTQ_RING_BYTES
 * long, zeroed here), the legacy layout on both transports: legacy through
 * GuestPageSize 4096 and QueuePFN (QueueAlign left at its default 4096),
 * modern through the 64-bit ring addresses and QueueReady.  0, or -1.
 */
int virtio_queue_setup(struct virtio_dev *d, uint16_t qsize, void *ring_mem, const char **why);

/* Modern only: queue d->queue at any three addresses the caller gives, zeroed
 * where they are in RAM the caller named (no checks: for hostile tests). */
void virtio_queue_setup_raw(struct virtio_dev *d, uint16_t qsize, uint64_t desc, uint64_t avail,
			    uint64_t used);

/* Set DRIVER_OK (§3.1.1 step 8). */
void virtio_driver_ok(struct virtio_dev *d);

/* negotiate + queue_setup + driver_ok. */
int virtio_init(struct virtio_dev *d, uint64_t want, uint16_t qsize, void *ring_mem,
		const char **why);

/*
 * Take the device's interrupts on PLIC source irq, in the S-mode context of
 * this hart (2 * hart + 1, as on QEMU virt); the library then owns the
 * guest's interrupt callback (trap_on_interrupt).  Interrupts stay masked
 * in sstatus except for an instant in each wait, which sleeps with wfi
 * between polls, and in virtio_irq_poll.
 */
void virtio_irq_enable(struct virtio_dev *d, uint32_t irq);
/* Take the interrupts pending at this hart now, counting and acknowledging
 * each device's (used_irqs, config_irqs). */
void virtio_irq_poll(void);

/* Descriptors first .. first + n - 1 chained in order, one per buffer. */
struct virtio_buf {
	uint64_t addr;
	uint32_t len;
	bool write; /* device-writable */
};
void virtq_chain(struct virtio_dev *d, uint16_t first, const struct virtio_buf *b, int n);

/* Put head in the next available ring entry and publish avail->idx. */
void virtq_submit(struct virtio_dev *d, uint16_t head);
/* Notify the device unless it asked not to be (§2.7.10, §2.7.7 with
 * EVENT_IDX).  Before that, ask for an interrupt at the next used entry
 * (used_event with EVENT_IDX, else avail flags 0), or with d->quiet for
 * none (used_event one behind, or VIRTQ_AVAIL_F_NO_INTERRUPT).  Returns
 * whether it wrote QueueNotify. */
bool virtq_kick(struct virtio_dev *d);

enum virtio_wait {
	VIRTIO_DONE = 0,        /* the used entries arrived */
	VIRTIO_NEEDS_RESET = 1, /* the device set DEVICE_NEEDS_RESET instead */
	VIRTIO_TIMEOUT = 2,
	VIRTIO_BAD = 3, /* virtio_blk_request: too many buffers, or a used entry not ours */
};
/* Wait until n used entries past the last one taken are there. */
enum virtio_wait virtq_wait(struct virtio_dev *d, uint16_t n, unsigned long ms);
/* Take the next used entry; false when there is none. */
bool virtq_pop_used(struct virtio_dev *d, uint32_t *id, uint32_t *len);
const char *virtio_wait_str(enum virtio_wait w);

/* ---- virtio-blk (§5.2) */

#define VIRTIO_ID_BLOCK 2
#define VIRTIO_BLK_SECTOR 512
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20

struct virtio_blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* capacity (le64 at config offset 0) in 512-byte sectors, read in two
 * 32-bit halves; a modern device's ConfigGeneration guards against tearing. */
uint64_t virtio_blk_capacity(struct virtio_dev *d);

#define VIRTIO_BLK_MAX_BUFS 16

/*
 * One request and its wait: a header, the data buffers (at most
 * VIRTIO_BLK_MAX_BUFS; each says whether the device writes it) and the
 * status byte, as a chain from descriptor 0, or as one indirect table when indirect is set.  Returns the
 * status byte (0..255; 0xff if the device never wrote it), or
 * -(enum virtio_wait) when no completion came; *used_len (if not NULL) gets
 * the used entry's len.
 */
int virtio_blk_request(struct virtio_dev *d, uint32_t type, uint64_t sector,
		       const struct virtio_buf *data, int n, bool indirect, uint32_t *used_len);

#endif
