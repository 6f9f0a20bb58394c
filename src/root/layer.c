/* SPDX-License-Identifier: MIT */
/*
 * The root's side of the hypercall ABI (include/rampart/abi.h) and the
 * chains that run a stack of layers.
 *
 * Invariants this file keeps (each is checked where a call enters, once):
 *  5. Exit routing: an exit of a VM goes to its parent only, as the return
 *     of the parent's pending RP_HC_VCPU_RUN; hypercalls go to the root,
 *     and only from VMs created as layers. A VM created with RP_VM_IRQCHIP
 *     (a guest) is not a layer: the ABI's ports (RP_HC_PORT, RP_FAULT_PORT)
 *     mean nothing from it, its port I/O there goes to its parent like any
 *     other, and it never calls the ABI nor holds children.
 * 10. Stopping: SIGINT or SIGTERM ends the stack at the chain's next step
 *     whatever its layers do; the one call that sleeps (RP_HC_WAIT) wakes
 *     on it (ln_stop_fd), so no layer holds the operator's stop off.
 * 11. A rebuilt layer 1 (restart policy) gets the root's devices as at
 *     power-on: each is reset before its memory is emptied, so no queue
 *     of the old incarnation reads or writes the new one's memory.
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
#include "root/jail.h"
#include "root/layer.h"
#include "root/ln.h"

#include <errno.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "boot/ring3.h"
#include "lib/rt.h"
#include "lib/sha256.h"
#include "root/log.h"
#include "root/fwreport.h"
#include "root/measure.h"
#include "root/preflight.h"
#include "root/vm.h"
#include "virtio/virtio.h"

/* The root's test device below layer 1 (what a chain's bottom talks to). */
#define TPORT_DOORBELL 0x600
#define TPORT_RESULT 0x604
#define TPORT_ECHO_IN 0x608
#define TPORT_ECHO_SUM 0x60c
#define TPORT_POWEROFF 0x6f0 /* 32-bit code: 0 powered off, 2 reset, 3 crashed */
#define TPORT_CONSOLE 0x6f4  /* one byte of the stack's console */

static const char *const log_kinds[LOG_KINDS] = {"hc_refused", "layer_log", "unhandled_access",
						 "layer_end"};

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

/* Layer 1's memory as its devices reach it: stores only where it may write itself. */
static void *dev_mem_ptr(void *ctx, uint64_t gpa, uint64_t len, bool write)
{
	return ln_node_ptr(ctx, gpa, len, write ? RP_MAP_R | RP_MAP_W : RP_MAP_R);
}

/* Layer 1's devices: no interrupt line (layers take none; the driver polls). */
static void blk_no_irq(void *ctx, unsigned irq, int level)
{
	(void)ctx;
	(void)irq;
	(void)level;
}

static void blk_log(void *ctx, const char *dev, const char *what, uint64_t value)
{
	log_event("device_refused", "layer", 's', ((struct ln_node *)ctx)->name, "device", 's', dev,
		  "what", 's', what, "value", 'x', value, NULL);
}

/* ---- event volume (invariant 12) ----------------------------------------------- */

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
static void log_summaries(struct ln_node *n)
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
			log_summaries(n->children[i]);
}

/* One "exits" line per VM of n's subtree: its KVM_RUN returns by reason. */
static void exits_report(const struct ln_node *n)
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
			exits_report(n->children[i]);
}


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

/* ---- exits and the chain ------------------------------------------------------ */

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

static void end_stack(struct ln_root *r, int outcome, uint64_t code, const char *why)
{
	if (r->done)
		return;
	r->done = true;
	r->res->outcome = outcome;
	r->res->code = code;
	snprintf(r->res->why, sizeof(r->res->why), "%s", why);
}

static void console_put(struct ln_root *r, char c)
{
	r->console[r->console_len++] = c;
	if (c == '\n' || r->console_len == sizeof(r->console)) {
		if (write(1, r->console, r->console_len) < 0)
			r->console_len = 0; /* the console is gone: drop */
		r->console_len = 0;
	}
}

/*
 * Layer 1's MMIO: its disk's or its rng's register window, handled to the
 * end before layer 1 runs again (its driver polls: a request is done when
 * the notify that announced it returns). false: not a window.
 */
