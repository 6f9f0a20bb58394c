/* SPDX-License-Identifier: MIT */
/* The ids layer's blob (tools/policy/ids_blob.c, src/ids/blob.c): which
 * rules load in-line, the checked layout, and the database scanned by
 * Hyperscan on the host with the same pattern ids the layer sees
 * (offset and depth as Hyperscan's end offsets, nocase, every content);
 * the pcres' table, and their serialized codes decoded and matched by the
 * layer's own PCRE2 glue (src/ids/pcrert.c, built here for the host);
 * rule headers (addresses, ports, variables, `<>`) and `flow` over the
 * layer's flow table, through the layer's own code (src/ids/flow.c) on
 * frames built here. */
#include "unit.h"
#include <hs/hs.h>
#include <stdlib.h>

#include "fw_frames.h"
#include "ids/blob.h"
#include "ids/flow.h"
#include "ids/hdronly.h"
#include "ids/pcrert.h"
#include "ids_blob.h"
#include "ids_unit.h"

static const char rules[] =
	"alert tcp any any -> any 80 (msg:\"a\"; content:\"Hello\"; nocase; sid:1; rev:2;)\n"
	"drop udp any any -> any [53,!5353] (msg:\"b\"; content:\"ab\"; content:\"cd\"; sid:2;)\n"
	"drop ip any any -> any any (msg:\"c\"; content:\"XY\"; offset:2; depth:3; sid:3;)\n"
	"alert tcp any any -> any any (msg:\"d\"; pcre:\"/x/\"; sid:4;)\n"
	"alert tcp any any -> any any (msg:\"e\"; flow:established,only_stream; content:\"q\"; "
	"sid:5;)\n"
	"alert tcp any any -> any any (msg:\"f\"; flowbits:isset,x; content:\"q\"; sid:6;)\n";


static void test_layout(void **state)
{
	const struct ids_blob_hdr *h;
	const struct ids_blob_rule *r;
	const struct ids_blob_port *pt;
	const char *why;

	assert_int_equal(compile(rules), 0);
	assert_int_equal(out.nrules, 3);
	assert_int_equal(out.npatterns, 4);
	assert_int_equal(out.not_loaded, 3);
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	h = out.blob;
	r = (const void *)((const uint8_t *)out.blob + h->rule_off);
	assert_int_equal(r[0].sid, 1);
	assert_int_equal(r[0].rev, 2);
	assert_int_equal(r[0].action, IDS_BLOB_ALERT);
	assert_int_equal(r[0].proto, IDS_BLOB_TCP);
	pt = (const void *)((const uint8_t *)out.blob + h->port_off);
	assert_int_equal(r[0].ndport, 1);
	assert_int_equal(pt[r[0].dport].lo, 80);
	assert_int_equal(r[1].action, IDS_BLOB_DROP);
	assert_int_equal(r[1].ncontents, 2);
	assert_int_equal(r[1].ndport, 2);
	assert_int_equal(pt[r[1].dport + 1].neg, 1);
	assert_int_equal(r[1].nsrc + r[1].ndst + r[1].nsport, 0); /* any */
	assert_string_equal(r[2].msg, "c");
	/* A pattern that names another rule than its place says: refused. */
	((struct ids_blob_pattern *)((uint8_t *)out.blob + h->pattern_off))[0].rule = 1;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	assert_int_equal(ids_blob_check(out.blob, out.len - 8, &why), -1);
	release();
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
		    unsigned flags, void *ctx)
{
	*(unsigned *)ctx |= 1u << id;
	return 0;
}

static unsigned scan(hs_database_t *db, hs_scratch_t *s, const char *data)
{
	unsigned hits = 0;

	assert_int_equal(hs_scan(db, data, (unsigned)strlen(data), 0, s, on_match, &hits),
			 HS_SUCCESS);
	return hits;
}

static void test_database(void **state)
{
	const struct ids_blob_hdr *h;
	hs_database_t *db = NULL;
	hs_scratch_t *s = NULL;

	assert_int_equal(compile(rules), 0);
	h = out.blob;
	assert_int_equal(hs_deserialize_database((const char *)out.blob + h->dbs[IDS_BUF_PKT].off,
						 h->dbs[IDS_BUF_PKT].size,
						 &db), HS_SUCCESS);
	assert_int_equal(hs_alloc_scratch(db, &s), HS_SUCCESS);
	/* pattern 0: "Hello" nocase; 1, 2: "ab", "cd"; 3: "XY" in [2, 5) */
	assert_int_equal(scan(db, s, "xxhELLo"), 1u << 0);
	assert_int_equal(scan(db, s, "cd..ab"), 1u << 1 | 1u << 2);
	assert_int_equal(scan(db, s, "..XY"), 1u << 3);
	assert_int_equal(scan(db, s, "...XY"), 1u << 3);
	assert_int_equal(scan(db, s, "XY...."), 0);    /* before its offset */
	assert_int_equal(scan(db, s, "....XY"), 0);    /* past its depth */
	assert_int_equal(scan(db, s, "hell o"), 0);
	hs_free_scratch(s);
	hs_free_database(db);
	release();
}

static const char pcre_rules[] =
	"alert tcp any any -> any any (msg:\"p\"; content:\"GET \"; pcre:\"/^\\/a+dmin/iR\"; "
	"pcre:!\"/passwd/\"; sid:1;)\n"
	"alert tcp any any -> any any (msg:\"q\"; content:\"x\"; sid:2;)\n"
	"alert tcp any any -> any any (msg:\"r\"; content:\"a\"; content:\"b\"; "
	"pcre:\"/b.c/s\"; sid:3;)\n"
	"alert tcp any any -> any any (msg:\"u\"; content:\"a\"; pcre:\"/a/U\"; sid:4;)\n"
	"alert tcp any any -> any any (msg:\"v\"; content:\"a\"; pcre:\"/a/\"; "
	"pcre:\"/b/R\"; sid:5;)\n";

