/* SPDX-License-Identifier: MIT */
/*
 * The vmm personality's 16550A UART at 0x3f8, IRQ 4: a freestanding port of
 * the register logic of src/root/serial.c (THR, IER, IIR with the THRI
 * acknowledge-by-read, FCR, LCR/DLAB, MCR with loopback, LSR, MSR, SCR).
 * Transmit only: nothing is ever received from outside (loopback aside).
 * Each transmitted byte goes to put(ctx, byte); the interrupt line goes to
 * irq(ctx, level), called only when the level changes.
 */
#ifndef RAMPART_LAYER_UART_H
#define RAMPART_LAYER_UART_H

#include <stdbool.h>
#include <stdint.h>

#define UART_BASE 0x3f8
#define UART_PORTS 8
#define UART_IRQ 4
#define UART_RX_FIFO 16

struct uart {
	void (*put)(void *ctx, uint8_t c);
	void (*irq)(void *ctx, int level);
	void *ctx;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thr_pending; /* the THR-empty interrupt is owed to the driver */
	int level;        /* the line as last driven: 0, 1, or -1 (not yet) */
	uint8_t rx[UART_RX_FIFO]; /* loopback only */
	unsigned rx_head, rx_count;
};

void uart_init(struct uart *u, void (*put)(void *, uint8_t), void (*irq)(void *, int), void *ctx);
/* One byte of port I/O at port (UART_BASE..+7): *data in for a write, out for a read. */
void uart_io(struct uart *u, uint16_t port, uint8_t *data, bool write);

#endif
