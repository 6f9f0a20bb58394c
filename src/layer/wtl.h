/* SPDX-License-Identifier: MIT */
/*
 * The watch layer (wtl.c): pass_main whose child is a vmm, with the
 * integrity of the guest kernel checked from below (src/fw/watch.h,
 * docs/watch.md). Its parent puts the watch blob (kind "policy": a header
 * and the guest kernel's System.map) first among its payloads, before its
 * child's image, as for a firewall.
 *
 * The order pass_main keeps: wtl_setup before anything else; the child
 * built, wtl_seal (again after each rebuild) and, the first time,
 * wtl_start before the child first runs; wtl_tick on each RP_EV_TIMER;
 * wtl_report before the stack ends.
 */
#ifndef RAMPART_LAYER_WTL_H
#define RAMPART_LAYER_WTL_H

#include <stdint.h>

#include "rampart/abi.h"

/* Our boot info without the blob, and where the child goes (past the
 * payloads). Ends the layer when the blob is missing or refused. */
const struct rp_boot_info *wtl_setup(const struct rp_boot_info *info, uint8_t **child_base);
/* The blob read-only into the child at child gpa child_size: sealed. */
void wtl_seal(int64_t vm, uint64_t child_size);
/* The child is built at child_base (child_size bytes): our working memory
 * is what lies above it; the timer starts. */
void wtl_start(int64_t vm, const uint8_t *child_base, uint64_t child_size);
/* One interval passed (RP_EV_TIMER): wait, find the kernel, or check it. */
void wtl_tick(void);
/* The counters to the root, as one "watchstats" line. */
void wtl_report(void);
/* RP_EV_CHECK: a check now, and its report. */
void wtl_check_now(void);

#endif
