/* SPDX-License-Identifier: MIT */
/*
 * The ids layer's policy blob (docs/ids.md, "In-line layer"): written by
 * rampart-policy compile (tools/policy/ids_blob.c) from a Snort 3 /
 * Suricata rule file, read by the ids layer (src/layer/idsl.c) from a page
 * the root sealed. Fixed-size records, no pointers, little-endian integers
 * as on x86-64; offsets count from the blob's start and are multiples of 8.
 *
 *   header | rules[nrules] | patterns[npatterns] | addrs[naddrs]
 *          | ports[nports] | fbs[nfbs] | items[nitems] | content bytes
 *          | hix[nhix] | hall[nhall]
 *          | Hyperscan database | pcres[npcre] | PCRE2 codes
 *
 * Each pattern is one positive `content` of one rule; a rule is a
 * candidate on a frame when every one of its patterns matched in the
 * frame's L4 payload (Hyperscan, the prefilter). A rule with relative,
 * negated, startswith or endswith contents is walked: it has one pattern
 * (its fast pattern, as Suricata picks it) and items: every content of it
 * (negated ones too) in rule order, with its bytes and modifiers, which
 * the layer walks over the payload of a candidate frame as Suricata does
 * (src/ids/walk.h); it fires when the walk matches, its
 * protocol, addresses and ports are the frame's (a rule's address and port
 * lists are runs of addrs[] and ports[], shared by rules with the same
 * list), its flow conditions hold for the frame's flow (the layer's flow
 * table, src/layer/idsl.c), its flowbits checks hold on that flow, and
 * then each of its pcres matches
 * (does not, when negated) the payload, or with `R` the payload after the
 * end of the match of the content before it (the walk's match in a walked
 * rule, else the first Hyperscan reported). A rule's threshold then says whether it alerts
 * and whether its drop applies (src/ids/thr.h). A rule without contents
 * (a header-only rule: addresses, ports, flow, packet fields, flowbits,
 * threshold; ET's IP reputation lists) is a candidate on every frame its
 * address index names (hix[]: each of its positive entries on one side,
 * the frame's address of that side masked to the entry's prefix and
 * looked up) or, with no positive entry on either side, on every frame
 * (hall[]); it is then confirmed as any other. The database is
 * Hyperscan's serialized form (hs_serialize_database) of every pattern,
 * compiled for the generic x86-64 platform (no AVX), pattern id = index in
 * patterns[]. The PCRE2 codes are pcre2_serialize_encode's bytes of every
 * pcre, code i = pcres[i] (PCRE2 checks their magic, version, code-unit
 * width and pointer size; their insides it trusts, as it trusts its
 * compiler: the blob is the policy compiler's, measured by the root).
 */
#ifndef RAMPART_IDS_BLOB_H
#define RAMPART_IDS_BLOB_H

#include <stdint.h>

#define IDS_BLOB_MAGIC 0x53444952u /* "RIDS" */
#define IDS_BLOB_VERSION 10u
/* Rules in one blob: the per-frame bookkeeping is one word per rule, and
 * ET's whole open set is about 40,000 rules. */
#define IDS_BLOB_RULES_MAX 65536u
/* Contents per rule (ids.h allows 64 detection items per rule). */
#define IDS_BLOB_CONTENTS_MAX 64u
/* Port ranges and addresses per side of a rule (the parser's own limits,
 * tools/policy/ids.h): each is one comparison for each frame a rule's
 * contents matched, never for every frame. */
#define IDS_BLOB_PORTS_MAX 128u
#define IDS_BLOB_ADDRS_MAX 256u
/* The rule's msg as logged: longer ones are cut (an alert line is one
 * RP_HC_LOG of at most RP_MAX_LOG bytes). */
