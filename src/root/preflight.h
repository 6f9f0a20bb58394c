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

/* The guest's kernel and initrd as read and checked; kernel NULL when none. */
struct preflight {
	void *kernel, *initrd;
	uint64_t ksize, isize;
};

/* Read a whole regular file of at most max bytes; NULL with one line naming it. */
void *rp_read_file(const char *path, const char *what, uint64_t max, uint64_t *size);

/* Read the kernel and initrd of c and check they boot in c's guest. 0, or -1 (logged). */
int preflight_guest(const struct rp_config *c, struct preflight *p);
void preflight_free(struct preflight *p);

/* Every disk opens as given and every tap name is free or a tap. 0, or -1 (logged). */
int preflight_devices(const struct rp_config *c);

#endif
