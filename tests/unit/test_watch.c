/* SPDX-License-Identifier: MIT */
/* The watch's engine (src/fw/watch.c): the blob check against each corrupt
 * field; System.map's anchors and symbols from a small map with malformed
 * lines, and from the real map of the guest kernel when `make images` has
 * fetched it; the kernel's physical base by its banner and its own page
 * table (none, one, decoy banners at other boundaries, two kernels, a map
 * near the top of the address space) and its virtual base through page
 * tables built here (a 2 MiB entry, a split one, entries pointing outside
 * guest memory); the guest's layout as the root reports it, and each
 * change of it; the vCPUs' other system call entries against the guest's
 * one reference. */
#include "unit.h"
#include <stdlib.h>

#include "fw/watch.h"

#define MEM (64ULL << 20)
#define KTEXT 0xffffffff81000000ULL

static const char small_map[] =
	"0000000000000000 A __per_cpu_start\n"
	"ffffffff81000000 T _text\n"
	"ffffffff81000000 T startup_64\n"
	"ffffffff81000040 t secondary\n"
	"this line is not a symbol\n"
	"ffffffff8100 T short_address\n"
	"ffffffff81000100Tno_spaces\n"
	"ffffffff81001000 T do_thing\n"
	"ffffffff81001000 A absolute_here\n"
	"ffffffff81c00080 T entry_SYSCALL_64\n"
	"ffffffff81c01870 T entry_SYSCALL_compat\n"
	"ffffffff81c017b0 T entry_SYSENTER_compat\n"
	"ffffffff81e00000 T _etext\n"
	"ffffffff82000000 D __start_rodata\n"
	"ffffffff82000100 D linux_banner\n"
	"ffffffff82800000 D __end_rodata\n"
	"ffffffff82a10000 D init_top_pgt\n"
	"ffffffff832b4000 b idt_table"; /* no newline at the end */

static uint8_t *mem;

static const void *fake_mem(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	if (gpa >= MEM || len > MEM - gpa)
		return NULL;
	return mem + gpa;
}

static int setup(void **state)
{
	(void)state;
	mem = calloc(1, MEM);
	return mem ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(mem);
	return 0;
}

static struct wt_blob *blob_of(const char *map, size_t n)
{
	struct wt_blob *b = malloc(sizeof(*b) + n);

	assert_non_null(b);
	*b = (struct wt_blob){.magic = WT_MAGIC, .version = WT_VERSION, .start_ms = 1000,
			      .interval_ms = 500, .map_len = n};
	memcpy(b + 1, map, n);
	return b;
}

static void test_blob_check(void **state)
{
	size_t n = strlen(small_map), len = sizeof(struct wt_blob) + n;
	struct wt_blob *b = blob_of(small_map, n);
	const char *why = NULL;

	(void)state;
	assert_int_equal(wt_blob_check(b, len, &why), 0);
	assert_int_equal(wt_blob_check(b, sizeof(*b) - 1, &why), -1);
	for (int k = 0; k < 9; k++) {
		struct wt_blob c = *b;

		switch (k) {
		case 0: c.magic ^= 1; break;
		case 1: c.version = WT_VERSION + 1; break;
		case 2: c.flags = 1; break;
		case 3: c.interval_ms = WT_INTERVAL_MIN_MS - 1; break;
		case 4: c.interval_ms = WT_INTERVAL_MAX_MS + 1; break;
		case 5: c.start_ms = WT_START_MAX_MS + 1; break;
		case 6: c.map_len = n + 1; break; /* more than follows */
		case 7: c.map_len = 0; break;
		default: c.map_len = ~0ULL; break;
		}
		memcpy(b, &c, sizeof(c));
		why = NULL;
		assert_int_equal(wt_blob_check(b, len, &why), -1);
		assert_non_null(why);
		free(b);
		b = blob_of(small_map, n);
	}
	assert_int_equal(wt_blob_check(b, len - 1, &why), -1); /* map_len no longer matches */
	free(b);
}

