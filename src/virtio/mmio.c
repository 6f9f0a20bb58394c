/* SPDX-License-Identifier: MIT */
/*
 * virtio-mmio transport, version 2 (virtio 1.2 section 4.2.2), modern only.
 *
 * The register window is guest-controlled: every value written is checked
 * here, once, before it reaches a queue or a device. Non-config registers
 * take 4-byte accesses only; config space takes 1, 2, 4 or 8 bytes.
 */
#include "lib/rt.h"
#include "virtio/virtq.h"

#define MMIO_MAGIC 0x74726976u /* "virt" */
#define MMIO_VERSION 2u
#define MMIO_VENDOR 0x52414d50u /* "RAMP" */

enum {
	R_MAGIC = 0x000,
	R_VERSION = 0x004,
	R_DEVICE_ID = 0x008,
	R_VENDOR_ID = 0x00c,
	R_DEV_FEATURES = 0x010,
	R_DEV_FEATURES_SEL = 0x014,
	R_DRV_FEATURES = 0x020,
	R_DRV_FEATURES_SEL = 0x024,
	R_QUEUE_SEL = 0x030,
	R_QUEUE_NUM_MAX = 0x034,
	R_QUEUE_NUM = 0x038,
	R_QUEUE_READY = 0x044,
	R_QUEUE_NOTIFY = 0x050,
	R_INT_STATUS = 0x060,
	R_INT_ACK = 0x064,
	R_STATUS = 0x070,
	R_QUEUE_DESC_LO = 0x080,
	R_QUEUE_DESC_HI = 0x084,
	R_QUEUE_DRIVER_LO = 0x090,
	R_QUEUE_DRIVER_HI = 0x094,
	R_QUEUE_DEVICE_LO = 0x0a0,
	R_QUEUE_DEVICE_HI = 0x0a4,
	R_SHM_SEL = 0x0ac,
	R_SHM_LEN_LO = 0x0b0,
	R_SHM_LEN_HI = 0x0b4,
	R_SHM_BASE_LO = 0x0b8,
	R_SHM_BASE_HI = 0x0bc,
	R_QUEUE_RESET = 0x0c0,
	R_CONFIG_GEN = 0x0fc,
	R_CONFIG = 0x100,
};

/* Ring alignment the spec requires (2.7.1 table). */
#define DESC_ALIGN 16u
#define AVAIL_ALIGN 2u
#define USED_ALIGN 4u

void vio_dev_init(struct vio_dev *d, const struct vio_dev_ops *ops, const struct vio_host *h,
		  const char *name, unsigned irq)
{
	rt_memset(d, 0, sizeof(*d));
	d->ops = ops;
	d->host = h;
	d->name = name;
	d->irq = irq;
}

void vio_refuse(struct vio_dev *d, enum vio_refusal kind, const char *what, uint64_t value)
{
	uint32_t bit = 1u << kind;

	if (d->logged & bit)
		return;
	d->logged |= bit;
	if (d->host->log)
		d->host->log(d->host->ctx, d->name, what, value);
}

static void irq_update(struct vio_dev *d)
{
	if (d->host->set_irq)
		d->host->set_irq(d->host->ctx, d->irq, d->isr != 0);
}

void vio_raise(struct vio_dev *d, uint32_t isr_bits)
{
	d->isr |= isr_bits;
	irq_update(d);
}

void vio_broken(struct vio_dev *d, enum vio_refusal kind, const char *what, uint64_t value)
{
	vio_refuse(d, kind, what, value);
	if (d->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	d->config_generation++;
	vio_raise(d, VIO_ISR_CONFIG);
}

bool vio_has_feature(const struct vio_dev *d, unsigned bit)
{
	return (d->driver_features >> bit) & 1;
}

bool vio_live(const struct vio_dev *d)
{
	return (d->status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_NEEDS_RESET)) ==
	       VIRTIO_STATUS_DRIVER_OK;
}

