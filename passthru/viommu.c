/*
 * A virtio-iommu driver (virtio 1.2 §5.13) behind struct iommu_ops: QEMU's
 * -device virtio-iommu-device,primary-bus=pcie.0 on a virtio-mmio slot
 * translates the DMA of every function on that bus.  Requests go on queue
 * 0 one at a time and are polled to completion (rare: at VM creation);
 * fault reports arrive in buffers rvhv keeps posted on queue 1, taken from
 * rvhv's tick.
 */
#include "kernel/lib.h"
#include "kernel/mm.h"
#include "kernel/platform.h"
#include "kernel/spinlock.h"
#include "passthru/iommu.h"
#include "virtio/host.h"

#define VIRTIO_ID_IOMMU 23

/* Feature bits (§5.13.3). */
#define F_INPUT_RANGE (1UL << 0)
#define F_DOMAIN_RANGE (1UL << 1)
#define F_MAP_UNMAP (1UL << 2)
#define F_BYPASS_CONFIG (1UL << 6)

/* Configuration layout (§5.13.4). */
#define CFG_PAGE_SIZE_MASK 0
#define CFG_INPUT_START 8
#define CFG_INPUT_END 16
#define CFG_DOMAIN_START 24
#define CFG_DOMAIN_END 28
#define CFG_BYPASS 36

/* Requests (§5.13.6): a device-readable body, a device-writable tail. */
#define T_ATTACH 1
#define T_MAP 3
#define MAP_F_READ (1U << 0)
#define MAP_F_WRITE (1U << 1)

struct req_attach {
	u8 type, reserved[3];
	u32 domain, endpoint, flags;
	u8 reserved2[4];
} __attribute__((packed));

struct req_map {
	u8 type, reserved[3];
	u32 domain;
	u64 virt_start, virt_end; /* inclusive */
	u64 phys_start;
	u32 flags;
} __attribute__((packed));

struct req_tail {
	u8 status, reserved[3];
};

/* Fault reports (§5.13.7). */
#define FAULT_R_UNKNOWN 0
#define FAULT_R_DOMAIN 1
#define FAULT_F_READ (1U << 0)
#define FAULT_F_WRITE (1U << 1)
#define FAULT_F_ADDRESS (1U << 8)

struct fault_report {
	u8 reason, reserved[3];
	u32 flags, endpoint;
	u8 reserved2[4];
	u64 address;
};

#define NEVENTS 32
#define EVENT_SIZE 64 /* room for a report grown by a later spec */

struct viommu {
	struct host_virtio *dev;
	struct iommu iommu;
	struct spinlock lock; /* the request buffer */
	u64 page_mask;
	u64 iova_first, iova_last;
	u64 domain_next, domain_last; /* 64-bit: the last ID of the range is usable too */
	bool bypass_config;
	u8 *req; /* request body at 0, its tail at TAIL */
	u8 *events;
	int nevents;
};

#define TAIL 2048

static const char *const status_names[] = {
	"OK", "IOERR", "UNSUPP", "DEVERR", "INVAL", "RANGE", "NOENT", "FAULT", "NOMEM",
};

static int send(struct viommu *v, const void *body, u32 len, const char *what)
{
	struct req_tail *tail = (struct req_tail *)(v->req + TAIL);
	u32 written = 0;

	spin_lock(&v->lock);
	memcpy(v->req, body, len);
	tail->status = 0xff;
	struct host_seg segs[2] = {
		{(u64)(uintptr_t)v->req, len, false},
		{(u64)(uintptr_t)tail, sizeof(*tail), true},
	};
	int rc = host_virtio_request_on(v->dev, 0, segs, 2, &written);
	u8 status = tail->status;
	spin_unlock(&v->lock);
	if (rc || written < 1) {
		ksnprintf(v->iommu.error, sizeof(v->iommu.error), "%s: the device failed", what);
		return -1;
	}
	if (status) {
		ksnprintf(v->iommu.error, sizeof(v->iommu.error), "%s: status %s", what,
			  status < ARRAY_SIZE(status_names) ? status_names[status] : "?");
		return -1;
	}
	return 0;
}

static int viommu_domain_alloc(void *priv, u32 *domain)
{
	struct viommu *v = priv;

	if (v->domain_next > v->domain_last) {
		ksnprintf(v->iommu.error, sizeof(v->iommu.error), "no domain IDs left");
		return -1;
	}
	/* The device makes the domain on its first ATTACH (§5.13.6.3). */
	*domain = (u32)v->domain_next++;
	return 0;
}

static int viommu_attach(void *priv, u32 domain, u32 endpoint)
{
	struct req_attach r = {.type = T_ATTACH, .domain = domain, .endpoint = endpoint};

	return send(priv, &r, sizeof(r), "ATTACH");
}

static int viommu_map(void *priv, u32 domain, u64 iova, u64 pa, u64 size, u32 prot)
{
	struct viommu *v = priv;
	u64 granule = v->page_mask & -v->page_mask;
	struct req_map r = {
		.type = T_MAP,
		.domain = domain,
		.virt_start = iova,
		.virt_end = iova + size - 1,
		.phys_start = pa,
		.flags = (prot & IOMMU_READ ? MAP_F_READ : 0) |
			 (prot & IOMMU_WRITE ? MAP_F_WRITE : 0),
	};

	if (!size || (iova | pa | size) & (granule - 1)) {
		ksnprintf(v->iommu.error, sizeof(v->iommu.error),
			  "MAP of 0x%lx+0x%lx is not in pages of 0x%lx", iova, size, granule);
		return -1;
	}
	if (iova < v->iova_first || r.virt_end > v->iova_last || r.virt_end < iova) {
		ksnprintf(v->iommu.error, sizeof(v->iommu.error),
			  "IOVA 0x%lx+0x%lx is outside 0x%lx-0x%lx", iova, size, v->iova_first,
			  v->iova_last);
		return -1;
	}
	return send(v, &r, sizeof(r), "MAP");
}

