/* SPDX-License-Identifier: MIT */
/*
 * The frame parser: Ethernet (with up to FW_VLAN_MAX VLAN tags), ARP, IPv4
 * (options, fragments), IPv6 (extension headers, fragments), TCP, UDP,
 * ICMP, ICMPv6 and the datagram an ICMP error quotes.
 *
 * Invariants:
 *  1. no byte outside frame[0 .. len) is read: every header is checked
 *     against the bytes that remain (`need`) before a field of it is read;
 *  2. lengths the frame claims (IPv4 total length and IHL, IPv6 payload
 *     length, TCP data offset, UDP length, option lengths) are checked
 *     against what the frame holds and against the header's own minimum;
 *     a claim that does not fit makes the frame invalid, never clipped;
 *  3. every walk is bounded: FW_VLAN_MAX tags, FW_IP6_EXT_MAX extension
 *     headers, IPv4 options within the 40 bytes of the header;
 *  4. a malformed header up to L3 sets p->invalid; a malformed or absent
 *     L4 header leaves p->l4_ok false (conntrack calls it invalid) and the
 *     L4 fields zero;
 *  5. a first fragment carries the whole minimal L4 header (TCP's 20 bytes
 *     and its data offset, UDP's 8, ICMP's 8) or is invalid: one cut
 *     shorter would match no port rule, pass a `policy accept` chain and
 *     open its later fragments (RFC 1858's tiny fragment). A first UDP
 *     fragment's length field counts the whole datagram, so it is not held
 *     to the fragment's size.
 */
#include "fw/fw.h"
#include "lib/rt.h"

#define ETH_HLEN 14u
#define VLAN_HLEN 4u
#define ETH_P_IP 0x0800u
#define ETH_P_ARP 0x0806u
#define ETH_P_IPV6 0x86ddu
#define ETH_P_8021Q 0x8100u
#define ETH_P_8021AD 0x88a8u
/* ARP for IPv4 over Ethernet: the only kind a guest on our link needs. */
#define ARP_LEN 28u
#define IP4_HLEN_MIN 20u
#define IP6_HLEN 40u
#define IP6_FRAG_LEN 8u
#define TCP_HLEN_MIN 20u
#define UDP_HLEN 8u
#define ICMP_HLEN 8u
/* An ICMP error quotes the datagram's header and at least 8 bytes of it
 * (RFC 792): enough for the ports. */
#define ICMP_QUOTE_L4 8u

static uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* b[0 .. n) added into s as 16-bit big-endian words (an odd last byte
 * padded with a zero), not folded. */
static uint64_t sum16(const uint8_t *b, size_t n, uint64_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += be16(b + i);
	if (i < n)
		s += (uint32_t)b[i] << 8;
	return s;
}

static uint16_t fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* p's TCP or UDP datagram lies whole in frame[0 .. len): its checksum can be summed. */
static bool l4_whole(size_t len, const struct fw_pkt *p)
{
	return (p->proto == 6 || p->proto == 17) && p->l4_ok && p->frag == FW_FRAG_NONE &&
	       (p->alen == 4 || p->alen == 16) && p->l4_off && p->l4_off <= len &&
	       p->l4_len <= len - p->l4_off && p->l4_len >= (p->proto == 6 ? 20u : 8u);
}

/* The pseudo-header's sum: addresses, protocol, length (RFC 9293 3.1, RFC 8200 8.1). */
static uint64_t pseudo(const struct fw_pkt *p)
{
	uint64_t s = sum16(p->saddr, p->alen, 0);

	s = sum16(p->daddr, p->alen, s);
	return s + p->proto + (p->l4_len & 0xffff) + (p->l4_len >> 16);
}

