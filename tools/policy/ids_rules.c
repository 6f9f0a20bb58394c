/* SPDX-License-Identifier: MIT */
/*
 * The rule parser: Snort 3 and Suricata rule text to struct ids_rule.
 *
 * Invariants:
 *  1. a rule either loads whole or is refused with the keyword that stopped
 *     it: no option is ever ignored when it changes what matches (only
 *     metadata-like options -- msg, reference, metadata, target, tag, rem,
 *     service -- are accepted without effect on matching);
 *  2. every count is bounded (IDS_SM_MAX items, IDS_ADDRS_MAX addresses,
 *     IDS_GROUP_DEPTH nesting, IDS_PATTERN_MAX bytes of a pattern), and
 *     variables are expanded at most IDS_GROUP_DEPTH deep, so a variable
 *     that names itself is refused, not followed;
 *  3. pcre patterns compile with PCRE2's interpreter only (no JIT).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <ctype.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"

struct class_ent {
	const char *name, *desc;
	int prio;
};
static const struct class_ent classes[] = {
#include "ids_class.inc"
};

const char *ids_class_desc(const char *classtype, int *prio)
{
	if (classtype)
		for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
			if (strcmp(classes[i].name, classtype) == 0) {
				*prio = classes[i].prio;
				return classes[i].desc;
			}
	*prio = 3;
	return "";
}

/* Suricata's defaults (suricata.yaml as Debian ships it). */
static const char *const default_vars[][2] = {
	{ "HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]" },
	{ "EXTERNAL_NET", "!$HOME_NET" },
	{ "HTTP_SERVERS", "$HOME_NET" }, { "SMTP_SERVERS", "$HOME_NET" },
	{ "SQL_SERVERS", "$HOME_NET" }, { "DNS_SERVERS", "$HOME_NET" },
	{ "TELNET_SERVERS", "$HOME_NET" }, { "AIM_SERVERS", "$EXTERNAL_NET" },
	{ "DC_SERVERS", "$HOME_NET" }, { "DNP3_SERVER", "$HOME_NET" },
	{ "DNP3_CLIENT", "$HOME_NET" }, { "MODBUS_CLIENT", "$HOME_NET" },
	{ "MODBUS_SERVER", "$HOME_NET" }, { "ENIP_CLIENT", "$HOME_NET" },
	{ "ENIP_SERVER", "$HOME_NET" }, { "SIP_SERVERS", "$HOME_NET" },
	{ "SSH_SERVERS", "$HOME_NET" }, { "FTP_SERVERS", "$HOME_NET" },
	{ "HTTP_PORTS", "80" }, { "SHELLCODE_PORTS", "!80" }, { "ORACLE_PORTS", "1521" },
	{ "SSH_PORTS", "22" }, { "DNP3_PORTS", "20000" }, { "MODBUS_PORTS", "502" },
	{ "FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]" }, { "FTP_PORTS", "21" },
	{ "GENEVE_PORTS", "6081" }, { "VXLAN_PORTS", "4789" }, { "TEREDO_PORTS", "3544" },
	{ "SIP_PORTS", "[5060,5061,5600]" }, { "MAIL_PORTS", "[25,465,587]" },
};

int ids_set_var(struct ids_ruleset *rs, const char *name, const char *value)
{
	for (uint32_t i = 0; i < rs->nvars; i++)
		if (strcmp(rs->vars[i].name, name) == 0) {
			free(rs->vars[i].value);
			rs->vars[i].value = strdup(value);
			return 0;
		}
	if (rs->nvars == IDS_VARS_MAX)
		return -1;
	rs->vars[rs->nvars].name = strdup(name);
	rs->vars[rs->nvars++].value = strdup(value);
	return 0;
}

void ids_ruleset_init(struct ids_ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
	for (size_t i = 0; i < sizeof(default_vars) / sizeof(default_vars[0]); i++)
		ids_set_var(rs, default_vars[i][0], default_vars[i][1]);
}

void ids_rule_free(struct ids_rule *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < r->nsm; i++) {
		free(r->sm[i].pat);
		if (r->sm[i].re)
			pcre2_code_free(r->sm[i].re);
	}
	free(r->fb);
	free(r->msg);
	free(r->classtype);
	free(r->src.v);
	free(r->dst.v);
	free(r->sport.v);
	free(r->dport.v);
	free(r);
}

void ids_ruleset_free(struct ids_ruleset *rs)
{
	for (uint32_t i = 0; i < rs->nrules; i++)
		ids_rule_free(rs->rules[i]);
	free(rs->rules);
	for (uint32_t i = 0; i < rs->nvars; i++) {
		free(rs->vars[i].name);
		free(rs->vars[i].value);
	}
	for (uint32_t i = 0; i < rs->nfb; i++)
		free(rs->fbnames[i]);
	memset(rs, 0, sizeof(*rs));
}

static const char *var_get(const struct ids_ruleset *rs, const char *name, size_t n)
{
	for (uint32_t i = 0; i < rs->nvars; i++)
		if (strlen(rs->vars[i].name) == n && memcmp(rs->vars[i].name, name, n) == 0)
			return rs->vars[i].value;
	return NULL;
}

/* ---- errors ---------------------------------------------------------------- */

struct pctx {
	struct ids_ruleset *rs;
	struct ids_rule *r;
	char *why;
	size_t whylen;
	int cur_buf;		/* sticky buffer in force, -1 none (pkt) */
	int last_sm;		/* the last content/pcre, for legacy modifiers */
	bool snort;
};

static int fail(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct pctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, c->whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- addresses and ports ---------------------------------------------------- */

static int addr_list(struct pctx *c, const char *s, size_t n, bool neg, int depth,
		     struct ids_addrs *out);

static void trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s))
		(*s)++, (*n)--;
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* Splits s[0..n) at top-level commas; calls fn for each element. */
static int split_top(const char *s, size_t n, int (*fn)(void *, const char *, size_t), void *arg)
{
	int lvl = 0;
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] == '[')
			lvl++;
		else if (i < n && s[i] == ']')
			lvl--;
		else if (i == n || (s[i] == ',' && lvl == 0)) {
			if (fn(arg, s + start, i - start))
				return -1;
			start = i + 1;
		}
	}
	return 0;
}

struct addr_arg {
	struct pctx *c;
	bool neg;
	int depth;
	struct ids_addrs *out;
};

