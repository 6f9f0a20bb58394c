/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the root's hypercalls: the root's own tree, seal
 * and hypercall code (src/root/ln_*.c) on the fake KVM of the unit tests
 * (tests/unit/fake_kvm.c, ln_fixture.h), with the fixture's tree of four
 * ring-3 layers. The input is a sequence of steps, each by a layer that
 * could run (layer 1's vCPUs, or a vCPU its parent's pending run runs):
 * a hypercall with arguments drawn from values that matter (its handles,
 * addresses in and around its memory and its children's, sizes, rights,
 * the ends of the address space, raw words); a write of its own memory,
 * as its CPU could (a child's page tables before it runs, a state, an
 * exit record); a child built whole where the layer chooses; a fault of
 * a running child; or a KVM ioctl that fails a few calls later. After
 * every step: nothing outside the caller's subtree changed, the root
 * wrote no byte the caller cannot write, and the stack's invariants hold
 * (lf_hc, lf_check); any break aborts with what broke.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/ring3.h"
#include "fake_kvm.h"
#include "ln_fixture.h"

#define MAX_STEPS 48 /* per input: each step checks the whole tree */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t byte(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t word(struct in *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)byte(in) << (8 * i);
	return v;
}

/* An argument: a value that matters to some check, or raw bytes. */
static uint64_t value(struct in *in, const struct ln_node *n)
{
	static const uint64_t special[] = {
		LF_STATE_GPA, LF_EXIT_GPA, LF_TEXT_GPA, LF_TEXT, LF_RODATA, LF_DATA,
		RP_IMAGE_BASE, RING3_PT_GPA, RING3_GDT_GPA, RING3_IDT_GPA, RING3_STACK_GPA,
		LF_A1_GPA, LF_A_GPA, LF_B_GPA, LF_FREE_GPA, LF_A_MEM, LF_MEM, 4 * LF_MIB,
		0x1000, 0x2000, 0x10000, UINT64_MAX, UINT64_MAX - 0xfff, 1ULL << 63,
		RP_MAX_WAIT_NS + 1, 0x101, 0x100, 0x200, RP_VM_IRQCHIP, RP_EV_NET,
	};
	uint8_t k = byte(in);

	switch (k >> 5) {
	case 0:
		return k & 31; /* handles, lines, rights, flags, small sizes */
	case 1:
		return special[(k & 31) % (sizeof(special) / sizeof(special[0]))];
	case 2: /* a page of the caller's memory (or past it): any of 32 MiB */
		return (uint64_t)(k & 31) << 20 | word(in, 1) << 12;
	case 3: /* a page near a special address */
		return special[(k & 31) % (sizeof(special) / sizeof(special[0]))] +
		       (word(in, 1) - 128) * 0x1000;
	case 4: /* a vCPU handle */
		return (uint64_t)(k & 31) << 8 | byte(in) % 10;
	case 5: /* a page table entry onto an address of the caller's memory */
		return (word(in, 2) << 12) | (k & 7) | ((k & 8) ? 0x80 : 0) |
		       ((k & 16) ? 1ULL << 63 : 0);
	case 6:
		return n->maps[byte(in) % (n->nmaps ? n->nmaps : 1)].gpa + (k & 31) * 0x1000;
	default:
		return word(in, 8);
	}
}

/* The vCPUs that could be running now: layer 1's, or one its parent's pending run runs. */
static unsigned runnable(struct lf *f, struct ln_node *n, struct ln_vcpu **out, unsigned k)
{
	for (unsigned i = 0; i < n->nvcpus && k < 64; i++) {
		struct ln_vcpu *v = n->vcpus[i];
		bool run = !n->parent;

		for (unsigned j = 0; n->parent && j < n->parent->nvcpus; j++)
			run |= n->parent->vcpus[j]->running == v;
		if (run && !v->dead && !v->running && n->layer)
			out[k++] = v;
	}
	for (unsigned i = 0; i < RP_MAX_CHILDREN; i++)
		if (n->children[i])
			k = runnable(f, n->children[i], out, k);
	return k;
}

/* A vCPU running a child: the child, which faults (RP_EXIT_FAULT to its parent). */
static struct ln_vcpu *running(struct ln_node *n, unsigned pick)
{
	for (unsigned i = 0; i < n->nvcpus; i++)
		if (n->vcpus[i]->running && !pick--)
			return n->vcpus[i]->running;
	for (unsigned i = 0; i < RP_MAX_CHILDREN; i++)
		if (n->children[i]) {
			struct ln_vcpu *c = running(n->children[i], pick);

			if (c)
				return c;
		}
	return NULL;
}

static void broke(const char *what, const char *bad)
{
	fprintf(stderr, "fuzz_ln_hc: %s: %s\n", what, bad);
	abort();
}

static struct lf fix;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	struct lf *f = &fix;
	const char *bad = lf_build(f);

	if (bad) {
		fprintf(stderr, "call %u: %lld\n", f->refused_nr, (long long)f->refused_ret);
		broke("the fake stack", bad);
	}
	for (unsigned step = 0; step < MAX_STEPS && in.n && !f->r->done; step++) {
		struct ln_vcpu *who[64], *v, *c;
		unsigned n = runnable(f, f->bottom, who, 0);
		uint8_t op = byte(&in);
		uint64_t a[5], h, hv;
		uint8_t *p;
		int64_t ret;

		if (!n)
			break;
		v = who[byte(&in) % n];
		switch (op % 8) {
		default: { /* a hypercall */
			uint32_t nr = byte(&in) % (RP_HC_COUNT + 1);

			for (unsigned i = 0; i < 5; i++)
				a[i] = value(&in, v->node);
			if (nr == RP_HC_WAIT && a[0] <= RP_MAX_WAIT_NS)
				a[0] %= 1000; /* a wait sleeps: a microsecond at most */
			if ((bad = lf_hc(f, v, nr, a, &ret)))
				broke("hypercall", bad);
			break;
		}
		case 4: /* the layer writes its own memory */
			a[0] = value(&in, v->node);
			a[1] = value(&in, v->node);
			p = lf_guest(v->node, a[0] & ~7ULL, 8);
			if (p && (a[0] & ~7ULL) >= RP_IMAGE_BASE) /* below: the CPU's, not CPL 3's */
				memcpy(p, &a[1], 8);
			break;
		case 5: /* a child built whole, run or not */
			a[0] = value(&in, v->node) & ~0xfffULL;
			bad = lf_child(f, v, a[0], (byte(&in) & 1) ? 4 * LF_MIB : 6 * LF_MIB,
				       byte(&in) & 1, &h, &hv);
			if (bad && bad != lf_refused)
				broke("child", bad);
			break;
		case 6: /* a running child faults */
			c = running(f->bottom, byte(&in) % 4);
			if (c) {
				ln_child_gone(f->r, c, RP_EXIT_FAULT, 14, value(&in, c->node), 0);
				if ((bad = lf_check(f)))
					broke("fault", bad);
			}
			break;
		case 7: /* a KVM ioctl fails, a few calls from now */
			fk_fail_at = fk_calls + 1 + byte(&in) % 16;
			f->faults = true;
			break;
		}
	}
	if ((bad = lf_check(f)))
		broke("the end", bad);
	if ((bad = lf_free(f)))
		broke("freeing", bad);
	return 0;
}
