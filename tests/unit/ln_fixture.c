/* SPDX-License-Identifier: MIT */
/*
 * The fake stack of ln_fixture.h: built by the root's own code on the
 * fake KVM, and the checks every call of a test or the fuzzer passes.
 */
#include "ln_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot/ring3.h"
#include "fake_kvm.h"
#include "lib/rt.h"
#include "root/jail.h"

#define ELF_SIZE 0x4000
#define RUN_SIZE ((sizeof(struct kvm_run) + 0xfff) & ~(size_t)0xfff)
#define TABLES (RP_IMAGE_BASE - RING3_PT_GPA) /* a ring-3 VM's page-table range */

/* ---- the image: text R|X, rodata R, data R|W with bss ------------------------- */

static void st(uint8_t *p, uint64_t v, unsigned n)
{
	while (n--) {
		*p++ = (uint8_t)v;
		v >>= 8;
	}
}

static void phdr(uint8_t *e, unsigned i, uint32_t flags, uint64_t off, uint64_t vaddr,
		 uint64_t filesz, uint64_t memsz)
{
	uint8_t *ph = e + 64 + i * 56;

	st(ph, 1, 4); /* PT_LOAD */
	st(ph + 4, flags, 4);
	st(ph + 8, off, 8);
	st(ph + 16, vaddr, 8);
	st(ph + 24, vaddr, 8);
	st(ph + 32, filesz, 8);
	st(ph + 40, memsz, 8);
	st(ph + 48, 0x1000, 8);
}

static uint8_t *make_elf(void)
{
	uint8_t *e = calloc(1, ELF_SIZE);

	if (!e)
		return NULL;
	memcpy(e, "\x7f" "ELF\x02\x01\x01", 7);
	st(e + 16, 2, 2);  /* ET_EXEC */
	st(e + 18, 62, 2); /* EM_X86_64 */
	st(e + 20, 1, 4);
	st(e + 24, LF_TEXT + 0x10, 8); /* entry */
	st(e + 32, 64, 8);             /* phoff */
	st(e + 52, 64, 2);
	st(e + 54, 56, 2);
	st(e + 56, 3, 2);
	phdr(e, 0, 5, 0x1000, LF_TEXT, 0x100, 0x100);
	phdr(e, 1, 4, 0x2000, LF_RODATA, 0x80, 0x80);
	phdr(e, 2, 6, 0x3000, LF_DATA, 0x10, 0x3000);
	memset(e + 0x1000, 0x90, 0x100);
	memset(e + 0x2000, 0x52, 0x80);
	memset(e + 0x3000, 0x44, 0x10);
	return e;
}

/* ---- building ------------------------------------------------------------------ */

struct area {
	uint8_t *host;
	uint64_t size;
};

static void *area_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
	struct area *a = ctx;

	return rt_range_ok(gpa, len, a->size) ? a->host + gpa : NULL;
}

static const char *build_image(struct lf *f, uint8_t *host, uint64_t mem, unsigned depth,
			       struct rp_vcpu_state *st, struct ring3_range *rg, int *nrg)
{
	struct area a = {host, mem};
	struct boot_mem m = {.ctx = &a, .gpa_ptr = area_ptr};
	struct rp_boot_info info = {.magic = RP_BOOT_MAGIC, .version = RP_ABI_VERSION,
				    .depth = depth, .kind = "spin"};
	const char *why = "?";

	if (ring3_build(&m, mem, f->elf, f->elf_size, &info, st, &why))
		return why;
	*nrg = ring3_layout(mem, f->elf, f->elf_size, rg, RING3_MAX_RANGES, &why);
	return *nrg < 0 ? why : NULL;
}

const char lf_refused[] = "refused";

/* lf_hc, and lf_refused when the call did not answer want (-1: any success). */
static const char *child_hc(struct lf *f, struct ln_vcpu *pv, uint32_t nr, const uint64_t a[5],
			    int64_t want, int64_t *ret)
{
	const char *bad = lf_hc(f, pv, nr, a, ret);

	if (bad)
		return bad;
	if (want == -1 ? *ret >= 0 : *ret == want)
		return NULL;
	f->refused_nr = nr;
	f->refused_ret = *ret;
	return lf_refused;
}

