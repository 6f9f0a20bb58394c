/* SPDX-License-Identifier: MIT */
/* The numbers start.S uses without abi.h (an assembler cannot read it). */
#include "layer/hc.h"

_Static_assert(RP_HC_PORT == 0x0510, "start.S hard-codes RP_HC_PORT");
_Static_assert(RP_HC_EXIT == 12, "start.S hard-codes RP_HC_EXIT");
