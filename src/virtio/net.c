/* SPDX-License-Identifier: MIT */
/*
 * virtio-net (device id 1): queue 0 receive, queue 1 transmit, one pair.
 *
 * Frames cross the backend with the 12-byte virtio_net_hdr in front, as a
 * tap with IFF_VNET_HDR uses them, so offloads pass through untouched; the
 * backend below (the host kernel, or the parent layer's device) checks the
 * header, not us.
 */
#include "lib/rt.h"
#include "virtio/virtq.h"

#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16

#define VIRTIO_NET_S_LINK_UP 1

#define NET_RXQ 0
#define NET_TXQ 1

/* Offloads a backend may pass through; anything else it asks for is dropped. */
#define NET_OFFLOADS                                                                          \
	(VIO_BIT(VIRTIO_NET_F_CSUM) | VIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |                      \
	 VIO_BIT(VIRTIO_NET_F_GUEST_TSO4) | VIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |                \
	 VIO_BIT(VIRTIO_NET_F_GUEST_ECN) | VIO_BIT(VIRTIO_NET_F_GUEST_UFO) |                  \
	 VIO_BIT(VIRTIO_NET_F_HOST_TSO4) | VIO_BIT(VIRTIO_NET_F_HOST_TSO6) |                  \
	 VIO_BIT(VIRTIO_NET_F_HOST_ECN) | VIO_BIT(VIRTIO_NET_F_HOST_UFO))

/* Biggest frame a backend hands us: 64 KiB GSO frame + Ethernet header + vnet header. */
#define NET_RX_MAX (65550 + VIO_NET_HDR_LEN)
/* Without guest GSO a frame is at most a jumbo Ethernet frame + header. */
#define NET_RX_NOGSO (9018 + VIO_NET_HDR_LEN)
/*
 * When the ring runs dry before NET_RX_MAX (or NET_RX_NOGSO) bytes are
 * gathered, go on with what there is if a standard frame fits: waiting for
 * more could wait forever (the guest may have posted all it ever will); a
 * bigger frame is then cut short by the backend, as a tap read would. Linux
 * keeps at least half its ring posted, far more than 64 KiB.
 */
#define NET_RX_MIN (1518 + VIO_NET_HDR_LEN)
/* num_buffers sits at this offset of the header. */
#define NET_HDR_NUM_BUFFERS 10
/* Chains one vio_net_rx call may take, refused ones included: bounds its loop. */
#define NET_RX_CHAINS_PER_CALL (4 * VIO_QUEUE_MAX)

#define NET_GUEST_GSO                                                                         \
	(VIO_BIT(VIRTIO_NET_F_GUEST_TSO4) | VIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |                \
	 VIO_BIT(VIRTIO_NET_F_GUEST_UFO))

static struct vio_net *to_net(struct vio_dev *d)
{
	return (struct vio_net *)d;
}

static uint64_t net_features(struct vio_dev *d)
{
	return VIO_BIT(VIRTIO_NET_F_MAC) | VIO_BIT(VIRTIO_NET_F_MRG_RXBUF) |
	       VIO_BIT(VIRTIO_NET_F_STATUS) | (to_net(d)->be->features & NET_OFFLOADS);
}

static void net_config_read(struct vio_dev *d, uint32_t off, void *data, unsigned len)
{
	struct vio_net *n = to_net(d);
	uint8_t cfg[10]; /* mac[6], status, max_virtqueue_pairs */

	rt_memcpy(cfg, n->mac, 6);
	rt_put16(cfg + 6, VIRTIO_NET_S_LINK_UP);
	rt_put16(cfg + 8, 1);
	vio_config_copy(cfg, sizeof(cfg), off, data, len);
}

/* The backend finishes the batch, then its chains go back to the driver. */
static void tx_complete(struct vio_net *n, const uint16_t *held, unsigned nheld)
{
	if (n->be->tx_flush)
		n->be->tx_flush(n->be->ctx);
	for (unsigned i = 0; i < nheld; i++)
		virtq_push(&n->dev, NET_TXQ, held[i], 0);
}

