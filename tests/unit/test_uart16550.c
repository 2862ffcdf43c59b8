/* The 16550A model, driven through its registers as xv6 and Linux drive it. */
#include <string.h>

#include "tests/unit/unit.h"

#include "kernel/mmio.h"
#include "vdev/uart16550.h"

enum { RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR };
#define THR RBR
#define FCR IIR
#define DLL RBR
#define DLM IER

static struct uart16550 uart;
static u8 txbuf[64];
static int ntx;
static int irq_calls;
static bool irq_line;

static void test_tx(void *ctx, u8 c)
{
	assert_ptr_equal(ctx, &uart);
	assert_true(ntx < (int)sizeof(txbuf));
	txbuf[ntx++] = c;
}

static void test_set_irq(void *ctx, bool level)
{
	assert_ptr_equal(ctx, &uart);
	assert_true(level != irq_line); /* only changes are reported */
	irq_line = level;
	irq_calls++;
}

/* The register window (uart16550_publish), published as a VM's UART
 * does; check_window holds it to what reads return after every access. */
static struct mmio_window win;

static int setup(void **state)
{
	ntx = 0;
	irq_calls = 0;
	irq_line = false;
	memset(&uart, 0xa5, sizeof(uart)); /* init must set every field */
	uart16550_init(&uart, test_tx, test_set_irq, &uart);
	win = (struct mmio_window){0};
	uart16550_publish(&uart, &win);
	return 0;
}

/*
 * Every byte load the window answers is what the model answers, and that
 * read changes nothing (the model's state, the line, the output); only
 * byte loads are published, IIR/LSR/SCR never, IER/LCR/MCR always.
 */
static void check_window(void)
{
	for (u64 off = 0; off < MMIO_WINDOW_SIZE; off++) {
		u64 v;
		for (u8 width = 2; width <= 8; width *= 2)
			assert_false(mmio_window_load(&win, off, width, &v));
		bool published = mmio_window_load(&win, off, 1, &v);
		if (off == IIR || off == LSR || off == SCR || off >= UART16550_SIZE)
			assert_false(published);
		if (off == IER || off == LCR || off == MCR)
			assert_true(published);
		if (!published)
			continue;
		struct uart16550 before = uart;
		int calls = irq_calls, sent = ntx;
		struct mmio_access acc = {.width = 1, .value = 0xdeadbeef};
		assert_int_equal(uart16550_access(&uart, off, &acc), 0);
		if (acc.value != v)
			fail_msg("window at 0x%lx: 0x%lx, the register reads 0x%lx", (unsigned long)off,
				 (unsigned long)v, (unsigned long)acc.value);
		if (memcmp(&before, &uart, sizeof(uart)) != 0)
			fail_msg("a published read at 0x%lx changed the model", (unsigned long)off);
		assert_int_equal(irq_calls, calls);
		assert_int_equal(ntx, sent);
	}
}

static u8 rd(u64 off)
{
	struct mmio_access acc = {.width = 1, .value = 0xdeadbeef};

	assert_int_equal(uart16550_access(&uart, off, &acc), 0);
	assert_true(acc.value <= 0xff);
	check_window();
	return acc.value;
}

static void wr(u64 off, u8 val)
{
	struct mmio_access acc = {.width = 1, .write = true, .value = val};

	assert_int_equal(uart16550_access(&uart, off, &acc), 0);
	check_window();
}

static void rx(u8 c)
{
	assert_true(uart16550_receive(&uart, c));
	check_window();
}

static int teardown(void **state)
{
	check_window();
	return 0;
}

static bool window_byte(u64 off, u64 *v)
{
	return mmio_window_load(&win, off, 1, v);
}

/* What the window publishes follows DLAB (offsets 0 and 1) and MSR's delta
 * bits, and a reset's init forgets it until it is published again. */
