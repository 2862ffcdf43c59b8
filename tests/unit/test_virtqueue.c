/*
 * Host unit tests for virtio/virtqueue.c: rings laid out by hand in a fake
 * guest RAM, as a driver builds them (virtio 1.2 §2.7), then walked,
 * completed, and fed every malformation the walker must refuse.
 */
#include "tests/unit/unit.h"

#include <stdlib.h>
#include <string.h>

#include "virtio/virtqueue.h"

#define RAM_BASE 0x80000000ULL
#define RAM_SIZE (256 * 1024)
/* A region map() accepts but nothing reads or writes (the walker never
 * touches buffer contents): room for lengths no test can allocate. */
#define HUGE_BASE 0x4000000000ULL
#define HUGE_SIZE (16ULL << 30)

/* Where the test driver puts things (room for num up to 1024). */
#define DESC (RAM_BASE + 0x0000)
#define AVAIL (RAM_BASE + 0x4000)
#define USED (RAM_BASE + 0x5000)
#define IND (RAM_BASE + 0x8000) /* indirect tables */
#define BUF (RAM_BASE + 0x10000)

#define F_NEXT VIRTQ_DESC_F_NEXT
#define F_WRITE VIRTQ_DESC_F_WRITE
#define F_IND VIRTQ_DESC_F_INDIRECT

/* A descriptor as the driver writes it (§2.7.5). */
struct tdesc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

static u8 *ram;
static u8 huge_dummy[16];
static struct vq_mem mem;
static struct virtq q;
static struct vq_req req;
static u16 drv_idx; /* the driver's avail->idx */

static void *fake_map(void *ctx, u64 gpa, u64 len)
{
	assert_ptr_equal(ctx, &ram);
	/* Naive about wraparound on purpose: the walker must never ask. */
	assert_true(gpa + len >= gpa);
	if (gpa >= RAM_BASE && gpa + len <= RAM_BASE + RAM_SIZE)
		return ram + (gpa - RAM_BASE);
	if (gpa >= HUGE_BASE && gpa + len <= HUGE_BASE + HUGE_SIZE)
		return huge_dummy;
	return NULL;
}

/* Host address of guest RAM, for the test's own accesses. */
static void *g(u64 gpa)
{
	assert_true(gpa >= RAM_BASE && gpa < RAM_BASE + RAM_SIZE);
	return ram + (gpa - RAM_BASE);
}

static u16 *g16(u64 gpa)
{
	return g(gpa);
}

static u32 *g32(u64 gpa)
{
	return g(gpa);
}

/* A queue of num entries at DESC, AVAIL, USED, not checked yet. */
static void queue_at(u16 num)
{
	q = (struct virtq){.num = num, .desc = DESC, .avail = AVAIL, .used = USED};
}

/* A queue as the transport enables one: vq_check, then ready. */
static void use_queue(u16 num)
{
	queue_at(num);
	assert_int_equal(vq_check(&q, &mem), VQ_OK);
	q.ready = true;
}

static int setup(void **state)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	assert_non_null(ram);
	memset(ram, 0, RAM_SIZE);
	mem = (struct vq_mem){.map = fake_map, .ctx = &ram};
	memset(&req, 0xa5, sizeof(req));
	drv_idx = 0;
	use_queue(8);
	return 0;
}

static int teardown(void **state)
{
	free(ram);
	return 0;
}

static void set_desc_in(u64 table, u16 i, u64 addr, u32 len, u16 flags, u16 next)
{
	struct tdesc d = {.addr = addr, .len = len, .flags = flags, .next = next};

	memcpy(g(table + 16 * (u64)i), &d, sizeof(d));
}

static void set_desc(u16 i, u64 addr, u32 len, u16 flags, u16 next)
{
	set_desc_in(DESC, i, addr, len, flags, next);
}

/* Make chain `head` available and publish the new avail->idx. */
static void offer(u16 head)
{
	*g16(AVAIL + 4 + 2 * (u64)(drv_idx % q.num)) = head;
	drv_idx++;
	*g16(AVAIL + 2) = drv_idx;
}

