/* SPDX-License-Identifier: MIT */
/*
 * "mapinfo" (tests only): a pass that, at its child's first exit (the
 * child, a pass, has built its own child by then), asks the root for its
 * grandchild's maps (RP_HC_MAP_INFO) with good and hostile arguments, and
 * checks the answers against what it knows: every map lies in its
 * child's region, the grandchild's boot info reads RP_BOOT_MAGIC where the
 * root says it is, and each refusal has its ABI code and leaves the
 * record untouched. Then the grandchild's vCPU's control state
 * (RP_HC_VCPU_CTL), the ring-3 state every layer runs in, and the same
 * hostile arguments. One line "mapinfo: N checks, F failures", each
 * failure its own line; then a plain pass.
 */
#include "layer/mapinfo.h"

#include "boot/ring3.h"
#include "layer/hc.h"
#include "layer/lib.h"
#include "lib/rt.h"

static uint64_t checks, failures;
static struct rp_map_info mi;
static struct rp_vcpu_ctl ctl;

static void expect(const char *what, bool ok)
{
	struct line l = {.len = 0};

	checks++;
	if (ok)
		return;
	failures++;
	line_str(&l, "mapinfo: FAIL ");
	line_str(&l, what);
	line_send(&l);
}

static int64_t call(uint64_t vm, uint64_t sub, uint64_t i, uint64_t at)
{
	return hc5(RP_HC_MAP_INFO, vm, sub, i, at, 0);
}

/* Refused with err, the record at &mi untouched. */
static void refused(const char *what, uint64_t vm, uint64_t sub, uint64_t i, uint64_t at,
		    int64_t err)
{
	rt_memset(&mi, 0x5a, sizeof(mi));
	expect(what, call(vm, sub, i, at) == -err && mi.size == 0x5a5a5a5a5a5a5a5aULL);
}

/* RP_HC_VCPU_CTL refused with err, the record at &ctl untouched. */
static void ctl_refused(const char *what, uint64_t vm, uint64_t vcpu, uint64_t at, int64_t err)
{
	rt_memset(&ctl, 0x5a, sizeof(ctl));
	expect(what, hc5(RP_HC_VCPU_CTL, vm, vcpu, at, 0, 0) == -err &&
			 ctl.lstar == 0x5a5a5a5a5a5a5a5aULL);
}

/* The grandchild's vCPU 0 (handle 1 << 8 in my child's numbering): the ring-3 state. */
static void ctl_check(uint64_t vm, uint64_t my_mem)
{
	const uint64_t g = 1 << 8;

	rt_memset(&ctl, 0x5a, sizeof(ctl));
	expect("vcpu_ctl of my grandchild's vCPU",
	       hc5(RP_HC_VCPU_CTL, vm, g, gpa_of(&ctl), 0, 0) == 0);
	expect("vcpu_ctl: its IDT and GDT where ring3.c puts them",
	       ctl.idt.base == RING3_IDT_GPA && ctl.gdt.base == RING3_GDT_GPA);
	expect("vcpu_ctl: its cr3 and EFER",
	       (ctl.cr3 & ~0xfffULL) == RING3_PT_GPA && (ctl.efer & RING3_EFER) == RING3_EFER);
	expect("vcpu_ctl: no guest flag for a layer", ctl.flags == 0 && ctl.pad == 0);
	ctl_refused("vcpu_ctl handle 0: EBADH", 0, g, gpa_of(&ctl), RP_EBADH);
	ctl_refused("vcpu_ctl handle 2 (none): EBADH", 2, g, gpa_of(&ctl), RP_EBADH);
	ctl_refused("vcpu_ctl handle 2^64-1: EBADH", ~0ULL, g, gpa_of(&ctl), RP_EBADH);
	ctl_refused("vcpu_ctl vCPU 1 (none): EBADH", vm, g + 1, gpa_of(&ctl), RP_EBADH);
	ctl_refused("vcpu_ctl VM 2 (none): EBADH", vm, 2 << 8, gpa_of(&ctl), RP_EBADH);
	ctl_refused("vcpu_ctl VM 0: EBADH", vm, 0, gpa_of(&ctl), RP_EBADH);
	ctl_refused("vcpu_ctl vCPU 2^64-1: EBADH", vm, ~0ULL, gpa_of(&ctl), RP_EBADH);
	ctl_refused("vcpu_ctl record outside my memory: EFAULT", vm, g, my_mem + 4096, RP_EFAULT);
	ctl_refused("vcpu_ctl record straddling my end: EFAULT", vm, g, my_mem - 8, RP_EFAULT);
	ctl_refused("vcpu_ctl record in my page tables: EFAULT", vm, g, RING3_PT_GPA, RP_EFAULT);
	ctl_refused("vcpu_ctl record in my code: EFAULT", vm, g, gpa_of(mapinfo_check), RP_EFAULT);
}