static int addr_one(void *a, const char *s, size_t n)
{
	struct addr_arg *x = a;
	bool neg = x->neg;

	trim(&s, &n);
	while (n && *s == '!') {
		neg = !neg;
		s++, n--;
		trim(&s, &n);
	}
	if (!n)
		return fail(x->c, "address: empty element");
	if (*s == '[') {
		if (s[n - 1] != ']')
			return fail(x->c, "address: unbalanced [");
		return addr_list(x->c, s + 1, n - 2, neg, x->depth + 1, x->out);
	}
	if (*s == '$') {
		const char *v = var_get(x->c->rs, s + 1, n - 1);
		if (!v)
			return fail(x->c, "address: undefined variable %.*s", (int)n, s);
		return addr_list(x->c, v, strlen(v), neg, x->depth + 1, x->out);
	}
	if ((n == 3 && strncmp(s, "any", 3) == 0)) {
		if (neg)
			return fail(x->c, "address: !any matches nothing");
		x->out->any = true;
		return 0;
	}
	char buf[64];
	if (n >= sizeof(buf))
		return fail(x->c, "address: '%.*s' too long", (int)n, s);
	memcpy(buf, s, n);
	buf[n] = 0;
	struct ids_addr ad = { .neg = neg };
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	if (inet_pton(AF_INET, buf, ad.a) == 1)
		ad.af = 4, ad.bits = 32;
	else if (inet_pton(AF_INET6, buf, ad.a) == 1)
		ad.af = 6, ad.bits = 128;
	else
		return fail(x->c, "address: '%s' is not an address", buf);
	if (slash) {
		char *e;
		unsigned long b = strtoul(slash + 1, &e, 10);
		if (*e || b > ad.bits) {
			/* a dotted netmask */
			uint8_t m[4];
			if (ad.af == 4 && inet_pton(AF_INET, slash + 1, m) == 1) {
				uint32_t v = ntohl(*(uint32_t *)m);
				b = (unsigned long)__builtin_popcount(v);
			} else
				return fail(x->c, "address: bad prefix '%s'", slash + 1);
		}
		ad.bits = (uint8_t)b;
	}
	if (x->out->n == IDS_ADDRS_MAX)
		return fail(x->c, "address: more than %u entries", IDS_ADDRS_MAX);
	x->out->v[x->out->n++] = ad;
	return 0;
}

static int addr_list(struct pctx *c, const char *s, size_t n, bool neg, int depth,
		     struct ids_addrs *out)
{
	if (depth > (int)IDS_GROUP_DEPTH)
		return fail(c, "address: nesting or variables deeper than %u", IDS_GROUP_DEPTH);
	trim(&s, &n);
	struct addr_arg a = { c, neg, depth, out };
	if (n && *s == '[' && s[n - 1] == ']')
		return addr_list(c, s + 1, n - 2, neg, depth + 1, out);
	return split_top(s, n, addr_one, &a);
}

static bool prefix_has(const struct ids_addr *p, const uint8_t *a, unsigned alen)
{
	if ((p->af == 4) != (alen == 4))
		return false;
	for (unsigned b = 0; b < p->bits; b++) {
		uint8_t m = (uint8_t)(0x80u >> (b % 8));
		if ((p->a[b / 8] & m) != (a[b / 8] & m))
			return false;
	}
	return true;
}

/* Suricata's semantics: the address matches one positive entry (or there are
 * none, or `any`) and no negated entry. */
bool ids_addr_match(const struct ids_addrs *as, const uint8_t *a, unsigned alen)
{
	bool pos = as->any, haspos = as->any;
	for (unsigned i = 0; i < as->n; i++) {
		const struct ids_addr *p = &as->v[i];
		if (p->neg) {
			if (prefix_has(p, a, alen))
				return false;
		} else {
			haspos = true;
			if (prefix_has(p, a, alen))
				pos = true;
		}
	}
	return pos || !haspos;
}

static int port_list(struct pctx *c, const char *s, size_t n, bool neg, int depth,
		     struct ids_ports *out);

struct port_arg {
	struct pctx *c;
	bool neg;
	int depth;
	struct ids_ports *out;
};

static int port_num(const char *s, size_t n, long *v)
{
	if (!n || n > 5)
		return -1;
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return *v > 65535 ? -1 : 0;
}

static int port_one(void *a, const char *s, size_t n)
{
	struct port_arg *x = a;
	bool neg = x->neg;

	trim(&s, &n);
	while (n && *s == '!') {
		neg = !neg;
		s++, n--;
	}
	if (!n)
		return fail(x->c, "port: empty element");
	if (*s == '[') {
		if (s[n - 1] != ']')
			return fail(x->c, "port: unbalanced [");
		return port_list(x->c, s + 1, n - 2, neg, x->depth + 1, x->out);
	}
	if (*s == '$') {
		const char *v = var_get(x->c->rs, s + 1, n - 1);
		if (!v)
			return fail(x->c, "port: undefined variable %.*s", (int)n, s);
		return port_list(x->c, v, strlen(v), neg, x->depth + 1, x->out);
	}
	if (n == 3 && strncmp(s, "any", 3) == 0) {
		if (neg)
			return fail(x->c, "port: !any matches nothing");
		x->out->any = true;
		return 0;
	}
	struct ids_port p = { 0, 65535, neg };
	const char *colon = memchr(s, ':', n);
	long lo, hi;
	if (colon) {
		size_t l1 = (size_t)(colon - s), l2 = n - l1 - 1;
		if ((l1 && port_num(s, l1, &lo)) || (l2 && port_num(colon + 1, l2, &hi)))
			return fail(x->c, "port: bad range '%.*s'", (int)n, s);
		p.lo = l1 ? (uint16_t)lo : 0;
		p.hi = l2 ? (uint16_t)hi : 65535;
	} else {
		if (port_num(s, n, &lo))
			return fail(x->c, "port: '%.*s' is not a port", (int)n, s);
		p.lo = p.hi = (uint16_t)lo;
	}
	if (x->out->n == IDS_PORTS_MAX)
		return fail(x->c, "port: more than %u entries", IDS_PORTS_MAX);
	x->out->v[x->out->n++] = p;
	return 0;
}

static int port_list(struct pctx *c, const char *s, size_t n, bool neg, int depth,
		     struct ids_ports *out)
{
	if (depth > (int)IDS_GROUP_DEPTH)
		return fail(c, "port: nesting or variables deeper than %u", IDS_GROUP_DEPTH);
	trim(&s, &n);
	struct port_arg a = { c, neg, depth, out };
	if (n && *s == '[' && s[n - 1] == ']')
		return port_list(c, s + 1, n - 2, neg, depth + 1, out);
	return split_top(s, n, port_one, &a);
}

bool ids_port_match(const struct ids_ports *ps, uint16_t port)
{
	bool pos = ps->any, haspos = ps->any;
	for (unsigned i = 0; i < ps->n; i++) {
		const struct ids_port *p = &ps->v[i];
		bool in = port >= p->lo && port <= p->hi;
		if (p->neg) {
			if (in)
				return false;
		} else {
			haspos = true;
			pos |= in;
		}
	}
	return pos || !haspos;
}

/* ---- option values ---------------------------------------------------------- */

/* Content bytes: "text|41 42|text", escapes \" \; \\ \: (and any \x as x). */
static int content_bytes(struct pctx *c, const char *s, size_t n, struct ids_sm *sm)
{
	trim(&s, &n);
	if (n && *s == '!') {
		sm->flags |= CT_NEGATED;
		s++, n--;
		trim(&s, &n);
	}
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return fail(c, "content: value not in quotes");
	s++, n -= 2;
	uint8_t *out = malloc(n + 1);
	size_t o = 0;
	bool hex = false;
	int nib = -1;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '|') {
			if (hex && nib >= 0)
				goto bad;
			hex = !hex;
			continue;
		}
		if (hex) {
			if (isspace((unsigned char)ch))
				continue;
			if (!isxdigit((unsigned char)ch))
				goto bad;
			int v = isdigit((unsigned char)ch) ? ch - '0' : (tolower(ch) - 'a' + 10);
			if (nib < 0)
				nib = v;
			else {
				out[o++] = (uint8_t)(nib << 4 | v);
				nib = -1;
			}
			continue;
		}
		if (ch == '\\' && i + 1 < n)
			ch = s[++i];
		out[o++] = (uint8_t)ch;
	}
	if (hex || !o || o > IDS_PATTERN_MAX)
		goto bad;
	sm->pat = out;
	sm->len = (uint32_t)o;
	return 0;
