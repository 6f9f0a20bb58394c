/* SPDX-License-Identifier: MIT */
/*
 * An HTTP/1.x request or response in one TCP segment (http.h), as the
 * offline engine parses a message's header block (tools/policy/ids_detect.c:
 * is_http_req, http_data, parse_headers, norm_uri, field, http_buf), so
 * that a rule matches the same bytes in-line and offline.
 *
 * Invariants:
 *  1. Every read is inside d[0 .. n) and every write inside the scratch,
 *     whose room (http.h) is what each normalized buffer can take at
 *     most for a segment of IDS_HTTP_WIN_MAX bytes; a longer segment is not
 *     parsed.
 *  2. Bounded work: the header block's end is found in one pass, each
 *     header line is looked at a fixed number of times, at most
 *     IDS_HTTP_HEADERS_MAX lines are parsed, the URI is normalized in two
 *     passes; no recursion, no allocation but inflate's, from the
 *     scratch (invariant 4).
 *  3. Nothing is guessed: a buffer is present only when the bytes it names
 *     are in the segment (a partial request: its request line only; a
 *     partial response: nothing). A response's dechunked body is at most
 *     the segment's bytes after its block (each chunk's bytes are copied
 *     once, from the segment), in the scratch's body room.
 *  5. Over a stream (ids_http_next), each new byte is stepped over once
 *     by the direction's state (a header block's end, a Content-Length
 *     body, a chunked one's size lines, chunks and trailer, as the
 *     offline engine's http_data takes them: the same chunk machine as
 *     the segment's dechunker), and a message is parsed only from bytes
 *     the window holds: its start is hlen + raw bytes back, never
 *     guessed. A block whose start is no longer there is reported lost,
 *     not parsed from what is left; a direction that cannot follow (a
 *     block that is no message's start, or lost) is out of step until a
 *     segment starts like a message.
 *  4. An encoded body is inflated by zlib's inflate (libz.a, unchanged)
 *     once per segment: its input is the body's bytes (at most the
 *     segment's), its output the scratch's unz room (IDS_HTTP_UNZ_MAX:
 *     inflate stops there, and its work is linear in what it reads and
 *     writes), its memory the scratch's zpool (a bump allocator reset for
 *     each segment, zfree a no-op; a request past the pool is refused,
 *     never served from elsewhere). Nothing of zlib outlives the call.
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
 * http.request_body: the bytes after the block in the segment, dechunked
 * with Transfer-Encoding chunked (letters folded), else up to
 * Content-Length (read as strtoull reads it).
 */
#include "ids/http.h"

#include "lib/rt.h"

/* zlib's own header (Debian's zlib1g-dev) by its path, as src/ids/libc
 * does PCRE2's: this file is built with -nostdinc. Z_SOLO: zlib's
 * declarations without libc's (no gz* file functions, no default
 * allocator: inflate allocates from the scratch's pool alone). */
#define Z_SOLO
#include "/usr/include/zlib.h"

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
struct named {
	const char *name;
	uint8_t buf;
};
static const struct named req_named[] = {
	{"host", IDS_BUF_HOST_RAW},	   {"user-agent", IDS_BUF_UA},
	{"cookie", IDS_BUF_COOKIE},	   {"referer", IDS_BUF_REFERER},
	{"accept", IDS_BUF_ACCEPT},	   {"accept-language", IDS_BUF_ACCEPT_LANG},
	{"accept-encoding", IDS_BUF_ACCEPT_ENC}, {"connection", IDS_BUF_CONNECTION},
	{"content-type", IDS_BUF_CONTENT_TYPE},	 {"content-length", IDS_BUF_CONTENT_LEN},
	{NULL, 0}};
/* A response's: its Set-Cookie is the cookie buffer (the offline
 * engine's http_buf). */
static const struct named resp_named[] = {
	{"set-cookie", IDS_BUF_COOKIE},		{"connection", IDS_BUF_CONNECTION},
	{"content-type", IDS_BUF_CONTENT_TYPE}, {"content-length", IDS_BUF_CONTENT_LEN},
	{"server", IDS_BUF_SERVER},		{"location", IDS_BUF_LOCATION},
	{NULL, 0}};

/* The header lines of block b[0 .. n) (its start line first): named (the
 * table of the message's side), http.header (without cookie, a
 * request's, or set-cookie, a response's), http.header_names;
 * Transfer-Encoding's and Content-Encoding's values. */
static void headers(const uint8_t *b, uint32_t n, struct ids_http *h, struct ids_http_scratch *s,
		    const struct named *named, const char *cookie, const uint8_t **te,
		    uint32_t *tel, const uint8_t **ce, uint32_t *cel)
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
		for (unsigned k = 0; named[k].name; k++)
			if (!h->p[named[k].buf] && ci_eq(b + st, nl, named[k].name))
				set(h, named[k].buf, b + v, ve - v);
		if (!*te && ci_eq(b + st, nl, "transfer-encoding")) {
			*te = b + v;
			*tel = ve - v;
		}
		if (!*ce && ci_eq(b + st, nl, "content-encoding")) {
			*ce = b + v;
			*cel = ve - v;
		}
		/* a line is at least nl + 1 bytes: the name and "\r\n" fit in
		 * its room plus 2 (http.h) */
		rt_memcpy(s->names + on, b + st, nl);
		on += nl;
		s->names[on++] = '\r';
		s->names[on++] = '\n';
		if (ci_eq(b + st, nl, cookie))
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

