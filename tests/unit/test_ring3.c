/* SPDX-License-Identifier: MIT */
/* ring3_build: the system area, the page tables per address class, the
 * descriptor tables, the fault stub, the entry state, and every refusal of
 * a hostile image. */
#include "unit.h"

#include "fake_ram.h"

#include <stdlib.h>
#include <sys/mman.h>

#include "boot/ring3.h"

#define MIB (1ULL << 20)
#define MEM (8 * MIB)
#define ELF_SIZE 0x4000

#define P 0x1ULL
#define RW 0x2ULL
#define US 0x4ULL
#define PS 0x80ULL
#define NX (1ULL << 63)
#define ADDR 0x000ffffffffff000ULL

/* ---- guest memory ------------------------------------------------------ */

static void guest_init(struct guest *g, struct boot_mem *m, uint64_t size)
{
	guest_map(g, m, size);
	memset(g->mem, 0xaa, 4 * MIB); /* stale bytes ring3_build must clear */
}

static uint64_t ld(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static void st(uint8_t *p, uint64_t v, unsigned n)
{
	while (n--) {
		*p++ = (uint8_t)v;
		v >>= 8;
	}
}

/* ---- a tiny image: text RX, rodata R, data RW with bss --------------------- */

#define TEXT 0x200000ULL
#define RODATA 0x201000ULL
#define DATA 0x202000ULL
#define DATA_MEMSZ 0x3000ULL

static void phdr(uint8_t *e, unsigned i, uint32_t type, uint32_t flags, uint64_t off,
		 uint64_t vaddr, uint64_t filesz, uint64_t memsz)
{
	uint8_t *ph = e + 64 + i * 56;

	st(ph, type, 4);
	st(ph + 4, flags, 4);
	st(ph + 8, off, 8);
	st(ph + 16, vaddr, 8);
	st(ph + 24, vaddr, 8);
	st(ph + 32, filesz, 8);
	st(ph + 40, memsz, 8);
	st(ph + 48, 0x1000, 8);
}

static uint8_t *make_elf(void)
{
	uint8_t *e = calloc(1, ELF_SIZE);

	assert_non_null(e);
	memcpy(e, "\x7f" "ELF\x02\x01\x01", 7);
	st(e + 16, 2, 2);  /* ET_EXEC */
	st(e + 18, 62, 2); /* EM_X86_64 */
	st(e + 20, 1, 4);
	st(e + 24, TEXT + 0x10, 8); /* entry */
	st(e + 32, 64, 8);          /* phoff */
	st(e + 52, 64, 2);
	st(e + 54, 56, 2);
	st(e + 56, 4, 2);
	phdr(e, 0, 1, 5, 0x1000, TEXT, 0x100, 0x100);
	phdr(e, 1, 1, 4, 0x2000, RODATA, 0x80, 0x80);
	phdr(e, 2, 1, 6, 0x3000, DATA, 0x10, DATA_MEMSZ);
	phdr(e, 3, 0x6474e551, 6, 0, 0, 0, 0); /* PT_GNU_STACK: ignored */
	memset(e + 0x1000, 0x90, 0x100);
	memset(e + 0x2000, 0x52, 0x80);
	memset(e + 0x3000, 0x44, 0x10);
	return e;
}

static struct rp_boot_info test_info(void)
{
	struct rp_boot_info bi = {.depth = 2, .args = {7, 8}};

	strcpy(bi.kind, "spin");
	return bi;
}

static int build(struct guest *g, uint64_t mem, const uint8_t *elf, uint64_t size,
		 struct rp_vcpu_state *s, const char **why)
{
	struct boot_mem m;
	struct rp_boot_info bi = test_info();

	guest_init(g, &m, mem);
	return ring3_build(&m, mem, elf, size, &bi, s, why);
}

/* The effective leaf: P, RW and US ANDed over the levels, NX ORed; 0 when
 * some level is not present. */
static uint64_t walk(const struct guest *g, uint64_t cr3, uint64_t va)
{
	uint64_t table = cr3, rights = P | RW | US, nx = 0, e = 0;
	int level;

	for (level = 3; level >= 0; level--) {
		unsigned idx = (va >> (12 + 9 * level)) & 511;

		assert_true(table + 4096 <= g->size);
		e = ld(g->mem + table + idx * 8, 8);
		if (!(e & P))
			return 0;
		rights &= e;
		nx |= e & NX;
		if (level == 1 && (e & PS))
			return (e & ~(P | RW | US | NX)) | rights | nx;
		table = e & ADDR;
	}
	return (e & ~(P | RW | US | NX)) | rights | nx;
}

static void expect_page(const struct guest *g, uint64_t va, uint64_t want)
{
	uint64_t e = walk(g, RING3_PT_GPA, va);

	if ((e & (P | RW | US | NX)) != want)
		fail_msg("va 0x%llx: entry 0x%llx, want flags 0x%llx", (unsigned long long)va,
			 (unsigned long long)e, (unsigned long long)want);
	if (want)
		assert_int_equal(e & ADDR & ~0xfffULL, va & ~0xfffULL & ((e & PS) ? ~0x1fffffULL : ~0ULL));
}

/* ---- the built VM --------------------------------------------------------------- */

static void test_page_tables(void **state)
{
	struct guest g;
	struct rp_vcpu_state s;
	const char *why = NULL;
	uint8_t *elf = make_elf();
	uint64_t va;

	assert_int_equal(build(&g, MEM, elf, ELF_SIZE, &s, &why), 0);
	expect_page(&g, 0, 0);                                /* page 0: nothing */
	expect_page(&g, RP_BOOT_INFO_GPA, P | US | NX);       /* user read-only */
	expect_page(&g, RING3_GDT_GPA, P | NX);               /* supervisor read-only */
	expect_page(&g, RING3_TSS_GPA + 0x2000, P | NX);      /* TSS + I/O bitmap */
	expect_page(&g, RING3_IDT_GPA, P | NX);
	expect_page(&g, RING3_STUB_GPA, P);                   /* supervisor code */
	expect_page(&g, RING3_STACK_GPA, P | RW | NX);        /* ring-0 stack */
	expect_page(&g, RING3_STACK_TOP, 0);                  /* gap */
	expect_page(&g, RING3_PT_GPA, P | NX);                /* the tables themselves */
	expect_page(&g, RING3_PT_GPA + 0x1000, P | NX);
	expect_page(&g, RP_IMAGE_BASE - 0x1000, 0);
	expect_page(&g, TEXT, P | US);                        /* R X */
	expect_page(&g, RODATA, P | US | NX);                 /* R */
	expect_page(&g, DATA, P | US | RW | NX);              /* R W */
	expect_page(&g, DATA + DATA_MEMSZ - 1, P | US | RW | NX);
	expect_page(&g, DATA + DATA_MEMSZ, 0);                /* past the image */
	for (va = 4 * MIB; va < MEM; va += 2 * MIB) {         /* free memory, 2 MiB pages */
		expect_page(&g, va, P | US | RW | NX);
		assert_true(walk(&g, RING3_PT_GPA, va) & PS);
	}
	expect_page(&g, MEM - 1, P | US | RW | NX);
	expect_page(&g, MEM, 0);
	expect_page(&g, 1ULL << 30, 0);
	/* Segments loaded, bss cleared. */
	assert_int_equal(g.mem[TEXT + 0xff], 0x90);
	assert_int_equal(g.mem[TEXT + 0x100], 0);
	assert_int_equal(g.mem[RODATA], 0x52);
	assert_int_equal(g.mem[DATA + 0xf], 0x44);
	assert_int_equal(g.mem[DATA + 0x10], 0);
	assert_int_equal(g.mem[DATA + DATA_MEMSZ - 1], 0);
	guest_free(&g);
	free(elf);
}

static void test_tables_and_stub(void **state)
{
	struct guest g;
	struct rp_vcpu_state s;
	const char *why = NULL;
	uint8_t *elf = make_elf(), *gdt, *tss, *idt, *stub;
	unsigned v;

	assert_int_equal(build(&g, MEM, elf, ELF_SIZE, &s, &why), 0);
	gdt = g.mem + RING3_GDT_GPA;
	tss = g.mem + RING3_TSS_GPA;
	idt = g.mem + RING3_IDT_GPA;
	stub = g.mem + RING3_STUB_GPA;
	assert_int_equal(ld(gdt, 8), 0);
	assert_int_equal(ld(gdt + RING3_KCS, 8), 0x00af9b000000ffffULL);
	assert_int_equal(ld(gdt + RING3_KDS, 8), 0x00cf93000000ffffULL);
	assert_int_equal(ld(gdt + (RING3_UDS & ~3), 8), 0x00cff3000000ffffULL);
	assert_int_equal(ld(gdt + (RING3_UCS & ~3), 8), 0x00affb000000ffffULL);
	/* TSS descriptor: limit, base, busy 64-bit TSS, DPL 0. */
	assert_int_equal(ld(gdt + RING3_TSS, 2), RING3_TSS_LIMIT);
	assert_int_equal(ld(gdt + RING3_TSS + 2, 3), RING3_TSS_GPA);
	assert_int_equal(gdt[RING3_TSS + 5], 0x8b);
	assert_int_equal(ld(gdt + RING3_TSS + 8, 4), 0);
	/* TSS: RSP0, every port allowed, the closing 0xff. */
	assert_int_equal(ld(tss + 4, 8), RING3_STACK_TOP);
	assert_int_equal(ld(tss + 102, 2), 0x68);
	for (v = 0x68; v < RING3_TSS_LIMIT; v++)
		assert_int_equal(tss[v], 0);
	assert_int_equal(tss[RING3_TSS_LIMIT], 0xff);
	/* IDT gates: interrupt gate, DPL 0, to the vector's stub. */
	for (v = 0; v < RING3_NVEC; v++) {
		uint8_t *gate = idt + v * 16;
		uint64_t off = ld(gate, 2) | ld(gate + 6, 2) << 16 | ld(gate + 8, 4) << 32;

		assert_int_equal(off, RING3_STUB_GPA + v * RING3_STUB_SIZE);
		assert_int_equal(ld(gate + 2, 2), RING3_KCS);
		assert_int_equal(gate[4], 0);
		assert_int_equal(gate[5], 0x8e);
	}
	assert_int_equal(ld(idt + RING3_NVEC * 16, 8), 0);
	/* #UD (no error code): push $0; mov $6,%eax; mov $port,%dx; out; hlt; jmp hlt. */
	assert_memory_equal(stub + 6 * RING3_STUB_SIZE,
			    "\x6a\x00\xb8\x06\x00\x00\x00\x66\xba\x11\x05\xef\xf4\xeb\xfd", 15);
	/* #PF (error code pushed by the CPU). */
	assert_memory_equal(stub + 14 * RING3_STUB_SIZE,
			    "\xb8\x0e\x00\x00\x00\x66\xba\x11\x05\xef\xf4\xeb\xfd", 13);
	guest_free(&g);
	free(elf);
}

static void test_state_and_info(void **state)
{
	struct guest g;
	struct rp_vcpu_state s;
	const char *why = NULL;
	uint8_t *elf = make_elf();
	struct rp_boot_info bi;

	assert_int_equal(build(&g, MEM, elf, ELF_SIZE, &s, &why), 0);
	assert_int_equal(s.rip, TEXT + 0x10);
	assert_int_equal(s.rdi, RP_BOOT_INFO_GPA);
	assert_int_equal(s.rsp, 0);
	assert_int_equal(s.rflags, 0x3002); /* IOPL 3, interrupts off */
	assert_int_equal(s.cs.selector, RING3_UCS);
	assert_int_equal(s.cs.dpl, 3);
	assert_int_equal(s.cs.l, 1);
	assert_int_equal(s.cs.db, 0);
	assert_int_equal(s.cs.type, 0xb);
	assert_int_equal(s.cs.present, 1);
	assert_int_equal(s.ss.selector, RING3_UDS);
	assert_int_equal(s.ss.dpl, 3);
	assert_int_equal(s.ss.type, 3);
	assert_int_equal(s.ds.selector, RING3_UDS);
	assert_int_equal(s.gs.selector, RING3_UDS);
	assert_int_equal(s.tr.selector, RING3_TSS);
	assert_int_equal(s.tr.base, RING3_TSS_GPA);
	assert_int_equal(s.tr.limit, RING3_TSS_LIMIT);
	assert_int_equal(s.tr.type, 0xb);
	assert_int_equal(s.tr.s, 0);
	assert_int_equal(s.ldt.present, 0);
	assert_int_equal(s.gdt.base, RING3_GDT_GPA);
	assert_int_equal(s.gdt.limit, 0x37);
	assert_int_equal(s.idt.base, RING3_IDT_GPA);
	assert_int_equal(s.idt.limit, RING3_NVEC * 16 - 1);
	assert_int_equal(s.cr0, 0x80050033);
	assert_int_equal(s.cr3, RING3_PT_GPA);
	assert_int_equal(s.cr4, 0x620);
	assert_int_equal(s.efer, 0xd00);
	memcpy(&bi, g.mem + RP_BOOT_INFO_GPA, sizeof(bi));
	assert_int_equal(bi.magic, RP_BOOT_MAGIC);
	assert_int_equal(bi.version, RP_ABI_VERSION);
	assert_int_equal(bi.mem_size, MEM);
	assert_int_equal(bi.free_start, 4 * MIB);
	assert_int_equal(bi.depth, 2);
	assert_string_equal(bi.kind, "spin");
	assert_int_equal(bi.args[1], 8);
	assert_int_equal(g.mem[RP_BOOT_INFO_GPA + sizeof(bi)], 0); /* rest of the page cleared */
	guest_free(&g);
	free(elf);
}

/* A 4 GiB guest: PDs past the first GiB, all of it reachable. */
static void test_large_memory(void **state)
{
	struct guest g;
	struct rp_vcpu_state s;
	const char *why = NULL;
	uint8_t *elf = make_elf();
	uint64_t mem = 4ULL << 30;

	assert_int_equal(build(&g, mem, elf, ELF_SIZE, &s, &why), 0);
	expect_page(&g, (1ULL << 30) + 2 * MIB, P | US | RW | NX);
	expect_page(&g, mem - 2 * MIB, P | US | RW | NX);
	expect_page(&g, mem, 0);
	guest_free(&g);
	free(elf);
}

/* ---- refusals ----------------------------------------------------------- */

struct bad {
	const char *name;
	void (*mutate)(uint8_t *e, uint64_t *size, uint64_t *mem);
	const char *why; /* a substring of the refusal */
};

static void m_magic(uint8_t *e, uint64_t *z, uint64_t *m) { e[1] = 'X'; }
static void m_class(uint8_t *e, uint64_t *z, uint64_t *m) { e[4] = 1; }
static void m_endian(uint8_t *e, uint64_t *z, uint64_t *m) { e[5] = 2; }
static void m_machine(uint8_t *e, uint64_t *z, uint64_t *m) { st(e + 18, 3, 2); }
static void m_type(uint8_t *e, uint64_t *z, uint64_t *m) { st(e + 16, 3, 2); }
static void m_short(uint8_t *e, uint64_t *z, uint64_t *m) { *z = 40; }
static void m_phentsize(uint8_t *e, uint64_t *z, uint64_t *m) { st(e + 54, 32, 2); }
static void m_phnum0(uint8_t *e, uint64_t *z, uint64_t *m) { st(e + 56, 0, 2); }
static void m_phoff(uint8_t *e, uint64_t *z, uint64_t *m) { st(e + 32, ELF_SIZE - 100, 8); }
static void m_phoff_wrap(uint8_t *e, uint64_t *z, uint64_t *m) { st(e + 32, ~0ULL - 10, 8); }
static void m_data_out(uint8_t *e, uint64_t *z, uint64_t *m) { st(e + 64 + 8, ELF_SIZE - 0x80, 8); }
static void m_data_wrap(uint8_t *e, uint64_t *z, uint64_t *m) { st(e + 64 + 8, ~0ULL - 0x10, 8); }
static void m_filesz(uint8_t *e, uint64_t *z, uint64_t *m) { st(e + 64 + 32, 0x200, 8); }
static void m_paddr(uint8_t *e, uint64_t *z, uint64_t *m) { st(e + 64 + 24, 0x300000, 8); }
static void m_align(uint8_t *e, uint64_t *z, uint64_t *m) { phdr(e, 1, 1, 4, 0x2000, RODATA + 8, 0x80, 0x80); }
static void m_below(uint8_t *e, uint64_t *z, uint64_t *m) { phdr(e, 1, 1, 4, 0x2000, 0x1f0000, 0x80, 0x80); }
static void m_outside(uint8_t *e, uint64_t *z, uint64_t *m) { phdr(e, 2, 1, 6, 0x3000, DATA, 0x10, MEM); }
static void m_wrap(uint8_t *e, uint64_t *z, uint64_t *m) { phdr(e, 2, 1, 6, 0x3000, DATA, 0x10, ~0ULL - 0x1000); }
static void m_overlap(uint8_t *e, uint64_t *z, uint64_t *m) { phdr(e, 1, 1, 4, 0x2000, TEXT + 0x1000 - 0x1000, 0x80, 0x80); }
static void m_overlap_page(uint8_t *e, uint64_t *z, uint64_t *m) { phdr(e, 0, 1, 5, 0x1000, TEXT, 0x100, 0x1001); }
static void m_wx(uint8_t *e, uint64_t *z, uint64_t *m) { phdr(e, 2, 1, 7, 0x3000, DATA, 0x10, 0x10); }
static void m_noflags(uint8_t *e, uint64_t *z, uint64_t *m) { phdr(e, 1, 1, 0, 0x2000, RODATA, 0x80, 0x80); }
static void m_empty(uint8_t *e, uint64_t *z, uint64_t *m) { phdr(e, 1, 1, 4, 0x2000, RODATA, 0, 0); }
static void m_noload(uint8_t *e, uint64_t *z, uint64_t *m) { st(e + 56, 0, 2); st(e + 56, 1, 2); phdr(e, 0, 4, 4, 0, 0, 0, 0); }
static void m_interp(uint8_t *e, uint64_t *z, uint64_t *m) { phdr(e, 3, 3, 4, 0x2000, 0, 0x10, 0x10); }
static void m_entry_data(uint8_t *e, uint64_t *z, uint64_t *m) { st(e + 24, DATA, 8); }
static void m_entry_out(uint8_t *e, uint64_t *z, uint64_t *m) { st(e + 24, TEXT + 0x100, 8); }
static void m_mem_odd(uint8_t *e, uint64_t *z, uint64_t *m) { *m = MEM + 0x1000; }
static void m_mem_small(uint8_t *e, uint64_t *z, uint64_t *m) { *m = 2 * MIB; }
static void m_mem_huge(uint8_t *e, uint64_t *z, uint64_t *m) { *m = RING3_MAX_MEM + 2 * MIB; }

static const struct bad bads[] = {
	{"magic", m_magic, "bad magic"},
	{"class", m_class, "class"},
	{"endian", m_endian, "little endian"},
	{"machine", m_machine, "machine"},
	{"type", m_type, "ET_EXEC"},
	{"short", m_short, "shorter than"},
	{"phentsize", m_phentsize, "header size"},
	{"phnum 0", m_phnum0, "count"},
	{"phdrs out of file", m_phoff, "program headers lie outside"},
	{"phoff wraps", m_phoff_wrap, "program headers lie outside"},
	{"segment data out of file", m_data_out, "data lies outside the file"},
	{"segment offset wraps", m_data_wrap, "data lies outside the file"},
	{"filesz > memsz", m_filesz, "filesz exceeds memsz"},
	{"paddr != vaddr", m_paddr, "paddr"},
	{"vaddr unaligned", m_align, "not page aligned"},
	{"below the image base", m_below, "below RP_IMAGE_BASE"},
	{"outside memory", m_outside, "outside the guest memory"},
	{"memsz wraps", m_wrap, "outside the guest memory"},
	{"overlap", m_overlap, "overlap"},
	{"overlap by page", m_overlap_page, "overlap"},
	{"W+X", m_wx, "writable and executable"},
	{"no rights", m_noflags, "no access rights"},
	{"empty", m_empty, "empty"},
	{"no PT_LOAD", m_noload, "no PT_LOAD"},
	{"PT_INTERP", m_interp, "dynamic"},
	{"entry in data", m_entry_data, "entry point"},
	{"entry past text", m_entry_out, "entry point"},
	{"mem not 2 MiB multiple", m_mem_odd, "multiple of 2 MiB"},
	{"mem too small", m_mem_small, "RING3_MIN_MEM"},
	{"mem too large", m_mem_huge, "RING3_MAX_MEM"},
};

static void test_refusals(void **state)
{
	const char *seen[sizeof(bads) / sizeof(bads[0])];
	unsigned i, j, n = 0;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct guest g;
		struct rp_vcpu_state s;
		uint8_t *elf = make_elf();
		uint64_t size = ELF_SIZE, mem = MEM;
		const char *why = NULL;
		struct boot_mem m;
		struct rp_boot_info bi = test_info();

		bads[i].mutate(elf, &size, &mem);
		guest_init(&g, &m, mem < MEM ? MEM : mem > 64 * MIB ? MEM : mem);
		if (ring3_build(&m, mem, elf, size, &bi, &s, &why) != -1 || !why)
			fail_msg("%s: accepted", bads[i].name);
		if (!strstr(why, bads[i].why))
			fail_msg("%s: refused with \"%s\", want \"%s\"", bads[i].name, why, bads[i].why);
		for (j = 0; j < n && strcmp(seen[j], why); j++)
			;
		if (j == n)
			seen[n++] = why;
		guest_free(&g);
		free(elf);
	}
	assert_true(n >= 20); /* the reasons are distinct, not one catch-all */
}

