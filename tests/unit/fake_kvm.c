/* SPDX-License-Identifier: MIT */
/*
 * The fake KVM (fake_kvm.h): kvm_ioctl for the tests, in place of the real
 * one (src/root/kvm_ioctl.c). A request it does not know, on an fd of the
 * wrong kind, fails as KVM would (ENOTTY, EBADF); a memory slot is
 * checked as kvm_set_memory_region checks it; a vCPU's registers and a
 * VM's interrupt lines are kept here.
 */
#include "fake_kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "root/kvm.h"

uint64_t fk_calls, fk_fail_at;
/* STAR, LSTAR, CSTAR, SYSENTER_CS, _ESP, _EIP: what RP_HC_VCPU_CTL reads. */
const uint32_t fk_msr_index[FK_MSRS] = {0xc0000081, 0xc0000082, 0xc0000083, 0x174, 0x175, 0x176};

static struct fk_fd fds[FK_MAX_FDS];
static unsigned fk_run_size;

/* The inode of fd's file, or 0 when fd is not open. */
static uint64_t ino_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (uint64_t)st.st_ino;
}

/* A new fd of kind k: a memfd of size bytes (a vCPU's kvm_run), its old state gone. */
static int fk_new(enum fk_kind k, size_t size)
{
	int fd = memfd_create("fake-kvm", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fd >= FK_MAX_FDS || (size && ftruncate(fd, (off_t)size) < 0)) {
		close(fd);
		errno = EMFILE;
		return -1;
	}
	free(fds[fd].slots);
	memset(&fds[fd], 0, sizeof(fds[fd]));
	fds[fd].kind = k;
	fds[fd].ino = ino_of(fd);
	if (k == FK_VM && !(fds[fd].slots = calloc(FK_MAX_SLOTS, sizeof(struct fk_slot)))) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	return fd;
}

struct fk_fd *fk_get(int fd)
{
	if (fd < 0 || fd >= FK_MAX_FDS || fds[fd].kind == FK_NONE || ino_of(fd) != fds[fd].ino)
		return NULL;
	return &fds[fd];
}

unsigned fk_open_fds(enum fk_kind k)
{
	unsigned n = 0;

	for (int fd = 0; fd < FK_MAX_FDS; fd++)
		n += fds[fd].kind == k && ino_of(fd) == fds[fd].ino;
	return n;
}

int fk_open(unsigned run_size)
{
	fk_run_size = run_size;
	return fk_new(FK_SYS, 0);
}

/* A vCPU as KVM creates it: the reset state (real mode at the reset vector). */
static void vcpu_reset(struct fk_fd *v)
{
	memset(&v->regs, 0, sizeof(v->regs));
	memset(&v->sregs, 0, sizeof(v->sregs));
	v->regs.rip = 0xfff0;
	v->regs.rflags = 2;
	v->sregs.cr0 = 0x60000010;
	v->sregs.cs = (struct kvm_segment){.base = 0xffff0000, .limit = 0xffff, .selector = 0xf000,
					   .type = 11, .present = 1, .s = 1};
	v->sregs.ss = (struct kvm_segment){.limit = 0xffff, .type = 3, .present = 1, .s = 1};
	v->sregs.ldt = (struct kvm_segment){.limit = 0xffff, .type = 2, .present = 1};
	v->sregs.tr = (struct kvm_segment){.limit = 0xffff, .type = 11, .present = 1};
	v->sregs.gdt.limit = v->sregs.idt.limit = 0xffff;
}

/* KVM_SET_USER_MEMORY_REGION as kvm_set_memory_region checks it. */
static int set_region(struct fk_fd *vm, const struct kvm_userspace_memory_region *mr)
{
	struct fk_slot *s;
	uint64_t end;

	if (mr->slot >= FK_MAX_SLOTS || (mr->flags & ~(uint32_t)KVM_MEM_READONLY) ||
	    (mr->guest_phys_addr | mr->memory_size | mr->userspace_addr) & 0xfff ||
	    __builtin_add_overflow(mr->guest_phys_addr, mr->memory_size, &end))
		return -EINVAL;
	s = &vm->slots[mr->slot];
	if (!mr->memory_size) {
		if (!s->used)
			return -EINVAL;
		s->used = false;
		return 0;
	}
	if (s->used) /* KVM would move it or change its flags: the root never asks that */
		return -EINVAL;
	for (unsigned i = 0; i < FK_MAX_SLOTS; i++)
		if (vm->slots[i].used && mr->guest_phys_addr < vm->slots[i].gpa + vm->slots[i].size &&
		    vm->slots[i].gpa < end)
			return -EEXIST;
	*s = (struct fk_slot){.used = true,
			      .flags = mr->flags,
			      .gpa = mr->guest_phys_addr,
			      .size = mr->memory_size,
			      .host = mr->userspace_addr};
	return 0;
}

/* KVM_GET_MSRS as KVM answers it: how many it read, stopping at one it lacks. */
static int get_msrs(struct fk_fd *v, struct kvm_msrs *m)
{
	uint32_t i;

	for (i = 0; i < m->nmsrs; i++) {
		unsigned k = 0;

		while (k < FK_MSRS && fk_msr_index[k] != m->entries[i].index)
			k++;
		if (k == FK_MSRS)
			break;
		m->entries[i].data = v->msrs[k];
	}
	return (int)i;
}

