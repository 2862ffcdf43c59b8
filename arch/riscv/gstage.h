/*
 * G-stage (guest-physical -> host-physical) page tables, Sv39x4: a 16 KiB
 * root indexed by GPA bits 40:30, then two ordinary Sv39 levels (privileged
 * spec, "Two-Stage Address Translation").  Pure C: the hypervisor runs with
 * translation off, so a table's host-physical address is its pointer.
 */
#ifndef RVHV_GSTAGE_H
#define RVHV_GSTAGE_H

#include "kernel/types.h"

#define GSTAGE_GPA_BITS 41
#define GSTAGE_ROOT_SIZE (16 * KiB)

/* Leaf permissions; U is always set (G-stage leaves are user pages). */
#define GSTAGE_R (1U << 1)
#define GSTAGE_W (1U << 2)
#define GSTAGE_X (1U << 3)
#define GSTAGE_RWX (GSTAGE_R | GSTAGE_W | GSTAGE_X)

struct gstage {
	u64 *root;       /* GSTAGE_ROOT_SIZE bytes, 16 KiB aligned */
	void *(*alloc)(void); /* a zeroed, 4 KiB aligned page for inner tables */
	u64 leaves_2m, leaves_4k; /* statistics: what the mapper chose */
};

/*
 * Map [gpa, gpa+size) to [hpa, hpa+size) with `perm`, using 2 MiB leaves
 * wherever both addresses are 2 MiB aligned and 2 MiB remain.  All three
 * must be 4 KiB aligned and the range below 2^41.  Returns 0, -1 for bad
 * arguments or an already-mapped page, -2 when alloc fails.
 */
int gstage_map(struct gstage *gs, u64 gpa, u64 hpa, u64 size, u32 perm);

/*
 * Turn the leaves that map [gpa, gpa+size) (all of them made by gstage_map,
 * none reaching outside the range) invalid, so that an access faults, or
 * valid again; they keep their address and permissions.  0, or -1 when the
 * range does not cover whole leaves.  The caller fences (hfence.gvma).
 */
int gstage_set_valid(struct gstage *gs, u64 gpa, u64 size, bool valid);

/* Walk the tables: host-physical address for gpa, or ~0 when unmapped;
 * *perm gets the leaf's R/W/X bits. */
u64 gstage_translate(const struct gstage *gs, u64 gpa, u32 *perm);

/* hgatp value for these tables and VMID. */
u64 gstage_hgatp(const struct gstage *gs, u64 vmid);

#endif
