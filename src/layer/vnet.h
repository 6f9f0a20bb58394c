/* SPDX-License-Identifier: MIT */
/*
 * A layer's network bridge (vnet.c), shared by the vmm and pass: the
 * virtio-net device its parent lists in the boot info, driven by
 * src/virtio/driver.c, becomes the backend of a virtio-net device
 * (src/virtio/net.c) its child finds, with the parent's MAC address and the
 * transmit offloads the parent takes (partial checksums, TSO frames), none
 * on receive. Transmit is zero copy and synchronous (the child's frame is
 * done when its notify returns); a received frame is copied once per layer,
 * from the buffer our parent filled into the child's. The packet path is
 * where a filtering layer plugs in.
 */
#ifndef RAMPART_LAYER_VNET_H
#define RAMPART_LAYER_VNET_H

#include <stdbool.h>
#include <stdint.h>

#include "rampart/abi.h"

/*
 * Probe the parent's network device, if the boot info lists one, and set
 * up the child's: its register window at child-physical base (size
 * bytes), its interrupt line irq (<0: none; a layer child is told of
 * received frames with an RP_EV_NET event instead). gpa_ptr(ctx, ...) maps
 * child-physical to our memory, with write only where the child may write
 * (vio_host.gpa_ptr). Returns 1, 0 when there is no network; a broken
 * device ends this layer.
 */
int vnet_init(const struct rp_boot_info *info, const char *name, uint64_t base, uint64_t size,
	      int irq, void *(*gpa_ptr)(void *, uint64_t, uint64_t, bool), void *ctx);
/* A child MMIO exit at addr: true when it was the network's window (handled). */
bool vnet_mmio(uint64_t addr, uint8_t *data, unsigned len, bool write);
/* Move the frames our parent delivered into the child's receive buffers
 * (after an RP_EV_NET event, or when the child posts buffers). */
void vnet_poll(void);

#endif
