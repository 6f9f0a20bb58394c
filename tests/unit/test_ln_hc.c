/* SPDX-License-Identifier: MIT */
/*
 * The root's hypercalls (src/root/ln_hc.c), maps and handles (ln_tree.c),
 * seals and page-table walk (ln_seal.c) on a fake KVM (fake_kvm.c), a
 * tree of ring-3 layers built by the root's own code (ln_fixture.h):
 * every call with hostile arguments from a layer of the tree, each answer
 * the one docs/abi.md documents, and after every call nothing outside the
 * caller's subtree changed and the stack's invariants hold (lf_hc).
 */
#include "unit.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "boot/ring3.h"
#include "fake_kvm.h"
#include "ln_fixture.h"

static struct lf *fix;

static int setup(void **state)
{
	const char *bad;

	fix = calloc(1, sizeof(*fix));
	assert_non_null(fix);
	bad = lf_build(fix);
	if (bad)
		fail_msg("the fake stack: %s", bad);
	*state = fix;
	return 0;
}

static int teardown(void **state)
{
	const char *bad = lf_free(fix);

	free(fix);
	if (bad)
		fail_msg("freeing the stack: %s", bad);
	return 0;
}

/* One call by v, checked (lf_hc); its answer. */
static int64_t hc(struct ln_vcpu *v, uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
		  uint64_t a3, uint64_t a4)
{
	const uint64_t a[5] = {a0, a1, a2, a3, a4};
	const char *bad;
	int64_t ret;

	bad = lf_hc(fix, v, nr, a, &ret);
	if (bad)
		fail_msg("call %u by %s: %s", nr, v->node->name, bad);
	return ret;
}

/* ---- the tree ---------------------------------------------------------------- */

/* The root's own code built it: each VM its parent's child, tables sealed, states pinned. */
static void test_tree(void **state)
{
	struct lf *f = *state;

	assert_ptr_equal(f->a->parent, f->bottom);
	assert_ptr_equal(f->b->parent, f->bottom);
	assert_ptr_equal(f->a1->parent, f->a);
	assert_int_equal(f->r->nodes, 4);
	assert_int_equal(f->r->nvcpus, 6);
	assert_true(f->va->sealed && f->vb->sealed && f->va1->sealed);
	assert_ptr_equal(f->v0->running, f->va);
	assert_ptr_equal(f->v1->running, f->vb);
	assert_ptr_equal(f->va->running, f->va1);
	assert_int_equal(f->res.violations, 0);
	assert_false(f->r->done);
	/* A's map of A1's memory was cut by A1's seals: more pieces than before. */
	assert_true(f->a->nmaps > f->a_maps);
	assert_null(lf_check(f));
}


/* ---- handles (invariant 3) ------------------------------------------------------ */

#define VCPU_H(vm, i) ((uint64_t)(vm) << 8 | (i))

static const uint64_t bad_vm[] = {0, 1, 2, 16, 17, 0xff, 1ULL << 32 | 1, UINT64_MAX};
static const uint64_t bad_vcpu[] = {0, VCPU_H(1, 0), VCPU_H(1, 1), VCPU_H(2, 0), VCPU_H(16, 7),
				    VCPU_H(17, 0), 1ULL << 40 | VCPU_H(1, 0), UINT64_MAX};

/* Every call that takes a handle, with h: EBADH, nothing changed. */
static void all_ebadh(struct ln_vcpu *v, uint64_t vm, uint64_t vcpu)
{
	assert_int_equal(hc(v, RP_HC_VM_MAP, vm, 0x800000, LF_STATE_GPA, 4096, RP_MAP_R), -RP_EBADH);
	assert_int_equal(hc(v, RP_HC_VCPU_CREATE, vm, 0, 0, 0, 0), -RP_EBADH);
	assert_int_equal(hc(v, RP_HC_IRQ_LINE, vm, 1, 1, 0, 0), -RP_EBADH);
	assert_int_equal(hc(v, RP_HC_POST, vm, RP_EV_NET, 0, 0, 0), -RP_EBADH);
	assert_int_equal(hc(v, RP_HC_ISR, vm, 0x1000, LF_STATE_GPA, 1, 0), -RP_EBADH);
	assert_int_equal(hc(v, RP_HC_VM_DESTROY, vm, 0, 0, 0, 0), -RP_EBADH);
	assert_int_equal(hc(v, RP_HC_VCPU_SET, vcpu, LF_STATE_GPA, 0, 0, 0), -RP_EBADH);
	assert_int_equal(hc(v, RP_HC_VCPU_GET, vcpu, LF_STATE_GPA, 0, 0, 0), -RP_EBADH);
	assert_int_equal(hc(v, RP_HC_VCPU_RUN, vcpu, LF_EXIT_GPA, 0, 0, 0), -RP_EBADH);
}

/*
 * B and A1 have no children: the handles that name A, B and A1 in their
 * parents' tables name nothing in theirs, nor does any other value.
 */
static void test_handles_of_others(void **state)
{
	struct lf *f = *state;

	for (unsigned i = 0; i < sizeof(bad_vm) / sizeof(bad_vm[0]); i++) {
		all_ebadh(f->vb, bad_vm[i], bad_vcpu[i]);
		all_ebadh(f->va1, bad_vm[i], bad_vcpu[i]);
	}
	/* A has one child, handle 1, with one vCPU: every other handle is nothing. */
	for (unsigned i = 2; i < sizeof(bad_vm) / sizeof(bad_vm[0]); i++)
		all_ebadh(f->va, bad_vm[i], bad_vcpu[i]);
	all_ebadh(f->va, 0, VCPU_H(1, 1));
	assert_int_equal(f->res.violations, 0);
}

/* A destroyed child's handles name nothing; a handle used again names the new VM only. */
static void test_destroyed_handles(void **state)
{
	struct lf *f = *state;

	assert_int_equal(hc(f->va, RP_HC_VM_DESTROY, f->h_a1, 0, 0, 0, 0), 0);
	assert_null(f->va->running);
	assert_int_equal(f->r->nodes, 3);
	all_ebadh(f->va, f->h_a1, f->hv_a1);
	assert_int_equal(hc(f->va, RP_HC_VM_DESTROY, f->h_a1, 0, 0, 0, 0), -RP_EBADH);
	/* The slot is taken again: the old vCPU handle names no vCPU of the new VM. */
	assert_int_equal(hc(f->va, RP_HC_VM_CREATE, 0, 0, 0, 0, 0), (int64_t)f->h_a1);
	assert_int_equal(hc(f->va, RP_HC_VCPU_SET, f->hv_a1, LF_STATE_GPA, 0, 0, 0), -RP_EBADH);
	assert_int_equal(hc(f->va, RP_HC_VCPU_RUN, f->hv_a1, LF_EXIT_GPA, 0, 0, 0), -RP_EBADH);
	/* Layer 1 destroys A and its subtree: B is untouched (lf_hc checks it). */
	assert_int_equal(hc(f->v0, RP_HC_VM_DESTROY, f->h_a, 0, 0, 0, 0), 0);
	assert_null(f->v0->running);
	assert_int_equal(f->r->nodes, 2);
	assert_int_equal(f->r->nvcpus, 4);
	all_ebadh(f->v0, f->h_a, f->hv_a);
}

/* ---- maps (invariant 2) ------------------------------------------------------- */

#define FREE_CGPA 0x800000ULL /* a child address no map of A1 holds */

static int64_t map(struct ln_vcpu *v, uint64_t h, uint64_t cgpa, uint64_t mine, uint64_t size,
		   uint64_t rights)
{
	return hc(v, RP_HC_VM_MAP, h, cgpa, mine, size, rights);
}

/* Outside the caller's memory, across its end, in its system area. */
static void test_map_outside(void **state)
{
	struct lf *f = *state;

	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_A_MEM, 4096, RP_MAP_R), -RP_ERANGE);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_A_MEM - 4096, 8192, RP_MAP_R),
			 -RP_ERANGE);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, 1ULL << 40, 4096, RP_MAP_R), -RP_ERANGE);
	/* Layer 1's memory beyond A's: A's addresses do not reach it. */
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_B_GPA, 4096, RP_MAP_R), -RP_ERANGE);
	/* B reaching A's memory: B's memory is only its own 4 MiB. */
	assert_int_equal(map(f->vb, 1, FREE_CGPA, LF_A_GPA, 4096, RP_MAP_R), -RP_EBADH);
	/* Its own system area (page tables, GDT): the CPU's alone. */
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, RING3_PT_GPA, 4096, RP_MAP_R), -RP_EPERM);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, RING3_GDT_GPA, 4096, RP_MAP_R), -RP_EPERM);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, RP_IMAGE_BASE - 4096, 8192, RP_MAP_R),
			 -RP_EPERM);
}

/* Ends past 2^64, sizes and alignments. */
static void test_map_wrapping(void **state)
{
	struct lf *f = *state;
	const uint64_t top = UINT64_MAX - 0xfff; /* the last page */

	assert_int_equal(map(f->va, f->h_a1, top, LF_STATE_GPA, 4096, RP_MAP_R), -RP_ERANGE);
	assert_int_equal(map(f->va, f->h_a1, top, LF_STATE_GPA, 8192, RP_MAP_R), -RP_ERANGE);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, top, 8192, RP_MAP_R), -RP_ERANGE);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_STATE_GPA, top, RP_MAP_R), -RP_ERANGE);
	assert_int_equal(map(f->va, f->h_a1, 0, 0, UINT64_MAX - 0xfff, RP_MAP_R), -RP_ERANGE);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_STATE_GPA, 0, RP_MAP_R), -RP_EINVAL);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_STATE_GPA, 4095, RP_MAP_R), -RP_EINVAL);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA + 1, LF_STATE_GPA, 4096, RP_MAP_R),
			 -RP_EINVAL);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_STATE_GPA + 8, 4096, RP_MAP_R),
			 -RP_EINVAL);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_STATE_GPA, UINT64_MAX, RP_MAP_R),
			 -RP_EINVAL);
}

