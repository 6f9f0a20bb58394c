/* SPDX-License-Identifier: MIT */
/*
 * pcrert.h over PCRE2's public API (pcre2.h, 8-bit code units).
 *
 * Invariants:
 *  1. Every byte PCRE2 allocates comes from the arena (shim.c): the
 *     general context it is given allocates with the shim's malloc, and
 *     every context, code and match data here is made from that one.
 *  2. No JIT: nothing here calls pcre2_jit_compile, and the JIT's entry
 *     points pcre2_match would call for a JIT-compiled code end the layer
 *     (shim.c): a decoded code carries no JIT code (pcre2_serialize_decode
 *     never makes any), and a layer has no writable executable memory.
 *  3. Every match runs under PCRERT_MATCH_LIMIT, PCRERT_DEPTH_LIMIT and
 *     PCRERT_HEAP_KIB; a match that passes one fails (-1), as does one
 *     before pcrert_load succeeded.
 *  4. Every match is paid from its frame's budget (pcrert.h): each code
 *     was compiled with PCRE2_AUTO_CALLOUT (pcrert_load refuses the
 *     blob otherwise, before decoding it), so the interpreter calls on_callout before every item
 *     it tries, which takes the steps and reads the deadline; when either
 *     runs out the match is abandoned (-1, b->spent), and every later
 *     match of the frame fails at its first item.
 */
#include "ids/pcrert.h"

#include <stdbool.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "ids/shim.h"

/* Codes in one blob: bounded by the blob's check (IDS_BLOB_PCRES_MAX a
 * rule); pcre2_serialize_decode takes an int32_t. */
#define PCRERT_CODES_MAX (1u << 20)

/*
 * The serialized form, as PCRE2 10.42 writes it (pcre2_serialize.c,
 * pcre2_intmodedep.h): a 16-byte header (magic, version, config, number of
 * codes), the character tables (PCRE2's TABLES_LENGTH), then each code's
 * whole block, its size the size_t at byte 72 of the block (after the
 * memory control's three pointers, the tables' and the JIT's pointers and
 * the 32-byte start bitmap). pcre2_serialize_decode takes no length: the
 * walk below (pcrert_load) keeps it inside the blob. pcre2_serialize_decode
 * itself refuses any other version or configuration, so the layout read
 * here is the one the library decodes.
 */
_Static_assert(PCRE2_MAJOR == 10 && PCRE2_MINOR == 42, "pcrert.c: PCRE2's serialized layout");
#define SER_HDR 16u
#define SER_TABLES 1088u
#define SER_BLOCKSIZE_AT 72u
/* The options the code was compiled with (pcre2_real_code's
 * compile_options, after its blocksize and magic number: what
 * PCRE2_INFO_ARGOPTIONS reports, which we cannot call: pcre2_pattern_info
 * links the JIT's compiler). */
#define SER_OPTIONS_AT 84u
/* The smallest code block: its fixed header (pcre2_real_code), no less. */
#define SER_BLOCK_MIN 136u

/* Whether bytes[0 .. len) holds the header, the tables and n whole code
 * blocks, each compiled with PCRE2_AUTO_CALLOUT (invariant 4). */
static bool ser_fits(const uint8_t *bytes, size_t len, uint32_t n)
{
	size_t at = SER_HDR + SER_TABLES;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t bs;
		uint32_t opts;

		if (at > len || len - at < SER_BLOCK_MIN)
			return false;
		__builtin_memcpy(&bs, bytes + at + SER_BLOCKSIZE_AT, sizeof(bs));
		if (bs < SER_BLOCK_MIN || bs > len - at)
			return false;
		__builtin_memcpy(&opts, bytes + at + SER_OPTIONS_AT, sizeof(opts));
		if (!(opts & PCRE2_AUTO_CALLOUT))
			return false;
		at += bs;
	}
	return true;
}

static pcre2_general_context *gctx;
static pcre2_match_context *mctx;
static pcre2_match_data *md;
static pcre2_code **codes;
static uint32_t ncodes;

/* The match under way: its frame's budget, and where the last callout
 * found the match (the distance to the next is paid). */
struct run {
	struct pcrert_budget *b;
	size_t at;
};