bad:
	free(out);
	return fail(c, "content: bad value (hex, empty or longer than %u)", IDS_PATTERN_MAX);
}

static int parse_int(const char *s, size_t n, int64_t *v)
{
	char buf[32];
	trim(&s, &n);
	if (!n || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	char *e;
	long long x = strtoll(buf, &e, 0);
	if (*e)
		return -1;
	*v = x;
	return 0;
}

/* "N", "<N", ">N", "A<>B", "A-B", "<=N", ">=N", "!N" */
static int parse_cmp(const char *s, size_t n, uint8_t *cmp, int64_t *a, int64_t *b)
{
	trim(&s, &n);
	char buf[48];
	if (!n || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	char *p = buf;
	*b = 0;
	char *r = strstr(p, "<>");
	if (r || (isdigit((unsigned char)p[0]) && strchr(p, '-'))) {
		char *sep = r ? r : strchr(p, '-');
		*sep = 0;
		if (parse_int(p, strlen(p), a) || parse_int(sep + (r ? 2 : 1), strlen(sep + (r ? 2 : 1)), b))
			return -1;
		*cmp = CMP_RANGE;
		return 0;
	}
	*cmp = CMP_EQ;
	if (p[0] == '<' && p[1] == '=') *cmp = CMP_LE, p += 2;
	else if (p[0] == '>' && p[1] == '=') *cmp = CMP_GE, p += 2;
	else if (p[0] == '<') *cmp = CMP_LT, p++;
	else if (p[0] == '>') *cmp = CMP_GT, p++;
	else if (p[0] == '!') *cmp = CMP_NE, p++;
	else if (p[0] == '=') p++;
	return parse_int(p, strlen(p), a);
}

/* ---- buffers ---------------------------------------------------------------- */

struct bufname {
	const char *name;
	uint8_t buf;
};

/* Suricata sticky buffers (and Snort 3's, which are all sticky). */
static const struct bufname sticky[] = {
	{ "pkt_data", IB_PKT }, { "http.uri", IB_URI }, { "http.uri.raw", IB_RAW_URI },
	{ "http.method", IB_METHOD }, { "http.host", IB_HOST }, { "http.host.raw", IB_RAW_HOST },
	{ "http.user_agent", IB_UA }, { "http.cookie", IB_COOKIE },
	{ "http.request_body", IB_REQ_BODY }, { "http.request_line", IB_REQ_LINE },
	{ "http.referer", IB_REFERER }, { "http.content_type", IB_CONTENT_TYPE },
	{ "http.accept", IB_ACCEPT }, { "http.accept_lang", IB_ACCEPT_LANG },
	{ "http.accept_enc", IB_ACCEPT_ENC }, { "http.connection", IB_CONNECTION },
	{ "http.content_len", IB_CONTENT_LEN }, { "http.header_names", IB_HEADER_NAMES },
	{ "http.header", IB_HEADER }, { "http.header.raw", IB_RAW_HEADER },
	{ "http.protocol", IB_PROTOCOL }, { "http.start", IB_START },
	{ "file.data", IB_FILE_DATA }, { "file_data", IB_FILE_DATA },
	{ "http.stat_code", IB_STAT_CODE }, { "http.stat_msg", IB_STAT_MSG },
	{ "http.response_line", IB_RESP_LINE }, { "http.response_body", IB_RESP_BODY },
	{ "http.server", IB_SERVER }, { "http.location", IB_LOCATION },
	{ "http.request_header", IB_REQ_HEADER }, { "http.response_header", IB_RESP_HEADER },
	{ "dns.query", IB_DNS_QUERY }, { "dns_query", IB_DNS_QUERY },
	{ "tls.sni", IB_TLS_SNI }, { "tls_sni", IB_TLS_SNI },
	{ "http_protocol", IB_PROTOCOL }, { "http_start", IB_START },
	{ "http_request_line", IB_REQ_LINE }, { "http_response_line", IB_RESP_LINE },
	{ "http_accept", IB_ACCEPT }, { "http_referer", IB_REFERER },
	{ "http_content_type", IB_CONTENT_TYPE }, { "http_content_len", IB_CONTENT_LEN },
	{ "http_connection", IB_CONNECTION }, { "http_accept_lang", IB_ACCEPT_LANG },
	{ "http_accept_enc", IB_ACCEPT_ENC }, { "http_header_names", IB_HEADER_NAMES },
};

/* Suricata's legacy content modifiers (sticky in Snort 3). */
static const struct bufname legacy[] = {
	{ "http_uri", IB_URI }, { "http_raw_uri", IB_RAW_URI }, { "http_method", IB_METHOD },
	{ "http_host", IB_HOST }, { "http_raw_host", IB_RAW_HOST },
	{ "http_user_agent", IB_UA }, { "http_cookie", IB_COOKIE },
	{ "http_client_body", IB_REQ_BODY }, { "http_server_body", IB_RESP_BODY },
	{ "http_header", IB_HEADER }, { "http_raw_header", IB_RAW_HEADER },
	{ "http_stat_code", IB_STAT_CODE }, { "http_stat_msg", IB_STAT_MSG },
	{ "http_raw_cookie", IB_COOKIE },
};

static int find_buf(const struct bufname *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return t[i].buf;
	return -1;
}

/* ---- the options ------------------------------------------------------------- */

static struct ids_sm *new_sm(struct pctx *c, uint8_t kind)
{
	if (c->r->nsm == IDS_SM_MAX) {
		fail(c, "more than %u detection options", IDS_SM_MAX);
		return NULL;
	}
	struct ids_sm *sm = &c->r->sm[c->r->nsm++];
	memset(sm, 0, sizeof(*sm));
	sm->kind = kind;
	sm->buf = (uint8_t)(c->cur_buf < 0 ? IB_PKT : c->cur_buf);
	return sm;
}

static struct ids_sm *last_content(struct pctx *c, const char *kw)
{
	if (c->last_sm < 0 || c->r->sm[c->last_sm].kind != SM_CONTENT) {
		fail(c, "%s: no content before it", kw);
		return NULL;
	}
	return &c->r->sm[c->last_sm];
}

static int mod_int(struct pctx *c, const char *kw, const char *v, size_t vn, int32_t *out)
{
	int64_t x;
	if (!v || parse_int(v, vn, &x) || x < -65535 || x > 65535)
		return fail(c, "%s: not a number (byte_extract variables are not supported)", kw);
	*out = (int32_t)x;
	return 0;
}

/* A content modifier (Suricata's own option, or Snort 3's ",mod value"). */
static int content_mod(struct pctx *c, struct ids_sm *sm, const char *kw, const char *v, size_t vn)
{
	if (strcmp(kw, "nocase") == 0)
		sm->flags |= CT_NOCASE;
	else if (strcmp(kw, "rawbytes") == 0)
		;	/* no telnet normalization here: raw is what is inspected */
	else if (strcmp(kw, "offset") == 0) {
		sm->flags |= CT_OFFSET;
		return mod_int(c, kw, v, vn, &sm->offset);
	} else if (strcmp(kw, "depth") == 0) {
		sm->flags |= CT_DEPTH;
		return mod_int(c, kw, v, vn, &sm->depth);
	} else if (strcmp(kw, "distance") == 0) {
		sm->flags |= CT_DISTANCE | CT_RELATIVE;
		return mod_int(c, kw, v, vn, &sm->distance);
	} else if (strcmp(kw, "within") == 0) {
		sm->flags |= CT_WITHIN | CT_RELATIVE;
		return mod_int(c, kw, v, vn, &sm->within);
	} else if (strcmp(kw, "startswith") == 0)
		sm->flags |= CT_STARTSWITH;
	else if (strcmp(kw, "endswith") == 0)
		sm->flags |= CT_ENDSWITH;
	else if (strcmp(kw, "fast_pattern") == 0) {
		sm->flags |= CT_FAST;
		if (v && vn >= 4 && strncmp(v, "only", 4) == 0)
			sm->flags |= CT_FAST_ONLY;
	} else
		return 1;
	return 0;
}

static int opt_pcre(struct pctx *c, const char *v, size_t vn)
{
	struct ids_sm *sm = new_sm(c, SM_PCRE);
	if (!sm)
		return -1;
	trim(&v, &vn);
	if (vn && *v == '!') {
		sm->flags |= CT_NEGATED;
		v++, vn--;
		trim(&v, &vn);
	}
	if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"')
		v++, vn -= 2;
	if (!vn || v[0] != '/')
		return fail(c, "pcre: pattern not in /.../");
	const char *end = NULL;
	for (size_t i = vn; i > 1; i--)
		if (v[i - 1] == '/') {
			end = v + i - 1;
			break;
		}
	if (!end)
		return fail(c, "pcre: no closing /");
	size_t plen = (size_t)(end - v - 1);
	if (plen > IDS_PATTERN_MAX)
		return fail(c, "pcre: longer than %u", IDS_PATTERN_MAX);
	uint32_t opts = 0;
	for (const char *f = end + 1; f < v + vn; f++) {
		int b = -1;
		switch (*f) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		case 'A': opts |= PCRE2_ANCHORED; break;
		case 'E': opts |= PCRE2_DOLLAR_ENDONLY; break;
		case 'G': opts |= PCRE2_UNGREEDY; break;
		case 'R': sm->flags |= CT_RELATIVE; break;
		case 'B': break;	/* rawbytes */
		case 'O': break;	/* ignore the match limits: ours are fixed */
		case 'U': b = IB_URI; break;
		case 'I': b = IB_RAW_URI; break;
		case 'P': b = IB_REQ_BODY; break;
		case 'Q': b = IB_RESP_BODY; break;
		case 'H': b = IB_HEADER; break;
		case 'D': b = IB_RAW_HEADER; break;
		case 'M': b = IB_METHOD; break;
		case 'C': b = IB_COOKIE; break;
		case 'S': b = IB_STAT_CODE; break;
		case 'Y': b = IB_STAT_MSG; break;
		case 'V': b = IB_UA; break;
		case 'W': b = IB_HOST; break;
		case 'Z': b = IB_RAW_HOST; break;
		default:
			return fail(c, "pcre: flag '%c' not supported", *f);
		}
		if (b >= 0) {
			if (c->cur_buf >= 0 && c->cur_buf != b)
				return fail(c, "pcre: buffer flag '%c' inside another sticky buffer", *f);
			sm->buf = (uint8_t)b;
		}
	}
	int ec;
	PCRE2_SIZE eo;
	/* A callout before every item: the in-line layer pays each match's
	 * steps from its frame's budget (src/ids/pcrert.h); offline, with no
	 * callout function, they are skipped. */
	opts |= PCRE2_AUTO_CALLOUT;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)(v + 1), plen, opts, &ec, &eo, NULL);
	if (!re) {
		PCRE2_UCHAR msg[120];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		return fail(c, "pcre: %s at %zu", (char *)msg, (size_t)eo);
	}
	sm->re = re;
	c->last_sm = (int)(sm - c->r->sm);
	return 0;
}

