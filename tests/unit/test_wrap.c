/* SPDX-License-Identifier: MIT */
/* The wrapper's engine (src/fw/wrap.c): the block request check over
 * ranges, their edges and overflow; token buckets (rate, burst, a request
 * over the burst, refill capped at the burst, huge times); and its policy
 * compiler (tools/policy/wrap.c): what compiles, each refusal, and the blob
 * check against corrupt blobs. */
#include "unit.h"
#include <stdlib.h>

#include "fw/wrap.h"
#include "wrap.h"

#define NS 1000000000ULL

static struct nft_result res;

static int teardown(void **state)
{
	(void)state;
	nft_result_free(&res);
	return 0;
}

/* Compiles text (must succeed) and returns its policy. */
static const struct wr_policy *compile(const char *text)
{
	const char *why = NULL;

	nft_result_free(&res);
	if (wrap_compile(text, strlen(text), "p.json", &res)) {
		for (unsigned i = 0; i < res.nerrors && i < NFT_ERRORS_MAX; i++)
			print_error("%s\n", res.errors[i]);
		fail_msg("compile failed");
	}
	assert_int_equal(wr_blob_check(res.blob, res.len, &why), 0);
	return res.blob;
}

/* The first refusal of text, or NULL when it compiles. */
static const char *refused(const char *text)
{
	nft_result_free(&res);
	if (wrap_compile(text, strlen(text), "p.json", &res) == 0)
		return NULL;
	assert_non_null(res.errors[0]);
	return res.errors[0];
}

static void test_ranges(void **state)
{
	const struct wr_policy *p = compile(
	    "{\"disk\": {\"read_only\": [[0, 2048]], \"deny\": [[4096, 8192], [10000, 10001]],"
	    " \"max_request\": 65536}}");
	unsigned r;

	(void)state;
	/* reads: anywhere but the denied ranges */
	assert_int_equal(wr_check_blk(p, false, 0, 512, &r), WR_OK);
	assert_int_equal(wr_check_blk(p, false, 2047 * 512, 1024, &r), WR_OK);
	assert_int_equal(wr_check_blk(p, false, 4095 * 512, 512, &r), WR_OK);
	assert_int_equal(wr_check_blk(p, false, 4095 * 512, 1024, &r), WR_DENIED); /* its end */
	assert_int_equal(r, 0);
	assert_int_equal(wr_check_blk(p, false, 8191 * 512, 512, &r), WR_DENIED);
	assert_int_equal(wr_check_blk(p, false, 8192 * 512, 512, &r), WR_OK); /* hi is open */
	assert_int_equal(wr_check_blk(p, false, 10000 * 512, 512, &r), WR_DENIED);
	assert_int_equal(r, 1);
	assert_int_equal(wr_check_blk(p, false, 9999 * 512, 512, &r), WR_OK);
	/* writes: not into the read-only range either, not even its last byte */
	assert_int_equal(wr_check_blk(p, true, 0, 512, &r), WR_READ_ONLY);
	assert_int_equal(wr_check_blk(p, true, 2047 * 512, 512, &r), WR_READ_ONLY);
	assert_int_equal(wr_check_blk(p, true, 2048 * 512, 512, &r), WR_OK);
	assert_int_equal(wr_check_blk(p, true, 2000 * 512, 65536, &r), WR_READ_ONLY);
	/* a request straddling both: denied wins (it would not be read either) */
	assert_int_equal(wr_check_blk(p, true, 4000 * 512, 65536, &r), WR_DENIED);
	/* part of a sector counts as the sector; a request of no bytes names its own */
	assert_int_equal(wr_check_blk(p, false, 4095 * 512 + 511, 2, &r), WR_DENIED);
	assert_int_equal(wr_check_blk(p, true, 2047 * 512, 0, &r), WR_READ_ONLY);
	/* size: 64 KiB passes, a byte more does not */
	assert_int_equal(wr_check_blk(p, false, 20000 * 512, 65536, &r), WR_OK);
	assert_int_equal(wr_check_blk(p, false, 20000 * 512, 65537, &r), WR_TOO_BIG);
	/* an end past 2^64 is refused, never wrapped to a small sector */
	assert_int_equal(wr_check_blk(p, false, UINT64_MAX - 100, 512, &r), WR_DENIED);
	/* read_only: true is the whole disk */
	p = compile("{\"disk\": {\"read_only\": true}}");
	assert_int_equal(wr_check_blk(p, true, (UINT64_MAX / 512 - 1) * 512, 512, &r),
			 WR_READ_ONLY);
	assert_int_equal(wr_check_blk(p, false, 0, 1 << 20, &r), WR_OK);
	assert_int_equal(p->devices, WR_DEV_ALL);
}

