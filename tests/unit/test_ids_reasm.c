/* SPDX-License-Identifier: MIT */
/* TCP reassembly in-line (src/ids/stream.c): in order, a marker split over
 * two segments, out of order, overlaps that agree or differ (the bytes seen
 * first win), bytes older than the tail, sequence wrap, a FIN, the tail's
 * bound, the pool's exhaustion and its slots taken back from gone flows,
 * and a flow's end freeing its tail. */
#include "unit.h"
#include <stdlib.h>

#include "fw/fw.h"
#include "fw_frames.h"
#include "ids/app.h"
#include "ids/flow.h"
#include "ids/seg.h"
#include "ids/stream.h"

#define NDIRS (IDS_STREAM_SLOTS + 8)

static struct ids_stream_pool pool;
static struct ids_stream_dir dirs[NDIRS];
static bool gone_flag[NDIRS];

static bool gone(void *ctx, uint32_t owner)
{
	assert_ptr_equal(ctx, &pool);
	return gone_flag[owner];
}

static int setup(void **state)
{
	memset(gone_flag, 0, sizeof(gone_flag));
	ids_stream_init(&pool, dirs, NDIRS, gone, &pool);
	return 0;
}

static struct ids_seg_view classify(uint32_t o, uint32_t seq, const char *d)
{
	return ids_stream_classify(&pool, o, seq, (const uint8_t *)d, (uint32_t)strlen(d), false);
}

/* The segment crosses: classified, then committed as the layer does. */
static int cross(uint32_t o, uint32_t seq, const char *d)
{
	struct ids_seg_view v = classify(o, seq, d);

	return ids_stream_commit(&pool, o, seq, (const uint8_t *)d, (uint32_t)strlen(d), v.skip,
				 false, v.kind == IDS_SEG_AHEAD);
}

static void assert_tail(uint32_t o, const char *want)
{
	uint32_t len;
	const uint8_t *t = ids_stream_tail(&pool, o, &len);

	assert_int_equal(len, strlen(want));
	if (len)
		assert_memory_equal(t, want, len);
}

/* The window the layer scans: the tail, then the segment's new bytes. */
static bool window_has(uint32_t o, uint32_t seq, const char *d, const char *marker)
{
	struct ids_seg_view v = classify(o, seq, d);
	uint32_t tl;
	const uint8_t *t = ids_stream_tail(&pool, o, &tl);
	static char w[IDS_STREAM_TAIL + 256];

	assert_int_equal(v.kind, IDS_SEG_NEW);
	memcpy(w, t, tl);
	strcpy(w + tl, d + v.skip);
	/* a match that ends in the new bytes */
	for (char *at = strstr(w, marker); at; at = strstr(at + 1, marker))
		if (at - w + strlen(marker) > tl)
			return true;
	return false;
}

static void test_in_order(void **state)
{
	struct ids_seg_view v;

	/* a direction picked up mid-stream starts at its first segment */
	v = classify(0, 1000, "abc");
	assert_int_equal(v.kind, IDS_SEG_NEW);
	assert_int_equal(v.skip, 0);
	assert_int_equal(cross(0, 1000, "abc"), 0);
	assert_tail(0, "abc");
	assert_int_equal(dirs[0].next, 1003);
	assert_int_equal(cross(0, 1003, "def"), 0);
	assert_tail(0, "abcdef");
	assert_int_equal(pool.used, 1);
	/* the other direction is its own */
	assert_int_equal(cross(1, 5, "xyz"), 0);
	assert_tail(1, "xyz");
	assert_tail(0, "abcdef");
	/* a FIN takes a sequence number, kept apart: next stays the tail's */
	assert_int_equal(ids_stream_commit(&pool, 0, 1006, (const uint8_t *)"g", 1, 0, true, false),
			 0);
	assert_int_equal(dirs[0].next, 1007);
	assert_int_equal(dirs[0].fin, 1007);
	/* a SYN alone starts a direction at the ISN + 1 (the caller's seq) */
	assert_int_equal(ids_stream_commit(&pool, 2, 42, NULL, 0, 0, false, false), 0);
	assert_int_equal(dirs[2].next, 42);
	assert_int_equal(classify(2, 43, "a").kind, IDS_SEG_AHEAD);
	assert_int_equal(pool.used, 2); /* no data, no tail */
}

static void test_split_marker(void **state)
{
	assert_int_equal(cross(0, 1, "GET /x RAMPART-IDS-"), 0);
	/* alone, the second segment holds no marker; with the tail it does,
	 * ending in its bytes */
	assert_null(strstr("DROP rest", "RAMPART-IDS-DROP"));
	assert_true(window_has(0, 20, "DROP rest", "RAMPART-IDS-DROP"));
	/* a marker wholly in the tail does not count for the next segment */
	assert_int_equal(cross(0, 20, "xx RAMPART-IDS-DROP yy"), 0);
	assert_false(window_has(0, 42, "zz", "RAMPART-IDS-DROP"));
	assert_true(window_has(0, 42, "zz RAMPART-IDS-DROP", "RAMPART-IDS-DROP"));
}

