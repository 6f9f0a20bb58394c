/* SPDX-License-Identifier: MIT */
/*
 * The root's serial console: the shared 16550A model (src/virtio/uart.c)
 * with a lock (vCPU threads and the stdin reader both reach it), output
 * buffered by line to a file descriptor, and IRQ 4 on the in-kernel
 * interrupt controllers.
 */
#ifndef RAMPART_SERIAL_H
#define RAMPART_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio/uart.h"

#define SERIAL_BASE UART_BASE
#define SERIAL_PORTS UART_PORTS
#define SERIAL_RX_FIFO UART_RX_FIFO
#define SERIAL_OUT_BUF 4096

struct serial {
	pthread_mutex_t lock;
	struct uart uart;
	int out_fd;
	void (*set_irq)(void *ctx, unsigned irq, int level);
	void *irq_ctx;
	char out[SERIAL_OUT_BUF];
	size_t out_len;
};

void serial_init(struct serial *s, int out_fd, void (*set_irq)(void *, unsigned, int), void *ctx);
void serial_io(struct serial *s, uint16_t port, uint8_t *data, bool write);
/* Bytes for the guest to read; returns how many were taken. */
size_t serial_input(struct serial *s, const uint8_t *data, size_t len);
void serial_flush(struct serial *s);

#endif
