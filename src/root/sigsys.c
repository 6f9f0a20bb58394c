/* SPDX-License-Identifier: MIT */
/*
 * The report of a forbidden system call (sigsys.h).
 *
 * Invariants:
 *  1. sigsys_die is async-signal-safe: no stdio, no allocation, no lock;
 *     it reads only the name table, written before any filter loads;
 *  2. the line is bounded (SIGSYS_LINE_MAX) and ends the process, so a
 *     forbidden call never runs and never returns to its caller.
 */
#include <seccomp.h>
#include <unistd.h>

#include "root/sigsys.h"

/* System call numbers the report names; above it, "?". */
#define SIGSYS_NR_MAX 512u
/* One line: the caller's prefix, a call name, the tail (a thread's role). */
#define SIGSYS_LINE_MAX 192

static char *nr_names[SIGSYS_NR_MAX];

void sigsys_names(void)
{
	unsigned nr;

	for (nr = 0; nr < SIGSYS_NR_MAX; nr++)
		if (!nr_names[nr])
			nr_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)nr);
}

static size_t put(char *buf, size_t at, const char *s)
{
	while (*s && at < SIGSYS_LINE_MAX - 1)
		buf[at++] = *s++;
	return at;
}

static size_t put_num(char *buf, size_t at, unsigned v)
{
	char digits[12];
	int n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < (int)sizeof(digits));
	while (n && at < SIGSYS_LINE_MAX - 1)
		buf[at++] = digits[--n];
	return at;
}

void sigsys_die(const char *who, unsigned nr, const char *const *tail)
{
	char line[SIGSYS_LINE_MAX];
	size_t n = 0;

	n = put(line, n, who);
	n = put(line, n, "forbidden system call ");
	n = put(line, n, nr < SIGSYS_NR_MAX && nr_names[nr] ? nr_names[nr] : "?");
	n = put(line, n, " (nr ");
	n = put_num(line, n, nr);
	n = put(line, n, ")");
	while (tail && *tail)
		n = put(line, n, *tail++);
	line[n++] = '\n';
	if (write(2, line, n) < 0)
		n = 0;
	_exit(1);
}
