/* SPDX-License-Identifier: MIT */
/*
 * The wrapper layer (wrl.h): a pass whose child's devices are confined by
 * the policy blob its parent carried to it (src/fw/wrap.h).
 *
 * Invariants:
 *  1. The child never runs before the blob is sealed and has passed
 *     wr_blob_check (checked once to learn the devices, and again once
 *     sealed: what is checked last is what runs); a blob that fails ends
 *     the layer.
 *  2. A device the policy does not list is never set up for the child: no
 *     register window, no entry in its boot info.
 *  3. Every read and write of the child passes wr_check_blk whole before
 *     any byte of it reaches our parent (vdev_hooks.request); a refused one
 *     reaches nothing and fails in the child with VIRTIO_BLK_S_IOERR.
 *  4. A request over a rate limit waits (RP_HC_WAIT) until its buckets
 *     allow it, or fails when the limit says refuse; the child is held in
 *     its notify meanwhile. The clock is our TSC at the rate the boot info
 *     gives (rp_boot_info.tsc_khz): nothing the child or the network does
 *     moves it, and it neither runs behind under load (a late timer event
 *     loses no time) nor ahead; without a known rate, limits are refused
 *     at start.
 *  5. The counters are bounded: nothing the child does grows a table.
 *  6. With an exit limit, every exit of the child that reaches us (every
 *     RP_HC_VCPU_RUN return but our own events and its end) takes a token
 *     before it is handled; with none left the child is not resumed until
 *     the bucket refills on the same clock (invariant 4), so over any
 *     interval it makes no more than rate x time + burst exits.
 *  7. Every refusal and every delay is counted against the rule that caused
 *     it (a range, max_request, a direction's limit, the exit limit), and
 *     each rule that acted is named in one summary line per interval
 *     (WRL_REPORT_NS, and at the end): a child refused a million times
 *     costs one line per rule per interval, never a line per request.
 */
#include "layer/wrl.h"

#include "fw/wrap.h"
#include "layer/hc.h"
#include "layer/layer.h"
#include "layer/lib.h"
#include "layer/policy.h"
#include "layer/vdev.h"
#include "layer/vnet.h"
#include "lib/rt.h"

#define PAGE 0x1000ULL
#define BIG_PAGE 0x200000ULL
/* A counters report every 5 s (our one timer), and one at the end. */
#define WRL_REPORT_NS 5000000000ULL
/* The longest RP_HC_WAIT of a delayed request: the wait is cut short by
 * events anyway; this bounds how late a stop signal is seen. */
#define WRL_WAIT_MAX_NS 100000000ULL

enum {
	C_REQS,
	C_DENIED,
	C_READ_ONLY,
	C_TOO_BIG,
	C_RATE_REFUSED,
	C_DELAYED,
	C_DELAY_MS,
	C_FRAMES_DROPPED,
	C_NOT_GIVEN,
	C_EXITS,
	C_EXITS_DELAYED,
	C_KEYS
};
static const char *const names[C_KEYS] = {
    "requests", "refused_denied", "refused_read_only", "refused_too_big", "refused_rate", "delayed",
    "delay_ms", "frames_refused", "devices_withheld",  "exits",		  "exits_delayed"};

static struct rp_boot_info own; /* our boot info without the policy blob */
static const struct rp_blob *policy;
static const struct wr_policy *pol;
static struct wr_bucket bytes[WR_DIRS], ops[WR_DIRS], exit_bucket;
static uint64_t now_ns, count[C_KEYS];
static struct tsc_clock clk;
static uint64_t range_hits[2][WR_RANGES_MAX]; /* deny, read-only */
static bool timer_on, net_pending;

/* What each rule did since the last summary (invariant 7). */
static struct {
	uint64_t range[2][WR_RANGES_MAX]; /* deny, read-only */
	uint64_t too_big, refused[WR_DIRS], delayed[WR_DIRS], delay_ms[WR_DIRS];
	uint64_t exits_delayed;
} since;

