/* SPDX-License-Identifier: MIT */
/*
 * A layer's rng bridge (vrng.h). The child's buffers arrive from the device
 * model as pointers into the child's RAM (our memory); each goes to our
 * parent's rng as one request, synchronously, so a request crosses every
 * layer down to the root's getrandom once, never copied.
 */
#include "layer/vrng.h"

#include "layer/hc.h"
#include "layer/layer.h"
#include "layer/lib.h"
#include "layer/vdev.h"
#include "lib/rt.h"
#include "virtio/driver.h"
#include "virtio/virtio.h"

#define VIRTIO_ID_RNG 4

static struct vdrv_rng drv;
static struct vio_rng rng;
static struct vio_rng_backend be;
static struct vio_host host;
static struct vdev_parent parent;
static uint64_t child_base, child_window;
static const char *who = "vmm";
static bool present;

/* One request per call: the device model asks again for what is left of
 * the buffer only if we filled it all, so a short answer is fine. */
static int be_fill(void *ctx, void *buf, size_t len)
{
	int got;

	(void)ctx;
	if (len > INT32_MAX)
		len = INT32_MAX;
	if (len == 0)
		return 0;
	got = vdrv_rng_fill(&drv, buf, (uint32_t)len);
	if (got < 0) {
		vdev_note(who, "rng", "parent fill failed, bytes", len);
		return -5; /* EIO */
	}
	return got;
}

static void dev_log(void *ctx, const char *dev, const char *what, uint64_t value)
{
	(void)ctx;
	(void)dev;
	vdev_note(who, "rng", what, value);
}

int vrng_init(const struct rp_boot_info *info, const char *name, uint64_t base, uint64_t size,
	      int irq, void *(*gpa_ptr)(void *, uint64_t, uint64_t, bool), void *ctx)
{
	const struct rp_dev *d = vdev_find(info, VIRTIO_ID_RNG);
	const char *why = "?";

	if (!d)
		return 0;
	who = name;
	vdev_parent_init(&parent, d->base);
	if (vdrv_rng_init(&drv, &parent.host, &why) < 0)
		vdev_parent_fail(who, "rng", why);
	be = (struct vio_rng_backend){.fill = be_fill};
	host = (struct vio_host){
	    .ctx = ctx, .gpa_ptr = gpa_ptr, .log = dev_log};
	child_base = base;
	child_window = size;
	vio_rng_init(&rng, &host, irq < 0 ? 0 : (unsigned)irq, &be);
	if (irq >= 0)
		vdev_irq_source((unsigned)irq, &rng.dev.isr, base);
	present = true;
	{
		struct line l = {.len = 0};

		line_str(&l, who);
		line_str(&l, ": rng for the ");
		line_str(&l, irq < 0 ? "child layer" : "guest");
		line_send(&l);
	}
	return 1;
}

bool vrng_mmio(uint64_t addr, uint8_t *data, unsigned len, bool write)
{
	return present && vdev_mmio(&rng.dev, child_base, child_window, addr, data, len, write);
}
