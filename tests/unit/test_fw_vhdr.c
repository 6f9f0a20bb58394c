/* SPDX-License-Identifier: MIT */
/* The virtio-net header check (src/fw/vhdr.c): a header that would have the
 * host kernel write a sum anywhere but the frame's own L4 checksum, or cut
 * a frame that is not TCP of the offered family, is refused (the attack: a
 * frame to an allowed port with csum_start/csum_offset on its dport or the
 * IPv4 daddr, rewritten after the verdict). */
#include "unit.h"
#include <stdlib.h>

#include "fw/fw.h"
#include "fw_frames.h"

#define NEEDS_CSUM 1
#define GSO_TCPV4 1
#define GSO_UDP 3
#define GSO_TCPV6 4
#define GSO_ECN 0x80

static uint8_t *hdr(uint8_t *h, uint8_t flags, uint8_t gso, uint16_t hdr_len, uint16_t gso_size,
		    uint16_t start, uint16_t off)
{
	memset(h, 0, FW_VNET_HDR_LEN);
	h[0] = flags;
	h[1] = gso;
	h[2] = (uint8_t)hdr_len, h[3] = (uint8_t)(hdr_len >> 8);
	h[4] = (uint8_t)gso_size, h[5] = (uint8_t)(gso_size >> 8);
	h[6] = (uint8_t)start, h[7] = (uint8_t)(start >> 8);
	h[8] = (uint8_t)off, h[9] = (uint8_t)(off >> 8);
	return h;
}

/* The check on a copy of f[0 .. n) in an exact-size heap buffer (ASan). */
static const char *check(const uint8_t *h, const uint8_t *f, size_t n)
{
	uint8_t *b = malloc(n ? n : 1), *hb = malloc(FW_VNET_HDR_LEN);
	memcpy(b, f, n);
	memcpy(hb, h, FW_VNET_HDR_LEN);
	const char *why = fw_vnet_hdr_check(hb, b, n);
	free(b);
	free(hb);
	return why;
}

/* f[0 .. n)'s L4 checksum field set to the pseudo-header's sum, as a
 * Linux guest leaves it for a checksum offload (the seed); returns n. */
static size_t seeded(uint8_t *f, size_t n)
{
	struct fw_pkt p;
	uint32_t s = 0;

	assert_false(fw_parse(f, n, &p));
	for (unsigned i = 0; i < p.alen; i += 2)
		s += (uint32_t)(p.saddr[i] << 8 | p.saddr[i + 1]) +
		     (uint32_t)(p.daddr[i] << 8 | p.daddr[i + 1]);
	s += p.proto + p.l4_len;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	ff_put16(f + p.l4_off + (p.proto == 6 ? 16 : 6), (uint16_t)s);
	return n;
}

static void test_plain(void **state)
{
	uint8_t f[128], h[FW_VNET_HDR_LEN];
	size_t n = ff_tcp(f, IP(10, 0, 2, 15), IP(1, 2, 3, 4), 40000, 80, 1, 0, FW_TCP_SYN, 0);

	/* no offload: nothing to check, whatever the frame */
	assert_null(check(hdr(h, 0, 0, 0, 0, 0, 0), f, n));
	assert_null(check(hdr(h, 0, 0, 0, 0, 22, 10), f, n)); /* ignored without NEEDS_CSUM */
	assert_null(check(hdr(h, 0, 0, 0, 0, 0, 0), f, 10));
	/* flags the guest has no business sending */
	assert_non_null(check(hdr(h, 2, 0, 0, 0, 0, 0), f, n));
	assert_non_null(check(hdr(h, 4, 0, 0, 0, 0, 0), f, n));
}

