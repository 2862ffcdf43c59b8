/*
 * init for rvhv's Linux test guest: the only program in the initramfs.
 *
 * Mounts /proc, /sys and /dev, says how many CPUs are online, runs a few self-checks
 * (each prints "ok <name>" or "FAIL <name>: why"), prints a summary and powers off.
 * Checks that need a device run only when the device is there:
 *   cpus  online CPUs == rvhv.cpus=N from the kernel command line (if given)
 *   blk   /dev/vda: write a pattern to the first MiB (O_DIRECT), read it back, compare
 *   blk-poll  with virtio_blk.poll_queues= on the command line: read it back once more,
 *         4 KiB at a time through io_uring with IOPOLL (the poll queue), compare
 *   rng   /dev/hwrng: read 64 bytes
 *   net   eth0: bring the interface up
 * Each check runs in a child process under a timeout, so that a dead device fails instead
 * of hanging; the details of a stuck check go to the kernel log (see klog_stuck). Before
 * powering off, init waits (briefly) for the console to send everything.
 *
 * Built by tools/build-linux.sh with riscv64-linux-gnu-gcc -static -O2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/reboot.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
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
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "uring.h"

#define CHECK_SECONDS 20
#define DRAIN_SECONDS 5
#define NET_SECONDS 60

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

/* Read back what check_blk wrote, through polled requests. */
static void check_blk_poll(unsigned char *in, const unsigned char *out, size_t len)
{
	struct uring u;
	int fd = open("/dev/vda", O_RDONLY | O_DIRECT), err;
	size_t done;

	if (fd < 0) {
		fail("blk-poll", "open /dev/vda: %s", strerror(errno));
		return;
	}
	err = uring_init(&u);
	if (err) {
		fail("blk-poll", "io_uring_setup: %s", strerror(-err));
		close(fd);
		return;
	}
	memset(in, 0, len);
	for (done = 0; done < len; done += 4096) {
		ssize_t n = uring_rw(&u, fd, 0, in + done, 4096, (off_t)done);
		if (n != 4096) {
			fail("blk-poll", "read at %zu: %s", done, n < 0 ? strerror((int)-n) : "short");
			break;
		}
	}
	if (done == len) {
		if (memcmp(in, out, len) != 0)
			fail("blk-poll", "the polled read differs from what was written");
		else
			ok("blk-poll", "%zu reads of 4 KiB", len / 4096);
	}
	close(u.fd);
	close(fd);
}

static void check_blk(void)
{
	const size_t mib = 1 << 20;
	unsigned char *out, *in;
	uint64_t seed, size = 0, sum_out, sum_in;
	struct timespec now;
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
	/* The pattern is seeded from what the disk holds now (and the clock), so it differs
	 * from the old contents: a write that never reached the disk cannot pass. */
	err = xfer(fd, in, 4096, 0);
	if (err) {
		fail("blk", "%s", err);
		close(fd);
		free(out);
		free(in);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	seed = fnv1a(in, 4096) ^ ((uint64_t)now.tv_nsec << 20) ^ (uint64_t)now.tv_sec ^ 0x5276687621ull;
	if (seed == 0)
		seed = 1;
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
		if (cmdline_arg("virtio_blk.poll_queues"))
			check_blk_poll(in, out, len);
	}
	free(out);
	free(in);
}

static void check_rng(void)
{
	unsigned char buf[64];
	size_t got = 0;
	int fd, i, same = 1;
	ssize_t n;

	/* /dev/hwrng exists whenever the hw_random core is built in; a device is behind it
	 * only when rng_current names one. */
	fd = open("/sys/class/misc/hw_random/rng_current", O_RDONLY);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || strncmp((char *)buf, "none", 4) == 0 || access("/dev/hwrng", F_OK) != 0)
		return;
	fd = open("/dev/hwrng", O_RDONLY);
	if (fd < 0) {
		fail("rng", "open /dev/hwrng: %s", strerror(errno));
		return;
	}
	while (got < sizeof(buf)) {
		n = read(fd, buf + got, sizeof(buf) - got);
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

/*
 * Frames between two VMs over rvhv's switch (rvhv.net=ping / rvhv.net=pong),
 * on a raw packet socket with a local experimental EtherType: "ping" sends
 * NET_ROUNDS numbered frames with a pattern, "pong" sends each back with the
 * pattern inverted, and ping checks every byte of every answer.
 */
#define NET_TYPE 0x88b5
#define NET_ROUNDS 10
#define NET_PAYLOAD 256

struct net_msg {
	unsigned char dst[6], src[6], type[2];
	char tag[8]; /* "rvhvping" or "rvhvpong" */
	uint32_t seq;
	unsigned char data[NET_PAYLOAD];
} __attribute__((packed));

static int net_socket(int ifindex)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(NET_TYPE),
				  .sll_ifindex = ifindex};
	struct timeval tv = {.tv_sec = 1};
	int s = socket(AF_PACKET, SOCK_RAW, htons(NET_TYPE));

	if (s < 0 || bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return s;
}

