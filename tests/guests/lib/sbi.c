/* Thin wrappers over sbi_ecall, one per SBI function the guests use. */
#include "guest.h"

long sbi_probe(unsigned long eid)
{
	struct sbiret r = sbi_ecall(SBI_EXT_BASE, 3, eid, 0, 0, 0);
	return r.error ? 0 : r.value;
}

struct sbiret sbi_get_spec_version(void)
{
	return sbi_ecall(SBI_EXT_BASE, 0, 0, 0, 0, 0);
}

struct sbiret sbi_get_impl_id(void)
{
	return sbi_ecall(SBI_EXT_BASE, 1, 0, 0, 0, 0);
}

struct sbiret sbi_get_impl_version(void)
{
	return sbi_ecall(SBI_EXT_BASE, 2, 0, 0, 0, 0);
}

void sbi_set_timer(uint64_t stime)
{
	/* Probed once: 0 = not yet, 1 = TIME extension, -1 = legacy only. */
	static int use_time;
	if (!use_time)
		use_time = sbi_probe(SBI_EXT_TIME) ? 1 : -1;
	if (use_time > 0)
		sbi_ecall(SBI_EXT_TIME, 0, stime, 0, 0, 0);
	else
		sbi_ecall(SBI_EXT_LEGACY_SET_TIMER, 0, stime, 0, 0, 0);
}

struct sbiret sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base)
{
	return sbi_ecall(SBI_EXT_IPI, 0, hart_mask, hart_mask_base, 0, 0);
}

struct sbiret sbi_remote_fence_i(unsigned long hart_mask, unsigned long hart_mask_base)
{
	return sbi_ecall(SBI_EXT_RFENCE, 0, hart_mask, hart_mask_base, 0, 0);
}

struct sbiret sbi_remote_sfence_vma(unsigned long hart_mask, unsigned long hart_mask_base,
				    unsigned long start, unsigned long size)
{
	return sbi_ecall(SBI_EXT_RFENCE, 1, hart_mask, hart_mask_base, start, size);
}

struct sbiret sbi_hart_start(unsigned long hartid, unsigned long start_addr, unsigned long opaque)
{
	return sbi_ecall(SBI_EXT_HSM, 0, hartid, start_addr, opaque, 0);
}

struct sbiret sbi_hart_stop(void)
{
	return sbi_ecall(SBI_EXT_HSM, 1, 0, 0, 0, 0);
}

struct sbiret sbi_hart_get_status(unsigned long hartid)
{
	return sbi_ecall(SBI_EXT_HSM, 2, hartid, 0, 0, 0);
}

struct sbiret sbi_dbcn_write(unsigned long num_bytes, unsigned long base)
{
	return sbi_ecall(SBI_EXT_DBCN, 0, num_bytes, base, 0, 0);
}

struct sbiret sbi_dbcn_read(unsigned long num_bytes, unsigned long base)
{
	return sbi_ecall(SBI_EXT_DBCN, 1, num_bytes, base, 0, 0);
}

struct sbiret sbi_system_reset(unsigned long type, unsigned long reason)
{
	return sbi_ecall(SBI_EXT_SRST, 0, type, reason, 0, 0);
}

void sbi_legacy_putchar(int c)
{
	sbi_ecall(SBI_EXT_LEGACY_PUTCHAR, 0, (unsigned char)c, 0, 0, 0);
}

/* Legacy calls return only a0: the character, or -1 when there is none. */
int sbi_legacy_getchar(void)
{
	return (int)sbi_ecall(SBI_EXT_LEGACY_GETCHAR, 0, 0, 0, 0, 0).error;
}

void sbi_legacy_shutdown(void)
{
	sbi_ecall(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0, 0, 0);
}
