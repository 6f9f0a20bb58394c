/* SPDX-License-Identifier: MIT */
/* The rule compiler (tools/policy/nft.c) and the evaluation of its blobs
 * (src/fw/eval.c): each keyword of the subset, each refusal, sets (plain,
 * interval, anonymous, 10,000 elements), the blob check against corrupt
 * blobs. */
#include "unit.h"
#include <stdlib.h>
#include <time.h>

#include "fw/fw.h"

/* Conntrack's hash key: any will do here (test_fw_ct.c tests the hash). */
static const uint8_t ct_key[FW_CT_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
#include "fw_frames.h"
#include "nft.h"

#define G IP(10, 0, 2, 15)
#define R IP(203, 0, 113, 5)

static struct fw_engine *fw;
static struct nft_result res;

static int setup(void **state)
{
	fw = malloc(sizeof(*fw));
	memset(&res, 0, sizeof(res));
	return 0;
}

static int teardown(void **state)
{
	nft_result_free(&res);
	free(fw);
	return 0;
}

/* Compiles a forward chain with BODY (policy drop) and starts the engine. */
static void load(const char *sets, const char *body, const char *extra)
{
	size_t max = strlen(sets) + strlen(body) + strlen(extra) + 256;
	char *text = malloc(max);

	snprintf(text, max,
		 "table inet t {\n%s\nchain f {\ntype filter hook forward priority 0; policy drop;\n%s\n}\n%s\n}\n",
		 sets, body, extra);
	nft_result_free(&res);
	int rc = nft_compile(text, strlen(text), "t.nft", &res);
	free(text);
	if (rc) {
		for (unsigned i = 0; i < res.nerrors && i < NFT_ERRORS_MAX; i++)
			print_error("%s\n", res.errors[i]);
		fail_msg("compile failed");
	}
	const char *why = NULL;
	assert_int_equal(fw_blob_check(res.blob, res.len, &why), 0);
	fw_engine_init(fw, res.blob, ct_key);
}

/* The refusal text of a file, or NULL when it compiles. */
static const char *refused(const char *text)
{
	nft_result_free(&res);
	if (nft_compile(text, strlen(text), "t.nft", &res) == 0)
		return NULL;
	assert_null(res.blob);
	return res.errors[0];
}

static unsigned tcp_v(unsigned iif, uint32_t s, uint32_t d, uint16_t sp, uint16_t dp, uint8_t fl)
{
	uint8_t f[128];
	size_t n = ff_tcp(f, s, d, sp, dp, 1, 0, fl, 0);
	return fw_filter(fw, f, n, iif, 0);
}

static unsigned udp_v(unsigned iif, uint32_t s, uint32_t d, uint16_t dp)
{
	uint8_t f[128];
	size_t n = ff_udp(f, s, d, 999, dp, 0);
	return fw_filter(fw, f, n, iif, 0);
}

#define GUEST FW_IF_GUEST
#define HOST FW_IF_HOST
#define SYN FW_TCP_SYN
#define A FW_V_ACCEPT
#define D FW_V_DROP

static void test_ports_and_ifnames(void **state)
{
	load("", "iifname \"guest\" tcp dport 22 accept\n oifname guest udp dport 1000-2000 accept\n"
		 "tcp sport != 7 tcp dport >= 60000 accept", "");
	assert_int_equal(tcp_v(GUEST, G, R, 1, 22, SYN), A);
	assert_int_equal(tcp_v(HOST, R, G, 1, 22, SYN), D);
	assert_int_equal(tcp_v(GUEST, G, R, 1, 23, SYN), D);
	assert_int_equal(udp_v(HOST, R, G, 1500), A);
	assert_int_equal(udp_v(HOST, R, G, 2001), D);
	assert_int_equal(udp_v(GUEST, G, R, 1500), D);
	assert_int_equal(tcp_v(HOST, R, G, 8, 60001, SYN), A);
	assert_int_equal(tcp_v(HOST, R, G, 7, 60001, SYN), D);
	/* a UDP frame never matches a tcp dport rule */
	assert_int_equal(udp_v(GUEST, G, R, 22), D);
}

static void test_addresses(void **state)
{
	load("", "ip saddr 10.0.2.0/24 ip daddr != 203.0.113.0/30 accept\n"
		 "ether saddr 02:00:00:00:02:0f ip daddr 203.0.113.1-203.0.113.2 accept\n"
		 "ip6 saddr fd00::/8 accept", "");
	assert_int_equal(udp_v(GUEST, G, IP(203, 0, 113, 9), 1), A);
	assert_int_equal(udp_v(GUEST, G, IP(203, 0, 113, 3), 1), D);
	assert_int_equal(udp_v(GUEST, G, IP(203, 0, 113, 2), 1), A);	/* by MAC */
	assert_int_equal(udp_v(GUEST, IP(10, 0, 3, 1), IP(203, 0, 113, 9), 1), D);
}

static void test_l4proto_flags_icmp(void **state)
{
	uint8_t f[128];
	size_t n;

	load("", "meta l4proto udp accept\n tcp flags syn / syn,ack accept\n"
		 "tcp flags & (fin | rst) == rst accept\n icmp type { echo-request, 13 } accept\n"
		 "ip protocol 47 accept", "");
	assert_int_equal(udp_v(GUEST, G, R, 1), A);
	assert_int_equal(tcp_v(GUEST, G, R, 1, 2, SYN), A);
	assert_int_equal(tcp_v(GUEST, G, R, 1, 3, SYN | FW_TCP_ACK), D);
	assert_int_equal(tcp_v(GUEST, G, R, 1, 4, FW_TCP_RST), A);
	assert_int_equal(tcp_v(GUEST, G, R, 1, 5, FW_TCP_RST | FW_TCP_FIN), D);
	n = ff_icmp(f, G, R, 8, 0, 1, NULL, 0);
	assert_int_equal(fw_filter(fw, f, n, GUEST, 0), A);
	n = ff_icmp(f, G, R, 0, 0, 1, NULL, 0);
	assert_int_equal(fw_filter(fw, f, n, GUEST, 0), D);
	/* implicit flags: any of them */
	load("", "tcp flags fin,rst drop\n tcp flags == syn accept", "");
	assert_int_equal(tcp_v(GUEST, G, R, 1, 2, SYN), A);
	assert_int_equal(tcp_v(GUEST, G, R, 1, 3, SYN | FW_TCP_ACK), D);
}

/* meta nfproto: the frame's family; an ARP frame has none (the match fails,
 * negated or not). ND is `ct state untracked`. */
static void test_nfproto(void **state)
{
	uint8_t f[128];
	size_t n;

	load("", "meta nfproto ipv6 icmpv6 type nd-neighbor-solicit ct state untracked accept\n"
		 "meta nfproto ipv6 udp dport 53 accept\n meta nfproto != ipv6 udp dport 54 accept", "");
	assert_int_equal(udp_v(GUEST, G, R, 53), D);
	assert_int_equal(udp_v(GUEST, G, R, 54), A);
	n = ff_icmp6(f, 0, 135, 0, 0, NULL, 0);
	assert_int_equal(fw_filter(fw, f, n, GUEST, 0), A);
	n = ff_icmp6(f, 0, 128, 0, 1, NULL, 0);
	assert_int_equal(fw_filter(fw, f, n, GUEST, 0), D);
	assert_non_null(strstr(refused("table inet t { chain c { meta nfproto ipv5 accept } }"),
			       "ipv5"));
}

/* Service names: through getservbyname, then from the table read before the
 * seccomp filter (nft_services_load), the same ports; an unknown name is
 * refused both ways. */
static void test_service_names(void **state)
{
	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			nft_services_load();
		load("", "tcp dport { ssh, https } accept\n udp dport domain accept", "");
		assert_int_equal(tcp_v(GUEST, G, R, 1, 22, SYN), A);
		assert_int_equal(tcp_v(GUEST, G, R, 1, 443, SYN), A);
		assert_int_equal(tcp_v(GUEST, G, R, 1, 80, SYN), D);
		assert_int_equal(udp_v(GUEST, G, R, 53), A);
		assert_non_null(refused("table inet t { chain c { tcp dport no-such-service accept } }"));
	}
}

