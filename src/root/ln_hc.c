/* SPDX-License-Identifier: MIT */
/*
 * The hypercalls: what a layer asks of the root (include/rampart/abi.h,
 * docs/abi.md), one handler per call in hc_table, each checking its
 * arguments where the call enters, once.
 *
 * Invariants this file keeps (numbered as in ln.h's index):
 *  2. Containment: a map lies entirely inside one of the caller's own maps
 *     and never grants R or W the caller lacks (a read-only range stays
 *     read-only). X is granted, into a layer child, only to measured code
 *     (invariant 9). No arithmetic on a guest value can wrap: every end is
 *     computed with rt_add_ok.
 *  4. Quotas: RP_MAX_CHILDREN VMs, RP_MAX_VCPUS vCPUs and RP_MAX_MAPS maps
 *     per caller, RP_MAX_DEPTH levels; LN_MAX_VMS VMs and
 *     LN_MAX_STACK_VCPUS vCPUs alive in the whole stack.
 *  6. A refused call returns an error code to the caller and is logged with
 *     the caller's name; nothing a layer does ends the root.
 * 13. A waiting layer holds no other layer's clock: RP_HC_WAIT returns (0,
 *     early) by the earliest timer of the chain below it, so its ancestors'
 *     timer events are delivered on time whatever it waits for.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/rt.h"
#include "root/ln.h"

struct hc_args {
	uint64_t a0, a1, a2, a3, a4;
};

/*
 * A call's handler: the caller's answer (>= 0; an RP_E* code below 0, a
 * refusal), or HC_PENDING: the caller does not resume now. *next (the
 * caller until a handler says otherwise) is the vCPU the chain runs next.
 */
typedef int64_t hc_handler(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
			   struct ln_vcpu **next);
#define HC_PENDING INT64_MIN

static int64_t hc_vm_create(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
			    struct ln_vcpu **next)
{
	struct ln_node *n = v->node;
	unsigned i;

	if (a->a0 & ~(uint64_t)RP_VM_IRQCHIP)
		return -RP_EINVAL;
	if (n->depth >= RP_MAX_DEPTH)
		return -RP_EQUOTA;
	for (i = 0; i < RP_MAX_CHILDREN; i++)
		if (!n->children[i])
			break;
	if (i == RP_MAX_CHILDREN || r->nodes >= LN_MAX_VMS)
		return -RP_EQUOTA;
	/* A child of a layer is a layer too, unless it is a guest (invariant 5). */
	n->children[i] = ln_node_new(r, n, !(a->a0 & RP_VM_IRQCHIP));
	if (!n->children[i])
		return -RP_ENOMEM;
	if ((a->a0 & RP_VM_IRQCHIP) && kvm_setup_irqchip(n->children[i]->vm_fd) < 0) {
		ln_node_free(r, n->children[i]);
		n->children[i] = NULL;
		return -RP_ENOMEM;
	}
	n->children[i]->irqchip = a->a0 & RP_VM_IRQCHIP;
	return i + 1;
}

/*
 * R and W are rights the caller holds and passes on (invariant 2). X is
 * not: into a layer child (no irqchip) only measured code is mapped
 * executable, never writable, and a map without W seals its bytes against
 * every VM of the stack (invariant 9); a writable or unmeasured code map
 * is an attack by the caller. A guest with an irqchip (an unmodified OS,
 * not a layer) runs what it likes in the memory it is given.
 */
static int64_t hc_vm_map(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
			 struct ln_vcpu **next)
{
	struct ln_node *n = v->node, *c = ln_child_of(n, a->a0);
	uint64_t cgpa = a->a1, mine = a->a2, size = a->a3, end;
	uint32_t rights = (uint32_t)a->a4;
	uint8_t *host;
	unsigned i;
	int64_t ret;

