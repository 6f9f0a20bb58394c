/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the device model. The input is a script run against
 * all four devices sharing one fake guest RAM:
 *
 *   op 0  mmio write   dev off16 len8 value[len]
 *   op 1  mmio read    dev off16 len8
 *   op 2  ram write    off16 n8 bytes[n]
 *   op 3  notify       dev q
 *   op 4  net rx       len16 (one frame waits in the backend)
 *   op 5  console in   n8
 *   op 6  driver init  dev features64 (Linux-like, rings at fixed places)
 *   op 7  avail add    dev q head16
 *   op 8  descriptor   dev q idx8 where8 addr16|addr64 len32 flags16 next16
 *
 * The backends touch every byte of every iov they get, so ASan checks the
 * bounds the device model promises, and they abort on an iov outside RAM.
 * Part of the RAM is read-only to the driver (a layer child's sealed pages)
 * and PROT_READ: a store the device model makes there faults.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "virtio/virtio.h"

#define RAM_BASE 0x100000ull
#define RAM_SIZE 0x40000u
#define QNUM 16
#define DISK_SECTORS 64
/* Read-only to the driver: among the default descriptor addresses (op 8). */
#define RO_OFF 0x18000u
#define RO_SIZE 0x8000u

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static struct vio_net net;
static struct vio_blk blk;
static struct vio_console cons;
static struct vio_rng rng;
static struct vio_dev *devs[4];
static uint16_t avail_idx[4][2];
static size_t frame_len;
static volatile uint8_t sink;

struct in {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct in *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

static void *gpa_ptr(void *ctx, uint64_t gpa, uint64_t len, bool write)
{
	uint64_t off = gpa - RAM_BASE;

	(void)ctx;
	if (gpa < RAM_BASE || off > RAM_SIZE || len > RAM_SIZE - off)
		return NULL;
	if (write && off < RO_OFF + RO_SIZE && off + len > RO_OFF)
		return NULL;
	return ram + off;
}

static void set_irq(void *ctx, unsigned irq, int level)
{
	(void)ctx;
	(void)irq;
	(void)level;
}

static void log_cb(void *ctx, const char *dev, const char *what, uint64_t value)
{
	(void)ctx;
	sink ^= (uint8_t)(strlen(dev) + strlen(what) + value);
}

static const struct vio_host host = { .gpa_ptr = gpa_ptr, .set_irq = set_irq, .log = log_cb };

/* Every iov must lie in RAM; read or write all of it. */
static void touch(void *base, size_t len, int write)
{
	uint8_t *b = base;

	if (b < ram || b > ram + RAM_SIZE || len > (size_t)(ram + RAM_SIZE - b) || len == 0)
		abort();
	for (size_t i = 0; i < len; i++) {
		if (write)
			b[i] = (uint8_t)i;
		else
			sink ^= b[i];
	}
}

static void touch_iov(const struct vio_iov *iov, unsigned n, int write)
{
	if (n > VIO_CHAIN_MAX)
		abort();
	for (unsigned i = 0; i < n; i++)
		touch(iov[i].base, iov[i].len, write);
}

static unsigned net_tx_held; /* frames since the last tx_flush */

static int net_tx(void *ctx, const struct vio_iov *iov, unsigned n)
{
	(void)ctx;
	touch_iov(iov, n, 0);
	if (++net_tx_held > VIO_NET_TX_BATCH)
		abort(); /* the device held more chains than its batch bound */
	return 0;
}

/* The layers' way: frames in flight until the flush (src/layer/vnet.c). */
static void net_tx_flush(void *ctx)
{
	(void)ctx;
	net_tx_held = 0;
}

static int net_rx(void *ctx, const struct vio_iov *iov, unsigned n)
{
	size_t total = 0;

	(void)ctx;
	if (!frame_len)
		return 0;
	touch_iov(iov, n, 1);
	for (unsigned i = 0; i < n; i++)
		total += iov[i].len;
	total = total < frame_len ? total : frame_len;
	frame_len = 0;
	return (int)total;
}

static void net_rx_wanted(void *ctx)
{
	(void)ctx;
}

static int blk_io(const struct vio_iov *iov, unsigned n, uint64_t off, int write)
{
	uint64_t len = 0;

	for (unsigned i = 0; i < n; i++)
		len += iov[i].len;
	if (off > DISK_SECTORS * 512ull || len > DISK_SECTORS * 512ull - off)
		abort();
	touch_iov(iov, n, write);
	return 0;
}

/* The layers' way: requests in flight until the finish (src/layer/vdisk.c);
 * every third one fails there. */
static unsigned blk_held, blk_seq;

static int blk_queue(void)
{
	if (++blk_held > VIO_BLK_BATCH)
		abort(); /* the device held more requests than its batch bound */
	return 0;
}

static int blk_read(void *ctx, uint64_t off, const struct vio_iov *iov, unsigned n)
{
	(void)ctx;
	blk_io(iov, n, off, 1);
	return blk_queue();
}

static int blk_write(void *ctx, uint64_t off, const struct vio_iov *iov, unsigned n)
{
	(void)ctx;
	blk_io(iov, n, off, 0);
	return blk_queue();
}

static int blk_flush(void *ctx)
{
	(void)ctx;
	if (blk_held)
		abort(); /* a flush handed on before the requests ahead of it finished */
	return blk_queue();
}

static void blk_finish(void *ctx, int *res, unsigned n)
{
	(void)ctx;
	if (n != blk_held)
		abort(); /* asked to finish what it never handed us */
	for (unsigned i = 0; i < n; i++)
		res[i] = ++blk_seq % 3 ? 0 : -5;
	blk_held = 0;
}

static void cons_write(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	touch((void *)data, len, 0);
}

static int rng_fill(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	touch(buf, len, 1);
	return (int)(len > 7 ? len - 7 : len); /* sometimes short */
}

static const struct vio_net_backend net_be = {
	.features = ~0ull, .tx = net_tx, .tx_flush = net_tx_flush, .rx = net_rx,
	.rx_wanted = net_rx_wanted
};
static const struct vio_blk_backend blk_be = {
	.capacity = DISK_SECTORS, .read_only = false, .serial = "fuzz",
	.read = blk_read, .write = blk_write, .flush = blk_flush, .finish = blk_finish
};
static const struct vio_console_backend cons_be = { .write = cons_write };
static const struct vio_rng_backend rng_be = { .fill = rng_fill };

static void w32(struct vio_dev *d, uint64_t off, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	vio_mmio_write(d, off, b, 4);
}

/* Queue q of device i: desc at +0, avail at +0x400, used at +0x800. */
static uint64_t ring_base(unsigned i, unsigned q)
{
	return RAM_BASE + (i * 2 + q) * 0x1000ull;
}

static void driver_init(unsigned i, uint64_t feat)
{
	struct vio_dev *d = devs[i];

	w32(d, 0x070, 0);
	w32(d, 0x070, 3);
	w32(d, 0x024, 0);
	w32(d, 0x020, (uint32_t)feat);
	w32(d, 0x024, 1);
	w32(d, 0x020, (uint32_t)(feat >> 32) | 1); /* VERSION_1 */
	w32(d, 0x070, 3 | 8);
	for (unsigned q = 0; q < 2; q++) {
		uint64_t b = ring_base(i, q);

		memset(ram + (b - RAM_BASE), 0, 0x1000);
		avail_idx[i][q] = 0;
		w32(d, 0x030, q);
		w32(d, 0x038, QNUM);
		w32(d, 0x080, (uint32_t)b);
		w32(d, 0x090, (uint32_t)(b + 0x400));
		w32(d, 0x0a0, (uint32_t)(b + 0x800));
		w32(d, 0x044, 1);
	}
	w32(d, 0x070, 3 | 8 | 4);
}

/* The driver's stores: only where it may write. */
static void put(uint64_t gpa, const void *src, size_t n)
{
	uint8_t *p = gpa_ptr(NULL, gpa, n, true);
	if (p)
		memcpy(p, src, n);
}

static void op_desc(struct in *in)
{
	unsigned i = take(in, 1) % 4, q = take(in, 1) % 2, idx = take(in, 1) % QNUM;
	uint64_t addr = take(in, 1) & 1 ? take(in, 8) : RAM_BASE + 0x10000 + take(in, 2);
	uint8_t d[16];
	uint32_t len = (uint32_t)take(in, 4);
	uint16_t flags = (uint16_t)take(in, 2), next = (uint16_t)take(in, 2);

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
	put(ring_base(i, q) + 16ull * idx, d, 16);
}

static void op_avail(struct in *in)
{
	unsigned i = take(in, 1) % 4, q = take(in, 1) % 2;
	uint16_t head = (uint16_t)take(in, 2), idx;
	uint64_t b = ring_base(i, q) + 0x400;

	put(b + 4 + 2ull * (avail_idx[i][q] % QNUM), &head, 2);
	idx = ++avail_idx[i][q];
	put(b + 2, &idx, 2);
}

static void step(struct in *in)
{
	uint8_t op = (uint8_t)take(in, 1) % 9, buf[256] = { 0 };
	unsigned i, len, n;
	uint64_t off;

	switch (op) {
	case 0:
		i = take(in, 1) % 4;
		off = take(in, 2);
		len = take(in, 1) % 9;
		for (unsigned k = 0; k < len; k++)
			buf[k] = (uint8_t)take(in, 1);
		vio_mmio_write(devs[i], off % VIO_MMIO_SIZE, buf, len);
		break;
	case 1:
		i = take(in, 1) % 4;
		off = take(in, 2);
		vio_mmio_read(devs[i], off % VIO_MMIO_SIZE, buf, take(in, 1) % 9);
		break;
	case 2:
		off = take(in, 2) * 4;
		n = take(in, 1);
		for (unsigned k = 0; k < n; k++)
			buf[k] = (uint8_t)take(in, 1);
		put(RAM_BASE + off, buf, n);
		break;
	case 3:
		i = take(in, 1) % 4;
		w32(devs[i], 0x050, (uint32_t)take(in, 1) % 3);
		break;
	case 4:
		frame_len = take(in, 2) + 12;
		vio_net_rx(&net);
		frame_len = 0;
		break;
	case 5:
		n = take(in, 1);
		vio_console_input(&cons, buf, n);
		break;
	case 6:
		i = take(in, 1) % 4;
		driver_init(i, take(in, 8));
		break;
	case 7:
		op_avail(in);
		break;
	case 8:
		op_desc(in);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	static bool sealed;

	if (!sealed) { /* once: the pages stay PROT_READ from then on */
		memset(ram + RO_OFF, 0xa5, RO_SIZE);
		if (mprotect(ram + RO_OFF, RO_SIZE, PROT_READ))
			abort();
		sealed = true;
	}
	memset(ram, 0, RO_OFF);
	memset(ram + RO_OFF + RO_SIZE, 0, RAM_SIZE - RO_OFF - RO_SIZE);
	memset(avail_idx, 0, sizeof(avail_idx));
	vio_net_init(&net, &host, 1, mac, &net_be);
	vio_blk_init(&blk, &host, 2, &blk_be);
	vio_console_init(&cons, &host, 3, &cons_be);
	vio_rng_init(&rng, &host, 4, &rng_be);
	devs[0] = &net.dev;
	devs[1] = &blk.dev;
	devs[2] = &cons.dev;
	devs[3] = &rng.dev;
	for (unsigned steps = 0; in.n && steps < 4096; steps++)
		step(&in);
	return 0;
}
