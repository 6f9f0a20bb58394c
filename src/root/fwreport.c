/* SPDX-License-Identifier: MIT */
/* A firewall layer's counters (fwreport.h). */
#include "root/fwreport.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "root/config.h"
#include "root/log.h"

static const char *const keys[FWR_KEYS] = {
	"frames", "bytes", "accepted", "dropped", "rejected", "invalid", "spoofed", "ct_full",
	"frag_dropped", "reject_unsent", "tagged", "filter_cycles", "filtered",
	"ct_entries", "rules", "uptime_s", "restarts"};

static const char *const wkeys[WRR_KEYS] = {
	"requests", "refused_denied", "refused_read_only", "refused_too_big", "refused_rate",
	"delayed", "delay_ms", "frames_refused", "exits", "exits_delayed", "devices_withheld",
	"uptime_ms", "restarts"};

static const char *const ikeys[IDR_KEYS] = {
	"frames", "bytes", "scanned", "scanned_bytes", "alerts", "drops", "invalid", "scan_failed",
	"alerts_unlogged", "scan_cycles", "pcre_runs", "pcre_refuted", "flows_full", "rules",
	"arena_bytes", "uptime_s", "restarts", "flows"};

static const char *const tkeys[WTR_KEYS] = {
	"checks", "changes", "alerts_unlogged", "hash_cycles", "check_cycles", "pages", "found",
	"virt_known", "uptime_ms", "restarts"};

static bool number(const char **p, uint64_t *v)
{
	char *end;

	if (**p < '0' || **p > '9')
		return false;
	*v = strtoull(*p, &end, 10);
	*p = end;
	return true;
}

/*
 * " K=V K=V ...": each value whose key is in names[0..nkeys) into v (other
 * keys are read and skipped). The text after the last pair, or NULL when a
 * pair is malformed (the caller then ignores the whole line).
 */
static const char *key_values(const char *p, const char *const names[], unsigned nkeys,
			      uint64_t v[])
{
	while (*p == ' ') {
		uint64_t other;
		size_t n;
		unsigned k;

		p++;
		n = strcspn(p, "=");
		for (k = 0; k < nkeys; k++)
			if (strlen(names[k]) == n && !strncmp(p, names[k], n))
				break;
		p += n;
		if (*p++ != '=' || !number(&p, k < nkeys ? &v[k] : &other))
			return NULL;
	}
	return p;
}

/* "fwrules I:L:P:B ...": into pending, until the fwstats line takes them. */
static void rules_line(struct fwr_layer *l, const char *p)
{
	while (*p == ' ') {
		uint64_t x[4];

		p++;
		for (int k = 0; k < 4; k++)
			if (!number(&p, &x[k]) || (k < 3 && *p++ != ':'))
				return;
		if (l->npending < FWR_RULES_MAX)
			l->pending[l->npending++] = (struct fwr_rule){
			    .index = (uint32_t)x[0], .line = (uint32_t)x[1], .packets = x[2], .bytes = x[3]};
	}
}

/* A restarted layer reports from zero: fold its predecessor's last report in. */
static void fold(struct fwr_layer *l)
{
	for (unsigned k = 0; k < FWR_ADDITIVE; k++)
		l->before[k] += l->v[k];
	for (unsigned i = 0; i < l->nrules; i++) {
		unsigned j;

		for (j = 0; j < l->nbefore && l->before_rules[j].index != l->rules[i].index; j++)
			;
		if (j == l->nbefore) {
			if (l->nbefore == FWR_RULES_MAX)
				continue;
			l->before_rules[l->nbefore++] = (struct fwr_rule){
			    .index = l->rules[i].index, .line = l->rules[i].line};
		}
		l->before_rules[j].packets += l->rules[i].packets;
		l->before_rules[j].bytes += l->rules[i].bytes;
	}
	l->nrules = 0;
}

