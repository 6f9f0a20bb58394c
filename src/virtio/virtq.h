/* SPDX-License-Identifier: MIT */
/*
 * Internals of the device model shared by the transport (mmio.c), the split
 * virtqueue (virtq.c) and the devices. Not part of the public interface.
 *
 * Invariants virtq.c keeps for everything above it:
 *  - every iov it hands out lies wholly in guest RAM (host->gpa_ptr said
 *    so for the exact range), has len > 0, and the lengths of one chain's
 *    readable part and writable part each sum to at most UINT32_MAX;
 *  - every writable iov, and every used-ring field it stores, was asked of
 *    host->gpa_ptr with write: the driver may write it itself. So a device
 *    that stores only into writable iovs never writes where its driver may
 *    only read (a layer child's sealed pages);
 *  - readable iovs come first (iov[0 .. n_out)), writable ones after;
 *  - a chain has at most VIO_CHAIN_MAX iovs and at most one indirect table;
 *  - no function loops more than VIO_CHAIN_MAX times per chain, and the
 *    devices take at most one queue's worth of chains per notify.
 */
#ifndef RAMPART_VIRTIO_VIRTQ_H
#define RAMPART_VIRTIO_VIRTQ_H

#include "virtio/virtio.h"

/* ---- spec constants --------------------------------------------------- */

#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 0x40u
#define VIRTIO_STATUS_FAILED 0x80u

#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

#define VIO_ISR_USED 1u
#define VIO_ISR_CONFIG 2u

#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_DESC_SIZE 16u

#define VIO_BIT(n) (1ull << (n))

/* ---- kinds of refusal, one bit each in vio_dev.logged ------------------- */

enum vio_refusal {
	VIO_R_MMIO_WIDTH,	/* register access not 4 bytes wide */
	VIO_R_MMIO_OFFSET,	/* no such register */
	VIO_R_QUEUE_NUM,	/* queue size 0, not a power of two, or too big */
	VIO_R_QUEUE_CFG,	/* queue registers written while ready / no such queue */
	VIO_R_FEATURES,		/* FEATURES_OK refused */
	VIO_R_STATUS,		/* illegal status transition */
	VIO_R_NOTIFY,		/* notify before DRIVER_OK, bad or unready queue */
	VIO_R_RING_ADDR,	/* ring outside RAM or misaligned: broken */
	VIO_R_AVAIL_IDX,	/* avail idx moved by more than the queue size: broken */
	VIO_R_HEAD,		/* head index from the avail ring >= num: broken */
	VIO_R_DESC_INDEX,	/* next index >= table size */
	VIO_R_CHAIN_LONG,	/* more than VIO_CHAIN_MAX descriptors, or a loop */
	VIO_R_INDIRECT_FEAT,	/* indirect without VIRTIO_F_INDIRECT_DESC */
	VIO_R_INDIRECT_NESTED,	/* indirect inside an indirect table */
	VIO_R_INDIRECT_LEN,	/* table length 0, not a multiple of 16, too big */
	VIO_R_INDIRECT_FLAGS,	/* INDIRECT with NEXT, or not as the head */
	VIO_R_DESC_ZERO,	/* zero-length descriptor */
	VIO_R_DESC_RAM,		/* buffer outside guest RAM */
	VIO_R_DESC_RO,		/* device-writable buffer in memory the driver may not write */
	VIO_R_DESC_WRAP,	/* addr + len wraps past 2^64 */
	VIO_R_LEN_OVERFLOW,	/* chain length sum past UINT32_MAX */
	VIO_R_RW_ORDER,		/* readable descriptor after a writable one */
	VIO_R_REQ_FORMAT,	/* device request malformed (short header, no status) */
	VIO_R_REQ_RANGE,	/* request outside the device (blk sectors) */
	VIO_R_REQ_RO,		/* write to a read-only device */
	VIO_R_REQ_UNSUPP,	/* unknown request type */
	VIO_R_BACKEND,		/* the backend failed */
	VIO_R_CONFIG_WRITE,	/* write to read-only config space */
	VIO_R_BUDGET,		/* more than a device's budget for one notify: cut */
};

/* ---- transport services for queues and devices (mmio.c) ------------------ */

void vio_dev_init(struct vio_dev *d, const struct vio_dev_ops *ops, const struct vio_host *h,
		  const char *name, unsigned irq);
/* Log `what` once per device and kind. */
void vio_refuse(struct vio_dev *d, enum vio_refusal kind, const char *what, uint64_t value);
/* The ring is corrupt: DEVICE_NEEDS_RESET and a config interrupt. */
void vio_broken(struct vio_dev *d, enum vio_refusal kind, const char *what, uint64_t value);
void vio_raise(struct vio_dev *d, uint32_t isr_bits);
bool vio_has_feature(const struct vio_dev *d, unsigned bit);
/* DRIVER_OK, not broken: the device may touch its queues. */
bool vio_live(const struct vio_dev *d);
/* Copy [off, off + len) of a device's config struct; bytes past it read 0. */
void vio_config_copy(const void *cfg, size_t cfg_len, uint32_t off, void *data, unsigned len);

/* ---- split virtqueue (virtq.c) ------------------------------------------ */

/* One popped chain; its iovs live in the array the caller gave virtq_pop. */
struct virtq_chain {
	uint16_t head;
	unsigned n_out, n_in;	/* iov[0..n_out) readable, then n_in writable */
	uint32_t out_len, in_len;
	struct vio_iov *iov;
};

enum virtq_pop_result {
	VQ_BROKEN = -2,	/* ring corrupt: device now needs reset, stop */
	VQ_BAD = -1,	/* chain refused (logged); complete c->head with an error */
	VQ_EMPTY = 0,
	VQ_OK = 1,
};

/*
 * Take the next available chain of queue qi into iov[0 .. max), max <=
 * VIO_CHAIN_MAX. On VQ_BAD the iovs checked before the refusal are in c.
 */
enum virtq_pop_result virtq_pop(struct vio_dev *d, unsigned qi, struct vio_iov *iov,
				unsigned max, struct virtq_chain *c);
/* Give back the last n popped chains, unused (mergeable rx). */
void virtq_unpop(struct vio_dev *d, unsigned qi, unsigned n);
/*
 * A device stops after one queue's worth of chains per notify. With
 * EVENT_IDX, ask the driver to notify on its very next buffer, so what is
 * left is not stranded waiting for a notify that would never come.
 */
void virtq_budget_spent(struct vio_dev *d, unsigned qi);
/* Complete chain head with len bytes written to the guest. */
void virtq_push(struct vio_dev *d, unsigned qi, uint16_t head, uint32_t len);
/* Raise the used-buffer interrupt if the driver wants one (EVENT_IDX aware). */
void virtq_signal(struct vio_dev *d, unsigned qi);

/* ---- iov helpers --------------------------------------------------------- */

/* Copy into / out of the iovs from byte off; return bytes copied. */
size_t vio_iov_to(const struct vio_iov *iov, unsigned n, size_t off, const void *src, size_t len);
size_t vio_iov_from(const struct vio_iov *iov, unsigned n, size_t off, void *dst, size_t len);
/* dst := the iovs covering [off, off + len) of src; returns their count. */
unsigned vio_iov_slice(const struct vio_iov *src, unsigned n, size_t off, size_t len,
		       struct vio_iov *dst, unsigned max);

#endif
