/* SPDX-License-Identifier: MIT */
/*
 * PCRE2's interpreter (Debian's libpcre2-8.a, linked as it is; no JIT:
 * layers are W^X) inside the freestanding layer kernel, behind a small API
 * of ours: the pcres of an ids blob (src/ids/blob.h) decoded into the arena
 * shim.c manages, and matched one at a time. No PCRE2 header is needed to
 * use this one.
 */
#ifndef RAMPART_IDS_PCRERT_H
#define RAMPART_IDS_PCRERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Suricata's defaults (pcre.match-limit, match-limit-recursion): what one
 * pcre may cost on one frame. Past either, the match fails (the caller
 * fails closed). */
#define PCRERT_MATCH_LIMIT 3500u
#define PCRERT_DEPTH_LIMIT 1500u
/* PCRE2's backtracking frames for one match, in KiB of the arena. */
#define PCRERT_HEAP_KIB 256u

/*
 * What all the pcres of one frame may cost together. The limits above are
 * PCRE2's, per start position: a possessive or auto-possessified repeat
 * (a[^x]*+xz, a\w*=) costs nothing against them, so one pcre over a
 * 64 KiB payload of 'a's ran for seconds (the square of the length) without
 * reaching any. Every code is compiled with PCRE2_AUTO_CALLOUT (the policy
 * compiler; pcrert_load refuses one without), so the interpreter calls us
 * before each item of the pattern it tries, at each start position; each
 * call costs 1 step plus the distance in bytes the match moved since the
 * last one (a repeat that ran to the payload's end and failed there is
 * paid when the next item or the next start position is tried). A frame's
 * pcres share PCRERT_FRAME_STEPS of them: 4 Mi, a few milliseconds; an
 * ordinary frame's pcres take a few hundred.
 */
#define PCRERT_FRAME_STEPS (4ull << 20)
/* The same frame's pcres, in microseconds of the TSC: the steps cannot see
 * an item that ran over many bytes and then failed where no other item
 * is tried (a[a-z]{30000} over 'a's with a 'X' every 30,000 bytes), so a
 * deadline, read every PCRERT_TSC_EVERY steps, bounds it too. Generous:
 * a host that takes the layer's CPU away for this long (the TSC runs on)
 * drops the frame too (a loaded 2-core host deschedules a thread for tens
 * of milliseconds), and an honest frame's pcres take microseconds. */
#define PCRERT_FRAME_US 50000u
#define PCRERT_TSC_EVERY 64u

/* One frame's budget for its pcres (what is left; set by the caller). */
struct pcrert_budget {
	uint64_t steps;
	uint64_t deadline; /* TSC: past it, the match fails; 0: none */
	uint64_t calls; /* callouts so far (the deadline is read every few) */
	int spent; /* 1: steps or deadline ran out (the match failed, -1) */
};

/* After hsrt_init (which starts the arena): decode the n codes serialized
 * at bytes[0 .. len) (pcre2_serialize_encode's form) and a match data for
 * them. NULL, or why not. */
const char *pcrert_load(const void *bytes, size_t len, uint32_t n);

/* Code i over subject[0 .. len), paid from *b: 1 it matched, 0 it did
 * not, -1 PCRE2 failed (a limit above, the budget spent: b->spent, or no
 * code loaded): the caller fails closed. */
int pcrert_match(uint32_t i, const uint8_t *subject, size_t len, struct pcrert_budget *b);
/* The bytes a start-of-match search looks through, a step for each this
 * many (the first code unit's search is memchr's, some 16 times cheaper a
 * byte than an interpreter's step). */
#define PCRERT_SCAN_PER_STEP 16u

/* The same from subject[start] (start <= len; ^ still anchors at
 * subject[0]), and on a match (1) where it is: [*ms, *me), each <= len.
 * again: a retry of the same pcre in one walk (its pattern, not anchored,
 * then pays for the bytes from start up front). */
int pcrert_match_at(uint32_t i, const uint8_t *subject, size_t len, size_t start, bool again,
		    struct pcrert_budget *b, uint32_t *ms, uint32_t *me);

#endif
