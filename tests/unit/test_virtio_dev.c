/* SPDX-License-Identifier: MIT */
/* virtio-blk and virtio-net, driven through real rings in a fake guest. */
#include "test_virtio_guest.h"

/* ---- block --------------------------------------------------------------- */

#define DISK_SECTORS 64
#include "mem_disk.h"
static struct vio_blk blk;
static struct vio_blk_backend blk_be;

static void blk_start(bool ro)
{
	guest_reset();
	flushes = 0;
	for (unsigned i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)(i / 512);
	blk_be = (struct vio_blk_backend){ .capacity = DISK_SECTORS, .read_only = ro,
					   .serial = "rampart-disk-0",
					   .read = t_read, .write = t_write, .flush = t_flush };
	vio_blk_init(&blk, &host, 4, &blk_be);
	drv_init(&blk.dev, ~0ull, 1);
}

static uint64_t blk_hdr(uint32_t type, uint64_t sector)
{
	uint64_t h = galloc(16);
	uint8_t *p = gp(h);
	memcpy(p, &type, 4);
	memset(p + 4, 0, 4);
	memcpy(p + 8, &sector, 8);
	return h;
}

/* header, data (write flag for reads), status; returns the status byte's gpa. */
static uint64_t blk_submit(uint32_t type, uint64_t sector, uint64_t data, uint32_t len)
{
	uint64_t st = galloc(1);
	unsigned i = 0;

	*(uint8_t *)gp(st) = 0xee;
	set_desc(0, i, blk_hdr(type, sector), 16, D_NEXT, (uint16_t)(i + 1));
	i++;
	if (len) {
		set_desc(0, i, data, len, (type == 1 ? 0 : D_WRITE) | D_NEXT, (uint16_t)(i + 1));
		i++;
	}
	set_desc(0, i, st, 1, D_WRITE, 0);
	avail_add(0, 0);
	notify(&blk.dev, 0);
	return st;
}

static uint8_t last_status(uint64_t st)
{
	return *(uint8_t *)gp(st);
}

static void test_blk_config(void **state)
{
	uint64_t cap = 0;
	uint32_t bs = 0;
	uint8_t b;

	(void)state;
	blk_start(false);
	assert_int_equal(r32(&blk.dev, 0x008), 2);
	vio_mmio_read(&blk.dev, 0x100, &cap, 8);
	assert_int_equal(cap, DISK_SECTORS);
	vio_mmio_read(&blk.dev, 0x114, &bs, 4);
	assert_int_equal(bs, 512);
	vio_mmio_read(&blk.dev, 0x1ff, &b, 1);
	assert_int_equal(b, 0);
	assert_false(dev_features(&blk.dev) & (1u << 5));
}

static void test_blk_read_write(void **state)
{
	uint64_t buf, st;

	(void)state;
	blk_start(false);
	buf = galloc(1024);
	st = blk_submit(0, 3, buf, 1024);
	assert_int_equal(last_status(st), 0);
	assert_int_equal(used_len(0, 0), 1025);
	assert_int_equal(((uint8_t *)gp(buf))[0], 3);
	assert_int_equal(((uint8_t *)gp(buf))[1023], 4);
	memset(gp(buf), 0x5a, 512);
	st = blk_submit(1, 10, buf, 512);
	assert_int_equal(last_status(st), 0);
	assert_int_equal(used_len(0, 1), 1);
	assert_int_equal(disk[10 * 512 + 7], 0x5a);
	st = blk_submit(4, 0, 0, 0);
	assert_int_equal(last_status(st), 0);
	assert_int_equal(flushes, 1);
	assert_int_equal(irq_level, 1);
	assert_int_equal(log_count, 0);
}

static void test_blk_get_id(void **state)
{
	uint64_t buf, st;

	(void)state;
	blk_start(false);
	buf = galloc(20);
	st = blk_submit(8, 0, buf, 20);
	assert_int_equal(last_status(st), 0);
	assert_string_equal((char *)gp(buf), "rampart-disk-0");
	assert_int_equal(used_len(0, 0), 21);
}

