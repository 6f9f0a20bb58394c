/* SPDX-License-Identifier: MIT */
/* DNS and TLS in-line: the layer's DNS query name and TLS server name
 * parsers (src/ids/app.c) on normal and hostile messages, which DNS and
 * TLS rules the in-line compiler loads (tools/policy/ids_blob.c), their
 * buffers in the blob and its check (src/ids/blob.c), and their databases
 * scanned by Hyperscan on the host over the parsers' names. */
#include "unit.h"
#include <hs/hs.h>
#include <stdlib.h>

#include "ids.h"
#include "ids/app.h"
#include "ids/blob.h"
#include "ids/flow.h"
#include "ids_blob.h"
#include "ids_unit.h"

/* ---- DNS --------------------------------------------------------------------- */

static struct ids_dns *q;

static int setup(void **state)
{
	(void)state;
	/* exactly its size: ASan sees a write past it */
	q = malloc(sizeof(*q));
	return q ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(q);
	return 0;
}

/* A query (id 0x1234, RD) for the names in qn ("\3www\7example\3com" form,
 * the last without its zero label), qd questions; the zero label, type A
 * and class IN after them. */
static uint32_t query(uint8_t *m, uint16_t qd, const char *qn, size_t qnlen)
{
	static const uint8_t hdr[12] = {0x12, 0x34, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};

	memcpy(m, hdr, 12);
	m[4] = (uint8_t)(qd >> 8);
	m[5] = (uint8_t)qd;
	memcpy(m + 12, qn, qnlen);
	memcpy(m + 12 + qnlen, "\0\0\1\0\1", 5);
	return (uint32_t)(12 + qnlen + 5);
}

/* Exactly n bytes of d in a heap block of their size (ASan: no read past). */
static uint8_t *exact(const uint8_t *d, uint32_t n)
{
	uint8_t *b = malloc(n ? n : 1);

	assert_non_null(b);
	memcpy(b, d, n);
	return b;
}

static bool dns(const uint8_t *d, uint32_t n)
{
	uint8_t *b = exact(d, n);
	bool ok = ids_dns_parse(b, n, q);

	free(b);
	return ok;
}

static void name_is(uint32_t k, const char *want)
{
	assert_true(k < q->n);
	assert_int_equal(q->len[k], strlen(want));
	assert_memory_equal(q->name[k] + 1, want, strlen(want));
	assert_int_equal(q->name[k][0], '.');
}

static void test_dns(void **state)
{
	uint8_t m[600];
	uint32_t n;

	(void)state;
	n = query(m, 1, "\3www\7example\3com", 17);
	assert_true(dns(m, n));
	assert_int_equal(q->n, 1);
	name_is(0, "www.example.com");
	/* two questions */
	n = query(m, 2, "\1a\0\0\1\0\1\1b\2cd", 13);
	assert_true(dns(m, n));
	assert_int_equal(q->n, 2);
	name_is(0, "a");
	name_is(1, "b.cd");
	/* a response (QR set): no names */
	n = query(m, 1, "\3www\7example\3com", 17);
	m[2] |= 0x80;
	assert_false(dns(m, n));
	/* the root name: empty */
	n = query(m, 1, "", 0);
	assert_true(dns(m, n));
	name_is(0, "");
	/* no question */
	n = query(m, 0, "\1a", 2);
	assert_true(dns(m, n));
	assert_int_equal(q->n, 0);
}

