/*
 * A 16550A UART model, after the PC16550D datasheet (National Semiconductor,
 * "PC16550D Universal Asynchronous Receiver/Transmitter with FIFOs").
 *
 * There is no baud-rate timing: a byte written to THR leaves at once, so the
 * transmitter is always empty again (LSR.THRE = LSR.TEMT = 1) and the
 * receiver's character timeout fires as soon as the receive FIFO holds fewer
 * bytes than the trigger level.  The interrupt line is recomputed after every
 * register access and every received byte; set_irq hears only about changes.
 */
#include "vdev/uart16550.h"

#include "kernel/mmio.h"

/* Register offsets (datasheet Table II); DLL/DLM replace RBR/THR and IER when LCR.DLAB = 1. */
enum {
	UART_RBR = 0, /* read: receiver buffer; write: THR */
	UART_IER = 1,
	UART_IIR = 2, /* read: interrupt identification; write: FCR */
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
	UART_NREGS = 8,
};

#define IER_ERBFI 0x01 /* received data available (and character timeout) */
#define IER_ETBEI 0x02 /* THR empty */
#define IER_ELSI 0x04  /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */
#define IER_MASK 0x0f  /* bits 7:4 are always 0 on a 16550 */

#define IIR_NONE 0x01 /* no interrupt pending */
#define IIR_MSR 0x00
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_RLS 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO 0xc0 /* both bits set while FCR.0 = 1 */

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_TRIGGER 0xc0

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_ERRORS 0x9e /* OE, PE, FE, BI and the FIFO error bit: cleared by reading LSR */
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_DELTAS 0x0f
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
#define MSR_CONNECTED (MSR_CTS | MSR_DSR | MSR_DCD) /* a line with a terminal on it */

static bool fifo_enabled(const struct uart16550 *u)
{
	return u->fcr & FCR_ENABLE;
}

/* Without FIFOs the receiver has a one-byte holding register (datasheet, FCR bit 0). */
static int rx_depth(const struct uart16550 *u)
{
	return fifo_enabled(u) ? UART16550_FIFO : 1;
}

/* FCR bits 7:6 select 1, 4, 8 or 14 bytes (datasheet Table IV). */
static int rx_trigger(const struct uart16550 *u)
{
	static const u8 level[4] = {1, 4, 8, 14};

	return fifo_enabled(u) ? level[u->fcr >> 6] : 1;
}

/* The highest-priority pending interrupt, as IIR bits 3:0 (datasheet Table IV). */
static u8 pending_id(const struct uart16550 *u)
{
	if ((u->ier & IER_ELSI) && (u->lsr & LSR_ERRORS))
		return IIR_RLS;
	if ((u->ier & IER_ERBFI) && u->rx_count) {
		/* the timeout is immediate: there is no time for more bytes to arrive */
		return u->rx_count >= rx_trigger(u) ? IIR_RDA : IIR_TIMEOUT;
	}
	if ((u->ier & IER_ETBEI) && u->thre_pending)
		return IIR_THRE;
	if ((u->ier & IER_EDSSI) && (u->msr & MSR_DELTAS))
		return IIR_MSR;
	return IIR_NONE;
}

/*
 * The INTR pin follows IIR bit 0.  On PCs OUT2 gates it onto the bus; QEMU
 * virt's ns16550a wires it straight to the PLIC, so OUT2 is not looked at.
 */
static void update_irq(struct uart16550 *u)
{
	bool level = pending_id(u) != IIR_NONE;

	if (level != u->irq_level) {
		u->irq_level = level;
		u->set_irq(u->ctx, level);
	}
	u->tx_only = !(u->ier & IER_ETBEI) && !(u->lcr & LCR_DLAB) && !(u->mcr & MCR_LOOP) &&
		     !u->irq_level;
}

/*
 * A byte reaches the receiver.  When it finds no room, LSR.OE is set and the
 * byte is lost.  (Without FIFOs the datasheet has the new byte overwrite the
 * old one; dropping the new one instead keeps "false = c was not taken" true in
 * both modes, and the guest sees the same overrun.)
 */
