/* SPDX-License-Identifier: MIT */
/* virtio-rng (device id 4): one queue of writable buffers we fill. */
#include "lib/rt.h"
#include "virtio/virtq.h"

static struct vio_rng *to_rng(struct vio_dev *d)
{
	return (struct vio_rng *)d;
}

/* Fill the chain's writable part; returns the bytes written. */
static uint32_t rng_fill(struct vio_rng *r, const struct virtq_chain *c)
{
	uint32_t total = 0;

	for (unsigned k = 0; k < c->n_in; k++) {
		const struct vio_iov *v = &c->iov[c->n_out + k];
		int got = r->be->fill(r->be->ctx, v->base, v->len);

		if (got < 0) {
			vio_refuse(&r->dev, VIO_R_BACKEND, "rng backend failed", (uint64_t)(int64_t)got);
			break;
		}
		total += (uint32_t)got < v->len ? (uint32_t)got : v->len;
		if ((uint32_t)got < v->len)
			break;
	}
	return total;
}

static void rng_notify(struct vio_dev *d, unsigned q)
{
	struct vio_rng *r = to_rng(d);
	struct vio_iov iov[VIO_CHAIN_MAX];
	struct virtq_chain c;
	bool pushed = false;

	for (uint32_t i = 0;; i++) {
		enum virtq_pop_result pr;

		if (i == d->q[0].num) {
			virtq_budget_spent(d, 0);
			break;
		}
		pr = virtq_pop(d, 0, iov, VIO_CHAIN_MAX, &c);
		if (pr == VQ_EMPTY || pr == VQ_BROKEN)
			break;
		virtq_push(d, 0, c.head, pr == VQ_OK ? rng_fill(r, &c) : 0);
		pushed = true;
	}
	if (pushed)
		virtq_signal(d, 0);
}

static const struct vio_dev_ops rng_ops = {
	.device_id = 4,
	.num_queues = 1,
	.notify = rng_notify,
};

void vio_rng_init(struct vio_rng *r, const struct vio_host *h, unsigned irq,
		  const struct vio_rng_backend *be)
{
	rt_memset(r, 0, sizeof(*r));
	vio_dev_init(&r->dev, &rng_ops, h, "virtio-rng", irq);
	r->be = be;
}