bool fw_l4_csum_ok(const uint8_t *frame, size_t len, const struct fw_pkt *p)
{
	if (!l4_whole(len, p))
		return false;
	if (p->proto == 17 && p->alen == 4 && !be16(frame + p->l4_off + 6))
		return true; /* no checksum */
	return fold(sum16(frame + p->l4_off, p->l4_len, pseudo(p))) == 0xffff;
}

bool fw_l4_seed_ok(const uint8_t *frame, size_t len, const struct fw_pkt *p)
{
	uint16_t field;

	if (!l4_whole(len, p))
		return false;
	field = be16(frame + p->l4_off + (p->proto == 6 ? 16 : 6));
	/* field - seed folds to all ones: the field is the seed (for a seed of
	 * 0xffff, as Linux writes it, a field of 0 is refused: stricter than
	 * ones' complement needs, never looser) */
	return fold((uint64_t)field + (uint16_t)~fold(pseudo(p))) == 0xffff;
}

/* The Internet checksum of b[0 .. n) (n even here: an IPv4 header). */
static uint16_t csum(const uint8_t *b, size_t n)
{
	return (uint16_t)~fold(sum16(b, n, 0));
}

/* IPv4 options: each either one byte (EOL, NOP) or a length >= 2 that fits
 * (invariant 3: within the header, at most 40 bytes). */
static bool ip4_options_ok(const uint8_t *o, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (o[i] == 0)
			return true;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || o[i + 1] > n - i)
			return false;
		i += o[i + 1];
	}
	return true;
}

/* The TCP window scale option of a SYN (invariant 2: each option fits). */
static uint8_t tcp_wscale(const uint8_t *o, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (o[i] == 0)
			break;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || o[i + 1] > n - i)
			break;
		if (o[i] == 3 && o[i + 1] == 3)
			return o[i + 2] > 14 ? 14 : o[i + 2];
		i += o[i + 1];
	}
	return 0xff;
}

static void parse_tcp(const uint8_t *l4, size_t n, struct fw_pkt *p)
{
	if (n < TCP_HLEN_MIN)
		return;
	size_t doff = (size_t)(l4[12] >> 4) * 4;
	if (doff < TCP_HLEN_MIN || doff > n)
		return;
	p->sport = be16(l4);
	p->dport = be16(l4 + 2);
	p->seq = be32(l4 + 4);
	p->ack = be32(l4 + 8);
	p->tcp_flags = l4[13];
	p->win = be16(l4 + 14);
	p->urp = be16(l4 + 18);
	p->tcp_wscale = (p->tcp_flags & FW_TCP_SYN) ? tcp_wscale(l4 + TCP_HLEN_MIN, doff - TCP_HLEN_MIN)
						    : 0xff;
	p->l4_payload = (uint32_t)(n - doff);
	p->l4_ok = true;
}

static void parse_udp(const uint8_t *l4, size_t n, struct fw_pkt *p)
{
	if (n < UDP_HLEN)
		return;
	size_t ulen = be16(l4 + 4);
	if (ulen < UDP_HLEN || (ulen > n && p->frag != FW_FRAG_FIRST))
		return;
	p->sport = be16(l4);
	p->dport = be16(l4 + 2);
	p->l4_payload = (uint32_t)((ulen > n ? n : ulen) - UDP_HLEN);
	p->l4_ok = true;
}

