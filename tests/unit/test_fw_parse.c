/* SPDX-License-Identifier: MIT */
/* The firewall's frame parser (src/fw/parse.c): each header, and malformed
 * ones, which must make the frame invalid (or its L4 absent), never a read
 * outside it (ASan watches every test: frames are copied to exact-size heap
 * buffers). */
#include "unit.h"
#include <stdlib.h>

#include "fw/fw.h"
#include "fw_frames.h"

/* Parse a copy of f[0 .. n) in a heap buffer of exactly n bytes. */
static bool parse_exact(const uint8_t *f, size_t n, struct fw_pkt *p)
{
	uint8_t *b = malloc(n ? n : 1);
	memcpy(b, f, n);
	bool inv = fw_parse(b, n, p);
	free(b);
	return inv;
}

static void test_ethernet_short(void **state)
{
	uint8_t f[64] = { 0 };
	struct fw_pkt p;

	for (size_t n = 0; n < 14; n++)
		assert_true(parse_exact(f, n, &p));
	ff_eth(f, RMAC, GMAC, 0x1234);
	assert_true(parse_exact(f, 60, &p));	/* unknown ethertype: invalid */
	assert_int_equal(p.ethertype, 0x1234);
}

static void test_tcp(void **state)
{
	uint8_t f[128];
	struct fw_pkt p;
	size_t n = ff_tcp(f, IP(10, 0, 2, 15), IP(1, 2, 3, 4), 40000, 22, 7, 9, FW_TCP_SYN, 5);

	assert_false(parse_exact(f, n, &p));
	assert_int_equal(p.l3, FW_L3_IP4);
	assert_true(p.l4_ok);
	assert_int_equal(p.proto, FW_PROTO_TCP);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 22);
	assert_int_equal(p.seq, 7);
	assert_int_equal(p.tcp_flags, FW_TCP_SYN);
	assert_int_equal(p.l4_payload, 5);
	assert_memory_equal(p.smac, GMAC, 6);
	assert_memory_equal(p.saddr, "\x0a\x00\x02\x0f", 4);
	/* Ethernet padding after the datagram is not payload. */
	assert_false(parse_exact(f, n + 10, &p));
	assert_int_equal(p.l4_payload, 5);
	/* Cut inside the TCP header: the IPv4 total length no longer fits. */
	assert_true(parse_exact(f, 14 + 20 + 10, &p));
}

static void test_tcp_bad_offset(void **state)
{
	uint8_t f[128];
	struct fw_pkt p;
	size_t n = ff_tcp(f, 1, 2, 1, 2, 0, 0, FW_TCP_ACK, 0);

	f[14 + 20 + 12] = 4 << 4;	/* data offset below 5 */
	assert_false(parse_exact(f, n, &p));
	assert_false(p.l4_ok);
	f[14 + 20 + 12] = 15 << 4;	/* 60 bytes claimed, 20 there */
	assert_false(parse_exact(f, n, &p));
	assert_false(p.l4_ok);
}

static void test_tcp_wscale(void **state)
{
	uint8_t f[128];
	struct fw_pkt p;
	size_t n = ff_tcp(f, 1, 2, 1, 2, 0, 0, FW_TCP_SYN, 4);
	uint8_t *t = f + 14 + 20;

	t[12] = 6 << 4;
	memcpy(t + 20, "\x01\x03\x03\x07", 4);	/* NOP, wscale 7 */
	assert_false(parse_exact(f, n, &p));
	assert_int_equal(p.tcp_wscale, 7);
	memcpy(t + 20, "\x01\x03\x09\x07", 4);	/* a length running past the header */
	assert_false(parse_exact(f, n, &p));
	assert_int_equal(p.tcp_wscale, 0xff);
}

