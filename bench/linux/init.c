/*
 * /init of the Linux bench (make bench, bench/README.md).  The kernel unpacks
 * this initramfs over the one built into the Image, so this program runs
 * instead of tools/linux/init.c.
 *
 *   bench-init: time <t>        the time CSR when /init started: virtual
 *                               time since QEMU's reset, in timebase ticks
 *                               (or "unreadable" if rdtime traps in U-mode)
 *   with bench.blk=<n> on the kernel command line and a /dev/vda, n 4 KiB
 *   O_DIRECT requests of each pattern at queue depth 1 on its first 4 MiB:
 *   bench linux-blk-<pattern> <n> - <virtual ns per request>
 *   benchinfo linux-blk-<pattern> requests <r>   (from /sys/block/vda/stat)
 *   with bench.iopoll=1 as well, the requests go through io_uring with
 *   IORING_SETUP_IOPOLL: on a kernel booted with virtio_blk.poll_queues=1 they
 *   use virtio-blk's poll queue, whose completions the kernel polls for
 *   (no interrupt); `benchinfo linux-blk iopoll` says so
 *
 * then it powers off.  Built by bench/bench.mk: riscv64-linux-gnu-gcc -static.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "uring.h" /* tools/linux/uring.h */

#define BLOCK 4096
#define SPAN 1024 /* blocks: the first 4 MiB */

static sigjmp_buf no_time;

static void on_sigill(int sig)
{
	(void)sig;
	siglongjmp(no_time, 1);
}

/* rdtime from U-mode works when the kernel (or rvhv for VU-mode) lets it. */
static int read_time(unsigned long *t)
{
	struct sigaction sa, old;
	int ok = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigill;
	sigaction(SIGILL, &sa, &old);
	if (!sigsetjmp(no_time, 1)) {
		asm volatile("rdtime %0" : "=r"(*t));
		ok = 1;
	}
	sigaction(SIGILL, &old, NULL);
	return ok;
}

static unsigned long cmdline_ulong(const char *key)
{
	char buf[4096];
	int fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	size_t len = strlen(key);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (char *p = buf; (p = strstr(p, key)) != NULL; p += len)
		if ((p == buf || p[-1] == ' ') && p[len] == '=')
			return strtoul(p + len + 1, NULL, 10);
	return 0;
}

/* Reads and writes completed so far (Documentation/block/stat.rst). */
static unsigned long vda_requests(void)
{
	unsigned long v[11] = {0};
	FILE *f = fopen("/sys/block/vda/stat", "r");

	if (!f)
		return 0;
	for (int i = 0; i < 11; i++)
		if (fscanf(f, "%lu", &v[i]) != 1)
			break;
	fclose(f);
	return v[0] + v[4];
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void blk_pattern(int fd, struct uring *u, unsigned char *buf, const char *name,
			int write_it, int random, unsigned long n)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned long errors = 0, before = vda_requests();
	const char *first_error = "none";
	uint64_t t0 = now_ns();

	for (unsigned long i = 0; i < n; i++) {
		unsigned long block = i % SPAN;
		if (random) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			block = seed % SPAN;
		}
		off_t off = (off_t)block * BLOCK;
		ssize_t r = u ? uring_rw(u, fd, write_it, buf, BLOCK, off)
			      : write_it ? pwrite(fd, buf, BLOCK, off) : pread(fd, buf, BLOCK, off);
		if (r != BLOCK && !errors++)
			first_error = r >= 0 ? "short" : strerror(u ? (int)-r : errno);
	}
	uint64_t dt = now_ns() - t0;
	printf("bench linux-blk-%s %lu - %llu.%02llu\n", name, n,
	       (unsigned long long)(dt / n), (unsigned long long)(dt * 100 / n % 100));
	printf("benchinfo linux-blk-%s requests %lu errors %lu (first: %s)\n", name,
	       vda_requests() - before, errors, first_error);
}

static void bench_blk(unsigned long n, int iopoll)
{
	unsigned char *buf;
	struct uring ring, *u = NULL;
	int fd = open("/dev/vda", O_RDWR | O_DIRECT);

	if (fd < 0) {
		printf("benchinfo linux-blk no /dev/vda\n");
		return;
	}
	if (posix_memalign((void **)&buf, BLOCK, BLOCK)) {
		close(fd);
		return;
	}
	for (int i = 0; i < BLOCK; i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	if (iopoll) {
		int err = uring_init(&ring);
		if (err)
			printf("benchinfo linux-blk iopoll unavailable: %s\n", strerror(-err));
		else
			u = &ring;
	}
	if (u) {
		/* One polled read first: a queue that cannot poll fails it. */
		ssize_t r = uring_rw(u, fd, 0, buf, BLOCK, 0);
		printf("benchinfo linux-blk iopoll %s\n", r == BLOCK ? "on" : strerror((int)-r));
		if (r != BLOCK)
			u = NULL;
	}
	printf("benchinfo linux-blk requests-before %lu\n", vda_requests());
	blk_pattern(fd, u, buf, "seq-write", 1, 0, n);
	blk_pattern(fd, u, buf, "seq-read", 0, 0, n);
	blk_pattern(fd, u, buf, "rand-write", 1, 1, n);
	blk_pattern(fd, u, buf, "rand-read", 0, 1, n);
	fsync(fd);
	close(fd);
	free(buf);
}

int main(void)
{
	unsigned long t = 0;
	int have_time = read_time(&t);

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (have_time)
		printf("bench-init: time %lu\n", t);
	else
		printf("bench-init: time unreadable\n");
	unsigned long n = cmdline_ulong("bench.blk");
	if (n)
		bench_blk(n, (int)cmdline_ulong("bench.iopoll"));
	printf("bench: done\n");
	fflush(stdout);
	tcdrain(1);
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF,
		NULL);
	for (;;)
		pause();
}
