/* SPDX-License-Identifier: MIT */
/* The virtio-blk and virtio-rng drivers, talking to the real device models in-process. */
#include "unit.h"

#include "virtio/driver.h"
#include "virtio/virtio.h"

/* Fake guest RAM: holds the driver's struct and every data buffer. */
#define RAM_SIZE (1u << 20)
static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));

#define DISK_SECTORS 2048 /* 1 MiB */
#include "mem_disk.h"

static struct vio_blk dev;
static struct vio_blk_backend be;
static struct vio_host vhost;
static struct vdrv_host dhost;
static struct vdrv_blk *drv;
static struct vdrv_dev *cur; /* the driver whose used ring the knobs spoil */

/* Misbehaviour knobs for the device side. */
static bool swallow_notify;
static int extra_used;	  /* added to used.idx after a notify */
static uint32_t bad_id;	  /* xor'ed into the used id after a notify */
static unsigned notifies;
static uint32_t extra_len; /* added to the used length after a notify */
static bool hide_event_idx; /* the device does not offer VIRTIO_F_EVENT_IDX */
static unsigned isr_touched; /* InterruptStatus reads and InterruptACK writes */

#define F_EVENT_IDX (1ull << 29)

static void *t_gpa_ptr(void *ctx, uint64_t gpa, uint64_t len, bool write)
{
	(void)ctx;
	(void)write;
	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		return NULL;
	return ram + gpa;
}

static uint32_t t_mmio_read(void *ctx, uint64_t off)
{
	uint32_t v;

	vio_mmio_read(ctx, off, &v, 4);
	if (off == 0x060)
		isr_touched++;
	if (off == 0x010 && hide_event_idx && ((struct vio_dev *)ctx)->dev_feat_sel == 0)
		v &= ~(uint32_t)F_EVENT_IDX;
	return v;
}

static void t_mmio_write(void *ctx, uint64_t off, uint32_t val)
{
	if (off == 0x064)
		isr_touched++;
	if (off == 0x050) {
		notifies++;
		if (swallow_notify)
			return;
	}
	vio_mmio_write(ctx, off, &val, 4);
	if (off == 0x050) {
		uint16_t last = (uint16_t)(cur->q.used.idx - 1);

		cur->q.used.ring[last % VDRV_QUEUE_SIZE].id ^= bad_id;
		cur->q.used.ring[last % VDRV_QUEUE_SIZE].len += extra_len;
		cur->q.used.idx = (uint16_t)(cur->q.used.idx + extra_used);
	}
}

static uint64_t t_to_gpa(void *ctx, const void *p)
{
	(void)ctx;
	assert_true((const uint8_t *)p >= ram && (const uint8_t *)p < ram + RAM_SIZE);
	return (uint64_t)((const uint8_t *)p - ram);
}

/* A clean RAM and a well-behaved device side. */
static void reset_knobs(void)
{
	memset(ram, 0, sizeof(ram));
	swallow_notify = false;
	extra_used = 0;
	extra_len = 0;
	bad_id = 0;
	notifies = 0;
	isr_touched = 0;
}

/* Data buffers start here, well past the driver's struct. */
#define DATA_BASE 0x10000u

static int start(bool ro, uint64_t capacity)
{
	const char *why = NULL;
	int r;

	reset_knobs();
	memset(disk, 0, sizeof(disk));
	flushes = 0;
	be = (struct vio_blk_backend){ .capacity = capacity, .read_only = ro,
				       .serial = "drv-test", .read = t_read, .write = t_write,
				       .flush = t_flush };
	vhost = (struct vio_host){ .gpa_ptr = t_gpa_ptr };
	vio_blk_init(&dev, &vhost, 5, &be);
	dhost = (struct vdrv_host){ .ctx = &dev, .mmio_read = t_mmio_read,
				    .mmio_write = t_mmio_write, .to_gpa = t_to_gpa };
	assert_true(sizeof(struct vdrv_blk) < DATA_BASE);
	drv = (struct vdrv_blk *)(void *)ram;
	cur = &drv->d;
	r = vdrv_blk_init(drv, &dhost, &why);
	if (r == 0)
		assert_null(why);
	else
		assert_non_null(why);
	return r;
}

static void test_init(void **state)
{
	(void)state;
	assert_int_equal(start(false, DISK_SECTORS), 0);
	assert_int_equal(drv->capacity, DISK_SECTORS);
	assert_false(drv->read_only);
	/* Capacity above 32 bits crosses both config words. */
	assert_int_equal(start(false, 0x123456789ull), 0);
	assert_int_equal(drv->capacity, 0x123456789ull);
}

static void fill(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed * 13 + (i >> 9));
}

static void test_rw(void **state)
{
	static const uint64_t offs[] = { 0, 512, 4096, 100 * 512, (DISK_SECTORS - 7) * 512ull };
	static const uint32_t lens[] = { 512, 1024, 2048 };
	uint8_t *src = ram + DATA_BASE, *dst = ram + DATA_BASE + 0x8000;
	struct vio_iov w[3], r[4];

	(void)state;
	assert_int_equal(start(false, DISK_SECTORS), 0);
	for (unsigned k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
		size_t total = 0;

		fill(src, 3584, k);
		for (unsigned i = 0; i < 3; i++) {
			w[i] = (struct vio_iov){ src + total, lens[i] };
			total += lens[i];
		}
		assert_int_equal(vdrv_blk_rw(drv, true, offs[k], w, 3), 0);
		assert_memory_equal(disk + offs[k], src, total);

		/* Read back with a different segmentation. */
		memset(dst, 0xee, total);
		r[0] = (struct vio_iov){ dst, 1536 };
		r[1] = (struct vio_iov){ dst + 1536, 512 };
		r[2] = (struct vio_iov){ dst + 2048, 1024 };
		r[3] = (struct vio_iov){ dst + 3072, 512 };
		assert_int_equal(vdrv_blk_rw(drv, false, offs[k], r, 4), 0);
		assert_memory_equal(dst, src, total);
	}
	/* The largest chain: 62 segments. */
	{
		struct vio_iov big[VDRV_QUEUE_SIZE - 1];

		fill(src, 62 * 512, 99);
		for (unsigned i = 0; i < 62; i++)
			big[i] = (struct vio_iov){ src + i * 512, 512 };
		assert_int_equal(vdrv_blk_rw(drv, true, 8192, big, 62), 0);
		assert_memory_equal(disk + 8192, src, 62 * 512);
		assert_int_equal(vdrv_blk_rw(drv, true, 8192, big, 63), -1);
	}
	/* Many requests: the ring indices wrap around the queue size. */
	for (unsigned i = 0; i < 3 * VDRV_QUEUE_SIZE; i++) {
		w[0] = (struct vio_iov){ src, 512 };
		assert_int_equal(vdrv_blk_rw(drv, false, (uint64_t)i * 512, w, 1), 0);
	}
}

