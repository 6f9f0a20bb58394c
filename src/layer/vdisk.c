/* SPDX-License-Identifier: MIT */
/*
 * A layer's disk bridge (a vdev, vdev.h): the virtio-blk device our parent
 * lists, driven by src/virtio/driver.c, is the backend of the virtio-blk
 * model (src/virtio/blk.c) the child finds. Requests arrive from the model
 * already checked against the capacity, as iovs into the child's RAM (our
 * memory); the driver hands them to our parent in chunks of at most
 * VDRV_SEGS segments, each chunk whole sectors, synchronously: the parent
 * completes a request before our notify returns, so the child's request
 * is done when its own notify returns too. Every layer between the root
 * and the vmm runs this, so a request crosses each layer once, its buffers
 * never copied: each layer's gpa_ptr turns its child's addresses into its
 * own, which its parent understands in turn. A wrapper's check
 * (vdev_hooks.request) sees each request whole before any of it moves.
 */
#include "fw/wrap.h"
#include "layer/vdev.h"
#include "lib/rt.h"

#define VDRV_SEGS (VDRV_QUEUE_SIZE - 2) /* header and status take two descriptors */

static struct {
	struct vdrv_blk drv;
	struct vio_blk blk;
	struct vio_blk_backend be;
} disk;

static void note(const char *what, uint64_t v)
{
	vdev_note(vdisk_dev.who, "disk", what, v);
}

/* Chunks of at most VDRV_SEGS segments, each a whole number of sectors. */
static int rw(bool write, uint64_t off, const struct vio_iov *iov, unsigned n)
{
	if (vdev_hooks.request) { /* the whole request, before any piece of it moves */
		uint64_t total = 0;

		for (unsigned i = 0; i < n; i++)
			total += iov[i].len;
		if (vdev_hooks.request(write, off, total))
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
		if (vdrv_blk_rw(&disk.drv, write, off, iov, k) < 0) {
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
	return vdrv_blk_flush(&disk.drv) < 0 ? -5 : 0;
}

static int init(struct vdev *v, const char **why)
{
	if (vdrv_blk_init(&disk.drv, &v->parent.host, why) < 0)
		return -1;
	disk.be = (struct vio_blk_backend){
	    .capacity = disk.drv.capacity,
	    .read_only = disk.drv.read_only,
	    .read = be_read,
	    .write = be_write,
	    .flush = be_flush,
	};
	rt_memcpy(disk.be.serial, "rampart-vdisk", 13);
	vio_blk_init(&disk.blk, &v->host, v->irq < 0 ? 0 : (unsigned)v->irq, &disk.be);
	v->dev = &disk.blk.dev;
	return 0;
}

static void report(const struct vdev *v, struct line *l)
{
	line_str(l, "disk of ");
	line_dec(l, disk.drv.capacity);
	line_str(l, disk.drv.read_only ? " sectors (read-only) for the " : " sectors for the ");
	line_str(l, v->irq < 0 ? "child layer" : "guest");
}

struct vdev vdisk_dev = {
    .name = "disk", .id = RP_DEV_ID_BLOCK, .allow = WR_DEV_DISK, .init = init, .report = report};
