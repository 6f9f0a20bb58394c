/* SPDX-License-Identifier: MIT */
/*
 * bzImage parsing and the 64-bit Linux boot protocol
 * (Documentation/arch/x86/boot.rst).
 *
 * Invariants kept here:
 * - every byte read from the image lies inside [0, size): boot_parse checks
 *   the setup header range before reading it, and the setup and kernel
 *   parts against the file size;
 * - every guest write goes through boot_gpa() with its full length, so a
 *   structure never spills past what gpa_ptr vouched for;
 * - kernel [load, load + max(init_size, kernel_size)) and initrd lie in low
 *   RAM above 1 MiB, do not overlap, and the initrd ends at or below
 *   initrd_addr_max + 1; the loader's own structures sit below 1 MiB.
 */
#include "boot/boot.h"
#include "boot/boot_int.h"
#include "lib/rt.h"

/* Setup header offsets in the image and in boot_params (same place). */
#define HDR_START 0x1f1
#define HDR_SETUP_SECTS 0x1f1
#define HDR_SYSSIZE 0x1f4
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP_LEN 0x201 /* header ends at 0x202 + this byte */
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_CODE32_START 0x214
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_SETUP_DATA 0x250
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define HDR_NEEDED_END 0x264 /* we read up to init_size (protocol 2.10+) */
#define HDR_MAX_END 0x290    /* boot_params has room for no more */

/* boot_params fields outside the setup header. */
#define BP_ACPI_RSDP_ADDR 0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE 0x2d0
#define BP_SIZE 0x1000

#define LOADED_HIGH 0x01
#define XLF_KERNEL_64 0x0001
#define MIN_VERSION 0x020c /* 2.12: xloadflags, 64-bit entry */
#define ENTRY_64_OFFSET 0x200

/* An alignment past 1 GiB could only push the kernel out of any guest; a
 * hostile header would use it to wrap the align-up arithmetic. */
#define MAX_KERNEL_ALIGN (1u << 30)

#define MIB (1ULL << 20)
#define LOW_RAM_BIOS_END 0x9fc00ULL /* EBDA and ROM area start here */
#define HIGH_MEM_START 0x100000ULL
#define RELOC_BASE (16ULL << 20) /* where a relocatable kernel goes otherwise */
#define PAGE 0x1000ULL

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ENTRY 20

#define GDT_ENTRIES 4
#define PTE_P 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_PS 0x80ULL

static char why_buf[96];

