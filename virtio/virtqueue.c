/*
 * The split virtqueue walker: see virtqueue.h.  Section names are those of
 * the virtio 1.2 specification, §2.7 "Split Virtqueues".
 *
 * Ring layout (all fields little-endian):
 *   descriptor table  16 bytes each: addr u64, len u32, flags u16, next u16
 *   available ring    flags u16, idx u16, ring[num] u16, used_event u16
 *   used ring         flags u16, idx u16, ring[num] {id u32, len u32},
 *                     avail_event u16
 */
#include <string.h>

#include "virtio/virtqueue.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "rings are read in host byte order: little-endian hosts only");

#define AVAIL_IDX 2
#define AVAIL_RING(i) (4 + 2 * (u64)(i))
#define USED_IDX 2
#define USED_RING(i) (4 + 8 * (u64)(i))

struct vq_desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

/* The driver and the device share the rings: full barriers, as the spec's
 * "suitable memory barrier" on both sides (fence rw,rw on RISC-V). */
static void vq_mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* volatile: each shared field is read (or written) exactly once, where the
 * code says so, and never re-read behind our back by the compiler. */
static u16 rd16(const u8 *base, u64 off)
{
	return *(const volatile u16 *)(base + off);
}

static void wr16(u8 *base, u64 off, u16 v)
{
	*(volatile u16 *)(base + off) = v;
}

static void wr32(u8 *base, u64 off, u32 v)
{
	*(volatile u32 *)(base + off) = v;
}

/* map() with the wraparound of gpa + len checked here, not left to it. */
static void *map_range(const struct vq_mem *m, u64 gpa, u64 len)
{
	if (gpa + len < gpa)
		return NULL;
	return m->map(m->ctx, gpa, len);
}

/*
 * Copy one descriptor out of guest memory, once: every decision about it
 * is then taken on the copy.  A table in the ring is 16-byte aligned; an
 * indirect table need not be (the spec sets no alignment for it), so read
 * that one bytewise.
 */
static void desc_load(const u8 *p, struct vq_desc *d)
{
	u64 lo, hi;

	if (IS_ALIGNED((uintptr_t)p, 8)) {
		lo = ((const volatile u64 *)p)[0];
		hi = ((const volatile u64 *)p)[1];
	} else {
		u8 b[16];

		for (int i = 0; i < 16; i++)
			b[i] = ((const volatile u8 *)p)[i];
		memcpy(&lo, b, 8);
		memcpy(&hi, b + 8, 8);
	}
	d->addr = lo;
	d->len = (u32)hi;
	d->flags = (u16)(hi >> 32);
	d->next = (u16)(hi >> 48);
}

int vq_check(struct virtq *q, const struct vq_mem *m)
{
	u32 num = q->num;
	u8 *desc, *avail, *used;

	q->desc_p = q->avail_p = q->used_p = NULL; /* until this check passes */

	/* "Queue Size value is always a power of 2" (§2.7) */
	if (num == 0 || num > VQ_MAX_SIZE || (num & (num - 1)))
		return VQ_ERR_NUM;
	/* §2.7 "Driver Requirements: Virtqueues": desc 16, avail 2, used 4 */
	if (!IS_ALIGNED(q->desc, 16) || !IS_ALIGNED(q->avail, 2) || !IS_ALIGNED(q->used, 4))
		return VQ_ERR_ALIGN;
	desc = map_range(m, q->desc, VQ_DESC_SIZE(num));
	avail = map_range(m, q->avail, VQ_AVAIL_SIZE(num));
	used = map_range(m, q->used, VQ_USED_SIZE(num));
	if (!desc || !avail || !used)
		return VQ_ERR_ADDR;
	q->desc_p = desc;
	q->avail_p = avail;
	q->used_p = used;
	return VQ_OK;
}

/*
 * Append one buffer to the request.  "Message Framing": the driver MUST
 * place device-writable elements after device-readable ones; "The
 * Virtqueue Descriptor Table": a chain is at most 2^32 bytes; we keep the
 * total below 2^32 so that any length of it fits the used ring's u32.
 * A zero-length buffer (which drivers SHOULD NOT make) is kept as an empty
 * segment, but its address must still be in RAM.
 */
