/* SPDX-License-Identifier: MIT */
/*
 * "mapinfo" (tests only, mapinfo.c): RP_HC_MAP_INFO asked about our
 * grandchild with good and hostile arguments, the answers checked.
 */
#ifndef RAMPART_LAYER_MAPINFO_H
#define RAMPART_LAYER_MAPINFO_H

#include <stdint.h>

#include "layer/child.h"

/* c has run once (its own child exists); my_mem: our memory's size. */
void mapinfo_check(const struct child *c, uint64_t my_mem);

#endif
