/* SPDX-License-Identifier: MIT */
/*
 * The ids layer's thresholds (thr.c): `threshold` and `detection_filter`
 * as Suricata and the offline engine (tools/policy/ids_detect.c) count
 * them, in a fixed table. Freestanding, shared by the layer
 * (src/layer/idsl.c) and the unit tests.
 */
#ifndef RAMPART_IDS_THR_H
#define RAMPART_IDS_THR_H

#include <stdbool.h>
#include <stdint.h>

#include "ids/blob.h"

/* Trackers (one per rule and tracked address): 4,096 of 40 bytes, 160
 * KiB. Each is made by a frame that a threshold rule matched, so a peer
 * sending from many addresses could fill any table; when it is full, see
 * ids_thr_check. */
#define IDS_THR_MAX 4096u
/* Places tried for one tracker (open addressing from its keyed hash):
 * the work per frame and rule stays bounded however full the table is. */
#define IDS_THR_PROBE 16u
#define IDS_THR_KEY_BYTES 16u

struct ids_thr_entry {
	uint32_t rule;  /* index in the blob's rules + 1; 0: free */
	uint32_t count;
	uint64_t start_ns; /* the window's start */
	uint8_t alen, pad[7];
	uint8_t a[16];
};

struct ids_thr {
	uint64_t key[2]; /* the hash's secret (layer_key) */
	uint64_t full;   /* matches that found no place (ids_thr_check) */
	uint64_t evicted; /* running trackers that gave their place */
	struct ids_thr_entry e[IDS_THR_MAX];
};

/* What a rule's match does once its threshold has counted it. */
struct ids_thr_verdict {
	bool alert;  /* it alerts (noalert aside) */
	bool action; /* its drop applies */
};

void ids_thr_init(struct ids_thr *t, const uint8_t key[IDS_THR_KEY_BYTES]);

/*
 * Rule ri (rules: the blob's checked rules) matched a frame from src to dst
 * (alen bytes each, 4 or 16) at now_ns: counts it on the tracker of ri
 * and the address its track names, and says what follows, as Suricata 7
 * and the offline engine count (the window restarts once `seconds` have
 * passed since it began; seconds 0: never):
 *   limit N:      alerts for the first N in a window; its drop applies to
 *                 every match;
 *   threshold N:  alerts (and drops) on every Nth, the count starting again;
 *   both N:       alerts once, on the Nth in a window; drops from the Nth on;
 *   detection_filter N: alerts and drops on every match after the Nth.
 * A match that finds no tracker and no free place takes the place of the
 * oldest running tracker among the IDS_THR_PROBE looked at that is not a
 * detection_filter's (counted in t->evicted); with none, it
 * is counted in t->full and goes as if the rule had no threshold: it
 * alerts and drops (fail closed).
 */
struct ids_thr_verdict ids_thr_check(struct ids_thr *t, const struct ids_blob_rule *rules,
				     uint32_t ri, const uint8_t *src, const uint8_t *dst,
				     unsigned alen, uint64_t now_ns);

#endif
