/* SPDX-License-Identifier: MIT */
/*
 * The nftables subset compiler (docs/firewall.md lists the subset).
 *
 * Invariants:
 *  1. nothing outside the subset is ignored: every keyword, value and
 *     statement either compiles to blob records or is refused with
 *     FILE:LINE and the keyword; one refusal makes the whole compile fail
 *     (no blob), but the parse goes on to the next rule so that `check`
 *     can list every refusal at once;
 *  2. every input size is bounded: the file (NFT_FILE_MAX), a token
 *     (TOKEN_MAX), and the records (the FW_*_MAX limits of src/fw/fw.h);
 *  3. the blob written passes fw_blob_check (compile calls it last), so a
 *     compiler bug cannot hand the engine a malformed blob;
 *  4. sets become sorted, merged intervals: a lookup is a binary search in
 *     the engine whatever the number of elements.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw/fw.h"
#include "nft.h"

/* A longer word is no address, number or name we know. */
#define TOKEN_MAX 256u
/* Elements in one set literal or anonymous set before sorting. */
#define ELEMS_LITERAL_MAX FW_ELEMS_MAX

enum tok {
	T_EOF, T_EOL, T_WORD, T_STR, T_LBRACE, T_RBRACE, T_SEMI, T_COMMA, T_AT,
	T_EQ, T_NE, T_ASSIGN, T_AMP, T_PIPE, T_LPAREN, T_RPAREN, T_LT, T_GT, T_LE, T_GE,
};

struct chain_src {
	char name[FW_NAME_MAX];
	bool base;
	uint8_t policy;
	int32_t prio;
	uint32_t first, n;	/* rules, in src order (cr[]) */
	uint32_t line;
};

struct rule_src {
	uint32_t first_match, nmatches;
	uint8_t verdict, counter, reject_tcp;
	char target[FW_NAME_MAX];
	uint32_t line;
	uint32_t chain;
};

struct set_src {
	struct fw_set s;
	unsigned type;	/* a field standing for the set's type */
	bool interval;
	bool named;
};

struct cc {
	const char *fname;
	const char *p, *end;
	uint32_t line;
	/* the current token */
	enum tok t;
	char w[TOKEN_MAX + 1];
	uint32_t tline;
	bool failed_rule;
	struct nft_result *out;
	bool table_seen;

	struct chain_src *chains;
	uint32_t nchains;
	struct rule_src *rules;
	uint32_t nrules;
	struct fw_match *matches;
	uint32_t nmatches;
	struct set_src *sets;
	uint32_t nsets;
	struct fw_elem *elems;
	uint32_t nelems;
};

/* ---- errors (invariant 1) ------------------------------------------------- */

