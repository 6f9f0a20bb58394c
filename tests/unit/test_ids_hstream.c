/* SPDX-License-Identifier: MIT */
/* HTTP messages over a TCP stream in-line (src/ids/http.c, ids_http_next):
 * random streams of pipelined requests and responses (Content-Length,
 * chunked and close-delimited bodies, interim responses, HEAD, empty lines
 * between messages) cut into random segments and fed as the ids layer
 * feeds them (a 4 KiB tail before each segment's new bytes) give each
 * message's header buffers exactly once, as the message parsed whole
 * gives them, and its body's bytes each once, in order; a header block
 * longer than the window is reported lost; a hostile segment never reads
 * or writes out of bounds (ASan). */
#include "unit.h"
#include <stdlib.h>
#include <zlib.h>

#include "ids/blob.h"
#include "ids/http.h"
#include "ids/stream.h"

static struct ids_http_scratch *room, *room2;
static struct ids_http h, want;

#define STREAM_MAX (1u << 20)
#define MSGS_MAX 32u

/* One generated message: where it is in the stream, its side, whether its
 * request was HEAD (a response's), and its body's bytes as the whole
 * message's parse gives them. */
struct msg {
	uint32_t at, len;
	bool head;
	uint8_t *body;
	uint32_t blen;
};

static uint8_t *stream;
static uint32_t slen;
static struct msg msgs[MSGS_MAX];
static uint32_t nmsgs;

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)random() % n : 0;
}

static void put(const char *s, uint32_t n)
{
	assert_true(slen + n <= STREAM_MAX);
	memcpy(stream + slen, s, n);
	slen += n;
}

static void puts_(const char *s)
{
	put(s, (uint32_t)strlen(s));
}

static void putf(const char *fmt, unsigned long v)
{
	char b[64];

	put(b, (uint32_t)snprintf(b, sizeof(b), fmt, v));
}

/* n body bytes: text with line breaks, and a message's start now and then
 * (which must stay body) */
static void body_bytes(uint32_t n)
{
	static const char noise[] = "HTTP/1.1 200 OK\r\nGET / HTTP/1.1\r\n\r\n\n\n";

	for (uint32_t i = 0; i < n; i++) {
		if (!rnd(500) && n - i > sizeof(noise)) {
			put(noise, sizeof(noise) - 1);
			i += sizeof(noise) - 2;
			continue;
		}
		stream[slen++] = (uint8_t)(rnd(8) ? 'a' + rnd(26) : rnd(2) ? '\n' : '\r');
	}
}

/* A chunked body of about n bytes: chunks with size lines in the forms
 * strtoull takes (case, extensions, "0x", blanks), then a trailer. */
static void chunked_body(uint32_t n)
{
	while (n) {
		uint32_t c = 1 + rnd(n < 3000 ? n : 3000);
		static const char *const fmt[] = {"%lx\r\n", "%lX;ext=1\r\n", "0x%lx\r\n", " %lx \r\n",
						  "%lx\n", "00%lx\r\n"};

		putf(fmt[rnd(6)], c);
		body_bytes(c);
		puts_(rnd(3) ? "\r\n" : rnd(2) ? "\n" : "junk\r\n"); /* to a LF */
		n -= c;
	}
	puts_(rnd(2) ? "0\r\n\r\n" : "0\r\nX-Trailer: 1\r\n\r\n");
}

/* A header block's padding header of about n bytes. */
static void pad(uint32_t n)
{
	puts_("X-Pad: ");
	for (uint32_t i = 0; i < n; i++)
		stream[slen++] = (uint8_t)('A' + rnd(26));
	puts_("\r\n");
}