/* Rights the caller lacks, read-only because sealed, bits that are not rights. */
static void test_map_rights(void **state)
{
	struct lf *f = *state;
	const uint64_t rw = RP_MAP_R | RP_MAP_W;

	/* Its own text and read-only data are not its to write. */
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_TEXT, 4096, rw), -RP_EPERM);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_RODATA, 4096, rw), -RP_EPERM);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_RODATA, 4096, RP_MAP_W), -RP_EPERM);
	/* Writable once, sealed since: A1's text, system area and page tables in A's memory. */
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_A1_GPA + LF_TEXT, 4096, rw), -RP_EPERM);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_A1_GPA + RING3_PT_GPA, 4096, rw),
			 -RP_EPERM);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_A1_GPA + RING3_GDT_GPA, 4096, rw),
			 -RP_EPERM);
	/* A range that is writable at first and sealed further on. */
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_A1_GPA, LF_A1_MEM, rw), -RP_EPERM);
	/* Layer 1 on A's sealed ranges, as B's parent: the seals hold for every VM. */
	assert_int_equal(map(f->v2, f->h_b, FREE_CGPA, LF_A_GPA + RING3_PT_GPA, 4096, rw),
			 -RP_EPERM);
	assert_int_equal(map(f->v2, f->h_b, FREE_CGPA, LF_A_GPA + LF_A1_GPA + LF_TEXT, 4096, rw),
			 -RP_EPERM);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_STATE_GPA, 4096, 0), -RP_EINVAL);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_STATE_GPA, 4096, 8), -RP_EINVAL);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_STATE_GPA, 4096, 1ULL << 32 | RP_MAP_R),
			 -RP_EINVAL);
	assert_int_equal(f->res.violations, 0);
	/* Read-only maps of sealed bytes are fine: they seal what is sealed already. */
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_A1_GPA + LF_TEXT, 4096, RP_MAP_R), 0);
}

/* X into a layer child: W with it, or unmeasured bytes, is the caller's violation. */
static void test_map_writable_code(void **state)
{
	struct lf *f = *state;

	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_STATE_GPA, 4096,
			     RP_MAP_R | RP_MAP_W | RP_MAP_X), -RP_EPERM);
	assert_int_equal(f->res.violations, 1);
	assert_true(f->r->done);
	assert_non_null(strstr(f->res.why, "writable code map"));
}

static void test_map_unmeasured_code(void **state)
{
	struct lf *f = *state;

	/* Its data, or its own text one page off (not the measured image as laid out). */
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_DATA, 4096, RP_MAP_R | RP_MAP_X),
			 -RP_EPERM);
	assert_int_equal(f->res.violations, 1);
	assert_non_null(strstr(f->res.why, "unmeasured code"));
}

/* Overlaps with the child's maps; the per-child quota. */
static void test_map_busy_quota(void **state)
{
	struct lf *f = *state;
	const uint64_t rw = RP_MAP_R | RP_MAP_W;
	unsigned i;

	assert_int_equal(map(f->va, f->h_a1, 0, LF_STATE_GPA, 4096, rw), -RP_EBUSY);
	assert_int_equal(map(f->va, f->h_a1, LF_A1_MEM - 4096, LF_STATE_GPA, 8192, rw), -RP_EBUSY);
	assert_int_equal(map(f->va, f->h_a1, RP_IMAGE_BASE - 4096, LF_STATE_GPA, 8192, rw),
			 -RP_EBUSY);
	for (i = f->a1->vm_maps; i < RP_MAX_MAPS; i++)
		assert_int_equal(map(f->va, f->h_a1, FREE_CGPA + i * 4096, LF_STATE_GPA, 4096, rw), 0);
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA + i * 4096, LF_STATE_GPA, 4096, rw),
			 -RP_EQUOTA);
}

/*
 * Seals all or nothing: layer 1 maps pages of its own memory read-only
 * into children, each seal cutting its writable map in three, until its
 * table would pass LN_MAX_SLOTS; that map is refused (ENOMEM), nothing
 * mapped or sealed, and every table stays within the limit.
 */
static void test_seal_no_room(void **state)
{
	struct lf *f = *state;
	uint64_t page = LF_FREE_GPA, h = 0;
	unsigned maps = 0, seals;
	int64_t ret = 0;

	while (ret == 0 && page < LF_MEM) {
		if (maps % RP_MAX_MAPS == 0) {
			h = (uint64_t)hc(f->v2, RP_HC_VM_CREATE, 0, 0, 0, 0, 0);
			assert_true(h >= 1 && h <= RP_MAX_CHILDREN);
		}
		seals = f->r->nseals;
		ret = map(f->v2, h, 0x400000 + (maps % RP_MAX_MAPS) * 4096, page, 4096, RP_MAP_R);
		assert_true(f->bottom->nmaps <= LN_MAX_SLOTS);
		if (ret == 0) {
			assert_int_equal(f->r->nseals, seals + 1);
			maps++;
		}
		page += 8192; /* a writable page between: every seal cuts */
	}
	assert_int_equal(ret, -RP_ENOMEM);
	assert_int_equal(f->r->nseals, seals);
	assert_true(maps > 100);
	assert_int_equal(f->res.violations, 0);
	/* The limit is layer 1's table: it is full, or one seal from it. */
	assert_true(f->bottom->nmaps + 2 > LN_MAX_SLOTS);
}

/*
 * A seal reaches every VM of the tree: A gives A1 a page of its memory
 * writable; layer 1 maps the same bytes read-only into a new child, and
 * A1's map of them loses W (and A's); destroying that child gives it back.
 */
static void test_seal_reaches_all(void **state)
{
	struct lf *f = *state;
	const uint64_t page = LF_A1_GPA - 0x10000; /* A's, free, outside A1 */
	int64_t h;

	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, page, 0x2000, RP_MAP_R | RP_MAP_W), 0);
	assert_non_null(lf_guest(f->a1, FREE_CGPA, 0x2000));
	h = hc(f->v2, RP_HC_VM_CREATE, 0, 0, 0, 0, 0);
	assert_true(h > 0);
	assert_int_equal(map(f->v2, (uint64_t)h, 0, LF_A_GPA + page + 0x1000, 4096, RP_MAP_R), 0);
	assert_non_null(lf_guest(f->a1, FREE_CGPA, 0x1000));
	assert_null(lf_guest(f->a1, FREE_CGPA + 0x1000, 1));
	assert_null(lf_guest(f->a, page + 0x1000, 1));
	assert_null(lf_guest(f->bottom, LF_A_GPA + page + 0x1000, 1));
	assert_int_equal(hc(f->v2, RP_HC_VM_DESTROY, (uint64_t)h, 0, 0, 0, 0), 0);
	assert_non_null(lf_guest(f->a1, FREE_CGPA, 0x2000));
	assert_non_null(lf_guest(f->a, page, 0x2000));
}

/* A seal lifted (its owner destroyed) gives W back and merges the pieces. */
static void test_unseal_merges(void **state)
{
	struct lf *f = *state;
	unsigned seals = f->r->nseals;

	assert_null(lf_guest(f->a, LF_A1_GPA + LF_TEXT, 4096));
	assert_int_equal(hc(f->va, RP_HC_VM_DESTROY, f->h_a1, 0, 0, 0, 0), 0);
	assert_true(f->r->nseals < seals);
	assert_int_equal(f->a->nmaps, f->a_maps);
	assert_non_null(lf_guest(f->a, LF_A1_GPA + RP_IMAGE_BASE, LF_A1_MEM - RP_IMAGE_BASE));
	assert_non_null(lf_guest(f->a, LF_A1_GPA, LF_A1_MEM));
	/* Layer 1's view of the same bytes: W back there too. */
	assert_non_null(lf_guest(f->bottom, LF_A_GPA + LF_A1_GPA, LF_A1_MEM));
	/* A's own tables are still sealed: A is alive. */
	assert_null(lf_guest(f->bottom, LF_A_GPA + RING3_PT_GPA, 4096));
}

/* ---- vCPU state (invariant 8) ----------------------------------------------------- */

static struct rp_vcpu_state *state_at(struct ln_node *n)
{
	struct rp_vcpu_state *st = (struct rp_vcpu_state *)lf_guest(n, LF_STATE_GPA, sizeof(*st));

	assert_non_null(st);
	return st;
}

static void cs_dpl0(struct rp_vcpu_state *s) { s->cs.dpl = 0; }
static void cs_kernel(struct rp_vcpu_state *s) { s->cs.selector = RING3_KCS; }
static void ss_dpl0(struct rp_vcpu_state *s) { s->ss.dpl = 0; }
static void paging_off(struct rp_vcpu_state *s) { s->cr0 &= ~(1ULL << 31); }
static void wp_off(struct rp_vcpu_state *s) { s->cr0 &= ~(1ULL << 16); }
static void cache_off(struct rp_vcpu_state *s) { s->cr0 |= 1ULL << 30; }
static void cr4_pce(struct rp_vcpu_state *s) { s->cr4 |= 1ULL << 8; }
static void efer_sce(struct rp_vcpu_state *s) { s->efer |= 1; }
static void if_on(struct rp_vcpu_state *s) { s->rflags |= 1ULL << 9; }
static void vm86(struct rp_vcpu_state *s) { s->rflags |= 1ULL << 17; }
static void ldt(struct rp_vcpu_state *s) { s->ldt.present = 1; }

/*
 * A sets A1's state (A1 runs, its tables sealed) with each control state
 * but the ring-3 one: EPERM, and A1 keeps the state KVM holds, still
 * sealed; then a ring-3 state with another CR3: accepted, and A1 is
 * walked again before it runs.
 */