/* Splits Snort 3's "value,mod arg,mod" tail (outside quotes). */
static int content_opt(struct pctx *c, const char *v, size_t vn, bool uri)
{
	struct ids_sm *sm = new_sm(c, SM_CONTENT);
	if (!sm)
		return -1;
	if (uri) {
		if (c->cur_buf >= 0 && c->cur_buf != IB_URI)
			return fail(c, "uricontent: inside another sticky buffer");
		sm->buf = IB_URI;
	}
	/* the quoted part ends at the last unescaped quote */
	size_t q = 0;
	bool inq = false;
	for (size_t i = 0; i < vn; i++) {
		if (v[i] == '\\' && inq) {
			i++;
			continue;
		}
		if (v[i] == '"') {
			inq = !inq;
			q = i + 1;
		}
	}
	if (content_bytes(c, v, q, sm))
		return -1;
	c->last_sm = (int)(sm - c->r->sm);
	/* Snort 3: ",nocase,depth 5,fast_pattern" */
	const char *p = v + q;
	size_t left = vn - q;
	while (left) {
		trim(&p, &left);
		if (!left)
			break;
		if (*p != ',')
			return fail(c, "content: text after the value");
		p++, left--;
		const char *e = memchr(p, ',', left);
		size_t n = e ? (size_t)(e - p) : left;
		const char *t = p;
		size_t tn = n;
		trim(&t, &tn);
		char kw[32];
		size_t k = 0;
		while (k < tn && !isspace((unsigned char)t[k]) && k < sizeof(kw) - 1)
			kw[k] = t[k], k++;
		kw[k] = 0;
		const char *arg = k < tn ? t + k : NULL;
		size_t an = arg ? tn - k : 0;
		int rc = content_mod(c, sm, kw, arg, an);
		if (rc > 0)
			return fail(c, "content: modifier '%s' not supported", kw);
		if (rc < 0)
			return -1;
		p += n, left -= n;
	}
	return 0;
}

static int opt_flow(struct pctx *c, const char *v, size_t vn)
{
	char buf[128];
	if (!v || vn >= sizeof(buf))
		return fail(c, "flow: bad value");
	memcpy(buf, v, vn);
	buf[vn] = 0;
	for (char *save, *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		if (!strcmp(t, "to_server") || !strcmp(t, "from_client"))
			c->r->flow |= FL_TO_SERVER;
		else if (!strcmp(t, "to_client") || !strcmp(t, "from_server"))
			c->r->flow |= FL_TO_CLIENT;
		else if (!strcmp(t, "established"))
			c->r->flow |= FL_ESTABLISHED;
		else if (!strcmp(t, "not_established"))
			c->r->flow |= FL_NOT_ESTABLISHED;
		else if (!strcmp(t, "stateless"))
			c->r->flow |= FL_STATELESS;
		else if (!strcmp(t, "only_stream"))
			c->r->flow |= FL_ONLY_STREAM;
		else if (!strcmp(t, "no_stream"))
			c->r->flow |= FL_NO_STREAM;
		else
			return fail(c, "flow: '%s' not supported", t);
	}
	return 0;
}

