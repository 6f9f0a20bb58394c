/* SPDX-License-Identifier: MIT */
/* The ids rule parser (tools/policy/ids_rules.c) and the content matcher
 * (ids_match.c): header variables, content modifiers in both dialects,
 * refusals with their keyword, relative matches with backtracking. */
#include "unit.h"
#include <stdlib.h>

#include "ids.h"

static struct ids_ruleset rs;

static int setup(void **state)
{
	ids_ruleset_init(&rs);
	return 0;
}

static int teardown(void **state)
{
	ids_ruleset_free(&rs);
	return 0;
}

static struct ids_rule *parse(const char *t, char *why)
{
	struct ids_rule *r = NULL;
	int rc = ids_parse_rule(&rs, t, strlen(t), "t.rules", 1, &r, why, 256);
	if (rc != 0)
		return NULL;
	return r;
}

static bool match(struct ids_rule *r, unsigned buf, const char *s)
{
	return ids_match_buf(r, buf, (const uint8_t *)s, (uint32_t)strlen(s), 0);
}

static void test_header_vars(void **state)
{
	char why[256];
	struct ids_rule *r = parse("alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS "
				   "(msg:\"x\"; content:\"a\"; sid:7; rev:2;)", why);
	assert_non_null(r);
	assert_int_equal(r->sid, 7);
	assert_int_equal(r->rev, 2);
	uint8_t home[4] = { 10, 1, 2, 3 }, ext[4] = { 8, 8, 8, 8 };
	assert_true(ids_addr_match(&r->src, home, 4));
	assert_false(ids_addr_match(&r->src, ext, 4));
	assert_true(ids_addr_match(&r->dst, ext, 4));
	assert_false(ids_addr_match(&r->dst, home, 4));
	assert_true(ids_port_match(&r->dport, 80));
	assert_false(ids_port_match(&r->dport, 8080));
	ids_rule_free(r);
	/* overridden */
	assert_int_equal(ids_set_var(&rs, "HTTP_PORTS", "[80,8000:8100]"), 0);
	r = parse("alert tcp any any -> any $HTTP_PORTS (content:\"a\"; sid:8;)", why);
	assert_non_null(r);
	assert_true(ids_port_match(&r->dport, 8080));
	assert_false(ids_port_match(&r->dport, 81));
	ids_rule_free(r);
	/* a variable that names itself is refused, not followed */
	ids_set_var(&rs, "LOOP", "[$LOOP]");
	assert_null(parse("alert tcp $LOOP any -> any any (content:\"a\"; sid:9;)", why));
	assert_non_null(strstr(why, "deeper"));
}

static void test_content_modifiers(void **state)
{
	char why[256];
	struct ids_rule *r = parse("alert tcp any any -> any any (content:\"GET\"; depth:3; "
				   "content:\"|2f 61|dm\"; nocase; distance:1; within:4; sid:1;)", why);
	assert_non_null(r);
	assert_int_equal(r->nsm, 2);
	assert_memory_equal(r->sm[1].pat, "/adm", 4);
	assert_true(match(r, IB_PKT, "GET /ADMIN"));
	assert_false(match(r, IB_PKT, "GET  x/admin"));	/* outside within */
	assert_false(match(r, IB_PKT, "xGET /admin"));	/* outside depth */
	ids_rule_free(r);
	/* Snort 3: modifiers inside the content option; sticky http_uri */
	r = parse("alert tcp any any -> any any (http_uri; content:\"/x.php\",fast_pattern,nocase; "
		  "service:http; sid:2;)", why);
	assert_non_null(r);
	assert_int_equal(r->sm[0].buf, IB_URI);
	assert_true(r->sm[0].flags & CT_NOCASE);
	assert_true(match(r, IB_URI, "/a/X.PHP?q"));
	ids_rule_free(r);
	/* Suricata: the legacy modifier moves the content before it */
	r = parse("alert http any any -> any any (content:\"abc\"; http_uri; content:\"def\"; sid:3;)", why);
	assert_non_null(r);
	assert_int_equal(r->sm[0].buf, IB_URI);
	assert_int_equal(r->sm[1].buf, IB_PKT);
	ids_rule_free(r);
	/* negation, startswith, endswith */
	r = parse("alert http any any -> any any (http.host; content:\"evil\"; startswith; "
		  "content:!\".com\"; endswith; sid:4;)", why);
	assert_non_null(r);
	assert_true(match(r, IB_HOST, "evil.net"));
	assert_false(match(r, IB_HOST, "evil.com"));
	assert_false(match(r, IB_HOST, "xevil.net"));
	ids_rule_free(r);
}

