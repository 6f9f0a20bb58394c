/* SPDX-License-Identifier: MIT */
/*
 * Connection tracking, modelled on Linux's nf_conntrack: flows keyed by
 * addresses, protocol and ports (the ICMP echo identifier for echo), a TCP
 * state machine with Linux's transition tables and sequence-window checks
 * (tcp_in_window), UDP, ICMP echo and generic pseudo-flows, related ICMP
 * errors, timeouts from the time the caller passes.
 *
 * Invariants:
 *  1. the table holds at most FW_CT_MAX entries in a fixed array; a new flow
 *     that finds no free entry reuses an expired one found within
 *     FW_CT_EVICT_SCAN steps, or else takes the place of an unassured one
 *     found there (never replied to, TCP never established: Linux's early
 *     drop, counted in early_drops), or is dropped and counted
 *     (full_drops): frames nobody answers cannot hold the table;
 *  2. a flow enters the table only through fw_ct_confirm, i.e. after the
 *     rules accepted its first packet (Linux confirms at the end of the
 *     hooks): a dropped SYN leaves nothing behind;
 *  3. an existing flow is updated by fw_ct_in before the rules run, as
 *     Linux's conntrack does at prerouting;
 *  4. an expired entry is never found by a lookup; a bucket walk is at most
 *     FW_CT_MAX steps (each entry is on one chain once);
 *  5. ICMPv6 neighbour discovery and MLD are untracked, as Linux has them:
 *     they never find, create or update a flow;
 *  7. a RST moves a TCP flow only when its sequence is the one the peer
 *     expects (its highest ack), as Linux has done since 5.x: one below it
 *     is invalid, one above it but in the window is accepted and leaves
 *     the state alone (the peer answers it with a challenge ACK, RFC 5961),
 *     so a RST the peer ignores cannot close the flow here;
 *  6. a flow's bucket is a keyed hash (SipHash-1-3) of its tuple under a
 *     random key the caller gives fw_ct_init: the guest cannot compute it,
 *     so it cannot pick flows that share a bucket.
 */
#include "fw/fw.h"
#include "lib/rt.h"

#define NS 1000000000ull
/* Linux's default timeouts (net.netfilter.nf_conntrack_*_timeout*). */
static const uint64_t tcp_timeout[FW_TCP_COUNT] = {
	[FW_TCP_NONE] = 10 * NS,
	[FW_TCP_SYN_SENT] = 120 * NS,
	[FW_TCP_SYN_RECV] = 60 * NS,
	[FW_TCP_ESTABLISHED] = 432000 * NS,
	[FW_TCP_FIN_WAIT] = 120 * NS,
	[FW_TCP_CLOSE_WAIT] = 60 * NS,
	[FW_TCP_LAST_ACK] = 30 * NS,
	[FW_TCP_TIME_WAIT] = 120 * NS,
	[FW_TCP_CLOSE] = 10 * NS,
};
#define UDP_TIMEOUT (30 * NS)
#define UDP_TIMEOUT_REPLIED (120 * NS)
#define ICMP_TIMEOUT (30 * NS)
#define GENERIC_TIMEOUT (600 * NS)
/* The ack window of a sender whose window is not known yet (Linux's
 * MAXACKWINDOW): 66000 bytes. */
#define MAXACKWIN_DEFAULT 66000u

enum { sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sIV = 0xfe, sIG = 0xff };
enum { I_SYN, I_SYNACK, I_FIN, I_ACK, I_RST, I_NONE, I_COUNT };