/* A random stream of requests (resp false) or responses. */
static void gen(bool resp)
{
	static const char *const methods[] = {"GET", "POST", "HEAD", "PUT", "DELETE"};

	slen = nmsgs = 0;
	for (uint32_t k = 0, n = 1 + rnd(8); k < n && nmsgs + 2 < MSGS_MAX; k++) {
		struct msg *m;
		uint32_t bl = rnd(4) ? rnd(2000) : rnd(30000), f = rnd(3);
		bool last = k + 1 == n;

		if (rnd(4))
			puts_(rnd(2) ? "\r\n" : "\n\r\n");
		if (resp && !rnd(5)) { /* an interim response first */
			m = &msgs[nmsgs++];
			memset(m, 0, sizeof(*m));
			m->at = slen;
			puts_(rnd(2) ? "HTTP/1.1 100 Continue\r\n\r\n" : "HTTP/1.1 103 Early\r\nLink: x\r\n\r\n");
			m->len = slen - m->at;
		}
		m = &msgs[nmsgs++];
		memset(m, 0, sizeof(*m));
		m->at = slen;
		if (resp) {
			uint32_t code = rnd(6) ? 200 : rnd(2) ? 204 : 304;

			m->head = !rnd(6);
			putf("HTTP/1.1 %lu X\r\n", code);
			puts_("Server: t\r\nContent-Type: text/html\r\n");
			if (rnd(3) == 0)
				pad(rnd(3000));
			if (code != 200 || m->head) { /* no body, whatever it says */
				putf("Content-Length: %lu\r\n\r\n", bl);
			} else if (f == 0) {
				putf("Content-Length: %lu\r\n\r\n", bl);
				body_bytes(bl);
			} else if (f == 1) {
				puts_("Transfer-Encoding: chunked\r\n\r\n");
				chunked_body(bl);
			} else if (last) {
				puts_("Connection: close\r\n\r\n");
				body_bytes(bl);
			} else {
				puts_("Content-Length: 0\r\n\r\n");
			}
		} else {
			const char *meth = methods[rnd(5)];

			puts_(meth);
			putf(" /p?q=%lu HTTP/1.1\r\nHost: h.test\r\n", rnd(1000));
			if (rnd(3) == 0)
				pad(rnd(3000));
			if (f == 0 && bl) {
				putf("Content-Length: %lu\r\n\r\n", bl);
				body_bytes(bl);
			} else if (f == 1) {
				puts_("Transfer-Encoding: Chunked\r\n\r\n");
				chunked_body(bl);
			} else {
				puts_("\r\n");
			}
		}
		m->len = slen - m->at;
	}
}

/* Each message's expected buffers: parsed whole (its own bytes), into
 * room2; its body kept. */
static enum ids_http_kind expect(const struct msg *m, bool resp)
{
	return ids_http_parse_msg(stream + m->at, m->len, resp, m->head ? IDS_HTTP_HEAD : 0, &want,
				  room2);
}

/* The stream cut into segments (sizes from cut()), each fed with up to
 * IDS_STREAM_TAIL bytes before it, as the layer does; every view checked
 * against the messages parsed whole. */
