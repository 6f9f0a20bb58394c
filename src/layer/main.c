/* SPDX-License-Identifier: MIT */
/*
 * The layer kernel's entry (from start.S): the kind the boot info names
 * (include/rampart/kinds.h) chosen, and the event loop of the pass family
 * (pass and the defensive layers firewall, wrapper, ids and watch; see
 * layer.h). The test personalities are in testkinds.c, built only into
 * the test images (RP_TEST_BUILD): a production image refuses their names.
 */
#include "layer/layer.h"

#include "layer/child.h"
#include "layer/fwl.h"
#include "layer/hc.h"
#include "layer/idsl.h"
#include "layer/lib.h"
#include "layer/vdev.h"
#include "layer/vnet.h"
#include "layer/vmm.h"
#include "layer/wrl.h"
#include "layer/wtl.h"
#include "fw/wrap.h"
#include "lib/rt.h"
#include "rampart/kinds.h"
#ifdef RP_TEST_BUILD
#include "layer/testkinds.h"
#endif

static struct rp_exit child_exit;

/* Exits every parent loop handles the same way. */
void layer_common_exit(const char *who, const struct rp_exit *ex)
{
	switch (ex->reason) {
	case RP_EXIT_EVENT:
		return; /* nothing of ours is pending: ignore */
	case RP_EXIT_DEAD:
		hc_exit(ex->u.dead.code);
	default:
		child_fatal(who, ex);
	}
}

/*
 * The devices we give our child, reset as its driver would (status 0)
 * before we build it again: no queue of the old child reads or writes
 * the new one's memory (a frame for it would land where its rings were).
 */
static void devs_reset(void)
{
	struct line l = {.len = 0};

	line_str(&l, "pass: reset my child's devices (");
	line_dec(&l, vdev_reset_all());
	line_str(&l, ")");
	line_send(&l);
}

/*
 * The pass family (RP_KF_PASS), kind its number: forward every port I/O
 * of the child, and hand our devices on (vdev.h): each of our disk, rng
 * and network our boot info lists becomes a window of the child from
 * RP_DEV_BASE, in that order, whose MMIO exits we complete here before the
 * child runs again. Besides:
 *  "firewall"  the child's network path is filtered (fwl.c): its policy
 *              blob comes first among our payloads
 *  "wrapper"   the child's devices are confined by a policy (wrl.c): its
 *              policy blob comes first among our payloads
 *  "ids"       the child's network path is scanned by Hyperscan (idsl.c):
 *              its ids blob comes first among our payloads
 *  "watch"     the child is a vmm, its guest kernel's integrity checked
 *              (wtl.c): its watch blob comes first among our payloads
 * The test build's kinds of the family hook in (tk_pass_*, testkinds.c).
 */