static void test_bucket(void **state)
{
	struct wr_bucket b;
	uint64_t t = 5 * NS;

	(void)state;
	/* 1000 bytes/s, burst 100: the burst passes at once, then 1 byte per ms */
	wr_bucket_init(&b, 1000, 100, t);
	assert_int_equal(wr_bucket_wait(&b, t, 100), 0);
	wr_bucket_take(&b, 100);
	assert_int_equal(wr_bucket_wait(&b, t, 10), 10 * NS / 1000);
	assert_int_equal(wr_bucket_wait(&b, t + 9 * NS / 1000, 10), NS / 1000);
	assert_int_equal(wr_bucket_wait(&b, t + 10 * NS / 1000, 10), 0);
	wr_bucket_take(&b, 10);
	/* a long idle time refills to the burst, not beyond */
	t += 1000 * NS;
	assert_int_equal(wr_bucket_wait(&b, t, 100), 0);
	wr_bucket_take(&b, 100);
	assert_int_not_equal(wr_bucket_wait(&b, t, 1), 0);
	/* a request over the burst passes once the bucket is full, then is paid back */
	t += NS;
	assert_int_equal(wr_bucket_wait(&b, t, 500), 0);
	wr_bucket_take(&b, 500);
	assert_int_equal(wr_bucket_wait(&b, t, 1), 401 * NS / 1000);
	/* over a long run: no more than rate x time + burst passes */
	{
		uint64_t passed = 0, now = 100 * NS, start = now;

		wr_bucket_init(&b, 1000, 100, now);
		while (now < start + 10 * NS) {
			uint64_t w = wr_bucket_wait(&b, now, 37);

			if (w) {
				now += w;
				continue;
			}
			wr_bucket_take(&b, 37);
			passed += 37;
		}
		assert_true(passed <= 1000 * 10 + 100 + 37);
		assert_true(passed >= 1000 * 10 - 37);
	}
	/* no rate: no limit */
	wr_bucket_init(&b, 0, 0, 0);
	assert_int_equal(wr_bucket_wait(&b, 0, UINT64_MAX), 0);
	/* the largest rate and burst, a huge amount and a huge time: no overflow */
	wr_bucket_init(&b, WR_RATE_MAX, WR_BURST_MAX, 0);
	assert_int_equal(wr_bucket_wait(&b, 0, UINT64_MAX), 0);
	wr_bucket_take(&b, UINT64_MAX);
	assert_int_equal(wr_bucket_wait(&b, 0, WR_BURST_MAX), NS); /* 2^32 again: 1 s at 2^32/s */
	assert_int_equal(wr_bucket_wait(&b, UINT64_MAX, WR_BURST_MAX), 0);
	/* time going backwards changes nothing */
	wr_bucket_init(&b, 10, 10, 50 * NS);
	wr_bucket_take(&b, 10);
	assert_int_equal(wr_bucket_wait(&b, NS, 1), NS / 10);
}