static uint32_t fb_id(struct pctx *c, const char *name, size_t n)
{
	struct ids_ruleset *rs = c->rs;
	for (uint32_t i = 0; i < rs->nfb; i++)
		if (strlen(rs->fbnames[i]) == n && memcmp(rs->fbnames[i], name, n) == 0)
			return i;
	if (rs->nfb == IDS_FLOWBITS_MAX)
		return UINT32_MAX;
	rs->fbnames[rs->nfb] = strndup(name, n);
	return rs->nfb++;
}

static int opt_flowbits(struct pctx *c, const char *v, size_t vn)
{
	if (!v)
		return fail(c, "flowbits: no value");
	trim(&v, &vn);
	const char *comma = memchr(v, ',', vn);
	size_t on = comma ? (size_t)(comma - v) : vn;
	const char *ops[] = { "set", "unset", "toggle", "isset", "isnotset", "noalert" };
	int op = -1;
	for (int i = 0; i < 6; i++)
		if (strlen(ops[i]) == on && strncmp(v, ops[i], on) == 0)
			op = i;
	if (op < 0)
		return fail(c, "flowbits: operation '%.*s' not supported", (int)on, v);
	if (op == FB_NOALERT) {
		c->r->noalert = true;
		return 0;
	}
	if (!comma)
		return fail(c, "flowbits: no name");
	struct ids_rule *r = c->r;
	if (r->nfb == 16)
		return fail(c, "flowbits: more than 16 per rule");
	r->fb = realloc(r->fb, (r->nfb + 1u) * sizeof(*r->fb));
	struct ids_flowbit *f = &r->fb[r->nfb++];
	memset(f, 0, sizeof(*f));
	f->op = (uint8_t)op;
	const char *p = comma + 1, *end = v + vn;
	/* a|b (any) or a&b (all) */
	while (p < end) {
		const char *q = p;
		while (q < end && *q != '|' && *q != '&')
			q++;
		if (q < end && *q == '|')
			f->any = 1;
		const char *t = p;
		size_t tn = (size_t)(q - p);
		trim(&t, &tn);
		if (!tn || f->n == 8)
			return fail(c, "flowbits: bad name list");
		uint32_t id = fb_id(c, t, tn);
		if (id == UINT32_MAX)
			return fail(c, "flowbits: more than %u names", IDS_FLOWBITS_MAX);
		f->ids[f->n++] = id;
		p = q + 1;
	}
	return 0;
}

static int opt_threshold(struct pctx *c, const char *kw, const char *v, size_t vn)
{
	char buf[160];
	if (!v || vn >= sizeof(buf))
		return fail(c, "%s: bad value", kw);
	memcpy(buf, v, vn);
	buf[vn] = 0;
	struct ids_rule *r = c->r;
	r->thr_type = strcmp(kw, "detection_filter") == 0 ? THR_DETECTION : THR_NONE;
	bool track = false;
	for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*t))
			t++;
		char *a = t;
		while (*a && !isspace((unsigned char)*a))
			a++;
		if (*a)
			*a++ = 0;
		while (isspace((unsigned char)*a))
			a++;
		char *e;
		if (!strcmp(t, "type")) {
			if (!strcmp(a, "limit")) r->thr_type = THR_LIMIT;
			else if (!strcmp(a, "threshold")) r->thr_type = THR_THRESHOLD;
			else if (!strcmp(a, "both")) r->thr_type = THR_BOTH;
			else return fail(c, "%s: type '%s' not supported", kw, a);
		} else if (!strcmp(t, "track")) {
			if (!strcmp(a, "by_src")) r->thr_by_dst = 0;
			else if (!strcmp(a, "by_dst")) r->thr_by_dst = 1;
			else return fail(c, "%s: track '%s' not supported", kw, a);
			track = true;
		} else if (!strcmp(t, "count")) {
			r->thr_count = (uint32_t)strtoul(a, &e, 10);
			if (*e || !*a) return fail(c, "%s: bad count", kw);
		} else if (!strcmp(t, "seconds")) {
			r->thr_seconds = (uint32_t)strtoul(a, &e, 10);
			if (*e || !*a) return fail(c, "%s: bad seconds", kw);
		} else
			return fail(c, "%s: '%s' not supported", kw, t);
	}
	if (r->thr_type == THR_NONE || !track || !r->thr_count)
		return fail(c, "%s: needs type, track and count", kw);
	return 0;
}

static int opt_byte(struct pctx *c, const char *kw, const char *v, size_t vn, bool jump)
{
	char buf[200];
	if (!v || vn >= sizeof(buf))
		return fail(c, "%s: bad value", kw);
	memcpy(buf, v, vn);
	buf[vn] = 0;
	struct ids_sm *sm = new_sm(c, jump ? SM_BYTE_JUMP : SM_BYTE_TEST);
	if (!sm)
		return -1;
	sm->base = 0;
	sm->mult = 1;
	char *tok[16];
	int nt = 0;
	for (char *save, *t = strtok_r(buf, ",", &save); t && nt < 16; t = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*t))
			t++;
		char *e = t + strlen(t);
		while (e > t && isspace((unsigned char)e[-1]))
			*--e = 0;
		tok[nt++] = t;
	}
	int need = jump ? 2 : 4;
	if (nt < need)
		return fail(c, "%s: too few arguments", kw);
	int64_t x;
	if (parse_int(tok[0], strlen(tok[0]), &x) || x < 1 || x > 10)
		return fail(c, "%s: bytes must be 1-10 (a variable is not supported)", kw);
	sm->nbytes = (uint8_t)x;
	int i = 1;
	if (!jump) {
		char *op = tok[1];
		bool neg = op[0] == '!';
		if (neg)
			op++;
		if (!strcmp(op, "=")) sm->cmp = CMP_EQ;
		else if (!strcmp(op, "<")) sm->cmp = CMP_LT;
		else if (!strcmp(op, ">")) sm->cmp = CMP_GT;
		else if (!strcmp(op, "<=")) sm->cmp = CMP_LE;
		else if (!strcmp(op, ">=")) sm->cmp = CMP_GE;
		else if (!strcmp(op, "&")) sm->cmp = CMP_AND;
		else if (!strcmp(op, "^")) sm->cmp = CMP_OR;
		else return fail(c, "%s: operator '%s' not supported", kw, tok[1]);
		if (neg)
			sm->flags |= CT_NEGATED;
		if (parse_int(tok[2], strlen(tok[2]), &sm->a))
			return fail(c, "%s: value '%s' not a number (variables are not supported)", kw, tok[2]);
		i = 3;
	}
	if (parse_int(tok[i], strlen(tok[i]), &x))
		return fail(c, "%s: offset '%s' not a number (variables are not supported)", kw, tok[i]);
	sm->offset = (int32_t)x;
	for (i++; i < nt; i++) {
		char *t = tok[i];
		if (!strcmp(t, "relative")) sm->flags |= CT_RELATIVE;
		else if (!strcmp(t, "little")) sm->little = 1;
		else if (!strcmp(t, "big")) sm->little = 0;
		else if (!strcmp(t, "string")) sm->string = 1;
		else if (!strcmp(t, "hex")) sm->base = 16;
		else if (!strcmp(t, "dec")) sm->base = 10;
		else if (!strcmp(t, "oct")) sm->base = 8;
		else if (!strcmp(t, "align")) sm->align = 4;
		else if (!strcmp(t, "from_beginning")) sm->from_beginning = 1;
		else if (!strcmp(t, "dce")) return fail(c, "%s: dce not supported", kw);
		else if (!strncmp(t, "multiplier", 10)) {
			if (parse_int(t + 10, strlen(t + 10), &x)) return fail(c, "%s: bad multiplier", kw);
			sm->mult = (int32_t)x;
		} else if (!strncmp(t, "post_offset", 11)) {
			if (parse_int(t + 11, strlen(t + 11), &x)) return fail(c, "%s: bad post_offset", kw);
			sm->post = (int32_t)x;
		} else if (!strncmp(t, "bitmask", 7))
			return fail(c, "%s: bitmask not supported", kw);
		else
			return fail(c, "%s: '%s' not supported", kw, t);
	}
	if (sm->string && !sm->base)
		sm->base = 10;
	if (!sm->string && sm->nbytes > 8)
		return fail(c, "%s: more than 8 binary bytes", kw);
	return 0;
}

