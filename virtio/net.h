/*
 * virtio-net for guests (virtio 1.2 §5.1) and the switch that connects the
 * VMs' network devices (the seeds' VNIF: a front-end in each guest, the
 * back-end in the hypervisor).  A frame a guest transmits is copied into
 * the inbound queue of every port it is for (by destination MAC; broadcast
 * and unknown destinations to all others); each receiving VM moves queued
 * frames into its own receive virtqueue under its own device lock, so two
 * VMs sending to each other never wait on each other.
 */
#ifndef RVHV_VIRTIO_NET_H
#define RVHV_VIRTIO_NET_H

#include "kernel/spinlock.h"
#include "virtio/mmio.h"

#define VIRTIO_ID_NET 1
#define NET_MAX_FRAME 1514 /* Ethernet without FCS, no VLAN tag */
#define NET_INBOUND 32     /* frames a port holds for its guest */
#define NET_MAX_PORTS 8

struct virtio_net {
	struct virtio_mmio t; /* keep first */
	u8 mac[6];
	/* inbound frames, filled by the switch, drained by net_deliver */
	struct spinlock in_lock;
	u16 in_head, in_count;
	u16 in_len[NET_INBOUND];
	u8 in_frame[NET_INBOUND][NET_MAX_FRAME];
	/* ask the owner to call net_deliver soon (another hart may call it) */
	void (*kick)(void *ctx);
	void *kick_ctx;
	u64 tx_frames, rx_frames, dropped; /* statistics */
};

extern const struct virtio_device_ops virtio_net_ops;

/*
 * The switch's uplink: the platform's virtio-net (QEMU -netdev user or a
 * socket), driven by rvhv (virtio/host.c).  Frames for no VM's MAC, and
 * broadcasts, go out through it; what it receives is switched to the VMs.
 * base is the platform's virtio-mmio slot.  0, or -1 with a message.
 */
int net_uplink_attach(u64 base, char *err, size_t errlen);
/* Take frames the uplink received (on rvhv's tick, or by a poller). */
void net_uplink_poll(void);

/* Join the switch; 0, or -1 when it is full. */
int net_attach(struct virtio_net *n);
/* Move inbound frames into the guest's receive buffers, as many as it has
 * posted.  The caller holds the VM's device lock. */
void net_deliver(struct virtio_net *n);
/* Whether frames are waiting for the guest (unlocked peek). */
bool net_has_inbound(const struct virtio_net *n);

#endif
