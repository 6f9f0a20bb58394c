/* SPDX-License-Identifier: MIT */
/*
 * The firewall engine: a frame parser, connection tracking and the
 * evaluation of a compiled policy blob. Freestanding (no libc header): the
 * same objects run in a layer and, built for the host, in the offline mode
 * (build/rampart-policy firewall).
 *
 * The caller's contract:
 *  - fw_blob_check() must accept a blob before fw_engine_init() sees it; the
 *    engine then trusts every offset and index in it (the check proved
 *    them), and never writes to it (it is mapped read-only in a layer);
 *  - the caller passes the time (nanoseconds, monotonic); the engine reads
 *    no clock;
 *  - struct fw_engine is large (its tables are fixed arrays, never grown):
 *    allocate it statically or on the heap, not on a stack.
 *
 * What the engine promises:
 *  - a frame of any content and any length up to FW_FRAME_MAX gives a
 *    verdict; a malformed header makes the frame invalid, never a read out
 *    of the frame;
 *  - conntrack never holds more than FW_CT_MAX flows: a new flow that finds
 *    the table full reuses an expired entry, or takes the place of a flow
 *    that never saw a reply (Linux's early drop, counted), or is dropped
 *    and counted;
 *  - a rule walk takes at most FW_JUMP_MAX nested jumps, and each set lookup
 *    is a binary search (O(log n)).
 */
#ifndef RAMPART_FW_FW_H
#define RAMPART_FW_FW_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* ---- limits -------------------------------------------------------------- */

/* The largest frame looked at: a 64 KiB IP datagram plus its link headers
 * (virtio-net's largest buffer); a longer one is invalid. */
#define FW_FRAME_MAX 65550u
/* VLAN tags walked before giving up: 802.1ad puts two; more is an attempt to
 * hide the real ethertype from a filter that stops counting early. */
#define FW_VLAN_MAX 2u
/* IPv6 extension headers walked: each costs a bounded step, and a chain of
 * hundreds is only useful to exhaust a filter (RFC 8200 needs a handful). */
#define FW_IP6_EXT_MAX 8u
/* Flows tracked at once. A fixed table: a guest opening flows without end
 * fills it and then its new flows are dropped, never the memory grown. */
#define FW_CT_MAX 16384u
#define FW_CT_BUCKETS 8192u
/* Entries looked at for an expired one to reuse, or else one never
 * replied to, when the table is full: a bounded step per frame, not a walk
 * of the whole table. */
#define FW_CT_EVICT_SCAN 64u
/* IPv4 datagrams whose first fragment was accepted, remembered so that their
 * later fragments follow it (see FRAGMENTS in docs/firewall.md). */
#define FW_FRAG_MAX 256u
/* How long a fragmented datagram may take to arrive (Linux's ipfrag_time). */
#define FW_FRAG_TIMEOUT_NS (30ull * 1000000000ull)
/* Nested jump/goto: nft's own limit; a deeper walk is a drop. */
#define FW_JUMP_MAX 16u
/* Records of each kind in one blob: bounds the blob check and the counters
 * the engine keeps (one pair per rule). */
#define FW_RULES_MAX 16384u
#define FW_CHAINS_MAX 256u
#define FW_MATCHES_MAX 65536u
#define FW_SETS_MAX 1024u
#define FW_ELEMS_MAX 262144u
/* Matches per rule (nft has no such limit; ours keeps a rule's walk short). */
#define FW_RULE_MATCHES_MAX 32u

/* ---- the parsed frame ---------------------------------------------------- */

enum fw_l3 { FW_L3_NONE, FW_L3_IP4, FW_L3_IP6, FW_L3_ARP };

enum fw_frag { FW_FRAG_NONE, FW_FRAG_FIRST, FW_FRAG_LATER };

#define FW_TCP_FIN 0x01u
#define FW_TCP_SYN 0x02u
#define FW_TCP_RST 0x04u
#define FW_TCP_PSH 0x08u
#define FW_TCP_ACK 0x10u
#define FW_TCP_URG 0x20u
#define FW_TCP_ECE 0x40u
#define FW_TCP_CWR 0x80u

