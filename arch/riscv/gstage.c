/* G-stage page tables, Sv39x4 (see gstage.h). */
#include "arch/riscv/gstage.h"
#include "arch/riscv/csr.h"

#define PTE_V (1UL << 0)
#define PTE_U (1UL << 4)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define PTE_PPN_SHIFT 10
#define PTE_PERM_MASK 0xeUL

/* Level 2 (the root) indexes 11 bits of the GPA, levels 1 and 0 nine each. */
static unsigned int pt_index(u64 gpa, int level)
{
	u64 mask = level == 2 ? 0x7ff : 0x1ff;
	return (gpa >> (PAGE_SHIFT + 9 * level)) & mask;
}

static u64 *pte_table(u64 pte)
{
	return (u64 *)(uintptr_t)((pte >> PTE_PPN_SHIFT) << PAGE_SHIFT);
}

static bool pte_is_leaf(u64 pte)
{
	return (pte & PTE_PERM_MASK) != 0;
}

/* A table or a leaf, the latter also while gstage_set_valid has it invalid. */
static bool pte_in_use(u64 pte)
{
	return (pte & PTE_V) || pte_is_leaf(pte);
}

/*
 * A/D are set up front: guests (xv6) rely on hardware A/D updating, and
 * G-stage A/D faults would be exits for nothing.
 */
static u64 make_leaf(u64 hpa, u32 perm)
{
	return ((hpa >> PAGE_SHIFT) << PTE_PPN_SHIFT) | (perm & PTE_PERM_MASK) | PTE_V | PTE_U |
	       PTE_A | PTE_D;
}

/* The table at `level` (1 or 0) covering gpa, allocating it if needed. */
static u64 *next_table(struct gstage *gs, u64 *table, u64 gpa, int level)
{
	u64 *pte = &table[pt_index(gpa, level + 1)];
	if (pte_in_use(*pte))
		return pte_is_leaf(*pte) ? NULL : pte_table(*pte);
	u64 *t = gs->alloc();
	if (!t)
		return NULL;
	*pte = (((u64)(uintptr_t)t >> PAGE_SHIFT) << PTE_PPN_SHIFT) | PTE_V;
	return t;
}

static int map_one(struct gstage *gs, u64 gpa, u64 hpa, u32 perm, bool huge)
{
	u64 *l1 = next_table(gs, gs->root, gpa, 1);
	if (!l1)
		return -2;
	u64 *pte = &l1[pt_index(gpa, 1)];
	if (huge) {
		if (pte_in_use(*pte))
			return -1;
		*pte = make_leaf(hpa, perm);
		gs->leaves_2m++;
		return 0;
	}
	u64 *l0 = next_table(gs, l1, gpa, 0);
	if (!l0)
		return pte_in_use(*pte) ? -1 : -2;
	pte = &l0[pt_index(gpa, 0)];
	if (pte_in_use(*pte))
		return -1;
	*pte = make_leaf(hpa, perm);
	gs->leaves_4k++;
	return 0;
}

int gstage_map(struct gstage *gs, u64 gpa, u64 hpa, u64 size, u32 perm)
{
	if (!IS_ALIGNED(gpa | hpa | size, PAGE_SIZE) || size == 0 || !(perm & GSTAGE_RWX) ||
	    gpa + size < gpa || gpa + size > (1ULL << GSTAGE_GPA_BITS))
		return -1;
	while (size) {
		bool huge = IS_ALIGNED(gpa | hpa, 2 * MiB) && size >= 2 * MiB;
		int err = map_one(gs, gpa, hpa, perm, huge);
		if (err)
			return err;
		u64 step = huge ? 2 * MiB : PAGE_SIZE;
		gpa += step;
		hpa += step;
		size -= step;
	}
	return 0;
}

/* The leaf PTE mapping gpa, valid or not (a leaf keeps its permission
 * bits while invalid), or NULL; *span gets the size it maps. */
static u64 *leaf_pte(const struct gstage *gs, u64 gpa, u64 *span)
{
	u64 *table = gs->root;
	for (int level = 2; level >= 0; level--) {
		u64 *pte = &table[pt_index(gpa, level)];
		if (pte_is_leaf(*pte)) {
			*span = 1ULL << (PAGE_SHIFT + 9 * level);
			return pte;
		}
		if (!(*pte & PTE_V))
			return NULL;
		table = pte_table(*pte);
	}
	return NULL;
}

int gstage_set_valid(struct gstage *gs, u64 gpa, u64 size, bool valid)
{
	if (!IS_ALIGNED(gpa | size, PAGE_SIZE) || gpa + size < gpa ||
	    gpa + size > (1ULL << GSTAGE_GPA_BITS))
		return -1;
	while (size) {
		u64 span;
		u64 *pte = leaf_pte(gs, gpa, &span);
		if (!pte || !IS_ALIGNED(gpa, span) || size < span)
			return -1;
		*pte = valid ? *pte | PTE_V : *pte & ~PTE_V;
		gpa += span;
		size -= span;
	}
	return 0;
}

u64 gstage_translate(const struct gstage *gs, u64 gpa, u32 *perm)
{
	if (gpa >= (1ULL << GSTAGE_GPA_BITS))
		return ~0ULL;
	const u64 *table = gs->root;
	for (int level = 2; level >= 0; level--) {
		u64 pte = table[pt_index(gpa, level)];
		if (!(pte & PTE_V))
			return ~0ULL;
		if (pte_is_leaf(pte)) {
			u64 span = 1ULL << (PAGE_SHIFT + 9 * level);
			if (perm)
				*perm = pte & PTE_PERM_MASK;
			return ((pte >> PTE_PPN_SHIFT) << PAGE_SHIFT) + (gpa & (span - 1));
		}
		table = pte_table(pte);
	}
	return ~0ULL;
}

u64 gstage_hgatp(const struct gstage *gs, u64 vmid)
{
	return (HGATP_MODE_SV39X4 << HGATP_MODE_SHIFT) | ((vmid & HGATP_VMID_MASK) << HGATP_VMID_SHIFT) |
	       ((u64)(uintptr_t)gs->root >> PAGE_SHIFT);
}
