/* SPDX-License-Identifier: MIT */
/*
 * The root's layered stacks, inside: the types the files of the root's
 * side of the ABI share, and the functions one calls in another. Nothing
 * outside src/root/layer.c and src/root/ln_*.c includes it (layer.h is the
 * interface).
 *
 * Invariants, each stated in full at the top of the file that keeps it
 * and cited by number ("invariant 9") where it is kept:
 *  1. Flattened: every VM a sibling KVM VM; nothing copied ........ ln_tree.c
 *  2. Containment: maps inside the caller's, no rights it lacks .... ln_hc.c
 *  3. Handles name only the caller's own children ................. ln_tree.c
 *  4. Quotas, per caller and for the whole stack .................. ln_hc.c
 *  5. Exit routing: to the parent only; the ABI from layers only ... ln_chain.c
 *  6. A refused call is an error code and a line, never the end .... ln_hc.c
 *  7. Destroying a VM destroys its subtree and frees everything .... ln_tree.c
 *  8. Pinned control state of every ring-3 VM ...................... ln_seal.c
 *  9. Sealing: code measured, tables checked, seals all or nothing . ln_seal.c
 * 10. Stopping: SIGINT or SIGTERM ends the stack at the next step ... ln_chain.c
 * 11. A rebuilt layer 1 gets its devices reset ...................... ln_dev.c
 * 12. Event volume: rate-limited per layer and kind, drops counted .. ln_chain.c
 * 13. A waiting layer holds no other layer's clock .................. ln_hc.c
 * 14. A watch layer's check: its guest's started vCPUs parked ...... ln_chain.c
 *
 * Invariants 1 to 4, 6, 7 and 9, and 8 at RP_HC_VCPU_SET, are tested
 * without KVM: tests/unit/test_ln_hc.c and fuzz/fuzz_ln_hc.c run these
 * files on a fake KVM (tests/unit/fake_kvm.c, in place of kvm_ioctl.c).
 */
#ifndef RAMPART_LN_H
#define RAMPART_LN_H

#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "boot/ring3.h"
#include "lib/sha256.h"
#include "root/fwreport.h"
#include "root/layer.h"
#include "root/log.h"
#include "root/vm.h"
#include "virtio/virtio.h"

/*
 * VMs and vCPUs alive at once in one stack, all depths together (invariant
 * 4; past either, RP_EQUOTA). The per-caller quotas alone allow 16 children
 * at each of 8 levels with 8 vCPUs each: tens of thousands of KVM VMs and
 * vCPUs, each a file descriptor and kernel memory (a vCPU also a mapped
 * kvm_run page), enough for one tenant to exhaust the host's kernel memory
 * or the root's descriptor limit (RLIMIT_NOFILE, 1024 by default), and so
 * to stop the root doing its own work. A stack needs at most RP_MAX_DEPTH
 * layers, a guest and a few children per layer, one vCPU or a few each.
 */
#define LN_MAX_VMS 64
#define LN_MAX_STACK_VCPUS 128

/*
 * bench/layers.sh's A/B build (build/rampart-unchecked, -DRP_BENCH_UNCHECKED)
 * measures what the checks cost: no control-state check, no measuring, no
 * sealing, every code map approved. It is never installed or run otherwise.
 */
#ifdef RP_BENCH_UNCHECKED
#define CHECKS 0
#else
#define CHECKS 1
#endif
#define RP_MAX_WAIT_NS (3600ULL * 1000000000ULL) /* waits and timers: an hour at most */

/*
 * Event lines a layer causes at will (invariant 12). Unlimited, each exit
 * (one per ~26 us) could write a ~600-byte line: ~20 MB/s per layer, enough
 * to fill the host's disk. Per layer and kind a burst, then a trickle; per
 * kind for the whole stack too, since every child a layer creates would
 * otherwise start with a full bucket of its own.
 */
#define LOG_BURST 256        /* lines per layer and kind at once... */
#define LOG_PER_S 4          /* ...then per second */
#define LOG_STACK_BURST 1024 /* lines per kind, all layers together... */
#define LOG_STACK_PER_S 16   /* ...then per second */
#define LOG_INTERVAL_NS (10ULL * 1000000000ULL) /* how often what was dropped is reported */