static void test_flush(void **state)
{
	(void)state;
	assert_int_equal(start(false, DISK_SECTORS), 0);
	assert_int_equal(vdrv_blk_flush(drv), 0);
	assert_int_equal(flushes, 1);
	assert_int_equal(vdrv_blk_flush(drv), 0);
	assert_int_equal(flushes, 2);
}

static void test_read_only(void **state)
{
	uint8_t *buf = ram + DATA_BASE;
	struct vio_iov v = { buf, 512 };
	unsigned before;

	(void)state;
	assert_int_equal(start(true, DISK_SECTORS), 0);
	assert_true(drv->read_only);
	disk[512] = 0x5a;
	before = notifies;
	memset(buf, 1, 512);
	assert_int_equal(vdrv_blk_rw(drv, true, 0, &v, 1), -1);
	assert_int_equal(notifies, before); /* the device never saw it */
	assert_int_equal(disk[0], 0);
	assert_int_equal(vdrv_blk_rw(drv, false, 512, &v, 1), 0);
	assert_int_equal(buf[0], 0x5a);
}

static void test_refused(void **state)
{
	uint8_t *buf = ram + DATA_BASE;
	struct vio_iov v = { buf, 512 }, odd = { buf, 100 }, two[2] = { { buf, 256 }, { buf + 256, 256 } };
	struct vio_iov zero = { buf, 0 };

	(void)state;
	assert_int_equal(start(false, DISK_SECTORS), 0);
	/* Out of range. */
	assert_int_equal(vdrv_blk_rw(drv, false, DISK_SECTORS * 512ull, &v, 1), -1);
	assert_int_equal(vdrv_blk_rw(drv, true, (DISK_SECTORS + 5) * 512ull, &v, 1), -1);
	assert_int_equal(vdrv_blk_rw(drv, false, UINT64_MAX - 511, &v, 1), -1);
	/* The last sector is fine, one past it is not. */
	assert_int_equal(vdrv_blk_rw(drv, false, (DISK_SECTORS - 1) * 512ull, &v, 1), 0);
	{
		struct vio_iov big = { buf, 1024 };
		assert_int_equal(vdrv_blk_rw(drv, false, (DISK_SECTORS - 1) * 512ull, &big, 1), -1);
	}
	/* Unaligned offset or length, empty requests. */
	assert_int_equal(vdrv_blk_rw(drv, false, 100, &v, 1), -1);
	assert_int_equal(vdrv_blk_rw(drv, false, 0, &odd, 1), -1);
	assert_int_equal(vdrv_blk_rw(drv, false, 0, &v, 0), -1);
	assert_int_equal(vdrv_blk_rw(drv, false, 0, &zero, 1), -1);
	assert_int_equal(notifies, 1);
	/* Segments need not be whole sectors, only their sum. */
	assert_int_equal(vdrv_blk_rw(drv, false, 0, two, 2), 0);
}

static void test_lost(void **state)
{
	uint8_t *buf = ram + DATA_BASE;
	struct vio_iov v = { buf, 512 };

	(void)state;
	assert_int_equal(start(false, DISK_SECTORS), 0);
	swallow_notify = true;
	assert_int_equal(vdrv_blk_rw(drv, false, 0, &v, 1), -1);
	assert_int_equal(vdrv_blk_flush(drv), -1);
	assert_int_equal(flushes, 0);
}

static void test_hostile_used(void **state)
{
	uint8_t *buf = ram + DATA_BASE;
	struct vio_iov v = { buf, 512 };

	(void)state;
	/* used.idx jumps by two */
	assert_int_equal(start(false, DISK_SECTORS), 0);
	extra_used = 1;
	assert_int_equal(vdrv_blk_rw(drv, false, 0, &v, 1), -1);
	/* used id names a descriptor we did not submit */
	assert_int_equal(start(false, DISK_SECTORS), 0);
	bad_id = 5;
	assert_int_equal(vdrv_blk_rw(drv, false, 0, &v, 1), -1);
	assert_int_equal(start(false, DISK_SECTORS), 0);
	bad_id = 0x80000000u;
	assert_int_equal(vdrv_blk_flush(drv), -1);
}

/*
 * Requests posted in a batch cross with one notify and come back each with
 * its status; the queue takes what its descriptors hold, no more.
 */
