/* SPDX-License-Identifier: MIT */
/*
 * Minimal virtio-mmio (version 2) drivers on one common part (probe,
 * feature negotiation, queue 0, one split queue of VDRV_QUEUE_SIZE
 * descriptors, polled completion): virtio-rng, one request in flight;
 * virtio-blk, a batch of requests per notify (as many as its descriptors
 * take); and virtio-net, whose transmit queue holds a batch of frames per
 * notify and whose receive buffers go back in batches, one notify each.
 *
 * Every register access is an exit, and below the top of a stack a round
 * trip through every layer under it, so the driver makes only the ones it
 * needs: it polls, so it asks for no interrupt (VIRTIO_F_EVENT_IDX with
 * used_event kept behind what it consumed, or VIRTQ_AVAIL_F_NO_INTERRUPT
 * without it) and never reads InterruptStatus nor writes InterruptACK; it
 * notifies only when the device asks for it (avail_event with EVENT_IDX,
 * VIRTQ_USED_F_NO_NOTIFY without).
 *
 * The device is not trusted: what it writes to the used ring is checked
 * (for one request, index steps by exactly one, the element names our
 * head; for a batch, never more completions than chains held, each naming
 * a head it holds, once, and for a block request a used length no longer
 * than the chain lets the device write) and a request it never completes
 * fails after a bounded number of polls; a batch it never completed (or
 * completed confusedly) fails whole and keeps its descriptors, and nothing
 * is posted over them. A block request's status is the byte the device
 * wrote, read once after the whole batch came back.
 */
#include "lib/rt.h"
#include "virtio/driver.h"

/* virtio-mmio registers (virtio 1.2, 4.2.2) */
enum {
	D_MAGIC = 0x000,
	D_VERSION = 0x004,
	D_DEVICE_ID = 0x008,
	D_DEV_FEATURES = 0x010,
	D_DEV_FEATURES_SEL = 0x014,
	D_DRV_FEATURES = 0x020,
	D_DRV_FEATURES_SEL = 0x024,
	D_QUEUE_SEL = 0x030,
	D_QUEUE_NUM_MAX = 0x034,
	D_QUEUE_NUM = 0x038,
	D_QUEUE_READY = 0x044,
	D_QUEUE_NOTIFY = 0x050,
	D_INT_STATUS = 0x060,
	D_INT_ACK = 0x064,
	D_STATUS = 0x070,
	D_QUEUE_DESC_LO = 0x080,
	D_QUEUE_DESC_HI = 0x084,
	D_QUEUE_DRIVER_LO = 0x090,
	D_QUEUE_DRIVER_HI = 0x094,
	D_QUEUE_DEVICE_LO = 0x0a0,
	D_QUEUE_DEVICE_HI = 0x0a4,
	D_CONFIG = 0x100,
};

#define D_MAGIC_VALUE 0x74726976u /* "virt" */
#define D_VERSION_MODERN 2u
#define D_DEVICE_BLK 2u
#define D_DEVICE_RNG 4u
#define D_DEVICE_NET 1u

#define D_S_ACKNOWLEDGE 1u
#define D_S_DRIVER 2u
#define D_S_DRIVER_OK 4u
#define D_S_FEATURES_OK 8u
#define D_S_NEEDS_RESET 0x40u
#define D_S_FAILED 0x80u

#define D_F_BLK_RO 5
#define D_F_BLK_FLUSH 9
#define D_F_NET_MAC 5
#define D_F_NET_CSUM 0
#define D_F_NET_HOST_TSO4 11
#define D_F_NET_HOST_TSO6 12
#define D_F_NET_HOST_ECN 13
#define D_F_EVENT_IDX 29
#define D_F_VERSION_1 32
#define D_BIT(n) (1ull << (n))

#define D_DESC_NEXT 1u
#define D_DESC_WRITE 2u
#define D_AVAIL_NO_INTERRUPT 1u
#define D_USED_NO_NOTIFY 1u

#define D_BLK_T_IN 0u
#define D_BLK_T_OUT 1u
#define D_BLK_T_FLUSH 4u
#define D_BLK_S_OK 0u
#define D_SECTOR 512u

static uint32_t rd(struct vdrv_dev *d, uint64_t off)
{
	return d->host->mmio_read(d->host->ctx, off);
}

