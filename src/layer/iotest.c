/* SPDX-License-Identifier: MIT */
/*
 * The "io" test guest: a top that drives the virtio-blk and virtio-net
 * devices its parent gives it with the freestanding driver
 * (src/virtio/driver.h), so that data crosses every layer below it, both
 * ways, and the host can check it byte for byte:
 *
 *  1. reads sectors [0, n) of the disk and writes them to [n, 2n), in
 *     requests of IO_SECTORS_PER_REQ sectors, IO_BLK_BATCH per notify (each
 *     layer below hands its parent the batch, not one request), each
 *     request's status checked; then one batch that mixes them: it writes
 *     sectors [0, IO_MIX) (from its buffer) to [2n + 2 recv, + IO_MIX) in
 *     two requests around a read of the copy's first sectors, a flush, and
 *     a read of what the writes wrote (after the flush: it must see
 *     them), both reads compared with the buffer;
 *  2. sends `send` frames (EtherType IO_ETHERTYPE, to broadcast), frame i
 *     carrying a 4-byte big-endian i and the 1024 bytes of the disk at
 *     offset i * 1024, in batches of IO_TX_BATCH frames, one notify each
 *     (each layer below hands its parent the batch, not one frame);
 *  3. receives `recv` frames of that EtherType (others are skipped), frame
 *     i carrying i and 1024 bytes, and writes the bytes to the disk at
 *     offset 2n * 512 + i * 1024.
 *
 * args[0] = n (sectors, 2..IO_MAX_SECTORS), args[1] = send (<= n / 2),
 * args[2] = recv (<= IO_MAX_RECV), args[3] = 1 for UDP mode (a firewall
 * below): frame i goes in IPv4/UDP from 10.0.2.15:4000 to 10.0.2.2 port
 * IO_UDP_OUT + i % 4, after one frame (number `send`) with a source MAC not
 * its own and one VLAN-tagged (VID 0) ARP reply from its own MAC claiming
 * 10.0.2.2 for another MAC (both must be refused), all in batches of
 * IO_TX_BATCH frames per notify (args[4] = 1: one frame per notify, for
 * the restart tests); it receives UDP frames to IO_UDP_IN + 0..3, fails if one to a
 * port the test's policy denies (+2, +3) arrives, and keeps the others in
 * the order they came. args[3] = 2 for wrap mode (a wrapper below): after
 * the copy, one batch: it reads args[4] (a read-only range of the test's
 * policy), writes a sector of 0xa5 there and at args[5] (a denied one),
 * reads args[5], and reads IO_WRAP_BIG sectors at once (more than the
 * policy's max_request): each but the first must fail with
 * VIRTIO_BLK_S_IOERR, and the first must work.
 * args[3] = 3: as without, but one frame per notify (the restart tests:
 * a layer below counts its child's exits to break while frames cross).
 * args[3] = 4 for replay mode (tests/layers/replay.sh): the disk's sectors
 * [0, n) hold a replay script (src/layer/replay.h); it sends the guest's
 * runs of frames and waits for the host's turn frame after each of the
 * host's runs, counting the host's frames that came (byte for byte, in
 * order) and those that did not; no copy, no other frames. It logs
 * "io: replay: R records, S sent, G of H received, O other". It always
 * logs whether it was given an rng. Its buffers lie in its free memory.
 * Ends with `out` of its exit code to 0x6f0: 0, or LAYER_CODE_BAD after a
 * log line saying what failed.
 */
#include "layer/hc.h"
#include "layer/layer.h"
#include "layer/lib.h"
#include "layer/replay.h"
#include "layer/vdev.h"
#include "lib/rt.h"
#include "virtio/driver.h"

#define IO_ETHERTYPE 0x88b5 /* IEEE local experimental */
#define IO_CHUNK 1024
/* Frames sent per notify (tests/layers/io.sh's bound on exits per frame
 * sent depends on it): fewer than a layer's transmit batch
 * (VIO_NET_TX_BATCH) and than the driver's queue holds. */