static bool root_mmio(struct ln_root *r, struct kvm_run *run)
{
	uint64_t a = run->mmio.phys_addr, off = a - RP_DEV_BASE;
	unsigned len = run->mmio.len <= 8 ? run->mmio.len : 8;
	struct vio_dev *dev;

	if (r->disk && a >= RP_DEV_BASE && off < RP_DEV_SIZE) {
		dev = &r->blk.dev;
	} else if (a >= ROOT_RNG_BASE && a - ROOT_RNG_BASE < RP_DEV_SIZE) {
		dev = &r->rng.dev;
		off = a - ROOT_RNG_BASE;
	} else if (r->tap && a >= ROOT_NET_BASE && a - ROOT_NET_BASE < RP_DEV_SIZE) {
		dev = &net_dev_vio(r->tap)->dev;
		off = a - ROOT_NET_BASE;
	} else {
		return false;
	}
	if (off >= VIO_MMIO_SIZE) { /* the rest of the page: reads as zero */
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0, sizeof(run->mmio.data));
		return true;
	}
	if (run->mmio.is_write)
		vio_mmio_write(dev, off, run->mmio.data, len);
	else
		vio_mmio_read(dev, off, run->mmio.data, len);
	return true;
}

/* The root's test device, below layer 1. */
static void root_device(struct ln_root *r, struct ln_vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t val = 0;
	char why[96];

	if (run->exit_reason == KVM_EXIT_MMIO && root_mmio(r, run))
		return;
	if (run->exit_reason != KVM_EXIT_IO) {
		snprintf(why, sizeof(why), "layer 1 made an unhandled exit %u", run->exit_reason);
		end_stack(r, RP_CRASH, 0, why);
		return;
	}
	memcpy(&val, data, run->io.size < 4 ? run->io.size : 4);
	if (run->io.direction == KVM_EXIT_IO_IN) {
		val = 0;
		if (run->io.port == TPORT_ECHO_IN && r->echo_next < r->stack->echo_words)
			val = (uint32_t)++r->echo_next;
		memcpy(data, &val, run->io.size < 4 ? run->io.size : 4);
		return;
	}
	switch (run->io.port) {
	case TPORT_DOORBELL:
		r->res->doorbells++;
		break;
	case TPORT_RESULT:
		r->res->cpu_result = val;
		break;
	case TPORT_ECHO_SUM:
		r->res->echo_sum = val;
		r->res->echo_ok = val == (uint32_t)(r->stack->echo_words * (r->stack->echo_words + 1) / 2);
		break;
	case TPORT_POWEROFF:
		if (val == RP_RESET)
			end_stack(r, RP_RESET, val, "the top of the stack reset");
		else if (val == RP_CRASH)
			end_stack(r, RP_CRASH, val, "the top of the stack crashed (triple fault)");
		else
			end_stack(r, RP_POWEROFF, val, "the top of the stack powered off");
		break;
	case TPORT_CONSOLE:
		console_put(r, (char)val);
		break;
	default:
		if (ln_log_ok(r, v->node, LOG_UNHANDLED))
			log_event("unhandled_access", "layer", 's', v->node->name, "port", 'x',
				  (uint64_t)run->io.port, NULL);
	}
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
		end_stack(r, reason == RP_EXIT_DEAD ? RP_POWEROFF : RP_CRASH, a, why);
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
		root_device(r, v);
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
struct ln_vcpu *ln_violation(struct ln_root *r, struct ln_vcpu *v, const char *what, uint64_t value)
{
	bool restart = r->stack->restart && r->restarts < RP_MAX_RESTARTS && !r->restart;
	char why[128];

	r->res->violations++;
	log_event("violation", "layer", 's', v->node->name, "depth", 'u', (uint64_t)v->node->depth,
		  "what", 's', what, "value", 'x', value, "action", 's',
		  restart ? "restart" : "halt", NULL);
	if (restart) { /* chain_run rebuilds it before anything else runs */
		r->restarts++;
		r->restart = v;
		return v;
	}
	snprintf(why, sizeof(why), "integrity violation in %s (%s 0x%llx): the stack halted",
		 v->node->name, what, (unsigned long long)value);
	end_stack(r, RP_VIOLATION, value, why);
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

static int load_bottom(struct ln_root *r, struct ln_node *n, struct rp_vcpu_state *st);

/* Layer 1's devices, reset for its next incarnation (invariant 11). */
static void reset_devices(struct ln_root *r, const struct ln_node *n)
{
	if (r->disk) {
		vio_reset(&r->blk.dev);
		log_event("device_reset", "layer", 's', n->name, "device", 's', "virtio-blk", NULL);
	}
	vio_reset(&r->rng.dev);
	log_event("device_reset", "layer", 's', n->name, "device", 's', "virtio-rng", NULL);
	if (r->tap) {
		net_dev_reset(r->tap);
		log_event("device_reset", "layer", 's', n->name, "device", 's', "virtio-net", NULL);
	}
}

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
		end_stack(r, RP_VIOLATION, 0, "a layer to restart has no parent running it");
		return v;
	}
	/* Layer 1: its devices reset, its subtree and every seal go, its memory
	 * is emptied, it loads again. */
	reset_devices(r, n);
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
	if (n->nmaps || load_bottom(r, n, &st) || kvm_state_set(v->fd, &st) ||
	    (bad = ln_seal_vcpu(r, v, &where))) {
		end_stack(r, RP_VIOLATION, 0, "layer 1 could not be rebuilt: the stack halted");
		return v;
	}
	v->sealed = true;
	return v;
}

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