/*
 * Every chain the driver offers, up to one queue's worth per notify: each
 * frame to the backend as it is popped, the chains completed in batches of
 * VIO_NET_TX_BATCH after the backend's tx_flush (with none, one at a time),
 * one signal for all.
 */
static void net_tx(struct vio_net *n)
{
	struct vio_dev *d = &n->dev;
	struct vio_iov iov[VIO_CHAIN_MAX];
	struct virtq_chain c;
	uint16_t held[VIO_NET_TX_BATCH];
	unsigned nheld = 0, batch = n->be->tx_flush ? VIO_NET_TX_BATCH : 1;
	bool pushed = false;

	for (uint32_t i = 0;; i++) {
		enum virtq_pop_result r;

		if (i == d->q[NET_TXQ].num) {
			virtq_budget_spent(d, NET_TXQ);
			break;
		}
		r = virtq_pop(d, NET_TXQ, iov, VIO_CHAIN_MAX, &c);
		if (r == VQ_EMPTY || r == VQ_BROKEN)
			break;
		if (r == VQ_OK && c.out_len < VIO_NET_HDR_LEN)
			vio_refuse(d, VIO_R_REQ_FORMAT, "tx chain shorter than the net header",
				   c.out_len);
		else if (r == VQ_OK && n->be->tx(n->be->ctx, c.iov, c.n_out) < 0)
			vio_refuse(d, VIO_R_BACKEND, "tx backend dropped a frame", c.out_len);
		held[nheld++] = c.head;
		if (nheld == batch) {
			tx_complete(n, held, nheld);
			nheld = 0;
			pushed = true;
		}
	}
	if (nheld) {
		tx_complete(n, held, nheld);
		pushed = true;
	}
	if (pushed)
		virtq_signal(d, NET_TXQ);
}

static void net_notify(struct vio_dev *d, unsigned q)
{
	struct vio_net *n = to_net(d);

	if (q == NET_TXQ) {
		net_tx(n);
		return;
	}
	if (n->rx_starved) {
		n->rx_starved = false;
		if (n->be->rx_wanted)
			n->be->rx_wanted(n->be->ctx);
	}
}

static void net_reset(struct vio_dev *d)
{
	to_net(d)->rx_starved = true; /* no buffers until the driver posts and notifies */
}

static const struct vio_dev_ops net_ops = {
	.device_id = 1,
	.num_queues = 2,
	.features = net_features,
	.config_read = net_config_read,
	.notify = net_notify,
	.reset = net_reset,
};

void vio_net_init(struct vio_net *n, const struct vio_host *h, unsigned irq, const uint8_t mac[6],
		  const struct vio_net_backend *be)
{
	rt_memset(n, 0, sizeof(*n));
	vio_dev_init(&n->dev, &net_ops, h, "virtio-net", irq);
	n->be = be;
	rt_memcpy(n->mac, mac, 6);
}

/* Receive buffers gathered for one frame. */
struct rx_set {
	struct vio_iov iov[VIO_CHAIN_MAX];
	unsigned niov;
	unsigned nchains;
	uint16_t head[VIO_CHAIN_MAX];
	uint32_t len[VIO_CHAIN_MAX];
	uint64_t total;
	unsigned budget; /* chains this vio_net_rx call may still take */
};

enum gather_result { G_OK, G_EMPTY, G_BROKEN };

/*
 * Pop receive chains until one frame of any size fits (one chain without
 * MRG_RXBUF). A refused chain is completed at once when it comes first, and
 * otherwise given back so that the chains taken stay contiguous for unpop.
 */
static enum gather_result rx_gather(struct vio_net *n, struct rx_set *s, uint64_t need)
{
	struct vio_dev *d = &n->dev;
	bool mrg = vio_has_feature(d, VIRTIO_NET_F_MRG_RXBUF);
	struct virtq_chain c;