const char *boot_why_num(const char *a, uint64_t n, const char *b)
{
	char digits[20];
	size_t len = 0, nd = 0;

	do {
		digits[nd++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	for (; *a && len < sizeof(why_buf) - 1; a++)
		why_buf[len++] = *a;
	while (nd && len < sizeof(why_buf) - 1)
		why_buf[len++] = digits[--nd];
	for (; *b && len < sizeof(why_buf) - 1; b++)
		why_buf[len++] = *b;
	why_buf[len] = 0;
	return why_buf;
}

void *boot_gpa(const struct boot_mem *m, uint64_t gpa, uint64_t len)
{
	uint64_t end;

	if (!m || !m->gpa_ptr || !len || !rt_add_ok(gpa, len, &end))
		return NULL;
	return m->gpa_ptr(m->ctx, gpa, len);
}

unsigned boot_ram_regions(uint64_t mem, struct boot_region out[2])
{
	out[0].gpa = 0;
	out[0].size = mem < BOOT_HOLE_START ? mem : BOOT_HOLE_START;
	if (mem <= BOOT_HOLE_START)
		return 1;
	out[1].gpa = BOOT_HOLE_END;
	out[1].size = mem - BOOT_HOLE_START;
	return 2;
}

/* ---- boot_parse ----------------------------------------------------------- */

static int refuse(const char **why, const char *text)
{
	if (why)
		*why = text;
	return -1;
}

static int parse_layout(const uint8_t *b, uint64_t size, struct boot_kernel *k, const char **why)
{
	unsigned sects = b[HDR_SETUP_SECTS] ? b[HDR_SETUP_SECTS] : 4;
	uint64_t hdr_end = 0x202 + (uint64_t)b[HDR_JUMP_LEN];
	uint64_t syssize;

	k->setup_bytes = (sects + 1) * 512;
	if (k->setup_bytes > size)
		return refuse(why, boot_why_num("truncated: setup needs ", k->setup_bytes, " bytes"));
	if (hdr_end < HDR_NEEDED_END)
		return refuse(why, "setup header too short for protocol 2.12");
	k->kernel_offset = k->setup_bytes;
	k->kernel_size = size - k->setup_bytes;
	if (!k->kernel_size)
		return refuse(why, "not a bzImage: protected-mode kernel part is empty");
	/* syssize: the protected-mode part's length in 16-byte units. */
	syssize = (uint64_t)rt_le32(b + HDR_SYSSIZE) * 16;
	if (syssize > k->kernel_size)
		return refuse(why, boot_why_num("truncated: the header promises ",
						k->setup_bytes + syssize, " bytes"));
	return 0;
}

static int parse_fields(const uint8_t *b, struct boot_kernel *k, const char **why)
{
	k->xloadflags = rt_le16(b + HDR_XLOADFLAGS);
	k->init_size = rt_le32(b + HDR_INIT_SIZE);
	k->alignment = rt_le32(b + HDR_KERNEL_ALIGNMENT);
	k->relocatable = b[HDR_RELOCATABLE] != 0;
	k->cmdline_size = rt_le32(b + HDR_CMDLINE_SIZE);
	k->initrd_addr_max = rt_le32(b + HDR_INITRD_ADDR_MAX);
	k->pref_address = rt_le64(b + HDR_PREF_ADDRESS);

	if (!(b[HDR_LOADFLAGS] & LOADED_HIGH))
		return refuse(why, "kernel does not load high (LOADED_HIGH clear)");
	if (!(k->xloadflags & XLF_KERNEL_64))
		return refuse(why, "kernel has no 64-bit entry (XLF_KERNEL_64 clear)");
	if (!k->alignment || (k->alignment & (k->alignment - 1)) || k->alignment > MAX_KERNEL_ALIGN)
		return refuse(why, boot_why_num("bad kernel_alignment ", k->alignment,
						" (need a power of 2 up to 1 GiB)"));
	if (!k->init_size)
		return refuse(why, "init_size is zero");
	if (!k->relocatable &&
	    (k->pref_address < HIGH_MEM_START || k->pref_address >= BOOT_HOLE_START))
		return refuse(why, "non-relocatable kernel with pref_address outside low RAM");
	return 0;
}

int boot_parse(const void *img, uint64_t size, struct boot_kernel *k, const char **why)
{
	const uint8_t *b = img;
	int err;

	if (!img || !k)
		return refuse(why, "no kernel image");
	rt_memset(k, 0, sizeof(*k));
	if (size < HDR_NEEDED_END)
		return refuse(why, boot_why_num("truncated: ", size,
						" bytes cannot hold a bzImage setup header"));
	if (rt_le16(b + HDR_BOOT_FLAG) != 0xaa55)
		return refuse(why, "not a bzImage: no 0xAA55 boot flag at 0x1fe");
	if (rt_memcmp(b + HDR_MAGIC, "HdrS", 4))
		return refuse(why, "not a bzImage: no HdrS signature");
	k->version = rt_le16(b + HDR_VERSION);
	if (k->version < MIN_VERSION)
		return refuse(why, "boot protocol too old (need 2.12)");
	err = parse_layout(b, size, k, why);
	if (!err)
		err = parse_fields(b, k, why);
	return err;
}

/* ---- boot_linux: placement -------------------------------------------------- */

struct layout {
	uint64_t low_end;
	uint64_t kernel, kernel_end; /* kernel_end: load + max(init, file) */
	uint64_t initrd, initrd_size;
	uint64_t cmdline_len; /* without the NUL */
};

static bool kernel_fits(uint64_t at, uint64_t need, uint64_t low_end)
{
	uint64_t end;

	return at >= HIGH_MEM_START && rt_add_ok(at, need, &end) && end <= low_end;
}

static int place_kernel(const struct boot_kernel *k, struct layout *l, const char **why)
{
	uint64_t need = k->init_size > k->kernel_size ? k->init_size : k->kernel_size;
	uint64_t at = k->pref_address;

	if (!(at & (k->alignment - 1)) && kernel_fits(at, need, l->low_end)) {
		l->kernel = at;
	} else if (k->relocatable) {
		at = (RELOC_BASE + k->alignment - 1) & ~((uint64_t)k->alignment - 1);
		if (!kernel_fits(at, need, l->low_end))
			return refuse(why, boot_why_num("kernel needs ", (at + need + MIB - 1) >> 20,
							" MiB of low RAM: guest too small"));
		l->kernel = at;
	} else {
		return refuse(why, "non-relocatable kernel does not fit at its pref_address");
	}
	l->kernel_end = l->kernel + need;
	return 0;
}

static int place_initrd(const struct boot_kernel *k, const struct boot_config *c,
			struct layout *l, const char **why)
{
	uint64_t top = l->low_end;

	l->initrd = l->initrd_size = 0;
	if (!c->initrd || !c->initrd_size)
		return 0;
	if ((uint64_t)k->initrd_addr_max + 1 < top)
		top = (uint64_t)k->initrd_addr_max + 1;
	top &= ~(PAGE - 1);
	if (c->initrd_size > top || ((top - c->initrd_size) & ~(PAGE - 1)) < l->kernel_end)
		return refuse(why, boot_why_num("initrd too large for ", c->mem >> 20,
						" MiB guest"));
	l->initrd = (top - c->initrd_size) & ~(PAGE - 1);
	l->initrd_size = c->initrd_size;
	return 0;
}

int boot_check_topology(const struct boot_config *c, const char **why)
{
	if (c->ncpus < 1 || c->ncpus > BOOT_MAX_CPUS)
		return refuse(why, boot_why_num("bad vCPU count ", c->ncpus, " (need 1 to 8)"));
	if (c->ndevs > BOOT_MAX_DEVICES)
		return refuse(why, boot_why_num("too many devices: ", c->ndevs, " (at most 8)"));
	if (c->ndevs && !c->devs)
		return refuse(why, "device list missing");
	for (unsigned i = 0; i < c->ndevs; i++) {
		const struct boot_device *d = &c->devs[i];

		if (d->base < BOOT_HOLE_START || d->base > BOOT_IOAPIC_BASE - BOOT_MMIO_WINDOW ||
		    (d->base & (BOOT_MMIO_WINDOW - 1)))
			return refuse(why, boot_why_num("virtio-mmio window of device ", i,
							" outside the device hole"));
		if (d->gsi < BOOT_FIRST_GSI || d->gsi > BOOT_MAX_GSI)
			return refuse(why, boot_why_num("bad GSI ", d->gsi,
							" for a virtio-mmio device (need 16 to 23)"));
	}
	return 0;
}

static int check_config(const struct boot_config *c, const struct boot_kernel *k,
			struct layout *l, const char **why)
{
	if (c->mem < BOOT_MIN_MEM)
		return refuse(why, boot_why_num("guest memory too small: ", c->mem >> 20,
						" MiB (need at least 96 MiB)"));
	if (c->mem > BOOT_MAX_MEM)
		return refuse(why, boot_why_num("guest memory too large: ", c->mem >> 20,
						" MiB (at most 65536 MiB)"));
	if (boot_check_topology(c, why))
		return -1;
	l->cmdline_len = c->cmdline ? rt_strnlen(c->cmdline, BOOT_MAX_CMDLINE) : 0;
	if (l->cmdline_len >= BOOT_MAX_CMDLINE)
		return refuse(why, "command line too long (at most 2047 bytes)");
	if (l->cmdline_len > k->cmdline_size)
		return refuse(why, boot_why_num("command line too long for this kernel (at most ",
						k->cmdline_size, " bytes)"));
	l->low_end = c->mem < BOOT_HOLE_START ? c->mem : BOOT_HOLE_START;
	return 0;
}

/* ---- boot_linux: writing guest memory ------------------------------------- */

static int put(const struct boot_mem *m, uint64_t gpa, const void *src, uint64_t len,
	       const char *what, const char **why)
{
	void *p = boot_gpa(m, gpa, len);

	if (!p)
		return refuse(why, what);
	rt_memcpy(p, src, len);
	return 0;
}

static unsigned e820_add(uint8_t *t, unsigned n, uint64_t addr, uint64_t size, uint32_t type)
{
	uint8_t *e = t + n * E820_ENTRY;

	rt_put64(e, addr);
	rt_put64(e + 8, size);
	rt_put32(e + 16, type);
	return n + 1;
}

static void fill_params(uint8_t *bp, const uint8_t *img, const struct boot_config *c,
			const struct layout *l, uint64_t rsdp)
{
	uint64_t hdr_end = 0x202 + (uint64_t)img[HDR_JUMP_LEN];
	struct boot_region r[2];
	unsigned nr = boot_ram_regions(c->mem, r), n = 0;
	uint8_t *t = bp + BP_E820_TABLE;

	rt_memset(bp, 0, BP_SIZE);
	if (hdr_end > HDR_MAX_END)
		hdr_end = HDR_MAX_END;
	rt_memcpy(bp + HDR_START, img + HDR_START, hdr_end - HDR_START);
	bp[HDR_TYPE_OF_LOADER] = 0xff;
	rt_put32(bp + HDR_CODE32_START, (uint32_t)l->kernel);
	rt_put32(bp + HDR_CMD_LINE_PTR, (uint32_t)BOOT_CMDLINE_ADDR);
	rt_put32(bp + BP_EXT_CMD_LINE_PTR, 0); /* the command line is below 4 GiB */
	rt_put32(bp + HDR_RAMDISK_IMAGE, (uint32_t)l->initrd);
	rt_put32(bp + HDR_RAMDISK_SIZE, (uint32_t)l->initrd_size);
	rt_put32(bp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(l->initrd >> 32));
	rt_put32(bp + BP_EXT_RAMDISK_SIZE, (uint32_t)(l->initrd_size >> 32));
	rt_put64(bp + HDR_SETUP_DATA, 0); /* no chain: the image's value is not ours */
	rt_put64(bp + BP_ACPI_RSDP_ADDR, rsdp);

	n = e820_add(t, n, 0, LOW_RAM_BIOS_END, E820_RAM);
	n = e820_add(t, n, LOW_RAM_BIOS_END, HIGH_MEM_START - LOW_RAM_BIOS_END, E820_RESERVED);
	n = e820_add(t, n, HIGH_MEM_START, r[0].size - HIGH_MEM_START, E820_RAM);
	if (nr == 2)
		n = e820_add(t, n, r[1].gpa, r[1].size, E820_RAM);
	bp[BP_E820_ENTRIES] = (uint8_t)n;
}

static int write_gdt_and_tables(const struct boot_mem *m, const char **why)
{
	const uint64_t gdt[GDT_ENTRIES] = { 0, 0, 0x00af9b000000ffffULL, 0x00cf93000000ffffULL };
	uint8_t *g = boot_gpa(m, BOOT_GDT_ADDR, sizeof(gdt));
	/* PML4, PDPT, then four page directories, one page each. */
	uint8_t *pt = boot_gpa(m, BOOT_PML4_ADDR, 6 * PAGE);
	uint64_t pdpt = BOOT_PML4_ADDR + PAGE, pd = BOOT_PML4_ADDR + 2 * PAGE;

	if (!g || !pt)
		return refuse(why, "guest memory for GDT or page tables unreachable");
	for (unsigned i = 0; i < GDT_ENTRIES; i++)
		rt_put64(g + 8 * i, gdt[i]);
	rt_memset(pt, 0, 6 * PAGE);
	rt_put64(pt, pdpt | PTE_P | PTE_RW);
	for (unsigned i = 0; i < 4; i++)
		rt_put64(pt + PAGE + 8 * i, (pd + i * PAGE) | PTE_P | PTE_RW);
	for (uint64_t j = 0; j < 4 * 512; j++)
		rt_put64(pt + 2 * PAGE + 8 * j, (j << 21) | PTE_P | PTE_RW | PTE_PS);
	return 0;
}

static int write_images(const struct boot_mem *m, const struct boot_kernel *k,
			const struct boot_config *c, const struct layout *l, const char **why)
{
	const uint8_t *img = c->kernel;
	char nul = 0;

	if (put(m, l->kernel, img + k->kernel_offset, k->kernel_size,
		"guest memory for the kernel unreachable", why))
		return -1;
	if (l->initrd_size &&
	    put(m, l->initrd, c->initrd, l->initrd_size, "guest memory for the initrd unreachable", why))
		return -1;
	if (l->cmdline_len && put(m, BOOT_CMDLINE_ADDR, c->cmdline, l->cmdline_len,
				  "guest memory for the command line unreachable", why))
		return -1;
	return put(m, BOOT_CMDLINE_ADDR + l->cmdline_len, &nul, 1,
		   "guest memory for the command line unreachable", why);
}

int boot_check(const struct boot_config *c, const char **why)
{
	struct boot_kernel k;
	struct layout l;

	if (!c)
		return refuse(why, "boot_check: missing argument");
	if (boot_parse(c->kernel, c->kernel_size, &k, why))
		return -1;
	return check_config(c, &k, &l, why) || place_kernel(&k, &l, why) ||
			       place_initrd(&k, c, &l, why)
		       ? -1
		       : 0;
}

int boot_linux(const struct boot_mem *m, const struct boot_config *c, struct boot_entry *e,
	       const char **why)
{
	struct boot_kernel k;
	struct layout l;
	uint64_t rsdp;
	uint8_t *bp;

	if (!m || !c || !e)
		return refuse(why, "boot_linux: missing argument");
	if (boot_parse(c->kernel, c->kernel_size, &k, why))
		return -1;
	if (check_config(c, &k, &l, why) || place_kernel(&k, &l, why) ||
	    place_initrd(&k, c, &l, why))
		return -1;
	if (write_images(m, &k, c, &l, why) || write_gdt_and_tables(m, why))
		return -1;
	rsdp = acpi_build(m, c, why);
	if (!rsdp)
		return -1;
	bp = boot_gpa(m, BOOT_PARAMS_ADDR, BP_SIZE);
	if (!bp)
		return refuse(why, "guest memory for boot params unreachable");
	fill_params(bp, c->kernel, c, &l, rsdp);

	rt_memset(e, 0, sizeof(*e));
	e->rip = l.kernel + ENTRY_64_OFFSET;
	e->rsi = BOOT_PARAMS_ADDR;
	e->rsp = BOOT_STACK_TOP;
	e->cr3 = BOOT_PML4_ADDR;
	e->gdt_base = BOOT_GDT_ADDR;
	e->gdt_limit = GDT_ENTRIES * 8 - 1;
	return 0;
}

/* ---- the vCPU state for the entry ------------------------------------------- */

static void flat_segment(struct rp_segment *s, uint16_t sel, bool code)
{
	rt_memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	if (code) {
		s->type = 0xb; /* execute/read, accessed */
		s->l = 1;
	} else {
		s->type = 0x3; /* read/write, accessed */
		s->db = 1;
	}
}

void boot_entry_state(const struct boot_entry *e, struct rp_vcpu_state *st)
{
	flat_segment(&st->cs, BOOT_CS, true);
	flat_segment(&st->ds, BOOT_DS, false);
	st->es = st->fs = st->gs = st->ss = st->ds;
	st->gdt.base = e->gdt_base;
	st->gdt.limit = e->gdt_limit;
	st->cr0 = 0x80050033; /* PG | AM | WP | NE | ET | MP | PE */
	st->cr3 = e->cr3;
	st->cr4 = 0x20;   /* PAE */
	st->efer = 0x500; /* LME | LMA */
	st->rax = st->rbx = st->rcx = st->rdx = st->rdi = st->rbp = 0;
	st->r8 = st->r9 = st->r10 = st->r11 = st->r12 = st->r13 = st->r14 = st->r15 = 0;
	st->rflags = 2;
	st->rip = e->rip;
	st->rsi = e->rsi;
	st->rsp = e->rsp;
}
