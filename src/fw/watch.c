/* SPDX-License-Identifier: MIT */
/*
 * The watch's engine (watch.h): the blob's check, System.map's symbols,
 * and where the guest kernel lies.
 *
 * Invariants:
 *  1. Nothing reads a blob field before wt_blob_check accepted the blob:
 *     magic, version, flags, timing within bounds, map length within
 *     WT_MAP_MAX and exactly what follows the header.
 *  2. Every read of the map text is at an offset below its length; a line
 *     is parsed only from what lies before its newline (or the end).
 *  3. Guest memory is read only through the caller's wt_mem, 8 bytes or a
 *     banner at a time; an entry of the guest's page tables is a guest
 *     value, used only as an address handed back to wt_mem.
 *  4. The kernel's search visits the 2 MiB boundaries inside each map the
 *     caller gives, no other: its work is bounded by the memory the maps
 *     hold (a map near the top of the address space costs what its size
 *     does), each banner found costing one bounded page-table walk.
 *  5. A layout holds at most WT_MAX_GMAPS maps; a guest with more is
 *     marked cut, never silently read in part.
 *  6. The guest's other system call entries (wt_msrs) have one reference,
 *     taken once from a vCPU whose LSTAR is the kernel's, zeros included;
 *     every vCPU, whenever first seen, is compared with it, never with a
 *     value of its own.
 */
#include "fw/watch.h"

#include "lib/rt.h"

#define PTE_P 0x1ULL
#define PTE_PS 0x80ULL
#define PTE_ADDR 0x000ffffffffff000ULL
#define PMD_ADDR_2M 0x000fffffffe00000ULL
#define BANNER "Linux version "
#define BANNER_LEN 14u

int wt_blob_check(const void *blob, size_t len, const char **why)
{
	const struct wt_blob *b = blob;

	if (len < sizeof(*b)) {
		*why = "shorter than its header";
		return -1;
	}
	if (b->magic != WT_MAGIC || b->version != WT_VERSION) {
		*why = "not a watch blob of this version";
		return -1;
	}
	if (b->flags || b->pad) {
		*why = "unknown flags";
		return -1;
	}
	if (b->interval_ms < WT_INTERVAL_MIN_MS || b->interval_ms > WT_INTERVAL_MAX_MS) {
		*why = "interval outside [100 ms, 1 h]";
		return -1;
	}
	if (b->start_ms > WT_START_MAX_MS) {
		*why = "start delay over 24 h";
		return -1;
	}
	if (!b->map_len || b->map_len > WT_MAP_MAX || b->map_len != len - sizeof(*b)) {
		*why = "System.map length does not match the blob";
		return -1;
	}
	return 0;
}

/* One parsed line: "ADDR TYPE NAME". */
struct sym_line {
	uint64_t addr;
	char type;
	const char *name;
	size_t name_len;
};

/*
 * The line at *off (bounded by len and WT_LINE_MAX); *off moves past it.
 * True when it parsed (invariant 2).
 */
static bool next_line(const char *map, uint64_t len, uint64_t *off, struct sym_line *s)
{
	uint64_t start = *off, end = start, i;
	unsigned digits = 0;

	while (end < len && map[end] != '\n')
		end++;
	*off = end < len ? end + 1 : len;
	if (end - start > WT_LINE_MAX)
		return false;
	s->addr = 0;
	for (i = start; i < end && rt_hexval(map[i]) >= 0; i++, digits++)
		s->addr = s->addr << 4 | (uint64_t)rt_hexval(map[i]);
	if (digits != 16 || i + 3 > end || map[i] != ' ' || map[i + 2] != ' ')
		return false;
	s->type = map[i + 1];
	s->name = map + i + 3;
	s->name_len = (size_t)(end - (i + 3));
	return s->name_len > 0;
}

static bool name_is(const struct sym_line *s, const char *name)
{
	size_t n = rt_strlen(name);

	return s->name_len == n && !rt_memcmp(s->name, name, n);
}