static void test_ip4_malformed(void **state)
{
	uint8_t f[128], g[128];
	struct fw_pkt p;
	size_t n = ff_udp(f, 1, 2, 3, 4, 4);

	memcpy(g, f, n);
	g[14] = 0x44;	/* IHL 4 */
	assert_true(parse_exact(g, n, &p));
	memcpy(g, f, n);
	g[14] = 0x55;	/* version 5 */
	assert_true(parse_exact(g, n, &p));
	memcpy(g, f, n);
	g[14 + 10] ^= 1;	/* checksum */
	assert_true(parse_exact(g, n, &p));
	assert_false(fw_parse_flags(g, n, FW_PARSE_NO_IP_CSUM, &p));	/* offloaded captures */
	memcpy(g, f, n);
	ff_put16(g + 14 + 2, 200);	/* total length past the frame */
	g[14 + 10] = g[14 + 11] = 0;
	ff_put16(g + 14 + 10, ff_csum(g + 14, 20, 0));
	assert_true(parse_exact(g, n, &p));
	memcpy(g, f, n);
	ff_put16(g + 14 + 2, 10);	/* total length below the header */
	g[14 + 10] = g[14 + 11] = 0;
	ff_put16(g + 14 + 10, ff_csum(g + 14, 20, 0));
	assert_true(parse_exact(g, n, &p));
	assert_true(parse_exact(f, 14 + 19, &p));
}

static void test_ip4_options(void **state)
{
	uint8_t f[128];
	struct fw_pkt p;
	size_t o = ff_eth(f, RMAC, GMAC, 0x0800);

	/* 24-byte header: NOP, NOP, a 2-byte option. */
	o += ff_ip4(f + o, 1, 2, 17, 8 + 4);
	uint8_t *ip = f + 14;
	ip[0] = 0x46;
	ff_put16(ip + 2, 24 + 8);
	memcpy(ip + 20, "\x01\x01\x94\x02", 4);	/* router alert-like, length 2 */
	memset(ip + 24, 0, 8);
	ff_put16(ip + 24, 5);
	ff_put16(ip + 26, 53);
	ff_put16(ip + 28, 8);
	ip[10] = ip[11] = 0;
	ff_put16(ip + 10, ff_csum(ip, 24, 0));
	assert_false(parse_exact(f, 14 + 32, &p));
	assert_int_equal(p.dport, 53);
	/* An option whose length runs out of the header. */
	memcpy(ip + 20, "\x01\x01\x44\x09", 4);
	ip[10] = ip[11] = 0;
	ff_put16(ip + 10, ff_csum(ip, 24, 0));
	assert_true(parse_exact(f, 14 + 32, &p));
}

static void test_ip4_fragments(void **state)
{
	uint8_t f[128];
	struct fw_pkt p;
	size_t n = ff_udp(f, 1, 2, 3, 4, 4);
	uint8_t *ip = f + 14;

	ff_put16(ip + 6, 0x2000);	/* MF, offset 0: first fragment */
	ip[10] = ip[11] = 0;
	ff_put16(ip + 10, ff_csum(ip, 20, 0));
	assert_false(parse_exact(f, n, &p));
	assert_int_equal(p.frag, FW_FRAG_FIRST);
	assert_true(p.l4_ok);
	ff_put16(ip + 6, 0x0003);	/* offset 24: a later fragment, no L4 header */
	ip[10] = ip[11] = 0;
	ff_put16(ip + 10, ff_csum(ip, 20, 0));
	assert_false(parse_exact(f, n, &p));
	assert_int_equal(p.frag, FW_FRAG_LATER);
	assert_false(p.l4_ok);
	assert_int_equal(p.dport, 0);
	/* Its bytes after the IP header are payload (the ids layer scans them). */
	assert_int_equal(p.l4_off, 14 + 20);
	assert_int_equal(p.l4_len, 8 + 4);
	/* Link padding after the datagram is not counted. */
	memset(f + n, 0, 64 - n);
	assert_false(parse_exact(f, 64, &p));
	assert_int_equal(p.l4_len, 8 + 4);
}