/* The header block d[0 .. a) (ending in its empty line) as it is:
 * http.start, and http.header.raw (past the start line's LF, without the
 * empty line). */
static void block(const uint8_t *d, uint32_t a, struct ids_http *h)
{
	uint32_t nl = (uint32_t)(find(d, '\n', a) - d) + 1; /* a LF ends the block */
	const uint8_t *raw = d + nl;
	uint32_t rl = a - nl;

	set(h, IDS_BUF_START, d, a);
	if (rl >= 2 && raw[rl - 1] == '\n')
		rl -= raw[rl - 2] == '\r' ? 2 : 1;
	set(h, IDS_BUF_HEADER_RAW, raw, rl);
}

/* Where the header block of d[0 .. n) ends: past its first empty line, a
 * LF after a LF with or without a CR between (the offline engine's
 * http_data); 0 when it does not end in d. */
static uint32_t block_end(const uint8_t *d, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++)
		if (d[i] == '\n' && (d[i - 1] == '\n' || (i >= 2 && d[i - 1] == '\r' &&
							  d[i - 2] == '\n')))
			return i + 1;
	return 0;
}

/* Whether v[0 .. n) holds w (w's length m). */
static bool holds(const uint8_t *v, uint32_t n, const char *w, uint32_t m)
{
	for (uint32_t i = 0; i + m <= n; i++)
		if (!rt_memcmp(v + i, w, m))
			return true;
	return false;
}

/* Whether Transfer-Encoding's value v[0 .. n) says chunked, letters
 * folded (RFC 9112: transfer codings are case-insensitive; curl and
 * browsers take "Chunked"), as the offline engine reads it. */
static bool chunked(const uint8_t *v, uint32_t n)
{
	for (uint32_t i = 0; i + 7 <= n; i++)
		if (ci_eq(v + i, 7, "chunked"))
			return true;
	return false;
}

/* Content-Length's value c[0 .. n) as the offline engine reads it
 * (strtoull, base 10, over its first 23 bytes): blanks, a sign ('-'
 * negates: a length past any segment), digits; a value past 32 bits is
 * past any segment too. 0 when there is none. */
static uint64_t content_length(const uint8_t *c, uint32_t n)
{
	uint32_t j = 0;
	uint64_t cl = 0;
	bool neg = false;

	if (n > 23)
		n = 23;
	while (j < n && (c[j] == ' ' || (c[j] >= '\t' && c[j] <= '\r')))
		j++;
	if (j < n && (c[j] == '+' || c[j] == '-'))
		neg = c[j++] == '-';
	for (; j < n && c[j] >= '0' && c[j] <= '9'; j++)
		if (cl < (1ull << 32))
			cl = cl * 10 + (uint64_t)(c[j] - '0');
	return neg && cl ? UINT64_MAX : cl;
}

static uint32_t dechunk(const uint8_t *d, uint32_t n, uint8_t *out);

/* Whether the block h parsed has a header named as w ("\r\nname\r\n",
 * lowercase) among its names ("\r\nName\r\n" each). */
static bool has_name(const struct ids_http *h, const char *w)
{
	const uint32_t m = (uint32_t)rt_strlen(w);

	for (uint32_t i = 0; i + m <= h->len[IDS_BUF_HEADER_NAMES]; i++)
		if (ci_eq(h->p[IDS_BUF_HEADER_NAMES] + i, m, w))
			return true;
	return false;
}

static enum ids_http_kind parse_req(const uint8_t *d, uint32_t n, bool any, struct ids_http *h,
				    struct ids_http_scratch *s)
{
	uint32_t le = 0, a = 0, tel = 0, cel = 0;
	const uint8_t *te = NULL, *ce = NULL;

	rt_memset(h, 0, sizeof(*h));
	if (n > IDS_HTTP_WIN_MAX)
		return IDS_HTTP_NONE;
	/* empty lines before the request line: skipped, as servers (RFC 9112
	 * 2.2, nginx, Apache) and the offline engine skip them (a request
	 * behind one CRLF was no request here, and every HTTP rule missed it) */
	while (n && (*d == '\r' || *d == '\n'))
		d++, n--;
	if (!any && !is_request(d, n))
		return IDS_HTTP_NONE;
	/* the block's end: the first empty line, a LF after a LF with or
	 * without a CR between (http_data): nginx and Apache end the block at
	 * "\n\r\n" too, and a block the server ends there was never ending
	 * here, so that its headers and body were no buffers at all */
	a = block_end(d, n);
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
	headers(d, a, h, s, req_named, "cookie", &te, &tel, &ce, &cel);
	block(d, a, h);
	if (h->p[IDS_BUF_HOST_RAW]) {
		const uint8_t *hv = h->p[IDS_BUF_HOST_RAW];
		uint32_t k = 0;

		for (uint32_t j = 0; j < h->len[IDS_BUF_HOST_RAW] && hv[j] != ':'; j++)
			s->host[k++] = lower(hv[j]);
		set(h, IDS_BUF_HOST, s->host, k);
	}
	h->head = n >= 5 && !rt_memcmp(d, "HEAD ", 5); /* the offline engine's is_head */
	/* CONNECT to an authority (host:port), the only form a tunnel takes */
	h->connect = n >= 8 && !rt_memcmp(d, "CONNECT ", 8) && h->p[IDS_BUF_URI_RAW] &&
		     h->len[IDS_BUF_URI_RAW] && h->p[IDS_BUF_URI_RAW][0] != '/' &&
		     find(h->p[IDS_BUF_URI_RAW], ':', h->len[IDS_BUF_URI_RAW]);
	h->upgrade = has_name(h, "\r\nupgrade\r\n");
	/* the body bytes given, up to Content-Length (digits only;
	 * one past 32 bits taken as the segment's rest) */
	if (te && chunked(te, tel)) { /* the offline engine dechunks it */
		h->framing = IDS_HF_CHUNKED;
		if (a < n)
			set(h, IDS_BUF_REQ_BODY, s->body, dechunk(d + a, n - a, s->body));
		if (!h->len[IDS_BUF_REQ_BODY])
			h->p[IDS_BUF_REQ_BODY] = NULL;
	} else if (h->p[IDS_BUF_CONTENT_LEN]) {
		uint64_t cl = content_length(h->p[IDS_BUF_CONTENT_LEN], h->len[IDS_BUF_CONTENT_LEN]);

		h->framing = cl ? IDS_HF_CL : IDS_HF_NONE;
		h->clen = cl;
		if (cl && a < n)
			set(h, IDS_BUF_REQ_BODY, d + a, cl < n - a ? (uint32_t)cl : n - a);
	}
	return IDS_HTTP_REQUEST;
}