#define IO_TX_BATCH 16
_Static_assert(IO_TX_BATCH <= VIO_NET_TX_BATCH && IO_TX_BATCH <= VDRV_QUEUE_SIZE,
	       "one batch crosses each layer whole");
#define IO_MAX_SECTORS 1024
#define IO_MAX_RECV 256
_Static_assert(RPL_SCRIPT_MAX <= IO_MAX_SECTORS * 512, "a replay script fits the disk buffer");
/* Block requests per notify (tests/layers/io.sh's bound on exits per
 * request depends on it): fewer than a layer's batch (VIO_BLK_BATCH) and
 * than the driver's queue holds of one-segment requests. */
#define IO_BLK_BATCH 16
_Static_assert(IO_BLK_BATCH <= VIO_BLK_BATCH && 3 * IO_BLK_BATCH <= VDRV_QUEUE_SIZE,
	       "one batch of requests crosses each layer whole");
/* Sectors a request: 8 KiB, so that the copy of tests/layers/io.sh's 256
 * sectors is one batch each way (tests/layers/wrap.sh counts them). */
#define IO_SECTORS_PER_REQ 16
/* The mixed batch's sectors (two writes of half), and the copy's sectors
 * it reads back, at most. */
#define IO_MIX 16
#define IO_MIX_READ 8
#define IO_WAIT_NS 10000000ULL /* 10 ms */
#define IO_MAX_WAITS 6000       /* about a minute without a frame */
#define ETH_HDR 14
#define NET_HDR 12
#define IP_UDP 28 /* IPv4 and UDP headers */
#define IO_UDP_OUT 5000
#define IO_UDP_IN 6000
/* UDP mode: the host side's MAC (build/tapio's source), the frames' destination. */
#define IO_HOST_MAC "\x02\x00\x00\x00\x00\x01"

struct io_mem {
	struct vdrv_blk blk;
	struct vdrv_net net;
	uint8_t frame[IO_TX_BATCH][NET_HDR + ETH_HDR + 4 + IO_CHUNK] __attribute__((aligned(64)));
	uint8_t uframe[IO_TX_BATCH][NET_HDR + ETH_HDR + IP_UDP + 4 + IO_CHUNK]
	    __attribute__((aligned(64)));
	unsigned posted; /* frames posted since the last flush */
	unsigned batch;	 /* frames per notify in UDP mode */
	uint8_t disk[IO_MAX_SECTORS * 512] __attribute__((aligned(4096)));
	uint8_t mix[(IO_MIX + IO_MIX_READ) * 512] __attribute__((aligned(4096)));
	uint8_t got[IO_MAX_RECV * IO_CHUNK] __attribute__((aligned(4096)));
	uint8_t seen[IO_MAX_RECV];
	uint8_t rframe[IO_TX_BATCH][NET_HDR + RPL_FRAME_MAX] __attribute__((aligned(64)));
	uint32_t roff[RPL_MAX_RECORDS]; /* replay mode: each record's offset in the disk */
};

static __attribute__((noreturn)) void io_end(const char *what, uint64_t v)
{
	struct line l = {.len = 0};
	uint32_t code = what ? LAYER_CODE_BAD : 0;

	line_str(&l, "io: ");
	line_str(&l, what ? what : "done");
	line_str(&l, " ");
	line_dec(&l, v);
	line_send(&l);
	for (;;)
		port_out(RP_PORT_POWEROFF, 4, code);
}

/* Run the open batch of block requests (sector[k]: where request k
 * starts): each must be OK. */
static void disk_run(struct io_mem *m, const uint64_t *sector, const bool *write)
{
	unsigned n = m->blk.nreq;

	vdrv_blk_run(&m->blk);
	for (unsigned k = 0; k < n; k++)
		if (m->blk.st[k] != VDRV_BLK_S_OK)
			io_end(write[k] ? "disk write failed at sector" : "disk read failed at sector",
			       sector[k]);
}

