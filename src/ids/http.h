/* SPDX-License-Identifier: MIT */
/*
 * An HTTP/1.x request or response in one TCP segment (http.c): the
 * request or status line and, when the segment holds the whole header
 * block, the headers and the body bytes that came with them, as the
 * buffers the rules name
 * (enum ids_blob_buf), normalized as the offline engine
 * (tools/policy/ids_detect.c) and Suricata do. Freestanding, shared by
 * the ids layer (src/layer/idsl.c), the unit tests and the fuzzer.
 *
 * No stream reassembly: a request whose header block does not end in the
 * segment gives its request line's buffers only (IDS_HTTP_PARTIAL), and a
 * segment that does not start with a request gives none.
 */
#ifndef RAMPART_IDS_HTTP_H
#define RAMPART_IDS_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "ids/blob.h"

/* The longest segment parsed: an IPv4 datagram's payload (a frame is at
 * most FW_FRAME_MAX, 65,550 bytes); the offline engine's header block
 * limit (IDS_HTTP_HDR_MAX, 64 KiB) is no smaller, so a segment is never
 * cut where the offline engine would not cut its block. */
#define IDS_HTTP_SEG_MAX 65535u
/* Header lines parsed (the offline engine's IDS_HTTP_HEADERS_MAX, as
 * libhtp bounds them): the lines past it are in the raw buffers
 * (http.header.raw, http.start) but not in the named or normalized ones.
 * Each line costs one pass over its bytes. */
#define IDS_HTTP_HEADERS_MAX 128u

enum ids_http_kind {
	IDS_HTTP_NONE,    /* not a request's start (or longer than IDS_HTTP_SEG_MAX) */
	IDS_HTTP_REQUEST, /* a request line and its whole header block */
	IDS_HTTP_PARTIAL, /* a message whose header block does not end in the segment */
	IDS_HTTP_RESPONSE /* a status line and its whole header block */
};

/* A gzip or deflate response body's inflated bytes kept from one segment
 * (the offline engine keeps up to IDS_GUNZIP_MAX, 1 MiB, of a whole
 * body): a segment of 64 KiB can inflate to about 64 MiB (deflate's
 * ratio is at most about 1032:1), so a bomb costs at most this much
 * output, written once, and the bytes past it are not produced at all. */
#define IDS_HTTP_UNZ_MAX (256u * 1024u)
/* zlib's inflate state for one segment, allocated from this pool (never
 * from malloc): its struct inflate_state (about 7 KiB) and its window (32
 * KiB for windowBits 15, the most a gzip or zlib header can ask for), each
 * rounded to 16 bytes; a request past the pool is refused (Z_MEM_ERROR:
 * the raw body is file.data, as when inflate fails). */
#define IDS_HTTP_ZPOOL (48u * 1024u)

/* The normalized buffers' room: the URI and host are at most the
 * segment's length, http.header adds at most ": " and "\r" to each line,
 * http.header_names "\r\n" to each name and to the block; an encoded
 * body's inflated bytes and inflate's pool (reset for each segment). */
struct ids_http_scratch {
	uint8_t uri[IDS_HTTP_SEG_MAX];
	uint8_t host[IDS_HTTP_SEG_MAX];
	uint8_t hdr[IDS_HTTP_SEG_MAX + 3 * IDS_HTTP_HEADERS_MAX];
	uint8_t names[IDS_HTTP_SEG_MAX + 2 * IDS_HTTP_HEADERS_MAX + 4];
	uint8_t body[IDS_HTTP_SEG_MAX]; /* a response's dechunked body */
	uint32_t zused; /* bytes of zpool handed out for this segment */
	_Alignas(16) uint8_t zpool[IDS_HTTP_ZPOOL];
	uint8_t unz[IDS_HTTP_UNZ_MAX]; /* a response's inflated body (last: the
					* unit tests' ASan sees a write past it) */
};

struct ids_http {
	/* Buffer b: p[b] NULL when absent (IDS_BUF_PKT's is never set here),
	 * else len[b] bytes, in the segment or in the scratch. */
	const uint8_t *p[IDS_BLOB_BUFS];
	uint32_t len[IDS_BLOB_BUFS];
	uint32_t nh;     /* header lines parsed */
	uint32_t hlen;   /* the header block's length (start line included) */
	uint32_t next;   /* a 1xx response's: where another response in the
			  * segment starts (from the bytes given), 0: none */
	bool encoded;    /* a response body with Content-Encoding gzip or deflate
			  * (file.data: its inflated bytes, or the raw ones) */
};

/*
 * The request in d[0 .. n), if it is one (after any CR and LF bytes, it
 * starts with a method the offline engine knows, followed by a space), into h; the normalized
 * buffers written to s. Every read inside d[0 .. n), every write inside s;
 * linear in n (each byte is looked at a bounded number of times).
 */
enum ids_http_kind ids_http_parse(const uint8_t *d, uint32_t n, struct ids_http *h,
				  struct ids_http_scratch *s);

/*
 * The response in d[0 .. n), if it is one (after any CR and LF bytes, it
 * starts with "HTTP/"), into h: with its whole header block in d, the
 * status line's buffers (protocol, code, message, line), the headers'
 * (Set-Cookie as the cookie, Server, Location, the content type and
 * length, Connection, http.header without Set-Cookie, the names, the
 * block as it is), and the body bytes that came with the block as
 * file.data (IDS_BUF_FILE_DATA): up to Content-Length, dechunked
 * (Transfer-Encoding: chunked, into s), or the segment's rest; none for
 * 1xx, 204 and 304. A body with "gzip" or "deflate" in its
 * Content-Encoding (h->encoded) is inflated as the offline engine does
 * (zlib, windowBits 15 + 32, one inflate with Z_SYNC_FLUSH) into s, up to
 * IDS_HTTP_UNZ_MAX bytes: file.data is what inflate produced, or the raw
 * body when it failed having produced nothing. After an interim (1xx)
 * response, h->next is where another response in d starts (the caller
 * parses and scans it in turn). A block that does not end
 * in d gives nothing (IDS_HTTP_PARTIAL). Bounds as ids_http_parse's, and
 * inflate's work is linear in the body's and the output's bytes.
 */
enum ids_http_kind ids_http_parse_resp(const uint8_t *d, uint32_t n, struct ids_http *h,
				       struct ids_http_scratch *s);

#endif
