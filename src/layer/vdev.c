/* SPDX-License-Identifier: MIT */
/* What a layer's forwarded devices share (vdev.h). */
#include "layer/vdev.h"

#include "layer/hc.h"
#include "layer/layer.h"
#include "layer/lib.h"
#include "lib/rt.h"

/* A layer's interrupt sources: its three forwarded devices and the vmm's UART. */
#define VDEV_SOURCES 8

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

bool vdev_mmio(struct vio_dev *d, uint64_t base, uint64_t size, uint64_t addr, uint8_t *data,
	       unsigned len, bool write)
{
	uint64_t off = addr - base;

	if (!d || addr < base || off >= size)
		return false;
	if (len > 8)
		len = 8;
	if (off >= VIO_MMIO_SIZE) {
		if (!write)
			rt_memset(data, 0, len);
		return true;
	}
	if (write)
		vio_mmio_write(d, off, data, len);
	else
		vio_mmio_read(d, off, data, len);
	return true;
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

void vdev_parent_fail(const char *who, const char *dev, const char *why)
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
