/* SPDX-License-Identifier: MIT */
/*
 * Building a ring-3 VM: the system area (page tables, GDT, TSS, IDT, the
 * ring-0 fault stub), the ELF image and the boot-info page, and the vCPU
 * state to enter it, as include/rampart/abi.h describes. Freestanding: the
 * root builds layer 1 with it, and every layer builds its children with it.
 */
#ifndef RAMPART_RING3_H
#define RAMPART_RING3_H

#include <stdint.h>

#include "boot/boot.h"
#include "rampart/abi.h"

#define RING3_MIN_MEM (4ULL << 20)
#define RING3_MAX_MEM (1ULL << 39) /* one PDPT's reach, 512 GiB */

/*
 * The system area, below RP_IMAGE_BASE. Every page of it is supervisor-only
 * except the boot-info page (user read-only); page 0 and the gaps are not
 * present. The root reads a fault's frame from the ring-0 stack.
 */
#define RING3_GDT_GPA 0x2000   /* null, KCS, KDS, UDS, UCS, TSS (16 bytes) */
#define RING3_TSS_GPA 0x3000   /* RSP0 = RING3_STACK_TOP, then the I/O bitmap */
#define RING3_TSS_LIMIT 0x2068 /* 104 bytes, 8 KiB bitmap (all ports allowed), 0xff */
#define RING3_IDT_GPA 0x6000   /* RING3_NVEC interrupt gates, DPL 0 */
#define RING3_STUB_GPA 0x7000  /* RING3_STUB_SIZE bytes of code per vector */
#define RING3_STACK_GPA 0x8000 /* the ring-0 stack page (supervisor RW) */
#define RING3_STACK_TOP 0x9000
/* After a fault the stub has pushed 0 for vectors without an error code,
 * so the frame is always: error, rip, cs, rflags, rsp, ss (6 x 8 bytes). */
#define RING3_FRAME_GPA (RING3_STACK_TOP - 48)
#define RING3_PT_GPA 0x10000 /* PML4, PDPT, then PDs and PTs up to RP_IMAGE_BASE */
#define RING3_NVEC 32
#define RING3_STUB_SIZE 16

/*
 * The control state every ring-3 VM is entered with and keeps: the root
 * pins it (src/root/ln_seal.c, invariant 8), so it is the same here and there.
 * IOPL 3, as on hardware virtualization `in`/`out` at CPL 3 need it (real
 * SVM faults an IOPL-0 `out` from a layer: seen in the test host); PVM
 * forces the hardware IOPL to 0 at CPL 3 and checks the TSS I/O bitmap,
 * which allows every port. Every port exits either way, and IOPL gives
 * CPL 3 nothing else that matters here: IF is pinned clear (no interrupt
 * reaches a ring-3 VM anyway), and CPL 3 cannot change IOPL. So IOPL is
 * not pinned (PVM reports 0 at exits); VM and IF are.
 */
#define RING3_CR0 0x80050033ULL /* PE MP ET NE WP AM PG; CD, NW clear */
#define RING3_CR4 0x620ULL      /* PAE OSFXSR OSXMMEXCPT */
#define RING3_EFER 0xd00ULL     /* LME LMA NXE; SCE clear: no syscall */
#define RING3_RFLAGS 0x3002ULL  /* IOPL 3, interrupts off */
#define RING3_RFLAGS_PINNED 0x20200ULL /* VM and IF: the rest is CPL 3's own */

/* Selectors (RPL included). */
#define RING3_KCS 0x08
#define RING3_KDS 0x10
#define RING3_UDS 0x1b /* ss, ds, es, fs, gs */
#define RING3_UCS 0x23 /* 64-bit code, DPL 3 */
#define RING3_TSS 0x28

/*
 * FS's base: %fs:0x28, where code built for glibc's TLS stack protector
 * (Hyperscan's runtime in the layer kernel: src/ids/shim.c) reads its
 * guard, is then the boot info's canary, the same guard the layer's own
 * code checks (src/layer/guard.c), on the user read-only boot-info page.
 */
#define RING3_FS_BASE (RP_BOOT_INFO_GPA + 0x20 - 0x28)

/* Refusal limits on the image (hostile input). */
#define RING3_MAX_PHDRS 64 /* program headers read */
#define RING3_MAX_SEGS 16  /* PT_LOAD segments */

/*
 * Into the memory m (guest-physical [0, mem_size), mem_size a multiple of
 * 2 MiB): load the ELF image, build the system area, write *info at
 * RP_BOOT_INFO_GPA with mem_size and free_start filled in, and fill *st for
 * the entry. 0, or -1 with *why naming the fault (the image is hostile
 * input: every header field is checked).
 */
int ring3_build(const struct boot_mem *m, uint64_t mem_size, const void *elf, uint64_t elf_size,
		const struct rp_boot_info *info, struct rp_vcpu_state *st, const char **why);

/*
 * How the VM ring3_build makes is mapped, sealed: ranges covering
 * [0, mem_size) in address order, each with the rights (RP_MAP_*) its
 * creator maps it with. The system area is read-only but for the ring-0
 * stack page and the page tables (RING3_STACK_TOP up to RP_IMAGE_BASE:
 * the hardware walker may write them; the root seals them against every
 * other VM); the image's text is R|X (offset and filesz say which bytes of
 * the file it holds, the rest of its pages zero), its read-only data R, its
 * data R|W; the rest is R|W. Returns the count, or -1 with *why.
 */
/*
 * The system tables every ring-3 VM gets, the same for all: GDT, TSS with
 * its I/O bitmap, IDT, the fault stub, and the (zeroed) ring-0 stack page,
 * [RING3_GDT_GPA, RING3_STACK_TOP), written into area. 0, or -1.
 */
#define RING3_TABLES_SIZE (RING3_STACK_TOP - RING3_GDT_GPA)
int ring3_tables(uint8_t area[RING3_TABLES_SIZE]);

struct ring3_range {
	uint64_t gpa, size;
	uint32_t rights;
	uint64_t offset, filesz; /* a segment's: its bytes in the file */
};
#define RING3_MAX_RANGES (3 + 2 * RING3_MAX_SEGS + 1)
int ring3_layout(uint64_t mem_size, const void *elf, uint64_t elf_size, struct ring3_range *r,
		 unsigned max, const char **why);

#endif
