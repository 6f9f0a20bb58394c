/* SPDX-License-Identifier: MIT */
/*
 * The "sealfill" personality (tests only): fills the root's slot table of
 * its own VM with seals until the root refuses one, then checks that a
 * refused seal left nothing behind. Each round maps one page of our free
 * memory read-only into a child (children of RP_MAX_MAPS maps, up to
 * RP_MAX_CHILDREN of them), 8 KiB apart: each seal splits our writable
 * map once more (writable, read-only, writable), two slots more. The
 * root must refuse the map that would not fit, with RP_ENOMEM and no
 * violation, and leave all of our memory mapped as it was: every page
 * not sealed still writable now, and every page writable again once the
 * children are gone. Logs "sealfill: map N refused with -E; memory
 * intact" and exits 0, or logs what failed and exits LAYER_CODE_BAD.
 */
#include "layer/hc.h"
#include "layer/layer.h"
#include "layer/lib.h"
#include "lib/rt.h"

#define MIB2 (2ULL << 20)
#define PG 0x1000ULL
#define STRIDE (2 * PG)
#define MAX_SEALS (RP_MAX_CHILDREN * RP_MAX_MAPS)

/* One line: what, the map's number and the call's error; then the end. */
static __attribute__((noreturn)) void sealfill_end(const char *what, uint64_t n, int64_t err,
						   uint64_t code)
{
	struct line l = {.len = 0};

	line_str(&l, "sealfill: ");
	line_str(&l, what);
	line_str(&l, " ");
	line_dec(&l, n);
	if (err < 0) {
		line_str(&l, " refused with -");
		line_dec(&l, (uint64_t)-err);
	}
	if (!code)
		line_str(&l, "; memory intact");
	line_send(&l);
	hc_exit(code);
}

/* Write and read back every page of [from, to) but the first `sealed` at mine + i * STRIDE. */
static bool pages_writable(uint64_t from, uint64_t to, uint64_t mine, uint64_t sealed)
{
	for (uint64_t p = from; p < to; p += PG) {
		volatile uint64_t *w = (volatile uint64_t *)(uintptr_t)p;

		if (p >= mine && p < mine + sealed * STRIDE && !((p - mine) % STRIDE))
			continue;
		*w = p ^ 0x5ea1f111ULL;
		if (*w != (p ^ 0x5ea1f111ULL))
			return false;
	}
	return true;
}

void sealfill_main(const struct rp_boot_info *info)
{
	uint64_t mine = (info->free_start + MIB2 - 1) & ~(MIB2 - 1), n, h;
	int64_t vm = 0, r = 0;

	if (mine + MAX_SEALS * STRIDE > info->mem_size)
		sealfill_end("no room for the seals; pages", MAX_SEALS * STRIDE / PG, 0,
			     LAYER_CODE_BAD);
	for (n = 0; n < MAX_SEALS; n++) {
		if (!(n % RP_MAX_MAPS) && (vm = hc_vm_create(0)) < 0)
			sealfill_end("VM_CREATE refused at map", n, vm, LAYER_CODE_BAD);
		r = hc_vm_map((uint64_t)vm, (n % RP_MAX_MAPS) * PG, mine + n * STRIDE, PG,
			      RP_MAP_R);
		if (r < 0)
			break;
	}
	if (n == MAX_SEALS || r != -RP_ENOMEM)
		sealfill_end("no ENOMEM; maps", n, r, LAYER_CODE_BAD);
	/* The refused map's page too: a refused seal is not half applied. */
	if (!pages_writable(info->free_start, info->mem_size, mine, n))
		sealfill_end("memory lost after the refusal of map", n, r, LAYER_CODE_BAD);
	for (h = 1; h <= n / RP_MAX_MAPS + 1; h++)
		hc_vm_destroy(h);
	if (!pages_writable(info->free_start, info->mem_size, mine, 0))
		sealfill_end("sealed pages not writable once the children went; map", n, r,
			     LAYER_CODE_BAD);
	sealfill_end("map", n, r, 0);
}