static void stats_line(struct fwr_layer *l, const char *name, const char *p)
{
	uint64_t v[FWR_KEYS] = {0};

	if (!key_values(p, keys, FWR_KEYS, v))
		return; /* not ours: the whole line is ignored */
	if (l->seen && (v[FWR_RESTARTS] != l->v[FWR_RESTARTS] || strcmp(name, l->name)))
		fold(l);
	l->seen = true;
	l->reports++;
	snprintf(l->name, sizeof(l->name), "%s", name);
	memcpy(l->v, v, sizeof(v));
	memcpy(l->rules, l->pending, l->npending * sizeof(l->pending[0]));
	l->nrules = l->npending;
	l->npending = 0;
}

/* "wrstats K=V ...": a whole report, or ignored whole. */
static void wrap_line(struct wrr_layer *l, const char *name, const char *p)
{
	uint64_t v[WRR_KEYS] = {0};

	p = key_values(p, wkeys, WRR_KEYS, v);
	if (!p || *p)
		return;
	if (l->seen && (v[WRR_RESTARTS] != l->v[WRR_RESTARTS] || strcmp(name, l->name)))
		for (unsigned k = 0; k < WRR_ADDITIVE; k++)
			l->before[k] += l->v[k];
	l->seen = true;
	l->reports++;
	snprintf(l->name, sizeof(l->name), "%s", name);
	memcpy(l->v, v, sizeof(v));
}

/* "idsstats K=V ...": a whole report, or ignored whole. */
static void ids_stats(struct idr_layer *l, const char *name, const char *p)
{
	uint64_t v[IDR_KEYS] = {0};

	p = key_values(p, ikeys, IDR_KEYS, v);
	if (!p || *p)
		return;
	if (l->seen && (v[IDR_RESTARTS] != l->v[IDR_RESTARTS] || strcmp(name, l->name)))
		for (unsigned k = 0; k < IDR_ADDITIVE; k++)
			l->before[k] += l->v[k];
	l->seen = true;
	l->reports++;
	snprintf(l->name, sizeof(l->name), "%s", name);
	memcpy(l->v, v, sizeof(v));
}

/* The value of " KEY=" in an alert line, up to the next space, into out. */
static bool word(const char *text, const char *key, char *out, size_t max)
{
	char pat[24];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(text, pat);
	if (!p)
		return false;
	p += strlen(pat);
	n = strcspn(p, " ");
	if (!n || n >= max)
		return false;
	memcpy(out, p, n);
	out[n] = 0;
	return true;
}

/* "ADDR:PORT" (ADDR "[v6]") into its two halves. */
static bool endpoint(char *s, const char **ip, uint64_t *port)
{
	char *c = strrchr(s, ':'), *end;

	if (!c)
		return false;
	*c = 0;
	*port = strtoull(c + 1, &end, 10);
	if (*end || *port > 65535)
		return false;
	if (s[0] == '[' && c > s + 1 && c[-1] == ']') {
		c[-1] = 0;
		s++;
	}
	*ip = s;
	return true;
}

/* "idsalert sid=N rev=N action=A proto=P src=S dst=D direction=W msg=TEXT":
 * one "ids_alert" event (EVE's alert fields), or nothing when malformed. */
static void ids_alert(struct idr_layer *l, unsigned depth, const char *name, const char *text)
{
	char sid[16], rev[16], action[16], proto[16], src[64], dst[64], dir[16];
	const char *msg = strstr(text, " msg="), *sip, *dip;
	uint64_t sp, dp, now = (uint64_t)time(NULL);

	if (!msg || !word(text, "sid", sid, sizeof(sid)) || !word(text, "rev", rev, sizeof(rev)) ||
	    !word(text, "action", action, sizeof(action)) ||
	    !word(text, "proto", proto, sizeof(proto)) || !word(text, "src", src, sizeof(src)) ||
	    !word(text, "dst", dst, sizeof(dst)) || !word(text, "direction", dir, sizeof(dir)) ||
	    !endpoint(src, &sip, &sp) || !endpoint(dst, &dip, &dp))
		return;
	if (now != l->window) {
		l->window = now;
		l->in_window = 0;
	}
	if (++l->in_window > IDR_ALERTS_PER_S) {
		l->cut++;
		return;
	}
	log_event("ids_alert", "layer", 's', name, "depth", 'u', (uint64_t)depth, "action", 's',
		  action, "sid", 'u', strtoull(sid, NULL, 10), "rev", 'u', strtoull(rev, NULL, 10),
		  "msg", 's', msg + 5, "proto", 's', proto, "src_ip", 's', sip, "src_port", 'u', sp,
		  "dest_ip", 's', dip, "dest_port", 'u', dp, "direction", 's', dir, NULL);
}

