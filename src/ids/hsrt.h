/* SPDX-License-Identifier: MIT */
/*
 * Hyperscan's scanner (Debian's libhs_runtime.a, linked as it is) inside
 * the freestanding layer kernel, behind a small API of ours: shim.c gives
 * it the few libc symbols it needs and an allocator over an arena of the
 * layer's own memory. No Hyperscan header is needed to use this one.
 */
#ifndef RAMPART_IDS_HSRT_H
#define RAMPART_IDS_HSRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Which of the runtime's CPU variants runs (only corei7 is linked: shim.c). */
enum hsrt_variant { HSRT_NONE, HSRT_COREI7 };

/*
 * Once, before any other call: choose the runtime's CPU variant by CPUID
 * (shim.c) and hand it the arena [arena, arena + size) for every
 * allocation it makes. NULL, or why not.
 */
const char *hsrt_init(void *arena, size_t size);
enum hsrt_variant hsrt_variant(void);
const char *hsrt_variant_name(enum hsrt_variant v);
/* CPUID leaf 1's ECX as the layer saw it (OSXSAVE: bit 27). */
uint32_t hsrt_cpuid1_ecx(void);

/* Databases loaded at once (the ids blob's buffers, IDS_BLOB_BUFS). */
#define HSRT_DBS 32u

/* The database serialized at db[0 .. len) (8-byte aligned), deserialized
 * into the arena as database `slot` (< HSRT_DBS, each once), and the one
 * scratch grown to serve it too. NULL, or why not. */
const char *hsrt_load(unsigned slot, const void *db, size_t len);

/* Called for each match of a pattern (with HS_FLAG_SINGLEMATCH, as the
 * compiler gives the HTTP buffers' patterns: once per pattern per scan, at
 * its first match), with the offset just past that match; nonzero stops
 * the scan. */
typedef int (*hsrt_match_fn)(unsigned id, uint64_t to, void *ctx);

/* Scan data[0 .. len) with database `slot`: 0 when the whole buffer was
 * scanned (or a callback stopped it), -1 when the runtime failed or no
 * database is in that slot (the caller fails closed). */
int hsrt_scan(unsigned slot, const void *data, size_t len, hsrt_match_fn fn, void *ctx);

/* Bytes of the arena in use, and the most ever in use. */
size_t hsrt_arena_used(void);

#endif
