/* SPDX-License-Identifier: MIT */
#include "root/serial.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void out_flush(struct serial *s)
{
	size_t done = 0;

	while (done < s->out_len) {
		ssize_t n = write(s->out_fd, s->out + done, s->out_len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* the console is gone: drop, the guest must not stall */
		done += (size_t)n;
	}
	s->out_len = 0;
}

static void put(void *ctx, uint8_t c)
{
	struct serial *s = ctx;

	s->out[s->out_len++] = (char)c;
	if (c == '\n' || s->out_len == sizeof(s->out))
		out_flush(s);
}

static void irq(void *ctx, int level)
{
	struct serial *s = ctx;

	s->set_irq(s->irq_ctx, UART_IRQ, level);
}

void serial_init(struct serial *s, int out_fd, void (*set_irq)(void *, unsigned, int), void *ctx)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->out_fd = out_fd;
	s->set_irq = set_irq;
	s->irq_ctx = ctx;
	uart_init(&s->uart, put, irq, s);
}

void serial_flush(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	out_flush(s);
	pthread_mutex_unlock(&s->lock);
}

void serial_io(struct serial *s, uint16_t port, uint8_t *data, bool write)
{
	pthread_mutex_lock(&s->lock);
	uart_io(&s->uart, port, data, write);
	pthread_mutex_unlock(&s->lock);
}

size_t serial_input(struct serial *s, const uint8_t *data, size_t len)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = uart_input(&s->uart, data, len > UART_RX_FIFO ? UART_RX_FIFO : (unsigned)len);
	pthread_mutex_unlock(&s->lock);
	return n;
}
