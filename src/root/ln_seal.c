/* SPDX-License-Identifier: MIT */
/*
 * Sealing: what a ring-3 VM may run and what nothing may write. The seals
 * over host bytes and the map pieces they cut, the walk of a ring-3 VM's
 * page tables, the checks of its control state, and the approved code
 * (the measured text of the stack's layer images).
 *
 * Invariants this file keeps (numbered as in ln.h's index):
 *  8. Pinned control state: a ring-3 VM (any VM created without
 *     RP_VM_IRQCHIP) has the control state ring3_build enters it with
 *     (ring3.h) and no other: CS RING3_UCS and SS RING3_UDS at DPL 3 (KVM
 *     takes the CPL from SS), CR0, CR4 and EFER exactly (no EFER.SCE, no
 *     CR0.CD/NW, CR4 as built), RFLAGS IF and VM clear, no LDT (IOPL is
 *     not pinned: the I/O bitmap allows every port, and CPL 3 cannot raise it).
 *     RP_HC_VCPU_SET refuses any other for such a child (RP_EPERM, the
 *     child keeps its state), whatever KVM would accept (it runs CPL 0 with
 *     paging off); the state KVM holds is checked again before the first
 *     run after each set; and on every exit, before acting on it, the
 *     registers KVM syncs with the exit show the same, and CR3, GDTR and
 *     IDTR as they were at its first exit since its parent last set its
 *     state. Debug registers and MSRs (LSTAR) are not in the ABI's state:
 *     no parent sets them, CPL 3 cannot. Anything else at an exit, or a
 *     fault reported by the ring-0 stub of a layer that has children (an
 *     intermediate layer), is an integrity violation: one "violation"
 *     event and the whole stack halts (fail closed: nothing passes through
 *     a broken layer).
 *  9. Sealing: every layer is mapped in the layout of ring3_layout (system
 *     area and code read-only, KVM_MEM_READONLY). Into a layer child, a map
 *     with X must hold approved code (the text of a layer image of the
 *     stack, measured at the map: its SHA-256 as loaded) and must not have
 *     W; a map without W seals its host bytes: every writable map of every
 *     VM of the tree that covers them is split and the overlap made
 *     read-only, the caller's own included. Before a ring-3 VM first runs
 *     (and after each new state), its GDT, TSS, IDT and fault stub must be
 *     the ones ring3_tables writes, at their places, in sealed maps: every
 *     map over any byte of them, piece by piece, without W (a range spread
 *     over several maps is no exception), so each was sealed when mapped;
 *     and its page tables are walked from CR3 (a bounded number of tables,
 *     all inside [RING3_PT_GPA, RP_IMAGE_BASE)): the system area mapped as
 *     ring3_build maps it, each virtual page below RP_IMAGE_BASE a 4 KiB
 *     page onto the same physical page (the CPU reads its tables and runs
 *     its stub there, so those must be the sealed pages), no page writable
 *     and executable, user code only in measured maps; no map of the VM
 *     but its table slot may hold the tables' bytes; then the tables are
 *     sealed against every other VM and every other map of its own (only
 *     its slot, by guest address, stays writable for the hardware walker:
 *     supervisor pages, out of its reach, and the root writes nothing
 *     below RP_IMAGE_BASE on a ring-3 VM's behalf). A writable code map,
 *     unmeasured code, tables that break these rules, or a write that
 *     reaches a sealed slot (an MMIO exit inside a VM's memory) is a
 *     violation. A seal is all or nothing: the pieces it needs are counted
 *     against LN_MAX_SLOTS in every table before any map changes (past it,
 *     the map that asked for the seal is refused, RP_ENOMEM), and a KVM
 *     failure midway is undone. Lifting a seal merges the pieces cut from
 *     one map again, so slots come back and no table grows with the
 *     number of seals made and lifted.
 */
#include <string.h>

#include "lib/rt.h"
#include "root/ln.h"

