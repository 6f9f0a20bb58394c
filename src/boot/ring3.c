/* SPDX-License-Identifier: MIT */
/*
 * Building a ring-3 VM (see ring3.h and include/rampart/abi.h).
 *
 * Invariants this file keeps:
 * - the ELF image is hostile: every header field is checked against the
 *   file size and the guest memory before any byte is copied, and no sum
 *   of two image values can wrap (rt_add_ok / rt_range_ok);
 * - every guest write goes through boot_gpa() with its full length;
 * - the page tables are W^X: a user page is writable or executable, never
 *   both; the system area is supervisor-only except the boot-info page
 *   (user read-only); nothing outside the boot-info page, the system
 *   structures, the image's segments, [free_start, mem_size) and the device
 *   windows the boot info lists (user RW NX, no memory behind) is present;
 * - every descriptor is written with its accessed (or busy) bit already set,
 *   so the CPU never writes to the read-only descriptor tables.
 */
#include "boot/ring3.h"

#include <stddef.h>
#include "boot/boot_int.h"
#include "lib/rt.h"

#define PAGE 0x1000ULL
#define BIG_PAGE 0x200000ULL

#define PTE_P 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_US 0x4ULL
#define PTE_A 0x20ULL /* accessed and dirty set: the CPU never writes a sealed table */
#define PTE_D 0x40ULL
#define PTE_PS 0x80ULL
#define PTE_NX (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL
#define PTE_TABLE (PTE_P | PTE_RW | PTE_US | PTE_A) /* intermediate: the leaf decides */

/* ELF64 header and program header offsets. */
#define EH_SIZE 64
#define EH_TYPE 16
#define EH_MACHINE 18
#define EH_VERSION 20
#define EH_ENTRY 24
#define EH_PHOFF 32
#define EH_PHENTSIZE 54
#define EH_PHNUM 56
#define PH_SIZE 56
#define PH_TYPE 0
#define PH_FLAGS 4
#define PH_OFFSET 8
#define PH_VADDR 16
#define PH_PADDR 24
#define PH_FILESZ 32
#define PH_MEMSZ 40

#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PF_X 1
#define PF_W 2
#define PF_R 4

#define GDT_LIMIT 0x37 /* six 8-byte slots, the TSS taking two */
/*
 * The TSS carries an I/O bitmap that allows every port: PVM (software KVM)
 * runs CPL 3 with the hardware IOPL forced to 0, so `in`/`out` is checked
 * against the bitmap. Every port exits anyway; IOPL 3 (RING3_RFLAGS) says
 * the same on hardware virtualization.
 */
#define TSS_IOPB 0x68 /* bitmap offset in the TSS */
#define TSS_PAGES 3

struct seg {
	uint64_t vaddr, memsz, filesz, offset;
	uint32_t flags;
};

struct image {
	struct seg seg[RING3_MAX_SEGS];
	unsigned nseg;
	uint64_t entry;
	uint64_t end; /* last segment byte + 1, page aligned */
};

/* Page-table pages come from [RING3_PT_GPA, RP_IMAGE_BASE). */
struct pt {
	const struct boot_mem *m;
	uint64_t next;
};

static int refuse(const char **why, const char *text)
{
	if (why)
		*why = text;
	return -1;
}

static uint64_t page_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

/* ---- the ELF image --------------------------------------------------------- */

static int check_ident(const uint8_t *e, uint64_t size, const char **why)
{
	if (size < EH_SIZE)
		return refuse(why, "image: shorter than an ELF64 header");
	if (e[0] != 0x7f || e[1] != 'E' || e[2] != 'L' || e[3] != 'F')
		return refuse(why, "image: not ELF (bad magic)");
	if (e[4] != ELFCLASS64)
		return refuse(why, "image: not ELF64 (class)");
	if (e[5] != ELFDATA2LSB)
		return refuse(why, "image: not little endian");
	if (e[6] != 1 || rt_le32(e + EH_VERSION) != 1)
		return refuse(why, "image: unknown ELF version");
	if (rt_le16(e + EH_MACHINE) != EM_X86_64)
		return refuse(why, "image: not x86-64 (machine)");
	if (rt_le16(e + EH_TYPE) != ET_EXEC)
		return refuse(why, "image: not a static executable (type is not ET_EXEC)");
	return 0;
}