/* "watchstats K=V ...": a whole report, or ignored whole. */
static void watch_stats(struct wtr_layer *l, const char *name, const char *p)
{
	uint64_t v[WTR_KEYS] = {0};

	p = key_values(p, tkeys, WTR_KEYS, v);
	if (!p || *p)
		return;
	if (l->seen && (v[WTR_RESTARTS] != l->v[WTR_RESTARTS] || strcmp(name, l->name)))
		for (unsigned k = 0; k < WTR_ADDITIVE; k++)
			l->before[k] += l->v[k];
	l->seen = true;
	l->reports++;
	snprintf(l->name, sizeof(l->name), "%s", name);
	memcpy(l->v, v, sizeof(v));
}

/* "watchalert region=R gpa=H kva=H at=H bytes=N check=N was=H now=H symbol=S": one
 * "watch_alert" event, or nothing when malformed. R "layout" or "kernel" is
 * no page: "watchalert region=R check=N why=TEXT" (the guest's maps changed,
 * or the kernel's place is ambiguous); R "remap": a page's virtual address no
 * longer maps it. An event with its why. */
static void watch_alert(struct wtr_layer *l, unsigned depth, const char *name, const char *text)
{
	char region[16], gpa[24], kva[24], at[24], bytes[16], check[24], was[24], now_h[24];
	char symbol[300];
	const char *why;
	uint64_t now = (uint64_t)time(NULL);

	if (word(text, "region", region, sizeof(region)) &&
	    (!strcmp(region, "layout") || !strcmp(region, "kernel") || !strcmp(region, "remap"))) {
		why = strstr(text, " why=");
		if (!word(text, "check", check, sizeof(check)) || !why || !why[5])
			return;
		if (now != l->window) {
			l->window = now;
			l->in_window = 0;
		}
		if (++l->in_window > WTR_ALERTS_PER_S) {
			l->cut++;
			return;
		}
		log_event("watch_alert", "layer", 's', name, "depth", 'u', (uint64_t)depth, "region",
			  's', region, "check", 'u', strtoull(check, NULL, 10), "why", 's', why + 5,
			  NULL);
		return;
	}
	if (!word(text, "region", region, sizeof(region)) || !word(text, "gpa", gpa, sizeof(gpa)) ||
	    !word(text, "kva", kva, sizeof(kva)) || !word(text, "at", at, sizeof(at)) ||
	    !word(text, "bytes", bytes, sizeof(bytes)) || !word(text, "check", check, sizeof(check)) ||
	    !word(text, "was", was, sizeof(was)) || !word(text, "now", now_h, sizeof(now_h)) ||
	    !word(text, "symbol", symbol, sizeof(symbol)))
		return;
	if (now != l->window) {
		l->window = now;
		l->in_window = 0;
	}
	if (++l->in_window > WTR_ALERTS_PER_S) {
		l->cut++;
		return;
	}
	log_event("watch_alert", "layer", 's', name, "depth", 'u', (uint64_t)depth, "region", 's',
		  region, "gpa", 's', gpa, "kva", 's', kva, "at", 's', at, "bytes", 'u',
		  strtoull(bytes, NULL, 10), "check", 'u', strtoull(check, NULL, 10), "sha256_was", 's',
		  was, "sha256_now", 's', now_h, "symbol", 's', symbol, NULL);
}

