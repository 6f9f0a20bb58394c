/* SPDX-License-Identifier: MIT */
/* The ACPI tables: checksums, the RSDP -> XSDT -> FADT -> DSDT chain, the
 * MADT, and the DSDT's AML, decoded by a small walker (no iasl needed). */
#include "unit.h"

#include "lib/rt.h"

#include <stdlib.h>

#include "boot/boot.h"

#define ACPI_END (BOOT_ACPI_ADDR + BOOT_ACPI_SIZE)

static uint8_t *ram; /* the first MiB of a guest */

static void *ram_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
	if (gpa >= (1u << 20) || len > (1u << 20) - gpa)
		return NULL;
	return ram + gpa;
}

static const struct boot_mem mem = { .gpa_ptr = ram_ptr };

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* A table at gpa: inside the ACPI area, its signature, a zero checksum. */
static const uint8_t *table(uint64_t gpa, const char *sig)
{
	const uint8_t *t;

	assert_true(gpa >= BOOT_ACPI_ADDR && gpa + 36 <= ACPI_END);
	t = ram + gpa;
	assert_memory_equal(t, sig, 4);
	assert_true(rt_le32(t + 4) >= 36 && gpa + rt_le32(t + 4) <= ACPI_END);
	assert_int_equal(sum(t, rt_le32(t + 4)), 0);
	return t;
}

static struct boot_device devs[BOOT_MAX_DEVICES + 1];

static struct boot_config config(unsigned ncpus, unsigned ndevs)
{
	for (unsigned i = 0; i <= BOOT_MAX_DEVICES; i++) {
		devs[i].base = BOOT_MMIO_BASE + i * BOOT_MMIO_STRIDE;
		devs[i].gsi = BOOT_FIRST_GSI + (i < BOOT_MAX_DEVICES ? i : 0);
	}
	return (struct boot_config){ .mem = 256 << 20, .ncpus = ncpus, .devs = devs, .ndevs = ndevs };
}

static int setup(void **state)
{
	ram = calloc(1, 1u << 20);
	return ram ? 0 : -1;
}

static int teardown(void **state)
{
	free(ram);
	return 0;
}

struct tables {
	const uint8_t *rsdp, *xsdt, *fadt, *madt, *dsdt;
};

static struct tables build(unsigned ncpus, unsigned ndevs)
{
	struct boot_config c = config(ncpus, ndevs);
	const char *why = NULL;
	struct tables t;
	uint64_t rsdp;

	memset(ram, 0xcc, 1u << 20);
	rsdp = acpi_build(&mem, &c, &why);
	if (!rsdp)
		fail_msg("acpi_build: %s", why);
	assert_int_equal(rsdp, BOOT_ACPI_ADDR);
	t.rsdp = ram + rsdp;
	assert_memory_equal(t.rsdp, "RSD PTR ", 8);
	assert_int_equal(sum(t.rsdp, 20), 0);
	assert_int_equal(t.rsdp[15], 2);
	assert_int_equal(rt_le32(t.rsdp + 20), 36);
	assert_int_equal(sum(t.rsdp, 36), 0);

	t.xsdt = table(rt_le64(t.rsdp + 24), "XSDT");
	assert_int_equal(rt_le32(t.xsdt + 4), 36 + 2 * 8);
	t.fadt = table(rt_le64(t.xsdt + 36), "FACP");
	t.madt = table(rt_le64(t.xsdt + 44), "APIC");
	t.dsdt = table(rt_le64(t.fadt + 140), "DSDT");
	return t;
}

static void test_chain_and_checksums(void **state)
{
	for (unsigned n = 1; n <= BOOT_MAX_CPUS; n++)
		build(n, n % (BOOT_MAX_DEVICES + 1));
	build(1, 0);
	build(BOOT_MAX_CPUS, BOOT_MAX_DEVICES);
}

static void expect_gas_io8(const uint8_t *g, uint64_t port)
{
	assert_int_equal(g[0], 1); /* SystemIO */
	assert_int_equal(g[1], 8);
	assert_int_equal(g[2], 0);
	assert_int_equal(g[3], 1); /* byte access */
	assert_int_equal(rt_le64(g + 4), port);
}