enum log_kind { LOG_REFUSED, LOG_TEXT, LOG_UNHANDLED, LOG_CHILD_END, LOG_KINDS };

struct ln_node;

struct ln_vcpu {
	struct ln_node *node;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	struct ln_vcpu *running; /* the child vCPU of our pending RP_HC_VCPU_RUN */
	uint64_t exit_gpa;       /* where that run's exit record goes */
	bool dead;
	bool pinned; /* cr3, gdt and idt below hold the control state to keep */
	bool sealed; /* its page tables checked and sealed since its state was last set */
	uint64_t cr3, gdt, idt;
	uint32_t handle; /* as its creator holds it (0: layer 1's own) */
	/*
	 * RP_HC_VCPU_START (a guest's vCPU 1..n above layers): it runs on a
	 * thread of its own (ln_chain.c, "started vCPUs"); ap_state says
	 * where its exit is, under the root's ap_lock.
	 */
	bool started;
	bool ap_stop; /* __atomic: its thread ends */
	int ap_state; /* LN_AP_* */
	int ap_err;   /* KVM_RUN's errno for an exit that is an error, else 0 */
	bool ap_hold;   /* the chain reads or sets its state: its thread stays out of KVM_RUN */
	bool ap_pause;  /* a watch layer below checks its guest: the same, until the watch runs it */
	bool ap_parked; /* its thread waits, out of KVM_RUN */
	pthread_t ap_thread;
	struct ln_root *root;
};

enum {
	LN_AP_RUN,     /* in KVM_RUN, or on its way there */
	LN_AP_EXITED,  /* an exit waits for the chain to take it */
	LN_AP_HANDED,  /* the exit is with its parent, for RP_HC_VCPU_RUN to answer */
};

/*
 * Threads of started vCPUs in one stack, all VMs together: a guest above
 * layers has at most RP_MAX_CPUS vCPUs, and a layer that started more in
 * guests of its own would otherwise get the root to make a thread for
 * each of LN_MAX_STACK_VCPUS.
 */
#define LN_MAX_STARTED 16
/* What takes a started vCPU's thread out of KVM_RUN (the chain's is SIGALRM). */
#define LN_AP_KICK SIGUSR2
/*
 * Exits of started vCPUs the root answers itself (an InterruptStatus read,
 * RP_HC_ISR) in one pass of the chain or one RP_HC_VCPU_RUN: a guest whose
 * vCPUs read it in a loop would otherwise hold the chain's thread in that
 * loop, away from the operator's stop (invariant 10) and the layers'
 * timers. The rest wait for the next pass (the chain's vCPU is kicked).
 */
#define LN_AP_ANSWERS LN_MAX_STARTED

struct ln_map {
	uint64_t gpa, size;
	uint8_t *host;
	uint32_t rights;
	uint32_t slot;   /* its KVM memory slot */
	bool unsealable; /* read-only only because of a seal: W comes back when it goes */
	uint64_t origin; /* the gpa of the map a seal cut it from: pieces merge again */
};

/*
 * A node's maps: its creator's RP_MAX_MAPS, split further by sealing (two
 * more per seal over a writable map, given back when the seal goes). A
 * bound on the table scans of every access check and on KVM's slots per
 * VM; a seal that would pass it is refused (invariant 9).
 */
#define LN_MAX_SLOTS 256
/* Approved code: the text of every layer image of the stack, as loaded. */
#define LN_MAX_CODE (2 * LN_MAX_LAYERS)
/* Sealed ranges recorded at once, each undone when its owner goes. */
#define LN_MAX_SEALS 1024

struct blobs;