static bool rx_push(struct uart16550 *u, u8 c)
{
	if (u->rx_count >= rx_depth(u)) {
		u->lsr |= LSR_OE;
		return false;
	}
	u->rx[(u->rx_head + u->rx_count) % UART16550_FIFO] = c;
	u->rx_count++;
	return true;
}

static u8 rx_pop(struct uart16550 *u)
{
	u8 c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART16550_FIFO;
	u->rx_count--;
	return c;
}

static void rx_clear(struct uart16550 *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/*
 * MSR bits 7:4: the modem inputs.  In loopback they are wired to the MCR
 * outputs (datasheet, MCR bit 4): CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2.
 */
static u8 modem_inputs(const struct uart16550 *u)
{
	u8 m = u->mcr;

	if (!(m & MCR_LOOP))
		return MSR_CONNECTED;
	return (m & MCR_RTS ? MSR_CTS : 0) | (m & MCR_DTR ? MSR_DSR : 0) |
	       (m & MCR_OUT1 ? MSR_RI : 0) | (m & MCR_OUT2 ? MSR_DCD : 0);
}

/*
 * Latch the new inputs and their delta bits.  TERI marks only the trailing
 * edge of the RI# pin, i.e. MSR.RI going from 1 to 0 (datasheet, MSR bit 2).
 */
static void update_msr(struct uart16550 *u)
{
	u8 old = u->msr, now = modem_inputs(u), changed = old ^ now;
	u8 delta = 0;

	if (changed & MSR_CTS)
		delta |= MSR_DCTS;
	if (changed & MSR_DSR)
		delta |= MSR_DDSR;
	if ((old & MSR_RI) && !(now & MSR_RI))
		delta |= MSR_TERI;
	if (changed & MSR_DCD)
		delta |= MSR_DDCD;
	u->msr = now | (old & MSR_DELTAS) | delta;
}

/* THR: the byte leaves at once, so THR is empty again and its interrupt re-arms. */
static void write_thr(struct uart16550 *u, u8 c)
{
	if (u->mcr & MCR_LOOP)
		rx_push(u, c); /* the transmitter output is looped back to the receiver */
	else
		u->tx(u->ctx, c);
	u->thre_pending = true;
}

/*
 * Enabling ETBEI while THR is empty raises the THRE interrupt right away, as
 * 16550-compatible parts do: Linux's 8250 driver starts output, and checks
 * for the "THRE bug" at start-up, by toggling IER.ETBEI.
 */
static void write_ier(struct uart16550 *u, u8 val)
{
	u8 ier = val & IER_MASK;

	if ((ier & IER_ETBEI) && !(u->ier & IER_ETBEI))
		u->thre_pending = true;
	u->ier = ier;
}

/*
 * FCR bit 0 must be 1 for the other bits to be written (datasheet, FCR);
 * changing it empties both FIFOs.  The transmit FIFO is always empty here,
 * so bit 2 has nothing to clear.
 */
static void write_fcr(struct uart16550 *u, u8 val)
{
	u8 fcr = val & FCR_ENABLE ? val & (FCR_ENABLE | FCR_TRIGGER) : 0;

	if (((fcr ^ u->fcr) & FCR_ENABLE) || (fcr && (val & FCR_CLEAR_RX)))
		rx_clear(u);
	u->fcr = fcr;
}

static void write_mcr(struct uart16550 *u, u8 val)
{
	u->mcr = val & MCR_MASK;
	update_msr(u);
}

/* Reading IIR acknowledges a THRE interrupt if that is what it reports (datasheet Table IV). */
static u8 read_iir(struct uart16550 *u)
{
	u8 id = pending_id(u);

	if (id == IIR_THRE)
		u->thre_pending = false;
	return id | (fifo_enabled(u) ? IIR_FIFO : 0);
}

/* Reading LSR clears the error bits and with them the line status interrupt. */
static u8 read_lsr(struct uart16550 *u)
{
	u8 lsr = u->lsr | (u->rx_count ? LSR_DR : 0);

	u->lsr &= ~LSR_ERRORS;
	return lsr;
}

/* Reading MSR clears the delta bits and with them the modem status interrupt. */
static u8 read_msr(struct uart16550 *u)
{
	u8 msr = u->msr;

	u->msr &= ~MSR_DELTAS;
	return msr;
}

static u8 reg_read(struct uart16550 *u, unsigned int reg)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case UART_RBR:
		return dlab ? u->dll : rx_pop(u);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		return read_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return read_lsr(u);
	case UART_MSR:
		return read_msr(u);
	default:
		return u->scr;
	}
}

