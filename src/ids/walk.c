/* SPDX-License-Identifier: MIT */
/*
 * A walked rule's contents over one payload (walk.h), iteratively: the
 * offline engine's recursive walk (tools/policy/ids_match.c) with its
 * levels in arrays of IDS_BLOB_CONTENTS_MAX entries.
 *
 * Invariants:
 *  1. Every read is inside p[0 .. len) and the item's bytes: a window is
 *     clamped to the payload before a search, and a search never starts
 *     where the content would not fit.
 *  2. At most IDS_WALK_STEPS_MAX steps (each content entered, each retry
 *     of an earlier occurrence), the same steps the offline engine
 *     counts; past them the walk stops and says so (-1), it never
 *     answers "no match" for a walk it did not finish.
 *  3. No recursion and nothing on the stack beyond a few arrays of
 *     IDS_BLOB_CONTENTS_MAX words.
 *  4. Each step's search is linear in its window (a failure table for
 *     contents of WALK_KMP_MIN bytes or more, built in at most the
 *     window's length), so one rule's walk over a payload of n bytes costs
 *     at most about IDS_WALK_STEPS_MAX x 2n byte comparisons (x
 *     WALK_KMP_MIN for short contents), as the offline engine's memmem.
 *  6. With min_end (a stream's window whose bytes from min_end on are
 *     new), a match counts only when a positive content's match ends past
 *     min_end, as the offline engine's: every positive content's next
 *     occurrence is then tried, not only those a relative one hangs on.
 *  5. Every comparison is taken from the caller's budget, and a search
 *     that would go past it stops there: the walk then says -1, so all
 *     the walks of one frame together make at most the budget's
 *     comparisons (IDS_WALK_FRAME_BUDGET in the layer), whatever the
 *     payload and however many rules it makes candidates.
 *  7. A byte_test or byte_jump reads its bytes only when all of them lie
 *     in p[0 .. len) (else it fails, as offline), at most
 *     IDS_BLOB_BYTE_STR_MAX of them, and its arithmetic is the offline
 *     engine's in 64 bits, wrapping where that overflows (never undefined):
 *     a jump lands in [0, len] or fails; the bytes it reads count as
 *     comparisons (invariant 5).
 */
#include "ids/walk.h"

#include <stdbool.h>

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Contents longer than this are searched with a failure table
 * (Knuth-Morris-Pratt), so that no search costs more than a few passes
 * over its window; shorter ones directly (at most this many comparisons a
 * place). */
#define WALK_KMP_MIN 16u

static bool same(uint8_t a, uint8_t b, bool nocase)
{
	return nocase ? lower(a) == lower(b) : a == b;
}

/* The first place in h[from .. to) where n[0 .. nn) starts and ends
 * before `to`, or -1; -2 when *budget ran out first (invariant 5: what it
 * compared is taken from it either way); nn <= IDS_BLOB_CONTENT_LEN_MAX. */
static int64_t find(const uint8_t *h, uint32_t from, uint32_t to, const uint8_t *n, uint32_t nn,
		    bool nocase, uint64_t *budget)
{
	/* one walk at a time (the layer has one CPU; the tests one thread) */
	static uint16_t fail[IDS_BLOB_CONTENT_LEN_MAX];
	uint64_t left = *budget;
	int64_t at = -1;
	uint32_t k = 0;

	if (to < nn || from > to - nn)
		return -1;
	if (nn < WALK_KMP_MIN) {
		for (uint32_t i = from; i <= to - nn; i++) {
			uint32_t j = 0;

			while (j < nn && same(h[i + j], n[j], nocase))
				j++;
			if (left <= j) { /* j + 1 comparisons at most, each place */
				*budget = 0;
				return -2;
			}
			left -= j + 1;
			if (j == nn) {
				at = i;
				break;
			}
		}
		*budget = left;
		return at;
	}
	/* the table costs nn, no more than the window: the search stays linear */
	if (left < 2 * (uint64_t)nn) {
		*budget = 0;
		return -2;
	}
	left -= 2 * (uint64_t)nn;
	fail[0] = 0;
	for (uint32_t i = 1; i < nn; i++) {
		while (k && !same(n[i], n[k], nocase))
			k = fail[k - 1];
		if (same(n[i], n[k], nocase))
			k++;
		fail[i] = (uint16_t)k;
	}
	k = 0;
	for (uint32_t i = from; i < to; i++) {
		/* each place: one comparison, and the fall-backs it pays for
		 * (at most as many as places before it): two a place in all */
		if (left < 2) {
			*budget = 0;
			return -2;
		}
		left -= 2;
		while (k && !same(h[i], n[k], nocase))
			k = fail[k - 1];
		if (same(h[i], n[k], nocase))
			k++;
		if (k == nn) {
			at = (int64_t)i + 1 - nn;
			break;
		}
	}
	*budget = left;
	return at;
}

