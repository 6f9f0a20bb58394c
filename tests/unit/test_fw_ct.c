/* SPDX-License-Identifier: MIT */
/* Connection tracking (src/fw/ct.c): the TCP state machine with its window
 * checks, UDP and ICMP pseudo-flows, related ICMP errors, timeouts, the
 * bounded table. */
#include "unit.h"
#include <stdlib.h>
#include <sys/random.h>

#include "fw/fw.h"
#include "fw_frames.h"

#define S_NS 1000000000ull
#define G IP(10, 0, 2, 15)
#define R IP(203, 0, 113, 5)

static struct fw_ct *ct;
static const uint8_t zero_key[FW_CT_KEY_BYTES];

/* A table keyed as the layer keys it: with bytes nobody else knows. */
static void init_random(struct fw_ct *t)
{
	uint8_t key[FW_CT_KEY_BYTES];

	assert_int_equal(getrandom(key, sizeof(key), 0), sizeof(key));
	fw_ct_init(t, key);
}

static int setup(void **state)
{
	ct = malloc(sizeof(*ct));
	init_random(ct);
	return 0;
}

static int teardown(void **state)
{
	free(ct);
	return 0;
}

/* Conntrack's view of a frame; with confirm, an accepting filter after it. */
static unsigned see(const uint8_t *f, size_t n, uint64_t now, bool confirm)
{
	struct fw_pkt p;
	struct fw_ct_result r;

	assert_false(fw_parse(f, n, &p));
	fw_ct_in(ct, &p, now, &r);
	if (confirm && fw_ct_confirm(ct, &p, now, &r))
		return 99;
	return r.state;
}

static unsigned tcp_see(uint32_t s, uint32_t d, uint16_t sp, uint16_t dp, uint32_t seq,
			uint32_t ack, uint8_t fl, size_t data, uint64_t now)
{
	uint8_t f[2048];
	size_t n = ff_tcp(f, s, d, sp, dp, seq, ack, fl, data);
	return see(f, n, now, true);
}

static uint8_t tcp_state(void)
{
	for (uint32_t i = 0; i < ct->fresh; i++)
		if (ct->e[i].used && ct->e[i].expires)
			return ct->e[i].tcp;
	return 0xff;
}

static void handshake(uint64_t t)
{
	assert_int_equal(tcp_see(G, R, 40000, 22, 100, 0, FW_TCP_SYN, 0, t), FW_CT_NEW);
	assert_int_equal(tcp_state(), FW_TCP_SYN_SENT);
	assert_int_equal(tcp_see(R, G, 22, 40000, 5000, 101, FW_TCP_SYN | FW_TCP_ACK, 0, t + 1),
			 FW_CT_ESTABLISHED);
	assert_int_equal(tcp_state(), FW_TCP_SYN_RECV);
	assert_int_equal(tcp_see(G, R, 40000, 22, 101, 5001, FW_TCP_ACK, 0, t + 2),
			 FW_CT_ESTABLISHED);
	assert_int_equal(tcp_state(), FW_TCP_ESTABLISHED);
}

static void test_tcp_lifecycle(void **state)
{
	handshake(0);
	assert_int_equal(tcp_see(G, R, 40000, 22, 101, 5001, FW_TCP_ACK | FW_TCP_PSH, 10, 3),
			 FW_CT_ESTABLISHED);
	assert_int_equal(tcp_see(R, G, 22, 40000, 5001, 111, FW_TCP_ACK | FW_TCP_PSH, 20, 4),
			 FW_CT_ESTABLISHED);
	assert_int_equal(tcp_see(G, R, 40000, 22, 111, 5021, FW_TCP_ACK | FW_TCP_FIN, 0, 5),
			 FW_CT_ESTABLISHED);
	assert_int_equal(tcp_state(), FW_TCP_FIN_WAIT);
	assert_int_equal(tcp_see(R, G, 22, 40000, 5021, 112, FW_TCP_ACK | FW_TCP_FIN, 0, 6),
			 FW_CT_ESTABLISHED);
	assert_int_equal(tcp_state(), FW_TCP_LAST_ACK);
	assert_int_equal(tcp_see(G, R, 40000, 22, 112, 5022, FW_TCP_ACK, 0, 7), FW_CT_ESTABLISHED);
	assert_int_equal(tcp_state(), FW_TCP_TIME_WAIT);
	/* A new SYN on the same ports reopens the flow: new again. */
	assert_int_equal(tcp_see(G, R, 40000, 22, 9000, 0, FW_TCP_SYN, 0, 8), FW_CT_NEW);
	assert_int_equal(tcp_state(), FW_TCP_SYN_SENT);
}