static void test_window_follows(void **state)
{
	u64 v;

	assert_false(window_byte(RBR, &v)); /* RBR pops the FIFO */
	assert_true(window_byte(IER, &v) && v == 0);
	assert_true(window_byte(MSR, &v) && v == 0xb0);
	assert_true(window_byte(0x10, &v) && v == 0); /* past the registers */
	wr(LCR, 0x83);
	wr(DLL, 0x0c);
	wr(DLM, 0x01);
	assert_true(window_byte(DLL, &v) && v == 0x0c);
	assert_true(window_byte(DLM, &v) && v == 0x01);
	assert_true(window_byte(LCR, &v) && v == 0x83);
	wr(LCR, 0x03);
	assert_false(window_byte(RBR, &v));
	wr(IER, 0x05);
	assert_true(window_byte(IER, &v) && v == 0x05);
	wr(MCR, 0x10); /* loopback: the modem inputs drop, with deltas */
	assert_false(window_byte(MSR, &v));
	assert_int_equal(rd(MSR), 0x0b);
	assert_true(window_byte(MSR, &v) && v == 0x00);
	wr(MCR, 0x1b);
	assert_false(window_byte(MSR, &v));
	assert_int_equal(rd(MSR), 0xbb);
	assert_true(window_byte(MSR, &v) && v == 0xb0);
	uart16550_init(&uart, test_tx, test_set_irq, &uart); /* a VM's reset */
	assert_null(uart.window);
	assert_true(window_byte(IER, &v) && v == 0x05); /* as it was */
	uart16550_publish(&uart, &win);
	assert_true(window_byte(IER, &v) && v == 0x00);
	assert_true(window_byte(MCR, &v) && v == 0x00);
	assert_true(window_byte(MSR, &v) && v == 0xb0);
}

/* xv6's uartinit(): 38.4K baud, 8N1, FIFOs reset and enabled, TX and RX interrupts. */
static void xv6_init(void)
{
	wr(IER, 0x00);
	wr(LCR, 0x80);
	wr(DLL, 0x03);
	wr(DLM, 0x00);
	wr(LCR, 0x03);
	wr(FCR, 0x07);
	wr(IER, 0x03);
}

static void test_reset_state(void **state)
{
	assert_int_equal(rd(IER), 0x00);
	assert_int_equal(rd(IIR), 0x01);
	assert_int_equal(rd(LCR), 0x00);
	assert_int_equal(rd(MCR), 0x00);
	assert_int_equal(rd(LSR), 0x60);
	assert_int_equal(rd(MSR), 0xb0);
	assert_int_equal(rd(MSR), 0xb0); /* no deltas to clear */
	assert_int_equal(rd(SCR), 0x00);
	assert_int_equal(rd(RBR), 0x00);
	assert_int_equal(uart16550_rx_space(&uart), 1); /* FIFOs off: holding register */
	assert_int_equal(irq_calls, 0);
	assert_int_equal(ntx, 0);
}

static void test_xv6_init(void **state)
{
	xv6_init();
	assert_int_equal(irq_calls, 1);
	assert_true(irq_line);
	assert_int_equal(rd(LSR), 0x60);
	assert_int_equal(rd(LCR), 0x03);
	assert_int_equal(rd(IER), 0x03);
	assert_int_equal(rd(IIR), 0xc2); /* THRE, raised by enabling ETBEI */
	assert_false(irq_line);
	assert_int_equal(rd(IIR), 0xc1);
	/* the divisor latch kept what was written */
	wr(LCR, 0x83);
	assert_int_equal(rd(DLL), 0x03);
	assert_int_equal(rd(DLM), 0x00);
	assert_int_equal(ntx, 0);
	assert_int_equal(uart16550_rx_space(&uart), UART16550_FIFO);
}

