/* SPDX-License-Identifier: MIT */
/*
 * Matching one rule's detection items against one buffer, the way
 * Suricata's content inspection does: items in rule order, relative items
 * measured from the end of the previous match, and backtracking to the next
 * occurrence of a content when a later relative item fails.
 *
 * Invariants:
 *  1. every read is inside [p, p + len): windows are clamped before use;
 *  2. a rule's walk over one buffer takes at most IDS_MATCH_STEPS_MAX steps
 *     (each content occurrence tried is a step); past it the rule does not
 *     match;
 *  3. pcre runs PCRE2's interpreter with PCRE2's default match limits;
 *  4. byte_jump's arithmetic wraps in 64 bits (no signed overflow,
 *     whatever number the payload holds).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <stdbool.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"

struct mctx {
	const struct ids_rule *r;
	const uint8_t *p;
	uint32_t len;
	uint32_t min_end;
	uint32_t steps;
	uint8_t idx[IDS_SM_MAX];
	unsigned n;
	pcre2_match_data *md;
};

static const uint8_t *find(const uint8_t *h, uint32_t hn, const uint8_t *n, uint32_t nn, bool nocase)
{
	if (nn > hn)
		return NULL;
	if (!nocase)
		return memmem(h, hn, n, nn);
	for (uint32_t i = 0; i + nn <= hn; i++) {
		if (tolower(h[i]) != tolower(n[0]))
			continue;
		uint32_t j = 1;
		while (j < nn && tolower(h[i + j]) == tolower(n[j]))
			j++;
		if (j == nn)
			return h + i;
	}
	return NULL;
}

bool ids_cmp_ok(uint8_t cmp, int64_t v, int64_t a, int64_t b)
{
	switch (cmp) {
	case CMP_EQ: return v == a;
	case CMP_NE: return v != a;
	case CMP_LT: return v < a;
	case CMP_GT: return v > a;
	case CMP_LE: return v <= a;
	case CMP_GE: return v >= a;
	case CMP_RANGE: return v > a && v < b;
	case CMP_AND: return (v & a) != 0;
	case CMP_OR: return (v ^ a) != 0;
	}
	return false;
}

static bool read_num(const struct ids_sm *sm, const uint8_t *p, uint32_t len, int64_t at, uint64_t *v)
{
	if (at < 0 || at + sm->nbytes > (int64_t)len)
		return false;
	const uint8_t *b = p + at;
	*v = 0;
	if (sm->string) {
		char tmp[16];
		memcpy(tmp, b, sm->nbytes);
		tmp[sm->nbytes] = 0;
		char *e;
		*v = strtoull(tmp, &e, sm->base);
		return e != tmp;
	}
	for (unsigned i = 0; i < sm->nbytes; i++)
		*v = sm->little ? *v | (uint64_t)b[i] << (8 * i) : *v << 8 | b[i];
	return true;
}

/* x as a two's complement 64-bit value (defined where a cast of a value
 * past INT64_MAX is not). */
static int64_t s64(uint64_t x)
{
	return x > (uint64_t)INT64_MAX ? -(int64_t)(~x) - 1 : (int64_t)x;
}