static void feed(bool resp, uint32_t (*cut)(void))
{
	static uint8_t win[IDS_STREAM_TAIL + IDS_STREAM_SEG_MAX];
	static uint8_t got[MSGS_MAX][64 * 1024];
	uint32_t glen[MSGS_MAX] = {0}, fresh = 0, partial = 0, lost = 0;
	struct ids_http_trk t;
	struct ids_http_heads q;

	memset(&q, 0, sizeof(q));
	const unsigned body = resp ? IDS_BUF_FILE_DATA : IDS_BUF_REQ_BODY;
	int cur = -1;

	ids_http_trk_reset(&t);
	if (resp) /* the responses' HEAD requests, in order (final responses only) */
		for (uint32_t i = 0; i < nmsgs; i++) {
			bool interim = !memcmp(stream + msgs[i].at, "HTTP/1.1 1", 10);

			if (!interim) {
				q.bits |= (uint32_t)msgs[i].head << q.n;
				q.n++;
			}
		}
	for (uint32_t off = 0; off < slen;) {
		uint32_t n = cut(), tl = off < IDS_STREAM_TAIL ? off : IDS_STREAM_TAIL, at = tl;
		struct ids_http_view v;

		if (n > slen - off)
			n = slen - off;
		memcpy(win, stream + off - tl, tl);
		memcpy(win + tl, stream + off, n);
		while (ids_http_next(&t, &q, resp, win, tl + n, tl, &at, &h, room, &v)) {
			assert_false(v.lost); /* no block here is longer than the tail */
			if (v.kind == IDS_HTTP_PARTIAL) {
				/* a request's line alone, before its block ends */
				assert_false(resp);
				assert_true(cur + 1 < (int)nmsgs);
				assert_int_equal(expect(&msgs[cur + 1], resp), IDS_HTTP_REQUEST);
				assert_int_equal(h.len[IDS_BUF_REQ_LINE], want.len[IDS_BUF_REQ_LINE]);
				assert_memory_equal(h.p[IDS_BUF_REQ_LINE], want.p[IDS_BUF_REQ_LINE],
						    h.len[IDS_BUF_REQ_LINE]);
				partial++;
				continue;
			}
			assert_int_equal(v.kind, resp ? IDS_HTTP_RESPONSE : IDS_HTTP_REQUEST);
			/* a response's body as it came: file.data's bytes unless
			 * inflated (walk_msg's packet contents) */
			if (resp && h.p[IDS_BUF_FILE_DATA] && !h.encoded) {
				assert_ptr_equal(h.raw, h.p[IDS_BUF_FILE_DATA]);
				assert_int_equal(h.raw_len, h.len[IDS_BUF_FILE_DATA]);
			}
			assert_int_equal(!!h.raw, resp && h.p[IDS_BUF_FILE_DATA]);
			if (v.fresh) { /* the next message, its header buffers as whole */
				cur++;
				fresh++;
				assert_true(cur < (int)nmsgs);
				assert_int_equal(expect(&msgs[cur], resp), v.kind);
				assert_int_equal(v.body_min, 0);
				for (unsigned b = 1; b < IDS_BLOB_BUFS; b++) {
					if (b == body)
						continue;
					assert_int_equal(!h.p[b], !want.p[b]);
					if (!want.p[b])
						continue;
					assert_int_equal(h.len[b], want.len[b]);
					assert_memory_equal(h.p[b], want.p[b], want.len[b]);
				}
			}
			assert_true(cur >= 0);
			/* the body's new bytes follow what came before */
			if (h.p[body]) {
				uint32_t add = h.len[body] - v.body_min;

				assert_true(v.body_min <= h.len[body]);
				/* its old bytes are the body's last ones before
				 * the new (all the tail has of an identity one) */
				assert_true(v.body_min <= glen[cur]);
				assert_memory_equal(h.p[body], got[cur] + glen[cur] - v.body_min,
						    v.body_min);
				if (expect(&msgs[cur], resp) && want.framing != IDS_HF_CHUNKED)
					assert_int_equal(v.body_min, glen[cur] < tl ? glen[cur] : tl);
				assert_true(glen[cur] + add <= sizeof(got[0]));
				memcpy(got[cur] + glen[cur], h.p[body] + v.body_min, add);
				glen[cur] += add;
			} else {
				assert_int_equal(v.body_min, 0);
			}
		}
		assert_int_equal(at, tl + n);
		off += n;
	}
	(void)lost;
	assert_int_equal(fresh, nmsgs);
	for (uint32_t i = 0; i < nmsgs; i++) {
		assert_int_equal(expect(&msgs[i], resp), resp ? IDS_HTTP_RESPONSE : IDS_HTTP_REQUEST);
		assert_int_equal(glen[i], want.p[body] ? want.len[body] : 0);
		if (glen[i])
			assert_memory_equal(got[i], want.p[body], glen[i]);
	}
	if (!resp) /* the HEAD requests queued, in order */
		for (uint32_t i = 0; i < nmsgs && i < 32; i++)
			assert_int_equal(q.bits >> i & 1, !memcmp(stream + msgs[i].at, "HEAD ", 5));
	else
		assert_int_equal(q.n, 0);
	(void)partial;
}

static uint32_t cut_tiny(void)
{
	return 1 + rnd(7);
}

static uint32_t cut_mss(void)
{
	return 1 + rnd(1460);
}

static uint32_t cut_mixed(void)
{
	return rnd(3) ? 1 + rnd(2000) : 1 + rnd(IDS_STREAM_SEG_MAX);
}

static uint32_t cut_all(void)
{
	return IDS_STREAM_SEG_MAX;
}

static void test_random(void **state)
{
	uint32_t (*const cuts[])(void) = {cut_tiny, cut_mss, cut_mixed, cut_all};

	srandom(12);
	for (unsigned i = 0; i < 1200; i++) {
		bool resp = i & 1;

		gen(resp);
		feed(resp, cuts[i % 4]);
	}
}

/* The evasions: a response's header block split (its start in one segment,
 * its end in the next) gives the whole response's buffers where it ends;
 * a body that starts a segment of its own is file.data there; a gzip body
 * in the segment after its block is inflated; a block longer than the
 * window is reported lost. */