/* One PT_LOAD, checked alone and against the ones before it. */
static int add_segment(struct image *im, const uint8_t *ph, uint64_t elf_size, uint64_t mem_size,
		       const char **why)
{
	struct seg s = {
		.vaddr = rt_le64(ph + PH_VADDR),
		.memsz = rt_le64(ph + PH_MEMSZ),
		.filesz = rt_le64(ph + PH_FILESZ),
		.offset = rt_le64(ph + PH_OFFSET),
		.flags = rt_le32(ph + PH_FLAGS),
	};
	uint64_t end;
	unsigned i;

	if (im->nseg >= RING3_MAX_SEGS)
		return refuse(why, "image: too many PT_LOAD segments");
	if (!rt_range_ok(s.offset, s.filesz, elf_size))
		return refuse(why, "image: segment data lies outside the file");
	if (s.filesz > s.memsz)
		return refuse(why, "image: segment filesz exceeds memsz");
	if (!s.memsz)
		return refuse(why, "image: empty PT_LOAD segment");
	if (rt_le64(ph + PH_PADDR) != s.vaddr)
		return refuse(why, "image: segment paddr differs from vaddr");
	if (s.vaddr & (PAGE - 1))
		return refuse(why, "image: segment vaddr not page aligned");
	if (s.vaddr < RP_IMAGE_BASE)
		return refuse(why, "image: segment below RP_IMAGE_BASE (the system area)");
	if (!rt_range_ok(s.vaddr, s.memsz, mem_size))
		return refuse(why, "image: segment lies outside the guest memory");
	if ((s.flags & PF_W) && (s.flags & PF_X))
		return refuse(why, "image: segment both writable and executable");
	if (!(s.flags & (PF_R | PF_W | PF_X)))
		return refuse(why, "image: segment with no access rights");
	end = page_up(s.vaddr + s.memsz, PAGE); /* <= mem_size: a 2 MiB multiple */
	for (i = 0; i < im->nseg; i++) {
		const struct seg *o = &im->seg[i];

		if (s.vaddr < page_up(o->vaddr + o->memsz, PAGE) && o->vaddr < end)
			return refuse(why, "image: segments overlap (page granularity)");
	}
	im->seg[im->nseg++] = s;
	if (end > im->end)
		im->end = end;
	return 0;
}

static int parse_elf(const uint8_t *e, uint64_t size, uint64_t mem_size, struct image *im,
		     const char **why)
{
	uint64_t phoff;
	unsigned phnum, i;

	if (check_ident(e, size, why))
		return -1;
	phoff = rt_le64(e + EH_PHOFF);
	phnum = rt_le16(e + EH_PHNUM);
	if (rt_le16(e + EH_PHENTSIZE) != PH_SIZE)
		return refuse(why, "image: program header size is not 56");
	if (!phnum || phnum > RING3_MAX_PHDRS)
		return refuse(why, "image: program header count 0 or too large");
	if (!rt_range_ok(phoff, (uint64_t)phnum * PH_SIZE, size))
		return refuse(why, "image: program headers lie outside the file");
	im->nseg = 0;
	im->end = 0;
	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = e + phoff + (uint64_t)i * PH_SIZE;
		uint32_t type = rt_le32(ph + PH_TYPE);

		if (type == PT_INTERP || type == PT_DYNAMIC)
			return refuse(why, "image: dynamic executable (PT_INTERP or PT_DYNAMIC)");
		if (type == PT_LOAD && add_segment(im, ph, size, mem_size, why))
			return -1;
	}
	if (!im->nseg)
		return refuse(why, "image: no PT_LOAD segment");
	im->entry = rt_le64(e + EH_ENTRY);
	for (i = 0; i < im->nseg; i++) {
		const struct seg *s = &im->seg[i];

		if ((s->flags & PF_X) && im->entry >= s->vaddr && im->entry - s->vaddr < s->memsz)
			return 0;
	}
	return refuse(why, "image: entry point not inside an executable segment");
}

