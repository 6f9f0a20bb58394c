/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the wrapper's engine (src/fw/wrap.c): a policy blob
 * (its head made valid when the input's first byte says so, so that most
 * runs get past wr_blob_check), then a list of disk requests and bucket
 * steps. Every request's verdict is checked against a plain reading of the
 * policy (any sector of a denied range, a written sector of a read-only
 * one, the size), and each bucket against its promise: after the wait it
 * named, a request passes; over the run no more passed than rate x time +
 * burst + the one loan beyond the burst.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw/wrap.h"

#define NS 1000000000ULL

/* One step of the input: flags, an offset, a size, the time that passed. */
struct step {
	uint8_t flags; /* bit 0 write, bits 1-2 the direction's bucket, bit 3 ops bucket */
	uint8_t off[8];
	uint8_t bytes[4];
	uint8_t dt[3]; /* nanoseconds << 4: up to about 268 ms a step */
};

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* A plain reading: the first range of r[0..n) that [lo, hi) touches. */
static int touches(const struct wr_range *r, uint32_t n, uint64_t lo, uint64_t hi)
{
	for (uint32_t i = 0; i < n; i++)
		if (!(hi <= r[i].lo || r[i].hi <= lo))
			return (int)i;
	return -1;
}

static void check_request(const struct wr_policy *p, bool write, uint64_t off, uint64_t bytes)
{
	unsigned range = 99;
	enum wr_verdict v = wr_check_blk(p, write, off, bytes, &range);
	uint64_t end = off + bytes, lo = off / WR_SECTOR, hi;
	int d, r;

	if (end < off) { /* wraps past 2^64: refused as denied */
		if (v != WR_DENIED)
			abort();
		return;
	}
	hi = (end + WR_SECTOR - 1) / WR_SECTOR;
	if (end > UINT64_MAX - WR_SECTOR + 1)
		hi = end / WR_SECTOR + (end % WR_SECTOR != 0);
	if (hi == lo)
		hi = lo + 1;
	d = touches(p->deny, p->ndeny, lo, hi);
	r = write ? touches(p->ro, p->nro, lo, hi) : -1;
	if (d >= 0) {
		if (v != WR_DENIED || range != (unsigned)d)
			abort();
	} else if (r >= 0) {
		if (v != WR_READ_ONLY || range != (unsigned)r)
			abort();
	} else if (p->max_request && bytes > p->max_request) {
		if (v != WR_TOO_BIG)
			abort();
	} else if (v != WR_OK) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wr_policy p; /* aligned, as a sealed blob is */
	struct wr_bucket b[WR_DIRS][2];
	unsigned __int128 taken[WR_DIRS][2] = {{0}}, loan[WR_DIRS][2] = {{0}};
	uint64_t now = 0;
	const char *why;

	if (size < 1 + sizeof(p))
		return 0;
	memcpy(&p, data + 1, sizeof(p));
	if (data[0] & 1) { /* a valid head, counts in range */
		p.magic = WR_MAGIC;
		p.version = WR_VERSION;
		p.size = sizeof(p);
		p.devices &= WR_DEV_ALL;
		p.nro %= WR_RANGES_MAX + 1;
		p.ndeny %= WR_RANGES_MAX + 1;
		for (unsigned d = 0; d < WR_DIRS; d++) {
			struct wr_limit *l = &p.limit[d];

			l->bytes_per_s %= WR_RATE_MAX + 1;
			l->ops_per_s %= WR_RATE_MAX + 1;
			l->burst_bytes = l->bytes_per_s ? 1 + l->burst_bytes % WR_BURST_MAX : 0;
			l->burst_ops = l->ops_per_s ? 1 + l->burst_ops % WR_BURST_MAX : 0;
			l->refuse &= 1;
		}
		p.exits_per_s = p.exits_burst = 0;
	}
	if (wr_blob_check(&p, sizeof(p), &why))
		return 0;
	for (unsigned d = 0; d < WR_DIRS; d++) {
		wr_bucket_init(&b[d][0], p.limit[d].bytes_per_s, p.limit[d].burst_bytes, 0);
		wr_bucket_init(&b[d][1], p.limit[d].ops_per_s, p.limit[d].burst_ops, 0);
	}
	data += 1 + sizeof(p);
	size -= 1 + sizeof(p);
	for (; size >= sizeof(struct step); data += sizeof(struct step), size -= sizeof(struct step)) {
		const struct step *s = (const struct step *)data;
		unsigned d = (s->flags >> 1) & 3, k = (s->flags >> 3) & 1;
		uint64_t off = le(s->off, 8), bytes = le(s->bytes, 4), w;
		struct wr_bucket *bk = &b[d][k];
		uint64_t amount = k ? 1 : bytes;

		check_request(&p, s->flags & 1, off, bytes);
		now += le(s->dt, 3) << 4;
		w = wr_bucket_wait(bk, now, amount);
		if (w > (1ULL << 50))
			return 0; /* days: the clock would wrap within a few more steps */
		if (w) {
			/* the wait it names is enough, and no shorter wait would be */
			if (w > 1 && !wr_bucket_wait(bk, now + w - 2, amount))
				abort();
			now += w;
			if (wr_bucket_wait(bk, now, amount))
				abort();
		}
		wr_bucket_take(bk, amount);
		if (bk->rate) {
			uint64_t a = amount > WR_BURST_MAX ? WR_BURST_MAX : amount;

			taken[d][k] += a;
			if (a > bk->burst && a - bk->burst > loan[d][k])
				loan[d][k] = a - bk->burst;
			/* rate x time + burst + the largest loan, in tokens x 1e9 */
			if (taken[d][k] * NS > (unsigned __int128)bk->rate * now +
						   ((unsigned __int128)bk->burst + loan[d][k]) * NS)
				abort();
		}
	}
	return 0;
}