uint8_t *lf_guest(struct ln_node *n, uint64_t gpa, uint64_t len)
{
	return ln_node_ptr(n, gpa, len, RP_MAP_R | RP_MAP_W);
}

const char *lf_child(struct lf *f, struct ln_vcpu *pv, uint64_t gpa, uint64_t mem, bool run,
		     uint64_t *h, uint64_t *hv)
{
	struct ring3_range rg[RING3_MAX_RANGES];
	struct rp_vcpu_state s;
	uint64_t a[5] = {0};
	const char *bad;
	uint8_t *host = lf_guest(pv->node, gpa, mem), *p;
	int64_t ret;
	int k;

	p = lf_guest(pv->node, LF_STATE_GPA, sizeof(s));
	if (!host || !p || (p >= host && p < host + mem))
		return lf_refused; /* not its memory to build a child in */
	if ((bad = child_hc(f, pv, RP_HC_VM_CREATE, a, -1, &ret)))
		return bad;
	*h = (uint64_t)ret;
	if ((bad = build_image(f, host, mem, pv->node->depth + 1, &s, rg, &k)))
		return bad;
	for (int i = 0; i < k; i++) {
		uint64_t m[5] = {*h, rg[i].gpa, gpa + rg[i].gpa, rg[i].size, rg[i].rights};

		if ((bad = child_hc(f, pv, RP_HC_VM_MAP, m, 0, &ret)))
			return bad;
	}
	a[0] = *h;
	if ((bad = child_hc(f, pv, RP_HC_VCPU_CREATE, a, -1, &ret)))
		return bad;
	*hv = (uint64_t)ret;
	memcpy(p, &s, sizeof(s));
	a[0] = *hv;
	a[1] = LF_STATE_GPA;
	if ((bad = child_hc(f, pv, RP_HC_VCPU_SET, a, 0, &ret)) || !run)
		return bad;
	a[1] = LF_EXIT_GPA;
	return child_hc(f, pv, RP_HC_VCPU_RUN, a, LF_PENDING, &ret);
}