static int load_segments(const struct boot_mem *m, const uint8_t *e, const struct image *im,
			 const char **why)
{
	unsigned i;

	for (i = 0; i < im->nseg; i++) {
		const struct seg *s = &im->seg[i];
		uint64_t len = page_up(s->vaddr + s->memsz, PAGE) - s->vaddr;
		uint8_t *dst = boot_gpa(m, s->vaddr, len);

		if (!dst)
			return refuse(why, "guest memory: segment range not writable");
		rt_memset(dst, 0, len);
		rt_memcpy(dst, e + s->offset, s->filesz);
	}
	return 0;
}

/* ---- page tables ----------------------------------------------------------- */

static uint64_t pt_alloc(struct pt *p)
{
	uint64_t gpa = p->next;
	uint8_t *page;

	if (gpa >= RP_IMAGE_BASE)
		return 0;
	page = boot_gpa(p->m, gpa, PAGE);
	if (!page)
		return 0;
	rt_memset(page, 0, PAGE);
	p->next += PAGE;
	return gpa;
}

/* The table entry idx of the table at gpa points to (made on demand). */
static uint64_t pt_next(struct pt *p, uint64_t table, unsigned idx)
{
	uint8_t *t = boot_gpa(p->m, table, PAGE);
	uint64_t e, n;

	if (!t)
		return 0;
	e = rt_le64(t + idx * 8);
	if (e & PTE_P)
		return e & PTE_ADDR;
	n = pt_alloc(p);
	if (n)
		rt_put64(t + idx * 8, n | PTE_TABLE);
	return n;
}

/* The page directory covering va (all our memory is under PML4 slot 0). */
static uint64_t pt_pd(struct pt *p, uint64_t va)
{
	uint64_t pdpt = pt_next(p, RING3_PT_GPA, 0);

	return pdpt ? pt_next(p, pdpt, (unsigned)(va >> 30) & 511) : 0;
}

static int map_4k(struct pt *p, uint64_t va, uint64_t flags)
{
	uint64_t pd = pt_pd(p, va), ptab = pd ? pt_next(p, pd, (unsigned)(va >> 21) & 511) : 0;
	uint8_t *t = ptab ? boot_gpa(p->m, ptab, PAGE) : NULL;

	if (!t)
		return -1;
	rt_put64(t + ((va >> 12) & 511) * 8, va | flags | PTE_P | PTE_A | PTE_D);
	return 0;
}

static int map_2m(struct pt *p, uint64_t va, uint64_t flags)
{
	uint64_t pd = pt_pd(p, va);
	uint8_t *t = pd ? boot_gpa(p->m, pd, PAGE) : NULL;

	if (!t)
		return -1;
	rt_put64(t + ((va >> 21) & 511) * 8, va | flags | PTE_PS | PTE_P | PTE_A | PTE_D);
	return 0;
}

static uint64_t seg_pte(uint32_t flags)
{
	if (flags & PF_X)
		return PTE_US; /* user, read-only, executable */
	if (flags & PF_W)
		return PTE_US | PTE_RW | PTE_NX;
	return PTE_US | PTE_NX;
}

/* The device windows the boot info lists: page aligned, inside the window, above memory. */
static int check_devs(const struct rp_boot_info *info, uint64_t mem_size, const char **why)
{
	unsigned i;

	if (info->ndevs > RP_MAX_DEVS)
		return refuse(why, "boot info: more than RP_MAX_DEVS devices");
	for (i = 0; i < info->ndevs; i++) {
		uint64_t b = info->devs[i].base;

		if (b & (PAGE - 1) || b < RP_DEV_BASE ||
		    b >= RP_DEV_BASE + RP_MAX_DEVS * RP_DEV_SIZE)
			return refuse(why, "boot info: device window not a page of the window");
		if (b < mem_size)
			return refuse(why, "guest memory: reaches the device windows");
	}
	return 0;
}