static void test_out_of_order(void **state)
{
	struct ids_seg_view v;

	assert_int_equal(cross(0, 100, "abcd"), 0);
	v = classify(0, 110, "later");
	assert_int_equal(v.kind, IDS_SEG_AHEAD);
	/* nothing moved: the hole's bytes are still the next ones */
	assert_int_equal(dirs[0].next, 104);
	assert_int_equal(classify(0, 104, "efghij").kind, IDS_SEG_NEW);
	/* one that crosses anyway (ids mode) starts the stream again there */
	assert_int_equal(cross(0, 110, "later"), 0);
	assert_tail(0, "later");
	assert_int_equal(dirs[0].next, 115);
	/* more than 2^31 ahead is behind */
	assert_int_equal(classify(0, 115 + 0x80000001u, "x").kind, IDS_SEG_OLD);
	assert_int_equal(classify(0, 115 + 0x7fffffffu, "x").kind, IDS_SEG_AHEAD);
}

static void test_overlap(void **state)
{
	struct ids_seg_view v;

	assert_int_equal(cross(0, 100, "abcdef"), 0);
	/* a retransmission with the same bytes, and more: only the more is new */
	v = classify(0, 104, "efgh");
	assert_int_equal(v.kind, IDS_SEG_NEW);
	assert_int_equal(v.skip, 2);
	assert_int_equal(v.unchecked, 0);
	/* the same bytes, none new */
	v = classify(0, 101, "bcd");
	assert_int_equal(v.kind, IDS_SEG_OLD);
	assert_int_equal(v.skip, 3);
	/* bytes already seen that differ: DIFF, wherever they are */
	assert_int_equal(classify(0, 104, "eXgh").kind, IDS_SEG_DIFF);
	assert_int_equal(classify(0, 100, "Abcdef").kind, IDS_SEG_DIFF);
	assert_int_equal(classify(0, 103, "dEf").kind, IDS_SEG_DIFF);
	/* crossing anyway (ids mode), the bytes seen first stay */
	v = classify(0, 104, "eXgh");
	assert_int_equal(ids_stream_commit(&pool, 0, 104, (const uint8_t *)"eXgh", 4, v.skip, false,
					   false),
			 0);
	assert_tail(0, "abcdefgh");
	/* bytes older than the tail cannot be compared: counted */
	static char big[IDS_STREAM_TAIL + 1];
	memset(big, 'z', IDS_STREAM_TAIL);
	assert_int_equal(cross(0, 108, big), 0);
	v = classify(0, 100, "QQQQQQQQzz");
	assert_int_equal(v.kind, IDS_SEG_OLD);
	assert_int_equal(v.unchecked, 8);
	assert_int_equal(classify(0, 100, "QQQQQQQQzy").kind, IDS_SEG_DIFF);
}

static void test_wrap(void **state)
{
	struct ids_seg_view v;

	assert_int_equal(cross(0, 0xfffffffeu, "abcd"), 0);
	assert_int_equal(dirs[0].next, 2);
	v = classify(0, 0xffffffffu, "bcdXY");
	assert_int_equal(v.kind, IDS_SEG_NEW);
	assert_int_equal(v.skip, 3);
	assert_int_equal(classify(0, 0xffffffffu, "bXd").kind, IDS_SEG_DIFF);
	assert_int_equal(classify(0, 3, "z").kind, IDS_SEG_AHEAD);
	assert_int_equal(cross(0, 0xffffffffu, "bcdXY"), 0);
	assert_tail(0, "abcdXY");
	assert_int_equal(dirs[0].next, 4);
}

static void test_tail_bound(void **state)
{
	static char big[IDS_STREAM_TAIL + 100];

	for (unsigned i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char)('a' + i % 26);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(cross(0, 0, "0123"), 0);
	/* a segment longer than the tail: its last IDS_STREAM_TAIL bytes */
	assert_int_equal(cross(0, 4, big), 0);
	assert_tail(0, big + sizeof(big) - 1 - IDS_STREAM_TAIL);
	/* short ones after it: the oldest bytes go */
	assert_int_equal(cross(0, 4 + sizeof(big) - 1, "!!"), 0);
	uint32_t len;
	const uint8_t *t = ids_stream_tail(&pool, 0, &len);
	assert_int_equal(len, IDS_STREAM_TAIL);
	assert_memory_equal(t, big + sizeof(big) - 1 - IDS_STREAM_TAIL + 2, IDS_STREAM_TAIL - 2);
	assert_memory_equal(t + IDS_STREAM_TAIL - 2, "!!", 2);
}