/* A chunk size line's strtoull, a byte at a time (struct ids_http_trk's
 * cz): where it is, and what it has seen. */
enum {
	CZ_BLANKS,	/* leading blanks */
	CZ_SIGN,	/* past a sign: a digit, or "0x", next */
	CZ_ZERO,	/* a first '0': an 'x' may follow */
	CZ_ZERO_X,	/* "0x": a hex digit makes it a prefix */
	CZ_DIGITS,	/* hex digits */
	CZ_DONE,	/* the rest of the line means nothing */
	CZ_PHASE = 7,
	CZ_NEG = 8,	/* a '-' before the digits: a size past any body */
	CZ_HUGE = 16,	/* strtoull saturated */
};

/* The offline engine keeps this many bytes of a chunk size or trailer line. */
#define CHUNK_LINE_MAX 64u

static void cz_digit(struct ids_http_trk *t, int v)
{
	if (!(t->cz & CZ_HUGE)) { /* strtoull saturates: past any segment */
		if (t->remain >> 60)
			t->cz |= CZ_HUGE;
		t->remain = t->remain << 4 | (uint64_t)v;
	}
	t->cz = (uint8_t)((t->cz & ~CZ_PHASE) | CZ_DIGITS);
}

/* Byte c of a size line's first CHUNK_LINE_MAX bytes (not its LF), as
 * strtoull(line, NULL, 16) reads it. */
static void cz_byte(struct ids_http_trk *t, uint8_t c)
{
	int v = hexv(c);

	switch (t->cz & CZ_PHASE) {
	case CZ_BLANKS:
		if (c == ' ' || (c >= '\t' && c <= '\r'))
			return;
		if (c == '+' || c == '-') {
			t->cz = (uint8_t)(CZ_SIGN | (c == '-' ? CZ_NEG : 0));
			return;
		}
		__attribute__((fallthrough)); /* the number's first byte */
	case CZ_SIGN:
		if (c == '0')
			t->cz = (uint8_t)((t->cz & ~CZ_PHASE) | CZ_ZERO);
		else if (v >= 0)
			cz_digit(t, v);
		else
			t->cz = (uint8_t)((t->cz & ~CZ_PHASE) | CZ_DONE);
		return;
	case CZ_ZERO:
		if ((c | 0x20) == 'x')
			t->cz = (uint8_t)((t->cz & ~CZ_PHASE) | CZ_ZERO_X);
		else if (v >= 0)
			cz_digit(t, v);
		else
			t->cz = (uint8_t)((t->cz & ~CZ_PHASE) | CZ_DONE);
		return;
	case CZ_ZERO_X: /* "0x" and a digit: a prefix; else "0" alone */
	case CZ_DIGITS:
		if (v >= 0)
			cz_digit(t, v);
		else
			t->cz = (uint8_t)((t->cz & ~CZ_PHASE) | CZ_DONE);
		return;
	default:
		return;
	}
}

/*
 * A chunked body's bytes d[0 .. n) from t's state (CHUNK_SIZE, CHUNK_DATA,
 * CHUNK_CRLF, TRAILER), as the offline engine's http_data takes them: a
 * size line up to its LF, its first CHUNK_LINE_MAX bytes read as strtoull
 * reads them (blanks, a sign, "0x", hex digits to the first other byte; a
 * negated size is past any body), the size's bytes, any bytes up to a LF,
 * and after size 0 the trailer's lines to one of at most 2 bytes. The
 * chunks' bytes are added to *w (and copied to out + *w when out is not
 * NULL: room for n more). The bytes taken; *done when the body ended
 * (the bytes after it are not taken).
 */