/* New xv6: write a byte, sleep until the THRE interrupt, read IIR, repeat. */
static void test_thre_after_every_byte(void **state)
{
	const char *msg = "xv6 kernel is booting\n";

	xv6_init();
	assert_int_equal(rd(IIR), 0xc2);
	for (int i = 0; msg[i]; i++) {
		assert_false(irq_line);
		assert_int_equal(rd(LSR) & 0x20, 0x20);
		wr(THR, msg[i]);
		assert_int_equal(ntx, i + 1);
		assert_int_equal(txbuf[i], (u8)msg[i]);
		assert_true(irq_line);
		assert_int_equal(rd(IIR), 0xc2);
		assert_int_equal(rd(LSR), 0x60);
	}
	assert_false(irq_line);
	assert_int_equal(irq_calls, 2 * (int)strlen(msg) + 2);
}

/* Reading IIR takes the THRE interrupt; nothing brings it back but THR or IER writes. */
static void test_iir_read_clears_thre(void **state)
{
	xv6_init();
	assert_int_equal(rd(IIR), 0xc2);
	assert_false(irq_line);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(rd(IIR), 0xc1);
		assert_int_equal(rd(LSR), 0x60);
		assert_int_equal(rd(MSR), 0xb0);
	}
	wr(SCR, 0x55);
	wr(LCR, 0x03);
	wr(IER, 0x03); /* ETBEI already set: no new edge */
	assert_int_equal(rd(IIR), 0xc1);
	assert_int_equal(irq_calls, 2);
	assert_false(irq_line);
}

/* Linux's serial8250_do_startup THRE test: IER.ETBEI 0 -> 1 twice, IIR shows THRE both times. */
static void test_thre_on_etbei_edge(void **state)
{
	assert_int_equal(rd(LSR) & 0x40, 0x40);
	wr(IER, 0x02);
	assert_true(irq_line);
	assert_int_equal(rd(IIR), 0x02); /* FIFOs off: bits 7:6 clear */
	assert_false(irq_line);
	wr(IER, 0x00);
	wr(IER, 0x02);
	assert_true(irq_line);
	assert_int_equal(rd(IIR), 0x02);
	wr(IER, 0x00);
	assert_int_equal(rd(IIR), 0x01);
	assert_int_equal(irq_calls, 4);
}

static void test_thr_without_etbei(void **state)
{
	wr(FCR, 0x01);
	wr(IER, 0x01);
	wr(THR, 'a');
	wr(THR, 'b');
	assert_int_equal(ntx, 2);
	assert_memory_equal(txbuf, "ab", 2);
	assert_false(irq_line);
	assert_int_equal(rd(IIR), 0xc1);
	/* the transmitter is empty: enabling ETBEI now interrupts */
	wr(IER, 0x03);
	assert_true(irq_line);
	assert_int_equal(rd(IIR), 0xc2);
	assert_int_equal(irq_calls, 2);
}

/* Line status > received data > THR empty > modem status (datasheet Table IV). */
static void test_priority_cascade(void **state)
{
	wr(FCR, 0x01);
	wr(MCR, 0x10); /* loopback: modem deltas, and THR feeds the receiver */
	for (int i = 0; i < UART16550_FIFO + 1; i++)
		wr(THR, 'A' + i); /* the last one overruns */
	assert_int_equal(ntx, 0);
	assert_false(irq_line);
	wr(IER, 0x0f);
	assert_true(irq_line);
	assert_int_equal(rd(IIR), 0xc6);
	assert_int_equal(rd(IIR), 0xc6); /* reading IIR does not clear it */
	assert_int_equal(rd(LSR), 0x63);
	assert_int_equal(rd(IIR), 0xc4);
	for (int i = 0; i < UART16550_FIFO; i++) {
		assert_int_equal(rd(IIR), 0xc4); /* trigger level 1 */
		assert_int_equal(rd(RBR), 'A' + i);
	}
	assert_int_equal(rd(IIR), 0xc2);
	assert_int_equal(rd(IIR), 0xc0);
	assert_true(irq_line);
	assert_int_equal(rd(MSR), 0x0b);
	assert_int_equal(rd(IIR), 0xc1);
	assert_false(irq_line);
	assert_int_equal(irq_calls, 2);
}

