/* SPDX-License-Identifier: MIT */
/*
 * A layer's rng bridge (vrng.c), shared by the vmm and pass, like the disk's
 * (vdisk.h): the virtio-rng device its parent lists in the boot info, driven
 * by src/virtio/driver.c, becomes the backend (fill) of a virtio-rng device
 * (src/virtio/rng.c) its child finds. Zero copy: the child's buffers are
 * pointers into our memory, whose addresses the parent understands.
 */
#ifndef RAMPART_LAYER_VRNG_H
#define RAMPART_LAYER_VRNG_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/boot.h"
#include "rampart/abi.h"

/*
 * Probe the parent's rng, if the boot info lists one, and set up the
 * child's at child-physical base (size bytes), interrupt line irq (<0:
 * none); gpa_ptr as for vdisk_init. Returns 1, 0 when there is no rng; a
 * broken device ends this layer.
 */
int vrng_init(const struct rp_boot_info *info, const char *name, uint64_t base, uint64_t size,
	      int irq, void *(*gpa_ptr)(void *, uint64_t, uint64_t, bool), void *ctx);
/* A child MMIO exit at addr: true when it was the rng's window (handled). */
bool vrng_mmio(uint64_t addr, uint8_t *data, unsigned len, bool write);

#endif