static void test_pcre(void **state)
{
	const struct ids_blob_hdr *h;
	const struct ids_blob_rule *r;
	struct ids_blob_pcre *x;
	const char *why;

	assert_int_equal(compile(pcre_rules), 0);
	assert_int_equal(out.nrules, 4);
	assert_int_equal(out.npcre, 5);
	assert_int_equal(out.not_loaded, 1); /* a buffer flag */
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	h = out.blob;
	r = (const void *)((const uint8_t *)out.blob + h->rule_off);
	x = (void *)((uint8_t *)out.blob + h->pcre_off);
	assert_int_equal(r[0].ncontents, 1);
	assert_int_equal(r[0].npcre, 2);
	assert_int_equal(r[0].nitems, 3); /* a relative pcre: walked, its pcres items */
	assert_int_equal(r[1].npcre, 0);
	assert_int_equal(r[2].ncontents, 2);
	assert_int_equal(r[2].npcre, 1);
	assert_int_equal(r[2].nitems, 0); /* not walked: its pcre after the prefilter */
	assert_int_equal(r[3].nitems, 3); /* R after a pcre: walked */
	/* sid 1: relative to its content, then negated: both in its walk */
	assert_int_equal(x[0].rule, 0);
	assert_int_equal(x[0].after, IDS_BLOB_NONE);
	assert_int_equal(x[0].flags, IDS_BLOB_PCRE_WALKED);
	assert_int_equal(x[1].flags, IDS_BLOB_PCRE_WALKED);
	assert_int_equal(x[2].rule, 2);
	assert_int_equal(x[2].flags, 0);
	assert_int_equal(x[2].after, IDS_BLOB_NONE);
	/* The check: a pcre that is not relative with an after, a pcre
	 * naming another rule, an unknown flag: refused. */
	x[2].after = 1;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	x[2].after = IDS_BLOB_NONE;
	x[2].rule = 1;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	x[2].rule = 2;
	x[2].flags |= 8;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	x[2].flags &= 3;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	/* The layer's decoding and matching (flags i, s, ^ and negation as
	 * compiled). A length cut short is refused before PCRE2 reads it. */
	assert_non_null(pcrert_load((const uint8_t *)out.blob + h->pcre_code_off,
				    h->pcre_code_size - 8, 5));
	assert_null(pcrert_load((const uint8_t *)out.blob + h->pcre_code_off, h->pcre_code_size,
				5));
	struct pcrert_budget b = {.steps = PCRERT_FRAME_STEPS};

	assert_int_equal(pcrert_match(0, (const uint8_t *)"/AAdmin", 7, &b), 1);
	assert_int_equal(pcrert_match(0, (const uint8_t *)"x/admin", 7, &b), 0); /* ^ */
	assert_int_equal(pcrert_match(1, (const uint8_t *)"etc/passwd", 10, &b), 1);
	assert_int_equal(pcrert_match(2, (const uint8_t *)"b\nc", 3, &b), 1);
	assert_int_equal(pcrert_match(2, (const uint8_t *)"bc", 2, &b), 0);
	assert_int_equal(pcrert_match(5, (const uint8_t *)"b", 1, &b), -1); /* no such code */
	/* where a match is, from a start (the walk's retries) */
	uint32_t ms, me;
	assert_int_equal(pcrert_match_at(3, (const uint8_t *)"xaya", 4, 2, false, &b, &ms, &me), 1);
	assert_int_equal(ms, 3);
	assert_int_equal(me, 4);
	assert_int_equal(pcrert_match_at(3, (const uint8_t *)"xaya", 4, 4, false, &b, &ms, &me), 0);
	assert_int_equal(pcrert_match_at(3, (const uint8_t *)"xaya", 4, 5, false, &b, &ms, &me), -1);
	/* A retry pays for what PCRE2's start scan may read before any
	 * callout: a pattern not anchored, the subject's bytes from its start
	 * (PCRERT_SCAN_PER_STEP a step); an anchored one, and a first try, 1
	 * (and its callouts). So a walk trying a pcre again after each
	 * occurrence of the content before it cannot scan the buffer for free
	 * each time: the frame's budget runs out. */
	static uint8_t big[10000];
	struct pcrert_budget c = {.steps = PCRERT_FRAME_STEPS};
	uint64_t before = c.steps;
	int rc = 0;

	memset(big, 'a', sizeof(big));
	assert_int_equal(pcrert_match_at(1, big, sizeof(big), 0, false, &c, &ms, &me), 0);
	assert_true(before - c.steps < 100); /* a first try */
	before = c.steps;
	assert_int_equal(pcrert_match_at(1, big, sizeof(big), 0, true, &c, &ms, &me), 0); /* passwd */
	assert_true(before - c.steps >= sizeof(big) / PCRERT_SCAN_PER_STEP + 1);
	before = c.steps;
	assert_int_equal(pcrert_match_at(0, big, sizeof(big), 0, true, &c, &ms, &me), 0); /* ^/a+dmin */
	assert_true(before - c.steps < 100);
	for (unsigned i = 0; i < 10000 && rc >= 0; i++)
		rc = pcrert_match_at(1, big, sizeof(big), i % 16, true, &c, &ms, &me);
	assert_int_equal(rc, -1);
	assert_true(c.spent);
	assert_false(b.spent);
	release();
}

static void test_refusals(void **state)
{
	/* A rule the parser refuses stops the compile; so does a file with
	 * no rule the layer can enforce. */
	assert_int_equal(compile("alert tcp any any -> any (sid:1;)\n"), -1);
	assert_null(out.blob);
	assert_int_equal(compile("alert tcp any any -> any any (msg:\"p\"; pcre:\"/a/\"; sid:1;)\n"),
			 -1);
	assert_int_equal(out.not_loaded, 1);
	assert_int_equal(compile("drop tcp any any -> any any (msg:\"d\"; content:\"abc\"; depth:2; "
				 "sid:1;)\n"), -1);
}

/* ---- rule headers and flows --------------------------------------------- */