struct ln_node {
	struct ln_node *parent;
	char name[32];
	unsigned depth;
	int vm_fd;
	bool layer;   /* a ring-3 layer: may call the ABI (invariant 5); false: a guest */
	bool irqchip; /* in-kernel IOAPIC, LAPIC and PIT: an unmodified guest */
	struct ln_map maps[LN_MAX_SLOTS];
	unsigned nmaps;
	unsigned nmaps_max; /* the most maps it held (layer 1's is reported at the end) */
	unsigned vm_maps;   /* RP_HC_VM_MAP calls that made a map (the quota) */
	uint32_t next_slot; /* KVM slot numbers: the next new one, then freed ones again */
	uint32_t free_slots[LN_MAX_SLOTS];
	unsigned nfree;
	struct ln_vcpu *vcpus[RP_MAX_VCPUS];
	unsigned nvcpus;
	/* KVM vCPU ids used: one KVM made stays until its VM goes, even when
	 * setting it up failed and its fd was closed (the stack's count keeps it) */
	unsigned kvm_ids;
	struct ln_node *children[RP_MAX_CHILDREN]; /* handle = index + 1 */
	uint64_t events;
	uint64_t deadline_ns; /* RP_HC_TIMER, 0 = none */
	uint32_t lines; /* its interrupt lines' levels as its parent last set them */
	/* A guest with started vCPUs: the one its runner runs (RP_HC_VCPU_RUN), to resume
	 * once a started one's exit is answered. */
	struct ln_vcpu *primary;
	/* RP_HC_ISR: its virtio-mmio windows whose interrupt registers the root
	 * answers from a word of its parent's memory (parent gpa isr). */
	struct {
		uint64_t base, isr;
		uint32_t line;
	} isr[RP_MAX_ISR];
	unsigned nisr;
	uint64_t exits[LN_EXIT_REASONS]; /* its vCPUs' KVM_RUN returns, by reason */
	bool exited;
	uint64_t exit_code;
	/* A watch layer handling an event: its subtree's started vCPUs paused
	 * until its next RP_HC_VCPU_RUN runs its child (ln_watch_pause). */
	bool pausing;
	struct log_rate log_rate[LOG_KINDS];
	uint64_t log_dropped[LOG_KINDS]; /* since its last log_dropped line; its gone children's too */
};

struct ln_root {
	int kvm_fd;
	size_t run_size;
	unsigned nodes, next_id;
	unsigned nvcpus; /* alive, all VMs */
	const struct ln_stack *stack;
	struct ln_result *res;
	uint64_t echo_next;
	timer_t timer;
	bool timer_ok;
	uint64_t next_deadline; /* the chain's earliest timer, 0 = none */
	bool done;
	struct ln_node *bottom;
	const struct blobs *blobs; /* what layer 1 carries, its image (load_bottom) */
	const void *img0;
	uint64_t isize0;
	struct rp_dev devs[RP_MAX_DEVS]; /* the root's devices for layer 1 */
	unsigned ndevs;
	unsigned restarts;       /* layers rebuilt after a violation (restart policy) */
	uint32_t tsc_khz;        /* the TSC's rate every layer is told (0: unknown) */
	struct ln_vcpu *restart; /* the layer to rebuild before the chain goes on */
	struct ln_seal {         /* what sealed which host bytes */
		const uint8_t *host;
		uint64_t size;
		const struct ln_node *owner;
	} seals[LN_MAX_SEALS];
	unsigned nseals;
	uint8_t *bottom_host; /* layer 1's memory: all of the tree's */
	uint64_t bottom_size;
	uint8_t code[LN_MAX_CODE][SHA256_BYTES];
	uint8_t tables[RING3_TABLES_SIZE]; /* the system tables every ring-3 VM gets */
	unsigned ncode;
	char console[256];
	unsigned console_len;
	struct log_rate log_rate[LOG_KINDS]; /* the stack's, per kind */
	struct fwr fw;                        /* the firewall layers' counters */
	uint64_t log_flush_ns;                /* the next log_dropped lines are due */
	/* The stack's disk, layer 1's virtio-blk at RP_DEV_BASE (NULL: none). */
	struct rp_diskdev *disk;
	struct vio_blk blk;
	struct vio_host blk_host;
	/* Layer 1's virtio-rng (getrandom), always there, at RP_DEV_BASE + RP_DEV_SIZE. */
	struct vio_rng rng;
	struct vio_rng_backend rng_be;
	/*
	 * The stack's network (NULL: none): layer 1's virtio-net at
	 * ROOT_NET_BASE. The watcher thread polls the tap; when frames wait it
	 * sets net_ready and kicks the chain thread out of KVM_RUN, then
	 * sleeps until the chain has moved them into layer 1's buffers
	 * (net_pump) and writes wake_fd.
	 */
	struct rp_tap *tap;
	pthread_t chain, watcher;
	bool watching;
	int wake_fd;
	int kick_fd; /* the watcher's kick for a chain asleep in RP_HC_WAIT */
	int net_ready; /* __atomic */
	int watch_stop; /* __atomic */
	/* Started vCPUs (ln_chain.c): their states, and exits not yet taken (__atomic). */
	pthread_mutex_t ap_lock;
	pthread_cond_t ap_cond;
	unsigned nstarted;
	int ap_pending;
};