static void test_vcpu_set_pinned(void **state)
{
	static void (*const bad[])(struct rp_vcpu_state *) = {
		cs_dpl0, cs_kernel, ss_dpl0, paging_off, wp_off, cache_off,
		cr4_pce, efer_sce, if_on, vm86, ldt,
	};
	struct lf *f = *state;
	struct fk_fd *k = fk_get(f->va1->fd);
	struct kvm_regs regs = k->regs;
	struct kvm_sregs sregs = k->sregs;
	struct rp_vcpu_state good;

	assert_int_equal(hc(f->va, RP_HC_VCPU_GET, f->hv_a1, LF_STATE_GPA, 0, 0, 0), 0);
	good = *state_at(f->a);
	assert_int_equal(good.cs.selector, RING3_UCS);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		*state_at(f->a) = good;
		bad[i](state_at(f->a));
		assert_int_equal(hc(f->va, RP_HC_VCPU_SET, f->hv_a1, LF_STATE_GPA, 0, 0, 0),
				 -RP_EPERM);
		assert_memory_equal(&k->regs, &regs, sizeof(regs));
		assert_memory_equal(&k->sregs, &sregs, sizeof(sregs));
		assert_true(f->va1->sealed);
	}
	/* Not the caller's to read, or past its memory. */
	assert_int_equal(hc(f->va, RP_HC_VCPU_SET, f->hv_a1, LF_A_MEM - 8, 0, 0, 0), -RP_EFAULT);
	assert_int_equal(hc(f->va, RP_HC_VCPU_SET, f->hv_a1, UINT64_MAX - 8, 0, 0, 0), -RP_EFAULT);
	assert_int_equal(hc(f->va, RP_HC_VCPU_GET, f->hv_a1, LF_TEXT, 0, 0, 0), -RP_EFAULT);
	assert_int_equal(hc(f->va, RP_HC_VCPU_GET, f->hv_a1, RING3_STACK_GPA, 0, 0, 0), -RP_EFAULT);
	assert_int_equal(hc(f->va, RP_HC_VCPU_GET, f->hv_a1, LF_A1_GPA + RING3_PT_GPA, 0, 0, 0),
			 -RP_EFAULT);
	assert_memory_equal(&k->sregs, &sregs, sizeof(sregs));
	assert_int_equal(f->res.violations, 0);
	/* A ring-3 state, other tables: set, and no longer sealed. */
	*state_at(f->a) = good;
	state_at(f->a)->cr3 = RING3_PT_GPA + 0x1000;
	assert_int_equal(hc(f->va, RP_HC_VCPU_SET, f->hv_a1, LF_STATE_GPA, 0, 0, 0), 0);
	assert_false(f->va1->sealed);
	assert_int_equal(k->sregs.cr3, RING3_PT_GPA + 0x1000);
}

/* ---- page tables (invariant 9) ------------------------------------------------ */

#define PT_P 0x1ULL
#define PT_RW 0x2ULL
#define PT_US 0x4ULL
#define PT_PS 0x80ULL
#define PT_NX (1ULL << 63)
#define PT_ADDR 0x000ffffffffff000ULL

struct victim {
	uint64_t h, hv, cr3;
};

/* A child C of layer 1 at LF_FREE_GPA, made but not run: its tables still layer 1's to write. */
static struct victim victim(struct lf *f)
{
	struct victim c;
	const char *bad = lf_child(f, f->v2, LF_FREE_GPA, 4 * LF_MIB, false, &c.h, &c.hv);

	if (bad)
		fail_msg("child: %s", bad);
	c.cr3 = fk_get(ln_vcpu_of(f->bottom, c.hv)->fd)->sregs.cr3;
	return c;
}

/* Entry i of C's table at gpa, as layer 1 writes it. */
static uint64_t *entry(struct lf *f, uint64_t gpa, unsigned i)
{
	uint64_t *t = (uint64_t *)lf_guest(f->bottom, LF_FREE_GPA + gpa, 4096);

	assert_non_null(t);
	return t + i;
}

/* The entry of C's tables at level (4: PML4 ... 1: PT) for va. */
static uint64_t *entry_of(struct lf *f, const struct victim *c, uint64_t va, int level)
{
	uint64_t t = c->cr3 & PT_ADDR;

	for (int l = 4; l > level; l--)
		t = *entry(f, t, (unsigned)(va >> (12 + 9 * (l - 1))) & 511) & PT_ADDR;
	return entry(f, t, (unsigned)(va >> (12 + 9 * (level - 1))) & 511);
}

/* C run: refused as the caller's violation `what`; nothing sealed for it. */
static void run_violates(struct lf *f, const struct victim *c, const char *what)
{
	unsigned seals = f->r->nseals;

	assert_int_equal(hc(f->v2, RP_HC_VCPU_RUN, c->hv, LF_EXIT_GPA, 0, 0, 0), 0);
	assert_int_equal(f->res.violations, 1);
	assert_true(f->r->done);
	if (!strstr(f->res.why, what))
		fail_msg("violation \"%s\", not \"%s\"", f->res.why, what);
	assert_false(ln_vcpu_of(f->bottom, c->hv)->sealed);
	assert_null(f->v2->running);
	assert_int_equal(f->r->nseals, seals);
}

static void test_tables_ok(void **state)
{
	struct lf *f = *state;
	struct victim c = victim(f);

	assert_int_equal(hc(f->v2, RP_HC_VCPU_RUN, c.hv, LF_EXIT_GPA, 0, 0, 0), LF_PENDING);
	assert_true(ln_vcpu_of(f->bottom, c.hv)->sealed);
	assert_null(lf_guest(f->bottom, LF_FREE_GPA + RING3_PT_GPA, 8));
}

/* Every PML4 entry the same PDPT, every PDPT entry the same PD: 512^3 tables to walk. */
static void test_tables_huge(void **state)
{
	struct lf *f = *state;
	struct victim c = victim(f);
	uint64_t pdpt = *entry(f, c.cr3, 0) & PT_ADDR;

	for (unsigned i = 1; i < 512; i++) {
		*entry(f, c.cr3, i) = *entry(f, c.cr3, 0);
		*entry(f, pdpt, i) = *entry(f, pdpt, 0);
	}
	run_violates(f, &c, "page tables too large");
}

/* A PML4 entry pointing at the PML4: the walk meets the PML4 at every level. */
static void test_tables_loop(void **state)
{
	struct lf *f = *state;
	struct victim c = victim(f);

	*entry(f, c.cr3, 511) = (c.cr3 & PT_ADDR) | PT_P | PT_RW | PT_US;
	run_violates(f, &c, "page tables");
}

static void test_tables_outside(void **state)
{
	struct lf *f = *state;
	struct victim c = victim(f);

	*entry(f, c.cr3, 1) = 0x300000 | PT_P | PT_RW | PT_US;
	run_violates(f, &c, "page tables outside the sealed range");
}

static void test_tables_big_page(void **state)
{
	struct lf *f = *state;
	struct victim c = victim(f);
	uint64_t pdpt = *entry(f, c.cr3, 0) & PT_ADDR;

	*entry(f, pdpt, 1) = (1ULL << 30) | PT_P | PT_PS | PT_US;
	run_violates(f, &c, "1 GiB page");
}

static void test_tables_writable_code(void **state)
{
	struct lf *f = *state;
	struct victim c = victim(f);

	*entry_of(f, &c, LF_TEXT, 1) |= PT_RW;
	run_violates(f, &c, "writable code page");
}

static void test_tables_unmeasured_code(void **state)
{
	struct lf *f = *state;
	struct victim c = victim(f);

	*entry_of(f, &c, LF_RODATA, 1) &= ~PT_NX;
	run_violates(f, &c, "unmeasured code page");
}

static void test_tables_open_system(void **state)
{
	struct lf *f = *state;
	struct victim c = victim(f);

	*entry_of(f, &c, RING3_GDT_GPA, 1) |= PT_US | PT_RW;
	run_violates(f, &c, "page tables open the system area");
}

static void test_tables_move_system(void **state)
{
	struct lf *f = *state;
	struct victim c = victim(f);

	*entry_of(f, &c, RING3_IDT_GPA, 1) = (LF_DATA & PT_ADDR) | PT_P | PT_NX;
	run_violates(f, &c, "page tables move the system area");
}

/* The table bytes mapped a second time into C, writable. */
static void test_tables_twice(void **state)
{
	struct lf *f = *state;
	struct victim c = victim(f);

	assert_int_equal(map(f->v2, c.h, 0x800000, LF_FREE_GPA + RING3_PT_GPA, 4096,
			     RP_MAP_R | RP_MAP_W), 0);
	run_violates(f, &c, "page tables mapped twice");
}

/*
 * The descriptor tables are sealed as soon as the parent maps them (read-
 * only): a parent can only point its child elsewhere, with a state.
 */
static void test_descriptor_tables(void **state)
{
	struct lf *f = *state;
	struct victim c = victim(f);

	assert_null(lf_guest(f->bottom, LF_FREE_GPA + RING3_IDT_GPA, 1));
	assert_int_equal(hc(f->v2, RP_HC_VCPU_GET, c.hv, LF_STATE_GPA, 0, 0, 0), 0);
	state_at(f->bottom)->gdt.base = RING3_GDT_GPA + 0x1000;
	assert_int_equal(hc(f->v2, RP_HC_VCPU_SET, c.hv, LF_STATE_GPA, 0, 0, 0), 0);
	run_violates(f, &c, "descriptor tables moved");
}

/* ---- lines, events, the rest ---------------------------------------------------- */

