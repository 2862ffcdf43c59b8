/*
 * One io_uring with IORING_SETUP_IOPOLL, one request at a time, for the
 * Linux guests' /init programs (tools/linux/init.c, bench/linux/init.c):
 * io_uring_enter submits the request and polls the device's queue until it
 * completes.  On a kernel booted with virtio_blk.poll_queues=N that is a
 * virtio-blk poll queue, which asks for no interrupts (docs/virtio.md).
 * Raw system calls: the static glibc has no liburing.
 */
#ifndef RVHV_LINUX_URING_H
#define RVHV_LINUX_URING_H

#include <errno.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

struct uring {
	int fd;
	unsigned *sq_head, *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static void *ring_map(int fd, size_t len, off_t what)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, what);
	return p == MAP_FAILED ? NULL : p;
}

static int uring_init(struct uring *u)
{
	struct io_uring_params p;

	memset(u, 0, sizeof(*u));
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_IOPOLL;
	u->fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (u->fd < 0)
		return -errno;
	size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	char *sq = ring_map(u->fd, sq_len, IORING_OFF_SQ_RING);
	char *cq = sq ? ring_map(u->fd, cq_len, IORING_OFF_CQ_RING) : NULL;
	u->sqes = cq ? ring_map(u->fd, p.sq_entries * sizeof(struct io_uring_sqe),
				IORING_OFF_SQES) : NULL;
	if (!u->sqes) {
		close(u->fd);
		return -ENOMEM;
	}
	u->sq_head = (unsigned *)(sq + p.sq_off.head);
	u->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	u->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	u->sq_array = (unsigned *)(sq + p.sq_off.array);
	u->cq_head = (unsigned *)(cq + p.cq_off.head);
	u->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	u->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	u->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* One read or write; its result (bytes, or -errno).  io_uring_enter may
 * return before the completion (the polling task is due to be rescheduled):
 * then it is called again, with nothing more to submit once the kernel has
 * taken the entry, until the completion is there. */
static ssize_t uring_rw_once(struct uring *u, int fd, int write_it, void *buf, size_t len,
			     off_t off)
{
	unsigned tail = *u->sq_tail, idx = tail & *u->sq_mask;
	struct io_uring_sqe *e = &u->sqes[idx];

	memset(e, 0, sizeof(*e));
	e->opcode = write_it ? IORING_OP_WRITE : IORING_OP_READ;
	e->fd = fd;
	e->addr = (uintptr_t)buf;
	e->len = (unsigned)len;
	e->off = (uint64_t)off;
	u->sq_array[idx] = idx;
	__atomic_store_n(u->sq_tail, tail + 1, __ATOMIC_RELEASE);
	unsigned head = *u->cq_head;
	while (head == __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE)) {
		unsigned todo = tail + 1 - __atomic_load_n(u->sq_head, __ATOMIC_ACQUIRE);
		if (syscall(__NR_io_uring_enter, u->fd, todo, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0 &&
		    errno != EINTR && errno != EAGAIN)
			return -errno;
	}
	ssize_t res = u->cqes[head & *u->cq_mask].res;
	__atomic_store_n(u->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/* ... and one the block layer could not take at once (a polled request is
 * REQ_NOWAIT: no free tag) completes with -EAGAIN and is submitted again. */
static ssize_t uring_rw(struct uring *u, int fd, int write_it, void *buf, size_t len, off_t off)
{
	ssize_t r;
	int tries = 0;

	do
		r = uring_rw_once(u, fd, write_it, buf, len, off);
	while (r == -EAGAIN && ++tries < 100);
	return r;
}

#endif
