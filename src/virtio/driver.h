/* SPDX-License-Identifier: MIT */
/*
 * The other side of the device model: a minimal virtio-mmio (1.x, split
 * queue) driver, so that a layer can use the device its parent gives it as
 * the backend of the device it gives its child. Freestanding and
 * synchronous: one rng request in flight, or one batch of block
 * requests or of transmitted frames, and the parent completes it before
 * the notify that announced it returns (the root and every layer handle a child's MMIO
 * exit to the end before resuming it); the driver still polls the used
 * ring, with a bound, and never trusts what the device wrote there. It
 * polls, so it takes no interrupts (EVENT_IDX or NO_INTERRUPT) and never
 * touches InterruptStatus or InterruptACK, and it notifies only when the
 * device asks to be (EVENT_IDX's avail_event, or no NO_NOTIFY).
 */
#ifndef RAMPART_DRIVER_H
#define RAMPART_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtio.h"

#define VDRV_QUEUE_SIZE 64 /* descriptors: one request of up to 62 segments */
#define VDRV_SPINS 1000000 /* used-ring polls before a request is declared lost */

/* How the driver reaches its device and its own memory. */
struct vdrv_host {
	void *ctx;
	/* 32-bit access to the device's register window at offset off. */
	uint32_t (*mmio_read)(void *ctx, uint64_t off);
	void (*mmio_write)(void *ctx, uint64_t off, uint32_t val);
	/* The address the device sees for a pointer into the driver's memory. */
	uint64_t (*to_gpa)(void *ctx, const void *p);
};

/* The split queue, in the driver's memory (alignment as the spec asks). */
struct vdrv_queue {
	struct {
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
	} desc[VDRV_QUEUE_SIZE] __attribute__((aligned(16)));
	struct {
		uint16_t flags, idx, ring[VDRV_QUEUE_SIZE], used_event;
	} avail __attribute__((aligned(2)));
	struct {
		uint16_t flags, idx;
		struct {
			uint32_t id, len;
		} ring[VDRV_QUEUE_SIZE];
		uint16_t avail_event;
	} used __attribute__((aligned(4)));
	uint16_t last_used;
	uint16_t kicked; /* avail idx at the last notify decision */
};

/* What every driver shares: its device and its queue 0. */
struct vdrv_dev {
	const struct vdrv_host *host;
	bool event_idx;    /* VIRTIO_F_EVENT_IDX negotiated */
	uint64_t notifies; /* QueueNotify writes made (each an exit) */
	struct vdrv_queue q;
};

/*
 * virtio-blk requests go in batches: each is posted (vdrv_blk_post,
 * vdrv_blk_post_flush) to the open batch without a notify, and
 * vdrv_blk_run notifies once for all of them, if the device asks for it,
 * and reaps every completion; each request's status is then in st[] at the
 * index its post gave. A request takes a header and a status descriptor
 * besides its data segments (a flush, none): at most VDRV_BLK_BATCH.
 */
#define VDRV_BLK_BATCH (VDRV_QUEUE_SIZE / 2)
#define VDRV_BLK_S_OK 0
#define VDRV_BLK_S_IOERR 1
#define VDRV_BLK_S_NONE 0xff /* b->status: the request never reached the device */

struct vdrv_blk {
	struct vdrv_dev d;
	uint64_t capacity; /* sectors */
	bool read_only;
	/* each request's header and status byte, in the driver's memory */
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr[VDRV_BLK_BATCH];
	uint8_t dev_st[VDRV_BLK_BATCH]; /* what the device writes */
	/* Each request's status once vdrv_blk_run returned: the device's,
	 * VDRV_BLK_S_IOERR for every request of a batch it lost or confused. */
	uint8_t st[VDRV_BLK_BATCH];
	uint8_t status; /* the status of the last vdrv_blk_rw or vdrv_blk_flush */
	/* Descriptors next.. are free in the open batch, which holds nreq
	 * requests; the device holds `held` chains, those whose heads are
	 * marked (head_req: the request's index + 1; head_max: the bytes the
	 * chain lets the device write, the most its used length may say). */
	uint16_t next;
	unsigned nreq, held;
	uint8_t head_req[VDRV_QUEUE_SIZE];
	uint32_t head_max[VDRV_QUEUE_SIZE];
};

/* Probe (magic, version 2, device id 2), negotiate VERSION_1 (+ RO, FLUSH),
 * set up queue 0. 0, or -1 with *why. */
int vdrv_blk_init(struct vdrv_blk *b, const struct vdrv_host *h, const char **why);
/*
 * Post a read or write of whole sectors at byte offset off into/from iov
 * (at most VDRV_QUEUE_SIZE - 2 segments) to the open batch, unnotified: 0
 * with *idx its index in st[], 1 when the batch has no room for it (run
 * it, then post again), or -1 (a bad request, or a batch the device never
 * gave back still held). Its buffers must stay until vdrv_blk_run returns.
 */
int vdrv_blk_post(struct vdrv_blk *b, bool write, uint64_t off, const struct vio_iov *iov,
		  unsigned n, unsigned *idx);
/* Post a flush, as vdrv_blk_post. The device may complete it before the
 * writes posted with it: a flush that must follow writes goes in a later
 * batch than theirs. */