	if (!c)
		return -RP_EBADH;
	if (!size || (size | cgpa | mine) & 0xfff || !rights || (a->a4 & ~7ULL))
		return -RP_EINVAL;
	if (!rt_add_ok(cgpa, size, &end) || !rt_add_ok(mine, size, &end))
		return -RP_ERANGE;
	if (!ln_node_ptr(n, mine, size, RP_MAP_R))
		return -RP_ERANGE;
	if (mine < RP_IMAGE_BASE) /* our own system area: the CPU's alone */
		return -RP_EPERM;
	host = ln_node_ptr(n, mine, size, rights & (RP_MAP_R | RP_MAP_W));
	if (!host)
		return -RP_EPERM;
	for (i = 0; i < c->nmaps; i++)
		if (cgpa < c->maps[i].gpa + c->maps[i].size && c->maps[i].gpa < cgpa + size)
			return -RP_EBUSY;
	if (c->vm_maps >= RP_MAX_MAPS)
		return -RP_EQUOTA;
	if (!c->irqchip && (rights & RP_MAP_X) && (rights & RP_MAP_W))
		return ln_violation(r, v, "writable code map", cgpa), -RP_EPERM;
	if (!c->irqchip && (rights & RP_MAP_X) && !ln_approved_code(r, host, size))
		return ln_violation(r, v, "unmeasured code", cgpa), -RP_EPERM;
	ret = ln_node_map(c, cgpa, size, host, rights);
	if (ret)
		return ret;
	if (CHECKS && !c->irqchip && !(rights & RP_MAP_W) &&
	    (ret = ln_seal_range(r, host, size, c, NULL, 0))) {
		/* Refused whole (the slots would not fit): the child's map goes too. */
		if (ret == -RP_ENOMEM &&
		    !ln_node_unmap(c, (unsigned)(ln_map_at(c, cgpa) - c->maps)))
			return -RP_ENOMEM;
		ln_violation(r, v, "seal failed", cgpa);
		return -RP_ENOMEM;
	}
	c->vm_maps++;
	return 0;
}

static int64_t hc_vcpu_create(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
			      struct ln_vcpu **next)
{
	struct ln_node *n = v->node;
	struct ln_node *c = ln_child_of(n, a->a0);

	if (!c)
		return -RP_EBADH;
	if (c->kvm_ids >= RP_MAX_VCPUS || r->nvcpus >= LN_MAX_STACK_VCPUS)
		return -RP_EQUOTA;
	if (!ln_vcpu_new(r, c)) /* with CPUID as the host supports it */
		return -RP_ENOMEM;
	c->vcpus[c->nvcpus - 1]->handle = (uint32_t)(a->a0 << 8 | (c->nvcpus - 1));
	return (int64_t)(a->a0 << 8 | (c->nvcpus - 1));
}

/*
 * Does a vCPU of the caller other than v run a vCPU of c (its pending
 * RP_HC_VCPU_RUN)? A VM with started vCPUs has one runner: their exits
 * complete its run, the one in the chain; a second, elsewhere in the
 * caller, would get them off the chain's path.
 */
static bool other_runner(const struct ln_vcpu *v, const struct ln_node *c)
{
	for (unsigned i = 0; i < v->node->nvcpus; i++)
		if (v->node->vcpus[i] != v && v->node->vcpus[i]->running &&
		    v->node->vcpus[i]->running->node == c)
			return true;
	return false;
}

static bool has_started(const struct ln_node *c)
{
	for (unsigned i = 0; i < c->nvcpus; i++)
		if (c->vcpus[i]->started)
			return true;
	return false;
}

/*
 * A guest's vCPU on a thread of its own (ln_chain.c, "started vCPUs"):
 * only of a child with an irqchip (a layer child stays sequential, one
 * exit at a time), never the one the caller runs or has run, nor while
 * another vCPU of the caller runs one of that child's (the caller itself,
 * in this call, runs none), at most LN_MAX_STARTED in the stack.
 */
static int64_t hc_vcpu_start(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
			     struct ln_vcpu **next)
{
	struct ln_vcpu *c = ln_vcpu_of(v->node, a->a0);

	if (!c)
		return -RP_EBADH;
	if (c->dead)
		return -RP_EDEAD;
	if (!c->node->irqchip || c->started || c == c->node->primary)
		return -RP_EINVAL;
	if (other_runner(v, c->node))
		return -RP_EBUSY;
	if (r->nstarted >= LN_MAX_STARTED)
		return -RP_EQUOTA;
	return ln_ap_start(r, c) ? -RP_ENOMEM : 0;
}