static void test_blk_batch(void **state)
{
	uint8_t *src = ram + DATA_BASE, *dst = ram + DATA_BASE + 0x10000;
	struct vio_iov v;
	unsigned idx, k, fit = VDRV_QUEUE_SIZE / 3; /* header, one segment, status */

	(void)state;
	assert_int_equal(start(false, DISK_SECTORS), 0);
	fill(src, fit * 1024, 3);
	notifies = 0;
	for (k = 0; k < 16; k++) {
		v = (struct vio_iov){ src + k * 1024, 1024 };
		assert_int_equal(vdrv_blk_post(drv, true, k * 1024, &v, 1, &idx), 0);
		assert_int_equal(idx, k);
	}
	assert_int_equal(notifies, 0); /* posted, not announced */
	assert_int_equal(vdrv_blk_run(drv), 0);
	assert_int_equal(notifies, 1);
	for (k = 0; k < 16; k++)
		assert_int_equal(drv->st[k], VDRV_BLK_S_OK);
	assert_memory_equal(disk, src, 16 * 1024);
	/* Nothing posted: no notify. */
	assert_int_equal(vdrv_blk_run(drv), 0);
	assert_int_equal(notifies, 1);
	/* A full queue of reads: the next, and a flush, find no room. */
	memcpy(disk + 16 * 1024, src + 16 * 1024, (fit - 16) * 1024);
	memset(dst, 0xee, fit * 1024);
	for (k = 0; k < fit; k++) {
		v = (struct vio_iov){ dst + k * 1024, 1024 };
		assert_int_equal(vdrv_blk_post(drv, false, k * 1024, &v, 1, &idx), 0);
	}
	assert_int_equal(vdrv_blk_post(drv, false, 0, &v, 1, &idx), 1);
	assert_int_equal(vdrv_blk_post_flush(drv, &idx), 1);
	assert_int_equal(vdrv_blk_run(drv), 0);
	assert_int_equal(notifies, 2);
	assert_memory_equal(dst, src, fit * 1024);
	/* A bad request is refused at once, the open batch untouched. */
	v = (struct vio_iov){ dst, 100 };
	assert_int_equal(vdrv_blk_post(drv, false, 0, &v, 1, &idx), -1);
	assert_int_equal(drv->nreq, 0);
	assert_int_equal(isr_touched, 0);
}

/* A backend with finish: the model's batches, as a layer's disk sees them. */
static unsigned q_since, q_finishes, q_count, q_flush_pending;
static int q_fail = -1; /* the q_count of the request whose finish fails */
static int q_res[VIO_BLK_BATCH];
static uint16_t q_used_at_first;

static void q_start(void)
{
	if (q_since++ == 0)
		q_used_at_first = drv->d.q.used.idx;
}

static int q_read(void *ctx, uint64_t off, const struct vio_iov *iov, unsigned n)
{
	q_start();
	q_res[q_since - 1] = (int)q_count++ == q_fail ? -5 : 0;
	return t_read(ctx, off, iov, n);
}

static int q_write(void *ctx, uint64_t off, const struct vio_iov *iov, unsigned n)
{
	q_start();
	q_res[q_since - 1] = (int)q_count++ == q_fail ? -5 : 0;
	return t_write(ctx, off, iov, n);
}

static int q_flush(void *ctx)
{
	q_flush_pending += q_since; /* requests handed on before it, unfinished */
	q_start();
	q_res[q_since - 1] = (int)q_count++ == q_fail ? -5 : 0;
	return t_flush(ctx);
}

static void q_finish(void *ctx, int *res, unsigned n)
{
	(void)ctx;
	assert_int_equal(n, q_since);
	/* No chain of the batch went back before its finish. */
	assert_int_equal(drv->d.q.used.idx, q_used_at_first);
	memcpy(res, q_res, n * sizeof(*res));
	q_since = 0;
	q_finishes++;
}

/*
 * Writes, a read, a flush and more in one notify: the backend finishes
 * the requests before the flush first, then the rest; each chain comes
 * back with its own status (one the backend fails, IOERR alone).
 */
static void test_blk_batch_model(void **state)
{
	uint8_t *src = ram + DATA_BASE, *dst = ram + DATA_BASE + 0x10000;
	struct vio_iov v;
	unsigned idx;

	(void)state;
	assert_int_equal(start(false, DISK_SECTORS), 0);
	be.read = q_read;
	be.write = q_write;
	be.flush = q_flush;
	be.finish = q_finish;
	q_since = q_finishes = q_count = q_flush_pending = 0;
	q_fail = 5;
	fill(src, 4096, 7);
	v = (struct vio_iov){ src, 1024 };
	assert_int_equal(vdrv_blk_post(drv, true, 0, &v, 1, &idx), 0);
	v = (struct vio_iov){ src + 1024, 1024 };
	assert_int_equal(vdrv_blk_post(drv, true, 1024, &v, 1, &idx), 0);
	v = (struct vio_iov){ dst, 512 };
	assert_int_equal(vdrv_blk_post(drv, false, 512, &v, 1, &idx), 0);
	assert_int_equal(vdrv_blk_post_flush(drv, &idx), 0);
	v = (struct vio_iov){ dst + 512, 2048 };
	assert_int_equal(vdrv_blk_post(drv, false, 0, &v, 1, &idx), 0);
	v = (struct vio_iov){ dst + 4096, 512 };
	assert_int_equal(vdrv_blk_post(drv, false, 0, &v, 1, &idx), 0);
	notifies = 0;
	assert_int_equal(vdrv_blk_run(drv), 0);
	assert_int_equal(notifies, 1);
	assert_int_equal(q_finishes, 2);
	assert_int_equal(q_flush_pending, 0);
	assert_int_equal(flushes, 1);
	for (unsigned k = 0; k < 5; k++)
		assert_int_equal(drv->st[k], VDRV_BLK_S_OK);
	assert_int_equal(drv->st[5], VDRV_BLK_S_IOERR);
	assert_memory_equal(dst, src + 512, 512);
	assert_memory_equal(dst + 512, src, 2048);
	assert_int_equal(drv->d.q.used.idx, 6);
	q_fail = -1;
}

/*
 * A device that confuses a batch's used ring (a head not posted, a length
 * past what the chain lets it write, more completions than chains) or
 * loses it: every request of the batch fails, and nothing is posted over
 * its descriptors until the device gave them back.
 */
