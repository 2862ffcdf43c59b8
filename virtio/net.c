/* virtio-net and the inter-VM switch (see net.h). */
#include "virtio/net.h"
#include "kernel/lib.h"
#include "kernel/mm.h"
#include "virtio/host.h"

#include <string.h>

#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_S_LINK_UP 1
#define RXQ 0
#define TXQ 1

static struct {
	struct spinlock lock;
	struct virtio_net *ports[NET_MAX_PORTS];
	int nports;
} sw;

#define UPLINK_RX 16     /* receive buffers kept posted to the platform's NIC */
#define UPLINK_HDR 12    /* virtio_net_hdr, modern */
#define UPLINK_RXQ 0
#define UPLINK_TXQ 1

struct uplink {
	struct host_virtio *host;
	struct spinlock lock; /* the receive queue */
	u8 (*rx)[UPLINK_HDR + NET_MAX_FRAME];
	u64 rx_frames, tx_frames;
};
static struct uplink *uplink;

int net_uplink_attach(u64 base, char *err, size_t errlen)
{
	struct uplink *u = mm_alloc(sizeof(*u) + UPLINK_RX * sizeof(*u->rx), 8);
	if (!u)
		return errorf(err, errlen, "uplink: no memory");
	u->rx = (void *)(u + 1);
	u->host = host_virtio_claim(base, VIRTIO_ID_NET, 0, 2, err, errlen);
	if (!u->host)
		return -1;
	for (int i = 0; i < UPLINK_RX; i++)
		host_virtio_post(u->host, UPLINK_RXQ, i, (u64)(uintptr_t)u->rx[i], sizeof(u->rx[i]));
	__atomic_store_n(&uplink, u, __ATOMIC_RELEASE);
	return 0;
}

static void switch_frame(struct virtio_net *from, const u8 *frame, u16 len);

void net_uplink_poll(void)
{
	struct uplink *u = __atomic_load_n(&uplink, __ATOMIC_ACQUIRE);
	u16 id;
	u32 len;
	if (!u)
		return;
	spin_lock(&u->lock);
	while (host_virtio_take(u->host, UPLINK_RXQ, &id, &len)) {
		if (id < UPLINK_RX && len > UPLINK_HDR + 14 && len <= sizeof(u->rx[0])) {
			u->rx_frames++;
			switch_frame(NULL, u->rx[id] + UPLINK_HDR, len - UPLINK_HDR);
		}
		if (id < UPLINK_RX)
			host_virtio_post(u->host, UPLINK_RXQ, id, (u64)(uintptr_t)u->rx[id],
					 sizeof(u->rx[id]));
	}
	spin_unlock(&u->lock);
}

static void uplink_send(const u8 *frame, u16 len)
{
	static const u8 hdr[UPLINK_HDR];
	struct uplink *u = __atomic_load_n(&uplink, __ATOMIC_ACQUIRE);
	u32 written;
	if (!u)
		return;
	struct host_seg segs[2] = {{(u64)(uintptr_t)hdr, UPLINK_HDR, false},
				   {(u64)(uintptr_t)frame, len, false}};
	if (host_virtio_request_on(u->host, UPLINK_TXQ, segs, 2, &written) == 0)
		u->tx_frames++;
}

int net_attach(struct virtio_net *n)
{
	spin_lock(&sw.lock);
	int ok = sw.nports < NET_MAX_PORTS;
	if (ok)
		sw.ports[sw.nports++] = n;
	spin_unlock(&sw.lock);
	return ok ? 0 : -1;
}

/*
 * The header in front of every frame (§5.1.6): 12 bytes with VERSION_1
 * (num_buffers included), 10 for a legacy driver without MRG_RXBUF.  No
 * offloads are offered, so it is all zeroes but num_buffers.
 */
static u32 hdr_len(const struct virtio_net *n)
{
	return n->t.legacy ? 10 : 12;
}

bool net_has_inbound(const struct virtio_net *n)
{
	return __atomic_load_n(&n->in_count, __ATOMIC_ACQUIRE) != 0;
}

static void enqueue(struct virtio_net *to, const u8 *frame, u16 len)
{
	spin_lock(&to->in_lock);
	if (to->in_count == NET_INBOUND) {
		to->dropped++; /* the guest is not taking frames: drop, as a full NIC does */
	} else {
		int slot = (to->in_head + to->in_count) % NET_INBOUND;
		memcpy(to->in_frame[slot], frame, len);
		to->in_len[slot] = len;
		__atomic_store_n(&to->in_count, to->in_count + 1, __ATOMIC_RELEASE);
	}
	spin_unlock(&to->in_lock);
	to->kick(to->kick_ctx);
}