static int64_t hc_vcpu_state(struct ln_root *r, struct ln_node *n, const struct hc_args *a,
			     bool set)
{
	struct ln_vcpu *v = ln_vcpu_of(n, a->a0);
	uint8_t *p = ln_node_ptr(n, a->a1, sizeof(struct rp_vcpu_state),
			      set ? RP_MAP_R : RP_MAP_R | RP_MAP_W);
	struct rp_vcpu_state st;
	int ret;

	if (!v)
		return -RP_EBADH;
	if (v->dead)
		return -RP_EDEAD;
	if (!p)
		return -RP_EFAULT;
	if (set) {
		memcpy(&st, p, sizeof(st)); /* checked and used from this copy only */
		if (CHECKS && !v->node->irqchip && !ln_ctl_state_ok(&st))
			return -RP_EPERM; /* the child keeps the state it had */
		v->pinned = false; /* the parent sets a new state: pinned again at its next exit */
		v->sealed = false; /* and its tables checked again before it runs */
		ln_ap_hold(r, v); /* out of KVM_RUN: KVM would make us wait for its next exit */
		ret = kvm_state_set(v->fd, &st) ? -RP_EINVAL : 0;
		ln_ap_release(r, v);
		return ret;
	}
	ln_ap_hold(r, v);
	ret = kvm_state_get(v->fd, &st) ? -RP_EDEAD : 0;
	ln_ap_release(r, v);
	if (!ret)
		memcpy(p, &st, sizeof(st));
	return ret;
}

static int64_t hc_irq_line(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
			   struct ln_vcpu **next)
{
	struct ln_node *n = v->node;
	struct ln_node *c = ln_child_of(n, a->a0);

	if (!c)
		return -RP_EBADH;
	if (a->a1 > BOOT_MAX_GSI)
		return -RP_EINVAL;
	return ln_set_line(c, (uint32_t)a->a1, a->a2 != 0);
}

/*
 * RP_HC_ISR: the child's reads of InterruptStatus and writes of
 * InterruptACK in its window at a1 are answered by the root from the word
 * at a2 of the caller's memory, which must be the caller's to read and
 * write; a2 0 removes the window. Two exits of the child and two round
 * trips through the caller saved per interrupt, and nothing the caller
 * could not do: it is the caller's own device state.
 */
static int64_t hc_isr(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
		      struct ln_vcpu **next)
{
	struct ln_node *n = v->node;
	struct ln_node *c = ln_child_of(n, a->a0);
	unsigned i;

	if (!c)
		return -RP_EBADH;
	if (!c->irqchip || a->a3 > BOOT_MAX_GSI || a->a1 % 4 || a->a1 > UINT64_MAX - 0x100 ||
	    a->a2 % 4)
		return -RP_EINVAL;
	if (a->a2 && !ln_node_ptr(n, a->a2, 4, RP_MAP_R | RP_MAP_W))
		return -RP_ERANGE;
	for (i = 0; i < c->nisr && c->isr[i].base != a->a1; i++)
		;
	if (!a->a2) {
		if (i < c->nisr)
			c->isr[i] = c->isr[--c->nisr];
		return 0;
	}
	if (i == c->nisr && c->nisr == RP_MAX_ISR)
		return -RP_EQUOTA;
	if (i == c->nisr)
		c->nisr++;
	c->isr[i].base = a->a1;
	c->isr[i].isr = a->a2;
	c->isr[i].line = (uint32_t)a->a3;
	return 0;
}

/*
 * Where the host bytes [host, +size) lie in n's own memory: its gpa, or
 * UINT64_MAX when they are not all there, in maps that follow one another
 * in both host and gpa (seals cut a map into such pieces). Bounded: one
 * pass per map of n.
 */
static uint64_t gpa_in(struct ln_node *n, const uint8_t *host, uint64_t size)
{
	uint64_t gpa = UINT64_MAX, done = 0;

	for (unsigned step = 0; step <= n->nmaps && done < size; step++) {
		const uint8_t *at = host + done;
		const struct ln_map *m = NULL;

		for (unsigned i = 0; i < n->nmaps && !m; i++)
			if (at >= n->maps[i].host && at < n->maps[i].host + n->maps[i].size)
				m = &n->maps[i];
		if (!m || (done && m->gpa + (uint64_t)(at - m->host) != gpa + done))
			return UINT64_MAX;
		if (!done)
			gpa = m->gpa + (uint64_t)(at - m->host);
		done += m->size - (uint64_t)(at - m->host);
	}
	return done >= size ? gpa : UINT64_MAX;
}