#define IDS_BLOB_MSG_MAX 124u
/* The serialized databases, all buffers together: a layer deserializes
 * them into its own memory, beside the scratch space, in its arena
 * (IDSL_ARENA, src/layer/idsl.c), at about their serialized size. ET
 * Open's rules that load in-line with the HTTP requests' and responses'
 * buffers, the DNS query names and the TLS server names take 7.5 MB
 * (docs/ids.md; Snort 3's community rules 2.7 MB), and its arena about
 * 11 MiB of the 16 with the scratch, the per-rule words, the pcres' codes
 * and the threshold table.
 * A blob near every limit at once would not fit the arena: the layer then
 * refuses it at start (nothing crosses), never in part. */
#define IDS_BLOB_DB_MAX (12u << 20)
/* pcres per rule (a rule has at most 64 items, ids.h; ET's rules have a
 * few): each one the prefilter lets through is one pcre2_match. */
#define IDS_BLOB_PCRES_MAX 8u
/* The serialized PCRE2 codes: decoded into the layer's arena, beside
 * Hyperscan's database (src/layer/idsl.c), at about this size again. ET
 * Open's 2,957 in-line pcres (with the HTTP buffers, DNS, TLS and bsize)
 * take 1.6 MB, its arena then 9.5 MB of the 10 MiB. */
#define IDS_BLOB_PCRE_MAX (2u << 20)
/* Flowbits the layer keeps per flow (the names the in-line rules use,
 * numbered by the compiler): 256 bits, 32 bytes for each of the flow
 * table's FW_CT_MAX flows (512 KiB). A rule past them is not loaded. */
#define IDS_BLOB_FLOWBITS_MAX 256u
/* flowbits operations per rule (the parser's limit) and names per one. */
#define IDS_BLOB_FB_PER_RULE 16u
#define IDS_BLOB_FB_NAMES 8u
/* A walked content's length (the parser's IDS_PATTERN_MAX): each walk
 * step searches at most this many bytes at each place of the payload. */
#define IDS_BLOB_CONTENT_LEN_MAX 4096u
/* An `isdataat` value in-line: a buffer is at most a 64 KiB frame (or a
 * stream's window of one). */
#define IDS_BLOB_ISDATAAT_MAX 65535
/* A byte_test's or byte_jump's offset and a byte_jump's post_offset
 * in-line (either sign): a buffer is at most a 64 KiB frame, so a larger
 * one only ever fails; the parser's content modifiers have the same. */
#define IDS_BLOB_BYTE_OFF_MAX 65535
/* A byte_jump's multiplier in-line: 1 .. this (Suricata's range). */
#define IDS_BLOB_BYTE_MULT_MAX 65535
/* Bytes a byte_test or byte_jump reads (the parser's): at most 10 as
 * text (a number of 10 digits fits 64 bits in bases 8, 10 and 16), at
 * most 8 as a binary number. */
#define IDS_BLOB_BYTE_STR_MAX 10u
#define IDS_BLOB_BYTE_BIN_MAX 8u
/* The walked contents' bytes, all rules together (ET's and Snort's sets
 * have a few hundred KiB of contents in all). */
#define IDS_BLOB_BYTES_MAX (1u << 20)
/* The buffers a content or pcre inspects: the packet payload, one of an
 * HTTP/1 request's (src/ids/http.h), as the offline engine names them
 * (tools/policy/ids.h's enum ids_buf, the same values up to
 * IDS_BUF_START), or a DNS query name or a TLS ClientHello's server name
 * (src/ids/app.h), each also as `dotprefix` makes it ('.' before it: a
 * buffer of its own, so that its patterns are prefiltered as they match).
 * Each buffer has its own Hyperscan database (dbs[] in the header): a
 * frame costs one scan per buffer present (a DNS query one per question
 * name). */
