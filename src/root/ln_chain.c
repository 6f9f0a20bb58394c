/* SPDX-License-Identifier: MIT */
/*
 * The chains that run a stack of layers: the one thread that runs the
 * deepest running vCPU, the routing of each exit (to the root's devices
 * or the parent), events and timers, the tap watcher, restarts, and the
 * signals that stop it all.
 *
 * Invariants this file keeps (numbered as in ln.h's index):
 *  5. Exit routing: an exit of a VM goes to its parent only, as the return
 *     of the parent's pending RP_HC_VCPU_RUN; hypercalls go to the root,
 *     and only from VMs created as layers. A VM created with RP_VM_IRQCHIP
 *     (a guest) is not a layer: the ABI's ports (RP_HC_PORT, RP_FAULT_PORT)
 *     mean nothing from it, its port I/O there goes to its parent like any
 *     other, and it never calls the ABI nor holds children.
 * 10. Stopping: SIGINT or SIGTERM ends the stack at the chain's next step
 *     whatever its layers do; the one call that sleeps (RP_HC_WAIT) wakes
 *     on it (ln_stop_fd), so no layer holds the operator's stop off. So
 *     do SIGUSR1 (a check now: it kicks the chain's vCPU out of KVM_RUN
 *     and ends a sleep in RP_HC_WAIT, ln_wait_fd) and a started vCPU's
 *     exit (ln_wait_fd): none is lost to a sleep that began just after it.
 * 12. Event volume: the lines a layer can cause at will (a refused call,
 *     RP_HC_LOG, an unhandled access, the end of a child) go through a
 *     token bucket per layer and kind and one per kind for the stack;
 *     what they drop is counted and reported (log_dropped), per layer and
 *     kind, every LOG_INTERVAL_NS and at the end of the run.
 * 14. A watch layer's events: while a watch layer handles one that may
 *     start a check (its run completed with RP_EXIT_EVENT, RP_EV_TIMER or
 *     RP_EV_CHECK among its bits) and until its next RP_HC_VCPU_RUN
 *     runs its child, every started vCPU of its subtree is parked out of
 *     KVM_RUN (ln_watch_pause), as its vCPU 0 is suspended in the chain:
 *     the guest cannot watch the check begin and undo its hooks from
 *     another vCPU. Other layers' events park nothing.
 *
 * Chains: one host thread runs the deepest running vCPU; each vCPU below it
 * sits in its RP_HC_VCPU_RUN (vcpu->running). An exit for the parent writes
 * the record into the parent's memory and resumes the parent; an event for
 * layer k completes k's pending run with RP_EXIT_EVENT and leaves its
 * descendants suspended exactly where they were (a guest's started vCPUs,
 * on threads of their own, run on, but under a watch layer: invariant 14).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/rt.h"
#include "root/jail.h"
#include "root/ln.h"

/* ---- signals (invariant 10) ----------------------------------------------------- */

/* The kvm_run this thread is in KVM_RUN with: each signal kicks its own thread's. */
static __thread volatile struct kvm_run *current_run;

volatile sig_atomic_t ln_stop_signal;
/* SIGUSR1: the firewall layers' counters, now (their last reports), and a check now. */
volatile sig_atomic_t ln_report_signal;
/* Written by on_stop: a sleep in RP_HC_WAIT wakes even if the signal came just before it. */
volatile int ln_stop_fd = -1;
volatile int ln_wait_fd = -1;

/* A sleep in RP_HC_WAIT ends (its fd stays readable until the sleep drains it). */
static void wake_wait(void)
{
	uint64_t one = 1;

	if (ln_wait_fd >= 0 && write(ln_wait_fd, &one, sizeof(one)) < 0)
		return; /* full: it is readable already */
}

/* As the stop: out of KVM_RUN and out of a wait, so that the check is now. */
static void on_report(int sig)
{
	ln_report_signal = sig;
	if (current_run)
		current_run->immediate_exit = 1;
	wake_wait();
}

static void on_timer(int sig)
{
	if (current_run)
		current_run->immediate_exit = 1;
}

/* SIGINT, SIGTERM: end the stack cleanly (the disk is synced, fds closed). */
static void on_stop(int sig)
{
	uint64_t one = 1;

	ln_stop_signal = sig;
	if (current_run)
		current_run->immediate_exit = 1;
	if (ln_stop_fd >= 0 && write(ln_stop_fd, &one, sizeof(one)) < 0)
		return; /* full: it is readable already */
}

uint64_t ln_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* ---- event volume (invariant 12) ------------------------------------------------ */

static const char *const log_kinds[LOG_KINDS] = {"hc_refused", "layer_log", "unhandled_access",
						 "layer_end"};

/* May n write one more line of kind k? If not, the line is counted against n. */
bool ln_log_ok(struct ln_root *r, struct ln_node *n, enum log_kind k)
{
	uint64_t t = ln_now_ns();

	if (log_rate_take(&n->log_rate[k], LOG_BURST, LOG_PER_S, t) &&
	    log_rate_take(&r->log_rate[k], LOG_STACK_BURST, LOG_STACK_PER_S, t))
		return true;
	n->log_dropped[k]++;
	return false;
}

