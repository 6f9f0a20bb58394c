/* SPDX-License-Identifier: MIT */
/*
 * Creating and loading the guest VM on KVM. Every ioctl but the checks of
 * what /dev/kvm offers goes through kvm_ioctl() (kvm.h), so a failure
 * names the call and the reason.
 */
#include "root/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/rt.h"
#include "root/log.h"

/* Below the IOAPIC and out of every RAM region; Intel needs both. */
#define KVM_TSS_ADDR 0xfffbd000ULL
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ULL
#define CPUID_MAX_ENTRIES 256

int kvm_open(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
		log_err("/dev/kvm: no such device (load kvm_intel or kvm_amd, or run on a host "
			"with virtualization; `rampart check` checks a stack without KVM)");
	else if (errno == EACCES || errno == EPERM)
		log_err("/dev/kvm: permission denied (run as root or join the kvm group)");
	else
		log_err("/dev/kvm: %s", strerror(errno));
	return -1;
}

static int kvm_check(int kvm)
{
	static const struct {
		int cap;
		const char *name;
	} need[] = {
		{KVM_CAP_IRQCHIP, "IRQCHIP"},
		{KVM_CAP_USER_MEMORY, "USER_MEMORY"},
		{KVM_CAP_PIT2, "PIT2"},
		{KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT"},
		{KVM_CAP_EXT_CPUID, "EXT_CPUID"},
	};
	unsigned i;
	int v = ioctl(kvm, KVM_GET_API_VERSION, 0);

	if (v != KVM_API_VERSION) {
		log_err("/dev/kvm: API version %d, need %d", v, KVM_API_VERSION);
		return -1;
	}
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (ioctl(kvm, KVM_CHECK_EXTENSION, need[i].cap) <= 0) {
			log_err("/dev/kvm: lacks KVM_CAP_%s", need[i].name);
			return -1;
		}
	return 0;
}

void *vm_gpa_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
	struct rp_vm *vm = ctx;
	uint64_t host_off = 0;
	unsigned i;

	for (i = 0; i < vm->nregions; i++) {
		const struct boot_region *r = &vm->regions[i];

		if (gpa >= r->gpa && rt_range_ok(gpa - r->gpa, len, r->size))
			return vm->ram + host_off + (gpa - r->gpa);
		host_off += r->size;
	}
	return NULL;
}

/* vio_host.gpa_ptr: a guest's RAM is read-write to it, every region (setup_memory). */
static void *vm_dev_ptr(void *ctx, uint64_t gpa, uint64_t len, bool write)
{
	(void)write;
	return vm_gpa_ptr(ctx, gpa, len);
}

void vm_set_irq(void *ctx, unsigned irq, int level)
{
	struct rp_vm *vm = ctx;
	struct kvm_irq_level l = {.irq = irq, .level = level ? 1 : 0};

	if (irq > BOOT_MAX_GSI)
		return;
	pthread_mutex_lock(&vm->irq_lock);
	if (vm->irq_level[irq] != l.level) {
		vm->irq_level[irq] = (uint8_t)l.level;
		kvm_ioctl(vm->vm_fd, KVM_IRQ_LINE, &l, "KVM_IRQ_LINE");
	}
	pthread_mutex_unlock(&vm->irq_lock);
}

void vm_end(struct rp_vm *vm, enum rp_outcome how, const char *fmt, ...)
{
	va_list ap;
	unsigned i;

	if (__sync_bool_compare_and_swap(&vm->outcome, RP_RUNNING, how)) {
		va_start(ap, fmt);
		vsnprintf(vm->why, sizeof(vm->why), fmt, ap);
		va_end(ap);
	}
	/* Kick every vCPU out of KVM_RUN; run.c's signal handler does the rest. */
	for (i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i].run) {
			vm->vcpus[i].run->immediate_exit = 1;
			if (vm->vcpus[i].thread && !pthread_equal(vm->vcpus[i].thread, pthread_self()))
				pthread_kill(vm->vcpus[i].thread, SIGUSR1);
		}
}

static int setup_memory(struct rp_vm *vm)
{
	uint64_t host_off = 0;
	unsigned i;

	vm->mem = vm->cfg->mem;
	vm->nregions = boot_ram_regions(vm->mem, vm->regions);
	vm->ram = mmap(NULL, vm->mem, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		log_err("guest memory of %llu MiB: %s", (unsigned long long)(vm->mem >> 20),
			strerror(errno));
		return -1;
	}
	madvise(vm->ram, vm->mem, MADV_HUGEPAGE);
	for (i = 0; i < vm->nregions; i++) {
		struct kvm_userspace_memory_region r = {
			.slot = i,
			.guest_phys_addr = vm->regions[i].gpa,
			.memory_size = vm->regions[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)(vm->ram + host_off),
		};

		if (kvm_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r,
			      "KVM_SET_USER_MEMORY_REGION"))
			return -1;
		host_off += vm->regions[i].size;
	}
	return 0;
}

