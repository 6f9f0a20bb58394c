/* SPDX-License-Identifier: MIT */
/*
 * Building a layered stack and running it (layer.h): the layer images,
 * read and measured; the code they may run, approved; the blobs layer 1
 * carries (the images of the layers above it, the policy blobs, a guest's
 * kernel and initrd); layer 1's memory, image, boot info and sealed
 * layout; then its chain (ln_chain.c) until the stack ends.
 *
 * The rest of the root's side of the hypercall ABI, one job a file, each
 * opening with the invariants it keeps (ln.h indexes all thirteen):
 *   ln_tree.c   the VM tree: nodes, vCPUs, maps and their pieces, handles
 *   ln_seal.c   seals, the page-table walk, control state, approved code
 *   ln_hc.c     the hypercalls, one table of handlers
 *   ln_chain.c  running chains: exits, events, timers, the tap watcher,
 *               restarts, signals
 *   ln_dev.c    layer 1's devices and the root's test device
 */
#include "root/jail.h"
#include "root/layer.h"
#include "root/ln.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "lib/rt.h"
#include "root/measure.h"
#include "root/preflight.h"

/* ---- building a stack ------------------------------------------------------- */

/* A layer image, a kernel or an initrd for layer 1 to carry: a file, not empty. */
static void *read_image(const char *path, uint64_t *size)
{
	void *buf = rp_read_file(path, "image", RP_MAX_IMAGE_SIZE, size);

	if (buf && !*size) {
		log_err("image %s: empty", path);
		free(buf);
		buf = NULL;
	}
	return buf;
}

/* Each layer's image (its variant), read for it alone: what is measured is what it runs. */
static int load_images(const struct ln_stack *s, void *img[], uint64_t size[])
{
	unsigned i;

	for (i = 0; i < s->nlayers; i++)
		if (!(img[i] = read_image(s->images[i], &size[i])))
			return -1;
	return 0;
}

#define MIB2 (2ULL << 20)

static uint64_t align2m(uint64_t v)
{
	return (v + MIB2 - 1) & ~(MIB2 - 1);
}

/*
 * The blobs of a stack, in the order layer 1 receives them: for each layer,
 * its policy blob if it has one (a firewall), then the image of the layer
 * above it, ...; then what the top needs (a vmm top: the kernel and the
 * initrd). Layer i + 1 receives blobs first[i].. (its policy first, then
 * its child's image) and copies the blobs after its child's image into its
 * child; a firewall keeps its policy for itself.
 */
struct blobs {
	const void *data[RP_MAX_PAYLOAD];
	uint64_t size[RP_MAX_PAYLOAD];
	char kind[RP_MAX_PAYLOAD][16];
	unsigned n;
	unsigned first[LN_MAX_LAYERS];
};

/* A policy layer's own memory beyond the share of every layer: a
 * firewall's fixed tables (16384 flows, counters for 16384 rules: about
 * 2 MiB, src/fw/fw.h); an ids layer's arena (16 MiB, src/layer/idsl.c:
 * ET Open's in-line rules with the HTTP requests' and responses'
 * buffers), flow table (the same conntrack, 1.4 MiB), flowbits (512 KiB),
 * HTTP parser's buffers (625 KiB: 321 KiB of normalized buffers, 256 KiB
 * of an inflated body, inflate's 48 KiB pool: src/ids/http.h) and TCP
 * streams (384 KiB of state, 4 MiB of tails, a 68 KiB window:
 * src/ids/stream.h), about 23 MiB, rounded to where its child starts
 * (2 MiB), with room to spare. */
#define LN_POLICY_LAYER_MEM (28ULL << 20)
/* A watch's working memory above its child: the guest kernel's text and
 * rodata as last seen, with their hashes (WTL_MAX_PAGES pages, 48 MiB,
 * and 384 KiB of hashes: src/layer/wtl.c), rounded to 2 MiB. */
#define LN_WATCH_LAYER_MEM (50ULL << 20)

static uint64_t align4k(uint64_t v)
{
	return (v + 0xfff) & ~0xfffULL;
}

static uint64_t blobs_bytes(const struct blobs *b, unsigned from)
{
	uint64_t sum = 0;

	for (; from < b->n; from++)
		sum += align4k(b->size[from]);
	return sum;
}