bool fwr_line(struct fwr *f, unsigned depth, const char *kind, const char *name,
	      const char *text)
{
	struct fwr_layer *l;

	if (!strncmp(text, "watchalert ", 11) || !strncmp(text, "watchstats ", 11)) {
		if (!depth || depth > LN_MAX_LAYERS || strcmp(kind, "watch"))
			return false;
		if (text[5] == 'a')
			watch_alert(&f->t[depth - 1], depth, name, text + 10);
		else
			watch_stats(&f->t[depth - 1], name, text + 10);
		return true;
	}

	if (!strncmp(text, "idsalert ", 9) || !strncmp(text, "idsstats ", 9)) {
		if (!depth || depth > LN_MAX_LAYERS || strcmp(kind, "ids"))
			return false;
		if (text[3] == 'a')
			ids_alert(&f->i[depth - 1], depth, name, text + 8);
		else
			ids_stats(&f->i[depth - 1], name, text + 8);
		return true;
	}

	if (!strncmp(text, "wrstats ", 8)) {
		if (!depth || depth > LN_MAX_LAYERS || strcmp(kind, "wrapper"))
			return false;
		wrap_line(&f->w[depth - 1], name, text + 7);
		return true;
	}

	if (strncmp(text, "fwrules ", 8) && strncmp(text, "fwstats ", 8))
		return false;
	if (!depth || depth > LN_MAX_LAYERS || !config_kind_has_policy(kind) ||
	    !strcmp(kind, "wrapper") || !strcmp(kind, "ids") || !strcmp(kind, "watch"))
		return false; /* not a firewall's: logged as any line */
	l = &f->l[depth - 1];
	if (text[2] == 'r')
		rules_line(l, text + 7);
	else
		stats_line(l, name, text + 7);
	return true;
}

