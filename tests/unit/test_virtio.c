/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transport and the split virtqueue, driven the way Linux
 * drives them; the hostile cases go through virtio-rng, the simplest device.
 */
#include "test_virtio_guest.h"

static struct vio_rng rng;
static int fill_calls;

static int t_fill(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	memset(buf, 0xab, len);
	fill_calls++;
	return (int)len;
}

static const struct vio_rng_backend rng_be = { .fill = t_fill };

static int setup_rng(void **state)
{
	(void)state;
	guest_reset();
	fill_calls = 0;
	vio_rng_init(&rng, &host, 5, &rng_be);
	drv_init(&rng.dev, F_VERSION_1 | F_INDIRECT | F_EVENT_IDX, 1);
	return 0;
}

/* Post a one-descriptor writable buffer at index i; returns its gpa. */
static uint64_t post_buf(unsigned i, uint32_t len)
{
	uint64_t b = galloc(len);
	set_desc(0, i, b, len, D_WRITE, 0);
	avail_add(0, (uint16_t)i);
	return b;
}

/* The device still works: a fresh buffer is filled. */
static void assert_rng_works(void)
{
	uint16_t u = used_idx(0);
	uint64_t b = post_buf(9, 32);

	notify(&rng.dev, 0);
	assert_int_equal(used_idx(0), (uint16_t)(u + 1));
	assert_int_equal(used_id(0, u), 9);
	assert_int_equal(used_len(0, u), 32);
	assert_int_equal(((uint8_t *)gp(b))[31], 0xab);
}

/* The chain at head 0 was refused: used len 0, logged once, nothing filled. */
static void assert_refused(const char *what)
{
	int logs = log_count;

	notify(&rng.dev, 0);
	assert_int_equal(used_idx(0), 1);
	assert_int_equal(used_id(0, 0), 0);
	assert_int_equal(used_len(0, 0), 0);
	assert_int_equal(fill_calls, 0);
	assert_int_equal(log_count, logs + 1);
	assert_non_null(strstr(log_what, what));
	assert_false(r32(&rng.dev, 0x070) & NEEDS_RESET);
	/* The same refusal again is not logged again. */
	avail_add(0, 0);
	notify(&rng.dev, 0);
	assert_int_equal(used_idx(0), 2);
	assert_int_equal(log_count, logs + 1);
	assert_rng_works();
}

/* The ring is corrupt: NEEDS_RESET, config interrupt, device stopped. */
static void assert_broken(void)
{
	assert_int_equal(log_count, 1);
	assert_true(r32(&rng.dev, 0x070) & NEEDS_RESET);
	assert_true(r32(&rng.dev, 0x060) & 2);
	assert_int_equal(irq_level, 1);
	post_buf(9, 8);
	notify(&rng.dev, 0);
	assert_int_equal(fill_calls, 0);
	/* After a reset it works again, and the interrupt line is low. */
	drv_init(&rng.dev, F_VERSION_1 | F_INDIRECT | F_EVENT_IDX, 1);
	memset(gp(gq[0].avail), 0, 0x1000);
	memset(gp(gq[0].used), 0, 0x1000);
	assert_int_equal(irq_level, 0);
	assert_false(r32(&rng.dev, 0x070) & NEEDS_RESET);
	assert_rng_works();
}

/* ---- transport --------------------------------------------------------- */

static void test_mmio_identity(void **state)
{
	(void)state;
	assert_int_equal(r32(&rng.dev, 0x008), 4);
	assert_int_equal(r32(&rng.dev, 0x00c), 0x52414d50);
	w32(&rng.dev, 0x030, 1); /* rng has one queue */
	assert_int_equal(r32(&rng.dev, 0x034), 0);
	assert_true(dev_features(&rng.dev) & F_VERSION_1);
	assert_int_equal(log_count, 0);
}

static void test_mmio_bad_width(void **state)
{
	uint16_t v = 0xffff;

	(void)state;
	vio_mmio_read(&rng.dev, 0x070, &v, 2);
	assert_int_equal(v, 0);
	vio_mmio_write(&rng.dev, 0x070, &v, 2);
	assert_int_equal(r32(&rng.dev, 0x070), 0xf);
	assert_int_equal(log_count, 1);
}

static void test_features_need_version_1(void **state)
{
	(void)state;
	w32(&rng.dev, 0x070, 0);
	w32(&rng.dev, 0x070, 3);
	w32(&rng.dev, 0x024, 0);
	w32(&rng.dev, 0x020, 0);
	w32(&rng.dev, 0x024, 1);
	w32(&rng.dev, 0x020, 0);
	w32(&rng.dev, 0x070, 3 | 8);
	assert_int_equal(r32(&rng.dev, 0x070), 3);
	assert_int_equal(log_count, 1);
}

