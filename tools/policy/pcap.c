/* SPDX-License-Identifier: MIT */
/*
 * The pcap reader of the offline mode.
 *
 * Invariants:
 *  1. a record's captured length is checked against PCAP_RECORD_MAX before
 *     anything is read into the buffer; a short read is a truncated file,
 *     reported with the record's number, never a frame;
 *  2. every frame handed out is Ethernet: other link types are unwrapped to
 *     their IP packet and given a synthetic Ethernet header
 *     (02:00:00:00:00:02 <- 02:00:00:00:00:01) with the ethertype of the
 *     IP version.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap.h"

#define LT_NULL 0u
#define LT_ETHERNET 1u
#define LT_RAW_OLD 12u
#define LT_LOOP 108u
#define LT_RAW 101u
#define LT_SLL 113u
#define LT_IPV4 228u
#define LT_IPV6 229u
#define LT_SLL2 276u
#define SLL_HLEN 16u
#define SLL2_HLEN 20u
#define NULL_HLEN 4u

static uint32_t get32(const struct pcap_reader *r, const uint8_t *b)
{
	uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		     (uint32_t)b[3] << 24;
	return r->swapped ? __builtin_bswap32(v) : v;
}

int pcap_open(struct pcap_reader *r, const char *path, char *err, size_t errlen)
{
	uint8_t h[24];

	r->f = fopen(path, "rb");
	r->path = path;
	r->n = 0;
	if (!r->f) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fread(h, 1, sizeof(h), r->f) != sizeof(h)) {
		snprintf(err, errlen, "'%s': truncated pcap header (24 bytes needed)", path);
		goto fail;
	}
	uint32_t magic = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 |
			 (uint32_t)h[3] << 24;
	switch (magic) {
	case 0xa1b2c3d4: r->swapped = 0; r->nsec = 0; break;
	case 0xa1b23c4d: r->swapped = 0; r->nsec = 1; break;
	case 0xd4c3b2a1: r->swapped = 1; r->nsec = 0; break;
	case 0x4d3cb2a1: r->swapped = 1; r->nsec = 1; break;
	default:
		snprintf(err, errlen, "'%s': not a pcap file (magic 0x%08x; pcapng is not read)",
			 path, magic);
		goto fail;
	}
	r->linktype = get32(r, h + 20) & 0xffff;
	switch (r->linktype) {
	case LT_NULL: case LT_LOOP: case LT_ETHERNET: case LT_RAW: case LT_RAW_OLD:
	case LT_SLL: case LT_SLL2: case LT_IPV4: case LT_IPV6:
		return 0;
	}
	snprintf(err, errlen, "'%s': link type %u is not read (Ethernet, Linux SLL, BSD loopback, raw IP)",
		 path, r->linktype);
fail:
	fclose(r->f);
	r->f = NULL;
	return -1;
}

/* The IP packet at p[0 .. n) in a synthetic Ethernet frame, in place: p is
 * inside r->buf at offset >= PCAP_ETH_HLEN (invariant 2). */
static size_t wrap_ip(struct pcap_reader *r, size_t off, size_t n, uint16_t et)
{
	static const uint8_t hdr[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };

	uint8_t *e = r->buf + off - PCAP_ETH_HLEN;
	memcpy(e, hdr, sizeof(hdr));
	e[12] = (uint8_t)(et >> 8);
	e[13] = (uint8_t)et;
	return n + PCAP_ETH_HLEN;
}

static uint16_t ip_ethertype(const uint8_t *p, size_t n)
{
	return n && p[0] >> 4 == 6 ? 0x86dd : 0x0800;
}

int pcap_next(struct pcap_reader *r, const uint8_t **frame, size_t *len, uint64_t *ts_ns,
	      char *err, size_t errlen)
{
	uint8_t h[16];
	size_t got = fread(h, 1, sizeof(h), r->f);

	if (got == 0 && feof(r->f))
		return 0;
	r->n++;
	if (got != sizeof(h)) {
		snprintf(err, errlen, "'%s': truncated pcap: record %lu's header is cut", r->path, r->n);
		return -1;
	}
	uint32_t caplen = get32(r, h + 8);
	if (caplen > PCAP_RECORD_MAX) {
		snprintf(err, errlen, "'%s': record %lu claims %u bytes (limit %u): corrupt pcap",
			 r->path, r->n, caplen, PCAP_RECORD_MAX);
		return -1;
	}
	uint8_t *p = r->buf + PCAP_ETH_HLEN;
	if (fread(p, 1, caplen, r->f) != caplen) {
		snprintf(err, errlen, "'%s': truncated pcap: record %lu has fewer than %u bytes",
			 r->path, r->n, caplen);
		return -1;
	}
	uint64_t frac = get32(r, h + 4);
	*ts_ns = (uint64_t)get32(r, h) * 1000000000ull + (r->nsec ? frac : frac * 1000ull);
	size_t hl = 0;
	uint16_t et = 0;
	switch (r->linktype) {
	case LT_ETHERNET:
		*frame = p;
		*len = caplen;
		return 1;
	case LT_SLL:
		hl = SLL_HLEN;
		if (caplen >= hl)
			et = (uint16_t)(p[14] << 8 | p[15]);
		break;
	case LT_SLL2:
		hl = SLL2_HLEN;
		if (caplen >= hl)
			et = (uint16_t)(p[0] << 8 | p[1]);
		break;
	case LT_NULL:
	case LT_LOOP:
		hl = NULL_HLEN;
		break;
	default:	/* raw IP */
		break;
	}
	if (caplen < hl) {
		/* Too short for its link header: an empty frame, which the engine
		 * calls invalid. */
		*frame = p;
		*len = 0;
		return 1;
	}
	if (!et)
		et = ip_ethertype(p + hl, caplen - hl);
	*len = wrap_ip(r, PCAP_ETH_HLEN + hl, caplen - hl, et);
	*frame = r->buf + hl;
	return 1;
}

void pcap_close(struct pcap_reader *r)
{
	if (r->f)
		fclose(r->f);
	r->f = NULL;
}