static void post_event(struct viommu *v, u16 id)
{
	host_virtio_post(v->dev, 1, id, (u64)(uintptr_t)(v->events + id * EVENT_SIZE), EVENT_SIZE);
}

/* Rvhv's tick only (hart 0): the event queue has no lock of its own. */
static int viommu_faults(void *priv, struct iommu_fault *out, int max)
{
	struct viommu *v = priv;
	int n = 0;
	u16 id;
	u32 len;

	while (n < max && host_virtio_take(v->dev, 1, &id, &len)) {
		if (id >= v->nevents)
			continue;
		struct fault_report r;
		memcpy(&r, v->events + id * EVENT_SIZE, sizeof(r));
		post_event(v, id);
		if (len < sizeof(r))
			continue;
		out[n] = (struct iommu_fault){
			.endpoint = r.endpoint,
			.addr = r.address,
			.addr_valid = r.flags & FAULT_F_ADDRESS,
			.read = r.flags & FAULT_F_READ,
			.write = r.flags & FAULT_F_WRITE,
			/* QEMU 7.2 reports an endpoint that was never attached
			 * as UNKNOWN, one whose domain went away as DOMAIN. */
			.no_domain = r.reason == FAULT_R_DOMAIN || r.reason == FAULT_R_UNKNOWN,
		};
		n++;
	}
	return n;
}

static const struct iommu_ops viommu_ops = {
	.domain_alloc = viommu_domain_alloc,
	.attach = viommu_attach,
	.map = viommu_map,
	.faults = viommu_faults,
};

/* Bypass off: a function attached to no domain has no DMA at all. */
static int bypass_off(struct viommu *v, char *err, size_t errlen)
{
	v->bypass_config = v->dev->features & F_BYPASS_CONFIG;
	if (!v->bypass_config) {
		/* Without BYPASS_CONFIG the device lets endpoints bypass only
		 * if the driver accepted F_BYPASS (§5.13.3.2), which rvhv never does. */
		return 0;
	}
	host_virtio_config_write(v->dev, CFG_BYPASS, 1, 0);
	if (host_virtio_config(v->dev, CFG_BYPASS, 1) != 0)
		return errorf(err, errlen, "config bypass stays on");
	return 0;
}

static int viommu_init(struct viommu *v, u64 base, char *err, size_t errlen)
{
	u64 want = F_INPUT_RANGE | F_DOMAIN_RANGE | F_MAP_UNMAP | F_BYPASS_CONFIG;

	v->dev = host_virtio_claim(base, VIRTIO_ID_IOMMU, want, 2, err, errlen);
	if (!v->dev)
		return -1;
	if (!(v->dev->features & F_MAP_UNMAP))
		return errorf(err, errlen, "it offers no MAP/UNMAP");
	if (bypass_off(v, err, errlen))
		return -1;
	v->page_mask = host_virtio_config(v->dev, CFG_PAGE_SIZE_MASK, 8);
	if (!v->page_mask || (v->page_mask & -v->page_mask) > PAGE_SIZE)
		return errorf(err, errlen, "its smallest page (mask 0x%lx) is over 4 KiB",
			      v->page_mask);
	v->iova_first = 0;
	v->iova_last = ~0UL;
	if (v->dev->features & F_INPUT_RANGE) {
		v->iova_first = host_virtio_config(v->dev, CFG_INPUT_START, 8);
		v->iova_last = host_virtio_config(v->dev, CFG_INPUT_END, 8);
	}
	v->domain_next = 0;
	v->domain_last = ~0U;
	if (v->dev->features & F_DOMAIN_RANGE) {
		v->domain_next = (u32)host_virtio_config(v->dev, CFG_DOMAIN_START, 4);
		v->domain_last = (u32)host_virtio_config(v->dev, CFG_DOMAIN_END, 4);
	}
	v->req = mm_alloc(PAGE_SIZE, PAGE_SIZE);
	v->events = mm_alloc(NEVENTS * EVENT_SIZE, PAGE_SIZE);
	if (!v->req || !v->events)
		return errorf(err, errlen, "no memory");
	v->nevents = v->dev->q[1].size < NEVENTS ? v->dev->q[1].size : NEVENTS;
	for (int i = 0; i < v->nevents; i++)
		post_event(v, (u16)i);
	return 0;
}

struct iommu *viommu_probe(char *err, size_t errlen)
{
	static struct viommu v;

	err[0] = '\0';
	for (int i = 0; i < platform.nvirtio; i++) {
		u64 base = platform.virtio[i].base;
		if (host_virtio_probe(base) != VIRTIO_ID_IOMMU)
			continue;
		char why[120];
		if (viommu_init(&v, base, why, sizeof(why))) {
			errorf(err, errlen, "virtio-iommu at 0x%lx: %s", base, why);
			return NULL;
		}
		v.iommu.ops = &viommu_ops;
		v.iommu.priv = &v;
		ksnprintf(v.iommu.name, sizeof(v.iommu.name), "virtio-iommu at 0x%lx", base);
		kprintf("rvhv: iommu: %s, bypass off%s, page sizes %lu KiB and up (mask 0x%lx), "
			"IOVA 0x%lx-0x%lx, domains %lu-%lu\n",
			v.iommu.name, v.bypass_config ? "" : " (F_BYPASS not accepted)",
			(v.page_mask & -v.page_mask) / KiB, v.page_mask, v.iova_first, v.iova_last,
			v.domain_next, v.domain_last);
		return &v.iommu;
	}
	return NULL;
}
