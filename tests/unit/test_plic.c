/*
 * Host unit tests for vdev/plic.c: the register map, the gateway's level
 * semantics and the claim/complete flow of the RISC-V PLIC spec, driven
 * through plic_access as a guest would, with set_eip recorded.
 */
#include "tests/unit/unit.h"

#include <string.h>

#include "vdev/plic.h"

#define PRIO(i) (PLIC_PRIORITY + 4 * (i))
#define PENDING(w) (PLIC_PENDING + 4 * (w))
#define ENABLE(c, w) (PLIC_ENABLE + PLIC_ENABLE_STRIDE * (c) + 4 * (w))
#define THRESHOLD(c) (PLIC_CONTEXT + PLIC_CONTEXT_STRIDE * (c))
#define CLAIM(c) (THRESHOLD(c) + 4)

#define UART_IRQ 10
#define VIRTIO_IRQ 1
#define NSOURCES 40
#define NCONTEXTS 4 /* two harts: contexts 2h (M) and 2h+1 (S) */

static struct plic p;

/* What set_eip was told, per context. */
static struct {
	bool eip[PLIC_MAX_CONTEXTS];
	int calls[PLIC_MAX_CONTEXTS];
	int total;
} rec;

static void set_eip(void *ctx, int context, bool level)
{
	assert_ptr_equal(ctx, &rec);
	assert_in_range(context, 0, NCONTEXTS - 1);
	/* Called on changes only: a repeat of the last level is a defect. */
	assert_true(level != rec.eip[context]);
	rec.eip[context] = level;
	rec.calls[context]++;
	rec.total++;
}

static int setup(void **state)
{
	memset(&rec, 0, sizeof(rec));
	plic_init(&p, NSOURCES, NCONTEXTS, set_eip, &rec);
	return 0;
}

static int access(u64 off, u8 width, bool write, u64 *value)
{
	/* A load starts from garbage so that "reads 0" is really written. */
	struct mmio_access a = {.width = width, .write = write, .value = write ? *value : 0xdeadbeef};
	int ret = plic_access(&p, off, &a);

	*value = a.value;
	return ret;
}

static u32 rd(u64 off)
{
	u64 v;

	assert_int_equal(access(off, 4, false, &v), 0);
	return (u32)v;
}

static void wr(u64 off, u32 val)
{
	u64 v = val;

	assert_int_equal(access(off, 4, true, &v), 0);
}

/* xv6's plicinit/plicinithart for `harts` harts (DESIGN.md §5). */
static void xv6_setup(int harts)
{
	wr(PRIO(UART_IRQ), 1);
	wr(PRIO(VIRTIO_IRQ), 1);
	for (int h = 0; h < harts; h++) {
		wr(ENABLE(2 * h + 1, 0), 1u << UART_IRQ | 1u << VIRTIO_IRQ);
		wr(THRESHOLD(2 * h + 1), 0);
	}
}

static void test_init_clamps(void **state)
{
	struct plic q;

	plic_init(&q, 1000, 100, set_eip, &rec);
	assert_int_equal(q.nsources, PLIC_MAX_SOURCES);
	assert_int_equal(q.ncontexts, PLIC_MAX_CONTEXTS);
	plic_init(&q, 3, 2, set_eip, &rec);
	assert_int_equal(q.nsources, 3);
	assert_int_equal(q.ncontexts, 2);
	for (int i = 0; i <= 3; i++)
		assert_int_equal(q.priority[i], 0);
}

static void test_xv6_uart_two_harts(void **state)
{
	xv6_setup(2);
	/* xv6's absolute addresses, relative to the PLIC at 0x0c000000. */
	assert_int_equal(rd(0x2080), 0x402);
	assert_int_equal(rd(0x2180), 0x402);
	assert_int_equal(rec.total, 0);

	plic_set_level(&p, UART_IRQ, true);
	assert_true(rec.eip[1]);
	assert_true(rec.eip[3]);
	assert_false(rec.eip[0]);
	assert_false(rec.eip[2]);
	assert_int_equal(rec.total, 2);

	/* Both harts trap; hart 1 wins the claim (0x0c201004 + 0x2000*h). */
	assert_int_equal(rd(0x203004), UART_IRQ);
	assert_false(rec.eip[1]);
	assert_false(rec.eip[3]);
	assert_int_equal(rd(0x201004), 0);
	assert_int_equal(rec.total, 4);

	/* uartintr drains the UART (line drops), then hart 1 completes. */
	plic_set_level(&p, UART_IRQ, false);
	wr(0x203004, UART_IRQ);
	assert_int_equal(rd(PENDING(0)), 0);
	assert_false(rec.eip[1]);
	assert_false(rec.eip[3]);
	assert_int_equal(rec.total, 4);

	/* The next interrupt can be claimed by hart 0. */
	plic_set_level(&p, UART_IRQ, true);
	assert_int_equal(rd(0x201004), UART_IRQ);
}

