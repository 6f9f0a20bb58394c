/* SPDX-License-Identifier: MIT */
/* Relative and negated contents, isdataat, byte_test, byte_jump and
 * thresholds in-line: which rules load
 * (tools/policy/ids_blob.c), the blob's items and their check
 * (src/ids/blob.c), the layer's walk (src/ids/walk.c) against the offline
 * engine's (tools/policy/ids_match.c: the same answer on every payload,
 * the same step limit), and the layer's threshold table (src/ids/thr.c). */
#include "unit.h"
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>

#include "ids.h"
#include "ids/blob.h"
#include "ids/thr.h"
#include "ids/walk.h"
#include "ids_blob.h"
#include "ids_unit.h"


static const char load_rules[] =
	/* 0: distance/within, the fast pattern the longest ("BBBB") */
	"alert udp any any -> any any (msg:\"a\"; content:\"A\"; content:\"BBBB\"; distance:1; "
	"within:8; sid:1;)\n"
	/* 1: a negated content; its pcre R after the positive one, walked */
	"drop udp any any -> any any (msg:\"b\"; content:\"GET\"; pcre:\"/^ \\//R\"; "
	"content:!\"admin\"; sid:2;)\n"
	/* 2: absolute only, with a threshold: not walked */
	"alert udp any any -> any any (msg:\"c\"; content:\"X\"; offset:1; threshold:type limit, "
	"track by_dst, count 3, seconds 60; sid:3;)\n"
	/* 3: fast_pattern marked on the shorter content */
	"alert udp any any -> any any (msg:\"d\"; content:\"long one\"; content:\"ab\"; "
	"fast_pattern; distance:0; sid:4;)\n"
	/* not in-line: negated only */
	"alert udp any any -> any any (msg:\"e\"; content:!\"x\"; sid:5;)\n"
	/* 4: a content relative to a pcre: the pcre an item of the walk */
	"alert udp any any -> any any (msg:\"f\"; content:\"q\"; pcre:\"/r/\"; content:\"s\"; "
	"distance:0; sid:6;)\n"
	/* 5: R after a negated content */
	"alert udp any any -> any any (msg:\"g\"; content:\"q\"; content:!\"r\"; pcre:\"/s/R\"; "
	"sid:7;)\n";

/* The check refuses the blob with field set to bad, and takes it back after. */
#define REFUSED(field, bad)                                                         \
	do {                                                                        \
		__typeof__(field) keep_ = (field);                                  \
		(field) = (bad);                                                    \
		assert_int_equal(ids_blob_check(out.blob, out.len, &why), -1);     \
		(field) = keep_;                                                    \
		assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);       \
	} while (0)

static void test_load(void **state)
{
	const struct ids_blob_hdr *h;
	struct ids_blob_rule *r;
	struct ids_blob_item *it;
	struct ids_blob_pcre *x;
	const char *why;

	assert_int_equal(compile(load_rules), 0);
	assert_int_equal(out.nrules, 6);
	assert_int_equal(out.not_loaded, 1);
	assert_int_equal(out.nitems, 2 + 3 + 2 + 3 + 3);
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	h = out.blob;
	r = AT(struct ids_blob_rule, h->rule_off);
	it = AT(struct ids_blob_item, h->item_off);
	x = AT(struct ids_blob_pcre, h->pcre_off);
	/* each walked rule has one pattern, its fast pattern */
	assert_int_equal(r[0].nitems, 2);
	assert_int_equal(r[0].ncontents, 1);
	assert_int_equal(it[0].pat, IDS_BLOB_NONE);
	assert_int_equal(it[1].pat, 0);
	assert_int_equal(it[1].flags, IDS_BLOB_I_DISTANCE | IDS_BLOB_I_WITHIN | IDS_BLOB_I_RELATIVE);
	assert_int_equal(it[1].distance, 1);
	assert_int_equal(it[1].within, 8);
	assert_memory_equal(AT(uint8_t, h->bytes_off + it[1].at), "BBBB", 4);
	assert_int_equal(r[1].nitems, 3);
	assert_int_equal(it[2].pat, 1);
	assert_int_equal(it[3].flags, IDS_BLOB_I_PCRE | IDS_BLOB_I_RELATIVE);
	assert_int_equal(it[3].pat, 0); /* pcres[0] */
	assert_int_equal(it[4].flags, IDS_BLOB_I_NEGATED);
	assert_int_equal(it[4].pat, IDS_BLOB_NONE);
	assert_int_equal(x[0].flags, IDS_BLOB_PCRE_WALKED); /* matched in the walk */
	assert_int_equal(x[0].after, IDS_BLOB_NONE);
	assert_int_equal(r[2].nitems, 0);
	assert_int_equal(r[2].thr_type, IDS_BLOB_THR_LIMIT);
	assert_int_equal(r[2].thr_by_dst, 1);
	assert_int_equal(r[2].thr_count, 3);
	assert_int_equal(r[2].thr_seconds, 60);
	assert_int_equal(it[5].pat, IDS_BLOB_NONE);
	assert_int_equal(it[6].pat, 3);
	/* 4: q, the pcre, s relative to it */
	assert_int_equal(it[8].flags, IDS_BLOB_I_PCRE);
	assert_int_equal(it[8].pat, 1);
	assert_true(it[9].flags & IDS_BLOB_I_RELATIVE);
	/* 5: q, !r, the pcre R */
	assert_int_equal(it[11].flags, IDS_BLOB_I_NEGATED);
	assert_int_equal(it[12].flags, IDS_BLOB_I_PCRE | IDS_BLOB_I_RELATIVE);
	assert_int_equal(it[12].pat, 2);

	/* The check refuses each of these, and takes the blob back after. */
	REFUSED(it[1].flags, 0x800);                       /* unknown flag */
	REFUSED(it[1].flags, IDS_BLOB_I_DISTANCE);         /* distance, not relative */
	REFUSED(it[1].at, h->bytes_size - 3);              /* bytes past the table */
	REFUSED(it[1].at, 0xfffffffe);                     /* ... and wrapping */
	REFUSED(it[1].len, 0);
	REFUSED(it[1].len, IDS_BLOB_CONTENT_LEN_MAX + 1);
	REFUSED(it[1].depth, -1);
	REFUSED(it[1].within, -5);
	REFUSED(it[1].offset, -1);
	REFUSED(it[0].pat, 0);                             /* two items name it */
	REFUSED(it[1].pat, IDS_BLOB_NONE);                 /* none does */
	REFUSED(it[1].pat, 1);                             /* another rule's */
	REFUSED(it[4].pat, 1);                             /* a negated one does */
	REFUSED(it[3].pat, 1);                             /* another rule's pcre */
	REFUSED(it[12].pat, 2 + 1);                        /* past the table */
	REFUSED(x[1].flags, 0);                            /* walked, not flagged */
	REFUSED(it[8].flags, IDS_BLOB_I_PCRE | IDS_BLOB_I_NOCASE);
	REFUSED(r[0].nitems, 1);                           /* counts off */
	REFUSED(r[0].nitems, IDS_BLOB_CONTENTS_MAX + 1);
	REFUSED(r[1].ncontents, 2);
	REFUSED(x[0].after, 0);                            /* a walked one with an after */
	REFUSED(x[0].after, 99);
	REFUSED(r[2].thr_type, IDS_BLOB_THR_DETECTION + 1);
	REFUSED(r[2].thr_count, 0);
	REFUSED(r[2].thr_by_dst, 2);
	REFUSED(r[0].thr_seconds, 5);                      /* without a type */
	REFUSED(((struct ids_blob_hdr *)h)->nitems, 14);
	REFUSED(((struct ids_blob_hdr *)h)->item_off, h->size - 8);
	REFUSED(((struct ids_blob_hdr *)h)->item_off, 4);  /* in the header, unaligned */
	REFUSED(((struct ids_blob_hdr *)h)->bytes_size, h->size);
	REFUSED(((struct ids_blob_hdr *)h)->bytes_size, IDS_BLOB_BYTES_MAX + 1);
	REFUSED(((struct ids_blob_hdr *)h)->version, 3);   /* the former layout */
	release();
}