/* A RST moves the flow only at the sequence its peer expects (Linux since
 * 5.x, RFC 5961): past it in the window, accepted and the state kept (the
 * peer ignores it); below it, invalid; exactly there, closed. */
static void test_tcp_rst(void **state)
{
	handshake(0);
	/* the guest has sent 10 bytes, the peer acked them: it expects 111 */
	assert_int_equal(tcp_see(G, R, 40000, 22, 101, 5001, FW_TCP_ACK | FW_TCP_PSH, 10, 3),
			 FW_CT_ESTABLISHED);
	assert_int_equal(tcp_see(R, G, 22, 40000, 5001, 111, FW_TCP_ACK, 0, 4),
			 FW_CT_ESTABLISHED);
	assert_int_equal(tcp_see(G, R, 40000, 22, 111 + 1000, 5001, FW_TCP_RST, 0, 5),
			 FW_CT_ESTABLISHED);
	assert_int_equal(tcp_state(), FW_TCP_ESTABLISHED);
	assert_int_equal(tcp_see(G, R, 40000, 22, 105, 5001, FW_TCP_RST, 0, 6), FW_CT_INVALID);
	assert_int_equal(tcp_state(), FW_TCP_ESTABLISHED);
	assert_int_equal(tcp_see(G, R, 40000, 22, 111, 5001, FW_TCP_ACK | FW_TCP_PSH, 10, 7),
			 FW_CT_ESTABLISHED);
	assert_int_equal(tcp_see(R, G, 22, 40000, 5001, 121, FW_TCP_ACK, 0, 8),
			 FW_CT_ESTABLISHED);
	assert_int_equal(tcp_see(G, R, 40000, 22, 121, 5001, FW_TCP_RST, 0, 9), FW_CT_ESTABLISHED);
	assert_int_equal(tcp_state(), FW_TCP_CLOSE);
}

static void test_tcp_without_entry(void **state)
{
	/* SYN-ACK, FIN, RST out of nowhere: invalid (Linux's sIV from sNO). */
	assert_int_equal(tcp_see(R, G, 22, 1, 1, 1, FW_TCP_SYN | FW_TCP_ACK, 0, 0), FW_CT_INVALID);
	assert_int_equal(tcp_see(R, G, 22, 1, 1, 1, FW_TCP_FIN | FW_TCP_ACK, 0, 0), FW_CT_INVALID);
	assert_int_equal(tcp_see(R, G, 22, 1, 1, 1, FW_TCP_RST, 0, 0), FW_CT_INVALID);
	assert_int_equal(tcp_see(R, G, 22, 1, 1, 1, 0, 0, 0), FW_CT_INVALID);
	assert_int_equal(fw_ct_count(ct), 0);
	/* A bare ACK is picked up mid-stream (nf_conntrack_tcp_loose): new, and
	 * its reply is established without window checks. */
	assert_int_equal(tcp_see(G, R, 2, 22, 77, 88, FW_TCP_ACK, 5, 0), FW_CT_NEW);
	assert_int_equal(tcp_see(R, G, 22, 2, 1u << 31, 82, FW_TCP_ACK, 5, 1), FW_CT_ESTABLISHED);
}

static void test_tcp_window(void **state)
{
	handshake(0);
	/* Far beyond what the receiver granted: invalid, state unchanged. */
	assert_int_equal(tcp_see(G, R, 40000, 22, 101 + 1000000, 5001, FW_TCP_ACK, 10, 3),
			 FW_CT_INVALID);
	/* Acknowledging data never sent: invalid. */
	assert_int_equal(tcp_see(R, G, 22, 40000, 5001, 101 + 500000, FW_TCP_ACK, 0, 4),
			 FW_CT_INVALID);
	/* Far behind (old data beyond the window): invalid. */
	assert_int_equal(tcp_see(G, R, 40000, 22, 101 - 200000, 5001, FW_TCP_ACK, 10, 5),
			 FW_CT_INVALID);
	assert_int_equal(tcp_state(), FW_TCP_ESTABLISHED);
	/* In the window: fine. */
	assert_int_equal(tcp_see(G, R, 40000, 22, 101, 5001, FW_TCP_ACK, 1000, 6),
			 FW_CT_ESTABLISHED);
}

