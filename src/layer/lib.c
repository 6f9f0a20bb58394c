/* SPDX-License-Identifier: MIT */
#include "layer/lib.h"

#include "layer/hc.h"
#include "layer/layer.h"
#include "lib/rt.h"
#include "lib/sha256.h"

void *memcpy(void *dst, const void *src, size_t n)
{
	return rt_memcpy(dst, src, n);
}

void *memmove(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	if (d <= s || d >= s + n)
		return rt_memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	return rt_memset(dst, c, n);
}

int memcmp(const void *a, const void *b, size_t n)
{
	return rt_memcmp(a, b, n);
}

int strcmp(const char *a, const char *b)
{
	for (; *a && *a == *b; a++, b++)
		;
	return (unsigned char)*a - (unsigned char)*b;
}

void hc_log(const char *text)
{
	hc_log_raw(text, rt_strnlen(text, RP_MAX_LOG));
}

void line_str(struct line *l, const char *s)
{
	while (*s && l->len < sizeof(l->buf))
		l->buf[l->len++] = *s++;
}

void line_hex(struct line *l, uint64_t v)
{
	char d[19];
	int i = 18;

	d[i] = 0;
	do {
		d[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	d[--i] = 'x';
	d[--i] = '0';
	line_str(l, d + i);
}

void line_dec(struct line *l, uint64_t v)
{
	char d[21];
	int i = 20;

	d[i] = 0;
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	line_str(l, d + i);
}

void line_kv(struct line *l, const char *k, uint64_t v)
{
	line_str(l, " ");
	line_str(l, k);
	line_str(l, "=");
	line_dec(l, v);
}

void line_send(struct line *l)
{
	hc_log_raw(l->buf, l->len);
	l->len = 0;
}

void layer_fail(const char *who, const char *what, const char *detail)
{
	struct line l = {.len = 0};

	line_str(&l, who);
	line_str(&l, ": ");
	line_str(&l, what);
	if (detail) {
		line_str(&l, ": ");
		line_str(&l, detail);
	}
	line_send(&l);
	hc_exit(LAYER_CODE_BAD);
}

void layer_key(const char *label, uint64_t canary, uint8_t *key, size_t n)
{
	uint8_t d[SHA256_BYTES];
	struct sha256 c;

	sha256_init(&c);
	sha256_update(&c, label, rt_strlen(label) + 1);
	sha256_update(&c, &canary, sizeof(canary));
	sha256_final(&c, d);
	rt_memcpy(key, d, n < sizeof(d) ? n : sizeof(d));
	rt_memset(d, 0, sizeof(d));
}

void tsc_clock_start(struct tsc_clock *c)
{
	c->tsc0 = tsc_fenced();
	c->base_ns = c->last = 0;
}

uint64_t tsc_clock_ns(struct tsc_clock *c, uint64_t khz)
{
	uint64_t now = tsc_fenced(), d, t;

	if (!khz)
		return 0;
	if (now < c->tsc0) {
		c->tsc0 = now;
		c->base_ns = c->last;
	}
	d = now - c->tsc0;
	/* d * 10^6 / khz without overflow: khz < 2^32, so d % khz * 10^6 < 2^52 */
	t = c->base_ns + d / khz * 1000000 + d % khz * 1000000 / khz;
	if (t > c->last)
		c->last = t;
	return c->last;
}