static int add_seg(const struct vq_mem *m, struct vq_req *req, const struct vq_desc *d)
{
	bool write = d->flags & VIRTQ_DESC_F_WRITE;
	void *p;

	if (req->nsegs == VQ_MAX_SEGS)
		return VQ_ERR_TOO_LONG;
	if (!write && req->nsegs > 0 && req->segs[req->nsegs - 1].write)
		return VQ_ERR_ORDER;
	p = map_range(m, d->addr, d->len);
	if (!p)
		return VQ_ERR_ADDR;
	if (req->out_len + req->in_len + d->len > 0xffffffffULL)
		return VQ_ERR_LEN;
	req->segs[req->nsegs++] = (struct vq_seg){.ptr = p, .gpa = d->addr, .len = d->len, .write = write};
	if (write)
		req->in_len += d->len;
	else
		req->out_len += d->len;
	return VQ_OK;
}

/*
 * "Indirect Descriptors": only when negotiated; never together with NEXT;
 * the table holds len / 16 descriptors chained from index 0 and may not
 * itself hold an indirect descriptor.  The WRITE flag of the descriptor
 * pointing to the table is ignored, as the device MUST.  Walking more
 * descriptors than the table holds means a loop.
 */
static int walk_indirect(const struct virtq *q, const struct vq_mem *m, const struct vq_desc *ind,
			 struct vq_req *req)
{
	const u8 *table;
	struct vq_desc d;
	u32 n, i = 0;

