/* SPDX-License-Identifier: MIT */
/*
 * The test personalities of the layer kernel (the kinds include/rampart/kinds.h
 * flags RP_KF_TEST): attacks on the root and on sealing, test guests'
 * parents, and the hooks by which the pass family's test kinds change what
 * pass_main (main.c) does. Built only into the test images
 * (build/test/layer-*.elf, RP_TEST_BUILD), with abuse.c, badring.c, churn.c,
 * flood.c, hog.c, iotest.c, mapinfo.c, sealfill.c and spin.c: the images an
 * operator approves hold none of it (tests/layers/images.sh checks).
 */
#ifndef RP_TEST_BUILD
#error "test personalities: only in the test images (Makefile, RP_TEST_BUILD)"
#endif

#include "layer/testkinds.h"

#include "boot/ring3.h"
#include "layer/child.h"
#include "layer/hc.h"
#include "layer/lib.h"
#include "layer/mapinfo.h"
#include "layer/vmmhide.h"
#include "layer/vdev.h"
#include "lib/rt.h"

static struct rp_exit child_exit;

/* The last nonzero arg: tick's timer period (spin ignores extra args). */
static uint64_t last_arg(const struct rp_boot_info *info)
{
	int i;

	for (i = 7; i > 0; i--)
		if (info->args[i])
			return info->args[i];
	return 0;
}

/*
 * "ropass": after starting the child, also map the last 2 MiB of our own
 * memory into it read-only, at child gpa = its memory size (just past what
 * its boot info describes), so that the child holds a read-only range.
 */
static int ro_map(const struct rp_boot_info *info, const struct child *c)
{
	uint64_t at = info->mem_size - (2ULL << 20);

	if (at < gpa_of(c->base) + c->size) {
		hc_log("ropass: no free 2 MiB above the child");
		return -1;
	}
	rt_memset((void *)(uintptr_t)at, 0, 2ULL << 20);
	if (hc_vm_map((uint64_t)c->vm, c->size, at, 2ULL << 20, RP_MAP_R) < 0) {
		hc_log("ropass: read-only RP_HC_VM_MAP refused");
		return -1;
	}
	return 0;
}

static void tick_end(const struct rp_boot_info *info, uint64_t events)
{
	struct line l = {.len = 0};

	hc5(RP_HC_TIMER, 0, 0, 0, 0, 0);
	line_str(&l, "event depth=");
	line_dec(&l, info->depth);
	line_str(&l, " count=");
	line_dec(&l, events);
	line_send(&l);
}

/*
 * "unpin" (tests only): a pass that gives its child CR0.WP clear, state the
 * CPU would never let a ring-3 layer reach itself; the root must refuse it
 * (RP_EPERM: the child keeps its state and runs on), and would catch it at
 * the child's first exit and halt the stack.
 */
static int unpin(struct child *c)
{
	static struct rp_vcpu_state st;
	int64_t r;

	if (hc_vcpu_get((uint64_t)c->vcpu, &st) < 0)
		return -1;
	st.cr0 &= ~(1ULL << 16);
	r = hc_vcpu_set((uint64_t)c->vcpu, &st);
	if (r == -RP_EPERM)
		hc_log("unpin: RP_HC_VCPU_SET refused");
	return r && r != -RP_EPERM ? -1 : 0;
}

/*
 * "ring0" (tests only): before its child first runs, try to give it states
 * that are not the ring-3 entry state, each a way to run code at CPL 0 or
 * to widen what CPL 3 may do; the root must refuse every one (RP_EPERM)
 * and keep the state the child had, which then runs as under a pass.
 */
#define RING0_STATES 10

