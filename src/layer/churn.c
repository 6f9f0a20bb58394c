/* SPDX-License-Identifier: MIT */
/*
 * The "churn" personality: creates and destroys a child VM (one vCPU, one
 * 2 MiB map) many times, to show the root frees every fd and mapping.
 * 10 rounds, "churn: pause 1", RP_HC_WAIT(args[0] ms, default 300),
 * args[1] rounds (default 1000), "churn: pause 2", the same wait, then
 * RP_HC_EXIT(number of refused calls). A test samples the root's fds and
 * RSS during the two pauses.
 */
#include "layer/hc.h"
#include "layer/layer.h"
#include "layer/lib.h"

#define MIB2 (2ULL << 20)

static uint64_t bad;

static void rounds(uint64_t mine, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		int64_t vm = hc_vm_create(0);

		if (vm < 0) {
			bad++;
			continue;
		}
		if (hc_vm_map((uint64_t)vm, 0, mine, MIB2, RP_MAP_R | RP_MAP_W) < 0)
			bad++;
		if (hc_vcpu_create((uint64_t)vm) < 0)
			bad++;
		if (hc_vm_destroy((uint64_t)vm) < 0)
			bad++;
	}
}

/*
 * ms of our own: our timer, then waits until its event (a wait may return
 * early, with no bits, when a layer below us has a timer due).
 */
static void pause(const char *what, uint64_t ms)
{
	hc_log(what);
	if (hc5(RP_HC_TIMER, ms * 1000000ULL, 0, 0, 0, 0) < 0)
		return;
	while (!(hc5(RP_HC_WAIT, ms * 1000000ULL, 0, 0, 0, 0) & RP_EV_TIMER))
		;
}

void churn_main(const struct rp_boot_info *info)
{
	uint64_t ms = info->args[0] ? info->args[0] : 300;
	uint64_t n = info->args[1] ? info->args[1] : 1000;
	uint64_t mine = (info->free_start + MIB2 - 1) & ~(MIB2 - 1);
	struct line l = {.len = 0};

	if (mine + MIB2 > info->mem_size) {
		hc_log("churn: no free 2 MiB");
		hc_exit(LAYER_CODE_BAD);
	}
	rounds(mine, 10);
	pause("churn: pause 1", ms);
	rounds(mine, n);
	pause("churn: pause 2", ms);
	line_str(&l, "churn: rounds ");
	line_dec(&l, n + 10);
	line_str(&l, " refused ");
	line_dec(&l, bad);
	line_send(&l);
	hc_exit(bad);
}