/* ---- the walk against the offline engine ---------------------------------- */

static const char walk_rules[] =
	"alert udp any any -> any any (content:\"AB\"; content:\"C\"; distance:1; within:2; "
	"sid:1;)\n"
	"alert udp any any -> any any (content:\"A\"; content:\"B\"; distance:0; within:1; "
	"content:!\"C\"; within:1; sid:2;)\n"
	"alert udp any any -> any any (content:\"A\"; content:!\"B\"; distance:0; within:2; "
	"sid:3;)\n"
	"alert udp any any -> any any (content:\"ab\"; nocase; content:\"C\"; distance:-1; "
	"within:3; sid:4;)\n"
	"alert udp any any -> any any (content:\"A\"; offset:2; depth:5; content:\"B\"; "
	"distance:0; sid:5;)\n"
	"alert udp any any -> any any (content:\"A\"; startswith; content:\"C\"; endswith; "
	"sid:6;)\n"
	"alert udp any any -> any any (content:\"A\"; content:\"A\"; distance:0; content:\"B\"; "
	"distance:0; within:1; sid:7;)\n"
	"alert udp any any -> any any (content:!\"x\"; depth:3; content:\"AB\"; sid:8;)\n"
	"alert udp any any -> any any (content:\"B\"; content:\"A\"; distance:-3; within:2; "
	"content:!\"CC\"; sid:9;)\n"
	"alert udp any any -> any any (content:\"A\"; content:\"B\"; distance:2; depth:3; "
	"content:\"x\"; distance:0; endswith; sid:10;)\n"
	/* long contents: searched with a failure table */
	"alert udp any any -> any any (content:\"x\"; content:\"abababababababac\"; nocase; "
	"distance:0; within:30; sid:11;)\n"
	"alert udp any any -> any any (content:\"ABABABABABABABAB\"; content:!\"ABABABABABABABAC\"; "
	"distance:-10; within:24; sid:12;)\n"
	/* isdataat: relative, negated, from the start, between contents
	 * (a failure goes back to the content before it) */
	"alert udp any any -> any any (content:\"AB\"; isdataat:2,relative; sid:13;)\n"
	"alert udp any any -> any any (content:\"A\"; isdataat:!1,relative; sid:14;)\n"
	"alert udp any any -> any any (content:\"C\"; isdataat:20; content:\"x\"; distance:0; "
	"sid:15;)\n"
	"alert udp any any -> any any (content:\"A\"; content:\"B\"; distance:0; "
	"isdataat:!3,relative; content:\"C\"; distance:0; sid:16;)\n";

/* The walk of rule ri of the blob over p (a stream's window whose bytes
 * from min_end on are new: 0 for a packet). */
static int walk_from(unsigned ri, const uint8_t *p, uint32_t len, uint32_t min_end)
{
	const struct ids_blob_hdr *h = out.blob;
	const struct ids_blob_rule *r = AT(struct ids_blob_rule, h->rule_off);
	const struct ids_blob_item *it = AT(struct ids_blob_item, h->item_off);
	uint32_t ends[IDS_BLOB_CONTENTS_MAX], first = 0;

	for (unsigned i = 0; i < ri; i++)
		first += r[i].nitems;
	uint64_t budget = UINT64_MAX;

	return ids_walk(it + first, r[ri].nitems, AT(uint8_t, h->bytes_off), p, len, min_end, ends,
			&budget, NULL);
}

static int walk(unsigned ri, const uint8_t *p, uint32_t len)
{
	return walk_from(ri, p, len, 0);
}