static u16 used_idx(void)
{
	return *g16(USED + 2);
}

static u32 used_id(u16 slot)
{
	return *g32(USED + 4 + 8 * (u64)slot);
}

static u32 used_len(u16 slot)
{
	return *g32(USED + 4 + 8 * (u64)slot + 4);
}

static u16 *used_event(void)
{
	return g16(AVAIL + 4 + 2 * (u64)q.num);
}

static u16 avail_event(void)
{
	return *g16(USED + 4 + 8 * (u64)q.num);
}

/* A pop that must fail with err and take nothing. */
static void pop_fails(int err)
{
	u16 last = q.last_avail;

	assert_int_equal(vq_pop(&q, &mem, &req), err);
	assert_int_equal(q.last_avail, last);
}

/* ------------------------------------------------------------ vq_check */

static void test_check_ok(void **state)
{
	assert_int_equal(vq_check(&q, &mem), VQ_OK);
	queue_at(1);
	assert_int_equal(vq_check(&q, &mem), VQ_OK);
	queue_at(VQ_MAX_SIZE);
	assert_int_equal(vq_check(&q, &mem), VQ_OK);
}

/* The rings' host addresses are kept from the check, for every access. */
static void test_check_maps_rings(void **state)
{
	queue_at(8);
	assert_int_equal(vq_check(&q, &mem), VQ_OK);
	assert_ptr_equal(q.desc_p, g(DESC));
	assert_ptr_equal(q.avail_p, g(AVAIL));
	assert_ptr_equal(q.used_p, g(USED));
	/* a failed check leaves the queue without them, even a queue that
	 * passed one before */
	q.used = RAM_BASE + RAM_SIZE - 64;
	assert_int_equal(vq_check(&q, &mem), VQ_ERR_ADDR);
	assert_null(q.desc_p);
	assert_null(q.used_p);
}

/* A queue made ready without the check (a caller's bug) is an address
 * error, never a dereference of its missing pointers. */
static void test_ready_unchecked(void **state)
{
	queue_at(8);
	q.ready = true;
	set_desc(0, BUF, 8, 0, 0);
	offer(0);
	assert_false(vq_pending(&q));
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_ERR_ADDR);
	vq_push(&q, 0, 8);
	assert_int_equal(q.used_idx, 0);
	assert_false(vq_need_interrupt(&q, 0));
	vq_set_notifications(&q, false);
	assert_int_equal(used_idx(), 0);
}

static void test_check_num(void **state)
{
	static const u16 bad[] = {0, 3, 12, 1000, 2 * VQ_MAX_SIZE, 0x8000};

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		queue_at(bad[i]);
		assert_int_equal(vq_check(&q, &mem), VQ_ERR_NUM);
	}
}

static void test_check_align(void **state)
{
	q.desc = DESC + 8;
	assert_int_equal(vq_check(&q, &mem), VQ_ERR_ALIGN);
	queue_at(8);
	q.avail = AVAIL + 1;
	assert_int_equal(vq_check(&q, &mem), VQ_ERR_ALIGN);
	queue_at(8);
	q.used = USED + 2;
	assert_int_equal(vq_check(&q, &mem), VQ_ERR_ALIGN);
	/* the minimum alignments themselves are fine */
	queue_at(8);
	q.avail = AVAIL + 2;
	q.used = USED + 4;
	assert_int_equal(vq_check(&q, &mem), VQ_OK);
}

static void test_check_addr(void **state)
{
	q.desc = RAM_BASE - 16;
	assert_int_equal(vq_check(&q, &mem), VQ_ERR_ADDR);
	queue_at(8);
	q.desc = 0;
	assert_int_equal(vq_check(&q, &mem), VQ_ERR_ADDR);
	/* the used ring (70 bytes for num 8) runs past the end of RAM */
	queue_at(8);
	q.used = RAM_BASE + RAM_SIZE - 64;
	assert_int_equal(vq_check(&q, &mem), VQ_ERR_ADDR);
	/* ... but fits exactly when it ends at the end */
	q.used = RAM_BASE + RAM_SIZE - 72;
	assert_int_equal(vq_check(&q, &mem), VQ_OK);
	/* an avail ring whose end wraps around the address space */
	queue_at(8);
	q.avail = ~0ULL - 1;
	assert_int_equal(vq_check(&q, &mem), VQ_ERR_ADDR);
}

