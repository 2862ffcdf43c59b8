/* Unit-test helper: one guest access through a device model's mmio_ops access function. */
#ifndef RVHV_UNIT_MMIO_H
#define RVHV_UNIT_MMIO_H

#include "kernel/decode.h"

/*
 * A load starts from garbage so that every result is really written; the
 * store's data or the load's result is in *value afterwards.  Returns what
 * the model returned (nonzero: the guest would get an access fault).
 */
static inline int mmio_call(int (*access)(void *, u64, struct mmio_access *), void *dev, u64 off,
			    u8 width, bool write, u64 *value)
{
	struct mmio_access a = {
		.width = width, .write = write, .value = write ? *value : 0xdeadbeefdeadbeefULL};
	int ret = access(dev, off, &a);
	*value = a.value;
	return ret;
}

#endif
