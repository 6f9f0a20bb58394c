/* SPDX-License-Identifier: MIT */
/*
 * The watch layer (wtl.h): the guest kernel's text and read-only data
 * and the page of its IDT's gates (idt_table), hashed page by page and
 * copied once the guest has booted, and compared with the copy every
 * interval; a changed page is an alert naming its guest-physical and
 * kernel-virtual address, the symbol of its first changed byte, and its
 * hashes before and after.
 *
 * Invariants:
 *  1. The blob is checked (wt_blob_check) before anything reads it, and
 *     again once sealed: what is checked last is what is used; a blob that
 *     fails ends the layer.
 *  2. Where the guest's memory lies is asked of the root (RP_HC_MAP_INFO),
 *     never of our child: the vmm runs closest to the guest, and a guest
 *     that took it over must not be able to point us at a decoy copy. It
 *     is asked again at every check: a guest moved to other memory, a
 *     second guest, or maps past what we read is an alert, and the
 *     kernel, found again in the new layout, is compared with the copy
 *     taken before (never a fresh baseline of what the mover left).
 *     Having a baseline (based) is not being located now (found): only
 *     the first location after wtl_seal (our child rebuilt, its guest
 *     booting again) copies the guest's pages; every later one, after a
 *     layout that could not be read, a page outside guest memory or a
 *     move, compares what it finds with the copy, a page alert for each
 *     difference. A layout other than the baseline's is an alert at every
 *     check until it is the baseline's again (a decoy in a new layout is
 *     compared, and the move still said).
 *  3. Every read of guest memory goes through guest_mem: whole inside one
 *     map the root reported, and inside our own memory.
 *  4. Our working memory (the kernel's pages as last seen, their hashes)
 *     lies above our child's region and below our memory's end, checked
 *     before it is used; nothing the guest does grows it.
 *  5. Bounded work per interval: one pass over at most WTL_MAX_PAGES
 *     pages, at most WTL_ALERTS_PER_CHECK page alerts written (the rest
 *     counted) and two about the layout or the kernel's place, each alert
 *     one bounded walk of the map; the layout read is RP_MAX_CHILDREN +
 *     WT_MAX_GMAPS + 1 calls at most, and a kernel located again one
 *     search (invariant 4 of fw/watch.c).
 *  6. With the kernel's virtual base known, each watched page's virtual
 *     address is also walked through the kernel's own tables (from
 *     init_top_pgt) at each check: a page that no longer maps the
 *     physical page compared (a PMD or PTE pointed at a patched copy) is
 *     an alert, once per change of that state.
 *  8. The guest's vCPUs' IDT register and system call entry (LSTAR) are
 *     read from the root (RP_HC_VCPU_CTL), never from our child, at the
 *     baseline and at every check: a base that is not idt_table's (or
 *     its read-only alias, walked through init_top_pgt), a limit that is
 *     not WT_IDT_LIMIT, an LSTAR that is not entry_SYSCALL_64 (each
 *     KASLR-shifted), or a value other than the vCPU's first good one is
 *     an alert, once per value seen (then a line when it is back); a
 *     vCPU not yet in 64-bit paging mode (an AP before its SIPI) is not
 *     compared until it is. At most RP_MAX_VCPUS reads per check.
 *  9. The other system call entries (CSTAR, STAR, SYSENTER_EIP with its
 *     CS) of every vCPU in 64-bit mode are compared with one reference for
 *     the guest (fw/watch.c's wt_msrs), zeros included, taken from the
 *     first vCPU read whose LSTAR is the kernel's: never a vCPU's own
 *     first value, which a rootkit could have written before it was seen;
 *     CSTAR and SYSENTER_EIP also with entry_SYSCALL_compat and
 *     entry_SYSENTER_compat (KASLR-shifted) where System.map names them,
 *     so a hook already in place when the reference is taken is seen.
 *  7. Nothing the guest can do turns the watch off for good: a kernel not
 *     found, or found ambiguously (an alert), is looked for again at the
 *     next interval; after the baseline, each check that cannot compare
 *     is an alert. Only what the operator gave (a System.map without
 *     the symbols, a kernel larger than our memory) ends the watch.
 */
#include "layer/wtl.h"

#include "fw/watch.h"
#include "layer/hc.h"
#include "layer/layer.h"
#include "layer/lib.h"
#include "layer/policy.h"
#include "lib/rt.h"
#include "lib/sha256.h"

#define BIG_PAGE 0x200000ULL
/* The kernel image watched, text and rodata together: Debian's 6.1 has
 * 22 MiB of them; a kernel of twice that is still watched whole. */
#define WTL_MAX_PAGES 12288u
/* Alert lines per check: a guest rewriting its whole kernel (or a new
 * kernel after kexec) would otherwise write thousands; the rest counted. */