	if (!q->indirect || (ind->flags & VIRTQ_DESC_F_NEXT) || ind->len == 0 || ind->len % 16)
		return VQ_ERR_INDIRECT;
	table = map_range(m, ind->addr, ind->len);
	if (!table)
		return VQ_ERR_INDIRECT;
	n = ind->len / 16;
	for (u32 steps = 0;; steps++) {
		int err;

		if (steps == n)
			return VQ_ERR_LOOP;
		desc_load(table + 16 * (u64)i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return VQ_ERR_INDIRECT;
		err = add_seg(m, req, &d);
		if (err)
			return err;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return VQ_OK;
		if (d.next >= n)
			return VQ_ERR_INDIRECT;
		i = d.next;
	}
}

/*
 * Follow the chain from `head`.  It may end in one indirect descriptor
 * ("The device MUST handle the case of zero or more normal chained
 * descriptors followed by a single descriptor with INDIRECT").  More than
 * num descriptors means a loop ("Drivers MUST NOT add a descriptor chain
 * longer than 2^32 bytes in total; this implies that loops in the
 * descriptor chain are forbidden").
 */
static int walk_chain(const struct virtq *q, const struct vq_mem *m, u16 head, struct vq_req *req)
{
	const u8 *table = q->desc_p;
	struct vq_desc d;
	u16 i = head;

	req->head = head;
	req->nsegs = 0;
	req->out_len = req->in_len = 0;
	if (!table)
		return VQ_ERR_ADDR;
	if (head >= q->num)
		return VQ_ERR_IDX;
	for (u32 steps = 0;; steps++) {
		int err;

		if (steps == q->num)
			return VQ_ERR_LOOP;
		desc_load(table + 16 * (u64)i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return walk_indirect(q, m, &d, req);
		err = add_seg(m, req, &d);
		if (err)
			return err;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return VQ_OK;
		if (d.next >= q->num)
			return VQ_ERR_IDX;
		i = d.next;
	}
}

/*
 * "Available Buffer Notification Suppression" with EVENT_IDX: the driver
 * notifies when it fills avail ring entry avail_event.  Pointing it at
 * last_avail asks for a notification for the very next buffer; pointing it
 * one behind puts it 65535 entries away, which is as close to "never" as
 * the mechanism gets.  The barrier orders this store before our next load
 * of avail->idx, pairing with the driver's barrier between its idx store
 * and its avail_event load ("Notifying The Device"): one of the two sides
 * then sees the other's update, so no buffer is left without a notice.
 */
static void publish_avail_event(const struct virtq *q, u8 *used)
{
	u16 ev = q->no_notify ? (u16)(q->last_avail - 1) : q->last_avail;

	wr16(used, USED_RING(q->num), ev);
	vq_mb();
}

bool vq_pending(const struct virtq *q)
{
	if (!q->ready)
		return false;
	return q->avail_p && rd16(q->avail_p, AVAIL_IDX) != q->last_avail;
}

int vq_pop(struct virtq *q, const struct vq_mem *m, struct vq_req *req)
{
	u8 *avail, *used;
	u16 idx, pending, head;
	int err;

	if (!q->ready)
		return VQ_EMPTY;
	avail = q->avail_p;
	used = q->used_p;
	if (!avail || !used)
		return VQ_ERR_ADDR;
	idx = rd16(avail, AVAIL_IDX);
	/* idx is free-running and wraps at 65536 ("Updating idx"); the driver
	 * can be at most num entries ahead of us, as the ring holds num. */
	pending = (u16)(idx - q->last_avail);
	if (pending == 0)
		return VQ_EMPTY;
	if (pending > q->num)
		return VQ_ERR_IDX;
	/* Pairs with the driver's barrier before its idx update ("Updating
	 * idx"): the ring entry and the descriptors are read after idx. */
	vq_mb();
	head = rd16(avail, AVAIL_RING(q->last_avail & (q->num - 1)));
	err = walk_chain(q, m, head, req);
	if (err)
		return err;
	q->last_avail++;
	if (q->event_idx)
		publish_avail_event(q, used);
	return VQ_OK;
}

void vq_push(struct virtq *q, u16 head, u32 written)
{
	u8 *used;
	u64 e;

	/* A stopped queue's memory is the driver's again: never write it. */
	if (!q->ready)
		return;
	used = q->used_p;
	if (!used)
		return;
	e = USED_RING(q->used_idx & (q->num - 1));
	wr32(used, e, head);
	wr32(used, e + 4, written);
	/* "The device MUST set len prior to updating the used idx" */
	vq_mb();
	q->used_idx++;
	wr16(used, USED_IDX, q->used_idx);
}

/*
 * "Used Buffer Notification Suppression": without EVENT_IDX, flags bit 0
 * asks for no interrupt.  With it, the driver wants one when the device
 * writes used ring entry used_event, i.e. when used_event is one of the
 * entries old_used_idx .. used_idx - 1 just written (mod 65536).
 */
bool vq_need_interrupt(const struct virtq *q, u16 old_used_idx)
{
	const u8 *avail;
	u16 used_event;

	if (!q->ready || q->used_idx == old_used_idx)
		return false;
	avail = q->avail_p;
	if (!avail)
		return false;
	/* Our used->idx store before the driver's flags or used_event: the
	 * mirror image of "Notifying The Device". */
	vq_mb();
	if (!q->event_idx)
		return !(rd16(avail, 0) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	used_event = rd16(avail, AVAIL_RING(q->num));
	return (u16)(used_event - old_used_idx) < (u16)(q->used_idx - old_used_idx);
}

/*
 * "Available Buffer Notification Suppression": without EVENT_IDX, flags
 * 0 or VIRTQ_USED_F_NO_NOTIFY; with it, flags stays 0 (the device MUST)
 * and avail_event says when to notify next.
 */
void vq_set_notifications(struct virtq *q, bool enable)
{
	u8 *used;

	q->no_notify = !enable;
	if (!q->ready)
		return;
	used = q->used_p;
	if (!used)
		return;
	if (q->event_idx) {
		publish_avail_event(q, used);
	} else {
		wr16(used, 0, enable ? 0 : VIRTQ_USED_F_NO_NOTIFY);
		vq_mb();
	}
}

u64 vq_req_read(const struct vq_req *req, u64 off, void *buf, u64 len)
{
	u64 done = 0;

	for (int i = 0; i < req->nsegs && !req->segs[i].write && done < len; i++) {
		const struct vq_seg *s = &req->segs[i];
		u64 n;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off < len - done ? s->len - off : len - done;
		memcpy((u8 *)buf + done, (const u8 *)s->ptr + off, n);
		done += n;
		off = 0;
	}
	return done;
}

u64 vq_req_write(const struct vq_req *req, u64 off, const void *buf, u64 len)
{
	u64 done = 0;

	for (int i = 0; i < req->nsegs && done < len; i++) {
		const struct vq_seg *s = &req->segs[i];
		u64 n;

		if (!s->write)
			continue;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off < len - done ? s->len - off : len - done;
		memcpy((u8 *)s->ptr + off, (const u8 *)buf + done, n);
		done += n;
		off = 0;
	}
	return done;
}

const char *vq_strerror(int err)
{
	switch (err) {
	case VQ_OK:
		return "ok";
	case VQ_EMPTY:
		return "queue empty";
	case VQ_ERR_ADDR:
		return "virtqueue or buffer outside guest RAM";
	case VQ_ERR_LOOP:
		return "descriptor loop";
	case VQ_ERR_LEN:
		return "descriptor chain longer than 4 GiB";
	case VQ_ERR_TOO_LONG:
		return "too many descriptors in a chain";
	case VQ_ERR_INDIRECT:
		return "bad indirect descriptor";
	case VQ_ERR_ORDER:
		return "device-readable descriptor after a device-writable one";
	case VQ_ERR_IDX:
		return "ring index out of range";
	case VQ_ERR_ALIGN:
		return "misaligned virtqueue";
	case VQ_ERR_NUM:
		return "bad queue size";
	}
	return "unknown virtqueue error";
}
