/* SPDX-License-Identifier: MIT */
/*
 * The ids layer (idsl.h): a pass whose network path scans every IP frame,
 * both ways, with Hyperscan's runtime (src/ids) over the database of its
 * sealed ids blob, and drops the frames a drop rule matches.
 *
 * Invariants:
 *  1. No frame crosses before the blob is sealed, has passed
 *     ids_blob_check and Hyperscan has accepted its database: idsl_start
 *     ends the layer otherwise, before the child ever runs. The filter is
 *     the only way between the child's device and our parent's (vnet.c),
 *     so when this layer is dead, faulted or rebuilt, nothing crosses.
 *  2. Fail closed: a frame the parser refuses (whatever its ethertype
 *     claims), one of a protocol it does not parse, or one whose scan
 *     fails, is dropped (counted: invalid, scan_failed). Only ARP the
 *     parser accepts crosses unscanned: no rule of the blob names it.
 *  3. A frame a drop rule matches never crosses; an alert rule's match is
 *     logged and the frame crosses. Rules are confirmed in rule order
 *     after the scan, so that flowbits one sets are seen by later ones on
 *     the same frame; a noalert rule's drop still drops (Suricata 7). A
 *     rule with pcres matches only when, after its contents, each pcre does (does not, negated) in PCRE2's
 *     interpreter; a pcre that fails (its limits, src/ids/pcrert.h) fails
 *     the scan: the frame is dropped (invariant 2, counted in
 *     pcre_limited). All the pcres of one frame share one budget of
 *     PCRERT_FRAME_STEPS steps and PCRERT_FRAME_US of the TSC (pcrert.h),
 *     so a payload built to make a pcre run over the square of its length
 *     costs at most that, and never crosses; without the TSC's rate the
 *     layer does not start (ids_blob_needs_clock).
 *  4. The blob is never written (sealed read-only, against us too), and
 *     every table of ours is sized once from the checked blob, in the
 *     arena, or fixed (the flow table, its flowbits): no frame grows
 *     anything. Alert lines are at most IDSL_ALERTS_PER_TICK a second;
 *     the rest are only counted.
 *  5. When a rule has `flow` or flowbits, every IP frame goes through the
 *     flow table (src/ids/flow.h) before any rule; a new flow that finds
 *     it full is dropped unscanned and counted (flows_full), as the
 *     firewall does: a guest or peer filling the table cannot get frames
 *     past rules that would need their flow. A new flow's flowbits start
 *     clear.
 *  6. A walked rule (relative, negated, startswith or endswith contents)
 *     fires only when its contents' walk over the payload matches
 *     (src/ids/walk.h); a walk that reaches IDS_WALK_STEPS_MAX fails the
 *     scan (invariant 2: the frame is dropped, counted in walk_limited and
 *     scan_failed), so a payload built to make a rule backtrack for ever
 *     never crosses unchecked.
 *  7. A rule's threshold (src/ids/thr.h, a fixed table in the arena, made
 *     only when a rule has one, on our TSC clock) decides its alert and
 *     whether its drop applies; its flowbits changes apply whatever the
 *     threshold says (Suricata's). A match that finds the table full goes
 *     unthresholded (alerts, drops) and is counted (thr_full).
 *  8. An HTTP rule (every content and pcre of it in an HTTP request's
 *     buffers, or a response rule's in a response's, but its packet
 *     contents: walk_msg walks those over the message's header block,
 *     else its body as it came, never inflated) sees the buffers
 *     src/ids/http.c parses from a message whole: over a TCP stream
 *     (ids_http_next, per flow and direction, the opener's requests and
 *     the server's responses), a message is parsed where its header block
 *     ends, from its start in the stream's window (the tail and the
 *     segment's new bytes), with its body's bytes that came; while the
 *     window still holds its start, each later segment of its body parses
 *     it again (the body from its first byte); past that, an identity
 *     body's bytes in the window, a chunked one's new bytes dechunked, are
 *     its body buffer alone (to the offline engine's 100 KiB: no header
 *     block then, for packet contents either; a walked rule that held on
 *     the message's header view but for its body waits on it: those
 *     views walk its body items alone, wait_on_body), an encoded
 *     one's are not inflated. A rule fires once per message (the
 *     message's list, kept with its direction's state; the rule's last
 *     message, never for a drop rule). After a message of the direction,
 *     a header block is a message whatever its start line, as offline. A
 *     request's line is inspected alone, once, while its block goes on
 *     (http_partial); a message that cannot be inspected whole (its
 *     block's start no longer in the window, its request's HEAD not known)
 *     is counted (http_lost) and, with a drop rule on that side's buffers,
 *     its segment dropped. A frame's messages inflate at most
 *     IDSL_UNZ_FRAME bytes (past it the scan fails). Off a stream (a
 *     segment the stream could not take, in ids mode; old bytes sent
 *     again; a flow of unknown side) the segment alone is parsed, as a
 *     message's start. Old bytes sent again are inspected again, even
 *     when each equals the tail's: the tail says they crossed, not that
 *     the receiver took them (a SYN's data Linux throws away, a byte
 *     whose TTL ends past us), nor in which flow state they were
 *     inspected; so a resent message's rules fire again, where the
 *     offline engine's stream trims old bytes (review-23). A request
 *     rule never fires on a response's buffers nor a response rule on a
 *     request's. Each buffer present is scanned
 *     once, with its own database, and a match reported for a pattern of
 *     another buffer stops the scan (invariant 2).
 *  9. When a rule has payload contents or is an HTTP rule, TCP is
 *     reassembled per flow and direction (src/ids/stream.h, the flow
 *     table then always runs): a
 *     segment's new bytes are scanned with up to IDS_STREAM_TAIL bytes
 *     that crossed before them, and a payload rule fires only on a match
 *     that ends in the new bytes. Only what crosses joins a stream. In
 *     ips mode (a drop rule in the blob) nothing crosses that the stream
 *     could not account for (src/ids/seg.h decides): a segment ahead of
 *     the next in-order byte (stream_ooo; TCP sends it again in order),
 *     one whose bytes already seen differ from the tail or whose new bytes
 *     follow bytes older than it (stream_diff), one whose direction needs
 *     a tail when the pool has none or lost its tail (stream_nomem), data
 *     past a FIN or a second FIN (stream_fin), URG (any pointer)
 *     (stream_urg), TCP in IP fragments (stream_frag), payload on no
 *     stream: conntrack invalid or untracked, or a flow closed here
 *     (stream_lost), a TCP checksum its receiver refuses (stream_csum:
 *     never on the stream, in either mode) is dropped; in ids mode they
 *     are counted and scanned as packets (with the tail where there is
 *     one). A flow's protocol is decided by its direction's first new
 *     bytes, not by a stale segment.
 * 10. A DNS rule (every content and pcre of it in a query name's buffers)
 *     sees only the names src/ids/app.c parsed from a UDP datagram to or
 *     from port 53 (a query: not a response; with the flow table, sent by
 *     the flow's opener), each name scanned in turn with the DNS
 *     databases, a rule firing at most once per datagram whatever its
 *     names; a TLS rule only the server name of a ClientHello that starts
 *     a TCP segment from the client (no reassembly: the segment's own
 *     bytes; with the flow table, a flow whose first data was a TLS
 *     record, as the offline engine detects it).
 * 11. A header-only rule (no content: addresses, ports, flow, packet
 *     fields, flowbits, threshold) is a candidate on every IP frame the
 *     blob's address index names for it (the frame's address of the
 *     rule's indexed side, masked to each prefix length present, found by
 *     binary search), or on every frame when no side of it has a positive
 *     address; it is then confirmed like any rule, once per frame (not
 *     again for a DNS query's further names), on the packet, not a
 *     stream's window, as the offline engine does.
 */
#include "layer/idsl.h"

#include "fw/fw.h"
#include "ids/app.h"
#include "ids/blob.h"
#include "ids/flow.h"
#include "ids/hdronly.h"
#include "ids/hsrt.h"
#include "ids/http.h"
#include "ids/pcrert.h"
#include "ids/probe.h"
#include "ids/seg.h"
#include "ids/shim.h"
#include "ids/stream.h"
#include "ids/thr.h"
#include "ids/walk.h"
#include "layer/hc.h"
#include "layer/lib.h"
#include "layer/policy.h"
#include "layer/vdev.h"
#include "layer/vnet.h"
#include "lib/rt.h"
#include "lib/sha256.h"

_Static_assert(IDS_BLOB_BUFS <= HSRT_DBS, "a Hyperscan slot for every buffer's database");
_Static_assert(IDS_HTTP_WIN_MAX >= IDS_STREAM_TAIL + IDS_STREAM_SEG_MAX,
	       "the HTTP parser takes a whole stream window");

#define PAGE 0x1000ULL
#define BIG_PAGE 0x200000ULL
/* Hyperscan's arena: the deserialized databases (at most about their
 * serialized size, IDS_BLOB_DB_MAX, 12 MiB), its scratch (kilobytes for
 * the literal sets the compiler writes), the decoded pcres (at most about
 * IDS_BLOB_PCRE_MAX again), our per-rule words (about 28 bytes a rule,
 * IDS_BLOB_RULES_MAX rules) and the threshold table (160 KiB); the flow
 * table follows it. ET Open's in-line rules with the HTTP requests' and
 * responses', DNS and TLS buffers take about 11 MiB of it (docs/ids.md); a
 * blob that needs more is refused at start. The root gives a policy layer
 * LN_POLICY_LAYER_MEM beyond its share for this and the flow table. */