static void test_compile(void **state)
{
	const struct wr_policy *p = compile(
	    "{\"devices\": [\"disk\", \"rng\"], \"disk\": {\"bytes_per_s\": 10000000, \"burst\": "
	    "1000000, \"write\": {\"ops_per_s\": 100, \"refuse\": true}},"
	    " \"net\": {\"bytes_per_s\": 5000000, \"rx\": {\"ops_per_s\": 50, \"burst_ops\": 5}}}");

	(void)state;
	assert_int_equal(p->devices, WR_DEV_DISK | WR_DEV_RNG);
	assert_int_equal(p->limit[WR_DISK_READ].bytes_per_s, 10000000);
	assert_int_equal(p->limit[WR_DISK_READ].burst_bytes, 1000000);
	assert_int_equal(p->limit[WR_DISK_READ].refuse, 0);
	/* a direction's own object replaces the device's keys for it */
	assert_int_equal(p->limit[WR_DISK_WRITE].bytes_per_s, 0);
	assert_int_equal(p->limit[WR_DISK_WRITE].ops_per_s, 100);
	assert_int_equal(p->limit[WR_DISK_WRITE].burst_ops, 100); /* default: one second */
	assert_int_equal(p->limit[WR_DISK_WRITE].refuse, 1);
	assert_int_equal(p->limit[WR_NET_TX].bytes_per_s, 5000000);
	assert_int_equal(p->limit[WR_NET_TX].burst_bytes, 5000000);
	assert_int_equal(p->limit[WR_NET_RX].bytes_per_s, 0);
	assert_int_equal(p->limit[WR_NET_RX].burst_ops, 5);
	/* the same text, the same bytes (a manifest can approve it) */
	{
		void *a = malloc(res.len);
		size_t n = res.len;

		memcpy(a, res.blob, n);
		compile("{\"devices\": [\"disk\", \"rng\"], \"disk\": {\"bytes_per_s\": 10000000, "
			"\"burst\": 1000000, \"write\": {\"ops_per_s\": 100, \"refuse\": true}},"
			" \"net\": {\"bytes_per_s\": 5000000, \"rx\": {\"ops_per_s\": 50, "
			"\"burst_ops\": 5}}}");
		assert_int_equal(n, res.len);
		assert_memory_equal(a, res.blob, n);
		free(a);
	}
	p = compile("{\"devices\": []}");
	assert_int_equal(p->devices, 0);
	assert_int_equal(p->exits_per_s, 0); /* no exit limit */
	assert_int_equal(p->exits_burst, 0);
	p = compile("{\"exits\": {\"per_s\": 2000, \"burst\": 500}}");
	assert_int_equal(p->version, 2);
	assert_int_equal(p->exits_per_s, 2000);
	assert_int_equal(p->exits_burst, 500);
	p = compile("{\"exits\": {\"per_s\": 4294967296}}"); /* a second's worth */
	assert_int_equal(p->exits_burst, WR_BURST_MAX);
}