void vio_config_copy(const void *cfg, size_t cfg_len, uint32_t off, void *data, unsigned len)
{
	const uint8_t *src = cfg;
	uint8_t *dst = data;

	for (unsigned i = 0; i < len; i++)
		dst[i] = (uint64_t)off + i < cfg_len ? src[off + i] : 0;
}

static uint64_t offered_features(struct vio_dev *d)
{
	uint64_t f = VIO_BIT(VIRTIO_F_VERSION_1) | VIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		     VIO_BIT(VIRTIO_F_EVENT_IDX);

	return f | (d->ops->features ? d->ops->features(d) : 0);
}

static void dev_reset(struct vio_dev *d)
{
	d->status = 0;
	d->isr = 0;
	d->dev_feat_sel = 0;
	d->drv_feat_sel = 0;
	d->driver_features = 0;
	d->queue_sel = 0;
	rt_memset(d->q, 0, sizeof(d->q));
	if (d->ops->reset)
		d->ops->reset(d);
	irq_update(d);
}

void vio_reset(struct vio_dev *d)
{
	dev_reset(d);
}

/* The queue QueueSel names, or NULL when the device has no such queue. */
static struct vio_queue *sel_queue(struct vio_dev *d)
{
	if (d->queue_sel >= d->ops->num_queues || d->queue_sel >= VIO_NUM_QUEUES)
		return NULL;
	return &d->q[d->queue_sel];
}

static bool ring_ok(struct vio_dev *d, uint64_t gpa, uint64_t len, uint64_t align, bool write)
{
	return (gpa & (align - 1)) == 0 && d->host->gpa_ptr(d->host->ctx, gpa, len, write) != NULL;
}

/*
 * QueueReady := 1. The ring layout is checked here, and again on every
 * access: the used ring, which the device writes, must lie where the
 * driver may write.
 */
static void queue_enable(struct vio_dev *d, struct vio_queue *q)
{
	uint64_t n = q->num;

	if (n == 0) {
		vio_refuse(d, VIO_R_QUEUE_NUM, "queue enabled without a valid size", d->queue_sel);
		return;
	}
	if (!ring_ok(d, q->desc_gpa, n * VIRTQ_DESC_SIZE, DESC_ALIGN, false) ||
	    !ring_ok(d, q->avail_gpa, 6 + 2 * n, AVAIL_ALIGN, false) ||
	    !ring_ok(d, q->used_gpa, 6 + 8 * n, USED_ALIGN, true)) {
		vio_broken(d, VIO_R_RING_ADDR,
			   "ring outside guest RAM, misaligned, or used ring not writable",
			   q->desc_gpa);
		return;
	}
	q->last_avail = 0;
	q->used_idx = 0;
	q->signalled_used = 0;
	q->signalled_valid = false;
	q->ready = true;
}

static void set_num(struct vio_dev *d, struct vio_queue *q, uint32_t v)
{
	if (v == 0 || v > VIO_QUEUE_MAX || (v & (v - 1))) {
		vio_refuse(d, VIO_R_QUEUE_NUM, "queue size not a power of two <= 256, refused", v);
		q->num = 0;
		return;
	}
	q->num = v;
}

static void set_half(uint64_t *field, bool high, uint32_t v)
{
	if (high)
		*field = (*field & 0xffffffffull) | (uint64_t)v << 32;
	else
		*field = (*field & ~0xffffffffull) | v;
}

