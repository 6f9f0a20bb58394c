/* SPDX-License-Identifier: MIT */
/* The libc Hyperscan's runtime needs in a layer (shim.c); hsrt.c calls it. */
#ifndef RAMPART_IDS_SHIM_H
#define RAMPART_IDS_SHIM_H

#include <stddef.h>

#include <stdint.h>

/* Choose the runtime's CPU variant (hsrt_variant) and take [mem, mem + size) (64-byte
 * aligned) as the allocator's arena. NULL, or why not. */
const char *shim_init(void *mem, size_t size);

/* CPUID leaf 1's ECX, as shim_init read it. */
uint32_t shim_cpuid1_ecx(void);

void *malloc(size_t n);
void free(void *ptr);

#endif
