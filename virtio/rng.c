/* virtio-rng for guests (see rng.h). */
#include "virtio/rng.h"

/* One request: its device-writable segments, filled by the real device. */
static u32 handle(struct virtio_rng *r, const struct vq_req *req)
{
	struct host_seg segs[VQ_MAX_SEGS];
	int n = 0;
	u32 written = 0;
	for (int i = 0; i < req->nsegs; i++)
		if (req->segs[i].write && req->segs[i].len)
			segs[n++] = (struct host_seg){(u64)(uintptr_t)req->segs[i].ptr,
						      req->segs[i].len, true};
	if (n && host_virtio_request(r->host, segs, n, &written))
		written = 0; /* the device failed: nothing was written */
	r->requests++;
	r->bytes += written;
	return written;
}

static void rng_notify(void *dev, int queue)
{
	struct virtio_rng *r = dev;
	struct virtq *q = &r->t.vq[queue];
	struct vq_req req;
	u16 old = q->used_idx;
	int e;
	while ((e = vq_pop(q, &r->t.mem, &req)) == VQ_OK)
		vq_push(q, req.head, handle(r, &req));
	if (e != VQ_EMPTY)
		virtio_mmio_fail(&r->t, vq_strerror(e));
	if (q->used_idx != old && vq_need_interrupt(q, old))
		virtio_mmio_notify_used(&r->t);
}

const struct virtio_device_ops virtio_rng_ops = {
	.device_id = VIRTIO_ID_RNG,
	.features = (1UL << VIRTIO_F_INDIRECT_DESC) | (1UL << VIRTIO_F_EVENT_IDX),
	.num_queues = 1,
	.queue_max = 64,
	.notify = rng_notify,
};
