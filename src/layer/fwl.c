/* SPDX-License-Identifier: MIT */
/*
 * The firewall layer (fwl.h): a pass whose network path runs every frame
 * through the engine of src/fw, both ways, over the policy blob its parent
 * carried to it.
 *
 * Invariants:
 *  1. No frame crosses before the blob is sealed and has passed
 *     fw_blob_check: fwl_start ends the layer otherwise, before the child
 *     ever runs (and frames only move while it does).
 *  2. A frame crosses only when the engine said accept and, from the guest,
 *     it carries no VLAN tag and its source MAC (and an ARP sender's) is the
 *     child's own: the filter is
 *     the only way between the child's device and our parent's (vnet.c), so
 *     when this layer is dead, faulted or being rebuilt, nothing crosses.
 *  3. The blob is never written: it is mapped read-only into the child
 *     (sealed by the root against every VM, us included) before it is
 *     checked, and again each time the child is rebuilt.
 *  4. The engine's tables are fixed (src/fw/fw.h): no frame grows them.
 *  5. Conntrack's bucket hash is keyed with a secret the child cannot know:
 *     derived one-way from our boot info's canary (fresh per boot and per
 *     layer: getrandom(2) in the root for layer 1, drawn one-way by each
 *     parent for its child, child.c), never from anything the child sees.
 */
#include "layer/fwl.h"

#include "fw/fw.h"
#include "layer/hc.h"
#include "layer/layer.h"
#include "layer/lib.h"
#include "layer/policy.h"
#include "layer/vdev.h"
#include "layer/vnet.h"
#include "lib/rt.h"
#include "lib/sha256.h"

#define PAGE 0x1000ULL
#define BIG_PAGE 0x200000ULL
/* The conntrack clock: one RP_HC_TIMER tick a second. Linux's shortest
 * timeout the engine uses is 10 s (TCP CLOSE): a second is fine enough. */
#define FWL_TICK_NS 1000000000ULL
/* A counters report every this many ticks, so the root holds recent ones
 * even if this layer faults later; and one at the end. */
#define FWL_REPORT_TICKS 5
/* Rules with a counter statement reported (a blob may have 16384): the
 * report stays a few lines per period whatever the policy. */
#define FWL_REPORT_RULES_MAX 64
/* The EtherTypes of a VLAN tag (802.1Q) and a service tag (802.1ad, QinQ):
 * refused from the guest (is_tagged). */
#define ETH_P_8021Q 0x8100u
#define ETH_P_8021AD 0x88a8u

static struct fw_engine *fw;
static struct rp_boot_info own; /* our boot info without the policy blob */
static const struct rp_blob *policy;
static uint8_t guest_mac[6];
static uint64_t ticks, spoofed, spoofed_bytes, tagged, tagged_bytes, reject_unsent;
/* TSC cycles spent in fw_filter, all frames together (bench/fw.sh divides
 * by the frames the engine judged). */
static uint64_t filter_cycles;

/* The TSC (CR4.TSD is clear at CPL 3): what the engine's verdicts cost. */
void fwl_report(void)
{
	struct line l = {.len = 0};
	unsigned n = 0, in_line = 0;

	if (!fw)
		return;
	/* The rules first, then the totals: the root takes a report as a whole
	 * when its "fwstats" line comes. */
	for (uint32_t i = 0; i < fw->hdr->nrules && n < FWL_REPORT_RULES_MAX; i++) {
		if (!fw->rules[i].counter)
			continue;
		if (!in_line)
			line_str(&l, "fwrules");
		line_str(&l, " ");
		line_dec(&l, i);
		line_str(&l, ":");
		line_dec(&l, fw->rules[i].line);
		line_str(&l, ":");
		line_dec(&l, fw->rule_counter[i].packets);
		line_str(&l, ":");
		line_dec(&l, fw->rule_counter[i].bytes);
		n++;
		if (++in_line == 8) {
			line_send(&l);
			in_line = 0;
		}
	}
	if (in_line)
		line_send(&l);
	line_str(&l, "fwstats");
	/* Frames refused for their virtio-net header (vnet.c) count as
	 * invalid: dropped before the engine saw them. */
	line_kv(&l, "frames", fw->stats.frames + spoofed + tagged + vnet_hdr_refused);
	line_kv(&l, "bytes",
		fw->stats.bytes + spoofed_bytes + tagged_bytes + vnet_hdr_refused_bytes);
	line_kv(&l, "accepted", fw->stats.accepted);
	line_kv(&l, "dropped", fw->stats.dropped + spoofed + tagged + vnet_hdr_refused);
	line_kv(&l, "rejected", fw->stats.rejected);
	line_kv(&l, "invalid", fw->stats.invalid + vnet_hdr_refused);
	line_kv(&l, "spoofed", spoofed);
	line_kv(&l, "tagged", tagged);
	line_kv(&l, "ct_entries", fw_ct_count(&fw->ct));
	line_kv(&l, "ct_full", fw->stats.ct_full);
	line_kv(&l, "ct_early", fw->ct.early_drops);
	line_kv(&l, "frag_dropped", fw->stats.frag_dropped);
	line_kv(&l, "reject_unsent", reject_unsent);
	line_kv(&l, "filter_cycles", filter_cycles);
	line_kv(&l, "filtered", fw->stats.frames);
	line_kv(&l, "rules", n);
	line_kv(&l, "uptime_s", ticks);
	line_kv(&l, "restarts", own.restarts);
	line_send(&l);
}