/* ---- seals (invariant 9) -------------------------------------------------------- */

/* The writable part of map m that [host, host + size) covers, as [*a, *b) of m: false if none. */
static bool seal_overlap(const struct ln_map *m, const uint8_t *host, uint64_t size, uint64_t *a,
			 uint64_t *b)
{
	const uint8_t *lo = host > m->host ? host : m->host;
	const uint8_t *hi = host + size < m->host + m->size ? host + size : m->host + m->size;

	if (!(m->rights & RP_MAP_W) || lo >= hi)
		return false;
	*a = (uint64_t)(lo - m->host);
	*b = (uint64_t)(hi - m->host);
	return true;
}

/*
 * Must map i of n lose W to seal [host, host + size)? Its overlap is then
 * [*a, *b) of it. except's own map of the bytes at guest address at (its
 * page-table slot) keeps W.
 */
static bool seal_cuts(const struct ln_node *n, unsigned i, const uint8_t *host, uint64_t size,
		      const struct ln_node *except, uint64_t at, uint64_t *a, uint64_t *b)
{
	const struct ln_map *m = &n->maps[i];

	return seal_overlap(m, host, size, a, b) &&
	       !(n == except && ln_in_place(m, m->host + *a, host, at));
}

/*
 * Does sealing [host, host + size) fit every table of n's subtree? Each
 * writable map it overlaps becomes up to three pieces: known before
 * anything changes, so a seal past LN_MAX_SLOTS is refused whole, not left
 * half done.
 */
static bool seal_fits(const struct ln_node *n, const uint8_t *host, uint64_t size,
		      const struct ln_node *except, uint64_t at)
{
	unsigned i, c, need = n->nmaps;
	uint64_t a, b;

	for (i = 0; i < n->nmaps; i++)
		if (seal_cuts(n, i, host, size, except, at, &a, &b))
			need += (a > 0) + (b < n->maps[i].size);
	if (need > LN_MAX_SLOTS)
		return false;
	for (c = 0; c < RP_MAX_CHILDREN; c++)
		if (n->children[c] && !seal_fits(n->children[c], host, size, except, at))
			return false;
	return true;
}

/*
 * Sealing (invariant 9): no map of n or of its subtree may write the host
 * bytes [host, host + size) any more, but except's own map of them at its
 * guest address at (its page-table slot), if except is set. Each writable
 * map that overlaps them is split in up to three: the parts before and
 * after stay writable, the overlap becomes a read-only KVM slot. 0, -1
 * (KVM refused: the caller undoes it), -2 (a map was lost: the caller
 * halts).
 */
static int seal_subtree(struct ln_node *n, const uint8_t *host, uint64_t size,
			const struct ln_node *except, uint64_t at)
{
	unsigned i, c;
	uint64_t a, b;
	int err;

	for (i = 0; i < n->nmaps;) {
		if (!seal_cuts(n, i, host, size, except, at, &a, &b)) {
			i++;
			continue;
		}
		err = ln_split_map(n, i, a, b);
		if (err)
			return err;
		i = 0; /* the table changed order: start over (one map fewer to seal) */
	}
	for (c = 0; c < RP_MAX_CHILDREN; c++)
		if (n->children[c] && (err = seal_subtree(n->children[c], host, size, except, at)))
			return err;
	return 0;
}

static int unseal_subtree(struct ln_root *r, struct ln_node *n, const struct ln_node *gone);

/*
 * Seal [host, host + size) for owner's sake (all but except's map of it at
 * guest address at), and record it: all or nothing. 0; -RP_ENOMEM: refused
 * (a table would pass LN_MAX_SLOTS, or KVM refused a slot), nothing
 * changed; -1: a map could not be put back (the caller halts the stack).
 */
