/*
 * What rvhv needs of an IOMMU, whichever the platform has: a virtio-iommu
 * (viommu.c; QEMU 7.2) now, a RISC-V IOMMU (spec 1.0) driver later behind
 * the same ops.  Endpoints are PCI requester IDs (passthru/pci.h PCI_BDF).
 *
 * Policy (iommu.c): bypass is off, so a device no VM owns has no DMA at
 * all; each VM with an assigned device gets one domain mapping exactly its
 * RAM, GPA -> HPA; fault reports are logged with the VM, the device and the
 * address.
 */
#ifndef RVHV_IOMMU_H
#define RVHV_IOMMU_H

#include "kernel/types.h"

struct vm;

#define IOMMU_READ (1U << 0)
#define IOMMU_WRITE (1U << 1)

struct iommu_fault {
	u32 endpoint;
	u64 addr;        /* the IOVA, when addr_valid */
	bool addr_valid;
	bool read, write;
	bool no_domain;  /* the endpoint is attached to no domain (else: no mapping/permission) */
};

struct iommu_ops {
	/* A new empty domain that translates (not bypass). 0 or -1. */
	int (*domain_alloc)(void *priv, u32 *domain);
	int (*attach)(void *priv, u32 domain, u32 endpoint);
	/* Map [iova, iova+size) -> [pa, pa+size) with IOMMU_READ|IOMMU_WRITE
	 * (prot 0: a mapping that faults every access). */
	int (*map)(void *priv, u32 domain, u64 iova, u64 pa, u64 size, u32 prot);
	/* Fault reports that arrived since the last call: up to max into out. */
	int (*faults)(void *priv, struct iommu_fault *out, int max);
};

struct iommu {
	const struct iommu_ops *ops;
	void *priv;
	char name[48]; /* for the console: "virtio-iommu at 0x10008000" */
	char error[80]; /* what the last failed operation said */
};

/* The platform's IOMMU, or NULL if it has none (iommu_probe sets it). */
extern struct iommu *host_iommu;

/* Find and bring up the platform's IOMMU; prints what it found. */
void iommu_probe(void);
/*
 * Let VM vm's devices DMA into its RAM: its domain (made on first use) maps
 * [mem_base, mem_base+mem_size) to ram_hpa, then endpoint is attached to it.
 * The caller (vpci.c) has checked that no other VM owns the endpoint, and
 * records the owner in its pci_func, where fault reports look it up.
 * 0, or -1 with a message in err.
 */
int iommu_assign(struct vm *vm, u32 endpoint, char *err, size_t errlen);
/* Log the fault reports that arrived (from rvhv's tick). */
void iommu_poll(void);

/* Drivers: the platform's IOMMU of their kind, brought up, or NULL (with a
 * message in err if one was found but cannot be used). */
struct iommu *viommu_probe(char *err, size_t errlen);

#endif