/* ------------------------------------------------------------ vq_pop */

static void test_empty(void **state)
{
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_EMPTY);
	set_desc(0, BUF, 8, 0, 0);
	offer(0);
	q.ready = false;
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_EMPTY);
	q.ready = true;
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_EMPTY);
}

/* A virtio-blk request as xv6 makes it: 16-byte header, 1024-byte data
 * buffer, 1-byte status, chained 5 -> 2 -> 7. */
static void test_blk_chain(void **state)
{
	u8 hdr[16], got[16], data[1025];

	for (int i = 0; i < 16; i++)
		hdr[i] = (u8)(0x10 + i);
	memcpy(g(BUF), hdr, 16);
	set_desc(5, BUF, 16, F_NEXT, 2);
	set_desc(2, BUF + 0x100, 1024, F_WRITE | F_NEXT, 7);
	set_desc(7, BUF + 0x600, 1, F_WRITE, 0);
	offer(5);

	assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
	assert_int_equal(req.head, 5);
	assert_int_equal(req.nsegs, 3);
	assert_ptr_equal(req.segs[0].ptr, g(BUF));
	assert_int_equal(req.segs[0].gpa, BUF);
	assert_int_equal(req.segs[0].len, 16);
	assert_false(req.segs[0].write);
	assert_ptr_equal(req.segs[1].ptr, g(BUF + 0x100));
	assert_int_equal(req.segs[1].len, 1024);
	assert_true(req.segs[1].write);
	assert_ptr_equal(req.segs[2].ptr, g(BUF + 0x600));
	assert_int_equal(req.segs[2].len, 1);
	assert_true(req.segs[2].write);
	assert_int_equal(req.out_len, 16);
	assert_int_equal(req.in_len, 1025);
	assert_int_equal(q.last_avail, 1);
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_EMPTY);

	/* the copy helpers see the readable and the writable part */
	assert_int_equal(vq_req_read(&req, 0, got, 16), 16);
	assert_memory_equal(got, hdr, 16);
	assert_int_equal(vq_req_read(&req, 8, got, 16), 8);
	assert_memory_equal(got, hdr + 8, 8);
	for (int i = 0; i < 1025; i++)
		data[i] = (u8)(i * 7);
	assert_int_equal(vq_req_write(&req, 0, data, 1025), 1025);
	assert_memory_equal(g(BUF + 0x100), data, 1024);
	assert_int_equal(*(u8 *)g(BUF + 0x600), data[1024]);
	assert_int_equal(vq_req_write(&req, 1020, data, 10), 5);
	assert_memory_equal(g(BUF + 0x100 + 1020), data, 4);
	assert_int_equal(*(u8 *)g(BUF + 0x600), data[4]);
	/* the header was not written */
	assert_memory_equal(g(BUF), hdr, 16);

	vq_push(&q, req.head, 1025);
	assert_int_equal(used_idx(), 1);
	assert_int_equal(q.used_idx, 1);
	assert_int_equal(used_id(0), 5);
	assert_int_equal(used_len(0), 1025);
}

/* avail->idx and used->idx are free-running 16-bit counters (§2.7.13.3). */
static void test_wraparound(void **state)
{
	use_queue(16);
	q.last_avail = q.used_idx = 65534;
	drv_idx = 65534;
	*g16(AVAIL + 2) = drv_idx;
	*g16(USED + 2) = 65534;
	for (u16 i = 0; i < 4; i++) {
		set_desc(i, BUF + 0x100 * i, 0x10 + i, 0, 0);
		offer(i);
	}
	assert_int_equal(*g16(AVAIL + 2), 2);
	for (u16 i = 0; i < 4; i++) {
		assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
		assert_int_equal(req.head, i);
		assert_int_equal(req.segs[0].len, 0x10 + i);
		vq_push(&q, req.head, 100 + i);
	}
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_EMPTY);
	assert_int_equal(q.last_avail, 2);
	assert_int_equal(used_idx(), 2);
	/* entries 65534, 65535, 0, 1 went to slots 14, 15, 0, 1 */
	assert_int_equal(used_id(14), 0);
	assert_int_equal(used_id(15), 1);
	assert_int_equal(used_id(0), 2);
	assert_int_equal(used_id(1), 3);
	assert_int_equal(used_len(1), 103);
}

