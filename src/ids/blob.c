/* SPDX-License-Identifier: MIT */
/*
 * The ids blob's check (blob.h), shared by the ids layer (before it uses a
 * sealed blob) and the policy program (before it reuses a cached one).
 *
 * Invariants: a blob that passes has every table inside it, at an aligned
 * offset, without overlap with the header; every rule has 1 to
 * IDS_BLOB_CONTENTS_MAX contents, or none (a header-only rule: then no
 * item, no pcre, no bsize, no app-layer flag), its address lists (at most
 * IDS_BLOB_ADDRS_MAX a side, each entry of family 4 or 6 with a prefix
 * within it) and port lists (at most IDS_BLOB_PORTS_MAX ranges a side,
 * lo <= hi) inside their tables, only known flow bits, flowbits
 * operations (at most IDS_BLOB_FB_PER_RULE, known, each of 1 to
 * IDS_BLOB_FB_NAMES bits below IDS_BLOB_FLOWBITS_MAX) numbering the
 * table's exactly, known packet fields with known comparisons, a known action
 * and protocol and a NUL-terminated msg;
 * every pattern names a rule; and the patterns of each rule number its
 * contents exactly; likewise its pcres (at most IDS_BLOB_PCRES_MAX), each
 * relative one after a content of its own rule, with known flags, and the
 * PCRE2 codes present (within IDS_BLOB_PCRE_MAX) exactly when a pcre is;
 * a walked rule has one pattern, named by exactly one of its items (at
 * most IDS_BLOB_CONTENTS_MAX), a positive one, and a relative pcre of it
 * comes after an item of its own; each item has known flags (DISTANCE and WITHIN only with RELATIVE),
 * offset, depth and within not negative, its bytes (1 to
 * IDS_BLOB_CONTENT_LEN_MAX) inside the content bytes (at most
 * IDS_BLOB_BYTES_MAX), and a rule that is not walked has none; a
 * threshold of a known type and track, count >= 1, and none of its fields
 * set without a type. Buffers: every database (one per buffer) inside the
 * blob, their sizes together within IDS_BLOB_DB_MAX, at least one; every
 * pattern, item and pcre of a known buffer, the payload's in a rule that
 * is not an app-layer rule, an HTTP request's in an HTTP rule (a
 * response's in a response rule, which is an HTTP rule), a DNS query
 * name's in a DNS rule and the server name's in a TLS rule (one of the
 * three at most; an HTTP or TLS rule is TCP, a DNS rule UDP), a pattern's buffer one with a database, a walked rule's items
 * grouped by buffer in increasing order with its pattern's item in the
 * pattern's buffer, a relative pcre in the buffer of the content before
 * it. An isdataat item has its value in range and no content; a byte_test
 * or byte_jump item (byte_item_ok) no content either, and its fields in
 * the ranges the walk reads them in (its bytes 1 to 10 as text in base 8,
 * 10 or 16, 1 to 8 binary, offset and post_offset within
 * IDS_BLOB_BYTE_OFF_MAX, a multiplier of 1 to IDS_BLOB_BYTE_MULT_MAX, a
 * comparison byte_test has), the fields of the other kind 0; no other
 * item has a byte_* field set.
 * The header-only rules' index (at most IDS_BLOB_HIX_MAX entries) names
 * header-only rules only, each entry of side 0 or 1, family 4 or 6, a
 * prefix within it and no bit set past it, in the index's order
 * (ids_blob_hix_cmp), so that a binary search finds every entry; the
 * every-frame list names header-only rules only, in increasing order; and
 * they are exactly what the rules' own lists make them (ids_blob_hix_side:
 * each header-only rule's positive entries of its indexed side, both
 * sides with `<>`, or the rule in the every-frame list), so that a rule
 * the layer counts is a rule it can find. A blob without databases has
 * header-only rules.
 * The Hyperscan database is checked by Hyperscan itself
 * (hs_deserialize_database_at: magic, version, platform, CRC), the PCRE2
 * codes' header by pcre2_serialize_decode.
 */
