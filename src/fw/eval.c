/* SPDX-License-Identifier: MIT */
/*
 * The policy blob's check and the evaluation of a frame against it.
 *
 * Invariants:
 *  1. fw_blob_check proves every offset, count and index of a blob before
 *     the engine uses it: each record array lies in the blob, 8-aligned;
 *     each rule's matches, each chain's rules and each set's elements lie in
 *     their arrays; a set's key width is its match's; every jump target is a regular chain; every match reads
 *     a known field with its exact width; every set is sorted with disjoint
 *     intervals (so the binary search is right); base chains come in
 *     priority order; no chain reaches itself by jumps and no walk nests
 *     deeper than FW_JUMP_MAX (checked again at run time, invariant 3);
 *  2. the blob is only read: counters live in the engine;
 *  3. a rule walk nests at most FW_JUMP_MAX chains; deeper is a drop;
 *  4. semantics are nft's: rules in order, the first accept/drop/reject of
 *     a base chain ends it; accept only ends that base chain (the next base
 *     chain of the hook still runs), drop and reject end the hook; a chain
 *     that ends without verdict returns (regular) or applies its policy
 *     (base); a match on a field the frame lacks fails (nft's implicit
 *     protocol dependency), negated or not;
 *  5. a frame the rules accept only passes if conntrack can hold its new
 *     flow (fw_ct_confirm); a later IPv4/IPv6 fragment passes only after its
 *     datagram's first fragment was accepted, and a first fragment without
 *     its whole L4 header is invalid (parse.c invariant 5), so it is judged
 *     on its ports or dropped, never accepted for lack of them.
 */
#include "fw/fw.h"
#include "lib/rt.h"

_Static_assert(sizeof(struct fw_blob_hdr) == 64, "blob header layout");
_Static_assert(sizeof(struct fw_chain) == 48, "chain record layout");
_Static_assert(sizeof(struct fw_rule) == 24, "rule record layout");
_Static_assert(sizeof(struct fw_match) == 40, "match record layout");
_Static_assert(sizeof(struct fw_set) == 48, "set record layout");
_Static_assert(sizeof(struct fw_elem) == 32, "element record layout");

static const uint8_t field_len[FW_F_COUNT] = {
	[FW_F_IIF] = 1, [FW_F_OIF] = 1,
	[FW_F_ETHER_SADDR] = 6, [FW_F_ETHER_DADDR] = 6,
	[FW_F_IP_SADDR] = 4, [FW_F_IP_DADDR] = 4,
	[FW_F_IP6_SADDR] = 16, [FW_F_IP6_DADDR] = 16,
	[FW_F_L4PROTO] = 1, [FW_F_IP_PROTOCOL] = 1, [FW_F_IP6_NEXTHDR] = 1,
	[FW_F_TCP_SPORT] = 2, [FW_F_TCP_DPORT] = 2,
	[FW_F_UDP_SPORT] = 2, [FW_F_UDP_DPORT] = 2,
	[FW_F_TCP_FLAGS] = 1, [FW_F_ICMP_TYPE] = 1, [FW_F_ICMP6_TYPE] = 1,
	[FW_F_CT_STATE] = 1, [FW_F_NFPROTO] = 1,
};

unsigned fw_field_len(unsigned field)
{
	return field < FW_F_COUNT ? field_len[field] : 0;
}

