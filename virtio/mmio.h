/*
 * The virtio-mmio transport (virtio 1.2 §4.2): the register file a guest
 * driver sees, in its modern form (Version 2, §4.2.2) or the legacy one
 * (Version 1, QueuePFN, §4.2.4), over one device model and the split
 * virtqueues of virtio/virtqueue.h.  Pure C: the hypervisor registers
 * virtio_mmio_access on its MMIO bus, wires set_irq to a vPLIC line, and
 * serialises every call on one transport (the vCPU path holds the VM's
 * device lock; a poller must take it too).
 *
 * Register map (32-bit accesses only; anything else in 0x000-0x0ff reads 0
 * and ignores writes, as do registers of the other version):
 *   0x000 MagicValue "virt"      0x040 QueuePFN (legacy)
 *   0x004 Version 2, or 1        0x044 QueueReady (modern)
 *   0x008 DeviceID               0x050 QueueNotify
 *   0x00c VendorID "QEMU"        0x060 InterruptStatus
 *   0x010 DeviceFeatures         0x064 InterruptACK
 *   0x014 DeviceFeaturesSel      0x070 Status
 *   0x020 DriverFeatures         0x080 QueueDescLow, 0x084 High (modern)
 *   0x024 DriverFeaturesSel      0x090 QueueDriverLow, 0x094 High (modern)
 *   0x028 GuestPageSize (legacy) 0x0a0 QueueDeviceLow, 0x0a4 High (modern)
 *   0x030 QueueSel               0x0ac-0x0bc shared memory: none (modern)
 *   0x034 QueueNumMax            0x0fc ConfigGeneration (modern)
 *   0x038 QueueNum               0x100+ device configuration space,
 *   0x03c QueueAlign (legacy)           widths 1, 2, 4 (and 8, modern)
 */
#ifndef RVHV_VIRTIO_MMIO_H
#define RVHV_VIRTIO_MMIO_H

#include "kernel/mmio.h"
#include "virtio/virtqueue.h"

#define VIRTIO_MMIO_MAX_QUEUES 8
#define VIRTIO_MMIO_SIZE 0x200 /* registers and 256 bytes of config space */

#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_GUEST_PAGE_SIZE 0x028
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_ALIGN 0x03c
#define VIRTIO_MMIO_QUEUE_PFN 0x040
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_SEL 0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW 0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW 0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH 0x0bc
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

#define VIRTIO_MMIO_MAGIC 0x74726976  /* "virt" */
/* "QEMU": every xv6 vintage refuses a disk with another VendorID. */
#define VIRTIO_MMIO_VENDOR 0x554d4551

/* InterruptStatus bits (§4.2.2) */
#define VIRTIO_MMIO_INT_VRING 1
#define VIRTIO_MMIO_INT_CONFIG 2

/* Device status bits (§2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* Transport feature bits (§6) the transport implements */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

struct virtio_device_ops {
	u32 device_id;
	/* The device type's feature bits (0-23, 50-63).  Of bits 24-49 only
	 * INDIRECT_DESC and EVENT_IDX pass (set them to offer them); the
	 * transport adds VERSION_1 when modern. */
	u64 features;
	u16 num_queues; /* at most VIRTIO_MMIO_MAX_QUEUES */
	u16 queue_max;  /* QueueNumMax: a power of two, at most VQ_MAX_SIZE */
	/* Config space at 0x100 (off counts from there), naturally aligned
	 * accesses of width 1, 2, 4 (or 8, modern); little-endian fields.
	 * Return 0, or -1 to fault the guest's access.  Optional: without
	 * them the space reads 0 and ignores writes. */
	int (*config_read)(void *dev, u32 off, u8 width, u64 *val);
	int (*config_write)(void *dev, u32 off, u8 width, u64 val);
	/* The driver wrote QueueNotify for a live queue (required). */
	void (*notify)(void *dev, int queue);
	/* Device reset, after the transport's own: every queue is already
	 * stopped, so vq_push on it does nothing.  Optional. */
	void (*reset)(void *dev);
	/* The driver set DRIVER_OK.  Optional. */
	void (*driver_ok)(void *dev);
};

struct virtio_mmio {
	/* wiring */
	bool legacy; /* Version 1 (QueuePFN) instead of 2 */
	const struct virtio_device_ops *ops;
	void *dev;
	struct vq_mem mem;
	void (*set_irq)(void *ctx, bool level);
	void *irq_ctx;
	u16 num_queues, queue_max; /* ops' values, clamped */
	/* registers */
	u32 status, dev_features_sel, drv_features_sel, queue_sel;
	u32 guest_page_size, interrupt_status, config_generation;
	u64 driver_features; /* accepted by the driver, masked by the offer */
	struct virtq vq[VIRTIO_MMIO_MAX_QUEUES];
	u32 legacy_align[VIRTIO_MMIO_MAX_QUEUES], legacy_pfn[VIRTIO_MMIO_MAX_QUEUES];
	bool irq_level;          /* what was last told to set_irq */
	const char *fail_reason; /* why DEVICE_NEEDS_RESET was set, for the log */
	struct mmio_window *window; /* the registers' reads published there, or NULL */
};

/*
 * Reset state (ops->reset is not called).  ops, mem.map and set_irq are
 * required; set_irq is called only when the line changes level.
 */
void virtio_mmio_init(struct virtio_mmio *t, bool legacy, const struct virtio_device_ops *ops,
		      void *dev, struct vq_mem mem, void (*set_irq)(void *, bool), void *irq_ctx);
/* The reset the driver asks for by writing Status 0, the device's included
 * (also what the VM's reset does). */
void virtio_mmio_reset(struct virtio_mmio *t);
/* An mmio_ops access function (kernel/mmio.h): 32-bit registers, config
 * space of any width the ops allow; -1 faults the guest's access. */
int virtio_mmio_access(void *t, u64 off, struct mmio_access *acc);
/* A used buffer notification: InterruptStatus bit 0 and the line.  Call it
 * when vq_need_interrupt says so. */
void virtio_mmio_notify_used(struct virtio_mmio *t);
/* The device changed its config space: new ConfigGeneration, and an
 * interrupt (bit 1) once DRIVER_OK is set. */
void virtio_mmio_config_changed(struct virtio_mmio *t);
/* A device error (a malformed queue, a backend failure): DEVICE_NEEDS_RESET,
 * every queue stopped until the driver resets the device, and a config
 * change interrupt when DRIVER_OK is set (§2.1.2).  `why` (a static string)
 * is kept in fail_reason for the caller to log; the first one wins. */
void virtio_mmio_fail(struct virtio_mmio *t, const char *why);
/* Whether the device may process queue q: it is enabled and checked, the
 * device has not failed, and DRIVER_OK is set (modern; a legacy queue is
 * live from its QueuePFN on: legacy drivers may use it before DRIVER_OK). */
bool virtio_mmio_queue_live(const struct virtio_mmio *t, int q);
/* Publish every register's read (0x000-0x0fc: they have no side effects)
 * in w (kernel/mmio.h) and keep them true there; config space is not. */
void virtio_mmio_publish(struct virtio_mmio *t, struct mmio_window *w);

#endif