#include "ids/blob.h"

#include "lib/rt.h"

_Static_assert(sizeof(struct ids_blob_hdr) % 8 == 0, "ids blob header not 8-byte sized");
_Static_assert(sizeof(struct ids_blob_rule) % 8 == 0, "ids blob rule not 8-byte sized");
_Static_assert(sizeof(struct ids_blob_pcre) % 8 == 0, "ids blob pcre not 8-byte sized");
_Static_assert(sizeof(struct ids_blob_rule) == 208, "ids blob rule layout changed");
_Static_assert(sizeof(struct ids_blob_item) == 56, "ids blob item layout changed");
_Static_assert(sizeof(struct ids_blob_addr) == 20, "ids blob addr layout changed");
_Static_assert(sizeof(struct ids_blob_fb) == 20, "ids blob flowbits layout changed");
_Static_assert(sizeof(struct ids_blob_pattern) == 8, "ids blob pattern layout changed");
_Static_assert(sizeof(struct ids_blob_hix) == 24, "ids blob index layout changed");

int ids_blob_hix_cmp(const struct ids_blob_hix *x, const struct ids_blob_hix *y)
{
	int c;

	if (x->side != y->side)
		return x->side < y->side ? -1 : 1;
	if (x->af != y->af)
		return x->af < y->af ? -1 : 1;
	if (x->bits != y->bits)
		return x->bits < y->bits ? -1 : 1;
	c = rt_memcmp(x->a, y->a, sizeof(x->a));
	if (c)
		return c < 0 ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* Whether a[] has no bit set past its first `bits`. */
static bool prefix_clean(const uint8_t a[16], unsigned bits)
{
	for (unsigned i = 0; i < 16; i++)
		if (a[i] & (uint8_t)~ids_blob_prefix_mask(bits, i))
			return false;
	return true;
}

void ids_blob_hix_key(struct ids_blob_hix *x, uint32_t rule, uint8_t side,
		      const struct ids_blob_addr *e)
{
	rt_memset(x, 0, sizeof(*x));
	x->rule = rule;
	x->side = side;
	x->af = e->af;
	x->bits = e->bits;
	for (unsigned i = 0; i < 16; i++)
		x->a[i] = e->a[i] & ids_blob_prefix_mask(e->bits, i);
}

/* How narrow list v[0 .. n) is: its widest positive entry's prefix in
 * IPv4 bits (an IPv6 /128 counts as a /32, a /64 as a /16), or -1 when it
 * has no positive entry (any, or negated entries alone). */
static int narrowness(const struct ids_blob_addr *v, uint32_t n)
{
	int w = -1;

	for (uint32_t i = 0; i < n; i++) {
		int e = v[i].af == 4 ? v[i].bits : v[i].bits / 4;

		if (!v[i].neg && (w < 0 || e < w))
			w = e;
	}
	return w;
}

int ids_blob_hix_side(const struct ids_blob_addr *addrs, const struct ids_blob_rule *r)
{
	const int ws = r->nsrc ? narrowness(addrs + r->src, r->nsrc) : -1;
	const int wd = r->ndst ? narrowness(addrs + r->dst, r->ndst) : -1;

	if (ws < 0 && wd < 0)
		return 2;
	return ws >= 0 && ws >= wd ? 0 : 1;
}

/* Whether sorted x[0 .. n) holds k exactly. */
static bool hix_has(const struct ids_blob_hix *x, uint32_t n, const struct ids_blob_hix *k)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = ids_blob_hix_cmp(&x[mid], k);

		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The index and the every-frame list of checked rules r (h's, addresses
 * a): each entry well-formed and in order, each header-only rule's own
 * entries there (its indexed side's positive ones, masked, with its tag;
 * both sides' tags with `<>`) or the rule in the every-frame list, and
 * nothing more: 0, or -1. */
static int hdr_only_ok(const struct ids_blob_hdr *h, const struct ids_blob_rule *r,
		       const struct ids_blob_addr *a)
{
	const struct ids_blob_hix *x =
		(const struct ids_blob_hix *)((const uint8_t *)h + h->hix_off);
	const uint32_t *all = (const uint32_t *)((const uint8_t *)h + h->hall_off);
	uint64_t want_hix = 0, want_all = 0;

	for (uint32_t i = 0; i < h->nhix; i++)
		if (x[i].rule >= h->nrules || r[x[i].rule].ncontents || x[i].side > 1 ||
		    (x[i].af != 4 && x[i].af != 6) || x[i].bits > (x[i].af == 4 ? 32 : 128) ||
		    x[i].pad || !prefix_clean(x[i].a, x[i].bits) ||
		    (i && ids_blob_hix_cmp(&x[i - 1], &x[i]) > 0))
			return -1;
	for (uint32_t i = 0; i < h->nhall; i++)
		if (all[i] >= h->nrules || r[all[i]].ncontents || (i && all[i] <= all[i - 1]))
			return -1;
	for (uint32_t i = 0; i < h->nrules; i++) {
		const int side = r[i].ncontents ? -1 : ids_blob_hix_side(a, &r[i]);
		const struct ids_blob_addr *v;
		uint32_t n, lo = 0, hi = h->nhall;

		if (side < 0)
			continue;
		if (side == 2) { /* in the every-frame list (sorted) */
			while (lo < hi) {
				uint32_t mid = lo + (hi - lo) / 2;

				if (all[mid] < i)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo == h->nhall || all[lo] != i)
				return -1;
			want_all++;
			continue;
		}
		v = a + (side ? r[i].dst : r[i].src);
		n = side ? r[i].ndst : r[i].nsrc;
		for (uint32_t k = 0; k < n; k++) {
			struct ids_blob_hix key;

			if (v[k].neg)
				continue;
			for (unsigned s = 0; s <= (r[i].bidir ? 1u : 0u); s++) {
				ids_blob_hix_key(&key, i, (uint8_t)(s ? !side : side), &v[k]);
				if (!hix_has(x, h->nhix, &key))
					return -1;
				want_hix++;
			}
		}
	}
	return want_hix == h->nhix && want_all == h->nhall ? 0 : -1;
}

/* Buffer b for rule r: known; the payload in a rule that is not an
 * app-layer rule, an HTTP request's buffer in an HTTP rule (a response's
 * in a response rule, IDS_BLOB_HTTP_TC), a DNS query
 * name's in a DNS rule, the server name's in a TLS rule. */
static bool buf_ok(const struct ids_blob_hdr *h, const struct ids_blob_rule *r, uint8_t b)
{
	(void)h;
	if (b >= IDS_BLOB_BUFS)
		return false;
	switch (r->flags & IDS_BLOB_APP) {
	case 0: return b == IDS_BUF_PKT;
	case IDS_BLOB_HTTP:
		return (r->flags & IDS_BLOB_HTTP_TC) ? ids_blob_resp_buf(b)
						     : b > IDS_BUF_PKT && b <= IDS_BUF_START;
	case IDS_BLOB_DNS: return b == IDS_BUF_DNS_QUERY || b == IDS_BUF_DNS_QUERY_DOT;
	case IDS_BLOB_TLS: return b == IDS_BUF_TLS_SNI || b == IDS_BUF_TLS_SNI_DOT;
	}
	return false; /* more than one */
}

/* Buffer b for a walked item or a walked pcre of rule r: buf_ok's, or the
 * payload's in an HTTP rule (its packet contents, which the layer walks
 * over the message's header block, else its body); never a pattern's. */
static bool item_buf_ok(const struct ids_blob_hdr *h, const struct ids_blob_rule *r, uint8_t b)
{
	return buf_ok(h, r, b) || ((r->flags & IDS_BLOB_APP) == IDS_BLOB_HTTP && b == IDS_BUF_PKT);
}

/* A byte_test or byte_jump item: no content, no pattern, RELATIVE (and
 * for byte_test NEGATED) alone, its fields in range and those it has not
 * 0, so that one blob has one meaning. */
static bool byte_item_ok(const struct ids_blob_item *c)
{
	const bool test = c->flags & IDS_BLOB_I_BYTE_TEST;
	const bool str = c->byte_flags & IDS_BLOB_B_STRING;
	const uint32_t kind = test ? IDS_BLOB_I_BYTE_TEST : IDS_BLOB_I_BYTE_JUMP;

	if ((c->flags & ~(kind | IDS_BLOB_I_RELATIVE | (test ? IDS_BLOB_I_NEGATED : 0u))) ||
	    c->len || c->at || c->depth || c->distance || c->within || c->pat != IDS_BLOB_NONE ||
	    c->offset < -IDS_BLOB_BYTE_OFF_MAX || c->offset > IDS_BLOB_BYTE_OFF_MAX ||
	    !c->byte_n || c->byte_n > (str ? IDS_BLOB_BYTE_STR_MAX : IDS_BLOB_BYTE_BIN_MAX) ||
	    (str ? c->byte_base != 8 && c->byte_base != 10 && c->byte_base != 16 : c->byte_base) ||
	    (str && (c->byte_flags & IDS_BLOB_B_LITTLE)) ||
	    (c->byte_flags & ~(uint32_t)(IDS_BLOB_B_LITTLE | IDS_BLOB_B_STRING | IDS_BLOB_B_ALIGN |
					 IDS_BLOB_B_FROM_BEGINNING)))
		return false;
	if (test)
		return (c->byte_cmp <= IDS_BLOB_GE || c->byte_cmp == IDS_BLOB_AND ||
			c->byte_cmp == IDS_BLOB_OR) &&
		       !c->byte_mult && !c->byte_post &&
		       !(c->byte_flags & (IDS_BLOB_B_ALIGN | IDS_BLOB_B_FROM_BEGINNING));
	return !c->byte_value && !c->byte_cmp && c->byte_mult >= 1 &&
	       c->byte_mult <= IDS_BLOB_BYTE_MULT_MAX && c->byte_post >= -IDS_BLOB_BYTE_OFF_MAX &&
	       c->byte_post <= IDS_BLOB_BYTE_OFF_MAX;
}

static bool table_ok(const struct ids_blob_hdr *h, uint32_t off, uint64_t n, uint64_t each)
{
	return off >= sizeof(*h) && !(off & 7) && rt_range_ok(off, n * each, h->size);
}

int ids_blob_check(const void *blob, uint64_t size, const char **why)
{
	const struct ids_blob_hdr *h = blob;
	const struct ids_blob_rule *r;
	const struct ids_blob_pattern *p;
	const struct ids_blob_pcre *x;
	const struct ids_blob_addr *a;
	const struct ids_blob_port *pt;
	const struct ids_blob_fb *fb;
	const struct ids_blob_item *it;
	uint64_t want_fb = 0, want = 0, want_pcre = 0, want_items = 0, dbs = 0, hdr_only = 0;

	*why = "too small for its header";
	if (size < sizeof(*h) || ((uintptr_t)blob & 7))
		return -1;
	*why = "not an ids blob (magic or version)";
	if (h->magic != IDS_BLOB_MAGIC || h->version != IDS_BLOB_VERSION)
		return -1;
	*why = "its size field is not its size";
	if (h->size != size)
		return -1;
	*why = "a table outside the blob, or a limit passed";
	if (!h->nrules || h->nrules > IDS_BLOB_RULES_MAX ||
	    h->npatterns > (uint64_t)h->nrules * IDS_BLOB_CONTENTS_MAX ||
	    !table_ok(h, h->rule_off, h->nrules, sizeof(*r)) ||
	    !table_ok(h, h->pattern_off, h->npatterns, sizeof(*p)) ||
	    h->npcre > (uint64_t)h->nrules * IDS_BLOB_PCRES_MAX ||
	    !table_ok(h, h->pcre_off, h->npcre, sizeof(*x)) ||
	    !table_ok(h, h->addr_off, h->naddrs, sizeof(*a)) ||
	    !table_ok(h, h->port_off, h->nports, sizeof(*pt)) ||
	    h->nfbs > (uint64_t)h->nrules * IDS_BLOB_FB_PER_RULE ||
	    !table_ok(h, h->fb_off, h->nfbs, sizeof(*fb)) ||
	    h->nitems > (uint64_t)h->nrules * IDS_BLOB_CONTENTS_MAX ||
	    !table_ok(h, h->item_off, h->nitems, sizeof(*it)) ||
	    h->bytes_size > IDS_BLOB_BYTES_MAX || !table_ok(h, h->bytes_off, h->bytes_size, 1) ||
	    h->nhix > IDS_BLOB_HIX_MAX ||
	    !table_ok(h, h->hix_off, h->nhix, sizeof(struct ids_blob_hix)) ||
	    h->nhall > h->nrules || !table_ok(h, h->hall_off, h->nhall, sizeof(uint32_t)) ||
	    (h->npcre ? !h->pcre_code_size || h->pcre_code_size > IDS_BLOB_PCRE_MAX ||
			    !table_ok(h, h->pcre_code_off, h->pcre_code_size, 1)
		      : h->pcre_code_size || h->pcre_code_off))
		return -1;
	*why = "a database outside the blob, misaligned, none, or past IDS_BLOB_DB_MAX together";
	for (unsigned b = 0; b < IDS_BLOB_BUFS; b++) {
		const struct ids_blob_db *d = &h->dbs[b];

		if (d->size ? !table_ok(h, d->off, d->size, 1) : d->off)
			return -1;
		dbs += d->size;
	}
	if (dbs > IDS_BLOB_DB_MAX)
		return -1;
	r = (const struct ids_blob_rule *)((const uint8_t *)blob + h->rule_off);
	p = (const struct ids_blob_pattern *)((const uint8_t *)blob + h->pattern_off);
	a = (const struct ids_blob_addr *)((const uint8_t *)blob + h->addr_off);
	pt = (const struct ids_blob_port *)((const uint8_t *)blob + h->port_off);
	*why = "an address or port entry out of bounds (family, prefix, range)";
	for (uint32_t i = 0; i < h->naddrs; i++)
		if ((a[i].af != 4 && a[i].af != 6) || a[i].neg > 1 ||
		    a[i].bits > (a[i].af == 4 ? 32 : 128))
			return -1;
	for (uint32_t i = 0; i < h->nports; i++)
		if (pt[i].lo > pt[i].hi || pt[i].neg > 1)
			return -1;
	fb = (const struct ids_blob_fb *)((const uint8_t *)blob + h->fb_off);
	*why = "a flowbits operation out of bounds (operation, names, bits)";
	for (uint32_t i = 0; i < h->nfbs; i++) {
		if (fb[i].op > IDS_BLOB_FB_ISNOTSET || fb[i].any > 1 || !fb[i].n ||
		    fb[i].n > IDS_BLOB_FB_NAMES)
			return -1;
		for (unsigned k = 0; k < fb[i].n; k++)
			if (fb[i].bit[k] >= IDS_BLOB_FLOWBITS_MAX)
				return -1;
	}
	*why = "a rule out of bounds (contents, addresses, ports, flow, action, protocol or msg)";
	for (uint32_t i = 0; i < h->nrules; i++) {
		if (r[i].ncontents > IDS_BLOB_CONTENTS_MAX ||
		    (!r[i].ncontents && (r[i].nitems || r[i].npcre || (r[i].flags & IDS_BLOB_APP) ||
					 (r[i].fields & IDS_BLOB_F_BSIZE))) ||
		    r[i].nsrc > IDS_BLOB_ADDRS_MAX || r[i].ndst > IDS_BLOB_ADDRS_MAX ||
		    (uint64_t)r[i].src + r[i].nsrc > h->naddrs ||
		    (uint64_t)r[i].dst + r[i].ndst > h->naddrs ||
		    r[i].nsport > IDS_BLOB_PORTS_MAX || r[i].ndport > IDS_BLOB_PORTS_MAX ||
		    (uint64_t)r[i].sport + r[i].nsport > h->nports ||
		    (uint64_t)r[i].dport + r[i].ndport > h->nports ||
		    (r[i].flow & ~IDS_BLOB_FLOW_ALL) ||
		    (r[i].flags & ~(IDS_BLOB_NOALERT | IDS_BLOB_APP | IDS_BLOB_HTTP_TC |
				    IDS_BLOB_ON_HTTP)) ||
		    ((r[i].flags & IDS_BLOB_ON_HTTP) &&
		     ((r[i].flags & IDS_BLOB_APP) || r[i].proto != IDS_BLOB_TCP || !r[i].ncontents)) ||
		    ((r[i].flags & IDS_BLOB_HTTP_TC) && !(r[i].flags & IDS_BLOB_HTTP)) ||
		    ((r[i].flags & (IDS_BLOB_HTTP | IDS_BLOB_TLS)) && r[i].proto != IDS_BLOB_TCP) ||
		    ((r[i].flags & IDS_BLOB_DNS) && r[i].proto != IDS_BLOB_UDP) ||
		    r[i].nfb > IDS_BLOB_FB_PER_RULE || (r[i].fields & ~IDS_BLOB_F_ALL) ||
		    r[i].dsize_cmp > IDS_BLOB_NE || r[i].itype_cmp > IDS_BLOB_NE ||
		    r[i].icode_cmp > IDS_BLOB_NE ||
		    ((r[i].fields & IDS_BLOB_F_BSIZE) &&
		     (r[i].bsize_cmp > IDS_BLOB_RANGE || r[i].bsize_buf == IDS_BUF_PKT ||
		      r[i].bsize_buf == IDS_BUF_DNS_QUERY_DOT || r[i].bsize_buf == IDS_BUF_TLS_SNI_DOT ||
		      r[i].bsize_buf >= IDS_BLOB_BUFS)) ||
		    (r[i].tcp_mod && r[i].tcp_mod != '+' && r[i].tcp_mod != '*' &&
		     r[i].tcp_mod != '!') ||
		    (r[i].action != IDS_BLOB_ALERT && r[i].action != IDS_BLOB_DROP) ||
		    (r[i].proto != IDS_BLOB_IP && r[i].proto != IDS_BLOB_TCP &&
		     r[i].proto != IDS_BLOB_UDP && r[i].proto != IDS_BLOB_ICMP) ||
		    r[i].npcre > IDS_BLOB_PCRES_MAX ||
		    r[i].nitems > IDS_BLOB_CONTENTS_MAX || (r[i].nitems && r[i].ncontents != 1) ||
		    r[i].thr_type > IDS_BLOB_THR_DETECTION || r[i].thr_by_dst > 1 ||
		    (r[i].thr_type ? !r[i].thr_count
				   : r[i].thr_count || r[i].thr_seconds || r[i].thr_by_dst) ||
		    rt_strnlen(r[i].msg, IDS_BLOB_MSG_MAX) == IDS_BLOB_MSG_MAX)
			return -1;
		want += r[i].ncontents;
		hdr_only += !r[i].ncontents;
		want_items += r[i].nitems;
		want_pcre += r[i].npcre;
		want_fb += r[i].nfb;
	}
	*why = "no database and no header-only rule";
	if (!dbs && !hdr_only)
		return -1;
	*why = "the header-only rules' index or every-frame list out of bounds, of another rule, "
	       "out of order, or not each header-only rule's own addresses";
	if (hdr_only_ok(h, r, a))
		return -1;
	*why = "the flowbits operations do not match the rules'";
	if (want_fb != h->nfbs)
		return -1;
	*why = "the patterns do not match the rules' contents";
	if (want != h->npatterns)
		return -1;
	*why = "a pattern of another rule, of an unknown buffer or of one without a database, or "
	       "a buffer of another kind of rule (the payload in an app-layer rule, an HTTP, DNS or TLS "
	       "buffer in another)";
	for (uint32_t i = 0, at = 0; i < h->nrules; i++)
		for (uint32_t k = 0; k < r[i].ncontents; k++, at++)
			if (p[at].rule != i || !buf_ok(h, &r[i], p[at].buf) ||
			    !h->dbs[p[at].buf].size)
				return -1;
	it = (const struct ids_blob_item *)((const uint8_t *)blob + h->item_off);
	*why = "the walked contents do not match the rules' contents (count, pattern, flags, "
	       "bounds or bytes)";
	if (want_items != h->nitems)
		return -1;
	x = (const struct ids_blob_pcre *)((const uint8_t *)blob + h->pcre_off);
	if (want_pcre != h->npcre) { /* before an item names a pcre */
		*why = "the pcres do not match the rules' pcres";
		return -1;
	}
	for (uint32_t i = 0, at = 0, pat = 0, pc = 0; i < h->nrules;
	     pat += r[i].ncontents, pc += r[i++].npcre) {
		uint32_t named = 0; /* items naming the rule's pattern */
		uint32_t pnamed = 0, nwalked = 0; /* its walked pcres named, and how many */

		for (uint32_t k = 0; k < r[i].npcre; k++)
			nwalked += !!(x[pc + k].flags & IDS_BLOB_PCRE_WALKED);
		for (uint32_t k = 0; k < r[i].nitems; k++, at++) {
			const struct ids_blob_item *c = &it[at];
			bool neg = c->flags & IDS_BLOB_I_NEGATED;

			/* grouped by buffer, in increasing order; the pattern's
			 * item in the pattern's buffer */
			if (!item_buf_ok(h, &r[i], c->buf) || (k && c->buf < it[at - 1].buf) ||
			    c->pad[0] || c->pad[1] || c->pad[2] ||
			    (!(c->flags & IDS_BLOB_I_PCRE) && c->pat != IDS_BLOB_NONE &&
			     c->pat < h->npatterns && p[c->pat].buf != c->buf))
				return -1;
			if (c->pad2[0] || c->pad2[1] || c->pad2[2] || c->pad2[3])
				return -1;
			if (c->flags & IDS_BLOB_I_PCRE) {
				/* one of its own rule's walked pcres, in its buffer,
				 * each named once; no content, no field */
				uint32_t j = c->pat - pc;

				if ((c->flags & ~(uint32_t)(IDS_BLOB_I_PCRE | IDS_BLOB_I_RELATIVE |
							    IDS_BLOB_I_NEGATED)) ||
				    c->len || c->at || c->offset || c->depth || c->distance ||
				    c->within || c->byte_value || c->byte_mult || c->byte_post ||
				    c->byte_n || c->byte_base || c->byte_cmp || c->byte_flags ||
				    c->pat < pc || j >= r[i].npcre || j >= IDS_BLOB_PCRES_MAX ||
				    !(x[c->pat].flags & IDS_BLOB_PCRE_WALKED) ||
				    x[c->pat].buf != c->buf || (pnamed >> j & 1))
					return -1;
				pnamed |= 1u << j;
				continue;
			}
			if (c->flags & (IDS_BLOB_I_BYTE_TEST | IDS_BLOB_I_BYTE_JUMP)) {
				if (!byte_item_ok(c))
					return -1;
				continue;
			}
			/* the byte_* fields are a byte item's alone */
			if (c->byte_value || c->byte_mult || c->byte_post || c->byte_n ||
			    c->byte_base || c->byte_cmp || c->byte_flags)
				return -1;
			if (c->flags & IDS_BLOB_I_ISDATAAT) {
				/* no content: its value, RELATIVE and NEGATED only */
				if ((c->flags & ~(uint32_t)(IDS_BLOB_I_ISDATAAT | IDS_BLOB_I_RELATIVE |
							    IDS_BLOB_I_NEGATED)) ||
				    c->len || c->at || c->depth || c->distance || c->within ||
				    c->offset < 0 || c->offset > IDS_BLOB_ISDATAAT_MAX ||
				    c->pat != IDS_BLOB_NONE)
					return -1;
				continue;
			}
			if ((c->flags & ~(uint32_t)IDS_BLOB_I_ALL) ||
			    ((c->flags & (IDS_BLOB_I_DISTANCE | IDS_BLOB_I_WITHIN)) &&
			     !(c->flags & IDS_BLOB_I_RELATIVE)) ||
			    c->offset < 0 || c->depth < 0 || c->within < 0 || !c->len ||
			    c->len > IDS_BLOB_CONTENT_LEN_MAX ||
			    !rt_range_ok(c->at, c->len, h->bytes_size) ||
			    (c->pat != IDS_BLOB_NONE && (c->pat != pat || neg)))
				return -1;
			named += c->pat != IDS_BLOB_NONE;
		}
		for (uint32_t j = 0; j < IDS_BLOB_PCRES_MAX; j++) /* each named once */
			nwalked -= pnamed >> j & 1;
		if ((r[i].nitems && named != 1) || nwalked)
			return -1;
	}
	*why = "the pcres do not match the rules' pcres";
	if (want_pcre != h->npcre)
		return -1;
	for (uint32_t i = 0, at = 0, item = 0; i < h->nrules; item += r[i++].nitems)
		for (uint32_t k = 0; k < r[i].npcre; k++, at++) {
			uint32_t af = x[at].after;

			if (x[at].rule != i || (x[at].flags & ~(uint32_t)(IDS_BLOB_PCRE_RELATIVE |
									 IDS_BLOB_PCRE_NEGATED |
									 IDS_BLOB_PCRE_WALKED)) ||
			    !((x[at].flags & IDS_BLOB_PCRE_WALKED) ? item_buf_ok(h, &r[i], x[at].buf)
								    : buf_ok(h, &r[i], x[at].buf)))
				return -1;
			/* walked: an item of a walked rule carries it (above) */
			if (x[at].flags & IDS_BLOB_PCRE_WALKED) {
				if (x[at].flags != IDS_BLOB_PCRE_WALKED || af != IDS_BLOB_NONE ||
				    !r[i].nitems)
					return -1;
				continue;
			}
			/* relative: after an item of its own rule (the walk ends
			 * each one where the previous match then is: walk.h) or,
			 * not walked, a content of it, in its own buffer */
			if (!(x[at].flags & IDS_BLOB_PCRE_RELATIVE) ? af != IDS_BLOB_NONE
			    : r[i].nitems ? af < item || af - item >= r[i].nitems ||
						it[af].buf != x[at].buf
					  : af >= h->npatterns || p[af].rule != i ||
						p[af].buf != x[at].buf)
				return -1;
		}
	*why = NULL;
	return 0;
}

const char *ids_blob_needs_clock(const struct ids_blob_hdr *h)
{
	const struct ids_blob_rule *r =
		(const struct ids_blob_rule *)((const uint8_t *)h + h->rule_off);

	for (uint32_t i = 0; i < h->nrules; i++)
		if (r[i].thr_type)
			return "thresholds";
	return h->npcre ? "pcres" : NULL;
}
