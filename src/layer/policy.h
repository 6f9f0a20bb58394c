/* SPDX-License-Identifier: MIT */
/*
 * The boot info of a layer that carries a policy (firewall, wrapper): its
 * first payload is its own policy blob, the rest are its child's.
 */
#ifndef RAMPART_LAYER_POLICY_H
#define RAMPART_LAYER_POLICY_H

#include <stdint.h>

#include "rampart/abi.h"

/*
 * Split info: *own is info with the policy taken off its payloads (what the
 * layer hands on to its child), *policy the policy blob (page aligned, not
 * empty), *end the first byte past every payload. NULL, or why the boot
 * info is refused: no policy first, or a payload outside the layer's memory.
 */
const char *policy_split(const struct rp_boot_info *info, struct rp_boot_info *own,
			 const struct rp_blob **policy, uint64_t *end);

#endif
