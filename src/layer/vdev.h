/* SPDX-License-Identifier: MIT */
/*
 * A layer's forwarded devices, kvmtool-style: each device file (vdisk.c,
 * vrng.c, vnet.c) fills one struct vdev with its callbacks; this table
 * starts them for the child, routes its MMIO exits, polls, resets and
 * gives their interrupt lines (vdev.c). Each device drives the one of its
 * kind its parent lists in the boot info (src/virtio/driver.c) as the
 * backend of the model its child finds (src/virtio/), zero copy where it
 * can: the child's buffers are pointers into our memory, whose addresses
 * our parent understands. The pass family and the vmm use the same table.
 */
#ifndef RAMPART_LAYER_VDEV_H
#define RAMPART_LAYER_VDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "layer/lib.h"
#include "rampart/abi.h"
#include "virtio/driver.h"
#include "virtio/virtio.h"

/* A driver host for the parent's window at base (our address = its address). */
struct vdev_parent {
	struct vdrv_host host;
	uint8_t *window;
};
void vdev_parent_init(struct vdev_parent *p, uint64_t base);

/* The forwarded devices, in the order the child's windows are given. */
enum vdev_kind { VDEV_DISK, VDEV_RNG, VDEV_NET, VDEV_KINDS };

struct vdev {
	/* Fixed by the device's file. */
	const char *const name; /* "disk", "rng", "net": in its log lines */
	const uint32_t id;	/* the virtio device id our parent lists */
	const uint32_t allow;	/* its bit of vdev_start_all's allowed (WR_DEV_*) */
	/* Drive our parent's device (parent.host) and build the child's model
	 * on host, at line irq (<0: none); set dev. <0 with why: the parent's
	 * device is broken. */
	int (*const init)(struct vdev *v, const char **why);
	/* After each child access inside its window, at off (NULL: none). */
	void (*const mmio)(struct vdev *v, uint64_t off, const uint8_t *data, unsigned len,
			   bool write);
	/* Work our parent's events asked for (RP_EV_NET; NULL: none). */
	void (*const poll)(struct vdev *v);
	/* Its start line after "<who>: " (NULL: "<name> for the <child>"). */
	void (*const report)(const struct vdev *v, struct line *l);
	/* Set as it starts. */
	const char *who;     /* the personality, prefixing its log lines */
	uint64_t base, size; /* the child's register window, child-physical */
	int irq;	     /* the child's line, <0: none (a layer child) */
	struct vio_dev *dev; /* the child's device model; NULL: not started */
	struct vdev_parent parent;
	struct vio_host host; /* ctx: this vdev, for the log */
	void *(*gpa_ptr)(void *ctx, uint64_t gpa, uint64_t len, bool write);
	void *ctx;
};

/* The devices' entries, one per file. */
extern struct vdev vdisk_dev, vrng_dev, vnet_dev;

/*
 * Start every device my parent lists and allowed (WR_DEV_* bits) has, in
 * table order: the k-th started gets the window at base + k * stride and
 * line first_irq + k (first_irq <0: none, the child polls). gpa_ptr(ctx,
 * ...) maps child-physical to our memory, with write only where the child
 * may write (vio_host.gpa_ptr); who prefixes the log lines. Fills out[k]
 * (id, window) and returns how many started; a broken device of our
 * parent ends this layer (it never runs with a half-working device).
 */
unsigned vdev_start_all(const struct rp_boot_info *info, const char *who, uint64_t base,
			uint64_t stride, int first_irq,
			void *(*gpa_ptr)(void *, uint64_t, uint64_t, bool), void *ctx,
			uint32_t allowed, struct rp_dev out[VDEV_KINDS]);
/* A child MMIO exit at addr: true when inside a started device's window
 * (handled: its registers, the rest of the window reads as zero). */
bool vdev_dispatch(uint64_t addr, uint8_t *data, unsigned len, bool write);
/* Each device's poll (after an RP_EV_NET event, or a request that waited). */
void vdev_poll_all(void);
/* Reset every started device as its driver would (status 0), before the
 * child is built again; returns how many. */
unsigned vdev_reset_all(void);

/*
 * Where a filtering layer plugs in (fwl.c, wrl.c), set before its child
 * runs; NULL, as in pass: everything crosses.
 *  frame:   each frame, Ethernet header first, after its virtio-net
 *           header vhdr (VNET_HDR bytes: whether its checksum is to be
 *           filled in or was checked), from_guest true for the child's,
 *           false for our parent's; it crosses only when this returns
 *           true, and is dropped otherwise.
 *  request: each read or write of the child, whole (off and bytes in
 *           bytes), before any of it reaches our parent; it may wait (a
 *           rate limit, after vdisk_cross). Nonzero: the request fails with
 *           VIRTIO_BLK_S_IOERR and nothing of it reaches our parent.
 */
struct vdev_hooks {
	bool (*frame)(const uint8_t *vhdr, const uint8_t *frame, uint32_t len, bool from_guest);
	int (*request)(bool write, uint64_t off, uint64_t bytes);
};
extern struct vdev_hooks vdev_hooks;

/* The block requests the disk posted to our parent so far cross now (a
 * request check calls it before it waits: what it passed is not held
 * back with the request it delays). */
void vdisk_cross(void);

/*
 * Interrupts and events reach the child with its next run (vdev_run), not
 * one hypercall each: a line's level is a function of its source's word
 * (high while nonzero: a virtio device's InterruptStatus, the UART's
 * level), read as the child is resumed. A source with an MMIO window
 * (isr_base) also has the root answer the child's InterruptStatus reads and
 * InterruptACK writes from that word (RP_HC_ISR), without an exit to us.
 * The table registers its devices' lines itself.
 */
void vdev_irq_source(unsigned irq, const uint32_t *word, uint64_t isr_base);
/* Event bits (RP_EV_NET) for a layer child, posted with its next run;
 * nothing for a child that takes interrupts. */
void vdev_post(uint64_t events);
/* The child VM's handle (before the child runs); irqs: it has an irqchip. */
void vdev_set_vm(int64_t vm, bool irqs);
/* RP_HC_VCPU_RUN of the child's vcpu, its lines and pending events with it. */
int64_t vdev_run(uint64_t vcpu, struct rp_exit *ex);

/* The device of virtio id `id` my parent gave me, or NULL. */
const struct rp_dev *vdev_find(const struct rp_boot_info *info, uint32_t id);

/* "<who>: <dev>: <what> <v>", at most 16 lines per layer. */
void vdev_note(const char *who, const char *dev, const char *what, uint64_t v);

#endif
