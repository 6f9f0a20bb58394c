/* SPDX-License-Identifier: MIT */
/*
 * Whether a `reject` may answer a frame (fw.h fw_reject_may_answer), as
 * Linux's nf_reject does: only a unicast sender, about a frame it sent to a
 * unicast destination.
 *
 * Invariants:
 *  1. A reply's source is the judged frame's destination (its MAC and IP
 *     address swapped): no reply goes out whose source would be a group
 *     address (broadcast or multicast MAC, IPv4 broadcast or 224.0.0.0/4,
 *     IPv6 multicast), which no stack may send (RFC 1122 3.2.2, RFC 1812
 *     4.3.2.7, RFC 4443 2.4 (e)).
 *  2. No reply goes to a group or an unspecified sender: one frame to a
 *     shared segment's group would otherwise draw one reply from every
 *     firewall on it toward whatever sender it names (reflection).
 */
#include "fw/fw.h"

/* Multicast or broadcast MAC: the group bit of the first octet. */
static bool mac_group(const uint8_t *m)
{
	return m[0] & 1;
}

/* 0.0.0.0/8 ("this network", RFC 1122 3.2.1.3), 224.0.0.0/4 (multicast),
 * 240.0.0.0/4 with 255.255.255.255 (reserved, limited broadcast). The
 * subnet-directed broadcast is not known here: the layer holds no address
 * plan, and the MAC check catches it on a LAN (it goes to ff:ff:..). */
static bool ip4_not_unicast(const uint8_t *a)
{
	return a[0] == 0 || a[0] >= 224;
}

static bool ip6_multicast(const uint8_t *a)
{
	return a[0] == 0xff;
}

static bool ip6_unspecified(const uint8_t *a)
{
	for (unsigned i = 0; i < 16; i++)
		if (a[i])
			return false;
	return true;
}

bool fw_reject_may_answer(const struct fw_pkt *p)
{
	if (mac_group(p->dmac) || mac_group(p->smac))
		return false;
	if (p->l3 == FW_L3_IP4)
		return !ip4_not_unicast(p->daddr) && !ip4_not_unicast(p->saddr);
	if (p->l3 == FW_L3_IP6)
		return !ip6_multicast(p->daddr) && !ip6_multicast(p->saddr) &&
		       !ip6_unspecified(p->saddr);
	return false;
}