static void net_fill(struct net_msg *m, const unsigned char *src, const unsigned char *dst,
		     const char *tag, uint32_t seq, int invert)
{
	memcpy(m->dst, dst, 6);
	memcpy(m->src, src, 6);
	m->type[0] = NET_TYPE >> 8;
	m->type[1] = NET_TYPE & 0xff;
	memcpy(m->tag, tag, 8);
	m->seq = seq;
	for (int i = 0; i < NET_PAYLOAD; i++)
		m->data[i] = (unsigned char)((seq * 31 + i * 7) ^ (invert ? 0xff : 0));
}

static void net_ping(int s, const unsigned char *mac)
{
	static const unsigned char bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct net_msg out, in, want;
	int answered = 0;

	for (uint32_t seq = 0; seq < NET_ROUNDS; seq++) {
		net_fill(&out, mac, bcast, "rvhvping", seq, 0);
		net_fill(&want, mac, mac, "rvhvpong", seq, 1);
		/* the peer may still be booting: send again each second */
		for (int tries = 0; tries < 40; tries++) {
			if (send(s, &out, sizeof(out), 0) != sizeof(out)) {
				fail("net", "send: %s", strerror(errno));
				return;
			}
			ssize_t n = recv(s, &in, sizeof(in), 0);
			if (n == sizeof(in) && !memcmp(in.tag, "rvhvpong", 8) && in.seq == seq) {
				if (memcmp(in.data, want.data, NET_PAYLOAD) || memcmp(in.dst, mac, 6)) {
					fail("net", "answer %u corrupted", seq);
					return;
				}
				answered++;
				break;
			}
		}
	}
	if (answered == NET_ROUNDS)
		ok("net", "%d frames of %d bytes answered by the other VM", answered,
		   (int)sizeof(out));
	else
		fail("net", "%d of %d frames answered", answered, NET_ROUNDS);
}

static void net_pong(int s, const unsigned char *mac)
{
	struct net_msg in, out;
	unsigned seen = 0; /* bit per sequence number answered */

	for (int idle = 0; idle < 45 && seen != (1u << NET_ROUNDS) - 1;) {
		ssize_t n = recv(s, &in, sizeof(in), 0);
		if (n != sizeof(in) || memcmp(in.tag, "rvhvping", 8) || in.seq >= NET_ROUNDS) {
			idle++;
			continue;
		}
		net_fill(&out, mac, in.src, "rvhvpong", in.seq, 1);
		net_fill(&in, in.src, mac, "rvhvping", in.seq, 0); /* what ping must have sent */
		(void)send(s, &out, sizeof(out), 0);
		seen |= 1u << out.seq;
	}
	if (seen == (1u << NET_ROUNDS) - 1)
		ok("net", "answered %d frames from the other VM", NET_ROUNDS);
	else
		fail("net", "frames seen: 0x%x of 0x%x", seen, (1u << NET_ROUNDS) - 1);
}

/*
 * rvhv.net=uplink: through rvhv's switch and its uplink to the platform's
 * NIC (QEMU user networking), ask for the gateway's MAC with an ARP request
 * (10.0.2.15 asks who has 10.0.2.2) and check that an answer comes back.
 */
static void net_uplink(int ifindex, const unsigned char *mac)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(0x0806),
				  .sll_ifindex = ifindex};
	struct timeval tv = {.tv_sec = 1};
	unsigned char req[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, ans[64];
	int s = socket(AF_PACKET, SOCK_RAW, htons(0x0806));

	if (s < 0 || bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fail("net", "arp socket: %s", strerror(errno));
		return;
	}
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memcpy(req + 6, mac, 6);
	static const unsigned char arp[] = {0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1};
	memcpy(req + 12, arp, sizeof(arp));
	memcpy(req + 22, mac, 6);
	static const unsigned char ips[] = {10, 0, 2, 15, 0, 0, 0, 0, 0, 0, 10, 0, 2, 2};
	memcpy(req + 28, ips, sizeof(ips));
	for (int tries = 0; tries < 20; tries++) {
		if (send(s, req, sizeof(req), 0) != sizeof(req))
			break;
		ssize_t n = recv(s, ans, sizeof(ans), 0);
		/* an ARP reply (op 2) from 10.0.2.2 */
		if (n >= 42 && ans[21] == 2 && !memcmp(ans + 28, ips + 10, 4)) {
			ok("net", "10.0.2.2 is at %02x:%02x:%02x:%02x:%02x:%02x (over the uplink)",
			   ans[22], ans[23], ans[24], ans[25], ans[26], ans[27]);
			close(s);
			return;
		}
	}
	fail("net", "no ARP reply from 10.0.2.2");
	close(s);
}

