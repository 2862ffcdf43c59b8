/*
 * Fuzz target: the 16550A UART model (vdev/uart16550.c).
 *
 * The input is a list of 3-byte operations: guest register accesses of any
 * width at any offset of the window, bytes arriving on the wire, and the
 * firmware-side uart16550_take / uart16550_rx_space.  Checked after each:
 * - the interrupt line is what IIR says (read on a copy of the device, as
 *   reading IIR has side effects), and set_irq heard of changes only;
 * - accesses other than bytes fail, offsets 8..0xff read 0;
 * - the receive FIFO never holds more than its depth; LSR, IER and MSR
 *   reads keep their fixed bits; bytes leave through tx only from THR;
 * - every byte load its register window answers (uart16550_publish) is
 *   what the model answers, and that read changes nothing; IIR, LSR and
 *   SCR, and wider loads, are never published.
 */
#include "tests/fuzz/fuzz.h"

#include "kernel/mmio.h"
#include "vdev/uart16550.h"

static struct mmio_window win;

static struct {
	bool irq;
	int ntx;
} rec;

static void rec_tx(void *ctx, u8 c)
{
	CHECK(ctx == &rec);
	rec.ntx++;
}

static void rec_set_irq(void *ctx, bool level)
{
	CHECK(ctx == &rec);
	CHECK(level != rec.irq); /* changes only */
	rec.irq = level;
}

static void quiet_tx(void *ctx, u8 c)
{
}

static void quiet_set_irq(void *ctx, bool level)
{
}

/* IIR as the guest would read it now, without disturbing the device. */
static u8 peek_iir(const struct uart16550 *u)
{
	struct uart16550 copy = *u;
	struct mmio_access acc = {.width = 1};

	copy.tx = quiet_tx;
	copy.set_irq = quiet_set_irq;
	copy.ctx = NULL;
	copy.window = NULL;
	CHECK(uart16550_access(&copy, 2, &acc) == 0);
	return (u8)acc.value;
}

/* The window's published bytes, read from a copy of the device. */
static void check_window(const struct uart16550 *u)
{
	for (u64 off = 0; off < MMIO_WINDOW_SIZE; off++) {
		u64 v, w;
		for (u8 width = 2; width <= 8; width *= 2)
			CHECK(!mmio_window_load(&win, off, width, &w));
		if (!mmio_window_load(&win, off, 1, &v))
			continue;
		CHECK(off != 2 && off != 5 && off != 7 && off < UART16550_SIZE);
		struct uart16550 copy = *u;
		copy.tx = quiet_tx;
		copy.set_irq = quiet_set_irq;
		copy.ctx = NULL;
		copy.window = NULL;
		struct uart16550 before = copy;
		struct mmio_access acc = {.width = 1};
		CHECK(uart16550_access(&copy, off, &acc) == 0 && acc.value == v);
		CHECK(memcmp(&before, &copy, sizeof(copy)) == 0);
	}
}

static void check_state(const struct uart16550 *u)
{
	u8 iir = peek_iir(u);

	check_window(u);
	CHECK(rec.irq == u->irq_level);
	CHECK(rec.irq == !(iir & 1)); /* INTR follows IIR bit 0, inverted */
	CHECK((iir & 0x30) == 0 && ((iir & 0xc0) == 0 || (iir & 0xc0) == 0xc0));
	CHECK(u->rx_count <= ((u->fcr & 1) ? UART16550_FIFO : 1));
	CHECK(u->rx_head < UART16550_FIFO);
	CHECK((u->ier & 0xf0) == 0 && (u->mcr & 0xe0) == 0);
	CHECK(uart16550_rx_space(u) == ((u->mcr & 0x10) ? 0 : ((u->fcr & 1) ? 16 : 1) - u->rx_count));
}

static void guest_access(struct uart16550 *u, u8 a, u8 b, u8 v)
{
	struct mmio_access acc = {.width = 1u << (a & 3), .write = a & 4, .value = v};
	u64 off = (a & 8) ? b : b & 7; /* mostly the eight registers */
	bool dlab = u->lcr & 0x80;
	u8 rx_count = u->rx_count, lcr = u->lcr;
	int ntx = rec.ntx;
	int rc = uart16550_access(u, off, &acc);

	if (acc.width != 1) {
		CHECK(rc == -1);
		return;
	}
	CHECK(rc == 0);
	if (off >= 8) {
		CHECK(acc.write || acc.value == 0);
		CHECK(u->lcr == lcr && u->rx_count == rx_count);
	}
	/* Only a THR write without loopback sends a byte. */
	CHECK(rec.ntx == ntx + (acc.write && off == 0 && !dlab && !(u->mcr & 0x10)));
	if (acc.write)
		return;
	CHECK(acc.value <= 0xff);
	switch (off) {
	case 0: /* RBR: a byte leaves the FIFO */
		if (!dlab)
			CHECK(u->rx_count == (rx_count ? rx_count - 1 : 0));
		break;
	case 1:
		if (!dlab)
			CHECK(acc.value <= 0x0f);
		break;
	case 5: /* LSR: THRE and TEMT always (no baud-rate timing), DR from the FIFO */
		CHECK((acc.value & 0x60) == 0x60 && (acc.value & 1) == (rx_count != 0));
		break;
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct input in = {data, size};
	struct uart16550 u;

	memset(&rec, 0, sizeof(rec));
	uart16550_init(&u, rec_tx, rec_set_irq, &rec);
	win = (struct mmio_window){0};
	uart16550_publish(&u, &win);
	check_state(&u);
	while (!in_empty(&in)) {
		u8 a = in_u8(&in), b = in_u8(&in), v = in_u8(&in);
		u8 count = u.rx_count, mcr = u.mcr, fcr = u.fcr;
		int c;

		switch (a >> 5) {
		case 0:
		case 1:
		case 2:
		case 3:
			guest_access(&u, a, b, v);
			break;
		case 4:
		case 5: /* a byte on the wire: lost in loopback or when the FIFO is full */
			CHECK(uart16550_receive(&u, v) ==
			      (!(mcr & 0x10) && count < ((fcr & 1) ? UART16550_FIFO : 1)));
			break;
		case 6:
			c = uart16550_take(&u);
			CHECK(count ? (c >= 0 && c <= 0xff && u.rx_count == count - 1) : c == -1);
			break;
		default:
			CHECK(uart16550_rx_space(&u) >= 0);
			break;
		}
		check_state(&u);
	}
	return 0;
}