static void test_pool(void **state)
{
	/* every slot taken, one byte each */
	for (uint32_t o = 0; o < IDS_STREAM_SLOTS; o++)
		assert_int_equal(cross(o, 0, "a"), 0);
	assert_int_equal(pool.used, IDS_STREAM_SLOTS);
	/* one more direction with data: starved; crossing anyway it keeps no
	 * tail (and says so), its next still moves, and it stays starved: the
	 * bytes before its next are lost, no tail can stand before new ones */
	assert_true(ids_stream_starved(&pool, IDS_STREAM_SLOTS));
	assert_int_equal(cross(IDS_STREAM_SLOTS, 7, "bb"), -1);
	assert_tail(IDS_STREAM_SLOTS, "");
	assert_int_equal(dirs[IDS_STREAM_SLOTS].next, 9);
	assert_true(ids_stream_starved(&pool, IDS_STREAM_SLOTS));
	/* a direction that has a tail is never starved */
	assert_false(ids_stream_starved(&pool, 3));
	assert_int_equal(cross(3, 1, "more"), 0);
	/* a gone flow's slot is taken back, found within a turn of the hand
	 * (each look moves it on) */
	gone_flag[5] = true;
	unsigned looks = 1;
	while (ids_stream_starved(&pool, IDS_STREAM_SLOTS + 1))
		assert_true(++looks <= IDS_STREAM_SLOTS / IDS_STREAM_RECLAIM_STEPS);
	assert_int_equal(pool.reclaimed, 1);
	assert_int_equal(cross(IDS_STREAM_SLOTS + 1, 9, "cc"), 0);
	assert_tail(IDS_STREAM_SLOTS + 1, "cc");
	assert_int_equal(pool.used, IDS_STREAM_SLOTS);
	/* the look for a gone one is bounded: one past the hand's reach is
	 * not found in one call */
	gone_flag[(pool.hand + IDS_STREAM_RECLAIM_STEPS) % IDS_STREAM_SLOTS] = true;
	assert_true(ids_stream_starved(&pool, IDS_STREAM_SLOTS + 2));
	assert_false(ids_stream_starved(&pool, IDS_STREAM_SLOTS + 2));
}

/* A tail taken back from a flow that is gone here (a RST its receiver
 * ignored) leaves its direction's next: the next segment is no fresh
 * start, scanned alone, but starved (the layer fails closed). */
static void test_reclaim_keeps_next(void **state)
{
	for (uint32_t o = 0; o < IDS_STREAM_SLOTS; o++)
		assert_int_equal(cross(o, 0, "a"), 0);
	assert_int_equal(cross(5, 1, "hello RAMPART-"), 0);
	gone_flag[5] = true;
	unsigned looks = 1;
	while (ids_stream_starved(&pool, IDS_STREAM_SLOTS))
		assert_true(++looks <= IDS_STREAM_SLOTS / IDS_STREAM_RECLAIM_STEPS);
	assert_int_equal(pool.reclaimed, 1);
	assert_int_equal(dirs[5].slot, IDS_STREAM_NONE);
	assert_int_equal(dirs[5].init, 1);
	assert_int_equal(dirs[5].next, 15);
	assert_tail(5, "");
	/* its second half: in order, but what was before it is gone */
	assert_int_equal(classify(5, 15, "IDS-DROP tail").kind, IDS_SEG_NEW);
	gone_flag[5] = false;
	assert_true(ids_stream_starved(&pool, 5));
	/* a new flow in the entry starts afresh */
	ids_stream_reset(&pool, 5);
	assert_int_equal(dirs[5].init, 0);
	assert_int_equal(dirs[5].flags, 0);
}

/* A FIN the receiver may drop (a bad checksum, an old timestamp) does not
 * move next: the bytes after it are compared with the tail's own, and
 * bytes at or past a FIN that crossed, or a FIN elsewhere, say so. */
static void test_fin_then_data_realigned(void **state)
{
	struct ids_seg_view v;

	assert_int_equal(cross(0, 100, "abcdEF"), 0);
	assert_int_equal(ids_stream_commit(&pool, 0, 106, NULL, 0, 0, true, false), 0);
	assert_int_equal(dirs[0].next, 106);
	/* "F" again at the pre-FIN next is not taken for the tail's 'F' */
	v = classify(0, 106, "Fxyz");
	assert_int_equal(v.skip, 0);
	assert_true(v.past_fin);
	/* a second FIN at next + 1 neither moves next nor passes */
	v = ids_stream_classify(&pool, 0, 107, NULL, 0, true);
	assert_true(v.past_fin);
	assert_int_equal(ids_stream_commit(&pool, 0, 107, NULL, 0, 0, true, false), 0);
	assert_int_equal(dirs[0].next, 106);
	assert_int_equal(dirs[0].fin, 106);
	/* the FIN sent again, and data before it sent again, pass */
	assert_false(ids_stream_classify(&pool, 0, 106, NULL, 0, true).past_fin);
	v = ids_stream_classify(&pool, 0, 104, (const uint8_t *)"EF", 2, true);
	assert_false(v.past_fin);
	assert_int_equal(v.kind, IDS_SEG_OLD);
	/* a segment ahead that crosses anyway (ids mode) starts a stream with no FIN */
	assert_int_equal(cross(0, 200, "new"), 0);
	assert_false(classify(0, 203, "more").past_fin);
}