static const char hdr_rules[] =
	/* 0: variables, their defaults: HOME_NET 10/8..., EXTERNAL_NET !HOME_NET */
	"alert udp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (msg:\"v\"; content:\"a\"; "
	"sid:1;)\n"
	/* 1: a list with CIDR and negation, a port range with a negation */
	"alert udp [10.1.0.0/16,!10.1.2.0/24] any -> any [1000:2000,!1500] (msg:\"l\"; "
	"content:\"a\"; sid:2;)\n"
	/* 2: both ways */
	"alert udp 192.0.2.1 7 <> any 9 (msg:\"b\"; content:\"a\"; sid:3;)\n"
	/* 3: IPv6 */
	"alert icmp [fd00::1] any -> fd00::/16 any (msg:\"6\"; content:\"a\"; sid:4;)\n"
	/* 4, 5: flow */
	"alert tcp any any -> any any (msg:\"fs\"; flow:to_server,established; content:\"a\"; "
	"sid:5;)\n"
	"alert tcp any any -> any any (msg:\"fc\"; flow:from_server,established; "
	"content:\"a\"; sid:6;)\n"
	/* 6: not established */
	"alert tcp any any -> any any (msg:\"ne\"; flow:to_server,not_established; "
	"content:\"a\"; sid:7;)\n"
	/* 7: UDP established: both ways seen */
	"alert udp any any -> any any (msg:\"ue\"; flow:established,stateless; content:\"a\"; "
	"sid:8;)\n"
	/* 8: any with a negation in the list */
	"alert udp [any,!10.9.9.9] any -> any [any,!53] (msg:\"an\"; content:\"a\"; sid:9;)\n";

static uint8_t frame[2048];
static struct fw_pkt pkt;

static const struct fw_pkt *udp(uint32_t s, uint32_t d, uint16_t sp, uint16_t dp)
{
	size_t n = ff_udp(frame, s, d, sp, dp, 4);

	assert_false(fw_parse(frame, n, &pkt));
	return &pkt;
}

static const struct fw_pkt *tcp(uint32_t s, uint32_t d, uint16_t sp, uint16_t dp, uint32_t seq,
				uint32_t ack, uint8_t flags, size_t data)
{
	size_t n = ff_tcp(frame, s, d, sp, dp, seq, ack, flags, data);

	assert_false(fw_parse(frame, n, &pkt));
	return &pkt;
}

static const struct ids_blob_rule *hrule;
static const struct ids_blob_hdr *hh;

/* Whether rule i of the blob takes p (no flow table). */
static bool takes(unsigned i, const struct fw_pkt *p)
{
	return ids_rule_hdr_ok(hh, &hrule[i], p, true, NULL);
}

static void compile_hdr(const char *const *vars, unsigned nvars)
{
	FILE *devnull = fopen("/dev/null", "w");
	const char *why;

	assert_int_equal(ids_blob_compile(hdr_rules, strlen(hdr_rules), "h.rules", vars, nvars,
					  devnull, &out), 0);
	fclose(devnull);
	assert_int_equal(out.nrules, 9);
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	hh = out.blob;
	hrule = (const void *)((const uint8_t *)out.blob + hh->rule_off);
}

static void test_headers(void **state)
{
	const char *why;

	compile_hdr(NULL, 0);
	/* $HOME_NET -> $EXTERNAL_NET $HTTP_PORTS (80) */
	assert_true(takes(0, udp(IP(10, 0, 0, 1), IP(8, 8, 8, 8), 1234, 80)));
	assert_false(takes(0, udp(IP(10, 0, 0, 1), IP(10, 0, 0, 2), 1234, 80)));
	assert_false(takes(0, udp(IP(8, 8, 8, 8), IP(10, 0, 0, 2), 1234, 80)));
	assert_false(takes(0, udp(IP(10, 0, 0, 1), IP(8, 8, 8, 8), 1234, 81)));
	assert_false(ids_rule_hdr_ok(hh, &hrule[0], udp(IP(10, 0, 0, 1), IP(8, 8, 8, 8), 1, 80),
				     false, NULL)); /* no ports in the frame */
	/* [10.1.0.0/16,!10.1.2.0/24] any -> any [1000:2000,!1500] */
	assert_true(takes(1, udp(IP(10, 1, 3, 1), IP(1, 1, 1, 1), 1, 1000)));
	assert_true(takes(1, udp(IP(10, 1, 3, 1), IP(1, 1, 1, 1), 1, 2000)));
	assert_false(takes(1, udp(IP(10, 1, 2, 1), IP(1, 1, 1, 1), 1, 1000)));
	assert_false(takes(1, udp(IP(10, 2, 3, 1), IP(1, 1, 1, 1), 1, 1000)));
	assert_false(takes(1, udp(IP(10, 1, 3, 1), IP(1, 1, 1, 1), 1, 1500)));
	assert_false(takes(1, udp(IP(10, 1, 3, 1), IP(1, 1, 1, 1), 1, 2001)));
	assert_false(takes(1, tcp(IP(10, 1, 3, 1), IP(1, 1, 1, 1), 1, 1000, 1, 0, 2, 0))); /* proto */
	/* 192.0.2.1 7 <> any 9: both ways, never crossed */
	assert_true(takes(2, udp(IP(192, 0, 2, 1), IP(1, 1, 1, 1), 7, 9)));
	assert_true(takes(2, udp(IP(1, 1, 1, 1), IP(192, 0, 2, 1), 9, 7)));
	assert_false(takes(2, udp(IP(1, 1, 1, 1), IP(192, 0, 2, 1), 7, 9)));
	/* IPv6: fd00::1 -> fd00::2 (ff_icmp6), back is not from fd00::1 */
	size_t n = ff_icmp6(frame, 0, 128, 0, 0, (const uint8_t *)"abcd", 4);
	assert_false(fw_parse(frame, n, &pkt));
	assert_true(ids_rule_hdr_ok(hh, &hrule[3], &pkt, false, NULL));
	assert_false(takes(0, &pkt)); /* an IPv4 list never takes an IPv6 address */
	n = ff_icmp6(frame, 1, 129, 0, 0, (const uint8_t *)"abcd", 4);
	assert_false(fw_parse(frame, n, &pkt));
	assert_false(ids_rule_hdr_ok(hh, &hrule[3], &pkt, false, NULL));
	/* [any,!10.9.9.9] any -> any [any,!53] */
	assert_true(takes(8, udp(IP(10, 9, 9, 8), IP(1, 1, 1, 1), 1, 54)));
	assert_false(takes(8, udp(IP(10, 9, 9, 9), IP(1, 1, 1, 1), 1, 54)));
	assert_false(takes(8, udp(IP(10, 9, 9, 8), IP(1, 1, 1, 1), 1, 53)));
	/* A rule's run outside the table: refused by the check. */
	((struct ids_blob_rule *)hrule)[0].dst = hh->naddrs;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	release();

	/* The stack file's variables: HOME_NET one host, HTTP_PORTS a list. */
	static const char *const vars[] = {"HOME_NET=[192.168.1.5]", "HTTP_PORTS=[8080,8000:8001]"};
	compile_hdr(vars, 2);
	assert_true(takes(0, udp(IP(192, 168, 1, 5), IP(10, 0, 0, 1), 1, 8001)));
	assert_false(takes(0, udp(IP(192, 168, 1, 6), IP(10, 0, 0, 1), 1, 8001)));
	assert_false(takes(0, udp(IP(192, 168, 1, 5), IP(10, 0, 0, 1), 1, 80)));
	release();
}

