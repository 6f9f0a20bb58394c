/* SPDX-License-Identifier: MIT */
/*
 * The "badring" test guest (tests only): a top that points the virtio-blk
 * device its parent gives it at memory it may not write itself, then
 * notifies. Its parent's device model must not store there: what is
 * read-only to the child is sealed, read-only to the parent too, and a
 * store would make the root halt the stack blaming the (honest) parent.
 * The child must get a broken device instead, and the parent go on.
 *
 * args[0] = mode:
 *  1 "code"   the used ring in its own code (measured, sealed)
 *  2 "system" the used ring in its system area (its GDT page)
 *  3 "tables" the used ring among its page tables (writable in its own
 *             slot for the CPU's walker only, sealed against every other VM)
 *  4 "status" a request's status byte (device-writable) in its code (a
 *             GET_ID with no buffer: the status is all it writes)
 *  5 "idbuf"  a GET_ID buffer (device-writable) in its read-only data
 *
 * Modes 1-3 must leave the device needing a reset (DEVICE_NEEDS_RESET,
 * the queue not ready); modes 4-5 must complete the request refused (used
 * length 0) with the bytes named unchanged. Then the device is reset and
 * one honest GET_ID must complete with status OK and its 20 bytes. Logs "badring: MODE:
 * ..." and ends with `out` of 0 to 0x6f0, or of LAYER_CODE_BAD after a
 * line saying what failed.
 */
#include "boot/ring3.h"
#include "layer/hc.h"
#include "layer/layer.h"
#include "layer/lib.h"
#include "layer/vdev.h"
#include "lib/rt.h"

#define QNUM 16
#define ID_LEN 20 /* VIRTIO_BLK_ID_BYTES */

/* virtio-mmio registers and values (virtio 1.2, 4.2.2) */
#define R_DRV_FEATURES 0x020
#define R_DRV_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_STATUS 0x070
#define R_QUEUE_DESC 0x080
#define R_QUEUE_DRIVER 0x090
#define R_QUEUE_DEVICE 0x0a0
#define S_ACK_DRIVER 3u
#define S_FEATURES_OK 8u
#define S_DRIVER_OK 4u
#define S_NEEDS_RESET 0x40u
#define D_NEXT 1u
#define D_WRITE 2u
#define BLK_T_GET_ID 8u

enum { M_CODE = 1, M_SYSTEM, M_TABLES, M_STATUS, M_IDBUF };

static const char *const mode_name[] = {"?", "code", "system", "tables", "status", "idbuf"};
static const uint8_t ro_bytes[ID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
					  11, 12, 13, 14, 15, 16, 17, 18, 19, 20};

/* The rings and the request, in our free memory. */
struct br_mem {
	struct {
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
	} desc[QNUM] __attribute__((aligned(16)));
	struct {
		uint16_t flags, idx, ring[QNUM], used_event;
	} avail __attribute__((aligned(4096)));
	struct {
		uint16_t flags, idx;
		struct {
			uint32_t id, len;
		} ring[QNUM];
		uint16_t avail_event;
	} used __attribute__((aligned(4096)));
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr __attribute__((aligned(16)));
	uint8_t id[ID_LEN];
	uint8_t status;
};

static volatile uint32_t *win;
static int mode;

static void w32(uint64_t off, uint32_t v)
{
	win[off / 4] = v;
}

static uint32_t r32(uint64_t off)
{
	return win[off / 4];
}

static __attribute__((noreturn)) void br_end(const char *what, uint64_t v)
{
	struct line l = {.len = 0};

	line_str(&l, "badring: ");
	line_str(&l, mode_name[mode]);
	line_str(&l, ": ");
	line_str(&l, what ? what : "refused, and an honest request after the reset works");
	if (what) {
		line_str(&l, " ");
		line_hex(&l, v);
	}
	line_send(&l);
	for (;;)
		port_out(RP_PORT_POWEROFF, 4, what ? LAYER_CODE_BAD : 0);
}

static void w64(uint64_t off, uint64_t v)
{
	w32(off, (uint32_t)v);
	w32(off + 4, (uint32_t)(v >> 32));
}

