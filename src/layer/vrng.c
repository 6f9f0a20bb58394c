/* SPDX-License-Identifier: MIT */
/*
 * A layer's rng bridge (a vdev, vdev.h): the virtio-rng device our parent
 * lists, driven by src/virtio/driver.c, is the backend (fill) of the
 * virtio-rng model (src/virtio/rng.c) the child finds. The child's buffers
 * arrive from the model as pointers into the child's RAM (our memory);
 * each goes to our parent's rng as one request, synchronously, so a
 * request crosses every layer down to the root's getrandom once, never
 * copied.
 */
#include "fw/wrap.h"
#include "layer/vdev.h"


static struct {
	struct vdrv_rng drv;
	struct vio_rng model;
} rng;

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
	got = vdrv_rng_fill(&rng.drv, buf, (uint32_t)len);
	if (got < 0) {
		vdev_note(vrng_dev.who, "rng", "parent fill failed, bytes", len);
		return -5; /* EIO */
	}
	return got;
}

static const struct vio_rng_backend be = {.fill = be_fill};

static int init(struct vdev *v, const char **why)
{
	if (vdrv_rng_init(&rng.drv, &v->parent.host, why) < 0)
		return -1;
	vio_rng_init(&rng.model, &v->host, v->irq < 0 ? 0 : (unsigned)v->irq, &be);
	v->dev = &rng.model.dev;
	return 0;
}

struct vdev vrng_dev = {.name = "rng", .id = RP_DEV_ID_RNG, .allow = WR_DEV_RNG, .init = init};
