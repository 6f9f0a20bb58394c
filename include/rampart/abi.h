/* SPDX-License-Identifier: MIT */
/*
 * The hypercall ABI: the one contract between the root and the layers.
 * docs/abi.md documents it field by field. Fixed-size types only, no
 * pointers: every address is a guest-physical address in the caller's own
 * memory, and every handle is a small integer that names one of the
 * caller's own children.
 *
 * Transport: a port-I/O doorbell (vmcall never reaches user space under
 * KVM). The caller puts the call number in eax, the arguments in rdi, rsi,
 * r8, r9, r10 and writes eax to port RP_HC_PORT:
 *
 *	mov $RP_HC_PORT, %dx
 *	out %eax, %dx
 *
 * The result comes back in rax: >= 0 on success, a negative RP_E* code on
 * refusal. Registers other than rax are preserved. The root reads and writes
 * them through KVM_CAP_SYNC_REGS: a call costs one exit and no extra ioctl.
 */
#ifndef RAMPART_ABI_H
#define RAMPART_ABI_H

#include <stdint.h>

#define RP_ABI_VERSION 3
#define RP_HC_PORT 0x0510

/* Call numbers (eax). */
enum rp_hc {
	RP_HC_VERSION = 0,     /* () -> RP_ABI_VERSION */
	RP_HC_VM_CREATE = 1,   /* (flags) -> vm handle */
	RP_HC_VM_MAP = 2,      /* (vm, child_gpa, my_gpa, size, rights) -> 0 */
	RP_HC_VCPU_CREATE = 3, /* (vm) -> vcpu handle */
	RP_HC_VCPU_SET = 4,    /* (vcpu, state_gpa) -> 0: load struct rp_vcpu_state */
	RP_HC_VCPU_GET = 5,    /* (vcpu, state_gpa) -> 0: store struct rp_vcpu_state */
	RP_HC_VCPU_RUN = 6,    /* (vcpu, exit_gpa, lines, levels, events) -> 0: runs until an
				* exit, in struct rp_exit; first sets the child's interrupt
				* lines in mask lines to their bits in levels (a child with
				* an irqchip) or posts events (a layer child) */
	RP_HC_IRQ_LINE = 7,    /* (vm, irq, level) -> 0 */
	RP_HC_VM_DESTROY = 8,  /* (vm) -> 0: the child and its whole subtree */
	RP_HC_WAIT = 9,        /* (timeout_ns) -> pending event bits (0 on timeout) */
	RP_HC_TIMER = 10,      /* (ns) -> 0: one RP_EV_TIMER event after ns; 0 cancels */
	RP_HC_LOG = 11,        /* (text_gpa, len) -> 0: one event line, stamped by the root */
	RP_HC_EXIT = 12,       /* (code) -> does not return: the layer is done */
	RP_HC_POST = 13,       /* (vm, events) -> 0: event bits for a layer child (RP_EV_NET) */
	RP_HC_ISR = 14,        /* (vm, mmio_base, isr_gpa, line) -> 0: the root answers the
				* child's InterruptStatus reads and InterruptACK writes of the
				* virtio-mmio window at mmio_base from the word at isr_gpa */
	RP_HC_MAP_INFO = 15,   /* (vm, sub, index, info_gpa) -> 0: map index of the child's own
				* child sub, as the root holds it, in struct rp_map_info */
	RP_HC_VCPU_CTL = 16,   /* (vm, vcpu, ctl_gpa) -> 0: the control state of vCPU vcpu (a
				* handle as the child vm holds it) of the child's own child, in
				* struct rp_vcpu_ctl */
	RP_HC_VCPU_START = 17, /* (vcpu) -> 0: vCPU vcpu of a child with an irqchip (a guest)
				* runs from now on on a thread of the root's own; each of its
				* exits completes the caller's pending RP_HC_VCPU_RUN of
				* another vCPU of that child, the record's vcpu naming it, and
				* the caller answers it with RP_HC_VCPU_RUN(vcpu, ...) */
	RP_HC_COUNT
};

/* Errors (negated in rax). */
enum rp_err {
	RP_EINVAL = 1,  /* bad argument: flags, rights, alignment, garbage call */
	RP_EBADH = 2,   /* the handle is not one of the caller's children */
	RP_ERANGE = 3,  /* an address range lies outside the caller's memory, or wraps */
	RP_EPERM = 4,   /* more rights than the caller holds (RW from RO) */
	RP_EQUOTA = 5,  /* too many VMs, vCPUs, maps, too much depth */
	RP_EBUSY = 6,   /* overlaps an existing map of the child */
	RP_ENOSYS = 7,  /* unknown call number */
	RP_EDEAD = 8,   /* the vCPU or VM was destroyed, or has crashed */
	RP_EFAULT = 9,  /* a struct the call names could not be read or written */
	RP_ENOMEM = 10, /* the root could not get the resources */
};

