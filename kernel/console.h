/*
 * The physical console, shared by rvhv and every VM.  With more than one VM,
 * each line a guest prints starts with its VM's name; keyboard input goes
 * to one VM at a time, switched with the escape key Ctrl-] then:
 *   0..9  send input to that VM     s  exit statistics
 *   l     list VMs and their state  d  dump every vCPU's state
 *   k<n>  stop VM n                 r<n>  restart VM n (reset, or boot if stopped)
 *   ?     help                      Ctrl-]  a literal Ctrl-]
 *   !     panic on purpose, with root property rvhv,debug-keys (tests the fatal path)
 */
#ifndef RVHV_CONSOLE_H
#define RVHV_CONSOLE_H

#include "kernel/spinlock.h"
#include "kernel/types.h"

#define CONSOLE_ESCAPE 0x1d /* Ctrl-] */

struct vm;

/*
 * The output line the console is on: who wrote last, and whether a line
 * was ended.  Exported for the assembly tier of guest_exit (switch.S),
 * which sends a guest's UART bytes out itself, with the lock, when it
 * is the console's only VM (`direct`) and the line is its own.
 */
struct console_line {
	struct spinlock lock;
	int last_writer;    /* VM id, -1 = rvhv, -2 = nobody yet */
	char last_char;     /* the last byte sent: '\n' = a line's start */
	bool direct;        /* one VM: its output goes out as it comes */
	volatile u8 *uart;  /* the physical 16550 */
};
extern struct console_line console_line;

void console_init(u64 uart_base);
/* Output from a guest (SBI putchar/DBCN, later the emulated UART). */
void console_guest_write(struct vm *vm, const char *s, size_t n);
/* Print what the VM has not finished a line of (before rvhv speaks of it). */
void console_flush(struct vm *vm);
/* Print partial guest lines that waited a tick (called on hypervisor ticks). */
void console_tick(void);
/* Read the physical UART and route what arrived (called on hypervisor ticks). */
void console_poll_input(void);
/* Next input byte queued for vm, or -1. */
int console_getc(struct vm *vm);
/* rvhv's own output; used by kprintf. */
void console_write(const char *s, size_t n);
/* A fatal error: from now on print without taking the console lock. */
void console_panic(void);
/* Ctrl-] ! is enabled (the config's root has rvhv,debug-keys). */
extern bool console_debug_keys;

#endif