static void test_ct_state_and_reject(void **state)
{
	load("", "ct state established,related accept\n ct state invalid counter drop\n"
		 "iifname guest tcp dport 80 accept\n tcp dport 25 reject with tcp reset\n"
		 "udp dport 9 reject", "");
	assert_int_equal(tcp_v(GUEST, G, R, 5, 80, SYN), A);
	assert_int_equal(tcp_v(HOST, R, G, 80, 5, SYN | FW_TCP_ACK), A);	/* the reply */
	assert_int_equal(tcp_v(HOST, R, G, 80, 6, SYN | FW_TCP_ACK), D);	/* invalid */
	assert_int_equal(fw->rule_counter[1].packets, 1);
	assert_int_equal(tcp_v(GUEST, G, R, 5, 25, SYN), FW_V_REJECT);
	assert_int_equal(udp_v(GUEST, G, R, 9), FW_V_REJECT);
	assert_int_equal(fw->stats.rejected, 2);
}

static void test_jump_goto_return(void **state)
{
	load("", "iifname host jump inbound\n tcp dport 1 goto gone\n accept",
	     "chain inbound {\n tcp dport 22 accept\n return\n tcp dport 23 accept\n}\n"
	     "chain gone {\n tcp dport 1 counter\n}\n");
	assert_int_equal(tcp_v(HOST, R, G, 1, 22, SYN), A);
	assert_int_equal(tcp_v(HOST, R, G, 1, 23, SYN), A);	/* return, then accept */
	/* goto's chain ends: the base chain's policy */
	assert_int_equal(tcp_v(GUEST, G, R, 1, 1, SYN), D);
}

