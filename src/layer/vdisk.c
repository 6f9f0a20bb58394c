/* SPDX-License-Identifier: MIT */
/*
 * A layer's disk bridge (vdisk.h): the vmm's and pass's. Requests arrive
 * from the device model already checked against the capacity, as iovs into
 * the child's RAM (our memory); the driver hands them to our parent in
 * chunks of at most VDRV_SEGS segments, each chunk whole sectors,
 * synchronously: the parent completes a request before our notify returns,
 * so the child's request is done when its own notify returns too. Every
 * layer between the root and the vmm runs this, so a request crosses each
 * layer once, its buffers never copied: each layer's gpa_ptr turns its
 * child's addresses into its own, which its parent understands in turn.
 */
#include "layer/vdisk.h"

#include "layer/hc.h"
#include "layer/layer.h"
#include "layer/lib.h"
#include "layer/vdev.h"
#include "lib/rt.h"
#include "virtio/driver.h"
#include "virtio/virtio.h"

#define VIRTIO_ID_BLOCK 2
#define VDRV_SEGS (VDRV_QUEUE_SIZE - 2) /* header and status take two descriptors */

static struct vdrv_blk drv;
static struct vio_blk blk;
static struct vio_blk_backend be;
static struct vio_host host;
static struct vdev_parent parent; /* the parent's register window */
static uint64_t child_base;   /* the child's register window, child-physical */
static uint64_t child_window; /* and its size */
static const char *who = "vmm";
static bool present;

int (*vdisk_check)(bool write, uint64_t off, uint64_t bytes);

static void note(const char *what, uint64_t v)
{
	vdev_note(who, "disk", what, v);
}

/* Chunks of at most VDRV_SEGS segments, each a whole number of sectors. */
static int rw(bool write, uint64_t off, const struct vio_iov *iov, unsigned n)
{
	if (vdisk_check) { /* the whole request, before any piece of it moves */
		uint64_t total = 0;

		for (unsigned i = 0; i < n; i++)
			total += iov[i].len;
		if (vdisk_check(write, off, total))
			return -5; /* EIO: VIRTIO_BLK_S_IOERR in the child */
	}
	while (n) {
		unsigned k = n < VDRV_SEGS ? n : VDRV_SEGS, i;
		uint64_t bytes = 0;

		for (i = 0; i < k; i++)
			bytes += iov[i].len;
		if (bytes % VIO_BLK_SECTOR) {
			note("request piece not whole sectors, bytes", bytes);
			return -5; /* EIO */
		}
		if (vdrv_blk_rw(&drv, write, off, iov, k) < 0) {
			note(write ? "parent write failed at" : "parent read failed at", off);
			return -5;
		}
		off += bytes;
		iov += k;
		n -= k;
	}
	return 0;
}

static int be_read(void *ctx, uint64_t off, const struct vio_iov *iov, unsigned n)
{
	(void)ctx;
	return rw(false, off, iov, n);
}

static int be_write(void *ctx, uint64_t off, const struct vio_iov *iov, unsigned n)
{
	(void)ctx;
	return rw(true, off, iov, n);
}

static int be_flush(void *ctx)
{
	(void)ctx;
	return vdrv_blk_flush(&drv) < 0 ? -5 : 0;
}

static void dev_log(void *ctx, const char *dev, const char *what, uint64_t value)
{
	(void)ctx;
	(void)dev;
	note(what, value);
}

int vdisk_init(const struct rp_boot_info *info, const char *name, uint64_t base, uint64_t size,
	       int irq, void *(*gpa_ptr)(void *, uint64_t, uint64_t, bool), void *ctx)
{
	const struct rp_dev *d = vdev_find(info, VIRTIO_ID_BLOCK);
	const char *why = "?";

	if (!d)
		return 0;
	who = name;
	vdev_parent_init(&parent, d->base);
	if (vdrv_blk_init(&drv, &parent.host, &why) < 0)
		vdev_parent_fail(who, "disk", why);
	be = (struct vio_blk_backend){
	    .capacity = drv.capacity,
	    .read_only = drv.read_only,
	    .read = be_read,
	    .write = be_write,
	    .flush = be_flush,
	};
	rt_memcpy(be.serial, "rampart-vdisk", 13);
	host =
	    (struct vio_host){.ctx = ctx, .gpa_ptr = gpa_ptr, .log = dev_log};
	child_base = base;
	child_window = size;
	vio_blk_init(&blk, &host, irq < 0 ? 0 : (unsigned)irq, &be);
	if (irq >= 0)
		vdev_irq_source((unsigned)irq, &blk.dev.isr, base);
	present = true;
	{
		struct line l = {.len = 0};

		line_str(&l, who);
		line_str(&l, ": disk of ");
		line_dec(&l, drv.capacity);
		line_str(&l, drv.read_only ? " sectors (read-only) for the " : " sectors for the ");
		line_str(&l, irq < 0 ? "child layer" : "guest");
		line_send(&l);
	}
	return 1;
}

bool vdisk_mmio(uint64_t addr, uint8_t *data, unsigned len, bool write)
{
	return present && vdev_mmio(&blk.dev, child_base, child_window, addr, data, len, write);
}