static int opt_flags(struct pctx *c, const char *v, size_t vn)
{
	struct ids_rule *r = c->r;
	trim(&v, &vn);
	const char *comma = memchr(v, ',', vn);
	size_t n = comma ? (size_t)(comma - v) : vn;
	uint8_t *dst = &r->flags_set;
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			uint8_t b = 0;
			switch (v[i]) {
			case 'F': b = 0x01; break;
			case 'S': b = 0x02; break;
			case 'R': b = 0x04; break;
			case 'P': b = 0x08; break;
			case 'A': b = 0x10; break;
			case 'U': b = 0x20; break;
			case 'E': case '2': b = 0x40; break;
			case 'C': case '1': b = 0x80; break;
			case '0': break;
			case '+': case '*': case '!':
				if (pass == 0) { r->flags_mod = (uint8_t)v[i]; break; }
				/* fall through */
			default:
				return fail(c, "flags: '%c' not supported", v[i]);
			}
			*dst |= b;
		}
		if (!comma)
			break;
		/* the mask: flags to ignore */
		dst = &r->flags_mask;
		v = comma + 1;
		n = vn - n - 1;
		comma = NULL;
	}
	r->has_flags = true;
	return 0;
}

/* Keywords accepted with no effect on what matches. */
static const char *const meta_kw[] = {
	"reference", "metadata", "target", "tag", "rem", "service", "sid_rev",
};