static void test_agreement(void **state)
{
	static const uint8_t abc[] = "ABCxab";
	static const char *const piece[] = {"AB", "ab", "ABABABAB", "abababac", "AC", "x", "C"};
	struct ids_ruleset rs;
	uint8_t p[64];
	unsigned matched = 0, runs = 0, hits[16] = {0}, smatched = 0, sruns = 0;
	const char *why;

	assert_int_equal(compile(walk_rules), 0);
	assert_int_equal(out.nrules, 16);
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	ids_ruleset_init(&rs);
	rs.errf = fopen("/dev/null", "w");
	ids_load_text(&rs, walk_rules, strlen(walk_rules), "t.rules");
	assert_int_equal(rs.nrules, 16);
	srandom(7);
	for (unsigned n = 0; n < 20000; n++) {
		uint32_t len = (uint32_t)(random() % sizeof(p));

		if (n & 1) {
			for (uint32_t i = 0; i < len; i++)
				p[i] = abc[random() % 6];
		} else { /* pieces of the long contents, to match them often */
			len = 0;
			for (;;) {
				const char *c = piece[random() % 7];

				if (len + strlen(c) > sizeof(p))
					break;
				memcpy(p + len, c, strlen(c));
				len += (uint32_t)strlen(c);
			}
		}
		for (unsigned ri = 0; ri < rs.nrules; ri++) {
			int w = walk(ri, p, len);
			bool o = ids_match_buf(rs.rules[ri], IB_PKT, p, len, 0);

			if (w != (int)o)
				fail_msg("sid %u on \"%.*s\": in-line %d, offline %d", rs.rules[ri]->sid,
					 (int)len, (const char *)p, w, o);
			matched += w == 1;
			hits[ri] += w == 1;
			runs++;
			/* a stream's window: a match must end past min_end, as
			 * offline (every occurrence tried, not only those a
			 * relative content hangs on) */
			uint32_t me = (uint32_t)(random() % (len + 1));

			w = walk_from(ri, p, len, me);
			o = ids_match_buf(rs.rules[ri], IB_PKT, p, len, me);
			if (w != (int)o)
				fail_msg("sid %u on \"%.*s\" from %u: in-line %d, offline %d",
					 rs.rules[ri]->sid, (int)len, (const char *)p, me, w, o);
			smatched += w == 1;
			sruns++;
		}
	}
	assert_true(smatched > sruns / 40 && smatched < sruns - sruns / 20);
	/* a test that can fail: both answers occur often, for each rule */
	assert_true(matched > runs / 20 && matched < runs - runs / 20);
	for (unsigned ri = 0; ri < rs.nrules; ri++)
		assert_true(hits[ri] > 100 && hits[ri] < 19900);
	/* some cases by hand: within after distance, a negation's window */
	assert_int_equal(walk(0, (const uint8_t *)"ABxC", 4), 1);
	assert_int_equal(walk(0, (const uint8_t *)"ABC", 3), 0);   /* distance 1 */
	assert_int_equal(walk(0, (const uint8_t *)"ABxxxC", 6), 0); /* within 2 */
	assert_int_equal(walk(0, (const uint8_t *)"ABxxxC ABxC", 11), 1); /* backtracking */
	assert_int_equal(walk(2, (const uint8_t *)"AxB", 3), 0);   /* B within 2 of A */
	assert_int_equal(walk(2, (const uint8_t *)"AxB A", 5), 1); /* the last A has none */
	assert_int_equal(walk(5, (const uint8_t *)"AxxC", 4), 1);
	assert_int_equal(walk(5, (const uint8_t *)"xAxC", 4), 0);
	/* isdataat: two bytes after AB; A the last byte; the next B when
	 * the first has more than 2 bytes after it */
	assert_int_equal(walk(12, (const uint8_t *)"xABxx", 5), 1);
	assert_int_equal(walk(12, (const uint8_t *)"xABx", 4), 0);
	assert_int_equal(walk(13, (const uint8_t *)"xAxA", 4), 1);
	assert_int_equal(walk(13, (const uint8_t *)"xAxAx", 5), 0);
	assert_int_equal(walk(15, (const uint8_t *)"ABxxxABC", 8), 1);
	assert_int_equal(walk(15, (const uint8_t *)"ABxxxC", 6), 0);
	/* in a window: "AB" ended the old bytes, the two bytes isdataat asks
	 * for are the new ones: the match ends in them (before, it did not
	 * count, and "AB" at a segment's end evaded the rule) */
	assert_int_equal(walk_from(12, (const uint8_t *)"xABxx", 5, 3), 1);
	assert_int_equal(walk_from(12, (const uint8_t *)"xABxx", 5, 5), 0);
	/* in a window: the match ending in the old bytes does not count, a
	 * later one (found only by trying B's next occurrence) does */
	assert_int_equal(walk_from(0, (const uint8_t *)"ABxC|ABxC", 9, 5), 1);
	assert_int_equal(walk_from(0, (const uint8_t *)"ABxC|xxxx", 9, 5), 0);
	ids_ruleset_free(&rs);
	release();
}

/* Bounded work: a payload that makes a rule backtrack over every pair of
 * occurrences stops at the step limit, where the offline engine stops too. */
static void test_steps(void **state)
{
	static const char rule[] = "alert udp any any -> any any (content:\"A\"; content:\"B\"; "
				   "distance:0; content:\"C\"; distance:0; within:1; sid:1;)\n";
	struct ids_ruleset rs;
	uint8_t p[3000];

	assert_int_equal(compile(rule), 0);
	memset(p, 'A', 1500);
	memset(p + 1500, 'B', 1500);
	assert_int_equal(walk(0, p, sizeof(p)), -1);
	ids_ruleset_init(&rs);
	ids_load_text(&rs, rule, strlen(rule), "t.rules");
	assert_false(ids_match_buf(rs.rules[0], IB_PKT, p, sizeof(p), 0));
	/* a short one finishes: no match, and a match */
	assert_int_equal(walk(0, p + 1490, 20), 0);
	p[2999] = 'C';
	assert_int_equal(walk(0, p + 1490, 1510), 1);
	ids_ruleset_free(&rs);
	release();
}

/* The frame's budget: a payload built to make each step search the whole
 * frame (a short content repeated, a relative one that never completes)
 * stops once the frame's comparisons are spent, and says so (-1, never a
 * late "no match"); the walks after it, sharing the budget, stop at once. */