const char *lf_build(struct lf *f)
{
	struct ring3_range rg[RING3_MAX_RANGES];
	struct rp_vcpu_state s;
	const char *bad, *path = "tiny.elf";
	struct ln_root *r;
	uint64_t where;
	static int log_fd = -1;
	struct jail_config jc;
	int k;

	memset(f, 0, sizeof(*f));
	if (log_fd < 0) { /* refusals are lines: not the test's output */
		log_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		log_open(log_fd >= 0 ? log_fd : 2, "test");
	}
	fk_fail_at = 0;
	/*
	 * Started vCPUs (RP_HC_VCPU_START) run threads here too: no jail adds
	 * their lists, and their kicks (SIGALRM to the "chain", this thread,
	 * LN_AP_KICK to them as they end) wake nothing but must not end the process.
	 */
	jail_defaults(&jc);
	jc.off = true;
	jail_configure(&jc);
	signal(SIGALRM, SIG_IGN);
	signal(LN_AP_KICK, SIG_IGN);
	f->elf = make_elf();
	f->elf_size = ELF_SIZE;
	r = f->r = calloc(1, sizeof(*f->r));
	if (!f->elf || !r)
		return "out of memory";
	f->stack.nlayers = 3;
	for (unsigned i = 0; i < 3; i++)
		strcpy(f->stack.kinds[i], "spin");
	r->stack = &f->stack;
	r->res = &f->res;
	r->kick_fd = r->wake_fd = -1;
	pthread_mutex_init(&r->ap_lock, NULL);
	pthread_cond_init(&r->ap_cond, NULL);
	r->chain = pthread_self();
	r->run_size = RUN_SIZE;
	r->kvm_fd = fk_open(RUN_SIZE);
	if (r->kvm_fd < 0 || ring3_tables(r->tables) ||
	    ln_approve_code(r, (void *const *)&f->elf, &f->elf_size, 1, &path))
		return "the root's set-up";
	/* Fresh, so that only the pages a stack touches are there for guard's mprotect. */
	f->mem = mmap(NULL, LF_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->mem == MAP_FAILED) {
		f->mem = NULL;
		return "out of memory";
	}
	r->bottom_host = f->mem;
	r->bottom_size = LF_MEM;
	/* Layer 1 as ln_load_bottom builds it: its image, then the sealed layout. */
	f->bottom = r->bottom = ln_node_new(r, NULL, true);
	if (!f->bottom)
		return "KVM_CREATE_VM";
	if ((bad = build_image(f, f->mem, LF_MEM, 1, &s, rg, &k)))
		return bad;
	for (int i = 0; i < k; i++)
		if (ln_node_map(f->bottom, rg[i].gpa, rg[i].size, f->mem + rg[i].gpa, rg[i].rights))
			return "layer 1's layout";
	f->v0 = ln_vcpu_new(r, f->bottom);
	f->v1 = ln_vcpu_new(r, f->bottom);
	f->v2 = ln_vcpu_new(r, f->bottom);
	if (!f->v0 || !f->v1 || !f->v2 || kvm_state_set(f->v0->fd, &s) ||
	    kvm_state_set(f->v1->fd, &s) || kvm_state_set(f->v2->fd, &s))
		return "layer 1's vCPUs";
	if ((bad = ln_seal_vcpu(r, f->v0, &where)) || (bad = ln_seal_vcpu(r, f->v1, &where)) ||
	    (bad = ln_seal_vcpu(r, f->v2, &where)))
		return bad;
	f->v0->sealed = f->v1->sealed = f->v2->sealed = true;
	if ((bad = lf_check(f)))
		return bad;
	/* A, B and A1 as their parents make them. */
	if ((bad = lf_child(f, f->v0, LF_A_GPA, LF_A_MEM, true, &f->h_a, &f->hv_a)))
		return bad;
	f->a = ln_child_of(f->bottom, f->h_a);
	f->va = f->a->vcpus[0];
	f->a_maps = f->a->nmaps;
	if ((bad = lf_child(f, f->v1, LF_B_GPA, LF_B_MEM, true, &f->h_b, &f->hv_b)))
		return bad;
	f->b = ln_child_of(f->bottom, f->h_b);
	f->vb = f->b->vcpus[0];
	if ((bad = lf_child(f, f->va, LF_A1_GPA, LF_A1_MEM, true, &f->h_a1, &f->hv_a1)))
		return bad;
	f->a1 = ln_child_of(f->a, f->h_a1);
	f->va1 = f->a1->vcpus[0];
	return NULL;
}

const char *lf_free(struct lf *f)
{
	const char *bad = NULL;

	if (f->bottom)
		ln_node_free(f->r, f->bottom);
	if (f->r && f->r->kvm_fd >= 0)
		close(f->r->kvm_fd);
	if (f->r && (f->r->nodes || f->r->nvcpus))
		bad = "the stack's counts are not 0 once it is freed";
	if (fk_open_fds(FK_VM) || fk_open_fds(FK_VCPU))
		bad = "a VM's or a vCPU's fd is still open once the stack is freed";
	if (f->mem)
		munmap(f->mem, LF_MEM);
	free(f->r);
	free(f->elf);
	memset(f, 0, sizeof(*f));
	return bad;
}

/* ---- one call ------------------------------------------------------------------ */

/*
 * During a call by v's layer, only the memory that layer may write (its
 * maps with W, above its system area) is writable; for RP_HC_EXIT also
 * its parent's, where the root writes the parent's exit record.
 */
static void guard(struct lf *f, const struct ln_node *n, bool parent_too)
{
	mprotect(f->mem, LF_MEM, PROT_READ);
	for (; n; n = parent_too ? n->parent : NULL, parent_too = false)
		for (unsigned i = 0; i < n->nmaps; i++) {
			const struct ln_map *m = &n->maps[i];

			if ((m->rights & RP_MAP_W) && (n->irqchip || m->gpa >= RP_IMAGE_BASE))
				mprotect(m->host, m->size, PROT_READ | PROT_WRITE);
		}
}

