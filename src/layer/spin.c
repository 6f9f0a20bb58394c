/* SPDX-License-Identifier: MIT */
/*
 * The "spin" test guest: no hypercalls, only port I/O to the test ports, so
 * its parent (whatever the depth) handles every one of its exits.
 *
 * Modes (args[0]), n = args[1]:
 *  1 doorbell  n `out` to 0x600 (value = i): the exit-cost benchmark
 *  2 cpu       spin_cpu(n), written to 0x604
 *  3 echo      `in` 0x608 until 0, the sum (mod 2^32) written to 0x60c
 *  4 fault     ud2: the ring-0 stub reports vector 6
 *  5 ptwrite   a write to the page tables (supervisor page): #PF, vector 14
 *  6 rowrite   a write to its own text (user read-only): #PF, vector 14
 *  7 int       `int $0x80` (no such gate for CPL 3): #GP, vector 13
 *  8 mmio      n 4-byte writes to the last word of its first device window
 *              (past the virtio registers: ignored), the MMIO doorbell the
 *              benchmark compares with the port-I/O one
 *  9 ptalias   copy its PML4's first entry into the second through the page
 *              at mem_size (where a hostile "ptalias" parent maps its page
 *              tables a second time, writable), then n doorbells; with no
 *              such page, #PF
 * 10 abiports  what a guest VM may do (run by "guestport"): `out` to the ABI's
 *              ports, a hypercall to 0x510 (rax must come back unchanged:
 *              nobody answers it) and a vector to 0x511, then n doorbells
 * Then `out` of the exit code (0, or LAYER_CODE_BAD for an unknown mode) to
 * 0x6f0, forever: the parent treats it as the power-off.
 */
#include "boot/ring3.h"
#include "layer/hc.h"
#include "layer/layer.h"
#include "lib/work.h"

uint32_t spin_cpu(uint64_t n)
{
	return rt_cpu_work(n);
}

static uint64_t spin_mode(const struct rp_boot_info *info, uint64_t mode, uint64_t n)
{
	uint32_t w, sum = 0;
	uint64_t i;

	switch (mode) {
	case 1:
		for (i = 0; i < n; i++)
			port_out(RP_TPORT_DOORBELL, 4, (uint32_t)i);
		return 0;
	case 2:
		port_out(RP_TPORT_RESULT, 4, spin_cpu(n));
		return 0;
	case 3:
		while ((w = port_in(RP_TPORT_ECHO_IN, 4)) != 0)
			sum += w;
		port_out(RP_TPORT_ECHO_SUM, 4, sum);
		return 0;
	case 4:
		__asm__ volatile("ud2");
		break;
	case 5:
		*(volatile uint64_t *)(uintptr_t)RING3_PT_GPA = 0;
		break;
	case 6:
		*(volatile uint8_t *)(uintptr_t)spin_cpu = 0xc3;
		break;
	case 7:
		__asm__ volatile("int $0x80");
		break;
	case 8:
		if (!info->ndevs)
			break;
		for (i = 0; i < n; i++)
			*(volatile uint32_t *)(uintptr_t)(info->devs[0].base + RP_DEV_SIZE - 4) =
			    (uint32_t)i;
		return 0;
	case 9:
		((volatile uint64_t *)(uintptr_t)info->mem_size)[1] =
		    ((volatile uint64_t *)(uintptr_t)info->mem_size)[0];
		return spin_mode(info, 1, n);
	case 10:
		if (hc5(RP_HC_VERSION, 0, 0, 0, 0, 0) != RP_HC_VERSION)
			break;
		port_out(RP_FAULT_PORT, 4, 6);
		for (i = 0; i < n; i++)
			port_out(RP_TPORT_DOORBELL, 4, (uint32_t)i);
		return 0;
	}
	return LAYER_CODE_BAD;
}

void spin_main(const struct rp_boot_info *info)
{
	uint64_t code = spin_mode(info, info->args[0], info->args[1]);

	for (;;)
		port_out(RP_PORT_POWEROFF, 4, (uint32_t)code);
}