/* Whether p's source address is the IPv4 address a. */
static bool pkt_from(const struct fw_pkt *p, uint32_t a)
{
	const uint8_t b[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};

	return !memcmp(p->saddr, b, 4);
}

/* The flow tests' steps, on their ct, f, now and guest address c: the
 * guest's frames are those from c (the spoofing tests say their side
 * themselves); a rule's header and flow on the frame just tracked. */
#define TRACK(p)                                                                         \
	do {                                                                             \
		const struct fw_pkt *q_ = (p);                                           \
		assert_int_equal(ids_flow_track(&ct, q_, pkt_from(q_, c), now, &f), 0);  \
	} while (0)
#define TAKES(i, p) ids_rule_hdr_ok(hh, &hrule[i], (p), true, &f)

static void test_flow(void **state)
{
	static struct fw_ct ct;
	static const uint8_t key[FW_CT_KEY_BYTES] = {1, 2, 3};
	struct ids_flow f;
	const uint32_t c = IP(10, 0, 2, 15), s = IP(10, 0, 2, 2);
	uint64_t now = 1000000000ull;

	compile_hdr(NULL, 0);
	fw_ct_init(&ct, key);
	/* The handshake: the SYN's sender is the client. */
	TRACK(tcp(c, s, 40000, 80, 100, 0, 0x02, 0));
	assert_true(f.known && f.dir == 0 && !f.est);
	assert_false(TAKES(4, &pkt));
	assert_true(TAKES(6, &pkt)); /* to_server, not established */
	TRACK(tcp(s, c, 80, 40000, 500, 101, 0x12, 0));
	assert_true(f.known && f.dir == 1 && !f.est);
	assert_false(TAKES(5, &pkt));
	assert_false(TAKES(6, &pkt));
	/* The last ACK establishes it, on that very frame. */
	TRACK(tcp(c, s, 40000, 80, 101, 501, 0x10, 0));
	assert_true(f.est && f.dir == 0);
	TRACK(tcp(c, s, 40000, 80, 101, 501, 0x18, 4));
	assert_true(TAKES(4, &pkt));
	assert_false(TAKES(5, &pkt));
	assert_false(TAKES(6, &pkt));
	TRACK(tcp(s, c, 80, 40000, 501, 105, 0x18, 4));
	assert_false(TAKES(4, &pkt));
	assert_true(TAKES(5, &pkt)); /* from_server: the reply way */
	/* A segment far outside the window is of no flow: no direction. */
	TRACK(tcp(s, c, 80, 40000, 501 + (1u << 30), 105, 0x18, 4));
	assert_false(f.known);
	assert_false(TAKES(5, &pkt));
	/* A flow picked up mid-stream (an ACK first): established, its sender
	 * the client. */
	TRACK(tcp(s, c, 8080, 41000, 7000, 9000, 0x18, 4));
	assert_true(f.known && f.dir == 0 && f.est);
	assert_true(TAKES(4, &pkt));
	/* UDP: established once both ways were seen. */
	TRACK(udp(c, s, 5000, 53));
	assert_true(f.known && f.dir == 0 && !f.est);
	assert_false(TAKES(7, &pkt));
	TRACK(udp(s, c, 53, 5000));
	assert_true(f.dir == 1 && f.est);
	assert_true(TAKES(7, &pkt));
	/* No flow table (f NULL): a rule with flow never matches. */
	assert_false(ids_rule_hdr_ok(hh, &hrule[7], &pkt, true, NULL));
	/* A table full of flows nobody answered (a flood from spoofed sources,
	 * or a protocol nobody speaks): a new flow of the guest still enters,
	 * in place of one of them. */
	for (uint32_t i = 0; i < FW_CT_MAX; i++)
		(void)ids_flow_track(&ct, udp(IP(10, 1, 0, 0) + i, c, 1, 2), false, now, &f);
	TRACK(tcp(c, s, 42000, 80, 100, 0, 0x02, 0));
	assert_true(f.known && f.fresh);
	assert_int_equal(ct.full_drops, 0);
	assert_true(ct.early_drops >= 1);
	/* A table full of answered flows: the new flow is refused and counted. */
	fw_ct_init(&ct, key);
	for (uint32_t i = 0; i < FW_CT_MAX; i++) {
		(void)ids_flow_track(&ct, udp(c, IP(10, 1, 0, 0) + i, 1, 2), true, now, &f);
		(void)ids_flow_track(&ct, udp(IP(10, 1, 0, 0) + i, c, 2, 1), false, now, &f);
	}
	assert_int_equal(ids_flow_track(&ct, udp(c, IP(10, 3, 0, 0), 1, 2), true, now, &f), -1);
	assert_false(f.known);
	assert_true(ct.full_drops >= 1);
	/* A known flow still goes. */
	TRACK(udp(c, IP(10, 1, 0, 7), 1, 2));
	assert_true(f.known && f.est);
	release();
}

/*
 * The guest's ways to take its own connection out of `established` or
 * `to_server`, and the frames the ids drops: none moves the table.
 */