static void ring0_state(struct rp_vcpu_state *st, unsigned i, uint64_t data)
{
	switch (i) {
	case 0: /* CPL 0 in 32-bit protected mode, paging off, RIP on a data page */
		st->cs.selector = RING3_KCS;
		st->cs.dpl = 0;
		st->cs.l = 0;
		st->cs.db = 1;
		st->ss.selector = RING3_KDS;
		st->ss.dpl = 0;
		st->cr0 = 0x11;
		st->cr4 = 0;
		st->efer = 0;
		st->rip = data;
		break;
	case 1: /* code segment DPL 0, paging off, EFER 0, the rest as it was */
		st->cs.dpl = 0;
		st->cr0 = 0x11;
		st->efer = 0;
		st->rip = data;
		break;
	case 2: /* 64-bit CPL 0: the ring-0 code and data segments */
		st->cs.selector = RING3_KCS;
		st->cs.dpl = 0;
		st->ss.selector = RING3_KDS;
		st->ss.dpl = 0;
		break;
	case 3: /* SS.DPL 0 alone: the CPL KVM keeps */
		st->ss.dpl = 0;
		break;
	case 4: /* EFER.SCE: syscall to LSTAR at CPL 0 */
		st->efer |= 1;
		break;
	case 5: /* CR4.PCE: rdpmc at CPL 3 */
		st->cr4 |= 0x100;
		break;
	case 6: /* CR0.CD: caching off */
		st->cr0 |= 1ULL << 30;
		break;
	case 7: /* CR0.WP clear */
		st->cr0 &= ~(1ULL << 16);
		break;
	case 8: /* interrupts on in a ring-3 VM */
		st->rflags |= 0x200;
		break;
	default: /* an LDT in the child's writable memory (call gates to CPL 0) */
		st->ldt.base = data;
		st->ldt.limit = 0xfff;
		st->ldt.type = 2;
		st->ldt.present = 1;
		break;
	}
}

static int ring0(const struct child *c)
{
	static struct rp_vcpu_state good, st;
	const struct rp_boot_info *ci = (const void *)(c->base + RP_BOOT_INFO_GPA);
	struct line l = {.len = 0};
	unsigned i, refused = 0;

	if (hc_vcpu_get((uint64_t)c->vcpu, &good) < 0)
		return -1;
	for (i = 0; i < RING0_STATES; i++) {
		int64_t r;

		st = good;
		ring0_state(&st, i, ci->free_start);
		r = hc_vcpu_set((uint64_t)c->vcpu, &st);
		if (r == -RP_EPERM) {
			refused++;
			continue;
		}
		line_str(&l, "ring0: state ");
		line_dec(&l, i);
		line_str(&l, r ? " refused, but not with RP_EPERM" : " accepted");
		line_send(&l);
	}
	line_str(&l, "ring0: ");
	line_dec(&l, refused);
	line_str(&l, " of ");
	line_dec(&l, RING0_STATES);
	line_str(&l, " states refused");
	line_send(&l);
	return refused == RING0_STATES && !hc_vcpu_set((uint64_t)c->vcpu, &good) ? 0 : -1;
}

