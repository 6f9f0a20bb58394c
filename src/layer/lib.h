/* SPDX-License-Identifier: MIT */
/*
 * The layer kernel's small library: the symbols the compiler may call
 * (memcpy, memset, memmove, memcmp) on top of src/lib/rt.c, and a line
 * builder for log lines with numbers (no printf in a layer).
 */
#ifndef RAMPART_LAYER_LIB_H
#define RAMPART_LAYER_LIB_H

#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
int strcmp(const char *a, const char *b);

/* A log line being built; text past the end is dropped. Room for a
 * policy layer's counters report ("fwstats k=v ...", the ids layer's 28
 * counters), RP_MAX_LOG, the most the root takes. */
#define LINE_MAX 512
struct line {
	char buf[LINE_MAX];
	size_t len;
};

void line_str(struct line *l, const char *s);
void line_hex(struct line *l, uint64_t v); /* 0x... */
void line_dec(struct line *l, uint64_t v);
void line_kv(struct line *l, const char *k, uint64_t v); /* " k=v", v in decimal */
void line_send(struct line *l);				 /* RP_HC_LOG, then empties the line */

/*
 * A table's hash key, a secret the child cannot know (so it cannot pick
 * entries that share a bucket): the first n bytes of SHA-256(label with its
 * NUL, our canary), which says nothing of the canary (the stack guard) and
 * the other way round. n at most 32.
 */
void layer_key(const char *label, uint64_t canary, uint8_t *key, size_t n);

/* The time stamp counter, after the loads and stores before it (a cost's start or end). */
static inline uint64_t tsc_fenced(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/*
 * A layer's clock: nanoseconds since tsc_clock_start, from the TSC at the
 * rate the boot info gives (rp_boot_info.tsc_khz): nothing the child or
 * the network does moves it, it neither runs behind under load nor ahead.
 * Never backwards: a TSC that steps back (it should not) only holds the
 * clock where it was, it never wraps it forward. 0 without a rate (khz 0):
 * a layer that needs the clock refuses to start without one.
 */
struct tsc_clock {
	uint64_t tsc0, base_ns, last;
};
void tsc_clock_start(struct tsc_clock *c);
uint64_t tsc_clock_ns(struct tsc_clock *c, uint64_t khz);

/* One line "WHO: WHAT[: DETAIL]" to the root, then the layer ends (LAYER_CODE_BAD). */
__attribute__((noreturn)) void layer_fail(const char *who, const char *what, const char *detail);

#endif
