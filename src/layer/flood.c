/* SPDX-License-Identifier: MIT */
/*
 * The "flood" personality (tests only): as many event lines as a layer can
 * cause. args[0] = n (default 100000) calls with an unknown number (each
 * refused with RP_ENOSYS, each an hc_refused line) and n RP_HC_LOG calls,
 * then a pause of FLOOD_PAUSE_NS and one last line "flood: done"; exits 0.
 * The root must keep its log small and say how many lines it dropped.
 */
#include "layer/hc.h"
#include "layer/layer.h"
#include "layer/lib.h"

#define FLOOD_PAUSE_NS 1500000000ULL /* longer than a token's time in the root */

void flood_main(const struct rp_boot_info *info)
{
	uint64_t n = info->args[0] ? info->args[0] : 100000, i;

	for (i = 0; i < n; i++)
		hc5(RP_HC_COUNT + 100, 0, 0, 0, 0, 0);
	for (i = 0; i < n; i++)
		hc_log("flood");
	hc5(RP_HC_WAIT, FLOOD_PAUSE_NS, 0, 0, 0, 0);
	hc_log("flood: done");
	hc_exit(0);
}