static void test_features_unoffered(void **state)
{
	(void)state;
	w32(&rng.dev, 0x070, 0);
	w32(&rng.dev, 0x070, 3);
	w32(&rng.dev, 0x024, 0);
	w32(&rng.dev, 0x020, 1u << 5);
	w32(&rng.dev, 0x024, 1);
	w32(&rng.dev, 0x020, 1);
	w32(&rng.dev, 0x070, 3 | 8);
	assert_int_equal(r32(&rng.dev, 0x070), 3);
	assert_int_equal(log_count, 1);
}

static void test_queue_size_refused(void **state)
{
	(void)state;
	w32(&rng.dev, 0x070, 0);
	assert_false(setup_queue(&rng.dev, 0, 3));
	assert_int_equal(log_count, 1);
	assert_false(setup_queue(&rng.dev, 0, 512));
	assert_false(setup_queue(&rng.dev, 0, 0));
	assert_int_equal(log_count, 1);
	assert_true(setup_queue(&rng.dev, 0, VIO_QUEUE_MAX));
}

static void test_notify_before_driver_ok(void **state)
{
	(void)state;
	w32(&rng.dev, 0x070, 0);
	w32(&rng.dev, 0x070, 3);
	assert_true(setup_queue(&rng.dev, 0, QNUM));
	post_buf(0, 16);
	notify(&rng.dev, 0);
	assert_int_equal(fill_calls, 0);
	assert_int_equal(used_idx(0), 0);
	assert_int_equal(log_count, 1);
	notify(&rng.dev, 7);
	assert_int_equal(log_count, 1);
}

static void test_ring_outside_ram(void **state)
{
	(void)state;
	w32(&rng.dev, 0x070, 0);
	w32(&rng.dev, 0x070, 3);
	w32(&rng.dev, 0x038, QNUM);
	w32(&rng.dev, 0x080, 0x1000); /* below RAM */
	w32(&rng.dev, 0x084, 0);
	w32(&rng.dev, 0x044, 1);
	assert_int_equal(r32(&rng.dev, 0x044), 0);
	assert_broken();
}

static void test_ring_misaligned(void **state)
{
	(void)state;
	w32(&rng.dev, 0x070, 0);
	w32(&rng.dev, 0x070, 3);
	w32(&rng.dev, 0x038, QNUM);
	w32(&rng.dev, 0x080, (uint32_t)RAM_BASE + 8);
	w32(&rng.dev, 0x090, (uint32_t)RAM_BASE + 0x1000);
	w32(&rng.dev, 0x0a0, (uint32_t)RAM_BASE + 0x2000);
	w32(&rng.dev, 0x044, 1);
	assert_int_equal(r32(&rng.dev, 0x044), 0);
	assert_broken();
}

/* ---- normal operation ---------------------------------------------------- */

static void test_rng_fill(void **state)
{
	(void)state;
	set_desc(0, 0, galloc(100), 100, D_WRITE | D_NEXT, 1);
	set_desc(0, 1, galloc(28), 28, D_WRITE, 0);
	avail_add(0, 0);
	notify(&rng.dev, 0);
	assert_int_equal(used_idx(0), 1);
	assert_int_equal(used_len(0, 0), 128);
	assert_int_equal(irq_level, 1);
	assert_int_equal(r32(&rng.dev, 0x060), 1);
	w32(&rng.dev, 0x064, 1);
	assert_int_equal(irq_level, 0);
	assert_int_equal(log_count, 0);
}

static void test_rng_indirect(void **state)
{
	uint64_t tbl = galloc(32);

	(void)state;
	set_idesc(tbl, 0, galloc(8), 8, D_WRITE | D_NEXT, 1);
	set_idesc(tbl, 1, galloc(8), 8, D_WRITE, 0);
	set_desc(0, 0, tbl, 32, D_INDIRECT, 0);
	avail_add(0, 0);
	notify(&rng.dev, 0);
	assert_int_equal(used_len(0, 0), 16);
	assert_int_equal(log_count, 0);
}