/* One log_dropped line per layer of n's subtree and kind that dropped lines. */
void ln_log_summaries(struct ln_node *n)
{
	unsigned i;

	for (i = 0; i < LOG_KINDS; i++)
		if (n->log_dropped[i]) {
			log_event("log_dropped", "layer", 's', n->name, "kind", 's', log_kinds[i],
				  "dropped", 'u', n->log_dropped[i], NULL);
			n->log_dropped[i] = 0;
		}
	for (i = 0; i < RP_MAX_CHILDREN; i++)
		if (n->children[i])
			ln_log_summaries(n->children[i]);
}

bool ln_is_watch(const struct ln_root *r, const struct ln_node *n)
{
	return n->layer && n->depth <= r->stack->nlayers &&
	       !strcmp(r->stack->kinds[n->depth - 1], "watch");
}

/* SIGUSR1: every watch layer of n's subtree checks its guest now (RP_EV_CHECK). */
void ln_post_checks(struct ln_root *r, struct ln_node *n)
{
	if (ln_is_watch(r, n))
		n->events |= RP_EV_CHECK;
	for (unsigned i = 0; i < RP_MAX_CHILDREN; i++)
		if (n->children[i])
			ln_post_checks(r, n->children[i]);
}

/* One "exits" line per VM of n's subtree: its KVM_RUN returns by reason. */
void ln_exits_report(const struct ln_node *n)
{
	const uint64_t *x = n->exits;
	unsigned i;

	log_event("exits", "layer", 's', n->name, "depth", 'u', (uint64_t)n->depth, "vm", 's',
		  n->layer ? "layer" : "guest", "mmio", 'u', x[LN_EXIT_MMIO], "pio", 'u',
		  x[LN_EXIT_PIO], "hypercall", 'u', x[LN_EXIT_HYPERCALL], "halt", 'u',
		  x[LN_EXIT_HALT], "events", 'u', x[LN_EXIT_EVENT], "other", 'u', x[LN_EXIT_OTHER],
		  NULL);
	for (i = 0; i < RP_MAX_CHILDREN; i++)
		if (n->children[i])
			ln_exits_report(n->children[i]);
}

/* ---- exits: answered here, or the parent's (invariant 5) ------------------------ */

/* virtio-mmio's InterruptStatus and InterruptACK (virtio 1.2, 4.2.2) */
#define ISR_STATUS 0x060
#define ISR_ACK 0x064

/*
 * A child's 4-byte read of InterruptStatus or write of InterruptACK in a
 * window its parent gave the root (RP_HC_ISR): answered here, and the
 * child runs on; false: its parent's business as any exit. The word is
 * found again at each use, so a parent that unmapped it gets the exit.
 */
static bool isr_exit(struct ln_vcpu *v)
{
	struct kvm_run *run = v->run;
	struct ln_node *c = v->node;
	uint32_t *w, val;

	if (!c->nisr || run->exit_reason != KVM_EXIT_MMIO || run->mmio.len != 4)
		return false;
	for (unsigned i = 0; i < c->nisr; i++) {
		uint64_t off = run->mmio.phys_addr - c->isr[i].base;

		if (run->mmio.phys_addr < c->isr[i].base ||
		    off != (run->mmio.is_write ? ISR_ACK : ISR_STATUS))
			continue;
		w = (uint32_t *)ln_node_ptr(c->parent, c->isr[i].isr, 4, RP_MAP_R | RP_MAP_W);
		if (!w)
			return false;
		if (!run->mmio.is_write) {
			val = __atomic_load_n(w, __ATOMIC_ACQUIRE);
			memcpy(run->mmio.data, &val, 4);
			return true;
		}
		memcpy(&val, run->mmio.data, 4);
		if (!(__atomic_and_fetch(w, ~val, __ATOMIC_ACQ_REL)) &&
		    (c->lines >> c->isr[i].line & 1))
			ln_set_line(c, c->isr[i].line, false);
		return true;
	}
	return false;
}

/* Frames wait on the tap for layer 1, and it has buffers for them. */
bool ln_net_waiting(struct ln_root *r)
{
	return r->tap && __atomic_load_n(&r->net_ready, __ATOMIC_SEQ_CST) &&
	       !net_dev_starved(r->tap);
}

