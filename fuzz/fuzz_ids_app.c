/* SPDX-License-Identifier: MIT */
/* libFuzzer: the ids layer's DNS query name and TLS server name parsers
 * (src/ids/app.c) on any datagram or segment (the first byte picks which),
 * then the walked DNS and TLS rules of a blob compiled once
 * (tools/policy/ids_blob.c) over the names they made, as the layer walks
 * them (src/ids/walk.c): no crash, no read outside the input, every name
 * within its bounds and the server name inside the input. */
#include <stdlib.h>
#include <string.h>

#include "ids/app.h"
#include "ids/blob.h"
#include "ids/walk.h"
#include "ids_blob.h"

static const char rules[] =
	"alert dns any any -> any any (msg:\"a\"; dns.query; content:\"evil\"; "
	"content:\".test\"; distance:0; endswith; content:!\"ok\"; sid:1;)\n"
	"alert dns any any -> any any (msg:\"b\"; dns.query; dotprefix; content:\".bad.test\"; "
	"endswith; sid:2;)\n"
	"alert tls any any -> any any (msg:\"c\"; flow:to_server; tls.sni; content:\"cdn\"; "
	"startswith; content:\".net\"; within:20; sid:3;)\n"
	"alert tls any any -> any any (msg:\"d\"; tls.sni; dotprefix; content:\".x.y\"; endswith; "
	"sid:4;)\n";

static struct ids_blob_out out;
static struct ids_dns q;
static uint8_t dot[65536];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t ends[IDS_BLOB_CONTENTS_MAX];
	/* the buffers' bytes: [b] NULL absent */
	const uint8_t *bp[IDS_BLOB_BUFS] = {NULL};
	uint32_t bl[IDS_BLOB_BUFS] = {0};
	uint32_t names = 1;

	if (!out.blob) {
		FILE *devnull = fopen("/dev/null", "w");

		if (ids_blob_compile(rules, sizeof(rules) - 1, "fuzz.rules", NULL, 0, devnull, &out))
			abort();
		fclose(devnull);
	}
	if (!size || size > 65536)
		return 0;
	const uint8_t *d = data + 1;
	const uint32_t n = (uint32_t)size - 1;

	if (data[0] & 1) {
		const uint8_t *s;
		uint32_t l;

		(void)ids_tls_start(d, n);
		if (!ids_tls_sni(d, n, &s, &l))
			return 0;
		if (s < d || l > n || (size_t)(s - d) > n - l)
			abort();
		dot[0] = '.';
		memcpy(dot + 1, s, l);
		bp[IDS_BUF_TLS_SNI] = s, bl[IDS_BUF_TLS_SNI] = l;
		bp[IDS_BUF_TLS_SNI_DOT] = dot, bl[IDS_BUF_TLS_SNI_DOT] = l + 1;
	} else {
		if (!ids_dns_parse(d, n, &q))
			return 0;
		if (q.n > IDS_DNS_QUESTIONS_MAX)
			abort();
		for (uint32_t k = 0; k < q.n; k++)
			if (q.len[k] > IDS_DNS_NAME_MAX || q.name[k][0] != '.')
				abort();
		names = q.n;
	}
	const struct ids_blob_hdr *hd = out.blob;
	const struct ids_blob_rule *r = (const void *)((const uint8_t *)out.blob + hd->rule_off);
	const struct ids_blob_item *it = (const void *)((const uint8_t *)out.blob + hd->item_off);
	const uint8_t *bytes = (const uint8_t *)out.blob + hd->bytes_off;
	uint64_t budget = IDS_WALK_FRAME_BUDGET; /* the layer's, for the whole frame */

	for (uint32_t k = 0; k < names; k++) {
		if (!(data[0] & 1) && q.n) {
			bp[IDS_BUF_DNS_QUERY] = q.name[k] + 1, bl[IDS_BUF_DNS_QUERY] = q.len[k];
			bp[IDS_BUF_DNS_QUERY_DOT] = q.name[k], bl[IDS_BUF_DNS_QUERY_DOT] = q.len[k] + 1;
		}
		for (uint32_t i = 0, at = 0; i < hd->nrules; at += r[i++].nitems)
			for (unsigned g = 0, e; g < r[i].nitems; g = e) {
				uint8_t b = it[at + g].buf;

				for (e = g + 1; e < r[i].nitems && it[at + e].buf == b; e++)
					;
				if (bp[b])
					ids_walk(it + at + g, e - g, bytes, bp[b], bl[b], 0, ends + g,
						 &budget, NULL);
			}
	}
	return 0;
}
