/* SPDX-License-Identifier: MIT */
/* The vmm's 16550A: see uart.h. Same register semantics as src/root/serial.c. */
#include "virtio/uart.h"

#include "lib/rt.h"

#define REG_RX 0 /* in: receive buffer; DLAB: divisor low */
#define REG_TX 0 /* out: transmit holding */
#define REG_IER 1
#define REG_IIR 2 /* in */
#define REG_FCR 2 /* out */
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_MSR 6
#define REG_SCR 7

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO 0xc0
#define LCR_DLAB 0x80
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MCR_LOOP 0x10
#define MSR_DCD 0x80
#define MSR_DSR 0x20
#define MSR_CTS 0x10

void uart_init(struct uart *u, void (*put)(void *, uint8_t), void (*irq)(void *, int), void *ctx)
{
	rt_memset(u, 0, sizeof(*u));
	u->put = put;
	u->irq = irq;
	u->ctx = ctx;
	u->dll = 12; /* 9600 baud until the driver says otherwise */
	u->level = -1;
}

static uint8_t iir(const struct uart *u)
{
	if ((u->ier & IER_RDI) && u->rx_count)
		return IIR_RDI;
	if ((u->ier & IER_THRI) && u->thr_pending)
		return IIR_THRI;
	return IIR_NO_INT;
}

static void update_irq(struct uart *u)
{
	int level = iir(u) != IIR_NO_INT;

	if (level != u->level) {
		u->level = level;
		u->irq(u->ctx, level);
	}
}

static void put_char(struct uart *u, uint8_t c)
{
	if (u->mcr & MCR_LOOP) {
		if (u->rx_count < UART_RX_FIFO)
			u->rx[(u->rx_head + u->rx_count++) % UART_RX_FIFO] = c;
		return;
	}
	u->put(u->ctx, c);
}

static void reg_write(struct uart *u, unsigned reg, uint8_t v)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case REG_TX:
		if (dlab) {
			u->dll = v;
			break;
		}
		put_char(u, v);
		u->thr_pending = true; /* sent at once: the holding register is empty again */
		break;
	case REG_IER:
		if (dlab) {
			u->dlm = v;
			break;
		}
		/* Enabling THRI while the register is empty owes an interrupt. */
		if (!(u->ier & IER_THRI) && (v & IER_THRI))
			u->thr_pending = true;
		u->ier = v & 0x0f;
		break;
	case REG_FCR:
		u->fcr = v;
		if (v & 0x02)
			u->rx_count = 0;
		break;
	case REG_LCR:
		u->lcr = v;
		break;
	case REG_MCR:
		u->mcr = v & 0x1f;
		break;
	case REG_SCR:
		u->scr = v;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
}

static uint8_t reg_read(struct uart *u, unsigned reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case REG_RX:
		if (dlab)
			return u->dll;
		if (!u->rx_count)
			return 0;
		v = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_RX_FIFO;
		u->rx_count--;
		return v;
	case REG_IER:
		return dlab ? u->dlm : u->ier;
	case REG_IIR:
		v = iir(u);
		if (v == IIR_THRI)
			u->thr_pending = false; /* reading IIR acknowledges THRI */
		return v | ((u->fcr & 1) ? IIR_FIFO : 0);
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		return LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0);
	case REG_MSR:
		if (u->mcr & MCR_LOOP)
			/* DTR -> DSR, RTS -> CTS, OUT1 -> RI, OUT2 -> DCD */
			return (uint8_t)((u->mcr & 0x01) << 5 | (u->mcr & 0x02) << 3 |
					 (u->mcr & 0x0c) << 4);
		return MSR_DCD | MSR_DSR | MSR_CTS;
	case REG_SCR:
		return u->scr;
	}
	return 0xff;
}

void uart_io(struct uart *u, uint16_t port, uint8_t *data, bool write)
{
	unsigned reg = (unsigned)(port - UART_BASE) & 7;

	if (write)
		reg_write(u, reg, *data);
	else
		*data = reg_read(u, reg);
	update_irq(u);
}

unsigned uart_input(struct uart *u, const uint8_t *data, unsigned len)
{
	unsigned n = 0;

	while (n < len && u->rx_count < UART_RX_FIFO) {
		u->rx[(u->rx_head + u->rx_count++) % UART_RX_FIFO] = data[n];
		n++;
	}
	update_irq(u);
	return n;
}
