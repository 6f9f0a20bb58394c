/* SPDX-License-Identifier: MIT */
/*
 * The ids layer's blob (src/ids/blob.h) from a Snort 3 / Suricata rule
 * file: the rules the in-line layer can enforce, their `content`s as one
 * Hyperscan database (block mode, compiled for the generic x86-64
 * platform, which the layer's SSE runtime accepts), their pcres as PCRE2's
 * serialized codes (the layer's interpreter decodes them).
 *
 * Invariants:
 *  1. A rule is in the blob only when the layer enforces all of it: its
 *     action (alert, drop), protocol (ip, tcp, udp, icmp), addresses and
 *     ports (lists, negation, CIDR, IPv6, variables expanded here, with
 *     the stack file's values over Suricata's defaults), `flow` (but
 *     only_stream: the layer inspects packets, not streams), at least one
 *     positive content over the packet payload, contents with nocase,
 *     offset, depth, distance, within, startswith, endswith and negation
 *     (a rule with relative, negated, startswith or endswith contents,
 *     isdataat, byte_test or byte_jump is walked by the layer,
 *     src/ids/walk.h; one of them measured from a pcre's match is not),
 *     pcres over the packet payload (flags i s m x A E G B O, R
 *     after a positive content, negation), threshold and detection_filter
 *     (src/ids/thr.h), dsize, flags, itype, icode, ip_proto (values
 *     within a packet's fields), flowbits (set, unset, toggle, isset, isnotset,
 *     noalert) when every bit a rule checks is set or toggled by a rule
 *     loaded in-line too (else isnotset would hold for ever, isset never)
 *     and the names fit the layer's table (IDS_BLOB_FLOWBITS_MAX). Any
 *     other keyword (pcre buffer flags, the app-layer buffers not parsed
 *     in-line...) leaves the rule out, reported with its file:line, sid and why: a
 *     rule is never enforced in part.
 *  2. A rule the parser refuses stops the compile (as a firewall ruleset
 *     with an error does): what runs is what the operator wrote or nothing.
 *  3. The blob passes ids_blob_check before it is returned.
 */
#include "ids_blob.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs/hs.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "ids/blob.h"

_Static_assert(CT_NOCASE == IDS_BLOB_I_NOCASE && CT_NEGATED == IDS_BLOB_I_NEGATED &&
		       CT_OFFSET == IDS_BLOB_I_OFFSET && CT_DEPTH == IDS_BLOB_I_DEPTH &&
		       CT_DISTANCE == IDS_BLOB_I_DISTANCE && CT_WITHIN == IDS_BLOB_I_WITHIN &&
		       CT_STARTSWITH == IDS_BLOB_I_STARTSWITH &&
		       CT_ENDSWITH == IDS_BLOB_I_ENDSWITH && CT_RELATIVE == IDS_BLOB_I_RELATIVE,
	       "the parser's content flags are not the blob's");
_Static_assert((int)THR_LIMIT == (int)IDS_BLOB_THR_LIMIT &&
		       (int)THR_THRESHOLD == (int)IDS_BLOB_THR_THRESHOLD &&
		       (int)THR_BOTH == (int)IDS_BLOB_THR_BOTH &&
		       (int)THR_DETECTION == (int)IDS_BLOB_THR_DETECTION,
	       "the parser's threshold types are not the blob's");

/* The content flags a walked rule needs the walk for (Hyperscan's offsets
 * say all of the others). */
#define WALKED (CT_NEGATED | CT_RELATIVE | CT_STARTSWITH | CT_ENDSWITH)
#define WALK_KEPT                                                                           \
	(CT_NOCASE | CT_NEGATED | CT_OFFSET | CT_DEPTH | CT_DISTANCE | CT_WITHIN | CT_STARTSWITH | \
	 CT_ENDSWITH | CT_RELATIVE)

/* A byte_test or byte_jump: an item of the walk that is no content. */
static bool byte_item(const struct ids_sm *m)
{
	return m->kind == SM_BYTE_TEST || m->kind == SM_BYTE_JUMP;
}

/* Whether rule r is walked: a content with a relative or negated
 * modifier, startswith or endswith, an isdataat, a byte_*, or a relative
 * pcre (so that the walk tries it after every occurrence of the content
 * before it, as the offline engine does: after the first alone, a decoy
 * occurrence earlier in the payload hid the one it hangs on). */
static bool app_rule(const struct ids_rule *r);

/* Whether r is an app-layer rule with packet contents too (an HTTP rule's:
 * matched against its message's header block, or else its body, as the
 * offline engine's match_bufs does): walked, those contents items on the
 * payload's buffer that the layer walks over the message's. */
static bool msg_pkt(const struct ids_rule *r)
{
	if (!app_rule(r))
		return false;
	for (unsigned i = 0; i < r->nsm; i++)
		if (r->sm[i].buf == IB_PKT)
			return true;
	return false;
}

static bool walked(const struct ids_rule *r)
{
	if (msg_pkt(r))
		return true;
	for (unsigned i = 0; i < r->nsm; i++)
		if ((r->sm[i].kind == SM_CONTENT && (r->sm[i].flags & WALKED)) ||
		    r->sm[i].kind == SM_ISDATAAT || byte_item(&r->sm[i]) ||
		    (r->sm[i].kind == SM_PCRE && (r->sm[i].flags & CT_RELATIVE)))
			return true;
	return false;
}

/* A walked rule's one pattern: its fast pattern, the content marked
 * fast_pattern, else its longest positive content, ties to the first (the
 * offline engine's and Suricata's choice); not_inline: there is one. In an
 * app-layer rule with packet contents, only its app-layer buffers' contents
 * are candidates (the offline engine's prefilter too): its packet contents
 * are looked for in the message, which has no database of its own. */
static unsigned fast_pattern(const struct ids_rule *r)
{
	const bool app_only = msg_pkt(r);
	int best = -1;

	for (unsigned i = 0; i < r->nsm; i++) {
		const struct ids_sm *m = &r->sm[i];

		if (m->kind != SM_CONTENT || (m->flags & CT_NEGATED) ||
		    (app_only && m->buf == IB_PKT))
			continue;
		if (m->flags & CT_FAST)
			return i;
		if (best < 0 || m->len > r->sm[best].len)
			best = (int)i;
	}
	return (unsigned)best;
}

/* The request's buffers the layer parses (src/ids/http.h): the parser's
 * enum ids_buf up to IB_START, the blob's values. */
_Static_assert((int)IB_PKT == (int)IDS_BUF_PKT && (int)IB_URI == (int)IDS_BUF_URI &&
		       (int)IB_RAW_URI == (int)IDS_BUF_URI_RAW && (int)IB_METHOD == (int)IDS_BUF_METHOD &&
		       (int)IB_HOST == (int)IDS_BUF_HOST && (int)IB_RAW_HOST == (int)IDS_BUF_HOST_RAW &&
		       (int)IB_UA == (int)IDS_BUF_UA && (int)IB_COOKIE == (int)IDS_BUF_COOKIE &&
		       (int)IB_REQ_BODY == (int)IDS_BUF_REQ_BODY &&
		       (int)IB_REQ_LINE == (int)IDS_BUF_REQ_LINE &&
		       (int)IB_REFERER == (int)IDS_BUF_REFERER &&
		       (int)IB_CONTENT_TYPE == (int)IDS_BUF_CONTENT_TYPE &&
		       (int)IB_ACCEPT == (int)IDS_BUF_ACCEPT &&
		       (int)IB_ACCEPT_LANG == (int)IDS_BUF_ACCEPT_LANG &&
		       (int)IB_ACCEPT_ENC == (int)IDS_BUF_ACCEPT_ENC &&
		       (int)IB_CONNECTION == (int)IDS_BUF_CONNECTION &&
		       (int)IB_CONTENT_LEN == (int)IDS_BUF_CONTENT_LEN &&
		       (int)IB_HEADER_NAMES == (int)IDS_BUF_HEADER_NAMES &&
		       (int)IB_HEADER == (int)IDS_BUF_HEADER &&
		       (int)IB_RAW_HEADER == (int)IDS_BUF_HEADER_RAW &&
		       (int)IB_PROTOCOL == (int)IDS_BUF_PROTOCOL && (int)IB_START == (int)IDS_BUF_START &&
		       IDS_BUF_DNS_QUERY == IB_START + 1,
	       "the parser's buffers are not the blob's");

