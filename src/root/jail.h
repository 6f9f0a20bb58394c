/* SPDX-License-Identifier: MIT */
/*
 * The root's jail: what a guest or a layer that took over the root would
 * still be held by. See jail.c for the invariants, docs/jail.md for the
 * system calls each thread may make.
 */
#ifndef RAMPART_JAIL_H
#define RAMPART_JAIL_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The jail's user and group when the operator names none (--jail-user): a
 * fixed id of its own, outside Debian's and systemd's system, user and
 * container ranges, so that no file, process or other service shares it.
 * Stacks started with the same id share RLIMIT_NPROC's count.
 */
#define JAIL_DEFAULT_ID 1879069264u /* 0x70005250 */

/* The two ways the root runs a stack; each has its own allow-list. */
enum jail_path {
	JAIL_DEPTH1,  /* a Linux guest on KVM: run.c, devices.c */
	JAIL_LAYERED, /* ring-3 layers: layer.c, ln_*.c */
};

/* The roles of the root's threads; each narrows the path's list to its own. */
enum jail_role {
	JAIL_MAIN,  /* the thread that set the stack up (the chain, or vCPU 0) */
	JAIL_VCPU,  /* depth 1: a vCPU thread */
	JAIL_IO,    /* depth 1: the virtio back-ends' I/O thread */
	JAIL_WATCH, /* layered: the tap watcher */
	JAIL_AP,    /* layered: a guest's vCPU above layers, on a thread of its own */
	JAIL_SUPERVISOR, /* the pid namespace's supervisor (--jail-selftest only) */
	JAIL_BADARCH,    /* --jail-selftest only: the main thread makes a call of the i386 ABI */
};

struct jail_config {
	bool off;      /* --no-jail: debugging only */
	uint32_t uid;  /* --jail-user UID[:GID] */
	uint32_t gid;
	/* --jail-selftest ROLE (tests only): that thread makes a forbidden call once jailed. */
	int selftest;  /* -1: none; else an enum jail_role */
};

void jail_defaults(struct jail_config *c);
/* "UID" or "UID:GID" (the gid then defaults to the uid); 0 or -1. */
int jail_parse_user(struct jail_config *c, const char *v);
/* "main", "vcpu", "io", "watch", "ap", "supervisor", "badarch": the role's number, or -1. */
int jail_parse_role(const char *v);
/*
 * Called by each thread once jailed (and by the supervisor): NULL in
 * rampart; the test build sets it to jail_selftest (jail_selftest.c), whose
 * --jail-selftest ROLE makes that thread's forbidden call.
 */
extern void (*jail_selftest_hook)(const struct jail_config *c, enum jail_role role);
void jail_selftest(const struct jail_config *c, enum jail_role role);
/* What the next jail_enter does; main.c calls it once, before any set-up. */
void jail_configure(const struct jail_config *c);

/*
 * The jail's pid namespace, entered before anything of the stack exists
 * (no thread, no KVM fd, no guest memory): this process forks; the child
 * returns 1 and is pid 1 of a new pid namespace; the parent supervises it
 * (forwards SIGINT, SIGTERM, SIGUSR1, SIGHUP, SIGQUIT), calls hold, loads
 * its own seccomp list, calls at_end once the child has ended, and exits
 * as it did: it never returns. 0 with --no-jail
 * (no fork), or when the namespace could not be made (jail_enter then
 * fails with the reason, where a jail without root fails); -1 when fork
 * failed (logged).
 */
int jail_fork(void (*hold)(void), void (*at_end)(void));

/*
 * Jail the root: called once per stack, after every fd is open and every
 * file read, before the first vCPU runs or any other thread exists. 0, or
 * -1 with the reason logged (the stack must then not start).
 */
int jail_enter(enum jail_path path);

/* First thing in each thread the root starts after jail_enter: its own, narrower list. */
void jail_thread(enum jail_role role);

#endif
