/* SPDX-License-Identifier: MIT */
/*
 * DNS query names and the TLS ClientHello's server name (app.h), as the
 * offline engine reads them (tools/policy/ids_detect.c: dns_msg, tls_data),
 * so that a dns.query or tls.sni rule matches the same bytes in-line and
 * offline.
 *
 * Invariants:
 *  1. Every read is inside d[0 .. n): each offset is compared with the
 *     bytes present (and, in a ClientHello, the handshake's length) before
 *     the byte is read; offsets are 32-bit and grow by at most 65,535 + 4
 *     a step from below n (at most 65,535 for a frame), so never wrap.
 *  2. Every write is inside struct ids_dns: at most IDS_DNS_QUESTIONS_MAX
 *     names, each at most IDS_DNS_NAME_MAX bytes after its leading '.'.
 *  3. Bounded work: each step moves forward by at least one byte, so the
 *     work is linear in n; a DNS question is never followed through a
 *     compression pointer (refused: pointers in a question are what a
 *     hostile message uses to loop, and the offline engine refuses them).
 *
 * What it reads (the offline engine's semantics, kept exactly):
 * DNS: a query (QR clear) of at least 12 bytes; QDCOUNT questions, up to
 * IDS_DNS_QUESTIONS_MAX: a name's labels joined with '.' up to its zero
 * label or the message's end, then 4 bytes of type and class skipped; a
 * question that starts at or past the end is an empty name, the last one
 * looked at. A pointer or reserved label type (top bits set), a label
 * past the end, a name longer than IDS_DNS_NAME_MAX: the message gives no
 * names. TLS: a handshake record (0x16) whose handshake is a ClientHello
 * (type 1); the body ends at the handshake's length or the bytes present,
 * whichever comes first; version and random (34 bytes), session id,
 * cipher suites, compression methods, each by its length byte or word,
 * then the extensions (their total cut to the body); an extension of type
 * 0 (server_name) of at least 5 bytes whose first name ends within the
 * extensions gives that name (the last such extension wins).
 */
#include "ids/app.h"

#include "lib/rt.h"

/* The DNS header's length, before the first question. */
#define DNS_HDR 12u
/* A question's type and class, after its name. */
#define DNS_QTAIL 4u
/* A TLS record header (5) and a handshake header (4). */
#define TLS_HS 9u
/* A ClientHello's version (2) and random (32) before its session id. */
#define TLS_RANDOM 34u

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

bool ids_dns_parse(const uint8_t *d, uint32_t n, struct ids_dns *q)
{
	uint32_t qd, off = DNS_HDR;

	q->n = 0;
	if (n < DNS_HDR || (d[2] & 0x80))
		return false; /* short, or a response (dns.query is the query's) */
	qd = be16(d + 4);
	for (uint32_t k = 0; k < qd && k < IDS_DNS_QUESTIONS_MAX; k++) {
		uint8_t *o = q->name[k];
		uint32_t w = 0;

		o[0] = '.';
		while (off < n && d[off]) {
			uint32_t l = d[off];

			if ((l & 0xc0) || l + 1 > n - off || w + l + 1 > IDS_DNS_NAME_MAX) {
				q->n = 0;
				return false;
			}
			if (w)
				o[1 + w++] = '.';
			rt_memcpy(o + 1 + w, d + off + 1, l);
			w += l;
			off += 1 + l;
		}
		off += 1 + DNS_QTAIL; /* the zero label, type and class */
		q->len[k] = w;
		q->n = k + 1;
		if (off > n)
			break;
	}
	return true;
}

bool ids_tls_start(const uint8_t *d, uint32_t n)
{
	return n >= 6 && d[0] == 0x16 && d[1] == 3;
}

bool ids_tls_sni(const uint8_t *d, uint32_t n, const uint8_t **sni, uint32_t *len)
{
	uint32_t hl, end, p, xend;
	bool found = false;

	if (n < TLS_HS || d[0] != 0x16 || d[5] != 1)
		return false;
	hl = (uint32_t)d[6] << 16 | (uint32_t)d[7] << 8 | d[8];
	end = hl < n - TLS_HS ? TLS_HS + hl : n;
	p = TLS_HS + TLS_RANDOM;
	if (p >= end)
		return false;
	p += 1 + d[p]; /* session id */
	if (p + 2 > end)
		return false;
	p += 2 + be16(d + p); /* cipher suites */
	if (p + 1 > end)
		return false;
	p += 1 + d[p]; /* compression methods */
	if (p + 2 > end)
		return false;
	xend = p + 2 + be16(d + p);
	p += 2;
	if (xend > end)
		xend = end;
	while (p + 4 <= xend) {
		uint32_t type = be16(d + p), l = be16(d + p + 2);

		/* list length (2), name type (1), name length (2), name */
		if (type == 0 && l >= 5 && l <= xend - p - 4) {
			uint32_t nl = be16(d + p + 7);

			if (nl <= xend - p - 9) {
				*sni = d + p + 9;
				*len = nl;
				found = true;
			}
		}
		p += 4 + l;
	}
	return found;
}
