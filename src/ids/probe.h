/* SPDX-License-Identifier: MIT */
/*
 * The scan probe: the ids layer's own measure of its Hyperscan's speed,
 * and bench/ids-hsbench's reference for it (bench/ids.sh, part b).
 *
 * At start the ids layer scans IDS_PROBE_CHUNKS payloads of
 * IDS_PROBE_CHUNK bytes with its payload database, the bytes drawn from
 * ids_probe_fill with IDS_PROBE_SEED: once to warm its caches, then
 * IDS_PROBE_PASSES times timed, each scan between two fenced TSC reads;
 * it reports the fastest pass's cycles and one pass's matches. The host's
 * bench does the very same over the very same bytes with plain hs_scan,
 * so the two figures differ only in where the scan runs: the engine's
 * speed inside a layer against its ceiling on the host, without the
 * frame path around it (the pipeline's own figures are the scan_cycles
 * and hs_cycles counters). The same match count on both sides says the
 * same bytes went through the same database.
 *
 * Freestanding: this header needs nothing but <stdint.h>.
 */
#ifndef RAMPART_IDS_PROBE_H
#define RAMPART_IDS_PROBE_H

#include <stdint.h>

#define IDS_PROBE_CHUNK 1024u
#define IDS_PROBE_CHUNKS 128u
#define IDS_PROBE_PASSES 5u
#define IDS_PROBE_SEED 0x9e3779b97f4a7c15ull

/* The next IDS_PROBE_CHUNK bytes of the probe's stream into buf, from
 * *state (splitmix64: the same bytes on every machine). */
static inline void ids_probe_fill(uint8_t buf[IDS_PROBE_CHUNK], uint64_t *state)
{
	for (uint32_t i = 0; i < IDS_PROBE_CHUNK; i += 8) {
		uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		z ^= z >> 31;
		for (uint32_t k = 0; k < 8; k++)
			buf[i + k] = (uint8_t)(z >> (8 * k));
	}
}

#endif