static void chain_run(struct ln_root *r, struct ln_vcpu *top)
{
	struct ln_vcpu *cur = top;

	while (!r->done) {
		if (ln_stop_signal) {
			char why[48];

			snprintf(why, sizeof(why), "stopped by signal %d", (int)ln_stop_signal);
			end_stack(r, RP_SIGNAL, 0, why);
			break;
		}
		if (report_signal) {
			report_signal = 0;
			fwr_events(&r->fw, r->stack);
		}
		if (ln_now_ns() >= r->log_flush_ns) {
			log_summaries(r->bottom);
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

/* ---- building a stack ------------------------------------------------------- */

/* A layer image, a kernel or an initrd for layer 1 to carry: a file, not empty. */
static void *read_image(const char *path, uint64_t *size)
{
	void *buf = rp_read_file(path, "image", RP_MAX_IMAGE_SIZE, size);

	if (buf && !*size) {
		log_err("image %s: empty", path);
		free(buf);
		buf = NULL;
	}
	return buf;
}

/* Each layer's image (its variant), read for it alone: what is measured is what it runs. */
static int load_images(const struct ln_stack *s, void *img[], uint64_t size[])
{
	unsigned i;

	for (i = 0; i < s->nlayers; i++)
		if (!(img[i] = read_image(s->images[i], &size[i])))
			return -1;
	return 0;
}

#define MIB2 (2ULL << 20)

static uint64_t align2m(uint64_t v)
{
	return (v + MIB2 - 1) & ~(MIB2 - 1);
}

/*
 * The blobs of a stack, in the order layer 1 receives them: for each layer,
 * its policy blob if it has one (a firewall), then the image of the layer
 * above it, ...; then what the top needs (a vmm top: the kernel and the
 * initrd). Layer i + 1 receives blobs first[i].. (its policy first, then
 * its child's image) and copies the blobs after its child's image into its
 * child; a firewall keeps its policy for itself.
 */
struct blobs {
	const void *data[RP_MAX_PAYLOAD];
	uint64_t size[RP_MAX_PAYLOAD];
	char kind[RP_MAX_PAYLOAD][16];
	unsigned n;
	unsigned first[LN_MAX_LAYERS];
};

/* A firewall's own memory beyond the share of every layer: the engine's
 * fixed tables (16384 flows, counters for 16384 rules: about 2 MiB,
 * src/fw/fw.h), rounded to where its child starts. */
#define LN_POLICY_LAYER_MEM (4ULL << 20)

static uint64_t align4k(uint64_t v)
{
	return (v + 0xfff) & ~0xfffULL;
}

static uint64_t blobs_bytes(const struct blobs *b, unsigned from)
{
	uint64_t sum = 0;

	for (; from < b->n; from++)
		sum += align4k(b->size[from]);
	return sum;
}

/* Layer i: its own share, its blobs, and its child's memory (or its guest's). */
static void stack_sizes(const struct ln_stack *s, const struct blobs *b, uint64_t mem[LN_MAX_LAYERS])
{
	int i = (int)s->nlayers - 1;

	mem[i] = s->layer_mem + align2m(blobs_bytes(b, b->first[i])) + s->guest_mem;
	for (i--; i >= 0; i--)
		mem[i] = s->layer_mem + align2m(blobs_bytes(b, b->first[i])) + mem[i + 1] +
			 (s->policy[i] ? LN_POLICY_LAYER_MEM : 0);
}

/*
 * Layer 1, built: its one writable map becomes the sealed layout every
 * layer gets (ring3_layout): system area and code read-only, the rest
 * writable, as a parent maps its child.
 */
static int seal_bottom(struct ln_node *n, const void *img, uint64_t isize, uint64_t mem)
{
	struct ring3_range rg[RING3_MAX_RANGES];
	const char *why = "?";
	uint8_t *host = n->maps[0].host;
	int k = ring3_layout(mem, img, isize, rg, RING3_MAX_RANGES, &why);

	if (k < 0) {
		log_err("layer 1's sealed layout: %s", why);
		return -1;
	}
	if (ln_node_unmap(n, 0))
		return -1;
	for (int i = 0; i < k; i++)
		if (ln_node_map(n, rg[i].gpa, rg[i].size, host + rg[i].gpa, rg[i].rights)) {
			log_err("layer 1's sealed layout: KVM_SET_USER_MEMORY_REGION: %s",
				strerror(errno));
			return -1;
		}
	return 0;
}

/*
 * Layer 1's memory and the root's devices for it (once per stack); the
 * layer itself is loaded by load_bottom, again at each restart.
 */
static int build_bottom(struct ln_root *r, struct ln_node *n)
{
	const struct ln_stack *s = r->stack;
	uint64_t mem[LN_MAX_LAYERS];
	uint8_t *host;

	stack_sizes(s, r->blobs, mem);
	host = mmap(NULL, mem[0], PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (host == MAP_FAILED) {
		log_err("layer memory of %llu MiB: %s", (unsigned long long)(mem[0] >> 20),
			strerror(errno));
		return -1;
	}
	r->bottom_host = host;
	r->bottom_size = mem[0];
	r->blk_host = (struct vio_host){
		.ctx = n, .gpa_ptr = dev_mem_ptr, .set_irq = blk_no_irq, .log = blk_log};
	if (r->disk) {
		vio_blk_init(&r->blk, &r->blk_host, 0, disk_dev_backend(r->disk));
		r->devs[r->ndevs++] = (struct rp_dev){.id = 2 /* virtio block */, .base = RP_DEV_BASE};
	}
	r->rng_be = (struct vio_rng_backend){.fill = rng_getrandom};
	vio_rng_init(&r->rng, &r->blk_host, 0, &r->rng_be);
	r->devs[r->ndevs++] = (struct rp_dev){.id = 4 /* virtio rng */, .base = ROOT_RNG_BASE};
	if (s->net) {
		r->tap = net_dev_open(s->net, &r->blk_host);
		if (!r->tap)
			return -1;
		r->devs[r->ndevs++] = (struct rp_dev){.id = 1 /* virtio net */, .base = ROOT_NET_BASE};
	}
	return 0;
}

/* Layer 1's memory as the root writes it when it builds layer 1. */
static void *bottom_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
	struct ln_root *r = ctx;

	return rt_range_ok(gpa, len, r->bottom_size) ? r->bottom_host + gpa : NULL;
}

/*
 * Layer 1 into its memory, from scratch: one writable map, the image, its
 * boot info and the blobs of the layers above, then the sealed layout.
 */
static int load_bottom(struct ln_root *r, struct ln_node *n, struct rp_vcpu_state *st)
{
	const struct ln_stack *s = r->stack;
	const struct blobs *b = r->blobs;
	uint64_t mem[LN_MAX_LAYERS], free_start, at;
	struct boot_mem m = {.ctx = r, .gpa_ptr = bottom_ptr};
	struct rp_boot_info info;
	const char *why = "?";
	uint8_t *host = r->bottom_host;
	unsigned i, k = 0;

	stack_sizes(s, b, mem);
	if (ln_node_map(n, 0, mem[0], host, RP_MAP_R | RP_MAP_W | RP_MAP_X)) {
		log_err("layer memory: KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		return -1;
	}
	memset(&info, 0, sizeof(info));
	info.magic = RP_BOOT_MAGIC;
	info.version = RP_ABI_VERSION;
	info.depth = 1;
	info.restarts = r->restarts;
	/* The stack canary of layer 1 (each layer draws its child's): fresh per boot. */
	if (getrandom(&info.canary, sizeof(info.canary), 0) != sizeof(info.canary)) {
		log_err("getrandom: %s (layer 1's stack canary)", strerror(errno));
		return -1;
	}
	snprintf(info.kind, sizeof(info.kind), "%s", s->kinds[0]);
	if (s->cmdline)
		snprintf(info.cmdline, sizeof(info.cmdline), "%s", s->cmdline);
	for (i = 1; i < s->nlayers && k < 8; i++)
		info.args[k++] = mem[i];
	if (s->guest_mem && k < 8)
		info.args[k++] = s->guest_mem;
	for (i = 0; i < s->ntop_args && k < 8; i++)
		info.args[k++] = s->top_args[i];
	info.ndevs = r->ndevs;
	memcpy(info.devs, r->devs, sizeof(r->devs));
	/* A first build says where free memory starts; the blobs go there. */
	if (ring3_build(&m, mem[0], r->img0, r->isize0, &info, st, &why)) {
		log_err("layer image %s: %s", s->images[0], why);
		return -1;
	}
	free_start = ((const struct rp_boot_info *)(host + RP_BOOT_INFO_GPA))->free_start;
	for (i = 0, at = free_start; i < b->n; i++) {
		struct rp_blob *p = &info.payload[info.npayload++];

		p->gpa = at;
		p->size = b->size[i];
		memcpy(p->kind, b->kind[i], sizeof(p->kind));
		memcpy(host + at, b->data[i], b->size[i]);
		at += align4k(b->size[i]);
	}
	if (ring3_build(&m, mem[0], r->img0, r->isize0, &info, st, &why))
		return -1;
	return seal_bottom(n, r->img0, r->isize0, mem[0]);
}

/* The file at path as the next blob, of kind; *data keeps it for the caller to free. */
static int file_blob(struct blobs *b, const char *path, const char *kind, void **data)
{
	uint64_t size;

	*data = read_image(path, &size);
	if (!*data)
		return -1;
	if (CHECKS)
		measure_blob(kind, path, *data, size);
	b->data[b->n] = *data;
	b->size[b->n] = size;
	snprintf(b->kind[b->n++], sizeof(b->kind[0]), "%s", kind);
	return 0;
}

/* The stack's blobs; the caller frees the kernel and initrd it loaded. */
static int stack_blobs(const struct ln_stack *s, void *const img[], const uint64_t isize[],
		       void **kernel, void **initrd, struct blobs *b)
{
	unsigned i, need = s->nlayers - 1 + (s->kernel ? 1 : 0) + (s->initrd ? 1 : 0);

	memset(b, 0, sizeof(*b));
	for (i = 0; i < s->nlayers; i++)
		need += s->policy[i] ? 1 : 0;
	if (need > RP_MAX_PAYLOAD) {
		log_err("%u images, policies and guest files: more than the %d blobs layer 1 can "
			"carry", need, RP_MAX_PAYLOAD);
		return -1;
	}
	for (i = 0; i < s->nlayers; i++) {
		if (s->policy[i]) { /* layer i + 1's own, before its child's image */
			b->data[b->n] = s->policy[i];
			b->size[b->n] = s->policy_size[i];
			snprintf(b->kind[b->n++], sizeof(b->kind[0]), "policy");
		}
		if (i + 1 == s->nlayers)
			break;
		b->data[b->n] = img[i + 1];
		b->size[b->n] = isize[i + 1];
		snprintf(b->kind[b->n++], sizeof(b->kind[0]), "%s", s->kinds[i + 1]);
		b->first[i + 1] = b->n; /* what layer i + 2 receives: after its image */
	}
	if (s->kernel && file_blob(b, s->kernel, "kernel", kernel))
		return -1;
	if (s->initrd && file_blob(b, s->initrd, "initrd", initrd))
		return -1;
	return 0;
}

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
static int watch_start(struct ln_root *r)
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

static void watch_stop(struct ln_root *r)
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

static int root_open(struct ln_root *r)
{
	struct sigaction sa;
	struct sigevent sev;
	int size;

	r->kvm_fd = kvm_open();
	if (r->kvm_fd < 0)
		return -1;
	size = kvm_ioctl(r->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0, NULL);
	if (size <= 0 || kvm_ioctl(r->kvm_fd, KVM_CHECK_EXTENSION,
				    (void *)(uintptr_t)KVM_CAP_SYNC_REGS, NULL) <= 0) {
		log_err("/dev/kvm: no KVM_CAP_SYNC_REGS, which layers need");
		return -1;
	}
	r->run_size = (size_t)size;
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

int layer_stack_run(const struct ln_stack *s, struct ln_result *res)
{
	struct ln_root r = {.stack = s, .res = res, .kvm_fd = -1, .wake_fd = -1, .kick_fd = -1};
	struct rp_vcpu_state st;
	struct ln_node *bottom;
	struct ln_vcpu *v;
	uint64_t isize[LN_MAX_LAYERS] = {0};
	uint64_t t0 = ln_now_ns();
	void *img[LN_MAX_LAYERS] = {NULL}, *kernel = NULL, *initrd = NULL;
	char variants[LN_MAX_LAYERS * (LN_VARIANT_MAX + 1)] = "";
	const char *why;
	uint64_t where;
	struct blobs b;
	unsigned i;

	memset(res, 0, sizeof(*res));
	res->outcome = RP_ERROR;
	/* Measured launch: hash the very bytes that will run, before anything is created. */
	if (load_images(s, img, isize) || (CHECKS && measure_layers(s, img, isize, s->manifest)) ||
	    (CHECKS && measure_policies(s, s->manifest)))
		goto out;
	if (s->nlayers + (s->kernel ? 2 : 0) > RP_MAX_PAYLOAD + 1) {
		log_err("%u layers and a guest: more than the %d images layer 1 can carry",
			s->nlayers, RP_MAX_PAYLOAD);
		goto out;
	}
	/* The operator's files before the host's KVM: a missing disk is named as such anywhere. */
	if (stack_blobs(s, img, isize, &kernel, &initrd, &b) ||
	    ln_approve_code(&r, img, isize, s->nlayers, s->images) || ring3_tables(r.tables) ||
	    (s->disk && !(r.disk = disk_dev_open(s->disk))) || root_open(&r))
		goto out;
	bottom = r.bottom = ln_node_new(&r, NULL, true);
	if (!bottom) {
		log_err("KVM_CREATE_VM: %s", strerror(errno));
		goto out;
	}
	r.blobs = &b;
	r.img0 = img[0];
	r.isize0 = isize[0];
	if (build_bottom(&r, bottom) || load_bottom(&r, bottom, &st) ||
	    !(v = ln_vcpu_new(&r, bottom)) || kvm_state_set(v->fd, &st) ||
	    jail_enter(JAIL_LAYERED) || (r.tap && watch_start(&r))) {
		log_err("could not start layer 1 (%s)", s->kinds[0]);
		goto free;
	}
	/* Layer 1's tables, as its children's: checked and sealed before it runs. */
	why = ln_seal_vcpu(&r, v, &where);
	if (why) {
		log_err("layer 1 (%s): %s at 0x%llx", s->kinds[0], why, (unsigned long long)where);
		goto free;
	}
	v->sealed = true;
	for (i = 0; i < s->nlayers; i++)
		snprintf(variants + strlen(variants), sizeof(variants) - strlen(variants), "%s%s",
			 i ? "," : "", s->variants[i]);
	log_event("stack_start", "layers", 'u', (uint64_t)s->nlayers, "bottom", 's', s->kinds[0],
		  "top", 's', s->kinds[s->nlayers - 1], "variants", 's', variants, "layer_mem_mib",
		  'u', s->layer_mem >> 20, "slots", 'u', (uint64_t)bottom->nmaps, NULL);
	r.log_flush_ns = ln_now_ns() + LOG_INTERVAL_NS;
	chain_run(&r, v);
	fwr_events(&r.fw, s);
	log_summaries(bottom);
	exits_report(bottom);
	res->slots = bottom->nmaps;
	res->slots_max = bottom->nmaps_max;
	if (r.console_len && write(1, r.console, r.console_len) < 0)
		r.console_len = 0;
free:
	watch_stop(&r);
	net_dev_close(r.tap);
	if (r.bottom_host)
		munmap(r.bottom_host, r.bottom_size);
	ln_node_free(&r, bottom);
out:
	if (ln_stop_fd >= 0) {
		int fd = ln_stop_fd;

		ln_stop_fd = -1;
		close(fd);
	}
	if (r.timer_ok)
		timer_delete(r.timer);
	if (r.kvm_fd >= 0)
		close(r.kvm_fd);
	disk_dev_close(r.disk);
	for (i = 0; i < s->nlayers; i++)
		free(img[i]);
	free(kernel);
	free(initrd);
	res->seconds = (ln_now_ns() - t0) / 1e9;
	return res->outcome;
}
