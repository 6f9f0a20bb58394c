/* SPDX-License-Identifier: MIT */
/*
 * The ids layer (idsl.c): pass_main with Hyperscan on the network path.
 * Its parent puts the ids blob (kind "policy", src/ids/blob.h) first among
 * its payloads, before its child's image, as for a firewall.
 *
 * The order pass_main keeps (as fwl.h's): idsl_setup first; the child
 * built, idsl_seal (again after each rebuild) and, the first time,
 * idsl_start before the child first runs; idsl_tick on each RP_EV_TIMER;
 * idsl_report before the stack ends.
 */
#ifndef RAMPART_LAYER_IDSL_H
#define RAMPART_LAYER_IDSL_H

#include <stdbool.h>
#include <stdint.h>

#include "rampart/abi.h"

const struct rp_boot_info *idsl_setup(const struct rp_boot_info *info, uint8_t **child_base);
void idsl_seal(int64_t vm, uint64_t child_size);
void idsl_start(bool have_net);
void idsl_tick(void);
/* The counters to the root, as one "idsstats" line. */
void idsl_report(void);

#endif
