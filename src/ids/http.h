/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.x requests and responses (http.c): a message's request or status
 * line and, when the bytes given hold its whole header block, the headers
 * and the body bytes that came with them, as the buffers the rules name
 * (enum ids_blob_buf), normalized as the offline engine
 * (tools/policy/ids_detect.c) and Suricata do; and each direction's
 * messages over its TCP stream (ids_http_next), framed as the offline
 * engine frames them, so that a message is parsed whole wherever the
 * segments cut it. Freestanding, shared by the ids layer
 * (src/layer/idsl.c), the unit tests and the fuzzer.
 */
#ifndef RAMPART_IDS_HTTP_H
#define RAMPART_IDS_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "ids/blob.h"

/* The most bytes parsed at once: a stream's window, its tail
 * (IDS_STREAM_TAIL, stream.h) and an IPv4 datagram's payload (a frame is
 * at most FW_FRAME_MAX, 65,550 bytes), where a message's start can be in
 * the tail; the offline engine's header block limit (IDS_HTTP_HDR_MAX, 64
 * KiB) is no smaller than a segment, so a segment is never cut where the
 * offline engine would not cut its block. */
#define IDS_HTTP_WIN_MAX (65535u + 4096u)
/* Header lines parsed (the offline engine's IDS_HTTP_HEADERS_MAX, as
 * libhtp bounds them): the lines past it are in the raw buffers
 * (http.header.raw, http.start) but not in the named or normalized ones.
 * Each line costs one pass over its bytes. */
#define IDS_HTTP_HEADERS_MAX 128u

enum ids_http_kind {
	IDS_HTTP_NONE,    /* not a request's start (or longer than IDS_HTTP_WIN_MAX) */
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
	uint8_t uri[IDS_HTTP_WIN_MAX];
	uint8_t host[IDS_HTTP_WIN_MAX];
	uint8_t hdr[IDS_HTTP_WIN_MAX + 3 * IDS_HTTP_HEADERS_MAX];
	uint8_t names[IDS_HTTP_WIN_MAX + 2 * IDS_HTTP_HEADERS_MAX + 4];
	uint8_t body[IDS_HTTP_WIN_MAX]; /* a response's dechunked body */
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
	/* A response's body bytes as framed (dechunked), never inflated: what
	 * the offline engine's match_bufs matches an HTTP rule's packet
	 * contents against (file.data is the inflated bytes when encoded);
	 * NULL when the response has no body bytes here. A tunnel's first
	 * bytes (after a 101 or a CONNECT's 2xx) are no file.data but stay
	 * here, as in the offline engine's body. */
	const uint8_t *raw;
	uint32_t raw_len;
	/* How the message's body is framed (enum ids_http_framing), as the
	 * offline engine's http_data frames it: clen with IDS_HF_CL. */
	uint8_t framing;
	bool ce;         /* a response whose Content-Encoding says gzip or deflate */
	bool head;       /* a request whose method is HEAD */
	bool connect;    /* a request whose method is CONNECT */
	bool upgrade;    /* a request with an Upgrade header */
	uint32_t code;   /* a response's status code, as the offline engine reads it */
	uint64_t clen;
};