/* Post one request of the open batch (k: its place in it). */
static void disk_post(struct io_mem *m, bool write, uint64_t sector, uint8_t *buf, uint64_t n,
		      unsigned k)
{
	struct vio_iov iov = {.base = buf, .len = (uint32_t)(n * 512)};
	unsigned idx;

	if (vdrv_blk_post(&m->blk, write, sector * 512, &iov, 1, &idx) != 0 || idx != k)
		io_end(write ? "disk write not posted at sector" : "disk read not posted at sector",
		       sector);
}

/* Sectors [sector, + n) from or to buf, IO_BLK_BATCH requests a notify. */
static void disk_rw(struct io_mem *m, bool write, uint64_t sector, uint8_t *buf, uint64_t n)
{
	uint64_t at[IO_BLK_BATCH];
	bool wr[IO_BLK_BATCH];
	unsigned k = 0;

	while (n) {
		uint64_t c = n < IO_SECTORS_PER_REQ ? n : IO_SECTORS_PER_REQ;

		disk_post(m, write, sector, buf, c, k);
		at[k] = sector;
		wr[k++] = write;
		sector += c;
		buf += c * 512;
		n -= c;
		if (k == IO_BLK_BATCH || !n) {
			disk_run(m, at, wr);
			k = 0;
		}
	}
}

/*
 * One batch of writes, reads and a flush: the buffer's [0, IO_MIX) to
 * sectors [mix, + IO_MIX) in two writes, a read of the copy's first
 * sectors between them, the flush, and a read of [mix, + IO_MIX), which
 * must see both writes. Both reads are compared with the buffer.
 */
static void disk_mixed(struct io_mem *m, uint64_t n, uint64_t mix)
{
	uint64_t copy = n < IO_MIX_READ ? n : IO_MIX_READ, half = IO_MIX / 2;
	uint64_t at[5] = {mix, n, mix + half, 0, mix};
	bool wr[5] = {true, false, true, false, false};
	unsigned idx;

	rt_memset(m->mix, 0xee, sizeof(m->mix));
	disk_post(m, true, mix, m->disk, half, 0);
	disk_post(m, false, n, m->mix + IO_MIX * 512, copy, 1);
	disk_post(m, true, mix + half, m->disk + half * 512, half, 2);
	if (vdrv_blk_post_flush(&m->blk, &idx) != 0 || idx != 3)
		io_end("flush not posted in the mixed batch", 0);
	disk_post(m, false, mix, m->mix, IO_MIX, 4);
	disk_run(m, at, wr);
	if (rt_memcmp(m->mix, m->disk, IO_MIX * 512))
		io_end("mixed batch: the read after the flush differs from the writes at sector", mix);
	if (rt_memcmp(m->mix + IO_MIX * 512, m->disk, copy * 512))
		io_end("mixed batch: the copy read back differs at sector", n);
	hc_log("io: mixed batch (2 writes, 2 reads, a flush in one notify) read back exact");
}

#define IO_BLK_S_IOERR 1 /* VIRTIO_BLK_S_IOERR */
/* Wrap mode's oversize request: larger than the test's policy's
 * max_request (32 KiB). */
#define IO_WRAP_BIG 128

/* Wrap mode: one batch, a read that must work and four requests that the
 * policy must refuse with IOERR (each posted whole, in one notify). */
static void wrap_probe(struct io_mem *m, const struct rp_boot_info *info)
{
	uint64_t ro = info->args[4], deny = info->args[5];
	static const char *const what[5] = {
	    "a read of a read-only sector failed: sector",
	    "a write to a read-only sector succeeded: sector",
	    "a write to a denied sector succeeded: sector",
	    "a read of a denied sector succeeded: sector",
	    "an oversize read succeeded at sector",
	};
	uint64_t at[5] = {ro, ro, deny, deny, 0};
	struct line l = {.len = 0};

	disk_post(m, false, ro, m->disk, 1, 0);
	rt_memset(m->mix, 0xa5, 512);
	disk_post(m, true, ro, m->mix, 1, 1);
	disk_post(m, true, deny, m->mix, 1, 2);
	disk_post(m, false, deny, m->mix, 1, 3);
	disk_post(m, false, 0, m->disk, IO_WRAP_BIG, 4);
	vdrv_blk_run(&m->blk);
	if (m->blk.st[0] != VDRV_BLK_S_OK)
		io_end(what[0], at[0]);
	for (unsigned k = 1; k < 5; k++) {
		if (m->blk.st[k] == VDRV_BLK_S_OK)
			io_end(what[k], at[k]);
		if (m->blk.st[k] != IO_BLK_S_IOERR)
			io_end("a refused request's status was not IOERR but", m->blk.st[k]);
	}
	line_str(&l, "io: wrap: 4 requests refused with IOERR as the policy says");
	line_send(&l);
}

