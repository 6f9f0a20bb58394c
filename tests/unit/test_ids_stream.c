/* SPDX-License-Identifier: MIT */
/* TCP reassembly (tools/policy/ids_stream.c): in order, out of order,
 * overlaps keeping the first bytes, sequence wrap, the bounded window and
 * the out-of-order limits. */
#include "unit.h"
#include <stdlib.h>

#include "ids.h"

static struct ids_stream s;
static struct ids_reasm_stats st;

static int setup(void **state)
{
	memset(&s, 0, sizeof(s));
	memset(&st, 0, sizeof(st));
	return 0;
}

static int teardown(void **state)
{
	ids_stream_free(&s, &st);
	assert_int_equal(st.mem, 0);
	return 0;
}

static uint32_t add(uint32_t seq, const char *d)
{
	return ids_stream_add(&s, seq, (const uint8_t *)d, (uint32_t)strlen(d), &st);
}

static void test_in_order_and_gap(void **state)
{
	ids_stream_start(&s, 1000);
	assert_int_equal(add(1000, "GET "), 4);
	assert_int_equal(add(1008, "HTTP"), 0);	/* a gap: held */
	assert_int_equal(s.nooo, 1);
	assert_int_equal(add(1004, "/ab "), 8);	/* fills it: both in order */
	assert_int_equal(s.len, 12);
	assert_memory_equal(s.buf, "GET /ab HTTP", 12);
	assert_int_equal(s.nooo, 0);
}

static void test_overlap_first_wins(void **state)
{
	ids_stream_start(&s, 0);
	add(0, "abcd");
	/* a retransmission with other bytes: the first ones stay */
	assert_int_equal(add(2, "XXef"), 2);
	assert_memory_equal(s.buf, "abcdef", 6);
	/* out of order, overlapping each other: the first received wins */
	add(10, "klmn");
	add(8, "IJKL");
	add(6, "gh");
	assert_int_equal(s.len, 14);
	assert_memory_equal(s.buf, "abcdefghIJklmn", 14);
	assert_true(s.overlaps >= 2);
}

static void test_wrap(void **state)
{
	ids_stream_start(&s, 0xfffffffeu);
	assert_int_equal(add(0xfffffffeu, "ab"), 2);
	assert_int_equal(add(2, "ef"), 0);
	assert_int_equal(add(0, "cd"), 4);
	assert_memory_equal(s.buf, "abcdef", 6);
}

static void test_limits(void **state)
{
	ids_stream_start(&s, 0);
	/* more out-of-order segments than the limit: the rest are dropped */
	for (uint32_t i = 0; i < IDS_OOO_SEGS_MAX + 10; i++)
		add(10 + 4 * i, "ab");
	assert_int_equal(s.nooo, IDS_OOO_SEGS_MAX);
	assert_int_equal(s.ooo_dropped, 10);
	ids_stream_free(&s, &st);
	/* the window keeps only its last IDS_STREAM_WINDOW bytes */
	ids_stream_start(&s, 0);
	uint8_t *big = malloc(IDS_STREAM_WINDOW);
	memset(big, 'a', IDS_STREAM_WINDOW);
	ids_stream_add(&s, 0, big, IDS_STREAM_WINDOW, &st);
	assert_int_equal(add(IDS_STREAM_WINDOW, "tail"), 4);
	assert_int_equal(s.len, IDS_STREAM_WINDOW);
	assert_memory_equal(s.buf + s.len - 4, "tail", 4);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_in_order_and_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap_first_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
