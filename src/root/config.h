/* SPDX-License-Identifier: MIT */
/*
 * The operator's description of one stack: from a JSON stack file, from
 * command-line flags, or both (flags win). Everything here is checked once,
 * against the named limits below; the rest of the root sees only a checked
 * struct rp_config.
 */
#ifndef RAMPART_CONFIG_H
#define RAMPART_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "root/jail.h"

#define RP_MAX_DISKS 4
#define RP_MAX_NETS 2
#define RP_MAX_NAME 64
#define RP_TAP_NAME_MAX 15 /* IFNAMSIZ - 1 */
#define RP_SERIAL_MAX 20   /* virtio-blk GET_ID */
#define RP_MAX_CPUS 8
#define RP_DEFAULT_MEM (256ULL << 20)
#define RP_DEFAULT_CMDLINE "console=ttyS0 reboot=k panic=-1"
#define RP_MAX_LAYERS 8
/* An inline policy in a stack file (a wrapper's JSON object, compacted):
 * a few ranges and limits take a few hundred bytes; a longer one belongs
 * in a file of its own ("rules"). */
#define RP_INLINE_POLICY_MAX 8192
/* An ids layer's "vars" (Suricata's address and port groups): at most
 * RP_IDS_VARS_MAX of them, in RP_IDS_VARS_TEXT_MAX bytes all together
 * (Debian's suricata.yaml sets 24 in under 1 KiB); each one is an argument
 * of the policy compiler. */
#define RP_IDS_VARS_MAX 64
#define RP_IDS_VARS_TEXT_MAX 4096
#define RP_LAYER_KIND_MAX 15
#define RP_LAYER_VARIANT_MAX 7
#define RP_MAX_LAYER_ARGS 6
#define RP_DEFAULT_LAYER_MEM (8ULL << 20)
/* A watch layer's default timing: a guest on hardware KVM boots in a few
 * seconds; a check a second costs it a few ms (docs/watch.md). */
#define RP_WATCH_START_MS 10000
#define RP_WATCH_INTERVAL_MS 1000

struct rp_disk {
	char path[PATH_MAX];
	char serial[RP_SERIAL_MAX + 1];
	bool read_only;
};

struct rp_net {
	char tap[RP_TAP_NAME_MAX + 1];
	uint8_t mac[6];
};

/*
 * cgroup v2 limits on the root (its own cgroup, cgroup.c). cpu.max's
 * period; a quota below the kernel's minimum (1 ms) is refused.
 */
#define RP_CPU_PERIOD_US 100000
#define RP_CPU_QUOTA_MIN_US 1000
/* A host of more CPUs than this is no host the limit is meant for: a typo (150 for 1.5). */
#define RP_CPU_LIMIT_MAX 1024
/*
 * Memory the root needs beyond its guests' and layers' own: its code, the
 * images it reads, the rings' copies, KVM's per-vCPU pages. A limit below
 * the stack's memory plus this would only have the kernel's OOM killer end
 * the stack later, mid-run: refused up front instead.
 */
#define RP_MEM_LIMIT_ROOT (64ULL << 20)

struct rp_limits {
	uint32_t cpu_quota_us; /* cpu.max per RP_CPU_PERIOD_US; 0: no limit */
	uint64_t memory;       /* memory.max in bytes; 0: no limit */
	char cpus_text[24];    /* as given, for messages */
};

struct rp_config {
	char name[RP_MAX_NAME];
	char kernel[PATH_MAX];
	char initrd[PATH_MAX]; /* "" when none */
	char cmdline[2048];
	uint64_t mem;
	unsigned cpus;
	struct rp_disk disks[RP_MAX_DISKS];
	unsigned ndisks;
	struct rp_net nets[RP_MAX_NETS];
	unsigned nnets;
	char log_path[PATH_MAX]; /* "" = stderr */