#define IDSL_ARENA (16ULL << 20)
/* The report and alert-budget clock: one RP_HC_TIMER tick a second. */
#define IDSL_TICK_NS 1000000000ULL
/* A counters report every this many ticks, and one at the end. */
#define IDSL_REPORT_TICKS 5
/* Alert lines a second: a guest sending a matching frame in a loop must
 * not turn the root's log into its channel (the rest are counted). */
#define IDSL_ALERTS_PER_TICK 64
/* HTTP messages scanned in one segment: a body going on, then pipelined
 * requests (apt sends up to 10 at once) or a response after interim ones
 * (1xx); past this many the scan fails (invariant 2). */
#define IDSL_HTTP_MSGS_MAX 64
/* Bytes inflated for one frame's HTTP messages (each at most
 * IDS_HTTP_UNZ_MAX): past this the scan fails (invariant 2), so that a
 * segment of many small gzip bombs costs no more than four. */
#define IDSL_UNZ_FRAME (4ULL * IDS_HTTP_UNZ_MAX)
/* HTTP rules a frame notes as fired on their message (struct scan's
 * pend): past them, a rule may fire again on a later segment of it. */
#define IDSL_PEND_MAX 64
/* Rules reported per frame (the first ones that fired; a drop is decided
 * whatever the count). */
#define IDSL_FIRED_MAX 8

static struct rp_boot_info own;
static const struct rp_blob *policy;
static const struct ids_blob_hdr *hdr;
static const struct ids_blob_rule *rules;
static const struct ids_blob_pattern *pats;
static const struct ids_blob_pcre *pcres;
static uint8_t *arena;
static uint64_t *seen; /* per rule: frame number << 8 | contents matched */
static uint32_t *pat_end; /* per pattern: the end of its match in this frame */
static uint64_t *pat_frame; /* per pattern: the frame it last matched in */
static uint32_t *pcre_first; /* per rule: the index of its first pcre */
static uint32_t *fb_first; /* per rule: the index of its first flowbits operation */
static uint32_t *cand; /* this frame's rules whose contents all matched */
static const struct ids_blob_fb *fbs;
static const struct ids_blob_item *items; /* the walked contents */
static const uint8_t *cbytes; /* their bytes */
static uint32_t *item_first; /* per rule: the index of its first item */
static uint32_t ends[IDS_BLOB_CONTENTS_MAX]; /* one walk's matches */
/* The header-only rules' index (invariant 11, src/ids/hdronly.h). */
static struct ids_hix hix;
/* Thresholds (NULL: no rule has one), timed by our TSC clock. */
static struct ids_thr *thr;
static struct tsc_clock clk;
/* Per flow-table entry: its flowbits, cleared when the entry takes a new
 * flow; in our own memory past the flow table. */
static ids_fbits *fbits;
static uint64_t frame_no, ticks, alerts_this_tick;
/* Whether a rule of the blob is an HTTP rule: only then is a segment
 * parsed. The parser's output, and its normalized buffers (about 260 KiB,
 * http.h: one segment's worth each) in our own memory past the flowbits
 * (not in the image: every kind of layer runs the same one). */
static bool http_rules, http_resp_rules;
/* a drop rule on a request's buffers, on a response's: a message of that
 * side that cannot be inspected whole is dropped (http_lost) */
static bool http_drop_req, http_drop_resp;
static struct ids_http http;
static struct ids_http_scratch *http_room;
/* DNS and TLS rules (invariant 10): whether the blob has any; a query's
 * names; per rule, the datagram it last fired on (a rule fires once per
 * datagram, whatever its names); per flow-table entry, what its first
 * TCP data said of it (enum app), set when that data is seen. */
static bool dns_rules, tls_rules;
static struct ids_dns *dnsq; /* in our own memory, past the protocols */
static uint64_t *rule_once;
enum app { APP_UNSEEN, APP_TLS, APP_OTHER };
static uint8_t *flow_app;
/* `alert http` rules with payload contents only (IDS_BLOB_ON_HTTP):
 * whether the blob has one; per flow entry, what the offline engine's
 * app_data makes of the flow (enum happ, and which sides sent data),
 * moved by the first new bytes of each side that cross. */
static bool on_http_rules;
enum happ { HAPP_NONE, HAPP_HTTP, HAPP_TLS, HAPP_OTHER, HAPP_MASK = 3, HAPP_TRIED = 4 };
static uint8_t *flow_http;
/* The flow table (src/ids/flow.h: the firewall's conntrack), in our own
 * memory past the arena; used only when a rule of the blob has `flow` or
 * flowbits. */
static struct fw_ct *ct;
static bool track;
/* Reassembly (invariant 9): whether it runs, each flow entry's two
 * directions, the tails' pool and the window a segment is scanned in, all
 * in our own memory past the HTTP parser's; ips: a drop rule in the blob;
 * rule_new: per rule, the frame in which a payload pattern of it matched
 * ending in the window's new bytes. */
static bool streams, ips;
static struct ids_stream_dir *sdirs;
static struct ids_stream_pool *spool;
static uint8_t *swin;
static uint64_t *rule_new;
/* HTTP over the streams (invariant 8): per flow entry and direction, where
 * its messages are (http.h); per entry, its HEAD requests not answered. */
static struct ids_http_trk *htrk;
static struct ids_http_heads *hheads;
/* Per flow entry, its flow's number (flows counts them): with the
 * direction and its message count, a message's name; per rule, the
 * message it last fired on (HTTP rules fire once per message), noted when
 * the frame crosses. */
static uint64_t *flow_gen;
static uint64_t flows;
static uint64_t *rule_msg_flow; /* flow number * 2 + direction */
static uint32_t *rule_msg_n;    /* the direction's message count */
static uint64_t now_ns;
static struct {
	uint64_t frames, bytes, scanned, scanned_bytes, alerts, drops, invalid, scan_failed,
	    unlogged, scan_cycles, pcre_runs, pcre_refuted, flows_full, walk_runs, walk_refuted,
	    walk_limited, thr_suppressed, http_requests, http_partial, stream_segs, stream_ooo,
	    stream_diff, stream_nomem, stream_fin, stream_urg, stream_frag, stream_lost,
	    stream_csum, pcre_limited, dns_queries, dns_names, tls_hellos, tls_sni,
	    http_responses, http_encoded, http_lost, http_nowait, hs_cycles;
} st;

/* The TSC (CR4.TSD is clear at CPL 3): what a scan costs, in cycles. */
static void put_addr(struct line *l, const struct fw_pkt *p, const uint8_t *a, uint16_t port)
{
	static const char hex[] = "0123456789abcdef";

	if (p->alen == 4) {
		for (int i = 0; i < 4; i++) {
			if (i)
				line_str(l, ".");
			line_dec(l, a[i]);
		}
	} else {
		line_str(l, "[");
		for (int i = 0; i < 16; i += 2) {
			char g[5] = {hex[a[i] >> 4], hex[a[i] & 15], hex[a[i + 1] >> 4],
				     hex[a[i + 1] & 15], 0};
			if (i)
				line_str(l, ":");
			line_str(l, g);
		}
		line_str(l, "]");
	}
	line_str(l, ":");
	line_dec(l, port);
}

void idsl_report(void)
{
	struct line l = {.len = 0};

	if (!hdr)
		return;
	/* three lines: one would pass RP_MAX_LOG; the root takes each "idsmore" with the next
	 * idsstats */
	line_str(&l, "idsmore");
	line_kv(&l, "stream_segs", st.stream_segs);
	line_kv(&l, "stream_ooo", st.stream_ooo);
	line_kv(&l, "stream_diff", st.stream_diff);
	line_kv(&l, "stream_nomem", st.stream_nomem);
	line_kv(&l, "stream_fin", st.stream_fin);
	line_kv(&l, "stream_urg", st.stream_urg);
	line_kv(&l, "stream_frag", st.stream_frag);
	line_kv(&l, "stream_lost", st.stream_lost);
	line_kv(&l, "stream_csum", st.stream_csum);
	line_kv(&l, "stream_tails", streams ? spool->used : 0);
	line_kv(&l, "pcre_limited", st.pcre_limited);
	line_kv(&l, "hs_cycles", st.hs_cycles);
	line_send(&l);
	line_str(&l, "idsmore");
	line_kv(&l, "http_requests", st.http_requests);
	line_kv(&l, "http_responses", st.http_responses);
	line_kv(&l, "http_encoded", st.http_encoded);
	line_kv(&l, "http_partial", st.http_partial);
	line_kv(&l, "http_lost", st.http_lost);
	line_kv(&l, "http_nowait", st.http_nowait);
	line_kv(&l, "dns_queries", st.dns_queries);
	line_kv(&l, "dns_names", st.dns_names);
	line_kv(&l, "tls_hellos", st.tls_hellos);
	line_kv(&l, "tls_sni", st.tls_sni);
	line_send(&l);
	line_str(&l, "idsstats");
	line_kv(&l, "frames", st.frames);
	line_kv(&l, "bytes", st.bytes);
	line_kv(&l, "scanned", st.scanned);
	line_kv(&l, "scanned_bytes", st.scanned_bytes);
	line_kv(&l, "alerts", st.alerts);
	line_kv(&l, "drops", st.drops);
	line_kv(&l, "invalid", st.invalid);
	line_kv(&l, "scan_failed", st.scan_failed);
	line_kv(&l, "alerts_unlogged", st.unlogged);
	line_kv(&l, "scan_cycles", st.scan_cycles);
	line_kv(&l, "pcre_runs", st.pcre_runs);
	line_kv(&l, "pcre_refuted", st.pcre_refuted);
	line_kv(&l, "flows", track ? fw_ct_count(ct) : 0);
	line_kv(&l, "flows_full", st.flows_full);
	line_kv(&l, "flows_early", track ? ct->early_drops : 0);
	line_kv(&l, "walk_runs", st.walk_runs);
	line_kv(&l, "walk_refuted", st.walk_refuted);
	line_kv(&l, "walk_limited", st.walk_limited);
	line_kv(&l, "thr_suppressed", st.thr_suppressed);
	line_kv(&l, "thr_full", thr ? thr->full : 0);
	line_kv(&l, "thr_evicted", thr ? thr->evicted : 0);
	line_kv(&l, "rules", hdr->nrules);
	line_kv(&l, "arena_bytes", hsrt_arena_used());
	line_kv(&l, "uptime_s", ticks);
	line_kv(&l, "restarts", own.restarts);
	line_send(&l);
}

