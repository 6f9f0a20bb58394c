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
 * Two more lines repoint the guest's IDT as a rootkit in the vmm would,
 * through the ABI (RP_HC_VCPU_GET, RP_HC_VCPU_SET): "RAMPART-IDT-MOVE
 * <hex>" loads IDTR.base = hex into the guest's vCPU (the guest names an
 * address that maps its own table, idt_table's, so that it survives),
 * "RAMPART-IDT-BACK" puts back the base and limit it had.
 *
 * Invariants: only what the vmm may do anyway (its own child VMs, maps
 * of its own memory, its guest's vCPU state); nothing but the two HIDE
 * lines starts or ends the VM, nothing but the two IDT lines changes
 * the guest's IDTR, and BACK restores only what MOVE saved.
 */
#include "layer/vmmhide.h"

#include "layer/hc.h"
#include "layer/lib.h"
#include "layer/vmm.h"
#include "lib/rt.h"

/* The second guest's one map: the smallest a guest's memory comes in. */
#define HIDE_MAP 0x200000ULL
/* A console line is compared up to this many bytes: the longest marker,
 * "RAMPART-IDT-MOVE 0x" and 16 hex digits, with room to spare. */
#define HIDE_LINE 48u
#define IDT_MOVE "RAMPART-IDT-MOVE "

static char line[HIDE_LINE + 1];
static unsigned len;
static int64_t second = -1;
static struct rp_vcpu_state st;
static struct rp_dtable idt_saved;
static bool idt_moved;

static void say(const char *what, int64_t v)
{
	struct line l = {.len = 0};

	line_str(&l, "vmmhide: ");
	line_str(&l, what);
	line_kv(&l, "vm", (uint64_t)v);
	line_send(&l);
}

/* "0x" and 1 to 16 hex digits, the whole rest of the line: true and *v. */
static bool hex_arg(const char *p, uint64_t *v)
{
	unsigned n = 0;

	if (p[0] != '0' || p[1] != 'x')
		return false;
	*v = 0;
	for (p += 2; *p; p++, n++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else
			return false;
		*v = *v << 4 | d;
	}
	return n >= 1 && n <= 16;
}

/* The guest's IDTR, through the ABI: moved to base, or back to what it was. */
static void idt_marker(bool move, uint64_t to)
{
	int64_t v = vmm_guest_vcpu();
	struct line l = {.len = 0};

	if (v < 0 || hc_vcpu_get((uint64_t)v, &st) < 0)
		return say("RP_HC_VCPU_GET refused", v);
	line_str(&l, "vmmhide: the guest's IDTR base ");
	line_hex(&l, st.idt.base);
	line_str(&l, " limit ");
	line_hex(&l, st.idt.limit);
	if (move) {
		idt_saved = st.idt;
		idt_moved = true;
		st.idt.base = to;
	} else {
		st.idt = idt_saved;
		idt_moved = false;
	}
	if (hc_vcpu_set((uint64_t)v, &st) < 0)
		return say("RP_HC_VCPU_SET refused", v);
	line_str(&l, move ? " moved to " : " put back to ");
	line_hex(&l, st.idt.base);
	line_send(&l);
}

static void marker(uint8_t *base, uint64_t size)
{
	uint64_t to;

	if (!rt_memcmp(line, IDT_MOVE, sizeof(IDT_MOVE) - 1) && !idt_moved &&
	    hex_arg(line + sizeof(IDT_MOVE) - 1, &to))
		return idt_marker(true, to);
	if (!strcmp(line, "RAMPART-IDT-BACK") && idt_moved)
		return idt_marker(false, 0);
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
