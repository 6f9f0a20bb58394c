/* SPDX-License-Identifier: MIT */
/*
 * The root's jail, after Firecracker's jailer and its per-thread seccomp
 * filters. A guest or a layer that finds a bug in what the root parses gets
 * the root's process; this file decides how little that is.
 *
 * Invariants this file keeps, from jail_enter on (docs/jail.md):
 *  1. Set-up is over: every fd the stack needs (/dev/kvm, the VM and vCPU
 *     fds of a depth-1 guest, disks, taps, the event log) is open and every
 *     image read before jail_enter, which runs before any vCPU or other
 *     thread; no file can be opened afterwards (no open/openat/execve/
 *     socket in any list, and nothing to open: invariant 3).
 *  2. Limits: RLIMIT_NOFILE, RLIMIT_NPROC and RLIMIT_CORE (0) at the named
 *     constants below; not dumpable.
 *  3. Namespaces: new mount, ipc, uts, network and cgroup namespaces; the
 *     root directory is an empty read-only tmpfs (pivot_root, the old root
 *     detached; on an initramfs root, moved over / and chrooted into). A
 *     pid namespace of its own, entered by a fork before anything of the
 *     stack exists (jail_fork): unshare(CLONE_NEWPID) after set-up would
 *     make every later pthread_create fail (CLONE_THREAD across pid
 *     namespaces), and a fork after set-up could not take the KVM fds along
 *     (KVM refuses a VM's ioctls from another mm). The jailed root is pid 1
 *     there and sees no other process; its parent, the supervisor, keeps
 *     the host's user and namespaces (it removes the root's cgroup) and
 *     does nothing but wait: it forwards the operator's signals, removes
 *     the cgroup (cgroup.c) and exits as the root did, under a seccomp
 *     list of its own (invariant 7). The jailed root dies with it
 *     (PR_SET_PDEATHSIG, SIGKILL).
 *  4. Identity: setgroups([]), then the operator's unprivileged gid and uid
 *     (real, effective, saved); every capability set empty, the bounding
 *     and ambient sets included; no_new_privs.
 *  5. System calls: a seccomp allow-list per path (depth 1, layered), built
 *     with libseccomp and installed on the main thread before any other
 *     thread exists, so every thread has it; each thread the root starts
 *     then adds its role's narrower list (jail_thread). ioctl only with the
 *     request numbers listed; mmap and mprotect never with PROT_EXEC; clone
 *     only with thread flags (clone3 answers ENOSYS, so glibc uses clone);
 *     tgkill only within the root; rt_sigaction never for SIGSYS.
 *  6. A forbidden call never runs: SIGSYS (SCMP_ACT_TRAP) writes one line
 *     naming the call and the thread's role, with async-signal-safe calls
 *     only, and the process exits 1. A handler cannot be replaced (the
 *     list refuses rt_sigaction(SIGSYS)), and a blocked SIGSYS kills.
 *  7. The supervisor, from the fork on: no_new_privs and an allow-list of
 *     what waiting, forwarding signals to the root's pid (and no other),
 *     removing the cgroup through files opened before the list loads, and
 *     ending need; no open, exec, socket, fork or ptrace. A forbidden call
 *     is reported as in 6 ("in the supervisor thread") and ends it.
 *
 * --no-jail skips all of it and says so in a "jail" event.
 */
#include "root/jail.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>
#include <linux/kvm.h>
#include <linux/if_tun.h>

#include "root/log.h"
#include "root/sigsys.h"

/*
 * Open files: the set-up's (a few per device) plus what a layered stack
 * opens while it runs, 64 VMs and 128 vCPUs (LN_MAX_VMS, LN_MAX_STACK_VCPUS)
 * with an eventfd or two each. A root that was taken over cannot fill the
 * host's file table beyond it.
 */
#define JAIL_NOFILE 1024
/*
 * Threads of the jail's user (RLIMIT_NPROC counts the threads of every
 * process of that uid): 8 vCPUs and an I/O thread a stack, with room for
 * several stacks started with the same id. The lists forbid fork anyway.
 */
#define JAIL_NPROC 256
/* Where the empty root is mounted before pivot_root (in the new mount namespace only). */
static const char *const jail_mount_points[] = {"/tmp", "/mnt", "/run", NULL};
/* The tmpfs of the empty root: no room to write anything, even before it is read-only. */
#define JAIL_ROOT_OPTS "size=4k,nr_inodes=2,mode=0555"