void pass_main(const struct rp_boot_info *info, int kind)
{
	const bool fwall = kind == RP_KIND_FIREWALL || kind == RP_KIND_FWFLAKY;
	const bool wrap = kind == RP_KIND_WRAPPER;
	const bool ids = kind == RP_KIND_IDS;
	const bool watch = kind == RP_KIND_WATCH;
	uint32_t allowed = WR_DEV_ALL;
	static const uint8_t no_mac[6];
	static struct child c;
	struct rp_dev devs[VDEV_KINDS];
	unsigned ndevs;

	if (fwall) /* the policy is ours: the child is built from the rest */
		info = fwl_setup(info, &c.base);
	if (ids) /* likewise */
		info = idsl_setup(info, &c.base);
	if (watch) /* likewise */
		info = wtl_setup(info, &c.base);
	if (wrap) { /* likewise; and the child sees only the devices it allows */
		info = wrl_setup(info, &c.base);
		wrl_check();
		allowed = wrl_devices();
	}

	ndevs = vdev_start_all(info, "pass", RP_DEV_BASE, RP_DEV_SIZE, -1, child_dev_ptr, &c,
			       allowed, devs);
#ifdef RP_TEST_BUILD
	tk_pass_setup(info, &c, kind);
#endif
	if (child_start_devs(info, &c, devs, ndevs))
		hc_exit(LAYER_CODE_BAD);
#ifdef RP_TEST_BUILD
	tk_pass_built(info, &c, devs, ndevs, kind);
#endif
	if (fwall) { /* sealed and checked before the child first runs */
		fwl_seal(c.vm, c.size);
		fwl_start(vnet_mac() ? vnet_mac() : no_mac, vnet_mac() != NULL);
	}
	if (wrap) {
		wrl_seal(c.vm, c.size);
		wrl_start();
	}
	if (ids) {
		idsl_seal(c.vm, c.size);
		idsl_start(vnet_mac() != NULL);
	}
	if (watch) {
		wtl_seal(c.vm, c.size);
		wtl_start(c.vm, c.base, c.size);
	}
	vdev_set_vm(c.vm, (c.vm_flags & RP_VM_IRQCHIP) != 0);
#ifdef RP_TEST_BUILD
	tk_pass_start(info, &c, kind);
#endif
	for (;;) {
		if (vdev_run((uint64_t)c.vcpu, &child_exit) < 0) {
			hc_log("pass: RP_HC_VCPU_RUN refused");
			hc_exit(LAYER_CODE_DEAD);
		}
#ifdef RP_TEST_BUILD
		if (tk_pass_exit(info, &c, kind, &child_exit))
			continue;
#endif
		/* the child's exit rate: held here, before its exit is handled */
		if (wrap && child_exit.reason != RP_EXIT_EVENT && child_exit.reason != RP_EXIT_DEAD &&
		    wrl_exit())
			vdev_poll_all();
		if (child_exit.reason == RP_EXIT_DEAD && child_exit.u.dead.restart) {
			/* The root ended our child for a violation: build it again, afresh. */
			hc_log("pass: rebuilding my child after a violation");
			hc_vm_destroy((uint64_t)c.vm);
			devs_reset();
			c.restarts++;
			if (child_start_devs(info, &c, devs, ndevs))
				hc_exit(LAYER_CODE_BAD);
			if (fwall)
				fwl_seal(c.vm, c.size);
			if (wrap)
				wrl_seal(c.vm, c.size);
			if (ids)
				idsl_seal(c.vm, c.size);
			if (watch)
				wtl_seal(c.vm, c.size);
			vdev_set_vm(c.vm, (c.vm_flags & RP_VM_IRQCHIP) != 0);
			continue;
		}
		if (child_exit.reason == RP_EXIT_EVENT) {
			if (child_exit.u.event.events & RP_EV_NET)
				vdev_poll_all();
			if ((child_exit.u.event.events & RP_EV_TIMER) && fwall)
				fwl_tick();
			if ((child_exit.u.event.events & RP_EV_TIMER) && wrap)
				wrl_tick();
			if ((child_exit.u.event.events & RP_EV_TIMER) && ids)
				idsl_tick();
			if ((child_exit.u.event.events & RP_EV_TIMER) && watch)
				wtl_tick();
			if ((child_exit.u.event.events & RP_EV_CHECK) && watch)
				wtl_check_now();
			continue;
		}
		if (child_exit.reason == RP_EXIT_MMIO &&
		    vdev_dispatch(child_exit.u.mmio.addr, child_exit.u.mmio.data,
				  child_exit.u.mmio.len, child_exit.u.mmio.is_write)) {
			if (wrap && wrl_net_pending()) /* a frame came while a request waited */
				vdev_poll_all();
			continue;
		}
		if (child_exit.reason != RP_EXIT_IO) {
			if (child_exit.reason == RP_EXIT_DEAD && fwall)
				fwl_report();
			if (child_exit.reason == RP_EXIT_DEAD && wrap)
				wrl_report();
			if (child_exit.reason == RP_EXIT_DEAD && ids)
				idsl_report();
			if (child_exit.reason == RP_EXIT_DEAD && watch)
				wtl_report();
			layer_common_exit("pass", &child_exit);
			continue;
		}
		/* The root ends the stack at the power-off: log before forwarding it. */
		if (fwall && child_exit.u.io.out && child_exit.u.io.port == RP_PORT_POWEROFF)
			fwl_report();
		if (wrap && child_exit.u.io.out && child_exit.u.io.port == RP_PORT_POWEROFF)
			wrl_report();
		if (ids && child_exit.u.io.out && child_exit.u.io.port == RP_PORT_POWEROFF)
			idsl_report();
		if (watch && child_exit.u.io.out && child_exit.u.io.port == RP_PORT_POWEROFF)
			wtl_report();
		if (child_forward_io(&child_exit))
			child_fatal("pass", &child_exit);
		if (child_exit.u.io.out && child_exit.u.io.port == RP_PORT_POWEROFF)
			hc_exit(child_exit.u.io.data);
	}
}

uint64_t layer_main(const struct rp_boot_info *info)
{
	char name[sizeof(info->kind)];
	int kind;

	if (info->magic != RP_BOOT_MAGIC || info->version != RP_ABI_VERSION)
		return LAYER_CODE_BAD;
	rt_memcpy(name, info->kind, sizeof(name));
	name[sizeof(name) - 1] = 0;
	kind = rp_kind_find(name, rt_strlen(name));
	if (kind < 0) {
		hc_log("layer: unknown kind");
		return LAYER_CODE_BAD;
	}
	if (rp_kinds[kind].flags & RP_KF_TEST) {
#ifdef RP_TEST_BUILD
		tk_main(info, kind);
#else
		hc_log("layer: a test personality: only the test images run it");
		return LAYER_CODE_BAD;
#endif
	}
	if (kind == RP_KIND_VMM)
		vmm_main(info);
	if (rp_kinds[kind].flags & RP_KF_PASS)
		pass_main(info, kind);
	hc_log("layer: unknown kind");
	return LAYER_CODE_BAD;
}