/* What the host supports, with this vCPU's APIC ID and the hypervisor bit. */
int kvm_set_cpuid(int kvm_fd, int vcpu_fd, unsigned id, unsigned ncpus)
{
	struct kvm_cpuid2 *c;
	unsigned i;
	int r = -1;

	c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
	if (!c)
		return -1;
	c->nent = CPUID_MAX_ENTRIES;
	if (kvm_ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c, "KVM_GET_SUPPORTED_CPUID") < 0)
		goto out;
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0x0000ffff) | (ncpus << 16) | (id << 24);
			e->ecx |= 1u << 31; /* running under a hypervisor */
			break;
		case 0xb:
		case 0x1f:
			e->edx = id; /* x2APIC ID */
			break;
		}
	}
	r = kvm_ioctl(vcpu_fd, KVM_SET_CPUID2, c, "KVM_SET_CPUID2");
out:
	free(c);
	return r < 0 ? -1 : 0;
}

/* In-kernel interrupt controllers and PIT, for an unmodified guest. */
int kvm_setup_irqchip(int vm_fd)
{
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	uint64_t idmap = KVM_IDENTITY_MAP_ADDR;

	if (ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0) {
		if (kvm_ioctl(vm_fd, KVM_SET_TSS_ADDR, (void *)(uintptr_t)KVM_TSS_ADDR,
			     "KVM_SET_TSS_ADDR") < 0)
			return -1;
	}
	if (ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0)
		kvm_ioctl(vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap, "KVM_SET_IDENTITY_MAP_ADDR");
	if (kvm_ioctl(vm_fd, KVM_CREATE_IRQCHIP, NULL, "KVM_CREATE_IRQCHIP") < 0)
		return -1;
	if (kvm_ioctl(vm_fd, KVM_CREATE_PIT2, &pit, "KVM_CREATE_PIT2") < 0)
		return -1;
	return 0;
}

static int create_vcpu(struct rp_vm *vm, unsigned id)
{
	struct rp_vcpu *cpu = &vm->vcpus[id];
	int size;

	cpu->vm = vm;
	cpu->id = id;
	cpu->fd = kvm_ioctl(vm->vm_fd, KVM_CREATE_VCPU, (void *)(uintptr_t)id,
			    "KVM_CREATE_VCPU");
	if (cpu->fd < 0)
		return -1;
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0) {
		log_err("KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
		return -1;
	}
	cpu->run_size = (size_t)size;
	cpu->run = mmap(NULL, cpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu->fd, 0);
	if (cpu->run == MAP_FAILED) {
		cpu->run = NULL;
		log_err("mmap of vCPU %u's kvm_run: %s", id, strerror(errno));
		return -1;
	}
	return kvm_set_cpuid(vm->kvm_fd, cpu->fd, cpu->id, vm->ncpus);
}

int vm_create(struct rp_vm *vm, const struct rp_config *cfg)
{
	unsigned i;

	vm->cfg = cfg;
	vm->outcome = RP_RUNNING;
	vm->vm_fd = -1;
	pthread_mutex_init(&vm->irq_lock, NULL);
	vm->host.ctx = vm;
	vm->host.gpa_ptr = vm_dev_ptr;
	vm->host.set_irq = vm_set_irq;
	vm->kvm_fd = kvm_open();
	if (vm->kvm_fd < 0 || kvm_check(vm->kvm_fd))
		return -1;
	vm->vm_fd = kvm_ioctl(vm->kvm_fd, KVM_CREATE_VM, 0, "KVM_CREATE_VM");
	if (vm->vm_fd < 0)
		return -1;
	if (setup_memory(vm) || kvm_setup_irqchip(vm->vm_fd))
		return -1;
	vm->ncpus = cfg->cpus;
	for (i = 0; i < vm->ncpus; i++)
		if (create_vcpu(vm, i))
			return -1;
	return 0;
}

/* ---- vCPU state: struct rp_vcpu_state <-> KVM (for the root and for layers) -- */

