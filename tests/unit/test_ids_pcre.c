/* SPDX-License-Identifier: MIT */
/* What the ids layer's pcres cost per frame: codes compiled by the policy
 * compiler (tools/policy/ids_blob.c, with PCRE2_AUTO_CALLOUT), decoded and
 * matched by the layer's own PCRE2 glue (src/ids/pcrert.c, built here for
 * the host) under one frame's budget (PCRERT_FRAME_STEPS, the deadline).
 * Patterns whose possessive repeats cost the square of the payload without
 * reaching PCRE2's own limits stop at the budget; an ordinary pcre matches
 * as before, for a few steps. */
#include "unit.h"
#include <stdlib.h>
#include <time.h>

#include "ids/blob.h"
#include "ids/pcrert.h"
#include "ids_blob.h"

static struct ids_blob_out out;

static const char rules[] =
	/* 0..2: the finding's patterns (each seconds over 65,000 'a's, unbounded) */
	"drop tcp any any -> any any (msg:\"p\"; content:\"a\"; pcre:\"/a[^x]*+xz/\"; sid:9;)\n"
	"drop tcp any any -> any any (msg:\"w\"; content:\"a\"; pcre:\"/a\\w*=/\"; sid:10;)\n"
	"drop tcp any any -> any any (msg:\"c\"; content:\"a\"; pcre:\"/a[a-z]*=/\"; sid:11;)\n"
	/* 3: an ordinary one */
	"alert tcp any any -> any any (msg:\"n\"; content:\"GET \"; "
	"pcre:\"/^GET \\/[a-z]+\\.php\\?id=\\d+/\"; sid:12;)\n"
	/* 4: a counted repeat that fails far from where it started, where no
	 * later item is tried (the steps see little of it: the deadline's case) */
	"drop tcp any any -> any any (msg:\"r\"; content:\"a\"; pcre:\"/a[a-z]{3000}=/\"; "
	"sid:13;)\n";

/* The largest frame a virtio-net device takes with offloads (64 KiB). */
#define BIG 65000u

static uint8_t *payload;

static int setup(void **state)
{
	FILE *devnull = fopen("/dev/null", "w");
	const struct ids_blob_hdr *h;
	const char *why;

	assert_int_equal(ids_blob_compile(rules, strlen(rules), "t.rules", NULL, 0, devnull, &out),
			 0);
	fclose(devnull);
	assert_int_equal(out.npcre, 5);
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	h = out.blob;
	/* A code compiled without PCRE2_AUTO_CALLOUT would go unbounded: its
	 * compile options (PCRE2 10.42's code block: byte 84, after the
	 * serialized header and tables, 16 + 1,088 bytes) without the bit,
	 * the blob is refused before it is decoded. */
	{
		uint8_t *copy = malloc(h->pcre_code_size);

		assert_non_null(copy);
		memcpy(copy, (const uint8_t *)out.blob + h->pcre_code_off, h->pcre_code_size);
		assert_true(copy[16 + 1088 + 84] & 0x4); /* PCRE2_AUTO_CALLOUT */
		copy[16 + 1088 + 84] &= (uint8_t)~0x4;
		assert_non_null(pcrert_load(copy, h->pcre_code_size, out.npcre));
		free(copy);
	}
	assert_null(pcrert_load((const uint8_t *)out.blob + h->pcre_code_off, h->pcre_code_size,
				out.npcre));
	payload = malloc(BIG);
	assert_non_null(payload);
	return 0;
}

/* n bytes of 'a's that end "z!=": each pattern's required byte (z, =) is
 * there, so PCRE2 tries every start, and none matches (no x; a '!' before
 * the '='): each start's repeat runs to the end. */
static const uint8_t *as(uint32_t n)
{
	memset(payload, 'a', n - 3);
	memcpy(payload + n - 3, "z!=", 3);
	return payload;
}

static int teardown(void **state)
{
	free(payload);
	free(out.blob);
	return 0;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The deadline needs the TSC's rate: a blob with pcres says so (the layer
 * refuses to start without one, as with thresholds); one without, not. */
static void test_needs_clock(void **state)
{
	static const char plain[] =
		"drop tcp any any -> any any (msg:\"c\"; content:\"abc\"; sid:1;)\n";
	static const char thr[] =
		"alert tcp any any -> any any (msg:\"t\"; content:\"abc\"; "
		"threshold:type limit, track by_src, count 1, seconds 60; sid:2;)\n";
	FILE *devnull = fopen("/dev/null", "w");
	struct ids_blob_out o;

	assert_string_equal(ids_blob_needs_clock(out.blob), "pcres");
	assert_int_equal(ids_blob_compile(plain, strlen(plain), "p.rules", NULL, 0, devnull, &o), 0);
	assert_null(ids_blob_needs_clock(o.blob));
	free(o.blob);
	assert_int_equal(ids_blob_compile(thr, strlen(thr), "t.rules", NULL, 0, devnull, &o), 0);
	assert_string_equal(ids_blob_needs_clock(o.blob), "thresholds");
	free(o.blob);
	fclose(devnull);
}

