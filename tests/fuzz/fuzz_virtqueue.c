/*
 * Fuzz target: the split virtqueue walker (virtio/virtqueue.c) against a
 * fake guest RAM whose rings and buffers come from the input.
 *
 * Input: a header (queue size, negotiated features, ring addresses, the
 * device's indices, eight operations), then the initial content of guest
 * RAM.  The operations pop, push (in or out of order), copy data in and out
 * of requests, ask about notifications and play the driver bumping
 * avail->idx.  Checked after each one:
 * - every segment of a request lies in guest RAM and maps where it should;
 *   readable ones come first, lengths add up, the chain is bounded;
 * - the device writes guest RAM only where it may (the used ring and
 *   avail_event, the writable buffers of a request), and never outside it
 *   (poisoned guards, fuzz.h);
 * - vq_pending, vq_pop and vq_need_interrupt agree with the ring state.
 */
#include "tests/fuzz/fuzz.h"

#include "virtio/virtqueue.h"

#define RAM_BASE 0x10000ULL
#define RAM_SIZE 8192
#define NOPS 8
#define NHELD 4

static struct fake_ram ram;
static u8 before[RAM_SIZE];  /* guest RAM before an operation */
static bool allowed[RAM_SIZE]; /* bytes the operation may change */

static void allow(u64 gpa, u64 len)
{
	CHECK(gpa >= RAM_BASE && gpa - RAM_BASE <= RAM_SIZE && len <= RAM_SIZE - (gpa - RAM_BASE));
	memset(allowed + (gpa - RAM_BASE), 1, len);
}

static void op_begin(void)
{
	memcpy(before, ram.mem, RAM_SIZE);
	memset(allowed, 0, sizeof(allowed));
}

static void op_end(void)
{
	if (!memcmp(before, ram.mem, RAM_SIZE))
		return;
	for (size_t i = 0; i < RAM_SIZE; i++)
		if (before[i] != ram.mem[i] && !allowed[i]) {
			fprintf(stderr, "guest RAM changed at 0x%llx\n",
				(unsigned long long)(RAM_BASE + i));
			CHECK(!"device wrote where it may not");
		}
}

static u16 ram16(u64 gpa)
{
	u16 v;

	memcpy(&v, ram.mem + (gpa - RAM_BASE), 2);
	return v;
}

static void check_req(const struct virtq *q, const struct vq_req *req)
{
	u64 out = 0, in = 0;

	CHECK(req->head < q->num);
	CHECK(req->nsegs >= 1 && req->nsegs <= VQ_MAX_SEGS);
	/* Without indirect tables a chain visits each descriptor at most once. */
	if (!q->indirect)
		CHECK(req->nsegs <= q->num);
	for (int i = 0; i < req->nsegs; i++) {
		const struct vq_seg *s = &req->segs[i];

		CHECK(s->gpa >= RAM_BASE && s->gpa - RAM_BASE <= RAM_SIZE);
		CHECK(s->len <= RAM_SIZE - (s->gpa - RAM_BASE));
		CHECK((u8 *)s->ptr == ram.mem + (s->gpa - RAM_BASE));
		CHECK(ram_holds(&ram, s->ptr, s->len));
		if (i > 0 && req->segs[i - 1].write)
			CHECK(s->write); /* device-readable after device-writable */
		if (s->write)
			in += s->len;
		else
			out += s->len;
	}
	CHECK(out == req->out_len && in == req->in_len);
	CHECK(out + in <= 0xffffffffULL);
}

/* vq_pop, checked; true when it took a request. */
static bool do_pop(struct virtq *q, const struct vq_mem *m, struct vq_req *req)
{
	struct virtq old = *q;
	bool pending = vq_pending(q);
	int rc;

	if (q->event_idx)
		allow(q->used + 4 + 8 * (u64)q->num, 2); /* avail_event */
	rc = vq_pop(q, m, req);
	CHECK(pending == (rc != VQ_EMPTY));
	CHECK(q->used_idx == old.used_idx && q->num == old.num && q->ready == old.ready);
	if (rc != VQ_OK) {
		CHECK(rc == VQ_EMPTY || (rc < 0 && rc >= VQ_ERR_NUM));
		CHECK(q->last_avail == old.last_avail);
		CHECK(strcmp(vq_strerror(rc), "unknown virtqueue error"));
		return false;
	}
	CHECK(q->last_avail == (u16)(old.last_avail + 1));
	check_req(q, req);
	if (q->event_idx)
		CHECK(ram16(q->used + 4 + 8 * (u64)q->num) ==
		      (u16)(q->no_notify ? q->last_avail - 1 : q->last_avail));
	return true;
}

static void do_push(struct virtq *q, const struct vq_mem *m, u16 head, u32 written)
{
	u16 old = q->used_idx;
	u64 e = q->used + 4 + 8 * (u64)(old & (q->num - 1));

	allow(q->used + 2, 2);
	allow(e, 8);
	vq_push(q, head, written);
	CHECK(q->used_idx == (u16)(old + 1));
	CHECK(ram16(q->used + 2) == q->used_idx);
	CHECK(ram16(e) == head && ram16(e + 4) == (u16)written);
}

