/* SPDX-License-Identifier: MIT */
/*
 * The ids layer's decision for one TCP frame against its flow's stream
 * (seg.c): whether the frame is a segment of its direction's stream, what
 * of it the stream cannot account for (each a counter of the layer's; in
 * ips mode a drop), and the window its bytes are scanned in. Freestanding,
 * shared by the layer (src/layer/idsl.c) and the unit tests.
 */
#ifndef RAMPART_IDS_SEG_H
#define RAMPART_IDS_SEG_H

#include <stdbool.h>
#include <stdint.h>

#include "fw/fw.h"
#include "ids/flow.h"
#include "ids/stream.h"

/* What of a frame the stream cannot account for (the layer's counter). */
enum ids_seg_why {
	IDS_SEGW_OK,	/* nothing: scan it (with the window when there is one) */
	IDS_SEGW_OOO,	/* stream_ooo: ahead of the next in-order byte */
	IDS_SEGW_DIFF,	/* stream_diff: bytes seen differ, or new bytes follow
			 * bytes older than the tail (not compared, not in the window) */
	IDS_SEGW_NOMEM,	/* stream_nomem: no tail for it, or its tail was lost */
	IDS_SEGW_FIN,	/* stream_fin: bytes past the direction's FIN, or a second FIN */
	IDS_SEGW_URG,	/* stream_urg: URG, whatever its pointer (a byte the
			 * receiver takes out of the stream) */
	IDS_SEGW_FRAG,	/* stream_frag: TCP in IP fragments (never on its stream) */
	IDS_SEGW_LOST,	/* stream_lost: payload on no stream (conntrack invalid or
			 * untracked, or its flow closed here) */
	IDS_SEGW_CSUM,	/* stream_csum: a TCP checksum its receiver refuses (it
			 * would drop what the stream took: insertion) */
};

struct ids_seg_plan {
	bool on;		/* a segment of its direction's stream: commit it
				 * (ids_seg_commit) when it crosses */
	uint32_t owner, seq;	/* its direction (entry * 2 + dir), its data's seq */
	struct ids_seg_view v;
	/* what to scan: the tail then the new bytes (min_end: the tail's
	 * length, a match must end past it), or the payload alone (0) */
	const uint8_t *scan;
	uint32_t scanlen, min_end;
};

/*
 * Frame p (parsed), of flow fl (ids_flow_track's, through ct), payload
 * data[0 .. n), against the streams sp: *s, and why the stream cannot
 * account for it. win: room for the window (IDS_STREAM_TAIL +
 * IDS_STREAM_SEG_MAX). csum_ok: its receiver will take its TCP checksum
 * (the caller's fw_l4_csum_ok, or the virtio-net header's word); one it
 * refuses is CSUM whatever else it is, a RST's too, and never joins the
 * stream. Only a frame of TCP is ever anything but OK; a RST's data
 * (which Linux ignores) is OK and off the stream.
 */
enum ids_seg_why ids_seg_decide(struct ids_stream_pool *sp, const struct fw_ct *ct,
				const struct fw_pkt *p, const struct ids_flow *fl,
				const uint8_t *data, uint32_t n, bool csum_ok, uint8_t *win,
				struct ids_seg_plan *s);
/* s's frame crossed: its bytes join its stream (ids_stream_commit's
 * return). */
int ids_seg_commit(struct ids_stream_pool *sp, const struct fw_pkt *p, const struct ids_seg_plan *s,
		   const uint8_t *data, uint32_t n);

#endif