int wt_anchors(const char *map, uint64_t len, struct wt_anchors *a, const char **why)
{
	static const char *const names[] = {
	    "_text",	    "_etext",	    "__start_rodata",	    "__end_rodata",
	    "linux_banner", "init_top_pgt", "idt_table",	    "entry_SYSCALL_64",
	    "entry_SYSCALL_compat", "entry_SYSENTER_compat", "entry_SYSCALL32_ignore"};
	uint64_t *slot[] = {&a->text,	 &a->etext,   &a->rodata,	  &a->erodata,
			    &a->banner, &a->top_pgt, &a->idt,		  &a->syscall,
			    &a->compat_syscall, &a->compat_sysenter, &a->compat_off};
	unsigned found = 0;
	uint64_t off = 0;
	struct sym_line s;

	rt_memset(a, 0, sizeof(*a));
	while (off < len) {
		if (!next_line(map, len, &off, &s))
			continue;
		for (unsigned k = 0; k < sizeof(slot) / sizeof(slot[0]); k++)
			if (!*slot[k] && name_is(&s, names[k]) && s.addr) {
				*slot[k] = s.addr;
				found |= 1u << k;
			}
	}
	if ((found & 0x3f) != 0x3f) {
		*why = "System.map lacks _text, _etext, __start_rodata, __end_rodata, "
		       "linux_banner or init_top_pgt";
		return -1;
	}
	if (a->text >= a->etext || a->etext > a->rodata || a->rodata >= a->erodata ||
	    a->banner < a->rodata || a->banner >= a->erodata || a->top_pgt < a->text ||
	    a->text < WT_KERNEL_MAP || (a->text & (WT_PAGE - 1)) ||
	    a->top_pgt - a->text > (1ULL << 30)) {
		*why = "System.map's kernel layout is not x86-64's (_text < _etext <= "
		       "__start_rodata < __end_rodata, the banner in rodata)";
		return -1;
	}
	if (a->idt && ((a->idt & (WT_PAGE - 1)) || a->idt < a->erodata ||
		       a->idt - a->text > (1ULL << 30)))
		a->idt = 0;
	if (a->syscall < a->text || a->syscall >= a->etext)
		a->syscall = 0;
	if (a->compat_syscall < a->text || a->compat_syscall >= a->etext)
		a->compat_syscall = 0;
	if (a->compat_sysenter < a->text || a->compat_sysenter >= a->etext)
		a->compat_sysenter = 0;
	if (a->compat_off < a->text || a->compat_off >= a->etext)
		a->compat_off = 0;
	return 0;
}

bool wt_sysenter_is(uint64_t v, uint64_t kva, bool low32)
{
	return low32 ? v == (kva & 0xffffffffULL) : v == kva;
}

bool wt_vendor_amd(uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	/* "AuthenticAMD", "HygonGenuine": ebx, edx, ecx */
	return (ebx == 0x68747541 && edx == 0x69746e65 && ecx == 0x444d4163) ||
	       (ebx == 0x6f677948 && edx == 0x6e65476e && ecx == 0x656e6975);
}

unsigned wt_compat_wrong(const struct wt_anchors *a, uint64_t slide, bool known,
			 const struct wt_msrs *m, bool low32)
{
	const bool off = known && a->compat_off && m->cstar == a->compat_off + slide;
	unsigned wrong = 0;

	if (known && a->compat_syscall && !off && m->cstar != a->compat_syscall + slide)
		wrong |= WT_MSR_CSTAR;
	if (known && a->compat_sysenter &&
	    !(off ? !m->sysenter_eip && !m->sysenter_cs
		  : wt_sysenter_is(m->sysenter_eip, a->compat_sysenter + slide, low32)))
		wrong |= WT_MSR_SYSENTER;
	return wrong;
}

static bool symbol_type(char t)
{
	return t == 't' || t == 'T' || t == 'd' || t == 'D' || t == 'r' || t == 'R' || t == 'b' ||
	       t == 'B';
}