static void test_full_ring(void **state)
{
	for (u16 i = 0; i < 8; i++) {
		set_desc(i, BUF, 4, 0, 0);
		offer(i);
	}
	for (u16 i = 0; i < 8; i++)
		assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_EMPTY);
}

static void test_avail_idx_jump(void **state)
{
	set_desc(0, BUF, 4, 0, 0);
	*g16(AVAIL + 2) = 9; /* 9 new entries in a ring of 8 */
	pop_fails(VQ_ERR_IDX);
	*g16(AVAIL + 2) = 0xffff; /* "behind" us: 65535 new entries */
	pop_fails(VQ_ERR_IDX);
	q.last_avail = q.used_idx = 100;
	*g16(AVAIL + 2) = 100 + 9;
	pop_fails(VQ_ERR_IDX);
	*g16(AVAIL + 2) = 100 + 8;
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
}

static void test_bad_head(void **state)
{
	offer(8);
	pop_fails(VQ_ERR_IDX);
	*g16(AVAIL + 4) = 0xffff;
	pop_fails(VQ_ERR_IDX);
}

static void test_bad_next(void **state)
{
	set_desc(0, BUF, 4, F_NEXT, 1);
	set_desc(1, BUF, 4, F_NEXT, 8);
	offer(0);
	pop_fails(VQ_ERR_IDX);
}

static void test_loop(void **state)
{
	set_desc(0, BUF, 4, F_NEXT, 1);
	set_desc(1, BUF, 4, F_NEXT, 0);
	offer(0);
	pop_fails(VQ_ERR_LOOP);
	/* a descriptor chained to itself */
	set_desc(3, BUF, 4, F_NEXT, 3);
	*g16(AVAIL + 4) = 3;
	pop_fails(VQ_ERR_LOOP);
}

/* The loop bound is not off by one: a chain using every descriptor is fine. */
static void test_chain_of_num(void **state)
{
	for (u16 i = 0; i < 8; i++)
		set_desc(i, BUF + 8 * i, 8, i < 7 ? F_NEXT : 0, (u16)((i + 1) % 8));
	offer(0);
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
	assert_int_equal(req.nsegs, 8);
	assert_int_equal(req.out_len, 64);
}

static void test_buffer_outside_ram(void **state)
{
	set_desc(0, RAM_BASE + RAM_SIZE - 8, 16, 0, 0); /* straddles the end */
	offer(0);
	pop_fails(VQ_ERR_ADDR);
	set_desc(0, 0x1000, 16, 0, 0);
	pop_fails(VQ_ERR_ADDR);
	/* the second buffer of a chain */
	set_desc(0, BUF, 16, F_NEXT, 1);
	set_desc(1, RAM_BASE - 1, 1, F_WRITE, 0);
	pop_fails(VQ_ERR_ADDR);
	/* exactly up to the end is fine */
	set_desc(1, RAM_BASE + RAM_SIZE - 16, 16, F_WRITE, 0);
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
}

static void test_buffer_wraps(void **state)
{
	set_desc(0, 0xfffffffffffff000ULL, 0x2000, 0, 0);
	offer(0);
	pop_fails(VQ_ERR_ADDR);
}

/* A chain totals less than 4 GiB (§2.7.5: at most 2^32 bytes; we keep it
 * below so every length fits in 32 bits). */