static uint32_t chunk_feed(struct ids_http_trk *t, const uint8_t *d, uint32_t n, uint8_t *out,
			   uint32_t *w, bool *done)
{
	uint32_t i = 0;

	*done = false;
	while (i < n) {
		uint8_t c;

		if (t->state == IDS_HT_CHUNK_DATA) {
			uint32_t take = t->remain < n - i ? (uint32_t)t->remain : n - i;

			if (out)
				rt_memcpy(out + *w, d + i, take);
			*w += take;
			i += take;
			t->remain -= take;
			if (!t->remain)
				t->state = IDS_HT_CHUNK_CRLF;
			continue;
		}
		c = d[i++];
		if (t->state == IDS_HT_CHUNK_CRLF) {
			if (c == '\n') {
				t->state = IDS_HT_CHUNK_SIZE;
				t->line = 0;
				t->cz = CZ_BLANKS;
				t->remain = 0;
			}
			continue;
		}
		if (c != '\n') {
			if (t->line < CHUNK_LINE_MAX) {
				t->line++;
				if (t->state == IDS_HT_CHUNK_SIZE)
					cz_byte(t, c);
			}
			continue;
		}
		if (t->state == IDS_HT_TRAILER) {
			/* an empty line: at most 2 bytes with its LF (the
			 * offline engine's: "x\n" is one too) */
			bool empty = t->line + 1u <= 2u;

			t->line = 0;
			if (empty) {
				*done = true;
				return i;
			}
			continue;
		}
		/* the size line's LF */
		if ((t->cz & CZ_NEG) && t->remain)
			t->cz |= CZ_HUGE;
		t->line = 0;
		if (t->cz & CZ_HUGE) {
			t->remain = UINT64_MAX;
			t->state = IDS_HT_CHUNK_DATA;
		} else if (t->remain) {
			t->state = IDS_HT_CHUNK_DATA;
		} else {
			t->state = IDS_HT_TRAILER;
		}
	}
	return i;
}

/* A chunked body's chunks in d[0 .. n) into out (room for n bytes), as
 * the offline engine dechunks (chunk_feed from the body's start): the
 * bytes the segment has of each chunk (a cut one ends the body here). */
static uint32_t dechunk(const uint8_t *d, uint32_t n, uint8_t *out)
{
	struct ids_http_trk t;
	uint32_t w = 0;
	bool done;

	rt_memset(&t, 0, sizeof(t));
	t.state = IDS_HT_CHUNK_SIZE;
	(void)chunk_feed(&t, d, n, out, &w, &done);
	return w;
}

/* inflate's allocator over the scratch's pool (invariant 4): items * size
 * (each below 2^32, so no overflow in 64 bits) rounded to 16 bytes. */
static voidpf zpool_alloc(voidpf opaque, uInt items, uInt size)
{
	struct ids_http_scratch *s = opaque;
	uint64_t need = ((uint64_t)items * size + 15u) & ~(uint64_t)15u;
	void *p;

	if (need > IDS_HTTP_ZPOOL - s->zused)
		return Z_NULL;
	p = s->zpool + s->zused;
	s->zused += (uint32_t)need;
	return p;
}

static void zpool_free(voidpf opaque, voidpf p)
{
	/* the pool is reset for the next segment (zpool_alloc's caller) */
}

/* The encoded body b[0 .. n) inflated as the offline engine does (gunzip:
 * windowBits 15 + 32, a gzip or zlib header; one inflate, Z_SYNC_FLUSH)
 * into s->unz: file.data is what inflate produced (none when it produced
 * nothing but did not fail), or b itself when it failed having produced
 * nothing. */
static void inflate_body(const uint8_t *b, uint32_t n, struct ids_http *h,
			 struct ids_http_scratch *s)
{
	z_stream z;
	uint32_t out;
	int rc;

	rt_memset(&z, 0, sizeof(z));
	s->zused = 0;
	z.zalloc = zpool_alloc;
	z.zfree = zpool_free;
	z.opaque = s;
	if (inflateInit2(&z, 15 + 32) != Z_OK) {
		set(h, IDS_BUF_FILE_DATA, b, n); /* offline: no gunz, the raw body */
		return;
	}
	z.next_in = (z_const Bytef *)b;
	z.avail_in = n;
	z.next_out = s->unz;
	z.avail_out = IDS_HTTP_UNZ_MAX;
	rc = inflate(&z, Z_SYNC_FLUSH);
	out = IDS_HTTP_UNZ_MAX - z.avail_out;
	inflateEnd(&z);
	if (rc < 0 && !out)
		set(h, IDS_BUF_FILE_DATA, b, n);
	else
		set(h, IDS_BUF_FILE_DATA, s->unz, out);
}

static enum ids_http_kind parse_resp(const uint8_t *d, uint32_t n, bool head, bool any,
				     struct ids_http *h, struct ids_http_scratch *s)
{
	uint32_t le = 0, a, sp1, tel = 0, cel = 0, code = 0;
	const uint8_t *te = NULL, *ce = NULL, *sp, *const d0 = d;