bool wt_symbol(const char *map, uint64_t len, uint64_t addr, const char **name,
	       size_t *name_len, uint64_t *sym_addr)
{
	uint64_t off = 0;
	struct sym_line s;
	bool found = false;

	/* Not assumed sorted: the best is kept over one pass. */
	while (off < len) {
		if (!next_line(map, len, &off, &s) || !symbol_type(s.type) || s.addr > addr)
			continue;
		if (!found || s.addr > *sym_addr) {
			*name = s.name;
			*name_len = s.name_len;
			*sym_addr = s.addr;
			found = true;
		}
	}
	return found;
}

/* The 8-byte entry at gpa; false when guest memory does not hold it. */
static bool entry(wt_mem *mem, void *ctx, uint64_t gpa, uint64_t *e)
{
	const void *p = mem(ctx, gpa, 8);

	if (!p)
		return false;
	rt_memcpy(e, p, 8);
	return true;
}

int wt_walk(wt_mem *mem, void *ctx, uint64_t pgd, uint64_t va, uint64_t *pa)
{
	static const uint64_t page_mask[] = {0, 0x3fffffffULL, 0x1fffffULL, 0xfffULL};
	uint64_t t = pgd, e;

	for (unsigned lv = 0; lv < 4; lv++) {
		unsigned shift = 39 - 9 * lv;

		if (!entry(mem, ctx, t + ((va >> shift) & 511) * 8, &e) || !(e & PTE_P))
			return -1;
		if (lv == 3 || (e & PTE_PS)) {
			if (!lv)
				return -1; /* no large page at the top level */
			*pa = (e & PTE_ADDR & ~page_mask[lv]) | (va & page_mask[lv]);
			return 0;
		}
		t = e & PTE_ADDR;
	}
	return -1;
}

bool wt_idtr_ok(wt_mem *mem, void *ctx, uint64_t pgd, uint64_t base, uint32_t limit,
		uint64_t idt_kva, uint64_t idt_gpa)
{
	uint64_t pa;

	if (limit != WT_IDT_LIMIT || (base & (WT_PAGE - 1)))
		return false;
	return base == idt_kva || (!wt_walk(mem, ctx, pgd, base, &pa) && pa == idt_gpa);
}

int wt_find_virt(wt_mem *mem, void *ctx, const struct wt_anchors *a, uint64_t phys,
		 uint64_t *virt, const char **why)
{
	uint64_t pgd = phys + (a->top_pgt - a->text), pud, pmd, e;

	*why = "the kernel's page table (init_top_pgt) does not map it";
	if (!entry(mem, ctx, pgd + 511 * 8, &e) || !(e & PTE_P) || (e & PTE_PS))
		return -1;
	pud = e & PTE_ADDR;
	if (!entry(mem, ctx, pud + 510 * 8, &e) || !(e & PTE_P) || (e & PTE_PS))
		return -1;
	pmd = e & PTE_ADDR;
	for (unsigned i = 0; i < 512; i++) {
		if (!entry(mem, ctx, pmd + i * 8ULL, &e) || !(e & PTE_P))
			continue;
		if (!(e & PTE_PS)) { /* split into 4 KiB pages: the table's first entry */
			if (!entry(mem, ctx, e & PTE_ADDR, &e) || !(e & PTE_P))
				continue;
			if ((e & PTE_ADDR) != phys)
				continue;
		} else if ((e & PMD_ADDR_2M) != phys) {
			continue;
		}
		*virt = WT_KERNEL_MAP + (uint64_t)i * WT_PHYS_ALIGN;
		return 0;
	}
	return -1;
}

