/* SPDX-License-Identifier: MIT */
/*
 * A fake guest for the device model tests: RAM, real split rings laid out
 * in it, and a driver that talks to a device through vio_mmio_* the way
 * Linux's virtio_mmio + virtio_ring do. Part of the RAM is read-only to the
 * driver, as a layer child's sealed pages are: the device may read it but
 * never store there (gpa_ptr refuses it for write; ro_seal makes it
 * PROT_READ, so a store that got through anyway faults).
 */
#ifndef TEST_VIRTIO_GUEST_H
#define TEST_VIRTIO_GUEST_H

#include "unit.h"
#include <sys/mman.h>
#include "virtio/virtio.h"

#define RAM_BASE 0x100000ull
#define RAM_SIZE (1u << 20)
/* A sparse 5 GiB window (never touched) for length-overflow tests. */
#define BIG_BASE 0x100000000ull
#define BIG_SIZE (5ull << 30)
#define QNUM 16
#define BUF_BASE (RAM_BASE + 0x40000)
/* Read-only to the driver by default: between the rings and the buffers. */
#define RO_BASE (RAM_BASE + 0x20000)
#define RO_SIZE 0x10000u

#define F_INDIRECT (1ull << 28)
#define F_EVENT_IDX (1ull << 29)
#define F_VERSION_1 (1ull << 32)

#define D_NEXT 1
#define D_WRITE 2
#define D_INDIRECT 4

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static uint64_t ro_lo = RO_BASE, ro_hi = RO_BASE + RO_SIZE; /* page aligned */
static uint8_t *big;
static int log_count;
static const char *log_what;
static uint64_t log_value;
static int irq_level;
static int irq_calls;
static uint64_t buf_next;

static void *t_gpa_ptr(void *ctx, uint64_t gpa, uint64_t len, bool write)
{
	(void)ctx;
	if (gpa >= RAM_BASE && gpa - RAM_BASE <= RAM_SIZE && len <= RAM_SIZE - (gpa - RAM_BASE)) {
		if (write && gpa < ro_hi && gpa + len > ro_lo)
			return NULL;
		return ram + (gpa - RAM_BASE);
	}
	if (big && gpa >= BIG_BASE && gpa - BIG_BASE <= BIG_SIZE && len <= BIG_SIZE - (gpa - BIG_BASE))
		return big + (gpa - BIG_BASE);
	return NULL;
}

static inline void t_set_irq(void *ctx, unsigned irq, int level)
{
	(void)ctx;
	(void)irq;
	irq_level = level;
	irq_calls++;
}

static inline void t_log(void *ctx, const char *dev, const char *what, uint64_t value)
{
	(void)ctx;
	(void)dev;
	log_count++;
	log_what = what;
	log_value = value;
}

static const struct vio_host host = {
	.gpa_ptr = t_gpa_ptr,
	.set_irq = t_set_irq,
	.log = t_log,
};

/* The read-only range's pages PROT_READ (seal) or back to read-write. */
static inline void ro_protect(bool seal)
{
	assert_int_equal(mprotect(ram + (ro_lo - RAM_BASE), ro_hi - ro_lo,
				  seal ? PROT_READ : PROT_READ | PROT_WRITE),
			 0);
}

/* Make [lo, hi) the read-only range (page aligned) and seal it. */
static inline void ro_seal(uint64_t lo, uint64_t hi)
{
	ro_protect(false);
	ro_lo = lo;
	ro_hi = hi;
	ro_protect(true);
}

static inline void guest_reset(void)
{
	ro_protect(false);
	ro_lo = RO_BASE;
	ro_hi = RO_BASE + RO_SIZE;
	memset(ram, 0, sizeof(ram));
	log_count = 0;
	log_what = NULL;
	irq_level = 0;
	irq_calls = 0;
	buf_next = BUF_BASE;
}

/* The test's own view of guest memory: it may set up the read-only range too. */
static void *gp(uint64_t gpa)
{
	void *p = t_gpa_ptr(NULL, gpa, 1, false);
	assert_non_null(p);
	return p;
}

/* ---- the read-only range: filled, set up by the test, then sealed ------- */

static uint8_t ro_before[RO_SIZE];

/* A pattern over the default read-only range (the test may then put rings in it). */
static inline void ro_fill(void)
{
	uint8_t *p = gp(RO_BASE);

	for (unsigned i = 0; i < RO_SIZE; i++)
		p[i] = (uint8_t)(i * 7 + 1);
}

/* Remember its bytes and seal it: from now on the device may only read it. */
static inline void ro_freeze(void)
{
	memcpy(ro_before, gp(RO_BASE), RO_SIZE);
	ro_seal(RO_BASE, RO_BASE + RO_SIZE);
}

static inline void assert_ro_intact(void)
{
	assert_memory_equal(gp(RO_BASE), ro_before, RO_SIZE);
}

static inline uint64_t galloc(uint32_t len)
{
	uint64_t g = buf_next;
	buf_next += (len + 15) & ~15u;
	assert_true(buf_next <= RAM_BASE + RAM_SIZE);
	return g;
}

/* ---- mmio ---------------------------------------------------------------- */