void ln_complete(struct ln_vcpu *v, int64_t value)
{
	v->run->s.regs.regs.rax = (uint64_t)value;
	v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

/*
 * The vCPU of n's parent that is running v (its pending RP_HC_VCPU_RUN);
 * for a started vCPU, the one running a vCPU of the same VM.
 */
static struct ln_vcpu *runner_of(struct ln_vcpu *v)
{
	struct ln_node *p = v->node->parent;
	unsigned i;

	for (i = 0; p && i < p->nvcpus; i++)
		if (p->vcpus[i]->running == v ||
		    (v->started && p->vcpus[i]->running && p->vcpus[i]->running->node == v->node))
			return p->vcpus[i];
	return NULL;
}

/* Complete p's pending run with exit record e; p runs next. */
static struct ln_vcpu *deliver(struct ln_vcpu *p, const struct rp_exit *e)
{
	uint8_t *dst = ln_node_ptr(p->node, p->exit_gpa, sizeof(*e), RP_MAP_W);

	if (dst) {
		memcpy(dst, e, sizeof(*e));
		ln_complete(p, 0);
	} else {
		ln_complete(p, -RP_EFAULT);
	}
	p->running = NULL;
	return p;
}

struct ln_vcpu *ln_deepest(struct ln_vcpu *v)
{
	while (v->running)
		v = v->running;
	return v;
}

void ln_end_stack(struct ln_root *r, int outcome, uint64_t code, const char *why)
{
	if (r->done)
		return;
	r->done = true;
	r->res->outcome = outcome;
	r->res->code = code;
	snprintf(r->res->why, sizeof(r->res->why), "%s", why);
}

/* A child that can no longer run: tell its parent why. */
struct ln_vcpu *ln_child_gone(struct ln_root *r, struct ln_vcpu *v, uint32_t reason, uint64_t a,
			      uint64_t b, uint64_t c)
{
	struct rp_exit e = {.reason = reason, .vcpu = v->started ? v->handle : 0};
	struct ln_vcpu *p;
	char why[128];

	v->dead = true;
	if (!v->node->parent) {
		snprintf(why, sizeof(why), "layer 1 (%s) %s (0x%llx)", v->node->name,
			 reason == RP_EXIT_FAULT ? "faulted" : reason == RP_EXIT_DEAD ? "exited"
							       : "triple-faulted",
			 (unsigned long long)a);
		ln_end_stack(r, reason == RP_EXIT_DEAD ? RP_POWEROFF : RP_CRASH, a, why);
		return v;
	}
	if (reason == RP_EXIT_FAULT) {
		e.u.fault.vector = a;
		e.u.fault.addr = b;
		e.u.fault.error = c;
	} else {
		e.u.dead.code = a;
	}
	if (ln_log_ok(r, v->node->parent, LOG_CHILD_END)) /* the parent's doing: its bucket */
		log_event("layer_end", "layer", 's', v->node->name, "reason", 's',
			  reason == RP_EXIT_FAULT ? "fault"
			  : reason == RP_EXIT_DEAD ? "exit"
						   : "shutdown",
			  "value", 'x', a, NULL);
	p = runner_of(v);
	return p ? deliver(p, &e) : v;
}

/* An exit that is not a hypercall: the parent's business. */
static struct ln_vcpu *to_parent(struct ln_root *r, struct ln_vcpu *v)
{
	struct kvm_run *run = v->run;
	struct rp_exit e = {.vcpu = v->started ? v->handle : 0};
	struct ln_vcpu *p;

	if (!v->node->parent) {
		ln_root_device(r, v);
		return v;
	}
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		e.reason = RP_EXIT_IO;
		e.u.io.port = run->io.port;
		e.u.io.size = run->io.size;
		e.u.io.out = run->io.direction == KVM_EXIT_IO_OUT;
		e.u.io.count = run->io.count;
		memcpy(&e.u.io.data, (uint8_t *)run + run->io.data_offset,
		       run->io.size <= 8 ? run->io.size : 8);
		break;
	case KVM_EXIT_MMIO:
		e.reason = RP_EXIT_MMIO;
		e.u.mmio.addr = run->mmio.phys_addr;
		e.u.mmio.len = run->mmio.len;
		e.u.mmio.is_write = run->mmio.is_write;
		memcpy(e.u.mmio.data, run->mmio.data, 8);
		break;
	case KVM_EXIT_HLT:
		e.reason = RP_EXIT_HALT;
		break;
	default:
		return ln_child_gone(r, v, RP_EXIT_SHUTDOWN, run->exit_reason, 0, 0);
	}
	p = runner_of(v);
	return p ? deliver(p, &e) : v;
}

/* Fail closed: the stack halts, nothing passes through the broken layer. */
struct ln_vcpu *ln_violation(struct ln_root *r, struct ln_vcpu *v, const char *what,
			     uint64_t value)
{
	bool restart = r->stack->restart && r->restarts < RP_MAX_RESTARTS && !r->restart;
	char why[128];

	r->res->violations++;
	log_event("violation", "layer", 's', v->node->name, "depth", 'u', (uint64_t)v->node->depth,
		  "what", 's', what, "value", 'x', value, "action", 's',
		  restart ? "restart" : "halt", NULL);
	if (restart) { /* ln_chain_run rebuilds it before anything else runs */
		r->restarts++;
		r->restart = v;
		return v;
	}
	snprintf(why, sizeof(why), "integrity violation in %s (%s 0x%llx): the stack halted",
		 v->node->name, what, (unsigned long long)value);
	ln_end_stack(r, RP_VIOLATION, value, why);
	return v;
}

static struct ln_vcpu *route_exit(struct ln_root *r, struct ln_vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t val = 0;

	/* The ABI's ports, from a layer only: a guest's are its parent's (invariant 5). */
	if (v->node->layer && run->exit_reason == KVM_EXIT_IO &&
	    run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 4 && run->io.count == 1) {
		memcpy(&val, (uint8_t *)run + run->io.data_offset, 4);
		if (run->io.port == RP_HC_PORT)
			return ln_control_ok(r, v) ? ln_hypercall(r, v) : v;
		if (run->io.port == RP_FAULT_PORT && ln_has_children(v->node))
			return ln_violation(r, v, "fault", val);
		if (run->io.port == RP_FAULT_PORT) {
			const uint8_t *frame = ln_node_ptr(v->node, RING3_FRAME_GPA, 8, RP_MAP_R);
			struct kvm_sregs s;

			if (kvm_ioctl(v->fd, KVM_GET_SREGS, &s, NULL) < 0)
				s.cr2 = 0;
			/* The stub's frame starts with the error code (0 where the CPU pushes none). */
			return ln_child_gone(r, v, RP_EXIT_FAULT, val, s.cr2,
					     frame ? rt_le64(frame) : 0);
		}
	}
	if (run->exit_reason == KVM_EXIT_SHUTDOWN || run->exit_reason == KVM_EXIT_FAIL_ENTRY ||
	    run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
		if (ln_has_children(v->node))
			return ln_violation(r, v, "triple fault", run->exit_reason);
		return ln_child_gone(r, v, RP_EXIT_SHUTDOWN, run->exit_reason, 0, 0);
	}
	if (!v->node->irqchip && !ln_control_ok(r, v))
		return v;
	/* A write that KVM could not do in memory: a read-only, sealed slot. */
	if (run->exit_reason == KVM_EXIT_MMIO && run->mmio.is_write && !v->node->irqchip &&
	    run->mmio.phys_addr < RP_DEV_BASE && ln_map_at(v->node, run->mmio.phys_addr))
		return ln_violation(r, v, "write to sealed range", run->mmio.phys_addr);
	if (isr_exit(v))
		return v;
	return to_parent(r, v);
}

