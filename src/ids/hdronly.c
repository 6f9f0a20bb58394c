/* SPDX-License-Identifier: MIT */
/*
 * The header-only rules' candidates (hdronly.h).
 *
 * Invariants: every index entry whose prefix holds the frame's address of
 * its side is found (the index is sorted by side, family, length, prefix,
 * rule, as ids_blob_check made sure, and each entry's prefix has no bit
 * past its length, so the masked address equals it exactly); no entry is
 * read outside the index; a frame costs one binary search per run.
 */
#include "ids/hdronly.h"

#include "lib/rt.h"

/* The first `bits` bits of a (alen bytes), the rest 0. */
static void mask(uint8_t out[16], const uint8_t *a, unsigned alen, unsigned bits)
{
	for (unsigned i = 0; i < 16; i++)
		out[i] = i < alen ? a[i] & ids_blob_prefix_mask(bits, i) : 0;
}

int ids_hix_init(struct ids_hix *ix, const struct ids_blob_hdr *h)
{
	ix->x = (const struct ids_blob_hix *)((const uint8_t *)h + h->hix_off);
	ix->all = (const uint32_t *)((const uint8_t *)h + h->hall_off);
	ix->nall = h->nhall;
	ix->nruns = 0;
	for (uint32_t i = 0; i < h->nhix; i++) {
		const struct ids_blob_hix *e = &ix->x[i];
		struct ids_hix_run *run = ix->nruns ? &ix->runs[ix->nruns - 1] : NULL;

		if (run && run->side == e->side && run->af == e->af && run->bits == e->bits) {
			run->hi = i + 1;
			continue;
		}
		/* sorted, with sides 0..1, families 4 and 6 and lengths in
		 * range (checked): a new run is one not seen before */
		if (ix->nruns == IDS_HIX_RUNS)
			return -1;
		ix->runs[ix->nruns++] = (struct ids_hix_run){
			.lo = i, .hi = i + 1, .side = e->side, .af = e->af, .bits = e->bits};
	}
	return 0;
}

void ids_hix_find(const struct ids_hix *ix, const struct fw_pkt *p,
		  void (*fn)(void *ctx, uint32_t rule), void *ctx)
{
	const uint8_t af = p->alen == 4 ? 4 : 6;

	for (uint32_t i = 0; i < ix->nall; i++)
		fn(ctx, ix->all[i]);
	for (unsigned g = 0; g < ix->nruns; g++) {
		const struct ids_hix_run *run = &ix->runs[g];
		struct ids_blob_hix key = {.rule = 0, .side = run->side, .af = af, .bits = run->bits};
		uint32_t lo = run->lo, hi = run->hi;

		if (run->af != af)
			continue;
		mask(key.a, run->side ? p->daddr : p->saddr, p->alen, run->bits);
		/* the first entry not below the key (rule 0 sorts first) */
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (ids_blob_hix_cmp(&ix->x[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < run->hi && !rt_memcmp(ix->x[lo].a, key.a, sizeof(key.a)); lo++)
			fn(ctx, ix->x[lo].rule);
	}
}