static void test_claim_order(void **state)
{
	static const struct {
		u32 id, prio;
	} src[] = {{2, 1}, {3, 2}, {5, 5}, {7, 5}, {33, 6}, {34, 1}};
	static const u32 order[] = {33, 5, 7, 3, 2, 34, 0};

	wr(ENABLE(0, 0), ~0u);
	wr(ENABLE(0, 1), ~0u);
	for (size_t i = 0; i < ARRAY_SIZE(src); i++) {
		wr(PRIO(src[i].id), src[i].prio);
		plic_set_level(&p, src[i].id, true);
	}
	assert_true(rec.eip[0]);
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		assert_int_equal(rd(CLAIM(0)), order[i]);
	assert_false(rec.eip[0]);
}

static void test_priority_register(void **state)
{
	wr(PRIO(4), 0xffffffff);
	assert_int_equal(rd(PRIO(4)), PLIC_MAX_PRIORITY);
	wr(PRIO(4), 0xa); /* 3 bits: 0b010 */
	assert_int_equal(rd(PRIO(4)), 2);
	wr(PRIO(NSOURCES), 3);
	assert_int_equal(rd(PRIO(NSOURCES)), 3);
}

static void test_priority_zero_never_interrupts(void **state)
{
	wr(ENABLE(0, 0), 1u << 6);
	plic_set_level(&p, 6, true);
	assert_int_equal(rd(PENDING(0)), 1u << 6);
	assert_false(rec.eip[0]);
	assert_int_equal(rd(CLAIM(0)), 0);
	assert_int_equal(rd(PENDING(0)), 1u << 6);

	wr(PRIO(6), 1);
	assert_true(rec.eip[0]);
	wr(PRIO(6), 0);
	assert_false(rec.eip[0]);
	assert_int_equal(rec.calls[0], 2);
}

static void test_threshold_masks(void **state)
{
	wr(PRIO(4), 3);
	wr(THRESHOLD(1), 3);
	wr(ENABLE(1, 0), 1u << 4);
	plic_set_level(&p, 4, true);
	assert_false(rec.eip[1]); /* priority <= threshold */

	wr(THRESHOLD(1), 2);
	assert_true(rec.eip[1]);
	wr(THRESHOLD(1), 3);
	assert_false(rec.eip[1]);
	wr(THRESHOLD(1), 7);
	assert_false(rec.eip[1]);
	assert_int_equal(rec.calls[1], 2);

	wr(THRESHOLD(1), 0xffffffff);
	assert_int_equal(rd(THRESHOLD(1)), PLIC_MAX_PRIORITY);
	assert_int_equal(rd(THRESHOLD(0)), 0);
}

/* "Interrupt Claim Process": a claim is not affected by the threshold. */
static void test_claim_ignores_threshold(void **state)
{
	wr(PRIO(4), 2);
	wr(THRESHOLD(0), PLIC_MAX_PRIORITY);
	wr(ENABLE(0, 0), 1u << 4);
	plic_set_level(&p, 4, true);
	assert_false(rec.eip[0]);
	assert_int_equal(rd(CLAIM(0)), 4);
	assert_int_equal(rd(PENDING(0)), 0);
	assert_int_equal(rec.total, 0);
}

static void test_repend_at_complete(void **state)
{
	xv6_setup(1);
	plic_set_level(&p, VIRTIO_IRQ, true);
	assert_int_equal(rd(CLAIM(1)), VIRTIO_IRQ);
	assert_false(rec.eip[1]);

	/* In service: the gateway holds the request, whatever the line does. */
	plic_set_level(&p, VIRTIO_IRQ, false);
	plic_set_level(&p, VIRTIO_IRQ, true);
	assert_int_equal(rd(PENDING(0)), 0);
	assert_false(rec.eip[1]);

	/* Completed with the line still asserted: a new request. */
	wr(CLAIM(1), VIRTIO_IRQ);
	assert_int_equal(rd(PENDING(0)), 1u << VIRTIO_IRQ);
	assert_true(rec.eip[1]);
	assert_int_equal(rd(CLAIM(1)), VIRTIO_IRQ);

	/* Completed after the line dropped: nothing more. */
	plic_set_level(&p, VIRTIO_IRQ, false);
	wr(CLAIM(1), VIRTIO_IRQ);
	assert_int_equal(rd(PENDING(0)), 0);
	assert_false(rec.eip[1]);
	assert_int_equal(rd(CLAIM(1)), 0);
	assert_int_equal(rec.calls[1], 4);
}