/* Linux's tcp_conntracks[dir][index][state], without simultaneous open. */
static const uint8_t tcp_next[2][I_COUNT][FW_TCP_COUNT] = {
	{
		/*          sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL */
		[I_SYN] = { sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS },
		[I_SYNACK] = { sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV },
		[I_FIN] = { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL },
		[I_ACK] = { sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL },
		[I_RST] = { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
		[I_NONE] = { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
	},
	{
		[I_SYN] = { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sSS, sIV },
		[I_SYNACK] = { sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG },
		[I_FIN] = { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL },
		[I_ACK] = { sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL },
		[I_RST] = { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
		[I_NONE] = { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
	},
};

static unsigned tcp_index(uint8_t f)
{
	if (f & FW_TCP_RST)
		return I_RST;
	if (f & FW_TCP_SYN)
		return (f & FW_TCP_ACK) ? I_SYNACK : I_SYN;
	if (f & FW_TCP_FIN)
		return I_FIN;
	if (f & FW_TCP_ACK)
		return I_ACK;
	return I_NONE;
}

/* Sequence arithmetic, modulo 2^32. */
static bool before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static bool after(uint32_t a, uint32_t b)
{
	return before(b, a);
}

/* Entries are handed out from e[fresh ..] before any is reused, so an init
 * touches the buckets and the fragment table, not the 16384 entries. */
void fw_ct_init(struct fw_ct *ct, const uint8_t key[FW_CT_KEY_BYTES])
{
	for (uint32_t i = 0; i < FW_CT_BUCKETS; i++)
		ct->bucket[i] = FW_CT_NIL;
	rt_memset(ct->frag, 0, sizeof(ct->frag));
	ct->free_head = FW_CT_NIL;
	ct->count = ct->hand = ct->fresh = ct->frag_hand = 0;
	ct->key[0] = rt_le64(key);
	ct->key[1] = rt_le64(key + 8);
	ct->full_drops = ct->early_drops = 0;
}

uint32_t fw_ct_count(const struct fw_ct *ct)
{
	return ct->count;
}

/* The tuple of a frame, as the original direction would hold it. */
struct tuple {
	uint8_t s[16], d[16];
	uint16_t sp, dp;
	uint8_t alen, proto;
};

/* The same bucket for both directions: the endpoints in a fixed order. */
static uint32_t tuple_hash(const struct fw_ct *ct, const struct tuple *t)
{
	uint8_t a[18], b[18];

	rt_memcpy(a, t->s, 16);
	rt_put16(a + 16, t->sp);
	rt_memcpy(b, t->d, 16);
	rt_put16(b + 16, t->dp);
	if (rt_memcmp(a, b, sizeof(a)) > 0) {
		uint8_t x[18];
		rt_memcpy(x, a, sizeof(x));
		rt_memcpy(a, b, sizeof(a));
		rt_memcpy(b, x, sizeof(b));
	}
	uint8_t m[2 * sizeof(a) + 1];

	rt_memcpy(m, a, sizeof(a));
	rt_memcpy(m + sizeof(a), b, sizeof(b));
	m[sizeof(m) - 1] = t->proto;
	return (uint32_t)(rt_siphash13(ct->key, m, sizeof(m)) % FW_CT_BUCKETS);
}

static bool entry_is(const struct fw_ct_entry *e, const struct tuple *t, bool reply)
{
	if (e->proto != t->proto || e->alen != t->alen)
		return false;
	if (!reply)
		return e->sport == t->sp && e->dport == t->dp && !rt_memcmp(e->saddr, t->s, 16) &&
		       !rt_memcmp(e->daddr, t->d, 16);
	return e->sport == t->dp && e->dport == t->sp && !rt_memcmp(e->saddr, t->d, 16) &&
	       !rt_memcmp(e->daddr, t->s, 16);
}

static void unlink_entry(struct fw_ct *ct, uint32_t bucket, uint32_t idx, uint32_t prev)
{
	if (prev == FW_CT_NIL)
		ct->bucket[bucket] = ct->e[idx].next;
	else
		ct->e[prev].next = ct->e[idx].next;
	ct->e[idx].used = 0;
	ct->e[idx].next = ct->free_head;
	ct->free_head = idx;
	ct->count--;
}

/* The live entry of t in either direction; expired ones met on the way are
 * freed (invariant 4). */
static uint32_t lookup(struct fw_ct *ct, const struct tuple *t, uint64_t now, uint8_t *dir)
{
	uint32_t b = tuple_hash(ct, t), prev = FW_CT_NIL, i = ct->bucket[b];

	for (uint32_t steps = 0; i != FW_CT_NIL && steps < FW_CT_MAX; steps++) {
		struct fw_ct_entry *e = &ct->e[i];
		uint32_t next = e->next;
		if (e->expires <= now) {
			unlink_entry(ct, b, i, prev);
			i = next;
			continue;
		}
		if (entry_is(e, t, false) || entry_is(e, t, true)) {
			*dir = entry_is(e, t, false) ? 0 : 1;
			return i;
		}
		prev = i;
		i = next;
	}
	return FW_CT_NIL;
}

static void tuple_of(const struct fw_pkt *p, struct tuple *t)
{
	rt_memset(t, 0, sizeof(*t));
	rt_memcpy(t->s, p->saddr, p->alen);
	rt_memcpy(t->d, p->daddr, p->alen);
	t->alen = p->alen;
	t->proto = p->proto;
	if (p->proto == FW_PROTO_TCP || p->proto == FW_PROTO_UDP || p->proto == FW_PROTO_ICMP ||
	    p->proto == FW_PROTO_ICMP6) {
		t->sp = p->sport;
		t->dp = p->dport;
	}
}

uint32_t fw_ct_bucket(const struct fw_ct *ct, const struct fw_pkt *p)
{
	struct tuple t;

	tuple_of(p, &t);
	return tuple_hash(ct, &t);
}

static bool icmp_request(const struct fw_pkt *p)
{
	return p->l3 == FW_L3_IP4 ? p->icmp_type == 8 || p->icmp_type == 13 : p->icmp_type == 128;
}

static bool icmp_reply(const struct fw_pkt *p)
{
	return p->l3 == FW_L3_IP4 ? p->icmp_type == 0 || p->icmp_type == 14 : p->icmp_type == 129;
}

static bool is_icmp(const struct fw_pkt *p)
{
	return p->proto == FW_PROTO_ICMP || p->proto == FW_PROTO_ICMP6;
}

/* ICMPv6 messages Linux leaves untracked (noct_valid_new in
 * nf_conntrack_proto_icmpv6.c): MLD queries, reports and reductions (130,
 * 131, 132, 143), router and neighbour solicitations and advertisements (133
 * to 136). They belong to the link, not to a flow: `ct state untracked`. */
static bool icmp6_untracked(const struct fw_pkt *p)
{
	uint8_t t = p->icmp_type;

	return p->l3 == FW_L3_IP6 && p->proto == FW_PROTO_ICMP6 &&
	       ((t >= 130 && t <= 136) || t == 143);
}

/* Linux's tcp_in_window: the segment lies in the window the peer granted and
 * acknowledges no more than was sent. Updates the window on success. */
static bool tcp_window(struct fw_ct_entry *e, const struct fw_pkt *p, unsigned dir)
{
	struct fw_tcp_seen *snd = &e->seen[dir], *rcv = &e->seen[!dir];
	uint8_t f = p->tcp_flags;
	uint32_t seq = p->seq, ack = p->ack;
	uint32_t end = seq + p->l4_payload + !!(f & FW_TCP_SYN) + !!(f & FW_TCP_FIN);
	uint32_t win = p->win;

	if (!(f & FW_TCP_SYN))
		win <<= snd->wscale;
	if (!(snd->flags & FW_SEEN_SET)) {
		/* The first segment of this direction (the SYN-ACK, or a pick-up). */
		snd->end = end;
		snd->maxwin = win ? win : 1;
		snd->maxend = end + snd->maxwin;
		snd->flags |= FW_SEEN_SET;
		if (f & FW_TCP_SYN) {
			if (p->tcp_wscale != 0xff) {
				snd->flags |= FW_SEEN_WSCALE;
				snd->wscale = p->tcp_wscale;
			}
			if (!((snd->flags & FW_SEEN_WSCALE) && (rcv->flags & FW_SEEN_WSCALE)))
				snd->wscale = rcv->wscale = 0;
		}
		if (!(rcv->flags & FW_SEEN_SET)) {
			rcv->end = rcv->maxend = ack;
			rcv->flags |= FW_SEEN_SET;
		}
	}
	if (!(f & FW_TCP_ACK))
		ack = rcv->end;
	if (!((snd->flags | rcv->flags) & FW_SEEN_LIBERAL)) {
		uint32_t ackwin = snd->maxwin ? snd->maxwin : MAXACKWIN_DEFAULT;
		if (!before(seq, snd->maxend + 1) || !after(end, snd->end - rcv->maxwin - 1) ||
		    !before(ack, rcv->end + 1) || !after(ack, rcv->end - ackwin - 1))
			return false;
	}
	if (snd->maxwin < win)
		snd->maxwin = win;
	if (after(end, snd->end))
		snd->end = end;
	if (f & FW_TCP_ACK) {
		if (!(snd->flags & FW_SEEN_MAXACK) || after(ack, snd->maxack)) {
			snd->maxack = ack;
			snd->flags |= FW_SEEN_MAXACK;
		}
		if (after(ack + win, rcv->maxend - 1))
			rcv->maxend = ack + win;
		if (!win)
			rcv->maxend++;
	}
	return true;
}

/* A RST against the sequence its receiver expects (invariant 7): sIV for
 * one below it, sIG for one past it on a flow past its handshake (in the
 * window or not: tcp_window says), next for the exact one or where no ack
 * of the receiver is known yet. */
static uint8_t rst_next(const struct fw_ct_entry *e, const struct fw_pkt *p, uint8_t dir,
			uint8_t next)
{
	const struct fw_tcp_seen *rcv = &e->seen[!dir];

	if (!(rcv->flags & FW_SEEN_MAXACK) || e->tcp < sES || e->tcp > sLA)
		return next;
	if (before(p->seq, rcv->maxack))
		return sIV;
	return p->seq == rcv->maxack ? next : sIG;
}

static void tcp_update(struct fw_ct *ct, uint32_t idx, const struct fw_pkt *p, uint8_t dir,
		       uint64_t now, struct fw_ct_result *r)
{
	struct fw_ct_entry *e = &ct->e[idx];
	unsigned index = tcp_index(p->tcp_flags);
	uint8_t next = tcp_next[dir][index][e->tcp];

	if (index == I_RST && next != sIV)
		next = rst_next(e, p, dir, next);
	if (next == sIV)
		return;	/* r->state stays invalid */
	if (next == sSS && dir == 0 && (e->tcp == sTW || e->tcp == sCL)) {
		/* A new SYN reopens a closed flow: the old entry goes, the SYN is new. */
		e->expires = 0;	/* the next lookup frees it (invariant 4) */
		r->state = FW_CT_NEW;
		r->entry = FW_CT_NIL;
		return;
	}
	if (!tcp_window(e, p, dir))
		return;
	if (next != sIG)
		e->tcp = next;
	if (dir == 1)
		e->seen_reply = 1;
	if (e->tcp == sES && e->seen_reply)
		e->assured = 1;
	e->expires = now + tcp_timeout[e->tcp];
	r->state = (dir == 1 || e->seen_reply) ? FW_CT_ESTABLISHED : FW_CT_NEW;
	r->entry = idx;
	r->dir = dir;
}

/* An ICMP error: related when it quotes a tracked flow (in either direction). */
static void icmp_error_in(struct fw_ct *ct, const struct fw_pkt *p, uint64_t now,
			  struct fw_ct_result *r)
{
	struct tuple t;
	uint8_t dir;

	if (!p->inner_ok)
		return;
	rt_memset(&t, 0, sizeof(t));
	rt_memcpy(t.s, p->inner.saddr, p->alen);
	rt_memcpy(t.d, p->inner.daddr, p->alen);
	t.alen = p->alen;
	t.proto = p->inner.proto;
	t.sp = p->inner.sport;
	t.dp = p->inner.dport;
	uint32_t i = lookup(ct, &t, now, &dir);
	if (i != FW_CT_NIL) {
		r->state = FW_CT_RELATED;
		r->entry = i;
	}
}

void fw_ct_in(struct fw_ct *ct, const struct fw_pkt *p, uint64_t now, struct fw_ct_result *r)
{
	struct tuple t;
	uint8_t dir = 0;

	r->state = FW_CT_INVALID;
	r->dir = 0;
	r->entry = FW_CT_NIL;
	if (p->invalid || (p->l3 != FW_L3_IP4 && p->l3 != FW_L3_IP6) || !p->l4_ok)
		return;
	if (is_icmp(p) && p->icmp_error) {
		icmp_error_in(ct, p, now, r);
		return;
	}
	if (icmp6_untracked(p)) {
		r->state = FW_CT_UNTRACKED;
		return;
	}
	tuple_of(p, &t);
	uint32_t i = lookup(ct, &t, now, &dir);
	if (i == FW_CT_NIL) {
		if (p->proto == FW_PROTO_TCP) {
			uint8_t next = tcp_next[0][tcp_index(p->tcp_flags)][sNO];
			if (next == sIV)
				return;
		}
		if (is_icmp(p) && !icmp_request(p))
			return;
		r->state = FW_CT_NEW;
		return;
	}
	struct fw_ct_entry *e = &ct->e[i];
	if (p->proto == FW_PROTO_TCP) {
		tcp_update(ct, i, p, dir, now, r);
		return;
	}
	if (is_icmp(p) && (dir == 0 ? !icmp_request(p) : !icmp_reply(p)))
		return;
	if (dir == 1)
		e->seen_reply = e->assured = 1;
	if (p->proto == FW_PROTO_UDP)
		e->expires = now + (e->seen_reply ? UDP_TIMEOUT_REPLIED : UDP_TIMEOUT);
	else if (is_icmp(p))
		e->expires = now + ICMP_TIMEOUT;
	else
		e->expires = now + GENERIC_TIMEOUT;
	r->state = (dir == 1 || e->seen_reply) ? FW_CT_ESTABLISHED : FW_CT_NEW;
	r->entry = i;
	r->dir = dir;
}

/* Entry i out of its bucket chain: true once unlinked (its chain must hold it). */
static bool unlink_any(struct fw_ct *ct, uint32_t i)
{
	struct tuple t;

	rt_memset(&t, 0, sizeof(t));
	rt_memcpy(t.s, ct->e[i].saddr, 16);
	rt_memcpy(t.d, ct->e[i].daddr, 16);
	t.sp = ct->e[i].sport;
	t.dp = ct->e[i].dport;
	t.proto = ct->e[i].proto;
	uint32_t b = tuple_hash(ct, &t), prev = FW_CT_NIL, j = ct->bucket[b];
	for (uint32_t steps = 0; j != FW_CT_NIL && j != i && steps < FW_CT_MAX; steps++) {
		prev = j;
		j = ct->e[j].next;
	}
	if (j != i)
		return false;
	unlink_entry(ct, b, i, prev);
	return true;
}

/* A free entry, or an expired one within FW_CT_EVICT_SCAN steps, or else an
 * unassured one met there (invariant 1). */
static uint32_t alloc_entry(struct fw_ct *ct, uint64_t now)
{
	uint32_t early = FW_CT_NIL, i;

	if (ct->free_head == FW_CT_NIL && ct->fresh < FW_CT_MAX)
		return ct->fresh++;
	for (uint32_t n = 0; ct->free_head == FW_CT_NIL && n < FW_CT_EVICT_SCAN; n++) {
		i = ct->hand;
		ct->hand = (ct->hand + 1) % FW_CT_MAX;
		if (!ct->e[i].used)
			continue;
		if (ct->e[i].expires > now) {
			if (!ct->e[i].assured && early == FW_CT_NIL)
				early = i;
			continue;
		}
		unlink_any(ct, i); /* onto the free list */
	}
	if (ct->free_head == FW_CT_NIL && early != FW_CT_NIL && unlink_any(ct, early))
		ct->early_drops++;
	if (ct->free_head == FW_CT_NIL)
		return FW_CT_NIL;
	i = ct->free_head;
	ct->free_head = ct->e[i].next;
	return i;
}

uint32_t fw_ct_find(struct fw_ct *ct, const struct fw_pkt *p, uint64_t now, uint8_t *dir)
{
	struct tuple t;

	*dir = 0;
	if (p->invalid || (p->l3 != FW_L3_IP4 && p->l3 != FW_L3_IP6) || !p->l4_ok ||
	    (is_icmp(p) && p->icmp_error) || icmp6_untracked(p))
		return FW_CT_NIL;
	tuple_of(p, &t);
	return lookup(ct, &t, now, dir);
}

void fw_ct_forget(struct fw_ct *ct, uint32_t idx)
{
	if (idx < FW_CT_MAX && ct->e[idx].used)
		unlink_any(ct, idx);
}

int fw_ct_confirm(struct fw_ct *ct, const struct fw_pkt *p, uint64_t now,
		  const struct fw_ct_result *r)
{
	uint32_t entry;

	return fw_ct_confirm_at(ct, p, now, r, &entry);
}

int fw_ct_confirm_at(struct fw_ct *ct, const struct fw_pkt *p, uint64_t now,
		     const struct fw_ct_result *r, uint32_t *entry)
{
	struct tuple t;

	*entry = FW_CT_NIL;
	if (r->state != FW_CT_NEW || r->entry != FW_CT_NIL)
		return 0;
	uint32_t i = alloc_entry(ct, now);
	if (i == FW_CT_NIL) {
		ct->full_drops++;
		return -1;
	}
	*entry = i;
	tuple_of(p, &t);
	struct fw_ct_entry *e = &ct->e[i];
	rt_memset(e, 0, sizeof(*e));
	rt_memcpy(e->saddr, t.s, 16);
	rt_memcpy(e->daddr, t.d, 16);
	e->sport = t.sp;
	e->dport = t.dp;
	e->alen = t.alen;
	e->proto = t.proto;
	e->used = 1;
	if (p->proto == FW_PROTO_TCP) {
		e->tcp = tcp_next[0][tcp_index(p->tcp_flags)][sNO];
		struct fw_tcp_seen *s = &e->seen[0];
		uint32_t end = p->seq + p->l4_payload + !!(p->tcp_flags & FW_TCP_SYN) +
			       !!(p->tcp_flags & FW_TCP_FIN);
		s->end = s->maxend = end;
		s->maxwin = p->win ? p->win : 1;
		s->flags = FW_SEEN_SET;
		if (p->tcp_flags & FW_TCP_SYN) {
			if (p->tcp_wscale != 0xff) {
				s->flags |= FW_SEEN_WSCALE;
				s->wscale = p->tcp_wscale;
			}
		} else {
			/* Picked up mid-stream (Linux's nf_conntrack_tcp_loose): the
			 * windows are unknown, so neither side is checked. */
			s->flags |= FW_SEEN_LIBERAL;
			e->seen[1].flags = FW_SEEN_LIBERAL;
		}
		e->expires = now + tcp_timeout[e->tcp];
	} else if (p->proto == FW_PROTO_UDP) {
		e->expires = now + UDP_TIMEOUT;
	} else if (is_icmp(p)) {
		e->expires = now + ICMP_TIMEOUT;
	} else {
		e->expires = now + GENERIC_TIMEOUT;
	}
	uint32_t b = tuple_hash(ct, &t);
	e->next = ct->bucket[b];
	ct->bucket[b] = i;
	ct->count++;
	return 0;
}

/* ---- fragments (see FRAGMENTS in docs/firewall.md) ----------------------- */

static bool frag_is(const struct fw_frag_entry *f, const struct fw_pkt *p)
{
	return f->alen == p->alen && f->proto == p->proto && f->id == p->frag_id &&
	       !rt_memcmp(f->saddr, p->saddr, p->alen) && !rt_memcmp(f->daddr, p->daddr, p->alen);
}

bool fw_frag_known(struct fw_ct *ct, const struct fw_pkt *p, uint64_t now)
{
	for (uint32_t i = 0; i < FW_FRAG_MAX; i++)
		if (ct->frag[i].expires > now && frag_is(&ct->frag[i], p))
			return true;
	return false;
}

void fw_frag_remember(struct fw_ct *ct, const struct fw_pkt *p, uint64_t now)
{
	uint32_t slot = ct->frag_hand;

	/* A free or expired slot first; else the oldest-placed one goes (the
	 * table is a ring: a flood of first fragments only forgets old ones). */
	for (uint32_t i = 0; i < FW_FRAG_MAX; i++) {
		if (ct->frag[i].expires <= now) {
			slot = i;
			break;
		}
	}
	if (slot == ct->frag_hand)
		ct->frag_hand = (ct->frag_hand + 1) % FW_FRAG_MAX;
	struct fw_frag_entry *f = &ct->frag[slot];
	rt_memset(f, 0, sizeof(*f));
	rt_memcpy(f->saddr, p->saddr, p->alen);
	rt_memcpy(f->daddr, p->daddr, p->alen);
	f->alen = p->alen;
	f->proto = p->proto;
	f->id = p->frag_id;
	f->expires = now + FW_FRAG_TIMEOUT_NS;
}
