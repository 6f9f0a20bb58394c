/* SPDX-License-Identifier: MIT */
/*
 * The vmm's disk (vdisk.c): the virtio-blk device its parent lists in the
 * boot info, driven by src/virtio/driver.c, becomes the backend of a
 * virtio-blk device (src/virtio/blk.c) the Linux guest finds at
 * BOOT_MMIO_BASE, GSI BOOT_FIRST_GSI. Zero copy: the guest's buffers are
 * pointers into our own memory, whose addresses the parent understands.
 */
#ifndef RAMPART_LAYER_VDISK_H
#define RAMPART_LAYER_VDISK_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/boot.h"
#include "rampart/abi.h"

/*
 * Probe the parent's block device, if the boot info lists one, and set up
 * the guest's. gpa_ptr maps guest-physical to our memory; vm is the child
 * (for its interrupt line). Fills *dev for the guest's ACPI tables and
 * returns 1, 0 when there is no disk; a broken device ends the vmm.
 */
int vdisk_init(const struct rp_boot_info *info, void *(*gpa_ptr)(void *, uint64_t, uint64_t),
	       void *ctx, struct boot_device *dev);
/* The child VM's handle, known once it exists (before the guest runs). */
void vdisk_set_vm(int64_t vm);
/* A guest MMIO exit at addr: true when it was the disk's window (handled). */
bool vdisk_mmio(uint64_t addr, uint8_t *data, unsigned len, bool write);

#endif
