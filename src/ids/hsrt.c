/* SPDX-License-Identifier: MIT */
/*
 * hsrt.h over Hyperscan's public runtime API (hs_runtime.h, hs_common.h).
 *
 * Invariants:
 *  1. The database runs only once hs_deserialize_database_at accepted it
 *     (Hyperscan checks its magic, version, platform and CRC) and a
 *     scratch was allocated for it; before that hsrt_scan fails.
 *  2. Every byte the runtime allocates comes from the arena (shim.c): the
 *     database itself too (hs_deserialize_database_at, into malloc'd room).
 */
#include "ids/hsrt.h"

#include <hs_runtime.h>

#include "ids/shim.h"

/* The serialized database's alignment (hs_deserialize_database_at). */
#define HSRT_DB_ALIGN 8u

/*
 * The entries of one CPU variant of the runtime: the fat build names each
 * variant's copy of a public function with its prefix (core2_hs_scan, ...),
 * with the public signature; its dispatcher, not linked here (shim.c),
 * would jump to one of them.
 */
struct hsrt_fns {
	hs_error_t (*size)(const char *, const size_t, size_t *);
	hs_error_t (*deserialize_at)(const char *, const size_t, hs_database_t *);
	hs_error_t (*scan)(const hs_database_t *, const char *, unsigned int, unsigned int,
			   hs_scratch_t *, match_event_handler, void *);
};

#define HSRT_VARIANT(p)                                                                        \
	hs_error_t p##_hs_serialized_database_size(const char *, const size_t, size_t *);      \
	hs_error_t p##_hs_deserialize_database_at(const char *, const size_t, hs_database_t *); \
	hs_error_t p##_hs_scan(const hs_database_t *, const char *, unsigned int, unsigned int, \
			       hs_scratch_t *, match_event_handler, void *);                   \
	static const struct hsrt_fns p##_fns = {p##_hs_serialized_database_size,              \
						p##_hs_deserialize_database_at, p##_hs_scan};
HSRT_VARIANT(corei7)

/* The variant's entries: a const table (read-only data), not a pointer
 * set at boot, which would sit in writable data. */
static const struct hsrt_fns *const fns = &corei7_fns;
static bool started; /* hsrt_init chose the variant (shim.c) */

static hs_database_t *db[HSRT_DBS];
static hs_scratch_t *scratch; /* one for every database (hs_alloc_scratch grows it) */

static void *HS_CDECL hs_alloc(size_t n)
{
	return malloc(n);
}

static void HS_CDECL hs_free(void *p)
{
	free(p);
}

const char *hsrt_init(void *arena, size_t size)
{
	const char *why = shim_init(arena, size);

	if (why)
		return why;
	started = true;
	if (hs_set_allocator(hs_alloc, hs_free) != HS_SUCCESS)
		return "hs_set_allocator failed";
	return NULL;
}

uint32_t hsrt_cpuid1_ecx(void)
{
	return shim_cpuid1_ecx();
}

const char *hsrt_load(unsigned slot, const void *bytes, size_t len)
{
	size_t need;
	void *at;

	if (!started || slot >= HSRT_DBS || db[slot] || ((uintptr_t)bytes & (HSRT_DB_ALIGN - 1)))
		return "a database already loaded in its slot, or a misaligned one";
	if (fns->size(bytes, len, &need) != HS_SUCCESS)
		return "hs_serialized_database_size refused the database";
	at = malloc(need);
	if (!at)
		return "no room in the arena for the database";
	if (fns->deserialize_at(bytes, len, at) != HS_SUCCESS) {
		free(at);
		return "hs_deserialize_database_at refused the database";
	}
	if (hs_alloc_scratch(at, &scratch) != HS_SUCCESS)
		return "hs_alloc_scratch failed (no room in the arena?)";
	db[slot] = at;
	return NULL;
}

struct hsrt_ctx {
	hsrt_match_fn fn;
	void *ctx;
};

static int HS_CDECL on_match(unsigned id, unsigned long long from, unsigned long long to,
			     unsigned flags, void *ctx)
{
	const struct hsrt_ctx *c = ctx;

	return c->fn(id, to, c->ctx);
}

int hsrt_scan(unsigned slot, const void *data, size_t len, hsrt_match_fn fn, void *ctx)
{
	struct hsrt_ctx c = {.fn = fn, .ctx = ctx};
	hs_error_t e;

	if (!started || slot >= HSRT_DBS || !db[slot] || !scratch || len > 0xffffffffu)
		return -1;
	e = fns->scan(db[slot], data, (unsigned)len, 0, scratch, on_match, &c);
	return e == HS_SUCCESS || e == HS_SCAN_TERMINATED ? 0 : -1;
}