/* ---- events and timers ---------------------------------------------------------- */

/* Frames the watcher saw: into layer 1's receive buffers, and an event for it. */
static void net_pump(struct ln_root *r, struct ln_node *bottom)
{
	uint64_t one = 1;
	int f = net_dev_rx(r->tap);

	if (f & ~NET_DEV_MORE)
		bottom->events |= RP_EV_NET;
	/* Starved (layer 1's next receive notify resumes it), or more to take
	 * after this round's frames. A round that moved none hands the tap back
	 * to the watcher, so the vCPUs run between rounds. */
	if ((f & NET_DEV_MORE) && ((f & ~NET_DEV_MORE) || net_dev_starved(r->tap)))
		return;
	__atomic_store_n(&r->net_ready, 0, __ATOMIC_SEQ_CST);
	if (write(r->wake_fd, &one, sizeof(one)) < 0)
		log_err("wake the tap watcher: %s", strerror(errno));
}

struct ln_vcpu *ln_deliver_event(struct ln_root *r, struct ln_vcpu *v)
{
	struct rp_exit e = {.reason = RP_EXIT_EVENT, .u.event.events = v->node->events};

	v->node->events = 0;
	deliver(v, &e);
	ln_watch_pause(r, v->node, e.u.event.events);
	return v;
}

/*
 * Frames and timers that fell due become events; the lowest waiting layer
 * gets its own.
 */
static struct ln_vcpu *events(struct ln_root *r, struct ln_vcpu *top, struct ln_vcpu *cur)
{
	uint64_t t = ln_now_ns(), next = 0;
	struct ln_vcpu *v;

	if (ln_net_waiting(r))
		net_pump(r, top->node);

	for (v = top; v; v = v->running) {
		struct ln_node *n = v->node;

		if (n->deadline_ns && n->deadline_ns <= t) {
			n->deadline_ns = 0;
			n->events |= RP_EV_TIMER;
		}
		if (n->deadline_ns && (!next || n->deadline_ns < next))
			next = n->deadline_ns;
	}
	for (v = top; v && v != cur; v = v->running)
		if (v->node->events && v->running) {
			cur = ln_deliver_event(r, v);
			break;
		}
	r->next_deadline = next;
	if (r->timer_ok) {
		struct itimerspec its = {0};

		if (next) {
			uint64_t d = next > t ? next - t : 1;

			its.it_value.tv_sec = (time_t)(d / 1000000000ULL);
			its.it_value.tv_nsec = (long)(d % 1000000000ULL);
		}
		timer_settime(r->timer, 0, &its, NULL);
	}
	return cur;
}

/* ---- restarts ------------------------------------------------------------------- */

/*
 * The restart policy, after a violation of v: v's VM and its subtree are
 * rebuilt from their sealed images. Layer 1 the root rebuilds itself; any
 * other layer's parent gets RP_EXIT_DEAD with dead.restart = 1 and builds
 * its child again (after VM_DESTROY, which lifts the seals the old one
 * owned).
 */
static struct ln_vcpu *restart_layer(struct ln_root *r, struct ln_vcpu *v)
{
	struct rp_exit e = {.reason = RP_EXIT_DEAD, .u.dead = {.code = 0, .restart = 1}};
	struct ln_node *n = v->node;
	struct rp_vcpu_state st;
	struct ln_vcpu *p;
	const char *bad;
	uint64_t where;
	unsigned i;

	log_event("layer_restart", "layer", 's', n->name, "restarts", 'u', (uint64_t)r->restarts,
		  NULL);
	if (n->parent) {
		v->dead = true;
		p = runner_of(v);
		if (p)
			return deliver(p, &e);
		ln_end_stack(r, RP_VIOLATION, 0, "a layer to restart has no parent running it");
		return v;
	}
	/* Layer 1: its devices reset, its subtree and every seal go, its memory
	 * is emptied, it loads again. */
	ln_reset_devices(r, n);
	for (i = 0; i < RP_MAX_CHILDREN; i++)
		if (n->children[i]) {
			ln_node_free(r, n->children[i]);
			n->children[i] = NULL;
		}
	r->nseals = 0;
	while (n->nmaps)
		if (ln_node_unmap(n, n->nmaps - 1))
			break;
	madvise(r->bottom_host, r->bottom_size, MADV_DONTNEED);
	n->events = 0;
	n->deadline_ns = 0;
	n->pausing = false; /* its subtree, paused or not, is gone */
	v->running = NULL;
	v->dead = false;
	v->pinned = false;
	if (n->nmaps || ln_load_bottom(r, n, &st) || kvm_state_set(v->fd, &st) ||
	    (bad = ln_seal_vcpu(r, v, &where))) {
		ln_end_stack(r, RP_VIOLATION, 0, "layer 1 could not be rebuilt: the stack halted");
		return v;
	}
	v->sealed = true;
	return v;
}