static void wr(struct vdrv_dev *d, uint64_t off, uint32_t v)
{
	d->host->mmio_write(d->host->ctx, off, v);
}

static uint64_t gpa(struct vdrv_dev *d, const void *p)
{
	return d->host->to_gpa(d->host->ctx, p);
}

static void wr64(struct vdrv_dev *d, uint64_t lo_off, uint64_t v)
{
	wr(d, lo_off, (uint32_t)v);
	wr(d, lo_off + 4, (uint32_t)(v >> 32));
}

static int fail(struct vdrv_dev *d, const char **why, const char *what)
{
	/* Tell the device we gave up (3.1.1 step 8), where we got that far. */
	if (d->host)
		wr(d, D_STATUS, rd(d, D_STATUS) | D_S_FAILED);
	if (why)
		*why = what;
	return -1;
}

static int refuse(const char **why, const char *what)
{
	if (why)
		*why = what;
	return -1;
}

/*
 * 3.1.1 up to FEATURES_OK: probe for device id, reset, ACKNOWLEDGE, DRIVER,
 * negotiate VERSION_1 plus what the device offers of mask (*feat: the
 * result). The caller zeroed d. 0, or -1 with *why.
 */
static int dev_start(struct vdrv_dev *d, const struct vdrv_host *h, uint32_t id,
		     const char *not_id, uint64_t mask, uint64_t *feat, const char **why)
{
	uint64_t dev_feat, drv_feat;

	if (why)
		*why = NULL;
	if (!h || !h->mmio_read || !h->mmio_write || !h->to_gpa)
		return refuse(why, "driver host callbacks missing");
	d->host = h;

	if (rd(d, D_MAGIC) != D_MAGIC_VALUE)
		return refuse(why, "no virtio-mmio magic");
	if (rd(d, D_VERSION) != D_VERSION_MODERN)
		return refuse(why, "virtio-mmio version is not 2");
	if (rd(d, D_DEVICE_ID) != id)
		return refuse(why, not_id);

	wr(d, D_STATUS, 0);
	if (rd(d, D_STATUS) != 0)
		return fail(d, why, "device did not reset");
	wr(d, D_STATUS, D_S_ACKNOWLEDGE);
	wr(d, D_STATUS, D_S_ACKNOWLEDGE | D_S_DRIVER);

	wr(d, D_DEV_FEATURES_SEL, 0);
	dev_feat = rd(d, D_DEV_FEATURES);
	wr(d, D_DEV_FEATURES_SEL, 1);
	dev_feat |= (uint64_t)rd(d, D_DEV_FEATURES) << 32;
	if (!(dev_feat & D_BIT(D_F_VERSION_1)))
		return fail(d, why, "device does not offer VERSION_1");
	drv_feat = dev_feat & (D_BIT(D_F_VERSION_1) | D_BIT(D_F_EVENT_IDX) | mask);
	wr(d, D_DRV_FEATURES_SEL, 0);
	wr(d, D_DRV_FEATURES, (uint32_t)drv_feat);
	wr(d, D_DRV_FEATURES_SEL, 1);
	wr(d, D_DRV_FEATURES, (uint32_t)(drv_feat >> 32));

	wr(d, D_STATUS, D_S_ACKNOWLEDGE | D_S_DRIVER | D_S_FEATURES_OK);
	if (!(rd(d, D_STATUS) & D_S_FEATURES_OK))
		return fail(d, why, "device refused the features");
	d->event_idx = (drv_feat & D_BIT(D_F_EVENT_IDX)) != 0;
	*feat = drv_feat & ~D_BIT(D_F_EVENT_IDX);
	return 0;
}

/*
 * We poll: no interrupt for anything we consume. With EVENT_IDX, used_event
 * one behind what we consumed (the device interrupts only when used idx
 * steps onto it, which takes 65535 more completions than a queue holds);
 * without, the NO_INTERRUPT flag.
 */
static void no_interrupts(struct vdrv_dev *d, struct vdrv_queue *q)
{
	if (d->event_idx)
		*(volatile uint16_t *)&q->avail.used_event = (uint16_t)(q->last_used - 1);
	else
		*(volatile uint16_t *)&q->avail.flags = D_AVAIL_NO_INTERRUPT;
}