static void test_frame_budget(void **state)
{
	static const char rule[] =
		"alert udp any any -> any any (content:\"a\"; content:\"aaaaaaaaaaaaaab\"; "
		"distance:0; sid:1;)\n"
		"alert udp any any -> any any (content:\"a\"; content:\"a\"; distance:0; "
		"content:\"aaaaaaaaaaaaaaaaaaaab\"; distance:0; sid:2;)\n";
	const struct ids_blob_hdr *h;
	const struct ids_blob_rule *r;
	const struct ids_blob_item *it;
	static uint8_t p[65000];
	uint32_t ends[IDS_BLOB_CONTENTS_MAX];
	uint64_t budget = IDS_WALK_FRAME_BUDGET, before;

	(void)state;
	assert_int_equal(compile(rule), 0);
	h = out.blob;
	r = AT(struct ids_blob_rule, h->rule_off);
	it = AT(struct ids_blob_item, h->item_off);
	memset(p, 'a', sizeof(p));
	assert_int_equal(ids_walk(it, r[0].nitems, AT(uint8_t, h->bytes_off), p, sizeof(p), 0, ends,
				  &budget, NULL),
			 -1);
	assert_int_equal(budget, 0);
	assert_int_equal(ids_walk(it + r[0].nitems, r[1].nitems, AT(uint8_t, h->bytes_off), p,
				  sizeof(p), 0, ends, &budget, NULL),
			 -1);
	/* an ordinary frame takes a little of it, and gets its answer */
	budget = before = IDS_WALK_FRAME_BUDGET;
	memcpy(p + 100, "aaaaaaaaaaaaaab", 15);
	assert_int_equal(ids_walk(it, r[0].nitems, AT(uint8_t, h->bytes_off), p, 200, 0, ends, &budget, NULL),
			 1);
	assert_true(budget < before && before - budget < 20000);
	release();
}

/* ---- byte_test and byte_jump -------------------------------------------- */

/* The layer's strtoull (walk.h) against libc's on the strings read_num
 * hands it: white space, signs, "0x" with and without digits after it,
 * digits of each base and past it, NULs, bytes past ASCII. */
static void test_strtou(void **state)
{
	static const char *const edge[] = {
		"0x", "0X", "0xg", "-0x", "+0x1F", " 0x10", "x10", "00x1", "0x0x1", "-", "+", " ",
		"- 5", "-5", "+-5", "\t\n\v\f\r7", "9999999999", "ffffffffff", "7777777777", "0",
		"1 2", "0x ", "08", "19a", "  -0", "\x85" "5", "5\xff", ""};
	static const char alpha[] = "0123456789abcdefgxX +-\t\n\v\f\r\x00\xa0\x85Z";
	static const unsigned bases[] = {8, 10, 16};
	unsigned ok = 0, runs = 0;

	(void)state;
	srandom(11);
	for (unsigned n = 0; n < 200000 + sizeof(edge) / sizeof(edge[0]); n++) {
		char tmp[IDS_BLOB_BYTE_STR_MAX + 1];
		unsigned len, base = bases[n % 3];
		uint64_t mine, theirs;
		char *e;
		bool got;

		if (n < sizeof(edge) / sizeof(edge[0])) {
			len = (unsigned)strlen(edge[n]);
			memcpy(tmp, edge[n], len);
		} else {
			len = 1 + (unsigned)(random() % IDS_BLOB_BYTE_STR_MAX);
			for (unsigned i = 0; i < len; i++)
				tmp[i] = alpha[random() % (sizeof(alpha) - 1)];
		}
		for (unsigned b = 0; b < 3; b++) { /* each base */
			base = bases[b];
			tmp[len] = 0;
			theirs = strtoull(tmp, &e, (int)base);
			got = ids_walk_strtou((const uint8_t *)tmp, len, base, &mine);
			if (got != (e != tmp) || mine != theirs)
				fail_msg("\"%s\" base %u: in-line %d %llu, strtoull %d %llu", tmp, base, got,
					 (unsigned long long)mine, e != tmp, (unsigned long long)theirs);
			ok += got;
			runs++;
		}
	}
	assert_true(ok > runs / 10 && ok < runs - runs / 10);
}

static const char byte_rules[] =
	/* binary, big and little endian, relative, absolute, negative offset */
	"alert udp any any -> any any (content:\"A\"; byte_test:1,>,64,0,relative; sid:1;)\n"
	"alert udp any any -> any any (content:\"B\"; byte_test:2,>=,512,-3,relative,little; "
	"sid:2;)\n"
	"alert udp any any -> any any (content:\"A\"; byte_test:1,^,48,2; sid:3;)\n"
	/* text: a sign, "0x", octal, a negation, 10 digits */
	"alert udp any any -> any any (content:\"A\"; byte_test:2,<,5,0,relative,string,dec; "
	"sid:4;)\n"
	"alert udp any any -> any any (content:\"A\"; byte_test:4,>,15,1,relative,string,hex; "
	"sid:5;)\n"
	"alert udp any any -> any any (content:\"A\"; byte_test:3,!&,1,0,relative,string,oct; "
	"sid:6;)\n"
	"alert udp any any -> any any (content:\"A\"; byte_test:10,<=,100,0,relative,string; "
	"sid:7;)\n"
	/* byte_jump: the previous match's end moves; a failure after it goes
	 * back to the content before it */
	"alert udp any any -> any any (content:\"A\"; byte_jump:1,0,relative,post_offset -48; "
	"content:\"B\"; within:2; sid:8;)\n"
	"alert udp any any -> any any (content:\"A\"; byte_jump:1,0,relative,string,dec,"
	"multiplier 2,post_offset -1; content:\"B\"; distance:0; within:3; sid:9;)\n"
	"alert udp any any -> any any (content:\"A\"; byte_jump:2,0,relative,string,hex,align; "
	"content:!\"B\"; within:2; sid:10;)\n"
	"alert udp any any -> any any (content:\"B\"; byte_jump:1,1,relative,from_beginning,"
	"post_offset -40; isdataat:!2,relative; sid:11;)\n"
	"alert udp any any -> any any (content:\"A\"; byte_jump:1,0,relative,little,multiplier 3,"
	"post_offset -150; "
	"byte_test:1,=,66,0,relative; sid:12;)\n"
	"alert udp any any -> any any (content:\"A\"; byte_test:1,<,60,0,relative; "
	"content:\"B\"; distance:1; within:4; sid:13;)\n"
	/* 8 bytes: 0xff... is -1, a jump 1 back from the bytes' end; times
	 * 65535 a product that wraps (as offline: two's complement) */
	"alert udp any any -> any any (content:\"A\"; byte_jump:8,0,relative,little; "
	"content:\"B\"; distance:0; sid:14;)\n"
	"alert udp any any -> any any (content:\"A\"; byte_jump:8,0,relative,little,"
	"multiplier 65535; content:\"B\"; distance:0; sid:15;)\n";