	rt_memset(h, 0, sizeof(*h));
	if (n > IDS_HTTP_WIN_MAX)
		return IDS_HTTP_NONE;
	while (n && (*d == '\r' || *d == '\n')) /* between messages (http_data) */
		d++, n--;
	if (!n || (!any && (n < 5 || rt_memcmp(d, "HTTP/", 5))))
		return IDS_HTTP_NONE;
	while (le < n && d[le] != '\r' && d[le] != '\n')
		le++;
	a = block_end(d, n);
	if (!a)
		return IDS_HTTP_PARTIAL; /* the status line alone is not the offline engine's */
	h->hlen = a;
	/* the status line (the offline engine's field()): protocol, code,
	 * message (the rest of the line), the line */
	set(h, IDS_BUF_RESP_LINE, d, le);
	sp = find(d, ' ', le);
	set(h, IDS_BUF_PROTOCOL, d, sp ? (uint32_t)(sp - d) : le);
	if (sp) {
		sp1 = (uint32_t)(sp - d) + 1;
		sp = find(d + sp1, ' ', le - sp1);
		set(h, IDS_BUF_STAT_CODE, d + sp1, sp ? (uint32_t)(sp - d) - sp1 : le - sp1);
		if (sp)
			set(h, IDS_BUF_STAT_MSG, sp + 1, le - (uint32_t)(sp + 1 - d));
		/* the offline engine's: the code field's first 3 bytes, each
		 * byte less '0' in int, wrapped to 32 bits */
		for (uint32_t i = 0; i < h->len[IDS_BUF_STAT_CODE] && i < 3; i++)
			code = code * 10 + (uint32_t)((int)d[sp1 + i] - '0');
	}
	headers(d, a, h, s, resp_named, "set-cookie", &te, &tel, &ce, &cel);
	block(d, a, h);
	/* an interim (1xx) response's whole block, then another message in
	 * the segment (the final response after 100 Continue or 103 Early
	 * Hints, which the client takes with its body): where it starts, for
	 * the caller to parse and scan in turn, as the offline engine
	 * inspects each message */
	if (code / 100 == 1 && a < n) {
		const uint8_t *rest = d + a;
		uint32_t left = n - a;

		while (left && (*rest == '\r' || *rest == '\n'))
			rest++, left--;
		if (left >= 5 && !rt_memcmp(rest, "HTTP/", 5))
			h->next = (uint32_t)(d + a - d0);
	}
	h->code = code;
	h->ce = ce && (holds(ce, cel, "gzip", 4) || holds(ce, cel, "deflate", 7));
	h->upgrade = has_name(h, "\r\nupgrade\r\n");
	/* the body bytes given (no body: a HEAD's, 1xx, 204, 304) */
	if (head || code / 100 == 1 || code == 204 || code == 304)
		return IDS_HTTP_RESPONSE;
	if (te && chunked(te, tel)) {
		h->framing = IDS_HF_CHUNKED;
		if (a < n)
			set(h, IDS_BUF_FILE_DATA, s->body, dechunk(d + a, n - a, s->body));
	} else if (h->p[IDS_BUF_CONTENT_LEN]) {
		uint64_t cl = content_length(h->p[IDS_BUF_CONTENT_LEN], h->len[IDS_BUF_CONTENT_LEN]);

		h->framing = cl ? IDS_HF_CL : IDS_HF_NONE;
		h->clen = cl;
		if (cl && a < n)
			set(h, IDS_BUF_FILE_DATA, d + a, cl < n - a ? (uint32_t)cl : n - a);
	} else {
		h->framing = IDS_HF_CLOSE;
		if (a < n)
			set(h, IDS_BUF_FILE_DATA, d + a, n - a); /* to the connection's close */
	}
	if (h->p[IDS_BUF_FILE_DATA] && h->len[IDS_BUF_FILE_DATA]) {
		h->raw = h->p[IDS_BUF_FILE_DATA]; /* before any inflate: s->body or d */
		h->raw_len = h->len[IDS_BUF_FILE_DATA];
	}
	if (h->p[IDS_BUF_FILE_DATA] && h->ce && h->len[IDS_BUF_FILE_DATA]) {
		h->encoded = true; /* inflated here as offline (invariant 4) */
		inflate_body(h->p[IDS_BUF_FILE_DATA], h->len[IDS_BUF_FILE_DATA], h, s);
	}
	if (h->p[IDS_BUF_FILE_DATA] && !h->len[IDS_BUF_FILE_DATA])
		h->p[IDS_BUF_FILE_DATA] = NULL; /* an empty body is no buffer (offline) */
	return IDS_HTTP_RESPONSE;
}

enum ids_http_kind ids_http_parse(const uint8_t *d, uint32_t n, struct ids_http *h,
				  struct ids_http_scratch *s)
{
	return parse_req(d, n, false, h, s);
}

enum ids_http_kind ids_http_parse_resp(const uint8_t *d, uint32_t n, struct ids_http *h,
				       struct ids_http_scratch *s)
{
	return parse_resp(d, n, false, false, h, s);
}

enum ids_http_kind ids_http_parse_msg(const uint8_t *d, uint32_t n, bool resp, unsigned how,
				      struct ids_http *h, struct ids_http_scratch *s)
{
	return resp ? parse_resp(d, n, how & IDS_HTTP_HEAD, how & IDS_HTTP_ANY, h, s)
		    : parse_req(d, n, how & IDS_HTTP_ANY, h, s);
}

bool ids_http_starts(const uint8_t *d, uint32_t n, bool resp)
{
	if (resp) /* the offline engine's: the data's first bytes, no CR or LF skipped */
		return n >= 5 && !rt_memcmp(d, "HTTP/", 5);
	while (n && (*d == '\r' || *d == '\n'))
		d++, n--;
	return is_request(d, n);
}

/* ---- messages over a stream ---------------------------------------------- */

