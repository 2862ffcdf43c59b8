UNIT_TESTS += test_virtqueue test_virtio_mmio
test_virtqueue_SRCS := virtio/virtqueue.c
test_virtio_mmio_SRCS := virtio/mmio.c virtio/virtqueue.c