static void test_flow_desync(void **state)
{
	static struct fw_ct ct;
	static const uint8_t key[FW_CT_KEY_BYTES] = {4, 5, 6};
	struct ids_flow f;
	const uint32_t c = IP(10, 0, 2, 15), s = IP(10, 0, 2, 2);
	uint64_t now = 1000000000ull;
	uint32_t n0;

	(void)state;
	compile_hdr(NULL, 0);
	fw_ct_init(&ct, key);
	TRACK(tcp(c, s, 40000, 80, 100, 0, 0x02, 0));
	TRACK(tcp(s, c, 80, 40000, 500, 101, 0x12, 0));
	TRACK(tcp(c, s, 40000, 80, 101, 501, 0x10, 0));
	TRACK(tcp(c, s, 40000, 80, 101, 501, 0x18, 4));
	TRACK(tcp(s, c, 80, 40000, 501, 105, 0x10, 0));
	TRACK(tcp(c, s, 40000, 80, 105, 501, 0x18, 4));
	assert_true(f.est && TAKES(4, &pkt));
	/* A RST in the window but not where the peer expects it (the peer
	 * ignores it): the flow stays established. */
	TRACK(tcp(s, c, 80, 40000, 501, 109, 0x10, 0));
	TRACK(tcp(c, s, 40000, 80, 109 + 1000, 501, 0x04, 0));
	TRACK(tcp(c, s, 40000, 80, 109, 501, 0x18, 4));
	assert_true(f.known && f.dir == 0 && f.est);
	assert_true(TAKES(4, &pkt));
	/* The exact RST the peer never took (its checksum wrong): closed here,
	 * yet the guest's data after it is still of an established flow. */
	TRACK(tcp(s, c, 80, 40000, 501, 113, 0x10, 0));
	TRACK(tcp(c, s, 40000, 80, 113, 501, 0x04, 0));
	TRACK(tcp(c, s, 40000, 80, 113, 501, 0x18, 4));
	assert_true(f.known && f.dir == 0 && f.est);
	assert_true(TAKES(4, &pkt));
	/* A frame the ids drops moves nothing: a new flow leaves the table, a
	 * known one gets its state back. */
	n0 = fw_ct_count(&ct);
	TRACK(tcp(c, s, 40001, 80, 100, 0, 0x02, 0));
	assert_true(f.fresh);
	ids_flow_undo(&ct, &f);
	assert_int_equal(fw_ct_count(&ct), n0);
	TRACK(tcp(c, s, 40002, 81, 100, 0, 0x02, 0));
	TRACK(tcp(s, c, 81, 40002, 500, 101, 0x12, 0));
	TRACK(tcp(c, s, 40002, 81, 101, 501, 0x10, 0));
	TRACK(tcp(c, s, 40002, 81, 101, 501, 0x18, 4));
	TRACK(tcp(s, c, 81, 40002, 501, 105, 0x10, 0));
	TRACK(tcp(c, s, 40002, 81, 105, 501, 0x04, 0)); /* exact: closes */
	ids_flow_undo(&ct, &f);
	TRACK(tcp(c, s, 40002, 81, 105, 501, 0x18, 0));
	assert_true(f.known && f.est);
	assert_int_equal(ct.e[f.entry].tcp, FW_TCP_ESTABLISHED);
	/* A forged reverse SYN from the side that opened a flow, after the
	 * real one: flagged (the caller drops it), nothing moves, and the real
	 * connection goes on with the guest as its client. */
	TRACK(tcp(c, s, 41000, 81, 100, 0, 0x02, 0));
	assert_true(f.known && f.fresh && f.dir == 0);
	assert_int_equal(ids_flow_track(&ct, tcp(s, c, 81, 41000, 7, 0, 0x02, 0), true, now, &f), 0);
	assert_true(f.forged && !f.known);
	TRACK(tcp(s, c, 81, 41000, 500, 101, 0x12, 0));
	assert_true(f.known && f.dir == 1 && !f.forged);
	TRACK(tcp(c, s, 41000, 81, 101, 501, 0x10, 0));
	TRACK(tcp(c, s, 41000, 81, 101, 501, 0x18, 4));
	assert_true(f.known && f.dir == 0 && f.est);
	assert_true(TAKES(4, &pkt));
	/* Sent ahead of the real SYN, the forgery holds the flow and the real
	 * SYN is the one flagged: the connection never opens (its data would
	 * be of no flow, and the caller drops its SYN), nothing crosses unseen. */
	assert_int_equal(ids_flow_track(&ct, tcp(s, c, 83, 41002, 7, 0, 0x02, 0), true, now, &f), 0);
	assert_true(f.known && f.fresh && !f.forged);
	TRACK(tcp(c, s, 41002, 83, 100, 0, 0x02, 0));
	assert_true(f.forged && !f.known);
	/* A peer's SYN the other way, against the guest's flow: conntrack's
	 * invalid, not a forgery of the opener, and the guest's flow stays. */
	TRACK(tcp(c, s, 41004, 84, 100, 0, 0x02, 0));
	assert_int_equal(ids_flow_track(&ct, tcp(s, c, 84, 41004, 7, 0, 0x02, 0), false, now, &f), 0);
	assert_true(!f.forged && !f.known);
	TRACK(tcp(s, c, 84, 41004, 500, 101, 0x12, 0));
	assert_true(f.known && f.dir == 1);
	release();
}


/*
 * A side that spoofs the other side's addresses ahead of a connection (a
 * bare ACK, picked up mid-stream as a flow of its own, or a datagram) must
 * not make its own connection's requests the flow's reply way: there they
 * would miss every `to_server` rule and the HTTP parser (which reads the
 * opener's way only). Every real frame of the connection is flagged
 * instead, and none of them is of the flow.
 */
static void test_flow_reversal(void **state)
{
	static struct fw_ct ct;
	static const uint8_t key[FW_CT_KEY_BYTES] = {7, 8, 9};
	struct ids_flow f;
	const uint32_t c = IP(10, 0, 2, 15), s = IP(10, 0, 2, 2);
	uint64_t now = 1000000000ull;

	(void)state;
	compile_hdr(NULL, 0);
	fw_ct_init(&ct, key);
	/* The peer, as if from the guest's server port: a flow of its own. */
	assert_int_equal(ids_flow_track(&ct, tcp(c, s, 80, 41010, 5000, 6000, 0x10, 0), false,
					now, &f), 0);
	assert_true(f.known && f.fresh && !f.forged);
	/* Its own connection to that port: each frame flagged, none of a flow
	 * with the peer as the server. */
	TRACK(tcp(s, c, 41010, 80, 100, 0, 0x02, 0));
	assert_true(f.forged && !f.known);
	TRACK(tcp(c, s, 80, 41010, 500, 101, 0x12, 0));
	assert_true(f.forged && !f.known);
	TRACK(tcp(s, c, 41010, 80, 101, 501, 0x10, 0));
	assert_true(f.forged && !f.known);
	TRACK(tcp(s, c, 41010, 80, 101, 501, 0x18, 4));
	assert_true(f.forged && !f.known);
	assert_false(TAKES(5, &pkt)); /* never from_server */
	/* The same with UDP: a datagram as if from the guest's port 53. */
	assert_int_equal(ids_flow_track(&ct, udp(c, s, 53, 5000), false, now, &f), 0);
	assert_true(f.known && f.fresh);
	TRACK(udp(s, c, 5000, 53));
	assert_true(f.forged && !f.known);
	/* The guest the other way round: a forged "reply" from its own side
	 * ahead of its connection to a peer. */
	assert_int_equal(ids_flow_track(&ct, tcp(s, c, 443, 42000, 1, 1, 0x10, 0), true, now, &f),
			 0);
	TRACK(tcp(c, s, 42000, 443, 100, 0, 0x02, 0));
	assert_true(f.forged && !f.known);
	/* A real connection, each way from its own side: never flagged. */
	TRACK(tcp(s, c, 41011, 80, 100, 0, 0x02, 0));
	assert_true(f.known && f.fresh && f.dir == 0 && !f.forged);
	TRACK(tcp(c, s, 80, 41011, 500, 101, 0x12, 0));
	assert_true(f.known && f.dir == 1 && !f.forged);
	TRACK(tcp(s, c, 41011, 80, 101, 501, 0x18, 4));
	assert_true(f.known && f.dir == 0 && f.est && !f.forged);
	assert_true(TAKES(4, &pkt));
	release();
}