static void test_chain_of_max_length(void **state)
{
	uint64_t tbl = galloc(16 * VIO_CHAIN_MAX), b = galloc(VIO_CHAIN_MAX);

	(void)state;
	for (unsigned i = 0; i < VIO_CHAIN_MAX; i++)
		set_idesc(tbl, i, b + i, 1, D_WRITE | (i + 1 < VIO_CHAIN_MAX ? D_NEXT : 0),
			  (uint16_t)(i + 1));
	set_desc(0, 0, tbl, 16 * VIO_CHAIN_MAX, D_INDIRECT, 0);
	avail_add(0, 0);
	notify(&rng.dev, 0);
	assert_int_equal(used_len(0, 0), VIO_CHAIN_MAX);
	assert_int_equal(log_count, 0);
}

/* With EVENT_IDX the device interrupts only when used idx passes used_event. */
static void test_event_idx(void **state)
{
	(void)state;
	set_used_event(0, 5);
	post_buf(0, 8);
	notify(&rng.dev, 0);
	assert_int_equal(irq_level, 1); /* the first one always signals */
	assert_int_equal(avail_event(0), 1);
	w32(&rng.dev, 0x064, 1);
	post_buf(1, 8);
	notify(&rng.dev, 0);
	assert_int_equal(irq_level, 0); /* used idx 2, event 5: no */
	set_used_event(0, 2);
	post_buf(2, 8);
	notify(&rng.dev, 0);
	assert_int_equal(irq_level, 1); /* used idx 2 -> 3 passes 2 */
	assert_int_equal(avail_event(0), 3);
}

static void test_no_interrupt_flag(void **state)
{
	(void)state;
	drv_init(&rng.dev, F_VERSION_1, 1);
	*(uint16_t *)gp(gq[0].avail) = 1; /* VIRTQ_AVAIL_F_NO_INTERRUPT */
	post_buf(0, 8);
	notify(&rng.dev, 0);
	assert_int_equal(used_idx(0), 1);
	assert_int_equal(irq_level, 0);
	*(uint16_t *)gp(gq[0].avail) = 0;
	post_buf(1, 8);
	notify(&rng.dev, 0);
	assert_int_equal(irq_level, 1);
}

/* ---- hostile chains: refused, head completed with len 0, logged once ------- */

static void test_desc_index_out_of_range(void **state)
{
	(void)state;
	set_desc(0, 0, galloc(8), 8, D_WRITE | D_NEXT, QNUM);
	avail_add(0, 0);
	assert_refused("next index");
}

static void test_chain_loop(void **state)
{
	(void)state;
	set_desc(0, 0, galloc(8), 8, D_WRITE | D_NEXT, 1);
	set_desc(0, 1, galloc(8), 8, D_WRITE | D_NEXT, 0);
	avail_add(0, 0);
	assert_refused("too long");
}

static void test_chain_too_long_indirect_loop(void **state)
{
	uint64_t tbl = galloc(16 * 4);

	(void)state;
	for (unsigned i = 0; i < 4; i++)
		set_idesc(tbl, i, galloc(1), 1, D_WRITE | D_NEXT, (uint16_t)((i + 1) % 4));
	set_desc(0, 0, tbl, 64, D_INDIRECT, 0);
	avail_add(0, 0);
	assert_refused("too long");
}

static void test_indirect_without_feature(void **state)
{
	uint64_t tbl = galloc(16);

	(void)state;
	drv_init(&rng.dev, F_VERSION_1, 1);
	set_idesc(tbl, 0, galloc(8), 8, D_WRITE, 0);
	set_desc(0, 0, tbl, 16, D_INDIRECT, 0);
	avail_add(0, 0);
	assert_refused("indirect descriptor not negotiated");
}

static void test_indirect_nested(void **state)
{
	uint64_t t1 = galloc(16), t2 = galloc(16);

	(void)state;
	set_idesc(t2, 0, galloc(8), 8, D_WRITE, 0);
	set_idesc(t1, 0, t2, 16, D_INDIRECT, 0);
	set_desc(0, 0, t1, 16, D_INDIRECT, 0);
	avail_add(0, 0);
	assert_refused("nested");
}

static void test_indirect_bad_length(void **state)
{
	uint64_t tbl = galloc(16 * (VIO_CHAIN_MAX + 1));
	uint32_t bad[] = { 0, 17, 16 * (VIO_CHAIN_MAX + 1) };

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		uint16_t u = used_idx(0);

		set_desc(0, 0, tbl, bad[i], D_INDIRECT, 0);
		avail_add(0, 0);
		notify(&rng.dev, 0);
		assert_int_equal(used_idx(0), (uint16_t)(u + 1));
		assert_int_equal(used_len(0, u), 0);
	}
	assert_int_equal(log_count, 1);
	assert_non_null(strstr(log_what, "indirect table length"));
	assert_rng_works();
}

