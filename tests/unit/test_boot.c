/* SPDX-License-Identifier: MIT */
/* The Linux loader: bzImage checks, placement, boot params, e820, GDT and
 * page tables. The real Debian kernel is used when RAMPART_TEST_KERNEL
 * names it. */
#include "unit.h"

#include "lib/rt.h"

#include "fake_ram.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "boot/boot.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)

/* ---- guest memory: low RAM mapped lazily, high RAM absent ---------------- */

/* Only low RAM is backed: a test that reaches into high RAM finds nothing. */
static void guest_init(struct guest *g, struct boot_mem *m, uint64_t mem)
{
	guest_map(g, m, mem < BOOT_HOLE_START ? mem : BOOT_HOLE_START);
}

static void st16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void st32(uint8_t *p, uint32_t v)
{
	st16(p, (uint16_t)v);
	st16(p + 2, (uint16_t)(v >> 16));
}

static void st64(uint8_t *p, uint64_t v)
{
	st32(p, (uint32_t)v);
	st32(p + 4, (uint32_t)(v >> 32));
}

/* ---- a synthetic bzImage ---------------------------------------------------- */

#define IMG_SIZE (64 * 1024)
#define IMG_SETUP_SECTS 4
#define IMG_SETUP_BYTES ((IMG_SETUP_SECTS + 1) * 512)
#define IMG_INIT_SIZE (48 * MIB)

static uint8_t *make_image(void)
{
	uint8_t *b = calloc(1, IMG_SIZE);

	assert_non_null(b);
	b[0x1f1] = IMG_SETUP_SECTS;
	st16(b + 0x1fe, 0xaa55);
	b[0x200] = 0xeb;
	b[0x201] = 0x6a; /* header ends at 0x26c, as in 2.15 */
	memcpy(b + 0x202, "HdrS", 4);
	st16(b + 0x206, 0x020f);
	b[0x211] = 0x01;		/* LOADED_HIGH */
	st32(b + 0x22c, 0x7fffffff);	/* initrd_addr_max */
	st32(b + 0x230, 0x200000);	/* kernel_alignment */
	b[0x234] = 1;			/* relocatable */
	st16(b + 0x236, 0x7f);		/* xloadflags */
	st32(b + 0x238, 2047);		/* cmdline_size */
	st64(b + 0x250, 0x12345678);	/* setup_data: must not reach the guest */
	st64(b + 0x258, 0x1000000);	/* pref_address */
	st32(b + 0x260, (uint32_t)IMG_INIT_SIZE);
	for (size_t i = IMG_SETUP_BYTES; i < IMG_SIZE; i++)
		b[i] = (uint8_t)(i * 7);
	return b;
}

static void expect_refusal(const uint8_t *img, uint64_t size, const char *want)
{
	struct boot_kernel k;
	const char *why = NULL;

	assert_int_equal(boot_parse(img, size, &k, &why), -1);
	assert_non_null(why);
	if (!strstr(why, want))
		fail_msg("why = \"%s\", wanted \"%s\"", why, want);
}

static void test_parse_synthetic(void **state)
{
	uint8_t *img = make_image();
	struct boot_kernel k;
	const char *why = NULL;

	assert_int_equal(boot_parse(img, IMG_SIZE, &k, &why), 0);
	assert_int_equal(k.version, 0x020f);
	assert_int_equal(k.setup_bytes, IMG_SETUP_BYTES);
	assert_int_equal(k.kernel_offset, IMG_SETUP_BYTES);
	assert_int_equal(k.kernel_size, IMG_SIZE - IMG_SETUP_BYTES);
	assert_int_equal(k.pref_address, 0x1000000);
	assert_int_equal(k.init_size, IMG_INIT_SIZE);
	assert_int_equal(k.alignment, 0x200000);
	assert_int_equal(k.initrd_addr_max, 0x7fffffff);
	assert_int_equal(k.cmdline_size, 2047);
	assert_int_equal(k.xloadflags, 0x7f);
	assert_true(k.relocatable);

	img[0x1f1] = 0; /* setup_sects 0 means 4 */
	assert_int_equal(boot_parse(img, IMG_SIZE, &k, &why), 0);
	assert_int_equal(k.setup_bytes, 5 * 512);
	free(img);
}