static void test_flow_end(void **state)
{
	assert_int_equal(cross(4, 0, "abc"), 0);
	assert_int_equal(cross(5, 0, "xyz"), 0);
	assert_int_equal(pool.used, 2);
	/* a new flow in the entry: both directions start empty, their slots free */
	ids_stream_reset(&pool, 4);
	ids_stream_reset(&pool, 5);
	assert_int_equal(pool.used, 0);
	assert_tail(4, "");
	assert_int_equal(dirs[4].init, 0);
	/* and are handed out again, not fresh ones */
	uint32_t fresh = pool.fresh;
	assert_int_equal(cross(4, 77, "new"), 0);
	assert_int_equal(pool.fresh, fresh);
	assert_tail(4, "new");
	/* resetting a direction without a tail is harmless */
	ids_stream_reset(&pool, 6);
	assert_int_equal(pool.used, 1);
}

/* ---- the layer's path: flow table, then the segment's decision (seg.h) ---- */

#define G IP(10, 0, 2, 15)
#define R IP(203, 0, 113, 5)
#define NS 1000000000ull
#define MARK "RAMPART-IDS-DROP"

static struct fw_ct *ct;
static struct ids_stream_dir *ldirs;
static struct ids_stream_pool *lpool;
static uint8_t win[IDS_STREAM_TAIL + IDS_STREAM_SEG_MAX];
static uint8_t fr[70000];
static uint64_t now;

/* The layer's stream_gone (idsl.c). */
static bool lgone(void *ctx, uint32_t owner)
{
	const struct fw_ct_entry *e = &ct->e[owner / 2];

	(void)ctx;
	return !e->used || e->proto != FW_PROTO_TCP || e->expires <= now ||
	       e->tcp >= FW_TCP_TIME_WAIT;
}

static int lsetup(void **state)
{
	uint8_t key[FW_CT_KEY_BYTES] = {1, 2, 3};

	ct = calloc(1, sizeof(*ct));
	ldirs = calloc(2 * FW_CT_MAX, sizeof(*ldirs));
	lpool = calloc(1, sizeof(*lpool));
	assert_true(ct && ldirs && lpool);
	fw_ct_init(ct, key);
	ids_stream_init(lpool, ldirs, 2 * FW_CT_MAX, lgone, NULL);
	now = NS;
	return 0;
}

static int lteardown(void **state)
{
	free(ct);
	free(ldirs);
	free(lpool);
	return 0;
}

/* One frame through the layer's path in ips mode: the flow, the segment's
 * decision, a scan for MARK ending in the new bytes; it crosses (its flow
 * and stream move) only when the decision is OK and MARK is not found.
 * The decision, IDS_SEGW_OK with *marked when the scan found MARK. */
static enum ids_seg_why frame(uint32_t len, bool from_guest, bool *marked)
{
	struct fw_pkt p;
	struct ids_flow fl;
	struct ids_seg_plan sg;
	enum ids_seg_why why;
	uint32_t off, n;
	bool hit = false;

	assert_false(fw_parse(fr, len, &p));
	off = p.frag == FW_FRAG_LATER ? p.l4_off : p.l4_off + (uint32_t)(fr[p.l4_off + 12] >> 4) * 4;
	n = p.frag == FW_FRAG_LATER ? p.l4_len : p.l4_payload;
	assert_int_equal(ids_flow_track(ct, &p, from_guest, now, &fl), 0);
	if (fl.fresh && fl.entry != FW_CT_NIL) {
		ids_stream_reset(lpool, fl.entry * 2);
		ids_stream_reset(lpool, fl.entry * 2 + 1);
	}
	why = ids_seg_decide(lpool, ct, &p, &fl, fr + off, n, fw_l4_csum_ok(fr, len, &p), win, &sg);
	for (uint32_t i = 0; i + strlen(MARK) <= sg.scanlen; i++)
		if (!memcmp(sg.scan + i, MARK, strlen(MARK)) && i + strlen(MARK) > sg.min_end)
			hit = true;
	if (marked)
		*marked = hit;
	if (why != IDS_SEGW_OK || hit) {
		ids_flow_undo(ct, &fl);
		return why;
	}
	ids_seg_commit(lpool, &p, &sg, fr + off, n);
	return why;
}

/* The TCP checksum of the IPv4 frame fr[0 .. n) (20-byte IP header) made
 * right, after a change to its header or payload. */
static void tcp_csum(size_t n)
{
	uint8_t *ip = fr + 14, *t = ip + 20;
	uint32_t s = 6 + (uint32_t)(n - 34);

	ff_put16(t + 16, 0);
	for (unsigned i = 12; i < 20; i += 2)
		s += (uint32_t)ip[i] << 8 | ip[i + 1];
	ff_put16(t + 16, ff_csum(t, n - 34, s));
}

