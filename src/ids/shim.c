/* SPDX-License-Identifier: MIT */
/*
 * What Hyperscan's runtime (libhs_runtime.a, linked unchanged into the
 * layer kernel) needs from a libc, in a layer that has none: its CPU
 * dispatch resolved, an allocator, and the fortified libc calls gcc put in
 * it; and what PCRE2's interpreter (libpcre2-8.a, likewise) needs besides:
 * memchr, strlen, and its JIT's entry points, which end the layer (no code
 * is JIT-compiled in a layer: W^X). memcpy, memmove and memset are the layer's own (src/layer/lib.c);
 * __stack_chk_fail is the layer's guard (src/layer/guard.c), and the
 * runtime's canary (%fs:0x28, glibc's TLS guard) is the boot info's
 * canary too: ring3.c points every ring-3 VM's FS base there.
 *
 * The runtime's own dispatcher (dispatcher.c.o, five CPU variants behind
 * IFUNCs) is not linked: it pulls every variant in, about 6 MiB of code in
 * every layer image. Only the corei7 variant is linked (SSE4.2 and POPCNT,
 * every x86-64 CPU since 2008; about 1.1 MiB of code; each variant is as
 * big, the core2 one too): the one the dispatcher itself chooses on a CPU
 * without AVX, as a ring-3 layer is (no OSXSAVE in ring3.h's CR4).
 * shim_init checks the CPU has what it needs, and dbIsValid (the one
 * dispatched symbol the variant-free objects call: scratch.c.o) calls the
 * variant's directly, through no pointer. No AVX code is in the image at
 * all. The runtime's own tables of code addresses (.data.rel.ro) are
 * read-only in the layer image (src/layer/layer.ld).
 *
 * Invariants:
 *  1. Every allocation lies inside the arena the caller gave (hsrt_init):
 *     the allocator never returns memory outside it, and returns NULL
 *     (Hyperscan's HS_NOMEM: the layer fails closed) when it is full.
 *  2. A fortified copy whose length exceeds its destination never copies:
 *     the layer ends (fail closed: nothing crosses a dead layer).
 *  3. __snprintf_chk (only in hs_database_info and
 *     hs_serialized_database_info, which the layer never calls) ends the
 *     layer if it is ever reached, rather than format anything.
 *  4. No runtime entry is called before shim_init chose a variant: until
 *     then dbIsValid ends the layer, and hsrt.c has no function to call.
 *  5. No pointer to code of ours or the runtime's is writable: dbIsValid
 *     is a direct call, hsrt.c's table of entries is const.
 */
#include <stddef.h>
#include <stdint.h>

#include <hs_common.h>

#include "ids/hsrt.h"
#include "ids/shim.h"
#include "layer/lib.h"

/* Every block is aligned to a cache line: Hyperscan aligns its scratch and
 * database structures to 64 bytes at most. */
#define SHIM_ALIGN 64u
/* CPUID leaf 1, ECX: what the corei7 variant needs (Hyperscan's
 * check_ssse3, check_sse42, check_popcnt), and OSXSAVE (reported only). */
#define CPUID1_SSSE3 (1u << 9)
#define CPUID1_SSE42 (1u << 20)
#define CPUID1_POPCNT (1u << 23)
#define CPUID1_OSXSAVE (1u << 27)

/* A block: its header sits SHIM_ALIGN bytes before what malloc returns. */
struct block {
	size_t size; /* bytes usable after the header */
	struct block *next; /* on the free list */
};

static uint8_t *arena, *arena_top, *arena_end;
static struct block *free_list;
static size_t in_use, peak;
static enum hsrt_variant chosen;
static uint32_t cpuid1_ecx;

static __attribute__((noreturn)) void shim_fail(const char *what)
{
	layer_fail("ids", "hyperscan runtime", what);
}

/*
 * dbIsValid: a direct call to the one variant linked, once shim_init chose
 * it (invariant 4). No pointer: a function pointer set at boot would sit
 * in writable data, where a write would send the runtime anywhere; this is
 * code, mapped R+X and sealed with the rest of the text.
 */
hs_error_t corei7_dbIsValid(const hs_database_t *db);
hs_error_t dbIsValid(const hs_database_t *db);
hs_error_t dbIsValid(const hs_database_t *db)
{
	if (chosen != HSRT_COREI7)
		shim_fail("dbIsValid called before a variant was chosen");
	return corei7_dbIsValid(db);
}