/*
 * Attacks on sealing and the pass family's other test kinds, each by a pass
 * once its child is built (an attack: the root must halt the stack at the first):
 *  "scribble"    write the child's code, once it ran (sealed: read-only to us too)
 *  "ptscribble"  write the child's page tables, once it ran (sealed likewise)
 *  "wxmap"       map 2 MiB of our memory into the child writable and executable
 *  "badcode"     map a page of our own bytes into the child as code (not measured)
 *  "wxpte"       before it runs, make the child's free memory executable in its
 *                page tables (writable and executable: the root's walk refuses it)
 *  "execdata"    jump into our own data (not executable: #PF in an intermediate layer)
 *  "loadcr3"     load another CR3 (a privileged instruction at CPL 3: #GP)
 *  "rowrite"     write our own read-only data (user read-only: #PF)
 *  "relrowrite"  write the first of the tables of code addresses linked
 *                into our image (Hyperscan's runtime's, layer.ld's
 *                .data.rel.ro: read-only, #PF)
 *  "ptwrite"     write our own page tables (supervisor pages: #PF)
 *  "dtwrite"     write our own GDT (a supervisor page: #PF)
 *  "ptloop"      before it runs, point every entry of the child's top three table
 *                levels at one table: a walk of 512^3 tables (the root's is bounded)
 *  "idtwrite"    point a gate of the child's IDT elsewhere once it is built, before
 *                it is mapped (and sealed): the root compares the tables
 *  "splitsys"    map the child's system area as two maps, [0, fault stub) read-only
 *                and the stub's page read-write, and rewrite a stub once it ran
 *  "ptalias"     before it runs, map the child's page tables into it a second time,
 *                read-write, at gpa = its memory size, and a user page onto them
 *                there (a spin child in mode 9 then writes its PML4 through it)
 *  "sysalias"    before it runs, point the child's page for its IDT at a page of its
 *                free memory (a copy of the IDT), and rewrite a gate there once it ran
 *  "flaky"       a pass that, before any restart, writes its own text once it has
 *                forwarded FLAKY_AFTER exits of its child (#PF: a violation), to
 *                test the restart policy; once restarted, a plain pass
 *  "guestport"   a pass whose child is a guest VM (RP_VM_IRQCHIP), not a layer:
 *                the child's port I/O to the ABI's ports must reach us as port
 *                I/O like any other (logged, then the child goes on)
 *  "reseal"      a pass that first builds its child RESEAL_ROUNDS times, each
 *                time 4 KiB further up in our memory, runs it to its first
 *                exit (its tables sealed) and destroys it (the seals lifted):
 *                our map table in the root must not grow round by round
 *  "hog"         a pass that first takes every VM and vCPU its quotas allow
 *                (hog.c): a chain of them must meet the stack's limits
 *  "fwflaky"     a firewall that breaks as flaky does (nothing may cross
 *                while it is down and rebuilt)
 *  "mapinfo"     a pass that asks the root for its grandchild's maps at
 *                its child's first exit (mapinfo.c)
 */
#define FLAKY_AFTER 200
#define RESEAL_ROUNDS 64
static const uint8_t attack_ro = 1; /* in our read-only data */
extern char __relro_start[]; /* layer.ld: the tables of code addresses */

static void idt_tamper(struct child *c)
{
	*(volatile uint16_t *)(c->base + RING3_IDT_GPA + 14 * 16) += 8; /* #PF's gate */
}

#define PTE_ADDR 0x000ffffffffff000ULL
#define PTE_USER_2M 0x80000000000000e7ULL /* NX, D, A, PS, US, RW, P */
#define PTE_SUP_RO 0x8000000000000061ULL  /* NX, D, A, P */

/* The child's page table (level 1 when pd, else its page directory) for gpa 0. */
static uint64_t *child_table(const struct child *c, bool pd)
{
	uint64_t *pml4 = (uint64_t *)(c->base + RING3_PT_GPA);
	uint64_t *pdpt = (uint64_t *)(c->base + (pml4[0] & PTE_ADDR));
	uint64_t *d = (uint64_t *)(c->base + (pdpt[0] & PTE_ADDR));

	return pd ? d : (uint64_t *)(c->base + (d[0] & PTE_ADDR));
}

/* 19: its page tables, again and writable, where the child can write them. */
static void pt_alias(const struct child *c)
{
	if ((c->size >> 30) ||
	    hc_vm_map((uint64_t)c->vm, c->size, gpa_of(c->base) + RING3_PT_GPA,
		      RP_IMAGE_BASE - RING3_PT_GPA, RP_MAP_R | RP_MAP_W) < 0) {
		hc_log("ptalias: RP_HC_VM_MAP of the child's page tables refused");
		hc_exit(LAYER_CODE_BAD);
	}
	child_table(c, true)[c->size >> 21] = c->size | PTE_USER_2M;
}