static void test_len_overflow(void **state)
{
	set_desc(0, HUGE_BASE, 0xffffffff, F_NEXT, 1);
	set_desc(1, HUGE_BASE, 1, F_WRITE, 0);
	offer(0);
	pop_fails(VQ_ERR_LEN);
	set_desc(0, HUGE_BASE, 0xfffffffe, F_NEXT, 1);
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
	assert_int_equal(req.out_len, 0xfffffffe);
	assert_int_equal(req.in_len, 1);
	/* three of 2 GiB */
	for (u16 i = 0; i < 3; i++)
		set_desc(i, HUGE_BASE, 0x80000000, i < 2 ? F_NEXT : 0, (u16)(i + 1));
	offer(0);
	pop_fails(VQ_ERR_LEN);
}

static void test_too_long(void **state)
{
	use_queue(128);
	for (u16 i = 0; i < 128; i++)
		set_desc(i, BUF + i, 1, F_NEXT, (u16)(i + 1));
	set_desc(VQ_MAX_SEGS, BUF, 1, 0, 0); /* ends the chain 0..64: 65 descriptors */
	offer(0);
	pop_fails(VQ_ERR_TOO_LONG);
	set_desc(VQ_MAX_SEGS - 1, BUF, 1, 0, 0); /* 0..63: 64 descriptors */
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
	assert_int_equal(req.nsegs, VQ_MAX_SEGS);
}

static void test_order(void **state)
{
	set_desc(0, BUF, 4, F_WRITE | F_NEXT, 1);
	set_desc(1, BUF + 4, 4, 0, 0);
	offer(0);
	pop_fails(VQ_ERR_ORDER);
	/* readable, readable, writable, writable is the normal shape */
	set_desc(0, BUF, 4, F_NEXT, 1);
	set_desc(1, BUF + 4, 4, F_NEXT, 2);
	set_desc(2, BUF + 8, 4, F_WRITE | F_NEXT, 3);
	set_desc(3, BUF + 12, 4, F_WRITE, 0);
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
	assert_int_equal(req.out_len, 8);
	assert_int_equal(req.in_len, 8);
}

static void test_zero_length(void **state)
{
	set_desc(0, BUF, 0, F_NEXT, 1);
	set_desc(1, BUF + 8, 4, F_WRITE, 0);
	offer(0);
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
	assert_int_equal(req.nsegs, 2);
	assert_int_equal(req.segs[0].len, 0);
	assert_non_null(req.segs[0].ptr);
	assert_int_equal(req.out_len, 0);
	assert_int_equal(req.in_len, 4);
}

/* ------------------------------------------------------------ indirect */

/* The blk-like chain in an indirect table at `table`. */
static void indirect_blk(u64 table)
{
	set_desc_in(table, 0, BUF, 16, F_NEXT, 1);
	set_desc_in(table, 1, BUF + 0x100, 512, F_WRITE | F_NEXT, 2);
	set_desc_in(table, 2, BUF + 0x600, 1, F_WRITE, 0);
}

static void test_indirect(void **state)
{
	q.indirect = true;
	indirect_blk(IND);
	set_desc(4, IND, 48, F_IND, 0);
	offer(4);
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
	assert_int_equal(req.head, 4);
	assert_int_equal(req.nsegs, 3);
	assert_ptr_equal(req.segs[0].ptr, g(BUF));
	assert_false(req.segs[0].write);
	assert_int_equal(req.segs[1].len, 512);
	assert_true(req.segs[1].write);
	assert_int_equal(req.out_len, 16);
	assert_int_equal(req.in_len, 513);
	/* "The device MUST ignore the write-only flag" of the table's descriptor */
	set_desc(4, IND, 48, F_IND | F_WRITE, 0);
	offer(4);
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
	assert_false(req.segs[0].write);
	/* a table larger than its chain, entered out of order */
	set_desc_in(IND, 0, BUF, 16, F_NEXT, 5);
	set_desc_in(IND, 5, BUF + 0x100, 8, F_WRITE, 0);
	set_desc(4, IND, 16 * 6, F_IND, 0);
	offer(4);
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
	assert_int_equal(req.nsegs, 2);
	assert_int_equal(req.in_len, 8);
}