static void test_indirect_with_next(void **state)
{
	uint64_t tbl = galloc(16);

	(void)state;
	set_idesc(tbl, 0, galloc(8), 8, D_WRITE, 0);
	set_desc(0, 0, tbl, 16, D_INDIRECT | D_NEXT, 1);
	set_desc(0, 1, galloc(8), 8, D_WRITE, 0);
	avail_add(0, 0);
	assert_refused("indirect descriptor with NEXT");
}

static void test_zero_length(void **state)
{
	(void)state;
	set_desc(0, 0, galloc(8), 0, D_WRITE, 0);
	avail_add(0, 0);
	assert_refused("zero-length");
}

static void test_buffer_outside_ram(void **state)
{
	(void)state;
	set_desc(0, 0, RAM_BASE + RAM_SIZE - 4, 8, D_WRITE, 0);
	avail_add(0, 0);
	assert_refused("outside guest RAM");
}

static void test_address_wraps(void **state)
{
	(void)state;
	set_desc(0, 0, 0xfffffffffffff000ull, 0x2000, D_WRITE, 0);
	avail_add(0, 0);
	assert_refused("wraps");
}

static void test_length_sum_overflow(void **state)
{
	(void)state;
	big = mmap(NULL, BIG_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(big != MAP_FAILED);
	set_desc(0, 0, BIG_BASE, 0x80000000u, D_WRITE | D_NEXT, 1);
	set_desc(0, 1, BIG_BASE + 0x80000000u, 0x80000000u, D_WRITE, 0);
	avail_add(0, 0);
	assert_refused("over 4 GiB");
	munmap(big, BIG_SIZE);
	big = NULL;
}

static void test_readable_after_writable(void **state)
{
	(void)state;
	set_desc(0, 0, galloc(8), 8, D_WRITE | D_NEXT, 1);
	set_desc(0, 1, galloc(8), 8, 0, 0);
	avail_add(0, 0);
	assert_refused("readable descriptor after");
}

/* ---- hostile rings: the device needs a reset --------------------------- */

static void test_avail_idx_jump(void **state)
{
	(void)state;
	set_avail_idx(0, QNUM + 1);
	notify(&rng.dev, 0);
	assert_int_equal(used_idx(0), 0);
	assert_broken();
}

static void test_head_out_of_range(void **state)
{
	(void)state;
	avail_add(0, QNUM);
	notify(&rng.dev, 0);
	assert_int_equal(used_idx(0), 0);
	assert_broken();
}

/* A full ring is processed, and no more than a ring's worth per notify. */
static void test_full_ring(void **state)
{
	(void)state;
	for (unsigned i = 0; i < QNUM; i++)
		post_buf(i, 4);
	notify(&rng.dev, 0);
	assert_int_equal(used_idx(0), QNUM);
	/* Budget spent: the driver is asked to notify on its next buffer. */
	assert_int_equal(avail_event(0), QNUM);
	assert_int_equal(log_count, 0);
}

/* ---- memory the driver may only read: read, never stored into ------------ */

/* A used ring there: refused when the queue is enabled, the device broken. */
static void test_used_ring_read_only(void **state)
{
	(void)state;
	ro_fill();
	ro_freeze();
	w32(&rng.dev, 0x070, 0);
	w32(&rng.dev, 0x070, 3);
	w32(&rng.dev, 0x038, QNUM);
	w32(&rng.dev, 0x080, (uint32_t)RAM_BASE);
	w32(&rng.dev, 0x090, (uint32_t)RAM_BASE + 0x1000);
	w32(&rng.dev, 0x0a0, (uint32_t)RO_BASE);
	w32(&rng.dev, 0x044, 1);
	assert_int_equal(r32(&rng.dev, 0x044), 0);
	assert_non_null(strstr(log_what, "used ring not writable"));
	assert_ro_intact();
	assert_broken();
}

/* A used ring that stops being writable after the queue is enabled (a seal
 * made later): the next completion breaks the device, nothing is stored. */
static void test_used_ring_turns_read_only(void **state)
{
	uint64_t b = galloc(16);

	(void)state;
	ro_seal(gq[0].used, gq[0].used + 0x1000);
	set_desc(0, 0, b, 16, D_WRITE, 0);
	avail_add(0, 0);
	notify(&rng.dev, 0);
	assert_int_equal(used_idx(0), 0);
	assert_int_equal(used_len(0, 0), 0);
	assert_true(r32(&rng.dev, 0x070) & NEEDS_RESET);
	assert_int_equal(log_count, 1);
	assert_non_null(strstr(log_what, "used ring outside writable"));
	/* Writable again, and reset: the device works. */
	ro_seal(RO_BASE, RO_BASE + RO_SIZE);
	drv_init(&rng.dev, F_VERSION_1 | F_INDIRECT | F_EVENT_IDX, 1);
	memset(gp(gq[0].avail), 0, 0x1000);
	memset(gp(gq[0].used), 0, 0x1000);
	assert_rng_works();
}

/* A device-writable buffer partly or wholly there: the chain is refused. */
static void test_writable_buffer_read_only(void **state)
{
	uint8_t *edge = gp(RO_BASE - 8);

	(void)state;
	ro_fill();
	ro_freeze();
	memset(edge, 0x5c, 8);
	set_desc(0, 0, RO_BASE - 8, 16, D_WRITE, 0); /* straddles into it */
	avail_add(0, 0);
	assert_refused("may not write");
	assert_ro_intact();
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(edge[i], 0x5c);
	fill_calls = 0;
	set_desc(0, 0, galloc(8), 8, D_WRITE | D_NEXT, 1);
	set_desc(0, 1, RO_BASE + 0x800, 8, D_WRITE, 0); /* wholly inside */
	avail_add(0, 0);
	notify(&rng.dev, 0);
	assert_int_equal(used_len(0, (uint16_t)(used_idx(0) - 1)), 0);
	assert_int_equal(fill_calls, 0);
	assert_ro_intact();
}

/* What the device only reads may lie there: an indirect table is used. */
static void test_read_only_table_read(void **state)
{
	uint64_t tbl = RO_BASE + 0x1000, bad = RO_BASE + 0x1100, b = galloc(16);

	(void)state;
	ro_fill();
	set_idesc(tbl, 0, b, 16, D_WRITE, 0);
	set_idesc(bad, 0, RO_BASE + 0x2000, 16, D_WRITE, 0);
	ro_freeze();
	set_desc(0, 0, tbl, 16, D_INDIRECT, 0);
	avail_add(0, 0);
	notify(&rng.dev, 0);
	assert_int_equal(used_len(0, 0), 16);
	assert_int_equal(((uint8_t *)gp(b))[15], 0xab);
	assert_int_equal(log_count, 0);
	/* ... but a writable buffer it lists there is refused. */
	set_desc(0, 0, bad, 16, D_INDIRECT, 0);
	avail_add(0, 0);
	notify(&rng.dev, 0);
	assert_int_equal(used_len(0, 1), 0);
	assert_int_equal(log_count, 1);
	assert_non_null(strstr(log_what, "may not write"));
	assert_ro_intact();
}

/* ---- console ------------------------------------------------------------- */

static struct vio_console cons;
static char cons_out[64];
static size_t cons_len;

static void t_write(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	assert_true(cons_len + len <= sizeof(cons_out));
	memcpy(cons_out + cons_len, data, len);
	cons_len += len;
}

static const struct vio_console_backend cons_be = { .write = t_write };

static void test_console(void **state)
{
	uint64_t b1, b2;

	(void)state;
	guest_reset();
	cons_len = 0;
	vio_console_init(&cons, &host, 3, &cons_be);
	drv_init(&cons.dev, F_VERSION_1 | F_EVENT_IDX, 2);
	assert_int_equal(r32(&cons.dev, 0x008), 3);
	/* Nothing posted: input is not taken. */
	assert_int_equal(vio_console_input(&cons, "x", 1), 0);
	/* transmit: "hello, " + "world" */
	b1 = galloc(7);
	b2 = galloc(5);
	memcpy(gp(b1), "hello, ", 7);
	memcpy(gp(b2), "world", 5);
	set_desc(1, 0, b1, 7, D_NEXT, 1);
	set_desc(1, 1, b2, 5, 0, 0);
	avail_add(1, 0);
	notify(&cons.dev, 1);
	assert_int_equal(cons_len, 12);
	assert_memory_equal(cons_out, "hello, world", 12);
	assert_int_equal(used_idx(1), 1);
	/* receive: two 4-byte buffers take 8 of 10 bytes */
	b1 = galloc(4);
	b2 = galloc(4);
	set_desc(0, 0, b1, 4, D_WRITE, 0);
	set_desc(0, 1, b2, 4, D_WRITE, 0);
	avail_add(0, 0);
	avail_add(0, 1);
	notify(&cons.dev, 0);
	assert_int_equal(vio_console_input(&cons, "0123456789", 10), 8);
	assert_memory_equal(gp(b1), "0123", 4);
	assert_memory_equal(gp(b2), "4567", 4);
	assert_int_equal(used_len(0, 0), 4);
	assert_int_equal(used_len(0, 1), 4);
	assert_int_equal(log_count, 0);
}

static uint64_t cons_bytes;

static void t_count(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	(void)data;
	cons_bytes += len;
}

static const struct vio_console_backend count_be = { .write = t_count };

/*
 * One transmit notify of aliased descriptors: QNUM chains, each QNUM
 * descriptors over the same 512 KiB, would write 128 MiB. The device writes
 * VIO_CONSOLE_TX_BUDGET bytes, says so once, and still completes every chain.
 */
static void test_console_tx_budget(void **state)
{
	uint64_t b;

	(void)state;
	guest_reset();
	cons_bytes = 0;
	vio_console_init(&cons, &host, 3, &count_be);
	drv_init(&cons.dev, F_VERSION_1, 2);
	b = galloc(512 << 10);
	for (unsigned i = 0; i < QNUM; i++)
		set_desc(1, i, b, 512 << 10, i + 1 < QNUM ? D_NEXT : 0, (uint16_t)(i + 1));
	for (unsigned i = 0; i < QNUM; i++)
		avail_add(1, 0);
	notify(&cons.dev, 1);
	assert_int_equal(cons_bytes, VIO_CONSOLE_TX_BUDGET);
	assert_int_equal(used_idx(1), QNUM);
	assert_int_equal(log_count, 1);
	/* The next notify has a budget of its own. */
	avail_add(1, 0);
	notify(&cons.dev, 1);
	assert_int_equal(cons_bytes, 2 * VIO_CONSOLE_TX_BUDGET);
	assert_int_equal(used_idx(1), QNUM + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_console_tx_budget),
		cmocka_unit_test_setup(test_mmio_identity, setup_rng),
		cmocka_unit_test_setup(test_mmio_bad_width, setup_rng),
		cmocka_unit_test_setup(test_features_need_version_1, setup_rng),
		cmocka_unit_test_setup(test_features_unoffered, setup_rng),
		cmocka_unit_test_setup(test_queue_size_refused, setup_rng),
		cmocka_unit_test_setup(test_notify_before_driver_ok, setup_rng),
		cmocka_unit_test_setup(test_ring_outside_ram, setup_rng),
		cmocka_unit_test_setup(test_ring_misaligned, setup_rng),
		cmocka_unit_test_setup(test_rng_fill, setup_rng),
		cmocka_unit_test_setup(test_rng_indirect, setup_rng),
		cmocka_unit_test_setup(test_chain_of_max_length, setup_rng),
		cmocka_unit_test_setup(test_event_idx, setup_rng),
		cmocka_unit_test_setup(test_no_interrupt_flag, setup_rng),
		cmocka_unit_test_setup(test_desc_index_out_of_range, setup_rng),
		cmocka_unit_test_setup(test_chain_loop, setup_rng),
		cmocka_unit_test_setup(test_chain_too_long_indirect_loop, setup_rng),
		cmocka_unit_test_setup(test_indirect_without_feature, setup_rng),
		cmocka_unit_test_setup(test_indirect_nested, setup_rng),
		cmocka_unit_test_setup(test_indirect_bad_length, setup_rng),
		cmocka_unit_test_setup(test_indirect_with_next, setup_rng),
		cmocka_unit_test_setup(test_zero_length, setup_rng),
		cmocka_unit_test_setup(test_buffer_outside_ram, setup_rng),
		cmocka_unit_test_setup(test_address_wraps, setup_rng),
		cmocka_unit_test_setup(test_length_sum_overflow, setup_rng),
		cmocka_unit_test_setup(test_readable_after_writable, setup_rng),
		cmocka_unit_test_setup(test_avail_idx_jump, setup_rng),
		cmocka_unit_test_setup(test_head_out_of_range, setup_rng),
		cmocka_unit_test_setup(test_full_ring, setup_rng),
		cmocka_unit_test_setup(test_used_ring_read_only, setup_rng),
		cmocka_unit_test_setup(test_used_ring_turns_read_only, setup_rng),
		cmocka_unit_test_setup(test_writable_buffer_read_only, setup_rng),
		cmocka_unit_test_setup(test_read_only_table_read, setup_rng),
		cmocka_unit_test(test_console),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
