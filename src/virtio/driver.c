/* SPDX-License-Identifier: MIT */
/*
 * A minimal virtio-mmio (version 2) virtio-blk driver: one split queue of
 * VDRV_QUEUE_SIZE descriptors, one request in flight, polled completion.
 *
 * The device is not trusted: what it writes to the used ring is checked
 * (index steps by exactly one, the element names our head) and a request it
 * never completes fails after a bounded number of polls.
 */
#include "lib/rt.h"
#include "virtio/driver.h"

/* virtio-mmio registers (virtio 1.2, 4.2.2) */
enum {
	D_MAGIC = 0x000,
	D_VERSION = 0x004,
	D_DEVICE_ID = 0x008,
	D_DEV_FEATURES = 0x010,
	D_DEV_FEATURES_SEL = 0x014,
	D_DRV_FEATURES = 0x020,
	D_DRV_FEATURES_SEL = 0x024,
	D_QUEUE_SEL = 0x030,
	D_QUEUE_NUM_MAX = 0x034,
	D_QUEUE_NUM = 0x038,
	D_QUEUE_READY = 0x044,
	D_QUEUE_NOTIFY = 0x050,
	D_INT_STATUS = 0x060,
	D_INT_ACK = 0x064,
	D_STATUS = 0x070,
	D_QUEUE_DESC_LO = 0x080,
	D_QUEUE_DESC_HI = 0x084,
	D_QUEUE_DRIVER_LO = 0x090,
	D_QUEUE_DRIVER_HI = 0x094,
	D_QUEUE_DEVICE_LO = 0x0a0,
	D_QUEUE_DEVICE_HI = 0x0a4,
	D_CONFIG = 0x100,
};

#define D_MAGIC_VALUE 0x74726976u /* "virt" */
#define D_VERSION_MODERN 2u
#define D_DEVICE_BLK 2u

#define D_S_ACKNOWLEDGE 1u
#define D_S_DRIVER 2u
#define D_S_DRIVER_OK 4u
#define D_S_FEATURES_OK 8u
#define D_S_NEEDS_RESET 0x40u
#define D_S_FAILED 0x80u

#define D_F_BLK_RO 5
#define D_F_BLK_FLUSH 9
#define D_F_VERSION_1 32
#define D_BIT(n) (1ull << (n))

#define D_DESC_NEXT 1u
#define D_DESC_WRITE 2u

#define D_BLK_T_IN 0u
#define D_BLK_T_OUT 1u
#define D_BLK_T_FLUSH 4u
#define D_BLK_S_OK 0u
#define D_SECTOR 512u

static uint32_t rd(struct vdrv_blk *b, uint64_t off)
{
	return b->host->mmio_read(b->host->ctx, off);
}

static void wr(struct vdrv_blk *b, uint64_t off, uint32_t v)
{
	b->host->mmio_write(b->host->ctx, off, v);
}

static uint64_t gpa(struct vdrv_blk *b, const void *p)
{
	return b->host->to_gpa(b->host->ctx, p);
}

static void wr64(struct vdrv_blk *b, uint64_t lo_off, uint64_t v)
{
	wr(b, lo_off, (uint32_t)v);
	wr(b, lo_off + 4, (uint32_t)(v >> 32));
}

static int fail(struct vdrv_blk *b, const char **why, const char *what)
{
	/* Tell the device we gave up (3.1.1 step 8), where we got that far. */
	if (b->host)
		wr(b, D_STATUS, rd(b, D_STATUS) | D_S_FAILED);
	if (why)
		*why = what;
	return -1;
}

