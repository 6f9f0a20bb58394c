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
 *     on it (ln_stop_fd), so no layer holds the operator's stop off.
 * 12. Event volume: the lines a layer can cause at will (a refused call,
 *     RP_HC_LOG, an unhandled access, the end of a child) go through a
 *     token bucket per layer and kind and one per kind for the stack;
 *     what they drop is counted and reported (log_dropped), per layer and
 *     kind, every LOG_INTERVAL_NS and at the end of the run.
 *
 * Chains: one host thread runs the deepest running vCPU; each vCPU below it
 * sits in its RP_HC_VCPU_RUN (vcpu->running). An exit for the parent writes
 * the record into the parent's memory and resumes the parent; an event for
 * layer k completes k's pending run with RP_EXIT_EVENT and leaves its
 * descendants suspended exactly where they were.
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

static volatile struct kvm_run *current_run;

volatile sig_atomic_t ln_stop_signal;
/* SIGUSR1: the firewall layers' counters, now (their last reports). */
static volatile sig_atomic_t report_signal;

static void on_report(int sig)
{
	report_signal = sig;
}
/* Written by on_stop: a sleep in RP_HC_WAIT wakes even if the signal came just before it. */
volatile int ln_stop_fd = -1;

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

/* The vCPU of n's parent that is running v (its pending RP_HC_VCPU_RUN). */
static struct ln_vcpu *runner_of(struct ln_vcpu *v)
{
	struct ln_node *p = v->node->parent;
	unsigned i;

	for (i = 0; p && i < p->nvcpus; i++)
		if (p->vcpus[i]->running == v)
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
	struct rp_exit e = {.reason = reason};
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
	struct rp_exit e = {0};
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
			struct rp_exit e = {.reason = RP_EXIT_EVENT, .u.event.events = v->node->events};

			v->node->events = 0;
			deliver(v, &e);
			cur = v;
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
		if (report_signal) {
			report_signal = 0;
			fwr_events(&r->fw, r->stack);
		}
		if (ln_now_ns() >= r->log_flush_ns) {
			ln_log_summaries(r->bottom);
			r->log_flush_ns = ln_now_ns() + LOG_INTERVAL_NS;
		}
		cur = events(r, top, cur);
		cur->run->kvm_valid_regs =
			KVM_SYNC_X86_REGS | (cur->node->irqchip || !CHECKS ? 0 : KVM_SYNC_X86_SREGS);
		current_run = cur->run;
		/* A timer that fired before current_run was set kicked nobody. */
		if ((r->next_deadline && ln_now_ns() >= r->next_deadline) || ln_net_waiting(r))
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

	ln_stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ln_stop_fd < 0) {
		log_err("eventfd: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_timer;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_report;
	sigaction(SIGUSR1, &sa, NULL);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
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
	if (r->timer_ok)
		timer_delete(r->timer);
}