static void test_dns_hostile(void **state)
{
	uint8_t m[70000];
	uint32_t n;

	(void)state;
	/* short: every length below the header */
	for (uint32_t k = 0; k < 12; k++) {
		n = query(m, 1, "\1a", 2);
		assert_false(dns(m, k));
	}
	/* a compression pointer in the question (to itself: a loop) */
	n = query(m, 1, "\xc0\x0c", 2);
	assert_false(dns(m, n));
	assert_int_equal(q->n, 0);
	/* a reserved label type */
	n = query(m, 1, "\x41\1a", 3);
	assert_false(dns(m, n));
	/* a label past the end, cut at every length */
	n = query(m, 1, "\3www\7example\3com", 17);
	for (uint32_t k = 12; k < n; k++) {
		bool ok = dns(m, k);

		/* the last label cut: refused; cut after a whole label: the
		 * labels present, as the offline engine takes them */
		if (ok)
			assert_true(q->len[0] <= 15);
	}
	assert_false(dns(m, 14)); /* "\3w": the label's bytes are not there */
	/* a name of 255 bytes passes, one of 257 does not */
	{
		char qn[300];
		size_t at = 0;

		for (int i = 0; i < 4; i++) { /* 4 * 64 - 1 = 255 */
			qn[at++] = 63;
			memset(qn + at, 'a' + i, 63);
			at += 63;
		}
		n = query(m, 1, qn, at);
		assert_true(dns(m, n));
		assert_int_equal(q->len[0], 255);
		qn[at++] = 1;
		qn[at++] = 'z';
		n = query(m, 1, qn, at);
		assert_false(dns(m, n));
	}
	/* 65,535 questions claimed, a 64 KiB message of one-byte names: at
	 * most IDS_DNS_QUESTIONS_MAX looked at */
	memset(m, 0, sizeof(m));
	m[4] = m[5] = 0xff;
	for (uint32_t at = 12; at + 7 <= 65000; at += 7) {
		m[at] = 1;
		m[at + 1] = 'x';
	}
	assert_true(dns(m, 65000));
	assert_int_equal(q->n, IDS_DNS_QUESTIONS_MAX);
	name_is(IDS_DNS_QUESTIONS_MAX - 1, "x");
	/* questions past the bytes present: the first that starts at the end
	 * is an empty name, the last */
	n = query(m, 3, "\1a", 2);
	assert_true(dns(m, n));
	assert_int_equal(q->n, 2);
	name_is(0, "a");
	name_is(1, "");
	/* random bytes: never out of bounds (ASan), names within bounds */
	srand(7);
	for (int t = 0; t < 20000; t++) {
		uint32_t len = (uint32_t)(rand() % 200);

		for (uint32_t i = 0; i < len; i++)
			m[i] = (uint8_t)(rand() % 4 ? rand() % 8 : rand());
		if (len > 2)
			m[2] &= 0x7f;
		if (dns(m, len))
			for (uint32_t k = 0; k < q->n; k++)
				assert_true(q->len[k] <= IDS_DNS_NAME_MAX);
	}
}

/* ---- TLS ----------------------------------------------------------------- */

/* A ClientHello for name (NULL: no server_name), with sid_len bytes of
 * session id, into m; its length. */
static uint32_t hello(uint8_t *m, const char *name, uint8_t sid_len)
{
	uint32_t p = 9, ext, hs;

	m[0] = 0x16, m[1] = 3, m[2] = 1;
	m[5] = 1;
	m[p++] = 3, m[p++] = 3;
	memset(m + p, 0xaa, 32);
	p += 32;
	m[p++] = sid_len;
	memset(m + p, 0xbb, sid_len);
	p += sid_len;
	m[p++] = 0, m[p++] = 4; /* two cipher suites */
	m[p++] = 0x13, m[p++] = 1, m[p++] = 0xc0, m[p++] = 0x2f;
	m[p++] = 1, m[p++] = 0; /* compression: null */
	ext = p;
	p += 2;
	/* a supported_versions extension first */
	m[p++] = 0, m[p++] = 43, m[p++] = 0, m[p++] = 3, m[p++] = 2, m[p++] = 3, m[p++] = 4;
	if (name) {
		uint32_t nl = (uint32_t)strlen(name);

		m[p++] = 0, m[p++] = 0; /* server_name */
		m[p++] = (uint8_t)((nl + 5) >> 8), m[p++] = (uint8_t)(nl + 5);
		m[p++] = (uint8_t)((nl + 3) >> 8), m[p++] = (uint8_t)(nl + 3);
		m[p++] = 0; /* host_name */
		m[p++] = (uint8_t)(nl >> 8), m[p++] = (uint8_t)nl;
		memcpy(m + p, name, nl);
		p += nl;
	}
	m[ext] = (uint8_t)((p - ext - 2) >> 8), m[ext + 1] = (uint8_t)(p - ext - 2);
	hs = p - 9;
	m[6] = (uint8_t)(hs >> 16), m[7] = (uint8_t)(hs >> 8), m[8] = (uint8_t)hs;
	m[3] = (uint8_t)((hs + 4) >> 8), m[4] = (uint8_t)(hs + 4);
	return p;
}

static bool sni(const uint8_t *d, uint32_t n, char *got)
{
	uint8_t *b = exact(d, n);
	const uint8_t *s;
	uint32_t l;
	bool ok = ids_tls_sni(b, n, &s, &l);

	if (ok) {
		assert_true(s >= b && l <= n && (uint32_t)(s - b) <= n - l);
		memcpy(got, s, l);
		got[l] = 0;
	}
	free(b);
	return ok;
}