enum ids_blob_buf {
	IDS_BUF_PKT, IDS_BUF_URI, IDS_BUF_URI_RAW, IDS_BUF_METHOD, IDS_BUF_HOST, IDS_BUF_HOST_RAW,
	IDS_BUF_UA, IDS_BUF_COOKIE, IDS_BUF_REQ_BODY, IDS_BUF_REQ_LINE, IDS_BUF_REFERER,
	IDS_BUF_CONTENT_TYPE, IDS_BUF_ACCEPT, IDS_BUF_ACCEPT_LANG, IDS_BUF_ACCEPT_ENC,
	IDS_BUF_CONNECTION, IDS_BUF_CONTENT_LEN, IDS_BUF_HEADER_NAMES, IDS_BUF_HEADER,
	IDS_BUF_HEADER_RAW, IDS_BUF_PROTOCOL, IDS_BUF_START,
	IDS_BUF_DNS_QUERY, IDS_BUF_DNS_QUERY_DOT, IDS_BUF_TLS_SNI, IDS_BUF_TLS_SNI_DOT,
	/* an HTTP/1 response's own (src/ids/http.h): its status code and
	 * message, its status line, Server, Location, and its body
	 * (file.data, http.response_body) */
	IDS_BUF_STAT_CODE, IDS_BUF_STAT_MSG, IDS_BUF_RESP_LINE, IDS_BUF_SERVER, IDS_BUF_LOCATION,
	IDS_BUF_FILE_DATA,
	IDS_BLOB_BUFS
};
/* Whether buffer b is one of an HTTP response rule's (IDS_BLOB_HTTP_TC):
 * the response's own, or one a request and a response both have (the
 * cookie, which a response's Set-Cookie gives, the content type and
 * length, Connection, the header block's buffers, the protocol). */
static inline int ids_blob_resp_buf(unsigned b)
{
	return (b >= IDS_BUF_STAT_CODE && b <= IDS_BUF_FILE_DATA) || b == IDS_BUF_COOKIE ||
	       b == IDS_BUF_CONTENT_TYPE || b == IDS_BUF_CONTENT_LEN || b == IDS_BUF_CONNECTION ||
	       b == IDS_BUF_HEADER_NAMES || b == IDS_BUF_HEADER || b == IDS_BUF_HEADER_RAW ||
	       b == IDS_BUF_PROTOCOL || b == IDS_BUF_START;
}
/* pcres[].after when the pcre is not relative. */
#define IDS_BLOB_NONE 0xffffffffu

enum ids_blob_action { IDS_BLOB_ALERT = 1, IDS_BLOB_DROP = 2 };
/* A rule's flow conditions (Suricata's `flow`, the offline engine's FL_*
 * values): to_server is from the side that opened the flow. */
enum ids_blob_flow {
	IDS_BLOB_TO_SERVER = 0x01, IDS_BLOB_TO_CLIENT = 0x02, IDS_BLOB_ESTABLISHED = 0x04,
	IDS_BLOB_NOT_ESTABLISHED = 0x08, IDS_BLOB_STATELESS = 0x10, IDS_BLOB_NO_STREAM = 0x40
};
#define IDS_BLOB_FLOW_ALL 0x5fu
enum ids_blob_field {
	IDS_BLOB_F_DSIZE = 1, IDS_BLOB_F_FLAGS = 2, IDS_BLOB_F_ITYPE = 4, IDS_BLOB_F_ICODE = 8,
	IDS_BLOB_F_IPPROTO = 16, IDS_BLOB_F_BSIZE = 32
};
#define IDS_BLOB_F_ALL 0x3fu
/* The offline engine's comparisons (its enum ids_cmp, the same values):
 * v = a, v < a, v > a, v <= a, v >= a, a < v < b, v & a, v ^ a, v != a. */
enum ids_blob_cmp {
	IDS_BLOB_EQ, IDS_BLOB_LT, IDS_BLOB_GT, IDS_BLOB_LE, IDS_BLOB_GE, IDS_BLOB_RANGE,
	IDS_BLOB_AND, IDS_BLOB_OR, IDS_BLOB_NE
};

/* ids_blob_item.flags: the offline engine's CT_* values (tools/policy/ids.h).
 * DISTANCE and WITHIN come with RELATIVE (measured from the end of the
 * previous content's match); OFFSET and DEPTH alone are from the payload's
 * start. */
