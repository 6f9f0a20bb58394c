/* SPDX-License-Identifier: MIT */
/*
 * A layer's disk bridge (vdisk.c), shared by the vmm and pass: the
 * virtio-blk device its parent lists in the boot info, driven by
 * src/virtio/driver.c, becomes the backend of a virtio-blk device
 * (src/virtio/blk.c) its child finds: the vmm's Linux guest at
 * BOOT_MMIO_BASE, GSI BOOT_FIRST_GSI; a pass layer's child at RP_DEV_BASE,
 * with no interrupt. Zero copy: the child's buffers are pointers into our
 * own memory, whose addresses the parent understands.
 */
#ifndef RAMPART_LAYER_VDISK_H
#define RAMPART_LAYER_VDISK_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/boot.h"
#include "rampart/abi.h"

/*
 * Probe the parent's block device, if the boot info lists one, and set up
 * the child's: its register window at child-physical base (size bytes),
 * its interrupt line irq (<0: none, the child polls). gpa_ptr(ctx, ...)
 * maps child-physical to our memory, with write only where the child may
 * write (vio_host.gpa_ptr). name prefixes the log lines. Returns
 * 1, 0 when there is no disk; a broken device ends this layer.
 */
int vdisk_init(const struct rp_boot_info *info, const char *name, uint64_t base, uint64_t size,
	       int irq, void *(*gpa_ptr)(void *, uint64_t, uint64_t, bool), void *ctx);
/*
 * The block path's check (the wrapper layer sets it before its child runs;
 * NULL, as in pass: every request goes on). Called with each read or write
 * of the child, whole (off and bytes in bytes), before any of it reaches
 * the parent; it may wait (a rate limit). Nonzero: the request fails with
 * VIRTIO_BLK_S_IOERR and nothing of it reaches the parent.
 */
extern int (*vdisk_check)(bool write, uint64_t off, uint64_t bytes);
/* A child MMIO exit at addr: true when it was the disk's window (handled). */
bool vdisk_mmio(uint64_t addr, uint8_t *data, unsigned len, bool write);

#endif