#define WTL_ALERTS_PER_CHECK 16u
/* A counters report after the baseline and every this many checks (the
 * root keeps the last for SIGUSR1 and the end), and one at the end. */
#define WTL_REPORT_CHECKS 10u

enum {
	C_PAGES,
	C_CHECKS,
	C_CHANGES,
	C_UNLOGGED,
	C_HASH_CYCLES,
	C_CHECK_CYCLES,
	C_CTL_READS,
	C_IDTR_ALERTS,
	C_LSTAR_ALERTS,
	C_MSR_ALERTS,
	C_KEYS
};
static const char *const names[C_KEYS] = {
    "pages",	 "checks",	"changes",	"alerts_unlogged", "hash_cycles",
    "check_cycles", "ctl_reads", "idtr_alerts", "lstar_alerts",	 "msr_alerts"};

struct region {
	const char *name;
	uint64_t link, pages; /* link-time address (page aligned), length in pages */
};

static struct rp_boot_info own;
static const struct rp_blob *blob_at;
static const struct wt_blob *blob;
static struct wt_anchors anchors;
/* The guest's maps: at the baseline (ref), where the kernel was last
 * located (base: what guest_mem reads), and as read at this check. */
static struct wt_layout ref, base, latest;
static struct rp_map_info info_buf;
static const char *last_why; /* the last "not watching" line, written once */
/* Pages whose virtual address does not map them now (invariant 6). */
static uint64_t unmapped[WTL_MAX_PAGES / 64];
static uint64_t nunmapped;
static struct region regions[3]; /* text, rodata, the IDT's table */
static unsigned nregions;
static uint64_t npages, phys, virt_slide, elapsed_ms, count[C_KEYS];
/* based: the copy and hashes hold the baseline (until wtl_seal);
 * found: the kernel is located in base now (invariant 2). */
static bool based, found, gave_up, virt_known, tried;
static unsigned logged_now; /* alert lines in this check */
static int64_t child_vm;
static uint8_t *copy;			   /* the pages as last seen */
static uint8_t (*hashes)[SHA256_BYTES]; /* and their hashes */
static uint8_t *work_end;
static uint8_t scratch[WT_PAGE]; /* a changed page, read once */

/*
 * One watched register of one guest vCPU (invariant 8), a value and its
 * companion (the IDT's limit; 0 for LSTAR): its first value that was the
 * kernel's (good), and the wrong one last alerted (bad).
 */
struct reg_watch {
	bool known, alerted;
	uint64_t good, good_aux, bad, bad_aux;
};
static struct {
	struct reg_watch idtr, lstar, cstar, star, sysenter;
} vcpus[RP_MAX_VCPUS];
/* The guest's one reference for its vCPUs' other entry registers
 * (invariant 9), and what each vCPU held at this check. */
static struct wt_msr_ref msr_ref;
static bool sysenter_low32; /* the vCPUs keep 32 bits of SYSENTER_EIP (vendor_amd) */
static struct wt_msrs msr_seen[RP_MAX_VCPUS];
static struct rp_vcpu_ctl ctl_buf;
static unsigned ctl_vcpus; /* vCPUs read at the last check, in 64-bit mode */

/* The guest's vCPUs run on this CPU's vendor (the root gives every VM
 * the host's CPUID): on AMD and Hygon KVM keeps SYSENTER_EIP's low 32
 * bits only. */
static bool vendor_amd(void)
{
	uint32_t a = 0, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return wt_vendor_amd(b, c, d);
}

