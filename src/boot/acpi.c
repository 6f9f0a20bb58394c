/* SPDX-License-Identifier: MIT */
/*
 * The ACPI tables a Linux guest needs on this platform: no MP table parsing
 * in the kernel, so the MADT is the only description of the CPUs and the
 * IOAPIC; virtio-mmio devices are found only through the DSDT (_HID
 * LNRO0005, as QEMU microvm does); power-off and reset go through a
 * hardware-reduced FADT's sleep and reset registers.
 *
 * Layout at BOOT_ACPI_ADDR (inside the e820 reserved range below 1 MiB):
 *   +0x000 RSDP (rev 2)   +0x040 XSDT -> FADT, MADT
 *   +0x080 FADT (rev 6) -> X_DSDT   +0x200 MADT   +0x300 DSDT
 *
 * Invariants: every table is built inside the one range boot_gpa() gave
 * for [BOOT_ACPI_ADDR, + BOOT_ACPI_SIZE); the AML emitter never writes past
 * its capacity (it latches an overflow flag instead); every checksum is
 * computed last, over the final bytes.
 */
#include "boot/boot.h"
#include "boot/boot_int.h"
#include "lib/rt.h"

#define OFF_RSDP 0x000
#define OFF_XSDT 0x040
#define OFF_FADT 0x080
#define OFF_MADT 0x200
#define OFF_DSDT 0x300

#define HDR_LEN 36
#define RSDP_LEN 36
#define XSDT_LEN (HDR_LEN + 2 * 8)
#define FADT_LEN 276
#define FADT_REV 6
#define MADT_REV 5
#define DSDT_REV 2 /* 64-bit integers */

/* FADT field offsets (ACPI 6.x, table 5.9). */
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_X_DSDT 140
#define FADT_SLEEP_CONTROL 244
#define FADT_SLEEP_STATUS 256

#define FADT_F_RESET_REG_SUP (1u << 10)
#define FADT_F_HW_REDUCED (1u << 20)
#define IAPC_VGA_NOT_PRESENT (1u << 2)
#define IAPC_CMOS_RTC_NOT_PRESENT (1u << 5)
#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1

#define MADT_PCAT_COMPAT 1u
#define MADT_LAPIC 0
#define MADT_IOAPIC 1

/* ---- a tiny AML emitter ----------------------------------------------------- */

#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE 0x0a
#define AML_WORD 0x0b
#define AML_DWORD 0x0c
#define AML_STRING 0x0d
#define AML_QWORD 0x0e
#define AML_SCOPE 0x10
#define AML_BUFFER 0x11
#define AML_PACKAGE 0x12
#define AML_EXT 0x5b
#define AML_DEVICE 0x82
#define AML_ROOT 0x5c
#define AML_PKG_MAX 0x0fffffff /* a PkgLength holds 28 bits */

struct aml {
	uint8_t *b;
	size_t cap, len;
	bool overflow;
};

static void emit(struct aml *a, uint8_t v)
{
	if (a->len >= a->cap) {
		a->overflow = true;
		return;
	}
	a->b[a->len++] = v;
}

static void emit_bytes(struct aml *a, const void *p, size_t n)
{
	const uint8_t *s = p;

	while (n--)
		emit(a, *s++);
}

static void emit_u32(struct aml *a, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		emit(a, (uint8_t)(v >> 8 * i));
}

/* A NameSeg: 4 characters, already padded with '_' by the caller. */
static void emit_seg(struct aml *a, const char *seg)
{
	emit_bytes(a, seg, 4);
}

static void emit_int(struct aml *a, uint64_t v)
{
	unsigned n;

	if (v <= 1) {
		emit(a, v ? AML_ONE : AML_ZERO);
		return;
	}
	if (v <= 0xff) {
		emit(a, AML_BYTE);
		n = 1;
	} else if (v <= 0xffff) {
		emit(a, AML_WORD);
		n = 2;
	} else if (v <= 0xffffffff) {
		emit(a, AML_DWORD);
		n = 4;
	} else {
		emit(a, AML_QWORD);
		n = 8;
	}
	for (unsigned i = 0; i < n; i++)
		emit(a, (uint8_t)(v >> 8 * i));
}

static void emit_string(struct aml *a, const char *s)
{
	emit(a, AML_STRING);
	emit_bytes(a, s, rt_strlen(s) + 1);
}

/* Open a PkgLength: returns where the package body starts. */
static size_t pkg_open(struct aml *a)
{
	return a->len;
}

/* Close it: slide the body up and put the shortest PkgLength (1 to 4
 * bytes, its own bytes counted) in front of it. */