/* RP_HC_VM_CREATE flags. */
#define RP_VM_IRQCHIP (1u << 0) /* in-kernel IOAPIC, LAPIC and PIT: for an unmodified guest */

/* RP_HC_VM_MAP rights. */
#define RP_MAP_R (1u << 0)
#define RP_MAP_W (1u << 1)
#define RP_MAP_X (1u << 2)

/*
 * RP_HC_MAP_INFO: one map of a grandchild (the child sub of the caller's
 * child vm), from the root's own table, not from the child's word: where
 * the grandchild sees the bytes (child_gpa) and where they lie in the
 * caller's own memory (my_gpa), which holds them since every map is carved
 * out of its creator's. Read-only: it changes nothing.
 */
struct rp_map_info {
	uint64_t child_gpa; /* in the grandchild */
	uint64_t my_gpa;    /* in the caller */
	uint64_t size;
	uint32_t rights; /* RP_MAP_*, as the grandchild has them now */
	uint32_t flags;  /* RP_MAPINFO_* */
};
#define RP_MAPINFO_GUEST (1u << 0) /* the grandchild has an irqchip: an unmodified guest */

/* Quotas per caller (the root enforces them; docs/abi.md gives the reasons). */
#define RP_MAX_CHILDREN 16
#define RP_MAX_LINES 24 /* a child's interrupt lines (the in-kernel IOAPIC's pins) */
#define RP_MAX_ISR 8    /* RP_HC_ISR windows per child VM */
#define RP_MAX_VCPUS 8
#define RP_MAX_MAPS 16
#define RP_MAX_DEPTH 8
#define RP_MAX_LOG 512
#define RP_MAX_RESTARTS 3 /* per stack, under the restart policy; then it halts */

/* A segment as KVM describes it. */
struct rp_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint8_t type, present, dpl, db, s, l, g, avl;
	uint8_t pad[4];
};

struct rp_dtable {
	uint64_t base;
	uint16_t limit;
	uint8_t pad[6];
};

/* RP_HC_VCPU_SET / GET: the child's architectural state. */
struct rp_vcpu_state {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
	struct rp_segment cs, ds, es, fs, gs, ss, tr, ldt;
	struct rp_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, efer;
};

/*
 * RP_HC_VCPU_CTL: the control state of one vCPU of a grandchild, read by
 * the root from KVM (KVM_GET_SREGS, KVM_GET_MSRS), not from the child's
 * word: the descriptor tables, control registers and the system call
 * entry MSRs a rootkit (or a compromised vmm) would repoint. Read-only:
 * it changes nothing.
 */
struct rp_vcpu_ctl {
	struct rp_dtable gdt, idt;
	uint64_t cr0, cr3, cr4, efer;
	uint64_t lstar, cstar, star; /* MSRs 0xc0000082, 0xc0000083, 0xc0000081 */
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip; /* MSRs 0x174, 0x175, 0x176 */
	uint32_t flags; /* RP_VCPUCTL_* */
	uint32_t pad;
};
#define RP_VCPUCTL_GUEST (1u << 0) /* the grandchild has an irqchip: an unmodified guest */

/* Exit reasons in struct rp_exit. */
enum rp_exit_reason {
	RP_EXIT_IO = 1,       /* port I/O; for an IN, put the data in io.data before the next run */
	RP_EXIT_MMIO = 2,     /* MMIO; for a read, put the data in mmio.data */
	RP_EXIT_HALT = 3,     /* hlt with interrupts off */
	RP_EXIT_SHUTDOWN = 4, /* triple fault */
	RP_EXIT_FAULT = 5,    /* the child's ring-0 stub reported an exception */
	RP_EXIT_EVENT = 6,    /* something arrived for the caller (event bits) */
	RP_EXIT_DEAD = 7,     /* the child is gone (its own exit, or destroyed) */
};

/* Event bits (RP_EXIT_EVENT, RP_HC_WAIT). */
#define RP_EV_TIMER (1u << 0)
#define RP_EV_NET (1u << 1)   /* a device the caller's parent gives it has work (a frame) */
#define RP_EV_CHILD (1u << 2) /* reserved */
#define RP_EV_CHECK (1u << 3) /* the operator asks for a check now (SIGUSR1): a watch layer checks */

/* RP_HC_VCPU_RUN: written by the root; read back for IN and MMIO reads. */
struct rp_exit {
	uint32_t reason;
	uint32_t vcpu; /* 0: the vCPU RP_HC_VCPU_RUN ran; else the handle of a started one
			* (RP_HC_VCPU_START) whose exit this is */
	union {
		struct {
			uint16_t port;
			uint8_t size; /* 1, 2 or 4 */
			uint8_t out;  /* 1: the child wrote */
			uint32_t count;
			uint64_t data; /* first item */
		} io;
		struct {
			uint64_t addr;
			uint8_t data[8];
			uint32_t len;
			uint8_t is_write;
			uint8_t pad[3];
		} mmio;
		struct {
			uint64_t vector, error, addr;
		} fault;
		struct {
			uint64_t events;
		} event;
		struct {
			uint64_t code;
			uint64_t restart; /* 1: the root ended it for a violation; rebuild it */
		} dead;
		uint8_t raw[56];
	} u;
};