/*
 * RP_HC_MAP_INFO: map a2 of the child a1 of the caller's child a0, from
 * the root's table (what the grandchild's vCPUs really see, whatever the
 * child says), with where its bytes lie in the caller's memory. The caller
 * owns those bytes already (invariant 2: every map lies inside its
 * creator's); nothing outside its own subtree is named, nothing changes.
 */
static int64_t hc_map_info(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
			   struct ln_vcpu **next)
{
	struct ln_node *n = v->node, *c = ln_child_of(n, a->a0), *g = c ? ln_child_of(c, a->a1) : NULL;
	uint8_t *p = ln_node_ptr(n, a->a3, sizeof(struct rp_map_info), RP_MAP_R | RP_MAP_W);
	struct rp_map_info info = {0};
	const struct ln_map *m;

	if (!g)
		return -RP_EBADH;
	if (a->a2 >= g->nmaps)
		return -RP_ERANGE;
	if (!p)
		return -RP_EFAULT;
	m = &g->maps[a->a2];
	info.child_gpa = m->gpa;
	info.size = m->size;
	info.rights = m->rights;
	info.flags = g->irqchip ? RP_MAPINFO_GUEST : 0;
	info.my_gpa = gpa_in(n, m->host, m->size);
	if (info.my_gpa == UINT64_MAX)
		return -RP_ERANGE;
	memcpy(p, &info, sizeof(info));
	return 0;
}

/*
 * RP_HC_VCPU_CTL: the control state of vCPU a1 (a handle in the child's
 * own numbering) of a child of the caller's child a0, as KVM holds it:
 * what the watch layer checks a guest's IDT and system call entry against
 * (docs/watch.md), without the vmm's word. The same reach as
 * RP_HC_MAP_INFO: nothing outside the caller's subtree is named (a1 is
 * resolved in a0's table only, so the caller's own children and any other
 * subtree are out of reach), nothing changes. Every vCPU of the stack is
 * out of KVM_RUN while a call is answered (the chain thread runs them all
 * and answers this one; a started vCPU of a guest has its thread parked
 * for the read, ln_ap_hold), so the state read is the one the vCPU
 * stopped with and resumes from.
 */
static int64_t hc_vcpu_ctl(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
			   struct ln_vcpu **next)
{
	struct ln_node *n = v->node, *c = ln_child_of(n, a->a0);
	struct ln_vcpu *g = c ? ln_vcpu_of(c, a->a1) : NULL;
	uint8_t *p = ln_node_ptr(n, a->a2, sizeof(struct rp_vcpu_ctl), RP_MAP_R | RP_MAP_W);
	struct rp_vcpu_ctl ctl;
	bool ok;

	if (!g)
		return -RP_EBADH;
	if (g->dead)
		return -RP_EDEAD;
	if (!p)
		return -RP_EFAULT;
	ln_ap_hold(r, g); /* out of KVM_RUN: KVM would make us wait for its next exit */
	ok = !kvm_ctl_get(g->fd, &ctl);
	ln_ap_release(r, g);
	if (!ok)
		return -RP_EDEAD;
	ctl.flags = g->node->irqchip ? RP_VCPUCTL_GUEST : 0;
	memcpy(p, &ctl, sizeof(ctl));
	return 0;
}

/* Events for a layer child; one with an irqchip takes interrupts instead. */
static int64_t hc_post(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
		       struct ln_vcpu **next)
{
	struct ln_node *n = v->node;
	struct ln_node *c = ln_child_of(n, a->a0);

	if (!c)
		return -RP_EBADH;
	if (c->irqchip || !a->a1 || (a->a1 & ~(uint64_t)RP_EV_NET))
		return -RP_EINVAL;
	c->events |= a->a1;
	return 0;
}

static int64_t hc_vm_destroy(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
			     struct ln_vcpu **next)
{
	struct ln_node *n = v->node, *c = ln_child_of(n, a->a0);
	unsigned i;

	if (!c)
		return -RP_EBADH;
	for (i = 0; i < n->nvcpus; i++)
		if (n->vcpus[i]->running && ln_in_subtree(n->vcpus[i]->running->node, c))
			n->vcpus[i]->running = NULL;
	if (ln_unseal(r, c)) {
		ln_violation(r, v, "unseal failed", a->a0);
		return -RP_ENOMEM;
	}
	ln_node_free(r, c);
	n->children[a->a0 - 1] = NULL;
	return 0;
}

