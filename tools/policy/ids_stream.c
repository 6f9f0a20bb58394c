/* SPDX-License-Identifier: MIT */
/*
 * TCP reassembly of one direction of a stream.
 *
 * Invariants:
 *  1. the in-order window never holds more than IDS_STREAM_WINDOW bytes:
 *     older bytes leave it (they were inspected when they arrived);
 *  2. out-of-order data is held up to IDS_OOO_SEGS_MAX segments and
 *     IDS_OOO_MAX bytes per direction, and all reassembly memory together up
 *     to IDS_REASM_MEMCAP; a segment past either limit is dropped and
 *     counted, never stored;
 *  3. overlaps keep the bytes received first (Suricata's default since 4.0:
 *     data already in the stream is never replaced), whether the earlier
 *     bytes are in order already or still waiting out of order;
 *  4. sequence numbers compare modulo 2^32 (signed differences).
 */
#include <stdlib.h>
#include <string.h>

#include "ids.h"

static int32_t sdiff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

void ids_stream_start(struct ids_stream *s, uint32_t next)
{
	s->init = true;
	s->next = next;
}

static void append(struct ids_stream *s, const uint8_t *d, uint32_t n, struct ids_reasm_stats *st)
{
	if (!s->buf) {
		s->cap = IDS_STREAM_WINDOW;
		s->buf = malloc(s->cap);
		st->mem += s->cap;
	}
	if (n >= s->cap) {
		memcpy(s->buf, d + n - s->cap, s->cap);
		s->len = s->cap;
	} else {
		if (s->len + n > s->cap) {
			uint32_t drop = s->len + n - s->cap;
			memmove(s->buf, s->buf + drop, s->len - drop);
			s->len -= drop;
		}
		memcpy(s->buf + s->len, d, n);
		s->len += n;
	}
	s->next += n;
	s->total += n;
}

static void ooo_remove(struct ids_stream *s, uint32_t i, struct ids_reasm_stats *st)
{
	s->ooo_bytes -= s->ooo[i].len;
	st->mem -= s->ooo[i].len;
	free(s->ooo[i].data);
	memmove(&s->ooo[i], &s->ooo[i + 1], (s->nooo - i - 1) * sizeof(s->ooo[0]));
	s->nooo--;
}

/* Stores [seq, seq+len) minus what earlier out-of-order segments cover. */
static void ooo_add(struct ids_stream *s, uint32_t seq, const uint8_t *d, uint32_t len,
		    struct ids_reasm_stats *st)
{
	for (uint32_t i = 0; i < s->nooo && len; i++) {
		struct ids_seg *g = &s->ooo[i];
		uint32_t gend = g->seq + g->len, end = seq + len;
		if (sdiff(end, g->seq) <= 0 || sdiff(seq, gend) >= 0)
			continue;
		s->overlaps++;
		st->overlaps++;
		if (sdiff(seq, g->seq) < 0) {
			/* the part before g first, then what is after g */
			uint32_t left = (uint32_t)sdiff(g->seq, seq);
			if (sdiff(end, gend) > 0) {
				uint32_t skip = (uint32_t)sdiff(gend, seq);
				ooo_add(s, gend, d + skip, len - skip, st);
			}
			len = left;
			i = UINT32_MAX;	/* rescan for the shortened piece */
			continue;
		}
		/* starts inside g: keep only what is past g */
		if (sdiff(end, gend) <= 0)
			return;
		uint32_t skip = (uint32_t)sdiff(gend, seq);
		seq = gend;
		d += skip;
		len -= skip;
		i = UINT32_MAX;
	}
	if (!len)
		return;
	if (s->nooo == IDS_OOO_SEGS_MAX || s->ooo_bytes + len > IDS_OOO_MAX ||
	    st->mem + len > IDS_REASM_MEMCAP) {
		s->ooo_dropped++;
		st->ooo_dropped++;
		if (st->mem + len > IDS_REASM_MEMCAP)
			st->memcap_hits++;
		return;
	}
	uint32_t at = 0;
	while (at < s->nooo && sdiff(s->ooo[at].seq, seq) < 0)
		at++;
	memmove(&s->ooo[at + 1], &s->ooo[at], (s->nooo - at) * sizeof(s->ooo[0]));
	s->ooo[at].seq = seq;
	s->ooo[at].len = len;
	s->ooo[at].data = malloc(len);
	memcpy(s->ooo[at].data, d, len);
	s->nooo++;
	s->ooo_bytes += len;
	st->mem += len;
}

uint32_t ids_stream_add(struct ids_stream *s, uint32_t seq, const uint8_t *d, uint32_t len,
			struct ids_reasm_stats *st)
{
	uint64_t before = s->total;

	if (!s->init || !len)
		return 0;
	/* what is already in order: trimmed (first bytes win) */
	if (sdiff(seq, s->next) < 0) {
		uint32_t old = (uint32_t)sdiff(s->next, seq);
		s->overlaps++;
		st->overlaps++;
		if (old >= len)
			return 0;
		seq += old;
		d += old;
		len -= old;
	}
	if (seq != s->next) {
		ooo_add(s, seq, d, len, st);
		return 0;
	}
	/* in order: but bytes waiting out of order that it overlaps came first */
	uint32_t take = len;
	if (s->nooo && sdiff(seq + len, s->ooo[0].seq) > 0)
		take = (uint32_t)sdiff(s->ooo[0].seq, seq);
	append(s, d, take, st);
	if (take < len) {
		s->overlaps++;
		st->overlaps++;
	}
	/* drain what is now in order */
	while (s->nooo && sdiff(s->ooo[0].seq, s->next) <= 0) {
		struct ids_seg *g = &s->ooo[0];
		uint32_t old = (uint32_t)sdiff(s->next, g->seq);
		if (old < g->len)
			append(s, g->data + old, g->len - old, st);
		ooo_remove(s, 0, st);
	}
	/* the rest of the in-order segment past the drained data */
	if (take < len && sdiff(seq + len, s->next) > 0) {
		uint32_t skip = (uint32_t)sdiff(s->next, seq);
		ids_stream_add(s, s->next, d + skip, len - skip, st);
	}
	return (uint32_t)(s->total - before);
}

void ids_stream_free(struct ids_stream *s, struct ids_reasm_stats *st)
{
	while (s->nooo)
		ooo_remove(s, s->nooo - 1, st);
	if (s->buf)
		st->mem -= s->cap;
	free(s->buf);
	memset(s, 0, sizeof(*s));
}
