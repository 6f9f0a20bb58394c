/* SPDX-License-Identifier: MIT */
/*
 * The wrapper policy compiler (wrap.h): a JSON object in, the blob of
 * src/fw/wrap.h out. Host code; it runs in build/rampart-policy, never in
 * the root. Every key it does not know, every value of the wrong type or
 * out of bounds is refused with its path (`disk.read_only[1]`), never
 * ignored; the blob it writes passes wr_blob_check.
 */
#include "wrap.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw/wrap.h"

struct cc {
	struct nft_result *r;
	const char *fname;
};

static void refuse(struct cc *c, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL, *line = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (c->r->nerrors < NFT_ERRORS_MAX &&
	    asprintf(&line, "%s: %s", c->fname, msg ? msg : "out of memory") >= 0)
		c->r->errors[c->r->nerrors] = line;
	c->r->nerrors++;
	free(msg);
}

/* A whole number in [0, max], or a refusal. */
static bool number(struct cc *c, json_t *v, const char *path, uint64_t max, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max) {
		refuse(c, "%s: want a whole number from 0 to %llu", path, (unsigned long long)max);
		return false;
	}
	*out = (uint64_t)json_integer_value(v);
	return true;
}

/* "read_only": [[lo, hi], ...] in sectors, or true for the whole disk. */
static void ranges(struct cc *c, json_t *v, const char *path, struct wr_range *r, uint32_t *n)
{
	size_t i;
	json_t *e;

	if (json_is_true(v)) {
		r[0] = (struct wr_range){.lo = 0, .hi = UINT64_MAX};
		*n = 1;
		return;
	}
	if (!json_is_array(v)) {
		refuse(c, "%s: want a list of [first, end) sector pairs, or true", path);
		return;
	}
	if (json_array_size(v) > WR_RANGES_MAX) {
		refuse(c, "%s: at most %u ranges", path, WR_RANGES_MAX);
		return;
	}
	json_array_foreach(v, i, e) {
		uint64_t lo, hi;
		char p[96];

		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (!json_is_array(e) || json_array_size(e) != 2) {
			refuse(c, "%s: want [first, end) in sectors", p);
			continue;
		}
		if (!number(c, json_array_get(e, 0), p, INT64_MAX, &lo) ||
		    !number(c, json_array_get(e, 1), p, INT64_MAX, &hi))
			continue;
		if (lo >= hi) {
			refuse(c, "%s: the end must lie past the first sector", p);
			continue;
		}
		r[(*n)++] = (struct wr_range){.lo = lo, .hi = hi};
	}
}

/* One limit's keys, from obj (extra: keys of the device itself, skipped here). */
static void limit(struct cc *c, json_t *obj, const char *path, struct wr_limit *l,
		  const char *const *extra)
{
	const char *k;
	json_t *v;
	bool burst = false, burst_ops = false;

	json_object_foreach(obj, k, v) {
		char p[96];
		bool skip = false;

		snprintf(p, sizeof(p), "%s.%s", path, k);
		for (unsigned i = 0; extra && extra[i]; i++)
			skip |= !strcmp(k, extra[i]);
		if (skip)
			continue;
		if (!strcmp(k, "bytes_per_s"))
			number(c, v, p, WR_RATE_MAX, &l->bytes_per_s);
		else if (!strcmp(k, "ops_per_s"))
			number(c, v, p, WR_RATE_MAX, &l->ops_per_s);
		else if (!strcmp(k, "burst"))
			burst = number(c, v, p, WR_BURST_MAX, &l->burst_bytes);
		else if (!strcmp(k, "burst_ops"))
			burst_ops = number(c, v, p, WR_BURST_MAX, &l->burst_ops);
		else if (!strcmp(k, "refuse") && json_is_boolean(v))
			l->refuse = json_is_true(v);
		else if (!strcmp(k, "refuse"))
			refuse(c, "%s: want true or false", p);
		else
			refuse(c, "%s: unknown key", p);
	}
	/* a rate without a burst: one second's worth (Firecracker's bucket
	 * with a refill_time of 1000 ms) */
	if (!burst)
		l->burst_bytes = l->bytes_per_s;
	if (!burst_ops)
		l->burst_ops = l->ops_per_s;
	if ((burst && l->burst_bytes && !l->bytes_per_s) ||
	    (burst_ops && l->burst_ops && !l->ops_per_s))
		refuse(c, "%s: a burst without its rate", path);
	if ((l->bytes_per_s && !l->burst_bytes) || (l->ops_per_s && !l->burst_ops))
		refuse(c, "%s: a burst of 0 passes nothing", path);
}

/* A device's limits: its own keys for both directions, then "read"/"write"
 * ("tx"/"rx") objects that replace them for one. */
static void device(struct cc *c, json_t *obj, const char *name, const char *const dirs[2],
		   struct wr_limit *two, const char *const *skip)
{
	struct wr_limit both = {0};

	if (!json_is_object(obj)) {
		refuse(c, "%s: want an object", name);
		return;
	}
	limit(c, obj, name, &both, skip);
	for (unsigned d = 0; d < 2; d++) {
		json_t *o = json_object_get(obj, dirs[d]);
		char p[64];

		two[d] = both;
		if (!o)
			continue;
		snprintf(p, sizeof(p), "%s.%s", name, dirs[d]);
		if (!json_is_object(o)) {
			refuse(c, "%s: want an object", p);
			continue;
		}
		two[d] = (struct wr_limit){0};
		limit(c, o, p, &two[d], NULL);
	}
}

