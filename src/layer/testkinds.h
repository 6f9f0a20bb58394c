/* SPDX-License-Identifier: MIT */
/*
 * The test personalities (include/rampart/kinds.h's RP_KF_TEST kinds):
 * testkinds.c, built only into the test images (RP_TEST_BUILD). main.c
 * calls these only in that build.
 */
#ifndef RAMPART_LAYER_TESTKINDS_H
#define RAMPART_LAYER_TESTKINDS_H

#include <stdbool.h>

#include "layer/child.h"
#include "layer/guard.h"
#include "layer/layer.h"
#include "rampart/kinds.h"

/* A test kind's loop (a pass family's: pass_main's); never returns. */
__attribute__((noreturn)) void tk_main(const struct rp_boot_info *info, int kind);

/* pass_main's hooks for the pass family's test kinds (see testkinds.c). */
void tk_pass_setup(const struct rp_boot_info *info, struct child *c, int kind);
void tk_pass_built(const struct rp_boot_info *info, struct child *c, const struct rp_dev *devs,
		   unsigned ndevs, int kind);
void tk_pass_start(const struct rp_boot_info *info, struct child *c, int kind);
bool tk_pass_exit(const struct rp_boot_info *info, const struct child *c, int kind,
		  const struct rp_exit *ex);

#endif