static int answer(int fd, struct fk_fd *f, unsigned long req, void *arg)
{
	int r;

	switch (req) {
	case KVM_GET_VCPU_MMAP_SIZE:
		return f->kind == FK_SYS ? (int)fk_run_size : -ENOTTY;
	case KVM_CHECK_EXTENSION:
		return 0;
	case KVM_CREATE_VM:
		if (f->kind != FK_SYS)
			return -ENOTTY;
		r = fk_new(FK_VM, 0);
		return r < 0 ? -errno : r;
	case KVM_GET_SUPPORTED_CPUID:
		if (f->kind != FK_SYS)
			return -ENOTTY;
		((struct kvm_cpuid2 *)arg)->nent = 0;
		return 0;
	case KVM_CREATE_VCPU:
		if (f->kind != FK_VM)
			return -ENOTTY;
		/* as KVM: an id once made is taken, its fd closed or not */
		if ((uintptr_t)arg >= 64 || (f->vcpu_ids & (1ULL << (uintptr_t)arg)))
			return -EEXIST;
		r = fk_new(FK_VCPU, fk_run_size);
		if (r < 0)
			return -errno;
		fds[fd].vcpu_ids |= 1ULL << (uintptr_t)arg;
		fds[r].vm = fd;
		vcpu_reset(&fds[r]);
		return r;
	case KVM_SET_USER_MEMORY_REGION:
		return f->kind == FK_VM ? set_region(f, arg) : -ENOTTY;
	case KVM_CREATE_IRQCHIP:
		if (f->kind != FK_VM)
			return -ENOTTY;
		if (f->irqchip)
			return -EEXIST;
		f->irqchip = true;
		return 0;
	case KVM_CREATE_PIT2:
	case KVM_SET_TSS_ADDR:
	case KVM_SET_IDENTITY_MAP_ADDR:
		return f->kind == FK_VM ? 0 : -ENOTTY;
	case KVM_IRQ_LINE: {
		const struct kvm_irq_level *l = arg;

		if (f->kind != FK_VM)
			return -ENOTTY;
		if (!f->irqchip)
			return -ENXIO;
		if (l->irq >= 24)
			return -EINVAL;
		f->levels = (f->levels & ~(1u << l->irq)) | (uint32_t)(l->level != 0) << l->irq;
		return 0;
	}
	case KVM_SET_CPUID2:
		return f->kind == FK_VCPU ? 0 : -ENOTTY;
	case KVM_GET_MSRS:
		return f->kind == FK_VCPU ? get_msrs(f, arg) : -ENOTTY;
	case KVM_GET_REGS:
	case KVM_SET_REGS:
	case KVM_GET_SREGS:
	case KVM_SET_SREGS:
		if (f->kind != FK_VCPU)
			return -ENOTTY;
		if (req == KVM_GET_REGS)
			memcpy(arg, &f->regs, sizeof(f->regs));
		else if (req == KVM_SET_REGS)
			memcpy(&f->regs, arg, sizeof(f->regs));
		else if (req == KVM_GET_SREGS)
			memcpy(arg, &f->sregs, sizeof(f->sregs));
		else
			memcpy(&f->sregs, arg, sizeof(f->sregs));
		return 0;
	}
	return -ENOTTY;
}

int kvm_ioctl(int fd, unsigned long req, void *arg, const char *name)
{
	struct fk_fd *f = fk_get(fd);
	int r;

	(void)name;
	if (++fk_calls == fk_fail_at) {
		errno = ENOMEM;
		return -1;
	}
	if (!f) {
		errno = EBADF;
		return -1;
	}
	r = answer(fd, f, req, arg);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

/* ---- busy vCPUs: a KVM_RUN that blocks as a guest's does ------------------------ */

/* How often a busy KVM_RUN looks at immediate_exit and its exit (a guest's
 * vCPU sees immediate_exit only at its next entry; this is a bound). */
#define FK_BUSY_POLL_NS 200000L

void fk_busy(int fd, struct kvm_run *run)
{
	struct fk_fd *k = fk_get(fd);

	if (k && k->kind == FK_VCPU)
		__atomic_store_n(&k->run, run, __ATOMIC_SEQ_CST);
}

void fk_exit(int fd, uint32_t reason)
{
	struct fk_fd *k = fk_get(fd);

	if (k)
		__atomic_store_n(&k->exit_next, reason, __ATOMIC_SEQ_CST);
}

bool fk_in_run(int fd)
{
	struct fk_fd *k = fk_get(fd);

	return k && __atomic_load_n(&k->in_run, __ATOMIC_SEQ_CST);
}

/* KVM_RUN of busy vCPU k: -1 EINTR on immediate_exit or a signal, 0 with an exit. */
static int busy_run(struct fk_fd *k, struct kvm_run *run)
{
	const struct timespec t = {0, FK_BUSY_POLL_NS};
	uint32_t reason;
	int ret = -1;

	__atomic_store_n(&k->in_run, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		if (__atomic_load_n(&run->immediate_exit, __ATOMIC_SEQ_CST)) {
			errno = EINTR;
			break;
		}
		reason = __atomic_exchange_n(&k->exit_next, 0, __ATOMIC_SEQ_CST);
		if (reason) {
			run->exit_reason = reason;
			ret = 0;
			break;
		}
		if (nanosleep(&t, NULL) < 0 && errno == EINTR)
			break;
	}
	__atomic_store_n(&k->in_run, 0, __ATOMIC_SEQ_CST);
	return ret;
}

/* The root's own ioctl calls (a started vCPU's KVM_RUN): a busy vCPU's here, the rest to the kernel. */
int ioctl(int fd, unsigned long req, ...)
{
	struct kvm_run *run;
	struct fk_fd *k;
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == KVM_RUN && (k = fk_get(fd)) && (run = __atomic_load_n(&k->run, __ATOMIC_SEQ_CST)))
		return busy_run(k, run);
	return (int)syscall(SYS_ioctl, fd, req, arg);
}