enum ids_blob_item_flag {
	IDS_BLOB_I_NOCASE = 0x01, IDS_BLOB_I_NEGATED = 0x02, IDS_BLOB_I_OFFSET = 0x04,
	IDS_BLOB_I_DEPTH = 0x08, IDS_BLOB_I_DISTANCE = 0x10, IDS_BLOB_I_WITHIN = 0x20,
	IDS_BLOB_I_STARTSWITH = 0x40, IDS_BLOB_I_ENDSWITH = 0x80, IDS_BLOB_I_RELATIVE = 0x200,
	/* not a content: `isdataat` (len 0, no bytes, no pattern), offset its
	 * value, with RELATIVE (after the previous content's match) and
	 * NEGATED only: data at offset (RELATIVE: offset bytes after the
	 * previous match) is there, or with NEGATED is not */
	IDS_BLOB_I_ISDATAAT = 0x8000,
	/* not a content either (len 0, no bytes, no pattern): `byte_test`
	 * and `byte_jump`, their fields in the item's byte_* fields and
	 * offset, with RELATIVE (offset from the previous match's end) and,
	 * byte_test only, NEGATED (the comparison's '!') */
	IDS_BLOB_I_BYTE_TEST = 0x4000, IDS_BLOB_I_BYTE_JUMP = 0x2000,
	/* not a content: a pcre of a walked rule (len 0, no bytes), pat its
	 * index in pcres[] (flagged IDS_BLOB_PCRE_WALKED), with RELATIVE (its
	 * subject starts at the previous match's end, so that ^ anchors
	 * there) and NEGATED; matched in the walk, where a later item
	 * relative to it fails and the walk tries its next match, as the
	 * offline engine's walk does */
	IDS_BLOB_I_PCRE = 0x1000
};
#define IDS_BLOB_I_ALL 0x82ffu
/* The items that are no content: a failure passes through them to the
 * content before, as a negated content's does (a positive pcre's is
 * tried again from its next match). */
#define IDS_BLOB_I_NOT_CONTENT                                                            \
	(IDS_BLOB_I_ISDATAAT | IDS_BLOB_I_BYTE_TEST | IDS_BLOB_I_BYTE_JUMP | IDS_BLOB_I_PCRE)
/* ids_blob_item.byte_flags (a byte_test's or byte_jump's options, the
 * offline engine's struct ids_sm fields): LITTLE (a binary number's
 * byte order; none: big endian), STRING (the bytes are text, read in
 * byte_base 8, 10 or 16 as strtoull reads them), and byte_jump's ALIGN (to
 * 4) and FROM_BEGINNING (from the buffer's start, not the bytes' end). */
enum ids_blob_byte_flag {
	IDS_BLOB_B_LITTLE = 0x01, IDS_BLOB_B_STRING = 0x02, IDS_BLOB_B_ALIGN = 0x04,
	IDS_BLOB_B_FROM_BEGINNING = 0x08
};
/* A rule's threshold or detection_filter (the offline engine's THR_*
 * values): Suricata's types; track by_src or by_dst. */
enum ids_blob_thr {
	IDS_BLOB_THR_NONE, IDS_BLOB_THR_LIMIT, IDS_BLOB_THR_THRESHOLD, IDS_BLOB_THR_BOTH,
	IDS_BLOB_THR_DETECTION
};

/* ids_blob_rule.flags: flowbits:noalert (its actions still apply, as in
 * Suricata 7: a drop drops, silently); HTTP: the rule inspects an HTTP
 * request's buffers (every content and pcre of it is in one), so it fires
 * only on a TCP segment that holds a request's line (src/ids/http.h); DNS:
 * every content and pcre of it is in a DNS query name's buffers (a UDP
 * rule: it fires on a query to or from port 53, src/ids/app.h); TLS:
 * every one in the server name's (a TCP rule: it fires on a segment that
 * starts with a ClientHello). At most one of HTTP, DNS, TLS. */