/* Zero or more direct descriptors, then one indirect (§2.7.5.3.2). */
static void test_indirect_after_direct(void **state)
{
	q.indirect = true;
	set_desc_in(IND, 0, BUF + 0x100, 512, F_WRITE | F_NEXT, 1);
	set_desc_in(IND, 1, BUF + 0x600, 1, F_WRITE, 0);
	set_desc(0, BUF, 16, F_NEXT, 6);
	set_desc(6, IND, 32, F_IND, 0);
	offer(0);
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
	assert_int_equal(req.nsegs, 3);
	assert_int_equal(req.out_len, 16);
	assert_int_equal(req.in_len, 513);
}

/* The spec sets no alignment for an indirect table. */
static void test_indirect_unaligned(void **state)
{
	q.indirect = true;
	indirect_blk(IND + 6);
	set_desc(0, IND + 6, 48, F_IND, 0);
	offer(0);
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
	assert_int_equal(req.nsegs, 3);
	assert_int_equal(req.segs[0].gpa, BUF);
	assert_int_equal(req.segs[1].gpa, BUF + 0x100);
	assert_int_equal(req.segs[1].len, 512);
	assert_true(req.segs[2].write);
	assert_int_equal(req.in_len, 513);
}

/* Head 0 points to the table at IND with the given flags and length. */
static void indirect_case(u16 flags, u64 addr, u32 len, int err)
{
	set_desc(0, addr, len, flags, 1);
	set_desc(1, BUF, 4, F_WRITE, 0);
	offer(0);
	pop_fails(err);
}

static void test_indirect_not_negotiated(void **state)
{
	indirect_blk(IND);
	indirect_case(F_IND, IND, 48, VQ_ERR_INDIRECT);
}

static void test_indirect_with_next(void **state)
{
	q.indirect = true;
	indirect_blk(IND);
	indirect_case(F_IND | F_NEXT, IND, 48, VQ_ERR_INDIRECT);
}

static void test_indirect_bad_len(void **state)
{
	q.indirect = true;
	indirect_blk(IND);
	indirect_case(F_IND, IND, 0, VQ_ERR_INDIRECT);
	indirect_case(F_IND, IND, 40, VQ_ERR_INDIRECT);
	indirect_case(F_IND, IND, 8, VQ_ERR_INDIRECT);
}

static void test_indirect_table_outside_ram(void **state)
{
	q.indirect = true;
	indirect_case(F_IND, RAM_BASE + RAM_SIZE - 32, 48, VQ_ERR_INDIRECT);
	indirect_case(F_IND, 0x1000, 16, VQ_ERR_INDIRECT);
	indirect_case(F_IND, 0xfffffffffffffff0ULL, 32, VQ_ERR_INDIRECT);
}

static void test_indirect_nested(void **state)
{
	q.indirect = true;
	indirect_blk(IND + 0x100);
	set_desc_in(IND, 0, BUF, 16, F_NEXT, 1);
	set_desc_in(IND, 1, IND + 0x100, 48, F_IND, 0);
	indirect_case(F_IND, IND, 32, VQ_ERR_INDIRECT);
}

static void test_indirect_next_beyond_table(void **state)
{
	q.indirect = true;
	indirect_blk(IND); /* entry 1 chains to 2 ... */
	indirect_case(F_IND, IND, 32, VQ_ERR_INDIRECT); /* ... in a table of 2 */
}

static void test_indirect_loop(void **state)
{
	q.indirect = true;
	set_desc_in(IND, 0, BUF, 16, F_NEXT, 1);
	set_desc_in(IND, 1, BUF, 16, F_NEXT, 2);
	set_desc_in(IND, 2, BUF, 16, F_NEXT, 1);
	indirect_case(F_IND, IND, 48, VQ_ERR_LOOP);
}

static void test_indirect_buffer_outside_ram(void **state)
{
	q.indirect = true;
	indirect_blk(IND);
	set_desc_in(IND, 1, RAM_BASE + RAM_SIZE, 512, F_WRITE | F_NEXT, 2);
	indirect_case(F_IND, IND, 48, VQ_ERR_ADDR);
}

