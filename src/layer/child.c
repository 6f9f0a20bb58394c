/* SPDX-License-Identifier: MIT */
/*
 * Starting a child and forwarding its port I/O. Our boot info comes from our
 * parent; it is checked here before any of its addresses is used: payloads
 * inside our memory, the child's region inside our free memory and past
 * every payload.
 *
 * The device model we run for the child stores only where the child may
 * write itself (child_dev_ptr): what we map into it without W (its system
 * area, code, read-only data) and its page tables are sealed by the root,
 * read-only to us too, and a store there would be reported as our
 * violation, on the say-so of a child that pointed its rings there.
 */
#include "layer/child.h"

#include "boot/ring3.h"
#include "layer/hc.h"
#include "layer/lib.h"
#include "lib/rt.h"
#include "lib/sha256.h"

#define PAGE 0x1000ULL
#define BIG_PAGE 0x200000ULL
#define CODE_DEAD 0xdead

static struct rp_vcpu_state child_state;

#ifdef RP_TEST_BUILD
void (*child_built_hook)(struct child *c);
uint64_t child_split_sys;
#else
/* The production images have no attack hooks: these are constants. */
#define child_built_hook ((void (*)(struct child *))0)
#define child_split_sys 0ULL
#endif

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static int fail(const char *what, const char *detail)
{
	struct line l = {.len = 0};

	line_str(&l, what);
	if (detail) {
		line_str(&l, ": ");
		line_str(&l, detail);
	}
	line_send(&l);
	return -1;
}

/* The child's region maps child gpa -> our memory at c->base + gpa. */
void *child_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
	const struct child *c = ctx;

	if (!rt_range_ok(gpa, len, c->size))
		return NULL;
	return c->base + gpa;
}

/*
 * Every byte of [gpa, end) in a map we gave the child with W, and none
 * below RP_IMAGE_BASE: its ring-0 stack and page tables are mapped W for
 * the CPU alone (supervisor pages), and the tables are sealed against us.
 */
static bool child_writable(const struct child *c, uint64_t gpa, uint64_t end)
{
	if (gpa < RP_IMAGE_BASE)
		return false;
	for (unsigned i = 0; i < c->nmaps && gpa < end; i++) {
		const struct child_map *m = &c->maps[i];

		if (gpa < m->gpa || gpa - m->gpa >= m->size)
			continue;
		if (!(m->rights & RP_MAP_W))
			return false;
		gpa = m->gpa + m->size; /* the maps are in address order */
	}
	return gpa >= end;
}

