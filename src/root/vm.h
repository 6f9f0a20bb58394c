/* SPDX-License-Identifier: MIT */
/*
 * One guest VM on KVM as the root runs it: memory, vCPUs, the in-kernel
 * interrupt controllers and PIT, the serial port and the virtio devices.
 */
#ifndef RAMPART_VM_H
#define RAMPART_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "boot/boot.h"
#include "root/config.h"
#include "root/kvm.h"
#include "root/serial.h"
#include "virtio/virtio.h"

/* How the guest ended; also rampart's exit status. */
enum rp_outcome {
	RP_RUNNING = -1,
	RP_POWEROFF = 0, /* the guest powered off */
	RP_ERROR = 1,    /* rampart could not start or run the guest */
	RP_RESET = 2,    /* the guest reset (reboot, or a panic with panic=-1) */
	RP_CRASH = 3,    /* triple fault: KVM_EXIT_SHUTDOWN */
	RP_INTERNAL = 4, /* KVM refused to go on (entry failure, emulation error) */
	RP_SIGNAL = 5,   /* stopped by SIGINT or SIGTERM */
	RP_VIOLATION = 6, /* an intermediate layer broke its integrity: the stack halted */
};

struct rp_vcpu {
	struct rp_vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	/* KVM_RUN returns: all, and those that were MMIO or port I/O (a
	 * QueueNotify through an ioeventfd returns none). Its thread's own. */
	uint64_t exits, exits_mmio, exits_pio;
};

/* A virtio device of the guest and the lock that serialises it. */
struct rp_vdev {
	struct vio_dev *dev;
	uint64_t base;
	pthread_mutex_t lock;
	/* KVM signals these on a QueueNotify write, without a userspace exit;
	 * the I/O thread then runs the queue while the vCPU goes on. */
	int kick_fd[VIO_NUM_QUEUES];
};

#define RP_MAX_VDEVS BOOT_MAX_DEVICES

struct rp_vm {
	const struct rp_config *cfg;
	int kvm_fd, vm_fd;
	uint8_t *ram; /* one mapping: low RAM, then high RAM if any */
	uint64_t mem;
	struct boot_region regions[2];
	unsigned nregions;
	struct rp_vcpu vcpus[RP_MAX_CPUS];
	unsigned ncpus;

	pthread_mutex_t irq_lock;
	uint8_t irq_level[BOOT_MAX_GSI + 1];
	struct vio_host host;

	struct serial serial;
	struct rp_vdev vdevs[RP_MAX_VDEVS];
	unsigned nvdevs;
	struct rp_backends *be;

	volatile int outcome; /* enum rp_outcome; RP_RUNNING until it ends */
	char why[256];        /* a line on how it ended */
};

/* kvm.c */
int vm_create(struct rp_vm *vm, const struct rp_config *cfg);
int vm_load_linux(struct rp_vm *vm, const void *kernel, uint64_t kernel_size, const void *initrd,
		  uint64_t initrd_size);
void vm_destroy(struct rp_vm *vm);
void *vm_gpa_ptr(void *ctx, uint64_t gpa, uint64_t len);
void vm_set_irq(void *ctx, unsigned irq, int level);
void vm_end(struct rp_vm *vm, enum rp_outcome how, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* devices.c */
int devices_open(struct rp_vm *vm, const struct rp_config *cfg);
int devices_start(struct rp_vm *vm);
void devices_stop(struct rp_vm *vm);
bool devices_mmio(struct rp_vm *vm, uint64_t addr, uint8_t *data, unsigned len, bool write);
/*
 * A disk file alone, for a layered stack (ln_dev.c gives it to layer 1): the
 * same open, locking, size check and backend as a depth-1 guest's disk.
 * NULL on failure (logged); closed (fdatasync first) by disk_dev_close.
 */
struct rp_diskdev;
struct rp_diskdev *disk_dev_open(const struct rp_disk *cfg);
const struct vio_blk_backend *disk_dev_backend(const struct rp_diskdev *d);
/*
 * A tap alone, for a layered stack (ln_dev.c gives it to layer 1 as a
 * virtio-net device, host h, no interrupt): the same open, vnet header and
 * offload handling as a depth-1 guest's. NULL on failure (logged).
 * net_dev_rx moves waiting frames into the driver's receive buffers: the
 * number of frames, | NET_DEV_MORE when the tap may still hold some (the
 * buffers ran out: net_dev_starved until the driver posts more).
 */
struct rp_tap;
#define NET_DEV_MORE (1 << 30)
struct rp_tap *net_dev_open(const struct rp_net *cfg, const struct vio_host *h);
struct vio_net *net_dev_vio(struct rp_tap *t);
int net_dev_fd(const struct rp_tap *t);
int net_dev_rx(struct rp_tap *t);
bool net_dev_starved(const struct rp_tap *t);
/* The device reset (its driver is gone); a frame read for it is dropped. */
void net_dev_reset(struct rp_tap *t);
void net_dev_close(struct rp_tap *t);
/* The rng backend (vio_rng_backend.fill): getrandom(2). */
int rng_getrandom(void *ctx, void *buf, size_t len);
void disk_dev_close(struct rp_diskdev *d);

/* run.c */
int vm_run(struct rp_vm *vm);

#endif