static size_t tcp_frame(bool from_guest, uint32_t seq, uint32_t ack, uint8_t flags,
			const void *d, size_t dl)
{
	size_t n = from_guest ? ff_tcp(fr, G, R, 40000, 80, seq, ack, flags, dl)
			      : ff_tcp(fr, R, G, 80, 40000, seq, ack, flags, dl);

	if (dl)
		memcpy(fr + n - dl, d, dl);
	tcp_csum(n);
	return n;
}

/* A segment's decision; crosses: OK and no MARK in its window. */
static enum ids_seg_why seg(bool from_guest, uint32_t seq, uint32_t ack, uint8_t flags,
			    const char *d, bool *marked)
{
	size_t dl = d ? strlen(d) : 0;

	return frame((uint32_t)tcp_frame(from_guest, seq, ack, flags, d, dl), from_guest, marked);
}

/* Whether a segment crosses. */
static bool crosses(bool from_guest, uint32_t seq, uint32_t ack, uint8_t flags, const char *d)
{
	bool marked;

	return seg(from_guest, seq, ack, flags, d, &marked) == IDS_SEGW_OK && !marked;
}

/* G:40000 opens to R:80; G's ISN 999, R's 4999. */
static void handshake(void)
{
	assert_true(crosses(true, 999, 0, FW_TCP_SYN, NULL));
	assert_true(crosses(false, 4999, 1000, FW_TCP_SYN | FW_TCP_ACK, NULL));
	assert_true(crosses(true, 1000, 5000, FW_TCP_ACK, NULL));
}

static void test_path_split_marker(void **state)
{
	bool marked;

	handshake();
	assert_true(crosses(true, 1000, 5000, FW_TCP_ACK, "hello RAMPART-"));
	assert_int_equal(seg(true, 1014, 5000, FW_TCP_ACK, "IDS-DROP tail", &marked), IDS_SEGW_OK);
	assert_true(marked);
	/* sent again without the marker's half it crosses */
	assert_true(crosses(true, 1014, 5000, FW_TCP_ACK, "IDS-xxxx tail"));
}

/* Filler with a bad TCP checksum (the receiver drops it) is refused and
 * moves nothing: the marker sent in two halves at the receiver's next is
 * then on the stream and caught. A RST with a bad checksum (one the
 * receiver ignores) closes nothing either. Before, the filler crossed and
 * moved the layer's next 5,000 bytes past the receiver's, and both halves
 * crossed as old bytes, each scanned alone. */
static void test_path_bad_checksum(void **state)
{
	static char filler[5001];
	size_t n;
	bool marked;

	handshake();
	memset(filler, 'f', 5000);
	n = tcp_frame(true, 1000, 5000, FW_TCP_ACK, filler, 5000);
	fr[n - 1] ^= 1; /* the checksum no longer matches */
	assert_int_equal(frame((uint32_t)n, true, NULL), IDS_SEGW_CSUM);
	n = tcp_frame(true, 1000, 5000, FW_TCP_RST | FW_TCP_ACK, NULL, 0);
	fr[14 + 20 + 16] ^= 1;
	assert_int_equal(frame((uint32_t)n, true, NULL), IDS_SEGW_CSUM);
	assert_true(crosses(true, 1000, 5000, FW_TCP_ACK, "RAMPART-"));
	assert_int_equal(seg(true, 1008, 5000, FW_TCP_ACK, "IDS-DROP", &marked), IDS_SEGW_OK);
	assert_true(marked);
	/* a checksum that is right crosses as before */
	assert_true(crosses(true, 1008, 5000, FW_TCP_ACK, "IDS-xxxx"));
}

/* Filler the receiver drops (a bad checksum) moves the layer's next past
 * the receiver's; a NEW segment starting at the receiver's next then has
 * more bytes before the layer's next than the tail holds: they are
 * neither compared nor in the window, and must not cross. */
static void test_path_unchecked_prefix(void **state)
{
	static char filler[5001], real[5101];

	handshake();
	memset(filler, 'f', 5000);
	assert_true(crosses(true, 1000, 5000, FW_TCP_ACK, filler));
	memset(real, 'r', 5100);
	memcpy(real, MARK, strlen(MARK));
	assert_int_equal(seg(true, 1000, 5000, FW_TCP_ACK, real, NULL), IDS_SEGW_DIFF);
	/* a retransmission of the filler itself is OLD: it crosses */
	assert_true(crosses(true, 1000, 5000, FW_TCP_ACK, "ffff"));
}

