/*
 * edu: QEMU's "edu" teaching device (PCI 1234:11e8) passed through to this
 * VM behind rvhv's virtual ECAM (configs/test-pt-edu.dts, passthru/vpci.h).
 * The guest finds it in config space, sizes and uses its BAR, checks the
 * identification, liveness and factorial registers, takes its INTx through
 * the vPLIC, and moves bytes by DMA between its RAM and the device.  Then it
 * aims DMA outside its RAM: at the other VM's RAM (its host address comes
 * over the console as "v<hex>\n"), at rvhv's image, and at the byte just
 * below its own RAM.  Those must be blocked by the IOMMU: the other VM,
 * rvhv and the test harness check that nothing changed and that each was
 * reported.  Linked at 0xc0200000 (guests.mk): its RAM, at guest-physical
 * 0xc0000000, aliases no host address worth attacking.
 *
 * Registers (QEMU hw/misc/edu.c, docs/specs/edu.rst): 0x00 id, 0x04
 * liveness (reads back inverted), 0x08 factorial, 0x20 status (bit 0
 * computing, bit 7 interrupt when done), 0x24 interrupt status, 0x64
 * interrupt acknowledge, 0x80/0x88/0x90/0x98 DMA source, destination, count,
 * command (bit 0 start, bit 1 device-to-RAM, bit 2 interrupt when done).
 * The device's own buffer is at DMA address 0x40000 (4 KiB).
 */
#include "guest.h"

#define ECAM 0x30000000UL
#define EDU_DEV 1 /* device number, as on the host (QEMU -device edu,addr=01.0) */
#define CFG(dev, off) (ECAM + ((unsigned long)(dev) << 15) + (off))

#define RAM_BASE 0xc0000000UL
#define RVHV_IMAGE 0x80200000UL  /* where OpenSBI loads rvhv */
#define VICTIM_PATTERN 0x400000UL /* victim.c's pattern, from its RAM base */

#define PLIC 0x0c000000UL
#define PLIC_CTX 1 /* vCPU 0's S-mode context */
#define INTX_LINES 32 /* the rvhv,pci node's interrupts = <32 33 34 35> */

#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_FACTORIAL 0x08
#define EDU_STATUS 0x20
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define DMA_RUN 1
#define DMA_TO_RAM 2
#define EDU_BUFFER 0x40000UL
/* QEMU 7.2's edu refuses (with a hardware error that stops QEMU) a DMA
 * that ends exactly at the end of its 4 KiB buffer: stay below. */
#define DMA_LEN 2048

static unsigned long bar;
static volatile unsigned int intx_seen, intx_status;
static unsigned char buf[DMA_LEN] __attribute__((aligned(4096)));
static unsigned char back[DMA_LEN] __attribute__((aligned(4096)));

static unsigned int rd32(unsigned long a)
{
	return *(volatile unsigned int *)a;
}

static void wr32(unsigned long a, unsigned int v)
{
	*(volatile unsigned int *)a = v;
}

static unsigned short rd16(unsigned long a)
{
	return *(volatile unsigned short *)a;
}

static void wr16(unsigned long a, unsigned short v)
{
	*(volatile unsigned short *)a = v;
}

static void wr64(unsigned long a, unsigned long v)
{
	*(volatile unsigned long *)a = v;
}

static unsigned long rd64(unsigned long a)
{
	return *(volatile unsigned long *)a;
}

/* One DMA of n bytes; returns false if it did not finish within a second. */
static bool dma(unsigned long src, unsigned long dst, unsigned long n, bool to_ram)
{
	wr64(bar + EDU_DMA_SRC, src);
	wr64(bar + EDU_DMA_DST, dst);
	wr64(bar + EDU_DMA_COUNT, n);
	wr64(bar + EDU_DMA_CMD, DMA_RUN | (to_ram ? DMA_TO_RAM : 0));
	unsigned long end = rdtime() + timebase;
	while (rd64(bar + EDU_DMA_CMD) & DMA_RUN)
		if (rdtime() > end)
			return false;
	return true;
}

static void check_config_space(void)
{
	unsigned int id = rd32(CFG(EDU_DEV, 0));
	if (id == 0x11e81234)
		ok("pci-id");
	else
		fail("pci-id", "device %d reads 0x%08x, not 1234:11e8", EDU_DEV, id);

	/* The host bridge (device 0) and every other device are not ours. */
	unsigned int others = 0;
	for (int d = 0; d < 32; d++)
		if (d != EDU_DEV && rd32(CFG(d, 0)) != 0xffffffff)
			others++;
	if (others == 0)
		ok("pci-only-assigned");
	else
		fail("pci-only-assigned", "%u other devices visible", others);

	/* BAR0: 1 MiB of 32-bit memory, sized by writing all-ones. */
	unsigned long b0 = CFG(EDU_DEV, 0x10);
	unsigned int orig = rd32(b0);
	wr32(b0, 0xffffffff);
	unsigned int mask = rd32(b0);
	wr32(b0, orig);
	if ((mask & ~0xfU) == 0xfff00000U && rd32(b0) == orig && (orig & ~0xfU))
		ok("bar-sizing");
	else
		fail("bar-sizing", "BAR0 0x%08x, sizing read 0x%08x, after 0x%08x", orig, mask,
		     rd32(b0));
	bar = orig & ~0xfUL;
	if ((orig & 6) == 4) /* 64-bit */
		bar |= (unsigned long)rd32(CFG(EDU_DEV, 0x14)) << 32;
	wr16(CFG(EDU_DEV, 4), rd16(CFG(EDU_DEV, 4)) | 0x6); /* memory space, bus master */
	printf("edu: BAR0 at 0x%lx, INTx pin %u\n", bar, rd32(CFG(EDU_DEV, 0x3c)) >> 8 & 0xff);
}