static int64_t hc_log(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
		      struct ln_vcpu **next)
{
	struct ln_node *n = v->node;
	char text[RP_MAX_LOG + 1];
	const uint8_t *p;
	uint64_t i;

	if (a->a1 > RP_MAX_LOG)
		return -RP_EINVAL;
	p = ln_node_ptr(n, a->a0, a->a1, RP_MAP_R);
	if (!p)
		return -RP_EFAULT;
	for (i = 0; i < a->a1; i++)
		text[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	text[i] = 0;
	/* A firewall layer's counters: kept for the "firewall" event, not logged. */
	if (n->layer && n->depth <= r->stack->nlayers &&
	    fwr_line(&r->fw, n->depth, r->stack->kinds[n->depth - 1], n->name, text))
		return 0;
	if (ln_log_ok(r, n, LOG_TEXT))
		log_event("layer_log", "layer", 's', n->name, "text", 's', text, NULL);
	return 0;
}

/*
 * Sleeps on the chain's thread: it returns early (0, or the caller's
 * events) when frames arrive for a layer below, which then runs first,
 * when a started vCPU of a child exits, and at once on SIGINT, SIGTERM or
 * SIGUSR1, which ln_chain_run then acts on (invariant 10).
 */
static int64_t hc_wait(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
		       struct ln_vcpu **next)
{
	struct ln_node *n = v->node;
	struct pollfd p[3] = {{.fd = r->kick_fd, .events = POLLIN},
			      {.fd = ln_stop_fd, .events = POLLIN},
			      {.fd = ln_wait_fd, .events = POLLIN}};
	uint64_t until, ev, drain;

	if (a->a0 > RP_MAX_WAIT_NS)
		return -RP_EINVAL;
	until = a->a0 ? ln_now_ns() + a->a0 : 0;

