/* SPDX-License-Identifier: MIT */
/*
 * The watch's engine: its blob (a header and the guest kernel's System.map
 * as the operator gave it), the symbols it reads from that map, and the
 * search for the guest kernel in guest-physical memory (its physical base
 * by the banner, its virtual base by the kernel's own page tables).
 * Freestanding (no libc header): the same objects run in the watch layer
 * (src/layer/wtl.c), in the root (which builds the blob) and in the unit
 * tests.
 *
 * The caller's contract:
 *  - wt_blob_check() must accept a blob before anything else reads it; the
 *    blob is then only read;
 *  - guest memory is reached only through the caller's wt_mem callback,
 *    which answers NULL for any range it does not hold whole.
 *
 * What it promises:
 *  - every walk of the map text is bounded by its length (checked against
 *    WT_MAP_MAX), every line by WT_LINE_MAX; a malformed line is skipped,
 *    never read past;
 *  - the page-table walk reads at most 1 + 1 + 512 + 512 entries, each
 *    through wt_mem; an entry pointing outside guest memory ends the walk;
 *  - the kernel's search visits only the 2 MiB boundaries inside the maps
 *    it is given (its work bounded by their size), and takes a banner
 *    only where the kernel's own page table maps it;
 *  - a layout holds at most WT_MAX_GMAPS maps and says when there were
 *    more.
 */
#ifndef RAMPART_FW_WATCH_H
#define RAMPART_FW_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WT_MAGIC 0x48435457u /* "WTCH" */
#define WT_VERSION 1u
/* The System.map a blob carries: a distribution kernel's is 3-4 MiB
 * (87,000 lines for Debian's 6.1); the blob must fit RP_MAX_POLICY_SIZE. */
#define WT_MAP_MAX (15ULL << 20)
/* A System.map line: 16 hex digits, a type, a name. Kernel names are
 * short; a longer line is not one and is skipped whole. */
#define WT_LINE_MAX 256u
/* Timing bounds (ms): a re-check more often than every 100 ms would take
 * the guest's CPU (a check hashes the whole kernel image); more than an
 * hour is no watch. The start delay lets the guest finish booting (the
 * kernel patches its own text while it boots). */
#define WT_INTERVAL_MIN_MS 100u
#define WT_INTERVAL_MAX_MS 3600000u
#define WT_START_MAX_MS (24ULL * 3600000ULL)
#define WT_PAGE 4096u
/* x86-64's kernel map: the top 2 GiB, PML4 slot 511, PDPT slot 510. */
#define WT_KERNEL_MAP 0xffffffff80000000ULL
/* The kernel's physical alignment (CONFIG_PHYSICAL_ALIGN, 2 MiB on
 * x86-64 distribution kernels): KASLR places it on such a boundary. */
#define WT_PHYS_ALIGN 0x200000ULL

/* The blob: this header, then map_len bytes of System.map text. */
struct wt_blob {
	uint32_t magic, version;
	uint32_t flags, pad;
	uint64_t start_ms;    /* first hash after this long (the guest's boot) */
	uint64_t interval_ms; /* then a re-check this often */
	uint64_t map_len;
};

/* 0, or -1 with *why. */
int wt_blob_check(const void *blob, size_t len, const char **why);

/* The map text of a checked blob. */
static inline const char *wt_map_text(const struct wt_blob *b)
{
	return (const char *)(b + 1);
}

/* The anchors the watch needs from System.map (link-time addresses). */
struct wt_anchors {
	uint64_t text, etext, rodata, erodata; /* _text, _etext, __start_rodata, __end_rodata */
	uint64_t banner;                       /* linux_banner */
	uint64_t top_pgt;                      /* init_top_pgt: the kernel's page table */
	uint64_t idt;                          /* idt_table, page aligned; 0 when absent */
	uint64_t syscall; /* entry_SYSCALL_64, in text: what LSTAR holds; 0 when absent */
	/* entry_SYSCALL_compat and entry_SYSENTER_compat, in text: what CSTAR
	 * and SYSENTER_EIP hold in a kernel with ia32 emulation; 0 when the
	 * map lacks them (a kernel without it) */
	uint64_t compat_syscall, compat_sysenter;
	/* entry_SYSCALL32_ignore, in text: what CSTAR holds where ia32
	 * emulation is off at boot (ia32_emulation=0, 6.7 on: SYSENTER_EIP
	 * and SYSENTER_CS 0); 0 when absent (before 6.7 no kernel has it
	 * beside the compat entries) */
	uint64_t compat_off;
};