#define FW_PROTO_ICMP 1u
#define FW_PROTO_TCP 6u
#define FW_PROTO_UDP 17u
#define FW_PROTO_ICMP6 58u

/* The tuple of an ICMP error's quoted datagram. */
struct fw_inner {
	uint8_t saddr[16], daddr[16];
	uint8_t proto;
	uint16_t sport, dport;
};

struct fw_pkt {
	uint32_t len;
	uint32_t l4_off;	/* where the L4 header (a later fragment: its payload) starts */
	uint32_t l4_len;	/* bytes from l4_off to the IP datagram's end (no link padding) */
	uint8_t smac[6], dmac[6];
	uint16_t ethertype;	/* after the VLAN tags */
	uint8_t l3;		/* enum fw_l3 */
	bool invalid;		/* a header up to L3 is malformed */
	bool l4_ok;		/* the L4 header is present and well formed */
	uint8_t alen;		/* 4 or 16 */
	uint8_t saddr[16], daddr[16];
	uint8_t proto;		/* the L4 protocol (after IPv6 extensions) */
	uint8_t frag;		/* enum fw_frag */
	uint32_t frag_id;
	uint16_t sport, dport;	/* ICMP echo: both the identifier */
	uint8_t tcp_flags;
	uint8_t tcp_wscale;	/* 0xff: none in this segment */
	uint32_t seq, ack;
	uint16_t win;
	uint16_t urp;		/* TCP: the urgent pointer */
	uint32_t l4_payload;	/* TCP/UDP payload bytes */
	uint8_t icmp_type, icmp_code;
	bool icmp_error;	/* an error type with a quoted datagram */
	bool inner_ok;
	struct fw_inner inner;
};

/* Fills p from frame[0 .. len); never reads outside it. Returns p->invalid. */
bool fw_parse(const uint8_t *frame, size_t len, struct fw_pkt *p);
/* The same with FW_PARSE_* flags. */
#define FW_PARSE_NO_IP_CSUM 1u	/* captures whose checksums were offloaded (pcaps only) */
bool fw_parse_flags(const uint8_t *frame, size_t len, unsigned flags, struct fw_pkt *p);

/*
 * Whether p's TCP or UDP checksum (frame[0 .. len), parsed into p) is
 * right: the IPv4 or IPv6 pseudo-header and the whole L4 datagram sum to
 * all ones, or a UDP checksum of 0 over IPv4 (none). false for anything
 * else: another protocol, a fragment, an L4 header fw_parse refused.
 */
bool fw_l4_csum_ok(const uint8_t *frame, size_t len, const struct fw_pkt *p);
/*
 * Whether the checksum field of p's TCP or UDP datagram holds the
 * pseudo-header's folded sum (its whole length): the seed a checksum
 * offload adds to the datagram's own sum (Linux's CHECKSUM_PARTIAL, and
 * each segment's after TSO), so that the sum the host kernel writes is
 * right. false as fw_l4_csum_ok.
 */
bool fw_l4_seed_ok(const uint8_t *frame, size_t len, const struct fw_pkt *p);
/* virtio-net header flags (virtio 1.2, 5.1.6): the checksum is the
 * device's (the host kernel's) to fill in; the checksum was checked. */
#define FW_VNET_F_NEEDS_CSUM 1u
#define FW_VNET_F_DATA_VALID 2u

/* The virtio-net header a guest sends before its frame (vhdr.c): flags,
 * gso_type, hdr_len, gso_size, csum_start, csum_offset, num_buffers. */
#define FW_VNET_HDR_LEN 12u
/* NULL when hdr[0 .. FW_VNET_HDR_LEN) asks the host kernel for nothing but
 * the frame's own L4 checksum and TCP segmentation matching frame[0 .. len);
 * else why not. */
const char *fw_vnet_hdr_check(const uint8_t *hdr, const uint8_t *frame, size_t len);

/* ---- the policy blob (versioned, fixed-size records, no pointers) ---------
 * All integers little-endian, as the records are laid out on x86-64; offsets
 * count from the start of the blob and are multiples of 8. docs/firewall.md
 * describes each field. */

