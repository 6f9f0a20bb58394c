/* SPDX-License-Identifier: MIT */
/* libFuzzer: the ids layer's TCP reassembly (src/ids/stream.c) under any
 * sequence of segments (any sequence number, length, bytes, FIN), resets,
 * gone flows and a full pool, against a model of each direction's stream:
 * no crash, no read or write outside a tail or a segment; a tail never
 * longer than IDS_STREAM_TAIL and always the last bytes that crossed in
 * order; the bytes seen first win (classify calls an overlap that differs
 * from the tail DIFF, one that agrees NEW or OLD); the pool's count is its
 * directions' tails. */
#include <stdlib.h>
#include <string.h>

#include "ids/stream.h"

#define OWNERS 4u
/* The model keeps a direction's last bytes (more than a tail). */
#define MODEL 8192u

static struct ids_stream_pool pool;
/* The rest of the pool is held by flows that never go, but FREE_SLOTS:
 * the fuzzed directions find it full. */
#define FREE_SLOTS 2u
#define FILLERS (IDS_STREAM_SLOTS - FREE_SLOTS)
static struct ids_stream_dir dirs[OWNERS + FILLERS];
static bool gone_flag[OWNERS + FILLERS];

struct model {
	bool init;
	uint32_t next, len;	/* len: bytes in buf, the stream's last */
	uint8_t buf[MODEL];
};
static struct model m[OWNERS];

static bool gone(void *ctx, uint32_t owner)
{
	(void)ctx;
	return gone_flag[owner];
}

static void model_add(struct model *x, const uint8_t *d, uint32_t n)
{
	if (n >= MODEL) {
		memcpy(x->buf, d + n - MODEL, MODEL);
		x->len = MODEL;
		return;
	}
	if (x->len + n > MODEL) {
		memmove(x->buf, x->buf + x->len + n - MODEL, MODEL - n);
		x->len = MODEL - n;
	}
	memcpy(x->buf + x->len, d, n);
	x->len += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t seg[600];
	size_t at = 0;

	memset(m, 0, sizeof(m));
	memset(gone_flag, 0, sizeof(gone_flag));
	ids_stream_init(&pool, dirs, OWNERS + FILLERS, gone, NULL);
	for (uint32_t k = OWNERS; k < OWNERS + FILLERS; k++)
		if (ids_stream_commit(&pool, k, 0, (const uint8_t *)"f", 1, 0, false, false))
			abort();
	while (at + 4 <= size) {
		uint8_t op = data[at], o = op & (OWNERS - 1);
		struct model *x = &m[o];

		at++;
		switch ((op >> 2) & 3) {
		case 0: { /* a segment: near the stream's next byte, or anywhere */
			int32_t delta = (int16_t)(data[at] | data[at + 1] << 8);
			uint32_t n = data[at + 2] % sizeof(seg), seq;
			bool fin = op & 0x80;

			at += 3;
			seq = (op & 0x40) ? x->next + (uint32_t)delta * 977u : x->next + (uint32_t)delta;
			for (uint32_t i = 0; i < n; i++) /* repeated input: overlaps agree often */
				seg[i] = at < size ? data[at + (i % (size - at))] : (uint8_t)i;
			at += n / 8;
			/* often the model's own bytes where it overlaps */
			if ((op & 0x20) && x->init) {
				int32_t back = (int32_t)(x->next - seq);

				for (uint32_t i = 0; back > 0 && i < n && (uint32_t)back - i > 0; i++)
					if ((uint32_t)back - i <= x->len)
						seg[i] = x->buf[x->len - ((uint32_t)back - i)];
			}
			struct ids_seg_view v = ids_stream_classify(&pool, o, seq, seg, n, fin);
			uint32_t tl;
			const uint8_t *t = ids_stream_tail(&pool, o, &tl);

			if (tl > IDS_STREAM_TAIL || v.skip > n || v.unchecked > v.skip)
				abort();
			if (x->init && n) {
				int32_t off = (int32_t)(seq - x->next);
				bool diff = false;

				if ((off > 0) != (v.kind == IDS_SEG_AHEAD))
					abort();
				for (uint32_t i = 0; off <= 0 && i < n && (int64_t)i < -(int64_t)off; i++) {
					uint32_t behind = (uint32_t)-(int64_t)off - i;

					if (behind <= tl && t[tl - behind] != seg[i])
						diff = true;
				}
				if (off == -1 && n == 1) /* a keepalive probe: OLD, not compared */
					diff = false;
				if (diff != (v.kind == IDS_SEG_DIFF))
					abort();
			}
			if ((op & 0x10) && v.kind != IDS_SEG_OLD && n) /* the layer asks first */
				(void)ids_stream_starved(&pool, o);
			bool ahead = n && v.kind == IDS_SEG_AHEAD;
			int r = ids_stream_commit(&pool, o, seq, seg, n, v.skip, fin, ahead);

			/* the model: a stream (re)starts at seq; bytes from next
			 * on follow it; a FIN's number is kept apart */
			if (ahead || !x->init) {
				x->init = true;
				x->next = seq;
				x->len = 0;
			}
			if ((int32_t)(seq + v.skip - x->next) == 0) {
				model_add(x, seg + v.skip, n - v.skip);
				x->next = seq + n;
			}
			if (r < 0) /* no tail: what was before is lost */
				x->len = 0;
			if (dirs[o].next != x->next || (r < 0) != (dirs[o].slot == IDS_STREAM_NONE &&
								    n > v.skip))
				abort();
			t = ids_stream_tail(&pool, o, &tl);
			if (dirs[o].slot != IDS_STREAM_NONE) {
				uint32_t want = x->len < IDS_STREAM_TAIL ? x->len : IDS_STREAM_TAIL;

				if (tl != want || memcmp(t, x->buf + x->len - want, want))
					abort();
			}
			break;
		}
		case 1: /* a new flow in its entry */
			ids_stream_reset(&pool, o);
			memset(x, 0, sizeof(*x));
			at++;
			break;
		case 2: /* its flow gone: its tail may be taken back */
			gone_flag[o] = !gone_flag[o];
			at++;
			break;
		default: /* the layer's question before a segment */
			(void)ids_stream_starved(&pool, o);
			at++;
		}
		uint32_t used = FILLERS;
		/* a reset forgets its owner, a slot taken back its bytes: the
		 * model follows */
		for (uint32_t k = 0; k < OWNERS; k++) {
			if (!dirs[k].init && m[k].init)
				memset(&m[k], 0, sizeof(m[k]));
			if (dirs[k].slot == IDS_STREAM_NONE)
				m[k].len = 0;
			used += dirs[k].slot != IDS_STREAM_NONE;
		}
		if (used != pool.used)
			abort();
	}
	return 0;
}
