/* SPDX-License-Identifier: MIT */
/* HTTP in-line: the layer's request parser (src/ids/http.c) on normal and
 * hostile segments, which HTTP rules the in-line compiler loads
 * (tools/policy/ids_blob.c), the blob's buffers and their check
 * (src/ids/blob.c), and the databases per buffer scanned by Hyperscan on
 * the host over the parser's buffers. */
#include "unit.h"
#include <hs/hs.h>
#include <stdlib.h>
#include <zlib.h>

#include "ids.h"
#include "ids/blob.h"
#include "ids/http.h"
#include "ids_blob.h"
#include "ids_unit.h"

static struct ids_http h;
static struct ids_http_scratch *room;

static enum ids_http_kind parse(const char *s, size_t n)
{
	return ids_http_parse((const uint8_t *)s, (uint32_t)n, &h, room);
}

#define PARSE(s) parse(s, sizeof(s) - 1)

/* Buffer b is exactly want (want NULL: absent). */
static void buf_is(unsigned b, const char *want, size_t n)
{
	if (!want) {
		assert_null(h.p[b]);
		return;
	}
	assert_non_null(h.p[b]);
	assert_int_equal(h.len[b], n);
	assert_memory_equal(h.p[b], want, n);
}

#define BUF(b, s) buf_is(b, s, sizeof(s) - 1)
#define NOBUF(b) buf_is(b, NULL, 0)

static int setup(void **state)
{
	/* exactly its size: ASan sees a write past it */
	room = malloc(sizeof(*room));
	return room ? 0 : -1;
}

static int teardown(void **state)
{
	free(room);
	return 0;
}

static void test_request(void **state)
{
	assert_int_equal(PARSE("GET /index.html?q=1 HTTP/1.1\r\n"
			       "Host: WWW.Example.COM:8080\r\n"
			       "User-Agent:  Mozilla/5.0 (X11)  \r\n"
			       "Cookie: a=b\r\n"
			       "Referer: http://r.example/\r\n"
			       "Accept: */*\r\n"
			       "Content-Type: text/plain\r\n"
			       "Connection: close\r\n"
			       "\r\n"),
			 IDS_HTTP_REQUEST);
	BUF(IDS_BUF_METHOD, "GET");
	BUF(IDS_BUF_URI, "/index.html?q=1");
	BUF(IDS_BUF_URI_RAW, "/index.html?q=1");
	BUF(IDS_BUF_PROTOCOL, "HTTP/1.1");
	BUF(IDS_BUF_REQ_LINE, "GET /index.html?q=1 HTTP/1.1");
	BUF(IDS_BUF_HOST, "www.example.com"); /* lowercased, port stripped */
	BUF(IDS_BUF_HOST_RAW, "WWW.Example.COM:8080");
	BUF(IDS_BUF_UA, "Mozilla/5.0 (X11)"); /* trimmed both ends */
	BUF(IDS_BUF_COOKIE, "a=b");
	BUF(IDS_BUF_REFERER, "http://r.example/");
	BUF(IDS_BUF_ACCEPT, "*/*");
	BUF(IDS_BUF_CONTENT_TYPE, "text/plain");
	BUF(IDS_BUF_CONNECTION, "close");
	NOBUF(IDS_BUF_CONTENT_LEN);
	NOBUF(IDS_BUF_REQ_BODY);
	NOBUF(IDS_BUF_PKT);
	/* without the cookie, normalized "Name: value\r\n" */
	BUF(IDS_BUF_HEADER, "Host: WWW.Example.COM:8080\r\nUser-Agent: Mozilla/5.0 (X11)\r\n"
			    "Referer: http://r.example/\r\nAccept: */*\r\n"
			    "Content-Type: text/plain\r\nConnection: close\r\n");
	/* as sent, without the request line and the empty line */
	BUF(IDS_BUF_HEADER_RAW, "Host: WWW.Example.COM:8080\r\nUser-Agent:  Mozilla/5.0 (X11)  \r\n"
				"Cookie: a=b\r\nReferer: http://r.example/\r\nAccept: */*\r\n"
				"Content-Type: text/plain\r\nConnection: close\r\n");
	BUF(IDS_BUF_HEADER_NAMES, "\r\nHost\r\nUser-Agent\r\nCookie\r\nReferer\r\nAccept\r\n"
				  "Content-Type\r\nConnection\r\n\r\n");
	assert_int_equal(h.nh, 7);

	/* LF alone; the first header of a name; a POST's body up to its
	 * Content-Length */
	assert_int_equal(PARSE("POST /f HTTP/1.0\nhost: a\nHost: b\nContent-Length: 5\n\nhelloEXTRA"),
			 IDS_HTTP_REQUEST);
	BUF(IDS_BUF_HOST, "a");
	BUF(IDS_BUF_REQ_BODY, "hello");
	BUF(IDS_BUF_START, "POST /f HTTP/1.0\nhost: a\nHost: b\nContent-Length: 5\n\n");
	BUF(IDS_BUF_HEADER_RAW, "host: a\nHost: b\nContent-Length: 5\n");
	/* the body bytes that came, when fewer; with Transfer-Encoding
	 * chunked, dechunked (Content-Length then means nothing) */
	assert_int_equal(PARSE("PUT / HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc"), IDS_HTTP_REQUEST);
	BUF(IDS_BUF_REQ_BODY, "abc");
	assert_int_equal(PARSE("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3"
			       "\r\n\r\n2\r\nab\r\n"),
			 IDS_HTTP_REQUEST);
	BUF(IDS_BUF_REQ_BODY, "ab");
	/* no protocol: HTTP/0.9's form */
	assert_int_equal(PARSE("GET /x\r\n\r\n"), IDS_HTTP_REQUEST);
	BUF(IDS_BUF_URI_RAW, "/x");
	NOBUF(IDS_BUF_PROTOCOL);
	/* a chunked request body is dechunked (in any case), as offline; a
	 * Content-Length with a sign is read as strtoull reads it */
	assert_int_equal(PARSE("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"
			       "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"),
			 IDS_HTTP_REQUEST);
	BUF(IDS_BUF_REQ_BODY, "abcde");
	assert_int_equal(PARSE("POST / HTTP/1.1\r\nContent-Length: +2\r\n\r\nabc"),
			 IDS_HTTP_REQUEST);
	BUF(IDS_BUF_REQ_BODY, "ab");
}

