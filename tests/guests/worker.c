/*
 * worker: a well-behaved VM doing real work while hostile guests attack
 * next to it (configs/test-hostile.dts).  Every round, one every 100 ms:
 *   - a checksum over 1 MiB of its RAM, filled once with a pattern,
 *     against the value the pattern must give;
 *   - a virtio-blk write of 8 patterned sectors and their read-back, with
 *     checksums, on its own RAM-backed disk (interrupt-driven: the waits
 *     sleep in WFI until the device's interrupt).
 * It prints `worker: round N ...` after each round, and goes on until a key
 * arrives on its console (the test sends one when the attackers are done),
 * after MIN_ROUNDS at least and MAX_ROUNDS at most.  Then it re-reads every
 * sector it wrote and checks them once more.
 */
#include "virtio.h"

#define MIN_ROUNDS 10
#define MAX_ROUNDS 600 /* a minute */
#define ROUND_MS 100
#define PATTERN_BASE 0x80400000UL
#define PATTERN_WORDS ((1UL << 20) / 8)
#define QSIZE 16
#define SECTOR VIRTIO_BLK_SECTOR
#define NSECT 8 /* per round */
#define DISK 0x10001000UL
#define DISK_IRQ 1

static struct virtio_dev disk;
static uint8_t ring[VIRTQ_ALIGN_UP(VIRTQ_RING_BYTES(QSIZE), 4096)] __attribute__((aligned(4096)));
static uint8_t wbuf[NSECT * SECTOR], rbuf[NSECT * SECTOR];

static unsigned long pattern(unsigned long addr)
{
	return (addr * 0x9e3779b97f4a7c15UL) ^ 0x0123456789abcdefUL;
}

/* Order matters (a moved block shows): rotate, then add. */
static unsigned long sum_step(unsigned long sum, unsigned long w)
{
	return ((sum << 7) | (sum >> 57)) + w;
}

static unsigned long memory_sum(void)
{
	unsigned long sum = 0;
	for (unsigned long i = 0; i < PATTERN_WORDS; i++)
		sum = sum_step(sum, ((volatile unsigned long *)PATTERN_BASE)[i]);
	return sum;
}

/* Byte i of sector s as round r writes it. */
static uint8_t disk_byte(unsigned long s, unsigned i, unsigned long r)
{
	return (uint8_t)(s * 0x3b + i * 13 + (i >> 7) + r * 0x61 + 0x29);
}

static unsigned long buf_sum(const uint8_t *b, unsigned long n)
{
	unsigned long sum = 0;
	for (unsigned long i = 0; i < n; i++)
		sum = sum_step(sum, b[i]);
	return sum;
}

static int rw(uint32_t type, unsigned long sector, uint8_t *buf)
{
	struct virtio_buf b = {(uintptr_t)buf, NSECT * SECTOR, type == VIRTIO_BLK_T_IN};
	return virtio_blk_request(&disk, type, sector, &b, 1, false, NULL);
}

/* Write round r's sectors, read them back; 0 or a description of the problem. */
static const char *disk_round(unsigned long r, unsigned long sector)
{
	for (unsigned s = 0; s < NSECT; s++)
		for (unsigned i = 0; i < SECTOR; i++)
			wbuf[s * SECTOR + i] = disk_byte(sector + s, i, r);
	if (rw(VIRTIO_BLK_T_OUT, sector, wbuf) != VIRTIO_BLK_S_OK)
		return "write failed";
	memset(rbuf, 0xee, sizeof(rbuf));
	if (rw(VIRTIO_BLK_T_IN, sector, rbuf) != VIRTIO_BLK_S_OK)
		return "read failed";
	if (buf_sum(rbuf, sizeof(rbuf)) != buf_sum(wbuf, sizeof(wbuf)) ||
	    memcmp(rbuf, wbuf, sizeof(rbuf)))
		return "read back other data";
	return 0;
}

int main(unsigned long hartid, const void *dtb)
{
	const char *why;
	(void)dtb;
	printf("worker: hart %lu, rounds until a key arrives\n", hartid);

	unsigned long want = 0;
	for (unsigned long i = 0; i < PATTERN_WORDS; i++) {
		unsigned long a = PATTERN_BASE + 8 * i;
		*(volatile unsigned long *)a = pattern(a);
		want = sum_step(want, pattern(a));
	}

	virtio_bind(&disk, DISK);
	if (disk.device_id != VIRTIO_ID_BLOCK || virtio_init(&disk, 0, QSIZE, ring, &why)) {
		fail("disk", "no virtio-blk at 0x%lx (device %u): %s", DISK, disk.device_id,
		     disk.device_id == VIRTIO_ID_BLOCK ? why : "");
		finish("worker");
	}
	virtio_irq_enable(&disk, DISK_IRQ);
	unsigned long sectors = virtio_blk_capacity(&disk) / NSECT * NSECT;
	printf("worker: disk of %lu sectors, memory sum 0x%lx\n", sectors, want);

	unsigned long bad_mem = 0, bad_disk = 0, start = rdtime(), rounds = 0;
	bool told = false;
	for (unsigned long r = 1; r <= MAX_ROUNDS; r++) {
		unsigned long sum = memory_sum();
		const char *disk_why = disk_round(r, (r * NSECT) % sectors);
		printf("worker: round %lu: memory %s, disk %s\n", r, sum == want ? "ok" : "CHANGED",
		       disk_why ? disk_why : "ok");
		if (sum != want && !bad_mem++)
			fail("memory-round", "round %lu: sum 0x%lx, want 0x%lx", r, sum, want);
		if (disk_why && !bad_disk++)
			fail("disk-round", "round %lu: sectors %lu..: %s", r, (r * NSECT) % sectors,
			     disk_why);
		rounds = r;
		told |= console_getc() >= 0;
		if (told && r >= MIN_ROUNDS)
			break;
		sleep_until(start + r * (timebase / 1000 * ROUND_MS));
	}
	printf("worker: %lu rounds\n", rounds);
	if (!bad_mem)
		ok("memory-rounds");
	if (!bad_disk)
		ok("disk-rounds");

	/* Everything written is still there: each slot holds its last round. */
	check_begin();
	for (unsigned long r = rounds; r > 0 && r + sectors / NSECT > rounds; r--) {
		unsigned long sector = (r * NSECT) % sectors;
		if (rw(VIRTIO_BLK_T_IN, sector, rbuf) != VIRTIO_BLK_S_OK) {
			check_why("re-read of sector %lu failed", sector);
			break;
		}
		for (unsigned i = 0; i < NSECT * SECTOR; i++)
			if (rbuf[i] != disk_byte(sector + i / SECTOR, i % SECTOR, r)) {
				check_why("sector %lu byte %u changed since round %lu",
					  sector + i / SECTOR, i % SECTOR, r);
				break;
			}
	}
	check_end("disk-reread");
	printf("worker: %lu used-buffer interrupts\n", disk.used_irqs);
	if (disk.used_irqs == 0)
		fail("disk-irq", "no interrupts from the disk");
	else
		ok("disk-irq");
	finish("worker");
}
