/*
 * init for rvhv's Linux test guest: the only program in the initramfs.
 *
 * Mounts /proc, /sys and /dev, says how many CPUs are online, runs a few self-checks
 * (each prints "ok <name>" or "FAIL <name>: why"), prints a summary and powers off.
 * Checks that need a device run only when the device is there:
 *   cpus  online CPUs == rvhv.cpus=N from the kernel command line (if given)
 *   blk   /dev/vda: write a pattern to the first MiB (O_DIRECT), read it back, compare
 *   rng   /dev/hwrng: read 64 bytes
 *   net   eth0: bring the interface up
 * Every check runs under an alarm so that a dead device fails instead of hanging.
 *
 * Built by tools/build-linux.sh with riscv64-linux-gnu-gcc -static -O2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/reboot.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CHECK_SECONDS 20

static int passed, failed;
static char cmdline[4096];

static void ok(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("ok %s", name);
	if (fmt) {
		printf(" (");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf(")");
	}
	printf("\n");
	fflush(stdout);
	passed++;
}

static void fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failed++;
}

/* SIGALRM only interrupts the blocked system call (no SA_RESTART): it returns EINTR. */
static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static void mount_one(const char *src, const char *dst, const char *type)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, NULL) < 0 && errno != EBUSY)
		printf("rvhv-init: mount %s on %s: %s\n", type, dst, strerror(errno));
}

static void read_cmdline(void)
{
	int fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n = 0;

	if (fd >= 0) {
		n = read(fd, cmdline, sizeof(cmdline) - 1);
		close(fd);
	}
	if (n < 0)
		n = 0;
	while (n > 0 && (cmdline[n - 1] == '\n' || cmdline[n - 1] == ' '))
		n--;
	cmdline[n] = 0;
}

/* The value of "key=value" on the kernel command line, or NULL. */
static const char *cmdline_arg(const char *key)
{
	size_t len = strlen(key);
	const char *p = cmdline;

	while (*p) {
		while (*p == ' ')
			p++;
		if (strncmp(p, key, len) == 0 && p[len] == '=')
			return p + len + 1;
		while (*p && *p != ' ')
			p++;
	}
	return NULL;
}

static int online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

static void check_cpus(int ncpus)
{
	const char *want = cmdline_arg("rvhv.cpus");

	if (!want) {
		ok("cpus", "%d online, no rvhv.cpus= to compare with", ncpus);
		return;
	}
	if (atoi(want) == ncpus)
		ok("cpus", "%d online", ncpus);
	else
		fail("cpus", "%d online, rvhv.cpus=%d", ncpus, atoi(want));
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Full-length O_DIRECT transfer; returns NULL or what went wrong. */
static const char *xfer(int fd, unsigned char *buf, size_t len, int write_it)
{
	static char why[128];
	size_t done = 0;

	while (done < len) {
		ssize_t n = write_it ? pwrite(fd, buf + done, len - done, (off_t)done)
				     : pread(fd, buf + done, len - done, (off_t)done);
		if (n <= 0) {
			snprintf(why, sizeof(why), "%s at %zu: %s", write_it ? "write" : "read",
				 done, n == 0 ? "short" : strerror(errno));
			return why;
		}
		done += (size_t)n;
	}
	return NULL;
}

static void check_blk(void)
{
	const size_t mib = 1 << 20;
	unsigned char *out, *in;
	uint64_t seed, size = 0, sum_out, sum_in;
	const char *err;
	size_t len, i;
	int fd;

	if (access("/dev/vda", F_OK) != 0)
		return;
	fd = open("/dev/vda", O_RDWR | O_DIRECT | O_SYNC);
	if (fd < 0) {
		fail("blk", "open /dev/vda: %s", strerror(errno));
		return;
	}
	if (ioctl(fd, BLKGETSIZE64, &size) < 0 || size < 4096) {
		fail("blk", "/dev/vda size %llu: %s", (unsigned long long)size, strerror(errno));
		close(fd);
		return;
	}
	len = size < mib ? (size_t)(size & ~4095ull) : mib;
	if (posix_memalign((void **)&out, 4096, len) || posix_memalign((void **)&in, 4096, len)) {
		fail("blk", "out of memory");
		close(fd);
		return;
	}
	/* A pattern that differs from run to run, so stale disk contents cannot pass. */
	seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid() ^ 0x5276687621ull;
	for (i = 0; i < len; i += 8) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		memcpy(out + i, &seed, 8);
	}
	sum_out = fnv1a(out, len);
	memset(in, 0, len);
	err = xfer(fd, out, len, 1);
	if (!err && fsync(fd) < 0)
		err = "fsync failed";
	close(fd);
	if (!err) {
		fd = open("/dev/vda", O_RDONLY | O_DIRECT);
		if (fd < 0)
			err = "reopen failed";
		else {
			err = xfer(fd, in, len, 0);
			close(fd);
		}
	}
	if (err) {
		fail("blk", "%s", err);
	} else {
		sum_in = fnv1a(in, len);
		if (sum_in != sum_out || memcmp(in, out, len) != 0)
			fail("blk", "read back %016llx, wrote %016llx", (unsigned long long)sum_in,
			     (unsigned long long)sum_out);
		else
			ok("blk", "%zu KiB of %llu, sum %016llx", len >> 10,
			   (unsigned long long)size, (unsigned long long)sum_out);
	}
	free(out);
	free(in);
}