/* ---- one frame ------------------------------------------------------------- */

struct scan {
	const struct fw_pkt *p;
	const uint8_t *data; /* the payload */
	uint32_t len;
	/* Each buffer's bytes (bp[b] NULL: absent; bp[IDS_BUF_PKT] the
	 * payload), and the one being scanned. */
	const uint8_t *bp[IDS_BLOB_BUFS];
	uint32_t bl[IDS_BLOB_BUFS];
	uint8_t buf;
	/* the payload's bytes before this are a stream's tail (0: none) */
	uint32_t min_end;
	bool ports; /* p's ports are the frame's (TCP, UDP: not a later fragment) */
	bool http_tc; /* the HTTP buffers are a response's (else a request's, or none) */
	/* a response's body as framed, never inflated (walk_msg), or NULL */
	const uint8_t *raw;
	uint32_t raw_len;
	bool on_http; /* the flow is taken for HTTP, with this frame's new bytes (IDS_BLOB_ON_HTTP) */
	/* the message's direction over its stream (its rules that fired on
	 * it, trk->fired) and the message's name (rule_msg): an HTTP rule
	 * fires once per message */
	struct ids_http_trk *trk;
	uint64_t msg_flow;
	uint32_t msg_n;
	/* the HTTP rules that fired on their message in this frame, noted in
	 * rule_msg when it crosses (a failed or dropped frame notes none: sent
	 * again, its rules fire again) */
	uint32_t npend;
	uint32_t pend[IDSL_PEND_MAX], pend_n[IDSL_PEND_MAX]; /* rule, its message's count */
	bool l4; /* p's L4 header is the frame's (not a later fragment) */
	const struct ids_flow *flow; /* NULL: no rule has `flow`, no table */
	bool drop;
	bool failed; /* a match the blob's table does not name: the scan stopped */
	uint64_t once; /* the datagram's number: a DNS rule fires once in it */
	uint32_t ncand; /* in cand[] */
	uint64_t walk_budget; /* comparisons left to this frame's walks (walk.h) */
	struct pcrert_budget pcre_budget; /* what this frame's pcres have left (pcrert.h) */
	uint64_t alerts; /* rules that fired and alert (not noalert) */
	unsigned nfired;
	uint32_t fired[IDSL_FIRED_MAX];
};

/* 1: rule ri's pcres all confirm its contents' match in s's payload; 0:
 * one does not; -1: PCRE2 failed. A relative pcre (R) looks from the end of
 * the match of the content before it (in a walked rule the walk's, else
 * the first, the one Hyperscan reported): its subject starts there, so
 * that ^ anchors there, as Suricata does. */
static int pcres_confirm(uint32_t ri, struct scan *s)
{
	for (uint32_t k = pcre_first[ri]; k < pcre_first[ri] + rules[ri].npcre; k++) {
		const struct ids_blob_pcre *x = &pcres[k];
		const uint8_t *d = s->bp[x->buf]; /* the check: a known buffer */
		uint32_t from = 0, len = s->bl[x->buf];
		int m;

		if (x->flags & IDS_BLOB_PCRE_WALKED)
			continue; /* matched in the walk */
		if (!d) /* its buffer is not in this frame: the rule does not match */
			return 0;
		/* a positive item of its own, in the same buffer (the check) */
		if (x->flags & IDS_BLOB_PCRE_RELATIVE)
			from = rules[ri].nitems ? ends[x->after - item_first[ri]] : pat_end[x->after];
		if (from > len)
			from = len;
		st.pcre_runs++;
		m = pcrert_match(k, d + from, len - from, &s->pcre_budget);
		if (m < 0) {
			st.pcre_limited++;
			return -1;
		}
		if (m == !!(x->flags & IDS_BLOB_PCRE_NEGATED)) {
			st.pcre_refuted++;
			return 0;
		}
	}
	return 1;
}

/* Hyperscan's callback: a rule whose contents all matched in this frame
 * becomes a candidate (once: SINGLEMATCH reports each content once). */
static int on_match(unsigned id, uint64_t to, void *ctx)
{
	struct scan *s = ctx;
	uint32_t ri;

	if (id >= hdr->npatterns || pats[id].buf != s->buf) {
		s->failed = true; /* not ours: stop; the frame is dropped (fail closed) */
		return 1;
	}
	/* A pattern counts once per frame, whatever the database reports (one
	 * compiled without single-match reports a pattern at every occurrence,
	 * and 256 of them would carry into the frame number): so a rule
	 * becomes a candidate at most once, and ncand <= nrules. */
	ri = pats[id].rule;
	if (s->min_end && s->buf == IDS_BUF_PKT && to > s->min_end)
		rule_new[ri] = frame_no; /* a match in the new bytes (invariant 9) */
	if (pat_frame[id] == frame_no)
		return 0;
	pat_frame[id] = frame_no;
	pat_end[id] = to < s->bl[s->buf] ? (uint32_t)to : s->bl[s->buf];
	if (seen[ri] >> 8 != frame_no)
		seen[ri] = frame_no << 8;
	seen[ri]++;
	if ((seen[ri] & 0xff) == rules[ri].ncontents) {
		if (s->ncand >= hdr->nrules) {
			s->failed = true; /* cannot be: stop, and drop (fail closed) */
			return 1;
		}
		cand[s->ncand++] = ri;
	}
	return 0;
}

/* Header-only rule ri a candidate, once a frame (its seen[] word, which no
 * pattern of its touches). */
static void hdr_cand(void *ctx, uint32_t ri)
{
	struct scan *s = ctx;

	if (seen[ri] >> 8 == frame_no || s->ncand >= hdr->nrules)
		return; /* ncand: cannot be, each rule once */
	seen[ri] = frame_no << 8;
	cand[s->ncand++] = ri;
}

/* Candidates into rule order (a heap sort: no recursion, no worst case). */
static void sift(uint32_t *v, uint32_t at, uint32_t n)
{
	for (;;) {
		uint32_t c = 2 * at + 1, t;

		if (c >= n)
			return;
		if (c + 1 < n && v[c + 1] > v[c])
			c++;
		if (v[at] >= v[c])
			return;
		t = v[at];
		v[at] = v[c];
		v[c] = t;
		at = c;
	}
}

static void sort_u32(uint32_t *v, uint32_t n)
{
	for (uint32_t i = n / 2; i-- > 0;)
		sift(v, i, n);
	for (uint32_t end = n; end > 1; end--) {
		uint32_t t = v[0];

		v[0] = v[end - 1];
		v[end - 1] = t;
		sift(v, 0, end - 1);
	}
}

/* A walked pcre (ids_walk's matcher): from the frame's pcre budget. */
static int walk_pcre(void *ctx, uint32_t pcre, const uint8_t *subject, uint32_t len,
		     uint32_t start, bool again, uint32_t *ms, uint32_t *me)
{
	struct scan *s = ctx;
	int m;

	st.pcre_runs++;
	m = pcrert_match_at(pcre, subject, len, start, again, &s->pcre_budget, ms, me);
	if (m < 0)
		st.pcre_limited++;
	return m;
}

/* How walk_confirm walks a rule: all of it; on a view of an HTTP message
 * with its header buffers (WALK_HEADERS: a rule whose groups hold but its
 * body's returns WALK_WAITS, for the message's later views); on a view of
 * its body alone (WALK_BODY: only the body's groups, the others having
 * held on the header view). */
enum walk_how { WALK_ALL, WALK_HEADERS, WALK_BODY };
#define WALK_WAITS 2

/* The buffer of the body of the HTTP message s is a view of. */
static uint8_t body_buf(const struct scan *s)
{
	return s->http_tc ? IDS_BUF_FILE_DATA : IDS_BUF_REQ_BODY;
}

/*
 * An HTTP rule's packet items it[0 .. n) (its contents on the payload's
 * buffer, with their pcres and byte_*) over its message, as the offline
 * engine's match_bufs matches them: the header block (http.start's bytes),
 * else the body as framed: the request's, or the response's dechunked
 * bytes never inflated (file.data holds them inflated when the response
 * is encoded; the offline engine matches the bytes that came). ids_walk's
 * value.
 */
static int walk_msg(const struct ids_blob_item *it, unsigned n, struct scan *s, uint32_t *end,
		    const struct ids_walk_pcre *pc)
{
	const uint8_t *body = s->http_tc ? s->raw : s->bp[IDS_BUF_REQ_BODY];
	const uint32_t blen = s->http_tc ? s->raw_len : s->bl[IDS_BUF_REQ_BODY];
	int w = 0;

	if (s->bp[IDS_BUF_START])
		w = ids_walk(it, n, cbytes, s->bp[IDS_BUF_START], s->bl[IDS_BUF_START], 0, end,
			     &s->walk_budget, pc);
	if (!w && body)
		w = ids_walk(it, n, cbytes, body, blen, 0, end, &s->walk_budget, pc);
	return w;
}

