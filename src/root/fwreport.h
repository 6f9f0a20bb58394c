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

/* Per-rule counters kept per layer: the layer reports at most as many. */
#define FWR_RULES_MAX 64

enum fwr_key {
	FWR_FRAMES, FWR_BYTES, FWR_ACCEPTED, FWR_DROPPED, FWR_REJECTED, FWR_INVALID, FWR_SPOOFED,
	FWR_CT_FULL, FWR_FRAG_DROPPED, FWR_REJECT_UNSENT, FWR_TAGGED, FWR_FILTER_CYCLES,
	FWR_FILTERED, FWR_CT_EARLY,
	/* the ones above add up over restarts */
	FWR_CT_ENTRIES, FWR_RULES, FWR_UPTIME, FWR_RESTARTS, FWR_KEYS
};
#define FWR_ADDITIVE FWR_CT_ENTRIES

struct fwr_rule {
	uint32_t index, line;
	uint64_t packets, bytes;
};

/* The most keys one kind of report has (a static check in fwreport.c). */
#define FWR_KEYS_MAX 40

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

enum wrr_key {
	WRR_REQUESTS, WRR_DENIED, WRR_READ_ONLY, WRR_TOO_BIG, WRR_RATE, WRR_DELAYED,
	WRR_DELAY_MS, WRR_FRAMES, WRR_EXITS, WRR_EXITS_DELAYED, /* these add up over restarts */
	WRR_WITHHELD, WRR_UPTIME, WRR_RESTARTS, WRR_KEYS
};
#define WRR_ADDITIVE WRR_WITHHELD

enum idr_key {
	IDR_FRAMES, IDR_BYTES, IDR_SCANNED, IDR_SCANNED_BYTES, IDR_ALERTS, IDR_DROPS, IDR_INVALID,
	IDR_SCAN_FAILED, IDR_UNLOGGED, IDR_SCAN_CYCLES, IDR_PCRE_RUNS, IDR_PCRE_REFUTED,
	IDR_FLOWS_FULL, IDR_WALK_RUNS, IDR_WALK_REFUTED, IDR_WALK_LIMITED, IDR_THR_SUPPRESSED,
	IDR_THR_FULL, IDR_FLOWS_EARLY, IDR_THR_EVICTED, IDR_HTTP_REQUESTS, IDR_HTTP_PARTIAL,
	IDR_STREAM_SEGS, IDR_STREAM_OOO, IDR_STREAM_DIFF, IDR_STREAM_NOMEM,
	IDR_PCRE_LIMITED, IDR_DNS_QUERIES, IDR_DNS_NAMES, IDR_TLS_HELLOS, IDR_TLS_SNI,
	/* the ones above add up over restarts */
	IDR_RULES, IDR_ARENA, IDR_UPTIME, IDR_RESTARTS, IDR_FLOWS, IDR_STREAM_TAILS, IDR_KEYS
};
#define IDR_ADDITIVE IDR_RULES
#define IDR_ALERTS_PER_S 64

enum wtr_key {
	WTR_CHECKS, WTR_CHANGES, WTR_UNLOGGED, WTR_HASH_CYCLES, WTR_CHECK_CYCLES,
	WTR_CTL_READS, WTR_IDTR_ALERTS, WTR_LSTAR_ALERTS, WTR_MSR_ALERTS,
	/* the ones above add up over restarts */
	WTR_PAGES, WTR_FOUND, WTR_VIRT_KNOWN, WTR_VCPUS, WTR_UPTIME, WTR_RESTARTS, WTR_KEYS
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
