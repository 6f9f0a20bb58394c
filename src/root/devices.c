/* SPDX-License-Identifier: MIT */
/*
 * The root's devices: the virtio device model (src/virtio) backed by the
 * only real resources of the stack -- tap devices, disk files, stdout and
 * the kernel's random pool -- plus the I/O thread that feeds received
 * frames and console input to the guest.
 *
 * Threads: vCPU threads call into a device on MMIO exits; the I/O thread
 * calls vio_net_rx when a tap has frames. Each device has one lock, held
 * across every call into it, so the device model never sees two callers.
 */
#include "root/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "root/jail.h"
#include "root/log.h"

/* The largest frame a tap hands over: a 64 KiB GSO packet and its headers. */
#define TAP_FRAME_MAX (VIO_NET_HDR_LEN + 65536 + 256)

struct rp_tap {
	struct rp_vdev *vdev;
	int fd;
	int wake_fd; /* told when the guest posts receive buffers again; -1: nobody */
	volatile bool starved; /* no receive buffers: stop polling the tap */
	uint64_t offload_features; /* driver features the tap's offloads follow */
	uint32_t frame_len;	   /* a frame read by tap_peek, not yet delivered */
	uint8_t frame[TAP_FRAME_MAX];
	struct vio_net net;
	struct vio_net_backend be;
};

struct rp_diskdev {
	int fd;
	struct vio_blk blk;
	struct vio_blk_backend be;
};

struct rp_backends {
	struct rp_tap taps[RP_MAX_NETS];
	unsigned ntaps;
	struct rp_diskdev disks[RP_MAX_DISKS];
	unsigned ndisks;
	struct vio_console con;
	struct vio_console_backend con_be;
	struct vio_rng rng;
	struct vio_rng_backend rng_be;
	int wake_fd;
	bool stdin_open;
	pthread_t io;
	bool io_started;
	volatile bool stop;
};