/* Queue idx at q (VDRV_QUEUE_SIZE entries, zeroed here). 0, or -1 with *why. */
static int queue_setup(struct vdrv_dev *d, unsigned idx, struct vdrv_queue *q, const char **why)
{
	wr(d, D_QUEUE_SEL, idx);
	if (rd(d, D_QUEUE_READY) != 0)
		return fail(d, why, "queue already ready after reset");
	if (rd(d, D_QUEUE_NUM_MAX) < VDRV_QUEUE_SIZE)
		return fail(d, why, "queue smaller than the driver's queue");
	rt_memset(q, 0, sizeof(*q));
	no_interrupts(d, q);
	wr(d, D_QUEUE_NUM, VDRV_QUEUE_SIZE);
	wr64(d, D_QUEUE_DESC_LO, gpa(d, &q->desc));
	wr64(d, D_QUEUE_DRIVER_LO, gpa(d, &q->avail));
	wr64(d, D_QUEUE_DEVICE_LO, gpa(d, &q->used));
	wr(d, D_QUEUE_READY, 1);
	if (rd(d, D_QUEUE_READY) != 1)
		return fail(d, why, "device refused a queue");
	return 0;
}

/* The rest of 3.1.1: queue 0 (and queue 1 at q1, if any), then DRIVER_OK. */
static int dev_finish(struct vdrv_dev *d, struct vdrv_queue *q1, const char **why)
{
	uint32_t st;

	if (queue_setup(d, 0, &d->q, why) || (q1 && queue_setup(d, 1, q1, why)))
		return -1;
	wr(d, D_STATUS, D_S_ACKNOWLEDGE | D_S_DRIVER | D_S_FEATURES_OK | D_S_DRIVER_OK);
	st = rd(d, D_STATUS);
	if (!(st & D_S_DRIVER_OK) || (st & D_S_NEEDS_RESET))
		return fail(d, why, "device did not accept DRIVER_OK");
	return 0;
}

static void qdesc(struct vdrv_queue *q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags)
{
	q->desc[i].addr = addr;
	q->desc[i].len = len;
	q->desc[i].flags = flags;
	q->desc[i].next = (flags & D_DESC_NEXT) ? (uint16_t)(i + 1) : 0;
}

static void set_desc(struct vdrv_dev *d, unsigned i, uint64_t addr, uint32_t len, uint16_t flags)
{
	qdesc(&d->q, i, addr, len, flags);
}

/* Put head on q's avail ring (the device sees it at the next notify). */
static void publish(struct vdrv_queue *q, uint16_t head)
{
	uint16_t avail = q->avail.idx;

	q->avail.ring[avail % VDRV_QUEUE_SIZE] = head;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	*(volatile uint16_t *)&q->avail.idx = (uint16_t)(avail + 1);
}

/*
 * Notify queue idx of what was published since the last call, if the
 * device wants to know: with EVENT_IDX, when avail idx stepped past
 * avail_event (vring_need_event, 2.7.10); without, unless it set
 * NO_NOTIFY. The device writes both: a device that says "no" to a request
 * it then never sees only makes its own request fail (bounded poll).
 */