static void test_policy_line(void **state)
{
	const char *text = "table inet t {\nchain c {\ntype filter hook forward priority 0\n"
			   "policy drop\ntcp dport 1 accept\n}\n}\n";

	assert_null(refused(text));
	const char *why;
	assert_int_equal(fw_blob_check(res.blob, res.len, &why), 0);
	fw_engine_init(fw, res.blob, ct_key);
	assert_int_equal(tcp_v(GUEST, G, R, 1, 1, SYN), A);
	assert_int_equal(tcp_v(GUEST, G, R, 1, 2, SYN), D);
}

static void test_two_base_chains(void **state)
{
	/* accept ends only its base chain: the later one (priority 10) still runs */
	load("", "accept",
	     "chain g {\ntype filter hook forward priority 10; policy accept;\ntcp dport 5 drop\n}\n"
	     "chain e {\ntype filter hook forward priority -5; policy accept;\n}\n");
	assert_int_equal(tcp_v(GUEST, G, R, 1, 4, SYN), A);
	assert_int_equal(tcp_v(GUEST, G, R, 1, 5, SYN), D);
}

static void test_named_sets(void **state)
{
	load("set p { type inet_service; elements = { 22, 80, 443 } }\n"
	     "set n { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.1.1-192.168.1.9 } }\n"
	     "set m { type ether_addr; elements = { 02:00:00:00:02:0f } }\n",
	     "tcp dport @p ip daddr != @n accept\n ip saddr @n udp dport != { 1, 2 } accept", "");
	assert_int_equal(tcp_v(GUEST, G, R, 1, 443, SYN), A);
	assert_int_equal(tcp_v(GUEST, G, IP(10, 9, 9, 9), 1, 443, SYN), D);
	assert_int_equal(udp_v(GUEST, IP(192, 168, 1, 9), R, 3), A);
	assert_int_equal(udp_v(GUEST, IP(192, 168, 1, 10), R, 3), D);
	assert_int_equal(udp_v(GUEST, G, R, 2), D);
}

/* 10,000 elements: found, not found, the first and the last. */
static void test_big_set(void **state)
{
	static char sets[200000];
	size_t o = 0;

	o += (size_t)snprintf(sets + o, sizeof(sets) - o, "set big { type ipv4_addr; elements = { ");
	for (unsigned i = 0; i < 10000; i++)
		o += (size_t)snprintf(sets + o, sizeof(sets) - o, "%s10.%u.%u.1", i ? ", " : "",
				      i / 250, i % 250);
	snprintf(sets + o, sizeof(sets) - o, " } }\n");
	load(sets, "ip daddr @big accept", "");
	assert_int_equal(res.nelems, 10000);
	assert_int_equal(udp_v(GUEST, G, IP(10, 39, 249, 1), 1), A);
	assert_int_equal(udp_v(GUEST, G, IP(10, 39, 249, 2), 1), D);
	assert_int_equal(udp_v(GUEST, G, IP(10, 0, 0, 1), 1), A);
}

