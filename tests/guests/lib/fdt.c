/*
 * Just enough flattened-device-tree reading to find one u32 property by
 * name (the devicetree spec, chapter 5: big-endian header, a structure
 * block of tokens, a strings block).  Every read is bounded by totalsize.
 */
#include "guest.h"

#define FDT_MAGIC 0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/*
 * Call cb for every property, with the name of the node holding it.
 * Returns false for a blob that is not a device tree.
 */
bool fdt_walk(const void *fdt, fdt_prop_fn cb, void *arg)
{
	const uint8_t *base = fdt;
	const char *node = "";
	if (!fdt || ((uintptr_t)fdt & 3) || be32(base) != FDT_MAGIC)
		return false;
	uint32_t size = be32(base + 4), off = be32(base + 8), strings = be32(base + 12);
	while (off + 4 <= size) {
		uint32_t token = be32(base + off);
		off += 4;
		if (token == FDT_BEGIN_NODE) {
			node = (const char *)base + off;
			while (off < size && base[off])
				off++;
			off = (off + 4) & ~3u; /* past the NUL, 4-aligned */
		} else if (token == FDT_PROP && off + 8 <= size) {
			uint32_t len = be32(base + off), name = be32(base + off + 4);
			off += 8;
			if (off + len > size || off + len < off || strings + name >= size)
				break;
			cb(node, (const char *)base + strings + name, base + off, len, arg);
			off = (off + len + 3) & ~3u;
		} else if (token != FDT_END_NODE && token != FDT_NOP) {
			break; /* FDT_END or a corrupt blob */
		}
	}
	return true;
}

struct find_u32 {
	const char *prop;
	uint32_t *out;
	bool found;
};

static void match_u32(const char *node, const char *name, const void *val, uint32_t len, void *arg)
{
	struct find_u32 *f = arg;
	(void)node;
	if (!f->found && len == 4 && str_eq(name, f->prop)) {
		*f->out = be32(val);
		f->found = true;
	}
}

bool fdt_find_u32(const void *fdt, const char *prop, uint32_t *out)
{
	struct find_u32 f = {prop, out, false};
	return fdt_walk(fdt, match_u32, &f) && f.found;
}

uint32_t fdt_be32(const void *p)
{
	return be32(p);
}