/* Fill a from the map: 0, or -1 with *why (a symbol missing, or out of
 * order). idt_table is optional: 0 when the map lacks it, or it is not a
 * page-aligned page of the kernel image past its rodata; so are
 * entry_SYSCALL_64 and the compat entries: 0 when the map lacks them or
 * they are not in text. */
int wt_anchors(const char *map, uint64_t len, struct wt_anchors *a, const char **why);

/*
 * The symbol covering link-time address addr: the last text or data
 * symbol (types t T d D r R b B) at or below it. Its name (not
 * NUL-terminated: *name_len bytes) and address; false when none.
 */
bool wt_symbol(const char *map, uint64_t len, uint64_t addr, const char **name,
	       size_t *name_len, uint64_t *sym_addr);

/* Guest memory: a pointer to [gpa, gpa + len), or NULL. */
typedef const void *wt_mem(void *ctx, uint64_t gpa, uint64_t len);

/* A piece of guest memory: where the guest sees it (gpa), its length,
 * and where its bytes lie in the watch's own memory (mine). */
struct wt_map {
	uint64_t gpa, size, mine;
};

/*
 * The kernel's physical base: a WT_PHYS_ALIGN boundary inside one of the
 * n maps at which "Linux version " lies where linux_banner is and whose
 * init_top_pgt maps it at the kernel map (wt_find_virt): a banner that a
 * guest process copied into its own pages is not one. The search visits
 * each map's own boundaries, so its work is bounded by the memory the
 * maps hold, not by how high they lie.
 *  0: one candidate, in *phys (and *virt);
 * -1: none (*why);
 * -2: more than one (*why; *phys the first): the kernel's own page table
 *     copied elsewhere, which the caller treats as an alert.
 */
int wt_find_phys(wt_mem *mem, void *ctx, const struct wt_map *maps, unsigned n,
		 const struct wt_anchors *a, uint64_t *phys, uint64_t *virt, const char **why);

/*
 * The guest-physical address the kernel's page tables give va, walked
 * from the top-level table at pgd (4 entries at most, each through mem;
 * a 2 MiB or 1 GiB page ends the walk early): 0 and *pa, or -1 when an
 * entry is absent or outside guest memory.
 */
int wt_walk(wt_mem *mem, void *ctx, uint64_t pgd, uint64_t va, uint64_t *pa);

/* x86-64 Linux's IDT register limit: 256 gates of 16 bytes (IDT_ENTRIES), less one. */
#define WT_IDT_LIMIT 0xfffu

/*
 * A vCPU's IDT register is the kernel's: its limit WT_IDT_LIMIT and its
 * base idt_table's virtual address (idt_kva), or an address the kernel's
 * page table at pgd maps onto idt_table's page (idt_gpa): the read-only
 * alias Linux loads since 4.15 (CPU_ENTRY_AREA_RO_IDT). A table the
 * kernel did not write (a copy elsewhere, however faithful) is not.
 */
bool wt_idtr_ok(wt_mem *mem, void *ctx, uint64_t pgd, uint64_t base, uint32_t limit,
		uint64_t idt_kva, uint64_t idt_gpa);

/*
 * The system call entries other than LSTAR that a guest vCPU holds (its
 * RP_HC_VCPU_CTL state): CSTAR (32-bit syscall), STAR (the selectors
 * syscall loads), SYSENTER_EIP with its CS. System.map names none of
 * them for every kernel (a kernel without ia32 emulation writes 0 to
 * SYSENTER_CS and SYSENTER_EIP, one with it entry_SYSENTER_compat), so
 * they are held to one reference for the whole guest, not to each
 * vCPU's own first value: a rootkit's values on a vCPU first seen late,
 * or written over a zero, are never adopted.
 */