static void test_calls_refused(void **state)
{
	struct lf *f = *state;
	struct victim c = victim(f);

	assert_int_equal(hc(f->va, RP_HC_VERSION, 0, 0, 0, 0, 0), RP_ABI_VERSION);
	assert_int_equal(hc(f->va, RP_HC_COUNT, 0, 0, 0, 0, 0), -RP_ENOSYS);
	assert_int_equal(hc(f->va, 0xffffffffu, 0, 0, 0, 0, 0), -RP_ENOSYS);
	assert_int_equal(hc(f->va, RP_HC_VM_CREATE, 2, 0, 0, 0, 0), -RP_EINVAL);
	assert_int_equal(hc(f->va, RP_HC_VM_CREATE, 1ULL << 63 | RP_VM_IRQCHIP, 0, 0, 0, 0),
			 -RP_EINVAL);
	/* A layer child has no irqchip: no lines, no ISR windows. */
	assert_int_equal(hc(f->va, RP_HC_IRQ_LINE, f->h_a1, 1, 1, 0, 0), -RP_EINVAL);
	assert_int_equal(hc(f->va, RP_HC_IRQ_LINE, f->h_a1, 24, 1, 0, 0), -RP_EINVAL);
	assert_int_equal(hc(f->va, RP_HC_IRQ_LINE, f->h_a1, UINT64_MAX, 1, 0, 0), -RP_EINVAL);
	assert_int_equal(hc(f->va, RP_HC_ISR, f->h_a1, 0x1000, LF_STATE_GPA, 1, 0), -RP_EINVAL);
	assert_int_equal(hc(f->va, RP_HC_POST, f->h_a1, 0, 0, 0, 0), -RP_EINVAL);
	assert_int_equal(hc(f->va, RP_HC_POST, f->h_a1, RP_EV_TIMER, 0, 0, 0), -RP_EINVAL);
	assert_int_equal(hc(f->va, RP_HC_POST, f->h_a1, UINT64_MAX, 0, 0, 0), -RP_EINVAL);
	assert_int_equal(f->a1->events, 0);
	assert_int_equal(hc(f->va, RP_HC_POST, f->h_a1, RP_EV_NET, 0, 0, 0), 0);
	assert_int_equal(f->a1->events, RP_EV_NET);
	/* Runs: lines for a layer, bits past line 23, events but NET, records it cannot write. */
	assert_int_equal(hc(f->v2, RP_HC_VCPU_RUN, c.hv, LF_EXIT_GPA, 1, 1, 0), -RP_EINVAL);
	assert_int_equal(hc(f->v2, RP_HC_VCPU_RUN, c.hv, LF_EXIT_GPA, 0, 1ULL << 24, 0), -RP_EINVAL);
	assert_int_equal(hc(f->v2, RP_HC_VCPU_RUN, c.hv, LF_EXIT_GPA, 0, 0, RP_EV_TIMER),
			 -RP_EINVAL);
	assert_int_equal(hc(f->v2, RP_HC_VCPU_RUN, c.hv, LF_TEXT, 0, 0, 0), -RP_EFAULT);
	assert_int_equal(hc(f->v2, RP_HC_VCPU_RUN, c.hv, RING3_STACK_GPA, 0, 0, 0), -RP_EFAULT);
	assert_int_equal(hc(f->v2, RP_HC_VCPU_RUN, c.hv, LF_MEM - 8, 0, 0, 0), -RP_EFAULT);
	assert_int_equal(hc(f->v2, RP_HC_VCPU_RUN, c.hv, UINT64_MAX - 8, 0, 0, 0), -RP_EFAULT);
	/* Another vCPU of layer 1 runs A already. */
	assert_int_equal(hc(f->v2, RP_HC_VCPU_RUN, f->hv_a, LF_EXIT_GPA, 0, 0, 0), -RP_EBUSY);
	/* Waits, timers, log lines. */
	assert_int_equal(hc(f->va, RP_HC_TIMER, RP_MAX_WAIT_NS + 1, 0, 0, 0, 0), -RP_EINVAL);
	assert_int_equal(hc(f->va, RP_HC_TIMER, UINT64_MAX, 0, 0, 0, 0), -RP_EINVAL);
	assert_int_equal(hc(f->va, RP_HC_WAIT, RP_MAX_WAIT_NS + 1, 0, 0, 0, 0), -RP_EINVAL);
	assert_int_equal(hc(f->va, RP_HC_WAIT, 1, 0, 0, 0, 0), 0);
	assert_int_equal(hc(f->va, RP_HC_LOG, LF_TEXT_GPA, RP_MAX_LOG + 1, 0, 0, 0), -RP_EINVAL);
	assert_int_equal(hc(f->va, RP_HC_LOG, LF_A_MEM - 4, 8, 0, 0, 0), -RP_EFAULT);
	assert_int_equal(hc(f->va, RP_HC_LOG, UINT64_MAX - 4, 8, 0, 0, 0), -RP_EFAULT);
	assert_int_equal(hc(f->va, RP_HC_LOG, LF_TEXT_GPA, 8, 0, 0, 0), 0);
	assert_int_equal(f->res.violations, 0);
	assert_false(f->r->done);
}

/* Children, vCPUs, depth, and the stack's VMs. */
static void test_quotas(void **state)
{
	struct lf *f = *state;
	struct ln_vcpu *v;
	uint64_t h = 0;
	unsigned i;

	for (i = 0; i < RP_MAX_CHILDREN; i++)
		assert_int_equal(hc(f->vb, RP_HC_VM_CREATE, 0, 0, 0, 0, 0), i + 1);
	assert_int_equal(hc(f->vb, RP_HC_VM_CREATE, 0, 0, 0, 0, 0), -RP_EQUOTA);
	for (i = 0; i < RP_MAX_VCPUS; i++)
		assert_int_equal(hc(f->vb, RP_HC_VCPU_CREATE, 1, 0, 0, 0, 0), VCPU_H(1, i));
	assert_int_equal(hc(f->vb, RP_HC_VCPU_CREATE, 1, 0, 0, 0, 0), -RP_EQUOTA);
	/* Depth: each new VM's vCPU makes the next, to RP_MAX_DEPTH. */
	for (v = f->va1; v->node->depth < RP_MAX_DEPTH; v = ln_vcpu_of(v->node, h << 8)) {
		h = (uint64_t)hc(v, RP_HC_VM_CREATE, 0, 0, 0, 0, 0);
		assert_int_equal(h, 1);
		assert_int_equal(hc(v, RP_HC_VCPU_CREATE, h, 0, 0, 0, 0), VCPU_H(h, 0));
	}
	assert_int_equal(hc(v, RP_HC_VM_CREATE, 0, 0, 0, 0, 0), -RP_EQUOTA);
	/* The stack's VMs: LN_MAX_VMS, then EQUOTA for any caller. */
	while (f->r->nodes < LN_MAX_VMS)
		assert_true(hc(f->v2, RP_HC_VM_CREATE, 0, 0, 0, 0, 0) > 0 ||
			    hc(f->va, RP_HC_VM_CREATE, 0, 0, 0, 0, 0) > 0 ||
			    hc(f->va1, RP_HC_VM_CREATE, 0, 0, 0, 0, 0) > 0);
	assert_int_equal(hc(f->va, RP_HC_VM_CREATE, 0, 0, 0, 0, 0), -RP_EQUOTA);
	assert_int_equal(hc(f->va1, RP_HC_VM_CREATE, 0, 0, 0, 0, 0), -RP_EQUOTA);
}

/* A guest with an irqchip: lines, ISR windows, any state, X with W; no seal. */
static void test_irqchip_guest(void **state)
{
	struct lf *f = *state;
	unsigned seals = f->r->nseals, i;
	int64_t g = hc(f->va, RP_HC_VM_CREATE, RP_VM_IRQCHIP, 0, 0, 0, 0);

	assert_int_equal(g, 2);
	assert_int_equal(map(f->va, 2, 0, LF_STATE_GPA, 0x10000, RP_MAP_R | RP_MAP_W | RP_MAP_X), 0);
	assert_int_equal(f->r->nseals, seals);
	assert_int_equal(map(f->va, 2, 0x10000, LF_TEXT, 4096, RP_MAP_R | RP_MAP_W), -RP_EPERM);
	assert_int_equal(hc(f->va, RP_HC_IRQ_LINE, 2, 5, 7, 0, 0), 0);
	assert_int_equal(fk_get(ln_child_of(f->a, 2)->vm_fd)->levels, 1u << 5);
	assert_int_equal(hc(f->va, RP_HC_POST, 2, RP_EV_NET, 0, 0, 0), -RP_EINVAL);
	assert_int_equal(hc(f->va, RP_HC_ISR, 2, 0x1000, LF_TEXT, 1, 0), -RP_ERANGE);
	assert_int_equal(hc(f->va, RP_HC_ISR, 2, 0x1000, LF_STATE_GPA + 2, 1, 0), -RP_EINVAL);
	assert_int_equal(hc(f->va, RP_HC_ISR, 2, UINT64_MAX - 0xff, LF_STATE_GPA, 1, 0),
			 -RP_EINVAL);
	assert_int_equal(hc(f->va, RP_HC_ISR, 2, 0x1000, LF_STATE_GPA, 24, 0), -RP_EINVAL);
	for (i = 0; i < RP_MAX_ISR; i++)
		assert_int_equal(hc(f->va, RP_HC_ISR, 2, 0x1000 * (i + 1), LF_STATE_GPA, 1, 0), 0);
	assert_int_equal(hc(f->va, RP_HC_ISR, 2, 0x100000, LF_STATE_GPA, 1, 0), -RP_EQUOTA);
	assert_int_equal(hc(f->va, RP_HC_ISR, 2, 0x1000, 0, 0, 0), 0);
	assert_int_equal(ln_child_of(f->a, 2)->nisr, RP_MAX_ISR - 1);
	/* Its vCPU takes any state KVM takes: it is not a layer. */
	assert_int_equal(hc(f->va, RP_HC_VCPU_CREATE, 2, 0, 0, 0, 0), VCPU_H(2, 0));
	memset(state_at(f->a), 0, sizeof(struct rp_vcpu_state));
	assert_int_equal(hc(f->va, RP_HC_VCPU_SET, VCPU_H(2, 0), LF_STATE_GPA, 0, 0, 0), 0);
	assert_int_equal(hc(f->va, RP_HC_VCPU_RUN, VCPU_H(2, 0), LF_EXIT_GPA, 1, 0, RP_EV_NET),
			 -RP_EINVAL);
}