/* A TCP segment in IP fragments never joins its stream: dropped. */
static void test_path_fragments(void **state)
{
	size_t n;

	handshake();
	assert_true(crosses(true, 1000, 5000, FW_TCP_ACK, "hello RAMPART-"));
	n = tcp_frame(true, 1014, 5000, FW_TCP_ACK, "IDS-DROP tail", 13);
	fr[14 + 6] = 0x20; /* more fragments, offset 0 */
	fr[14 + 7] = 0;
	fr[14 + 10] = fr[14 + 11] = 0;
	ff_put16(fr + 14 + 10, ff_csum(fr + 14, 20, 0));
	assert_int_equal(frame((uint32_t)n, true, NULL), IDS_SEGW_FRAG);
	/* a later fragment: its bytes no TCP header, never on the stream */
	fr[14 + 6] = 0x00;
	fr[14 + 7] = 4; /* offset 32 bytes */
	fr[14 + 10] = fr[14 + 11] = 0;
	ff_put16(fr + 14 + 10, ff_csum(fr + 14, 20, 0));
	assert_int_equal(frame((uint32_t)n, true, NULL), IDS_SEGW_FRAG);
}

/* URG with an urgent pointer: Linux takes the byte it names out of the
 * stream the application reads (no SO_OOBINLINE): "RAMPART-IDS-xDROP"
 * reads "RAMPART-IDS-DROP". Dropped, whatever the bytes. */
static void test_path_urgent(void **state)
{
	size_t n;

	handshake();
	n = tcp_frame(true, 1000, 5000, FW_TCP_ACK | FW_TCP_URG, "RAMPART-IDS-xDROP", 17);
	ff_put16(fr + 14 + 20 + 18, 13); /* the byte after 'x': 'x' is urgent */
	tcp_csum(n);
	assert_int_equal(frame((uint32_t)n, true, NULL), IDS_SEGW_URG);
	/* a pointer past the payload names a later segment's byte */
	n = tcp_frame(true, 1000, 5000, FW_TCP_ACK | FW_TCP_URG, NULL, 0);
	ff_put16(fr + 14 + 20 + 18, 13);
	tcp_csum(n);
	assert_int_equal(frame((uint32_t)n, true, NULL), IDS_SEGW_URG);
	/* a pointer of 0 names the segment's first byte: "RAMPART-IDS-" then
	 * "xDROP" with URG reads as the marker */
	assert_true(crosses(true, 1000, 5000, FW_TCP_ACK, "RAMPART-IDS-"));
	n = tcp_frame(true, 1012, 5000, FW_TCP_ACK | FW_TCP_URG, "xDROP", 5);
	assert_int_equal(frame((uint32_t)n, true, NULL), IDS_SEGW_URG);
	/* and a bare URG names the next segment's first byte */
	n = tcp_frame(true, 1012, 5000, FW_TCP_ACK | FW_TCP_URG, NULL, 0);
	assert_int_equal(frame((uint32_t)n, true, NULL), IDS_SEGW_URG);
}

/* An honest close and a half-close: the ACKs after a FIN (at its sequence
 * number + 1, no byte) cross, and the other side's data with them; a
 * keepalive probe (one byte at next - 1, any value) crosses too, but two
 * differing bytes before next are still a difference. */
static void test_path_close(void **state)
{
	handshake();
	assert_true(crosses(true, 1000, 5000, FW_TCP_ACK, "request"));
	assert_true(crosses(false, 5000, 1007, FW_TCP_ACK, "reply, part 1"));
	assert_true(crosses(true, 1007, 5013, FW_TCP_ACK, NULL)); /* all acked: idle */
	assert_int_equal(seg(false, 5012, 1007, FW_TCP_ACK, "?", NULL), IDS_SEGW_OK); /* probe */
	assert_int_equal(seg(false, 5011, 1007, FW_TCP_ACK, "??", NULL), IDS_SEGW_DIFF);
	assert_true(crosses(true, 1007, 5013, FW_TCP_FIN | FW_TCP_ACK, NULL)); /* shutdown */
	assert_true(crosses(false, 5013, 1008, FW_TCP_ACK, "part 2"));
	assert_true(crosses(true, 1008, 5019, FW_TCP_ACK, NULL)); /* half-closed: its ACK */
	assert_true(crosses(false, 5019, 1008, FW_TCP_FIN | FW_TCP_ACK, NULL));
	assert_true(crosses(true, 1008, 5020, FW_TCP_ACK, NULL)); /* the close's last ACK */
	assert_int_equal(seg(true, 1008, 5020, FW_TCP_ACK, "late", NULL), IDS_SEGW_FIN);
}

/* review-23: a SYN's data (which Linux throws away without a TFO cookie:
 * its SYN-ACK acks the ISN + 1 alone) then, as a keepalive probe at the
 * ISN + 1, another byte (a TLS record's first, 0x16) which the receiver
 * takes as the stream's first: no probe until the receiver acked the byte
 * before it, a difference (dropped in ips mode). The tail's own byte there
 * is a resend; once the receiver acked it, any byte is a probe. */
