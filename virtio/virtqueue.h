/*
 * The device side of a split virtqueue (virtio 1.2 §2.7): take descriptor
 * chains from the available ring, give them back through the used ring, and
 * decide about notifications in both directions.
 *
 * Every ring and buffer lives in guest RAM and is reached only through
 * vq_mem.map, so each guest-physical range is checked before it is touched.
 * Everything the driver writes is read once into a local copy (no double
 * fetch: the guest may change the ring while we walk it), and every walk is
 * bounded.  A malformed queue yields an error value, never a crash; the
 * caller then reports a device error (virtio_mmio_fail), which stops the
 * queue until the driver resets the device.
 *
 * Assumptions: the host and the guest are little-endian (RISC-V, x86 for
 * host tests), so the modern ring format (little-endian) and the legacy one
 * (guest-endian) coincide; map() returns host memory aligned as the guest
 * address is (modulo 16), as a flat guest-RAM mapping does.  Callers
 * serialise all calls on one queue.
 */
#ifndef RVHV_VIRTQUEUE_H
#define RVHV_VIRTQUEUE_H

#include "kernel/types.h"

/* Access to guest memory. */
struct vq_mem {
	/* Host pointer to [gpa, gpa + len) in guest RAM, or NULL when any of
	 * it lies outside (len may be 0).  What it maps stays mapped, at the
	 * same host address, while the memory exists: vq_check maps the rings
	 * once, and the queue keeps their pointers. */
	void *(*map)(void *ctx, u64 gpa, u64 len);
	void *ctx;
};

#define VQ_MAX_SIZE 1024 /* queue sizes we accept (the spec allows 32768) */
#define VQ_MAX_SEGS 64   /* segments in one request, after indirect expansion */

/* §2.7.5, §2.7.6, §2.7.8: flags in descriptors and the two rings. */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

/* Sizes of the three parts, event fields included (§2.7 table). */
#define VQ_DESC_SIZE(num) (16 * (u64)(num))
#define VQ_AVAIL_SIZE(num) (6 + 2 * (u64)(num))
#define VQ_USED_SIZE(num) (6 + 8 * (u64)(num))

struct virtq {
	u16 num;               /* queue size: a power of two, 1..VQ_MAX_SIZE */
	bool ready;            /* checked by vq_check and enabled: vq_pop works */
	u64 desc, avail, used; /* guest-physical addresses of the three parts */
	u8 *desc_p, *avail_p, *used_p; /* their host addresses, set by vq_check */
	u16 last_avail;        /* next avail ring entry the device will take */
	u16 used_idx;          /* the device's copy of used->idx */
	bool event_idx;        /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;         /* VIRTIO_F_INDIRECT_DESC negotiated */
	bool no_notify;        /* the device asked not to be notified (vq_set_notifications) */
};

/* One buffer of a request: ptr maps [gpa, gpa + len). */
struct vq_seg {
	void *ptr;
	u64 gpa;
	u32 len;
	bool write; /* device-writable */
};

/*
 * A descriptor chain, indirect tables expanded: device-readable segments
 * first, then device-writable ones (§2.7.4.2).  out_len and in_len total
 * the readable and the writable bytes; out_len + in_len fits in 32 bits.
 */
struct vq_req {
	u16 head; /* the id to give back to vq_push */
	int nsegs;
	struct vq_seg segs[VQ_MAX_SEGS];
	u64 out_len, in_len;
};

enum vq_error {
	VQ_OK = 0,
	VQ_EMPTY = 1,            /* nothing available */
	VQ_ERR_ADDR = -1,        /* a ring or buffer not (entirely) in guest RAM */
	VQ_ERR_LOOP = -2,        /* a chain longer than its table: a loop */
	VQ_ERR_LEN = -3,         /* the chain's total length does not fit in 32 bits */
	VQ_ERR_TOO_LONG = -4,    /* more than VQ_MAX_SEGS segments */
	VQ_ERR_INDIRECT = -5,    /* a malformed or unnegotiated indirect descriptor */
	VQ_ERR_ORDER = -6,       /* device-readable after device-writable */
	VQ_ERR_IDX = -7,         /* avail->idx ran ahead by more than num, or a head/next >= num */
	VQ_ERR_ALIGN = -8,       /* a misaligned ring */
	VQ_ERR_NUM = -9,         /* queue size not a power of two in 1..VQ_MAX_SIZE */
};

/*
 * Check a queue before enabling it: the size, the alignment of the three
 * parts (desc 16, avail 2, used 4: §2.7) and that each lies in guest RAM.
 * Returns VQ_OK or a VQ_ERR_*.  On VQ_OK the three parts' host addresses
 * are in desc_p, avail_p and used_p (otherwise they are NULL), which every ring access then uses
 * (one map each per request made the translation a fifth of a request's
 * cost); the caller sets ready.
 */
int vq_check(struct virtq *q, const struct vq_mem *m);

/*
 * Take the next available chain into *req.  Returns VQ_OK, VQ_EMPTY (also
 * for a queue that is not ready), or a VQ_ERR_*: then nothing was taken and
 * the queue should be treated as broken.  With event_idx and notifications
 * enabled, avail_event follows last_avail so that the driver notifies for
 * the next buffer it adds.
 */
int vq_pop(struct virtq *q, const struct vq_mem *m, struct vq_req *req);

/* Return chain `head` with `written` bytes written to its writable part,
 * and publish it by advancing used->idx after a barrier (§2.7.8). */
void vq_push(struct virtq *q, u16 head, u32 written);

/*
 * Whether the driver wants a used buffer notification for the entries
 * pushed since used_idx was old_used_idx: VIRTQ_AVAIL_F_NO_INTERRUPT, or
 * used_event with event_idx (§2.7.7).
 */
bool vq_need_interrupt(const struct virtq *q, u16 old_used_idx);

/*
 * Ask the driver for available buffer notifications (enable) or not, as a
 * polling device does (§2.7.10): VIRTQ_USED_F_NO_NOTIFY, or avail_event
 * with event_idx.  A device re-enabling them must call vq_pop again
 * afterwards: a buffer added meanwhile came without a notification.
 */
void vq_set_notifications(struct virtq *q, bool enable);

/* Whether the driver has made buffers available that vq_pop has not taken
 * yet (one read of avail->idx): a poller's cheap check before it locks. */
bool vq_pending(const struct virtq *q);

/* A short description of a VQ_ERR_* value, for logs. */
const char *vq_strerror(int err);

/* Copy up to len bytes at offset off of the request's readable part into
 * buf (one read of guest memory); returns the bytes copied. */
u64 vq_req_read(const struct vq_req *req, u64 off, void *buf, u64 len);
/* Copy len bytes from buf to offset off of the writable part; returns the
 * bytes copied (fewer when the writable part is shorter). */
u64 vq_req_write(const struct vq_req *req, u64 off, const void *buf, u64 len);

#endif
