/* SPDX-License-Identifier: MIT */
/*
 * A layered stack on the fake KVM (fake_kvm.h), for the tests and the
 * fuzzer of the root's hypercalls (tests/unit/test_ln_hc.c,
 * fuzz/fuzz_ln_hc.c): the root's own tree, seal and hypercall code
 * (src/root/ln_*.c), unchanged, builds it. The tree:
 *
 *   bottom (layer 1, LF_MEM)  vCPUs v0 (runs A), v1 (runs B), v2 (idle)
 *   +- A  at bottom's LF_A_GPA, LF_A_MEM   vCPU va (runs A1)
 *   |  +- A1 at A's LF_A1_GPA, LF_A1_MEM   vCPU va1
 *   +- B  at bottom's LF_B_GPA, LF_B_MEM   vCPU vb
 *
 * each a ring-3 VM built by ring3_build from one tiny image (its text the
 * stack's approved code), mapped in ring3_layout's layout by its parent's
 * RP_HC_VM_MAP calls, its state set by RP_HC_VCPU_SET and its tables
 * walked and sealed by RP_HC_VCPU_RUN. Bottom's memory from LF_FREE_GPA
 * is free for more children.
 *
 * lf_hc makes one call as a layer would and then checks: nothing outside
 * the caller's subtree changed (its VMs' maps, handles, vCPUs, their
 * state in KVM, seals, events), exactly when the call was refused, and
 * when it succeeded but for W taken or given back by a seal of the
 * caller's subtree; the root wrote no byte of memory the caller cannot
 * write (all the rest is PROT_READ during the call); and the stack's
 * invariants (lf_check) hold.
 */
#ifndef RAMPART_LN_FIXTURE_H
#define RAMPART_LN_FIXTURE_H

#include "root/ln.h"

#define LF_MIB (1ULL << 20)
#define LF_MEM (24 * LF_MIB)
#define LF_A_GPA (4 * LF_MIB)
#define LF_A_MEM (8 * LF_MIB)
#define LF_A1_GPA (4 * LF_MIB)
#define LF_A1_MEM (4 * LF_MIB)
#define LF_B_GPA (12 * LF_MIB)
#define LF_B_MEM (4 * LF_MIB)
#define LF_FREE_GPA (16 * LF_MIB)
/* In every layer's own memory: a vCPU state, an exit record, text. */
#define LF_STATE_GPA 0x300000ULL
#define LF_EXIT_GPA 0x301000ULL
#define LF_TEXT_GPA 0x302000ULL
/* The tiny image's text (R|X) and read-only data, as ring3_layout puts them. */
#define LF_TEXT 0x200000ULL
#define LF_RODATA 0x201000ULL
#define LF_DATA 0x202000ULL

#define LF_PENDING INT64_MIN /* the call did not return (a run, an exit) */

struct lf {
	struct ln_root *r;
	struct ln_result res;
	struct ln_stack stack;
	uint8_t *mem;
	uint8_t *elf;
	uint64_t elf_size;
	struct ln_node *bottom, *a, *a1, *b;
	struct ln_vcpu *v0, *v1, *v2, *va, *va1, *vb;
	uint64_t h_a, h_b, h_a1, hv_a, hv_b, hv_a1; /* handles, as their parents hold them */
	unsigned a_maps; /* A's maps before A1 was made */
	bool faults;     /* fk_fail_at was set: KVM may have failed midway */
	/* A failed call of lf_child: its number and answer. */
	uint32_t refused_nr;
	int64_t refused_ret;
};

/* NULL, or what went wrong. */
const char *lf_build(struct lf *f);
/* The stack freed as the root frees it (invariant 7): NULL, or what it left behind. */
const char *lf_free(struct lf *f);
/* The call nr(a) by v's layer, unchecked: its answer, or LF_PENDING. */
int64_t lf_call(struct lf *f, struct ln_vcpu *v, uint32_t nr, const uint64_t a[5]);
/* The same, checked as the header says: NULL, or the first thing that broke. */
const char *lf_hc(struct lf *f, struct ln_vcpu *v, uint32_t nr, const uint64_t a[5],
		  int64_t *ret);
/* The stack's invariants: NULL, or the first that does not hold. */
const char *lf_check(struct lf *f);
/*
 * A ring-3 child of pv's layer in its memory at gpa (size mem): made,
 * mapped, its state set, and run when run is set (its tables walked and
 * sealed). Each call checked by lf_hc. NULL; lf_refused when a call was
 * refused (or the memory is not pv's to write), the child left as far as
 * it got; else the check that failed.
 */
extern const char lf_refused[];
const char *lf_child(struct lf *f, struct ln_vcpu *pv, uint64_t gpa, uint64_t mem, bool run,
		     uint64_t *h, uint64_t *hv);
/* The host bytes of n's [gpa, gpa + len) when n may write them (as its CPU would), or NULL. */
uint8_t *lf_guest(struct ln_node *n, uint64_t gpa, uint64_t len);

#endif