static void test_split(void **state)
{
	static uint8_t win[IDS_STREAM_TAIL + IDS_STREAM_SEG_MAX];
	static const char s1[] = "HTTP/1.1 200 OK\r\nServer: evil\r\n";
	static const char s2[] = "Content-Length: 5\r\n\r\nMZ\x90\x00\x03";
	struct ids_http_trk t;
	struct ids_http_heads q;

	memset(&q, 0, sizeof(q));
	struct ids_http_view v;
	uint32_t at, n;

	ids_http_trk_reset(&t);
	memcpy(win, s1, sizeof(s1) - 1);
	at = 0;
	assert_false(ids_http_next(&t, &q, true, win, sizeof(s1) - 1, 0, &at, &h, room, &v));
	memcpy(win + sizeof(s1) - 1, s2, sizeof(s2) - 1);
	n = sizeof(s1) - 1 + sizeof(s2) - 1;
	at = sizeof(s1) - 1;
	assert_true(ids_http_next(&t, &q, true, win, n, sizeof(s1) - 1, &at, &h, room, &v));
	assert_true(v.fresh);
	assert_int_equal(h.len[IDS_BUF_SERVER], 4);
	assert_memory_equal(h.p[IDS_BUF_SERVER], "evil", 4);
	assert_int_equal(h.len[IDS_BUF_FILE_DATA], 5);
	assert_memory_equal(h.p[IDS_BUF_FILE_DATA], "MZ", 2);
	assert_false(ids_http_next(&t, &q, true, win, n, sizeof(s1) - 1, &at, &h, room, &v));

	/* the block in one segment, its gzip body alone in the next */
	{
		static const char blk[] = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n";
		static const char text[] = "MZ this program cannot be run in DOS mode";
		uint8_t z[256];
		z_stream zs;
		uint32_t zl, bl = sizeof(blk) - 1;

		memset(&zs, 0, sizeof(zs));
		assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
				 Z_OK);
		zs.next_in = (Bytef *)(uintptr_t)text;
		zs.avail_in = sizeof(text) - 1;
		zs.next_out = z;
		zs.avail_out = sizeof(z);
		assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
		zl = (uint32_t)(sizeof(z) - zs.avail_out);
		deflateEnd(&zs);
		ids_http_trk_reset(&t);
		memcpy(win, blk, bl);
		at = 0;
		assert_true(ids_http_next(&t, &q, true, win, bl, 0, &at, &h, room, &v));
		assert_true(v.fresh);
		assert_null(h.p[IDS_BUF_FILE_DATA]);
		assert_false(ids_http_next(&t, &q, true, win, bl, 0, &at, &h, room, &v));
		memcpy(win + bl, z, zl);
		at = bl;
		assert_true(ids_http_next(&t, &q, true, win, bl + zl, bl, &at, &h, room, &v));
		assert_false(v.fresh);
		assert_int_equal(v.body_min, 0);
		assert_int_equal(h.len[IDS_BUF_FILE_DATA], sizeof(text) - 1);
		assert_memory_equal(h.p[IDS_BUF_FILE_DATA], text, sizeof(text) - 1);
	}

	/* a block of 6000 bytes in segments of 1460 (4096 bytes of tail):
	 * its end comes when its start is gone: lost, then out of step */
	{
		static uint8_t big[8192];
		uint32_t bl = 0, off = 0;
		bool was_lost = false;

		bl += (uint32_t)sprintf((char *)big, "HTTP/1.1 200 OK\r\nX-Pad: ");
		memset(big + bl, 'a', 6000);
		bl += 6000;
		bl += (uint32_t)sprintf((char *)big + bl, "\r\n\r\nbody");
		ids_http_trk_reset(&t);
		while (off < bl) {
			uint32_t tl = off < IDS_STREAM_TAIL ? off : IDS_STREAM_TAIL;
			uint32_t k = bl - off < 1460 ? bl - off : 1460;

			memcpy(win, big + off - tl, tl);
			memcpy(win + tl, big + off, k);
			at = tl;
			while (ids_http_next(&t, &q, true, win, tl + k, tl, &at, &h, room, &v)) {
				assert_true(v.lost);
				assert_int_equal(v.kind, IDS_HTTP_NONE);
				was_lost = true;
			}
			off += k;
		}
		assert_true(was_lost);
		assert_int_equal(t.state, IDS_HT_LOST);
		/* the next segment that starts a response is one */
		memcpy(win, "HTTP/1.1 204 No\r\n\r\n", 19);
		at = 0;
		assert_true(ids_http_next(&t, &q, true, win, 19, 0, &at, &h, room, &v));
		assert_true(v.fresh);
		assert_int_equal(h.len[IDS_BUF_STAT_CODE], 3);
	}
}

