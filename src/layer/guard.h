/* SPDX-License-Identifier: MIT */
/*
 * The layer kernel's stack protector (guard.c) and the test-only kinds that
 * show it at work:
 *  "canary"  a pass that first logs "canary: depth D sha256 H ..." (H: the
 *            first 8 bytes of the SHA-256 of its canary, never the canary).
 *  "overrun" a top layer: writes args[0] bytes (default 64, at most 256)
 *            into a 16-byte stack buffer; past 16, __stack_chk_fail ends it.
 */
#ifndef RAMPART_LAYER_GUARD_H
#define RAMPART_LAYER_GUARD_H

#include "rampart/abi.h"

#define LAYER_CODE_STACK 0x57ac /* __stack_chk_fail: a smashed stack frame */

__attribute__((noreturn)) void __stack_chk_fail(void);
void guard_report(const struct rp_boot_info *info);
__attribute__((noreturn)) void overrun_main(const struct rp_boot_info *info);

#endif