static void test_csum_tcp_udp(void **state)
{
	uint8_t f[256], h[FW_VNET_HDR_LEN];
	size_t n = seeded(f, ff_tcp(f, IP(10, 0, 2, 15), IP(1, 2, 3, 4), 40000, 80, 1, 0,
				    FW_TCP_SYN, 10));

	assert_null(check(hdr(h, NEEDS_CSUM, 0, 0, 0, 34, 16), f, n));
	/* a seed other than the pseudo-header's: the sum the host writes is
	 * wrong, the receiver drops what the filter passed */
	f[34 + 17] ^= 1;
	assert_non_null(check(hdr(h, NEEDS_CSUM, 0, 0, 0, 34, 16), f, n));
	f[34 + 17] ^= 1;
	/* bytes after the datagram: summed by the host (or, with TSO, made
	 * payload), never seen by the filter */
	f[n] = 'x';
	assert_non_null(check(hdr(h, NEEDS_CSUM, 0, 0, 0, 34, 16), f, n + 1));
	/* the review's attacks: the sum written over the dport, over the daddr */
	assert_non_null(check(hdr(h, NEEDS_CSUM, 0, 0, 0, 34, 2), f, n));
	assert_non_null(check(hdr(h, NEEDS_CSUM, 0, 0, 0, 22, 10), f, n));
	assert_non_null(check(hdr(h, NEEDS_CSUM, 0, 0, 0, 36, 14), f, n));
	assert_non_null(check(hdr(h, NEEDS_CSUM, 0, 0, 0, 34, 6), f, n)); /* UDP's offset on TCP */
	n = seeded(f, ff_udp(f, IP(10, 0, 2, 15), IP(1, 2, 3, 4), 5000, 80, 20));
	assert_null(check(hdr(h, NEEDS_CSUM, 0, 0, 0, 34, 6), f, n));
	assert_non_null(check(hdr(h, NEEDS_CSUM, 0, 0, 0, 34, 2), f, n));
	assert_non_null(check(hdr(h, NEEDS_CSUM, 0, 0, 0, 34, 16), f, n));
	assert_non_null(check(hdr(h, NEEDS_CSUM, 0, 0, 0, 30, 6), f, n));
	/* ICMP: no checksum offload */
	n = ff_icmp(f, IP(10, 0, 2, 15), IP(1, 2, 3, 4), 8, 0, 0x12340001, NULL, 0);
	assert_non_null(check(hdr(h, NEEDS_CSUM, 0, 0, 0, 34, 2), f, n));
	/* a first fragment: the sum would cover only its piece */
	n = ff_udp(f, IP(10, 0, 2, 15), IP(1, 2, 3, 4), 5000, 80, 20);
	ff_put16(f + 14 + 6, 0x2000);
	ff_put16(f + 14 + 10, 0);
	ff_put16(f + 14 + 10, ff_csum(f + 14, 20, 0));
	assert_non_null(check(hdr(h, NEEDS_CSUM, 0, 0, 0, 34, 6), f, n));
	/* an ARP frame */
	memset(f, 0, 60);
	ff_eth(f, RMAC, GMAC, 0x0806);
	assert_non_null(check(hdr(h, NEEDS_CSUM, 0, 0, 0, 14, 6), f, 60));
}

/* An IPv6 TCP frame (20 bytes of header, no payload, L4 at 54) to port
 * 443 in f[0 .. 74), its addresses fd00::1 and fd00::2 when addrs. */
static void ip6_tcp(uint8_t *f, size_t size, bool addrs)
{
	memset(f, 0, size);
	ff_eth(f, RMAC, GMAC, 0x86dd);
	f[14] = 0x60;
	ff_put16(f + 14 + 4, 20);
	f[14 + 6] = 6;
	f[14 + 7] = 64;
	if (addrs) {
		f[14 + 8] = f[14 + 24] = 0xfd;
		f[14 + 23] = 1;
		f[14 + 39] = 2;
	}
	f[54 + 12] = 5 << 4;
	f[54 + 13] = FW_TCP_ACK;
	ff_put16(f + 54 + 2, 443);
}

static void test_csum_options_vlan_ip6(void **state)
{
	uint8_t f[256], g[260], h[FW_VNET_HDR_LEN];
	size_t n = seeded(f, ff_tcp(f, IP(10, 0, 2, 15), IP(1, 2, 3, 4), 40000, 80, 1, 0,
				    FW_TCP_ACK, 0));

	/* a VLAN tag moves the L4 header 4 bytes on */
	memcpy(g, f, 12);
	ff_put16(g + 12, 0x8100);
	ff_put16(g + 14, 0);
	memcpy(g + 16, f + 12, n - 12);
	assert_null(check(hdr(h, NEEDS_CSUM, 0, 0, 0, 38, 16), g, n + 4));
	assert_non_null(check(hdr(h, NEEDS_CSUM, 0, 0, 0, 34, 16), g, n + 4));
	/* IPv6 TCP: L4 at 54 */
	ip6_tcp(f, sizeof(f), false);
	seeded(f, 74);
	assert_null(check(hdr(h, NEEDS_CSUM, 0, 0, 0, 54, 16), f, 74));
	assert_null(check(hdr(h, NEEDS_CSUM, GSO_TCPV6, 74, 1440, 54, 16), f, 74));
	assert_non_null(check(hdr(h, NEEDS_CSUM, GSO_TCPV4, 74, 1440, 54, 16), f, 74));
	assert_non_null(check(hdr(h, NEEDS_CSUM, 0, 0, 0, 34, 16), f, 74));
}