static uint64_t tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static int on_callout(pcre2_callout_block *cb, void *data)
{
	struct run *r = data;
	struct pcrert_budget *b = r->b;
	size_t at = cb->current_position;
	uint64_t cost = 1 + (at > r->at ? at - r->at : r->at - at);

	r->at = at;
	if (b->spent || cost > b->steps) {
		b->steps = 0;
		b->spent = 1;
		return PCRE2_ERROR_CALLOUT;
	}
	b->steps -= cost;
	if (++b->calls % PCRERT_TSC_EVERY == 0 && b->deadline && tsc() > b->deadline) {
		b->spent = 1;
		return PCRE2_ERROR_CALLOUT;
	}
	return 0;
}

static void *arena_alloc(PCRE2_SIZE n, void *data)
{
	return malloc(n);
}

static void arena_free(void *p, void *data)
{
	free(p);
}

const char *pcrert_load(const void *bytes, size_t len, uint32_t n)
{
	int32_t got;

	if (codes || !n || n > PCRERT_CODES_MAX)
		return "pcres already loaded, or a count out of bounds";
	if (!gctx) /* once: a refused load may be tried again (the unit test) */
		gctx = pcre2_general_context_create(arena_alloc, arena_free, NULL);
	if (!gctx)
		return "no room in the arena for PCRE2's context";
	if (len < SER_HDR || pcre2_serialize_get_number_of_codes(bytes) != (int32_t)n)
		return "the serialized pcres are not the blob's count (or not PCRE2's of this "
		       "version, width and pointer size)";
	if (!ser_fits((const uint8_t *)bytes, len, n))
		return "a serialized pcre runs past the blob, or was not compiled with "
		       "PCRE2_AUTO_CALLOUT (its cost would go unbounded)";
	codes = malloc((size_t)n * sizeof(*codes));
	if (!codes)
		return "no room in the arena for the pcre table";
	got = pcre2_serialize_decode(codes, (int32_t)n, bytes, gctx);
	if (got != (int32_t)n) {
		free(codes);
		codes = NULL;
		return "pcre2_serialize_decode refused the pcres";
	}
	mctx = pcre2_match_context_create(gctx);
	md = pcre2_match_data_create(1, gctx);
	if (!mctx || !md || pcre2_set_match_limit(mctx, PCRERT_MATCH_LIMIT) ||
	    pcre2_set_depth_limit(mctx, PCRERT_DEPTH_LIMIT) ||
	    pcre2_set_heap_limit(mctx, PCRERT_HEAP_KIB))
		return "no room in the arena for PCRE2's match data";
	ncodes = n;
	return NULL;
}

int pcrert_match_at(uint32_t i, const uint8_t *subject, size_t len, size_t start, bool again,
		    struct pcrert_budget *b, uint32_t *ms, uint32_t *me)
{
	struct run r = {.b = b, .at = start};
	const PCRE2_SIZE *ov;
	uint32_t opts = 0;
	uint64_t scan;
	int rc;

	if (i >= ncodes || !md || b->spent || start > len)
		return -1;
	/* PCRE2's start-of-match optimizations (a first code unit, a minimum
	 * length) look through the subject before any callout: tried again
	 * (a walk's retry, after another occurrence of the content before it:
	 * up to IDS_WALK_STEPS_MAX of them), a pattern not anchored pays up
	 * front for the bytes from start (PCRERT_SCAN_PER_STEP a step: that
	 * search is memchr's), so that the retries cannot scan the buffer for
	 * free each time; a first try pays 1, as one per rule and frame did
	 * before the walk; and every call reads the deadline */
	if (pcre2_pattern_info(codes[i], PCRE2_INFO_ALLOPTIONS, &opts))
		return -1;
	scan = again && !(opts & PCRE2_ANCHORED) ? (uint64_t)(len - start) / PCRERT_SCAN_PER_STEP + 1
						  : 1;
	if (scan > b->steps || (b->deadline && tsc() > b->deadline)) {
		b->steps = 0;
		b->spent = 1;
		return -1;
	}
	b->steps -= scan;
	if (pcre2_set_callout(mctx, on_callout, &r))
		return -1;
	rc = pcre2_match(codes[i], subject, len, start, 0, md, mctx);
	pcre2_set_callout(mctx, NULL, NULL); /* r dies here */
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0)
		return -1;
	ov = pcre2_get_ovector_pointer(md);
	if (ov[0] > len || ov[1] > len) /* \K can put the start past the end */
		return -1;
	*ms = (uint32_t)ov[0];
	*me = (uint32_t)ov[1];
	return 1;
}

int pcrert_match(uint32_t i, const uint8_t *subject, size_t len, struct pcrert_budget *b)
{
	uint32_t ms, me;

	return pcrert_match_at(i, subject, len, 0, false, b, &ms, &me);
}