static void test_blk_batch_hostile(void **state)
{
	uint8_t *buf = ram + DATA_BASE;
	struct vio_iov v = { buf, 512 };
	unsigned idx, k;
	uint32_t q0 = 0;

	(void)state;
	for (unsigned kind = 0; kind < 3; kind++) {
		assert_int_equal(start(false, DISK_SECTORS), 0);
		if (kind == 0)
			bad_id = 0x40; /* the last head, 6, names 70 */
		else if (kind == 1)
			extra_len = 512; /* 1025 bytes of a 513-byte chain */
		else
			extra_used = 1;
		for (k = 0; k < 3; k++)
			assert_int_equal(vdrv_blk_post(drv, false, k * 512, &v, 1, &idx), 0);
		assert_int_equal(vdrv_blk_run(drv), -1);
		for (k = 0; k < 3; k++)
			assert_int_equal(drv->st[k], VDRV_BLK_S_IOERR);
		assert_true(drv->held > 0);
		assert_int_equal(vdrv_blk_post(drv, false, 0, &v, 1, &idx), -1);
		assert_int_equal(vdrv_blk_rw(drv, false, 0, &v, 1), -1);
		assert_int_equal(drv->status, VDRV_BLK_S_NONE);
	}
	/* Lost: the device ignores the notify, then polls at last. */
	assert_int_equal(start(false, DISK_SECTORS), 0);
	swallow_notify = true;
	for (k = 0; k < 2; k++)
		assert_int_equal(vdrv_blk_post(drv, false, k * 512, &v, 1, &idx), 0);
	assert_int_equal(vdrv_blk_run(drv), -1);
	assert_int_equal(drv->st[0], VDRV_BLK_S_IOERR);
	assert_int_equal(drv->held, 2);
	assert_int_equal(vdrv_blk_post_flush(drv, &idx), -1);
	swallow_notify = false;
	vio_mmio_write(&dev.dev, 0x050, &q0, 4);
	assert_int_equal(vdrv_blk_post(drv, false, 0, &v, 1, &idx), 0);
	assert_int_equal(vdrv_blk_run(drv), 0);
	assert_int_equal(drv->st[0], VDRV_BLK_S_OK);
	assert_int_equal(drv->held, 0);
}

/*
 * The device asks for no notify (a polling device: avail_event far ahead,
 * or without EVENT_IDX, NO_NOTIFY): the batch is posted, not announced.
 */
static void test_blk_batch_suppressed(void **state)
{
	uint8_t *buf = ram + DATA_BASE;
	struct vio_iov v = { buf, 512 };
	unsigned idx;
	uint32_t q0 = 0;

	(void)state;
	for (unsigned evi = 0; evi < 2; evi++) {
		hide_event_idx = evi == 1;
		assert_int_equal(start(false, DISK_SECTORS), 0);
		assert_int_equal(drv->d.event_idx, evi == 0);
		if (evi == 0)
			drv->d.q.used.avail_event = (uint16_t)(drv->d.q.avail.idx + 1000);
		else
			drv->d.q.used.flags = 1; /* VIRTQ_USED_F_NO_NOTIFY */
		notifies = 0;
		assert_int_equal(vdrv_blk_post(drv, false, 0, &v, 1, &idx), 0);
		assert_int_equal(vdrv_blk_post_flush(drv, &idx), 0);
		assert_int_equal(vdrv_blk_run(drv), -1); /* never seen */
		assert_int_equal(notifies, 0);
		/* The device polls: both complete, the queue is free again. */
		vio_mmio_write(&dev.dev, 0x050, &q0, 4);
		assert_int_equal(flushes, 1);
		assert_int_equal(vdrv_blk_post(drv, false, 0, &v, 1, &idx), 0);
		assert_int_equal(drv->held, 1);
	}
	hide_event_idx = false;
}

static uint32_t bad_magic_read(void *ctx, uint64_t off)
{
	return off == 0 ? 0x12345678u : t_mmio_read(ctx, off);
}

static void test_probe(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_int_equal(start(false, DISK_SECTORS), 0);
	dhost.mmio_read = bad_magic_read;
	assert_int_equal(vdrv_blk_init(drv, &dhost, &why), -1);
	assert_non_null(why);
}

/* ---- virtio-rng ---------------------------------------------------------- */

static struct vio_rng rdev;
static struct vio_rng_backend rbe;
static struct vdrv_rng *rdrv;
static int rng_short; /* >0: the backend fills at most this many bytes; <0: it fails */
static unsigned rng_calls;

static int t_rng_fill(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	rng_calls++;
	if (rng_short < 0)
		return -5;
	if (rng_short > 0 && len > (size_t)rng_short)
		len = (size_t)rng_short;
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = (uint8_t)(0xa5 ^ i ^ rng_calls);
	return (int)len;
}

static int rng_start(void)
{
	const char *why = NULL;
	int r;

	reset_knobs();
	rng_short = 0;
	rng_calls = 0;
	rbe = (struct vio_rng_backend){ .fill = t_rng_fill };
	vhost = (struct vio_host){ .gpa_ptr = t_gpa_ptr };
	vio_rng_init(&rdev, &vhost, 6, &rbe);
	dhost = (struct vdrv_host){ .ctx = &rdev, .mmio_read = t_mmio_read,
				    .mmio_write = t_mmio_write, .to_gpa = t_to_gpa };
	assert_true(sizeof(struct vdrv_rng) < DATA_BASE);
	rdrv = (struct vdrv_rng *)(void *)ram;
	cur = &rdrv->d;
	r = vdrv_rng_init(rdrv, &dhost, &why);
	if (r == 0)
		assert_null(why);
	else
		assert_non_null(why);
	return r;
}

static void test_rng_fill(void **state)
{
	uint8_t *buf = ram + DATA_BASE;
	static const uint32_t lens[] = { 1, 16, 4096, 65536 };

	(void)state;
	assert_int_equal(rng_start(), 0);
	for (unsigned k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		memset(buf, 0, lens[k] + 1);
		assert_int_equal(vdrv_rng_fill(rdrv, buf, lens[k]), (int)lens[k]);
		assert_int_equal(buf[0], (uint8_t)(0xa5 ^ rng_calls));
		assert_int_equal(buf[lens[k] - 1], (uint8_t)(0xa5 ^ (lens[k] - 1) ^ rng_calls));
		assert_int_equal(buf[lens[k]], 0); /* not a byte past the buffer */
	}
	/* Many requests: the ring indices wrap around the queue size. */
	for (unsigned i = 0; i < 3 * VDRV_QUEUE_SIZE; i++)
		assert_int_equal(vdrv_rng_fill(rdrv, buf, 32), 32);
	/* A short fill is reported as such. */
	rng_short = 10;
	assert_int_equal(vdrv_rng_fill(rdrv, buf, 100), 10);
	/* A failing backend: the device writes nothing. */
	rng_short = -1;
	assert_int_equal(vdrv_rng_fill(rdrv, buf, 100), 0);
}