static void test_blk_read_only(void **state)
{
	uint64_t buf, st;

	(void)state;
	blk_start(true);
	buf = galloc(512);
	assert_true(dev_features(&blk.dev) & (1u << 5));
	st = blk_submit(1, 0, buf, 512);
	assert_int_equal(last_status(st), 1);
	assert_int_equal(disk[0], 0);
	assert_int_equal(log_count, 1);
	st = blk_submit(1, 0, buf, 512);
	assert_int_equal(log_count, 1);
	st = blk_submit(0, 0, buf, 512);
	assert_int_equal(last_status(st), 0);
}

static void test_blk_past_capacity(void **state)
{
	uint64_t buf, st;

	(void)state;
	blk_start(false);
	buf = galloc(1024);
	st = blk_submit(0, DISK_SECTORS - 1, buf, 1024);
	assert_int_equal(last_status(st), 1);
	assert_int_equal(used_len(0, 0), 1);
	assert_int_equal(log_count, 1);
	st = blk_submit(0, DISK_SECTORS, buf, 512);
	assert_int_equal(last_status(st), 1);
	/* sector * 512 overflows 64 bits */
	st = blk_submit(1, 0x0080000000000001ull, buf, 512);
	assert_int_equal(last_status(st), 1);
	st = blk_submit(0, UINT64_MAX, buf, 512);
	assert_int_equal(last_status(st), 1);
	/* not whole sectors */
	st = blk_submit(0, 0, buf, 100);
	assert_int_equal(last_status(st), 1);
	assert_int_equal(log_count, 1);
	st = blk_submit(0, DISK_SECTORS - 1, buf, 512);
	assert_int_equal(last_status(st), 0);
}

static void test_blk_unsupported(void **state)
{
	uint64_t st;

	(void)state;
	blk_start(false);
	st = blk_submit(11, 0, 0, 0); /* WRITE_ZEROES, not offered */
	assert_int_equal(last_status(st), 2);
	assert_int_equal(log_count, 1);
}

static void test_blk_no_status(void **state)
{
	(void)state;
	blk_start(false);
	set_desc(0, 0, blk_hdr(0, 0), 16, 0, 0);
	avail_add(0, 0);
	notify(&blk.dev, 0);
	assert_int_equal(used_idx(0), 1);
	assert_int_equal(used_len(0, 0), 0);
	assert_int_equal(log_count, 1);
	/* short header */
	set_desc(0, 0, blk_hdr(0, 0), 8, D_NEXT, 1);
	set_desc(0, 1, galloc(1), 1, D_WRITE, 0);
	avail_add(0, 0);
	notify(&blk.dev, 0);
	assert_int_equal(used_len(0, 1), 1);
	assert_int_equal(log_count, 1);
}

/* A malformed chain with a status byte is failed through it. */
static void test_blk_bad_chain_status(void **state)
{
	uint64_t st;

	(void)state;
	blk_start(false);
	st = galloc(1);
	set_desc(0, 0, blk_hdr(0, 0), 16, D_NEXT, 1);
	set_desc(0, 1, st, 1, D_WRITE | D_NEXT, 2);
	set_desc(0, 2, galloc(8), 8, 0, 0); /* readable after writable */
	avail_add(0, 0);
	notify(&blk.dev, 0);
	assert_int_equal(last_status(st), 1);
	assert_int_equal(used_len(0, 0), 1);
	assert_int_equal(log_count, 1);
}

/* The status byte where the driver may not write: the request is refused
 * and failed through the last writable byte checked before it, if any. */