static void test_anchors_and_symbols(void **state)
{
	struct wt_anchors a;
	const char *why = NULL, *name;
	size_t nl;
	uint64_t at;
	char bad[sizeof(small_map)];

	(void)state;
	assert_int_equal(wt_anchors(small_map, strlen(small_map), &a, &why), 0);
	assert_true(a.text == KTEXT && a.etext == 0xffffffff81e00000ULL);
	assert_true(a.rodata == 0xffffffff82000000ULL && a.erodata == 0xffffffff82800000ULL);
	assert_true(a.banner == 0xffffffff82000100ULL && a.top_pgt == 0xffffffff82a10000ULL);
	/* the last line, without its newline, was read */
	assert_true(a.idt == 0xffffffff832b4000ULL);
	assert_true(a.syscall == 0xffffffff81c00080ULL);
	assert_true(a.compat_syscall == 0xffffffff81c01870ULL);
	assert_true(a.compat_sysenter == 0xffffffff81c017b0ULL);
	assert_true(a.compat_off == 0);
	/* SYSENTER_EIP: the whole address on Intel; its low half where the
	 * vCPU keeps 32 bits (KVM on AMD), and only there: on Intel the
	 * truncated address is a user-space one a rootkit can map */
	assert_true(wt_sysenter_is(0xffffffff81c017b0ULL, a.compat_sysenter, false));
	assert_false(wt_sysenter_is(0x81c017b0ULL, a.compat_sysenter, false));
	assert_true(wt_sysenter_is(0x81c017b0ULL, a.compat_sysenter, true));
	assert_false(wt_sysenter_is(0xffffffff81c017b0ULL, a.compat_sysenter, true));
	assert_false(wt_sysenter_is(0x81c017b1ULL, a.compat_sysenter, true));
	assert_false(wt_sysenter_is(0xffffffff81c017b1ULL, a.compat_sysenter, false));
	assert_false(wt_sysenter_is(0xfffffeff81c017b0ULL, a.compat_sysenter, false));
	assert_false(wt_sysenter_is(0, a.compat_sysenter, true));
	/* CPUID leaf 0's vendors: AMD and Hygon keep 32 bits, Intel all 64 */
	assert_true(wt_vendor_amd(0x68747541, 0x444d4163, 0x69746e65));	 /* AuthenticAMD */
	assert_true(wt_vendor_amd(0x6f677948, 0x656e6975, 0x6e65476e));	 /* HygonGenuine */
	assert_false(wt_vendor_amd(0x756e6547, 0x6c65746e, 0x49656e69)); /* GenuineIntel */
	assert_true(wt_symbol(small_map, strlen(small_map), KTEXT + 0x1010, &name, &nl, &at));
	assert_int_equal(nl, 8);
	assert_memory_equal(name, "do_thing", 8); /* not the absolute symbol at the same address */
	assert_true(at == KTEXT + 0x1000);
	assert_true(wt_symbol(small_map, strlen(small_map), KTEXT + 0x41, &name, &nl, &at));
	assert_memory_equal(name, "secondary", 9);
	assert_false(wt_symbol(small_map, strlen(small_map), KTEXT - 1, &name, &nl, &at));
	/* without idt_table, or with one not page aligned: watched without it */
	assert_int_equal(wt_anchors(small_map, strlen(small_map) - 29, &a, &why), 0);
	assert_true(a.idt == 0);
	memcpy(bad, small_map, sizeof(bad));
	memcpy(strstr(bad, "ffffffff832b4000 b idt"), "ffffffff832b4008", 16);
	assert_int_equal(wt_anchors(bad, strlen(bad), &a, &why), 0);
	assert_true(a.idt == 0);
	/* entry_SYSCALL_64 outside text, or absent: the system call entry unchecked */
	memcpy(bad, small_map, sizeof(bad));
	memcpy(strstr(bad, "ffffffff81c00080 T entry"), "ffffffff82c00080", 16);
	assert_int_equal(wt_anchors(bad, strlen(bad), &a, &why), 0);
	assert_true(a.syscall == 0 && a.idt == 0xffffffff832b4000ULL);
	memcpy(bad, small_map, sizeof(bad));
	memcpy(strstr(bad, "entry_SYSCALL_64"), "entry_SYSCALL_65", 16);
	assert_int_equal(wt_anchors(bad, strlen(bad), &a, &why), 0);
	assert_true(a.syscall == 0);
	/* ia32 emulation that may be off at boot: the entry CSTAR then holds,
	 * by either of its names */
	{
		char off_map[sizeof(small_map) + 64];
		const uint64_t slide = 0x1000000;
		struct wt_msrs m = {.cstar = 0xffffffff82c01870ULL,
				    .sysenter_cs = 0x10,
				    .sysenter_eip = 0xffffffff82c017b0ULL};

		snprintf(off_map, sizeof(off_map), "%s\nffffffff81c01900 T entry_SYSCALL32_ignore\n",
			 small_map);
		assert_int_equal(wt_anchors(off_map, strlen(off_map), &a, &why), 0);
		assert_true(a.compat_off == 0xffffffff81c01900ULL && a.compat_sysenter);
		/* the compat entries, KASLR-shifted: right; the 32-bit form only with low32 */
		assert_int_equal(wt_compat_wrong(&a, slide, true, &m, false), 0);
		assert_int_equal(wt_compat_wrong(&a, slide, false, &m, false), 0); /* no base */
		m.sysenter_eip = 0x82c017b0ULL;
		assert_int_equal(wt_compat_wrong(&a, slide, true, &m, false), WT_MSR_SYSENTER);
		assert_int_equal(wt_compat_wrong(&a, slide, true, &m, true), 0);
		m.cstar += 8;
		assert_int_equal(wt_compat_wrong(&a, slide, true, &m, true), WT_MSR_CSTAR);
		/* ia32 off at boot: CSTAR the ignoring entry, SYSENTER_EIP and CS 0;
		 * a CS still the kernel's would enter ring 0 at 0: wrong */
		m = (struct wt_msrs){.cstar = 0xffffffff82c01900ULL};
		assert_int_equal(wt_compat_wrong(&a, slide, true, &m, false), 0);
		m.sysenter_cs = 0x10;
		assert_int_equal(wt_compat_wrong(&a, slide, true, &m, false), WT_MSR_SYSENTER);
		m.sysenter_cs = 0;
		m.sysenter_eip = 0xffffffff82c017b0ULL;
		assert_int_equal(wt_compat_wrong(&a, slide, true, &m, false), WT_MSR_SYSENTER);
	}
	/* a compat entry outside text, or absent (no ia32 emulation): unchecked */
	memcpy(bad, small_map, sizeof(bad));
	memcpy(strstr(bad, "ffffffff81c01870 T entry"), "ffffffff82c01870", 16);
	memcpy(strstr(bad, "entry_SYSENTER_compat"), "entry_SYSENTER_compas", 21);
	assert_int_equal(wt_anchors(bad, strlen(bad), &a, &why), 0);
	assert_true(a.compat_syscall == 0 && a.compat_sysenter == 0 && a.syscall);
	/* a map cut short, and one without a banner, are refused */
	assert_int_equal(wt_anchors(small_map, strlen(small_map) - 50, &a, &why), -1);
	memcpy(bad, small_map, sizeof(bad));
	memcpy(strstr(bad, "linux_banner"), "linux_bannex", 12);
	assert_int_equal(wt_anchors(bad, strlen(bad), &a, &why), -1);
	/* out of order: _etext before _text */
	memcpy(bad, small_map, sizeof(bad));
	memcpy(strstr(bad, "ffffffff81e00000 T _etext"), "ffffffff80e00000", 16);
	assert_int_equal(wt_anchors(bad, strlen(bad), &a, &why), -1);
	assert_non_null(why);
}

