/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_POLICY_SANDBOX_H
#define RAMPART_POLICY_SANDBOX_H

/* Loads rampart-policy's seccomp allow-list (sandbox.c): call once every
 * file is open and before anything read from them is parsed. Returns only
 * with the filter in place; otherwise prints why and exits 1. With
 * RAMPART_POLICY_SELFTEST in the environment it then tries open(2), which
 * the filter must stop. */
void policy_sandbox(void);

#endif
