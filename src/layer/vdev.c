/* SPDX-License-Identifier: MIT */
/*
 * A layer's forwarded devices (vdev.h): the table, the parent's windows,
 * the child's interrupt lines and events.
 *
 * Invariants:
 *  1. A child MMIO exit reaches a device model only inside that device's
 *     started window, and at most 8 bytes of it (the exit's data); past
 *     the registers the window reads as zero and ignores writes.
 *  2. A device starts whole or the layer ends (parent_fail): no
 *     window, line or log line of a device whose parent side is broken.
 */
#include "layer/vdev.h"

#include "layer/hc.h"
#include "layer/layer.h"
#include "layer/lib.h"
#include "lib/rt.h"

/* A layer's interrupt sources: its forwarded devices and the vmm's UART. */
#define VDEV_SOURCES 8
_Static_assert(VDEV_KINDS + 1 <= VDEV_SOURCES, "every device's line, and the UART's");

#define MMIO_STATUS 0x070 /* virtio-mmio register: 0 resets the device */

/* Indexed by kind: the order of the child's windows (the disk first). */
static struct vdev *const table[VDEV_KINDS] = {
    [VDEV_DISK] = &vdisk_dev, [VDEV_RNG] = &vrng_dev, [VDEV_NET] = &vnet_dev};

struct vdev_hooks vdev_hooks;

static int64_t child_vm = -1;
static bool child_irqs;
static struct {
	unsigned irq;
	const volatile uint32_t *word;
	uint64_t isr_base; /* its virtio-mmio window, 0: none */
} sources[VDEV_SOURCES];
static unsigned nsources;
static uint64_t pending; /* events for a layer child's next run */
static unsigned logged;

static uint32_t win_read(void *ctx, uint64_t off)
{
	return *(volatile uint32_t *)(((struct vdev_parent *)ctx)->window + off);
}

static void win_write(void *ctx, uint64_t off, uint32_t val)
{
	*(volatile uint32_t *)(((struct vdev_parent *)ctx)->window + off) = val;
}

/* A layer's virtual addresses are its physical addresses. */
static uint64_t to_gpa(void *ctx, const void *p)
{
	(void)ctx;
	return (uint64_t)(uintptr_t)p;
}

void vdev_parent_init(struct vdev_parent *p, uint64_t base)
{
	p->window = (uint8_t *)(uintptr_t)base;
	p->host = (struct vdrv_host){
	    .ctx = p, .mmio_read = win_read, .mmio_write = win_write, .to_gpa = to_gpa};
}

/* The root answers the source's interrupt registers; refused, they come to us. */
static void isr_offload(unsigned i)
{
	if (child_vm >= 0 && child_irqs && sources[i].isr_base)
		hc5(RP_HC_ISR, (uint64_t)child_vm, sources[i].isr_base,
		    (uint64_t)(uintptr_t)sources[i].word, sources[i].irq, 0);
}

void vdev_irq_source(unsigned irq, const uint32_t *word, uint64_t isr_base)
{
	if (nsources == VDEV_SOURCES || irq >= RP_MAX_LINES)
		return; /* not reached: the sources are ours, fixed at build time */
	sources[nsources].irq = irq;
	sources[nsources].word = word;
	sources[nsources].isr_base = isr_base;
	isr_offload(nsources++);
}

void vdev_post(uint64_t events)
{
	if (!child_irqs)
		pending |= events;
}

void vdev_set_vm(int64_t vm, bool irqs)
{
	child_vm = vm;
	child_irqs = irqs;
	pending = 0;
	for (unsigned i = 0; i < nsources; i++)
		isr_offload(i);
}

int64_t vdev_run(uint64_t vcpu, struct rp_exit *ex)
{
	uint64_t lines = 0, levels = 0, events = 0;

	if (child_irqs) {
		for (unsigned i = 0; i < nsources; i++) {
			lines |= 1ULL << sources[i].irq;
			if (*sources[i].word)
				levels |= 1ULL << sources[i].irq;
		}
	} else {
		events = pending;
		pending = 0;
	}
	return hc5(RP_HC_VCPU_RUN, vcpu, (uint64_t)(uintptr_t)ex, lines, levels, events);
}

void vdev_note(const char *who, const char *dev, const char *what, uint64_t v)
{
	struct line l = {.len = 0};

	if (logged >= 16)
		return;
	logged++;
	line_str(&l, who);
	line_str(&l, ": ");
	line_str(&l, dev);
	line_str(&l, ": ");
	line_str(&l, what);
	line_str(&l, " ");
	line_hex(&l, v);
	line_send(&l);
}

