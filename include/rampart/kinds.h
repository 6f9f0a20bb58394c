/* SPDX-License-Identifier: MIT */
/*
 * The layer kinds (the personalities of the layer kernel, src/layer), the
 * one list the root (src/root/config.c: what a stack may name) and the
 * layer (src/layer/main.c: what it runs) both read.
 *
 * Invariants this file keeps:
 *  1. A kind flagged RP_KF_TEST (an attack on the root, a test guest, a
 *     personality that only exists to be checked) is built only into the
 *     test images (build/test/layer-*.elf) and accepted only by the test
 *     build of the root (build/test/rampart-test): both are built with
 *     RP_TEST_BUILD, and the production root and images compile none of
 *     their code (tests/layers/images.sh greps the symbols).
 *  2. A kind's name and number are the same in both builds, so that a
 *     test image and a production image agree on what a name means.
 *
 * X(ID, name, flags), in the pass family's order first: pass_main
 * (src/layer/main.c) takes the kind's number, RP_KIND_PASS .. RP_KIND_MAPINFO.
 */
#ifndef RAMPART_KINDS_H
#define RAMPART_KINDS_H

#include <stddef.h>

#define RP_KF_TEST 0x01   /* a test personality (invariant 1) */
#define RP_KF_PASS 0x02   /* runs as pass_main(kind): a parent of one child */
#define RP_KF_TOP 0x04    /* may be the top of a stack (needs no child) */
#define RP_KF_HANDS 0x08  /* hands a disk and network on to its child */
#define RP_KF_DEVTOP 0x10 /* a top that takes the disk and network */
#define RP_KF_POLICY 0x20 /* its first payload is a policy blob the root compiles */
#define RP_KF_LINUX 0x40  /* a top that boots the Linux guest (--kernel): a vmm */

#define RP_KF_T RP_KF_TEST
#define RP_KF_P RP_KF_PASS

#define RP_LAYER_KINDS(X)                                                              \
	X(PASS, "pass", RP_KF_P | RP_KF_HANDS)                                         \
	X(ROPASS, "ropass", RP_KF_T | RP_KF_P | RP_KF_HANDS)                           \
	X(TICK, "tick", RP_KF_T | RP_KF_P | RP_KF_HANDS)                               \
	X(UNPIN, "unpin", RP_KF_T | RP_KF_P)                                           \
	X(SMASH, "smash", RP_KF_T | RP_KF_P)                                           \
	X(SCRIBBLE, "scribble", RP_KF_T | RP_KF_P)                                     \
	X(PTSCRIBBLE, "ptscribble", RP_KF_T | RP_KF_P)                                 \
	X(WXMAP, "wxmap", RP_KF_T | RP_KF_P)                                           \
	X(BADCODE, "badcode", RP_KF_T | RP_KF_P)                                       \
	X(WXPTE, "wxpte", RP_KF_T | RP_KF_P)                                           \
	X(EXECDATA, "execdata", RP_KF_T | RP_KF_P)                                     \
	X(LOADCR3, "loadcr3", RP_KF_T | RP_KF_P)                                       \
	X(FLAKY, "flaky", RP_KF_T | RP_KF_P | RP_KF_HANDS)                             \
	X(ROWRITE, "rowrite", RP_KF_T | RP_KF_P)                                       \
	X(PTWRITE, "ptwrite", RP_KF_T | RP_KF_P)                                       \
	X(DTWRITE, "dtwrite", RP_KF_T | RP_KF_P)                                       \
	X(PTLOOP, "ptloop", RP_KF_T | RP_KF_P)                                         \
	X(IDTWRITE, "idtwrite", RP_KF_T | RP_KF_P)                                     \
	X(SPLITSYS, "splitsys", RP_KF_T | RP_KF_P)                                     \
	X(PTALIAS, "ptalias", RP_KF_T | RP_KF_P)                                       \
	X(RING0, "ring0", RP_KF_T | RP_KF_P)                                           \
	X(SYSALIAS, "sysalias", RP_KF_T | RP_KF_P)                                     \
	X(GUESTPORT, "guestport", RP_KF_T | RP_KF_P)                                   \
	X(RESEAL, "reseal", RP_KF_T | RP_KF_P)                                         \
	X(HOG, "hog", RP_KF_T | RP_KF_P | RP_KF_TOP)                                   \
	X(FIREWALL, "firewall", RP_KF_P | RP_KF_HANDS | RP_KF_POLICY)                  \
	X(FWFLAKY, "fwflaky", RP_KF_T | RP_KF_P | RP_KF_HANDS | RP_KF_POLICY)          \
	X(WRAPPER, "wrapper", RP_KF_P | RP_KF_HANDS | RP_KF_POLICY)                    \
	X(IDS, "ids", RP_KF_P | RP_KF_HANDS | RP_KF_POLICY)                            \
	X(RELROWRITE, "relrowrite", RP_KF_T | RP_KF_P)                                 \
	X(WATCH, "watch", RP_KF_P | RP_KF_HANDS | RP_KF_POLICY)                        \
	X(MAPINFO, "mapinfo", RP_KF_T | RP_KF_P)                                       \
	X(VMM, "vmm", RP_KF_TOP | RP_KF_DEVTOP | RP_KF_LINUX)                          \
	X(TEST, "test", RP_KF_T | RP_KF_TOP)                                           \
	X(SPIN, "spin", RP_KF_T | RP_KF_TOP)                                           \
	X(ABUSE, "abuse", RP_KF_T | RP_KF_TOP)                                         \
	X(CHURN, "churn", RP_KF_T | RP_KF_TOP)                                         \
	X(PAIR, "pair", RP_KF_T)                                                       \
	X(IO, "io", RP_KF_T | RP_KF_TOP | RP_KF_DEVTOP)                                \
	X(CANARY, "canary", RP_KF_T)                                                   \
	X(OVERRUN, "overrun", RP_KF_T | RP_KF_TOP)                                     \
	X(SEALFILL, "sealfill", RP_KF_T | RP_KF_TOP)                                   \
	X(FLOOD, "flood", RP_KF_T | RP_KF_TOP)                                         \
	X(BADRING, "badring", RP_KF_T | RP_KF_TOP | RP_KF_DEVTOP)                      \
	X(VMMHIDE, "vmmhide", RP_KF_T | RP_KF_TOP | RP_KF_DEVTOP | RP_KF_LINUX)

#define RP_KIND_ENUM(id, name, flags) RP_KIND_##id,
enum rp_kind { RP_LAYER_KINDS(RP_KIND_ENUM) RP_KINDS };
#undef RP_KIND_ENUM

struct rp_kind_info {
	const char *name;
	unsigned flags;
};

#define RP_KIND_INFO(id, name, flags) {name, flags},
__attribute__((unused)) static const struct rp_kind_info rp_kinds[RP_KINDS] = {
	RP_LAYER_KINDS(RP_KIND_INFO)};
#undef RP_KIND_INFO

/* The kind named by name[0..len) (no NUL needed), or -1. No libc: the layer reads it too. */
__attribute__((unused)) static int rp_kind_find(const char *name, size_t len)
{
	for (int k = 0; k < RP_KINDS; k++) {
		const char *n = rp_kinds[k].name;
		size_t i = 0;

		while (i < len && n[i] && n[i] == name[i])
			i++;
		if (i == len && !n[i])
			return k;
	}
	return -1;
}

/* Is this build one that runs the test personalities (invariant 1)? */
#ifdef RP_TEST_BUILD
#define RP_TESTS 1
#else
#define RP_TESTS 0
#endif

#endif