static void test_indirect_order(void **state)
{
	q.indirect = true;
	/* inside the table */
	set_desc_in(IND, 0, BUF, 16, F_WRITE | F_NEXT, 1);
	set_desc_in(IND, 1, BUF, 16, 0, 0);
	indirect_case(F_IND, IND, 32, VQ_ERR_ORDER);
	/* a direct writable buffer, then a readable one in the table */
	set_desc_in(IND, 0, BUF, 16, 0, 0);
	set_desc(2, BUF, 4, F_WRITE | F_NEXT, 3);
	set_desc(3, IND, 16, F_IND, 0);
	*g16(AVAIL + 4 + 2 * (q.last_avail % q.num)) = 2;
	pop_fails(VQ_ERR_ORDER);
}

static void test_indirect_too_long(void **state)
{
	q.indirect = true;
	for (u16 i = 0; i <= VQ_MAX_SEGS; i++)
		set_desc_in(IND, i, BUF, 1, i < VQ_MAX_SEGS ? F_NEXT : 0, (u16)(i + 1));
	indirect_case(F_IND, IND, 16 * (VQ_MAX_SEGS + 1), VQ_ERR_TOO_LONG);
	/* direct and indirect segments count together */
	set_desc_in(IND, VQ_MAX_SEGS - 1, BUF, 1, 0, 0);
	set_desc(2, BUF, 1, F_NEXT, 3);
	set_desc(3, IND, 16 * VQ_MAX_SEGS, F_IND, 0);
	*g16(AVAIL + 4 + 2 * (q.last_avail % q.num)) = 2;
	pop_fails(VQ_ERR_TOO_LONG);
	*g16(AVAIL + 4 + 2 * (q.last_avail % q.num)) = 3;
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
	assert_int_equal(req.nsegs, VQ_MAX_SEGS);
}

/* ------------------------------------------------------------ used ring, notifications */

static void test_push(void **state)
{
	vq_push(&q, 3, 0);
	vq_push(&q, 6, 0x12345);
	assert_int_equal(used_idx(), 2);
	assert_int_equal(used_id(0), 3);
	assert_int_equal(used_len(0), 0);
	assert_int_equal(used_id(1), 6);
	assert_int_equal(used_len(1), 0x12345);
}

static void test_push_not_ready(void **state)
{
	q.ready = false;
	vq_push(&q, 3, 77);
	assert_int_equal(used_idx(), 0);
	assert_int_equal(used_len(0), 0);
	assert_int_equal(q.used_idx, 0);
}

static void test_need_interrupt_flags(void **state)
{
	assert_false(vq_need_interrupt(&q, 0)); /* nothing pushed */
	vq_push(&q, 0, 1);
	assert_true(vq_need_interrupt(&q, 0));
	*g16(AVAIL) = VIRTQ_AVAIL_F_NO_INTERRUPT;
	assert_false(vq_need_interrupt(&q, 0));
	/* used_event means nothing without EVENT_IDX */
	*g16(AVAIL) = 0;
	*used_event() = 5;
	assert_true(vq_need_interrupt(&q, 0));
}

static void test_need_interrupt_event_idx(void **state)
{
	static const bool want[] = {false, false, true, false};

	q.event_idx = true;
	*g16(AVAIL) = VIRTQ_AVAIL_F_NO_INTERRUPT; /* ignored with EVENT_IDX */
	*used_event() = 2; /* interrupt when entry 2 is written */
	for (u16 i = 0; i < 4; i++) {
		vq_push(&q, i, 0);
		assert_int_equal(vq_need_interrupt(&q, i), want[i]);
	}
	/* a batch covering entry used_event */
	*used_event() = 5;
	vq_push(&q, 0, 0);
	vq_push(&q, 1, 0);
	assert_true(vq_need_interrupt(&q, 4));
	assert_false(vq_need_interrupt(&q, 6)); /* nothing since 6 */
}