static void test_parse_refusals(void **state)
{
	uint8_t *img = make_image();

	expect_refusal(img, 0x100, "truncated");
	expect_refusal(NULL, IMG_SIZE, "no kernel image");

	img[0x1fe] = 0;
	expect_refusal(img, IMG_SIZE, "no 0xAA55 boot flag");
	img[0x1fe] = 0x55;

	img[0x202] = 'X';
	expect_refusal(img, IMG_SIZE, "no HdrS signature");
	img[0x202] = 'H';

	st16(img + 0x206, 0x020b);
	expect_refusal(img, IMG_SIZE, "boot protocol too old (need 2.12)");
	st16(img + 0x206, 0x020f);

	img[0x1f1] = 100; /* 101 sectors, file has 128 */
	expect_refusal(img, 101 * 512 - 1, "truncated: setup needs 51712 bytes");
	/* ... and exactly the setup, nothing after it */
	expect_refusal(img, 101 * 512, "protected-mode kernel part is empty");
	img[0x1f1] = IMG_SETUP_SECTS;

	img[0x201] = 0x10;
	expect_refusal(img, IMG_SIZE, "setup header too short");
	img[0x201] = 0x6a;

	img[0x211] = 0;
	expect_refusal(img, IMG_SIZE, "LOADED_HIGH");
	img[0x211] = 1;

	st16(img + 0x236, 0x7e);
	expect_refusal(img, IMG_SIZE, "XLF_KERNEL_64");
	st16(img + 0x236, 0x7f);

	st32(img + 0x230, 0x300000);
	expect_refusal(img, IMG_SIZE, "bad kernel_alignment 3145728");
	st32(img + 0x230, 0);
	expect_refusal(img, IMG_SIZE, "bad kernel_alignment 0");
	st32(img + 0x230, 0x200000);

	st32(img + 0x260, 0);
	expect_refusal(img, IMG_SIZE, "init_size is zero");
	st32(img + 0x260, (uint32_t)IMG_INIT_SIZE);

	img[0x234] = 0;
	st64(img + 0x258, 0x1000);
	expect_refusal(img, IMG_SIZE, "non-relocatable");
	free(img);
}

/* ---- boot_linux on the synthetic image -------------------------------------- */

struct run {
	struct guest g;
	struct boot_mem m;
	struct boot_config c;
	struct boot_entry e;
	struct boot_device devs[BOOT_MAX_DEVICES + 1];
	uint8_t *img;
	uint8_t *initrd;
	const char *why;
};

static void run_init(struct run *r, uint64_t mem, uint64_t initrd_size)
{
	memset(r, 0, sizeof(*r));
	r->img = make_image();
	if (initrd_size) {
		r->initrd = malloc(initrd_size);
		assert_non_null(r->initrd);
		memset(r->initrd, 0xa5, initrd_size);
	}
	guest_init(&r->g, &r->m, mem);
	for (unsigned i = 0; i <= BOOT_MAX_DEVICES; i++) {
		r->devs[i].base = BOOT_MMIO_BASE + i * BOOT_MMIO_STRIDE;
		r->devs[i].gsi = BOOT_FIRST_GSI + (i < BOOT_MAX_DEVICES ? i : 0);
	}
	r->c = (struct boot_config){
		.mem = mem,
		.ncpus = 2,
		.kernel = r->img,
		.kernel_size = IMG_SIZE,
		.initrd = r->initrd,
		.initrd_size = initrd_size,
		.cmdline = "console=ttyS0 panic=-1",
		.devs = r->devs,
		.ndevs = 2,
	};
}

static void run_free(struct run *r)
{
	guest_free(&r->g);
	free(r->img);
	free(r->initrd);
}

static void expect_boot_refusal(struct run *r, const char *want)
{
	r->why = NULL;
	assert_int_equal(boot_linux(&r->m, &r->c, &r->e, &r->why), -1);
	assert_non_null(r->why);
	if (!strstr(r->why, want))
		fail_msg("why = \"%s\", wanted \"%s\"", r->why, want);
}

static const uint8_t *params(struct run *r)
{
	return r->g.mem + BOOT_PARAMS_ADDR;
}