int64_t lf_call(struct lf *f, struct ln_vcpu *v, uint32_t nr, const uint64_t a[5])
{
	struct kvm_regs *g = &v->run->s.regs.regs;

	g->rax = nr;
	g->rdi = a[0];
	g->rsi = a[1];
	g->r8 = a[2];
	g->r9 = a[3];
	g->r10 = a[4];
	v->run->kvm_dirty_regs = 0;
	guard(f, v->node, nr == RP_HC_EXIT);
	ln_hypercall(f->r, v);
	mprotect(f->mem, LF_MEM, PROT_READ | PROT_WRITE);
	if (!(v->run->kvm_dirty_regs & KVM_SYNC_X86_REGS))
		return LF_PENDING;
	return (int64_t)g->rax;
}

/* ---- what must not change: a snapshot of the tree outside a subtree ---------------- */

struct vsnap {
	const struct ln_vcpu *v;
	const struct ln_vcpu *running;
	uint64_t exit_gpa, cr3, gdt, idt;
	bool dead, pinned, sealed;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
};

struct nsnap {
	const struct ln_node *n;
	struct ln_map maps[LN_MAX_SLOTS]; /* by gpa */
	unsigned nmaps, nvcpus, vm_maps, nisr;
	struct ln_node *children[RP_MAX_CHILDREN];
	struct vsnap v[RP_MAX_VCPUS];
	uint64_t events, deadline_ns, exit_code;
	uint32_t lines, kvm_lines;
	bool exited, irqchip, layer;
	uint64_t isr[RP_MAX_ISR][3];
};

struct snap {
	const struct ln_node *top;
	struct nsnap nodes[LN_MAX_VMS];
	unsigned n;
	struct ln_seal seals[LN_MAX_SEALS]; /* those of owners outside top's subtree */
	unsigned nseals;
	struct ln_seal sub[LN_MAX_SEALS]; /* and those inside it */
	unsigned nsub;
};

static int by_gpa(const void *x, const void *y)
{
	const struct ln_map *a = x, *b = y;

	return a->gpa < b->gpa ? -1 : a->gpa > b->gpa;
}

static void snap_node(struct snap *s, const struct ln_node *n)
{
	struct nsnap *ns;
	unsigned i;

	if (!ln_in_subtree(n, s->top) && s->n < LN_MAX_VMS) {
		ns = &s->nodes[s->n++];
		memset(ns, 0, sizeof(*ns));
		ns->n = n;
		ns->nmaps = n->nmaps;
		for (i = 0; i < n->nmaps; i++) {
			ns->maps[i] = n->maps[i];
			ns->maps[i].slot = 0; /* KVM's number: which one is not state (lf_check) */
		}
		qsort(ns->maps, n->nmaps, sizeof(ns->maps[0]), by_gpa);
		ns->nvcpus = n->nvcpus;
		ns->vm_maps = n->vm_maps;
		memcpy(ns->children, n->children, sizeof(ns->children));
		for (i = 0; i < n->nvcpus; i++) {
			const struct ln_vcpu *v = n->vcpus[i];
			struct fk_fd *k = fk_get(v->fd);

			ns->v[i].v = v; /* field by field: the padding stays zero for memcmp */
			ns->v[i].running = v->running;
			ns->v[i].exit_gpa = v->exit_gpa;
			ns->v[i].cr3 = v->cr3;
			ns->v[i].gdt = v->gdt;
			ns->v[i].idt = v->idt;
			ns->v[i].dead = v->dead;
			ns->v[i].pinned = v->pinned;
			ns->v[i].sealed = v->sealed;
			if (k) {
				ns->v[i].regs = k->regs;
				ns->v[i].sregs = k->sregs;
			}
		}
		ns->events = n->events;
		ns->deadline_ns = n->deadline_ns;
		ns->exit_code = n->exit_code;
		ns->lines = n->lines;
		ns->kvm_lines = fk_get(n->vm_fd) ? fk_get(n->vm_fd)->levels : ~0u;
		ns->exited = n->exited;
		ns->irqchip = n->irqchip;
		ns->layer = n->layer;
		ns->nisr = n->nisr;
		for (i = 0; i < n->nisr; i++) {
			ns->isr[i][0] = n->isr[i].base;
			ns->isr[i][1] = n->isr[i].isr;
			ns->isr[i][2] = n->isr[i].line;
		}
	}
	for (i = 0; i < RP_MAX_CHILDREN; i++)
		if (n->children[i])
			snap_node(s, n->children[i]);
}

