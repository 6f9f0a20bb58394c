/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the firewall engine: frame parser, conntrack and
 * rule evaluation. The input is a sequence of frames, each
 *
 *   len16 iif8 dt8 bytes[len]
 *
 * (iif: low bit, guest or host; dt: milliseconds since the last frame)
 * through one engine whose policy uses every kind of match (fixed below and
 * compiled by hand into a blob, so this harness needs no compiler): ct
 * state, sets, ranges, flags, jumps. ASan checks that nothing reads outside
 * a frame (each is copied to an exact-size buffer) and UBSan the rest.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw/fw.h"

static struct fw_engine *fw;
static uint64_t blob_words[256];

static void build_blob(void)
{
	uint8_t *b = (uint8_t *)blob_words;
	struct fw_blob_hdr *h = (void *)b;
	struct fw_chain *c;
	struct fw_rule *r;
	struct fw_match *m;
	struct fw_set *s;
	struct fw_elem *e;

	memset(blob_words, 0, sizeof(blob_words));
	h->magic = FW_BLOB_MAGIC;
	h->version = FW_BLOB_VERSION;
	h->nchains = 2;
	h->nrules = 5;
	h->nmatches = 5;
	h->nsets = 1;
	h->nelems = 2;
	h->chain_off = 64;
	h->rule_off = h->chain_off + 2 * sizeof(*c);
	h->match_off = h->rule_off + 5 * sizeof(*r);
	h->set_off = h->match_off + 5 * sizeof(*m);
	h->elem_off = h->set_off + sizeof(*s);
	h->size = h->elem_off + 2 * sizeof(*e);
	c = (void *)(b + h->chain_off);
	r = (void *)(b + h->rule_off);
	m = (void *)(b + h->match_off);
	s = (void *)(b + h->set_off);
	e = (void *)(b + h->elem_off);
	c[0] = (struct fw_chain){ .first_rule = 0, .nrules = 4, .base = 1, .policy = FW_V_DROP };
	c[1] = (struct fw_chain){ .first_rule = 4, .nrules = 1 };
	/* ct state established,related accept */
	m[0] = (struct fw_match){ .field = FW_F_CT_STATE, .op = FW_OP_ANY, .len = 1, .a = { 6 } };
	r[0] = (struct fw_rule){ .first_match = 0, .nmatches = 1, .verdict = FW_V_ACCEPT, .counter = 1 };
	/* tcp dport @ports jump c1 */
	m[1] = (struct fw_match){ .field = FW_F_TCP_DPORT, .op = FW_OP_SET, .len = 2, .set = 0 };
	r[1] = (struct fw_rule){ .first_match = 1, .nmatches = 1, .verdict = FW_V_JUMP, .target = 1 };
	/* udp dport 53-60 reject */
	m[2] = (struct fw_match){ .field = FW_F_UDP_DPORT, .op = FW_OP_RANGE, .len = 2,
				  .a = { 0, 53 }, .b = { 0, 60 } };
	r[2] = (struct fw_rule){ .first_match = 2, .nmatches = 1, .verdict = FW_V_REJECT };
	/* icmp type echo-request accept */
	m[3] = (struct fw_match){ .field = FW_F_ICMP_TYPE, .op = FW_OP_RANGE, .len = 1,
				  .a = { 8 }, .b = { 8 } };
	r[3] = (struct fw_rule){ .first_match = 3, .nmatches = 1, .verdict = FW_V_ACCEPT };
	/* c1: tcp flags syn / syn,ack accept */
	m[4] = (struct fw_match){ .field = FW_F_TCP_FLAGS, .op = FW_OP_MASKEQ, .len = 1,
				  .a = { 0x12 }, .b = { 0x02 } };
	r[4] = (struct fw_rule){ .first_match = 4, .nmatches = 1, .verdict = FW_V_ACCEPT };
	*s = (struct fw_set){ .first_elem = 0, .nelems = 2, .field = FW_F_TCP_DPORT, .len = 2 };
	e[0] = (struct fw_elem){ .lo = { 0, 22 }, .hi = { 0, 22 } };
	e[1] = (struct fw_elem){ .lo = { 0, 80 }, .hi = { 0x1f, 0x90 } };
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why;
	uint64_t now = 1;

	if (!fw) {
		fw = malloc(sizeof(*fw));
		build_blob();
		if (fw_blob_check(blob_words, ((struct fw_blob_hdr *)blob_words)->size, &why))
			abort();
	}
	/* a fixed conntrack key: a run must be repeatable from its input */
	static const uint8_t ct_key[FW_CT_KEY_BYTES];
	fw_engine_init(fw, blob_words, ct_key);
	while (size >= 4) {
		size_t len = (size_t)(data[0] | data[1] << 8);
		unsigned iif = (data[2] & 1) ? FW_IF_GUEST : FW_IF_HOST;
		now += (uint64_t)data[3] * 1000000ull;
		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		uint8_t *f = malloc(len ? len : 1);
		memcpy(f, data, len);
		unsigned v = fw_filter(fw, f, len, iif, now);
		free(f);
		if (v != FW_V_ACCEPT && v != FW_V_DROP && v != FW_V_REJECT)
			abort();
		data += len;
		size -= len;
	}
	if (fw_ct_count(&fw->ct) > FW_CT_MAX)
		abort();
	return 0;
}