/* Feeds text as one segment after the stream so far (st[0 .. *sn), with
 * up to IDS_STREAM_TAIL bytes of it before) to t: the views' kinds and
 * their buffer b's bytes, "|"-separated, into out. */
static void seg(struct ids_http_trk *t, struct ids_http_heads *q, bool resp, uint8_t *st,
		uint32_t *sn, const char *text, uint32_t tn, unsigned b, char *out, size_t outn)
{
	static uint8_t win[IDS_STREAM_TAIL + IDS_STREAM_SEG_MAX];
	uint32_t tl = *sn < IDS_STREAM_TAIL ? *sn : IDS_STREAM_TAIL, at = tl;
	struct ids_http_view v;

	memcpy(st + *sn, text, tn);
	memcpy(win, st + *sn - tl, tl + tn);
	*sn += tn;
	out[0] = 0;
	while (ids_http_next(t, q, resp, win, tl + tn, tl, &at, &h, room, &v)) {
		size_t o = strlen(out);

		snprintf(out + o, outn - o, "%s%s:%.*s|", v.lost ? "lost" : v.fresh ? "new" : "body",
			 v.kind == IDS_HTTP_PARTIAL ? "(line)" : "", h.p[b] ? (int)h.len[b] : 0,
			 h.p[b] ? (const char *)h.p[b] : "");
	}
	assert_int_equal(at, tl + tn);
}

#define SEG(t, text, b) seg(&t, &q, resp, st, &sn, text, sizeof(text) - 1, b, out, sizeof(out))

/* A flow's later messages are messages whatever their start line, as the
 * offline engine frames every block of a flow it took for HTTP: a method
 * it does not know, in one segment with a request after it, hides
 * neither; a lowercase or junk-led status line is a response; a message
 * whose request's HEAD is not known (past IDS_HTTP_HEADS pipelined) is
 * lost; a flow whose first bytes are no message is not HTTP. */