static bool space(uint8_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r'); /* isspace in the C locale */
}

/* c's value as a digit, or 99 */
static unsigned digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'z' ? c - 'a' + 10u : 99u;
}

bool ids_walk_strtou(const uint8_t *b, unsigned n, unsigned base, uint64_t *v)
{
	unsigned i = 0, start;
	bool neg = false;
	uint64_t x = 0;

	*v = 0;
	/* strtoull sees a string: it ends at the first NUL */
	for (unsigned k = 0; k < n; k++)
		if (!b[k]) {
			n = k;
			break;
		}
	while (i < n && space(b[i]))
		i++;
	if (i < n && (b[i] == '+' || b[i] == '-'))
		neg = b[i++] == '-';
	if (base == 16 && i + 1 < n && b[i] == '0' && lower(b[i + 1]) == 'x')
		i += 2;
	start = i;
	/* n <= IDS_BLOB_BYTE_STR_MAX digits: at most 16^10, no overflow */
	for (; i < n && digit(b[i]) < base; i++)
		x = x * base + digit(b[i]);
	if (i == start) {
		/* no digit: "0x" and no hexadecimal digit is a 0 that ends at
		 * the x (glibc's strtoull), anything else no number */
		return start >= 2 && lower(b[start - 1]) == 'x' && b[start - 2] == '0';
	}
	*v = neg ? 0 - x : x;
	return true;
}

/* Byte item c's number at p[at .. at + byte_n) of p[0 .. len), as the
 * offline engine's read_num; false: not all there, or no number. */
static bool read_num(const struct ids_blob_item *c, const uint8_t *p, uint32_t len, int64_t at,
		     uint64_t *v)
{
	if (at < 0 || at + c->byte_n > (int64_t)len)
		return false;
	p += at;
	if (c->byte_flags & IDS_BLOB_B_STRING)
		return ids_walk_strtou(p, c->byte_n, c->byte_base, v);
	*v = 0;
	for (unsigned i = 0; i < c->byte_n; i++)
		*v = (c->byte_flags & IDS_BLOB_B_LITTLE) ? *v | (uint64_t)p[i] << (8 * i)
							 : *v << 8 | p[i];
	return true;
}

/* The offline engine's comparisons (ids_cmp_ok) a byte_test has (the
 * check: no other). */
static bool cmp_ok(uint8_t cmp, int64_t v, int64_t a)
{
	switch (cmp) {
	case IDS_BLOB_EQ: return v == a;
	case IDS_BLOB_LT: return v < a;
	case IDS_BLOB_GT: return v > a;
	case IDS_BLOB_LE: return v <= a;
	case IDS_BLOB_GE: return v >= a;
	case IDS_BLOB_AND: return (v & a) != 0;
	case IDS_BLOB_OR: return (v ^ a) != 0;
	}
	return false;
}

/* Two's complement from 64 unsigned bits (what the offline engine's
 * signed arithmetic gives where it would overflow, defined here). */
static int64_t s64(uint64_t x)
{
	return x > (uint64_t)INT64_MAX ? -(int64_t)(~x) - 1 : (int64_t)x;
}

/* Byte item c after a previous match ending at prev: true when it holds
 * (a byte_jump: *next the new previous match's end, else prev). */
static bool byte_item(const struct ids_blob_item *c, const uint8_t *p, uint32_t len,
		      uint32_t prev, uint32_t *next)
{
	const int64_t at = ((c->flags & IDS_BLOB_I_RELATIVE) ? (int64_t)prev : 0) + c->offset;
	uint64_t v;
	int64_t pos;

	if (!read_num(c, p, len, at, &v))
		return false;
	*next = prev;
	if (c->flags & IDS_BLOB_I_BYTE_TEST)
		return cmp_ok(c->byte_cmp, s64(v), c->byte_value) != !!(c->flags & IDS_BLOB_I_NEGATED);
	pos = s64(v * (uint64_t)(int64_t)c->byte_mult);
	if ((c->byte_flags & IDS_BLOB_B_ALIGN) && pos % 4)
		pos = s64((uint64_t)pos + (uint64_t)(4 - pos % 4));
	if (!(c->byte_flags & IDS_BLOB_B_FROM_BEGINNING))
		pos = s64((uint64_t)pos + (uint64_t)(at + c->byte_n));
	pos = s64((uint64_t)pos + (uint64_t)(int64_t)c->byte_post);
	if (pos < 0 || pos > (int64_t)len)
		return false;
	*next = (uint32_t)pos;
	return true;
}