#define BYTE_RULES 15u

static void test_byte_agreement(void **state)
{
	static const uint8_t alpha[] = "0123456789abcxX -+ AAB\xff\x01\x02";
	struct ids_ruleset rs;
	uint8_t p[64];
	unsigned hits[BYTE_RULES] = {0}, shits = 0, sruns = 0;
	const char *why;

	(void)state;
	assert_int_equal(compile(byte_rules), 0);
	assert_int_equal(out.nrules, BYTE_RULES);
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	ids_ruleset_init(&rs);
	rs.errf = fopen("/dev/null", "w");
	ids_load_text(&rs, byte_rules, strlen(byte_rules), "t.rules");
	assert_int_equal(rs.nrules, BYTE_RULES);
	srandom(13);
	for (unsigned n = 0; n < 40000; n++) {
		uint32_t len = (uint32_t)(random() % sizeof(p));

		for (uint32_t i = 0; i < len; i++)
			p[i] = alpha[random() % (sizeof(alpha) - 1)];
		if (n % 8 == 0 && len >= 10) /* eight 0xff bytes after an A */
			memcpy(p + random() % (len - 9), "A\xff\xff\xff\xff\xff\xff\xff\xff", 9);
		for (unsigned ri = 0; ri < BYTE_RULES; ri++) {
			int w = walk(ri, p, len);
			bool o = ids_match_buf(rs.rules[ri], IB_PKT, p, len, 0);
			uint32_t me = (uint32_t)(random() % (len + 1));

			if (w != (int)o)
				fail_msg("sid %u on %u bytes (%.*s): in-line %d, offline %d",
					 rs.rules[ri]->sid, len, (int)len, (const char *)p, w, o);
			hits[ri] += w == 1;
			/* a stream's window: byte_test and byte_jump move no
			 * match's end into the new bytes, as offline */
			w = walk_from(ri, p, len, me);
			o = ids_match_buf(rs.rules[ri], IB_PKT, p, len, me);
			if (w != (int)o)
				fail_msg("sid %u on %u bytes from %u: in-line %d, offline %d",
					 rs.rules[ri]->sid, len, me, w, o);
			shits += w == 1;
			sruns++;
		}
	}
	/* a test that can fail: each rule matches, and not always */
	for (unsigned ri = 0; ri < BYTE_RULES - 1; ri++) { /* sid 15 by hand */
		print_message("byte rule %u: %u of 40000\n", ri + 1, hits[ri]);
		assert_true(hits[ri] > 40 && hits[ri] < 39000);
	}
	assert_true(shits > sruns / 50 && shits < sruns - sruns / 20);
	/* by hand: '0' (48) jumps to the byte after it, '1' one further; B
	 * within 2 of there */
	assert_int_equal(walk(7, (const uint8_t *)"A0B", 3), 1);
	assert_int_equal(walk(7, (const uint8_t *)"A1xB", 4), 1);
	assert_int_equal(walk(7, (const uint8_t *)"A1xxxB", 6), 0);
	assert_int_equal(walk(7, (const uint8_t *)"A1xxxB A0B", 10), 1); /* the next A */
	/* "-1" in text is 2^64 - 1, a signed -1: below 5 */
	assert_int_equal(walk(3, (const uint8_t *)"A-1", 3), 1);
	assert_int_equal(walk(3, (const uint8_t *)"A 9", 3), 0);
	assert_int_equal(walk(3, (const uint8_t *)"A- ", 3), 0); /* no number */
	/* "0x" and no digit: 0, a number */
	assert_int_equal(walk(4, (const uint8_t *)"Ax0xzz", 6), 0);
	assert_int_equal(walk(4, (const uint8_t *)"Ax0x1f", 6), 1);
	/* eight 0xff: -1, + 9: the last of them, B after; x 65535: 65526
	 * bytes back, no; 65535's inverse modulo 2^64 x 65535: 1 (+ 9: the
	 * B after x) */
	assert_int_equal(walk(13, (const uint8_t *)"A\xff\xff\xff\xff\xff\xff\xff\xff" "B", 10), 1);
	assert_int_equal(walk(14, (const uint8_t *)"A\xff\xff\xff\xff\xff\xff\xff\xff" "B", 10), 0);
	static const uint8_t wrap[] = "A\xff\xff\xfe\xff\xfe\xff\xfe\xff" "xB";
	assert_int_equal(walk(14, wrap, 11), 1);
	assert_true(ids_match_buf(rs.rules[14], IB_PKT, wrap, 11, 0));
	assert_int_equal(walk(14, wrap, 10), 0);
	assert_false(ids_match_buf(rs.rules[14], IB_PKT, wrap, 10, 0));
	/* the bytes not all there: no */
	assert_int_equal(walk(0, (const uint8_t *)"xA", 2), 0);
	assert_int_equal(walk(0, (const uint8_t *)"xAZ", 3), 1);
	ids_ruleset_free(&rs);
	release();
}

/* Pcres walked with the contents (IDS_BLOB_I_PCRE): relative after a
 * negated content, a byte_jump, an isdataat, a byte_test, a pcre; a
 * content, an isdataat and a byte_test relative to a pcre's match; the
 * walk tries a pcre's next match, and a content's next occurrence, when a
 * later item fails, as the offline engine's walk does: the same answer on
 * 40,000 random payloads, packets and stream windows, with the offline
 * engine's own compiled pcres as the matcher. */