struct wt_msrs {
	uint64_t cstar, star, sysenter_cs, sysenter_eip;
};
#define WT_MSR_CSTAR 1u
#define WT_MSR_STAR 2u
#define WT_MSR_SYSENTER 4u /* SYSENTER_EIP or SYSENTER_CS */

/* The guest's reference: unknown until a vCPU that ran the kernel's
 * syscall_init is seen; then fixed, zeros included, until the guest boots
 * again (the caller clears it). */
struct wt_msr_ref {
	bool known;
	struct wt_msrs v;
};

/* seen becomes ref's values when ref has none and entry_ok (that vCPU's
 * LSTAR is the kernel's entry: its syscall_init has written them). */
void wt_msrs_take(struct wt_msr_ref *ref, const struct wt_msrs *seen, bool entry_ok);

/* Whether SYSENTER_EIP's value v is kva: the whole of it, or with low32
 * (the vCPU keeps no more: KVM on AMD holds 32 bits of it for a guest that
 * does not say it is Intel's) its low 32 bits. Only there: on Intel a
 * truncated address is a user-space one a rootkit can map. */
bool wt_sysenter_is(uint64_t v, uint64_t kva, bool low32);
/* Whether the CPU's vendor (CPUID leaf 0) is one whose SYSENTER_EIP a
 * 64-bit guest holds in 32 bits under KVM (AMD, Hygon). */
bool wt_vendor_amd(uint32_t ebx, uint32_t ecx, uint32_t edx);
/*
 * The registers of m that are not what System.map says (WT_MSR_CSTAR,
 * WT_MSR_SYSENTER), with a's compat entries at slide (known: the virtual
 * base is): CSTAR entry_SYSCALL_compat and SYSENTER_EIP
 * entry_SYSENTER_compat (wt_sysenter_is, low32), or, ia32 emulation off
 * at boot, CSTAR entry_SYSCALL32_ignore with SYSENTER_EIP and SYSENTER_CS
 * 0 (what the kernel writes then: a CS still the kernel's would have a
 * sysenter enter ring 0 at address 0). 0 for what the map does not name.
 */
unsigned wt_compat_wrong(const struct wt_anchors *a, uint64_t slide, bool known,
			 const struct wt_msrs *m, bool low32);

/* The registers of seen that are not ref's (WT_MSR_* bits); 0 while ref
 * is unknown. */
unsigned wt_msrs_diff(const struct wt_msr_ref *ref, const struct wt_msrs *seen);

/*
 * The guest's layout as the root holds it: every map of the one
 * grandchild that is a guest. WT_MAX_GMAPS: a guest's map pieces (the
 * root's own limit per VM is 256 slots); more are not followed and the
 * layout says so (cut), for a vmm that splits its guest's memory past
 * what the watch reads must not make it look at part of it silently.
 */
#define WT_MAX_GMAPS 256u
struct wt_layout {
	uint64_t sub;	  /* the guest's handle in our child; 0: none */
	unsigned nguests; /* grandchildren that are guests */
	unsigned n;	  /* maps of sub, in map[] */
	bool cut;	  /* sub has more than WT_MAX_GMAPS */
	struct wt_map map[WT_MAX_GMAPS];
};

/* One map of a grandchild, as RP_HC_MAP_INFO answers it: 0, or < 0 when
 * there is no such grandchild or map. */
typedef int wt_map_query(void *ctx, uint64_t sub, uint64_t index, struct wt_map *m,
			 bool *guest);

/* Fill l by asking q for subs 1..max_subs, maps 0.. until refused. */
void wt_layout_read(wt_map_query *q, void *ctx, uint64_t max_subs, struct wt_layout *l);

/* NULL when l is one guest, whole, and the same as was; else what differs
 * or is wrong (each a reason to raise an alert). */
const char *wt_layout_changed(const struct wt_layout *was, const struct wt_layout *l);

/*
 * The kernel's virtual address of _text, from its own page table
 * (init_top_pgt at phys + (top_pgt - text)): the 2 MiB slot of the kernel
 * map that maps phys. 0 and *virt, or -1 with *why.
 */
int wt_find_virt(wt_mem *mem, void *ctx, const struct wt_anchors *a, uint64_t phys,
		 uint64_t *virt, const char **why);

#endif