/* Which threads may make a call: one bit per role and path. */
enum {
	D_MAIN = 1 << 0,  /* depth 1: set-up thread, vCPU 0, teardown */
	D_VCPU = 1 << 1,  /* depth 1: vCPUs 1..n */
	D_IO = 1 << 2,    /* depth 1: the I/O thread */
	L_MAIN = 1 << 3,  /* layered: the chain (set-up, every hypercall, teardown) */
	L_WATCH = 1 << 4, /* layered: the tap watcher */
	L_AP = 1 << 5,    /* layered: a guest's vCPU 1..n above layers (RP_HC_VCPU_START) */
	DEPTH1 = D_MAIN | D_VCPU | D_IO,
	LAYERED = L_MAIN | L_WATCH | L_AP,
	ALL = DEPTH1 | LAYERED,
	MAINS = D_MAIN | L_MAIN,
	GUEST_IO = D_MAIN | D_VCPU | D_IO | L_MAIN,
};

/* What a call's arguments must be. */
enum arg_rule {
	ANY,
	NO_EXEC,     /* mmap, mprotect: arg 2 without PROT_EXEC (no new code, ever) */
	THREAD_ONLY, /* clone: a thread of this process, no namespace, no new process */
	OWN_TGID,    /* tgkill: a thread of this process only */
	NOT_SIGSYS,  /* rt_sigaction: the report's handler stays */
	FILTER_ONLY, /* seccomp: add a filter (it can only narrow), nothing else */
};

struct jail_call {
	int nr;
	unsigned roles;
	enum arg_rule rule;
	const char *why; /* docs/jail.md gives the same, at length */
};

/* The allow-list; docs/jail.md is its commentary, row by row. */
static const struct jail_call jail_calls[] = {
	{SCMP_SYS(read), ALL, ANY, "eventfds, the tap, the console's stdin"},
	{SCMP_SYS(write), ALL, ANY, "the console, the event log, eventfds, the tap"},
	{SCMP_SYS(writev), GUEST_IO, ANY, "the tap and disks"},
	{SCMP_SYS(preadv), GUEST_IO, ANY, "virtio-blk reads"},
	{SCMP_SYS(pwritev), GUEST_IO, ANY, "virtio-blk writes"},
	{SCMP_SYS(fdatasync), GUEST_IO, ANY, "virtio-blk flush"},
	{SCMP_SYS(getrandom), GUEST_IO, ANY, "virtio-rng"},
	{SCMP_SYS(poll), ALL, ANY, "the I/O thread, the watcher, the tap"},
	{SCMP_SYS(ppoll), ALL, ANY, "the chain's wait, the watcher"},
	{SCMP_SYS(ioctl), GUEST_IO | L_AP, ANY, "KVM and tap: the request numbers of jail_ioctls"},
	{SCMP_SYS(futex), ALL, ANY, "locks, pthread_join"},
	{SCMP_SYS(mmap), ALL, NO_EXEC, "malloc, a vCPU's kvm_run, thread stacks"},
	{SCMP_SYS(mprotect), ALL, NO_EXEC, "malloc arenas, thread stack guards"},
	{SCMP_SYS(munmap), ALL, ANY, "free, a destroyed vCPU's kvm_run"},
	{SCMP_SYS(madvise), ALL, ANY, "free, a thread's stack at its exit"},
	{SCMP_SYS(brk), ALL, ANY, "malloc"},
	{SCMP_SYS(close), MAINS, ANY, "destroyed VMs and vCPUs, teardown"},
	{SCMP_SYS(eventfd2), L_MAIN, ANY, "the watcher's eventfds"},
	{SCMP_SYS(timer_settime), L_MAIN, ANY, "the chain's time slice (SIGALRM)"},
	{SCMP_SYS(timer_delete), L_MAIN, ANY, "teardown"},
	{SCMP_SYS(clone), MAINS, THREAD_ONLY, "vCPU, I/O and watcher threads"},
	{SCMP_SYS(set_robust_list), MAINS, ANY, "a new thread's start (glibc)"},
	{SCMP_SYS(rseq), MAINS, ANY, "a new thread's start (glibc)"},
	{SCMP_SYS(seccomp), MAINS, FILTER_ONLY, "a new thread adds its role's list"},
	{SCMP_SYS(rt_sigaction), MAINS, NOT_SIGSYS, "the run's signal handlers"},
	{SCMP_SYS(rt_sigprocmask), ALL, ANY, "thread creation, the watcher's mask"},
	{SCMP_SYS(rt_sigreturn), ALL, ANY, "return from a signal handler"},
	{SCMP_SYS(restart_syscall), ALL, ANY, "a call interrupted by a signal"},
	{SCMP_SYS(getpid), ALL, ANY, "pthread_kill"},
	{SCMP_SYS(gettid), ALL, ANY, "pthread_kill"},
	{SCMP_SYS(tgkill), ALL, OWN_TGID,
	 "kicks: SIGUSR1 to a vCPU, SIGALRM to the chain, SIGUSR2 to a guest vCPU thread"},
	{SCMP_SYS(clock_gettime), ALL, ANY, "timestamps, when the vDSO falls back"},
	{SCMP_SYS(exit), ALL, ANY, "a thread's end"},
	{SCMP_SYS(exit_group), ALL, ANY, "the end"},
};

