/* SPDX-License-Identifier: MIT */
/*
 * The ids layer's thresholds (thr.h).
 *
 * Invariants:
 *  1. The table is fixed (IDS_THR_MAX trackers): no match grows it, and
 *     one check looks at most IDS_THR_PROBE places, chosen by a keyed hash
 *     (SipHash, the layer's secret), so a peer cannot pick addresses that
 *     all land on one place.
 *  2. A tracker is taken over when free or when its window has ended (it
 *     would start again at the next match anyway); else the oldest running
 *     one among the places looked at whose loss costs only alerts (limit,
 *     threshold, both: it starts again, and alerts once more) gives its
 *     place, counted (evicted). A running detection_filter tracker is never
 *     given up, so no traffic can reset the count that holds a brute force
 *     back.
 *  3. No place even so: the match goes unthresholded and is counted (full),
 *     never silently dropped from the count of alerts. A peer that fills
 *     the table on a cheap `limit` rule from many sources therefore cannot
 *     make a detection_filter drop rule act on every host's first match.
 */
#include "ids/thr.h"

#include "lib/rt.h"

_Static_assert((IDS_THR_MAX & (IDS_THR_MAX - 1)) == 0, "the probe's odd step needs 2^n places");

void ids_thr_init(struct ids_thr *t, const uint8_t key[IDS_THR_KEY_BYTES])
{
	rt_memset(t, 0, sizeof(*t));
	t->key[0] = rt_le64(key);
	t->key[1] = rt_le64(key + 8);
}

static uint64_t window_ns(const struct ids_blob_rule *r)
{
	return (uint64_t)r->thr_seconds * 1000000000ull;
}

static bool ended(const struct ids_thr_entry *e, uint64_t win, uint64_t now)
{
	return win && now - e->start_ns >= win;
}

struct ids_thr_verdict ids_thr_check(struct ids_thr *t, const struct ids_blob_rule *rules,
				     uint32_t ri, const uint8_t *src, const uint8_t *dst,
				     unsigned alen, uint64_t now_ns)
{
	const struct ids_blob_rule *r = &rules[ri];
	const uint8_t *a = r->thr_by_dst ? dst : src;
	uint64_t win = window_ns(r);
	struct ids_thr_entry *e = NULL, *spare = NULL, *victim = NULL;
	uint8_t m[4 + 1 + 16];
	uint64_t hash;
	uint32_t h, step, c;

	if (!r->thr_type)
		return (struct ids_thr_verdict){true, true};
	if (alen > 16)
		alen = 16;
	rt_put32(m, ri);
	m[4] = (uint8_t)alen;
	rt_memcpy(m + 5, a, alen);
	hash = rt_siphash13(t->key, m, 5 + alen);
	/* double hashing: an odd step visits IDS_THR_PROBE distinct places of
	 * the power-of-two table, and trackers do not cluster as in runs */
	h = (uint32_t)hash % IDS_THR_MAX;
	step = (uint32_t)(hash >> 32) | 1;
	for (unsigned i = 0; i < IDS_THR_PROBE; i++) {
		struct ids_thr_entry *x = &t->e[(h + i * step) % IDS_THR_MAX];

		if (x->rule == ri + 1 && x->alen == alen && !rt_memcmp(x->a, a, alen)) {
			e = x;
			break;
		}
		/* a free place, or one whose window is over (its own rule's) */
		if (!spare && (!x->rule || ended(x, window_ns(&rules[x->rule - 1]), now_ns)))
			spare = x;
		/* else the oldest whose loss costs only alerts */
		if (x->rule && rules[x->rule - 1].thr_type != IDS_BLOB_THR_DETECTION &&
		    (!victim || x->start_ns < victim->start_ns))
			victim = x;
	}
	if (!e) {
		if (!spare && victim) {
			t->evicted++; /* invariant 2 */
			spare = victim;
		}
		if (!spare) {
			t->full++;
			return (struct ids_thr_verdict){true, true};
		}
		e = spare;
		rt_memset(e, 0, sizeof(*e));
		e->rule = ri + 1;
		e->alen = (uint8_t)alen;
		rt_memcpy(e->a, a, alen);
		e->start_ns = now_ns;
	}
	if (ended(e, win, now_ns)) {
		e->start_ns = now_ns;
		e->count = 0;
	}
	if (e->count < UINT32_MAX) /* saturates: a limit stays passed */
		e->count++;
	c = e->count;
	switch (r->thr_type) {
	case IDS_BLOB_THR_LIMIT:
		return (struct ids_thr_verdict){c <= r->thr_count, true};
	case IDS_BLOB_THR_THRESHOLD:
		if (c >= r->thr_count) {
			e->count = 0;
			return (struct ids_thr_verdict){true, true};
		}
		return (struct ids_thr_verdict){false, false};
	case IDS_BLOB_THR_BOTH:
		return (struct ids_thr_verdict){c == r->thr_count, c >= r->thr_count};
	default: /* detection_filter */
		return (struct ids_thr_verdict){c > r->thr_count, c > r->thr_count};
	}
}
