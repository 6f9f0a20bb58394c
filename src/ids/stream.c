/* SPDX-License-Identifier: MIT */
/*
 * TCP stream reassembly in-line (stream.h).
 *
 * Invariants:
 *  1. Bounded: a direction's state is a fixed record, its bytes at most one
 *     tail of IDS_STREAM_TAIL from a pool of IDS_STREAM_SLOTS; nothing
 *     grows, and every copy is inside a tail or the caller's segment.
 *  2. Only bytes that crossed are in a tail, in order: a segment's bytes
 *     join it at ids_stream_commit, which the caller calls only for a
 *     segment it let cross; classify moves nothing.
 *  3. The bytes seen first win: a segment's bytes before `next` are
 *     compared with the tail where it still holds them (DIFF when one
 *     differs) and never replace them; only the bytes from `next` on are
 *     new. Bytes older than the tail cannot be compared (counted in
 *     `unchecked`): the caller must not let a NEW segment with such bytes
 *     cross unscanned.
 *  4. Sequence numbers compare modulo 2^32 (a signed difference), so a
 *     stream wraps through 0 like any other number.
 *  5. A slot is taken back from its owner only when the owner's flow is
 *     gone (the caller's gone()), or by ids_stream_reset when a new flow
 *     takes the owner's entry; the owner's state then says it has no
 *     tail. Taken back from a gone flow, the owner keeps its next and is
 *     marked lost (IDS_DIR_LOST): its new bytes never start a stream
 *     afresh, as though nothing had crossed before them (starved says so).
 *     Looking for one costs at most IDS_STREAM_RECLAIM_STEPS.
 *  6. next is the sequence number after the last byte that crossed in
 *     order, never a FIN's: a FIN (which the receiver may never have taken:
 *     a bad checksum, an old timestamp) is kept apart, so the tail's last
 *     byte is always next - 1's, and bytes at or past a FIN that crossed,
 *     or a FIN elsewhere, are past_fin (a bare ACK after the FIN, at its
 *     sequence number + 1, carries none: the close's last ACK, a
 *     half-closed side's ACKs).
 */
#include "ids/stream.h"

#include "lib/rt.h"

void ids_stream_init(struct ids_stream_pool *p, struct ids_stream_dir *dirs, uint32_t ndirs,
		     ids_stream_gone_fn gone, void *ctx)
{
	p->dirs = dirs;
	p->ndirs = ndirs;
	p->free_head = IDS_STREAM_NONE;
	p->used = p->hand = p->fresh = 0;
	p->gone = gone;
	p->ctx = ctx;
	p->reclaimed = 0;
	for (uint32_t i = 0; i < ndirs; i++) {
		rt_memset(&dirs[i], 0, sizeof(dirs[i]));
		dirs[i].slot = IDS_STREAM_NONE;
	}
}

static void slot_put(struct ids_stream_pool *p, uint32_t slot)
{
	p->link[slot] = p->free_head;
	p->owner[slot] = IDS_STREAM_NONE;
	p->free_head = slot;
	p->used--;
}

void ids_stream_reset(struct ids_stream_pool *p, uint32_t owner)
{
	struct ids_stream_dir *d = &p->dirs[owner];

	if (d->slot != IDS_STREAM_NONE)
		slot_put(p, d->slot);
	rt_memset(d, 0, sizeof(*d));
	d->slot = IDS_STREAM_NONE;
}

bool ids_stream_rewind(struct ids_stream_pool *p, uint32_t owner, uint32_t seq)
{
	struct ids_stream_dir *d = &p->dirs[owner];
	uint32_t back;

	if (!d->init || (int32_t)(d->next - seq) <= 0)
		return false;
	back = d->next - seq;
	d->next = seq;
	d->len = d->len > back ? (uint16_t)(d->len - back) : 0; /* invariant 6: next - 1's last */
	if (!d->len)
		d->flags &= (uint8_t)~IDS_DIR_DATA;
	if ((d->flags & IDS_DIR_FIN) && (int32_t)(d->fin - seq) >= 0)
		d->flags &= (uint8_t)~IDS_DIR_FIN;
	return true;
}

/* A free slot, taking one back from a gone flow if none is (invariant 5);
 * IDS_STREAM_NONE when there is none. */
static uint32_t slot_get(struct ids_stream_pool *p)
{
	uint32_t s = IDS_STREAM_NONE;

	if (p->free_head != IDS_STREAM_NONE) {
		s = p->free_head;
		p->free_head = p->link[s];
	} else if (p->fresh < IDS_STREAM_SLOTS) {
		s = p->fresh++;
	} else {
		for (uint32_t i = 0; i < IDS_STREAM_RECLAIM_STEPS; i++) {
			uint32_t c = p->hand;

			p->hand = (p->hand + 1) % IDS_STREAM_SLOTS;
			if (p->owner[c] != IDS_STREAM_NONE && p->gone &&
			    p->gone(p->ctx, p->owner[c])) {
				struct ids_stream_dir *d = &p->dirs[p->owner[c]];

				/* its tail only: next stays, and says so (invariant 5) */
				slot_put(p, c);
				d->slot = IDS_STREAM_NONE;
				d->len = 0;
				d->flags |= IDS_DIR_LOST;
				p->reclaimed++;
				s = p->free_head;
				p->free_head = p->link[s];
				break;
			}
		}
		if (s == IDS_STREAM_NONE)
			return s;
	}
	p->used++;
	return s;
}