static void test_tcp_wscale(void **state)
{
	uint8_t f[256];
	size_t n = ff_tcp(f, G, R, 1, 80, 100, 0, FW_TCP_SYN, 4);
	uint8_t *t = f + 14 + 20;

	t[12] = 6 << 4;
	memcpy(t + 20, "\x01\x03\x03\x07", 4);
	ff_put16(t + 14, 100);
	assert_int_equal(see(f, n, 0, true), FW_CT_NEW);
	n = ff_tcp(f, R, G, 80, 1, 9000, 101, FW_TCP_SYN | FW_TCP_ACK, 4);
	t = f + 14 + 20;
	t[12] = 6 << 4;
	memcpy(t + 20, "\x01\x03\x03\x07", 4);
	ff_put16(t + 14, 1000);	/* scaled: 128000 bytes after the handshake */
	assert_int_equal(see(f, n, 1, true), FW_CT_ESTABLISHED);
	n = ff_tcp(f, G, R, 1, 80, 101, 9001, FW_TCP_ACK, 0);
	ff_put16(f + 14 + 20 + 14, 100);
	assert_int_equal(see(f, n, 2, true), FW_CT_ESTABLISHED);
	/* The SYN-ACK's window is never scaled: 100000 bytes ahead is out... */
	n = ff_tcp(f, G, R, 1, 80, 101 + 100000, 9001, FW_TCP_ACK, 10);
	ff_put16(f + 14 + 20 + 14, 100);
	assert_int_equal(see(f, n, 3, true), FW_CT_INVALID);
	/* ...until the server grants 1000 << 7 bytes: then it is in, 200000 is not. */
	n = ff_tcp(f, R, G, 80, 1, 9001, 101, FW_TCP_ACK, 0);
	ff_put16(f + 14 + 20 + 14, 1000);
	assert_int_equal(see(f, n, 4, true), FW_CT_ESTABLISHED);
	n = ff_tcp(f, G, R, 1, 80, 101 + 100000, 9001, FW_TCP_ACK, 10);
	ff_put16(f + 14 + 20 + 14, 100);
	assert_int_equal(see(f, n, 5, true), FW_CT_ESTABLISHED);
	n = ff_tcp(f, G, R, 1, 80, 101 + 200000, 9001, FW_TCP_ACK, 10);
	ff_put16(f + 14 + 20 + 14, 100);
	assert_int_equal(see(f, n, 6, true), FW_CT_INVALID);
}

static void test_dropped_syn_leaves_nothing(void **state)
{
	uint8_t f[256];
	size_t n = ff_tcp(f, G, R, 5, 23, 1, 0, FW_TCP_SYN, 0);

	assert_int_equal(see(f, n, 0, false), FW_CT_NEW);	/* the rules dropped it */
	assert_int_equal(fw_ct_count(ct), 0);
	assert_int_equal(tcp_see(R, G, 23, 5, 9, 2, FW_TCP_SYN | FW_TCP_ACK, 0, 1), FW_CT_INVALID);
}

static void test_udp(void **state)
{
	uint8_t f[128], b[128];
	size_t n = ff_udp(f, G, R, 5000, 53, 4), m = ff_udp(b, R, G, 53, 5000, 4);

	assert_int_equal(see(f, n, 0, true), FW_CT_NEW);
	assert_int_equal(see(f, n, 1, true), FW_CT_NEW);	/* no reply yet */
	assert_int_equal(see(b, m, 2, true), FW_CT_ESTABLISHED);
	assert_int_equal(see(f, n, 3, true), FW_CT_ESTABLISHED);
	/* 120 s after the last packet of a replied flow: gone. */
	assert_int_equal(see(f, n, 3 + 121 * S_NS, true), FW_CT_NEW);
	/* an unreplied flow lives 30 s */
	assert_int_equal(see(f, n, 200 * S_NS + 29 * S_NS, true), FW_CT_NEW);
	assert_int_equal(see(b, m, 3 + 121 * S_NS + 29 * S_NS, false), FW_CT_ESTABLISHED);
}

static void test_icmp(void **state)
{
	uint8_t f[256], q[128];

	size_t n = ff_icmp(f, R, G, 0, 0, 0x11110001, NULL, 0);
	assert_int_equal(see(f, n, 0, true), FW_CT_INVALID);	/* reply without request */
	n = ff_icmp(f, G, R, 8, 0, 0x11110001, NULL, 0);
	assert_int_equal(see(f, n, 0, true), FW_CT_NEW);
	n = ff_icmp(f, R, G, 0, 0, 0x11110001, NULL, 0);
	assert_int_equal(see(f, n, 1, true), FW_CT_ESTABLISHED);
	n = ff_icmp(f, R, G, 0, 0, 0x22220001, NULL, 0);	/* another identifier */
	assert_int_equal(see(f, n, 2, true), FW_CT_INVALID);
	n = ff_icmp(f, G, R, 11, 0, 0, NULL, 0);	/* an error quoting nothing */
	assert_int_equal(see(f, n, 2, true), FW_CT_INVALID);
	/* errors about a tracked UDP flow: related; about an unknown one: invalid */
	size_t qn = ff_udp(q, G, R, 5000, 53, 0);
	n = ff_udp(f, G, R, 5000, 53, 0);
	assert_int_equal(see(f, n, 3, true), FW_CT_NEW);
	n = ff_icmp(f, R, G, 3, 3, 0, q + 14, qn - 14);
	assert_int_equal(see(f, n, 4, true), FW_CT_RELATED);
	qn = ff_udp(q, G, R, 5001, 53, 0);
	n = ff_icmp(f, R, G, 3, 3, 0, q + 14, qn - 14);
	assert_int_equal(see(f, n, 5, true), FW_CT_INVALID);
}