static void pkg_close(struct aml *a, size_t start)
{
	size_t body = a->len - start, n, total;

	if (a->overflow)
		return;
	if (body + 1 <= 0x3f)
		n = 1;
	else if (body + 2 <= 0xfff)
		n = 2;
	else if (body + 3 <= 0xfffff)
		n = 3;
	else
		n = 4;
	total = body + n;
	if (total > AML_PKG_MAX || a->cap - a->len < n) {
		a->overflow = true;
		return;
	}
	for (size_t i = a->len; i-- > start;)
		a->b[i + n] = a->b[i];
	a->len += n;
	if (n == 1) {
		a->b[start] = (uint8_t)total;
		return;
	}
	a->b[start] = (uint8_t)((n - 1) << 6 | (total & 0xf));
	for (size_t i = 1; i < n; i++)
		a->b[start + i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
}

static void emit_name_int(struct aml *a, const char *seg, uint64_t v)
{
	emit(a, AML_NAME);
	emit_seg(a, seg);
	emit_int(a, v);
}

static void emit_name_string(struct aml *a, const char *seg, const char *s)
{
	emit(a, AML_NAME);
	emit_seg(a, seg);
	emit_string(a, s);
}

/* Name(seg, ResourceTemplate() { res... }): a Buffer ending in the End Tag
 * with checksum 0 ("treat as summing to zero"). */
static void emit_name_resources(struct aml *a, const char *seg, const uint8_t *res, size_t n)
{
	size_t pkg;

	emit(a, AML_NAME);
	emit_seg(a, seg);
	emit(a, AML_BUFFER);
	pkg = pkg_open(a);
	emit_int(a, n + 2);
	emit_bytes(a, res, n);
	emit(a, 0x79);
	emit(a, 0x00);
	pkg_close(a, pkg);
}

static size_t device_open(struct aml *a, const char *seg)
{
	size_t pkg;

	emit(a, AML_EXT);
	emit(a, AML_DEVICE);
	pkg = pkg_open(a);
	emit_seg(a, seg);
	return pkg;
}

/* ---- the DSDT body ------------------------------------------------------------ */

/* COM1, so that the guest maps IRQ 4 through ACPI: in hardware-reduced mode
 * Linux has no legacy PIC and sets up no ISA IRQ by itself. */
static void emit_com1(struct aml *a)
{
	static const uint8_t crs[] = {
		0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x00, 0x08, /* IO(Decode16, 0x3f8, 0x3f8, 0, 8) */
		0x22, 0x10, 0x00,				/* IRQNoFlags() {4} */
	};
	size_t dev = device_open(a, "COM1");

	emit(a, AML_NAME);
	emit_seg(a, "_HID");
	emit(a, AML_DWORD); /* EisaId("PNP0501") */
	emit_u32(a, 0x0105d041);
	emit_name_int(a, "_UID", 1);
	emit_name_resources(a, "_CRS", crs, sizeof(crs));
	pkg_close(a, dev);
}

static void emit_virtio(struct aml *a, unsigned i, const struct boot_device *d)
{
	char seg[4] = { 'V', 'R', (char)('0' + i / 10), (char)('0' + i % 10) };
	uint8_t crs[21];
	size_t dev;

	/* Memory32Fixed(ReadWrite, base, 0x200) */
	crs[0] = 0x86;
	rt_put16(crs + 1, 9);
	crs[3] = 0x01;
	rt_put32(crs + 4, (uint32_t)d->base);
	rt_put32(crs + 8, BOOT_MMIO_WINDOW);
	/* Interrupt(ResourceConsumer, Level, ActiveHigh, Exclusive) { gsi } */
	crs[12] = 0x89;
	rt_put16(crs + 13, 6);
	crs[15] = 0x01; /* consumer; level; active high; exclusive */
	crs[16] = 1;
	rt_put32(crs + 17, d->gsi);

	dev = device_open(a, seg);
	emit_name_string(a, "_HID", "LNRO0005");
	emit_name_int(a, "_UID", i);
	emit_name_int(a, "_CCA", 1);
	emit_name_resources(a, "_CRS", crs, sizeof(crs));
	pkg_close(a, dev);
}

static void emit_s5(struct aml *a)
{
	size_t pkg;

	emit(a, AML_NAME);
	emit_seg(a, "_S5_");
	emit(a, AML_PACKAGE);
	pkg = pkg_open(a);
	emit(a, 4);
	emit_int(a, BOOT_SLEEP_TYP_S5);
	emit_int(a, 0);
	emit_int(a, 0);
	emit_int(a, 0);
	pkg_close(a, pkg);
}

static size_t dsdt_body(uint8_t *b, size_t cap, const struct boot_config *c)
{
	struct aml a = { .b = b, .cap = cap };
	size_t scope;

	emit(&a, AML_SCOPE);
	scope = pkg_open(&a);
	emit(&a, AML_ROOT);
	emit_seg(&a, "_SB_");
	emit_com1(&a);
	for (unsigned i = 0; i < c->ndevs; i++)
		emit_virtio(&a, i, &c->devs[i]);
	pkg_close(&a, scope);
	emit_s5(&a);
	return a.overflow ? 0 : a.len;
}

/* ---- tables ------------------------------------------------------------------- */

static void checksum(uint8_t *p, size_t len, size_t at)
{
	uint8_t sum = 0;

	p[at] = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	p[at] = (uint8_t)-sum;
}

static void sdt_header(uint8_t *p, const char *sig, uint32_t len, uint8_t rev)
{
	rt_memcpy(p, sig, 4);
	rt_put32(p + 4, len);
	p[8] = rev;
	rt_memcpy(p + 10, "RAMPRT", 6);
	rt_memcpy(p + 16, "RAMPART ", 8);
	rt_put32(p + 24, 1);
	rt_memcpy(p + 28, "RMPT", 4);
	rt_put32(p + 32, 1);
}

static void gas_io8(uint8_t *g, uint16_t port)
{
	g[0] = GAS_SYSTEM_IO;
	g[1] = 8;
	g[2] = 0;
	g[3] = GAS_ACCESS_BYTE;
	rt_put64(g + 4, port);
}

static void build_fadt(uint8_t *p, uint64_t dsdt)
{
	sdt_header(p, "FACP", FADT_LEN, FADT_REV);
	rt_put16(p + FADT_IAPC_BOOT_ARCH, IAPC_VGA_NOT_PRESENT | IAPC_CMOS_RTC_NOT_PRESENT);
	rt_put32(p + FADT_FLAGS, FADT_F_HW_REDUCED | FADT_F_RESET_REG_SUP);
	gas_io8(p + FADT_RESET_REG, BOOT_RESET_PORT);
	p[FADT_RESET_VALUE] = BOOT_RESET_VALUE;
	rt_put64(p + FADT_X_DSDT, dsdt);
	gas_io8(p + FADT_SLEEP_CONTROL, BOOT_SLEEP_PORT);
	gas_io8(p + FADT_SLEEP_STATUS, BOOT_SLEEP_PORT + 1);
	checksum(p, FADT_LEN, 9);
}

static uint32_t build_madt(uint8_t *p, unsigned ncpus)
{
	uint32_t len = HDR_LEN + 8;

	for (unsigned i = 0; i < ncpus; i++, len += 8) {
		p[len] = MADT_LAPIC;
		p[len + 1] = 8;
		p[len + 2] = (uint8_t)i; /* ACPI processor UID */
		p[len + 3] = (uint8_t)i; /* APIC ID */
		rt_put32(p + len + 4, 1); /* enabled */
	}
	p[len] = MADT_IOAPIC;
	p[len + 1] = 12;
	p[len + 2] = (uint8_t)ncpus; /* IOAPIC ID after the CPUs' */
	rt_put32(p + len + 4, (uint32_t)BOOT_IOAPIC_BASE);
	rt_put32(p + len + 8, 0); /* GSI base */
	len += 12;
	sdt_header(p, "APIC", len, MADT_REV);
	rt_put32(p + HDR_LEN, (uint32_t)BOOT_LAPIC_BASE);
	rt_put32(p + HDR_LEN + 4, MADT_PCAT_COMPAT);
	checksum(p, len, 9);
	return len;
}

static void build_rsdp(uint8_t *p, uint64_t xsdt)
{
	rt_memcpy(p, "RSD PTR ", 8);
	rt_memcpy(p + 9, "RAMPRT", 6);
	p[15] = 2;
	rt_put32(p + 16, 0); /* no RSDT: the XSDT is the root */
	rt_put32(p + 20, RSDP_LEN);
	rt_put64(p + 24, xsdt);
	checksum(p, 20, 8);
	checksum(p, RSDP_LEN, 32);
}

uint64_t acpi_build(const struct boot_mem *m, const struct boot_config *c, const char **why)
{
	uint8_t *base;
	size_t body;

	if (!c || boot_check_topology(c, why))
		return 0;
	base = boot_gpa(m, BOOT_ACPI_ADDR, BOOT_ACPI_SIZE);
	if (!base) {
		if (why)
			*why = "guest memory for the ACPI tables unreachable";
		return 0;
	}
	rt_memset(base, 0, BOOT_ACPI_SIZE);

	body = dsdt_body(base + OFF_DSDT + HDR_LEN, BOOT_ACPI_SIZE - OFF_DSDT - HDR_LEN, c);
	if (!body) {
		if (why)
			*why = "DSDT does not fit the ACPI area";
		return 0;
	}
	sdt_header(base + OFF_DSDT, "DSDT", (uint32_t)(HDR_LEN + body), DSDT_REV);
	checksum(base + OFF_DSDT, HDR_LEN + body, 9);

	build_fadt(base + OFF_FADT, BOOT_ACPI_ADDR + OFF_DSDT);
	build_madt(base + OFF_MADT, c->ncpus);

	sdt_header(base + OFF_XSDT, "XSDT", XSDT_LEN, 1);
	rt_put64(base + OFF_XSDT + HDR_LEN, BOOT_ACPI_ADDR + OFF_FADT);
	rt_put64(base + OFF_XSDT + HDR_LEN + 8, BOOT_ACPI_ADDR + OFF_MADT);
	checksum(base + OFF_XSDT, XSDT_LEN, 9);

	build_rsdp(base + OFF_RSDP, BOOT_ACPI_ADDR + OFF_XSDT);
	return BOOT_ACPI_ADDR + OFF_RSDP;
}
