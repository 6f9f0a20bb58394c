/* SPDX-License-Identifier: MIT */
/*
 * The Linux loader: bzImage parsing, the 64-bit boot protocol (boot params,
 * command line, e820), the page tables and GDT for a 64-bit entry, and the
 * ACPI tables (RSDP, XSDT, FADT, MADT, DSDT) that describe the virtio-mmio
 * devices, the interrupt controllers and the power-off and reset registers.
 *
 * Freestanding: the root uses it for a guest at depth 1, the vmm layer for a
 * guest above it. The kernel image and command line are hostile input here
 * (they come from the operator or, in a layer, from its parent): every
 * field is checked against the image size and the guest memory.
 */
#ifndef RAMPART_BOOT_H
#define RAMPART_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "rampart/abi.h"

/* Guest-physical map. RAM is [0, min(mem, BOOT_HOLE_START)) and, for a
 * larger guest, [4 GiB, 4 GiB + rest); the hole holds the devices. */
#define BOOT_HOLE_START 0xc0000000ULL
#define BOOT_HOLE_END 0x100000000ULL
#define BOOT_MMIO_BASE 0xd0000000ULL /* first virtio-mmio window */
#define BOOT_MMIO_STRIDE 0x1000ULL
#define BOOT_IOAPIC_BASE 0xfec00000ULL
#define BOOT_LAPIC_BASE 0xfee00000ULL
#define BOOT_FIRST_GSI 16 /* virtio-mmio interrupts: GSI 16, 17, ... */
#define BOOT_MAX_GSI 23   /* the in-kernel IOAPIC has 24 pins */

/* Port I/O registers the ACPI tables point the guest at. */
#define BOOT_SLEEP_PORT 0x600 /* FADT SLEEP_CONTROL_REG, 1 byte */
#define BOOT_SLEEP_TYP_S5 5   /* _S5 value: write (5 << 2) | 0x20 = power off */
#define BOOT_RESET_PORT 0x604 /* FADT RESET_REG, 1 byte */
#define BOOT_RESET_VALUE 1

/* Smallest guest the loader accepts: the kernel wants ~51 MiB above 16 MiB. */
#define BOOT_MIN_MEM (96ULL << 20)
#define BOOT_MAX_MEM (64ULL << 30)
#define BOOT_MAX_CMDLINE 2048 /* includes the NUL */
#define BOOT_MAX_DEVICES (BOOT_MAX_GSI - BOOT_FIRST_GSI + 1)
#define BOOT_MAX_CPUS 8

/* Where the loader writes its own structures (all below 1 MiB). */
#define BOOT_GDT_ADDR 0x500
#define BOOT_PARAMS_ADDR 0x7000
#define BOOT_PML4_ADDR 0x9000 /* then PDPT and four PDs: identity 0..4 GiB */
#define BOOT_CMDLINE_ADDR 0x20000
#define BOOT_STACK_TOP 0x8ff0
#define BOOT_ACPI_ADDR 0xe0000 /* RSDP here, the other tables after it */
#define BOOT_ACPI_SIZE 0x10000

/* Guest memory as the loader reaches it (same rule as vio_host.gpa_ptr). */
struct boot_mem {
	void *ctx;
	void *(*gpa_ptr)(void *ctx, uint64_t gpa, uint64_t len);
};

/* A RAM range of the guest-physical map. */
struct boot_region {
	uint64_t gpa, size;
};

/* RAM regions for a guest of mem bytes; returns how many (1 or 2). */
unsigned boot_ram_regions(uint64_t mem, struct boot_region out[2]);

/* What boot_parse learnt from a bzImage, every field checked. */
struct boot_kernel {
	uint16_t version;       /* boot protocol, e.g. 0x020f */
	uint32_t setup_bytes;   /* boot sector + real-mode setup */
	uint64_t kernel_offset; /* of the protected-mode kernel in the file */
	uint64_t kernel_size;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t alignment;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
	uint16_t xloadflags;
	bool relocatable;
};

/* Parse and check a bzImage. 0, or -1 with *why naming the fault. */
int boot_parse(const void *img, uint64_t size, struct boot_kernel *k, const char **why);

/* One virtio-mmio device the guest must find. */
struct boot_device {
	uint64_t base; /* window of VIO_MMIO_SIZE bytes */
	uint32_t gsi;
};

struct boot_config {
	uint64_t mem; /* guest RAM in bytes */
	unsigned ncpus;
	const void *kernel;
	uint64_t kernel_size;
	const void *initrd; /* may be NULL */
	uint64_t initrd_size;
	const char *cmdline; /* NUL-terminated, < BOOT_MAX_CMDLINE */
	const struct boot_device *devs;
	unsigned ndevs;
};

/* Register state for the 64-bit entry; the caller loads it into the vCPU:
 * long mode, CS = BOOT_CS (64-bit code), data segments = BOOT_DS, paging
 * with CR3 = cr3, CR0 PE|PG|ET, CR4 PAE, EFER LME|LMA. */
#define BOOT_CS 0x10
#define BOOT_DS 0x18
struct boot_entry {
	uint64_t rip, rsi, rsp, cr3;
	uint64_t gdt_base;
	uint16_t gdt_limit;
};

/* Linux's 64-bit entry on top of st, a vCPU's reset state (TR, LDT and IDT
 * are kept): segments, GDT, control registers, EFER, rip, rsi, rsp. */
void boot_entry_state(const struct boot_entry *e, struct rp_vcpu_state *st);

/*
 * What boot_linux checks before it writes anything: the kernel, the memory
 * size, the vCPU and device counts, the command line, and that kernel and
 * initrd fit. Lets the root refuse the operator's input before it touches
 * KVM. 0, or -1 with *why.
 */
int boot_check(const struct boot_config *c, const char **why);

/*
 * Lay out everything a 64-bit Linux entry needs in guest memory: kernel,
 * initrd (top of low RAM, under initrd_addr_max), command line, boot params
 * with e820, ACPI tables, GDT and identity page tables. 0, or -1 with *why.
 */
int boot_linux(const struct boot_mem *m, const struct boot_config *c, struct boot_entry *e,
	       const char **why);

/* ACPI tables alone (used by boot_linux; exposed for tests). Writes at
 * BOOT_ACPI_ADDR; returns the RSDP's address, or 0 with *why. */
uint64_t acpi_build(const struct boot_mem *m, const struct boot_config *c, const char **why);

#endif