static void refuse(struct cc *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	c->failed_rule = true;
	if (c->out->nerrors++ >= NFT_ERRORS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	size_t n = strlen(c->fname) + strlen(msg) + 32;
	char *e = malloc(n);
	if (!e)
		return;
	snprintf(e, n, "%s:%u: %s", c->fname, c->tline, msg);
	c->out->errors[c->out->nerrors - 1] = e;
}

/* ---- the lexer ------------------------------------------------------------ */

static bool word_char(char ch)
{
	return isalnum((unsigned char)ch) || strchr("_-.:/$*", ch);
}

static void next(struct cc *c)
{
	for (;;) {
		while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'))
			c->p++;
		if (c->p < c->end && *c->p == '\\' && c->p + 1 < c->end && c->p[1] == '\n') {
			c->p += 2;
			c->line++;
			continue;
		}
		if (c->p < c->end && *c->p == '#') {
			while (c->p < c->end && *c->p != '\n')
				c->p++;
		}
		break;
	}
	c->tline = c->line;
	c->w[0] = 0;
	if (c->p >= c->end) {
		c->t = T_EOF;
		return;
	}
	char ch = *c->p++;
	char n = c->p < c->end ? *c->p : 0;
	switch (ch) {
	case '\n': c->line++; c->t = T_EOL; return;
	case '{': c->t = T_LBRACE; return;
	case '}': c->t = T_RBRACE; return;
	case ';': c->t = T_SEMI; return;
	case ',': c->t = T_COMMA; return;
	case '&': c->t = T_AMP; return;
	case '|': c->t = T_PIPE; return;
	case '(': c->t = T_LPAREN; return;
	case ')': c->t = T_RPAREN; return;
	case '=': if (n == '=') c->p++; c->t = n == '=' ? T_EQ : T_ASSIGN; return;
	case '!': if (n == '=') { c->p++; c->t = T_NE; return; } break;
	case '<': if (n == '=') c->p++; c->t = n == '=' ? T_LE : T_LT; return;
	case '>': if (n == '=') c->p++; c->t = n == '=' ? T_GE : T_GT; return;
	case '@': c->t = T_AT; return;
	case '"': {
		size_t k = 0;
		while (c->p < c->end && *c->p != '"' && *c->p != '\n' && k < TOKEN_MAX)
			c->w[k++] = *c->p++;
		c->w[k] = 0;
		if (c->p >= c->end || *c->p != '"') {
			c->t = T_WORD;
			refuse(c, "unterminated or too long string '\"%.32s'", c->w);
			return;
		}
		c->p++;
		c->t = T_STR;
		return;
	}
	default:
		break;
	}
	if (!word_char(ch)) {
		c->t = T_WORD;
		snprintf(c->w, sizeof(c->w), "%c", ch);
		refuse(c, "unexpected character '%c'", ch);
		return;
	}
	size_t k = 0;
	c->w[k++] = ch;
	while (c->p < c->end && word_char(*c->p)) {
		if (k == TOKEN_MAX) {
			refuse(c, "token longer than %u bytes", TOKEN_MAX);
			while (c->p < c->end && word_char(*c->p))
				c->p++;
			break;
		}
		c->w[k++] = *c->p++;
	}
	c->w[k] = 0;
	c->t = T_WORD;
}

static bool is_word(const struct cc *c, const char *w)
{
	return c->t == T_WORD && strcmp(c->w, w) == 0;
}

static bool accept_word(struct cc *c, const char *w)
{
	if (!is_word(c, w))
		return false;
	next(c);
	return true;
}

static const char *tok_text(const struct cc *c)
{
	static const char *names[] = {
		[T_EOF] = "end of file", [T_EOL] = "end of line", [T_LBRACE] = "{", [T_RBRACE] = "}",
		[T_SEMI] = ";", [T_COMMA] = ",", [T_AT] = "@", [T_EQ] = "==", [T_NE] = "!=",
		[T_ASSIGN] = "=", [T_AMP] = "&", [T_PIPE] = "|", [T_LPAREN] = "(", [T_RPAREN] = ")",
		[T_LT] = "<", [T_GT] = ">", [T_LE] = "<=", [T_GE] = ">=",
	};
	return c->t == T_WORD || c->t == T_STR ? c->w : names[c->t];
}

static bool expect(struct cc *c, enum tok t, const char *what)
{
	if (c->t == t) {
		next(c);
		return true;
	}
	refuse(c, "expected %s, found '%s'", what, tok_text(c));
	return false;
}

static bool expect_word(struct cc *c, const char *w)
{
	if (accept_word(c, w))
		return true;
	refuse(c, "expected '%s', found '%s'", w, tok_text(c));
	return false;
}

static void skip_eols(struct cc *c)
{
	while (c->t == T_EOL || c->t == T_SEMI)
		next(c);
}

/* ---- growing arrays ------------------------------------------------------- */

static void *grow(void *a, uint32_t n, size_t rec)
{
	/* The capacity is 16, then the next power of two: n records fill it
	 * when n is 16 or a power of two above. */
	if (n != 0 && (n < 16 || (n & (n - 1))))
		return a;
	void *b = realloc(a, (n < 16 ? 16 : (size_t)n * 2) * rec);
	if (!b) {
		fprintf(stderr, "rampart-policy: out of memory\n");
		exit(1);
	}
	return b;
}

/* ---- values --------------------------------------------------------------- */

struct named {
	const char *name;
	unsigned v;
};

static const struct named protos[] = {
	{ "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 }, { "udp", 17 }, { "gre", 47 }, { "esp", 50 },
	{ "ah", 51 }, { "icmpv6", 58 }, { "ipv6-icmp", 58 }, { "sctp", 132 }, { NULL, 0 },
};
static const struct named tcp_flags[] = {
	{ "fin", 1 }, { "syn", 2 }, { "rst", 4 }, { "psh", 8 }, { "ack", 16 }, { "urg", 32 },
	{ "ecn", 64 }, { "cwr", 128 }, { NULL, 0 },
};
static const struct named icmp_types[] = {
	{ "echo-reply", 0 }, { "destination-unreachable", 3 }, { "source-quench", 4 },
	{ "redirect", 5 }, { "echo-request", 8 }, { "router-advertisement", 9 },
	{ "router-solicitation", 10 }, { "time-exceeded", 11 }, { "parameter-problem", 12 },
	{ "timestamp-request", 13 }, { "timestamp-reply", 14 }, { "info-request", 15 },
	{ "info-reply", 16 }, { "address-mask-request", 17 }, { "address-mask-reply", 18 },
	{ NULL, 0 },
};
static const struct named icmp6_types[] = {
	{ "destination-unreachable", 1 }, { "packet-too-big", 2 }, { "time-exceeded", 3 },
	{ "parameter-problem", 4 }, { "echo-request", 128 }, { "echo-reply", 129 },
	{ "mld-listener-query", 130 }, { "mld-listener-report", 131 },
	{ "mld-listener-done", 132 }, { "mld-listener-reduction", 132 },
	{ "nd-router-solicit", 133 }, { "nd-router-advert", 134 },
	{ "nd-neighbor-solicit", 135 }, { "nd-neighbor-advert", 136 }, { "nd-redirect", 137 },
	{ "router-renumbering", 138 }, { "ind-neighbor-solicit", 141 },
	{ "ind-neighbor-advert", 142 }, { "mld2-listener-report", 143 }, { NULL, 0 },
};
static const struct named ct_states[] = {
	{ "invalid", 1 }, { "established", 2 }, { "related", 4 }, { "new", 8 },
	{ "untracked", 64 }, { NULL, 0 },
};

static bool lookup_name(const struct named *t, const char *s, unsigned *v)
{
	for (; t->name; t++)
		if (strcmp(t->name, s) == 0) {
			*v = t->v;
			return true;
		}
	return false;
}

/* /etc/services, read once before rampart-policy's seccomp filter (which
 * allows no open) by nft_services_load(); without it, getservbyname. */
struct service {
	char name[32];
	uint16_t port;
	bool tcp;
};
static struct service *services;
static unsigned nservices;
static bool services_loaded;

void nft_services_load(void)
{
	struct servent *se;
	unsigned cap = 0;

	setservent(0);
	while ((se = getservent()) && nservices < NFT_SERVICES_MAX) {
		for (char **alias = se->s_aliases - 1; nservices < NFT_SERVICES_MAX; alias++) {
			const char *name = alias < se->s_aliases ? se->s_name : *alias;
			if (!name)
				break;
			if (strlen(name) >= sizeof(services[0].name) ||
			    (strcmp(se->s_proto, "tcp") && strcmp(se->s_proto, "udp")))
				continue;
			if (nservices == cap) {
				cap = cap ? 2 * cap : 256;
				struct service *n = realloc(services, cap * sizeof(*n));
				if (!n)
					goto out;
				services = n;
			}
			struct service *v = &services[nservices++];
			snprintf(v->name, sizeof(v->name), "%s", name);
			v->port = ntohs((uint16_t)se->s_port);
			v->tcp = strcmp(se->s_proto, "tcp") == 0;
		}
	}
out:
	endservent();
	services_loaded = true;
}

static bool service_port(const char *name, const char *proto, unsigned *v)
{
	if (!services_loaded) {
		struct servent *se = getservbyname(name, proto);
		if (!se)
			return false;
		*v = ntohs((uint16_t)se->s_port);
		return true;
	}
	for (unsigned i = 0; i < nservices; i++)
		if (services[i].tcp == (strcmp(proto, "tcp") == 0) &&
		    strcmp(services[i].name, name) == 0) {
			*v = services[i].port;
			return true;
		}
	return false;
}

static bool parse_uint(const char *s, unsigned long max, unsigned *v)
{
	char *e;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	unsigned long x = strtoul(s, &e, 0);
	if (errno || *e || x > max)
		return false;
	*v = (unsigned)x;
	return true;
}

/* One scalar of a field's type into key[len]. */
static bool parse_scalar(unsigned field, const char *s, uint8_t *key)
{
	unsigned v;

	memset(key, 0, FW_KEY_MAX);
	switch (field) {
	case FW_F_IIF:
	case FW_F_OIF:
		if (strcmp(s, "guest") == 0)
			key[0] = FW_IF_GUEST;
		else if (strcmp(s, "host") == 0)
			key[0] = FW_IF_HOST;
		else
			return false;
		return true;
	case FW_F_ETHER_SADDR:
	case FW_F_ETHER_DADDR: {
		unsigned m[6];
		char tail;
		if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
			   &tail) != 6 || strlen(s) != 17)
			return false;
		for (int i = 0; i < 6; i++)
			key[i] = (uint8_t)m[i];
		return true;
	}
	case FW_F_IP_SADDR:
	case FW_F_IP_DADDR:
		return inet_pton(AF_INET, s, key) == 1;
	case FW_F_IP6_SADDR:
	case FW_F_IP6_DADDR:
		return inet_pton(AF_INET6, s, key) == 1;
	case FW_F_L4PROTO:
	case FW_F_IP_PROTOCOL:
	case FW_F_IP6_NEXTHDR:
		if (!lookup_name(protos, s, &v) && !parse_uint(s, 255, &v))
			return false;
		key[0] = (uint8_t)v;
		return true;
	case FW_F_TCP_SPORT:
	case FW_F_TCP_DPORT:
	case FW_F_UDP_SPORT:
	case FW_F_UDP_DPORT:
		if (!parse_uint(s, 65535, &v)) {
			const char *pr = field <= FW_F_TCP_DPORT ? "tcp" : "udp";
			if (!service_port(s, pr, &v))
				return false;
		}
		key[0] = (uint8_t)(v >> 8);
		key[1] = (uint8_t)v;
		return true;
	case FW_F_TCP_FLAGS:
		if (!lookup_name(tcp_flags, s, &v) && !parse_uint(s, 255, &v))
			return false;
		key[0] = (uint8_t)v;
		return true;
	case FW_F_ICMP_TYPE:
		if (!lookup_name(icmp_types, s, &v) && !parse_uint(s, 255, &v))
			return false;
		key[0] = (uint8_t)v;
		return true;
	case FW_F_ICMP6_TYPE:
		if (!lookup_name(icmp6_types, s, &v) && !parse_uint(s, 255, &v))
			return false;
		key[0] = (uint8_t)v;
		return true;
	case FW_F_CT_STATE:
		if (!lookup_name(ct_states, s, &v))
			return false;
		key[0] = (uint8_t)v;
		return true;
	case FW_F_NFPROTO:
		if (strcmp(s, "ipv4") == 0)
			key[0] = FW_NFPROTO_IPV4;
		else if (strcmp(s, "ipv6") == 0)
			key[0] = FW_NFPROTO_IPV6;
		else
			return false;
		return true;
	}
	return false;
}