/* 21: the IDT the child's CPU reads, in a page of its free memory. */
static uint8_t *idt_alias(const struct child *c)
{
	const struct rp_boot_info *ci = (const void *)(c->base + RP_BOOT_INFO_GPA);
	uint8_t *copy = c->base + ci->free_start;

	rt_memcpy(copy, c->base + RING3_IDT_GPA, 4096);
	child_table(c, false)[RING3_IDT_GPA >> 12] = ci->free_start | PTE_SUP_RO;
	return copy;
}

static void attack(const struct rp_boot_info *info, const struct child *c, int kind)
{
	uint64_t at = info->mem_size - (2ULL << 20);
	static struct rp_exit ex;

	uint8_t *idt = kind == RP_KIND_SYSALIAS ? idt_alias(c) : NULL;

	if (kind == RP_KIND_PTALIAS)
		pt_alias(c);
	if (kind == RP_KIND_SCRIBBLE || kind == RP_KIND_PTSCRIBBLE || kind == RP_KIND_SPLITSYS ||
	    kind == RP_KIND_PTALIAS || kind == RP_KIND_SYSALIAS)
		hc_vcpu_run((uint64_t)c->vcpu, &ex); /* its first exit: it is sealed now */
	if (kind == RP_KIND_SCRIBBLE)
		*(volatile uint8_t *)(c->base + RP_IMAGE_BASE) = 0xcc;
	if (kind == RP_KIND_PTSCRIBBLE)
		*(volatile uint64_t *)(c->base + RING3_PT_GPA) = 0;
	if (kind == RP_KIND_SPLITSYS) /* #UD's stub: its first byte */
		*(volatile uint8_t *)(c->base + RING3_STUB_GPA + 6 * RING3_STUB_SIZE) = 0xf4;
	if (kind == RP_KIND_PTALIAS && ((uint64_t *)(c->base + RING3_PT_GPA))[1])
		hc_log("ptalias: the child wrote its PML4 through the alias");
	if (kind == RP_KIND_SYSALIAS)
		*(volatile uint16_t *)(idt + 6 * 16) += 8; /* #UD's gate */
	if (kind == RP_KIND_EXECDATA)
		((void (*)(void))(uintptr_t)at)();
	if (kind == RP_KIND_ROWRITE)
		*(volatile uint8_t *)(uintptr_t)&attack_ro = 0;
	if (kind == RP_KIND_RELROWRITE) /* as if to point the scanner elsewhere */
		*(volatile uint64_t *)(uintptr_t)__relro_start = (uint64_t)(uintptr_t)attack;
	if (kind == RP_KIND_PTWRITE)
		*(volatile uint64_t *)(uintptr_t)RING3_PT_GPA = 0;
	if (kind == RP_KIND_DTWRITE)
		*(volatile uint64_t *)(uintptr_t)(RING3_GDT_GPA + 8) = 0;
	if (kind == RP_KIND_LOADCR3)
		__asm__ volatile("mov %0, %%cr3" : : "r"(at) : "memory");
	if (kind == RP_KIND_IDTWRITE)
		hc_vcpu_run((uint64_t)c->vcpu, &ex);
	if (kind == RP_KIND_PTLOOP) {
		uint64_t *t[3] = {(uint64_t *)(c->base + 0x100000), (uint64_t *)(c->base + 0x101000),
				  (uint64_t *)(c->base + RING3_PT_GPA)};

		rt_memset(c->base + 0x100000, 0, 3 * 4096);
		for (unsigned i = 0; i < 512; i++) {
			t[0][i] = 0x101000 | 7; /* a PDPT of PDs that all point to one empty table */
			t[1][i] = 0x102000 | 7;
			t[2][i] = 0x100000 | 7; /* the PML4 */
		}
		hc_vcpu_run((uint64_t)c->vcpu, &ex);
	}
	if (kind == RP_KIND_WXPTE) {
		const uint64_t addr = 0x000ffffffffff000ULL;
		const struct rp_boot_info *ci = (const void *)(c->base + RP_BOOT_INFO_GPA);
		uint64_t *pml4 = (uint64_t *)(c->base + RING3_PT_GPA);
		uint64_t *pdpt = (uint64_t *)(c->base + (pml4[0] & addr));
		uint64_t *pd = (uint64_t *)(c->base + (pdpt[0] & addr));

		pd[ci->free_start >> 21] &= ~(1ULL << 63);
		hc_vcpu_run((uint64_t)c->vcpu, &ex);
	}
	if (at < gpa_of(c->base) + c->size) {
		hc_log("attack: no free 2 MiB above the child");
		hc_exit(LAYER_CODE_BAD);
	}
	if (kind == RP_KIND_WXMAP)
		hc_vm_map((uint64_t)c->vm, c->size, at, 2ULL << 20,
			  RP_MAP_R | RP_MAP_W | RP_MAP_X);
	if (kind == RP_KIND_BADCODE) {
		rt_memset((void *)(uintptr_t)at, 0xc3, 4096); /* ret, ret, ... */
		hc_vm_map((uint64_t)c->vm, c->size, at, 4096, RP_MAP_R | RP_MAP_X);
	}
	hc_log("attack: the root let it pass");
	hc_exit(LAYER_CODE_BAD);
}

