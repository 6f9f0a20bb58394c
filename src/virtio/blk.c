/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk (device id 2), one request queue.
 *
 * A request: a 16-byte header the device reads (type, reserved, sector),
 * data, and a status byte: the last writable byte of the chain. Sector
 * ranges are checked against the capacity here, with overflow, before the
 * backend sees an offset.
 *
 * A backend with finish takes a batch: every request a notify offers (up
 * to VIO_BLK_BATCH at a time) is handed to it as it is popped, and the
 * chains are completed, each with its own status, after its finish; a
 * flush is handed on only once every request before it was finished, so
 * it follows every write the driver offered before it. Without finish,
 * each request is completed before the next is popped.
 */
#include "lib/rt.h"
#include "virtio/virtq.h"

#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

/* Our status for a request the backend holds until its finish (no
 * status a device sends). */
#define BLK_S_QUEUED 0xff

#define BLK_HDR_LEN 16
/* Data segments per request: a chain less its header and status descriptors. */
#define BLK_SEG_MAX (VIO_CHAIN_MAX - 2)

static struct vio_blk *to_blk(struct vio_dev *d)
{
	return (struct vio_blk *)d;
}

static uint64_t blk_features(struct vio_dev *d)
{
	uint64_t f = VIO_BIT(VIRTIO_BLK_F_FLUSH) | VIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
		     VIO_BIT(VIRTIO_BLK_F_BLK_SIZE);

	return to_blk(d)->be->read_only ? f | VIO_BIT(VIRTIO_BLK_F_RO) : f;
}

static void blk_config_read(struct vio_dev *d, uint32_t off, void *data, unsigned len)
{
	/* capacity, size_max, seg_max, geometry, blk_size (5.2.4) */
	uint8_t cfg[24] = { 0 };

	rt_put64(cfg, to_blk(d)->be->capacity);
	rt_put32(cfg + 12, BLK_SEG_MAX);
	rt_put32(cfg + 20, VIO_BLK_SECTOR);
	vio_config_copy(cfg, sizeof(cfg), off, data, len);
}

/* One parsed request; data[] excludes the header and the status byte. */
struct blk_req {
	uint32_t type;
	uint64_t sector;
	struct vio_iov data[VIO_CHAIN_MAX];
	unsigned ndata;
	uint32_t data_len;
	uint8_t *status;
};

/* Byte offset of a data transfer, or false when it leaves the disk. */
static bool blk_range(struct vio_blk *b, const struct blk_req *r, uint64_t *off)
{
	uint64_t cap = b->be->capacity, end;

	if (r->data_len % VIO_BLK_SECTOR || r->sector > UINT64_MAX / VIO_BLK_SECTOR ||
	    cap > UINT64_MAX / VIO_BLK_SECTOR)
		return false;
	*off = r->sector * VIO_BLK_SECTOR;
	return rt_add_ok(*off, r->data_len, &end) && end <= cap * VIO_BLK_SECTOR;
}

static uint8_t blk_rw(struct vio_blk *b, struct blk_req *r, uint32_t *written)
{
	struct vio_dev *d = &b->dev;
	uint64_t off;
	int err;

	if (!blk_range(b, r, &off)) {
		vio_refuse(d, VIO_R_REQ_RANGE, "blk request past capacity or not whole sectors",
			   r->sector);
		return VIRTIO_BLK_S_IOERR;
	}
	if (r->type == VIRTIO_BLK_T_OUT && b->be->read_only) {
		vio_refuse(d, VIO_R_REQ_RO, "blk write to a read-only disk", r->sector);
		return VIRTIO_BLK_S_IOERR;
	}
	if (r->type == VIRTIO_BLK_T_IN)
		err = b->be->read(b->be->ctx, off, r->data, r->ndata);
	else
		err = b->be->write(b->be->ctx, off, r->data, r->ndata);
	if (err < 0) {
		vio_refuse(d, VIO_R_BACKEND, "blk backend i/o failed", (uint64_t)(int64_t)err);
		return VIRTIO_BLK_S_IOERR;
	}
	if (r->type == VIRTIO_BLK_T_IN)
		*written = r->data_len; /* once it is OK */
	return b->be->finish ? BLK_S_QUEUED : VIRTIO_BLK_S_OK;
}

static uint8_t blk_execute(struct vio_blk *b, struct blk_req *r, uint32_t *written)
{
	struct vio_dev *d = &b->dev;

	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return blk_rw(b, r, written);
	case VIRTIO_BLK_T_FLUSH:
		if (b->be->flush && b->be->flush(b->be->ctx) < 0) {
			vio_refuse(d, VIO_R_BACKEND, "blk flush failed", 0);
			return VIRTIO_BLK_S_IOERR;
		}
		return b->be->flush && b->be->finish ? BLK_S_QUEUED : VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		*written = (uint32_t)vio_iov_to(r->data, r->ndata, 0, b->be->serial,
						VIO_BLK_ID_LEN);
		return VIRTIO_BLK_S_OK;
	}
	vio_refuse(d, VIO_R_REQ_UNSUPP, "blk request type unsupported", r->type);
	return VIRTIO_BLK_S_UNSUPP;
}

/* Last writable byte of what the walk checked, or NULL. */
static uint8_t *status_byte(const struct virtq_chain *c)
{
	const struct vio_iov *last;

	if (!c->n_in)
		return NULL;
	last = &c->iov[c->n_out + c->n_in - 1];
	return (uint8_t *)last->base + last->len - 1;
}

