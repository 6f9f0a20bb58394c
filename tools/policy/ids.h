/* SPDX-License-Identifier: MIT */
/*
 * The ids engine (host C, in the policy program): the Snort 3 / Suricata rule
 * parser, the flow table with TCP reassembly, the HTTP/1, DNS and TLS
 * parsers for the rule buffers, and detection (Hyperscan prefilter, PCRE2
 * interpreter) over them.
 *
 * Invariants of the whole engine:
 *  1. every table has a fixed upper bound (the IDS_*_MAX constants below);
 *     input that would exceed one is counted and dropped or truncated, never
 *     grown into;
 *  2. a rule that does not load is reported (file:line, sid, keyword) and
 *     left out; the rest load;
 *  3. every buffer a rule inspects is a (pointer, length) pair that the
 *     matcher never reads outside.
 */
#ifndef RAMPART_POLICY_IDS_H
#define RAMPART_POLICY_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- limits -------------------------------------------------------------- */

/* A rule file for the in-line compiler (rampart-policy compile --kind
 * ids): ET Open's whole set, its files concatenated, is about 20 MiB
 * (2024) and grows by a few MiB a year; the parser holds only the rules it
 * loads, and the blob has limits of its own (src/ids/blob.h), so the text
 * itself only bounds what one compile reads into memory. */
#define IDS_FILE_MAX (64u << 20)
/* A rule longer than this is refused: ET's longest is under 8 KiB; a longer
 * one is a broken file or an attempt to exhaust the parser. */
#define IDS_RULE_TEXT_MAX 65536u
/* Detection items (content, pcre, byte_test, ...) per rule: ET's largest
 * rules have about 40; the matcher's backtracking is bounded by this too. */
#define IDS_SM_MAX 64u
/* Backtracking steps of one rule over one buffer (Suricata bounds its
 * content recursion the same way): stops a rule of many relative contents
 * from going quadratic on a crafted payload. */
#define IDS_MATCH_STEPS_MAX 20000u
/* Variables in one set of rules ($HOME_NET, ...), entries in one address or
 * port list, nesting of [ ] groups. */
#define IDS_VARS_MAX 128u
#define IDS_ADDRS_MAX 256u
#define IDS_PORTS_MAX 128u
#define IDS_GROUP_DEPTH 8u
/* Flowbits names in one set of rules (ET uses about 2,000). */
#define IDS_FLOWBITS_MAX 8192u
/* Refusals printed in full; the rest are counted. */
#define IDS_ERRORS_SHOWN 64u
/* A content or pcre pattern longer than this is refused. */
#define IDS_PATTERN_MAX 4096u

/* Flows tracked at once (a pcap with more reuses the oldest idle ones). */
#define IDS_FLOWS_MAX 65536u
/* Reassembled bytes kept per direction for inspection: older bytes leave the
 * window (a rule's depth/offset counts from the window's start). */
#define IDS_STREAM_WINDOW (256u * 1024u)
/* Out-of-order bytes held per direction waiting for a gap to fill; a segment
 * beyond it is dropped and counted (ooo_dropped). */
#define IDS_OOO_MAX (1024u * 1024u)
/* Out-of-order segments held per direction. */
#define IDS_OOO_SEGS_MAX 256u
/* Reassembly memory of all flows together; a flow that would pass it stops
 * reassembling (counted: reasm_memcap). */
#define IDS_REASM_MEMCAP (512ull * 1024 * 1024)
/* Bytes of stream already inspected that are inspected again with new data,
 * so that a pattern split over segments is seen whole. */
#define IDS_STREAM_LOOKBACK 4096u

/* HTTP: a header block longer than this is not parsed further (Suricata's
 * libhtp allows about 18 KiB per line); bodies kept up to BODY_MAX
 * (Suricata's request/response-body limit defaults are 100 KiB). */
#define IDS_HTTP_HDR_MAX (64u * 1024u)
#define IDS_HTTP_BODY_MAX (100u * 1024u)
#define IDS_HTTP_HEADERS_MAX 128u
/* Decompressed body bytes: a gzip bomb stops here. */
#define IDS_GUNZIP_MAX (1024u * 1024u)
/* DNS names: 255 bytes (RFC 1035), questions per message looked at. */
#define IDS_DNS_NAME_MAX 255u
#define IDS_DNS_QUESTIONS_MAX 16u

/* ---- rules --------------------------------------------------------------- */

enum ids_action { IDS_ALERT, IDS_DROP, IDS_REJECT, IDS_PASS };

enum ids_proto {
	IDS_P_IP, IDS_P_TCP, IDS_P_UDP, IDS_P_ICMP, IDS_P_HTTP, IDS_P_DNS, IDS_P_TLS,
	IDS_P_OTHER_APP,	/* an app-layer protocol this engine does not parse */
};

