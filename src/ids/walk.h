/* SPDX-License-Identifier: MIT */
/*
 * A walked rule's contents over one payload (walk.c), as Suricata's
 * content inspection and the offline engine (tools/policy/ids_match.c)
 * do it. Freestanding, shared by the layer (src/layer/idsl.c) and the
 * unit tests.
 */
#ifndef RAMPART_IDS_WALK_H
#define RAMPART_IDS_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "ids/blob.h"

/* Steps of one rule's walk over one payload (each content entered, each
 * earlier occurrence tried again, is a step): Suricata's inspection
 * recursion limit, the offline engine's IDS_MATCH_STEPS_MAX. A payload
 * built so that a rule's relative contents backtrack over every pair of
 * occurrences would otherwise cost the square of its length, per rule.
 * Each step is one search of at most the payload's length. */
#define IDS_WALK_STEPS_MAX 20000u

/* Byte comparisons all the walks of one frame may make together (the
 * layer's budget, shared by every candidate rule; ids_walk takes from it):
 * the steps bound one rule, but a payload built to make each step search
 * the whole frame, for several rules at once, would hold the layer (and
 * its child, on the same thread) for seconds a frame. 4 Mi comparisons
 * are a few milliseconds; an ordinary frame's walks take a few thousand. */
#define IDS_WALK_FRAME_BUDGET (4ull << 20)

/*
 * Items it[0 .. n) (n <= IDS_BLOB_CONTENTS_MAX; bytes: the blob's content
 * bytes, every item's inside them, as ids_blob_check makes sure) over
 * p[0 .. len), in order: offset and depth from the payload's start,
 * distance and within from the end of the previous positive content's
 * match, nocase, startswith, endswith; a negated content must be absent
 * from the range its modifiers name; isdataat, byte_test and byte_jump
 * as the offline engine has them (a byte_jump moves the previous match's
 * end). When a later relative content fails,
 * the next occurrence of an earlier one is tried (backtracking).
 * With min_end > 0 (a stream's window whose bytes from min_end on are
 * new), they match only when a positive content's match ends past it.
 * 1: they match, and ends[k] is where the previous match is after item
 * k (a positive content's match's end; a byte_jump's landing; for a
 * negated content, an isdataat or a byte_test, the one before it passed
 * on), where a relative pcre after it starts; 0:
 * they do not; -1: IDS_WALK_STEPS_MAX was reached first, or *budget (byte
 * comparisons left to the frame; what the walk made is taken from it) ran
 * out (the caller decides: the layer fails closed), or a pcre item's match
 * failed (-1 from pc->match, or no pc).
 *
 * A pcre item (IDS_BLOB_I_PCRE) is matched by pc->match: pcre `pcre` (the
 * item's pat) over subject[0 .. len) from `start`, 1 with its match at
 * [*ms, *me) (offsets in subject), 0 none, -1 failed (its budget: the
 * caller's); again: the walk tries it again after a later item failed. Relative, its subject starts at the previous match's end;
 * when a later relative item fails, its next match (from one past the
 * last one's start) is tried, as the offline engine's walk does.
 */
struct ids_walk_pcre {
	int (*match)(void *ctx, uint32_t pcre, const uint8_t *subject, uint32_t len,
		     uint32_t start, bool again, uint32_t *ms, uint32_t *me);
	void *ctx;
};
int ids_walk(const struct ids_blob_item *it, unsigned n, const uint8_t *bytes,
	     const uint8_t *p, uint32_t len, uint32_t min_end, uint32_t *ends,
	     uint64_t *budget, const struct ids_walk_pcre *pc);

/*
 * strtoull(s, &e, base) on s the text b[0 .. n) (n <= IDS_BLOB_BYTE_STR_MAX,
 * ending at a NUL in it), base 8, 10 or 16, as glibc's in the C locale,
 * the offline engine's read_num: leading white space, a sign ('-' negates
 * modulo 2^64), "0x" or "0X" before base 16's digits, up to the first
 * byte that is no digit of the base. *v the value; true when e != s (a
 * digit, or "0x" with none after it: 0, ending at the x).
 */
bool ids_walk_strtou(const uint8_t *b, unsigned n, unsigned base, uint64_t *v);

#endif