/* A THRE interrupt survives an IIR read that reported received data (xv6 and Linux handlers). */
static void test_rx_beats_thre(void **state)
{
	xv6_init();
	rx('q');
	assert_int_equal(rd(IIR), 0xc4);
	assert_int_equal(rd(LSR), 0x61);
	assert_int_equal(rd(RBR), 'q');
	assert_int_equal(rd(LSR), 0x60);
	assert_true(irq_line);
	assert_int_equal(rd(IIR), 0xc2);
	assert_false(irq_line);
}

static void test_line_status_beats_rx(void **state)
{
	wr(IER, 0x05);
	rx('1');
	assert_false(uart16550_receive(&uart, '2')); /* no FIFO: 1 deep */
	assert_int_equal(rd(IIR), 0x06);
	assert_int_equal(rd(LSR), 0x63);
	assert_int_equal(rd(IIR), 0x04);
	assert_int_equal(rd(LSR), 0x61);
	assert_int_equal(rd(RBR), '1');
	assert_int_equal(rd(IIR), 0x01);
	assert_int_equal(irq_calls, 2);
}

static void test_modem_status_lowest(void **state)
{
	wr(IER, 0x0b);
	assert_int_equal(rd(IIR), 0x02);
	wr(MCR, 0x10);
	assert_false(uart16550_receive(&uart, 'x')); /* loopback disconnects the input */
	wr(THR, 'y');
	assert_int_equal(rd(IIR), 0x04);
	assert_int_equal(rd(RBR), 'y');
	assert_int_equal(rd(IIR), 0x02);
	assert_int_equal(rd(IIR), 0x00);
	assert_int_equal(rd(MSR), 0x0b);
	assert_int_equal(rd(IIR), 0x01);
	assert_false(irq_line);
}

/* Without EDSSI, ELSI, ERBFI nothing of theirs interrupts. */
static void test_disabled_sources_silent(void **state)
{
	wr(FCR, 0x01);
	rx('a');
	wr(MCR, 0x10);
	wr(MCR, 0x00);
	for (int i = 0; i < UART16550_FIFO; i++)
		uart16550_receive(&uart, 'b');
	assert_int_equal(rd(IIR), 0xc1);
	assert_int_equal(irq_calls, 0);
	assert_int_equal(rd(LSR), 0x63);
	assert_int_equal(rd(MSR), 0xbb);
}

static void test_iir_without_fifo(void **state)
{
	wr(IER, 0x01);
	rx('a');
	assert_true(irq_line);
	assert_int_equal(rd(IIR), 0x04); /* no timeout indication without FIFOs */
	assert_int_equal(rd(RBR), 'a');
	assert_false(irq_line);
	assert_int_equal(rd(IIR), 0x01);
}

static void test_trigger_levels(void **state)
{
	static const struct {
		u8 fcr, level;
	} t[] = {{0x01, 1}, {0x41, 4}, {0x81, 8}, {0xc1, 14}};

	wr(IER, 0x01);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		wr(FCR, t[i].fcr | 0x02);
		assert_int_equal(rd(IIR), 0xc1);
		for (int n = 1; n <= UART16550_FIFO; n++) {
			rx(n);
			assert_int_equal(rd(IIR), n >= t[i].level ? 0xc4 : 0xcc);
		}
		for (int n = UART16550_FIFO - 1; n >= 0; n--) {
			assert_int_equal(rd(RBR), UART16550_FIFO - n);
			assert_int_equal(rd(IIR), n == 0 ? 0xc1 : n >= t[i].level ? 0xc4 : 0xcc);
		}
		assert_false(irq_line);
	}
}