int fw_key_cmp(const uint8_t *a, const uint8_t *b, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

/* ---- the blob check (invariant 1) ---------------------------------------- */

static bool array_ok(const struct fw_blob_hdr *h, uint32_t off, uint32_t n, uint32_t max,
		     size_t rec)
{
	return n <= max && off % 8 == 0 && rt_range_ok(off, (uint64_t)n * rec, h->size) &&
	       off >= sizeof(*h);
}

static bool name_ok(const char *n)
{
	return rt_strnlen(n, FW_NAME_MAX) < FW_NAME_MAX;
}

static int check_rules(const struct fw_blob_hdr *h, const struct fw_chain *c,
		       const struct fw_rule *r, const char **why)
{
	for (uint32_t i = 0; i < h->nrules; i++) {
		if (r[i].first_match > h->nmatches || r[i].nmatches > h->nmatches - r[i].first_match ||
		    r[i].nmatches > FW_RULE_MATCHES_MAX) {
			*why = "a rule's matches lie outside the match array";
			return -1;
		}
		if (r[i].verdict >= FW_V_COUNT) {
			*why = "unknown verdict";
			return -1;
		}
		if ((r[i].verdict == FW_V_JUMP || r[i].verdict == FW_V_GOTO) &&
		    (r[i].target >= h->nchains || c[r[i].target].base)) {
			*why = "a jump to a missing or base chain";
			return -1;
		}
	}
	return 0;
}

static int check_chains(const struct fw_blob_hdr *h, const struct fw_chain *c, const char **why)
{
	bool base_seen = false;
	int32_t prio = 0;

	for (uint32_t i = 0; i < h->nchains; i++) {
		if (c[i].first_rule > h->nrules || c[i].nrules > h->nrules - c[i].first_rule ||
		    c[i].base > 1 || !name_ok(c[i].name)) {
			*why = "a chain record is malformed";
			return -1;
		}
		if (!c[i].base)
			continue;
		if ((c[i].policy != FW_V_ACCEPT && c[i].policy != FW_V_DROP) ||
		    (base_seen && c[i].prio < prio)) {
			*why = "a base chain's policy or priority order is wrong";
			return -1;
		}
		base_seen = true;
		prio = c[i].prio;
	}
	return 0;
}

/* Longest jump nesting from each chain, by relaxation: a value still growing
 * after nchains rounds means a cycle. */
static int check_depth(const struct fw_blob_hdr *h, const struct fw_chain *c,
		       const struct fw_rule *r, const char **why)
{
	uint8_t depth[FW_CHAINS_MAX] = { 0 };

	for (uint32_t round = 0; round <= h->nchains; round++) {
		bool changed = false;
		for (uint32_t i = 0; i < h->nchains; i++) {
			for (uint32_t k = 0; k < c[i].nrules; k++) {
				const struct fw_rule *x = &r[c[i].first_rule + k];
				if (x->verdict != FW_V_JUMP && x->verdict != FW_V_GOTO)
					continue;
				if (depth[x->target] + 1u > depth[i]) {
					if (depth[x->target] + 1u > FW_JUMP_MAX) {
						*why = "jumps nest deeper than FW_JUMP_MAX or loop";
						return -1;
					}
					depth[i] = (uint8_t)(depth[x->target] + 1);
					changed = true;
				}
			}
		}
		if (!changed)
			return 0;
	}
	*why = "chains jump in a loop";
	return -1;
}

static int check_sets(const struct fw_blob_hdr *h, const struct fw_set *s,
		      const struct fw_elem *e, const char **why)
{
	for (uint32_t i = 0; i < h->nsets; i++) {
		unsigned len = fw_field_len(s[i].field);
		if (!len || s[i].len != len || s[i].first_elem > h->nelems ||
		    s[i].nelems > h->nelems - s[i].first_elem || !name_ok(s[i].name)) {
			*why = "a set record is malformed";
			return -1;
		}
		for (uint32_t k = 0; k < s[i].nelems; k++) {
			const struct fw_elem *x = &e[s[i].first_elem + k];
			if (fw_key_cmp(x->lo, x->hi, len) > 0 ||
			    (k && fw_key_cmp(x[-1].hi, x->lo, len) >= 0)) {
				*why = "a set's elements are not sorted and disjoint";
				return -1;
			}
		}
	}
	return 0;
}

static int check_matches(const struct fw_blob_hdr *h, const struct fw_match *m,
			 const struct fw_set *s, const char **why)
{
	for (uint32_t i = 0; i < h->nmatches; i++) {
		unsigned len = fw_field_len(m[i].field);
		if (!len || m[i].len != len || m[i].op >= FW_OP_COUNT || m[i].neg > 1 ||
		    (m[i].op == FW_OP_SET && (m[i].set >= h->nsets || s[m[i].set].len != m[i].len))) {
			*why = "a match record is malformed";
			return -1;
		}
	}
	return 0;
}

int fw_blob_check(const void *blob, size_t len, const char **why)
{
	const struct fw_blob_hdr *h = blob;
	const uint8_t *b = blob;

	if (len < sizeof(*h) || (uintptr_t)blob % 8) {
		*why = "blob too short or misaligned";
		return -1;
	}
	if (h->magic != FW_BLOB_MAGIC || h->version != FW_BLOB_VERSION || h->size != len) {
		*why = "not a policy blob of this version (magic, version or size)";
		return -1;
	}
	if (!array_ok(h, h->chain_off, h->nchains, FW_CHAINS_MAX, sizeof(struct fw_chain)) ||
	    !array_ok(h, h->rule_off, h->nrules, FW_RULES_MAX, sizeof(struct fw_rule)) ||
	    !array_ok(h, h->match_off, h->nmatches, FW_MATCHES_MAX, sizeof(struct fw_match)) ||
	    !array_ok(h, h->set_off, h->nsets, FW_SETS_MAX, sizeof(struct fw_set)) ||
	    !array_ok(h, h->elem_off, h->nelems, FW_ELEMS_MAX, sizeof(struct fw_elem))) {
		*why = "a record array lies outside the blob or exceeds its limit";
		return -1;
	}
	const struct fw_chain *c = (const void *)(b + h->chain_off);
	const struct fw_rule *r = (const void *)(b + h->rule_off);
	const struct fw_match *m = (const void *)(b + h->match_off);
	const struct fw_set *s = (const void *)(b + h->set_off);
	const struct fw_elem *e = (const void *)(b + h->elem_off);
	if (check_chains(h, c, why) || check_rules(h, c, r, why) || check_sets(h, s, e, why) ||
	    check_matches(h, m, s, why) || check_depth(h, c, r, why))
		return -1;
	return 0;
}

/* ---- evaluation ------------------------------------------------------------ */

void fw_engine_init(struct fw_engine *fw, const void *blob, const uint8_t ct_key[FW_CT_KEY_BYTES])
{
	const uint8_t *b = blob;

	fw->blob = b;
	fw->hdr = blob;
	rt_memset(fw->rule_counter, 0, fw->hdr->nrules * sizeof(fw->rule_counter[0]));
	rt_memset(&fw->stats, 0, sizeof(fw->stats));
	fw->parse_flags = 0;
	fw->reject_tcp = 0;
	fw->chains = (const void *)(b + fw->hdr->chain_off);
	fw->rules = (const void *)(b + fw->hdr->rule_off);
	fw->matches = (const void *)(b + fw->hdr->match_off);
	fw->sets = (const void *)(b + fw->hdr->set_off);
	fw->elems = (const void *)(b + fw->hdr->elem_off);
	fw_ct_init(&fw->ct, ct_key);
}

struct frame_ctx {
	const struct fw_pkt *p;
	unsigned iif;
	uint8_t ct_bit;
};

static void put_be16(uint8_t *v, uint16_t x)
{
	v[0] = (uint8_t)(x >> 8);
	v[1] = (uint8_t)x;
}

/* The value of a field, or false where the frame has none (invariant 4). */
static bool field_value(const struct frame_ctx *x, unsigned f, uint8_t *v)
{
	const struct fw_pkt *p = x->p;
	bool ip4 = p->l3 == FW_L3_IP4, ip6 = p->l3 == FW_L3_IP6;
	bool tcp = (ip4 || ip6) && p->proto == FW_PROTO_TCP && p->l4_ok;
	bool udp = (ip4 || ip6) && p->proto == FW_PROTO_UDP && p->l4_ok;

	switch (f) {
	case FW_F_IIF:
		v[0] = (uint8_t)x->iif;
		return true;
	case FW_F_OIF:
		v[0] = x->iif == FW_IF_GUEST ? FW_IF_HOST : FW_IF_GUEST;
		return true;
	case FW_F_ETHER_SADDR:
		rt_memcpy(v, p->smac, 6);
		return true;
	case FW_F_ETHER_DADDR:
		rt_memcpy(v, p->dmac, 6);
		return true;
	case FW_F_IP_SADDR:
	case FW_F_IP6_SADDR:
		rt_memcpy(v, p->saddr, p->alen);
		return f == FW_F_IP_SADDR ? ip4 : ip6;
	case FW_F_IP_DADDR:
	case FW_F_IP6_DADDR:
		rt_memcpy(v, p->daddr, p->alen);
		return f == FW_F_IP_DADDR ? ip4 : ip6;
	case FW_F_L4PROTO:
	case FW_F_IP_PROTOCOL:
	case FW_F_IP6_NEXTHDR:
		v[0] = p->proto;
		return f == FW_F_L4PROTO ? ip4 || ip6 : f == FW_F_IP_PROTOCOL ? ip4 : ip6;
	case FW_F_TCP_SPORT:
		put_be16(v, p->sport);
		return tcp;
	case FW_F_TCP_DPORT:
		put_be16(v, p->dport);
		return tcp;
	case FW_F_UDP_SPORT:
		put_be16(v, p->sport);
		return udp;
	case FW_F_UDP_DPORT:
		put_be16(v, p->dport);
		return udp;
	case FW_F_TCP_FLAGS:
		v[0] = p->tcp_flags;
		return tcp;
	case FW_F_ICMP_TYPE:
		v[0] = p->icmp_type;
		return ip4 && p->proto == FW_PROTO_ICMP && p->l4_ok;
	case FW_F_ICMP6_TYPE:
		v[0] = p->icmp_type;
		return ip6 && p->proto == FW_PROTO_ICMP6 && p->l4_ok;
	case FW_F_CT_STATE:
		v[0] = x->ct_bit;
		return true;
	case FW_F_NFPROTO:
		v[0] = ip4 ? FW_NFPROTO_IPV4 : FW_NFPROTO_IPV6;
		return ip4 || ip6;
	}
	return false;
}

/* Binary search over sorted, disjoint intervals: O(log n). */
static bool set_has(const struct fw_engine *fw, const struct fw_set *s, const uint8_t *v)
{
	const struct fw_elem *e = fw->elems + s->first_elem;
	uint32_t lo = 0, hi = s->nelems;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (fw_key_cmp(v, e[mid].lo, s->len) < 0)
			hi = mid;
		else if (fw_key_cmp(v, e[mid].hi, s->len) > 0)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static bool match_one(const struct fw_engine *fw, const struct frame_ctx *x,
		      const struct fw_match *m)
{
	uint8_t v[FW_KEY_MAX];
	bool hit = false;

	if (!field_value(x, m->field, v))
		return false;
	switch (m->op) {
	case FW_OP_RANGE:
		hit = fw_key_cmp(v, m->a, m->len) >= 0 && fw_key_cmp(v, m->b, m->len) <= 0;
		break;
	case FW_OP_SET:
		hit = set_has(fw, &fw->sets[m->set], v);
		break;
	case FW_OP_ANY:
		for (unsigned i = 0; i < m->len; i++)
			hit |= (v[i] & m->a[i]) != 0;
		break;
	case FW_OP_MASKEQ:
		hit = true;
		for (unsigned i = 0; i < m->len; i++)
			hit &= (v[i] & m->a[i]) == m->b[i];
		break;
	}
	return hit != (bool)m->neg;
}

static bool rule_matches(const struct fw_engine *fw, const struct frame_ctx *x,
			 const struct fw_rule *r)
{
	for (uint32_t i = 0; i < r->nmatches; i++)
		if (!match_one(fw, x, &fw->matches[r->first_match + i]))
			return false;
	return true;
}

/* One base chain: FW_V_ACCEPT, FW_V_DROP or FW_V_REJECT (invariants 3, 4). */
static unsigned run_base(struct fw_engine *fw, const struct frame_ctx *x, uint32_t base)
{
	uint32_t stack_chain[FW_JUMP_MAX + 1], stack_rule[FW_JUMP_MAX + 1];
	unsigned depth = 0;
	uint32_t chain = base, k = 0;

	for (;;) {
		const struct fw_chain *c = &fw->chains[chain];
		if (k >= c->nrules) {
			if (depth == 0)	/* also the end of a chain reached by goto */
				return fw->chains[base].policy;
			depth--;
			chain = stack_chain[depth];
			k = stack_rule[depth];
			continue;
		}
		uint32_t ri = c->first_rule + k++;
		const struct fw_rule *r = &fw->rules[ri];
		if (!rule_matches(fw, x, r))
			continue;
		if (r->counter) {
			fw->rule_counter[ri].packets++;
			fw->rule_counter[ri].bytes += x->p->len;
		}
		switch (r->verdict) {
		case FW_V_CONTINUE:
			continue;
		case FW_V_ACCEPT:
		case FW_V_DROP:
		case FW_V_REJECT:
			fw->reject_tcp = r->reject_tcp;
			return r->verdict;
		case FW_V_RETURN:
			k = fw->chains[chain].nrules;
			continue;
		case FW_V_JUMP:
			if (depth == FW_JUMP_MAX) {
				fw->stats.jump_overflow++;
				return FW_V_DROP;
			}
			stack_chain[depth] = chain;
			stack_rule[depth] = k;
			depth++;
			chain = r->target;
			k = 0;
			continue;
		case FW_V_GOTO:
			chain = r->target;
			k = 0;
			continue;
		}
		return FW_V_DROP;
	}
}

static unsigned evaluate(struct fw_engine *fw, const struct frame_ctx *x)
{
	unsigned v = FW_V_ACCEPT;	/* a hook without base chains accepts, as nft */

	for (uint32_t i = 0; i < fw->hdr->nchains; i++) {
		if (!fw->chains[i].base)
			continue;
		v = run_base(fw, x, i);
		if (v != FW_V_ACCEPT)
			return v;
	}
	return v;
}

static unsigned count(struct fw_engine *fw, unsigned v)
{
	if (v == FW_V_ACCEPT)
		fw->stats.accepted++;
	else if (v == FW_V_REJECT)
		fw->stats.rejected++;
	else
		fw->stats.dropped++;
	return v;
}

unsigned fw_filter(struct fw_engine *fw, const uint8_t *frame, size_t len, unsigned iif,
		   uint64_t now)
{
	struct fw_pkt p;
	struct fw_ct_result r;

	fw->stats.frames++;
	fw->stats.bytes += len;
	if (fw_parse_flags(frame, len, fw->parse_flags, &p)) {
		fw->stats.invalid++;
		if (p.frag == FW_FRAG_FIRST)	/* its L4 header cut short */
			fw->stats.frag_dropped++;
		return count(fw, FW_V_DROP);
	}
	/* ARP never reaches nft's inet hooks: a bridge passes it. */
	if (p.l3 == FW_L3_ARP)
		return count(fw, FW_V_ACCEPT);
	if (p.frag == FW_FRAG_LATER) {	/* invariant 5 */
		if (fw_frag_known(&fw->ct, &p, now))
			return count(fw, FW_V_ACCEPT);
		fw->stats.frag_dropped++;
		return count(fw, FW_V_DROP);
	}
	fw_ct_in(&fw->ct, &p, now, &r);
	struct frame_ctx x = { .p = &p, .iif = iif, .ct_bit = (uint8_t)FW_CT_BIT(r.state) };
	unsigned v = evaluate(fw, &x);
	if (v == FW_V_ACCEPT && fw_ct_confirm(&fw->ct, &p, now, &r)) {
		fw->stats.ct_full++;
		v = FW_V_DROP;
	}
	if (v == FW_V_ACCEPT && p.frag == FW_FRAG_FIRST)
		fw_frag_remember(&fw->ct, &p, now);
	return count(fw, v);
}