static __attribute__((noreturn)) void wtl_fail(const char *what, const char *detail)
{
	layer_fail("watch", what, detail);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static void check_blob(void)
{
	const char *why = "?";

	if (wt_blob_check((const void *)(uintptr_t)blob_at->gpa, blob_at->size, &why))
		wtl_fail("blob refused", why);
	blob = (const struct wt_blob *)(uintptr_t)blob_at->gpa;
}

const struct rp_boot_info *wtl_setup(const struct rp_boot_info *info, uint8_t **child_base)
{
	uint64_t end;
	const char *why = policy_split(info, &own, &blob_at, &end);

	if (why)
		wtl_fail(why, NULL);
	check_blob();
	*child_base = (uint8_t *)(uintptr_t)align_up(end, BIG_PAGE);
	return &own;
}

void wtl_seal(int64_t vm, uint64_t child_size)
{
	if (hc_vm_map((uint64_t)vm, child_size, blob_at->gpa, align_up(blob_at->size, 4096),
		      RP_MAP_R) < 0)
		wtl_fail("RP_HC_VM_MAP refused the blob's seal", NULL);
	/* A rebuilt child boots its guest again: found again, from its boot. */
	child_vm = vm;
	based = found = gave_up = tried = false;
	last_why = NULL;
	elapsed_ms = 0;
	rt_memset(vcpus, 0, sizeof(vcpus));
	rt_memset(&msr_ref, 0, sizeof(msr_ref));
	ctl_vcpus = 0;
}

void wtl_start(int64_t vm, const uint8_t *child_base, uint64_t child_size)
{
	struct line l = {.len = 0};

	check_blob(); /* sealed now: this is what is used (invariant 1) */
	child_vm = vm;
	copy = (uint8_t *)(uintptr_t)align_up(gpa_of(child_base) + child_size, BIG_PAGE);
	work_end = (uint8_t *)(uintptr_t)own.mem_size;
	sysenter_low32 = vendor_amd(); /* the CPU's: once */
	if (hc5(RP_HC_TIMER, blob->interval_ms * 1000000ULL, 0, 0, 0, 0) < 0)
		wtl_fail("RP_HC_TIMER refused", NULL);
	line_str(&l, "watch: System.map of ");
	line_dec(&l, blob->map_len);
	line_str(&l, " bytes; first hash after ");
	line_dec(&l, blob->start_ms);
	line_str(&l, " ms, then every ");
	line_dec(&l, blob->interval_ms);
	line_str(&l, " ms");
	line_send(&l);
}

/* Guest-physical [gpa, +len) in our memory (invariant 3). */
static const void *guest_mem(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	for (unsigned i = 0; i < base.n; i++) {
		const struct wt_map *m = &base.map[i];

		if (gpa >= m->gpa && gpa - m->gpa < m->size && rt_range_ok(gpa - m->gpa, len, m->size) &&
		    rt_range_ok(m->mine + (gpa - m->gpa), len, own.mem_size))
			return (const void *)(uintptr_t)(m->mine + (gpa - m->gpa));
	}
	return NULL;
}

/* One map of a grandchild, from the root (invariant 2). */
static int map_query(void *ctx, uint64_t sub, uint64_t index, struct wt_map *m, bool *guest)
{
	(void)ctx;
	if (hc5(RP_HC_MAP_INFO, (uint64_t)child_vm, sub, index, gpa_of(&info_buf), 0) < 0)
		return -1;
	*m = (struct wt_map){info_buf.child_gpa, info_buf.size, info_buf.my_gpa};
	*guest = info_buf.flags & RP_MAPINFO_GUEST;
	return 0;
}

/* Not watching, for now (invariant 7): said once per reason. */
static void not_yet(const char *what, const char *why)
{
	struct line l = {.len = 0};

	if (why == last_why)
		return;
	last_why = why;
	line_str(&l, "watch: ");
	line_str(&l, what);
	line_str(&l, ": ");
	line_str(&l, why);
	line_str(&l, "; not watching, looking again every interval");
	line_send(&l);
}

/* For good: what the operator gave does not fit. */
static void give_up(const char *what, const char *why)
{
	struct line l = {.len = 0};

	gave_up = true;
	line_str(&l, "watch: ");
	line_str(&l, what);
	line_str(&l, ": ");
	line_str(&l, why);
	line_str(&l, "; not watching");
	line_send(&l);
}

/* Not a page: the guest's layout, or the kernel's place, is suspect.
 * region is "layout" or "kernel"; the root makes it a watch_alert. */
static void layout_alert(const char *region, const char *why)
{
	struct line l = {.len = 0};

	count[C_CHANGES]++;
	line_str(&l, "watchalert region=");
	line_str(&l, region);
	line_kv(&l, "check", count[C_CHECKS]);
	line_str(&l, " why=");
	line_str(&l, why);
	line_send(&l);
}

/*
 * The guest's maps and the kernel's place in them (phys, virt_slide):
 * true when found. On false, said why and to be tried again at the next
 * interval: before the baseline a line, or an alert when it is suspect,
 * once per reason; after it, the check cannot compare: an alert every
 * time, but for a layout the caller has already alerted (invariant 2).
 */
static bool locate(struct wt_layout *l, bool layout_said)
{
	const char *why = "?";
	uint64_t virt = 0;
	int r;

	if (!l->nguests && !based) {
		not_yet("no guest below my child", "RP_HC_MAP_INFO found none");
		return false;
	}
	why = wt_layout_changed(NULL, l);
	if (why) {
		if ((based && !layout_said) || (!based && why != last_why))
			layout_alert("layout", why);
		last_why = why;
		return false;
	}
	r = wt_find_phys(guest_mem, NULL, l->map, l->n, &anchors, &phys, &virt, &why);
	if (r == -2 || (r && based)) {
		if (based || why != last_why)
			layout_alert("kernel", why);
		last_why = why;
		return false;
	}
	if (r) {
		not_yet("the guest kernel", why);
		return false;
	}
	virt_known = virt != 0;
	virt_slide = virt_known ? virt - anchors.text : 0;
	last_why = NULL;
	return true;
}

/* Page k (< npages) of the watched image: its link-time address. */
static uint64_t page_link(uint64_t k, const struct region **rg)
{
	unsigned r = 0;

	while (r + 1 < nregions && k >= regions[r].pages)
		k -= regions[r++].pages;
	*rg = &regions[r];
	return (*rg)->link + k * WT_PAGE;
}

static const uint8_t *page_guest(uint64_t k)
{
	const struct region *rg;

	return guest_mem(NULL, phys + (page_link(k, &rg) - anchors.text), WT_PAGE);
}

/* The first n bytes of a hash in hex (an alert's short form). */
static void line_hexbytes(struct line *l, const uint8_t *b, unsigned n)
{
	static const char digits[] = "0123456789abcdef";
	char s[2 * SHA256_BYTES + 1];

	for (unsigned i = 0; i < n && i < SHA256_BYTES; i++) {
		s[2 * i] = digits[b[i] >> 4];
		s[2 * i + 1] = digits[b[i] & 15];
	}
	s[2 * (n < SHA256_BYTES ? n : SHA256_BYTES)] = 0;
	line_str(l, s);
}

static void hash_page(const uint8_t *p, uint8_t out[SHA256_BYTES])
{
	struct sha256 c;

	sha256_init(&c);
	sha256_update(&c, p, WT_PAGE);
	sha256_final(&c, out);
}

static void check_mappings(bool baseline);
static void check_vcpus(bool baseline);

/* The kernel's place, then the baseline: each page copied and hashed. */
static void find_kernel(void)
{
	struct line l = {.len = 0};
	const char *why = "?";
	uint64_t tsc;

	logged_now = 0;
	if (wt_anchors(wt_map_text(blob), blob->map_len, &anchors, &why))
		return give_up("System.map", why);
	wt_layout_read(map_query, NULL, RP_MAX_CHILDREN, &base);
	if (!locate(&base, false))
		return;
	regions[0] = (struct region){"text", anchors.text,
				     align_up(anchors.etext - anchors.text, WT_PAGE) / WT_PAGE};
	regions[1] = (struct region){"rodata", anchors.rodata & ~(uint64_t)(WT_PAGE - 1), 0};
	regions[1].pages = align_up(anchors.erodata - regions[1].link, WT_PAGE) / WT_PAGE;
	/* The table the IDT gates live in (the CPU reads it through a
	 * read-only alias): one page, in bss, when the map names it. */
	regions[2] = (struct region){"idt", anchors.idt, anchors.idt ? 1 : 0};
	nregions = anchors.idt ? 3 : 2;
	npages = regions[0].pages + regions[1].pages + regions[2].pages;
	hashes = (uint8_t(*)[SHA256_BYTES])(uintptr_t)(copy + npages * WT_PAGE);
	if (npages > WTL_MAX_PAGES)
		return give_up("the guest kernel", "larger than WTL_MAX_PAGES");
	if ((uint8_t *)(hashes + npages) > work_end || (uint8_t *)(hashes + npages) < copy)
		return give_up("my memory", "too small for the kernel's pages (give more layer memory)");
	tsc = tsc_fenced();
	for (uint64_t k = 0; k < npages; k++) {
		const uint8_t *p = page_guest(k);

		if (!p)
			return not_yet("the guest kernel", "a page outside guest memory");
		rt_memcpy(copy + k * WT_PAGE, p, WT_PAGE);
		hash_page(copy + k * WT_PAGE, hashes[k]);
	}
	check_mappings(true);
	count[C_HASH_CYCLES] += tsc_fenced() - tsc;
	count[C_PAGES] = npages;
	rt_memcpy(&ref, &base, sizeof(ref));
	based = found = true;
	line_str(&l, "watch: guest kernel at gpa ");
	line_hex(&l, phys);
	line_str(&l, virt_known ? ", _text at " : ", _text not in its page table, as linked at ");
	line_hex(&l, anchors.text + virt_slide);
	line_str(&l, "; ");
	line_dec(&l, regions[0].pages);
	line_str(&l, " text and ");
	line_dec(&l, regions[1].pages);
	line_str(&l, " rodata pages");
	line_str(&l, anchors.idt ? " and the IDT's table hashed" : " hashed (no idt_table)");
	if (virt_known) {
		line_str(&l, "; ");
		line_dec(&l, nunmapped);
		line_str(&l, " not mapped at their address by init_top_pgt");
	}
	line_send(&l);
	check_vcpus(true);
}

/* Page k's virtual address maps the page compared (invariant 6). */
static bool page_mapped(uint64_t k)
{
	const struct region *rg;
	uint64_t link = page_link(k, &rg), pa;

	return !wt_walk(guest_mem, NULL, phys + (anchors.top_pgt - anchors.text), link + virt_slide,
			&pa) &&
	       pa == phys + (link - anchors.text);
}

/* Each page's mapping against what it was (alert on a change to wrong),
 * or, at the baseline, recorded without alerts. */
static void check_mappings(bool baseline)
{
	if (!virt_known)
		return;
	if (baseline) {
		rt_memset(unmapped, 0, sizeof(unmapped));
		nunmapped = 0;
	}
	for (uint64_t k = 0; k < npages; k++) {
		bool was = unmapped[k / 64] >> (k % 64) & 1, is = !page_mapped(k);
		struct line l = {.len = 0};
		const struct region *rg;
		uint64_t link = page_link(k, &rg), sym_addr = 0;
		const char *name = NULL;
		size_t name_len = 0;

		if (was == is)
			continue;
		unmapped[k / 64] ^= 1ULL << (k % 64);
		nunmapped += is ? 1 : (uint64_t)-1;
		if (baseline || !is)
			continue;
		count[C_CHANGES]++;
		if (logged_now >= WTL_ALERTS_PER_CHECK) {
			count[C_UNLOGGED]++;
			continue;
		}
		logged_now++;
		line_str(&l, "watchalert region=remap");
		line_kv(&l, "check", count[C_CHECKS]);
		line_str(&l, " why=kva ");
		line_hex(&l, link + virt_slide);
		line_str(&l, " (");
		line_str(&l, rg->name);
		line_str(&l, " ");
		if (wt_symbol(wt_map_text(blob), blob->map_len, link, &name, &name_len, &sym_addr)) {
			char sym[WT_LINE_MAX + 1];

			rt_memcpy(sym, name, name_len);
			sym[name_len] = 0;
			line_str(&l, sym);
			line_str(&l, "+");
			line_hex(&l, link - sym_addr);
		} else {
			line_str(&l, "?");
		}
		line_str(&l, ") no longer maps the kernel's page at gpa ");
		line_hex(&l, phys + (link - anchors.text));
		line_send(&l);
	}
}

/* One changed page: the alert names its first changed byte (invariant 5). */
static void alert(uint64_t k, const uint8_t *now, const uint8_t h[SHA256_BYTES])
{
	struct line l = {.len = 0};
	const struct region *rg;
	uint64_t link = page_link(k, &rg), first = WT_PAGE, bytes = 0, sym_addr = 0;
	const uint8_t *was = copy + k * WT_PAGE;
	const char *name = NULL;
	size_t name_len = 0;

	for (uint64_t i = 0; i < WT_PAGE; i++)
		if (was[i] != now[i]) {
			bytes++;
			if (first == WT_PAGE)
				first = i;
		}
	count[C_CHANGES]++;
	if (logged_now >= WTL_ALERTS_PER_CHECK) {
		count[C_UNLOGGED]++;
		return;
	}
	logged_now++;
	line_str(&l, "watchalert region=");
	line_str(&l, rg->name);
	line_str(&l, " gpa=");
	line_hex(&l, phys + (link - anchors.text));
	line_str(&l, " kva=");
	line_hex(&l, link + virt_slide);
	line_str(&l, " at=");
	line_hex(&l, link + first + virt_slide);
	line_kv(&l, "bytes", bytes);
	line_kv(&l, "check", count[C_CHECKS]);
	line_str(&l, " was=");
	line_hexbytes(&l, hashes[k], 8);
	line_str(&l, " now=");
	line_hexbytes(&l, h, 8);
	line_str(&l, " symbol=");
	if (wt_symbol(wt_map_text(blob), blob->map_len, link + first, &name, &name_len, &sym_addr)) {
		char sym[WT_LINE_MAX + 1];

		rt_memcpy(sym, name, name_len);
		sym[name_len] = 0;
		line_str(&l, sym);
		line_str(&l, "+");
		line_hex(&l, link + first - sym_addr);
	} else {
		line_str(&l, "?");
	}
	line_send(&l);
}

/* Word-wise: a check compares the whole image, 22 MiB, each interval. */
typedef uint64_t __attribute__((may_alias)) word_t;

static bool page_same(const uint8_t *a, const uint8_t *b)
{
	const word_t *x = (const word_t *)(const void *)a, *y = (const word_t *)(const void *)b;
	word_t diff = 0;

	for (unsigned i = 0; i < WT_PAGE / sizeof(word_t); i++)
		diff |= x[i] ^ y[i];
	return !diff;
}

/*
 * Each page against its copy, which lies in our memory where the guest
 * cannot reach it: as strong as comparing hashes and some 20 times
 * cheaper (the hash is computed for a changed page only, for its alert).
 * False when a page is no longer in guest memory (alerted: the kernel is
 * located again at the next check, and compared again).
 */
static bool compare_pages(void)
{
	uint8_t h[SHA256_BYTES];

	for (uint64_t k = 0; k < npages; k++) {
		const uint8_t *p = page_guest(k);

		if (!p) {
			layout_alert("kernel", "a page of the kernel outside guest memory");
			return false;
		}
		if (page_same(p, copy + k * WT_PAGE))
			continue;
		/* One copy of the page as it is now: hashed and reported as that. */
		rt_memcpy(scratch, p, WT_PAGE);
		hash_page(scratch, h);
		alert(k, scratch, h);
		/* The change is the new baseline: it alerts once, a further change again. */
		rt_memcpy(copy + k * WT_PAGE, scratch, WT_PAGE);
		rt_memcpy(hashes[k], h, SHA256_BYTES);
	}
	return true;
}

/* ---- the vCPUs' IDT register and system call entry (invariant 8) ---------------- */

#define CR0_PG (1ULL << 31)
#define EFER_LMA (1ULL << 10)

/* What a register is, and where its alerts are counted. */
struct reg_kind {
	const char *name, *why; /* why: what is wrong when System.map says no */
	unsigned counter;
};
static const struct reg_kind k_idtr = {
	"idtr",
	"not idt_table's address nor one the kernel's page table maps onto its page, or a "
	"limit other than 0xfff",
	C_IDTR_ALERTS};
static const struct reg_kind k_lstar = {"lstar", "not entry_SYSCALL_64's address",
					C_LSTAR_ALERTS};
/*
 * The other entries a rootkit hooks (the 32-bit syscall and sysenter
 * entries, the selectors syscall loads): each vCPU's are compared with the
 * guest's one reference (invariant 9), and CSTAR and SYSENTER_EIP with
 * System.map's entry_SYSCALL_compat and entry_SYSENTER_compat where it
 * names them (a kernel with ia32 emulation); SYSENTER_CS goes with
 * SYSENTER_EIP.
 */
#define MSR_WHY "not the guest's reference (its vCPUs' values at the baseline)"
#define CSTAR_MAP_WHY "not entry_SYSCALL_compat's address"
#define SYSENTER_MAP_WHY "not entry_SYSENTER_compat's address"
static const struct reg_kind k_cstar = {"cstar", MSR_WHY, C_MSR_ALERTS};
static const struct reg_kind k_star = {"star", MSR_WHY, C_MSR_ALERTS};
static const struct reg_kind k_sysenter = {"sysenter", MSR_WHY, C_MSR_ALERTS};

/* One alert for register k of vCPU i: the value seen, the one expected, why. */
static void reg_alert(const struct reg_kind *k, unsigned i, uint64_t seen, uint64_t aux,
		      uint64_t expected, const char *why)
{
	struct line l = {.len = 0};

	count[C_CHANGES]++;
	count[k->counter]++;
	if (logged_now >= WTL_ALERTS_PER_CHECK) {
		count[C_UNLOGGED]++;
		return;
	}
	logged_now++;
	line_str(&l, "watchalert region=");
	line_str(&l, k->name);
	line_kv(&l, "vcpu", i);
	line_kv(&l, "check", count[C_CHECKS]);
	line_str(&l, " seen=");
	line_hex(&l, seen);
	if (k == &k_idtr || k == &k_sysenter) {
		line_str(&l, k == &k_idtr ? " limit=" : " cs=");
		line_hex(&l, aux);
	}
	line_str(&l, " expected=");
	line_hex(&l, expected);
	line_str(&l, " why=");
	line_str(&l, why);
	line_send(&l);
}

/*
 * One register of vCPU i as it is now, (v, aux): right or not (expected:
 * what it should hold, why: what is wrong); alerted once per wrong value,
 * and a line when it is back. Returns right.
 */
static bool reg_state(struct reg_watch *w, const struct reg_kind *k, unsigned i, uint64_t v,
		      uint64_t aux, bool right, uint64_t expected, const char *why)
{
	struct line l = {.len = 0};

	if (!right) {
		if (!w->alerted || v != w->bad || aux != w->bad_aux)
			reg_alert(k, i, v, aux, expected, why);
		w->alerted = true;
		w->bad = v;
		w->bad_aux = aux;
		return false;
	}
	if (w->alerted) {
		w->alerted = false;
		line_str(&l, "watch: vCPU ");
		line_dec(&l, i);
		line_str(&l, " ");
		line_str(&l, k->name);
		line_str(&l, " back to ");
		line_hex(&l, v);
		line_kv(&l, "check", count[C_CHECKS]);
		line_send(&l);
	}
	return true;
}

/*
 * One register of vCPU i: (v, aux), the kernel's when map_ok (System.map's
 * test passed, or none applies; want: what System.map expects). Wrong when
 * map_ok fails or it is not the first good value. True when it is right.
 */
static bool reg_check(struct reg_watch *w, const struct reg_kind *k, unsigned i, uint64_t v,
		      uint64_t aux, bool map_ok, uint64_t want)
{
	if (map_ok && !w->known) {
		w->known = true;
		w->good = v;
		w->good_aux = aux;
	}
	return reg_state(w, k, i, v, aux, map_ok && v == w->good && aux == w->good_aux,
			 w->known ? w->good : want,
			 map_ok ? "changed from its value at the baseline" : k->why);
}

/* vCPU i's other entries (msr_seen[i]) against the guest's reference,
 * CSTAR and SYSENTER_EIP against System.map where it names them: the
 * compat entries, or (ia32 emulation off at boot) CSTAR the ignoring
 * entry and SYSENTER_EIP 0. */
static unsigned msrs_check(unsigned i)
{
	const struct wt_msrs *m = &msr_seen[i], *r = &msr_ref.v;
	const unsigned d = wt_msrs_diff(&msr_ref, m);
	const unsigned w = wt_compat_wrong(&anchors, virt_slide, virt_known, m, sysenter_low32);
	const uint64_t cs_kva = anchors.compat_syscall + virt_slide;
	const uint64_t se_kva = anchors.compat_sysenter + virt_slide;
	const bool cs_map = !(w & WT_MSR_CSTAR), se_map = !(w & WT_MSR_SYSENTER);

	if (!msr_ref.known)
		return 0;
	return !reg_state(&vcpus[i].cstar, &k_cstar, i, m->cstar, 0,
			  cs_map && !(d & WT_MSR_CSTAR), cs_map ? r->cstar : cs_kva,
			  cs_map ? k_cstar.why : CSTAR_MAP_WHY) +
	       !reg_state(&vcpus[i].star, &k_star, i, m->star, 0, !(d & WT_MSR_STAR), r->star,
			  k_star.why) +
	       !reg_state(&vcpus[i].sysenter, &k_sysenter, i, m->sysenter_eip, m->sysenter_cs,
			  se_map && !(d & WT_MSR_SYSENTER), se_map ? r->sysenter_eip : se_kva,
			  se_map ? k_sysenter.why : SYSENTER_MAP_WHY);
}

/*
 * Every vCPU of the guest (base.sub's, in our child's numbering), read
 * from the root: its IDT register and LSTAR against System.map and their
 * first good values, their other entries against the guest's reference.
 * At the baseline, one line saying what was verified.
 */
static void check_vcpus(bool baseline)
{
	const uint64_t pgd = phys + (anchors.top_pgt - anchors.text);
	const uint64_t idt_kva = anchors.idt + virt_slide;
	const uint64_t idt_gpa = phys + (anchors.idt - anchors.text);
	const uint64_t entry = anchors.syscall + virt_slide;
	const bool idt_known = virt_known && anchors.idt;
	const bool entry_known = virt_known && anchors.syscall;
	const struct rp_vcpu_ctl *c = &ctl_buf;
	uint64_t idt0 = 0, lstar0 = 0;
	struct line l = {.len = 0};
	unsigned n = 0, wrong = 0;
	bool read[RP_MAX_VCPUS] = {false};
	int64_t r = 0;

	for (unsigned i = 0; i < RP_MAX_VCPUS; i++) {
		bool idt_ok;

		r = hc5(RP_HC_VCPU_CTL, (uint64_t)child_vm, base.sub << 8 | i, gpa_of(&ctl_buf), 0,
			0);
		/* a dead vCPU hides none behind it: a vmm that let vCPU 0 die and ran the
		 * guest on vCPU 1 would otherwise go unchecked */
		if (r == -RP_EDEAD)
			continue;
		if (r < 0)
			break;
		count[C_CTL_READS]++;
		if (!(c->cr0 & CR0_PG) || !(c->efer & EFER_LMA))
			continue; /* not running the kernel yet */
		if (!n++)
			idt0 = c->idt.base, lstar0 = c->lstar;
		idt_ok = !idt_known || wt_idtr_ok(guest_mem, NULL, pgd, c->idt.base, c->idt.limit,
						  idt_kva, idt_gpa);
		wrong += !reg_check(&vcpus[i].idtr, &k_idtr, i, c->idt.base, c->idt.limit, idt_ok,
				    idt_kva);
		wrong += !reg_check(&vcpus[i].lstar, &k_lstar, i, c->lstar, 0,
				    !entry_known || c->lstar == entry, entry);
		msr_seen[i] = (struct wt_msrs){.cstar = c->cstar,
					       .star = c->star,
					       .sysenter_cs = c->sysenter_cs,
					       .sysenter_eip = c->sysenter_eip};
		read[i] = true;
		/* the reference: a vCPU past syscall_init, which writes LSTAR with them */
		wt_msrs_take(&msr_ref, &msr_seen[i], entry_known ? c->lstar == entry : c->lstar != 0);
	}
	/* every vCPU read, those before the reference's too, held to it */
	for (unsigned i = 0; i < RP_MAX_VCPUS; i++)
		if (read[i])
			wrong += msrs_check(i);
	ctl_vcpus = n;
	if (!baseline)
		return;
	line_str(&l, "watch: ");
	if (!n) {
		line_str(&l, r == -RP_ENOSYS ? "the root does not give vCPU state (RP_HC_VCPU_CTL)"
					     : "no guest vCPU in 64-bit mode yet");
		line_str(&l, "; idtr and lstar not checked yet");
		line_send(&l);
		return;
	}
	line_dec(&l, n);
	line_str(&l, " guest vCPU(s), idtr ");
	line_hex(&l, idt0);
	line_str(&l, " lstar ");
	line_hex(&l, lstar0);
	if (msr_ref.known) {
		line_str(&l, " cstar ");
		line_hex(&l, msr_ref.v.cstar);
		line_str(&l, " sysenter ");
		line_hex(&l, msr_ref.v.sysenter_eip);
	}
	if (wrong)
		line_str(&l, ": NOT the kernel's (alerted)");
	else if (idt_known && entry_known) {
		line_str(&l, idt0 == idt_kva ? ": idt_table" : ": idt_table's page (its read-only alias)");
		line_str(&l, msr_ref.known && anchors.compat_syscall && anchors.compat_sysenter
				 ? ", entry_SYSCALL_64, entry_SYSCALL_compat and "
				   "entry_SYSENTER_compat, verified"
				 : " and entry_SYSCALL_64, verified");
	}
	else
		line_str(&l, virt_known ? ": System.map lacks idt_table or entry_SYSCALL_64, "
					  "baseline only"
					: ": the kernel's virtual base unknown, baseline only");
	line_send(&l);
}

/* Located again after the baseline: said, and compared (never copied). */
static void found_again(void)
{
	struct line l = {.len = 0};

	line_str(&l, "watch: guest kernel found again at gpa ");
	line_hex(&l, phys);
	line_kv(&l, "check", count[C_CHECKS]);
	line_str(&l, "; compared with the baseline");
	line_send(&l);
}

/*
 * One check after the baseline (invariant 2): the layout read again, an
 * alert while it is not the baseline's; the kernel located again when it
 * was lost or its layout changed, then its pages compared with the copy.
 */
static void check_kernel(void)
{
	uint64_t tsc = tsc_fenced();
	const char *moved, *odd;

	count[C_CHECKS]++;
	logged_now = 0;
	wt_layout_read(map_query, NULL, RP_MAX_CHILDREN, &latest);
	moved = wt_layout_changed(&ref, &latest);
	if (moved)
		layout_alert("layout", moved); /* every check until it is back */
	if (found && wt_layout_changed(&base, &latest))
		found = false;
	if (!found) {
		odd = wt_layout_changed(NULL, &latest);
		rt_memcpy(&base, &latest, sizeof(base));
		if (!locate(&base, odd == moved && odd))
			goto out;
		found = true;
		found_again();
	}
	if (!compare_pages()) {
		found = false;
	} else {
		check_mappings(false);
		check_vcpus(false);
	}
out:
	count[C_CHECK_CYCLES] += tsc_fenced() - tsc;
}

void wtl_tick(void)
{
	if (!blob)
		return;
	elapsed_ms += blob->interval_ms;
	hc5(RP_HC_TIMER, blob->interval_ms * 1000000ULL, 0, 0, 0, 0);
	if (gave_up || elapsed_ms < blob->start_ms)
		return;
	if (!based) {
		/* Reported when found, and after the first try (invariant 7:
		 * the tries go on, the report says found=0 meanwhile). */
		find_kernel();
		if (found || !tried)
			wtl_report();
		tried = true;
	} else {
		check_kernel();
		if (count[C_CHECKS] % WTL_REPORT_CHECKS == 0)
			wtl_report();
	}
}

/*
 * The operator asked (SIGUSR1 to the root, RP_EV_CHECK): a check now,
 * outside the timer's rhythm, and its report at once.
 */
void wtl_check_now(void)
{
	if (!blob || gave_up)
		return;
	hc_log("watch: a check on demand");
	if (!based) {
		find_kernel();
		tried = true;
	} else {
		check_kernel();
	}
	wtl_report();
}

void wtl_report(void)
{
	struct line l = {.len = 0};

	if (!blob)
		return;
	line_str(&l, "watchstats");
	for (unsigned k = 0; k < C_KEYS; k++)
		line_kv(&l, names[k], count[k]);
	line_kv(&l, "found", found);
	line_kv(&l, "virt_known", virt_known);
	line_kv(&l, "vcpus", ctl_vcpus);
	line_kv(&l, "uptime_ms", elapsed_ms);
	line_kv(&l, "restarts", own.restarts);
	line_send(&l);
}