static void test_udp(void **state)
{
	uint8_t f[128];
	struct fw_pkt p;
	size_t n = ff_udp(f, 1, 2, 1000, 53, 12);

	assert_false(parse_exact(f, n, &p));
	assert_true(p.l4_ok);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.l4_payload, 12);
	ff_put16(f + 14 + 20 + 4, 7);	/* UDP length below its header */
	assert_false(parse_exact(f, n, &p));
	assert_false(p.l4_ok);
	ff_put16(f + 14 + 20 + 4, 100);	/* past the datagram */
	assert_false(parse_exact(f, n, &p));
	assert_false(p.l4_ok);
}

static void test_icmp_error_quote(void **state)
{
	uint8_t q[64], f[160];
	struct fw_pkt p;
	size_t qn = ff_udp(q, IP(10, 0, 2, 15), IP(1, 2, 3, 4), 5000, 53, 0);
	size_t n = ff_icmp(f, IP(1, 2, 3, 4), IP(10, 0, 2, 15), 3, 3, 0, q + 14, qn - 14);

	assert_false(parse_exact(f, n, &p));
	assert_true(p.icmp_error);
	assert_true(p.inner_ok);
	assert_int_equal(p.inner.proto, FW_PROTO_UDP);
	assert_int_equal(p.inner.sport, 5000);
	assert_int_equal(p.inner.dport, 53);
	/* A quote too short for the ports: the error stands, its tuple does not. */
	n = ff_icmp(f, IP(1, 2, 3, 4), IP(10, 0, 2, 15), 3, 3, 0, q + 14, 24);
	assert_false(parse_exact(f, n, &p));
	assert_true(p.icmp_error);
	assert_false(p.inner_ok);
	/* Echo: the identifier as both ports. */
	n = ff_icmp(f, 1, 2, 8, 0, 0xabcd0001, NULL, 0);
	assert_false(parse_exact(f, n, &p));
	assert_false(p.icmp_error);
	assert_int_equal(p.sport, 0xabcd);
	assert_true(parse_exact(f, 14 + 20 + 4, &p));	/* cut ICMP header: IP length lies */
}

static void test_vlan(void **state)
{
	uint8_t f[160], g[160];
	struct fw_pkt p;
	size_t n = ff_udp(f, 1, 2, 3, 4, 0);

	/* one tag */
	memcpy(g, f, 12);
	memcpy(g + 12, "\x81\x00\x00\x05", 4);
	memcpy(g + 16, f + 12, n - 12);
	assert_false(parse_exact(g, n + 4, &p));
	assert_int_equal(p.dport, 4);
	/* three tags: more than FW_VLAN_MAX */
	memcpy(g + 12, "\x88\xa8\x00\x05\x81\x00\x00\x06\x81\x00\x00\x07", 12);
	memcpy(g + 24, f + 12, n - 12);
	assert_true(parse_exact(g, n + 12, &p));
	/* a tag with nothing after it */
	assert_true(parse_exact(g, 16, &p));
}

