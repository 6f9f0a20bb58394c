/* SPDX-License-Identifier: MIT */
/*
 * Rule headers and flows in-line (flow.h).
 *
 * Invariants:
 *  1. An address or port list matches as Suricata's does: one positive
 *     entry (or none in the list) and no negated entry; an address entry
 *     of the other family never matches; a rule with ports never matches a
 *     frame without them (a later fragment, ICMP).
 *  2. The flow table is the firewall's conntrack (fixed size, FW_CT_MAX
 *     flows, Linux's TCP state machine and windows, keyed hash): a frame
 *     conntrack calls new enters it before any rule runs, so its sender is
 *     the client (to_server) for the rest of the flow; one it calls
 *     invalid, related or untracked is of no flow, and a rule asking for a
 *     direction or `established` does not match it.
 *  3. `established`: TCP from the handshake's last ACK (or a flow picked
 *     up mid-stream, as conntrack and Suricata's midstream do) until the
 *     flow closes (TIME_WAIT, CLOSE; but see 8); other protocols once both
 *     ways were seen, as Suricata says.
 *  4. Nothing here reads outside the blob's tables: ids_blob_check put
 *     every rule's runs inside them, and every flowbit below
 *     IDS_BLOB_FLOWBITS_MAX.
 *  5. Packet fields as the offline engine compares them (its ids_cmp_ok);
 *     flags, itype and icode never match a frame without its L4 header.
 *  6. Flowbits as Suricata's: isset of a|b holds when one is set, of a&b
 *     when all are; isnotset the other way round; a frame of no flow has
 *     every bit clear and keeps none.
 *  7. Only frames that cross move the table: the caller undoes a frame it
 *     drops (ids_flow_undo: its new flow goes, the flow it found gets back
 *     its state), so a frame the ids itself drops (a RST, a SYN, a flood of
 *     new flows) neither closes, reopens nor fills anything.
 *  8. A flow that was established stays so for the frames that still
 *     carry data after a RST or FIN closed it here (Linux's assured): a
 *     close the peer never saw (a bad checksum, an RST it ignored) does not
 *     take the guest's connection out of `flow:established`.
 *  9. Each way of a flow comes from one side: the opener's way (dir 0)
 *     from the side whose frame entered it, the reply way from the other.
 *     A frame of a known flow from the wrong side carries the other side's
 *     addresses (the two ends of a connection are never on one side of
 *     the layer): a forgery, whatever its protocol, flags or the flow's
 *     state. It moves nothing and the caller drops it (f->forged).
 *     Whichever came first keeps the flow: sent after the real first
 *     frame, the forgery cannot turn the connection round; sent ahead of
 *     it (a spoofed SYN, or a spoofed bare ACK or datagram the table picks
 *     up as a flow of its own), every real frame of the connection is the
 *     one flagged, and it never opens, so neither order takes traffic out
 *     of `to_server` or the HTTP parser (which reads the opener's way
 *     only). The cost: a side that sends such a forgery blocks that one
 *     address and port pair until the entry expires.
 */
#include "ids/flow.h"

#include "lib/rt.h"

int ids_flow_track(struct fw_ct *ct, const struct fw_pkt *p, bool from_guest, uint64_t now,
		   struct ids_flow *f)
{
	struct fw_ct_result r;
	uint8_t dir;

	f->known = false;
	f->dir = 0;
	f->est = false;
	f->fresh = false;
	f->entry = FW_CT_NIL;
	f->forged = false;
	f->was_entry = fw_ct_find(ct, p, now, &dir);
	if (f->was_entry != FW_CT_NIL) {
		const struct fw_ct_entry *e = &ct->e[f->was_entry];

		if ((dir == 0) != (e->side == from_guest)) {
			f->forged = true; /* invariant 9: nothing moved, nothing to undo */
			f->was_entry = FW_CT_NIL;
			return 0;
		}
		f->was = *e;
	}
	fw_ct_in(ct, p, now, &r);
	if (r.state == FW_CT_NEW && r.entry == FW_CT_NIL) {
		if (fw_ct_confirm_at(ct, p, now, &r, &f->entry))
			return -1;
		ct->e[f->entry].side = from_guest;
		f->known = f->fresh = true;
		/* a flow picked up mid-stream is established at once (conntrack) */
		f->est = p->proto == FW_PROTO_TCP && !(p->tcp_flags & FW_TCP_SYN) &&
			 !(p->tcp_flags & FW_TCP_RST);
		return 0;
	}
	if (r.entry == FW_CT_NIL || r.state == FW_CT_RELATED)
		return 0;
	const struct fw_ct_entry *e = &ct->e[r.entry];