static void test_boot_small_guest(void **state)
{
	struct run r;
	const uint8_t *bp, *t;
	uint64_t initrd_size = 3 * MIB + 123, img_at;

	run_init(&r, 256 * MIB, initrd_size);
	assert_int_equal(boot_linux(&r.m, &r.c, &r.e, &r.why), 0);

	/* Kernel at pref_address, entry at its 64-bit entry point. */
	assert_memory_equal(r.g.mem + 0x1000000, r.img + IMG_SETUP_BYTES, IMG_SIZE - IMG_SETUP_BYTES);
	assert_int_equal(r.e.rip, 0x1000000 + 0x200);
	assert_int_equal(r.e.rsi, BOOT_PARAMS_ADDR);
	assert_int_equal(r.e.rsp, BOOT_STACK_TOP);
	assert_int_equal(r.e.cr3, BOOT_PML4_ADDR);
	assert_int_equal(r.e.gdt_base, BOOT_GDT_ADDR);
	assert_int_equal(r.e.gdt_limit, 31);

	bp = params(&r);
	/* The setup header came from the image, then the loader's fields. */
	assert_memory_equal(bp + 0x202, "HdrS", 4);
	assert_int_equal(rt_le16(bp + 0x206), 0x020f);
	assert_int_equal(bp[0x1f1], IMG_SETUP_SECTS);
	assert_int_equal(rt_le32(bp + 0x260), IMG_INIT_SIZE);
	assert_int_equal(bp[0x210], 0xff);
	assert_int_equal(rt_le64(bp + 0x250), 0);
	assert_int_equal(rt_le32(bp + 0x228), BOOT_CMDLINE_ADDR);
	assert_int_equal(rt_le32(bp + 0x0c8), 0);
	assert_string_equal((const char *)r.g.mem + BOOT_CMDLINE_ADDR, "console=ttyS0 panic=-1");
	assert_int_equal(rt_le64(bp + 0x070), BOOT_ACPI_ADDR);
	assert_memory_equal(r.g.mem + BOOT_ACPI_ADDR, "RSD PTR ", 8);

	/* Initrd: page aligned, at the top of RAM, intact. */
	img_at = rt_le32(bp + 0x218) | (uint64_t)rt_le32(bp + 0x0c0) << 32;
	assert_int_equal(rt_le32(bp + 0x21c), initrd_size);
	assert_int_equal(rt_le32(bp + 0x0c4), 0);
	assert_int_equal(img_at & 0xfff, 0);
	assert_true(img_at + initrd_size <= 256 * MIB);
	assert_true(img_at + initrd_size > 256 * MIB - 4096);
	assert_true(img_at >= 0x1000000 + IMG_INIT_SIZE);
	assert_memory_equal(r.g.mem + img_at, r.initrd, initrd_size);

	/* e820: base RAM, BIOS area, RAM above 1 MiB; nothing else. */
	t = bp + 0x2d0;
	assert_int_equal(bp[0x1e8], 3);
	assert_int_equal(rt_le64(t), 0);
	assert_int_equal(rt_le64(t + 8), 0x9fc00);
	assert_int_equal(rt_le32(t + 16), 1);
	assert_int_equal(rt_le64(t + 20), 0x9fc00);
	assert_int_equal(rt_le64(t + 28), 0x100000 - 0x9fc00);
	assert_int_equal(rt_le32(t + 36), 2);
	assert_int_equal(rt_le64(t + 40), 0x100000);
	assert_int_equal(rt_le64(t + 48), 256 * MIB - 0x100000);
	assert_int_equal(rt_le32(t + 56), 1);
	assert_int_equal(rt_le64(t + 60), 0);
	run_free(&r);
}

static void test_boot_large_guest(void **state)
{
	struct run r;
	struct boot_region reg[2];
	const uint8_t *bp, *t;
	uint64_t mem = 6 * GIB, initrd_size = 64 * MIB, img_at;

	run_init(&r, mem, initrd_size);
	assert_int_equal(boot_linux(&r.m, &r.c, &r.e, &r.why), 0);
	bp = params(&r);
	t = bp + 0x2d0;
	assert_int_equal(bp[0x1e8], 4);
	assert_int_equal(rt_le64(t + 40), 0x100000);
	assert_int_equal(rt_le64(t + 48), BOOT_HOLE_START - 0x100000);
	assert_int_equal(rt_le64(t + 60), BOOT_HOLE_END);
	assert_int_equal(rt_le64(t + 68), mem - BOOT_HOLE_START);
	assert_int_equal(rt_le32(t + 76), 1);
	/* No entry touches the device hole. */
	for (unsigned i = 0; i < bp[0x1e8]; i++) {
		uint64_t a = rt_le64(t + 20 * i), s = rt_le64(t + 20 * i + 8);

		assert_true(a + s <= BOOT_HOLE_START || a >= BOOT_HOLE_END);
	}
	/* The initrd stays under initrd_addr_max (2 GiB), at its very top. */
	img_at = rt_le32(bp + 0x218);
	assert_int_equal(img_at + initrd_size, 2 * GIB);
	assert_memory_equal(r.g.mem + img_at, r.initrd, initrd_size);

	assert_int_equal(boot_ram_regions(mem, reg), 2);
	assert_int_equal(reg[0].gpa, 0);
	assert_int_equal(reg[0].size, BOOT_HOLE_START);
	assert_int_equal(reg[1].gpa, BOOT_HOLE_END);
	assert_int_equal(reg[1].size, mem - BOOT_HOLE_START);
	assert_int_equal(boot_ram_regions(BOOT_HOLE_START, reg), 1);
	assert_int_equal(reg[0].size, BOOT_HOLE_START);
	assert_int_equal(boot_ram_regions(256 * MIB, reg), 1);
	assert_int_equal(reg[0].size, 256 * MIB);
	run_free(&r);
}

