/* SPDX-License-Identifier: MIT */
/*
 * Measured launch of layer images; see measure.h. The hash is taken over the
 * buffer the root loads into the layers, never over the file a second time,
 * so what is measured is exactly what runs.
 */
#include "root/measure.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/rt.h"
#include "root/log.h"


void measure_free(struct measure_manifest *m)
{
	unsigned i;

	for (i = 0; i < m->n; i++)
		free(m->e[i].name);
	free(m->e);
	m->e = NULL;
	m->n = 0;
}

/* One line (no newline), len bytes: an entry, or nothing (blank, comment). */
static int parse_line(const char *s, size_t len, unsigned lineno, struct measure_manifest *m,
		      char *err, size_t errlen)
{
	struct measure_entry *grown, e;
	size_t i;

	if (len && s[len - 1] == '\r')
		len--;
	for (i = 0; i < len && (s[i] == ' ' || s[i] == '\t'); i++)
		;
	if (i == len || s[0] == '#')
		return 0;
	if (len < 64 + 3)
		return refuse(err, errlen, "line %u: not \"SHA256  NAME\" (too short)", lineno);
	for (i = 0; i < 64; i++) {
		int v = rt_hexval(s[i]);

		if (v < 0)
			return refuse(err, errlen, "line %u: not \"SHA256  NAME\" (character %zu "
						 "is not a hex digit)", lineno, i + 1);
		e.hex[i] = "0123456789abcdef"[v];
	}
	e.hex[64] = 0;
	if (s[64] != ' ' || (s[65] != ' ' && s[65] != '*'))
		return refuse(err, errlen, "line %u: not \"SHA256  NAME\" (the hash must be 64 hex "
					 "digits, then two spaces or \" *\")", lineno);
	for (i = 66; i < len; i++)
		if (s[i] == 0)
			return refuse(err, errlen, "line %u: a NUL byte", lineno);
	e.name = strndup(s + 66, len - 66);
	grown = e.name ? realloc(m->e, (m->n + 1) * sizeof(*m->e)) : NULL;
	if (!grown) {
		free(e.name);
		return refuse(err, errlen, "line %u: out of memory", lineno);
	}
	m->e = grown;
	m->e[m->n++] = e;
	return 0;
}

int measure_parse_manifest(const char *text, struct measure_manifest *m, char *err,
			   size_t errlen)
{
	unsigned lineno = 1;
	const char *nl;

	m->e = NULL;
	m->n = 0;
	for (;; lineno++) {
		nl = strchr(text, '\n');
		if (parse_line(text, nl ? (size_t)(nl - text) : strlen(text), lineno, m, err,
			       errlen)) {
			measure_free(m);
			return -1;
		}
		if (!nl)
			break;
		text = nl + 1;
	}
	if (!m->n)
		return refuse(err, errlen, "no entries");
	return 0;
}

int measure_load_manifest(const char *path, struct measure_manifest *m, char *err,
			  size_t errlen)
{
	char msg[512];
	struct stat st;
	char *text = NULL;
	ssize_t got = 0;
	int fd, r = -1;

	m->e = NULL;
	m->n = 0;
	m->path = path;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return refuse(err, errlen, "manifest %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		refuse(err, errlen, "manifest %s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > MEASURE_MAX_MANIFEST) {
		refuse(err, errlen, "manifest %s: larger than %u KiB", path, MEASURE_MAX_MANIFEST >> 10);
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		refuse(err, errlen, "manifest %s: out of memory", path);
		goto out;
	}
	while (got < st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)(st.st_size - got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			refuse(err, errlen, "manifest %s: read: %s", path,
			     n ? strerror(errno) : "file shrank");
			goto out;
		}
		got += n;
	}
	text[got] = 0;
	if (strlen(text) != (size_t)got) {
		refuse(err, errlen, "manifest %s: a NUL byte (not a text file)", path);
		goto out;
	}
	if (measure_parse_manifest(text, m, msg, sizeof(msg))) {
		refuse(err, errlen, "manifest %s: %s", path, msg);
		goto out;
	}
	r = 0;
out:
	free(text);
	close(fd);
	return r;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