/* Keywords refused, with the reason shown (known, not implemented). */
static int option(struct pctx *c, const char *kw, const char *v, size_t vn)
{
	struct ids_rule *r = c->r;
	int b;
	int64_t x;

	for (size_t i = 0; i < sizeof(meta_kw) / sizeof(meta_kw[0]); i++)
		if (!strcmp(kw, meta_kw[i]))
			return 0;
	if (!strcmp(kw, "msg")) {
		if (!v)
			return fail(c, "msg: no value");
		trim(&v, &vn);
		if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"')
			v++, vn -= 2;
		free(r->msg);
		r->msg = malloc(vn + 1);
		size_t o = 0;
		for (size_t i = 0; i < vn; i++) {
			if (v[i] == '\\' && i + 1 < vn)
				i++;
			r->msg[o++] = v[i];
		}
		r->msg[o] = 0;
		return 0;
	}
	if (!strcmp(kw, "sid") || !strcmp(kw, "rev") || !strcmp(kw, "gid") || !strcmp(kw, "priority")) {
		if (!v || parse_int(v, vn, &x) || x < 0 || x > UINT32_MAX)
			return fail(c, "%s: not a number", kw);
		if (kw[0] == 's') r->sid = (uint32_t)x;
		else if (kw[0] == 'r') r->rev = (uint32_t)x;
		else if (kw[0] == 'g') r->gid = (uint32_t)x;
		else r->priority = (int)x;
		return 0;
	}
	if (!strcmp(kw, "classtype")) {
		if (!v)
			return fail(c, "classtype: no value");
		trim(&v, &vn);
		free(r->classtype);
		r->classtype = strndup(v, vn);
		return 0;
	}
	if (!strcmp(kw, "content") || !strcmp(kw, "uricontent")) {
		if (!v)
			return fail(c, "%s: no value", kw);
		return content_opt(c, v, vn, kw[0] == 'u');
	}
	if (!strcmp(kw, "pcre"))
		return v ? opt_pcre(c, v, vn) : fail(c, "pcre: no value");
	if ((b = find_buf(sticky, sizeof(sticky) / sizeof(sticky[0]), kw)) >= 0) {
		if (v && !c->snort)
			return fail(c, "%s: takes no value", kw);
		c->cur_buf = b == IB_PKT ? -1 : b;
		return 0;
	}
	if ((b = find_buf(legacy, sizeof(legacy) / sizeof(legacy[0]), kw)) >= 0) {
		if (c->snort) {
			if (v && strcmp(kw, "http_header") == 0)
				return fail(c, "http_header: field selection not supported");
			if (v && strcmp(kw, "http_uri") == 0 && strncmp(v, "path", 4) != 0)
				return fail(c, "http_uri: part '%.*s' not supported", (int)vn, v);
			c->cur_buf = b;
			return 0;
		}
		/* Suricata: the last content (or pcre) goes into this buffer. */
		if (c->last_sm < 0)
			return fail(c, "%s: no content before it", kw);
		if (c->cur_buf >= 0)
			return fail(c, "%s: after a sticky buffer", kw);
		r->sm[c->last_sm].buf = (uint8_t)b;
		return 0;
	}
	if (!strcmp(kw, "dotprefix")) {
		if (c->cur_buf < 0)
			return fail(c, "dotprefix: no sticky buffer before it");
		for (unsigned i = 0; i < r->nsm; i++)
			if (r->sm[i].buf == c->cur_buf)
				return fail(c, "dotprefix: after the buffer's first content");
		r->dotprefix |= 1ull << c->cur_buf;
		return 0;
	}
	if (!strcmp(kw, "raw_data") && c->snort) {
		c->cur_buf = -1;
		return 0;
	}
	{
		int rc;
		struct ids_sm *sm;
		if (!strcmp(kw, "nocase") || !strcmp(kw, "rawbytes") || !strcmp(kw, "offset") ||
		    !strcmp(kw, "depth") || !strcmp(kw, "distance") || !strcmp(kw, "within") ||
		    !strcmp(kw, "startswith") || !strcmp(kw, "endswith") ||
		    !strcmp(kw, "fast_pattern")) {
			if (!(sm = last_content(c, kw)))
				return -1;
			rc = content_mod(c, sm, kw, v, vn);
			return rc;
		}
	}
	if (!strcmp(kw, "flow"))
		return opt_flow(c, v, vn);
	if (!strcmp(kw, "flowbits"))
		return opt_flowbits(c, v, vn);
	if (!strcmp(kw, "threshold") || !strcmp(kw, "detection_filter"))
		return opt_threshold(c, kw, v, vn);
	if (!strcmp(kw, "noalert")) {
		r->noalert = true;
		return 0;
	}
	if (!strcmp(kw, "dsize")) {
		if (!v || parse_cmp(v, vn, &r->dsize_cmp, &r->dsize_a, &r->dsize_b))
			return fail(c, "dsize: bad value");
		r->has_dsize = true;
		return 0;
	}
	if (!strcmp(kw, "itype") || !strcmp(kw, "icode")) {
		bool t = kw[1] == 't';
		if (!v || parse_cmp(v, vn, t ? &r->itype_cmp : &r->icode_cmp, t ? &r->itype_a : &r->icode_a,
				    t ? &r->itype_b : &r->icode_b))
			return fail(c, "%s: bad value", kw);
		if (t) r->has_itype = true;
		else r->has_icode = true;
		return 0;
	}
	if (!strcmp(kw, "ip_proto")) {
		if (!v || parse_int(v, vn, &x) || x < 0 || x > 255) {
			const char *t = v;
			size_t tn = vn;
			if (t)
				trim(&t, &tn);
			if (t && tn == 3 && !strncmp(t, "tcp", 3)) x = 6;
			else if (t && tn == 3 && !strncmp(t, "udp", 3)) x = 17;
			else if (t && tn == 4 && !strncmp(t, "icmp", 4)) x = 1;
			else return fail(c, "ip_proto: bad value");
		}
		r->ipproto = (uint8_t)x;
		return 0;
	}
	if (!strcmp(kw, "flags"))
		return v ? opt_flags(c, v, vn) : fail(c, "flags: no value");
	if (!strcmp(kw, "isdataat")) {
		struct ids_sm *sm = new_sm(c, SM_ISDATAAT);
		if (!sm || !v)
			return sm ? fail(c, "isdataat: no value") : -1;
		trim(&v, &vn);
		if (vn && *v == '!')
			sm->flags |= CT_NEGATED, v++, vn--;
		const char *comma = memchr(v, ',', vn);
		size_t n = comma ? (size_t)(comma - v) : vn;
		if (parse_int(v, n, &sm->a))
			return fail(c, "isdataat: not a number (variables are not supported)");
		if (comma) {
			const char *t = comma + 1;
			size_t tn = vn - n - 1;
			trim(&t, &tn);
			if (tn == 8 && !strncmp(t, "relative", 8))
				sm->flags |= CT_RELATIVE;
			else if (!(tn == 8 && !strncmp(t, "rawbytes", 8)))
				return fail(c, "isdataat: '%.*s' not supported", (int)tn, t);
		}
		return 0;
	}
	if (!strcmp(kw, "bsize") || !strcmp(kw, "bufferlen") || !strcmp(kw, "urilen")) {
		bool uri = kw[0] == 'u';
		struct ids_sm *sm = new_sm(c, uri ? SM_URILEN : SM_BSIZE);
		if (!sm)
			return -1;
		if (!v || parse_cmp(v, vn, &sm->cmp, &sm->a, &sm->b)) {
			/* urilen:N,raw|norm */
			const char *comma = v ? memchr(v, ',', vn) : NULL;
			if (!uri || !comma || parse_cmp(v, (size_t)(comma - v), &sm->cmp, &sm->a, &sm->b))
				return fail(c, "%s: bad value", kw);
			if (strstr(comma, "raw"))
				sm->buf = IB_RAW_URI;
			else
				sm->buf = IB_URI;
			return 0;
		}
		if (uri)
			sm->buf = IB_URI;
		return 0;
	}
	if (!strcmp(kw, "byte_test"))
		return opt_byte(c, kw, v, vn, false);
	if (!strcmp(kw, "byte_jump"))
		return opt_byte(c, kw, v, vn, true);
	return fail(c, "%s: keyword not supported", kw);
}

/* ---- the rule ------------------------------------------------------------------ */

static const char *next_tok(const char **p, const char *end, size_t *n)
{
	const char *s = *p;
	while (s < end && isspace((unsigned char)*s))
		s++;
	const char *t = s;
	int lvl = 0;
	while (s < end && (lvl || !isspace((unsigned char)*s)) && !(lvl == 0 && *s == '(')) {
		if (*s == '[')
			lvl++;
		else if (*s == ']')
			lvl--;
		s++;
	}
	*n = (size_t)(s - t);
	*p = s;
	return t;
}

static bool tok_is(const char *t, size_t n, const char *w)
{
	return strlen(w) == n && strncmp(t, w, n) == 0;
}

static int parse_rule(struct ids_ruleset *rs, const char *text, size_t len, const char *file,
		      unsigned line, struct ids_rule **out, char *why, size_t whylen);

/* The text is copied with a terminating NUL: the parser's string scans
 * never run past the rule. */
int ids_parse_rule(struct ids_ruleset *rs, const char *text, size_t len, const char *file,
		   unsigned line, struct ids_rule **out, char *why, size_t whylen)
{
	if (len > IDS_RULE_TEXT_MAX) {
		*out = NULL;
		snprintf(why, whylen, "rule: longer than %u bytes", IDS_RULE_TEXT_MAX);
		return -1;
	}
	char *copy = malloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = 0;
	int rc = parse_rule(rs, copy, len, file, line, out, why, whylen);
	free(copy);
	return rc;
}