	f->known = true;
	f->entry = r.entry;
	f->dir = r.dir;
	if (e->proto == FW_PROTO_TCP)
		f->est = (e->tcp >= FW_TCP_ESTABLISHED && e->tcp <= FW_TCP_LAST_ACK) ||
			 (e->assured && p->l4_payload); /* invariant 8 */
	else
		f->est = e->seen_reply;
	return 0;
}

void ids_flow_undo(struct fw_ct *ct, const struct ids_flow *f)
{
	struct fw_ct_entry *e;

	if (f->fresh && f->entry != FW_CT_NIL)
		fw_ct_forget(ct, f->entry);
	if (f->was_entry == FW_CT_NIL)
		return;
	e = &ct->e[f->was_entry];
	/* the same flow still (not freed, nor reused by the new one): its state
	 * back, its place in the chains as it is now */
	if (!e->used || e->proto != f->was.proto || e->sport != f->was.sport ||
	    e->dport != f->was.dport || rt_memcmp(e->saddr, f->was.saddr, 16) ||
	    rt_memcmp(e->daddr, f->was.daddr, 16))
		return;
	e->tcp = f->was.tcp;
	e->seen_reply = f->was.seen_reply;
	e->assured = f->was.assured;
	e->expires = f->was.expires;
	e->seen[0] = f->was.seen[0];
	e->seen[1] = f->was.seen[1];
}

static bool prefix_has(const struct ids_blob_addr *x, const uint8_t *a, unsigned alen)
{
	if ((x->af == 4) != (alen == 4))
		return false;
	for (unsigned b = 0; b < x->bits; b++) {
		uint8_t m = (uint8_t)(0x80u >> (b % 8));

		if ((x->a[b / 8] & m) != (a[b / 8] & m))
			return false;
	}
	return true;
}

static bool addr_in(const struct ids_blob_addr *v, unsigned n, const uint8_t *a, unsigned alen)
{
	bool pos = false, in = false;

	for (unsigned i = 0; i < n; i++) {
		bool hit = prefix_has(&v[i], a, alen);

		if (v[i].neg && hit)
			return false;
		if (!v[i].neg) {
			pos = true;
			in = in || hit;
		}
	}
	return !pos || in;
}

static bool port_in(const struct ids_blob_port *v, unsigned n, uint16_t port)
{
	bool pos = false, in = false;

	for (unsigned i = 0; i < n; i++) {
		bool hit = port >= v[i].lo && port <= v[i].hi;

		if (v[i].neg && hit)
			return false;
		if (!v[i].neg) {
			pos = true;
			in = in || hit;
		}
	}
	return !pos || in;
}

/* One way: s the rule's source side, d its destination. */
static bool side_ok(const struct ids_blob_hdr *h, const struct ids_blob_rule *r,
		    const uint8_t *s, uint16_t sp, const uint8_t *d, uint16_t dp, unsigned alen,
		    bool ports)
{
	const uint8_t *blob = (const uint8_t *)h;
	const struct ids_blob_addr *a = (const struct ids_blob_addr *)(blob + h->addr_off);
	const struct ids_blob_port *pt = (const struct ids_blob_port *)(blob + h->port_off);

	if ((r->nsport || r->ndport) && !ports)
		return false;
	return addr_in(a + r->src, r->nsrc, s, alen) && addr_in(a + r->dst, r->ndst, d, alen) &&
	       port_in(pt + r->sport, r->nsport, sp) && port_in(pt + r->dport, r->ndport, dp);
}

static bool flow_ok(uint8_t want, const struct ids_flow *f)
{
	if (!want)
		return true;
	if (!f)
		return false; /* not tracked: the compiler's rules with flow make f non-NULL */
	if ((want & IDS_BLOB_TO_SERVER) && (!f->known || f->dir != 0))
		return false;
	if ((want & IDS_BLOB_TO_CLIENT) && (!f->known || f->dir != 1))
		return false;
	if ((want & IDS_BLOB_ESTABLISHED) && !f->est)
		return false;
	if ((want & IDS_BLOB_NOT_ESTABLISHED) && f->est)
		return false;
	/* stateless: any frame; no_stream: every in-line inspection is a packet's */
	return true;
}