static const char fb_rules[] =
	/* 0: sets a, silently; 1: isset a; 2: isnotset a|b (one of them clear);
	 * 3: toggles b; 4: isset c, which no rule in-line sets: left out; 5: sets
	 * c, but is not in-line (a pcre without a content) */
	"alert tcp any any -> any any (msg:\"s\"; content:\"s\"; flowbits:set,a; "
	"flowbits:noalert; sid:1;)\n"
	"drop tcp any any -> any any (msg:\"i\"; flowbits:isset,a; content:\"i\"; sid:2;)\n"
	"alert tcp any any -> any any (msg:\"n\"; flowbits:isnotset,a|b; content:\"n\"; sid:3;)\n"
	"alert tcp any any -> any any (msg:\"t\"; flowbits:toggle,b; content:\"t\"; sid:4;)\n"
	"alert tcp any any -> any any (msg:\"c\"; flowbits:isset,c; content:\"c\"; sid:5;)\n"
	"alert tcp any any -> any any (msg:\"d\"; flowbits:set,c; pcre:\"/e/\"; sid:6;)\n";

static void test_flowbits(void **state)
{
	const struct ids_blob_hdr *h;
	const struct ids_blob_rule *r;
	struct ids_blob_fb *fb;
	uint64_t bits[IDS_FB_WORDS] = {0};
	const char *why;

	assert_int_equal(compile(fb_rules), 0);
	assert_int_equal(out.nrules, 4);
	assert_int_equal(out.not_loaded, 2);
	assert_int_equal(out.nfbs, 4);
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	h = out.blob;
	r = (const void *)((const uint8_t *)out.blob + h->rule_off);
	fb = (void *)((uint8_t *)out.blob + h->fb_off);
	assert_int_equal(r[0].flags, IDS_BLOB_NOALERT);
	assert_int_equal(r[1].flags, 0);
	assert_int_equal(fb[0].op, IDS_BLOB_FB_SET);
	assert_int_equal(fb[2].op, IDS_BLOB_FB_ISNOTSET);
	assert_int_equal(fb[2].any, 1);
	assert_int_equal(fb[2].n, 2);
	/* a and b: two bits of the layer's table, the same in every rule */
	assert_int_equal(fb[1].bit[0], fb[0].bit[0]);
	assert_int_equal(fb[3].bit[0], fb[2].bit[1]);
	assert_int_not_equal(fb[0].bit[0], fb[3].bit[0]);
	/* On one flow: isset a only once set; isnotset a|b while one is clear. */
	assert_false(ids_fb_check(&fb[1], 1, bits));
	assert_true(ids_fb_check(&fb[2], 1, bits));
	ids_fb_apply(&fb[0], 1, bits);
	assert_true(ids_fb_check(&fb[1], 1, bits));
	assert_true(ids_fb_check(&fb[2], 1, bits)); /* b still clear */
	ids_fb_apply(&fb[3], 1, bits);
	assert_false(ids_fb_check(&fb[2], 1, bits)); /* a and b set */
	ids_fb_apply(&fb[3], 1, bits);
	assert_true(ids_fb_check(&fb[2], 1, bits)); /* b toggled back */
	/* Of no flow: every bit clear, nothing kept. */
	assert_false(ids_fb_check(&fb[1], 1, NULL));
	assert_true(ids_fb_check(&fb[2], 1, NULL));
	ids_fb_apply(&fb[0], 1, NULL);
	/* The check: a bit past the table, an unknown operation. */
	fb[0].bit[0] = IDS_BLOB_FLOWBITS_MAX;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	fb[0].bit[0] = 0;
	fb[0].op = IDS_BLOB_FB_ISNOTSET + 1;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	release();
}

static const char field_rules[] =
	"alert udp any any -> any any (msg:\"d\"; dsize:4<>9; content:\"a\"; sid:1;)\n"
	"alert tcp any any -> any any (msg:\"f\"; flags:S+,12; content:\"a\"; sid:2;)\n"
	"alert tcp any any -> any any (msg:\"g\"; flags:!R; content:\"a\"; sid:3;)\n"
	"alert icmp any any -> any any (msg:\"i\"; itype:>127; icode:0; content:\"a\"; sid:4;)\n"
	"alert ip any any -> any any (msg:\"p\"; ip_proto:17; content:\"a\"; sid:5;)\n"
	"alert udp any any -> any any (msg:\"x\"; dsize:>70000; content:\"a\"; sid:6;)\n";