/* Whether r inspects an app-layer buffer (the offline engine's r->app). */
static bool app_rule(const struct ids_rule *r)
{
	for (unsigned i = 0; i < r->nsm; i++)
		if (r->sm[i].buf != IB_PKT)
			return true;
	return false;
}

/* The kind of app-layer rule r is by its first app-layer buffer: an HTTP,
 * DNS or TLS rule (its flag in the blob), 0 for a payload rule. */
static unsigned app_kind(const struct ids_rule *r)
{
	for (unsigned i = 0; i < r->nsm; i++) {
		unsigned b = r->sm[i].buf;

		if (b == IB_DNS_QUERY)
			return IDS_BLOB_DNS;
		if (b == IB_TLS_SNI)
			return IDS_BLOB_TLS;
		if (b != IB_PKT)
			return IDS_BLOB_HTTP;
	}
	return 0;
}

/* The sides of a transaction HTTP rule r is on (IDS_SIDE_TS, _TC), as the
 * offline engine reads them: its buffers' and its flow's. */
static unsigned http_side(const struct ids_rule *r)
{
	unsigned side = 0;

	for (unsigned i = 0; i < r->nsm; i++)
		side |= ids_buf_side(r->sm[i].buf);
	if (r->flow & FL_TO_SERVER)
		side |= IDS_SIDE_TS;
	if (r->flow & FL_TO_CLIENT)
		side |= IDS_SIDE_TC;
	return side;
}

/* The blob's buffer for the parser's buffer b in rule r: the same value
 * for the payload and the request's buffers, the response's own (file.data
 * the request's body in a request rule, the response's in a response
 * rule), the DNS query name and the server name as dotprefix makes them (a
 * buffer of their own, '.' before the name) or as they are; IDS_BLOB_BUFS
 * when the layer has none. */
static unsigned blob_buf(const struct ids_rule *r, unsigned b)
{
	if (b <= IB_START)
		return b;
	switch (b) {
	case IB_STAT_CODE: return IDS_BUF_STAT_CODE;
	case IB_STAT_MSG: return IDS_BUF_STAT_MSG;
	case IB_RESP_LINE: return IDS_BUF_RESP_LINE;
	case IB_SERVER: return IDS_BUF_SERVER;
	case IB_LOCATION: return IDS_BUF_LOCATION;
	case IB_RESP_BODY: return IDS_BUF_FILE_DATA;
	case IB_FILE_DATA: return http_side(r) == IDS_SIDE_TC ? IDS_BUF_FILE_DATA : IDS_BUF_REQ_BODY;
	}
	if (b == IB_DNS_QUERY)
		return (r->dotprefix >> b & 1) ? IDS_BUF_DNS_QUERY_DOT : IDS_BUF_DNS_QUERY;
	if (b == IB_TLS_SNI)
		return (r->dotprefix >> b & 1) ? IDS_BUF_TLS_SNI_DOT : IDS_BUF_TLS_SNI;
	return IDS_BLOB_BUFS;
}

/* A length check (bsize, urilen): no place in its buffer, no item. */
static bool length_check(const struct ids_sm *m)
{
	return m->kind == SM_BSIZE || m->kind == SM_URILEN;
}

/* The item before r->sm[i] in its buffer (relative items are measured in
 * their own buffer), or -1. */
static int prev_in_buf(const struct ids_rule *r, unsigned i)
{
	for (unsigned k = i; k-- > 0;)
		if (r->sm[k].buf == r->sm[i].buf && !length_check(&r->sm[k]))
			return (int)k;
	return -1;
}

/* The item that sets the previous match's end r->sm[i] is measured from
 * when relative (the offline engine's walk: a negated content, an
 * isdataat and a byte_test pass it on; a positive content, a pcre and a
 * byte_jump set it), or -1: the buffer's start. */
static int prev_setter(const struct ids_rule *r, unsigned i)
{
	int k = prev_in_buf(r, i);

	while (k >= 0 && ((r->sm[k].kind == SM_CONTENT && (r->sm[k].flags & CT_NEGATED)) ||
			  r->sm[k].kind == SM_ISDATAAT || r->sm[k].kind == SM_BYTE_TEST))
		k = prev_in_buf(r, (unsigned)k);
	return k;
}

/* Why HTTP rule r cannot be enforced in-line, or NULL. A rule is on the
 * request (its buffers the request's, or ones both messages have, with
 * flow:to_server) or on the response (the response's, or shared ones with
 * flow:to_client, or file.data), never on both. */
static const char *http_not_inline(const struct ids_rule *r)
{
	const unsigned side = http_side(r);

	for (unsigned i = 0; i < r->nsm; i++) {
		unsigned b = r->sm[i].buf;

		if (b == IB_DNS_QUERY || b == IB_TLS_SNI)
			return "dns.query or tls.sni with an HTTP buffer in one rule (never matches "
			       "offline: one transaction has not both)";
		if (b == IB_REQ_HEADER || b == IB_RESP_HEADER)
			return "a single header's buffer (http.request_header, "
			       "http.response_header): not in-line yet";
	}
	if (msg_pkt(r)) {
		bool app_content = false;

		for (unsigned i = 0; i < r->nsm; i++)
			app_content = app_content || (r->sm[i].kind == SM_CONTENT &&
						       !(r->sm[i].flags & CT_NEGATED) &&
						       r->sm[i].buf != IB_PKT);
		if (!app_content)
			return "packet contents in an HTTP rule without a positive content in an "
			       "HTTP buffer (the in-line prefilter's): not in-line yet";
	}
	if (r->dotprefix)
		return "dotprefix: not in-line yet";
	if (side == (IDS_SIDE_TS | IDS_SIDE_TC))
		return "an HTTP rule on both the request and the response (offline, the "
		       "transaction's): not in-line";
	if (!side)
		return "an HTTP rule that may match either message (neither a flow direction "
		       "nor a buffer of one side): not in-line yet";
	if (r->flow & FL_NO_STREAM)
		return "flow:no_stream in an HTTP rule (never true of a transaction)";
	if (r->proto != IDS_P_HTTP && r->proto != IDS_P_TCP && r->proto != IDS_P_IP)
		return "an HTTP buffer in a rule of another protocol";
	return NULL;
}

/* Why DNS or TLS rule r (kind: IDS_BLOB_DNS or IDS_BLOB_TLS) cannot be
 * enforced in-line, or NULL. The offline engine inspects a DNS query's
 * names (UDP, port 53 either side) and a ClientHello's server name (a TLS
 * flow's client) per message, with the rule's protocol (dns or tls, udp
 * or tcp as the message's, ip), addresses, ports, flow and flowbits, not
 * the packet's fields. */