/* The guest kernel's own map, when `make images` fetched it. */
static void test_real_map(void **state)
{
	const char *path = getenv("RAMPART_TEST_SYSMAP") ? getenv("RAMPART_TEST_SYSMAP")
							 : "build/images/System.map";
	struct wt_anchors a;
	const char *why = "?", *name;
	uint64_t at, n;
	size_t nl;
	char *text;
	FILE *f = fopen(path, "r");

	(void)state;
	if (!f)
		skip();
	text = malloc(WT_MAP_MAX);
	assert_non_null(text);
	n = fread(text, 1, WT_MAP_MAX, f);
	fclose(f);
	assert_int_equal(wt_anchors(text, n, &a, &why), 0);
	assert_true(a.text == KTEXT && a.idt > a.erodata);
	assert_true(a.syscall > a.text && a.syscall < a.etext);
	/* Debian's kernel has ia32 emulation: both compat entries, in text */
	assert_true(a.compat_syscall > a.text && a.compat_syscall < a.etext);
	assert_true(a.compat_sysenter > a.text && a.compat_sysenter < a.etext);
	/* the function the system test probes, as its line in the map says */
	const char *p = strstr(text, " do_sys_openat2\n");
	assert_non_null(p);
	uint64_t sym = strtoull(p - 18, NULL, 16);

	assert_true(wt_symbol(text, n, sym + 5, &name, &nl, &at));
	assert_int_equal(nl, 14);
	assert_memory_equal(name, "do_sys_openat2", 14);
	assert_true(at == sym);
	free(text);
}

