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
 * bench/ids-hsbench BLOB probe: the ids layer's scan probe (src/ids/probe.h)
 * on the host, the same bytes, passes and timing as the layer's: prints
 * one JSON line: probe_bytes, probe_cycles (the fastest pass), matches (one
 * pass's), cycles_per_byte.
 *
 * Invariants: the blob's header is checked against its size before its
 * database is read; Hyperscan checks the database itself.
 */
#include <hs/hs.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "ids/blob.h"
#include "ids/probe.h"

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

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		    void *ctx)
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

static inline uint64_t tsc_fenced(void)
{
	_mm_lfence();
	return __rdtsc();
}

/*
 * Two of the runtime's CPU variants called by name, past its dispatcher
 * (libhs_runtime.a is linked whole, so each is here): the layer's
 * (corei7, SSE4.2) and AVX2, so the probe says what the variant alone is
 * worth on this CPU.
 */
typedef hs_error_t (*scan_fn)(const hs_database_t *, const char *, unsigned int, unsigned int,
			      hs_scratch_t *, match_event_handler, void *);
hs_error_t corei7_hs_scan(const hs_database_t *, const char *, unsigned int, unsigned int,
			  hs_scratch_t *, match_event_handler, void *);
hs_error_t avx2_hs_scan(const hs_database_t *, const char *, unsigned int, unsigned int,
			hs_scratch_t *, match_event_handler, void *);

/* The layer's probe (src/layer/idsl.c, probe), step for step, with scan:
 * the fastest pass's cycles, one pass's matches in *matches; 0 on error. */
static uint64_t probe_with(scan_fn scan, hs_database_t *db, hs_scratch_t *s, uint64_t *matches)
{
	uint8_t buf[IDS_PROBE_CHUNK];
	uint64_t best = ~0ull;

	for (uint32_t pass = 0; pass <= IDS_PROBE_PASSES; pass++) {
		uint64_t state = IDS_PROBE_SEED, cycles = 0, m = 0;

		for (uint32_t c = 0; c < IDS_PROBE_CHUNKS; c++) {
			ids_probe_fill(buf, &state);
			uint64_t t = tsc_fenced();
			if (scan(db, (const char *)buf, sizeof(buf), 0, s, on_match, &m) !=
			    HS_SUCCESS)
				return 0;
			cycles += tsc_fenced() - t;
		}
		if (pass && cycles < best)
			best = cycles;
		*matches = m;
	}
	return best;
}

/* The probe with plain hs_scan (the dispatcher's pick), then with the
 * corei7 and the AVX2 variants where this CPU runs them. */
static int probe(hs_database_t *db, hs_scratch_t *s)
{
	uint64_t bytes = (uint64_t)IDS_PROBE_CHUNK * IDS_PROBE_CHUNKS, matches = 0, m7 = 0, m2 = 0;
	uint64_t best = probe_with(hs_scan, db, s, &matches), c7 = 0, c2 = 0;

	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt"))
		c7 = probe_with(corei7_hs_scan, db, s, &m7);
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2"))
		c2 = probe_with(avx2_hs_scan, db, s, &m2);
	if (!best || (c7 && m7 != matches) || (c2 && m2 != matches)) {
		fprintf(stderr, "ids-hsbench: hs_scan failed, or a variant found other matches\n");
		return 1;
	}
	printf("{\"probe_bytes\":%llu,\"probe_cycles\":%llu,\"matches\":%llu,"
	       "\"cycles_per_byte\":%.3f,\"corei7_cycles_per_byte\":%.3f,"
	       "\"avx2_cycles_per_byte\":%.3f}\n",
	       (unsigned long long)bytes, (unsigned long long)best, (unsigned long long)matches,
	       (double)best / bytes, (double)c7 / bytes, (double)c2 / bytes);
	return 0;
}

int main(int argc, char **argv)
{
	bool probing = argc == 3 && !strcmp(argv[2], "probe");

	if (argc != 5 && !probing) {
		fprintf(stderr, "usage: ids-hsbench BLOB PAYLOADS CHUNK ROUNDS\n"
				"       ids-hsbench BLOB probe\n");
		return 1;
	}
	size_t blen, plen = 0;
	const uint8_t *blob = slurp(argv[1], 64u << 20, &blen);
	const char *pay = probing ? NULL : slurp(argv[2], PAYLOADS_MAX, &plen);
	unsigned long chunk = probing ? 1 : strtoul(argv[3], NULL, 0);
	unsigned long rounds = probing ? 0 : strtoul(argv[4], NULL, 0);
	if (!blob || (!probing && (!pay || !chunk || chunk > CHUNK_MAX || plen < chunk))) {
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
	if (probing)
		return probe(db, s);
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