/* Two snapshots, before a call and after: static, so that taking one faults in no pages. */
static struct snap snaps[2];

static struct snap *snap_take(struct lf *f, const struct ln_node *top, unsigned which)
{
	struct snap *s = &snaps[which];

	s->top = top;
	s->n = s->nseals = s->nsub = 0;
	snap_node(s, f->bottom);
	for (unsigned i = 0; i < f->r->nseals; i++)
		if (!ln_in_subtree(f->r->seals[i].owner, top))
			s->seals[s->nseals++] = f->r->seals[i];
		else
			s->sub[s->nsub++] = f->r->seals[i];
	return s;
}

/*
 * Is every page of host [h, h + len) under a seal owned in top's subtree,
 * before the call (s->sub; its owner may be gone) or now?
 */
static bool subtree_sealed(const struct lf *f, const struct snap *s, const uint8_t *h,
			   uint64_t len)
{
	const struct ln_seal *before = s->sub;
	unsigned nbefore = s->nsub;

	for (uint64_t off = 0; off < len; off += 4096) {
		const uint8_t *p = h + off;
		bool in = false;

		for (unsigned i = 0; !in && i < f->r->nseals; i++)
			in = ln_in_subtree(f->r->seals[i].owner, s->top) && p >= f->r->seals[i].host &&
			     p < f->r->seals[i].host + f->r->seals[i].size;
		for (unsigned i = 0; !in && i < nbefore; i++)
			in = p >= before[i].host && p < before[i].host + before[i].size;
		if (!in)
			return false;
	}
	return true;
}

static const struct ln_map *map_at(const struct ln_map *m, unsigned n, uint64_t gpa)
{
	for (unsigned i = 0; i < n; i++)
		if (gpa >= m[i].gpa && gpa - m[i].gpa < m[i].size)
			return &m[i];
	return NULL;
}

/*
 * The same memory, byte for byte, at the same guest addresses with the same
 * rights, but W where a seal of the subtree took it or gave it back.
 */
static const char *maps_same(const struct lf *f, const struct snap *s, const struct ln_map *old,
			     unsigned nold, const struct ln_map *now, unsigned nnow)
{
	uint64_t g = 0;

	for (;;) {
		const struct ln_map *o = map_at(old, nold, g), *w = map_at(now, nnow, g);
		uint64_t next = UINT64_MAX, end;

		if (!o && !w) {
			for (unsigned i = 0; i < nold; i++)
				if (old[i].gpa > g && old[i].gpa < next)
					next = old[i].gpa;
			for (unsigned i = 0; i < nnow; i++)
				if (now[i].gpa > g && now[i].gpa < next)
					next = now[i].gpa;
			if (next == UINT64_MAX)
				return NULL;
			g = next;
			continue;
		}
		if (!o || !w)
			return "a map outside the caller's subtree came or went";
		if (o->host + (g - o->gpa) != w->host + (g - w->gpa))
			return "a map outside the caller's subtree moved";
		end = o->gpa + o->size < w->gpa + w->size ? o->gpa + o->size : w->gpa + w->size;
		if ((o->rights ^ w->rights) & ~(uint32_t)RP_MAP_W)
			return "a map outside the caller's subtree changed its rights";
		if (((o->rights ^ w->rights) & RP_MAP_W) &&
		    !subtree_sealed(f, s, w->host + (g - w->gpa), end - g))
			return "a map outside the caller's subtree lost or gained W for no seal of it";
		if (!end)
			return NULL;
		g = end;
	}
}

/*
 * Compare with the tree now. exact: the call was refused (nothing may
 * differ); else W may move with the subtree's seals, and for RP_HC_EXIT
 * the caller's runner stops running it.
 */
