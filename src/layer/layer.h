/* SPDX-License-Identifier: MIT */
/*
 * The layer kernel: one binary, the personality chosen by the boot info's
 * kind (include/rampart/kinds.h). It runs at CPL 3, identity-mapped (a
 * pointer is a guest-physical address), entered at _start (start.S) with
 * rdi = the boot info. The production images (build/layer-*.elf) run
 * pass, firewall, wrapper, ids, watch and vmm (main.c, vmm.c); every other
 * kind is a test personality, only in the test images (build/test/,
 * RP_TEST_BUILD: testkinds.c and the files it names).
 *
 * Personalities and their args (boot info args[]):
 *  "pass"  transparent: args[0] = child memory (bytes, 2 MiB multiple);
 *          args[1..] are the child's args[0..]. Every port I/O exit of the
 *          child is done again, unchanged, by the pass layer itself.
 *  "test"  as pass, but answers the child's test ports itself (the exit is
 *          handled by the immediate parent): args[3] = n, the words
 *          1, 2, ..., n then 0 answered on port 0x608; checks the sum on
 *          0x60c; counts 0x600 doorbells; logs a summary.
 *  "ropass" as pass, and maps the last 2 MiB of its own memory into the
 *          child read-only at child gpa args[0] (just past the child's
 *          memory): the read-only range "abuse" needs for RW-from-RO.
 *  "tick"  as pass, and arms RP_HC_TIMER(its last nonzero arg, ns) again
 *          after each RP_EXIT_EVENT; logs "event depth=D count=N" at the end.
 *  "abuse" a top layer: every hypercall with bad arguments, each error code
 *          checked against the ABI ("ok NAME" / "FAIL NAME: got X want Y"),
 *          then RP_HC_EXIT(failures). args[0] = 1: the parent is a ropass.
 *  "churn" a top layer: creates and destroys a child VM (vCPU, 2 MiB map)
 *          10 times, waits args[0] ms (default 300), args[1] times more
 *          (default 1000), waits again, exits 0 (or the failure count).
 *  "sealfill" a top layer (tests only): seals pages of its memory into
 *          children until the root refuses one (see sealfill.c).
 *  "flood" a top layer (tests only): args[0] refused calls and as many log
 *          calls (see flood.c).
 *  "io"    a test guest that drives its parent's disk and network (see
 *          iotest.c): args[0] = sectors, args[1] = frames sent, args[2] =
 *          frames received.
 *  "badring" a test guest that points its parent's disk at memory it may
 *          not write (its code, system area, page tables, read-only data;
 *          see badring.c): args[0] = the mode.
 *  "spin"  a test guest, no hypercalls: args[0] = mode, args[1] = n (see
 *          spin.c); ends with `out` of its exit code to port 0x6f0.
 *  "canary", "overrun": tests of the stack protector (see guard.h).
 */
#ifndef RAMPART_LAYER_LAYER_H
#define RAMPART_LAYER_LAYER_H

#include <stdint.h>

#include "rampart/abi.h"

/* The ports (RP_PORT_*, RP_TPORT_*) and the kinds: include/rampart/abi.h, kinds.h. */

#define LAYER_CODE_DEAD 0xdead /* the child crashed */
#define LAYER_CODE_BAD 0xbad   /* bad boot info, or a failed check */

uint64_t layer_main(const struct rp_boot_info *info);
/* The pass family's loop, kind its number (main.c); and its handling of exits all parents share. */
__attribute__((noreturn)) void pass_main(const struct rp_boot_info *info, int kind);
void layer_common_exit(const char *who, const struct rp_exit *ex);

/* The test personalities' loops: the test images only (testkinds.c). */
__attribute__((noreturn)) void spin_main(const struct rp_boot_info *info);
__attribute__((noreturn)) void abuse_main(const struct rp_boot_info *info);
__attribute__((noreturn)) void churn_main(const struct rp_boot_info *info);
__attribute__((noreturn)) void sealfill_main(const struct rp_boot_info *info);
__attribute__((noreturn)) void flood_main(const struct rp_boot_info *info);
/* "hog" (tests only, a pass): takes its quotas' VMs and vCPUs first (hog.c). */
void hog_fill(const struct rp_boot_info *info);
__attribute__((noreturn)) void io_main(const struct rp_boot_info *info);
__attribute__((noreturn)) void badring_main(const struct rp_boot_info *info);

/* The spin guest's cpu mode: n rounds of xorshift64 from a fixed seed,
 * folded to 32 bits (the root's test harness computes the same). */
uint32_t spin_cpu(uint64_t n);

#endif