/* Layer i: its own share, its blobs, and its child's memory (or its guest's). */
static void stack_sizes(const struct ln_stack *s, const struct blobs *b, uint64_t mem[LN_MAX_LAYERS])
{
	int i = (int)s->nlayers - 1;

	mem[i] = s->layer_mem + align2m(blobs_bytes(b, b->first[i])) + s->guest_mem;
	for (i--; i >= 0; i--)
		mem[i] = s->layer_mem + align2m(blobs_bytes(b, b->first[i])) + mem[i + 1] +
			 (s->policy[i] ? LN_POLICY_LAYER_MEM : 0) +
			 (!strcmp(s->kinds[i], "watch") ? LN_WATCH_LAYER_MEM : 0);
}

/*
 * Layer 1, built: its one writable map becomes the sealed layout every
 * layer gets (ring3_layout): system area and code read-only, the rest
 * writable, as a parent maps its child.
 */
static int seal_bottom(struct ln_node *n, const void *img, uint64_t isize, uint64_t mem)
{
	struct ring3_range rg[RING3_MAX_RANGES];
	const char *why = "?";
	uint8_t *host = n->maps[0].host;
	int k = ring3_layout(mem, img, isize, rg, RING3_MAX_RANGES, &why);

	if (k < 0) {
		log_err("layer 1's sealed layout: %s", why);
		return -1;
	}
	if (ln_node_unmap(n, 0))
		return -1;
	for (int i = 0; i < k; i++)
		if (ln_node_map(n, rg[i].gpa, rg[i].size, host + rg[i].gpa, rg[i].rights)) {
			log_err("layer 1's sealed layout: KVM_SET_USER_MEMORY_REGION: %s",
				strerror(errno));
			return -1;
		}
	return 0;
}

/*
 * Layer 1's memory and the root's devices for it (once per stack); the
 * layer itself is loaded by load_bottom, again at each restart.
 */
static int build_bottom(struct ln_root *r, struct ln_node *n)
{
	const struct ln_stack *s = r->stack;
	uint64_t mem[LN_MAX_LAYERS];
	uint8_t *host;
	int tsc;

	stack_sizes(s, r->blobs, mem);
	host = mmap(NULL, mem[0], PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (host == MAP_FAILED) {
		log_err("layer memory of %llu MiB: %s", (unsigned long long)(mem[0] >> 20),
			strerror(errno));
		return -1;
	}
	r->bottom_host = host;
	r->bottom_size = mem[0];
	/* Asked once, before the jail (a restart reuses it): a layer's clock is its TSC. */
	tsc = kvm_ioctl(n->vm_fd, KVM_GET_TSC_KHZ, NULL, NULL);
	r->tsc_khz = tsc > 0 ? (uint32_t)tsc : 0;
	return ln_devs_open(r, n);
}

/* Layer 1's memory as the root writes it when it builds layer 1. */
static void *bottom_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
	struct ln_root *r = ctx;

	return rt_range_ok(gpa, len, r->bottom_size) ? r->bottom_host + gpa : NULL;
}

/*
 * Layer 1 into its memory, from scratch: one writable map, the image, its
 * boot info and the blobs of the layers above, then the sealed layout.
 */