static void test_blk_status_read_only(void **state)
{
	uint64_t buf;

	(void)state;
	blk_start(false);
	ro_fill();
	ro_freeze();
	buf = galloc(512);
	set_desc(0, 0, blk_hdr(0, 0), 16, D_NEXT, 1);
	set_desc(0, 1, buf, 512, D_WRITE | D_NEXT, 2);
	set_desc(0, 2, RO_BASE + 0x10, 1, D_WRITE, 0);
	avail_add(0, 0);
	notify(&blk.dev, 0);
	assert_int_equal(used_idx(0), 1);
	assert_int_equal(used_len(0, 0), 1);
	assert_int_equal(((uint8_t *)gp(buf))[511], 1); /* IOERR, and no data read */
	assert_int_equal(((uint8_t *)gp(buf))[0], 0);
	assert_int_equal(log_count, 1);
	assert_non_null(strstr(log_what, "may not write"));
	/* No writable byte before it: completed with nothing written. */
	set_desc(0, 0, blk_hdr(8, 0), 16, D_NEXT, 1);
	set_desc(0, 1, RO_BASE + 0x10, 1, D_WRITE, 0);
	avail_add(0, 0);
	notify(&blk.dev, 0);
	assert_int_equal(used_idx(0), 2);
	assert_int_equal(used_len(0, 1), 0);
	assert_ro_intact();
}

/* Data read from the disk, or an id, into such memory: refused, nothing
 * stored; data written to the disk from it is only read: allowed. */
static void test_blk_data_read_only(void **state)
{
	uint64_t st;

	(void)state;
	blk_start(false);
	ro_fill();
	ro_freeze();
	st = blk_submit(0, 2, RO_BASE + 0x200, 512);
	assert_int_equal(last_status(st), 0xee);
	assert_int_equal(used_len(0, 0), 0);
	st = blk_submit(8, 0, RO_BASE + 0x400, 20);
	assert_int_equal(last_status(st), 0xee);
	assert_int_equal(used_len(0, 1), 0);
	assert_int_equal(log_count, 1);
	assert_ro_intact();
	st = blk_submit(1, 5, RO_BASE + 0x200, 512);
	assert_int_equal(last_status(st), 0);
	assert_memory_equal(disk + 5 * 512, ro_before + 0x200, 512);
}

/* ---- net ----------------------------------------------------------------- */

static struct vio_net net;
static struct vio_net_backend net_be;
static uint8_t frame[70000];
static size_t frame_len;
static int frames_waiting;
static uint8_t sent[2048];
static size_t sent_len;
static int rx_wanted;

static int t_tx(void *ctx, const struct vio_iov *iov, unsigned n)
{
	(void)ctx;
	sent_len = 0;
	for (unsigned i = 0; i < n; i++) {
		assert_true(sent_len + iov[i].len <= sizeof(sent));
		memcpy(sent + sent_len, iov[i].base, iov[i].len);
		sent_len += iov[i].len;
	}
	return 0;
}

static int t_rx(void *ctx, const struct vio_iov *iov, unsigned n)
{
	size_t done = 0;

	(void)ctx;
	if (!frames_waiting)
		return 0;
	for (unsigned i = 0; i < n && done < frame_len; i++) {
		size_t k = frame_len - done < iov[i].len ? frame_len - done : iov[i].len;
		memcpy(iov[i].base, frame + done, k);
		done += k;
	}
	frames_waiting--;
	return (int)done;
}

static void t_rx_wanted(void *ctx)
{
	(void)ctx;
	rx_wanted++;
}

static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };

static void net_start(uint64_t want)
{
	guest_reset();
	frames_waiting = 0;
	rx_wanted = 0;
	net_be = (struct vio_net_backend){ .features = (1u << 0) | (1u << 7) | (1ull << 40),
					   .tx = t_tx, .rx = t_rx, .rx_wanted = t_rx_wanted };
	vio_net_init(&net, &host, 2, mac, &net_be);
	drv_init(&net.dev, want, 2);
}

static void test_net_config_features(void **state)
{
	uint8_t m[6];
	uint16_t st;
	uint64_t f;

	(void)state;
	net_start(~0ull);
	f = dev_features(&net.dev);
	assert_true(f & (1u << 5));
	assert_true(f & (1u << 15));
	assert_true(f & (1u << 0));
	assert_false(f & (1ull << 40)); /* not an offload the device passes */
	for (unsigned i = 0; i < 6; i++)
		vio_mmio_read(&net.dev, 0x100 + i, &m[i], 1);
	assert_memory_equal(m, mac, 6);
	vio_mmio_read(&net.dev, 0x106, &st, 2);
	assert_int_equal(st, 1);
}

