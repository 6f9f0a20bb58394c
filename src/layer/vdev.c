/* SPDX-License-Identifier: MIT */
/* What a layer's forwarded devices share (vdev.h). */
#include "layer/vdev.h"

#include "layer/hc.h"
#include "layer/layer.h"
#include "layer/lib.h"
#include "lib/rt.h"

#define VDEV_LINES 32

static int64_t child_vm = -1;
static bool child_irqs;
static int8_t levels[VDEV_LINES]; /* 0, 1; -1: not driven yet */
static bool levels_set;
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

void vdev_set_irq(void *ctx, unsigned irq, int level)
{
	(void)ctx;
	level = level ? 1 : 0;
	if (!levels_set) {
		rt_memset(levels, 0xff, sizeof(levels));
		levels_set = true;
	}
	if (!child_irqs || child_vm < 0 || irq >= VDEV_LINES || levels[irq] == level)
		return;
	levels[irq] = (int8_t)level;
	hc5(RP_HC_IRQ_LINE, (uint64_t)child_vm, irq, (uint64_t)level, 0, 0);
}

void vdev_post(uint64_t events)
{
	if (child_vm >= 0 && !child_irqs)
		hc5(RP_HC_POST, (uint64_t)child_vm, events, 0, 0, 0);
}

void vdev_set_vm(int64_t vm, bool irqs)
{
	child_vm = vm;
	child_irqs = irqs;
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