/* ---- the chain ------------------------------------------------------------------ */

/* Why cur's KVM_RUN returned (it returned an exit, not an error). */
static enum ln_exit_reason exit_reason_of(const struct ln_vcpu *v)
{
	const struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		return LN_EXIT_MMIO;
	case KVM_EXIT_HLT:
		return LN_EXIT_HALT;
	case KVM_EXIT_IO:
		if (v->node->layer && run->io.port == RP_HC_PORT &&
		    run->io.direction == KVM_EXIT_IO_OUT)
			return LN_EXIT_HYPERCALL;
		return LN_EXIT_PIO;
	}
	return LN_EXIT_OTHER;
}

static void count_exit(struct ln_root *r, struct ln_vcpu *v, enum ln_exit_reason why)
{
	v->node->exits[why]++;
	r->res->exits_by[why]++;
	r->res->exits++;
}

/* ---- started vCPUs -------------------------------------------------------------- */

/*
 * A guest's vCPUs 1..n above layers (RP_HC_VCPU_START). Each runs on a
 * thread of its own that does nothing but KVM_RUN and wait (its jail role
 * allows no other ioctl): the chain's thread takes each exit, routes it as
 * any exit of that VM (to the parent, the layer that runs the guest's
 * vCPU 0, whose pending RP_HC_VCPU_RUN it completes with the record's vcpu
 * naming it) and leaves the vCPU waiting until the parent answers it with
 * RP_HC_VCPU_RUN(vcpu). Layers stay sequential: a parent sees one exit at
 * a time, as from one vCPU; only the guest runs in parallel.
 *
 * States (ap_state, under ap_lock): RUN (the thread is in KVM_RUN or on
 * its way), EXITED (the exit waits; the chain is kicked), HANDED (the
 * parent has it). The chain reads and writes the vCPU's kvm_run only in
 * EXITED or HANDED, while its thread waits on ap_cond.
 */
static void *ap_main(void *arg)
{
	struct ln_vcpu *v = arg;
	struct ln_root *r = v->root;
	int rc, err;

	jail_thread(JAIL_AP);
	pthread_mutex_lock(&r->ap_lock);
	while (!__atomic_load_n(&v->ap_stop, __ATOMIC_SEQ_CST)) {
		if (v->ap_state != LN_AP_RUN || v->ap_hold || v->ap_pause) {
			v->ap_parked = true;
			pthread_cond_broadcast(&r->ap_cond);
			pthread_cond_wait(&r->ap_cond, &r->ap_lock);
			continue;
		}
		v->ap_parked = false;
		pthread_mutex_unlock(&r->ap_lock);
		current_run = v->run;
		/* a stop after this line kicks this run; one before it is seen here */
		if (__atomic_load_n(&v->ap_stop, __ATOMIC_SEQ_CST) ||
		    __atomic_load_n(&v->ap_hold, __ATOMIC_SEQ_CST) ||
		    __atomic_load_n(&v->ap_pause, __ATOMIC_SEQ_CST))
			v->run->immediate_exit = 1;
		rc = ioctl(v->fd, KVM_RUN, 0);
		err = errno;
		current_run = NULL;
		pthread_mutex_lock(&r->ap_lock);
		if (rc < 0 && (err == EINTR || err == EAGAIN)) {
			v->run->immediate_exit = 0;
			continue;
		}
		v->ap_err = rc < 0 ? err : 0;
		v->ap_state = LN_AP_EXITED;
		__atomic_add_fetch(&r->ap_pending, 1, __ATOMIC_SEQ_CST);
		/* the chain out of KVM_RUN, and out of RP_HC_WAIT even if the
		 * signal lands just before its sleep */
		wake_wait();
		pthread_kill(r->chain, SIGALRM);
	}
	pthread_mutex_unlock(&r->ap_lock);
	return NULL;
}

/* v on a thread of its own; it runs at once (a guest's AP waits in KVM for its SIPI). */
int ln_ap_start(struct ln_root *r, struct ln_vcpu *v)
{
	sigset_t keep, old;
	int err;

	v->root = r;
	v->ap_state = LN_AP_RUN;
	v->ap_stop = false;
	/*
	 * Its thread takes its own kick (LN_AP_KICK) only: the operator's
	 * signals and the chain's timer (SIGALRM, which a process-wide timer
	 * sends to any thread that takes it) go to the chain.
	 */
	sigfillset(&keep);
	sigdelset(&keep, LN_AP_KICK);
	sigdelset(&keep, SIGSYS);
	pthread_sigmask(SIG_BLOCK, &keep, &old);
	err = pthread_create(&v->ap_thread, NULL, ap_main, v);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -1;
	v->started = true;
	r->nstarted++;
	return 0;
}

