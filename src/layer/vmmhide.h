/* SPDX-License-Identifier: MIT */
/*
 * "vmmhide" (tests only, vmmhide.c): a vmm that hides a patch of its
 * guest's kernel behind a second guest VM, on its guest's word.
 */
#ifndef RAMPART_LAYER_VMMHIDE_H
#define RAMPART_LAYER_VMMHIDE_H

#include "rampart/abi.h"

__attribute__((noreturn)) void vmmhide_main(const struct rp_boot_info *info);

#endif
