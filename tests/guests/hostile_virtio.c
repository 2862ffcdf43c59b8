/*
 * Malformed virtqueues on the virtio devices other than the disk (whose
 * every case is tests/guests/virtio_hostile.c's): virtio-net, its transmit
 * queue and its receive queue, and virtio-rng, each on both transports.
 * Each queue gets the ring faults of the split virtqueue (virtio 1.2 §2.7):
 * a descriptor loop, a head out of range, a buffer outside RAM, an
 * available index run ahead, a looping indirect table, and a ring outside
 * RAM.  The device must answer each with DEVICE_NEEDS_RESET (§2.1.2), or
 * at queue set-up leave the queue not ready, and after a reset serve a good
 * request again.
 *
 * A NIC walks its receive queue only when a frame arrives for it, so the
 * other NIC of the VM sends one over rvhv's switch (a broadcast: both NICs
 * are the VM's own).  Per queue: `hostile: <queue>: <case>: <what the
 * device did>`, then one check, `virtio@<slot>-<txq|rxq|rng>-rings`.
 */
#include "hostile.h"
#include "virtio.h"

#define QSIZE 8
#define RING_BYTES VIRTQ_ALIGN_UP(VIRTQ_RING_BYTES(QSIZE), 4096)
#define WAIT_MS 500
#define ETHERTYPE 0x88b5 /* IEEE local experimental */
#define FRAME 60
#define RX_BUF (12 + 1514)
#define NET_RXQ 0
#define NET_TXQ 1

enum breakage { LOOP, HEAD, OUTSIDE_RAM, IDX_JUMP, INDIRECT_LOOP, NBREAKAGES };
static const char *const breakage_name[] = {"loop", "head-out-of-range", "buffer-outside-ram",
					    "avail-idx-jump", "indirect-loop"};

/* A queue under test, and for a receive queue the NIC that feeds it. */
enum kind { TXQ, RXQ, RNG };
struct target {
	enum kind kind;
	uintptr_t base;
	uintptr_t sender; /* RXQ */
};

static struct virtio_dev dut, tx;
static uint8_t dut_ring[RING_BYTES] __attribute__((aligned(4096)));
static uint8_t tx_ring[RING_BYTES] __attribute__((aligned(4096)));
static struct virtq_desc table[2] __attribute__((aligned(16)));
static uint8_t buf[RX_BUF] __attribute__((aligned(16)));
static uint8_t frame[12 + FRAME] __attribute__((aligned(16)));

static void desc(int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	dut.desc[i] = (struct virtq_desc){addr, len, flags, next};
}

static bool start(struct virtio_dev *d, uintptr_t base, uint16_t queue, uint8_t *ring,
		  const char **why)
{
	virtio_bind(d, base);
	d->queue = queue;
	return virtio_init(d, VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC), QSIZE, ring, why) == 0;
}

static uint8_t mac_byte(uintptr_t base, int i)
{
	return *(volatile uint8_t *)(base + VIRTIO_CONFIG + i);
}

static uint16_t queue_of(const struct target *t)
{
	return t->kind == TXQ ? NET_TXQ : t->kind == RXQ ? NET_RXQ : 0;
}

/* A broadcast frame from the NIC whose transmit queue d drives. */
static enum virtio_wait send_frame(struct virtio_dev *d)
{
	unsigned hdr = d->version == 1 ? 10 : 12; /* §5.1.6: num_buffers only with VERSION_1 */
	uint32_t id, len;
	memset(frame, 0, sizeof(frame));
	memset(frame + hdr, 0xff, 6);
	for (int i = 0; i < 6; i++)
		frame[hdr + 6 + i] = mac_byte(d->base, i);
	frame[hdr + 12] = ETHERTYPE >> 8;
	frame[hdr + 13] = ETHERTYPE & 0xff;
	struct virtio_buf b = {(uintptr_t)frame, hdr + FRAME, false};
	virtq_chain(d, 0, &b, 1);
	virtq_submit(d, 0);
	virtq_kick(d);
	enum virtio_wait w = virtq_wait(d, 1, WAIT_MS);
	if (w == VIRTIO_DONE)
		virtq_pop_used(d, &id, &len);
	return w;
}

/* Make the device walk its queue: a notification, and for a receive
 * queue a frame from the other NIC. */
static enum virtio_wait poke(const struct target *t, const char **why)
{
	virtq_kick(&dut);
	if (t->kind != RXQ)
		return virtq_wait(&dut, 1, WAIT_MS);
	if (!start(&tx, t->sender, NET_TXQ, tx_ring, why))
		return VIRTIO_BAD;
	if (send_frame(&tx) != VIRTIO_DONE) {
		*why = "the sending NIC failed";
		return VIRTIO_BAD;
	}
	return virtq_wait(&dut, 1, WAIT_MS);
}

/* One broken request on a fresh queue: what the device did with it. */
static enum virtio_wait try_breakage(const struct target *t, enum breakage b, const char **why)
{
	uint16_t flags = t->kind == TXQ ? 0 : VIRTQ_DESC_F_WRITE;
	if (!start(&dut, t->base, queue_of(t), dut_ring, why))
		return VIRTIO_BAD;
	desc(0, (uintptr_t)buf, sizeof(buf), flags, 0);
	switch (b) {
	case LOOP:
		desc(0, (uintptr_t)buf, 16, flags | VIRTQ_DESC_F_NEXT, 1);
		desc(1, (uintptr_t)buf, 16, flags | VIRTQ_DESC_F_NEXT, 0);
		break;
	case HEAD:
		virtq_submit(&dut, QSIZE + 3);
		return poke(t, why);
	case OUTSIDE_RAM:
		desc(0, OUTSIDE, sizeof(buf), flags, 0);
		break;
	case IDX_JUMP:
		dut.avail_idx += QSIZE + 1;
		break;
	case INDIRECT_LOOP:
		table[0] = (struct virtq_desc){(uintptr_t)buf, 16, flags | VIRTQ_DESC_F_NEXT, 1};
		table[1] = (struct virtq_desc){(uintptr_t)buf, 16, flags | VIRTQ_DESC_F_NEXT, 0};
		desc(0, (uintptr_t)table, sizeof(table), VIRTQ_DESC_F_INDIRECT, 0);
		break;
	default:
		break;
	}
	virtq_submit(&dut, 0);
	return poke(t, why);
}

