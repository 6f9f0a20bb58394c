/* SPDX-License-Identifier: MIT */
/*
 * One TCP frame against its flow's stream (seg.h).
 *
 * Invariants:
 *  1. A frame whose payload the receiver could take in another order, or
 *     with other bytes, than the stream scans is never OK: ahead of next,
 *     seen bytes that differ, new bytes after bytes older than the tail,
 *     no tail (or a lost one), bytes past a FIN, URG (any pointer), an IP
 *     fragment of TCP, payload on no tracked flow or on one closed here,
 *     a checksum the receiver refuses (it would drop the frame: what the
 *     stream took and it did not would shift the two apart), a keepalive
 *     probe's byte that is not the tail's before the receiver acknowledged
 *     the bytes before it (the tail's byte may be one it never took: a
 *     SYN's data Linux throws away; a real probe comes on an idle flow).
 *     The caller counts each and, in ips mode, drops the frame.
 *  2. The window is the tail (bytes that crossed, in order, up to next)
 *     then the segment's new bytes, inside win; a segment with no tail is
 *     scanned alone.
 *  3. Nothing moves here: only ids_seg_commit, for a frame that crossed.
 */
#include "ids/seg.h"

#include "lib/rt.h"

/* Whether the receiver whose side is rcv acknowledged every byte before
 * seq (a keepalive probe's byte differs from the tail's only then). */
static bool acked(const struct fw_tcp_seen *rcv, uint32_t seq)
{
	return (rcv->flags & FW_SEEN_MAXACK) && (int32_t)(rcv->maxack - seq) >= 0;
}

enum ids_seg_why ids_seg_decide(struct ids_stream_pool *sp, const struct fw_ct *ct,
				const struct fw_pkt *p, const struct ids_flow *fl,
				const uint8_t *data, uint32_t n, bool csum_ok, uint8_t *win,
				struct ids_seg_plan *s)
{
	uint32_t tl;
	const uint8_t *tail;
	bool fin = p->tcp_flags & FW_TCP_FIN;
	enum ids_seg_why why = IDS_SEGW_OK;

	rt_memset(s, 0, sizeof(*s));
	s->scan = data;
	s->scanlen = n;
	if (p->proto != 6)
		return IDS_SEGW_OK;
	if (p->frag != FW_FRAG_NONE) /* never joins its stream (invariant 1) */
		return IDS_SEGW_FRAG;
	if (!p->l4_ok)
		return IDS_SEGW_OK;
	if (!csum_ok) /* the receiver drops it (a RST too): the stream must not take it */
		return IDS_SEGW_CSUM;
	if (p->tcp_flags & FW_TCP_RST)
		return IDS_SEGW_OK;
	if (!fl->known || fl->entry == FW_CT_NIL)
		return n ? IDS_SEGW_LOST : IDS_SEGW_OK;
	/* closed here by a RST its receiver may not have taken: what follows
	 * would start a stream of its own */
	if (n && ct->e[fl->entry].tcp == FW_TCP_CLOSE)
		return IDS_SEGW_LOST;
	s->on = true;
	s->owner = fl->entry * 2 + fl->dir;
	s->seq = p->seq + ((p->tcp_flags & FW_TCP_SYN) ? 1u : 0u); /* a SYN's data after it */
	s->v = ids_stream_classify(sp, s->owner, s->seq, data, n, fin);
	if (p->tcp_flags & FW_TCP_URG)
		why = IDS_SEGW_URG; /* any pointer (0 too: the first byte) takes a byte out */
	else if (s->v.past_fin)
		why = IDS_SEGW_FIN;
	else if (n && s->v.kind == IDS_SEG_AHEAD)
		why = IDS_SEGW_OOO;
	else if (n && s->v.probe && !acked(&ct->e[fl->entry].seen[!fl->dir], s->seq + 1))
		why = IDS_SEGW_DIFF; /* not the tail's byte, and not a probe's */
	else if (n && (s->v.kind == IDS_SEG_DIFF || (s->v.kind == IDS_SEG_NEW && s->v.unchecked)))
		why = IDS_SEGW_DIFF;
	else if (n && s->v.kind != IDS_SEG_OLD && ids_stream_starved(sp, s->owner))
		why = IDS_SEGW_NOMEM;
	tail = ids_stream_tail(sp, s->owner, &tl);
	if (tl && (s->v.kind == IDS_SEG_NEW || s->v.kind == IDS_SEG_DIFF)) {
		rt_memcpy(win, tail, tl); /* the tail, then the new bytes (ours win) */
		rt_memcpy(win + tl, data + s->v.skip, n - s->v.skip);
		s->scan = win;
		s->scanlen = tl + n - s->v.skip;
		s->min_end = tl;
	}
	return why;
}

int ids_seg_commit(struct ids_stream_pool *sp, const struct fw_pkt *p, const struct ids_seg_plan *s,
		   const uint8_t *data, uint32_t n)
{
	if (!s->on)
		return 0;
	return ids_stream_commit(sp, s->owner, s->seq, data, n, s->v.skip,
				 p->tcp_flags & FW_TCP_FIN, n && s->v.kind == IDS_SEG_AHEAD);
}
