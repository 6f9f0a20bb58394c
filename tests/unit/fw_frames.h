/* SPDX-License-Identifier: MIT */
/* Frames for the firewall's unit tests: Ethernet + IPv4/IPv6 + TCP/UDP/ICMP
 * with right checksums, built into a caller's buffer. */
#ifndef RAMPART_UNIT_FW_FRAMES_H
#define RAMPART_UNIT_FW_FRAMES_H

#include <stdint.h>
#include <string.h>

#define GMAC "\x02\x00\x00\x00\x02\x0f"
#define RMAC "\x02\x00\x00\x00\x02\x02"

static inline uint16_t ff_csum(const uint8_t *b, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static inline void ff_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void ff_put32(uint8_t *p, uint32_t v)
{
	ff_put16(p, (uint16_t)(v >> 16));
	ff_put16(p + 2, (uint16_t)v);
}

static inline size_t ff_eth(uint8_t *f, const char *dst, const char *src, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	ff_put16(f + 12, type);
	return 14;
}

/* An IPv4 header at f for l4len bytes of protocol proto; returns its size. */
static inline size_t ff_ip4(uint8_t *f, uint32_t s, uint32_t d, uint8_t proto, size_t l4len)
{
	memset(f, 0, 20);
	f[0] = 0x45;
	ff_put16(f + 2, (uint16_t)(20 + l4len));
	ff_put16(f + 4, 0x1234);
	ff_put16(f + 6, 0x4000);
	f[8] = 64;
	f[9] = proto;
	ff_put32(f + 12, s);
	ff_put32(f + 16, d);
	ff_put16(f + 10, ff_csum(f, 20, 0));
	return 20;
}

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* Ethernet + IPv4 + TCP with flags, data bytes of payload. */
static inline size_t ff_tcp(uint8_t *f, uint32_t s, uint32_t d, uint16_t sp, uint16_t dp,
			    uint32_t seq, uint32_t ack, uint8_t flags, size_t data)
{
	size_t o = ff_eth(f, RMAC, GMAC, 0x0800);
	o += ff_ip4(f + o, s, d, 6, 20 + data);
	uint8_t *t = f + o;
	memset(t, 0, 20 + data);
	ff_put16(t, sp);
	ff_put16(t + 2, dp);
	ff_put32(t + 4, seq);
	ff_put32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	ff_put16(t + 14, 29200);
	return o + 20 + data;
}

static inline size_t ff_udp(uint8_t *f, uint32_t s, uint32_t d, uint16_t sp, uint16_t dp,
			    size_t data)
{
	size_t o = ff_eth(f, RMAC, GMAC, 0x0800);
	o += ff_ip4(f + o, s, d, 17, 8 + data);
	uint8_t *u = f + o;
	memset(u, 0, 8 + data);
	ff_put16(u, sp);
	ff_put16(u + 2, dp);
	ff_put16(u + 4, (uint16_t)(8 + data));
	return o + 8 + data;
}

/* ICMP type/code; rest: the 4 bytes after the checksum; quote: a quoted
 * datagram of qlen bytes (errors). */
static inline size_t ff_icmp(uint8_t *f, uint32_t s, uint32_t d, uint8_t type, uint8_t code,
			     uint32_t rest, const uint8_t *quote, size_t qlen)
{
	size_t o = ff_eth(f, RMAC, GMAC, 0x0800);
	o += ff_ip4(f + o, s, d, 1, 8 + qlen);
	uint8_t *m = f + o;
	m[0] = type;
	m[1] = code;
	m[2] = m[3] = 0;
	ff_put32(m + 4, rest);
	if (qlen)
		memcpy(m + 8, quote, qlen);
	ff_put16(m + 2, ff_csum(m, 8 + qlen, 0));
	return o + 8 + qlen;
}

/* An ICMPv6 message fd00::1 -> fd00::2 (or back, with reverse), its
 * checksum left zero (the engine does not check it): type, code, the 4 bytes
 * after the checksum, then body. */
static inline size_t ff_icmp6(uint8_t *f, int reverse, uint8_t type, uint8_t code, uint32_t rest,
			      const uint8_t *body, size_t blen)
{
	size_t o = ff_eth(f, RMAC, GMAC, 0x86dd);
	uint8_t *h = f + o;
	memset(h, 0, 40);
	h[0] = 0x60;
	ff_put16(h + 4, (uint16_t)(8 + blen));
	h[6] = 58;
	h[7] = 255;
	h[8] = h[24] = 0xfd;
	h[23] = reverse ? 2 : 1;
	h[39] = reverse ? 1 : 2;
	uint8_t *m = h + 40;
	m[0] = type;
	m[1] = code;
	m[2] = m[3] = 0;
	ff_put32(m + 4, rest);
	if (blen)
		memcpy(m + 8, body, blen);
	return o + 48 + blen;
}

#endif
