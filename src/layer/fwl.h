/* SPDX-License-Identifier: MIT */
/*
 * The firewall layer (fwl.c): pass_main with a filter on the network path.
 * Its parent puts the policy blob (kind "policy") first among its payloads,
 * before its child's image (docs/firewall.md, docs/abi.md).
 *
 * The order pass_main keeps: fwl_setup before anything else; then, the
 * child built, fwl_seal (again after each rebuild) and, the first time,
 * fwl_start before the child first runs; fwl_tick on each RP_EV_TIMER;
 * fwl_report before the stack ends.
 */
#ifndef RAMPART_LAYER_FWL_H
#define RAMPART_LAYER_FWL_H

#include <stdbool.h>
#include <stdint.h>

#include "rampart/abi.h"

/* Our boot info without the policy (what the child is built from), and
 * where the child goes: past the policy and the engine's tables. Ends the
 * layer when there is no policy blob or no room. */
const struct rp_boot_info *fwl_setup(const struct rp_boot_info *info, uint8_t **child_base);
/* Map the policy read-only into the child at child gpa child_size (past
 * its memory): the root seals it then, against us too. */
void fwl_seal(int64_t vm, uint64_t child_size);
/* Check the blob, start the engine and the conntrack clock, and put the
 * filter on the packet path; mac: the child's own (anti-spoofing). */
void fwl_start(const uint8_t mac[6], bool have_net);
/* One second passed (RP_EV_TIMER). */
void fwl_tick(void);
/* The counters to the root, as "fwrules" lines then one "fwstats" line. */
void fwl_report(void);

#endif
