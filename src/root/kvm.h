/* SPDX-License-Identifier: MIT */
/*
 * The root's calls into KVM (kvm.c): every ioctl of the root but KVM_RUN
 * and the capability checks goes through kvm_ioctl (kvm_ioctl.c, alone in
 * its file, so that tests link a fake KVM in its place: tests/unit/fake_kvm.c).
 */
#ifndef RAMPART_KVM_H
#define RAMPART_KVM_H

#include <stdint.h>

#include "rampart/abi.h"

/*
 * ioctl(fd, req, arg), retried while a signal interrupts it (the chain's
 * timer, SIGALRM, fires at any time); never for KVM_RUN, whose EINTR is an
 * answer. On failure: -1 with errno as the kernel set it, and, when name
 * is given, one line naming the call and the reason. name NULL: the
 * failure is an answer the caller hands on or reports itself (a layer's
 * refused map or state is a return code to that layer, not a line in the
 * root's log, which a layer could otherwise fill at will: invariant 12).
 */
int kvm_ioctl(int fd, unsigned long req, void *arg, const char *name);

int kvm_set_cpuid(int kvm_fd, int vcpu_fd, unsigned id, unsigned ncpus);
int kvm_setup_irqchip(int vm_fd);
/* A vCPU's state as the ABI carries it; 0 or -1 (errno). */
int kvm_state_get(int fd, struct rp_vcpu_state *st);
int kvm_state_set(int fd, const struct rp_vcpu_state *st);
/* A vCPU's control state and system call MSRs (RP_HC_VCPU_CTL); 0 or -1 (errno). */
int kvm_ctl_get(int fd, struct rp_vcpu_ctl *c);
/* /dev/kvm opened read-write; -1 with one line telling the operator what to do. */
int kvm_open(void);

#endif