/* Post the frame at iov; every m->batch frames (or at last) one notify. */
static void post_frame(struct io_mem *m, struct vio_iov *iov, bool last, uint64_t i)
{
	if (vdrv_net_tx_post(&m->net, iov, 1) != 0)
		io_end("send failed at frame", i);
	if (++m->posted == m->batch || last) {
		m->posted = 0;
		if (vdrv_net_tx_flush(&m->net) < 0)
			io_end("send failed in the batch ending at frame", i);
	}
}

static void send_frames(struct io_mem *m, uint64_t count, unsigned batch)
{
	for (uint64_t i = 0; i < count; i++) {
		uint8_t *f = m->frame[i % IO_TX_BATCH];
		struct vio_iov iov = {.base = f, .len = sizeof(m->frame[0])};
		uint8_t *eth = f + NET_HDR;

		rt_memset(f, 0, NET_HDR);
		rt_memset(eth, 0xff, 6);
		rt_memcpy(eth + 6, m->net.mac, 6);
		eth[12] = IO_ETHERTYPE >> 8;
		eth[13] = IO_ETHERTYPE & 0xff;
		eth[14] = (uint8_t)(i >> 24);
		eth[15] = (uint8_t)(i >> 16);
		eth[16] = (uint8_t)(i >> 8);
		eth[17] = (uint8_t)i;
		rt_memcpy(eth + 18, m->disk + i * IO_CHUNK, IO_CHUNK);
		if (vdrv_net_tx_post(&m->net, &iov, 1) != 0)
			io_end("send failed at frame", i);
		if ((i + 1) % batch == 0 || i + 1 == count) {
			if (vdrv_net_tx_flush(&m->net) < 0)
				io_end("send failed in the batch ending at frame", i);
		}
	}
}

/* UDP mode: frame number i (its bytes at the disk's i * IO_CHUNK) to port
 * dport, posted in the open batch (last: the batch is sent). */
static void send_udp(struct io_mem *m, uint64_t i, uint16_t dport, bool spoof, bool last)
{
	uint8_t *f = m->uframe[m->posted], *eth = f + NET_HDR, *ip = eth + ETH_HDR, *udp = ip + 20;
	struct vio_iov iov = {.base = f, .len = sizeof(m->uframe[0])};
	uint32_t sum = 0, len = 20 + 8 + 4 + IO_CHUNK;

	rt_memset(f, 0, NET_HDR + ETH_HDR + IP_UDP);
	rt_memcpy(eth, IO_HOST_MAC, 6); /* unicast: a firewall answers no broadcast */
	rt_memcpy(eth + 6, m->net.mac, 6);
	if (spoof)
		eth[11] ^= 0x02;
	eth[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(len >> 8);
	ip[3] = (uint8_t)len;
	ip[8] = 64;
	ip[9] = 17;
	rt_memcpy(ip + 12, "\x0a\x00\x02\x0f\x0a\x00\x02\x02", 8);
	for (unsigned k = 0; k < 20; k += 2)
		sum += (uint32_t)ip[k] << 8 | ip[k + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8);
	ip[11] = (uint8_t)~sum;
	udp[0] = 4000 >> 8;
	udp[1] = 4000 & 0xff;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)((len - 20) >> 8);
	udp[5] = (uint8_t)(len - 20);
	udp[8] = (uint8_t)(i >> 24);
	udp[9] = (uint8_t)(i >> 16);
	udp[10] = (uint8_t)(i >> 8);
	udp[11] = (uint8_t)i;
	rt_memcpy(udp + 12, m->disk + (spoof ? 0 : i * IO_CHUNK), IO_CHUNK);
	post_frame(m, &iov, last, i);
}