static const char *snap_same(struct lf *f, struct snap *s, bool exact, bool exit)
{
	struct snap *now = snap_take(f, s->top, 1);
	const char *bad = NULL;
	unsigned i;

	if (now->n != s->n) {
		bad = "a VM outside the caller's subtree came or went";
		goto out;
	}
	if (now->nseals != s->nseals || memcmp(now->seals, s->seals, s->nseals * sizeof(s->seals[0]))) {
		bad = "a seal of a VM outside the caller's subtree changed";
		goto out;
	}
	for (i = 0; i < s->n && !bad; i++) {
		struct nsnap *o = &s->nodes[i], *w = &now->nodes[i];

		if (o->n != w->n) {
			bad = "the tree outside the caller's subtree changed";
			break;
		}
		if (exact) {
			if (o->nmaps != w->nmaps || memcmp(o->maps, w->maps, o->nmaps * sizeof(o->maps[0])))
				bad = "a map outside the caller's subtree changed";
		} else {
			bad = maps_same(f, s, o->maps, o->nmaps, w->maps, w->nmaps);
		}
		if (bad)
			break;
		for (unsigned k = 0; exit && k < o->nvcpus; k++)
			if (o->v[k].running && ln_in_subtree(o->v[k].running->node, s->top) &&
			    !w->v[k].running)
				o->v[k].running = NULL;
		memset(o->maps, 0, sizeof(o->maps));
		memset(w->maps, 0, sizeof(w->maps));
		o->nmaps = w->nmaps = 0;
		if (memcmp(o, w, sizeof(*o)))
			bad = "a VM outside the caller's subtree changed (handles, vCPUs, state, events)";
	}
out:
	return bad;
}

const char *lf_hc(struct lf *f, struct ln_vcpu *v, uint32_t nr, const uint64_t a[5],
		  int64_t *ret)
{
	struct snap *s = snap_take(f, v->node, 0);
	const char *bad;
	bool faulted;

	*ret = lf_call(f, v, nr, a);
	faulted = f->faults && f->r->done; /* KVM failed midway: a map lost, the stack halted */
	bad = faulted ? NULL : snap_same(f, s, *ret < 0 && *ret != LF_PENDING, nr == RP_HC_EXIT);
	return bad ? bad : lf_check(f);
}

/* ---- the stack's invariants ------------------------------------------------------- */

struct walk {
	struct lf *f;
	bool halted;
	unsigned nodes, vcpus;
	const char *bad;
};

/* Invariant 1: the root's map table is what KVM holds, slot for slot. */
static const char *kvm_agrees(const struct ln_node *n)
{
	struct fk_fd *k = fk_get(n->vm_fd);
	unsigned used = 0;

	if (!k || k->kind != FK_VM)
		return "a VM's fd is not a KVM VM";
	for (unsigned i = 0; i < FK_MAX_SLOTS; i++)
		used += k->slots[i].used;
	if (used != n->nmaps)
		return "KVM holds another number of slots than the root's table";
	for (unsigned i = 0; i < n->nmaps; i++) {
		const struct ln_map *m = &n->maps[i];
		const struct fk_slot *s = m->slot < FK_MAX_SLOTS ? &k->slots[m->slot] : NULL;

		if (!s || !s->used || s->gpa != m->gpa || s->size != m->size ||
		    s->host != (uint64_t)(uintptr_t)m->host ||
		    !(s->flags & KVM_MEM_READONLY) != !!(m->rights & RP_MAP_W))
			return "a map of the root's table is not the KVM slot it names";
	}
	return NULL;
}

/*
 * The rights n's maps give host byte p, all together, and where that
 * stops being so (the end of a map over p, or the start of another).
 */
static uint32_t host_rights(const struct ln_node *n, const uint8_t *p, const uint8_t **until)
{
	uint32_t rights = 0;

	for (unsigned i = 0; i < n->nmaps; i++) {
		const uint8_t *lo = n->maps[i].host, *hi = lo + n->maps[i].size;

		if (p >= lo && p < hi) {
			rights |= n->maps[i].rights;
			if (hi < *until)
				*until = hi;
		} else if (lo > p && lo < *until) {
			*until = lo;
		}
	}
	return rights;
}

/* Is all of host [p, q) under one seal owned by n? */
static bool sealed_for(const struct ln_root *r, const uint8_t *p, const uint8_t *q,
		       const struct ln_node *n)
{
	for (unsigned i = 0; i < r->nseals; i++)
		if (r->seals[i].owner == n && p >= r->seals[i].host &&
		    q <= r->seals[i].host + r->seals[i].size)
			return true;
	return false;
}