static int map_all(const struct boot_mem *m, const struct image *im, uint64_t free_start,
		   uint64_t mem_size, const struct rp_boot_info *info)
{
	static const struct {
		uint64_t gpa, flags;
	} sys[] = {
		{RP_BOOT_INFO_GPA, PTE_US | PTE_NX}, {RING3_GDT_GPA, PTE_NX},
		{RING3_TSS_GPA, PTE_NX},             {RING3_TSS_GPA + PAGE, PTE_NX},
		{RING3_TSS_GPA + 2 * PAGE, PTE_NX},  {RING3_IDT_GPA, PTE_NX},
		{RING3_STUB_GPA, 0},                 {RING3_STACK_GPA, PTE_RW | PTE_NX},
	};
	struct pt p = {.m = m, .next = RING3_PT_GPA};
	uint64_t va, end;
	unsigned i;

	if (pt_alloc(&p) != RING3_PT_GPA)
		return -1;
	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if (map_4k(&p, sys[i].gpa, sys[i].flags))
			return -1;
	for (i = 0; i < im->nseg; i++) {
		end = page_up(im->seg[i].vaddr + im->seg[i].memsz, PAGE);
		for (va = im->seg[i].vaddr; va < end; va += PAGE)
			if (map_4k(&p, va, seg_pte(im->seg[i].flags)))
				return -1;
	}
	for (va = free_start; va < mem_size; va += BIG_PAGE)
		if (map_2m(&p, va, PTE_US | PTE_RW | PTE_NX))
			return -1;
	/* Device windows: no memory behind them, so every access exits as MMIO. */
	for (i = 0; i < info->ndevs; i++)
		if (map_4k(&p, info->devs[i].base, PTE_US | PTE_RW | PTE_NX))
			return -1;
	/* Last, the tables themselves (their PT exists: the boot-info page made it). */
	end = p.next;
	for (va = RING3_PT_GPA; va < end; va += PAGE)
		if (map_4k(&p, va, PTE_NX))
			return -1;
	return p.next == end ? 0 : -1;
}

/* ---- descriptor tables and the fault stub ---------------------------------- */

static void put_tss_desc(uint8_t *d, uint64_t base)
{
	rt_put16(d, (uint16_t)RING3_TSS_LIMIT);
	rt_put16(d + 2, (uint16_t)base);
	d[4] = (uint8_t)(base >> 16);
	d[5] = 0x8b; /* present, DPL 0, 64-bit TSS (busy) */
	d[6] = 0;
	d[7] = (uint8_t)(base >> 24);
	rt_put32(d + 8, (uint32_t)(base >> 32));
	rt_put32(d + 12, 0);
}

static int write_tables(const struct boot_mem *m)
{
	uint8_t *gdt = boot_gpa(m, RING3_GDT_GPA, PAGE);
	uint8_t *tss = boot_gpa(m, RING3_TSS_GPA, TSS_PAGES * PAGE);
	uint8_t *idt = boot_gpa(m, RING3_IDT_GPA, PAGE), *stub = boot_gpa(m, RING3_STUB_GPA, PAGE);
	uint8_t *stack = boot_gpa(m, RING3_STACK_GPA, PAGE);
	unsigned v;

	if (!gdt || !tss || !idt || !stub || !stack)
		return -1;
	rt_memset(gdt, 0, PAGE);
	rt_memset(tss, 0, TSS_PAGES * PAGE); /* bitmap: 0 = allowed */
	tss[RING3_TSS_LIMIT] = 0xff;        /* the byte past the bitmap */
	rt_memset(idt, 0, PAGE);
	rt_memset(stub, 0xcc, PAGE);
	rt_memset(stack, 0, PAGE);
	/* Flat segments, accessed bit set (G, D/L, P, DPL, type). */
	rt_put64(gdt + RING3_KCS, 0x00af9b000000ffffULL);          /* ring-0 code, L */
	rt_put64(gdt + RING3_KDS, 0x00cf93000000ffffULL);          /* ring-0 data */
	rt_put64(gdt + (RING3_UDS & ~3), 0x00cff3000000ffffULL);   /* ring-3 data */
	rt_put64(gdt + (RING3_UCS & ~3), 0x00affb000000ffffULL);   /* ring-3 code, L */
	put_tss_desc(gdt + RING3_TSS, RING3_TSS_GPA);
	rt_put64(tss + 4, RING3_STACK_TOP); /* RSP0 */
	rt_put16(tss + 102, TSS_IOPB);
	for (v = 0; v < RING3_NVEC; v++) {
		uint64_t at = RING3_STUB_GPA + (uint64_t)v * RING3_STUB_SIZE;
		uint8_t *g = idt + v * 16, *c = stub + v * RING3_STUB_SIZE;
		/* Vectors that push an error code: 8, 10-14, 17, 21, 29, 30. */
		bool err = v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 ||
			   v == 30;
		unsigned n = 0;

		rt_put16(g, (uint16_t)at);
		rt_put16(g + 2, RING3_KCS);
		g[4] = 0;    /* IST 0: RSP0 */
		g[5] = 0x8e; /* present, DPL 0, interrupt gate: ring-3 `int n` is #GP */
		rt_put16(g + 6, (uint16_t)(at >> 16));
		rt_put32(g + 8, (uint32_t)(at >> 32));
		if (!err) {
			c[n++] = 0x6a; /* push $0: same frame for every vector */
			c[n++] = 0x00;
		}
		c[n++] = 0xb8; /* mov $v, %eax */
		rt_put32(c + n, v);
		n += 4;
		c[n++] = 0x66; /* mov $RP_FAULT_PORT, %dx */
		c[n++] = 0xba;
		rt_put16(c + n, RP_FAULT_PORT);
		n += 2;
		c[n++] = 0xef; /* out %eax, %dx */
		c[n++] = 0xf4; /* hlt */
		c[n++] = 0xeb; /* jmp back to the hlt */
		c[n++] = 0xfd;
	}
	return 0;
}

