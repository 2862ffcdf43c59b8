/*
 * window_test: loads that guest_exit's assembly tier answers from a
 * register window (kernel/mmio.h, switch.S: win_load) must be what the
 * device model answers, into every register the tier names, and must
 * follow the model as the driver changes it; every other load (another
 * width, a misaligned one) still goes to the model and faults as before.
 * A virtio-blk (RAM backend, modern) at 0x10001000 and an empty slot at
 * 0x10002000 publish their registers.  The guest counts the loads a window
 * must answer; rvhv's statistics must count at least those.
 */
#include "virtio.h"

#define BLK 0x10001000UL
#define EMPTY 0x10002000UL
#define SHM_LEN_LOW 0x0b0 /* reads 0xffffffff: no shared memory */

static unsigned long window_loads;

static uint32_t rd(uintptr_t base, uint32_t off)
{
	window_loads++;
	return *(volatile uint32_t *)(base + off);
}

static void wr(uintptr_t base, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(base + off) = v;
}

/* lw (lwu) of MagicValue into register R, in one asm block so that R holds
 * nothing of the compiler's. */
#define LW_INTO(insn, R, addr, out)                                                         \
	asm volatile(".option push\n\t.option norvc\n\t" insn " " R ", 0(%1)\n\t"           \
		     ".option pop\n\tmv %0, " R                                              \
		     : "=&r"(out)                                                            \
		     : "r"(addr)                                                             \
		     : R, "memory")
/* c.lw into R (x8-x15) from a base in a5 (x15) */
#define CLW_INTO(R, addr, out)                                                              \
	do {                                                                                \
		register unsigned long b_ asm("a5") = (addr);                               \
		asm volatile("c.lw " R ", 0(%1)\n\tmv %0, " R                                 \
			     : "=&r"(out)                                                    \
			     : "r"(b_)                                                       \
			     : R, "memory");                                                 \
	} while (0)

#define EXPECT(what, got, want)                                                            \
	do {                                                                                \
		unsigned long g_ = (got), w_ = (want);                                      \
		if (g_ != w_)                                                               \
			check_why("%s: 0x%lx, want 0x%lx", what, g_, w_);                   \
	} while (0)

/* x8-x15 that a c.lw can name, but s0 (the frame) and a5 (the base) */
#define CREGS(X) X("s1"); X("a0"); X("a1"); X("a2"); X("a3"); X("a4")

static void check_registers(void)
{
	unsigned long v;
	check_begin();
#define LW(R)                                                                               \
	do {                                                                                \
		v = 0;                                                                      \
		LW_INTO("lw", R, BLK, v);                                                   \
		window_loads++;                                                             \
		EXPECT("lw " R, v, VIRTIO_MAGIC);                                           \
	} while (0)
#define CLW(R)                                                                              \
	do {                                                                                \
		v = 0;                                                                      \
		CLW_INTO(R, BLK, v);                                                        \
		window_loads++;                                                             \
		EXPECT("c.lw " R, v, VIRTIO_MAGIC);                                         \
	} while (0)
	LW("ra");
	LW("t0");
	LW("t1");
	LW("t2");
	LW("a7");
	LW("s11");
	LW("t6");
	CREGS(LW);
	CREGS(CLW);
#undef LW
#undef CLW
	/* sign extension: lw of 0xffffffff is -1, lwu keeps it */
	LW_INTO("lw", "t1", BLK + SHM_LEN_LOW, v);
	EXPECT("lw SHMLenLow", v, ~0UL);
	LW_INTO("lwu", "a2", BLK + SHM_LEN_LOW, v);
	EXPECT("lwu SHMLenLow", v, 0xffffffffUL);
	window_loads += 2;
	/* a load into x0 is answered and changes nothing */
	asm volatile("lw zero, 0(%0)" ::"r"(BLK) : "memory");
	window_loads++;
	check_end("every-register");
}

