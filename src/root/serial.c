/* SPDX-License-Identifier: MIT */
#include "root/serial.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Register offsets and bits of the 16550A. */
#define UART_RX 0 /* in: receive buffer; DLAB: divisor low */
#define UART_TX 0 /* out: transmit holding */
#define UART_IER 1
#define UART_IIR 2 /* in */
#define UART_FCR 2 /* out */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_RDI 0x01  /* receive data available */
#define IER_THRI 0x02 /* transmit holding register empty */
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO 0xc0
#define LCR_DLAB 0x80
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MCR_LOOP 0x10
#define MCR_OUT2 0x08
#define MSR_DCD 0x80
#define MSR_DSR 0x20
#define MSR_CTS 0x10

void serial_init(struct serial *s, int out_fd, void (*set_irq)(void *, unsigned, int), void *ctx)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->out_fd = out_fd;
	s->set_irq = set_irq;
	s->irq_ctx = ctx;
	s->dll = 12; /* 9600 baud until the driver says otherwise */
}

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

void serial_flush(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	out_flush(s);
	pthread_mutex_unlock(&s->lock);
}

static uint8_t iir(const struct serial *s)
{
	if ((s->ier & IER_RDI) && s->rx_count)
		return IIR_RDI;
	if ((s->ier & IER_THRI) && s->thr_pending)
		return IIR_THRI;
	return IIR_NO_INT;
}

static void update_irq(struct serial *s)
{
	s->set_irq(s->irq_ctx, 4, iir(s) != IIR_NO_INT);
}

static void put_char(struct serial *s, uint8_t c)
{
	if (s->mcr & MCR_LOOP) {
		if (s->rx_count < SERIAL_RX_FIFO)
			s->rx[(s->rx_head + s->rx_count++) % SERIAL_RX_FIFO] = c;
		return;
	}
	s->out[s->out_len++] = (char)c;
	if (c == '\n' || s->out_len == sizeof(s->out))
		out_flush(s);
}

static void reg_write(struct serial *s, unsigned reg, uint8_t v)
{
	bool dlab = s->lcr & LCR_DLAB;

	switch (reg) {
	case UART_TX:
		if (dlab) {
			s->dll = v;
			break;
		}
		put_char(s, v);
		s->thr_pending = true; /* sent at once: the holding register is empty again */
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = v;
			break;
		}
		/* Enabling THRI while the register is empty owes an interrupt. */
		if (!(s->ier & IER_THRI) && (v & IER_THRI))
			s->thr_pending = true;
		s->ier = v & 0x0f;
		break;
	case UART_FCR:
		s->fcr = v;
		if (v & 0x02)
			s->rx_count = 0;
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & 0x1f;
		break;
	case UART_SCR:
		s->scr = v;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
}

static uint8_t reg_read(struct serial *s, unsigned reg)
{
	bool dlab = s->lcr & LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case UART_RX:
		if (dlab)
			return s->dll;
		if (!s->rx_count)
			return 0;
		v = s->rx[s->rx_head];
		s->rx_head = (s->rx_head + 1) % SERIAL_RX_FIFO;
		s->rx_count--;
		return v;
	case UART_IER:
		return dlab ? s->dlm : s->ier;
	case UART_IIR:
		v = iir(s);
		if (v == IIR_THRI)
			s->thr_pending = false; /* reading IIR acknowledges THRI */
		return v | ((s->fcr & 1) ? IIR_FIFO : 0);
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0);
	case UART_MSR:
		if (s->mcr & MCR_LOOP)
			return (uint8_t)((s->mcr & 0x0c) << 4 | (s->mcr & 0x03) << 4);
		return MSR_DCD | MSR_DSR | MSR_CTS;
	case UART_SCR:
		return s->scr;
	}
	return 0xff;
}

void serial_io(struct serial *s, uint16_t port, uint8_t *data, bool write)
{
	unsigned reg = (unsigned)(port - SERIAL_BASE) & 7;

	pthread_mutex_lock(&s->lock);
	if (write)
		reg_write(s, reg, *data);
	else
		*data = reg_read(s, reg);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

size_t serial_input(struct serial *s, const uint8_t *data, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	while (n < len && s->rx_count < SERIAL_RX_FIFO) {
		s->rx[(s->rx_head + s->rx_count++) % SERIAL_RX_FIFO] = data[n];
		n++;
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}