static void test_tls(void **state)
{
	uint8_t m[70000];
	char got[70000];
	uint32_t n;

	(void)state;
	n = hello(m, "evil.example.net", 32);
	assert_true(ids_tls_start(m, n));
	assert_true(sni(m, n, got));
	assert_string_equal(got, "evil.example.net");
	/* no server_name */
	n = hello(m, NULL, 0);
	assert_false(sni(m, n, got));
	/* not a handshake record; not a ClientHello (ServerHello 2) */
	n = hello(m, "a.b", 0);
	m[0] = 0x17;
	assert_false(sni(m, n, got));
	assert_false(ids_tls_start(m, n));
	n = hello(m, "a.b", 0);
	m[5] = 2;
	assert_false(sni(m, n, got));
	/* cut at every length: the name only when it is all there */
	n = hello(m, "evil.example.net", 32);
	for (uint32_t k = 0; k < n; k++)
		assert_false(sni(m, k, got));
	/* the handshake's length shorter than the bytes: what follows it is
	 * not the ClientHello's */
	m[8] -= 4;
	assert_false(sni(m, n, got));
	/* lengths claiming more than is there: session id, cipher suites,
	 * extensions, server_name, the name */
	n = hello(m, "a.b", 0);
	m[9 + 34] = 0xff;
	assert_false(sni(m, n, got));
	n = hello(m, "a.b", 0);
	m[9 + 35] = 0xff;
	assert_false(sni(m, n, got));
	n = hello(m, "a.b", 0);
	m[n - 3 - 2 - 1 - 2 - 2] = 0xff; /* the extension's length */
	assert_false(sni(m, n, got));
	n = hello(m, "a.b", 0);
	m[n - 3 - 2] = 0xff; /* the name's length */
	assert_false(sni(m, n, got));
	/* the extensions' total claiming more than the bytes: cut to them,
	 * the name still there */
	n = hello(m, "a.b", 0);
	m[9 + 35 + 2 + 4 + 2] = 0xff;
	assert_true(sni(m, n, got));
	assert_string_equal(got, "a.b");
	/* random bytes after a ClientHello's headers: never out of bounds */
	srand(11);
	for (int t = 0; t < 20000; t++) {
		uint32_t len = 9 + (uint32_t)(rand() % 120);

		n = hello(m, "x.y", (uint8_t)(rand() % 4));
		for (uint32_t i = 9 + (uint32_t)(rand() % 60); i < len; i++)
			m[i] = (uint8_t)(rand() % 3 ? rand() % 8 : rand());
		(void)sni(m, len < n ? len : n, got);
	}
	/* a 64 KiB segment of empty extensions: linear, bounded */
	n = hello(m, NULL, 0);
	memset(m + n, 0, 65535 - n);
	m[6] = 0, m[7] = 0xff, m[8] = 0xf6;
	assert_false(sni(m, 65535, got));
}

/* ---- the compiler and the blob ------------------------------------------- */


static const char rules[] =
	/* 0: alert dns, dns.query, endswith (walked) */
	"alert dns $HOME_NET any -> any any (msg:\"q\"; dns.query; content:\"evil.test\"; "
	"nocase; endswith; sid:1;)\n"
	/* 1: dotprefix */
	"alert dns any any -> any any (msg:\"d\"; dns.query; dotprefix; content:\".bad.test\"; "
	"endswith; sid:2;)\n"
	/* 2: alert tls, tls.sni, flow */
	"alert tls any any -> any any (msg:\"s\"; flow:established,to_server; tls.sni; "
	"content:\"evil.example.net\"; bsize:16; sid:3;)\n"
	"alert tls any any -> any any (msg:\"s2\"; flow:established,to_server; tls.sni; "
	"content:\"evil.example.net\"; sid:4;)\n"
	/* 4: tls_sni legacy, tcp header, a pcre */
	"alert tcp any any -> any 443 (msg:\"p\"; tls_sni; content:\"cdn\"; pcre:\"/^cdn\\d+\\./\"; "
	"sid:5;)\n"
	/* left out: packet contents only, to_client, a protocol that never
	 * matches, dsize, both buffers */
	"alert dns any any -> any any (msg:\"x\"; content:\"|01 00|\"; sid:6;)\n"
	"alert dns any any -> any any (msg:\"x\"; flow:to_client; dns.query; content:\"a\"; "
	"sid:7;)\n"
	"alert tcp any any -> any any (msg:\"x\"; dns.query; content:\"a\"; sid:8;)\n"
	"alert udp any any -> any any (msg:\"x\"; dsize:>10; dns.query; content:\"a\"; sid:9;)\n"
	"alert dns any any -> any any (msg:\"x\"; dns.query; content:\"a\"; tls.sni; "
	"content:\"b\"; sid:10;)\n"
	"alert tls any any -> any any (msg:\"x\"; http.uri; content:\"b\"; tls.sni; "
	"content:\"a\"; sid:11;)\n"
	/* left out: bsize on the payload, on a dotprefix buffer, twice */
	"alert udp any any -> any any (msg:\"x\"; content:\"a\"; bsize:3; sid:12;)\n"
	"alert dns any any -> any any (msg:\"x\"; dns.query; dotprefix; content:\".a\"; "
	"bsize:3; sid:13;)\n"
	"alert dns any any -> any any (msg:\"x\"; dns.query; content:\"a\"; bsize:>3; "
	"bsize:<9; sid:14;)\n";