static void test_rng_refused(void **state)
{
	uint8_t *buf = ram + DATA_BASE;
	unsigned before;

	(void)state;
	assert_int_equal(rng_start(), 0);
	before = notifies;
	assert_int_equal(vdrv_rng_fill(rdrv, buf, 0), -1);
	assert_int_equal(vdrv_rng_fill(rdrv, NULL, 16), -1);
	assert_int_equal(vdrv_rng_fill(rdrv, buf, 0x80000000u), -1);
	assert_int_equal(notifies, before); /* the device never saw them */
	/* Lost request. */
	swallow_notify = true;
	assert_int_equal(vdrv_rng_fill(rdrv, buf, 16), -1);
	/* A used length past the buffer. */
	assert_int_equal(rng_start(), 0);
	extra_len = 1;
	assert_int_equal(vdrv_rng_fill(rdrv, buf, 16), -1);
	/* used.idx jumps by two; a used id we did not submit. */
	assert_int_equal(rng_start(), 0);
	extra_used = 1;
	assert_int_equal(vdrv_rng_fill(rdrv, buf, 16), -1);
	assert_int_equal(rng_start(), 0);
	bad_id = 3;
	assert_int_equal(vdrv_rng_fill(rdrv, buf, 16), -1);
}

static void test_rng_probe(void **state)
{
	const char *why = NULL;

	(void)state;
	/* The rng driver refuses a block device, and the block driver an rng. */
	assert_int_equal(start(false, DISK_SECTORS), 0);
	rdrv = (struct vdrv_rng *)(void *)ram;
	assert_int_equal(vdrv_rng_init(rdrv, &dhost, &why), -1);
	assert_string_equal(why, "device is not virtio-rng");
	assert_int_equal(rng_start(), 0);
	assert_int_equal(vdrv_blk_init(drv, &dhost, &why), -1);
	assert_string_equal(why, "device is not virtio-blk");
}

/* ---- virtio-net ---------------------------------------------------------- */

#define NET_DATA 0x40000u /* data buffers, past the net driver's struct */
#define NFRAMES 80

static struct vio_net ndev;
static struct vio_net_backend nbe;
static struct vdrv_net *ndrv;
static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
static uint8_t tx_last[4096];
static uint32_t tx_last_len;
static unsigned tx_frames, rx_wanted_calls;
static uint8_t rx_q[NFRAMES][3000];
static uint32_t rx_qlen[NFRAMES];
static unsigned rx_head, rx_tail;

static uint8_t tx_seed[NFRAMES]; /* each frame's first data byte, in order */
static unsigned tx_since_flush, tx_flushes, tx_batch_max;
static uint16_t tx_used_at_tx; /* the driver's tx used idx when tx took the frame */

static int t_net_tx(void *ctx, const struct vio_iov *iov, unsigned n)
{
	(void)ctx;
	if (tx_since_flush == 0)
		tx_used_at_tx = ndrv->txq.used.idx;
	tx_since_flush++;
	tx_last_len = 0;
	for (unsigned i = 0; i < n; i++) {
		assert_true(tx_last_len + iov[i].len <= sizeof(tx_last));
		memcpy(tx_last + tx_last_len, iov[i].base, iov[i].len);
		tx_last_len += iov[i].len;
	}
	if (tx_last_len > 12)
		tx_seed[tx_frames % NFRAMES] = tx_last[12];
	tx_frames++;
	return 0;
}

/* The backend finishes a batch: none of its chains went back before. */
static void t_net_tx_flush(void *ctx)
{
	(void)ctx;
	assert_int_equal(ndrv->txq.used.idx, tx_used_at_tx);
	if (tx_since_flush > tx_batch_max)
		tx_batch_max = tx_since_flush;
	tx_since_flush = 0;
	tx_flushes++;
}

static int t_net_peek(void *ctx)
{
	(void)ctx;
	return rx_head == rx_tail ? 0 : (int)rx_qlen[rx_head % NFRAMES];
}

static int t_net_rx(void *ctx, const struct vio_iov *iov, unsigned n)
{
	uint32_t len, done = 0;
	const uint8_t *f;

	(void)ctx;
	if (rx_head == rx_tail)
		return 0;
	f = rx_q[rx_head % NFRAMES];
	len = rx_qlen[rx_head % NFRAMES];
	for (unsigned i = 0; i < n && done < len; i++) {
		uint32_t take = len - done < iov[i].len ? len - done : iov[i].len;

		memcpy(iov[i].base, f + done, take);
		done += take;
	}
	rx_head++;
	return (int)done;
}

static void t_net_wanted(void *ctx)
{
	(void)ctx;
	rx_wanted_calls++;
}

/* A frame for the driver to receive: the 12-byte header, then bytes of seed. */
static void queue_frame(uint32_t len, unsigned seed)
{
	uint8_t *f = rx_q[rx_tail % NFRAMES];

	memset(f, 0, 12);
	for (uint32_t i = 12; i < len; i++)
		f[i] = (uint8_t)(i ^ seed);
	rx_qlen[rx_tail % NFRAMES] = len;
	rx_tail++;
}