static const char *dnstls_not_inline(const struct ids_rule *r, unsigned kind)
{
	const bool dns = kind == IDS_BLOB_DNS;
	unsigned side = IDS_SIDE_TS; /* dns.query and tls.sni are the client's */

	for (unsigned i = 0; i < r->nsm; i++) {
		unsigned b = r->sm[i].buf;

		if (b == IB_PKT)
			return "packet contents in a DNS or TLS rule (matched against an HTTP "
			       "message offline: never with a DNS or TLS one)";
		if (b != (dns ? IB_DNS_QUERY : IB_TLS_SNI))
			return "dns.query or tls.sni with another app-layer buffer in one rule "
			       "(never matches offline: one message has not both)";
	}
	if (dns ? r->proto != IDS_P_DNS && r->proto != IDS_P_UDP && r->proto != IDS_P_IP
		: r->proto != IDS_P_TLS && r->proto != IDS_P_TCP && r->proto != IDS_P_IP)
		return "dns.query or tls.sni in a rule of another protocol (never matches "
		       "offline)";
	if (r->flow & FL_TO_CLIENT)
		side |= IDS_SIDE_TC;
	if (side != IDS_SIDE_TS)
		return "dns.query or tls.sni with flow:to_client (offline tried on the server's "
		       "messages too)";
	if (r->flow & FL_NO_STREAM)
		return "flow:no_stream in a DNS or TLS rule (never true of a message)";
	if (r->has_dsize || r->has_flags || r->has_itype || r->has_icode || r->ipproto)
		return "packet fields (dsize, flags, itype, icode, ip_proto) in a DNS or TLS "
		       "rule (offline not checked per message)";
	return NULL;
}

/* Why rule r cannot be enforced in-line, or NULL. */
static const char *not_inline(const struct ids_rule *r)
{
	const bool app = app_rule(r);
	const unsigned kind = app_kind(r);

	if (r->action != IDS_ALERT && r->action != IDS_DROP)
		return "action: only alert and drop are enforced in-line";
	if ((r->proto == IDS_P_DNS || r->proto == IDS_P_TLS) && !app && r->nsm)
		return "alert dns or alert tls with packet contents only (offline matched on "
		       "the flow's packets once its protocol is known): not in-line yet";
	if (r->proto != IDS_P_IP && r->proto != IDS_P_TCP && r->proto != IDS_P_UDP &&
	    r->proto != IDS_P_ICMP &&
	    !(r->proto == IDS_P_HTTP && (kind == IDS_BLOB_HTTP || (!app && r->nsm))) &&
	    !(r->proto == IDS_P_DNS && kind == IDS_BLOB_DNS) &&
	    !(r->proto == IDS_P_TLS && kind == IDS_BLOB_TLS))
		return "protocol: the app-layer protocols other than http, dns and tls (and "
		       "alert http, dns or tls without a content) are not parsed in-line yet";
	if (app) {
		const char *why = kind == IDS_BLOB_HTTP ? http_not_inline(r)
							: dnstls_not_inline(r, kind);

		if (why)
			return why;
	}
	if (r->src.n > IDS_BLOB_ADDRS_MAX || r->dst.n > IDS_BLOB_ADDRS_MAX)
		return "addresses: a list longer than the in-line limit (256 entries)";
	if (r->sport.n > IDS_BLOB_PORTS_MAX || r->dport.n > IDS_BLOB_PORTS_MAX)
		return "ports: a list longer than the in-line limit (128 ranges)";
	if (r->flow & FL_ONLY_STREAM)
		return "flow:only_stream: the in-line layer inspects packets, not reassembled "
		       "streams (not in-line yet)";
	if (r->nfb > IDS_BLOB_FB_PER_RULE)
		return "flowbits: more operations than the in-line limit";
	if (r->has_dsize && (r->dsize_a < 0 || r->dsize_a > 65535 || r->dsize_b < 0 ||
			     r->dsize_b > 65535))
		return "dsize: a value past the in-line range (0 to 65535)";
	if ((r->has_itype && (r->itype_a < 0 || r->itype_a > 255 || r->itype_b < 0 ||
			      r->itype_b > 255)) ||
	    (r->has_icode && (r->icode_a < 0 || r->icode_a > 255 || r->icode_b < 0 ||
			      r->icode_b > 255)))
		return "itype/icode: a value past the in-line range (0 to 255)";
	if (r->thr_type > THR_DETECTION)
		return "threshold/detection_filter: a type not known in-line";
	if (!r->nsm)
		return NULL; /* header-only: addresses, ports, flow, fields, flowbits */
	if (r->nsm > IDS_BLOB_CONTENTS_MAX)
		return "more contents than the in-line limit";
	unsigned ncontent = 0, nneg = 0, npcre = 0, nlen = 0;
	for (unsigned i = 0; i < r->nsm; i++) {
		const struct ids_sm *m = &r->sm[i];
		const unsigned ok = WALK_KEPT | CT_FAST | CT_FAST_ONLY;

		const int prev = prev_in_buf(r, i);

		if (m->kind == SM_PCRE) {
			/* Flags i s m x A E G (in the code), B and O (no effect on
			 * a packet's bytes), R and negation; the buffer flags
			 * name HTTP buffers (U I P Q H D M C S Y V W Z), which
			 * http_not_inline took. R: after the item before it in its
			 * own buffer (a content, positive or negated, isdataat,
			 * byte_test or byte_jump: the walk's end for it is where
			 * the offline engine's walk has its previous match then; in
			 * a walked rule, a pcre too, or nothing: the walk's). */
			if (!walked(r) && (m->flags & CT_RELATIVE) &&
			    (prev < 0 || r->sm[prev].kind == SM_PCRE))
				return "pcre relative (R) to a pcre, or to nothing before it: not "
				       "in-line yet";
			if (++npcre > IDS_BLOB_PCRES_MAX)
				return "more pcres than the in-line limit (8)";
			continue;
		}
		if (length_check(m)) {
			const unsigned b = blob_buf(r, m->buf);

			if (b == IDS_BUF_PKT)
				return "bsize on the payload: not in-line yet (a stream's window is "
				       "not the packet)";
			if (b == IDS_BUF_DNS_QUERY_DOT || b == IDS_BUF_TLS_SNI_DOT ||
			    b >= IDS_BLOB_BUFS)
				return "bsize on a dotprefix buffer: not in-line yet";
			if (++nlen > 1)
				return "more than one bsize/urilen: not in-line yet";
			if (m->cmp > CMP_RANGE || m->a < 0 || m->a > 65535 || m->b < 0 ||
			    m->b > 65535)
				return "bsize/urilen: a comparison or value past the in-line range "
				       "(0 to 65535)";
			continue;
		}
		/* a walked rule walks its pcres too (items): what is relative
		 * to a pcre's match is measured from it there; in one that is
		 * not walked the pcres run after the contents' prefilter */
		if (!walked(r) && m->kind != SM_PCRE && (m->flags & CT_RELATIVE) &&
		    prev_setter(r, i) >= 0 && r->sm[prev_setter(r, i)].kind == SM_PCRE)
			return "a content relative to a pcre in a rule that is not walked: not "
			       "in-line yet";
		if (m->kind == SM_ISDATAAT) {
			if (m->a < 0 || m->a > IDS_BLOB_ISDATAAT_MAX)
				return "isdataat: a value past the in-line range (0 to 65535)";
			if (m->flags & ~(CT_RELATIVE | CT_NEGATED))
				return "isdataat: a modifier not known in-line";
			continue;
		}
		if (byte_item(m)) {
			const bool test = m->kind == SM_BYTE_TEST;

			if (m->flags & ~(CT_RELATIVE | (test ? CT_NEGATED : 0u)))
				return "byte_test/byte_jump: a modifier not known in-line";
			if (!m->nbytes ||
			    m->nbytes > (m->string ? IDS_BLOB_BYTE_STR_MAX : IDS_BLOB_BYTE_BIN_MAX) ||
			    (m->string && m->base != 8 && m->base != 10 && m->base != 16))
				return "byte_test/byte_jump: a number's size or base not known in-line";
			if (m->offset < -IDS_BLOB_BYTE_OFF_MAX || m->offset > IDS_BLOB_BYTE_OFF_MAX)
				return "byte_test/byte_jump: an offset past the in-line range (-65535 to "
				       "65535)";
			if (test && m->cmp > CMP_GE && m->cmp != CMP_AND && m->cmp != CMP_OR)
				return "byte_test: a comparison not known in-line";
			if (!test && (m->mult < 1 || m->mult > IDS_BLOB_BYTE_MULT_MAX))
				return "byte_jump: a multiplier past the in-line range (1 to 65535)";
			if (!test && (m->post < -IDS_BLOB_BYTE_OFF_MAX || m->post > IDS_BLOB_BYTE_OFF_MAX))
				return "byte_jump: a post_offset past the in-line range (-65535 to 65535)";
			continue;
		}
		if (m->kind != SM_CONTENT)
			return "a detection keyword not known in-line";
		if (m->flags & CT_NEGATED)
			nneg++;
		else
			ncontent++;
		if (m->flags & ~ok)
			return "a content modifier not known in-line";
		if (!m->len || m->len > IDS_BLOB_CONTENT_LEN_MAX)
			return "an empty content, or one longer than the in-line limit (4096)";
		if ((m->flags & CT_DEPTH) && m->depth < (int32_t)m->len)
			return "a depth shorter than its content";
		if (((m->flags & CT_OFFSET) && m->offset < 0) ||
		    ((m->flags & CT_DEPTH) && m->depth < 0) ||
		    ((m->flags & CT_WITHIN) && m->within < 0))
			return "a negative offset, depth or within";
	}
	if (!ncontent && nneg)
		return "negated contents only: the in-line layer needs a positive content to "
		       "prefilter (Hyperscan)";
	if (!ncontent)
		return "pcre without a content: the in-line layer needs a content to "
		       "prefilter (Hyperscan) before pcre confirms";
	return NULL;
}