/* ioctl request numbers and who may make them (every other ioctl is forbidden). */
static const struct {
	unsigned long req;
	unsigned roles;
} jail_ioctls[] = {
	{KVM_RUN, D_MAIN | D_VCPU | L_MAIN | L_AP},
	{KVM_IRQ_LINE, GUEST_IO},
	{TUNSETOFFLOAD, GUEST_IO}, /* the guest's offload features, when it sets them */
	/* Layers create VMs, vCPUs and maps while they run (ln_hc.c's hypercalls). */
	{KVM_CREATE_VM, L_MAIN},
	{KVM_CREATE_VCPU, L_MAIN},
	{KVM_SET_USER_MEMORY_REGION, L_MAIN},
	{KVM_GET_REGS, L_MAIN},
	{KVM_SET_REGS, L_MAIN},
	{KVM_GET_SREGS, L_MAIN},
	{KVM_SET_SREGS, L_MAIN},
	/* A grandchild's system call MSRs, read for RP_HC_VCPU_CTL (the watch layer). */
	{KVM_GET_MSRS, L_MAIN},
	/* A guest VM a vmm layer creates: its irqchip and CPUID (kvm_setup_irqchip, kvm_set_cpuid). */
	{KVM_CHECK_EXTENSION, L_MAIN},
	{KVM_SET_TSS_ADDR, L_MAIN},
	{KVM_SET_IDENTITY_MAP_ADDR, L_MAIN},
	{KVM_CREATE_IRQCHIP, L_MAIN},
	{KVM_CREATE_PIT2, L_MAIN},
	{KVM_GET_SUPPORTED_CPUID, L_MAIN},
	{KVM_SET_CPUID2, L_MAIN},
};

static struct jail_config jail_cfg = {.uid = JAIL_DEFAULT_ID, .gid = JAIL_DEFAULT_ID,
				      .selftest = -1};
static enum jail_path jail_path_now;
/* Each role's own list, as BPF, built before the jail closes; a thread installs its own. */
static struct sock_filter *role_bpf[JAIL_AP + 1];
static unsigned short role_len[JAIL_AP + 1];
static const char *const role_names[] = {"main", "vCPU", "I/O", "tap watcher", "guest vCPU",
					 "supervisor"};
static __thread const char *thread_role = "main";

void jail_defaults(struct jail_config *c)
{
	*c = (struct jail_config){.uid = JAIL_DEFAULT_ID, .gid = JAIL_DEFAULT_ID, .selftest = -1};
}

static int parse_id(const char *v, char **end, uint32_t *id)
{
	unsigned long long n;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoull(v, end, 10);
	/* 0 is root; (uid_t)-1 means "unchanged" to setresuid. */
	if (errno || n == 0 || n >= 0xffffffffULL)
		return -1;
	*id = (uint32_t)n;
	return 0;
}

int jail_parse_user(struct jail_config *c, const char *v)
{
	char *end;

	if (parse_id(v, &end, &c->uid))
		return -1;
	c->gid = c->uid;
	if (*end == ':' && parse_id(end + 1, &end, &c->gid))
		return -1;
	return *end ? -1 : 0;
}

int jail_parse_role(const char *v)
{
	static const char *const names[] = {"main",  "vcpu",       "io",     "watch",
					    "ap",    "supervisor", "badarch"};
	unsigned i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(v, names[i]) == 0)
			return (int)i;
	return -1;
}