/* fw_l4_csum_ok: the sum over the pseudo-header and the datagram, for
 * IPv4 and IPv6 TCP and UDP (an odd length too), what it refuses. */
static bool csum_ok(const uint8_t *f, size_t n)
{
	struct fw_pkt p;

	assert_false(fw_parse(f, n, &p));
	return fw_l4_csum_ok(f, n, &p);
}

/* Sets the L4 checksum at f + at over the datagram f[l4 .. n) with the
 * pseudo-header's sum s. */
static void put_sum(uint8_t *f, size_t n, size_t l4, size_t at, uint32_t s)
{
	ff_put16(f + at, 0);
	ff_put16(f + at, ff_csum(f + l4, n - l4, s));
}

static void test_l4_csum(void **state)
{
	uint8_t f[256];
	uint32_t ps;
	size_t n = ff_tcp(f, IP(10, 0, 2, 15), IP(1, 2, 3, 4), 40000, 80, 1, 0, FW_TCP_ACK, 3);

	memcpy(f + n - 3, "abc", 3); /* odd: the last byte padded */
	ps = 0x0a00 + 0x020f + 0x0102 + 0x0304 + 6 + 23; /* addresses, TCP, length */
	assert_false(csum_ok(f, n)); /* ff_tcp leaves it zero */
	put_sum(f, n, 34, 34 + 16, ps);
	assert_true(csum_ok(f, n));
	f[n - 1] ^= 0x40;
	assert_false(csum_ok(f, n));
	/* UDP over IPv4: 0 is "none"; a wrong one is refused */
	n = ff_udp(f, IP(10, 0, 2, 15), IP(1, 2, 3, 4), 5000, 53, 4);
	assert_true(csum_ok(f, n));
	ff_put16(f + 34 + 6, 0x1234);
	assert_false(csum_ok(f, n));
	/* IPv6 TCP: the pseudo-header's addresses are 16 bytes each */
	ip6_tcp(f, sizeof(f), true);
	put_sum(f, 74, 54, 54 + 16, 0xfd00 + 1 + 0xfd00 + 2 + 6 + 20);
	assert_true(csum_ok(f, 74));
	put_sum(f, 74, 54, 54 + 16, 0xfd00 + 1 + 0xfd00 + 2 + 6 + 21); /* a wrong length */
	assert_false(csum_ok(f, 74));
}

static void test_gso(void **state)
{
	uint8_t f[4096], h[FW_VNET_HDR_LEN];
	size_t n = seeded(f, ff_tcp(f, IP(10, 0, 2, 15), IP(1, 2, 3, 4), 40000, 80, 1, 0,
				    FW_TCP_ACK, 3000));

	assert_null(check(hdr(h, NEEDS_CSUM, GSO_TCPV4, 54, 1448, 34, 16), f, n));
	assert_null(check(hdr(h, NEEDS_CSUM, GSO_TCPV4 | GSO_ECN, 54, 1448, 34, 16), f, n));
	assert_non_null(check(hdr(h, 0, GSO_TCPV4, 54, 1448, 34, 16), f, n));	/* no csum */
	assert_non_null(check(hdr(h, NEEDS_CSUM, GSO_TCPV6, 54, 1448, 34, 16), f, n));
	assert_non_null(check(hdr(h, NEEDS_CSUM, GSO_UDP, 54, 1448, 34, 16), f, n));
	assert_non_null(check(hdr(h, NEEDS_CSUM, GSO_ECN, 54, 1448, 34, 16), f, n));
	assert_non_null(check(hdr(h, NEEDS_CSUM, GSO_TCPV4, 54, 0, 34, 16), f, n));
	assert_non_null(check(hdr(h, NEEDS_CSUM, GSO_TCPV4, (uint16_t)(n + 1), 1448, 34, 16), f, n));
	assert_non_null(check(hdr(h, NEEDS_CSUM, GSO_TCPV4, 54, 1448, 34, 2), f, n));
	assert_non_null(check(hdr(h, NEEDS_CSUM, 0x7f, 54, 1448, 34, 16), f, n));
	/* TCP segmentation of a UDP frame */
	n = ff_udp(f, IP(10, 0, 2, 15), IP(1, 2, 3, 4), 5000, 80, 3000);
	assert_non_null(check(hdr(h, NEEDS_CSUM, GSO_TCPV4, 42, 1448, 34, 6), f, n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain), cmocka_unit_test(test_csum_tcp_udp),
		cmocka_unit_test(test_csum_options_vlan_ip6), cmocka_unit_test(test_gso),
		cmocka_unit_test(test_l4_csum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