static void check_net(void)
{
	struct ifreq ifr;
	int s;
	const char *role = cmdline_arg("rvhv.net");

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
			unsigned char mac[6];
			int ps;
			memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
			if (!role) {
				ok("net", "eth0 up, %02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
				   mac[2], mac[3], mac[4], mac[5]);
			} else if (ioctl(s, SIOCGIFINDEX, &ifr) < 0 || (ps = net_socket(ifr.ifr_ifindex)) < 0) {
				fail("net", "packet socket: %s", strerror(errno));
			} else {
				if (!strncmp(role, "uplink", 6))
					net_uplink(ifr.ifr_ifindex, mac);
				else if (!strncmp(role, "ping", 4))
					net_ping(ps, mac);
				else
					net_pong(ps, mac);
				close(ps);
			}
		}
	}
	close(s);
}

/* A line into the kernel log: printk writes it to the console by polling, so it comes out
 * even when the tty's interrupt-driven output is stuck. */
static void klog(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int fd, n;

	n = snprintf(line, sizeof(line), "<3>rvhv-init: ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	fd = open("/dev/kmsg", O_WRONLY);
	if (fd < 0)
		return;
	n = (int)write(fd, line, strlen(line));
	(void)n;
	close(fd);
}

/* Copy a /proc file into the kernel log, a line at a time. */
static void klog_file(const char *path)
{
	char buf[8192], *line, *save;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		klog("%s: %s", path, line);
}

/* What the kernel knows about a stuck check: the process's state and where it sleeps, the
 * interrupt counts, and (SysRq w) the stacks of every task in uninterruptible sleep. */
static void klog_stuck(pid_t pid)
{
	char path[64], stat[256] = "", wchan[128] = "";
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, stat, sizeof(stat) - 1);
		stat[n > 0 ? n : 0] = 0;
		close(fd);
	}
	snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, wchan, sizeof(wchan) - 1);
		wchan[n > 0 ? n : 0] = 0;
		close(fd);
	}
	klog("stuck check: pid %d wchan %s stat %s", pid, wchan, stat);
	snprintf(path, sizeof(path), "/proc/%d/stack", pid);
	klog_file(path);
	klog_file("/proc/interrupts");
	fd = open("/proc/sysrq-trigger", O_WRONLY);
	if (fd >= 0) {
		n = write(fd, "w", 1);
		(void)n;
		close(fd);
	}
}

/* Each check runs in a child so that one stuck in the kernel (an I/O that never completes
 * sleeps uninterruptibly) is reported and left behind instead of hanging init. The child's
 * exit status says passed (0), failed (1) or skipped (2: no device). */
static void run(const char *name, void (*check)(void), int seconds)
{
	int status;
	pid_t pid, r;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		fail(name, "fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		passed = failed = 0;
		check();
		fflush(stdout);
		_exit(failed ? 1 : passed ? 0 : 2);
	}
	timed_out = 0;
	alarm(seconds);
	r = waitpid(pid, &status, 0);
	alarm(0);
	if (r != pid) {
		fail(name, "no result after %d s (details in the kernel log)", seconds);
		klog("%s: no result after %d s", name, seconds);
		klog_stuck(pid);
		kill(pid, SIGKILL);
	} else if (WIFSIGNALED(status)) {
		fail(name, "killed by signal %d", WTERMSIG(status));
	} else if (WEXITSTATUS(status) == 0) {
		passed++;
	} else if (WEXITSTATUS(status) == 1) {
		failed++;
	}
}

/* Wait until the console has sent everything: power-off does not wait for the tty, and
 * output that stops moving means the UART's transmit interrupts stopped. */
static void drain_console(void)
{
	timed_out = 0;
	alarm(DRAIN_SECONDS);
	if (tcdrain(1) < 0 && timed_out) {
		klog("console output did not drain in %d s (16550 transmit interrupt lost?)",
		     DRAIN_SECONDS);
		klog_file("/proc/interrupts");
	}
	alarm(0);
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
	run("blk", check_blk, CHECK_SECONDS);
	run("rng", check_rng, CHECK_SECONDS);
	run("net", check_net, NET_SECONDS); /* waits for the other VM to boot */

	printf("rvhv-init: %d passed, %d failed\n", passed, failed);
	fflush(stdout);
	drain_console();
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF,
		NULL);
	printf("rvhv-init: power-off failed: %s\n", strerror(errno));
	for (;;)
		pause();
}
