/* SPDX-License-Identifier: MIT */
/*
 * Stack file and flag parsing. The stack file is the operator's, not the
 * guest's, but it is still checked field by field: an unknown or mistyped
 * field is refused by name, so a typo never silently drops a device.
 *
 *   {
 *     "name": "tenant-a",
 *     "guest": { "kernel": "vmlinuz", "initrd": "initrd.cpio.gz",
 *                "cmdline": "console=ttyS0", "mem": "256M", "cpus": 1 },
 *     "net":   [ { "tap": "rt0", "mac": "52:54:00:12:34:56" } ],
 *     "disks": [ { "path": "disk.img", "readonly": false, "serial": "d0" } ],
 *     "log":   "events.jsonl",
 *     "layers": [ { "kind": "firewall", "rules": "guest.nft" }, { "kind": "vmm" } ]
 *   }
 */
#include "root/config.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "fw/watch.h"
#include "rampart/kinds.h"
#include "root/log.h"


void config_defaults(struct rp_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "stack");
	snprintf(c->cmdline, sizeof(c->cmdline), "%s", RP_DEFAULT_CMDLINE);
	c->mem = RP_DEFAULT_MEM;
	c->cpus = 1;
	c->layer_mem = RP_DEFAULT_LAYER_MEM;
	for (unsigned i = 0; i < RP_MAX_LAYERS; i++) {
		c->watch_start_ms[i] = RP_WATCH_START_MS;
		c->watch_interval_ms[i] = RP_WATCH_INTERVAL_MS;
	}
	jail_defaults(&c->jail);
}

/* Variants of the layer kernel, each its own image: layer-VARIANT.elf (Makefile). */
const char *const config_variants[] = {"gcc", "clang", NULL};

static int variant_index(const char *v, size_t len)
{
	int i;

	for (i = 0; config_variants[i]; i++)
		if (strlen(config_variants[i]) == len && strncmp(config_variants[i], v, len) == 0)
			return i;
	return -1;
}

/*
 * Layer i's variant: the one it names, or by default the one after the
 * variant of the layer below it (after layer 2's for layer 1, when only that
 * one names its own), so that adjacent layers differ: gcc, clang, gcc, ...
 */
const char *config_layer_variant(const struct rp_config *c, unsigned i)
{
	const char *below;
	int k;

	if (c->layer_variants[i][0])
		return c->layer_variants[i];
	if (i > 0)
		below = config_layer_variant(c, i - 1);
	else if (c->nlayers > 1 && c->layer_variants[1][0])
		below = c->layer_variants[1];
	else
		return config_variants[0];
	k = variant_index(below, strlen(below));
	return config_variants[k + 1] ? config_variants[k + 1] : config_variants[0];
}

/* kind, and its variant (NULL: the default). */
static int add_layer(struct rp_config *c, const char *kind, size_t len, const char *variant,
		     size_t vlen, char *err, size_t errlen)
{
	int k = rp_kind_find(kind, len);

	if (k < 0)
		return refuse(err, errlen, "layer '%.*s': unknown kind (pass, firewall, wrapper, ids, "
					   "watch, vmm)", (int)len, kind);
	if ((rp_kinds[k].flags & RP_KF_TEST) && !RP_TESTS)
		return refuse(err, errlen, "layer kind '%.*s' is a test personality: only "
					   "rampart-test runs it", (int)len, kind);
	if (variant && variant_index(variant, vlen) < 0)
		return refuse(err, errlen, "layer '%.*s': unknown variant '%.*s' (gcc, clang)",
			      (int)len, kind, (int)vlen, variant);
	if (c->nlayers >= RP_MAX_LAYERS)
		return refuse(err, errlen, "at most %d layers", RP_MAX_LAYERS);
	memcpy(c->layers[c->nlayers], kind, len);
	c->layers[c->nlayers][len] = 0;
	vlen = variant ? vlen : 0;
	memcpy(c->layer_variants[c->nlayers], variant ? variant : "", vlen);
	c->layer_variants[c->nlayers++][vlen] = 0;
	return 0;
}

