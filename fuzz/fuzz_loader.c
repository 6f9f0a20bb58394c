/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the two loaders of hostile images: the Linux loader
 * (a bzImage from the operator, or from a parent layer for a vmm) and the
 * ring-3 builder (a layer image, from the root or from a parent layer).
 * The first input byte picks the loader; the rest is the image. Guest
 * memory is a fixed buffer reached only through the bounds-checked
 * gpa_ptr, so ASan catches any write the loaders' checks let through.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "boot/ring3.h"

#define MEM (BOOT_MIN_MEM) /* the smallest guest: the tightest bounds */

static uint8_t *ram;

static void *ram_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
	if (gpa >= MEM || len > MEM - gpa)
		return NULL;
	return ram + gpa;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_mem m = {.gpa_ptr = ram_ptr};
	const char *why = NULL;

	if (!ram && !(ram = malloc(MEM)))
		abort();
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		struct boot_device dev = {.base = BOOT_MMIO_BASE, .gsi = BOOT_FIRST_GSI};
		struct boot_config c = {
			.mem = MEM, .ncpus = 1, .kernel = data + 1, .kernel_size = size - 1,
			.initrd = data, .initrd_size = size, .cmdline = "console=ttyS0",
			.devs = &dev, .ndevs = 1,
		};
		struct boot_kernel k;
		struct boot_entry e;

		if (boot_parse(data + 1, size - 1, &k, &why) == 0)
			boot_linux(&m, &c, &e, &why);
	} else {
		struct rp_boot_info info;
		struct rp_vcpu_state st;

		memset(&info, 0, sizeof(info));
		ring3_build(&m, 8ULL << 20, data + 1, size - 1, &info, &st, &why);
	}
	return 0;
}
