/* SPDX-License-Identifier: MIT */
/*
 * TCP stream reassembly in-line (stream.c): per tracked TCP flow and
 * direction, where the next in-order byte is and the last bytes that
 * crossed (a tail from a fixed pool), so that the ids layer scans a
 * segment's new bytes with the tail before them and a content split over
 * segments is seen. Freestanding, shared by the layer (src/layer/idsl.c)
 * and the unit tests.
 */
#ifndef RAMPART_IDS_STREAM_H
#define RAMPART_IDS_STREAM_H

#include <stdbool.h>
#include <stdint.h>

/* The bytes kept before a segment's new bytes, per direction: the offline
 * engine's lookback (IDS_STREAM_LOOKBACK, tools/policy/ids.h), so that a
 * content up to 4 KiB long, or a walked rule's contents within 4 KiB of
 * each other, split over segments is seen in-line as offline. */
#define IDS_STREAM_TAIL 4096u
/* Tails for the whole layer (4 MiB with IDS_STREAM_TAIL): a direction
 * takes one at its first byte of data and keeps it until its flow's entry
 * is taken by another flow or its flow is gone (closed, expired, freed). A
 * peer that opens more flows than this with data pins them all; what then
 * happens to a direction without one is the caller's (the layer fails
 * closed, docs/ids.md). */
#define IDS_STREAM_SLOTS 1024u
/* Slots looked at for one whose flow is gone, per allocation that finds
 * none free: a bounded step per frame, not a walk of the pool. */
#define IDS_STREAM_RECLAIM_STEPS 64u
/* The largest segment: an IPv4 datagram's payload at most. */
#define IDS_STREAM_SEG_MAX 65535u
#define IDS_STREAM_NONE 0xffffffffu

/* What a direction knows beyond next (struct ids_stream_dir's flags). */
#define IDS_DIR_FIN 1u	/* its FIN crossed, at fin */
#define IDS_DIR_DATA 2u	/* a byte of it crossed */
#define IDS_DIR_LOST 4u	/* its tail was taken back or never had: bytes before next lost */

/* One direction of one flow. */
struct ids_stream_dir {
	uint32_t next;	/* the next in-order sequence number (init); a FIN's is not */
	uint32_t fin;	/* the FIN's sequence number (IDS_DIR_FIN) */
	uint32_t slot;	/* its tail, IDS_STREAM_NONE when it has none */
	uint16_t len;	/* bytes in the tail (<= IDS_STREAM_TAIL) */
	uint8_t init;	/* next is known */
	uint8_t flags;	/* IDS_DIR_* */
};

/* gone(ctx, owner): whether the flow of a slot's owner is gone (closed,
 * expired, its entry freed), so that its slot can be taken back. */
typedef bool (*ids_stream_gone_fn)(void *ctx, uint32_t owner);

struct ids_stream_pool {
	struct ids_stream_dir *dirs;	/* by owner: flow entry * 2 + direction */
	uint32_t ndirs;
	uint32_t free_head, used, hand;
	uint32_t fresh;			/* slots [fresh ..] were never handed out */
	ids_stream_gone_fn gone;
	void *ctx;
	uint64_t reclaimed;		/* slots taken back from gone flows */
	uint32_t link[IDS_STREAM_SLOTS];	/* free list; IDS_STREAM_NONE ends it */
	uint32_t owner[IDS_STREAM_SLOTS];	/* its direction's owner */
	uint8_t tail[IDS_STREAM_SLOTS][IDS_STREAM_TAIL];
};

/* What a segment is to its direction's stream. */
enum ids_seg {
	IDS_SEG_NEW,	/* new bytes data[skip ..) in order (overlap agrees) */
	IDS_SEG_OLD,	/* no new byte (a retransmission: overlap agrees) */
	IDS_SEG_AHEAD,	/* starts past the next in-order byte: a hole before it */
	IDS_SEG_DIFF,	/* bytes already seen, in the tail, that differ */
};

struct ids_seg_view {
	enum ids_seg kind;
	uint32_t skip;		/* leading bytes of the segment already seen */
	uint32_t unchecked;	/* of those, older than the tail: not compared */
	bool past_fin;		/* bytes at or past the direction's FIN, or a FIN
				 * at another sequence number than the one that crossed */
	bool first;		/* NEW, and no byte of the direction crossed before */
	bool probe;		/* OLD: a keepalive probe whose byte is not the
				 * tail's (or no tail holds it): the caller decides */
};

/* Direction owner's bytes from seq on never reached their receiver (a
 * SYN-ACK that acks the ISN + 1 alone: the SYN's data thrown away): next
 * goes back to seq, the tail loses them, and with none left the direction
 * has no data yet (its next byte is its first). Whether it moved. */
bool ids_stream_rewind(struct ids_stream_pool *p, uint32_t owner, uint32_t seq);
/* An empty pool over dirs[0 .. ndirs) (each reset here), with gone. */
void ids_stream_init(struct ids_stream_pool *p, struct ids_stream_dir *dirs, uint32_t ndirs,
		     ids_stream_gone_fn gone, void *ctx);
/* Direction owner with nothing known (its tail, if any, back to the pool):
 * a new flow in its entry. */
void ids_stream_reset(struct ids_stream_pool *p, uint32_t owner);
/*
 * Segment data[0 .. n) at sequence seq (its first byte's; for a SYN the
 * ISN + 1), with a FIN or not, against direction owner; nothing moves. A
 * direction not yet known takes seq as its start (a flow picked up
 * mid-stream): NEW. Sequence numbers compare modulo 2^32 (RFC 1982): a
 * segment that starts more than 2^31 ahead is behind.
 */
struct ids_seg_view ids_stream_classify(const struct ids_stream_pool *p, uint32_t owner,
					uint32_t seq, const uint8_t *data, uint32_t n, bool fin);
/*
 * Whether direction owner would need a tail for new data and none can be
 * had: none free, and none taken back from a gone flow in
 * IDS_STREAM_RECLAIM_STEPS looks (which it takes back); or its bytes
 * before next are lost (IDS_DIR_LOST: its tail was taken back, or a commit
 * found none), so that no tail can stand before new bytes. The caller asks
 * before the segment crosses.
 */
bool ids_stream_starved(struct ids_stream_pool *p, uint32_t owner);
/*
 * The segment crossed: its bytes from skip on follow the stream (ahead:
 * the stream starts again at seq, its tail emptied; the segment is then
 * all new), and next moves past them. A FIN right after the stream's
 * last byte is kept apart (fin, once): next never moves past it, so that
 * the tail's last byte is always next's. 0, or -1 when the direction
 * needed a tail and none could be had: next still moves, the tail stays
 * empty (what was before it is lost: IDS_DIR_LOST).
 */
int ids_stream_commit(struct ids_stream_pool *p, uint32_t owner, uint32_t seq,
		      const uint8_t *data, uint32_t n, uint32_t skip, bool fin, bool ahead);
/* Direction owner's tail: its bytes, *len of them (*len 0 when none). */
const uint8_t *ids_stream_tail(const struct ids_stream_pool *p, uint32_t owner, uint32_t *len);

#endif