	if (n->deadline_ns && (!until || n->deadline_ns < until))
		until = n->deadline_ns;
	/*
	 * Not past an ancestor's timer either (invariant 13): the layers below
	 * sit in their pending runs and get their events only once this call
	 * returns, so a layer that waited an hour would stop their clocks (a
	 * firewall's conntrack) for an hour. Returning early, with no bits of
	 * its own, lets events() deliver theirs; the caller waits again.
	 */
	if (r->next_deadline && (!until || r->next_deadline < until))
		until = r->next_deadline;
	/* An exit of a started vCPU of a child returns it early too: it runs the child to take it. */
	while (!n->events && until && !ln_net_waiting(r) && !ln_stop_signal &&
	       !ln_report_signal && !ln_ap_exited_below(r, n)) {
		uint64_t t = ln_now_ns();
		struct timespec ts;

		if (t >= until)
			break;
		ts.tv_sec = (time_t)((until - t) / 1000000000ULL);
		ts.tv_nsec = (long)((until - t) % 1000000000ULL);
		/*
		 * The watcher writes kick_fd, on_stop ln_stop_fd, on_report and a
		 * started vCPU's exit ln_wait_fd: a kick before the sleep is not
		 * lost (poll skips an fd of -1). Each drained before the tests
		 * above are made again.
		 */
		if (ppoll(p, 3, &ts, NULL) <= 0)
			continue;
		if (p[0].revents && read(r->kick_fd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
			break;
		if (p[2].revents && read(ln_wait_fd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
			break;
	}
	if (n->deadline_ns && ln_now_ns() >= n->deadline_ns) {
		n->deadline_ns = 0;
		n->events |= RP_EV_TIMER;
	}
	ev = n->events;
	n->events = 0;
	return (int64_t)ev;
}

/* Data an IN or an MMIO read of the child waits for, from its parent's record. */
static void fill_pending_read(struct ln_vcpu *c, const struct rp_exit *e)
{
	struct kvm_run *run = c->run;

	if (run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_IN &&
	    e->reason == RP_EXIT_IO)
		memcpy((uint8_t *)run + run->io.data_offset, &e->u.io.data,
		       run->io.size <= 8 ? run->io.size : 8);
	else if (run->exit_reason == KVM_EXIT_MMIO && !run->mmio.is_write && e->reason == RP_EXIT_MMIO)
		memcpy(run->mmio.data, e->u.mmio.data, sizeof(run->mmio.data));
}

static int64_t hc_run(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
		      struct ln_vcpu **next)
{
	struct ln_vcpu *c = ln_vcpu_of(v->node, a->a0);
	uint8_t *rec = ln_node_ptr(v->node, a->a1, sizeof(struct rp_exit), RP_MAP_R | RP_MAP_W);
	struct rp_exit e;
	struct ln_vcpu *run, *to;
	unsigned answers = 0;

	if (!c)
		return -RP_EBADH;
	if (c->dead)
		return -RP_EDEAD;
	if (!rec)
		return -RP_EFAULT;
	/*
	 * A started vCPU is answered, not run: its exit must be with us, and
	 * the chain goes on with the vCPU of its VM we ran before.
	 */
	run = c;
	if (c->started) {
		run = c->node->primary;
		if (!ln_ap_handed(r, c) || !run || run->dead)
			return -RP_EINVAL;
	}
	for (unsigned i = 0; i < v->node->nvcpus; i++)
		if (v->node->vcpus[i] != v && v->node->vcpus[i]->running == run)
			return -RP_EBUSY; /* one runner per vCPU */
	if (has_started(c->node) && other_runner(v, c->node))
		return -RP_EBUSY; /* and per VM with started vCPUs */
	/* Lines and events for the child first: they stick whatever follows. */
	if ((a->a2 | a->a3) >> RP_MAX_LINES || (a->a4 & ~(uint64_t)RP_EV_NET) ||
	    (a->a2 && !c->node->irqchip) || (a->a4 && c->node->irqchip))
		return -RP_EINVAL;
	for (uint32_t i = 0, diff = (uint32_t)(a->a2 & (a->a3 ^ c->node->lines)); diff;
	     diff &= diff - 1) {
		i = (uint32_t)__builtin_ctz(diff);
		if (ln_set_line(c->node, i, (a->a3 >> i) & 1))
			return -RP_EINVAL;
	}
	c->node->events |= a->a4;
	v->exit_gpa = a->a1;
	/*
	 * The answer to the child's pending IN or MMIO read is in the record
	 * now: take it before an event may overwrite the record below (the
	 * caller then runs the child again with the event's record in place).
	 */
	memcpy(&e, rec, sizeof(e));
	fill_pending_read(c, &e);
	if (c->started)
		ln_ap_resume(r, c);
	c = run;
	c->node->primary = c;
	if (v->node->events) { /* something already waits for the caller */
		e = (struct rp_exit){.reason = RP_EXIT_EVENT, .u.event.events = v->node->events};
		v->node->events = 0;
		memcpy(rec, &e, sizeof(e));
		ln_watch_pause(r, v->node, e.u.event.events); /* its guest stays still for its check */
		return 0;
	}
	if (!c->node->irqchip && !c->sealed) {
		uint64_t where;
		const char *bad = ln_seal_vcpu(r, c, &where);

		if (bad == ln_seal_no_room)
			return -RP_ENOMEM;
		if (bad) {
			*next = ln_violation(r, v, bad, where);
			return 0;
		}
		c->sealed = true;
	}
	ln_watch_resume(r, v->node); /* the child runs: so do its paused vCPUs */
	v->running = c;
	/* An exit of a started vCPU of c's VM that waits is the answer now. */
	to = ln_ap_next(r, c->node, &answers);
	if (to) {
		*next = to;
		return HC_PENDING; /* delivered to us, or the stack ended */
	}
	*next = ln_deepest(c);
	return HC_PENDING; /* completed when the child exits */
}

static int64_t hc_version(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
			  struct ln_vcpu **next)
{
	return RP_ABI_VERSION;
}

static int64_t hc_vcpu_set(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
			   struct ln_vcpu **next)
{
	return hc_vcpu_state(r, v->node, a, true);
}

static int64_t hc_vcpu_get(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
			   struct ln_vcpu **next)
{
	return hc_vcpu_state(r, v->node, a, false);
}

static int64_t hc_timer(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
			struct ln_vcpu **next)
{
	if (a->a0 > RP_MAX_WAIT_NS)
		return -RP_EINVAL;
	v->node->deadline_ns = a->a0 ? ln_now_ns() + a->a0 : 0;
	return 0;
}

/* The layer is done: its parent's pending run returns RP_EXIT_DEAD; it never resumes. */
static int64_t hc_exit(struct ln_root *r, struct ln_vcpu *v, const struct hc_args *a,
		       struct ln_vcpu **next)
{
	v->node->exited = true;
	v->node->exit_code = a->a0;
	*next = ln_child_gone(r, v, RP_EXIT_DEAD, a->a0, 0, 0);
	return HC_PENDING;
}

/* ---- the table ------------------------------------------------------------------ */

/*
 * Every call of the ABI: its handler, its name in hc_refused events, and
 * its arguments (rdi, rsi, r8, r9, r10 as a0..a4) as abi.h gives them.
 * A number with no entry is refused with RP_ENOSYS.
 */
static const struct hc_call {
	hc_handler *fn;
	const char *name;
	const char *args;
} hc_table[RP_HC_COUNT] = {
	[RP_HC_VERSION] = {hc_version, "version", "()"},
	[RP_HC_VM_CREATE] = {hc_vm_create, "vm_create", "(flags)"},
	[RP_HC_VM_MAP] = {hc_vm_map, "vm_map", "(vm, child_gpa, my_gpa, size, rights)"},
	[RP_HC_VCPU_CREATE] = {hc_vcpu_create, "vcpu_create", "(vm)"},
	[RP_HC_VCPU_SET] = {hc_vcpu_set, "vcpu_set", "(vcpu, state_gpa)"},
	[RP_HC_VCPU_GET] = {hc_vcpu_get, "vcpu_get", "(vcpu, state_gpa)"},
	[RP_HC_VCPU_RUN] = {hc_run, "vcpu_run", "(vcpu, exit_gpa, lines, levels, events)"},
	[RP_HC_IRQ_LINE] = {hc_irq_line, "irq_line", "(vm, irq, level)"},
	[RP_HC_VM_DESTROY] = {hc_vm_destroy, "vm_destroy", "(vm)"},
	[RP_HC_WAIT] = {hc_wait, "wait", "(timeout_ns)"},
	[RP_HC_TIMER] = {hc_timer, "timer", "(ns)"},
	[RP_HC_LOG] = {hc_log, "log", "(text_gpa, len)"},
	[RP_HC_EXIT] = {hc_exit, "exit", "(code)"},
	[RP_HC_POST] = {hc_post, "post", "(vm, events)"},
	[RP_HC_ISR] = {hc_isr, "isr", "(vm, mmio_base, isr_gpa, line)"},
	[RP_HC_MAP_INFO] = {hc_map_info, "map_info", "(vm, sub, index, info_gpa)"},
	[RP_HC_VCPU_CTL] = {hc_vcpu_ctl, "vcpu_ctl", "(vm, vcpu, ctl_gpa)"},
	[RP_HC_VCPU_START] = {hc_vcpu_start, "vcpu_start", "(vcpu)"},
};

/* A refusal is counted and logged with the caller's name (invariant 6). */
static void refused(struct ln_root *r, struct ln_vcpu *v, uint32_t nr, int64_t err)
{
	r->res->refused++;
	if (ln_log_ok(r, v->node, LOG_REFUSED))
		log_event("hc_refused", "layer", 's', v->node->name, "call", 's',
			  nr < RP_HC_COUNT && hc_table[nr].fn ? hc_table[nr].name : "unknown", "nr",
			  'u', (uint64_t)nr, "error", 'i', err, NULL);
}

/*
 * The call v's layer made (its registers as KVM synced them with the exit):
 * answered in its rax unless its handler left it pending. The vCPU the
 * chain runs next.
 */
struct ln_vcpu *ln_hypercall(struct ln_root *r, struct ln_vcpu *v)
{
	const struct kvm_regs *g = &v->run->s.regs.regs;
	struct hc_args a = {g->rdi, g->rsi, g->r8, g->r9, g->r10};
	uint32_t nr = (uint32_t)g->rax;
	struct ln_vcpu *next = v;
	int64_t ret = -RP_ENOSYS;

	r->res->hypercalls++;
	if (nr < RP_HC_COUNT && hc_table[nr].fn)
		ret = hc_table[nr].fn(r, v, &a, &next);
	if (ret == HC_PENDING)
		return next;
	if (ret < 0)
		refused(r, v, nr, ret);
	ln_complete(v, ret);
	return next;
}
