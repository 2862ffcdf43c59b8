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

#include "kernel/types.h"

#define CONSOLE_ESCAPE 0x1d /* Ctrl-] */

struct vm;

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