/* v's thread ends (before v goes): stopped, woken, kicked out of KVM_RUN, joined. */
void ln_ap_stop(struct ln_root *r, struct ln_vcpu *v)
{
	if (!v->started)
		return;
	pthread_mutex_lock(&r->ap_lock);
	__atomic_store_n(&v->ap_stop, true, __ATOMIC_SEQ_CST);
	if (v->ap_state == LN_AP_EXITED)
		__atomic_sub_fetch(&r->ap_pending, 1, __ATOMIC_SEQ_CST);
	v->ap_state = LN_AP_HANDED; /* never taken again */
	pthread_cond_broadcast(&r->ap_cond);
	pthread_mutex_unlock(&r->ap_lock);
	pthread_kill(v->ap_thread, LN_AP_KICK);
	pthread_join(v->ap_thread, NULL);
	v->started = false;
	r->nstarted--;
}

/*
 * v's thread kicked out of KVM_RUN and parked while *why (v->ap_hold or
 * v->ap_pause) is set: returns once it is parked. Two reasons, each set
 * and cleared by its own owner, so that a read's release does not let go
 * a vCPU a watch's check keeps paused.
 */
static void keep_out(struct ln_root *r, struct ln_vcpu *v, bool *why)
{
	struct timespec t;

	if (!v->started)
		return;
	pthread_mutex_lock(&r->ap_lock);
	__atomic_store_n(why, true, __ATOMIC_SEQ_CST);
	while (!v->ap_parked && !v->ap_stop) {
		pthread_kill(v->ap_thread, LN_AP_KICK);
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 1000000; /* a kick that came before its KVM_RUN: again */
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&r->ap_cond, &r->ap_lock, &t);
	}
	pthread_mutex_unlock(&r->ap_lock);
}

/* keep_out's reason *why gone: v runs on unless another holds it. */
static void let_go(struct ln_root *r, struct ln_vcpu *v, bool *why)
{
	if (!v->started)
		return;
	pthread_mutex_lock(&r->ap_lock);
	__atomic_store_n(why, false, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&r->ap_cond);
	pthread_mutex_unlock(&r->ap_lock);
}

/*
 * The chain is to read or set v's state (RP_HC_VCPU_GET, SET, CTL): v's
 * thread is kicked out of KVM_RUN and parked until ln_ap_release. KVM
 * takes a vCPU's mutex for each of its ioctls, KVM_RUN's whole run
 * included: a GET of a vCPU halted in the guest would wait for its next
 * exit, and the whole chain with it.
 */
void ln_ap_hold(struct ln_root *r, struct ln_vcpu *v)
{
	keep_out(r, v, &v->ap_hold);
}

void ln_ap_release(struct ln_root *r, struct ln_vcpu *v)
{
	let_go(r, v, &v->ap_hold);
}

/* Every started vCPU of n's subtree paused (pause) or let go; let go,
 * not below a watch layer that is itself checking (its pause holds its
 * subtree until its own resume). */
static void pause_subtree(struct ln_root *r, struct ln_node *n, bool pause)
{
	for (unsigned i = 0; i < n->nvcpus; i++)
		if (n->vcpus[i]->started) {
			if (pause)
				keep_out(r, n->vcpus[i], &n->vcpus[i]->ap_pause);
			else
				let_go(r, n->vcpus[i], &n->vcpus[i]->ap_pause);
		}
	for (unsigned i = 0; i < RP_MAX_CHILDREN; i++)
		if (n->children[i] && (pause || !n->children[i]->pausing))
			pause_subtree(r, n->children[i], pause);
}

/*
 * A watch layer's check (invariant 14): before started vCPUs, an event
 * for a layer left everything above it suspended; a guest's vCPUs 1..n
 * run on threads of their own and are parked here for the same. Its
 * subtree cannot start one meanwhile (it does not run).
 */
void ln_watch_pause(struct ln_root *r, struct ln_node *n, uint64_t events)
{
	/* a check runs on the watch's clock or on demand, never on a frame:
	 * its frames (RP_EV_NET) leave the guest running */
	if (!r->nstarted || !ln_is_watch(r, n) || !(events & (RP_EV_TIMER | RP_EV_CHECK)))
		return;
	n->pausing = true;
	pause_subtree(r, n, true);
}

void ln_watch_resume(struct ln_root *r, struct ln_node *n)
{
	if (!n->pausing)
		return;
	n->pausing = false;
	pause_subtree(r, n, false);
}

/* Does v's exit wait for its parent's answer? */
bool ln_ap_handed(struct ln_root *r, struct ln_vcpu *v)
{
	bool h;

	if (!v->started)
		return false;
	pthread_mutex_lock(&r->ap_lock);
	h = v->ap_state == LN_AP_HANDED && !v->ap_stop;
	pthread_mutex_unlock(&r->ap_lock);
	return h;
}

/* v runs on: its exit was answered. */
void ln_ap_resume(struct ln_root *r, struct ln_vcpu *v)
{
	pthread_mutex_lock(&r->ap_lock);
	if (!v->ap_stop)
		v->ap_state = LN_AP_RUN;
	pthread_cond_broadcast(&r->ap_cond);
	pthread_mutex_unlock(&r->ap_lock);
}

/* A started vCPU of n whose exit waits, now handed on; NULL: none. */
struct ln_vcpu *ln_ap_take(struct ln_root *r, struct ln_node *n)
{
	struct ln_vcpu *ap = NULL;