static void queue_write(struct vio_dev *d, uint64_t off, uint32_t v)
{
	struct vio_queue *q = sel_queue(d);

	if (!q || (q->ready && off != R_QUEUE_READY)) {
		vio_refuse(d, VIO_R_QUEUE_CFG, "queue register written while ready or no such queue",
			   d->queue_sel);
		return;
	}
	switch (off) {
	case R_QUEUE_NUM:
		set_num(d, q, v);
		break;
	case R_QUEUE_READY:
		if (!v)
			q->ready = false;
		else if (!q->ready)
			queue_enable(d, q);
		break;
	case R_QUEUE_DESC_LO:
	case R_QUEUE_DESC_HI:
		set_half(&q->desc_gpa, off == R_QUEUE_DESC_HI, v);
		break;
	case R_QUEUE_DRIVER_LO:
	case R_QUEUE_DRIVER_HI:
		set_half(&q->avail_gpa, off == R_QUEUE_DRIVER_HI, v);
		break;
	case R_QUEUE_DEVICE_LO:
	case R_QUEUE_DEVICE_HI:
		set_half(&q->used_gpa, off == R_QUEUE_DEVICE_HI, v);
		break;
	}
}

/* FEATURES_OK only for VERSION_1 and a subset of what was offered. */
static bool features_acceptable(struct vio_dev *d)
{
	uint64_t f = d->driver_features;

	if (!(f & VIO_BIT(VIRTIO_F_VERSION_1)) || (f & ~offered_features(d))) {
		vio_refuse(d, VIO_R_FEATURES, "driver features refused", f);
		return false;
	}
	return true;
}

