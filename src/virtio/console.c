/* SPDX-License-Identifier: MIT */
/*
 * virtio-console (device id 3): a single port, no multiport, no resize.
 * Queue 0 (receiveq) carries input to the guest, queue 1 (transmitq) its
 * output to the backend.
 */
#include "lib/rt.h"
#include "virtio/virtq.h"

#define CONS_RXQ 0
#define CONS_TXQ 1

static struct vio_console *to_console(struct vio_dev *d)
{
	return (struct vio_console *)d;
}

/* The output of a chain, within what is left of the notify's budget. */
static void console_out(struct vio_console *c, const struct virtq_chain *ch, uint32_t *left)
{
	for (unsigned k = 0; k < ch->n_out; k++) {
		uint32_t len = ch->iov[k].len < *left ? ch->iov[k].len : *left;

		if (len < ch->iov[k].len)
			vio_refuse(&c->dev, VIO_R_BUDGET, "console output past the notify's budget",
				   ch->iov[k].len);
		if (len)
			c->be->write(c->be->ctx, ch->iov[k].base, len);
		*left -= len;
	}
}

static void console_tx(struct vio_console *c)
{
	struct vio_dev *d = &c->dev;
	struct vio_iov iov[VIO_CHAIN_MAX];
	struct virtq_chain ch;
	uint32_t left = VIO_CONSOLE_TX_BUDGET;
	bool pushed = false;

	for (uint32_t i = 0;; i++) {
		enum virtq_pop_result r;

		if (i == d->q[CONS_TXQ].num) {
			virtq_budget_spent(d, CONS_TXQ);
			break;
		}
		r = virtq_pop(d, CONS_TXQ, iov, VIO_CHAIN_MAX, &ch);
		if (r == VQ_EMPTY || r == VQ_BROKEN)
			break;
		if (r == VQ_OK)
			console_out(c, &ch, &left);
		virtq_push(d, CONS_TXQ, ch.head, 0);
		pushed = true;
	}
	if (pushed)
		virtq_signal(d, CONS_TXQ);
}

static void console_notify(struct vio_dev *d, unsigned q)
{
	/* A receiveq notify only says buffers arrived; input is pushed by the host. */
	if (q == CONS_TXQ)
		console_tx(to_console(d));
}

static const struct vio_dev_ops console_ops = {
	.device_id = 3,
	.num_queues = 2,
	.notify = console_notify,
};

void vio_console_init(struct vio_console *c, const struct vio_host *h, unsigned irq,
		      const struct vio_console_backend *be)
{
	rt_memset(c, 0, sizeof(*c));
	vio_dev_init(&c->dev, &console_ops, h, "virtio-console", irq);
	c->be = be;
}

size_t vio_console_input(struct vio_console *c, const void *data, size_t len)
{
	struct vio_dev *d = &c->dev;
	struct vio_iov iov[VIO_CHAIN_MAX];
	struct virtq_chain ch;
	size_t taken = 0;
	bool pushed = false;

	for (uint32_t i = 0; taken < len && i < d->q[CONS_RXQ].num; i++) {
		enum virtq_pop_result r = virtq_pop(d, CONS_RXQ, iov, VIO_CHAIN_MAX, &ch);
		size_t n = 0;

		if (r == VQ_EMPTY || r == VQ_BROKEN)
			break;
		if (r == VQ_OK)
			n = vio_iov_to(ch.iov + ch.n_out, ch.n_in, 0, (const uint8_t *)data + taken,
				       len - taken);
		virtq_push(d, CONS_RXQ, ch.head, (uint32_t)n);
		taken += n;
		pushed = true;
	}
	if (pushed)
		virtq_signal(d, CONS_RXQ);
	return taken;
}
