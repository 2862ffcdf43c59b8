/*
 * uart_irq: the 16550 at 0x10000000 driven by interrupts through the PLIC,
 * the way xv6 (and Linux's 8250 driver) use it.  Both directions go
 * through rings: the RX interrupt fills one, and transmission is paced by
 * THR-empty interrupts alone (write one byte, wait for its interrupt, write
 * the next), so a UART model that never raises THRE hangs the writer.
 *
 * Prints a prompt, echoes what is typed upper-cased (so a test can tell the
 * echo from its own input) until CR or LF, then reports.  Checks:
 * rx-irq, tx-irq, echo.  Everything gives up after WAIT_SECONDS.
 *
 * On QEMU virt the UART is IRQ 10 and hart h's S-mode PLIC context is
 * 2h + 1; under rvhv the same addresses are emulated.
 */
#include "guest.h"

#define WAIT_SECONDS 15

#define UART0 0x10000000UL
#define UART_IRQ 10
#define UART_RBR 0 /* read, DLAB = 0 */
#define UART_THR 0 /* write, DLAB = 0 */
#define UART_DLL 0 /* DLAB = 1 */
#define UART_IER 1
#define UART_DLM 1 /* DLAB = 1 */
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_LSR 5
#define UART_MSR 6
#define IER_RX 0x01
#define IER_THRE 0x02
#define FCR_FIFO_ON_CLEAR 0x07 /* enable, clear RX and TX FIFOs */
#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define IIR_NO_INT 0x01
#define IIR_ID 0x0e
#define IIR_THRE 0x02
#define IIR_RX 0x04
#define IIR_LINE 0x06
#define IIR_RX_TIMEOUT 0x0c
#define LSR_DR 0x01

#define PLIC 0x0c000000UL
#define PLIC_PRIORITY(irq) (PLIC + 4 * (irq))
#define PLIC_ENABLE(ctx) (PLIC + 0x2000 + 0x80 * (ctx))
#define PLIC_THRESHOLD(ctx) (PLIC + 0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx) (PLIC_THRESHOLD(ctx) + 4)

#define IRQ_S_EXT 9
#define SIE_SEIE (1UL << 9)

#define RING 64 /* bytes; indices run freely, ring[i % RING] */

static volatile char rx_ring[RING], tx_ring[RING];
static volatile unsigned rx_head, rx_tail, tx_head, tx_tail;
static volatile bool tx_busy; /* a byte is in THR and its THRE interrupt is due */
static volatile bool timed_out;
static volatile unsigned long rx_irqs, tx_irqs, tx_sent, other_irqs;
static unsigned long plic_ctx;

static uint8_t uart_read(unsigned reg)
{
	return *(volatile uint8_t *)(UART0 + reg);
}

static void uart_write(unsigned reg, uint8_t v)
{
	*(volatile uint8_t *)(UART0 + reg) = v;
}