	if (!__atomic_load_n(&r->ap_pending, __ATOMIC_SEQ_CST) || !n->irqchip)
		return NULL;
	pthread_mutex_lock(&r->ap_lock);
	for (unsigned i = 0; i < n->nvcpus && !ap; i++)
		if (n->vcpus[i]->started && n->vcpus[i]->ap_state == LN_AP_EXITED) {
			ap = n->vcpus[i];
			ap->ap_state = LN_AP_HANDED;
			__atomic_sub_fetch(&r->ap_pending, 1, __ATOMIC_SEQ_CST);
		}
	pthread_mutex_unlock(&r->ap_lock);
	return ap;
}

/* Has a started vCPU of n an exit waiting? The caller holds ap_lock. */
static bool ap_exited_in(const struct ln_node *n)
{
	for (unsigned i = 0; i < n->nvcpus; i++)
		if (n->vcpus[i]->started && n->vcpus[i]->ap_state == LN_AP_EXITED)
			return true;
	return false;
}

/* Has a started vCPU of one of n's children an exit waiting? */
bool ln_ap_exited_below(struct ln_root *r, const struct ln_node *n)
{
	bool w = false;

	if (!__atomic_load_n(&r->ap_pending, __ATOMIC_SEQ_CST))
		return false;
	pthread_mutex_lock(&r->ap_lock);
	for (unsigned i = 0; i < RP_MAX_CHILDREN && !w; i++)
		w = n->children[i] && ap_exited_in(n->children[i]);
	pthread_mutex_unlock(&r->ap_lock);
	return w;
}

/*
 * ap's exit (taken), routed as any exit of its VM: the vCPU the chain runs
 * next (its parent's runner, the record delivered). *answered: the root
 * answered it itself (an InterruptStatus read) and ap runs on.
 */
static struct ln_vcpu *ap_route(struct ln_root *r, struct ln_vcpu *ap, bool *answered)
{
	struct ln_vcpu *next;

	count_exit(r, ap, ap->ap_err ? LN_EXIT_OTHER : exit_reason_of(ap));
	if (ap->ap_err)
		next = ln_child_gone(r, ap, RP_EXIT_SHUTDOWN, (uint64_t)ap->ap_err, 0, 0);
	else
		next = route_exit(r, ap);
	*answered = next == ap && !ap->dead;
	if (*answered)
		ln_ap_resume(r, ap);
	return next;
}

/*
 * The exits of n's started vCPUs that wait, taken and routed in turn,
 * *answers counting those taken against LN_AP_ANSWERS: the vCPU the chain
 * runs next once one is delivered to n's runner (or ends the stack); NULL
 * while the root answers them itself, or when none waits.
 */
struct ln_vcpu *ln_ap_next(struct ln_root *r, struct ln_node *n, unsigned *answers)
{
	struct ln_vcpu *ap, *next;
	bool answered;

	while ((*answers)++ < LN_AP_ANSWERS && (ap = ln_ap_take(r, n))) {
		next = ap_route(r, ap, &answered);
		if (!answered)
			return next;
	}
	return NULL;
}

/*
 * An exit of a started vCPU whose VM's runner waits above cur in its
 * pending run: delivered to it, which runs next. NULL: none to deliver now
 * (a runner that is running gets it at its next RP_HC_VCPU_RUN).
 */
static struct ln_vcpu *ap_deliver(struct ln_root *r, struct ln_vcpu *top, struct ln_vcpu *cur)
{
	struct ln_vcpu *v, *next;
	unsigned answers = 0;

	for (v = top; v && v != cur && __atomic_load_n(&r->ap_pending, __ATOMIC_SEQ_CST);
	     v = v->running)
		if (v->running && (next = ln_ap_next(r, v->running->node, &answers)))
			return next;
	return NULL;
}

/* Is an exit of a started vCPU waiting for a runner above cur? Then cur must not sleep in KVM_RUN. */
static bool ap_waiting(struct ln_root *r, struct ln_vcpu *top, struct ln_vcpu *cur)
{
	struct ln_vcpu *v;
	bool w = false;

	if (!__atomic_load_n(&r->ap_pending, __ATOMIC_SEQ_CST))
		return false;
	pthread_mutex_lock(&r->ap_lock);
	for (v = top; v && v != cur && !w; v = v->running)
		w = v->running && ap_exited_in(v->running->node);
	pthread_mutex_unlock(&r->ap_lock);
	return w;
}

