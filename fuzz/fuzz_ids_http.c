/* SPDX-License-Identifier: MIT */
/* libFuzzer: the ids layer's HTTP request and response parsers
 * (src/ids/http.c) on any segment (the response parser's on the same
 * bytes, and on them behind a status line and a chunked header, so that
 * the dechunker sees them, and behind a gzip header, so that zlib's
 * inflate reads them as deflate blocks), then the walked HTTP rules of a blob compiled once
 * (tools/policy/ids_blob.c) over the buffers it made, as the layer walks
 * them (src/ids/walk.c): no crash, no read outside the segment or the
 * scratch, every buffer inside one of them. The same bytes as a stream
 * (ids_http_next), each side, cut into segments by the first byte, each
 * fed with a 4 KiB tail before it as the layer feeds it: every view's
 * buffers inside the window or the scratch, its old bytes inside its
 * body buffer, every call's position inside the window. */
#include <stdlib.h>
#include <string.h>

#include "ids/blob.h"
#include "ids/http.h"
#include "ids/stream.h"
#include "ids/walk.h"
#include "ids_blob.h"

static const char rules[] =
	"alert http any any -> any any (msg:\"a\"; flow:to_server; http.uri; content:\"/a\"; "
	"content:\"b\"; distance:0; within:4; content:!\"zz\"; http.header; content:\"X-Y\"; "
	"startswith; sid:1;)\n"
	"alert http any any -> any any (msg:\"b\"; flow:to_server; http.host; content:\"ex\"; "
	"content:\".com\"; endswith; http.user_agent; content:\"u\"; http.cookie; "
	"content:!\"d\"; sid:2;)\n"
	"alert http any any -> any any (msg:\"c\"; flow:to_server; http.request_body; "
	"content:\"body\"; content:\"!\"; distance:4; http.header.raw; content:\"fold\"; "
	"http.header_names; content:\"|0d 0a|Host\"; nocase; content:\"Cookie\"; distance:0; "
	"http.method; content:\"P\"; startswith; sid:3;)\n"
	"alert http any any -> any any (msg:\"d\"; flow:to_client; http.stat_code; content:\"2\"; "
	"file.data; content:\"MZ\"; startswith; content:!\"PE\"; distance:0; http.server; "
	"content:\"x\"; http.cookie; content:\"s\"; sid:4;)\n";

static struct ids_blob_out out;
static struct ids_http_scratch room;

static bool inside(const uint8_t *p, uint32_t n, const void *base, size_t size)
{
	return p >= (const uint8_t *)base && n <= size &&
	       (size_t)(p - (const uint8_t *)base) <= size - n;
}

static void walk_all(const struct ids_http *h);

/* data[0 .. size) as one side's stream, in segments of 1 + (cut * 97 +
 * k * 31) % span bytes. */