/* Reset, VERSION_1 only, queue 0 with its used ring at used; DRIVER_OK. */
static void dev_setup(struct br_mem *m, uint64_t used)
{
	rt_memset(m, 0, sizeof(*m));
	w32(R_STATUS, 0);
	w32(R_STATUS, S_ACK_DRIVER);
	w32(R_DRV_FEATURES_SEL, 0);
	w32(R_DRV_FEATURES, 0);
	w32(R_DRV_FEATURES_SEL, 1);
	w32(R_DRV_FEATURES, 1); /* VIRTIO_F_VERSION_1 */
	w32(R_STATUS, S_ACK_DRIVER | S_FEATURES_OK);
	w32(R_QUEUE_SEL, 0);
	w32(R_QUEUE_NUM, QNUM);
	w64(R_QUEUE_DESC, gpa_of(m->desc));
	w64(R_QUEUE_DRIVER, gpa_of(&m->avail));
	w64(R_QUEUE_DEVICE, used);
	w32(R_QUEUE_READY, 1);
	w32(R_STATUS, S_ACK_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

static void set_desc(struct br_mem *m, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     bool last)
{
	m->desc[i].addr = addr;
	m->desc[i].len = len;
	m->desc[i].flags = flags | (last ? 0 : D_NEXT);
	m->desc[i].next = (uint16_t)(i + 1);
}

/* GET_ID into [id, id + ID_LEN) (no buffer when id is 0), status byte at st; notified. */
static void get_id(struct br_mem *m, uint64_t id, uint64_t st)
{
	unsigned i = 0;

	m->hdr.type = BLK_T_GET_ID;
	set_desc(m, i++, gpa_of(&m->hdr), sizeof(m->hdr), 0, false);
	if (id)
		set_desc(m, i++, id, ID_LEN, D_WRITE, false);
	set_desc(m, i, st, 1, D_WRITE, true);
	m->avail.ring[m->avail.idx % QNUM] = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	m->avail.idx++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	w32(R_QUEUE_NOTIFY, 0);
}

/* The parent completes a request before our notify returns. */
static uint16_t used_idx(struct br_mem *m)
{
	return *(volatile uint16_t *)&m->used.idx;
}

/* A page of our own text, its bytes as they were. */
static const uint8_t *code_page(void)
{
	return (const uint8_t *)(uintptr_t)(gpa_of((const void *)(uintptr_t)badring_main) &
					     ~0xfffULL);
}

static void attack_ring(struct br_mem *m, uint64_t used)
{
	static uint8_t before[4096];
	uint32_t st;

	if (mode == M_CODE)
		rt_memcpy(before, (const void *)(uintptr_t)used, sizeof(before));
	dev_setup(m, used);
	st = r32(R_STATUS);
	if (r32(R_QUEUE_READY) && !(st & S_NEEDS_RESET)) {
		/* Accepted: a request makes the device store into the ring. */
		get_id(m, gpa_of(m->id), gpa_of(&m->status));
		st = r32(R_STATUS);
	}
	if (!(st & S_NEEDS_RESET))
		br_end("device took the ring and does not need a reset; status", st);
	if (mode == M_CODE && rt_memcmp(before, (const void *)(uintptr_t)used, sizeof(before)))
		br_end("our code changed at", used);
}

static void attack_buffer(struct br_mem *m, uint64_t id, uint64_t st)
{
	const uint8_t *target = (const uint8_t *)(uintptr_t)(id ? id : st);
	unsigned len = id ? ID_LEN : 1;
	uint8_t before[ID_LEN];

	rt_memcpy(before, target, len);
	dev_setup(m, gpa_of(&m->used));
	m->status = 0xee;
	get_id(m, id, st);
	if (used_idx(m) != 1)
		br_end("request not completed; used idx", used_idx(m));
	if (m->used.ring[0].len != 0 || r32(R_STATUS) & S_NEEDS_RESET)
		br_end("request not refused; used len", m->used.ring[0].len);
	if (rt_memcmp(before, target, len))
		br_end("read-only bytes changed at", gpa_of(target));
	if (id && m->status != 0xee)
		br_end("status byte written though the chain was refused", m->status);
}

void badring_main(const struct rp_boot_info *info)
{
	uint64_t at = (info->free_start + 4095) & ~4095ULL;
	const struct rp_dev *blk = vdev_find(info, 2);
	struct br_mem *m = (struct br_mem *)(uintptr_t)at;
	const uint8_t *code = code_page();

	mode = info->args[0] >= M_CODE && info->args[0] <= M_IDBUF ? (int)info->args[0] : 0;
	if (!mode)
		br_end("bad mode (args[0])", info->args[0]);
	if (!blk)
		br_end("want a disk; devices", info->ndevs);
	if (!rt_range_ok(at, sizeof(*m), info->mem_size))
		br_end("not enough memory, bytes", sizeof(*m));
	win = (volatile uint32_t *)(uintptr_t)blk->base;
	if (mode == M_CODE)
		attack_ring(m, gpa_of(code));
	else if (mode == M_SYSTEM)
		attack_ring(m, RING3_GDT_GPA);
	else if (mode == M_TABLES)
		attack_ring(m, RP_IMAGE_BASE - 0x1000);
	else if (mode == M_STATUS)
		attack_buffer(m, 0, gpa_of(code) + 0x100);
	else
		attack_buffer(m, gpa_of(ro_bytes), gpa_of(&m->status));
	/* The device is the parent's still: after a reset it serves us again. */
	dev_setup(m, gpa_of(&m->used));
	get_id(m, gpa_of(m->id), gpa_of(&m->status));
	if (used_idx(m) != 1 || m->status != 0 || m->used.ring[0].len != ID_LEN + 1)
		br_end("honest request after the reset failed; status", m->status);
	br_end(NULL, 0);
}