static void test_refusals(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "table ip t { }", "t.nft:1: unsupported table family 'ip'" },
		{ "define x = 1\n", "t.nft:1: unsupported keyword 'define'" },
		{ "table inet t {\nchain c {\ntype filter hook input priority 0;\n}\n}",
		  "t.nft:3: unsupported hook 'input'" },
		{ "table inet t {\nchain c {\ntype nat hook forward priority 0;\n}\n}",
		  "t.nft:3: unsupported chain type 'nat'" },
		{ "table inet t {\nchain c {\nlog accept\n}\n}", "t.nft:3: unsupported keyword 'log'" },
		{ "table inet t {\nchain c {\ntype filter hook forward priority 0;\nmeta mark 1\n}\n}",
		  "t.nft:4: unsupported keyword 'meta mark'" },
		{ "table inet t {\nchain c {\npolicy drop\n}\n}",
		  "t.nft:3: 'policy' in a chain without 'type ... hook'" },
		{ "table inet t {\nchain c {\nmeta mark 1 accept\n}\n}",
		  "t.nft:3: unsupported keyword 'meta mark'" },
		{ "table inet t {\nchain c {\ntcp dport 99999 accept\n}\n}",
		  "t.nft:3: bad value '99999'" },
		{ "table inet t {\nchain c {\niifname eth0 accept\n}\n}", "t.nft:3: bad value 'eth0'" },
		{ "table inet t {\nchain c {\nip saddr 10.0.0.0/33 accept\n}\n}",
		  "t.nft:3: bad prefix '10.0.0.0/33'" },
		{ "table inet t {\nchain c {\ntcp dport @nope accept\n}\n}",
		  "t.nft:3: unknown set '@nope'" },
		{ "table inet t {\nchain c {\njump nowhere\n}\n}",
		  "t.nft:3: jump to unknown chain 'nowhere'" },
		{ "table inet t {\nchain c {\naccept drop\n}\n}",
		  "t.nft:3: unsupported keyword 'drop' after a verdict" },
		{ "table inet t {\nset s { type inet_service; elements = { 1-5 } }\n}",
		  "t.nft:2: '1-5' is an interval: the set needs 'flags interval'" },
		{ "table inet t {\nset s { type ipv4_addr . inet_service; }\n}",
		  "t.nft:2: unsupported keyword '.'" },
		{ "table inet t {\nset s { type mark; }\n}", "t.nft:2: unsupported set type 'mark'" },
		{ "table inet t {\nset s { type ipv4_addr; timeout 1s; }\n}",
		  "t.nft:2: unsupported keyword 'timeout' in a set" },
		{ "table inet t {\nset s { type ipv4_addr; }\nchain c {\ntcp dport @s accept\n}\n}",
		  "t.nft:4: set 's' holds another type" },
		{ "table inet t {\nchain c {\njump d\n}\nchain d {\njump c\n}\n}",
		  "the compiled policy fails its own check: chains jump in a loop" },
		{ "table inet t {\nchain c {\nreject with icmp type host-unreachable\n}\n}",
		  "t.nft:3: expected 'tcp', found 'icmp'" },
		{ "table inet t {\nchain c {\ntcp dport 22 accept", "t.nft:3: chain 'c' not closed" },
		{ "table inet t {\n}\ntable inet u {\n}\n", "t.nft:3: a second table" },
		{ "", "t.nft:1: no 'table inet' in the file" },
		{ "table inet t {\nchain c {\nct state bogus accept\n}\n}",
		  "t.nft:3: bad flag 'bogus'" },
		{ "table inet t {\nchain c {\nip saddr \"unterminated\n}\n}",
		  "t.nft:3: unterminated or too long string" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = refused(cases[i].text);
		if (!got || !strstr(got, cases[i].want))
			fail_msg("case %zu: want '%s', got '%s'", i, cases[i].want, got ? got : "(loads)");
	}
	/* check lists every refusal, not only the first */
	assert_non_null(refused("table inet t {\nchain c {\nlog\nmeta mark 1\nfib saddr\n}\n}"));
	assert_int_equal(res.nerrors, 3);
}

static void test_blob_check(void **state)
{
	const char *why;

	load("set p { type inet_service; elements = { 22, 80 } }", "tcp dport @p jump x",
	     "chain x {\naccept\n}\n");
	uint8_t *b = malloc(res.len);
	struct fw_blob_hdr *h = (void *)b;
	/* each corruption must be caught */
	for (int k = 0; k < 9; k++) {
		memcpy(b, res.blob, res.len);
		size_t len = res.len;
		struct fw_rule *r = (void *)(b + h->rule_off);
		struct fw_match *m = (void *)(b + h->match_off);
		struct fw_elem *e = (void *)(b + h->elem_off);
		switch (k) {
		case 0: h->magic ^= 1; break;
		case 1: h->version = 2; break;
		case 2: len -= 8; break;
		case 3: h->nrules = 100000; break;
		case 4: h->match_off = 3; break;
		case 5: r[0].target = 0; break;	/* a jump to a base chain */
		case 6: m[0].set = 7; break;
		case 7: memcpy(e[0].lo, e[1].lo, FW_KEY_MAX); break;	/* not sorted */
		case 8: r[0].first_match = 5; break;
		}
		if (fw_blob_check(b, len, &why) == 0)
			fail_msg("corruption %d passed the blob check", k);
	}
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ports_and_ifnames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l4proto_flags_icmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nfproto, setup, teardown),
		cmocka_unit_test_setup_teardown(test_service_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ct_state_and_reject, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jump_goto_return, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_base_chains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_sets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blob_check, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
