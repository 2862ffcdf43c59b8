/*
 * virtio-rng for guests (virtio 1.2 §5.4): entropy requests forwarded, with
 * the guest's own buffers, to the platform's virtio-rng (QEMU
 * -device virtio-rng-device), which rvhv drives (virtio/host.c).
 */
#ifndef RVHV_VIRTIO_RNG_H
#define RVHV_VIRTIO_RNG_H

#include "virtio/host.h"
#include "virtio/mmio.h"

#define VIRTIO_ID_RNG 4

struct virtio_rng {
	struct virtio_mmio t;
	struct host_virtio *host;
	u64 requests, bytes;
};

extern const struct virtio_device_ops virtio_rng_ops;

#endif