static void test_fifo_order_and_dr(void **state)
{
	wr(FCR, 0x01);
	/* wrap the ring: half in, half out, then fill it */
	for (int i = 0; i < 10; i++)
		rx(0xf0 + i);
	for (int i = 0; i < 10; i++)
		assert_int_equal(rd(RBR), 0xf0 + i);
	for (int i = 0; i < UART16550_FIFO; i++) {
		assert_int_equal(uart16550_rx_space(&uart), UART16550_FIFO - i);
		rx(i);
		assert_int_equal(rd(LSR), 0x61);
	}
	assert_int_equal(uart16550_rx_space(&uart), 0);
	for (int i = 0; i < UART16550_FIFO; i++) {
		assert_int_equal(rd(LSR) & 1, 1);
		assert_int_equal(rd(RBR), i);
	}
	assert_int_equal(rd(LSR), 0x60);
	assert_int_equal(rd(RBR), 0); /* empty: no underflow */
	assert_int_equal(uart16550_rx_space(&uart), UART16550_FIFO);
}

static void test_overrun_fifo(void **state)
{
	wr(FCR, 0x01);
	wr(IER, 0x04);
	for (int i = 0; i < UART16550_FIFO; i++)
		rx('a' + i);
	assert_false(irq_line);
	assert_false(uart16550_receive(&uart, 'Z'));
	assert_true(irq_line);
	assert_int_equal(rd(IIR), 0xc6);
	assert_int_equal(rd(LSR), 0x63);
	assert_false(irq_line);
	assert_int_equal(rd(LSR), 0x61);
	for (int i = 0; i < UART16550_FIFO; i++)
		assert_int_equal(rd(RBR), 'a' + i);
	assert_int_equal(rd(LSR), 0x60);
}

static void test_overrun_no_fifo(void **state)
{
	assert_int_equal(uart16550_rx_space(&uart), 1);
	rx('a');
	assert_int_equal(uart16550_rx_space(&uart), 0);
	assert_false(uart16550_receive(&uart, 'b'));
	assert_int_equal(rd(LSR), 0x63);
	assert_int_equal(rd(LSR), 0x61);
	assert_int_equal(rd(RBR), 'a');
	assert_int_equal(rd(LSR), 0x60);
	assert_int_equal(uart16550_rx_space(&uart), 1);
	rx('c');
	assert_int_equal(rd(RBR), 'c');
}

static void test_fcr(void **state)
{
	rx('h');
	wr(FCR, 0x01); /* enabling the FIFOs empties them */
	assert_int_equal(rd(LSR), 0x60);
	assert_int_equal(rd(IIR), 0xc1);
	rx('1');
	rx('2');
	wr(FCR, 0x01); /* no change, no clear */
	assert_int_equal(uart16550_rx_space(&uart), UART16550_FIFO - 2);
	wr(FCR, 0x05); /* clear TX only */
	assert_int_equal(uart16550_rx_space(&uart), UART16550_FIFO - 2);
	wr(FCR, 0x03);
	assert_int_equal(uart16550_rx_space(&uart), UART16550_FIFO);
	assert_int_equal(rd(LSR), 0x60);
	rx('3');
	wr(FCR, 0xc0); /* bit 0 clear: FIFOs off, and emptied */
	assert_int_equal(rd(IIR), 0x01);
	assert_int_equal(uart16550_rx_space(&uart), 1);
	assert_int_equal(rd(LSR), 0x60);
}

/* Linux's autoconfig tells a 16550A from a 16750 by IIR bit 5 after FCR bit 5. */
static void test_linux_fifo_probe(void **state)
{
	wr(FCR, 0x01);
	assert_int_equal(rd(IIR) >> 6, 3);
	wr(LCR, 0x80);
	wr(FCR, 0x21);
	assert_int_equal(rd(IIR), 0xc1);
	wr(LCR, 0xbf); /* no EFR behind offset 2 here */
	assert_int_equal(rd(IIR), 0xc1);
	assert_int_equal(rd(LCR), 0xbf);
	wr(FCR, 0x00);
	assert_int_equal(rd(IIR), 0x01);
}

