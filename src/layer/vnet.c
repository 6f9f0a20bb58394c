/* SPDX-License-Identifier: MIT */
/* A layer's network bridge (vnet.h). */
#include "layer/vnet.h"

#include "layer/hc.h"
#include "layer/layer.h"
#include "layer/lib.h"
#include "layer/vdev.h"
#include "fw/fw.h"
#include "lib/rt.h"
#include "virtio/driver.h"
#include "virtio/virtio.h"

#define VIRTIO_ID_NET 1
/* CSUM, HOST_TSO4, HOST_TSO6, HOST_ECN */
#define VNET_TX_OFFLOADS ((1ULL << 0) | (1ULL << 11) | (1ULL << 12) | (1ULL << 13))
#define VNET_NOTIFY 0x050 /* virtio-mmio QueueNotify */
#define VNET_RXQ 0

static struct vdrv_net drv;
static struct vio_net net;
static struct vio_net_backend be;
static struct vio_host host;
static struct vdev_parent parent;
static uint64_t child_base, child_window;
static const char *who = "vmm";
static bool present, child_irq;

bool (*vnet_filter)(const uint8_t *frame, uint32_t len, bool from_guest);
uint64_t vnet_hdr_refused, vnet_hdr_refused_bytes;

_Static_assert(VNET_HDR == FW_VNET_HDR_LEN, "the header fw_vnet_hdr_check reads");

/*
 * With a filter: the child's frame is copied here, whole, before it is
 * judged, and the copy is what is sent (the child cannot change a frame
 * between its check and its sending); a frame we build (a reject's reply)
 * waits here for the child's next receive. Without a filter neither is used.
 */
static uint8_t txcopy[VDRV_NET_TX_MAX] __attribute__((aligned(64)));
static uint8_t inject[VNET_INJECT_MAX + VNET_HDR], upward[VNET_INJECT_MAX + VNET_HDR];
static uint32_t inject_len;
static bool rx_judged; /* the frame rx_peek holds was accepted already */

static int send_parent(const struct vio_iov *iov, unsigned n)
{
	if (vdrv_net_tx(&drv, iov, n) < 0) {
		vdev_note(who, "net", "parent refused a frame of segments", n);
		return -5; /* EIO: the frame is dropped, as a full link would */
	}
	return 0;
}

static int be_tx(void *ctx, const struct vio_iov *iov, unsigned n)
{
	struct vio_iov one = {.base = txcopy};
	uint32_t len = 0;

	(void)ctx;
	if (!vnet_filter)
		return send_parent(iov, n);
	for (unsigned i = 0; i < n; i++) {
		if (iov[i].len > sizeof(txcopy) - len)
			return 0; /* longer than any frame: dropped, as the filter would */
		rt_memcpy(txcopy + len, iov[i].base, iov[i].len);
		len += iov[i].len;
	}
	if (len < VNET_HDR)
		return 0; /* dropped: the child's frame is done, nothing crossed */
	/* The header is what our parent's host kernel acts on after the
	 * verdict (checksum and segmentation offload): it must describe this
	 * frame's own L4 checksum, or a port the filter passed is rewritten. */
	if (fw_vnet_hdr_check(txcopy, txcopy + VNET_HDR, len - VNET_HDR)) {
		vnet_hdr_refused++;
		vnet_hdr_refused_bytes += len - VNET_HDR;
		return 0;
	}
	if (!vnet_filter(txcopy + VNET_HDR, len - VNET_HDR, true))
		return 0;
	one.len = len;
	return send_parent(&one, 1);
}

int vnet_inject(bool to_guest, const uint8_t *frame, uint32_t len)
{
	uint8_t *buf = to_guest ? inject : upward;
	struct vio_iov iov = {.base = buf, .len = len + VNET_HDR};

	if (len > VNET_INJECT_MAX || (to_guest && inject_len))
		return -1; /* one reply waits already: this one is not sent */
	rt_memset(buf, 0, VNET_HDR);
	rt_memcpy(buf + VNET_HDR, frame, len);
	if (to_guest) {
		inject_len = len + VNET_HDR;
		return 0;
	}
	return send_parent(&iov, 1);
}

/* The next frame for the child: a reply we built, or our parent's next
 * frame the filter accepts (those it refuses go back to our parent here). */