int ln_seal_range(struct ln_root *r, const uint8_t *host, uint64_t size,
		  const struct ln_node *owner, const struct ln_node *except, uint64_t at)
{
	int err;

	if (r->nseals >= LN_MAX_SEALS || !seal_fits(r->bottom, host, size, except, at))
		return -RP_ENOMEM;
	r->seals[r->nseals++] = (struct ln_seal){.host = host, .size = size, .owner = owner};
	err = seal_subtree(r->bottom, host, size, except, at);
	if (!err)
		return 0;
	r->nseals--; /* undone: W back where this seal took it (and pieces merged) */
	return err == -1 && !unseal_subtree(r, r->bottom, NULL) ? -RP_ENOMEM : -1;
}

static bool still_sealed(const struct ln_root *r, const uint8_t *host, uint64_t size)
{
	for (unsigned i = 0; i < r->nseals; i++)
		if (host < r->seals[i].host + r->seals[i].size && r->seals[i].host < host + size)
			return true;
	return false;
}

/* Can the writable piece p join m, a writable piece beside it cut from the same map? */
static bool joins(const struct ln_map *p, const struct ln_map *m)
{
	return m && m->origin == p->origin && m->rights == p->rights && !m->unsealable &&
	       (m->gpa + m->size == p->gpa ? m->host + m->size == p->host
					   : p->gpa + p->size == m->gpa && p->host + p->size == m->host);
}

/*
 * The writable piece of n at gpa, merged with the pieces beside it that
 * were cut from the same map and are writable again: a seal lifted gives
 * its slots back (the table returns to what it was before the seal).
 */
static int merge_pieces(struct ln_node *n, uint64_t gpa)
{
	struct ln_map m = *ln_map_at(n, gpa), *left = gpa ? ln_map_at(n, gpa - 1) : NULL;
	struct ln_map *right = ln_map_at(n, m.gpa + m.size), whole = m;
	uint64_t at[3] = {m.gpa, 0, 0};
	unsigned k = 1;

	if (!joins(&m, left))
		left = NULL;
	if (!joins(&m, right))
		right = NULL;
	if (!left && !right)
		return 0;
	if (left) {
		whole.gpa = left->gpa;
		whole.host = left->host;
		whole.size += left->size;
		at[k++] = left->gpa;
	}
	if (right) {
		whole.size += right->size;
		at[k++] = right->gpa;
	}
	while (k--)
		if (ln_node_unmap(n, (unsigned)(ln_map_at(n, at[k]) - n->maps)))
			return -1;
	return ln_map_piece(n, &whole, 0, whole.size, whole.rights, false);
}

/* W back on the maps of n's subtree (but gone's) that only a seal took it from. */
static int unseal_subtree(struct ln_root *r, struct ln_node *n, const struct ln_node *gone)
{
	unsigned i, c;

	for (i = 0; n != gone && i < n->nmaps;) {
		struct ln_map m = n->maps[i];

		if (!m.unsealable || still_sealed(r, m.host, m.size)) {
			i++;
			continue;
		}
		if (ln_node_unmap(n, i) ||
		    ln_map_piece(n, &m, 0, m.size, m.rights | RP_MAP_W, false) ||
		    merge_pieces(n, m.gpa))
			return -1;
		i = 0;
	}
	for (c = 0; n != gone && c < RP_MAX_CHILDREN; c++)
		if (n->children[c] && unseal_subtree(r, n->children[c], gone))
			return -1;
	return 0;
}

/* The subtree at gone is going: the seals it owned go with it. */
int ln_unseal(struct ln_root *r, const struct ln_node *gone)
{
	unsigned i, k = 0;

	for (i = 0; i < r->nseals; i++)
		if (!ln_in_subtree(r->seals[i].owner, gone))
			r->seals[k++] = r->seals[i];
	if (k == r->nseals)
		return 0;
	r->nseals = k;
	return unseal_subtree(r, r->bottom, gone);
}

/* ---- a ring-3 VM's page tables (invariant 9) ------------------------------------ */