int ln_load_bottom(struct ln_root *r, struct ln_node *n, struct rp_vcpu_state *st)
{
	const struct ln_stack *s = r->stack;
	const struct blobs *b = r->blobs;
	uint64_t mem[LN_MAX_LAYERS], free_start, at;
	struct boot_mem m = {.ctx = r, .gpa_ptr = bottom_ptr};
	struct rp_boot_info info;
	const char *why = "?";
	uint8_t *host = r->bottom_host;
	unsigned i, k = 0;

	stack_sizes(s, b, mem);
	if (ln_node_map(n, 0, mem[0], host, RP_MAP_R | RP_MAP_W | RP_MAP_X)) {
		log_err("layer memory: KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		return -1;
	}
	memset(&info, 0, sizeof(info));
	info.magic = RP_BOOT_MAGIC;
	info.version = RP_ABI_VERSION;
	info.depth = 1;
	info.restarts = r->restarts;
	/* The stack canary of layer 1 (each layer draws its child's): fresh per boot. */
	if (getrandom(&info.canary, sizeof(info.canary), 0) != sizeof(info.canary)) {
		log_err("getrandom: %s (layer 1's stack canary)", strerror(errno));
		return -1;
	}
	snprintf(info.kind, sizeof(info.kind), "%s", s->kinds[0]);
	if (s->cmdline)
		snprintf(info.cmdline, sizeof(info.cmdline), "%s", s->cmdline);
	for (i = 1; i < s->nlayers && k < 8; i++)
		info.args[k++] = mem[i];
	if (s->guest_mem && k < 8)
		info.args[k++] = s->guest_mem;
	for (i = 0; i < s->ntop_args && k < 8; i++)
		info.args[k++] = s->top_args[i];
	info.ndevs = r->ndevs;
	info.tsc_khz = r->tsc_khz;
	info.ncpus = s->cpus ? s->cpus : 1; /* the guest's, passed up to the vmm */
	memcpy(info.devs, r->devs, sizeof(r->devs));
	/* A first build says where free memory starts; the blobs go there. */
	if (ring3_build(&m, mem[0], r->img0, r->isize0, &info, st, &why)) {
		log_err("layer image %s: %s", s->images[0], why);
		return -1;
	}
	free_start = ((const struct rp_boot_info *)(host + RP_BOOT_INFO_GPA))->free_start;
	for (i = 0, at = free_start; i < b->n; i++) {
		struct rp_blob *p = &info.payload[info.npayload++];

		p->gpa = at;
		p->size = b->size[i];
		memcpy(p->kind, b->kind[i], sizeof(p->kind));
		memcpy(host + at, b->data[i], b->size[i]);
		at += align4k(b->size[i]);
	}
	if (ring3_build(&m, mem[0], r->img0, r->isize0, &info, st, &why))
		return -1;
	return seal_bottom(n, r->img0, r->isize0, mem[0]);
}

/* The file at path as the next blob, of kind; *data keeps it for the caller to free. */
static int file_blob(struct blobs *b, const char *path, const char *kind, void **data)
{
	uint64_t size;

	*data = read_image(path, &size);
	if (!*data)
		return -1;
	if (CHECKS)
		measure_blob(kind, path, *data, size);
	b->data[b->n] = *data;
	b->size[b->n] = size;
	snprintf(b->kind[b->n++], sizeof(b->kind[0]), "%s", kind);
	return 0;
}

/* The stack's blobs; the caller frees the kernel and initrd it loaded. */
static int stack_blobs(const struct ln_stack *s, void *const img[], const uint64_t isize[],
		       void **kernel, void **initrd, struct blobs *b)
{
	unsigned i, need = s->nlayers - 1 + (s->kernel ? 1 : 0) + (s->initrd ? 1 : 0);

	memset(b, 0, sizeof(*b));
	for (i = 0; i < s->nlayers; i++)
		need += s->policy[i] ? 1 : 0;
	if (need > RP_MAX_PAYLOAD) {
		log_err("%u images, policies and guest files: more than the %d blobs layer 1 can "
			"carry", need, RP_MAX_PAYLOAD);
		return -1;
	}
	for (i = 0; i < s->nlayers; i++) {
		if (s->policy[i]) { /* layer i + 1's own, before its child's image */
			b->data[b->n] = s->policy[i];
			b->size[b->n] = s->policy_size[i];
			snprintf(b->kind[b->n++], sizeof(b->kind[0]), "policy");
		}
		if (i + 1 == s->nlayers)
			break;
		b->data[b->n] = img[i + 1];
		b->size[b->n] = isize[i + 1];
		snprintf(b->kind[b->n++], sizeof(b->kind[0]), "%s", s->kinds[i + 1]);
		b->first[i + 1] = b->n; /* what layer i + 2 receives: after its image */
	}
	if (s->kernel && file_blob(b, s->kernel, "kernel", kernel))
		return -1;
	if (s->initrd && file_blob(b, s->initrd, "initrd", initrd))
		return -1;
	return 0;
}

static int root_open(struct ln_root *r)
{
	int size;

	r->kvm_fd = kvm_open();
	if (r->kvm_fd < 0)
		return -1;
	size = kvm_ioctl(r->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0, NULL);
	if (size <= 0 || kvm_ioctl(r->kvm_fd, KVM_CHECK_EXTENSION,
				    (void *)(uintptr_t)KVM_CAP_SYNC_REGS, NULL) <= 0) {
		log_err("/dev/kvm: no KVM_CAP_SYNC_REGS, which layers need");
		return -1;
	}
	r->run_size = (size_t)size;
	return ln_signals_open(r);
}

int layer_stack_run(const struct ln_stack *s, struct ln_result *res)
{
	struct ln_root r = {.stack = s,
			    .res = res,
			    .kvm_fd = -1,
			    .wake_fd = -1,
			    .kick_fd = -1,
			    .ap_lock = PTHREAD_MUTEX_INITIALIZER,
			    .ap_cond = PTHREAD_COND_INITIALIZER};
	struct rp_vcpu_state st;
	struct ln_node *bottom;
	struct ln_vcpu *v;
	uint64_t isize[LN_MAX_LAYERS] = {0};
	uint64_t t0 = ln_now_ns();
	void *img[LN_MAX_LAYERS] = {NULL}, *kernel = NULL, *initrd = NULL;
	char variants[LN_MAX_LAYERS * (LN_VARIANT_MAX + 1)] = "";
	const char *why;
	uint64_t where;
	struct blobs b;
	unsigned i;

	memset(res, 0, sizeof(*res));
	res->outcome = RP_ERROR;
	/* Measured launch: hash the very bytes that will run, before anything is created. */
	if (load_images(s, img, isize) || (CHECKS && measure_layers(s, img, isize, s->manifest)) ||
	    (CHECKS && measure_policies(s, s->manifest)))
		goto out;
	if (s->nlayers + (s->kernel ? 2 : 0) > RP_MAX_PAYLOAD + 1) {
		log_err("%u layers and a guest: more than the %d images layer 1 can carry",
			s->nlayers, RP_MAX_PAYLOAD);
		goto out;
	}
	/* The operator's files before the host's KVM: a missing disk is named as such anywhere. */
	if (stack_blobs(s, img, isize, &kernel, &initrd, &b) ||
	    ln_approve_code(&r, img, isize, s->nlayers, s->images) || ring3_tables(r.tables) ||
	    (s->disk && !(r.disk = disk_dev_open(s->disk))) || root_open(&r))
		goto out;
	bottom = r.bottom = ln_node_new(&r, NULL, true);
	if (!bottom) {
		log_err("KVM_CREATE_VM: %s", strerror(errno));
		goto out;
	}
	r.blobs = &b;
	r.img0 = img[0];
	r.isize0 = isize[0];
	if (build_bottom(&r, bottom) || ln_load_bottom(&r, bottom, &st) ||
	    !(v = ln_vcpu_new(&r, bottom)) || kvm_state_set(v->fd, &st) ||
	    jail_enter(JAIL_LAYERED) || (r.tap && ln_watch_start(&r))) {
		log_err("could not start layer 1 (%s)", s->kinds[0]);
		goto free;
	}
	/* Layer 1's tables, as its children's: checked and sealed before it runs. */
	why = ln_seal_vcpu(&r, v, &where);
	if (why) {
		log_err("layer 1 (%s): %s at 0x%llx", s->kinds[0], why, (unsigned long long)where);
		goto free;
	}
	v->sealed = true;
	for (i = 0; i < s->nlayers; i++)
		snprintf(variants + strlen(variants), sizeof(variants) - strlen(variants), "%s%s",
			 i ? "," : "", s->variants[i]);
	log_event("stack_start", "layers", 'u', (uint64_t)s->nlayers, "bottom", 's', s->kinds[0],
		  "top", 's', s->kinds[s->nlayers - 1], "variants", 's', variants, "layer_mem_mib",
		  'u', s->layer_mem >> 20, "slots", 'u', (uint64_t)bottom->nmaps, NULL);
	r.log_flush_ns = ln_now_ns() + LOG_INTERVAL_NS;
	ln_chain_run(&r, v);
	fwr_events(&r.fw, s);
	ln_log_summaries(bottom);
	ln_exits_report(bottom);
	res->slots = bottom->nmaps;
	res->slots_max = bottom->nmaps_max;
	if (r.console_len && write(1, r.console, r.console_len) < 0)
		r.console_len = 0;
free:
	ln_watch_stop(&r);
	net_dev_close(r.tap);
	/*
	 * The tree first: it joins the threads of started vCPUs, which run
	 * their guest in this memory until then; unmapped under them, its range
	 * could be mapped again for something of the root's and reached by
	 * the guest through their still-live KVM slots.
	 */
	ln_node_free(&r, bottom);
	if (r.bottom_host)
		munmap(r.bottom_host, r.bottom_size);
out:
	ln_signals_close(&r);
	if (r.kvm_fd >= 0)
		close(r.kvm_fd);
	disk_dev_close(r.disk);
	for (i = 0; i < s->nlayers; i++)
		free(img[i]);
	free(kernel);
	free(initrd);
	res->seconds = (ln_now_ns() - t0) / 1e9;
	return res->outcome;
}