const struct rp_dev *vdev_find(const struct rp_boot_info *info, uint32_t id)
{
	for (unsigned i = 0; i < info->ndevs && i < RP_MAX_DEVS; i++)
		if (info->devs[i].id == id)
			return &info->devs[i];
	return NULL;
}

/* My parent's device of kind dev would not start: log why and end the layer
 * (invariant 2). */
static __attribute__((noreturn)) void parent_fail(const char *who, const char *dev, const char *why)
{
	struct line l = {.len = 0};

	line_str(&l, who);
	line_str(&l, ": the parent's ");
	line_str(&l, dev);
	line_str(&l, ": ");
	line_str(&l, why);
	line_send(&l);
	hc_exit(LAYER_CODE_BAD);
}

/* The device models' log, each line prefixed with the device's. */
static void dev_log(void *ctx, const char *dev, const char *what, uint64_t value)
{
	const struct vdev *v = ctx;

	(void)dev;
	vdev_note(v->who, v->name, what, value);
}

/* The models' gpa_ptr: the personality's, on its own ctx. */
static void *dev_ptr(void *ctx, uint64_t gpa, uint64_t len, bool write)
{
	const struct vdev *v = ctx;

	return v->gpa_ptr(v->ctx, gpa, len, write);
}

static void start(struct vdev *v, const struct rp_dev *d)
{
	struct line l = {.len = 0};
	const char *why = "?";

	vdev_parent_init(&v->parent, d->base);
	v->host = (struct vio_host){.ctx = v, .gpa_ptr = dev_ptr, .log = dev_log};
	if (v->init(v, &why) < 0)
		parent_fail(v->who, v->name, why);
	if (v->irq >= 0)
		vdev_irq_source((unsigned)v->irq, &v->dev->isr, v->base);
	line_str(&l, v->who);
	line_str(&l, ": ");
	if (v->report) {
		v->report(v, &l);
	} else {
		line_str(&l, v->name);
		line_str(&l, v->irq < 0 ? " for the child layer" : " for the guest");
	}
	line_send(&l);
}

unsigned vdev_start_all(const struct rp_boot_info *info, const char *who, uint64_t base,
			uint64_t stride, int first_irq,
			void *(*gpa_ptr)(void *, uint64_t, uint64_t, bool), void *ctx,
			uint32_t allowed, struct rp_dev out[VDEV_KINDS])
{
	unsigned n = 0;

	for (unsigned k = 0; k < VDEV_KINDS; k++) {
		struct vdev *v = table[k];
		const struct rp_dev *d = vdev_find(info, v->id);

		if (!d || !(allowed & v->allow))
			continue;
		v->who = who;
		v->base = base + n * stride;
		v->size = stride;
		v->irq = first_irq < 0 ? -1 : first_irq + (int)n;
		v->gpa_ptr = gpa_ptr;
		v->ctx = ctx;
		start(v, d);
		out[n++] = (struct rp_dev){.id = v->id, .base = v->base};
	}
	return n;
}

bool vdev_dispatch(uint64_t addr, uint8_t *data, unsigned len, bool write)
{
	for (unsigned k = 0; k < VDEV_KINDS; k++) {
		struct vdev *v = table[k];
		uint64_t off = addr - v->base;

		if (!v->dev || addr < v->base || off >= v->size)
			continue;
		if (len > 8) /* invariant 1 */
			len = 8;
		if (off >= VIO_MMIO_SIZE) {
			if (!write)
				rt_memset(data, 0, len);
		} else if (write) {
			vio_mmio_write(v->dev, off, data, len);
		} else {
			vio_mmio_read(v->dev, off, data, len);
		}
		if (v->mmio)
			v->mmio(v, off, data, len, write);
		return true;
	}
	return false;
}

void vdev_poll_all(void)
{
	for (unsigned k = 0; k < VDEV_KINDS; k++)
		if (table[k]->dev && table[k]->poll)
			table[k]->poll(table[k]);
}

unsigned vdev_reset_all(void)
{
	unsigned n = 0;

	for (unsigned k = 0; k < VDEV_KINDS; k++) {
		uint8_t zero[4] = {0, 0, 0, 0};

		if (table[k]->dev && vdev_dispatch(table[k]->base + MMIO_STATUS, zero, 4, true))
			n++;
	}
	return n;
}