void *malloc(size_t n)
{
	struct block **p, *b;
	size_t need;

	if (!arena || n > (size_t)(arena_end - arena))
		return NULL;
	need = (n + SHIM_ALIGN - 1) & ~(size_t)(SHIM_ALIGN - 1);
	/* First fit among freed blocks (few: a scratch and the database). */
	for (p = &free_list; *p; p = &(*p)->next)
		if ((*p)->size >= need) {
			b = *p;
			*p = b->next;
			in_use += b->size;
			peak = in_use > peak ? in_use : peak;
			return (uint8_t *)b + SHIM_ALIGN;
		}
	if (need + SHIM_ALIGN > (size_t)(arena_end - arena_top))
		return NULL;
	b = (struct block *)arena_top;
	b->size = need;
	arena_top += SHIM_ALIGN + need;
	in_use += need;
	peak = in_use > peak ? in_use : peak;
	return (uint8_t *)b + SHIM_ALIGN;
}

void free(void *ptr)
{
	struct block *b;

	if (!ptr)
		return;
	b = (struct block *)((uint8_t *)ptr - SHIM_ALIGN);
	if ((uint8_t *)b < arena || (uint8_t *)ptr >= arena_top ||
	    ((uintptr_t)ptr & (SHIM_ALIGN - 1)))
		shim_fail("free of a pointer outside the arena");
	in_use -= b->size;
	b->next = free_list;
	free_list = b;
}

void *__memcpy_chk(void *dst, const void *src, size_t n, size_t dstlen);
void *__memcpy_chk(void *dst, const void *src, size_t n, size_t dstlen)
{
	if (n > dstlen)
		shim_fail("__memcpy_chk: a copy longer than its destination");
	return memcpy(dst, src, n);
}

int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...);
int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...)
{
	shim_fail("__snprintf_chk reached (database info is never asked for)");
}

/* ---- PCRE2's interpreter (src/ids/pcrert.c) ---------------------------- */

void *memchr(const void *s, int c, size_t n);
void *memchr(const void *s, int c, size_t n)
{
	const uint8_t *p = s;

	for (size_t i = 0; i < n; i++)
		if (p[i] == (uint8_t)c)
			return (void *)(uintptr_t)(p + i);
	return NULL;
}

size_t strlen(const char *s);
size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* Only pcre2_set_glob_escape (pattern conversion) reads the C locale's
 * character classes: never called here. */
const unsigned short **__ctype_b_loc(void);
const unsigned short **__ctype_b_loc(void)
{
	shim_fail("__ctype_b_loc reached (PCRE2's glob conversion is never used)");
}

/* pcre2_match calls these only for a code the JIT compiled: none here
 * (pcrert.c, invariant 2), and defining them keeps the JIT (and its mmap)
 * out of the image. */
int pcre2_jit_match_8(void);
int pcre2_jit_match_8(void)
{
	shim_fail("PCRE2's JIT entry reached (no code is JIT-compiled in a layer)");
}

int _pcre2_jit_check_exec_8(void);
int _pcre2_jit_check_exec_8(void)
{
	shim_fail("PCRE2's JIT check reached (no code is JIT-compiled in a layer)");
}

/* pcre2_pattern_info asks it only for PCRE2_INFO_JITSIZE, which pcrert.c
 * never asks (it reads PCRE2_INFO_ALLOPTIONS). */
size_t _pcre2_jit_get_size_8(void *executable_jit);
size_t _pcre2_jit_get_size_8(void *executable_jit)
{
	(void)executable_jit;
	shim_fail("PCRE2's JIT size reached (no code is JIT-compiled in a layer)");
}

size_t hsrt_arena_used(void)
{
	return peak;
}

enum hsrt_variant hsrt_variant(void)
{
	return chosen;
}

const char *hsrt_variant_name(enum hsrt_variant v)
{
	return v == HSRT_COREI7 ? "corei7" : "none";
}

uint32_t shim_cpuid1_ecx(void)
{
	return cpuid1_ecx;
}

const char *shim_init(void *mem, size_t size)
{
	uint32_t a = 1, b, c = 0, d;

	if (arena)
		return "already started";
	if (((uintptr_t)mem & (SHIM_ALIGN - 1)) || size < SHIM_ALIGN)
		return "the arena is not aligned";
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	cpuid1_ecx = c;
	if (!(c & CPUID1_SSSE3) || !(c & CPUID1_SSE42) || !(c & CPUID1_POPCNT))
		return "this CPU lacks SSSE3, SSE4.2 or POPCNT: the runtime's corei7 variant "
		       "cannot run";
	chosen = HSRT_COREI7;
	arena = arena_top = mem;
	arena_end = arena + size;
	return NULL;
}