static void test_later(void **state)
{
	static uint8_t st[1 << 16];
	struct ids_http_trk t;
	struct ids_http_heads q;

	memset(&q, 0, sizeof(q));
	uint32_t sn = 0;
	char out[512];
	bool resp = false;

	ids_http_trk_reset(&t);
	SEG(t, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", IDS_BUF_URI);
	assert_string_equal(out, "new:/|");
	SEG(t, "MKCOL /x HTTP/1.1\r\nHost: a\r\n\r\nGET /evil HTTP/1.1\r\nHost: a\r\n\r\n",
	    IDS_BUF_URI);
	assert_string_equal(out, "new:/x|new:/evil|");
	SEG(t, "FOO /y HTTP/1.1\r\nHost: a\r\n", IDS_BUF_METHOD);
	assert_string_equal(out, "new(line):FOO|");

	/* responses: a lowercase status line, one junk byte before one */
	ids_http_trk_reset(&t);
	resp = true;
	sn = 0;
	q.n = 0;
	SEG(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", IDS_BUF_FILE_DATA);
	assert_string_equal(out, "new:ok|");
	SEG(t, "http/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL", IDS_BUF_FILE_DATA);
	assert_string_equal(out, "new:EVIL|");
	SEG(t, "xHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL2", IDS_BUF_FILE_DATA);
	assert_string_equal(out, "new:EVIL2|");

	/* a flow's first request with a method no engine lists is a
	 * request (its line's form), and so is the one after it */
	ids_http_trk_reset(&t);
	resp = false;
	sn = 0;
	SEG(t, "FOO / HTTP/1.1\r\nHost: a\r\n\r\nGET /evil1 HTTP/1.1\r\nHost: a\r\n\r\nG",
	    IDS_BUF_URI);
	assert_string_equal(out, "new:/|new:/evil1|");
	SEG(t, "ET /evil2 HTTP/1.1\r\n\r\n", IDS_BUF_URI);
	assert_string_equal(out, "new:/evil2|");

	/* a flow whose first bytes are no message: not HTTP, then one that
	 * starts a segment like a message is taken */
	ids_http_trk_reset(&t);
	sn = 0;
	SEG(t, "XYZ not http\r\n\r\nGET /a HTTP/1.1\r\n\r\n", IDS_BUF_URI);
	assert_string_equal(out, "");
	SEG(t, "GET /b HTTP/1.1\r\n\r\n", IDS_BUF_URI);
	assert_string_equal(out, "new:/b|");

	/* 33 pipelined HEADs: the 32 known ones' responses have no body,
	 * the 33rd's response is lost */
	ids_http_trk_reset(&t);
	sn = 0;
	memset(&q, 0, sizeof(q));
	for (unsigned i = 0; i < IDS_HTTP_HEADS + 1; i++)
		SEG(t, "HEAD / HTTP/1.1\r\n\r\n", IDS_BUF_URI);
	assert_int_equal(q.n, IDS_HTTP_HEADS);
	assert_int_equal(q.over, 1);
	ids_http_trk_reset(&t);
	resp = true;
	sn = 0;
	for (unsigned i = 0; i < IDS_HTTP_HEADS; i++) {
		SEG(t, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", IDS_BUF_FILE_DATA);
		assert_string_equal(out, "new:|");
	}
	SEG(t, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", IDS_BUF_FILE_DATA);
	assert_string_equal(out, "lost:|");
	assert_int_equal(t.state, IDS_HT_LOST);
	assert_int_equal(q.over, 0);
}

/* A flow whose first bytes are a long run of token bytes (hex, say) with
 * no empty line: no request line (its method would be too long), out of
 * step silently, never lost. */
static void test_tokens(void **state)
{
	static uint8_t st[1 << 17], run[1460];
	struct ids_http_trk t;
	struct ids_http_heads q;
	uint32_t sn = 0;
	char out[512];

	memset(&q, 0, sizeof(q));
	memset(run, 'a', sizeof(run));
	ids_http_trk_reset(&t);
	for (int i = 0; i < 60; i++) {
		seg(&t, &q, false, st, &sn, (const char *)run, sizeof(run), IDS_BUF_URI, out,
		    sizeof(out));
		assert_string_equal(out, "");
	}
	assert_int_equal(t.state, IDS_HT_LOST);
}

/* A switch the tracker does not take for one (a 101 without an Upgrade
 * header, to a request that asked for one): what follows both ways must
 * start like a message to be one (after an Upgrade request, after an
 * interim response), so the switched protocol's bytes (no empty line in
 * 70 KiB) put both directions out of step silently, never lost. */
static void test_switch_unseen(void **state)
{
	static uint8_t s0[1 << 18], s1[1 << 18], bin[1460];
	struct ids_http_trk c, sv;
	struct ids_http_heads q;
	uint32_t sn = 0, rn = 0;
	char out[512];

	memset(&q, 0, sizeof(q));
	for (unsigned i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 7 + 1) == '\n' ? 'x' : (uint8_t)(i * 7 + 1);
	ids_http_trk_reset(&c);
	ids_http_trk_reset(&sv);
	seg(&c, &q, false, s0, &sn, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", 40,
	    IDS_BUF_URI, out, sizeof(out));
	assert_string_equal(out, "new:/ws|");
	seg(&sv, &q, true, s1, &rn, "HTTP/1.1 101 X\r\n\r\n", 18, IDS_BUF_FILE_DATA, out,
	    sizeof(out));
	assert_string_equal(out, "new:|");
	assert_false(q.tunnel);
	for (int i = 0; i < 50; i++) {
		seg(&c, &q, false, s0, &sn, (const char *)bin, sizeof(bin), IDS_BUF_URI, out,
		    sizeof(out));
		assert_string_equal(out, "");
		seg(&sv, &q, true, s1, &rn, (const char *)bin, sizeof(bin), IDS_BUF_FILE_DATA, out,
		    sizeof(out));
		assert_string_equal(out, "");
	}
	assert_int_equal(c.state, IDS_HT_LOST);
	assert_int_equal(sv.state, IDS_HT_LOST);
}

/* A protocol switched (101) or a CONNECT's tunnel (2xx): what follows,
 * both ways, is not HTTP (not parsed, never lost), and the 2xx's bytes
 * after its block are no body. */
static void test_tunnel(void **state)
{
	static uint8_t s0[1 << 16], s1[1 << 16];
	struct ids_http_trk c, sv;
	struct ids_http_heads q;

	memset(&q, 0, sizeof(q));
	uint32_t sn = 0, rn = 0;
	char out[512];

#define CSEG(lit) seg(&c, &q, false, s0, &sn, lit, sizeof(lit) - 1, IDS_BUF_URI, out, sizeof(out))
#define SSEG(lit) \
	seg(&sv, &q, true, s1, &rn, lit, sizeof(lit) - 1, IDS_BUF_FILE_DATA, out, sizeof(out))
	for (int k = 0; k < 2; k++) {
		ids_http_trk_reset(&c);
		ids_http_trk_reset(&sv);
		memset(&q, 0, sizeof(q));
		sn = rn = 0;
		if (k == 0) {
			CSEG("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
			assert_string_equal(out, "new:/ws|");
			SSEG("HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\n\r\n\x81\x05hello");
		} else {
			CSEG("CONNECT a:443 HTTP/1.1\r\n\r\n");
			assert_string_equal(out, "new:a:443|");
			SSEG("HTTP/1.1 200 OK\r\n\r\n\x16\x03\x01\x02\x00");
		}
		assert_string_equal(out, "new:|");
		assert_true(q.tunnel);
		/* bytes with no empty line, and requests, both ways: nothing
		 * parsed, nothing lost */
		for (int i = 0; i < 50; i++) {
			CSEG("GET /x HTTP/1.1\r\nA: b\r\n\r\n");
			assert_string_equal(out, "");
			SSEG("\x81\x05hello no empty line");
			assert_string_equal(out, "");
		}
		assert_int_equal(c.state, IDS_HT_TUNNEL);
		assert_int_equal(sv.state, IDS_HT_TUNNEL);
	}
	/* a 101 nobody asked for is an interim response: the response
	 * after it is parsed, nothing is a tunnel */
	ids_http_trk_reset(&c);
	ids_http_trk_reset(&sv);
	memset(&q, 0, sizeof(q));
	sn = rn = 0;
	CSEG("GET / HTTP/1.1\r\n\r\n");
	SSEG("HTTP/1.1 101 X\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL");
	assert_string_equal(out, "new:|new:EVIL|");
	assert_false(q.tunnel);
	/* a CONNECT to a path (an origin's catch-all answers it 200), a 101
	 * without an Upgrade to a request with one: no tunnel either */
	for (int k = 0; k < 2; k++) {
		ids_http_trk_reset(&c);
		ids_http_trk_reset(&sv);
		memset(&q, 0, sizeof(q));
		sn = rn = 0;
		if (k == 0)
			CSEG("CONNECT /x HTTP/1.1\r\n\r\n");
		else
			CSEG("GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
		SSEG(k ? "HTTP/1.1 101 X\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL"
		       : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
		assert_false(q.tunnel);
		CSEG("GET /evil HTTP/1.1\r\n\r\n");
		assert_string_equal(out, "new:/evil|");
	}
#undef CSEG
#undef SSEG
}

/* A gzip body that inflates past the room, then its bytes one a segment:
 * inflated again while it shows more, then no more views (no inflate). */
static void test_bomb(void **state)
{
	static uint8_t st[1 << 20], zb[1 << 16];
	static uint8_t zeros[1 << 20];
	static uint8_t win[IDS_STREAM_TAIL + IDS_STREAM_SEG_MAX];
	struct ids_http_trk t;
	struct ids_http_heads q;

	memset(&q, 0, sizeof(q));
	struct ids_http_view v;
	z_stream z;
	uint32_t sn = 0, zl, views = 0;
	int n;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = zeros;
	z.avail_in = sizeof(zeros);
	z.next_out = zb;
	z.avail_out = sizeof(zb);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	zl = (uint32_t)(sizeof(zb) - z.avail_out);
	deflateEnd(&z);
	n = sprintf((char *)st, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
				"Content-Length: %u\r\n\r\n", zl);
	memcpy(st + n, zb, zl);
	ids_http_trk_reset(&t);
	/* the block and the body's first half, then a byte a segment */
	for (uint32_t off = 0, k = (uint32_t)n + zl / 2; off < (uint32_t)n + zl; off += k, k = 1) {
		uint32_t tl = off < IDS_STREAM_TAIL ? off : IDS_STREAM_TAIL, at = tl;

		memcpy(win, st + off - tl, tl + k);
		while (ids_http_next(&t, &q, true, win, tl + k, tl, &at, &h, room, &v)) {
			assert_true(h.len[IDS_BUF_FILE_DATA] <= IDS_HTTP_UNZ_MAX);
			views++;
		}
	}
	(void)sn;
	/* the first view and a few more until the room is full, not one a byte */
	assert_true(views >= 1);
	assert_true(views < zl / 4);
	assert_int_equal(t.state, IDS_HT_HDR);

	/* a body one byte short of the room, flushed, then empty stored
	 * blocks a byte a segment: inflated again until the message's budget
	 * (IDS_HTTP_UNZ_MSG), then not */
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = zeros;
	z.avail_in = IDS_HTTP_UNZ_MAX - 1;
	z.next_out = zb;
	z.avail_out = sizeof(zb);
	assert_int_equal(deflate(&z, Z_SYNC_FLUSH), Z_OK);
	zl = (uint32_t)(sizeof(zb) - z.avail_out);
	deflateEnd(&z);
	n = sprintf((char *)st, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n");
	memcpy(st + n, zb, zl);
	for (uint32_t i = 0; i < 400; i++) /* empty stored blocks, to the close */
		memcpy(st + n + zl + 5 * i, "\x00\x00\x00\xff\xff", 5);
	ids_http_trk_reset(&t);
	views = 0;
	for (uint32_t off = 0, k = (uint32_t)n + zl; off < (uint32_t)n + zl + 2000; off += k, k = 1) {
		uint32_t tl = off < IDS_STREAM_TAIL ? off : IDS_STREAM_TAIL, at = tl;

		memcpy(win, st + off - tl, tl + k);
		while (ids_http_next(&t, &q, true, win, tl + k, tl, &at, &h, room, &v))
			views++;
	}
	assert_true(views <= 1 + IDS_HTTP_UNZ_MSG / (IDS_HTTP_UNZ_MAX - 1));
}

/* A segment of anything against a direction in any state: every read in
 * the window, every write in the scratch (ASan), each call's position
 * moving on. */
static void test_hostile(void **state)
{
	static uint8_t win[IDS_STREAM_TAIL + IDS_STREAM_SEG_MAX];
	static const char *const bits[] = {"HTTP/1.1 200 OK\r\n", "GET / HTTP/1.1\r\n",
					   "Transfer-Encoding: chunked\r\n", "Content-Length: 3\r\n",
					   "Content-Length: -1\r\n", "\r\n", "\n", "ffffffffffffffffff\r\n",
					   "0\r\n", "-5\r\n", "HEAD / HTTP/1.1\r\n", "x"};
	struct ids_http_trk t;
	struct ids_http_heads q;

	memset(&q, 0, sizeof(q));
	struct ids_http_view v;

	srandom(7);
	for (unsigned i = 0; i < 3000; i++) {
		bool resp = i & 1;
		uint32_t off = 0;

		ids_http_trk_reset(&t);
		q.n = (uint8_t)rnd(33);
		q.bits = (uint32_t)random();
		slen = 0;
		for (uint32_t k = 0, n = rnd(60); k < n; k++) {
			if (rnd(3)) {
				puts_(bits[rnd(sizeof(bits) / sizeof(bits[0]))]);
			} else {
				uint32_t r = rnd(3000);

				for (uint32_t j = 0; j < r; j++)
					stream[slen++] = (uint8_t)random();
			}
		}
		while (off < slen) {
			uint32_t tl = off < IDS_STREAM_TAIL ? off : IDS_STREAM_TAIL, at = tl;
			uint32_t k = 1 + rnd(rnd(2) ? 50 : 5000), views = 0;

			if (k > slen - off)
				k = slen - off;
			memcpy(win, stream + off - tl, tl);
			memcpy(win + tl, stream + off, k);
			while (ids_http_next(&t, &q, resp, win, tl + k, tl, &at, &h, room, &v)) {
				assert_true(at <= tl + k);
				assert_true(++views <= k + 1);
			}
			assert_int_equal(at, tl + k);
			assert_true(q.n <= IDS_HTTP_HEADS + 1);
			off += k;
		}
	}
}

static int setup(void **state)
{
	room = malloc(sizeof(*room));
	room2 = malloc(sizeof(*room2));
	stream = malloc(STREAM_MAX);
	return room && room2 && stream ? 0 : -1;
}

static int teardown(void **state)
{
	free(room);
	free(room2);
	free(stream);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_later),
		cmocka_unit_test(test_tunnel),
		cmocka_unit_test(test_switch_unseen),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
