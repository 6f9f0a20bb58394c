/* SPDX-License-Identifier: MIT */
/*
 * The nftables subset compiler: rule text in, a policy blob (src/fw/fw.h)
 * out. Host code; it runs in build/rampart-policy, never in the root.
 */
#ifndef RAMPART_POLICY_NFT_H
#define RAMPART_POLICY_NFT_H

#include <stddef.h>

/* The largest rule file read: far beyond any hand-written policy, small
 * enough that a hostile file cannot make the compiler eat the host. */
#define NFT_FILE_MAX (16u << 20)
/* Refusals kept for the report; the rest are only counted. */
#define NFT_ERRORS_MAX 64u

struct nft_result {
	void *blob;		/* malloc'ed, 8-aligned; NULL when anything was refused */
	size_t len;
	unsigned nchains, nrules, nsets, nelems;
	unsigned nerrors;	/* all refusals, also those past NFT_ERRORS_MAX */
	char *errors[NFT_ERRORS_MAX];	/* "FILE:LINE: what, 'keyword'" */
};

/* Compiles text[0 .. len); 0 on success, -1 with out->errors otherwise. */
int nft_compile(const char *text, size_t len, const char *fname, struct nft_result *out);
void nft_result_free(struct nft_result *r);
/* Service names (/etc/services) the compiler knows, at most this many names
 * and aliases: a bound on what a hostile services file costs. */
#define NFT_SERVICES_MAX 16384u
/* Reads /etc/services now, so that compiling opens no file afterwards (the
 * seccomp filter of rampart-policy allows none). */
void nft_services_load(void);

#endif
