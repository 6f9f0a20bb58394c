/* SPDX-License-Identifier: MIT */
/*
 * The virtio-net header of a frame the guest sends, checked against the
 * frame it describes (fw_vnet_hdr_check, fw.h).
 *
 * The header is not data the filter judges but instructions to the host
 * kernel that writes the frame to its tap (virtio_net_hdr_to_skb): with
 * NEEDS_CSUM it later writes a 16-bit sum at csum_start + csum_offset, with
 * a GSO type it cuts the frame into segments and rewrites their headers.
 * Both happen after the verdict, so a header pointing elsewhere than the
 * L4 checksum would change a port or an address the filter accepted.
 *
 * Invariants:
 *  1. NEEDS_CSUM passes only on an unfragmented, well-formed TCP or UDP
 *     frame, with csum_start at its parsed L4 header and csum_offset at
 *     its checksum field (16 TCP, 6 UDP): the sum the kernel writes is the
 *     checksum, nothing else;
 *  2. a GSO type passes only as TCPV4 on IPv4 TCP or TCPV6 on IPv6 TCP
 *     (what the layer offers: HOST_TSO4/6, HOST_ECN), with NEEDS_CSUM (as
 *     invariant 1), a nonzero gso_size and hdr_len within the frame;
 *  3. any other flag bit or GSO type is refused;
 *  4. with either, the frame ends where its IP datagram does (bytes after
 *     it would be summed by the host kernel, or with TSO made part of the
 *     last segment's payload, unseen by the filter), and its checksum
 *     field holds the pseudo-header's sum (fw_l4_seed_ok: the seed the
 *     kernel adds; any other makes the sum it writes wrong, a frame the
 *     filter passed and its receiver drops);
 *  5. only hdr[0 .. FW_VNET_HDR_LEN) and frame[0 .. len) are read.
 */
#include "fw/fw.h"

#define VNET_F_NEEDS_CSUM 1u
#define VNET_GSO_NONE 0u
#define VNET_GSO_TCPV4 1u
#define VNET_GSO_TCPV6 4u
#define VNET_GSO_ECN 0x80u
/* Where the checksum field lies in each L4 header. */
#define TCP_CSUM_OFF 16u
#define UDP_CSUM_OFF 6u

static uint16_t le16(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

const char *fw_vnet_hdr_check(const uint8_t *hdr, const uint8_t *frame, size_t len)
{
	uint8_t flags = hdr[0], gso = hdr[1];
	uint16_t hdr_len = le16(hdr + 2), gso_size = le16(hdr + 4);
	uint16_t csum_start = le16(hdr + 6), csum_offset = le16(hdr + 8);
	uint8_t gso_kind = gso & (uint8_t)~VNET_GSO_ECN;
	struct fw_pkt p;

	if (flags & ~VNET_F_NEEDS_CSUM)
		return "unknown virtio-net header flags";
	if (gso == VNET_GSO_NONE && !(flags & VNET_F_NEEDS_CSUM))
		return NULL; /* nothing the host kernel acts on */
	if (fw_parse(frame, len, &p) || !p.l4_ok || p.frag != FW_FRAG_NONE)
		return "checksum or segmentation offload on a frame without a whole L4 header";
	if (!(flags & VNET_F_NEEDS_CSUM))
		return "segmentation offload without checksum offload";
	if (p.proto == FW_PROTO_TCP) {
		if (csum_offset != TCP_CSUM_OFF)
			return "checksum offload offset is not TCP's checksum field";
	} else if (p.proto == FW_PROTO_UDP) {
		if (csum_offset != UDP_CSUM_OFF)
			return "checksum offload offset is not UDP's checksum field";
	} else {
		return "checksum offload on a protocol other than TCP or UDP";
	}
	if (csum_start != p.l4_off)
		return "checksum offload start is not the L4 header";
	if ((size_t)p.l4_off + p.l4_len != len)
		return "checksum or segmentation offload on a frame with bytes past its IP datagram";
	if (!fw_l4_seed_ok(frame, len, &p))
		return "checksum offload seed is not the pseudo-header's sum (the sum written "
		       "would be wrong)";
	if (gso == VNET_GSO_NONE)
		return NULL;
	if (p.proto != FW_PROTO_TCP ||
	    !((gso_kind == VNET_GSO_TCPV4 && p.l3 == FW_L3_IP4) ||
	      (gso_kind == VNET_GSO_TCPV6 && p.l3 == FW_L3_IP6)))
		return "segmentation offload type does not match the frame";
	if (gso_size == 0 || hdr_len > len)
		return "segmentation offload size or header length out of the frame";
	return NULL;
}