void fwr_events(const struct fwr *f, const struct ln_stack *s)
{
	for (unsigned d = 0; d < LN_MAX_LAYERS; d++) {
		const struct fwr_layer *l = &f->l[d];
		json_t *rules = json_array();
		uint64_t v[FWR_KEYS];

		if (!l->seen || !rules) {
			json_decref(rules);
			continue;
		}
		memcpy(v, l->v, sizeof(v));
		for (unsigned k = 0; k < FWR_ADDITIVE; k++)
			v[k] += l->before[k];
		for (unsigned i = 0; i < l->nrules; i++) {
			uint64_t p = l->rules[i].packets, b = l->rules[i].bytes;

			for (unsigned j = 0; j < l->nbefore; j++)
				if (l->before_rules[j].index == l->rules[i].index) {
					p += l->before_rules[j].packets;
					b += l->before_rules[j].bytes;
				}
			json_array_append_new(rules, json_pack("{sIsIsIsI}", "rule",
							       (json_int_t)l->rules[i].index, "line",
							       (json_int_t)l->rules[i].line, "packets",
							       (json_int_t)p, "bytes", (json_int_t)b));
		}
		log_event("firewall", "layer", 's', l->name, "depth", 'u', (uint64_t)(d + 1), "rules_file",
			  's', s->policy_path[d] ? s->policy_path[d] : "", "frames", 'u', v[FWR_FRAMES],
			  "bytes", 'u', v[FWR_BYTES], "accepted", 'u', v[FWR_ACCEPTED], "dropped", 'u',
			  v[FWR_DROPPED], "rejected", 'u', v[FWR_REJECTED], "invalid", 'u',
			  v[FWR_INVALID], "spoofed", 'u', v[FWR_SPOOFED], "tagged", 'u',
			  v[FWR_TAGGED], "ct_entries", 'u', v[FWR_CT_ENTRIES], "ct_full", 'u', v[FWR_CT_FULL], "frag_dropped", 'u',
			  v[FWR_FRAG_DROPPED], "reject_unsent", 'u', v[FWR_REJECT_UNSENT], "filter_cycles", 'u',
			  v[FWR_FILTER_CYCLES], "filtered", 'u', v[FWR_FILTERED], "restarts",
			  'u', v[FWR_RESTARTS], "reports", 'u', l->reports, "uptime_s", 'u',
			  v[FWR_UPTIME], "counters", 'j', rules, NULL);
	}
	for (unsigned d = 0; d < LN_MAX_LAYERS; d++) {
		const struct wrr_layer *l = &f->w[d];
		uint64_t v[WRR_KEYS];

		if (!l->seen)
			continue;
		memcpy(v, l->v, sizeof(v));
		for (unsigned k = 0; k < WRR_ADDITIVE; k++)
			v[k] += l->before[k];
		log_event("wrapper", "layer", 's', l->name, "depth", 'u', (uint64_t)(d + 1), "policy",
			  's', s->policy_path[d] ? s->policy_path[d] : "", "requests", 'u',
			  v[WRR_REQUESTS], "refused_denied", 'u', v[WRR_DENIED], "refused_read_only",
			  'u', v[WRR_READ_ONLY], "refused_too_big", 'u', v[WRR_TOO_BIG],
			  "refused_rate", 'u', v[WRR_RATE], "delayed", 'u', v[WRR_DELAYED], "delay_ms",
			  'u', v[WRR_DELAY_MS], "frames_refused", 'u', v[WRR_FRAMES], "exits", 'u',
			  v[WRR_EXITS], "exits_delayed", 'u', v[WRR_EXITS_DELAYED],
			  "devices_withheld", 'u', v[WRR_WITHHELD], "restarts", 'u', v[WRR_RESTARTS],
			  "reports", 'u', l->reports, "uptime_ms", 'u', v[WRR_UPTIME], NULL);
	}
	for (unsigned d = 0; d < LN_MAX_LAYERS; d++) {
		const struct idr_layer *l = &f->i[d];
		uint64_t v[IDR_KEYS];

		if (!l->seen)
			continue;
		memcpy(v, l->v, sizeof(v));
		for (unsigned k = 0; k < IDR_ADDITIVE; k++)
			v[k] += l->before[k];
		log_event("ids", "layer", 's', l->name, "depth", 'u', (uint64_t)(d + 1), "rules_file",
			  's', s->policy_path[d] ? s->policy_path[d] : "", "frames", 'u',
			  v[IDR_FRAMES], "bytes", 'u', v[IDR_BYTES], "scanned", 'u', v[IDR_SCANNED],
			  "scanned_bytes", 'u', v[IDR_SCANNED_BYTES], "alerts", 'u', v[IDR_ALERTS],
			  "drops", 'u', v[IDR_DROPS], "invalid", 'u', v[IDR_INVALID], "scan_failed",
			  'u', v[IDR_SCAN_FAILED], "alerts_unlogged", 'u', v[IDR_UNLOGGED], "scan_cycles", 'u', v[IDR_SCAN_CYCLES],
			  "pcre_runs", 'u', v[IDR_PCRE_RUNS], "pcre_refuted", 'u', v[IDR_PCRE_REFUTED],
			  "flows", 'u', v[IDR_FLOWS], "flows_full", 'u', v[IDR_FLOWS_FULL],
			  "alert_lines_cut", 'u', l->cut, "rules", 'u', v[IDR_RULES], "arena_bytes",
			  'u', v[IDR_ARENA], "restarts", 'u', v[IDR_RESTARTS], "reports", 'u',
			  l->reports, "uptime_s", 'u', v[IDR_UPTIME], NULL);
	}
	for (unsigned d = 0; d < LN_MAX_LAYERS; d++) {
		const struct wtr_layer *l = &f->t[d];
		uint64_t v[WTR_KEYS];

		if (!l->seen)
			continue;
		memcpy(v, l->v, sizeof(v));
		for (unsigned k = 0; k < WTR_ADDITIVE; k++)
			v[k] += l->before[k];
		log_event("watch", "layer", 's', l->name, "depth", 'u', (uint64_t)(d + 1),
			  "system_map", 's', s->policy_path[d] ? s->policy_path[d] : "", "found", 'u',
			  v[WTR_FOUND], "virt_known", 'u', v[WTR_VIRT_KNOWN], "pages", 'u',
			  v[WTR_PAGES], "checks", 'u', v[WTR_CHECKS], "changes", 'u', v[WTR_CHANGES],
			  "alerts_unlogged", 'u', v[WTR_UNLOGGED], "alert_lines_cut", 'u', l->cut,
			  "hash_cycles", 'u', v[WTR_HASH_CYCLES], "check_cycles", 'u',
			  v[WTR_CHECK_CYCLES], "restarts", 'u', v[WTR_RESTARTS],
			  "reports", 'u', l->reports, "uptime_ms", 'u', v[WTR_UPTIME], NULL);
	}
}
