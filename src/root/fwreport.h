/* SPDX-License-Identifier: MIT */
/*
 * A firewall layer's counters, as it reports them through RP_HC_LOG
 * ("fwrules" lines, then one "fwstats" line: src/layer/fwl.c), kept by the
 * root per depth and written as one "firewall" event per firewall layer at
 * the end of the run (and on SIGUSR1); likewise a wrapper's ("wrstats":
 * src/layer/wrl.c), as one "wrapper" event, and an ids layer's ("idsstats":
 * src/layer/idsl.c) as one "ids" event; an ids layer's "idsalert" lines
 * become "ids_alert" events as they come; a watch layer's ("watchstats":
 * src/layer/wtl.c) one "watch" event, and its "watchalert" lines
 * "watch_alert" events as they come. The root only reads numbers and
 * words here (an alert's msg is the rest of its line, printable already):
 * a malformed line is ignored, and nothing a layer reports grows a table.
 */
#ifndef RAMPART_FWREPORT_H
#define RAMPART_FWREPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "root/layer.h"

/*
 * Each kind's report keys, once: KIND_KEY_LIST(X) calls X(key, name) for
 * each, in order; the enum and the names in fwreport.c are made from it,
 * so a key added is added to both. Keys before the comment in a list add
 * up over restarts (a restarted layer reports from zero).
 */

/* Per-rule counters kept per layer: the layer reports at most as many. */
#define FWR_RULES_MAX 64

#define FWR_KEY_LIST(X) \
	X(FWR_FRAMES, "frames") \
	X(FWR_BYTES, "bytes") \
	X(FWR_ACCEPTED, "accepted") \
	X(FWR_DROPPED, "dropped") \
	X(FWR_REJECTED, "rejected") \
	X(FWR_INVALID, "invalid") \
	X(FWR_SPOOFED, "spoofed") \
	X(FWR_CT_FULL, "ct_full") \
	X(FWR_FRAG_DROPPED, "frag_dropped") \
	X(FWR_REJECT_UNSENT, "reject_unsent") \
	X(FWR_TAGGED, "tagged") \
	X(FWR_FILTER_CYCLES, "filter_cycles") \
	X(FWR_FILTERED, "filtered") \
	X(FWR_CT_EARLY, "ct_early") \
	/* the ones above add up over restarts */ \
	X(FWR_CT_ENTRIES, "ct_entries") \
	X(FWR_RULES, "rules") \
	X(FWR_UPTIME, "uptime_s") \
	X(FWR_RESTARTS, "restarts")
enum fwr_key {
#define X(key, name) key,
	FWR_KEY_LIST(X)
#undef X
	FWR_KEYS
};
#define FWR_ADDITIVE FWR_CT_ENTRIES

struct fwr_rule {
	uint32_t index, line;
	uint64_t packets, bytes;
};

/* The most keys one kind of report has (a static check in fwreport.c). */
#define FWR_KEYS_MAX 48

/*
 * One layer's report of one kind: its last whole report, and the sums of
 * its predecessors' last reports (a restarted layer reports from zero) for
 * the keys that add up; for a kind that raises alerts, the lines of this
 * second (window, in_window) and how many were cut past the kind's rate.
 */
struct fwr_report {
	bool seen;
	char name[32];
	uint64_t reports, cut, window, in_window;
	uint64_t v[FWR_KEYS_MAX], before[FWR_KEYS_MAX];
	/* A report too long for one line (RP_MAX_LOG) comes as a continuation
	 * first ("idsmore"): its values, taken by the next whole report. */
	uint64_t more[FWR_KEYS_MAX];
};

struct fwr_layer {
	struct fwr_report r;
	struct fwr_rule rules[FWR_RULES_MAX], before_rules[FWR_RULES_MAX], pending[FWR_RULES_MAX];
	unsigned nrules, nbefore, npending;
};

#define WRR_KEY_LIST(X) \
	X(WRR_REQUESTS, "requests") \
	X(WRR_DENIED, "refused_denied") \
	X(WRR_READ_ONLY, "refused_read_only") \
	X(WRR_TOO_BIG, "refused_too_big") \
	X(WRR_RATE, "refused_rate") \
	X(WRR_DELAYED, "delayed") \
	X(WRR_DELAY_MS, "delay_ms") \
	X(WRR_FRAMES, "frames_refused") \
	X(WRR_EXITS, "exits") \
	X(WRR_EXITS_DELAYED, "exits_delayed") \
	/* the ones above add up over restarts */ \
	X(WRR_WITHHELD, "devices_withheld") \
	X(WRR_UPTIME, "uptime_ms") \
	X(WRR_RESTARTS, "restarts")
enum wrr_key {
#define X(key, name) key,
	WRR_KEY_LIST(X)
#undef X
	WRR_KEYS
};
#define WRR_ADDITIVE WRR_WITHHELD