/* The quoted datagram of an ICMP error: its addresses and ports. */
static void parse_quote(const uint8_t *q, size_t n, bool v6, struct fw_pkt *p)
{
	struct fw_inner *in = &p->inner;
	size_t hl;

	if (!v6) {
		if (n < IP4_HLEN_MIN || q[0] >> 4 != 4)
			return;
		hl = (size_t)(q[0] & 15) * 4;
		if (hl < IP4_HLEN_MIN || hl > n)
			return;
		rt_memcpy(in->saddr, q + 12, 4);
		rt_memcpy(in->daddr, q + 16, 4);
		in->proto = q[9];
	} else {
		if (n < IP6_HLEN || q[0] >> 4 != 6)
			return;
		hl = IP6_HLEN;
		rt_memcpy(in->saddr, q + 8, 16);
		rt_memcpy(in->daddr, q + 24, 16);
		in->proto = q[6];
	}
	if (n - hl < ICMP_QUOTE_L4)
		return;
	const uint8_t *l4 = q + hl;
	if (in->proto == FW_PROTO_TCP || in->proto == FW_PROTO_UDP) {
		in->sport = be16(l4);
		in->dport = be16(l4 + 2);
	} else if ((in->proto == FW_PROTO_ICMP && (l4[0] == 8 || l4[0] == 13)) ||
		   (in->proto == FW_PROTO_ICMP6 && l4[0] == 128)) {
		in->sport = in->dport = be16(l4 + 4);
	}
	p->inner_ok = true;
}

static void parse_icmp(const uint8_t *l4, size_t n, bool v6, struct fw_pkt *p)
{
	if (n < ICMP_HLEN)
		return;
	uint8_t t = l4[0];
	p->icmp_type = t;
	p->icmp_code = l4[1];
	if (!v6)
		p->icmp_error = t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
	else
		p->icmp_error = t >= 1 && t <= 4;
	if ((!v6 && (t == 0 || t == 8 || t == 13 || t == 14)) || (v6 && (t == 128 || t == 129)))
		p->sport = p->dport = be16(l4 + 4);
	if (p->icmp_error)
		parse_quote(l4 + ICMP_HLEN, n - ICMP_HLEN, v6, p);
	p->l4_ok = true;
}

/* false: a first fragment without its whole L4 header (invariant 5). */
static bool parse_l4(const uint8_t *l4, size_t n, size_t off, struct fw_pkt *p)
{
	/* Set for a later fragment too: its bytes from here are payload. */
	p->l4_off = (uint32_t)off;
	p->l4_len = (uint32_t)n;
	if (p->frag == FW_FRAG_LATER)
		return true;
	switch (p->proto) {
	case FW_PROTO_TCP:
		parse_tcp(l4, n, p);
		break;
	case FW_PROTO_UDP:
		parse_udp(l4, n, p);
		break;
	case FW_PROTO_ICMP:
		if (p->l3 == FW_L3_IP4)
			parse_icmp(l4, n, false, p);
		break;
	case FW_PROTO_ICMP6:
		if (p->l3 == FW_L3_IP6)
			parse_icmp(l4, n, true, p);
		break;
	default:
		p->l4_ok = true;	/* no header we read: conntrack's generic flow */
	}
	return p->l4_ok || p->frag != FW_FRAG_FIRST;
}

static bool parse_ip4(const uint8_t *b, size_t n, size_t off, unsigned flags, struct fw_pkt *p)
{
	if (n < IP4_HLEN_MIN || b[0] >> 4 != 4)
		return false;
	size_t hl = (size_t)(b[0] & 15) * 4;
	size_t tot = be16(b + 2);
	if (hl < IP4_HLEN_MIN || tot < hl || tot > n)
		return false;
	if ((!(flags & FW_PARSE_NO_IP_CSUM) && csum(b, hl) != 0) || !ip4_options_ok(b + IP4_HLEN_MIN, hl - IP4_HLEN_MIN))
		return false;
	uint16_t fo = be16(b + 6);
	if (fo & 0x8000)	/* the reserved flag */
		return false;
	p->l3 = FW_L3_IP4;
	p->alen = 4;
	rt_memcpy(p->saddr, b + 12, 4);
	rt_memcpy(p->daddr, b + 16, 4);
	p->proto = b[9];
	p->frag_id = be16(b + 4);
	if (fo & 0x1fff)
		p->frag = FW_FRAG_LATER;
	else if (fo & 0x2000)
		p->frag = FW_FRAG_FIRST;
	return parse_l4(b + hl, tot - hl, off + hl, p);
}

static bool ip6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 51;
}