static void test_gdt_and_page_tables(void **state)
{
	struct run r;
	const uint8_t *g, *pml4, *pdpt;

	run_init(&r, 128 * MIB, 0);
	assert_int_equal(boot_linux(&r.m, &r.c, &r.e, &r.why), 0);
	g = r.g.mem + BOOT_GDT_ADDR;
	assert_int_equal(rt_le64(g), 0);
	assert_int_equal(rt_le64(g + 8), 0);
	assert_int_equal(rt_le64(g + BOOT_CS), 0x00af9b000000ffffULL);
	assert_int_equal(rt_le64(g + BOOT_DS), 0x00cf93000000ffffULL);

	pml4 = r.g.mem + BOOT_PML4_ADDR;
	assert_int_equal(rt_le64(pml4), (BOOT_PML4_ADDR + 0x1000) | 3);
	for (unsigned i = 1; i < 512; i++)
		assert_int_equal(rt_le64(pml4 + 8 * i), 0);
	pdpt = r.g.mem + BOOT_PML4_ADDR + 0x1000;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t pd = rt_le64(pdpt + 8 * i) & ~0xfffULL;

		assert_int_equal(rt_le64(pdpt + 8 * i) & 0xfff, 3);
		assert_int_equal(pd, BOOT_PML4_ADDR + 0x2000 + 0x1000 * i);
		for (unsigned j = 0; j < 512; j++)
			assert_int_equal(rt_le64(r.g.mem + pd + 8 * j),
					 (i * GIB + j * 2 * MIB) | 0x83);
	}
	assert_int_equal(rt_le64(pdpt + 32), 0);
	/* The tables do not run into the command line. */
	assert_true(BOOT_PML4_ADDR + 6 * 0x1000 <= BOOT_CMDLINE_ADDR);
	run_free(&r);
}

static void test_kernel_placement(void **state)
{
	struct run r;

	/* A misaligned pref_address: relocated to 16 MiB, aligned. */
	run_init(&r, 128 * MIB, 0);
	st64(r.img + 0x258, 0x1100000);
	assert_int_equal(boot_linux(&r.m, &r.c, &r.e, &r.why), 0);
	assert_int_equal(r.e.rip, 0x1000200);

	/* A large alignment: 64 MiB, above 16 MiB. */
	st32(r.img + 0x230, 64 * MIB);
	st32(r.img + 0x260, 16 * MIB);
	assert_int_equal(boot_linux(&r.m, &r.c, &r.e, &r.why), 0);
	assert_int_equal(r.e.rip, 64 * MIB + 0x200);

	/* init_size does not fit the guest. */
	st32(r.img + 0x230, 0x200000);
	st32(r.img + 0x260, 200 * MIB);
	expect_boot_refusal(&r, "guest too small");

	/* Non-relocatable and its pref_address does not fit. */
	r.img[0x234] = 0;
	expect_boot_refusal(&r, "non-relocatable kernel does not fit");
	run_free(&r);
}