static void do_need_interrupt(const struct virtq *q, const struct vq_mem *m, u16 back)
{
	u16 old = q->used_idx - back, ev = ram16(q->avail + 4 + 2 * (u64)q->num);
	bool want;

	if (back == 0)
		want = false;
	else if (!q->event_idx)
		want = !(ram16(q->avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	else /* vring_need_event() of the spec's example code */
		want = (u16)(q->used_idx - ev - 1) < (u16)(q->used_idx - old);
	CHECK(vq_need_interrupt(q, old) == want);
}

static void do_notifications(struct virtq *q, const struct vq_mem *m, bool enable)
{
	u64 ev = q->used + 4 + 8 * (u64)q->num;

	allow(q->used, 2);
	allow(ev, 2);
	vq_set_notifications(q, enable);
	CHECK(q->no_notify == !enable);
	if (q->event_idx)
		CHECK(ram16(ev) == (u16)(enable ? q->last_avail : q->last_avail - 1));
	else
		CHECK(ram16(q->used) == (enable ? 0 : VIRTQ_USED_F_NO_NOTIFY));
}

/* What a copy of len bytes at off into or out of total bytes moves. */
static u64 copied(u64 total, u64 off, u64 len)
{
	if (off >= total)
		return 0;
	return total - off < len ? total - off : len;
}

/* Copy through a request: reads give the readable bytes past off, writes
 * land only in its writable buffers. */
static void do_copy(const struct vq_req *req, u8 arg)
{
	static u8 buf[RAM_SIZE];
	u64 off = (u64)(arg & 3) * 9, len = (u64)(arg >> 2) * 150;

	CHECK(vq_req_read(req, off, buf, len) == copied(req->out_len, off, len));
	for (int i = 0; i < req->nsegs; i++)
		if (req->segs[i].write)
			allow(req->segs[i].gpa, req->segs[i].len);
	memset(buf, 0x5a, len);
	CHECK(vq_req_write(req, off, buf, len) == copied(req->in_len, off, len));
}

/* The driver makes n more buffers available (whatever the ring holds). */
static void driver_bump(const struct virtq *q, u16 n)
{
	u16 idx = ram16(q->avail + 2) + n;

	allow(q->avail + 2, 2);
	memcpy(ram.mem + (q->avail + 2 - RAM_BASE), &idx, 2);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct input in = {data, size};
	struct vq_mem m = {ram_map, &ram};
	struct virtq q = {0};
	static struct vq_req req, held[NHELD];
	int nheld = 0;
	u8 ops[NOPS], b, flags;

	if (!ram.alloc)
		ram_init(&ram, RAM_BASE, RAM_SIZE);
	b = in_u8(&in);
	q.num = (b & 0x80) ? in_u16(&in) : 1u << (b & 7);
	flags = in_u8(&in);
	q.event_idx = flags & 1;
	q.indirect = flags & 2;
	q.no_notify = flags & 4;
	/* Ring addresses from a little below guest RAM to a little above it. */
	q.desc = RAM_BASE - 256 + in_u16(&in) % (RAM_SIZE + 512);
	q.avail = RAM_BASE - 256 + in_u16(&in) % (RAM_SIZE + 512);
	q.used = RAM_BASE - 256 + in_u16(&in) % (RAM_SIZE + 512);
	q.last_avail = in_u16(&in);
	q.used_idx = in_u16(&in);
	for (int i = 0; i < NOPS; i++)
		ops[i] = in_u8(&in);
	memset(ram.mem, 0, RAM_SIZE);
	memcpy(ram.mem, in.p, in.n < RAM_SIZE ? in.n : RAM_SIZE);

	/* The transport enables only a queue that passes vq_check. */
	if (vq_check(&q, &m) != VQ_OK) {
		CHECK(vq_pop(&q, &m, &req) == VQ_EMPTY);
		return 0;
	}
	q.ready = true;
	for (int i = 0; i < NOPS; i++) {
		u8 arg = ops[i] >> 3;

		op_begin();
		switch (ops[i] & 7) {
		case 0: /* pop and complete at once */
			if (do_pop(&q, &m, &req))
				do_push(&q, &m, req.head, (u32)req.in_len);
			break;
		case 1: /* pop and hold: completions out of order */
			if (nheld < NHELD && do_pop(&q, &m, &held[nheld]))
				nheld++;
			break;
		case 2:
			if (nheld > 0) {
				int k = arg % nheld;

				do_push(&q, &m, held[k].head, arg);
				held[k] = held[--nheld];
			}
			break;
		case 3:
			do_need_interrupt(&q, &m, arg);
			break;
		case 4:
			do_notifications(&q, &m, arg & 1);
			break;
		case 5:
			CHECK(vq_pending(&q) == (ram16(q.avail + 2) != q.last_avail));
			break;
		case 6:
			driver_bump(&q, arg);
			break;
		case 7:
			if (nheld > 0)
				do_copy(&held[arg % nheld], arg);
			break;
		}
		op_end();
	}
	return 0;
}