/* 1: walked rule ri's items match s's payload (ends[] then holds each
 * item's end in the walk's match, for the pcres after it); 0: they do not;
 * -1: the walk reached its limit (invariant 6) or a pcre in it failed
 * (invariant 3). */
static int walk_confirm(uint32_t ri, struct scan *s, enum walk_how how)
{
	const struct ids_walk_pcre pc = {.match = walk_pcre, .ctx = s};
	const struct ids_blob_item *it = items + item_first[ri];
	const bool on_msg = rules[ri].flags & IDS_BLOB_HTTP;
	const uint8_t bb = body_buf(s);
	unsigned n = rules[ri].nitems;
	bool body_failed = false;

	st.walk_runs++;
	/* each buffer's items in turn (grouped by buffer: the check) */
	for (unsigned g = 0, e; g < n; g = e) {
		uint8_t b = it[g].buf;
		/* a group on the message's body: its packet contents, its body buffer */
		const bool body = on_msg && (b == IDS_BUF_PKT || b == bb);
		int w = 0;

		for (e = g + 1; e < n && it[e].buf == b; e++)
			;
		if (how == WALK_BODY && !body)
			continue; /* it held on the message's header view */
		if (b == IDS_BUF_PKT && on_msg)
			w = walk_msg(it + g, e - g, s, ends + g, &pc);
		else if (s->bp[b])
			w = ids_walk(it + g, e - g, cbytes, s->bp[b], s->bl[b],
				     b == IDS_BUF_PKT ? s->min_end : 0, ends + g, &s->walk_budget, &pc);
		if (w < 0) {
			st.walk_limited++;
			return -1;
		}
		if (!w && body && how == WALK_HEADERS) {
			body_failed = true; /* the other groups still decide whether it waits */
			continue;
		}
		if (!w) {
			st.walk_refuted++;
			return 0;
		}
	}
	if (body_failed) {
		st.walk_refuted++;
		return WALK_WAITS;
	}
	return 1;
}

/* Whether rule ri fired on the message s's HTTP buffers are of (once per
 * message, as the offline engine inspects it: each of its views shows
 * the rules its body so far, old bytes and new); else it does now, noted.
 * The message's own list goes with its direction's state, kept only when
 * the frame crosses; the rule's last message (rule_msg_*) is noted in
 * s->pend, written when the frame crosses, so that a rule past the list's
 * room does not fire again on each segment; that note is never taken
 * for a drop rule's (a dropped frame's match must drop it again when it is
 * sent again; the list holds a drop rule only when its frame crossed). */
static bool fired_on_msg(struct scan *s, uint32_t ri)
{
	struct ids_http_trk *t = s->trk;

	for (unsigned i = 0; i < t->nfired; i++)
		if (t->fired[i] == ri)
			return true;
	if (rules[ri].action != IDS_BLOB_DROP && rule_msg_flow[ri] == s->msg_flow &&
	    rule_msg_n[ri] == s->msg_n)
		return true;
	if (rules[ri].action != IDS_BLOB_DROP && s->npend < IDSL_PEND_MAX) {
		s->pend[s->npend] = ri;
		s->pend_n[s->npend++] = s->msg_n;
	}
	if (t->nfired < IDS_HTTP_FIRED)
		t->fired[t->nfired++] = ri;
	return false;
}

/* Whether walked rule ri waits on the body of the message s is a view
 * of (its direction's list). */
static bool pending(const struct scan *s, uint32_t ri)
{
	for (unsigned i = 0; s->trk && i < s->trk->npend; i++)
		if (s->trk->pend[i] == ri)
			return true;
	return false;
}

/* How rule ri is walked on s: an HTTP rule on a view of a message with its
 * header buffers, or of its body alone when it waits on that body. */
static enum walk_how walk_how_of(const struct scan *s, uint32_t ri)
{
	if (!(rules[ri].flags & IDS_BLOB_HTTP) || !s->trk)
		return WALK_ALL;
	if (s->bp[IDS_BUF_START])
		return WALK_HEADERS;
	return pending(s, ri) ? WALK_BODY : WALK_ALL;
}

/* Rule ri held on the message's header view but for its body: it waits
 * on the message's later views (kept when the frame crosses, with the
 * direction's state; one fired on the message already does not), when its
 * body's items are positive contents placed only after each other. Past
 * IDS_HTTP_PEND rules (drop rules first) a message's body is not looked
 * at for the rest (counted: http_nowait); a drop rule that finds the list
 * full of drop rules fails closed: the message's later views are dropped
 * (add_pending). */
static void wait_on_body(struct scan *s, uint32_t ri)
{
	struct ids_http_trk *t = s->trk;
	const struct ids_blob_item *it = items + item_first[ri];
	const uint8_t bb = body_buf(s);

	/* A later view holds the body's bytes in the window, not from the
	 * body's first byte: only positive contents placed nowhere but after
	 * each other mean the same there (a negated one, one anchored to the
	 * buffer's start or end, isdataat, byte_*, a pcre would not: review-22) */
	for (unsigned k = 0; k < rules[ri].nitems; k++) {
		/* the group's first: relative to the buffer's start, so anchored */
		const bool first = !k || it[k - 1].buf != it[k].buf;
		const uint16_t ok = first ? IDS_BLOB_I_NOCASE
					  : (uint16_t)(IDS_BLOB_I_NOCASE | IDS_BLOB_I_DISTANCE |
						       IDS_BLOB_I_WITHIN | IDS_BLOB_I_RELATIVE);

		if ((it[k].buf == IDS_BUF_PKT || it[k].buf == bb) && (it[k].flags & ~ok)) {
			st.http_nowait++;
			return;
		}
	}
	if ((rules[ri].fields & IDS_BLOB_F_BSIZE) && rules[ri].bsize_buf == bb) {
		st.http_nowait++; /* a body's size, not the window's */
		return;
	}
	for (unsigned i = 0; i < t->nfired; i++)
		if (t->fired[i] == ri)
			return;
	if (pending(s, ri))
		return;
	if (t->npend < IDS_HTTP_PEND) {
		t->pend[t->npend++] = ri;
		return;
	}
	/* full: a drop rule takes an alert rule's place (the list in rule
	 * order would let alert rules keep a drop rule out) */
	st.http_nowait++;
	if (rules[ri].action != IDS_BLOB_DROP)
		return;
	for (unsigned i = 0; i < t->npend; i++)
		if (rules[t->pend[i]].action != IDS_BLOB_DROP) {
			t->pend[i] = ri;
			return;
		}
	t->pend_full = 1; /* a body a drop rule cannot watch does not cross */
}

/* A view of a message's body alone: the rules waiting on it are
 * candidates, whatever its buffers matched. */
static void add_pending(struct scan *s)
{
	if (!s->trk || s->bp[IDS_BUF_START])
		return;
	if (s->trk->pend_full && s->bp[body_buf(s)])
		s->drop = true; /* a view of the body (wait_on_body) */
	for (unsigned i = 0; i < s->trk->npend; i++) {
		uint32_t ri = s->trk->pend[i], k;

		if (ri >= hdr->nrules)
			continue;
		for (k = 0; k < s->ncand && cand[k] != ri; k++)
			;
		if (k == s->ncand && s->ncand < hdr->nrules)
			cand[s->ncand++] = ri;
	}
}

/* The candidates in rule order, as Suricata runs them (flowbits a rule sets
 * are seen by the later rules on the same frame): header and flow,
 * flowbits checks, the walk, pcres; then the rule's flowbits changes, its
 * threshold, its alert (none with noalert) and its drop. In a stream's
 * window the header-only rules come first, as the offline engine runs them
 * on the packet before the stream's rules. 0, or -1 when a walk or a pcre
 * could not finish. */
static int confirm(struct scan *s, uint64_t *bits)
{
	sort_u32(cand, s->ncand);
	for (int pass = s->min_end ? 0 : 1; pass < 2; pass++)
	for (uint32_t i = 0; i < s->ncand; i++) {
		uint32_t ri = cand[i];
		const struct ids_blob_rule *r = &rules[ri];
		const struct ids_blob_fb *fb = fbs + fb_first[ri];
		int c;

		if (s->min_end && !pass != !r->ncontents)
			continue; /* header-only rules in pass 0, the others in 1 */
		/* in a stream's window, a payload rule that is not walked
		 * needs a match in the new bytes (a walked one's walk asks) */
		if (s->min_end && r->ncontents && !r->nitems && !(r->flags & IDS_BLOB_APP) &&
		    rule_new[ri] != frame_no)
			continue;
		/* an HTTP rule on the other message's buffers (they share some) */
		if ((r->flags & IDS_BLOB_HTTP) && !(r->flags & IDS_BLOB_HTTP_TC) != !s->http_tc)
			continue;
		/* alert http, payload contents: a flow taken for HTTP */
		if ((r->flags & IDS_BLOB_ON_HTTP) && !s->on_http)
			continue;
		/* a DNS rule that fired on an earlier name of this datagram */
		if ((r->flags & IDS_BLOB_DNS) && rule_once[ri] == s->once)
			continue;
		if (!ids_rule_hdr_ok(hdr, r, s->p, s->ports, s->flow) ||
		    !ids_rule_fields_ok(r, s->p, s->l4, s->len) ||
		    !ids_rule_bsize_ok(r, s->bp[r->bsize_buf % IDS_BLOB_BUFS],
				       s->bl[r->bsize_buf % IDS_BLOB_BUFS]) ||
		    (r->nfb && !ids_fb_check(fb, r->nfb, bits)))
			continue;
		c = r->nitems ? walk_confirm(ri, s, walk_how_of(s, ri)) : 1;
		if (c == WALK_WAITS) {
			wait_on_body(s, ri);
			continue;
		}
		if (c > 0 && r->npcre)
			c = pcres_confirm(ri, s);
		if (c < 0)
			return -1; /* a walk or pcre that could not finish: fail closed */
		if (!c)
			continue;
		if ((r->flags & IDS_BLOB_HTTP) && s->trk && fired_on_msg(s, ri))
			continue; /* matched this message already */
		if (r->flags & IDS_BLOB_DNS)
			rule_once[ri] = s->once;
		ids_fb_apply(fb, r->nfb, bits);
		struct ids_thr_verdict v = {true, true};
		if (r->thr_type)
			v = ids_thr_check(thr, rules, ri, s->p->saddr, s->p->daddr, s->p->alen,
					  tsc_clock_ns(&clk, own.tsc_khz));
		if (r->action == IDS_BLOB_DROP && v.action)
			s->drop = true;
		if (r->flags & IDS_BLOB_NOALERT)
			continue;
		if (!v.alert) {
			st.thr_suppressed++;
			continue;
		}
		s->alerts++;
		if (s->nfired < IDSL_FIRED_MAX)
			s->fired[s->nfired++] = ri;
	}
	return 0;
}