/* The buffers a rule inspects. Side: TS (request), TC (response), or either
 * (the side the rule is evaluated for). */
enum ids_buf {
	IB_PKT,
	IB_URI, IB_RAW_URI, IB_METHOD, IB_HOST, IB_RAW_HOST, IB_UA, IB_COOKIE,
	IB_REQ_BODY, IB_REQ_LINE, IB_REFERER, IB_CONTENT_TYPE, IB_ACCEPT,
	IB_ACCEPT_LANG, IB_ACCEPT_ENC, IB_CONNECTION, IB_CONTENT_LEN, IB_HEADER_NAMES,
	IB_HEADER, IB_RAW_HEADER, IB_PROTOCOL, IB_START, IB_FILE_DATA,
	IB_STAT_CODE, IB_STAT_MSG, IB_RESP_LINE, IB_RESP_BODY, IB_SERVER, IB_LOCATION,
	IB_REQ_HEADER, IB_RESP_HEADER,
	IB_DNS_QUERY, IB_TLS_SNI,
	IB_COUNT
};

/* Which side of a transaction buffer b (enum ids_buf) belongs to: the
 * request (IDS_SIDE_TS), the response (IDS_SIDE_TC), or either (0); the
 * offline engine and the in-line compiler read the same answer. */
#define IDS_SIDE_TS 1u
#define IDS_SIDE_TC 2u
unsigned ids_buf_side(unsigned b);

enum ids_sm_kind { SM_CONTENT, SM_PCRE, SM_ISDATAAT, SM_BSIZE, SM_BYTE_TEST, SM_BYTE_JUMP, SM_URILEN };

#define CT_NOCASE 0x01u
#define CT_NEGATED 0x02u
#define CT_OFFSET 0x04u
#define CT_DEPTH 0x08u
#define CT_DISTANCE 0x10u
#define CT_WITHIN 0x20u
#define CT_STARTSWITH 0x40u
#define CT_ENDSWITH 0x80u
#define CT_FAST 0x100u
#define CT_RELATIVE 0x200u	/* pcre /R, isdataat relative, byte_* relative */
#define CT_FAST_ONLY 0x400u

enum ids_cmp { CMP_EQ, CMP_LT, CMP_GT, CMP_LE, CMP_GE, CMP_RANGE, CMP_AND, CMP_OR, CMP_NE };

struct ids_sm {
	uint8_t kind;		/* enum ids_sm_kind */
	uint8_t buf;		/* enum ids_buf */
	uint16_t flags;		/* CT_* */
	int32_t offset, depth, distance, within;
	uint8_t *pat;		/* content bytes; pcre: the pattern text */
	uint32_t len;
	void *re;		/* pcre2_code * */
	/* isdataat / bsize / urilen / byte_test / byte_jump */
	uint8_t cmp, nbytes, base, little, string;
	int64_t a, b;
	int32_t mult, post;
	uint8_t from_beginning, align;
};

#define FL_TO_SERVER 0x01u
#define FL_TO_CLIENT 0x02u
#define FL_ESTABLISHED 0x04u
#define FL_NOT_ESTABLISHED 0x08u
#define FL_STATELESS 0x10u
#define FL_ONLY_STREAM 0x20u
#define FL_NO_STREAM 0x40u

enum ids_fb_op { FB_SET, FB_UNSET, FB_TOGGLE, FB_ISSET, FB_ISNOTSET, FB_NOALERT };

struct ids_flowbit {
	uint8_t op, any;	/* any: "a|b" for isset (one of) */
	uint16_t n;
	uint32_t ids[8];
};

struct ids_addr {
	uint8_t af;		/* 4 or 6; 0: any */
	uint8_t neg;
	uint8_t bits;
	uint8_t a[16];
};

struct ids_addrs {
	bool any;
	uint16_t n;
	struct ids_addr *v;
};

struct ids_port {
	uint16_t lo, hi;
	uint8_t neg;
};

struct ids_ports {
	bool any;
	uint16_t n;
	struct ids_port *v;
};

enum ids_thr_type { THR_NONE, THR_LIMIT, THR_THRESHOLD, THR_BOTH, THR_DETECTION };

struct ids_rule {
	uint8_t action, proto, bidir;
	uint32_t sid, gid, rev;
	int priority;		/* -1: from the classtype */
	char *msg, *classtype, *file;
	unsigned line;
	struct ids_addrs src, dst;
	struct ids_ports sport, dport;
	uint8_t flow;		/* FL_* */
	uint8_t ipproto;	/* ip_proto:, 0 none */
	bool has_dsize, has_flags, has_itype, has_icode, noalert;
	uint8_t dsize_cmp, itype_cmp, icode_cmp;
	int64_t dsize_a, dsize_b, itype_a, itype_b, icode_a, icode_b;
	uint8_t flags_set, flags_mask, flags_mod;	/* mod: 0 exact, '+', '*', '!' */
	uint16_t nsm, nfb;
	struct ids_sm sm[IDS_SM_MAX];
	struct ids_flowbit *fb;
	/* threshold / detection_filter */
	uint8_t thr_type, thr_by_dst;
	uint32_t thr_count, thr_seconds;
	/* derived at load */
	uint64_t bufs;		/* bit per enum ids_buf used */
	uint64_t dotprefix;	/* bit per enum ids_buf: '.' prepended */
	int fast;		/* index in sm of the prefilter content; -1 none */
	uint8_t side;		/* 1 TS, 2 TC, 3 either */
	bool app;		/* inspected per transaction (HTTP/DNS/TLS) */
	uint32_t idx;
};

