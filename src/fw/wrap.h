/* SPDX-License-Identifier: MIT */
/*
 * The wrapper's engine: its policy blob, the checks of a block request
 * against it, and token buckets. Freestanding (no libc header): the same
 * objects run in the wrapper layer (src/layer/wrl.c), in the policy
 * compiler's own check (tools/policy/wrap.c) and in the unit tests.
 *
 * The caller's contract:
 *  - wr_blob_check() must accept a blob before anything else reads it; the
 *    blob is then only read (it is mapped read-only in a layer);
 *  - the caller passes the time (nanoseconds, monotonic); nothing here
 *    reads a clock.
 *
 * What it promises:
 *  - wr_check_blk() refuses a request that touches any sector of a denied
 *    range, a write that touches any sector of a read-only range, and a
 *    request larger than the maximum; a request whose end overflows is
 *    refused as denied. Ranges are closed below and open above, in sectors;
 *  - a bucket never holds more than its burst; what it lends beyond it (a
 *    request larger than the burst, taken whole when the bucket is full) is
 *    paid back before the next request passes, so over any long interval
 *    no more than rate x time + burst passes.
 */
#ifndef RAMPART_FW_WRAP_H
#define RAMPART_FW_WRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WR_MAGIC 0x52575052u /* "RPWR" */
#define WR_VERSION 2u /* 2: the child's exit limit */
/* Ranges per list: an operator's policy names a few regions (a boot
 * sector, a partition); a bound keeps each check a short, fixed walk. */
#define WR_RANGES_MAX 32u
/* The highest rate and burst a bucket takes (bytes or operations): far
 * beyond any device, and small enough that rate x 1e9 ns and
 * burst x 1e9 fit in 63 bits (the bucket's arithmetic). */
#define WR_RATE_MAX (1ULL << 32)
#define WR_BURST_MAX (1ULL << 32)
#define WR_SECTOR 512u

/* Devices a child may be given (policy "devices"). */
#define WR_DEV_DISK (1u << 0)
#define WR_DEV_NET (1u << 1)
#define WR_DEV_RNG (1u << 2)
#define WR_DEV_ALL (WR_DEV_DISK | WR_DEV_NET | WR_DEV_RNG)

/* The directions that have a limit. */
enum wr_dir { WR_DISK_READ, WR_DISK_WRITE, WR_NET_TX, WR_NET_RX, WR_DIRS };

struct wr_range {
	uint64_t lo, hi; /* sectors [lo, hi) */
};

/* A limit: 0 for a rate means none. refuse: a request over it fails
 * instead of waiting. */
struct wr_limit {
	uint64_t bytes_per_s, burst_bytes, ops_per_s, burst_ops;
	uint32_t refuse, pad;
};

/* The blob (version 2): this struct, little-endian, nothing after it. */
struct wr_policy {
	uint32_t magic, version, size, devices;
	uint64_t max_request; /* bytes of one disk request; 0: no limit */
	uint32_t nro, ndeny;
	struct wr_range ro[WR_RANGES_MAX], deny[WR_RANGES_MAX];
	struct wr_limit limit[WR_DIRS];
	/* version 2: the child's exits per second and their burst (both 0:
	 * no limit; a rate needs a burst) */
	uint64_t exits_per_s, exits_burst;
};

/* 0, or -1 with *why. */
int wr_blob_check(const void *blob, size_t len, const char **why);

/* What wr_check_blk says; the nonzero ones are refusals. */
enum wr_verdict { WR_OK, WR_DENIED, WR_READ_ONLY, WR_TOO_BIG };
/* A read or write of `bytes` at byte offset off (whole sectors). *range:
 * the index of the range that refused it, when one did. */
enum wr_verdict wr_check_blk(const struct wr_policy *p, bool write, uint64_t off,
			     uint64_t bytes, unsigned *range);

/* A token bucket: credit in tokens x 1e9 (so a refill loses no fraction). */
struct wr_bucket {
	uint64_t rate, burst; /* tokens per second; the most it holds */
	int64_t credit;       /* may be negative: a loan to a request over the burst */
	uint64_t last_ns;
};
void wr_bucket_init(struct wr_bucket *b, uint64_t rate, uint64_t burst, uint64_t now_ns);
/* Nanoseconds until `amount` may pass (0: now); takes nothing. */
uint64_t wr_bucket_wait(struct wr_bucket *b, uint64_t now_ns, uint64_t amount);
/* Take `amount` (after wr_bucket_wait said 0). */
void wr_bucket_take(struct wr_bucket *b, uint64_t amount);

#endif
