/*
 * The test guests' runtime: CSR access, console, traps, checks, timing.
 * Guests run in S-mode (VS-mode under rvhv) with paging off, so every
 * pointer is a (guest-)physical address.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbi.h"

#define GUEST_MAX_HARTS 8 /* crt0.S has stacks for hart ids 0..7 */

#define csr_read(csr)                                           \
	({                                                      \
		unsigned long v_;                               \
		asm volatile("csrr %0, " #csr : "=r"(v_)::"memory"); \
		v_;                                             \
	})
#define csr_write(csr, val) asm volatile("csrw " #csr ", %0" ::"r"(val) : "memory")
#define csr_set(csr, bits) asm volatile("csrs " #csr ", %0" ::"r"(bits) : "memory")
#define csr_clear(csr, bits) asm volatile("csrc " #csr ", %0" ::"r"(bits) : "memory")

#define SSTATUS_SIE (1UL << 1)
#define SIE_SSIE (1UL << 1)
#define SIE_STIE (1UL << 5)
#define SIP_SSIP (1UL << 1)

#define SCAUSE_IRQ (1UL << 63)
#define IRQ_S_SOFT 1
#define IRQ_S_TIMER 5
#define EXC_ILLEGAL_INSN 2
#define EXC_LOAD_ACCESS 5
#define EXC_STORE_ACCESS 7

static inline unsigned long rdtime(void)
{
	unsigned long t;
	asm volatile("rdtime %0" : "=r"(t));
	return t;
}

/* crt0.S keeps the hart id in tp: nothing else uses it (no TLS here). */
static inline unsigned long hart_id(void)
{
	unsigned long id;
	asm volatile("mv %0, tp" : "=r"(id));
	return id;
}

static inline void wfi(void)
{
	asm volatile("wfi" ::: "memory");
}

/* Provided by each guest: main on the boot hart, secondary_main on harts
 * started with SBI HSM (the runtime's default just stops the hart). */
int main(unsigned long hartid, const void *dtb);
void secondary_main(unsigned long hartid, unsigned long opaque);
extern char _secondary_start[]; /* HSM start address for sbi_hart_start */

/* console.c: DBCN when the SBI implementation has it, else legacy calls. */
void console_init(void);
bool console_has_dbcn(void);
void console_write(const char *s, size_t n);
int console_getc(void); /* -1 when no input is waiting */
int vsnprintf(char *buf, size_t len, const char *fmt, va_list ap);
int snprintf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* trap.c: one exception and one interrupt callback per guest; a callback
 * returns true when it handled the trap.  Anything unhandled ends the test. */
struct trap_frame {
	unsigned long regs[32]; /* regs[2] = the interrupted sp */
	unsigned long sepc, scause, stval, sstatus;
};
typedef bool (*trap_fn)(struct trap_frame *f);
void trap_on_exception(trap_fn fn);
void trap_on_interrupt(trap_fn fn);
void trap_skip_insn(struct trap_frame *f);

/* A ready-made exception callback: record the trap, skip the instruction. */
struct fault_record {
	unsigned long count, scause, stval, sepc;
};
extern volatile struct fault_record fault;
void fault_catch(bool on);
void fault_reset(void);

/* check.c: "ok <name>" / "FAIL <name>: <why>" lines and the summary. */
void ok(const char *name);
void fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void check_begin(void);
void check_why(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool check_end(const char *name);
void summary(const char *guest);
__attribute__((noreturn)) void finish(const char *guest);
__attribute__((noreturn)) void shutdown(void);

/* timer.c */
extern unsigned long timebase; /* Hz, from the DTB; QEMU virt's 10 MHz if absent */
void timer_init(const void *dtb);
void sleep_until(unsigned long t);
void sleep_ms(unsigned long ms);

/* fdt.c */
bool fdt_find_u32(const void *fdt, const char *prop, uint32_t *out);
typedef void (*fdt_prop_fn)(const char *node, const char *prop, const void *val, uint32_t len,
			    void *arg);
bool fdt_walk(const void *fdt, fdt_prop_fn cb, void *arg);
uint32_t fdt_be32(const void *p);

/* string.c: GCC may emit calls to these even when freestanding. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);
int memcmp(const void *a, const void *b, size_t n);
int strcmp(const char *a, const char *b);

#endif