static void check_rng(void)
{
	unsigned char buf[64];
	size_t got = 0;
	int fd, i, same = 1;

	if (access("/dev/hwrng", F_OK) != 0)
		return;
	fd = open("/dev/hwrng", O_RDONLY);
	if (fd < 0) {
		fail("rng", "open /dev/hwrng: %s", strerror(errno));
		return;
	}
	while (got < sizeof(buf)) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);
		if (n <= 0) {
			fail("rng", "read after %zu bytes: %s", got, n == 0 ? "EOF" : strerror(errno));
			close(fd);
			return;
		}
		got += (size_t)n;
	}
	close(fd);
	for (i = 1; i < (int)sizeof(buf); i++)
		same &= buf[i] == buf[0];
	if (same)
		fail("rng", "64 bytes all 0x%02x", buf[0]);
	else
		ok("rng", "64 bytes, %02x%02x%02x%02x...", buf[0], buf[1], buf[2], buf[3]);
}

static void check_net(void)
{
	struct ifreq ifr;
	int s;

	if (access("/sys/class/net/eth0", F_OK) != 0)
		return;
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0) {
		fail("net", "socket: %s", strerror(errno));
		return;
	}
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "eth0");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		fail("net", "SIOCGIFFLAGS: %s", strerror(errno));
	} else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			fail("net", "bring eth0 up: %s", strerror(errno));
		else if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0)
			fail("net", "SIOCGIFHWADDR: %s", strerror(errno));
		else {
			unsigned char *m = (unsigned char *)ifr.ifr_hwaddr.sa_data;
			ok("net", "eth0 up, %02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
			   m[4], m[5]);
		}
	}
	close(s);
}

static void run(const char *name, void (*check)(void))
{
	int before = passed + failed;

	timed_out = 0;
	alarm(CHECK_SECONDS);
	check();
	alarm(0);
	if (timed_out && passed + failed == before)
		fail(name, "timed out after %d s", CHECK_SECONDS);
}

int main(void)
{
	struct sigaction sa;
	int ncpus;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	mount_one("proc", "/proc", "proc");
	mount_one("sysfs", "/sys", "sysfs");
	mount_one("devtmpfs", "/dev", "devtmpfs");
	read_cmdline();

	ncpus = online_cpus();
	printf("rvhv-init: up, %d cpus\n", ncpus);
	printf("rvhv-init: cmdline: %s\n", cmdline);

	check_cpus(ncpus);
	run("blk", check_blk);
	run("rng", check_rng);
	run("net", check_net);

	printf("rvhv-init: %d passed, %d failed\n", passed, failed);
	fflush(stdout);
	sync();
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF,
		NULL);
	printf("rvhv-init: power-off failed: %s\n", strerror(errno));
	for (;;)
		pause();
}