/* Item c's window [*lo, *hi) after a previous match ending at prev (the
 * offline engine's, clamped to the payload). false: an endswith content
 * cannot lie in it at all. */
static bool window(const struct ids_blob_item *c, uint32_t prev, uint32_t len, int64_t *lo,
		   int64_t *hi)
{
	int64_t l = 0, h = len;

	if (c->flags & IDS_BLOB_I_RELATIVE) {
		l = (int64_t)prev + ((c->flags & IDS_BLOB_I_DISTANCE) ? c->distance : 0);
		if (c->flags & IDS_BLOB_I_WITHIN)
			h = l + c->within;
	}
	if ((c->flags & IDS_BLOB_I_OFFSET) && l < c->offset)
		l = c->offset;
	if (c->flags & IDS_BLOB_I_DEPTH) {
		int64_t d = (c->flags & IDS_BLOB_I_RELATIVE)
				    ? l + c->depth
				    : ((c->flags & IDS_BLOB_I_OFFSET) ? c->offset : 0) + (int64_t)c->depth;

		if (h > d)
			h = d;
	}
	if (c->flags & IDS_BLOB_I_STARTSWITH) {
		if (!(c->flags & IDS_BLOB_I_RELATIVE))
			l = 0;
		if (h > l + c->len)
			h = l + c->len;
	}
	if (l < 0)
		l = 0;
	if (h > len)
		h = len;
	if (c->flags & IDS_BLOB_I_ENDSWITH) {
		int64_t s = (int64_t)len - c->len;

		if (s < l || len > h)
			return false;
		l = s;
	}
	*lo = l;
	*hi = h;
	return true;
}

