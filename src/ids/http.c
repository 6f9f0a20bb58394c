/* SPDX-License-Identifier: MIT */
/*
 * An HTTP/1.x request in one TCP segment (http.h), as the offline engine
 * parses a request's header block (tools/policy/ids_detect.c: is_http_req,
 * http_data, parse_headers, norm_uri, field, http_buf), so that a rule
 * matches the same bytes in-line and offline.
 *
 * Invariants:
 *  1. Every read is inside d[0 .. n) and every write inside the scratch,
 *     whose room (http.h) is what each normalized buffer can take at
 *     most for a segment of IDS_HTTP_SEG_MAX bytes; a longer segment is not
 *     parsed.
 *  2. Bounded work: the header block's end is found in one pass, each
 *     header line is looked at a fixed number of times, at most
 *     IDS_HTTP_HEADERS_MAX lines are parsed, the URI is normalized in two
 *     passes; no recursion, no allocation.
 *  3. Nothing is guessed: a buffer is present only when the bytes it names
 *     are in the segment (a partial request: its request line only).
 *
 * What it parses (the offline engine's semantics): a segment that starts,
 * after any CR and LF bytes (empty lines), with one of its methods and a
 * space; the header block ends at the first empty line ("\n\n" or
 * "\n\r\n"); names compare with letters folded alone. Request line: up to the first CR or LF; its
 * fields split at single spaces (method, raw URI, protocol). http.uri: the
 * raw URI with an absolute form reduced to its path, %XX decoded (a bad or
 * cut one kept as it is), then "/./" and "/../" resolved in the path (not
 * the query). Header lines: up to LF (a CR before it dropped); a line
 * without ':' is skipped (so a folded continuation line is not joined to
 * the header before it, as the offline engine does), the name trimmed at
 * its end, the value at both; the first of a name is its buffer.
 * http.host: Host's value lowercased up to its first ':'; http.header:
 * "Name: value\r\n" for each header but Cookie; http.header.raw: the lines
 * after the request line without the empty line that ends the block;
 * http.request_body: the bytes after the block up to Content-Length (not
 * with Transfer-Encoding: no dechunking in-line).
 */
#include "ids/http.h"

#include "lib/rt.h"

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c | 0x20) : c;
}

/* Letters alone fold (strncasecmp's): '-' | 0x20 is '-', and so is CR's,
 * so folding every byte took "User\rAgent" for User-Agent. */
static bool ci_eq(const uint8_t *a, uint32_t n, const char *b)
{
	uint32_t i = 0;

	for (; i < n && b[i]; i++)
		if (lower(a[i]) != lower((uint8_t)b[i]))
			return false;
	return i == n && !b[i];
}

static const uint8_t *find(const uint8_t *p, uint8_t c, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i] == c)
			return p + i;
	return NULL;
}

static int hexv(uint8_t c)
{
	return c >= '0' && c <= '9'			  ? c - '0'
	       : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
							  : -1;
}

/* The offline engine's methods (is_http_req). */
static bool is_request(const uint8_t *d, uint32_t n)
{
	static const char *const m[] = {"GET ",	    "POST ",	"HEAD ",    "PUT ",   "DELETE ",
					"OPTIONS ", "CONNECT ", "PATCH ", "TRACE ", "PROPFIND "};

	for (unsigned i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		uint32_t l = (uint32_t)rt_strlen(m[i]);

		if (n >= l && !rt_memcmp(d, m[i], l))
			return true;
	}
	return false;
}