static void test_loopback(void **state)
{
	wr(FCR, 0x01);
	wr(MCR, 0x10);
	assert_int_equal(rd(MCR), 0x10);
	assert_int_equal(rd(MSR), 0x0b); /* CTS, DSR, DCD dropped; RI unchanged */
	assert_int_equal(rd(MSR), 0x00);
	wr(THR, 'L');
	wr(THR, 'B');
	assert_int_equal(ntx, 0);
	assert_int_equal(rd(LSR), 0x61);
	assert_int_equal(rd(RBR), 'L');
	assert_int_equal(rd(RBR), 'B');
	assert_int_equal(rd(LSR), 0x60);
	/* the serial input is disconnected */
	assert_int_equal(uart16550_rx_space(&uart), 0);
	assert_false(uart16550_receive(&uart, 'x'));
	assert_int_equal(rd(LSR), 0x60);
	/* MSR mirrors MCR; RI's rising edge is not a trailing edge */
	wr(MCR, 0x1f);
	assert_int_equal(rd(MSR), 0xfb);
	wr(MCR, 0x1b); /* OUT1 off: RI falls, TERI */
	assert_int_equal(rd(MSR), 0xb4);
	wr(MCR, 0x1a); /* DTR off */
	assert_int_equal(rd(MSR), 0x92);
	wr(MCR, 0x18); /* RTS off */
	assert_int_equal(rd(MSR), 0x81);
	wr(MCR, 0x10); /* OUT2 off */
	assert_int_equal(rd(MSR), 0x08);
	/* deltas accumulate until MSR is read */
	wr(MCR, 0x11);
	wr(MCR, 0x13);
	assert_int_equal(rd(MSR), 0x33);
	/* leaving loopback: the connected line again, and the wire */
	wr(MCR, 0x00); /* CTS and DSR were already on */
	assert_int_equal(rd(MSR), 0xb8);
	assert_int_equal(uart16550_rx_space(&uart), UART16550_FIFO);
	wr(THR, 'T');
	assert_int_equal(ntx, 1);
	assert_int_equal(txbuf[0], 'T');
	assert_int_equal(rd(LSR), 0x60);
}

/* Linux's autoconfig loopback test: MCR = LOOP | RTS | OUT2 must show DCD | CTS. */
static void test_linux_loopback_probe(void **state)
{
	u8 save = rd(MCR);

	wr(MCR, 0x1a);
	assert_int_equal(rd(MSR) & 0xf0, 0x90);
	wr(MCR, save);
	assert_int_equal(rd(MSR) & 0xf0, 0xb0);
}

static void test_loopback_overrun(void **state)
{
	wr(MCR, 0x10);
	wr(THR, '1');
	wr(THR, '2');
	assert_int_equal(rd(LSR), 0x63);
	assert_int_equal(rd(RBR), '1');
	assert_int_equal(rd(LSR), 0x60);
	assert_int_equal(ntx, 0);
}

static void test_modem_status_irq(void **state)
{
	wr(IER, 0x08);
	wr(MCR, 0x0f); /* outside loopback the outputs change no input */
	assert_false(irq_line);
	assert_int_equal(rd(MSR), 0xb0);
	wr(MCR, 0x1d); /* loopback without RTS: only CTS changes */
	assert_true(irq_line);
	assert_int_equal(rd(IIR), 0x00);
	assert_true(irq_line);
	assert_int_equal(rd(MSR), 0xe1); /* and RI's rising edge is no TERI */
	assert_false(irq_line);
	assert_int_equal(irq_calls, 2);
}