static void test_fadt(void **state)
{
	struct tables t = build(2, 2);
	const uint8_t *f = t.fadt;

	assert_int_equal(rt_le32(f + 4), 276);
	assert_int_equal(f[8], 6);
	assert_int_equal(rt_le32(f + 112), (1u << 20) | (1u << 10)); /* HW_REDUCED, RESET_REG_SUP */
	assert_int_equal(rt_le16(f + 46), 0);			   /* no SCI */
	for (unsigned off = 56; off < 96; off++)		   /* no PM blocks */
		assert_int_equal(f[off], 0);
	for (unsigned off = 148; off < 244; off++)
		assert_int_equal(f[off], 0);
	expect_gas_io8(f + 116, BOOT_RESET_PORT);
	assert_int_equal(f[128], BOOT_RESET_VALUE);
	expect_gas_io8(f + 244, BOOT_SLEEP_PORT);
	expect_gas_io8(f + 256, BOOT_SLEEP_PORT + 1);
	assert_int_equal(rt_le64(f + 132), 0); /* no FACS */
}

static void test_madt(void **state)
{
	for (unsigned n = 1; n <= BOOT_MAX_CPUS; n++) {
		struct tables t = build(n, 1);
		const uint8_t *m = t.madt, *e = m + 44, *end = m + rt_le32(m + 4);
		unsigned lapics = 0, ioapics = 0;

		assert_int_equal(rt_le32(m + 36), BOOT_LAPIC_BASE);
		assert_int_equal(rt_le32(m + 40), 1); /* PCAT_COMPAT */
		while (e < end) {
			assert_true(e[1] >= 2 && e + e[1] <= end);
			switch (e[0]) {
			case 0:
				assert_int_equal(e[1], 8);
				assert_int_equal(e[2], lapics);
				assert_int_equal(e[3], lapics);
				assert_int_equal(rt_le32(e + 4), 1);
				lapics++;
				break;
			case 1:
				assert_int_equal(e[1], 12);
				assert_int_equal(e[2], n);
				assert_int_equal(rt_le32(e + 4), BOOT_IOAPIC_BASE);
				assert_int_equal(rt_le32(e + 8), 0);
				ioapics++;
				break;
			default: /* no interrupt source override, nothing else */
				fail_msg("unexpected MADT entry type %u", e[0]);
			}
			e += e[1];
		}
		assert_true(e == end);
		assert_int_equal(lapics, n);
		assert_int_equal(ioapics, 1);
	}
}

/* ---- a small AML walker: the subset the loader emits ------------------------ */

struct dev {
	char name[5];
	char hid[16];
	uint32_t eisa;
	int64_t uid, cca;
	const uint8_t *crs;
	size_t crs_len;
};

struct walk {
	struct dev devs[16];
	unsigned ndev;
	bool sb_scope;
	int s5n;
	uint64_t s5[8];
};

/* PkgLength at p: its value (counting itself) and how many bytes it took. */
static size_t pkglen(const uint8_t *p, const uint8_t *end, size_t *val)
{
	unsigned n = p[0] >> 6;

	assert_true(p + n + 1 <= end);
	if (!n) {
		*val = p[0] & 0x3f;
		return 1;
	}
	assert_int_equal(p[0] & 0x30, 0);
	*val = p[0] & 0xf;
	for (unsigned i = 1; i <= n; i++)
		*val |= (size_t)p[i] << (4 + 8 * (i - 1));
	/* The emitter uses the shortest form. */
	assert_true(*val > (n == 1 ? 0x3fu : n == 2 ? 0xfffu : 0xfffffu));
	return n + 1;
}

static const uint8_t *name_string(const uint8_t *p, const uint8_t *end, char seg[5])
{
	if (*p == '\\')
		p++;
	assert_true(p + 4 <= end);
	memcpy(seg, p, 4);
	seg[4] = 0;
	return p + 4;
}

/* An integer data object; false where p holds something else. */
static bool integer(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	unsigned n;

	switch (*p) {
	case 0x00:
	case 0x01:
		*v = *p;
		*pp = p + 1;
		return true;
	case 0x0a:
		n = 1;
		break;
	case 0x0b:
		n = 2;
		break;
	case 0x0c:
		n = 4;
		break;
	case 0x0e:
		n = 8;
		break;
	default:
		return false;
	}
	assert_true(p + 1 + n <= end);
	*v = 0;
	for (unsigned i = 0; i < n; i++)
		*v |= (uint64_t)p[1 + i] << 8 * i;
	*pp = p + 1 + n;
	return true;
}

