/* SPDX-License-Identifier: MIT */
/*
 * The wrapper policy compiler: a JSON object (docs/wrapper.md) in, the
 * blob of src/fw/wrap.h out. Host code; it runs in build/rampart-policy,
 * never in the root.
 */
#ifndef RAMPART_POLICY_WRAP_H
#define RAMPART_POLICY_WRAP_H

#include <stdbool.h>
#include <stddef.h>

#include "nft.h"

/* Compiles text[0 .. len) into out (blob, len; nrules: the ranges); 0 on
 * success, -1 with out->errors ("FILE: path: what") otherwise. */
int wrap_compile(const char *text, size_t len, const char *fname, struct nft_result *out);
/* Is this text a JSON object (a wrapper policy) rather than nftables? */
bool wrap_is_json(const char *text, size_t len);

#endif