/* guestport: an ABI port written by a guest VM, which is only port I/O to us. */
static void guest_abi_port(const struct rp_exit *ex)
{
	struct line l = {.len = 0};

	line_str(&l, "guestport: the guest's out to ");
	line_hex(&l, ex->u.io.port);
	line_str(&l, " (");
	line_hex(&l, ex->u.io.data);
	line_str(&l, ") came to me as port I/O");
	line_send(&l);
}

/* reseal: the child built, sealed by its first run and destroyed, many times. */
static void reseal(const struct rp_boot_info *info, struct child *c, const struct rp_dev *devs,
		   unsigned ndevs)
{
	static struct rp_exit ex;

	for (unsigned i = 0; i < RESEAL_ROUNDS; i++) {
		if (hc_vcpu_run((uint64_t)c->vcpu, &ex) < 0 || hc_vm_destroy((uint64_t)c->vm) < 0 ||
		    (c->base += 0x1000, child_start_devs(info, c, devs, ndevs))) {
			hc_log("reseal: a round was refused");
			hc_exit(LAYER_CODE_BAD);
		}
	}
}

/* ---- the pass family's test kinds: hooks of pass_main ----------------------- */

static uint64_t period, events, exits, ios;

/* Before the child is built. */
void tk_pass_setup(const struct rp_boot_info *info, struct child *c, int kind)
{
	period = kind == RP_KIND_TICK ? last_arg(info) : 0;
	if (kind == RP_KIND_IDTWRITE)
		child_built_hook = idt_tamper;
	if (kind == RP_KIND_SPLITSYS)
		child_split_sys = RING3_STUB_GPA;
	if (kind == RP_KIND_GUESTPORT)
		c->vm_flags = RP_VM_IRQCHIP;
	if (kind == RP_KIND_HOG)
		hog_fill(info);
}

/* Once the child is built, before its layer's policy is sealed. */
void tk_pass_built(const struct rp_boot_info *info, struct child *c, const struct rp_dev *devs,
		   unsigned ndevs, int kind)
{
	if (kind == RP_KIND_RESEAL)
		reseal(info, c, devs, ndevs);
}

/* Before the child first runs. */
void tk_pass_start(const struct rp_boot_info *info, struct child *c, int kind)
{
	if (kind == RP_KIND_ROPASS && ro_map(info, c))
		hc_exit(LAYER_CODE_BAD);
	if (kind == RP_KIND_UNPIN && unpin(c))
		hc_exit(LAYER_CODE_BAD);
	if (kind == RP_KIND_SMASH) /* write my own text once my child is built */
		*(volatile uint8_t *)(uintptr_t)pass_main = 0xcc;
	if (kind == RP_KIND_RING0 && ring0(c))
		hc_exit(LAYER_CODE_BAD);
	if ((kind >= RP_KIND_SCRIBBLE && kind <= RP_KIND_SYSALIAS && kind != RP_KIND_FLAKY &&
	     kind != RP_KIND_RING0) ||
	    kind == RP_KIND_RELROWRITE) /* the attacks */
		attack(info, c, kind);
	if (period && hc5(RP_HC_TIMER, period, 0, 0, 0, 0) < 0) {
		hc_log("tick: RP_HC_TIMER refused");
		hc_exit(LAYER_CODE_BAD);
	}
}

