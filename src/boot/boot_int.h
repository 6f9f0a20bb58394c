/* SPDX-License-Identifier: MIT */
/* Helpers shared by the loader's files (boot.c, acpi.c); not public. */
#ifndef RAMPART_BOOT_INT_H
#define RAMPART_BOOT_INT_H

#include "boot/boot.h"

/* Guest memory [gpa, gpa + len) as one host pointer, or NULL where the
 * range wraps or is not all RAM the caller's gpa_ptr knows. */
void *boot_gpa(const struct boot_mem *m, uint64_t gpa, uint64_t len);

/* "<a><n><b>" in a static buffer, for a *why that names a value. The
 * buffer is shared: the text stays valid until the next failing call of
 * the loader (the loader is not called from two threads at once). */
const char *boot_why_num(const char *a, uint64_t n, const char *b);

/* The virtio-mmio register window each device's _CRS names. */
#define BOOT_MMIO_WINDOW 0x200

/* Checks of a boot_config shared by boot_linux and acpi_build. */
int boot_check_topology(const struct boot_config *c, const char **why);

#endif
