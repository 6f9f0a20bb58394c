/* SPDX-License-Identifier: MIT */
/*
 * The "hog" layer (tests only): a pass that first takes all the VMs and
 * vCPUs its quotas give it, to show that the root bounds a whole stack's,
 * whatever each caller's quotas allow. Before starting its child it
 * creates RP_MAX_CHILDREN - 1 VMs with one vCPU each and checks that one
 * more VM could be created (for its child). A chain of hogs reaches the
 * stack's VM limit at some depth; that hog (or the top, with no child to
 * start) then adds vCPUs to its VMs until refused, logs
 * "hog: depth D: VM_CREATE refused with -E after N VMs; VCPU_CREATE
 * refused with -E after M vCPUs" and exits 0 if both refusals were
 * RP_EQUOTA (LAYER_CODE_BAD otherwise), which ends the stack.
 */
#include "layer/hc.h"
#include "layer/layer.h"
#include "layer/lib.h"

static void refusal(struct line *l, const char *call, int64_t err, const char *what, uint64_t n)
{
	line_str(l, call);
	if (err < 0) {
		line_str(l, " refused with -");
		line_dec(l, (uint64_t)-err);
	} else {
		line_str(l, " never refused");
	}
	line_str(l, " after ");
	line_dec(l, n);
	line_str(l, what);
}

void hog_fill(const struct rp_boot_info *info)
{
	int64_t vms[RP_MAX_CHILDREN], r = 0, vr = 0;
	unsigned n = 0, k, v = 0;
	struct line l = {.len = 0};

	while (n + 1 < RP_MAX_CHILDREN && (r = hc_vm_create(0)) >= 0) {
		vms[n++] = r;
		if (hc_vcpu_create((uint64_t)r) < 0)
			break;
		v++;
	}
	if (r >= 0 && (r = hc_vm_create(0)) >= 0) { /* room for the child */
		hc_vm_destroy((uint64_t)r);
		if (info->npayload)
			return;
		r = 0;
	}
	for (k = 0; vr >= 0 && k + 1 < RP_MAX_VCPUS; k++)
		for (unsigned i = 0; i < n && (vr = hc_vcpu_create((uint64_t)vms[i])) >= 0; i++)
			v++;
	line_str(&l, "hog: depth ");
	line_dec(&l, info->depth);
	line_str(&l, ": ");
	refusal(&l, "VM_CREATE", r, " VMs; ", n);
	refusal(&l, "VCPU_CREATE", vr, " vCPUs", v);
	line_send(&l);
	hc_exit(r == -RP_EQUOTA && vr == -RP_EQUOTA ? 0 : LAYER_CODE_BAD);
}