/* Memory the caller's gpa_ptr does not cover is refused before any write. */
static void test_memory_not_covered(void **state)
{
	struct guest g;
	struct boot_mem m;
	struct rp_vcpu_state s;
	struct rp_boot_info bi = test_info();
	const char *why = NULL;
	uint8_t *elf = make_elf();

	guest_init(&g, &m, MEM);
	g.size = 6 * MIB; /* gpa_ptr knows less than mem_size */
	assert_int_equal(ring3_build(&m, MEM, elf, ELF_SIZE, &bi, &s, &why), -1);
	assert_non_null(strstr(why, "not all reachable"));
	g.size = MEM;
	guest_free(&g);
	free(elf);
}

/* Device windows: user RW NX at their own address, nothing beside them; bad ones refused. */
static void test_device_windows(void **state)
{
	struct guest g;
	struct boot_mem m;
	struct rp_vcpu_state s;
	struct rp_boot_info bi = test_info();
	const char *why = NULL;
	uint8_t *elf = make_elf();

	guest_init(&g, &m, MEM);
	bi.ndevs = 2;
	bi.devs[0] = (struct rp_dev){.id = 2, .base = RP_DEV_BASE};
	bi.devs[1] = (struct rp_dev){.id = 2, .base = RP_DEV_BASE + 3 * RP_DEV_SIZE};
	assert_int_equal(ring3_build(&m, MEM, elf, ELF_SIZE, &bi, &s, &why), 0);
	expect_page(&g, RP_DEV_BASE, P | US | RW | NX);
	expect_page(&g, RP_DEV_BASE + RP_DEV_SIZE, 0);
	expect_page(&g, RP_DEV_BASE + 3 * RP_DEV_SIZE, P | US | RW | NX);
	expect_page(&g, RP_DEV_BASE + 4 * RP_DEV_SIZE, 0);
	assert_int_equal(((struct rp_boot_info *)(g.mem + RP_BOOT_INFO_GPA))->ndevs, 2);
	bi.devs[1].base = RP_DEV_BASE + 4 * RP_DEV_SIZE; /* past the window */
	assert_int_equal(ring3_build(&m, MEM, elf, ELF_SIZE, &bi, &s, &why), -1);
	bi.devs[1].base = RP_DEV_BASE + 0x800; /* not page aligned */
	assert_int_equal(ring3_build(&m, MEM, elf, ELF_SIZE, &bi, &s, &why), -1);
	bi.devs[1].base = RP_DEV_BASE;
	bi.ndevs = RP_MAX_DEVS + 1;
	assert_int_equal(ring3_build(&m, MEM, elf, ELF_SIZE, &bi, &s, &why), -1);
	guest_free(&g);
	free(elf);
}