/* QEMU's gateway: no new request at completion; the device raising its
 * line again (on its next register access) is what makes one. */
static void test_qemu_gateway(void **state)
{
	xv6_setup(1);
	p.qemu_gateway = true;
	plic_set_level(&p, UART_IRQ, true);
	assert_int_equal(rd(CLAIM(1)), UART_IRQ);
	wr(CLAIM(1), UART_IRQ); /* still asserted: the spec would re-pend here */
	assert_int_equal(rd(PENDING(0)), 0);
	assert_false(rec.eip[1]);
	assert_int_equal(rd(CLAIM(1)), 0);
	plic_set_level(&p, UART_IRQ, true); /* the device updates its line */
	assert_int_equal(rd(PENDING(0)), 1u << UART_IRQ);
	assert_true(rec.eip[1]);
	assert_int_equal(rd(CLAIM(1)), UART_IRQ);
	/* Raised again while claimed (a virtio buffer completed after the
	 * driver's ack, before its complete): claimable once completed. */
	plic_set_level(&p, UART_IRQ, false);
	plic_set_level(&p, UART_IRQ, true);
	assert_int_equal(rd(CLAIM(1)), 0);
	wr(CLAIM(1), UART_IRQ);
	assert_true(rec.eip[1]);
	assert_int_equal(rd(CLAIM(1)), UART_IRQ);
}

static void test_deassert_before_claim(void **state)
{
	xv6_setup(1);
	plic_set_level(&p, UART_IRQ, true);
	assert_true(rec.eip[1]);
	plic_set_level(&p, UART_IRQ, false);
	assert_int_equal(rd(PENDING(0)), 0);
	assert_false(rec.eip[1]);
	assert_int_equal(rd(CLAIM(1)), 0);
}

static void test_complete_ignored(void **state)
{
	xv6_setup(2);
	wr(PRIO(5), 1);
	wr(ENABLE(1, 0), 1u << 5 | 1u << UART_IRQ);
	plic_set_level(&p, 5, true);
	plic_set_level(&p, UART_IRQ, true);
	assert_int_equal(rd(CLAIM(1)), 5);

	/* Not claimed, ID 0, out of range: no effect. */
	wr(CLAIM(1), UART_IRQ);
	wr(CLAIM(1), 0);
	wr(CLAIM(1), NSOURCES + 1);
	wr(CLAIM(1), 0xffffffff);
	/* Claimed, but not enabled for context 3 ("Interrupt Completion"). */
	wr(CLAIM(3), 5);
	/* A context that does not exist. */
	wr(CLAIM(NCONTEXTS), 5);
	assert_int_equal(rd(PENDING(0)), 1u << UART_IRQ);
	assert_int_equal(p.claimed[0], 1u << 5);

	/* The right completion re-pends line 5, still asserted. */
	wr(CLAIM(1), 5);
	assert_int_equal(p.claimed[0], 0);
	assert_int_equal(rd(PENDING(0)), 1u << 5 | 1u << UART_IRQ);
}

static void test_enable_per_context(void **state)
{
	wr(PRIO(3), 1);
	wr(PRIO(35), 1);
	wr(ENABLE(2, 0), 1u << 3);
	wr(ENABLE(1, 1), 1u << (35 - 32));
	plic_set_level(&p, 3, true);
	assert_true(rec.eip[2]);
	assert_int_equal(rec.total, 1);
	plic_set_level(&p, 35, true);
	assert_true(rec.eip[1]);
	assert_int_equal(rec.total, 2);

	/* Context 2 sees only source 3, context 1 only source 35. */
	assert_int_equal(rd(CLAIM(0)), 0);
	assert_int_equal(rd(CLAIM(3)), 0);
	assert_int_equal(rd(CLAIM(2)), 3);
	assert_int_equal(rd(CLAIM(1)), 35);

	/* Disabling a pending source drops the notification. */
	plic_set_level(&p, 3, false);
	wr(CLAIM(2), 3);
	plic_set_level(&p, 3, true);
	assert_true(rec.eip[2]);
	wr(ENABLE(2, 0), 0);
	assert_false(rec.eip[2]);
	assert_int_equal(rd(PENDING(0)), 1u << 3);
}

