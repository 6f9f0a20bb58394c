/* SPDX-License-Identifier: MIT */
/*
 * A layer's one child: carved out of the layer's free memory, built with
 * ring3_build from payload[0], mapped and started through the hypercalls.
 */
#ifndef RAMPART_LAYER_CHILD_H
#define RAMPART_LAYER_CHILD_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/ring3.h"
#include "rampart/abi.h"

/* One RP_HC_VM_MAP we made of the child's region: child gpa, size, RP_MAP_*. */
struct child_map {
	uint64_t gpa, size;
	uint32_t rights;
};

struct child {
	uint8_t *base; /* the child's guest-physical 0, in our memory */
	uint64_t size;
	int64_t vm, vcpu;
	uint32_t restarts; /* rebuilt this many times after a violation (its boot info says so) */
	uint64_t vm_flags; /* RP_HC_VM_CREATE's flags (tests: RP_VM_IRQCHIP, a guest VM) */
	/* How its region is mapped (ring3_layout's ranges, in address order):
	 * what its device model may write (child_dev_ptr). */
	struct child_map maps[RING3_MAX_RANGES];
	unsigned nmaps;
};

/*
 * Start the child our boot info describes: payload[0] is its image (its
 * kind is payload[0].kind), args[0] its memory size in bytes; its payloads
 * are our payload[1..] (copied into its free memory) and its args our
 * args[1..]. 0, or -1 after logging why.
 */
int child_start(const struct rp_boot_info *info, struct child *c);
#ifdef RP_TEST_BUILD
/* Tests only: called on a child built but not yet mapped (an attack's hook). */
extern void (*child_built_hook)(struct child *c);
/* Tests only: nonzero, the system area is mapped as [0, child_split_sys)
 * read-only and the rest of it read-write (an attack on sealing). */
extern uint64_t child_split_sys;
#endif
/* The same, listing devs[0 .. ndevs) in the child's boot info (their windows
 * are the child's; its accesses there exit to us as RP_EXIT_MMIO). */
int child_start_devs(const struct rp_boot_info *info, struct child *c, const struct rp_dev *devs,
		     unsigned ndevs);

/* The child's gpa_ptr for building it (ctx: the struct child):
 * child-physical -> our memory, NULL outside the child's region. Valid once
 * child_start has carved it. */
void *child_ptr(void *ctx, uint64_t gpa, uint64_t len);
/*
 * The child's memory as the device model we run for it reaches it
 * (vio_host.gpa_ptr; ctx: the struct child): as child_ptr, and with write
 * only where the child may write itself: in a map we gave it with W, at or
 * above RP_IMAGE_BASE. Valid once child_start has mapped it (no write
 * before).
 */
void *child_dev_ptr(void *ctx, uint64_t gpa, uint64_t len, bool write);

/*
 * Do the child's port I/O exit ourselves, unchanged (it exits to our
 * parent); an IN's result goes back into ex. 0, or -1 (logged) where the
 * exit may not be forwarded: string I/O, or the ABI's own ports.
 */
int child_forward_io(struct rp_exit *ex);

/* Log why the child can no longer run, then end this layer with 0xdead. */
__attribute__((noreturn)) void child_fatal(const char *who, const struct rp_exit *ex);

#endif