static void check_registers(void)
{
	unsigned int id = rd32(bar + EDU_ID);
	if (id == 0x010000ed)
		ok("edu-id");
	else
		fail("edu-id", "0x%08x", id);
	wr32(bar + EDU_LIVENESS, 0x12345678);
	if (rd32(bar + EDU_LIVENESS) == ~0x12345678U)
		ok("edu-liveness");
	else
		fail("edu-liveness", "0x%08x", rd32(bar + EDU_LIVENESS));
	wr32(bar + EDU_FACTORIAL, 10);
	while (rd32(bar + EDU_STATUS) & 1)
		;
	if (rd32(bar + EDU_FACTORIAL) == 3628800)
		ok("edu-factorial");
	else
		fail("edu-factorial", "10! = %u", rd32(bar + EDU_FACTORIAL));
}

static bool on_interrupt(struct trap_frame *f)
{
	if ((f->scause & ~SCAUSE_IRQ) != 9)
		return false;
	unsigned int src;
	while ((src = rd32(PLIC + 0x200004 + 0x1000 * PLIC_CTX)) != 0) {
		intx_status = rd32(bar + EDU_IRQ_STATUS);
		wr32(bar + EDU_IRQ_ACK, intx_status); /* the device lowers INTx */
		intx_seen = src;
		wr32(PLIC + 0x200004 + 0x1000 * PLIC_CTX, src);
	}
	return true;
}

/* The factorial unit's completion interrupt, forwarded to our vPLIC line:
 * device 1, INTA -> interrupts[(1 + 1 - 1) % 4]. */
static void check_intx(void)
{
	unsigned int line = INTX_LINES + (EDU_DEV + 1 - 1) % 4;
	wr32(PLIC + 4 * line, 1);
	wr32(PLIC + 0x2000 + 0x80 * PLIC_CTX + 4 * (line / 32), 1U << (line % 32));
	wr32(PLIC + 0x200000 + 0x1000 * PLIC_CTX, 0);
	trap_on_interrupt(on_interrupt);
	csr_set(sie, 1UL << 9);
	csr_set(sstatus, SSTATUS_SIE);
	for (int round = 0; round < 3; round++) { /* again: the host source was completed */
		intx_seen = 0;
		wr32(bar + EDU_STATUS, 0x80);
		wr32(bar + EDU_FACTORIAL, 5);
		unsigned long end = rdtime() + timebase;
		while (!intx_seen && rdtime() < end)
			wfi();
		if (intx_seen != line || intx_status != 1) {
			fail("edu-intx", "round %d: source %u (want %u), status 0x%x", round, intx_seen,
			     line, intx_status);
			return;
		}
	}
	ok("edu-intx");
}

static void check_dma(void)
{
	for (int i = 0; i < DMA_LEN; i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	memset(back, 0, sizeof(back));
	if (!dma((unsigned long)buf, EDU_BUFFER, DMA_LEN, false) ||
	    !dma(EDU_BUFFER, (unsigned long)back, DMA_LEN, true)) {
		fail("dma-roundtrip", "a DMA did not finish");
		return;
	}
	if (memcmp(buf, back, DMA_LEN) == 0)
		ok("dma-roundtrip");
	else
		fail("dma-roundtrip", "the bytes came back changed");
}

/* The other VM's RAM host address, typed by the test harness. */
static unsigned long read_victim(void)
{
	unsigned long v = 0;
	int c;
	printf("edu: victim address?\n");
	while ((c = console_getc()) != 'v')
		;
	for (;;) {
		while ((c = console_getc()) < 0)
			;
		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (c - 'a' + 10);
		else if (c != 'x')
			return v;
	}
}

/* DMA aimed outside our RAM: each must be blocked (and reported by rvhv). */
static void check_blocked(unsigned long victim)
{
	static const struct {
		const char *what;
		unsigned long addr, len;
	} targets[] = {
		{"victim", 0, 64},
		{"rvhv", RVHV_IMAGE, 64},
		{"below", RAM_BASE - 1, 1},
	};
	/* The device buffer holds buf's bytes: a write would be visible. */
	for (unsigned i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		unsigned long a = targets[i].addr ? targets[i].addr : victim + VICTIM_PATTERN;
		bool done = dma(EDU_BUFFER, a, targets[i].len, true);
		printf("edu: DMA write of %lu bytes to %s at 0x%lx %s\n", targets[i].len,
		       targets[i].what, a, done ? "finished" : "did not finish");
	}
	/* Reading the victim must not bring its bytes into the device: its
	 * pattern's first word (victim.c) must not come back. */
	memset(back, 0, sizeof(back));
	bool done = dma(victim + VICTIM_PATTERN, EDU_BUFFER, 64, false) &&
		    dma(EDU_BUFFER, (unsigned long)back, 64, true);
	unsigned long secret = (0x80000000UL + VICTIM_PATTERN) * 0x9e3779b97f4a7c15UL ^
			       0x5a5aa5a5c3c33c3cUL;
	unsigned long got = *(unsigned long *)back;
	if (done && got != secret)
		ok("dma-read-blocked");
	else
		fail("dma-read-blocked", "read 0x%lx from the victim's RAM", got);
	check_dma(); /* the device still works for our own RAM */
}

int main(unsigned long hartid, const void *dtb)
{
	(void)hartid;
	timer_init(dtb);
	check_config_space();
	check_registers();
	check_intx();
	check_dma();
	check_blocked(read_victim());
	finish("edu");
}