static const char after_rules[] =
	"alert udp any any -> any any (content:\"q\"; content:!\"r\"; distance:0; within:1; "
	"pcre:\"/^s/R\"; sid:1;)\n"
	"alert udp any any -> any any (content:\"A\"; byte_jump:1,0,relative; pcre:\"/^x/R\"; "
	"sid:2;)\n"
	"alert udp any any -> any any (content:\"A\"; isdataat:2,relative; pcre:\"/^BC/R\"; "
	"sid:3;)\n"
	"alert udp any any -> any any (content:\"A\"; byte_test:1,>,48,0,relative; "
	"pcre:\"/^[4-9]/R\"; sid:4;)\n"
	"alert udp any any -> any any (content:\"q\"; pcre:\"/s[0-9]/R\"; content:\"x\"; "
	"within:2; sid:5;)\n"
	"alert udp any any -> any any (content:\"A\"; pcre:\"/B+/R\"; isdataat:!2,relative; "
	"sid:6;)\n"
	"alert udp any any -> any any (content:\"q\"; pcre:\"/[sx]/R\"; pcre:\"/^C/R\"; "
	"byte_test:1,<,52,0,relative,string,dec; sid:7;)\n"
	"alert udp any any -> any any (content:\"A\"; pcre:!\"/^x/R\"; content:\"C\"; "
	"distance:0; sid:8;)\n";
#define AFTER_RULES 8

static const pcre2_code *after_codes[32];
static pcre2_match_data *after_md;

/* The walk's pcre matcher over the offline engine's codes. */
static int after_match(void *ctx, uint32_t pcre, const uint8_t *subject, uint32_t len,
		       uint32_t start, bool again, uint32_t *ms, uint32_t *me)
{
	PCRE2_SIZE *ov;

	(void)ctx;
	(void)again;
	if (pcre >= 32 || !after_codes[pcre])
		return -1;
	if (pcre2_match(after_codes[pcre], subject, len, start, 0, after_md, NULL) < 0)
		return 0;
	ov = pcre2_get_ovector_pointer(after_md);
	*ms = (uint32_t)ov[0];
	*me = (uint32_t)ov[1];
	return 1;
}

static void test_pcre_after(void **state)
{
	static const uint8_t alpha[] = "qAsxBC0123456789\x01\x02\x03rz";
	const struct ids_walk_pcre pc = {.match = after_match, .ctx = NULL};
	struct ids_ruleset rs;
	unsigned hits[AFTER_RULES] = {0}, runs = 0, npc = 0;
	uint8_t p[48];
	const char *why;

	(void)state;
	after_md = pcre2_match_data_create(8, NULL);
	assert_int_equal(compile(after_rules), 0);
	assert_int_equal(out.nrules, AFTER_RULES);
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	ids_ruleset_init(&rs);
	rs.errf = fopen("/dev/null", "w");
	ids_load_text(&rs, after_rules, strlen(after_rules), "t.rules");
	assert_int_equal(rs.nrules, AFTER_RULES);
	for (unsigned i = 0; i < AFTER_RULES; i++) /* the blob's pcres, in rule order */
		for (unsigned k = 0; k < rs.rules[i]->nsm; k++)
			if (rs.rules[i]->sm[k].kind == SM_PCRE)
				after_codes[npc++] = rs.rules[i]->sm[k].re;
	assert_int_equal(npc, out.npcre);
	const struct ids_blob_hdr *h = out.blob;
	const struct ids_blob_rule *r = AT(struct ids_blob_rule, h->rule_off);
	const struct ids_blob_item *it = AT(struct ids_blob_item, h->item_off);

	srandom(11);
	for (unsigned n = 0; n < 40000; n++) {
		const unsigned ri = n % AFTER_RULES;
		const uint32_t len = 1 + (uint32_t)(random() % sizeof(p));
		const uint32_t min_end = (n / AFTER_RULES) % 2 ? (uint32_t)(random() % len) : 0;
		uint32_t first = 0, ends[IDS_BLOB_CONTENTS_MAX];
		uint64_t budget = UINT64_MAX;
		int in;
		bool off;

		for (uint32_t i = 0; i < len; i++)
			p[i] = alpha[random() % (sizeof(alpha) - 1)];
		for (unsigned i = 0; i < ri; i++)
			first += r[i].nitems;
		in = ids_walk(it + first, r[ri].nitems, AT(uint8_t, h->bytes_off), p, len, min_end,
			      ends, &budget, &pc);
		off = ids_match_buf(rs.rules[ri], IB_PKT, p, len, min_end);
		if (in < 0 || (in == 1) != off)
			fail_msg("rule %u: in-line %d, offline %d, len %u, min_end %u", ri, in, off,
				 len, min_end);
		hits[ri] += off;
		runs++;
	}
	assert_int_equal(runs, 40000);
	for (unsigned i = 0; i < AFTER_RULES; i++) {
		printf("pcre rule %u: %u of %u\n", i + 1, hits[i], 40000 / AFTER_RULES);
		assert_true(hits[i] > 5 && hits[i] < 40000 / AFTER_RULES - 5); /* both ways */
	}
	/* without a matcher, a pcre item fails closed */
	assert_int_equal(ids_walk(it, r[0].nitems, AT(uint8_t, h->bytes_off),
				  (const uint8_t *)"qs", 2, 0, (uint32_t[IDS_BLOB_CONTENTS_MAX]){0},
				  &(uint64_t){UINT64_MAX}, NULL),
			 -1);
	pcre2_match_data_free(after_md);
	fclose(rs.errf);
	ids_ruleset_free(&rs);
	release();
}

/* What loads in-line and how, and the check of every byte field. */
static const char byte_load_rules[] =
	/* 0: byte_test, text, negated */
	"alert udp any any -> any any (msg:\"a\"; content:\"A\"; byte_test:4,!>,100,2,relative,"
	"string,hex; sid:1;)\n"
	/* 1: byte_jump, binary, every option; then a relative content */
	"alert udp any any -> any any (msg:\"b\"; content:\"B\"; byte_jump:2,-3,relative,little,"
	"align,from_beginning,multiplier 4,post_offset -7; content:\"C\"; distance:0; sid:2;)\n"
	/* 2: relative to a pcre (through a byte_test: the pcre walked); not
	 * in-line: a multiplier past the range, an offset past it; 3: a
	 * relative pcre after a jump */
	"alert udp any any -> any any (content:\"A\"; pcre:\"/b/\"; byte_test:1,>,1,0; "
	"isdataat:1,relative; sid:3;)\n"
	"alert udp any any -> any any (content:\"A\"; byte_jump:1,0,multiplier 0; sid:4;)\n"
	"alert udp any any -> any any (content:\"A\"; byte_test:1,>,1,70000; sid:5;)\n"
	"alert udp any any -> any any (content:\"A\"; byte_jump:1,0,relative; pcre:\"/x/R\"; "
	"sid:6;)\n";