int ids_walk(const struct ids_blob_item *it, unsigned n, const uint8_t *bytes,
	     const uint8_t *p, uint32_t len, uint32_t min_end, uint32_t *ends, uint64_t *budget,
	     const struct ids_walk_pcre *pc)
{
	uint32_t prev[IDS_BLOB_CONTENTS_MAX + 1], from[IDS_BLOB_CONTENTS_MAX];
	/* the furthest end of a positive content's match before item k */
	uint32_t maxend[IDS_BLOB_CONTENTS_MAX + 1];
	int64_t hi[IDS_BLOB_CONTENTS_MAX];
	bool rel_later[IDS_BLOB_CONTENTS_MAX];
	uint32_t steps = 0;
	unsigned k = 0;
	bool enter = true;

	if (n > IDS_BLOB_CONTENTS_MAX)
		return 0;
	/* An earlier content is tried again only when a later one is relative. */
	for (unsigned i = n, any = 0; i-- > 0;) {
		rel_later[i] = any;
		any |= !!(it[i].flags & IDS_BLOB_I_RELATIVE);
	}
	prev[0] = maxend[0] = 0;
	for (;;) {
		const struct ids_blob_item *c;
		bool ok = false;

		/* a stream's window: the match must end in its new bytes
		 * (invariant 6) */
		if (k == n && (!min_end || maxend[n] > min_end))
			return 1;
		if (k == n)
			goto back;
		c = &it[k];
		if (c->flags & IDS_BLOB_I_ISDATAAT) {
			/* the offline engine's: prev + value <= len relative,
			 * value < len (value + 1 <= len) from the start;
			 * NEGATED: not so. The
			 * bytes it asks for are part of the match (a stream's
			 * window: they may be the new ones). A step, as the
			 * offline engine counts one. */
			const bool rel = c->flags & IDS_BLOB_I_RELATIVE;
			const uint64_t need =
			    rel ? (uint64_t)prev[k] + (uint32_t)c->offset : (uint64_t)(uint32_t)c->offset + 1;

			if (++steps > IDS_WALK_STEPS_MAX)
				return -1;
			if ((need <= len) == !(c->flags & IDS_BLOB_I_NEGATED)) {
				prev[k + 1] = ends[k] = prev[k];
				maxend[k + 1] = maxend[k];
				if (!(c->flags & IDS_BLOB_I_NEGATED) && need > maxend[k])
					maxend[k + 1] = (uint32_t)need;
				k++;
				enter = true;
				continue;
			}
			goto back;
		}
		if (c->flags & IDS_BLOB_I_PCRE) {
			/* the offline engine's: relative, its subject from the
			 * previous match's end; a match moves the previous
			 * match's end and counts as a match's end (a stream's
			 * window); entered: from its subject's start, tried
			 * again: from one past its last match's start */
			const uint32_t base = (c->flags & IDS_BLOB_I_RELATIVE) ? prev[k] : 0;
			uint32_t ms, me;
			int m;

			if (enter && ++steps > IDS_WALK_STEPS_MAX)
				return -1; /* a retry's step is the back loop's */
			if (enter)
				from[k] = base;
			if (!pc || base > len || from[k] > len)
				return -1; /* cannot be: prev <= len; no matcher: fail closed */
			m = pc->match(pc->ctx, c->pat, p + base, len - base, from[k] - base, !enter,
				      &ms, &me);
			if (m < 0)
				return -1;
			if (c->flags & IDS_BLOB_I_NEGATED) {
				if (m || !enter)
					goto back;
				prev[k + 1] = ends[k] = prev[k];
				maxend[k + 1] = maxend[k];
				k++;
				enter = true;
				continue;
			}
			if (!m || me < ms || me > len - base)
				goto back;
			ends[k] = base + me;
			from[k] = base + ms + 1;
			prev[k + 1] = ends[k];
			maxend[k + 1] = ends[k] > maxend[k] ? ends[k] : maxend[k];
			k++;
			enter = true;
			continue;
		}
		if (c->flags & (IDS_BLOB_I_BYTE_TEST | IDS_BLOB_I_BYTE_JUMP)) {
			/* the offline engine's: a step; the match's end does not
			 * move (a stream's window: a jump's landing is no match
			 * in the new bytes), the previous match's end does on a
			 * jump */
			if (++steps > IDS_WALK_STEPS_MAX)
				return -1;
			/* the bytes it reads, from the frame's budget (invariant 5) */
			if (*budget < c->byte_n) {
				*budget = 0;
				return -1;
			}
			*budget -= c->byte_n;
			if (byte_item(c, p, len, prev[k], &prev[k + 1])) {
				ends[k] = prev[k + 1];
				maxend[k + 1] = maxend[k];
				k++;
				enter = true;
				continue;
			}
			goto back;
		}
		if (enter) {
			int64_t lo, h;

			if (++steps > IDS_WALK_STEPS_MAX)
				return -1;
			if (!window(c, prev[k], len, &lo, &h)) {
				from[k] = 0;
				hi[k] = 0; /* nothing fits: absent */
			} else {
				from[k] = (uint32_t)lo;
				hi[k] = h;
			}
		}
		if (hi[k] >= (int64_t)from[k] + c->len) {
			int64_t at = find(p, from[k], (uint32_t)hi[k], bytes + c->at, c->len,
					  c->flags & IDS_BLOB_I_NOCASE, budget);

			if (at == -2)
				return -1; /* the frame's budget is spent (invariant 5) */
			if (at >= 0 && !(c->flags & IDS_BLOB_I_NEGATED)) {
				ends[k] = (uint32_t)at + c->len;
				from[k] = (uint32_t)at + 1;
				prev[k + 1] = ends[k];
				maxend[k + 1] = ends[k] > maxend[k] ? ends[k] : maxend[k];
				k++;
				enter = true;
				continue;
			}
			ok = at < 0 && (c->flags & IDS_BLOB_I_NEGATED);
		} else {
			ok = c->flags & IDS_BLOB_I_NEGATED;
		}
		if (ok) { /* a negated content absent: on, from the same place */
			prev[k + 1] = ends[k] = prev[k];
			maxend[k + 1] = maxend[k];
			k++;
			enter = true;
			continue;
		}
back:
		/* Back to the latest positive content with a relative one after
		 * it (or any, in a stream's window), to its next occurrence, or
		 * positive pcre with a relative one after it, to its next match;
		 * a negated content or pcre, an isdataat, a byte_test or a
		 * byte_jump only passes the failure on. */
		for (;;) {
			if (!k)
				return 0;
			k--;
			if ((it[k].flags & IDS_BLOB_I_PCRE) && !(it[k].flags & IDS_BLOB_I_NEGATED) &&
			    rel_later[k]) {
				if (from[k] > len)
					continue; /* no start left (the offline engine's at + 1 > len) */
				if (++steps > IDS_WALK_STEPS_MAX)
					return -1;
				break;
			}
			if ((it[k].flags & (IDS_BLOB_I_NEGATED | IDS_BLOB_I_NOT_CONTENT)) ||
			    (!rel_later[k] && !min_end))
				continue;
			if (++steps > IDS_WALK_STEPS_MAX)
				return -1;
			break;
		}
		enter = false;
	}
}