static const uint8_t *data_object(const uint8_t *p, const uint8_t *end, struct walk *w,
				  struct dev *d, const char *name)
{
	uint64_t v;
	size_t len, n;

	if (integer(&p, end, &v)) {
		if (d && !strcmp(name, "_UID"))
			d->uid = (int64_t)v;
		else if (d && !strcmp(name, "_CCA"))
			d->cca = (int64_t)v;
		else if (d && !strcmp(name, "_HID"))
			d->eisa = (uint32_t)v;
		else
			fail_msg("unexpected integer %s", name);
		return p;
	}
	if (*p == 0x0d) { /* String */
		const uint8_t *s = ++p;

		while (p < end && *p)
			p++;
		assert_true(p < end);
		assert_non_null(d);
		assert_string_equal(name, "_HID");
		assert_true((size_t)(p - s) < sizeof(d->hid));
		memcpy(d->hid, s, (size_t)(p - s));
		return p + 1;
	}
	if (*p == 0x11) { /* Buffer */
		const uint8_t *start = ++p, *bend;

		p += pkglen(p, end, &len);
		bend = start + len;
		assert_true(bend <= end);
		assert_true(integer(&p, bend, &v));
		assert_int_equal(v, bend - p);
		assert_non_null(d);
		assert_string_equal(name, "_CRS");
		d->crs = p;
		d->crs_len = (size_t)v;
		return bend;
	}
	if (*p == 0x12) { /* Package of integers */
		const uint8_t *start = ++p, *pend;

		p += pkglen(p, end, &len);
		pend = start + len;
		assert_true(pend <= end);
		n = *p++;
		assert_null(d);
		assert_string_equal(name, "_S5_");
		assert_true(n <= 8);
		w->s5n = (int)n;
		for (size_t i = 0; i < n; i++)
			assert_true(integer(&p, pend, &w->s5[i]));
		assert_true(p == pend);
		return pend;
	}
	fail_msg("unexpected data object 0x%02x for %s", *p, name);
	return end;
}

static void term_list(const uint8_t *p, const uint8_t *end, struct walk *w, struct dev *d,
		      int depth)
{
	while (p < end) {
		const uint8_t *start;
		char seg[5];
		size_t len;

		if (*p == 0x08) { /* Name */
			p = name_string(p + 1, end, seg);
			p = data_object(p, end, w, d, seg);
		} else if (*p == 0x10) { /* Scope */
			start = ++p;
			p += pkglen(p, end, &len);
			assert_true(start + len <= end);
			p = name_string(p, start + len, seg);
			assert_int_equal(depth, 0);
			assert_string_equal(seg, "_SB_");
			w->sb_scope = true;
			term_list(p, start + len, w, NULL, depth + 1);
			p = start + len;
		} else if (p[0] == 0x5b && p + 1 < end && p[1] == 0x82) { /* Device */
			start = p += 2;
			p += pkglen(p, end, &len);
			assert_true(start + len <= end);
			assert_int_equal(depth, 1);
			assert_true(w->ndev < 16);
			d = &w->devs[w->ndev++];
			memset(d, 0, sizeof(*d));
			d->uid = d->cca = -1;
			p = name_string(p, start + len, d->name);
			term_list(p, start + len, w, d, depth + 1);
			d = NULL;
			p = start + len;
		} else {
			fail_msg("unexpected AML opcode 0x%02x", *p);
		}
	}
	assert_true(p == end);
}

static void walk_dsdt(const uint8_t *dsdt, struct walk *w)
{
	memset(w, 0, sizeof(*w));
	w->s5n = -1;
	assert_int_equal(dsdt[8], 2); /* 64-bit integers */
	term_list(dsdt + 36, dsdt + rt_le32(dsdt + 4), w, NULL, 0);
}

/* A virtio-mmio _CRS: Memory32Fixed(ReadWrite, base, 0x200), an extended
 * Interrupt(ResourceConsumer, Level, ActiveHigh, Exclusive) {gsi}, End. */