static struct wt_anchors anchors(void)
{
	struct wt_anchors a;
	const char *why;

	assert_int_equal(wt_anchors(small_map, strlen(small_map), &a, &why), 0);
	return a;
}


static void put(uint64_t gpa, uint64_t v)
{
	memcpy(mem + gpa, &v, 8);
}

static void test_find_virt(void **state)
{
	struct wt_anchors a = anchors();
	const uint64_t phys = 0x1000000, pgd = phys + (a.top_pgt - a.text);
	const uint64_t pud = 0x100000, pmd = 0x101000, pte = 0x102000;
	uint64_t virt = 0;
	const char *why = NULL;

	(void)state;
	memset(mem, 0, MEM);
	assert_int_equal(wt_find_virt(fake_mem, NULL, &a, phys, &virt, &why), -1);
	put(pgd + 511 * 8, pud | 0x63);
	put(pud + 510 * 8, pmd | 0x63);
	put(pmd + 3 * 8, 0x400000 | 0xe3); /* another 2 MiB page */
	put(pmd + 40 * 8, phys | 0xe3);
	assert_int_equal(wt_find_virt(fake_mem, NULL, &a, phys, &virt, &why), 0);
	assert_true(virt == WT_KERNEL_MAP + 40 * WT_PHYS_ALIGN);
	/* split into 4 KiB pages: the table's first entry maps phys */
	put(pmd + 40 * 8, 0);
	put(pmd + 41 * 8, pte | 0x63);
	put(pte, phys | 0x163);
	assert_int_equal(wt_find_virt(fake_mem, NULL, &a, phys, &virt, &why), 0);
	assert_true(virt == WT_KERNEL_MAP + 41 * WT_PHYS_ALIGN);
	/* a table outside guest memory, and a 1 GiB entry at the PDPT: refused */
	put(pmd + 41 * 8, (MEM + 0x1000) | 0x63);
	assert_int_equal(wt_find_virt(fake_mem, NULL, &a, phys, &virt, &why), -1);
	put(pud + 510 * 8, pmd | 0xe3);
	assert_int_equal(wt_find_virt(fake_mem, NULL, &a, phys, &virt, &why), -1);
	put(pgd + 511 * 8, (0x000ffffffffff000ULL) | 0x63);
	assert_int_equal(wt_find_virt(fake_mem, NULL, &a, phys, &virt, &why), -1);
}

static const struct wt_map whole = {0, MEM, 0};

/* A kernel at phys whose init_top_pgt maps it at the kernel map's slot i,
 * through tables at tables (three pages). */
static void kernel_at(const struct wt_anchors *a, uint64_t phys, uint64_t tables, unsigned i)
{
	const uint64_t pgd = phys + (a->top_pgt - a->text);

	memcpy(mem + phys + (a->banner - a->text), "Linux version 6.1", 17);
	put(pgd + 511 * 8, tables | 0x63);
	put(tables + 510 * 8, (tables + 0x1000) | 0x63);
	put(tables + 0x1000 + i * 8, phys | 0xe3);
}