#define FW_BLOB_MAGIC 0x57465052u /* "RPFW" */
#define FW_BLOB_VERSION 1u
#define FW_NAME_MAX 32u

struct fw_blob_hdr {
	uint32_t magic, version;
	uint32_t size;		/* of the whole blob */
	uint32_t nchains, nrules, nmatches, nsets, nelems;
	uint32_t chain_off, rule_off, match_off, set_off, elem_off;
	uint32_t reserved[3];
};

/* Verdicts of a rule and policies of a base chain. */
enum fw_verdict {
	FW_V_CONTINUE,	/* a rule without verdict (counter only) */
	FW_V_ACCEPT,
	FW_V_DROP,
	FW_V_REJECT,
	FW_V_JUMP,
	FW_V_GOTO,
	FW_V_RETURN,
	FW_V_COUNT
};

struct fw_chain {
	uint32_t first_rule, nrules;
	int32_t prio;
	uint8_t base;		/* 1: a base chain on the forward hook */
	uint8_t policy;		/* FW_V_ACCEPT or FW_V_DROP (base chains) */
	uint8_t pad[2];
	char name[FW_NAME_MAX];
};

struct fw_rule {
	uint32_t first_match, nmatches;
	uint8_t verdict;	/* enum fw_verdict */
	uint8_t counter;	/* the rule has a counter statement */
	uint8_t reject_tcp;	/* reject with tcp reset */
	uint8_t pad;
	uint32_t target;	/* chain index of jump/goto */
	uint32_t line;		/* in the source file, for reports */
	uint32_t pad2;
};

/* The fields a match can read. */
enum fw_field {
	FW_F_IIF,	/* 1 byte: FW_IF_GUEST or FW_IF_HOST */
	FW_F_OIF,
	FW_F_ETHER_SADDR, FW_F_ETHER_DADDR,	/* 6 bytes */
	FW_F_IP_SADDR, FW_F_IP_DADDR,		/* 4 */
	FW_F_IP6_SADDR, FW_F_IP6_DADDR,		/* 16 */
	FW_F_L4PROTO,				/* 1 */
	FW_F_IP_PROTOCOL, FW_F_IP6_NEXTHDR,	/* 1 */
	FW_F_TCP_SPORT, FW_F_TCP_DPORT,		/* 2 */
	FW_F_UDP_SPORT, FW_F_UDP_DPORT,		/* 2 */
	FW_F_TCP_FLAGS,				/* 1 */
	FW_F_ICMP_TYPE, FW_F_ICMP6_TYPE,	/* 1 */
	FW_F_CT_STATE,				/* 1: bit per FW_CT_* state */
	FW_F_NFPROTO,				/* 1: FW_NFPROTO_IPV4 or _IPV6 */
	FW_F_COUNT
};

enum fw_if { FW_IF_GUEST = 1, FW_IF_HOST = 2 };

/* meta nfproto's values, as Linux's NFPROTO_IPV4 and NFPROTO_IPV6. */
enum fw_nfproto { FW_NFPROTO_IPV4 = 2, FW_NFPROTO_IPV6 = 10 };

enum fw_op {
	FW_OP_RANGE,	/* a <= value <= b, bytes compared big-endian */
	FW_OP_SET,	/* value in set[set] */
	FW_OP_ANY,	/* (value & a) != 0 */
	FW_OP_MASKEQ,	/* (value & a) == b */
	FW_OP_COUNT
};

#define FW_KEY_MAX 16u

struct fw_match {
	uint8_t field, op, neg, len;	/* len: bytes of the field's value */
	uint32_t set;
	uint8_t a[FW_KEY_MAX], b[FW_KEY_MAX];
};

/* A set: sorted, disjoint closed intervals [lo, hi] (a plain element is
 * lo == hi), so one binary search answers element and interval sets. */
struct fw_set {
	uint32_t first_elem, nelems;
	uint8_t field, len;
	uint8_t pad[6];
	char name[FW_NAME_MAX];
};