static void test_boot_refusals(void **state)
{
	struct run r;
	char *long_line;

	run_init(&r, 128 * MIB, 100 * MIB);
	expect_boot_refusal(&r, "initrd too large for 128 MiB guest");
	r.c.initrd_size = 1 * MIB;
	assert_int_equal(boot_linux(&r.m, &r.c, &r.e, &r.why), 0);

	r.c.mem = 64 * MIB;
	expect_boot_refusal(&r, "guest memory too small: 64 MiB");
	r.c.mem = 128 * GIB;
	expect_boot_refusal(&r, "guest memory too large");
	r.c.mem = 128 * MIB;

	r.c.ncpus = 0;
	expect_boot_refusal(&r, "bad vCPU count 0");
	r.c.ncpus = BOOT_MAX_CPUS + 1;
	expect_boot_refusal(&r, "bad vCPU count 9");
	r.c.ncpus = BOOT_MAX_CPUS;
	assert_int_equal(boot_linux(&r.m, &r.c, &r.e, &r.why), 0);

	r.c.ndevs = BOOT_MAX_DEVICES + 1;
	expect_boot_refusal(&r, "too many devices: 9");
	r.c.ndevs = BOOT_MAX_DEVICES;
	assert_int_equal(boot_linux(&r.m, &r.c, &r.e, &r.why), 0);

	long_line = malloc(BOOT_MAX_CMDLINE + 1);
	assert_non_null(long_line);
	memset(long_line, 'x', BOOT_MAX_CMDLINE);
	long_line[BOOT_MAX_CMDLINE] = 0;
	r.c.cmdline = long_line;
	expect_boot_refusal(&r, "command line too long");
	long_line[BOOT_MAX_CMDLINE - 1] = 0; /* 2047 bytes: the most there is room for */
	assert_int_equal(boot_linux(&r.m, &r.c, &r.e, &r.why), 0);
	st32(r.img + 0x238, 255); /* the kernel's own cmdline_size */
	expect_boot_refusal(&r, "command line too long for this kernel (at most 255 bytes)");
	r.c.cmdline = NULL; /* none: an empty line */
	assert_int_equal(boot_linux(&r.m, &r.c, &r.e, &r.why), 0);
	assert_int_equal(r.g.mem[BOOT_CMDLINE_ADDR], 0);
	free(long_line);

	r.img[0x202] = 0;
	expect_boot_refusal(&r, "no HdrS signature");
	run_free(&r);
}

/* A guest whose memory the loader cannot reach is refused, not written. */
static void *no_memory(void *ctx, uint64_t gpa, uint64_t len)
{
	return NULL;
}

static void test_boot_unreachable_memory(void **state)
{
	struct run r;

	run_init(&r, 128 * MIB, 0);
	r.m.gpa_ptr = no_memory;
	expect_boot_refusal(&r, "unreachable");
	run_free(&r);
}

/* ---- the real kernel -------------------------------------------------------- */

static uint8_t *read_file(const char *path, uint64_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*size = (uint64_t)n;
	return b;
}

static void test_real_kernel(void **state)
{
	const char *path = getenv("RAMPART_TEST_KERNEL");
	struct boot_kernel k;
	struct run r;
	uint64_t size;
	uint8_t *img;

	if (!path || !*path) {
		print_message("SKIP test_real_kernel: RAMPART_TEST_KERNEL is not set "
			      "(point it at vmlinuz-6.1.0-*-cloud-amd64)\n");
		skip();
	}
	img = read_file(path, &size);
	if (!img)
		fail_msg("cannot read RAMPART_TEST_KERNEL=%s", path);
	assert_int_equal(boot_parse(img, size, &k, &r.why), 0);
	assert_true(k.version >= 0x020e); /* acpi_rsdp_addr is honoured */
	assert_true(k.xloadflags & 1);
	assert_true(k.relocatable);
	assert_int_equal(k.pref_address, 0x1000000);
	assert_true(k.init_size > k.kernel_size);
	assert_int_equal(k.kernel_offset + k.kernel_size, size);

	run_init(&r, 256 * MIB, 8 * MIB);
	free(r.img);
	r.img = img;
	r.c.kernel = img;
	r.c.kernel_size = size;
	assert_int_equal(boot_linux(&r.m, &r.c, &r.e, &r.why), 0);
	assert_int_equal(r.e.rip, 0x1000200);
	assert_memory_equal(r.g.mem + 0x1000000, img + k.kernel_offset, k.kernel_size);
	assert_int_equal(rt_le32(params(&r) + 0x218) + 8 * MIB, 256 * MIB);
	assert_memory_equal(params(&r) + 0x1f1, img + 0x1f1, 0x210 - 0x1f1);

	/* The smallest guest the loader takes still holds it. */
	r.c.mem = BOOT_MIN_MEM;
	assert_int_equal(boot_linux(&r.m, &r.c, &r.e, &r.why), 0);
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_synthetic),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_boot_small_guest),
		cmocka_unit_test(test_boot_large_guest),
		cmocka_unit_test(test_gdt_and_page_tables),
		cmocka_unit_test(test_kernel_placement),
		cmocka_unit_test(test_boot_refusals),
		cmocka_unit_test(test_boot_unreachable_memory),
		cmocka_unit_test(test_real_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