int vdrv_blk_post_flush(struct vdrv_blk *b, unsigned *idx);
/*
 * Notify the device of the open batch (if it asks to be) and wait for all
 * of it: 0 when the device completed every request (each one's status in
 * st[]), or -1 (lost, or a used ring naming a chain not posted, once, or a
 * length past what the chain lets it write), every request of the batch
 * then VDRV_BLK_S_IOERR. 0 when nothing was posted.
 */
int vdrv_blk_run(struct vdrv_blk *b);
/* One request, posted (after any open batch) and run: 0 when its status is
 * OK, -1 otherwise (b->status says which). */
int vdrv_blk_rw(struct vdrv_blk *b, bool write, uint64_t off, const struct vio_iov *iov,
		unsigned n);
int vdrv_blk_flush(struct vdrv_blk *b);

/* virtio-rng (device id 4): one queue of buffers the device fills. */
struct vdrv_rng {
	struct vdrv_dev d;
};

/* Probe (device id 4), negotiate VERSION_1, set up queue 0. 0, or -1 with *why. */
int vdrv_rng_init(struct vdrv_rng *r, const struct vdrv_host *h, const char **why);
/* Fill buf (1 .. INT32_MAX bytes) from the device: the bytes it wrote
 * (its used length, checked <= len; may be short, even 0), or -1. */
int vdrv_rng_fill(struct vdrv_rng *r, void *buf, uint32_t len);

/*
 * virtio-net (device id 1): queue 0 receive, queue 1 transmit; transmit
 * offloads (CSUM, HOST_TSO4/6, HOST_ECN) when the device offers them, none
 * on receive.
 * VDRV_NET_RXBUFS buffers of VDRV_NET_BUF bytes stay posted to the device,
 * which fills them as frames arrive; the driver takes them in order
 * (vdrv_net_rx_peek, vdrv_net_rx_done) and posts each back, notifying once
 * per refill (vdrv_net_rx_kick). Transmit goes in batches: frames are
 * posted (vdrv_net_tx_post) without a notify, and vdrv_net_tx_flush
 * notifies once for all of them, if the device asks for it, and reaps
 * every completion; vdrv_net_tx is one frame posted and flushed. Frames
 * carry the 12-byte virtio-net header.
 */
#define VDRV_NET_RXBUFS 32
#define VDRV_NET_BUF 2048 /* header + a 1514-byte frame, with room */
#define VDRV_NET_TX_MAX (12 + 65550) /* header + the largest (TSO) frame we pass */

struct vdrv_net {
	struct vdrv_dev d; /* queue 0: receive */
	struct vdrv_queue txq;
	uint8_t mac[6];
	uint64_t features; /* negotiated (VIRTIO_F_VERSION_1, MAC, the transmit offloads) */
	bool rx_unkicked; /* buffers posted since the last receive notify */
	/* Transmit: descriptors tx_next.. are free in the open batch; the
	 * device holds tx_held chains, those whose heads are marked. */
	uint16_t tx_next;
	unsigned tx_held;
	bool tx_head[VDRV_QUEUE_SIZE];
	bool posted[VDRV_NET_RXBUFS];
	uint16_t ready[VDRV_NET_RXBUFS]; /* FIFO of filled buffers, from first */
	uint32_t ready_len[VDRV_NET_RXBUFS];
	unsigned first, nready;
	uint64_t bad; /* used-ring entries that named no buffer of ours, or a bad length */
	uint8_t rxbuf[VDRV_NET_RXBUFS][VDRV_NET_BUF] __attribute__((aligned(64)));
};

/* Probe (device id 1), negotiate VERSION_1 + MAC (+ the transmit offloads
 * offered), set up both queues, post every receive buffer. 0, or -1 with *why. */
int vdrv_net_init(struct vdrv_net *n, const struct vdrv_host *h, const char **why);
/* Send one frame (header first) from iov: 0 once the device took it, or -1.
 * A batch still open is flushed with it. */
int vdrv_net_tx(struct vdrv_net *n, const struct vio_iov *iov, unsigned cnt);
/*
 * Post one frame (header first) to the open batch, unnotified: 0, 1 when
 * the queue has no room for its segments (flush, then post again), or -1
 * (a bad frame, or a batch the device never completed still held). Its
 * bytes must stay as they are until the flush returns.
 */
int vdrv_net_tx_post(struct vdrv_net *n, const struct vio_iov *iov, unsigned cnt);
/* Notify the device of the posted frames (if it asks to be) and wait for
 * all of them: 0, or -1 (lost, or a used ring naming no chain we posted). */
int vdrv_net_tx_flush(struct vdrv_net *n);
/* The next received frame (header first): its length with *frame set, 0 when
 * none, -1 on a bad call. It stays ours until vdrv_net_rx_done. */
int vdrv_net_rx_peek(struct vdrv_net *n, const uint8_t **frame);
/* Done with the frame rx_peek gave: its buffer goes back to the device. */
void vdrv_net_rx_done(struct vdrv_net *n);
/* Notify the device of buffers given back since the last call, if any. */
void vdrv_net_rx_kick(struct vdrv_net *n);

#endif