static void test_arp(void **state)
{
	uint8_t f[64] = { 0 };
	struct fw_pkt p;
	size_t o = ff_eth(f, "\xff\xff\xff\xff\xff\xff", GMAC, 0x0806);

	memcpy(f + o, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
	memcpy(f + o + 14, "\x0a\x00\x02\x0f", 4);
	assert_false(parse_exact(f, o + 28, &p));
	assert_int_equal(p.l3, FW_L3_ARP);
	assert_memory_equal(p.saddr, "\x0a\x00\x02\x0f", 4);
	assert_true(parse_exact(f, o + 27, &p));
	f[o + 7] = 9;	/* opcode */
	assert_true(parse_exact(f, o + 28, &p));
}

/* IPv6 + extension headers + fragment + TCP or ICMPv6. */
static size_t ip6_frame(uint8_t *f, const uint8_t *ext, size_t extlen, uint8_t first_nh,
			const uint8_t *l4, size_t l4len)
{
	size_t o = ff_eth(f, RMAC, GMAC, 0x86dd);
	uint8_t *h = f + o;
	memset(h, 0, 40);
	h[0] = 0x60;
	ff_put16(h + 4, (uint16_t)(extlen + l4len));
	h[6] = first_nh;
	h[7] = 64;
	h[8] = 0xfd;
	h[23] = 1;
	h[24] = 0xfd;
	h[39] = 2;
	if (extlen)
		memcpy(h + 40, ext, extlen);
	memcpy(h + 40 + extlen, l4, l4len);
	return o + 40 + extlen + l4len;
}

static void test_ip6(void **state)
{
	uint8_t f[512], tcp[20] = { 0 }, ext[64] = { 0 };
	struct fw_pkt p;

	ff_put16(tcp, 1234);
	ff_put16(tcp + 2, 443);
	tcp[12] = 5 << 4;
	tcp[13] = FW_TCP_SYN;
	size_t n = ip6_frame(f, NULL, 0, 6, tcp, 20);
	assert_false(parse_exact(f, n, &p));
	assert_int_equal(p.l3, FW_L3_IP6);
	assert_int_equal(p.dport, 443);
	/* hop-by-hop (8 bytes) then a fragment header (first fragment) then TCP */
	ext[0] = 44;
	ext[1] = 0;
	ext[8] = 6;
	ff_put16(ext + 10, 1);	/* M */
	ff_put32(ext + 12, 0xdeadbeef);
	n = ip6_frame(f, ext, 16, 0, tcp, 20);
	assert_false(parse_exact(f, n, &p));
	assert_int_equal(p.proto, FW_PROTO_TCP);
	assert_int_equal(p.frag, FW_FRAG_FIRST);
	assert_int_equal(p.frag_id, 0xdeadbeef);
	assert_int_equal(p.dport, 443);
	/* an extension header longer than the payload */
	ext[1] = 20;
	n = ip6_frame(f, ext, 16, 0, tcp, 20);
	assert_true(parse_exact(f, n, &p));
	/* nine destination-options headers: past FW_IP6_EXT_MAX */
	memset(ext, 0, sizeof(ext));
	for (int i = 0; i < 8; i++)
		ext[i * 8] = i < 7 ? 60 : 6;
	uint8_t big[80] = { 0 };
	memcpy(big, ext, 64);
	big[56] = 60;
	big[64] = 6;
	n = ip6_frame(f, big, 72, 60, tcp, 20);
	assert_true(parse_exact(f, n, &p));
	/* payload length 0 (jumbogram) and past the frame */
	n = ip6_frame(f, NULL, 0, 6, tcp, 20);
	ff_put16(f + 14 + 4, 0);
	assert_true(parse_exact(f, n, &p));
	ff_put16(f + 14 + 4, 21);
	assert_true(parse_exact(f, n, &p));
	/* ICMPv6 echo request */
	uint8_t icmp[8] = { 128, 0, 0, 0, 0x12, 0x34, 0, 1 };
	n = ip6_frame(f, NULL, 0, 58, icmp, 8);
	assert_false(parse_exact(f, n, &p));
	assert_int_equal(p.icmp_type, 128);
	assert_int_equal(p.sport, 0x1234);
}

/* Every length of every frame above, and random bytes: never a crash. */
static void test_all_prefixes(void **state)
{
	uint8_t f[256];
	struct fw_pkt p;
	size_t n = ff_tcp(f, 1, 2, 3, 4, 5, 6, FW_TCP_SYN | FW_TCP_ACK, 30);

	for (size_t k = 0; k <= n; k++)
		parse_exact(f, k, &p);
	srand(7);
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)(rand() % 200);
		for (size_t k = 0; k < len; k++)
			f[k] = (uint8_t)rand();
		if (len > 14 && (i & 1))
			ff_put16(f + 12, (i & 2) ? 0x0800 : 0x86dd);
		parse_exact(f, len, &p);
	}
	uint8_t *big = calloc(1, FW_FRAME_MAX + 1);
	n = ff_udp(big, 1, 2, 3, 4, 0);
	assert_false(fw_parse(big, FW_FRAME_MAX, &p));
	assert_true(fw_parse(big, FW_FRAME_MAX + 1, &p));	/* past the limit */
	free(big);
}