static const char *proto_name(uint8_t proto)
{
	return proto == 6    ? "TCP"
	       : proto == 17 ? "UDP"
	       : proto == 1  ? "ICMP"
	       : proto == 58 ? "IPv6-ICMP"
			     : "IP";
}

/* One "idsalert" line (the root makes it an "ids_alert" event). */
static void alert_line(const struct ids_blob_rule *r, const struct scan *s, bool from_guest)
{
	struct line l = {.len = 0};

	if (alerts_this_tick >= IDSL_ALERTS_PER_TICK) {
		st.unlogged++;
		return;
	}
	alerts_this_tick++;
	line_str(&l, "idsalert");
	line_kv(&l, "sid", r->sid);
	line_kv(&l, "rev", r->rev);
	line_str(&l, r->action == IDS_BLOB_DROP ? " action=blocked" : " action=allowed");
	line_str(&l, " proto=");
	line_str(&l, proto_name(s->p->proto));
	line_str(&l, " src=");
	put_addr(&l, s->p, s->p->saddr, s->ports ? s->p->sport : 0);
	line_str(&l, " dst=");
	put_addr(&l, s->p, s->p->daddr, s->ports ? s->p->dport : 0);
	line_str(&l, from_guest ? " direction=from_guest" : " direction=to_guest");
	line_str(&l, " msg=");
	line_str(&l, r->msg);
	line_send(&l);
}

/* Where the bytes a content rule inspects start, and how many: the L4
 * payload (TCP, UDP), the ICMP body, or the IP payload; a later fragment's
 * bytes (no L4 header in it) are all payload, scanned alone. Never the
 * link's padding after the IP datagram (fw_pkt.l4_len). */
static bool payload(const uint8_t *frame, uint32_t len, const struct fw_pkt *p, uint32_t *off,
		    uint32_t *n)
{
	uint32_t o = p->l4_off, end;

	if (!o || !rt_range_ok(o, p->l4_len, len))
		return false;
	end = o + p->l4_len;
	if (p->frag == FW_FRAG_LATER || !p->l4_ok) {
		*off = o;
		*n = p->l4_len;
		return true;
	}
	if (p->proto == 6) {
		if (o + 13 > end)
			return false;
		o += (uint32_t)(frame[o + 12] >> 4) * 4;
		*n = p->l4_payload;
	} else if (p->proto == 17) {
		o += 8;
		*n = p->l4_payload;
	} else if (p->proto == 1 || p->proto == 58) {
		o += 8;
		*n = o <= end ? end - o : 0;
	} else {
		*n = end - o;
	}
	*off = o;
	return rt_range_ok(o, *n, end);
}

/* Query name q's buffers (as it is, and with its '.' for dotprefix). */
static void set_name(struct scan *s, uint32_t q)
{
	s->bp[IDS_BUF_DNS_QUERY] = dnsq->name[q] + 1;
	s->bl[IDS_BUF_DNS_QUERY] = dnsq->len[q];
	s->bp[IDS_BUF_DNS_QUERY_DOT] = dnsq->name[q];
	s->bl[IDS_BUF_DNS_QUERY_DOT] = dnsq->len[q] + 1;
}

/* One scan of each buffer of s present that has a database, then the
 * candidates: 0, or -1 (a scan, walk or pcre that could not finish; or
 * s->failed set). */
static int scan_all(struct scan *s)
{
	int r = 0;

	if (dnsq->n && !s->bp[IDS_BUF_DNS_QUERY])
		set_name(s, 0);
	for (unsigned b = 0; !r && !s->failed && b < IDS_BLOB_BUFS; b++) {
		if (!s->bp[b] || !hdr->dbs[b].size)
			continue;
		uint64_t t = tsc_fenced();

		s->buf = (uint8_t)b;
		r = hsrt_scan(b, s->bp[b], s->bl[b], on_match, s);
		st.hs_cycles += tsc_fenced() - t; /* Hyperscan's own (bench/ids.sh) */
	}
	if (!r && !s->failed)
		add_pending(s);
	if (!r && !s->failed && s->ncand)
		r = confirm(s, s->flow && s->flow->entry != FW_CT_NIL ? fbits[s->flow->entry]
								      : NULL);
	return r;
}

/* What a TCP flow is (enum app) by its first data, d[0 .. n), as the
 * offline engine detects TLS: a flow without the table, or not known, is
 * taken by the segment alone. Only bytes that decide (with streams: the
 * first new bytes of their direction, not a stale or repeated segment the
 * receiver drops) set the flow's; the others are taken alone until then. */
static enum app app_of(const struct ids_flow *f, const uint8_t *d, uint32_t n, bool decides)
{
	enum app a = ids_tls_start(d, n) ? APP_TLS : APP_OTHER;

	if (!f || !f->known || f->entry == FW_CT_NIL)
		return a;
	if (flow_app[f->entry] == APP_UNSEEN && !decides)
		return a;
	if (flow_app[f->entry] == APP_UNSEEN)
		flow_app[f->entry] = (uint8_t)a;
	return (enum app)flow_app[f->entry];
}

/* The response at d[0 .. n) (http.c) into s's HTTP buffers (none when it is
 * not a whole one: s->http_tc says), counted. */
static void take_response(struct scan *s, const uint8_t *d, uint32_t n)
{
	enum ids_http_kind k = ids_http_parse_resp(d, n, &http, http_room);

	st.http_responses += k == IDS_HTTP_RESPONSE;
	st.http_partial += k == IDS_HTTP_PARTIAL;
	st.http_encoded += http.encoded;
	s->http_tc = k == IDS_HTTP_RESPONSE;
	s->raw = s->http_tc ? http.raw : NULL;
	s->raw_len = s->http_tc ? http.raw_len : 0;
	for (unsigned b = 1; b < IDS_BLOB_BUFS; b++) {
		s->bp[b] = s->http_tc ? http.p[b] : NULL;
		s->bl[b] = s->http_tc ? http.len[b] : 0;
	}
}

/* What flow state f (flow_http's) becomes with its side dir's new bytes
 * d[0 .. n), as the offline engine's app_data: the first side to send
 * decides (the client's request, or a response, HTTP; a TLS record TLS;
 * the client's anything else OTHER), and an OTHER flow whose server's
 * first data is a response is HTTP. */
static uint8_t happ_step(uint8_t f, bool dir, const uint8_t *d, uint32_t n)
{
	uint8_t app = f & HAPP_MASK;
	const uint8_t mine = (uint8_t)(HAPP_TRIED << dir), other = (uint8_t)(HAPP_TRIED << !dir);

	if (app == HAPP_OTHER && dir && !(f & mine) && ids_http_starts(d, n, true))
		app = HAPP_HTTP; /* a request that did not parse, answered by an HTTP server */
	if (app == HAPP_NONE && !(f & other)) {
		if (ids_http_starts(d, n, dir))
			app = HAPP_HTTP;
		else if (n >= 6 && d[0] == 0x16 && d[1] == 3)
			app = HAPP_TLS;
		else if (!dir)
			app = HAPP_OTHER;
	}
	return (uint8_t)((f & ~HAPP_MASK) | mine | app);
}

/* One segment's new bytes of an HTTP direction's stream (invariant 8):
 * its window, where ids_http_next is in it, and the direction's state as
 * the segment leaves it (kept when the frame crosses). */
struct hstream {
	bool on, resp;
	bool lost; /* a message that could not be inspected whole, under a drop rule of its side */
	const uint8_t *w;
	uint32_t wn, nb, at;
	uint64_t gen; /* the flow's number (flow_gen) */
	uint64_t unz; /* inflated bytes of this frame's messages (IDSL_UNZ_FRAME) */
	struct ids_http_trk tk;
	struct ids_http_heads hq;
};

/* The next message of x's segment into s's HTTP buffers (counted):
 * false when none is left, or (x->lost) when one whose header block the
 * window no longer holds ends and a drop rule of its side could have
 * fired on it. */
