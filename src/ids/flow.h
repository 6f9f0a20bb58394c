/* SPDX-License-Identifier: MIT */
/*
 * The ids layer's rule headers and flows (flow.c): whether a frame is of a
 * rule's addresses, ports and `flow`, with the flow it belongs to from the
 * firewall's connection tracking (src/fw/ct.c) as the layer's flow table.
 * Freestanding, shared by the layer (src/layer/idsl.c) and the unit tests.
 */
#ifndef RAMPART_IDS_FLOW_H
#define RAMPART_IDS_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "fw/fw.h"
#include "ids/blob.h"

/* What the flow table says of a frame. */
struct ids_flow {
	bool known;	/* of a tracked flow (else: untracked, invalid, related) */
	uint8_t dir;	/* 0 from the side that opened it (to_server), 1 back */
	bool est;	/* TCP: handshake done, not closed; else: both ways seen */
	bool fresh;	/* a new flow: entered by this frame */
	bool forged;	/* of a known flow, from the side the other way's frames come
			 * from (flow.c, invariant 9): drop it */
	uint32_t entry;	/* its index in the table (FW_CT_NIL when not known) */
	/* What ids_flow_undo needs: the flow the frame found (FW_CT_NIL: none)
	 * and its state before the frame moved it. */
	uint32_t was_entry;
	struct fw_ct_entry was;
};

/* A flow's flowbits (blob.h: the names the in-line rules use). */
#define IDS_FB_WORDS (IDS_BLOB_FLOWBITS_MAX / 64)
typedef uint64_t ids_fbits[IDS_FB_WORDS];

/*
 * Classifies p, sent by the guest (from_guest) or towards it, with the flow
 * table ct (at time now, ns): updates its flow, or enters a new one (the
 * frame's sender is the client). 0, or -1 when a new flow finds the table
 * full (counted in ct->full_drops: the caller drops the frame, fail
 * closed); *f is then not known. A frame the caller then does not let
 * cross must be undone (ids_flow_undo).
 */
int ids_flow_track(struct fw_ct *ct, const struct fw_pkt *p, bool from_guest, uint64_t now,
		   struct ids_flow *f);
/* The frame of f did not cross: its new flow leaves the table, and the
 * flow it found gets back the state it had (invariant 7). */
void ids_flow_undo(struct fw_ct *ct, const struct ids_flow *f);

/*
 * Whether p is of rule r's protocol, addresses, ports (ports: p's ports
 * are the frame's, TCP or UDP and not a later fragment) and flow f (NULL:
 * no flow table, no rule of the blob has `flow`); `<>` both ways. The
 * blob h must have passed ids_blob_check.
 */
bool ids_rule_hdr_ok(const struct ids_blob_hdr *h, const struct ids_blob_rule *r,
		     const struct fw_pkt *p, bool ports, const struct ids_flow *f);

/*
 * Whether p's fields are r's (dsize, flags, itype, icode, ip_proto):
 * dsize the payload's length, l4 whether p's L4 header is the frame's
 * (not a later fragment): without it, flags, itype and icode never match.
 */
/* The rule's `bsize` or `urilen` (IDS_BLOB_F_BSIZE) on its buffer, buf
 * (NULL: absent, no match) of len bytes; true without one. */
bool ids_rule_bsize_ok(const struct ids_blob_rule *r, const uint8_t *buf, uint32_t len);
bool ids_rule_fields_ok(const struct ids_blob_rule *r, const struct fw_pkt *p, bool l4,
			uint32_t dsize);

/*
 * Rule r's flowbits checks (isset, isnotset) against bits, the frame's
 * flow's (NULL: of no flow, every bit clear), and its changes (set, unset,
 * toggle) applied to bits (none when NULL). fb: r's operations (blob.h:
 * nfb of them, after the previous rules').
 */
bool ids_fb_check(const struct ids_blob_fb *fb, unsigned nfb, const uint64_t *bits);
void ids_fb_apply(const struct ids_blob_fb *fb, unsigned nfb, uint64_t *bits);

#endif