static void test_net_tx(void **state)
{
	uint64_t h, p;

	(void)state;
	net_start(~0ull);
	h = galloc(12);
	p = galloc(60);
	memset(gp(h), 0, 12);
	memset(gp(p), 0x77, 60);
	set_desc(1, 0, h, 12, D_NEXT, 1);
	set_desc(1, 1, p, 60, 0, 0);
	avail_add(1, 0);
	notify(&net.dev, 1);
	assert_int_equal(sent_len, 72);
	assert_int_equal(sent[71], 0x77);
	assert_int_equal(used_idx(1), 1);
	assert_int_equal(used_len(1, 0), 0);
	/* shorter than the header: refused, not sent */
	sent_len = 0;
	set_desc(1, 0, h, 8, 0, 0);
	avail_add(1, 0);
	notify(&net.dev, 1);
	assert_int_equal(sent_len, 0);
	assert_int_equal(used_idx(1), 2);
	assert_int_equal(log_count, 1);
}

static void test_net_rx_single(void **state)
{
	uint64_t b;

	(void)state;
	net_start(F_VERSION_1); /* no MRG_RXBUF */
	b = galloc(1600);
	frame_len = 100;
	memset(frame, 0x33, frame_len);
	frames_waiting = 1;
	set_desc(0, 0, b, 1600, D_WRITE, 0);
	avail_add(0, 0);
	/* One frame delivered, then the ring is empty: starved. */
	assert_int_equal(vio_net_rx(&net), 1);
	assert_int_equal(net.rx_starved, true);
	assert_int_equal(used_idx(0), 1);
	assert_int_equal(used_len(0, 0), 100);
	assert_int_equal(((uint8_t *)gp(b))[10], 1); /* num_buffers */
	assert_int_equal(((uint8_t *)gp(b))[99], 0x33);
	assert_int_equal(irq_level, 1);
	/* out of buffers: none delivered, and rx_wanted on the next rx notify */
	frames_waiting = 1;
	assert_int_equal(vio_net_rx(&net), 0);
	assert_int_equal(net.rx_starved, true);
	set_desc(0, 1, b, 1600, D_WRITE, 0);
	avail_add(0, 1);
	notify(&net.dev, 0);
	assert_int_equal(rx_wanted, 1);
	assert_int_equal(net.rx_starved, false);
	assert_int_equal(vio_net_rx(&net), 1);
	assert_int_equal(net.rx_starved, true);
	assert_int_equal(used_idx(0), 2);
	/* Buffers but no frame: 0, not starved. */
	set_desc(0, 2, b, 1600, D_WRITE, 0);
	avail_add(0, 2);
	assert_int_equal(vio_net_rx(&net), 0);
	assert_int_equal(net.rx_starved, false);
	assert_int_equal(used_idx(0), 2);
}

/* A poll that moved nothing signals nothing: no interrupt, no ISR bit. */
static void test_net_rx_idle_no_signal(void **state)
{
	uint64_t b;

	(void)state;
	net_start(F_VERSION_1); /* no EVENT_IDX, interrupts not suppressed */
	b = galloc(1600);
	set_desc(0, 0, b, 1600, D_WRITE, 0);
	avail_add(0, 0);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(vio_net_rx(&net), 0);
	assert_int_equal(net.dev.isr, 0);
	assert_int_equal(irq_level, 0);
	/* A frame does signal. */
	frame_len = 80;
	memset(frame, 0x21, frame_len);
	frames_waiting = 1;
	assert_int_equal(vio_net_rx(&net), 1);
	assert_int_equal(irq_level, 1);
}