enum ids_blob_rule_flag {
	IDS_BLOB_NOALERT = 1, IDS_BLOB_HTTP = 2, IDS_BLOB_DNS = 4, IDS_BLOB_TLS = 8,
	/* with HTTP: the rule is on a response's buffers (ids_blob_resp_buf),
	 * from the server of a flow the layer saw opened */
	IDS_BLOB_HTTP_TC = 16,
	/* a payload rule (no app-layer buffer) of `alert http`: it fires only
	 * on a TCP flow taken for HTTP (its first data a request from the
	 * client, or a response from the server, as the offline engine takes
	 * it), from the segment that took it on */
	IDS_BLOB_ON_HTTP = 32
};
/* The flags that make a rule an app-layer rule (no payload buffer). */
#define IDS_BLOB_APP (IDS_BLOB_HTTP | IDS_BLOB_DNS | IDS_BLOB_TLS)
/* A flowbits operation (Suricata's): the checks run before the pcres, the
 * changes once the rule matched. `any`: a|b (one of them), else a&b. */
enum ids_blob_fb_op {
	IDS_BLOB_FB_SET, IDS_BLOB_FB_UNSET, IDS_BLOB_FB_TOGGLE, IDS_BLOB_FB_ISSET,
	IDS_BLOB_FB_ISNOTSET
};

/* A rule's protocol: IP matches every IP frame. */
enum ids_blob_proto { IDS_BLOB_IP = 0, IDS_BLOB_TCP = 6, IDS_BLOB_UDP = 17, IDS_BLOB_ICMP = 1 };

struct ids_blob_hdr {
	uint32_t magic, version;
	uint32_t size;          /* of the whole blob */
	uint32_t nrules, npatterns;
	uint32_t rule_off, pattern_off;
	uint32_t not_loaded;    /* rules of the file left out (the compiler said why) */
	uint32_t npcre, pcre_off; /* the pcres table */
	uint32_t pcre_code_off, pcre_code_size; /* 0, 0 when npcre is 0 */
	uint32_t naddrs, addr_off, nports, port_off;
	uint32_t nfbs, fb_off; /* the flowbits operations, rule after rule */
	uint32_t nitems, item_off; /* the walked contents, rule after rule */
	uint32_t bytes_off, bytes_size; /* their bytes */
	uint32_t nhix, hix_off; /* the header-only rules' address index */
	uint32_t nhall, hall_off; /* the header-only rules on every frame */
	/* One serialized Hyperscan database per buffer (enum ids_blob_buf),
	 * each 8-byte aligned; size 0: no pattern in that buffer. Their sizes
	 * together at most IDS_BLOB_DB_MAX. */
	struct ids_blob_db {
		uint32_t off, size;
	} dbs[IDS_BLOB_BUFS];
};

struct ids_blob_port {
	uint16_t lo, hi;
	uint8_t neg, pad[3];
};

/* An address prefix: af 4 or 6, the first `bits` bits of a[]. */
struct ids_blob_addr {
	uint8_t af, neg, bits, pad;
	uint8_t a[16];
};

/* A list is matched as Suricata does: one positive entry (or no positive
 * entry at all) and no negated one; `any` in a list is written as its
 * negated entries alone. */