static void test_load(void **state)
{
	const struct ids_blob_hdr *hd;
	const struct ids_blob_rule *r;
	const struct ids_blob_pattern *p;
	const struct ids_blob_pcre *x;
	const char *why;

	(void)state;
	assert_int_equal(compile(rules), 0);
	assert_int_equal(out.nrules, 5);
	assert_int_equal(out.ndns, 2);
	assert_int_equal(out.ntls, 3);
	assert_int_equal(out.not_loaded, 9);
	hd = out.blob;
	assert_int_equal(hd->version, IDS_BLOB_VERSION);
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	r = AT(const struct ids_blob_rule, hd->rule_off);
	p = AT(const struct ids_blob_pattern, hd->pattern_off);
	x = AT(const struct ids_blob_pcre, hd->pcre_off);
	assert_int_equal(r[0].sid, 1);
	assert_true(r[0].flags & IDS_BLOB_DNS);
	assert_int_equal(r[0].proto, IDS_BLOB_UDP);
	assert_int_equal(r[0].nitems, 1); /* endswith: walked */
	assert_int_equal(p[0].buf, IDS_BUF_DNS_QUERY);
	assert_int_equal(r[1].sid, 2);
	assert_int_equal(p[1].buf, IDS_BUF_DNS_QUERY_DOT);
	assert_false(r[0].fields & IDS_BLOB_F_BSIZE);
	/* bsize:16 on the server name */
	assert_int_equal(r[2].sid, 3);
	assert_true(r[2].fields & IDS_BLOB_F_BSIZE);
	assert_int_equal(r[2].bsize_buf, IDS_BUF_TLS_SNI);
	assert_int_equal(r[2].bsize_cmp, IDS_BLOB_EQ);
	assert_int_equal(r[2].bsize_a, 16);
	assert_int_equal(r[2].ncontents, 1);
	assert_int_equal(r[3].sid, 4);
	assert_true(r[3].flags & IDS_BLOB_TLS);
	assert_int_equal(r[3].proto, IDS_BLOB_TCP);
	assert_int_equal(p[3].buf, IDS_BUF_TLS_SNI);
	assert_int_equal(r[4].sid, 5);
	assert_int_equal(r[4].npcre, 1);
	assert_int_equal(x[0].buf, IDS_BUF_TLS_SNI);
	assert_true(hd->dbs[IDS_BUF_DNS_QUERY].size && hd->dbs[IDS_BUF_DNS_QUERY_DOT].size &&
		    hd->dbs[IDS_BUF_TLS_SNI].size && !hd->dbs[IDS_BUF_TLS_SNI_DOT].size &&
		    !hd->dbs[IDS_BUF_PKT].size);
}

/* A copy of the blob with f applied (8-byte aligned): whether the check
 * takes it. */
static bool check_with(void (*f)(uint8_t *b))
{
	uint8_t *b = aligned_alloc(8, (out.len + 7) & ~(size_t)7);
	const char *why;
	bool ok;

	assert_non_null(b);
	memcpy(b, out.blob, out.len);
	f(b);
	ok = ids_blob_check(b, out.len, &why) == 0;
	free(b);
	return ok;
}

static struct ids_blob_rule *rule0(uint8_t *b)
{
	return (struct ids_blob_rule *)(b + ((struct ids_blob_hdr *)b)->rule_off);
}

