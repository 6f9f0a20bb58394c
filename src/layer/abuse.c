/* SPDX-License-Identifier: MIT */
/*
 * The "abuse" personality: every hypercall with bad arguments. Each check
 * logs "ok NAME" or "FAIL NAME: got X want Y"; the layer ends with
 * RP_HC_EXIT(number of failures). The root must refuse each call with the
 * error code abi.h gives, log it ("hc_refused") and go on.
 *
 * Read-only ranges: the root gives layer 1 only RWX memory, and a layer's
 * parent maps its memory RWX, so RW-from-RO can only be tried by a layer
 * whose parent gave it a read-only range. With args[0] = 1 the parent is a
 * "ropass", which maps 2 MiB read-only at our gpa mem_size (just past the
 * memory our boot info describes); without it that range must be ERANGE.
 */
#include "boot/ring3.h"
#include "layer/hc.h"
#include "layer/layer.h"
#include "layer/lib.h"
#include "lib/rt.h"

#define MIB2 (2ULL << 20)
#define PG 0x1000ULL

static uint64_t failures;
static struct rp_vcpu_state st;
static struct rp_exit ex;
static char big[RP_MAX_LOG + 16];

static void check(const char *name, int64_t got, int64_t want)
{
	struct line l = {.len = 0};

	if (got == want) {
		line_str(&l, "ok ");
		line_str(&l, name);
	} else {
		failures++;
		line_str(&l, "FAIL ");
		line_str(&l, name);
		line_str(&l, ": got ");
		if (got < 0) {
			line_str(&l, "-");
			line_dec(&l, (uint64_t)-got);
		} else {
			line_dec(&l, (uint64_t)got);
		}
		line_str(&l, " want ");
		if (want < 0) {
			line_str(&l, "-");
			line_dec(&l, (uint64_t)-want);
		} else {
			line_dec(&l, (uint64_t)want);
		}
	}
	line_send(&l);
}

/* A success whose value we need: >= 0 expected. */
static int64_t need(const char *name, int64_t got)
{
	if (got < 0)
		check(name, got, 0);
	return got;
}

static void destroy_all(void)
{
	uint64_t h;

	for (h = 1; h <= RP_MAX_CHILDREN; h++)
		hc_vm_destroy(h);
}