struct ids_blob_rule {
	uint32_t sid, rev;
	uint8_t action, proto, bidir, ncontents;
	uint8_t npcre;          /* 0 .. IDS_BLOB_PCRES_MAX */
	uint8_t flow;           /* enum ids_blob_flow */
	uint8_t nfb;            /* 0 .. IDS_BLOB_FB_PER_RULE, in fbs[] after the
				 * previous rules' */
	uint8_t flags;          /* enum ids_blob_rule_flag */
	uint32_t line;          /* in the rule file */
	uint32_t src, dst;      /* first entry in addrs[] */
	uint16_t nsrc, ndst;    /* 0: any */
	uint32_t sport, dport;  /* first entry in ports[] */
	uint16_t nsport, ndport; /* 0: any */
	/* The packet's fields (enum ids_blob_field says which apply): dsize
	 * (the payload's length), flags (TCP: tcp_set compared after clearing
	 * tcp_mask, tcp_mod 0 exact, '+' all, '*' any, '!' none), itype, icode,
	 * ip_proto; comparisons as enum ids_blob_cmp, b only for a range. */
	uint8_t fields, ipproto;
	uint8_t tcp_set, tcp_mask, tcp_mod;
	uint8_t dsize_cmp, itype_cmp, icode_cmp;
	uint16_t dsize_a, dsize_b;
	uint8_t itype_a, itype_b, icode_a, icode_b;
	uint8_t nitems;         /* 0: not walked; else every content, in items[]
				 * after the previous rules' */
	uint8_t thr_type;       /* enum ids_blob_thr */
	uint8_t thr_by_dst;     /* track by_dst (1) or by_src (0) */
	uint8_t pad;
	uint32_t thr_count, thr_seconds; /* count >= 1 with a type; seconds 0: for ever */
	/* With IDS_BLOB_F_BSIZE: the length of buffer bsize_buf (an app-layer
	 * buffer as it is, not the payload, not a dotprefix one) compared as
	 * bsize_cmp (EQ .. RANGE) with bsize_a (and bsize_b): `bsize` and
	 * `urilen`; a rule whose buffer is absent does not match. */
	uint8_t bsize_buf, bsize_cmp;
	uint16_t bsize_a, bsize_b;
	uint8_t pad2[6];
	char msg[IDS_BLOB_MSG_MAX]; /* NUL-terminated */
};

/* One content of a walked rule: bytes[at .. at + len) of the content
 * bytes; pat the rule's pattern when this content is its fast pattern,
 * else IDS_BLOB_NONE. offset, depth, within >= 0; distance may be negative
 * (Suricata's). A byte_test or byte_jump item (IDS_BLOB_I_BYTE_*) reads
 * byte_n bytes at offset (either sign, RELATIVE: from the previous
 * match's end) and has the byte_* fields; every other item has them 0.
 * In an HTTP rule, items on the payload's buffer (IDS_BUF_PKT: the rule's
 * packet contents, and its pcres and byte_* on it) are walked over the
 * message's header block (http.start's bytes), and when they fail there
 * over its body as it came (dechunked, never inflated), as the offline
 * engine matches them; such a rule's pattern is always in an HTTP
 * buffer. */
struct ids_blob_item {
	uint32_t at;
	uint16_t len, flags; /* len 1 .. IDS_BLOB_CONTENT_LEN_MAX; enum ids_blob_item_flag */
	int32_t offset, depth, distance, within;
	uint32_t pat;
	uint8_t buf, pad[3]; /* enum ids_blob_buf: a rule's items are grouped by buffer, in
			      * increasing order, each group walked over its buffer */
	/* byte_test: the number read compared (as a signed 64-bit value)
	 * with byte_value by byte_cmp (EQ .. GE, AND, OR). byte_jump: the
	 * number times byte_mult (1 .. IDS_BLOB_BYTE_MULT_MAX), aligned,
	 * from the bytes' end (or the start), plus byte_post, is the
	 * previous match's end for the items after it. */
	int64_t byte_value;
	int32_t byte_mult, byte_post;
	uint8_t byte_n;     /* 1 .. IDS_BLOB_BYTE_STR_MAX as text, .. _BIN_MAX else */
	uint8_t byte_base;  /* 8, 10 or 16 as text, else 0 */
	uint8_t byte_cmp;   /* enum ids_blob_cmp */
	uint8_t byte_flags; /* enum ids_blob_byte_flag */
	uint8_t pad2[4];
};

struct ids_blob_fb {
	uint8_t op, any, n, pad; /* n: 1 .. IDS_BLOB_FB_NAMES */
	uint16_t bit[IDS_BLOB_FB_NAMES]; /* each < IDS_BLOB_FLOWBITS_MAX */
};

