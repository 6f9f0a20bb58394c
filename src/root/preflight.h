/* SPDX-License-Identifier: MIT */
/*
 * The operator's input, checked before the host's KVM is touched (see
 * preflight.c). Each failure is one line on stderr naming the file or the
 * value and the fault.
 */
#ifndef RAMPART_PREFLIGHT_H
#define RAMPART_PREFLIGHT_H

#include <stdint.h>

#include "root/config.h"

#define RP_MAX_KERNEL_SIZE (256ULL << 20) /* a bzImage larger than this is not a kernel */
#define RP_MAX_INITRD_SIZE (2ULL << 30)   /* the boot protocol's initrd limit is below 4 GiB */
#define RP_MAX_IMAGE_SIZE (512ULL << 20)  /* a layer image larger than this is not ours */
/* A policy blob larger than this is refused: it is carried in the memory of
 * every layer below its own. 32 MiB holds 10^5 firewall rules with their
 * sets, and ET Open's in-line ids blob (16.6 MB with the HTTP responses:
 * docs/ids.md) twice over. */
#define RP_MAX_POLICY_SIZE (32ULL << 20)

/* The guest's kernel and initrd as read and checked; kernel NULL when none;
 * each policy-carrying layer's compiled blob (NULL for the others). */
struct preflight {
	void *kernel, *initrd;
	uint64_t ksize, isize;
	void *policy[RP_MAX_LAYERS];
	uint64_t policy_size[RP_MAX_LAYERS];
};

/* Read a whole regular file of at most max bytes; NULL with one line naming it. */
void *rp_read_file(const char *path, const char *what, uint64_t max, uint64_t *size);

/* Read the kernel and initrd of c and check they boot in c's guest. 0, or -1 (logged). */
int preflight_guest(const struct rp_config *c, struct preflight *p);
void preflight_free(struct preflight *p);

/*
 * Each firewall layer's rules compiled into p->policy[i] by rampart-policy,
 * the program beside this one, run as a child with an empty environment
 * (the root parses no rule text). Its refusals (FILE:LINE and the keyword)
 * go to stderr as it writes them. 0, or -1 (logged).
 */
int preflight_policies(const struct rp_config *c, struct preflight *p);

/* Every disk opens as given and every tap name is free or a tap. 0, or -1 (logged). */
int preflight_devices(const struct rp_config *c);

#endif
