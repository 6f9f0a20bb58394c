/* SPDX-License-Identifier: MIT */
/*
 * Detection over frames (offline: the frames of a pcap in order): flows,
 * TCP reassembly, HTTP/1, DNS and TLS ClientHello parsing, the Hyperscan
 * prefilter and the full check of candidate rules, alerts as EVE JSON.
 *
 * Invariants:
 *  1. the flow table holds at most IDS_FLOWS_MAX flows; a new flow past it
 *     replaces the least recently seen one (counted: flows_evicted);
 *  2. HTTP header blocks are parsed up to IDS_HTTP_HDR_MAX bytes, bodies kept
 *     up to IDS_HTTP_BODY_MAX, gzip output up to IDS_GUNZIP_MAX: past them
 *     the buffer is truncated, never grown;
 *  3. a rule raises at most one alert per packet (stream and packet rules)
 *     or per transaction and direction (HTTP, DNS, TLS rules);
 *  4. one Hyperscan scan per buffer: only the rules whose fast pattern was
 *     found (and those with no usable fast pattern) are checked in full.
 */
#include <ctype.h>
#include <hs/hs.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

#include "ids.h"

unsigned ids_buf_side(unsigned b)
{
	switch (b) {
	case IB_URI: case IB_RAW_URI: case IB_METHOD: case IB_HOST: case IB_RAW_HOST:
	case IB_UA: case IB_REQ_BODY: case IB_REQ_LINE: case IB_REFERER: case IB_ACCEPT:
	case IB_ACCEPT_LANG: case IB_ACCEPT_ENC: case IB_REQ_HEADER:
	case IB_DNS_QUERY: case IB_TLS_SNI:
		return IDS_SIDE_TS;
	case IB_STAT_CODE: case IB_STAT_MSG: case IB_RESP_LINE: case IB_RESP_BODY:
	case IB_SERVER: case IB_LOCATION: case IB_RESP_HEADER:
		return IDS_SIDE_TC;
	}
	return 0;
}

/* ---- HTTP transactions ------------------------------------------------------ */

struct hdr {
	uint32_t name, nlen, val, vlen;	/* offsets in the header block */
};

struct hmsg {
	uint8_t *hb;		/* the header block (start line included) */
	uint32_t hlen;
	struct hdr h[IDS_HTTP_HEADERS_MAX];
	uint32_t nh;
	uint8_t *body;
	uint32_t blen;
	bool done, headers_done;
	/* derived buffers */
	uint8_t *norm_hdr, *names, *uri, *host;
	uint32_t norm_len, names_len, uri_len, host_len;
	uint8_t *gunz;
	uint32_t gunz_len;
};

struct htx {
	struct hmsg req, resp;
	bool evaluated[2];
	bool is_head;
	struct htx *next;
};

enum hstate { H_HDR, H_BODY_CL, H_CHUNK_SIZE, H_CHUNK_DATA, H_CHUNK_CRLF, H_TRAILER, H_BODY_CLOSE, H_DEAD };

struct hparse {
	uint8_t state;
	uint8_t *acc;		/* header bytes or chunk-size line */
	uint32_t alen;
	uint64_t remain;
	struct htx *cur;	/* the transaction being parsed in this direction */
};

/* ---- flows ------------------------------------------------------------------ */

enum app { APP_NONE, APP_HTTP, APP_TLS, APP_DNS, APP_OTHER };

struct flow {
	bool used;
	uint8_t proto, alen;
	uint8_t a[2][16];	/* [0] client, [1] server */
	uint16_t port[2];
	uint64_t id, last_ns;
	uint32_t pkts[2];
	bool session, syn[2], synack, established, both_seen;
	uint32_t isn[2];
	struct ids_stream st[2];
	uint32_t inspected[2];	/* bytes of the window already inspected by packet rules */
	uint8_t app;
	bool app_tried[2];
	struct hparse hp[2];
	struct htx *txs, *txtail;
	uint8_t *fb;		/* flowbits */
	struct flow *hnext;
};

struct thr {
	uint32_t sid;
	uint8_t alen, a[16];
	uint64_t start_ns;
	uint32_t count;
	struct thr *next;
};

#define THR_BUCKETS 4096u
#define FLOW_BUCKETS 65536u

struct ids_engine {
	struct ids_ruleset *rs;
	struct ids_opts o;
	hs_database_t *db[IB_COUNT];
	hs_scratch_t *scratch;
	uint32_t *always[IB_COUNT + 1];	/* rules with no fast pattern, per first buffer */
	uint32_t nalways[IB_COUNT + 1];
	uint32_t *cand, ncand, *stamp, cur_stamp;
	struct flow *flows;
	uint32_t nflows;
	struct flow *bucket[FLOW_BUCKETS];
	uint64_t next_flow_id;
	struct ids_reasm_stats rst;
	struct thr *thr[THR_BUCKETS];
	uint64_t frames, bytes, alerts, flows_evicted, bad_frames, http_tx, dns_msgs, tls_hellos;
	uint64_t *by_rule;
};

/* ---- the prefilter ----------------------------------------------------------- */

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *ctx)
{
	struct ids_engine *e = ctx;
	(void)from, (void)to, (void)flags;
	if (e->stamp[id] != e->cur_stamp) {
		e->stamp[id] = e->cur_stamp;
		e->cand[e->ncand++] = id;
	}
	return 0;
}

static void add_cand(struct ids_engine *e, uint32_t id)
{
	if (e->stamp[id] != e->cur_stamp) {
		e->stamp[id] = e->cur_stamp;
		e->cand[e->ncand++] = id;
	}
}