/* The queue's rings outside RAM: refused at set-up. */
static bool ring_outside_ram(const struct target *t, const char **why)
{
	virtio_bind(&dut, t->base);
	dut.queue = queue_of(t);
	if (virtio_negotiate(&dut, 0, why))
		return false;
	if (dut.version == 1) {
		virtio_write(&dut, VIRTIO_QUEUE_SEL, dut.queue);
		virtio_write(&dut, VIRTIO_GUEST_PAGE_SIZE, 4096);
		virtio_write(&dut, VIRTIO_QUEUE_NUM, QSIZE);
		virtio_write(&dut, VIRTIO_QUEUE_PFN, (uint32_t)(OUTSIDE >> 12));
	} else {
		virtio_queue_setup_raw(&dut, QSIZE, OUTSIDE, OUTSIDE + 4096, OUTSIDE + 8192);
		if (virtio_read(&dut, VIRTIO_QUEUE_READY))
			*why = "QueueReady 1 for rings outside RAM";
	}
	if (!(virtio_status(&dut) & VIRTIO_S_NEEDS_RESET) && !*why)
		*why = "no DEVICE_NEEDS_RESET for rings outside RAM";
	return !*why;
}

/* After a reset: a good request, and what it must give back. */
static void good_request(const struct target *t)
{
	const char *why = NULL;
	uint32_t id, len;
	if (!start(&dut, t->base, queue_of(t), dut_ring, &why)) {
		check_why("set-up after a reset: %s", why);
		return;
	}
	if (t->kind == TXQ) {
		enum virtio_wait w = send_frame(&dut);
		if (w != VIRTIO_DONE)
			check_why("a good frame: %s", virtio_wait_str(w));
		return;
	}
	memset(buf, 0, sizeof(buf));
	desc(0, (uintptr_t)buf, t->kind == RXQ ? sizeof(buf) : 32, VIRTQ_DESC_F_WRITE, 0);
	virtq_submit(&dut, 0);
	enum virtio_wait w = poke(t, &why);
	if (w != VIRTIO_DONE || !virtq_pop_used(&dut, &id, &len)) {
		check_why("a good request: %s", why ? why : virtio_wait_str(w));
		return;
	}
	if (t->kind == RNG) {
		if (len == 0 || len > 32)
			check_why("%u random bytes for a 32-byte buffer", len);
		return;
	}
	/* a frame from the other NIC: its header, then broadcast from its MAC */
	unsigned hdr = dut.version == 1 ? 10 : 12;
	if (len != hdr + FRAME || buf[hdr] != 0xff || buf[hdr + 12] != ETHERTYPE >> 8 ||
	    buf[hdr + 6 + 5] != mac_byte(t->sender, 5))
		check_why("received %u bytes, not the other NIC's frame", len);
}

static void test_queue(const struct target *t)
{
	static const char *const kinds[] = {"txq", "rxq", "rng"};
	char name[48];
	const char *why;
	snprintf(name, sizeof(name), "virtio@%lx-%s", (unsigned long)t->base, kinds[t->kind]);
	check_begin();
	for (int b = 0; b < NBREAKAGES; b++) {
		why = NULL;
		enum virtio_wait w = try_breakage(t, b, &why);
		const char *what = why ? why : virtio_wait_str(w);
		printf("hostile: %s: %s: %s\n", name, breakage_name[b], what);
		if (w != VIRTIO_NEEDS_RESET)
			check_why("%s: %s", breakage_name[b], what);
		good_request(t);
	}
	why = NULL;
	bool refused = ring_outside_ram(t, &why);
	printf("hostile: %s: ring-outside-ram: %s\n", name, refused ? "refused" : why);
	if (!refused)
		check_why("ring-outside-ram: %s", why);
	good_request(t);
	virtio_reset(&dut);
	if (t->kind == RXQ)
		virtio_reset(&tx);
	char check[56];
	snprintf(check, sizeof(check), "%s-rings", name);
	check_end(check);
}

void test_virtio_rings(void)
{
	uintptr_t nic[2], rng[2];
	int nnics = 0, nrngs = 0;
	for (uintptr_t base = VIRTIO_SLOT0; base < VIRTIO_SLOT0 + VIRTIO_NSLOTS * VIRTIO_SLOT_SIZE;
	     base += VIRTIO_SLOT_SIZE) {
		uint32_t version, id;
		fault_catch(true);
		fault_reset();
		bool there = virtio_probe(base, &version, &id) && !fault.count;
		fault_catch(false);
		if (there && id == 1 && nnics < 2)
			nic[nnics++] = base;
		if (there && id == 4 && nrngs < 2)
			rng[nrngs++] = base;
	}
	for (int i = 0; i < nnics; i++) {
		test_queue(&(struct target){TXQ, nic[i], 0});
		if (nnics == 2) /* its frames come from the other NIC */
			test_queue(&(struct target){RXQ, nic[i], nic[1 - i]});
	}
	for (int i = 0; i < nrngs; i++)
		test_queue(&(struct target){RNG, rng[i], 0});
	if (!nnics && !nrngs)
		printf("hostile: no virtio-net or virtio-rng, their rings not tried\n");
}