/* Rules left out, by reason (not_inline's strings, a few dozen): the
 * compiler's report ends with how many each reason kept out. */
#define REASONS_MAX 64u
struct reasons {
	const char *why[REASONS_MAX];
	uint32_t count[REASONS_MAX];
	unsigned n;
};

static void count_reason(struct reasons *r, const char *why)
{
	for (unsigned i = 0; i < r->n; i++)
		if (r->why[i] == why) {
			r->count[i]++;
			return;
		}
	if (r->n < REASONS_MAX) {
		r->why[r->n] = why;
		r->count[r->n++] = 1;
	}
}

static void print_reasons(struct reasons *r, FILE *errf)
{
	for (unsigned done = 0; done < r->n; done++) { /* largest first */
		unsigned best = done;

		for (unsigned i = done + 1; i < r->n; i++)
			if (r->count[i] > r->count[best])
				best = i;
		const char *w = r->why[best];
		uint32_t c = r->count[best];

		r->why[best] = r->why[done];
		r->count[best] = r->count[done];
		r->why[done] = w;
		r->count[done] = c;
		fprintf(errf, "rampart-policy: not loaded in-line: %u: %s\n", c, w);
	}
}

/* A table of list entries (addresses or ports) where rules with the same
 * list share one run: ET's rules name a handful of lists ($HOME_NET,
 * $EXTERNAL_NET, $HTTP_PORTS...) tens of thousands of times. */
struct runs {
	uint8_t *v;          /* entries, each `each` bytes */
	uint32_t n, cap, each;
	uint32_t *first, *len; /* the distinct runs */
	uint32_t nruns, runcap;
};

/* The index in t of a run equal to e[0 .. n), added when new; -1 when out
 * of memory. Runs are few (distinct lists), so a linear look suffices. */
