/* SPDX-License-Identifier: MIT */
/*
 * The "vmm" personality: boots an unmodified Linux as its child VM.
 * payload[0] = the bzImage (kind "kernel"), payload[1] = the initrd (kind
 * "initrd", optional), cmdline = the guest's command line, args[0] = the
 * guest's memory in bytes (>= BOOT_MIN_MEM, a 2 MiB multiple, below the
 * MMIO hole). The guest gets the in-kernel IOAPIC/LAPIC/PIT, the loader's
 * ACPI tables, and a 16550A at 0x3f8 (IRQ 4) whose output goes to this
 * layer's own console (port 0x6f4, one byte per `out`). Ends with power-off
 * code 0 (ACPI S5), 2 (reset: ACPI reset register or i8042 0xfe) or 3
 * (triple fault) written to port 0x6f0, then RP_HC_EXIT(code).
 */
#ifndef RAMPART_LAYER_VMM_H
#define RAMPART_LAYER_VMM_H

#include "rampart/abi.h"

__attribute__((noreturn)) void vmm_main(const struct rp_boot_info *info);

/* Each byte the guest writes to its console, with where its memory lies
 * in ours (guest-physical 0 at base): for a test personality (vmmhide.c). */
typedef void vmm_console_fn(uint8_t c, uint8_t *base, uint64_t size);

/* The guest's vCPU handle (for a test personality: vmmhide.c), -1 before it is made. */
int64_t vmm_guest_vcpu(void);

/* vmm_main, with on_console (NULL: none) called after each console byte. */
__attribute__((noreturn)) void vmm_run(const struct rp_boot_info *info,
				       vmm_console_fn *on_console);

#endif