/* Forward a frame from `from` (NULL: the uplink) to the ports it is for. */
static void switch_frame(struct virtio_net *from, const u8 *frame, u16 len)
{
	bool group = frame[0] & 1; /* broadcast or multicast */
	struct virtio_net *to[NET_MAX_PORTS];
	int n = 0, exact = -1;
	spin_lock(&sw.lock);
	for (int i = 0; i < sw.nports; i++) {
		if (sw.ports[i] == from)
			continue;
		if (!group && !memcmp(sw.ports[i]->mac, frame, 6))
			exact = n;
		to[n++] = sw.ports[i];
	}
	spin_unlock(&sw.lock);
	if (exact >= 0) {
		enqueue(to[exact], frame, len);
		return;
	}
	for (int i = 0; i < n; i++) /* broadcast, or an unknown destination: flood */
		enqueue(to[i], frame, len);
	if (from)
		uplink_send(frame, len); /* and out to the platform's network */
}

static void transmit(struct virtio_net *n)
{
	struct virtq *q = &n->t.vq[TXQ];
	struct vq_req req;
	u8 frame[NET_MAX_FRAME];
	u16 old = q->used_idx;
	int e;
	while ((e = vq_pop(q, &n->t.mem, &req)) == VQ_OK) {
		u64 len = req.out_len - hdr_len(n);
		if (req.out_len < hdr_len(n) + 14 || len > NET_MAX_FRAME) {
			n->dropped++; /* runt or oversized frame: a real NIC drops it */
		} else {
			vq_req_read(&req, hdr_len(n), frame, len);
			n->tx_frames++;
			switch_frame(n, frame, len);
		}
		vq_push(q, req.head, 0);
	}
	if (e != VQ_EMPTY)
		virtio_mmio_fail(&n->t, vq_strerror(e));
	if (q->used_idx != old && vq_need_interrupt(q, old))
		virtio_mmio_notify_used(&n->t);
}

void net_deliver(struct virtio_net *n)
{
	struct virtq *q = &n->t.vq[RXQ];
	u16 old = q->used_idx;
	if (!virtio_mmio_queue_live(&n->t, RXQ))
		return;
	while (net_has_inbound(n)) {
		struct vq_req req;
		int e = vq_pop(q, &n->t.mem, &req);
		if (e == VQ_EMPTY)
			break; /* no buffers posted: the frames wait (or are dropped when full) */
		if (e != VQ_OK) {
			virtio_mmio_fail(&n->t, vq_strerror(e));
			return;
		}
		spin_lock(&n->in_lock);
		int slot = n->in_head;
		u16 len = n->in_len[slot];
		u8 hdr[12] = {0};
		hdr[10] = 1; /* num_buffers, modern header */
		u32 written = 0;
		if (req.in_len >= hdr_len(n) + len) {
			written = vq_req_write(&req, 0, hdr, hdr_len(n));
			written += vq_req_write(&req, hdr_len(n), n->in_frame[slot], len);
			n->rx_frames++;
		} else {
			n->dropped++; /* a buffer too small for the frame */
		}
		n->in_head = (n->in_head + 1) % NET_INBOUND;
		__atomic_store_n(&n->in_count, n->in_count - 1, __ATOMIC_RELEASE);
		spin_unlock(&n->in_lock);
		vq_push(q, req.head, written);
	}
	if (q->used_idx != old && vq_need_interrupt(q, old))
		virtio_mmio_notify_used(&n->t);
}

static void net_notify(void *dev, int queue)
{
	struct virtio_net *n = dev;
	if (queue == TXQ)
		transmit(n);
	else
		net_deliver(n); /* new receive buffers: frames may be waiting */
}

static int net_config_read(void *dev, u32 off, u8 width, u64 *val)
{
	struct virtio_net *n = dev;
	u8 cfg[8] = {0};
	memcpy(cfg, n->mac, 6);
	cfg[6] = VIRTIO_NET_S_LINK_UP;
	*val = 0;
	if (off + width <= sizeof(cfg))
		memcpy(val, cfg + off, width);
	return 0;
}

const struct virtio_device_ops virtio_net_ops = {
	.device_id = VIRTIO_ID_NET,
	.features = (1UL << VIRTIO_NET_F_MAC) | (1UL << VIRTIO_NET_F_STATUS) |
		    (1UL << VIRTIO_F_INDIRECT_DESC) | (1UL << VIRTIO_F_EVENT_IDX),
	.num_queues = 2,
	.queue_max = 256,
	.config_read = net_config_read,
	.notify = net_notify,
};
