/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 (FIPS 180-4), freestanding: the root measures layer images with
 * it before they run. No libc; the same object is linked into layers.
 */
#ifndef RAMPART_SHA256_H
#define RAMPART_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES 32
#define SHA256_HEX 65 /* 64 digits and the NUL */

struct sha256 {
	uint32_t h[8];
	uint64_t len;     /* bytes hashed so far */
	uint8_t buf[64];  /* a partial block */
	size_t nbuf;
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t n);
void sha256_final(struct sha256 *c, uint8_t out[SHA256_BYTES]);
/* Lowercase hex of a digest, NUL-terminated. */
void sha256_hex(const uint8_t d[SHA256_BYTES], char out[SHA256_HEX]);

#endif