struct fw_elem {
	uint8_t lo[FW_KEY_MAX], hi[FW_KEY_MAX];
};

/* 0 when blob[0 .. len) is a policy the engine can run; else -1 and *why. */
int fw_blob_check(const void *blob, size_t len, const char **why);
/* The width of a field's value in bytes (0: no such field). */
unsigned fw_field_len(unsigned field);
/* -1, 0, 1 as a is below, equal to or above b (len bytes, big-endian). */
int fw_key_cmp(const uint8_t *a, const uint8_t *b, unsigned len);

/* ---- connection tracking ------------------------------------------------ */

enum fw_ct_state {
	FW_CT_INVALID = 0, FW_CT_ESTABLISHED, FW_CT_RELATED, FW_CT_NEW, FW_CT_UNTRACKED
};
/* ct state bit values, as nft's (invalid 1, established 2, related 4, new 8,
 * untracked 64). */
#define FW_CT_BIT(s) ((s) == FW_CT_UNTRACKED ? 64u : 1u << (s))

enum fw_tcp_state {
	FW_TCP_NONE, FW_TCP_SYN_SENT, FW_TCP_SYN_RECV, FW_TCP_ESTABLISHED,
	FW_TCP_FIN_WAIT, FW_TCP_CLOSE_WAIT, FW_TCP_LAST_ACK, FW_TCP_TIME_WAIT,
	FW_TCP_CLOSE, FW_TCP_COUNT
};

/* One direction of a TCP flow, as Linux's struct ip_ct_tcp_state. */
struct fw_tcp_seen {
	uint32_t end;		/* highest sequence sent + 1 */
	uint32_t maxend;	/* highest ack + window the peer granted */
	uint32_t maxwin;	/* largest window seen */
	uint32_t maxack;	/* highest ack this side sent (FW_SEEN_MAXACK) */
	uint8_t wscale;
	uint8_t flags;		/* FW_SEEN_* */
};
#define FW_SEEN_WSCALE 1u	/* the SYN carried a window scale option */
#define FW_SEEN_LIBERAL 2u	/* picked up mid-stream: no window checks */
#define FW_SEEN_MAXACK 8u	/* maxack holds an ack of this side */
#define FW_SEEN_SET 4u		/* end/maxend are known */

struct fw_ct_entry {
	uint8_t saddr[16], daddr[16];	/* original direction */
	uint16_t sport, dport;
	uint8_t alen, proto;
	uint8_t tcp;		/* enum fw_tcp_state */
	uint8_t seen_reply;
	/* Linux's assured: TCP once established, others once replied to; a
	 * flow without it may give its place to a new one in a full table */
	uint8_t assured;
	uint8_t side;		/* the caller's: which side opened it (the ids) */
	uint64_t expires;
	uint32_t next;		/* bucket chain; FW_CT_NIL ends it */
	uint32_t used;		/* 1 while in the table */
	struct fw_tcp_seen seen[2];
};
#define FW_CT_NIL 0xffffffffu

struct fw_frag_entry {
	uint8_t saddr[16], daddr[16];
	uint32_t id;
	uint8_t alen, proto;
	uint64_t expires;	/* 0: a free slot */
};

struct fw_ct {
	uint32_t bucket[FW_CT_BUCKETS];
	uint32_t free_head, count, hand;
	uint32_t fresh;		/* e[fresh ..] were never handed out (a cheap init) */
	struct fw_ct_entry e[FW_CT_MAX];
	struct fw_frag_entry frag[FW_FRAG_MAX];
	uint32_t frag_hand;
	uint64_t key[2];	/* of the bucket hash (SipHash-1-3): secret, random */
	uint64_t full_drops;
	uint64_t early_drops;	/* unassured flows that gave their place */
};

/* What conntrack found for a frame, before the rules ran. */
struct fw_ct_result {
	uint8_t state;		/* enum fw_ct_state */
	uint8_t dir;		/* 0 original, 1 reply */
	uint32_t entry;		/* FW_CT_NIL: none (new or invalid) */
};

