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
#define X(key, name) [key] = name,
	FWR_KEY_LIST(X)
#undef X
};

static const char *const wkeys[WRR_KEYS] = {
#define X(key, name) [key] = name,
	WRR_KEY_LIST(X)
#undef X
};

static const char *const ikeys[IDR_KEYS] = {
#define X(key, name) [key] = name,
	IDR_KEY_LIST(X)
#undef X
};

static const char *const tkeys[WTR_KEYS] = {
#define X(key, name) [key] = name,
	WTR_KEY_LIST(X)
#undef X
};

_Static_assert(FWR_KEYS <= FWR_KEYS_MAX && WRR_KEYS <= FWR_KEYS_MAX &&
		       IDR_KEYS <= FWR_KEYS_MAX && WTR_KEYS <= FWR_KEYS_MAX,
	       "every kind's report fits a struct fwr_report");

/*
 * What each kind of report is: the event it ends in, the field naming the
 * layer's policy file there, its keys (the event's fields, in this order),
 * how many of them add up over restarts (the first ones), which one counts
 * the restarts, and whether the event says how many alert lines were cut.
 */
struct fwr_kind {
	const char *event, *path_key;
	const char *const *keys;
	unsigned nkeys, nadditive, restarts;
	bool alerts;
};

static const struct fwr_kind k_fw = {"firewall", "rules_file", keys, FWR_KEYS, FWR_ADDITIVE,
				     FWR_RESTARTS, false};
static const struct fwr_kind k_wrap = {"wrapper", "policy", wkeys, WRR_KEYS, WRR_ADDITIVE,
				       WRR_RESTARTS, false};
static const struct fwr_kind k_ids = {"ids", "rules_file", ikeys, IDR_KEYS, IDR_ADDITIVE,
				      IDR_RESTARTS, true};
static const struct fwr_kind k_watch = {"watch", "system_map", tkeys, WTR_KEYS, WTR_ADDITIVE,
					WTR_RESTARTS, true};

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

/* A restarted layer reports from zero: fold its predecessor's rule counters
 * in (report_line folds the rest). */
