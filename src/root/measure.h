/* SPDX-License-Identifier: MIT */
/*
 * Measured launch: the root hashes (SHA-256) the bytes of the layer image it
 * is about to start, and, given an operator-approved manifest, refuses to
 * start an image whose hash the manifest does not list.
 *
 * A manifest is text in sha256sum's format: lines "HEX  NAME" (or
 * "HEX *NAME"); blank lines and lines starting with '#' are ignored.
 */
#ifndef RAMPART_MEASURE_H
#define RAMPART_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sha256.h"
#include "root/layer.h"

#define MEASURE_MAX_MANIFEST (1u << 20) /* a manifest file larger than this is refused */

struct measure_entry {
	char hex[SHA256_HEX]; /* lowercase */
	char *name;
};

struct measure_manifest {
	const char *path; /* for messages */
	struct measure_entry *e;
	unsigned n;
};

/* Parse manifest text. 0, or -1 with "line N: ..." in err. Free with measure_free. */
int measure_parse_manifest(const char *text, struct measure_manifest *m, char *err,
			   size_t errlen);
/* Read and parse a manifest file; the refusal names the file (and line). */
int measure_load_manifest(const char *path, struct measure_manifest *m, char *err,
			  size_t errlen);
void measure_free(struct measure_manifest *m);

/* The entry a manifest has for a file name (compared by last path component), or NULL. */
const struct measure_entry *measure_find_name(const struct measure_manifest *m,
					      const char *path);

void measure_hex(const void *data, uint64_t size, char hex[SHA256_HEX]);

/*
 * Measure the image of each layer of s (img[i], size[i]: the very bytes that
 * will be loaded for layer i + 1, its variant s->variants[i]) and log a
 * "measured" event per layer, naming its variant. With a manifest (m not
 * NULL), -1 and one line on stderr (and no event) when a hash is not approved.
 */
int measure_layers(const struct ln_stack *s, void *const img[], const uint64_t size[],
		   const struct measure_manifest *m);
/*
 * Measure the policy blob of each layer of s that has one, and log a
 * "measured" event per blob (kind "policy", the layer, the rule file).
 * With a manifest, -1 and one line on stderr when a hash is not approved.
 */
int measure_policies(const struct ln_stack *s, const struct measure_manifest *m);
/* Hash and log a blob a vmm top boots (kind "kernel" or "initrd"). */
void measure_blob(const char *kind, const char *path, const void *data, uint64_t size);

#endif