static int next_frame(const uint8_t **f)
{
	int len;

	if (inject_len) {
		*f = inject;
		return (int)inject_len;
	}
	for (;;) {
		len = vdrv_net_rx_peek(&drv, f);
		if (len <= 0 || !vnet_filter || rx_judged)
			return len;
		if (len >= VNET_HDR && vnet_filter(*f + VNET_HDR, (uint32_t)len - VNET_HDR, false)) {
			rx_judged = true;
			return len;
		}
		vdrv_net_rx_done(&drv); /* dropped: at most VDRV_NET_RXBUFS a call */
	}
}

static int be_peek(void *ctx)
{
	const uint8_t *f;

	(void)ctx;
	return next_frame(&f);
}

static int be_rx(void *ctx, const struct vio_iov *iov, unsigned n)
{
	const uint8_t *f;
	int len = next_frame(&f);
	uint32_t done = 0;

	(void)ctx;
	if (len <= 0)
		return len;
	for (unsigned i = 0; i < n && done < (uint32_t)len; i++) {
		uint32_t take = (uint32_t)len - done < iov[i].len ? (uint32_t)len - done : iov[i].len;

		rt_memcpy(iov[i].base, f + done, take);
		done += take;
	}
	if (f == inject) {
		inject_len = 0;
		return (int)done;
	}
	rx_judged = false;
	vdrv_net_rx_done(&drv);
	return (int)done;
}

static void dev_log(void *ctx, const char *dev, const char *what, uint64_t value)
{
	(void)ctx;
	(void)dev;
	vdev_note(who, "net", what, value);
}

int vnet_init(const struct rp_boot_info *info, const char *name, uint64_t base, uint64_t size,
	      int irq, void *(*gpa_ptr)(void *, uint64_t, uint64_t, bool), void *ctx)
{
	const struct rp_dev *d = vdev_find(info, VIRTIO_ID_NET);
	const char *why = "?";
	struct line l = {.len = 0};
	uint64_t mac = 0;

	if (!d)
		return 0;
	who = name;
	vdev_parent_init(&parent, d->base);
	if (vdrv_net_init(&drv, &parent.host, &why) < 0)
		vdev_parent_fail(who, "net", why);
	/* The child may send what our parent takes: the transmit offloads we got. */
	be = (struct vio_net_backend){
	    .features = drv.features & VNET_TX_OFFLOADS, .tx = be_tx, .rx = be_rx, .peek = be_peek};
	host =
	    (struct vio_host){.ctx = ctx, .gpa_ptr = gpa_ptr, .log = dev_log};
	child_base = base;
	child_window = size;
	child_irq = irq >= 0;
	vio_net_init(&net, &host, irq < 0 ? 0 : (unsigned)irq, drv.mac, &be);
	if (irq >= 0)
		vdev_irq_source((unsigned)irq, &net.dev.isr, base);
	present = true;
	line_str(&l, who);
	line_str(&l, ": net for the ");
	line_str(&l, irq < 0 ? "child layer" : "guest");
	line_str(&l, ", mac ");
	for (unsigned i = 0; i < 6; i++)
		mac = mac << 8 | drv.mac[i];
	line_hex(&l, mac);
	line_send(&l);
	return 1;
}

const uint8_t *vnet_mac(void)
{
	return present ? drv.mac : (const uint8_t *)0;
}

void vnet_poll(void)
{
	int frames;

	if (!present)
		return;
	frames = vio_net_rx(&net);
	vdrv_net_rx_kick(&drv); /* the buffers we emptied go back to our parent */
	if (frames > 0 && !child_irq)
		vdev_post(RP_EV_NET);
}

bool vnet_mmio(uint64_t addr, uint8_t *data, unsigned len, bool write)
{
	if (!present || !vdev_mmio(&net.dev, child_base, child_window, addr, data, len, write))
		return false;
	/* The child's receive notify: it posted buffers, frames may wait for
	 * them. Any other register (a transmit notify, setup) changes nothing
	 * a poll would find: no poll, no round trip to our parent. */
	if ((write && addr - child_base == VNET_NOTIFY && len == 4 && rt_le32(data) == VNET_RXQ) ||
	    inject_len) /* or a reply to the child's frame waits */
		vnet_poll();
	return true;
}