void ln_chain_run(struct ln_root *r, struct ln_vcpu *top)
{
	struct ln_vcpu *cur = top;

	while (!r->done) {
		if (ln_stop_signal) {
			char why[48];

			snprintf(why, sizeof(why), "stopped by signal %d", (int)ln_stop_signal);
			ln_end_stack(r, RP_SIGNAL, 0, why);
			break;
		}
		if (ln_report_signal) {
			ln_report_signal = 0;
			fwr_events(&r->fw, r->stack);
			ln_post_checks(r, r->bottom);
		}
		if (ln_now_ns() >= r->log_flush_ns) {
			ln_log_summaries(r->bottom);
			r->log_flush_ns = ln_now_ns() + LOG_INTERVAL_NS;
		}
		cur = events(r, top, cur);
		if (__atomic_load_n(&r->ap_pending, __ATOMIC_SEQ_CST)) {
			struct ln_vcpu *next = ap_deliver(r, top, cur);

			if (next)
				cur = next;
			if (r->done)
				break;
		}
		cur->run->kvm_valid_regs =
			KVM_SYNC_X86_REGS | (cur->node->irqchip || !CHECKS ? 0 : KVM_SYNC_X86_SREGS);
		current_run = cur->run;
		/* A timer or a signal that came before current_run was set kicked nobody. */
		if ((r->next_deadline && ln_now_ns() >= r->next_deadline) || ln_net_waiting(r) ||
		    ln_report_signal || ln_stop_signal || ap_waiting(r, top, cur))
			cur->run->immediate_exit = 1;
		if (ioctl(cur->fd, KVM_RUN, 0) < 0) {
			current_run = NULL;
			cur->run->immediate_exit = 0;
			if (errno == EINTR || errno == EAGAIN) {
				count_exit(r, cur, LN_EXIT_EVENT);
				continue;
			}
			cur = ln_child_gone(r, cur, RP_EXIT_SHUTDOWN, (uint64_t)errno, 0, 0);
			continue;
		}
		current_run = NULL;
		cur->run->kvm_dirty_regs = 0;
		count_exit(r, cur, exit_reason_of(cur));
		cur = route_exit(r, cur);
		if (r->restart && !r->done) {
			cur = restart_layer(r, r->restart);
			r->restart = NULL;
		}
	}
}

/* ---- the tap watcher ------------------------------------------------------------ */

/* The tap watcher (see struct ln_root). */
static void *net_watch(void *arg)
{
	struct ln_root *r = arg;
	struct pollfd p[2] = {{.fd = net_dev_fd(r->tap), .events = POLLIN},
			      {.fd = r->wake_fd, .events = POLLIN}};
	uint64_t drain, one = 1;

	jail_thread(JAIL_WATCH);
	while (!__atomic_load_n(&r->watch_stop, __ATOMIC_SEQ_CST)) {
		/* While the chain has not taken the last frames, wait for it only. */
		p[0].fd = __atomic_load_n(&r->net_ready, __ATOMIC_SEQ_CST) ? -1 : net_dev_fd(r->tap);
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("tap watcher: poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents && read(r->wake_fd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
			break;
		if (p[0].fd >= 0 && p[0].revents) {
			__atomic_store_n(&r->net_ready, 1, __ATOMIC_SEQ_CST);
			if (write(r->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
				break;
			pthread_kill(r->chain, SIGALRM);
		}
	}
	return NULL;
}

/* The watcher blocks the chain's signals: they must reach the chain's thread. */
int ln_watch_start(struct ln_root *r)
{
	sigset_t all, old;
	int err;

	r->chain = pthread_self();
	r->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->wake_fd < 0 || r->kick_fd < 0) {
		log_err("eventfd: %s", strerror(errno));
		return -1;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&r->watcher, NULL, net_watch, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		log_err("tap watcher thread: %s", strerror(err));
		return -1;
	}
	r->watching = true;
	return 0;
}

void ln_watch_stop(struct ln_root *r)
{
	uint64_t one = 1;

	if (r->watching) {
		__atomic_store_n(&r->watch_stop, 1, __ATOMIC_SEQ_CST);
		if (write(r->wake_fd, &one, sizeof(one)) < 0)
			log_err("stop the tap watcher: %s", strerror(errno));
		pthread_join(r->watcher, NULL);
		r->watching = false;
	}
	if (r->wake_fd >= 0)
		close(r->wake_fd);
	if (r->kick_fd >= 0)
		close(r->kick_fd);
	r->wake_fd = r->kick_fd = -1;
}

/* ---- the signals, set up and taken down ----------------------------------------- */

/*
 * The chain's signals: SIGALRM (its timer, and the tap watcher's kick)
 * takes a vCPU out of KVM_RUN, SIGINT and SIGTERM end the stack
 * (invariant 10), SIGUSR1 asks for the firewall layers' counters.
 */
int ln_signals_open(struct ln_root *r)
{
	struct sigaction sa;
	struct sigevent sev;

	r->chain = pthread_self(); /* what started vCPUs and the tap watcher kick */
	ln_stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ln_wait_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ln_stop_fd < 0 || ln_wait_fd < 0) {
		log_err("eventfd: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_timer;
	sigaction(SIGALRM, &sa, NULL);
	sigaction(LN_AP_KICK, &sa, NULL); /* the same: out of this thread's KVM_RUN */
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_report;
	sigaction(SIGUSR1, &sa, NULL);
	/*
	 * The timer kicks the chain's thread by name (SIGEV_THREAD_ID): a
	 * signal for the whole process goes to any thread that takes it, and
	 * one that landed on another thread would leave the chain running
	 * past the layers' timers (a started vCPU's thread, kicked by
	 * LN_AP_KICK, blocks SIGALRM besides). (glibc 2.36 names the tid
	 * field only as _sigev_un._tid.)
	 */
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev._sigev_un._tid = gettid();
	sev.sigev_signo = SIGALRM;
	r->timer_ok = timer_create(CLOCK_MONOTONIC, &sev, &r->timer) == 0;
	return 0;
}

void ln_signals_close(struct ln_root *r)
{
	if (ln_stop_fd >= 0) {
		int fd = ln_stop_fd;

		ln_stop_fd = -1;
		close(fd);
	}
	if (ln_wait_fd >= 0) {
		int fd = ln_wait_fd;

		ln_wait_fd = -1;
		close(fd);
	}
	if (r->timer_ok)
		timer_delete(r->timer);
}