	s->niov = s->nchains = 0;
	s->total = 0;
	while (s->budget && s->niov < VIO_CHAIN_MAX) {
		enum virtq_pop_result r =
			virtq_pop(d, NET_RXQ, s->iov + s->niov, VIO_CHAIN_MAX - s->niov, &c);

		if (r == VQ_BROKEN)
			return G_BROKEN;
		/* Out of buffers: a frame of known length waits for more;
		 * otherwise what was gathered takes any ordinary frame. */
		if (r == VQ_EMPTY)
			return s->total >= (n->be->peek ? need : NET_RX_MIN) ? G_OK : G_EMPTY;
		s->budget--;
		if (r == VQ_OK && c.n_out) {
			vio_refuse(d, VIO_R_REQ_FORMAT, "rx chain with device-readable buffers",
				   c.n_out);
			r = VQ_BAD;
		}
		if (r == VQ_BAD) {
			if (s->nchains) {
				virtq_unpop(d, NET_RXQ, 1);
				return G_OK;
			}
			virtq_push(d, NET_RXQ, c.head, 0);
			continue;
		}
		s->head[s->nchains] = c.head;
		s->len[s->nchains] = c.in_len;
		s->nchains++;
		s->niov += c.n_in;
		s->total += c.in_len;
		/* Enough for any frame, or all the ring can give. */
		if (!mrg || s->total >= need || s->nchains >= d->q[NET_RXQ].num)
			return G_OK;
	}
	return s->nchains ? G_OK : G_EMPTY;
}

/*
 * The frame took `bytes` of the gathered buffers: complete the chains it
 * used, tell the driver how many (num_buffers, always set in virtio 1.x),
 * and give back the rest.
 */
static void rx_finish(struct vio_net *n, struct rx_set *s, uint32_t bytes)
{
	struct vio_dev *d = &n->dev;
	unsigned used = 0;
	uint8_t nb[2];

	while (used < s->nchains && (used == 0 || bytes > 0)) {
		uint32_t take = bytes < s->len[used] ? bytes : s->len[used];

		bytes -= take;
		used++;
	}
	rt_put16(nb, (uint16_t)used);
	vio_iov_to(s->iov, s->niov, NET_HDR_NUM_BUFFERS, nb, 2);
	virtq_unpop(d, NET_RXQ, s->nchains - used);
	s->budget += s->nchains - used;
	s->nchains = used;
}

static void rx_push(struct vio_net *n, struct rx_set *s, uint32_t bytes)
{
	for (unsigned i = 0; i < s->nchains; i++) {
		uint32_t take = bytes < s->len[i] ? bytes : s->len[i];

		virtq_push(&n->dev, NET_RXQ, s->head[i], take);
		bytes -= take;
	}
}

int vio_net_rx(struct vio_net *n)
{
	struct vio_dev *d = &n->dev;
	struct rx_set s;
	int frames = 0;
	uint16_t used;

	/* No driver yet, or no receive queue: starved until its first notify. */
	n->rx_starved = !vio_live(d) || !d->q[NET_RXQ].ready;
	if (n->rx_starved)
		return 0;
	used = d->q[NET_RXQ].used_idx;
	s.budget = NET_RX_CHAINS_PER_CALL;
	for (;;) {
		uint64_t need = (d->driver_features & NET_GUEST_GSO) ? NET_RX_MAX : NET_RX_NOGSO;
		enum gather_result g;
		int r;

		if (n->be->peek) {
			r = n->be->peek(n->be->ctx);
			if (r <= 0)
				break; /* nothing waits (or the backend failed: it logs) */
			need = (uint64_t)r;
		}
		g = rx_gather(n, &s, need);

		if (g != G_OK) {
			virtq_unpop(d, NET_RXQ, s.nchains);
			if (g == G_EMPTY && s.budget)
				n->rx_starved = true;
			break;
		}
		r = n->be->rx(n->be->ctx, s.iov, s.niov);
		if (r < VIO_NET_HDR_LEN) {
			if (r != 0)
				vio_refuse(d, VIO_R_BACKEND, "rx backend failed", (uint64_t)(int64_t)r);
			virtq_unpop(d, NET_RXQ, s.nchains);
			break;
		}
		if ((uint64_t)r > s.total)
			r = (int)s.total;
		rx_finish(n, &s, (uint32_t)r);
		rx_push(n, &s, (uint32_t)r);
		frames++;
	}
	/* Nothing completed (no frame, no refused chain): nothing to signal. */
	if (d->q[NET_RXQ].used_idx != used)
		virtq_signal(d, NET_RXQ);
	return frames;
}