int vdrv_blk_init(struct vdrv_blk *b, const struct vdrv_host *h, const char **why)
{
	uint64_t dev_feat, drv_feat;
	uint32_t st, lo, hi, gen;
	unsigned tries;

	rt_memset(b, 0, sizeof(*b));
	if (why)
		*why = NULL;
	if (!h || !h->mmio_read || !h->mmio_write || !h->to_gpa) {
		if (why)
			*why = "driver host callbacks missing";
		return -1;
	}
	b->host = h;

	if (rd(b, D_MAGIC) != D_MAGIC_VALUE) {
		if (why)
			*why = "no virtio-mmio magic";
		return -1;
	}
	if (rd(b, D_VERSION) != D_VERSION_MODERN) {
		if (why)
			*why = "virtio-mmio version is not 2";
		return -1;
	}
	if (rd(b, D_DEVICE_ID) != D_DEVICE_BLK) {
		if (why)
			*why = "device is not virtio-blk";
		return -1;
	}

	/* 3.1.1: reset, ACKNOWLEDGE, DRIVER. */
	wr(b, D_STATUS, 0);
	if (rd(b, D_STATUS) != 0)
		return fail(b, why, "device did not reset");
	wr(b, D_STATUS, D_S_ACKNOWLEDGE);
	wr(b, D_STATUS, D_S_ACKNOWLEDGE | D_S_DRIVER);

	wr(b, D_DEV_FEATURES_SEL, 0);
	dev_feat = rd(b, D_DEV_FEATURES);
	wr(b, D_DEV_FEATURES_SEL, 1);
	dev_feat |= (uint64_t)rd(b, D_DEV_FEATURES) << 32;
	if (!(dev_feat & D_BIT(D_F_VERSION_1)))
		return fail(b, why, "device does not offer VERSION_1");
	drv_feat = dev_feat & (D_BIT(D_F_VERSION_1) | D_BIT(D_F_BLK_RO) | D_BIT(D_F_BLK_FLUSH));
	wr(b, D_DRV_FEATURES_SEL, 0);
	wr(b, D_DRV_FEATURES, (uint32_t)drv_feat);
	wr(b, D_DRV_FEATURES_SEL, 1);
	wr(b, D_DRV_FEATURES, (uint32_t)(drv_feat >> 32));

	wr(b, D_STATUS, D_S_ACKNOWLEDGE | D_S_DRIVER | D_S_FEATURES_OK);
	st = rd(b, D_STATUS);
	if (!(st & D_S_FEATURES_OK))
		return fail(b, why, "device refused the features");
	b->read_only = (drv_feat & D_BIT(D_F_BLK_RO)) != 0;

	/* Capacity (u64 at config offset 0), read consistently (4.2.2.1). */
	for (tries = 0;; tries++) {
		if (tries == 16)
			return fail(b, why, "config space keeps changing");
		gen = rd(b, 0x0fc);
		lo = rd(b, D_CONFIG);
		hi = rd(b, D_CONFIG + 4);
		if (rd(b, 0x0fc) == gen)
			break;
	}
	b->capacity = (uint64_t)hi << 32 | lo;

	/* Queue 0. */
	wr(b, D_QUEUE_SEL, 0);
	if (rd(b, D_QUEUE_READY) != 0)
		return fail(b, why, "queue 0 already ready after reset");
	if (rd(b, D_QUEUE_NUM_MAX) < VDRV_QUEUE_SIZE)
		return fail(b, why, "queue 0 smaller than the driver's queue");
	rt_memset(&b->q, 0, sizeof(b->q));
	wr(b, D_QUEUE_NUM, VDRV_QUEUE_SIZE);
	wr64(b, D_QUEUE_DESC_LO, gpa(b, &b->q.desc));
	wr64(b, D_QUEUE_DRIVER_LO, gpa(b, &b->q.avail));
	wr64(b, D_QUEUE_DEVICE_LO, gpa(b, &b->q.used));
	wr(b, D_QUEUE_READY, 1);
	if (rd(b, D_QUEUE_READY) != 1)
		return fail(b, why, "device refused queue 0");

	wr(b, D_STATUS, D_S_ACKNOWLEDGE | D_S_DRIVER | D_S_FEATURES_OK | D_S_DRIVER_OK);
	st = rd(b, D_STATUS);
	if (!(st & D_S_DRIVER_OK) || (st & D_S_NEEDS_RESET))
		return fail(b, why, "device did not accept DRIVER_OK");
	return 0;
}