static void test_layout(void **state)
{
	static const struct {
		uint64_t gpa, end;
		uint32_t rights;
	} want[] = {
		{0, RING3_STACK_GPA, RP_MAP_R},
		{RING3_STACK_GPA, RING3_STACK_TOP, RP_MAP_R | RP_MAP_W}, /* the ring-0 stack */
		{RING3_STACK_TOP, RP_IMAGE_BASE, RP_MAP_R | RP_MAP_W},   /* page tables */
		{TEXT, RODATA, RP_MAP_R | RP_MAP_X},
		{RODATA, DATA, RP_MAP_R},
		{DATA, DATA + DATA_MEMSZ, RP_MAP_R | RP_MAP_W},
		{DATA + DATA_MEMSZ, MEM, RP_MAP_R | RP_MAP_W},
	};
	struct ring3_range r[RING3_MAX_RANGES];
	struct guest g;
	struct rp_vcpu_state s;
	const char *why = NULL;
	uint8_t *elf = make_elf();
	int n;

	(void)state;
	n = ring3_layout(MEM, elf, ELF_SIZE, r, RING3_MAX_RANGES, &why);
	assert_int_equal(n, 7);
	assert_null(why);
	for (int i = 0; i < n; i++) {
		assert_int_equal(r[i].gpa, want[i].gpa);
		assert_int_equal(r[i].gpa + r[i].size, want[i].end);
		assert_int_equal(r[i].rights, want[i].rights);
	}
	/* The code range says which bytes of the file it holds. */
	assert_int_equal(r[3].offset, 0x1000);
	assert_int_equal(r[3].filesz, 0x100);
	/* Sealed tables are never written by the CPU: accessed and dirty preset. */
	assert_int_equal(build(&g, MEM, elf, ELF_SIZE, &s, &why), 0);
	assert_int_equal(walk(&g, RING3_PT_GPA, TEXT) & 0x60, 0x60);
	assert_int_equal(walk(&g, RING3_PT_GPA, 4 * MIB) & 0x60, 0x60);
	assert_int_equal(ld(g.mem + RING3_PT_GPA, 8) & 0x20, 0x20); /* PML4 entry */
	guest_free(&g);
	/* Refused: too few ranges, a bad size, a bad image. */
	assert_int_equal(ring3_layout(MEM, elf, ELF_SIZE, r, 4, &why), -1);
	assert_non_null(why);
	assert_int_equal(ring3_layout(MEM + 4096, elf, ELF_SIZE, r, RING3_MAX_RANGES, &why), -1);
	elf[18] = 3;
	assert_int_equal(ring3_layout(MEM, elf, ELF_SIZE, r, RING3_MAX_RANGES, &why), -1);
	free(elf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_tables),     cmocka_unit_test(test_tables_and_stub),
		cmocka_unit_test(test_state_and_info),  cmocka_unit_test(test_large_memory),
		cmocka_unit_test(test_refusals),        cmocka_unit_test(test_memory_not_covered),
		cmocka_unit_test(test_device_windows),  cmocka_unit_test(test_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
