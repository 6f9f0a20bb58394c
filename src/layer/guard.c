/* SPDX-License-Identifier: MIT */
/*
 * The layer kernel's stack protector, and its two test-only kinds (the
 * test images only: RP_TEST_BUILD).
 *
 * Every layer object is built with -fstack-protector-strong and
 * -mstack-protector-guard=global: a function with a local array or a local
 * whose address is taken keeps a copy of __stack_chk_guard between its
 * locals and its return address, and calls __stack_chk_fail instead of
 * returning when the copy has changed. layer.ld defines __stack_chk_guard as
 * the canary field of our own boot info, so the guard is
 *  - fresh per boot and per layer: the root draws layer 1's canary from
 *    getrandom(2), and each layer draws its child's (child.c);
 *  - in place before our first instruction runs: no code sets it, so no
 *    protected function can run with a zero guard;
 *  - on a page the layer maps read-only: no write of ours can change it.
 * The two compilers of the layer's variants (gcc, clang) place the copy
 * differently in each frame, and each variant's functions lie at their own
 * addresses (Makefile, scripts/layer-order.py).
 */
#include "layer/guard.h"

#include <stddef.h>

#include "layer/hc.h"
#include "layer/lib.h"
#include "lib/sha256.h"

/* layer.ld: __stack_chk_guard = 0x1020. */
#define LAYER_GUARD_GPA 0x1020
_Static_assert(RP_BOOT_INFO_GPA + offsetof(struct rp_boot_info, canary) == LAYER_GUARD_GPA,
	       "layer.ld's __stack_chk_guard is not the boot info's canary");

extern const uint64_t __stack_chk_guard;

/* A protected function's frame was overwritten: end this layer, never return. */
void __stack_chk_fail(void)
{
	hc_log("layer: stack smashing detected (__stack_chk_fail): the layer ends");
	hc_exit(LAYER_CODE_STACK);
}

#ifdef RP_TEST_BUILD
/*
 * "canary" (tests only, a pass otherwise): log the first 8 bytes of the
 * SHA-256 of our canary, never the canary itself, and whether the guard the
 * compiled code checks is that canary.
 */
void guard_report(const struct rp_boot_info *info)
{
	uint8_t d[SHA256_BYTES];
	char hex[SHA256_HEX];
	struct line l = {.len = 0};
	struct sha256 c;

	sha256_init(&c);
	sha256_update(&c, &info->canary, sizeof(info->canary));
	sha256_final(&c, d);
	sha256_hex(d, hex);
	hex[16] = 0;
	line_str(&l, "canary: depth ");
	line_dec(&l, info->depth);
	line_str(&l, " sha256 ");
	line_str(&l, hex);
	line_str(&l, &__stack_chk_guard == &info->canary ? " guard is the canary"
							 : " guard is NOT the canary");
	line_send(&l);
}

#define OVERRUN_BUF 16

/* Writes n bytes into a 16-byte stack buffer; past 16 it smashes the frame. */
static __attribute__((noinline)) void overrun(uint64_t n)
{
	uint8_t buf[OVERRUN_BUF], *p = buf;
	uint64_t i;

	/* Hide the bound from the compiler: the loop must run all n rounds. */
	__asm__ volatile("" : "+r"(p) : : "memory");
	for (i = 0; i < n; i++)
		p[i] = 0x41;
	__asm__ volatile("" : : "r"(p) : "memory");
}

/*
 * "overrun" (tests only, a top layer): args[0] bytes (default 64) into a
 * 16-byte buffer on the stack. In bounds it logs "overrun: returned" and
 * exits 0; past them __stack_chk_fail ends the layer with LAYER_CODE_STACK.
 */
void overrun_main(const struct rp_boot_info *info)
{
	uint64_t n = info->args[0] ? info->args[0] : 64;
	struct line l = {.len = 0};

	if (n > 256)
		n = 256;
	line_str(&l, "overrun: writing ");
	line_dec(&l, n);
	line_str(&l, " bytes into a 16-byte stack buffer");
	line_send(&l);
	overrun(n);
	hc_log("overrun: returned");
	hc_exit(0);
}
#endif
