/* SPDX-License-Identifier: MIT */
/*
 * Freestanding helpers shared by the root, the device model, the Linux
 * loader and the layer kernel. No libc header may be included from code
 * that uses this: the same objects are linked into ring-3 layers.
 */
#ifndef RAMPART_RT_H
#define RAMPART_RT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

void *rt_memcpy(void *dst, const void *src, size_t n);
void *rt_memset(void *dst, int c, size_t n);
int rt_memcmp(const void *a, const void *b, size_t n);
size_t rt_strlen(const char *s);
size_t rt_strnlen(const char *s, size_t max);
/* A hexadecimal digit's value (either case), or -1. */
int rt_hexval(char c);
/* SipHash-1-3 of m[0 .. n) under key (rt.c): a keyed PRF for the hash
 * tables the other side fills (the firewall's conntrack, the ids layer's
 * thresholds), so that without the key no entry's place can be known or
 * made to collide. */
uint64_t rt_siphash13(const uint64_t key[2], const uint8_t *m, size_t n);

/* Little-endian loads and stores at any alignment. */
static inline uint16_t rt_le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t rt_le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t rt_le64(const void *p)
{
	return rt_le32(p) | (uint64_t)rt_le32((const uint8_t *)p + 4) << 32;
}

static inline void rt_put16(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void rt_put32(void *p, uint32_t v)
{
	rt_put16(p, (uint16_t)v);
	rt_put16((uint8_t *)p + 2, (uint16_t)(v >> 16));
}

static inline void rt_put64(void *p, uint64_t v)
{
	rt_put32(p, (uint32_t)v);
	rt_put32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

/* a + b without wrapping past 2^64; false where it would. */
static inline bool rt_add_ok(uint64_t a, uint64_t b, uint64_t *sum)
{
	return !__builtin_add_overflow(a, b, sum);
}

/* True when [off, off + len) lies inside [0, size). */
static inline bool rt_range_ok(uint64_t off, uint64_t len, uint64_t size)
{
	uint64_t end;
	return rt_add_ok(off, len, &end) && end <= size;
}

#endif