static void disk(struct cc *c, json_t *obj, struct wr_policy *p)
{
	static const char *const dirs[2] = {"read", "write"};
	static const char *const skip[] = {"read", "write", "read_only", "deny", "max_request",
					   NULL};
	json_t *v;

	device(c, obj, "disk", dirs, &p->limit[WR_DISK_READ], skip);
	if (!json_is_object(obj))
		return;
	if ((v = json_object_get(obj, "read_only")))
		ranges(c, v, "disk.read_only", p->ro, &p->nro);
	if ((v = json_object_get(obj, "deny")))
		ranges(c, v, "disk.deny", p->deny, &p->ndeny);
	if ((v = json_object_get(obj, "max_request")) &&
	    number(c, v, "disk.max_request", UINT32_MAX, &p->max_request) &&
	    p->max_request && p->max_request < WR_SECTOR)
		refuse(c, "disk.max_request: less than a sector (512 bytes) lets nothing through");
}

static void devices(struct cc *c, json_t *v, struct wr_policy *p)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v)) {
		refuse(c, "devices: want a list of \"disk\", \"net\", \"rng\"");
		return;
	}
	p->devices = 0;
	json_array_foreach(v, i, e) {
		const char *s = json_string_value(e);

		if (s && !strcmp(s, "disk"))
			p->devices |= WR_DEV_DISK;
		else if (s && !strcmp(s, "net"))
			p->devices |= WR_DEV_NET;
		else if (s && !strcmp(s, "rng"))
			p->devices |= WR_DEV_RNG;
		else
			refuse(c, "devices[%zu]: not one of \"disk\", \"net\", \"rng\"", i);
	}
}

/* A whole number in [1, max], or a refusal. */
static bool positive(struct cc *c, json_t *v, const char *path, uint64_t max, uint64_t *out)
{
	if (json_is_integer(v) && json_integer_value(v) == 0) {
		refuse(c, "%s: 0 lets the child never run (leave exits out for no limit)", path);
		return false;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    (uint64_t)json_integer_value(v) > max) {
		refuse(c, "%s: want a whole number from 1 to %llu", path, (unsigned long long)max);
		return false;
	}
	*out = (uint64_t)json_integer_value(v);
	return true;
}

/* "exits": {"per_s": N, "burst": N}: the child's exit rate. Unlike a
 * device's limits a 0 here is refused: the key exists to set a limit, and a
 * rate of 0 would mean none (or, as a burst, a child that never runs). */
static void exits(struct cc *c, json_t *obj, struct wr_policy *p)
{
	const char *k;
	json_t *v;
	bool burst = false;

	if (!json_is_object(obj)) {
		refuse(c, "exits: want an object, {\"per_s\": N, \"burst\": N}");
		return;
	}
	json_object_foreach(obj, k, v) {
		char path[96];

		snprintf(path, sizeof(path), "exits.%s", k);
		if (!strcmp(k, "per_s"))
			positive(c, v, path, WR_RATE_MAX, &p->exits_per_s);
		else if (!strcmp(k, "burst"))
			burst = positive(c, v, path, WR_BURST_MAX, &p->exits_burst);
		else
			refuse(c, "%s: unknown key (per_s, burst)", path);
	}
	if (!json_object_get(obj, "per_s"))
		refuse(c, "exits.per_s: missing (exits a second)");
	/* no burst: one second's worth, as the device limits */
	if (!burst)
		p->exits_burst = p->exits_per_s;
}

int wrap_compile(const char *text, size_t len, const char *fname, struct nft_result *out)
{
	static const char *const net_dirs[] = {"tx", "rx", NULL};
	struct cc c = {.r = out, .fname = fname};
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr), *v;
	struct wr_policy *p;
	const char *k, *why;

	memset(out, 0, sizeof(*out));
	if (!root || !json_is_object(root)) {
		if (root)
			refuse(&c, "want a JSON object");
		else
			refuse(&c, "%d: %s", jerr.line, jerr.text);
		json_decref(root);
		return -1;
	}
	p = aligned_alloc(8, sizeof(*p));
	if (!p) {
		refuse(&c, "out of memory");
		json_decref(root);
		return -1;
	}
	memset(p, 0, sizeof(*p));
	p->magic = WR_MAGIC;
	p->version = WR_VERSION;
	p->size = sizeof(*p);
	p->devices = WR_DEV_ALL;
	json_object_foreach(root, k, v) {
		if (!strcmp(k, "devices"))
			devices(&c, v, p);
		else if (!strcmp(k, "disk"))
			disk(&c, v, p);
		else if (!strcmp(k, "net"))
			device(&c, v, "net", net_dirs, &p->limit[WR_NET_TX], net_dirs);
		else if (!strcmp(k, "exits"))
			exits(&c, v, p);
		else
			refuse(&c, "%s: unknown key (devices, disk, net, exits)", k);
	}
	json_decref(root);
	if (!out->nerrors && wr_blob_check(p, sizeof(*p), &why))
		refuse(&c, "%s", why);
	if (out->nerrors) {
		free(p);
		return -1;
	}
	out->blob = p;
	out->len = sizeof(*p);
	out->nrules = p->nro + p->ndeny;
	return 0;
}

bool wrap_is_json(const char *text, size_t len)
{
	size_t i = 0;

	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
		i++;
	return i < len && text[i] == '{';
}