static void test_uri(void **state)
{
	/* absolute form to its path, %XX decoded, then /./ and /../ */
	assert_int_equal(PARSE("GET http://Example.com/a/./b/../c%2fd%41?q=/../%2e HTTP/1.1\r\n\r\n"),
			 IDS_HTTP_REQUEST);
	BUF(IDS_BUF_URI, "/a/c/dA?q=/../.");
	BUF(IDS_BUF_URI_RAW, "http://Example.com/a/./b/../c%2fd%41?q=/../%2e");
	/* a bad or cut percent-encoding is kept as it is */
	assert_int_equal(PARSE("GET /%zz%4%g1%%41% HTTP/1.1\r\n\r\n"), IDS_HTTP_REQUEST);
	BUF(IDS_BUF_URI, "/%zz%4%g1%A%");
	/* /.. past the root, a trailing /. and /.. */
	assert_int_equal(PARSE("GET /../../a/. HTTP/1.1\r\n\r\n"), IDS_HTTP_REQUEST);
	BUF(IDS_BUF_URI, "/a/");
	assert_int_equal(PARSE("GET /a/b/.. HTTP/1.1\r\n\r\n"), IDS_HTTP_REQUEST);
	BUF(IDS_BUF_URI, "/a/");
	/* NULs are bytes like the others, in the URI and in a header */
	static const char nul[] = "GET /a%00b\0c HTTP/1.1\r\nUser-Agent: x\0y\r\n\r\n";
	assert_int_equal(parse(nul, sizeof(nul) - 1), IDS_HTTP_REQUEST);
	buf_is(IDS_BUF_URI, "/a\0b\0c", 6);
	buf_is(IDS_BUF_UA, "x\0y", 3);
}

static void test_hostile(void **state)
{
	static char big[IDS_HTTP_WIN_MAX + 2];
	size_t n;

	/* not a request: a response, a lower-case method, no space after it */
	assert_int_equal(PARSE("HTTP/1.1 200 OK\r\n\r\n"), IDS_HTTP_NONE);
	assert_int_equal(PARSE("get / HTTP/1.1\r\n\r\n"), IDS_HTTP_NONE);
	assert_int_equal(PARSE("GET/ HTTP/1.1\r\n\r\n"), IDS_HTTP_NONE);
	assert_int_equal(parse("", 0), IDS_HTTP_NONE);
	/* no end of the header block: the request line alone */
	assert_int_equal(PARSE("GET /p HTTP/1.1\r\nHost: a\r\nUser-Agent: u"), IDS_HTTP_PARTIAL);
	BUF(IDS_BUF_URI, "/p");
	BUF(IDS_BUF_METHOD, "GET");
	NOBUF(IDS_BUF_HOST);
	NOBUF(IDS_BUF_UA);
	NOBUF(IDS_BUF_HEADER);
	/* nor of the request line: nothing */
	assert_int_equal(PARSE("GET /p HTTP/1.1"), IDS_HTTP_PARTIAL);
	NOBUF(IDS_BUF_URI);
	NOBUF(IDS_BUF_METHOD);
	/* folding: the continuation line (no ':') is not joined; one with a
	 * ':' is a header of its own (the offline engine's) */
	assert_int_equal(PARSE("GET / HTTP/1.1\r\nX-A: 1\r\n  more\r\nUser-Agent: u\r\n\tx: y\r\n\r\n"),
			 IDS_HTTP_REQUEST);
	BUF(IDS_BUF_HEADER, "X-A: 1\r\nUser-Agent: u\r\n\tx: y\r\n");
	BUF(IDS_BUF_UA, "u");
	assert_int_equal(h.nh, 3);
	/* many headers: the first IDS_HTTP_HEADERS_MAX parsed, the rest in the
	 * raw buffers only */
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\n");
	for (unsigned i = 0; i < 200; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s: %u\r\n",
				      i == 150 ? "User-Agent" : "X", i);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
	assert_int_equal(parse(big, n), IDS_HTTP_REQUEST);
	assert_int_equal(h.nh, IDS_HTTP_HEADERS_MAX);
	NOBUF(IDS_BUF_UA);
	assert_int_equal(h.len[IDS_BUF_START], n);
	/* the longest segment, its header block ending in its last bytes;
	 * the worst growth of the normalized buffers (empty names and values,
	 * LF alone: ":\n" becomes ": \r\n") inside the scratch (ASan) */
	memset(big, 0, sizeof(big));
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\n");
	while (n + 2 < IDS_HTTP_WIN_MAX - 2) {
		big[n++] = ':';
		big[n++] = '\n';
	}
	while (n < IDS_HTTP_WIN_MAX - 2)
		big[n++] = 'a';
	big[n++] = '\n';
	big[n++] = '\n';
	assert_int_equal(n, IDS_HTTP_WIN_MAX);
	assert_int_equal(parse(big, n), IDS_HTTP_REQUEST);
	assert_int_equal(h.nh, IDS_HTTP_HEADERS_MAX);
	assert_int_equal(h.len[IDS_BUF_HEADER], 4 * IDS_HTTP_HEADERS_MAX);
	/* a huge header block without its end: partial; longer than a
	 * segment: not parsed */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	assert_int_equal(parse(big, IDS_HTTP_WIN_MAX), IDS_HTTP_PARTIAL);
	BUF(IDS_BUF_URI, "/");
	assert_int_equal(parse(big, IDS_HTTP_WIN_MAX + 1), IDS_HTTP_NONE);
	/* every prefix of a request parses within its bytes (ASan) */
	static const char req[] = "POST http://h/a/../%41 HTTP/1.1\r\nHost: H:1\r\nCookie: c\r\n"
				  "Content-Length: 4\r\n\r\nbody";
	for (size_t k = 0; k <= sizeof(req) - 1; k++) {
		char *c = malloc(k ? k : 1);

		memcpy(c, req, k);
		parse(c, k);
		free(c);
	}
}

/*
 * Requests a server takes as such, each written so that a parser that
 * misreads it hands no header or body buffer to the rules: every buffer
 * is there, as the server sees it.
 */