/* Neighbour discovery and MLD are untracked (Linux's noct_valid_new): no
 * flow is made or found; echo stays tracked, a redirect is invalid. */
static void test_icmp6_untracked(void **state)
{
	static const uint8_t types[] = { 130, 131, 132, 133, 134, 135, 136, 143 };
	uint8_t f[256], target[16] = { 0xfd };

	for (size_t i = 0; i < sizeof(types); i++) {
		size_t n = ff_icmp6(f, 0, types[i], 0, 0, target, sizeof(target));
		assert_int_equal(see(f, n, 0, true), FW_CT_UNTRACKED);
		assert_int_equal(see(f, n, 1, true), FW_CT_UNTRACKED);
	}
	assert_int_equal(fw_ct_count(ct), 0);
	size_t n = ff_icmp6(f, 0, 137, 0, 0, target, sizeof(target));	/* redirect */
	assert_int_equal(see(f, n, 2, true), FW_CT_INVALID);
	n = ff_icmp6(f, 0, 128, 0, 0x12340001, NULL, 0);
	assert_int_equal(see(f, n, 3, true), FW_CT_NEW);
	n = ff_icmp6(f, 1, 129, 0, 0x12340001, NULL, 0);
	assert_int_equal(see(f, n, 4, true), FW_CT_ESTABLISHED);
}

static void test_table_full(void **state)
{
	uint8_t f[128];

	/* Flows that were answered (assured) hold their places. */
	for (uint32_t i = 0; i < FW_CT_MAX; i++) {
		size_t n = ff_udp(f, G, IP(1, 0, 0, 0) + i, 1000, 53, 0);
		assert_int_equal(see(f, n, 0, true), FW_CT_NEW);
		n = ff_udp(f, IP(1, 0, 0, 0) + i, G, 53, 1000, 0);
		assert_int_equal(see(f, n, 0, true), FW_CT_ESTABLISHED);
	}
	assert_int_equal(fw_ct_count(ct), FW_CT_MAX);
	size_t n = ff_udp(f, G, IP(2, 0, 0, 0), 1000, 53, 0);
	assert_int_equal(see(f, n, 1, true), 99);
	assert_int_equal(ct->full_drops, 1);
	assert_int_equal(ct->early_drops, 0);
	assert_int_equal(fw_ct_count(ct), FW_CT_MAX);
	/* Once the flows expired, a new one reuses an entry. */
	assert_int_equal(see(f, n, 121 * S_NS, true), FW_CT_NEW);
	assert_int_equal(ct->full_drops, 1);
	assert_true(fw_ct_count(ct) <= FW_CT_MAX);
	/* and finds itself afterwards */
	size_t m = ff_udp(f, IP(2, 0, 0, 0), G, 53, 1000, 0);
	assert_int_equal(see(f, m, 122 * S_NS, true), FW_CT_ESTABLISHED);
}

/* A table full of flows nobody answered (a flood from spoofed sources):
 * each new flow takes the place of one of them (Linux's early drop), so
 * the flood cannot keep new flows out for its flows' timeout. */
static void test_table_flood(void **state)
{
	uint8_t f[128];
	size_t n;

	for (uint32_t i = 0; i < FW_CT_MAX; i++) {
		n = ff_udp(f, IP(1, 0, 0, 0) + i, G, 1000, 53, 0);
		assert_int_equal(see(f, n, 0, true), FW_CT_NEW);
	}
	for (uint32_t i = 0; i < 100; i++) {
		n = ff_udp(f, G, IP(3, 0, 0, 0) + i, 1000, 53, 0);
		assert_int_equal(see(f, n, 1, true), FW_CT_NEW);
		n = ff_udp(f, IP(3, 0, 0, 0) + i, G, 53, 1000, 0);
		assert_int_equal(see(f, n, 2, true), FW_CT_ESTABLISHED);
	}
	assert_int_equal(ct->full_drops, 0);
	assert_int_equal(ct->early_drops, 100);
	assert_int_equal(fw_ct_count(ct), FW_CT_MAX);
}