#define NET_FEATURES                                                                          \
	((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |                    \
	 (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) |              \
	 (1ULL << VIRTIO_NET_F_GUEST_ECN) | (1ULL << VIRTIO_NET_F_HOST_TSO4) |                \
	 (1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_ECN))

static void host_log(void *ctx, const char *dev, const char *what, uint64_t value)
{
	log_event("device_refused", "device", 's', dev, "what", 's', what, "value", 'x', value,
		  NULL);
}

static unsigned to_iovec(struct iovec *out, const struct vio_iov *iov, unsigned n)
{
	unsigned i;

	for (i = 0; i < n && i < VIO_CHAIN_MAX; i++) {
		out[i].iov_base = iov[i].base;
		out[i].iov_len = iov[i].len;
	}
	return i;
}

/* ---- net: a tap device ---------------------------------------------------- */

static int tap_tx(void *ctx, const struct vio_iov *iov, unsigned n)
{
	struct rp_tap *t = ctx;
	struct iovec v[VIO_CHAIN_MAX];
	ssize_t r;

	do
		r = writev(t->fd, v, (int)to_iovec(v, iov, n));
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

/*
 * The tap may hand us only what the guest said it can take: checksum-less
 * and GSO frames follow the receive offloads the driver accepted. Checked
 * on every read (a compare), changed when the driver renegotiates.
 */
static void tap_sync_offloads(struct rp_tap *t)
{
	uint64_t f = t->net.dev.driver_features;
	unsigned off = 0;

	if (f == t->offload_features)
		return;
	t->offload_features = f;
	if (f & (1ULL << VIRTIO_NET_F_GUEST_CSUM)) {
		off |= TUN_F_CSUM;
		if (f & (1ULL << VIRTIO_NET_F_GUEST_TSO4))
			off |= TUN_F_TSO4;
		if (f & (1ULL << VIRTIO_NET_F_GUEST_TSO6))
			off |= TUN_F_TSO6;
		if (f & (1ULL << VIRTIO_NET_F_GUEST_ECN))
			off |= TUN_F_TSO_ECN;
	}
	if (ioctl(t->fd, TUNSETOFFLOAD, off) < 0)
		log_err("tap offloads 0x%x: %s", off, strerror(errno));
}

/*
 * A frame is read whole into t->frame first, so the device knows its length
 * and takes only the receive buffers it needs; tap_rx then copies it out.
 */
static int tap_peek(void *ctx)
{
	struct rp_tap *t = ctx;
	ssize_t r;

	if (t->frame_len)
		return (int)t->frame_len;
	tap_sync_offloads(t);
	do
		r = read(t->fd, t->frame, sizeof(t->frame));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN ? 0 : -errno;
	t->frame_len = (uint32_t)r;
	return (int)r;
}

static int tap_rx(void *ctx, const struct vio_iov *iov, unsigned n)
{
	struct rp_tap *t = ctx;
	uint32_t done = 0;
	int r = tap_peek(t);

	if (r <= 0)
		return r;
	for (unsigned i = 0; i < n && done < t->frame_len; i++) {
		uint32_t take = t->frame_len - done < iov[i].len ? t->frame_len - done : iov[i].len;

		memcpy(iov[i].base, t->frame + done, take);
		done += take;
	}
	t->frame_len = 0; /* what did not fit is dropped, as a short read would */
	return (int)done;
}

static void tap_rx_wanted(void *ctx)
{
	struct rp_tap *t = ctx;
	uint64_t one = 1;

	t->starved = false;
	if (t->wake_fd >= 0 && write(t->wake_fd, &one, sizeof(one)) < 0)
		log_err("wake I/O thread: %s", strerror(errno));
}

static int tap_open(const struct rp_net *cfg)
{
	struct ifreq ifr;
	int hdr = VIO_NET_HDR_LEN;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		log_err("tap %s: /dev/net/tun: %s", cfg->tap, strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", cfg->tap);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;

		log_err("tap %s: %s%s", cfg->tap, strerror(e),
			e == EPERM	 ? " (needs CAP_NET_ADMIN or a tap owned by this user)"
			: e == EBUSY	 ? " (in use by another process)"
			: e == EINVAL ? " (the name is taken by a device that is not a tap)"
				      : "");
		close(fd);
		return -1;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 || ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
		log_err("tap %s: vnet header or offloads: %s", cfg->tap, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int tap_init(struct rp_tap *t, const struct rp_net *cfg, const struct vio_host *h,
		    unsigned irq, int wake_fd)
{
	t->wake_fd = wake_fd;
	t->fd = tap_open(cfg);
	if (t->fd < 0)
		return -1;
	t->be = (struct vio_net_backend){
		.ctx = t,
		.features = NET_FEATURES,
		.tx = tap_tx,
		.rx = tap_rx,
		.peek = tap_peek,
		.rx_wanted = tap_rx_wanted,
	};
	vio_net_init(&t->net, h, irq, cfg->mac, &t->be);
	return 0;
}

struct rp_tap *net_dev_open(const struct rp_net *cfg, const struct vio_host *h)
{
	struct rp_tap *t = calloc(1, sizeof(*t));

	if (!t) {
		log_err("tap %s: out of memory", cfg->tap);
		return NULL;
	}
	if (tap_init(t, cfg, h, 0, -1)) {
		free(t);
		return NULL;
	}
	return t;
}

struct vio_net *net_dev_vio(struct rp_tap *t)
{
	return &t->net;
}

int net_dev_fd(const struct rp_tap *t)
{
	return t->fd;
}

int net_dev_rx(struct rp_tap *t)
{
	int frames;
	struct pollfd p = {.fd = t->fd, .events = POLLIN};

	if (t->starved)
		return NET_DEV_MORE;
	frames = vio_net_rx(&t->net);
	if (t->net.rx_starved)
		t->starved = true;
	/* Drained: nothing held back and nothing more queued on the tap. */
	if (!t->starved && !t->frame_len && poll(&p, 1, 0) == 0)
		return frames;
	return frames | NET_DEV_MORE;
}

bool net_dev_starved(const struct rp_tap *t)
{
	return t->starved;
}

void net_dev_reset(struct rp_tap *t)
{
	vio_reset(&t->net.dev);
	t->frame_len = 0;
	t->starved = true; /* until the next driver posts buffers (tap_rx_wanted) */
}

void net_dev_close(struct rp_tap *t)
{
	if (!t)
		return;
	close(t->fd);
	free(t);
}

/* ---- block: a raw disk file ------------------------------------------------ */

static int disk_io(int fd, uint64_t off, const struct vio_iov *iov, unsigned n, bool write)
{
	struct iovec v[VIO_CHAIN_MAX];
	unsigned cnt = to_iovec(v, iov, n), i = 0;

	while (i < cnt) {
		ssize_t r = write ? pwritev(fd, v + i, (int)(cnt - i), (off_t)off)
				  : preadv(fd, v + i, (int)(cnt - i), (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0) {
			if (write)
				return -EIO;
			/* The file shrank under us: what is past its end reads as zero. */
			for (; i < cnt; i++)
				memset(v[i].iov_base, 0, v[i].iov_len);
			return 0;
		}
		off += (uint64_t)r;
		while (i < cnt && (size_t)r >= v[i].iov_len)
			r -= (ssize_t)v[i++].iov_len;
		if (i < cnt) {
			v[i].iov_base = (uint8_t *)v[i].iov_base + r;
			v[i].iov_len -= (size_t)r;
		}
	}
	return 0;
}

static int disk_read(void *ctx, uint64_t off, const struct vio_iov *iov, unsigned n)
{
	return disk_io(((struct rp_diskdev *)ctx)->fd, off, iov, n, false);
}

static int disk_write(void *ctx, uint64_t off, const struct vio_iov *iov, unsigned n)
{
	return disk_io(((struct rp_diskdev *)ctx)->fd, off, iov, n, true);
}

static int disk_flush(void *ctx)
{
	return fdatasync(((struct rp_diskdev *)ctx)->fd) < 0 ? -errno : 0;
}

static int disk_open(struct rp_diskdev *d, const struct rp_disk *cfg)
{
	struct stat st;
	uint64_t size;
	const char *slash;

	d->fd = open(cfg->path, (cfg->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (d->fd < 0) {
		log_err("disk %s: %s", cfg->path, strerror(errno));
		return -1;
	}
	if (fstat(d->fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
		log_err("disk %s: not a regular file or block device", cfg->path);
		return -1;
	}
	if (flock(d->fd, (cfg->read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		log_err("disk %s: in use by another process (%s)", cfg->path, strerror(errno));
		return -1;
	}
	size = (uint64_t)st.st_size;
	if (S_ISBLK(st.st_mode) && ioctl(d->fd, BLKGETSIZE64, &size) < 0) {
		log_err("disk %s: size: %s", cfg->path, strerror(errno));
		return -1;
	}
	if (size < VIO_BLK_SECTOR) {
		log_err("disk %s: %llu bytes, smaller than one 512-byte sector", cfg->path,
			(unsigned long long)size);
		return -1;
	}
	d->be = (struct vio_blk_backend){
		.ctx = d,
		.capacity = size / VIO_BLK_SECTOR,
		.read_only = cfg->read_only,
		.read = disk_read,
		.write = disk_write,
		.flush = disk_flush,
	};
	slash = strrchr(cfg->path, '/');
	memcpy(d->be.serial, cfg->serial[0] ? cfg->serial : slash ? slash + 1 : cfg->path,
	       strnlen(cfg->serial[0] ? cfg->serial : slash ? slash + 1 : cfg->path,
		       VIO_BLK_ID_LEN));
	return 0;
}

struct rp_diskdev *disk_dev_open(const struct rp_disk *cfg)
{
	struct rp_diskdev *d = calloc(1, sizeof(*d));

	if (!d) {
		log_err("disk %s: out of memory", cfg->path);
		return NULL;
	}
	if (disk_open(d, cfg)) {
		disk_dev_close(d);
		return NULL;
	}
	return d;
}

const struct vio_blk_backend *disk_dev_backend(const struct rp_diskdev *d)
{
	return &d->be;
}

void disk_dev_close(struct rp_diskdev *d)
{
	if (!d)
		return;
	if (d->fd >= 0) {
		fdatasync(d->fd);
		close(d->fd);
	}
	free(d);
}

/* ---- console and rng --------------------------------------------------------- */

static void console_write(void *ctx, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = write(1, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

int rng_getrandom(void *ctx, void *buf, size_t len)
{
	ssize_t n;

	do
		n = getrandom(buf, len, 0);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : (int)n;
}

/* ---- wiring -------------------------------------------------------------------- */

#define MMIO_QUEUE_NOTIFY 0x50 /* virtio-mmio register, 32 bits */

/* Have KVM turn the guest's notify of queue q into an eventfd signal. */
static int kick_register(struct rp_vm *vm, struct rp_vdev *v, unsigned q)
{
	struct kvm_ioeventfd io = {
		.datamatch = q,
		.addr = v->base + MMIO_QUEUE_NOTIFY,
		.len = 4,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};

	v->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->kick_fd[q] < 0) {
		log_err("eventfd for %s: %s", v->dev->name, strerror(errno));
		return -1;
	}
	io.fd = v->kick_fd[q];
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
		log_err("KVM_IOEVENTFD for %s queue %u: %s", v->dev->name, q, strerror(errno));
		close(v->kick_fd[q]);
		v->kick_fd[q] = -1;
		return -1;
	}
	return 0;
}

static struct rp_vdev *add_vdev(struct rp_vm *vm, struct vio_dev *dev)
{
	struct rp_vdev *v = &vm->vdevs[vm->nvdevs];
	unsigned q;

	v->dev = dev;
	v->base = BOOT_MMIO_BASE + vm->nvdevs * BOOT_MMIO_STRIDE;
	pthread_mutex_init(&v->lock, NULL);
	for (q = 0; q < VIO_NUM_QUEUES; q++)
		v->kick_fd[q] = -1;
	vm->nvdevs++;
	return v;
}

/* Devices whose queues do real work run them in the I/O thread. */
static int kicks_register(struct rp_vm *vm, struct rp_vdev *v)
{
	unsigned q;

	for (q = 0; q < v->dev->ops->num_queues && q < VIO_NUM_QUEUES; q++)
		if (kick_register(vm, v, q))
			return -1;
	return 0;
}

static void kick(struct rp_vdev *v, unsigned q)
{
	uint32_t qi = q;
	uint64_t n;

	if (read(v->kick_fd[q], &n, sizeof(n)) < 0)
		return;
	pthread_mutex_lock(&v->lock);
	vio_mmio_write(v->dev, MMIO_QUEUE_NOTIFY, &qi, sizeof(qi));
	pthread_mutex_unlock(&v->lock);
}

static unsigned next_irq(const struct rp_vm *vm)
{
	return BOOT_FIRST_GSI + vm->nvdevs;
}

int devices_open(struct rp_vm *vm, const struct rp_config *cfg)
{
	struct rp_backends *be;
	unsigned i;

	be = calloc(1, sizeof(*be));
	if (!be)
		return -1;
	vm->be = be;
	vm->host.log = host_log;
	be->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (be->wake_fd < 0) {
		log_err("eventfd: %s", strerror(errno));
		return -1;
	}
	/* Probed here, before the jail (the I/O thread may not fstat or ioctl stdin). */
	be->stdin_open = isatty(0) || fcntl(0, F_GETFL) >= 0;
	if (be->stdin_open && !isatty(0)) {
		struct stat st;

		/* Only a terminal, pipe or socket is a console; /dev/null and files are not. */
		be->stdin_open = fstat(0, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
	}
	serial_init(&vm->serial, 1, vm_set_irq, vm);
	for (i = 0; i < cfg->ndisks; i++) {
		struct rp_diskdev *d = &be->disks[be->ndisks++];

		if (disk_open(d, &cfg->disks[i]))
			return -1;
		vio_blk_init(&d->blk, &vm->host, next_irq(vm), &d->be);
		if (kicks_register(vm, add_vdev(vm, &d->blk.dev)))
			return -1;
	}
	for (i = 0; i < cfg->nnets; i++) {
		struct rp_tap *t = &be->taps[be->ntaps++];

		if (tap_init(t, &cfg->nets[i], &vm->host, next_irq(vm), be->wake_fd))
			return -1;
		t->vdev = add_vdev(vm, &t->net.dev);
		if (kicks_register(vm, t->vdev))
			return -1;
	}
	be->con_be = (struct vio_console_backend){.write = console_write};
	vio_console_init(&be->con, &vm->host, next_irq(vm), &be->con_be);
	add_vdev(vm, &be->con.dev);
	be->rng_be = (struct vio_rng_backend){.fill = rng_getrandom};
	vio_rng_init(&be->rng, &vm->host, next_irq(vm), &be->rng_be);
	add_vdev(vm, &be->rng.dev);
	return 0;
}

bool devices_mmio(struct rp_vm *vm, uint64_t addr, uint8_t *data, unsigned len, bool write)
{
	uint64_t idx, off;
	struct rp_vdev *v;

	if (addr < BOOT_MMIO_BASE)
		return false;
	idx = (addr - BOOT_MMIO_BASE) / BOOT_MMIO_STRIDE;
	off = (addr - BOOT_MMIO_BASE) % BOOT_MMIO_STRIDE;
	if (idx >= vm->nvdevs || off >= VIO_MMIO_SIZE)
		return false;
	v = &vm->vdevs[idx];
	pthread_mutex_lock(&v->lock);
	if (write)
		vio_mmio_write(v->dev, off, data, len);
	else
		vio_mmio_read(v->dev, off, data, len);
	pthread_mutex_unlock(&v->lock);
	return true;
}

/* ---- the I/O thread ------------------------------------------------------------ */

static void io_stdin(struct rp_vm *vm)
{
	uint8_t buf[SERIAL_RX_FIFO];
	ssize_t n = read(0, buf, sizeof(buf));

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			vm->be->stdin_open = false;
		return;
	}
	serial_input(&vm->serial, buf, (size_t)n);
}

static void tap_deliver(struct rp_tap *t)
{
	pthread_mutex_lock(&t->vdev->lock);
	vio_net_rx(&t->net);
	if (t->net.rx_starved)
		t->starved = true;
	pthread_mutex_unlock(&t->vdev->lock);
}

static void *io_thread(void *arg)
{
	struct rp_vm *vm = arg;
	struct rp_backends *be = vm->be;
	struct pollfd fds[RP_MAX_NETS + 2 + RP_MAX_VDEVS * VIO_NUM_QUEUES];
	struct rp_tap *who[RP_MAX_NETS + 2 + RP_MAX_VDEVS * VIO_NUM_QUEUES];
	struct rp_vdev *kicked[RP_MAX_NETS + 2 + RP_MAX_VDEVS * VIO_NUM_QUEUES];
	uint64_t drain;

	jail_thread(JAIL_IO);
	while (!be->stop) {
		unsigned n = 0, i, q;

		memset(kicked, 0, sizeof(kicked));
		for (i = 0; i < vm->nvdevs; i++)
			for (q = 0; q < VIO_NUM_QUEUES; q++)
				if (vm->vdevs[i].kick_fd[q] >= 0) {
					fds[n] = (struct pollfd){.fd = vm->vdevs[i].kick_fd[q],
								 .events = POLLIN};
					kicked[n] = &vm->vdevs[i];
					who[n++] = NULL;
				}

		fds[n] = (struct pollfd){.fd = be->wake_fd, .events = POLLIN};
		who[n++] = NULL;
		if (be->stdin_open) {
			fds[n] = (struct pollfd){.fd = 0, .events = POLLIN};
			who[n++] = NULL;
		}
		for (i = 0; i < be->ntaps; i++) {
			struct rp_tap *t = &be->taps[i];

			if (t->starved)
				continue;
			if (t->frame_len) /* held back for want of buffers: poll won't say */
				tap_deliver(t);
			fds[n] = (struct pollfd){.fd = t->fd, .events = POLLIN};
			who[n++] = t;
		}
		if (poll(fds, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			if (!fds[i].revents)
				continue;
			if (kicked[i]) {
				for (q = 0; q < VIO_NUM_QUEUES; q++)
					if (kicked[i]->kick_fd[q] == fds[i].fd)
						kick(kicked[i], q);
			} else if (fds[i].fd == be->wake_fd) {
				if (read(be->wake_fd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
					break;
			} else if (fds[i].fd == 0) {
				io_stdin(vm);
			} else if (who[i]) {
				tap_deliver(who[i]);
			}
		}
	}
	return NULL;
}

int devices_start(struct rp_vm *vm)
{
	struct rp_backends *be = vm->be;
	int err;

	err = pthread_create(&be->io, NULL, io_thread, vm);
	if (err) {
		log_err("I/O thread: %s", strerror(err));
		return -1;
	}
	be->io_started = true;
	return 0;
}

void devices_stop(struct rp_vm *vm)
{
	struct rp_backends *be = vm->be;
	uint64_t one = 1;
	unsigned i;

	if (!be)
		return;
	if (be->io_started) {
		be->stop = true;
		if (write(be->wake_fd, &one, sizeof(one)) < 0)
			log_err("stop I/O thread: %s", strerror(errno));
		pthread_join(be->io, NULL);
	}
	serial_flush(&vm->serial);
	for (i = 0; i < vm->nvdevs; i++)
		for (unsigned q = 0; q < VIO_NUM_QUEUES; q++)
			if (vm->vdevs[i].kick_fd[q] >= 0)
				close(vm->vdevs[i].kick_fd[q]);
	for (i = 0; i < be->ntaps; i++)
		if (be->taps[i].fd > 0)
			close(be->taps[i].fd);
	for (i = 0; i < be->ndisks; i++)
		if (be->disks[i].fd > 0) {
			fdatasync(be->disks[i].fd);
			close(be->disks[i].fd);
		}
	if (be->wake_fd >= 0)
		close(be->wake_fd);
	free(be);
	vm->be = NULL;
}
