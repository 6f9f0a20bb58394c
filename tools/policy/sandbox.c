/* SPDX-License-Identifier: MIT */
/*
 * rampart-policy's own seccomp filter: once its files are open, the program
 * that parses rule text, policy blobs and pcaps from outside keeps only the
 * calls that reading, allocating and writing need.
 *
 * Invariants:
 *  1. policy_sandbox() runs before any byte of rule text, blob or pcap is
 *     parsed (main.c calls it after opening its inputs and outputs); it
 *     returns only with the filter loaded, else the program ends;
 *  2. after it, no file is opened, created, renamed or removed, no program
 *     run, no socket made, no process or thread started, no signal handler
 *     changed: the allow-list below names every call that remains (reading
 *     and writing open descriptors, closing them, the allocator's mmap,
 *     munmap, mremap, brk and madvise, mprotect and mmap never with
 *     PROT_EXEC, fstat, lseek, ioctl TCGETS for stdio's tty check,
 *     getrandom, futex, clock_gettime, sysinfo, the signal mask, exit);
 *  3. a forbidden call never runs: SIGSYS (SCMP_ACT_TRAP) writes one line
 *     naming it and ends the process with exit 1; another architecture's
 *     call kills the process (SCMP_ACT_KILL_PROCESS).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <seccomp.h>

#include "root/sigsys.h"
#include "sandbox.h"

/* Invariant 3: the report is async-signal-safe (root/sigsys.c). */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	static const char *const tail[] = {": killed", NULL};

	(void)sig;
	(void)uc;
	sigsys_die("rampart-policy: seccomp: ", (unsigned)si->si_syscall, tail);
}

static void fail(const char *what, int r)
{
	fprintf(stderr, "rampart-policy: seccomp: %s failed: %s\n", what, strerror(-r));
	exit(1);
}

void policy_sandbox(void)
{
	/* Invariant 2: the calls left once the files are open. */
	static const int plain[] = {
		SCMP_SYS(read), SCMP_SYS(readv), SCMP_SYS(pread64), SCMP_SYS(write),
		SCMP_SYS(writev), SCMP_SYS(close), SCMP_SYS(lseek), SCMP_SYS(fstat),
		SCMP_SYS(newfstatat), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk),
		SCMP_SYS(madvise), SCMP_SYS(getrandom), SCMP_SYS(futex), SCMP_SYS(clock_gettime),
		/* glibc's qsort asks for the physical memory's size before it
		 * sorts more than 1 KiB (a set of a few hundred elements):
		 * read-only, it tells the count of pages, load and uptime */
		SCMP_SYS(sysinfo),
		SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(exit),
		SCMP_SYS(exit_group),
	};
	/* spelled out: SCMP_A2() leaves datum_b to an implicit zero (clang warns) */
	const struct scmp_arg_cmp no_exec = {
		.arg = 2, .op = SCMP_CMP_MASKED_EQ, .datum_a = PROT_EXEC, .datum_b = 0,
	};
	const struct scmp_arg_cmp tcgets = {
		.arg = 1, .op = SCMP_CMP_EQ, .datum_a = TCGETS, .datum_b = 0,
	};
	struct sigaction sa;
	int r;

	sigsys_names();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL))
		fail("sigaction(SIGSYS)", -errno);
	/* seccomp without CAP_SYS_ADMIN needs it; it also keeps setuid programs out */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		fail("PR_SET_NO_NEW_PRIVS", -errno);

	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		fail("seccomp_init", -ENOMEM);
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	for (size_t i = 0; !r && i < sizeof(plain) / sizeof(plain[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, plain[i], 0);
	/* memory never made executable: the parsers run no code they build */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, no_exec);
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, no_exec);
	/* stdio asks whether stdout is a terminal before its first write */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, tcgets);
	if (r) {
		seccomp_release(ctx);
		fail("building the allow-list", r);
	}
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r)
		fail("seccomp_load", r);
	/* A check of the filter itself, never in normal use: the root runs this
	 * program with an empty environment. */
	if (getenv("RAMPART_POLICY_SELFTEST")) {
		int fd = open("/dev/null", O_RDONLY);
		fprintf(stderr, "rampart-policy: selftest: open after the filter returned %d\n", fd);
		exit(2);
	}
}