void *child_dev_ptr(void *ctx, uint64_t gpa, uint64_t len, bool write)
{
	const struct child *c = ctx;

	if (!rt_range_ok(gpa, len, c->size))
		return NULL;
	if (write && !child_writable(c, gpa, gpa + len))
		return NULL;
	return c->base + gpa;
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/*
 * A fresh stack canary for each child (guard.c): the first 8 bytes of the
 * SHA-256 of our own canary, the child's depth, the time stamp counter and
 * a count of the children we started. One-way, so that a child that reads
 * its canary learns nothing of ours or of its siblings'.
 */
static uint64_t child_canary(const struct rp_boot_info *info)
{
	static uint64_t started;
	const uint64_t in[4] = {info->canary, info->depth + 1, rdtsc(), ++started};
	uint8_t d[SHA256_BYTES];
	struct sha256 c;

	sha256_init(&c);
	sha256_update(&c, in, sizeof(in));
	sha256_final(&c, d);
	return rt_le64(d);
}

/* Payloads inside our memory; returns the end of the last one, or 0. */
static uint64_t check_payloads(const struct rp_boot_info *info)
{
	uint64_t end = info->free_start;
	unsigned i;

	if (info->npayload < 1 || info->npayload > RP_MAX_PAYLOAD)
		return fail("layer: bad payload count", NULL), 0;
	for (i = 0; i < info->npayload; i++) {
		const struct rp_blob *b = &info->payload[i];

		if (b->gpa < RP_IMAGE_BASE || !rt_range_ok(b->gpa, b->size, info->mem_size))
			return fail("layer: payload outside my memory", NULL), 0;
		if (b->gpa + b->size > end)
			end = b->gpa + b->size;
	}
	return end;
}

static void child_info(const struct rp_boot_info *info, struct rp_boot_info *ci,
		       const struct rp_dev *devs, unsigned ndevs)
{
	unsigned i;

	rt_memset(ci, 0, sizeof(*ci));
	ci->depth = info->depth + 1;
	ci->tsc_khz = info->tsc_khz; /* every VM's TSC runs at the host's rate */
	ci->ncpus = info->ncpus;     /* the guest's, for the vmm at the top */
	ci->canary = child_canary(info);
	rt_memcpy(ci->kind, info->payload[0].kind, sizeof(ci->kind) - 1);
	ci->npayload = info->npayload - 1;
	for (i = 1; i < info->npayload; i++)
		ci->payload[i - 1] = info->payload[i];
	for (i = 1; i < 8; i++)
		ci->args[i - 1] = info->args[i];
	rt_memcpy(ci->cmdline, info->cmdline, sizeof(ci->cmdline) - 1);
	/* ring3_build maps these windows for the child, with no memory behind them. */
	ci->ndevs = ndevs < RP_MAX_DEVS ? ndevs : RP_MAX_DEVS;
	for (i = 0; i < ci->ndevs; i++)
		ci->devs[i] = devs[i];
}

/* Copy payload[1..] into the child's free memory and tell it where they are. */
static int copy_payloads(const struct rp_boot_info *info, struct child *c)
{
	struct rp_boot_info *bi = (struct rp_boot_info *)(c->base + RP_BOOT_INFO_GPA);
	uint64_t at = bi->free_start;
	unsigned i;

	for (i = 0; i < bi->npayload; i++) {
		const struct rp_blob *src = &info->payload[i + 1];

		if (!rt_range_ok(at, src->size, c->size))
			return fail("layer: child payloads do not fit its memory", NULL);
		rt_memcpy(c->base + at, (const void *)(uintptr_t)src->gpa, src->size);
		bi->payload[i].gpa = at;
		at = align_up(at + src->size, PAGE);
	}
	at = align_up(at, BIG_PAGE);
	if (at > c->size)
		return fail("layer: child payloads do not fit its memory", NULL);
	bi->free_start = at;
	return 0;
}

static int carve(const struct rp_boot_info *info, struct child *c)
{
	uint64_t end = check_payloads(info), base;

	if (!end)
		return -1;
	c->size = info->args[0];
	if (c->size < RING3_MIN_MEM || c->size > RING3_MAX_MEM || (c->size & (BIG_PAGE - 1)))
		return fail("layer: child memory size (args[0]) not a 2 MiB multiple >= 4 MiB",
			    NULL);
	/* A caller with two children places the second itself (c->base set). */
	base = c->base ? gpa_of(c->base) : align_up(end, BIG_PAGE);
	if (base < info->free_start || !rt_range_ok(base, c->size, info->mem_size))
		return fail("layer: child memory does not fit in my free memory", NULL);
	c->base = (uint8_t *)(uintptr_t)base;
	return 0;
}

int child_start(const struct rp_boot_info *info, struct child *c)
{
	return child_start_devs(info, c, NULL, 0);
}

int child_start_devs(const struct rp_boot_info *info, struct child *c, const struct rp_dev *devs,
		     unsigned ndevs)
{
	struct boot_mem mem = {.ctx = c, .gpa_ptr = child_ptr};
	static struct rp_boot_info ci;
	static struct ring3_range ranges[RING3_MAX_RANGES];
	const char *why = NULL;
	int64_t r;
	int n, i;

	c->nmaps = 0; /* nothing of it writable by its device model until mapped */
	if (carve(info, c))
		return -1;
	child_info(info, &ci, devs, ndevs);
	ci.restarts = c->restarts;
	if (ring3_build(&mem, c->size, (const void *)(uintptr_t)info->payload[0].gpa,
			info->payload[0].size, &ci, &child_state, &why))
		return fail("layer: child image refused", why);
	if (copy_payloads(info, c))
		return -1;
	if (child_built_hook)
		child_built_hook(c);
	c->vm = hc_vm_create(c->vm_flags);
	if (c->vm < 0)
		return fail("layer: RP_HC_VM_CREATE refused", NULL);
	/* Sealed: the system area and the code read-only, the code measured by the root. */
	n = ring3_layout(c->size, (const void *)(uintptr_t)info->payload[0].gpa,
			 info->payload[0].size, ranges, RING3_MAX_RANGES, &why);
	if (n < 0)
		return fail("layer: child layout", why);
	for (i = 0; i < n; i++) {
		uint64_t gpa = ranges[i].gpa, cut = 0;
		uint32_t rights = ranges[i].rights;

		/* The system area as two maps, the second writable: an attack (tests only). */
		if (!gpa && child_split_sys && child_split_sys < ranges[i].size) {
			cut = child_split_sys;
			if (hc_vm_map(c->vm, 0, gpa_of(c->base), cut, rights) < 0)
				return fail("layer: RP_HC_VM_MAP refused", NULL);
			rights |= RP_MAP_W;
		}
		r = hc_vm_map(c->vm, gpa + cut, gpa_of(c->base) + gpa + cut, ranges[i].size - cut,
			      rights);
		if (r < 0)
			return fail("layer: RP_HC_VM_MAP refused", NULL);
		c->maps[c->nmaps++] = (struct child_map){
		    .gpa = ranges[i].gpa, .size = ranges[i].size, .rights = ranges[i].rights};
	}
	c->vcpu = hc_vcpu_create(c->vm);
	if (c->vcpu < 0)
		return fail("layer: RP_HC_VCPU_CREATE refused", NULL);
	if (hc_vcpu_set(c->vcpu, &child_state) < 0)
		return fail("layer: RP_HC_VCPU_SET refused", NULL);
	return 0;
}

int child_forward_io(struct rp_exit *ex)
{
	uint16_t port = ex->u.io.port;
	unsigned size = ex->u.io.size;

	if (ex->u.io.count != 1 || (size != 1 && size != 2 && size != 4))
		return fail("layer: child string or odd-sized port I/O not forwarded", NULL);
	if (port == RP_HC_PORT || port == RP_FAULT_PORT)
		return fail("layer: child I/O on an ABI port not forwarded", NULL);
	if (ex->u.io.out)
		port_out(port, size, (uint32_t)ex->u.io.data);
	else
		ex->u.io.data = port_in(port, size);
	return 0;
}

void child_fatal(const char *who, const struct rp_exit *ex)
{
	struct line l = {.len = 0};

	line_str(&l, who);
	line_str(&l, ": child ended, reason ");
	line_dec(&l, ex->reason);
	if (ex->reason == RP_EXIT_FAULT) {
		line_str(&l, " vector ");
		line_dec(&l, ex->u.fault.vector);
		line_str(&l, " error ");
		line_hex(&l, ex->u.fault.error);
		line_str(&l, " addr ");
		line_hex(&l, ex->u.fault.addr);
	} else if (ex->reason == RP_EXIT_IO || ex->reason == RP_EXIT_MMIO) {
		line_str(&l, " at ");
		line_hex(&l, ex->reason == RP_EXIT_IO ? ex->u.io.port : ex->u.mmio.addr);
	}
	line_send(&l);
	hc_exit(CODE_DEAD);
}