#define IDR_KEY_LIST(X) \
	X(IDR_FRAMES, "frames") \
	X(IDR_BYTES, "bytes") \
	X(IDR_SCANNED, "scanned") \
	X(IDR_SCANNED_BYTES, "scanned_bytes") \
	X(IDR_ALERTS, "alerts") \
	X(IDR_DROPS, "drops") \
	X(IDR_INVALID, "invalid") \
	X(IDR_SCAN_FAILED, "scan_failed") \
	X(IDR_UNLOGGED, "alerts_unlogged") \
	X(IDR_SCAN_CYCLES, "scan_cycles") \
	X(IDR_PCRE_RUNS, "pcre_runs") \
	X(IDR_PCRE_REFUTED, "pcre_refuted") \
	X(IDR_FLOWS_FULL, "flows_full") \
	X(IDR_WALK_RUNS, "walk_runs") \
	X(IDR_WALK_REFUTED, "walk_refuted") \
	X(IDR_WALK_LIMITED, "walk_limited") \
	X(IDR_THR_SUPPRESSED, "thr_suppressed") \
	X(IDR_THR_FULL, "thr_full") \
	X(IDR_FLOWS_EARLY, "flows_early") \
	X(IDR_THR_EVICTED, "thr_evicted") \
	X(IDR_HTTP_REQUESTS, "http_requests") \
	X(IDR_HTTP_PARTIAL, "http_partial") \
	X(IDR_STREAM_SEGS, "stream_segs") \
	X(IDR_STREAM_OOO, "stream_ooo") \
	X(IDR_STREAM_DIFF, "stream_diff") \
	X(IDR_STREAM_NOMEM, "stream_nomem") \
	X(IDR_STREAM_FIN, "stream_fin") \
	X(IDR_STREAM_URG, "stream_urg") \
	X(IDR_STREAM_FRAG, "stream_frag") \
	X(IDR_STREAM_LOST, "stream_lost") \
	X(IDR_STREAM_CSUM, "stream_csum") \
	X(IDR_PCRE_LIMITED, "pcre_limited") \
	X(IDR_DNS_QUERIES, "dns_queries") \
	X(IDR_DNS_NAMES, "dns_names") \
	X(IDR_TLS_HELLOS, "tls_hellos") \
	X(IDR_TLS_SNI, "tls_sni") \
	X(IDR_HTTP_RESPONSES, "http_responses") \
	X(IDR_HTTP_ENCODED, "http_encoded") \
	X(IDR_HTTP_LOST, "http_lost") \
	X(IDR_HTTP_NOWAIT, "http_nowait") \
	X(IDR_HS_CYCLES, "hs_cycles") \
	/* the ones above add up over restarts */ \
	X(IDR_RULES, "rules") \
	X(IDR_ARENA, "arena_bytes") \
	X(IDR_UPTIME, "uptime_s") \
	X(IDR_RESTARTS, "restarts") \
	X(IDR_FLOWS, "flows") \
	X(IDR_STREAM_TAILS, "stream_tails")
enum idr_key {
#define X(key, name) key,
	IDR_KEY_LIST(X)
#undef X
	IDR_KEYS
};
#define IDR_ADDITIVE IDR_RULES
#define IDR_ALERTS_PER_S 64

#define WTR_KEY_LIST(X) \
	X(WTR_CHECKS, "checks") \
	X(WTR_CHANGES, "changes") \
	X(WTR_UNLOGGED, "alerts_unlogged") \
	X(WTR_HASH_CYCLES, "hash_cycles") \
	X(WTR_CHECK_CYCLES, "check_cycles") \
	X(WTR_CTL_READS, "ctl_reads") \
	X(WTR_IDTR_ALERTS, "idtr_alerts") \
	X(WTR_LSTAR_ALERTS, "lstar_alerts") \
	X(WTR_MSR_ALERTS, "msr_alerts") \
	/* the ones above add up over restarts */ \
	X(WTR_PAGES, "pages") \
	X(WTR_FOUND, "found") \
	X(WTR_VIRT_KNOWN, "virt_known") \
	X(WTR_VCPUS, "vcpus") \
	X(WTR_UPTIME, "uptime_ms") \
	X(WTR_RESTARTS, "restarts")
enum wtr_key {
#define X(key, name) key,
	WTR_KEY_LIST(X)
#undef X
	WTR_KEYS
};
#define WTR_ADDITIVE WTR_PAGES
#define WTR_ALERTS_PER_S 160

struct fwr {
	struct fwr_layer l[LN_MAX_LAYERS];
	struct fwr_report w[LN_MAX_LAYERS], i[LN_MAX_LAYERS], t[LN_MAX_LAYERS];
};

bool fwr_line(struct fwr *f, unsigned depth, const char *kind, const char *name,
	      const char *text);
/* One "firewall" event per firewall layer that reported, one "wrapper"
 * event per wrapper layer, one "ids" event per ids layer, one "watch"
 * event per watch layer. */
void fwr_events(const struct fwr *f, const struct ln_stack *s);

#endif