const struct measure_entry *measure_find_name(const struct measure_manifest *m,
					      const char *path)
{
	const char *want = base_name(path);
	unsigned i;

	for (i = 0; i < m->n; i++)
		if (strcmp(base_name(m->e[i].name), want) == 0)
			return &m->e[i];
	return NULL;
}

static int approved(const struct measure_manifest *m, const char *hex)
{
	unsigned i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->e[i].hex, hex) == 0)
			return 1;
	return 0;
}

void measure_hex(const void *data, uint64_t size, char hex[SHA256_HEX])
{
	uint8_t d[SHA256_BYTES];
	struct sha256 c;

	sha256_init(&c);
	sha256_update(&c, data, (size_t)size);
	sha256_final(&c, d);
	sha256_hex(d, hex);
}

int measure_layers(const struct ln_stack *s, void *const img[], const uint64_t size[],
		   const struct measure_manifest *m)
{
	char hex[LN_MAX_LAYERS][SHA256_HEX];
	unsigned i;

	/* Each layer's own bytes, so every variant the stack uses is checked; all before any event. */
	for (i = 0; i < s->nlayers; i++) {
		const struct measure_entry *e;
		char has[PATH_MAX + 100];

		measure_hex(img[i], size[i], hex[i]);
		if (!m || approved(m, hex[i]))
			continue;
		e = measure_find_name(m, s->images[i]);
		if (e)
			snprintf(has, sizeof(has), "the manifest has %s for %s", e->hex,
				 base_name(s->images[i]));
		else
			snprintf(has, sizeof(has), "no entry for %s", base_name(s->images[i]));
		log_err("layer %u (%s, %s): image %s has sha256 %s, not approved by manifest %s (%s)",
			i + 1, s->kinds[i], s->variants[i], s->images[i], hex[i], m->path, has);
		return -1;
	}
	for (i = 0; i < s->nlayers; i++) {
		if (m)
			log_event("measured", "layer", 'u', (uint64_t)(i + 1), "kind", 's',
				  s->kinds[i], "variant", 's', s->variants[i], "path", 's',
				  s->images[i], "sha256", 's', hex[i], "approved", 'b', 1, NULL);
		else
			log_event("measured", "layer", 'u', (uint64_t)(i + 1), "kind", 's',
				  s->kinds[i], "variant", 's', s->variants[i], "path", 's',
				  s->images[i], "sha256", 's', hex[i], NULL);
	}
	return 0;
}

void measure_blob(const char *kind, const char *path, const void *data, uint64_t size)
{
	char hex[SHA256_HEX];

	measure_hex(data, size, hex);
	log_event("measured", "kind", 's', kind, "path", 's', path, "sha256", 's', hex, NULL);
}

int measure_policies(const struct ln_stack *s, const struct measure_manifest *m)
{
	char hex[LN_MAX_LAYERS][SHA256_HEX];
	unsigned i;

	/* All checked before any event, as the images. */
	for (i = 0; i < s->nlayers; i++) {
		if (!s->policy[i])
			continue;
		measure_hex(s->policy[i], s->policy_size[i], hex[i]);
		if (m && !approved(m, hex[i])) {
			log_err("layer %u (%s): the policy blob of %s has sha256 %s, not approved by "
				"manifest %s (rampart-policy compile %s -o BLOB; sha256sum BLOB)",
				i + 1, s->kinds[i], s->policy_path[i], hex[i], m->path,
				s->policy_path[i]);
			return -1;
		}
	}
	for (i = 0; i < s->nlayers; i++) {
		if (!s->policy[i])
			continue;
		if (m)
			log_event("measured", "layer", 'u', (uint64_t)(i + 1), "kind", 's', "policy",
				  "path", 's', s->policy_path[i], "bytes", 'u', s->policy_size[i],
				  "sha256", 's', hex[i], "approved", 'b', 1, NULL);
		else
			log_event("measured", "layer", 'u', (uint64_t)(i + 1), "kind", 's', "policy",
				  "path", 's', s->policy_path[i], "bytes", 'u', s->policy_size[i],
				  "sha256", 's', hex[i], NULL);
	}
	return 0;
}