static bool next_http(struct scan *s, struct hstream *x)
{
	struct ids_http_view v;

	for (;;) {
		if (x->unz + IDS_HTTP_UNZ_MAX > IDSL_UNZ_FRAME) { /* no room for one more: fail closed */
			s->failed = true;
			return false;
		}
		if (!ids_http_next(&x->tk, &x->hq, x->resp, x->w, x->wn, x->nb, &x->at, &http,
				   http_room, &v))
			return false;
		if (!v.lost)
			break;
		st.http_lost++;
		if (x->resp ? http_drop_resp : http_drop_req) {
			x->lost = true;
			return false;
		}
	}
	st.http_requests += v.kind == IDS_HTTP_REQUEST && v.fresh;
	st.http_responses += v.kind == IDS_HTTP_RESPONSE && v.fresh;
	st.http_partial += v.kind == IDS_HTTP_PARTIAL;
	st.http_encoded += http.encoded;
	if (http.encoded && http.p[IDS_BUF_FILE_DATA])
		x->unz += http.len[IDS_BUF_FILE_DATA];
	s->http_tc = x->resp;
	s->raw = x->resp ? http.raw : NULL;
	s->raw_len = x->resp ? http.raw_len : 0;
	s->msg_flow = x->gen * 2 + x->resp;
	s->msg_n = x->tk.msgs;
	for (unsigned b = 1; b < IDS_BLOB_BUFS; b++) {
		s->bp[b] = http.p[b];
		s->bl[b] = http.len[b];
	}
	return true;
}

/* Flow entry's protocol unknown and no HTTP message begun on its first
 * ways (1: the opener's alone, 2: both): a new flow's, or the opener's
 * SYN data that never reached the server (its stream went back to the
 * ISN + 1; nothing else of the flow crossed before the SYN-ACK). */
static void forget_app(uint32_t entry, unsigned ways)
{
	flow_app[entry] = APP_UNSEEN;
	if (http_rules) {
		for (unsigned w = 0; w < ways; w++)
			ids_http_trk_reset(&htrk[entry * 2 + w]);
		rt_memset(&hheads[entry], 0, sizeof(hheads[entry]));
	}
	if (on_http_rules)
		flow_http[entry] = HAPP_NONE;
}

static bool idsl_filter(const uint8_t *vhdr, const uint8_t *frame, uint32_t len, bool from_guest)
{
	struct fw_pkt p;
	struct ids_flow fl;
	struct scan s = {.p = &p, .walk_budget = IDS_WALK_FRAME_BUDGET,
			 .pcre_budget = {.steps = PCRERT_FRAME_STEPS}};
	struct ids_seg_plan sg = {.on = false};
	struct hstream hx = {.on = false};
	uint8_t happ = 0; /* flow_http's value once the frame crossed */
	uint32_t off, n, app_n;
	const uint8_t *app_d;
	bool app_decide = true, alone;
	enum ids_seg_why why = IDS_SEGW_OK;
	uint64_t t0;
	int r;

	st.frames++;
	st.bytes += len;
	fw_parse(frame, len, &p);
	if (!p.invalid && p.l3 == FW_L3_ARP)
		return true; /* no rule of ours names ARP */
	/* What the parser refuses never crosses unscanned, whatever its
	 * ethertype claims (an IPv4 header with its reserved bit set, a fourth
	 * VLAN tag, a protocol we do not parse): dropped, as the firewall does. */
	if (p.invalid || (p.l3 != FW_L3_IP4 && p.l3 != FW_L3_IP6) ||
	    !payload(frame, len, &p, &off, &n)) {
		st.invalid++;
		st.drops++;
		return false;
	}
	/* The flow before any rule (flow.c, invariant 2): a new flow that finds
	 * the table full is dropped, unscanned, as the firewall drops it. */
	if (track) {
		if (ids_flow_track(ct, &p, from_guest, ticks * IDSL_TICK_NS, &fl)) {
			st.flows_full++;
			st.drops++;
			return false;
		}
		if (fl.forged) { /* from the wrong side for its way (flow.c, invariant 9) */
			st.invalid++;
			st.drops++;
			return false;
		}
		if (fl.fresh && fl.entry != FW_CT_NIL) { /* an entry's bits start clear */
			rt_memset(fbits[fl.entry], 0, sizeof(fbits[fl.entry]));
			if (streams) { /* and its streams empty */
				ids_stream_reset(spool, fl.entry * 2);
				ids_stream_reset(spool, fl.entry * 2 + 1);
			}
			/* its protocol unknown, no message begun, in a flow of its own */
			forget_app(fl.entry, 2);
			if (http_rules)
				flow_gen[fl.entry] = ++flows;
		}
		s.flow = &fl;
	}
	s.l4 = p.l4_ok && p.frag != FW_FRAG_LATER;
	s.ports = s.l4 && (p.proto == 6 || p.proto == 17);
	s.data = frame + off;
	s.len = n;
	s.bp[IDS_BUF_PKT] = s.data;
	s.bl[IDS_BUF_PKT] = n;
	app_d = s.data;
	app_n = n;
	/* TCP against its flow's stream (invariant 9, src/ids/seg.h) */
	now_ns = ticks * IDSL_TICK_NS;
	if (streams && s.flow) {
		/* what the receiver takes: a checksum the host kernel fills in
		 * (NEEDS_CSUM: fw_vnet_hdr_check held it to this frame's own
		 * field, with the pseudo-header's sum as its seed)
		 * or one our parent's host checked (DATA_VALID, which a Linux
		 * guest trusts) is right; a guest's claim that its own was
		 * checked proves nothing downstream: the sum decides */
		bool csum_ok = p.proto != 6 || (vhdr[0] & FW_VNET_F_NEEDS_CSUM) ||
			       (!from_guest && (vhdr[0] & FW_VNET_F_DATA_VALID)) ||
			       fw_l4_csum_ok(frame, len, &p);
		why = ids_seg_decide(spool, ct, &p, &fl, s.data, n, csum_ok, swin, &sg);

		st.stream_ooo += why == IDS_SEGW_OOO;
		st.stream_diff += why == IDS_SEGW_DIFF;
		st.stream_nomem += why == IDS_SEGW_NOMEM;
		st.stream_fin += why == IDS_SEGW_FIN;
		st.stream_urg += why == IDS_SEGW_URG;
		st.stream_frag += why == IDS_SEGW_FRAG;
		st.stream_lost += why == IDS_SEGW_LOST;
		st.stream_csum += why == IDS_SEGW_CSUM;
		if (why != IDS_SEGW_OK && ips) {
			st.drops++;
			ids_flow_undo(ct, s.flow);
			return false;
		}
		if (sg.min_end) {
			s.bp[IDS_BUF_PKT] = sg.scan;
			s.bl[IDS_BUF_PKT] = sg.scanlen;
			s.min_end = sg.min_end;
			st.stream_segs++;
		}
		/* a flow's protocol from its direction's first new bytes (app_of) */
		if (sg.on && sg.v.kind == IDS_SEG_NEW) {
			app_d = s.data + sg.v.skip;
			app_n = n - sg.v.skip;
		}
		app_decide = !sg.on || sg.v.first;
		/* what the flow is with this frame's new bytes (both engines
		 * decide before the segment's rules run, as Suricata); kept
		 * only if the frame crosses */
		if (on_http_rules && fl.known && fl.entry != FW_CT_NIL) {
			happ = flow_http[fl.entry];
			if (sg.on && why == IDS_SEGW_OK && sg.v.kind == IDS_SEG_NEW)
				happ = happ_step(happ, fl.dir, s.data + sg.v.skip, n - sg.v.skip);
			s.on_http = (happ & HAPP_MASK) == HAPP_HTTP;
		}
		/* HTTP over the stream: a segment's new bytes, in order, with
		 * the tail before them (invariant 8) */
		if (http_rules && sg.on && why == IDS_SEGW_OK && sg.v.kind == IDS_SEG_NEW &&
		    s.ports) {
			hx.on = true;
			hx.resp = fl.dir;
			hx.w = sg.min_end ? sg.scan : s.data + sg.v.skip;
			hx.wn = sg.min_end ? sg.scanlen : n - sg.v.skip;
			hx.nb = hx.at = sg.min_end;
			hx.tk = htrk[sg.owner];
			hx.hq = hheads[fl.entry];
			hx.gen = flow_gen[fl.entry];
			s.trk = &hx.tk;
		}
	}
	frame_no++;
	st.scanned++;
	st.scanned_bytes += n;
	t0 = tsc_fenced();
	if (own.tsc_khz) /* the deadline (pcrert.h), from the scan's start */
		s.pcre_budget.deadline = t0 + (uint64_t)PCRERT_FRAME_US * own.tsc_khz / 1000;
	/* HTTP over the stream: its first message in the new bytes (the
	 * others after the first scan) */
	if (hx.on && !next_http(&s, &hx) && hx.lost) {
		st.drops++;
		ids_flow_undo(ct, s.flow);
		return false;
	}
	/* off a stream (a segment in ids mode the stream could not take, a
	 * flow of unknown side): the segment alone. A request comes from the
	 * client: with the flow table, not from the side that did not open
	 * the flow (the offline engine parses requests in the opener's
	 * direction only) */
	alone = !hx.on; /* old bytes too: a resent segment's may differ past the tail */
	if (http_rules && alone && s.ports && p.proto == 6 && n &&
	    !(s.flow && s.flow->known && s.flow->dir)) {
		enum ids_http_kind k = ids_http_parse(s.data, n, &http, http_room);

		st.http_requests += k == IDS_HTTP_REQUEST;
		st.http_partial += k == IDS_HTTP_PARTIAL;
		for (unsigned b = 1; k != IDS_HTTP_NONE && b < IDS_BLOB_BUFS; b++) {
			s.bp[b] = http.p[b];
			s.bl[b] = http.len[b];
		}
	}
	/* a response: from the server of a flow the table saw opened (the
	 * offline engine parses responses in the other direction only) */
	if (http_resp_rules && alone && s.ports && p.proto == 6 && n && s.flow &&
	    s.flow->known && s.flow->dir)
		take_response(&s, s.data, n);
	/* a ClientHello's server name: from the client (with the flow table,
	 * of a flow whose first data was a TLS record: app_of) */
	if (tls_rules && s.ports && p.proto == 6 && app_n &&
	    !(s.flow && s.flow->known && s.flow->dir) &&
	    app_of(s.flow, app_d, app_n, app_decide) == APP_TLS) {
		const uint8_t *sni;
		uint32_t sl;

		st.tls_hellos += app_n >= 6 && app_d[0] == 0x16 && app_d[5] == 1;
		if (ids_tls_sni(app_d, app_n, &sni, &sl)) {
			st.tls_sni++;
			s.bp[IDS_BUF_TLS_SNI] = sni;
			s.bl[IDS_BUF_TLS_SNI] = sl;
			/* '.' and the name (dotprefix), in the HTTP parser's
			 * host room (one segment's worth; the segment, a TLS
			 * record, is no request: no HTTP buffer is in use) */
			http_room->host[0] = '.';
			rt_memcpy(http_room->host + 1, sni, sl); /* sl < n */
			s.bp[IDS_BUF_TLS_SNI_DOT] = http_room->host;
			s.bl[IDS_BUF_TLS_SNI_DOT] = sl + 1;
		}
	} else if (tls_rules && s.flow && s.flow->known && p.proto == 6 && app_n) {
		/* the server's first data decides too */
		(void)app_of(s.flow, app_d, app_n, app_decide);
	}
	/* a DNS query's names: UDP to or from port 53, from the flow's opener
	 * (the offline engine's dns.query is the client's) */
	dnsq->n = 0;
	if (dns_rules && s.ports && p.proto == 17 && (p.sport == 53 || p.dport == 53) &&
	    !(s.flow && s.flow->known && s.flow->dir) && ids_dns_parse(s.data, n, dnsq)) {
		st.dns_queries++;
		st.dns_names += dnsq->n;
	}
	s.once = frame_no;
	if (hix.nruns || hix.nall) /* invariant 11 */
		ids_hix_find(&hix, &p, hdr_cand, &s);
	r = scan_all(&s);
	/* the segment's further HTTP messages (over the stream: the next in
	 * its new bytes; alone: a response after an interim one, http.h:
	 * next), each scanned with its own buffers, as the offline engine
	 * inspects each message; past IDSL_HTTP_MSGS_MAX in one segment the
	 * scan fails (invariant 2) */
	for (uint32_t at = 0, turns = 0; !r && !s.failed; turns++) {
		if (hx.on) {
			if (!next_http(&s, &hx)) {
				if (hx.lost) /* dropped, as the first would be */
					s.drop = true;
				break;
			}
		} else {
			if (!s.http_tc || !http.next)
				break;
			at += http.next; /* within n: the parser's offset in what it was given */
			take_response(&s, s.data + at, n - at);
			if (!s.http_tc)
				break;
		}
		if (turns == IDSL_HTTP_MSGS_MAX) {
			s.failed = true;
			break;
		}
		s.bp[IDS_BUF_PKT] = NULL; /* the payload's rules ran on the first */
		s.bl[IDS_BUF_PKT] = 0;
		frame_no++;
		s.ncand = 0;
		s.min_end = 0;
		r = scan_all(&s);
	}
	/* the query's further names, each alone with the DNS databases */
	for (uint32_t q = 1; !r && !s.failed && q < dnsq->n; q++) {
		for (unsigned b = 0; b < IDS_BLOB_BUFS; b++)
			s.bp[b] = NULL;
		set_name(&s, q);
		frame_no++;
		s.ncand = 0;
		s.min_end = 0;
		r = scan_all(&s);
	}
	st.scan_cycles += tsc_fenced() - t0;
	if (r || s.failed) { /* a stopped scan is not a clean one */
		st.scan_failed++;
		st.drops++;
		if (s.flow)
			ids_flow_undo(ct, s.flow);
		return false;
	}
	for (unsigned i = 0; i < s.nfired; i++)
		alert_line(&rules[s.fired[i]], &s, from_guest);
	st.alerts += s.alerts;
	if (s.drop) {
		st.drops++;
		if (s.flow) /* only frames that cross move the flow table (flow.c) */
			ids_flow_undo(ct, s.flow);
		return false;
	}
	/* only what crosses joins the stream, and moves its HTTP messages: a
	 * segment's new bytes that were not taken in order put the direction
	 * out of step */
	if (on_http_rules && s.flow && fl.known && fl.entry != FW_CT_NIL)
		flow_http[fl.entry] = happ;
	for (uint32_t i = 0; i < s.npend; i++) {
		rule_msg_flow[s.pend[i]] = s.msg_flow;
		rule_msg_n[s.pend[i]] = s.pend_n[i];
	}
	if (hx.on) {
		htrk[sg.owner] = hx.tk;
		hheads[fl.entry] = hx.hq;
	} else if (http_rules && sg.on && n && sg.v.kind != IDS_SEG_OLD) {
		htrk[sg.owner].state = IDS_HT_LOST;
	}
	if (ids_seg_commit(spool, &p, &sg, s.data, n) < 0)
		st.stream_nomem++;
	/* a SYN-ACK that acks the opener's ISN + 1 alone threw the SYN's data
	 * away (Linux without a TFO cookie): the opener's way starts again
	 * there, as though the data never crossed, else it is old bytes when
	 * sent again, inspected before the flow was established (review-24);
	 * not a SYN-ACK sent again after the handshake, when the opener's
	 * data after it may have crossed */
	if (streams && s.flow && fl.known && fl.entry != FW_CT_NIL && fl.dir && p.proto == 6 &&
	    (p.tcp_flags & (FW_TCP_SYN | FW_TCP_ACK)) == (FW_TCP_SYN | FW_TCP_ACK) &&
	    fl.was_entry == fl.entry && fl.was.tcp < FW_TCP_ESTABLISHED &&
	    ids_stream_rewind(spool, fl.entry * 2, p.ack))
		forget_app(fl.entry, 1);
	return true;
}