/* The bucket hash's key: FW_CT_KEY_BYTES of randomness the guest cannot
 * know or choose, or it picks flows that share one bucket offline and
 * makes each lookup walk all of them (FW_CT_MAX steps per frame). */
#define FW_CT_KEY_BYTES 16
void fw_ct_init(struct fw_ct *ct, const uint8_t key[FW_CT_KEY_BYTES]);
/* Classifies p and updates an existing flow (as Linux does before the
 * filter runs). A new flow is only created by fw_ct_confirm. */
void fw_ct_in(struct fw_ct *ct, const struct fw_pkt *p, uint64_t now, struct fw_ct_result *r);
/* The frame was accepted: a new flow enters the table. Returns -1 and counts
 * a drop where the table is full. */
int fw_ct_confirm(struct fw_ct *ct, const struct fw_pkt *p, uint64_t now,
		  const struct fw_ct_result *r);
/* The same, and *entry: the new flow's index in ct->e (FW_CT_NIL when none
 * was entered), for a caller keeping state of its own per flow. */
int fw_ct_confirm_at(struct fw_ct *ct, const struct fw_pkt *p, uint64_t now,
		     const struct fw_ct_result *r, uint32_t *entry);
/* Fragments: whether p is a later fragment of a datagram whose first
 * fragment was accepted, and remembering an accepted first fragment. */
bool fw_frag_known(struct fw_ct *ct, const struct fw_pkt *p, uint64_t now);
void fw_frag_remember(struct fw_ct *ct, const struct fw_pkt *p, uint64_t now);
/* The live entry p's flow has, FW_CT_NIL when none, and p's direction in
 * it: nothing changes (a caller keeps a copy to undo what fw_ct_in does). */
uint32_t fw_ct_find(struct fw_ct *ct, const struct fw_pkt *p, uint64_t now, uint8_t *dir);
/* Entry idx leaves the table (a caller undoing a confirm). */
void fw_ct_forget(struct fw_ct *ct, uint32_t idx);
/* Flows in the table (expired ones not yet reused count too). */
uint32_t fw_ct_count(const struct fw_ct *ct);
/* The bucket p's flow lies in, both directions (tests, diagnostics). */
uint32_t fw_ct_bucket(const struct fw_ct *ct, const struct fw_pkt *p);

/* Whether a `reject` may answer p (src/fw/reject.c): false when either MAC
 * is a group's, or an address is not unicast (IPv4: 0/8, 224/4 and above,
 * so multicast and 255.255.255.255; IPv6: multicast, or an unspecified
 * source), or p is neither IPv4 nor IPv6. The frame is dropped either way. */
bool fw_reject_may_answer(const struct fw_pkt *p);

/* ---- the engine ---------------------------------------------------------- */

struct fw_counter {
	uint64_t packets, bytes;
};

struct fw_stats {
	uint64_t frames, bytes, accepted, dropped, rejected, invalid;
	uint64_t ct_full, frag_dropped, jump_overflow;
};

struct fw_engine {
	const uint8_t *blob;
	const struct fw_blob_hdr *hdr;
	const struct fw_chain *chains;
	const struct fw_rule *rules;
	const struct fw_match *matches;
	const struct fw_set *sets;
	const struct fw_elem *elems;
	struct fw_counter rule_counter[FW_RULES_MAX];
	struct fw_stats stats;
	unsigned parse_flags;	/* FW_PARSE_*: 0 (all checks) unless the caller sets it */
	uint8_t reject_tcp;	/* the last verdict's rule said `reject with tcp reset` */
	struct fw_ct ct;
};

/* The blob must have passed fw_blob_check and outlive the engine; ct_key:
 * conntrack's hash key (fw_ct_init). */
void fw_engine_init(struct fw_engine *fw, const void *blob, const uint8_t ct_key[FW_CT_KEY_BYTES]);
/* The verdict for one frame arriving on iif (FW_IF_GUEST or FW_IF_HOST) and
 * leaving by the other: FW_V_ACCEPT, FW_V_DROP or FW_V_REJECT. */
unsigned fw_filter(struct fw_engine *fw, const uint8_t *frame, size_t len, unsigned iif,
		   uint64_t now);

#endif