void jail_configure(const struct jail_config *c)
{
	jail_cfg = *c;
}

/* ---- the pid namespace's supervisor ---------------------------------------- */

/*
 * The signals the supervisor hands on to the jailed root. As pid 1 of its
 * namespace the root ignores a signal it has no handler for (the kernel's
 * rule for init), so from the fork on it has one for each: until the
 * stack's own (SIGINT, SIGTERM: stop cleanly; SIGUSR1: counters, or the
 * vCPU kick) replace it, it ends the root as the signal would have
 * (on_early_signal), and the supervisor then dies of the same signal.
 */
static const int jail_forwarded[] = {SIGINT, SIGTERM, SIGUSR1, SIGHUP, SIGQUIT};
#define JAIL_NFORWARDED (sizeof(jail_forwarded) / sizeof(jail_forwarded[0]))
/* The jailed root's exit status for "ended by signal N before it had a handler": 128 + N, as a shell's. */
#define JAIL_SIGNAL_EXIT 128
static volatile pid_t jail_child;
/* unshare(CLONE_NEWPID)'s errno, reported where the jail fails without root (jail_enter). */
static int jail_pidns_errno;
static bool jail_in_pidns;

static void on_forward(int sig)
{
	if (jail_child > 0)
		kill(jail_child, sig);
}

static void on_early_signal(int sig)
{
	_exit(JAIL_SIGNAL_EXIT + sig);
}

static void handle_forwarded(void (*fn)(int))
{
	struct sigaction sa;
	unsigned i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn; /* no SA_RESTART: the supervisor's waitpid returns to forward */
	for (i = 0; i < JAIL_NFORWARDED; i++)
		sigaction(jail_forwarded[i], &sa, NULL);
}

/* The supervisor's end: the root's exit status, or death by the root's signal. */
static void __attribute__((noreturn)) end_as(int status)
{
	struct rlimit none = {0, 0};
	sigset_t one;
	int sig = 0;
	unsigned i;

	if (WIFEXITED(status)) {
		for (i = 0; i < JAIL_NFORWARDED; i++)
			if (WEXITSTATUS(status) == JAIL_SIGNAL_EXIT + jail_forwarded[i])
				sig = jail_forwarded[i];
		if (!sig)
			_exit(WEXITSTATUS(status));
	} else {
		sig = WTERMSIG(status);
	}
	/*
	 * The root killed by SIGSYS: a call of another ABI (its lists kill
	 * those outright), a sign it was taken over. The supervisor's own list
	 * keeps SIGSYS's handler (invariant 7), so it does not die of it too:
	 * it says so and exits as a shell reports that death.
	 */
	if (sig == SIGSYS) {
		log_err("jail: the root was killed by SIGSYS (a system call of another ABI)");
		_exit(JAIL_SIGNAL_EXIT + SIGSYS);
	}
	/* The root's core (if any) is the root's; the supervisor leaves none of its own. */
	setrlimit(RLIMIT_CORE, &none);
	signal(sig, SIG_DFL);
	sigemptyset(&one);
	sigaddset(&one, sig);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	raise(sig);
	_exit(JAIL_SIGNAL_EXIT + sig);
}

static void on_sigsys(int sig, siginfo_t *si, void *uc);
static void selftest(enum jail_role role);

/*
 * The supervisor's own list (invariant 7), loaded once the root is forked
 * and the parent cgroup's files are open (hold): waiting for the root,
 * handing it signals (kill of that one pid only), removing the cgroup
 * (writes to held fds, rmdir, access, a short sleep), one log line, and
 * ending as the root did (its signal raised at itself, RLIMIT_CORE 0).
 * No open, exec, socket, fork or ptrace; a forbidden call is reported as
 * the root's are and ends the supervisor, and with it (PDEATHSIG) the root.
 */
