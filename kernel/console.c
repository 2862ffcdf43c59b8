/*
 * The physical console: a polled 16550 (QEMU virt's ns16550a), guest output
 * tagged per VM, input routed to the VM that has focus.
 */
#include "kernel/console.h"
#include "kernel/hart.h"
#include "kernel/lib.h"
#include "kernel/spinlock.h"
#include "kernel/vm.h"

/* 16550 registers (byte-wide, reg-shift 0 on QEMU virt). */
#define UART_RBR 0
#define UART_THR 0
#define UART_LSR 5
#define LSR_DR 0x01
#define LSR_THRE 0x20

struct console_line console_line = {.last_writer = -2, .last_char = '\n'};
static int focus;            /* VM receiving keyboard input */
static bool escaped;         /* Ctrl-] seen, waiting for the command key */
static char pending;         /* a command waiting for its VM number: 'k' or 'r' */
static volatile bool panicking; /* a hart is dying: it prints without the lock */
bool console_debug_keys;

void console_init(u64 uart_base)
{
	console_line.uart = (volatile u8 *)(uintptr_t)uart_base;
}

static void uart_putc(char c)
{
	if (!console_line.uart)
		return;
	while (!(console_line.uart[UART_LSR] & LSR_THRE))
		;
	console_line.uart[UART_THR] = c;
}

/* Emit one byte on behalf of `who`, breaking the line if someone else was
 * in the middle of one, and tagging guest lines when several VMs share it. */
static void emit(int who, const char *tag, char c)
{
	if (console_line.last_char != '\n' && console_line.last_writer != who) {
		uart_putc('\n');
		console_line.last_char = '\n';
	}
	if (console_line.last_char == '\n' && tag) {
		for (; *tag; tag++)
			uart_putc(*tag);
		uart_putc('|');
		uart_putc(' ');
	}
	uart_putc(c);
	console_line.last_char = c;
	console_line.last_writer = who;
}

void console_write(const char *s, size_t n)
{
	if (panicking) { /* the lock may be held by the hart that panicked */
		for (size_t i = 0; i < n; i++)
			emit(-1, NULL, s[i]);
		return;
	}
	spin_lock(&console_line.lock);
	for (size_t i = 0; i < n; i++)
		emit(-1, NULL, s[i]);
	spin_unlock(&console_line.lock);
}

void console_panic(void)
{
	panicking = true;
}

static void flush_line(struct vm *vm)
{
	for (u32 i = 0; i < vm->out_n; i++)
		emit(vm->id, vm->cfg->name, vm->out_line[i]);
	vm->out_n = 0;
	vm->out_aged = false;
}

/*
 * With one VM its output goes out as it comes.  With several, each VM's
 * output is gathered a line at a time and printed whole, with the VM's name,
 * so that VMs printing at once do not cut each other's lines; a partial line
 * (a prompt) goes out on the next tick (console_tick).
 */
void console_guest_write(struct vm *vm, const char *s, size_t n)
{
	spin_lock(&console_line.lock);
	for (size_t i = 0; i < n; i++) {
		if (console_line.direct) {
			emit(vm->id, NULL, s[i]);
			continue;
		}
		vm->out_line[vm->out_n++] = s[i];
		if (s[i] == '\n' || vm->out_n == sizeof(vm->out_line))
			flush_line(vm);
	}
	spin_unlock(&console_line.lock);
}

void console_flush(struct vm *vm)
{
	spin_lock(&console_line.lock);
	flush_line(vm);
	spin_unlock(&console_line.lock);
}

void console_tick(void)
{
	spin_lock(&console_line.lock);
	for (int i = 0; i < nvms; i++) {
		struct vm *vm = &vms[i];
		if (vm->out_n && vm->out_aged)
			flush_line(vm);
		else if (vm->out_n)
			vm->out_aged = true;
	}
	spin_unlock(&console_line.lock);
}

static void queue_input(struct vm *vm, char c)
{
	u32 head = vm->in_head;
	if (head - vm->in_tail >= sizeof(vm->in_buf))
		return; /* full: a real UART would overrun and drop too */
	vm->in_buf[head % sizeof(vm->in_buf)] = c;
	__atomic_store_n(&vm->in_head, head + 1, __ATOMIC_RELEASE);
}

int console_getc(struct vm *vm)
{
	u32 tail = vm->in_tail;
	if (tail == __atomic_load_n(&vm->in_head, __ATOMIC_ACQUIRE))
		return -1;
	char c = vm->in_buf[tail % sizeof(vm->in_buf)];
	vm->in_tail = tail + 1;
	return (u8)c;
}

static void help(void)
{
	kprintf("rvhv: Ctrl-] then: 0-9 input to that vm, l list vms, s exit statistics, "
		"k<n> stop vm n, r<n> restart vm n, d dump vCPU state, Ctrl-] a literal Ctrl-]%s\n",
		console_debug_keys ? ", ! panic (rvhv,debug-keys)" : "");
}

/* The second key of Ctrl-] k<n> and Ctrl-] r<n>. */
static void vm_command(char cmd, char c)
{
	if (c < '0' || c > '9' || c - '0' >= nvms) {
		kprintf("rvhv: no vm %c\n", c);
		return;
	}
	struct vm *vm = &vms[c - '0'];
	if (cmd == 'k' && vm->state == VM_STOPPED)
		kprintf("rvhv: vm '%s' is stopped already\n", vm->cfg->name);
	else if (cmd == 'k')
		vm_shutdown(vm, "stopped from the console");
	else
		vm_restart(vm, "restarted from the console");
}

static void escape_command(char c)
{
	if (c >= '0' && c <= '9') {
		if (c - '0' < nvms) {
			focus = c - '0';
			kprintf("rvhv: input goes to vm %d '%s'\n", focus, vms[focus].cfg->name);
		} else {
			kprintf("rvhv: no vm %c\n", c);
		}
	} else if (c == 's') {
		for (int i = 0; i < nvms; i++)
			vm_print_stats(&vms[i]);
	} else if (c == 'l') {
		vm_print_list();
	} else if (c == 'k' || c == 'r') {
		pending = c;
	} else if (c == 'd') {
		vm_dump_state();
	} else if (c == '!' && console_debug_keys) {
		panic("Ctrl-] ! on the console");
	} else if (c == CONSOLE_ESCAPE) {
		queue_input(&vms[focus], c);
	} else {
		help();
	}
}

void console_poll_input(void)
{
	if (!console_line.uart || nvms == 0)
		return;
	while (console_line.uart[UART_LSR] & LSR_DR) {
		char c = console_line.uart[UART_RBR];
		if (pending) {
			char cmd = pending;
			pending = 0;
			vm_command(cmd, c);
		} else if (escaped) {
			escaped = false;
			escape_command(c);
		} else if (c == CONSOLE_ESCAPE) {
			escaped = true;
		} else {
			queue_input(&vms[focus], c);
		}
	}
	vm_feed_uart(&vms[focus]);
}

void kprintf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}
