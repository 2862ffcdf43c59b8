/*
 * A 16550A UART model (the ns16550a of QEMU virt): byte registers at
 * offsets 0-7, 16-byte FIFOs, interrupts with the 16550's IIR priorities.
 * Pure C: the hypervisor wires tx/set_irq to the console and the vPLIC.
 */
#ifndef RVHV_UART16550_H
#define RVHV_UART16550_H

#include "kernel/decode.h"

struct mmio_window;

#define UART16550_FIFO 16
#define UART16550_SIZE 0x100 /* the MMIO window on QEMU virt */

struct uart16550 {
	/* registers; lsr without DR (it follows rx_count), fcr keeps bits 7:6 and 0 */
	u8 ier, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
	/* receive FIFO (also the loopback path when MCR.LOOP is set) */
	u8 rx[UART16550_FIFO];
	u8 rx_head, rx_count;
	bool thre_pending; /* the THR-empty interrupt is waiting to be taken */
	bool irq_level;    /* what was last told to set_irq */
	/* A THR write would only transmit: IER.ETBEI, LCR.DLAB and MCR.LOOP
	 * are clear and the line is low.  Kept with irq_level, for a fast
	 * path that sends such bytes without the model (switch.S). */
	bool tx_only;
	/* where the reads that change nothing are published (uart16550_publish) */
	struct mmio_window *window;
	/* wiring */
	void (*tx)(void *ctx, u8 c);            /* a byte leaves through THR */
	void (*set_irq)(void *ctx, bool level); /* the interrupt line */
	void *ctx;
};

/*
 * Reset state; tx and set_irq are both required.  set_irq is called, from
 * uart16550_access or uart16550_receive, only when the line changes level.
 */
void uart16550_init(struct uart16550 *u, void (*tx)(void *, u8), void (*set_irq)(void *, bool),
		    void *ctx);
/*
 * Publish the byte reads that change nothing in w, a register window
 * (kernel/mmio.h), and keep them true from now on: IER, LCR, MCR, DLL and
 * DLM, MSR while no delta bit is set, and the zeros past the registers.
 * RBR, IIR, LSR and SCR stay the model's (SCR because switch.S stores it
 * without the model).  uart16550_init forgets the window: publish again.
 */
void uart16550_publish(struct uart16550 *u, struct mmio_window *w);
/* An mmio_ops access function (kernel/mmio.h): byte accesses only. */
int uart16550_access(void *dev, u64 off, struct mmio_access *acc);
/*
 * A byte arrives on the wire: false if it was lost, because the receive
 * FIFO was full (overrun, LSR.OE) or loopback mode disconnects the input.
 */
bool uart16550_receive(struct uart16550 *u, u8 c);
/* Take the next received byte, as firmware reading RBR would (-1 if none). */
int uart16550_take(struct uart16550 *u);
/* Room left in the receive FIFO (1 deep without FIFOs); 0 in loopback mode. */
int uart16550_rx_space(const struct uart16550 *u);

#endif
