/* SPDX-License-Identifier: MIT */
/*
 * The root's devices for layer 1: its disk (virtio-blk), its rng
 * (virtio-rng) and its network (virtio-net) as virtio-mmio windows, and
 * the ports below layer 1 (include/rampart/abi.h): the stack's console and
 * power-off, and in the test build only (rampart-test, RP_TEST_BUILD) the
 * test device a spin guest talks to (doorbells, results, the echo words).
 *
 * Invariants this file keeps (numbered as in ln.h's index):
 * 11. A rebuilt layer 1 (restart policy) gets the root's devices as at
 *     power-on: each is reset before its memory is emptied, so no queue
 *     of the old incarnation reads or writes the new one's memory.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "root/ln.h"

/* Layer 1's memory as its devices reach it: stores only where it may write itself. */
static void *dev_mem_ptr(void *ctx, uint64_t gpa, uint64_t len, bool write)
{
	return ln_node_ptr(ctx, gpa, len, write ? RP_MAP_R | RP_MAP_W : RP_MAP_R);
}

/* Layer 1's devices: no interrupt line (layers take none; the driver polls). */
static void blk_no_irq(void *ctx, unsigned irq, int level)
{
	(void)ctx;
	(void)irq;
	(void)level;
}

static void blk_log(void *ctx, const char *dev, const char *what, uint64_t value)
{
	log_event("device_refused", "layer", 's', ((struct ln_node *)ctx)->name, "device", 's', dev,
		  "what", 's', what, "value", 'x', value, NULL);
}

static void console_put(struct ln_root *r, char c)
{
	r->console[r->console_len++] = c;
	if (c == '\n' || r->console_len == sizeof(r->console)) {
		if (write(1, r->console, r->console_len) < 0)
			r->console_len = 0; /* the console is gone: drop */
		r->console_len = 0;
	}
}

/*
 * Layer 1's MMIO: its disk's or its rng's register window, handled to the
 * end before layer 1 runs again (its driver polls: a request is done when
 * the notify that announced it returns). false: not a window.
 */
static bool root_mmio(struct ln_root *r, struct kvm_run *run)
{
	uint64_t a = run->mmio.phys_addr, off = a - RP_DEV_BASE;
	unsigned len = run->mmio.len <= 8 ? run->mmio.len : 8;
	struct vio_dev *dev;

	if (r->disk && a >= RP_DEV_BASE && off < RP_DEV_SIZE) {
		dev = &r->blk.dev;
	} else if (a >= ROOT_RNG_BASE && a - ROOT_RNG_BASE < RP_DEV_SIZE) {
		dev = &r->rng.dev;
		off = a - ROOT_RNG_BASE;
	} else if (r->tap && a >= ROOT_NET_BASE && a - ROOT_NET_BASE < RP_DEV_SIZE) {
		dev = &net_dev_vio(r->tap)->dev;
		off = a - ROOT_NET_BASE;
	} else {
		return false;
	}
	if (off >= VIO_MMIO_SIZE) { /* the rest of the page: reads as zero */
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0, sizeof(run->mmio.data));
		return true;
	}
	if (run->mmio.is_write)
		vio_mmio_write(dev, off, run->mmio.data, len);
	else
		vio_mmio_read(dev, off, run->mmio.data, len);
	return true;
}

#ifdef RP_TEST_BUILD
/* The root's test device (rampart-test only): true when port is one of its. */
bool ln_test_device(struct ln_root *r, struct kvm_run *run, uint8_t *data, uint32_t val)
{
	if (run->io.direction == KVM_EXIT_IO_IN) {
		if (run->io.port != RP_TPORT_ECHO_IN)
			return false;
		val = 0;
		if (r->echo_next < r->stack->echo_words)
			val = (uint32_t)++r->echo_next;
		memcpy(data, &val, run->io.size < 4 ? run->io.size : 4);
		return true;
	}
	switch (run->io.port) {
	case RP_TPORT_DOORBELL:
		r->res->doorbells++;
		return true;
	case RP_TPORT_RESULT:
		r->res->cpu_result = val;
		return true;
	case RP_TPORT_ECHO_SUM:
		r->res->echo_sum = val;
		r->res->echo_ok = val == (uint32_t)(r->stack->echo_words * (r->stack->echo_words + 1) / 2);
		return true;
	}
	return false;
}
#endif

