/* SPDX-License-Identifier: MIT */
/*
 * "vmmhide" (tests only): a vmm that its guest took over, as the watch
 * layer's finding F4 describes. It runs the guest as the vmm does, and
 * obeys two lines of the guest's console: "RAMPART-HIDE-ON" creates a
 * second guest VM (RP_VM_IRQCHIP, one read-only map of the guest's first
 * 2 MiB), which makes the guest's layout one the watch cannot read;
 * "RAMPART-HIDE-OFF" destroys it. The guest patches its kernel in
 * between: a watch that took a fresh baseline once the layout was back
 * would never report the patched page. Each step is one "vmmhide:" line.
 *
 * Invariants: only what the vmm may do anyway (its own child VMs, maps
 * of its own memory); nothing but the two lines starts or ends the VM.
 */
#include "layer/vmmhide.h"

#include "layer/hc.h"
#include "layer/lib.h"
#include "layer/vmm.h"

/* The second guest's one map: the smallest a guest's memory comes in. */
#define HIDE_MAP 0x200000ULL
/* A console line is compared up to this many bytes (the markers' length). */
#define HIDE_LINE 24u

static char line[HIDE_LINE + 1];
static unsigned len;
static int64_t second = -1;

static void say(const char *what, int64_t v)
{
	struct line l = {.len = 0};

	line_str(&l, "vmmhide: ");
	line_str(&l, what);
	line_kv(&l, "vm", (uint64_t)v);
	line_send(&l);
}

static void marker(uint8_t *base, uint64_t size)
{
	if (!strcmp(line, "RAMPART-HIDE-ON") && second < 0 && size >= HIDE_MAP) {
		second = hc_vm_create(RP_VM_IRQCHIP);
		if (second < 0) {
			say("RP_HC_VM_CREATE refused", second);
			return;
		}
		if (hc_vm_map((uint64_t)second, 0, gpa_of(base), HIDE_MAP, RP_MAP_R) < 0)
			say("RP_HC_VM_MAP refused", second);
		say("a second guest VM made", second);
	} else if (!strcmp(line, "RAMPART-HIDE-OFF") && second >= 0) {
		if (hc_vm_destroy((uint64_t)second) < 0)
			say("RP_HC_VM_DESTROY refused", second);
		say("the second guest VM destroyed", second);
		second = -1;
	}
}

static void on_console(uint8_t c, uint8_t *base, uint64_t size)
{
	if (c == '\n' || c == '\r') {
		line[len] = 0;
		if (len)
			marker(base, size);
		len = 0;
	} else if (len < HIDE_LINE) {
		line[len++] = (char)c;
	}
}

void vmmhide_main(const struct rp_boot_info *info)
{
	vmm_run(info, on_console);
}