/* ---- reject: a TCP RST or an ICMP port unreachable back to the sender ---- */

static uint16_t csum_add(uint32_t sum, const uint8_t *p, uint32_t len)
{
	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

#define ETH 14
#define IP4 20

/* Ethernet and IPv4 headers of a reply to p (addresses swapped). */
static void reply_hdr(uint8_t *r, const struct fw_pkt *p, uint8_t proto, uint32_t ip_len)
{
	rt_memcpy(r, p->smac, 6);
	rt_memcpy(r + 6, p->dmac, 6);
	put16(r + 12, 0x0800);
	r[ETH] = 0x45;
	r[ETH + 1] = 0;
	put16(r + ETH + 2, ip_len);
	put32(r + ETH + 4, 0x4000); /* id 0, DF */
	r[ETH + 8] = 64;
	r[ETH + 9] = proto;
	put16(r + ETH + 10, 0);
	rt_memcpy(r + ETH + 12, p->daddr, 4);
	rt_memcpy(r + ETH + 16, p->saddr, 4);
	put16(r + ETH + 10, (uint16_t)~csum_add(0, r + ETH, IP4));
}

/*
 * The reply nft's `reject` sends, for an IPv4 frame without VLAN tag: a
 * TCP RST (`reject with tcp reset`), else ICMP port unreachable quoting the
 * header and 8 bytes (RFC 792). Nothing for an ICMP error, a TCP RST, a
 * frame to or from a group address (fw_reject_may_answer: as Linux's
 * REJECT, no reply from a broadcast or multicast source, no reflection of
 * one frame into many replies), or another family: those are only dropped.
 */
static void reject(const uint8_t *frame, uint32_t len, bool from_guest, bool tcp_reset)
{
	static uint8_t r[VNET_INJECT_MAX];
	struct fw_pkt p;
	uint32_t n;

	if (len < ETH + IP4 || frame[12] != 0x08 || frame[13] != 0x00 || fw_parse(frame, len, &p) ||
	    p.l3 != FW_L3_IP4 || p.frag == FW_FRAG_LATER || !fw_reject_may_answer(&p))
		goto unsent;
	if (tcp_reset && p.proto == FW_PROTO_TCP && p.l4_ok && !(p.tcp_flags & FW_TCP_RST)) {
		uint8_t *t = r + ETH + IP4, pseudo[12];
		uint32_t seq = 0, ack = 0, flags = FW_TCP_RST;

		if (p.tcp_flags & FW_TCP_ACK) {
			seq = p.ack;
		} else {
			flags |= FW_TCP_ACK;
			ack = p.seq + p.l4_payload + !!(p.tcp_flags & FW_TCP_SYN) +
			      !!(p.tcp_flags & FW_TCP_FIN);
		}
		n = ETH + IP4 + 20;
		reply_hdr(r, &p, FW_PROTO_TCP, IP4 + 20);
		rt_memset(t, 0, 20);
		put16(t, p.dport);
		put16(t + 2, p.sport);
		put32(t + 4, seq);
		put32(t + 8, ack);
		t[12] = 0x50;
		t[13] = (uint8_t)flags;
		rt_memcpy(pseudo, p.daddr, 4);
		rt_memcpy(pseudo + 4, p.saddr, 4);
		pseudo[8] = 0;
		pseudo[9] = FW_PROTO_TCP;
		put16(pseudo + 10, 20);
		put16(t + 16, (uint16_t)~csum_add(csum_add(0, pseudo, 12), t, 20));
	} else if (!(p.proto == FW_PROTO_ICMP && p.icmp_error) &&
		   !(p.proto == FW_PROTO_TCP && (p.tcp_flags & FW_TCP_RST))) {
		uint32_t ihl = (uint32_t)(frame[ETH] & 0xf) * 4, quote = ihl + 8;
		uint8_t *c = r + ETH + IP4;

		if (ETH + ihl + 8 > len || ETH + IP4 + 8 + quote > sizeof(r))
			goto unsent;
		n = ETH + IP4 + 8 + quote;
		reply_hdr(r, &p, FW_PROTO_ICMP, IP4 + 8 + quote);
		rt_memset(c, 0, 8);
		c[0] = 3; /* destination unreachable */
		c[1] = 3; /* port unreachable */
		rt_memcpy(c + 8, frame + ETH, quote);
		put16(c + 2, (uint16_t)~csum_add(0, c, 8 + quote));
	} else {
		return; /* never a reply to an error or a reset */
	}
	if (vnet_inject(from_guest, r, n) == 0)
		return;
unsent:
	reject_unsent++;
}

/*
 * A guest frame behind an 802.1Q or 802.1ad tag. The guest's link is one
 * untagged segment: a tag could only carry its frame onto another VLAN of a
 * VLAN-aware bridge or trunk, and a VID 0 (priority) tag is taken as
 * untagged by Linux hosts while it would hide an ARP from the sender check
 * below (the engine walks tags and accepts ARP under any policy). So no
 * tagged frame leaves the guest, and the checks see untagged frames only.
 */
static bool is_tagged(const uint8_t *frame, uint32_t len)
{
	uint32_t type;

	if (len < 14)
		return false; /* no EtherType: the engine finds it malformed */
	type = (uint32_t)frame[12] << 8 | frame[13];
	return type == ETH_P_8021Q || type == ETH_P_8021AD;
}

/* vdev_hooks.frame: the engine's verdict, and anti-spoofing for the guest's frames. */
static bool fwl_filter(const uint8_t *vhdr, const uint8_t *frame, uint32_t len, bool from_guest)
{
	(void)vhdr;
	uint64_t t0;
	unsigned v;

	if (from_guest && is_tagged(frame, len)) {
		tagged++;
		tagged_bytes += len;
		return false;
	}
	if (from_guest && len >= 14 &&
	    (rt_memcmp(frame + 6, guest_mac, 6) ||
	     /* an ARP request or reply over Ethernet/IPv4: its sender's MAC too */
	     (frame[12] == 0x08 && frame[13] == 0x06 && len >= 14 + 28 &&
	      rt_memcmp(frame + 14 + 8, guest_mac, 6)))) {
		spoofed++;
		spoofed_bytes += len;
		return false;
	}
	t0 = tsc_fenced();
	v = fw_filter(fw, frame, len, from_guest ? FW_IF_GUEST : FW_IF_HOST, ticks * FWL_TICK_NS);
	filter_cycles += tsc_fenced() - t0;
	if (v == FW_V_REJECT)
		reject(frame, len, from_guest, fw->reject_tcp);
	return v == FW_V_ACCEPT;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static __attribute__((noreturn)) void fwl_fail(const char *what, const char *detail)
{
	layer_fail("firewall", what, detail);
}

const struct rp_boot_info *fwl_setup(const struct rp_boot_info *info, uint8_t **child_base)
{
	uint64_t end, at;
	const char *why = policy_split(info, &own, &policy, &end);

	if (why)
		fwl_fail(why, NULL);
	/* The engine's tables in our free memory, past the payloads; the child after them. */
	at = align_up(end, PAGE);
	if (!rt_range_ok(at, sizeof(*fw), info->mem_size))
		fwl_fail("no room for the engine's tables", NULL);
	fw = (struct fw_engine *)(uintptr_t)at;
	*child_base = (uint8_t *)(uintptr_t)align_up(at + sizeof(*fw), BIG_PAGE);
	return &own;
}

void fwl_seal(int64_t vm, uint64_t child_size)
{
	if (hc_vm_map((uint64_t)vm, child_size, policy->gpa, align_up(policy->size, PAGE),
		      RP_MAP_R) < 0)
		fwl_fail("RP_HC_VM_MAP refused the policy's seal", NULL);
}

/* Conntrack's hash key (invariant 5, layer_key): a secret the child cannot know. */
static void ct_key(uint8_t key[FW_CT_KEY_BYTES])
{
	layer_key("rampart firewall conntrack key", own.canary, key, FW_CT_KEY_BYTES);
}

void fwl_start(const uint8_t mac[6], bool have_net)
{
	uint8_t key[FW_CT_KEY_BYTES];
	const void *blob = (const void *)(uintptr_t)policy->gpa;
	const char *why = "?";
	struct line l = {.len = 0};

	/* Sealed before it is checked: what is checked is what runs (invariant 3). */
	if (fw_blob_check(blob, policy->size, &why))
		fwl_fail("policy blob refused", why);
	ct_key(key);
	fw_engine_init(fw, blob, key);
	rt_memset(key, 0, sizeof(key));
	rt_memcpy(guest_mac, mac, 6);
	if (hc5(RP_HC_TIMER, FWL_TICK_NS, 0, 0, 0, 0) < 0)
		fwl_fail("RP_HC_TIMER refused", NULL);
	vdev_hooks.frame = fwl_filter;
	line_str(&l, "firewall: policy checked, ");
	line_dec(&l, fw->hdr->nrules);
	line_str(&l, " rules, ");
	line_dec(&l, fw->hdr->nchains);
	line_str(&l, " chains");
	line_str(&l, have_net ? "; filtering" : "; no network to filter");
	line_send(&l);
}

void fwl_tick(void)
{
	ticks++;
	hc5(RP_HC_TIMER, FWL_TICK_NS, 0, 0, 0, 0);
	if (ticks % FWL_REPORT_TICKS == 0)
		fwl_report();
}