/* The ports below layer 1. */
void ln_root_device(struct ln_root *r, struct ln_vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t val = 0;
	char why[96];

	if (run->exit_reason == KVM_EXIT_MMIO && root_mmio(r, run))
		return;
	if (run->exit_reason != KVM_EXIT_IO) {
		snprintf(why, sizeof(why), "layer 1 made an unhandled exit %u", run->exit_reason);
		ln_end_stack(r, RP_CRASH, 0, why);
		return;
	}
	memcpy(&val, data, run->io.size < 4 ? run->io.size : 4);
#ifdef RP_TEST_BUILD
	if (ln_test_device(r, run, data, val))
		return;
#endif
	if (run->io.direction == KVM_EXIT_IO_IN) {
		val = 0; /* an in from any other port reads 0 */
		memcpy(data, &val, run->io.size < 4 ? run->io.size : 4);
		return;
	}
	switch (run->io.port) {
	case RP_PORT_POWEROFF:
		if (val == RP_RESET)
			ln_end_stack(r, RP_RESET, val, "the top of the stack reset");
		else if (val == RP_CRASH)
			ln_end_stack(r, RP_CRASH, val, "the top of the stack crashed (triple fault)");
		else
			ln_end_stack(r, RP_POWEROFF, val, "the top of the stack powered off");
		break;
	case RP_PORT_CONSOLE:
		console_put(r, (char)val);
		break;
	default:
		if (ln_log_ok(r, v->node, LOG_UNHANDLED))
			log_event("unhandled_access", "layer", 's', v->node->name, "port", 'x',
				  (uint64_t)run->io.port, NULL);
	}
}

/* Layer 1's devices, reset for its next incarnation (invariant 11). */
void ln_reset_devices(struct ln_root *r, const struct ln_node *n)
{
	if (r->disk) {
		vio_reset(&r->blk.dev);
		log_event("device_reset", "layer", 's', n->name, "device", 's', "virtio-blk", NULL);
	}
	vio_reset(&r->rng.dev);
	log_event("device_reset", "layer", 's', n->name, "device", 's', "virtio-rng", NULL);
	if (r->tap) {
		net_dev_reset(r->tap);
		log_event("device_reset", "layer", 's', n->name, "device", 's', "virtio-net", NULL);
	}
}

/* Layer 1's devices, at their windows in its memory n (once per stack). */
int ln_devs_open(struct ln_root *r, struct ln_node *n)
{
	const struct ln_stack *s = r->stack;

	r->blk_host = (struct vio_host){
		.ctx = n, .gpa_ptr = dev_mem_ptr, .set_irq = blk_no_irq, .log = blk_log};
	if (r->disk) {
		vio_blk_init(&r->blk, &r->blk_host, 0, disk_dev_backend(r->disk));
		r->devs[r->ndevs++] = (struct rp_dev){.id = RP_DEV_ID_BLOCK, .base = RP_DEV_BASE};
	}
	r->rng_be = (struct vio_rng_backend){.fill = rng_getrandom};
	vio_rng_init(&r->rng, &r->blk_host, 0, &r->rng_be);
	r->devs[r->ndevs++] = (struct rp_dev){.id = RP_DEV_ID_RNG, .base = ROOT_RNG_BASE};
	if (s->net) {
		r->tap = net_dev_open(s->net, &r->blk_host);
		if (!r->tap)
			return -1;
		r->devs[r->ndevs++] = (struct rp_dev){.id = RP_DEV_ID_NET, .base = ROOT_NET_BASE};
	}
	return 0;
}
