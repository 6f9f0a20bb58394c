/* SPDX-License-Identifier: MIT */
/*
 * A layer's disk bridge (a vdev, vdev.h): the virtio-blk device our parent
 * lists, driven by src/virtio/driver.c, is the backend of the virtio-blk
 * model (src/virtio/blk.c) the child finds. Requests arrive from the model
 * already checked against the capacity, as iovs into the child's RAM (our
 * memory), and cross in batches: every request the child's notify offers
 * is posted to our parent's queue as the model pops it (in pieces of at
 * most VDRV_SEGS segments, each whole sectors), our parent is notified
 * once per batch (the model's finish; sooner when our parent's queue
 * fills, or before a flush, which the model hands on only once every
 * request before it came back), and the child's chains are completed,
 * each with its own status, once our parent completed the batch: the
 * child's requests are done when its notify returns. Every layer between
 * the root and the vmm runs this, so a batch crosses each layer once, its
 * buffers never copied: each layer's gpa_ptr turns its child's addresses
 * into its own, which its parent understands in turn.
 *
 * Invariants:
 *  1. A wrapper's check (vdev_hooks.request) sees each request whole
 *     before any piece of it is posted; one it refuses is failed
 *     (VIRTIO_BLK_S_IOERR) and nothing of it reaches our parent. A check
 *     that waits (a rate limit) first has what it passed before cross
 *     (vdisk_cross).
 *  2. A child's request is OK only when our parent completed every piece
 *     of it OK; a batch our parent lost, or whose used ring named a chain
 *     not posted (or a length past it), fails every request it served and
 *     no other: each piece is tied to its request by the index its post
 *     gave, checked by the driver against what it posted.
 */
#include "fw/wrap.h"
#include "layer/vdev.h"
#include "lib/rt.h"

#define VDRV_SEGS (VDRV_QUEUE_SIZE - 2) /* header and status take two descriptors */
#define EIO 5 /* errno's EIO: VIRTIO_BLK_S_IOERR in the child */

static struct {
	struct vdrv_blk drv;
	struct vio_blk blk;
	struct vio_blk_backend be;
	/* The child's requests queued since the model's last finish, in
	 * order (a request's slot), each one's result so far; for each
	 * request of ours in the open batch (by its index), the slot it
	 * serves. */
	int res[VIO_BLK_BATCH];
	unsigned nq, nposted;
	uint8_t slot_of[VDRV_BLK_BATCH];
} disk;

static void note(const char *what, uint64_t v)
{
	vdev_note(vdisk_dev.who, "disk", what, v);
}

void vdisk_cross(void)
{
	unsigned failed = 0;

	if (!disk.nposted)
		return;
	if (vdrv_blk_run(&disk.drv) < 0)
		note("parent lost a batch of requests, or confused its used ring:", disk.nposted);
	for (unsigned i = 0; i < disk.nposted; i++) {
		if (disk.drv.st[i] == VDRV_BLK_S_OK)
			continue;
		disk.res[disk.slot_of[i]] = -EIO;
		failed++;
	}
	if (failed)
		note("parent failed requests of a batch:", failed);
	disk.nposted = 0;
}

/* Post a piece of the child's request at slot (a flush when !iov) to the
 * open batch, which crosses first when it has no room. */
static void post(unsigned slot, bool write, uint64_t off, const struct vio_iov *iov, unsigned n)
{
	unsigned idx = 0;
	int r;

	for (unsigned tries = 0; tries < 2; tries++) {
		r = iov ? vdrv_blk_post(&disk.drv, write, off, iov, n, &idx)
			: vdrv_blk_post_flush(&disk.drv, &idx);
		if (r != 1)
			break;
		vdisk_cross();
	}
	if (r) {
		note(write ? "parent refused a write at" : "parent refused a request at", off);
		disk.res[slot] = -EIO;
		return;
	}
	disk.slot_of[idx] = (uint8_t)slot;
	disk.nposted++;
}

/* A slot for the child's next request, or -1 (more than the model hands
 * us between finishes: it does not). */
static int slot(void)
{
	if (disk.nq == VIO_BLK_BATCH)
		return -1;
	disk.res[disk.nq] = 0;
	return (int)disk.nq++;
}

static int rw(bool write, uint64_t off, const struct vio_iov *iov, unsigned n)
{
	int s;

	if (vdev_hooks.request) { /* the whole request, before any piece of it moves */
		uint64_t total = 0;

		for (unsigned i = 0; i < n; i++)
			total += iov[i].len;
		if (vdev_hooks.request(write, off, total))
			return -EIO; /* VIRTIO_BLK_S_IOERR in the child */
	}
	/* Every piece whole sectors, before any is posted. */
	for (unsigned i = 0; i < n; i += VDRV_SEGS) {
		uint64_t bytes = 0;

		for (unsigned k = i; k < n && k < i + VDRV_SEGS; k++)
			bytes += iov[k].len;
		if (bytes % VIO_BLK_SECTOR) {
			note("request piece not whole sectors, bytes", bytes);
			return -EIO;
		}
	}
	s = slot();
	if (s < 0)
		return -EIO;
	while (n) {
		unsigned k = n < VDRV_SEGS ? n : VDRV_SEGS;
		uint64_t bytes = 0;

		for (unsigned i = 0; i < k; i++)
			bytes += iov[i].len;
		post((unsigned)s, write, off, iov, k);
		off += bytes;
		iov += k;
		n -= k;
	}
	return 0; /* queued: its result comes with be_finish */
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
	int s = slot();

	(void)ctx;
	if (s < 0)
		return -EIO;
	post((unsigned)s, false, 0, NULL, 0);
	return 0;
}

/* The model's finish: the open batch crosses, each request's result. */
static void be_finish(void *ctx, int *res, unsigned n)
{
	(void)ctx;
	vdisk_cross();
	for (unsigned i = 0; i < n; i++)
		res[i] = i < disk.nq ? disk.res[i] : -EIO;
	disk.nq = 0;
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
	    .finish = be_finish,
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