/* A header-only rule's entry in the address index: the frame's source
 * (side 0) or destination (side 1) address, of family af, matches when
 * its first `bits` bits are a[] (whose other bits are 0). Sorted by side,
 * af, bits, a, rule: a frame looks up each (side, af, bits) run present
 * once, by binary search. */
struct ids_blob_hix {
	uint32_t rule; /* index in rules[], a rule without contents */
	uint8_t side, af, bits, pad;
	uint8_t a[16];
};
/* Index entries (the positive addresses of header-only rules): ET's IP
 * reputation rules have about 18,000; each costs 24 bytes of blob. A
 * frame costs one binary search per prefix length present and a header
 * check per entry found (at most 17 on ET's: the rules' own lists decide,
 * the operator's, never the guest's). */
#define IDS_BLOB_HIX_MAX (1u << 20)

/* Patterns are in rule order: rule i's contents follow rule i - 1's. */
struct ids_blob_pattern {
	uint32_t rule; /* index in rules[] */
	uint8_t buf, pad[3]; /* enum ids_blob_buf: the database it is in */
};

/* Patterns' rules in rule order too; `after`, for a relative pcre (`R`),
 * the rule's item just before it in its buffer: its index in items[] in a
 * walked rule (a content, negated too, an isdataat, a byte_test or a
 * byte_jump: the walk's previous match after it), else the content's in
 * patterns[]. */
/* WALKED: the pcre is an item of its walked rule (IDS_BLOB_I_PCRE, which
 * carries its RELATIVE and NEGATED), matched in the walk, not after it;
 * then alone, with `after` IDS_BLOB_NONE. */
enum ids_blob_pcre_flag {
	IDS_BLOB_PCRE_RELATIVE = 1, IDS_BLOB_PCRE_NEGATED = 2, IDS_BLOB_PCRE_WALKED = 4
};
struct ids_blob_pcre {
	uint32_t rule;  /* index in rules[] */
	uint32_t after; /* IDS_BLOB_NONE unless relative */
	uint8_t flags;  /* enum ids_blob_pcre_flag */
	uint8_t buf;    /* enum ids_blob_buf: its subject (a relative one: the buffer of
			 * the content before it) */
	uint8_t pad[6];
};

/* 0 when blob[0 .. size) is a well-formed ids blob (blob.c), else -1 and
 * *why says what is wrong. blob must be 8-byte aligned. */
int ids_blob_check(const void *blob, uint64_t size, const char **why);
/* The bits of byte i of an address that its first `bits` bits keep (the
 * prefix's mask, one byte of it). */
static inline uint8_t ids_blob_prefix_mask(unsigned bits, unsigned i)
{
	unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0;

	return (uint8_t)(0xff00u >> keep);
}
/* The index's order (struct ids_blob_hix): <0, 0, >0. */
int ids_blob_hix_cmp(const struct ids_blob_hix *x, const struct ids_blob_hix *y);
/* Which side of header-only rule r (its lists in addrs) is indexed: 0 its
 * source list, 1 its destination list (the one whose widest positive entry
 * is narrowest, the source on a tie), 2 none (no positive entry on either
 * side: the rule is on every frame). A frame matches a list only through
 * one of its positive entries when it has one, so the index finds every
 * frame such a rule can match. */
int ids_blob_hix_side(const struct ids_blob_addr *addrs, const struct ids_blob_rule *r);
/* x: the index entry of rule's address entry e on side, its prefix alone. */
void ids_blob_hix_key(struct ids_blob_hix *x, uint32_t rule, uint8_t side,
		      const struct ids_blob_addr *e);
/* What of checked blob h needs the TSC's rate, so that the layer refuses
 * to start without one: "thresholds" (their clock), "pcres" (their
 * deadline, pcrert.h: the steps alone let a counted repeat run for about a
 * second over one 64 KiB frame), or NULL. */
const char *ids_blob_needs_clock(const struct ids_blob_hdr *h);

#endif