enum ids_http_framing {
	IDS_HF_NONE,	/* no body: the message ends with its header block */
	IDS_HF_CL,	/* Content-Length's bytes (clen, at least 1) */
	IDS_HF_CHUNKED,	/* Transfer-Encoding chunked, to its last chunk's trailer */
	IDS_HF_CLOSE,	/* a response's body to the connection's close */
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

/* ids_http_parse_msg's how: a response to a HEAD request (no body,
 * whatever its headers say); a message whatever its start line (a
 * flow's later message: the offline engine parses every header block of
 * a flow it took for HTTP, whatever its method or status line). */
#define IDS_HTTP_HEAD 1u
#define IDS_HTTP_ANY 2u

/*
 * The message at d[0 .. n): a response (resp) or a request, as
 * ids_http_parse_resp or ids_http_parse, with how's IDS_HTTP_* (an ANY
 * request's method is its line's first field, whatever it is; an ANY
 * response's fields are its line's, from its first byte).
 */
enum ids_http_kind ids_http_parse_msg(const uint8_t *d, uint32_t n, bool resp, unsigned how,
				      struct ids_http *h, struct ids_http_scratch *s);

/* Whether d[0 .. n), after any CR and LF bytes, starts a request (a
 * method the offline engine knows, and a space: its is_http_req) or,
 * resp, a response ("HTTP/"), as the offline engine takes a flow for HTTP
 * by its first data. */
bool ids_http_starts(const uint8_t *d, uint32_t n, bool resp);

/* ---- messages over a stream ---------------------------------------------- */

/* Where one direction of a flow is in its HTTP messages (struct
 * ids_http_trk's state), as the offline engine's http_data frames them. */
enum ids_http_st {
	IDS_HT_HDR,	   /* in a header block (hlen bytes so far), or between messages (0) */
	IDS_HT_BODY_CL,	   /* a body of remain bytes more */
	IDS_HT_BODY_CLOSE, /* a body to the connection's close */
	IDS_HT_CHUNK_SIZE, /* a chunk's size line */
	IDS_HT_CHUNK_DATA, /* a chunk's bytes, remain more */
	IDS_HT_CHUNK_CRLF, /* the bytes after a chunk's, to a LF */
	IDS_HT_TRAILER,	   /* the trailer's lines, to an empty one */
	IDS_HT_LOST,	   /* out of step: a message is looked for where a segment starts */
	IDS_HT_TUNNEL,	   /* past a 101 or a CONNECT's 2xx: not HTTP any more */
};

/* The offline engine's bounds on a message over a stream (its
 * IDS_HTTP_HDR_MAX and IDS_HTTP_BODY_MAX, tools/policy/ids.h): a header
 * block that reaches IDS_HTTP_BLOCK_LIMIT bytes ends there; a body's bytes
 * past IDS_HTTP_BODY_LIMIT are not inspected. */
#define IDS_HTTP_BLOCK_LIMIT (64u * 1024u)
#define IDS_HTTP_BODY_LIMIT (100u * 1024u)

/* Rules that fired on one message, kept so that its later segments do not
 * fire them again (the offline engine: once per message); past this many,
 * a rule may fire again on a later segment of the same message. */
#define IDS_HTTP_FIRED 8u
/* Walked rules a message's header view left waiting on its body (at most) */
#define IDS_HTTP_PEND 8u

/* One direction's messages, over its stream's in-order bytes (the caller
 * feeds them once, in order, and keeps this per flow and direction). */
struct ids_http_trk {
	uint64_t remain;	/* BODY_CL, CHUNK_DATA: bytes left; CHUNK_SIZE: the size read */
	uint32_t hlen;		/* the message's header block's bytes so far (saturating) */
	uint32_t raw;		/* its body's bytes so far as they came (saturating) */
	uint32_t body;		/* its body's bytes so far, dechunked (saturating) */
	uint32_t shown;		/* its body buffer's bytes in its last view */
	uint32_t unz;		/* bytes inflated for its views (saturating) */
	uint32_t msgs;		/* messages begun (wrapping): with the flow, a message's name */
	uint8_t http;		/* a message of the direction started like one: its
				 * later blocks are messages whatever their start line */
	uint8_t state;		/* enum ids_http_st */
	uint8_t line;		/* CHUNK_SIZE, TRAILER: the line's bytes (to 64) */
	uint8_t flags;		/* what ids_http_next keeps between bytes */
	uint8_t cz;		/* CHUNK_SIZE: how far strtoull has read the line */
	uint8_t nfired;
	uint32_t fired[IDS_HTTP_FIRED]; /* rules (the caller's numbers) fired on the message */
	/* walked rules (the caller's numbers) whose every item group but the
	 * body's held on a view of the message with its header buffers: its
	 * views of the body alone (its start past the window) try them again */
	uint8_t npend;
	uint8_t pend_full;	/* a drop rule found the list full of drop rules:
				 * the message's body views are dropped */
	uint32_t pend[IDS_HTTP_PEND];
};

/* A flow's requests not yet answered, in order (bit i of bits: the i-th
 * outstanding request was HEAD, of conn: CONNECT, of upg: it asked for an
 * Upgrade), up to IDS_HTTP_HEADS: a response to HEAD has no body whatever
 * its headers say, a 2xx to CONNECT or a 101 to an Upgrade makes the flow
 * a tunnel (a 101 nobody asked for is an interim response, as a client
 * that did not ask takes it). Past them (a client that
 * pipelines that many) which response has a body is not known: the
 * responses to the requests past them (over) are lost (ids_http_view). */
#define IDS_HTTP_HEADS 32u
struct ids_http_heads {
	uint32_t bits, conn, upg;
	uint16_t over;	/* requests past the 32 known, not yet answered */
	uint8_t n;
	uint8_t tunnel;	/* both directions are a tunnel (IDS_HT_TUNNEL) */
};

/* Bytes one message's views may inflate together (a body re-parsed from
 * its start while the window holds it inflates again each time): past
 * this, its body is not inflated again (its later bytes are not
 * inspected, as a body past its first window). */
#define IDS_HTTP_UNZ_MSG (2u * IDS_HTTP_UNZ_MAX)

/* What ids_http_next found. */
struct ids_http_view {
	/* IDS_HTTP_REQUEST or IDS_HTTP_RESPONSE: h holds its buffers;
	 * IDS_HTTP_PARTIAL: a request's line alone, its block going on */
	enum ids_http_kind kind;
	/* its header block ended in the new bytes: all of it is new */
	bool fresh;
	/* else only its body is: the body buffer's bytes before this many
	 * were in its last view */
	uint32_t body_min;
	/* a message that cannot be inspected whole ended its header block
	 * here (its start no longer in the window, or its request's HEAD
	 * not known): no buffers (kind NONE), the direction is out of step */
	bool lost;
};

/* A direction that starts (a new flow's): between messages. */
void ids_http_trk_reset(struct ids_http_trk *t);

/*
 * The next message of direction t to inspect in the new bytes w[nb .. wn)
 * of a stream's window w[0 .. wn) (w[0 .. nb) the bytes before them, as
 * they came), from *at (nb at first; moved past what was taken): true with
 * *v (and h, s as ids_http_parse_msg leaves them), or false when no
 * message is left in the new bytes. resp: the direction is the server's;
 * q the flow's outstanding HEAD requests. A message whose header block
 * ends in the new bytes is parsed whole from its start in the window
 * (fresh), with its body bytes in them; a body that goes on from an
 * earlier segment is parsed again from its message's start while the
 * window holds it, else (identity, not encoded, within the offline
 * engine's IDS_HTTP_BODY_LIMIT) its bytes in the window, or a chunked one's
 * new bytes dechunked, are the body buffer alone. A segment that starts
 * out of step (LOST) is taken as a message's start when it looks like one.
 * Each byte is stepped over once; each message parsed at most twice per
 * call with bounds as ids_http_parse_msg's.
 */
bool ids_http_next(struct ids_http_trk *t, struct ids_http_heads *q, bool resp, const uint8_t *w,
		   uint32_t wn, uint32_t nb, uint32_t *at, struct ids_http *h,
		   struct ids_http_scratch *s, struct ids_http_view *v);

#endif