/* A1 exits: A's run returns RP_EXIT_DEAD with the code; A1's vCPU is dead to every call. */
static void test_exit(void **state)
{
	struct lf *f = *state;
	struct rp_exit *e = (struct rp_exit *)lf_guest(f->a, LF_EXIT_GPA, sizeof(*e));

	assert_int_equal(hc(f->va1, RP_HC_EXIT, 7, 0, 0, 0, 0), LF_PENDING);
	assert_true(f->va1->dead);
	assert_null(f->va->running);
	assert_int_equal(e->reason, RP_EXIT_DEAD);
	assert_int_equal(e->u.dead.code, 7);
	assert_int_equal((int64_t)f->va->run->s.regs.regs.rax, 0);
	assert_int_equal(hc(f->va, RP_HC_VCPU_RUN, f->hv_a1, LF_EXIT_GPA, 0, 0, 0), -RP_EDEAD);
	assert_int_equal(hc(f->va, RP_HC_VCPU_SET, f->hv_a1, LF_STATE_GPA, 0, 0, 0), -RP_EDEAD);
	assert_int_equal(hc(f->va, RP_HC_VCPU_GET, f->hv_a1, LF_STATE_GPA, 0, 0, 0), -RP_EDEAD);
	assert_int_equal(hc(f->va, RP_HC_VM_DESTROY, f->h_a1, 0, 0, 0, 0), 0);
}

/* ---- started vCPUs (RP_HC_VCPU_START) ------------------------------------------- */

#define CTL_FILL 0xa5 /* what the caller's buffer holds before a call: unchanged on refusal */

/* Waits (5 s at most) for n exits of started vCPUs to wait for the chain. */
static void ap_pending_is(struct lf *f, int n)
{
	for (unsigned i = 0; i < 5000 && __atomic_load_n(&f->r->ap_pending, __ATOMIC_SEQ_CST) < n;
	     i++)
		usleep(1000);
	assert_int_equal(__atomic_load_n(&f->r->ap_pending, __ATOMIC_SEQ_CST), n);
}

/* A guest of v's layer with an irqchip and n vCPUs, vCPU 0's state set: its handle. */
static int64_t smp_guest_of(struct ln_vcpu *v, unsigned n)
{
	int64_t g = hc(v, RP_HC_VM_CREATE, RP_VM_IRQCHIP, 0, 0, 0, 0);

	assert_true(g > 0);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(hc(v, RP_HC_VCPU_CREATE, (uint64_t)g, 0, 0, 0, 0), VCPU_H(g, i));
	memset(state_at(v->node), 0, sizeof(struct rp_vcpu_state));
	assert_int_equal(hc(v, RP_HC_VCPU_SET, VCPU_H(g, 0), LF_STATE_GPA, 0, 0, 0), 0);
	return g;
}

static int64_t smp_guest(struct lf *f, unsigned n)
{
	return smp_guest_of(f->va, n);
}

/*
 * A guest's vCPU 1 on a thread of its own: only a guest's, once, never
 * the one its parent runs; its exit (here: the fake KVM has no KVM_RUN,
 * an error, so a shutdown) is handed to the runner of its VM at its next
 * RP_HC_VCPU_RUN, the record naming it, and only then may it be
 * answered; LN_MAX_STARTED in the stack.
 */
static void test_vcpu_start(void **state)
{
	struct lf *f = *state;
	struct rp_exit *e = (struct rp_exit *)lf_guest(f->a, LF_EXIT_GPA, sizeof(*e));
	unsigned started = 1;
	int64_t g, h;

	assert_int_equal(hc(f->va, RP_HC_VCPU_START, f->hv_a1, 0, 0, 0, 0), -RP_EINVAL);
	assert_int_equal(hc(f->va, RP_HC_VCPU_START, VCPU_H(9, 1), 0, 0, 0, 0), -RP_EBADH);
	g = smp_guest(f, 2);
	assert_int_equal(hc(f->vb, RP_HC_VCPU_START, VCPU_H(g, 1), 0, 0, 0, 0), -RP_EBADH);
	assert_int_equal(hc(f->va, RP_HC_VCPU_START, VCPU_H(g, 1), 0, 0, 0, 0), 0);
	assert_int_equal(hc(f->va, RP_HC_VCPU_START, VCPU_H(g, 1), 0, 0, 0, 0), -RP_EINVAL);
	ap_pending_is(f, 1);
	/* not handed on yet: nothing of it to answer */
	assert_int_equal(hc(f->va, RP_HC_VCPU_RUN, VCPU_H(g, 1), LF_EXIT_GPA, 0, 0, 0),
			 -RP_EINVAL);
	/* running vCPU 0 hands it over at once: the run returns with its record */
	memset(e, 0, sizeof(*e));
	assert_int_equal(hc(f->va, RP_HC_VCPU_RUN, VCPU_H(g, 0), LF_EXIT_GPA, 0, 0, 0), 0);
	assert_null(f->va->running);
	assert_int_equal(e->reason, RP_EXIT_SHUTDOWN);
	assert_int_equal(e->vcpu, VCPU_H(g, 1));
	assert_int_equal(f->r->ap_pending, 0);
	assert_int_equal(hc(f->va, RP_HC_VCPU_RUN, VCPU_H(g, 1), LF_EXIT_GPA, 0, 0, 0),
			 -RP_EDEAD);
	/* the vCPU the parent runs is never started */
	assert_int_equal(hc(f->va, RP_HC_VCPU_START, VCPU_H(g, 0), 0, 0, 0, 0), -RP_EINVAL);
	/* the stack's quota of threads */
	while (started < LN_MAX_STARTED) {
		h = smp_guest(f, RP_MAX_VCPUS);
		for (unsigned i = 1; i < RP_MAX_VCPUS && started < LN_MAX_STARTED; i++, started++)
			assert_int_equal(hc(f->va, RP_HC_VCPU_START, VCPU_H(h, i), 0, 0, 0, 0), 0);
	}
	assert_int_equal(f->r->nstarted, LN_MAX_STARTED);
	/* a started vCPU's state is read and set with its thread parked out of KVM_RUN */
	assert_int_equal(hc(f->va, RP_HC_VCPU_GET, VCPU_H(h, 1), LF_STATE_GPA, 0, 0, 0), 0);
	assert_int_equal(hc(f->va, RP_HC_VCPU_SET, VCPU_H(h, 1), LF_STATE_GPA, 0, 0, 0), 0);
	assert_true(ln_vcpu_of(f->a, VCPU_H(h, 1))->ap_parked);
	assert_false(ln_vcpu_of(f->a, VCPU_H(h, 1))->ap_hold);
	h = smp_guest(f, 2);
	assert_int_equal(hc(f->va, RP_HC_VCPU_START, VCPU_H(h, 1), 0, 0, 0, 0), -RP_EQUOTA);
	/* destroying a guest ends its threads */
	assert_int_equal(hc(f->va, RP_HC_VM_DESTROY, (uint64_t)g, 0, 0, 0, 0), 0);
	assert_int_equal(f->r->nstarted, LN_MAX_STARTED - 1);
}

/*
 * A started vCPU's state is read and set with its thread parked out of
 * KVM_RUN (KVM would hold the chain's thread until the guest's vCPU next
 * exits, for ever for one waiting for its SIPI), then let go. Here its
 * exit waits for the chain, not yet handed on, and still does after.
 */
static void test_vcpu_start_busy(void **state)
{
	struct lf *f = *state;
	int64_t g = smp_guest(f, 2);
	struct ln_vcpu *ap;

	assert_int_equal(hc(f->va, RP_HC_VCPU_START, VCPU_H(g, 1), 0, 0, 0, 0), 0);
	ap_pending_is(f, 1);
	ap = ln_vcpu_of(f->a, VCPU_H(g, 1));
	memset(state_at(f->a), 0, sizeof(struct rp_vcpu_state));
	assert_int_equal(hc(f->va, RP_HC_VCPU_SET, VCPU_H(g, 1), LF_STATE_GPA, 0, 0, 0), 0);
	assert_int_equal(hc(f->va, RP_HC_VCPU_GET, VCPU_H(g, 1), LF_STATE_GPA, 0, 0, 0), 0);
	/* and from layer 1, A's parent, reading its grandchild's control state */
	memset(state_at(f->bottom), CTL_FILL, sizeof(struct rp_vcpu_ctl));
	assert_int_equal(hc(f->v0, RP_HC_VCPU_CTL, f->h_a, VCPU_H(g, 1), LF_STATE_GPA, 0, 0), 0);
	/* each with its thread parked, then let go; its exit still waits for the chain */
	assert_true(ap->ap_parked);
	assert_false(ap->ap_hold);
	assert_int_equal(ap->ap_state, LN_AP_EXITED);
	assert_int_equal(f->r->ap_pending, 1);
	/* vCPU 0, never started, is the caller's as before */
	assert_int_equal(hc(f->va, RP_HC_VCPU_GET, VCPU_H(g, 0), LF_STATE_GPA, 0, 0, 0), 0);
	assert_int_equal(hc(f->v0, RP_HC_VCPU_CTL, f->h_a, VCPU_H(g, 0), LF_STATE_GPA, 0, 0), 0);
}

/*
 * A VM with started vCPUs has one runner in its parent: a second vCPU of
 * the parent running another of its vCPUs would get the started ones'
 * exits off the chain's path. Layer 1's v1 and v2 here.
 */