static void test_dlab(void **state)
{
	wr(IER, 0x01);
	wr(LCR, 0x80);
	wr(DLL, 0x0c);
	wr(DLM, 0x01);
	assert_int_equal(ntx, 0);
	assert_int_equal(rd(DLL), 0x0c);
	assert_int_equal(rd(DLM), 0x01);
	rx('r');
	assert_int_equal(rd(DLL), 0x0c); /* does not pop the receiver */
	assert_int_equal(rd(LSR), 0x61);
	assert_int_equal(rd(IIR), 0x04); /* IIR is not behind DLAB */
	wr(LCR, 0x03);
	assert_int_equal(rd(IER), 0x01);
	assert_int_equal(rd(RBR), 'r');
	wr(THR, 'w');
	assert_int_equal(ntx, 1);
	assert_int_equal(txbuf[0], 'w');
	wr(LCR, 0x83);
	assert_int_equal(rd(DLL), 0x0c);
	assert_int_equal(rd(DLM), 0x01);
}

/* Linux's autoconfig: IER bits 3:0 must read back as written, SCR must hold a value. */
static void test_linux_register_probe(void **state)
{
	wr(IER, 0x00);
	assert_int_equal(rd(IER) & 0x0f, 0x00);
	wr(IER, 0x0f);
	assert_int_equal(rd(IER) & 0x0f, 0x0f);
	wr(IER, 0xff);
	assert_int_equal(rd(IER), 0x0f); /* bits 7:4 are 0 on a 16550 */
	wr(IER, 0x00);
	for (int v = 0; v < 256; v += 0x55) {
		wr(SCR, v);
		assert_int_equal(rd(SCR), v);
		wr(LCR, v);
		assert_int_equal(rd(LCR), v);
	}
	wr(LCR, 0x00);
	wr(MCR, 0xef);
	assert_int_equal(rd(MCR), 0x0f);
	wr(MCR, 0x00);
}

static void test_read_only_writes_ignored(void **state)
{
	wr(IER, 0x0f);
	assert_int_equal(rd(IIR), 0x02);
	wr(LSR, 0x1f);
	wr(MSR, 0x0f);
	assert_int_equal(rd(LSR), 0x60);
	assert_int_equal(rd(MSR), 0xb0);
	assert_int_equal(rd(IIR), 0x01);
}

/* Only level changes reach set_irq (test_set_irq also checks each call changes it). */
static void test_irq_only_on_change(void **state)
{
	wr(FCR, 0x01);
	wr(IER, 0x01);
	assert_int_equal(irq_calls, 0);
	rx('a');
	rx('b');
	rx('c');
	assert_int_equal(irq_calls, 1);
	wr(IER, 0x03);
	wr(IER, 0x0f);
	assert_int_equal(rd(RBR), 'a');
	assert_int_equal(rd(RBR), 'b');
	assert_int_equal(irq_calls, 1);
	assert_int_equal(rd(RBR), 'c');
	assert_int_equal(irq_calls, 1);
	assert_int_equal(rd(IIR), 0xc2); /* THRE is next */
	assert_int_equal(irq_calls, 2);
	assert_false(irq_line);
	wr(IER, 0x00);
	rx('d');
	assert_int_equal(irq_calls, 2);
	wr(IER, 0x01);
	assert_int_equal(irq_calls, 3);
	wr(IER, 0x00);
	assert_int_equal(irq_calls, 4);
	assert_false(irq_line);
}

static void test_width_rejected(void **state)
{
	static const u8 widths[] = {2, 4, 8};

	wr(IER, 0x02);
	assert_true(irq_line);
	for (size_t i = 0; i < sizeof(widths); i++) {
		for (u64 off = 0; off < 16; off++) {
			struct mmio_access w = {.width = widths[i], .write = true, .value = 0x4141};
			struct mmio_access r = {.width = widths[i]};

			assert_int_equal(uart16550_access(&uart, off, &w), -1);
			assert_int_equal(uart16550_access(&uart, off, &r), -1);
		}
	}
	assert_int_equal(ntx, 0);
	assert_true(irq_line); /* the IIR "read" did not acknowledge THRE */
	assert_int_equal(rd(SCR), 0x00);
	assert_int_equal(rd(IER), 0x02);
	assert_int_equal(rd(IIR), 0x02);
}