static __attribute__((noreturn)) void wrl_fail(const char *what, const char *detail)
{
	layer_fail("wrapper", what, detail);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

const struct rp_boot_info *wrl_setup(const struct rp_boot_info *info, uint8_t **child_base)
{
	uint64_t end;
	const char *why = policy_split(info, &own, &policy, &end);

	if (why)
		wrl_fail(why, NULL);
	*child_base = (uint8_t *)(uintptr_t)align_up(end, BIG_PAGE);
	return &own;
}

void wrl_check(void)
{
	const char *why = "?";

	if (wr_blob_check((const void *)(uintptr_t)policy->gpa, policy->size, &why))
		wrl_fail("policy blob refused", why);
	pol = (const struct wr_policy *)(uintptr_t)policy->gpa;
}

uint32_t wrl_devices(void)
{
	return pol->devices;
}

void wrl_seal(int64_t vm, uint64_t child_size)
{
	if (hc_vm_map((uint64_t)vm, child_size, policy->gpa, align_up(policy->size, PAGE),
		      RP_MAP_R) < 0)
		wrl_fail("RP_HC_VM_MAP refused the policy's seal", NULL);
}

/* The first refusal by each range is logged with the range; the rest counted. */
static void refused(enum wr_verdict v, bool write, uint64_t off, unsigned range)
{
	static const unsigned key[] = {0, C_DENIED, C_READ_ONLY, C_TOO_BIG};
	struct line l = {.len = 0};
	const struct wr_range *r = v == WR_DENIED ? &pol->deny[range] : &pol->ro[range];
	bool first =
	    v != WR_TOO_BIG && range < WR_RANGES_MAX && !range_hits[v == WR_READ_ONLY][range]++;

	count[key[v]]++;
	if (v == WR_TOO_BIG)
		since.too_big++;
	else if (range < WR_RANGES_MAX)
		since.range[v == WR_READ_ONLY][range]++;
	if (!first && !(v == WR_TOO_BIG && count[C_TOO_BIG] == 1))
		return;
	line_str(&l, "wrapper: refused a ");
	line_str(&l, write ? "write" : "read");
	line_str(&l, " at sector ");
	line_dec(&l, off / WR_SECTOR);
	if (v == WR_TOO_BIG) {
		line_str(&l, ": larger than max_request ");
		line_dec(&l, pol->max_request);
	} else {
		line_str(&l, v == WR_DENIED ? ": deny[" : ": read_only[");
		line_dec(&l, range);
		line_str(&l, "] = [");
		line_dec(&l, r->lo);
		line_str(&l, ", ");
		line_dec(&l, r->hi);
		line_str(&l, ")");
	}
	line_send(&l);
}

/* Nanoseconds since wrl_start (invariant 4: the layer's TSC clock,
 * lib.h); 0 without a rate: then no limit is set (wrl_start refuses one)
 * and the buckets have no rate to read it with. */
static uint64_t clock_ns(void)
{
	return tsc_clock_ns(&clk, own.tsc_khz);
}

/* Wait about ns, the child held: frames from our parent meanwhile are
 * remembered (polled once the caller is done), our timer's reports made. */
static void wait_ns(uint64_t ns)
{
	int64_t ev = hc5(RP_HC_WAIT, ns < WRL_WAIT_MAX_NS ? ns : WRL_WAIT_MAX_NS, 0, 0, 0, 0);

	if (ev > 0 && (ev & RP_EV_NET))
		net_pending = true;
	if (ev > 0 && (ev & RP_EV_TIMER))
		wrl_tick();
}

/* How long the buckets `b` (and `o`, when given) need before `amount` passes. */
static uint64_t need(struct wr_bucket *b, struct wr_bucket *o, uint64_t amount)
{
	uint64_t a, c;

	now_ns = clock_ns();
	a = wr_bucket_wait(b, now_ns, amount);
	c = o ? wr_bucket_wait(o, now_ns, 1) : 0;
	return a > c ? a : c;
}

/* Wait until direction d's buckets let `amount` bytes (one operation) pass,
 * then take them; -1 when its limit refuses instead. */
static int limit(enum wr_dir d, uint64_t amount)
{
	uint64_t t0 = 0, w;

	while ((w = need(&bytes[d], &ops[d], amount))) {
		if (pol->limit[d].refuse) {
			count[C_RATE_REFUSED]++;
			since.refused[d]++;
			return -1;
		}
		if (!t0) {
			count[C_DELAYED]++;
			since.delayed[d]++;
			t0 = now_ns ? now_ns : 1;
			/* What passed before crosses now, not after this wait. */
			if (d == WR_DISK_READ || d == WR_DISK_WRITE)
				vdisk_cross();
		}
		wait_ns(w);
	}
	if (t0) {
		count[C_DELAY_MS] += (now_ns - t0) / 1000000;
		since.delay_ms[d] += (now_ns - t0) / 1000000;
	}
	wr_bucket_take(&bytes[d], amount);
	wr_bucket_take(&ops[d], 1);
	return 0;
}

bool wrl_exit(void)
{
	bool delayed = false;
	uint64_t w;

	count[C_EXITS]++;
	if (!pol->exits_per_s)
		return wrl_net_pending();
	while ((w = need(&exit_bucket, NULL, 1))) {
		if (!delayed) {
			count[C_EXITS_DELAYED]++;
			since.exits_delayed++;
		}
		delayed = true;
		wait_ns(w);
	}
	wr_bucket_take(&exit_bucket, 1);
	return wrl_net_pending();
}

/* vdev_hooks.request. */
static int check_blk(bool write, uint64_t off, uint64_t n)
{
	unsigned range;
	enum wr_verdict v = wr_check_blk(pol, write, off, n, &range);

	count[C_REQS]++;
	if (v != WR_OK) {
		refused(v, write, off, range);
		return -1;
	}
	return limit(write ? WR_DISK_WRITE : WR_DISK_READ, n);
}

/* vdev_hooks.frame: the network's rate limits. */
static bool check_net(const uint8_t *vhdr, const uint8_t *frame, uint32_t len, bool from_guest)
{
	(void)vhdr;
	(void)frame;
	if (!limit(from_guest ? WR_NET_TX : WR_NET_RX, len))
		return true;
	count[C_FRAMES_DROPPED]++;
	return false;
}

void wrl_start(void)
{
	struct line l = {.len = 0};
	bool net_limit = false, any = false;

	wrl_check(); /* sealed now: this is what runs (invariant 1) */
	for (unsigned d = 0; d < WR_DIRS; d++) {
		const struct wr_limit *li = &pol->limit[d];

		wr_bucket_init(&bytes[d], li->bytes_per_s, li->burst_bytes, 0);
		wr_bucket_init(&ops[d], li->ops_per_s, li->burst_ops, 0);
		any |= li->bytes_per_s || li->ops_per_s;
		net_limit |=
		    (d == WR_NET_TX || d == WR_NET_RX) && (li->bytes_per_s || li->ops_per_s);
	}
	wr_bucket_init(&exit_bucket, pol->exits_per_s, pol->exits_burst, 0);
	any |= pol->exits_per_s != 0;
	count[C_NOT_GIVEN] = (uint64_t)((vdev_find(&own, 2) && !(pol->devices & WR_DEV_DISK)) +
					(vdev_find(&own, 1) && !(pol->devices & WR_DEV_NET)) +
					(vdev_find(&own, 4) && !(pol->devices & WR_DEV_RNG)));
	vdev_hooks.request = check_blk;
	if (net_limit)
		vdev_hooks.frame = check_net;
	if (any && !own.tsc_khz)
		wrl_fail("rate limits need the TSC's rate, and the boot info gives none", NULL);
	tsc_clock_start(&clk);
	/* a timer for the limits' clock and the summaries of any rule's refusals */
	if (any || pol->nro || pol->ndeny || pol->max_request) {
		if (hc5(RP_HC_TIMER, WRL_REPORT_NS, 0, 0, 0, 0) < 0)
			wrl_fail("RP_HC_TIMER refused", NULL);
		timer_on = true;
	}
	line_str(&l, "wrapper: policy checked, ");
	line_dec(&l, pol->nro);
	line_str(&l, " read-only and ");
	line_dec(&l, pol->ndeny);
	line_str(&l, " denied ranges, devices");
	line_str(&l, pol->devices & WR_DEV_DISK ? " disk" : "");
	line_str(&l, pol->devices & WR_DEV_NET ? " net" : "");
	line_str(&l, pol->devices & WR_DEV_RNG ? " rng" : "");
	line_str(&l, any ? ", rate limits on" : ", no rate limit");
	if (pol->exits_per_s) {
		line_str(&l, ", exits ");
		line_dec(&l, pol->exits_per_s);
		line_str(&l, "/s burst ");
		line_dec(&l, pol->exits_burst);
	}
	line_send(&l);
}

/* "wrapper: since the last summary, RULE VERB N NOUNs[, MS ms in all]" for
 * one rule that acted; a range's rule with its bounds. */
static void summary(const char *rule, int index, const struct wr_range *r, const char *verb,
		    uint64_t n, const char *noun, uint64_t ms)
{
	struct line l = {.len = 0};

	line_str(&l, "wrapper: since the last summary, ");
	line_str(&l, rule);
	if (index >= 0) {
		line_str(&l, "[");
		line_dec(&l, (uint64_t)index);
		line_str(&l, "] = [");
		line_dec(&l, r->lo);
		line_str(&l, ", ");
		line_dec(&l, r->hi);
		line_str(&l, ")");
	}
	line_str(&l, verb);
	line_dec(&l, n);
	line_str(&l, " ");
	line_str(&l, noun);
	line_str(&l, n == 1 ? "" : "s");
	if (ms) {
		line_str(&l, ", ");
		line_dec(&l, ms);
		line_str(&l, " ms in all");
	}
	line_send(&l);
}

/* One line per rule that refused or delayed since the last summary
 * (invariant 7), then nothing until a rule acts again. */
static void summaries(void)
{
	static const char *const dir[WR_DIRS] = {"the disk read limit", "the disk write limit",
						 "the net tx limit", "the net rx limit"};

	for (unsigned k = 0; k < 2; k++)
		for (unsigned i = 0; i < WR_RANGES_MAX && i < (k ? pol->nro : pol->ndeny); i++)
			if (since.range[k][i])
				summary(k ? "read_only" : "deny", (int)i,
					k ? &pol->ro[i] : &pol->deny[i], " refused ",
					since.range[k][i], "request", 0);
	if (since.too_big)
		summary("max_request", -1, NULL, " refused ", since.too_big, "request", 0);
	for (unsigned d = 0; d < WR_DIRS; d++) {
		const char *noun = d == WR_DISK_READ || d == WR_DISK_WRITE ? "request" : "frame";

		if (since.refused[d])
			summary(dir[d], -1, NULL, " refused ", since.refused[d], noun, 0);
		if (since.delayed[d])
			summary(dir[d], -1, NULL, " delayed ", since.delayed[d], noun,
				since.delay_ms[d]);
	}
	if (since.exits_delayed)
		summary("the exit limit", -1, NULL, " delayed ", since.exits_delayed, "exit", 0);
	rt_memset(&since, 0, sizeof(since));
}

void wrl_tick(void)
{
	if (!timer_on)
		return;
	hc5(RP_HC_TIMER, WRL_REPORT_NS, 0, 0, 0, 0);
	wrl_report();
}

bool wrl_net_pending(void)
{
	bool p = net_pending;

	net_pending = false;
	return p;
}

void wrl_report(void)
{
	struct line l = {.len = 0};

	if (!pol)
		return;
	summaries();
	line_str(&l, "wrstats");
	for (unsigned k = 0; k < C_KEYS; k++)
		line_kv(&l, names[k], count[k] + (k == C_FRAMES_DROPPED ? vnet_hdr_refused : 0));
	line_kv(&l, "uptime_ms", timer_on ? clock_ns() / 1000000 : 0);
	line_kv(&l, "restarts", own.restarts);
	line_send(&l);
}