static void test_refusals(void **state)
{
	static const char *const cases[][2] = {
	    {"[1]", "want a JSON object"},
	    {"{\"disk\": ", "p.json: 1: "},
	    {"{\"gpu\": {}}", "gpu: unknown key"},
	    {"{\"disk\": {\"foo\": 1}}", "disk.foo: unknown key"},
	    {"{\"disk\": {\"read_only\": [[5, 5]]}}", "disk.read_only[0]: the end must lie past"},
	    {"{\"disk\": {\"deny\": [[1, 2, 3]]}}", "disk.deny[0]: want [first, end)"},
	    {"{\"disk\": {\"deny\": [[-1, 2]]}}", "disk.deny[0]: want a whole number"},
	    {"{\"disk\": {\"deny\": 7}}", "disk.deny: want a list"},
	    {"{\"disk\": {\"max_request\": 100}}", "disk.max_request: less than a sector"},
	    {"{\"disk\": {\"max_request\": 1.5}}", "disk.max_request: want a whole number"},
	    {"{\"disk\": {\"bytes_per_s\": 4294967297}}", "disk.bytes_per_s: want a whole number"},
	    {"{\"disk\": {\"burst\": 10}}", "disk: a burst without its rate"},
	    {"{\"disk\": {\"bytes_per_s\": 10, \"burst\": 0}}", "disk: a burst of 0 passes nothing"},
	    {"{\"disk\": {\"read\": {\"refuse\": 1}}}", "disk.read.refuse: want true or false"},
	    {"{\"disk\": {\"read\": 3}}", "disk.read: want an object"},
	    {"{\"net\": {\"read\": {}}}", "net.read: unknown key"},
	    {"{\"net\": []}", "net: want an object"},
	    {"{\"devices\": [\"disk\", \"gpu\"]}", "devices[1]: not one of"},
	    {"{\"devices\": \"disk\"}", "devices: want a list"},
	    {"{\"disk\": {}, \"disk\": {}}", "duplicate"},
	    {"{\"exits\": {\"per_s\": 0}}", "exits.per_s: 0 lets the child never run"},
	    {"{\"exits\": {\"per_s\": 5, \"burst\": 0}}", "exits.burst: 0 lets the child"},
	    {"{\"exits\": {\"per_s\": -1}}", "exits.per_s: want a whole number"},
	    {"{\"exits\": {\"per_s\": \"many\"}}", "exits.per_s: want a whole number"},
	    {"{\"exits\": {\"per_s\": 4294967297}}", "exits.per_s: want a whole number"},
	    {"{\"exits\": {\"per_s\": 5, \"burst\": 4294967297}}", "exits.burst: want a whole"},
	    {"{\"exits\": {\"burst\": 5}}", "exits.per_s: missing"},
	    {"{\"exits\": {\"per_s\": 5, \"rate\": 1}}", "exits.rate: unknown key"},
	    {"{\"exits\": 1000}", "exits: want an object"},
	};
	char many[4096];
	size_t n;

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *e = refused(cases[i][0]);

		if (!e || !strstr(e, cases[i][1]))
			fail_msg("'%s': got '%s', want '%s'", cases[i][0], e ? e : "(compiled)",
				 cases[i][1]);
	}
	/* more ranges than WR_RANGES_MAX */
	n = (size_t)snprintf(many, sizeof(many), "{\"disk\": {\"deny\": [");
	for (unsigned i = 0; i <= WR_RANGES_MAX; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%s[%u, %u]", i ? ", " : "",
				      2 * i, 2 * i + 1);
	snprintf(many + n, sizeof(many) - n, "]}}");
	assert_non_null(strstr(refused(many), "at most 32 ranges"));
}

static void test_blob_check(void **state)
{
	const struct wr_policy *good = compile(
	    "{\"disk\": {\"read_only\": [[0, 8]], \"deny\": [[8, 16]], \"bytes_per_s\": 100}}");
	struct wr_policy *p = aligned_alloc(8, sizeof(*p) + 8);
	const char *why;

	(void)state;
	for (unsigned k = 0; k < 13; k++) {
		memcpy(p, good, sizeof(*p));
		switch (k) {
		case 0: p->magic ^= 1; break;
		case 1: p->version = 1; break; /* before the exit limit */
		case 2: p->size--; break;
		case 3: p->devices |= 8; break;
		case 4: p->nro = WR_RANGES_MAX + 1; break;
		case 5: p->deny[0].hi = p->deny[0].lo; break;
		case 6: p->limit[WR_DISK_READ].burst_bytes = 0; break;
		case 7: p->limit[WR_NET_RX].ops_per_s = WR_RATE_MAX + 1; break;
		case 8: p->exits_per_s = 10; break; /* a rate without a burst */
		case 9: p->exits_burst = 10; break; /* a burst without a rate */
		case 10: p->exits_per_s = WR_RATE_MAX + 1, p->exits_burst = 1; break;
		case 11: p->exits_per_s = 1, p->exits_burst = WR_BURST_MAX + 1; break;
		default: p->limit[WR_DISK_WRITE].refuse = 2; break;
		}
		why = NULL;
		assert_int_equal(wr_blob_check(p, sizeof(*p), &why), -1);
		assert_non_null(why);
	}
	memcpy(p, good, sizeof(*p));
	assert_int_equal(wr_blob_check(p, sizeof(*p), &why), 0);
	assert_int_equal(wr_blob_check(p, sizeof(*p) - 8, &why), -1);
	assert_int_equal(wr_blob_check((char *)p + 4, sizeof(*p), &why), -1); /* misaligned */
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_ranges, teardown),
		cmocka_unit_test_teardown(test_bucket, teardown),
		cmocka_unit_test_teardown(test_compile, teardown),
		cmocka_unit_test_teardown(test_refusals, teardown),
		cmocka_unit_test_teardown(test_blob_check, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