/* struct ids_http_trk's flags (the message's; the direction's is http) */
enum {
	HTF_LF = 1,	 /* HDR: the block's last byte is a LF */
	HTF_LF_CR = 2,	 /* HDR: its last two are LF, CR */
	HTF_CHECKED = 4, /* HDR: its start is a message's, or need not be */
	HTF_ENC = 8,	 /* the body is gzip or deflate (ids_http.ce) */
	HTF_LINE = 16,	 /* HDR: a request's line was inspected alone (PARTIAL) */
	HTF_RESYNC = 32, /* HDR: taken from out of step: its start must look like one */
};

void ids_http_trk_reset(struct ids_http_trk *t)
{
	rt_memset(t, 0, sizeof(*t));
	t->state = IDS_HT_HDR;
}

/* RFC 9110's tchar: a method token's bytes. */
static bool tchar(uint8_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
	       (c && find((const uint8_t *)"!#$%&'*+-.^_`|~", c, 15));
}

/* The longest method token taken for one (WebDAV's are at most 16
 * bytes): a run of token bytes longer is no request line, so that a flow
 * of such bytes is not held undecided. */
#define REQ_METHOD_MAX 32u

/* Whether d[0 .. n) starts a request line of RFC 9112's form, whatever
 * its method (a token, a space, a target, a space, "HTTP/", letters
 * folded): 2 yes, 1 too few bytes to say, 0 no. */
static int req_line(const uint8_t *d, uint32_t n)
{
	uint32_t i = 0, t;

	while (i < n && i <= REQ_METHOD_MAX && tchar(d[i]))
		i++;
	if (i > REQ_METHOD_MAX)
		return 0;
	if (i == n)
		return 1;
	if (!i || d[i++] != ' ')
		return 0;
	for (t = i; i < n && d[i] > ' ' && d[i] != 0x7f; i++)
		;
	if (i == n)
		return 1;
	if (i == t || d[i++] != ' ')
		return 0;
	for (t = 0; t < 5 && i + t < n; t++)
		if (lower(d[i + t]) != (uint8_t)"http/"[t])
			return 0;
	return t == 5 ? 2 : 1;
}

/* Whether d[0 .. n) starts a message of its side: 2 yes, 1 a prefix of a
 * start (too few bytes to say), 0 no. A request: a method the offline
 * engine knows and a space, or any request line (req_line); a response:
 * "HTTP/", letters folded. */
static int starts_msg(const uint8_t *d, uint32_t n, bool resp)
{
	static const char *const m[] = {"GET ",	    "POST ",	"HEAD ",    "PUT ",   "DELETE ",
					"OPTIONS ", "CONNECT ", "PATCH ", "TRACE ", "PROPFIND "};
	int best = 0;

	if (resp) {
		uint32_t k = n < 5 ? n : 5;

		for (uint32_t i = 0; i < k; i++)
			if (lower(d[i]) != (uint8_t)"http/"[i])
				return 0;
		return k == 5 ? 2 : 1;
	}
	for (unsigned i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		const char *w = m[i];
		uint32_t l = (uint32_t)rt_strlen(w), k = n < l ? n : l;

		if (!rt_memcmp(d, w, k))
			best = k == l ? 2 : best > 1 ? best : 1;
	}
	if (best < 2) {
		int r = req_line(d, n);

		best = r > best ? r : best;
	}
	return best;
}

/* A header block's bytes d[0 .. n): how many it takes, *end when its
 * empty line (the first LF after a LF, or after LF CR) or
 * IDS_HTTP_BLOCK_LIMIT bytes ended it (the offline engine's http_data). */
static uint32_t hdr_feed(struct ids_http_trk *t, const uint8_t *d, uint32_t n, bool *end)
{
	uint32_t i = 0;

	*end = false;
	while (i < n && !*end) {
		uint8_t c = d[i++], f = t->flags & (HTF_LF | HTF_LF_CR);

		t->hlen++;
		*end = (c == '\n' && f) || t->hlen >= IDS_HTTP_BLOCK_LIMIT;
		t->flags &= (uint8_t)~(HTF_LF | HTF_LF_CR);
		t->flags |= (uint8_t)(c == '\n' ? HTF_LF : (c == '\r' && (f & HTF_LF)) ? HTF_LF_CR : 0);
	}
	return i;
}