bool ids_rule_hdr_ok(const struct ids_blob_hdr *h, const struct ids_blob_rule *r,
		     const struct fw_pkt *p, bool ports, const struct ids_flow *f)
{
	unsigned alen = p->alen;

	if (r->proto == IDS_BLOB_ICMP ? p->proto != 1 && p->proto != 58
				       : r->proto != IDS_BLOB_IP && r->proto != p->proto)
		return false;
	if (!flow_ok(r->flow, f))
		return false;
	if (side_ok(h, r, p->saddr, p->sport, p->daddr, p->dport, alen, ports))
		return true;
	return r->bidir && side_ok(h, r, p->daddr, p->dport, p->saddr, p->sport, alen, ports);
}

static bool fb_get(const uint64_t *bits, uint16_t b)
{
	return bits && (bits[b / 64] >> (b % 64) & 1);
}

bool ids_fb_check(const struct ids_blob_fb *fb, unsigned nfb, const uint64_t *bits)
{
	for (unsigned i = 0; i < nfb; i++) {
		unsigned hits = 0;

		if (fb[i].op != IDS_BLOB_FB_ISSET && fb[i].op != IDS_BLOB_FB_ISNOTSET)
			continue;
		for (unsigned k = 0; k < fb[i].n; k++)
			hits += fb_get(bits, fb[i].bit[k]);
		if (fb[i].op == IDS_BLOB_FB_ISSET ? !(fb[i].any ? hits > 0 : hits == fb[i].n)
						  : !(fb[i].any ? hits < fb[i].n : hits == 0))
			return false;
	}
	return true;
}

void ids_fb_apply(const struct ids_blob_fb *fb, unsigned nfb, uint64_t *bits)
{
	if (!bits)
		return;
	for (unsigned i = 0; i < nfb; i++)
		for (unsigned k = 0; k < fb[i].n; k++) {
			uint16_t b = fb[i].bit[k];
			uint64_t m = 1ull << (b % 64);

			if (fb[i].op == IDS_BLOB_FB_SET)
				bits[b / 64] |= m;
			else if (fb[i].op == IDS_BLOB_FB_UNSET)
				bits[b / 64] &= ~m;
			else if (fb[i].op == IDS_BLOB_FB_TOGGLE)
				bits[b / 64] ^= m;
		}
}

/* The offline engine's ids_cmp_ok, for the blob's values. */
static bool cmp_ok(uint8_t cmp, int64_t v, int64_t a, int64_t b)
{
	switch (cmp) {
	case IDS_BLOB_EQ: return v == a;
	case IDS_BLOB_NE: return v != a;
	case IDS_BLOB_LT: return v < a;
	case IDS_BLOB_GT: return v > a;
	case IDS_BLOB_LE: return v <= a;
	case IDS_BLOB_GE: return v >= a;
	case IDS_BLOB_RANGE: return v > a && v < b;
	case IDS_BLOB_AND: return (v & a) != 0;
	case IDS_BLOB_OR: return (v ^ a) != 0;
	}
	return false;
}

bool ids_rule_bsize_ok(const struct ids_blob_rule *r, const uint8_t *buf, uint32_t len)
{
	return !(r->fields & IDS_BLOB_F_BSIZE) ||
	       (buf && cmp_ok(r->bsize_cmp, len, r->bsize_a, r->bsize_b));
}

bool ids_rule_fields_ok(const struct ids_blob_rule *r, const struct fw_pkt *p, bool l4,
			uint32_t dsize)
{
	bool icmp = p->proto == 1 || p->proto == 58;

	if (!r->fields)
		return true;
	if ((r->fields & IDS_BLOB_F_IPPROTO) && p->proto != r->ipproto)
		return false;
	if ((r->fields & IDS_BLOB_F_DSIZE) && !cmp_ok(r->dsize_cmp, dsize, r->dsize_a, r->dsize_b))
		return false;
	if (r->fields & IDS_BLOB_F_FLAGS) {
		uint8_t f;

		if (!l4 || p->proto != 6)
			return false;
		f = p->tcp_flags & (uint8_t)~r->tcp_mask;
		switch (r->tcp_mod) {
		case '+': if ((f & r->tcp_set) != r->tcp_set) return false; break;
		case '*': if (!(f & r->tcp_set)) return false; break;
		case '!': if (f & r->tcp_set) return false; break;
		default: if (f != r->tcp_set) return false;
		}
	}
	if ((r->fields & IDS_BLOB_F_ITYPE) &&
	    (!l4 || !icmp || !cmp_ok(r->itype_cmp, p->icmp_type, r->itype_a, r->itype_b)))
		return false;
	if ((r->fields & IDS_BLOB_F_ICODE) &&
	    (!l4 || !icmp || !cmp_ok(r->icode_cmp, p->icmp_code, r->icode_a, r->icode_b)))
		return false;
	return true;
}