static void test_find_phys(void **state)
{
	struct wt_anchors a = anchors();
	uint64_t off = a.banner - a.text, phys = 0, virt = 1;
	const char *why = NULL;
	const struct wt_map low = {0, 0x1000000, 0};

	(void)state;
	memset(mem, 0, MEM);
	assert_int_equal(wt_find_phys(fake_mem, NULL, &whole, 1, &a, &phys, &virt, &why), -1);
	assert_non_null(why);
	memcpy(mem + 0x1200000 + off + 1, "Linux version 6.1", 17); /* not at a boundary */
	assert_int_equal(wt_find_phys(fake_mem, NULL, &whole, 1, &a, &phys, &virt, &why), -1);
	/* one banner, its page table not known: the kernel, its virtual base not */
	memcpy(mem + 0x1000000 + off, "Linux version 6.1", 17);
	assert_int_equal(wt_find_phys(fake_mem, NULL, &whole, 1, &a, &phys, &virt, &why), 0);
	assert_true(phys == 0x1000000 && virt == 0);
	/* boundaries inside the maps only */
	assert_int_equal(wt_find_phys(fake_mem, NULL, &low, 1, &a, &phys, &virt, &why), -1);
	/* with its page table: the virtual base too */
	kernel_at(&a, 0x1000000, 0x100000, 40);
	assert_int_equal(wt_find_phys(fake_mem, NULL, &whole, 1, &a, &phys, &virt, &why), 0);
	assert_true(phys == 0x1000000 && virt == WT_KERNEL_MAP + 40 * WT_PHYS_ALIGN);
}

/*
 * A guest process's copies of the banner at other 2 MiB boundaries (in
 * its own pages, before the baseline) do not hide the kernel: only the
 * boundary that the kernel's own page table maps is it. Two that are
 * mapped so are an alert (-2), not silence.
 */
static void test_find_phys_decoys(void **state)
{
	struct wt_anchors a = anchors();
	uint64_t off = a.banner - a.text, phys = 0, virt = 0;
	const char *why = NULL;

	(void)state;
	memset(mem, 0, MEM);
	for (uint64_t p = 0x200000; p + off + 17 <= MEM; p += 0x400000)
		memcpy(mem + p + off, "Linux version 6.1", 17);
	/* only banners, no page table maps any: ambiguous, an alert */
	why = NULL;
	assert_int_equal(wt_find_phys(fake_mem, NULL, &whole, 1, &a, &phys, &virt, &why), -2);
	assert_non_null(why);
	kernel_at(&a, 0x1000000, 0x100000, 40);
	memcpy(mem + 0x1400000 + off, "Linux version 6.1", 17); /* the review's decoy */
	assert_int_equal(wt_find_phys(fake_mem, NULL, &whole, 1, &a, &phys, &virt, &why), 0);
	assert_true(phys == 0x1000000 && virt == WT_KERNEL_MAP + 40 * WT_PHYS_ALIGN);
	/* a second boundary whose own init_top_pgt maps it: ambiguous */
	kernel_at(&a, 0x1400000, 0x110000, 50);
	why = NULL;
	assert_int_equal(wt_find_phys(fake_mem, NULL, &whole, 1, &a, &phys, &virt, &why), -2);
	assert_non_null(why);
}

/* Guest memory through a counter: the search's work, bounded. */
static unsigned mem_calls;

static const void *counted_mem(void *ctx, uint64_t gpa, uint64_t len)
{
	if (++mem_calls > 100000)
		fail_msg("the kernel's search did not stop");
	return fake_mem(ctx, gpa, len);
}

/* A map near the top of the address space costs what its size does, not
 * a walk of the 2 MiB boundaries below it (2^43 of them). */
static void test_find_phys_high_map(void **state)
{
	struct wt_anchors a = anchors();
	const struct wt_map maps[] = {{0xfffffffffff00000ULL, 0x100000, 0},
				      {0xffffffffffc00000ULL, 0x300000, 0},
				      {0, MEM, 0}};
	uint64_t phys = 0, virt = 0;
	const char *why;

	(void)state;
	memset(mem, 0, MEM);
	kernel_at(&a, 0x1000000, 0x100000, 40);
	mem_calls = 0;
	assert_int_equal(wt_find_phys(counted_mem, NULL, maps, 3, &a, &phys, &virt, &why), 0);
	assert_true(phys == 0x1000000);
	/* 32 boundaries of guest memory, one walk of the kernel's tables (514
	 * entries at most), one boundary in the high maps */
	assert_true(mem_calls <= MEM / WT_PHYS_ALIGN + 514 + 2);
}