static void status_write(struct vio_dev *d, uint32_t v)
{
	uint32_t old = d->status;

	if (v == 0) {
		dev_reset(d);
		return;
	}
	v &= 0xff;
	if (old & ~v & ~VIRTIO_STATUS_NEEDS_RESET) {
		/* Only a reset clears bits (3.1.1). */
		vio_refuse(d, VIO_R_STATUS, "status bits cleared without reset", v);
		v |= old;
	}
	if ((v & ~old & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(d))
		v &= ~VIRTIO_STATUS_FEATURES_OK;
	if ((v & VIRTIO_STATUS_DRIVER_OK) && !(v & VIRTIO_STATUS_FEATURES_OK)) {
		vio_refuse(d, VIO_R_STATUS, "DRIVER_OK without FEATURES_OK", v);
		v &= ~VIRTIO_STATUS_DRIVER_OK;
	}
	/* The device, not the driver, owns NEEDS_RESET. */
	d->status = (v & ~VIRTIO_STATUS_NEEDS_RESET) | (old & VIRTIO_STATUS_NEEDS_RESET);
}

static void notify(struct vio_dev *d, uint32_t qi)
{
	if (!vio_live(d) || qi >= d->ops->num_queues || qi >= VIO_NUM_QUEUES || !d->q[qi].ready) {
		vio_refuse(d, VIO_R_NOTIFY, "notify before DRIVER_OK or for no ready queue", qi);
		return;
	}
	if (d->ops->notify)
		d->ops->notify(d, qi);
}

static void features_write(struct vio_dev *d, uint32_t v)
{
	if (d->status & VIRTIO_STATUS_FEATURES_OK) {
		vio_refuse(d, VIO_R_FEATURES, "features written after FEATURES_OK", v);
		return;
	}
	if (d->drv_feat_sel > 1) {
		if (v)
			vio_refuse(d, VIO_R_FEATURES, "driver features past bit 63", v);
		return;
	}
	set_half(&d->driver_features, d->drv_feat_sel == 1, v);
}

static uint32_t reg_read(struct vio_dev *d, uint64_t off)
{
	struct vio_queue *q = sel_queue(d);

	switch (off) {
	case R_MAGIC:
		return MMIO_MAGIC;
	case R_VERSION:
		return MMIO_VERSION;
	case R_DEVICE_ID:
		return d->ops->device_id;
	case R_VENDOR_ID:
		return MMIO_VENDOR;
	case R_DEV_FEATURES:
		return d->dev_feat_sel > 1 ? 0 :
					     (uint32_t)(offered_features(d) >> (32 * d->dev_feat_sel));
	case R_QUEUE_NUM_MAX:
		return q ? VIO_QUEUE_MAX : 0;
	case R_QUEUE_READY:
		return q ? q->ready : 0;
	case R_INT_STATUS:
		return d->isr;
	case R_STATUS:
		return d->status;
	case R_SHM_LEN_LO:
	case R_SHM_LEN_HI:
	case R_SHM_BASE_LO:
	case R_SHM_BASE_HI:
		return 0xffffffffu; /* no shared memory regions */
	case R_CONFIG_GEN:
		return d->config_generation;
	}
	vio_refuse(d, VIO_R_MMIO_OFFSET, "read of no readable register", off);
	return 0;
}

static void reg_write(struct vio_dev *d, uint64_t off, uint32_t v)
{
	switch (off) {
	case R_DEV_FEATURES_SEL:
		d->dev_feat_sel = v;
		return;
	case R_DRV_FEATURES:
		features_write(d, v);
		return;
	case R_DRV_FEATURES_SEL:
		d->drv_feat_sel = v;
		return;
	case R_QUEUE_SEL:
		d->queue_sel = v;
		return;
	case R_QUEUE_NUM:
	case R_QUEUE_READY:
	case R_QUEUE_DESC_LO:
	case R_QUEUE_DESC_HI:
	case R_QUEUE_DRIVER_LO:
	case R_QUEUE_DRIVER_HI:
	case R_QUEUE_DEVICE_LO:
	case R_QUEUE_DEVICE_HI:
		queue_write(d, off, v);
		return;
	case R_QUEUE_NOTIFY:
		notify(d, v);
		return;
	case R_INT_ACK:
		d->isr &= ~v;
		irq_update(d);
		return;
	case R_STATUS:
		status_write(d, v);
		return;
	case R_SHM_SEL:
	case R_QUEUE_RESET: /* VIRTIO_F_RING_RESET is not offered */
		return;
	}
	vio_refuse(d, VIO_R_MMIO_OFFSET, "write to no writable register", off);
}

/* Config space, split into accesses of at most 4 bytes. */
static void config_access(struct vio_dev *d, uint32_t off, void *data, unsigned len, bool write)
{
	uint8_t *p = data;

	for (unsigned done = 0; done < len; done += 4) {
		unsigned n = len - done < 4 ? len - done : 4;

		if (write) {
			if (d->ops->config_write)
				d->ops->config_write(d, off + done, p + done, n);
			else
				vio_refuse(d, VIO_R_CONFIG_WRITE, "config space is read-only", off);
		} else if (d->ops->config_read) {
			d->ops->config_read(d, off + done, p + done, n);
		} else {
			rt_memset(p + done, 0, n);
		}
	}
}

static bool config_ok(uint64_t off, unsigned len)
{
	return off >= R_CONFIG && (len == 1 || len == 2 || len == 4 || len == 8) &&
	       rt_range_ok(off, len, VIO_MMIO_SIZE);
}

void vio_mmio_read(struct vio_dev *d, uint64_t off, void *data, unsigned len)
{
	if (off >= R_CONFIG) {
		if (config_ok(off, len)) {
			config_access(d, (uint32_t)(off - R_CONFIG), data, len, false);
			return;
		}
	} else if (len == 4) {
		rt_put32(data, reg_read(d, off));
		return;
	}
	vio_refuse(d, VIO_R_MMIO_WIDTH, "mmio access of a bad width, ignored", off);
	if (len <= 8)
		rt_memset(data, 0, len);
}

void vio_mmio_write(struct vio_dev *d, uint64_t off, const void *data, unsigned len)
{
	uint8_t buf[8];

	if (off >= R_CONFIG) {
		if (config_ok(off, len)) {
			rt_memcpy(buf, data, len);
			config_access(d, (uint32_t)(off - R_CONFIG), buf, len, true);
			return;
		}
	} else if (len == 4) {
		reg_write(d, off, rt_le32(data));
		return;
	}
	vio_refuse(d, VIO_R_MMIO_WIDTH, "mmio access of a bad width, ignored", off);
}