/* The finding's three patterns over 65,000 'a's: each spends the budget
 * (-1, spent, no step left) and stops there. PCRE2's own limits never
 * stopped them: before the budget each ran to a "no match" after seconds.
 * The callouts it took are at most the steps (each costs one at least). */
static void test_attack(void **state)
{
	for (uint32_t k = 0; k < 3; k++) {
		struct pcrert_budget b = {.steps = PCRERT_FRAME_STEPS};
		double t0 = now_ms();

		assert_int_equal(pcrert_match(k, as(BIG), BIG, &b), -1);
		assert_true(b.spent);
		assert_int_equal(b.steps, 0);
		assert_true(b.calls <= PCRERT_FRAME_STEPS);
		print_message("pcre %u over %u 'a's: stopped after %llu callouts, %.1f ms\n", k,
			      BIG, (unsigned long long)b.calls, now_ms() - t0);
		/* the frame's later pcres fail at once: the budget is the frame's */
		assert_int_equal(pcrert_match(3, (const uint8_t *)"GET /a.php?id=1", 15, &b), -1);
	}
}

/* The budget is shared: several pcres over one frame take from the same
 * steps, and together they stop where one alone would. A 1,500-byte frame
 * costs each about its length squared (2.25 Mi steps): the second is
 * stopped. */
static void test_shared(void **state)
{
	struct pcrert_budget b = {.steps = PCRERT_FRAME_STEPS};

	assert_int_equal(pcrert_match(0, as(1500), 1500, &b), 0);
	assert_false(b.spent);
	assert_true(b.steps < PCRERT_FRAME_STEPS - 2000000);
	print_message("pcre 0 over 1,500 'a's: %llu steps, %llu callouts\n",
		      (unsigned long long)(PCRERT_FRAME_STEPS - b.steps),
		      (unsigned long long)b.calls);
	assert_int_equal(pcrert_match(1, as(1500), 1500, &b), -1);
	assert_true(b.spent);
}

/* An ordinary pcre still matches (and refutes), for a handful of steps. */
static void test_ordinary(void **state)
{
	static const char get[] = "GET /index.php?id=42 HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char post[] = "GET /index.php?name=42 HTTP/1.1\r\n\r\n";
	struct pcrert_budget b = {.steps = PCRERT_FRAME_STEPS};

	assert_int_equal(pcrert_match(3, (const uint8_t *)get, sizeof(get) - 1, &b), 1);
	assert_int_equal(pcrert_match(3, (const uint8_t *)post, sizeof(post) - 1, &b), 0);
	/* the finding's patterns on ordinary text: matched, or not, at once */
	assert_int_equal(pcrert_match(1, (const uint8_t *)"data=1&b", 8, &b), 1);
	assert_int_equal(pcrert_match(0, (const uint8_t *)"bab xz", 6, &b), 1);
	assert_false(b.spent);
	print_message("ordinary pcres: %llu steps\n",
		      (unsigned long long)(PCRERT_FRAME_STEPS - b.steps));
	assert_true(PCRERT_FRAME_STEPS - b.steps < 1000);
}

/* A counted repeat that runs 3,000 bytes and fails on the next item, at
 * each start: the steps see a few of each (the distance from one start to
 * the next), the deadline sees its time. With the deadline passed, the
 * match stops within PCRERT_TSC_EVERY callouts. */
static void test_deadline(void **state)
{
	struct pcrert_budget b = {.steps = PCRERT_FRAME_STEPS};

	/* a '!' every 2,999 bytes: no start has 3,000 letters after it */
	as(9000);
	for (uint32_t i = 2999; i < 9000; i += 2999)
		payload[i] = '!';
	assert_int_equal(pcrert_match(4, payload, 9000, &b), 0);
	assert_false(b.spent);
	print_message("a counted repeat over 9,000 bytes: %llu steps, %llu callouts\n",
		      (unsigned long long)(PCRERT_FRAME_STEPS - b.steps),
		      (unsigned long long)b.calls);
	/* a deadline past: read before PCRE2 starts (each call reads it, then
	 * every PCRERT_TSC_EVERY callouts), so no callout runs */
	b = (struct pcrert_budget){.steps = PCRERT_FRAME_STEPS, .deadline = 1};
	assert_int_equal(pcrert_match(4, payload, 9000, &b), -1);
	assert_true(b.spent);
	assert_int_equal(b.calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_needs_clock),
		cmocka_unit_test(test_attack),
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_ordinary),
		cmocka_unit_test(test_deadline),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