static void set_desc(struct vdrv_blk *b, unsigned i, uint64_t addr, uint32_t len, uint16_t flags)
{
	b->q.desc[i].addr = addr;
	b->q.desc[i].len = len;
	b->q.desc[i].flags = flags;
	b->q.desc[i].next = (flags & D_DESC_NEXT) ? (uint16_t)(i + 1) : 0;
}

/*
 * Submit the chain in descriptors 0..last (head 0) and wait for it.
 * 0 when the device completed it with VIRTIO_BLK_S_OK, else -1.
 */
static int submit(struct vdrv_blk *b, unsigned last)
{
	volatile uint16_t *used_idx = &b->q.used.idx;
	volatile uint8_t *status = &b->status;
	uint16_t avail = b->q.avail.idx, seen = 0, delta;
	uint32_t isr, id;
	unsigned long spins;

	set_desc(b, last, gpa(b, &b->status), 1, D_DESC_WRITE);
	*status = 0xff; /* not OK unless the device writes it */
	b->q.avail.ring[avail % VDRV_QUEUE_SIZE] = 0;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	*(volatile uint16_t *)&b->q.avail.idx = (uint16_t)(avail + 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr(b, D_QUEUE_NOTIFY, 0);

	for (spins = 0;; spins++) {
		seen = *used_idx;
		if (seen != b->q.last_used)
			break;
		if (spins >= VDRV_SPINS)
			return -1; /* lost; the descriptors stay with the device */
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	isr = rd(b, D_INT_STATUS);
	if (isr)
		wr(b, D_INT_ACK, isr);
	delta = (uint16_t)(seen - b->q.last_used);
	if (delta != 1)
		return -1; /* more completions than requests: a confused device */
	id = ((volatile uint32_t *)&b->q.used.ring[b->q.last_used % VDRV_QUEUE_SIZE].id)[0];
	b->q.last_used++;
	if (id != 0)
		return -1;
	return *status == D_BLK_S_OK ? 0 : -1;
}

static void set_hdr(struct vdrv_blk *b, uint32_t type, uint64_t sector)
{
	b->hdr.type = type;
	b->hdr.reserved = 0;
	b->hdr.sector = sector;
	set_desc(b, 0, gpa(b, &b->hdr), sizeof(b->hdr), D_DESC_NEXT);
}

int vdrv_blk_rw(struct vdrv_blk *b, bool write, uint64_t off, const struct vio_iov *iov,
		unsigned n)
{
	uint64_t total = 0, sectors;

	if (!b || !b->host || !iov || n == 0 || n > VDRV_QUEUE_SIZE - 2)
		return -1;
	if (write && b->read_only)
		return -1;
	if (off % D_SECTOR)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		if (!iov[i].base || iov[i].len == 0)
			return -1;
		total += iov[i].len; /* n * UINT32_MAX cannot wrap */
	}
	if (total % D_SECTOR)
		return -1;
	sectors = total / D_SECTOR;
	if (off / D_SECTOR > b->capacity || sectors > b->capacity - off / D_SECTOR)
		return -1;

	set_hdr(b, write ? D_BLK_T_OUT : D_BLK_T_IN, off / D_SECTOR);
	for (unsigned i = 0; i < n; i++)
		set_desc(b, i + 1, gpa(b, iov[i].base), iov[i].len,
			 (uint16_t)(D_DESC_NEXT | (write ? 0 : D_DESC_WRITE)));
	return submit(b, n + 1);
}

int vdrv_blk_flush(struct vdrv_blk *b)
{
	if (!b || !b->host)
		return -1;
	set_hdr(b, D_BLK_T_FLUSH, 0);
	return submit(b, 1);
}