/* The rights of the map of n that holds all of [gpa, gpa + len), or 0. */
static uint32_t map_rights(const struct ln_node *n, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < n->nmaps; i++)
		if (gpa >= n->maps[i].gpa && rt_range_ok(gpa - n->maps[i].gpa, len, n->maps[i].size))
			return n->maps[i].rights;
	return 0;
}

/*
 * Does any map of n over [gpa, gpa + len) grant W, or hold it back only
 * for another's seal (W returns when that goes)? Every piece counts: a
 * range may be spread over several maps (invariant 9).
 */
static bool range_writable(const struct ln_node *n, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < n->nmaps; i++) {
		const struct ln_map *m = &n->maps[i];

		if (gpa < m->gpa + m->size && m->gpa < gpa + len &&
		    ((m->rights & RP_MAP_W) || m->unsealable))
			return true;
	}
	return false;
}

#define PT_P 0x1ULL
#define PT_RW 0x2ULL
#define PT_US 0x4ULL
#define PT_PS 0x80ULL
#define PT_NX (1ULL << 63)
#define PT_ADDR 0x000ffffffffff000ULL
#define PT_MAX_VISITS 4096 /* tables visited in one walk: they may share subtables */

struct pt_walk {
	const struct ln_node *n;
	unsigned visits;
	const char *what; /* the first fault found */
	uint64_t value;
};

static bool pt_bad(struct pt_walk *w, const char *what, uint64_t value)
{
	if (!w->what) {
		w->what = what;
		w->value = value;
	}
	return false;
}

/*
 * A leaf onto the system area: only 4 KiB pages, each with the rights
 * ring3_build gives it (boot info user read-only, ring-0 stack supervisor
 * RW, fault stub supervisor code, the rest supervisor read-only), so no
 * alias reaches a table from CPL 3 or writes one.
 */
static bool pt_system_leaf(struct pt_walk *w, uint64_t page, uint64_t size, uint64_t f,
			   uint64_t x, uint64_t at)
{
	bool ok;

	if (size != 4096 || page < RP_BOOT_INFO_GPA)
		return pt_bad(w, "page tables map the system area oddly", at);
	if (page == RP_BOOT_INFO_GPA)
		ok = !(f & PT_RW) && x;
	else if (page == RING3_STACK_GPA)
		ok = !(f & PT_US) && x;
	else if (page == RING3_STUB_GPA)
		ok = !(f & (PT_US | PT_RW));
	else
		ok = !(f & (PT_US | PT_RW)) && x;
	return ok || pt_bad(w, "page tables open the system area", at);
}

/*
 * One table of a ring-3 VM's page tables at gpa (level 4: the PML4), for
 * virtual addresses from va, with the rights of the levels above: every
 * table inside [RING3_PT_GPA, RP_IMAGE_BASE) (the range sealed next), the
 * system area mapped as ring3_build maps it, no page both writable and
 * executable, and code only in measured maps (ring 0's only the stub).
 */
