/* SPDX-License-Identifier: MIT */
/*
 * The ids layer's policy blob (docs/ids.md, "In-line layer"): written by
 * rampart-policy compile (tools/policy/ids_blob.c) from a Snort 3 /
 * Suricata rule file, read by the ids layer (src/layer/idsl.c) from a page
 * the root sealed. Fixed-size records, no pointers, little-endian integers
 * as on x86-64; offsets count from the blob's start and are multiples of 8.
 *
 *   header | rules[nrules] | patterns[npatterns] | Hyperscan database
 *
 * Each pattern is one `content` of one rule; a rule fires on a frame when
 * every one of its patterns matched in the frame's L4 payload, and its
 * protocol and ports are the frame's. The database is Hyperscan's
 * serialized form (hs_serialize_database) of every pattern, compiled for
 * the generic x86-64 platform (no AVX), pattern id = index in patterns[].
 */
#ifndef RAMPART_IDS_BLOB_H
#define RAMPART_IDS_BLOB_H

#include <stdint.h>

#define IDS_BLOB_MAGIC 0x53444952u /* "RIDS" */
#define IDS_BLOB_VERSION 1u
/* Rules in one blob: the per-frame bookkeeping is one word per rule, and
 * ET's whole open set is about 40,000 rules. */
#define IDS_BLOB_RULES_MAX 65536u
/* Contents per rule (ids.h allows 64 detection items per rule). */
#define IDS_BLOB_CONTENTS_MAX 64u
/* Port ranges per side of a rule: a longer list is not loaded in-line. */
#define IDS_BLOB_PORTS_MAX 8u
/* The rule's msg as logged: longer ones are cut (an alert line is one
 * RP_HC_LOG of at most RP_MAX_LOG bytes). */
#define IDS_BLOB_MSG_MAX 124u
/* The serialized database: a layer deserializes it into its own memory,
 * beside the scratch space (src/layer/idsl.c). */
#define IDS_BLOB_DB_MAX (1u << 20)

enum ids_blob_action { IDS_BLOB_ALERT = 1, IDS_BLOB_DROP = 2 };
/* A rule's protocol: IP matches every IP frame. */
enum ids_blob_proto { IDS_BLOB_IP = 0, IDS_BLOB_TCP = 6, IDS_BLOB_UDP = 17, IDS_BLOB_ICMP = 1 };

struct ids_blob_hdr {
	uint32_t magic, version;
	uint32_t size;          /* of the whole blob */
	uint32_t nrules, npatterns;
	uint32_t rule_off, pattern_off, db_off, db_size;
	uint32_t not_loaded;    /* rules of the file left out (the compiler said why) */
};

struct ids_blob_port {
	uint16_t lo, hi;
	uint8_t neg, pad[3];
};

struct ids_blob_rule {
	uint32_t sid, rev;
	uint8_t action, proto, bidir, ncontents;
	uint8_t nsport, ndport; /* 0: any */
	uint8_t pad[2];
	uint32_t line;          /* in the rule file */
	struct ids_blob_port sport[IDS_BLOB_PORTS_MAX], dport[IDS_BLOB_PORTS_MAX];
	char msg[IDS_BLOB_MSG_MAX]; /* NUL-terminated */
};

/* Patterns are in rule order: rule i's contents follow rule i - 1's. */
struct ids_blob_pattern {
	uint32_t rule; /* index in rules[] */
};

/* 0 when blob[0 .. size) is a well-formed ids blob (blob.c), else -1 and
 * *why says what is wrong. blob must be 8-byte aligned. */
int ids_blob_check(const void *blob, uint64_t size, const char **why);

#endif