/* A fake root for RP_HC_MAP_INFO: grandchildren 1..16, each with maps. */
#define SUBS 16
static struct {
	bool guest;
	unsigned n;
	struct wt_map m[WT_MAX_GMAPS + 4];
} subs[SUBS + 1];

static int fake_query(void *ctx, uint64_t sub, uint64_t index, struct wt_map *m, bool *guest)
{
	(void)ctx;
	if (!sub || sub > SUBS || index >= subs[sub].n)
		return -1;
	*m = subs[sub].m[index];
	*guest = subs[sub].guest;
	return 0;
}

/*
 * The guest's layout read again at each check: the same is no alert; a
 * guest moved to other memory (a map's place in ours, its gpa, its size,
 * one map more), another VM, a second guest, or more maps than are read
 * each is.
 */
static void test_layout(void **state)
{
	static struct wt_layout was, now;

	(void)state;
	memset(subs, 0, sizeof(subs));
	wt_layout_read(fake_query, NULL, SUBS, &now);
	assert_string_equal(wt_layout_changed(NULL, &now), "no guest below my child");
	subs[2] = (typeof(subs[2])){.n = 1, .m = {{0, 0x1000, 0x5000}}}; /* not a guest */
	subs[3].guest = true;
	subs[3].n = 2;
	subs[3].m[0] = (struct wt_map){0, 0x8000000, 0x10000000};
	subs[3].m[1] = (struct wt_map){0x100000000ULL, 0x1000000, 0x18000000};
	wt_layout_read(fake_query, NULL, SUBS, &was);
	assert_true(was.sub == 3 && was.n == 2 && was.nguests == 1 && !was.cut);
	assert_true(was.map[1].gpa == 0x100000000ULL && was.map[1].mine == 0x18000000);
	assert_null(wt_layout_changed(NULL, &was));
	wt_layout_read(fake_query, NULL, SUBS, &now);
	assert_null(wt_layout_changed(&was, &now));
	/* moved: the same guest-physical memory now elsewhere in the vmm's */
	subs[3].m[0].mine = 0x20000000;
	wt_layout_read(fake_query, NULL, SUBS, &now);
	assert_non_null(wt_layout_changed(&was, &now));
	subs[3].m[0].mine = 0x10000000;
	subs[3].m[1].size = 0x2000000;
	wt_layout_read(fake_query, NULL, SUBS, &now);
	assert_non_null(wt_layout_changed(&was, &now));
	subs[3].m[1].size = 0x1000000;
	subs[3].m[2] = (struct wt_map){0x200000000ULL, 0x1000, 0x30000000};
	subs[3].n = 3;
	wt_layout_read(fake_query, NULL, SUBS, &now);
	assert_non_null(wt_layout_changed(&was, &now));
	subs[3].n = 2;
	/* the guest now another VM: moved to handle 5 */
	subs[5] = subs[3];
	memset(&subs[3], 0, sizeof(subs[3]));
	wt_layout_read(fake_query, NULL, SUBS, &now);
	assert_true(now.sub == 5);
	assert_string_equal(wt_layout_changed(&was, &now), "the guest is another VM");
	/* two guests */
	subs[3] = subs[5];
	wt_layout_read(fake_query, NULL, SUBS, &now);
	assert_true(now.nguests == 2 && now.sub == 3);
	assert_non_null(wt_layout_changed(&was, &now));
	assert_non_null(wt_layout_changed(NULL, &now));
	memset(&subs[5], 0, sizeof(subs[5]));
	/* cut into more maps than are read: said, never read in part silently */
	subs[3].n = WT_MAX_GMAPS;
	for (unsigned i = 0; i < WT_MAX_GMAPS + 1; i++)
		subs[3].m[i] = (struct wt_map){i * 0x1000ULL, 0x1000, 0x10000000 + i * 0x1000ULL};
	wt_layout_read(fake_query, NULL, SUBS, &now);
	assert_true(now.n == WT_MAX_GMAPS && !now.cut);
	assert_null(wt_layout_changed(NULL, &now));
	subs[3].n = WT_MAX_GMAPS + 1;
	wt_layout_read(fake_query, NULL, SUBS, &now);
	assert_true(now.n == WT_MAX_GMAPS && now.cut);
	assert_non_null(wt_layout_changed(NULL, &now));
}