static int net_start(void)
{
	const char *why = NULL;
	int r;

	reset_knobs();
	tx_frames = tx_last_len = rx_wanted_calls = 0;
	tx_since_flush = tx_flushes = tx_batch_max = 0;
	rx_head = rx_tail = 0;
	nbe = (struct vio_net_backend){ .features = 0, .tx = t_net_tx, .rx = t_net_rx,
					.peek = t_net_peek, .rx_wanted = t_net_wanted };
	vhost = (struct vio_host){ .gpa_ptr = t_gpa_ptr };
	vio_net_init(&ndev, &vhost, 7, mac, &nbe);
	dhost = (struct vdrv_host){ .ctx = &ndev, .mmio_read = t_mmio_read,
				    .mmio_write = t_mmio_write, .to_gpa = t_to_gpa };
	assert_true(sizeof(struct vdrv_net) < NET_DATA);
	ndrv = (struct vdrv_net *)(void *)ram;
	cur = &ndrv->d;
	r = vdrv_net_init(ndrv, &dhost, &why);
	if (r == 0)
		assert_null(why);
	else
		assert_non_null(why);
	return r;
}

static void test_net_init(void **state)
{
	(void)state;
	assert_int_equal(net_start(), 0);
	assert_memory_equal(ndrv->mac, mac, 6);
	/* Every receive buffer is with the device, which was told once. */
	assert_int_equal(ndrv->d.q.avail.idx, VDRV_NET_RXBUFS);
	assert_int_equal(notifies, 1);
	/* A device that had no driver yet was starved: that notify wakes it. */
	assert_int_equal(rx_wanted_calls, 1);
	/* A device with no offloads: the driver took VERSION_1 and MAC only. */
	assert_int_equal(ndev.dev.driver_features, (1ull << 32) | F_EVENT_IDX | (1ull << 5));
	assert_int_equal(ndrv->features, (1ull << 32) | (1ull << 5));
	/* One with every offload: the transmit ones too, none for receive. */
	nbe.features = ~0ull;
	assert_int_equal(vdrv_net_init(ndrv, &dhost, NULL), 0);
	assert_int_equal(ndev.dev.driver_features,
			 (1ull << 32) | F_EVENT_IDX | (1ull << 5) | 1 | (1ull << 11) | (1ull << 12) |
				 (1ull << 13));
}

static void test_net_tx(void **state)
{
	uint8_t *hdr = ram + NET_DATA, *data = ram + NET_DATA + 64;
	struct vio_iov v[2] = { { hdr, 12 }, { data, 1514 } };

	(void)state;
	assert_int_equal(net_start(), 0);
	for (unsigned k = 0; k < 3 * VDRV_QUEUE_SIZE; k++) {
		memset(hdr, 0, 12);
		fill(data, 1514, k);
		assert_int_equal(vdrv_net_tx(ndrv, v, 2), 0);
		assert_int_equal(tx_frames, k + 1);
		assert_int_equal(tx_last_len, 12 + 1514);
		assert_memory_equal(tx_last + 12, data, 1514);
	}
	/* Shorter than the header, too long, empty and too many segments: refused unsent. */
	v[1].len = 0;
	assert_int_equal(vdrv_net_tx(ndrv, v, 2), -1);
	v[1].len = VDRV_NET_TX_MAX;
	assert_int_equal(vdrv_net_tx(ndrv, v, 2), -1);
	v[0].len = 8;
	assert_int_equal(vdrv_net_tx(ndrv, v, 1), -1);
	assert_int_equal(vdrv_net_tx(ndrv, v, VDRV_QUEUE_SIZE + 1), -1);
	assert_int_equal(vdrv_net_tx(ndrv, NULL, 1), -1);
	assert_int_equal(tx_frames, 3 * VDRV_QUEUE_SIZE);
}

/* Frames posted in a batch cross with one notify, in order. */
static void test_net_tx_batch(void **state)
{
	uint8_t *hdr = ram + NET_DATA;
	struct vio_iov v[2];
	unsigned k, before;

	(void)state;
	assert_int_equal(net_start(), 0);
	memset(hdr, 0, 12);
	before = notifies;
	/* Two segments each: the queue takes VDRV_QUEUE_SIZE / 2 frames. */
	for (k = 0; k < VDRV_QUEUE_SIZE / 2; k++) {
		v[0] = (struct vio_iov){ hdr, 12 };
		v[1] = (struct vio_iov){ ram + NET_DATA + 64 + k * 128, 100 };
		fill(v[1].base, 100, k);
		assert_int_equal(vdrv_net_tx_post(ndrv, v, 2), 0);
	}
	/* No room for another: flush first. Nothing crossed, nothing notified. */
	assert_int_equal(vdrv_net_tx_post(ndrv, v, 2), 1);
	assert_int_equal(notifies, before);
	assert_int_equal(tx_frames, 0);
	assert_int_equal(vdrv_net_tx_flush(ndrv), 0);
	assert_int_equal(notifies, before + 1);
	assert_int_equal(tx_frames, VDRV_QUEUE_SIZE / 2);
	assert_int_equal(ndrv->tx_held, 0);
	for (k = 0; k < VDRV_QUEUE_SIZE / 2; k++)
		assert_int_equal(tx_seed[k], (uint8_t)(k * 13));
	/* Nothing posted: a flush is no notify. */
	assert_int_equal(vdrv_net_tx_flush(ndrv), 0);
	assert_int_equal(notifies, before + 1);
	/* A frame vdrv_net_tx sends goes after what a batch left open. */
	assert_int_equal(vdrv_net_tx_post(ndrv, v, 2), 0);
	v[1].base = ram + NET_DATA + 64;
	assert_int_equal(vdrv_net_tx(ndrv, v, 2), 0);
	assert_int_equal(tx_frames, VDRV_QUEUE_SIZE / 2 + 2);
	assert_int_equal(notifies, before + 2);
	assert_int_equal(isr_touched, 0);
}

/*
 * The device asks for no notify (a polling device: avail_event far ahead):
 * the batch is posted and not announced. One it never completes stays held:
 * nothing is posted over its descriptors until it gives them back; a used
 * ring naming a chain it does not hold, or more than it holds, fails.
 */
