/* SPDX-License-Identifier: MIT */
/*
 * A fake KVM for the root's tree, seal and hypercall code (src/root/ln_*.c):
 * linked in place of src/root/kvm_ioctl.c, it answers kvm_ioctl from
 * memory. Every fd it hands out is a real memfd (a vCPU's is mmapped as
 * its kvm_run, and the root closes them), so the root runs unchanged.
 * Memory slots are checked as KVM checks them (alignment, overlap, a
 * delete of a slot that is not there), so the root's map tables can be
 * compared with what "KVM" holds (fk_slots).
 */
#ifndef RAMPART_FAKE_KVM_H
#define RAMPART_FAKE_KVM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#define FK_MAX_FDS 4096  /* fds the fake tracks (a stack holds < 256) */
#define FK_MAX_SLOTS 512 /* KVM's KVM_USER_MEM_SLOTS on x86 is 509 (+3 private) */

struct fk_slot {
	bool used;
	uint32_t flags;
	uint64_t gpa, size, host;
};

/* The MSRs a fake vCPU holds, and their indices (fk_msr_index). */
#define FK_MSRS 6
extern const uint32_t fk_msr_index[FK_MSRS];

enum fk_kind { FK_NONE, FK_SYS, FK_VM, FK_VCPU };

struct fk_fd {
	enum fk_kind kind;
	uint64_t ino; /* its memfd's: the fd number may be another file's once closed */
	int vm;       /* a vCPU's VM */
	bool irqchip; /* a VM's in-kernel irqchip */
	uint32_t levels; /* a VM's IRQ lines as last set */
	uint64_t vcpu_ids; /* a VM's vCPU ids made (below 64): KVM keeps each until the VM goes */
	struct fk_slot *slots; /* a VM's, FK_MAX_SLOTS */
	struct kvm_regs regs;  /* a vCPU's */
	struct kvm_sregs sregs;
	/* a vCPU's MSRs the fake knows (KVM_GET_MSRS stops at any other) */
	uint64_t msrs[FK_MSRS];
};

/* The fake /dev/kvm; run_size is what KVM_GET_VCPU_MMAP_SIZE answers. */
int fk_open(unsigned run_size);
/* What the fake holds for fd, or NULL when it is not one of its open fds. */
struct fk_fd *fk_get(int fd);
/* How many of the fake's fds of kind k are open (a VM's and a vCPU's the root must close). */
unsigned fk_open_fds(enum fk_kind k);
/* The ioctls answered so far; after fk_fail_at of them, one fails (ENOMEM). */
extern uint64_t fk_calls, fk_fail_at;

#endif
