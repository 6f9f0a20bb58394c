/* SPDX-License-Identifier: MIT */
/* The ids layer's blob (tools/policy/ids_blob.c, src/ids/blob.c): which
 * rules load in-line, the checked layout, and the database scanned by
 * Hyperscan on the host with the same pattern ids the layer sees
 * (offset and depth as Hyperscan's end offsets, nocase, every content);
 * the pcres' table, and their serialized codes decoded and matched by the
 * layer's own PCRE2 glue (src/ids/pcrert.c, built here for the host). */
#include "unit.h"
#include <hs/hs.h>
#include <stdlib.h>

#include "ids/blob.h"
#include "ids/pcrert.h"
#include "ids_blob.h"

static const char rules[] =
	"alert tcp any any -> any 80 (msg:\"a\"; content:\"Hello\"; nocase; sid:1; rev:2;)\n"
	"drop udp any any -> any [53,!5353] (msg:\"b\"; content:\"ab\"; content:\"cd\"; sid:2;)\n"
	"drop ip any any -> any any (msg:\"c\"; content:\"XY\"; offset:2; depth:3; sid:3;)\n"
	"alert tcp any any -> any any (msg:\"d\"; pcre:\"/x/\"; sid:4;)\n"
	"alert tcp any any -> any any (msg:\"e\"; flow:established; content:\"q\"; sid:5;)\n"
	"alert tcp $HOME_NET any -> any any (msg:\"f\"; content:\"q\"; sid:6;)\n";

static struct ids_blob_out out;

static int compile(const char *text)
{
	FILE *devnull = fopen("/dev/null", "w");
	int rc = ids_blob_compile(text, strlen(text), "t.rules", devnull, &out);

	fclose(devnull);
	return rc;
}

static void test_layout(void **state)
{
	const struct ids_blob_hdr *h;
	const struct ids_blob_rule *r;
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
	assert_int_equal(r[0].ndport, 1);
	assert_int_equal(r[0].dport[0].lo, 80);
	assert_int_equal(r[1].action, IDS_BLOB_DROP);
	assert_int_equal(r[1].ncontents, 2);
	assert_int_equal(r[1].ndport, 2);
	assert_int_equal(r[1].dport[1].neg, 1);
	assert_string_equal(r[2].msg, "c");
	/* A pattern that names another rule than its place says: refused. */
	((struct ids_blob_pattern *)((uint8_t *)out.blob + h->pattern_off))[0].rule = 1;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	assert_int_equal(ids_blob_check(out.blob, out.len - 8, &why), -1);
	free(out.blob);
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
	assert_int_equal(hs_deserialize_database((const char *)out.blob + h->db_off, h->db_size,
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
	free(out.blob);
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
	assert_int_equal(out.nrules, 3);
	assert_int_equal(out.npcre, 3);
	assert_int_equal(out.not_loaded, 2); /* a buffer flag; R after a pcre */
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	h = out.blob;
	r = (const void *)((const uint8_t *)out.blob + h->rule_off);
	x = (void *)((uint8_t *)out.blob + h->pcre_off);
	assert_int_equal(r[0].ncontents, 1);
	assert_int_equal(r[0].npcre, 2);
	assert_int_equal(r[1].npcre, 0);
	assert_int_equal(r[2].ncontents, 2);
	assert_int_equal(r[2].npcre, 1);
	/* sid 1: relative to its content (pattern 0), then negated */
	assert_int_equal(x[0].rule, 0);
	assert_int_equal(x[0].after, 0);
	assert_int_equal(x[0].flags, IDS_BLOB_PCRE_RELATIVE);
	assert_int_equal(x[1].after, IDS_BLOB_NONE);
	assert_int_equal(x[1].flags, IDS_BLOB_PCRE_NEGATED);
	assert_int_equal(x[2].rule, 2);
	/* The check: a relative pcre after another rule's content, a pcre
	 * naming another rule, an unknown flag: refused. */
	x[0].after = 1;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	x[0].after = 0;
	x[1].rule = 1;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	x[1].rule = 0;
	x[1].flags |= 4;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);
	x[1].flags &= 3;
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	/* The layer's decoding and matching (flags i, s, ^ and negation as
	 * compiled). A length cut short is refused before PCRE2 reads it. */
	assert_non_null(pcrert_load((const uint8_t *)out.blob + h->pcre_code_off,
				    h->pcre_code_size - 8, 3));
	assert_null(pcrert_load((const uint8_t *)out.blob + h->pcre_code_off, h->pcre_code_size,
				3));
	assert_int_equal(pcrert_match(0, (const uint8_t *)"/AAdmin", 7), 1);
	assert_int_equal(pcrert_match(0, (const uint8_t *)"x/admin", 7), 0); /* ^ */
	assert_int_equal(pcrert_match(1, (const uint8_t *)"etc/passwd", 10), 1);
	assert_int_equal(pcrert_match(2, (const uint8_t *)"b\nc", 3), 1);
	assert_int_equal(pcrert_match(2, (const uint8_t *)"bc", 2), 0);
	assert_int_equal(pcrert_match(3, (const uint8_t *)"b", 1), -1); /* no such code */
	free(out.blob);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_database),
		cmocka_unit_test(test_pcre),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