/* ---- the entry state ------------------------------------------------------- */

static void seg_flat(struct rp_segment *s, uint16_t sel, uint8_t type, uint8_t l)
{
	rt_memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 3;
	s->db = !l;
	s->s = 1;
	s->l = l;
	s->g = 1;
}

_Static_assert(RING3_FS_BASE + 0x28 == RP_BOOT_INFO_GPA + offsetof(struct rp_boot_info, canary),
	       "%fs:0x28 is not the boot info's canary");

static void fill_state(struct rp_vcpu_state *st, uint64_t entry)
{
	rt_memset(st, 0, sizeof(*st));
	st->rip = entry;
	st->rdi = RP_BOOT_INFO_GPA;
	st->rflags = RING3_RFLAGS;
	seg_flat(&st->cs, RING3_UCS, 0xb, 1);
	seg_flat(&st->ss, RING3_UDS, 0x3, 0);
	st->ds = st->es = st->fs = st->gs = st->ss;
	st->fs.base = RING3_FS_BASE;
	st->tr.base = RING3_TSS_GPA;
	st->tr.limit = RING3_TSS_LIMIT;
	st->tr.selector = RING3_TSS;
	st->tr.type = 0xb;
	st->tr.present = 1;
	st->ldt.type = 0x2; /* unusable: not present */
	st->gdt.base = RING3_GDT_GPA;
	st->gdt.limit = GDT_LIMIT;
	st->idt.base = RING3_IDT_GPA;
	st->idt.limit = RING3_NVEC * 16 - 1;
	st->cr0 = RING3_CR0;
	st->cr3 = RING3_PT_GPA;
	st->cr4 = RING3_CR4;
	st->efer = RING3_EFER;
}

int ring3_build(const struct boot_mem *m, uint64_t mem_size, const void *elf, uint64_t elf_size,
		const struct rp_boot_info *info, struct rp_vcpu_state *st, const char **why)
{
	struct image im;
	struct rp_boot_info *bi;
	uint64_t free_start;

	if (!m || !elf || !info || !st)
		return refuse(why, "ring3_build: missing argument");
	if (mem_size & (BIG_PAGE - 1))
		return refuse(why, "guest memory: size is not a multiple of 2 MiB");
	if (mem_size < RING3_MIN_MEM)
		return refuse(why, "guest memory: smaller than RING3_MIN_MEM");
	if (mem_size > RING3_MAX_MEM)
		return refuse(why, "guest memory: larger than RING3_MAX_MEM");
	if (!boot_gpa(m, 0, mem_size))
		return refuse(why, "guest memory: [0, mem_size) is not all reachable");
	if (check_devs(info, mem_size, why) || parse_elf(elf, elf_size, mem_size, &im, why))
		return -1;
	free_start = page_up(im.end, BIG_PAGE);
	if (load_segments(m, elf, &im, why))
		return -1;
	if (write_tables(m))
		return refuse(why, "guest memory: system area not writable");
	if (map_all(m, &im, free_start, mem_size, info))
		return refuse(why, "guest memory: page tables do not fit in the system area");
	bi = boot_gpa(m, RP_BOOT_INFO_GPA, PAGE);
	if (!bi)
		return refuse(why, "guest memory: boot-info page not writable");
	rt_memset(bi, 0, PAGE);
	rt_memcpy(bi, info, sizeof(*info));
	bi->magic = RP_BOOT_MAGIC;
	bi->version = RP_ABI_VERSION;
	bi->mem_size = mem_size;
	bi->free_start = free_start;
	fill_state(st, im.entry);
	return 0;
}