int config_add_layers(struct rp_config *c, const char *list, char *err, size_t errlen)
{
	const char *p = list;

	c->nlayers = 0;
	for (;;) {
		size_t len = strcspn(p, ","), klen = strcspn(p, ",@");
		const char *variant = klen < len ? p + klen + 1 : NULL;

		if (add_layer(c, p, klen, variant, variant ? len - klen - 1 : 0, err, errlen))
			return -1;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

/* Has kind (a known one) flags f (RP_KF_*, include/rampart/kinds.h)? */
static bool kind_has(const char *kind, unsigned f)
{
	int k = rp_kind_find(kind, strlen(kind));

	return k >= 0 && (rp_kinds[k].flags & f);
}

bool config_kind_is_vmm(const char *kind)
{
	/* RP_KF_LINUX: vmm, and in the test build vmmhide (a vmm its guest
	 * took over, src/layer/vmmhide.c) */
	return kind_has(kind, RP_KF_LINUX);
}

bool config_kind_has_policy(const char *kind)
{
	return kind_has(kind, RP_KF_POLICY);
}

/* A watch's timing, checked against the blob's own bounds (src/fw/watch.h). */
static int watch_timing(uint64_t start, uint64_t interval, const char *where, char *err,
			size_t errlen)
{
	if (interval < WT_INTERVAL_MIN_MS || interval > WT_INTERVAL_MAX_MS)
		return refuse(err, errlen, "%s: interval %llu ms: must be %u..%u ms", where,
			      (unsigned long long)interval, WT_INTERVAL_MIN_MS, WT_INTERVAL_MAX_MS);
	if (start > WT_START_MAX_MS)
		return refuse(err, errlen, "%s: start %llu ms: at most %llu ms (24 h)", where,
			      (unsigned long long)start, (unsigned long long)WT_START_MAX_MS);
	return 0;
}

int config_set_watch(struct rp_config *c, const char *spec, char *err, size_t errlen)
{
	unsigned long long start, interval;
	char tail;

	if (sscanf(spec, "%llu,%llu%c", &start, &interval, &tail) != 2 || spec[0] == '-' ||
	    strchr(spec, '-'))
		return refuse(err, errlen, "--watch %s: give START_MS,INTERVAL_MS (30000,1000)",
			      spec);
	if (watch_timing(start, interval, "--watch", err, errlen))
		return -1;
	for (unsigned i = 0; i < RP_MAX_LAYERS; i++) {
		c->watch_start_ms[i] = start;
		c->watch_interval_ms[i] = interval;
	}
	return 0;
}

int config_add_rules(struct rp_config *c, const char *spec, char *err, size_t errlen)
{
	const char *eq = strchr(spec, '=');
	size_t klen = eq ? (size_t)(eq - spec) : 0;

	if (!eq || !klen || klen > RP_LAYER_KIND_MAX || !eq[1])
		return refuse(err, errlen, "--rules %s: give KIND=FILE or N=FILE (firewall=guest.nft)",
			      spec);
	if (c->nrules >= RP_MAX_LAYERS)
		return refuse(err, errlen, "--rules: at most %d", RP_MAX_LAYERS);
	if (snprintf(c->rules_path[c->nrules], PATH_MAX, "%s", eq + 1) >= PATH_MAX)
		return refuse(err, errlen, "--rules %s: path too long", spec);
	memcpy(c->rules_key[c->nrules], spec, klen);
	c->rules_key[c->nrules++][klen] = 0;
	return 0;
}

/* Does --rules key KEY name layer i (its kind, or its number)? */
static bool rules_key_names(const struct rp_config *c, const char *key, unsigned i)
{
	char num[12];

	snprintf(num, sizeof(num), "%u", i + 1);
	return !strcmp(key, c->layers[i]) || !strcmp(key, num);
}

const char *config_layer_rules(const struct rp_config *c, unsigned i)
{
	const char *path = c->layer_rules[i];

	for (unsigned k = 0; k < c->nrules; k++)
		if (rules_key_names(c, c->rules_key[k], i))
			path = c->rules_path[k]; /* the last one given wins */
	return path;
}

int config_add_layer_args(struct rp_config *c, const char *list, char *err, size_t errlen)
{
	const char *p = list;
	char *end;

	c->nlayer_args = 0;
	while (*p) {
		if (c->nlayer_args >= RP_MAX_LAYER_ARGS)
			return refuse(err, errlen, "--layer-args: at most %d values", RP_MAX_LAYER_ARGS);
		if (!isdigit((unsigned char)*p))
			return refuse(err, errlen, "--layer-args %s: not a list of numbers", list);
		errno = 0;
		c->layer_args[c->nlayer_args++] = strtoull(p, &end, 0);
		if (errno || (*end && *end != ','))
			return refuse(err, errlen, "--layer-args %s: not a list of numbers", list);
		p = *end ? end + 1 : end;
	}
	return 0;
}

/*
 * Sizes as people type them, and as QEMU's -m reads them: a bare number is
 * MiB ("256" is 256 MiB); K, M, G and T (any case, optionally followed by
 * "iB" or "B") are powers of 1024. Nothing else: no bytes, no fractions.
 */
int config_parse_mem(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	unsigned long long v;
	const char *u;
	char *end;
	unsigned shift = 20;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u)
			return -1;
		shift = 10 * (unsigned)(u - units + 1);
		if (end[1] && strcasecmp(end + 1, "iB") != 0 && strcasecmp(end + 1, "B") != 0)
			return -1;
	}
	if (v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* A CPU limit as a number of CPUs: finite, within 0.01..RP_CPU_LIMIT_MAX. */
static int cpu_limit(double v, struct rp_limits *l)
{
	double quota = v * RP_CPU_PERIOD_US;

	if (!isfinite(v) || v > RP_CPU_LIMIT_MAX || quota < RP_CPU_QUOTA_MIN_US)
		return -1;
	l->cpu_quota_us = (uint32_t)(quota + 0.5);
	snprintf(l->cpus_text, sizeof(l->cpus_text), "%g", v);
	return 0;
}

int config_parse_cpu_limit(const char *s, struct rp_limits *l)
{
	char *end;
	double v;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	return errno || *end ? -1 : cpu_limit(v, l);
}

int config_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6 || strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	if (mac[0] & 1) /* multicast bit: not a station address */
		return -1;
	return 0;
}

static bool tap_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > RP_TAP_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

static int set_path(char *dst, const char *src, const char *base, const char *field, char *err,
		    size_t errlen)
{
	int n;

	if (!*src)
		return refuse(err, errlen, "%s: empty path", field);
	if (src[0] == '/' || !base || !*base)
		n = snprintf(dst, PATH_MAX, "%s", src);
	else
		n = snprintf(dst, PATH_MAX, "%s/%s", base, src);
	if (n < 0 || n >= PATH_MAX)
		return refuse(err, errlen, "%s: path too long", field);
	return 0;
}

int config_add_disk(struct rp_config *c, const char *spec, char *err, size_t errlen)
{
	struct rp_disk *d;
	const char *comma = strrchr(spec, ',');
	size_t len = comma ? (size_t)(comma - spec) : strlen(spec);

	if (c->ndisks >= RP_MAX_DISKS)
		return refuse(err, errlen, "--disk %s: at most %d disks", spec, RP_MAX_DISKS);
	if (comma && strcmp(comma + 1, "ro") != 0 && strcmp(comma + 1, "rw") != 0)
		return refuse(err, errlen, "--disk %s: unknown option '%s' (use PATH[,ro])", spec,
			    comma + 1);
	if (len == 0 || len >= PATH_MAX)
		return refuse(err, errlen, "--disk %s: bad path", spec);
	d = &c->disks[c->ndisks++];
	memset(d, 0, sizeof(*d));
	memcpy(d->path, spec, len);
	d->read_only = comma && strcmp(comma + 1, "ro") == 0;
	return 0;
}

static void default_mac(uint8_t mac[6], unsigned index)
{
	static const uint8_t base[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

	memcpy(mac, base, 6);
	mac[5] = (uint8_t)(mac[5] + index);
}

int config_add_net(struct rp_config *c, const char *spec, char *err, size_t errlen)
{
	struct rp_net *n;

	if (strncmp(spec, "tap:", 4) != 0)
		return refuse(err, errlen, "--net %s: only tap:NAME is supported", spec);
	if (!tap_name_ok(spec + 4))
		return refuse(err, errlen,
			    "--net %s: bad tap name (1-%d characters of A-Z a-z 0-9 - _ .)", spec,
			    RP_TAP_NAME_MAX);
	if (c->nnets >= RP_MAX_NETS)
		return refuse(err, errlen, "--net %s: at most %d network devices", spec,
			    RP_MAX_NETS);
	n = &c->nets[c->nnets];
	snprintf(n->tap, sizeof(n->tap), "%s", spec + 4);
	default_mac(n->mac, c->nnets);
	c->nnets++;
	return 0;
}

/* ---- the stack file ------------------------------------------------------- */

struct field {
	const char *name;
	json_type type; /* JSON_TRUE stands for "true or false" */
};

/* Refuse any key of o that is not in fields[], and any of the wrong type. */
static int check_fields(json_t *o, const char *where, const struct field *fields, char *err,
			size_t errlen)
{
	const char *key;
	json_t *v;

	if (!json_is_object(o))
		return refuse(err, errlen, "%s: must be an object", where);
	json_object_foreach(o, key, v)
	{
		const struct field *f;

		for (f = fields; f->name; f++)
			if (strcmp(f->name, key) == 0)
				break;
		if (!f->name)
			return refuse(err, errlen, "%s.%s: unknown field", where, key);
		if (f->type == JSON_TRUE ? !json_is_boolean(v)
		    : f->type == JSON_INTEGER ? !json_is_integer(v) && !json_is_string(v)
					      : json_typeof(v) != f->type)
			return refuse(err, errlen, "%s.%s: wrong type", where, key);
	}
	return 0;
}

static int copy_str(char *dst, size_t size, json_t *v, const char *field, char *err,
		    size_t errlen)
{
	const char *s = json_string_value(v);

	if (strlen(s) >= size)
		return refuse(err, errlen, "%s: longer than %zu characters", field, size - 1);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static const struct field guest_fields[] = {
	{"kernel", JSON_STRING}, {"initrd", JSON_STRING}, {"cmdline", JSON_STRING},
	{"mem", JSON_INTEGER},   {"cpus", JSON_INTEGER},  {NULL, 0},
};

static int load_guest(struct rp_config *c, json_t *g, const char *base, char *err, size_t errlen)
{
	json_t *v;

	if (check_fields(g, "guest", guest_fields, err, errlen))
		return -1;
	if ((v = json_object_get(g, "kernel")) &&
	    set_path(c->kernel, json_string_value(v), base, "guest.kernel", err, errlen))
		return -1;
	if ((v = json_object_get(g, "initrd")) &&
	    set_path(c->initrd, json_string_value(v), base, "guest.initrd", err, errlen))
		return -1;
	if ((v = json_object_get(g, "cmdline")) &&
	    copy_str(c->cmdline, sizeof(c->cmdline), v, "guest.cmdline", err, errlen))
		return -1;
	if ((v = json_object_get(g, "mem"))) {
		/* A number is MiB, as on the command line. */
		if (json_is_integer(v) ? json_integer_value(v) <= 0 ||
						 json_integer_value(v) > (json_int_t)(UINT64_MAX >> 20)
				       : config_parse_mem(json_string_value(v), &c->mem))
			return refuse(err, errlen,
				      "guest.mem: not a size (MiB as a number, or a string: \"256M\", \"1G\")");
		if (json_is_integer(v))
			c->mem = (uint64_t)json_integer_value(v) << 20;
	}
	if ((v = json_object_get(g, "cpus"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > RP_MAX_CPUS)
			return refuse(err, errlen, "guest.cpus: must be an integer 1..%d",
				    RP_MAX_CPUS);
		c->cpus = (unsigned)json_integer_value(v);
	}
	return 0;
}

static const struct field net_fields[] = {
	{"tap", JSON_STRING},
	{"mac", JSON_STRING},
	{NULL, 0},
};

static int load_nets(struct rp_config *c, json_t *a, char *err, size_t errlen)
{
	char where[32], spec[32];
	size_t i;
	json_t *n, *v;

	if (!json_is_array(a))
		return refuse(err, errlen, "net: must be an array");
	json_array_foreach(a, i, n)
	{
		snprintf(where, sizeof(where), "net[%zu]", i);
		if (check_fields(n, where, net_fields, err, errlen))
			return -1;
		if (!(v = json_object_get(n, "tap")))
			return refuse(err, errlen, "%s.tap: missing", where);
		snprintf(spec, sizeof(spec), "tap:%.20s", json_string_value(v));
		if (strlen(json_string_value(v)) > RP_TAP_NAME_MAX || !tap_name_ok(spec + 4))
			return refuse(err, errlen, "%s.tap: bad tap name '%s'", where,
				    json_string_value(v));
		if (config_add_net(c, spec, err, errlen))
			return -1;
		if ((v = json_object_get(n, "mac")) &&
		    config_parse_mac(json_string_value(v), c->nets[c->nnets - 1].mac))
			return refuse(err, errlen, "%s.mac: not a unicast MAC address '%s'", where,
				    json_string_value(v));
	}
	return 0;
}

static const struct field disk_fields[] = {
	{"path", JSON_STRING},
	{"readonly", JSON_TRUE},
	{"serial", JSON_STRING},
	{NULL, 0},
};

static int load_disks(struct rp_config *c, json_t *a, const char *base, char *err, size_t errlen)
{
	char where[32];
	size_t i;
	json_t *d, *v;

	if (!json_is_array(a))
		return refuse(err, errlen, "disks: must be an array");
	json_array_foreach(a, i, d)
	{
		struct rp_disk *disk;

		snprintf(where, sizeof(where), "disks[%zu]", i);
		if (check_fields(d, where, disk_fields, err, errlen))
			return -1;
		if (c->ndisks >= RP_MAX_DISKS)
			return refuse(err, errlen, "%s: at most %d disks", where, RP_MAX_DISKS);
		if (!(v = json_object_get(d, "path")))
			return refuse(err, errlen, "%s.path: missing", where);
		disk = &c->disks[c->ndisks];
		memset(disk, 0, sizeof(*disk));
		if (set_path(disk->path, json_string_value(v), base, where, err, errlen))
			return -1;
		disk->read_only = json_is_true(json_object_get(d, "readonly"));
		if ((v = json_object_get(d, "serial")) &&
		    copy_str(disk->serial, sizeof(disk->serial), v, "serial", err, errlen))
			return -1;
		c->ndisks++;
	}
	return 0;
}

static const struct field layer_fields[] = {
	{"kind", JSON_STRING},
	{"variant", JSON_STRING},
	{"rules", JSON_STRING},
	{"policy", JSON_OBJECT},
	{"start_after_ms", JSON_INTEGER},
	{"interval_ms", JSON_INTEGER},
	{"vars", JSON_OBJECT},
	{NULL, 0},
};

/* A watch layer's entry: its timing (only a watch has one). */
static int load_watch(struct rp_config *c, json_t *l, const char *where, char *err, size_t errlen)
{
	json_t *s = json_object_get(l, "start_after_ms"), *v = json_object_get(l, "interval_ms");
	unsigned i = c->nlayers - 1;

	if ((s || v) && strcmp(c->layers[i], "watch"))
		return refuse(err, errlen, "%s: start_after_ms and interval_ms are a watch layer's",
			      where);
	if ((s && json_integer_value(s) < 0) || (v && json_integer_value(v) < 0))
		return refuse(err, errlen, "%s: start_after_ms and interval_ms must not be "
					 "negative", where);
	if (s)
		c->watch_start_ms[i] = (uint64_t)json_integer_value(s);
	if (v)
		c->watch_interval_ms[i] = (uint64_t)json_integer_value(v);
	return watch_timing(c->watch_start_ms[i], c->watch_interval_ms[i], where, err, errlen);
}

/* An ids layer's "vars": names of letters, digits and '_' (without '$'),
 * values strings without control characters, packed into out. */
static int load_vars(char *out, json_t *o, const char *where, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	size_t at = 0;
	unsigned n = 0;

	json_object_foreach(o, key, v)
	{
		const char *val = json_string_value(v);
		size_t kn = strlen(key), vn;

		if (!val)
			return refuse(err, errlen, "%s.vars.%s: must be a string", where, key);
		vn = strlen(val);
		if (!kn || kn > 64 || strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					       "0123456789_") != kn)
			return refuse(err, errlen, "%s.vars: '%s' is not a variable name (letters, "
						 "digits, _; without $)", where, key);
		for (size_t k = 0; k < vn; k++)
			if ((unsigned char)val[k] < 0x20 || val[k] == 0x7f)
				return refuse(err, errlen, "%s.vars.%s: a control character in "
							 "its value", where, key);
		if (++n > RP_IDS_VARS_MAX || at + kn + vn + 3 > RP_IDS_VARS_TEXT_MAX)
			return refuse(err, errlen, "%s.vars: more than %d variables or %d bytes",
				      where, RP_IDS_VARS_MAX, RP_IDS_VARS_TEXT_MAX);
		memcpy(out + at, key, kn);
		out[at + kn] = '=';
		memcpy(out + at + kn + 1, val, vn + 1);
		at += kn + vn + 2;
	}
	out[at] = 0;
	return 0;
}

static int load_layers(struct rp_config *c, json_t *a, const char *base, char *err,
		       size_t errlen)
{
	char where[32];
	size_t i;
	json_t *l, *v, *var;

	json_array_foreach(a, i, l)
	{
		const char *vs;

		snprintf(where, sizeof(where), "layers[%zu]", i);
		if (check_fields(l, where, layer_fields, err, errlen))
			return -1;
		if (!(v = json_object_get(l, "kind")))
			return refuse(err, errlen, "%s.kind: missing", where);
		var = json_object_get(l, "variant");
		vs = var ? json_string_value(var) : NULL;
		if (add_layer(c, json_string_value(v), strlen(json_string_value(v)), vs,
			      vs ? strlen(vs) : 0, err, errlen)) {
			char msg[256];

			snprintf(msg, sizeof(msg), "%s", err);
			return refuse(err, errlen, "%s: %s", where, msg);
		}
		if (load_watch(c, l, where, err, errlen))
			return -1;
		if ((v = json_object_get(l, "rules"))) {
			char field[48];

			snprintf(field, sizeof(field), "%s.rules", where);
			if (set_path(c->layer_rules[c->nlayers - 1], json_string_value(v), base,
				     field, err, errlen))
				return -1;
		}
		if ((v = json_object_get(l, "vars"))) {
			if (strcmp(c->layers[c->nlayers - 1], "ids"))
				return refuse(err, errlen, "%s.vars: only an ids layer takes vars "
							 "(rule variables)", where);
			if (load_vars(c->layer_vars[c->nlayers - 1], v, where, err, errlen))
				return -1;
		}
		if ((v = json_object_get(l, "policy"))) {
			char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
			size_t n = text ? strlen(text) : 0;

			if (n && n < RP_INLINE_POLICY_MAX && !json_object_get(l, "rules"))
				memcpy(c->layer_policy[c->nlayers - 1], text, n + 1);
			free(text);
			if (!n || n >= RP_INLINE_POLICY_MAX || json_object_get(l, "rules"))
				return refuse(err, errlen, "%s.policy: %s", where,
					      json_object_get(l, "rules")
						  ? "give rules (a file) or policy (inline), not both"
						  : "longer than RP_INLINE_POLICY_MAX (8 KiB): put it in "
						    "a file and name it in rules");
		}
	}
	return 0;
}

static int load_limits(struct rp_config *c, json_t *o, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	if (!json_is_object(o))
		return refuse(err, errlen, "limits: must be an object");
	json_object_foreach(o, key, v)
	{
		if (strcmp(key, "cpus") && strcmp(key, "memory"))
			return refuse(err, errlen, "limits.%s: unknown field (cpus, memory)", key);
	}
	if ((v = json_object_get(o, "cpus")) &&
	    (!json_is_number(v) || cpu_limit(json_number_value(v), &c->limits)))
		return refuse(err, errlen, "limits.cpus: must be a number of CPUs, 0.01..%d "
					 "(1.5: one and a half)", RP_CPU_LIMIT_MAX);
	if ((v = json_object_get(o, "memory"))) {
		/* A number is MiB, as guest.mem. */
		if (json_is_integer(v) ? json_integer_value(v) <= 0 ||
						 json_integer_value(v) > (json_int_t)(UINT64_MAX >> 20)
		    : !json_is_string(v) || config_parse_mem(json_string_value(v), &c->limits.memory) ||
			      !c->limits.memory)
			return refuse(err, errlen, "limits.memory: not a size (MiB as a number, or a "
						 "string: \"512M\", \"1G\")");
		if (json_is_integer(v))
			c->limits.memory = (uint64_t)json_integer_value(v) << 20;
	}
	return 0;
}

static const struct field top_fields[] = {
	{"name", JSON_STRING}, {"guest", JSON_OBJECT}, {"net", JSON_ARRAY},  {"disks", JSON_ARRAY},
	{"log", JSON_STRING},  {"layers", JSON_ARRAY}, {"comment", JSON_STRING},
	{"manifest", JSON_STRING}, {"on_violation", JSON_STRING}, {"limits", JSON_OBJECT},
	{NULL, 0},
};

int config_set_policy(struct rp_config *c, const char *v, char *err, size_t errlen)
{
	if (!strcmp(v, "halt") || !strcmp(v, "restart")) {
		c->restart = !strcmp(v, "restart");
		return 0;
	}
	return refuse(err, errlen, "on_violation '%s': halt or restart", v);
}

static int load_root(struct rp_config *c, json_t *root, const char *base, char *err,
		     size_t errlen)
{
	json_t *v;

	if (check_fields(root, "stack", top_fields, err, errlen))
		return -1;
	if ((v = json_object_get(root, "name")) &&
	    copy_str(c->name, sizeof(c->name), v, "name", err, errlen))
		return -1;
	if ((v = json_object_get(root, "guest")) && load_guest(c, v, base, err, errlen))
		return -1;
	if ((v = json_object_get(root, "net")) && load_nets(c, v, err, errlen))
		return -1;
	if ((v = json_object_get(root, "disks")) && load_disks(c, v, base, err, errlen))
		return -1;
	if ((v = json_object_get(root, "log")) &&
	    set_path(c->log_path, json_string_value(v), base, "log", err, errlen))
		return -1;
	if ((v = json_object_get(root, "layers")) && load_layers(c, v, base, err, errlen))
		return -1;
	if ((v = json_object_get(root, "manifest")) &&
	    set_path(c->manifest, json_string_value(v), base, "manifest", err, errlen))
		return -1;
	if ((v = json_object_get(root, "on_violation")) &&
	    config_set_policy(c, json_string_value(v), err, errlen))
		return -1;
	if ((v = json_object_get(root, "limits")) && load_limits(c, v, err, errlen))
		return -1;
	return 0;
}

int config_load_text(struct rp_config *c, const char *text, const char *base, char *err,
		     size_t errlen)
{
	json_error_t jerr;
	json_t *root;
	int r;

	root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return refuse(err, errlen, "line %d column %d: %s", jerr.line, jerr.column,
			    jerr.text);
	r = load_root(c, root, base, err, errlen);
	json_decref(root);
	return r;
}

int config_load_file(struct rp_config *c, const char *path, char *err, size_t errlen)
{
	char base[PATH_MAX], msg[512];
	const char *slash = strrchr(path, '/');
	json_error_t jerr;
	json_t *root;
	FILE *f;
	int r;

	f = fopen(path, "r");
	if (!f)
		return refuse(err, errlen, "stack file %s: %s", path, strerror(errno));
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (!root)
		return refuse(err, errlen, "stack file %s: line %d column %d: %s", path, jerr.line,
			    jerr.column, jerr.text);
	snprintf(base, sizeof(base), "%.*s", slash ? (int)(slash - path) : 0, path);
	if (slash == path)
		snprintf(base, sizeof(base), "/");
	r = load_root(c, root, base, msg, sizeof(msg));
	json_decref(root);
	if (r)
		refuse(err, errlen, "stack file %s: %s", path, msg);
	return r;
}

static int check_stack(const struct rp_config *c, char *err, size_t errlen)
{
	if (c->restart && !c->nlayers)
		return refuse(err, errlen, "on_violation restart: a policy for layers; give --layers");
	if (c->nrules && !c->nlayers)
		return refuse(err, errlen, "--rules %s=%s: rules are for firewall layers; give --layers",
			      c->rules_key[0], c->rules_path[0]);
	if (c->manifest[0] && !c->nlayers)
		return refuse(err, errlen, "manifest %s: a manifest approves layer images; give "
					 "--layers", c->manifest);
	if (c->nlayers) {
		const char *top = c->layers[c->nlayers - 1];

		unsigned i;

		if (!kind_has(top, RP_KF_TOP))
			return refuse(err, errlen, "the top layer '%s' needs a child: put %s on top",
				      c->layers[c->nlayers - 1],
				      RP_TESTS ? "spin, test, abuse, churn, io or vmm" : "vmm");
		for (i = 0; i + 1 < c->nlayers; i++)
			if (config_kind_is_vmm(c->layers[i]))
				return refuse(err, errlen, "layer %u 'vmm': only the top layer can "
							 "be the vmm", i + 1);
		if ((c->ndisks || c->nnets) && !kind_has(top, RP_KF_DEVTOP))
			return refuse(err, errlen, "a disk or network goes through the layers to a vmm "
						 "(or io) top only: put vmm on top, or run no layers");
		/* The layers below the top hand the devices on (RP_KF_HANDS): pass,
		 * ropass, tick, flaky and the defensive layers do. */
		for (i = 0; (c->ndisks || c->nnets) && i + 1 < c->nlayers; i++)
			if (!kind_has(c->layers[i], RP_KF_HANDS))
				return refuse(err, errlen, "layer %u '%s' does not hand devices on: "
							 "only pass, ropass, tick, flaky, firewall, "
							 "wrapper and ids go "
							 "below the top with --disk or --net", i + 1,
					      c->layers[i]);
		/* A policy for each layer that enforces one, and none that would be ignored. */
		for (i = 0; i < c->nlayers; i++) {
			bool has = config_layer_rules(c, i)[0] != 0 || c->layer_policy[i][0];
			bool wrap = !strcmp(c->layers[i], "wrapper");
			bool ids = !strcmp(c->layers[i], "ids");
			bool watch = !strcmp(c->layers[i], "watch");

			if (config_kind_has_policy(c->layers[i]) && !has)
				return refuse(err, errlen, "layer %u '%s' needs its rules: give --rules "
							 "%s=FILE (%s)", i + 1, c->layers[i],
					      c->layers[i],
					      wrap ? "a JSON policy" :
					      ids ? "Snort 3 / Suricata rules" :
					      watch ? "the guest kernel's System.map" : "an nftables ruleset");
			if (watch && !config_layer_rules(c, i)[0])
				return refuse(err, errlen, "layer %u 'watch': its rules are the guest "
							 "kernel's System.map, a file: give rules, not "
							 "an inline policy", i + 1);
			if (watch && (i + 2 != c->nlayers || !config_kind_is_vmm(top)))
				return refuse(err, errlen, "layer %u 'watch': it watches the guest of "
							 "the vmm just above it: put it right below "
							 "a vmm top", i + 1);
			if (!config_kind_has_policy(c->layers[i]) && has)
				return refuse(err, errlen, "layer %u '%s' takes no rules (only firewall, "
							 "wrapper, ids and watch layers do)", i + 1, c->layers[i]);
		}
		for (unsigned k = 0; k < c->nrules; k++) {
			for (i = 0; i < c->nlayers; i++)
				if (rules_key_names(c, c->rules_key[k], i))
					break;
			if (i == c->nlayers)
				return refuse(err, errlen, "--rules %s=%s: no layer %s in the stack",
					      c->rules_key[k], c->rules_path[k], c->rules_key[k]);
		}
		if (c->ndisks > 1)
			return refuse(err, errlen, "one disk at most with layers (%u given)",
				    c->ndisks);
		if (c->nnets > 1)
			return refuse(err, errlen, "one network at most with layers (%u given)",
				    c->nnets);
		/* Honoured or refused, never dropped. */
		if (c->cpus < 1 || c->cpus > RP_MAX_CPUS)
			return refuse(err, errlen, "cpus %u: must be 1..%d", c->cpus, RP_MAX_CPUS);
		if (c->cpus > 1 && !config_kind_is_vmm(top))
			return refuse(err, errlen, "cpus %u: only a vmm at the top boots a guest "
						 "with several vCPUs ('%s' is at the top)", c->cpus, top);
		if (config_kind_is_vmm(top) && !c->kernel[0])
			return refuse(err, errlen, "the vmm layer boots a Linux guest: give --kernel "
						 "PATH");
		if (c->layer_mem < (8ULL << 20) || c->layer_mem > (1ULL << 30) ||
		    c->layer_mem & ((2ULL << 20) - 1))
			return refuse(err, errlen, "layer memory %llu MiB: must be 8..1024 MiB in "
						 "steps of 2 MiB",
				    (unsigned long long)(c->layer_mem >> 20));
		return 0;
	}
	if (!c->kernel[0])
		return refuse(err, errlen, "no kernel: give --kernel PATH or guest.kernel");
	if (c->mem < BOOT_MIN_MEM)
		return refuse(err, errlen, "memory %llu MiB: below the minimum of %llu MiB",
			    (unsigned long long)(c->mem >> 20),
			    (unsigned long long)(BOOT_MIN_MEM >> 20));
	if (c->mem > BOOT_MAX_MEM)
		return refuse(err, errlen, "memory %llu MiB: above the maximum of %llu MiB",
			    (unsigned long long)(c->mem >> 20),
			    (unsigned long long)(BOOT_MAX_MEM >> 20));
	if (c->mem & 0xfff)
		return refuse(err, errlen, "memory %llu bytes: not a multiple of 4 KiB",
			    (unsigned long long)c->mem);
	if (c->cpus < 1 || c->cpus > RP_MAX_CPUS)
		return refuse(err, errlen, "cpus %u: must be 1..%d", c->cpus, RP_MAX_CPUS);
	if (strlen(c->cmdline) >= BOOT_MAX_CMDLINE)
		return refuse(err, errlen, "command line: longer than %d bytes",
			    BOOT_MAX_CMDLINE - 1);
	return 0;
}

uint64_t config_mem_floor(const struct rp_config *c)
{
	bool guest = !c->nlayers || config_kind_is_vmm(c->layers[c->nlayers - 1]);

	return (guest ? c->mem : 0) + c->nlayers * c->layer_mem + RP_MEM_LIMIT_ROOT;
}

int config_check(const struct rp_config *c, char *err, size_t errlen)
{
	if (check_stack(c, err, errlen))
		return -1;
	if (c->limits.memory && c->limits.memory < config_mem_floor(c))
		return refuse(err, errlen, "limits.memory (--memory-limit) %llu MiB: below what the "
					 "stack needs, "
					 "%llu MiB (its guest's and layers' memory and %llu MiB "
					 "for the root)",
			      (unsigned long long)(c->limits.memory >> 20),
			      (unsigned long long)(config_mem_floor(c) >> 20),
			      (unsigned long long)(RP_MEM_LIMIT_ROOT >> 20));
	return 0;
}