static uint32_t sat_add(uint32_t a, uint32_t b)
{
	return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

/* A body's bytes d[0 .. n) from t's state: how many it takes (its bytes,
 * dechunked, added to *w and, out not NULL, copied to out + *w); *done
 * when it ended. */
static uint32_t body_feed(struct ids_http_trk *t, const uint8_t *d, uint32_t n, uint8_t *out,
			  uint32_t *w, bool *done)
{
	uint32_t take = n;

	*done = false;
	if (t->state == IDS_HT_BODY_CL) {
		take = t->remain < n ? (uint32_t)t->remain : n;
		t->remain -= take;
		*done = !t->remain;
	} else if (t->state != IDS_HT_BODY_CLOSE) {
		return chunk_feed(t, d, n, out, w, done);
	}
	if (out)
		rt_memcpy(out + *w, d, take);
	*w += take;
	return take;
}

/* The message's body is over: between messages. */
static void msg_end(struct ids_http_trk *t)
{
	t->state = IDS_HT_HDR;
	t->hlen = 0;
	t->flags = 0;
	t->pend_full = 0; /* its body is over: nothing more to drop for it */
}

/* The header block that ended at w[p) (its start at w[p - t->hlen)):
 * parsed (its start was taken for a message's: whatever its line), its
 * framing taken, the flow's outstanding requests moved. false: it is no
 * message (v->lost when it is one that cannot be inspected whole). */
static bool block_done(struct ids_http_trk *t, struct ids_http_heads *q, bool resp,
		       const uint8_t *w, uint32_t wn, uint32_t p, struct ids_http *h,
		       struct ids_http_scratch *s, struct ids_http_view *v)
{
	unsigned how = IDS_HTTP_ANY;
	bool conn = false, upg = false, tunnel = false, final;
	enum ids_http_kind k;

	if (t->hlen > p) { /* its start left the window (the tail is full) */
		v->lost = true;
		return false;
	}
	if (resp && q->n && (q->bits & 1u))
		how |= IDS_HTTP_HEAD;
	k = ids_http_parse_msg(w + p - t->hlen, wn - (p - t->hlen), resp, how, h, s);
	if (k == IDS_HTTP_PARTIAL) /* cut at IDS_HTTP_BLOCK_LIMIT: not all parsed */
		v->lost = true;
	if (k != IDS_HTTP_REQUEST && k != IDS_HTTP_RESPONSE)
		return false;
	/* a final response answers the oldest request: a 101 with an
	 * Upgrade to one that asked for one is one, another 1xx is not */
	final = resp && (h->code / 100 != 1 ||
			 (h->code == 101 && h->upgrade && q->n && (q->upg & 1u)));
	if (final && !q->n && q->over) { /* which request it answers is not known */
		q->over--;
		v->lost = true;
		return false;
	}
	/* the direction is HTTP; its next block is a message whatever its
	 * start (1), or only if it starts like one (2): after a request for
	 * an Upgrade or a CONNECT (the server may switch), after an interim
	 * response (a 101 that did switch, unseen) */
	t->http = (!resp && (h->upgrade || h->connect)) || (resp && !final) ? 2 : 1;
	if (final && q->n) {
		conn = q->conn & 1u;
		upg = q->upg & 1u;
		q->bits >>= 1;
		q->conn >>= 1;
		q->upg >>= 1;
		q->n--;
	} else if (!resp && q->n < IDS_HTTP_HEADS && !q->over) {
		q->bits |= (uint32_t)h->head << q->n;
		q->conn |= (uint32_t)h->connect << q->n;
		q->upg |= (uint32_t)h->upgrade << q->n;
		q->n++;
	} else if (!resp && q->over < UINT16_MAX) {
		q->over++; /* past them: its response is lost */
	}
	/* a protocol switched (a 101 to an Upgrade), a CONNECT's tunnel open
	 * (2xx): what follows, both ways, is not HTTP; none of it is this
	 * one's body */
	tunnel = resp && ((h->code == 101 && upg && h->upgrade) || (conn && h->code / 100 == 2));
	if (tunnel) {
		q->tunnel = 1;
		h->p[IDS_BUF_FILE_DATA] = NULL;
		h->len[IDS_BUF_FILE_DATA] = 0;
	}
	t->raw = t->body = 0;
	t->flags = h->ce ? HTF_ENC : 0;
	t->remain = h->clen;
	t->line = 0;
	t->cz = CZ_BLANKS;
	t->state = tunnel			    ? IDS_HT_TUNNEL
		   : h->framing == IDS_HF_CL	    ? IDS_HT_BODY_CL
		   : h->framing == IDS_HF_CHUNKED ? IDS_HT_CHUNK_SIZE
		   : h->framing == IDS_HF_CLOSE   ? IDS_HT_BODY_CLOSE
						  : IDS_HT_HDR;
	if (t->state == IDS_HT_HDR) {
		t->remain = 0;
		msg_end(t);
	}
	v->kind = k;
	v->fresh = true;
	return true;
}

/* The body buffer of the message h holds (its side's). */
static unsigned body_buf(bool resp)
{
	return resp ? IDS_BUF_FILE_DATA : IDS_BUF_REQ_BODY;
}

bool ids_http_next(struct ids_http_trk *t, struct ids_http_heads *q, bool resp, const uint8_t *w,
		   uint32_t wn, uint32_t nb, uint32_t *at, struct ids_http *h,
		   struct ids_http_scratch *s, struct ids_http_view *v)
{
	const unsigned b = body_buf(resp);
	uint32_t p = *at;

	rt_memset(v, 0, sizeof(*v));
	if (q->tunnel)
		t->state = IDS_HT_TUNNEL;
	while (p < wn && t->state != IDS_HT_TUNNEL) {
		if (t->state == IDS_HT_LOST) {
			if (p != nb)
				break; /* out of step to the segment's end */
			msg_end(t); /* a segment's start may be a message's */
			t->flags = HTF_RESYNC;
		}
		if (t->state == IDS_HT_HDR) {
			uint32_t took, so;
			bool end;
			int st;

			if (!t->hlen) { /* between messages: empty lines, then its start */
				while (p < wn && (w[p] == '\r' || w[p] == '\n'))
					p++;
				if (p == wn)
					break;
				/* after a message of the direction, in step, a
				 * block is a message whatever its start (offline) */
				t->flags = t->http == 1 && !(t->flags & HTF_RESYNC) ? HTF_CHECKED
									       : t->flags & HTF_RESYNC;
				t->nfired = 0;
				t->npend = 0;
				t->pend_full = 0;
				t->shown = 0;
				t->unz = 0;
				t->msgs++;
			}
			took = hdr_feed(t, w + p, wn - p, &end);
			p += took;
			/* its start, while the window holds it: a message's, or out
			 * of step; one that left it undecided is no message's */
			so = t->hlen <= p ? p - t->hlen : UINT32_MAX;
			if (!(t->flags & HTF_CHECKED) && so == UINT32_MAX) {
				t->state = IDS_HT_LOST;
				break;
			}
			if (!(t->flags & HTF_CHECKED) && so != UINT32_MAX) {
				st = starts_msg(w + so, p - so, resp);
				if (!st || (end && st < 2)) {
					t->state = IDS_HT_LOST;
					break;
				}
				if (st == 2)
					t->flags |= HTF_CHECKED;
			}
			/* a request's line, once, while its block goes on
			 * (as the offline engine inspects a message cut short:
			 * what it has) */
			if (!end && !resp && !(t->flags & HTF_LINE) && so != UINT32_MAX &&
			    ids_http_parse_msg(w + so, p - so, false, IDS_HTTP_ANY, h, s) ==
				    IDS_HTTP_PARTIAL &&
			    h->p[IDS_BUF_REQ_LINE]) {
				t->flags |= HTF_LINE;
				v->kind = IDS_HTTP_PARTIAL;
				v->fresh = true;
				*at = p;
				return true;
			}
			if (!end)
				break;
			if (!block_done(t, q, resp, w, wn, p, h, s, v)) {
				t->state = IDS_HT_LOST;
				*at = v->lost ? p : wn;
				return v->lost;
			}
			/* its body's bytes here: the parse took them (inflate read
			 * what follows its block: charged to the message) */
			t->shown = h->p[b] ? h->len[b] : 0;
			t->unz = h->encoded ? sat_add(t->shown, wn - p) : 0;
			if (t->state != IDS_HT_HDR) {
				uint32_t out = 0;
				bool done;

				took = body_feed(t, w + p, wn - p, NULL, &out, &done);
				t->raw = sat_add(t->raw, took);
				t->body = sat_add(t->body, out);
				p += took;
				if (done)
					msg_end(t);
			}
			*at = p;
			return true;
		}
		/* a body that goes on from an earlier segment */
		{
			const uint32_t from = p, before = t->body;
			const uint64_t back = (uint64_t)t->hlen + t->raw; /* to its message's start */
			const bool whole = back <= p && t->hlen < UINT32_MAX && t->raw < UINT32_MAX;
			const bool chunks = t->state >= IDS_HT_CHUNK_SIZE;
			const bool enc = t->flags & HTF_ENC;
			uint32_t out = 0, took, end, bs;
			bool done;

			took = body_feed(t, w + p, wn - p, whole || !chunks ? NULL : s->body, &out,
					 &done);
			t->raw = sat_add(t->raw, took);
			t->body = sat_add(t->body, out);
			p += took;
			end = p;
			if (done)
				msg_end(t);
			/* an encoded body whose inflated bytes reached the
			 * room's end shows nothing more, and one inflated
			 * IDS_HTTP_UNZ_MSG bytes for its views is not inflated
			 * again */
			if (whole &&
			    !(enc && (t->shown >= IDS_HTTP_UNZ_MAX || t->unz >= IDS_HTTP_UNZ_MSG))) {
				/* parsed again from its start, with the new bytes */
				const uint32_t so = from - (uint32_t)back;
				enum ids_http_kind k;

				k = ids_http_parse_msg(w + so, end - so, resp, IDS_HTTP_ANY, h, s);
				if (k != IDS_HTTP_REQUEST && k != IDS_HTTP_RESPONSE)
					continue; /* cannot be: it parsed when its block ended */
				v->body_min = t->shown < (h->p[b] ? h->len[b] : 0) ? t->shown
										 : h->len[b];
				t->shown = h->p[b] ? h->len[b] : 0;
				if (h->encoded) /* what it read and wrote */
					t->unz = sat_add(sat_add(t->unz, t->shown), end - so);
				v->kind = k;
				*at = p;
				return true;
			}
			/* its start is gone: the body alone, as far as the
			 * offline engine keeps it; an encoded one is not
			 * inflated past its first window */
			if (whole || enc || before >= IDS_HTTP_BODY_LIMIT || !out)
				continue;
			if (out > IDS_HTTP_BODY_LIMIT - before)
				out = IDS_HTTP_BODY_LIMIT - before;
			rt_memset(h, 0, sizeof(*h));
			if (chunks) {
				set(h, b, s->body, out);
			} else {
				/* with the body's bytes before them in the window */
				bs = t->raw - took <= from ? from - (t->raw - took) : 0;
				set(h, b, w + bs, from - bs + out);
				v->body_min = from - bs;
			}
			t->shown = h->len[b];
			if (resp) { /* not encoded (enc above): file.data is the body */
				h->raw = h->p[b];
				h->raw_len = h->len[b];
			}
			v->kind = resp ? IDS_HTTP_RESPONSE : IDS_HTTP_REQUEST;
			*at = p;
			return true;
		}
	}
	*at = wn;
	return false;
}
