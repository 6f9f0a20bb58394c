/* SPDX-License-Identifier: MIT */
/*
 * The device model: virtio-mmio (virtio 1.x, modern only) with split
 * virtqueues, and the net, block, console and rng devices.
 *
 * Freestanding: no libc, no allocation, no threads. The caller embeds the
 * device structs, hands each device a struct vio_host (guest memory, its
 * interrupt line, a log) and a backend, and serialises all calls into one
 * device (the root holds a lock per device; a layer has one thread). The
 * same code runs in the root (backends: tap, disk file, stdio, getrandom)
 * and inside every layer (backends: the layer's own devices).
 *
 * Everything the guest writes -- registers, rings, descriptors, lengths,
 * addresses -- is hostile. A bad request is refused, logged once per device
 * and kind, and either completed with an error status or, where the spec
 * says the device cannot go on, the device is marked broken
 * (DEVICE_NEEDS_RESET) until the driver resets it. Nothing a guest does
 * makes these functions read outside guest RAM, write outside the guest RAM
 * its driver may write itself (vio_host.gpa_ptr), or loop forever.
 */
#ifndef RAMPART_VIRTIO_H
#define RAMPART_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One contiguous piece of guest memory, already translated and checked. */
struct vio_iov {
	void *base;
	uint32_t len;
};

/* What the device model needs from whoever runs it. */
struct vio_host {
	void *ctx;
	/*
	 * Host pointer for guest-physical [gpa, gpa + len), or NULL unless the
	 * whole range lies in guest RAM the driver may read, and with write,
	 * RAM it may write. Every store the device model makes (used ring,
	 * device-writable buffers, status bytes, received data) goes through a
	 * pointer asked for with write: a layer's child may point its rings at
	 * its own sealed pages, which its parent may not write either (the
	 * root would count the store as the parent's violation). len may be 0
	 * (returns a valid pointer or NULL by the same rule for gpa).
	 */
	void *(*gpa_ptr)(void *ctx, uint64_t gpa, uint64_t len, bool write);
	/* Drive the device's interrupt line (level-triggered). */
	void (*set_irq)(void *ctx, unsigned irq, int level);
	/* One refusal or event: device name, what happened, a value. */
	void (*log)(void *ctx, const char *dev, const char *what, uint64_t value);
};

/* Size of one virtio-mmio register window. */
#define VIO_MMIO_SIZE 0x200

/* Hard limits, each against an attack. */
/* Queue size the device offers: bounds every ring and descriptor index. */
#define VIO_QUEUE_MAX 256
/* A chain longer than this is a loop or an attack, refused (spec: <= qsize). */
#define VIO_CHAIN_MAX 256
#define VIO_NUM_QUEUES 2

struct vio_dev;

/* Per-device-type callbacks the transport calls (the kvmtool shape). */
struct vio_dev_ops {
	uint32_t device_id;
	unsigned num_queues;
	uint64_t (*features)(struct vio_dev *d);
	/* Device-specific config space; out-of-range reads give 0. */
	void (*config_read)(struct vio_dev *d, uint32_t off, void *data, unsigned len);
	void (*config_write)(struct vio_dev *d, uint32_t off, const void *data, unsigned len);
	/* The driver notified queue q (and the device is DRIVER_OK). */
	void (*notify)(struct vio_dev *d, unsigned q);
	/* The driver reset the device. */
	void (*reset)(struct vio_dev *d);
};

/* A split virtqueue as the driver configured it (internals: virtq.c). */
struct vio_queue {
	uint32_t num;
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t last_avail;
	uint16_t used_idx;
	uint16_t signalled_used; /* EVENT_IDX bookkeeping */
	bool signalled_valid;
};

/* The transport state common to every device. Embedded first in each. */
struct vio_dev {
	const struct vio_dev_ops *ops;
	const struct vio_host *host;
	const char *name;
	unsigned irq;
	uint32_t status;
	uint32_t isr;
	uint32_t dev_feat_sel, drv_feat_sel;
	uint64_t driver_features;
	uint32_t queue_sel;
	uint32_t config_generation;
	uint32_t logged; /* one bit per kind of refusal already logged */
	struct vio_queue q[VIO_NUM_QUEUES];
};

/* MMIO register access at offset off (< VIO_MMIO_SIZE) of the device window. */
void vio_mmio_read(struct vio_dev *d, uint64_t off, void *data, unsigned len);
void vio_mmio_write(struct vio_dev *d, uint64_t off, const void *data, unsigned len);
/* Reset d as its driver's write of 0 to the status register does (3.1.1). */
void vio_reset(struct vio_dev *d);

/* ---- net ---------------------------------------------------------------- */

/*
 * Transmit chains held between a backend's tx and its tx_flush: bounds the
 * heads kept (on the stack) for one batch; a driver that offers a full ring
 * is served in batches of this many, its budget per notify unchanged (one
 * queue's worth of chains).
 */
#define VIO_NET_TX_BATCH 32

/*
 * Frames cross the backend with the 12-byte virtio_net_hdr (virtio 1.x
 * layout, num_buffers included) in front, which is also what a tap with
 * IFF_VNET_HDR and TUNSETVNETHDRSZ 12 reads and writes: offloads pass
 * straight through.
 */
#define VIO_NET_HDR_LEN 12