static void test_evasion(void **state)
{
	/* empty lines before the request line (servers skip them) */
	assert_int_equal(PARSE("\r\n\n\r\nGET /evil HTTP/1.1\r\nUser-Agent: sqlmap\r\n\r\n"),
			 IDS_HTTP_REQUEST);
	BUF(IDS_BUF_URI, "/evil");
	BUF(IDS_BUF_UA, "sqlmap");
	BUF(IDS_BUF_START, "GET /evil HTTP/1.1\r\nUser-Agent: sqlmap\r\n\r\n");
	assert_int_equal(PARSE("\r\n\r\n"), IDS_HTTP_NONE);
	assert_int_equal(PARSE("\r\nget / HTTP/1.1\r\n\r\n"), IDS_HTTP_NONE);
	/* a block ended by "\n\r\n" (a LF-ended line, then CRLF): nginx and
	 * Apache end it there and take the body after it */
	assert_int_equal(PARSE("POST /x HTTP/1.1\r\nUser-Agent: sqlmap\r\nContent-Length: 4\n\r\n"
			       "bodyX"),
			 IDS_HTTP_REQUEST);
	BUF(IDS_BUF_UA, "sqlmap");
	BUF(IDS_BUF_REQ_BODY, "body");
	BUF(IDS_BUF_HEADER_RAW, "User-Agent: sqlmap\r\nContent-Length: 4\n");
	BUF(IDS_BUF_HEADER, "User-Agent: sqlmap\r\nContent-Length: 4\r\n");
	assert_int_equal(PARSE("GET / HTTP/1.0\n\r\n"), IDS_HTTP_REQUEST);
	assert_int_equal(h.nh, 0);
	/* names compare with letters folded, nothing else: "User\rAgent" is
	 * not User-Agent, "uSeR-aGeNt" is */
	assert_int_equal(PARSE("GET / HTTP/1.1\r\nUser\rAgent: x\r\nHost\x1a: h\r\n\r\n"),
			 IDS_HTTP_REQUEST);
	NOBUF(IDS_BUF_UA);
	NOBUF(IDS_BUF_HOST);
	assert_int_equal(PARSE("GET / HTTP/1.1\r\nuSeR-aGeNt: x\r\n\r\n"), IDS_HTTP_REQUEST);
	BUF(IDS_BUF_UA, "x");
}

/* ---- the compiler and the blob ------------------------------------------- */


static enum ids_http_kind parse_resp(const char *s, size_t n)
{
	return ids_http_parse_resp((const uint8_t *)s, (uint32_t)n, &h, room);
}

#define PARSE_RESP(s) parse_resp(s, sizeof(s) - 1)