void abuse_main(const struct rp_boot_info *info)
{
	const uint64_t mem = info->mem_size, fr = info->free_start;
	const int ro = info->args[0] == 1;
	int64_t a, b, v, bv, h;
	uint64_t i, n;

	/* Scratch maps come from free memory: we need 2 MiB of it. */
	if (fr + 2 * MIB2 > mem) {
		hc_log("abuse: not enough free memory");
		hc_exit(LAYER_CODE_BAD);
	}
	check("version", hc_version(), RP_ABI_VERSION);

	/* Garbage call numbers. */
	check("nr RP_HC_COUNT", hc5(RP_HC_COUNT, 0, 0, 0, 0, 0), -RP_ENOSYS);
	check("nr 0xffffffff", hc5(0xffffffffu, 0, 0, 0, 0, 0), -RP_ENOSYS);
	check("nr 64", hc5(64, 0, 0, 0, 0, 0), -RP_ENOSYS);

	/* Foreign and invalid handles, before we have any child. */
	check("map handle 0", hc_vm_map(0, 0, fr, PG, RP_MAP_R), -RP_EBADH);
	check("map handle 17", hc_vm_map(17, 0, fr, PG, RP_MAP_R), -RP_EBADH);
	check("map handle 999", hc_vm_map(999, 0, fr, PG, RP_MAP_R), -RP_EBADH);
	check("map handle 1 (none yet)", hc_vm_map(1, 0, fr, PG, RP_MAP_R), -RP_EBADH);
	check("vcpu_create handle 0", hc_vcpu_create(0), -RP_EBADH);
	check("vcpu_create handle 17", hc_vcpu_create(17), -RP_EBADH);
	check("vcpu_create handle 999", hc_vcpu_create(999), -RP_EBADH);
	check("destroy handle 0", hc_vm_destroy(0), -RP_EBADH);
	check("destroy handle 17", hc_vm_destroy(17), -RP_EBADH);
	check("destroy handle 2^64-1", hc_vm_destroy(~0ULL), -RP_EBADH);
	check("irq handle 999", hc5(RP_HC_IRQ_LINE, 999, 1, 1, 0, 0), -RP_EBADH);
	check("vcpu_set handle 0", hc_vcpu_set(0, &st), -RP_EBADH);
	check("vcpu_get handle 0x100", hc_vcpu_get(0x100, &st), -RP_EBADH);
	check("vcpu_run handle 0x1100", hc_vcpu_run(0x1100, &ex), -RP_EBADH);
	check("vm_create flags 2", hc_vm_create(2), -RP_EINVAL);
	check("vm_create flags 2^63", hc_vm_create(1ULL << 63), -RP_EINVAL);

	/* A: a live child; B: destroyed with its vCPU. */
	a = need("create A", hc_vm_create(0));
	b = need("create B", hc_vm_create(0));
	bv = need("vcpu of B", hc_vcpu_create((uint64_t)b));
	check("destroy B", hc_vm_destroy((uint64_t)b), 0);
	check("map destroyed VM", hc_vm_map((uint64_t)b, 0, fr, PG, RP_MAP_R), -RP_EBADH);
	check("vcpu_create destroyed VM", hc_vcpu_create((uint64_t)b), -RP_EBADH);
	check("destroy destroyed VM", hc_vm_destroy((uint64_t)b), -RP_EBADH);
	check("irq destroyed VM", hc5(RP_HC_IRQ_LINE, (uint64_t)b, 1, 1, 0, 0), -RP_EBADH);
	check("vcpu_set destroyed VM's vcpu", hc_vcpu_set((uint64_t)bv, &st), -RP_EBADH);
	check("vcpu_get destroyed VM's vcpu", hc_vcpu_get((uint64_t)bv, &st), -RP_EBADH);
	check("vcpu_run destroyed VM's vcpu", hc_vcpu_run((uint64_t)bv, &ex), -RP_EBADH);
	check("vcpu index past the last", hc_vcpu_get((uint64_t)a << 8 | 0, &st), -RP_EBADH);

	/* VM_MAP: ranges and alignment. */
	check("map outside my memory", hc_vm_map((uint64_t)a, 0, mem + 16 * MIB2, PG, RP_MAP_R),
	      -RP_ERANGE);
	check("map straddling my end", hc_vm_map((uint64_t)a, 0, mem - PG, 2 * PG, RP_MAP_R),
	      -RP_ERANGE);
	check("map my_gpa wrapping 2^64", hc_vm_map((uint64_t)a, 0, 0ULL - PG, 2 * PG, RP_MAP_R),
	      -RP_ERANGE);
	check("map child_gpa wrapping 2^64",
	      hc_vm_map((uint64_t)a, 0ULL - PG, fr, 2 * PG, RP_MAP_R), -RP_ERANGE);
	check("map size 2^64-4096", hc_vm_map((uint64_t)a, 0, fr, 0ULL - PG, RP_MAP_R),
	      -RP_ERANGE);
	check("map size 0", hc_vm_map((uint64_t)a, 0, fr, 0, RP_MAP_R), -RP_EINVAL);
	check("map unaligned my_gpa", hc_vm_map((uint64_t)a, 0, fr + 1, PG, RP_MAP_R), -RP_EINVAL);
	check("map unaligned child_gpa", hc_vm_map((uint64_t)a, 0x800, fr, PG, RP_MAP_R),
	      -RP_EINVAL);
	check("map unaligned size", hc_vm_map((uint64_t)a, 0, fr, 100, RP_MAP_R), -RP_EINVAL);
	check("map rights 0", hc_vm_map((uint64_t)a, 0, fr, PG, 0), -RP_EINVAL);
	check("map rights 8", hc_vm_map((uint64_t)a, 0, fr, PG, 8), -RP_EINVAL);
	check("map rights 2^32|R", hc_vm_map((uint64_t)a, 0, fr, PG, 1ULL << 32 | RP_MAP_R),
	      -RP_EINVAL);
	check("map A [0,2M)", hc_vm_map((uint64_t)a, 0, fr, MIB2, RP_MAP_R | RP_MAP_W), 0);
	check("map overlapping", hc_vm_map((uint64_t)a, MIB2 - PG, fr + MIB2, 2 * PG, RP_MAP_R),
	      -RP_EBUSY);
	check("map same range again", hc_vm_map((uint64_t)a, 0, fr, MIB2, RP_MAP_R), -RP_EBUSY);
	check("map adjacent", hc_vm_map((uint64_t)a, MIB2, fr + MIB2, PG, RP_MAP_R), 0);

	/* RW from RO: the range at mem_size, if our parent (ropass) gave it read-only. */
	if (ro) {
		check("map RW from RO", hc_vm_map((uint64_t)a, 4 * MIB2, mem, MIB2, RP_MAP_R | RP_MAP_W),
		      -RP_EPERM);
		check("map R from RO", hc_vm_map((uint64_t)a, 4 * MIB2, mem, MIB2, RP_MAP_R), 0);
		check("map straddling RW and RO",
		      hc_vm_map((uint64_t)a, 8 * MIB2, mem - PG, 2 * PG, RP_MAP_R), -RP_ERANGE);
		check("map RO range's end", hc_vm_map((uint64_t)a, 8 * MIB2, mem + MIB2, PG, RP_MAP_R),
		      -RP_ERANGE);
	} else {
		check("map just past my memory", hc_vm_map((uint64_t)a, 4 * MIB2, mem, PG, RP_MAP_R),
		      -RP_ERANGE);
	}

	/* VCPU_SET / GET / RUN on a live vCPU of A. */
	v = need("vcpu of A", hc_vcpu_create((uint64_t)a));
	check("vcpu_set state outside memory", hc5(RP_HC_VCPU_SET, (uint64_t)v, mem + MIB2 * 16, 0, 0, 0),
	      -RP_EFAULT);
	check("vcpu_set state straddling end",
	      hc5(RP_HC_VCPU_SET, (uint64_t)v, mem - 16, 0, 0, 0), -RP_EFAULT);
	check("vcpu_get state at 2^64-8", hc5(RP_HC_VCPU_GET, (uint64_t)v, 0ULL - 8, 0, 0, 0),
	      -RP_EFAULT);
	check("vcpu_get", hc_vcpu_get((uint64_t)v, &st), 0);
	st.cr0 = 0;
	st.efer = 0x500; /* LME | LMA without paging */
	st.cs.l = 1;
	st.cs.present = 1;
	check("vcpu_set garbage state (cr0 0, long mode)", hc_vcpu_set((uint64_t)v, &st),
	      -RP_EPERM);
	check("vcpu_run exit record outside memory",
	      hc5(RP_HC_VCPU_RUN, (uint64_t)v, mem + 16 * MIB2, 0, 0, 0), -RP_EFAULT);
	check("vcpu_run exit record at 2^64-8", hc5(RP_HC_VCPU_RUN, (uint64_t)v, 0ULL - 8, 0, 0, 0),
	      -RP_EFAULT);
	if (ro)
		check("vcpu_run exit record read-only",
		      hc5(RP_HC_VCPU_RUN, (uint64_t)v, mem, 0, 0, 0), -RP_EFAULT);
	check(ro ? "vcpu_get into read-only" : "vcpu_get just past my memory",
	      hc5(RP_HC_VCPU_GET, (uint64_t)v, mem, 0, 0, 0), -RP_EFAULT);
	/* My system area is the CPU's: the root writes nothing there for me. */
	check("vcpu_get into my page tables",
	      hc5(RP_HC_VCPU_GET, (uint64_t)v, RING3_PT_GPA + 0x800, 0, 0, 0), -RP_EFAULT);
	check("vcpu_get onto my ring-0 stack",
	      hc5(RP_HC_VCPU_GET, (uint64_t)v, RING3_STACK_GPA, 0, 0, 0), -RP_EFAULT);
	check("vcpu_run exit record in my page tables",
	      hc5(RP_HC_VCPU_RUN, (uint64_t)v, RING3_PT_GPA + 0x800, 0, 0, 0), -RP_EFAULT);
	check("map my page tables", hc_vm_map((uint64_t)a, 8 * MIB2, RING3_PT_GPA, PG, RP_MAP_R),
	      -RP_EPERM);

	/* IRQ_LINE, LOG, TIMER, WAIT. */
	check("irq 99", hc5(RP_HC_IRQ_LINE, (uint64_t)a, 99, 1, 0, 0), -RP_EINVAL);
	check("irq 2^32", hc5(RP_HC_IRQ_LINE, (uint64_t)a, 1ULL << 32, 1, 0, 0), -RP_EINVAL);
	check("irq without irqchip", hc5(RP_HC_IRQ_LINE, (uint64_t)a, 4, 1, 0, 0), -RP_EINVAL);
	check("post handle 999", hc5(RP_HC_POST, 999, RP_EV_NET, 0, 0, 0), -RP_EBADH);
	check("post destroyed VM", hc5(RP_HC_POST, (uint64_t)b, RP_EV_NET, 0, 0, 0), -RP_EBADH);
	check("post no events", hc5(RP_HC_POST, (uint64_t)a, 0, 0, 0, 0), -RP_EINVAL);
	check("post a timer event", hc5(RP_HC_POST, (uint64_t)a, RP_EV_TIMER, 0, 0, 0), -RP_EINVAL);
	check("post bit 63", hc5(RP_HC_POST, (uint64_t)a, 1ULL << 63, 0, 0, 0), -RP_EINVAL);
	check("post to my layer child", hc5(RP_HC_POST, (uint64_t)a, RP_EV_NET, 0, 0, 0), 0);

	/* VCPU_RUN's lines and events, RP_HC_ISR. */
	check("run: lines for a layer child",
	      hc5(RP_HC_VCPU_RUN, (uint64_t)v, gpa_of(&ex), 1u << 5, 1u << 5, 0), -RP_EINVAL);
	check("run: line 24", hc5(RP_HC_VCPU_RUN, (uint64_t)v, gpa_of(&ex), 1u << 24, 0, 0),
	      -RP_EINVAL);
	check("run: a level past line 23",
	      hc5(RP_HC_VCPU_RUN, (uint64_t)v, gpa_of(&ex), 0, 1ULL << 40, 0), -RP_EINVAL);
	check("run: post a timer event",
	      hc5(RP_HC_VCPU_RUN, (uint64_t)v, gpa_of(&ex), 0, 0, RP_EV_TIMER), -RP_EINVAL);
	check("isr handle 999", hc5(RP_HC_ISR, 999, RP_DEV_BASE, fr, 5, 0), -RP_EBADH);
	check("isr for a layer child", hc5(RP_HC_ISR, (uint64_t)a, RP_DEV_BASE, fr, 5, 0),
	      -RP_EINVAL);
	h = need("create an irqchip child", hc_vm_create(RP_VM_IRQCHIP));
	check("isr line 24", hc5(RP_HC_ISR, (uint64_t)h, RP_DEV_BASE, fr, 24, 0), -RP_EINVAL);
	check("isr word misaligned", hc5(RP_HC_ISR, (uint64_t)h, RP_DEV_BASE, fr + 2, 5, 0),
	      -RP_EINVAL);
	check("isr window misaligned", hc5(RP_HC_ISR, (uint64_t)h, RP_DEV_BASE + 1, fr, 5, 0),
	      -RP_EINVAL);
	check("isr window wrapping", hc5(RP_HC_ISR, (uint64_t)h, ~3ULL, fr, 5, 0), -RP_EINVAL);
	check("isr word outside my memory",
	      hc5(RP_HC_ISR, (uint64_t)h, RP_DEV_BASE, mem + 16 * MIB2, 5, 0), -RP_ERANGE);
	check("isr word in my page tables",
	      hc5(RP_HC_ISR, (uint64_t)h, RP_DEV_BASE, RING3_PT_GPA, 5, 0), -RP_ERANGE);
	for (n = 0; n < 20; n++)
		if (hc5(RP_HC_ISR, (uint64_t)h, RP_DEV_BASE + n * PG, fr, 5, 0) < 0)
			break;
	check("isr windows before EQUOTA", (int64_t)n, RP_MAX_ISR);
	check("isr window again: replaced", hc5(RP_HC_ISR, (uint64_t)h, RP_DEV_BASE, fr + 4, 6, 0), 0);
	check("isr window removed", hc5(RP_HC_ISR, (uint64_t)h, RP_DEV_BASE, 0, 0, 0), 0);
	check("isr window after a removal",
	      hc5(RP_HC_ISR, (uint64_t)h, RP_DEV_BASE + 100 * PG, fr, 5, 0), 0);
	check("destroy the irqchip child", hc_vm_destroy((uint64_t)h), 0);
	/* MAP_INFO names only my child's own children: mine have none. */
	check("map_info handle 0", hc5(RP_HC_MAP_INFO, 0, 1, 0, fr, 0), -RP_EBADH);
	check("map_info handle 17", hc5(RP_HC_MAP_INFO, 17, 1, 0, fr, 0), -RP_EBADH);
	check("map_info handle 2^64-1", hc5(RP_HC_MAP_INFO, ~0ULL, 1, 0, fr, 0), -RP_EBADH);
	check("map_info destroyed VM", hc5(RP_HC_MAP_INFO, (uint64_t)b, 1, 0, fr, 0), -RP_EBADH);
	check("map_info sub 0", hc5(RP_HC_MAP_INFO, (uint64_t)a, 0, 0, fr, 0), -RP_EBADH);
	check("map_info sub 1 (none)", hc5(RP_HC_MAP_INFO, (uint64_t)a, 1, 0, fr, 0), -RP_EBADH);
	check("map_info sub 2^64-1", hc5(RP_HC_MAP_INFO, (uint64_t)a, ~0ULL, 0, fr, 0), -RP_EBADH);
	rt_memset(big, 'x', sizeof(big));
	check("log len RP_MAX_LOG+1", hc_log_raw(big, RP_MAX_LOG + 1), -RP_EINVAL);
	check("log len 2^64-1", hc_log_raw(big, ~0ULL), -RP_EINVAL);
	check("log text outside memory", hc5(RP_HC_LOG, mem + 16 * MIB2, 4, 0, 0, 0), -RP_EFAULT);
	check("log straddling end", hc5(RP_HC_LOG, mem - 2, 4, 0, 0, 0), -RP_EFAULT);
	check("timer 2^63 ns", hc5(RP_HC_TIMER, 1ULL << 63, 0, 0, 0, 0), -RP_EINVAL);
	check("timer 2 h", hc5(RP_HC_TIMER, 7200ULL * 1000000000ULL, 0, 0, 0, 0), -RP_EINVAL);
	check("timer cancel", hc5(RP_HC_TIMER, 0, 0, 0, 0, 0), 0);
	check("wait 1 ns", hc5(RP_HC_WAIT, 1, 0, 0, 0, 0), 0);
	destroy_all();

	/* Quotas: children, vCPUs, maps. */
	for (n = 0; n < 40; n++) {
		h = hc_vm_create(0);
		if (h < 0)
			break;
	}
	check("children before EQUOTA", (int64_t)n, RP_MAX_CHILDREN);
	check("child past the quota", hc_vm_create(0), -RP_EQUOTA);
	destroy_all();
	check("create after destroying all", hc_vm_create(0), 1);
	for (n = 0; n < 40; n++)
		if (hc_vcpu_create(1) < 0)
			break;
	check("vcpus before EQUOTA", (int64_t)n, RP_MAX_VCPUS);
	check("vcpu past the quota", hc_vcpu_create(1), -RP_EQUOTA);
	for (n = 0; n < 40; n++)
		if (hc_vm_map(1, n * PG, fr + n * PG, PG, RP_MAP_R) < 0)
			break;
	check("maps before EQUOTA", (int64_t)n, RP_MAX_MAPS);
	check("map past the quota", hc_vm_map(1, 100 * PG, fr, PG, RP_MAP_R), -RP_EQUOTA);
	for (i = 0; i < 3; i++)
		check("destroy (quota child)", hc_vm_destroy(1), i ? -RP_EBADH : 0);

	/* Still alive and well: a plain call works. */
	check("version at the end", hc_version(), RP_ABI_VERSION);
	{
		struct line l = {.len = 0};

		line_str(&l, "abuse: failures ");
		line_dec(&l, failures);
		line_send(&l);
	}
	hc_exit(failures);
}
