/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk (device id 2), one request queue.
 *
 * A request: a 16-byte header the device reads (type, reserved, sector),
 * data, and a status byte: the last writable byte of the chain. Sector
 * ranges are checked against the capacity here, with overflow, before the
 * backend sees an offset.
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
		*written = r->data_len;
	return VIRTIO_BLK_S_OK;
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
		return VIRTIO_BLK_S_OK;
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

/* Returns the used length: bytes written to the guest, status included. */
static uint32_t blk_request(struct vio_blk *b, enum virtq_pop_result pr, struct virtq_chain *c)
{
	struct blk_req r;
	uint32_t written = 0;
	uint8_t st;

	if (pr != VQ_OK || !blk_parse(b, c, &r)) {
		/* Malformed: fail it through whatever status byte we can find. */
		uint8_t *s = status_byte(c);

		if (!s)
			return 0;
		*s = VIRTIO_BLK_S_IOERR;
		return 1;
	}
	st = blk_execute(b, &r, &written);
	*r.status = st;
	return (st == VIRTIO_BLK_S_OK ? written : 0) + 1;
}

static void blk_notify(struct vio_dev *d, unsigned q)
{
	struct vio_blk *b = to_blk(d);
	struct vio_iov iov[VIO_CHAIN_MAX];
	struct virtq_chain c;
	bool pushed = false;

	for (uint32_t i = 0;; i++) {
		enum virtq_pop_result r;

		if (i == d->q[0].num) {
			virtq_budget_spent(d, 0);
			break;
		}
		r = virtq_pop(d, 0, iov, VIO_CHAIN_MAX, &c);
		if (r == VQ_EMPTY || r == VQ_BROKEN)
			break;
		virtq_push(d, 0, c.head, blk_request(b, r, &c));
		pushed = true;
	}
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