static void test_response(void **state)
{
	/* the status line, the named headers, Set-Cookie out of http.header,
	 * the body up to Content-Length */
	assert_int_equal(PARSE_RESP("\r\nHTTP/1.1 302 Found It\r\n"
				    "Server:  nginx/1.2 \r\n"
				    "Location: http://x/y\r\n"
				    "Set-Cookie: s=1\r\n"
				    "Content-Type: text/html\r\n"
				    "Content-Length: 4\r\n"
				    "\r\n"
				    "MZ\x90\x00tail"),
			 IDS_HTTP_RESPONSE);
	BUF(IDS_BUF_RESP_LINE, "HTTP/1.1 302 Found It");
	BUF(IDS_BUF_PROTOCOL, "HTTP/1.1");
	BUF(IDS_BUF_STAT_CODE, "302");
	BUF(IDS_BUF_STAT_MSG, "Found It");
	BUF(IDS_BUF_SERVER, "nginx/1.2");
	BUF(IDS_BUF_LOCATION, "http://x/y");
	BUF(IDS_BUF_COOKIE, "s=1");
	BUF(IDS_BUF_CONTENT_TYPE, "text/html");
	BUF(IDS_BUF_HEADER, "Server: nginx/1.2\r\nLocation: http://x/y\r\n"
			    "Content-Type: text/html\r\nContent-Length: 4\r\n");
	BUF(IDS_BUF_HEADER_NAMES, "\r\nServer\r\nLocation\r\nSet-Cookie\r\nContent-Type\r\n"
				  "Content-Length\r\n\r\n");
	BUF(IDS_BUF_FILE_DATA, "MZ\x90\x00");
	NOBUF(IDS_BUF_URI);
	NOBUF(IDS_BUF_HOST);
	NOBUF(IDS_BUF_UA);
	assert_false(h.encoded);

	/* chunked: the chunks' bytes, an extension and "0x" as strtoull reads
	 * them, a cut chunk's bytes up to the segment's end */
	assert_int_equal(PARSE_RESP("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				    "3;ext=1\r\nabc\r\n0x2\r\nde\r\n 4\r\nfg"),
			 IDS_HTTP_RESPONSE);
	BUF(IDS_BUF_FILE_DATA, "abcdefg");
	assert_int_equal(PARSE_RESP("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				    "2\r\nab\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n"),
			 IDS_HTTP_RESPONSE);
	BUF(IDS_BUF_FILE_DATA, "ab");
	/* a negated or saturated size: the rest of the segment */
	assert_int_equal(PARSE_RESP("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				    "-1\r\nabc"),
			 IDS_HTTP_RESPONSE);
	BUF(IDS_BUF_FILE_DATA, "abc");
	assert_int_equal(PARSE_RESP("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				    "fffffffffffffffffff\r\nxyz"),
			 IDS_HTTP_RESPONSE);
	BUF(IDS_BUF_FILE_DATA, "xyz");
	/* Chunked in any case (RFC 9112; curl, browsers); Content-Length as
	 * strtoull reads it: a sign, blanks; negated: the segment's rest */
	assert_int_equal(PARSE_RESP("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, ChUnKeD\r\n\r\n"
				    "2\r\nab\r\n0\r\n\r\n"),
			 IDS_HTTP_RESPONSE);
	/* (gzip named first: "ab" is no gzip stream, kept raw, as offline) */
	BUF(IDS_BUF_FILE_DATA, "ab");
	assert_int_equal(PARSE_RESP("HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nabcdef"),
			 IDS_HTTP_RESPONSE);
	BUF(IDS_BUF_FILE_DATA, "abc");
	assert_int_equal(PARSE_RESP("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nabcdef"),
			 IDS_HTTP_RESPONSE);
	BUF(IDS_BUF_FILE_DATA, "abcdef");
	/* 1xx, then the final response in the same segment: each in turn
	 * (next), the final one with its body (the client takes it), as the
	 * offline engine inspects each message */
	static const char early[] = "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
				    "HTTP/1.1 100 Continue\r\n\r\n\r\n"
				    "HTTP/1.1 200 OK\r\nServer: s\r\nContent-Length: 2\r\n\r\nMZxx";
	uint32_t off = 0;

	assert_int_equal(parse_resp(early, sizeof(early) - 1), IDS_HTTP_RESPONSE);
	BUF(IDS_BUF_STAT_CODE, "103");
	NOBUF(IDS_BUF_FILE_DATA);
	assert_int_not_equal(h.next, 0);
	off += h.next;
	assert_int_equal(parse_resp(early + off, sizeof(early) - 1 - off), IDS_HTTP_RESPONSE);
	BUF(IDS_BUF_STAT_CODE, "100");
	assert_int_not_equal(h.next, 0);
	off += h.next;
	assert_int_equal(parse_resp(early + off, sizeof(early) - 1 - off), IDS_HTTP_RESPONSE);
	BUF(IDS_BUF_STAT_CODE, "200");
	BUF(IDS_BUF_SERVER, "s");
	BUF(IDS_BUF_FILE_DATA, "MZ");
	assert_int_equal(h.next, 0);
	assert_int_equal(PARSE_RESP("HTTP/1.1 100 Continue\r\n\r\nnot a response"),
			 IDS_HTTP_RESPONSE);
	BUF(IDS_BUF_STAT_CODE, "100");
	NOBUF(IDS_BUF_FILE_DATA);
	assert_int_equal(h.next, 0);
	/* no length: to the close */
	assert_int_equal(PARSE_RESP("HTTP/1.0 200 OK\r\n\r\nbody"), IDS_HTTP_RESPONSE);
	BUF(IDS_BUF_FILE_DATA, "body");
	/* no body: 204, 304, 1xx; an encoded one that inflates to nothing
	 * without failing (a gzip header's first bytes: offline's too) */
	assert_int_equal(PARSE_RESP("HTTP/1.1 204 No Content\r\n\r\nbody"), IDS_HTTP_RESPONSE);
	NOBUF(IDS_BUF_FILE_DATA);
	assert_int_equal(PARSE_RESP("HTTP/1.1 304 Not Modified\r\n\r\nbody"), IDS_HTTP_RESPONSE);
	NOBUF(IDS_BUF_FILE_DATA);
	assert_int_equal(PARSE_RESP("HTTP/1.1 100 Continue\r\n\r\nbody"), IDS_HTTP_RESPONSE);
	NOBUF(IDS_BUF_FILE_DATA);
	assert_int_equal(PARSE_RESP("HTTP/1.1 200 OK\r\nContent-Encoding: x-gzip\r\n\r\n\x1f\x8b"),
			 IDS_HTTP_RESPONSE);
	NOBUF(IDS_BUF_FILE_DATA);
	assert_true(h.encoded);
	/* Content-Length 0: no body */
	assert_int_equal(PARSE_RESP("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nbody"),
			 IDS_HTTP_RESPONSE);
	NOBUF(IDS_BUF_FILE_DATA);
	/* no whole block: nothing; not a response: nothing */
	assert_int_equal(PARSE_RESP("HTTP/1.1 200 OK\r\nServer: x\r\n"), IDS_HTTP_PARTIAL);
	NOBUF(IDS_BUF_STAT_CODE);
	assert_int_equal(PARSE_RESP("GET / HTTP/1.1\r\n\r\n"), IDS_HTTP_NONE);
	assert_int_equal(PARSE_RESP("HTTP"), IDS_HTTP_NONE);
	/* a status line without spaces */
	assert_int_equal(PARSE_RESP("HTTP/1.1\r\n\r\nx"), IDS_HTTP_RESPONSE);
	BUF(IDS_BUF_PROTOCOL, "HTTP/1.1");
	NOBUF(IDS_BUF_STAT_CODE);
	BUF(IDS_BUF_FILE_DATA, "x");

	/* Hostile: a full segment of one-byte chunks dechunks within the room
	 * (ASan: room is exactly its size), and one of size lines alone */
	static char seg[IDS_HTTP_WIN_MAX];
	static const char head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	size_t at = sizeof(head) - 1;
	memcpy(seg, head, at);
	while (at + 6 <= sizeof(seg)) {
		memcpy(seg + at, "1\r\nQ\r\n", 6);
		at += 6;
	}
	memset(seg + at, 'Q', sizeof(seg) - at);
	assert_int_equal(parse_resp(seg, sizeof(seg)), IDS_HTTP_RESPONSE);
	assert_int_equal(h.len[IDS_BUF_FILE_DATA], (sizeof(seg) - sizeof(head) + 1) / 6);
	for (uint32_t i = 0; i < h.len[IDS_BUF_FILE_DATA]; i++)
		assert_int_equal(h.p[IDS_BUF_FILE_DATA][i], 'Q');
	memset(seg + sizeof(head) - 1, '\n', sizeof(seg) - sizeof(head) + 1);
	assert_int_equal(parse_resp(seg, sizeof(seg)), IDS_HTTP_RESPONSE);
	NOBUF(IDS_BUF_FILE_DATA);
	/* longer than a segment: not parsed */
	char *big = malloc(IDS_HTTP_WIN_MAX + 1);
	memcpy(big, "HTTP/1.1 200 OK\r\n\r\n", 19);
	memset(big + 19, 'x', IDS_HTTP_WIN_MAX + 1 - 19);
	assert_int_equal(parse_resp(big, IDS_HTTP_WIN_MAX + 1), IDS_HTTP_NONE);
	free(big);
}

/* src[0 .. n) compressed by the host's zlib (deflateInit2's windowBits:
 * 31 gzip, 15 zlib, -15 raw deflate) into dst (room m): its length. */
static size_t zip(const void *src, size_t n, int wbits, uint8_t *dst, size_t m)
{
	z_stream z = {0};

	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, wbits, 9, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)src;
	z.avail_in = (uInt)n;
	z.next_out = dst;
	z.avail_out = (uInt)m;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return m - z.avail_out;
}

/* A response segment: head, then body[0 .. n), chunked (one chunk) or
 * with Content-Length; its length. */
static size_t resp_seg(char *seg, size_t m, const char *enc, const uint8_t *body, size_t n,
		       bool chunked)
{
	int k = chunked ? snprintf(seg, m,
				   "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\n"
				   "Transfer-Encoding: chunked\r\n\r\n%zx\r\n",
				   enc, n)
			: snprintf(seg, m, "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\n"
					   "Content-Length: %zu\r\n\r\n",
				   enc, n);
	assert_true(k > 0 && (size_t)k + n + 7 <= m);
	memcpy(seg + k, body, n);
	if (chunked)
		memcpy(seg + k + n, "\r\n0\r\n\r\n", 7);
	return (size_t)k + n + (chunked ? 7 : 0);
}

/* An encoded response body inflated in-line as the offline engine's
 * gunzip does: gzip and zlib streams (windowBits 15 + 32), a raw deflate
 * stream it cannot read (the raw bytes), a cut stream (what it yields),
 * garbage (the raw bytes), a bomb (cut at IDS_HTTP_UNZ_MAX). */
static void test_gzip(void **state)
{
	static char seg[IDS_HTTP_WIN_MAX];
	static uint8_t z[IDS_HTTP_WIN_MAX];
	static const char text[] = "<html>RAMPART gzip body: alert here, alert there, "
				   "alert everywhere</html>";
	const size_t tn = sizeof(text) - 1;
	size_t zn, n;

	for (int chunked = 0; chunked < 2; chunked++) {
		/* gzip, and "deflate" as servers send it (a zlib stream) */
		zn = zip(text, tn, 31, z, sizeof(z));
		n = resp_seg(seg, sizeof(seg), "gzip", z, zn, chunked);
		assert_int_equal(parse_resp(seg, n), IDS_HTTP_RESPONSE);
		assert_true(h.encoded);
		BUF(IDS_BUF_FILE_DATA, text);
		/* the body as it came (dechunked), never inflated: what an HTTP
		 * rule's packet contents are matched against */
		assert_int_equal(h.raw_len, zn);
		assert_memory_equal(h.raw, z, zn);
		assert_true(room->zused > 0 && room->zused <= IDS_HTTP_ZPOOL);
		zn = zip(text, tn, 15, z, sizeof(z));
		n = resp_seg(seg, sizeof(seg), "deflate", z, zn, chunked);
		assert_int_equal(parse_resp(seg, n), IDS_HTTP_RESPONSE);
		assert_true(h.encoded);
		BUF(IDS_BUF_FILE_DATA, text);
		/* raw deflate: 15 + 32 reads no such header: the raw bytes */
		zn = zip(text, tn, -15, z, sizeof(z));
		n = resp_seg(seg, sizeof(seg), "deflate", z, zn, chunked);
		assert_int_equal(parse_resp(seg, n), IDS_HTTP_RESPONSE);
		assert_true(h.encoded);
		buf_is(IDS_BUF_FILE_DATA, (const char *)z, zn);
	}

	/* a cut gzip stream: the first half of its bytes gives what inflate
	 * can make of them, a prefix of the text (stored, so that a prefix
	 * of the input is a prefix of the output) */
	{
		z_stream d = {0};
		assert_int_equal(deflateInit2(&d, 0, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY), Z_OK);
		d.next_in = (Bytef *)(uintptr_t)text;
		d.avail_in = (uInt)tn;
		d.next_out = z;
		d.avail_out = sizeof(z);
		assert_int_equal(deflate(&d, Z_FINISH), Z_STREAM_END);
		zn = sizeof(z) - d.avail_out;
		deflateEnd(&d);
		n = resp_seg(seg, sizeof(seg), "gzip", z, zn / 2, false);
		assert_int_equal(parse_resp(seg, n), IDS_HTTP_RESPONSE);
		assert_non_null(h.p[IDS_BUF_FILE_DATA]);
		/* 10 bytes of gzip header, 5 of a stored block's */
		assert_int_equal(h.len[IDS_BUF_FILE_DATA], zn / 2 - 15);
		assert_memory_equal(h.p[IDS_BUF_FILE_DATA], text, zn / 2 - 15);
		/* the first half of a compressed one: a prefix too */
		zn = zip(text, tn, 31, z, sizeof(z));
		n = resp_seg(seg, sizeof(seg), "gzip", z, zn / 2, false);
		assert_int_equal(parse_resp(seg, n), IDS_HTTP_RESPONSE);
		if (h.p[IDS_BUF_FILE_DATA]) {
			assert_true(h.len[IDS_BUF_FILE_DATA] < tn);
			assert_memory_equal(h.p[IDS_BUF_FILE_DATA], text, h.len[IDS_BUF_FILE_DATA]);
		}
	}

	/* garbage under gzip: inflate fails having made nothing: the raw bytes */
	assert_int_equal(PARSE_RESP("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
				    "Content-Length: 7\r\n\r\nnot gz!"),
			 IDS_HTTP_RESPONSE);
	assert_true(h.encoded);
	BUF(IDS_BUF_FILE_DATA, "not gz!");
	assert_int_equal(h.raw_len, 7);
	assert_memory_equal(h.raw, "not gz!", 7);
	/* stored (level 0) gzip: the text as it is inside the compressed
	 * bytes; the body as it came holds it (review-20: a packet content
	 * there must be seen in-line as offline) */
	{
		static const char mark[] = "plain EVILMARK inside a stored gzip";
		z_stream d = {0};

		assert_int_equal(deflateInit2(&d, 0, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY), Z_OK);
		d.next_in = (Bytef *)(uintptr_t)mark;
		d.avail_in = (uInt)(sizeof(mark) - 1);
		d.next_out = z;
		d.avail_out = sizeof(z);
		assert_int_equal(deflate(&d, Z_FINISH), Z_STREAM_END);
		zn = sizeof(z) - d.avail_out;
		deflateEnd(&d);
		n = resp_seg(seg, sizeof(seg), "gzip", z, zn, true);
		assert_int_equal(parse_resp(seg, n), IDS_HTTP_RESPONSE);
		assert_true(h.encoded);
		BUF(IDS_BUF_FILE_DATA, mark);
		assert_int_equal(h.raw_len, zn);
		assert_memory_equal(h.raw, z, zn);
		assert_non_null(memmem(h.raw, h.raw_len, "EVILMARK", 8));
	}
	/* identity: the body is file.data */
	assert_int_equal(PARSE_RESP("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
			 IDS_HTTP_RESPONSE);
	assert_ptr_equal(h.raw, h.p[IDS_BUF_FILE_DATA]);
	assert_int_equal(h.raw_len, 5);

	/* a bomb: a full segment of gzip'd zeros inflates past the room:
	 * file.data is exactly IDS_HTTP_UNZ_MAX bytes (ASan: unz is the end
	 * of the malloc'ed scratch), all zeros */
	{
		const size_t zeros = 60u << 20; /* 60 MiB: 61,086 bytes of gzip */
		uint8_t *src = calloc(1, zeros);
		assert_non_null(src);
		zn = zip(src, zeros, 31, z, sizeof(z) - 256);
		free(src);
		n = resp_seg(seg, sizeof(seg), "gzip", z, zn, false);
		assert_true(n > 60000);
		assert_int_equal(parse_resp(seg, n), IDS_HTTP_RESPONSE);
		assert_int_equal(h.len[IDS_BUF_FILE_DATA], IDS_HTTP_UNZ_MAX);
		assert_ptr_equal(h.p[IDS_BUF_FILE_DATA], room->unz);
		for (uint32_t i = 0; i < IDS_HTTP_UNZ_MAX; i++)
			assert_int_equal(room->unz[i], 0);
		assert_true(room->zused <= IDS_HTTP_ZPOOL);
		print_message("inflate's pool: %u of %u bytes\n", room->zused, IDS_HTTP_ZPOOL);
	}
}

static const char http_rules[] =
	/* 0: alert http, a sticky buffer */
	"alert http any any -> any any (msg:\"uri\"; flow:established,to_server; http.uri; "
	"content:\"/RAMPART\"; sid:1;)\n"
	/* 1: the legacy modifier, on $HTTP_PORTS; two buffers */
	"alert tcp any any -> any $HTTP_PORTS (msg:\"ua\"; flow:to_server; content:\"curl\"; "
	"http_user_agent; content:\"example\"; http_host; sid:2;)\n"
	/* 2: walked over two buffers, written interleaved; a pcre R after the
	 * uri's second content, one with the U flag */
	"alert http any any -> any any (msg:\"w\"; flow:to_server; content:\"/a\"; http_uri; "
	"content:\"X-Y\"; http_header; content:\"b\"; http_uri; distance:0; pcre:\"/^c/UR\"; "
	"pcre:\"/d$/U\"; sid:3;)\n"
	/* 3: a response rule */
	"alert http any any -> any any (msg:\"r\"; flow:to_client; http.stat_code; content:\"200\"; "
	"sid:4;)\n"
	/* not in-line: either side, packet contents with no positive
	 * content in an HTTP buffer, alert dns with packet contents only,
	 * dotprefix, both sides */
	"alert http any any -> any any (msg:\"e\"; http.header; content:\"x\"; sid:5;)\n"
	"alert http any any -> any any (msg:\"p\"; flow:to_server; content:!\"x\"; http_uri; "
	"content:\"y\"; sid:6;)\n"
	"alert dns any any -> any any (msg:\"s\"; content:\"x\"; sid:7;)\n"
	/* 4: file.data to the server: the request's body */
	"alert http any any -> any any (msg:\"f\"; flow:to_server; file.data; content:\"x\"; "
	"sid:8;)\n"
	"alert http any any -> any any (msg:\"d\"; flow:to_server; http.host; dotprefix; "
	"content:\".x\"; sid:9;)\n"
	/* 5: a pcre R in the header, nothing before it there: walked, from
	 * the header's start (the offline engine's) */
	"alert http any any -> any any (msg:\"x\"; flow:to_server; content:\"x\"; http_uri; "
	"pcre:\"/y/RH\"; sid:10;)\n"
	"alert http any any -> any any (msg:\"b\"; http.uri; content:\"x\"; file.data; "
	"content:\"y\"; flow:to_client; sid:11;)\n";

static void test_load(void **state)
{
	const struct ids_blob_hdr *hd;
	const struct ids_blob_rule *r;
	const struct ids_blob_pattern *p;
	const struct ids_blob_item *it;
	const struct ids_blob_pcre *x;
	const char *why;

	assert_int_equal(compile(http_rules), 0);
	assert_int_equal(out.nrules, 6);
	assert_int_equal(out.nhttp, 6);
	assert_int_equal(out.nhttp_tc, 1);
	assert_int_equal(out.not_loaded, 5);
	hd = out.blob;
	assert_int_equal(hd->version, IDS_BLOB_VERSION);
	r = AT(const struct ids_blob_rule, hd->rule_off);
	p = AT(const struct ids_blob_pattern, hd->pattern_off);
	it = AT(const struct ids_blob_item, hd->item_off);
	x = AT(const struct ids_blob_pcre, hd->pcre_off);
	for (unsigned i = 0; i < 6; i++) {
		assert_true(r[i].flags & IDS_BLOB_HTTP);
		assert_int_equal(!!(r[i].flags & IDS_BLOB_HTTP_TC), i == 3);
		assert_int_equal(r[i].proto, IDS_BLOB_TCP);
	}
	assert_int_equal(r[1].ndport, 1); /* $HTTP_PORTS: 80 */
	/* patterns: rule 0's in the uri's database, rule 1's in the host's
	 * and the user agent's (in buffer order), rule 2's fast pattern */
	assert_int_equal(out.npatterns, 7);
	assert_int_equal(p[6].buf, IDS_BUF_URI); /* 5's "x": its pcre H walked, from the header's start */
	assert_int_equal(p[4].buf, IDS_BUF_STAT_CODE);
	assert_int_equal(p[5].buf, IDS_BUF_REQ_BODY);
	assert_int_equal(p[0].buf, IDS_BUF_URI);
	assert_int_equal(p[1].buf, IDS_BUF_HOST);
	assert_int_equal(p[2].buf, IDS_BUF_UA);
	assert_int_equal(p[3].buf, IDS_BUF_HEADER); /* "X-Y", the longest */
	/* rule 2's items grouped by buffer: "/a", "b", its two pcres (uri),
	 * "X-Y" (header) */
	assert_int_equal(r[2].nitems, 5);
	assert_int_equal(it[0].buf, IDS_BUF_URI);
	assert_int_equal(it[1].buf, IDS_BUF_URI);
	assert_true(it[1].flags & IDS_BLOB_I_RELATIVE);
	assert_int_equal(it[2].flags, IDS_BLOB_I_PCRE | IDS_BLOB_I_RELATIVE);
	assert_int_equal(it[2].pat, 0);
	assert_int_equal(it[3].flags, IDS_BLOB_I_PCRE);
	assert_int_equal(it[3].pat, 1);
	assert_int_equal(it[4].buf, IDS_BUF_HEADER);
	assert_int_equal(it[4].pat, 3);
	/* the pcre R after "b" and the U one, in the uri, walked; rule 5's */
	assert_int_equal(out.npcre, 3);
	assert_int_equal(x[0].after, IDS_BLOB_NONE);
	assert_int_equal(x[0].flags, IDS_BLOB_PCRE_WALKED);
	assert_int_equal(x[0].buf, IDS_BUF_URI);
	assert_int_equal(x[1].buf, IDS_BUF_URI);
	assert_int_equal(x[1].after, IDS_BLOB_NONE);
	for (unsigned b = 0; b < IDS_BLOB_BUFS; b++)
		assert_int_equal(!!hd->dbs[b].size, b == IDS_BUF_URI || b == IDS_BUF_HOST ||
							 b == IDS_BUF_UA || b == IDS_BUF_HEADER ||
							 b == IDS_BUF_STAT_CODE || b == IDS_BUF_REQ_BODY);
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
}

/* A copy of the blob with one change refused by the check. */
#define REFUSED(field, value)                                                             \
	do {                                                                              \
		uint8_t *c = aligned_alloc(8, out.len);                                   \
		memcpy(c, out.blob, out.len);                                             \
		void *saved = out.blob;                                                   \
		out.blob = c;                                                             \
		field = value;                                                            \
		assert_int_equal(ids_blob_check(c, out.len, &why), -1);                   \
		out.blob = saved;                                                         \
		free(c);                                                                  \
	} while (0)

static void test_check(void **state)
{
	const struct ids_blob_hdr *hd;
	const char *why;

	assert_int_equal(compile(http_rules), 0);
	hd = out.blob;
	const uint32_t ro = hd->rule_off, po = hd->pattern_off, io = hd->item_off,
		       xo = hd->pcre_off;
	/* a pattern of another buffer than its database's; of no buffer */
	REFUSED(AT(struct ids_blob_pattern, po)[0].buf, IDS_BUF_COOKIE);
	REFUSED(AT(struct ids_blob_pattern, po)[0].buf, IDS_BLOB_BUFS);
	/* the payload in an HTTP rule; an HTTP rule that is not TCP */
	REFUSED(AT(struct ids_blob_pattern, po)[0].buf, IDS_BUF_PKT);
	REFUSED(AT(struct ids_blob_rule, ro)[0].proto, IDS_BLOB_UDP);
	/* an HTTP buffer in a rule that is not an HTTP rule */
	REFUSED(AT(struct ids_blob_rule, ro)[0].flags, 0);
	/* a response's buffer in a request rule, a request's in a response
	 * rule, a response rule that is no HTTP rule */
	REFUSED(AT(struct ids_blob_rule, ro)[3].flags, IDS_BLOB_HTTP);
	REFUSED(AT(struct ids_blob_rule, ro)[0].flags, IDS_BLOB_HTTP | IDS_BLOB_HTTP_TC);
	REFUSED(AT(struct ids_blob_rule, ro)[3].flags, IDS_BLOB_HTTP_TC);
	/* items out of buffer order; the pattern's item in another buffer */
	REFUSED(AT(struct ids_blob_item, io)[1].buf, IDS_BUF_HEADER);
	REFUSED(AT(struct ids_blob_item, io)[4].buf, IDS_BUF_URI);
	/* a walked pcre named twice, or by no item; a pcre item of another
	 * rule's pcre */
	REFUSED(AT(struct ids_blob_item, io)[3].pat, 0);
	REFUSED(AT(struct ids_blob_item, io)[3].flags, IDS_BLOB_I_NEGATED);
	REFUSED(AT(struct ids_blob_item, io)[0].pad[0], 1);
	/* a relative pcre in another buffer than its content's */
	REFUSED(AT(struct ids_blob_pcre, xo)[0].buf, IDS_BUF_HEADER);
	REFUSED(AT(struct ids_blob_pcre, xo)[1].buf, IDS_BLOB_BUFS);
	/* a database past the blob, a misaligned one, one where no pattern
	 * is, the former version */
	REFUSED(AT(struct ids_blob_hdr, 0)->dbs[IDS_BUF_URI].size, out.len);
	REFUSED(AT(struct ids_blob_hdr, 0)->dbs[IDS_BUF_URI].off, hd->dbs[IDS_BUF_URI].off + 1);
	REFUSED(AT(struct ids_blob_hdr, 0)->dbs[IDS_BUF_HOST].size, 0);
	REFUSED(AT(struct ids_blob_hdr, 0)->dbs[IDS_BUF_COOKIE].off, 8);
	REFUSED(AT(struct ids_blob_hdr, 0)->version, 4);
}

/* `alert http` with payload contents only: a payload rule on TCP that
 * fires on flows taken for HTTP (IDS_BLOB_ON_HTTP), its contents in the
 * payload's database; the check holds the flag to such rules. */
static void test_on_http(void **state)
{
	const struct ids_blob_hdr *hd;
	const char *why;

	assert_int_equal(compile("alert http any any -> any any (msg:\"p\"; content:\"abc\"; "
				 "sid:1;)\n"
				 "alert tcp any any -> any any (msg:\"q\"; content:\"def\"; sid:2;)\n"),
			 0);
	assert_int_equal(out.nrules, 2);
	assert_int_equal(out.nhttp, 0);
	hd = out.blob;
	const uint32_t ro = hd->rule_off;
	const struct ids_blob_rule *r = AT(const struct ids_blob_rule, ro);

	assert_int_equal(r[0].flags, IDS_BLOB_ON_HTTP);
	assert_int_equal(r[0].proto, IDS_BLOB_TCP);
	assert_int_equal(r[1].flags, 0);
	assert_true(hd->dbs[IDS_BUF_PKT].size);
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	/* on UDP, with an app-layer buffer's flag, on a header-only rule */
	REFUSED(AT(struct ids_blob_rule, ro)[0].proto, IDS_BLOB_UDP);
	REFUSED(AT(struct ids_blob_rule, ro)[0].flags, IDS_BLOB_ON_HTTP | IDS_BLOB_TLS);
	REFUSED(AT(struct ids_blob_rule, ro)[0].flags, IDS_BLOB_ON_HTTP | 64);
}

/* An HTTP rule with packet contents: walked, its pattern its HTTP content
 * (its packet contents have no database: the layer walks them over the
 * message's header block, else its body), its packet contents items on
 * the payload's buffer; the check takes such items in an HTTP rule only,
 * and never a pattern on the payload in one. One whose only HTTP content
 * is negated has nothing to prefilter: not in-line. */
static void test_msg_pkt(void **state)
{
	const struct ids_blob_hdr *hd;
	const char *why;

	assert_int_equal(compile("alert http any any -> any any (msg:\"m\"; flow:to_server; "
				 "content:\"longer packet content\"; content:\"GET\"; http_method; "
				 "content:\"x\"; distance:0; pcre:\"/y/R\"; sid:1;)\n"
				 "alert http any any -> any any (msg:\"n\"; flow:to_server; "
				 "content:\"abc\"; content:!\"GET\"; http_method; sid:2;)\n"),
			 0);
	assert_int_equal(out.nrules, 1);
	assert_int_equal(out.not_loaded, 1);
	hd = out.blob;
	const uint32_t ro = hd->rule_off, po = hd->pattern_off, io = hd->item_off;
	const struct ids_blob_rule *r = AT(const struct ids_blob_rule, ro);
	const struct ids_blob_pattern *p = AT(const struct ids_blob_pattern, po);
	const struct ids_blob_item *it = AT(const struct ids_blob_item, io);

	assert_int_equal(r[0].flags, IDS_BLOB_HTTP);
	assert_int_equal(r[0].ncontents, 1);
	assert_int_equal(p[0].buf, IDS_BUF_METHOD); /* not the longer packet content */
	assert_int_equal(r[0].nitems, 4);
	/* the packet's group first: its two contents and the pcre, walked */
	assert_int_equal(it[0].buf, IDS_BUF_PKT);
	assert_int_equal(it[0].pat, IDS_BLOB_NONE);
	assert_int_equal(it[1].buf, IDS_BUF_PKT);
	assert_true(it[1].flags & IDS_BLOB_I_DISTANCE);
	assert_int_equal(it[2].buf, IDS_BUF_PKT);
	assert_true(it[2].flags & IDS_BLOB_I_PCRE);
	assert_int_equal(it[3].buf, IDS_BUF_METHOD);
	assert_int_equal(it[3].pat, 0);
	assert_int_equal(hd->dbs[IDS_BUF_PKT].size, 0);
	assert_int_equal(ids_blob_check(out.blob, out.len, &why), 0);
	/* a pattern on the payload in an HTTP rule; payload items in a DNS
	 * rule, or in a payload rule's (with the pattern's buffer, the
	 * method's, refused there too) */
	REFUSED(AT(struct ids_blob_pattern, po)[0].buf, IDS_BUF_PKT);
	REFUSED(AT(struct ids_blob_rule, ro)[0].flags, IDS_BLOB_DNS);
	REFUSED(AT(struct ids_blob_rule, ro)[0].flags, 0);
	/* a walked pcre of the payload's buffer in another buffer's group */
	REFUSED(AT(struct ids_blob_item, io)[2].buf, IDS_BUF_URI);
}

/* ---- the databases over the parser's buffers ----------------------------- */

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
		    unsigned flags, void *ctx)
{
	*(uint64_t *)ctx |= 1ull << id;
	return 0;
}

/* The patterns each present buffer's database matches in request s. */
static uint64_t scan(const char *s)
{
	const struct ids_blob_hdr *hd = out.blob;
	uint64_t hits = 0;

	assert_int_not_equal(parse(s, strlen(s)), IDS_HTTP_NONE);
	for (unsigned b = 1; b < IDS_BLOB_BUFS; b++) {
		hs_database_t *db = NULL;
		hs_scratch_t *sc = NULL;

		if (!hd->dbs[b].size || !h.p[b])
			continue;
		assert_int_equal(hs_deserialize_database((const char *)out.blob + hd->dbs[b].off,
							 hd->dbs[b].size, &db),
				 HS_SUCCESS);
		assert_int_equal(hs_alloc_scratch(db, &sc), HS_SUCCESS);
		assert_int_equal(hs_scan(db, (const char *)h.p[b], h.len[b], 0, sc, on_match, &hits),
				 HS_SUCCESS);
		hs_free_scratch(sc);
		hs_free_database(db);
	}
	return hits;
}

static void test_scan(void **state)
{
	assert_int_equal(compile(http_rules), 0);
	/* the uri's pattern in the normalized URI (%-encoded on the wire) */
	assert_int_equal(scan("GET /x/../%52AMPART HTTP/1.1\r\n\r\n"), 1u << 0);
	/* the same bytes elsewhere (a header, the raw URI's %-form): no */
	assert_int_equal(scan("GET /x HTTP/1.1\r\nX-U: /RAMPART\r\n\r\n"), 1u << 6); /* 5's "x" */
	/* host lowercased; user agent */
	assert_int_equal(scan("GET / HTTP/1.1\r\nHost: EXAMPLE.com:80\r\nUser-Agent: curl/8\r\n\r\n"),
			 1u << 1 | 1u << 2);
	/* "curl" in the host, "example" in the user agent: neither */
	assert_int_equal(scan("GET / HTTP/1.1\r\nHost: curl\r\nUser-Agent: example\r\n\r\n"), 0);
	/* the header's fast pattern, never in the cookie (not in http.header) */
	assert_int_equal(scan("GET / HTTP/1.1\r\nX-Y: 1\r\n\r\n"), 1u << 3);
	assert_int_equal(scan("GET / HTTP/1.1\r\nCookie: X-Y\r\n\r\n"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_evasion),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_on_http),
		cmocka_unit_test(test_msg_pkt),
		cmocka_unit_test(test_scan),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);

	release();
	return rc;
}