static void expect_virtio_crs(const struct dev *d, const struct boot_device *want)
{
	const uint8_t *r = d->crs;

	assert_int_equal(d->crs_len, 12 + 9 + 2);
	assert_int_equal(r[0], 0x86);
	assert_int_equal(rt_le16(r + 1), 9);
	assert_int_equal(r[3], 1);
	assert_int_equal(rt_le32(r + 4), want->base);
	assert_int_equal(rt_le32(r + 8), 0x200);
	r += 12;
	assert_int_equal(r[0], 0x89);
	assert_int_equal(rt_le16(r + 1), 6);
	assert_int_equal(r[3], 0x01); /* consumer, level, high, exclusive */
	assert_int_equal(r[4], 1);
	assert_int_equal(rt_le32(r + 5), want->gsi);
	r += 9;
	assert_int_equal(r[0], 0x79);
	assert_int_equal(r[1], 0);
}

static void test_dsdt_decodes(void **state)
{
	for (unsigned n = 0; n <= BOOT_MAX_DEVICES; n++) {
		struct tables t = build(1, n);
		struct walk w;
		unsigned virtio = 0;

		walk_dsdt(t.dsdt, &w);
		assert_true(w.sb_scope);
		assert_int_equal(w.ndev, n + 1);
		for (unsigned i = 0; i < w.ndev; i++) {
			struct dev *d = &w.devs[i];

			if (!strcmp(d->name, "COM1")) {
				assert_int_equal(d->eisa, 0x0105d041); /* PNP0501 */
				assert_int_equal(d->crs_len, 8 + 3 + 2);
				assert_int_equal(rt_le16(d->crs + 2), 0x3f8);
				assert_int_equal(rt_le16(d->crs + 9), 1u << 4); /* IRQ 4 */
				continue;
			}
			assert_string_equal(d->hid, "LNRO0005");
			assert_int_equal(d->uid, virtio);
			assert_int_equal(d->cca, 1);
			expect_virtio_crs(d, &devs[virtio]);
			virtio++;
		}
		assert_int_equal(virtio, n);
		assert_int_equal(w.s5n, 4);
		assert_int_equal(w.s5[0], BOOT_SLEEP_TYP_S5);
		assert_int_equal(w.s5[1], 0);
		assert_int_equal(w.s5[2], 0);
		assert_int_equal(w.s5[3], 0);
	}
}

/* Device names are unique and the _UIDs distinct. */
static void test_dsdt_names_unique(void **state)
{
	struct tables t = build(1, BOOT_MAX_DEVICES);
	struct walk w;

	walk_dsdt(t.dsdt, &w);
	for (unsigned i = 0; i < w.ndev; i++)
		for (unsigned j = i + 1; j < w.ndev; j++)
			assert_string_not_equal(w.devs[i].name, w.devs[j].name);
}

static void expect_refusal(struct boot_config c, const struct boot_mem *m, const char *want)
{
	const char *why = NULL;

	assert_int_equal(acpi_build(m, &c, &why), 0);
	assert_non_null(why);
	if (!strstr(why, want))
		fail_msg("why = \"%s\", wanted \"%s\"", why, want);
}

static void *no_memory(void *ctx, uint64_t gpa, uint64_t len)
{
	return NULL;
}

static void test_refusals(void **state)
{
	const struct boot_mem none = { .gpa_ptr = no_memory };
	struct boot_config c;

	expect_refusal(config(0, 1), &mem, "bad vCPU count 0");
	expect_refusal(config(BOOT_MAX_CPUS + 1, 1), &mem, "bad vCPU count 9");
	expect_refusal(config(1, BOOT_MAX_DEVICES + 1), &mem, "too many devices: 9");
	expect_refusal(config(1, 1), &none, "unreachable");

	c = config(1, 2);
	devs[1].gsi = 4;
	expect_refusal(c, &mem, "bad GSI 4");
	devs[1].gsi = BOOT_MAX_GSI + 1;
	expect_refusal(c, &mem, "bad GSI 24");
	c = config(1, 2);
	devs[1].base = 0x1000;
	expect_refusal(c, &mem, "outside the device hole");
	devs[1].base = BOOT_IOAPIC_BASE;
	expect_refusal(c, &mem, "outside the device hole");
	devs[1].base = ~0ULL - 0xff;
	expect_refusal(c, &mem, "outside the device hole");
	c = config(1, 2);
	c.devs = NULL;
	expect_refusal(c, &mem, "device list missing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_and_checksums),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_madt),
		cmocka_unit_test(test_dsdt_decodes),
		cmocka_unit_test(test_dsdt_names_unique),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
