/* SPDX-License-Identifier: MIT */
/*
 * The header-only rules' candidates for one frame (hdronly.c): the rules
 * without contents an ids blob's address index names for the frame's
 * addresses, and those it lists for every frame (blob.h, struct
 * ids_blob_hix). Freestanding, shared by the layer (src/layer/idsl.c) and
 * the unit tests.
 */
#ifndef RAMPART_IDS_HDRONLY_H
#define RAMPART_IDS_HDRONLY_H

#include <stdint.h>

#include "fw/fw.h"
#include "ids/blob.h"

/* The index's runs of one side, family and prefix length: at most two
 * sides of 33 IPv4 and 129 IPv6 lengths. */
#define IDS_HIX_RUNS (2 * (33 + 129))

struct ids_hix {
	const struct ids_blob_hix *x; /* the blob's index */
	const uint32_t *all;          /* the blob's every-frame list */
	uint32_t nall;
	unsigned nruns;
	struct ids_hix_run {
		uint32_t lo, hi; /* x[lo .. hi) */
		uint8_t side, af, bits;
	} runs[IDS_HIX_RUNS];
};

/* ix from h, a blob that passed ids_blob_check (so its index is sorted):
 * 0, or -1 when its runs are more than IDS_HIX_RUNS (cannot be: the check
 * bounds sides, families and lengths). */
int ids_hix_init(struct ids_hix *ix, const struct ids_blob_hdr *h);

/*
 * Every header-only rule that may match p: each rule of the every-frame
 * list, and each rule the index names for p's source or destination
 * address (the address masked to each run's prefix length, found by
 * binary search). fn(ctx, rule) per rule found; a rule may be named more
 * than once (several of its prefixes, both sides): the caller counts it
 * once. A run costs one binary search; a frame at most IDS_HIX_RUNS.
 */
void ids_hix_find(const struct ids_hix *ix, const struct fw_pkt *p,
		  void (*fn)(void *ctx, uint32_t rule), void *ctx);

#endif
