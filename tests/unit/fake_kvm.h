/* SPDX-License-Identifier: MIT */
/*
 * A fake KVM for the root's tree, seal and hypercall code (src/root/ln_*.c):
 * linked in place of src/root/kvm_ioctl.c, it answers kvm_ioctl from
 * memory. Every fd it hands out is a real memfd (a vCPU's is mmapped as
 * its kvm_run, and the root closes them), so the root runs unchanged.
 * Memory slots are checked as KVM checks them (alignment, overlap, a
 * delete of a slot that is not there), so the root's map tables can be
 * compared with what "KVM" holds (fk_slots).
 *
 * A started vCPU's thread calls ioctl(KVM_RUN) itself (src/root/ln_chain.c),
 * not kvm_ioctl: on a memfd that fails at once (ENOTTY, an exit). A vCPU
 * made busy (fk_busy) runs as a guest does instead: its KVM_RUN, through
 * the ioctl defined here, blocks until its immediate_exit is set, a signal
 * comes (EINTR) or the test gives it an exit (fk_exit). Every other ioctl
 * goes to the kernel as before.
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
	/* a busy vCPU (fk_busy): its kvm_run, the exit it is to return, and
	 * whether it is in KVM_RUN now (each read and written atomically) */
	struct kvm_run *run;
	uint32_t exit_next;
	int in_run;
};

/* The fake /dev/kvm; run_size is what KVM_GET_VCPU_MMAP_SIZE answers. */
int fk_open(unsigned run_size);
/* What the fake holds for fd, or NULL when it is not one of its open fds. */
struct fk_fd *fk_get(int fd);
/* How many of the fake's fds of kind k are open (a VM's and a vCPU's the root must close). */
unsigned fk_open_fds(enum fk_kind k);
/* vCPU fd (its kvm_run mapped at run) runs as a guest's vCPU does: see above. */
void fk_busy(int fd, struct kvm_run *run);
/* Busy vCPU fd's KVM_RUN returns with exit reason (a KVM_EXIT_*), now or at its next. */
void fk_exit(int fd, uint32_t reason);
/* Is busy vCPU fd inside KVM_RUN? */
bool fk_in_run(int fd);
/* The ioctls answered so far; after fk_fail_at of them, one fails (ENOMEM). */
extern uint64_t fk_calls, fk_fail_at;

#endif