/* UDP mode: an ARP reply behind an 802.1Q priority tag (VID 0, which Linux
 * hosts treat as untagged) from our own Ethernet source, whose sender says
 * 10.0.2.2 is at a MAC not ours: ARP cache poisoning past a check that only
 * looks at untagged ARP. */
static void send_tagged_arp(struct io_mem *m, bool last)
{
	static const uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 2, 0x52, 0x55, 10, 0, 2, 2,
					10, 0, 2, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					10, 0, 2, 0xff};
	uint8_t *f = m->uframe[m->posted], *eth = f + NET_HDR;
	struct vio_iov iov = {.base = f, .len = NET_HDR + ETH_HDR + 4 + sizeof(arp)};

	rt_memset(f, 0, NET_HDR);
	rt_memset(eth, 0xff, 6);
	rt_memcpy(eth + 6, m->net.mac, 6);
	eth[12] = 0x81;
	eth[13] = 0x00;
	eth[14] = eth[15] = 0; /* PCP 0, DEI 0, VID 0 */
	eth[16] = 0x08;
	eth[17] = 0x06;
	rt_memcpy(eth + 18, arp, sizeof(arp));
	post_frame(m, &iov, last, 0);
}

/* UDP mode: a frame to one of our ports (0: not one), the port's offset in *k. */
static const uint8_t *udp_payload(const uint8_t *eth, int len, unsigned *k)
{
	const uint8_t *udp = eth + ETH_HDR + 20;
	unsigned dport;

	if (len != (int)(NET_HDR + ETH_HDR + IP_UDP + 4 + IO_CHUNK) || eth[12] != 0x08 ||
	    eth[13] != 0 || eth[ETH_HDR] != 0x45 || eth[ETH_HDR + 9] != 17)
		return 0;
	dport = (unsigned)udp[2] << 8 | udp[3];
	if (dport < IO_UDP_IN || dport > IO_UDP_IN + 3)
		return 0;
	*k = dport - IO_UDP_IN;
	return udp + 8;
}

/* The next frame the device gave (its length, with the virtio header),
 * kicking it and waiting IO_WAIT_NS at a time while none is there; *waits
 * counts the waits (the caller's: since its start or since its last
 * frame), and past IO_MAX_WAITS, or when the receive fails, the guest ends
 * with none or failed and v. */
static int rx_next(struct io_mem *m, const uint8_t **f, uint64_t *waits, const char *failed,
		   const char *none, uint64_t v)
{
	for (;;) {
		int len = vdrv_net_rx_peek(&m->net, f);

		if (len < 0)
			io_end(failed, v);
		if (len > 0)
			return len;
		vdrv_net_rx_kick(&m->net);
		if (++*waits > IO_MAX_WAITS)
			io_end(none, v);
		hc5(RP_HC_WAIT, IO_WAIT_NS, 0, 0, 0, 0);
	}
}

/* Replay mode: post the frame f[0, len) (the turn frame when f is 0: turn
 * number turn), flushing every IO_TX_BATCH frames and at last. */
static void replay_post(struct io_mem *m, const uint8_t *f, uint32_t len, unsigned turn, bool last)
{
	uint8_t *b = m->rframe[m->posted];
	struct vio_iov iov = {.base = b, .len = NET_HDR + (f ? len : RPL_TURN_LEN)};

	rt_memset(b, 0, NET_HDR);
	if (f)
		rt_memcpy(b + NET_HDR, f, len);
	else
		rpl_turn(b + NET_HDR, RPL_GUEST, turn);
	post_frame(m, &iov, last, turn);
}

