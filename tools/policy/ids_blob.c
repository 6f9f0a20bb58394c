/* SPDX-License-Identifier: MIT */
/*
 * The ids layer's blob (src/ids/blob.h) from a Snort 3 / Suricata rule
 * file: the rules the in-line layer can enforce, their `content`s as one
 * Hyperscan database (block mode, compiled for the generic x86-64
 * platform, which the layer's SSE runtime accepts), their pcres as PCRE2's
 * serialized codes (the layer's interpreter decodes them).
 *
 * Invariants:
 *  1. A rule is in the blob only when the layer enforces all of it: its
 *     action (alert, drop), protocol (ip, tcp, udp, icmp), ports, at least
 *     one content over the packet payload with nocase, offset and depth,
 *     and pcres over the packet payload (flags i s m x A E G B O, R after
 *     a content, negation). Any other keyword (pcre buffer flags, flow,
 *     flowbits, byte_*, dsize, relative contents, app-layer buffers,
 *     address lists, thresholds...) leaves the rule out, reported with its
 *     file:line, sid and why: a rule is never enforced in part.
 *  2. A rule the parser refuses stops the compile (as a firewall ruleset
 *     with an error does): what runs is what the operator wrote or nothing.
 *  3. The blob passes ids_blob_check before it is returned.
 */
#include "ids_blob.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs/hs.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "ids/blob.h"

/* Why rule r cannot be enforced in-line, or NULL. */
static const char *not_inline(const struct ids_rule *r)
{
	if (r->action != IDS_ALERT && r->action != IDS_DROP)
		return "action: only alert and drop are enforced in-line";
	if (r->proto != IDS_P_IP && r->proto != IDS_P_TCP && r->proto != IDS_P_UDP &&
	    r->proto != IDS_P_ICMP)
		return "protocol: app-layer protocols need stream reassembly (not in-line yet)";
	if (!r->src.any || !r->dst.any)
		return "addresses: only any is enforced in-line yet";
	if ((!r->sport.any && r->sport.n > IDS_BLOB_PORTS_MAX) ||
	    (!r->dport.any && r->dport.n > IDS_BLOB_PORTS_MAX))
		return "ports: a list longer than the in-line limit (8 ranges)";
	if (r->flow)
		return "flow: needs connection state (not in-line yet)";
	if (r->nfb)
		return "flowbits: need connection state (not in-line yet)";
	if (r->has_dsize || r->has_flags || r->has_itype || r->has_icode || r->ipproto)
		return "dsize/flags/itype/icode/ip_proto: not in-line yet";
	if (r->thr_type != THR_NONE)
		return "threshold/detection_filter: not in-line yet";
	if (r->noalert)
		return "noalert: not in-line yet";
	if (!r->nsm)
		return "no content: the in-line layer matches contents only";
	if (r->nsm > IDS_BLOB_CONTENTS_MAX)
		return "more contents than the in-line limit";
	unsigned ncontent = 0, npcre = 0;
	for (unsigned i = 0; i < r->nsm; i++) {
		const struct ids_sm *m = &r->sm[i];
		const unsigned ok = CT_NOCASE | CT_OFFSET | CT_DEPTH | CT_FAST | CT_FAST_ONLY;

		if (m->kind == SM_PCRE) {
			/* Flags i s m x A E G (in the code), B and O (no effect on
			 * a packet's bytes), R and negation; the buffer flags
			 * name HTTP buffers (U I P Q H D M C S Y V W Z). */
			if (m->buf != IB_PKT)
				return "pcre with a buffer flag (U, I, P, Q, H, D, M, C, S, Y, V, W, "
				       "Z) or in a sticky buffer: needs the HTTP parser (not in-line "
				       "yet)";
			if ((m->flags & CT_RELATIVE) && (!i || r->sm[i - 1].kind != SM_CONTENT))
				return "pcre relative (R) to something other than a content: not "
				       "in-line yet";
			if (++npcre > IDS_BLOB_PCRES_MAX)
				return "more pcres than the in-line limit (8)";
			continue;
		}
		if (m->kind != SM_CONTENT)
			return "isdataat/bsize/byte_test/byte_jump/urilen: not in-line yet";
		ncontent++;
		if (m->buf != IB_PKT)
			return "a sticky buffer (http_*, dns, tls...): not in-line yet";
		if (m->flags & ~ok)
			return "negated, relative (distance/within), startswith or endswith "
			       "content: not in-line yet";
		if (!m->len)
			return "an empty content";
		if ((m->flags & CT_DEPTH) && m->depth < (int32_t)m->len)
			return "a depth shorter than its content";
		if (((m->flags & CT_OFFSET) && m->offset < 0) ||
		    ((m->flags & CT_DEPTH) && m->depth < 0))
			return "a negative offset or depth";
	}
	if (!ncontent)
		return "pcre without a content: the in-line layer needs a content to "
		       "prefilter (Hyperscan) before pcre confirms";
	return NULL;
}