static void test_byte_load(void **state)
{
	const struct ids_blob_hdr *h;
	struct ids_blob_item *it;
	const char *why;

	(void)state;
	assert_int_equal(compile(byte_load_rules), 0);
	assert_int_equal(out.nrules, 4);
	assert_int_equal(out.not_loaded, 2);
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	h = out.blob;
	it = AT(struct ids_blob_item, h->item_off);
	assert_int_equal(out.nitems, 2 + 3 + 4 + 3);
	assert_int_equal(it[6].flags, IDS_BLOB_I_PCRE); /* 2's pcre */
	assert_int_equal(it[11].flags, IDS_BLOB_I_PCRE | IDS_BLOB_I_RELATIVE); /* after the jump */
	assert_int_equal(it[1].flags, IDS_BLOB_I_BYTE_TEST | IDS_BLOB_I_NEGATED | IDS_BLOB_I_RELATIVE);
	assert_int_equal(it[1].byte_n, 4);
	assert_int_equal(it[1].byte_base, 16);
	assert_int_equal(it[1].byte_cmp, IDS_BLOB_GT);
	assert_int_equal(it[1].byte_value, 100);
	assert_int_equal(it[1].offset, 2);
	assert_int_equal(it[1].byte_flags, IDS_BLOB_B_STRING);
	assert_int_equal(it[1].pat, IDS_BLOB_NONE);
	assert_int_equal(it[3].flags, IDS_BLOB_I_BYTE_JUMP | IDS_BLOB_I_RELATIVE);
	assert_int_equal(it[3].byte_flags,
			 IDS_BLOB_B_LITTLE | IDS_BLOB_B_ALIGN | IDS_BLOB_B_FROM_BEGINNING);
	assert_int_equal(it[3].byte_mult, 4);
	assert_int_equal(it[3].byte_post, -7);
	assert_int_equal(it[3].offset, -3);
	assert_int_equal(it[3].byte_base, 0);

	REFUSED(it[1].byte_n, 0);
	REFUSED(it[1].byte_n, IDS_BLOB_BYTE_STR_MAX + 1);
	REFUSED(it[3].byte_n, IDS_BLOB_BYTE_BIN_MAX + 1);    /* binary: 8 at most */
	REFUSED(it[1].byte_base, 0);                         /* text without a base */
	REFUSED(it[1].byte_base, 2);
	REFUSED(it[3].byte_base, 10);                        /* a base, binary */
	REFUSED(it[1].byte_cmp, IDS_BLOB_RANGE);             /* not byte_test's */
	REFUSED(it[1].byte_cmp, IDS_BLOB_NE);
	REFUSED(it[1].byte_cmp, 200);
	REFUSED(it[1].byte_flags, IDS_BLOB_B_STRING | IDS_BLOB_B_LITTLE);
	REFUSED(it[1].byte_flags, IDS_BLOB_B_STRING | IDS_BLOB_B_ALIGN); /* a jump's */
	REFUSED(it[1].byte_flags, IDS_BLOB_B_STRING | 0x10);
	REFUSED(it[1].byte_mult, 1);                         /* a jump's fields */
	REFUSED(it[1].byte_post, 1);
	REFUSED(it[1].offset, IDS_BLOB_BYTE_OFF_MAX + 1);
	REFUSED(it[1].offset, -IDS_BLOB_BYTE_OFF_MAX - 1);
	REFUSED(it[1].flags, IDS_BLOB_I_BYTE_TEST | IDS_BLOB_I_BYTE_JUMP);
	REFUSED(it[1].flags, IDS_BLOB_I_BYTE_TEST | IDS_BLOB_I_DISTANCE | IDS_BLOB_I_RELATIVE);
	REFUSED(it[1].flags, IDS_BLOB_I_BYTE_TEST | IDS_BLOB_I_ISDATAAT);
	REFUSED(it[1].len, 1);                               /* no content */
	REFUSED(it[1].within, 1);
	REFUSED(it[1].pat, 0);
	REFUSED(it[1].pad2[1], 1);
	REFUSED(it[3].byte_mult, 0);
	REFUSED(it[3].byte_mult, IDS_BLOB_BYTE_MULT_MAX + 1);
	REFUSED(it[3].byte_mult, -1);
	REFUSED(it[3].byte_post, IDS_BLOB_BYTE_OFF_MAX + 1);
	REFUSED(it[3].byte_value, 1);                        /* a test's field */
	REFUSED(it[3].byte_cmp, IDS_BLOB_LT);
	REFUSED(it[3].flags, IDS_BLOB_I_BYTE_JUMP | IDS_BLOB_I_NEGATED); /* no '!' */
	REFUSED(it[0].byte_n, 1);                            /* a content's, set */
	REFUSED(it[0].byte_value, 1);
	REFUSED(it[4].byte_flags, IDS_BLOB_B_LITTLE);
	REFUSED(it[4].pad2[0], 1);
	release();
}

/* ---- thresholds ------------------------------------------------------------- */

#define S (1000000000ull)

static struct ids_thr thr;

static void rule_thr(struct ids_blob_rule *r, uint8_t type, uint8_t by_dst, uint32_t count,
		     uint32_t seconds)
{
	memset(r, 0, sizeof(*r));
	r->thr_type = type;
	r->thr_by_dst = by_dst;
	r->thr_count = count;
	r->thr_seconds = seconds;
}

/* Matches of rule ri from src to dst at times t[0 .. n): a bit per match
 * that alerts, and one per match whose action applies. */
static void run(const struct ids_blob_rule *rules, uint32_t ri, uint8_t src, uint8_t dst,
		const uint64_t *t, unsigned n, unsigned *alerts, unsigned *acts)
{
	uint8_t s[4] = {10, 0, 0, src}, d[4] = {10, 0, 0, dst};

	*alerts = *acts = 0;
	for (unsigned i = 0; i < n; i++) {
		struct ids_thr_verdict v = ids_thr_check(&thr, rules, ri, s, d, 4, t[i]);

		*alerts |= (unsigned)v.alert << i;
		*acts |= (unsigned)v.action << i;
	}
}