struct ids_var {
	char *name, *value;
};

struct ids_ruleset {
	struct ids_rule **rules;
	uint32_t nrules, cap;
	/* counts */
	uint32_t enabled, loaded, failed;
	uint32_t errors_shown;
	FILE *errf;		/* refusals written here (NULL: quiet) */
	struct ids_var vars[IDS_VARS_MAX];
	uint32_t nvars;
	char *fbnames[IDS_FLOWBITS_MAX];
	uint32_t nfb;
	char dialect;		/* 0 auto, 's' snort3, 'u' suricata */
};

void ids_ruleset_init(struct ids_ruleset *rs);
void ids_ruleset_free(struct ids_ruleset *rs);
/* Sets $NAME (without '$') to VALUE; overrides a default. -1 when full. */
int ids_set_var(struct ids_ruleset *rs, const char *name, const char *value);
/* Parses every rule of text; refusals counted and written to rs->errf. */
void ids_load_text(struct ids_ruleset *rs, const char *text, size_t len, const char *file);
/* One rule (no trailing newline needed). 0 loaded, -1 refused (why: keyword
 * and reason), 1 not a rule (comment, blank). */
int ids_parse_rule(struct ids_ruleset *rs, const char *text, size_t len, const char *file,
		   unsigned line, struct ids_rule **out, char *why, size_t whylen);
void ids_rule_free(struct ids_rule *r);
const char *ids_class_desc(const char *classtype, int *prio);
bool ids_addr_match(const struct ids_addrs *as, const uint8_t *a, unsigned alen);
bool ids_port_match(const struct ids_ports *ps, uint16_t port);
/* v compared with a (and b for CMP_RANGE) as cmp says. */
bool ids_cmp_ok(uint8_t cmp, int64_t v, int64_t a, int64_t b);

/* ---- reassembly ---------------------------------------------------------- */

struct ids_seg {
	uint32_t seq, len;
	uint8_t *data;
};

/* One direction of a TCP stream. */
struct ids_stream {
	bool init;		/* base known */
	uint32_t next;		/* the next in-order sequence number */
	uint8_t *buf;		/* the window: buf[0 .. len) ends at seq `next` */
	uint32_t len, cap;
	uint64_t total;		/* in-order bytes ever appended */
	struct ids_seg ooo[IDS_OOO_SEGS_MAX];
	uint32_t nooo, ooo_bytes;
	uint64_t ooo_dropped, overlaps;
};

struct ids_reasm_stats {
	uint64_t mem, memcap_hits, ooo_dropped, overlaps;
};

/* Sets the stream's base: the next expected sequence number. */
void ids_stream_start(struct ids_stream *s, uint32_t next);
/* Adds a segment; returns the number of new in-order bytes (now at the end of
 * s->buf). Overlaps keep the bytes first received (Suricata's default). */
uint32_t ids_stream_add(struct ids_stream *s, uint32_t seq, const uint8_t *data, uint32_t len,
			struct ids_reasm_stats *st);
void ids_stream_free(struct ids_stream *s, struct ids_reasm_stats *st);

/* ---- detection (offline) ------------------------------------------------- */

struct ids_engine;
struct ids_opts {
	bool no_csum, midstream;
	FILE *eve;
};
struct ids_engine *ids_engine_new(struct ids_ruleset *rs, const struct ids_opts *o, char *err,
				  size_t errlen);
void ids_engine_frame(struct ids_engine *e, const uint8_t *frame, size_t len, uint64_t ts_ns);
void ids_engine_finish(struct ids_engine *e);
void ids_engine_stats(struct ids_engine *e, FILE *f);
void ids_engine_free(struct ids_engine *e);

/* Matching one rule's items for one buffer (exposed for the unit tests). */
struct ids_bufv {
	const uint8_t *p;
	uint32_t len;
	bool present;
};
bool ids_match_buf(const struct ids_rule *r, unsigned buf, const uint8_t *p, uint32_t len,
		   uint32_t min_end);

/* The subcommands (ids_cmd.c). */
int ids_cmd(int argc, char **argv);
int ids_cmd_check(int argc, char **argv);

#endif