/*
 * How a layer starts (the same at every depth). Its image is an ELF64
 * executable whose PT_LOAD segments sit at their physical addresses in
 * [RP_IMAGE_BASE, mem_size); it is entered in 64-bit mode at CPL 3 at
 * e_entry with rdi = RP_BOOT_INFO_GPA and interrupts off; rsp is not set
 * (the image's start code loads its own stack). Port I/O is allowed (IOPL 3,
 * and a TSS I/O bitmap allowing every port) since every port exits; the control
 * state is fixed, and RP_HC_VCPU_SET sets no other for a layer child
 * (RP_EPERM). The page tables, GDT, TSS, IDT and the ring-0 fault
 * stub lie below RP_IMAGE_BASE and are not reachable from CPL 3. Memory from
 * free_start to mem_size is the layer's own, RW and not executable; the
 * memory of its children is carved out of it.
 */
#define RP_BOOT_INFO_GPA 0x1000
#define RP_IMAGE_BASE 0x200000 /* 2 MiB: the system area is below */
#define RP_BOOT_MAGIC 0x5452504d4152ULL /* "RAMPRT" */
#define RP_FAULT_PORT 0x0511 /* the ring-0 stub reports a vector here, then halts */

/*
 * The ports a stack's top writes to end the stack and to print, which each
 * layer forwards to its parent and the root's device below layer 1 handles.
 */
#define RP_PORT_POWEROFF 0x6f0 /* out, 32 bits: exit code; 0 powered off, 2 reset, 3 crashed */
#define RP_PORT_CONSOLE 0x6f4  /* out: one byte of the stack's console */
/*
 * The test ports (only the test builds, RP_TEST_BUILD: include/rampart/kinds.h):
 * what a spin guest talks to, answered by the root's test device or a test layer.
 */
#define RP_TPORT_DOORBELL 0x600 /* out: one per doorbell, value = index */
#define RP_TPORT_RESULT 0x604   /* out: the cpu mode's result */
#define RP_TPORT_ECHO_IN 0x608  /* in: the next word, 0 = the end */
#define RP_TPORT_ECHO_SUM 0x60c /* out: the sum of the words read */
#define RP_MAX_PAYLOAD 8

/*
 * Devices a layer's parent gives it: virtio-mmio register windows, one 4 KiB
 * page each from RP_DEV_BASE, mapped user RW and not executable at the same
 * virtual and physical address, and backed by no memory: every access exits
 * to the parent as MMIO, which completes it before the layer runs again
 * (layers take no interrupts: a driver polls). Always above mem_size.
 */
#define RP_DEV_BASE 0xd0000000ULL
#define RP_DEV_SIZE 0x1000ULL
#define RP_MAX_DEVS 4

/* The virtio device ids of struct rp_dev (the virtio spec's). */
#define RP_DEV_ID_NET 1
#define RP_DEV_ID_BLOCK 2
#define RP_DEV_ID_RNG 4

/* One device of struct rp_boot_info: a virtio device id (RP_DEV_ID_*) and its window. */
struct rp_dev {
	uint32_t id;
	uint32_t pad;
	uint64_t base; /* in [RP_DEV_BASE, RP_DEV_BASE + RP_MAX_DEVS * RP_DEV_SIZE), page aligned */
};

/* An image or blob the layer's creator placed in its memory for it. */
struct rp_blob {
	uint64_t gpa, size;
	char kind[16]; /* the personality of the layer this image starts */
};

struct rp_boot_info {
	uint64_t magic;
	uint32_t version; /* RP_ABI_VERSION */
	uint32_t depth;   /* 1: directly above the root */
	uint64_t mem_size;
	uint64_t free_start; /* first byte of free memory (page aligned) */
	uint64_t canary;     /* per-boot stack canary */
	char kind[16];       /* personality: "pass", "vmm", "test", ... NUL-terminated */
	uint32_t npayload;
	uint32_t restarts; /* times this layer was rebuilt after a violation */
	/* payload[0]: the child's image; the rest: what the child passes on. */
	struct rp_blob payload[RP_MAX_PAYLOAD];
	uint64_t args[8]; /* personality parameters */
	char cmdline[256];
	uint32_t ndevs; /* devs[0 .. ndevs): the devices the parent gives this layer */
	uint32_t tsc_khz; /* the TSC's rate in kHz (KVM_GET_TSC_KHZ); 0: unknown */
	struct rp_dev devs[RP_MAX_DEVS];
	uint32_t ncpus; /* the vCPUs of the guest at the top of the stack (0 or 1: one) */
	uint32_t pad;
};

#endif