static void test_thresholds(void **state)
{
	static const uint8_t key[IDS_THR_KEY_BYTES] = {1, 2, 3};
	struct ids_blob_rule r[6];
	uint64_t t[8];
	unsigned al, ac;

	for (unsigned i = 0; i < 8; i++)
		t[i] = (i + 1) * S; /* a match a second */
	rule_thr(&r[0], IDS_BLOB_THR_LIMIT, 0, 2, 5);
	rule_thr(&r[1], IDS_BLOB_THR_THRESHOLD, 0, 3, 60);
	rule_thr(&r[2], IDS_BLOB_THR_BOTH, 1, 3, 60);
	rule_thr(&r[3], IDS_BLOB_THR_DETECTION, 1, 3, 0);
	rule_thr(&r[4], IDS_BLOB_THR_NONE, 0, 0, 0);
	rule_thr(&r[5], IDS_BLOB_THR_LIMIT, 0, 1, 3600);
	ids_thr_init(&thr, key);
	/* limit 2 in 5 s: matches 1, 2, then 6 and 7 (the window restarts at 6 s) */
	run(r, 0, 1, 9, t, 8, &al, &ac);
	assert_int_equal(al, 0x63);
	assert_int_equal(ac, 0xff); /* its drop on every match */
	/* another source has its own count */
	run(r, 0, 2, 9, t, 3, &al, &ac);
	assert_int_equal(al, 0x3);
	/* threshold 3: every third */
	run(r, 1, 1, 9, t, 8, &al, &ac);
	assert_int_equal(al, 0x24);
	assert_int_equal(ac, 0x24);
	/* both 3 by_dst: once, on the third; the drop from the third on */
	run(r, 2, 1, 9, t, 8, &al, &ac);
	assert_int_equal(al, 0x4);
	assert_int_equal(ac, 0xfc);
	run(r, 2, 7, 9, t, 1, &al, &ac); /* same destination, another source */
	assert_int_equal(al, 0);
	/* detection_filter 3, no window: after the third, for ever */
	run(r, 3, 1, 9, t, 8, &al, &ac);
	assert_int_equal(al, 0xf8);
	assert_int_equal(ac, 0xf8);
	run(r, 4, 1, 9, t, 8, &al, &ac); /* none */
	assert_int_equal(al, 0xff);
	assert_int_equal(thr.full, 0);
	/* A full table: trackers that never expire (detection_filter, no
	 * window), one per source, until a new one finds its IDS_THR_PROBE
	 * places taken: it goes unthresholded (alert, drop) and is counted;
	 * the trackers already there go on counting. */
	ids_thr_init(&thr, key);
	unsigned made = 0;
	for (uint32_t a = 0; a < 4 * IDS_THR_MAX && !thr.full; a++) {
		uint8_t s[4] = {10, (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};
		struct ids_thr_verdict v = ids_thr_check(&thr, r, 3, s, s, 4, S);

		if (!thr.full) {
			assert_false(v.alert); /* the first match of 3 */
			made++;
		} else {
			assert_true(v.alert && v.action);
		}
	}
	assert_int_equal(thr.full, 1);
	print_message("threshold table: first refusal after %u trackers of %u\n", made,
		      IDS_THR_MAX);
	assert_true(made > IDS_THR_MAX / 2 && made <= IDS_THR_MAX);
	/* a tracker whose window is over is taken over: limit 2 in 5 s, the
	 * table filled until a running tracker had to give its place, then new
	 * sources 10 s later find room among the expired ones (none evicted) */
	ids_thr_init(&thr, key);
	for (uint32_t a = 0; a < 4 * IDS_THR_MAX && !thr.evicted; a++) {
		uint8_t s[4] = {10, 1, (uint8_t)(a >> 8), (uint8_t)a};

		ids_thr_check(&thr, r, 0, s, s, 4, S);
	}
	assert_int_equal(thr.evicted, 1);
	assert_int_equal(thr.full, 0);
	for (uint32_t a = 0; a < IDS_THR_MAX / 4; a++) {
		uint8_t s[4] = {10, 2, (uint8_t)(a >> 8), (uint8_t)a};

		assert_true(ids_thr_check(&thr, r, 0, s, s, 4, 10 * S).alert);
	}
	assert_int_equal(thr.evicted, 1);
	assert_int_equal(thr.full, 0);
	/* A peer fills the table on a cheap limit rule (an hour's window) from
	 * thousands of sources: a detection_filter rule's trackers still find
	 * places (the limit's give theirs), so its first match from each host
	 * neither alerts nor drops; and the detection_filter trackers, once
	 * there, are not given up to the limit rule's flood. */
	ids_thr_init(&thr, key);
	for (uint32_t a = 0; a < 2 * IDS_THR_MAX; a++) {
		uint8_t s[4] = {10, 3, (uint8_t)(a >> 8), (uint8_t)a};

		ids_thr_check(&thr, r, 5, s, s, 4, S);
	}
	for (uint32_t a = 0; a < 1000; a++) {
		uint8_t s[4] = {10, 4, (uint8_t)(a >> 8), (uint8_t)a};
		struct ids_thr_verdict v = ids_thr_check(&thr, r, 3, s, s, 4, 2 * S);

		assert_false(v.alert || v.action);
	}
	assert_int_equal(thr.full, 0);
	for (uint32_t a = 0; a < 2 * IDS_THR_MAX; a++) {
		uint8_t s[4] = {10, 5, (uint8_t)(a >> 8), (uint8_t)a};

		ids_thr_check(&thr, r, 5, s, s, 4, 3 * S);
	}
	for (uint32_t a = 0; a < 1000; a++) { /* their second match: still counted, under 3 */
		uint8_t s[4] = {10, 4, (uint8_t)(a >> 8), (uint8_t)a};
		struct ids_thr_verdict v = ids_thr_check(&thr, r, 3, s, s, 4, 4 * S);

		assert_false(v.alert || v.action);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_agreement),
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_frame_budget),
		cmocka_unit_test(test_strtou),
		cmocka_unit_test(test_byte_agreement),
		cmocka_unit_test(test_byte_load),
		cmocka_unit_test(test_pcre_after),
		cmocka_unit_test(test_thresholds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
