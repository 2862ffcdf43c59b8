/*
 * rvhv's own driver for the platform's virtio-mmio devices (QEMU's
 * -device virtio-*-device, modern transport): the back end of a split
 * driver.  Requests are handed over as scatter lists of host-physical
 * segments, so guest buffers go to the real device without a copy.
 */
#ifndef RVHV_VIRTIO_HOST_H
#define RVHV_VIRTIO_HOST_H

#include "kernel/spinlock.h"
#include "kernel/types.h"

#define HOST_QUEUE_SIZE 128

struct host_seg {
	u64 addr; /* host-physical */
	u32 len;
	bool write; /* the device writes it */
};

#define HOST_MAX_QUEUES 2

struct host_queue {
	u16 size;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	u16 avail_idx, used_seen;
};

struct host_virtio {
	volatile u32 *regs;
	u64 base;
	u32 device_id;
	u64 features; /* negotiated */
	struct host_queue q[HOST_MAX_QUEUES];
	struct spinlock lock;
	u64 requests; /* statistics */
};

/* The device ID at a virtio-mmio slot (0 = empty slot, -1 = not virtio). */
int host_virtio_probe(u64 base);
/* Bring up the device at base with feature bits `features` (VERSION_1 is
 * added) and its first `nqueues` queues.  0, or -1 with a message in err. */
int host_virtio_init(struct host_virtio *d, u64 base, u64 features, int nqueues, char *err,
		     size_t errlen);
/* Run one request on queue 0 to completion (polling the used ring); returns
 * 0 and the bytes the device wrote, or -1 if the device failed. */
int host_virtio_request(struct host_virtio *d, const struct host_seg *segs, int n, u32 *written);
/* The same on queue q. */
int host_virtio_request_on(struct host_virtio *d, int q, const struct host_seg *segs, int n,
			   u32 *written);
/* Asynchronous use of queue q (one buffer per chain, the caller's lock):
 * post a device-writable buffer with `id`, and take completed ones. */
void host_virtio_post(struct host_virtio *d, int q, u16 id, u64 addr, u32 len);
bool host_virtio_take(struct host_virtio *d, int q, u16 *id, u32 *len);
/*
 * The platform's virtio device at `base` for one user: it must be one of the
 * firmware DTB's virtio-mmio slots, hold a device of type device_id, and not
 * be claimed already.  NULL with a message in err otherwise.
 */
struct host_virtio *host_virtio_claim(u64 base, u32 device_id, u64 features, int nqueues,
				      char *err, size_t errlen);
/* Mark one of the platform's virtio-mmio slots as used (by a VM it is
 * passed through to, or by a claim): 0, or -1 if it is not a slot or is
 * taken already. */
int host_virtio_reserve(u64 base, char *err, size_t errlen);
/* Device configuration space. */
u64 host_virtio_config(struct host_virtio *d, u32 off, int width);
/* Write the device configuration space (widths 1, 2, 4). */
void host_virtio_config_write(struct host_virtio *d, u32 off, int width, u32 val);

#endif