#define ROOT_RNG_BASE (RP_DEV_BASE + RP_DEV_SIZE)
#define ROOT_NET_BASE (RP_DEV_BASE + 2 * RP_DEV_SIZE)

/* ln_tree.c: nodes, vCPUs, maps, handles */
struct ln_map *ln_map_at(struct ln_node *n, uint64_t gpa);
uint8_t *ln_node_ptr(struct ln_node *n, uint64_t gpa, uint64_t len, uint32_t rights);
struct ln_node *ln_node_new(struct ln_root *r, struct ln_node *parent, bool layer);
void ln_node_free(struct ln_root *r, struct ln_node *n);
bool ln_in_subtree(const struct ln_node *n, const struct ln_node *top);
struct ln_vcpu *ln_vcpu_new(struct ln_root *r, struct ln_node *n);
int ln_node_map(struct ln_node *n, uint64_t gpa, uint64_t size, uint8_t *host, uint32_t rights);
int ln_node_unmap(struct ln_node *n, unsigned i);
bool ln_in_place(const struct ln_map *m, const uint8_t *lo, const uint8_t *host, uint64_t gpa);
int ln_map_piece(struct ln_node *n, const struct ln_map *m, uint64_t from, uint64_t to,
		 uint32_t rights, bool unsealable);
int ln_split_map(struct ln_node *n, unsigned i, uint64_t a, uint64_t b);
struct ln_node *ln_child_of(struct ln_node *n, uint64_t h);
struct ln_vcpu *ln_vcpu_of(struct ln_node *n, uint64_t h);
int ln_set_line(struct ln_node *c, uint32_t irq, bool level);
bool ln_has_children(const struct ln_node *n);

/* ln_seal.c: seals, the page-table walk, control state, approved code */
int ln_seal_range(struct ln_root *r, const uint8_t *host, uint64_t size,
		  const struct ln_node *owner, const struct ln_node *except, uint64_t at);
int ln_unseal(struct ln_root *r, const struct ln_node *gone);
const char *ln_seal_vcpu(struct ln_root *r, struct ln_vcpu *v, uint64_t *where);
bool ln_ctl_state_ok(const struct rp_vcpu_state *st);
bool ln_control_ok(struct ln_root *r, struct ln_vcpu *v);
bool ln_approved_code(const struct ln_root *r, const uint8_t *p, uint64_t size);
int ln_approve_code(struct ln_root *r, void *const img[], const uint64_t isize[], unsigned n,
		    const char *const paths[]);
/* seal_tables' answer when the seal of the tables would not fit: RP_ENOMEM, not a violation. */
extern const char ln_seal_no_room[];

/* layer.c: fail closed (invariant 8): one "violation" event, the stack halts or the layer restarts. */
struct ln_vcpu *ln_violation(struct ln_root *r, struct ln_vcpu *v, const char *what, uint64_t value);

/* ln_chain.c: SIGUSR1's checks of the watch layers */
void ln_post_checks(struct ln_root *r, struct ln_node *n);
/* Is n a watch layer (the stack's kind at its depth)? */
bool ln_is_watch(const struct ln_root *r, const struct ln_node *n);
/*
 * n's pending run completed with RP_EXIT_EVENT (events): when n is a
 * watch layer and events may start a check (its clock, RP_EV_TIMER, or
 * the operator's, RP_EV_CHECK), every started vCPU of its subtree is
 * parked out of KVM_RUN (as its vCPU 0, suspended in the chain) until
 * ln_watch_resume, so that the guest cannot see the check begin on one
 * vCPU and undo what it checks from another. Nothing for its frames
 * (RP_EV_NET: a peer's stream must not stop the guest's vCPUs) nor for
 * any other layer.
 */
void ln_watch_pause(struct ln_root *r, struct ln_node *n, uint64_t events);
/* n runs its child again (its next RP_HC_VCPU_RUN): the paused vCPUs run on. */
void ln_watch_resume(struct ln_root *r, struct ln_node *n);
/* v's pending run completed with RP_EXIT_EVENT and its layer's events
 * (cleared), as events() does: v runs next. */