static void test_fragments_table(void **state)
{
	uint8_t f[128];
	struct fw_pkt p;
	size_t n = ff_udp(f, G, R, 1, 2, 0);

	assert_false(fw_parse(f, n, &p));
	p.frag_id = 77;
	assert_false(fw_frag_known(ct, &p, 0));
	fw_frag_remember(ct, &p, 0);
	assert_true(fw_frag_known(ct, &p, 1));
	assert_false(fw_frag_known(ct, &p, FW_FRAG_TIMEOUT_NS + 1));
	/* more first fragments than slots: the table stays bounded and the newest is known */
	for (uint32_t i = 0; i < FW_FRAG_MAX * 2; i++) {
		p.frag_id = 1000 + i;
		fw_frag_remember(ct, &p, 2);
	}
	assert_true(fw_frag_known(ct, &p, 3));
}

/* Bucket flooding: the guest picks flows offline that share one bucket
 * under a hash it knows, so each lookup walks all of them. */
#define FLOOD 256		/* crafted flows */
#define FLOOD_CHAIN_MAX 8	/* 256 flows in 8192 buckets: about 2 at most by chance */

static uint32_t longest_chain(const struct fw_ct *t)
{
	uint32_t most = 0;

	for (uint32_t b = 0; b < FW_CT_BUCKETS; b++) {
		uint32_t n = 0;

		for (uint32_t i = t->bucket[b]; i != FW_CT_NIL && n <= FW_CT_MAX; i = t->e[i].next)
			n++;
		most = n > most ? n : most;
	}
	return most;
}

/* A UDP flow from the guest, candidate k (source port, destination, port). */
static size_t flow(uint8_t *f, uint32_t k)
{
	return ff_udp(f, G, R + (k >> 16), (uint16_t)(1024 + (k & 0x7fff)),
		      (uint16_t)(53 + ((k >> 15) & 1)), 8);
}

static void test_hash_flood(void **state)
{
	struct fw_ct *zero = malloc(sizeof(*zero)), *keyed = ct;
	static uint32_t crafted[FLOOD];
	uint32_t n = 0, target = 0;
	uint8_t f[128];
	struct fw_pkt p;

	/* Crafted under a known key. */
	fw_ct_init(zero, zero_key);
	for (uint32_t k = 0; n < FLOOD; k++) {
		assert_false(fw_parse(f, flow(f, k), &p));
		if (k == 0)
			target = fw_ct_bucket(zero, &p);
		if (fw_ct_bucket(zero, &p) == target)
			crafted[n++] = k;
	}
	/* They do collide there: the check below can fail. */
	ct = zero;
	for (uint32_t i = 0; i < FLOOD; i++)
		assert_int_equal(see(f, flow(f, crafted[i]), S_NS, true), FW_CT_NEW);
	assert_int_equal(longest_chain(zero), FLOOD);
	free(zero);

	/* The table as setup() keys it, as the layer does: spread. */
	ct = keyed;
	for (uint32_t i = 0; i < FLOOD; i++)
		assert_int_equal(see(f, flow(f, crafted[i]), S_NS, true), FW_CT_NEW);
	assert_int_equal(fw_ct_count(ct), FLOOD);
	assert_in_range(longest_chain(ct), 1, FLOOD_CHAIN_MAX);
}

/* Two keys place the same flows in unrelated buckets: by chance, 1 in 8192
 * shares its bucket under both. */
#define KEYS_FLOWS 4096
#define KEYS_SAME_MAX 16	/* about 0.5 expected */

static void test_hash_keys(void **state)
{
	struct fw_ct *other = malloc(sizeof(*other));
	uint32_t same = 0, used = 0;
	static uint8_t hit[FW_CT_BUCKETS];
	uint8_t f[128];
	struct fw_pkt p;

	init_random(other);
	for (uint32_t k = 0; k < KEYS_FLOWS; k++) {
		assert_false(fw_parse(f, flow(f, k), &p));
		same += fw_ct_bucket(ct, &p) == fw_ct_bucket(other, &p);
		used += !hit[fw_ct_bucket(ct, &p)];
		hit[fw_ct_bucket(ct, &p)] = 1;
	}
	free(other);
	assert_in_range(same, 0, KEYS_SAME_MAX);
	/* 4096 flows in 8192 buckets fill about 3223 of them. */
	assert_in_range(used, 3000, KEYS_FLOWS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tcp_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_without_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_wscale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropped_syn_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp6_untracked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragments_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash_keys, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
