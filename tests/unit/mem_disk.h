/* SPDX-License-Identifier: MIT */
/* An in-memory disk behind the block device model's backend, for tests.
 * Define DISK_SECTORS before including it. */
#ifndef RAMPART_MEM_DISK_H
#define RAMPART_MEM_DISK_H

#include "virtio/virtio.h"

static uint8_t disk[DISK_SECTORS * 512];
static int flushes;

static int t_read(void *ctx, uint64_t off, const struct vio_iov *iov, unsigned n)
{
	(void)ctx;
	for (unsigned i = 0; i < n; i++) {
		assert_true(off + iov[i].len <= sizeof(disk));
		memcpy(iov[i].base, disk + off, iov[i].len);
		off += iov[i].len;
	}
	return 0;
}

static int t_write(void *ctx, uint64_t off, const struct vio_iov *iov, unsigned n)
{
	(void)ctx;
	for (unsigned i = 0; i < n; i++) {
		assert_true(off + iov[i].len <= sizeof(disk));
		memcpy(disk + off, iov[i].base, iov[i].len);
		off += iov[i].len;
	}
	return 0;
}

static int t_flush(void *ctx)
{
	(void)ctx;
	flushes++;
	return 0;
}

#endif
