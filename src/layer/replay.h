/* SPDX-License-Identifier: MIT */
/*
 * A pcap replayed in-line through a stack (tests/layers/replay.sh): the
 * "io" test guest (src/layer/iotest.c, replay mode) sends one side's
 * frames, build/idstool replay-host the other's on the tap, in the pcap's
 * order. Shared by both (and by idstool replay-split, which writes it).
 *
 * The script: RPL_HDR bytes (the magic RPL_MAGIC, then the record count,
 * 32 bits little-endian), then each record: its side (RPL_GUEST or
 * RPL_HOST), a zero byte, its frame's length (16 bits little-endian,
 * RPL_FRAME_MIN..RPL_FRAME_MAX) and the frame (Ethernet, no virtio header).
 *
 * A run is a longest sequence of records of one side. Its sender sends the
 * run's frames, then a turn frame (rpl_turn) numbered by the run (the
 * first run is turn 1); the other side waits for that turn frame before
 * it sends its next run. The turn frame follows the run's frames on the
 * same path, so when it arrives every frame of the run has crossed (or
 * been dropped by) every layer: the layers see the frames in the script's
 * order, whichever side sends them. Before the first run the guest sends
 * turn 0 (it is up). A turn frame is an ARP request (the ids layer lets
 * ARP cross unscanned; no rule names it) from a fixed MAC of its side
 * (02:52:50:00:00:01 the guest's, :02 the host's) for 198.18.T/16's
 * address T (the benchmarking range: no host answers it).
 *
 * Test scaffolding: only the io test guest and build/idstool include it.
 */
#ifndef RAMPART_LAYER_REPLAY_H
#define RAMPART_LAYER_REPLAY_H

#include <stdint.h>

#define RPL_MAGIC "RPL1"
#define RPL_HDR 8u
#define RPL_REC_HDR 4u
#define RPL_GUEST 0u
#define RPL_HOST 1u
#define RPL_FRAME_MIN 14u
#define RPL_FRAME_MAX 1518u /* Ethernet with one VLAN tag */
/* The script is the io guest's disk, read into its buffer whole
 * (IO_MAX_SECTORS sectors): 512 KiB, records included. */
#define RPL_SCRIPT_MAX (512u * 1024u)
#define RPL_MAX_RECORDS 4096u /* the io guest's record index (16 KiB of it) */
#define RPL_MAX_TURN 65535u   /* a turn frame's number has 16 bits */
#define RPL_TURN_LEN 60u /* an ARP request, padded as on the wire */

/* The turn frame number turn from side, into f[RPL_TURN_LEN]. */
static inline void rpl_turn(uint8_t *f, unsigned side, unsigned turn)
{
	static const uint8_t arp[8] = {0, 1, 8, 0, 6, 4, 0, 1};

	for (unsigned k = 0; k < RPL_TURN_LEN; k++)
		f[k] = k < 6 ? 0xff : 0;
	f[6] = 0x02, f[7] = 0x52, f[8] = 0x50, f[11] = (uint8_t)(1 + side);
	f[12] = 0x08, f[13] = 0x06;
	for (unsigned k = 0; k < 8; k++)
		f[14 + k] = arp[k];
	for (unsigned k = 0; k < 6; k++)
		f[22 + k] = f[6 + k];
	f[28] = 198, f[29] = 18, f[31] = (uint8_t)(1 + side);
	f[38] = 198, f[39] = 18, f[40] = (uint8_t)(turn >> 8), f[41] = (uint8_t)turn;
}

/* The number of f's turn when f (n bytes) is a turn frame from side, else -1. */
static inline long rpl_turn_of(const uint8_t *f, uint32_t n, unsigned side)
{
	uint8_t want[RPL_TURN_LEN];

	if (n < 42)
		return -1;
	rpl_turn(want, side, 0);
	for (unsigned k = 0; k < 40; k++)
		if (f[k] != want[k])
			return -1;
	return (long)f[40] << 8 | f[41];
}

static inline uint32_t rpl_get16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t rpl_get32(const uint8_t *p)
{
	return rpl_get16(p) | rpl_get16(p + 2) << 16;
}

/* The end of the run that record k of script s (offsets off, nrec
 * records) begins: the first record after it of the other side. */
static inline uint32_t rpl_run_end(const uint8_t *s, const uint32_t *off, uint32_t nrec,
				   uint32_t k)
{
	uint32_t e = k;

	while (e < nrec && s[off[e]] == s[off[k]])
		e++;
	return e;
}

/* The first of records [k, e) of script s (offsets off) whose frame is
 * f[0, n): its number, e when none is. A side counts what came of the
 * other's run so: in order, those between dropped on the way. */
static inline uint32_t rpl_match(const uint8_t *s, const uint32_t *off, uint32_t k, uint32_t e,
				 const uint8_t *f, uint32_t n)
{
	for (; k < e; k++) {
		const uint8_t *r = s + off[k];
		uint32_t i = 0;

		if (rpl_get16(r + 2) != n)
			continue;
		while (i < n && r[RPL_REC_HDR + i] == f[i])
			i++;
		if (i == n)
			return k;
	}
	return e;
}

/*
 * Index the script s[0, size): each record's offset into off (room for
 * RPL_MAX_RECORDS); the record count, or -1 when the script is not one
 * (bad magic, too many records, a record past its end, a bad side or
 * length).
 */
static inline long rpl_index(const uint8_t *s, uint64_t size, uint32_t *off)
{
	uint64_t at = RPL_HDR;
	uint32_t n;

	if (size < RPL_HDR || s[0] != 'R' || s[1] != 'P' || s[2] != 'L' || s[3] != '1')
		return -1;
	n = rpl_get32(s + 4);
	if (n > RPL_MAX_RECORDS)
		return -1;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t len;

		if (size - at < RPL_REC_HDR)
			return -1;
		len = rpl_get16(s + at + 2);
		if (s[at] > RPL_HOST || s[at + 1] || len < RPL_FRAME_MIN || len > RPL_FRAME_MAX ||
		    size - at - RPL_REC_HDR < len)
			return -1;
		off[k] = (uint32_t)at;
		at += RPL_REC_HDR + len;
	}
	return n;
}

#endif