/* ---- the sealed layout ------------------------------------------------------ */

static int add_range(struct ring3_range *r, unsigned *n, unsigned max, uint64_t gpa,
		     uint64_t end, uint32_t rights)
{
	if (end <= gpa)
		return 0;
	if (*n >= max)
		return -1;
	r[(*n)++] = (struct ring3_range){.gpa = gpa, .size = end - gpa, .rights = rights};
	return 0;
}

int ring3_layout(uint64_t mem_size, const void *elf, uint64_t elf_size, struct ring3_range *r,
		 unsigned max, const char **why)
{
	struct image im;
	uint64_t at = RP_IMAGE_BASE;
	unsigned n = 0, i, j;

	if (why)
		*why = NULL;
	if (mem_size < RING3_MIN_MEM || mem_size > RING3_MAX_MEM || (mem_size & (BIG_PAGE - 1)))
		return refuse(why, "guest memory: size not a 2 MiB multiple in [4 MiB, 512 GiB]");
	if (parse_elf(elf, elf_size, mem_size, &im, why))
		return -1;
	/*
	 * The system area: read-only but for the ring-0 stack and the page
	 * tables. A hardware page walk under nested paging may write the
	 * tables (accessed and dirty bits), so they stay writable in the VM's
	 * own slot (at CPL 3 they are supervisor pages); the root seals them
	 * against every other VM before the VM first runs.
	 */
	if (add_range(r, &n, max, 0, RING3_STACK_GPA, RP_MAP_R) ||
	    add_range(r, &n, max, RING3_STACK_GPA, RING3_STACK_TOP, RP_MAP_R | RP_MAP_W) ||
	    add_range(r, &n, max, RING3_STACK_TOP, RP_IMAGE_BASE, RP_MAP_R | RP_MAP_W))
		return refuse(why, "layout: too many ranges");
	/* The segments in address order, the gaps between them writable. */
	for (;;) {
		const struct seg *s = NULL;
		uint32_t rights;

		for (j = 0; j < im.nseg; j++)
			if (im.seg[j].vaddr >= at && (!s || im.seg[j].vaddr < s->vaddr))
				s = &im.seg[j];
		if (!s)
			break;
		rights = (s->flags & PF_X) ? RP_MAP_R | RP_MAP_X
			 : (s->flags & PF_W) ? RP_MAP_R | RP_MAP_W : RP_MAP_R;
		if (add_range(r, &n, max, at, s->vaddr, RP_MAP_R | RP_MAP_W))
			return refuse(why, "layout: too many ranges");
		i = n;
		if (add_range(r, &n, max, s->vaddr, page_up(s->vaddr + s->memsz, PAGE), rights))
			return refuse(why, "layout: too many ranges");
		r[i].offset = s->offset;
		r[i].filesz = s->filesz;
		at = page_up(s->vaddr + s->memsz, PAGE);
	}
	if (add_range(r, &n, max, at, mem_size, RP_MAP_R | RP_MAP_W))
		return refuse(why, "layout: too many ranges");
	return (int)n;
}

/* ---- the system tables, for the root to compare ------------------------------ */

static void *tables_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
	if (gpa < RING3_GDT_GPA || !rt_range_ok(gpa - RING3_GDT_GPA, len, RING3_TABLES_SIZE))
		return NULL;
	return (uint8_t *)ctx + (gpa - RING3_GDT_GPA);
}

int ring3_tables(uint8_t area[RING3_TABLES_SIZE])
{
	struct boot_mem m = {.ctx = area, .gpa_ptr = tables_ptr};

	return write_tables(&m);
}