static int supervisor_filter(pid_t root)
{
	static const int calls[] = {
		SCMP_SYS(wait4), SCMP_SYS(write), SCMP_SYS(close), SCMP_SYS(rmdir),
		SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2),
		SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep), SCMP_SYS(clock_gettime),
		SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
		SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(exit), SCMP_SYS(exit_group),
		/* free() after the list loads (libseccomp's own, a trimmed heap) */
		SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(madvise),
	};
	struct sigaction sa;
	scmp_filter_ctx ctx;
	unsigned i;
	int r = 0;

	thread_role = role_names[JAIL_SUPERVISOR];
	sigsys_names();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		r = -ENOMEM;
	else if (sigaction(SIGSYS, &sa, NULL) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		r = -errno;
	for (i = 0; !r && i < sizeof(calls) / sizeof(calls[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0);
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
				     SCMP_A0(SCMP_CMP_EQ, (uint64_t)root));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				     SCMP_A0(SCMP_CMP_EQ, (uint64_t)getpid()));
	/* end_as: RLIMIT_CORE of itself, the root's signal back to its default */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1,
				     SCMP_A0(SCMP_CMP_EQ, 0));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigaction), 1,
				     SCMP_A0(SCMP_CMP_NE, SIGSYS));
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (!r)
		r = seccomp_load(ctx);
	if (r)
		log_err("jail: the supervisor's seccomp list: %s", strerror(-r));
	if (ctx)
		seccomp_release(ctx);
	return r ? -1 : 0;
}

int jail_fork(void (*hold)(void), void (*at_end)(void))
{
	sigset_t fwd, old;
	int status;
	unsigned i;
	pid_t pid;

	if (jail_cfg.off)
		return 0;
	if (unshare(CLONE_NEWPID)) {
		jail_pidns_errno = errno;
		return 0;
	}
	/* No forwarded signal is lost between the fork and either side's handlers. */
	sigemptyset(&fwd);
	for (i = 0; i < JAIL_NFORWARDED; i++)
		sigaddset(&fwd, jail_forwarded[i]);
	sigprocmask(SIG_BLOCK, &fwd, &old);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		log_err("jail: fork into a pid namespace: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		handle_forwarded(on_early_signal);
		sigprocmask(SIG_SETMASK, &old, NULL);
		jail_in_pidns = true;
		return 1;
	}
	jail_child = pid;
	handle_forwarded(on_forward);
	if (hold)
		hold();
	if (supervisor_filter(pid))
		kill(pid, SIGKILL); /* reaped below; the run ends with the reason logged */
	selftest(JAIL_SUPERVISOR);
	sigprocmask(SIG_SETMASK, &old, NULL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			log_err("jail: waiting for the root: %s", strerror(errno));
			status = 1 << 8;
			break;
		}
	if (at_end)
		at_end();
	end_as(status);
}

/* ---- the report ---------------------------------------------------------------- */

/* Invariant 6: async-signal-safe only (root/sigsys.c). */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	const char *const tail[] = {" in the ", thread_role, " thread", NULL};

	sigsys_die("rampart: jail: ", (unsigned)si->si_syscall, tail);
}

/* ---- the lists ----------------------------------------------------------------- */

static int add_call(scmp_filter_ctx ctx, const struct jail_call *c, unsigned roles)
{
	const uint64_t thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
	/* Any of these would leave the process or its namespaces. */
	const uint64_t never = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
			       CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_VFORK |
			       CLONE_PARENT | CLONE_PTRACE | CLONE_UNTRACED;
	unsigned i;
	int r = 0;

	switch (c->rule) {
	case NO_EXEC:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, c->nr, 1,
					SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	case THREAD_ONLY:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, c->nr, 1,
					SCMP_A0(SCMP_CMP_MASKED_EQ, thread | never, thread));
	case OWN_TGID:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, c->nr, 1,
					SCMP_A0(SCMP_CMP_EQ, (uint64_t)getpid()));
	case NOT_SIGSYS:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, c->nr, 1,
					SCMP_A0(SCMP_CMP_NE, SIGSYS));
	case FILTER_ONLY:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, c->nr, 1,
					SCMP_A0(SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER));
	case ANY:
		break;
	}
	if (c->nr != SCMP_SYS(ioctl))
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, c->nr, 0);
	for (i = 0; i < sizeof(jail_ioctls) / sizeof(jail_ioctls[0]) && !r; i++)
		if (jail_ioctls[i].roles & roles)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, c->nr, 1,
					     SCMP_A1(SCMP_CMP_EQ, jail_ioctls[i].req));
	return r;
}