/*
 * Invariants 2 and 9 for n's maps: inside layer 1's memory; each byte
 * its parent's too, readable, and writable where n's is (but n's own
 * page tables, sealed against the parent); no W over a sealed byte but the
 * owner's page tables, in its table slot.
 */
static const char *maps_ok(const struct lf *f, const struct ln_node *n)
{
	const struct ln_root *r = f->r;

	for (unsigned i = 0; i < n->nmaps; i++) {
		const struct ln_map *m = &n->maps[i];

		if (m->host < f->mem || m->size > LF_MEM || m->host + m->size > f->mem + LF_MEM)
			return "a map outside layer 1's memory";
		for (const uint8_t *p = m->host, *q; n->parent && p < m->host + m->size; p = q) {
			uint32_t rights;

			q = m->host + m->size;
			rights = host_rights(n->parent, p, &q);
			if (!(rights & RP_MAP_R))
				return "a map of bytes its parent cannot read";
			if ((m->rights & RP_MAP_W) && !(rights & RP_MAP_W) && !sealed_for(r, p, q, n))
				return "a writable map of bytes its parent cannot write";
		}
		if (!(m->rights & RP_MAP_W))
			continue;
		for (unsigned s = 0; s < r->nseals; s++) {
			const struct ln_seal *sl = &r->seals[s];
			const uint8_t *lo = sl->host > m->host ? sl->host : m->host;
			const uint8_t *hi = sl->host + sl->size < m->host + m->size ? sl->host + sl->size
										  : m->host + m->size;

			if (lo < hi && !(sl->owner == n && sl->size == TABLES &&
					 ln_in_place(m, lo, sl->host, RING3_PT_GPA) &&
					 ln_in_place(m, hi - 1, sl->host, RING3_PT_GPA)))
				return "a writable map over a sealed range";
		}
	}
	return NULL;
}

/*
 * A sealed vCPU's state in KVM is the ring-3 control state (read from the
 * fake itself: a check must not be an ioctl that fk_fail_at could fail).
 */
static const char *vcpu_ok(const struct ln_vcpu *v)
{
	const struct ln_node *n = v->node;
	struct fk_fd *k = fk_get(v->fd);
	struct rp_vcpu_state st;

	if (!k || k->kind != FK_VCPU || k->vm != n->vm_fd)
		return "a vCPU's fd is not a vCPU of its VM";
	if (!v->sealed || n->irqchip)
		return NULL;
	memset(&st, 0, sizeof(st));
	st.cr0 = k->sregs.cr0;
	st.cr4 = k->sregs.cr4;
	st.efer = k->sregs.efer;
	st.rflags = k->regs.rflags;
	st.cs.selector = k->sregs.cs.selector;
	st.cs.dpl = k->sregs.cs.dpl;
	st.ss.selector = k->sregs.ss.selector;
	st.ss.dpl = k->sregs.ss.dpl;
	st.ldt.present = k->sregs.ldt.present && !k->sregs.ldt.unusable;
	if (!ln_ctl_state_ok(&st))
		return "a sealed vCPU without the ring-3 control state";
	return NULL;
}

/*
 * The page tables a sealed vCPU runs on, walked again here, apart from
 * the root's walk (ln_seal.c), for what matters most: every table in the
 * range sealed for its VM (so nothing can change them now), no page both
 * writable and executable, nothing below RP_IMAGE_BASE reachable from
 * CPL 3 but the boot-info page read-only, and user code only in X maps.
 */
#define PT_ADDR 0x000ffffffffff000ULL
#define PT_MAX_TABLES 4096 /* the root's bound (ln_seal.c): tables it walks at most */

struct ptw {
	const struct ln_root *r;
	const struct ln_node *n;
	unsigned visits;
};

