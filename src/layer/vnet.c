/* SPDX-License-Identifier: MIT */
/*
 * A layer's network bridge (a vdev, vdev.h; what the firewall uses of it:
 * vnet.h): the virtio-net device our parent lists, driven by
 * src/virtio/driver.c, is the backend of the virtio-net model
 * (src/virtio/net.c) the child finds, with our parent's MAC address and
 * the transmit offloads our parent takes (partial checksums, TSO frames),
 * none on receive. Transmit is zero copy and batched: every frame the
 * child's notify offers is posted to our parent's transmit queue as it is
 * popped, our parent is notified once per batch (the model's tx_flush, at
 * most VIO_NET_TX_BATCH frames, fewer when our parent's queue or the copy
 * arena fills first), and the child's chains are completed once our
 * parent completed the batch (the child's frame is done when its notify
 * returns). A received frame is copied once per layer, from the buffer our
 * parent filled into the child's, and the emptied buffers go back to our
 * parent with one notify per poll. A layer child is told of received
 * frames with an RP_EV_NET event, a guest with its interrupt line.
 *
 * Invariants: with a filter (vdev_hooks.frame), a frame of the child
 * crosses only as the copy the filter judged, after its virtio-net header
 * passed fw_vnet_hdr_check, and the copy is not written again before our
 * parent completed it; a frame the filter drops is completed to the child
 * without crossing; a frame of our parent reaches the child only once the
 * filter accepted it.
 */
#include "layer/vnet.h"

#include "fw/fw.h"
#include "fw/wrap.h"
#include "layer/vdev.h"
#include "lib/rt.h"

/* CSUM, HOST_TSO4, HOST_TSO6, HOST_ECN */
#define VNET_TX_OFFLOADS ((1ULL << 0) | (1ULL << 11) | (1ULL << 12) | (1ULL << 13))
#define VNET_NOTIFY 0x050 /* virtio-mmio QueueNotify */
#define VNET_RXQ 0

/*
 * The filtered frames of one batch, copied: two of the largest (TSO)
 * frames, or a whole batch of ordinary ones; a frame that does not fit
 * flushes the batch first. Bounds the memory a child's batch holds.
 */
#define VNET_TX_ARENA (2 * VDRV_NET_TX_MAX)

uint64_t vnet_hdr_refused, vnet_hdr_refused_bytes;

_Static_assert(VNET_HDR == FW_VNET_HDR_LEN, "the header fw_vnet_hdr_check reads");

static struct {
	struct vdrv_net drv;
	struct vio_net model;
	struct vio_net_backend be;
	/*
	 * With a filter: each frame of the child is copied into the arena,
	 * whole, at arena_used, before it is judged, and the copy is what is
	 * sent (the child cannot change a frame between its check and its
	 * sending); the arena is reused only after our parent completed the
	 * batch. A frame we build (a reject's reply) waits in inject for the
	 * child's next receives. Without a filter neither is used.
	 */
	uint8_t arena[VNET_TX_ARENA] __attribute__((aligned(64)));
	uint32_t arena_used;
	uint8_t inject[VNET_INJECT_QUEUE][VNET_INJECT_MAX + VNET_HDR];
	uint32_t inject_len[VNET_INJECT_QUEUE];
	unsigned inject_first, inject_n; /* the FIFO of replies for the child */
	uint8_t upward[VNET_INJECT_MAX + VNET_HDR];
	bool rx_judged; /* the frame rx_peek holds was accepted already */
} net;

/* Our parent completes the open batch; the arena is free again once it
 * holds none of it (a batch it lost keeps its copies where they are). */
static void be_tx_flush(void *ctx)
{
	(void)ctx;
	if (vdrv_net_tx_flush(&net.drv) < 0)
		vdev_note(vnet_dev.who, "net", "parent lost a batch of frames", net.drv.tx_held);
	if (!net.drv.tx_held)
		net.arena_used = 0;
}

/* Post a frame to the open batch (flushed first when full). */
static int send_parent(const struct vio_iov *iov, unsigned n)
{
	int r = vdrv_net_tx_post(&net.drv, iov, n);

	if (r == 1) {
		be_tx_flush(NULL);
		r = vdrv_net_tx_post(&net.drv, iov, n);
	}
	if (r) {
		vdev_note(vnet_dev.who, "net", "parent refused a frame of segments", n);
		return -5; /* EIO: the frame is dropped, as a full link would */
	}
	return 0;
}

static int be_tx(void *ctx, const struct vio_iov *iov, unsigned n)
{
	struct vio_iov one;
	uint64_t total = 0;
	uint32_t len = 0;
	uint8_t *copy;

	(void)ctx;
	if (!vdev_hooks.frame)
		return send_parent(iov, n);
	for (unsigned i = 0; i < n; i++)
		total += iov[i].len; /* n <= VIO_CHAIN_MAX: no wrap */
	if (total > VDRV_NET_TX_MAX)
		return 0; /* longer than any frame: dropped, as the filter would */
	if (total > VNET_TX_ARENA - net.arena_used)
		be_tx_flush(NULL); /* the batch so far crosses; the arena is free */
	if (total > VNET_TX_ARENA - net.arena_used)
		return -5; /* our parent still holds a lost batch's copies */
	copy = net.arena + net.arena_used;
	for (unsigned i = 0; i < n; i++) {
		rt_memcpy(copy + len, iov[i].base, iov[i].len);
		len += iov[i].len;
	}
	if (len < VNET_HDR)
		return 0; /* dropped: the child's frame is done, nothing crossed */
	/* The header is what our parent's host kernel acts on after the
	 * verdict (checksum and segmentation offload): it must describe this
	 * frame's own L4 checksum, or a port the filter passed is rewritten. */
	if (fw_vnet_hdr_check(copy, copy + VNET_HDR, len - VNET_HDR)) {
		vnet_hdr_refused++;
		vnet_hdr_refused_bytes += len - VNET_HDR;
		return 0;
	}
	if (!vdev_hooks.frame(copy, copy + VNET_HDR, len - VNET_HDR, true))
		return 0;
	/* The copy is held until the batch is flushed (the next starts 64-byte
	 * aligned), counted from where it lies: a flush inside the filter
	 * would have freed what lies before it, never the copy itself. */
	net.arena_used = (uint32_t)(copy - net.arena) + ((len + 63u) & ~63u);
	if (net.arena_used > VNET_TX_ARENA)
		net.arena_used = VNET_TX_ARENA;
	one = (struct vio_iov){.base = copy, .len = len};
	return send_parent(&one, 1);
}