static void test_need_interrupt_event_idx_wrap(void **state)
{
	q.event_idx = true;
	q.used_idx = 65534;
	*used_event() = 65535;
	vq_push(&q, 0, 0);
	assert_false(vq_need_interrupt(&q, 65534));
	vq_push(&q, 1, 0);
	assert_true(vq_need_interrupt(&q, 65535));
	assert_int_equal(q.used_idx, 0);
	/* a batch 65535 .. 1 across the wrap, waiting for entry 0 */
	q.used_idx = 65535;
	*used_event() = 0;
	vq_push(&q, 0, 0);
	vq_push(&q, 1, 0);
	assert_true(vq_need_interrupt(&q, 65535));
	*used_event() = 2;
	assert_false(vq_need_interrupt(&q, 65535));
}

static void test_notifications_flags(void **state)
{
	vq_set_notifications(&q, false);
	assert_true(q.no_notify);
	assert_int_equal(*g16(USED), VIRTQ_USED_F_NO_NOTIFY);
	vq_set_notifications(&q, true);
	assert_false(q.no_notify);
	assert_int_equal(*g16(USED), 0);
}

/* §2.7.10: with EVENT_IDX, flags stays 0 and avail_event says which avail
 * entry the driver must notify for. */
static void test_notifications_event_idx(void **state)
{
	q.event_idx = true;
	vq_set_notifications(&q, true);
	assert_int_equal(avail_event(), 0);
	for (u16 i = 0; i < 2; i++) {
		set_desc(i, BUF, 4, 0, 0);
		offer(i);
		assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
		assert_int_equal(avail_event(), i + 1); /* follows last_avail */
	}
	vq_set_notifications(&q, false);
	assert_int_equal(avail_event(), 1); /* one behind: 65535 entries away */
	offer(0);
	assert_int_equal(vq_pop(&q, &mem, &req), VQ_OK);
	assert_int_equal(avail_event(), 2);
	vq_set_notifications(&q, true);
	assert_int_equal(avail_event(), 3);
	assert_int_equal(*g16(USED), 0);
	/* disabled at index 0 it wraps to 65535 */
	use_queue(8);
	q.event_idx = true;
	vq_set_notifications(&q, false);
	assert_int_equal(avail_event(), 0xffff);
}

static void test_strerror(void **state)
{
	static const int errs[] = {VQ_ERR_ADDR,     VQ_ERR_LOOP,  VQ_ERR_LEN, VQ_ERR_TOO_LONG,
				   VQ_ERR_INDIRECT, VQ_ERR_ORDER, VQ_ERR_IDX, VQ_ERR_ALIGN,
				   VQ_ERR_NUM};
	const char *unknown = vq_strerror(-100);

	for (unsigned i = 0; i < ARRAY_SIZE(errs); i++) {
		assert_string_not_equal(vq_strerror(errs[i]), unknown);
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(vq_strerror(errs[i]), vq_strerror(errs[j]));
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_check_ok),
		T(test_check_maps_rings),
		T(test_ready_unchecked),
		T(test_check_num),
		T(test_check_align),
		T(test_check_addr),
		T(test_empty),
		T(test_blk_chain),
		T(test_wraparound),
		T(test_full_ring),
		T(test_avail_idx_jump),
		T(test_bad_head),
		T(test_bad_next),
		T(test_loop),
		T(test_chain_of_num),
		T(test_buffer_outside_ram),
		T(test_buffer_wraps),
		T(test_len_overflow),
		T(test_too_long),
		T(test_order),
		T(test_zero_length),
		T(test_indirect),
		T(test_indirect_after_direct),
		T(test_indirect_unaligned),
		T(test_indirect_not_negotiated),
		T(test_indirect_with_next),
		T(test_indirect_bad_len),
		T(test_indirect_table_outside_ram),
		T(test_indirect_nested),
		T(test_indirect_next_beyond_table),
		T(test_indirect_loop),
		T(test_indirect_buffer_outside_ram),
		T(test_indirect_order),
		T(test_indirect_too_long),
		T(test_push),
		T(test_push_not_ready),
		T(test_need_interrupt_flags),
		T(test_need_interrupt_event_idx),
		T(test_need_interrupt_event_idx_wrap),
		T(test_notifications_flags),
		T(test_notifications_event_idx),
		T(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