static void test_vcpu_start_one_runner(void **state)
{
	struct lf *f = *state;
	struct rp_exit *e = (struct rp_exit *)lf_guest(f->bottom, LF_EXIT_GPA, sizeof(*e));
	int64_t g = smp_guest_of(f->v2, 4);

	assert_int_equal(hc(f->v2, RP_HC_VCPU_START, VCPU_H(g, 3), 0, 0, 0, 0), 0);
	ap_pending_is(f, 1);
	/* v2 runs vCPU 0 and gets the started one's exit at once */
	assert_int_equal(hc(f->v2, RP_HC_VCPU_RUN, VCPU_H(g, 0), LF_EXIT_GPA, 0, 0, 0), 0);
	assert_int_equal(e->vcpu, VCPU_H(g, 3));
	assert_null(f->v2->running);
	/* v1 runs vCPU 1: then v2 may run none of that VM, nor start one */
	assert_int_equal(hc(f->v1, RP_HC_VCPU_RUN, VCPU_H(g, 1), LF_EXIT_GPA, 0, 0, 0),
			 LF_PENDING);
	assert_int_equal(hc(f->v2, RP_HC_VCPU_RUN, VCPU_H(g, 0), LF_EXIT_GPA, 0, 0, 0),
			 -RP_EBUSY);
	assert_int_equal(hc(f->v2, RP_HC_VCPU_START, VCPU_H(g, 2), 0, 0, 0, 0), -RP_EBUSY);
	assert_ptr_equal(f->v1->running, ln_vcpu_of(f->bottom, VCPU_H(g, 1)));
	assert_null(f->v2->running);
	assert_int_equal(f->r->nstarted, 1);
}

/*
 * The chain's timer signals the chain's thread by name: a started vCPU's
 * thread takes SIGALRM too (its kick), and a signal for the process would
 * go to whichever thread takes it, the chain's vCPU running on untimed.
 * Here the chain's thread blocks SIGALRM and another takes it: the timer's
 * signal must still wait for the chain.
 */
static volatile int taker_state; /* 1: it takes SIGALRM; 2: it ends */

static void *alrm_taker(void *arg)
{
	sigset_t one;

	sigemptyset(&one);
	sigaddset(&one, SIGALRM);
	pthread_sigmask(SIG_UNBLOCK, &one, NULL);
	taker_state = 1;
	while (taker_state != 2)
		usleep(1000);
	return arg;
}

static void test_timer_kicks_chain(void **state)
{
	struct lf *f = *state;
	struct itimerspec its = {.it_value.tv_nsec = 1000000};
	struct timespec none = {0};
	sigset_t one, old, pending;
	pthread_t t;

	sigemptyset(&one);
	sigaddset(&one, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &one, &old);
	taker_state = 0;
	assert_int_equal(pthread_create(&t, NULL, alrm_taker, NULL), 0);
	while (!taker_state)
		usleep(1000);
	assert_int_equal(ln_signals_open(f->r), 0);
	if (!f->r->timer_ok)
		skip();
	assert_int_equal(timer_settime(f->r->timer, 0, &its, NULL), 0);
	usleep(100000);
	sigpending(&pending);
	assert_true(sigismember(&pending, SIGALRM));
	assert_int_equal(sigtimedwait(&one, NULL, &none), SIGALRM);
	taker_state = 2;
	pthread_join(t, NULL);
	ln_signals_close(f->r);
	f->r->timer_ok = false;
	signal(SIGALRM, SIG_IGN);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---- wake-ups: nothing that should end a wait or a run is lost ----------------- */

/* A wait that should end early ends within this (it would run to its 5 s). */
#define WAKE_WITHIN_MS 1000u
#define WAIT_NS 5000000000ULL

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* The root's own signal handlers, as in a run: LN_AP_KICK ends a busy KVM_RUN. */
static void signals_on(struct lf *f)
{
	assert_int_equal(ln_signals_open(f->r), 0);
}

/* The fixture's again (ln_fixture.c): kicks ignored, no timer. */
static void signals_off(struct lf *f)
{
	ln_signals_close(f->r);
	f->r->timer_ok = false;
	ln_report_signal = 0;
	signal(SIGALRM, SIG_IGN);
	signal(LN_AP_KICK, SIG_IGN);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
}

/* Waits (5 s at most) for busy vCPU ap to be in KVM_RUN (want) or out of it. */
static void in_run_is(struct ln_vcpu *ap, bool want)
{
	for (unsigned i = 0; i < 5000 && fk_in_run(ap->fd) != want; i++)
		usleep(1000);
	assert_int_equal(fk_in_run(ap->fd), want);
}

/* vCPU i of v's guest g started, running as a guest's vCPU does (in KVM_RUN until kicked). */
static struct ln_vcpu *busy_ap(struct ln_vcpu *v, int64_t g, unsigned i)
{
	struct ln_vcpu *ap = ln_vcpu_of(v->node, VCPU_H(g, i));

	assert_non_null(ap);
	fk_busy(ap->fd, ap->run);
	assert_int_equal(hc(v, RP_HC_VCPU_START, VCPU_H(g, i), 0, 0, 0, 0), 0);
	in_run_is(ap, true);
	return ap;
}

static pthread_t chain_thread;

/* After 20 ms: the started vCPU arg exits (a HLT). */
static void *ap_exits_later(void *arg)
{
	struct ln_vcpu *ap = arg;

	usleep(20000);
	fk_exit(ap->fd, KVM_EXIT_HLT);
	return NULL;
}

/* After 20 ms: SIGUSR1 to the chain's thread (the operator's "check now"). */
static void *report_later(void *arg)
{
	usleep(20000);
	pthread_kill(chain_thread, SIGUSR1);
	return arg;
}

/*
 * A started vCPU of A's guest exits while A sleeps in RP_HC_WAIT: the wait
 * ends (A runs its guest to take the exit), even when the SIGALRM the
 * vCPU's thread sends the chain is gone before the sleep begins (here it
 * is blocked: no handler runs, no sleep is cut, as for one that landed
 * between the wait's last test and its ppoll).
 */
static void test_wait_ap_exit(void **state)
{
	struct lf *f = *state;
	int64_t g = smp_guest(f, 2);
	struct ln_vcpu *ap;
	sigset_t alrm, old;
	pthread_t t;
	uint64_t ms;

	signals_on(f);
	ap = busy_ap(f->va, g, 1);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, &old);
	assert_int_equal(pthread_create(&t, NULL, ap_exits_later, ap), 0);
	ms = now_ms();
	assert_int_equal(hc(f->va, RP_HC_WAIT, WAIT_NS, 0, 0, 0, 0), 0);
	ms = now_ms() - ms;
	pthread_join(t, NULL);
	print_message("RP_HC_WAIT ended %llu ms after it began (the exit at 20 ms)\n",
		      (unsigned long long)ms);
	assert_true(ms < WAKE_WITHIN_MS);
	assert_int_equal(ap->ap_state, LN_AP_EXITED);
	assert_int_equal(f->r->ap_pending, 1);
	pthread_sigmask(SIG_SETMASK, &old, NULL); /* the SIGALRM now: it kicks nothing */
	assert_int_equal(hc(f->va, RP_HC_VM_DESTROY, (uint64_t)g, 0, 0, 0, 0), 0);
	assert_int_equal(f->r->nstarted, 0);
	signals_off(f);
}

/*
 * SIGUSR1 (a check now) while a layer sleeps in RP_HC_WAIT: the wait ends
 * at once and leaves the signal to the chain's loop, which posts
 * RP_EV_CHECK to the watch layers above; before, it slept to its end.
 */
static void test_wait_report(void **state)
{
	struct lf *f = *state;
	pthread_t t;
	uint64_t ms;

	signals_on(f);
	chain_thread = pthread_self();
	assert_int_equal(pthread_create(&t, NULL, report_later, NULL), 0);
	ms = now_ms();
	assert_int_equal(hc(f->va, RP_HC_WAIT, WAIT_NS, 0, 0, 0, 0), 0);
	ms = now_ms() - ms;
	pthread_join(t, NULL);
	assert_true(ms < WAKE_WITHIN_MS);
	assert_int_equal(ln_report_signal, SIGUSR1);
	signals_off(f);
}

/* ---- a watch layer's check: its guest stands still ------------------------------ */

/* How long a paused vCPU is watched for staying out of KVM_RUN (the review saw it back in 20 ms). */
#define PAUSE_WATCH_US 30000

/* ap stays parked, out of KVM_RUN, for PAUSE_WATCH_US. */
static void stays_paused(struct ln_vcpu *ap)
{
	for (unsigned i = 0; i < PAUSE_WATCH_US / 1000; i++) {
		assert_true(ap->ap_parked);
		assert_false(fk_in_run(ap->fd));
		usleep(1000);
	}
}

/*
 * Layer 1 is a watch; A (its child, a vmm) runs a guest whose vCPU 1 is
 * started and in KVM_RUN. While the watch handles an event (its run of A
 * completed with RP_EXIT_EVENT, by the chain's events() or at once by its
 * own RP_HC_VCPU_RUN) the guest's vCPU 1 stays parked out of KVM_RUN, its
 * reads by the watch included, until the watch runs A again; an event for
 * a layer of another kind parks nothing. Before, the vCPU ran on through
 * the check (back in KVM_RUN right after each read).
 */
/*
 * Two watch layers, layer 1 and A above it: while A checks (its guest
 * paused), layer 1's check begins and ends; its end must not let A's
 * guest go, which A's own resume does. Before, layer 1's resume let vCPU
 * 1 run during A's check.
 */