static void seg_in(struct kvm_segment *k, const struct rp_segment *s)
{
	memset(k, 0, sizeof(*k));
	k->base = s->base;
	k->limit = s->limit;
	k->selector = s->selector;
	k->type = s->type;
	k->present = s->present;
	k->dpl = s->dpl;
	k->db = s->db;
	k->s = s->s;
	k->l = s->l;
	k->g = s->g;
	k->avl = s->avl;
	k->unusable = !s->present;
}

static void seg_out(struct rp_segment *s, const struct kvm_segment *k)
{
	memset(s, 0, sizeof(*s));
	s->base = k->base;
	s->limit = k->limit;
	s->selector = k->selector;
	s->type = k->type;
	s->present = k->present;
	s->dpl = k->dpl;
	s->db = k->db;
	s->s = k->s;
	s->l = k->l;
	s->g = k->g;
	s->avl = k->avl;
}

int kvm_state_set(int fd, const struct rp_vcpu_state *st)
{
	struct kvm_regs regs = {
		.rax = st->rax, .rbx = st->rbx, .rcx = st->rcx, .rdx = st->rdx,
		.rsi = st->rsi, .rdi = st->rdi, .rsp = st->rsp, .rbp = st->rbp,
		.r8 = st->r8, .r9 = st->r9, .r10 = st->r10, .r11 = st->r11,
		.r12 = st->r12, .r13 = st->r13, .r14 = st->r14, .r15 = st->r15,
		.rip = st->rip, .rflags = st->rflags | 2,
	};
	struct kvm_sregs sregs;

	if (kvm_ioctl(fd, KVM_GET_SREGS, &sregs, NULL) < 0)
		return -1;
	seg_in(&sregs.cs, &st->cs);
	seg_in(&sregs.ds, &st->ds);
	seg_in(&sregs.es, &st->es);
	seg_in(&sregs.fs, &st->fs);
	seg_in(&sregs.gs, &st->gs);
	seg_in(&sregs.ss, &st->ss);
	seg_in(&sregs.tr, &st->tr);
	seg_in(&sregs.ldt, &st->ldt);
	sregs.gdt.base = st->gdt.base;
	sregs.gdt.limit = st->gdt.limit;
	sregs.idt.base = st->idt.base;
	sregs.idt.limit = st->idt.limit;
	sregs.cr0 = st->cr0;
	sregs.cr2 = st->cr2;
	sregs.cr3 = st->cr3;
	sregs.cr4 = st->cr4;
	sregs.efer = st->efer;
	/* KVM checks the architectural consistency and refuses what is not. */
	if (kvm_ioctl(fd, KVM_SET_SREGS, &sregs, NULL) < 0 ||
	    kvm_ioctl(fd, KVM_SET_REGS, &regs, NULL) < 0)
		return -1;
	return 0;
}

int kvm_state_get(int fd, struct rp_vcpu_state *st)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (kvm_ioctl(fd, KVM_GET_REGS, &regs, NULL) < 0 ||
	    kvm_ioctl(fd, KVM_GET_SREGS, &sregs, NULL) < 0)
		return -1;
	memset(st, 0, sizeof(*st));
	st->rax = regs.rax, st->rbx = regs.rbx, st->rcx = regs.rcx, st->rdx = regs.rdx;
	st->rsi = regs.rsi, st->rdi = regs.rdi, st->rsp = regs.rsp, st->rbp = regs.rbp;
	st->r8 = regs.r8, st->r9 = regs.r9, st->r10 = regs.r10, st->r11 = regs.r11;
	st->r12 = regs.r12, st->r13 = regs.r13, st->r14 = regs.r14, st->r15 = regs.r15;
	st->rip = regs.rip, st->rflags = regs.rflags;
	seg_out(&st->cs, &sregs.cs);
	seg_out(&st->ds, &sregs.ds);
	seg_out(&st->es, &sregs.es);
	seg_out(&st->fs, &sregs.fs);
	seg_out(&st->gs, &sregs.gs);
	seg_out(&st->ss, &sregs.ss);
	seg_out(&st->tr, &sregs.tr);
	seg_out(&st->ldt, &sregs.ldt);
	st->gdt.base = sregs.gdt.base, st->gdt.limit = sregs.gdt.limit;
	st->idt.base = sregs.idt.base, st->idt.limit = sregs.idt.limit;
	st->cr0 = sregs.cr0, st->cr2 = sregs.cr2, st->cr3 = sregs.cr3, st->cr4 = sregs.cr4;
	st->efer = sregs.efer;
	return 0;
}