void mapinfo_check(const struct child *c, uint64_t my_mem)
{
	const uint64_t vm = (uint64_t)c->vm, lo = gpa_of(c->base), hi = lo + c->size;
	uint64_t n = 0, last_end = 0, magic = 0;
	struct line l = {.len = 0};

	for (; n < 300; n++) {
		if (call(vm, 1, n, gpa_of(&mi)))
			break;
		expect("a map inside my child's region",
		       mi.size && mi.my_gpa >= lo && mi.my_gpa <= hi && mi.size <= hi - mi.my_gpa);
		expect("no guest flag for a layer grandchild", mi.flags == 0);
		expect("rights R at least", (mi.rights & RP_MAP_R) && !(mi.rights & ~7u));
		if (RP_BOOT_INFO_GPA >= mi.child_gpa && RP_BOOT_INFO_GPA - mi.child_gpa < mi.size)
			rt_memcpy(&magic, (const void *)(uintptr_t)(mi.my_gpa + RP_BOOT_INFO_GPA -
								    mi.child_gpa), 8);
		if (mi.child_gpa + mi.size > last_end)
			last_end = mi.child_gpa + mi.size;
	}
	expect("at least the layout's maps", n >= 3 && n < 300);
	expect("the boot info's magic where the root says", magic == RP_BOOT_MAGIC);
	refused("index past the last: ERANGE", vm, 1, n, gpa_of(&mi), RP_ERANGE);
	refused("index 2^64-1: ERANGE", vm, 1, ~0ULL, gpa_of(&mi), RP_ERANGE);
	refused("handle 0: EBADH", 0, 1, 0, gpa_of(&mi), RP_EBADH);
	refused("handle 17: EBADH", 17, 1, 0, gpa_of(&mi), RP_EBADH);
	refused("handle 2 (none): EBADH", 2, 1, 0, gpa_of(&mi), RP_EBADH);
	refused("sub 0: EBADH", vm, 0, 0, gpa_of(&mi), RP_EBADH);
	refused("sub 2 (none): EBADH", vm, 2, 0, gpa_of(&mi), RP_EBADH);
	refused("sub 17: EBADH", vm, 17, 0, gpa_of(&mi), RP_EBADH);
	refused("sub 2^64-1: EBADH", vm, ~0ULL, 0, gpa_of(&mi), RP_EBADH);
	refused("record outside my memory: EFAULT", vm, 1, 0, my_mem + 4096, RP_EFAULT);
	refused("record straddling my end: EFAULT", vm, 1, 0, my_mem - 8, RP_EFAULT);
	refused("record at 2^64-8: EFAULT", vm, 1, 0, ~7ULL, RP_EFAULT);
	refused("record in my page tables: EFAULT", vm, 1, 0, RING3_PT_GPA, RP_EFAULT);
	refused("record in my code: EFAULT", vm, 1, 0, gpa_of(mapinfo_check), RP_EFAULT);
	ctl_check(vm, my_mem);
	line_str(&l, "mapinfo: ");
	line_dec(&l, checks);
	line_str(&l, " checks, ");
	line_dec(&l, failures);
	line_str(&l, " failures, ");
	line_dec(&l, n);
	line_str(&l, " maps of my grandchild up to gpa ");
	line_hex(&l, last_end);
	line_send(&l);
}