static void test_pcre_and_backtracking(void **state)
{
	char why[256];
	/* the first "super" is too far from "nova": the second one matches */
	struct ids_rule *r = parse("alert tcp any any -> any any (pcre:\"/super/U\"; "
				   "uricontent:\"nova\"; within:7; sid:5;)", why);
	assert_non_null(r);
	assert_true(match(r, IB_URI, "/a_super_duper_nova_in_super_nova"));
	assert_false(match(r, IB_URI, "/a_super_duper_nova"));
	ids_rule_free(r);
	r = parse("alert tcp any any -> any any (content:\"ab\"; content:\"cd\"; distance:0; within:2; sid:6;)",
		  why);
	assert_non_null(r);
	assert_true(match(r, IB_PKT, "ab ab abcd"));
	ids_rule_free(r);
	r = parse("alert tcp any any -> any any (content:\"x\"; pcre:!\"/^\\d+$/R\"; sid:7;)", why);
	assert_non_null(r);
	assert_true(match(r, IB_PKT, "x12a"));
	assert_false(match(r, IB_PKT, "x123"));
	ids_rule_free(r);
	r = parse("alert tcp any any -> any any (content:\"|00 02|\"; byte_test:2,>,256,0,relative; sid:8;)",
		  why);
	assert_non_null(r);
	assert_true(ids_match_buf(r, IB_PKT, (const uint8_t *)"\x00\x02\x01\x01", 4, 0));
	assert_false(ids_match_buf(r, IB_PKT, (const uint8_t *)"\x00\x02\x00\x10", 4, 0));
	ids_rule_free(r);
}

static void test_refusals(void **state)
{
	char why[256];
	assert_null(parse("alert tcp any any -> any any (content:\"a\"; tls.cert_subject; content:\"b\"; sid:1;)",
			  why));
	assert_non_null(strstr(why, "tls.cert_subject"));
	assert_null(parse("alert smb any any -> any any (content:\"a\"; sid:2;)", why));
	assert_non_null(strstr(why, "protocol"));
	assert_null(parse("alert tcp any any -> any any (pcre:\"/(unclosed/\"; sid:3;)", why));
	assert_non_null(strstr(why, "pcre"));
	assert_null(parse("alert tcp any any -> any any (content:\"|4|\"; sid:4;)", why));
	assert_null(parse("alert tcp any any -> any any (content:\"a\";)", why));
	assert_non_null(strstr(why, "sid"));
	/* loading goes on past a refusal, and counts it */
	const char *text = "# comment\n"
			   "alert tcp any any -> any any (content:\"a\"; sid:10;)\n"
			   "alert tcp any any -> any any (bogus_kw; sid:11;)\n"
			   "alert tcp any any -> any any (content:\"b\"; \\\n  sid:12;)\n";
	ids_load_text(&rs, text, strlen(text), "t.rules");
	assert_int_equal(rs.enabled, 3);
	assert_int_equal(rs.loaded, 2);
	assert_int_equal(rs.failed, 1);
	assert_int_equal(rs.rules[1]->sid, 12);
}

static void test_flow_threshold_flowbits(void **state)
{
	char why[256];
	struct ids_rule *r = parse("alert tcp any any -> any any (flow:established,to_server; "
				   "flowbits:isset,a.b; flowbits:set,c; threshold:type limit, track by_src, "
				   "count 1, seconds 60; dsize:>10; sid:1;)", why);
	assert_non_null(r);
	assert_int_equal(r->flow, FL_ESTABLISHED | FL_TO_SERVER);
	assert_int_equal(r->nfb, 2);
	assert_int_equal(r->thr_type, THR_LIMIT);
	assert_int_equal(r->thr_count, 1);
	assert_true(r->has_dsize);
	ids_rule_free(r);
	assert_null(parse("alert tcp any any -> any any (flow:sideways; sid:2;)", why));
	assert_non_null(strstr(why, "flow"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_header_vars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_content_modifiers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcre_and_backtracking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flow_threshold_flowbits, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