static void test_path_probe_unacked(void **state)
{
	assert_true(crosses(true, 999, 0, FW_TCP_SYN, "A"));
	assert_true(crosses(false, 4999, 1000, FW_TCP_SYN | FW_TCP_ACK, NULL)); /* A not taken */
	assert_true(crosses(true, 1000, 5000, FW_TCP_ACK, NULL));
	assert_int_equal(seg(true, 1000, 5000, FW_TCP_ACK | FW_TCP_PSH, "\x16", NULL),
			 IDS_SEGW_DIFF);
	assert_int_equal(seg(true, 1000, 5000, FW_TCP_ACK | FW_TCP_PSH, "A", NULL), IDS_SEGW_OK);
	assert_true(crosses(false, 5000, 1001, FW_TCP_ACK, NULL)); /* now A is taken */
	assert_int_equal(seg(true, 1000, 5000, FW_TCP_ACK, "\x16", NULL), IDS_SEGW_OK); /* probe */
}

/* Bare FINs at next the receiver drops (a bad checksum) neither move the
 * stream's next nor let data past them cross: "GET /etc/pas", a FIN, then
 * "swd" would otherwise be taken for a repeat of the tail's 's'. */
static void test_path_fin_desync(void **state)
{
	handshake();
	assert_true(crosses(true, 1000, 5000, FW_TCP_ACK, "hello IDS-DROPRAMPART-"));
	assert_true(crosses(true, 1022, 5000, FW_TCP_FIN | FW_TCP_ACK, NULL));
	assert_int_equal(seg(true, 1023, 5000, FW_TCP_FIN | FW_TCP_ACK, NULL, NULL), IDS_SEGW_FIN);
	assert_int_equal(seg(true, 1022, 5000, FW_TCP_ACK, "IDS-DROPRAMPART-xyz", NULL),
			 IDS_SEGW_FIN);
	/* the FIN again crosses; the other way is its own */
	assert_true(crosses(true, 1022, 5000, FW_TCP_FIN | FW_TCP_ACK, NULL));
	assert_true(crosses(false, 5000, 1023, FW_TCP_ACK, "bye"));
}

/* A RST the receiver ignores closes the flow here; a SYN it ignores too
 * reopens it as a new flow (both streams empty): the data that follows is
 * conntrack-invalid (an ACK in SYN_SENT), on no stream: dropped, as is
 * data on the closed flow itself. */
static void test_path_rst_syn_reset(void **state)
{
	handshake();
	assert_true(crosses(true, 1000, 5000, FW_TCP_ACK, "hello RAMPART-"));
	assert_true(crosses(false, 5000, 1014, FW_TCP_ACK, NULL));
	assert_true(crosses(true, 1014, 5000, FW_TCP_RST | FW_TCP_ACK, NULL));
	assert_int_equal(seg(true, 1014, 5000, FW_TCP_ACK, "IDS-DROP tail", NULL), IDS_SEGW_LOST);
	assert_true(crosses(true, 1013, 0, FW_TCP_SYN, NULL));
	assert_int_equal(seg(true, 1014, 5000, FW_TCP_ACK, "IDS-DROP tail", NULL), IDS_SEGW_LOST);
}

/* The pool full, a flow closed here (its RST ignored) has its tail taken
 * back by another flow's first data: its next bytes are no fresh start,
 * they fail closed (nomem). */
static void test_path_rst_reclaim(void **state)
{
	size_t n;

	handshake();
	assert_true(crosses(true, 1000, 5000, FW_TCP_ACK, "hello RAMPART-"));
	assert_true(crosses(false, 5000, 1014, FW_TCP_ACK, NULL));
	assert_true(crosses(true, 1014, 5000, FW_TCP_RST | FW_TCP_ACK, NULL));
	for (uint32_t i = 0; i < IDS_STREAM_SLOTS; i++) {
		n = ff_tcp(fr, G, R, (uint16_t)(20000 + i), 81, 77, 0, FW_TCP_ACK, 1);
		fr[n - 1] = 'z';
		tcp_csum(n);
		frame((uint32_t)n, true, NULL);
	}
	n = ff_tcp(fr, G, R, 20000, 81, 78, 0, FW_TCP_RST, 0);
	tcp_csum(n);
	assert_int_equal(frame((uint32_t)n, true, NULL), IDS_SEGW_OK);
	assert_int_equal(lpool->reclaimed, 1);
	/* the flow's next data: closed here (lost) or, were it not, starved */
	assert_int_not_equal(seg(true, 1014, 5000, FW_TCP_ACK, "IDS-DROP tail", NULL), IDS_SEGW_OK);
}