static bool is_prefix_field(unsigned f)
{
	return f == FW_F_IP_SADDR || f == FW_F_IP_DADDR || f == FW_F_IP6_SADDR ||
	       f == FW_F_IP6_DADDR || f == FW_F_ETHER_SADDR || f == FW_F_ETHER_DADDR;
}

/* A value: a scalar, a prefix ADDR/LEN or a range A-B, as an interval.
 * *plain says whether it was a single scalar. */
static bool parse_interval(struct cc *c, unsigned field, const char *s, struct fw_elem *e,
			   bool *plain)
{
	unsigned len = fw_field_len(field);
	char buf[TOKEN_MAX + 1];

	*plain = true;
	if (parse_scalar(field, s, e->lo)) {
		memcpy(e->hi, e->lo, FW_KEY_MAX);
		return true;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	char *slash = strchr(buf, '/');
	if (slash && is_prefix_field(field)) {
		unsigned bits;
		*slash = 0;
		if (!parse_scalar(field, buf, e->lo) || !parse_uint(slash + 1, len * 8, &bits)) {
			refuse(c, "bad prefix '%s'", s);
			return false;
		}
		memcpy(e->hi, e->lo, FW_KEY_MAX);
		for (unsigned b = bits; b < len * 8; b++) {
			e->lo[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
			e->hi[b / 8] |= (uint8_t)(0x80u >> (b % 8));
		}
		*plain = false;
		return true;
	}
	/* A range: the '-' that splits the word into two values of the type. */
	for (char *d = strchr(buf, '-'); d; d = strchr(d + 1, '-')) {
		*d = 0;
		bool ok = parse_scalar(field, buf, e->lo) && parse_scalar(field, d + 1, e->hi);
		*d = '-';
		if (!ok)
			continue;
		if (fw_key_cmp(e->lo, e->hi, len) > 0) {
			refuse(c, "empty range '%s'", s);
			return false;
		}
		*plain = false;
		return true;
	}
	refuse(c, "bad value '%s' for this match", s);
	return false;
}

/* ---- sets ----------------------------------------------------------------- */

static int elem_cmp_len;
static int elem_cmp(const void *a, const void *b)
{
	const struct fw_elem *x = a, *y = b;
	int r = fw_key_cmp(x->lo, y->lo, (unsigned)elem_cmp_len);
	return r ? r : fw_key_cmp(x->hi, y->hi, (unsigned)elem_cmp_len);
}

/* Sorts the set's elements and merges overlapping ones (invariant 4). */
static void set_finish(struct cc *c, struct set_src *s)
{
	unsigned len = s->s.len;
	uint32_t n = s->s.nelems, k = 0;

	if (n == 0)
		return;
	struct fw_elem *e = c->elems + s->s.first_elem;
	elem_cmp_len = (int)len;
	qsort(e, n, sizeof(*e), elem_cmp);
	for (uint32_t i = 0; i < n; i++) {
		if (k && fw_key_cmp(e[k - 1].hi, e[i].lo, len) >= 0) {
			if (fw_key_cmp(e[i].hi, e[k - 1].hi, len) > 0)
				memcpy(e[k - 1].hi, e[i].hi, FW_KEY_MAX);
			continue;
		}
		e[k++] = e[i];
	}
	s->s.nelems = k;
	c->nelems = s->s.first_elem + k;
}

static uint32_t set_new(struct cc *c, const char *name, unsigned type, bool named)
{
	if (c->nsets >= FW_SETS_MAX) {
		refuse(c, "more than %u sets", FW_SETS_MAX);
		return UINT32_MAX;
	}
	c->sets = grow(c->sets, c->nsets, sizeof(*c->sets));
	struct set_src *s = &c->sets[c->nsets];
	memset(s, 0, sizeof(*s));
	snprintf(s->s.name, sizeof(s->s.name), "%s", name);
	s->s.field = (uint8_t)type;
	s->s.len = (uint8_t)fw_field_len(type);
	s->s.first_elem = c->nelems;
	s->type = type;
	s->named = named;
	return c->nsets++;
}

static bool elem_add(struct cc *c, struct set_src *s, const char *text, bool interval)
{
	struct fw_elem e;
	bool plain;

	if (!parse_interval(c, s->type, text, &e, &plain))
		return false;
	if (!plain && !interval) {
		refuse(c, "'%s' is an interval: the set needs 'flags interval'", text);
		return false;
	}
	if (c->nelems >= FW_ELEMS_MAX) {
		refuse(c, "more than %u set elements", FW_ELEMS_MAX);
		return false;
	}
	c->elems = grow(c->elems, c->nelems, sizeof(*c->elems));
	c->elems[c->nelems++] = e;
	s->s.nelems++;
	return true;
}

/* '{' value (',' value)* '}', newlines allowed inside. The current token
 * is '{'. For bitmask fields, a|b|c is one value (its bits or'ed). */
static bool parse_elements(struct cc *c, uint32_t set, bool interval)
{
	next(c);
	for (;;) {
		while (c->t == T_EOL)
			next(c);
		if (c->t == T_RBRACE) {
			next(c);
			break;
		}
		if (c->t != T_WORD && c->t != T_STR) {
			refuse(c, "expected a set element, found '%s'", tok_text(c));
			return false;
		}
		if (!elem_add(c, &c->sets[set], c->w, interval))
			return false;
		next(c);
		while (c->t == T_EOL)
			next(c);
		if (c->t == T_COMMA)
			next(c);
		else if (c->t != T_RBRACE) {
			refuse(c, "expected ',' or '}' in a set, found '%s'", tok_text(c));
			return false;
		}
	}
	set_finish(c, &c->sets[set]);
	return true;
}

static const struct named set_types[] = {
	{ "ipv4_addr", FW_F_IP_SADDR }, { "ipv6_addr", FW_F_IP6_SADDR },
	{ "ether_addr", FW_F_ETHER_SADDR }, { "inet_service", FW_F_TCP_DPORT },
	{ "inet_proto", FW_F_L4PROTO }, { "icmp_type", FW_F_ICMP_TYPE },
	{ "icmpv6_type", FW_F_ICMP6_TYPE }, { "ifname", FW_F_IIF }, { NULL, 0 },
};

/* The type a set of this field holds (the field standing for it). */
static unsigned type_of(unsigned field)
{
	switch (field) {
	case FW_F_IP_DADDR: return FW_F_IP_SADDR;
	case FW_F_IP6_DADDR: return FW_F_IP6_SADDR;
	case FW_F_ETHER_DADDR: return FW_F_ETHER_SADDR;
	case FW_F_TCP_SPORT: case FW_F_UDP_SPORT: case FW_F_UDP_DPORT: return FW_F_TCP_DPORT;
	case FW_F_IP_PROTOCOL: case FW_F_IP6_NEXTHDR: return FW_F_L4PROTO;
	case FW_F_OIF: return FW_F_IIF;
	default: return field;
	}
}

/* set NAME { type T; flags interval; elements = { ... } } */
static void parse_set(struct cc *c)
{
	char name[FW_NAME_MAX];
	unsigned type = FW_F_COUNT;
	bool interval = false;

	if (c->t != T_WORD || strlen(c->w) >= FW_NAME_MAX) {
		refuse(c, "bad set name '%s'", tok_text(c));
		return;
	}
	snprintf(name, sizeof(name), "%s", c->w);
	for (uint32_t i = 0; i < c->nsets; i++)
		if (c->sets[i].named && strcmp(c->sets[i].s.name, name) == 0) {
			refuse(c, "set '%s' defined twice", name);
			return;
		}
	next(c);
	if (!expect(c, T_LBRACE, "'{'"))
		return;
	uint32_t set = UINT32_MAX;
	for (;;) {
		skip_eols(c);
		if (c->t == T_RBRACE) {
			next(c);
			break;
		}
		if (accept_word(c, "type")) {
			if (c->t != T_WORD || !lookup_name(set_types, c->w, &type)) {
				refuse(c, "unsupported set type '%s'", tok_text(c));
				return;
			}
			next(c);
			if (c->t == T_WORD && c->w[0] == '.') {
				refuse(c, "unsupported keyword '.' (concatenated set types)");
				return;
			}
		} else if (accept_word(c, "flags")) {
			if (!accept_word(c, "interval")) {
				refuse(c, "unsupported set flag '%s'", tok_text(c));
				return;
			}
			interval = true;
		} else if (accept_word(c, "elements")) {
			if (type == FW_F_COUNT) {
				refuse(c, "set '%s': 'type' must come before 'elements'", name);
				return;
			}
			if (!expect(c, T_ASSIGN, "'='"))
				return;
			if (c->t != T_LBRACE) {
				refuse(c, "expected '{', found '%s'", tok_text(c));
				return;
			}
			set = set_new(c, name, type, true);
			if (set == UINT32_MAX || !parse_elements(c, set, interval))
				return;
		} else {
			refuse(c, "unsupported keyword '%s' in a set", tok_text(c));
			return;
		}
	}
	if (type == FW_F_COUNT) {
		refuse(c, "set '%s' has no type", name);
		return;
	}
	if (set == UINT32_MAX)
		set = set_new(c, name, type, true);
	if (set != UINT32_MAX)
		c->sets[set].interval = interval;
}

/* ---- rules ---------------------------------------------------------------- */

static struct fw_match *match_new(struct cc *c, unsigned field)
{
	if (c->nmatches >= FW_MATCHES_MAX) {
		refuse(c, "more than %u matches", FW_MATCHES_MAX);
		return NULL;
	}
	c->matches = grow(c->matches, c->nmatches, sizeof(*c->matches));
	struct fw_match *m = &c->matches[c->nmatches++];
	memset(m, 0, sizeof(*m));
	m->field = (uint8_t)field;
	m->len = (uint8_t)fw_field_len(field);
	return m;
}

static bool is_bitmask(unsigned field)
{
	return field == FW_F_TCP_FLAGS || field == FW_F_CT_STATE;
}

/* NAME ('|' NAME)* or NAME (',' NAME)* of a bitmask field, or'ed. */
static bool parse_bits(struct cc *c, unsigned field, enum tok sep, uint8_t *out)
{
	uint8_t key[FW_KEY_MAX];

	*out = 0;
	for (;;) {
		if (c->t != T_WORD || !parse_scalar(field, c->w, key)) {
			refuse(c, "bad flag '%s'", tok_text(c));
			return false;
		}
		*out |= key[0];
		next(c);
		if (c->t != sep)
			return true;
		next(c);
	}
}

/* Bitmask fields: implicit (any of), ==, !=, A / B, & MASK ==|!= V. */
static bool parse_bitmask_match(struct cc *c, unsigned field, enum tok op)
{
	struct fw_match *m;
	uint8_t v, mask;

	if (op == T_EOF && c->t == T_AMP) {
		next(c);
		bool paren = c->t == T_LPAREN;
		if (paren)
			next(c);
		if (!parse_bits(c, field, T_PIPE, &mask) || (paren && !expect(c, T_RPAREN, "')'")))
			return false;
		if (c->t != T_EQ && c->t != T_NE) {
			refuse(c, "expected '==' or '!=' after a mask, found '%s'", tok_text(c));
			return false;
		}
		bool neg = c->t == T_NE;
		next(c);
		if (!parse_bits(c, field, T_PIPE, &v) || !(m = match_new(c, field)))
			return false;
		m->op = FW_OP_MASKEQ;
		m->a[0] = mask;
		m->b[0] = v;
		m->neg = neg;
		return true;
	}
	if (!parse_bits(c, field, op == T_EOF ? T_COMMA : T_PIPE, &v))
		return false;
	if (op == T_EOF && is_word(c, "/")) {
		next(c);
		if (!parse_bits(c, field, T_COMMA, &mask) || !(m = match_new(c, field)))
			return false;
		m->op = FW_OP_MASKEQ;
		m->a[0] = mask;
		m->b[0] = v & mask;
		return true;
	}
	if (!(m = match_new(c, field)))
		return false;
	if (op == T_EOF) {
		m->op = FW_OP_ANY;
		m->a[0] = v;
	} else {
		m->op = FW_OP_MASKEQ;
		m->a[0] = 0xff;
		m->b[0] = v;
		m->neg = op == T_NE;
	}
	return true;
}

static bool parse_match_value(struct cc *c, unsigned field)
{
	enum tok op = T_EOF;	/* implicit */

	if (c->t == T_EQ || c->t == T_NE || c->t == T_LT || c->t == T_GT || c->t == T_LE ||
	    c->t == T_GE) {
		op = c->t;
		next(c);
	}
	if (c->t == T_AT) {
		next(c);
		for (uint32_t i = 0; i < c->nsets; i++) {
			struct set_src *s = &c->sets[i];
			if (!s->named || c->t != T_WORD || strcmp(s->s.name, c->w))
				continue;
			if (s->type != type_of(field)) {
				refuse(c, "set '%s' holds another type than this match", c->w);
				return false;
			}
			if (op != T_EOF && op != T_EQ && op != T_NE) {
				refuse(c, "only ==, != apply to a set lookup");
				return false;
			}
			next(c);
			struct fw_match *m = match_new(c, field);
			if (!m)
				return false;
			m->op = FW_OP_SET;
			m->set = i;
			m->neg = op == T_NE;
			return true;
		}
		refuse(c, "unknown set '@%s' (define it before its use)", tok_text(c));
		return false;
	}
	if (c->t == T_LBRACE) {
		if (op != T_EOF && op != T_EQ && op != T_NE) {
			refuse(c, "only ==, != apply to a set");
			return false;
		}
		uint32_t set = set_new(c, "", type_of(field), false);
		if (set == UINT32_MAX || !parse_elements(c, set, true))
			return false;
		struct fw_match *m = match_new(c, field);
		if (!m)
			return false;
		m->op = FW_OP_SET;
		m->set = set;
		m->neg = op == T_NE;
		return true;
	}
	if (is_bitmask(field))
		return parse_bitmask_match(c, field, op);
	if (c->t != T_WORD && c->t != T_STR) {
		refuse(c, "expected a value, found '%s'", tok_text(c));
		return false;
	}
	struct fw_elem e;
	bool plain;
	if (!parse_interval(c, field, c->w, &e, &plain))
		return false;
	unsigned len = fw_field_len(field);
	if (op == T_LT || op == T_GT || op == T_LE || op == T_GE) {
		if (!plain) {
			refuse(c, "a comparison needs a single value, not '%s'", c->w);
			return false;
		}
		bool up = op == T_GT || op == T_GE;
		bool strict = op == T_LT || op == T_GT;
		uint8_t *edge = up ? e.lo : e.hi;
		/* lo..max for > and >=, 0..hi for < and <= */
		if (strict) {
			/* step edge by one toward the interval; empty if it wraps */
			int i = (int)len - 1;
			if (up) {
				for (; i >= 0 && edge[i] == 0xff; i--)
					edge[i] = 0;
				if (i < 0) {
					refuse(c, "comparison '%s' matches nothing", c->w);
					return false;
				}
				edge[i]++;
			} else {
				for (; i >= 0 && edge[i] == 0; i--)
					edge[i] = 0xff;
				if (i < 0) {
					refuse(c, "comparison '%s' matches nothing", c->w);
					return false;
				}
				edge[i]--;
			}
		}
		memset(up ? e.hi : e.lo, up ? 0xff : 0, len);
	}
	next(c);
	struct fw_match *m = match_new(c, field);
	if (!m)
		return false;
	m->op = FW_OP_RANGE;
	memcpy(m->a, e.lo, FW_KEY_MAX);
	memcpy(m->b, e.hi, FW_KEY_MAX);
	m->neg = op == T_NE;
	return true;
}

struct selector {
	const char *a, *b;
	unsigned field;
};

static const struct selector selectors[] = {
	{ "ether", "saddr", FW_F_ETHER_SADDR }, { "ether", "daddr", FW_F_ETHER_DADDR },
	{ "ip", "saddr", FW_F_IP_SADDR }, { "ip", "daddr", FW_F_IP_DADDR },
	{ "ip", "protocol", FW_F_IP_PROTOCOL },
	{ "ip6", "saddr", FW_F_IP6_SADDR }, { "ip6", "daddr", FW_F_IP6_DADDR },
	{ "meta", "l4proto", FW_F_L4PROTO }, { "meta", "nfproto", FW_F_NFPROTO },
	{ "meta", "iifname", FW_F_IIF }, { "meta", "oifname", FW_F_OIF },
	{ "tcp", "sport", FW_F_TCP_SPORT }, { "tcp", "dport", FW_F_TCP_DPORT },
	{ "tcp", "flags", FW_F_TCP_FLAGS },
	{ "udp", "sport", FW_F_UDP_SPORT }, { "udp", "dport", FW_F_UDP_DPORT },
	{ "icmp", "type", FW_F_ICMP_TYPE }, { "icmpv6", "type", FW_F_ICMP6_TYPE },
	{ "ct", "state", FW_F_CT_STATE },
	{ NULL, NULL, 0 },
};

static bool ends_rule(const struct cc *c)
{
	return c->t == T_EOL || c->t == T_SEMI || c->t == T_RBRACE || c->t == T_EOF;
}

static bool parse_verdict(struct cc *c, struct rule_src *r)
{
	if (accept_word(c, "accept"))
		r->verdict = FW_V_ACCEPT;
	else if (accept_word(c, "drop"))
		r->verdict = FW_V_DROP;
	else if (accept_word(c, "return"))
		r->verdict = FW_V_RETURN;
	else if (accept_word(c, "continue"))
		r->verdict = FW_V_CONTINUE;
	else if (accept_word(c, "reject")) {
		r->verdict = FW_V_REJECT;
		if (accept_word(c, "with")) {
			if (!expect_word(c, "tcp") || !expect_word(c, "reset"))
				return false;
			r->reject_tcp = 1;
		}
	} else if (is_word(c, "jump") || is_word(c, "goto")) {
		r->verdict = is_word(c, "jump") ? FW_V_JUMP : FW_V_GOTO;
		next(c);
		if (c->t != T_WORD || strlen(c->w) >= FW_NAME_MAX) {
			refuse(c, "bad chain name '%s'", tok_text(c));
			return false;
		}
		snprintf(r->target, sizeof(r->target), "%s", c->w);
		next(c);
	} else {
		return false;
	}
	if (!ends_rule(c)) {
		refuse(c, "unsupported keyword '%s' after a verdict", tok_text(c));
		return false;
	}
	return true;
}

/* One rule: statements up to the end of the line or ';'. */
static void parse_rule(struct cc *c, uint32_t chain)
{
	if (c->nrules >= FW_RULES_MAX) {
		refuse(c, "more than %u rules", FW_RULES_MAX);
		return;
	}
	struct rule_src r = { .first_match = c->nmatches, .line = c->tline, .chain = chain };
	while (!ends_rule(c)) {
		if (r.verdict != FW_V_CONTINUE || c->failed_rule)
			return;
		if (parse_verdict(c, &r))
			break;
		if (c->failed_rule)
			return;
		if (accept_word(c, "counter")) {
			r.counter = 1;
			/* nft's own listing: counter packets N bytes N */
			if (accept_word(c, "packets")) {
				next(c);
				if (!expect_word(c, "bytes"))
					return;
				next(c);
			}
			continue;
		}
		unsigned field = FW_F_COUNT;
		if (is_word(c, "iifname") || is_word(c, "oifname")) {
			field = is_word(c, "iifname") ? FW_F_IIF : FW_F_OIF;
			next(c);
		} else {
			char a[TOKEN_MAX + 1];
			snprintf(a, sizeof(a), "%s", c->w);
			bool known = false;
			for (const struct selector *s = selectors; s->a; s++)
				known |= c->t == T_WORD && strcmp(s->a, a) == 0;
			if (!known) {
				refuse(c, "unsupported keyword '%s'", tok_text(c));
				return;
			}
			next(c);
			for (const struct selector *s = selectors; s->a; s++)
				if (strcmp(s->a, a) == 0 && is_word(c, s->b))
					field = s->field;
			if (field == FW_F_COUNT) {
				refuse(c, "unsupported keyword '%s %s'", a, tok_text(c));
				return;
			}
			next(c);
		}
		if (!parse_match_value(c, field))
			return;
		if (c->nmatches - r.first_match > FW_RULE_MATCHES_MAX) {
			refuse(c, "more than %u matches in one rule", FW_RULE_MATCHES_MAX);
			return;
		}
	}
	r.nmatches = c->nmatches - r.first_match;
	c->rules = grow(c->rules, c->nrules, sizeof(*c->rules));
	c->rules[c->nrules++] = r;
	c->chains[chain].n++;
}

/* type filter hook forward priority N; policy accept|drop; */
static bool parse_base(struct cc *c, struct chain_src *ch)
{
	next(c);
	if (!accept_word(c, "filter")) {
		refuse(c, "unsupported chain type '%s' (only filter)", tok_text(c));
		return false;
	}
	if (!expect_word(c, "hook"))
		return false;
	if (!accept_word(c, "forward")) {
		refuse(c, "unsupported hook '%s' (only forward: the layer is a bridge)", tok_text(c));
		return false;
	}
	if (!expect_word(c, "priority"))
		return false;
	unsigned v;
	bool neg = c->t == T_WORD && c->w[0] == '-';
	if (is_word(c, "filter"))
		v = 0;
	else if (c->t != T_WORD || !parse_uint(c->w + neg, 1u << 30, &v)) {
		refuse(c, "unsupported priority '%s'", tok_text(c));
		return false;
	}
	next(c);
	ch->prio = neg ? -(int32_t)v : (int32_t)v;
	ch->base = true;
	ch->policy = FW_V_ACCEPT;
	while (c->t == T_SEMI)
		next(c);
	return true;
}

/* policy accept|drop (of a base chain: on the type's line or a later one) */
static bool parse_policy(struct cc *c, struct chain_src *ch)
{
	next(c);
	if (!ch->base) {
		refuse(c, "'policy' in a chain without 'type ... hook'");
		return false;
	}
	if (accept_word(c, "accept"))
		ch->policy = FW_V_ACCEPT;
	else if (accept_word(c, "drop"))
		ch->policy = FW_V_DROP;
	else {
		refuse(c, "unsupported policy '%s'", tok_text(c));
		return false;
	}
	return true;
}

static void skip_to_eol(struct cc *c)
{
	int depth = 0;

	while (c->t != T_EOF) {
		if (c->t == T_LBRACE)
			depth++;
		else if (c->t == T_RBRACE) {
			if (depth == 0)
				return;
			depth--;
		} else if ((c->t == T_EOL || c->t == T_SEMI) && depth == 0)
			return;
		next(c);
	}
}

static void parse_chain(struct cc *c)
{
	if (c->t != T_WORD || strlen(c->w) >= FW_NAME_MAX) {
		refuse(c, "bad chain name '%s'", tok_text(c));
		return;
	}
	for (uint32_t i = 0; i < c->nchains; i++)
		if (strcmp(c->chains[i].name, c->w) == 0) {
			refuse(c, "chain '%s' defined twice", c->w);
			return;
		}
	if (c->nchains >= FW_CHAINS_MAX) {
		refuse(c, "more than %u chains", FW_CHAINS_MAX);
		return;
	}
	c->chains = grow(c->chains, c->nchains, sizeof(*c->chains));
	uint32_t ci = c->nchains++;
	struct chain_src *ch = &c->chains[ci];
	memset(ch, 0, sizeof(*ch));
	snprintf(ch->name, sizeof(ch->name), "%s", c->w);
	ch->first = c->nrules;
	ch->line = c->tline;
	next(c);
	if (!expect(c, T_LBRACE, "'{'"))
		return;
	for (;;) {
		skip_eols(c);
		if (c->t == T_RBRACE) {
			next(c);
			return;
		}
		if (c->t == T_EOF) {
			refuse(c, "chain '%s' not closed", c->chains[ci].name);
			return;
		}
		c->failed_rule = false;
		if (is_word(c, "type")) {
			if (c->chains[ci].n || c->chains[ci].base) {
				refuse(c, "'type' must open the chain");
			} else if (parse_base(c, &c->chains[ci]) && is_word(c, "policy")) {
				parse_policy(c, &c->chains[ci]);
			}
		} else if (is_word(c, "policy")) {
			parse_policy(c, &c->chains[ci]);
		} else {
			parse_rule(c, ci);
		}
		if (c->failed_rule || !ends_rule(c)) {
			if (!c->failed_rule)
				refuse(c, "unexpected '%s'", tok_text(c));
			skip_to_eol(c);
		}
	}
}

static void parse_table(struct cc *c)
{
	if (c->table_seen) {
		refuse(c, "a second table (one 'table inet' per policy)");
		return;
	}
	c->table_seen = true;
	if (!accept_word(c, "inet")) {
		refuse(c, "unsupported table family '%s' (only inet)", tok_text(c));
		return;
	}
	if (c->t != T_WORD) {
		refuse(c, "bad table name '%s'", tok_text(c));
		return;
	}
	next(c);
	if (!expect(c, T_LBRACE, "'{'"))
		return;
	for (;;) {
		skip_eols(c);
		c->failed_rule = false;
		if (c->t == T_RBRACE) {
			next(c);
			return;
		}
		if (c->t == T_EOF) {
			refuse(c, "table not closed");
			return;
		}
		if (accept_word(c, "chain"))
			parse_chain(c);
		else if (accept_word(c, "set"))
			parse_set(c);
		else {
			refuse(c, "unsupported keyword '%s' in a table", tok_text(c));
			skip_to_eol(c);
			if (c->t == T_LBRACE) {
				/* skip a whole block we refused */
				next(c);
				skip_to_eol(c);
			}
			if (c->t == T_RBRACE)
				next(c);
		}
	}
}

/* ---- the blob ------------------------------------------------------------- */

static uint32_t align8(uint32_t x)
{
	return (x + 7u) & ~7u;
}

static int32_t chain_index(const struct cc *c, const uint32_t *order, const char *name)
{
	for (uint32_t i = 0; i < c->nchains; i++)
		if (strcmp(c->chains[order[i]].name, name) == 0)
			return (int32_t)i;
	return -1;
}

/* Base chains first, in priority order (stable), then regular chains. */
static void chain_order(const struct cc *c, uint32_t *order)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < c->nchains; i++)
		if (c->chains[i].base)
			order[k++] = i;
	for (uint32_t i = 1; i < k; i++)
		for (uint32_t j = i; j > 0 && c->chains[order[j - 1]].prio > c->chains[order[j]].prio;
		     j--) {
			uint32_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (uint32_t i = 0; i < c->nchains; i++)
		if (!c->chains[i].base)
			order[k++] = i;
}

static void emit(struct cc *c, struct nft_result *out)
{
	uint32_t order[FW_CHAINS_MAX];
	struct fw_blob_hdr h = { .magic = FW_BLOB_MAGIC, .version = FW_BLOB_VERSION };

	chain_order(c, order);
	h.nchains = c->nchains;
	h.nrules = c->nrules;
	h.nmatches = c->nmatches;
	h.nsets = c->nsets;
	h.nelems = c->nelems;
	h.chain_off = align8(sizeof(h));
	h.rule_off = align8(h.chain_off + h.nchains * (uint32_t)sizeof(struct fw_chain));
	h.match_off = align8(h.rule_off + h.nrules * (uint32_t)sizeof(struct fw_rule));
	h.set_off = align8(h.match_off + h.nmatches * (uint32_t)sizeof(struct fw_match));
	h.elem_off = align8(h.set_off + h.nsets * (uint32_t)sizeof(struct fw_set));
	h.size = align8(h.elem_off + h.nelems * (uint32_t)sizeof(struct fw_elem));
	uint8_t *b = aligned_alloc(8, h.size);
	if (!b) {
		refuse(c, "out of memory for a %u-byte blob", h.size);
		return;
	}
	memset(b, 0, h.size);
	struct fw_chain *ch = (void *)(b + h.chain_off);
	struct fw_rule *ru = (void *)(b + h.rule_off);
	uint32_t nr = 0;
	for (uint32_t i = 0; i < c->nchains; i++) {
		const struct chain_src *s = &c->chains[order[i]];
		snprintf(ch[i].name, sizeof(ch[i].name), "%s", s->name);
		ch[i].base = s->base;
		ch[i].policy = s->base ? s->policy : 0;
		ch[i].prio = s->prio;
		ch[i].first_rule = nr;
		for (uint32_t k = 0; k < c->nrules; k++) {
			const struct rule_src *r = &c->rules[k];
			if (r->chain != order[i])
				continue;
			struct fw_rule *x = &ru[nr++];
			x->first_match = r->first_match;
			x->nmatches = r->nmatches;
			x->verdict = r->verdict;
			x->counter = r->counter;
			x->reject_tcp = r->reject_tcp;
			x->line = r->line;
			if (r->verdict == FW_V_JUMP || r->verdict == FW_V_GOTO) {
				int32_t t = chain_index(c, order, r->target);
				c->tline = r->line;
				if (t < 0)
					refuse(c, "jump to unknown chain '%s'", r->target);
				else if (c->chains[order[t]].base)
					refuse(c, "jump to base chain '%s'", r->target);
				x->target = t < 0 ? 0 : (uint32_t)t;
			}
		}
		ch[i].nrules = nr - ch[i].first_rule;
	}
	if (h.nmatches)
		memcpy(b + h.match_off, c->matches, h.nmatches * sizeof(struct fw_match));
	for (uint32_t i = 0; i < c->nsets; i++)
		memcpy(b + h.set_off + i * sizeof(struct fw_set), &c->sets[i].s, sizeof(struct fw_set));
	if (h.nelems)
		memcpy(b + h.elem_off, c->elems, h.nelems * sizeof(struct fw_elem));
	memcpy(b, &h, sizeof(h));
	const char *why;
	if (!out->nerrors && fw_blob_check(b, h.size, &why)) {
		c->tline = 0;
		refuse(c, "the compiled policy fails its own check: %s", why);
	}
	if (out->nerrors) {
		free(b);
		return;
	}
	out->blob = b;
	out->len = h.size;
}

int nft_compile(const char *text, size_t len, const char *fname, struct nft_result *out)
{
	struct cc c = { .fname = fname, .p = text, .end = text + len, .line = 1, .out = out };

	memset(out, 0, sizeof(*out));
	if (len > NFT_FILE_MAX) {
		refuse(&c, "file larger than %u bytes", NFT_FILE_MAX);
		return -1;
	}
	if (memchr(text, 0, len)) {
		refuse(&c, "a NUL byte in the rule file");
		return -1;
	}
	next(&c);
	for (;;) {
		skip_eols(&c);
		c.failed_rule = false;
		if (c.t == T_EOF)
			break;
		if (accept_word(&c, "table")) {
			parse_table(&c);
		} else if (accept_word(&c, "flush")) {
			if (!expect_word(&c, "ruleset"))
				skip_to_eol(&c);
		} else {
			refuse(&c, "unsupported keyword '%s' (only 'table inet NAME { ... }')",
			       tok_text(&c));
			skip_to_eol(&c);
			if (c.t == T_LBRACE || c.t == T_RBRACE)
				next(&c);
		}
	}
	if (!c.table_seen && !out->nerrors) {
		c.tline = c.line;
		refuse(&c, "no 'table inet' in the file");
	}
	out->nchains = c.nchains;
	out->nrules = c.nrules;
	out->nsets = c.nsets;
	out->nelems = c.nelems;
	emit(&c, out);
	free(c.chains);
	free(c.rules);
	free(c.matches);
	free(c.sets);
	free(c.elems);
	return out->nerrors ? -1 : 0;
}

void nft_result_free(struct nft_result *r)
{
	free(r->blob);
	for (unsigned i = 0; i < r->nerrors && i < NFT_ERRORS_MAX; i++)
		free(r->errors[i]);
	memset(r, 0, sizeof(*r));
}