int wt_find_phys(wt_mem *mem, void *ctx, const struct wt_map *maps, unsigned n,
		 const struct wt_anchors *a, uint64_t *phys, uint64_t *virt, const char **why)
{
	uint64_t at = a->banner - a->text, first_banner = 0, v = 0;
	unsigned banners = 0, hits = 0;
	const char *vwhy;

	*virt = 0;
	/* Each map's own boundaries (invariant 4): never a walk of the
	 * address space up to the highest map. */
	for (unsigned i = 0; i < n; i++) {
		const struct wt_map *m = &maps[i];
		uint64_t p = (m->gpa + WT_PHYS_ALIGN - 1) & ~(WT_PHYS_ALIGN - 1);

		for (; p >= m->gpa && p - m->gpa < m->size; p += WT_PHYS_ALIGN) {
			const void *b;

			if (p + at + BANNER_LEN < p)
				break;
			if (banners && p == first_banner)
				continue; /* maps that overlap: the same boundary once */
			b = mem(ctx, p + at, BANNER_LEN);
			if (!b || rt_memcmp(b, BANNER, BANNER_LEN))
				continue;
			if (!banners++)
				first_banner = p;
			if (wt_find_virt(mem, ctx, a, p, &v, &vwhy))
				continue;
			if (!hits++) {
				*phys = p;
				*virt = v;
			}
		}
	}
	if (hits == 1)
		return 0;
	if (hits > 1) {
		*why = "more than one kernel image with the banner whose own page table maps it";
		return -2;
	}
	if (banners == 1) {
		/* Its page table does not map it (a layout the walk does not
		 * know, 5-level paging for one): the one banner is the kernel,
		 * watched without its virtual base. */
		*phys = first_banner;
		return 0;
	}
	if (banners) {
		*phys = first_banner;
		*why = "the banner at more than one 2 MiB boundary, and the kernel's page table "
		       "maps none of them";
		return -2;
	}
	*why = "no kernel banner at any 2 MiB boundary (another kernel than System.map's?)";
	return -1;
}

void wt_layout_read(wt_map_query *q, void *ctx, uint64_t max_subs, struct wt_layout *l)
{
	rt_memset(l, 0, sizeof(*l));
	for (uint64_t sub = 1; sub <= max_subs; sub++) {
		struct wt_map m;
		bool guest = false;

		if (q(ctx, sub, 0, &m, &guest) < 0 || !guest || l->nguests++)
			continue;
		l->sub = sub;
		for (uint64_t i = 0; i <= WT_MAX_GMAPS; i++) {
			if (i == WT_MAX_GMAPS) {
				l->cut = q(ctx, sub, i, &m, &guest) >= 0;
				break;
			}
			if (q(ctx, sub, i, &l->map[i], &guest) < 0)
				break;
			l->n++;
		}
	}
}

const char *wt_layout_changed(const struct wt_layout *was, const struct wt_layout *l)
{
	if (!l->nguests)
		return "no guest below my child";
	if (l->nguests > 1)
		return "more than one guest below my child";
	if (l->cut)
		return "the guest's memory in more maps than the watch reads (WT_MAX_GMAPS)";
	if (!was)
		return NULL;
	if (l->sub != was->sub)
		return "the guest is another VM";
	if (l->n != was->n)
		return "the guest's memory moved (another number of maps)";
	for (unsigned i = 0; i < l->n; i++)
		if (l->map[i].gpa != was->map[i].gpa || l->map[i].size != was->map[i].size ||
		    l->map[i].mine != was->map[i].mine)
			return "the guest's memory moved (a map changed)";
	return NULL;
}

void wt_msrs_take(struct wt_msr_ref *ref, const struct wt_msrs *seen, bool entry_ok)
{
	if (ref->known || !entry_ok)
		return;
	ref->known = true;
	ref->v = *seen;
}

unsigned wt_msrs_diff(const struct wt_msr_ref *ref, const struct wt_msrs *seen)
{
	const struct wt_msrs *r = &ref->v;
	unsigned d = 0;

	if (!ref->known)
		return 0;
	if (seen->cstar != r->cstar)
		d |= WT_MSR_CSTAR;
	if (seen->star != r->star)
		d |= WT_MSR_STAR;
	if (seen->sysenter_cs != r->sysenter_cs || seen->sysenter_eip != r->sysenter_eip)
		d |= WT_MSR_SYSENTER;
	return d;
}