static void test_net_tx_suppressed_and_hostile(void **state)
{
	uint8_t *f = ram + NET_DATA;
	struct vio_iov v = { f, 60 };
	struct vdrv_queue *q;
	uint32_t txq = 1;

	(void)state;
	assert_int_equal(net_start(), 0);
	q = &ndrv->txq;
	memset(f, 0, 60);
	q->used.avail_event = (uint16_t)(q->avail.idx + 1000);
	notifies = 0;
	assert_int_equal(vdrv_net_tx_post(ndrv, &v, 1), 0);
	assert_int_equal(vdrv_net_tx_post(ndrv, &v, 1), 0);
	assert_int_equal(vdrv_net_tx_flush(ndrv), -1); /* never completed */
	assert_int_equal(notifies, 0);
	assert_int_equal(ndrv->tx_held, 2);
	assert_int_equal(vdrv_net_tx_post(ndrv, &v, 1), -1);
	/* The device polls at last: both complete, the queue is free again. */
	vio_mmio_write(&ndev.dev, 0x050, &txq, 4);
	assert_int_equal(tx_frames, 2);
	assert_int_equal(vdrv_net_tx_post(ndrv, &v, 1), 0);
	assert_int_equal(ndrv->tx_held, 1);
	/* A completion for a head it does not hold (descriptor 1 is no head),
	 * written by a device that ignores the notify. */
	swallow_notify = true;
	q->used.ring[q->last_used % VDRV_QUEUE_SIZE].id = 1;
	q->used.idx++;
	assert_int_equal(vdrv_net_tx_flush(ndrv), -1);
	assert_int_equal(ndrv->tx_held, 1);
	assert_int_equal(vdrv_net_tx_post(ndrv, &v, 1), -1);
	/* More completions than chains held. */
	q->used.ring[q->last_used % VDRV_QUEUE_SIZE].id = 0;
	q->used.idx++;
	assert_int_equal(vdrv_net_tx_post(ndrv, &v, 1), -1);
	assert_int_equal(ndrv->tx_held, 1);
	/* Exactly the one it holds: accepted. */
	q->used.idx--;
	assert_int_equal(vdrv_net_tx_post(ndrv, &v, 1), 0);
	assert_int_equal(ndrv->tx_held, 1);
}

/*
 * A backend with tx_flush: the device hands it a driver's whole queue in
 * batches of at most VIO_NET_TX_BATCH, completes no chain before the flush
 * of its batch, and signals once.
 */
static void test_net_tx_model_batches(void **state)
{
	uint8_t *f = ram + NET_DATA;
	struct vio_iov v = { f, 60 };
	unsigned n = VIO_NET_TX_BATCH + 8;

	(void)state;
	assert_true(n <= VDRV_QUEUE_SIZE && n <= NFRAMES);
	assert_int_equal(net_start(), 0);
	nbe.tx_flush = t_net_tx_flush;
	memset(f, 0, 60);
	notifies = 0;
	for (unsigned k = 0; k < n; k++)
		assert_int_equal(vdrv_net_tx_post(ndrv, &v, 1), 0);
	assert_int_equal(vdrv_net_tx_flush(ndrv), 0);
	assert_int_equal(notifies, 1);
	assert_int_equal(tx_frames, n);
	assert_int_equal(tx_flushes, 2);
	assert_int_equal(tx_batch_max, VIO_NET_TX_BATCH);
	assert_int_equal(ndrv->txq.used.idx, n);
}

static void test_net_rx(void **state)
{
	const uint8_t *f;
	unsigned seen = 0;

	(void)state;
	assert_int_equal(net_start(), 0);
	assert_int_equal(vdrv_net_rx_peek(ndrv, &f), 0);
	/* More frames than buffers: the device fills all 32 and starves. */
	for (unsigned k = 0; k < 40; k++)
		queue_frame(60 + 12 + k * 30, k);
	assert_int_equal(vio_net_rx(&ndev), VDRV_NET_RXBUFS);
	assert_true(ndev.rx_starved);
	for (; seen < VDRV_NET_RXBUFS; seen++) {
		int len = vdrv_net_rx_peek(ndrv, &f);

		assert_int_equal(len, 60 + 12 + seen * 30);
		assert_int_equal(f[12], (uint8_t)(12 ^ seen));
		assert_int_equal(f[len - 1], (uint8_t)((len - 1) ^ seen));
		/* peek again: the same frame until it is done */
		assert_int_equal(vdrv_net_rx_peek(ndrv, &f), len);
		vdrv_net_rx_done(ndrv);
	}
	assert_int_equal(vdrv_net_rx_peek(ndrv, &f), 0);
	/* The buffers go back with one notify, which wakes the starved device. */
	notifies = 0;
	rx_wanted_calls = 0;
	vdrv_net_rx_kick(ndrv);
	vdrv_net_rx_kick(ndrv); /* nothing new: no second notify */
	assert_int_equal(notifies, 1);
	assert_int_equal(rx_wanted_calls, 1);
	assert_int_equal(vio_net_rx(&ndev), 8);
	assert_false(ndev.rx_starved);
	for (; seen < 40; seen++) {
		int len = vdrv_net_rx_peek(ndrv, &f);

		assert_int_equal(len, 60 + 12 + seen * 30);
		assert_int_equal(f[len - 1], (uint8_t)((len - 1) ^ seen));
		vdrv_net_rx_done(ndrv);
	}
	/* The device still holds buffers it never ran out of: it asked for no
	 * notify (avail_event), so the buffers go back without one. */
	notifies = 0;
	vdrv_net_rx_kick(ndrv);
	assert_int_equal(notifies, 0);
	assert_int_equal(isr_touched, 0);
	/* A frame longer than a buffer is cut to the buffer by the device. */
	queue_frame(3000, 1);
	assert_int_equal(vio_net_rx(&ndev), 1);
	assert_int_equal(vdrv_net_rx_peek(ndrv, &f), VDRV_NET_BUF);
	assert_int_equal(ndrv->bad, 0);
}