static void check_identity(void)
{
	check_begin();
	EXPECT("blk magic", rd(BLK, VIRTIO_MAGIC_VALUE), VIRTIO_MAGIC);
	EXPECT("blk version", rd(BLK, VIRTIO_VERSION), 2);
	EXPECT("blk device", rd(BLK, VIRTIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	EXPECT("blk vendor", rd(BLK, VIRTIO_VENDOR_ID), 0x554d4551);
	EXPECT("empty magic", rd(EMPTY, VIRTIO_MAGIC_VALUE), VIRTIO_MAGIC);
	EXPECT("empty version", rd(EMPTY, VIRTIO_VERSION), 2);
	EXPECT("empty device", rd(EMPTY, VIRTIO_DEVICE_ID), 0);
	EXPECT("empty config", rd(EMPTY, VIRTIO_CONFIG + 0xfc), 0);
	check_end("identity");
}

/* The window follows what the driver's stores (the model's) change. */
static void check_follows(void)
{
	check_begin();
	wr(BLK, VIRTIO_STATUS, 0);
	EXPECT("status after reset", rd(BLK, VIRTIO_STATUS), 0);
	wr(BLK, VIRTIO_STATUS, VIRTIO_S_ACKNOWLEDGE);
	EXPECT("status ACK", rd(BLK, VIRTIO_STATUS), VIRTIO_S_ACKNOWLEDGE);
	wr(BLK, VIRTIO_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	EXPECT("status DRIVER", rd(BLK, VIRTIO_STATUS), VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	wr(BLK, VIRTIO_DEVICE_FEATURES_SEL, 1);
	EXPECT("features 32-63: VERSION_1", rd(BLK, VIRTIO_DEVICE_FEATURES) & 1, 1);
	wr(BLK, VIRTIO_DEVICE_FEATURES_SEL, 2);
	EXPECT("features 64-95", rd(BLK, VIRTIO_DEVICE_FEATURES), 0);
	wr(BLK, VIRTIO_DEVICE_FEATURES_SEL, 0);
	wr(BLK, VIRTIO_QUEUE_SEL, 7);
	EXPECT("QueueNumMax of no queue", rd(BLK, VIRTIO_QUEUE_NUM_MAX), 0);
	wr(BLK, VIRTIO_QUEUE_SEL, 0);
	if (rd(BLK, VIRTIO_QUEUE_NUM_MAX) == 0)
		check_why("queue 0: QueueNumMax 0");
	EXPECT("QueueReady", rd(BLK, VIRTIO_QUEUE_READY), 0);
	/* a store of x0 (the C tier reads the guest's x0) after window loads */
	wr(BLK, VIRTIO_QUEUE_SEL, 7);
	(void)rd(BLK, VIRTIO_QUEUE_NUM_MAX);
	asm volatile("sw zero, %1(%0)" ::"r"(BLK), "i"(VIRTIO_QUEUE_SEL) : "memory");
	if (rd(BLK, VIRTIO_QUEUE_NUM_MAX) == 0)
		check_why("sw zero to QueueSel: not queue 0");
	asm volatile("sw zero, %1(%0)" ::"r"(BLK), "i"(VIRTIO_STATUS) : "memory");
	EXPECT("sw zero to Status", rd(BLK, VIRTIO_STATUS), 0);
	check_end("follows-the-model");
}

/* Only 4-byte aligned register loads are published: others fault as before. */
static void check_faults(void)
{
	unsigned long v = 0;
	check_begin();
	fault_reset();
	fault_catch(true);
	asm volatile("lb %0, 0(%1)" : "=r"(v) : "r"(BLK) : "memory");
	asm volatile("lh %0, 4(%1)" : "=r"(v) : "r"(BLK) : "memory");
	asm volatile("ld %0, 8(%1)" : "=r"(v) : "r"(BLK) : "memory");
	asm volatile("lw %0, 2(%1)" : "=r"(v) : "r"(BLK) : "memory");
	asm volatile("lbu %0, 1(%1)" : "=r"(v) : "r"(EMPTY) : "memory");
	if (fault.count != 5 || fault.scause != EXC_LOAD_ACCESS)
		check_why("%lu faults (want 5), scause %lu", fault.count, fault.scause);
	fault_catch(false);
	fault_reset();
	check_end("other-loads-fault");
}

/* InterruptStatus changes when the device completes a request (not a
 * store of the driver's) and when the driver acknowledges it. */
static void check_interrupt_status(void)
{
	static uint8_t ring[VIRTQ_RING_BYTES(8)] __attribute__((aligned(4096)));
	static uint8_t sector[VIRTIO_BLK_SECTOR];
	struct virtio_dev d;
	const char *why = NULL;
	check_begin();
	virtio_bind(&d, BLK);
	if (virtio_init(&d, 0, 8, ring, &why)) {
		check_why("init: %s", why);
	} else {
		EXPECT("before a request", rd(BLK, VIRTIO_INTERRUPT_STATUS), 0);
		struct virtio_buf b = {(uintptr_t)sector, sizeof(sector), true};
		int st = virtio_blk_request(&d, VIRTIO_BLK_T_IN, 0, &b, 1, false, NULL);
		EXPECT("request status", (unsigned long)st, VIRTIO_BLK_S_OK);
		EXPECT("after a request", rd(BLK, VIRTIO_INTERRUPT_STATUS), 1);
		wr(BLK, VIRTIO_INTERRUPT_ACK, 1);
		EXPECT("after the ACK", rd(BLK, VIRTIO_INTERRUPT_STATUS), 0);
		EXPECT("status", rd(BLK, VIRTIO_STATUS) & VIRTIO_S_DRIVER_OK, VIRTIO_S_DRIVER_OK);
		wr(BLK, VIRTIO_STATUS, 0);
		EXPECT("after the reset", rd(BLK, VIRTIO_STATUS), 0);
	}
	check_end("interrupt-status");
}

int main(unsigned long hartid, const void *dtb)
{
	(void)dtb;
	console_init();
	printf("window_test: hart %lu\n", hartid);
	check_registers();
	check_identity();
	check_follows();
	check_faults();
	check_interrupt_status();
	for (int i = 0; i < 1000; i++)
		(void)rd(EMPTY, VIRTIO_MAGIC_VALUE);
	printf("window_test: %lu window loads\n", window_loads);
	finish("window_test");
}