static bool parse_ip6(const uint8_t *b, size_t n, size_t off, struct fw_pkt *p)
{
	if (n < IP6_HLEN || b[0] >> 4 != 6)
		return false;
	size_t plen = be16(b + 4);
	if (plen == 0 || plen > n - IP6_HLEN)	/* jumbograms are not for a guest link */
		return false;
	p->l3 = FW_L3_IP6;
	p->alen = 16;
	rt_memcpy(p->saddr, b + 8, 16);
	rt_memcpy(p->daddr, b + 24, 16);
	const uint8_t *h = b + IP6_HLEN;
	size_t left = plen;
	uint8_t nh = b[6];
	for (unsigned i = 0; i <= FW_IP6_EXT_MAX; i++) {
		if (nh == 44) {
			if (left < IP6_FRAG_LEN)
				return false;
			uint16_t fo = be16(h + 2);
			p->frag_id = be32(h + 4);
			p->frag = (fo & 0xfff8) ? FW_FRAG_LATER : (fo & 1) ? FW_FRAG_FIRST : FW_FRAG_NONE;
			nh = h[0];
			h += IP6_FRAG_LEN;
			left -= IP6_FRAG_LEN;
			continue;
		}
		if (!ip6_ext(nh)) {
			p->proto = nh;
			return parse_l4(h, left, off + (size_t)(h - b), p);
		}
		if (left < 8)
			return false;
		/* AH counts its length in 4-byte units less 2, the others in 8-byte units less 1. */
		size_t el = nh == 51 ? ((size_t)h[1] + 2) * 4 : ((size_t)h[1] + 1) * 8;
		if (el > left)
			return false;
		nh = h[0];
		h += el;
		left -= el;
	}
	return false;	/* more than FW_IP6_EXT_MAX extension headers */
}

static bool parse_arp(const uint8_t *b, size_t n, struct fw_pkt *p)
{
	if (n < ARP_LEN || be16(b) != 1 || be16(b + 2) != ETH_P_IP || b[4] != 6 || b[5] != 4)
		return false;
	uint16_t op = be16(b + 6);
	if (op != 1 && op != 2)
		return false;
	p->l3 = FW_L3_ARP;
	p->alen = 4;
	rt_memcpy(p->saddr, b + 14, 4);
	rt_memcpy(p->daddr, b + 24, 4);
	return true;
}

bool fw_parse(const uint8_t *frame, size_t len, struct fw_pkt *p)
{
	return fw_parse_flags(frame, len, 0, p);
}

bool fw_parse_flags(const uint8_t *frame, size_t len, unsigned flags, struct fw_pkt *p)
{
	rt_memset(p, 0, sizeof(*p));
	p->tcp_wscale = 0xff;
	p->len = (uint32_t)(len > FW_FRAME_MAX ? FW_FRAME_MAX : len);
	p->invalid = true;
	if (len < ETH_HLEN || len > FW_FRAME_MAX)
		return true;
	rt_memcpy(p->dmac, frame, 6);
	rt_memcpy(p->smac, frame + 6, 6);
	size_t off = 12;
	uint16_t et = be16(frame + off);
	for (unsigned i = 0; et == ETH_P_8021Q || et == ETH_P_8021AD; i++) {
		if (i == FW_VLAN_MAX || len - off < 2 + VLAN_HLEN)
			return true;
		off += VLAN_HLEN;
		et = be16(frame + off);
	}
	off += 2;
	p->ethertype = et;
	const uint8_t *b = frame + off;
	size_t n = len - off;
	bool ok = false;
	if (et == ETH_P_IP)
		ok = parse_ip4(b, n, off, flags, p);
	else if (et == ETH_P_IPV6)
		ok = parse_ip6(b, n, off, p);
	else if (et == ETH_P_ARP)
		ok = parse_arp(b, n, p);
	p->invalid = !ok;
	return p->invalid;
}