static void test_fields(void **state)
{
	const struct ids_blob_rule *r;
	const char *why;
	size_t n;

	assert_int_equal(compile(field_rules), 0);
	assert_int_equal(out.nrules, 5);
	assert_int_equal(out.not_loaded, 1); /* dsize past a packet's */
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	r = (const void *)((const uint8_t *)out.blob + ((const struct ids_blob_hdr *)out.blob)->rule_off);
	/* dsize 4<>9: 5 to 8 */
	assert_false(ids_rule_fields_ok(&r[0], udp(1, 2, 3, 4), true, 4));
	assert_true(ids_rule_fields_ok(&r[0], udp(1, 2, 3, 4), true, 5));
	assert_true(ids_rule_fields_ok(&r[0], udp(1, 2, 3, 4), true, 8));
	assert_false(ids_rule_fields_ok(&r[0], udp(1, 2, 3, 4), true, 9));
	/* flags S+,12: SYN set, the reserved bits ignored; !R: no RST */
	assert_true(ids_rule_fields_ok(&r[1], tcp(1, 2, 3, 4, 1, 0, 0x02, 0), true, 0));
	assert_true(ids_rule_fields_ok(&r[1], tcp(1, 2, 3, 4, 1, 0, 0xc2 | 0x10, 0), true, 0));
	assert_false(ids_rule_fields_ok(&r[1], tcp(1, 2, 3, 4, 1, 0, 0x10, 0), true, 0));
	assert_false(ids_rule_fields_ok(&r[1], tcp(1, 2, 3, 4, 1, 0, 0x02, 0), false, 0));
	assert_false(ids_rule_fields_ok(&r[1], udp(1, 2, 3, 4), true, 0));
	assert_true(ids_rule_fields_ok(&r[2], tcp(1, 2, 3, 4, 1, 0, 0x18, 0), true, 0));
	assert_false(ids_rule_fields_ok(&r[2], tcp(1, 2, 3, 4, 1, 0, 0x14, 0), true, 0));
	/* itype >127, icode 0: an ICMPv6 echo request (128), not its reply's
	 * type 129 code 1, nor an IPv4 echo (8) */
	n = ff_icmp6(frame, 0, 128, 0, 0, (const uint8_t *)"abcd", 4);
	assert_false(fw_parse(frame, n, &pkt));
	assert_true(ids_rule_fields_ok(&r[3], &pkt, true, 4));
	n = ff_icmp6(frame, 0, 129, 1, 0, (const uint8_t *)"abcd", 4);
	assert_false(fw_parse(frame, n, &pkt));
	assert_false(ids_rule_fields_ok(&r[3], &pkt, true, 4));
	n = ff_icmp(frame, 1, 2, 8, 0, 0, NULL, 0);
	assert_false(fw_parse(frame, n, &pkt));
	assert_false(ids_rule_fields_ok(&r[3], &pkt, true, 0));
	/* ip_proto:17 */
	assert_true(ids_rule_fields_ok(&r[4], udp(1, 2, 3, 4), true, 4));
	assert_false(ids_rule_fields_ok(&r[4], tcp(1, 2, 3, 4, 1, 0, 0x02, 0), true, 0));
	/* The check: an unknown comparison, an unknown flags modifier. */
	((struct ids_blob_rule *)r)[0].dsize_cmp = IDS_BLOB_NE + 1;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	((struct ids_blob_rule *)r)[0].dsize_cmp = IDS_BLOB_RANGE;
	((struct ids_blob_rule *)r)[1].tcp_mod = '?';
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	release();
}

/* ---- header-only rules ---------------------------------------------------- */

static const char hdr_only_rules[] =
	/* 0: a reputation list: IPv4 hosts, an IPv4 /24, an IPv6 host */
	"alert ip [198.51.100.7,203.0.113.0/24,fd00::1] any -> $HOME_NET any (msg:\"rep\"; "
	"threshold: type limit, track by_src, seconds 60, count 1; sid:10;)\n"
	/* 1: indexed on its destination ($EXTERNAL_NET is negations alone) */
	"alert tcp $EXTERNAL_NET any -> $HOME_NET 110 (msg:\"syn\"; flags:S,12; sid:11;)\n"
	/* 2: no positive address: on every frame */
	"alert udp any any -> any 9 (msg:\"all\"; sid:12;)\n"
	/* 3: both ways: the narrower side's entries, on both sides */
	"alert ip 192.0.2.9 any <> 10.0.0.0/8 any (msg:\"bi\"; sid:13;)\n"
	/* 4: a content: not header-only */
	"alert udp any any -> any any (msg:\"c\"; content:\"zz\"; sid:14;)\n"
	/* 5: a negation inside a positive prefix */
	"drop ip [198.18.0.0/15,!198.18.1.1] any -> any any (msg:\"neg\"; sid:15;)\n"
	/* 6: a host and a wider prefix holding it */
	"alert udp [172.16.5.5,172.16.0.0/12] any -> any any (msg:\"w\"; sid:16;)\n";

static struct ids_hix ix;

static void found_one(void *ctx, uint32_t rule)
{
	*(unsigned *)ctx |= 1u << rule;
}

/* The header-only rules the index names for p, a bit each. */
static unsigned found(const struct fw_pkt *p)
{
	unsigned m = 0;

	ids_hix_find(&ix, p, found_one, &m);
	return m;
}