static void test_net_hostile_used(void **state)
{
	struct vdrv_queue *q;
	const uint8_t *f;
	uint16_t last;

	(void)state;
	assert_int_equal(net_start(), 0);
	q = &ndrv->d.q;
	queue_frame(100, 1);
	queue_frame(100, 2);
	queue_frame(100, 3);
	assert_int_equal(vio_net_rx(&ndev), 3);
	/* The device names a buffer that is not ours, one it already gave back,
	 * and claims a length past the buffer: all three skipped, the last
	 * buffer posted again. */
	last = q->last_used;
	q->used.ring[last % VDRV_QUEUE_SIZE].id = 999;
	q->used.ring[(last + 1) % VDRV_QUEUE_SIZE].id = 999;
	q->used.ring[(last + 2) % VDRV_QUEUE_SIZE].len = VDRV_NET_BUF + 1;
	assert_int_equal(vdrv_net_rx_peek(ndrv, &f), 0);
	assert_int_equal(ndrv->bad, 3);
	assert_true(ndrv->posted[2]);
	/* A second completion of a buffer we hold is skipped too. */
	queue_frame(100, 4);
	assert_int_equal(vio_net_rx(&ndev), 1);
	assert_int_equal(vdrv_net_rx_peek(ndrv, &f), 100);
	q->used.ring[q->used.idx % VDRV_QUEUE_SIZE] = q->used.ring[(q->used.idx - 1) % VDRV_QUEUE_SIZE];
	q->used.idx++;
	assert_int_equal(vdrv_net_rx_peek(ndrv, &f), 100);
	assert_int_equal(ndrv->bad, 4);
	vdrv_net_rx_done(ndrv);
	assert_int_equal(vdrv_net_rx_peek(ndrv, &f), 0);
}

/*
 * The driver polls: it takes no interrupt (EVENT_IDX with used_event kept
 * behind, or NO_INTERRUPT without EVENT_IDX), never reads InterruptStatus
 * nor writes InterruptACK, and notifies once per request the device waits for.
 */
static void quiet(bool event_idx)
{
	uint8_t *buf = ram + DATA_BASE;
	struct vio_iov iov = { buf, 4096 };

	hide_event_idx = !event_idx;
	assert_int_equal(start(false, DISK_SECTORS), 0);
	hide_event_idx = false;
	assert_int_equal(drv->d.event_idx, event_idx);
	assert_int_equal((dev.dev.driver_features & F_EVENT_IDX) != 0, event_idx);
	assert_int_equal(drv->d.q.avail.flags, event_idx ? 0 : 1);
	assert_int_equal(vdrv_blk_rw(drv, true, 0, &iov, 1), 0);
	dev.dev.isr = 0; /* with EVENT_IDX, the device's first completion always signals */
	notifies = 0;
	for (unsigned k = 0; k < 3 * VDRV_QUEUE_SIZE; k++) {
		fill(buf, 4096, k);
		assert_int_equal(vdrv_blk_rw(drv, k & 1, (k % 64) * 4096, &iov, 1), 0);
	}
	assert_int_equal(vdrv_blk_flush(drv), 0);
	assert_int_equal(dev.dev.isr, 0);
	assert_int_equal(notifies, 3 * VDRV_QUEUE_SIZE + 1);
	assert_int_equal(isr_touched, 0);
}

static void test_quiet_event_idx(void **state)
{
	(void)state;
	quiet(true);
}

static void test_quiet_no_event_idx(void **state)
{
	(void)state;
	quiet(false);
}

/* Without EVENT_IDX, the device's NO_NOTIFY flag holds back a notify. */
static void test_no_notify_flag(void **state)
{
	const uint8_t *f;

	(void)state;
	hide_event_idx = true;
	assert_int_equal(net_start(), 0);
	hide_event_idx = false;
	assert_false(ndrv->d.event_idx);
	assert_int_equal(notifies, 1);
	queue_frame(100, 1);
	assert_int_equal(vio_net_rx(&ndev), 1);
	assert_int_equal(vdrv_net_rx_peek(ndrv, &f), 100);
	vdrv_net_rx_done(ndrv);
	ndrv->d.q.used.flags = 1; /* as a device that polls would set it */
	vdrv_net_rx_kick(ndrv);
	assert_int_equal(notifies, 1);
	queue_frame(100, 2);
	assert_int_equal(vio_net_rx(&ndev), 1);
	assert_int_equal(vdrv_net_rx_peek(ndrv, &f), 100);
	vdrv_net_rx_done(ndrv);
	ndrv->d.q.used.flags = 0;
	vdrv_net_rx_kick(ndrv);
	assert_int_equal(notifies, 2);
	assert_int_equal(isr_touched, 0);
}

static void test_net_probe(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_int_equal(start(false, DISK_SECTORS), 0);
	ndrv = (struct vdrv_net *)(void *)(ram + 0x80000);
	assert_int_equal(vdrv_net_init(ndrv, &dhost, &why), -1);
	assert_string_equal(why, "device is not virtio-net");
	assert_int_equal(net_start(), 0);
	assert_int_equal(vdrv_blk_init(drv, &dhost, &why), -1);
	assert_string_equal(why, "device is not virtio-blk");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),	     cmocka_unit_test(test_rw),
		cmocka_unit_test(test_flush),	     cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_refused),	     cmocka_unit_test(test_lost),
		cmocka_unit_test(test_hostile_used), cmocka_unit_test(test_probe),
		cmocka_unit_test(test_blk_batch),    cmocka_unit_test(test_blk_batch_model),
		cmocka_unit_test(test_blk_batch_hostile), cmocka_unit_test(test_blk_batch_suppressed),
		cmocka_unit_test(test_rng_fill),     cmocka_unit_test(test_rng_refused),
		cmocka_unit_test(test_rng_probe),    cmocka_unit_test(test_net_init),
		cmocka_unit_test(test_net_tx),	     cmocka_unit_test(test_net_rx),
		cmocka_unit_test(test_net_tx_batch),
		cmocka_unit_test(test_net_tx_suppressed_and_hostile),
		cmocka_unit_test(test_net_tx_model_batches),
		cmocka_unit_test(test_net_hostile_used), cmocka_unit_test(test_net_probe),
		cmocka_unit_test(test_quiet_event_idx), cmocka_unit_test(test_quiet_no_event_idx),
		cmocka_unit_test(test_no_notify_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
