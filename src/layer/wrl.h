/* SPDX-License-Identifier: MIT */
/*
 * The wrapper layer (wrl.c): pass_main with its child's devices confined
 * by a policy (src/fw/wrap.h, docs/wrapper.md). Its parent puts the policy
 * blob (kind "policy") first among its payloads, before its child's image,
 * as for a firewall.
 *
 * The order pass_main keeps: wrl_setup before anything else (then only the
 * devices wrl_devices allows are given to the child); the child built,
 * wrl_seal (again after each rebuild) and, the first time, wrl_start before
 * the child first runs; wrl_exit on each exit of the child before it is
 * handled (not on our own events nor its end); wrl_tick on each
 * RP_EV_TIMER, wrl_net_pending after each MMIO exit handled (an RP_EV_NET
 * that came while a request waited);
 * wrl_report before the stack ends.
 */
#ifndef RAMPART_LAYER_WRL_H
#define RAMPART_LAYER_WRL_H

#include <stdbool.h>
#include <stdint.h>

#include "rampart/abi.h"

/* Our boot info without the policy, and where the child goes (past the
 * payloads). Ends the layer when there is no policy blob. */
const struct rp_boot_info *wrl_setup(const struct rp_boot_info *info, uint8_t **child_base);
/* The policy read-only into the child at child gpa child_size: sealed. */
void wrl_seal(int64_t vm, uint64_t child_size);
/* Check the blob (ends the layer when it fails), before anything reads it. */
void wrl_check(void);
/* Devices the child may see (WR_DEV_*): after wrl_check. */
uint32_t wrl_devices(void);
/* Put the checks on the block and packet paths and start the clock. */
void wrl_start(void);
/* An exit of the child reached us: counted, and with an exit limit held
 * (the child not resumed) until its token is there. True when an
 * RP_EV_NET came meanwhile (poll the network). */
bool wrl_exit(void);
/* One tick passed (RP_EV_TIMER). */
void wrl_tick(void);
/* An RP_EV_NET came while a request waited: true once (poll the network). */
bool wrl_net_pending(void);
/* The counters to the root, as one "wrstats" line. */
void wrl_report(void);

#endif