/* A ClientHello. */
static size_t hello(uint8_t *h)
{
	static const char name[] = "evil.test";
	size_t nl = sizeof(name) - 1, o = 0, body;

	h[o++] = 0x16;
	h[o++] = 3;
	h[o++] = 1;
	o += 2;
	h[o++] = 1;
	o += 3;
	h[o++] = 3;
	h[o++] = 3;
	memset(h + o, 7, 32);
	o += 32;
	h[o++] = 0;
	h[o++] = 0;
	h[o++] = 2;
	h[o++] = 0x13;
	h[o++] = 1;
	h[o++] = 1;
	h[o++] = 0;
	h[o++] = 0;
	h[o++] = (uint8_t)(9 + nl);
	h[o++] = 0;
	h[o++] = 0;
	h[o++] = 0;
	h[o++] = (uint8_t)(5 + nl);
	h[o++] = 0;
	h[o++] = (uint8_t)(3 + nl);
	h[o++] = 0;
	h[o++] = 0;
	h[o++] = (uint8_t)nl;
	memcpy(h + o, name, nl);
	o += nl;
	body = o - 9;
	h[3] = (uint8_t)((o - 5) >> 8);
	h[4] = (uint8_t)(o - 5);
	h[6] = 0;
	h[7] = (uint8_t)(body >> 8);
	h[8] = (uint8_t)body;
	return o;
}

/* The bytes that decide a flow's protocol are its direction's first new
 * ones: a stale byte at the ISN (the receiver drops it as old) is OLD and
 * decides nothing; the ClientHello after it does, and is TLS. */
static void test_path_first_bytes(void **state)
{
	struct fw_pkt p;
	struct ids_flow fl;
	struct ids_seg_plan sg;
	uint8_t h[256];
	size_t hl = hello(h), n;

	handshake();
	n = tcp_frame(true, 999, 5000, FW_TCP_ACK, "X", 1);
	assert_false(fw_parse(fr, n, &p));
	assert_int_equal(ids_flow_track(ct, &p, true, now, &fl), 0);
	assert_int_equal(ids_seg_decide(lpool, ct, &p, &fl, fr + n - 1, 1, true, win, &sg), IDS_SEGW_OK);
	assert_int_equal(sg.v.kind, IDS_SEG_OLD);
	assert_false(sg.v.first);
	ids_seg_commit(lpool, &p, &sg, fr + n - 1, 1);
	n = tcp_frame(true, 1000, 5000, FW_TCP_ACK, h, hl);
	assert_false(fw_parse(fr, n, &p));
	assert_int_equal(ids_flow_track(ct, &p, true, now, &fl), 0);
	assert_int_equal(ids_seg_decide(lpool, ct, &p, &fl, fr + n - hl, (uint32_t)hl, true, win,
					&sg),
			 IDS_SEGW_OK);
	assert_true(sg.v.first);
	assert_true(ids_tls_start(fr + n - hl + sg.v.skip, (uint32_t)(hl - sg.v.skip)));
	ids_seg_commit(lpool, &p, &sg, fr + n - hl, (uint32_t)hl);
	/* the next bytes are not the first */
	n = tcp_frame(true, 1000 + (uint32_t)hl, 5000, FW_TCP_ACK, "more", 4);
	assert_false(fw_parse(fr, n, &p));
	assert_int_equal(ids_flow_track(ct, &p, true, now, &fl), 0);
	assert_int_equal(ids_seg_decide(lpool, ct, &p, &fl, fr + n - 4, 4, true, win, &sg), IDS_SEGW_OK);
	assert_false(sg.v.first);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_in_order, setup),
		cmocka_unit_test_setup(test_split_marker, setup),
		cmocka_unit_test_setup(test_out_of_order, setup),
		cmocka_unit_test_setup(test_overlap, setup),
		cmocka_unit_test_setup(test_wrap, setup),
		cmocka_unit_test_setup(test_tail_bound, setup),
		cmocka_unit_test_setup(test_pool, setup),
		cmocka_unit_test_setup(test_flow_end, setup),
		cmocka_unit_test_setup(test_reclaim_keeps_next, setup),
		cmocka_unit_test_setup(test_fin_then_data_realigned, setup),
		cmocka_unit_test_setup_teardown(test_path_split_marker, lsetup, lteardown),
		cmocka_unit_test_setup_teardown(test_path_unchecked_prefix, lsetup, lteardown),
		cmocka_unit_test_setup_teardown(test_path_fragments, lsetup, lteardown),
		cmocka_unit_test_setup_teardown(test_path_urgent, lsetup, lteardown),
		cmocka_unit_test_setup_teardown(test_path_fin_desync, lsetup, lteardown),
		cmocka_unit_test_setup_teardown(test_path_close, lsetup, lteardown),
		cmocka_unit_test_setup_teardown(test_path_probe_unacked, lsetup, lteardown),
		cmocka_unit_test_setup_teardown(test_path_bad_checksum, lsetup, lteardown),
		cmocka_unit_test_setup_teardown(test_path_rst_syn_reset, lsetup, lteardown),
		cmocka_unit_test_setup_teardown(test_path_rst_reclaim, lsetup, lteardown),
		cmocka_unit_test_setup_teardown(test_path_first_bytes, lsetup, lteardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