static void stream(const uint8_t *data, size_t size, bool resp, unsigned cut)
{
	static uint8_t win[IDS_STREAM_TAIL + IDS_STREAM_SEG_MAX];
	const uint32_t span = cut & 1 ? 9 : cut & 2 ? 1500 : IDS_STREAM_SEG_MAX;
	struct ids_http_trk t;
	struct ids_http_heads q = {.bits = (uint32_t)cut * 0x9e3779b9u, .n = (uint8_t)(cut % 33)};
	struct ids_http_view v;
	struct ids_http h;

	ids_http_trk_reset(&t);
	for (size_t off = 0, k = 0; off < size; k++) {
		uint32_t tl = off < IDS_STREAM_TAIL ? (uint32_t)off : IDS_STREAM_TAIL, at = tl;
		uint32_t n = 1 + (uint32_t)((cut * 97 + k * 31) % span);

		if (n > size - off)
			n = (uint32_t)(size - off);
		memcpy(win, data + off - tl, tl);
		memcpy(win + tl, data + off, n);
		while (ids_http_next(&t, &q, resp, win, tl + n, tl, &at, &h, &room, &v)) {
			if (at < tl || at > tl + n || q.n > IDS_HTTP_HEADS + 1)
				abort();
			if (v.lost)
				continue;
			for (unsigned b = 0; b < IDS_BLOB_BUFS; b++)
				if (h.p[b] && !inside(h.p[b], h.len[b], win, tl + n) &&
				    !inside(h.p[b], h.len[b], &room, sizeof(room)))
					abort();
			const unsigned bb = resp ? IDS_BUF_FILE_DATA : IDS_BUF_REQ_BODY;

			if (v.body_min && (!h.p[bb] || v.body_min > h.len[bb]))
				abort();
			walk_all(&h);
		}
		if (at != tl + n)
			abort();
		off += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ids_http h;

	if (!out.blob) {
		FILE *devnull = fopen("/dev/null", "w");

		if (ids_blob_compile(rules, sizeof(rules) - 1, "fuzz.rules", NULL, 0, devnull, &out))
			abort();
		fclose(devnull);
	}
	if (size > IDS_HTTP_WIN_MAX + 1)
		return 0;
	static uint8_t chunked[IDS_HTTP_WIN_MAX + 1], gzipped[IDS_HTTP_WIN_MAX + 1];
	static const char head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	/* a gzip member's header (RFC 1952: magic, deflate, no flags), so
	 * that inflate reads the input's bytes as deflate blocks */
	static const char zhead[] = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n"
				    "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03";
	const size_t cn = size + sizeof(head) - 1 <= sizeof(chunked) ? size + sizeof(head) - 1 : 0;
	const size_t zn = size + sizeof(zhead) - 1 <= sizeof(gzipped) ? size + sizeof(zhead) - 1 : 0;

	if (cn) {
		memcpy(chunked, head, sizeof(head) - 1);
		memcpy(chunked + sizeof(head) - 1, data, size);
	}
	if (zn) {
		memcpy(gzipped, zhead, sizeof(zhead) - 1);
		memcpy(gzipped + sizeof(zhead) - 1, data, size);
	}
	for (int pass = 0; pass < 4; pass++) {
		const uint8_t *d = pass == 2 ? chunked : pass == 3 ? gzipped : data;
		const size_t n = pass == 2 ? cn : pass == 3 ? zn : size;
		enum ids_http_kind k;

		if (pass >= 2 && !n)
			continue;
		k = pass == 0 ? ids_http_parse(d, (uint32_t)n, &h, &room)
			      : ids_http_parse_resp(d, (uint32_t)n, &h, &room);
		if (pass >= 2 && n <= IDS_HTTP_WIN_MAX && k != IDS_HTTP_RESPONSE)
			abort(); /* a status line and a whole block: a response */
		if (pass == 3 && n <= IDS_HTTP_WIN_MAX &&
		    (!h.encoded || room.zused > IDS_HTTP_ZPOOL ||
		     h.len[IDS_BUF_FILE_DATA] > IDS_HTTP_UNZ_MAX))
			abort(); /* inflated, within the pool and the room */
		if (k == IDS_HTTP_NONE)
			continue;
		for (unsigned b = 0; b < IDS_BLOB_BUFS; b++)
			if (h.p[b] && !inside(h.p[b], h.len[b], d, n) &&
			    !inside(h.p[b], h.len[b], &room, sizeof(room)))
				abort();
		walk_all(&h);
	}
	for (unsigned side = 0; side < 2 && size; side++)
		stream(data + 1, size - 1, side, data[0]);
	return 0;
}

/* The blob's walked rules over h's buffers, as the layer walks them. */
static void walk_all(const struct ids_http *h)
{
	uint32_t ends[IDS_BLOB_CONTENTS_MAX];
	const struct ids_blob_hdr *hd = out.blob;
	const struct ids_blob_rule *r = (const void *)((const uint8_t *)out.blob + hd->rule_off);
	const struct ids_blob_item *it = (const void *)((const uint8_t *)out.blob + hd->item_off);
	const uint8_t *bytes = (const uint8_t *)out.blob + hd->bytes_off;

	uint64_t budget = IDS_WALK_FRAME_BUDGET; /* the layer's, for the whole segment */

	for (uint32_t i = 0, at = 0; i < hd->nrules; at += r[i++].nitems)
		for (unsigned g = 0, e; g < r[i].nitems; g = e) {
			uint8_t b = it[at + g].buf;

			for (e = g + 1; e < r[i].nitems && it[at + e].buf == b; e++)
				;
			if (h->p[b])
				ids_walk(it + at + g, e - g, bytes, h->p[b], h->len[b], 0, ends + g,
					 &budget, NULL);
		}
}