static bool pt_table(struct pt_walk *w, uint64_t gpa, int level, uint64_t va, uint64_t rw_us,
		     uint64_t nx)
{
	const uint8_t *t;

	if (gpa < RING3_PT_GPA || gpa >= RP_IMAGE_BASE || (gpa & 0xfff))
		return pt_bad(w, "page tables outside the sealed range", gpa);
	if (++w->visits > PT_MAX_VISITS)
		return pt_bad(w, "page tables too large", gpa);
	t = ln_node_ptr((struct ln_node *)w->n, gpa, 4096, RP_MAP_R);
	if (!t)
		return pt_bad(w, "page tables outside memory", gpa);
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = rt_le64(t + i * 8), at = va + ((uint64_t)i << (12 + 9 * (level - 1)));
		uint64_t f = rw_us & e, x = nx | (e & PT_NX), size = 1ULL << (12 + 9 * (level - 1));
		uint64_t page = e & PT_ADDR & ~(size - 1);
		bool leaf = level == 1 || (level == 2 && (e & PT_PS));

		if (!(e & PT_P))
			continue;
		if (level == 3 && (e & PT_PS))
			return pt_bad(w, "1 GiB page", at);
		if (!leaf) {
			if (!pt_table(w, e & PT_ADDR, level - 1, at, f, x))
				return false;
			continue;
		}
		/* The CPU finds its tables and stub by these addresses: they are the sealed pages. */
		if (at < RP_IMAGE_BASE && (size != 4096 || page != at))
			return pt_bad(w, "page tables move the system area", at);
		if (page < RP_IMAGE_BASE) {
			if (!pt_system_leaf(w, page, size, f, x, at))
				return false;
			continue;
		}
		if (x)
			continue; /* not executable: any rights */
		if (f & PT_RW)
			return pt_bad(w, "writable code page", at);
		if (!(f & PT_US) || !(map_rights(w->n, page, size) & RP_MAP_X))
			return pt_bad(w, "unmeasured code page", at);
	}
	return true;
}

/*
 * Does n map any of [host, host + size) other than where it lies at gpa?
 * Only a VM's table slot may reach its page tables: a second map of them,
 * above RP_IMAGE_BASE where the walk allows user pages, would let the VM
 * rewrite its tables after the walk (invariant 9).
 */
static bool mapped_elsewhere(const struct ln_node *n, const uint8_t *host, uint64_t size,
			     uint64_t gpa)
{
	for (unsigned i = 0; i < n->nmaps; i++) {
		const struct ln_map *m = &n->maps[i];
		const uint8_t *lo = host > m->host ? host : m->host;
		const uint8_t *hi = host + size < m->host + m->size ? host + size : m->host + m->size;

		if (lo < hi && !ln_in_place(m, lo, host, gpa))
			return true;
	}
	return false;
}

/* The seal is recorded already (the same owner sealed the same bytes before)? */
static bool sealed_by(const struct ln_root *r, const uint8_t *host, uint64_t size,
		      const struct ln_node *owner)
{
	for (unsigned i = 0; i < r->nseals; i++)
		if (r->seals[i].host == host && r->seals[i].size == size && r->seals[i].owner == owner)
			return true;
	return false;
}

/* ---- control state (invariant 8) ------------------------------------------------ */

/*
 * Invariant 8: what a ring-3 VM's control state must be, from KVM's
 * registers or from the state a parent sets. KVM takes the CPL from SS's
 * DPL, so both CS and SS are pinned.
 */
struct ctl_state {
	uint64_t cr0, cr4, efer, rflags;
	uint16_t cs, ss;
	uint8_t cs_dpl, ss_dpl;
	bool ldt; /* a usable LDT: call gates to CPL 0 in memory CPL 3 may write */
};

/* NULL, or what differs from the ring-3 entry state (ring3.h), *value how. */
static const char *ctl_bad(const struct ctl_state *c, uint64_t *value)
{
	*value = c->cs;
	if (c->cs != RING3_UCS || c->cs_dpl != 3)
		return "cpl";
	*value = c->ss;
	if (c->ss != RING3_UDS || c->ss_dpl != 3)
		return "cpl";
	*value = c->cr0;
	if (c->cr0 != RING3_CR0)
		return "cr0";
	*value = c->cr4;
	if (c->cr4 != RING3_CR4)
		return "cr4";
	*value = c->efer;
	if (c->efer != RING3_EFER)
		return "efer";
	*value = c->rflags;
	if ((c->rflags ^ RING3_RFLAGS) & RING3_RFLAGS_PINNED)
		return "rflags";
	*value = 0;
	return c->ldt ? "ldt" : NULL;
}

