/* SPDX-License-Identifier: MIT */
/*
 * What the firewall layer (fwl.c) uses of a layer's network bridge
 * (vnet.c, a forwarded device of vdev.h): the frames it refused before the
 * filter, the replies it builds, and the child's MAC address. Its filter
 * plugs in as vdev_hooks.frame.
 */
#ifndef RAMPART_LAYER_VNET_H
#define RAMPART_LAYER_VNET_H

#include <stdbool.h>
#include <stdint.h>

/* With a filter, the child's frames refused for a virtio-net header that
 * does not describe them (fw_vnet_hdr_check), and their bytes: dropped
 * before the filter saw them. */
extern uint64_t vnet_hdr_refused, vnet_hdr_refused_bytes;
/* The virtio-net header before every frame on both sides. */
#define VNET_HDR 12
/* The largest frame vnet_inject sends: a reject's reply (an ICMP error
 * quotes at most a header and 8 bytes). */
#define VNET_INJECT_MAX 256
/* Replies waiting for the child at most: a reject's reply to each frame of
 * one transmit batch (VIO_NET_TX_BATCH) of a child that sends nothing but
 * rejected frames. */
#define VNET_INJECT_QUEUE 32
/* Send a frame we built: to the child (VNET_INJECT_QUEUE wait at most; they
 * go, in order, with the child's next receives) or to our parent (at
 * once). 0, or -1: not sent. */
int vnet_inject(bool to_guest, const uint8_t *frame, uint32_t len);
/* The MAC the child's device has (our parent's), or NULL: no network. */
const uint8_t *vnet_mac(void);

#endif