static void scan(struct ids_engine *e, unsigned b, const uint8_t *p, uint32_t len)
{
	if (e->db[b] && len)
		hs_scan(e->db[b], (const char *)p, len, 0, e->scratch, on_match, e);
	for (uint32_t i = 0; i < e->nalways[b]; i++)
		add_cand(e, e->always[b][i]);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The fast pattern: the one marked, else the longest positive content
 * (Suricata's choice, ties to the first). */
static int pick_fast(struct ids_rule *r)
{
	int best = -1;
	for (unsigned i = 0; i < r->nsm; i++) {
		struct ids_sm *s = &r->sm[i];
		if (s->kind != SM_CONTENT || (s->flags & CT_NEGATED) || (r->app && s->buf == IB_PKT))
			continue;
		if (s->flags & CT_FAST)
			return (int)i;
		if (best < 0 || s->len > r->sm[best].len)
			best = (int)i;
	}
	return best;
}

static void finish_rule(struct ids_rule *r)
{
	r->bufs = 0;
	uint8_t side = 0;
	for (unsigned i = 0; i < r->nsm; i++) {
		r->bufs |= 1ull << r->sm[i].buf;
		side |= ids_buf_side(r->sm[i].buf);
	}
	/* pkt data together with app buffers: inspected per transaction, the
	 * pkt items against the message's header block, then its body */
	r->app = (r->bufs & ~1ull) != 0;
	if (r->flow & FL_TO_SERVER)
		side |= IDS_SIDE_TS;
	if (r->flow & FL_TO_CLIENT)
		side |= IDS_SIDE_TC;
	r->side = side ? side : (IDS_SIDE_TS | IDS_SIDE_TC);
	r->fast = pick_fast(r);
}

struct ids_engine *ids_engine_new(struct ids_ruleset *rs, const struct ids_opts *o, char *err,
				  size_t errlen)
{
	struct ids_engine *e = calloc(1, sizeof(*e));
	e->rs = rs;
	e->o = *o;
	uint32_t n = rs->nrules;
	e->cand = calloc(n + 1, sizeof(uint32_t));
	e->stamp = calloc(n + 1, sizeof(uint32_t));
	e->by_rule = calloc(n + 1, sizeof(uint64_t));
	e->flows = calloc(IDS_FLOWS_MAX, sizeof(struct flow));
	for (unsigned b = 0; b <= IB_COUNT; b++)
		e->always[b] = calloc(n + 1, sizeof(uint32_t));
	const char **pats = calloc(n + 1, sizeof(char *));
	unsigned *flags = calloc(n + 1, sizeof(unsigned)), *ids = calloc(n + 1, sizeof(unsigned));
	size_t *lens = calloc(n + 1, sizeof(size_t));
	for (uint32_t i = 0; i < n; i++)
		finish_rule(rs->rules[i]);
	for (uint32_t i = 0; i < n; i++) {
		struct ids_rule *r = rs->rules[i];
		uint64_t bufs = r->app ? r->bufs & ~1ull : r->bufs;
		if (!r->nsm)
			e->always[IB_COUNT][e->nalways[IB_COUNT]++] = i;
		else if (r->fast < 0 || (r->dotprefix >> r->sm[r->fast].buf & 1))
			e->always[__builtin_ctzll(bufs)][e->nalways[__builtin_ctzll(bufs)]++] = i;
	}
	for (unsigned b = 0; b < IB_COUNT; b++) {
		unsigned np = 0;
		for (uint32_t i = 0; i < n; i++) {
			struct ids_rule *r = rs->rules[i];
			if (r->fast >= 0 && r->sm[r->fast].buf == b && !(r->dotprefix >> b & 1)) {
				pats[np] = (const char *)r->sm[r->fast].pat;
				lens[np] = r->sm[r->fast].len;
				flags[np] = HS_FLAG_SINGLEMATCH |
					    ((r->sm[r->fast].flags & CT_NOCASE) ? HS_FLAG_CASELESS : 0);
				ids[np++] = i;
			}
		}
		if (!np)
			continue;
		hs_compile_error_t *ce = NULL;
		if (hs_compile_lit_multi(pats, flags, ids, lens, np, HS_MODE_BLOCK, NULL, &e->db[b],
					 &ce) != HS_SUCCESS) {
			snprintf(err, errlen, "hyperscan: %s", ce ? ce->message : "compile failed");
			hs_free_compile_error(ce);
			return NULL;
		}
		if (hs_alloc_scratch(e->db[b], &e->scratch) != HS_SUCCESS) {
			snprintf(err, errlen, "hyperscan: cannot allocate scratch");
			return NULL;
		}
	}
	free(pats);
	free(flags);
	free(ids);
	free(lens);
	return e;
}

/* ---- packet decoding ----------------------------------------------------------- */

struct pkt {
	uint8_t alen, proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t tcp_flags, itype, icode;
	uint32_t seq, ack;
	const uint8_t *pl;
	uint32_t plen;
	uint64_t ts;
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool decode(const uint8_t *f, size_t len, struct pkt *k)
{
	memset(k, 0, sizeof(*k));
	if (len < 14)
		return false;
	size_t off = 14;
	uint16_t et = be16(f + 12);
	for (int v = 0; v < 2 && (et == 0x8100 || et == 0x88a8); v++) {
		if (len < off + 4)
			return false;
		et = be16(f + off + 2);
		off += 4;
	}
	const uint8_t *ip = f + off;
	size_t iplen = len - off, l4off;
	if (et == 0x0800) {
		if (iplen < 20 || ip[0] >> 4 != 4)
			return false;
		size_t ihl = (size_t)(ip[0] & 15) * 4, tot = be16(ip + 2);
		if (ihl < 20 || tot < ihl || iplen < ihl)
			return false;
		if (tot < iplen)
			iplen = tot;
		if (be16(ip + 6) & 0x1fff)
			return false;	/* a later fragment: not reassembled */
		k->alen = 4;
		memcpy(k->src, ip + 12, 4);
		memcpy(k->dst, ip + 16, 4);
		k->proto = ip[9];
		l4off = ihl;
	} else if (et == 0x86dd) {
		if (iplen < 40 || ip[0] >> 4 != 6)
			return false;
		size_t pl = be16(ip + 4);
		if (40 + pl < iplen)
			iplen = 40 + pl;
		k->alen = 16;
		memcpy(k->src, ip + 8, 16);
		memcpy(k->dst, ip + 24, 16);
		uint8_t nh = ip[6];
		l4off = 40;
		for (int i = 0; i < 8 && (nh == 0 || nh == 43 || nh == 60 || nh == 44); i++) {
			if (iplen < l4off + 8)
				return false;
			if (nh == 44 && (be16(ip + l4off + 2) & 0xfff8))
				return false;
			size_t hl = nh == 44 ? 8 : ((size_t)ip[l4off + 1] + 1) * 8;
			nh = ip[l4off];
			l4off += hl;
		}
		k->proto = nh;
	} else
		return false;
	if (iplen < l4off)
		return false;
	const uint8_t *l4 = ip + l4off;
	size_t l4len = iplen - l4off;
	if (k->proto == 6) {
		if (l4len < 20)
			return false;
		size_t doff = (size_t)(l4[12] >> 4) * 4;
		if (doff < 20 || doff > l4len)
			return false;
		k->sport = be16(l4);
		k->dport = be16(l4 + 2);
		k->seq = be32(l4 + 4);
		k->ack = be32(l4 + 8);
		k->tcp_flags = l4[13];
		k->pl = l4 + doff;
		k->plen = (uint32_t)(l4len - doff);
	} else if (k->proto == 17) {
		if (l4len < 8)
			return false;
		k->sport = be16(l4);
		k->dport = be16(l4 + 2);
		k->pl = l4 + 8;
		k->plen = (uint32_t)(l4len - 8);
	} else if (k->proto == 1 || k->proto == 58) {
		if (l4len < 4)
			return false;
		k->itype = l4[0];
		k->icode = l4[1];
		k->pl = l4 + 8 <= ip + iplen ? l4 + 8 : l4 + l4len;
		k->plen = l4len >= 8 ? (uint32_t)(l4len - 8) : 0;
	} else {
		k->pl = l4;
		k->plen = (uint32_t)l4len;
	}
	return true;
}

/* ---- flow table ------------------------------------------------------------------ */

static uint32_t fhash(const struct pkt *k)
{
	uint32_t h = 2166136261u ^ k->proto;
	uint32_t x = 0, y = 0;
	for (unsigned i = 0; i < k->alen; i++) {
		x = x * 31 + k->src[i];
		y = y * 31 + k->dst[i];
	}
	h ^= (x + k->sport) ^ (y + k->dport);	/* symmetric */
	h *= 16777619u;
	return h % FLOW_BUCKETS;
}

static void flow_free(struct ids_engine *e, struct flow *f);

static struct flow *flow_get(struct ids_engine *e, const struct pkt *k, int *dir)
{
	uint32_t h = fhash(k);
	for (struct flow *f = e->bucket[h]; f; f = f->hnext) {
		if (f->proto != k->proto || f->alen != k->alen)
			continue;
		if (!memcmp(f->a[0], k->src, k->alen) && !memcmp(f->a[1], k->dst, k->alen) &&
		    f->port[0] == k->sport && f->port[1] == k->dport) {
			*dir = 0;
			return f;
		}
		if (!memcmp(f->a[1], k->src, k->alen) && !memcmp(f->a[0], k->dst, k->alen) &&
		    f->port[1] == k->sport && f->port[0] == k->dport) {
			*dir = 1;
			return f;
		}
	}
	struct flow *f = NULL;
	if (e->nflows < IDS_FLOWS_MAX)
		f = &e->flows[e->nflows++];
	else {
		/* replace the least recently seen flow (a bounded scan) */
		uint32_t best = 0;
		for (uint32_t i = 1; i < 256; i++) {
			uint32_t j = (uint32_t)(e->next_flow_id * 7919u + i) % IDS_FLOWS_MAX;
			if (e->flows[j].last_ns < e->flows[best].last_ns)
				best = j;
		}
		f = &e->flows[best];
		flow_free(e, f);
		e->flows_evicted++;
	}
	memset(f, 0, sizeof(*f));
	f->used = true;
	f->proto = k->proto;
	f->alen = k->alen;
	bool rev = k->proto == 6 && (k->tcp_flags & 0x12) == 0x12;	/* a SYN-ACK first */
	memcpy(f->a[rev], k->src, k->alen);
	memcpy(f->a[!rev], k->dst, k->alen);
	f->port[rev] = k->sport;
	f->port[!rev] = k->dport;
	f->id = ++e->next_flow_id;
	f->hnext = e->bucket[h];
	e->bucket[h] = f;
	*dir = rev;
	return f;
}

static void hmsg_free(struct hmsg *m)
{
	free(m->hb);
	free(m->body);
	free(m->norm_hdr);
	free(m->names);
	free(m->uri);
	free(m->host);
	free(m->gunz);
}

static void flow_free(struct ids_engine *e, struct flow *f)
{
	if (!f->used)
		return;
	uint32_t h = 0;
	struct pkt k = { .alen = f->alen, .proto = f->proto, .sport = f->port[0], .dport = f->port[1] };
	memcpy(k.src, f->a[0], f->alen);
	memcpy(k.dst, f->a[1], f->alen);
	h = fhash(&k);
	for (struct flow **pp = &e->bucket[h]; *pp; pp = &(*pp)->hnext)
		if (*pp == f) {
			*pp = f->hnext;
			break;
		}
	for (int d = 0; d < 2; d++) {
		ids_stream_free(&f->st[d], &e->rst);
		free(f->hp[d].acc);
	}
	while (f->txs) {
		struct htx *t = f->txs;
		f->txs = t->next;
		hmsg_free(&t->req);
		hmsg_free(&t->resp);
		free(t);
	}
	free(f->fb);
	f->used = false;
}

/* ---- EVE ------------------------------------------------------------------------ */

static void json_str(FILE *o, const char *s)
{
	fputc('"', o);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(o, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(o, "\\u%04x", ch);
		else
			fputc(ch, o);
	}
	fputc('"', o);
}

static void addr_str(char *out, size_t n, const uint8_t *a, unsigned alen)
{
	if (alen == 4)
		snprintf(out, n, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	else {
		size_t o = 0;
		for (int i = 0; i < 16; i += 2)
			o += (size_t)snprintf(out + o, n - o, "%s%x", i ? ":" : "", be16(a + i));
	}
}

static const char *app_name(uint8_t app)
{
	switch (app) {
	case APP_HTTP: return "http";
	case APP_TLS: return "tls";
	case APP_DNS: return "dns";
	}
	return NULL;
}

static bool threshold_ok(struct ids_engine *e, const struct ids_rule *r, const uint8_t *src,
			 const uint8_t *dst, unsigned alen, uint64_t ts)
{
	if (r->thr_type == THR_NONE)
		return true;
	const uint8_t *a = r->thr_by_dst ? dst : src;
	uint32_t h = r->sid;
	for (unsigned i = 0; i < alen; i++)
		h = h * 31 + a[i];
	h %= THR_BUCKETS;
	struct thr *t;
	for (t = e->thr[h]; t; t = t->next)
		if (t->sid == r->sid && t->alen == alen && !memcmp(t->a, a, alen))
			break;
	uint64_t win = (uint64_t)r->thr_seconds * 1000000000ull;
	if (!t) {
		t = calloc(1, sizeof(*t));
		t->sid = r->sid;
		t->alen = (uint8_t)alen;
		memcpy(t->a, a, alen);
		t->start_ns = ts;
		t->next = e->thr[h];
		e->thr[h] = t;
	}
	if (ts - t->start_ns >= win && win) {
		t->start_ns = ts;
		t->count = 0;
	}
	t->count++;
	switch (r->thr_type) {
	case THR_LIMIT: return t->count <= r->thr_count;
	case THR_THRESHOLD:
		if (t->count >= r->thr_count) {
			t->count = 0;
			return true;
		}
		return false;
	case THR_BOTH: return t->count == r->thr_count;
	case THR_DETECTION: return t->count > r->thr_count;
	}
	return true;
}

static void alert(struct ids_engine *e, const struct ids_rule *r, const struct flow *f,
		  const struct pkt *k, int dir)
{
	char ts[64], sa[48], da[48];
	const uint8_t *src = k ? k->src : f->a[dir], *dst = k ? k->dst : f->a[!dir];
	unsigned alen = k ? k->alen : f->alen;
	uint16_t sp = k ? k->sport : f->port[dir], dp = k ? k->dport : f->port[!dir];
	uint64_t t = k ? k->ts : f->last_ns;

	if (!threshold_ok(e, r, src, dst, alen, t) || r->noalert)
		return;
	e->alerts++;
	e->by_rule[r->idx]++;
	if (!e->o.eve)
		return;
	time_t sec = (time_t)(t / 1000000000ull);
	struct tm tm;
	gmtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	addr_str(sa, sizeof(sa), src, alen);
	addr_str(da, sizeof(da), dst, alen);
	int prio;
	const char *cat = ids_class_desc(r->classtype, &prio);
	if (r->priority >= 0 && r->priority)
		prio = r->priority;
	static const char *const acts[] = { "allowed", "blocked", "blocked", "allowed" };
	uint8_t proto = f ? f->proto : k->proto;
	const char *pn = proto == 6 ? "TCP" : proto == 17 ? "UDP" : proto == 1 ? "ICMP" :
			 proto == 58 ? "IPv6-ICMP" : "IP";
	FILE *o = e->o.eve;
	fprintf(o, "{\"timestamp\":\"%s.%06u+0000\",\"flow_id\":%llu,\"event_type\":\"alert\","
		   "\"src_ip\":\"%s\",\"src_port\":%u,\"dest_ip\":\"%s\",\"dest_port\":%u,"
		   "\"proto\":\"%s\"",
		ts, (unsigned)(t % 1000000000ull / 1000), (unsigned long long)(f ? f->id : 0), sa, sp,
		da, dp, pn);
	if (f && app_name(f->app))
		fprintf(o, ",\"app_proto\":\"%s\"", app_name(f->app));
	fprintf(o, ",\"alert\":{\"action\":\"%s\",\"gid\":%u,\"signature_id\":%u,\"rev\":%u,"
		   "\"signature\":",
		acts[r->action], r->gid, r->sid, r->rev);
	json_str(o, r->msg ? r->msg : "");
	fprintf(o, ",\"category\":");
	json_str(o, cat);
	fprintf(o, ",\"severity\":%d}}\n", prio);
}

/* ---- the common checks ------------------------------------------------------------ */

static bool hdr_ok(const struct ids_rule *r, const uint8_t *src, uint16_t sp, const uint8_t *dst,
		   uint16_t dp, unsigned alen)
{
	if (ids_addr_match(&r->src, src, alen) && ids_port_match(&r->sport, sp) &&
	    ids_addr_match(&r->dst, dst, alen) && ids_port_match(&r->dport, dp))
		return true;
	return r->bidir && ids_addr_match(&r->src, dst, alen) && ids_port_match(&r->sport, dp) &&
	       ids_addr_match(&r->dst, src, alen) && ids_port_match(&r->dport, sp);
}

static bool proto_ok(const struct ids_rule *r, uint8_t proto, uint8_t app)
{
	switch (r->proto) {
	case IDS_P_IP: return !r->ipproto || r->ipproto == proto;
	case IDS_P_TCP: return proto == 6;
	case IDS_P_UDP: return proto == 17;
	case IDS_P_ICMP: return proto == 1 || proto == 58;
	case IDS_P_HTTP: return app == APP_HTTP;
	case IDS_P_DNS: return app == APP_DNS;
	case IDS_P_TLS: return app == APP_TLS;
	}
	return false;
}

static bool flow_ok(const struct ids_rule *r, const struct flow *f, int dir, bool stream)
{
	if ((r->flow & FL_TO_SERVER) && dir != 0)
		return false;
	if ((r->flow & FL_TO_CLIENT) && dir != 1)
		return false;
	bool est = f && (f->proto == 6 ? f->established : f->both_seen);
	if ((r->flow & FL_ESTABLISHED) && !est)
		return false;
	if ((r->flow & FL_NOT_ESTABLISHED) && est)
		return false;
	if ((r->flow & FL_ONLY_STREAM) && !stream)
		return false;
	if ((r->flow & FL_NO_STREAM) && stream)
		return false;
	return true;
}

static bool fb_get(const struct flow *f, uint32_t id)
{
	return f && f->fb && (f->fb[id / 8] >> (id % 8) & 1);
}

static bool flowbits_ok(struct ids_engine *e, const struct ids_rule *r, const struct flow *f)
{
	(void)e;
	for (unsigned i = 0; i < r->nfb; i++) {
		const struct ids_flowbit *b = &r->fb[i];
		if (b->op != FB_ISSET && b->op != FB_ISNOTSET)
			continue;
		unsigned hits = 0;
		for (unsigned j = 0; j < b->n; j++)
			hits += fb_get(f, b->ids[j]);
		bool want = b->op == FB_ISSET;
		bool ok = want ? (b->any ? hits > 0 : hits == b->n) : (b->any ? hits < b->n : hits == 0);
		if (!ok)
			return false;
	}
	return true;
}

static void flowbits_apply(struct ids_engine *e, const struct ids_rule *r, struct flow *f)
{
	if (!f)
		return;
	for (unsigned i = 0; i < r->nfb; i++) {
		const struct ids_flowbit *b = &r->fb[i];
		if (b->op != FB_SET && b->op != FB_UNSET && b->op != FB_TOGGLE)
			continue;
		if (!f->fb)
			f->fb = calloc(IDS_FLOWBITS_MAX / 8, 1);
		for (unsigned j = 0; j < b->n; j++) {
			uint32_t id = b->ids[j];
			uint8_t m = (uint8_t)(1u << (id % 8));
			if (b->op == FB_SET) f->fb[id / 8] |= m;
			else if (b->op == FB_UNSET) f->fb[id / 8] &= (uint8_t)~m;
			else f->fb[id / 8] ^= m;
		}
	}
	(void)e;
}

static bool pkt_fields_ok(const struct ids_rule *r, const struct pkt *k)
{
	if (r->has_dsize && (!k || !ids_cmp_ok(r->dsize_cmp, k->plen, r->dsize_a, r->dsize_b)))
		return false;
	if (r->has_flags) {
		if (!k || k->proto != 6)
			return false;
		uint8_t fl = k->tcp_flags & (uint8_t)~r->flags_mask;
		switch (r->flags_mod) {
		case '+': if ((fl & r->flags_set) != r->flags_set) return false; break;
		case '*': if (!(fl & r->flags_set)) return false; break;
		case '!': if (fl & r->flags_set) return false; break;
		default: if (fl != r->flags_set) return false;
		}
	}
	if (r->has_itype && (!k || (k->proto != 1 && k->proto != 58) ||
			     !ids_cmp_ok(r->itype_cmp, k->itype, r->itype_a, r->itype_b)))
		return false;
	if (r->has_icode && (!k || (k->proto != 1 && k->proto != 58) ||
			     !ids_cmp_ok(r->icode_cmp, k->icode, r->icode_a, r->icode_b)))
		return false;
	return true;
}

/* ---- packet and stream rules -------------------------------------------------------- */

static void begin(struct ids_engine *e)
{
	e->ncand = 0;
	if (++e->cur_stamp == 0) {
		memset(e->stamp, 0, e->rs->nrules * sizeof(uint32_t));
		e->cur_stamp = 1;
	}
}

/* Packet rules over data: the packet's payload, or (stream) the reassembled
 * window whose bytes from min_end on are new. */
static void inspect_pkt(struct ids_engine *e, struct flow *f, int dir, const struct pkt *k,
			const uint8_t *d, uint32_t len, uint32_t min_end, bool stream)
{
	begin(e);
	scan(e, IB_PKT, d, len);
	for (uint32_t i = 0; i < e->nalways[IB_COUNT]; i++)
		add_cand(e, e->always[IB_COUNT][i]);
	qsort(e->cand, e->ncand, sizeof(uint32_t), cmp_u32);
	for (uint32_t c = 0; c < e->ncand; c++) {
		const struct ids_rule *r = e->rs->rules[e->cand[c]];
		if (r->app || !proto_ok(r, k->proto, f ? f->app : APP_NONE))
			continue;
		if (stream && (r->has_dsize || !r->nsm))
			continue;	/* packet-only rules run on the packet */
		if (!stream && r->nsm && k->proto == 6 && f && f->session)
			continue;	/* content on a tracked stream: the stream */
		if (!hdr_ok(r, k->src, k->sport, k->dst, k->dport, k->alen) || !flow_ok(r, f, dir, stream) ||
		    !pkt_fields_ok(r, k) || !flowbits_ok(e, r, f))
			continue;
		if (r->nsm && !ids_match_buf(r, IB_PKT, d, len, min_end))
			continue;
		flowbits_apply(e, r, f);
		alert(e, r, f, k, dir);
	}
}

/* ---- HTTP ---------------------------------------------------------------------------- */

static int ci_eq(const uint8_t *a, uint32_t n, const char *b)
{
	size_t bn = strlen(b);
	if (n != bn)
		return 0;
	/* letters alone fold (strncasecmp's): '-' | 0x20 is CR's | 0x20 */
	for (uint32_t i = 0; i < n; i++)
		if (tolower(a[i]) != tolower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* Whether v[0 .. n) holds w, letters folded (a transfer coding's name is
 * case-insensitive: RFC 9112, libhtp). */
static bool ci_has(const uint8_t *v, uint32_t n, const char *w)
{
	size_t m = strlen(w);

	for (uint32_t i = 0; i + m <= n; i++)
		if (!strncasecmp((const char *)v + i, w, m))
			return true;
	return false;
}

static const uint8_t *hget(const struct hmsg *m, const char *name, uint32_t *len)
{
	for (uint32_t i = 0; i < m->nh; i++)
		if (ci_eq(m->hb + m->h[i].name, m->h[i].nlen, name)) {
			*len = m->h[i].vlen;
			return m->hb + m->h[i].val;
		}
	return NULL;
}

static int hexv(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
}

/* libhtp's default normalization: %-decoding, then /./ and /../ removed. */
static void norm_uri(struct hmsg *m, const uint8_t *u, uint32_t n)
{
	/* absolute form: keep the path */
	if (n > 7 && (ci_eq(u, 7, "http://") || (n > 8 && ci_eq(u, 8, "https://")))) {
		const uint8_t *s = memchr(u + 8, '/', n - 8);
		if (s) {
			n -= (uint32_t)(s - u);
			u = s;
		}
	}
	uint8_t *o = malloc(n + 1);
	uint32_t k = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (u[i] == '%' && i + 2 < n && hexv(u[i + 1]) >= 0 && hexv(u[i + 2]) >= 0) {
			o[k++] = (uint8_t)(hexv(u[i + 1]) << 4 | hexv(u[i + 2]));
			i += 2;
		} else
			o[k++] = u[i];
	}
	/* path segments (up to the query) */
	uint8_t *q = memchr(o, '?', k);
	uint32_t plen = q ? (uint32_t)(q - o) : k;
	uint8_t *p = malloc(k + 1);
	uint32_t w = 0;
	for (uint32_t i = 0; i < plen;) {
		if (o[i] == '/' && i + 2 <= plen && o[i + 1] == '.' && (i + 2 == plen || o[i + 2] == '/')) {
			i += 2;
			if (i == plen)
				p[w++] = '/';
			continue;
		}
		if (o[i] == '/' && i + 3 <= plen && o[i + 1] == '.' && o[i + 2] == '.' &&
		    (i + 3 == plen || o[i + 3] == '/')) {
			/* the last segment and the '/' before it */
			while (w && p[w - 1] != '/')
				w--;
			if (w)
				w--;
			i += 3;
			if (i == plen)
				p[w++] = '/';
			continue;
		}
		p[w++] = o[i++];
	}
	memcpy(p + w, o + plen, k - plen);
	w += k - plen;
	free(o);
	m->uri = p;
	m->uri_len = w;
}

static void parse_headers(struct hmsg *m, bool req)
{
	uint8_t *b = m->hb;
	uint32_t n = m->hlen, i = 0;
	/* the start line */
	while (i < n && b[i] != '\n')
		i++;
	i++;
	while (i < n && m->nh < IDS_HTTP_HEADERS_MAX) {
		uint32_t s = i;
		while (i < n && b[i] != '\n')
			i++;
		uint32_t e = i;
		if (e > s && b[e - 1] == '\r')
			e--;
		i++;
		if (e == s)
			break;
		uint8_t *c = memchr(b + s, ':', e - s);
		if (!c)
			continue;
		struct hdr *h = &m->h[m->nh++];
		h->name = s;
		h->nlen = (uint32_t)(c - (b + s));
		while (h->nlen && (b[s + h->nlen - 1] == ' ' || b[s + h->nlen - 1] == '\t'))
			h->nlen--;
		uint32_t v = (uint32_t)(c - b) + 1;
		while (v < e && (b[v] == ' ' || b[v] == '\t'))
			v++;
		uint32_t ve = e;
		while (ve > v && (b[ve - 1] == ' ' || b[ve - 1] == '\t'))
			ve--;
		h->val = v;
		h->vlen = ve - v;
	}
	/* normalized headers: "Name: value\r\n" each, cookies left out (Suricata) */
	uint32_t cap = n + 4 * m->nh + 8;
	m->norm_hdr = malloc(cap);
	m->names = malloc(cap);
	uint32_t o = 0, on = 0;
	m->names[on++] = '\r', m->names[on++] = '\n';
	for (uint32_t j = 0; j < m->nh; j++) {
		struct hdr *h = &m->h[j];
		memcpy(m->names + on, b + h->name, h->nlen);
		on += h->nlen;
		m->names[on++] = '\r', m->names[on++] = '\n';
		if (ci_eq(b + h->name, h->nlen, req ? "cookie" : "set-cookie"))
			continue;
		memcpy(m->norm_hdr + o, b + h->name, h->nlen);
		o += h->nlen;
		m->norm_hdr[o++] = ':', m->norm_hdr[o++] = ' ';
		memcpy(m->norm_hdr + o, b + h->val, h->vlen);
		o += h->vlen;
		m->norm_hdr[o++] = '\r', m->norm_hdr[o++] = '\n';
	}
	m->names[on++] = '\r', m->names[on++] = '\n';
	m->norm_len = o;
	m->names_len = on;
	if (req) {
		/* "METHOD SP URI SP PROTO" */
		uint8_t *sp1 = memchr(b, ' ', n);
		uint32_t le = 0;
		while (le < n && b[le] != '\r' && b[le] != '\n')
			le++;
		if (sp1 && (uint32_t)(sp1 - b) < le) {
			uint32_t us = (uint32_t)(sp1 - b) + 1, ue = le;
			uint8_t *sp2 = memchr(b + us, ' ', le - us);
			if (sp2)
				ue = (uint32_t)(sp2 - b);
			norm_uri(m, b + us, ue - us);
		}
		uint32_t hl;
		const uint8_t *hv = hget(m, "host", &hl);
		if (hv) {
			uint32_t k = 0;
			m->host = malloc(hl + 1);
			for (uint32_t j = 0; j < hl && hv[j] != ':'; j++)
				m->host[k++] = (uint8_t)((hv[j] >= 'A' && hv[j] <= 'Z') ? hv[j] | 0x20 : hv[j]);
			m->host_len = k;
		}
	}
}

/* The start line's n-th space-separated field (0-based); the rest for the last. */
static const uint8_t *field(const struct hmsg *m, int nth, bool rest, uint32_t *len)
{
	const uint8_t *b = m->hb;
	uint32_t le = 0;
	if (!b)
		return NULL;
	while (le < m->hlen && b[le] != '\r' && b[le] != '\n')
		le++;
	uint32_t s = 0;
	for (int i = 0; i < nth; i++) {
		const uint8_t *sp = memchr(b + s, ' ', le - s);
		if (!sp)
			return NULL;
		s = (uint32_t)(sp - b) + 1;
	}
	uint32_t e = le;
	if (!rest) {
		const uint8_t *sp = memchr(b + s, ' ', le - s);
		if (sp)
			e = (uint32_t)(sp - b);
	}
	*len = e - s;
	return b + s;
}

static void gunzip(struct hmsg *m)
{
	uint32_t cl;
	const uint8_t *ce = hget(m, "content-encoding", &cl);
	if (!ce || !m->blen || !(memmem(ce, cl, "gzip", 4) || memmem(ce, cl, "deflate", 7)))
		return;
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return;
	m->gunz = malloc(IDS_GUNZIP_MAX);
	z.next_in = m->body;
	z.avail_in = m->blen;
	z.next_out = m->gunz;
	z.avail_out = IDS_GUNZIP_MAX;
	int rc = inflate(&z, Z_SYNC_FLUSH);
	m->gunz_len = (uint32_t)(IDS_GUNZIP_MAX - z.avail_out);
	inflateEnd(&z);
	if (rc < 0 && !m->gunz_len) {
		free(m->gunz);
		m->gunz = NULL;
	}
}

/* The bytes of buffer b for a transaction seen from side (TS/TC); for the
 * multi-buffers (one per header) the inst-th instance. */
static bool http_buf(const struct htx *t, unsigned b, uint8_t side, unsigned inst,
		     const uint8_t **p, uint32_t *len)
{
	const struct hmsg *q = &t->req, *s = &t->resp;
	const struct hmsg *m = side == IDS_SIDE_TS ? q : s;
	*p = NULL;
	*len = 0;
	if (inst && b != IB_REQ_HEADER && b != IB_RESP_HEADER)
		return false;
	switch (b) {
	case IB_URI: *p = q->uri; *len = q->uri_len; return q->uri != NULL;
	case IB_RAW_URI: *p = field(q, 1, false, len); return *p;
	case IB_METHOD: *p = field(q, 0, false, len); return *p;
	case IB_HOST: *p = q->host; *len = q->host_len; return q->host != NULL;
	case IB_RAW_HOST: *p = hget(q, "host", len); return *p;
	case IB_UA: *p = hget(q, "user-agent", len); return *p;
	case IB_COOKIE: *p = hget(m, side == IDS_SIDE_TS ? "cookie" : "set-cookie", len); return *p;
	case IB_REFERER: *p = hget(q, "referer", len); return *p;
	case IB_ACCEPT: *p = hget(q, "accept", len); return *p;
	case IB_ACCEPT_LANG: *p = hget(q, "accept-language", len); return *p;
	case IB_ACCEPT_ENC: *p = hget(q, "accept-encoding", len); return *p;
	case IB_CONNECTION: *p = hget(m, "connection", len); return *p;
	case IB_CONTENT_TYPE: *p = hget(m, "content-type", len); return *p;
	case IB_CONTENT_LEN: *p = hget(m, "content-length", len); return *p;
	case IB_SERVER: *p = hget(s, "server", len); return *p;
	case IB_LOCATION: *p = hget(s, "location", len); return *p;
	case IB_REQ_LINE: *p = field(q, 0, true, len); return *p;
	case IB_RESP_LINE: *p = field(s, 0, true, len); return *p;
	case IB_STAT_CODE: *p = field(s, 1, false, len); return *p;
	case IB_STAT_MSG: *p = field(s, 2, true, len); return *p;
	case IB_PROTOCOL: *p = field(m, side == IDS_SIDE_TS ? 2 : 0, false, len); return *p;
	case IB_HEADER: *p = m->norm_hdr; *len = m->norm_len; return m->norm_hdr != NULL;
	case IB_HEADER_NAMES: *p = m->names; *len = m->names_len; return m->names != NULL;
	case IB_RAW_HEADER:
	case IB_START: {
		if (!m->hb)
			return false;
		uint32_t le = 0;
		while (le < m->hlen && m->hb[le] != '\n')
			le++;
		if (b == IB_START) {
			*p = m->hb;
			*len = m->hlen;
		} else {
			*p = m->hb + le + 1 < m->hb + m->hlen ? m->hb + le + 1 : m->hb + m->hlen;
			*len = m->hlen - (uint32_t)(*p - m->hb);
			/* without the empty line that ends the block */
			if (*len >= 2 && (*p)[*len - 1] == '\n')
				*len -= (*len >= 2 && (*p)[*len - 2] == '\r') ? 2 : 1;
		}
		return true;
	}
	case IB_REQ_BODY: *p = q->body; *len = q->blen; return q->blen > 0;
	case IB_RESP_BODY:
	case IB_FILE_DATA: {
		const struct hmsg *bm = b == IB_RESP_BODY ? s : m;
		if (bm->gunz) {
			*p = bm->gunz;
			*len = bm->gunz_len;
		} else {
			*p = bm->body;
			*len = bm->blen;
		}
		return *len > 0;
	}
	case IB_REQ_HEADER:
	case IB_RESP_HEADER: {
		const struct hmsg *hm = b == IB_REQ_HEADER ? q : s;
		if (inst >= hm->nh)
			return false;
		/* "Name: value" as one buffer: in place in a copy */
		static uint8_t tmp[IDS_HTTP_HDR_MAX + 2];
		const struct hdr *h = &hm->h[inst];
		memcpy(tmp, hm->hb + h->name, h->nlen);
		tmp[h->nlen] = ':';
		tmp[h->nlen + 1] = ' ';
		memcpy(tmp + h->nlen + 2, hm->hb + h->val, h->vlen);
		*p = tmp;
		*len = h->nlen + 2 + h->vlen;
		return true;
	}
	}
	return false;
}

/* DNS and TLS transactions use the same walk with their own buffers. */
struct appbufs {
	const uint8_t *dns[IDS_DNS_QUESTIONS_MAX];
	uint32_t dnslen[IDS_DNS_QUESTIONS_MAX], ndns;
	const uint8_t *sni;
	uint32_t snilen;
};

static bool get_buf(const struct htx *t, const struct appbufs *ab, unsigned b, uint8_t side,
		    unsigned inst, const uint8_t **p, uint32_t *len)
{
	if (b == IB_DNS_QUERY) {
		if (!ab || inst >= ab->ndns)
			return false;
		*p = ab->dns[inst];
		*len = ab->dnslen[inst];
		return true;
	}
	if (b == IB_TLS_SNI) {
		if (!ab || inst || !ab->sni)
			return false;
		*p = ab->sni;
		*len = ab->snilen;
		return true;
	}
	if (!t)
		return false;
	return http_buf(t, b, side, inst, p, len);
}

static bool match_bufs(const struct ids_rule *r, const struct htx *t, const struct appbufs *ab,
		       uint8_t side)
{
	static uint8_t dp[IDS_HTTP_BODY_MAX + IDS_GUNZIP_MAX + 1];
	if (r->bufs & 1u) {
		const struct hmsg *m = !t ? NULL : side == IDS_SIDE_TS ? &t->req : &t->resp;
		if (!m || !((m->hb && ids_match_buf(r, IB_PKT, m->hb, m->hlen, 0)) ||
			    (m->body && ids_match_buf(r, IB_PKT, m->body, m->blen, 0))))
			return false;
	}
	for (unsigned b = 1; b < IB_COUNT; b++) {
		if (!(r->bufs >> b & 1))
			continue;
		bool any = false;
		for (unsigned inst = 0; inst < 256 && !any; inst++) {
			const uint8_t *p;
			uint32_t len;
			if (!get_buf(t, ab, b, side, inst, &p, &len))
				break;
			if (r->dotprefix >> b & 1 && len < sizeof(dp) - 1) {
				dp[0] = '.';
				memcpy(dp + 1, p, len);
				p = dp;
				len++;
			}
			any = ids_match_buf(r, b, p, len, 0);
		}
		if (!any)
			return false;
	}
	return true;
}

/* The app-layer rules for one transaction and side. */
static void inspect_tx(struct ids_engine *e, struct flow *f, struct htx *t, const struct appbufs *ab,
		       uint8_t side, const struct pkt *k)
{
	int dir = side == IDS_SIDE_TS ? 0 : 1;
	begin(e);
	for (unsigned b = 1; b < IB_COUNT; b++) {
		for (unsigned inst = 0; inst < 256; inst++) {
			const uint8_t *p;
			uint32_t len;
			if (!get_buf(t, ab, b, side, inst, &p, &len))
				break;
			scan(e, b, p, len);
			if (b != IB_REQ_HEADER && b != IB_RESP_HEADER && b != IB_DNS_QUERY)
				break;
		}
		/* rules with no fast pattern listed under this buffer */
		for (uint32_t i = 0; i < e->nalways[b]; i++)
			add_cand(e, e->always[b][i]);
	}
	qsort(e->cand, e->ncand, sizeof(uint32_t), cmp_u32);
	for (uint32_t c = 0; c < e->ncand; c++) {
		const struct ids_rule *r = e->rs->rules[e->cand[c]];
		if (!r->app || !(r->side & side))
			continue;
		/* evaluated once per transaction: at the response when it needs
		 * response buffers, otherwise at the request */
		if (side == IDS_SIDE_TS && (r->side & IDS_SIDE_TC) && !(r->flow & FL_TO_SERVER)) {
			bool tc_only = false;
			for (unsigned b = 1; b < IB_COUNT; b++)
				if ((r->bufs >> b & 1) && ids_buf_side(b) == IDS_SIDE_TC)
					tc_only = true;
			if (tc_only)
				continue;
		}
		if (t && t->evaluated[side == IDS_SIDE_TC] && false)
			continue;
		if (!proto_ok(r, f->proto, f->app) && !(r->proto == IDS_P_TCP && f->proto == 6) &&
		    !(r->proto == IDS_P_UDP && f->proto == 17) && r->proto != IDS_P_IP)
			continue;
		const uint8_t *src = f->a[dir], *dst = f->a[!dir];
		if (!hdr_ok(r, src, f->port[dir], dst, f->port[!dir], f->alen) ||
		    !flow_ok(r, f, dir, true) || !flowbits_ok(e, r, f))
			continue;
		bool ok = match_bufs(r, t, ab, side);
		/* "either side" rule at the request that did not match: the
		 * response tries it again; one that matched is not tried again */
		if (!ok)
			continue;
		if (t && (r->side & IDS_SIDE_TS) && (r->side & IDS_SIDE_TC) && side == IDS_SIDE_TC) {
			/* already alerted at the request? */
			bool req_ok = true;
			for (unsigned b = 1; b < IB_COUNT && req_ok; b++)
				if ((r->bufs >> b & 1) && ids_buf_side(b) == IDS_SIDE_TC)
					req_ok = false;
			if (req_ok && !(r->flow & FL_TO_CLIENT) && t->evaluated[0] &&
			    match_bufs(r, t, ab, IDS_SIDE_TS))
				continue;
		}
		flowbits_apply(e, r, f);
		alert(e, r, f, k && ((dir == 0) == !memcmp(k->src, f->a[0], f->alen)) ? k : NULL, dir);
	}
	if (t)
		t->evaluated[side == IDS_SIDE_TC] = true;
}

static struct htx *tx_new(struct flow *f)
{
	struct htx *t = calloc(1, sizeof(*t));
	if (f->txtail)
		f->txtail->next = t;
	else
		f->txs = t;
	f->txtail = t;
	return t;
}

/* The transaction a response belongs to: the oldest without one. */
static struct htx *tx_for_resp(struct flow *f)
{
	for (struct htx *t = f->txs; t; t = t->next)
		if (!t->resp.hb)
			return t;
	return tx_new(f);
}

static void body_add(struct hmsg *m, const uint8_t *d, uint32_t n)
{
	if (!m->body)
		m->body = malloc(IDS_HTTP_BODY_MAX);
	uint32_t room = IDS_HTTP_BODY_MAX - m->blen;
	if (n > room)
		n = room;
	memcpy(m->body + m->blen, d, n);
	m->blen += n;
}

static void msg_done(struct ids_engine *e, struct flow *f, int dir, const struct pkt *k)
{
	struct hparse *hp = &f->hp[dir];
	struct htx *t = hp->cur;
	if (!t)
		return;
	struct hmsg *m = dir ? &t->resp : &t->req;
	m->done = true;
	gunzip(m);
	inspect_tx(e, f, t, NULL, dir ? IDS_SIDE_TC : IDS_SIDE_TS, k);
	hp->cur = NULL;
	hp->state = H_HDR;
	if (dir == 1) {
		/* the transaction is over: drop it */
		if (f->txs == t) {
			f->txs = t->next;
			if (f->txtail == t)
				f->txtail = NULL;
			hmsg_free(&t->req);
			hmsg_free(&t->resp);
			free(t);
		}
	}
	e->http_tx += dir == 0;
}

static void http_data(struct ids_engine *e, struct flow *f, int dir, const uint8_t *d, uint32_t n,
		      const struct pkt *k)
{
	struct hparse *hp = &f->hp[dir];
	while (n && hp->state != H_DEAD) {
		switch (hp->state) {
		case H_HDR: {
			/* skip blank lines between messages */
			if (!hp->alen && (*d == '\r' || *d == '\n')) {
				d++, n--;
				continue;
			}
			if (!hp->acc)
				hp->acc = malloc(IDS_HTTP_HDR_MAX);
			uint32_t take = 0;
			bool end = false;
			while (take < n && hp->alen < IDS_HTTP_HDR_MAX) {
				hp->acc[hp->alen++] = d[take++];
				uint32_t a = hp->alen;
				/* the first empty line: "\n\n" or "\n\r\n", as
				 * nginx and Apache end a header block */
				if ((a >= 3 && !memcmp(hp->acc + a - 3, "\n\r\n", 3)) ||
				    (a >= 2 && !memcmp(hp->acc + a - 2, "\n\n", 2))) {
					end = true;
					break;
				}
			}
			d += take, n -= take;
			if (!end && hp->alen < IDS_HTTP_HDR_MAX)
				return;
			struct htx *t = dir == 0 ? tx_new(f) : tx_for_resp(f);
			struct hmsg *m = dir ? &t->resp : &t->req;
			m->hb = malloc(hp->alen);
			memcpy(m->hb, hp->acc, hp->alen);
			m->hlen = hp->alen;
			m->headers_done = true;
			hp->alen = 0;
			hp->cur = t;
			parse_headers(m, dir == 0);
			if (dir == 0)
				t->is_head = m->hlen >= 5 && !memcmp(m->hb, "HEAD ", 5);
			uint32_t vl;
			const uint8_t *te = hget(m, "transfer-encoding", &vl);
			const uint8_t *cl = hget(m, "content-length", &vl);
			uint32_t code = 0, sl;
			const uint8_t *sc = dir ? field(m, 1, false, &sl) : NULL;
			for (uint32_t i = 0; sc && i < sl && i < 3; i++)
				code = code * 10 + (uint32_t)(sc[i] - '0');
			if (dir && (t->is_head || code / 100 == 1 || code == 204 || code == 304)) {
				msg_done(e, f, dir, k);
			} else if (te && ci_has(te, vl, "chunked")) {
				hp->state = H_CHUNK_SIZE;
			} else if (cl) {
				char tmp[24];
				uint32_t cn = vl < 23 ? vl : 23;
				memcpy(tmp, cl, cn);
				tmp[cn] = 0;
				hp->remain = strtoull(tmp, NULL, 10);
				if (hp->remain)
					hp->state = H_BODY_CL;
				else
					msg_done(e, f, dir, k);
			} else if (dir) {
				hp->state = H_BODY_CLOSE;
			} else
				msg_done(e, f, dir, k);
			break;
		}
		case H_BODY_CL: {
			uint32_t take = n < hp->remain ? n : (uint32_t)hp->remain;
			body_add(dir ? &hp->cur->resp : &hp->cur->req, d, take);
			d += take, n -= take;
			hp->remain -= take;
			if (!hp->remain)
				msg_done(e, f, dir, k);
			break;
		}
		case H_BODY_CLOSE:
			body_add(&hp->cur->resp, d, n);
			return;
		case H_CHUNK_SIZE:
		case H_TRAILER: {
			if (!hp->acc)
				hp->acc = malloc(IDS_HTTP_HDR_MAX);
			uint8_t ch = *d++;
			n--;
			if (hp->alen < 64)
				hp->acc[hp->alen++] = ch;
			if (ch != '\n')
				break;
			if (hp->state == H_TRAILER) {
				bool empty = hp->alen <= 2;
				hp->alen = 0;
				if (empty)
					msg_done(e, f, dir, k);
				break;
			}
			hp->acc[hp->alen] = 0;
			uint64_t sz = strtoull((char *)hp->acc, NULL, 16);
			hp->alen = 0;
			if (sz == 0)
				hp->state = H_TRAILER;
			else {
				hp->remain = sz;
				hp->state = H_CHUNK_DATA;
			}
			break;
		}
		case H_CHUNK_DATA: {
			uint32_t take = n < hp->remain ? n : (uint32_t)hp->remain;
			body_add(dir ? &hp->cur->resp : &hp->cur->req, d, take);
			d += take, n -= take;
			hp->remain -= take;
			if (!hp->remain)
				hp->state = H_CHUNK_CRLF;
			break;
		}
		case H_CHUNK_CRLF:
			if (*d == '\n')
				hp->state = H_CHUNK_SIZE;
			d++, n--;
			break;
		}
	}
}

/* At the end of a flow: messages cut short are inspected with what came. */
static void http_end(struct ids_engine *e, struct flow *f)
{
	for (int dir = 0; dir < 2; dir++) {
		struct hparse *hp = &f->hp[dir];
		for (int i = 0; i < 4 && hp->state == H_HDR && hp->alen; i++)
			http_data(e, f, dir, (const uint8_t *)"\r\n", 2, NULL);
		if (hp->cur)
			msg_done(e, f, dir, NULL);
	}
}

/* ---- DNS and TLS --------------------------------------------------------------------- */

static void dns_msg(struct ids_engine *e, struct flow *f, int dir, const uint8_t *d, uint32_t n,
		   const struct pkt *k)
{
	if (n < 12 || (d[2] & 0x80))
		return;	/* responses are not inspected for dns.query */
	uint32_t qd = be16(d + 4), off = 12;
	static uint8_t names[IDS_DNS_QUESTIONS_MAX][IDS_DNS_NAME_MAX + 1];
	struct appbufs ab = { 0 };
	for (uint32_t q = 0; q < qd && q < IDS_DNS_QUESTIONS_MAX; q++) {
		uint32_t w = 0;
		while (off < n && d[off]) {
			uint32_t l = d[off];
			if (l & 0xc0 || off + 1 + l > n || w + l + 1 > IDS_DNS_NAME_MAX)
				return;
			if (w)
				names[q][w++] = '.';
			memcpy(names[q] + w, d + off + 1, l);
			w += l;
			off += 1 + l;
		}
		off += 1 + 4;
		ab.dns[ab.ndns] = names[q];
		ab.dnslen[ab.ndns++] = w;
		if (off > n)
			break;
	}
	e->dns_msgs++;
	inspect_tx(e, f, NULL, &ab, dir == 0 ? IDS_SIDE_TS : IDS_SIDE_TC, k);
}

static void tls_data(struct ids_engine *e, struct flow *f, int dir, const uint8_t *d, uint32_t n,
		     const struct pkt *k)
{
	/* the ClientHello in the first record(s) of the client's stream */
	if (dir != 0 || n < 9 || d[0] != 0x16 || d[5] != 1)
		return;
	uint32_t hl = (uint32_t)d[6] << 16 | (uint32_t)d[7] << 8 | d[8];
	uint32_t end = 9 + hl < n ? 9 + hl : n, p = 9 + 2 + 32;
	if (p >= end)
		return;
	p += 1 + d[p];
	if (p + 2 > end)
		return;
	p += 2 + be16(d + p);
	if (p + 1 > end)
		return;
	p += 1 + d[p];
	if (p + 2 > end)
		return;
	uint32_t xend = p + 2 + be16(d + p);
	p += 2;
	if (xend > end)
		xend = end;
	struct appbufs ab = { 0 };
	while (p + 4 <= xend) {
		uint32_t type = be16(d + p), len = be16(d + p + 2);
		if (type == 0 && p + 4 + len <= xend && len >= 5) {
			uint32_t nl = be16(d + p + 7);
			if (p + 9 + nl <= xend) {
				ab.sni = d + p + 9;
				ab.snilen = nl;
			}
		}
		p += 4 + len;
	}
	e->tls_hellos++;
	inspect_tx(e, f, NULL, &ab, IDS_SIDE_TS, k);
}

/* ---- TCP -------------------------------------------------------------------------------- */

static bool is_http_req(const uint8_t *d, uint32_t n)
{
	static const char *const m[] = { "GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ",
					 "CONNECT ", "PATCH ", "TRACE ", "PROPFIND " };
	/* empty lines before the request line, as servers skip them (RFC 9112
	 * 2.2) and http_data does between messages */
	while (n && (*d == '\r' || *d == '\n'))
		d++, n--;
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		size_t l = strlen(m[i]);
		if (n >= l && !memcmp(d, m[i], l))
			return true;
	}
	return false;
}

/* What the flow is by dir's new bytes d[0 .. n): the first side to send
 * decides; an OTHER flow whose server answers "HTTP/" is HTTP. Before the
 * segment's packet rules run, as Suricata detects a flow's protocol on
 * the packet that shows it, so that an `alert http` payload rule sees the
 * request that made the flow HTTP. */
static void app_detect(struct flow *f, int dir, const uint8_t *d, uint32_t n)
{
	if (f->app == APP_OTHER && dir == 1 && !f->app_tried[1] && n >= 5 && !memcmp(d, "HTTP/", 5)) {
		/* a request that did not parse, answered by an HTTP server */
		f->app = APP_HTTP;
		f->hp[0].state = H_DEAD;
	}
	f->app_tried[dir] = true;
	if (f->app == APP_NONE && !f->app_tried[!dir]) {
		if (dir == 0 && is_http_req(d, n))
			f->app = APP_HTTP;
		else if (dir == 1 && n >= 5 && !memcmp(d, "HTTP/", 5))
			f->app = APP_HTTP;
		else if (n >= 6 && d[0] == 0x16 && d[1] == 3)
			f->app = APP_TLS;
		else if (dir == 0)
			f->app = APP_OTHER;
	}
}

static void app_data(struct ids_engine *e, struct flow *f, int dir, const uint8_t *d, uint32_t n,
		     const struct pkt *k)
{
	if (f->app == APP_HTTP)
		http_data(e, f, dir, d, n, k);
	else if (f->app == APP_TLS)
		tls_data(e, f, dir, d, n, k);
}

static void tcp_packet(struct ids_engine *e, struct flow *f, int dir, const struct pkt *k)
{
	uint8_t fl = k->tcp_flags;
	if ((fl & 0x02) && !(fl & 0x10)) {
		/* SYN: the client's ISN; data in it (TCP Fast Open) follows it */
		if (!f->session || dir == 0) {
			f->session = true;
			f->syn[0] = true;
			f->isn[0] = k->seq;
			ids_stream_start(&f->st[0], k->seq + 1);
		}
	} else if ((fl & 0x12) == 0x12) {
		if (f->session && !f->synack) {
			f->synack = true;
			f->isn[1] = k->seq;
			ids_stream_start(&f->st[1], k->seq + 1);
		}
	} else if (f->session && f->synack && !f->established && dir == 0 && (fl & 0x10)) {
		f->established = true;
	} else if (!f->session && e->o.midstream && (fl & 0x10)) {
		/* midstream: picked up as established, the sender the client */
		f->session = f->established = f->synack = true;
		ids_stream_start(&f->st[dir], k->seq);
		ids_stream_start(&f->st[!dir], k->ack);
	}
	/* packet rules (no content, or no tracked stream) see the packet */
	inspect_pkt(e, f, dir, k, k->pl, k->plen, 0, false);
	/* data in a SYN (TCP Fast Open) is in the stream */
	if (!f->session || !k->plen)
		return;
	struct ids_stream *s = &f->st[dir];
	if (!s->init)
		return;
	uint32_t seq = (fl & 0x02) ? k->seq + 1 : k->seq;
	uint32_t added = ids_stream_add(s, seq, k->pl, k->plen, &e->rst);
	if (!added)
		return;
	uint32_t newlen = added > s->len ? s->len : added;
	const uint8_t *newd = s->buf + s->len - newlen;
	/* packet rules over the window: lookback plus the new bytes */
	uint32_t back = s->len - newlen > IDS_STREAM_LOOKBACK ? IDS_STREAM_LOOKBACK : s->len - newlen;
	uint32_t from = s->len - newlen - back;
	/* offsets count from the stream start while the window holds it */
	if (s->total == s->len)
		from = 0, back = s->len - newlen;
	app_detect(f, dir, newd, newlen);
	inspect_pkt(e, f, dir, k, s->buf + from, s->len - from, back, true);
	app_data(e, f, dir, newd, newlen, k);
}

void ids_engine_frame(struct ids_engine *e, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
	struct pkt k;
	e->frames++;
	e->bytes += len;
	if (!decode(frame, len, &k)) {
		e->bad_frames++;
		return;
	}
	k.ts = ts_ns;
	int dir = 0;
	struct flow *f = NULL;
	if (k.proto == 6 || k.proto == 17 || k.proto == 1 || k.proto == 58) {
		f = flow_get(e, &k, &dir);
		f->last_ns = ts_ns;
		f->pkts[dir]++;
		if (f->pkts[0] && f->pkts[1])
			f->both_seen = true;
	}
	if (k.proto == 6) {
		tcp_packet(e, f, dir, &k);
		if (k.tcp_flags & 0x05) {
			/* FIN or RST: messages cut short end here */
			if (k.tcp_flags & 0x04 || f->hp[dir].state == H_BODY_CLOSE)
				http_end(e, f);
		}
		return;
	}
	inspect_pkt(e, f, dir, &k, k.pl, k.plen, 0, false);
	if (k.proto == 17 && f && (f->port[1] == 53 || f->port[0] == 53)) {
		f->app = APP_DNS;
		dns_msg(e, f, dir, k.pl, k.plen, &k);
	}
}

void ids_engine_finish(struct ids_engine *e)
{
	for (uint32_t i = 0; i < e->nflows; i++)
		if (e->flows[i].used && e->flows[i].app == APP_HTTP)
			http_end(e, &e->flows[i]);
}

void ids_engine_stats(struct ids_engine *e, FILE *o)
{
	fprintf(o, "{\"frames\":%llu,\"bytes\":%llu,\"undecoded\":%llu,\"flows\":%u,\"flows_evicted\":%llu,"
		   "\"alerts\":%llu,\"http_tx\":%llu,\"dns_msgs\":%llu,\"tls_hellos\":%llu,"
		   "\"reasm_mem\":%llu,\"reasm_memcap\":%llu,\"ooo_dropped\":%llu,\"overlaps\":%llu,"
		   "\"alerts_by_sid\":{",
		(unsigned long long)e->frames, (unsigned long long)e->bytes,
		(unsigned long long)e->bad_frames, e->nflows, (unsigned long long)e->flows_evicted,
		(unsigned long long)e->alerts, (unsigned long long)e->http_tx,
		(unsigned long long)e->dns_msgs, (unsigned long long)e->tls_hellos,
		(unsigned long long)e->rst.mem, (unsigned long long)e->rst.memcap_hits,
		(unsigned long long)e->rst.ooo_dropped, (unsigned long long)e->rst.overlaps);
	bool first = true;
	for (uint32_t i = 0; i < e->rs->nrules; i++)
		if (e->by_rule[i]) {
			fprintf(o, "%s\"%u\":%llu", first ? "" : ",", e->rs->rules[i]->sid,
				(unsigned long long)e->by_rule[i]);
			first = false;
		}
	fprintf(o, "}}\n");
}

void ids_engine_free(struct ids_engine *e)
{
	if (!e)
		return;
	for (uint32_t i = 0; i < e->nflows; i++)
		flow_free(e, &e->flows[i]);
	for (unsigned b = 0; b < IB_COUNT; b++)
		hs_free_database(e->db[b]);
	for (unsigned b = 0; b <= IB_COUNT; b++)
		free(e->always[b]);
	hs_free_scratch(e->scratch);
	for (unsigned i = 0; i < THR_BUCKETS; i++)
		while (e->thr[i]) {
			struct thr *t = e->thr[i];
			e->thr[i] = t->next;
			free(t);
		}
	free(e->flows);
	free(e->cand);
	free(e->stamp);
	free(e->by_rule);
	free(e);
}
