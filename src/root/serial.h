/* SPDX-License-Identifier: MIT */
/*
 * The 16550A UART at 0x3f8, IRQ 4, that Linux prints on from its first
 * line. Output goes to a file descriptor (the root's stdout), input comes
 * from serial_input. The transmit-empty interrupt is what keeps the guest's
 * tty layer writing.
 */
#ifndef RAMPART_SERIAL_H
#define RAMPART_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL_BASE 0x3f8
#define SERIAL_PORTS 8
#define SERIAL_IRQ 4
#define SERIAL_RX_FIFO 64
#define SERIAL_OUT_BUF 4096

struct serial {
	pthread_mutex_t lock;
	int out_fd;
	void (*set_irq)(void *ctx, unsigned irq, int level);
	void *irq_ctx;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thr_pending; /* the THR-empty interrupt is owed to the driver */
	uint8_t rx[SERIAL_RX_FIFO];
	unsigned rx_head, rx_count;
	char out[SERIAL_OUT_BUF];
	size_t out_len;
};

void serial_init(struct serial *s, int out_fd, void (*set_irq)(void *, unsigned, int), void *ctx);
void serial_io(struct serial *s, uint16_t port, uint8_t *data, bool write);
/* Bytes for the guest to read; returns how many were taken. */
size_t serial_input(struct serial *s, const uint8_t *data, size_t len);
void serial_flush(struct serial *s);

#endif