/*
 * A kernel address through the kernel's own tables: a 2 MiB page, a page
 * of a split table, and that page pointed at a patched copy (what a
 * rootkit that leaves the physical page alone does): the walk gives the
 * copy's address, which the layer compares with the page it watches.
 */
static void test_walk(void **state)
{
	const uint64_t pgd = 0x200000, pud = 0x201000, pmd = 0x202000, pte = 0x203000;
	const uint64_t va = WT_KERNEL_MAP + 40 * WT_PHYS_ALIGN + 0x3456;
	uint64_t pa = 0;

	(void)state;
	memset(mem, 0, MEM);
	assert_int_equal(wt_walk(fake_mem, NULL, pgd, va, &pa), -1);
	put(pgd + 511 * 8, pud | 0x63);
	put(pud + 510 * 8, pmd | 0x63);
	put(pmd + 40 * 8, 0x1000000 | 0x1e3); /* 2 MiB, the PAT bit (12) set */
	assert_int_equal(wt_walk(fake_mem, NULL, pgd, va, &pa), 0);
	assert_true(pa == 0x1003456);
	put(pmd + 40 * 8, pte | 0x63); /* split */
	for (unsigned i = 0; i < 512; i++)
		put(pte + i * 8, (0x1000000 + i * 0x1000ULL) | 0x8000000000000163ULL);
	assert_int_equal(wt_walk(fake_mem, NULL, pgd, va, &pa), 0);
	assert_true(pa == 0x1003456);
	put(pte + 3 * 8, 0x3000000 | 0x163); /* the page pointed at a copy */
	assert_int_equal(wt_walk(fake_mem, NULL, pgd, va, &pa), 0);
	assert_true(pa == 0x3000456);
	put(pte + 3 * 8, 0x1003000); /* not present */
	assert_int_equal(wt_walk(fake_mem, NULL, pgd, va, &pa), -1);
	put(pud + 510 * 8, 0x40000000 | 0xe3); /* 1 GiB */
	assert_int_equal(wt_walk(fake_mem, NULL, pgd, va, &pa), 0);
	assert_true(pa == 0x40000000 + 40 * WT_PHYS_ALIGN + 0x3456);
	put(pgd + 511 * 8, pud | 0xe3); /* no large page at the top */
	assert_int_equal(wt_walk(fake_mem, NULL, pgd, va, &pa), -1);
	put(pgd + 511 * 8, (MEM + 0x1000) | 0x63); /* outside guest memory */
	assert_int_equal(wt_walk(fake_mem, NULL, pgd, va, &pa), -1);
}

/*
 * The IDT register: idt_table's own address, or an alias the kernel's
 * page table maps onto its page (Linux's read-only one in the CPU entry
 * area); not a copy, not another limit, not an unmapped address.
 */
