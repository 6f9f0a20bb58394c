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

#include <stddef.h>
#include <stdint.h>

/* Suricata's defaults (pcre.match-limit, match-limit-recursion): what one
 * pcre may cost on one frame. Past either, the match fails (the caller
 * fails closed). */
#define PCRERT_MATCH_LIMIT 3500u
#define PCRERT_DEPTH_LIMIT 1500u
/* PCRE2's backtracking frames for one match, in KiB of the arena. */
#define PCRERT_HEAP_KIB 256u

/* After hsrt_init (which starts the arena): decode the n codes serialized
 * at bytes[0 .. len) (pcre2_serialize_encode's form) and a match data for
 * them. NULL, or why not. */
const char *pcrert_load(const void *bytes, size_t len, uint32_t n);

/* Code i over subject[0 .. len): 1 it matched, 0 it did not, -1 PCRE2
 * failed (a limit above, or no code loaded): the caller fails closed. */
int pcrert_match(uint32_t i, const uint8_t *subject, size_t len);

#endif