/* Whether reject may answer a UDP frame with these addresses (a NULL MAC:
 * the builder's unicast one). */
static bool answers4(const char *dmac, const char *smac, uint32_t s, uint32_t d)
{
	uint8_t f[128];
	struct fw_pkt p;
	size_t n = ff_udp(f, s, d, 4000, 6003, 8);

	if (dmac)
		memcpy(f, dmac, 6);
	if (smac)
		memcpy(f + 6, smac, 6);
	assert_false(fw_parse(f, n, &p));
	return fw_reject_may_answer(&p);
}

static bool answers6(uint8_t s0, uint8_t s15, uint8_t d0, uint8_t d15)
{
	uint8_t f[128], udp[8] = {0x0f, 0xa0, 0x17, 0x73, 0, 8, 0, 0};
	struct fw_pkt p;
	size_t n = ip6_frame(f, NULL, 0, 17, udp, sizeof(udp));

	memset(f + 14 + 8, 0, 32);
	f[14 + 8] = s0;
	f[14 + 23] = s15;
	f[14 + 24] = d0;
	f[14 + 39] = d15;
	assert_false(fw_parse(f, n, &p));
	return fw_reject_may_answer(&p);
}

/* reject answers unicast only, as Linux's nf_reject: a frame to a group
 * (SSDP to 239.255.255.250, NetBIOS to 255.255.255.255, anything to
 * ff:ff:..) would draw replies from a group source, one per firewall. */
static void test_reject_group(void **state)
{
	const uint32_t g = IP(10, 0, 2, 15), h = IP(10, 0, 2, 2);

	(void)state;
	assert_true(answers4(NULL, NULL, h, g));
	assert_false(answers4("\xff\xff\xff\xff\xff\xff", NULL, h, g));
	assert_false(answers4("\x01\x00\x5e\x7f\xff\xfa", NULL, h, g));
	assert_false(answers4("\x33\x33\x00\x00\x00\x01", NULL, h, g));
	assert_false(answers4(NULL, "\x03\x00\x00\x00\x00\x01", h, g));
	assert_false(answers4(NULL, NULL, h, IP(255, 255, 255, 255)));
	assert_false(answers4(NULL, NULL, h, IP(239, 255, 255, 250)));
	assert_false(answers4(NULL, NULL, h, IP(224, 0, 0, 251)));
	assert_false(answers4(NULL, NULL, IP(0, 0, 0, 0), g));
	assert_false(answers4(NULL, NULL, IP(224, 0, 0, 1), g));
	assert_false(answers4(NULL, NULL, IP(255, 255, 255, 255), g));
	assert_true(answers4(NULL, NULL, IP(223, 255, 255, 254), IP(1, 0, 0, 1)));
	assert_true(answers6(0xfd, 2, 0xfd, 1));
	assert_false(answers6(0xfd, 2, 0xff, 1));	/* ff02::1, all nodes */
	assert_false(answers6(0xff, 2, 0xfd, 1));
	assert_false(answers6(0, 0, 0xfd, 1));		/* :: */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_short), cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_tcp_bad_offset), cmocka_unit_test(test_tcp_wscale),
		cmocka_unit_test(test_ip4_malformed), cmocka_unit_test(test_ip4_options),
		cmocka_unit_test(test_ip4_fragments), cmocka_unit_test(test_udp),
		cmocka_unit_test(test_icmp_error_quote), cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_arp), cmocka_unit_test(test_ip6),
		cmocka_unit_test(test_all_prefixes), cmocka_unit_test(test_reject_group),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
