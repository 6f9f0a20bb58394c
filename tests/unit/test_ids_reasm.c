/* SPDX-License-Identifier: MIT */
/* TCP reassembly in-line (src/ids/stream.c): in order, a marker split over
 * two segments, out of order, overlaps that agree or differ (the bytes seen
 * first win), bytes older than the tail, sequence wrap, a FIN, the tail's
 * bound, the pool's exhaustion and its slots taken back from gone flows,
 * and a flow's end freeing its tail. */
#include "unit.h"
#include <stdlib.h>

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
	return ids_stream_classify(&pool, o, seq, (const uint8_t *)d, (uint32_t)strlen(d));
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
	/* a FIN takes a sequence number: the next byte is past it */
	assert_int_equal(ids_stream_commit(&pool, 0, 1006, (const uint8_t *)"g", 1, 0, true, false),
			 0);
	assert_int_equal(dirs[0].next, 1008);
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
	 * tail (and says so), its next still moves */
	assert_true(ids_stream_starved(&pool, IDS_STREAM_SLOTS));
	assert_int_equal(cross(IDS_STREAM_SLOTS, 7, "bb"), -1);
	assert_tail(IDS_STREAM_SLOTS, "");
	assert_int_equal(dirs[IDS_STREAM_SLOTS].next, 9);
	/* a direction that has a tail is never starved */
	assert_false(ids_stream_starved(&pool, 3));
	assert_int_equal(cross(3, 1, "more"), 0);
	/* a gone flow's slot is taken back (its direction then knows nothing),
	 * found within a turn of the hand (each look moves it on) */
	gone_flag[5] = true;
	unsigned looks = 1;
	while (ids_stream_starved(&pool, IDS_STREAM_SLOTS))
		assert_true(++looks <= IDS_STREAM_SLOTS / IDS_STREAM_RECLAIM_STEPS);
	assert_int_equal(pool.reclaimed, 1);
	assert_int_equal(dirs[5].slot, IDS_STREAM_NONE);
	assert_int_equal(dirs[5].init, 0);
	assert_int_equal(cross(IDS_STREAM_SLOTS, 9, "cc"), 0);
	assert_tail(IDS_STREAM_SLOTS, "cc");
	assert_int_equal(pool.used, IDS_STREAM_SLOTS);
	/* the look for a gone one is bounded: one past the hand's reach is
	 * not found in one call */
	gone_flag[(pool.hand + IDS_STREAM_RECLAIM_STEPS) % IDS_STREAM_SLOTS] = true;
	assert_true(ids_stream_starved(&pool, IDS_STREAM_SLOTS + 1));
	assert_false(ids_stream_starved(&pool, IDS_STREAM_SLOTS + 1));
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