static void kick(struct vdrv_dev *d, struct vdrv_queue *q, unsigned idx)
{
	uint16_t new = q->avail.idx, old = q->kicked, event;
	bool need;

	/* Our avail idx must be visible before we read the device's wishes. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (d->event_idx) {
		event = *(volatile uint16_t *)&q->used.avail_event;
		need = (uint16_t)(new - event - 1) < (uint16_t)(new - old);
	} else {
		need = !(*(volatile uint16_t *)&q->used.flags & D_USED_NO_NOTIFY);
	}
	q->kicked = new;
	if (need && new != old) {
		wr(d, D_QUEUE_NOTIFY, idx);
		d->notifies++;
	}
}

/*
 * Submit the chain already in descriptors 0.. (head 0) of queue idx at q
 * and wait for it. 0 with *used_len the length the device says it wrote,
 * or -1 (lost, or a used ring that does not name exactly our one request).
 */
static int submit_q(struct vdrv_dev *d, struct vdrv_queue *q, unsigned idx, uint32_t *used_len)
{
	volatile uint16_t *used_idx = &q->used.idx;
	uint16_t seen = 0, delta;
	uint32_t id, len;
	unsigned long spins;

	publish(q, 0);
	kick(d, q, idx);

	for (spins = 0;; spins++) {
		seen = *used_idx;
		if (seen != q->last_used)
			break;
		if (spins >= VDRV_SPINS)
			return -1; /* lost; the descriptors stay with the device */
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	delta = (uint16_t)(seen - q->last_used);
	if (delta != 1)
		return -1; /* more completions than requests: a confused device */
	id = ((volatile uint32_t *)&q->used.ring[q->last_used % VDRV_QUEUE_SIZE].id)[0];
	len = ((volatile uint32_t *)&q->used.ring[q->last_used % VDRV_QUEUE_SIZE].len)[0];
	q->last_used++;
	no_interrupts(d, q);
	if (id != 0)
		return -1;
	*used_len = len;
	return 0;
}

static int submit(struct vdrv_dev *d, uint32_t *used_len)
{
	return submit_q(d, &d->q, 0, used_len);
}

/* ---- virtio-blk ------------------------------------------------------------ */

int vdrv_blk_init(struct vdrv_blk *b, const struct vdrv_host *h, const char **why)
{
	struct vdrv_dev *d = &b->d;
	uint32_t lo, hi, gen;
	uint64_t feat;
	unsigned tries;

	rt_memset(b, 0, sizeof(*b));
	if (dev_start(d, h, D_DEVICE_BLK, "device is not virtio-blk",
		      D_BIT(D_F_BLK_RO) | D_BIT(D_F_BLK_FLUSH), &feat, why))
		return -1;
	b->read_only = (feat & D_BIT(D_F_BLK_RO)) != 0;

	/* Capacity (u64 at config offset 0), read consistently (4.2.2.1). */
	for (tries = 0;; tries++) {
		if (tries == 16)
			return fail(d, why, "config space keeps changing");
		gen = rd(d, 0x0fc);
		lo = rd(d, D_CONFIG);
		hi = rd(d, D_CONFIG + 4);
		if (rd(d, 0x0fc) == gen)
			break;
	}
	b->capacity = (uint64_t)hi << 32 | lo;
	return dev_finish(d, NULL, why);
}

/*
 * Take the completions the device wrote: 0, or -1 when it claims more than
 * it holds, names a chain it does not hold, or says it wrote more than the
 * chain lets it (left unconsumed: the batch stays held).
 */
static int blk_reap(struct vdrv_blk *b)
{
	struct vdrv_queue *q = &b->d.q;
	uint16_t seen = *(volatile uint16_t *)&q->used.idx;

	if ((uint16_t)(seen - q->last_used) > b->held)
		return -1;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	while (q->last_used != seen) {
		volatile uint32_t *e =
		    (volatile uint32_t *)&q->used.ring[q->last_used % VDRV_QUEUE_SIZE];
		uint32_t id = e[0], len = e[1];

		if (id >= VDRV_QUEUE_SIZE || !b->head_req[id] || len > b->head_max[id])
			return -1;
		b->head_req[id] = 0;
		b->held--;
		q->last_used++;
	}
	no_interrupts(&b->d, q);
	return 0;
}

/* Room for a chain of ndesc descriptors in the open batch: 0, 1 when
 * there is none, -1 while the device holds a batch it never gave back. */
static int blk_room(struct vdrv_blk *b, unsigned ndesc)
{
	/* A new batch starts at descriptor 0: only once the device gave back
	 * every chain of the last (one it never completed keeps them). */
	if (b->next == 0 && b->held && (blk_reap(b) || b->held))
		return -1;
	if (ndesc > (unsigned)(VDRV_QUEUE_SIZE - b->next) || b->nreq == VDRV_BLK_BATCH)
		return 1;
	return 0;
}

/* Header, the n data segments (device-writable unless out), status; the
 * device may write wmax bytes of it. Returns the request's index. */
static unsigned blk_chain(struct vdrv_blk *b, uint32_t type, uint64_t sector,
			  const struct vio_iov *iov, unsigned n, bool out, uint32_t wmax)
{
	unsigned r = b->nreq++, head = b->next, i = head;

	b->hdr[r].type = type;
	b->hdr[r].reserved = 0;
	b->hdr[r].sector = sector;
	qdesc(&b->d.q, i++, gpa(&b->d, &b->hdr[r]), sizeof(b->hdr[r]), D_DESC_NEXT);
	for (unsigned k = 0; k < n; k++)
		qdesc(&b->d.q, i++, gpa(&b->d, iov[k].base), iov[k].len,
		      (uint16_t)(D_DESC_NEXT | (out ? 0 : D_DESC_WRITE)));
	*(volatile uint8_t *)&b->dev_st[r] = 0xff; /* not OK unless the device writes it */
	qdesc(&b->d.q, i++, gpa(&b->d, &b->dev_st[r]), 1, D_DESC_WRITE);
	b->next = (uint16_t)i;
	b->head_req[head] = (uint8_t)(r + 1);
	b->head_max[head] = wmax;
	b->held++;
	b->st[r] = VDRV_BLK_S_IOERR;
	publish(&b->d.q, (uint16_t)head);
	return r;
}

int vdrv_blk_post(struct vdrv_blk *b, bool write, uint64_t off, const struct vio_iov *iov,
		  unsigned n, unsigned *idx)
{
	uint64_t total = 0, sectors;
	int room;

	if (!b || !b->d.host || !iov || !idx || n == 0 || n > VDRV_QUEUE_SIZE - 2)
		return -1;
	if (write && b->read_only)
		return -1;
	if (off % D_SECTOR)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		if (!iov[i].base || iov[i].len == 0)
			return -1;
		total += iov[i].len; /* n * UINT32_MAX cannot wrap */
	}
	if (total % D_SECTOR || (!write && total >= UINT32_MAX))
		return -1;
	sectors = total / D_SECTOR;
	if (off / D_SECTOR > b->capacity || sectors > b->capacity - off / D_SECTOR)
		return -1;
	room = blk_room(b, n + 2);
	if (room)
		return room;
	*idx = blk_chain(b, write ? D_BLK_T_OUT : D_BLK_T_IN, off / D_SECTOR, iov, n, write,
			 write ? 1 : (uint32_t)total + 1);
	return 0;
}

int vdrv_blk_post_flush(struct vdrv_blk *b, unsigned *idx)
{
	int room;

	if (!b || !b->d.host || !idx)
		return -1;
	room = blk_room(b, 2);
	if (room)
		return room;
	*idx = blk_chain(b, D_BLK_T_FLUSH, 0, NULL, 0, true, 1);
	return 0;
}

int vdrv_blk_run(struct vdrv_blk *b)
{
	unsigned long spins;
	unsigned n;
	int r = -1;

	if (!b || !b->d.host || b->next == 0)
		return 0;
	n = b->nreq;
	b->next = 0;
	b->nreq = 0;
	kick(&b->d, &b->d.q, 0);
	for (spins = 0;; spins++) {
		if (blk_reap(b))
			break; /* a confused device: the batch stays held */
		if (!b->held) {
			r = 0;
			break;
		}
		if (spins >= VDRV_SPINS)
			break; /* lost: the descriptors stay with the device */
	}
	/* Statuses of a batch that came back whole only: the device's, read
	 * once; a lost or confused batch fails whole. */
	for (unsigned i = 0; i < n; i++)
		b->st[i] = r ? VDRV_BLK_S_IOERR : *(volatile uint8_t *)&b->dev_st[i];
	return r;
}

/* Run the request post made (a batch still open ahead of it runs with it;
 * one without room for it runs first). */
static int blk_one(struct vdrv_blk *b, int posted, unsigned idx)
{
	b->status = VDRV_BLK_S_NONE;
	if (posted)
		return -1;
	vdrv_blk_run(b);
	b->status = b->st[idx];
	return b->status == D_BLK_S_OK ? 0 : -1;
}

int vdrv_blk_rw(struct vdrv_blk *b, bool write, uint64_t off, const struct vio_iov *iov,
		unsigned n)
{
	unsigned idx = 0;
	int r = vdrv_blk_post(b, write, off, iov, n, &idx);

	if (r == 1) {
		vdrv_blk_run(b);
		r = vdrv_blk_post(b, write, off, iov, n, &idx);
	}
	return b ? blk_one(b, r, idx) : -1;
}

int vdrv_blk_flush(struct vdrv_blk *b)
{
	unsigned idx = 0;
	int r = vdrv_blk_post_flush(b, &idx);

	if (r == 1) {
		vdrv_blk_run(b);
		r = vdrv_blk_post_flush(b, &idx);
	}
	return b ? blk_one(b, r, idx) : -1;
}

/* ---- virtio-rng ------------------------------------------------------------ */

int vdrv_rng_init(struct vdrv_rng *r, const struct vdrv_host *h, const char **why)
{
	uint64_t feat;

	rt_memset(r, 0, sizeof(*r));
	if (dev_start(&r->d, h, D_DEVICE_RNG, "device is not virtio-rng", 0, &feat, why))
		return -1;
	return dev_finish(&r->d, NULL, why);
}

int vdrv_rng_fill(struct vdrv_rng *r, void *buf, uint32_t len)
{
	uint32_t got;

	if (!r || !r->d.host || !buf || len == 0 || len > INT32_MAX)
		return -1;
	set_desc(&r->d, 0, gpa(&r->d, buf), len, D_DESC_WRITE);
	if (submit(&r->d, &got))
		return -1;
	if (got > len)
		return -1; /* the device claims more than the buffer holds */
	return (int)got;
}

/* ---- virtio-net ------------------------------------------------------------ */

#define D_NET_RXQ 0u
#define D_NET_TXQ 1u
#define D_NET_HDR 12u /* virtio 1.x header, num_buffers included */

/* Post receive buffer i (descriptor i) to the device; kicked later. */
static void rx_post(struct vdrv_net *n, uint16_t i)
{
	qdesc(&n->d.q, i, gpa(&n->d, n->rxbuf[i]), VDRV_NET_BUF, D_DESC_WRITE);
	n->posted[i] = true;
	publish(&n->d.q, i);
	n->rx_unkicked = true;
}

int vdrv_net_init(struct vdrv_net *n, const struct vdrv_host *h, const char **why)
{
	struct vdrv_dev *d = &n->d;
	uint32_t lo, hi;
	uint64_t feat;

	rt_memset(n, 0, sizeof(*n));
	/*
	 * Transmit offloads when the device has them (partial checksums, TSO
	 * frames of up to 64 KiB, passed on whole); none on receive: every
	 * received frame is a plain Ethernet frame of at most 1514 bytes.
	 */
	if (dev_start(d, h, D_DEVICE_NET, "device is not virtio-net",
		      D_BIT(D_F_NET_MAC) | D_BIT(D_F_NET_CSUM) | D_BIT(D_F_NET_HOST_TSO4) |
			  D_BIT(D_F_NET_HOST_TSO6) | D_BIT(D_F_NET_HOST_ECN),
		      &feat, why))
		return -1;
	n->features = feat;
	if (!(feat & D_BIT(D_F_NET_MAC)))
		return fail(d, why, "device has no MAC address");
	lo = rd(d, D_CONFIG);
	hi = rd(d, D_CONFIG + 4);
	for (unsigned i = 0; i < 6; i++)
		n->mac[i] = (uint8_t)((i < 4 ? lo >> (8 * i) : hi >> (8 * (i - 4))) & 0xff);
	if (dev_finish(d, &n->txq, why))
		return -1;
	for (uint16_t i = 0; i < VDRV_NET_RXBUFS; i++)
		rx_post(n, i);
	vdrv_net_rx_kick(n);
	return 0;
}

/*
 * Take the transmit completions the device wrote: 0, or -1 when it claims
 * more than it holds or names a chain it does not hold (left unconsumed:
 * the batch stays held).
 */
static int tx_reap(struct vdrv_net *n)
{
	struct vdrv_queue *q = &n->txq;
	uint16_t seen = *(volatile uint16_t *)&q->used.idx;

	if ((uint16_t)(seen - q->last_used) > n->tx_held)
		return -1;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	while (q->last_used != seen) {
		uint32_t id =
		    ((volatile uint32_t *)&q->used.ring[q->last_used % VDRV_QUEUE_SIZE].id)[0];

		if (id >= VDRV_QUEUE_SIZE || !n->tx_head[id])
			return -1;
		n->tx_head[id] = false;
		n->tx_held--;
		q->last_used++;
	}
	no_interrupts(&n->d, q);
	return 0;
}

int vdrv_net_tx_post(struct vdrv_net *n, const struct vio_iov *iov, unsigned cnt)
{
	uint16_t head;
	uint64_t total = 0;

	if (!n || !n->d.host || !iov || cnt == 0 || cnt > VDRV_QUEUE_SIZE)
		return -1;
	for (unsigned i = 0; i < cnt; i++) {
		if (!iov[i].base || iov[i].len == 0)
			return -1;
		total += iov[i].len;
	}
	if (total < D_NET_HDR || total > VDRV_NET_TX_MAX)
		return -1;
	/* A new batch starts at descriptor 0: only once the device gave back
	 * every chain of the last (one it never completed keeps them). */
	if (n->tx_next == 0 && n->tx_held && (tx_reap(n) || n->tx_held))
		return -1;
	if (cnt > (unsigned)(VDRV_QUEUE_SIZE - n->tx_next))
		return 1;
	head = n->tx_next;
	for (unsigned i = 0; i < cnt; i++)
		qdesc(&n->txq, head + i, gpa(&n->d, iov[i].base), iov[i].len,
		      i + 1 < cnt ? D_DESC_NEXT : 0);
	n->tx_next = (uint16_t)(head + cnt);
	n->tx_head[head] = true;
	n->tx_held++;
	publish(&n->txq, head);
	return 0;
}

int vdrv_net_tx_flush(struct vdrv_net *n)
{
	unsigned long spins;

	if (!n || !n->d.host || n->tx_next == 0)
		return 0;
	n->tx_next = 0;
	kick(&n->d, &n->txq, D_NET_TXQ);
	for (spins = 0;; spins++) {
		if (tx_reap(n))
			return -1; /* a confused device: the batch stays held */
		if (!n->tx_held)
			return 0;
		if (spins >= VDRV_SPINS)
			return -1; /* lost: the descriptors stay with the device */
	}
}

int vdrv_net_tx(struct vdrv_net *n, const struct vio_iov *iov, unsigned cnt)
{
	int r = vdrv_net_tx_post(n, iov, cnt);

	if (r == 1) {
		if (vdrv_net_tx_flush(n))
			return -1;
		r = vdrv_net_tx_post(n, iov, cnt);
	}
	if (r)
		return -1;
	return vdrv_net_tx_flush(n);
}

/* Move what the device completed to our FIFO of received frames. */
static void rx_harvest(struct vdrv_net *n)
{
	struct vdrv_queue *q = &n->d.q;
	uint16_t seen = *(volatile uint16_t *)&q->used.idx;

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	while (q->last_used != seen && n->nready < VDRV_NET_RXBUFS) {
		uint32_t id = ((volatile uint32_t *)&q->used.ring[q->last_used % VDRV_QUEUE_SIZE].id)[0];
		uint32_t len =
		    ((volatile uint32_t *)&q->used.ring[q->last_used % VDRV_QUEUE_SIZE].len)[0];

		q->last_used++;
		if (id >= VDRV_NET_RXBUFS || !n->posted[id]) {
			n->bad++; /* not a buffer the device holds: ignored */
			continue;
		}
		n->posted[id] = false;
		if (len < D_NET_HDR || len > VDRV_NET_BUF) {
			n->bad++;
			rx_post(n, (uint16_t)id);
			continue;
		}
		n->ready[(n->first + n->nready) % VDRV_NET_RXBUFS] = (uint16_t)id;
		n->ready_len[id] = len;
		n->nready++;
	}
	no_interrupts(&n->d, q);
}

int vdrv_net_rx_peek(struct vdrv_net *n, const uint8_t **frame)
{
	uint16_t id;

	if (!n || !n->d.host)
		return -1;
	rx_harvest(n);
	if (!n->nready)
		return 0;
	id = n->ready[n->first];
	*frame = n->rxbuf[id];
	return (int)n->ready_len[id];
}

void vdrv_net_rx_done(struct vdrv_net *n)
{
	if (!n || !n->nready)
		return;
	rx_post(n, n->ready[n->first]);
	n->first = (n->first + 1) % VDRV_NET_RXBUFS;
	n->nready--;
}

void vdrv_net_rx_kick(struct vdrv_net *n)
{
	if (!n || !n->d.host || !n->rx_unkicked)
		return;
	n->rx_unkicked = false;
	kick(&n->d, &n->d.q, D_NET_RXQ);
}