/* The list of every call some role in roles may make; NULL on failure (logged). */
static scmp_filter_ctx build(unsigned roles)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	unsigned i;
	int r;

	if (!ctx) {
		log_err("jail: seccomp_init failed");
		return NULL;
	}
	/* Another ABI (i386's int 0x80, x32) is no way around the list. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	/* clone3's flags are behind a pointer: ENOSYS, and glibc falls back to clone. */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	for (i = 0; i < sizeof(jail_calls) / sizeof(jail_calls[0]) && !r; i++)
		if (jail_calls[i].roles & roles)
			r = add_call(ctx, &jail_calls[i], roles);
	if (r) {
		log_err("jail: building the system call list: %s", strerror(-r));
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

/* A role's list as BPF (read back through a pipe: libseccomp 2.5 exports to an fd only). */
static int export_role(enum jail_role role, unsigned roles)
{
	scmp_filter_ctx ctx = build(roles);
	struct sock_filter *prog = NULL;
	size_t size = 0;
	ssize_t n;
	int p[2] = {-1, -1}, r = -1;

	if (!ctx)
		return -1;
	if (pipe2(p, O_CLOEXEC) || seccomp_export_bpf(ctx, p[1]))
		goto out;
	close(p[1]);
	p[1] = -1;
	/* 64 KiB, the pipe's buffer, holds 8192 instructions: far more than a list has. */
	prog = malloc(65536);
	while (prog && (n = read(p[0], (char *)prog + size, 65536 - size)) > 0)
		size += (size_t)n;
	if (prog && size && size % sizeof(*prog) == 0 && size < 65536) {
		role_bpf[role] = prog;
		role_len[role] = (unsigned short)(size / sizeof(*prog));
		prog = NULL;
		r = 0;
	}
out:
	if (r)
		log_err("jail: exporting the %s thread's list failed", role_names[role]);
	free(prog);
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	seccomp_release(ctx);
	return r;
}


/* ---- the steps ----------------------------------------------------------------- */

static int set_limit(int what, const char *name, rlim_t v)
{
	struct rlimit rl = {.rlim_cur = v, .rlim_max = v};

	if (setrlimit(what, &rl) == 0)
		return 0;
	log_err("jail: %s %llu: %s", name, (unsigned long long)v, strerror(errno));
	return -1;
}

static int limits(void)
{
	return set_limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", JAIL_NOFILE) ||
	       set_limit(RLIMIT_NPROC, "RLIMIT_NPROC", JAIL_NPROC) ||
	       set_limit(RLIMIT_CORE, "RLIMIT_CORE", 0) || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/*
 * The working directory (the new tmpfs) becomes the root. pivot_root(".",
 * "."): the old root lands on top of the new and is detached. An initramfs
 * root (rootfs) cannot be pivoted away from (EINVAL): there the tmpfs is
 * moved over "/" and chrooted into, as switch_root does; the old root is
 * then only hidden beneath, and with no capability (CAP_SYS_CHROOT,
 * CAP_SYS_ADMIN) and no fd of a directory there is no way back to it.
 */
static int enter_root(void)
{
	if (syscall(SYS_pivot_root, ".", ".") == 0)
		return umount2(".", MNT_DETACH) || chdir("/") ? -1 : 0;
	if (errno != EINVAL)
		return -1;
	return mount(".", "/", NULL, MS_MOVE, NULL) || chroot(".") || chdir("/") ? -1 : 0;
}

/* Invariant 3: own namespaces, and a root directory with nothing in it. */
static int empty_root(void)
{
	const char *at = NULL;
	unsigned i;

	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP)) {
		log_err("jail: unshare: %s (the jail needs root; --no-jail runs without it, "
			"for debugging only)", strerror(errno));
		return -1;
	}
	/* Nothing mounted from here on reaches the host's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		log_err("jail: making / private: %s", strerror(errno));
		return -1;
	}
	for (i = 0; jail_mount_points[i] && !at; i++)
		if (mount("rampart-jail", jail_mount_points[i], "tmpfs",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC, JAIL_ROOT_OPTS) == 0)
			at = jail_mount_points[i];
	if (!at) {
		log_err("jail: no tmpfs for the empty root (tried /tmp, /mnt, /run): %s",
			strerror(errno));
		return -1;
	}
	if (chdir(at) || enter_root()) {
		log_err("jail: pivot_root into %s: %s", at, strerror(errno));
		return -1;
	}
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
		  MS_NOEXEC, NULL)) {
		log_err("jail: read-only root: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Invariant 4: the operator's ids, no capability in any set, no_new_privs. */
static int drop_privileges(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	int cap;

	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)) {
			log_err("jail: dropping capability %d: %s", cap, strerror(errno));
			return -1;
		}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		log_err("jail: ambient capabilities: %s", strerror(errno));
		return -1;
	}
	if (setgroups(0, NULL) || setresgid(jail_cfg.gid, jail_cfg.gid, jail_cfg.gid) ||
	    setresuid(jail_cfg.uid, jail_cfg.uid, jail_cfg.uid)) {
		log_err("jail: becoming %u:%u: %s", jail_cfg.uid, jail_cfg.gid, strerror(errno));
		return -1;
	}
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		log_err("jail: clearing capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static unsigned path_roles(enum jail_path path)
{
	return path == JAIL_DEPTH1 ? DEPTH1 : LAYERED;
}

/* The roles' bits in jail_calls: a role's list on its path. */
static unsigned role_bits(enum jail_path path, enum jail_role role)
{
	if (role == JAIL_MAIN)
		return path == JAIL_DEPTH1 ? D_MAIN : L_MAIN;
	if (role == JAIL_AP)
		return L_AP;
	return role == JAIL_VCPU ? D_VCPU : role == JAIL_IO ? D_IO : L_WATCH;
}

/* Invariant 5: the path's list on this (still the only) thread; each role's, ready. */
static int seccomp_lists(enum jail_path path)
{
	struct sigaction sa;
	scmp_filter_ctx ctx;
	int role, r;

	sigsys_names();
	for (role = JAIL_VCPU; role <= JAIL_AP; role++)
		if ((role_bits(path, role) & path_roles(path)) &&
		    export_role(role, role_bits(path, role)))
			return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	ctx = build(path_roles(path));
	if (!ctx)
		return -1;
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r) {
		log_err("jail: loading the system call list: %s", strerror(-r));
		return -1;
	}
	return 0;
}