/*
 * Each exit of the child, before pass_main handles it: true when handled
 * here (pass_main then runs the child again).
 */
bool tk_pass_exit(const struct rp_boot_info *info, const struct child *c, int kind,
		  const struct rp_exit *ex)
{
	const bool poweroff = ex->reason == RP_EXIT_IO && ex->u.io.out &&
			      ex->u.io.port == RP_PORT_POWEROFF;

	/* its child's first port I/O: its grandchild's (the devices' MMIO comes first) */
	if (kind == RP_KIND_MAPINFO && ex->reason == RP_EXIT_IO && !ios++)
		mapinfo_check(c, info->mem_size);
	if ((kind == RP_KIND_FLAKY || kind == RP_KIND_FWFLAKY) && !info->restarts &&
	    ++exits == FLAKY_AFTER)
		*(volatile uint8_t *)(uintptr_t)pass_main = 0xcc;
	if (period && ex->reason == RP_EXIT_EVENT && (ex->u.event.events & RP_EV_TIMER)) {
		events++;
		hc5(RP_HC_TIMER, period, 0, 0, 0, 0);
	}
	/* The root ends the stack at the power-off: log before forwarding it. */
	if (period && (poweroff || (ex->reason == RP_EXIT_DEAD && !ex->u.dead.restart)))
		tick_end(info, events);
	if (kind == RP_KIND_GUESTPORT && ex->reason == RP_EXIT_IO && ex->u.io.out &&
	    (ex->u.io.port == RP_HC_PORT || ex->u.io.port == RP_FAULT_PORT)) {
		guest_abi_port(ex);
		return true;
	}
	return false;
}


/* ---- test: the immediate parent answers the child's ports ------------------ */

struct test_state {
	uint64_t doorbells, words, next_word, cpu_result;
	int echo; /* 0: none seen, 1: right sum, -1: wrong sum */
};

static __attribute__((noreturn)) void test_end(struct test_state *t, uint64_t code)
{
	struct line l = {.len = 0};

	line_str(&l, "test: child exit ");
	line_hex(&l, code);
	line_str(&l, " doorbells ");
	line_dec(&l, t->doorbells);
	line_str(&l, " cpu ");
	line_hex(&l, t->cpu_result);
	line_str(&l, t->echo > 0 ? " echo ok" : t->echo < 0 ? " echo BAD" : " echo none");
	line_send(&l);
	hc_exit(t->echo < 0 ? LAYER_CODE_BAD : code);
}

static void test_io(struct test_state *t, struct rp_exit *ex)
{
	uint32_t v = (uint32_t)ex->u.io.data;
	uint64_t n = t->words;

	if (!ex->u.io.out && ex->u.io.port == RP_TPORT_ECHO_IN) {
		ex->u.io.data = t->next_word < n ? ++t->next_word : 0;
		return;
	}
	if (!ex->u.io.out)
		child_fatal("test", ex);
	switch (ex->u.io.port) {
	case RP_TPORT_DOORBELL:
		t->doorbells++;
		break;
	case RP_TPORT_RESULT:
		t->cpu_result = v;
		break;
	case RP_TPORT_ECHO_SUM:
		t->echo = v == (uint32_t)(n * (n + 1) / 2) ? 1 : -1;
		break;
	case RP_PORT_POWEROFF:
		test_end(t, v);
	default:
		child_fatal("test", ex);
	}
}

