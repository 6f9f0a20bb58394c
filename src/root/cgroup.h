/* SPDX-License-Identifier: MIT */
/*
 * The root's own cgroup v2, for the operator's CPU and memory limits
 * ("limits" in the stack file, --cpus-limit, --memory-limit). See cgroup.c.
 */
#ifndef RAMPART_CGROUP_H
#define RAMPART_CGROUP_H

#include "root/config.h"

/*
 * With limits asked for: a cgroup of the root's own under the one it is in,
 * its cpu.max and memory.max written, this process moved in (every thread
 * and child it makes afterwards is born there). 0 (also when no limit is
 * asked: nothing is touched), or -1 with the reason logged.
 */
int cgroup_enter(const struct rp_limits *l);

/* The cgroup removed, this process moved back out first; a no-op without one. */
void cgroup_remove(void);

/*
 * The supervisor's, before its seccomp filter loads (jail_fork): opens the
 * parent cgroup's files cgroup_remove writes, so that removing needs no
 * open. Nothing when the root has no cgroup.
 */
void cgroup_hold(void);

#endif