static inline void w32(struct vio_dev *d, uint64_t off, uint32_t v)
{
	uint8_t b[4];
	memcpy(b, &v, 4);
	vio_mmio_write(d, off, b, 4);
}

static inline uint32_t r32(struct vio_dev *d, uint64_t off)
{
	uint32_t v;
	vio_mmio_read(d, off, &v, 4);
	return v;
}

/* ---- rings: queue qi at RAM_BASE + qi * 0x4000 --------------------------- */

struct gq {
	uint16_t num;
	uint16_t avail_idx;
	uint64_t desc, avail, used;
};
static struct gq gq[2];

static inline void gq_layout(unsigned qi, uint16_t num)
{
	gq[qi].num = num;
	gq[qi].avail_idx = 0;
	gq[qi].desc = RAM_BASE + qi * 0x4000ull;
	gq[qi].avail = gq[qi].desc + 0x1000;
	gq[qi].used = gq[qi].desc + 0x2000;
}

static inline void set_desc(unsigned qi, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint8_t *p = gp(gq[qi].desc + 16ull * i);
	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

/* A descriptor in an indirect table at gpa tbl. */
static inline void set_idesc(uint64_t tbl, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		      uint16_t next)
{
	uint8_t *p = gp(tbl + 16ull * i);
	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

static inline void avail_add(unsigned qi, uint16_t head)
{
	uint16_t *ring = gp(gq[qi].avail + 4);
	ring[gq[qi].avail_idx % gq[qi].num] = head;
	gq[qi].avail_idx++;
	*(uint16_t *)gp(gq[qi].avail + 2) = gq[qi].avail_idx;
}

static inline void set_avail_idx(unsigned qi, uint16_t idx)
{
	*(uint16_t *)gp(gq[qi].avail + 2) = idx;
}

static inline uint16_t used_idx(unsigned qi)
{
	return *(uint16_t *)gp(gq[qi].used + 2);
}

static inline uint32_t used_id(unsigned qi, unsigned k)
{
	return *(uint32_t *)gp(gq[qi].used + 4 + 8ull * (k % gq[qi].num));
}

static inline uint32_t used_len(unsigned qi, unsigned k)
{
	return *(uint32_t *)gp(gq[qi].used + 8 + 8ull * (k % gq[qi].num));
}

static inline void set_used_event(unsigned qi, uint16_t v)
{
	*(uint16_t *)gp(gq[qi].avail + 4 + 2ull * gq[qi].num) = v;
}

static inline uint16_t avail_event(unsigned qi)
{
	return *(uint16_t *)gp(gq[qi].used + 4 + 8ull * gq[qi].num);
}

static inline void notify(struct vio_dev *d, unsigned qi)
{
	w32(d, 0x050, qi);
}

/* Program queue qi as Linux's vm_setup_vq does; false if the device refused it. */
static inline bool setup_queue(struct vio_dev *d, unsigned qi, uint16_t num)
{
	gq_layout(qi, num);
	w32(d, 0x030, qi);
	assert_int_equal(r32(d, 0x044), 0);
	assert_int_equal(r32(d, 0x034), VIO_QUEUE_MAX);
	w32(d, 0x038, num);
	w32(d, 0x080, (uint32_t)gq[qi].desc);
	w32(d, 0x084, (uint32_t)(gq[qi].desc >> 32));
	w32(d, 0x090, (uint32_t)gq[qi].avail);
	w32(d, 0x094, (uint32_t)(gq[qi].avail >> 32));
	w32(d, 0x0a0, (uint32_t)gq[qi].used);
	w32(d, 0x0a4, (uint32_t)(gq[qi].used >> 32));
	w32(d, 0x044, 1);
	return r32(d, 0x044) == 1;
}

static inline uint64_t dev_features(struct vio_dev *d)
{
	uint64_t f;
	w32(d, 0x014, 0);
	f = r32(d, 0x010);
	w32(d, 0x014, 1);
	return f | (uint64_t)r32(d, 0x010) << 32;
}

/* Reset, negotiate want & offered, set up nq queues, DRIVER_OK. */
static inline void drv_init(struct vio_dev *d, uint64_t want, unsigned nq)
{
	uint64_t f;

	w32(d, 0x070, 0);
	assert_int_equal(r32(d, 0x000), 0x74726976);
	assert_int_equal(r32(d, 0x004), 2);
	w32(d, 0x070, 1);
	w32(d, 0x070, 1 | 2);
	f = dev_features(d) & want;
	w32(d, 0x024, 0);
	w32(d, 0x020, (uint32_t)f);
	w32(d, 0x024, 1);
	w32(d, 0x020, (uint32_t)(f >> 32));
	w32(d, 0x070, 1 | 2 | 8);
	assert_int_equal(r32(d, 0x070), 1 | 2 | 8);
	for (unsigned q = 0; q < nq; q++)
		assert_true(setup_queue(d, q, QNUM));
	w32(d, 0x070, 1 | 2 | 8 | 4);
	assert_int_equal(r32(d, 0x070), 1 | 2 | 8 | 4);
}

#define NEEDS_RESET 0x40u

#endif