static void test_past_registers(void **state)
{
	wr(SCR, 0x77);
	for (u64 off = 8; off < UART16550_SIZE; off++) {
		wr(off, 0xff);
		assert_int_equal(rd(off), 0);
	}
	assert_int_equal(rd(SCR), 0x77);
	assert_int_equal(rd(IER), 0x00);
	assert_int_equal(rd(LCR), 0x00);
	assert_int_equal(ntx, 0);
	assert_int_equal(irq_calls, 0);
}

/* Firmware-side reads (SBI getchar) take bytes in order and drop the RX interrupt. */
static void test_take(void **state)
{
	xv6_init();
	assert_int_equal(uart16550_take(&uart), -1);
	rx('a');
	rx('b');
	assert_true(irq_line);
	assert_int_equal(uart16550_take(&uart), 'a');
	assert_int_equal(uart16550_rx_space(&uart), UART16550_FIFO - 1);
	assert_int_equal(uart16550_take(&uart), 'b');
	assert_int_equal(uart16550_take(&uart), -1);
	assert_int_equal(rd(LSR) & 0x01, 0);
	assert_int_equal(rd(IIR), 0xc2); /* only THRE is left pending */
}

/*
 * tx_only says a THR write would only transmit (the fast path in switch.S
 * then sends the byte without the model): it must be false whenever the
 * model would do more with it, and checked against what the model does.
 */
static void test_tx_only(void **state)
{
	assert_true(uart.tx_only); /* reset: IER 0, LCR 0, MCR 0, line low */
	wr(THR, 'a');
	assert_int_equal(ntx, 1);
	assert_int_equal(irq_calls, 0);
	assert_true(uart.tx_only);

	wr(LCR, 0x80); /* DLAB: THR is DLL */
	assert_false(uart.tx_only);
	wr(DLL, 0x01);
	assert_int_equal(ntx, 1);
	wr(LCR, 0x03);
	assert_true(uart.tx_only);

	wr(MCR, 0x10); /* loopback: the byte goes to the receiver */
	assert_false(uart.tx_only);
	wr(THR, 'b');
	assert_int_equal(ntx, 1);
	assert_int_equal(rd(RBR), 'b');
	wr(MCR, 0x00);
	assert_true(uart.tx_only);

	wr(IER, 0x02); /* ETBEI: a write re-arms THRE */
	assert_false(uart.tx_only);
	assert_int_equal(rd(IIR), 0x02);
	wr(IER, 0x00);
	assert_true(uart.tx_only);

	wr(IER, 0x01); /* RX interrupt enabled: still only a transmit... */
	assert_true(uart.tx_only);
	rx('c'); /* ...until the line is high (a write re-raises it, vdev.c) */
	assert_true(irq_line);
	assert_false(uart.tx_only);
	assert_int_equal(rd(RBR), 'c');
	assert_false(irq_line);
	assert_true(uart.tx_only);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reset_state),
		T(test_xv6_init),
		T(test_thre_after_every_byte),
		T(test_iir_read_clears_thre),
		T(test_thre_on_etbei_edge),
		T(test_thr_without_etbei),
		T(test_priority_cascade),
		T(test_rx_beats_thre),
		T(test_line_status_beats_rx),
		T(test_modem_status_lowest),
		T(test_disabled_sources_silent),
		T(test_iir_without_fifo),
		T(test_trigger_levels),
		T(test_fifo_order_and_dr),
		T(test_overrun_fifo),
		T(test_overrun_no_fifo),
		T(test_fcr),
		T(test_linux_fifo_probe),
		T(test_loopback),
		T(test_linux_loopback_probe),
		T(test_loopback_overrun),
		T(test_modem_status_irq),
		T(test_dlab),
		T(test_linux_register_probe),
		T(test_read_only_writes_ignored),
		T(test_irq_only_on_change),
		T(test_width_rejected),
		T(test_past_registers),
		T(test_take),
		T(test_tx_only),
		T(test_window_follows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