/* Replay mode: the host's run of records [k, e), ended by its turn frame
 * number turn. Each frame that comes equal to the next record of the run
 * not yet seen, or a later one (those between were dropped below us),
 * counts in *got; any other in *other. */
static void replay_wait(struct io_mem *m, uint32_t k, uint32_t e, unsigned turn, uint64_t *got,
			uint64_t *other)
{
	for (;;) {
		uint64_t waits = 0; /* IO_MAX_WAITS from each frame to the next */
		const uint8_t *f;
		int len = rx_next(m, &f, &waits, "replay: receive failed in turn",
				  "replay: no turn frame from the host came for turn", turn);
		uint32_t n;

		n = (uint32_t)len - NET_HDR;
		f += NET_HDR;
		if (rpl_turn_of(f, n, RPL_HOST) == (long)turn) {
			vdrv_net_rx_done(&m->net);
			break;
		}
		uint32_t j = rpl_match(m->disk, m->roff, k, e, f, n);

		if (j < e) {
			(*got)++;
			k = j + 1;
		} else {
			(*other)++;
		}
		vdrv_net_rx_done(&m->net);
	}
	vdrv_net_rx_kick(&m->net);
}

static void replay(struct io_mem *m, uint64_t sectors)
{
	long nrec = rpl_index(m->disk, sectors * 512, m->roff);
	uint64_t sent = 0, got = 0, want = 0, other = 0;
	unsigned turn = 1;
	struct line l = {.len = 0};

	if (nrec < 0)
		io_end("replay: the disk holds no replay script; sectors", sectors);
	m->batch = IO_TX_BATCH;
	replay_post(m, NULL, 0, 0, true); /* turn 0: we are up */
	for (uint32_t k = 0, e; k < (uint32_t)nrec; k = e, turn++) {
		uint8_t side = m->disk[m->roff[k]];

		if (turn > RPL_MAX_TURN)
			io_end("replay: more turns than", RPL_MAX_TURN);
		e = rpl_run_end(m->disk, m->roff, (uint32_t)nrec, k);
		if (side == RPL_HOST) {
			want += e - k;
			replay_wait(m, k, e, turn, &got, &other);
			continue;
		}
		for (uint32_t j = k; j < e; j++, sent++)
			replay_post(m, m->disk + m->roff[j] + RPL_REC_HDR,
				    rpl_get16(m->disk + m->roff[j] + 2), turn, false);
		replay_post(m, NULL, 0, turn, true);
	}
	line_str(&l, "io: replay: ");
	line_dec(&l, (uint64_t)nrec);
	line_str(&l, " records, ");
	line_dec(&l, sent);
	line_str(&l, " sent, ");
	line_dec(&l, got);
	line_str(&l, " of ");
	line_dec(&l, want);
	line_str(&l, " received, ");
	line_dec(&l, other);
	line_str(&l, " other");
	line_send(&l);
}

static void recv_frames(struct io_mem *m, uint64_t count, bool udp_mode)
{
	uint64_t got = 0, waits = 0, skipped = 0;

	while (got < count) {
		const uint8_t *f;
		int len = rx_next(m, &f, &waits, "receive failed after frames",
				  "no frame came; frames received", got);
		const uint8_t *eth = f + NET_HDR;
		uint32_t i;

		i = (uint32_t)eth[14] << 24 | (uint32_t)eth[15] << 16 | (uint32_t)eth[16] << 8 |
		    eth[17];
		if (udp_mode) {
			unsigned k;
			const uint8_t *pl = udp_payload(eth, len, &k);

			if (!pl) {
				skipped++;
			} else if (k >= 2) {
				io_end("a frame to a port the policy denies crossed: port", IO_UDP_IN + k);
			} else {
				rt_memcpy(m->got + got * IO_CHUNK, pl + 4, IO_CHUNK);
				got++;
			}
		} else if (len != (int)sizeof(m->frame[0]) || eth[12] != (IO_ETHERTYPE >> 8) ||
		    eth[13] != (IO_ETHERTYPE & 0xff)) {
			skipped++; /* the host's own traffic */
		} else if (i >= count || m->seen[i]) {
			io_end("unexpected frame number", i);
		} else {
			m->seen[i] = 1;
			rt_memcpy(m->got + (uint64_t)i * IO_CHUNK, eth + 18, IO_CHUNK);
			got++;
		}
		vdrv_net_rx_done(&m->net);
	}
	vdrv_net_rx_kick(&m->net);
	if (skipped) {
		struct line l = {.len = 0};

		line_str(&l, "io: frames of other kinds skipped: ");
		line_dec(&l, skipped);
		line_send(&l);
	}
}

