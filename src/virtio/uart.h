/* SPDX-License-Identifier: MIT */
/*
 * The 16550A UART at 0x3f8, IRQ 4, that Linux prints on from its first line,
 * written once for every level: the root gives it to a guest at depth 1,
 * the vmm layer to a guest above layers. Freestanding (THR, IER, IIR with
 * the THRI acknowledge-by-read, FCR, LCR/DLAB, MCR with loopback, LSR, MSR,
 * SCR). Each transmitted byte goes to put(ctx, byte); input comes from
 * uart_input; the interrupt line goes to irq(ctx, level), called only when
 * the level changes. The transmit-empty interrupt is what keeps the guest's
 * tty layer writing.
 */
#ifndef RAMPART_UART_H
#define RAMPART_UART_H

#include <stdbool.h>
#include <stdint.h>

#define UART_BASE 0x3f8
#define UART_PORTS 8
#define UART_IRQ 4
#define UART_RX_FIFO 64

struct uart {
	void (*put)(void *ctx, uint8_t c);
	void (*irq)(void *ctx, int level);
	void *ctx;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thr_pending;	  /* the THR-empty interrupt is owed to the driver */
	int level;		  /* the line as last driven: 0, 1, or -1 (not yet) */
	uint8_t rx[UART_RX_FIFO]; /* input, and loopback */
	unsigned rx_head, rx_count;
};

void uart_init(struct uart *u, void (*put)(void *, uint8_t), void (*irq)(void *, int), void *ctx);
/* One byte of port I/O at port (UART_BASE..+7): *data in for a write, out for a read. */
void uart_io(struct uart *u, uint16_t port, uint8_t *data, bool write);
/* Bytes for the guest to read; returns how many fit in the receive FIFO. */
unsigned uart_input(struct uart *u, const uint8_t *data, unsigned len);

#endif