	/* A layered stack (bottom first; the last is the top). */
	char layers[RP_MAX_LAYERS][RP_LAYER_KIND_MAX + 1];
	/* Each layer's variant of the layer kernel; "" = the default, config_layer_variant. */
	char layer_variants[RP_MAX_LAYERS][RP_LAYER_VARIANT_MAX + 1];
	unsigned nlayers;
	/* "" = the folder of the rampart binary; a folder: its layer-VARIANT.elf images;
	 * a file: one image for every layer (no layer may then name a variant). */
	char layer_image[PATH_MAX];
	uint64_t layer_mem;         /* each layer's own share */
	uint64_t layer_args[RP_MAX_LAYER_ARGS];
	unsigned nlayer_args;
	uint64_t echo_words; /* the root test device's echo sequence length */
	struct jail_config jail; /* --no-jail, --jail-user (jail.h) */
	char manifest[PATH_MAX]; /* approved layer-image hashes; "" = measure and log only */
	/* A policy-carrying layer's rule file (firewall): from its stack file
	 * entry ("rules"), or --rules KEY=FILE (KEY a kind or a layer number,
	 * 1 = the bottom; flags win). config_layer_rules says which applies. */
	char layer_rules[RP_MAX_LAYERS][PATH_MAX];
	/* Or its policy inline in the stack file ("policy": an object, a
	 * wrapper's), as compact JSON; "" when none. --rules still wins. */
	char layer_policy[RP_MAX_LAYERS][RP_INLINE_POLICY_MAX];
	/* An ids layer's rule variables ("vars": {"HOME_NET": "[10.0.0.0/8]"}),
	 * each "NAME=VALUE" with its NUL, an empty string after the last; handed
	 * to the policy compiler as --var NAME=VALUE. */
	char layer_vars[RP_MAX_LAYERS][RP_IDS_VARS_TEXT_MAX];
	char rules_key[RP_MAX_LAYERS][RP_LAYER_KIND_MAX + 1];
	char rules_path[RP_MAX_LAYERS][PATH_MAX];
	unsigned nrules;
	/* A watch layer's timing (ms): its stack-file entry's start_after_ms and
	 * interval_ms, or --watch START,INTERVAL for every watch layer. */
	uint64_t watch_start_ms[RP_MAX_LAYERS], watch_interval_ms[RP_MAX_LAYERS];
	struct rp_limits limits; /* "limits", --cpus-limit, --memory-limit */
	bool restart; /* on an integrity violation: restart the layer (else halt the stack) */
};

void config_defaults(struct rp_config *c);

/*
 * Read a stack file into c. Relative paths in it are taken from the file's
 * folder. 0, or -1 with one line naming the field and the fault in err.
 */
int config_load_file(struct rp_config *c, const char *path, char *err, size_t errlen);
/* Same, from text already in memory (base: folder for relative paths). */
int config_load_text(struct rp_config *c, const char *text, const char *base, char *err,
		     size_t errlen);

/* Flag values, as the command line gives them. */
int config_parse_mem(const char *s, uint64_t *out);
int config_parse_mac(const char *s, uint8_t mac[6]);
int config_add_disk(struct rp_config *c, const char *spec, char *err, size_t errlen);
int config_add_net(struct rp_config *c, const char *spec, char *err, size_t errlen);

/* "KIND[@VARIANT],...": the layers from the root up (VARIANT: gcc or clang). */
int config_add_layers(struct rp_config *c, const char *list, char *err, size_t errlen);
/* The layer kernel's variants, NULL-terminated: "gcc", "clang". */
extern const char *const config_variants[];
/* Layer i's variant: its own, or by default one that differs from the layer below. */
const char *config_layer_variant(const struct rp_config *c, unsigned i);
/* "KEY=FILE" of --rules (KEY: a layer kind, or a layer's number from 1). */
int config_add_rules(struct rp_config *c, const char *spec, char *err, size_t errlen);
/* Layer i's rule file ("" when none). */
const char *config_layer_rules(const struct rp_config *c, unsigned i);
/* Layer kinds that boot a Linux guest (take --kernel, go on top): vmm and its tests'. */
bool config_kind_is_vmm(const char *kind);
/* Layer kinds that carry a policy (firewall, its test variant fwflaky, wrapper). */
bool config_kind_has_policy(const char *kind);
int config_add_layer_args(struct rp_config *c, const char *list, char *err, size_t errlen);
/* --watch START_MS,INTERVAL_MS: every watch layer's timing. */
int config_set_watch(struct rp_config *c, const char *spec, char *err, size_t errlen);

/* A CPU limit: a number of CPUs, 0.01..RP_CPU_LIMIT_MAX ("1.5"); 0 or -1. */
int config_parse_cpu_limit(const char *s, struct rp_limits *l);
/* The memory the stack itself needs (guest, layers, the root): the floor of a memory limit. */
uint64_t config_mem_floor(const struct rp_config *c);
/* Final checks once file and flags are merged. */
/* The violation policy, "halt" or "restart"; 0, or -1 with *err. */
int config_set_policy(struct rp_config *c, const char *v, char *err, size_t errlen);
int config_check(const struct rp_config *c, char *err, size_t errlen);

#endif