static void test_watch_pause_nested(void **state)
{
	struct lf *f = *state;
	int64_t g = smp_guest(f, 2);
	struct ln_node *a = f->va->node;
	struct ln_vcpu *ap;

	strcpy(f->stack.kinds[0], "watch");
	strcpy(f->stack.kinds[1], "watch");
	signals_on(f);
	ap = busy_ap(f->va, g, 1);
	in_run_is(ap, true);
	ln_watch_pause(f->r, a, RP_EV_TIMER);
	assert_true(a->pausing && ap->ap_pause);
	ln_watch_pause(f->r, f->bottom, RP_EV_CHECK);
	ln_watch_resume(f->r, f->bottom);
	assert_false(f->bottom->pausing);
	assert_true(ap->ap_pause);
	stays_paused(ap);
	ln_watch_resume(f->r, a);
	assert_false(ap->ap_pause);
	in_run_is(ap, true);
	assert_int_equal(hc(f->va, RP_HC_VM_DESTROY, (uint64_t)g, 0, 0, 0, 0), 0);
	signals_off(f);
}

/* A frame event for layer 1 leaves ap in KVM_RUN; layer 1 runs A again. */
static void frames_park_nothing(struct lf *f, struct ln_vcpu *ap)
{
	f->bottom->events = RP_EV_NET;
	ln_deliver_event(f->r, f->v0);
	assert_false(ap->ap_pause);
	usleep(PAUSE_WATCH_US);
	assert_true(fk_in_run(ap->fd));
	assert_int_equal(hc(f->v0, RP_HC_VCPU_RUN, f->hv_a, LF_EXIT_GPA, 0, 0, 0), LF_PENDING);
}

static void test_watch_pauses_guest(void **state)
{
	struct lf *f = *state;
	struct rp_exit *e = (struct rp_exit *)lf_guest(f->bottom, LF_EXIT_GPA, sizeof(*e));
	int64_t g = smp_guest(f, 2);
	struct ln_vcpu *ap;

	strcpy(f->stack.kinds[0], "watch");
	signals_on(f);
	ap = busy_ap(f->va, g, 1);
	assert_int_equal(hc(f->va, RP_HC_VCPU_RUN, VCPU_H(g, 0), LF_EXIT_GPA, 0, 0, 0),
			 LF_PENDING);
	assert_int_equal(hc(f->v0, RP_HC_VCPU_RUN, f->hv_a, LF_EXIT_GPA, 0, 0, 0), LF_PENDING);

	/* the watch's timer: its run of A returns the event (as events() delivers it) */
	f->bottom->events = RP_EV_TIMER;
	assert_ptr_equal(ln_deliver_event(f->r, f->v0), f->v0);
	assert_int_equal(e->reason, RP_EXIT_EVENT);
	assert_int_equal(e->u.event.events, RP_EV_TIMER);
	assert_null(f->v0->running);
	assert_true(ap->ap_pause);
	stays_paused(ap);
	/* its check reads vCPU 1: parked after the read as before it */
	assert_int_equal(hc(f->v0, RP_HC_VCPU_CTL, f->h_a, VCPU_H(g, 1), LF_STATE_GPA, 0, 0), 0);
	stays_paused(ap);
	/* the watch runs A again: vCPU 1 with it */
	assert_int_equal(hc(f->v0, RP_HC_VCPU_RUN, f->hv_a, LF_EXIT_GPA, 0, 0, 0), LF_PENDING);
	assert_false(ap->ap_pause);
	in_run_is(ap, true);

	/* an event already waiting when the watch runs A: returned at once, A's guest still */
	f->bottom->events = RP_EV_CHECK;
	f->v0->running = NULL; /* the watch is running, not in its run */
	assert_int_equal(hc(f->v0, RP_HC_VCPU_RUN, f->hv_a, LF_EXIT_GPA, 0, 0, 0), 0);
	assert_int_equal(e->reason, RP_EXIT_EVENT);
	assert_int_equal(e->u.event.events, RP_EV_CHECK);
	stays_paused(ap);
	assert_int_equal(hc(f->v0, RP_HC_VCPU_RUN, f->hv_a, LF_EXIT_GPA, 0, 0, 0), LF_PENDING);
	in_run_is(ap, true);

	/* the watch's frames: no check, nothing parked (a peer's stream
	 * must not stop the guest's vCPUs) */
	frames_park_nothing(f, ap);
	/* layer 1 of another kind (a firewall's frames): nothing parked */
	strcpy(f->stack.kinds[0], "spin");
	frames_park_nothing(f, ap);

	assert_int_equal(hc(f->va, RP_HC_VM_DESTROY, (uint64_t)g, 0, 0, 0, 0), 0);
	assert_int_equal(f->r->nstarted, 0);
	signals_off(f);
}

/* A watch whose guest is destroyed while paused: its thread ends (no wait on the pause). */
static void test_watch_pause_destroy(void **state)
{
	struct lf *f = *state;
	int64_t g = smp_guest(f, 3);
	struct ln_vcpu *ap1, *ap2;

	strcpy(f->stack.kinds[0], "watch");
	signals_on(f);
	ap1 = busy_ap(f->va, g, 1);
	ap2 = busy_ap(f->va, g, 2);
	f->bottom->events = RP_EV_TIMER;
	ln_deliver_event(f->r, f->v0);
	assert_true(ap1->ap_parked && ap2->ap_parked);
	assert_false(fk_in_run(ap1->fd) || fk_in_run(ap2->fd));
	assert_int_equal(hc(f->va, RP_HC_VM_DESTROY, (uint64_t)g, 0, 0, 0, 0), 0);
	assert_int_equal(f->r->nstarted, 0);
	/* nothing left to let go */
	assert_int_equal(hc(f->v0, RP_HC_VCPU_RUN, f->hv_a, LF_EXIT_GPA, 0, 0, 0), LF_PENDING);
	assert_false(f->bottom->pausing);
	signals_off(f);
}

/* ---- a grandchild's control state (RP_HC_VCPU_CTL) ------------------------------ */


static struct rp_vcpu_ctl *ctl_at(struct ln_node *n)
{
	struct rp_vcpu_ctl *c = (struct rp_vcpu_ctl *)lf_guest(n, LF_STATE_GPA, sizeof(*c));

	assert_non_null(c);
	memset(c, CTL_FILL, sizeof(*c));
	return c;
}

/* c holds exactly what the fake KVM holds for vCPU fd (its sregs and MSRs). */
static void ctl_is(const struct rp_vcpu_ctl *c, int fd, uint32_t flags)
{
	const struct fk_fd *k = fk_get(fd);
	uint64_t want[FK_MSRS] = {c->star, c->lstar, c->cstar, c->sysenter_cs, c->sysenter_esp,
				  c->sysenter_eip};

	assert_non_null(k);
	assert_int_equal(c->idt.base, k->sregs.idt.base);
	assert_int_equal(c->idt.limit, k->sregs.idt.limit);
	assert_int_equal(c->gdt.base, k->sregs.gdt.base);
	assert_int_equal(c->gdt.limit, k->sregs.gdt.limit);
	assert_int_equal(c->cr0, k->sregs.cr0);
	assert_int_equal(c->cr3, k->sregs.cr3);
	assert_int_equal(c->cr4, k->sregs.cr4);
	assert_int_equal(c->efer, k->sregs.efer);
	for (unsigned i = 0; i < FK_MSRS; i++)
		assert_int_equal(want[i], k->msrs[i]);
	assert_int_equal(c->flags, flags);
	assert_int_equal(c->pad, 0);
}

/* Refused with err, and the caller's buffer untouched. */
static void ctl_refused(struct ln_vcpu *v, uint64_t vm, uint64_t vcpu, int64_t err)
{
	struct rp_vcpu_ctl *c = ctl_at(v->node), fill;

	memset(&fill, CTL_FILL, sizeof(fill));
	assert_int_equal(hc(v, RP_HC_VCPU_CTL, vm, vcpu, LF_STATE_GPA, 0, 0), err);
	assert_memory_equal(c, &fill, sizeof(fill));
}

/* Layer 1 reads A1's vCPU (A's child): the fake KVM's state, every field. */
static void test_vcpu_ctl(void **state)
{
	struct lf *f = *state;
	struct fk_fd *k = fk_get(f->va1->fd);
	struct rp_vcpu_ctl *c;
	int fd;

	assert_int_equal(sizeof(struct rp_vcpu_ctl), 120); /* docs/abi.md */
	for (unsigned i = 0; i < FK_MSRS; i++)
		k->msrs[i] = 0xffffffff81000000ULL + i * 0x1111;
	k->sregs.idt.base = 0xfffffe0000000000ULL;
	k->sregs.idt.limit = 0xfff;
	c = ctl_at(f->bottom);
	assert_int_equal(hc(f->v2, RP_HC_VCPU_CTL, f->h_a, VCPU_H(f->h_a1, 0), LF_STATE_GPA, 0, 0),
			 0);
	ctl_is(c, f->va1->fd, 0);
	assert_int_equal(c->lstar, 0xffffffff81001111ULL);
	/* A runs A1 now: read all the same, and nothing changed (lf_hc). */
	assert_ptr_equal(f->va->running, f->va1);
	/* A guest grandchild (an irqchip VM of A): flagged. */
	assert_int_equal(hc(f->va, RP_HC_VM_CREATE, RP_VM_IRQCHIP, 0, 0, 0, 0), 2);
	assert_int_equal(hc(f->va, RP_HC_VCPU_CREATE, 2, 0, 0, 0, 0), VCPU_H(2, 0));
	fd = ln_vcpu_of(f->a, VCPU_H(2, 0))->fd;
	k = fk_get(fd);
	k->msrs[1] = 0xffffffff82000040ULL;
	k->sregs.efer = 0xd01;
	c = ctl_at(f->bottom);
	assert_int_equal(hc(f->v2, RP_HC_VCPU_CTL, f->h_a, VCPU_H(2, 0), LF_STATE_GPA, 0, 0), 0);
	ctl_is(c, fd, RP_VCPUCTL_GUEST);
	assert_int_equal(c->lstar, 0xffffffff82000040ULL);
	assert_int_equal(f->res.violations, 0);
}