/* LSR and MSR writes are for factory testing only (datasheet): ignored. */
static void reg_write(struct uart16550 *u, unsigned int reg, u8 val)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case UART_RBR:
		if (dlab)
			u->dll = val;
		else
			write_thr(u, val);
		break;
	case UART_IER:
		if (dlab)
			u->dlm = val;
		else
			write_ier(u, val);
		break;
	case UART_IIR:
		write_fcr(u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		write_mcr(u, val);
		break;
	case UART_SCR:
		u->scr = val;
		break;
	}
}

void uart16550_init(struct uart16550 *u, void (*tx)(void *, u8), void (*set_irq)(void *, bool),
		    void *ctx)
{
	*u = (struct uart16550){
		.lsr = LSR_THRE | LSR_TEMT,
		.msr = MSR_CONNECTED,
		.tx_only = true,
		.tx = tx,
		.set_irq = set_irq,
		.ctx = ctx,
	};
}

/* The window follows the registers it publishes; every change to them is
 * made by an access (a write, or the MSR read that clears its deltas):
 * published_change says which. */
static void publish(struct uart16550 *u)
{
	struct mmio_window *w = u->window;
	bool dlab = u->lcr & LCR_DLAB;

	if (!w)
		return;
	if (dlab)
		mmio_window_set(w, UART_RBR, 1, u->dll);
	else
		mmio_window_clear(w, UART_RBR, 1); /* RBR pops the FIFO */
	mmio_window_set(w, UART_IER, 1, dlab ? u->dlm : u->ier);
	mmio_window_set(w, UART_LCR, 1, u->lcr);
	mmio_window_set(w, UART_MCR, 1, u->mcr);
	if (u->msr & MSR_DELTAS)
		mmio_window_clear(w, UART_MSR, 1); /* the read clears them */
	else
		mmio_window_set(w, UART_MSR, 1, u->msr);
}

void uart16550_publish(struct uart16550 *u, struct mmio_window *w)
{
	u->window = w;
	for (u32 off = UART_NREGS; w && off < UART16550_SIZE; off++)
		mmio_window_set(w, off, 1, 0);
	publish(u);
}

static bool published_change(const struct uart16550 *u, u64 off, bool write)
{
	if (off == UART_MSR)
		return true;
	return write && (off == UART_IER || off == UART_LCR || off == UART_MCR ||
			 (off == UART_RBR && (u->lcr & LCR_DLAB)));
}

int uart16550_access(void *dev, u64 off, struct mmio_access *acc)
{
	struct uart16550 *u = dev;

	if (acc->width != 1)
		return -1;
	if (off >= UART_NREGS) {
		/* the rest of the QEMU virt window: reads as zero, writes ignored */
		if (!acc->write)
			acc->value = 0;
		return 0;
	}
	bool changes = u->window && published_change(u, off, acc->write);

	if (acc->write)
		reg_write(u, off, acc->value);
	else
		acc->value = reg_read(u, off);
	update_irq(u);
	if (changes)
		publish(u);
	return 0;
}

bool uart16550_receive(struct uart16550 *u, u8 c)
{
	bool taken;

	/* loopback disconnects the serial input from the receiver (datasheet, MCR bit 4) */
	if (u->mcr & MCR_LOOP)
		return false;
	taken = rx_push(u, c);
	update_irq(u);
	return taken;
}

int uart16550_rx_space(const struct uart16550 *u)
{
	if (u->mcr & MCR_LOOP)
		return 0;
	return rx_depth(u) - u->rx_count;
}

int uart16550_take(struct uart16550 *u)
{
	if (u->rx_count == 0)
		return -1;
	u8 c = rx_pop(u);
	update_irq(u);
	return c;
}
