/* SPDX-License-Identifier: MIT */
/*
 * The one-line report of a system call a seccomp filter forbade (its
 * SCMP_ACT_TRAP delivers SIGSYS), shared by the root's jail and
 * rampart-policy's sandbox.
 */
#ifndef RAMPART_SIGSYS_H
#define RAMPART_SIGSYS_H

/* Resolves the call names the report gives; call it before the filter
 * loads, while libseccomp may still allocate. */
void sigsys_names(void);

/*
 * From a SIGSYS handler: writes "WHO forbidden system call NAME (nr N)"
 * and then each string of the NULL-ended list TAIL, a newline, to stderr,
 * and ends the process with exit 1. Async-signal-safe.
 */
__attribute__((noreturn)) void sigsys_die(const char *who, unsigned nr,
					  const char *const *tail);

#endif