/* Items k.. of the list match with the previous match ending at prev. */
static bool walk(struct mctx *m, unsigned k, uint32_t prev, uint32_t maxend)
{
	if (k == m->n)
		return maxend > m->min_end || (m->min_end == 0);
	if (++m->steps > IDS_MATCH_STEPS_MAX)
		return false;
	const struct ids_sm *sm = &m->r->sm[m->idx[k]];
	bool neg = sm->flags & CT_NEGATED;
	switch (sm->kind) {
	case SM_CONTENT: {
		int64_t lo = 0, hi = m->len;
		if (sm->flags & CT_RELATIVE) {
			lo = (int64_t)prev + ((sm->flags & CT_DISTANCE) ? sm->distance : 0);
			if (sm->flags & CT_WITHIN)
				hi = (int64_t)prev + ((sm->flags & CT_DISTANCE) ? sm->distance : 0) + sm->within;
		}
		if (sm->flags & CT_OFFSET)
			lo = lo > sm->offset ? lo : sm->offset;
		if (sm->flags & CT_DEPTH) {
			int64_t d = ((sm->flags & CT_OFFSET) ? sm->offset : 0) + sm->depth;
			if (sm->flags & CT_RELATIVE)
				d = lo + sm->depth;
			hi = hi < d ? hi : d;
		}
		if (sm->flags & CT_STARTSWITH) {
			lo = (sm->flags & CT_RELATIVE) ? lo : 0;
			hi = hi < lo + sm->len ? hi : lo + sm->len;
		}
		if (lo < 0)
			lo = 0;
		if (hi > m->len)
			hi = m->len;
		if (sm->flags & CT_ENDSWITH) {
			int64_t s = (int64_t)m->len - sm->len;
			if (s < lo || m->len > hi) {
				if (neg)
					return walk(m, k + 1, prev, maxend);
				return false;
			}
			lo = s;
		}
		uint32_t start = (uint32_t)lo;
		for (;;) {
			if (hi - (int64_t)start < sm->len)
				break;
			const uint8_t *f = find(m->p + start, (uint32_t)(hi - start), sm->pat, sm->len,
						sm->flags & CT_NOCASE);
			if (!f)
				break;
			if (neg)
				return false;
			uint32_t at = (uint32_t)(f - m->p), end = at + sm->len;
			if (walk(m, k + 1, end, end > maxend ? end : maxend))
				return true;
			if (m->steps > IDS_MATCH_STEPS_MAX)
				return false;
			/* backtrack only when a later item is relative */
			bool rel_later = false;
			for (unsigned j = k + 1; j < m->n; j++)
				if (m->r->sm[m->idx[j]].flags & CT_RELATIVE)
					rel_later = true;
			if (!rel_later && m->min_end == 0)
				return false;
			start = at + 1;
			if (++m->steps > IDS_MATCH_STEPS_MAX)
				return false;
		}
		return neg ? walk(m, k + 1, prev, maxend) : false;
	}
	case SM_PCRE: {
		uint32_t from = (sm->flags & CT_RELATIVE) ? prev : 0;
		if (from > m->len)
			return neg;
		bool first = true;
		for (;;) {
			/* relative: the subject starts at the previous match, so
			 * that ^ anchors there (Suricata passes it the same way) */
			uint32_t base = (sm->flags & CT_RELATIVE) ? prev : 0;
			int rc = pcre2_match(sm->re, m->p + base, m->len - base, from - base, 0, m->md, NULL);
			if (rc < 0)
				return neg && first ? walk(m, k + 1, prev, maxend) : false;
			if (neg)
				return false;
			first = false;
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
			uint32_t at = base + (uint32_t)ov[0], end = base + (uint32_t)ov[1];
			if (walk(m, k + 1, end, end > maxend ? end : maxend))
				return true;
			/* the next match, when a later item is relative to this one */
			bool rel_later = false;
			for (unsigned j = k + 1; j < m->n; j++)
				if (m->r->sm[m->idx[j]].flags & CT_RELATIVE)
					rel_later = true;
			if (!rel_later || at + 1 > m->len || ++m->steps > IDS_MATCH_STEPS_MAX)
				return false;
			from = at + 1;
		}
	}
	case SM_ISDATAAT: {
		bool ok = (sm->flags & CT_RELATIVE) ? (int64_t)prev + sm->a <= m->len : sm->a < m->len;
		if (ok == neg)
			return false;
		/* the bytes it asks for are part of the match: in a stream's
		 * window, data that came after a content in the old bytes makes
		 * the match end in the new ones */
		int64_t need = neg ? 0 : (sm->flags & CT_RELATIVE) ? (int64_t)prev + sm->a : sm->a + 1;
		return walk(m, k + 1, prev, need > (int64_t)maxend ? (uint32_t)need : maxend);
	}
	case SM_BSIZE:
	case SM_URILEN:
		if (!ids_cmp_ok(sm->cmp, m->len, sm->a, sm->b))
			return false;
		return walk(m, k + 1, prev, maxend);
	case SM_BYTE_TEST:
	case SM_BYTE_JUMP: {
		int64_t at = ((sm->flags & CT_RELATIVE) ? prev : 0) + (int64_t)sm->offset;
		uint64_t v;
		if (!read_num(sm, m->p, m->len, at, &v))
			return false;
		if (sm->kind == SM_BYTE_TEST) {
			if (ids_cmp_ok(sm->cmp, (int64_t)v, sm->a, 0) == neg)
				return false;
			return walk(m, k + 1, prev, maxend);
		}
		/* in 64 bits, wrapping where an 8-byte value overflows (as
		 * two's complement: the in-line walk's, src/ids/walk.c) */
		int64_t pos = s64(v * (uint64_t)(int64_t)sm->mult);
		if (sm->align && pos % 4)
			pos = s64((uint64_t)pos + (uint64_t)(4 - pos % 4));
		pos = s64((uint64_t)pos + (uint64_t)(sm->from_beginning ? 0 : at + sm->nbytes));
		pos = s64((uint64_t)pos + (uint64_t)(int64_t)sm->post);
		if (pos < 0 || pos > m->len)
			return false;
		return walk(m, k + 1, (uint32_t)pos, maxend);
	}
	}
	return false;
}

bool ids_match_buf(const struct ids_rule *r, unsigned buf, const uint8_t *p, uint32_t len,
		   uint32_t min_end)
{
	static pcre2_match_data *md;
	struct mctx m = { .r = r, .p = p ? p : (const uint8_t *)"", .len = len, .min_end = min_end };

	for (unsigned i = 0; i < r->nsm; i++)
		if (r->sm[i].buf == buf)
			m.idx[m.n++] = (uint8_t)i;
	if (!md)
		md = pcre2_match_data_create(32, NULL);
	m.md = md;
	return walk(&m, 0, 0, 0);
}