static int64_t runs_add(struct runs *t, const void *e, uint32_t n)
{
	for (uint32_t i = 0; i < t->nruns; i++)
		if (t->len[i] == n && !memcmp(t->v + (size_t)t->first[i] * t->each, e,
					      (size_t)n * t->each))
			return t->first[i];
	if (t->n + n > t->cap) {
		uint32_t cap = (t->n + n) * 2 + 64;
		uint8_t *v = realloc(t->v, (size_t)cap * t->each);

		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	if (t->nruns == t->runcap) {
		uint32_t cap = t->runcap * 2 + 16;
		uint32_t *f = realloc(t->first, cap * sizeof(*f)), *l;

		if (!f)
			return -1;
		t->first = f;
		l = realloc(t->len, cap * sizeof(*l));
		if (!l)
			return -1;
		t->len = l;
		t->runcap = cap;
	}
	memcpy(t->v + (size_t)t->n * t->each, e, (size_t)n * t->each);
	t->first[t->nruns] = t->n;
	t->len[t->nruns++] = n;
	t->n += n;
	return t->first[t->nruns - 1];
}

static void runs_free(struct runs *t)
{
	free(t->v);
	free(t->first);
	free(t->len);
}

static int ports(struct runs *t, uint32_t *first, uint16_t *n, const struct ids_ports *p)
{
	struct ids_blob_port v[IDS_BLOB_PORTS_MAX];
	int64_t at;

	*first = 0;
	*n = 0;
	/* `any` alone, or in a list: every port but the negated ones */
	for (unsigned i = 0; i < p->n; i++)
		if (!p->any || p->v[i].neg)
			v[(*n)++] = (struct ids_blob_port){.lo = p->v[i].lo, .hi = p->v[i].hi,
							   .neg = p->v[i].neg};
	if (!*n)
		return 0;
	at = runs_add(t, v, *n);
	if (at < 0)
		return -1;
	*first = (uint32_t)at;
	return 0;
}

static int addrs(struct runs *t, uint32_t *first, uint16_t *n, const struct ids_addrs *a)
{
	struct ids_blob_addr v[IDS_BLOB_ADDRS_MAX];
	int64_t at;

	*first = 0;
	*n = 0;
	memset(v, 0, sizeof(v));
	for (unsigned i = 0; i < a->n; i++) { /* as ports() for `any` */
		if (a->any && !a->v[i].neg)
			continue;
		v[*n].af = a->v[i].af;
		v[*n].neg = a->v[i].neg;
		v[*n].bits = a->v[i].bits;
		memcpy(v[(*n)++].a, a->v[i].a, 16);
	}
	if (!*n)
		return 0;
	at = runs_add(t, v, *n);
	if (at < 0)
		return -1;
	*first = (uint32_t)at;
	return 0;
}

/* A content as a Hyperscan expression: every byte escaped. */
static char *expression(const struct ids_sm *m)
{
	char *e = malloc((size_t)m->len * 4 + 1), *q = e;

	if (!e)
		return NULL;
	for (uint32_t i = 0; i < m->len; i++)
		q += sprintf(q, "\\x%02x", m->pat[i]);
	return e;
}

static uint32_t align8(uint64_t v)
{
	return (uint32_t)((v + 7) & ~7ull);
}

_Static_assert((int)CMP_EQ == (int)IDS_BLOB_EQ && (int)CMP_RANGE == (int)IDS_BLOB_RANGE &&
		       (int)CMP_NE == (int)IDS_BLOB_NE && (int)CMP_GE == (int)IDS_BLOB_GE &&
		       (int)CMP_AND == (int)IDS_BLOB_AND && (int)CMP_OR == (int)IDS_BLOB_OR,
	       "the parser's comparisons are not the blob's");

static const char fb_unset_why[] =
	"flowbits: checks a bit that no rule loaded in-line sets (the rule setting it is not "
	"in-line)";
static const char fb_full_why[] =
	"flowbits: more names than the in-line table (256)";

/* Which rules load as far as flowbits go (why[i] NULL: loads), and each
 * name's bit (map, by the parser's name id; -1 none): rules whose names
 * would pass IDS_BLOB_FLOWBITS_MAX, then rules checking a bit no loaded
 * rule sets or toggles, are left out, until nothing changes (each round
 * leaves one rule out at least, so at most nrules rounds). -1: out of memory. */
static int flowbits_resolve(const struct ids_ruleset *rs, const char **why, int32_t *map)
{
	bool *set = calloc(IDS_FLOWBITS_MAX, sizeof(*set));
	bool changed = true;

	if (!set)
		return -1;
	while (changed) {
		uint32_t nbits = 0;

		changed = false;
		for (uint32_t k = 0; k < IDS_FLOWBITS_MAX; k++)
			map[k] = -1, set[k] = false;
		for (uint32_t i = 0; i < rs->nrules; i++) {
			const struct ids_rule *r = rs->rules[i];
			uint32_t fresh = 0;

			if (why[i] || !r->nfb)
				continue;
			for (unsigned f = 0; f < r->nfb; f++) /* upper bound: repeats count */
				for (unsigned k = 0; k < r->fb[f].n; k++)
					fresh += map[r->fb[f].ids[k]] < 0;
			if (nbits + fresh > IDS_BLOB_FLOWBITS_MAX) {
				why[i] = fb_full_why;
				changed = true;
				continue;
			}
			for (unsigned f = 0; f < r->nfb; f++)
				for (unsigned k = 0; k < r->fb[f].n; k++) {
					uint32_t id = r->fb[f].ids[k];

					if (map[id] < 0)
						map[id] = (int32_t)nbits++;
					if (r->fb[f].op == FB_SET || r->fb[f].op == FB_TOGGLE)
						set[id] = true;
				}
		}
		for (uint32_t i = 0; i < rs->nrules; i++) {
			const struct ids_rule *r = rs->rules[i];

			if (why[i])
				continue;
			for (unsigned f = 0; f < r->nfb && !why[i]; f++)
				if (r->fb[f].op == FB_ISSET || r->fb[f].op == FB_ISNOTSET)
					for (unsigned k = 0; k < r->fb[f].n; k++)
						if (!set[r->fb[f].ids[k]]) {
							why[i] = fb_unset_why;
							changed = true;
							break;
						}
		}
	}
	free(set);
	return 0;
}

/* A growing array of index entries, at most IDS_BLOB_HIX_MAX. */
struct hixes {
	struct ids_blob_hix *v;
	uint32_t n, cap;
};

/* 0, 1 (past IDS_BLOB_HIX_MAX: refused before it is all built), -1 (out of memory). */
static int hix_add(struct hixes *t, uint32_t rule, uint8_t side, const struct ids_blob_addr *e)
{
	if (t->n == IDS_BLOB_HIX_MAX)
		return 1;
	if (t->n == t->cap) {
		uint32_t cap = t->cap * 2 + 256;
		struct ids_blob_hix *v = realloc(t->v, (size_t)cap * sizeof(*v));

		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	ids_blob_hix_key(&t->v[t->n++], rule, side, e);
	return 0;
}

static int hix_order(const void *a, const void *b)
{
	return ids_blob_hix_cmp(a, b);
}

/* Header-only rule b (index ri; its lists already in at): its entries in
 * the index, on the side ids_blob_hix_side picks (both with `<>`: the list
 * may be either address), or in the every-frame list. 0, 1 (the index is
 * full), -1 (out of memory). */
static int hdr_only_index(struct hixes *t, uint32_t *all, uint32_t *nall, const struct runs *at,
			  const struct ids_blob_rule *b, uint32_t ri)
{
	const struct ids_blob_addr *av = (const struct ids_blob_addr *)at->v;
	const int side = ids_blob_hix_side(av, b);
	const uint32_t first = side ? b->dst : b->src, n = side ? b->ndst : b->nsrc;

	if (side == 2) {
		all[(*nall)++] = ri;
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		int rc;

		if (av[first + i].neg)
			continue;
		rc = hix_add(t, ri, (uint8_t)side, &av[first + i]);
		if (!rc && b->bidir)
			rc = hix_add(t, ri, (uint8_t)!side, &av[first + i]);
		if (rc)
			return rc;
	}
	return 0;
}

int ids_blob_compile(const char *text, size_t len, const char *path, const char *const *vars,
		     unsigned nvars, FILE *errf, struct ids_blob_out *out)
{
	struct hixes hix = {.v = NULL};
	uint32_t *hall = NULL, nhall = 0;
	struct reasons reasons = {.n = 0};
	const char **whys = NULL;
	int32_t *fbmap = NULL;
	struct ids_blob_fb *fbs = NULL;
	uint32_t nfbs = 0, maxfb = 0;
	struct runs at = {.each = sizeof(struct ids_blob_addr)};
	struct runs pt = {.each = sizeof(struct ids_blob_port)};
	struct ids_ruleset rs;
	struct ids_blob_rule *rules = NULL;
	struct ids_blob_pattern *pats = NULL;
	char **exprs = NULL;
	unsigned *flags = NULL, *idv = NULL;
	hs_expr_ext_t *ext = NULL, **extp = NULL;
	uint32_t nrules = 0, npats = 0, maxp = 0;
	hs_database_t *db = NULL;
	hs_compile_error_t *err = NULL;
	char *ser[IDS_BLOB_BUFS] = {NULL};
	size_t ser_len[IDS_BLOB_BUFS] = {0};
	char **bexprs = NULL;
	unsigned *bflags = NULL, *bidv = NULL;
	hs_expr_ext_t **bextp = NULL;
	struct ids_blob_pcre *pcres = NULL;
	struct ids_blob_item *items = NULL;
	uint32_t nitems = 0;
	uint8_t *bytes = NULL;
	uint32_t nbytes = 0;
	pcre2_code **codes = NULL;
	uint32_t npcre = 0;
	uint8_t *pser = NULL;
	PCRE2_SIZE pser_len = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	ids_ruleset_init(&rs);
	rs.errf = errf;
	for (unsigned i = 0; i < nvars; i++) {
		const char *eq = strchr(vars[i], '=');
		char name[64];

		if (!eq || eq == vars[i] || (size_t)(eq - vars[i]) >= sizeof(name)) {
			fprintf(errf, "rampart-policy: variable '%s': give NAME=VALUE\n", vars[i]);
			goto done;
		}
		memcpy(name, vars[i], (size_t)(eq - vars[i]));
		name[eq - vars[i]] = 0;
		if (ids_set_var(&rs, name, eq + 1)) {
			fprintf(errf, "rampart-policy: too many variables (at most %u)\n",
				IDS_VARS_MAX);
			goto done;
		}
	}
	ids_load_text(&rs, text, len, path);
	if (rs.failed) {
		fprintf(errf, "rampart-policy: %s: %u rule%s refused (above), nothing loaded\n", path,
			rs.failed, rs.failed == 1 ? "" : "s");
		goto done;
	}
	for (uint32_t i = 0; i < rs.nrules; i++) {
		maxp += rs.rules[i]->nsm;
		maxfb += rs.rules[i]->nfb;
	}
	whys = calloc(rs.nrules ? rs.nrules : 1, sizeof(*whys));
	fbmap = calloc(IDS_FLOWBITS_MAX, sizeof(*fbmap));
	fbs = calloc(maxfb ? maxfb : 1, sizeof(*fbs));
	if (!whys || !fbmap || !fbs) {
		fprintf(errf, "rampart-policy: %s: out of memory\n", path);
		goto done;
	}
	for (uint32_t i = 0; i < rs.nrules; i++)
		whys[i] = not_inline(rs.rules[i]);
	if (flowbits_resolve(&rs, whys, fbmap)) {
		fprintf(errf, "rampart-policy: %s: out of memory\n", path);
		goto done;
	}
	rules = calloc(rs.nrules ? rs.nrules : 1, sizeof(*rules));
	pats = calloc(maxp ? maxp : 1, sizeof(*pats));
	exprs = calloc(maxp ? maxp : 1, sizeof(*exprs));
	flags = calloc(maxp ? maxp : 1, sizeof(*flags));
	idv = calloc(maxp ? maxp : 1, sizeof(*idv));
	ext = calloc(maxp ? maxp : 1, sizeof(*ext));
	extp = calloc(maxp ? maxp : 1, sizeof(*extp));
	pcres = calloc(maxp ? maxp : 1, sizeof(*pcres));
	codes = calloc(maxp ? maxp : 1, sizeof(*codes));
	items = calloc(maxp ? maxp : 1, sizeof(*items));
	bytes = malloc(IDS_BLOB_BYTES_MAX);
	bexprs = calloc(maxp ? maxp : 1, sizeof(*bexprs));
	bflags = calloc(maxp ? maxp : 1, sizeof(*bflags));
	bidv = calloc(maxp ? maxp : 1, sizeof(*bidv));
	bextp = calloc(maxp ? maxp : 1, sizeof(*bextp));
	hall = calloc(rs.nrules ? rs.nrules : 1, sizeof(*hall));
	if (!hall || !rules || !pats || !exprs || !flags || !idv || !ext || !extp || !pcres || !codes ||
	    !items || !bytes || !bexprs || !bflags || !bidv || !bextp) {
		fprintf(errf, "rampart-policy: %s: out of memory\n", path);
		goto done;
	}
	for (uint32_t i = 0; i < rs.nrules; i++) {
		const struct ids_rule *r = rs.rules[i];
		const char *why = whys[i];
		struct ids_blob_rule *b;

		if (why) {
			count_reason(&reasons, why);
			out->not_loaded++;
			if (out->not_loaded <= IDS_ERRORS_SHOWN)
				fprintf(errf, "%s:%u: sid %u: not loaded in-line: %s\n", r->file,
					r->line, r->sid, why);
			continue;
		}
		if (nrules == IDS_BLOB_RULES_MAX) {
			fprintf(errf, "rampart-policy: %s: more than %u rules in-line\n", path,
				IDS_BLOB_RULES_MAX);
			goto done;
		}
		b = &rules[nrules];
		b->sid = r->sid;
		b->rev = r->rev;
		b->action = r->action == IDS_DROP ? IDS_BLOB_DROP : IDS_BLOB_ALERT;
		b->proto = r->proto == IDS_P_TCP ? IDS_BLOB_TCP : r->proto == IDS_P_UDP ? IDS_BLOB_UDP :
			   r->proto == IDS_P_ICMP ? IDS_BLOB_ICMP : IDS_BLOB_IP;
		b->bidir = r->bidir;
		b->ncontents = 0;
		b->line = r->line;
		b->flow = r->flow; /* FL_* are the blob's values; not_inline: no only_stream */
		b->flags = r->noalert ? IDS_BLOB_NOALERT : 0;
		/* packet fields: the parser's CMP_* are the blob's values */
		b->fields = (uint8_t)((r->has_dsize ? IDS_BLOB_F_DSIZE : 0) |
				      (r->has_flags ? IDS_BLOB_F_FLAGS : 0) |
				      (r->has_itype ? IDS_BLOB_F_ITYPE : 0) |
				      (r->has_icode ? IDS_BLOB_F_ICODE : 0) |
				      (r->ipproto ? IDS_BLOB_F_IPPROTO : 0));
		b->ipproto = r->ipproto;
		b->tcp_set = r->flags_set;
		b->tcp_mask = r->flags_mask;
		b->tcp_mod = r->flags_mod;
		b->dsize_cmp = r->dsize_cmp;
		b->dsize_a = (uint16_t)r->dsize_a;
		b->dsize_b = (uint16_t)r->dsize_b;
		b->itype_cmp = r->itype_cmp;
		b->itype_a = (uint8_t)r->itype_a;
		b->itype_b = (uint8_t)r->itype_b;
		b->icode_cmp = r->icode_cmp;
		b->icode_a = (uint8_t)r->icode_a;
		b->icode_b = (uint8_t)r->icode_b;
		for (unsigned k = 0; k < r->nsm; k++) /* not_inline: one at most */
			if (length_check(&r->sm[k])) {
				b->fields |= IDS_BLOB_F_BSIZE;
				b->bsize_buf = (uint8_t)blob_buf(r, r->sm[k].buf);
				b->bsize_cmp = r->sm[k].cmp;
				b->bsize_a = (uint16_t)r->sm[k].a;
				b->bsize_b = (uint16_t)r->sm[k].b;
			}
		b->thr_type = r->thr_type; /* THR_* are the blob's values */
		if (r->thr_type) {
			b->thr_by_dst = r->thr_by_dst ? 1 : 0;
			b->thr_count = r->thr_count;
			b->thr_seconds = r->thr_seconds;
		}
		for (unsigned f = 0; f < r->nfb; f++) { /* flowbits_resolve: every name mapped */
			struct ids_blob_fb *x = &fbs[nfbs++];

			x->op = r->fb[f].op == FB_SET ? IDS_BLOB_FB_SET :
				r->fb[f].op == FB_UNSET ? IDS_BLOB_FB_UNSET :
				r->fb[f].op == FB_TOGGLE ? IDS_BLOB_FB_TOGGLE :
				r->fb[f].op == FB_ISSET ? IDS_BLOB_FB_ISSET : IDS_BLOB_FB_ISNOTSET;
			x->any = r->fb[f].any;
			x->n = (uint8_t)r->fb[f].n;
			for (unsigned k = 0; k < r->fb[f].n; k++)
				x->bit[k] = (uint16_t)fbmap[r->fb[f].ids[k]];
		}
		b->nfb = (uint8_t)r->nfb;
		if (addrs(&at, &b->src, &b->nsrc, &r->src) || addrs(&at, &b->dst, &b->ndst, &r->dst) ||
		    ports(&pt, &b->sport, &b->nsport, &r->sport) ||
		    ports(&pt, &b->dport, &b->ndport, &r->dport)) {
			fprintf(errf, "rampart-policy: %s: out of memory\n", path);
			goto done;
		}
		snprintf(b->msg, sizeof(b->msg), "%s", r->msg ? r->msg : "");
		const bool walk = walked(r);
		const unsigned fast = walk ? fast_pattern(r) : 0;
		uint32_t pat_of[IDS_SM_MAX];

		if (app_kind(r) == IDS_BLOB_HTTP) {
			b->flags |= IDS_BLOB_HTTP;
			if (http_side(r) == IDS_SIDE_TC) { /* http_not_inline: one side */
				b->flags |= IDS_BLOB_HTTP_TC;
				out->nhttp_tc++;
			}
			b->proto = IDS_BLOB_TCP; /* http, or tcp/ip with HTTP buffers */
			out->nhttp++;
		} else if (app_kind(r) == IDS_BLOB_DNS) {
			b->flags |= IDS_BLOB_DNS;
			b->proto = IDS_BLOB_UDP; /* dns, or udp/ip with dns.query */
			out->ndns++;
		} else if (app_kind(r) == IDS_BLOB_TLS) {
			b->flags |= IDS_BLOB_TLS;
			b->proto = IDS_BLOB_TCP; /* tls, or tcp/ip with tls.sni */
			out->ntls++;
		} else if (r->proto == IDS_P_HTTP) {
			/* alert http with packet contents only: on the flow's
			 * stream once it is taken for HTTP (not_inline) */
			b->flags |= IDS_BLOB_ON_HTTP;
			b->proto = IDS_BLOB_TCP;
		}
		/* contents grouped by buffer (a relative one is measured in its
		 * own buffer: the order within each stays the rule's) */
		for (unsigned buf = 0; buf < IDS_BLOB_BUFS; buf++)
		for (unsigned k = 0; k < r->nsm; k++) {
			const struct ids_sm *m = &r->sm[k];
			hs_expr_ext_t *x = &ext[npats];

			if ((m->kind != SM_CONTENT && m->kind != SM_ISDATAAT && !byte_item(m) &&
			     !(walk && m->kind == SM_PCRE)) ||
			    blob_buf(r, m->buf) != buf)
				continue;
			if (m->kind == SM_PCRE) { /* walked rule: an item naming its pcre */
				uint32_t j = 0; /* its place among the rule's pcres */

				for (unsigned q = 0; q < k; q++)
					j += r->sm[q].kind == SM_PCRE;
				items[nitems++] = (struct ids_blob_item){
				    .flags = (uint16_t)(IDS_BLOB_I_PCRE |
							(m->flags & (CT_RELATIVE | CT_NEGATED))),
				    .pat = npcre + j, /* pcres[] below: this rule's from npcre */
				    .buf = (uint8_t)buf};
				b->nitems++;
				continue;
			}
			if (byte_item(m)) { /* walked: not_inline, its fields in range */
				const bool test = m->kind == SM_BYTE_TEST;

				items[nitems++] = (struct ids_blob_item){
				    .flags = (uint16_t)((test ? IDS_BLOB_I_BYTE_TEST : IDS_BLOB_I_BYTE_JUMP) |
							(m->flags & (CT_RELATIVE | CT_NEGATED))),
				    .offset = m->offset,
				    .pat = IDS_BLOB_NONE,
				    .buf = (uint8_t)buf,
				    .byte_value = test ? m->a : 0,
				    .byte_mult = test ? 0 : m->mult,
				    .byte_post = test ? 0 : m->post,
				    .byte_n = m->nbytes,
				    .byte_base = m->string ? m->base : 0,
				    .byte_cmp = test ? m->cmp : 0,
				    .byte_flags = (uint8_t)(
					(m->string ? IDS_BLOB_B_STRING
						   : m->little ? IDS_BLOB_B_LITTLE : 0) |
					(!test && m->align ? IDS_BLOB_B_ALIGN : 0) |
					(!test && m->from_beginning ? IDS_BLOB_B_FROM_BEGINNING : 0))};
				b->nitems++;
				continue;
			}
			if (m->kind == SM_ISDATAAT) { /* walked: not_inline */
				items[nitems++] = (struct ids_blob_item){
				    .flags = (uint16_t)(IDS_BLOB_I_ISDATAAT |
							(m->flags & (CT_RELATIVE | CT_NEGATED))),
				    .offset = (int32_t)m->a,
				    .pat = IDS_BLOB_NONE,
				    .buf = (uint8_t)buf};
				b->nitems++;
				continue;
			}
			if (walk) { /* not_inline: every content, 1 to 4096 bytes */
				struct ids_blob_item *c = &items[nitems];

				if (m->len > IDS_BLOB_BYTES_MAX - nbytes) {
					fprintf(errf, "rampart-policy: %s: the walked contents are over "
						      "the in-line limit (%u bytes)\n", path,
						IDS_BLOB_BYTES_MAX);
					goto done;
				}
				*c = (struct ids_blob_item){
					.at = nbytes, .len = (uint16_t)m->len,
					.flags = (uint16_t)(m->flags & WALK_KEPT),
					.offset = (m->flags & CT_OFFSET) ? m->offset : 0,
					.depth = (m->flags & CT_DEPTH) ? m->depth : 0,
					.distance = (m->flags & CT_DISTANCE) ? m->distance : 0,
					.within = (m->flags & CT_WITHIN) ? m->within : 0,
					.pat = k == fast ? npats : IDS_BLOB_NONE,
					.buf = (uint8_t)buf};
				memcpy(bytes + nbytes, m->pat, m->len);
				nbytes += m->len;
				nitems++;
				b->nitems++;
			}
			if (walk && k != fast)
				continue; /* walked, not prefiltered */
			b->ncontents++;

			exprs[npats] = expression(m);
			if (!exprs[npats]) {
				fprintf(errf, "rampart-policy: %s: out of memory\n", path);
				goto done;
			}
			/* the payload's patterns report every match: the layer's
			 * stream windows need one that ends in the new bytes,
			 * not the first (src/layer/idsl.c); a request's
			 * buffers only ask whether */
			flags[npats] = (buf == IDS_BUF_PKT ? 0 : HS_FLAG_SINGLEMATCH) |
				       HS_FLAG_DOTALL | (m->flags & CT_NOCASE ? HS_FLAG_CASELESS : 0);
			/* Hyperscan's offsets are where a match ends; a relative
			 * content's place is the walk's to say (the prefilter only
			 * asks that it is there). */
			if ((m->flags & CT_OFFSET) && !(m->flags & WALKED)) {
				x->flags |= HS_EXT_FLAG_MIN_OFFSET;
				x->min_offset = (unsigned long long)m->offset + m->len;
			}
			if ((m->flags & CT_DEPTH) && !(m->flags & WALKED)) {
				x->flags |= HS_EXT_FLAG_MAX_OFFSET;
				x->max_offset = (unsigned long long)((m->flags & CT_OFFSET) ? m->offset : 0) +
						(unsigned long long)m->depth;
			}
			extp[npats] = x->flags ? x : NULL;
			idv[npats] = npats;
			pat_of[k] = npats;
			pats[npats].buf = (uint8_t)buf;
			pats[npats++].rule = nrules;
		}
		for (unsigned k = 0; k < r->nsm; k++) {
			const struct ids_sm *m = &r->sm[k];
			/* not_inline: a relative pcre follows a positive content in
			 * its buffer, which is walked (an item) or a pattern */
			const int prev = prev_in_buf(r, k);

			if (m->kind != SM_PCRE)
				continue;
			/* walked: its item above matches it in the walk */
			pcres[npcre] = walk ? (struct ids_blob_pcre){
				.rule = nrules, .after = IDS_BLOB_NONE,
				.flags = IDS_BLOB_PCRE_WALKED, .buf = (uint8_t)blob_buf(r, m->buf)}
				: (struct ids_blob_pcre){
				.rule = nrules,
				.after = !(m->flags & CT_RELATIVE) ? IDS_BLOB_NONE : pat_of[prev],
				.flags = (uint8_t)(((m->flags & CT_RELATIVE) ? IDS_BLOB_PCRE_RELATIVE : 0) |
						   ((m->flags & CT_NEGATED) ? IDS_BLOB_PCRE_NEGATED : 0)),
				.buf = (uint8_t)blob_buf(r, m->buf)};
			codes[npcre++] = m->re;
			b->npcre++;
		}
		if (!r->nsm) { /* header-only: not_inline let it through */
			int hrc = hdr_only_index(&hix, hall, &nhall, &at, b, nrules);

			if (hrc > 0)
				fprintf(errf, "rampart-policy: %s: the header-only rules name more "
					      "than %u addresses, the in-line limit\n", path,
					IDS_BLOB_HIX_MAX);
			else if (hrc < 0)
				fprintf(errf, "rampart-policy: %s: out of memory\n", path);
			if (hrc)
				goto done;
			out->nhdr++;
		}
		nrules++;
	}
	if (hix.n)
		qsort(hix.v, hix.n, sizeof(*hix.v), hix_order);
	if (out->not_loaded > IDS_ERRORS_SHOWN)
		fprintf(errf, "rampart-policy: %u more rules not loaded in-line\n",
			out->not_loaded - IDS_ERRORS_SHOWN);
	print_reasons(&reasons, errf);
	if (!nrules) {
		fprintf(errf, "rampart-policy: %s: no rule can be enforced in-line (%u not loaded), "
			      "nothing to compile\n", path, out->not_loaded);
		goto done;
	}
	/* One database per buffer, each of its patterns' ids their index in
	 * pats[]; the generic platform: no AVX in the database, as the layer's
	 * runtime is its SSE variant (src/ids/shim.c). */
	hs_platform_info_t plat = {.tune = HS_TUNE_FAMILY_GENERIC, .cpu_features = 0};
	uint64_t dbtotal = 0;
	for (unsigned buf = 0; buf < IDS_BLOB_BUFS; buf++) {
		uint32_t nb = 0;

		for (uint32_t i = 0; i < npats; i++)
			if (pats[i].buf == buf) {
				bexprs[nb] = exprs[i];
				bflags[nb] = flags[i];
				bidv[nb] = idv[i];
				bextp[nb++] = extp[i];
			}
		if (!nb)
			continue;
		if (hs_compile_ext_multi((const char *const *)bexprs, bflags, bidv,
					 (const hs_expr_ext_t *const *)bextp, nb, HS_MODE_BLOCK,
					 &plat, &db, &err) != HS_SUCCESS) {
			int e = err ? err->expression : -1;

			if (e >= 0 && (uint32_t)e < nb)
				fprintf(errf, "%s:%u: sid %u: Hyperscan refused a content: %s\n", path,
					rules[pats[bidv[e]].rule].line, rules[pats[bidv[e]].rule].sid,
					err->message);
			else
				fprintf(errf, "rampart-policy: %s: Hyperscan: %s\n", path,
					err ? err->message : "?");
			goto done;
		}
		if (hs_serialize_database(db, &ser[buf], &ser_len[buf]) != HS_SUCCESS ||
		    (dbtotal += ser_len[buf]) > IDS_BLOB_DB_MAX) {
			fprintf(errf, "rampart-policy: %s: the databases are %llu bytes or more, over "
				      "the in-line limit (%u)\n", path, (unsigned long long)dbtotal,
				IDS_BLOB_DB_MAX);
			goto done;
		}
		hs_free_database(db);
		db = NULL;
	}
	/* Every pcre's code, in one serialized run (they share PCRE2's default
	 * character tables, which go in once). */
	if (npcre && (pcre2_serialize_encode((const pcre2_code **)codes, (int32_t)npcre, &pser,
					     &pser_len, NULL) < 0 ||
		      pser_len > IDS_BLOB_PCRE_MAX)) {
		fprintf(errf, "rampart-policy: %s: the pcres do not serialize within the in-line "
			      "limit (%u bytes)\n", path, IDS_BLOB_PCRE_MAX);
		goto done;
	}
	{
		struct ids_blob_hdr h = {.magic = IDS_BLOB_MAGIC, .version = IDS_BLOB_VERSION,
					 .nrules = nrules, .npatterns = npats,
					 .not_loaded = out->not_loaded, .npcre = npcre,
					 .naddrs = at.n, .nports = pt.n, .nfbs = nfbs,
					 .nitems = nitems, .bytes_size = nbytes,
					 .nhix = hix.n, .nhall = nhall};
		const char *why;
		uint8_t *blob;

		h.rule_off = align8(sizeof(h));
		h.pattern_off = align8(h.rule_off + (uint64_t)nrules * sizeof(*rules));
		h.addr_off = align8(h.pattern_off + (uint64_t)npats * sizeof(*pats));
		h.port_off = align8(h.addr_off + (uint64_t)at.n * at.each);
		h.fb_off = align8(h.port_off + (uint64_t)pt.n * pt.each);
		h.item_off = align8(h.fb_off + (uint64_t)nfbs * sizeof(*fbs));
		h.bytes_off = align8(h.item_off + (uint64_t)nitems * sizeof(*items));
		h.hix_off = align8(h.bytes_off + (uint64_t)nbytes);
		h.hall_off = align8(h.hix_off + (uint64_t)hix.n * sizeof(*hix.v));
		uint64_t end = align8(h.hall_off + (uint64_t)nhall * sizeof(*hall));
		for (unsigned buf = 0; buf < IDS_BLOB_BUFS; buf++)
			if (ser_len[buf]) {
				h.dbs[buf].off = (uint32_t)end;
				h.dbs[buf].size = (uint32_t)ser_len[buf];
				end = align8(end + ser_len[buf]);
			}
		h.pcre_off = (uint32_t)end;
		if (npcre) {
			h.pcre_code_off = align8(h.pcre_off + (uint64_t)npcre * sizeof(*pcres));
			h.pcre_code_size = (uint32_t)pser_len;
		}
		h.size = npcre ? align8(h.pcre_code_off + (uint64_t)pser_len)
			       : align8(h.pcre_off);
		blob = aligned_alloc(8, h.size);
		if (!blob)
			goto done;
		memset(blob, 0, h.size);
		memcpy(blob, &h, sizeof(h));
		memcpy(blob + h.rule_off, rules, (size_t)nrules * sizeof(*rules));
		memcpy(blob + h.pattern_off, pats, (size_t)npats * sizeof(*pats));
		if (at.n)
			memcpy(blob + h.addr_off, at.v, (size_t)at.n * at.each);
		if (pt.n)
			memcpy(blob + h.port_off, pt.v, (size_t)pt.n * pt.each);
		memcpy(blob + h.fb_off, fbs, (size_t)nfbs * sizeof(*fbs));
		memcpy(blob + h.item_off, items, (size_t)nitems * sizeof(*items));
		memcpy(blob + h.bytes_off, bytes, nbytes);
		if (hix.n)
			memcpy(blob + h.hix_off, hix.v, (size_t)hix.n * sizeof(*hix.v));
		if (nhall)
			memcpy(blob + h.hall_off, hall, (size_t)nhall * sizeof(*hall));
		for (unsigned buf = 0; buf < IDS_BLOB_BUFS; buf++)
			if (ser_len[buf])
				memcpy(blob + h.dbs[buf].off, ser[buf], ser_len[buf]);
		memcpy(blob + h.pcre_off, pcres, (size_t)npcre * sizeof(*pcres));
		if (npcre)
			memcpy(blob + h.pcre_code_off, pser, pser_len);
		if (ids_blob_check(blob, h.size, &why)) {
			fprintf(errf, "rampart-policy: %s: internal: the blob fails its check: %s\n",
				path, why);
			free(blob);
			goto done;
		}
		out->blob = blob;
		out->len = h.size;
		out->nrules = nrules;
		out->npatterns = npats;
		out->db_size = (uint32_t)dbtotal;
		out->npcre = npcre;
		out->naddrs = at.n;
		out->nports = pt.n;
		out->nfbs = nfbs;
		out->nitems = nitems;
		out->nhix = hix.n;
	}
	rc = 0;
done:
	for (uint32_t i = 0; exprs && i < npats; i++)
		free(exprs[i]);
	free(exprs);
	free(flags);
	free(idv);
	free(ext);
	free(extp);
	free(rules);
	free(pats);
	for (unsigned buf = 0; buf < IDS_BLOB_BUFS; buf++)
		free(ser[buf]);
	free(bexprs);
	free(bflags);
	free(bidv);
	free(bextp);
	free(pcres);
	free(items);
	free(bytes);
	free(codes);
	free(whys);
	free(fbmap);
	free(fbs);
	runs_free(&at);
	runs_free(&pt);
	free(hix.v);
	free(hall);
	pcre2_serialize_free(pser);
	hs_free_database(db);
	hs_free_compile_error(err);
	ids_ruleset_free(&rs);
	return rc;
}
