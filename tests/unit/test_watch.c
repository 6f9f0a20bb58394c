/* SPDX-License-Identifier: MIT */
/* The watch's engine (src/fw/watch.c): the blob check against each corrupt
 * field; System.map's anchors and symbols from a small map with malformed
 * lines, and from the real map of the guest kernel when `make images` has
 * fetched it; the kernel's physical base by its banner (one, none, two)
 * and its virtual base through page tables built here (a 2 MiB entry, a
 * split one, entries pointing outside guest memory). */
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

static void test_find_phys(void **state)
{
	struct wt_anchors a = anchors();
	uint64_t off = a.banner - a.text, phys = 0;
	const char *why = NULL;

	(void)state;
	memset(mem, 0, MEM);
	assert_int_equal(wt_find_phys(fake_mem, NULL, MEM, &a, &phys, &why), -1);
	memcpy(mem + 0x1000000 + off, "Linux version 6.1", 17);
	memcpy(mem + 0x1200000 + off + 1, "Linux version 6.1", 17); /* not at a boundary */
	assert_int_equal(wt_find_phys(fake_mem, NULL, MEM, &a, &phys, &why), 0);
	assert_true(phys == 0x1000000);
	/* below top only */
	assert_int_equal(wt_find_phys(fake_mem, NULL, 0x1000000, &a, &phys, &why), -1);
	memcpy(mem + 0x1400000 + off, "Linux version 6.1", 17);
	why = NULL;
	assert_int_equal(wt_find_phys(fake_mem, NULL, MEM, &a, &phys, &why), -1); /* two */
	assert_non_null(why);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blob_check),
		cmocka_unit_test(test_anchors_and_symbols),
		cmocka_unit_test(test_real_map),
		cmocka_unit_test(test_find_phys),
		cmocka_unit_test(test_find_virt),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
