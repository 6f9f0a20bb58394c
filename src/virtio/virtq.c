/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueues (virtio 1.2 section 2.7), from the device side.
 *
 * The rings live in guest memory and the guest may change them at any time,
 * from another vCPU, while we read them. So: every access goes through
 * host->gpa_ptr for its exact range, and every store, and every buffer the
 * device will store into, through it with write (the used ring, the
 * device-writable descriptors); each field is loaded once (volatile) into
 * a local and only the local is checked and used; nothing is trusted from
 * one load to the next.
 *
 * Refusal rules (see virtq.h for what callers may rely on):
 *  - ring corrupt (ring outside RAM, used ring where the driver may not
 *    write, avail idx ahead by more than num, head index >= num): the
 *    device is marked DEVICE_NEEDS_RESET and stops;
 *  - chain malformed: the head is completed (by the device) with an error;
 *    zero-length descriptors are refused, not skipped: no driver we know
 *    posts them and a refused chain is easier to reason about than a
 *    skipped piece.
 */
#include "lib/rt.h"
#include "virtio/virtq.h"

/* An indirect table bigger than a whole chain can only be an attack. */
#define INDIRECT_MAX_LEN (VIO_CHAIN_MAX * VIRTQ_DESC_SIZE)

static uint16_t load16(const void *p)
{
	const volatile uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}

