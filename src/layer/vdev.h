/* SPDX-License-Identifier: MIT */
/*
 * What a layer's forwarded devices (vdisk.c, vrng.c) share: a driver host
 * for the parent's register window (src/virtio/driver.c), the child's
 * interrupt lines, and routing a child MMIO exit to the device model whose
 * window it hits.
 */
#ifndef RAMPART_LAYER_VDEV_H
#define RAMPART_LAYER_VDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "rampart/abi.h"
#include "virtio/driver.h"
#include "virtio/virtio.h"

/* A driver host for the parent's window at base (our address = its address). */
struct vdev_parent {
	struct vdrv_host host;
	uint8_t *window;
};
void vdev_parent_init(struct vdev_parent *p, uint64_t base);

/*
 * Interrupts and events reach the child with its next run (vdev_run), not
 * one hypercall each: a line's level is a function of its source's word
 * (high while nonzero: a virtio device's InterruptStatus, the UART's
 * level), read as the child is resumed. A source with an MMIO window
 * (isr_base) also has the root answer the child's InterruptStatus reads and
 * InterruptACK writes from that word (RP_HC_ISR), without an exit to us.
 */
void vdev_irq_source(unsigned irq, const uint32_t *word, uint64_t isr_base);
/* Event bits (RP_EV_NET) for a layer child, posted with its next run;
 * nothing for a child that takes interrupts. */
void vdev_post(uint64_t events);
/* The child VM's handle (before the child runs); irqs: it has an irqchip. */
void vdev_set_vm(int64_t vm, bool irqs);
/* RP_HC_VCPU_RUN of the child's vcpu, its lines and pending events with it. */
int64_t vdev_run(uint64_t vcpu, struct rp_exit *ex);

/* A child MMIO exit at addr: true when inside [base, base + size) (handled:
 * the device's registers, the rest of the window reads as zero). */
bool vdev_mmio(struct vio_dev *d, uint64_t base, uint64_t size, uint64_t addr, uint8_t *data,
	       unsigned len, bool write);

/* The device of virtio id `id` my parent gave me, or NULL. */
const struct rp_dev *vdev_find(const struct rp_boot_info *info, uint32_t id);
/* My parent's device of kind dev ("disk", "rng") would not start: log why
 * and end the layer (a layer never runs with a half-working device). */
void vdev_parent_fail(const char *who, const char *dev, const char *why)
	__attribute__((noreturn));

/* "<who>: <dev>: <what> <v>", at most 16 lines per layer. */
void vdev_note(const char *who, const char *dev, const char *what, uint64_t v);

#endif