/* libhtp's default normalization (norm_uri): out has room for n bytes. */
static uint32_t norm_uri(const uint8_t *u, uint32_t n, uint8_t *out, uint8_t *tmp)
{
	uint32_t k = 0, w = 0, plen;
	const uint8_t *q;

	if (n > 7 && (ci_eq(u, 7, "http://") || (n > 8 && ci_eq(u, 8, "https://")))) {
		const uint8_t *sl = find(u + 8, '/', n - 8);

		if (sl) {
			n -= (uint32_t)(sl - u);
			u = sl;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		if (u[i] == '%' && i + 2 < n && hexv(u[i + 1]) >= 0 && hexv(u[i + 2]) >= 0) {
			tmp[k++] = (uint8_t)(hexv(u[i + 1]) << 4 | hexv(u[i + 2]));
			i += 2;
		} else {
			tmp[k++] = u[i];
		}
	}
	q = find(tmp, '?', k);
	plen = q ? (uint32_t)(q - tmp) : k;
	for (uint32_t i = 0; i < plen;) {
		if (tmp[i] == '/' && i + 2 <= plen && tmp[i + 1] == '.' &&
		    (i + 2 == plen || tmp[i + 2] == '/')) {
			i += 2;
			if (i == plen)
				out[w++] = '/';
			continue;
		}
		if (tmp[i] == '/' && i + 3 <= plen && tmp[i + 1] == '.' && tmp[i + 2] == '.' &&
		    (i + 3 == plen || tmp[i + 3] == '/')) {
			/* the last segment and the '/' before it */
			while (w && out[w - 1] != '/')
				w--;
			if (w)
				w--;
			i += 3;
			if (i == plen)
				out[w++] = '/';
			continue;
		}
		out[w++] = tmp[i++];
	}
	rt_memcpy(out + w, tmp + plen, k - plen);
	return w + k - plen;
}

static void set(struct ids_http *h, unsigned b, const uint8_t *p, uint32_t len)
{
	h->p[b] = p;
	h->len[b] = len;
}

/* The request line d[0 .. le): method, raw and normalized URI, protocol,
 * the line (the offline engine's field()). */
static void request_line(const uint8_t *d, uint32_t le, struct ids_http *h,
			 struct ids_http_scratch *s)
{
	const uint8_t *sp1 = find(d, ' ', le), *sp2;
	uint32_t us, ue;

	set(h, IDS_BUF_REQ_LINE, d, le);
	set(h, IDS_BUF_METHOD, d, sp1 ? (uint32_t)(sp1 - d) : le);
	if (!sp1)
		return;
	us = (uint32_t)(sp1 - d) + 1;
	sp2 = find(d + us, ' ', le - us);
	ue = sp2 ? (uint32_t)(sp2 - d) : le;
	set(h, IDS_BUF_URI_RAW, d + us, ue - us);
	/* the host's room holds the %-decoded bytes on the way (it is
	 * written after, from the headers) */
	set(h, IDS_BUF_URI, s->uri, norm_uri(d + us, ue - us, s->uri, s->host));
	if (sp2) {
		const uint8_t *sp3;
		uint32_t ps = ue + 1;

		sp3 = find(d + ps, ' ', le - ps);
		set(h, IDS_BUF_PROTOCOL, d + ps, sp3 ? (uint32_t)(sp3 - d) - ps : le - ps);
	}
}

/* The named headers' buffers: the first header of each name. */
static const struct {
	const char *name;
	uint8_t buf;
} named[] = {
	{"host", IDS_BUF_HOST_RAW},	   {"user-agent", IDS_BUF_UA},
	{"cookie", IDS_BUF_COOKIE},	   {"referer", IDS_BUF_REFERER},
	{"accept", IDS_BUF_ACCEPT},	   {"accept-language", IDS_BUF_ACCEPT_LANG},
	{"accept-encoding", IDS_BUF_ACCEPT_ENC}, {"connection", IDS_BUF_CONNECTION},
	{"content-type", IDS_BUF_CONTENT_TYPE},	 {"content-length", IDS_BUF_CONTENT_LEN},
};

/* The header lines of block b[0 .. n) (its start line first). */
static void headers(const uint8_t *b, uint32_t n, struct ids_http *h, struct ids_http_scratch *s,
		    bool *te)
{
	uint32_t i = 0, o = 0, on = 0;

	while (i < n && b[i] != '\n')
		i++;
	i++;
	s->names[on++] = '\r';
	s->names[on++] = '\n';
	while (i < n && h->nh < IDS_HTTP_HEADERS_MAX) {
		uint32_t st = i, e, nl, v, ve;
		const uint8_t *c;

		while (i < n && b[i] != '\n')
			i++;
		e = i;
		if (e > st && b[e - 1] == '\r')
			e--;
		i++;
		if (e == st)
			break;
		c = find(b + st, ':', e - st);
		if (!c)
			continue; /* a folded line, or no header: skipped (the offline engine's) */
		h->nh++;
		nl = (uint32_t)(c - (b + st));
		while (nl && (b[st + nl - 1] == ' ' || b[st + nl - 1] == '\t'))
			nl--;
		v = (uint32_t)(c - b) + 1;
		while (v < e && (b[v] == ' ' || b[v] == '\t'))
			v++;
		ve = e;
		while (ve > v && (b[ve - 1] == ' ' || b[ve - 1] == '\t'))
			ve--;
		for (unsigned k = 0; k < sizeof(named) / sizeof(named[0]); k++)
			if (!h->p[named[k].buf] && ci_eq(b + st, nl, named[k].name))
				set(h, named[k].buf, b + v, ve - v);
		if (ci_eq(b + st, nl, "transfer-encoding"))
			*te = true;
		/* a line is at least nl + 1 bytes: the name and "\r\n" fit in
		 * its room plus 2 (http.h) */
		rt_memcpy(s->names + on, b + st, nl);
		on += nl;
		s->names[on++] = '\r';
		s->names[on++] = '\n';
		if (ci_eq(b + st, nl, "cookie"))
			continue;
		/* "Name: value\r\n": at most the line (>= nl + 1 + ve - v
		 * bytes) and 3 */
		rt_memcpy(s->hdr + o, b + st, nl);
		o += nl;
		s->hdr[o++] = ':';
		s->hdr[o++] = ' ';
		rt_memcpy(s->hdr + o, b + v, ve - v);
		o += ve - v;
		s->hdr[o++] = '\r';
		s->hdr[o++] = '\n';
	}
	s->names[on++] = '\r';
	s->names[on++] = '\n';
	set(h, IDS_BUF_HEADER, s->hdr, o);
	set(h, IDS_BUF_HEADER_NAMES, s->names, on);
}

enum ids_http_kind ids_http_parse(const uint8_t *d, uint32_t n, struct ids_http *h,
				  struct ids_http_scratch *s)
{
	uint32_t le = 0, a = 0, nl;
	bool te = false;
	const uint8_t *raw;

	rt_memset(h, 0, sizeof(*h));
	if (n > IDS_HTTP_SEG_MAX)
		return IDS_HTTP_NONE;
	/* empty lines before the request line: skipped, as servers (RFC 9112
	 * 2.2, nginx, Apache) and the offline engine skip them (a request
	 * behind one CRLF was no request here, and every HTTP rule missed it) */
	while (n && (*d == '\r' || *d == '\n'))
		d++, n--;
	if (!is_request(d, n))
		return IDS_HTTP_NONE;
	/* the block's end: the first empty line, a LF after a LF with or
	 * without a CR between (http_data): nginx and Apache end the block at
	 * "\n\r\n" too, and a block the server ends there was never ending
	 * here, so that its headers and body were no buffers at all */
	for (uint32_t i = 1; i < n && !a; i++)
		if (d[i] == '\n' && (d[i - 1] == '\n' || (i >= 2 && d[i - 1] == '\r' &&
							  d[i - 2] == '\n')))
			a = i + 1;
	while (le < n && d[le] != '\r' && d[le] != '\n')
		le++;
	if (!a) {
		/* no reassembly: the request line alone, when it ends here */
		if (find(d, '\n', n))
			request_line(d, le, h, s);
		return IDS_HTTP_PARTIAL;
	}
	h->hlen = a;
	request_line(d, le, h, s);
	headers(d, a, h, s, &te);
	set(h, IDS_BUF_START, d, a);
	/* http.header.raw: past the start line's LF, without the empty line */
	nl = (uint32_t)(find(d, '\n', a) - d) + 1; /* a LF ends the block */
	raw = d + nl;
	{
		uint32_t rl = a - nl;

		if (rl >= 2 && raw[rl - 1] == '\n')
			rl -= raw[rl - 2] == '\r' ? 2 : 1;
		set(h, IDS_BUF_HEADER_RAW, raw, rl);
	}
	if (h->p[IDS_BUF_HOST_RAW]) {
		const uint8_t *hv = h->p[IDS_BUF_HOST_RAW];
		uint32_t k = 0;

		for (uint32_t j = 0; j < h->len[IDS_BUF_HOST_RAW] && hv[j] != ':'; j++)
			s->host[k++] = lower(hv[j]);
		set(h, IDS_BUF_HOST, s->host, k);
	}
	/* the body bytes in this segment, up to Content-Length (digits only;
	 * one past 32 bits taken as the segment's rest) */
	if (!te && h->p[IDS_BUF_CONTENT_LEN] && a < n) {
		const uint8_t *c = h->p[IDS_BUF_CONTENT_LEN];
		uint64_t cl = 0;
		uint32_t j = 0;

		for (; j < h->len[IDS_BUF_CONTENT_LEN] && c[j] >= '0' && c[j] <= '9'; j++)
			if (cl < (1ull << 32))
				cl = cl * 10 + (uint64_t)(c[j] - '0');
		if (j && cl)
			set(h, IDS_BUF_REQ_BODY, d + a, cl < n - a ? (uint32_t)cl : n - a);
	}
	return IDS_HTTP_REQUEST;
}