static const char *pt_check(struct ptw *w, uint64_t gpa, int level, bool rw, bool us, bool nx)
{
	const uint8_t *t;

	if (gpa < RING3_PT_GPA || gpa >= RP_IMAGE_BASE || (gpa & 0xfff))
		return "a sealed vCPU's page table outside its table range";
	if (++w->visits > PT_MAX_TABLES)
		return "a sealed vCPU's page tables past 4096 tables";
	t = ln_node_ptr((struct ln_node *)w->n, gpa, 4096, RP_MAP_R);
	if (!t || !sealed_for(w->r, t, t + 4096, w->n))
		return "a sealed vCPU's page table not sealed";
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e, page;
		bool leaf, erw, eus, enx;
		const char *bad;

		memcpy(&e, t + i * 8, 8);
		if (!(e & 1))
			continue;
		erw = rw && (e & 2);
		eus = us && (e & 4);
		enx = nx || (e >> 63);
		leaf = level == 1 || (level == 2 && (e & 0x80)) || (level == 3 && (e & 0x80));
		if (!leaf) {
			if ((bad = pt_check(w, e & PT_ADDR, level - 1, erw, eus, enx)))
				return bad;
			continue;
		}
		page = e & PT_ADDR & ~((1ULL << (12 + 9 * (level - 1))) - 1);

		if (erw && !enx)
			return "a sealed vCPU has a page both writable and executable";
		if (page < RP_IMAGE_BASE && eus && (page != RP_BOOT_INFO_GPA || erw || !enx))
			return "a sealed vCPU reaches its system area from CPL 3";
		if (page >= RP_IMAGE_BASE && !enx && eus) {
			uint64_t size = 1ULL << (12 + 9 * (level - 1));
			const struct ln_map *m = ln_map_at((struct ln_node *)w->n, page);

			if (!m || !(m->rights & RP_MAP_X) || page - m->gpa + size > m->size)
				return "a sealed vCPU runs user code outside an X map";
		}
	}
	return NULL;
}

static void walk_node(struct walk *w, const struct ln_node *n)
{
	if (w->bad)
		return;
	w->nodes++;
	w->vcpus += n->kvm_ids; /* with those KVM keeps after a failed set-up */
	if ((n->parent && n->depth != n->parent->depth + 1) || n->nmaps > LN_MAX_SLOTS ||
	    n->nvcpus > RP_MAX_VCPUS || n->vm_maps > RP_MAX_MAPS)
		w->bad = "a VM's depth or a quota broken";
	if (!w->bad)
		w->bad = kvm_agrees(n);
	if (!w->bad && !w->halted)
		w->bad = maps_ok(w->f, n);
	for (unsigned i = 0; !w->bad && !w->halted && i < n->nvcpus; i++)
		if (!(w->bad = vcpu_ok(n->vcpus[i])) && n->vcpus[i]->sealed && !n->irqchip) {
			const uint8_t *t = ln_node_ptr((struct ln_node *)n, RING3_PT_GPA, TABLES, RP_MAP_R);

			struct ptw pw = {.r = w->f->r, .n = n};

			if (!t || !sealed_for(w->f->r, t, t + TABLES, n))
				w->bad = "a sealed vCPU whose page tables are not sealed";
			else
				w->bad = pt_check(&pw, fk_get(n->vcpus[i]->fd)->sregs.cr3 & ~0xfffULL, 4,
						  true, true, false);
		}
	for (unsigned i = 0; !w->bad && i < RP_MAX_CHILDREN; i++)
		if (n->children[i] && n->children[i]->parent != n)
			w->bad = "a handle names a VM that is not the caller's child";
		else if (n->children[i])
			walk_node(w, n->children[i]);
}

const char *lf_check(struct lf *f)
{
	struct walk w = {.f = f};

	/*
	 * KVM failed midway and the stack halted (a map could not be put
	 * back): nothing runs any more, only the tables must still agree.
	 */
	w.halted = f->faults && f->r->done;
	walk_node(&w, f->bottom);
	if (!w.bad && (w.nodes != f->r->nodes || w.vcpus != f->r->nvcpus))
		w.bad = "the stack's VM or vCPU count is not the tree's";
	if (!w.bad && (f->r->nodes > LN_MAX_VMS || f->r->nvcpus > LN_MAX_STACK_VCPUS))
		w.bad = "the stack's quotas broken";
	return w.bad;
}