/* enabling: the contexts with an enable bit set, whichever word it is in */
static void test_enabling_contexts(void **state)
{
	assert_int_equal(p.enabling, 0);
	wr(ENABLE(1, 1), 1u << 2);
	wr(ENABLE(2, 0), 1u << 3);
	assert_int_equal(p.enabling, 1u << 1 | 1u << 2);
	wr(ENABLE(1, 0), 1u << 4);
	wr(ENABLE(1, 1), 0);
	assert_int_equal(p.enabling, 1u << 1 | 1u << 2);
	wr(ENABLE(1, 0), 0);
	assert_int_equal(p.enabling, 1u << 2);
	wr(ENABLE(2, 0), 1u); /* source 0: hardwired to zero, so nothing */
	assert_int_equal(p.enabling, 0);
}

static void test_enable_bits_wired(void **state)
{
	/* Source 0 is hardwired to zero; so are IDs above nsources (40). */
	wr(ENABLE(3, 0), ~0u);
	assert_int_equal(rd(ENABLE(3, 0)), 0xfffffffe);
	wr(ENABLE(3, 1), ~0u);
	assert_int_equal(rd(ENABLE(3, 1)), (1u << (NSOURCES - 32 + 1)) - 1);
	wr(ENABLE(3, 2), ~0u);
	assert_int_equal(rd(ENABLE(3, 2)), 0);
	wr(ENABLE(3, PLIC_WORDS), ~0u);
	assert_int_equal(rd(ENABLE(3, PLIC_WORDS)), 0);
	assert_int_equal(rd(ENABLE(2, 0)), 0);

	/* With the maximum number of sources, every bit of the last word. */
	plic_init(&p, PLIC_MAX_SOURCES, 1, set_eip, &rec);
	wr(ENABLE(0, PLIC_WORDS - 1), ~0u);
	assert_int_equal(rd(ENABLE(0, PLIC_WORDS - 1)), ~0u);
}

static void test_pending_register(void **state)
{
	plic_set_level(&p, 1, true);
	plic_set_level(&p, 31, true);
	plic_set_level(&p, 33, true);
	plic_set_level(&p, NSOURCES, true);
	assert_int_equal(rd(PENDING(0)), 1u << 1 | 1u << 31);
	assert_int_equal(rd(PENDING(1)), 1u << 1 | 1u << (NSOURCES - 32));
	assert_int_equal(rd(PENDING(2)), 0);

	/* Read-only. */
	wr(PENDING(0), 0);
	wr(PENDING(1), ~0u);
	assert_int_equal(rd(PENDING(0)), 1u << 1 | 1u << 31);
	assert_int_equal(rd(PENDING(1)), 1u << 1 | 1u << (NSOURCES - 32));

	/* "A pending bit ... can be cleared by setting the associated enable
	 * bit then performing a claim." */
	wr(PRIO(33), 1);
	wr(ENABLE(0, 1), 1u << 1);
	assert_int_equal(rd(CLAIM(0)), 33);
	assert_int_equal(rd(PENDING(1)), 1u << (NSOURCES - 32));
}

static void test_eip_only_on_change(void **state)
{
	xv6_setup(2);
	wr(PRIO(2), 1);
	wr(ENABLE(1, 0), 1u << UART_IRQ | 1u << VIRTIO_IRQ | 1u << 2);
	plic_set_level(&p, UART_IRQ, true);
	assert_int_equal(rec.total, 2);
	/* More sources for contexts already notified, and no-op writes. */
	plic_set_level(&p, VIRTIO_IRQ, true);
	plic_set_level(&p, 2, true);
	plic_set_level(&p, UART_IRQ, true);
	wr(THRESHOLD(1), 0);
	wr(PRIO(UART_IRQ), 1);
	wr(ENABLE(3, 0), 0x402);
	assert_int_equal(rec.total, 2);

	/* Claims that leave other sources pending keep EIP up. */
	assert_int_equal(rd(CLAIM(1)), VIRTIO_IRQ);
	assert_int_equal(rd(CLAIM(1)), 2);
	assert_int_equal(rec.total, 2);
	assert_int_equal(rd(CLAIM(3)), UART_IRQ);
	assert_int_equal(rec.calls[1], 2);
	assert_int_equal(rec.calls[3], 2);
	assert_int_equal(rec.calls[0] + rec.calls[2], 0);
}