static void test_hdr_only(void **state)
{
	const struct ids_blob_hdr *h;
	struct ids_blob_hix *x;
	uint32_t *all;
	const char *why;

	assert_int_equal(compile(hdr_only_rules), 0);
	assert_int_equal(out.nrules, 7);
	assert_int_equal(out.nhdr, 6);
	assert_int_equal(out.not_loaded, 0);
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	h = hh = out.blob;
	hrule = (const void *)((const uint8_t *)out.blob + h->rule_off);
	assert_int_equal(hrule[4].ncontents, 1);
	assert_int_equal(hrule[0].ncontents, 0);
	/* 0: 3 entries; 1: $HOME_NET's 3; 3: 1 each side; 5: 1; 6: 2 */
	assert_int_equal(h->nhix, 3 + 3 + 2 + 1 + 2);
	assert_int_equal(h->nhall, 1);
	assert_int_equal(ids_hix_init(&ix, h), 0);
	const unsigned all2 = 1u << 2, home1 = 1u << 1; /* every frame; to $HOME_NET */

	/* the list's hosts and prefix, not their neighbours */
	assert_int_equal(found(udp(IP(198, 51, 100, 7), IP(10, 0, 0, 1), 1, 2)), 1u << 0 | home1 | all2);
	assert_int_equal(found(udp(IP(203, 0, 113, 200), IP(10, 0, 0, 1), 1, 2)), 1u << 0 | home1 | all2);
	assert_int_equal(found(udp(IP(198, 51, 100, 8), IP(8, 8, 8, 8), 1, 2)), all2);
	assert_int_equal(found(udp(IP(203, 0, 114, 1), IP(8, 8, 8, 8), 1, 2)), all2);
	/* the every-frame rule */
	assert_int_equal(found(udp(IP(1, 1, 1, 1), IP(8, 8, 8, 8), 1, 9)), all2);
	/* the destination side: $HOME_NET */
	assert_int_equal(found(tcp(IP(8, 8, 8, 8), IP(10, 1, 2, 3), 1, 110, 1, 0, 2, 0)), home1 | all2);
	assert_true(takes(1, &pkt));
	assert_true(ids_rule_fields_ok(&hrule[1], &pkt, true, 0));
	/* both ways: 192.0.2.9 either side */
	assert_int_equal(found(udp(IP(10, 0, 0, 5), IP(192, 0, 2, 9), 1, 2)), 1u << 3 | all2);
	assert_true(takes(3, &pkt));
	assert_int_equal(found(udp(IP(192, 0, 2, 9), IP(10, 0, 0, 5), 1, 2)), 1u << 3 | home1 | all2);
	assert_true(takes(3, &pkt));
	/* a negation: named by the index, refused by the rule's list */
	assert_int_equal(found(udp(IP(198, 18, 1, 1), IP(8, 8, 8, 8), 1, 2)), 1u << 5 | all2);
	assert_false(takes(5, &pkt));
	assert_int_equal(found(udp(IP(198, 19, 255, 1), IP(8, 8, 8, 8), 1, 2)), 1u << 5 | all2);
	assert_true(takes(5, &pkt));
	/* a host inside a prefix of the same rule: named twice, counted once by
	 * the caller; a host of the prefix alone: once */
	assert_int_equal(found(udp(IP(172, 16, 5, 5), IP(8, 8, 8, 8), 1, 2)), 1u << 6 | all2);
	assert_int_equal(found(udp(IP(172, 31, 0, 1), IP(8, 8, 8, 8), 1, 2)), 1u << 6 | all2);
	/* IPv6: fd00::1 -> fd00::2 is named; $HOME_NET (IPv4) refuses it */
	size_t n = ff_icmp6(frame, 0, 128, 0, 0, (const uint8_t *)"abcd", 4);
	assert_false(fw_parse(frame, n, &pkt));
	assert_int_equal(found(&pkt), 1u << 0 | all2);
	assert_false(takes(0, &pkt));
	n = ff_icmp6(frame, 1, 129, 0, 0, (const uint8_t *)"abcd", 4);
	assert_false(fw_parse(frame, n, &pkt));
	assert_int_equal(found(&pkt), all2);

	/* Whatever the frame, every header-only rule whose header takes it is
	 * named: addresses drawn near the lists' entries and prefixes. */
	static const uint32_t pool[] = {
		IP(198, 51, 100, 7), IP(198, 51, 100, 6), IP(203, 0, 113, 0), IP(203, 0, 113, 255),
		IP(203, 0, 112, 255), IP(10, 0, 0, 1), IP(10, 255, 255, 255), IP(11, 0, 0, 0),
		IP(172, 16, 0, 0), IP(172, 31, 255, 255), IP(172, 32, 0, 0), IP(172, 16, 5, 5),
		IP(192, 168, 3, 4), IP(192, 169, 0, 0), IP(192, 0, 2, 9), IP(192, 0, 2, 8),
		IP(198, 18, 1, 1), IP(198, 18, 0, 0), IP(198, 19, 255, 255), IP(198, 20, 0, 0),
		IP(8, 8, 8, 8)};
	const unsigned np = sizeof(pool) / sizeof(pool[0]);
	srand(7);
	for (unsigned t = 0; t < 20000; t++) {
		uint32_t sa = pool[rand() % np], da = pool[rand() % np];
		uint16_t sp = (uint16_t)(rand() % 3 ? rand() : 9), dp = (uint16_t)(rand() % 3 ? 110 : 9);
		const struct fw_pkt *p = rand() % 2 ? udp(sa, da, sp, dp)
						    : tcp(sa, da, sp, dp, 1, 0, 2, 0);
		unsigned m = found(p);

		for (unsigned i = 0; i < out.nrules; i++)
			if (!hrule[i].ncontents && takes(i, p) && !(m & (1u << i)))
				fail_msg("rule %u takes %08x -> %08x but is not named", i, sa, da);
	}

	/* The check: the index out of order, a bit past a prefix, an entry
	 * naming a rule with contents, the every-frame list out of range. */
	x = (struct ids_blob_hix *)((uint8_t *)out.blob + h->hix_off);
	all = (uint32_t *)((uint8_t *)out.blob + h->hall_off);
	struct ids_blob_hix t = x[0];
	x[0] = x[1];
	x[1] = t;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	x[1] = x[0];
	x[0] = t;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	for (uint32_t i = 0; i < h->nhix; i++)
		if (x[i].af == 4 && x[i].bits == 24) {
			x[i].a[3] = 1; /* 203.0.113.1/24 */
			assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
			x[i].a[3] = 0;
		}
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	t = x[h->nhix - 1];
	x[h->nhix - 1].rule = 4;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	x[h->nhix - 1] = t;
	all[0] = out.nrules;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	all[0] = 2;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	/* Incomplete: a rule's entry gone (the last one, or one given to
	 * another header-only rule), the every-frame rule gone: each rule the
	 * layer would count must be one it can find. */
	((struct ids_blob_hdr *)h)->nhix--;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	((struct ids_blob_hdr *)h)->nhix++;
	t = x[0];
	x[0].rule = x[0].rule == 0 ? 5 : 0;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	x[0] = t;
	((struct ids_blob_hdr *)h)->nhall = 0;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	((struct ids_blob_hdr *)h)->nhall = 1;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	/* a header-only rule with an item or a pcre: refused */
	((struct ids_blob_rule *)hrule)[2].npcre = 1;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	release();

	/* A file of header-only rules alone compiles: no database. */
	assert_int_equal(compile("alert ip 192.0.2.1 any -> any any (msg:\"h\"; sid:1;)\n"), 0);
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	assert_int_equal(((const struct ids_blob_hdr *)out.blob)->dbs[IDS_BUF_PKT].size, 0);
	release();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_database),
		cmocka_unit_test(test_pcre),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_flow), cmocka_unit_test(test_flow_desync), cmocka_unit_test(test_flow_reversal),
		cmocka_unit_test(test_flowbits),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_hdr_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