static void fold(struct fwr_layer *l)
{
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

/*
 * " K=V ...", a whole report of kind k from the layer called name, into r:
 * a report that is not whole (a malformed pair, or text after the last) is
 * ignored whole. A new instance (its restart count or name changed) first
 * folds its predecessor's last report into r->before. True when taken.
 */
static bool report_line(struct fwr_report *r, const struct fwr_kind *k, const char *name,
			const char *p)
{
	uint64_t v[FWR_KEYS_MAX];

	memcpy(v, r->more, sizeof(v)); /* the continuation's keys, if one came */
	memset(r->more, 0, sizeof(r->more));
	p = key_values(p, k->keys, k->nkeys, v);
	if (!p || *p)
		return false;
	if (r->seen && (v[k->restarts] != r->v[k->restarts] || strcmp(name, r->name)))
		for (unsigned i = 0; i < k->nadditive; i++)
			r->before[i] += r->v[i];
	r->seen = true;
	r->reports++;
	snprintf(r->name, sizeof(r->name), "%s", name);
	memcpy(r->v, v, sizeof(v));
	return true;
}

/* "fwstats K=V ...": the report, with the rule counters pending since. */
static void stats_line(struct fwr_layer *l, const char *name, const char *p)
{
	bool restarted = l->r.seen;
	uint64_t was = l->r.v[FWR_RESTARTS];
	char old[sizeof(l->r.name)];

	memcpy(old, l->r.name, sizeof(old));
	if (!report_line(&l->r, &k_fw, name, p))
		return;
	if (restarted && (l->r.v[FWR_RESTARTS] != was || strcmp(name, old)))
		fold(l);
	memcpy(l->rules, l->pending, l->npending * sizeof(l->pending[0]));
	l->nrules = l->npending;
	l->npending = 0;
}

/* An alert line may become an event: at most per_s in each second, the
 * rest counted as cut. */
static bool alert_take(struct fwr_report *r, uint64_t per_s)
{
	uint64_t now = (uint64_t)time(NULL);

	if (now != r->window) {
		r->window = now;
		r->in_window = 0;
	}
	if (++r->in_window > per_s) {
		r->cut++;
		return false;
	}
	return true;
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
static void ids_alert(struct fwr_report *l, unsigned depth, const char *name, const char *text)
{
	char sid[16], rev[16], action[16], proto[16], src[64], dst[64], dir[16];
	const char *msg = strstr(text, " msg="), *sip, *dip;
	uint64_t sp, dp;

	if (!msg || !word(text, "sid", sid, sizeof(sid)) || !word(text, "rev", rev, sizeof(rev)) ||
	    !word(text, "action", action, sizeof(action)) ||
	    !word(text, "proto", proto, sizeof(proto)) || !word(text, "src", src, sizeof(src)) ||
	    !word(text, "dst", dst, sizeof(dst)) || !word(text, "direction", dir, sizeof(dir)) ||
	    !endpoint(src, &sip, &sp) || !endpoint(dst, &dip, &dp))
		return;
	if (!alert_take(l, IDR_ALERTS_PER_S))
		return;
	log_event("ids_alert", "layer", 's', name, "depth", 'u', (uint64_t)depth, "action", 's',
		  action, "sid", 'u', strtoull(sid, NULL, 10), "rev", 'u', strtoull(rev, NULL, 10),
		  "msg", 's', msg + 5, "proto", 's', proto, "src_ip", 's', sip, "src_port", 'u', sp,
		  "dest_ip", 's', dip, "dest_port", 'u', dp, "direction", 's', dir, NULL);
}

/* "watchalert region=R gpa=H kva=H at=H bytes=N check=N was=H now=H symbol=S": one
 * "watch_alert" event, or nothing when malformed. R "layout" or "kernel" is
 * no page: "watchalert region=R check=N why=TEXT" (the guest's maps changed,
 * or the kernel's place is ambiguous); R "remap": a page's virtual address no
 * longer maps it. An event with its why. R "idtr" or "lstar": a guest vCPU's
 * register, "watchalert region=R vcpu=N check=N seen=H [limit=H] expected=H
 * why=TEXT": an event with the values and why. */
static void watch_alert(struct fwr_report *l, unsigned depth, const char *name, const char *text)
{
	char region[16], gpa[24], kva[24], at[24], bytes[16], check[24], was[24], now_h[24];
	char symbol[300];
	const char *why;

	if (word(text, "region", region, sizeof(region)) &&
	    (!strcmp(region, "layout") || !strcmp(region, "kernel") || !strcmp(region, "remap"))) {
		why = strstr(text, " why=");
		if (!word(text, "check", check, sizeof(check)) || !why || !why[5])
			return;
		if (!alert_take(l, WTR_ALERTS_PER_S))
			return;
		log_event("watch_alert", "layer", 's', name, "depth", 'u', (uint64_t)depth, "region",
			  's', region, "check", 'u', strtoull(check, NULL, 10), "why", 's', why + 5,
			  NULL);
		return;
	}
	if (word(text, "region", region, sizeof(region)) &&
	    (!strcmp(region, "idtr") || !strcmp(region, "lstar") || !strcmp(region, "cstar") ||
	     !strcmp(region, "star") || !strcmp(region, "sysenter"))) {
		/* the register's companion: the IDT's limit, SYSENTER_EIP's CS */
		const char *aux_key = !strcmp(region, "idtr")	    ? "limit"
				      : !strcmp(region, "sysenter") ? "cs"
								    : NULL;
		char vcpu[8], seen[24], expected[24], aux[24];

		why = strstr(text, " why=");
		if (!word(text, "vcpu", vcpu, sizeof(vcpu)) ||
		    !word(text, "check", check, sizeof(check)) ||
		    !word(text, "seen", seen, sizeof(seen)) ||
		    !word(text, "expected", expected, sizeof(expected)) || !why || !why[5])
			return;
		if (aux_key && !word(text, aux_key, aux, sizeof(aux)))
			return;
		if (!alert_take(l, WTR_ALERTS_PER_S))
			return;
		if (aux_key)
			log_event("watch_alert", "layer", 's', name, "depth", 'u', (uint64_t)depth,
				  "region", 's', region, "vcpu", 'u', strtoull(vcpu, NULL, 10),
				  "check", 'u', strtoull(check, NULL, 10), "seen", 's', seen,
				  aux_key, 's', aux, "expected", 's', expected, "why", 's', why + 5,
				  NULL);
		else
			log_event("watch_alert", "layer", 's', name, "depth", 'u', (uint64_t)depth,
				  "region", 's', region, "vcpu", 'u', strtoull(vcpu, NULL, 10),
				  "check", 'u', strtoull(check, NULL, 10), "seen", 's', seen,
				  "expected", 's', expected, "why", 's', why + 5, NULL);
		return;
	}
	if (!word(text, "region", region, sizeof(region)) || !word(text, "gpa", gpa, sizeof(gpa)) ||
	    !word(text, "kva", kva, sizeof(kva)) || !word(text, "at", at, sizeof(at)) ||
	    !word(text, "bytes", bytes, sizeof(bytes)) || !word(text, "check", check, sizeof(check)) ||
	    !word(text, "was", was, sizeof(was)) || !word(text, "now", now_h, sizeof(now_h)) ||
	    !word(text, "symbol", symbol, sizeof(symbol)))
		return;
	if (!alert_take(l, WTR_ALERTS_PER_S))
		return;
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
			report_line(&f->t[depth - 1], &k_watch, name, text + 10);
		return true;
	}

	if (!strncmp(text, "idsmore ", 8)) { /* a first part of the next idsstats */
		uint64_t v[FWR_KEYS_MAX];
		const char *p;

		if (!depth || depth > LN_MAX_LAYERS || strcmp(kind, "ids"))
			return false;
		/* the keys this line gives (UINT64_MAX: not in it), over what
		 * an earlier part gave */
		memset(v, 0xff, sizeof(v));
		p = key_values(text + 7, k_ids.keys, k_ids.nkeys, v);
		if (p && !*p)
			for (unsigned k = 0; k < FWR_KEYS_MAX; k++)
				if (v[k] != UINT64_MAX)
					f->i[depth - 1].more[k] = v[k];
		return true;
	}

	if (!strncmp(text, "idsalert ", 9) || !strncmp(text, "idsstats ", 9)) {
		if (!depth || depth > LN_MAX_LAYERS || strcmp(kind, "ids"))
			return false;
		if (text[3] == 'a')
			ids_alert(&f->i[depth - 1], depth, name, text + 8);
		else
			report_line(&f->i[depth - 1], &k_ids, name, text + 8);
		return true;
	}

	if (!strncmp(text, "wrstats ", 8)) {
		if (!depth || depth > LN_MAX_LAYERS || strcmp(kind, "wrapper"))
			return false;
		report_line(&f->w[depth - 1], &k_wrap, name, text + 7);
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

/*
 * One end event of kind k for the report r of the layer at depth (its
 * predecessors' counts added in): the layer, its policy file, every key,
 * then what the kind adds (a firewall's rule counters, in extra).
 */
static void report_event(const struct fwr_report *r, const struct fwr_kind *k, unsigned depth,
			 const struct ln_stack *s, json_t *extra)
{
	json_t *o = json_object();

	if (!o) {
		json_decref(extra);
		return;
	}
	for (unsigned i = 0; i < k->nkeys; i++)
		json_object_set_new(o, k->keys[i],
				    json_integer((json_int_t)(r->v[i] +
							      (i < k->nadditive ? r->before[i] : 0))));
	json_object_set_new(o, "reports", json_integer((json_int_t)r->reports));
	if (k->alerts)
		json_object_set_new(o, "alert_lines_cut", json_integer((json_int_t)r->cut));
	if (extra)
		json_object_set_new(o, "counters", extra);
	log_event(k->event, "layer", 's', r->name, "depth", 'u', (uint64_t)depth, k->path_key, 's',
		  s->policy_path[depth - 1] ? s->policy_path[depth - 1] : "", "", 'o', o, NULL);
}

/* A firewall's rule counters, its predecessors' added in, as a JSON array. */
static json_t *rule_counters(const struct fwr_layer *l)
{
	json_t *rules = json_array();

	for (unsigned i = 0; rules && i < l->nrules; i++) {
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
	return rules;
}

void fwr_events(const struct fwr *f, const struct ln_stack *s)
{
	for (unsigned d = 0; d < LN_MAX_LAYERS; d++)
		if (f->l[d].r.seen)
			report_event(&f->l[d].r, &k_fw, d + 1, s, rule_counters(&f->l[d]));
	for (unsigned d = 0; d < LN_MAX_LAYERS; d++)
		if (f->w[d].seen)
			report_event(&f->w[d], &k_wrap, d + 1, s, NULL);
	for (unsigned d = 0; d < LN_MAX_LAYERS; d++)
		if (f->i[d].seen)
			report_event(&f->i[d], &k_ids, d + 1, s, NULL);
	for (unsigned d = 0; d < LN_MAX_LAYERS; d++)
		if (f->t[d].seen)
			report_event(&f->t[d], &k_watch, d + 1, s, NULL);
}
