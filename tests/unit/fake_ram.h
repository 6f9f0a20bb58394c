/* SPDX-License-Identifier: MIT */
/* A fake guest RAM for the loader's and the builder's tests: guest-physical
 * [0, size) backed by one anonymous mapping, reached as the code reaches a
 * real guest, through struct boot_mem. */
#ifndef RAMPART_FAKE_RAM_H
#define RAMPART_FAKE_RAM_H

#include <sys/mman.h>

#include "boot/boot.h"

struct guest {
	uint8_t *mem;
	uint64_t size;
};

static inline void *guest_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
	struct guest *g = ctx;

	if (gpa >= g->size || len > g->size - gpa)
		return NULL;
	return g->mem + gpa;
}

static inline void guest_map(struct guest *g, struct boot_mem *m, uint64_t size)
{
	g->size = size;
	g->mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		      -1, 0);
	assert_true(g->mem != MAP_FAILED);
	m->ctx = g;
	m->gpa_ptr = guest_ptr;
}

static inline void guest_free(struct guest *g)
{
	munmap(g->mem, g->size);
}

#endif