static const char *ctl_bad_kvm(const struct kvm_sregs *s, uint64_t rflags, uint64_t *value)
{
	const struct ctl_state c = {
	    .cr0 = s->cr0,
	    .cr4 = s->cr4,
	    .efer = s->efer,
	    .rflags = rflags,
	    .cs = s->cs.selector,
	    .ss = s->ss.selector,
	    .cs_dpl = s->cs.dpl,
	    .ss_dpl = s->ss.dpl,
	    .ldt = s->ldt.present && !s->ldt.unusable,
	};

	return ctl_bad(&c, value);
}

/*
 * seal_tables' answer when the seal of the tables would not fit (the slot
 * or seal limits; nothing changed): the caller's run is refused with
 * RP_ENOMEM, not blamed on it, since another layer may have used the room.
 */
const char ln_seal_no_room[] = "no room to seal the page tables";

/*
 * Before a ring-3 VM first runs (and after every new state its parent
 * sets): its GDT, TSS, IDT and fault stub must be the ones every ring-3 VM
 * gets (ring3_tables), where ring3_build puts them, in sealed maps (no
 * piece of any map over them with W); its page tables are walked from cr3
 * and must keep the rules of pt_table, and no other map of the VM may hold
 * their bytes. Then the table range is sealed against every other VM of
 * the stack and every other map of this one; the VM's table slot alone
 * stays writable for the hardware walker, out of its reach at CPL 3. NULL,
 * or what broke the rules (*value where).
 */
static const char *seal_tables(struct ln_root *r, struct ln_node *n, const struct kvm_sregs *s,
			       uint64_t *value)
{
	const uint64_t sys = RING3_STACK_GPA - RING3_GDT_GPA;
	struct pt_walk w = {.n = n};
	const uint8_t *host, *tables;

	if (!CHECKS)
		return NULL;
	*value = s->gdt.base;
	if (s->gdt.base != RING3_GDT_GPA || s->gdt.limit > 0xfff || s->idt.base != RING3_IDT_GPA ||
	    s->idt.limit > 0xfff || s->tr.base != RING3_TSS_GPA || s->tr.limit > RING3_TSS_LIMIT)
		return "descriptor tables moved";
	tables = ln_node_ptr(n, RING3_GDT_GPA, sys, RP_MAP_R);
	if (!tables || memcmp(tables, r->tables, sys))
		return "descriptor tables not the sealed ones";
	if (range_writable(n, RING3_GDT_GPA, sys)) /* each piece mapped without W: sealed */
		return "descriptor tables writable";
	if (!pt_table(&w, s->cr3 & PT_ADDR, 4, 0, PT_RW | PT_US, 0)) {
		*value = w.value;
		return w.what;
	}
	host = ln_node_ptr(n, RING3_PT_GPA, RP_IMAGE_BASE - RING3_PT_GPA, RP_MAP_R);
	*value = RING3_PT_GPA;
	if (!host)
		return "page tables could not be sealed";
	if (mapped_elsewhere(n, host, RP_IMAGE_BASE - RING3_PT_GPA, RING3_PT_GPA))
		return "page tables mapped twice";
	if (!sealed_by(r, host, RP_IMAGE_BASE - RING3_PT_GPA, n)) {
		int err = ln_seal_range(r, host, RP_IMAGE_BASE - RING3_PT_GPA, n, n, RING3_PT_GPA);

		if (err == -RP_ENOMEM)
			return ln_seal_no_room;
		if (err)
			return "page tables could not be sealed";
	}
	return NULL;
}

/* Its control state (invariant 8), then seal_tables for v's VM, from the registers KVM holds. */
const char *ln_seal_vcpu(struct ln_root *r, struct ln_vcpu *v, uint64_t *where)
{
	struct kvm_sregs sr;
	struct kvm_regs regs;
	const char *bad;

	*where = 0;
	if (kvm_ioctl(v->fd, KVM_GET_SREGS, &sr, NULL) < 0 ||
	    kvm_ioctl(v->fd, KVM_GET_REGS, &regs, NULL) < 0)
		return "registers unreadable";
	if (CHECKS && (bad = ctl_bad_kvm(&sr, regs.rflags, where)))
		return bad;
	return seal_tables(r, v->node, &sr, where);
}