static __attribute__((noreturn)) void test_main(const struct rp_boot_info *info)
{
	struct test_state t = {.words = info->args[3]};
	struct child c = {0};

	if (child_start(info, &c))
		hc_exit(LAYER_CODE_BAD);
	for (;;) {
		if (hc_vcpu_run((uint64_t)c.vcpu, &child_exit) < 0) {
			hc_log("test: RP_HC_VCPU_RUN refused");
			hc_exit(LAYER_CODE_DEAD);
		}
		if (child_exit.reason == RP_EXIT_IO)
			test_io(&t, &child_exit);
		else
			layer_common_exit("test", &child_exit);
	}
}

#define PAIR_SIBLING_MEM (4ULL << 20)
#define PAIR_DOORBELLS 500

/*
 * "pair" (tests only): two children side by side. The first is payload[0]
 * (e.g. abuse, which attacks the root through every call); once it is done,
 * a sibling spin child, built beside it from the same image, must still run
 * its PAIR_DOORBELLS doorbells down to the root: one child's misuse leaves
 * its sibling's chain untouched.
 */
static __attribute__((noreturn)) void pair_main(const struct rp_boot_info *info)
{
	static struct child a, b;
	static struct rp_boot_info ib;

	if (child_start(info, &a))
		hc_exit(LAYER_CODE_BAD);
	for (;;) {
		if (hc_vcpu_run((uint64_t)a.vcpu, &child_exit) < 0)
			hc_exit(LAYER_CODE_DEAD);
		if (child_exit.reason == RP_EXIT_DEAD)
			break;
		if (child_exit.reason != RP_EXIT_IO || child_forward_io(&child_exit))
			child_fatal("pair", &child_exit);
	}
	if (child_exit.u.dead.code != 0) {
		hc_log("pair: the first child reported failures");
		hc_exit(child_exit.u.dead.code);
	}
	hc_log("pair: the first child ended with 0 failures; starting its sibling");
	rt_memcpy(&ib, info, sizeof(ib));
	rt_memcpy(ib.payload[0].kind, "spin", 5);
	ib.npayload = 1;
	ib.args[0] = PAIR_SIBLING_MEM;
	ib.args[1] = 1; /* spin: doorbells */
	ib.args[2] = PAIR_DOORBELLS;
	b.base = a.base + a.size;
	if (child_start(&ib, &b))
		hc_exit(LAYER_CODE_BAD);
	for (;;) {
		if (hc_vcpu_run((uint64_t)b.vcpu, &child_exit) < 0)
			hc_exit(LAYER_CODE_DEAD);
		if (child_exit.reason != RP_EXIT_IO || child_forward_io(&child_exit))
			child_fatal("pair", &child_exit);
	}
}

/* ---- the test kinds' entry ------------------------------------------------- */

void tk_main(const struct rp_boot_info *info, int kind)
{
	if (rp_kinds[kind].flags & RP_KF_PASS)
		pass_main(info, kind);
	switch (kind) {
	case RP_KIND_CANARY:
		guard_report(info);
		pass_main(info, RP_KIND_PASS);
	case RP_KIND_OVERRUN:
		overrun_main(info);
	case RP_KIND_PAIR:
		pair_main(info);
	case RP_KIND_SPIN:
		spin_main(info);
	case RP_KIND_ABUSE:
		abuse_main(info);
	case RP_KIND_CHURN:
		churn_main(info);
	case RP_KIND_SEALFILL:
		sealfill_main(info);
	case RP_KIND_FLOOD:
		flood_main(info);
	case RP_KIND_TEST:
		test_main(info);
	case RP_KIND_IO:
		io_main(info);
	case RP_KIND_BADRING:
		badring_main(info);
	case RP_KIND_VMMHIDE:
		vmmhide_main(info);
	}
	hc_log("layer: a test kind without a loop");
	hc_exit(LAYER_CODE_BAD);
}

