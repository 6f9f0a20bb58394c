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
/*
 * The packet path's filter (the firewall layer sets it before its child
 * runs; NULL, as in pass: every frame crosses). Called with each frame,
 * Ethernet header first (no virtio-net header), from_guest true for the
 * child's frames, false for our parent's; a frame crosses only when it
 * returns true, and is dropped otherwise.
 */
extern bool (*vnet_filter)(const uint8_t *frame, uint32_t len, bool from_guest);
/* With a filter, the child's frames refused for a virtio-net header that
 * does not describe them (fw_vnet_hdr_check), and their bytes: dropped
 * before the filter saw them. */
extern uint64_t vnet_hdr_refused, vnet_hdr_refused_bytes;
/* The virtio-net header before every frame on both sides. */
#define VNET_HDR 12
/* The largest frame vnet_inject sends: a reject's reply (an ICMP error
 * quotes at most a header and 8 bytes). */
#define VNET_INJECT_MAX 256
/* Send a frame we built: to the child (one waits at most; it goes with the
 * child's next receive) or to our parent (at once). 0, or -1: not sent. */
int vnet_inject(bool to_guest, const uint8_t *frame, uint32_t len);
/* The MAC the child's device has (our parent's), or NULL: no network. */
const uint8_t *vnet_mac(void);
/* A child MMIO exit at addr: true when it was the network's window (handled). */
bool vnet_mmio(uint64_t addr, uint8_t *data, unsigned len, bool write);
/* Move the frames our parent delivered into the child's receive buffers
 * (after an RP_EV_NET event, or when the child posts buffers). */
void vnet_poll(void);

#endif
