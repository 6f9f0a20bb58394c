/* SPDX-License-Identifier: MIT */
/* The ids layer's blob from a rule file (ids_blob.c). */
#ifndef RAMPART_POLICY_IDS_BLOB_H
#define RAMPART_POLICY_IDS_BLOB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ids_blob_out {
	void *blob;	/* free() it */
	size_t len;
	uint32_t nrules, npatterns, not_loaded, db_size, npcre, naddrs, nports, nfbs, nitems;
	uint32_t nhttp; /* HTTP rules (on a request's buffers or a response's) */
	uint32_t nhttp_tc; /* of them, on a response's */
	uint32_t ndns, ntls; /* DNS rules (dns.query), TLS rules (tls.sni) */
	uint32_t nhdr, nhix; /* header-only rules, their address index's entries */
};

/*
 * Compile text[0 .. len) (read from path) into out, with vars[0 .. nvars)
 * ("NAME=VALUE", NAME without '$') over the defaults of the rule
 * variables ($HOME_NET, $HTTP_PORTS...). Each rule left out and
 * every refusal go to errf with file:line. 0, or -1 (nothing written) when
 * a rule is refused by the parser, no rule can be enforced in-line, or
 * Hyperscan refuses the database.
 */
int ids_blob_compile(const char *text, size_t len, const char *path, const char *const *vars,
		     unsigned nvars, FILE *errf, struct ids_blob_out *out);

#endif