static void dns_as_tcp(uint8_t *b) { rule0(b)->proto = IDS_BLOB_TCP; }
static void dns_and_tls(uint8_t *b) { rule0(b)->flags |= IDS_BLOB_TLS; }
static void dns_as_http(uint8_t *b) { rule0(b)->flags = IDS_BLOB_HTTP; }
static void dns_as_pkt(uint8_t *b) { rule0(b)->flags = 0; }
static void tls_pattern_in_dns(uint8_t *b)
{
	struct ids_blob_hdr *h = (struct ids_blob_hdr *)b;

	((struct ids_blob_pattern *)(b + h->pattern_off))[2].buf = IDS_BUF_DNS_QUERY;
}
static void nothing(uint8_t *b) { (void)b; }
static struct ids_blob_rule *rule2(uint8_t *b) { return rule0(b) + 2; }
static void bsize_on_pkt(uint8_t *b) { rule2(b)->bsize_buf = IDS_BUF_PKT; }
static void bsize_on_dot(uint8_t *b) { rule2(b)->bsize_buf = IDS_BUF_TLS_SNI_DOT; }
static void bsize_past_bufs(uint8_t *b) { rule2(b)->bsize_buf = IDS_BLOB_BUFS; }
static void bsize_bitwise(uint8_t *b) { rule2(b)->bsize_cmp = IDS_BLOB_AND; }

static void test_check(void **state)
{
	(void)state;
	assert_int_equal(compile(rules), 0);
	assert_true(check_with(nothing));
	assert_false(check_with(dns_as_tcp));
	assert_false(check_with(dns_and_tls));
	assert_false(check_with(dns_as_http));
	assert_false(check_with(dns_as_pkt));
	assert_false(check_with(tls_pattern_in_dns));
	assert_false(check_with(bsize_on_pkt));
	assert_false(check_with(bsize_on_dot));
	assert_false(check_with(bsize_past_bufs));
	assert_false(check_with(bsize_bitwise));
}

/* A rule's bsize as the layer applies it: the buffer's length as the
 * offline engine compares it, an absent buffer never matching. */
static void test_bsize(void **state)
{
	const struct ids_blob_hdr *hd;
	const struct ids_blob_rule *r;
	const uint8_t name[] = "evil.example.net.x";

	(void)state;
	assert_int_equal(compile(rules), 0);
	hd = out.blob;
	r = AT(const struct ids_blob_rule, hd->rule_off);
	assert_true(ids_rule_bsize_ok(&r[2], name, 16));
	assert_false(ids_rule_bsize_ok(&r[2], name, 18));
	assert_false(ids_rule_bsize_ok(&r[2], name, 15));
	assert_false(ids_rule_bsize_ok(&r[2], NULL, 16));
	assert_true(ids_rule_bsize_ok(&r[3], name, 18)); /* none: any length */
	assert_true(ids_rule_bsize_ok(&r[3], NULL, 0));
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
		    unsigned flags, void *ctx)
{
	(void)from, (void)to, (void)flags;
	*(uint64_t *)ctx |= 1ull << id;
	return 0;
}

/* The patterns buffer b's database reports over d[0 .. n). */
static uint64_t scan(unsigned b, const uint8_t *d, uint32_t n)
{
	const struct ids_blob_hdr *hd = out.blob;
	hs_database_t *db = NULL;
	hs_scratch_t *sc = NULL;
	uint64_t hits = 0;

	assert_int_equal(hs_deserialize_database((const char *)out.blob + hd->dbs[b].off,
						 hd->dbs[b].size, &db), HS_SUCCESS);
	assert_int_equal(hs_alloc_scratch(db, &sc), HS_SUCCESS);
	assert_int_equal(hs_scan(db, (const char *)d, n, 0, sc, on_match, &hits), HS_SUCCESS);
	hs_free_scratch(sc);
	hs_free_database(db);
	return hits;
}

static void test_scan(void **state)
{
	uint8_t m[600];
	const uint8_t *s;
	uint32_t n, l;

	(void)state;
	assert_int_equal(compile(rules), 0);
	n = query(m, 1, "\3www\4EVIL\4test", 15);
	assert_true(ids_dns_parse(m, n, q));
	assert_int_equal(scan(IDS_BUF_DNS_QUERY, q->name[0] + 1, q->len[0]), 1u << 0);
	/* the dotted name: ".bad.test" in "bad.test" only with its '.' */
	n = query(m, 1, "\3bad\4test", 10);
	assert_true(ids_dns_parse(m, n, q));
	assert_int_equal(scan(IDS_BUF_DNS_QUERY, q->name[0] + 1, q->len[0]), 0);
	assert_int_equal(scan(IDS_BUF_DNS_QUERY_DOT, q->name[0], q->len[0] + 1), 1u << 1);
	n = hello(m, "evil.example.net", 0);
	assert_true(ids_tls_sni(m, n, &s, &l));
	assert_int_equal(scan(IDS_BUF_TLS_SNI, s, l), 1u << 2 | 1u << 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns),
		cmocka_unit_test(test_dns_hostile),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_bsize),
		cmocka_unit_test(test_scan),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);

	release();
	return rc;
}