void (*jail_selftest_hook)(const struct jail_config *c, enum jail_role role);

/* The test build's --jail-selftest (jail_selftest.c); nothing in rampart. */
static void selftest(enum jail_role role)
{
	if (jail_selftest_hook)
		jail_selftest_hook(&jail_cfg, role);
}

int jail_enter(enum jail_path path)
{
	struct stat pidns = {0};

	jail_path_now = path;
	if (jail_cfg.off) {
		log_event("jail", "state", 's', "off", "why", 's',
			  "--no-jail: the root keeps every system call, capability and file of the host",
			  NULL);
		return 0;
	}
	thread_role = path == JAIL_DEPTH1 ? "main (vCPU 0)" : "chain";
	if (jail_pidns_errno || !jail_in_pidns) {
		log_err("jail: unshare: %s (the jail needs root; --no-jail runs without it, "
			"for debugging only)", strerror(jail_pidns_errno ? jail_pidns_errno : EINVAL));
		return -1;
	}
	/* The namespace's inode, for the event: read while /proc is still there. */
	if (stat("/proc/self/ns/pid", &pidns)) {
		log_err("jail: /proc/self/ns/pid: %s", strerror(errno));
		return -1;
	}
	if (limits() || empty_root() || drop_privileges())
		return -1;
	/* The new ids cleared it (prctl(2)): the root still dies with its supervisor. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) || seccomp_lists(path))
		return -1;
	log_event("jail", "state", 's', "on", "path", 's', path == JAIL_DEPTH1 ? "depth1" : "layered",
		  "uid", 'u', (uint64_t)jail_cfg.uid, "gid", 'u', (uint64_t)jail_cfg.gid, "pid", 'u',
		  (uint64_t)getpid(), "pid_ns", 'u', (uint64_t)pidns.st_ino, NULL);
	selftest(JAIL_MAIN);
	return 0;
}

void jail_thread(enum jail_role role)
{
	struct sock_fprog prog = {.len = role_len[role], .filter = role_bpf[role]};
	sigset_t sys;

	if (jail_cfg.off || role == JAIL_MAIN)
		return;
	thread_role = role_names[role];
	/* A blocked SIGSYS still kills, but without the report (the watcher blocks all). */
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
	/* Set-up made it, so it cannot be missing; if the kernel refuses it, stop. */
	if (!prog.filter || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		log_err("jail: the %s thread's list: %s", thread_role, strerror(errno));
		_exit(1);
	}
	selftest(role);
}