struct ids_seg_view ids_stream_classify(const struct ids_stream_pool *p, uint32_t owner,
					uint32_t seq, const uint8_t *data, uint32_t n, bool fin)
{
	const struct ids_stream_dir *d = &p->dirs[owner];
	struct ids_seg_view v = {IDS_SEG_NEW, 0, 0, false, true, false};
	int32_t off;
	uint32_t back, old, tl = d->len;
	const uint8_t *t;

	if (!d->init)
		return v;
	v.first = !(d->flags & IDS_DIR_DATA);
	if (d->flags & IDS_DIR_FIN) /* invariant 6 */
		v.past_fin = (n && (int32_t)(seq + n - d->fin) > 0) || (fin && seq + n != d->fin);
	off = (int32_t)(seq - d->next);
	if (off > 0) {
		v.kind = IDS_SEG_AHEAD;
		return v;
	}
	back = (uint32_t)-(int64_t)off; /* bytes before next the segment starts */
	if (back == 1 && n == 1) {
		/* a keepalive probe (RFC 9293 3.8.4: one byte at next - 1,
		 * any value, which Windows and BSD send): the tail's byte
		 * again, or a probe when the receiver took every byte before
		 * it, which the caller knows (probe: review-23, a byte the
		 * receiver never took, a SYN's data, is no probe's) */
		t = d->slot != IDS_STREAM_NONE ? p->tail[d->slot] : NULL;
		v.kind = IDS_SEG_OLD;
		v.skip = 1;
		v.first = false;
		v.probe = !t || !tl || t[tl - 1] != data[0];
		return v;
	}
	old = back < n ? back : n;	 /* of them, in the segment */
	v.skip = old;
	v.kind = old < n ? IDS_SEG_NEW : IDS_SEG_OLD;
	v.first = v.first && v.kind == IDS_SEG_NEW;
	/* its bytes [0, old) are the stream's [next - back, next - back + old);
	 * the tail holds [next - tl, next) */
	t = d->slot != IDS_STREAM_NONE ? p->tail[d->slot] : NULL;
	for (uint32_t i = 0; i < old; i++) {
		uint32_t behind = back - i; /* bytes before next */

		if (behind > tl || !t) {
			v.unchecked++;
			continue;
		}
		if (t[tl - behind] != data[i]) {
			v.kind = IDS_SEG_DIFF;
			return v;
		}
	}
	return v;
}

bool ids_stream_starved(struct ids_stream_pool *p, uint32_t owner)
{
	uint32_t s;

	if (p->dirs[owner].flags & IDS_DIR_LOST)
		return true;
	if (p->dirs[owner].slot != IDS_STREAM_NONE)
		return false;
	s = slot_get(p);
	if (s == IDS_STREAM_NONE)
		return true;
	/* keep it for the commit to come: free, at the list's head */
	p->used--;
	p->link[s] = p->free_head;
	p->owner[s] = IDS_STREAM_NONE;
	p->free_head = s;
	return false;
}

int ids_stream_commit(struct ids_stream_pool *p, uint32_t owner, uint32_t seq,
		      const uint8_t *data, uint32_t n, uint32_t skip, bool fin, bool ahead)
{
	struct ids_stream_dir *d = &p->dirs[owner];
	uint32_t add, keep;
	uint8_t *t;

	if (ahead || !d->init) {
		d->init = 1;
		d->next = seq;
		d->len = 0;
		d->flags &= (uint8_t)~IDS_DIR_FIN;
		skip = 0;
	}
	if (skip > n)
		skip = n;
	add = n - skip;
	if ((int32_t)(seq + skip - d->next) == 0) /* in order: next moves */
		d->next = seq + n;
	/* a FIN right after the last byte, kept apart (invariant 6) */
	if (fin && !(d->flags & IDS_DIR_FIN) && seq + n == d->next) {
		d->fin = d->next;
		d->flags |= IDS_DIR_FIN;
	}
	if (!add)
		return 0;
	d->flags |= IDS_DIR_DATA;
	if (d->slot == IDS_STREAM_NONE) {
		d->slot = slot_get(p);
		if (d->slot == IDS_STREAM_NONE) {
			d->len = 0;
			d->flags |= IDS_DIR_LOST;
			return -1;
		}
		p->owner[d->slot] = owner;
		d->len = 0;
	}
	t = p->tail[d->slot];
	data += skip;
	if (add >= IDS_STREAM_TAIL) {
		rt_memcpy(t, data + add - IDS_STREAM_TAIL, IDS_STREAM_TAIL);
		d->len = IDS_STREAM_TAIL;
		return 0;
	}
	keep = d->len + add > IDS_STREAM_TAIL ? IDS_STREAM_TAIL - add : d->len;
	for (uint32_t i = 0; i < keep; i++) /* forwards: the bytes move down */
		t[i] = t[d->len - keep + i];
	rt_memcpy(t + keep, data, add);
	d->len = (uint16_t)(keep + add);
	return 0;
}

const uint8_t *ids_stream_tail(const struct ids_stream_pool *p, uint32_t owner, uint32_t *len)
{
	const struct ids_stream_dir *d = &p->dirs[owner];

	if (d->slot == IDS_STREAM_NONE) {
		*len = 0;
		return NULL;
	}
	*len = d->len;
	return p->tail[d->slot];
}