/* ---- lifecycle ------------------------------------------------------------- */

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static __attribute__((noreturn)) void idsl_fail(const char *what, const char *detail)
{
	layer_fail("ids", what, detail);
}

/* size bytes of our memory at *at, which then moves past them to the next page. */
static void *carve(uint64_t *at, uint64_t size, uint64_t mem, const char *what)
{
	void *p = (void *)(uintptr_t)*at;

	if (!rt_range_ok(*at, size, mem))
		idsl_fail(what, NULL);
	*at = align_up(*at + size, PAGE);
	return p;
}

const struct rp_boot_info *idsl_setup(const struct rp_boot_info *info, uint8_t **child_base)
{
	const uint64_t mem = info->mem_size;
	uint64_t end, at;
	const char *why = policy_split(info, &own, &policy, &end);

	if (why)
		idsl_fail(why, NULL);
	at = align_up(end, PAGE);
	arena = carve(&at, IDSL_ARENA, mem, "no room for Hyperscan's arena");
	ct = carve(&at, sizeof(*ct), mem, "no room for the flow table");
	fbits = carve(&at, FW_CT_MAX * sizeof(*fbits), mem, "no room for the flowbits");
	flow_app = carve(&at, FW_CT_MAX, mem, "no room for the flows' protocols");
	dnsq = carve(&at, sizeof(*dnsq), mem, "no room for the DNS parser's names");
	http_room = carve(&at, sizeof(*http_room), mem, "no room for the HTTP parser's buffers");
	sdirs = carve(&at, 2 * FW_CT_MAX * sizeof(*sdirs), mem, "no room for the streams");
	spool = carve(&at, sizeof(*spool) + IDS_STREAM_TAIL + IDS_STREAM_SEG_MAX, mem,
		      "no room for the streams' tails");
	htrk = carve(&at, 2 * FW_CT_MAX * sizeof(*htrk), mem, "no room for the HTTP streams");
	hheads = carve(&at, FW_CT_MAX * sizeof(*hheads), mem, "no room for the HTTP streams");
	flow_gen = carve(&at, FW_CT_MAX * sizeof(*flow_gen), mem, "no room for the HTTP streams");
	flow_http = carve(&at, FW_CT_MAX, mem, "no room for the flows' protocols");
	swin = (uint8_t *)spool + sizeof(*spool);
	*child_base = (uint8_t *)(uintptr_t)align_up(at, BIG_PAGE);
	return &own;
}

void idsl_seal(int64_t vm, uint64_t child_size)
{
	if (hc_vm_map((uint64_t)vm, child_size, policy->gpa, align_up(policy->size, PAGE),
		      RP_MAP_R) < 0)
		idsl_fail("RP_HC_VM_MAP refused the policy's seal", NULL);
}

/* Whether the flow of a stream's owner (entry * 2 + direction) is gone:
 * its entry freed, expired, closed, or no longer TCP (stream.h). */
static bool stream_gone(void *ctx, uint32_t owner)
{
	const struct fw_ct_entry *e = &ct->e[owner / 2];

	(void)ctx;
	return !e->used || e->proto != FW_PROTO_TCP || e->expires <= now_ns ||
	       e->tcp >= FW_TCP_TIME_WAIT;
}

/* The flow table's hash key (layer_key): a secret the child cannot know. */
static void ct_key(uint8_t key[FW_CT_KEY_BYTES])
{
	layer_key("rampart ids flow table key", own.canary, key, FW_CT_KEY_BYTES);
}

/* The scan probe's callback: counts. */
static int probe_match(unsigned id, uint64_t to, void *ctx)
{
	(void)id, (void)to;
	(*(uint64_t *)ctx)++;
	return 0;
}