static void ports(struct ids_blob_port *out, uint8_t *n, const struct ids_ports *p)
{
	*n = 0;
	if (p->any)
		return;
	for (unsigned i = 0; i < p->n; i++)
		out[(*n)++] = (struct ids_blob_port){.lo = p->v[i].lo, .hi = p->v[i].hi,
						     .neg = p->v[i].neg};
}

/* A content as a Hyperscan expression: every byte escaped. */
static char *expression(const struct ids_sm *m)
{
	char *e = malloc((size_t)m->len * 4 + 1), *q = e;

	if (!e)
		return NULL;
	for (uint32_t i = 0; i < m->len; i++)
		q += sprintf(q, "\\x%02x", m->pat[i]);
	return e;
}

static uint32_t align8(uint64_t v)
{
	return (uint32_t)((v + 7) & ~7ull);
}

int ids_blob_compile(const char *text, size_t len, const char *path, FILE *errf,
		     struct ids_blob_out *out)
{
	struct ids_ruleset rs;
	struct ids_blob_rule *rules = NULL;
	struct ids_blob_pattern *pats = NULL;
	char **exprs = NULL;
	unsigned *flags = NULL, *idv = NULL;
	hs_expr_ext_t *ext = NULL, **extp = NULL;
	uint32_t nrules = 0, npats = 0, maxp = 0;
	hs_database_t *db = NULL;
	hs_compile_error_t *err = NULL;
	char *ser = NULL;
	size_t ser_len = 0;
	struct ids_blob_pcre *pcres = NULL;
	pcre2_code **codes = NULL;
	uint32_t npcre = 0;
	uint8_t *pser = NULL;
	PCRE2_SIZE pser_len = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	ids_ruleset_init(&rs);
	rs.errf = errf;
	ids_load_text(&rs, text, len, path);
	if (rs.failed) {
		fprintf(errf, "rampart-policy: %s: %u rule%s refused (above), nothing loaded\n", path,
			rs.failed, rs.failed == 1 ? "" : "s");
		goto done;
	}
	for (uint32_t i = 0; i < rs.nrules; i++)
		maxp += rs.rules[i]->nsm;
	rules = calloc(rs.nrules ? rs.nrules : 1, sizeof(*rules));
	pats = calloc(maxp ? maxp : 1, sizeof(*pats));
	exprs = calloc(maxp ? maxp : 1, sizeof(*exprs));
	flags = calloc(maxp ? maxp : 1, sizeof(*flags));
	idv = calloc(maxp ? maxp : 1, sizeof(*idv));
	ext = calloc(maxp ? maxp : 1, sizeof(*ext));
	extp = calloc(maxp ? maxp : 1, sizeof(*extp));
	pcres = calloc(maxp ? maxp : 1, sizeof(*pcres));
	codes = calloc(maxp ? maxp : 1, sizeof(*codes));
	if (!rules || !pats || !exprs || !flags || !idv || !ext || !extp || !pcres || !codes) {
		fprintf(errf, "rampart-policy: %s: out of memory\n", path);
		goto done;
	}
	for (uint32_t i = 0; i < rs.nrules; i++) {
		const struct ids_rule *r = rs.rules[i];
		const char *why = not_inline(r);
		struct ids_blob_rule *b;

		if (why) {
			out->not_loaded++;
			if (out->not_loaded <= IDS_ERRORS_SHOWN)
				fprintf(errf, "%s:%u: sid %u: not loaded in-line: %s\n", r->file,
					r->line, r->sid, why);
			continue;
		}
		if (nrules == IDS_BLOB_RULES_MAX) {
			fprintf(errf, "rampart-policy: %s: more than %u rules in-line\n", path,
				IDS_BLOB_RULES_MAX);
			goto done;
		}
		b = &rules[nrules];
		b->sid = r->sid;
		b->rev = r->rev;
		b->action = r->action == IDS_DROP ? IDS_BLOB_DROP : IDS_BLOB_ALERT;
		b->proto = r->proto == IDS_P_TCP ? IDS_BLOB_TCP : r->proto == IDS_P_UDP ? IDS_BLOB_UDP :
			   r->proto == IDS_P_ICMP ? IDS_BLOB_ICMP : IDS_BLOB_IP;
		b->bidir = r->bidir;
		b->ncontents = 0;
		b->line = r->line;
		ports(b->sport, &b->nsport, &r->sport);
		ports(b->dport, &b->ndport, &r->dport);
		snprintf(b->msg, sizeof(b->msg), "%s", r->msg ? r->msg : "");
		for (unsigned k = 0; k < r->nsm; k++) {
			const struct ids_sm *m = &r->sm[k];
			hs_expr_ext_t *x = &ext[npats];

			if (m->kind == SM_PCRE) { /* not_inline: after a content when R */
				pcres[npcre] = (struct ids_blob_pcre){
					.rule = nrules,
					.after = (m->flags & CT_RELATIVE) ? npats - 1 : IDS_BLOB_NONE,
					.flags = (uint8_t)(((m->flags & CT_RELATIVE) ? IDS_BLOB_PCRE_RELATIVE : 0) |
							   ((m->flags & CT_NEGATED) ? IDS_BLOB_PCRE_NEGATED : 0))};
				codes[npcre++] = m->re;
				b->npcre++;
				continue;
			}
			b->ncontents++;

			exprs[npats] = expression(m);
			if (!exprs[npats]) {
				fprintf(errf, "rampart-policy: %s: out of memory\n", path);
				goto done;
			}
			flags[npats] = HS_FLAG_SINGLEMATCH | HS_FLAG_DOTALL |
				       (m->flags & CT_NOCASE ? HS_FLAG_CASELESS : 0);
			/* Hyperscan's offsets are where a match ends. */
			if (m->flags & CT_OFFSET) {
				x->flags |= HS_EXT_FLAG_MIN_OFFSET;
				x->min_offset = (unsigned long long)m->offset + m->len;
			}
			if (m->flags & CT_DEPTH) {
				x->flags |= HS_EXT_FLAG_MAX_OFFSET;
				x->max_offset = (unsigned long long)((m->flags & CT_OFFSET) ? m->offset : 0) +
						(unsigned long long)m->depth;
			}
			extp[npats] = x->flags ? x : NULL;
			idv[npats] = npats;
			pats[npats++].rule = nrules;
		}
		nrules++;
	}
	if (out->not_loaded > IDS_ERRORS_SHOWN)
		fprintf(errf, "rampart-policy: %u more rules not loaded in-line\n",
			out->not_loaded - IDS_ERRORS_SHOWN);
	if (!nrules) {
		fprintf(errf, "rampart-policy: %s: no rule can be enforced in-line (%u not loaded), "
			      "nothing to compile\n", path, out->not_loaded);
		goto done;
	}
	/* The generic platform: no AVX in the database, as the layer's runtime
	 * is its SSE variant (src/ids/shim.c). */
	hs_platform_info_t plat = {.tune = HS_TUNE_FAMILY_GENERIC, .cpu_features = 0};
	if (hs_compile_ext_multi((const char *const *)exprs, flags, idv,
				 (const hs_expr_ext_t *const *)extp, npats, HS_MODE_BLOCK, &plat, &db,
				 &err) != HS_SUCCESS) {
		int e = err ? err->expression : -1;

		if (e >= 0 && (uint32_t)e < npats)
			fprintf(errf, "%s:%u: sid %u: Hyperscan refused a content: %s\n", path,
				rules[pats[e].rule].line, rules[pats[e].rule].sid, err->message);
		else
			fprintf(errf, "rampart-policy: %s: Hyperscan: %s\n", path,
				err ? err->message : "?");
		goto done;
	}
	if (hs_serialize_database(db, &ser, &ser_len) != HS_SUCCESS || ser_len > IDS_BLOB_DB_MAX) {
		fprintf(errf, "rampart-policy: %s: the database is %zu bytes, over the in-line limit "
			      "(%u)\n", path, ser_len, IDS_BLOB_DB_MAX);
		goto done;
	}
	/* Every pcre's code, in one serialized run (they share PCRE2's default
	 * character tables, which go in once). */
	if (npcre && (pcre2_serialize_encode((const pcre2_code **)codes, (int32_t)npcre, &pser,
					     &pser_len, NULL) < 0 ||
		      pser_len > IDS_BLOB_PCRE_MAX)) {
		fprintf(errf, "rampart-policy: %s: the pcres do not serialize within the in-line "
			      "limit (%u bytes)\n", path, IDS_BLOB_PCRE_MAX);
		goto done;
	}
	{
		struct ids_blob_hdr h = {.magic = IDS_BLOB_MAGIC, .version = IDS_BLOB_VERSION,
					 .nrules = nrules, .npatterns = npats,
					 .not_loaded = out->not_loaded, .npcre = npcre};
		const char *why;
		uint8_t *blob;

		h.rule_off = align8(sizeof(h));
		h.pattern_off = align8(h.rule_off + (uint64_t)nrules * sizeof(*rules));
		h.db_off = align8(h.pattern_off + (uint64_t)npats * sizeof(*pats));
		h.db_size = (uint32_t)ser_len;
		h.pcre_off = align8(h.db_off + (uint64_t)ser_len);
		if (npcre) {
			h.pcre_code_off = align8(h.pcre_off + (uint64_t)npcre * sizeof(*pcres));
			h.pcre_code_size = (uint32_t)pser_len;
		}
		h.size = npcre ? align8(h.pcre_code_off + (uint64_t)pser_len)
			       : align8(h.pcre_off);
		blob = aligned_alloc(8, h.size);
		if (!blob)
			goto done;
		memset(blob, 0, h.size);
		memcpy(blob, &h, sizeof(h));
		memcpy(blob + h.rule_off, rules, (size_t)nrules * sizeof(*rules));
		memcpy(blob + h.pattern_off, pats, (size_t)npats * sizeof(*pats));
		memcpy(blob + h.db_off, ser, ser_len);
		memcpy(blob + h.pcre_off, pcres, (size_t)npcre * sizeof(*pcres));
		if (npcre)
			memcpy(blob + h.pcre_code_off, pser, pser_len);
		if (ids_blob_check(blob, h.size, &why)) {
			fprintf(errf, "rampart-policy: %s: internal: the blob fails its check: %s\n",
				path, why);
			free(blob);
			goto done;
		}
		out->blob = blob;
		out->len = h.size;
		out->nrules = nrules;
		out->npatterns = npats;
		out->db_size = (uint32_t)ser_len;
		out->npcre = npcre;
	}
	rc = 0;
done:
	for (uint32_t i = 0; exprs && i < npats; i++)
		free(exprs[i]);
	free(exprs);
	free(flags);
	free(idv);
	free(ext);
	free(extp);
	free(rules);
	free(pats);
	free(ser);
	free(pcres);
	free(codes);
	pcre2_serialize_free(pser);
	hs_free_database(db);
	hs_free_compile_error(err);
	ids_ruleset_free(&rs);
	return rc;
}