/* The MSRs RP_HC_VCPU_CTL reports, in struct rp_vcpu_ctl's order. */
static const uint32_t ctl_msrs[] = {
	0xc0000082, /* MSR_LSTAR */
	0xc0000083, /* MSR_CSTAR */
	0xc0000081, /* MSR_STAR */
	0x174,	    /* MSR_IA32_SYSENTER_CS */
	0x175,	    /* MSR_IA32_SYSENTER_ESP */
	0x176,	    /* MSR_IA32_SYSENTER_EIP */
};
#define CTL_MSRS (sizeof(ctl_msrs) / sizeof(ctl_msrs[0]))

int kvm_ctl_get(int fd, struct rp_vcpu_ctl *c)
{
	struct kvm_sregs sregs;
	/* struct kvm_msrs and its entries: 8 + 16 bytes each, 8-byte aligned */
	uint64_t buf[(sizeof(struct kvm_msrs) + CTL_MSRS * sizeof(struct kvm_msr_entry)) / 8];
	struct kvm_msrs *m = (struct kvm_msrs *)(void *)buf;
	uint64_t *out[CTL_MSRS] = {&c->lstar,	    &c->cstar,	      &c->star,
				   &c->sysenter_cs, &c->sysenter_esp, &c->sysenter_eip};
	int r;

	memset(buf, 0, sizeof(buf));
	m->nmsrs = CTL_MSRS;
	for (unsigned i = 0; i < CTL_MSRS; i++)
		m->entries[i].index = ctl_msrs[i];
	if (kvm_ioctl(fd, KVM_GET_SREGS, &sregs, NULL) < 0)
		return -1;
	/* KVM_GET_MSRS answers how many it read: all, or it stopped at one it lacks. */
	r = kvm_ioctl(fd, KVM_GET_MSRS, m, NULL);
	if (r < 0)
		return -1;
	if ((unsigned)r != CTL_MSRS) {
		errno = EINVAL;
		return -1;
	}
	memset(c, 0, sizeof(*c));
	c->gdt.base = sregs.gdt.base, c->gdt.limit = sregs.gdt.limit;
	c->idt.base = sregs.idt.base, c->idt.limit = sregs.idt.limit;
	c->cr0 = sregs.cr0, c->cr3 = sregs.cr3, c->cr4 = sregs.cr4, c->efer = sregs.efer;
	for (unsigned i = 0; i < CTL_MSRS; i++)
		*out[i] = m->entries[i].data;
	return 0;
}

/* The boot CPU enters Linux's 64-bit entry; the others wait for INIT/SIPI. */
static int set_boot_regs(struct rp_vcpu *cpu, const struct boot_entry *e)
{
	struct rp_vcpu_state st;

	if (kvm_state_get(cpu->fd, &st)) {
		log_err("vCPU %u: reading its reset state: %s", cpu->id, strerror(errno));
		return -1;
	}
	boot_entry_state(e, &st);
	if (kvm_state_set(cpu->fd, &st)) {
		log_err("vCPU %u: setting the entry state: %s", cpu->id, strerror(errno));
		return -1;
	}
	return 0;
}

int vm_load_linux(struct rp_vm *vm, const void *kernel, uint64_t kernel_size, const void *initrd,
		  uint64_t initrd_size)
{
	struct boot_device devs[RP_MAX_VDEVS];
	struct boot_mem m = {.ctx = vm, .gpa_ptr = vm_gpa_ptr};
	struct boot_config bc = {
		.mem = vm->mem,
		.ncpus = vm->ncpus,
		.kernel = kernel,
		.kernel_size = kernel_size,
		.initrd = initrd,
		.initrd_size = initrd_size,
		.cmdline = vm->cfg->cmdline,
		.devs = devs,
		.ndevs = vm->nvdevs,
	};
	struct boot_entry e;
	const char *why = "?";
	unsigned i;

	for (i = 0; i < vm->nvdevs; i++) {
		devs[i].base = vm->vdevs[i].base;
		devs[i].gsi = vm->vdevs[i].dev->irq;
	}
	if (boot_linux(&m, &bc, &e, &why)) {
		log_err("kernel %s: %s", vm->cfg->kernel, why);
		return -1;
	}
	return set_boot_regs(&vm->vcpus[0], &e);
}

void vm_destroy(struct rp_vm *vm)
{
	unsigned i;

	for (i = 0; i < vm->ncpus; i++) {
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, vm->vcpus[i].run_size);
		if (vm->vcpus[i].fd > 0)
			close(vm->vcpus[i].fd);
	}
	if (vm->ram)
		munmap(vm->ram, vm->mem);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
}