/*
 * The scan probe (src/ids/probe.h): the payload database over the probe's
 * bytes, a warming pass then IDS_PROBE_PASSES timed ones; the fastest
 * pass's cycles and one pass's matches into the start line. Nothing with a
 * payload database: the engine has nothing to measure.
 */
static void probe(struct line *l)
{
	uint8_t buf[IDS_PROBE_CHUNK];
	uint64_t best = ~0ull, matches = 0;

	if (!hdr->dbs[IDS_BUF_PKT].size)
		return;
	for (uint32_t pass = 0; pass <= IDS_PROBE_PASSES; pass++) {
		uint64_t state = IDS_PROBE_SEED, cycles = 0, m = 0;

		for (uint32_t c = 0; c < IDS_PROBE_CHUNKS; c++) {
			ids_probe_fill(buf, &state);
			uint64_t t = tsc_fenced();
			if (hsrt_scan(IDS_BUF_PKT, buf, sizeof(buf), probe_match, &m))
				idsl_fail("the scan probe failed", NULL);
			cycles += tsc_fenced() - t;
		}
		if (pass && cycles < best)
			best = cycles;
		matches = m;
	}
	line_str(l, "; probe ");
	line_dec(l, (uint64_t)IDS_PROBE_CHUNK * IDS_PROBE_CHUNKS);
	line_str(l, " bytes, ");
	line_dec(l, best);
	line_str(l, " cycles, ");
	line_dec(l, matches);
	line_str(l, " matches");
}

void idsl_start(bool have_net)
{
	uint8_t key[FW_CT_KEY_BYTES];
	const uint8_t *blob = (const uint8_t *)(uintptr_t)policy->gpa;
	const char *why = "?";
	struct line l = {.len = 0};

	/* Sealed before it is checked: what is checked is what runs. */
	if (ids_blob_check(blob, policy->size, &why))
		idsl_fail("policy blob refused", why);
	hdr = (const struct ids_blob_hdr *)blob;
	rules = (const struct ids_blob_rule *)(blob + hdr->rule_off);
	pats = (const struct ids_blob_pattern *)(blob + hdr->pattern_off);
	pcres = (const struct ids_blob_pcre *)(blob + hdr->pcre_off);
	fbs = (const struct ids_blob_fb *)(blob + hdr->fb_off);
	items = (const struct ids_blob_item *)(blob + hdr->item_off);
	cbytes = blob + hdr->bytes_off;
	if (ids_hix_init(&hix, hdr))
		idsl_fail("policy blob refused", "the header-only index has too many runs");
	why = hsrt_init(arena, IDSL_ARENA);
	if (why)
		idsl_fail("Hyperscan's runtime did not start", why);
	seen = malloc((uint64_t)hdr->nrules * sizeof(*seen));
	pat_end = malloc(((uint64_t)hdr->npatterns + 1) * sizeof(*pat_end));
	pat_frame = malloc(((uint64_t)hdr->npatterns + 1) * sizeof(*pat_frame));
	pcre_first = malloc((uint64_t)hdr->nrules * sizeof(*pcre_first));
	fb_first = malloc((uint64_t)hdr->nrules * sizeof(*fb_first));
	cand = malloc((uint64_t)hdr->nrules * sizeof(*cand));
	item_first = malloc((uint64_t)hdr->nrules * sizeof(*item_first));
	if (!seen || !pat_end || !pat_frame || !pcre_first || !fb_first || !cand || !item_first)
		idsl_fail("no room for the rule table", NULL);
	rt_memset(seen, 0, (uint64_t)hdr->nrules * sizeof(*seen));
	rt_memset(pat_frame, 0, ((uint64_t)hdr->npatterns + 1) * sizeof(*pat_frame));
	bool thresholds = false;
	uint32_t nhdr_only = 0;
	for (uint32_t i = 0, k = 0, f = 0, t = 0; i < hdr->nrules;
	     k += rules[i].npcre, f += rules[i].nfb, t += rules[i++].nitems) {
		pcre_first[i] = k;
		fb_first[i] = f;
		item_first[i] = t;
		track = track || rules[i].flow || rules[i].nfb;
		thresholds = thresholds || rules[i].thr_type;
		http_rules = http_rules || (rules[i].flags & IDS_BLOB_HTTP);
		http_resp_rules = http_resp_rules || (rules[i].flags & IDS_BLOB_HTTP_TC);
		if ((rules[i].flags & IDS_BLOB_HTTP) && rules[i].action == IDS_BLOB_DROP) {
			http_drop_resp = http_drop_resp || (rules[i].flags & IDS_BLOB_HTTP_TC);
			http_drop_req = http_drop_req || !(rules[i].flags & IDS_BLOB_HTTP_TC);
		}
		dns_rules = dns_rules || (rules[i].flags & IDS_BLOB_DNS);
		on_http_rules = on_http_rules || (rules[i].flags & IDS_BLOB_ON_HTTP);
		tls_rules = tls_rules || (rules[i].flags & IDS_BLOB_TLS);
		ips = ips || rules[i].action == IDS_BLOB_DROP;
		nhdr_only += !rules[i].ncontents;
	}
	/* payload contents or HTTP: TCP is reassembled, through the flow
	 * table (HTTP's messages over it); a response is known by its flow's
	 * server */
	streams = hdr->dbs[IDS_BUF_PKT].size != 0 || http_rules;
	track = track || streams || http_resp_rules;
	if (streams) {
		rule_new = malloc((uint64_t)hdr->nrules * sizeof(*rule_new));
		if (!rule_new)
			idsl_fail("no room for the rule table", NULL);
		rt_memset(rule_new, 0, (uint64_t)hdr->nrules * sizeof(*rule_new));
		ids_stream_init(spool, sdirs, 2 * FW_CT_MAX, stream_gone, NULL);
	}
	if (http_rules) {
		rule_msg_flow = malloc((uint64_t)hdr->nrules * sizeof(*rule_msg_flow));
		rule_msg_n = malloc((uint64_t)hdr->nrules * sizeof(*rule_msg_n));
		if (!rule_msg_flow || !rule_msg_n)
			idsl_fail("no room for the rule table", NULL);
		/* flow 0 is none's (flows start at 1) */
		rt_memset(rule_msg_flow, 0, (uint64_t)hdr->nrules * sizeof(*rule_msg_flow));
		rt_memset(rule_msg_n, 0, (uint64_t)hdr->nrules * sizeof(*rule_msg_n));
	}
	if (dns_rules) {
		rule_once = malloc((uint64_t)hdr->nrules * sizeof(*rule_once));
		if (!rule_once)
			idsl_fail("no room for the rule table", NULL);
		rt_memset(rule_once, 0, (uint64_t)hdr->nrules * sizeof(*rule_once));
	}
	why = ids_blob_needs_clock(hdr);
	if (why && !own.tsc_khz)
		idsl_fail("the TSC's rate is needed, and the boot info gives none, for", why);
	if (thresholds) {
		uint8_t tkey[IDS_THR_KEY_BYTES];

		thr = malloc(sizeof(*thr));
		if (!thr)
			idsl_fail("no room for the threshold table", NULL);
		layer_key("rampart ids threshold key", own.canary, tkey, sizeof(tkey));
		ids_thr_init(thr, tkey);
		rt_memset(tkey, 0, sizeof(tkey));
		tsc_clock_start(&clk);
	}
	if (track) {
		ct_key(key);
		fw_ct_init(ct, key);
		rt_memset(key, 0, sizeof(key));
	}
	for (unsigned b = 0; b < IDS_BLOB_BUFS; b++) {
		why = hdr->dbs[b].size ? hsrt_load(b, blob + hdr->dbs[b].off, hdr->dbs[b].size) : NULL;
		if (why)
			idsl_fail("database refused", why);
	}
	why = hdr->npcre ? pcrert_load(blob + hdr->pcre_code_off, hdr->pcre_code_size, hdr->npcre)
			 : NULL;
	if (why)
		idsl_fail("pcres refused", why);
	if (hc5(RP_HC_TIMER, IDSL_TICK_NS, 0, 0, 0, 0) < 0)
		idsl_fail("RP_HC_TIMER refused", NULL);
	vdev_hooks.frame = idsl_filter;
	line_str(&l, "ids: blob checked, ");
	line_dec(&l, hdr->nrules);
	line_str(&l, " rules, ");
	line_dec(&l, hdr->npatterns);
	line_str(&l, " patterns, ");
	line_dec(&l, hdr->npcre);
	line_str(&l, " pcres, ");
	line_dec(&l, nhdr_only);
	line_str(&l, " header-only");
	line_str(&l, track ? ", flow table" : "");
	line_str(&l, streams ? (ips ? ", tcp streams (ips)" : ", tcp streams") : "");
	line_str(&l, thr ? ", thresholds" : "");
	line_str(&l, http_rules ? ", http" : "");
	line_str(&l, http_resp_rules ? " (responses too)" : "");
	line_str(&l, dns_rules ? ", dns" : "");
	line_str(&l, tls_rules ? ", tls" : "");
	line_str(&l, "; hyperscan ");
	line_str(&l, hsrt_variant_name(hsrt_variant()));
	line_str(&l, (hsrt_cpuid1_ecx() & (1u << 27)) ? " (osxsave)" : " (no osxsave)");
	line_str(&l, ", arena ");
	line_dec(&l, hsrt_arena_used());
	line_str(&l, " bytes");
	probe(&l);
	line_str(&l, have_net ? "; scanning" : "; no network to scan");
	line_send(&l);
}

void idsl_tick(void)
{
	ticks++;
	alerts_this_tick = 0;
	hc5(RP_HC_TIMER, IDSL_TICK_NS, 0, 0, 0, 0);
	if (ticks % IDSL_REPORT_TICKS == 0)
		idsl_report();
}