/* Split a well-formed chain into header, data and status; false if it is not one. */
static bool blk_parse(struct vio_blk *b, const struct virtq_chain *c, struct blk_req *r)
{
	uint8_t hdr[BLK_HDR_LEN];

	r->status = status_byte(c);
	if (!r->status || c->out_len < BLK_HDR_LEN) {
		vio_refuse(&b->dev, VIO_R_REQ_FORMAT, "blk request without header or status byte",
			   c->out_len);
		return false;
	}
	vio_iov_from(c->iov, c->n_out, 0, hdr, BLK_HDR_LEN);
	r->type = rt_le32(hdr);
	r->sector = rt_le64(hdr + 8);
	if (r->type == VIRTIO_BLK_T_OUT) {
		r->data_len = c->out_len - BLK_HDR_LEN;
		r->ndata = vio_iov_slice(c->iov, c->n_out, BLK_HDR_LEN, r->data_len, r->data,
					 VIO_CHAIN_MAX);
	} else {
		r->data_len = c->in_len - 1;
		r->ndata = vio_iov_slice(c->iov + c->n_out, c->n_in, 0, r->data_len, r->data,
					 VIO_CHAIN_MAX);
	}
	return true;
}

/* A chain of the open batch: completed after the backend's finish. */
struct blk_held {
	uint16_t head;
	uint8_t st;	  /* its status, BLK_S_QUEUED until the finish */
	uint8_t *status;  /* where it goes; NULL: no status byte (used length 0) */
	uint32_t written; /* data bytes written to the driver, once OK */
};

struct blk_batch {
	struct blk_held held[VIO_BLK_BATCH];
	unsigned n, queued; /* chains held; of them, requests the backend holds */
};

/*
 * The backend finishes what it holds; then every chain of the batch goes
 * back to the driver in the order popped, each with its own status. The
 * used length: bytes written to the driver, status included.
 */
static void blk_complete(struct vio_blk *b, struct blk_batch *bt)
{
	int res[VIO_BLK_BATCH];
	unsigned k = 0;

	for (unsigned i = 0; i < bt->queued; i++)
		res[i] = -5; /* EIO unless the backend says otherwise */
	if (bt->queued)
		b->be->finish(b->be->ctx, res, bt->queued);
	for (unsigned i = 0; i < bt->n; i++) {
		struct blk_held *h = &bt->held[i];
		uint32_t len = 0;

		if (h->st == BLK_S_QUEUED) {
			h->st = res[k] < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
			if (res[k] < 0)
				vio_refuse(&b->dev, VIO_R_BACKEND, "blk backend i/o failed",
					   (uint64_t)(int64_t)res[k]);
			k++;
		}
		if (h->status) {
			*h->status = h->st;
			len = (h->st == VIRTIO_BLK_S_OK ? h->written : 0) + 1;
		}
		virtq_push(&b->dev, 0, h->head, len);
	}
	bt->n = bt->queued = 0;
}

/* Parse and start one chain, held in the batch. */
static void blk_request(struct vio_blk *b, enum virtq_pop_result pr, struct virtq_chain *c,
			struct blk_batch *bt)
{
	struct blk_req r;
	struct blk_held *h;
	bool ok = pr == VQ_OK && blk_parse(b, c, &r);

	/* A flush follows every request before it: those the backend holds
	 * are finished (and completed) first. */
	if (ok && r.type == VIRTIO_BLK_T_FLUSH && bt->queued)
		blk_complete(b, bt);
	h = &bt->held[bt->n++];
	h->head = c->head;
	h->written = 0;
	if (!ok) {
		/* Malformed: fail it through whatever status byte we can find. */
		h->status = status_byte(c);
		h->st = VIRTIO_BLK_S_IOERR;
		return;
	}
	h->status = r.status;
	h->st = blk_execute(b, &r, &h->written);
	if (h->st == BLK_S_QUEUED)
		bt->queued++;
}

static void blk_notify(struct vio_dev *d, unsigned q)
{
	struct vio_blk *b = to_blk(d);
	struct vio_iov iov[VIO_CHAIN_MAX];
	struct virtq_chain c;
	struct blk_batch bt;
	unsigned batch = b->be->finish ? VIO_BLK_BATCH : 1;
	bool pushed = false;

	(void)q;
	bt.n = bt.queued = 0;
	for (uint32_t i = 0;; i++) {
		enum virtq_pop_result r;

		if (i == d->q[0].num) {
			virtq_budget_spent(d, 0);
			break;
		}
		r = virtq_pop(d, 0, iov, VIO_CHAIN_MAX, &c);
		if (r == VQ_EMPTY || r == VQ_BROKEN)
			break;
		blk_request(b, r, &c, &bt);
		pushed = true;
		if (bt.n == batch)
			blk_complete(b, &bt);
	}
	if (bt.n)
		blk_complete(b, &bt);
	if (pushed)
		virtq_signal(d, 0);
}

static const struct vio_dev_ops blk_ops = {
	.device_id = 2,
	.num_queues = 1,
	.features = blk_features,
	.config_read = blk_config_read,
	.notify = blk_notify,
};

void vio_blk_init(struct vio_blk *b, const struct vio_host *h, unsigned irq,
		  const struct vio_blk_backend *be)
{
	rt_memset(b, 0, sizeof(*b));
	vio_dev_init(&b->dev, &blk_ops, h, "virtio-blk", irq);
	b->be = be;
}