/*
 * Invariant 8 at RP_HC_VCPU_SET: a layer child (no irqchip) gets the
 * ring-3 entry state's control state and no other, whatever KVM would
 * accept (it runs CPL 0 with paging off, EFER.SCE, an LDT ...).
 */
bool ln_ctl_state_ok(const struct rp_vcpu_state *st)
{
	const struct ctl_state c = {
	    .cr0 = st->cr0,
	    .cr4 = st->cr4,
	    .efer = st->efer,
	    .rflags = st->rflags,
	    .cs = st->cs.selector,
	    .ss = st->ss.selector,
	    .cs_dpl = st->cs.dpl,
	    .ss_dpl = st->ss.dpl,
	    .ldt = st->ldt.present,
	};
	uint64_t value;

	return !ctl_bad(&c, &value);
}

/* Invariant 8, from the registers KVM synced with the exit (no ioctl). */
bool ln_control_ok(struct ln_root *r, struct ln_vcpu *v)
{
	const struct kvm_sregs *s = &v->run->s.regs.sregs;
	const char *bad;
	uint64_t value;

	if (!CHECKS)
		return true;
	bad = ctl_bad_kvm(s, v->run->s.regs.regs.rflags, &value);
	if (bad)
		return ln_violation(r, v, bad, value), false;
	if (!v->pinned) {
		v->pinned = true;
		v->cr3 = s->cr3;
		v->gdt = s->gdt.base;
		v->idt = s->idt.base;
		return true;
	}
	if (s->cr3 != v->cr3)
		return ln_violation(r, v, "cr3", s->cr3), false;
	if (s->gdt.base != v->gdt || s->idt.base != v->idt)
		return ln_violation(r, v, "descriptor tables", s->gdt.base), false;
	return true;
}

/* ---- approved code (invariant 9) ------------------------------------------------ */

/* Is [p, p + size) one of the stack's approved code images, as loaded? */
bool ln_approved_code(const struct ln_root *r, const uint8_t *p, uint64_t size)
{
	uint8_t d[SHA256_BYTES];
	struct sha256 c;

	if (!CHECKS)
		return true;
	sha256_init(&c);
	sha256_update(&c, p, size);
	sha256_final(&c, d);
	for (unsigned i = 0; i < r->ncode; i++)
		if (!memcmp(d, r->code[i], sizeof(d)))
			return true;
	return false;
}

/*
 * The code a layer may map executable into its child: each X segment of
 * each layer image of the stack, as ring3_build lays it out (the file's
 * bytes, then zeros to the page).
 */
int ln_approve_code(struct ln_root *r, void *const img[], const uint64_t isize[], unsigned n,
		    const char *const paths[])
{
	struct ring3_range rg[RING3_MAX_RANGES];
	const char *why = "?";
	static const uint8_t zero[4096];

	for (unsigned i = 0; i < n; i++) {
		int k = ring3_layout(RING3_MAX_MEM, img[i], isize[i], rg, RING3_MAX_RANGES, &why);

		for (int j = 0; j < k; j++) {
			struct sha256 c;
			uint64_t pad;

			if (!(rg[j].rights & RP_MAP_X) || r->ncode >= LN_MAX_CODE)
				continue;
			sha256_init(&c);
			sha256_update(&c, (const uint8_t *)img[i] + rg[j].offset, rg[j].filesz);
			for (pad = rg[j].size - rg[j].filesz; pad; pad -= pad < 4096 ? pad : 4096)
				sha256_update(&c, zero, pad < 4096 ? pad : 4096);
			sha256_final(&c, r->code[r->ncode++]);
		}
		if (k < 0) {
			log_err("layer image %s: %s", paths[i], why);
			return -1;
		}
	}
	return 0;
}
