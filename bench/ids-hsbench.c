/* SPDX-License-Identifier: MIT */
/*
 * bench/ids-hsbench BLOB PAYLOADS CHUNK ROUNDS: Hyperscan's hs_scan on the
 * host over the database of an in-line ids blob (src/ids/blob.h), the
 * reference for the scan inside the ids layer (bench/ids.sh, part b).
 *
 * PAYLOADS is cut into CHUNK-byte payloads, each scanned alone (block
 * mode, as the layer scans one frame), ROUNDS times over; the TSC is read
 * around each hs_scan call, as src/layer/idsl.c does for its scan_cycles.
 * Prints one JSON line: payloads, bytes, cycles, cycles_per_byte, matches,
 * and the TSC rate against CLOCK_MONOTONIC (for GB/s).
 *
 * Invariants: the blob's header is checked against its size before its
 * database is read; Hyperscan checks the database itself.
 */
#include <hs/hs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "ids/blob.h"

/* Larger inputs are not what this measures (the layer's frames are at most
 * a jumbo frame); the cap keeps a mistaken argument from eating memory. */
#define PAYLOADS_MAX (256u << 20)
#define CHUNK_MAX 65536u

static void *slurp(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *b = malloc(max + 1);
	*len = fread(b, 1, max + 1, f);
	fclose(f);
	if (*len > max) {
		free(b);
		return NULL;
	}
	return b;
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
		    unsigned flags, void *ctx)
{
	(void)id, (void)from, (void)to, (void)flags;
	(*(uint64_t *)ctx)++;
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: ids-hsbench BLOB PAYLOADS CHUNK ROUNDS\n");
		return 1;
	}
	size_t blen, plen;
	const uint8_t *blob = slurp(argv[1], 64u << 20, &blen);
	const char *pay = slurp(argv[2], PAYLOADS_MAX, &plen);
	unsigned long chunk = strtoul(argv[3], NULL, 0), rounds = strtoul(argv[4], NULL, 0);
	if (!blob || !pay || !chunk || chunk > CHUNK_MAX || plen < chunk) {
		fprintf(stderr, "ids-hsbench: bad blob, payloads or chunk size\n");
		return 1;
	}
	const struct ids_blob_hdr *h = (const void *)blob;
	if (blen < sizeof(*h) || h->magic != IDS_BLOB_MAGIC || h->size != blen ||
	    h->dbs[IDS_BUF_PKT].off > blen ||
	    h->dbs[IDS_BUF_PKT].size > blen - h->dbs[IDS_BUF_PKT].off) {
		fprintf(stderr, "ids-hsbench: '%s' is not an ids blob\n", argv[1]);
		return 1;
	}
	hs_database_t *db = NULL;
	hs_scratch_t *s = NULL;
	/* the payload's database (the HTTP buffers' have their own) */
	if (hs_deserialize_database((const char *)blob + h->dbs[IDS_BUF_PKT].off,
				    h->dbs[IDS_BUF_PKT].size, &db) != HS_SUCCESS ||
	    hs_alloc_scratch(db, &s) != HS_SUCCESS) {
		fprintf(stderr, "ids-hsbench: Hyperscan refused the database\n");
		return 1;
	}
	uint64_t cycles = 0, matches = 0, bytes = 0, n = 0;
	double t0 = now();
	uint64_t c0 = __rdtsc();
	for (unsigned long r = 0; r < rounds; r++)
		for (size_t off = 0; off + chunk <= plen; off += chunk) {
			uint64_t a = __rdtsc();
			if (hs_scan(db, pay + off, chunk, 0, s, on_match, &matches) != HS_SUCCESS) {
				fprintf(stderr, "ids-hsbench: hs_scan failed\n");
				return 1;
			}
			cycles += __rdtsc() - a;
			bytes += chunk;
			n++;
		}
	double hz = (__rdtsc() - c0) / (now() - t0);
	printf("{\"payloads\":%llu,\"bytes\":%llu,\"cycles\":%llu,\"cycles_per_byte\":%.3f,"
	       "\"matches\":%llu,\"tsc_hz\":%.0f,\"patterns\":%u}\n",
	       (unsigned long long)n, (unsigned long long)bytes, (unsigned long long)cycles,
	       bytes ? (double)cycles / bytes : 0.0, (unsigned long long)matches, hz, h->npatterns);
	return 0;
}