static void test_widths_rejected(void **state)
{
	static const u8 widths[] = {1, 2, 8};
	u64 regs[] = {PRIO(1), PENDING(0), ENABLE(0, 0), THRESHOLD(0), CLAIM(0), 0x1ffc};

	wr(PRIO(1), 1);
	wr(ENABLE(0, 0), 1u << 1);
	plic_set_level(&p, 1, true);
	for (size_t i = 0; i < ARRAY_SIZE(regs); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(widths); j++) {
			u64 v = 0;

			assert_int_equal(access(regs[i], widths[j], false, &v), -1);
			assert_int_equal(access(regs[i], widths[j], true, &v), -1);
		}
	}
	/* Misaligned 32-bit accesses too. */
	for (u64 off = 1; off < 4; off++) {
		u64 v = 0;

		assert_int_equal(access(CLAIM(0) + off, 4, false, &v), -1);
		assert_int_equal(access(PRIO(1) + off, 4, true, &v), -1);
	}
	/* None of them changed anything: no claim, no priority write. */
	assert_int_equal(rd(PRIO(1)), 1);
	assert_int_equal(rd(ENABLE(0, 0)), 1u << 1);
	assert_int_equal(rd(PENDING(0)), 1u << 1);
	assert_true(rec.eip[0]);
}

static void test_source_zero_and_out_of_range(void **state)
{
	wr(ENABLE(0, 0), ~0u);
	wr(ENABLE(0, 1), ~0u);
	wr(PRIO(0), 7);
	assert_int_equal(rd(PRIO(0)), 0);
	wr(PRIO(NSOURCES + 1), 7);
	assert_int_equal(rd(PRIO(NSOURCES + 1)), 0);
	assert_int_equal(rd(PRIO(PLIC_MAX_SOURCES + 1)), 0);
	assert_int_equal(rd(PRIO(1023)), 0);

	plic_set_level(&p, 0, true);
	plic_set_level(&p, NSOURCES + 1, true);
	plic_set_level(&p, PLIC_MAX_SOURCES + 1, true);
	plic_set_level(&p, 0xffffffff, true);
	assert_int_equal(rd(PENDING(0)), 0);
	assert_int_equal(rd(PENDING(1)), 0);
	assert_int_equal(rd(CLAIM(0)), 0);
	assert_int_equal(rec.total, 0);
}

static void test_holes_read_zero(void **state)
{
	static const u64 holes[] = {
		PENDING(PLIC_WORDS), 0x1ffc,
		ENABLE(NCONTEXTS, 0), ENABLE(PLIC_MAX_CONTEXTS, 0), PLIC_CONTEXT - 4,
		THRESHOLD(0) + 8, THRESHOLD(0) + 0xffc,
		THRESHOLD(NCONTEXTS), CLAIM(NCONTEXTS), CLAIM(PLIC_MAX_CONTEXTS),
		PLIC_SIZE - 4,
	};

	/* Source 1 is claimable by context 0: a hole must not claim it. */
	wr(PRIO(1), 1);
	wr(ENABLE(0, 0), 1u << 1);
	plic_set_level(&p, 1, true);
	for (size_t i = 0; i < ARRAY_SIZE(holes); i++) {
		wr(holes[i], ~0u);
		assert_int_equal(rd(holes[i]), 0);
	}
	/* The writes reached no register and the reads claimed nothing. */
	for (u32 c = 1; c < NCONTEXTS; c++)
		assert_int_equal(rd(ENABLE(c, 0)), 0);
	for (u32 c = 0; c < NCONTEXTS; c++)
		assert_int_equal(rd(THRESHOLD(c)), 0);
	assert_int_equal(rd(PENDING(0)), 1u << 1);
	assert_int_equal(rd(PRIO(1)), 1);
	assert_true(rec.eip[0]);
	assert_int_equal(rec.total, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_init_clamps, setup),
		cmocka_unit_test_setup(test_xv6_uart_two_harts, setup),
		cmocka_unit_test_setup(test_claim_order, setup),
		cmocka_unit_test_setup(test_priority_register, setup),
		cmocka_unit_test_setup(test_priority_zero_never_interrupts, setup),
		cmocka_unit_test_setup(test_threshold_masks, setup),
		cmocka_unit_test_setup(test_claim_ignores_threshold, setup),
		cmocka_unit_test_setup(test_repend_at_complete, setup),
		cmocka_unit_test_setup(test_qemu_gateway, setup),
		cmocka_unit_test_setup(test_deassert_before_claim, setup),
		cmocka_unit_test_setup(test_complete_ignored, setup),
		cmocka_unit_test_setup(test_enable_per_context, setup),
		cmocka_unit_test_setup(test_enabling_contexts, setup),
		cmocka_unit_test_setup(test_enable_bits_wired, setup),
		cmocka_unit_test_setup(test_pending_register, setup),
		cmocka_unit_test_setup(test_eip_only_on_change, setup),
		cmocka_unit_test_setup(test_widths_rejected, setup),
		cmocka_unit_test_setup(test_source_zero_and_out_of_range, setup),
		cmocka_unit_test_setup(test_holes_read_zero, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