int vnet_inject(bool to_guest, const uint8_t *frame, uint32_t len)
{
	unsigned slot = (net.inject_first + net.inject_n) % VNET_INJECT_QUEUE;
	uint8_t *buf = to_guest ? net.inject[slot] : net.upward;
	struct vio_iov iov = {.base = buf, .len = len + VNET_HDR};
	int r;

	if (len > VNET_INJECT_MAX || (to_guest && net.inject_n == VNET_INJECT_QUEUE))
		return -1; /* the queue of replies is full: this one is not sent */
	rt_memset(buf, 0, VNET_HDR);
	rt_memcpy(buf + VNET_HDR, frame, len);
	if (to_guest) {
		net.inject_len[slot] = len + VNET_HDR;
		net.inject_n++;
		return 0;
	}
	/* Crosses at once, after any batch still open (upward is reused). */
	r = send_parent(&iov, 1);
	be_tx_flush(NULL);
	return r;
}

/* The next frame for the child: a reply we built, or our parent's next
 * frame the filter accepts (those it refuses go back to our parent here). */
static int next_frame(const uint8_t **f)
{
	int len;

	if (net.inject_n) {
		*f = net.inject[net.inject_first];
		return (int)net.inject_len[net.inject_first];
	}
	for (;;) {
		len = vdrv_net_rx_peek(&net.drv, f);
		if (len <= 0 || !vdev_hooks.frame || net.rx_judged)
			return len;
		if (len >= VNET_HDR &&
		    vdev_hooks.frame(*f, *f + VNET_HDR, (uint32_t)len - VNET_HDR, false)) {
			net.rx_judged = true;
			return len;
		}
		vdrv_net_rx_done(&net.drv); /* dropped: at most VDRV_NET_RXBUFS a call */
	}
}

static int be_peek(void *ctx)
{
	const uint8_t *f;

	(void)ctx;
	return next_frame(&f);
}

static int be_rx(void *ctx, const struct vio_iov *iov, unsigned n)
{
	const uint8_t *f;
	int len = next_frame(&f);
	uint32_t done = 0;

	(void)ctx;
	if (len <= 0)
		return len;
	for (unsigned i = 0; i < n && done < (uint32_t)len; i++) {
		uint32_t take =
		    (uint32_t)len - done < iov[i].len ? (uint32_t)len - done : iov[i].len;

		rt_memcpy(iov[i].base, f + done, take);
		done += take;
	}
	if (net.inject_n && f == net.inject[net.inject_first]) {
		net.inject_first = (net.inject_first + 1) % VNET_INJECT_QUEUE;
		net.inject_n--;
		return (int)done;
	}
	net.rx_judged = false;
	vdrv_net_rx_done(&net.drv);
	return (int)done;
}

static void poll(struct vdev *v)
{
	int frames = vio_net_rx(&net.model);

	vdrv_net_rx_kick(&net.drv); /* the buffers we emptied go back to our parent */
	if (frames > 0 && v->irq < 0)
		vdev_post(RP_EV_NET);
}

/*
 * The child's receive notify: it posted buffers, frames may wait for them.
 * Any other register (a transmit notify, setup) changes nothing a poll
 * would find: no poll, no round trip to our parent.
 */
static void mmio(struct vdev *v, uint64_t off, const uint8_t *data, unsigned len, bool write)
{
	if ((write && off == VNET_NOTIFY && len == 4 && rt_le32(data) == VNET_RXQ) ||
	    net.inject_n) /* or a reply to the child's frame waits */
		poll(v);
}

static int init(struct vdev *v, const char **why)
{
	if (vdrv_net_init(&net.drv, &v->parent.host, why) < 0)
		return -1;
	/* The child may send what our parent takes: the transmit offloads we got. */
	net.be = (struct vio_net_backend){.features = net.drv.features & VNET_TX_OFFLOADS,
					  .tx = be_tx,
					  .tx_flush = be_tx_flush,
					  .rx = be_rx,
					  .peek = be_peek};
	vio_net_init(&net.model, &v->host, v->irq < 0 ? 0 : (unsigned)v->irq, net.drv.mac, &net.be);
	v->dev = &net.model.dev;
	return 0;
}

static void report(const struct vdev *v, struct line *l)
{
	uint64_t mac = 0;

	line_str(l, v->irq < 0 ? "net for the child layer, mac " : "net for the guest, mac ");
	for (unsigned i = 0; i < 6; i++)
		mac = mac << 8 | net.drv.mac[i];
	line_hex(l, mac);
}

struct vdev vnet_dev = {.name = "net",
			.id = RP_DEV_ID_NET,
			.allow = WR_DEV_NET,
			.init = init,
			.mmio = mmio,
			.poll = poll,
			.report = report};

const uint8_t *vnet_mac(void)
{
	return vnet_dev.dev ? net.drv.mac : (const uint8_t *)0;
}