static void test_idtr(void **state)
{
	const uint64_t pgd = 0x200000, pud = 0x201000, pmd = 0x202000, pte = 0x203000;
	const uint64_t idt_kva = 0xffffffff832b4000ULL, idt_gpa = 0x22b4000;
	const uint64_t ro_idt = 0xfffffe0000000000ULL; /* CPU_ENTRY_AREA_RO_IDT: PML4 slot 508 */

	(void)state;
	memset(mem, 0, MEM);
	assert_true(wt_idtr_ok(fake_mem, NULL, pgd, idt_kva, WT_IDT_LIMIT, idt_kva, idt_gpa));
	assert_false(wt_idtr_ok(fake_mem, NULL, pgd, idt_kva, 0xffff, idt_kva, idt_gpa));
	assert_false(wt_idtr_ok(fake_mem, NULL, pgd, idt_kva, 0x7ff, idt_kva, idt_gpa));
	/* the alias, not mapped yet */
	assert_false(wt_idtr_ok(fake_mem, NULL, pgd, ro_idt, WT_IDT_LIMIT, idt_kva, idt_gpa));
	put(pgd + 508 * 8, pud | 0x63);
	put(pud + 0 * 8, pmd | 0x63);
	put(pmd + 0 * 8, pte | 0x63);
	put(pte + 0 * 8, idt_gpa | 0x8000000000000161ULL); /* read-only, NX */
	assert_true(wt_idtr_ok(fake_mem, NULL, pgd, ro_idt, WT_IDT_LIMIT, idt_kva, idt_gpa));
	/* the alias pointed at a copy of the table */
	put(pte + 0 * 8, 0x3000000 | 0x8000000000000161ULL);
	assert_false(wt_idtr_ok(fake_mem, NULL, pgd, ro_idt, WT_IDT_LIMIT, idt_kva, idt_gpa));
	/* an address inside the page, and another page the walk maps */
	put(pte + 0 * 8, idt_gpa | 0x8000000000000161ULL);
	put(pte + 1 * 8, idt_gpa | 0x8000000000000161ULL);
	assert_false(wt_idtr_ok(fake_mem, NULL, pgd, ro_idt + 8, WT_IDT_LIMIT, idt_kva, idt_gpa));
	assert_true(wt_idtr_ok(fake_mem, NULL, pgd, ro_idt + WT_PAGE, WT_IDT_LIMIT, idt_kva,
			       idt_gpa));
	assert_false(wt_idtr_ok(fake_mem, NULL, pgd, ro_idt + 2 * WT_PAGE, WT_IDT_LIMIT, idt_kva,
				idt_gpa));
	assert_false(wt_idtr_ok(fake_mem, NULL, pgd, 0, WT_IDT_LIMIT, idt_kva, idt_gpa));
}

/*
 * The other system call entries: one reference for the guest, taken from
 * a vCPU whose LSTAR is the kernel's, zeros included; every vCPU, one first
 * seen later too, held to it.
 */
static void test_msrs(void **state)
{
	/* a kernel without ia32 emulation: SYSENTER_CS and SYSENTER_EIP 0 */
	const struct wt_msrs k = {.cstar = 0xffffffff81c01740ULL,
				  .star = 0x0023001000000000ULL,
				  .sysenter_cs = 0,
				  .sysenter_eip = 0};
	struct wt_msrs v = k;
	struct wt_msr_ref ref = {.known = false};

	(void)state;
	/* nothing to compare with yet; a vCPU before syscall_init gives none */
	assert_int_equal(wt_msrs_diff(&ref, &v), 0);
	v.cstar = 0;
	wt_msrs_take(&ref, &v, false);
	assert_false(ref.known);
	wt_msrs_take(&ref, &k, true);
	assert_true(ref.known);
	/* that vCPU 0 before syscall_init differs */
	assert_int_equal(wt_msrs_diff(&ref, &v), WT_MSR_CSTAR);
	assert_int_equal(wt_msrs_diff(&ref, &k), 0);
	/* a sysenter gate opened where the kernel left 0/0: not adopted */
	v = k;
	v.sysenter_cs = 0x10;
	v.sysenter_eip = 0xffffffffc0a01000ULL;
	assert_int_equal(wt_msrs_diff(&ref, &v), WT_MSR_SYSENTER);
	v.sysenter_eip = 0;
	assert_int_equal(wt_msrs_diff(&ref, &v), WT_MSR_SYSENTER);
	/* a later vCPU (first seen after a rootkit wrote them) offered as a
	 * reference changes nothing: it is held to the first */
	v = k;
	v.cstar = 0xffffffffc0a02000ULL;
	v.star = 0x0023001000000001ULL;
	wt_msrs_take(&ref, &v, true);
	assert_int_equal(ref.v.cstar, k.cstar);
	assert_int_equal(wt_msrs_diff(&ref, &v), WT_MSR_CSTAR | WT_MSR_STAR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blob_check),
		cmocka_unit_test(test_anchors_and_symbols),
		cmocka_unit_test(test_real_map),
		cmocka_unit_test(test_find_phys),
		cmocka_unit_test(test_find_phys_decoys),
		cmocka_unit_test(test_find_phys_high_map),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_idtr),
		cmocka_unit_test(test_msrs),
		cmocka_unit_test(test_find_virt),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