static void reg32_write(unsigned long addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

static uint32_t reg32_read(unsigned long addr)
{
	return *(volatile uint32_t *)addr;
}

/* 38.4k 8N1 with FIFOs, then RX and THR-empty interrupts: xv6's uartinit. */
static void uart_init(void)
{
	uart_write(UART_IER, 0);
	uart_write(UART_LCR, LCR_DLAB);
	uart_write(UART_DLL, 3);
	uart_write(UART_DLM, 0);
	uart_write(UART_LCR, LCR_8N1);
	uart_write(UART_FCR, FCR_FIFO_ON_CLEAR);
	uart_write(UART_IER, IER_RX | IER_THRE);
}

static void plic_init(unsigned long hart)
{
	plic_ctx = 2 * hart + 1;
	reg32_write(PLIC_PRIORITY(UART_IRQ), 1);
	reg32_write(PLIC_ENABLE(plic_ctx), 1U << UART_IRQ);
	reg32_write(PLIC_THRESHOLD(plic_ctx), 0);
}

/* Put the next queued byte in THR, or note that the transmitter is idle.
 * Called from the THRE interrupt, or with interrupts off to start. */
static void tx_next(void)
{
	if (tx_tail == tx_head) {
		tx_busy = false;
		return;
	}
	tx_busy = true;
	uart_write(UART_THR, tx_ring[tx_tail % RING]);
	tx_tail++;
	tx_sent++;
}

/* Serve what IIR reports until it says nothing is pending. */
static void uart_intr(void)
{
	for (;;) {
		uint8_t iir = uart_read(UART_IIR);
		if (iir & IIR_NO_INT)
			return;
		switch (iir & IIR_ID) {
		case IIR_RX:
		case IIR_RX_TIMEOUT:
			rx_irqs++;
			while (uart_read(UART_LSR) & LSR_DR) {
				char c = uart_read(UART_RBR);
				if (rx_head - rx_tail < RING)
					rx_ring[rx_head++ % RING] = c;
			}
			break;
		case IIR_THRE: /* reading IIR cleared it */
			tx_irqs++;
			tx_next();
			break;
		case IIR_LINE:
			uart_read(UART_LSR);
			break;
		default: /* modem status */
			uart_read(UART_MSR);
		}
	}
}

static bool on_interrupt(struct trap_frame *f)
{
	if (f->scause == (SCAUSE_IRQ | IRQ_S_EXT)) {
		uint32_t irq;
		while ((irq = reg32_read(PLIC_CLAIM(plic_ctx))) != 0) {
			if (irq == UART_IRQ)
				uart_intr();
			else
				other_irqs++;
			reg32_write(PLIC_CLAIM(plic_ctx), irq);
		}
		return true;
	}
	if (f->scause == (SCAUSE_IRQ | IRQ_S_TIMER)) {
		sbi_set_timer(~0UL); /* the deadline: clears STIP */
		timed_out = true;
		return true;
	}
	return false;
}

/*
 * Sleep until cond() holds or the deadline passes; returns cond().  The test
 * runs with sstatus.SIE clear so no interrupt can slip in between it and
 * the wfi (wfi still wakes on an interrupt pending in sie), and the
 * interrupt is taken in the short window with SIE set.
 */
static bool wait_for(bool (*cond)(void))
{
	bool met;
	csr_clear(sstatus, SSTATUS_SIE);
	while (!(met = cond()) && !timed_out) {
		wfi();
		csr_set(sstatus, SSTATUS_SIE);
		csr_clear(sstatus, SSTATUS_SIE);
	}
	csr_set(sstatus, SSTATUS_SIE);
	return met;
}

static bool rx_ready(void)
{
	return rx_head != rx_tail;
}

static bool tx_room(void)
{
	return tx_head - tx_tail < RING;
}

static bool tx_drained(void)
{
	return tx_head == tx_tail && !tx_busy;
}

static void tx_putc(char c)
{
	if (!wait_for(tx_room))
		return;
	csr_clear(sstatus, SSTATUS_SIE);
	tx_ring[tx_head % RING] = c;
	tx_head++;
	if (!tx_busy)
		tx_next();
	csr_set(sstatus, SSTATUS_SIE);
}

static void tx_puts(const char *s)
{
	while (*s)
		tx_putc(*s++);
}

int main(unsigned long hartid, const void *dtb)
{
	(void)dtb;
	char line[64], msg[96];
	unsigned n = 0;
	bool got_line = false;

	plic_init(hartid);
	uart_init();
	trap_on_interrupt(on_interrupt);
	sbi_set_timer(rdtime() + WAIT_SECONDS * timebase);
	csr_set(sie, SIE_SEIE | SIE_STIE);
	csr_set(sstatus, SSTATUS_SIE);

	tx_puts("uart_irq: ready, type a line\n");
	while (wait_for(rx_ready)) {
		char c = rx_ring[rx_tail % RING];
		rx_tail++;
		if (c == '\r' || c == '\n') {
			got_line = true;
			break;
		}
		if (n < sizeof(line) - 1)
			line[n++] = c;
		tx_putc(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
	}
	line[n] = '\0';
	tx_putc('\n');
	if (got_line) {
		snprintf(msg, sizeof(msg), "uart_irq: got line %s\n", line);
		tx_puts(msg);
	}
	bool gave_up = timed_out;
	if (gave_up) { /* still let the transmitter finish, within a second */
		timed_out = false;
		sbi_set_timer(rdtime() + timebase);
	}
	bool drained = wait_for(tx_drained);

	/* Quiet the UART before reporting: the SBI console may share it. */
	csr_clear(sstatus, SSTATUS_SIE);
	uart_write(UART_IER, 0);
	csr_clear(sie, SIE_SEIE | SIE_STIE);
	sbi_set_timer(~0UL);

	printf("uart_irq: %lu RX and %lu THRE interrupts, %lu of %u bytes sent%s\n", rx_irqs,
	       tx_irqs, tx_sent, tx_head, gave_up ? ", gave up waiting" : "");
	if (rx_irqs == 0)
		fail("rx-irq", "no RX interrupt");
	else
		ok("rx-irq");
	if (!drained || tx_irqs < tx_sent)
		fail("tx-irq", "%lu THRE interrupts for %lu bytes sent, %u queued", tx_irqs,
		     tx_sent, tx_head);
	else
		ok("tx-irq");
	if (!got_line || n == 0)
		fail("echo", "%s", got_line ? "empty line" : "no end of line");
	else if (!drained)
		fail("echo", "transmit ring stuck: %lu of %u bytes sent", tx_sent, tx_head);
	else
		ok("echo");
	if (other_irqs)
		printf("uart_irq: %lu claims of other sources\n", other_irqs);
	finish("uart_irq");
}