void io_main(const struct rp_boot_info *info)
{
	uint64_t n = info->args[0], send = info->args[1], recv = info->args[2];
	bool udp_mode = info->args[3] == 1, wrap_mode = info->args[3] == 2;
	bool replay_mode = info->args[3] == 4;
	uint64_t at = (info->free_start + 4095) & ~4095ULL;
	static struct vdev_parent blk_parent, net_parent;
	const struct rp_dev *blk = vdev_find(info, 2), *net = vdev_find(info, 1);
	struct io_mem *m = (struct io_mem *)(uintptr_t)at;
	const char *why = "?";

	if (n < 2 || n > IO_MAX_SECTORS || send > n / 2 || recv > IO_MAX_RECV)
		io_end("bad args (sectors, send, recv); sectors", n);
	if (!rt_range_ok(at, sizeof(*m), info->mem_size))
		io_end("not enough memory for buffers, bytes", sizeof(*m));
	hc_log(vdev_find(info, 4) ? "io: rng device: present" : "io: rng device: absent");
	if (!blk || !net)
		io_end("want a disk and a network; devices", info->ndevs);
	rt_memset(m, 0, sizeof(*m));
	vdev_parent_init(&blk_parent, blk->base);
	vdev_parent_init(&net_parent, net->base);
	if (vdrv_blk_init(&m->blk, &blk_parent.host, &why) < 0) {
		hc_log(why);
		io_end("disk would not start", 0);
	}
	if (m->blk.capacity < (replay_mode ? n : 2 * n + recv * (IO_CHUNK / 512) + IO_MIX))
		io_end("disk too small, sectors", m->blk.capacity);
	if (vdrv_net_init(&m->net, &net_parent.host, &why) < 0) {
		hc_log(why);
		io_end("network would not start", 0);
	}
	if (replay_mode) {
		disk_rw(m, false, 0, m->disk, n);
		replay(m, n);
		io_end(NULL, n);
	}
	disk_rw(m, false, 0, m->disk, n);
	disk_rw(m, true, n, m->disk, n);
	disk_mixed(m, n, 2 * n + recv * (IO_CHUNK / 512));
	if (wrap_mode) {
		wrap_probe(m, info);
		disk_rw(m, false, 0, m->disk, n); /* the frames carry the disk's bytes again */
	}
	if (udp_mode) {
		/* In batches of IO_TX_BATCH (args[4] = 1: one frame per notify)
		 * with the frames the firewall passes: it drops these two inside
		 * a batch, the rest crosses. */
		m->batch = info->args[4] == 1 ? 1 : IO_TX_BATCH;
		send_udp(m, send, IO_UDP_OUT, true, false); /* not our MAC: dropped */
		send_tagged_arp(m, send == 0);		    /* tagged: dropped */
		for (uint64_t i = 0; i < send; i++)
			send_udp(m, i, (uint16_t)(IO_UDP_OUT + i % 4), false, i + 1 == send);
	} else {
		send_frames(m, send, info->args[3] == 3 ? 1 : IO_TX_BATCH);
	}
	recv_frames(m, recv, udp_mode);
	if (recv)
		disk_rw(m, true, 2 * n, m->got, recv * (IO_CHUNK / 512));
	if (vdrv_blk_flush(&m->blk) < 0)
		io_end("flush failed", 0);
	io_end(NULL, n);
}