struct vio_net_backend {
	void *ctx;
	/* Offload feature bits (VIRTIO_NET_F_*) the backend accepts. */
	uint64_t features;
	/* Send one frame; returns 0 or a negative error (frame dropped). */
	int (*tx)(void *ctx, const struct vio_iov *iov, unsigned n);
	/*
	 * Optional: tx may leave a frame in flight (it reads the frame's
	 * bytes, not iov itself, until this returns), and this finishes every
	 * frame tx was given. With it the device completes a transmit chain
	 * to the driver only after the tx_flush that follows it: one per
	 * batch of at most VIO_NET_TX_BATCH chains.
	 */
	void (*tx_flush)(void *ctx);
	/* Receive one frame into iov; bytes written, 0 when none waits, <0 error. */
	int (*rx)(void *ctx, const struct vio_iov *iov, unsigned n);
	/*
	 * Optional: the length of the next frame (header included), 0 when none
	 * waits. With it the device takes just the receive buffers that frame
	 * needs; without it, enough for the largest frame, giving back the rest.
	 */
	int (*peek)(void *ctx);
	/* The guest posted receive buffers after vio_net_rx ran out of them. */
	void (*rx_wanted)(void *ctx);
};

struct vio_net {
	struct vio_dev dev;
	const struct vio_net_backend *be;
	uint8_t mac[6];
	bool rx_starved;
};

void vio_net_init(struct vio_net *n, const struct vio_host *h, unsigned irq, const uint8_t mac[6],
		  const struct vio_net_backend *be);
/*
 * Pull frames from the backend into the guest's receive buffers until the
 * backend has none or the buffers run out. Returns the number of frames
 * delivered; n->rx_starved is then true when it stopped for lack of
 * buffers (be->rx_wanted is called once the guest posts more).
 */
int vio_net_rx(struct vio_net *n);

/* ---- block -------------------------------------------------------------- */

#define VIO_BLK_SECTOR 512
#define VIO_BLK_ID_LEN 20

struct vio_blk_backend {
	void *ctx;
	uint64_t capacity; /* in 512-byte sectors */
	bool read_only;
	char serial[VIO_BLK_ID_LEN]; /* returned by GET_ID, not NUL-terminated when full */
	/* Byte offset, already checked against capacity. 0 or negative error. */
	int (*read)(void *ctx, uint64_t off, const struct vio_iov *iov, unsigned n);
	int (*write)(void *ctx, uint64_t off, const struct vio_iov *iov, unsigned n);
	/* Make every completed write durable (fdatasync). */
	int (*flush)(void *ctx);
	/*
	 * Optional: with it, read, write and flush may leave their request in
	 * flight (reading or writing iov, not the array itself, until this
	 * returns): 0 then says queued, a negative error failed at once (and
	 * not queued). finish completes the n requests queued since the last
	 * call, in the order queued, each one's result (0 or a negative error)
	 * in res[]. The device calls it for at most VIO_BLK_BATCH requests,
	 * before it completes their chains to the driver, and before it hands
	 * on a flush (a flush follows every write the driver offered before
	 * it).
	 */
	void (*finish)(void *ctx, int *res, unsigned n);
};

/*
 * Block chains held between the backend's first read, write or flush of a
 * batch and its finish: bounds the chains kept (on the stack) for one
 * batch; a driver that offers a full ring is served in batches of this
 * many, its budget per notify unchanged (one queue's worth of chains).
 */
#define VIO_BLK_BATCH 32

struct vio_blk {
	struct vio_dev dev;
	const struct vio_blk_backend *be;
};

void vio_blk_init(struct vio_blk *b, const struct vio_host *h, unsigned irq,
		  const struct vio_blk_backend *be);

/* ---- console ------------------------------------------------------------ */

struct vio_console_backend {
	void *ctx;
	/* Output from the guest. */
	void (*write)(void *ctx, const void *data, size_t len);
};

/*
 * Bytes one transmit notify writes to the backend, at most. Descriptors may
 * alias: a queue of VIO_QUEUE_MAX chains of VIO_CHAIN_MAX descriptors, each
 * over all of guest RAM, would make one notify write |RAM| x 65536 bytes to
 * the host's stdout. Past it the rest of the notify's output is dropped
 * (every chain is still completed: a driver that waits for its buffer, as
 * Linux's hvc does, must not hang).
 */
#define VIO_CONSOLE_TX_BUDGET (64u << 10)

struct vio_console {
	struct vio_dev dev;
	const struct vio_console_backend *be;
};

void vio_console_init(struct vio_console *c, const struct vio_host *h, unsigned irq,
		      const struct vio_console_backend *be);
/* Input for the guest; returns the bytes taken (0 when it has no buffer). */
size_t vio_console_input(struct vio_console *c, const void *data, size_t len);

/* ---- rng ---------------------------------------------------------------- */

struct vio_rng_backend {
	void *ctx;
	/* Fill buf; returns bytes written (may be short), <0 on error. */
	int (*fill)(void *ctx, void *buf, size_t len);
};

struct vio_rng {
	struct vio_dev dev;
	const struct vio_rng_backend *be;
};

void vio_rng_init(struct vio_rng *r, const struct vio_host *h, unsigned irq,
		  const struct vio_rng_backend *be);

#endif