static void store16(void *p, uint16_t v)
{
	volatile uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static void store32(void *p, uint32_t v)
{
	store16(p, (uint16_t)v);
	store16((uint8_t *)p + 2, (uint16_t)(v >> 16));
}

/* Host pointer to [base + off, base + off + len) of guest memory, or NULL. */
static void *guest(struct vio_dev *d, uint64_t base, uint64_t off, uint64_t len, bool write)
{
	uint64_t gpa;

	if (!rt_add_ok(base, off, &gpa))
		return NULL;
	return d->host->gpa_ptr(d->host->ctx, gpa, len, write);
}

static void *avail_field(struct vio_dev *d, struct vio_queue *q, uint64_t off)
{
	void *p = guest(d, q->avail_gpa, off, 2, false);

	if (!p)
		vio_broken(d, VIO_R_RING_ADDR, "avail ring outside guest RAM", q->avail_gpa);
	return p;
}

/* The used ring is the device's to write: asked for with write, every time. */
static void *used_field(struct vio_dev *d, struct vio_queue *q, uint64_t off, uint64_t len)
{
	void *p = guest(d, q->used_gpa, off, len, true);

	if (!p)
		vio_broken(d, VIO_R_RING_ADDR, "used ring outside writable guest RAM", q->used_gpa);
	return p;
}

/* avail->idx, or -1 when the ring is corrupt. */
static int avail_idx(struct vio_dev *d, struct vio_queue *q)
{
	uint8_t *p = avail_field(d, q, 2);
	uint16_t idx;

	if (!p)
		return -1;
	idx = load16(p);
	if ((uint16_t)(idx - q->last_avail) > q->num) {
		vio_broken(d, VIO_R_AVAIL_IDX, "avail idx ahead by more than the queue size", idx);
		return -1;
	}
	return idx;
}

/* With EVENT_IDX, tell the driver which avail idx should make it notify us. */
static bool set_avail_event(struct vio_dev *d, struct vio_queue *q, uint16_t v)
{
	uint8_t *p;

	if (!vio_has_feature(d, VIRTIO_F_EVENT_IDX))
		return true;
	p = used_field(d, q, 4 + 8 * (uint64_t)q->num, 2);
	if (!p)
		return false;
	store16(p, v);
	return true;
}

/* Number of chains waiting, or -1 when the ring is corrupt. */
static int pending(struct vio_dev *d, struct vio_queue *q)
{
	int idx = avail_idx(d, q);

	if (idx < 0)
		return -1;
	if (idx != q->last_avail)
		return (uint16_t)(idx - q->last_avail);
	/* Empty: ask for a notify on the next buffer, then look again (the
	 * driver may have added one before it could see avail_event). */
	if (!set_avail_event(d, q, q->last_avail))
		return -1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	idx = avail_idx(d, q);
	return idx < 0 ? -1 : (uint16_t)(idx - q->last_avail);
}

struct walk {
	uint64_t table;	/* gpa of the descriptor table being walked */
	uint32_t size;	/* its entries */
	bool indirect;
};

/* Check one descriptor and append it to the chain; 0 or a refusal kind + 1. */
static int add_desc(struct vio_dev *d, struct virtq_chain *c, unsigned max, uint64_t addr,
		    uint32_t len, uint16_t flags)
{
	uint64_t end;
	void *p;
	bool write = flags & VIRTQ_DESC_F_WRITE;
	uint32_t *sum = write ? &c->in_len : &c->out_len;

	if (len == 0)
		return VIO_R_DESC_ZERO + 1;
	if (!write && c->n_in)
		return VIO_R_RW_ORDER + 1;
	if (!rt_add_ok(addr, len, &end))
		return VIO_R_DESC_WRAP + 1;
	if (c->n_out + c->n_in >= max)
		return VIO_R_CHAIN_LONG + 1;
	if (__builtin_add_overflow(*sum, len, sum))
		return VIO_R_LEN_OVERFLOW + 1;
	/* The device will store into a writable buffer: the driver must be able to. */
	p = d->host->gpa_ptr(d->host->ctx, addr, len, write);
	if (!p && write && d->host->gpa_ptr(d->host->ctx, addr, len, false))
		return VIO_R_DESC_RO + 1;
	if (!p)
		return VIO_R_DESC_RAM + 1;
	c->iov[c->n_out + c->n_in] = (struct vio_iov){ .base = p, .len = len };
	if (write)
		c->n_in++;
	else
		c->n_out++;
	return 0;
}

/* Switch the walk to the indirect table this descriptor names. */
static int enter_indirect(struct vio_dev *d, struct walk *w, bool is_head, uint64_t addr,
			  uint32_t len, uint16_t flags)
{
	if (!vio_has_feature(d, VIRTIO_F_INDIRECT_DESC))
		return VIO_R_INDIRECT_FEAT + 1;
	if (w->indirect)
		return VIO_R_INDIRECT_NESTED + 1;
	if ((flags & VIRTQ_DESC_F_NEXT) || !is_head)
		return VIO_R_INDIRECT_FLAGS + 1;
	if (len == 0 || len % VIRTQ_DESC_SIZE || len > INDIRECT_MAX_LEN)
		return VIO_R_INDIRECT_LEN + 1;
	if (!d->host->gpa_ptr(d->host->ctx, addr, len, false))
		return VIO_R_DESC_RAM + 1;
	w->table = addr;
	w->size = len / VIRTQ_DESC_SIZE;
	w->indirect = true;
	return 0;
}

static const char *const walk_text[] = {
	[VIO_R_DESC_INDEX] = "descriptor next index out of range",
	[VIO_R_CHAIN_LONG] = "descriptor chain too long or a loop",
	[VIO_R_INDIRECT_FEAT] = "indirect descriptor not negotiated",
	[VIO_R_INDIRECT_NESTED] = "nested indirect descriptor",
	[VIO_R_INDIRECT_LEN] = "indirect table length bad",
	[VIO_R_INDIRECT_FLAGS] = "indirect descriptor with NEXT or not at the head",
	[VIO_R_DESC_ZERO] = "zero-length descriptor",
	[VIO_R_DESC_RAM] = "descriptor buffer outside guest RAM",
	[VIO_R_DESC_RO] = "device-writable buffer in memory the driver may not write",
	[VIO_R_DESC_WRAP] = "descriptor address + length wraps",
	[VIO_R_LEN_OVERFLOW] = "chain length over 4 GiB",
	[VIO_R_RW_ORDER] = "readable descriptor after a writable one",
};

/*
 * Walk the chain from head. Every iteration either appends an iov or enters
 * the (single) indirect table, so it ends within VIO_CHAIN_MAX + 1 steps.
 */
static int walk_chain(struct vio_dev *d, struct vio_queue *q, struct virtq_chain *c,
		      unsigned max, uint64_t *bad)
{
	struct walk w = { .table = q->desc_gpa, .size = q->num };
	uint32_t idx = c->head;
	uint8_t desc[VIRTQ_DESC_SIZE];

	for (unsigned step = 0; step <= VIO_CHAIN_MAX; step++) {
		const volatile uint8_t *p = guest(d, w.table, (uint64_t)idx * VIRTQ_DESC_SIZE,
						  VIRTQ_DESC_SIZE, false);
		uint64_t addr;
		uint32_t len;
		uint16_t flags;
		int r;

		if (!p)
			return VIO_R_DESC_RAM + 1;
		for (unsigned i = 0; i < VIRTQ_DESC_SIZE; i++)
			desc[i] = p[i];
		addr = rt_le64(desc);
		len = rt_le32(desc + 8);
		flags = rt_le16(desc + 12);
		*bad = addr;
		if (flags & VIRTQ_DESC_F_INDIRECT) {
			r = enter_indirect(d, &w, step == 0, addr, len, flags);
			if (r)
				return r;
			idx = 0;
			continue;
		}
		r = add_desc(d, c, max, addr, len, flags);
		if (r)
			return r;
		if (!(flags & VIRTQ_DESC_F_NEXT))
			return 0;
		idx = rt_le16(desc + 14);
		*bad = idx;
		if (idx >= w.size)
			return VIO_R_DESC_INDEX + 1;
	}
	return VIO_R_CHAIN_LONG + 1;
}

enum virtq_pop_result virtq_pop(struct vio_dev *d, unsigned qi, struct vio_iov *iov,
				unsigned max, struct virtq_chain *c)
{
	struct vio_queue *q = &d->q[qi];
	uint8_t *p;
	uint16_t head;
	uint64_t bad = 0;
	int n, r;

	*c = (struct virtq_chain){ .iov = iov };
	if (!vio_live(d) || !q->ready)
		return VQ_EMPTY;
	n = pending(d, q);
	if (n <= 0)
		return n < 0 ? VQ_BROKEN : VQ_EMPTY;
	/* Read the ring entry only after seeing idx (pairs with the driver's wmb). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	p = avail_field(d, q, 4 + 2 * (uint64_t)(q->last_avail % q->num));
	if (!p)
		return VQ_BROKEN;
	head = load16(p);
	if (head >= q->num) {
		vio_broken(d, VIO_R_HEAD, "avail ring head index out of range", head);
		return VQ_BROKEN;
	}
	/*
	 * avail_event is left where it is: it moves only when the queue is
	 * found empty (pending()), so a driver refilling a queue the device
	 * has not drained does not exit to us for every buffer it adds.
	 */
	q->last_avail++;
	c->head = head;
	r = walk_chain(d, q, c, max > VIO_CHAIN_MAX ? VIO_CHAIN_MAX : max, &bad);
	if (r) {
		vio_refuse(d, (enum vio_refusal)(r - 1), walk_text[r - 1], bad);
		return VQ_BAD;
	}
	return VQ_OK;
}

void virtq_budget_spent(struct vio_dev *d, unsigned qi)
{
	struct vio_queue *q = &d->q[qi];
	int idx;

	if (!vio_live(d) || !q->ready)
		return;
	idx = avail_idx(d, q);
	if (idx >= 0)
		set_avail_event(d, q, (uint16_t)idx);
}

void virtq_unpop(struct vio_dev *d, unsigned qi, unsigned n)
{
	d->q[qi].last_avail = (uint16_t)(d->q[qi].last_avail - n);
}

void virtq_push(struct vio_dev *d, unsigned qi, uint16_t head, uint32_t len)
{
	struct vio_queue *q = &d->q[qi];
	uint8_t *elem, *idx;

	if (!q->ready || (d->status & VIRTIO_STATUS_NEEDS_RESET))
		return;
	elem = used_field(d, q, 4 + 8 * (uint64_t)(q->used_idx % q->num), 8);
	idx = used_field(d, q, 2, 2);
	if (!elem || !idx)
		return;
	store32(elem, head);
	store32(elem + 4, len);
	q->used_idx++;
	/* The element must be visible before the index that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	store16(idx, q->used_idx);
}

/* Does the driver want an interrupt for the used entries added since the last one? */
static bool should_signal(struct vio_dev *d, struct vio_queue *q)
{
	uint16_t old = q->signalled_used, new = q->used_idx, event;
	bool valid = q->signalled_valid;
	uint8_t *p;

	/* Our used idx store must be visible before we read the driver's wishes. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vio_has_feature(d, VIRTIO_F_EVENT_IDX)) {
		p = avail_field(d, q, 0);
		return p && !(load16(p) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	p = avail_field(d, q, 4 + 2 * (uint64_t)q->num);
	if (!p)
		return false;
	event = load16(p);
	q->signalled_used = new;
	q->signalled_valid = true;
	/* vring_need_event(): did used idx just step past used_event? */
	return !valid || (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

void virtq_signal(struct vio_dev *d, unsigned qi)
{
	struct vio_queue *q = &d->q[qi];

	if (!q->ready || (d->status & VIRTIO_STATUS_NEEDS_RESET))
		return;
	if (should_signal(d, q))
		vio_raise(d, VIO_ISR_USED);
}

/* ---- iov helpers ---------------------------------------------------------- */

/* Copy between buf and the iovs' bytes [off, off + len); to: into the iovs. */
static size_t iov_copy(const struct vio_iov *iov, unsigned n, size_t off, uint8_t *buf, size_t len,
		       bool to)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		uint8_t *p;
		size_t take;

		if (off >= iov[i].len) {
			off -= iov[i].len;
			continue;
		}
		p = (uint8_t *)iov[i].base + off;
		take = iov[i].len - off;
		if (take > len - done)
			take = len - done;
		if (to)
			rt_memcpy(p, buf + done, take);
		else
			rt_memcpy(buf + done, p, take);
		done += take;
		off = 0;
	}
	return done;
}

size_t vio_iov_to(const struct vio_iov *iov, unsigned n, size_t off, const void *src, size_t len)
{
	return iov_copy(iov, n, off, (uint8_t *)(uintptr_t)src, len, true);
}

size_t vio_iov_from(const struct vio_iov *iov, unsigned n, size_t off, void *dst, size_t len)
{
	return iov_copy(iov, n, off, dst, len, false);
}

unsigned vio_iov_slice(const struct vio_iov *src, unsigned n, size_t off, size_t len,
		       struct vio_iov *dst, unsigned max)
{
	unsigned out = 0;

	for (unsigned i = 0; i < n && len && out < max; i++) {
		size_t take;

		if (off >= src[i].len) {
			off -= src[i].len;
			continue;
		}
		take = src[i].len - off;
		if (take > len)
			take = len;
		dst[out].base = (uint8_t *)src[i].base + off;
		dst[out].len = (uint32_t)take;
		out++;
		len -= take;
		off = 0;
	}
	return out;
}
