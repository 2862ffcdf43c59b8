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

bool fdt_find_u32(const void *fdt, const char *prop, uint32_t *out)
{
	const uint8_t *base = fdt;
	if (!fdt || ((uintptr_t)fdt & 3) || be32(base) != FDT_MAGIC)
		return false;
	uint32_t size = be32(base + 4), off = be32(base + 8), strings = be32(base + 12);
	while (off + 4 <= size) {
		uint32_t token = be32(base + off);
		off += 4;
		if (token == FDT_BEGIN_NODE) {
			while (off < size && base[off])
				off++;
			off = (off + 4) & ~3u; /* past the NUL, 4-aligned */
		} else if (token == FDT_PROP && off + 8 <= size) {
			uint32_t len = be32(base + off), name = be32(base + off + 4);
			off += 8;
			if (len == 4 && off + 4 <= size && strings + name < size &&
			    str_eq((const char *)base + strings + name, prop)) {
				*out = be32(base + off);
				return true;
			}
			off = (off + len + 3) & ~3u;
		} else if (token != FDT_END_NODE && token != FDT_NOP) {
			break; /* FDT_END or a corrupt blob */
		}
	}
	return false;
}