/*
 * Only a grandchild's vCPU: never the caller's own child's (VCPU_GET is
 * for that), never another subtree's, nothing out of range; every refusal
 * writes nothing.
 */
static void test_vcpu_ctl_hostile(void **state)
{
	struct lf *f = *state;

	/* The caller's own child's vCPU, named as the caller holds it. */
	ctl_refused(f->v2, 0, f->hv_a, -RP_EBADH);
	ctl_refused(f->v2, f->h_b, f->hv_b, -RP_EBADH);
	ctl_refused(f->va, f->h_a1, f->hv_a1, -RP_EBADH);
	ctl_refused(f->va, 0, f->hv_a1, -RP_EBADH);
	/* Another subtree: B and A1 have no children; B cannot reach A's. */
	for (unsigned i = 0; i < sizeof(bad_vm) / sizeof(bad_vm[0]); i++) {
		ctl_refused(f->vb, bad_vm[i], VCPU_H(1, 0), -RP_EBADH);
		ctl_refused(f->vb, bad_vm[i], bad_vcpu[i], -RP_EBADH);
		ctl_refused(f->va1, bad_vm[i], VCPU_H(1, 0), -RP_EBADH);
		ctl_refused(f->va1, bad_vm[i], bad_vcpu[i], -RP_EBADH);
	}
	ctl_refused(f->v2, f->h_b, VCPU_H(f->h_a1, 0), -RP_EBADH);
	/* Out of range: A1 has one vCPU; A has one child. */
	ctl_refused(f->v2, f->h_a, VCPU_H(f->h_a1, 1), -RP_EBADH);
	ctl_refused(f->v2, f->h_a, VCPU_H(f->h_a1, 0xff), -RP_EBADH);
	ctl_refused(f->v2, f->h_a, VCPU_H(2, 0), -RP_EBADH);
	ctl_refused(f->v2, f->h_a, VCPU_H(17, 0), -RP_EBADH);
	ctl_refused(f->v2, f->h_a, VCPU_H(0, 0), -RP_EBADH);
	ctl_refused(f->v2, f->h_a, 1ULL << 40 | VCPU_H(f->h_a1, 0), -RP_EBADH);
	ctl_refused(f->v2, f->h_a, UINT64_MAX, -RP_EBADH);
	ctl_refused(f->v2, UINT64_MAX, VCPU_H(f->h_a1, 0), -RP_EBADH);
	/* A buffer the caller cannot write: its code, its system area, past its end. */
	assert_int_equal(hc(f->v2, RP_HC_VCPU_CTL, f->h_a, VCPU_H(f->h_a1, 0), LF_TEXT, 0, 0),
			 -RP_EFAULT);
	assert_int_equal(
		hc(f->v2, RP_HC_VCPU_CTL, f->h_a, VCPU_H(f->h_a1, 0), RING3_STACK_GPA, 0, 0),
		-RP_EFAULT);
	assert_int_equal(hc(f->v2, RP_HC_VCPU_CTL, f->h_a, VCPU_H(f->h_a1, 0), LF_MEM - 8, 0, 0),
			 -RP_EFAULT);
	assert_int_equal(
		hc(f->v2, RP_HC_VCPU_CTL, f->h_a, VCPU_H(f->h_a1, 0), UINT64_MAX - 8, 0, 0),
		-RP_EFAULT);
	/* KVM refuses: EDEAD, nothing written. */
	f->faults = true;
	fk_fail_at = fk_calls + 1;
	ctl_refused(f->v2, f->h_a, VCPU_H(f->h_a1, 0), -RP_EDEAD);
	fk_fail_at = fk_calls + 2;
	ctl_refused(f->v2, f->h_a, VCPU_H(f->h_a1, 0), -RP_EDEAD);
	fk_fail_at = 0;
	/* A1 exits: its vCPU is dead to this call too. */
	assert_int_equal(hc(f->va1, RP_HC_EXIT, 0, 0, 0, 0, 0), LF_PENDING);
	ctl_refused(f->v2, f->h_a, VCPU_H(f->h_a1, 0), -RP_EDEAD);
	assert_int_equal(f->res.violations, 0);
}

/*
 * KVM failing: each create, map or state ioctl a call makes refused in
 * turn. The call answers ENOMEM (EINVAL for a state KVM would not take,
 * EDEAD for one it would not give), and nothing changed: a seal that
 * failed midway is undone whole.
 */
static void test_kvm_fails(void **state)
{
	struct lf *f = *state;
	unsigned nodes = f->r->nodes, seals, i, vcpus;
	int64_t ret;

	f->faults = true;
	fk_fail_at = fk_calls + 1;
	assert_int_equal(hc(f->va, RP_HC_VM_CREATE, 0, 0, 0, 0, 0), -RP_ENOMEM);
	assert_int_equal(f->r->nodes, nodes);
	fk_fail_at = fk_calls + 1;
	assert_int_equal(hc(f->va, RP_HC_VCPU_CREATE, f->h_a1, 0, 0, 0, 0), -RP_ENOMEM);
	assert_int_equal(f->a1->nvcpus, 1);
	/*
	 * KVM_SET_CPUID2 failing (a create's third ioctl, after KVM_CREATE_VCPU
	 * and KVM_GET_SUPPORTED_CPUID): KVM keeps that vCPU until the VM goes,
	 * so the stack counts it, and the next create takes a new id (the same
	 * one is EEXIST).
	 */
	vcpus = f->r->nvcpus;
	fk_fail_at = fk_calls + 3;
	assert_int_equal(hc(f->va, RP_HC_VCPU_CREATE, f->h_a1, 0, 0, 0, 0), -RP_ENOMEM);
	assert_int_equal(f->a1->nvcpus, 1);
	assert_int_equal(f->r->nvcpus, vcpus + 1);
	assert_true(hc(f->va, RP_HC_VCPU_CREATE, f->h_a1, 0, 0, 0, 0) >= 0);
	assert_int_equal(f->a1->nvcpus, 2);
	assert_int_equal(f->r->nvcpus, vcpus + 2);
	fk_fail_at = fk_calls + 1;
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_STATE_GPA, 4096, RP_MAP_R | RP_MAP_W),
			 -RP_ENOMEM);
	fk_fail_at = fk_calls + 1;
	assert_int_equal(hc(f->va, RP_HC_VCPU_GET, f->hv_a1, LF_STATE_GPA, 0, 0, 0), -RP_EDEAD);
	assert_int_equal(hc(f->va, RP_HC_VCPU_GET, f->hv_a1, LF_STATE_GPA, 0, 0, 0), 0);
	/* KVM_GET_SREGS, KVM_SET_SREGS, KVM_SET_REGS: the vCPU is walked again before it runs. */
	for (i = 1; i <= 3; i++) {
		fk_fail_at = fk_calls + i;
		assert_int_equal(hc(f->va, RP_HC_VCPU_SET, f->hv_a1, LF_STATE_GPA, 0, 0, 0),
				 -RP_EINVAL);
		assert_false(f->va1->sealed);
	}
	/*
	 * A read-only map of A's memory from layer 1 into B seals bytes that
	 * layer 1, A and A1 hold writable: every one of its ioctls fails in turn.
	 */
	assert_int_equal(map(f->va, f->h_a1, FREE_CGPA, LF_A1_GPA - 0x10000, 0x4000,
			     RP_MAP_R | RP_MAP_W), 0);
	for (i = 1;; i++) {
		seals = f->r->nseals;
		fk_fail_at = fk_calls + i;
		ret = map(f->v2, f->h_b, FREE_CGPA, LF_A_GPA + LF_A1_GPA - 0xf000, 0x2000, RP_MAP_R);
		if (ret == 0)
			break;
		assert_int_equal(ret, -RP_ENOMEM);
		assert_int_equal(f->r->nseals, seals);
		assert_false(f->r->done);
		assert_non_null(lf_guest(f->a1, FREE_CGPA, 0x4000));
	}
	assert_true(i > 4);
	assert_null(lf_guest(f->a1, FREE_CGPA + 0x1000, 0x1000));
	assert_int_equal(f->res.violations, 0);
}

/* The checks themselves: a table KVM does not hold, a writable map over a seal. */
static void test_checks_fail(void **state)
{
	struct lf *f = *state;
	struct fk_slot *s = NULL;
	struct ln_map *m = NULL;

	for (unsigned i = 0; i < f->a->nmaps && !m; i++)
		if (f->a->maps[i].unsealable)
			m = &f->a->maps[i];
	assert_non_null(m);
	m->rights |= RP_MAP_W;
	assert_string_equal(lf_check(f), "a map of the root's table is not the KVM slot it names");
	s = &fk_get(f->a->vm_fd)->slots[m->slot];
	s->flags = 0;
	/* A's W over A1's sealed text: its parent (layer 1) has none there either. */
	assert_string_equal(lf_check(f), "a writable map of bytes its parent cannot write");
	m->rights &= ~(uint32_t)RP_MAP_W;
	s->flags = KVM_MEM_READONLY;
	assert_null(lf_check(f));
	f->r->nvcpus++;
	assert_string_equal(lf_check(f), "the stack's VM or vCPU count is not the tree's");
	f->r->nvcpus--;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handles_of_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroyed_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_outside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_wrapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_rights, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_writable_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_unmeasured_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_busy_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_no_room, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_reaches_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unseal_merges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_set_pinned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_huge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_outside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_big_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_writable_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_unmeasured_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_open_system, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_move_system, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_descriptor_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calls_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quotas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_irqchip_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_start_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_start_one_runner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_kicks_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_ap_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_pauses_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_pause_nested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_pause_destroy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_ctl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_ctl_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kvm_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checks_fail, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