static int parse_rule(struct ids_ruleset *rs, const char *text, size_t len, const char *file,
		      unsigned line, struct ids_rule **out, char *why, size_t whylen)
{
	const char *p = text, *end = text + len;
	*out = NULL;
	why[0] = 0;
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p == end || *p == '#')
		return 1;
	if (len > IDS_RULE_TEXT_MAX) {
		snprintf(why, whylen, "rule: longer than %u bytes", IDS_RULE_TEXT_MAX);
		return -1;
	}
	struct ids_rule *r = calloc(1, sizeof(*r));
	struct pctx c = { rs, r, why, whylen, -1, -1, rs->dialect == 's' };
	r->priority = -1;
	r->gid = 1;
	r->fast = -1;
	r->file = (char *)file;
	r->line = line;
	r->src.v = calloc(IDS_ADDRS_MAX, sizeof(struct ids_addr));
	r->dst.v = calloc(IDS_ADDRS_MAX, sizeof(struct ids_addr));
	r->sport.v = calloc(IDS_PORTS_MAX, sizeof(struct ids_port));
	r->dport.v = calloc(IDS_PORTS_MAX, sizeof(struct ids_port));

	/* the sid first, so that a refusal can name it */
	for (const char *s = p; (s = strstr(s, "sid")) && s < end; s++)
		if ((s == text || s[-1] == ';' || s[-1] == ' ' || s[-1] == '(') && s[3] == ':') {
			r->sid = (uint32_t)strtoul(s + 4 + strspn(s + 4, " "), NULL, 10);
			break;
		}
	/* Snort 3's syntax: "content:"x",nocase" or service:; Suricata's otherwise */
	if (!rs->dialect) {
		const char *o = memchr(p, '(', (size_t)(end - p));
		c.snort = o && (strstr(o, "service:") || strstr(o, "\",nocase") ||
				strstr(o, "\",fast_pattern") || strstr(o, "\",depth") ||
				strstr(o, "\",offset") || strstr(o, "\",within") ||
				strstr(o, "\",distance"));
	}

	size_t n;
	const char *t = next_tok(&p, end, &n);
	if (tok_is(t, n, "alert")) r->action = IDS_ALERT;
	else if (tok_is(t, n, "drop") || tok_is(t, n, "block")) r->action = IDS_DROP;
	else if (tok_is(t, n, "reject") || tok_is(t, n, "rejectsrc") || tok_is(t, n, "rejectdst") ||
		 tok_is(t, n, "rejectboth")) r->action = IDS_REJECT;
	else if (tok_is(t, n, "pass")) r->action = IDS_PASS;
	else {
		fail(&c, "action: '%.*s' not supported", (int)(n > 20 ? 20 : n), t);
		goto bad;
	}
	t = next_tok(&p, end, &n);
	static const struct { const char *n; uint8_t p; } protos[] = {
		{ "ip", IDS_P_IP }, { "tcp", IDS_P_TCP }, { "udp", IDS_P_UDP },
		{ "icmp", IDS_P_ICMP }, { "http", IDS_P_HTTP }, { "http1", IDS_P_HTTP },
		{ "dns", IDS_P_DNS }, { "tls", IDS_P_TLS }, { "ssl", IDS_P_TLS },
		{ "tcp-pkt", IDS_P_TCP }, { "tcp-stream", IDS_P_TCP }, { "pkthdr", IDS_P_IP },
		{ "file", IDS_P_HTTP },
	};
	int proto = -1;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (tok_is(t, n, protos[i].n))
			proto = protos[i].p;
	if (proto < 0) {
		fail(&c, "protocol: '%.*s' not supported", (int)(n > 20 ? 20 : n), t);
		goto bad;
	}
	r->proto = (uint8_t)proto;
	const char *save = p;
	t = next_tok(&p, end, &n);
	if (n == 0 && p < end && *p == '(') {
		/* Snort 3 service rule: no header */
		r->src.any = r->dst.any = r->sport.any = r->dport.any = true;
		r->bidir = 1;
	} else {
		p = save;
		const char *hs[5];
		size_t hn[5];
		for (int i = 0; i < 5; i++) {
			hs[i] = next_tok(&p, end, &hn[i]);
			if (!hn[i]) {
				fail(&c, "header: too short");
				goto bad;
			}
		}
		if (addr_list(&c, hs[0], hn[0], false, 0, &r->src) ||
		    port_list(&c, hs[1], hn[1], false, 0, &r->sport) ||
		    addr_list(&c, hs[3], hn[3], false, 0, &r->dst) ||
		    port_list(&c, hs[4], hn[4], false, 0, &r->dport))
			goto bad;
		if (tok_is(hs[2], hn[2], "<>"))
			r->bidir = 1;
		else if (!tok_is(hs[2], hn[2], "->")) {
			fail(&c, "header: direction '%.*s' not supported", (int)(hn[2] > 4 ? 4 : hn[2]), hs[2]);
			goto bad;
		}
	}
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p == end || *p != '(') {
		fail(&c, "rule: no '(' options");
		goto bad;
	}
	p++;
	const char *close = end;
	while (close > p && isspace((unsigned char)close[-1]))
		close--;
	if (close == p || close[-1] != ')') {
		fail(&c, "rule: no closing ')'");
		goto bad;
	}
	close--;
	/* options: KW[:VALUE]; with quotes and \-escapes */
	while (p < close) {
		while (p < close && isspace((unsigned char)*p))
			p++;
		if (p >= close)
			break;
		const char *o = p;
		bool inq = false;
		while (p < close && (inq || *p != ';')) {
			if (*p == '\\' && p + 1 < close)
				p++;
			else if (*p == '"')
				inq = !inq;
			p++;
		}
		const char *oe = p;
		if (p < close)
			p++;
		const char *colon = memchr(o, ':', (size_t)(oe - o));
		char kw[48];
		const char *k = o;
		size_t kn = colon ? (size_t)(colon - o) : (size_t)(oe - o);
		trim(&k, &kn);
		if (!kn)
			continue;
		if (kn >= sizeof(kw)) {
			fail(&c, "option: name too long");
			goto bad;
		}
		memcpy(kw, k, kn);
		kw[kn] = 0;
		const char *v = colon ? colon + 1 : NULL;
		size_t vn = colon ? (size_t)(oe - colon - 1) : 0;
		if (option(&c, kw, v, vn))
			goto bad;
	}
	if (!r->sid) {
		fail(&c, "sid: missing");
		goto bad;
	}
	*out = r;
	return 0;
bad:
	if (!why[0])
		snprintf(why, whylen, "rule: malformed");
	ids_rule_free(r);
	return -1;
}

void ids_load_text(struct ids_ruleset *rs, const char *text, size_t len, const char *file)
{
	const char *p = text, *end = text + len;
	unsigned line = 0;
	char *acc = NULL;
	size_t alen = 0;
	unsigned first = 0;
	char why[256];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		line++;
		size_t n = (size_t)(le - p);
		while (n && (p[n - 1] == '\r'))
			n--;
		bool cont = n && p[n - 1] == '\\';
		if (!acc)
			first = line;
		if (alen + n + 1 <= IDS_RULE_TEXT_MAX + 1) {
			acc = realloc(acc, alen + n + 1);
			memcpy(acc + alen, p, cont ? n - 1 : n);
			alen += cont ? n - 1 : n;
		}
		p = nl ? nl + 1 : end;
		if (cont && p < end)
			continue;
		struct ids_rule *r;
		int rc = acc ? ids_parse_rule(rs, acc, alen, file, first, &r, why, sizeof(why)) : 1;
		if (rc == 0) {
			rs->enabled++;
			rs->loaded++;
			if (rs->nrules == rs->cap) {
				rs->cap = rs->cap ? rs->cap * 2 : 256;
				rs->rules = realloc(rs->rules, rs->cap * sizeof(*rs->rules));
			}
			r->idx = rs->nrules;
			rs->rules[rs->nrules++] = r;
		} else if (rc < 0) {
			rs->enabled++;
			rs->failed++;
			if (rs->errf && rs->errors_shown < IDS_ERRORS_SHOWN) {
				/* the sid as written, for the report */
				unsigned long sid = 0;
				acc[alen] = 0;
				const char *s = strstr(acc, "sid:");
				if (s)
					sid = strtoul(s + 4 + strspn(s + 4, " "), NULL, 10);
				fprintf(rs->errf, "%s:%u: sid %lu: %s\n", file, first, sid, why);
				rs->errors_shown++;
			}
		}
		free(acc);
		acc = NULL;
		alen = 0;
	}
	free(acc);
}
