/* SPDX-License-Identifier: MIT */
/*
 * Layered stacks: every VM of the tree is a sibling KVM VM of the root's;
 * the tree is bookkeeping. See ln.h for the invariants and the files that
 * keep them.
 */
#ifndef RAMPART_LAYER_H
#define RAMPART_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "rampart/abi.h"

#define LN_MAX_LAYERS RP_MAX_DEPTH
#define LN_KIND_MAX 15
#define LN_VARIANT_MAX 7

struct measure_manifest;
struct rp_disk;
struct rp_net;

/* What the operator asked for: a chain of ring-3 layers (bottom first). */
struct ln_stack {
	char kinds[LN_MAX_LAYERS][LN_KIND_MAX + 1];
	/* Each layer's image: a variant of the layer kernel (build/layer-gcc.elf). */
	const char *images[LN_MAX_LAYERS];
	char variants[LN_MAX_LAYERS][LN_VARIANT_MAX + 1]; /* "gcc", "clang"; "file": one given */
	unsigned nlayers;                /* the last one is the top */
	uint64_t layer_mem;              /* each layer's own share, bytes */
	uint64_t top_args[6];            /* the top's personality parameters */
	unsigned ntop_args;
	uint64_t echo_words;             /* root test device: words answered on port 0x608 */
	/* A vmm top: the Linux guest it boots. */
	const char *kernel, *initrd, *cmdline;
	uint64_t guest_mem;
	unsigned cpus; /* the guest's vCPUs (a vmm at the top) */
	/* A disk for a vmm top: layer 1 gets it as a virtio-blk window at RP_DEV_BASE. */
	const struct rp_disk *disk;
	/* A network for a vmm (or io) top: layer 1 gets it as a virtio-net window. */
	const struct rp_net *net;
	/* On a violation: restart the layer (RP_MAX_RESTARTS times), else halt. */
	bool restart;
	/* A policy-carrying layer's compiled blob (firewall), NULL for the
	 * others: layer i + 1 receives it as its payload[0], before its
	 * child's image, and seals it (docs/abi.md). */
	const void *policy[LN_MAX_LAYERS];
	uint64_t policy_size[LN_MAX_LAYERS];
	const char *policy_path[LN_MAX_LAYERS]; /* its rule file, for events */
	/* Approved layer-image hashes (measure.h), or NULL: measure and log only. */
	const struct measure_manifest *manifest;
};

/*
 * Why KVM_RUN returned, counted per VM and for the stack: exits are the
 * unit a device path through layers costs (a count, not a time, so the
 * same on a busy host). Hypercall: a layer's out to RP_HC_PORT; PIO: any
 * other port I/O (the root's test device, a guest's ports); event: KVM_RUN
 * interrupted (a timer, a frame, a signal) before or after running.
 */
enum ln_exit_reason {
	LN_EXIT_MMIO,
	LN_EXIT_PIO,
	LN_EXIT_HYPERCALL,
	LN_EXIT_HALT,
	LN_EXIT_EVENT,
	LN_EXIT_OTHER,
	LN_EXIT_REASONS
};

/* How the chain ended, for the exit status and the final event. */
struct ln_result {
	int outcome; /* enum rp_outcome */
	uint64_t code;
	uint64_t doorbells, cpu_result, echo_sum, hypercalls, refused, violations;
	uint64_t exits; /* KVM_RUN returns, all VMs and reasons */
	uint64_t exits_by[LN_EXIT_REASONS];
	bool echo_ok;
	unsigned slots, slots_max; /* layer 1's KVM memory slots at the end, and the most held */
	double seconds;
	char why[200];
};

int layer_stack_run(const struct ln_stack *s, struct ln_result *res);

#endif