static void test_net_rx_mergeable(void **state)
{
	(void)state;
	net_start(~0ull); /* MRG_RXBUF, GUEST_TSO4: 64 KiB frames */
	for (unsigned i = 0; i < QNUM; i++) {
		set_desc(0, i, galloc(4096), 4096, D_WRITE, 0);
		avail_add(0, (uint16_t)i);
	}
	/* 16 x 4 KiB < 65562: less than a worst-case frame, but all there is */
	frame_len = 5000;
	for (size_t i = 0; i < frame_len; i++)
		frame[i] = (uint8_t)i;
	frames_waiting = 2;
	assert_int_equal(vio_net_rx(&net), 2);
	assert_int_equal(used_idx(0), 4);
	assert_int_equal(used_id(0, 0), 0);
	assert_int_equal(used_len(0, 0), 4096);
	assert_int_equal(used_len(0, 1), 5000 - 4096);
	assert_int_equal(used_id(0, 2), 2); /* unused chains were given back in order */
	assert_int_equal(used_id(0, 3), 3);
	{
		uint8_t *first = gp(*(uint64_t *)gp(gq[0].desc));
		uint8_t *third = gp(*(uint64_t *)gp(gq[0].desc + 32));
		assert_int_equal(first[10], 2);
		assert_int_equal(third[10], 2);
		assert_int_equal(third[4095], (uint8_t)4095);
	}
	assert_int_equal(log_count, 0);
}

static void test_net_rx_bad_chain(void **state)
{
	uint64_t b;

	(void)state;
	net_start(F_VERSION_1);
	b = galloc(2048);
	set_desc(0, 0, b, 2048, 0, 0); /* readable rx buffer */
	set_desc(0, 1, b, 2048, D_WRITE, 0);
	avail_add(0, 0);
	avail_add(0, 1);
	frame_len = 64;
	frames_waiting = 1;
	assert_int_equal(vio_net_rx(&net), 1);
	assert_int_equal(used_len(0, 0), 0);
	assert_int_equal(used_id(0, 1), 1);
	assert_int_equal(used_len(0, 1), 64);
	assert_int_equal(log_count, 1);
}

/* A receive buffer where the driver may not write: refused, the frame goes
 * to the next buffer. */
static void test_net_rx_read_only(void **state)
{
	uint64_t b;

	(void)state;
	net_start(F_VERSION_1);
	ro_fill();
	ro_freeze();
	b = galloc(2048);
	set_desc(0, 0, RO_BASE + 0x3000, 2048, D_WRITE, 0);
	set_desc(0, 1, b, 2048, D_WRITE, 0);
	avail_add(0, 0);
	avail_add(0, 1);
	frame_len = 64;
	memset(frame, 0x42, frame_len);
	frames_waiting = 1;
	assert_int_equal(vio_net_rx(&net), 1);
	assert_int_equal(used_len(0, 0), 0);
	assert_int_equal(used_id(0, 1), 1);
	assert_int_equal(used_len(0, 1), 64);
	assert_int_equal(((uint8_t *)gp(b))[63], 0x42);
	assert_int_equal(log_count, 1);
	assert_non_null(strstr(log_what, "may not write"));
	assert_ro_intact();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blk_config),
		cmocka_unit_test(test_blk_read_write),
		cmocka_unit_test(test_blk_get_id),
		cmocka_unit_test(test_blk_read_only),
		cmocka_unit_test(test_blk_past_capacity),
		cmocka_unit_test(test_blk_unsupported),
		cmocka_unit_test(test_blk_no_status),
		cmocka_unit_test(test_blk_bad_chain_status),
		cmocka_unit_test(test_blk_status_read_only),
		cmocka_unit_test(test_blk_data_read_only),
		cmocka_unit_test(test_net_config_features),
		cmocka_unit_test(test_net_tx),
		cmocka_unit_test(test_net_rx_single), cmocka_unit_test(test_net_rx_idle_no_signal),
		cmocka_unit_test(test_net_rx_mergeable),
		cmocka_unit_test(test_net_rx_bad_chain),
		cmocka_unit_test(test_net_rx_read_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