struct ln_vcpu *ln_deliver_event(struct ln_root *r, struct ln_vcpu *v);

/* ln_chain.c: started vCPUs (RP_HC_VCPU_START) */
int ln_ap_start(struct ln_root *r, struct ln_vcpu *v);
void ln_ap_stop(struct ln_root *r, struct ln_vcpu *v);
bool ln_ap_handed(struct ln_root *r, struct ln_vcpu *v);
void ln_ap_resume(struct ln_root *r, struct ln_vcpu *v);
void ln_ap_hold(struct ln_root *r, struct ln_vcpu *v);
void ln_ap_release(struct ln_root *r, struct ln_vcpu *v);
struct ln_vcpu *ln_ap_take(struct ln_root *r, struct ln_node *n);
bool ln_ap_exited_below(struct ln_root *r, const struct ln_node *n);
struct ln_vcpu *ln_ap_next(struct ln_root *r, struct ln_node *n, unsigned *answers);

/* ln_hc.c: the hypercalls */
/* The call v's layer made; the vCPU the chain runs next. */
struct ln_vcpu *ln_hypercall(struct ln_root *r, struct ln_vcpu *v);

/* ln_chain.c: running chains, routing exits, events, signals */
void ln_chain_run(struct ln_root *r, struct ln_vcpu *top);
uint64_t ln_now_ns(void);
/* May n write one more line of kind k (invariant 12)? If not, it is counted against n. */
bool ln_log_ok(struct ln_root *r, struct ln_node *n, enum log_kind k);
void ln_log_summaries(struct ln_node *n);
void ln_exits_report(const struct ln_node *n);
/* Frames wait on the tap for layer 1, and it has buffers for them. */
bool ln_net_waiting(struct ln_root *r);
/* v's pending call returns value. */
void ln_complete(struct ln_vcpu *v, int64_t value);
struct ln_vcpu *ln_deepest(struct ln_vcpu *v);
/* A child that can no longer run: its parent is told why. */
struct ln_vcpu *ln_child_gone(struct ln_root *r, struct ln_vcpu *v, uint32_t reason, uint64_t a,
			      uint64_t b, uint64_t c);
/* Fail closed: one "violation" event; the stack halts or the layer restarts. */
struct ln_vcpu *ln_violation(struct ln_root *r, struct ln_vcpu *v, const char *what,
			     uint64_t value);
void ln_end_stack(struct ln_root *r, int outcome, uint64_t code, const char *why);
int ln_watch_start(struct ln_root *r);
void ln_watch_stop(struct ln_root *r);
int ln_signals_open(struct ln_root *r);
void ln_signals_close(struct ln_root *r);
/* SIGINT or SIGTERM seen (invariant 10), and the eventfd its handler writes. */
extern volatile sig_atomic_t ln_stop_signal;
extern volatile int ln_stop_fd;
/* SIGUSR1 seen (a check now), not yet acted on by the chain's loop. */
extern volatile sig_atomic_t ln_report_signal;
/*
 * What ends a sleep in RP_HC_WAIT early besides the stop and the watcher:
 * SIGUSR1's handler and a started vCPU's thread at its exit write it, the
 * sleep drains it. An eventfd, not the signal alone: a signal that lands
 * between the wait's last test and its ppoll would be gone.
 */
extern volatile int ln_wait_fd;

/* ln_dev.c: layer 1's devices, the root's test device */
int ln_devs_open(struct ln_root *r, struct ln_node *n);
void ln_root_device(struct ln_root *r, struct ln_vcpu *v);
#ifdef RP_TEST_BUILD
/* The root's test device (ln_dev.c, rampart-test only): true when it took the port I/O. */
bool ln_test_device(struct ln_root *r, struct kvm_run *run, uint8_t *data, uint32_t val);
#endif
void ln_reset_devices(struct ln_root *r, const struct ln_node *n);

/* layer.c: building a stack */
/* Layer 1 into its memory, from scratch (at the start and at each restart). */
int ln_load_bottom(struct ln_root *r, struct ln_node *n, struct rp_vcpu_state *st);

#endif
