/* virtio-blk for guests (see blk.h). */
#include "virtio/blk.h"

#include <string.h>

#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20

struct blk_header {
	u32 type, reserved;
	u64 sector;
};

/* The data part of a request: readable bytes after the header (OUT) or
 * writable bytes before the status byte (IN). */
static u64 data_len(const struct vq_req *req, u32 type)
{
	return type == VIRTIO_BLK_T_OUT ? req->out_len - sizeof(struct blk_header) : req->in_len - 1;
}

static bool in_range(const struct virtio_blk *b, u64 sector, u64 len)
{
	u64 n = len / SECTOR_SIZE;
	return len % SECTOR_SIZE == 0 && sector <= b->sectors && n <= b->sectors - sector;
}

u8 virtio_blk_ram_request(struct virtio_blk *b, const struct vq_req *req, u32 *written)
{
	struct blk_header h;
	vq_req_read(req, 0, &h, sizeof(h));
	u64 len = data_len(req, h.type);
	*written = 0;
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
		if (!in_range(b, h.sector, len))
			return VIRTIO_BLK_S_IOERR;
		*written = vq_req_write(req, 0, b->ram + h.sector * SECTOR_SIZE, len);
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_OUT:
		if (!in_range(b, h.sector, len))
			return VIRTIO_BLK_S_IOERR;
		vq_req_read(req, sizeof(h), b->ram + h.sector * SECTOR_SIZE, len);
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_FLUSH:
		return VIRTIO_BLK_S_OK; /* RAM: nothing to write back */
	case VIRTIO_BLK_T_GET_ID: {
		static const char id[VIRTIO_BLK_ID_BYTES] = "rvhv-ramdisk";
		*written = vq_req_write(req, 0, id, len < sizeof(id) ? len : sizeof(id));
		return VIRTIO_BLK_S_OK;
	}
	}
	return VIRTIO_BLK_S_UNSUPP;
}

/*
 * Zero-copy to the platform's disk: the guest's own segments (host-physical:
 * guest RAM is contiguous and rvhv runs untranslated) become the host
 * request.  The chain's shape was checked, so the real device sees a
 * well-formed request; whatever sector it names is on this VM's own disk.
 */
static int host_request(struct virtio_blk *b, const struct vq_req *req, u32 *written)
{
	struct host_seg segs[VQ_MAX_SEGS];
	int n = 0;
	for (int i = 0; i < req->nsegs; i++) {
		if (req->segs[i].len == 0)
			continue;
		segs[n++] = (struct host_seg){(u64)(uintptr_t)req->segs[i].ptr, req->segs[i].len,
					      req->segs[i].write};
	}
	return host_virtio_request(b->host, segs, n, written);
}

static void put_status(const struct vq_req *req, u8 status)
{
	vq_req_write(req, req->in_len - 1, &status, 1);
}

/* One request; returns the bytes written for the used ring. */
static u32 handle(struct virtio_blk *b, const struct vq_req *req)
{
	struct blk_header h;
	u32 written = 0;
	b->requests++;
	/* A header to read and a status byte to write, at least (§5.2.6). */
	if (req->out_len < sizeof(h) || req->in_len < 1) {
		b->errors++;
		if (req->in_len)
			put_status(req, VIRTIO_BLK_S_IOERR);
		return req->in_len ? 1 : 0;
	}
	vq_req_read(req, 0, &h, sizeof(h));
	if (b->host && (h.type == VIRTIO_BLK_T_IN || h.type == VIRTIO_BLK_T_OUT ||
			h.type == VIRTIO_BLK_T_FLUSH || h.type == VIRTIO_BLK_T_GET_ID)) {
		if (host_request(b, req, &written) == 0)
			return written;
		b->errors++;
		put_status(req, VIRTIO_BLK_S_IOERR);
		return 1;
	}
	u8 status = b->ram ? virtio_blk_ram_request(b, req, &written) : VIRTIO_BLK_S_UNSUPP;
	if (status != VIRTIO_BLK_S_OK)
		b->errors++;
	put_status(req, status);
	return written + 1;
}

static void blk_notify(void *dev, int queue)
{
	struct virtio_blk *b = dev;
	struct virtq *q = &b->t.vq[queue];
	struct vq_req req;
	u16 old = q->used_idx;
	int r;
	while ((r = vq_pop(q, &b->t.mem, &req)) == VQ_OK)
		vq_push(q, req.head, handle(b, &req));
	if (r != VQ_EMPTY)
		virtio_mmio_fail(&b->t, vq_strerror(r));
	if (q->used_idx != old && vq_need_interrupt(q, old))
		virtio_mmio_notify_used(&b->t);
}

/*
 * Configuration space (§5.2.4): capacity (le64 at 0) and, for
 * VIRTIO_BLK_F_MQ, num_queues (le16 at 34).  The fields between belong to
 * features we do not offer and read as 0.
 */
#define BLK_CFG_NUM_QUEUES 34

static int blk_config_read(void *dev, u32 off, u8 width, u64 *val)
{
	struct virtio_blk *b = dev;
	u8 cfg[BLK_CFG_NUM_QUEUES + 2] = {0};
	u16 nq = b->t.num_queues;
	memcpy(cfg, &b->sectors, sizeof(b->sectors));
	memcpy(cfg + BLK_CFG_NUM_QUEUES, &nq, sizeof(nq));
	*val = 0;
	if (off + width <= sizeof(cfg))
		memcpy(val, cfg + off, width);
	return 0;
}

const struct virtio_device_ops virtio_blk_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.features = (1UL << VIRTIO_BLK_F_FLUSH) | (1UL << VIRTIO_BLK_F_MQ) |
		    (1UL << VIRTIO_F_INDIRECT_DESC) | (1UL << VIRTIO_F_EVENT_IDX),
	/* Linux uses one per CPU, up to these; with virtio_blk.poll_queues= it
	 * polls some of them, interrupts off (docs/virtio.md). */
	.num_queues = VIRTIO_BLK_QUEUES,
	.queue_max = 128,
	.config_read = blk_config_read,
	.notify = blk_notify,
};
