/* SPDX-License-Identifier: MIT */
/*
 * The wrapper's engine (wrap.h): the policy blob's check, the block
 * request check and token buckets.
 *
 * Invariants:
 *  1. Nothing reads a blob field before wr_blob_check accepted the blob:
 *     magic, version, size, device bits, range counts, every range lo < hi,
 *     every rate and burst within bounds (the exit limit's too), a rate
 *     with a burst.
 *  2. A request is checked over every sector it touches, [off / 512,
 *     ceil((off + bytes) / 512)), against every range; an overflowing end
 *     is a refusal.
 *  3. A bucket's arithmetic stays within 63 bits: rate and burst are at
 *     most 2^32 (checked), an amount is clamped to WR_BURST_MAX, and a
 *     refill of any length is capped at the burst before it is multiplied.
 */
#include "fw/wrap.h"

#define NS 1000000000ULL

static bool limit_ok(const struct wr_limit *l)
{
	if (l->bytes_per_s > WR_RATE_MAX || l->ops_per_s > WR_RATE_MAX ||
	    l->burst_bytes > WR_BURST_MAX || l->burst_ops > WR_BURST_MAX || l->refuse > 1)
		return false;
	/* a rate needs a burst (a bucket of 0 passes nothing), a burst a rate */
	return !l->bytes_per_s == !l->burst_bytes && !l->ops_per_s == !l->burst_ops;
}

static bool ranges_ok(const struct wr_range *r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (r[i].lo >= r[i].hi)
			return false;
	return true;
}

int wr_blob_check(const void *blob, size_t len, const char **why)
{
	const struct wr_policy *p = blob;

	if (len != sizeof(*p) || (uintptr_t)blob % 8) {
		*why = "not a wrapper policy (size or alignment)";
		return -1;
	}
	if (p->magic != WR_MAGIC || p->version != WR_VERSION || p->size != len) {
		*why = "not a wrapper policy of this version (magic, version or size)";
		return -1;
	}
	if (p->devices & ~WR_DEV_ALL) {
		*why = "unknown device bits";
		return -1;
	}
	if (p->nro > WR_RANGES_MAX || p->ndeny > WR_RANGES_MAX || !ranges_ok(p->ro, p->nro) ||
	    !ranges_ok(p->deny, p->ndeny)) {
		*why = "a range list is too long or a range is empty";
		return -1;
	}
	for (unsigned d = 0; d < WR_DIRS; d++)
		if (!limit_ok(&p->limit[d])) {
			*why = "a rate limit out of bounds, or a rate without a burst";
			return -1;
		}
	if (p->exits_per_s > WR_RATE_MAX || p->exits_burst > WR_BURST_MAX ||
	    !p->exits_per_s != !p->exits_burst) {
		*why = "the exit limit out of bounds, or a rate without a burst";
		return -1;
	}
	return 0;
}

static int hit(const struct wr_range *r, uint32_t n, uint64_t lo, uint64_t hi)
{
	for (uint32_t i = 0; i < n; i++)
		if (lo < r[i].hi && r[i].lo < hi)
			return (int)i;
	return -1;
}

enum wr_verdict wr_check_blk(const struct wr_policy *p, bool write, uint64_t off,
			     uint64_t bytes, unsigned *range)
{
	uint64_t lo = off / WR_SECTOR, end = off + bytes, hi;
	int i;

	*range = 0;
	if (end < off)
		return WR_DENIED;
	hi = end / WR_SECTOR + (end % WR_SECTOR != 0);
	if (hi == lo)
		hi = lo + 1; /* a request of no bytes still names its sector */
	if ((i = hit(p->deny, p->ndeny, lo, hi)) >= 0) {
		*range = (unsigned)i;
		return WR_DENIED;
	}
	if (write && (i = hit(p->ro, p->nro, lo, hi)) >= 0) {
		*range = (unsigned)i;
		return WR_READ_ONLY;
	}
	if (p->max_request && bytes > p->max_request)
		return WR_TOO_BIG;
	return WR_OK;
}

void wr_bucket_init(struct wr_bucket *b, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
	b->rate = rate;
	b->burst = burst;
	b->credit = (int64_t)(burst * NS);
	b->last_ns = now_ns;
}

static void refill(struct wr_bucket *b, uint64_t now_ns)
{
	uint64_t full = b->burst * NS, dt;

	if (now_ns <= b->last_ns)
		return;
	dt = now_ns - b->last_ns;
	b->last_ns = now_ns;
	if (b->credit >= (int64_t)full)
		return;
	/* the time that fills the bucket from here, or the refill of dt */
	if (dt >= ((uint64_t)((int64_t)full - b->credit) + b->rate - 1) / b->rate)
		b->credit = (int64_t)full;
	else
		b->credit += (int64_t)(b->rate * dt);
}

static uint64_t clamp(uint64_t amount)
{
	return amount > WR_BURST_MAX ? WR_BURST_MAX : amount;
}

uint64_t wr_bucket_wait(struct wr_bucket *b, uint64_t now_ns, uint64_t amount)
{
	int64_t need;

	if (!b->rate)
		return 0;
	refill(b, now_ns);
	amount = clamp(amount);
	/* more than the burst passes once the bucket is full, as a loan */
	need = (int64_t)((amount < b->burst ? amount : b->burst) * NS);
	if (b->credit >= need)
		return 0;
	return ((uint64_t)(need - b->credit) + b->rate - 1) / b->rate;
}

void wr_bucket_take(struct wr_bucket *b, uint64_t amount)
{
	if (b->rate)
		b->credit -= (int64_t)(clamp(amount) * NS);
}
