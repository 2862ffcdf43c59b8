/*
 * virtio-blk for guests (virtio 1.2 §5.2): the front half of a split block
 * driver.  Requests come off the guest's virtqueue and go to a backend: a
 * disk image in host RAM, or the platform's own virtio-blk (QEMU -drive),
 * which rvhv drives itself (virtio/host.c) with the guest's buffers, so the
 * guest's writes reach the host's image file.
 */
#ifndef RVHV_VIRTIO_BLK_H
#define RVHV_VIRTIO_BLK_H

#include "virtio/host.h"
#include "virtio/mmio.h"

#define VIRTIO_ID_BLOCK 2
#define SECTOR_SIZE 512
#define VIRTIO_BLK_QUEUES 4 /* offered with VIRTIO_BLK_F_MQ */

struct virtio_blk {
	struct virtio_mmio t;
	/* the backend: exactly one of these */
	u8 *ram;               /* RAM image, `sectors` long */
	struct host_virtio *host;
	u64 sectors;
	u64 requests, errors;  /* statistics */
};

/* Fill in the device for `sectors` of backend; the caller initialises the
 * transport with virtio_blk_ops and the device. */
extern const struct virtio_device_ops virtio_blk_ops;

/* Requests of a RAM-backed disk, exported for the host unit tests. */
u8 virtio_blk_ram_request(struct virtio_blk *b, const struct vq_req *req, u32 *written);

#endif
